/* Precision and recall of one category, as COCOeval.accumulate: detections
 * of all images ranked by score together, cumulative true and false
 * positives, precision made monotone from the right and read at 101 recall
 * points. */
#include "eval/eval_private.h"

/* One (threshold, area range, maxDets) over the kept detections. */
static void
curve (dd_eval_result *r, int t, int k, int a, int m, const dd_eval_ranked *dets,
    guint n_kept, dd_eval_scratch *s)
{
  const dd_eval_params *p = &r->params;
  double npig = dets->n_regular[a];
  double *pr = s->curve_pr, *rc = s->curve_rc;
  double tp = 0, fp = 0;
  for (guint j = 0; j < n_kept; j++) {
    uint8_t st = dets->status[((gsize) s->kept[j] * p->n_areas + a) * DD_EVAL_N_IOU + t];
    tp += st == DD_EVAL_TP;
    fp += st == DD_EVAL_FP;
    rc[j] = tp / npig;
    pr[j] = tp / (fp + tp + DD_EVAL_SPACING_1);
  }
  r->recall[dd_eval_recall_at (r, t, k, a, m)] = n_kept ? rc[n_kept - 1] : 0;
  /* The precision at a recall is the best at that recall or beyond. */
  for (guint j = n_kept; j-- > 1;)
    if (pr[j] > pr[j - 1])
      pr[j - 1] = pr[j];
  /* The first detection reaching each recall point (numpy's searchsorted,
   * side='left'); none reaching it: precision 0. */
  guint j = 0;
  for (int ri = 0; ri < DD_EVAL_N_RECALL; ri++) {
    while (j < n_kept && rc[j] < p->rec_thrs[ri])
      j++;
    r->precision[dd_eval_precision_at (r, t, ri, k, a, m)] = j < n_kept ? pr[j] : 0;
  }
}

void
dd_eval_accumulate (dd_eval_result *r, int k, const dd_eval_ranked *dets,
    dd_eval_scratch *s)
{
  const dd_eval_params *p = &r->params;
  g_autofree uint32_t *order = g_new (uint32_t, dets->n ? dets->n : 1);
  g_autofree uint32_t *tmp = g_new (uint32_t, dets->n ? dets->n : 1);
  for (guint i = 0; i < dets->n; i++)
    order[i] = i;
  dd_eval_rank_by_score (order, dets->n, dets->scores, tmp);
  dd_eval_scratch_reserve_curve (s, dets->n ? dets->n : 1);

  for (int a = 0; a < p->n_areas; a++) {
    if (dets->n_regular[a] == 0)
      continue;
    for (int m = 0; m < p->n_max_dets; m++) {
      /* maxDets m keeps each image's first max_dets[m] of the ranking. */
      guint n_kept = 0;
      for (guint i = 0; i < dets->n; i++)
        if (dets->ranks[order[i]] < p->max_dets[m])
          s->kept[n_kept++] = order[i];
      for (int t = 0; t < DD_EVAL_N_IOU; t++)
        curve (r, t, k, a, m, dets, n_kept, s);
    }
  }
}
