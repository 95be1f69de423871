/* The `reference` backend: host memory, NCHW activations and the plain-loop
 * kernels of reference_*.c. It is the ground truth of every other backend's
 * tests, so nothing here trades clarity for speed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/reference_ops.h"

/* Cache-line alignment, the same as the other host backends, so a buffer
 * can be handed to any of them. */
#define REF_ALIGN 64

static float *
ref_alloc (dd_backend *be, size_t n_floats)
{
  (void) be;
  if (n_floats > (SIZE_MAX - REF_ALIGN) / sizeof (float))
    return NULL;
  size_t bytes = n_floats * sizeof (float);
  bytes = (bytes + REF_ALIGN - 1) / REF_ALIGN * REF_ALIGN;
  return aligned_alloc (REF_ALIGN, bytes ? bytes : REF_ALIGN);
}

static void
ref_free (dd_backend *be, float *p)
{
  (void) be;
  free (p);
}

static void
ref_upload (dd_backend *be, float *dst, const float *host_src, size_t n)
{
  (void) be;
  memcpy (dst, host_src, n * sizeof (float));
}

static void
ref_download (dd_backend *be, float *host_dst, const float *src, size_t n)
{
  (void) be;
  memcpy (host_dst, src, n * sizeof (float));
}

static void
ref_fill (dd_backend *be, float *dst, float value, size_t n)
{
  (void) be;
  for (size_t i = 0; i < n; i++)
    dst[i] = value;
}

static int
ref_prepare (dd_backend *be, dd_layer *l, int training, char *err, size_t err_len)
{
  (void) be;
  if (dd_ref_check_layer (l, training, err, err_len) < 0)
    return -1;
  if (l->op == DD_OP_BATCHNORM && l->bn.fuse_relu) {
    snprintf (err, err_len, "layer '%s': the reference backend computes batch norm and "
              "ReLU as layers of their own; give it the graph as written", l->name);
    return -1;
  }
  l->act_floats = dd_shape_numel (l->out_shape);
  l->backend_state = NULL;
  return 0;
}

static void
ref_release (dd_backend *be, dd_layer *l)
{
  (void) be;
  (void) l;
}

static void
ref_forward (dd_backend *be, dd_layer *l, int training)
{
  (void) be;
  switch (l->op) {
    case DD_OP_INPUT:
      break;
    case DD_OP_CONV2D:
      dd_ref_conv2d_forward (l);
      break;
    case DD_OP_BATCHNORM:
      dd_ref_batchnorm_forward (l, training);
      break;
    case DD_OP_RELU:
      dd_ref_relu_forward (l);
      break;
    case DD_OP_MAXPOOL:
      dd_ref_maxpool_forward (l);
      break;
    case DD_OP_UPSAMPLE_NEAREST:
      dd_ref_upsample_nearest_forward (l);
      break;
    case DD_OP_UPSAMPLE_BILINEAR:
      dd_ref_upsample_bilinear_forward (l);
      break;
    case DD_OP_CONCAT:
      dd_ref_concat_forward (l);
      break;
    case DD_OP_ADD:
      dd_ref_add_forward (l);
      break;
    case DD_OP_SIGMOID:
      dd_ref_sigmoid_forward (l);
      break;
    default:
      break;
  }
}

static void
ref_backward (dd_backend *be, dd_layer *l)
{
  (void) be;
  switch (l->op) {
    case DD_OP_INPUT:
      break;
    case DD_OP_CONV2D:
      dd_ref_conv2d_backward (l);
      break;
    case DD_OP_BATCHNORM:
      dd_ref_batchnorm_backward (l);
      break;
    case DD_OP_RELU:
      dd_ref_relu_backward (l);
      break;
    case DD_OP_MAXPOOL:
      dd_ref_maxpool_backward (l);
      break;
    case DD_OP_UPSAMPLE_NEAREST:
      dd_ref_upsample_nearest_backward (l);
      break;
    case DD_OP_UPSAMPLE_BILINEAR:
      dd_ref_upsample_bilinear_backward (l);
      break;
    case DD_OP_CONCAT:
      dd_ref_concat_backward (l);
      break;
    case DD_OP_ADD:
      dd_ref_add_backward (l);
      break;
    case DD_OP_SIGMOID:
      dd_ref_sigmoid_backward (l);
      break;
    default:
      break;
  }
}

/* Activations are NCHW already: reading and writing them are copies. */
static void
ref_read_nchw (dd_backend *be, const dd_layer *l, const float *src, float *host_nchw)
{
  ref_download (be, host_nchw, src, dd_shape_numel (l->out_shape));
}

static void
ref_write_nchw (dd_backend *be, const dd_layer *l, float *dst, const float *host_nchw)
{
  ref_upload (be, dst, host_nchw, dd_shape_numel (l->out_shape));
}

/* PyTorch's torch.optim.SGD (dampening 0, no Nesterov), in float as it
 * computes: its first step sets v = g, which v = m * 0 + g equals because
 * the velocity starts at zero. With no velocity buffer, plain SGD. */
static void
ref_sgd_step (dd_backend *be, float *param, const float *grad, float *velocity,
              size_t n, float lr, float momentum, float weight_decay)
{
  (void) be;
  for (size_t i = 0; i < n; i++) {
    float g = grad[i] + weight_decay * param[i];
    if (velocity) {
      velocity[i] = momentum * velocity[i] + g;
      g = velocity[i];
    }
    param[i] -= lr * g;
  }
}

static void
ref_destroy (dd_backend *be)
{
  free (be);
}

static const dd_backend_ops reference_ops = {
  .name = "reference",
  .alloc = ref_alloc,
  .free = ref_free,
  .upload = ref_upload,
  .download = ref_download,
  .fill = ref_fill,
  .prepare = ref_prepare,
  .release = ref_release,
  .forward = ref_forward,
  .backward = ref_backward,
  .read_nchw = ref_read_nchw,
  .write_nchw = ref_write_nchw,
  .sgd_step = ref_sgd_step,
  .destroy = ref_destroy,
};

dd_backend *
dd_backend_reference_new (char *err, size_t err_len)
{
  dd_backend *be = calloc (1, sizeof *be);
  if (!be) {
    snprintf (err, err_len, "reference backend: out of memory");
    return NULL;
  }
  be->ops = &reference_ops;
  return be;
}
