/* `ddistill smoke`: a smoke run of the engine (`make demo` is the
 * distillation demo, `ddistill distill --spec quick`). It trains the `tiny`
 * network on a fixed synthetic batch (one Gaussian blob per image at a
 * random place; the heatmap heads, its sigmoid outputs, learn a Gaussian at
 * the same place), prints the loss every few steps and fails when the loss
 * did not fall. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "idle_threads.h"
#include "nn/net.h"
#include "nn/rng.h"
#include "nn/schedule.h"
#include "nn/sgd.h"
#include "nn/worker.h"

#define SMOKE_BATCH 8
#define SMOKE_BLOB_SIGMA 3.0f    /* pixels of the input */
#define SMOKE_LR 0.05f
#define SMOKE_PRINT_EVERY 5
#define SMOKE_MAX_HEADS 8

static const char summary[] =
    "An engine smoke run (`make demo` is the distillation demo): trains the `tiny`\n"
    "network on 8 synthetic images (noise and one bright Gaussian blob each); its\n"
    "heatmap heads (the sigmoid outputs) regress a Gaussian at the blob's place,\n"
    "loss sum over them of mean((o - target)^2), SGD with momentum 0.9, warm-up\n"
    "and LR drops at 70% and 90%. Prints the loss every 5 steps, then the first\n"
    "and the last. Exit status: 0 when the loss fell, 1 when it did not.";

typedef struct smoke_job {
  int steps;
  double first, last;
} smoke_job;

static float
gaussian (float dx, float dy, float sigma)
{
  return expf (-(dx * dx + dy * dy) / (2 * sigma * sigma));
}

/* Input images and the blob centres (in pixels). */
static void
draw_images (float *x, dd_shape s, float *cx, float *cy, dd_rng *rng)
{
  for (int n = 0; n < s.n; n++) {
    cx[n] = dd_rng_range (rng, 0.15f * s.w, 0.85f * s.w);
    cy[n] = dd_rng_range (rng, 0.15f * s.h, 0.85f * s.h);
    for (int c = 0; c < s.c; c++)
      for (int i = 0; i < s.h; i++)
        for (int j = 0; j < s.w; j++)
          *x++ = 0.1f * dd_rng_normal (rng)
              + gaussian (j + 0.5f - cx[n], i + 0.5f - cy[n], SMOKE_BLOB_SIGMA);
  }
}

/* A heatmap target: every channel a Gaussian at the blob's place, scaled to
 * the output's resolution. */
static void
draw_target (float *t, dd_shape out, dd_shape in, const float *cx, const float *cy)
{
  float scale = (float) out.w / (float) in.w;
  float sigma = fmaxf (SMOKE_BLOB_SIGMA * scale, 1.0f);
  for (int n = 0; n < out.n; n++)
    for (int c = 0; c < out.c; c++)
      for (int i = 0; i < out.h; i++)
        for (int j = 0; j < out.w; j++)
          *t++ = gaussian (j + 0.5f - cx[n] * scale, i + 0.5f - cy[n] * scale, sigma);
}

typedef struct smoke_data {
  float *input;
  int n_heads;
  const dd_layer *heads[SMOKE_MAX_HEADS];
  float *targets[SMOKE_MAX_HEADS];
  float *grad;
} smoke_data;

static int
make_data (dd_net *net, smoke_data *d, char *err, size_t err_len)
{
  dd_shape in = dd_net_input_shape (net);
  float cx[SMOKE_BATCH], cy[SMOKE_BATCH];
  dd_rng rng;
  dd_rng_seed (&rng, 2018, 0);
  size_t most = 0;
  d->input = malloc (dd_shape_numel (in) * sizeof *d->input);
  if (d->input)
    draw_images (d->input, in, cx, cy, &rng);
  for (int i = 0; i < dd_net_n_outputs (net) && d->n_heads < SMOKE_MAX_HEADS; i++) {
    const dd_layer *out = dd_net_output (net, i);
    if (out->op != DD_OP_SIGMOID)
      continue;
    size_t n = dd_shape_numel (out->out_shape);
    most = n > most ? n : most;
    d->heads[d->n_heads] = out;
    d->targets[d->n_heads] = malloc (n * sizeof (float));
    if (d->targets[d->n_heads])
      draw_target (d->targets[d->n_heads], out->out_shape, in, cx, cy);
    d->n_heads++;
  }
  if (d->n_heads == 0) {
    snprintf (err, err_len, "%s has no sigmoid (heatmap) output to train",
              dd_net_name (net));
    return -1;
  }
  d->grad = malloc (most * sizeof *d->grad);
  int ok = d->input && d->grad;
  for (int h = 0; h < d->n_heads; h++)
    ok = ok && d->targets[h];
  if (!ok)
    snprintf (err, err_len, "out of memory for the synthetic batch of %s",
              dd_net_name (net));
  return ok ? 0 : -1;
}

static void
free_data (smoke_data *d)
{
  free (d->input);
  free (d->grad);
  for (int h = 0; h < d->n_heads; h++)
    free (d->targets[h]);
}

/* One training step; returns the loss of its forward, or -1 on an error. */
static double
train_step (dd_net *net, smoke_data *d, const dd_sgd *sgd, float lr, char *err,
            size_t err_len)
{
  double loss = 0;
  dd_net_set_input (net, d->input);
  dd_net_forward (net, 1);
  dd_net_zero_grad (net);
  for (int h = 0; h < d->n_heads; h++) {
    size_t n = dd_shape_numel (d->heads[h]->out_shape);
    if (dd_net_read (net, d->heads[h]->name, d->grad, err, err_len) != 0)
      return -1;
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
      double diff = (double) d->grad[k] - d->targets[h][k];
      sum += diff * diff;
      d->grad[k] = (float) (2 * diff / (double) n);
    }
    loss += sum / (double) n;
    if (dd_net_set_grad (net, d->heads[h]->name, d->grad, err, err_len) != 0)
      return -1;
  }
  dd_net_backward (net);
  return dd_sgd_step (net, sgd, lr, err, err_len) == 0 ? loss : -1;
}

/* The whole run, as one job on the engine worker. */
static int
train (dd_backend *be, void *arg, char *err, size_t err_len)
{
  smoke_job *job = arg;
  dd_net *net = dd_net_load_preset ("tiny", err, err_len);
  if (!net)
    return -1;
  int height, width;
  dd_net_default_size (net, &height, &width);
  smoke_data d = {0};
  dd_schedule sched;
  dd_schedule_defaults (&sched, SMOKE_LR, job->steps);
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  int rc = dd_net_setup (net, be, DD_NET_TRAIN, SMOKE_BATCH, height, width, err,
                         err_len);
  if (rc == 0)
    rc = make_data (net, &d, err, err_len);
  if (rc == 0)
    printf ("training %s (%zu parameters) on %s: %d synthetic %dx%d images, a blob each; "
            "%d heatmap heads\n", dd_net_name (net), dd_net_param_count (net),
            be->ops->name, SMOKE_BATCH, width, height, d.n_heads);
  for (int step = 0; rc == 0 && step < job->steps; step++) {
    float lr = dd_schedule_lr (&sched, step);
    double loss = train_step (net, &d, &sgd, lr, err, err_len);
    if (loss < 0 || !isfinite (loss)) {
      if (loss >= 0)
        snprintf (err, err_len, "step %d: the loss is %g", step, loss);
      rc = -1;
      break;
    }
    if (step == 0)
      job->first = loss;
    job->last = loss;
    if (step % SMOKE_PRINT_EVERY == 0 || step == job->steps - 1)
      printf ("step %3d  loss %.6f  lr %.4f\n", step, loss, lr);
    fflush (stdout);
  }
  free_data (&d);
  dd_net_free (net);
  return rc;
}


int
dd_cmd_smoke (int argc, char **argv)
{
  dd_let_idle_threads_sleep (argc, argv);
  int steps = 40;
  g_autofree char *device = NULL;
  GOptionEntry entries[] = {
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Training steps [40]", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "Backend: cpu or reference [cpu]",
      "NAME" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill smoke");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 1 || steps < 2) {
    g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
    fprintf (stderr, "ddistill smoke: %s\n\n%s",
             error ? error->message : "expected no arguments and --steps of 2 or more",
             help);
    return 2;
  }
  printf ("ddistill smoke: an engine smoke run\n");
  char err[512];
  const char *backend = device ? device : "cpu";
  dd_worker *worker = dd_worker_new (backend, err, sizeof err);
  if (!worker) {
    fprintf (stderr, "ddistill smoke: %s\n", err);
    return 1;
  }
  smoke_job job = {.steps = steps};
  int rc = dd_worker_run (worker, train, &job, err, sizeof err);
  dd_worker_free (worker);
  if (rc != 0) {
    fprintf (stderr, "ddistill smoke: %s\n", err);
    return 1;
  }
  int fell = job.last < job.first;
  printf ("first loss %.6f, last loss %.6f: %s\n", job.first, job.last,
          fell ? "the loss fell" : "the loss did NOT fall");
  return fell ? 0 : 1;
}
