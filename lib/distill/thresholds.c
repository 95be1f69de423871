#include "distill/thresholds.h"

#include <math.h>

void
dd_thresholds_clear (dd_thresholds *t)
{
  for (int c = 0; c < t->n_classes; c++)
    g_free (t->classes[c].name);
  g_free (t->classes);
  *t = (dd_thresholds) { 0 };
}

gboolean
dd_thresholds_keep (const dd_thresholds *t, const dd_detection *d)
{
  return d->class_index >= 0 && d->class_index < t->n_classes
      && d->score >= t->classes[d->class_index].score;
}

int
dd_thresholds_count_keypoints (const dd_thresholds *t, const dd_detection *d)
{
  int n = 0;
  for (int k = 0; k < d->n_keypoints; k++)
    n += d->keypoints[k].score >= t->keypoint_score;
  return n;
}
