/* prepare()'s checks, shared by the backends: the layer's inputs and
 * attributes make sense, the out_shape it carries is the one its inputs
 * give (dd_layer_out_shape), and its mode can run. A caller may build
 * layers by hand, not through dd_net, so nothing is taken on trust; the
 * kernels rely on these checks instead of repeating them. */
#include <stdio.h>

#include "nn/reference_ops.h"

static int
same_shape (dd_shape a, dd_shape b)
{
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

static int
check_mode (const dd_layer *l, int training, char *err, size_t err_len)
{
  dd_shape s = l->out_shape;
  if (l->op == DD_OP_CONV2D && (l->conv.fuse_relu || l->conv.fuse_add_input) && training) {
    snprintf (err, err_len, "layer '%s': a conv with fused %s belongs to an "
              "inference graph, it has no backward; prepare it with training=0",
              l->name, l->conv.fuse_relu ? "ReLU" : "residual add");
    return -1;
  }
  const dd_layer *add = l->op == DD_OP_CONV2D ? l->conv.fuse_add_input : NULL;
  if (add && !same_shape (add->out_shape, s)) {
    snprintf (err, err_len, "layer '%s': the fused residual input '%s' is %dx%dx%dx%d, the "
              "convolution's output %dx%dx%dx%d; they must be the same", l->name, add->name,
              add->out_shape.n, add->out_shape.c, add->out_shape.h, add->out_shape.w,
              s.n, s.c, s.h, s.w);
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
  if (dd_layer_out_shape (l, &want, err, err_len) < 0)
    return -1;
  if (!same_shape (want, l->out_shape)) {
    snprintf (err, err_len, "layer '%s': out_shape is %dx%dx%dx%d but %s of its inputs "
              "gives %dx%dx%dx%d", l->name, l->out_shape.n, l->out_shape.c,
              l->out_shape.h, l->out_shape.w, dd_op_name (l->op), want.n, want.c,
              want.h, want.w);
    return -1;
  }
  return check_mode (l, training, err, err_len);
}
