/* SGD over a network: the update against PyTorch's formula written out
 * here, the option that spares batch norm and biases from weight decay,
 * the step count, and a few steps that fit a target. */
#include <string.h>

#include "check.h"
#include "nn/net.h"
#include "nn/rng.h"
#include "nn/sgd.h"

static const char text[] =
  "{\"name\": \"fit\", \"input\": {\"channels\": 2, \"height\": 6, \"width\": 6}, \"layers\": ["
  " {\"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"out_channels\": 4,"
  "  \"kernel\": 3, \"padding\": 1},"
  " {\"name\": \"bn\", \"op\": \"batchnorm\", \"inputs\": [\"c1\"]},"
  " {\"name\": \"r\", \"op\": \"relu\", \"inputs\": [\"bn\"]},"
  " {\"name\": \"c2\", \"op\": \"conv2d\", \"inputs\": [\"r\"], \"out_channels\": 1,"
  "  \"kernel\": 1}],"
  " \"outputs\": [\"c2\"]}";

enum { N_IN = 4 * 2 * 6 * 6, N_OUT = 4 * 1 * 6 * 6 };

static dd_net *
make_net (dd_backend **be)
{
  char err[512] = "";
  *be = dd_backend_reference_new (err, sizeof err);
  dd_net *net = dd_net_parse (text, sizeof text - 1, "fit.json", err, sizeof err);
  if (!net || dd_net_setup (net, *be, DD_NET_TRAIN, 4, 6, 6, err, sizeof err) != 0) {
    fprintf (stderr, "  %s\n", err);
    dd_net_free (net);
    return NULL;
  }
  return net;
}

/* Two steps with set gradients: v1 = g1 + wd p0, p1 = p0 - lr v1;
 * v2 = m v1 + g2 + wd p1, p2 = p1 - lr v2. */
static void
check_update (int exclude)
{
  dd_backend *be;
  dd_net *net = make_net (&be);
  CHECK (net != NULL);
  if (!net)
    return;
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  CHECK (sgd.momentum == 0.9f && sgd.weight_decay == 1e-4f && !sgd.exclude_norm_and_bias);
  sgd.weight_decay = 0.01f;
  sgd.exclude_norm_and_bias = exclude;
  const float lr = 0.1f;
  dd_rng rng;
  dd_rng_seed (&rng, 9, 0);
  char err[256];
  enum { MAX_T = 8, MAX_N = 72 };
  static float p0[MAX_T][MAX_N], g1[MAX_T][MAX_N], g2[MAX_T][MAX_N];
  int n = dd_net_n_tensors (net);
  CHECK (n <= MAX_T);
  for (int i = 0; i < n && i < MAX_T; i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    for (size_t k = 0; k < t->numel && t->trainable; k++) {
      p0[i][k] = dd_rng_range (&rng, -1, 1);
      g1[i][k] = dd_rng_range (&rng, -1, 1);
      g2[i][k] = dd_rng_range (&rng, -1, 1);
    }
    if (t->trainable) {
      dd_net_write_tensor (net, t, p0[i]);
      be->ops->upload (be, t->grad, g1[i], t->numel);
    }
  }
  CHECK (dd_sgd_step (net, &sgd, lr, err, sizeof err) == 0);
  for (int i = 0; i < n && i < MAX_T; i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    if (t->trainable)
      be->ops->upload (be, t->grad, g2[i], t->numel);
  }
  CHECK (dd_sgd_step (net, &sgd, lr, err, sizeof err) == 0);
  for (int i = 0; i < n && i < MAX_T; i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    if (!t->trainable)
      continue;
    float got[MAX_N], v[MAX_N];
    dd_net_read_tensor (net, t, got);
    be->ops->download (be, v, t->state, t->numel);
    int spared = exclude && (t->layer->op == DD_OP_BATCHNORM || strstr (t->name, ".bias"));
    float wd = spared ? 0 : sgd.weight_decay;
    for (size_t k = 0; k < t->numel; k++) {
      float v1 = g1[i][k] + wd * p0[i][k];
      float p1 = p0[i][k] - lr * v1;
      float v2 = sgd.momentum * v1 + g2[i][k] + wd * p1;
      CHECK_CLOSE (v[k], v2, 1e-5, 1e-6);
      CHECK_CLOSE (got[k], p1 - lr * v2, 1e-5, 1e-6);
    }
  }
  CHECK (dd_net_step (net) == 2);
  dd_net_free (net);
  be->ops->destroy (be);
}

static void
test_update (void)
{
  check_update (0);
}

static void
test_exclude_norm_and_bias (void)
{
  check_update (1);
}

static double
half_squared_error (dd_net *net, const float *target, float *dy)
{
  float out[N_OUT];
  char err[256];
  dd_net_read (net, "c2", out, err, sizeof err);
  double loss = 0;
  for (int i = 0; i < N_OUT; i++) {
    dy[i] = out[i] - target[i];
    loss += 0.5 * dy[i] * dy[i];
  }
  return loss;
}

/* Fitting a fixed target: forward, backward and SGD together lower the
 * loss step after step. */
static void
test_fit (void)
{
  dd_backend *be;
  dd_net *net = make_net (&be);
  CHECK (net != NULL);
  if (!net)
    return;
  static float x[N_IN], target[N_OUT], dy[N_OUT];
  dd_rng rng;
  dd_rng_seed (&rng, 4, 0);
  for (int i = 0; i < N_IN; i++)
    x[i] = dd_rng_range (&rng, -1, 1);
  for (int i = 0; i < N_OUT; i++)
    target[i] = x[i] > 0 ? x[i] : 0;
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  char err[256];
  double first = 0, last = 0;
  dd_net_set_input (net, x);
  for (int step = 0; step < 30; step++) {
    dd_net_forward (net, 1);
    last = half_squared_error (net, target, dy);
    if (step == 0)
      first = last;
    dd_net_zero_grad (net);
    dd_net_set_grad (net, "c2", dy, err, sizeof err);
    dd_net_backward (net);
    dd_sgd_step (net, &sgd, 0.01f, err, sizeof err);
  }
  CHECK (last < 0.5 * first);
  CHECK (dd_net_step (net) == 30);

  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 4, 6, 6, err, sizeof err) == 0);
  CHECK (dd_sgd_step (net, &sgd, 0.01f, err, sizeof err) != 0);
  CHECK (strstr (err, "fit.json: an SGD step needs the network set up with DD_NET_TRAIN"));
  dd_net_free (net);
  be->ops->destroy (be);
}

int
main (void)
{
  RUN_TEST (test_update);
  RUN_TEST (test_exclude_norm_and_bias);
  RUN_TEST (test_fit);
  return check_exit_status ();
}
