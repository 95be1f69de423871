#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_engine.h"
#include "nn/net.h"
#include "nn/rng.h"
#include "nn/sgd.h"

/* What one timed step needs: the network, its input, and host room for the
 * largest output (read back, and in training turned into its gradient). */
typedef struct bench_step {
  dd_net *net;
  const float *input;
  float *out;
  dd_sgd sgd;
  char err[256];
  int failed;
} bench_step;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Seconds per step: `warmup` untimed steps, then `repeats` runs of `iters`
 * steps; the median run, or with `fastest` the fastest (a peak is what the
 * machine can do, so the run least disturbed by anything else tells it). */
static double
step_seconds (void (*step) (bench_step *), bench_step *s, const dd_bench_config *cfg,
              int fastest)
{
  for (int i = 0; i < cfg->warmup && !s->failed; i++)
    step (s);
  double runs[64];
  int n = cfg->repeats < 64 ? cfg->repeats : 64;
  for (int r = 0; r < n; r++) {
    double start = now_s ();
    for (int i = 0; i < cfg->iters && !s->failed; i++)
      step (s);
    runs[r] = (now_s () - start) / cfg->iters;
  }
  qsort (runs, (size_t) n, sizeof runs[0], compare_doubles);
  if (fastest)
    return runs[0];
  return n % 2 ? runs[n / 2] : 0.5 * (runs[n / 2 - 1] + runs[n / 2]);
}

static void
infer_step (bench_step *s)
{
  dd_net_set_input (s->net, s->input);
  dd_net_forward (s->net, 0);
  for (int i = 0; i < dd_net_n_outputs (s->net); i++)
    if (dd_net_read (s->net, dd_net_output (s->net, i)->name, s->out, s->err,
                     sizeof s->err) != 0)
      s->failed = 1;
}

/* L = sum over outputs o of mean(o^2): dL/do = 2 o / numel(o). */
static void
train_step (bench_step *s)
{
  dd_net_set_input (s->net, s->input);
  dd_net_forward (s->net, 1);
  dd_net_zero_grad (s->net);
  for (int i = 0; i < dd_net_n_outputs (s->net) && !s->failed; i++) {
    const dd_layer *out = dd_net_output (s->net, i);
    size_t n = dd_shape_numel (out->out_shape);
    if (dd_net_read (s->net, out->name, s->out, s->err, sizeof s->err) != 0) {
      s->failed = 1;
      break;
    }
    for (size_t k = 0; k < n; k++)
      s->out[k] *= 2.0f / (float) n;
    if (dd_net_set_grad (s->net, out->name, s->out, s->err, sizeof s->err) != 0)
      s->failed = 1;
  }
  dd_net_backward (s->net);
  if (dd_sgd_step (s->net, &s->sgd, 1e-4f, s->err, sizeof s->err) != 0)
    s->failed = 1;
}

static float *
random_images (dd_shape shape)
{
  size_t n = dd_shape_numel (shape);
  float *x = malloc (n * sizeof *x);
  if (!x)
    return NULL;
  dd_rng rng;
  dd_rng_seed (&rng, 1, 0);
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_normal (&rng);
  return x;
}

static size_t
largest_output (dd_net *net)
{
  size_t most = 0;
  for (int i = 0; i < dd_net_n_outputs (net); i++) {
    size_t n = dd_shape_numel (dd_net_output (net, i)->out_shape);
    most = n > most ? n : most;
  }
  return most;
}

/* Sets the network up in `mode` and times `step` on it. */
static int
time_mode (dd_net *net, dd_backend *be, dd_net_mode mode, int batch, int size,
           void (*step) (bench_step *), const dd_bench_config *cfg, int fastest,
           double *seconds, char *err, size_t err_len)
{
  if (dd_net_setup (net, be, mode, batch, size, size, err, err_len) != 0)
    return -1;
  bench_step s = {.net = net};
  dd_sgd_defaults (&s.sgd);
  float *input = random_images (dd_net_input_shape (net));
  s.input = input;
  s.out = malloc (largest_output (net) * sizeof *s.out);
  if (!input || !s.out) {
    snprintf (err, err_len, "%s: out of memory for the input and output copies",
              dd_net_name (net));
  } else {
    *seconds = step_seconds (step, &s, cfg, fastest);
    if (s.failed)
      snprintf (err, err_len, "%s", s.err);
  }
  free (input);
  free (s.out);
  return input && s.out && !s.failed ? 0 : -1;
}

static int
peak_gflops (dd_backend *be, const dd_bench_config *cfg, double *gflops, char *err,
             size_t err_len)
{
  char text[512];
  int len = snprintf (text, sizeof text,
      "{\"name\": \"peak\", \"input\": {\"channels\": %d, \"height\": %d, \"width\": %d},"
      " \"layers\": [{\"name\": \"conv\", \"op\": \"conv2d\", \"inputs\": [\"input\"],"
      " \"out_channels\": %d, \"kernel\": 3, \"padding\": 1, \"bias\": false}],"
      " \"outputs\": [\"conv\"]}",
      DD_BENCH_PEAK_CHANNELS, DD_BENCH_PEAK_SIZE, DD_BENCH_PEAK_SIZE, DD_BENCH_PEAK_CHANNELS);
  dd_net *net = dd_net_parse (text, (size_t) len, "the peak convolution", err, err_len);
  if (!net)
    return -1;
  /* One step is heavy already: no need for several per timed run. */
  dd_bench_config one = *cfg;
  one.warmup = 1;
  one.iters = 1;
  double s = 0;
  int rc = time_mode (net, be, DD_NET_INFER, cfg->peak_batch, DD_BENCH_PEAK_SIZE,
                      infer_step, &one, 1, &s, err, err_len);
  if (rc == 0)
    *gflops = dd_net_flops_per_image (net) * cfg->peak_batch / s / 1e9;
  dd_net_free (net);
  return rc;
}

int
dd_bench_engine (dd_backend *be, const dd_bench_config *cfg, dd_bench_result *out,
                 char *err, size_t err_len)
{
  memset (out, 0, sizeof *out);
  dd_net *net = dd_net_load_preset (cfg->preset, err, err_len);
  if (!net)
    return -1;
  snprintf (out->network, sizeof out->network, "%s", dd_net_name (net));
  int rc = time_mode (net, be, DD_NET_INFER, cfg->batch, cfg->size, infer_step, cfg, 0,
                      &out->infer_s, err, err_len);
  if (rc == 0) {
    out->params = dd_net_param_count (net);
    out->flops_per_image = dd_net_flops_per_image (net);
    rc = time_mode (net, be, DD_NET_TRAIN, cfg->batch, cfg->size, train_step, cfg, 0,
                    &out->train_s, err, err_len);
  }
  dd_net_free (net);
  if (rc == 0)
    rc = peak_gflops (be, cfg, &out->peak_gflops, err, err_len);
  return rc;
}
