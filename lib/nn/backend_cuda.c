/* The `cuda` backend: NCHW float32 activations and plain OIHW parameters
 * in device memory; convolution and batch norm through cuDNN 9, the other
 * layers through the small kernels of cuda_*.cu, all on one stream per
 * backend instance. This file creates the backend and dispatches by op;
 * see cuda_private.h for the other files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cuda_kernels.h"
#include "nn/cuda_private.h"
#include "nn/reference_ops.h"

static int
cuda_prepare (dd_backend *be, dd_layer *l, int training, char *err, size_t err_len)
{
  /* The layer checks are the reference backend's, so every backend
   * accepts and refuses the same layers with the same messages. */
  if (dd_ref_check_layer (l, training, err, err_len) < 0)
    return -1;
  l->act_floats = dd_shape_numel (l->out_shape);
  l->backend_state = NULL;
  switch (l->op) {
    case DD_OP_CONV2D:
      return dd_cuda_conv_prepare (dd_cuda_of (be), l, training, err, err_len);
    case DD_OP_BATCHNORM:
      return dd_cuda_bn_prepare (l, err, err_len);
    default:
      return 0;
  }
}

static void
cuda_release (dd_backend *be, dd_layer *l)
{
  (void) be;
  if (l->op == DD_OP_CONV2D)
    dd_cuda_conv_release (l);
  else if (l->op == DD_OP_BATCHNORM)
    dd_cuda_bn_release (l);
}

static void
cuda_forward (dd_backend *be, dd_layer *l, int training)
{
  switch (l->op) {
    case DD_OP_INPUT:
      break;
    case DD_OP_CONV2D:
      dd_cuda_conv_forward (dd_cuda_of (be), l);
      break;
    case DD_OP_BATCHNORM:
      dd_cuda_bn_forward (dd_cuda_of (be), l, training);
      break;
    default:
      dd_cuda_layer_forward (dd_cuda_of (be), l);
      break;
  }
}

static void
cuda_backward (dd_backend *be, dd_layer *l)
{
  switch (l->op) {
    case DD_OP_INPUT:
      break;
    case DD_OP_CONV2D:
      dd_cuda_conv_backward (dd_cuda_of (be), l);
      break;
    case DD_OP_BATCHNORM:
      dd_cuda_bn_backward (dd_cuda_of (be), l);
      break;
    default:
      dd_cuda_layer_backward (dd_cuda_of (be), l);
      break;
  }
}

/* Teardown ignores errors: after a device fault there is nothing better to
 * do than to let go of what can be let go of. */
static void
cuda_destroy (dd_backend *be)
{
  dd_cuda *cu = be->priv;
  if (cu) {
    if (cu->cudnn)
      cudnnDestroy (cu->cudnn);
    cudaFree (cu->workspace);
    if (cu->stream)
      cudaStreamDestroy (cu->stream);
    cudaGetLastError ();
    free (cu);
  }
  free (be);
}

static const dd_backend_ops cuda_ops = {
  .name = "cuda",
  .alloc = dd_cuda_op_alloc,
  .free = dd_cuda_op_free,
  .upload = dd_cuda_op_upload,
  .download = dd_cuda_op_download,
  .fill = dd_cuda_op_fill,
  .prepare = cuda_prepare,
  .release = cuda_release,
  .forward = cuda_forward,
  .backward = cuda_backward,
  .read_nchw = dd_cuda_op_read_nchw,
  .write_nchw = dd_cuda_op_write_nchw,
  .sgd_step = dd_cuda_op_sgd_step,
  .destroy = cuda_destroy,
};

/* CUDA versions are major * 1000 + minor * 10. */
static void
version_text (int v, char *buf, size_t len)
{
  snprintf (buf, len, "%d.%d", v / 1000, v % 1000 / 10);
}

/* Is there a device, and a driver new enough for the runtime we link? */
static int
find_device (char *err, size_t err_len)
{
  int count = 0, driver = 0, runtime = 0;
  char have[16], need[16];
  cudaDriverGetVersion (&driver);       /* 0 when no driver is loaded */
  cudaRuntimeGetVersion (&runtime);
  cudaError_t e = cudaGetDeviceCount (&count);
  cudaGetLastError ();
  if (e == cudaErrorInsufficientDriver && driver > 0) {
    version_text (driver, have, sizeof have);
    version_text (runtime, need, sizeof need);
    snprintf (err, err_len, "cuda backend: the NVIDIA driver supports CUDA %s, older than "
              "the CUDA %s runtime this program was built with; install a newer driver",
              have, need);
    return -1;
  }
  if (e != cudaSuccess) {
    snprintf (err, err_len, "no CUDA device: %s%s", cudaGetErrorString (e),
              driver == 0 ? " (no NVIDIA driver is loaded)" : "");
    return -1;
  }
  if (count == 0) {
    snprintf (err, err_len, "no CUDA device: the NVIDIA driver reports none");
    return -1;
  }
  return 0;
}

/* The device must run this build's kernels (sm_90 code, or PTX it can
 * compile: compute capability 9.0 and newer). */
static int
check_kernels_run (char *err, size_t err_len)
{
  cudaError_t e = dd_cuda_kernels_probe ();
  struct cudaDeviceProp prop;
  if (e == cudaSuccess)
    return 0;
  cudaGetLastError ();
  if (cudaGetDeviceProperties (&prop, 0) != cudaSuccess) {
    memset (&prop, 0, sizeof prop);
    snprintf (prop.name, sizeof prop.name, "device 0");
  }
  snprintf (err, err_len, "cuda backend: this build's kernels cannot run on the %s "
            "(compute capability %d.%d): %s; they are built for compute capability 9.0 "
            "and newer", prop.name, prop.major, prop.minor, cudaGetErrorString (e));
  return -1;
}

static int
start_cudnn (dd_cuda *cu, char *err, size_t err_len)
{
  size_t loaded = cudnnGetVersion ();
  if (loaded / 10000 != CUDNN_MAJOR) {
    snprintf (err, err_len, "cuda backend: cuDNN %zu.%zu is loaded, this program was built "
              "against cuDNN %d.%d; install cuDNN %d", loaded / 10000, loaded / 100 % 100,
              CUDNN_MAJOR, CUDNN_MINOR, CUDNN_MAJOR);
    return -1;
  }
  cudnnStatus_t st = cudnnCreate (&cu->cudnn);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetStream (cu->cudnn, cu->stream);
  if (st != CUDNN_STATUS_SUCCESS) {
    snprintf (err, err_len, "cuda backend: starting cuDNN failed: %s",
              cudnnGetErrorString (st));
    return -1;
  }
  return 0;
}

static int
start (dd_cuda *cu, char *err, size_t err_len)
{
  cudaError_t e = cudaSetDevice (0);
  if (e == cudaSuccess)
    e = cudaStreamCreateWithFlags (&cu->stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    snprintf (err, err_len, "cuda backend: cannot start device 0: %s", cudaGetErrorString (e));
    cudaGetLastError ();
    return -1;
  }
  if (check_kernels_run (err, err_len) < 0)
    return -1;
  return start_cudnn (cu, err, err_len);
}

dd_backend *
dd_backend_cuda_new (char *err, size_t err_len)
{
  if (find_device (err, err_len) < 0)
    return NULL;
  dd_backend *be = calloc (1, sizeof *be);
  dd_cuda *cu = calloc (1, sizeof *cu);
  if (!be || !cu) {
    free (be);
    free (cu);
    snprintf (err, err_len, "cuda backend: out of host memory");
    return NULL;
  }
  be->ops = &cuda_ops;
  be->priv = cu;
  if (start (cu, err, err_len) < 0) {
    cuda_destroy (be);
    return NULL;
  }
  return be;
}
