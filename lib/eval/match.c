/* Greedy matching of one (image, category), as COCOeval.evaluateImg, for
 * every area range and IoU threshold. */
#include "eval/eval_private.h"

#include <string.h>

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

/* For detection d, the ground truth it could match at the lowest threshold,
 * in matching order. The others can change nothing: at every threshold
 * they are passed over, and the stop at the first ignored one after a
 * regular match happens as well at the next ignored candidate (all that
 * follow an ignored one are ignored). */
static void
find_candidates (const dd_eval_cell *cell, const double *overlaps, double lowest,
    dd_eval_scratch *s)
{
  for (int d = 0; d < cell->n_dts; d++) {
    const double *row = overlaps + (gsize) d * cell->n_gts;
    int *cand = s->candidates + (gsize) d * cell->n_gts, n = 0;
    for (int j = 0; j < cell->n_gts; j++)
      if (row[s->gt_order[j]] >= lowest)
        cand[n++] = s->gt_order[j];
    s->n_candidates[d] = n;
  }
}

/* The ground truth (index into the cell) detection d takes at threshold
 * thr, or -1: the last best overlap >= thr among those still free (a crowd
 * is never taken), stopping at the first ignored one once a regular one
 * matched. */
static int
best_match (const dd_eval_cell *cell, const double *row, const int *cand, int n_cand,
    double thr, const dd_eval_scratch *s)
{
  double best = MIN (thr, 1 - 1e-10);
  int m = -1;
  for (int j = 0; j < n_cand; j++) {
    int g = cand[j];
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
    find_candidates (cell, overlaps, MIN (p->iou_thrs[0], 1 - 1e-10), s);
    for (int t = 0; t < DD_EVAL_N_IOU; t++) {
      memset (s->gt_taken, 0, cell->n_gts);
      for (int d = 0; d < cell->n_dts; d++) {
        int m = best_match (cell, overlaps + (gsize) d * cell->n_gts,
            s->candidates + (gsize) d * cell->n_gts, s->n_candidates[d], p->iou_thrs[t], s);
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
