#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/net_private.h"
#include "nn/safetensors.h"

#define OPTIMIZER_PREFIX "optimizer."
#define BATCHES_SUFFIX ".num_batches_tracked"

static int
fail (char *err, size_t err_len, const char *path, const char *fmt, ...)
    __attribute__((format (printf, 4, 5)));

static int
fail (char *err, size_t err_len, const char *path, const char *fmt, ...)
{
  char what[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  snprintf (err, err_len, "%s: %s", path, what);
  return -1;
}

static size_t
largest_tensor (const dd_net *net)
{
  size_t n = 1;
  for (int i = 0; i < net->n_tensors; i++)
    if (net->tensors[i].numel > n)
      n = net->tensors[i].numel;
  return n;
}

static void
add_f32 (dd_st_writer *w, dd_net *net, const char *name, const dd_net_tensor *t,
         const float *src, float *host)
{
  int64_t shape[4];
  for (int d = 0; d < t->ndim; d++)
    shape[d] = t->shape[d];
  net->be->ops->download (net->be, host, src, t->numel);
  dd_st_writer_add (w, name, "F32", t->ndim, shape, host);
}

int
dd_checkpoint_save (dd_net *net, const char *path, char *err, size_t err_len)
{
  if (!net->param_arena)
    return fail (err, err_len, path, "not written: set network '%s' up before saving it",
                 net->name);
  dd_st_writer *w = dd_st_writer_new ();
  float *host = malloc (largest_tensor (net) * sizeof *host);
  if (!w || !host) {
    dd_st_writer_free (w);
    free (host);
    return fail (err, err_len, path, "not written: out of memory");
  }
  for (int i = 0; i < net->n_tensors; i++) {
    const dd_net_tensor *t = &net->tensors[i];
    add_f32 (w, net, t->name, t, t->value, host);
    if (t->layer->op == DD_OP_BATCHNORM && t->layer->running_var == t->value) {
      char name[DD_TENSOR_NAME_MAX];
      int64_t batches = net->bn_batches[t->layer - net->layers];
      snprintf (name, sizeof name, "%s" BATCHES_SUFFIX, t->layer->name);
      dd_st_writer_add (w, name, "I64", 0, NULL, &batches);
    }
  }
  for (int i = 0; net->state_arena && i < net->n_tensors; i++) {
    const dd_net_tensor *t = &net->tensors[i];
    char name[sizeof OPTIMIZER_PREFIX + DD_TENSOR_NAME_MAX];
    if (!t->trainable)
      continue;
    snprintf (name, sizeof name, OPTIMIZER_PREFIX "%s", t->name);
    add_f32 (w, net, name, t, t->state, host);
  }
  char step[32];
  snprintf (step, sizeof step, "%" PRId64, net->step);
  dd_st_writer_meta (w, "format", "pt");
  dd_st_writer_meta (w, "network", net->name);
  dd_st_writer_meta (w, "step", step);
  int status = dd_st_writer_write (w, path, err, err_len);
  dd_st_writer_free (w);
  free (host);
  return status;
}

/* Where each part of the network comes from in the file. */
typedef struct plan {
  const dd_st_tensor **value;   /* per network tensor */
  const dd_st_tensor **state;   /* per network tensor (trainable) */
  const dd_st_tensor **batches; /* per layer (batch norm) */
  int n_state;
} plan;

static int
find_tensor_index (const dd_net *net, const char *name)
{
  for (int i = 0; i < net->n_tensors; i++)
    if (strcmp (net->tensors[i].name, name) == 0)
      return i;
  return -1;
}

/* "a, b, ..." into out; a shape too long for it is cut, never overrun. */
static void
shape_text (char *out, size_t out_len, const int64_t *shape, int ndim)
{
  size_t k = 0;
  out[0] = '\0';
  for (int d = 0; d < ndim && k < out_len; d++)
    k += (size_t) snprintf (out + k, out_len - k, "%s%" PRId64, d ? ", " : "", shape[d]);
}

/* Damaged weights (a NaN, an infinity) would load and quietly detect
 * nothing; the trainer never saves them, so they are a fault of the file. */
static int
first_non_finite (const dd_safetensors *st, const dd_st_tensor *ft, char *err,
                  size_t err_len)
{
  size_t n = (ft->end - ft->begin) / sizeof (float);
  const unsigned char *bytes = ft->data;
  for (size_t k = 0; k < n; k++) {
    float v;
    memcpy (&v, bytes + k * sizeof v, sizeof v);
    if (!isfinite (v))
      return fail (err, err_len, st->path, "tensor '%s' holds %s at element %zu: the "
                   "weights are damaged", ft->name, isnan (v) ? "NaN" : "an infinity", k);
  }
  return 0;
}

static int
check_f32 (const dd_safetensors *st, const dd_st_tensor *ft, const dd_net_tensor *t,
           const char *net_name, char *err, size_t err_len)
{
  if (strcmp (ft->dtype, "F32") != 0)
    return fail (err, err_len, st->path, "tensor '%s' is %s; network '%s' needs F32",
                 ft->name, ft->dtype, net_name);
  int same = ft->ndim == t->ndim;
  for (int d = 0; same && d < t->ndim; d++)
    same = ft->shape[d] == t->shape[d];
  if (same)
    return first_non_finite (st, ft, err, err_len);
  /* Room for DD_ST_MAX_DIMS sizes of up to 2^62 (19 digits) each. */
  char have[DD_ST_MAX_DIMS * 24], want[DD_ST_MAX_DIMS * 24];
  int64_t net_shape[4];
  for (int d = 0; d < t->ndim; d++)
    net_shape[d] = t->shape[d];
  shape_text (have, sizeof have, ft->shape, ft->ndim);
  shape_text (want, sizeof want, net_shape, t->ndim);
  return fail (err, err_len, st->path, "tensor '%s' has shape [%s]; network '%s' needs [%s]",
               ft->name, have, net_name, want);
}

/* A "<layer>.num_batches_tracked" of one of the network's batch norms. */
static int
batches_layer (const dd_net *net, const char *name)
{
  size_t n = strlen (name), k = strlen (BATCHES_SUFFIX);
  if (n <= k || strcmp (name + n - k, BATCHES_SUFFIX) != 0)
    return -1;
  for (int i = 1; i < net->n_layers; i++)
    if (net->layers[i].op == DD_OP_BATCHNORM && strlen (net->layers[i].name) == n - k
        && strncmp (net->layers[i].name, name, n - k) == 0)
      return i;
  return -1;
}

static int
place (const dd_net *net, const dd_safetensors *st, const dd_st_tensor *ft, plan *p,
       char *err, size_t err_len)
{
  int layer = batches_layer (net, ft->name);
  if (layer > 0) {
    if (strcmp (ft->dtype, "I64") != 0 || ft->ndim != 0)
      return fail (err, err_len, st->path, "tensor '%s' is %s of rank %d; PyTorch's "
                   "num_batches_tracked is an I64 scalar", ft->name, ft->dtype, ft->ndim);
    p->batches[layer] = ft;
    return 0;
  }
  int optimizer = strncmp (ft->name, OPTIMIZER_PREFIX, strlen (OPTIMIZER_PREFIX)) == 0;
  int i = find_tensor_index (net, ft->name + (optimizer ? strlen (OPTIMIZER_PREFIX) : 0));
  if (i < 0 || (optimizer && !net->tensors[i].trainable))
    return fail (err, err_len, st->path, "unknown tensor '%s': network '%s' has no such %s",
                 ft->name, net->name, optimizer ? "optimizer state" : "parameter or buffer");
  if (check_f32 (st, ft, &net->tensors[i], net->name, err, err_len) != 0)
    return -1;
  if (optimizer) {
    p->state[i] = ft;
    p->n_state++;
  } else {
    p->value[i] = ft;
  }
  return 0;
}

static int
check_complete (const dd_net *net, const dd_safetensors *st, const plan *p, char *err,
                size_t err_len)
{
  int n_trainable = 0;
  for (int i = 0; i < net->n_tensors; i++) {
    n_trainable += net->tensors[i].trainable;
    if (!p->value[i])
      return fail (err, err_len, st->path, "missing tensor '%s' of network '%s'",
                   net->tensors[i].name, net->name);
  }
  for (int i = 1; i < net->n_layers; i++)
    if (net->layers[i].op == DD_OP_BATCHNORM && !p->batches[i])
      return fail (err, err_len, st->path, "missing tensor '%s" BATCHES_SUFFIX "' of network "
                   "'%s'", net->layers[i].name, net->name);
  if (p->n_state == 0 || p->n_state == n_trainable)
    return 0;
  for (int i = 0; i < net->n_tensors; i++)
    if (net->tensors[i].trainable && !p->state[i])
      return fail (err, err_len, st->path, "missing tensor '" OPTIMIZER_PREFIX "%s': the "
                   "file has %d of the %d optimizer tensors", net->tensors[i].name,
                   p->n_state, n_trainable);
  return 0;
}

static int
parse_step (const dd_safetensors *st, int64_t *step, char *err, size_t err_len)
{
  const char *s = dd_safetensors_meta (st, "step");
  *step = 0;
  if (!s)
    return 0;
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || *end || v < 0)
    return fail (err, err_len, st->path, "__metadata__ step \"%s\" is not a step count", s);
  *step = v;
  return 0;
}

static void
upload (dd_net *net, float *dst, const dd_st_tensor *ft, float *host)
{
  memcpy (host, ft->data, ft->end - ft->begin);
  net->be->ops->upload (net->be, dst, host, (ft->end - ft->begin) / sizeof (float));
}

static void
apply (dd_net *net, const plan *p, int64_t step, float *host)
{
  for (int i = 0; i < net->n_tensors; i++) {
    const dd_net_tensor *t = &net->tensors[i];
    upload (net, t->value, p->value[i], host);
    if (!t->trainable || !t->state)
      continue;
    if (p->state[i])
      upload (net, t->state, p->state[i], host);
    else
      net->be->ops->fill (net->be, t->state, 0, t->numel);
  }
  for (int i = 1; i < net->n_layers; i++)
    if (p->batches[i])
      memcpy (&net->bn_batches[i], p->batches[i]->data, sizeof (int64_t));
  net->step = step;
  net->params_dirty = 1;
}

int
dd_checkpoint_read_step (const char *path, int64_t *step, char *err, size_t err_len)
{
  *step = 0;
  dd_safetensors *st = dd_safetensors_read (path, err, err_len);
  if (!st)
    return -1;
  int status = parse_step (st, step, err, err_len);
  dd_safetensors_free (st);
  return status;
}

/* A training run continues only from the whole of its state: weights
 * alone (a model's, as a run leaves at its end) would restart the momentum
 * at zero, and a missing step the learning-rate schedule at its start. */
static int
check_resumable (const dd_safetensors *st, const plan *p, char *err, size_t err_len)
{
  if (p->n_state == 0)
    return fail (err, err_len, st->path, "has no optimizer state: it holds weights "
                 "only (a model's), not a training checkpoint to resume");
  if (!dd_safetensors_meta (st, "step"))
    return fail (err, err_len, st->path, "has no optimizer step in its __metadata__: "
                 "not a training checkpoint to resume");
  return 0;
}

static int
load (dd_net *net, const char *path, int resume, char *err, size_t err_len)
{
  if (!net->param_arena)
    return fail (err, err_len, path, "set network '%s' up before loading a checkpoint into it",
                 net->name);
  dd_safetensors *st = dd_safetensors_read (path, err, err_len);
  if (!st)
    return -1;
  plan p = {
    .value = calloc ((size_t) net->n_tensors + 1, sizeof *p.value),
    .state = calloc ((size_t) net->n_tensors + 1, sizeof *p.state),
    .batches = calloc ((size_t) net->n_layers, sizeof *p.batches),
  };
  float *host = malloc (largest_tensor (net) * sizeof *host);
  int64_t step = 0;
  int status = 0;
  if (!p.value || !p.state || !p.batches || !host)
    status = fail (err, err_len, path, "out of memory");
  for (int i = 0; i < st->n_tensors && status == 0; i++)
    status = place (net, st, &st->tensors[i], &p, err, err_len);
  if (status == 0)
    status = check_complete (net, st, &p, err, err_len);
  if (status == 0 && resume)
    status = check_resumable (st, &p, err, err_len);
  if (status == 0)
    status = parse_step (st, &step, err, err_len);
  if (status == 0)
    apply (net, &p, step, host);
  free (host);
  free (p.value);
  free (p.state);
  free (p.batches);
  dd_safetensors_free (st);
  return status;
}

int
dd_checkpoint_load (dd_net *net, const char *path, char *err, size_t err_len)
{
  return load (net, path, 0, err, err_len);
}

int
dd_checkpoint_resume (dd_net *net, const char *path, char *err, size_t err_len)
{
  return load (net, path, 1, err, err_len);
}
