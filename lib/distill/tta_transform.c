#include "distill/tta_transform.h"

#include <stdio.h>

dd_tta_transform
dd_tta_identity (int frame_width, int frame_height)
{
  return (dd_tta_transform) {
    .frame_width = frame_width, .frame_height = frame_height,
    .width = frame_width, .height = frame_height, .flip = FALSE,
  };
}

gboolean
dd_tta_is_identity (const dd_tta_transform *t)
{
  return t->width == t->frame_width && t->height == t->frame_height && !t->flip;
}

double
dd_tta_scale_x (const dd_tta_transform *t)
{
  return (double) t->width / t->frame_width;
}

double
dd_tta_scale_y (const dd_tta_transform *t)
{
  return (double) t->height / t->frame_height;
}

void
dd_tta_transform_name (const dd_tta_transform *t, char *buf, size_t size)
{
  snprintf (buf, size, "%dx%d%s", t->width, t->height, t->flip ? "f" : "");
}

/* A side that keeps its size is passed through untouched, so the identity
 * (and a mirror at the frame's size) is exact to the bit; otherwise
 * multiplying by one size and dividing by the other (rather than by a
 * precomputed ratio) makes forward then inverse agree to a double's last
 * bits. */
static double
scale (double x, int to, int from)
{
  return to == from ? x : x * to / from;
}

void
dd_tta_point_forward (const dd_tta_transform *t, double x, double y,
    double *u, double *v)
{
  double ux = scale (x, t->width, t->frame_width);
  *u = t->flip ? t->width - ux : ux;
  *v = scale (y, t->height, t->frame_height);
}

void
dd_tta_point_inverse (const dd_tta_transform *t, double u, double v,
    double *x, double *y)
{
  double ux = t->flip ? t->width - u : u;
  *x = scale (ux, t->frame_width, t->width);
  *y = scale (v, t->frame_height, t->height);
}

static void
map_box (const dd_tta_transform *t, const float in[4], float out[4],
    void (*map) (const dd_tta_transform *, double, double, double *, double *))
{
  double xa, ya, xb, yb;
  map (t, in[0], in[1], &xa, &ya);
  map (t, in[2], in[3], &xb, &yb);
  out[0] = (float) (t->flip ? xb : xa);
  out[1] = (float) ya;
  out[2] = (float) (t->flip ? xa : xb);
  out[3] = (float) yb;
}

void
dd_tta_box_forward (const dd_tta_transform *t, const float in[4], float out[4])
{
  map_box (t, in, out, dd_tta_point_forward);
}

void
dd_tta_box_inverse (const dd_tta_transform *t, const float in[4], float out[4])
{
  map_box (t, in, out, dd_tta_point_inverse);
}

static void
map_detection (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_detection *in, dd_detection *out,
    void (*map) (const dd_tta_transform *, double, double, double *, double *))
{
  dd_keypoint kps[DD_MAX_KEYPOINTS];
  int n = CLAMP (in->n_keypoints, 0, DD_MAX_KEYPOINTS);
  for (int k = 0; k < n; k++) {
    const dd_keypoint *src = &in->keypoints[t->flip ? fm->partner[k] : k];
    double x, y;
    map (t, src->x, src->y, &x, &y);
    kps[k] = (dd_keypoint) { .x = (float) x, .y = (float) y, .score = src->score };
  }
  if (out != in)
    *out = *in;
  map_box (t, in->box, out->box, map);
  for (int k = 0; k < n; k++)
    out->keypoints[k] = kps[k];
}

void
dd_tta_detection_forward (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_detection *in, dd_detection *out)
{
  map_detection (t, fm, in, out, dd_tta_point_forward);
}

void
dd_tta_detection_inverse (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_detection *in, dd_detection *out)
{
  map_detection (t, fm, in, out, dd_tta_point_inverse);
}
