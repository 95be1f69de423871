/* `ddistill bench engine --preset small [--batch 16 --size 128]
 * [--device cpu|reference] [--iters N] [--json]`: inference and training
 * images/s of a network on one backend, their GFLOP/s, and the fraction of
 * the peak the same backend reaches on a large convolution. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "bench_engine.h"
#include "commands.h"
#include "idle_threads.h"
#include "nn/worker.h"

static const char summary[] =
    "BENCHMARK is `engine`: times the network's inference graph (batch norm folded,\n"
    "ReLU fused; eval mode, input set and outputs read back) and its training step\n"
    "(train-mode forward, loss sum over outputs of mean(o^2), backward, SGD with\n"
    "momentum 0.9 and weight decay 1e-4) on the engine's worker thread: warm-up\n"
    "steps, then the median of timed runs of --iters steps. GFLOP/s count the\n"
    "network's convolutions (a multiply-add is 2 FLOPs); a training step counts as\n"
    "3 forwards. The peak is measured here, through the same backend, on a 256->256\n"
    "3x3 convolution over 56x56 images (the fastest run). --json prints one object with\n"
    "train_img_per_s, infer_img_per_s, train_gflops, infer_gflops, peak_gflops,\n"
    "train_peak_fraction, infer_peak_fraction, params and flops_per_image.\n"
    "OpenMP's idle threads sleep (OMP_WAIT_POLICY=passive) unless the environment\n"
    "sets OMP_WAIT_POLICY, as in the other commands that run the engine.";

typedef struct bench_job {
  const dd_bench_config *cfg;
  dd_bench_result result;
} bench_job;

static int
run_on_worker (dd_backend *be, void *arg, char *err, size_t err_len)
{
  bench_job *job = arg;
  return dd_bench_engine (be, job->cfg, &job->result, err, err_len);
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill bench: %s\n\n%s", message, help);
  return 2;
}

static void
print_result (const dd_bench_config *cfg, const char *device, const dd_bench_result *r,
              int json)
{
  double infer = cfg->batch / r->infer_s, train = cfg->batch / r->train_s;
  double infer_gflops = infer * r->flops_per_image / 1e9;
  double train_gflops = 3 * train * r->flops_per_image / 1e9;
  if (json) {
    printf ("{\"engine\": \"ddistill\", \"device\": \"%s\", \"network\": \"%s\", "
            "\"batch\": %d, \"size\": %d, \"params\": %zu, \"flops_per_image\": %.0f, "
            "\"train_img_per_s\": %.6g, \"infer_img_per_s\": %.6g, "
            "\"train_gflops\": %.6g, \"infer_gflops\": %.6g, \"peak_gflops\": %.6g, "
            "\"train_peak_fraction\": %.6g, \"infer_peak_fraction\": %.6g}\n",
            device, r->network, cfg->batch, cfg->size, r->params, r->flops_per_image,
            train, infer, train_gflops, infer_gflops, r->peak_gflops,
            train_gflops / r->peak_gflops, infer_gflops / r->peak_gflops);
    return;
  }
  printf ("%s on %s: batch %d at %dx%d, %.2f M parameters, %.3f GFLOP per image "
          "(forward)\n", r->network, device, cfg->batch, cfg->size, cfg->size,
          r->params / 1e6, r->flops_per_image / 1e9);
  printf ("peak (256->256 3x3 conv on 56x56, batch %d): %.1f GFLOP/s\n", cfg->peak_batch,
          r->peak_gflops);
  printf ("inference: %8.2f images/s  %6.1f GFLOP/s  %3.0f%% of peak\n", infer,
          infer_gflops, 100 * infer_gflops / r->peak_gflops);
  printf ("training:  %8.2f images/s  %6.1f GFLOP/s  %3.0f%% of peak (3x forward)\n",
          train, train_gflops, 100 * train_gflops / r->peak_gflops);
}

int
dd_cmd_bench (int argc, char **argv)
{
  /* Measure the engine as the other commands run it. */
  dd_let_idle_threads_sleep (argc, argv);
  dd_bench_config cfg = {.batch = 16, .size = 128, .warmup = 2, .repeats = 5, .iters = 5,
                         .peak_batch = 2};
  g_autofree char *preset = NULL, *device = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset,
      "Network: a preset name (tiny, small, base) or a JSON path [small]", "NAME" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &cfg.batch, "Images per step [16]", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &cfg.size, "Image side in pixels [128]", "PX" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "Backend: cpu or reference [cpu]",
      "NAME" },
    { "iters", 0, 0, G_OPTION_ARG_INT, &cfg.iters, "Steps per timed run [5]", "N" },
    { "repeats", 0, 0, G_OPTION_ARG_INT, &cfg.repeats,
      "Timed runs, the median is kept (1-64) [5]", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &cfg.warmup, "Untimed steps first [2]", "N" },
    { "peak-batch", 0, 0, G_OPTION_ARG_INT, &cfg.peak_batch,
      "Batch of the peak convolution [2]", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("BENCHMARK");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill bench");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 2 || strcmp (argv[1], "engine") != 0)
    return usage_error (ctx, "expected the benchmark to run: engine");
  if (cfg.batch < 1 || cfg.size < 1 || cfg.iters < 1 || cfg.warmup < 0
      || cfg.repeats < 1 || cfg.repeats > 64 || cfg.peak_batch < 1)
    return usage_error (ctx, "--batch, --size, --iters, --repeats (at most 64) and "
                        "--peak-batch must be positive, --warmup not negative");
  cfg.preset = preset ? preset : "small";
  const char *backend = device ? device : "cpu";

  char err[512];
  dd_worker *worker = dd_worker_new (backend, err, sizeof err);
  if (!worker) {
    fprintf (stderr, "ddistill bench: %s\n", err);
    return 1;
  }
  bench_job job = {.cfg = &cfg};
  int rc = dd_worker_run (worker, run_on_worker, &job, err, sizeof err);
  dd_worker_free (worker);
  if (rc != 0) {
    fprintf (stderr, "ddistill bench: %s\n", err);
    return 1;
  }
  print_result (&cfg, backend, &job.result, json);
  return 0;
}
