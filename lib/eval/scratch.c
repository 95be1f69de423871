/* Buffers the evaluator reuses from cell to cell and category to category,
 * grown on demand (doubling), so that no pair of boxes costs an allocation. */
#include "eval/eval_private.h"

#include <string.h>

void
dd_eval_scratch_reserve_cell (dd_eval_scratch *s, int n_dts, int n_gts)
{
  /* At least one of each, so no buffer is NULL even for a cell without
   * ground truth or detections: memset and friends may not be handed NULL,
   * whatever the length. */
  n_dts = MAX (n_dts, 1);
  n_gts = MAX (n_gts, 1);
  gsize pairs = (gsize) n_dts * n_gts;
  if (pairs > s->overlaps_size) {
    s->overlaps_size = MAX (pairs, 2 * s->overlaps_size);
    s->overlaps = g_renew (double, s->overlaps, s->overlaps_size);
  }
  if (pairs > s->candidates_size) {
    s->candidates_size = MAX (pairs, 2 * s->candidates_size);
    s->candidates = g_renew (int, s->candidates, s->candidates_size);
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
    s->n_candidates = g_renew (int, s->n_candidates, s->dt_size);
    s->dt_extents = g_renew (double, s->dt_extents, 4 * s->dt_size);
  }
}

void
dd_eval_scratch_reserve_curve (dd_eval_scratch *s, gsize n)
{
  if (n <= s->curve_size)
    return;
  s->curve_size = MAX (n, 2 * s->curve_size);
  s->curve_pr = g_renew (double, s->curve_pr, s->curve_size);
  s->curve_rc = g_renew (double, s->curve_rc, s->curve_size);
  s->kept = g_renew (uint32_t, s->kept, s->curve_size);
}

void
dd_eval_scratch_clear (dd_eval_scratch *s)
{
  g_free (s->overlaps);
  g_free (s->gt_order);
  g_free (s->gt_ignored);
  g_free (s->gt_taken);
  g_free (s->dt_outside);
  g_free (s->candidates);
  g_free (s->n_candidates);
  g_free (s->dt_extents);
  g_free (s->curve_pr);
  g_free (s->curve_rc);
  g_free (s->kept);
  memset (s, 0, sizeof *s);
}
