/* The CUDA backend's own kernels (cuda_elementwise.cu, cuda_resample.cu),
 * callable from C. Each launcher queues its kernel on `stream` and returns
 * the launch status (cudaGetLastError); a size of zero queues nothing.
 *
 * Tensors are NCHW float32 in device memory. Forward kernels overwrite
 * their output; backward kernels ADD into the input gradient, as the
 * backend contract (layer.h) asks. Backward kernels are gathers (each
 * input element sums its own terms), so results do not depend on thread
 * scheduling and no atomics are needed. */
#ifndef DD_NN_CUDA_KERNELS_H
#define DD_NN_CUDA_KERNELS_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#include "nn/layer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cudaSuccess when this build holds code the current device can run
 * (sm_90 machine code or PTX it can compile), else the reason. */
cudaError_t dd_cuda_kernels_probe (void);

cudaError_t dd_cuda_fill (cudaStream_t stream, float *dst, float value, size_t n);
/* dst += src */
cudaError_t dd_cuda_accumulate (cudaStream_t stream, float *dst, const float *src, size_t n);

cudaError_t dd_cuda_relu_forward (cudaStream_t stream, float *y, const float *x, size_t n);
/* dx += y > 0 ? dy : 0 */
cudaError_t dd_cuda_relu_backward (cudaStream_t stream, float *dx, const float *dy,
                                   const float *y, size_t n);
cudaError_t dd_cuda_sigmoid_forward (cudaStream_t stream, float *y, const float *x, size_t n);
/* dx += dy * y * (1 - y) */
cudaError_t dd_cuda_sigmoid_backward (cudaStream_t stream, float *dx, const float *dy,
                                      const float *y, size_t n);

/* y[n,c,h,w] = relu? max(y + bias[c], 0) : y + bias[c]; bias may be NULL. */
cudaError_t dd_cuda_bias_relu (cudaStream_t stream, float *y, const float *bias, int relu,
                               dd_shape shape);

/* backend.h's SGD step; velocity may be NULL (plain SGD). */
cudaError_t dd_cuda_sgd_step (cudaStream_t stream, float *param, const float *grad,
                              float *velocity, size_t n, float lr, float momentum,
                              float weight_decay);

/* PyTorch's max-pool: padding counts as -inf, NaN wins, and in backward
 * the first maximum of a window (row-major) takes the gradient. */
cudaError_t dd_cuda_maxpool_forward (cudaStream_t stream, float *y, dd_shape out,
                                     const float *x, dd_shape in, dd_pool_attr pool);
cudaError_t dd_cuda_maxpool_backward (cudaStream_t stream, float *dx, const float *x,
                                      dd_shape in, const float *dy, dd_shape out,
                                      dd_pool_attr pool);

/* 2x upsampling of an `in`-shaped tensor; bilinear as PyTorch with
 * align_corners=False. */
cudaError_t dd_cuda_upsample_nearest_forward (cudaStream_t stream, float *y, const float *x,
                                              dd_shape in);
cudaError_t dd_cuda_upsample_nearest_backward (cudaStream_t stream, float *dx,
                                               const float *dy, dd_shape in);
cudaError_t dd_cuda_upsample_bilinear_forward (cudaStream_t stream, float *y, const float *x,
                                               dd_shape in);
cudaError_t dd_cuda_upsample_bilinear_backward (cudaStream_t stream, float *dx,
                                                const float *dy, dd_shape in);

/* A block of channels between two tensors of the same N, H, W (concat):
 *   dst[b, dst_c0 + c] (+)= src[b, src_c0 + c]   for c < channels
 * where dst has dst_c channels, src has src_c, each plane hw floats. */
typedef struct dd_cuda_channel_block {
  int batch, channels;
  size_t hw;
  int dst_c, dst_c0;
  int src_c, src_c0;
} dd_cuda_channel_block;

cudaError_t dd_cuda_copy_channels (cudaStream_t stream, float *dst, const float *src,
                                   dd_cuda_channel_block block, int accumulate);

#ifdef __cplusplus
}
#endif

#endif
