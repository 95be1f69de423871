/* Greedy matching of one (image, category), as COCOeval.evaluateImg, for
 * every area range and IoU threshold. */
#include "eval/eval_private.h"

#include <string.h>

void
dd_eval_scratch_reserve_cell (dd_eval_scratch *s, int n_dts, int n_gts)
{
  gsize pairs = (gsize) n_dts * n_gts;
  if (pairs > s->overlaps_size) {
    s->overlaps_size = MAX (pairs, 2 * s->overlaps_size);
    s->overlaps = g_renew (double, s->overlaps, s->overlaps_size);
  }
  if ((gsize) n_gts > s->gt_size) {
    s->gt_size = MAX ((gsize) n_gts, 2 * s->gt_size);
    s->gt_order = g_renew (int, s->gt_order, s->gt_size);
    s->gt_ignored = g_renew (uint8_t, s->gt_ignored, s->gt_size);
    s->gt_taken = g_renew (uint8_t, s->gt_taken, s->gt_size);
  }
  if ((gsize) n_dts > s->dt_size) {
    s->dt_size = MAX ((gsize) n_dts, 2 * s->dt_size);
    s->dt_outside = g_renew (uint8_t, s->dt_outside, s->dt_size);
  }
}

static gboolean
outside (double area, const double range[2])
{
  return area < range[0] || area > range[1];
}

/* Regular ground truth first, ignored last, each in file order (numpy's
 * stable argsort of the ignore flags). Returns the count of regular ones. */
static int
order_ground_truth (const dd_eval_cell *cell, const double range[2], gboolean keypoints,
    dd_eval_scratch *s)
{
  int n = 0;
  for (int g = 0; g < cell->n_gts; g++) {
    const dd_coco_annotation *gt = cell->gts[g];
    gboolean ignored = gt->iscrowd || outside (gt->area, range)
        || (keypoints && gt->num_keypoints == 0);
    s->gt_ignored[g] = ignored;
    if (!ignored)
      s->gt_order[n++] = g;
  }
  int regular = n;
  for (int g = 0; g < cell->n_gts; g++)
    if (s->gt_ignored[g])
      s->gt_order[n++] = g;
  return regular;
}

/* The ground truth (index into the cell) detection d takes at threshold
 * thr, or -1: the last best overlap >= thr among those still free (a crowd
 * is never taken), stopping at the first ignored one once a regular one
 * matched. */
static int
best_match (const dd_eval_cell *cell, const double *row, double thr,
    const dd_eval_scratch *s)
{
  double best = MIN (thr, 1 - 1e-10);
  int m = -1;
  for (int j = 0; j < cell->n_gts; j++) {
    int g = s->gt_order[j];
    if (s->gt_taken[g] && !cell->gts[g]->iscrowd)
      continue;
    if (m > -1 && !s->gt_ignored[m] && s->gt_ignored[g])
      break;
    if (row[g] < best)
      continue;
    best = row[g];
    m = g;
  }
  return m;
}

void
dd_eval_match (const dd_eval_cell *cell, const double *overlaps,
    const dd_eval_params *p, dd_eval_scratch *s, uint8_t *status, int *n_regular)
{
  gboolean keypoints = p->iou_type == DD_EVAL_KEYPOINTS;
  for (int a = 0; a < p->n_areas; a++) {
    n_regular[a] += order_ground_truth (cell, p->area_rng[a], keypoints, s);
    for (int d = 0; d < cell->n_dts; d++)
      s->dt_outside[d] = outside (cell->dts[d]->area, p->area_rng[a]);
    for (int t = 0; t < DD_EVAL_N_IOU; t++) {
      memset (s->gt_taken, 0, cell->n_gts);
      for (int d = 0; d < cell->n_dts; d++) {
        int m = best_match (cell, overlaps + (gsize) d * cell->n_gts, p->iou_thrs[t], s);
        gboolean matched = m >= 0;
        gboolean ignored = matched ? s->gt_ignored[m] : s->dt_outside[d];
        if (matched)
          s->gt_taken[m] = TRUE;
        status[((gsize) d * p->n_areas + a) * DD_EVAL_N_IOU + t] =
            ignored ? DD_EVAL_IGNORED : matched ? DD_EVAL_TP : DD_EVAL_FP;
      }
    }
  }
}
