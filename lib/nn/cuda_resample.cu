/* The CUDA backend's kernels that move values between positions: max-pool,
 * 2x nearest and bilinear upsampling, and the channel blocks of concat.
 * Forward: one thread per output element. Backward: one thread per input
 * element, which finds the outputs that read it and sums their gradients,
 * recomputing the forward's choice (argmax, bilinear taps) with the same
 * device function so both passes agree exactly. */
#include <math.h>

#include "cuda_grid.h"
#include "cuda_kernels.h"

/* dd_shape_numel for device code. */
static __device__ size_t
numel (dd_shape s)
{
  return (size_t) s.n * s.c * s.h * s.w;
}

/* Index within the H x W plane of the window's maximum (first in row-major
 * order; a NaN wins as in PyTorch), or -1 when the window lies entirely in
 * the padding, which the layer checks rule out. */
static __device__ int
window_argmax (const float *plane, int h, int w, int h0, int w0, int k)
{
  float best = -INFINITY;
  int at = -1;
  for (int a = 0; a < k; a++) {
    int ih = h0 + a;
    if (ih < 0 || ih >= h)
      continue;
    for (int b = 0; b < k; b++) {
      int iw = w0 + b;
      if (iw < 0 || iw >= w)
        continue;
      float v = plane[ih * w + iw];
      if (at < 0 || v > best || isnan (v)) {
        best = v;
        at = ih * w + iw;
      }
    }
  }
  return at;
}

static __global__ void
maxpool_forward_kernel (float *y, dd_shape out, const float *x, dd_shape in, dd_pool_attr p)
{
  size_t n = numel (out);
  DD_CUDA_FOR_EACH (i, n) {
    int ow = (int) (i % out.w), oh = (int) (i / out.w % out.h);
    size_t plane = i / ((size_t) out.w * out.h);
    const float *xp = x + plane * in.h * in.w;
    int at = window_argmax (xp, in.h, in.w, oh * p.stride - p.pad, ow * p.stride - p.pad, p.k);
    y[i] = at < 0 ? -INFINITY : xp[at];
  }
}

/* The first and last output positions whose window (k wide, stride s,
 * padding p) covers input position i, clipped to [0, out_size). */
static __device__ void
covering_windows (int i, int k, int s, int p, int out_size, int *first, int *last)
{
  int lo = i + p - k + 1;
  *first = lo <= 0 ? 0 : (lo + s - 1) / s;
  *last = min ((i + p) / s, out_size - 1);
}

static __global__ void
maxpool_backward_kernel (float *dx, const float *x, dd_shape in, const float *dy,
                         dd_shape out, dd_pool_attr p)
{
  size_t n = numel (in);
  DD_CUDA_FOR_EACH (i, n) {
    int iw = (int) (i % in.w), ih = (int) (i / in.w % in.h);
    size_t plane = i / ((size_t) in.w * in.h);
    const float *xp = x + plane * in.h * in.w;
    const float *dyp = dy + plane * out.h * out.w;
    int oh0, oh1, ow0, ow1;
    covering_windows (ih, p.k, p.stride, p.pad, out.h, &oh0, &oh1);
    covering_windows (iw, p.k, p.stride, p.pad, out.w, &ow0, &ow1);
    float sum = 0.0f;
    for (int oh = oh0; oh <= oh1; oh++)
      for (int ow = ow0; ow <= ow1; ow++)
        if (window_argmax (xp, in.h, in.w, oh * p.stride - p.pad, ow * p.stride - p.pad,
                           p.k) == ih * in.w + iw)
          sum += dyp[oh * out.w + ow];
    dx[i] += sum;
  }
}

cudaError_t
dd_cuda_maxpool_forward (cudaStream_t stream, float *y, dd_shape out, const float *x,
                         dd_shape in, dd_pool_attr pool)
{
  return DD_CUDA_LAUNCH (maxpool_forward_kernel, dd_shape_numel (out), stream, y, out, x,
                         in, pool);
}

cudaError_t
dd_cuda_maxpool_backward (cudaStream_t stream, float *dx, const float *x, dd_shape in,
                          const float *dy, dd_shape out, dd_pool_attr pool)
{
  return DD_CUDA_LAUNCH (maxpool_backward_kernel, dd_shape_numel (in), stream, dx, x, in,
                         dy, out, pool);
}

static __global__ void
upsample_nearest_forward_kernel (float *y, const float *x, dd_shape in)
{
  int oh_size = 2 * in.h, ow_size = 2 * in.w;
  size_t n = numel (in) * 4;
  DD_CUDA_FOR_EACH (i, n) {
    int ow = (int) (i % ow_size), oh = (int) (i / ow_size % oh_size);
    size_t plane = i / ((size_t) ow_size * oh_size);
    y[i] = x[plane * in.h * in.w + (size_t) (oh / 2) * in.w + ow / 2];
  }
}

static __global__ void
upsample_nearest_backward_kernel (float *dx, const float *dy, dd_shape in)
{
  int ow_size = 2 * in.w;
  size_t n = numel (in);
  DD_CUDA_FOR_EACH (i, n) {
    int iw = (int) (i % in.w), ih = (int) (i / in.w % in.h);
    size_t plane = i / ((size_t) in.w * in.h);
    const float *d = dy + plane * 4 * in.h * in.w + (size_t) (2 * ih) * ow_size + 2 * iw;
    dx[i] += d[0] + d[1] + d[ow_size] + d[ow_size + 1];
  }
}

cudaError_t
dd_cuda_upsample_nearest_forward (cudaStream_t stream, float *y, const float *x, dd_shape in)
{
  return DD_CUDA_LAUNCH (upsample_nearest_forward_kernel, dd_shape_numel (in) * 4, stream,
                         y, x, in);
}

cudaError_t
dd_cuda_upsample_nearest_backward (cudaStream_t stream, float *dx, const float *dy,
                                   dd_shape in)
{
  return DD_CUDA_LAUNCH (upsample_nearest_backward_kernel, dd_shape_numel (in), stream, dx,
                         dy, in);
}

/* PyTorch's bilinear taps along one axis for output position o of a 2x
 * upsample with align_corners=False: source position
 * max((o + 0.5) / 2 - 0.5, 0), taps floor(src) and the next one clamped to
 * the edge, the second weighted by the fraction. */
typedef struct taps {
  int i0, i1;
  float w1;
} taps;

static __device__ taps
bilinear_taps (int o, int size)
{
  float src = fmaxf ((o + 0.5f) * 0.5f - 0.5f, 0.0f);
  taps t;
  t.i0 = (int) src;
  t.i1 = t.i0 < size - 1 ? t.i0 + 1 : t.i0;
  t.w1 = src - (float) t.i0;
  return t;
}

/* How much output position o draws from input position i. */
static __device__ float
tap_weight (taps t, int i)
{
  return (t.i0 == i ? 1.0f - t.w1 : 0.0f) + (t.i1 == i ? t.w1 : 0.0f);
}

static __global__ void
upsample_bilinear_forward_kernel (float *y, const float *x, dd_shape in)
{
  int oh_size = 2 * in.h, ow_size = 2 * in.w;
  size_t n = numel (in) * 4;
  DD_CUDA_FOR_EACH (i, n) {
    int ow = (int) (i % ow_size), oh = (int) (i / ow_size % oh_size);
    const float *xp = x + i / ((size_t) ow_size * oh_size) * in.h * in.w;
    taps th = bilinear_taps (oh, in.h), tw = bilinear_taps (ow, in.w);
    const float *r0 = xp + (size_t) th.i0 * in.w, *r1 = xp + (size_t) th.i1 * in.w;
    y[i] = (1.0f - th.w1) * ((1.0f - tw.w1) * r0[tw.i0] + tw.w1 * r0[tw.i1])
        + th.w1 * ((1.0f - tw.w1) * r1[tw.i0] + tw.w1 * r1[tw.i1]);
  }
}

/* Output positions 2i-1 .. 2i+2 are the only ones whose taps reach input
 * position i (the edge clamp included). */
static __global__ void
upsample_bilinear_backward_kernel (float *dx, const float *dy, dd_shape in)
{
  int oh_size = 2 * in.h, ow_size = 2 * in.w;
  size_t n = numel (in);
  DD_CUDA_FOR_EACH (i, n) {
    int iw = (int) (i % in.w), ih = (int) (i / in.w % in.h);
    const float *dyp = dy + i / ((size_t) in.w * in.h) * oh_size * ow_size;
    float sum = 0.0f;
    for (int oh = max (2 * ih - 1, 0); oh <= min (2 * ih + 2, oh_size - 1); oh++) {
      float wh = tap_weight (bilinear_taps (oh, in.h), ih);
      if (wh == 0.0f)
        continue;
      for (int ow = max (2 * iw - 1, 0); ow <= min (2 * iw + 2, ow_size - 1); ow++)
        sum += wh * tap_weight (bilinear_taps (ow, in.w), iw) * dyp[(size_t) oh * ow_size + ow];
    }
    dx[i] += sum;
  }
}

cudaError_t
dd_cuda_upsample_bilinear_forward (cudaStream_t stream, float *y, const float *x, dd_shape in)
{
  return DD_CUDA_LAUNCH (upsample_bilinear_forward_kernel, dd_shape_numel (in) * 4, stream,
                         y, x, in);
}

cudaError_t
dd_cuda_upsample_bilinear_backward (cudaStream_t stream, float *dx, const float *dy,
                                    dd_shape in)
{
  return DD_CUDA_LAUNCH (upsample_bilinear_backward_kernel, dd_shape_numel (in), stream,
                         dx, dy, in);
}

static __global__ void
copy_channels_kernel (float *dst, const float *src, dd_cuda_channel_block b, int accumulate,
                      size_t n)
{
  DD_CUDA_FOR_EACH (i, n) {
    size_t pos = i % b.hw;
    int c = (int) (i / b.hw % b.channels);
    size_t batch = i / (b.hw * b.channels);
    float v = src[(batch * b.src_c + b.src_c0 + c) * b.hw + pos];
    float *d = dst + (batch * b.dst_c + b.dst_c0 + c) * b.hw + pos;
    *d = accumulate ? *d + v : v;
  }
}

cudaError_t
dd_cuda_copy_channels (cudaStream_t stream, float *dst, const float *src,
                       dd_cuda_channel_block block, int accumulate)
{
  size_t n = (size_t) block.batch * block.channels * block.hw;
  return DD_CUDA_LAUNCH (copy_channels_kernel, n, stream, dst, src, block, accumulate, n);
}
