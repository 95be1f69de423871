#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_fixture.h"
#include "nn/rng.h"

/* A test cannot go on without host memory: say so and stop. */
static float *
host_floats (size_t n)
{
  float *p = malloc ((n ? n : 1) * sizeof (float));
  if (!p) {
    fprintf (stderr, "layer_fixture: out of host memory for %zu floats\n", n);
    exit (1);
  }
  return p;
}

static int
same_shape (dd_shape a, dd_shape b)
{
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

/* floor((size + 2 pad - extent) / stride) + 1, or -1 when the window does
 * not fit once. */
static int
window_out (int size, int pad, int extent, int stride)
{
  int span = size + 2 * pad - extent;
  return span < 0 ? -1 : span / stride + 1;
}

static int
conv_out_shape (const dd_layer *l, dd_shape in, dd_shape *out, char *err, size_t err_len)
{
  const dd_conv_attr *a = &l->conv;
  if (a->kh < 1 || a->kw < 1 || a->stride_h < 1 || a->stride_w < 1
      || a->dilation_h < 1 || a->dilation_w < 1 || a->pad_h < 0 || a->pad_w < 0
      || a->groups < 1 || a->out_channels < 1) {
    snprintf (err, err_len, "layer '%s': conv attributes out of range (kernel, "
              "stride, dilation, groups and out_channels must be >= 1, padding >= 0)",
              l->name);
    return -1;
  }
  if (in.c % a->groups || a->out_channels % a->groups) {
    snprintf (err, err_len, "layer '%s': %d input and %d output channels are not "
              "both divisible by groups=%d", l->name, in.c, a->out_channels, a->groups);
    return -1;
  }
  int oh = window_out (in.h, a->pad_h, a->dilation_h * (a->kh - 1) + 1, a->stride_h);
  int ow = window_out (in.w, a->pad_w, a->dilation_w * (a->kw - 1) + 1, a->stride_w);
  if (oh < 1 || ow < 1) {
    snprintf (err, err_len, "layer '%s': the dilated %dx%d kernel does not fit the "
              "padded %dx%d input", l->name, a->kh, a->kw, in.h, in.w);
    return -1;
  }
  *out = (dd_shape) {in.n, a->out_channels, oh, ow};
  return 0;
}

static int
pool_out_shape (const dd_layer *l, dd_shape in, dd_shape *out, char *err, size_t err_len)
{
  const dd_pool_attr *a = &l->pool;
  if (a->k < 1 || a->stride < 1 || a->pad < 0 || a->pad > a->k / 2) {
    snprintf (err, err_len, "layer '%s': max-pool needs k >= 1, stride >= 1 and "
              "0 <= pad <= k/2 (got k=%d stride=%d pad=%d)", l->name, a->k, a->stride, a->pad);
    return -1;
  }
  int oh = window_out (in.h, a->pad, a->k, a->stride);
  int ow = window_out (in.w, a->pad, a->k, a->stride);
  if (oh < 1 || ow < 1) {
    snprintf (err, err_len, "layer '%s': the %dx%d pool window does not fit the "
              "padded %dx%d input", l->name, a->k, a->k, in.h, in.w);
    return -1;
  }
  *out = (dd_shape) {in.n, in.c, oh, ow};
  return 0;
}

static int
join_out_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  dd_shape s = l->inputs[0]->out_shape;
  for (int i = 1; i < l->n_inputs; i++) {
    dd_shape t = l->inputs[i]->out_shape;
    int fits = l->op == DD_OP_CONCAT
        ? (t.n == s.n && t.h == s.h && t.w == s.w) : same_shape (t, s);
    if (!fits) {
      snprintf (err, err_len, "layer '%s': input %d has shape %dx%dx%dx%d, which %s "
                "input 0's %dx%dx%dx%d", l->name, i, t.n, t.c, t.h, t.w,
                l->op == DD_OP_CONCAT ? "differs in N, H or W from" : "differs from",
                s.n, s.c, s.h, s.w);
      return -1;
    }
    if (l->op == DD_OP_CONCAT)
      s.c += t.c;
  }
  *out = s;
  return 0;
}

int
dd_fixture_out_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len)
{
  int joins = l->op == DD_OP_CONCAT || l->op == DD_OP_ADD;
  if (l->op == DD_OP_INPUT) {
    *out = l->out_shape;
    return 0;
  }
  if (joins ? l->n_inputs < 1 : l->n_inputs != 1) {
    snprintf (err, err_len, "layer '%s': %s takes %s input(s), got %d", l->name,
              dd_op_name (l->op), joins ? "one or more" : "exactly one", l->n_inputs);
    return -1;
  }
  dd_shape in = l->inputs[0]->out_shape;
  switch (l->op) {
    case DD_OP_CONV2D:
      return conv_out_shape (l, in, out, err, err_len);
    case DD_OP_MAXPOOL:
      return pool_out_shape (l, in, out, err, err_len);
    case DD_OP_UPSAMPLE_NEAREST:
    case DD_OP_UPSAMPLE_BILINEAR:
      *out = (dd_shape) {in.n, in.c, 2 * in.h, 2 * in.w};
      return 0;
    case DD_OP_CONCAT:
    case DD_OP_ADD:
      return join_out_shape (l, out, err, err_len);
    case DD_OP_BATCHNORM:
    case DD_OP_RELU:
    case DD_OP_SIGMOID:
      *out = in;
      return 0;
    default:
      snprintf (err, err_len, "layer '%s': unknown op %d", l->name, (int) l->op);
      return -1;
  }
}

static float **
buffer_slot (dd_layer *l, dd_fixture_buffer b)
{
  switch (b) {
    case DD_FIXTURE_WEIGHT:
      return &l->weight;
    case DD_FIXTURE_BIAS:
      return &l->bias;
    case DD_FIXTURE_DWEIGHT:
      return &l->dweight;
    case DD_FIXTURE_DBIAS:
      return &l->dbias;
    case DD_FIXTURE_RUNNING_MEAN:
      return &l->running_mean;
    case DD_FIXTURE_RUNNING_VAR:
      return &l->running_var;
    case DD_FIXTURE_SAVE_MEAN:
      return &l->save_mean;
    case DD_FIXTURE_SAVE_INVSTD:
      return &l->save_invstd;
    default:
      return NULL;
  }
}

size_t
dd_layer_fixture_len (const dd_layer_fixture *f, dd_fixture_buffer b)
{
  const dd_layer *l = &f->layer;
  switch (b) {
    case DD_FIXTURE_WEIGHT:
    case DD_FIXTURE_DWEIGHT:
      return dd_layer_weight_numel (l);
    case DD_FIXTURE_BIAS:
    case DD_FIXTURE_DBIAS:
      return dd_layer_bias_numel (l);
    case DD_FIXTURE_RUNNING_MEAN:
    case DD_FIXTURE_RUNNING_VAR:
    case DD_FIXTURE_SAVE_MEAN:
    case DD_FIXTURE_SAVE_INVSTD:
      return l->op == DD_OP_BATCHNORM ? (size_t) l->out_shape.c : 0;
    default:
      return 0;
  }
}

size_t
dd_layer_fixture_input_numel (const dd_layer_fixture *f, int i)
{
  return dd_shape_numel (f->src[i].out_shape);
}

size_t
dd_layer_fixture_output_numel (const dd_layer_fixture *f)
{
  return dd_shape_numel (f->layer.out_shape);
}

/* Allocates n floats on the backend, zeroed. */
static int
alloc_zeroed (dd_layer_fixture *f, float **p, size_t n, const char *layer,
              const char *what, char *err, size_t err_len)
{
  *p = f->be->ops->alloc (f->be, n);
  if (!*p) {
    snprintf (err, err_len, "layer '%s': backend '%s' is out of memory for %s "
              "(%zu floats)", layer, f->be->ops->name, what, n);
    return -1;
  }
  f->be->ops->fill (f->be, *p, 0.0f, n);
  return 0;
}

static int
prepare_activations (dd_layer_fixture *f, dd_layer *l, char *err, size_t err_len)
{
  if (f->be->ops->prepare (f->be, l, f->training, err, err_len) < 0)
    return -1;
  if (l == &f->layer)
    f->layer_prepared = 1;
  else
    f->n_src_prepared++;
  if (alloc_zeroed (f, &l->y, l->act_floats, l->name, "y", err, err_len) < 0
      || alloc_zeroed (f, &l->dy, l->act_floats, l->name, "dy", err, err_len) < 0)
    return -1;
  return 0;
}

static int
build (dd_layer_fixture *f, const dd_layer *proto, const dd_shape *in_shapes,
       char *err, size_t err_len)
{
  dd_layer *l = &f->layer;
  if (proto->n_inputs < 0 || proto->n_inputs > DD_LAYER_MAX_INPUTS) {
    snprintf (err, err_len, "layer '%s': %d inputs, between 0 and %d allowed",
              proto->name, proto->n_inputs, DD_LAYER_MAX_INPUTS);
    return -1;
  }
  snprintf (l->name, sizeof l->name, "%s", proto->name);
  l->op = proto->op;
  l->conv = proto->conv;
  l->bn = proto->bn;
  l->pool = proto->pool;
  l->n_inputs = proto->n_inputs;
  for (int i = 0; i < l->n_inputs; i++) {
    dd_layer *s = &f->src[i];
    snprintf (s->name, sizeof s->name, "input%d", i);
    s->op = DD_OP_INPUT;
    s->out_shape = in_shapes[i];
    l->inputs[i] = s;
    if (prepare_activations (f, s, err, err_len) < 0)
      return -1;
  }
  if (l->op == DD_OP_INPUT)
    l->out_shape = proto->out_shape;
  else if (dd_fixture_out_shape (l, &l->out_shape, err, err_len) < 0)
    return -1;
  if (prepare_activations (f, l, err, err_len) < 0)
    return -1;
  for (int b = 0; b < DD_FIXTURE_BUFFER_COUNT; b++) {
    size_t n = dd_layer_fixture_len (f, b);
    if (n && alloc_zeroed (f, buffer_slot (l, b), n, l->name, "a parameter or "
                           "statistics buffer", err, err_len) < 0)
      return -1;
  }
  return 0;
}

int
dd_layer_fixture_init (dd_layer_fixture *f, dd_backend *be, const dd_layer *proto,
                       const dd_shape *in_shapes, int training, char *err, size_t err_len)
{
  memset (f, 0, sizeof *f);
  f->be = be;
  f->training = training;
  if (build (f, proto, in_shapes, err, err_len) < 0) {
    dd_layer_fixture_free (f);
    return -1;
  }
  return 0;
}

static void
free_activations (dd_layer_fixture *f, dd_layer *l)
{
  if (l->y)
    f->be->ops->free (f->be, l->y);
  if (l->dy)
    f->be->ops->free (f->be, l->dy);
  l->y = l->dy = NULL;
}

void
dd_layer_fixture_free (dd_layer_fixture *f)
{
  if (!f->be)
    return;
  for (int b = 0; b < DD_FIXTURE_BUFFER_COUNT; b++) {
    float **p = buffer_slot (&f->layer, b);
    if (*p)
      f->be->ops->free (f->be, *p);
    *p = NULL;
  }
  free_activations (f, &f->layer);
  if (f->layer_prepared)
    f->be->ops->release (f->be, &f->layer);
  for (int i = 0; i < DD_LAYER_MAX_INPUTS; i++) {
    free_activations (f, &f->src[i]);
    if (i < f->n_src_prepared)
      f->be->ops->release (f->be, &f->src[i]);
  }
  memset (f, 0, sizeof *f);
}

void
dd_layer_fixture_write_input (dd_layer_fixture *f, int i, const float *host)
{
  f->be->ops->write_nchw (f->be, &f->src[i], f->src[i].y, host);
}

void
dd_layer_fixture_read_input (const dd_layer_fixture *f, int i, float *host)
{
  f->be->ops->read_nchw (f->be, &f->src[i], f->src[i].y, host);
}

void
dd_layer_fixture_write_input_grad (dd_layer_fixture *f, int i, const float *host)
{
  f->be->ops->write_nchw (f->be, &f->src[i], f->src[i].dy, host);
}

void
dd_layer_fixture_read_input_grad (const dd_layer_fixture *f, int i, float *host)
{
  f->be->ops->read_nchw (f->be, &f->src[i], f->src[i].dy, host);
}

void
dd_layer_fixture_read_output (const dd_layer_fixture *f, float *host)
{
  f->be->ops->read_nchw (f->be, &f->layer, f->layer.y, host);
}

void
dd_layer_fixture_write_output_grad (dd_layer_fixture *f, const float *host)
{
  f->be->ops->write_nchw (f->be, &f->layer, f->layer.dy, host);
}

void
dd_layer_fixture_read_output_grad (const dd_layer_fixture *f, float *host)
{
  f->be->ops->read_nchw (f->be, &f->layer, f->layer.dy, host);
}

void
dd_layer_fixture_write (dd_layer_fixture *f, dd_fixture_buffer b, const float *host)
{
  size_t n = dd_layer_fixture_len (f, b);
  if (n)
    f->be->ops->upload (f->be, *buffer_slot (&f->layer, b), host, n);
}

void
dd_layer_fixture_read (const dd_layer_fixture *f, dd_fixture_buffer b, float *host)
{
  size_t n = dd_layer_fixture_len (f, b);
  dd_layer *l = (dd_layer *) &f->layer;
  if (n)
    f->be->ops->download (f->be, host, *buffer_slot (l, b), n);
}

void
dd_layer_fixture_zero_grads (dd_layer_fixture *f)
{
  for (int i = 0; i < f->layer.n_inputs; i++)
    f->be->ops->fill (f->be, f->src[i].dy, 0.0f, f->src[i].act_floats);
  if (f->layer.dweight)
    f->be->ops->fill (f->be, f->layer.dweight, 0.0f, dd_layer_fixture_len (f, DD_FIXTURE_DWEIGHT));
  if (f->layer.dbias)
    f->be->ops->fill (f->be, f->layer.dbias, 0.0f, dd_layer_fixture_len (f, DD_FIXTURE_DBIAS));
}

static void
draw (dd_rng *rng, float *host, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    host[i] = dd_rng_range (rng, lo, hi);
}

/* The largest host copy any activation or buffer of the fixture needs. */
static size_t
largest_host_copy (const dd_layer_fixture *f)
{
  size_t n = dd_layer_fixture_output_numel (f);
  for (int i = 0; i < f->layer.n_inputs; i++)
    if (dd_layer_fixture_input_numel (f, i) > n)
      n = dd_layer_fixture_input_numel (f, i);
  for (int b = 0; b < DD_FIXTURE_BUFFER_COUNT; b++)
    if (dd_layer_fixture_len (f, b) > n)
      n = dd_layer_fixture_len (f, b);
  return n;
}

static void
draw_buffer (dd_layer_fixture *f, dd_rng *rng, float *host, dd_fixture_buffer b,
             float lo, float hi)
{
  draw (rng, host, dd_layer_fixture_len (f, b), lo, hi);
  dd_layer_fixture_write (f, b, host);
}

void
dd_layer_fixture_fill_random (dd_layer_fixture *f, uint64_t seed)
{
  dd_rng rng;
  float *host = host_floats (largest_host_copy (f));
  int bn = f->layer.op == DD_OP_BATCHNORM;

  dd_rng_seed (&rng, seed, 0);
  for (int i = 0; i < f->layer.n_inputs; i++) {
    draw (&rng, host, dd_layer_fixture_input_numel (f, i), -1.0f, 1.0f);
    dd_layer_fixture_write_input (f, i, host);
  }
  draw (&rng, host, dd_layer_fixture_output_numel (f), -1.0f, 1.0f);
  dd_layer_fixture_write_output_grad (f, host);
  draw_buffer (f, &rng, host, DD_FIXTURE_WEIGHT, bn ? 0.5f : -1.0f, bn ? 1.5f : 1.0f);
  draw_buffer (f, &rng, host, DD_FIXTURE_BIAS, -0.5f, 0.5f);
  draw_buffer (f, &rng, host, DD_FIXTURE_RUNNING_MEAN, -0.5f, 0.5f);
  draw_buffer (f, &rng, host, DD_FIXTURE_RUNNING_VAR, 0.5f, 1.5f);
  free (host);
  dd_layer_fixture_zero_grads (f);
}

static int
same_layout (const dd_layer_fixture *a, const dd_layer_fixture *b)
{
  if (a->layer.op != b->layer.op || a->layer.n_inputs != b->layer.n_inputs
      || !same_shape (a->layer.out_shape, b->layer.out_shape))
    return 0;
  for (int i = 0; i < a->layer.n_inputs; i++)
    if (!same_shape (a->src[i].out_shape, b->src[i].out_shape))
      return 0;
  for (int k = 0; k < DD_FIXTURE_BUFFER_COUNT; k++)
    if (dd_layer_fixture_len (a, k) != dd_layer_fixture_len (b, k))
      return 0;
  return 1;
}

int
dd_layer_fixture_copy_values (dd_layer_fixture *dst, const dd_layer_fixture *src,
                              char *err, size_t err_len)
{
  if (!same_layout (dst, src)) {
    snprintf (err, err_len, "layer '%s': cannot copy values from layer '%s', their "
              "ops, shapes or buffers differ", dst->layer.name, src->layer.name);
    return -1;
  }
  float *host = host_floats (largest_host_copy (src));
  for (int i = 0; i < src->layer.n_inputs; i++) {
    dd_layer_fixture_read_input (src, i, host);
    dd_layer_fixture_write_input (dst, i, host);
    dd_layer_fixture_read_input_grad (src, i, host);
    dd_layer_fixture_write_input_grad (dst, i, host);
  }
  dd_layer_fixture_read_output_grad (src, host);
  dd_layer_fixture_write_output_grad (dst, host);
  for (int b = 0; b < DD_FIXTURE_BUFFER_COUNT; b++) {
    dd_layer_fixture_read (src, b, host);
    dd_layer_fixture_write (dst, b, host);
  }
  free (host);
  return 0;
}

void
dd_layer_fixture_forward (dd_layer_fixture *f)
{
  f->be->ops->forward (f->be, &f->layer, f->training);
}

void
dd_layer_fixture_backward (dd_layer_fixture *f)
{
  f->be->ops->backward (f->be, &f->layer);
}
