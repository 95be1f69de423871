/* Device memory of the CUDA backend: allocation, host copies on the
 * backend's stream, fill, the shared cuDNN workspace, and the SGD step
 * (which runs where the parameters live). */
#include <stdint.h>
#include <stdio.h>

#include "nn/cuda_kernels.h"
#include "nn/cuda_private.h"

float *
dd_cuda_op_alloc (dd_backend *be, size_t n_floats)
{
  void *p = NULL;
  (void) be;
  if (n_floats > SIZE_MAX / sizeof (float))
    return NULL;
  cudaError_t e = cudaMalloc (&p, (n_floats ? n_floats : 1) * sizeof (float));
  if (e == cudaSuccess)
    return p;
  /* The caller reports "out of memory"; any other cause is said here. */
  if (e != cudaErrorMemoryAllocation)
    fprintf (stderr, "cuda backend: cudaMalloc of %zu floats failed: %s\n", n_floats,
             cudaGetErrorString (e));
  /* A failed cudaMalloc stays the "last error": clear it so the next
   * kernel launch check does not report it as its own. */
  cudaGetLastError ();
  return NULL;
}

void
dd_cuda_op_free (dd_backend *be, float *p)
{
  (void) be;
  dd_cuda_check (cudaFree (p), NULL, "cudaFree");
}

/* Both directions wait for the copy: the host may reuse or read its buffer
 * as soon as the call returns, whatever kind of host memory it is. */
static void
copy (dd_cuda *cu, void *dst, const void *src, size_t n, enum cudaMemcpyKind kind,
      const char *what)
{
  if (n == 0)
    return;
  dd_cuda_check (cudaMemcpyAsync (dst, src, n * sizeof (float), kind, cu->stream), NULL, what);
  dd_cuda_check (cudaStreamSynchronize (cu->stream), NULL, what);
}

void
dd_cuda_op_upload (dd_backend *be, float *dst, const float *host_src, size_t n)
{
  copy (dd_cuda_of (be), dst, host_src, n, cudaMemcpyHostToDevice,
        "cudaMemcpyAsync (upload to the device)");
}

void
dd_cuda_op_download (dd_backend *be, float *host_dst, const float *src, size_t n)
{
  copy (dd_cuda_of (be), host_dst, src, n, cudaMemcpyDeviceToHost,
        "cudaMemcpyAsync (download from the device)");
}

void
dd_cuda_op_read_nchw (dd_backend *be, const dd_layer *l, const float *src, float *host_nchw)
{
  copy (dd_cuda_of (be), host_nchw, src, dd_shape_numel (l->out_shape),
        cudaMemcpyDeviceToHost, "cudaMemcpyAsync (read_nchw)");
}

void
dd_cuda_op_write_nchw (dd_backend *be, const dd_layer *l, float *dst, const float *host_nchw)
{
  copy (dd_cuda_of (be), dst, host_nchw, dd_shape_numel (l->out_shape),
        cudaMemcpyHostToDevice, "cudaMemcpyAsync (write_nchw)");
}

void
dd_cuda_op_fill (dd_backend *be, float *dst, float value, size_t n)
{
  dd_cuda_check (dd_cuda_fill (dd_cuda_of (be)->stream, dst, value, n), NULL, "fill kernel");
}

void
dd_cuda_op_sgd_step (dd_backend *be, float *param, const float *grad, float *velocity,
                     size_t n, float lr, float momentum, float weight_decay)
{
  dd_cuda_check (dd_cuda_sgd_step (dd_cuda_of (be)->stream, param, grad, velocity, n, lr,
                                   momentum, weight_decay), NULL, "SGD kernel");
}

int
dd_cuda_reserve_workspace (dd_cuda *cu, size_t bytes, const dd_layer *l, char *err,
                           size_t err_len)
{
  void *p = NULL;
  if (bytes <= cu->workspace_bytes)
    return 0;
  /* cudaFree waits for the device, so no queued call still uses the old
   * area. */
  dd_cuda_check (cudaFree (cu->workspace), l->name, "cudaFree (cuDNN workspace)");
  cu->workspace = NULL;
  cu->workspace_bytes = 0;
  cudaError_t e = cudaMalloc (&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError ();
    snprintf (err, err_len, "layer '%s': cannot allocate the %.1f MiB cuDNN workspace its "
              "convolution needs: %s; use a smaller batch or image size", l->name,
              bytes / 1048576.0, cudaGetErrorString (e));
    return -1;
  }
  cu->workspace = p;
  cu->workspace_bytes = bytes;
  return 0;
}
