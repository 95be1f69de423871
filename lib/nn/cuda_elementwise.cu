/* The CUDA backend's elementwise kernels: fill, accumulate, ReLU, sigmoid,
 * the convolution's bias + fused ReLU, and the SGD step. Plain fp32 (no
 * fast-math intrinsics), so results match the reference backend to a few
 * ulps. */
#include <math.h>

#include "cuda_grid.h"
#include "cuda_kernels.h"

static __global__ void
fill_kernel (float *dst, float value, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    dst[i] = value;
}

cudaError_t
dd_cuda_kernels_probe (void)
{
  cudaFuncAttributes attr;
  return cudaFuncGetAttributes (&attr, fill_kernel);
}

cudaError_t
dd_cuda_fill (cudaStream_t stream, float *dst, float value, size_t n)
{
  return DD_CUDA_LAUNCH (fill_kernel, n, stream, dst, value, n);
}

static __global__ void
accumulate_kernel (float *dst, const float *src, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    dst[i] += src[i];
}

cudaError_t
dd_cuda_accumulate (cudaStream_t stream, float *dst, const float *src, size_t n)
{
  return DD_CUDA_LAUNCH (accumulate_kernel, n, stream, dst, src, n);
}

static __global__ void
relu_forward_kernel (float *y, const float *x, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static __global__ void
relu_backward_kernel (float *dx, const float *dy, const float *y, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    if (y[i] > 0.0f)
      dx[i] += dy[i];
}

cudaError_t
dd_cuda_relu_forward (cudaStream_t stream, float *y, const float *x, size_t n)
{
  return DD_CUDA_LAUNCH (relu_forward_kernel, n, stream, y, x, n);
}

cudaError_t
dd_cuda_relu_backward (cudaStream_t stream, float *dx, const float *dy, const float *y,
                       size_t n)
{
  return DD_CUDA_LAUNCH (relu_backward_kernel, n, stream, dx, dy, y, n);
}

static __global__ void
sigmoid_forward_kernel (float *y, const float *x, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    y[i] = 1.0f / (1.0f + expf (-x[i]));
}

static __global__ void
sigmoid_backward_kernel (float *dx, const float *dy, const float *y, size_t n)
{
  DD_CUDA_FOR_EACH (i, n)
    dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

cudaError_t
dd_cuda_sigmoid_forward (cudaStream_t stream, float *y, const float *x, size_t n)
{
  return DD_CUDA_LAUNCH (sigmoid_forward_kernel, n, stream, y, x, n);
}

cudaError_t
dd_cuda_sigmoid_backward (cudaStream_t stream, float *dx, const float *dy, const float *y,
                          size_t n)
{
  return DD_CUDA_LAUNCH (sigmoid_backward_kernel, n, stream, dx, dy, y, n);
}

static __global__ void
bias_relu_kernel (float *y, const float *bias, int relu, int channels, size_t hw, size_t n)
{
  DD_CUDA_FOR_EACH (i, n) {
    float v = y[i];
    if (bias)
      v += bias[i / hw % channels];
    y[i] = relu && v < 0.0f ? 0.0f : v;
  }
}

cudaError_t
dd_cuda_bias_relu (cudaStream_t stream, float *y, const float *bias, int relu, dd_shape shape)
{
  size_t n = dd_shape_numel (shape);
  return DD_CUDA_LAUNCH (bias_relu_kernel, n, stream, y, bias, relu, shape.c,
                         (size_t) shape.h * shape.w, n);
}

static __global__ void
sgd_kernel (float *param, const float *grad, float *velocity, size_t n, float lr,
            float momentum, float weight_decay)
{
  DD_CUDA_FOR_EACH (i, n) {
    float g = grad[i] + weight_decay * param[i];
    if (velocity) {
      velocity[i] = momentum * velocity[i] + g;
      g = velocity[i];
    }
    param[i] -= lr * g;
  }
}

cudaError_t
dd_cuda_sgd_step (cudaStream_t stream, float *param, const float *grad, float *velocity,
                  size_t n, float lr, float momentum, float weight_decay)
{
  return DD_CUDA_LAUNCH (sgd_kernel, n, stream, param, grad, velocity, n, lr, momentum,
                         weight_decay);
}
