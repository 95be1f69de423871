/* The engine against PyTorch, as llm.c's test_gpt2 checks its C code against
 * a state file written by PyTorch. tests/nn/make_torch_reference.py wrote
 * tests/nn/data/torch_small*: the `small` network (hidden widths halved),
 * its initial weights as a checkpoint, and what PyTorch computed from them.
 * On every backend this test loads the network and the weights through
 * lib/nn, then checks:
 *   - the training-mode forward: every output, max-relative error < 1e-4;
 *   - the backward of L = sum over outputs o of mean((o - target_o)^2):
 *     every parameter gradient and the input gradient, < 1e-4;
 *   - the batch norm running statistics after that forward, < 1e-4;
 *   - the losses of 10 SGD steps (same input and targets each step, the
 *     generator's lr, momentum and weight decay), each within 1e-3.
 * Max-relative error of a tensor: max |engine - torch| / max |torch|. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/backend.h"
#include "nn/checkpoint.h"
#include "nn/net.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"

#define DATA DD_TEST_DATA_DIR "/torch_small"
#define TOLERANCE 1e-4
#define LOSS_TOLERANCE 1e-3

typedef struct reference {
  dd_safetensors *st;
  int batch, size;
  float *input;
  float lr, momentum, weight_decay;
} reference;

/* A copy of a float tensor of the reference file, checked to hold `numel`
 * values; NULL (a failed check) when it is missing or has another size. */
static float *
ref_floats (const reference *ref, const char *name, size_t numel)
{
  const dd_st_tensor *t = dd_safetensors_find (ref->st, name);
  if (!t || strcmp (t->dtype, "F32") != 0 || t->end - t->begin != numel * sizeof (float)) {
    fprintf (stderr, "%s_ref.safetensors: no F32 tensor '%s' of %zu values; "
             "run tests/nn/make_torch_reference.py again\n", DATA, name, numel);
    CHECK (0);
    return NULL;
  }
  float *v = malloc (numel * sizeof *v);
  if (v)
    memcpy (v, t->data, numel * sizeof *v);
  CHECK (v != NULL);
  return v;
}

static float
ref_meta_float (const reference *ref, const char *key)
{
  const char *s = dd_safetensors_meta (ref->st, key);
  if (!s) {
    fprintf (stderr, "%s_ref.safetensors: no '%s' in __metadata__\n", DATA, key);
    CHECK (0);
    return 0;
  }
  return strtof (s, NULL);
}

static double
max_rel_err (const float *got, const float *want, size_t n)
{
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]);
    if (isnan (d))
      return INFINITY;
    diff = d > diff ? d : diff;
    scale = fabs (want[i]) > scale ? fabs (want[i]) : scale;
  }
  return diff / scale;
}

/* Compares `got` with the reference tensor `name`; returns the error. */
static double
expect_close (const reference *ref, const char *backend, const char *name,
              const float *got, size_t numel)
{
  float *want = ref_floats (ref, name, numel);
  if (!want)
    return INFINITY;
  double err = max_rel_err (got, want, numel);
  if (!(err < TOLERANCE)) {
    fprintf (stderr, "%s: %s: max-relative error %.3g (limit %g)\n", backend, name, err,
             TOLERANCE);
    CHECK (err < TOLERANCE);
  }
  free (want);
  return err;
}

static int
load_reference (reference *ref)
{
  char err[512];
  memset (ref, 0, sizeof *ref);
  ref->st = dd_safetensors_read (DATA "_ref.safetensors", err, sizeof err);
  if (!ref->st) {
    fprintf (stderr, "%s\n", err);
    return -1;
  }
  const dd_st_tensor *in = dd_safetensors_find (ref->st, "input");
  if (!in || in->ndim != 4 || in->shape[2] != in->shape[3]) {
    fprintf (stderr, "%s_ref.safetensors: no square NCHW tensor 'input'\n", DATA);
    return -1;
  }
  ref->batch = (int) in->shape[0];
  ref->size = (int) in->shape[2];
  size_t numel = (size_t) (in->shape[0] * in->shape[1] * in->shape[2] * in->shape[3]);
  ref->input = ref_floats (ref, "input", numel);
  ref->lr = ref_meta_float (ref, "lr");
  ref->momentum = ref_meta_float (ref, "momentum");
  ref->weight_decay = ref_meta_float (ref, "weight_decay");
  return ref->input ? 0 : -1;
}

static void
free_reference (reference *ref)
{
  free (ref->input);
  dd_safetensors_free (ref->st);
}

/* Loads the network and the initial weights onto `be`, for training. */
static dd_net *
load_net (const reference *ref, dd_backend *be)
{
  char err[512];
  dd_net *net = dd_net_load (DATA ".json", err, sizeof err);
  if (net && dd_net_setup (net, be, DD_NET_TRAIN, ref->batch, ref->size, ref->size,
                           err, sizeof err) == 0
      && dd_checkpoint_load (net, DATA "_init.safetensors", err, sizeof err) == 0)
    return net;
  fprintf (stderr, "%s: %s\n", be->ops->name, err);
  CHECK (0);
  dd_net_free (net);
  return NULL;
}

/* Training forward, then the loss and its gradient at every output (set on
 * the network after zeroing the gradients). Returns the loss; when `ref`
 * checks are on, compares the outputs with PyTorch's first. */
static double
forward_and_loss (dd_net *net, const reference *ref, const char *backend, int compare)
{
  char err[512];
  double loss = 0;
  dd_net_set_input (net, ref->input);
  dd_net_forward (net, 1);
  dd_net_zero_grad (net);
  for (int i = 0; i < dd_net_n_outputs (net); i++) {
    dd_layer *out = dd_net_output (net, i);
    size_t n = dd_shape_numel (out->out_shape);
    char name[DD_TENSOR_NAME_MAX + 16];
    snprintf (name, sizeof name, "target.%s", out->name);
    float *target = ref_floats (ref, name, n);
    float *o = malloc (n * sizeof *o);
    CHECK (o != NULL);
    if (!target || !o || dd_net_read (net, out->name, o, err, sizeof err) != 0) {
      free (target);
      free (o);
      CHECK (0);
      return INFINITY;
    }
    if (compare) {
      snprintf (name, sizeof name, "output.%s", out->name);
      expect_close (ref, backend, name, o, n);
    }
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
      double d = (double) o[k] - target[k];
      sum += d * d;
      o[k] = (float) (2.0 * d / (double) n);
    }
    loss += sum / (double) n;
    CHECK (dd_net_set_grad (net, out->name, o, err, sizeof err) == 0);
    free (target);
    free (o);
  }
  return loss;
}

/* Every trainable tensor's gradient, the input gradient and the running
 * statistics against PyTorch's; returns the worst error. */
static double
compare_gradients (dd_net *net, const reference *ref, const char *backend)
{
  dd_backend *be = dd_net_backend (net);
  char name[DD_TENSOR_NAME_MAX + 16];
  double worst = 0;
  int n_grads = 0;
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    int running = strstr (t->name, ".running_") != NULL;
    if (!t->trainable && !running)
      continue;
    float *got = malloc (t->numel * sizeof *got);
    CHECK (got != NULL);
    if (!got)
      continue;
    if (t->trainable) {
      be->ops->download (be, got, t->grad, t->numel);
      snprintf (name, sizeof name, "grad.%s", t->name);
      n_grads++;
    } else {
      dd_net_read_tensor (net, t, got);
      snprintf (name, sizeof name, "running.%s", t->name);
    }
    double err = expect_close (ref, backend, name, got, t->numel);
    worst = err > worst ? err : worst;
    free (got);
  }
  /* Every gradient of the reference was compared: none is left over. */
  int n_ref_grads = 0;
  for (int i = 0; i < ref->st->n_tensors; i++)
    n_ref_grads += strncmp (ref->st->tensors[i].name, "grad.", 5) == 0;
  CHECK (n_ref_grads == n_grads + 1);

  dd_shape in = dd_net_input_shape (net);
  float *dx = malloc (dd_shape_numel (in) * sizeof *dx);
  char err[512];
  CHECK (dx != NULL);
  if (dx && dd_net_read_grad (net, "input", dx, err, sizeof err) == 0) {
    double e = expect_close (ref, backend, "grad.input", dx, dd_shape_numel (in));
    worst = e > worst ? e : worst;
  } else {
    CHECK (0);
  }
  free (dx);
  return worst;
}

static void
check_backend (const reference *ref, const char *backend)
{
  char err[512];
  dd_backend *be = dd_backend_new (backend, err, sizeof err);
  if (!be) {
    fprintf (stderr, "%s\n", err);
    CHECK (be != NULL);
    return;
  }
  dd_net *net = load_net (ref, be);
  if (!net) {
    dd_backend_free (be);
    return;
  }

  forward_and_loss (net, ref, backend, 1);
  dd_net_backward (net);
  double worst = compare_gradients (net, ref, backend);
  fprintf (stderr, "%s: outputs, gradients and running statistics: worst error %.3g\n",
           backend, worst);

  /* Ten SGD steps from the initial weights, the momentum at zero. */
  CHECK (dd_checkpoint_load (net, DATA "_init.safetensors", err, sizeof err) == 0);
  float *losses = ref_floats (ref, "losses", 10);
  dd_sgd sgd = {.momentum = ref->momentum, .weight_decay = ref->weight_decay};
  for (int step = 0; losses && step < 10; step++) {
    double loss = forward_and_loss (net, ref, backend, 0);
    dd_net_backward (net);
    CHECK (dd_sgd_step (net, &sgd, ref->lr, err, sizeof err) == 0);
    fprintf (stderr, "%s: step %d: loss %.7f, PyTorch %.7f\n", backend, step, loss,
             losses[step]);
    CHECK_CLOSE (loss, losses[step], LOSS_TOLERANCE, 0);
  }
  CHECK (dd_net_step (net) == 10);
  free (losses);
  dd_net_free (net);
  dd_backend_free (be);
}

static reference ref;

static void
test_reference_backend (void)
{
  check_backend (&ref, "reference");
}

static void
test_cpu_backend (void)
{
  check_backend (&ref, "cpu");
}

int
main (void)
{
  if (load_reference (&ref) != 0)
    return 1;
  RUN_TEST (test_reference_backend);
  RUN_TEST (test_cpu_backend);
  free_reference (&ref);
  return check_exit_status ();
}
