#include "distill/heatmap_keypoints.h"

#include "model/heatmap_refine.h"

#include <glib.h>
#include <math.h>

/* The cells whose centres (c + 0.5) * stride lie in [lo, hi], or the cell
 * holding the middle when there are none. */
static void
cell_range (double lo, double hi, int stride, int n, int *first, int *last)
{
  double a = ceil (lo / stride - 0.5), b = floor (hi / stride - 0.5);
  if (a > b) {
    a = b = floor ((lo + hi) / 2.0 / stride);
  }
  *first = (int) CLAMP (a, 0.0, n - 1.0);
  *last = (int) CLAMP (b, 0.0, n - 1.0);
}

void
dd_keypoints_argmax_in_box (const dd_head_maps *maps, const float box[4],
    dd_keypoint *out)
{
  int j0, j1, i0, i1;
  cell_range (box[0], box[2], maps->stride, maps->w, &j0, &j1);
  cell_range (box[1], box[3], maps->stride, maps->h, &i0, &i1);
  size_t plane = (size_t) maps->h * maps->w;
  for (int k = 0; k < MIN (maps->n_keypoints, DD_MAX_KEYPOINTS); k++) {
    const float *hm = maps->keypoint_heatmap + k * plane;
    int bi = i0, bj = j0;
    float best = hm[(size_t) i0 * maps->w + j0];
    for (int i = i0; i <= i1; i++)
      for (int j = j0; j <= j1; j++)
        if (hm[(size_t) i * maps->w + j] > best) {
          best = hm[(size_t) i * maps->w + j];
          bi = i;
          bj = j;
        }
    float fx, fy;
    dd_heatmap_refine (hm, maps->h, maps->w, bj, bi, &fx, &fy);
    out[k] = (dd_keypoint) {
      .x = fx * maps->stride,
      .y = fy * maps->stride,
      .score = best,
    };
  }
}
