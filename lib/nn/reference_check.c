/* prepare()'s checks for the reference backend: the layer's inputs and
 * attributes make sense, and the out_shape the network computed is the one
 * PyTorch would give (conv and max-pool round down). The kernels rely on
 * these checks instead of repeating them. */
#include <stdio.h>

#include "nn/reference_ops.h"

static int
same_shape (dd_shape a, dd_shape b)
{
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

static int
positive_shape (dd_shape s)
{
  return s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0;
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
      || a->groups < 1 || a->out_channels < 1) {
    snprintf (err, err_len, "layer '%s': conv kernel, stride, dilation, groups and "
              "out_channels must be at least 1 and padding at least 0", l->name);
    return -1;
  }
  if (in.c % a->groups || a->out_channels % a->groups) {
    snprintf (err, err_len, "layer '%s': groups=%d must divide both the %d input "
              "channels and the %d output channels", l->name, a->groups, in.c,
              a->out_channels);
    return -1;
  }
  *out = (dd_shape) {in.n, a->out_channels,
    window_out (in.h, a->pad_h, a->dilation_h * (a->kh - 1) + 1, a->stride_h),
    window_out (in.w, a->pad_w, a->dilation_w * (a->kw - 1) + 1, a->stride_w)};
  return 0;
}

static int
pool_shape (const dd_layer *l, dd_shape in, dd_shape *out, char *err, size_t err_len)
{
  const dd_pool_attr *a = &l->pool;
  /* PyTorch's limit on padding: every window then holds a real value. */
  if (a->k < 1 || a->stride < 1 || a->pad < 0 || a->pad > a->k / 2) {
    snprintf (err, err_len, "layer '%s': max-pool needs k >= 1, stride >= 1 and "
              "0 <= pad <= k/2, got k=%d stride=%d pad=%d", l->name, a->k,
              a->stride, a->pad);
    return -1;
  }
  *out = (dd_shape) {in.n, in.c, window_out (in.h, a->pad, a->k, a->stride),
    window_out (in.w, a->pad, a->k, a->stride)};
  return 0;
}

static int
join_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  dd_shape s = l->inputs[0]->out_shape;
  for (int i = 1; i < l->n_inputs; i++) {
    dd_shape t = l->inputs[i]->out_shape;
    if (l->op == DD_OP_CONCAT && (t.n != s.n || t.h != s.h || t.w != s.w)) {
      snprintf (err, err_len, "layer '%s': concat input %d ('%s') is %dx%dx%dx%d, its "
                "N, H and W must equal input 0's %dx%dx%dx%d", l->name, i,
                l->inputs[i]->name, t.n, t.c, t.h, t.w, s.n, s.c, s.h, s.w);
      return -1;
    }
    if (l->op == DD_OP_ADD && !same_shape (t, s)) {
      snprintf (err, err_len, "layer '%s': add input %d ('%s') is %dx%dx%dx%d, it must "
                "equal input 0's %dx%dx%dx%d", l->name, i, l->inputs[i]->name,
                t.n, t.c, t.h, t.w, s.n, s.c, s.h, s.w);
      return -1;
    }
    if (l->op == DD_OP_CONCAT)
      s.c += t.c;
  }
  *out = s;
  return 0;
}

static int
expected_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  dd_shape in = l->op == DD_OP_INPUT ? l->out_shape : l->inputs[0]->out_shape;
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

static int
check_inputs (const dd_layer *l, char *err, size_t err_len)
{
  int lo = 1, hi = 1;
  if (l->op == DD_OP_INPUT)
    lo = hi = 0;
  else if (l->op == DD_OP_CONCAT || l->op == DD_OP_ADD)
    hi = DD_LAYER_MAX_INPUTS;
  if ((l->n_inputs < lo || l->n_inputs > hi) && lo == hi) {
    snprintf (err, err_len, "layer '%s': %s takes %d input(s), it has %d",
              l->name, dd_op_name (l->op), lo, l->n_inputs);
    return -1;
  }
  if (l->n_inputs < lo || l->n_inputs > hi) {
    snprintf (err, err_len, "layer '%s': %s takes %d to %d inputs, it has %d",
              l->name, dd_op_name (l->op), lo, hi, l->n_inputs);
    return -1;
  }
  for (int i = 0; i < l->n_inputs; i++) {
    if (!l->inputs[i]) {
      snprintf (err, err_len, "layer '%s': input %d is not connected", l->name, i);
      return -1;
    }
    dd_shape s = l->inputs[i]->out_shape;
    if (!positive_shape (s)) {
      snprintf (err, err_len, "layer '%s': input %d ('%s') has the empty shape "
                "%dx%dx%dx%d", l->name, i, l->inputs[i]->name, s.n, s.c, s.h, s.w);
      return -1;
    }
  }
  return 0;
}

static int
check_mode (const dd_layer *l, int training, char *err, size_t err_len)
{
  dd_shape s = l->out_shape;
  if (l->op == DD_OP_CONV2D && l->conv.fuse_relu && training) {
    snprintf (err, err_len, "layer '%s': a conv with fused ReLU belongs to an "
              "inference graph, it has no backward; prepare it with training=0",
              l->name);
    return -1;
  }
  if (l->op != DD_OP_BATCHNORM)
    return 0;
  if (!(l->bn.eps > 0.0f) || !(l->bn.momentum >= 0.0f && l->bn.momentum <= 1.0f)) {
    snprintf (err, err_len, "layer '%s': batch norm needs eps > 0 and momentum in "
              "[0, 1], got eps=%g momentum=%g", l->name, l->bn.eps, l->bn.momentum);
    return -1;
  }
  if (training && (size_t) s.n * s.h * s.w < 2) {
    snprintf (err, err_len, "layer '%s': training batch norm needs more than one "
              "value per channel, the batch is %dx%dx%d (N x H x W)", l->name,
              s.n, s.h, s.w);
    return -1;
  }
  return 0;
}

int
dd_ref_check_layer (const dd_layer *l, int training, char *err, size_t err_len)
{
  dd_shape want;
  if (l->op < 0 || l->op >= DD_OP_COUNT) {
    snprintf (err, err_len, "layer '%s': unknown op %d", l->name, (int) l->op);
    return -1;
  }
  if (check_inputs (l, err, err_len) < 0 || expected_shape (l, &want, err, err_len) < 0)
    return -1;
  if (l->op == DD_OP_INPUT && !positive_shape (want)) {
    snprintf (err, err_len, "layer '%s': the input shape %dx%dx%dx%d is empty",
              l->name, want.n, want.c, want.h, want.w);
    return -1;
  }
  if (!positive_shape (want)) {
    snprintf (err, err_len, "layer '%s': the %s window does not fit its %dx%d input "
              "even once", l->name, dd_op_name (l->op), l->inputs[0]->out_shape.h,
              l->inputs[0]->out_shape.w);
    return -1;
  }
  if (!same_shape (want, l->out_shape)) {
    snprintf (err, err_len, "layer '%s': out_shape is %dx%dx%dx%d but %s of its inputs "
              "gives %dx%dx%dx%d", l->name, l->out_shape.n, l->out_shape.c,
              l->out_shape.h, l->out_shape.w, dd_op_name (l->op), want.n, want.c,
              want.h, want.w);
    return -1;
  }
  return check_mode (l, training, err, err_len);
}
