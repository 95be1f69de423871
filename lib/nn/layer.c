#include "nn/layer.h"

static const char *const op_names[DD_OP_COUNT] = {
  [DD_OP_INPUT] = "input",
  [DD_OP_CONV2D] = "conv2d",
  [DD_OP_BATCHNORM] = "batchnorm",
  [DD_OP_RELU] = "relu",
  [DD_OP_MAXPOOL] = "maxpool",
  [DD_OP_UPSAMPLE_NEAREST] = "upsample_nearest",
  [DD_OP_UPSAMPLE_BILINEAR] = "upsample_bilinear",
  [DD_OP_CONCAT] = "concat",
  [DD_OP_ADD] = "add",
  [DD_OP_SIGMOID] = "sigmoid",
};

const char *
dd_op_name (dd_op op)
{
  return (op >= 0 && op < DD_OP_COUNT) ? op_names[op] : "unknown";
}

size_t
dd_layer_weight_numel (const dd_layer *l)
{
  switch (l->op) {
    case DD_OP_CONV2D:{
      int in_c = l->inputs[0]->out_shape.c;
      return (size_t) l->conv.out_channels * (size_t) (in_c / l->conv.groups)
          * (size_t) l->conv.kh * (size_t) l->conv.kw;
    }
    case DD_OP_BATCHNORM:
      return (size_t) l->out_shape.c;
    default:
      return 0;
  }
}

size_t
dd_layer_bias_numel (const dd_layer *l)
{
  switch (l->op) {
    case DD_OP_CONV2D:
      return l->conv.has_bias ? (size_t) l->conv.out_channels : 0;
    case DD_OP_BATCHNORM:
      return (size_t) l->out_shape.c;
    default:
      return 0;
  }
}
