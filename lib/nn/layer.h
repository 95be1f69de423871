/* A layer of the engine: one node of the network's DAG, with the shapes,
 * attributes and memory every backend computes on.
 *
 * Memory ownership: the network (net.c) allocates every buffer named here
 * from its arenas, through the backend (so on a GPU they are device
 * pointers). Parameters are always plain OIHW / per-channel float32, the
 * layout PyTorch uses, so checkpoints are copied byte for byte. Activations
 * (y, dy) are in the layout the backend chose in prepare(): NCHW for the
 * reference and CUDA backends, possibly a blocked layout for oneDNN; callers
 * outside the backend read and write them only through
 * dd_backend_ops.read_nchw / write_nchw.
 *
 * Gradients accumulate, as in llm.c: backward() of a layer ADDS into dy of
 * each of its inputs and into its parameter gradients. The network zeroes
 * them before a backward pass.
 */
#ifndef DD_NN_LAYER_H
#define DD_NN_LAYER_H

#include <stddef.h>

/* Batch, channels, height, width. */
typedef struct dd_shape {
  int n, c, h, w;
} dd_shape;

static inline size_t
dd_shape_numel (dd_shape s)
{
  return (size_t) s.n * (size_t) s.c * (size_t) s.h * (size_t) s.w;
}

typedef enum dd_op {
  DD_OP_INPUT,                  /* the network's image input, no computation */
  DD_OP_CONV2D,
  DD_OP_BATCHNORM,
  DD_OP_RELU,
  DD_OP_MAXPOOL,
  DD_OP_UPSAMPLE_NEAREST,       /* 2x */
  DD_OP_UPSAMPLE_BILINEAR,      /* 2x, align_corners=False as PyTorch */
  DD_OP_CONCAT,                 /* along channels */
  DD_OP_ADD,                    /* elementwise, all inputs the same shape */
  DD_OP_SIGMOID,
  DD_OP_COUNT
} dd_op;

typedef struct dd_conv_attr {
  int out_channels;
  int kh, kw;
  int stride_h, stride_w;
  int pad_h, pad_w;             /* symmetric zero padding */
  int dilation_h, dilation_w;   /* 1 = dense, as PyTorch */
  int groups;
  int has_bias;
  /* Set only in an inference graph (net_infer.c): ReLU applied to the
   * output inside the convolution, so no separate pass over memory. */
  int fuse_relu;
  /* Set only in an inference graph: a residual add inside the convolution,
   * y = conv(x) + bias + fuse_add_input->y, before the fused ReLU. That
   * layer has this one's out_shape and comes before it; y may be its y
   * itself, the sum then written in place (the network does so when
   * nothing reads that output afterwards). */
  const struct dd_layer *fuse_add_input;
  /* Set only in an inference graph, on backends that merge sibling
   * convolutions (dd_backend_ops.merges_convs): this layer runs no
   * convolution; its output is channels [slice_offset, slice_offset +
   * out_channels) of inputs[0]'s, a merged convolution that computed them
   * (net_infer.c). */
  int slice;
  int slice_offset;
} dd_conv_attr;

typedef struct dd_bn_attr {
  float eps;                    /* PyTorch default 1e-5 */
  float momentum;               /* PyTorch convention: new = (1-m)*old + m*batch */
  /* Set by the network in a training setup, on backends that can
   * (dd_backend_ops.fuses_bn_relu): y = relu(bn(x)), and backward masks dy
   * with y > 0 first, so the ReLU that alone reads this layer makes no
   * pass over memory of its own. */
  int fuse_relu;
} dd_bn_attr;

typedef struct dd_pool_attr {
  int k, stride, pad;           /* square window; padding counts as -inf */
} dd_pool_attr;

#define DD_LAYER_MAX_INPUTS 8
#define DD_NAME_MAX 64

typedef struct dd_layer dd_layer;

struct dd_layer {
  char name[DD_NAME_MAX];
  dd_op op;
  dd_conv_attr conv;
  dd_bn_attr bn;
  dd_pool_attr pool;

  int n_inputs;
  dd_layer *inputs[DD_LAYER_MAX_INPUTS];
  dd_shape out_shape;

  /* Activations: output and the gradient of the loss with respect to it.
   * act_floats is the length of each, set by the backend's prepare(). A
   * NULL dy means no gradient is wanted (the network's input during a
   * training step): the backward of a layer that reads it skips it. */
  float *y;
  float *dy;
  size_t act_floats;

  /* Parameters and their gradients; NULL where the op has none.
   * conv: weight [out, in/groups, kh, kw], bias [out].
   * batchnorm: weight = gamma [c], bias = beta [c]. */
  float *weight, *bias;
  float *dweight, *dbias;
  /* Batch norm buffers: running statistics (saved in checkpoints) and the
   * batch statistics of the last training forward, which backward uses. */
  float *running_mean, *running_var;
  float *save_mean, *save_invstd;

  /* Private to the backend that prepared this layer (primitives, workspace). */
  void *backend_state;
};

size_t dd_layer_weight_numel (const dd_layer *l);
size_t dd_layer_bias_numel (const dd_layer *l);
const char *dd_op_name (dd_op op);

/* No channel count or side goes beyond this, so no int arithmetic on
 * shapes overflows however the layers are stacked. */
#define DD_SHAPE_MAX (1 << 20)

/* The output shape of `l` from its attributes and its inputs' out_shape,
 * by PyTorch's rules (conv and max-pool round down); an input layer's is
 * its own out_shape, checked. The network computes shapes with it and the
 * backends' prepare() checks them with it (layer_shape.c). Returns 0, or -1
 * with "layer 'NAME' (op): fault" in err when the inputs or attributes
 * cannot be combined. */
int dd_layer_out_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len);

#endif
