/* conv2d on the CUDA backend through cuDNN's convolution API:
 *   x [N, C, H, W], weight [O, C/groups, kh, kw] (OIHW, as PyTorch),
 *   bias [O], y [N, O, OH, OW]
 * Forward is cudnnConvolutionForward, then one kernel adds the bias and
 * applies the fused ReLU. A fused residual add (an inference graph) starts
 * y as a copy of that input (or y is it) and lets cuDNN add onto it
 * (beta = 1). Backward calls cuDNN with beta = 1, so the data,
 * filter and bias gradients accumulate into what is there, as layer.h
 * asks.
 *
 * Math is FMA only (CUDNN_FMA_MATH): on Ampere and newer GPUs cuDNN would
 * otherwise use TF32 tensor cores, whose 10-bit mantissa (about 5e-4
 * relative per product) would eat the whole 1e-3 agreement with the CPU
 * backends. A reduced-precision mode would be a separate choice.
 *
 * Algorithms come from cuDNN's heuristics (cudnnGet*_v7) in prepare(),
 * which runs before the network allocates the layer's buffers, so there is
 * nothing to time cudnnFind* on; PyTorch makes the same choice unless
 * cudnn.benchmark is set. The heuristics list algorithms fastest first; the
 * first one that works for these descriptors within the workspace limit
 * wins. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/cuda_kernels.h"
#include "nn/cuda_private.h"

/* The most workspace one convolution may ask for; cuDNN always has an
 * algorithm that needs little or none. */
#define WORKSPACE_LIMIT ((size_t) 256 << 20)

#define ARRAY_LEN(array) (sizeof (array) / sizeof (array)[0])

typedef struct conv_state {
  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnConvolutionFwdAlgo_t fwd;
  cudnnConvolutionBwdDataAlgo_t bwd_data;
  cudnnConvolutionBwdFilterAlgo_t bwd_filter;
  int training;
} conv_state;

static void
destroy_state (conv_state *s)
{
  if (s->x)
    cudnnDestroyTensorDescriptor (s->x);
  if (s->y)
    cudnnDestroyTensorDescriptor (s->y);
  if (s->bias)
    cudnnDestroyTensorDescriptor (s->bias);
  if (s->w)
    cudnnDestroyFilterDescriptor (s->w);
  if (s->conv)
    cudnnDestroyConvolutionDescriptor (s->conv);
  free (s);
}

static int
describe (conv_state *s, const dd_layer *l, char *err, size_t err_len)
{
  const dd_conv_attr *a = &l->conv;
  dd_shape in = l->inputs[0]->out_shape;
  return dd_cudnn_ok (dd_cuda_tensor_desc (&s->x, in), l, "cudnnSetTensor4dDescriptor (input)",
                      err, err_len)
      && dd_cudnn_ok (dd_cuda_tensor_desc (&s->y, l->out_shape), l,
                      "cudnnSetTensor4dDescriptor (output)", err, err_len)
      && dd_cudnn_ok (dd_cuda_tensor_desc (&s->bias, (dd_shape) {1, a->out_channels, 1, 1}),
                      l, "cudnnSetTensor4dDescriptor (bias)", err, err_len)
      && dd_cudnn_ok (cudnnCreateFilterDescriptor (&s->w), l, "cudnnCreateFilterDescriptor",
                      err, err_len)
      && dd_cudnn_ok (cudnnSetFilter4dDescriptor (s->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                  a->out_channels, in.c / a->groups, a->kh,
                                                  a->kw), l, "cudnnSetFilter4dDescriptor",
                      err, err_len)
      && dd_cudnn_ok (cudnnCreateConvolutionDescriptor (&s->conv), l,
                      "cudnnCreateConvolutionDescriptor", err, err_len)
      && dd_cudnn_ok (cudnnSetConvolution2dDescriptor (s->conv, a->pad_h, a->pad_w,
                                                       a->stride_h, a->stride_w,
                                                       a->dilation_h, a->dilation_w,
                                                       CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT), l,
                      "cudnnSetConvolution2dDescriptor", err, err_len)
      && dd_cudnn_ok (cudnnSetConvolutionGroupCount (s->conv, a->groups), l,
                      "cudnnSetConvolutionGroupCount", err, err_len)
      && dd_cudnn_ok (cudnnSetConvolutionMathType (s->conv, CUDNN_FMA_MATH), l,
                      "cudnnSetConvolutionMathType", err, err_len);
}

/* cuDNN's output size must be the out_shape the network computed (PyTorch's
 * rule, checked before): a mismatch means the descriptors are wrong. */
static int
check_output (const conv_state *s, const dd_layer *l, char *err, size_t err_len)
{
  int n, c, h, w;
  if (!dd_cudnn_ok (cudnnGetConvolution2dForwardOutputDim (s->conv, s->x, s->w, &n, &c, &h, &w),
                    l, "cudnnGetConvolution2dForwardOutputDim", err, err_len))
    return -1;
  dd_shape o = l->out_shape;
  if (n != o.n || c != o.c || h != o.h || w != o.w) {
    snprintf (err, err_len, "layer '%s': cuDNN computes a %dx%dx%dx%d output, the network "
              "expects %dx%dx%dx%d", l->name, n, c, h, w, o.n, o.c, o.h, o.w);
    return -1;
  }
  return 0;
}

/* Tensor-core results would be TF32 (see the top of the file). */
static int
fma_result (cudnnStatus_t status, cudnnMathType_t math)
{
  return status == CUDNN_STATUS_SUCCESS && math != CUDNN_TENSOR_OP_MATH
      && math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

static int
no_algorithm (const dd_layer *l, const char *pass, char *err, size_t err_len)
{
  snprintf (err, err_len, "layer '%s': cuDNN offers no fp32 %s convolution algorithm for "
            "this shape within %zu MiB of workspace", l->name, pass, WORKSPACE_LIMIT >> 20);
  return -1;
}

static int
choose_forward (dd_cuda *cu, conv_state *s, const dd_layer *l, size_t *bytes, char *err,
                size_t err_len)
{
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnGetConvolutionForwardAlgorithm_v7 (cu->cudnn, s->x, s->w, s->conv,
                                                             s->y, (int) ARRAY_LEN (perf), &n,
                                                             perf);
  if (!dd_cudnn_ok (st, l, "cudnnGetConvolutionForwardAlgorithm_v7", err, err_len))
    return -1;
  for (int i = 0; i < n; i++) {
    if (fma_result (perf[i].status, perf[i].mathType)
        && cudnnGetConvolutionForwardWorkspaceSize (cu->cudnn, s->x, s->w, s->conv, s->y,
                                                    perf[i].algo, bytes)
        == CUDNN_STATUS_SUCCESS && *bytes <= WORKSPACE_LIMIT) {
      s->fwd = perf[i].algo;
      return 0;
    }
  }
  return no_algorithm (l, "forward", err, err_len);
}

static int
choose_backward_data (dd_cuda *cu, conv_state *s, const dd_layer *l, size_t *bytes, char *err,
                      size_t err_len)
{
  cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnGetConvolutionBackwardDataAlgorithm_v7 (cu->cudnn, s->w, s->y,
                                                                  s->conv, s->x,
                                                                  (int) ARRAY_LEN (perf), &n, perf);
  if (!dd_cudnn_ok (st, l, "cudnnGetConvolutionBackwardDataAlgorithm_v7", err, err_len))
    return -1;
  for (int i = 0; i < n; i++) {
    if (fma_result (perf[i].status, perf[i].mathType)
        && cudnnGetConvolutionBackwardDataWorkspaceSize (cu->cudnn, s->w, s->y, s->conv, s->x,
                                                         perf[i].algo, bytes)
        == CUDNN_STATUS_SUCCESS && *bytes <= WORKSPACE_LIMIT) {
      s->bwd_data = perf[i].algo;
      return 0;
    }
  }
  return no_algorithm (l, "backward-data", err, err_len);
}

static int
choose_backward_filter (dd_cuda *cu, conv_state *s, const dd_layer *l, size_t *bytes,
                        char *err, size_t err_len)
{
  cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnGetConvolutionBackwardFilterAlgorithm_v7 (cu->cudnn, s->x, s->y,
                                                                    s->conv, s->w,
                                                                    (int) ARRAY_LEN (perf), &n,
                                                                    perf);
  if (!dd_cudnn_ok (st, l, "cudnnGetConvolutionBackwardFilterAlgorithm_v7", err, err_len))
    return -1;
  for (int i = 0; i < n; i++) {
    if (fma_result (perf[i].status, perf[i].mathType)
        && cudnnGetConvolutionBackwardFilterWorkspaceSize (cu->cudnn, s->x, s->y, s->conv,
                                                           s->w, perf[i].algo, bytes)
        == CUDNN_STATUS_SUCCESS && *bytes <= WORKSPACE_LIMIT) {
      s->bwd_filter = perf[i].algo;
      return 0;
    }
  }
  return no_algorithm (l, "backward-filter", err, err_len);
}

/* Picks the algorithms this layer's passes need and grows the shared
 * workspace to the largest of their needs. */
static int
choose_algorithms (dd_cuda *cu, conv_state *s, const dd_layer *l, char *err, size_t err_len)
{
  size_t fwd = 0, data = 0, filter = 0;
  if (choose_forward (cu, s, l, &fwd, err, err_len) < 0)
    return -1;
  if (s->training
      && (choose_backward_data (cu, s, l, &data, err, err_len) < 0
          || choose_backward_filter (cu, s, l, &filter, err, err_len) < 0))
    return -1;
  size_t most = fwd > data ? fwd : data;
  return dd_cuda_reserve_workspace (cu, most > filter ? most : filter, l, err, err_len);
}

int
dd_cuda_conv_prepare (dd_cuda *cu, dd_layer *l, int training, char *err, size_t err_len)
{
  conv_state *s = calloc (1, sizeof *s);
  if (!s) {
    snprintf (err, err_len, "layer '%s': out of host memory for the cuDNN descriptors",
              l->name);
    return -1;
  }
  s->training = training;
  if (!describe (s, l, err, err_len) || check_output (s, l, err, err_len) < 0
      || choose_algorithms (cu, s, l, err, err_len) < 0) {
    destroy_state (s);
    return -1;
  }
  l->backend_state = s;
  return 0;
}

void
dd_cuda_conv_release (dd_layer *l)
{
  if (l->backend_state)
    destroy_state (l->backend_state);
  l->backend_state = NULL;
}

void
dd_cuda_conv_forward (dd_cuda *cu, dd_layer *l)
{
  const conv_state *s = l->backend_state;
  const dd_layer *add = l->conv.fuse_add_input;
  const float one = 1.0f, zero = 0.0f;
  if (add && add->y != l->y)
    dd_cuda_check (cudaMemcpyAsync (l->y, add->y,
                                    dd_shape_numel (l->out_shape) * sizeof (float),
                                    cudaMemcpyDeviceToDevice, cu->stream),
                   l->name, "cudaMemcpyAsync (the residual input)");
  dd_cudnn_check (cudnnConvolutionForward (cu->cudnn, &one, s->x, l->inputs[0]->y, s->w,
                                           l->weight, s->conv, s->fwd, cu->workspace,
                                           cu->workspace_bytes, add ? &one : &zero, s->y,
                                           l->y),
                  l->name, "cudnnConvolutionForward");
  if (l->conv.has_bias || l->conv.fuse_relu)
    dd_cuda_check (dd_cuda_bias_relu (cu->stream, l->y, l->conv.has_bias ? l->bias : NULL,
                                      l->conv.fuse_relu, l->out_shape),
                   l->name, "bias and ReLU kernel");
}

void
dd_cuda_conv_backward (dd_cuda *cu, dd_layer *l)
{
  const conv_state *s = l->backend_state;
  dd_layer *src = l->inputs[0];
  const float one = 1.0f;
  if (!s->training)
    dd_cuda_die (l->name, "backward", "the layer was prepared for inference (training=0), "
                 "so no backward algorithms were chosen");
  if (src->dy)
    dd_cudnn_check (cudnnConvolutionBackwardData (cu->cudnn, &one, s->w, l->weight, s->y,
                                                  l->dy, s->conv, s->bwd_data, cu->workspace,
                                                  cu->workspace_bytes, &one, s->x, src->dy),
                    l->name, "cudnnConvolutionBackwardData");
  dd_cudnn_check (cudnnConvolutionBackwardFilter (cu->cudnn, &one, s->x, src->y, s->y, l->dy,
                                                  s->conv, s->bwd_filter, cu->workspace,
                                                  cu->workspace_bytes, &one, s->w,
                                                  l->dweight),
                  l->name, "cudnnConvolutionBackwardFilter");
  if (l->conv.has_bias)
    dd_cudnn_check (cudnnConvolutionBackwardBias (cu->cudnn, &one, s->y, l->dy, &one, s->bias,
                                                  l->dbias),
                    l->name, "cudnnConvolutionBackwardBias");
}
