/* The layers that move values across the plane, each channel on its own:
 * max-pool and the 2x nearest and bilinear upsamplings, as PyTorch's
 * max_pool2d (ceil_mode=False) and interpolate(scale_factor=2). */
#include <math.h>

#include "nn/reference_ops.h"

/* Max-pool, x [N, C, H, W] -> y [N, C, OH, OW], window k x k at
 * (i*stride - pad, j*stride - pad); padding is -inf, so only real values
 * count. Returns the offset in the plane of the window's maximum: the first
 * in row-major window order on ties, the last NaN if there is one, as
 * PyTorch's CPU kernel does. */
static int
window_argmax (const dd_pool_attr *a, const float *plane, int h, int w, int i, int j)
{
  int best = -1;
  float best_v = -INFINITY;
  for (int u = 0; u < a->k; u++) {
    int ih = i * a->stride - a->pad + u;
    if (ih < 0 || ih >= h)
      continue;
    for (int v = 0; v < a->k; v++) {
      int iw = j * a->stride - a->pad + v;
      if (iw < 0 || iw >= w)
        continue;
      float val = plane[ih * w + iw];
      if (best < 0 || val > best_v || isnan (val)) {
        best = ih * w + iw;
        best_v = val;
      }
    }
  }
  return best;
}

void
dd_ref_maxpool_forward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  for (int n = 0; n < os.n; n++)
    for (int c = 0; c < os.c; c++) {
      const float *plane = l->inputs[0]->y + dd_ref_at (is, n, c, 0, 0);
      for (int i = 0; i < os.h; i++)
        for (int j = 0; j < os.w; j++)
          l->y[dd_ref_at (os, n, c, i, j)] =
              plane[window_argmax (&l->pool, plane, is.h, is.w, i, j)];
    }
}

/* The whole gradient of each output goes to the input its maximum came
 * from. */
void
dd_ref_maxpool_backward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  if (!l->inputs[0]->dy)
    return;
  for (int n = 0; n < os.n; n++)
    for (int c = 0; c < os.c; c++) {
      const float *plane = l->inputs[0]->y + dd_ref_at (is, n, c, 0, 0);
      float *dplane = l->inputs[0]->dy + dd_ref_at (is, n, c, 0, 0);
      for (int i = 0; i < os.h; i++)
        for (int j = 0; j < os.w; j++)
          dplane[window_argmax (&l->pool, plane, is.h, is.w, i, j)] +=
              l->dy[dd_ref_at (os, n, c, i, j)];
    }
}

/* Nearest 2x: y[n, c, i, j] = x[n, c, i/2, j/2]. */
void
dd_ref_upsample_nearest_forward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  for (int n = 0; n < os.n; n++)
    for (int c = 0; c < os.c; c++)
      for (int i = 0; i < os.h; i++)
        for (int j = 0; j < os.w; j++)
          l->y[dd_ref_at (os, n, c, i, j)] = l->inputs[0]->y[dd_ref_at (is, n, c, i / 2, j / 2)];
}

/* Each input element gets the sum of its 2x2 block of output gradients. */
void
dd_ref_upsample_nearest_backward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  if (!l->inputs[0]->dy)
    return;
  for (int n = 0; n < is.n; n++)
    for (int c = 0; c < is.c; c++)
      for (int i = 0; i < is.h; i++)
        for (int j = 0; j < is.w; j++) {
          double sum = (double) l->dy[dd_ref_at (os, n, c, 2 * i, 2 * j)]
              + l->dy[dd_ref_at (os, n, c, 2 * i, 2 * j + 1)]
              + l->dy[dd_ref_at (os, n, c, 2 * i + 1, 2 * j)]
              + l->dy[dd_ref_at (os, n, c, 2 * i + 1, 2 * j + 1)];
          l->inputs[0]->dy[dd_ref_at (is, n, c, i, j)] += (float) sum;
        }
}

/* Where output row (or column) `dst` reads from along one axis of an input
 * of `size`: two neighbours and their weights. align_corners=False with
 * PyTorch's rule: source = (dst + 0.5) / 2 - 0.5, clamped at 0, and the
 * second neighbour clamped to the last row. */
typedef struct bilinear_tap {
  int i0, i1;
  double w0, w1;
} bilinear_tap;

static bilinear_tap
tap_of (int dst, int size)
{
  double src = (dst + 0.5) * 0.5 - 0.5;
  if (src < 0.0)
    src = 0.0;
  bilinear_tap t;
  t.i0 = (int) src;
  t.i1 = t.i0 < size - 1 ? t.i0 + 1 : t.i0;
  t.w1 = src - t.i0;
  t.w0 = 1.0 - t.w1;
  return t;
}

void
dd_ref_upsample_bilinear_forward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  for (int n = 0; n < os.n; n++)
    for (int c = 0; c < os.c; c++) {
      const float *x = l->inputs[0]->y + dd_ref_at (is, n, c, 0, 0);
      for (int i = 0; i < os.h; i++) {
        bilinear_tap r = tap_of (i, is.h);
        for (int j = 0; j < os.w; j++) {
          bilinear_tap q = tap_of (j, is.w);
          double top = q.w0 * x[r.i0 * is.w + q.i0] + q.w1 * x[r.i0 * is.w + q.i1];
          double bottom = q.w0 * x[r.i1 * is.w + q.i0] + q.w1 * x[r.i1 * is.w + q.i1];
          l->y[dd_ref_at (os, n, c, i, j)] = (float) (r.w0 * top + r.w1 * bottom);
        }
      }
    }
}

/* Each output gradient goes back to its four neighbours by the same
 * weights. */
void
dd_ref_upsample_bilinear_backward (dd_layer *l)
{
  dd_shape is = l->inputs[0]->out_shape, os = l->out_shape;
  if (!l->inputs[0]->dy)
    return;
  for (int n = 0; n < os.n; n++)
    for (int c = 0; c < os.c; c++) {
      float *dx = l->inputs[0]->dy + dd_ref_at (is, n, c, 0, 0);
      for (int i = 0; i < os.h; i++) {
        bilinear_tap r = tap_of (i, is.h);
        for (int j = 0; j < os.w; j++) {
          bilinear_tap q = tap_of (j, is.w);
          double g = l->dy[dd_ref_at (os, n, c, i, j)];
          dx[r.i0 * is.w + q.i0] += (float) (r.w0 * q.w0 * g);
          dx[r.i0 * is.w + q.i1] += (float) (r.w0 * q.w1 * g);
          dx[r.i1 * is.w + q.i0] += (float) (r.w1 * q.w0 * g);
          dx[r.i1 * is.w + q.i1] += (float) (r.w1 * q.w1 * g);
        }
      }
    }
}
