/* The reference backend, the ground truth of every other backend's tests:
 *  - each layer's forward against values worked out by hand (and against
 *    PyTorch's documented output for the bilinear upsampling);
 *  - each layer's backward against central finite differences of the loss
 *    L = sum(y * r) for a fixed random r, for every input and parameter, on
 *    odd sizes, with the gradients pre-filled so that backward must ADD;
 *  - batch norm's running statistics and eval mode, SGD's update rule, and
 *    prepare()'s refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layer_fixture.h"
#include "nn/rng.h"

static dd_backend *be;

/* Central differences step. Every op is linear, piecewise linear away from
 * its kinks (inputs are kept 2 steps away from those), or smooth enough
 * that the O(step^2) error stays far below the tolerance. */
#define FD_STEP 1e-2
/* |finite difference - backward| must stay below ATOL + RTOL * |fd|. The
 * float rounding of y puts the correct gradients at up to 0.16 of this;
 * a dropped term or a wrong factor lands far above 1 (each was tried). */
#define FD_RTOL 3e-4
#define FD_ATOL 3e-4

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

static int
fixture (dd_layer_fixture *f, const dd_layer *proto, const dd_shape *in, int training)
{
  char err[256];
  if (dd_layer_fixture_init (f, be, proto, in, training, err, sizeof err) < 0) {
    fprintf (stderr, "fixture for '%s': %s\n", proto->name, err);
    check_failures++;
    return -1;
  }
  return 0;
}

/* ---- finite differences ------------------------------------------------ */

/* What the finite differences vary: input i, or a parameter buffer. */
typedef struct target {
  int input;                    /* -1: the buffer `param` */
  dd_fixture_buffer param, grad;
} target;

static size_t
target_len (const dd_layer_fixture *f, target t)
{
  return t.input >= 0 ? dd_layer_fixture_input_numel (f, t.input)
      : dd_layer_fixture_len (f, t.param);
}

static void
target_values (dd_layer_fixture *f, target t, float *host, int write)
{
  if (t.input >= 0 && write)
    dd_layer_fixture_write_input (f, t.input, host);
  else if (t.input >= 0)
    dd_layer_fixture_read_input (f, t.input, host);
  else if (write)
    dd_layer_fixture_write (f, t.param, host);
  else
    dd_layer_fixture_read (f, t.param, host);
}

static void
target_grads (dd_layer_fixture *f, target t, float *host, int write)
{
  if (t.input >= 0 && write)
    dd_layer_fixture_write_input_grad (f, t.input, host);
  else if (t.input >= 0)
    dd_layer_fixture_read_input_grad (f, t.input, host);
  else if (write)
    dd_layer_fixture_write (f, t.grad, host);
  else
    dd_layer_fixture_read (f, t.grad, host);
}

static double
loss (dd_layer_fixture *f, const float *r, float *y)
{
  double sum = 0.0;
  dd_layer_fixture_forward (f);
  dd_layer_fixture_read_output (f, y);
  for (size_t k = 0; k < dd_layer_fixture_output_numel (f); k++)
    sum += (double) y[k] * r[k];
  return sum;
}

/* Compares backward's gradient of one target with central differences,
 * element by element. Returns the worst error in units of the tolerance. */
static double
compare_target (dd_layer_fixture *f, target t, const float *r, const float *analytic,
                const char *what, const char *target_name)
{
  size_t n = target_len (f, t);
  float *v = floats (n), *y = floats (dd_layer_fixture_output_numel (f));
  double worst = 0.0;
  int reported = 0;
  target_values (f, t, v, 0);
  for (size_t k = 0; k < n; k++) {
    float keep = v[k], up = (float) (keep + FD_STEP), down = (float) (keep - FD_STEP);
    v[k] = up;
    target_values (f, t, v, 1);
    double l_up = loss (f, r, y);
    v[k] = down;
    target_values (f, t, v, 1);
    double l_down = loss (f, r, y);
    v[k] = keep;
    target_values (f, t, v, 1);
    double fd = (l_up - l_down) / ((double) up - down);
    double err = fabs (fd - analytic[k]) / (FD_ATOL + FD_RTOL * fabs (fd));
    if (err > worst)
      worst = err;
    if (err > 1.0 && reported++ < 3) {
      fprintf (stderr, "%s: d L / d %s[%zu]: backward %.7g, finite difference %.7g\n",
               what, target_name, k, analytic[k], fd);
      check_failures++;
    }
  }
  free (v);
  free (y);
  return worst;
}

typedef void (*input_shaper) (float *x, size_t n, dd_rng *rng);

/* Builds the layer, runs forward and backward once on random values (with
 * the gradients pre-filled, so only an accumulating backward passes), then
 * checks every input gradient and parameter gradient by finite differences.
 * `shaper` may move the random inputs away from an op's kinks. */
static void
check_gradients (const char *what, const dd_layer *proto, const dd_shape *in,
                 input_shaper shaper)
{
  dd_layer_fixture f;
  dd_rng rng;
  target targets[DD_LAYER_MAX_INPUTS + 2];
  const char *names[DD_LAYER_MAX_INPUTS + 2] = {
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "weight", "bias"};
  int n_targets = 0;
  double worst = 0.0;

  if (fixture (&f, proto, in, 1) < 0)
    return;
  dd_layer_fixture_fill_random (&f, 42);
  dd_rng_seed (&rng, 7, 1);
  for (int i = 0; i < proto->n_inputs; i++) {
    targets[n_targets++] = (target) {i, 0, 0};
    if (shaper) {
      size_t n = dd_layer_fixture_input_numel (&f, i);
      float *x = floats (n);
      dd_layer_fixture_read_input (&f, i, x);
      shaper (x, n, &rng);
      dd_layer_fixture_write_input (&f, i, x);
      free (x);
    }
  }
  if (dd_layer_fixture_len (&f, DD_FIXTURE_WEIGHT))
    targets[n_targets++] = (target) {-1, DD_FIXTURE_WEIGHT, DD_FIXTURE_DWEIGHT};
  if (dd_layer_fixture_len (&f, DD_FIXTURE_BIAS))
    targets[n_targets++] = (target) {-1, DD_FIXTURE_BIAS, DD_FIXTURE_DBIAS};

  float *r = floats (dd_layer_fixture_output_numel (&f));
  float *pre[DD_LAYER_MAX_INPUTS + 2], *grad[DD_LAYER_MAX_INPUTS + 2];
  dd_layer_fixture_read_output_grad (&f, r);
  dd_layer_fixture_forward (&f);
  for (int t = 0; t < n_targets; t++) {
    size_t n = target_len (&f, targets[t]);
    pre[t] = floats (n);
    grad[t] = floats (n);
    for (size_t k = 0; k < n; k++)
      pre[t][k] = dd_rng_range (&rng, -1.0f, 1.0f);
    target_grads (&f, targets[t], pre[t], 1);
  }
  dd_layer_fixture_backward (&f);
  for (int t = 0; t < n_targets; t++) {
    target_grads (&f, targets[t], grad[t], 0);
    for (size_t k = 0; k < target_len (&f, targets[t]); k++)
      grad[t][k] -= pre[t][k];
  }
  for (int t = 0; t < n_targets; t++) {
    const char *name = names[targets[t].input >= 0 ? targets[t].input
                             : DD_LAYER_MAX_INPUTS + (targets[t].param == DD_FIXTURE_BIAS)];
    double w = compare_target (&f, targets[t], r, grad[t], what, name);
    worst = w > worst ? w : worst;
    free (pre[t]);
    free (grad[t]);
  }
  fprintf (stderr, "  %-40s worst error %.3f of tolerance\n", what, worst);
  free (r);
  dd_layer_fixture_free (&f);
}

/* ---- layer prototypes -------------------------------------------------- */

static dd_layer
conv_proto (int out_c, int kh, int kw, int stride_h, int stride_w, int pad_h, int pad_w,
            int dilation, int groups, int has_bias)
{
  dd_layer l = {.name = "conv", .op = DD_OP_CONV2D, .n_inputs = 1};
  l.conv = (dd_conv_attr) {
    .out_channels = out_c, .kh = kh, .kw = kw, .stride_h = stride_h,
    .stride_w = stride_w, .pad_h = pad_h, .pad_w = pad_w,
    .dilation_h = dilation, .dilation_w = dilation, .groups = groups,
    .has_bias = has_bias};
  return l;
}

static dd_layer
simple_proto (const char *name, dd_op op, int n_inputs)
{
  dd_layer l = {.op = op, .n_inputs = n_inputs};
  snprintf (l.name, sizeof l.name, "%s", name);
  l.bn = (dd_bn_attr) {.eps = 1e-5f, .momentum = 0.1f};
  return l;
}

static dd_layer
pool_proto (int k, int stride, int pad)
{
  dd_layer l = simple_proto ("pool", DD_OP_MAXPOOL, 1);
  l.pool = (dd_pool_attr) {k, stride, pad};
  return l;
}

/* ---- gradient checks --------------------------------------------------- */

static const dd_shape in3 = {2, 3, 7, 9};
static const dd_shape in5 = {2, 5, 7, 9};
static const dd_shape in6 = {2, 6, 7, 9};

static void
test_conv_gradients (void)
{
  dd_layer p;
  p = conv_proto (4, 1, 1, 1, 1, 0, 0, 1, 1, 1);
  check_gradients ("conv 1x1 3->4 bias", &p, &in3, NULL);
  p = conv_proto (5, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  check_gradients ("conv 3x3 s1 p1 3->5 bias", &p, &in3, NULL);
  p = conv_proto (3, 5, 5, 2, 2, 2, 2, 1, 1, 0);
  check_gradients ("conv 5x5 s2 p2 5->3", &p, &in5, NULL);
  p = conv_proto (4, 3, 5, 2, 1, 1, 2, 1, 1, 1);
  check_gradients ("conv 3x5 s2x1 p1x2 3->4 bias", &p, &in3, NULL);
  p = conv_proto (5, 3, 3, 1, 1, 2, 2, 2, 1, 1);
  check_gradients ("conv 3x3 dilation 2 p2 3->5 bias", &p, &in3, NULL);
  p = conv_proto (3, 3, 3, 2, 2, 0, 0, 2, 1, 0);
  check_gradients ("conv 3x3 dilation 2 s2 p0 5->3", &p, &in5, NULL);
  p = conv_proto (4, 3, 3, 1, 1, 1, 1, 1, 2, 1);
  check_gradients ("conv 3x3 groups 2 6->4 bias", &p, &in6, NULL);
  p = conv_proto (5, 3, 3, 2, 2, 1, 1, 1, 5, 1);
  check_gradients ("conv 3x3 depthwise s2 5->5 bias", &p, &in5, NULL);
  p = conv_proto (6, 3, 3, 1, 1, 1, 1, 1, 3, 0);
  check_gradients ("conv 3x3 groups 3 (x2 per group) 3->6", &p, &in3, NULL);
}

static void
test_batchnorm_gradients (void)
{
  dd_layer p = simple_proto ("bn", DD_OP_BATCHNORM, 1);
  check_gradients ("batchnorm 3 channels", &p, &in3, NULL);
  check_gradients ("batchnorm 5 channels", &p, &in5, NULL);
}

/* Keeps inputs at least 0.05 (5 steps) away from ReLU's kink at 0. */
static void
away_from_zero (float *x, size_t n, dd_rng *rng)
{
  (void) rng;
  for (size_t k = 0; k < n; k++)
    x[k] = x[k] < 0.0f ? x[k] - 0.05f : x[k] + 0.05f;
}

/* Sigmoid's interesting range, both tails included. */
static void
widen (float *x, size_t n, dd_rng *rng)
{
  (void) rng;
  for (size_t k = 0; k < n; k++)
    x[k] *= 4.0f;
}

/* Distinct values 0.05 apart in random order, so no two elements of a pool
 * window are within 2 steps of a tie. */
static void
distinct_values (float *x, size_t n, dd_rng *rng)
{
  for (size_t k = 0; k < n; k++)
    x[k] = 0.05f * (float) k - 0.025f * (float) n;
  for (size_t k = n - 1; k > 0; k--) {
    size_t j = dd_rng_below (rng, (uint32_t) (k + 1));
    float t = x[k];
    x[k] = x[j];
    x[j] = t;
  }
}

static void
test_pointwise_gradients (void)
{
  dd_layer p = simple_proto ("relu", DD_OP_RELU, 1);
  check_gradients ("relu", &p, &in5, away_from_zero);
  p = simple_proto ("sigmoid", DD_OP_SIGMOID, 1);
  check_gradients ("sigmoid", &p, &in5, widen);
}

static void
test_maxpool_gradients (void)
{
  dd_layer p = pool_proto (3, 2, 1);
  check_gradients ("maxpool k3 s2 p1", &p, &in3, distinct_values);
  p = pool_proto (2, 2, 0);
  check_gradients ("maxpool k2 s2 p0 (odd size)", &p, &in3, distinct_values);
  p = pool_proto (3, 1, 1);
  check_gradients ("maxpool k3 s1 p1", &p, &in3, distinct_values);
}

static void
test_upsample_gradients (void)
{
  dd_layer p = simple_proto ("up", DD_OP_UPSAMPLE_NEAREST, 1);
  check_gradients ("upsample nearest 2x", &p, &in3, NULL);
  p = simple_proto ("up", DD_OP_UPSAMPLE_BILINEAR, 1);
  check_gradients ("upsample bilinear 2x", &p, &in3, NULL);
}

static void
test_join_gradients (void)
{
  dd_shape three[3] = {{2, 2, 7, 9}, {2, 3, 7, 9}, {2, 1, 7, 9}};
  dd_shape same[3] = {in3, in3, in3};
  dd_layer p = simple_proto ("concat", DD_OP_CONCAT, 3);
  check_gradients ("concat of 3", &p, three, NULL);
  p = simple_proto ("add", DD_OP_ADD, 2);
  check_gradients ("add of 2", &p, same, NULL);
  p = simple_proto ("add", DD_OP_ADD, 3);
  check_gradients ("add of 3", &p, same, NULL);
}

/* ---- forward values by hand -------------------------------------------- */

/* Runs a one-input layer forward on `x` and compares y with `want`. */
static void
check_forward (dd_layer *proto, dd_shape in, const float *x, const float *weight,
               const float *bias, const float *want)
{
  dd_layer_fixture f;
  if (fixture (&f, proto, &in, 0) < 0)
    return;
  size_t n = dd_layer_fixture_output_numel (&f);
  float *y = floats (n);
  dd_layer_fixture_write_input (&f, 0, x);
  if (weight)
    dd_layer_fixture_write (&f, DD_FIXTURE_WEIGHT, weight);
  if (bias)
    dd_layer_fixture_write (&f, DD_FIXTURE_BIAS, bias);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_read_output (&f, y);
  for (size_t k = 0; k < n; k++)
    CHECK_CLOSE (y[k], want[k], 1e-6, 1e-6);
  free (y);
  dd_layer_fixture_free (&f);
}

static const float x3x3[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* Taps top-left (1) and right (10): y[i][j] = x[i-1][j-1] + 10 x[i][j+1], so
 * a flipped kernel (true convolution) would give other numbers. */
static void
test_conv_forward_by_hand (void)
{
  const float w[9] = {1, 0, 0, 0, 0, 10, 0, 0, 0};
  const float no_bias[1] = {0}, bias[1] = {-55};
  const float want[9] = {20, 30, 0, 50, 61, 2, 80, 94, 5};
  const float want_relu[9] = {0, 0, 0, 0, 6, 0, 25, 39, 0};
  dd_layer p = conv_proto (1, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  check_forward (&p, (dd_shape) {1, 1, 3, 3}, x3x3, w, no_bias, want);
  p.conv.fuse_relu = 1;
  check_forward (&p, (dd_shape) {1, 1, 3, 3}, x3x3, w, bias, want_relu);
}

/* 2x2 ones, dilation 2, stride 2 on x[r][c] = 5r + c: y[i][j] = x[2i][2j] +
 * x[2i][2j+2] + x[2i+2][2j] + x[2i+2][2j+2]. */
static void
test_conv_dilated_strided_by_hand (void)
{
  float x[25];
  const float w[4] = {1, 1, 1, 1};
  const float want[4] = {24, 32, 64, 72};
  for (int k = 0; k < 25; k++)
    x[k] = (float) k;
  dd_layer p = conv_proto (1, 2, 2, 2, 2, 0, 0, 2, 1, 0);
  check_forward (&p, (dd_shape) {1, 1, 5, 5}, x, w, NULL, want);
}

/* Groups 2 with 1x1 weights 2 and 3: each output channel sees only its own
 * input channel. */
static void
test_conv_groups_by_hand (void)
{
  const float x[4] = {1, 2, 10, 20};
  const float w[2] = {2, 3};
  const float b[2] = {0.5f, -0.5f};
  const float want[4] = {2.5f, 4.5f, 29.5f, 59.5f};
  dd_layer p = conv_proto (2, 1, 1, 1, 1, 0, 0, 1, 2, 1);
  check_forward (&p, (dd_shape) {1, 2, 1, 2}, x, w, b, want);
}

/* torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]),
 * scale_factor=2, mode='bilinear', align_corners=False). */
static void
test_upsample_by_hand (void)
{
  const float x[4] = {1, 2, 3, 4};
  const float bilinear[16] = {
    1.00f, 1.25f, 1.75f, 2.00f,
    1.50f, 1.75f, 2.25f, 2.50f,
    2.50f, 2.75f, 3.25f, 3.50f,
    3.00f, 3.25f, 3.75f, 4.00f};
  const float nearest[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  dd_layer p = simple_proto ("up", DD_OP_UPSAMPLE_BILINEAR, 1);
  check_forward (&p, (dd_shape) {1, 1, 2, 2}, x, NULL, NULL, bilinear);
  p = simple_proto ("up", DD_OP_UPSAMPLE_NEAREST, 1);
  check_forward (&p, (dd_shape) {1, 1, 2, 2}, x, NULL, NULL, nearest);
}

/* Padding is -inf, not 0: an all-negative input keeps negative maxima. */
static void
test_maxpool_by_hand (void)
{
  const float x[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  const float want[9] = {-1, -1, -2, -1, -1, -2, -4, -4, -5};
  dd_layer p = pool_proto (3, 1, 1);
  check_forward (&p, (dd_shape) {1, 1, 3, 3}, x, NULL, NULL, want);
}

/* On ties the gradient goes to the first maximum in window order. */
static void
test_maxpool_ties (void)
{
  const float x[8] = {1, 1, 0, 2, 1, 0, 2, 2};
  const float dy[2] = {10, 20};
  const float want_y[2] = {1, 2}, want_dx[8] = {10, 0, 0, 20, 0, 0, 0, 0};
  float y[2], dx[8];
  dd_layer p = pool_proto (2, 2, 0);
  dd_layer_fixture f;
  if (fixture (&f, &p, &(dd_shape) {1, 1, 2, 4}, 1) < 0)
    return;
  dd_layer_fixture_write_input (&f, 0, x);
  dd_layer_fixture_write_output_grad (&f, dy);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_backward (&f);
  dd_layer_fixture_read_output (&f, y);
  dd_layer_fixture_read_input_grad (&f, 0, dx);
  for (int k = 0; k < 2; k++)
    CHECK_CLOSE (y[k], want_y[k], 0, 0);
  for (int k = 0; k < 8; k++)
    CHECK_CLOSE (dx[k], want_dx[k], 0, 0);
  dd_layer_fixture_free (&f);
}

static void
test_pointwise_by_hand (void)
{
  const float x[4] = {-1, 0, 2, -30};
  const float relu[4] = {0, 0, 2, 0};
  const float sigmoid[4] = {0.268941421f, 0.5f, 0.880797078f, 9.35762297e-14f};
  dd_layer p = simple_proto ("relu", DD_OP_RELU, 1);
  check_forward (&p, (dd_shape) {1, 1, 2, 2}, x, NULL, NULL, relu);
  p = simple_proto ("sigmoid", DD_OP_SIGMOID, 1);
  check_forward (&p, (dd_shape) {1, 1, 2, 2}, x, NULL, NULL, sigmoid);
}

/* Concat lays each sample's channels out input after input; add sums. */
static void
test_join_forward (void)
{
  dd_shape in[3] = {{2, 2, 3, 5}, {2, 1, 3, 5}, {2, 3, 3, 5}};
  dd_layer p = simple_proto ("concat", DD_OP_CONCAT, 3);
  dd_layer_fixture f;
  float *x[3], y[2 * 6 * 15];
  if (fixture (&f, &p, in, 0) < 0)
    return;
  dd_layer_fixture_fill_random (&f, 3);
  for (int i = 0; i < 3; i++) {
    x[i] = floats (2 * 3 * 15);
    dd_layer_fixture_read_input (&f, i, x[i]);
  }
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_read_output (&f, y);
  for (int n = 0; n < 2; n++)
    for (int c = 0; c < 6; c++)
      for (int k = 0; k < 15; k++) {
        int i = c < 2 ? 0 : c < 3 ? 1 : 2, ci = c < 2 ? c : c < 3 ? c - 2 : c - 3;
        CHECK_CLOSE (y[(n * 6 + c) * 15 + k], x[i][(n * in[i].c + ci) * 15 + k], 0, 0);
      }
  dd_layer_fixture_free (&f);

  dd_shape same[3] = {in[0], in[0], in[0]};
  p = simple_proto ("add", DD_OP_ADD, 3);
  if (fixture (&f, &p, same, 0) < 0)
    return;
  dd_layer_fixture_fill_random (&f, 4);
  for (int i = 0; i < 3; i++)
    dd_layer_fixture_read_input (&f, i, x[i]);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_read_output (&f, y);
  for (int k = 0; k < 2 * 2 * 15; k++)
    CHECK_CLOSE (y[k], x[0][k] + x[1][k] + x[2][k], 1e-7, 0);
  dd_layer_fixture_free (&f);
  for (int i = 0; i < 3; i++)
    free (x[i]);
}

/* ---- batch norm statistics --------------------------------------------- */

/* N=2, C=2, H=1, W=2. Channel 0 holds 1, 2 | 3, 4: mean 2.5, biased
 * variance 1.25, unbiased 5/3. Channel 1 holds 10, 10 | 20, 20: mean 15,
 * variance 25, unbiased 100/3. Statistics run over the batch, not per
 * sample. */
static void
test_batchnorm_training_stats (void)
{
  const float x[8] = {1, 2, 10, 10, 3, 4, 20, 20};
  const float gamma[2] = {2, 0.5f}, beta[2] = {0.5f, -1};
  const float rmean[2] = {0, 1}, rvar[2] = {1, 2};
  const double eps = 1e-5, mean[2] = {2.5, 15}, var[2] = {1.25, 25};
  const double unbiased[2] = {5.0 / 3.0, 100.0 / 3.0};
  float y[8], got[2];
  dd_layer p = simple_proto ("bn", DD_OP_BATCHNORM, 1);
  dd_layer_fixture f;
  if (fixture (&f, &p, &(dd_shape) {2, 2, 1, 2}, 1) < 0)
    return;
  dd_layer_fixture_write_input (&f, 0, x);
  dd_layer_fixture_write (&f, DD_FIXTURE_WEIGHT, gamma);
  dd_layer_fixture_write (&f, DD_FIXTURE_BIAS, beta);
  dd_layer_fixture_write (&f, DD_FIXTURE_RUNNING_MEAN, rmean);
  dd_layer_fixture_write (&f, DD_FIXTURE_RUNNING_VAR, rvar);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_read_output (&f, y);
  for (int n = 0; n < 2; n++)
    for (int c = 0; c < 2; c++)
      for (int k = 0; k < 2; k++) {
        int at = (n * 2 + c) * 2 + k;
        CHECK_CLOSE (y[at], (x[at] - mean[c]) / sqrt (var[c] + eps) * gamma[c] + beta[c],
                     1e-6, 1e-6);
      }
  dd_layer_fixture_read (&f, DD_FIXTURE_SAVE_MEAN, got);
  for (int c = 0; c < 2; c++)
    CHECK_CLOSE (got[c], mean[c], 1e-7, 0);
  dd_layer_fixture_read (&f, DD_FIXTURE_SAVE_INVSTD, got);
  for (int c = 0; c < 2; c++)
    CHECK_CLOSE (got[c], 1.0 / sqrt (var[c] + eps), 1e-7, 0);
  dd_layer_fixture_read (&f, DD_FIXTURE_RUNNING_MEAN, got);
  for (int c = 0; c < 2; c++)
    CHECK_CLOSE (got[c], 0.9 * rmean[c] + 0.1 * mean[c], 1e-7, 0);
  dd_layer_fixture_read (&f, DD_FIXTURE_RUNNING_VAR, got);
  for (int c = 0; c < 2; c++)
    CHECK_CLOSE (got[c], 0.9 * rvar[c] + 0.1 * unbiased[c], 1e-7, 0);
  dd_layer_fixture_free (&f);
}

/* Eval mode normalises with the running statistics and leaves them alone. */
static void
test_batchnorm_eval (void)
{
  const float x[8] = {1, 2, 10, 10, 3, 4, 20, 20};
  const float gamma[2] = {2, 0.5f}, beta[2] = {0.5f, -1};
  const float rmean[2] = {1, -3}, rvar[2] = {4, 0.25f};
  float y[8], got[2];
  dd_layer p = simple_proto ("bn", DD_OP_BATCHNORM, 1);
  dd_layer_fixture f;
  if (fixture (&f, &p, &(dd_shape) {2, 2, 1, 2}, 0) < 0)
    return;
  dd_layer_fixture_write_input (&f, 0, x);
  dd_layer_fixture_write (&f, DD_FIXTURE_WEIGHT, gamma);
  dd_layer_fixture_write (&f, DD_FIXTURE_BIAS, beta);
  dd_layer_fixture_write (&f, DD_FIXTURE_RUNNING_MEAN, rmean);
  dd_layer_fixture_write (&f, DD_FIXTURE_RUNNING_VAR, rvar);
  dd_layer_fixture_forward (&f);
  dd_layer_fixture_read_output (&f, y);
  for (int n = 0; n < 2; n++)
    for (int c = 0; c < 2; c++)
      for (int k = 0; k < 2; k++) {
        int at = (n * 2 + c) * 2 + k;
        CHECK_CLOSE (y[at], (x[at] - rmean[c]) / sqrt (rvar[c] + 1e-5) * gamma[c] + beta[c],
                     1e-6, 1e-6);
      }
  dd_layer_fixture_read (&f, DD_FIXTURE_RUNNING_MEAN, got);
  CHECK (got[0] == rmean[0] && got[1] == rmean[1]);
  dd_layer_fixture_read (&f, DD_FIXTURE_RUNNING_VAR, got);
  CHECK (got[0] == rvar[0] && got[1] == rvar[1]);
  dd_layer_fixture_free (&f);
}

/* ---- SGD ---------------------------------------------------------------- */

/* lr 0.1, momentum 0.9, weight decay 0.01, from p = (1, -2):
 *   step 1, grad (0.5, 0.25):  g = (0.51, 0.23),  v = g,
 *                              p = (0.949, -2.023)
 *   step 2, grad (-1, 0.5):    g = (-0.99051, 0.47977),
 *                              v = 0.9 (0.51, 0.23) + g = (-0.53151, 0.68677),
 *                              p = (1.002151, -2.091677) */
static void
test_sgd_two_steps (void)
{
  float *p = be->ops->alloc (be, 2), *g = be->ops->alloc (be, 2), *v = be->ops->alloc (be, 2);
  const float p0[2] = {1, -2}, g1[2] = {0.5f, 0.25f}, g2[2] = {-1, 0.5f};
  float got_p[2], got_v[2];
  CHECK (p && g && v);
  if (!p || !g || !v)
    return;
  be->ops->upload (be, p, p0, 2);
  be->ops->fill (be, v, 0.0f, 2);
  be->ops->upload (be, g, g1, 2);
  be->ops->sgd_step (be, p, g, v, 2, 0.1f, 0.9f, 0.01f);
  be->ops->download (be, got_p, p, 2);
  be->ops->download (be, got_v, v, 2);
  CHECK_CLOSE (got_p[0], 0.949, 1e-6, 0);
  CHECK_CLOSE (got_p[1], -2.023, 1e-6, 0);
  CHECK_CLOSE (got_v[0], 0.51, 1e-6, 0);
  CHECK_CLOSE (got_v[1], 0.23, 1e-6, 0);
  be->ops->upload (be, g, g2, 2);
  be->ops->sgd_step (be, p, g, v, 2, 0.1f, 0.9f, 0.01f);
  be->ops->download (be, got_p, p, 2);
  be->ops->download (be, got_v, v, 2);
  CHECK_CLOSE (got_p[0], 1.002151, 1e-6, 0);
  CHECK_CLOSE (got_p[1], -2.091677, 1e-6, 0);
  CHECK_CLOSE (got_v[0], -0.53151, 1e-6, 0);
  CHECK_CLOSE (got_v[1], 0.68677, 1e-6, 0);
  be->ops->free (be, p);
  be->ops->free (be, g);
  be->ops->free (be, v);
}

/* ---- prepare() refusals ------------------------------------------------ */

/* prepare() must refuse `l` with a message that names the layer and
 * contains `fault`. */
static void
check_refused (dd_layer *l, int training, const char *fault)
{
  char err[256] = "";
  int rc = be->ops->prepare (be, l, training, err, sizeof err);
  CHECK (rc < 0);
  if (rc >= 0) {
    fprintf (stderr, "layer '%s' was accepted, expected a refusal about '%s'\n",
             l->name, fault);
    be->ops->release (be, l);
    return;
  }
  if (!strstr (err, l->name) || !strstr (err, fault)) {
    fprintf (stderr, "message \"%s\" should name '%s' and say '%s'\n", err, l->name, fault);
    check_failures++;
  }
}

static void
test_prepare_refusals (void)
{
  dd_layer a = simple_proto ("image", DD_OP_INPUT, 0), b = a, one = a;
  a.out_shape = (dd_shape) {2, 3, 8, 8};
  b.out_shape = (dd_shape) {2, 3, 8, 6};
  one.out_shape = (dd_shape) {1, 3, 1, 1};

  dd_layer conv = conv_proto (4, 3, 3, 1, 1, 1, 1, 1, 2, 0);
  snprintf (conv.name, sizeof conv.name, "backbone.conv1");
  conv.inputs[0] = &a;
  conv.out_shape = (dd_shape) {2, 4, 8, 8};
  check_refused (&conv, 1, "3 input channels are not a multiple of groups 2");

  conv.conv.groups = 1;
  conv.out_shape = (dd_shape) {2, 4, 7, 7};
  check_refused (&conv, 1, "out_shape is 2x4x7x7");

  conv.out_shape = (dd_shape) {2, 4, 8, 8};
  conv.conv.fuse_relu = 1;
  check_refused (&conv, 1, "fused ReLU");

  dd_layer cat = simple_proto ("neck.cat", DD_OP_CONCAT, 2);
  cat.inputs[0] = &a;
  cat.inputs[1] = &b;
  cat.out_shape = (dd_shape) {2, 6, 8, 8};
  check_refused (&cat, 1, "concat needs the same batch, height and width");

  dd_layer add = simple_proto ("neck.add", DD_OP_ADD, 2);
  add.inputs[0] = &a;
  add.inputs[1] = &b;
  add.out_shape = a.out_shape;
  check_refused (&add, 1, "add needs the same shape");

  dd_layer pool = pool_proto (3, 2, 2);
  pool.inputs[0] = &a;
  check_refused (&pool, 1, "pad <= k/2");

  dd_layer bn = simple_proto ("head.bn", DD_OP_BATCHNORM, 1);
  bn.inputs[0] = &one;
  bn.out_shape = one.out_shape;
  check_refused (&bn, 1, "more than one value per channel");

  dd_layer relu = simple_proto ("head.relu", DD_OP_RELU, 2);
  relu.inputs[0] = relu.inputs[1] = &a;
  relu.out_shape = a.out_shape;
  check_refused (&relu, 0, "takes 1 input(s), it has 2");

  dd_layer cat_none = simple_proto ("neck.cat0", DD_OP_CONCAT, 0);
  cat_none.out_shape = a.out_shape;
  check_refused (&cat_none, 0, "takes 1 to 8 inputs");
}

/* ---- the fixture itself ------------------------------------------------ */

static void
forward_output (dd_layer_fixture *f, float *y)
{
  dd_layer_fixture_forward (f);
  dd_layer_fixture_read_output (f, y);
}

/* What the backend agreement tests rely on: the same seed gives the same
 * values, and copy_values carries a layer's whole state over. */
static void
test_fixture_seed_and_copy (void)
{
  dd_layer p = conv_proto (4, 3, 3, 2, 1, 1, 1, 1, 1, 1);
  dd_shape other = {2, 3, 7, 8};
  dd_layer_fixture a, b, c;
  float ya[2 * 4 * 4 * 9], yb[2 * 4 * 4 * 9];
  char err[256];
  if (fixture (&a, &p, &in3, 1) < 0 || fixture (&b, &p, &in3, 1) < 0
      || fixture (&c, &p, &other, 1) < 0)
    return;
  CHECK (dd_layer_fixture_output_numel (&a) == sizeof ya / sizeof ya[0]);
  dd_layer_fixture_fill_random (&a, 5);
  dd_layer_fixture_fill_random (&b, 5);
  forward_output (&a, ya);
  forward_output (&b, yb);
  CHECK (memcmp (ya, yb, sizeof ya) == 0);

  dd_layer_fixture_fill_random (&b, 6);
  forward_output (&b, yb);
  CHECK (memcmp (ya, yb, sizeof ya) != 0);
  CHECK (dd_layer_fixture_copy_values (&b, &a, err, sizeof err) == 0);
  forward_output (&b, yb);
  CHECK (memcmp (ya, yb, sizeof ya) == 0);

  CHECK (dd_layer_fixture_copy_values (&c, &a, err, sizeof err) < 0);
  CHECK (strstr (err, "differ") != NULL);
  dd_layer_fixture_free (&a);
  dd_layer_fixture_free (&b);
  dd_layer_fixture_free (&c);
}

int
main (void)
{
  char err[256];
  be = dd_backend_reference_new (err, sizeof err);
  if (!be) {
    fprintf (stderr, "%s\n", err);
    return 1;
  }
  RUN_TEST (test_conv_forward_by_hand);
  RUN_TEST (test_conv_dilated_strided_by_hand);
  RUN_TEST (test_conv_groups_by_hand);
  RUN_TEST (test_upsample_by_hand);
  RUN_TEST (test_maxpool_by_hand);
  RUN_TEST (test_maxpool_ties);
  RUN_TEST (test_pointwise_by_hand);
  RUN_TEST (test_join_forward);
  RUN_TEST (test_batchnorm_training_stats);
  RUN_TEST (test_batchnorm_eval);
  RUN_TEST (test_sgd_two_steps);
  RUN_TEST (test_prepare_refusals);
  RUN_TEST (test_fixture_seed_and_copy);
  RUN_TEST (test_conv_gradients);
  RUN_TEST (test_batchnorm_gradients);
  RUN_TEST (test_pointwise_gradients);
  RUN_TEST (test_maxpool_gradients);
  RUN_TEST (test_upsample_gradients);
  RUN_TEST (test_join_gradients);
  be->ops->destroy (be);
  return check_exit_status ();
}
