/* A network on a backend: arenas, parameter initialisation, forward,
 * backward and the accessors of net.h.
 *
 * Arena layout. Parameters: every tensor of the checkpoint table, the
 * trainable ones first, each starting on a DD_NET_ALIGN_FLOATS boundary;
 * gradients and optimizer state: the trainable part of that layout, so a
 * tensor has the same offset in all three. Activations: every running
 * layer's y, then every dy (one fill zeroes them all), then the batch
 * statistics that batch norm's backward needs.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net_private.h"
#include "nn/rng.h"

static size_t
align_up (size_t n)
{
  return (n + DD_NET_ALIGN_FLOATS - 1) / DD_NET_ALIGN_FLOATS * DD_NET_ALIGN_FLOATS;
}

static void
release_layers (dd_net *net)
{
  if (net->set_up)
    for (int i = 0; i < net->n_run; i++)
      net->be->ops->release (net->be, &net->run[i]);
  for (int i = 0; i < net->n_layers; i++) {
    dd_layer *l = &net->layers[i];
    l->y = l->dy = l->save_mean = l->save_invstd = NULL;
  }
  for (int i = 0; i < net->n_infer; i++) {
    dd_layer *l = &net->infer_layers[i];
    l->y = l->dy = l->save_mean = l->save_invstd = NULL;
  }
  if (net->act_arena)
    net->be->ops->free (net->be, net->act_arena);
  net->act_arena = net->dy_base = net->input_dy = NULL;
  net->dy_floats = 0;
  net->set_up = 0;
}

void
dd_net_free (dd_net *net)
{
  if (!net)
    return;
  if (net->be) {
    release_layers (net);
    dd_net_free_infer (net);
    if (net->param_arena)
      net->be->ops->free (net->be, net->param_arena);
    if (net->grad_arena)
      net->be->ops->free (net->be, net->grad_arena);
    if (net->state_arena)
      net->be->ops->free (net->be, net->state_arena);
  }
  dd_json_free (net->json);
  free (net->tensors);
  free (net->bn_batches);
  free (net->outputs);
  free (net->n_consumers);
  free (net->bn_relu);
  free (net->layers);
  free (net->name);
  free (net->origin);
  free (net);
}

static void
bind_layer_params (dd_net *net)
{
  for (int i = 0; i < net->n_tensors; i++) {
    dd_net_tensor *t = &net->tensors[i];
    dd_layer *l = t->layer;
    const char *suffix = t->name + strlen (l->name) + 1;
    if (strcmp (suffix, "weight") == 0) {
      l->weight = t->value;
      l->dweight = t->grad;
    } else if (strcmp (suffix, "bias") == 0) {
      l->bias = t->value;
      l->dbias = t->grad;
    } else if (strcmp (suffix, "running_mean") == 0) {
      l->running_mean = t->value;
    } else {
      l->running_var = t->value;
    }
  }
}

/* Offsets: trainable tensors first, so the gradient and state arenas are
 * just the first trainable_floats of the same layout. */
static void
layout_tensors (dd_net *net, size_t *offsets)
{
  size_t at = 0;
  for (int pass = 1; pass >= 0; pass--)
    for (int i = 0; i < net->n_tensors; i++)
      if (net->tensors[i].trainable == pass) {
        offsets[i] = at;
        at += align_up (net->tensors[i].numel);
        if (pass)
          net->trainable_floats = at;
      }
  net->param_floats = at;
}

static float *
arena (dd_net *net, size_t n, const char *what, char *err, size_t err_len)
{
  float *p = net->be->ops->alloc (net->be, n ? n : 1);
  if (!p)
    snprintf (err, err_len, "%s: out of memory on backend '%s' for %.1f MB of %s",
              net->origin, net->be->ops->name, n * 4.0 / 1e6, what);
  return p;
}

static int
alloc_params (dd_net *net, int training, char *err, size_t err_len)
{
  size_t *offsets = calloc ((size_t) net->n_tensors + 1, sizeof *offsets);
  if (!offsets) {
    snprintf (err, err_len, "%s: out of memory", net->origin);
    return -1;
  }
  layout_tensors (net, offsets);
  int first = !net->param_arena;
  if (first && !(net->param_arena = arena (net, net->param_floats, "parameters", err, err_len)))
    goto fail;
  if (training && !net->grad_arena) {
    if (!(net->grad_arena = arena (net, net->trainable_floats, "gradients", err, err_len))
        || !(net->state_arena = arena (net, net->trainable_floats, "optimizer state",
                                       err, err_len)))
      goto fail;
    net->be->ops->fill (net->be, net->grad_arena, 0, net->trainable_floats);
    net->be->ops->fill (net->be, net->state_arena, 0, net->trainable_floats);
  }
  for (int i = 0; i < net->n_tensors; i++) {
    dd_net_tensor *t = &net->tensors[i];
    t->value = net->param_arena + offsets[i];
    if (t->trainable && net->grad_arena) {
      t->grad = net->grad_arena + offsets[i];
      t->state = net->state_arena + offsets[i];
    }
  }
  free (offsets);
  bind_layer_params (net);
  if (first && dd_net_init_params (net, 0) != 0) {
    snprintf (err, err_len, "%s: out of memory initialising %.1f MB of parameters",
              net->origin, net->param_floats * 4.0 / 1e6);
    return -1;
  }
  return 0;
fail:
  free (offsets);
  return -1;
}

static int
prepare_layers (dd_net *net, int training, char *err, size_t err_len)
{
  for (int i = 0; i < net->n_run; i++) {
    char what[256];
    if (net->be->ops->prepare (net->be, &net->run[i], training, what, sizeof what) == 0)
      continue;
    snprintf (err, err_len, "%s: layer '%s': backend '%s' cannot run it: %s", net->origin,
              net->run[i].name, net->be->ops->name, what);
    while (i-- > 0)
      net->be->ops->release (net->be, &net->run[i]);
    return -1;
  }
  return 0;
}

/* In a training setup on a backend that can, a batch norm that only a
 * ReLU reads (and that is no output) computes that ReLU (bn.fuse_relu):
 * the ReLU layer shares the batch norm's memory and is not run, a pass
 * over memory saved each way. Other setups run the graph as written. */
static int
fuse_bn_relu (dd_net *net, int fuse, char *err, size_t err_len)
{
  if (!net->bn_relu && !(net->bn_relu = calloc ((size_t) net->n_layers, 1))) {
    snprintf (err, err_len, "%s: out of memory", net->origin);
    return -1;
  }
  for (int i = 0; i < net->n_layers; i++)
    net->layers[i].bn.fuse_relu = 0;
  for (int i = 0; i < net->n_layers; i++) {
    dd_layer *l = &net->layers[i];
    int bn = (int) (l->n_inputs ? l->inputs[0] - net->layers : 0);
    net->bn_relu[i] = fuse && l->op == DD_OP_RELU && net->layers[bn].op == DD_OP_BATCHNORM
        && net->n_consumers[bn] == 1 && !dd_net_is_output (net, bn);
    if (net->bn_relu[i])
      net->layers[bn].bn.fuse_relu = 1;
  }
  return 0;
}

/* The batch norm that computes the ReLU run[i], or NULL. */
static const dd_layer *
relu_computed_by (const dd_net *net, int i)
{
  return net->run == net->layers && net->bn_relu[i] ? net->layers[i].inputs[0] : NULL;
}

/* The layer whose memory a convolution with a fused residual add sums
 * into, in place (net_infer.c made sure nothing reads it afterwards), when
 * the backend laid both out alike; NULL otherwise. */
static const dd_layer *
sums_into (const dd_layer *l)
{
  const dd_layer *add = l->op == DD_OP_CONV2D ? l->conv.fuse_add_input : NULL;
  return add && add->act_floats == l->act_floats ? add : NULL;
}

static int
alloc_activations (dd_net *net, int training, char *err, size_t err_len)
{
  size_t y = 0, dy = 0, stats = 0;
  for (int i = 0; i < net->n_run; i++) {
    dd_layer *l = &net->run[i];
    int shared = sums_into (l) || relu_computed_by (net, i);
    if (!shared)
      y += align_up (l->act_floats);
    if (training) {
      if (!relu_computed_by (net, i))
        dy += align_up (l->act_floats);
      if (l->op == DD_OP_BATCHNORM)
        stats += 2 * align_up ((size_t) l->out_shape.c);
    }
  }
  if (!(net->act_arena = arena (net, y + dy + stats, "activations", err, err_len)))
    return -1;
  float *p = net->act_arena;
  for (int i = 0; i < net->n_run; i++) {
    dd_layer *l = &net->run[i];
    const dd_layer *shared = sums_into (l) ? sums_into (l) : relu_computed_by (net, i);
    l->y = shared ? shared->y : p;
    p += shared ? 0 : align_up (l->act_floats);
  }
  net->dy_base = p;
  net->dy_floats = dy;
  if (!training)
    return 0;
  for (int i = 0; i < net->n_run; i++) {
    const dd_layer *bn = relu_computed_by (net, i);
    net->run[i].dy = bn ? bn->dy : p;
    p += bn ? 0 : align_up (net->run[i].act_floats);
  }
  /* Backward leaves the input's gradient out (net_input_grad.c). */
  net->input_dy = net->run[0].dy;
  net->run[0].dy = NULL;
  net->input_grad_due = 0;
  for (int i = 0; i < net->n_run; i++) {
    dd_layer *l = &net->run[i];
    if (l->op != DD_OP_BATCHNORM)
      continue;
    l->save_mean = p;
    p += align_up ((size_t) l->out_shape.c);
    l->save_invstd = p;
    p += align_up ((size_t) l->out_shape.c);
  }
  return 0;
}

int
dd_net_setup (dd_net *net, dd_backend *be, dd_net_mode mode, int batch, int height,
              int width, char *err, size_t err_len)
{
  if (net->be && net->be != be) {
    snprintf (err, err_len, "%s: the network is set up on backend '%s'; load it again to "
              "use another backend", net->origin, net->be->ops->name);
    return -1;
  }
  if (batch < 1 || height < 1 || width < 1) {
    snprintf (err, err_len, "%s: batch %d and size %dx%d must be positive", net->origin,
              batch, height, width);
    return -1;
  }
  if (net->be)
    release_layers (net);
  net->be = be;
  int training = mode == DD_NET_TRAIN;
  net->layers[0].out_shape = (dd_shape) {batch, net->in_c, height, width};
  if (dd_net_shape_layers (net->origin, net->layers, net->n_layers, err, err_len)
      || alloc_params (net, training, err, err_len))
    return -1;
  net->in_shape = net->layers[0].out_shape;
  net->run = net->layers;
  net->n_run = net->n_layers;
  if (fuse_bn_relu (net, training && be->ops->fuses_bn_relu, err, err_len))
    return -1;
  if (mode == DD_NET_INFER) {
    if (dd_net_build_infer (net, err, err_len))
      return -1;
    net->run = net->infer_layers;
    net->n_run = net->n_infer;
  }
  if (prepare_layers (net, training, err, err_len))
    return -1;
  net->mode = mode;
  net->set_up = 1;
  if (alloc_activations (net, training, err, err_len)) {
    release_layers (net);
    return -1;
  }
  return 0;
}

/* FNV-1a: a layer's random stream follows from its name alone. */
static uint64_t
name_hash (const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  return h;
}

static void
fill_uniform (dd_rng *rng, float *dst, size_t n, float bound)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = dd_rng_range (rng, -bound, bound);
}

int
dd_net_init_params (dd_net *net, uint64_t seed)
{
  assert (net->param_arena);
  float *host = malloc (net->param_floats * sizeof *host);
  if (!host)
    return -1;
  for (int i = 0; i < net->n_tensors; i++) {
    dd_net_tensor *t = &net->tensors[i];
    dd_layer *l = t->layer;
    float *dst = host + (t->value - net->param_arena);
    const char *suffix = t->name + strlen (l->name) + 1;
    if (l->op == DD_OP_CONV2D) {
      /* kaiming_uniform(a=sqrt(5)) has bound sqrt(6/((1+5)*fan_in)), the
       * same 1/sqrt(fan_in) as the bias; the weight is drawn first. */
      const dd_net_tensor *w = strcmp (suffix, "weight") == 0 ? t : t - 1;
      size_t fan_in = w->numel / (size_t) w->shape[0];
      dd_rng rng;
      dd_rng_seed (&rng, seed, name_hash (l->name));
      if (t != w)
        for (size_t k = 0; k < w->numel; k++)
          dd_rng_u32 (&rng);
      fill_uniform (&rng, dst, t->numel, 1.0f / sqrtf ((float) fan_in));
    } else {
      float v = strcmp (suffix, "weight") == 0 || strcmp (suffix, "running_var") == 0;
      for (size_t k = 0; k < t->numel; k++)
        dst[k] = v;
    }
  }
  net->be->ops->upload (net->be, net->param_arena, host, net->param_floats);
  free (host);
  memset (net->bn_batches, 0, (size_t) net->n_layers * sizeof *net->bn_batches);
  net->params_dirty = 1;
  return 0;
}

void
dd_net_set_input (dd_net *net, const float *host_nchw)
{
  assert (net->set_up);
  net->be->ops->write_nchw (net->be, &net->run[0], net->run[0].y, host_nchw);
}

void
dd_net_forward (dd_net *net, int training)
{
  assert (net->set_up && (!training || net->mode == DD_NET_TRAIN));
  if (net->mode == DD_NET_INFER && net->params_dirty)
    dd_net_fold (net);
  for (int i = 1; i < net->n_run; i++) {
    dd_layer *l = &net->run[i];
    if (relu_computed_by (net, i))
      continue;
    net->be->ops->forward (net->be, l, training);
    if (training && l->op == DD_OP_BATCHNORM)
      net->bn_batches[i]++;
  }
  if (training)
    net->params_dirty = 1;      /* the running statistics moved */
}

void
dd_net_zero_grad (dd_net *net)
{
  assert (net->set_up && net->mode == DD_NET_TRAIN);
  net->be->ops->fill (net->be, net->grad_arena, 0, net->trainable_floats);
  net->be->ops->fill (net->be, net->dy_base, 0, net->dy_floats);
  net->input_grad_due = 0;
}

void
dd_net_backward (dd_net *net)
{
  assert (net->set_up && net->mode == DD_NET_TRAIN);
  for (int i = net->n_run - 1; i >= 1; i--)
    if (!relu_computed_by (net, i))
      net->be->ops->backward (net->be, &net->run[i]);
  net->input_grad_due = 1;
}

/* The layer of the current graph that computes `name`'s output. */
static dd_layer *
current_layer (dd_net *net, const char *name, char *err, size_t err_len)
{
  dd_layer *l = dd_net_find (net, name);
  if (!l) {
    snprintf (err, err_len, "%s: no layer '%s'", net->origin, name);
    return NULL;
  }
  if (!net->set_up) {
    snprintf (err, err_len, "%s: set the network up before reading layer '%s'",
              net->origin, name);
    return NULL;
  }
  if (l->op == DD_OP_BATCHNORM && l->bn.fuse_relu) {
    snprintf (err, err_len, "%s: layer '%s' computes the ReLU after it in this training "
              "setup, so its own output is not kept; read it in DD_NET_EVAL mode",
              net->origin, name);
    return NULL;
  }
  if (net->mode != DD_NET_INFER)
    return l;
  dd_layer *inf = net->infer_of[l - net->layers];
  if (!inf)
    snprintf (err, err_len, "%s: layer '%s' is folded into a convolution in the inference "
              "graph (or a convolution sums into its memory there); read it in "
              "DD_NET_EVAL mode", net->origin, name);
  return inf;
}

int
dd_net_read (dd_net *net, const char *layer, float *host_nchw, char *err, size_t err_len)
{
  dd_layer *l = current_layer (net, layer, err, err_len);
  if (!l)
    return -1;
  net->be->ops->read_nchw (net->be, l, l->y, host_nchw);
  return 0;
}

static dd_layer *
grad_layer (dd_net *net, const char *layer, char *err, size_t err_len)
{
  if (net->set_up && net->mode != DD_NET_TRAIN) {
    snprintf (err, err_len, "%s: gradients exist only in a DD_NET_TRAIN setup (layer '%s')",
              net->origin, layer);
    return NULL;
  }
  return current_layer (net, layer, err, err_len);
}

/* Where a layer's gradient lives: the input's is computed on demand. */
static float *
grad_of (dd_net *net, dd_layer *l, char *err, size_t err_len)
{
  if (l != &net->layers[0])
    return l->dy;
  return dd_net_input_grad (net, err, err_len) == 0 ? net->input_dy : NULL;
}

int
dd_net_read_grad (dd_net *net, const char *layer, float *host_nchw, char *err, size_t err_len)
{
  dd_layer *l = grad_layer (net, layer, err, err_len);
  float *dy = l ? grad_of (net, l, err, err_len) : NULL;
  if (!dy)
    return -1;
  net->be->ops->read_nchw (net->be, l, dy, host_nchw);
  return 0;
}

int
dd_net_set_grad (dd_net *net, const char *layer, const float *host_nchw, char *err,
                 size_t err_len)
{
  dd_layer *l = grad_layer (net, layer, err, err_len);
  float *dy = l ? grad_of (net, l, err, err_len) : NULL;
  if (!dy)
    return -1;
  net->be->ops->write_nchw (net->be, l, dy, host_nchw);
  return 0;
}

void
dd_net_read_tensor (dd_net *net, const dd_net_tensor *t, float *host)
{
  assert (t->value);
  net->be->ops->download (net->be, host, t->value, t->numel);
}

void
dd_net_write_tensor (dd_net *net, const dd_net_tensor *t, const float *host)
{
  assert (t->value);
  net->be->ops->upload (net->be, t->value, host, t->numel);
  net->params_dirty = 1;
}

void
dd_net_params_changed (dd_net *net)
{
  net->params_dirty = 1;
}

const char *
dd_net_name (const dd_net *net)
{
  return net->name;
}

const dd_json *
dd_net_json (const dd_net *net)
{
  return net->json;
}

int
dd_net_input_channels (const dd_net *net)
{
  return net->in_c;
}

void
dd_net_default_size (const dd_net *net, int *height, int *width)
{
  *height = net->default_h;
  *width = net->default_w;
}

dd_backend *
dd_net_backend (const dd_net *net)
{
  return net->be;
}

dd_net_mode
dd_net_current_mode (const dd_net *net)
{
  return net->mode;
}

dd_shape
dd_net_input_shape (const dd_net *net)
{
  return net->in_shape;
}

int
dd_net_n_layers (const dd_net *net)
{
  return net->n_layers;
}

dd_layer *
dd_net_layer (const dd_net *net, int i)
{
  return i >= 0 && i < net->n_layers ? &net->layers[i] : NULL;
}

dd_layer *
dd_net_find (const dd_net *net, const char *name)
{
  for (int i = 0; i < net->n_layers; i++)
    if (strcmp (net->layers[i].name, name) == 0)
      return &net->layers[i];
  return NULL;
}

int
dd_net_n_outputs (const dd_net *net)
{
  return net->n_outputs;
}

dd_layer *
dd_net_output (const dd_net *net, int i)
{
  return i >= 0 && i < net->n_outputs ? &net->layers[net->outputs[i]] : NULL;
}

int
dd_net_n_tensors (const dd_net *net)
{
  return net->n_tensors;
}

const dd_net_tensor *
dd_net_tensor_at (const dd_net *net, int i)
{
  return i >= 0 && i < net->n_tensors ? &net->tensors[i] : NULL;
}

const dd_net_tensor *
dd_net_find_tensor (const dd_net *net, const char *name)
{
  for (int i = 0; i < net->n_tensors; i++)
    if (strcmp (net->tensors[i].name, name) == 0)
      return &net->tensors[i];
  return NULL;
}

int64_t
dd_net_step (const dd_net *net)
{
  return net->step;
}

void
dd_net_set_step (dd_net *net, int64_t step)
{
  net->step = step;
}
