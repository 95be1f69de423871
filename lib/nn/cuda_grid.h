/* Launch geometry shared by the CUDA backend's .cu files: one thread per
 * element in a grid-stride loop, so one launch of a bounded grid covers
 * any tensor size. CUDA C++ only. */
#ifndef DD_NN_CUDA_GRID_H
#define DD_NN_CUDA_GRID_H

#include <stddef.h>

#define DD_CUDA_THREADS 256
/* Enough blocks to fill any current GPU many times over; larger tensors
 * loop instead of launching more. */
#define DD_CUDA_MAX_BLOCKS 65535u

#define DD_CUDA_FOR_EACH(i, n)                                             \
  for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (size_t) blockDim.x * gridDim.x)

static inline unsigned int
dd_cuda_blocks (size_t n)
{
  size_t blocks = (n + DD_CUDA_THREADS - 1) / DD_CUDA_THREADS;
  return blocks < DD_CUDA_MAX_BLOCKS ? (unsigned int) blocks : DD_CUDA_MAX_BLOCKS;
}

/* Launches kernel<<<...>>>(args) over n elements on stream and returns the
 * launch status; n == 0 launches nothing (a zero-block grid is an error). */
#define DD_CUDA_LAUNCH(kernel, n, stream, ...)                             \
  ((n) == 0 ? cudaSuccess                                                  \
   : (kernel<<<dd_cuda_blocks (n), DD_CUDA_THREADS, 0, (stream)>>> (__VA_ARGS__), \
      cudaGetLastError ()))

#endif
