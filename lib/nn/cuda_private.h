/* The CUDA backend's state and the functions its files share (private to
 * lib/nn). Activations are NCHW float32 in device memory, like the
 * reference backend's, so read_nchw/write_nchw are plain copies. Every
 * call is queued on the backend's one stream, to which the cuDNN handle is
 * bound; the host waits only where it needs data back.
 *
 * Files: backend_cuda.c (creation, the ops table, dispatch by op),
 * cuda_memory.c (device memory, copies, the cuDNN workspace, SGD),
 * cuda_conv.c and cuda_batchnorm.c (cuDNN), cuda_layers.c (the layers
 * computed by our own kernels), cuda_errors.c (error reports). */
#ifndef DD_NN_CUDA_PRIVATE_H
#define DD_NN_CUDA_PRIVATE_H

#include <stddef.h>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "nn/backend.h"

typedef struct dd_cuda {
  cudaStream_t stream;
  cudnnHandle_t cudnn;
  /* One scratch area for every cuDNN call: the stream runs one at a time.
   * prepare() grows it, so forward and backward never allocate. */
  void *workspace;
  size_t workspace_bytes;
} dd_cuda;

static inline dd_cuda *
dd_cuda_of (dd_backend *be)
{
  return be->priv;
}

/* Errors in forward, backward and the copies, which have no error return:
 * a failed CUDA or cuDNN call there leaves device data undefined, so these
 * print the layer (NULL when none), the call and the status on stderr and
 * abort. */
_Noreturn void dd_cuda_die (const char *layer, const char *call, const char *status);
void dd_cuda_check (cudaError_t e, const char *layer, const char *call);
void dd_cudnn_check (cudnnStatus_t s, const char *layer, const char *call);

/* Errors in prepare(): returns 1 on success, else writes "layer 'x': call
 * failed: status" into err and returns 0, so steps chain with ||. */
int dd_cudnn_ok (cudnnStatus_t s, const dd_layer *l, const char *call, char *err,
                 size_t err_len);

/* Creates a float32 NCHW descriptor of shape s. */
static inline cudnnStatus_t
dd_cuda_tensor_desc (cudnnTensorDescriptor_t *desc, dd_shape s)
{
  cudnnStatus_t st = cudnnCreateTensorDescriptor (desc);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetTensor4dDescriptor (*desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                     s.n, s.c, s.h, s.w);
  return st;
}

/* Grows the shared cuDNN workspace to at least `bytes`. Returns 0, or -1
 * with a message about layer l when the device is out of memory. */
int dd_cuda_reserve_workspace (dd_cuda *cu, size_t bytes, const dd_layer *l, char *err,
                               size_t err_len);

/* cuda_memory.c: the memory entries of dd_backend_ops. */
float *dd_cuda_op_alloc (dd_backend *be, size_t n_floats);
void dd_cuda_op_free (dd_backend *be, float *p);
void dd_cuda_op_upload (dd_backend *be, float *dst, const float *host_src, size_t n);
void dd_cuda_op_download (dd_backend *be, float *host_dst, const float *src, size_t n);
void dd_cuda_op_fill (dd_backend *be, float *dst, float value, size_t n);
void dd_cuda_op_read_nchw (dd_backend *be, const dd_layer *l, const float *src, float *host_nchw);
void dd_cuda_op_write_nchw (dd_backend *be, const dd_layer *l, float *dst, const float *host_nchw);
void dd_cuda_op_sgd_step (dd_backend *be, float *param, const float *grad, float *velocity,
                          size_t n, float lr, float momentum, float weight_decay);

/* cuda_conv.c: cuDNN convolution; descriptors and algorithms are chosen
 * in prepare() and kept in l->backend_state. */
int dd_cuda_conv_prepare (dd_cuda *cu, dd_layer *l, int training, char *err, size_t err_len);
void dd_cuda_conv_release (dd_layer *l);
void dd_cuda_conv_forward (dd_cuda *cu, dd_layer *l);
void dd_cuda_conv_backward (dd_cuda *cu, dd_layer *l);

/* cuda_batchnorm.c: cuDNN spatial batch norm. */
int dd_cuda_bn_prepare (dd_layer *l, char *err, size_t err_len);
void dd_cuda_bn_release (dd_layer *l);
void dd_cuda_bn_forward (dd_cuda *cu, dd_layer *l, int training);
void dd_cuda_bn_backward (dd_cuda *cu, dd_layer *l);

/* cuda_layers.c: ReLU, sigmoid, max-pool, upsampling, concat and add. */
void dd_cuda_layer_forward (dd_cuda *cu, dd_layer *l);
void dd_cuda_layer_backward (dd_cuda *cu, dd_layer *l);

#endif
