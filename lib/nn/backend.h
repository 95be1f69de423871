/* The one small interface every compute backend implements: `reference`
 * (plain loops, the ground truth of the tests), `cpu` (oneDNN) and `cuda`
 * (cuDNN + cuBLAS). The network (net.c) drives it; nothing above lib/nn
 * calls it directly.
 *
 * Call order for a layer: prepare() once its shapes are known (again after
 * the batch or image size changes, with release() in between), then any
 * number of forward()/backward() calls. prepare() sets l->act_floats; the
 * network then allocates l->y and l->dy of that length before forward().
 *
 * Threading: a backend instance is used by one thread at a time, the
 * engine worker (worker.h) that owns it; other threads hand that worker
 * their work instead of calling in themselves.
 */
#ifndef DD_NN_BACKEND_H
#define DD_NN_BACKEND_H

#include <stddef.h>

#include "nn/layer.h"

typedef struct dd_backend dd_backend;

typedef struct dd_backend_ops {
  const char *name;
  /* Whether prepare() takes a batch norm with bn.fuse_relu. Only then does
   * a training setup let a batch norm compute the ReLU that alone reads it
   * (net.c); elsewhere the two stay layers of their own. */
  int fuses_bn_relu;
  /* Whether prepare() takes a convolution with conv.slice. Only then does
   * an inference graph merge sibling convolutions (net_infer.c). */
  int merges_convs;

  /* Memory where the backend computes (host for reference/cpu, device for
   * cuda). alloc returns NULL when out of memory; the caller reports it. */
  float *(*alloc) (dd_backend *be, size_t n_floats);
  void (*free) (dd_backend *be, float *p);
  void (*upload) (dd_backend *be, float *dst, const float *host_src, size_t n);
  void (*download) (dd_backend *be, float *host_dst, const float *src, size_t n);
  void (*fill) (dd_backend *be, float *dst, float value, size_t n);

  /* Creates what forward/backward need for the layer's current shapes and
   * sets l->act_floats. Returns 0, or -1 with a message in err. `training`
   * says whether backward() will be called. */
  int (*prepare) (dd_backend *be, dd_layer *l, int training, char *err, size_t err_len);
  void (*release) (dd_backend *be, dd_layer *l);

  /* y = f(inputs). training: batch norm uses (and updates the running
   * averages with) batch statistics, and saves what backward needs. */
  void (*forward) (dd_backend *be, dd_layer *l, int training);
  /* Accumulates into inputs[i]->dy and into dweight/dbias, from l->dy. */
  void (*backward) (dd_backend *be, dd_layer *l);

  /* Copies a layer's output or gradient between the backend's layout and
   * plain NCHW host memory of dd_shape_numel(l->out_shape) floats. */
  void (*read_nchw) (dd_backend *be, const dd_layer *l, const float *src, float *host_nchw);
  void (*write_nchw) (dd_backend *be, const dd_layer *l, float *dst, const float *host_nchw);

  /* SGD with momentum and weight decay, PyTorch's formulation:
   *   g = grad + wd * param;  v = momentum * v + g;  param -= lr * v  */
  void (*sgd_step) (dd_backend *be, float *param, const float *grad, float *velocity,
                    size_t n, float lr, float momentum, float weight_decay);

  void (*destroy) (dd_backend *be);
} dd_backend_ops;

struct dd_backend {
  const dd_backend_ops *ops;
  void *priv;
};

/* Creates a backend by name: "reference", "cpu", "cuda". Returns NULL with a
 * message in err when the name is unknown or the device cannot be used. */
dd_backend *dd_backend_new (const char *name, char *err, size_t err_len);
void dd_backend_free (dd_backend *be);

/* The i-th backend built into this program ("reference" first, then "cpu"
 * where oneDNN was found, "cuda" where CUDA was), NULL past the last: tests
 * loop over these so that every backend built is tested. */
const char *dd_backend_name (size_t i);

/* Constructors of the built-in backends (backend.c dispatches by name). */
dd_backend *dd_backend_reference_new (char *err, size_t err_len);
/* Built when DD_HAVE_DNNL is defined (lib/nn/backend_cpu.c). */
dd_backend *dd_backend_cpu_new (char *err, size_t err_len);
/* Built when DD_HAVE_CUDA is defined (lib/nn/backend_cuda.c). */
dd_backend *dd_backend_cuda_new (char *err, size_t err_len);

#endif
