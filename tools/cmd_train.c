/* `ddistill train --model tiny|small|base|NET.json --data labeled.json
 * [--extra auto.json --ratio 0.6 | --rho R] --iters N --batch B --lr 0.02
 * --out DIR`: trains the detector, resuming DIR's run when it has one. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "idle_threads.h"
#include "progress_text.h"
#include "model/model_dir.h"
#include "model/trainer.h"

static const char summary[] =
    "Trains the detector on a COCO dataset (and, for a student, a second one of\n"
    "automatic labels mixed into every minibatch at a fixed expected ratio: a\n"
    "keypoint they leave unlabelled is unknown, not absent, as ddtrain has it), from\n"
    "seeded initial weights, with augmentation (scale, crop, flip, colour) and SGD\n"
    "(momentum 0.9, weight decay 1e-4; warm-up, then the rate /10 at 70% and 90%).\n"
    "\n"
    "DIR gets train.json (the run), checkpoint.safetensors (every --checkpoint-every\n"
    "iterations, atomically) and, at the end, the model: model.json and\n"
    "model.safetensors, which `ddistill predict --model DIR` reads. Started again\n"
    "with the same options, a run resumes from its checkpoint and ends exactly as if\n"
    "it had never stopped. Progress goes to stderr: iteration, loss (the mean of\n"
    "the last 20 iterations) and its parts, the learning rate, images/s, time left.\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported; a diverging loss leaves the last\n"
    "good checkpoint), 2 bad usage.";

typedef struct {
  gboolean live;                /* a terminal: one line redrawn in place */
  gint64 last_print;
  int64_t every;                /* without a terminal: a line per this many */
  gboolean started;
} progress_state;

static void
show_progress (const dd_train_stats *s, void *user)
{
  progress_state *p = user;
  if (!p->started && s->first > 0)
    fprintf (stderr, "resuming at iteration %" G_GINT64_FORMAT "\n", s->first);
  p->started = TRUE;
  gint64 now = g_get_monotonic_time ();
  gboolean last = s->iteration == s->iterations;
  gboolean due = p->live ? now - p->last_print > 200000 || last || s->checkpointed
      : s->iteration % p->every == 0 || last || s->iteration == s->first + 1;
  if (!due)
    return;
  p->last_print = now;
  char eta[32], rate[32];
  dd_format_duration (eta, sizeof eta, s->seconds_left);
  dd_format_rate (rate, sizeof rate, s->images_per_second);
  const dd_loss_parts *m = &s->mean;
  fprintf (stderr, "%siter %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  loss %.4f "
           "(center %.3f size %.3f offset %.3f kp %.3f kp-offset %.3f)  lr %.3g  "
           "%s  ETA %s%s", p->live ? "\r\033[K" : "", s->iteration,
           s->iterations, m->total, m->center, m->size, m->offset, m->keypoint_heatmap,
           m->keypoint_offset, s->lr, rate, eta,
           p->live && !last ? "" : "\n");
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill train: %s\n\n%s", message, help);
  return 2;
}

/* An integer option in [0, max]; an absent one (NULL) leaves *out alone. */
static gboolean
parse_count (const char *text, const char *option, guint64 max, int64_t *out,
             GError **error)
{
  guint64 v;
  if (!text)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s takes an integer from 0 to %" G_GUINT64_FORMAT ", not '%s'", option,
                 max, text);
    return FALSE;
  }
  *out = (int64_t) v;
  return TRUE;
}

int
dd_cmd_train (int argc, char **argv)
{
  dd_let_idle_threads_sleep (argc, argv);
  g_autofree char *model = NULL, *data = NULL, *images = NULL, *extra = NULL,
      *extra_images = NULL, *out = NULL, *device = NULL, *iters = NULL, *batch = NULL,
      *size = NULL, *seed = NULL, *every = NULL, *stop_after = NULL;
  double ratio = NAN, rho = NAN, lr = NAN;     /* NAN: not given */
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "The network: tiny, small, base or a network .json file", "NET" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data,
      "The manually labelled COCO dataset", "FILE.json" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images,
      "Its image folder (default: the dataset's folder)", "DIR" },
    { "extra", 0, 0, G_OPTION_ARG_FILENAME, &extra,
      "Automatic labels to mix in (a student's training)", "FILE.json" },
    { "extra-images", 0, 0, G_OPTION_ARG_FILENAME, &extra_images,
      "Their image folder (default: their dataset's folder)", "DIR" },
    { "ratio", 0, 0, G_OPTION_ARG_DOUBLE, &ratio,
      "With --extra: the manual share of each minibatch (default 0.6, the paper's 6:4)",
      "R" },
    { "rho", 0, 0, G_OPTION_ARG_DOUBLE, &rho,
      "With --extra: sample manual : automatic as 1 : RHO instead of --ratio", "RHO" },
    { "iters", 0, 0, G_OPTION_ARG_STRING, &iters, "Training iterations (required)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_STRING, &batch, "Images per minibatch (default 16)",
      "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Base learning rate (default 0.02)", "LR" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      "Input side in pixels, a multiple of the output stride (default: the network's)",
      "S" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed,
      "Seed of the initial weights, the sampling and the augmentation (default 0)", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Backend: cpu (oneDNN, default), cuda, or reference (slow; for tests)", "NAME" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "The run's folder: checkpoints, then the model (required)", "DIR" },
    { "checkpoint-every", 0, 0, G_OPTION_ARG_STRING, &every,
      "Write a checkpoint every K iterations (default 100)", "K" },
    { "stop-after", 0, 0, G_OPTION_ARG_STRING, &stop_after,
      "Stop after iteration K with a checkpoint, as if killed there; run again to go on",
      "K" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill train");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 1)
    return usage_error (ctx, "unexpected arguments: everything is an option");
  if (!model || !data || !out || !iters)
    return usage_error (ctx, "--model, --data, --iters and --out are required");
  if ((!isnan (ratio) || !isnan (rho)) && !extra)
    return usage_error (ctx, "--ratio and --rho mix in --extra: give the automatic labels");
  if (!isnan (ratio) && !isnan (rho))
    return usage_error (ctx, "--ratio and --rho are two ways to mix: give one");
  if (!isnan (ratio) && !(ratio > 0.0 && ratio < 1.0))
    return usage_error (ctx, "--ratio is the manual share of a batch: between 0 and 1");
  if (!isnan (rho) && !(rho > 0.0))
    return usage_error (ctx, "--rho 0 or less would never draw the automatic labels: "
                        "give a positive number, or leave --extra out");
  if (!isnan (lr) && !(lr > 0.0))
    return usage_error (ctx, "--lr takes a positive learning rate");

  dd_train_options o;
  dd_train_options_init (&o);
  o.model = model;
  o.data = data;
  o.images = images;
  o.extra = extra;
  o.extra_images = extra_images;
  o.out = out;
  if (!isnan (ratio))
    o.ratio = ratio;
  if (!isnan (rho))
    o.rho = rho;
  if (!isnan (lr))
    o.lr = (float) lr;
  if (device)
    o.device = device;
  int64_t n_batch = o.batch, n_size = 0, n_seed = 0;
  if (!parse_count (iters, "--iters", G_MAXINT64, &o.iterations, &error)
      || !parse_count (batch, "--batch", 4096, &n_batch, &error)
      || !parse_count (size, "--size", 8192, &n_size, &error)
      || !parse_count (seed, "--seed", G_MAXINT64, &n_seed, &error)
      || !parse_count (every, "--checkpoint-every", G_MAXINT64, &o.checkpoint_every,
                       &error)
      || !parse_count (stop_after, "--stop-after", G_MAXINT64, &o.stop_after, &error))
    return usage_error (ctx, error->message);
  o.batch = (int) n_batch;
  o.size = (int) n_size;
  o.seed = (uint64_t) n_seed;

  progress_state p = {
    .live = isatty (fileno (stderr)),
    .every = MAX (1, o.iterations / 50),
  };
  o.progress = show_progress;
  o.user = &p;
  if (!dd_train (&o, &error)) {
    fprintf (stderr, "%sddistill train: %s\n", p.live && p.started ? "\n" : "",
             error->message);
    return 1;
  }
  if (o.stop_after > 0 && o.stop_after < o.iterations)
    fprintf (stderr, "ddistill train: stopped after iteration %" G_GINT64_FORMAT
             "; run the same command without --stop-after to go on\n", o.stop_after);
  else
    fprintf (stderr, "ddistill train: done: %s/" DD_MODEL_JSON " and %s/"
             DD_MODEL_WEIGHTS "\n", out, out);
  return 0;
}
