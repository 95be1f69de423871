/* The cpu (oneDNN) backend against the reference backend, the ground truth.
 *
 * Every op in every configuration, on odd sizes: the same layer with the
 * same values on both backends, forward and (when training) backward, and
 * every output, input gradient, parameter gradient and batch-norm statistic
 * compared with ||cpu - ref|| / ||ref|| < 1e-4 and max |cpu - ref| <
 * 1e-4 * max |ref|. Input and parameter gradients start from random values,
 * so backward must ADD into them as layer.h asks. Inputs of fewer than 16
 * channels are plain NCHW on the cpu backend and inputs of more are
 * blocked, so both kinds of layout reach every op.
 *
 * Then: backward twice doubles the gradients; read_nchw/write_nchw round
 * trips in both kinds of layout; a weight upload after an inference forward
 * reaches the next forward; SGD; and the `tiny` preset through dd_net on
 * both backends (a training step, the gradients, SGD, and the inference
 * graph with folded batch norm and fused ReLU). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "check.h"
#include "layer_fixture.h"
#include "nn/net.h"
#include "nn/rng.h"
#include "nn/sgd.h"

#define TOL 1e-4

static dd_backend *ref, *cpu;

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

/* ||got - want|| <= TOL ||want|| and max |got - want| <= TOL max |want|
 * (both zero when want is). */
static void
check_agree (const char *layer, const char *what, const float *got, const float *want,
             size_t n)
{
  double diff2 = 0.0, want2 = 0.0, worst = 0.0, scale = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]);
    if (isnan (got[i]) || isnan (want[i]))
      d = INFINITY;
    diff2 += d * d;
    want2 += (double) want[i] * want[i];
    if (d > worst || (i == 0 && d == worst)) {
      worst = d;
      at = i;
    }
    if (fabs (want[i]) > scale)
      scale = fabs (want[i]);
  }
  double rel = sqrt (diff2) / (want2 > 0.0 ? sqrt (want2) : 1.0);
  if (!(rel <= TOL) || !(worst <= TOL * (scale > 0.0 ? scale : 1.0))) {
    fprintf (stderr, "%s: %s: relative error %.3g, max |cpu - ref| %.3g at %zu (cpu %.9g, "
             "ref %.9g), max |ref| %.3g\n", layer, what, rel, worst, at,
             n ? got[at] : 0.0f, n ? want[at] : 0.0f, scale);
    check_failures++;
  }
}

/* ---- one layer on both backends ---------------------------------------- */

typedef struct pair {
  dd_layer_fixture ref, cpu;
} pair;

/* Random input and parameter gradients for backward to add to. */
static void
prefill_grads (dd_layer_fixture *f, uint64_t seed)
{
  static const dd_fixture_buffer grads[] = {DD_FIXTURE_DWEIGHT, DD_FIXTURE_DBIAS};
  dd_rng rng;
  dd_rng_seed (&rng, seed, 1);
  for (int i = 0; i < f->layer.n_inputs; i++) {
    size_t n = dd_layer_fixture_input_numel (f, i);
    float *host = floats (n);
    draw (&rng, host, n);
    dd_layer_fixture_write_input_grad (f, i, host);
    free (host);
  }
  for (size_t k = 0; k < sizeof grads / sizeof grads[0]; k++) {
    size_t n = dd_layer_fixture_len (f, grads[k]);
    float *host = floats (n);
    draw (&rng, host, n);
    dd_layer_fixture_write (f, grads[k], host);
    free (host);
  }
}

static int
pair_init (pair *p, const dd_layer *proto, const dd_shape *in, int training, uint64_t seed)
{
  char err[512];
  memset (p, 0, sizeof *p);
  if (dd_layer_fixture_init (&p->ref, ref, proto, in, training, err, sizeof err) == 0
      && dd_layer_fixture_init (&p->cpu, cpu, proto, in, training, err, sizeof err) == 0) {
    dd_layer_fixture_fill_random (&p->ref, seed);
    prefill_grads (&p->ref, seed);
    if (dd_layer_fixture_copy_values (&p->cpu, &p->ref, err, sizeof err) == 0)
      return 0;
  }
  fprintf (stderr, "layer '%s': %s\n", proto->name, err);
  check_failures++;
  dd_layer_fixture_free (&p->ref);
  dd_layer_fixture_free (&p->cpu);
  return -1;
}

static void
pair_free (pair *p)
{
  dd_layer_fixture_free (&p->ref);
  dd_layer_fixture_free (&p->cpu);
}

static const char *const buffer_names[DD_FIXTURE_BUFFER_COUNT] = {
  [DD_FIXTURE_WEIGHT] = "weight", [DD_FIXTURE_BIAS] = "bias",
  [DD_FIXTURE_DWEIGHT] = "dweight", [DD_FIXTURE_DBIAS] = "dbias",
  [DD_FIXTURE_RUNNING_MEAN] = "running_mean", [DD_FIXTURE_RUNNING_VAR] = "running_var",
  [DD_FIXTURE_SAVE_MEAN] = "save_mean", [DD_FIXTURE_SAVE_INVSTD] = "save_invstd",
};

/* Parameters, gradients, running and (after a training forward) saved
 * statistics. */
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
    dd_layer_fixture_read (&p->cpu, b, got);
    snprintf (what, sizeof what, "%s after %s", buffer_names[b], when);
    check_agree (p->ref.layer.name, what, got, want, n);
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
  dd_layer_fixture_forward (&p->cpu);
  dd_layer_fixture_read_output (&p->ref, want);
  dd_layer_fixture_read_output (&p->cpu, got);
  check_agree (p->ref.layer.name, "y", got, want, n);
  compare_buffers (p, "forward");
  free (want);
  free (got);
}

static void
compare_backward (pair *p)
{
  char what[32];
  dd_layer_fixture_backward (&p->ref);
  dd_layer_fixture_backward (&p->cpu);
  for (int i = 0; i < p->ref.layer.n_inputs; i++) {
    size_t n = dd_layer_fixture_input_numel (&p->ref, i);
    float *want = floats (n), *got = floats (n);
    dd_layer_fixture_read_input_grad (&p->ref, i, want);
    dd_layer_fixture_read_input_grad (&p->cpu, i, got);
    snprintf (what, sizeof what, "dx of input %d", i);
    check_agree (p->ref.layer.name, what, got, want, n);
    free (want);
    free (got);
  }
  compare_buffers (p, "backward");
}

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

/* ---- prototypes -------------------------------------------------------- */

static dd_layer
proto (const char *name, dd_op op, int n_inputs)
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
  int in_c, out_c, kh, kw, stride, pad_h, pad_w, dilation, groups, bias;
} conv_case;

static dd_layer
conv_proto (const conv_case *c)
{
  dd_layer l = proto (c->name, DD_OP_CONV2D, 1);
  l.conv = (dd_conv_attr) {
    .out_channels = c->out_c, .kh = c->kh, .kw = c->kw, .stride_h = c->stride,
    .stride_w = c->stride, .pad_h = c->pad_h, .pad_w = c->pad_w,
    .dilation_h = c->dilation, .dilation_w = c->dilation, .groups = c->groups,
    .has_bias = c->bias,
  };
  return l;
}

static dd_layer
bn_proto (const char *name, float eps, float momentum)
{
  dd_layer l = proto (name, DD_OP_BATCHNORM, 1);
  l.bn = (dd_bn_attr) {.eps = eps, .momentum = momentum};
  return l;
}

static dd_layer
pool_proto (const char *name, int k, int stride, int pad)
{
  dd_layer l = proto (name, DD_OP_MAXPOOL, 1);
  l.pool = (dd_pool_attr) {.k = k, .stride = stride, .pad = pad};
  return l;
}

/* ---- the ops ----------------------------------------------------------- */

/* N=2, H=7, W=9; C 3 and 5 (plain input), 17 and 32 (blocked input). */
static const conv_case conv_cases[] = {
  /* name                 in  out kh kw  s ph pw  d  g bias */
  {"conv1x1_c3",           3,  8, 1, 1, 1, 0, 0, 1, 1, 1},
  {"conv3x3_c3_stem",      3, 24, 3, 3, 2, 1, 1, 1, 1, 0},
  {"conv5x5_c5",           5,  7, 5, 5, 1, 2, 2, 1, 1, 1},
  {"conv3x1_c5_rect",      5,  6, 3, 1, 1, 1, 0, 1, 1, 0},
  {"conv1x5_c17_rect_s2", 17, 16, 1, 5, 2, 0, 2, 1, 1, 1},
  {"conv3x3_c17",         17, 17, 3, 3, 1, 1, 1, 1, 1, 1},
  {"conv3x3_c17_s2",      17, 32, 3, 3, 2, 1, 1, 1, 1, 0},
  {"conv3x3_c17_dil2",    17, 16, 3, 3, 1, 2, 2, 2, 1, 1},
  {"conv3x3_c5_dil2_nopad", 5, 3, 3, 3, 1, 0, 0, 2, 1, 0},
  {"conv5x5_c17_s2_nopad", 17, 5, 5, 5, 2, 0, 0, 1, 1, 1},
  {"conv3x3_c32_g4",      32, 16, 3, 3, 1, 1, 1, 1, 4, 1},
  {"conv3x3_c32_g2_s2",   32, 32, 3, 3, 2, 1, 1, 1, 2, 0},
  {"conv3x3_c3_g3",        3,  6, 3, 3, 1, 1, 1, 1, 3, 1},
  {"conv3x3_c32_dw",      32, 32, 3, 3, 1, 1, 1, 1, 32, 1},
  {"conv3x3_c17_dw_s2",   17, 17, 3, 3, 2, 1, 1, 1, 17, 0},
  {"conv5x5_c5_dw_dil2",   5,  5, 5, 5, 1, 4, 4, 2, 5, 1},
  {"conv1x1_c32_head",    32,  1, 1, 1, 1, 0, 0, 1, 1, 1},
  {"conv1x1_c17_head34",  17, 34, 1, 1, 1, 0, 0, 1, 1, 1},
};

static void
test_conv (void)
{
  for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
    const conv_case *c = &conv_cases[i];
    dd_layer p = conv_proto (c);
    dd_shape in = {2, c->in_c, 7, 9};
    agree (&p, &in, 1, 100 + i);
  }
}

/* 3x3 stride-1 convolutions with outputs of 8x8 or more run Winograd
 * kernels on the cpu backend where oneDNN has them. */
static void
test_conv_winograd (void)
{
  static const conv_case cases[] = {
    {"wino_c16_16", 16, 16, 3, 3, 1, 1, 1, 1, 1, 0},
    {"wino_c32_48_bias", 32, 48, 3, 3, 1, 1, 1, 1, 1, 1},
    {"wino_c17_24_bias", 17, 24, 3, 3, 1, 1, 1, 1, 1, 1},
    {"wino_c48_16_nopad", 48, 16, 3, 3, 1, 0, 0, 1, 1, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dd_layer p = conv_proto (&cases[i]);
    dd_shape in = {2, cases[i].in_c, 11, 10};
    agree (&p, &in, 1, 150 + i);
    p.conv.fuse_relu = 1;
    agree (&p, &in, 0, 160 + i);
  }
}

/* The inference graph's conv: bias (folded batch norm) and ReLU inside. */
static void
test_conv_fused_relu (void)
{
  static const conv_case cases[] = {
    {"fused_c3_s2", 3, 16, 3, 3, 2, 1, 1, 1, 1, 1},
    {"fused_c17", 17, 32, 3, 3, 1, 1, 1, 1, 1, 1},
    {"fused_c17_no_bias", 17, 5, 1, 1, 1, 0, 0, 1, 1, 0},
    {"fused_c32_dw", 32, 32, 3, 3, 1, 1, 1, 1, 32, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dd_layer p = conv_proto (&cases[i]);
    p.conv.fuse_relu = 1;
    dd_shape in = {2, cases[i].in_c, 7, 9};
    agree (&p, &in, 0, 200 + i);
  }
}

/* Training: y, running statistics (momentum, unbiased variance), saved
 * statistics, dx, dgamma, dbeta. Eval: the running statistics. */
static void
test_batchnorm (void)
{
  static const int channels[] = {3, 5, 17, 32};
  char name[32];
  for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
    dd_shape in = {2, channels[i], 7, 9};
    snprintf (name, sizeof name, "bn_train_c%d", channels[i]);
    dd_layer p = bn_proto (name, 1e-5f, 0.1f);
    agree (&p, &in, 1, 300 + i);
    snprintf (name, sizeof name, "bn_eval_c%d", channels[i]);
    p = bn_proto (name, 1e-5f, 0.1f);
    agree (&p, &in, 0, 310 + i);
  }
  dd_shape two = {2, 17, 1, 1};
  dd_layer p = bn_proto ("bn_train_two_values", 1e-3f, 1.0f);
  agree (&p, &two, 1, 320);
}

static void
test_activations (void)
{
  static const int channels[] = {3, 17};
  for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
    dd_shape in = {2, channels[i], 7, 9};
    dd_layer p = proto (i ? "relu_c17" : "relu_c3", DD_OP_RELU, 1);
    agree (&p, &in, 1, 400 + i);
    p = proto (i ? "sigmoid_c17" : "sigmoid_c3", DD_OP_SIGMOID, 1);
    agree (&p, &in, 1, 410 + i);
  }
}

static void
test_maxpool (void)
{
  static const struct {
    const char *name;
    int c, k, stride, pad;
  } cases[] = {
    {"pool3_s2_p1_c3", 3, 3, 2, 1},
    {"pool3_s2_p1_c17", 17, 3, 2, 1},
    {"pool2_s2_c5", 5, 2, 2, 0},
    {"pool3_s1_p1_c17", 17, 3, 1, 1},
    {"pool5_s2_p2_c32", 32, 5, 2, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dd_layer p = pool_proto (cases[i].name, cases[i].k, cases[i].stride, cases[i].pad);
    dd_shape in = {2, cases[i].c, 7, 9};
    agree (&p, &in, 1, 500 + i);
  }
}

static void
test_upsample (void)
{
  static const int channels[] = {3, 17};
  char name[32];
  for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
    dd_shape in = {2, channels[i], 7, 9};
    snprintf (name, sizeof name, "up_nearest_c%d", channels[i]);
    dd_layer p = proto (name, DD_OP_UPSAMPLE_NEAREST, 1);
    agree (&p, &in, 1, 600 + i);
    snprintf (name, sizeof name, "up_bilinear_c%d", channels[i]);
    p = proto (name, DD_OP_UPSAMPLE_BILINEAR, 1);
    agree (&p, &in, 1, 610 + i);
  }
  dd_shape pixel = {2, 5, 1, 1};
  dd_layer p = proto ("up_bilinear_1x1", DD_OP_UPSAMPLE_BILINEAR, 1);
  agree (&p, &pixel, 1, 620);
}

static void
test_concat (void)
{
  /* Plain and blocked inputs, slices inside channel blocks... */
  dd_shape odd[3] = {{2, 3, 7, 9}, {2, 17, 7, 9}, {2, 5, 7, 9}};
  dd_layer p = proto ("concat3_odd", DD_OP_CONCAT, 3);
  agree (&p, odd, 1, 700);
  /* ...and whole blocks, as in the networks. */
  dd_shape blocks[3] = {{2, 32, 7, 9}, {2, 16, 7, 9}, {2, 48, 7, 9}};
  p = proto ("concat3_blocks", DD_OP_CONCAT, 3);
  agree (&p, blocks, 1, 701);
  dd_shape two[2] = {{2, 16, 7, 9}, {2, 17, 7, 9}};
  p = proto ("concat2_blocked_tail", DD_OP_CONCAT, 2);
  agree (&p, two, 1, 702);
}

static void
test_add (void)
{
  dd_shape c17[3] = {{2, 17, 7, 9}, {2, 17, 7, 9}, {2, 17, 7, 9}};
  dd_shape c5[2] = {{2, 5, 7, 9}, {2, 5, 7, 9}};
  dd_layer p = proto ("add2_c5", DD_OP_ADD, 2);
  agree (&p, c5, 1, 800);
  p = proto ("add3_c17", DD_OP_ADD, 3);
  agree (&p, c17, 1, 801);
  p = proto ("add2_c17", DD_OP_ADD, 2);
  agree (&p, c17, 1, 802);
}

/* ---- accumulation, layouts, weight changes ------------------------------ */

static void
read_all_grads (dd_layer_fixture *f, float **grads, size_t *lens)
{
  int k = 0;
  for (int i = 0; i < f->layer.n_inputs; i++, k++) {
    lens[k] = dd_layer_fixture_input_numel (f, i);
    grads[k] = floats (lens[k]);
    dd_layer_fixture_read_input_grad (f, i, grads[k]);
  }
  dd_fixture_buffer pg[] = {DD_FIXTURE_DWEIGHT, DD_FIXTURE_DBIAS};
  for (int b = 0; b < 2; b++, k++) {
    lens[k] = dd_layer_fixture_len (f, pg[b]);
    grads[k] = floats (lens[k]);
    dd_layer_fixture_read (f, pg[b], grads[k]);
  }
}

/* From zero, one backward gives g and a second one 2g, for every gradient
 * of every op. */
static void
twice_doubles (const dd_layer *p, const dd_shape *in, uint64_t seed)
{
  dd_layer_fixture f;
  char err[512];
  if (dd_layer_fixture_init (&f, cpu, p, in, 1, err, sizeof err) < 0) {
    fprintf (stderr, "%s: %s\n", p->name, err);
    check_failures++;
    return;
  }
  enum { MAX = DD_LAYER_MAX_INPUTS + 2 };
  float *once[MAX], *twice[MAX];
  size_t len[MAX];
  int n = f.layer.n_inputs + 2;
  dd_layer_fixture_fill_random (&f, seed);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_backward (&f);
  read_all_grads (&f, once, len);
  dd_layer_fixture_backward (&f);
  read_all_grads (&f, twice, len);
  for (int k = 0; k < n; k++) {
    float *doubled = floats (len[k]);
    double sum = 0.0;
    for (size_t i = 0; i < len[k]; i++) {
      doubled[i] = 2.0f * once[k][i];
      sum += fabs (once[k][i]);
    }
    CHECK (len[k] == 0 || sum > 0.0);
    check_agree (p->name, k < f.layer.n_inputs ? "dx after two backwards"
                 : "parameter gradient after two backwards", twice[k], doubled, len[k]);
    free (doubled);
    free (once[k]);
    free (twice[k]);
  }
  dd_layer_fixture_free (&f);
}

/* Dynamic OpenMP teams would leave parts of oneDNN's outputs unwritten:
 * the backend refuses them, naming the variable. */
static void
test_refuses_dynamic_teams (void)
{
  char err[256] = "";
  int was = omp_get_dynamic ();
  omp_set_dynamic (1);
  dd_backend *be = dd_backend_new ("cpu", err, sizeof err);
  omp_set_dynamic (was);
  CHECK (be == NULL);
  CHECK (strstr (err, "OMP_DYNAMIC") != NULL);
  if (be)
    dd_backend_free (be);
}

static void
test_backward_accumulates (void)
{
  conv_case c = {"acc_conv", 17, 16, 3, 3, 1, 1, 1, 1, 1, 1};
  dd_layer conv = conv_proto (&c), stem;
  conv_case s = {"acc_conv_stem", 3, 16, 3, 3, 2, 1, 1, 1, 1, 0};
  stem = conv_proto (&s);
  dd_shape c17 = {2, 17, 7, 9}, c3 = {2, 3, 7, 9}, two[2] = {c17, c17};
  dd_shape cat[2] = {{2, 16, 7, 9}, {2, 17, 7, 9}};
  twice_doubles (&conv, &c17, 900);
  twice_doubles (&stem, &c3, 901);
  dd_layer p = bn_proto ("acc_bn", 1e-5f, 0.1f);
  twice_doubles (&p, &c17, 902);
  p = proto ("acc_relu", DD_OP_RELU, 1);
  twice_doubles (&p, &c17, 903);
  p = proto ("acc_sigmoid", DD_OP_SIGMOID, 1);
  twice_doubles (&p, &c3, 904);
  p = pool_proto ("acc_pool", 3, 2, 1);
  twice_doubles (&p, &c17, 905);
  p = proto ("acc_up", DD_OP_UPSAMPLE_BILINEAR, 1);
  twice_doubles (&p, &c17, 906);
  p = proto ("acc_concat", DD_OP_CONCAT, 2);
  twice_doubles (&p, cat, 907);
  p = proto ("acc_add", DD_OP_ADD, 2);
  twice_doubles (&p, two, 908);
}

/* write_nchw then read_nchw gives the same floats back, for y and dy, in
 * plain (3 channels) and blocked (17, padded to 32) layouts. */
static void
test_nchw_round_trip (void)
{
  static const int channels[] = {3, 17, 40};
  for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
    dd_layer p = proto ("round_trip", DD_OP_RELU, 1);
    dd_shape in = {2, channels[i], 7, 9};
    dd_layer_fixture f;
    char err[512];
    if (dd_layer_fixture_init (&f, cpu, &p, &in, 1, err, sizeof err) < 0) {
      fprintf (stderr, "%s\n", err);
      check_failures++;
      continue;
    }
    size_t n = dd_shape_numel (in);
    CHECK (f.layer.act_floats >= n);
    float *host = floats (n), *back = floats (n);
    dd_rng rng;
    dd_rng_seed (&rng, 950 + i, 0);
    draw (&rng, host, n);
    dd_layer_fixture_write_input (&f, 0, host);
    dd_layer_fixture_read_input (&f, 0, back);
    CHECK (memcmp (host, back, n * sizeof (float)) == 0);
    dd_layer_fixture_write_output_grad (&f, host);
    dd_layer_fixture_read_output_grad (&f, back);
    CHECK (memcmp (host, back, n * sizeof (float)) == 0);
    free (host);
    free (back);
    dd_layer_fixture_free (&f);
  }
}

/* The cpu conv keeps its weights reordered between inference forwards; a
 * new upload must reach the next forward. */
static void
test_weight_change_seen (void)
{
  conv_case c = {"weights_change", 17, 16, 3, 3, 1, 1, 1, 1, 1, 1};
  dd_layer p = conv_proto (&c);
  dd_shape in = {2, 17, 7, 9};
  pair pr;
  if (pair_init (&pr, &p, &in, 0, 960) < 0)
    return;
  compare_forward (&pr);
  size_t n = dd_layer_fixture_len (&pr.ref, DD_FIXTURE_WEIGHT);
  float *w = floats (n);
  dd_rng rng;
  dd_rng_seed (&rng, 961, 0);
  draw (&rng, w, n);
  dd_layer_fixture_write (&pr.ref, DD_FIXTURE_WEIGHT, w);
  dd_layer_fixture_write (&pr.cpu, DD_FIXTURE_WEIGHT, w);
  compare_forward (&pr);
  free (w);
  pair_free (&pr);
}

/* prepare() refuses what it cannot run, with the layer's name. */
static void
test_refusals (void)
{
  conv_case c = {"fused_in_training", 3, 8, 3, 3, 1, 1, 1, 1, 1, 1};
  dd_layer p = conv_proto (&c);
  p.conv.fuse_relu = 1;
  dd_shape in = {2, 3, 7, 9};
  dd_layer_fixture f;
  char err[512] = "";
  CHECK (dd_layer_fixture_init (&f, cpu, &p, &in, 1, err, sizeof err) < 0);
  CHECK (strstr (err, "fused_in_training") != NULL);
  dd_layer bn = bn_proto ("bn_one_value", 1e-5f, 0.1f);
  dd_shape one = {1, 4, 1, 1};
  CHECK (dd_layer_fixture_init (&f, cpu, &bn, &one, 1, err, sizeof err) < 0);
  CHECK (strstr (err, "bn_one_value") != NULL);
}

static void
sgd_case (int with_velocity)
{
  enum { N = 1001 };
  float *param_h = floats (N), *grad_h = floats (N), *vel_h = floats (N), *got = floats (N);
  dd_rng rng;
  dd_rng_seed (&rng, 970 + with_velocity, 0);
  draw (&rng, param_h, N);
  draw (&rng, grad_h, N);
  float *param = cpu->ops->alloc (cpu, N), *grad = cpu->ops->alloc (cpu, N);
  float *vel = cpu->ops->alloc (cpu, N);
  cpu->ops->upload (cpu, param, param_h, N);
  cpu->ops->upload (cpu, grad, grad_h, N);
  cpu->ops->fill (cpu, vel, 0.0f, N);
  for (int step = 0; step < 3; step++) {
    ref->ops->sgd_step (ref, param_h, grad_h, with_velocity ? vel_h : NULL, N, 0.02f, 0.9f,
                        1e-4f);
    cpu->ops->sgd_step (cpu, param, grad, with_velocity ? vel : NULL, N, 0.02f, 0.9f, 1e-4f);
  }
  cpu->ops->download (cpu, got, param, N);
  check_agree ("sgd", "param", got, param_h, N);
  cpu->ops->download (cpu, got, vel, N);
  check_agree ("sgd", "velocity", got, vel_h, N);
  cpu->ops->free (cpu, param);
  cpu->ops->free (cpu, grad);
  cpu->ops->free (cpu, vel);
  free (param_h);
  free (grad_h);
  free (vel_h);
  free (got);
}

static void
test_sgd (void)
{
  sgd_case (0);
  sgd_case (1);
}

/* ---- a whole network ---------------------------------------------------- */

static dd_net *
tiny_on (dd_backend *be, dd_net_mode mode)
{
  char err[512];
  dd_net *net = dd_net_load_preset ("tiny", err, sizeof err);
  if (net && dd_net_setup (net, be, mode, 2, 40, 56, err, sizeof err) == 0)
    return net;
  fprintf (stderr, "tiny on %s: %s\n", be->ops->name, err);
  check_failures++;
  dd_net_free (net);
  return NULL;
}

static void
compare_outputs (dd_net *a, dd_net *b, const char *when)
{
  char err[256], what[128];
  for (int i = 0; i < dd_net_n_outputs (b); i++) {
    const dd_layer *o = dd_net_output (b, i);
    size_t n = dd_shape_numel (o->out_shape);
    float *got = floats (n), *want = floats (n);
    CHECK (dd_net_read (a, o->name, got, err, sizeof err) == 0);
    CHECK (dd_net_read (b, o->name, want, err, sizeof err) == 0);
    snprintf (what, sizeof what, "output %s", when);
    check_agree (o->name, what, got, want, n);
    free (got);
    free (want);
  }
}

static void
compare_tensors (dd_net *a, dd_net *b, int grads, const char *when)
{
  char what[128];
  for (int i = 0; i < dd_net_n_tensors (b); i++) {
    const dd_net_tensor *ta = dd_net_tensor_at (a, i), *tb = dd_net_tensor_at (b, i);
    if (grads && !tb->trainable)
      continue;
    float *got = floats (tb->numel), *want = floats (tb->numel);
    if (grads) {
      cpu->ops->download (cpu, got, ta->grad, ta->numel);
      ref->ops->download (ref, want, tb->grad, tb->numel);
    } else {
      dd_net_read_tensor (a, ta, got);
      dd_net_read_tensor (b, tb, want);
    }
    snprintf (what, sizeof what, "%s %s", grads ? "gradient" : "value", when);
    check_agree (tb->name, what, got, want, tb->numel);
    free (got);
    free (want);
  }
}

/* The loss: sum of every output times a fixed random weight. */
static void
set_output_grads (dd_net *net, uint64_t seed)
{
  char err[256];
  dd_rng rng;
  dd_rng_seed (&rng, seed, 3);
  for (int i = 0; i < dd_net_n_outputs (net); i++) {
    const dd_layer *o = dd_net_output (net, i);
    size_t n = dd_shape_numel (o->out_shape);
    float *g = floats (n);
    draw (&rng, g, n);
    CHECK (dd_net_set_grad (net, o->name, g, err, sizeof err) == 0);
    free (g);
  }
}

static void
test_tiny_network (void)
{
  dd_net *a = tiny_on (cpu, DD_NET_TRAIN), *b = tiny_on (ref, DD_NET_TRAIN);
  char err[256];
  if (!a || !b)
    goto out;
  dd_shape s = dd_net_input_shape (b);
  size_t n = dd_shape_numel (s);
  float *x = floats (n);
  dd_rng rng;
  dd_rng_seed (&rng, 990, 0);
  draw (&rng, x, n);
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  for (int step = 0; step < 2; step++) {
    dd_net *nets[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      dd_net_set_input (nets[k], x);
      dd_net_forward (nets[k], 1);
      dd_net_zero_grad (nets[k]);
      set_output_grads (nets[k], 991 + step);
      dd_net_backward (nets[k]);
    }
    compare_outputs (a, b, "of a training forward");
    compare_tensors (a, b, 1, "after backward");
    CHECK (dd_sgd_step (a, &sgd, 0.05f, err, sizeof err) == 0);
    CHECK (dd_sgd_step (b, &sgd, 0.05f, err, sizeof err) == 0);
    compare_tensors (a, b, 0, "after SGD");
  }
  /* The inference graph on the cpu against the graph as written. */
  if (dd_net_setup (a, cpu, DD_NET_INFER, 2, 40, 56, err, sizeof err) != 0
      || dd_net_setup (b, ref, DD_NET_EVAL, 2, 40, 56, err, sizeof err) != 0) {
    fprintf (stderr, "tiny: %s\n", err);
    check_failures++;
  } else {
    dd_net_set_input (a, x);
    dd_net_set_input (b, x);
    dd_net_forward (a, 0);
    dd_net_forward (b, 0);
    compare_outputs (a, b, "of the inference graph");
  }
  free (x);
out:
  dd_net_free (a);
  dd_net_free (b);
}

int
main (void)
{
  char err[256];
  ref = dd_backend_new ("reference", err, sizeof err);
  cpu = dd_backend_new ("cpu", err, sizeof err);
  if (!ref || !cpu) {
    fprintf (stderr, "cannot create the backends: %s\n", err);
    return 1;
  }
  RUN_TEST (test_conv);
  RUN_TEST (test_conv_winograd);
  RUN_TEST (test_conv_fused_relu);
  RUN_TEST (test_batchnorm);
  RUN_TEST (test_activations);
  RUN_TEST (test_maxpool);
  RUN_TEST (test_upsample);
  RUN_TEST (test_concat);
  RUN_TEST (test_add);
  RUN_TEST (test_backward_accumulates);
  RUN_TEST (test_nchw_round_trip);
  RUN_TEST (test_weight_change_seen);
  RUN_TEST (test_refusals);
  RUN_TEST (test_refuses_dynamic_teams);
  RUN_TEST (test_sgd);
  RUN_TEST (test_tiny_network);
  dd_backend_free (cpu);
  dd_backend_free (ref);
  return check_exit_status ();
}
