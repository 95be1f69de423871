/* A network: the DAG of named layers read from a network JSON file
 * (docs/network-format.md), its parameters, and the memory to run it on a
 * backend.
 *
 * Life cycle:
 *
 *   dd_net *net = dd_net_load_preset ("small", err, sizeof err);
 *   dd_net_setup (net, be, DD_NET_TRAIN, 16, 128, 128, err, sizeof err);
 *   dd_net_set_input (net, images);             // NCHW host floats
 *   dd_net_forward (net, 1);
 *   dd_net_zero_grad (net);
 *   dd_net_set_grad (net, "heads.center.sigmoid", dloss, err, sizeof err);
 *   dd_net_backward (net);
 *   dd_sgd_step (net, &sgd, lr, err, sizeof err);   // sgd.h
 *   dd_checkpoint_save (net, "student.safetensors", err, sizeof err);
 *
 * Memory: one arena each for parameters, gradients, optimizer state and
 * activations, all allocated through the backend. The first setup binds
 * the network to its backend and initialises the parameters (seed 0, as
 * dd_net_init_params); a later setup with another batch, image size or
 * mode keeps the parameters, gradients and optimizer state and only
 * re-prepares the layers and their activations. The backend must outlive
 * the network.
 *
 * Modes:
 *   DD_NET_TRAIN  forward (training or eval) and backward; on a backend
 *                 that fuses them (dd_backend_ops.fuses_bn_relu), a batch
 *                 norm read by a ReLU alone computes that ReLU, and its
 *                 own output cannot be read;
 *   DD_NET_EVAL   forward with running statistics only, the graph as
 *                 written;
 *   DD_NET_INFER  forward through the inference graph (net_infer.c): each
 *                 batch norm folded into the convolution before it, and a
 *                 following residual add and ReLU fused into that
 *                 convolution. Its outputs equal DD_NET_EVAL's; the layers
 *                 folded away (a conv and its batch norm when a ReLU
 *                 absorbed them) and those whose memory a fused residual
 *                 add sums into cannot be read.
 *
 * Programming errors (forward before a setup, backward outside
 * DD_NET_TRAIN) are caught by assertions; bad files and bad sizes are
 * reported through err.
 */
#ifndef DD_NN_NET_H
#define DD_NN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nn/backend.h"
#include "nn/json.h"
#include "nn/layer.h"

typedef struct dd_net dd_net;

typedef enum dd_net_mode {
  DD_NET_TRAIN,
  DD_NET_EVAL,
  DD_NET_INFER,
} dd_net_mode;

/* Longest tensor name: a layer name, a suffix (".running_mean") and the
 * optimizer prefix ("optimizer."), with the terminating NUL. */
#define DD_TENSOR_NAME_MAX (DD_NAME_MAX + 32)

/* One float tensor of the network, under its PyTorch state_dict name. */
typedef struct dd_net_tensor {
  char name[DD_TENSOR_NAME_MAX];   /* "<layer>.weight", "<layer>.running_var" */
  dd_layer *layer;
  int trainable;                   /* weight or bias; 0 for running statistics */
  int ndim;                        /* 4 for conv weights, 1 otherwise */
  int shape[4];
  size_t numel;
  /* Backend memory; NULL before the first setup. grad and state (the SGD
   * momentum buffer) exist for trainable tensors after a DD_NET_TRAIN
   * setup. */
  float *value;
  float *grad;
  float *state;
} dd_net_tensor;

/* Reads a network JSON file. Errors name the file, and the layer where
 * there is one. */
dd_net *dd_net_load (const char *path, char *err, size_t err_len);
/* The same from text in memory; `origin` names it in error messages. */
dd_net *dd_net_parse (const char *text, size_t len, const char *origin,
                      char *err, size_t err_len);
/* A preset by name ("tiny", "small", "base"), searched in
 * $DDISTILL_PRESET_DIR, the source tree and the install data dir; a name
 * that contains '/' or ends in ".json" is read as a path. */
dd_net *dd_net_load_preset (const char *name_or_path, char *err, size_t err_len);
void dd_net_free (dd_net *net);

const char *dd_net_name (const dd_net *net);
/* The parsed network file, for the keys above the engine (heads, keypoint
 * names, flip pairs, skeleton). Valid as long as the network. */
const dd_json *dd_net_json (const dd_net *net);
/* Input channels and the image size the file declares. */
int dd_net_input_channels (const dd_net *net);
void dd_net_default_size (const dd_net *net, int *height, int *width);

/* Computes every layer's out_shape for a batch and image size without a
 * backend (for FLOPs at another size). Fails on a shape that does not
 * work, and on a network that is set up (use dd_net_setup there). */
int dd_net_reshape (dd_net *net, int batch, int height, int width,
                    char *err, size_t err_len);

/* Binds the network to `be` (always the same backend), computes the shapes,
 * prepares every layer and allocates the arenas. Returns 0, or -1 with a
 * message; after a failure the network must be set up again before use. */
int dd_net_setup (dd_net *net, dd_backend *be, dd_net_mode mode,
                  int batch, int height, int width, char *err, size_t err_len);
dd_backend *dd_net_backend (const dd_net *net);
dd_net_mode dd_net_current_mode (const dd_net *net);
/* Shape of the input the network is set up (or reshaped) for. */
dd_shape dd_net_input_shape (const dd_net *net);

/* Draws every parameter as PyTorch's default initialisation does (conv:
 * kaiming_uniform(a=sqrt(5)) weights, uniform(+-1/sqrt(fan_in)) bias;
 * batch norm: gamma 1, beta 0, running mean 0, var 1), from `seed`; each
 * layer draws from its own stream (a hash of its name), so adding a layer
 * leaves the others' values alone. Needs a setup. Returns 0, or -1 when
 * out of host memory for the staging copy. */
int dd_net_init_params (dd_net *net, uint64_t seed);

/* The layers, in file order; index 0 is the input. */
int dd_net_n_layers (const dd_net *net);
dd_layer *dd_net_layer (const dd_net *net, int i);
dd_layer *dd_net_find (const dd_net *net, const char *name);
int dd_net_n_outputs (const dd_net *net);
dd_layer *dd_net_output (const dd_net *net, int i);

/* host_nchw holds dd_shape_numel (dd_net_input_shape (net)) floats. */
void dd_net_set_input (dd_net *net, const float *host_nchw);
/* training = 1: batch statistics (and running-average updates); only in
 * DD_NET_TRAIN. */
void dd_net_forward (dd_net *net, int training);
/* Copies a layer's output (or its gradient) as NCHW into host memory of
 * dd_shape_numel (layer's out_shape) floats. Fails on an unknown name or a
 * layer folded away in DD_NET_INFER. Backward leaves the gradient with
 * respect to the network's input out (a training step has no use for it);
 * reading it ("input") computes it then, from the last forward and
 * backward: read it before the next forward or optimizer step. */
int dd_net_read (dd_net *net, const char *layer, float *host_nchw,
                 char *err, size_t err_len);
int dd_net_read_grad (dd_net *net, const char *layer, float *host_nchw,
                      char *err, size_t err_len);

/* Zeroes every activation gradient and parameter gradient. */
void dd_net_zero_grad (dd_net *net);
/* Sets d(loss)/d(output of `layer`) (overwriting, not accumulating). */
int dd_net_set_grad (dd_net *net, const char *layer, const float *host_nchw,
                     char *err, size_t err_len);
/* Backward through every layer in reverse order. */
void dd_net_backward (dd_net *net);

/* Parameters and buffers, in checkpoint order. */
int dd_net_n_tensors (const dd_net *net);
const dd_net_tensor *dd_net_tensor_at (const dd_net *net, int i);
const dd_net_tensor *dd_net_find_tensor (const dd_net *net, const char *name);
/* Host copies of a tensor's values (numel floats); writing marks the
 * parameters changed. Need a setup. */
void dd_net_read_tensor (dd_net *net, const dd_net_tensor *t, float *host);
void dd_net_write_tensor (dd_net *net, const dd_net_tensor *t, const float *host);
/* Says that parameter values changed behind the network's back (so the
 * inference graph folds them again before its next forward). */
void dd_net_params_changed (dd_net *net);

/* Optimizer steps taken (saved in checkpoints). */
int64_t dd_net_step (const dd_net *net);
void dd_net_set_step (dd_net *net, int64_t step);

/* Learnable parameters (conv weights and biases, batch norm gamma and
 * beta; not running statistics). */
size_t dd_net_param_count (const dd_net *net);
/* Floating-point operations of one forward pass of one image at the
 * current shapes: each convolution's multiply-adds counted as 2. */
double dd_net_flops_per_image (const dd_net *net);

#endif
