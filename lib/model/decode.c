#include "model/decode.h"

#include "model/heatmap_peak.h"
#include "model/heatmap_refine.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

void
dd_decode_params_defaults (dd_decode_params *p)
{
  *p = (dd_decode_params) {
    .max_detections = 100,
    .min_score = 0.0f,
    .keypoint_threshold = 0.1f,
  };
}

typedef struct peak {
  float score;
  int channel, x, y;
  size_t order;                 /* position in the map, for stable ties */
} peak;

/* The peaks of `n_channels` planes at or above `threshold` (and above 0:
 * a plateau of zeros is nothing), in map order.
 * Returns the count (*out is NULL when there are none), -1 when out of
 * memory. */
static int
find_peaks (const float *planes, int n_channels, int h, int w, float threshold,
            peak **out)
{
  size_t plane = (size_t) h * w;
  int n = 0, cap = 0;
  *out = NULL;
  for (int c = 0; c < n_channels; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = planes[c * plane + (size_t) y * w + x];
        if (!(v >= threshold && v > 0.0f)
            || !dd_heatmap_is_peak (planes + c * plane, h, w, x, y))
          continue;
        if (n == cap) {
          cap = cap ? 2 * cap : 64;
          peak *grown = realloc (*out, (size_t) cap * sizeof *grown);
          if (!grown) {
            free (*out);
            *out = NULL;
            return -1;
          }
          *out = grown;
        }
        (*out)[n++] = (peak) {v, c, x, y, c * plane + (size_t) y * w + x};
      }
  return n;
}

static int
by_score (const void *a, const void *b)
{
  const peak *p = a, *q = b;
  if (p->score != q->score)
    return p->score > q->score ? -1 : 1;
  return p->order < q->order ? -1 : p->order > q->order;
}

static float
value_at (const dd_head_maps *m, const float *plane, float x, float y)
{
  int cx = (int) floorf (x / m->stride), cy = (int) floorf (y / m->stride);
  if (cx < 0 || cy < 0 || cx >= m->w || cy >= m->h)
    return 0.0f;
  return plane[(size_t) cy * m->w + cx];
}

/* Squared distance from (x, y) to the cell (cx, cy), 0 inside it. */
static float
distance2_to_cell (const dd_head_maps *m, float x, float y, int cx, int cy)
{
  float x0 = (float) cx * m->stride, y0 = (float) cy * m->stride;
  float dx = x < x0 ? x0 - x : x > x0 + m->stride ? x - x0 - m->stride : 0.0f;
  float dy = y < y0 ? y0 - y : y > y0 + m->stride ? y - y0 - m->stride : 0.0f;
  return dx * dx + dy * dy;
}

/* Snaps keypoint k of `d` to the qualifying peak in `peaks` (all of
 * channel k) whose cell is nearest its regressed position. */
static void
snap_keypoint (const dd_head_maps *m, dd_detection *d, int k, const peak *peaks,
               int n_peaks)
{
  dd_keypoint *kp = &d->keypoints[k];
  const peak *best = NULL;
  float best_d2 = FLT_MAX;
  for (int i = 0; i < n_peaks; i++) {
    float x0 = (float) peaks[i].x * m->stride, y0 = (float) peaks[i].y * m->stride;
    if (x0 > d->box[2] || x0 + m->stride < d->box[0] || y0 > d->box[3]
        || y0 + m->stride < d->box[1])
      continue;
    float d2 = distance2_to_cell (m, kp->x, kp->y, peaks[i].x, peaks[i].y);
    if (d2 < best_d2) {
      best_d2 = d2;
      best = &peaks[i];
    }
  }
  const float *plane = m->keypoint_heatmap + (size_t) k * m->h * m->w;
  if (best) {
    float fx, fy;
    dd_heatmap_refine (plane, m->h, m->w, best->x, best->y, &fx, &fy);
    kp->x = fx * m->stride;
    kp->y = fy * m->stride;
    kp->score = best->score;
  } else {
    kp->score = value_at (m, plane, kp->x, kp->y);
  }
}

static void
decode_one (const dd_head_maps *m, const peak *c, dd_detection *d)
{
  size_t plane = (size_t) m->h * m->w;
  size_t at = (size_t) c->y * m->w + c->x;
  float cx = (c->x + m->offset[at]) * m->stride;
  float cy = (c->y + m->offset[plane + at]) * m->stride;
  float bw = fmaxf (m->size[at], 0.0f), bh = fmaxf (m->size[plane + at], 0.0f);
  d->class_index = c->channel;
  d->score = c->score;
  d->box[0] = cx - 0.5f * bw;
  d->box[1] = cy - 0.5f * bh;
  d->box[2] = cx + 0.5f * bw;
  d->box[3] = cy + 0.5f * bh;
  d->n_keypoints = m->n_keypoints < DD_MAX_KEYPOINTS ? m->n_keypoints : DD_MAX_KEYPOINTS;
  float ref_x = (c->x + 0.5f) * m->stride, ref_y = (c->y + 0.5f) * m->stride;
  for (int k = 0; k < d->n_keypoints; k++)
    d->keypoints[k] = (dd_keypoint) {
      .x = ref_x + m->keypoint_offset[(2 * k) * plane + at],
      .y = ref_y + m->keypoint_offset[(2 * k + 1) * plane + at],
    };
}

int
dd_decode (const dd_head_maps *m, const dd_decode_params *p, dd_detection *out)
{
  if (p->max_detections <= 0)
    return 0;
  peak *centres, *keypoints = NULL;
  int n = find_peaks (m->center, m->n_classes, m->h, m->w, p->min_score, &centres);
  int n_kp = 0;
  if (n > 0 && m->n_keypoints > 0)
    n_kp = find_peaks (m->keypoint_heatmap, m->n_keypoints, m->h, m->w,
                       p->keypoint_threshold, &keypoints);
  if (n < 0 || n_kp < 0) {
    free (centres);
    return -1;
  }
  if (n > 1)
    qsort (centres, (size_t) n, sizeof *centres, by_score);
  if (n > p->max_detections)
    n = p->max_detections;
  /* find_peaks lists keypoint peaks channel by channel. */
  int first[DD_MAX_KEYPOINTS + 1] = {0};
  for (int k = 0, i = 0; k < DD_MAX_KEYPOINTS; k++) {
    while (i < n_kp && keypoints[i].channel == k)
      i++;
    first[k + 1] = i;
  }
  for (int i = 0; i < n; i++) {
    decode_one (m, &centres[i], &out[i]);
    for (int k = 0; k < out[i].n_keypoints; k++)
      snap_keypoint (m, &out[i], k, keypoints + first[k], first[k + 1] - first[k]);
  }
  free (centres);
  free (keypoints);
  return n;
}
