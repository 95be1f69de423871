/* Sibling convolutions merged for the inference graph (net_infer.c): a
 * detector's heads are small branches that all read the same feature map,
 * each a conv (+ ReLU) and a 1x1 conv. Run one by one they are many small
 * primitives, each transforming the same input again (Winograd) and each
 * a fork and join of the thread pool; merged they are two:
 *
 *   x -> conv_k (+ReLU) -> conv1x1_k -> y_k      for k = 1..n
 *   x -> conv (+ReLU), the conv_k's output channels side by side
 *     -> conv1x1, block diagonal: the k-th output group reads only the
 *        k-th input group
 *     -> y_k = its k-th output group, a channel slice (dd_conv_attr.slice)
 *
 * The merged weights live beside the folded ones and are rebuilt with them
 * from the members' weights (which stay untouched). The zeros off the
 * diagonal cost multiply-adds in the merged 1x1, so a group takes only
 * branches whose zeros fit in the padding the separate 1x1s compute
 * anyway (fits() below).
 *
 * A branch takes part only when nothing else reads inside it: the conv is
 * read by its ReLU alone (or by the 1x1 alone, where there is no ReLU),
 * none of the two is an output, the 1x1 folds no batch norm and sums no
 * residual (a ReLU after it is kept, inside the merged 1x1). Siblings read
 * the same single input with the same geometry, bias or not, and agree on
 * both ReLUs. */
#include <stdio.h>
#include <string.h>

#include "nn/net_private.h"

/* The branch starting at conv i, if it can take part: sets the 1x1's
 * index, and whether each conv is followed by a ReLU. */
typedef struct branch {
  int conv, relu, head, head_relu;      /* layer indices; -1: no ReLU */
} branch;

static int
is_conv (const dd_layer *l, int k)
{
  const dd_conv_attr *a = &l->conv;
  return l->op == DD_OP_CONV2D && l->n_inputs == 1 && a->groups == 1
      && (k == 0 || (a->kh == k && a->kw == k && a->stride_h == 1 && a->stride_w == 1
                     && a->pad_h == 0 && a->pad_w == 0 && a->dilation_h == 1
                     && a->dilation_w == 1));
}

static int
find_branch (const dd_net *net, int i, branch *b)
{
  const dd_layer *l = net->layers;
  if (!is_conv (&l[i], 0) || dd_net_sole_consumer (net, i, DD_OP_BATCHNORM) >= 0)
    return 0;
  b->conv = i;
  b->relu = dd_net_sole_consumer (net, i, DD_OP_RELU);
  int tail = b->relu >= 0 ? b->relu : i;
  b->head = dd_net_sole_consumer (net, tail, DD_OP_CONV2D);
  if (b->head < 0 || !is_conv (&l[b->head], 1)
      || dd_net_sole_consumer (net, b->head, DD_OP_BATCHNORM) >= 0
      || dd_net_sole_consumer (net, b->head, DD_OP_ADD) >= 0)
    return 0;
  b->head_relu = dd_net_sole_consumer (net, b->head, DD_OP_RELU);
  return 1;
}

/* Whether two branches can be merged: the same input, geometry, bias and
 * ReLUs. */
static int
siblings (const dd_net *net, const branch *a, const branch *b)
{
  const dd_layer *x = &net->layers[a->conv], *y = &net->layers[b->conv];
  const dd_conv_attr *p = &x->conv, *q = &y->conv;
  return x->inputs[0] == y->inputs[0] && p->kh == q->kh && p->kw == q->kw
      && p->stride_h == q->stride_h && p->stride_w == q->stride_w && p->pad_h == q->pad_h
      && p->pad_w == q->pad_w && p->dilation_h == q->dilation_h
      && p->dilation_w == q->dilation_w && p->has_bias == q->has_bias
      && net->layers[a->head].conv.has_bias == net->layers[b->head].conv.has_bias
      && (a->relu >= 0) == (b->relu >= 0) && (a->head_relu >= 0) == (b->head_relu >= 0);
}

static void
mark (int *role, int *group, int i, int r, int g)
{
  if (i >= 0) {
    role[i] = r;
    group[i] = g;
  }
}

/* Multiply-adds per pixel of a 1x1 convolution, the output channels
 * counted in the cpu backend's blocks of 16 (its kernels compute a partial
 * block whole). */
static long
head_cost (long in, long out)
{
  return in * ((out + 15) / 16 * 16);
}

/* Whether branch b can join `group` (k branches) without making the
 * merged 1x1 cost more multiply-adds than the separate ones: the zeros of
 * the block diagonal must fit in the padding the separate 1x1s compute
 * anyway. On the small preset's heads the three 1-2 channel ones merge;
 * the 17 and 34 channel ones would cost 1.6-2.5x their multiply-adds and
 * run apart. Measured (one thread, CPU time, batch 16 at 128x128): this
 * rule 5% faster than no merging, merging all five 3% slower than this
 * rule, allowing 1.7x about the same as this rule. */
static int
fits (const dd_net *net, const branch *group, int k, const branch *b)
{
  long in = 0, out = 0, apart = 0;
  for (int m = 0; m <= k; m++) {
    const branch *x = m < k ? &group[m] : b;
    long i = net->layers[x->conv].conv.out_channels, o = net->layers[x->head].conv.out_channels;
    in += i;
    out += o;
    apart += head_cost (i, o);
  }
  return head_cost (in, out) <= apart;
}

static void
add_merge (dd_net *net, const branch *found, int k, int *role, int *group)
{
  int g = net->n_merges / 2;
  struct dd_net_merge *convs = &net->merges[net->n_merges++];
  struct dd_net_merge *heads = &net->merges[net->n_merges++];
  *convs = (struct dd_net_merge) {.n = k};
  *heads = (struct dd_net_merge) {.n = k, .block_diag = 1};
  for (int m = 0; m < k; m++) {
    convs->members[m] = &net->layers[found[m].conv];
    heads->members[m] = &net->layers[found[m].head];
    mark (role, group, found[m].conv, m == 0 ? DD_MERGE_LEAD : DD_MERGE_ABSORBED, g);
    mark (role, group, found[m].relu, DD_MERGE_ABSORBED, g);
    mark (role, group, found[m].head, found[m].head_relu >= 0 ? DD_MERGE_ABSORBED
          : DD_MERGE_SLICE, g);
    mark (role, group, found[m].head_relu, DD_MERGE_SLICE, g);
  }
}

/* Each branch, in graph order, leads a group of the later siblings that
 * fit; a branch left out may lead a group of its own later. */
void
dd_net_plan_merges (dd_net *net, int *role, int *group)
{
  int n = net->n_layers;
  for (int i = 0; i < n; i++)
    role[i] = DD_MERGE_NONE;
  if (!net->be->ops->merges_convs)
    return;
  for (int i = 0; i < n; i++) {
    branch found[DD_NET_MERGE_MAX], b;
    if (role[i] != DD_MERGE_NONE || !find_branch (net, i, &found[0]))
      continue;
    int k = 1;
    for (int j = i + 1; j < n && k < DD_NET_MERGE_MAX; j++)
      if (role[j] == DD_MERGE_NONE && find_branch (net, j, &b)
          && siblings (net, &found[0], &b) && fits (net, found, k, &b))
        found[k++] = b;
    if (k >= 2)
      add_merge (net, found, k, role, group);
  }
}

/* The merged convolution of `m`, before its weights are set: the first
 * member's attributes, every member's output channels, and a bias (zeros
 * where the members have none). */
void
dd_net_merged_layer (const struct dd_net_merge *m, dd_layer *out)
{
  *out = *m->members[0];
  out->dweight = out->dbias = NULL;
  out->weight = out->bias = NULL;
  out->backend_state = NULL;
  out->conv.out_channels = 0;
  for (int k = 0; k < m->n; k++)
    out->conv.out_channels += m->members[k]->conv.out_channels;
  out->conv.has_bias = 1;
  snprintf (out->name, sizeof out->name, "%.48s (merged)", m->members[0]->name);
}

/* Floats of the merged weights. */
size_t
dd_net_merge_numel (const struct dd_net_merge *m)
{
  size_t rows = 0, cols = 0, sum = 0;
  for (int k = 0; k < m->n; k++) {
    size_t n = dd_layer_weight_numel (m->members[k]);
    rows += (size_t) m->members[k]->conv.out_channels;
    cols += n / (size_t) m->members[k]->conv.out_channels;
    sum += n;
  }
  return m->block_diag ? rows * cols : sum;
}

/* Writes the merged weights [sum of out, in, kh, kw] and bias from the
 * members': stacked along the output channels, or, block diagonal, member
 * k's [out_k, in_k] at rows and columns after those of the members before
 * it, zeros elsewhere. `scratch` holds the merged weights, their bias and
 * the largest member's weights. */
static void
merge_weights (dd_backend *be, const struct dd_net_merge *m, float *scratch)
{
  const dd_layer *out = m->out;
  size_t total = dd_net_merge_numel (m), out_c = (size_t) out->conv.out_channels;
  size_t in_c = total / out_c;  /* 1x1 when block diagonal */
  float *w = scratch, *bias = w + total, *member = bias + out_c;
  memset (w, 0, (total + out_c) * sizeof *w);
  size_t row = 0, col = 0;
  for (int k = 0; k < m->n; k++) {
    const dd_layer *l = m->members[k];
    size_t n = dd_layer_weight_numel (l), rows = (size_t) l->conv.out_channels;
    size_t per_row = n / rows;
    if (l->conv.has_bias)
      be->ops->download (be, bias + row, l->bias, rows);
    if (!m->block_diag) {
      be->ops->download (be, w + row * per_row, l->weight, n);
    } else {
      be->ops->download (be, member, l->weight, n);
      for (size_t r = 0; r < rows; r++)
        memcpy (w + (row + r) * in_c + col, member + r * per_row, per_row * sizeof *w);
      col += per_row;
    }
    row += rows;
  }
  be->ops->upload (be, out->weight, w, total);
  be->ops->upload (be, out->bias, bias, out_c);
}

size_t
dd_net_merge_scratch (const struct dd_net_merge *m)
{
  size_t most = 0;
  for (int k = 0; k < m->n; k++) {
    size_t n = dd_layer_weight_numel (m->members[k]);
    most = n > most ? n : most;
  }
  return dd_net_merge_numel (m) + (size_t) m->out->conv.out_channels + most;
}

void
dd_net_merge_all (dd_net *net)
{
  for (int g = 0; g < net->n_merges; g++)
    merge_weights (net->be, &net->merges[g], net->fold_scratch);
}
