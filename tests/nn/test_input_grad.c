/* The gradient with respect to the network's input, which backward leaves
 * out and reading computes (lib/nn/net_input_grad.c): on an input read by
 * a convolution, a batch norm, a concat and an add (twice), it matches
 * central differences of the loss, agrees across every backend built, and
 * computing it leaves every other gradient as backward left it. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn/net.h"
#include "nn/rng.h"

#define LAYER(name, op, inputs, extra) \
  "{\"name\": \"" name "\", \"op\": \"" op "\", \"inputs\": [" inputs "]" extra "}"

/* input 3x6x5, read by c (conv), b (batch norm), cat and sum (twice). */
static const char net_text[] =
  "{\"name\": \"input_grad\", \"input\": {\"channels\": 3, \"height\": 6, \"width\": 5},"
  " \"layers\": ["
  LAYER ("c", "conv2d", "\"input\"", ", \"out_channels\": 3, \"kernel\": 3, \"padding\": 1")
  "," LAYER ("b", "batchnorm", "\"input\"", "")
  "," LAYER ("cat", "concat", "\"c\", \"input\"", "")
  "," LAYER ("d", "conv2d", "\"cat\"", ", \"out_channels\": 3, \"kernel\": 1")
  "," LAYER ("sum", "add", "\"input\", \"d\", \"b\", \"input\"", "")
  "," LAYER ("out", "sigmoid", "\"sum\"", "")
  "], \"outputs\": [\"out\"]}";

enum { N = 2, IN = N * 3 * 6 * 5, OUT = IN };

static void
random_fill (dd_rng *rng, float *x, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_range (rng, lo, hi);
}

/* loss = sum(out * g) after a training forward; with `backward`, its
 * gradients too. */
static double
loss (dd_net *net, const float *x, const float *g, int backward)
{
  char err[256];
  float out[OUT];
  dd_net_set_input (net, x);
  dd_net_forward (net, 1);
  dd_net_read (net, "out", out, err, sizeof err);
  double sum = 0;
  for (size_t i = 0; i < OUT; i++)
    sum += (double) out[i] * g[i];
  if (backward) {
    dd_net_zero_grad (net);
    CHECK (dd_net_set_grad (net, "out", g, err, sizeof err) == 0);
    dd_net_backward (net);
  }
  return sum;
}

/* Every gradient but the input's, as one host vector. */
static size_t
other_grads (dd_net *net, float *dst)
{
  char err[256];
  dd_backend *be = dd_net_backend (net);
  size_t n = 0;
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    if (t->grad)
      be->ops->download (be, dst + n, t->grad, t->numel);
    n += t->grad ? t->numel : 0;
  }
  const char *layers[] = {"c", "b", "cat", "d", "sum"};
  for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
    CHECK (dd_net_read_grad (net, layers[k], dst + n, err, sizeof err) == 0);
    n += dd_shape_numel (dd_net_find (net, layers[k])->out_shape);
  }
  return n;
}

/* The input's gradient on `backend`, into dx; checks what reading it
 * leaves alone. Returns 0, or -1 where the backend cannot run here. */
static int
input_grad (const char *backend, const float *x, const float *g, float *dx, dd_net **keep)
{
  char err[512] = "";
  dd_backend *be = dd_backend_new (backend, err, sizeof err);
  if (!be) {
    fprintf (stderr, "  %s: %s\n", backend, err);
    CHECK (strcmp (backend, "cuda") == 0);
    return -1;
  }
  dd_net *net = dd_net_parse (net_text, sizeof net_text - 1, "input_grad.json", err,
                              sizeof err);
  CHECK (net != NULL);
  CHECK (net && dd_net_setup (net, be, DD_NET_TRAIN, N, 6, 5, err, sizeof err) == 0);
  if (!net) {
    fprintf (stderr, "  %s\n", err);
    dd_backend_free (be);
    return -1;
  }
  static float before[4096], after[4096], again[IN];
  loss (net, x, g, 1);
  size_t n = other_grads (net, before);
  CHECK (n < sizeof before / sizeof before[0]);
  CHECK (dd_net_read_grad (net, "input", dx, err, sizeof err) == 0);
  CHECK (dd_net_read_grad (net, "input", again, err, sizeof err) == 0);
  CHECK (memcmp (dx, again, sizeof again) == 0);
  other_grads (net, after);
  CHECK (memcmp (before, after, n * sizeof (float)) == 0);
  if (keep) {
    *keep = net;
    return 0;
  }
  dd_net_free (net);
  dd_backend_free (be);
  return 0;
}

static void
test_input_grad (void)
{
  static float x[IN], g[OUT], want[IN], got[IN];
  dd_rng rng;
  dd_rng_seed (&rng, 9, 0);
  random_fill (&rng, x, IN, -1, 1);
  random_fill (&rng, g, OUT, -1, 1);
  dd_net *net = NULL;
  if (input_grad ("reference", x, g, want, &net) != 0)
    return;
  /* Central differences on the reference backend. */
  const float h = 1e-3f;
  for (int k = 0; k < 16; k++) {
    int i = (int) dd_rng_below (&rng, IN);
    float keep = x[i];
    x[i] = keep + h;
    double up = loss (net, x, g, 0);
    x[i] = keep - h;
    double down = loss (net, x, g, 0);
    x[i] = keep;
    CHECK_CLOSE (want[i], (up - down) / (2 * h), 1e-2, 1e-3);
  }
  dd_backend *be = dd_net_backend (net);
  dd_net_free (net);
  dd_backend_free (be);
  for (size_t b = 1; dd_backend_name (b); b++) {
    if (input_grad (dd_backend_name (b), x, g, got, NULL) != 0)
      continue;
    double worst = 0;
    for (size_t i = 0; i < IN; i++)
      worst = fmax (worst, fabs (got[i] - want[i]) / (1e-3 + fabs (want[i])));
    fprintf (stderr, "  %s: input gradient vs reference, worst error %.3g\n",
             dd_backend_name (b), worst);
    CHECK (worst < 1e-4);
  }
}

int
main (void)
{
  RUN_TEST (test_input_grad);
  return check_exit_status ();
}
