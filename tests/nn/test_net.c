/* Networks: loading errors, shapes, parameter counts and FLOPs of a small
 * hand-written net checked by hand, initialisation, the whole-network
 * gradient against finite differences, re-setup, and the inference graph
 * against the eval forward. On the reference backend. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn/net.h"
#include "nn/rng.h"

/* input 3x8x8
 *  c1   conv 3->4 k3 p1 bias        4x8x8  params 4*3*9+4 = 112  MACs 27*4*64
 *  b1   batchnorm                   4x8x8  params 8
 *  r1   relu                        4x8x8  (read by p1 and c4)
 *  p1   maxpool k2 s2               4x4x4
 *  c2   conv 4->6 k3 s2 p1 g2 nobias 6x2x2 params 6*2*9 = 108   MACs 18*6*4
 *  u    upsample_nearest            6x4x4
 *  cat  concat(u, p1)              10x4x4
 *  c3   conv 10->2 k1               2x4x4  params 20+2 = 22      MACs 10*2*16
 *  ub   upsample_bilinear           2x8x8
 *  c4   conv 4->2 k3 p2 d2 (on r1)  2x8x8  params 2*4*9+2 = 74   MACs 36*2*64
 *  sum  add(ub, c4)                 2x8x8
 *  out  sigmoid                     2x8x8
 * params 324; FLOPs 2 * (6912 + 432 + 320 + 4608) = 24544 */
static const char hand_net[] =
  "{\"name\": \"hand\", \"input\": {\"channels\": 3, \"height\": 8, \"width\": 8},\n"
  " \"layers\": [\n"
  "  {\"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"out_channels\": 4,"
  "   \"kernel\": 3, \"padding\": 1},\n"
  "  {\"name\": \"b1\", \"op\": \"batchnorm\", \"inputs\": [\"c1\"]},\n"
  "  {\"name\": \"r1\", \"op\": \"relu\", \"inputs\": [\"b1\"]},\n"
  "  {\"name\": \"p1\", \"op\": \"maxpool\", \"inputs\": [\"r1\"], \"kernel\": 2},\n"
  "  {\"name\": \"c2\", \"op\": \"conv2d\", \"inputs\": [\"p1\"], \"out_channels\": 6,"
  "   \"kernel\": [3, 3], \"stride\": 2, \"padding\": 1, \"groups\": 2, \"bias\": false},\n"
  "  {\"name\": \"u\", \"op\": \"upsample_nearest\", \"inputs\": [\"c2\"]},\n"
  "  {\"name\": \"cat\", \"op\": \"concat\", \"inputs\": [\"u\", \"p1\"]},\n"
  "  {\"name\": \"c3\", \"op\": \"conv2d\", \"inputs\": [\"cat\"], \"out_channels\": 2,"
  "   \"kernel\": 1},\n"
  "  {\"name\": \"ub\", \"op\": \"upsample_bilinear\", \"inputs\": [\"c3\"]},\n"
  "  {\"name\": \"c4\", \"op\": \"conv2d\", \"inputs\": [\"r1\"], \"out_channels\": 2,"
  "   \"kernel\": 3, \"padding\": 2, \"dilation\": 2},\n"
  "  {\"name\": \"sum\", \"op\": \"add\", \"inputs\": [\"ub\", \"c4\"]},\n"
  "  {\"name\": \"out\", \"op\": \"sigmoid\", \"inputs\": [\"sum\"]}\n"
  " ],\n"
  " \"outputs\": [\"out\"], \"extra\": {\"kept\": true}}\n";

static dd_net *
load_hand (void)
{
  char err[512] = "";
  dd_net *net = dd_net_parse (hand_net, sizeof hand_net - 1, "hand.json", err, sizeof err);
  if (!net)
    fprintf (stderr, "  %s\n", err);
  return net;
}

static dd_backend *
reference (void)
{
  char err[256];
  dd_backend *be = dd_backend_reference_new (err, sizeof err);
  if (!be)
    fprintf (stderr, "  %s\n", err);
  return be;
}

static void
check_shape (const dd_net *net, const char *name, int n, int c, int h, int w)
{
  dd_layer *l = dd_net_find (net, name);
  CHECK (l != NULL);
  if (!l)
    return;
  if (l->out_shape.n != n || l->out_shape.c != c || l->out_shape.h != h || l->out_shape.w != w) {
    fprintf (stderr, "  %s: %dx%dx%dx%d, want %dx%dx%dx%d\n", name, l->out_shape.n,
             l->out_shape.c, l->out_shape.h, l->out_shape.w, n, c, h, w);
    check_failures++;
  }
}

static void
test_hand_shapes (void)
{
  char err[512] = "";
  dd_net *net = load_hand ();
  CHECK (net != NULL);
  if (!net)
    return;
  CHECK (strcmp (dd_net_name (net), "hand") == 0);
  CHECK (dd_net_n_layers (net) == 13);
  CHECK (dd_net_input_channels (net) == 3);
  CHECK (dd_json_get (dd_json_get (dd_net_json (net), "extra"), "kept") != NULL);
  CHECK (dd_net_n_outputs (net) == 1 && dd_net_output (net, 0) == dd_net_find (net, "out"));
  CHECK (dd_net_layer (net, 0) == dd_net_find (net, "input"));
  CHECK (dd_net_find (net, "nope") == NULL);
  check_shape (net, "c1", 1, 4, 8, 8);
  check_shape (net, "p1", 1, 4, 4, 4);
  check_shape (net, "c2", 1, 6, 2, 2);
  check_shape (net, "u", 1, 6, 4, 4);
  check_shape (net, "cat", 1, 10, 4, 4);
  check_shape (net, "c3", 1, 2, 4, 4);
  check_shape (net, "ub", 1, 2, 8, 8);
  check_shape (net, "c4", 1, 2, 8, 8);
  check_shape (net, "out", 1, 2, 8, 8);
  CHECK (dd_net_param_count (net) == 324);
  CHECK_CLOSE (dd_net_flops_per_image (net), 24544, 0, 0);

  /* Another batch and size: c2 4x3 (odd), so u 8x6 meets p1 8x6 again.
   * MACs: c1 27*4*192, c2 18*6*12, c3 10*2*48, c4 36*2*192. */
  CHECK (dd_net_reshape (net, 2, 16, 12, err, sizeof err) == 0);
  check_shape (net, "c2", 2, 6, 4, 3);
  check_shape (net, "cat", 2, 10, 8, 6);
  check_shape (net, "out", 2, 2, 16, 12);
  CHECK_CLOSE (dd_net_flops_per_image (net), 2.0 * (20736 + 1296 + 960 + 13824), 0, 0);
  dd_shape in = dd_net_input_shape (net);
  CHECK (in.n == 2 && in.c == 3 && in.h == 16 && in.w == 12);

  /* 9x9: the pooled path comes back 8x8, the dilated one stays 9x9. */
  CHECK (dd_net_reshape (net, 1, 9, 9, err, sizeof err) != 0);
  CHECK (strstr (err, "hand.json: layer 'sum' (add): input 'ub' is 1x2x8x8 but 'c4' is 1x2x9x9")
         != NULL);
  CHECK (dd_net_reshape (net, 1, 1, 8, err, sizeof err) != 0);
  CHECK (strstr (err, "layer 'p1' (maxpool): the window is larger") != NULL);
  /* A side no window arithmetic could hold is refused at the input. */
  CHECK (dd_net_reshape (net, 1, INT_MAX, 8, err, sizeof err) != 0);
  CHECK (strstr (err, "hand.json: layer 'input' (input): the input shape 1x3x2147483647x8 "
                 "is out of range") != NULL);

  static const struct {
    const char *name;
    int ndim, shape[4], trainable;
  } want[] = {
    {"c1.weight", 4, {4, 3, 3, 3}, 1}, {"c1.bias", 1, {4}, 1},
    {"b1.weight", 1, {4}, 1}, {"b1.bias", 1, {4}, 1},
    {"b1.running_mean", 1, {4}, 0}, {"b1.running_var", 1, {4}, 0},
    {"c2.weight", 4, {6, 2, 3, 3}, 1},
    {"c3.weight", 4, {2, 10, 1, 1}, 1}, {"c3.bias", 1, {2}, 1},
    {"c4.weight", 4, {2, 4, 3, 3}, 1}, {"c4.bias", 1, {2}, 1},
  };
  CHECK (dd_net_n_tensors (net) == (int) (sizeof want / sizeof want[0]));
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, (int) i);
    CHECK (t && strcmp (t->name, want[i].name) == 0);
    CHECK (t && t->ndim == want[i].ndim && t->trainable == want[i].trainable);
    CHECK (t && memcmp (t->shape, want[i].shape, sizeof (int) * (size_t) t->ndim) == 0);
    CHECK (t && dd_net_find_tensor (net, want[i].name) == t);
  }
  dd_net_free (net);
}

/* Each text must fail to load with the fragment in its message. */
static void
expect_load_error (const char *layers, const char *outputs, const char *fragment)
{
  char text[2048], err[512] = "";
  snprintf (text, sizeof text, "{\"name\": \"bad\", \"input\": {\"channels\": 3, \"height\": 8,"
            " \"width\": 8},\n \"layers\": [%s],\n \"outputs\": [%s]}", layers, outputs);
  dd_net *net = dd_net_parse (text, strlen (text), "bad.json", err, sizeof err);
  CHECK (net == NULL);
  if (!strstr (err, fragment) || strncmp (err, "bad.json: ", 10) != 0) {
    fprintf (stderr, "  error '%s' lacks '%s'\n", err, fragment);
    check_failures++;
  }
  dd_net_free (net);
}

#define CONV(name, in) "{\"name\": \"" name "\", \"op\": \"conv2d\", \"inputs\": [\"" in "\"]," \
  " \"out_channels\": 4, \"kernel\": 3, \"padding\": 1}"

static void
test_load_errors (void)
{
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv3d\", \"inputs\": [\"input\"]}", "\"a\"",
                     "layer 'a': unknown op 'conv3d' (known: conv2d, batchnorm");
  expect_load_error (CONV ("a", "nowhere"), "\"a\"", "layer 'a': unknown input 'nowhere'");
  expect_load_error (CONV ("a", "b") "," CONV ("b", "input"), "\"b\"",
                     "layer 'a': input 'b' is defined later (line 2)");
  expect_load_error (CONV ("a", "a"), "\"a\"", "layer 'a': a layer cannot take its own");
  expect_load_error (CONV ("a", "input") "," CONV ("a", "input"), "\"a\"",
                     "layer 'a': duplicate name (also layer 1)");
  expect_load_error (CONV ("a", "input") "," CONV ("a.b", "input"), "\"a.b\"",
                     "layer 'a.b': name clashes with layer 'a'");
  expect_load_error (CONV ("input", "input"), "\"input\"", "'input' is the network's");
  expect_load_error (CONV ("a..b", "input"), "\"a..b\"", "empty segment");
  expect_load_error (CONV ("a b", "input"), "\"a b\"", "may hold only letters");
  expect_load_error (CONV ("a", "input") ",{\"name\": \"r\", \"op\": \"relu\","
                     " \"inputs\": [\"a\", \"input\"]}", "\"r\"",
                     "layer 'r': relu takes 1 input, not 2");
  expect_load_error (CONV ("a", "input") ",{\"name\": \"c\", \"op\": \"concat\","
                     " \"inputs\": [\"a\"]}", "\"c\"", "layer 'c': concat takes 2 to 8 inputs, not 1");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"out_channels\": 4, \"kernel\": 3, \"strides\": 2}", "\"a\"",
                     "layer 'a': unknown attribute 'strides' for conv2d (known: out_channels,");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"out_channels\": 4, \"kernel\": 0}", "\"a\"",
                     "layer 'a': attribute 'kernel' (line 2) must be an integer or [h, w]");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"kernel\": 3}", "\"a\"", "layer 'a': attribute 'out_channels' is missing");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"out_channels\": 4, \"kernel\": 3, \"bias\": 1}", "\"a\"",
                     "attribute 'bias' (line 2) must be true or false");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"out_channels\": 4, \"kernel\": 3, \"groups\": 2}", "\"a\"",
                     "layer 'a' (conv2d): 3 input channels are not a multiple of groups 2");
  expect_load_error ("{\"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
                     " \"out_channels\": 4, \"kernel\": 11}", "\"a\"",
                     "layer 'a' (conv2d): the kernel is larger than the padded input");
  expect_load_error ("{\"name\": \"b\", \"op\": \"batchnorm\", \"inputs\": [\"input\"],"
                     " \"eps\": 0}", "\"b\"", "attribute 'eps' (line 2) must be a number in (0, 1]");
  expect_load_error ("{\"name\": \"p\", \"op\": \"maxpool\", \"inputs\": [\"input\"],"
                     " \"kernel\": 2, \"padding\": 2}", "\"p\"", "padding 2 is more than half");
  expect_load_error ("{\"name\": \"p\", \"op\": \"maxpool\", \"inputs\": [\"input\"],"
                     " \"kernel\": [2, 3]}", "\"p\"", "maxpool windows are square");
  expect_load_error (CONV ("a", "input") ",{\"name\": \"p\", \"op\": \"maxpool\","
                     " \"inputs\": [\"input\"], \"kernel\": 2},{\"name\": \"s\", \"op\": \"add\","
                     " \"inputs\": [\"a\", \"p\"]}", "\"s\"",
                     "layer 's' (add): input 'a' is 1x4x8x8 but 'p' is 1x3x4x4; add needs the same");
  expect_load_error (CONV ("a", "input"), "\"b\"", "unknown output 'b'");
  expect_load_error (CONV ("a", "input"), "\"a\", \"a\"", "output 'a' is listed twice");
  expect_load_error (CONV ("a", "input"), "", "\"outputs\" must be a non-empty array");
  expect_load_error ("{\"op\": \"relu\", \"inputs\": [\"input\"]}", "\"a\"",
                     "layer 1 (line 2) needs a \"name\" string");
  expect_load_error (CONV ("a", "input") ",", "\"a\"", "bad.json: line 2, column");

  /* 8 * 2^17 = 2^20 is the largest side; one more doubling is refused. */
  char chain[2048] = "";
  size_t used = 0;
  for (int i = 0; i < 18; i++) {
    char in[16] = "input";
    if (i)
      snprintf (in, sizeof in, "u%d", i - 1);
    used += (size_t) snprintf (chain + used, sizeof chain - used, "%s{\"name\": \"u%d\", "
                               "\"op\": \"upsample_nearest\", \"inputs\": [\"%s\"]}",
                               i ? "," : "", i, in);
  }
  expect_load_error (chain, "\"u17\"", "layer 'u17' (upsample_nearest): the output would be "
                     "too large");

  char err[512] = "";
  CHECK (dd_net_load ("/nonexistent/net.json", err, sizeof err) == NULL);
  CHECK (strstr (err, "/nonexistent/net.json: cannot open") != NULL);
  CHECK (dd_net_load_preset ("huge", err, sizeof err) == NULL);
  CHECK (strstr (err, "no preset 'huge' (known: tiny, small, base)") != NULL);
  CHECK (dd_net_load_preset ("../etc", err, sizeof err) == NULL);
}

static void
random_fill (dd_rng *rng, float *x, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_range (rng, lo, hi);
}

static void
test_init (void)
{
  char err[512] = "";
  dd_backend *be = reference ();
  dd_net *net = load_hand (), *again = load_hand ();
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 1, 8, 8, err, sizeof err) == 0);
  CHECK (dd_net_setup (again, be, DD_NET_EVAL, 1, 8, 8, err, sizeof err) == 0);
  float a[216], b[216];
  const dd_net_tensor *w = dd_net_find_tensor (net, "c2.weight");
  dd_net_read_tensor (net, w, a);
  dd_net_read_tensor (again, dd_net_find_tensor (again, "c2.weight"), b);
  CHECK (memcmp (a, b, w->numel * sizeof *a) == 0);
  /* kaiming_uniform(a=sqrt(5)): bound 1/sqrt(fan_in), fan_in = 2*3*3. */
  float bound = 1.0f / sqrtf (18.0f), lo = 1, hi = -1;
  double mean = 0;
  for (size_t i = 0; i < w->numel; i++) {
    lo = fminf (lo, a[i]);
    hi = fmaxf (hi, a[i]);
    mean += a[i] / (double) w->numel;
  }
  CHECK (lo >= -bound && hi <= bound && hi - lo > bound);
  CHECK (fabs (mean) < 0.1 * bound);
  dd_net_read_tensor (net, dd_net_find_tensor (net, "c4.bias"), a);
  bound = 1.0f / sqrtf (36.0f);
  CHECK (fabsf (a[0]) <= bound && fabsf (a[1]) <= bound && a[0] != a[1]);
  const char *bn[] = {"b1.weight", "b1.bias", "b1.running_mean", "b1.running_var"};
  const float want[] = {1, 0, 0, 1};
  for (int k = 0; k < 4; k++) {
    dd_net_read_tensor (net, dd_net_find_tensor (net, bn[k]), a);
    CHECK (a[0] == want[k] && a[3] == want[k]);
  }
  CHECK (dd_net_init_params (again, 7) == 0);
  dd_net_read_tensor (net, w, a);
  dd_net_read_tensor (again, dd_net_find_tensor (again, "c2.weight"), b);
  CHECK (memcmp (a, b, w->numel * sizeof *a) != 0);
  dd_net_free (again);
  dd_net_free (net);
  be->ops->destroy (be);
}

/* loss = sum(out * g): backward from dy = g must give the input and
 * parameter gradients that central differences of the loss give. */
static double
loss_of (dd_net *net, const float *x, const float *g, float *out, size_t n_out)
{
  char err[256];
  dd_net_set_input (net, x);
  dd_net_forward (net, 1);
  dd_net_read (net, "out", out, err, sizeof err);
  double loss = 0;
  for (size_t i = 0; i < n_out; i++)
    loss += (double) out[i] * g[i];
  return loss;
}

static void
test_gradients (void)
{
  char err[512] = "";
  dd_backend *be = reference ();
  dd_net *net = load_hand ();
  CHECK (dd_net_setup (net, be, DD_NET_TRAIN, 2, 8, 8, err, sizeof err) == 0);
  enum { N_IN = 2 * 3 * 8 * 8, N_OUT = 2 * 2 * 8 * 8 };
  static float x[N_IN], g[N_OUT], out[N_OUT], dx[N_IN];
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  random_fill (&rng, x, N_IN, -1, 1);
  random_fill (&rng, g, N_OUT, -1, 1);
  loss_of (net, x, g, out, N_OUT);
  dd_net_zero_grad (net);
  CHECK (dd_net_set_grad (net, "out", g, err, sizeof err) == 0);
  dd_net_backward (net);
  CHECK (dd_net_read_grad (net, "input", dx, err, sizeof err) == 0);

  /* Small enough that few ReLU or max-pool kinks fall inside a step. */
  const float h = 3e-3f;
  for (int k = 0; k < 12; k++) {
    int i = (int) dd_rng_below (&rng, N_IN);
    float keep = x[i];
    x[i] = keep + h;
    double up = loss_of (net, x, g, out, N_OUT);
    x[i] = keep - h;
    double down = loss_of (net, x, g, out, N_OUT);
    x[i] = keep;
    CHECK_CLOSE (dx[i], (up - down) / (2 * h), 1e-2, 1e-3);
  }
  /* A weight reached through both branches of r1. It moves a whole
   * channel, so the step must be smaller still to stay clear of kinks; the
   * gradient is large enough for float's rounding at that step. */
  const float hw = 3e-4f;
  const dd_net_tensor *w = dd_net_find_tensor (net, "c1.weight");
  float wv[108], dw[108];
  dd_net_read_tensor (net, w, wv);
  dd_backend_ops const *ops = be->ops;
  ops->download (be, dw, w->grad, w->numel);
  for (int k = 0; k < 6; k++) {
    int i = (int) dd_rng_below (&rng, (uint32_t) w->numel);
    float keep = wv[i];
    wv[i] = keep + hw;
    dd_net_write_tensor (net, w, wv);
    double up = loss_of (net, x, g, out, N_OUT);
    wv[i] = keep - hw;
    dd_net_write_tensor (net, w, wv);
    double down = loss_of (net, x, g, out, N_OUT);
    wv[i] = keep;
    dd_net_write_tensor (net, w, wv);
    CHECK_CLOSE (dw[i], (up - down) / (2 * hw), 1e-2, 1e-2);
  }
  dd_net_free (net);
  be->ops->destroy (be);
}

/* Sets batch norm's parameters and running statistics away from their
 * initial values, so folding has something to fold. */
static void
perturb_bn (dd_net *net, dd_rng *rng)
{
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    if (t->layer->op != DD_OP_BATCHNORM)
      continue;
    float v[1024];
    int var = strstr (t->name, "running_var") != NULL;
    int gamma = strstr (t->name, ".weight") != NULL;
    random_fill (rng, v, t->numel, var ? 0.2f : gamma ? 0.5f : -0.5f, var ? 2 : gamma ? 1.5f : 0.5f);
    dd_net_write_tensor (net, t, v);
  }
}

/* The inference graph computes what the eval forward computes. */
static void
check_infer_matches_eval (dd_net *net, dd_backend *be, int batch, int h, int w)
{
  char err[512] = "";
  dd_rng rng;
  dd_rng_seed (&rng, 11, 0);
  size_t n_in = (size_t) batch * 3 * h * w;
  float *x = malloc (n_in * sizeof *x);
  random_fill (&rng, x, n_in, -1, 1);
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, batch, h, w, err, sizeof err) == 0);
  perturb_bn (net, &rng);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  int n_out = dd_net_n_outputs (net);
  float *want[8], *got[8];
  for (int o = 0; o < n_out; o++) {
    size_t n = dd_shape_numel (dd_net_output (net, o)->out_shape);
    want[o] = malloc (n * sizeof (float));
    got[o] = malloc (n * sizeof (float));
    CHECK (dd_net_read (net, dd_net_output (net, o)->name, want[o], err, sizeof err) == 0);
  }
  CHECK (dd_net_setup (net, be, DD_NET_INFER, batch, h, w, err, sizeof err) == 0);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  double worst = 0;
  for (int o = 0; o < n_out; o++) {
    size_t n = dd_shape_numel (dd_net_output (net, o)->out_shape);
    CHECK (dd_net_read (net, dd_net_output (net, o)->name, got[o], err, sizeof err) == 0);
    for (size_t i = 0; i < n; i++)
      worst = fmax (worst, fabs (got[o][i] - want[o][i]) / (1e-3 + fabs (want[o][i])));
    free (want[o]);
    free (got[o]);
  }
  CHECK (worst < 1e-4);
  free (x);
}

static void
test_infer_graph (void)
{
  char err[512] = "";
  dd_backend *be = reference ();
  dd_net *net = load_hand ();
  check_infer_matches_eval (net, be, 2, 8, 8);
  /* c1, b1 and r1 became one convolution with ReLU, named r1. */
  static float y[2 * 4 * 8 * 8];
  CHECK (dd_net_read (net, "c1", y, err, sizeof err) != 0);
  CHECK (strstr (err, "layer 'c1' is folded into a convolution") != NULL);
  CHECK (dd_net_read (net, "b1", y, err, sizeof err) != 0);
  CHECK (dd_net_read (net, "r1", y, err, sizeof err) == 0);
  CHECK (dd_net_read_grad (net, "r1", y, err, sizeof err) != 0);
  CHECK (strstr (err, "gradients exist only in a DD_NET_TRAIN setup") != NULL);

  /* Parameters changed while set up for inference are folded again before
   * the next forward. */
  static float x[2 * 3 * 8 * 8], folded[2 * 2 * 8 * 8], plain[2 * 2 * 8 * 8];
  dd_rng rng;
  dd_rng_seed (&rng, 13, 0);
  random_fill (&rng, x, sizeof x / sizeof x[0], -1, 1);
  perturb_bn (net, &rng);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  CHECK (dd_net_read (net, "out", folded, err, sizeof err) == 0);
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 2, 8, 8, err, sizeof err) == 0);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  CHECK (dd_net_read (net, "out", plain, err, sizeof err) == 0);
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    CHECK_CLOSE (folded[i], plain[i], 1e-5, 1e-6);
  dd_net_free (net);

  /* A convolution that is also an output is not folded: its batch norm
   * and ReLU stay layers of their own, readable as in eval. */
  static const char text[] =
    "{\"name\": \"o\", \"input\": {\"channels\": 3, \"height\": 6, \"width\": 6},"
    " \"layers\": [" CONV ("c", "input") ","
    " {\"name\": \"bn\", \"op\": \"batchnorm\", \"inputs\": [\"c\"]},"
    " {\"name\": \"r\", \"op\": \"relu\", \"inputs\": [\"bn\"]}],"
    " \"outputs\": [\"c\", \"r\"]}";
  net = dd_net_parse (text, sizeof text - 1, "o.json", err, sizeof err);
  CHECK (net != NULL);
  check_infer_matches_eval (net, be, 1, 6, 6);
  CHECK (dd_net_read (net, "bn", y, err, sizeof err) == 0);
  dd_net_free (net);
  be->ops->destroy (be);
}

/* A new batch or size keeps the parameters, and an image's output does not
 * depend on its neighbours in the batch (eval mode). */
static void
test_resetup (void)
{
  char err[512] = "";
  dd_backend *be = reference ();
  dd_net *net = load_hand ();
  enum { IMG = 3 * 8 * 8, OUT = 2 * 8 * 8 };
  static float x[2 * IMG], first[OUT], second[2 * OUT], before[108], after[108];
  dd_rng rng;
  dd_rng_seed (&rng, 5, 0);
  random_fill (&rng, x, 2 * IMG, -1, 1);
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 1, 8, 8, err, sizeof err) == 0);
  perturb_bn (net, &rng);
  dd_net_read_tensor (net, dd_net_find_tensor (net, "c1.weight"), before);
  dd_net_set_input (net, x + IMG);
  dd_net_forward (net, 0);
  CHECK (dd_net_read (net, "out", first, err, sizeof err) == 0);
  CHECK (dd_net_setup (net, be, DD_NET_TRAIN, 3, 16, 12, err, sizeof err) == 0);
  CHECK (dd_net_find (net, "out")->out_shape.h == 16);
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 2, 8, 8, err, sizeof err) == 0);
  dd_net_read_tensor (net, dd_net_find_tensor (net, "c1.weight"), after);
  CHECK (memcmp (before, after, sizeof before) == 0);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  CHECK (dd_net_read (net, "out", second, err, sizeof err) == 0);
  CHECK (memcmp (first, second + OUT, sizeof first) == 0);

  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 1, 9, 9, err, sizeof err) != 0);
  CHECK (strstr (err, "layer 'sum' (add)") != NULL);
  CHECK (dd_net_reshape (net, 1, 8, 8, err, sizeof err) != 0);
  CHECK (strstr (err, "set up on a backend") != NULL);
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, 0, 8, 8, err, sizeof err) != 0);
  dd_backend *other = reference ();
  CHECK (dd_net_setup (net, other, DD_NET_EVAL, 1, 8, 8, err, sizeof err) != 0);
  CHECK (strstr (err, "set up on backend 'reference'") != NULL);
  other->ops->destroy (other);
  dd_net_free (net);
  be->ops->destroy (be);
}

static void
check_preset (const char *name, size_t params, double flops, int height,
    int width)
{
  char err[512] = "";
  dd_net *net = dd_net_load_preset (name, err, sizeof err);
  CHECK (net != NULL);
  if (!net) {
    fprintf (stderr, "  %s\n", err);
    return;
  }
  int h, w;
  dd_net_default_size (net, &h, &w);
  CHECK (h == height && w == width);
  CHECK (strcmp (dd_net_name (net), name) == 0);
  /* The counts make_presets.py computes independently in Python. */
  CHECK (dd_net_param_count (net) == params);
  CHECK_CLOSE (dd_net_flops_per_image (net), flops, 0, 0);
  const dd_json *root = dd_net_json (net);
  const dd_json *kp = dd_json_get (root, "keypoints");
  CHECK (kp && kp->n == 17 && strcmp (kp->items[16]->str, "right_ankle") == 0);
  CHECK (dd_json_get (root, "flip_pairs") && dd_json_get (root, "flip_pairs")->n == 8);
  CHECK (dd_json_get (root, "skeleton") && dd_json_get (root, "skeleton")->n == 19);
  static const int channels[] = {1, 2, 2, 17, 34};
  CHECK (dd_net_n_outputs (net) == 5);
  for (int o = 0; o < 5 && o < dd_net_n_outputs (net); o++) {
    dd_shape s = dd_net_output (net, o)->out_shape;
    CHECK (s.c == channels[o] && s.h * 4 == height && s.w * 4 == width);
  }
  dd_net_free (net);
}

static void
test_presets (void)
{
  check_preset ("tiny", 5640, 1957888, 64, 64);
  check_preset ("small", 1702960, 962764800, 160, 192);
  check_preset ("base", 13086008, 33160167424, 512, 512);

  char err[512] = "";
  dd_backend *be = reference ();
  dd_net *net = dd_net_load_preset (DD_TEST_PRESET_DIR "/tiny.json", err, sizeof err);
  CHECK (net != NULL);
  if (net)
    check_infer_matches_eval (net, be, 2, 64, 64);
  dd_net_free (net);
  net = dd_net_load_preset ("small", err, sizeof err);
  if (net)
    check_infer_matches_eval (net, be, 1, 64, 64);
  dd_net_free (net);
  be->ops->destroy (be);
}

/* The tiny preset with bytes changed at random: each text loads or fails
 * with a message naming its origin, never crashes. */
static void
test_corrupted_files (void)
{
  FILE *f = fopen (DD_TEST_PRESET_DIR "/tiny.json", "rb");
  CHECK (f != NULL);
  if (!f)
    return;
  static char text[1 << 16], copy[1 << 16];
  size_t n = fread (text, 1, sizeof text, f);
  fclose (f);
  dd_rng rng;
  dd_rng_seed (&rng, 12, 0);
  static const char pool[] = "{}[]\",:0123456789-.eE tfn";
  int failed = 0;
  for (int k = 0; k < 400; k++) {
    char err[512] = "";
    memcpy (copy, text, n);
    for (int m = 0; m < 1 + k % 3; m++)
      copy[dd_rng_below (&rng, (uint32_t) n)] = k % 2 ? pool[dd_rng_below (&rng, sizeof pool - 1)]
          : (char) dd_rng_u32 (&rng);
    dd_net *net = dd_net_parse (copy, n, "corrupt.json", err, sizeof err);
    if (!net) {
      failed++;
      CHECK (strncmp (err, "corrupt.json: ", 14) == 0);
    }
    dd_net_free (net);
  }
  CHECK (failed > 200);
}

int
main (void)
{
  RUN_TEST (test_hand_shapes);
  RUN_TEST (test_load_errors);
  RUN_TEST (test_init);
  RUN_TEST (test_gradients);
  RUN_TEST (test_infer_graph);
  RUN_TEST (test_resetup);
  RUN_TEST (test_presets);
  RUN_TEST (test_corrupted_files);
  return check_exit_status ();
}
