/* A layer's output shape from its attributes and its inputs' shapes, by
 * PyTorch's rules (conv and max-pool round down). The network computes its
 * shapes with it and every backend's prepare() checks a layer with it, so
 * the rules stand in one place; tests/nn/layer_fixture.c keeps its own
 * copy on purpose, as an independent check of this one. */
#include <stdarg.h>
#include <stdio.h>

#include "nn/layer.h"

static int
fail (const dd_layer *l, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format (printf, 4, 5)));

static int
fail (const dd_layer *l, char *err, size_t err_len, const char *fmt, ...)
{
  char what[384];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  snprintf (err, err_len, "layer '%s' (%s): %s", l->name, dd_op_name (l->op), what);
  return -1;
}

/* Within DD_SHAPE_MAX a window's span (side + 2 pad) and a doubled side
 * stay far from INT_MAX. */
static int
in_range (dd_shape s)
{
  return s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0
      && s.c <= DD_SHAPE_MAX && s.h <= DD_SHAPE_MAX && s.w <= DD_SHAPE_MAX;
}

static int
check_inputs (const dd_layer *l, char *err, size_t err_len)
{
  int lo = 1, hi = 1;
  if (l->op == DD_OP_INPUT)
    lo = hi = 0;
  else if (l->op == DD_OP_CONCAT || l->op == DD_OP_ADD)
    hi = DD_LAYER_MAX_INPUTS;
  if ((l->n_inputs < lo || l->n_inputs > hi) && lo == hi)
    return fail (l, err, err_len, "%s takes %d input(s), it has %d", dd_op_name (l->op),
                 lo, l->n_inputs);
  if (l->n_inputs < lo || l->n_inputs > hi)
    return fail (l, err, err_len, "%s takes %d to %d inputs, it has %d", dd_op_name (l->op),
                 lo, hi, l->n_inputs);
  for (int i = 0; i < l->n_inputs; i++) {
    if (!l->inputs[i])
      return fail (l, err, err_len, "input %d is not connected", i);
    dd_shape s = l->inputs[i]->out_shape;
    if (!in_range (s))
      return fail (l, err, err_len, "input %d ('%s') has the shape %dx%dx%dx%d; every size "
                   "must be positive and channels, height and width at most %d", i,
                   l->inputs[i]->name, s.n, s.c, s.h, s.w, DD_SHAPE_MAX);
  }
  return 0;
}

/* floor((size + 2 pad - extent) / stride) + 1, or 0 when the window does not
 * fit once. */
static int
window_out (int size, int pad, int extent, int stride)
{
  int span = size + 2 * pad - extent;
  return span < 0 ? 0 : span / stride + 1;
}

static int
conv_shape (const dd_layer *l, dd_shape in, dd_shape *out, char *err, size_t err_len)
{
  const dd_conv_attr *a = &l->conv;
  if (a->kh < 1 || a->kw < 1 || a->stride_h < 1 || a->stride_w < 1
      || a->dilation_h < 1 || a->dilation_w < 1 || a->pad_h < 0 || a->pad_w < 0
      || a->groups < 1 || a->out_channels < 1 || a->kh > DD_SHAPE_MAX || a->kw > DD_SHAPE_MAX
      || a->pad_h > DD_SHAPE_MAX || a->pad_w > DD_SHAPE_MAX
      || a->dilation_h > DD_SHAPE_MAX / a->kh || a->dilation_w > DD_SHAPE_MAX / a->kw)
    return fail (l, err, err_len, "kernel, stride, dilation, groups and out_channels must be "
                 "at least 1, padding at least 0, and the dilated kernel and the padding at "
                 "most %d", DD_SHAPE_MAX);
  if (in.c % a->groups)
    return fail (l, err, err_len, "%d input channels are not a multiple of groups %d", in.c,
                 a->groups);
  if (a->out_channels % a->groups)
    return fail (l, err, err_len, "%d output channels are not a multiple of groups %d",
                 a->out_channels, a->groups);
  *out = (dd_shape) {in.n, a->out_channels,
    window_out (in.h, a->pad_h, a->dilation_h * (a->kh - 1) + 1, a->stride_h),
    window_out (in.w, a->pad_w, a->dilation_w * (a->kw - 1) + 1, a->stride_w)};
  if (out->h < 1 || out->w < 1)
    return fail (l, err, err_len, "the kernel is larger than the padded input (input '%s' "
                 "is %dx%dx%dx%d)", l->inputs[0]->name, in.n, in.c, in.h, in.w);
  return 0;
}

static int
pool_shape (const dd_layer *l, dd_shape in, dd_shape *out, char *err, size_t err_len)
{
  const dd_pool_attr *a = &l->pool;
  /* PyTorch's limit on padding: every window then holds a real value. */
  if (a->k < 1 || a->stride < 1 || a->pad < 0 || a->pad > a->k / 2 || a->k > DD_SHAPE_MAX)
    return fail (l, err, err_len, "max-pool needs 1 <= k <= %d, stride >= 1 and "
                 "0 <= pad <= k/2, got k=%d stride=%d pad=%d", DD_SHAPE_MAX, a->k, a->stride,
                 a->pad);
  *out = (dd_shape) {in.n, in.c, window_out (in.h, a->pad, a->k, a->stride),
    window_out (in.w, a->pad, a->k, a->stride)};
  if (out->h < 1 || out->w < 1)
    return fail (l, err, err_len, "the window is larger than the padded input (input '%s' "
                 "is %dx%dx%dx%d)", l->inputs[0]->name, in.n, in.c, in.h, in.w);
  return 0;
}

/* Concat joins along channels: N, H and W must agree. Add: everything. */
static int
join_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  dd_shape s = l->inputs[0]->out_shape;
  for (int i = 1; i < l->n_inputs; i++) {
    dd_shape t = l->inputs[i]->out_shape;
    int concat = l->op == DD_OP_CONCAT;
    if (t.n != s.n || t.h != s.h || t.w != s.w || (!concat && t.c != s.c))
      return fail (l, err, err_len, "input '%s' is %dx%dx%dx%d but '%s' is %dx%dx%dx%d; %s",
                   l->inputs[0]->name, s.n, s.c, s.h, s.w, l->inputs[i]->name,
                   t.n, t.c, t.h, t.w, concat ? "concat needs the same batch, height and "
                   "width" : "add needs the same shape");
    if (concat)
      s.c += t.c;
  }
  *out = s;
  return 0;
}

static int
shape_of_op (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  dd_shape in = l->inputs[0]->out_shape;
  switch (l->op) {
    case DD_OP_CONV2D:
      return conv_shape (l, in, out, err, err_len);
    case DD_OP_MAXPOOL:
      return pool_shape (l, in, out, err, err_len);
    case DD_OP_UPSAMPLE_NEAREST:
    case DD_OP_UPSAMPLE_BILINEAR:
      *out = (dd_shape) {in.n, in.c, 2 * in.h, 2 * in.w};
      return 0;
    case DD_OP_CONCAT:
    case DD_OP_ADD:
      return join_shape (l, out, err, err_len);
    default:
      *out = in;
      return 0;
  }
}

int
dd_layer_out_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  if (l->op < 0 || l->op >= DD_OP_COUNT) {
    snprintf (err, err_len, "layer '%s': unknown op %d", l->name, (int) l->op);
    return -1;
  }
  if (check_inputs (l, err, err_len) < 0)
    return -1;
  if (l->op == DD_OP_INPUT) {
    *out = l->out_shape;
    if (!in_range (*out))
      return fail (l, err, err_len, "the input shape %dx%dx%dx%d is out of range: every "
                   "size must be positive and channels, height and width at most %d",
                   out->n, out->c, out->h, out->w, DD_SHAPE_MAX);
    return 0;
  }
  if (shape_of_op (l, out, err, err_len) < 0)
    return -1;
  if (out->c > DD_SHAPE_MAX || out->h > DD_SHAPE_MAX || out->w > DD_SHAPE_MAX)
    return fail (l, err, err_len, "the output would be too large: %dx%dx%dx%d, beyond %d "
                 "channels or pixels per side", out->n, out->c, out->h, out->w, DD_SHAPE_MAX);
  return 0;
}
