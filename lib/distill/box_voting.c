#include "distill/boxes.h"

#include <math.h>

/* The new score of a box from its voters' scores s and IoUs o. */
static double
vote_score (double own, const double *s, const double *o, int n,
    dd_vote_scoring scoring, double beta)
{
  double a = 0.0, b = 0.0;
  switch (scoring) {
    case DD_VOTE_ID:
      return own;
    case DD_VOTE_TEMP_AVG:
      /* Each score as P(class) against P(not class), sharpened or smoothed by
       * the temperature, then averaged. */
      for (int i = 0; i < n; i++) {
        double p = pow (s[i], 1.0 / beta), q = pow (1.0 - s[i], 1.0 / beta);
        a += p / (p + q);
      }
      return a / n;
    case DD_VOTE_AVG:
      for (int i = 0; i < n; i++)
        a += s[i];
      return a / n;
    case DD_VOTE_IOU_AVG:
      for (int i = 0; i < n; i++) {
        a += o[i] * s[i];
        b += o[i];
      }
      return a / b;
    case DD_VOTE_GENERALIZED_AVG:
      for (int i = 0; i < n; i++)
        a += pow (s[i], beta);
      return pow (a / n, 1.0 / beta);
    case DD_VOTE_QUASI_SUM:
      for (int i = 0; i < n; i++)
        a += s[i];
      return a / pow (n, beta);
  }
  return own;
}

void
dd_box_vote (dd_box_candidate *top, int n_top, const dd_box_candidate *all,
    int n_all, double iou_threshold, dd_vote_scoring scoring, double beta)
{
  double *s = g_new (double, MAX (n_all, 1));
  double *o = g_new (double, MAX (n_all, 1));
  for (int k = 0; k < n_top; k++) {
    dd_box_candidate *t = &top[k];
    double sum[4] = { 0 }, weight = 0.0;
    int n = 0;
    for (int i = 0; i < n_all; i++) {
      if (all[i].class_index != t->class_index)
        continue;
      double iou = dd_box_iou (t->box, all[i].box);
      if (iou < iou_threshold)
        continue;
      s[n] = all[i].score;
      o[n++] = iou;
      for (int c = 0; c < 4; c++)
        sum[c] += (double) all[i].score * all[i].box[c];
      weight += all[i].score;
    }
    if (n == 0)
      continue;                 /* not among `all`: nothing votes for it */
    if (weight > 0.0)
      for (int c = 0; c < 4; c++)
        t->box[c] = (float) (sum[c] / weight);
    t->score = (float) vote_score (t->score, s, o, n, scoring, beta);
  }
  g_free (s);
  g_free (o);
}
