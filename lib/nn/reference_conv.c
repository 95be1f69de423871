/* conv2d as PyTorch's nn.Conv2d: cross-correlation with symmetric zero
 * padding, stride, dilation and groups.
 *   x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O], y [N, O, OH, OW]
 *   y[n,o,i,j] = bias[o] + sum_{c in o's group, a, b}
 *                weight[o, c - group start, a, b] * x[n, c, i*s - p + a*d, j*s - p + b*d]
 * In an inference graph, the residual input fuse_add_input is added and
 * then the ReLU applied (fuse_relu).
 * The backward passes are written as gathers (each output element sums its
 * own terms in double) rather than scatters. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/reference_ops.h"

typedef struct conv_geom {
  dd_shape in, out;
  int cin_g, cout_g;            /* channels per group */
  int kh, kw, sh, sw, ph, pw, dh, dw;
} conv_geom;

static conv_geom
geometry (const dd_layer *l)
{
  const dd_conv_attr *a = &l->conv;
  conv_geom g = {
    .in = l->inputs[0]->out_shape, .out = l->out_shape,
    .kh = a->kh, .kw = a->kw, .sh = a->stride_h, .sw = a->stride_w,
    .ph = a->pad_h, .pw = a->pad_w, .dh = a->dilation_h, .dw = a->dilation_w,
  };
  g.cin_g = g.in.c / a->groups;
  g.cout_g = a->out_channels / a->groups;
  return g;
}

/* Weight element (o, c within group, a, b). */
static size_t
weight_at (const conv_geom *g, int o, int cg, int a, int b)
{
  return (((size_t) o * g->cin_g + cg) * g->kh + a) * g->kw + b;
}

/* The output position whose tap `k` (dilated by d, stride s, padding p)
 * reads input position `i`, or -1 when none does. */
static int
source_of (int i, int k, int s, int p, int d, int out_size)
{
  int t = i + p - k * d;
  if (t < 0 || t % s)
    return -1;
  return t / s < out_size ? t / s : -1;
}

static double
output_sum (const conv_geom *g, const float *x, const float *w, int n, int o, int i, int j)
{
  int c0 = o / g->cout_g * g->cin_g;
  double acc = 0.0;
  for (int cg = 0; cg < g->cin_g; cg++) {
    const float *plane = x + dd_ref_at (g->in, n, c0 + cg, 0, 0);
    for (int a = 0; a < g->kh; a++) {
      int ih = i * g->sh - g->ph + a * g->dh;
      if (ih < 0 || ih >= g->in.h)
        continue;
      for (int b = 0; b < g->kw; b++) {
        int iw = j * g->sw - g->pw + b * g->dw;
        if (iw >= 0 && iw < g->in.w)
          acc += (double) w[weight_at (g, o, cg, a, b)] * plane[ih * g->in.w + iw];
      }
    }
  }
  return acc;
}

void
dd_ref_conv2d_forward (dd_layer *l)
{
  conv_geom g = geometry (l);
  const float *x = l->inputs[0]->y;
  for (int n = 0; n < g.out.n; n++)
    for (int o = 0; o < g.out.c; o++)
      for (int i = 0; i < g.out.h; i++)
        for (int j = 0; j < g.out.w; j++) {
          double v = output_sum (&g, x, l->weight, n, o, i, j);
          size_t at = dd_ref_at (g.out, n, o, i, j);
          if (l->conv.has_bias)
            v += l->bias[o];
          /* Read before y[at] is written: y may be this very buffer. */
          if (l->conv.fuse_add_input)
            v += l->conv.fuse_add_input->y[at];
          if (l->conv.fuse_relu && v < 0.0)
            v = 0.0;
          l->y[at] = (float) v;
        }
}

/* d loss / d x[n, c, ih, iw]: every (output channel of c's group, tap)
 * that read this input element. */
static double
input_grad (const conv_geom *g, const float *w, const float *dy, int n, int c, int ih, int iw)
{
  int group = c / g->cin_g, cg = c % g->cin_g;
  double acc = 0.0;
  for (int og = 0; og < g->cout_g; og++) {
    int o = group * g->cout_g + og;
    const float *plane = dy + dd_ref_at (g->out, n, o, 0, 0);
    for (int a = 0; a < g->kh; a++) {
      int i = source_of (ih, a, g->sh, g->ph, g->dh, g->out.h);
      if (i < 0)
        continue;
      for (int b = 0; b < g->kw; b++) {
        int j = source_of (iw, b, g->sw, g->pw, g->dw, g->out.w);
        if (j >= 0)
          acc += (double) w[weight_at (g, o, cg, a, b)] * plane[i * g->out.w + j];
      }
    }
  }
  return acc;
}

/* d loss / d weight[o, cg, a, b]: the tap's input times dy over the batch
 * and every output position. */
static double
weight_grad (const conv_geom *g, const float *x, const float *dy, int o, int cg, int a, int b)
{
  int c = o / g->cout_g * g->cin_g + cg;
  double acc = 0.0;
  for (int n = 0; n < g->out.n; n++) {
    const float *xp = x + dd_ref_at (g->in, n, c, 0, 0);
    const float *dyp = dy + dd_ref_at (g->out, n, o, 0, 0);
    for (int i = 0; i < g->out.h; i++) {
      int ih = i * g->sh - g->ph + a * g->dh;
      if (ih < 0 || ih >= g->in.h)
        continue;
      for (int j = 0; j < g->out.w; j++) {
        int iw = j * g->sw - g->pw + b * g->dw;
        if (iw >= 0 && iw < g->in.w)
          acc += (double) dyp[i * g->out.w + j] * xp[ih * g->in.w + iw];
      }
    }
  }
  return acc;
}

static double
bias_grad (const conv_geom *g, const float *dy, int o)
{
  double acc = 0.0;
  for (int n = 0; n < g->out.n; n++) {
    const float *dyp = dy + dd_ref_at (g->out, n, o, 0, 0);
    for (int k = 0; k < g->out.h * g->out.w; k++)
      acc += dyp[k];
  }
  return acc;
}

void
dd_ref_conv2d_backward (dd_layer *l)
{
  conv_geom g = geometry (l);
  dd_layer *src = l->inputs[0];
  /* prepare() refuses fused layers in training, so reaching here with one
   * is a bug in the caller: the gradient would silently be wrong. */
  if (l->conv.fuse_relu || l->conv.fuse_add_input) {
    fprintf (stderr, "reference backend: backward() called on layer '%s', a conv "
             "with a fused ReLU or residual add from an inference graph\n", l->name);
    abort ();
  }
  if (src->dy)
    for (int n = 0; n < g.in.n; n++)
      for (int c = 0; c < g.in.c; c++)
        for (int ih = 0; ih < g.in.h; ih++)
          for (int iw = 0; iw < g.in.w; iw++)
            src->dy[dd_ref_at (g.in, n, c, ih, iw)] +=
                (float) input_grad (&g, l->weight, l->dy, n, c, ih, iw);
  for (int o = 0; o < g.out.c; o++)
    for (int cg = 0; cg < g.cin_g; cg++)
      for (int a = 0; a < g.kh; a++)
        for (int b = 0; b < g.kw; b++)
          l->dweight[weight_at (&g, o, cg, a, b)] +=
              (float) weight_grad (&g, src->y, l->dy, o, cg, a, b);
  if (l->conv.has_bias)
    for (int o = 0; o < g.out.c; o++)
      l->dbias[o] += (float) bias_grad (&g, l->dy, o);
}
