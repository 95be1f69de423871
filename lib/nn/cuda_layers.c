/* The layers the CUDA backend computes with its own kernels (cuda_*.cu):
 * ReLU, sigmoid, max-pool, 2x upsampling, concat and add. Each forward
 * overwrites l->y; each backward adds into the inputs' dy (those that are
 * not NULL). */
#include <stdio.h>

#include "nn/cuda_kernels.h"
#include "nn/cuda_private.h"

static void
check_kernels (cudaError_t e, const dd_layer *l, const char *pass)
{
  char call[64];
  if (e == cudaSuccess)
    return;
  snprintf (call, sizeof call, "%s %s kernel", dd_op_name (l->op), pass);
  dd_cuda_check (e, l->name, call);
}

/* Concat along channels: input i fills the channel block that starts
 * after the channels of inputs 0 .. i-1. Backward adds each block of dy
 * back into its input's gradient. */
static cudaError_t
concat (dd_cuda *cu, dd_layer *l, int backward)
{
  dd_shape out = l->out_shape;
  int offset = 0;
  for (int i = 0; i < l->n_inputs; i++) {
    dd_layer *src = l->inputs[i];
    int c = src->out_shape.c;
    dd_cuda_channel_block block = {
      .batch = out.n, .channels = c, .hw = (size_t) out.h * out.w,
      .dst_c = backward ? c : out.c, .dst_c0 = backward ? 0 : offset,
      .src_c = backward ? out.c : c, .src_c0 = backward ? offset : 0,
    };
    cudaError_t e = !backward ? dd_cuda_copy_channels (cu->stream, l->y, src->y, block, 0)
        : src->dy ? dd_cuda_copy_channels (cu->stream, src->dy, l->dy, block, 1)
        : cudaSuccess;
    if (e != cudaSuccess)
      return e;
    offset += c;
  }
  return cudaSuccess;
}

static cudaError_t
add_forward (dd_cuda *cu, dd_layer *l)
{
  size_t n = dd_shape_numel (l->out_shape);
  cudaError_t e = cudaMemcpyAsync (l->y, l->inputs[0]->y, n * sizeof (float),
                                   cudaMemcpyDeviceToDevice, cu->stream);
  for (int i = 1; i < l->n_inputs && e == cudaSuccess; i++)
    e = dd_cuda_accumulate (cu->stream, l->y, l->inputs[i]->y, n);
  return e;
}

/* Every input receives the whole gradient. */
static cudaError_t
add_backward (dd_cuda *cu, dd_layer *l)
{
  size_t n = dd_shape_numel (l->out_shape);
  cudaError_t e = cudaSuccess;
  for (int i = 0; i < l->n_inputs && e == cudaSuccess; i++)
    if (l->inputs[i]->dy)
      e = dd_cuda_accumulate (cu->stream, l->inputs[i]->dy, l->dy, n);
  return e;
}

void
dd_cuda_layer_forward (dd_cuda *cu, dd_layer *l)
{
  const dd_layer *src = l->inputs[0];
  size_t n = dd_shape_numel (l->out_shape);
  cudaError_t e;
  switch (l->op) {
    case DD_OP_RELU:
      e = dd_cuda_relu_forward (cu->stream, l->y, src->y, n);
      break;
    case DD_OP_SIGMOID:
      e = dd_cuda_sigmoid_forward (cu->stream, l->y, src->y, n);
      break;
    case DD_OP_MAXPOOL:
      e = dd_cuda_maxpool_forward (cu->stream, l->y, l->out_shape, src->y, src->out_shape,
                                   l->pool);
      break;
    case DD_OP_UPSAMPLE_NEAREST:
      e = dd_cuda_upsample_nearest_forward (cu->stream, l->y, src->y, src->out_shape);
      break;
    case DD_OP_UPSAMPLE_BILINEAR:
      e = dd_cuda_upsample_bilinear_forward (cu->stream, l->y, src->y, src->out_shape);
      break;
    case DD_OP_CONCAT:
      e = concat (cu, l, 0);
      break;
    case DD_OP_ADD:
      e = add_forward (cu, l);
      break;
    default:
      dd_cuda_die (l->name, dd_op_name (l->op), "not an op of cuda_layers.c");
  }
  check_kernels (e, l, "forward");
}

void
dd_cuda_layer_backward (dd_cuda *cu, dd_layer *l)
{
  dd_layer *src = l->inputs[0];
  size_t n = dd_shape_numel (l->out_shape);
  cudaError_t e;
  /* The one-input layers have nothing to compute for an input that wants
   * no gradient (a NULL dy). */
  if (!src->dy && l->op != DD_OP_CONCAT && l->op != DD_OP_ADD)
    return;
  switch (l->op) {
    case DD_OP_RELU:
      e = dd_cuda_relu_backward (cu->stream, src->dy, l->dy, l->y, n);
      break;
    case DD_OP_SIGMOID:
      e = dd_cuda_sigmoid_backward (cu->stream, src->dy, l->dy, l->y, n);
      break;
    case DD_OP_MAXPOOL:
      e = dd_cuda_maxpool_backward (cu->stream, src->dy, src->y, src->out_shape, l->dy,
                                    l->out_shape, l->pool);
      break;
    case DD_OP_UPSAMPLE_NEAREST:
      e = dd_cuda_upsample_nearest_backward (cu->stream, src->dy, l->dy, src->out_shape);
      break;
    case DD_OP_UPSAMPLE_BILINEAR:
      e = dd_cuda_upsample_bilinear_backward (cu->stream, src->dy, l->dy, src->out_shape);
      break;
    case DD_OP_CONCAT:
      e = concat (cu, l, 1);
      break;
    case DD_OP_ADD:
      e = add_backward (cu, l);
      break;
    default:
      dd_cuda_die (l->name, dd_op_name (l->op), "not an op of cuda_layers.c");
  }
  check_kernels (e, l, "backward");
}
