#include "distill/class_average.h"

#include <glib.h>
#include <math.h>

int
dd_class_average (const float *probs, int n_passes, int n_classes, float *mean)
{
  int best = 0;
  for (int c = 0; c < n_classes; c++) {
    double sum = 0.0;
    for (int p = 0; p < n_passes; p++)
      sum += probs[(size_t) p * n_classes + c];
    mean[c] = (float) (sum / MAX (n_passes, 1));
    if (mean[c] > mean[best])
      best = c;
  }
  return best;
}

void
dd_class_probs_at_box (const dd_head_maps *maps, const float box[4], float *probs)
{
  double cx = ((double) box[0] + box[2]) / 2.0, cy = ((double) box[1] + box[3]) / 2.0;
  int j = (int) CLAMP (floor (cx / maps->stride), 0.0, maps->w - 1.0);
  int i = (int) CLAMP (floor (cy / maps->stride), 0.0, maps->h - 1.0);
  size_t plane = (size_t) maps->h * maps->w;
  for (int c = 0; c < maps->n_classes; c++)
    probs[c] = maps->center[c * plane + (size_t) i * maps->w + j];
}
