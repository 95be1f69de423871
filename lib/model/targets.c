#include "model/targets.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

dd_targets *
dd_targets_new (int n, int h, int w, int stride, int n_classes, int n_keypoints)
{
  dd_targets *t = calloc (1, sizeof *t);
  if (!t)
    return NULL;
  size_t plane = (size_t) (h > 0 ? h : 0) * (w > 0 ? w : 0);
  t->value = dd_head_batch_new (n, h, w, stride, n_classes, n_keypoints);
  t->box_mask = t->value ? calloc ((size_t) n * 2 * plane, sizeof (float)) : NULL;
  t->keypoint_mask = t->value && n_keypoints > 0
      ? calloc ((size_t) n * 2 * n_keypoints * plane, sizeof (float)) : NULL;
  t->keypoint_ignored = t->value && n_keypoints > 0
      ? calloc ((size_t) n * n_keypoints * plane, sizeof (float)) : NULL;
  if (!t->value || !t->box_mask
      || (n_keypoints > 0 && (!t->keypoint_mask || !t->keypoint_ignored))) {
    dd_targets_free (t);
    return NULL;
  }
  return t;
}

void
dd_targets_free (dd_targets *t)
{
  if (!t)
    return;
  dd_head_batch_free (t->value);
  free (t->box_mask);
  free (t->keypoint_mask);
  free (t->keypoint_ignored);
  free (t);
}

void
dd_targets_clear (dd_targets *t)
{
  const dd_head_maps *m = &t->value->maps[0];
  size_t plane = (size_t) m->h * m->w;
  dd_head_batch_zero (t->value);
  memset (t->box_mask, 0, (size_t) t->value->n * 2 * plane * sizeof (float));
  if (t->keypoint_mask) {
    memset (t->keypoint_mask, 0,
            (size_t) t->value->n * 2 * m->n_keypoints * plane * sizeof (float));
    memset (t->keypoint_ignored, 0,
            (size_t) t->value->n * m->n_keypoints * plane * sizeof (float));
  }
}

/* CenterNet's formula as its code has it (each root's "/ 2" where the
 * quadratic formula has "/ (2a)"): every trained CenterNet model uses these
 * radii, so they are kept. */
int
dd_gaussian_radius (double h, double w)
{
  const double min_overlap = 0.7;
  double b1 = h + w;
  double c1 = w * h * (1.0 - min_overlap) / (1.0 + min_overlap);
  double r1 = (b1 + sqrt (b1 * b1 - 4.0 * c1)) / 2.0;
  double b2 = 2.0 * (h + w);
  double c2 = (1.0 - min_overlap) * w * h;
  double r2 = (b2 + sqrt (b2 * b2 - 16.0 * c2)) / 2.0;
  double a3 = 4.0 * min_overlap;
  double b3 = -2.0 * min_overlap * (h + w);
  double c3 = (min_overlap - 1.0) * w * h;
  double r3 = (b3 + sqrt (b3 * b3 - 4.0 * a3 * c3)) / 2.0;
  double r = fmin (r1, fmin (r2, r3));
  return r > 0.0 ? (int) r : 0;
}

void
dd_draw_gaussian (float *plane, int h, int w, int x, int y, int radius)
{
  double sigma = (2.0 * radius + 1.0) / 6.0;
  /* CenterNet zeroes what falls below machine epsilon of the peak. */
  for (int dy = -radius; dy <= radius; dy++) {
    int yy = y + dy;
    if (yy < 0 || yy >= h)
      continue;
    for (int dx = -radius; dx <= radius; dx++) {
      int xx = x + dx;
      if (xx < 0 || xx >= w)
        continue;
      double g = exp (-(dx * dx + dy * dy) / (2.0 * sigma * sigma));
      if (g < DBL_EPSILON)
        continue;
      float *cell = plane + (size_t) yy * w + xx;
      if ((float) g > *cell)
        *cell = (float) g;
    }
  }
}

void
dd_draw_gaussian_at (float *plane, int h, int w, double x, double y, int radius)
{
  double sigma = (2.0 * radius + 1.0) / 6.0;
  int px = (int) floor (x), py = (int) floor (y);
  /* Relative to the value at the peak cell's centre, so that cell is 1. */
  double peak_d2 = (px + 0.5 - x) * (px + 0.5 - x) + (py + 0.5 - y) * (py + 0.5 - y);
  for (int yy = py - radius; yy <= py + radius; yy++) {
    if (yy < 0 || yy >= h)
      continue;
    for (int xx = px - radius; xx <= px + radius; xx++) {
      if (xx < 0 || xx >= w)
        continue;
      double ex = xx + 0.5 - x, ey = yy + 0.5 - y;
      double g = exp (-(ex * ex + ey * ey - peak_d2) / (2.0 * sigma * sigma));
      if (g < DBL_EPSILON)
        continue;
      float *cell = plane + (size_t) yy * w + xx;
      /* A point on a cell border is as near the neighbour as the peak
       * cell; the focal loss takes every 1 for a positive, so only the
       * peak may hold one. */
      float v = xx == px && yy == py ? 1.0f : (float) fmin (g, 1.0 - FLT_EPSILON);
      if (v > *cell)
        *cell = v;
    }
  }
}

static int
cell_of (double pixels, int stride, int n)
{
  int c = (int) floor (pixels / stride);
  return c < 0 ? 0 : c >= n ? n - 1 : c;
}

static void
encode_keypoints (dd_targets *t, int image, const dd_coco_annotation *a,
                  int cx, int cy, int radius)
{
  dd_head_maps *m = &t->value->maps[image];
  size_t plane = (size_t) m->h * m->w;
  size_t centre = (size_t) cy * m->w + cx;
  float *mask = t->keypoint_mask + (size_t) image * 2 * m->n_keypoints * plane;
  double ref_x = (cx + 0.5) * m->stride, ref_y = (cy + 0.5) * m->stride;
  for (int k = 0; k < m->n_keypoints; k++) {
    const float *kp = a->keypoints + 3 * k;
    if (kp[2] <= 0.0f || kp[0] < 0.0f || kp[1] < 0.0f
        || kp[0] >= (float) (m->w * m->stride) || kp[1] >= (float) (m->h * m->stride))
      continue;
    dd_draw_gaussian_at (m->keypoint_heatmap + k * plane, m->h, m->w,
        kp[0] / m->stride, kp[1] / m->stride, radius > 1 ? radius : 1);
    m->keypoint_offset[(2 * k) * plane + centre] = (float) (kp[0] - ref_x);
    m->keypoint_offset[(2 * k + 1) * plane + centre] = (float) (kp[1] - ref_y);
    mask[(2 * k) * plane + centre] = 1.0f;
    mask[(2 * k + 1) * plane + centre] = 1.0f;
  }
}

/* Whether dd_targets_encode encodes the annotation at all. */
static int
is_encoded (const dd_head_maps *m, const dd_coco_annotation *a, int cls)
{
  return !a->iscrowd && cls >= 0 && cls < m->n_classes && a->bbox[2] > 0.0
      && a->bbox[3] > 0.0;
}

void
dd_targets_encode (dd_targets *t, int image, const dd_coco_annotation *anns,
                   const int *class_index, int n_anns)
{
  dd_head_maps *m = &t->value->maps[image];
  size_t plane = (size_t) m->h * m->w;
  float *box_mask = t->box_mask + (size_t) image * 2 * plane;
  for (int i = 0; i < n_anns; i++) {
    const dd_coco_annotation *a = &anns[i];
    int cls = class_index[i];
    if (!is_encoded (m, a, cls))
      continue;
    double px = a->bbox[0] + 0.5 * a->bbox[2], py = a->bbox[1] + 0.5 * a->bbox[3];
    int cx = cell_of (px, m->stride, m->w), cy = cell_of (py, m->stride, m->h);
    int radius = dd_gaussian_radius (ceil (a->bbox[3] / m->stride),
                                     ceil (a->bbox[2] / m->stride));
    dd_draw_gaussian (m->center + cls * plane, m->h, m->w, cx, cy, radius);
    size_t centre = (size_t) cy * m->w + cx;
    m->size[centre] = (float) a->bbox[2];
    m->size[plane + centre] = (float) a->bbox[3];
    m->offset[centre] = (float) (px / m->stride - cx);
    m->offset[plane + centre] = (float) (py / m->stride - cy);
    box_mask[centre] = box_mask[plane + centre] = 1.0f;
    if (a->n_keypoints == m->n_keypoints && m->n_keypoints > 0)
      encode_keypoints (t, image, a, cx, cy, radius);
  }
}

void
dd_targets_ignore_unlabelled_keypoints (dd_targets *t, int image,
    const dd_coco_annotation *anns, const int *class_index, int n_anns)
{
  const dd_head_maps *m = &t->value->maps[image];
  size_t plane = (size_t) m->h * m->w;
  float *ignored = t->keypoint_ignored + (size_t) image * m->n_keypoints * plane;
  for (int i = 0; i < n_anns; i++) {
    const dd_coco_annotation *a = &anns[i];
    if (!is_encoded (m, a, class_index[i]) || a->n_keypoints != m->n_keypoints)
      continue;
    /* Every cell the box touches. */
    int x0 = cell_of (a->bbox[0], m->stride, m->w);
    int y0 = cell_of (a->bbox[1], m->stride, m->h);
    int x1 = cell_of (a->bbox[0] + a->bbox[2], m->stride, m->w);
    int y1 = cell_of (a->bbox[1] + a->bbox[3], m->stride, m->h);
    for (int k = 0; k < m->n_keypoints; k++) {
      if (a->keypoints[3 * k + 2] > 0.0f)
        continue;
      for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
          ignored[k * plane + (size_t) y * m->w + x] = 1.0f;
    }
  }
}
