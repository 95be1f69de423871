/* Error reports of the CUDA backend: each names the layer, the CUDA or
 * cuDNN call and its status, and for cuDNN the library's own explanation
 * of its last error. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/cuda_private.h"

void
dd_cuda_die (const char *layer, const char *call, const char *status)
{
  fprintf (stderr, "cuda backend: %s%s%s%s failed: %s; device results are undefined "
           "from here on, stopping\n", layer ? "layer '" : "", layer ? layer : "",
           layer ? "': " : "", call, status);
  abort ();
}

void
dd_cuda_check (cudaError_t e, const char *layer, const char *call)
{
  if (e != cudaSuccess)
    dd_cuda_die (layer, call, cudaGetErrorString (e));
}

/* cuDNN's status string, followed by its detailed message when it has one. */
static void
cudnn_status (cudnnStatus_t s, char *buf, size_t len)
{
  char detail[256] = "";
  cudnnGetLastErrorString (detail, sizeof detail);
  snprintf (buf, len, "%s%s%s", cudnnGetErrorString (s), detail[0] ? ": " : "", detail);
}

void
dd_cudnn_check (cudnnStatus_t s, const char *layer, const char *call)
{
  char status[384];
  if (s == CUDNN_STATUS_SUCCESS)
    return;
  cudnn_status (s, status, sizeof status);
  dd_cuda_die (layer, call, status);
}

int
dd_cudnn_ok (cudnnStatus_t s, const dd_layer *l, const char *call, char *err, size_t err_len)
{
  char status[384];
  if (s == CUDNN_STATUS_SUCCESS)
    return 1;
  cudnn_status (s, status, sizeof status);
  snprintf (err, err_len, "layer '%s': %s failed: %s", l->name, call, status);
  return 0;
}
