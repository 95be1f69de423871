/* The gradient with respect to the network's input, which a training step
 * does not need: a training setup gives the input layer no dy (NULL), so
 * backward leaves it out (for the small preset, the stem convolution's
 * data gradient: about 4% of a step). The memory for it is kept, and
 * reading the input's gradient computes it then, from what backward left:
 * each layer that reads the input runs its backward once more with the
 * input's dy in place and every other gradient it writes (parameters,
 * other inputs) pointed at scratch memory, so those stay as backward left
 * them. That uses the activations, saved statistics and output gradients
 * of the last forward and backward, so the input's gradient is read before
 * the next forward or optimizer step. */
#include <stdio.h>

#include "nn/net_private.h"

/* Floats of scratch the backward of `l` writes besides the input's dy. */
static size_t
scratch_floats (const dd_layer *l, const dd_layer *in)
{
  size_t n = (l->dweight ? dd_layer_weight_numel (l) : 0)
      + (l->dbias ? dd_layer_bias_numel (l) : 0);
  for (int k = 0; k < l->n_inputs; k++)
    if (l->inputs[k] != in && l->inputs[k]->dy)
      n += l->inputs[k]->act_floats;
  return n;
}

/* Runs the backward of `l` for the input's gradient alone. */
static void
input_backward (dd_backend *be, dd_layer *l, dd_layer *in, float *scratch)
{
  float *keep_dw = l->dweight, *keep_db = l->dbias, *keep_dy[DD_LAYER_MAX_INPUTS];
  float *p = scratch;
  if (l->dweight) {
    l->dweight = p;
    p += dd_layer_weight_numel (l);
  }
  if (l->dbias) {
    l->dbias = p;
    p += dd_layer_bias_numel (l);
  }
  for (int k = 0; k < l->n_inputs; k++) {
    dd_layer *x = l->inputs[k];
    keep_dy[k] = x->dy;
    if (x != in && x->dy) {
      x->dy = p;
      p += x->act_floats;
    }
  }
  be->ops->backward (be, l);
  for (int k = 0; k < l->n_inputs; k++)
    l->inputs[k]->dy = keep_dy[k];
  l->dweight = keep_dw;
  l->dbias = keep_db;
}

int
dd_net_input_grad (dd_net *net, char *err, size_t err_len)
{
  if (!net->input_grad_due)
    return 0;
  dd_backend *be = net->be;
  dd_layer *in = &net->run[0];
  size_t most = 1;
  for (int i = 1; i < net->n_run; i++)
    if (dd_layer_reads (&net->run[i], in) && scratch_floats (&net->run[i], in) > most)
      most = scratch_floats (&net->run[i], in);
  float *scratch = be->ops->alloc (be, most);
  if (!scratch) {
    snprintf (err, err_len, "%s: out of memory on backend '%s' for %.1f MB of scratch to "
              "compute the input's gradient", net->origin, be->ops->name, most * 4.0 / 1e6);
    return -1;
  }
  in->dy = net->input_dy;
  for (int i = net->n_run - 1; i >= 1; i--)
    if (dd_layer_reads (&net->run[i], in))
      input_backward (be, &net->run[i], in, scratch);
  in->dy = NULL;
  be->ops->free (be, scratch);
  net->input_grad_due = 0;
  return 0;
}
