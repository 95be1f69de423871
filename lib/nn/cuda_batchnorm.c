/* Batch norm on the CUDA backend through cuDNN's spatial batch norm
 * (CUDNN_BATCHNORM_SPATIAL: statistics per channel over N, H and W):
 *   x, y [N, C, H, W]; gamma = weight, beta = bias, running_mean,
 *   running_var, save_mean, save_invstd [C]
 *
 * cuDNN keeps PyTorch's conventions (PyTorch hands its own CUDA batch norm
 * to cuDNN when it can): exponentialAverageFactor is PyTorch's momentum
 * (running = (1 - m) * running + m * batch); the batch is normalised with
 * the biased variance while the running variance is updated with the
 * unbiased one (n / (n - 1)); saved "inverse variance" is 1 / sqrt(var +
 * eps), PyTorch's save_invstd. Backward with beta = 1 accumulates into the
 * input gradient and into dgamma / dbeta.
 *
 * cuDNN 9 marks this API deprecated in favour of its graph API but keeps
 * it (cudnn_ops.h). */
#include <stdio.h>
#include <stdlib.h>

#include "nn/cuda_private.h"

typedef struct bn_state {
  cudnnTensorDescriptor_t x;        /* x, y and their gradients */
  cudnnTensorDescriptor_t stats;    /* 1 x C x 1 x 1 */
} bn_state;

static void
destroy_state (bn_state *s)
{
  if (s->x)
    cudnnDestroyTensorDescriptor (s->x);
  if (s->stats)
    cudnnDestroyTensorDescriptor (s->stats);
  free (s);
}

int
dd_cuda_bn_prepare (dd_layer *l, char *err, size_t err_len)
{
  if (l->bn.fuse_relu) {
    snprintf (err, err_len, "layer '%s': the cuda backend computes batch norm and ReLU as "
              "layers of their own; give it the graph as written", l->name);
    return -1;
  }
  bn_state *s = calloc (1, sizeof *s);
  if (!s) {
    snprintf (err, err_len, "layer '%s': out of host memory for the cuDNN descriptors",
              l->name);
    return -1;
  }
  if (!dd_cudnn_ok (dd_cuda_tensor_desc (&s->x, l->out_shape), l,
                    "cudnnSetTensor4dDescriptor", err, err_len)
      || !dd_cudnn_ok (cudnnCreateTensorDescriptor (&s->stats), l,
                       "cudnnCreateTensorDescriptor", err, err_len)
      || !dd_cudnn_ok (cudnnDeriveBNTensorDescriptor (s->stats, s->x, CUDNN_BATCHNORM_SPATIAL),
                       l, "cudnnDeriveBNTensorDescriptor", err, err_len)) {
    destroy_state (s);
    return -1;
  }
  l->backend_state = s;
  return 0;
}

void
dd_cuda_bn_release (dd_layer *l)
{
  if (l->backend_state)
    destroy_state (l->backend_state);
  l->backend_state = NULL;
}

void
dd_cuda_bn_forward (dd_cuda *cu, dd_layer *l, int training)
{
  const bn_state *s = l->backend_state;
  const float *x = l->inputs[0]->y;
  const float one = 1.0f, zero = 0.0f;
  if (training)
    dd_cudnn_check (cudnnBatchNormalizationForwardTraining (
                        cu->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, s->x, x, s->x, l->y,
                        s->stats, l->weight, l->bias, l->bn.momentum, l->running_mean,
                        l->running_var, l->bn.eps, l->save_mean, l->save_invstd),
                    l->name, "cudnnBatchNormalizationForwardTraining");
  else
    dd_cudnn_check (cudnnBatchNormalizationForwardInference (
                        cu->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, s->x, x, s->x, l->y,
                        s->stats, l->weight, l->bias, l->running_mean, l->running_var,
                        l->bn.eps),
                    l->name, "cudnnBatchNormalizationForwardInference");
}

/* Uses the batch statistics the last training forward saved. cuDNN always
 * writes an input gradient: for an input that wants none (a NULL dy, the
 * network's image when the batch norm reads it directly), into a buffer
 * of the moment. */
void
dd_cuda_bn_backward (dd_cuda *cu, dd_layer *l)
{
  const bn_state *s = l->backend_state;
  dd_layer *src = l->inputs[0];
  const float one = 1.0f, zero = 0.0f;
  void *dx = src->dy;
  if (!dx)
    dd_cuda_check (cudaMallocAsync (&dx, dd_shape_numel (src->out_shape) * sizeof (float),
                                    cu->stream),
                   l->name, "cudaMallocAsync (an input gradient nobody wants)");
  dd_cudnn_check (cudnnBatchNormalizationBackward (
                      cu->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, src->dy ? &one : &zero, &one,
                      &one, s->x, src->y, s->x, l->dy, s->x, dx, s->stats, l->weight,
                      l->dweight, l->dbias, l->bn.eps, l->save_mean, l->save_invstd),
                  l->name, "cudnnBatchNormalizationBackward");
  if (!src->dy)
    dd_cuda_check (cudaFreeAsync (dx, cu->stream), l->name, "cudaFreeAsync");
}
