/* The inference graph: the network as written, with each batch norm folded
 * into the convolution before it, and a residual add and a ReLU that follow
 * fused into that convolution, so evaluation makes one pass over memory
 * where the graph as written makes up to four.
 *
 * A layer is absorbed only when its output is needed nowhere else: the
 * convolution (or batch norm, or add) feeds exactly one layer and is not an
 * output of the network. The fused layer takes the name of the last layer
 * it absorbed, so outputs keep their names.
 *
 * A residual add, y = chain + other, becomes the convolution's
 * fuse_add_input (oneDNN's sum post-op): the convolution writes the sum
 * straight into the other input's memory. So that input must be computed
 * before the convolution runs and be read by nothing after it (nor be an
 * output, nor the network's input); it then has no output of its own to
 * read. Where both inputs of the add are convolution chains, the later one
 * takes the add.
 *
 * On backends that merge convolutions, sibling branches that read the
 * same input (a detector's heads) run as two merged convolutions, their
 * outputs channel slices of the second (net_merge.c).
 *
 * Folded weights live in their own arena; the trained parameters stay
 * untouched:
 *
 *   scale = gamma / sqrt(running_var + eps)
 *   w'    = w * scale                        (per output channel)
 *   b'    = (b - running_mean) * scale + beta
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net_private.h"

int
dd_net_is_output (const dd_net *net, int i)
{
  for (int k = 0; k < net->n_outputs; k++)
    if (net->outputs[k] == i)
      return 1;
  return 0;
}

int
dd_layer_reads (const dd_layer *l, const dd_layer *x)
{
  for (int k = 0; k < l->n_inputs; k++)
    if (l->inputs[k] == x)
      return 1;
  return 0;
}

int
dd_net_sole_consumer (const dd_net *net, int i, dd_op op)
{
  if (net->n_consumers[i] != 1 || dd_net_is_output (net, i))
    return -1;
  for (int j = i + 1; j < net->n_layers; j++)
    if (dd_layer_reads (&net->layers[j], &net->layers[i]))
      return net->layers[j].op == op ? j : -1;
  return -1;
}

/* The add of two inputs that alone reads the chain ending at `tail` (whose
 * convolution is layer i), when the convolution can sum onto the other
 * input in place: that input is built already (so computed before layer
 * i), not the network's input nor an output, and no layer from i on reads
 * it but the add. Returns the add's index and sets *other, or -1. */
static int
residual_add (const dd_net *net, int i, int tail, int *other)
{
  int add = dd_net_sole_consumer (net, tail, DD_OP_ADD);
  if (add < 0 || net->layers[add].n_inputs != 2)
    return -1;
  const dd_layer *a = &net->layers[add];
  int o = (int) ((a->inputs[0] == &net->layers[tail] ? a->inputs[1] : a->inputs[0])
                 - net->layers);
  if (o == 0 || !net->infer_of[o] || dd_net_is_output (net, o))
    return -1;
  for (int j = i; j < net->n_layers; j++)
    if (j != add && dd_layer_reads (&net->layers[j], &net->layers[o]))
      return -1;
  *other = o;
  return add;
}

static size_t
align_up (size_t n)
{
  return (n + DD_NET_ALIGN_FLOATS - 1) / DD_NET_ALIGN_FLOATS * DD_NET_ALIGN_FLOATS;
}

/* Turns the chain starting at convolution `i` (batch norm, residual add,
 * ReLU, each where it applies) into one inference layer, marking the
 * layers it absorbs. Returns the index of the chain's last layer, whose
 * output the inference layer computes. */
static int
fuse_chain (dd_net *net, int i, dd_layer *out, char *absorbed)
{
  int tail = i;
  int bn = dd_net_sole_consumer (net, i, DD_OP_BATCHNORM);
  if (bn >= 0) {
    net->folds[net->n_folds++] = (struct dd_net_fold) {
      .conv = &net->layers[i], .bn = &net->layers[bn], .out = out};
    out->conv.has_bias = 1;
    absorbed[bn] = 1;
    tail = bn;
  }
  int other, add = residual_add (net, i, tail, &other);
  if (add >= 0) {
    out->conv.fuse_add_input = net->infer_of[other];
    net->infer_of[other] = NULL;        /* its memory will hold the sum */
    absorbed[add] = 1;
    tail = add;
  }
  int relu = dd_net_sole_consumer (net, tail, DD_OP_RELU);
  if (relu >= 0) {
    out->conv.fuse_relu = 1;
    absorbed[relu] = 1;
    tail = relu;
  }
  memcpy (out->name, net->layers[tail].name, sizeof out->name);
  return tail;
}

/* Folded and merged weights share one arena and one host scratch. */
static int
alloc_folded (dd_net *net, char *err, size_t err_len)
{
  size_t total = 0, scratch = 0;
  for (int f = 0; f < net->n_folds; f++) {
    const dd_layer *conv = net->folds[f].conv;
    size_t w = dd_layer_weight_numel (conv), c = (size_t) conv->conv.out_channels;
    total += align_up (w) + align_up (c);
    if (w + 5 * c > scratch)
      scratch = w + 5 * c;
  }
  for (int g = 0; g < net->n_merges; g++) {
    const struct dd_net_merge *m = &net->merges[g];
    total += align_up (dd_net_merge_numel (m)) + align_up ((size_t) m->out->conv.out_channels);
    if (dd_net_merge_scratch (m) > scratch)
      scratch = dd_net_merge_scratch (m);
  }
  net->folded_arena = net->be->ops->alloc (net->be, total ? total : 1);
  net->fold_scratch = malloc ((scratch ? scratch : 1) * sizeof (float));
  if (!net->folded_arena || !net->fold_scratch) {
    snprintf (err, err_len, "%s: out of memory for %.1f MB of folded and merged weights",
              net->origin, total * 4.0 / 1e6);
    return -1;
  }
  float *p = net->folded_arena;
  for (int f = 0; f < net->n_folds; f++) {
    dd_layer *out = net->folds[f].out;
    out->weight = p;
    p += align_up (dd_layer_weight_numel (net->folds[f].conv));
    out->bias = p;
    p += align_up ((size_t) out->conv.out_channels);
  }
  for (int g = 0; g < net->n_merges; g++) {
    dd_layer *out = net->merges[g].out;
    out->weight = p;
    p += align_up (dd_net_merge_numel (&net->merges[g]));
    out->bias = p;
    p += align_up ((size_t) out->conv.out_channels);
  }
  return 0;
}

/* Group g's two merged convolutions, from position k of the inference
 * graph on: the siblings, then their 1x1s reading them. Returns the next
 * position. */
static int
emit_merged (dd_net *net, int g, int k)
{
  dd_layer *prev = NULL;
  for (int h = 0; h < 2; h++) {
    struct dd_net_merge *m = &net->merges[2 * g + h];
    dd_layer *out = &net->infer_layers[k++];
    dd_net_merged_layer (m, out);
    int first = (int) (m->members[0] - net->layers);
    out->conv.fuse_relu = dd_net_sole_consumer (net, first, DD_OP_RELU) >= 0;
    out->inputs[0] = h ? prev : net->infer_of[m->members[0]->inputs[0] - net->layers];
    m->out = prev = out;
  }
  return k;
}

/* Layer i, a 1x1 of group g's siblings (or the ReLU after it), as its
 * channels of the merged 1x1's output. */
static void
make_slice (dd_net *net, int i, int g, dd_layer *out)
{
  const struct dd_net_merge *m = &net->merges[2 * g + 1];
  int k = 0, offset = 0;
  for (;; k++) {
    int head = (int) (m->members[k] - net->layers);
    if (head == i || dd_net_sole_consumer (net, head, DD_OP_RELU) == i)
      break;
    offset += m->members[k]->conv.out_channels;
  }
  *out = *m->members[k];
  memcpy (out->name, net->layers[i].name, sizeof out->name);
  out->inputs[0] = m->out;
  out->weight = out->bias = out->dweight = out->dbias = NULL;
  out->backend_state = NULL;
  out->conv.slice = 1;
  out->conv.slice_offset = offset;
}

static int
build (dd_net *net, char *err, size_t err_len)
{
  size_t n = (size_t) net->n_layers;
  net->infer_layers = calloc (n, sizeof *net->infer_layers);
  net->infer_of = calloc (n, sizeof *net->infer_of);
  net->folds = calloc (n, sizeof *net->folds);
  net->merges = calloc (n, sizeof *net->merges);
  char *absorbed = calloc (n, 1);
  int *role = calloc (n, sizeof *role), *group = calloc (n, sizeof *group);
  if (!net->infer_layers || !net->infer_of || !net->folds || !net->merges || !absorbed
      || !role || !group) {
    free (absorbed);
    free (role);
    free (group);
    snprintf (err, err_len, "%s: out of memory for the inference graph", net->origin);
    return -1;
  }
  dd_net_plan_merges (net, role, group);
  /* The fused layer takes the convolution's place in the order: its
   * inputs are the convolution's, and whatever reads the chain's last
   * layer comes after that. Merged siblings run where the first of them
   * was, each slice where its 1x1 was. */
  int k = 0;
  for (int i = 0; i < net->n_layers; i++) {
    if (absorbed[i] || role[i] == DD_MERGE_ABSORBED)
      continue;
    if (role[i] == DD_MERGE_LEAD) {
      k = emit_merged (net, group[i], k);
      continue;
    }
    dd_layer *out = &net->infer_layers[k++];
    if (role[i] == DD_MERGE_SLICE) {
      make_slice (net, i, group[i], out);
      net->infer_of[i] = out;
      continue;
    }
    *out = net->layers[i];
    out->dweight = out->dbias = NULL;
    out->backend_state = NULL;
    for (int j = 0; j < out->n_inputs; j++)
      out->inputs[j] = net->infer_of[out->inputs[j] - net->layers];
    int tail = out->op == DD_OP_CONV2D ? fuse_chain (net, i, out, absorbed) : i;
    net->infer_of[tail] = out;
  }
  free (absorbed);
  free (role);
  free (group);
  net->n_infer = k;
  return alloc_folded (net, err, err_len);
}

int
dd_net_build_infer (dd_net *net, char *err, size_t err_len)
{
  if (!net->infer_layers && build (net, err, err_len) != 0) {
    dd_net_free_infer (net);
    return -1;
  }
  net->infer_layers[0].out_shape = net->layers[0].out_shape;
  net->params_dirty = 1;
  return dd_net_shape_layers (net->origin, net->infer_layers, net->n_infer, err, err_len);
}

void
dd_net_fold (dd_net *net)
{
  dd_backend *be = net->be;
  for (int f = 0; f < net->n_folds; f++) {
    const dd_layer *conv = net->folds[f].conv, *bn = net->folds[f].bn;
    dd_layer *out = net->folds[f].out;
    size_t c = (size_t) conv->conv.out_channels, w = dd_layer_weight_numel (conv);
    size_t per_c = w / c;
    float *weight = net->fold_scratch, *bias = weight + w, *gamma = bias + c;
    float *beta = gamma + c, *mean = beta + c, *var = mean + c;
    be->ops->download (be, weight, conv->weight, w);
    if (conv->conv.has_bias)
      be->ops->download (be, bias, conv->bias, c);
    else
      memset (bias, 0, c * sizeof *bias);
    be->ops->download (be, gamma, bn->weight, c);
    be->ops->download (be, beta, bn->bias, c);
    be->ops->download (be, mean, bn->running_mean, c);
    be->ops->download (be, var, bn->running_var, c);
    for (size_t o = 0; o < c; o++) {
      double scale = gamma[o] / sqrt ((double) var[o] + bn->bn.eps);
      for (size_t k = 0; k < per_c; k++)
        weight[o * per_c + k] = (float) (weight[o * per_c + k] * scale);
      bias[o] = (float) (((double) bias[o] - mean[o]) * scale + beta[o]);
    }
    be->ops->upload (be, out->weight, weight, w);
    be->ops->upload (be, out->bias, bias, c);
  }
  dd_net_merge_all (net);
  net->params_dirty = 0;
}

void
dd_net_free_infer (dd_net *net)
{
  if (net->folded_arena)
    net->be->ops->free (net->be, net->folded_arena);
  free (net->fold_scratch);
  free (net->folds);
  free (net->merges);
  free (net->infer_of);
  free (net->infer_layers);
  net->folded_arena = net->fold_scratch = NULL;
  net->folds = NULL;
  net->merges = NULL;
  net->infer_of = NULL;
  net->infer_layers = NULL;
  net->n_infer = net->n_folds = net->n_merges = 0;
}
