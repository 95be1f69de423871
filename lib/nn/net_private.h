/* The inside of dd_net, shared by the files that implement it (net*.c,
 * checkpoint.c, sgd.c). Nothing outside lib/nn includes this. */
#ifndef DD_NN_NET_PRIVATE_H
#define DD_NN_NET_PRIVATE_H

#include "nn/net.h"

/* Floats per arena slot boundary: 64 bytes, a cache line and an AVX-512
 * vector, so every tensor starts aligned. */
#define DD_NET_ALIGN_FLOATS 16

/* A batch norm folded into the convolution before it: `out` (an inference
 * layer) computes bn(conv(x)) with its own weights. */
struct dd_net_fold {
  const dd_layer *conv, *bn;
  dd_layer *out;
};

/* Sibling convolutions merged into one in the inference graph
 * (net_infer.c): `out` computes the members' outputs side by side along
 * channels, in member order, from weights of its own. With block_diag,
 * member k reads only the k-th group of out's input channels (1x1
 * convolutions after merged siblings, one per sibling). */
#define DD_NET_MERGE_MAX 16
struct dd_net_merge {
  int n, block_diag;
  const dd_layer *members[DD_NET_MERGE_MAX];
  dd_layer *out;
};

struct dd_net {
  char *origin;                 /* the file (or text origin) in messages */
  char *name;
  dd_json *json;
  int in_c, default_h, default_w;

  /* The graph as written; layers[0] is the input. Fixed-size array, so the
   * inputs[] pointers between layers stay valid. */
  int n_layers;
  dd_layer *layers;
  int *n_consumers;             /* per layer: how many inputs name it */
  char *bn_relu;                /* per layer: a ReLU its batch norm computes in
                                 * the current setup (net.c) */
  int n_outputs;
  int *outputs;                 /* layer indices */

  /* Parameters and buffers in checkpoint order, trainable ones first in
   * the arenas (see net.c). */
  int n_tensors;
  dd_net_tensor *tensors;
  int64_t *bn_batches;          /* per layer: num_batches_tracked */
  int64_t step;

  /* Set by the first setup. */
  dd_backend *be;
  float *param_arena;           /* every tensor's values */
  float *grad_arena;            /* trainable tensors only, same offsets */
  float *state_arena;
  size_t param_floats, trainable_floats;

  /* Set by each setup. */
  int set_up;                   /* layers prepared and activations allocated */
  dd_net_mode mode;
  dd_shape in_shape;
  float *act_arena;
  float *dy_base;               /* where the dy half of act_arena starts */
  size_t dy_floats;
  /* The input's gradient, computed only when read (net_input_grad.c): its
   * memory (the input layer's dy is NULL), and whether a backward ran
   * since it was last computed or zeroed. */
  float *input_dy;
  int input_grad_due;

  /* The inference graph (net_infer.c), built on the first DD_NET_INFER
   * setup. infer_of[i] is the inference layer computing layers[i]'s
   * output, or NULL where it was folded away. */
  int n_infer;
  dd_layer *infer_layers;
  dd_layer **infer_of;
  int n_folds;
  struct dd_net_fold *folds;
  float *folded_arena;
  int n_merges;
  struct dd_net_merge *merges;
  float *fold_scratch;          /* host memory for folding and merging, sized at build */
  int params_dirty;             /* folded weights must be computed again */

  /* The layers the current mode runs, in order. */
  int n_run;
  dd_layer *run;
};

/* net_shape.c: out_shape of every layer of `layers` (layers[0] the input,
 * already shaped, is checked), by dd_layer_out_shape. Errors name the
 * origin and the layer. */
int dd_net_shape_layers (const char *origin, dd_layer *layers, int n,
                         char *err, size_t err_len);
/* net_load.c: the checkpoint-ordered tensor table, once shapes are known. */
int dd_net_build_tensors (dd_net *net, char *err, size_t err_len);
/* net_input_grad.c: computes the input's gradient into input_dy if a
 * backward ran since it was last computed. Returns 0, or -1 with err. */
int dd_net_input_grad (dd_net *net, char *err, size_t err_len);
/* net_infer.c */
int dd_net_is_output (const dd_net *net, int i);
/* Whether layer l takes x as one of its inputs. */
int dd_layer_reads (const dd_layer *l, const dd_layer *x);
/* The index of the one layer that reads layer i, if it has an op of `op`
 * and layer i is needed nowhere else; otherwise -1. */
int dd_net_sole_consumer (const dd_net *net, int i, dd_op op);
int dd_net_build_infer (dd_net *net, char *err, size_t err_len);
void dd_net_fold (dd_net *net);
void dd_net_free_infer (dd_net *net);
/* net_merge.c: what each layer of the graph as written becomes when
 * sibling convolutions merge. */
enum {
  DD_MERGE_NONE,
  DD_MERGE_LEAD,                /* first sibling: the merged layers run here */
  DD_MERGE_ABSORBED,            /* computed inside the merged layers */
  DD_MERGE_SLICE,               /* a channel slice of the merged 1x1 */
};
/* Finds the sibling groups (on backends that merge) and sets role[i] and
 * group[i] (merges[2g] the siblings, merges[2g + 1] their 1x1s) for each
 * layer; the merges' `out` are left to the caller. net->merges has room
 * for n_layers entries. */
void dd_net_plan_merges (dd_net *net, int *role, int *group);
/* A merged convolution's layer, from its members, without weights. */
void dd_net_merged_layer (const struct dd_net_merge *m, dd_layer *out);
size_t dd_net_merge_numel (const struct dd_net_merge *m);
/* Host floats merge_all needs for m. */
size_t dd_net_merge_scratch (const struct dd_net_merge *m);
/* Writes every merged convolution's weights from its members'. */
void dd_net_merge_all (dd_net *net);

#endif
