/* Shapes through the graph, and what they imply: parameter count and
 * FLOPs. */
#include <stdio.h>

#include "nn/net_private.h"

/* No side or channel count beyond this, so no int arithmetic on shapes
 * overflows however the layers are stacked. */
#define SIDE_MAX (1 << 20)

/* PyTorch's output size of a convolution or pooling window. */
static int
window_out (int in, int k, int stride, int pad, int dilation)
{
  int span = dilation * (k - 1) + 1;
  if (in + 2 * pad < span)
    return 0;
  return (in + 2 * pad - span) / stride + 1;
}

static int
shape_fail (const char *origin, const dd_layer *l, char *err, size_t err_len,
            const char *what, const dd_shape *in)
{
  snprintf (err, err_len, "%s: layer '%s' (%s): %s (input '%s' is %dx%dx%d); "
            "change the layer or the image size", origin, l->name, dd_op_name (l->op),
            what, l->inputs[0]->name, in->c, in->h, in->w);
  return -1;
}

static int
shape_multi (const char *origin, dd_layer *l, char *err, size_t err_len)
{
  dd_shape s = l->inputs[0]->out_shape;
  for (int i = 1; i < l->n_inputs; i++) {
    dd_shape o = l->inputs[i]->out_shape;
    int same_c = l->op == DD_OP_CONCAT || o.c == s.c;
    if (o.h != s.h || o.w != s.w || !same_c) {
      snprintf (err, err_len, "%s: layer '%s' (%s): input '%s' is %dx%dx%d but '%s' is "
                "%dx%dx%d; %s", origin, l->name, dd_op_name (l->op), l->inputs[0]->name,
                s.c, s.h, s.w, l->inputs[i]->name, o.c, o.h, o.w,
                l->op == DD_OP_CONCAT ? "concat needs the same height and width"
                : "add needs the same shape");
      return -1;
    }
  }
  if (l->op == DD_OP_CONCAT)
    for (int i = 1; i < l->n_inputs; i++) {
      s.c += l->inputs[i]->out_shape.c;
      if (s.c > SIDE_MAX)
        return shape_fail (origin, l, err, err_len, "the output would have too many channels",
                           &l->inputs[0]->out_shape);
    }
  l->out_shape = s;
  return 0;
}

static int
shape_layer (const char *origin, dd_layer *l, char *err, size_t err_len)
{
  dd_shape in = l->inputs[0]->out_shape;
  dd_shape s = in;
  switch (l->op) {
    case DD_OP_CONV2D:{
      const dd_conv_attr *c = &l->conv;
      char what[96];
      if (in.c % c->groups != 0) {
        snprintf (what, sizeof what, "%d input channels are not a multiple of groups %d",
                  in.c, c->groups);
        return shape_fail (origin, l, err, err_len, what, &in);
      }
      s.c = c->out_channels;
      s.h = window_out (in.h, c->kh, c->stride_h, c->pad_h, c->dilation_h);
      s.w = window_out (in.w, c->kw, c->stride_w, c->pad_w, c->dilation_w);
      if (s.h < 1 || s.w < 1)
        return shape_fail (origin, l, err, err_len, "the kernel is larger than the "
                           "padded input", &in);
      break;
    }
    case DD_OP_MAXPOOL:
      s.h = window_out (in.h, l->pool.k, l->pool.stride, l->pool.pad, 1);
      s.w = window_out (in.w, l->pool.k, l->pool.stride, l->pool.pad, 1);
      if (s.h < 1 || s.w < 1)
        return shape_fail (origin, l, err, err_len, "the window is larger than the "
                           "padded input", &in);
      break;
    case DD_OP_UPSAMPLE_NEAREST:
    case DD_OP_UPSAMPLE_BILINEAR:
      if (in.h > SIDE_MAX / 2 || in.w > SIDE_MAX / 2)
        return shape_fail (origin, l, err, err_len, "the output would be too large", &in);
      s.h *= 2;
      s.w *= 2;
      break;
    case DD_OP_CONCAT:
    case DD_OP_ADD:
      return shape_multi (origin, l, err, err_len);
    default:
      break;
  }
  l->out_shape = s;
  return 0;
}

int
dd_net_shape_layers (const char *origin, dd_layer *layers, int n, char *err, size_t err_len)
{
  for (int i = 0; i < n; i++)
    if (layers[i].op != DD_OP_INPUT && shape_layer (origin, &layers[i], err, err_len))
      return -1;
  return 0;
}

int
dd_net_reshape (dd_net *net, int batch, int height, int width, char *err, size_t err_len)
{
  if (net->be) {
    snprintf (err, err_len, "%s: the network is set up on a backend; change its batch or "
              "size with dd_net_setup", net->origin);
    return -1;
  }
  if (batch < 1 || height < 1 || width < 1) {
    snprintf (err, err_len, "%s: batch %d and size %dx%d must be positive", net->origin,
              batch, height, width);
    return -1;
  }
  net->layers[0].out_shape = (dd_shape) {batch, net->in_c, height, width};
  if (dd_net_shape_layers (net->origin, net->layers, net->n_layers, err, err_len))
    return -1;
  net->in_shape = net->layers[0].out_shape;
  return 0;
}

size_t
dd_net_param_count (const dd_net *net)
{
  size_t n = 0;
  for (int i = 0; i < net->n_tensors; i++)
    if (net->tensors[i].trainable)
      n += net->tensors[i].numel;
  return n;
}

/* Only convolutions are counted, each multiply-add as 2 FLOPs (bias adds
 * are not counted), the usual convention for detectors' GFLOPs. Batch
 * norm, ReLU, pooling, upsampling and adds are memory-bound passes with a
 * few operations per element, next to a convolution's 2*Cin*k*k. */
double
dd_net_flops_per_image (const dd_net *net)
{
  double flops = 0;
  for (int i = 1; i < net->n_layers; i++) {
    const dd_layer *l = &net->layers[i];
    if (l->op != DD_OP_CONV2D)
      continue;
    double macs_per_output = (double) (l->inputs[0]->out_shape.c / l->conv.groups)
        * l->conv.kh * l->conv.kw;
    flops += 2.0 * macs_per_output * l->out_shape.c * l->out_shape.h * l->out_shape.w;
  }
  return flops;
}
