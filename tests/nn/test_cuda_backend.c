/* The cuda backend against the reference backend (the ground truth), op by
 * op: the same layer with the same values on both backends, forward and
 * backward, and every output, input gradient, parameter gradient and
 * batch-norm statistic compared within 1e-3 relative in float32. Every
 * gradient starts from random values instead of zero, so backward must
 * ADD as layer.h asks. Also: the SGD step, the memory operations, out of
 * device memory, and prepare()'s refusals. Then the whole `tiny` preset on
 * both backends: the eval forward, the inference graph (batch norm folded,
 * ReLU fused into the convolution), and three training steps (outputs,
 * every parameter gradient, then parameters and running statistics after
 * SGD).
 *
 * Without a CUDA device the backend must refuse with "no CUDA device: ...";
 * the test then says "skipped: no CUDA device" and exits 77 (meson's skip),
 * never passing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "layer_fixture.h"
#include "nn/net.h"
#include "nn/rng.h"
#include "nn/sgd.h"

#define RTOL 1e-3

static dd_backend *ref, *gpu;

static float *
floats (size_t n)
{
  float *p = calloc (n ? n : 1, sizeof (float));
  if (!p) {
    fprintf (stderr, "out of host memory\n");
    exit (1);
  }
  return p;
}

static void
draw (dd_rng *rng, float *host, size_t n)
{
  for (size_t i = 0; i < n; i++)
    host[i] = dd_rng_range (rng, -1.0f, 1.0f);
}

/* max |cuda - reference| must stay below RTOL * max |reference|: an error
 * relative to the tensor as a whole, since single elements near zero carry
 * the rounding of sums of much larger terms. */
static void
check_close (const char *layer, const char *what, const float *got, const float *want,
             size_t n)
{
  double worst = 0.0, scale = 0.0;
  size_t at = 0;
  int nan_mismatch = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]);
    if (!!isnan (got[i]) != !!isnan (want[i]))
      nan_mismatch = 1;
    if (d > worst) {
      worst = d;
      at = i;
    }
    if (fabs (want[i]) > scale)
      scale = fabs (want[i]);
  }
  if (nan_mismatch || worst > RTOL * scale) {
    fprintf (stderr, "%s: %s: |cuda - reference| = %.3g at %zu (cuda %.9g, reference %.9g), "
             "max |reference| = %.3g%s\n", layer, what, worst, at, got[at], want[at], scale,
             nan_mismatch ? "; NaN in one backend only" : "");
    check_failures++;
  }
}

/* ---- the same layer on both backends ----------------------------------- */

typedef struct pair {
  dd_layer_fixture ref, gpu;
} pair;

/* Random input gradients and parameter gradients, for backward to add to. */
static void
prefill_grads (dd_layer_fixture *f, uint64_t seed)
{
  static const dd_fixture_buffer grads[] = {DD_FIXTURE_DWEIGHT, DD_FIXTURE_DBIAS};
  dd_rng rng;
  dd_rng_seed (&rng, seed, 1);
  for (int i = 0; i < f->layer.n_inputs; i++) {
    float *host = floats (dd_layer_fixture_input_numel (f, i));
    draw (&rng, host, dd_layer_fixture_input_numel (f, i));
    dd_layer_fixture_write_input_grad (f, i, host);
    free (host);
  }
  for (size_t k = 0; k < sizeof grads / sizeof grads[0]; k++) {
    float *host = floats (dd_layer_fixture_len (f, grads[k]));
    draw (&rng, host, dd_layer_fixture_len (f, grads[k]));
    dd_layer_fixture_write (f, grads[k], host);
    free (host);
  }
}

static int
pair_init (pair *p, const dd_layer *proto, const dd_shape *in, int training, uint64_t seed)
{
  char err[256];
  memset (p, 0, sizeof *p);
  if (dd_layer_fixture_init (&p->ref, ref, proto, in, training, err, sizeof err) == 0
      && dd_layer_fixture_init (&p->gpu, gpu, proto, in, training, err, sizeof err) == 0) {
    dd_layer_fixture_fill_random (&p->ref, seed);
    prefill_grads (&p->ref, seed);
    if (dd_layer_fixture_copy_values (&p->gpu, &p->ref, err, sizeof err) == 0)
      return 0;
  }
  fprintf (stderr, "layer '%s': %s\n", proto->name, err);
  check_failures++;
  dd_layer_fixture_free (&p->ref);
  dd_layer_fixture_free (&p->gpu);
  return -1;
}

static void
pair_free (pair *p)
{
  dd_layer_fixture_free (&p->ref);
  dd_layer_fixture_free (&p->gpu);
}

static const char *const buffer_names[DD_FIXTURE_BUFFER_COUNT] = {
  [DD_FIXTURE_WEIGHT] = "weight", [DD_FIXTURE_BIAS] = "bias",
  [DD_FIXTURE_DWEIGHT] = "dweight", [DD_FIXTURE_DBIAS] = "dbias",
  [DD_FIXTURE_RUNNING_MEAN] = "running_mean", [DD_FIXTURE_RUNNING_VAR] = "running_var",
  [DD_FIXTURE_SAVE_MEAN] = "save_mean", [DD_FIXTURE_SAVE_INVSTD] = "save_invstd",
};

/* Parameters, their gradients and batch-norm statistics. The saved batch
 * statistics mean something only after a training forward. */
static void
compare_buffers (pair *p, const char *when)
{
  char what[64];
  for (int b = 0; b < DD_FIXTURE_BUFFER_COUNT; b++) {
    size_t n = dd_layer_fixture_len (&p->ref, b);
    int saved = b == DD_FIXTURE_SAVE_MEAN || b == DD_FIXTURE_SAVE_INVSTD;
    if (!n || (saved && !p->ref.training))
      continue;
    float *want = floats (n), *got = floats (n);
    dd_layer_fixture_read (&p->ref, b, want);
    dd_layer_fixture_read (&p->gpu, b, got);
    snprintf (what, sizeof what, "%s after %s", buffer_names[b], when);
    check_close (p->ref.layer.name, what, got, want, n);
    free (want);
    free (got);
  }
}

static void
compare_forward (pair *p)
{
  size_t n = dd_layer_fixture_output_numel (&p->ref);
  float *want = floats (n), *got = floats (n);
  dd_layer_fixture_forward (&p->ref);
  dd_layer_fixture_forward (&p->gpu);
  dd_layer_fixture_read_output (&p->ref, want);
  dd_layer_fixture_read_output (&p->gpu, got);
  check_close (p->ref.layer.name, "y", got, want, n);
  compare_buffers (p, "forward");
  free (want);
  free (got);
}

static void
compare_backward (pair *p)
{
  char what[32];
  dd_layer_fixture_backward (&p->ref);
  dd_layer_fixture_backward (&p->gpu);
  for (int i = 0; i < p->ref.layer.n_inputs; i++) {
    size_t n = dd_layer_fixture_input_numel (&p->ref, i);
    float *want = floats (n), *got = floats (n);
    dd_layer_fixture_read_input_grad (&p->ref, i, want);
    dd_layer_fixture_read_input_grad (&p->gpu, i, got);
    snprintf (what, sizeof what, "dx of input %d", i);
    check_close (p->ref.layer.name, what, got, want, n);
    free (want);
    free (got);
  }
  compare_buffers (p, "backward");
}

/* Forward, and when training backward too, on both backends. */
static void
agree (const dd_layer *proto, const dd_shape *in, int training, uint64_t seed)
{
  pair p;
  if (pair_init (&p, proto, in, training, seed) < 0)
    return;
  compare_forward (&p);
  if (training)
    compare_backward (&p);
  pair_free (&p);
}

/* ---- layer prototypes -------------------------------------------------- */

static dd_layer
simple_proto (const char *name, dd_op op, int n_inputs)
{
  dd_layer l;
  memset (&l, 0, sizeof l);
  snprintf (l.name, sizeof l.name, "%s", name);
  l.op = op;
  l.n_inputs = n_inputs;
  return l;
}

typedef struct conv_case {
  const char *name;
  dd_shape in;
  int out_c, kh, kw, stride_h, stride_w, pad_h, pad_w, dilation, groups, bias;
} conv_case;

static dd_layer
conv_proto (const conv_case *c)
{
  dd_layer l = simple_proto (c->name, DD_OP_CONV2D, 1);
  l.conv = (dd_conv_attr) {
    .out_channels = c->out_c, .kh = c->kh, .kw = c->kw,
    .stride_h = c->stride_h, .stride_w = c->stride_w, .pad_h = c->pad_h, .pad_w = c->pad_w,
    .dilation_h = c->dilation, .dilation_w = c->dilation, .groups = c->groups,
    .has_bias = c->bias,
  };
  return l;
}

static dd_layer
pool_proto (const char *name, int k, int stride, int pad)
{
  dd_layer l = simple_proto (name, DD_OP_MAXPOOL, 1);
  l.pool = (dd_pool_attr) {.k = k, .stride = stride, .pad = pad};
  return l;
}

static dd_layer
bn_proto (const char *name, float eps, float momentum)
{
  dd_layer l = simple_proto (name, DD_OP_BATCHNORM, 1);
  l.bn = (dd_bn_attr) {.eps = eps, .momentum = momentum};
  return l;
}

/* ---- the cases --------------------------------------------------------- */

static const conv_case conv_cases[] = {
  {"conv3x3", {2, 8, 11, 13}, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},
  {"conv3x3_stride2", {2, 8, 12, 12}, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1},
  {"conv7x7_stem", {2, 3, 32, 32}, 8, 7, 7, 2, 2, 3, 3, 1, 1, 0},
  {"conv_dilated", {2, 4, 13, 11}, 6, 3, 3, 1, 1, 2, 2, 2, 1, 0},
  {"conv_grouped", {2, 8, 9, 9}, 12, 3, 3, 1, 1, 1, 1, 1, 4, 1},
  {"conv_depthwise", {2, 8, 10, 10}, 8, 3, 3, 2, 2, 1, 1, 1, 8, 1},
  {"conv1x1_head", {3, 16, 7, 7}, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},
  {"conv_1x5_rect", {1, 3, 9, 16}, 4, 1, 5, 1, 2, 0, 2, 1, 1, 0},
  {"conv_no_pad_odd", {2, 5, 8, 7}, 3, 3, 3, 2, 2, 0, 0, 1, 1, 1},
};

static void
test_conv (void)
{
  for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
    dd_layer p = conv_proto (&conv_cases[i]);
    agree (&p, &conv_cases[i].in, 1, 100 + i);
  }
}

/* Inference graph: bias and ReLU inside the convolution, forward only. */
static void
test_conv_fused_relu (void)
{
  conv_case c = {"conv_fused_relu", {2, 6, 9, 9}, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  dd_layer p = conv_proto (&c);
  p.conv.fuse_relu = 1;
  agree (&p, &c.in, 0, 200);
  c.name = "conv_fused_relu_no_bias";
  c.bias = 0;
  p = conv_proto (&c);
  p.conv.fuse_relu = 1;
  agree (&p, &c.in, 0, 201);
}

/* Training: y, running statistics (momentum, unbiased variance), saved
 * batch statistics, then dx, dgamma, dbeta. Eval: running statistics. */
static void
test_batchnorm (void)
{
  dd_shape in = {4, 6, 5, 7};
  dd_layer p = bn_proto ("bn_train", 1e-5f, 0.1f);
  agree (&p, &in, 1, 300);
  dd_shape two = {2, 3, 1, 1};    /* two values per channel: n / (n - 1) = 2 */
  p = bn_proto ("bn_train_tiny_batch", 1e-3f, 1.0f);
  agree (&p, &two, 1, 301);
  p = bn_proto ("bn_eval", 1e-5f, 0.1f);
  agree (&p, &in, 0, 302);
}

static void
test_activations (void)
{
  dd_shape in = {2, 3, 7, 9};
  dd_layer p = simple_proto ("relu", DD_OP_RELU, 1);
  agree (&p, &in, 1, 400);
  p = simple_proto ("sigmoid", DD_OP_SIGMOID, 1);
  agree (&p, &in, 1, 401);
}

/* Inputs from {-1, 0, 0.5, 1}: windows with tied maxima, where only the
 * first (row-major) may take the gradient. */
static void
write_ties (pair *p, uint64_t seed)
{
  static const float levels[] = {-1.0f, 0.0f, 0.5f, 1.0f};
  size_t n = dd_layer_fixture_input_numel (&p->ref, 0);
  float *host = floats (n);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 2);
  for (size_t i = 0; i < n; i++)
    host[i] = levels[dd_rng_below (&rng, 4)];
  dd_layer_fixture_write_input (&p->ref, 0, host);
  dd_layer_fixture_write_input (&p->gpu, 0, host);
  free (host);
}

static void
test_maxpool (void)
{
  dd_shape odd = {2, 3, 13, 12}, even = {1, 4, 8, 9};
  dd_layer p = pool_proto ("pool3_s2_p1", 3, 2, 1);
  agree (&p, &odd, 1, 500);
  p = pool_proto ("pool2_s2", 2, 2, 0);
  agree (&p, &even, 1, 501);
  p = pool_proto ("pool3_s1_p1", 3, 1, 1);
  agree (&p, &odd, 1, 502);

  pair ties;
  p = pool_proto ("pool3_s2_p1_ties", 3, 2, 1);
  if (pair_init (&ties, &p, &odd, 1, 503) < 0)
    return;
  write_ties (&ties, 503);
  compare_forward (&ties);
  compare_backward (&ties);
  pair_free (&ties);
}

static void
test_upsample (void)
{
  dd_shape in = {2, 3, 5, 7}, pixel = {1, 2, 1, 1}, column = {1, 2, 6, 1};
  dd_layer p = simple_proto ("up_nearest", DD_OP_UPSAMPLE_NEAREST, 1);
  agree (&p, &in, 1, 600);
  p = simple_proto ("up_bilinear", DD_OP_UPSAMPLE_BILINEAR, 1);
  agree (&p, &in, 1, 601);
  p = simple_proto ("up_bilinear_1x1", DD_OP_UPSAMPLE_BILINEAR, 1);
  agree (&p, &pixel, 1, 602);
  p = simple_proto ("up_bilinear_column", DD_OP_UPSAMPLE_BILINEAR, 1);
  agree (&p, &column, 1, 603);
}

static void
test_concat_add (void)
{
  dd_shape parts[3] = {{2, 3, 5, 6}, {2, 1, 5, 6}, {2, 4, 5, 6}};
  dd_shape same[3] = {{2, 3, 5, 6}, {2, 3, 5, 6}, {2, 3, 5, 6}};
  dd_layer p = simple_proto ("concat3", DD_OP_CONCAT, 3);
  agree (&p, parts, 1, 700);
  p = simple_proto ("add3", DD_OP_ADD, 3);
  agree (&p, same, 1, 701);
  p = simple_proto ("add1", DD_OP_ADD, 1);
  agree (&p, same, 1, 702);
}

/* ---- SGD, memory, errors ---------------------------------------------- */

/* Three steps of both backends' sgd_step, with and without momentum. */
static void
sgd_case (const char *name, int with_velocity)
{
  enum { N = 1000 };
  float *param_h = floats (N), *grad_h = floats (N), *vel_h = floats (N), *got = floats (N);
  dd_rng rng;
  dd_rng_seed (&rng, 800 + with_velocity, 0);
  draw (&rng, param_h, N);
  draw (&rng, grad_h, N);
  float *param = gpu->ops->alloc (gpu, N), *grad = gpu->ops->alloc (gpu, N);
  float *vel = gpu->ops->alloc (gpu, N);
  CHECK (param && grad && vel);
  if (!param || !grad || !vel)
    goto out;
  gpu->ops->upload (gpu, param, param_h, N);
  gpu->ops->upload (gpu, grad, grad_h, N);
  gpu->ops->fill (gpu, vel, 0.0f, N);
  for (int step = 0; step < 3; step++) {
    ref->ops->sgd_step (ref, param_h, grad_h, with_velocity ? vel_h : NULL, N, 0.02f, 0.9f,
                        1e-4f);
    gpu->ops->sgd_step (gpu, param, grad, with_velocity ? vel : NULL, N, 0.02f, 0.9f, 1e-4f);
  }
  gpu->ops->download (gpu, got, param, N);
  check_close (name, "param", got, param_h, N);
  gpu->ops->download (gpu, got, vel, N);
  check_close (name, "velocity", got, vel_h, N);
out:
  if (param)
    gpu->ops->free (gpu, param);
  if (grad)
    gpu->ops->free (gpu, grad);
  if (vel)
    gpu->ops->free (gpu, vel);
  free (param_h);
  free (grad_h);
  free (vel_h);
  free (got);
}

static void
test_sgd (void)
{
  sgd_case ("sgd_momentum", 1);
  sgd_case ("sgd_plain", 0);
}

/* Upload, download and fill move exactly the floats asked for; a request
 * the device cannot hold gives NULL and leaves the backend working. */
static void
test_memory (void)
{
  float host[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
  float *d = gpu->ops->alloc (gpu, 8);
  CHECK (d != NULL);
  if (!d)
    return;
  gpu->ops->upload (gpu, d, host, 8);
  gpu->ops->fill (gpu, d + 2, -0.5f, 3);
  gpu->ops->download (gpu, back, d, 8);
  float want[8] = {1, 2, -0.5f, -0.5f, -0.5f, 6, 7, 8};
  for (int i = 0; i < 8; i++)
    CHECK (back[i] == want[i]);

  CHECK (gpu->ops->alloc (gpu, (size_t) 1 << 50) == NULL);
  gpu->ops->fill (gpu, d, 3.0f, 8);
  gpu->ops->download (gpu, back, d, 8);
  CHECK (back[7] == 3.0f);
  gpu->ops->free (gpu, d);
}

/* prepare() refuses what the reference refuses, naming the layer. */
static void
test_prepare_errors (void)
{
  char err[256] = "";
  dd_layer src = simple_proto ("image", DD_OP_INPUT, 0);
  src.out_shape = (dd_shape) {1, 3, 8, 8};
  conv_case c = {"conv_bad_shape", {1, 3, 8, 8}, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  dd_layer l = conv_proto (&c);
  l.inputs[0] = &src;
  l.out_shape = (dd_shape) {1, 4, 7, 8};
  CHECK (gpu->ops->prepare (gpu, &l, 1, err, sizeof err) < 0);
  CHECK (strstr (err, "conv_bad_shape") != NULL);

  l.out_shape = (dd_shape) {1, 4, 8, 8};
  l.conv.fuse_relu = 1;
  CHECK (gpu->ops->prepare (gpu, &l, 1, err, sizeof err) < 0);
  CHECK (strstr (err, "fused ReLU") != NULL);
}

/* ---- a whole network --------------------------------------------------- */

typedef struct net_pair {
  dd_net *ref, *gpu;
} net_pair;

static int
nets_setup (net_pair *p, dd_net_mode mode, char *err, size_t err_len)
{
  return dd_net_setup (p->ref, ref, mode, 2, 64, 64, err, err_len) == 0
      && dd_net_setup (p->gpu, gpu, mode, 2, 64, 64, err, err_len) == 0 ? 0 : -1;
}

/* The same input on both, then every output compared. */
static void
compare_net_forward (net_pair *p, const float *input, int training, const char *when)
{
  char err[256], what[64];
  dd_net_set_input (p->ref, input);
  dd_net_set_input (p->gpu, input);
  dd_net_forward (p->ref, training);
  dd_net_forward (p->gpu, training);
  for (int i = 0; i < dd_net_n_outputs (p->ref); i++) {
    const dd_layer *out = dd_net_output (p->ref, i);
    size_t n = dd_shape_numel (out->out_shape);
    float *want = floats (n), *got = floats (n);
    if (dd_net_read (p->ref, out->name, want, err, sizeof err) < 0
        || dd_net_read (p->gpu, out->name, got, err, sizeof err) < 0) {
      fprintf (stderr, "%s\n", err);
      check_failures++;
    } else {
      snprintf (what, sizeof what, "output in %s", when);
      check_close (out->name, what, got, want, n);
    }
    free (want);
    free (got);
  }
}

/* Every tensor's values, or every trainable tensor's gradient. */
static void
compare_net_tensors (net_pair *p, int grads, const char *when)
{
  for (int i = 0; i < dd_net_n_tensors (p->ref); i++) {
    const dd_net_tensor *a = dd_net_tensor_at (p->ref, i), *b = dd_net_tensor_at (p->gpu, i);
    if (grads && !a->trainable)
      continue;
    float *want = floats (a->numel), *got = floats (a->numel);
    if (grads) {
      ref->ops->download (ref, want, a->grad, a->numel);
      gpu->ops->download (gpu, got, b->grad, b->numel);
    } else {
      dd_net_read_tensor (p->ref, a, want);
      dd_net_read_tensor (p->gpu, b, got);
    }
    check_close (a->name, when, got, want, a->numel);
    free (want);
    free (got);
  }
}

/* Random gradients of a loss on every output, the same on both. */
static void
net_backward (net_pair *p, dd_rng *rng)
{
  char err[256];
  dd_net_zero_grad (p->ref);
  dd_net_zero_grad (p->gpu);
  for (int i = 0; i < dd_net_n_outputs (p->ref); i++) {
    const dd_layer *out = dd_net_output (p->ref, i);
    size_t n = dd_shape_numel (out->out_shape);
    float *dloss = floats (n);
    draw (rng, dloss, n);
    if (dd_net_set_grad (p->ref, out->name, dloss, err, sizeof err) < 0
        || dd_net_set_grad (p->gpu, out->name, dloss, err, sizeof err) < 0) {
      fprintf (stderr, "%s\n", err);
      check_failures++;
    }
    free (dloss);
  }
  dd_net_backward (p->ref);
  dd_net_backward (p->gpu);
}

static void
net_steps (net_pair *p, const float *input, dd_rng *rng)
{
  char err[256];
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  for (int step = 0; step < 3; step++) {
    compare_net_forward (p, input, 1, "training");
    net_backward (p, rng);
    compare_net_tensors (p, 1, "gradient");
    if (dd_sgd_step (p->ref, &sgd, 0.02f, err, sizeof err) < 0
        || dd_sgd_step (p->gpu, &sgd, 0.02f, err, sizeof err) < 0) {
      fprintf (stderr, "%s\n", err);
      check_failures++;
      return;
    }
  }
  compare_net_tensors (p, 0, "3 SGD steps");
}

static void
test_tiny_network (void)
{
  char err[512] = "";
  net_pair p = {dd_net_load_preset ("tiny", err, sizeof err),
    dd_net_load_preset ("tiny", err, sizeof err)};
  size_t n = (size_t) 2 * 3 * 64 * 64;
  float *input = floats (n);
  dd_rng rng;
  dd_rng_seed (&rng, 900, 0);
  draw (&rng, input, n);
  if (!p.ref || !p.gpu || nets_setup (&p, DD_NET_TRAIN, err, sizeof err) < 0
      || dd_net_init_params (p.ref, 0) < 0 || dd_net_init_params (p.gpu, 0) < 0) {
    fprintf (stderr, "tiny: %s\n", err);
    check_failures++;
  } else {
    /* Eval first, while the running statistics (mean 0, variance 1) keep
     * the activations near 1; after a few training steps they would not. */
    if (nets_setup (&p, DD_NET_EVAL, err, sizeof err) == 0)
      compare_net_forward (&p, input, 0, "eval");
    if (!err[0] && nets_setup (&p, DD_NET_INFER, err, sizeof err) == 0)
      compare_net_forward (&p, input, 0, "the inference graph");
    if (!err[0] && nets_setup (&p, DD_NET_TRAIN, err, sizeof err) == 0)
      net_steps (&p, input, &rng);
    if (err[0]) {
      fprintf (stderr, "tiny: %s\n", err);
      check_failures++;
    }
  }
  dd_net_free (p.ref);
  dd_net_free (p.gpu);
  free (input);
}

/* ---- main -------------------------------------------------------------- */

/* A machine without a usable device: the backend must say why, then the
 * test is skipped. Any other refusal is a failure. */
static void
skip_without_device (const char *err)
{
  int count = 0;
  cudaError_t e = cudaGetDeviceCount (&count);
  if (strncmp (err, "no CUDA device", 14) == 0 && (e != cudaSuccess || count == 0)) {
    fprintf (stderr, "%s\n", err);
    CHECK_SKIP ("no CUDA device");
  }
  if (e == cudaErrorInsufficientDriver && strstr (err, "older than")) {
    fprintf (stderr, "%s\n", err);
    CHECK_SKIP ("the NVIDIA driver is older than the CUDA runtime");
  }
  fprintf (stderr, "the cuda backend refused to start: %s\n", err);
  exit (1);
}

int
main (void)
{
  char err[256] = "";
  gpu = dd_backend_new ("cuda", err, sizeof err);
  if (!gpu)
    skip_without_device (err);
  ref = dd_backend_new ("reference", err, sizeof err);
  if (!ref) {
    fprintf (stderr, "%s\n", err);
    return 1;
  }
  CHECK (strcmp (gpu->ops->name, "cuda") == 0);

  RUN_TEST (test_memory);
  RUN_TEST (test_conv);
  RUN_TEST (test_conv_fused_relu);
  RUN_TEST (test_batchnorm);
  RUN_TEST (test_activations);
  RUN_TEST (test_maxpool);
  RUN_TEST (test_upsample);
  RUN_TEST (test_concat_add);
  RUN_TEST (test_sgd);
  RUN_TEST (test_prepare_errors);
  RUN_TEST (test_tiny_network);

  dd_backend_free (gpu);
  dd_backend_free (ref);
  return check_exit_status ();
}
