#include "distill/heatmap_keypoints.h"

#include "model/heatmap_peak.h"
#include "model/heatmap_refine.h"

#include <float.h>
#include <math.h>

/* The arithmetic below is in float, step for step as lib/model/decode.c
 * does it, so that a single pass read here gives the decoder's keypoints
 * to the bit (tests/distill/test_ensemble.c checks it). */

void
dd_keypoint_peaks_init (dd_keypoint_peaks *p)
{
  p->peaks = g_array_new (FALSE, FALSE, sizeof (int));
  for (int k = 0; k <= DD_MAX_KEYPOINTS; k++)
    p->first[k] = 0;
}

void
dd_keypoint_peaks_clear (dd_keypoint_peaks *p)
{
  if (p->peaks)
    g_array_unref (p->peaks);
  p->peaks = NULL;
}

void
dd_keypoint_peaks_find (dd_keypoint_peaks *p, const dd_head_maps *maps,
    float threshold)
{
  size_t plane = (size_t) maps->h * maps->w;
  g_array_set_size (p->peaks, 0);
  int n = MIN (maps->n_keypoints, DD_MAX_KEYPOINTS);
  for (int k = 0; k < n; k++) {
    const float *hm = maps->keypoint_heatmap + k * plane;
    p->first[k] = (int) p->peaks->len;
    for (int y = 0; y < maps->h; y++)
      for (int x = 0; x < maps->w; x++) {
        float v = hm[(size_t) y * maps->w + x];
        if (v >= threshold && v > 0.0f
            && dd_heatmap_is_peak (hm, maps->h, maps->w, x, y)) {
          int at = y * maps->w + x;
          g_array_append_val (p->peaks, at);
        }
      }
  }
  for (int k = n; k <= DD_MAX_KEYPOINTS; k++)
    p->first[k] = (int) p->peaks->len;
}

static float
value_at (const dd_head_maps *m, const float *plane, float x, float y)
{
  int cx = (int) floorf (x / m->stride), cy = (int) floorf (y / m->stride);
  if (cx < 0 || cy < 0 || cx >= m->w || cy >= m->h)
    return 0.0f;
  return plane[(size_t) cy * m->w + cx];
}

void
dd_keypoints_snap_in_box (const dd_head_maps *m, const dd_keypoint_peaks *peaks,
    const float box[4], dd_keypoint *out)
{
  size_t plane = (size_t) m->h * m->w;
  double mid_x = ((double) box[0] + box[2]) / 2.0, mid_y = ((double) box[1] + box[3]) / 2.0;
  int cx = (int) CLAMP (floor (mid_x / m->stride), 0.0, m->w - 1.0);
  int cy = (int) CLAMP (floor (mid_y / m->stride), 0.0, m->h - 1.0);
  size_t at = (size_t) cy * m->w + cx;
  float ref_x = (cx + 0.5f) * m->stride, ref_y = (cy + 0.5f) * m->stride;
  const int *cells = (const int *) peaks->peaks->data;
  for (int k = 0; k < MIN (m->n_keypoints, DD_MAX_KEYPOINTS); k++) {
    const float *hm = m->keypoint_heatmap + k * plane;
    dd_keypoint kp = {
      .x = ref_x + m->keypoint_offset[(2 * k) * plane + at],
      .y = ref_y + m->keypoint_offset[(2 * k + 1) * plane + at],
    };
    int best = -1;
    float best_d2 = FLT_MAX;
    for (int i = peaks->first[k]; i < peaks->first[k + 1]; i++) {
      int x = cells[i] % m->w, y = cells[i] / m->w;
      float px = (x + 0.5f) * m->stride, py = (y + 0.5f) * m->stride;
      if (px < box[0] || px > box[2] || py < box[1] || py > box[3])
        continue;
      float d2 = (px - kp.x) * (px - kp.x) + (py - kp.y) * (py - kp.y);
      if (d2 < best_d2) {
        best_d2 = d2;
        best = cells[i];
      }
    }
    if (best >= 0) {
      float fx, fy;
      dd_heatmap_refine (hm, m->h, m->w, best % m->w, best / m->w, &fx, &fy);
      kp.x = fx * m->stride;
      kp.y = fy * m->stride;
      kp.score = hm[best];
    } else {
      kp.score = value_at (m, hm, kp.x, kp.y);
    }
    out[k] = kp;
  }
}
