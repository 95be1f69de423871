/* Throughput of the labeling pipeline against a plain sequential loop
 * over the library doing the same work (bench/RESULTS.md, "Labeling
 * pipeline throughput"):
 *
 *   ddcorpussrc ! ddsampler ! videoconvert ! ddlabel ! videoconvert ! dddatasetsink
 *
 * versus label_loop.h, alternately, --runs times each, over the same
 * videos, frames, teacher and transforms. Prints each run and the medians:
 * frames/s end to end, process CPU time, and the time per stage (wall and
 * CPU; stage_clock.h says how the pipeline's stages are measured). With no
 * model folder given, a `small` network with seeded random weights is
 * written (throughput does not depend on what the weights learnt). */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "label_loop.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "nn/checkpoint.h"
#include "stage_clock.h"

gboolean gst_plugin_ddistill_register (void);

#define INPUT_SIZE 128
/* Longer than any run of the recorded figures: past it, a pipeline is stuck. */
#define RUN_LIMIT (600 * GST_SECOND)

typedef struct run_figures {
  guint frames;
  double wall_s, cpu_s;
  dd_stage_times stages;
} run_figures;

static gint64
process_cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A `small` teacher with seeded random weights, INPUT_SIZE square. */
static gboolean
make_model (const char *dir, guint64 seed)
{
  char err[1024];
  g_autofree char *ckpt = g_build_filename (dir, "init.safetensors", NULL);
  if (g_mkdir_with_parents (dir, 0777) != 0) {
    fprintf (stderr, "bench_labeling: cannot make the model folder %s\n", dir);
    return FALSE;
  }
  dd_backend *be = dd_backend_new ("reference", err, sizeof err);
  dd_detector *det = be ? dd_detector_load ("small", err, sizeof err) : NULL;
  gboolean ok = det
      && dd_detector_setup (det, be, DD_NET_TRAIN, 1, INPUT_SIZE, INPUT_SIZE, err,
      sizeof err) == 0
      && dd_detector_init_weights (det, seed, err, sizeof err) == 0
      && dd_checkpoint_save (det->net, ckpt, err, sizeof err) == 0
      && dd_model_dir_save (det, ckpt, dir, INPUT_SIZE, INPUT_SIZE, err, sizeof err) == 0;
  if (!ok)
    fprintf (stderr, "bench_labeling: cannot write the small model into %s: %s\n",
        dir, err);
  g_remove (ckpt);
  if (det)
    dd_detector_free (det);
  if (be)
    dd_backend_free (be);
  return ok;
}

static gboolean
is_video (const char *name)
{
  return g_str_has_suffix (name, ".mp4") || g_str_has_suffix (name, ".mkv");
}

static int
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The videos of `dir`, sorted, NULL-terminated. */
static char **
list_videos (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (!d)
    return NULL;
  GPtrArray *paths = g_ptr_array_new ();
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (is_video (name))
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  g_dir_close (d);
  g_ptr_array_sort (paths, by_name);
  g_ptr_array_add (paths, NULL);
  return (char **) g_ptr_array_free (paths, FALSE);
}

static gboolean
run_pipeline (const dd_loop_job *job, const char *corpus, int batch_size,
    run_figures *f)
{
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc location=\"%s\" "
      "! ddsampler mode=random count=%u seed=%" G_GUINT64_FORMAT
      " ! videoconvert name=to_rgb ! video/x-raw,format=RGB "
      "! ddlabel model=\"%s\" transforms=\"%s\" rules=\"%s\" "
      "batch-size=%d ! videoconvert name=to_sink ! video/x-raw,format=RGB "
      "! dddatasetsink name=sink location=\"%s\" labeled=\"%s\"", corpus,
      job->count, job->seed, job->model, job->transforms, job->rules_text,
      batch_size, job->out_dir, job->labeled);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  if (!pipeline) {
    fprintf (stderr, "bench_labeling: %s\n", error->message);
    return FALSE;
  }
  gint64 wall = g_get_monotonic_time (), cpu = process_cpu_ns ();
  dd_stage_clock_start (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, RUN_LIMIT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!msg)
    fprintf (stderr, "bench_labeling: no EOS within %" G_GUINT64_FORMAT " s: the "
        "pipeline stalled (its frames so far are in %s)\n", RUN_LIMIT / GST_SECOND,
        job->out_dir);
  else if (!ok) {
    g_autoptr (GError) e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    fprintf (stderr, "bench_labeling: the pipeline failed: %s\n", e->message);
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  dd_stage_clock_stop (&f->stages);
  f->wall_s = (g_get_monotonic_time () - wall) / 1e6;
  f->cpu_s = (process_cpu_ns () - cpu) / 1e9;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  guint64 written = 0;
  g_object_get (sink, "frames-written", &written, NULL);
  f->frames = (guint) written;
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok;
}

static gboolean
run_loop (const dd_loop_job *job, run_figures *f)
{
  g_autoptr (GError) error = NULL;
  gint64 wall = g_get_monotonic_time (), cpu = process_cpu_ns ();
  gboolean ok = dd_label_loop_run (job, &f->stages, &f->frames, &error);
  f->wall_s = (g_get_monotonic_time () - wall) / 1e6;
  f->cpu_s = (process_cpu_ns () - cpu) / 1e9;
  if (!ok)
    fprintf (stderr, "bench_labeling: the loop failed: %s\n", error->message);
  return ok;
}

static void
print_run (const char *what, int run, const run_figures *f)
{
  printf ("%-8s run %d: %u frames, %.2f s, %.2f frames/s, CPU %.2f s;", what, run,
      f->frames, f->wall_s, f->frames / f->wall_s, f->cpu_s);
  for (int s = 0; s < DD_N_STAGES; s++)
    printf (" %s %.0f/%.0f", dd_stage_name (s), f->stages.wall_ns[s] / 1e6 / f->frames,
        f->stages.cpu_ns[s] / 1e6 / f->frames);
  printf (" (ms/frame wall/CPU)\n");
  fflush (stdout);
}

static int
by_value (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, (int (*)(const void *, const void *)) by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* `pick` reads one figure of a run, per frame. */
static double
median_of (const run_figures *runs, int n, double (*pick) (const run_figures *, int),
    int stage)
{
  double v[n];
  for (int i = 0; i < n; i++)
    v[i] = pick (&runs[i], stage);
  return median (v, n);
}

static double pick_fps (const run_figures *f, int s) { (void) s; return f->frames / f->wall_s; }
static double pick_cpu (const run_figures *f, int s) { (void) s; return f->cpu_s * 1e3 / f->frames; }
static double pick_stage_wall (const run_figures *f, int s) { return f->stages.wall_ns[s] / 1e6 / f->frames; }
static double pick_stage_cpu (const run_figures *f, int s) { return f->stages.cpu_ns[s] / 1e6 / f->frames; }

/* The process's CPU time no stage was charged with: in the pipeline, the
 * engine worker and its OpenMP team (stage_clock.h); in the loop, loading
 * the teacher. */
static double
pick_uncharged_cpu (const run_figures *f, int s)
{
  (void) s;
  double charged = 0;
  for (int i = 0; i < DD_N_STAGES; i++)
    charged += pick_stage_cpu (f, i);
  return pick_cpu (f, 0) - charged;
}

static void
print_medians (const run_figures *pipe, const run_figures *loop, int n)
{
  printf ("\nmedians of %d runs | pipeline | loop\n", n);
  printf ("frames/s | %.2f | %.2f\n", median_of (pipe, n, pick_fps, 0),
      median_of (loop, n, pick_fps, 0));
  printf ("process CPU ms/frame | %.0f | %.0f\n", median_of (pipe, n, pick_cpu, 0),
      median_of (loop, n, pick_cpu, 0));
  for (int s = 0; s < DD_N_STAGES; s++)
    printf ("%s ms/frame wall / CPU | %.0f / %.0f | %.0f / %.0f\n", dd_stage_name (s),
        median_of (pipe, n, pick_stage_wall, s), median_of (pipe, n, pick_stage_cpu, s),
        median_of (loop, n, pick_stage_wall, s), median_of (loop, n, pick_stage_cpu, s));
  printf ("uncharged CPU ms/frame | %.0f | %.0f\n", median_of (pipe, n, pick_uncharged_cpu, 0),
      median_of (loop, n, pick_uncharged_cpu, 0));
}

/* One run's figures as one line, for the parent to read. */
static void
print_child (const run_figures *f)
{
  printf ("figures %u %.6f %.6f", f->frames, f->wall_s, f->cpu_s);
  for (int s = 0; s < DD_N_STAGES; s++)
    printf (" %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, f->stages.wall_ns[s],
        f->stages.cpu_ns[s]);
  printf ("\n");
}

static gboolean
parse_child (const char *out, run_figures *f)
{
  const char *line = strstr (out, "figures ");
  if (!line)
    return FALSE;
  char *end;
  f->frames = (guint) g_ascii_strtoull (line + 8, &end, 10);
  f->wall_s = g_ascii_strtod (end, &end);
  f->cpu_s = g_ascii_strtod (end, &end);
  for (int s = 0; s < DD_N_STAGES; s++) {
    f->stages.wall_ns[s] = g_ascii_strtoll (end, &end, 10);
    f->stages.cpu_ns[s] = g_ascii_strtoll (end, &end, 10);
  }
  return f->frames > 0 && f->wall_s > 0;
}

/* Each run in a process of its own: a pipeline's shared model instance
 * and engine worker outlive it in a process, and the runs after the first
 * would not pay what a labeling job pays. */
static gboolean
spawn_run (char **self_argv, const char *mode, const char *dir, run_figures *f)
{
  GPtrArray *argv = g_ptr_array_new ();
  for (int i = 0; self_argv[i]; i++)
    g_ptr_array_add (argv, self_argv[i]);
  g_ptr_array_add (argv, (char *) "--child");
  g_ptr_array_add (argv, (char *) mode);
  g_ptr_array_add (argv, (char *) "--child-dir");
  g_ptr_array_add (argv, (char *) dir);
  g_ptr_array_add (argv, NULL);
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;
  gboolean ok = g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT,
      NULL, NULL, &out, NULL, &status, &error)
      && g_spawn_check_wait_status (status, &error) && parse_child (out, f);
  if (!ok)
    fprintf (stderr, "bench_labeling: the %s run into %s failed%s%s\n", mode, dir,
        error ? ": " : "", error ? error->message : "");
  g_ptr_array_unref (argv);
  return ok;
}

/* A fresh output folder for each run (the sink resumes what it finds). */
static char *
run_dir (const char *out, const char *what, int run)
{
  g_autofree char *name = g_strdup_printf ("%s-%d", what, run);
  return g_build_filename (out, name, NULL);
}

int
main (int argc, char **argv)
{
  g_autofree char *corpus = NULL, *labeled = NULL, *model = NULL, *out = NULL,
      *transforms = g_strdup ("factors=0.75,1,1.25,1.5,flip"),
      *rules = g_strdup ("boxes=identity,keypoints=average");
  g_autofree char *child = NULL, *child_dir = NULL;
  int count = 10, runs = 3, batch_size = 1;
  gint64 seed = 0;
  GOptionEntry entries[] = {
    { "corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus, "Folder of videos (.mp4, .mkv)", "DIR" },
    { "labeled", 0, 0, G_OPTION_ARG_FILENAME, &labeled, "Labelled COCO set for the thresholds", "FILE" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Teacher folder (default: a random small one under --out)", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Scratch folder (must not exist)", "DIR" },
    { "transforms", 0, 0, G_OPTION_ARG_STRING, &transforms, "Test-time transforms (default: factors=0.75,1,1.25,1.5,flip)", "SPEC" },
    { "rules", 0, 0, G_OPTION_ARG_STRING, &rules, "Ensemble rules", "RULES" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Frames per video (default 10)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Frame sampling seed", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs of each (default 3)", "N" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size, "Pipeline: ddlabel's "
      "batch-size, the most passes of one size in one forward (default 1)", "N" },
    { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &child, "Run once: pipeline or loop", "MODE" },
    { "child-dir", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &child_dir, "The run's output folder", "DIR" },
    { NULL },
  };
  char **self_argv = g_strdupv (argv);
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, "Labeling pipeline against a sequential loop "
      "over the library: frames/s and time per stage.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !corpus || !labeled
      || !out || count < 1 || runs < 1 || seed < 0 || batch_size < 1
      || batch_size > 64) {
    fprintf (stderr, "bench_labeling: %s\n", error ? error->message
        : "--corpus, --labeled and --out are needed; --count, --runs >= 1, "
        "--seed >= 0, --batch-size from 1 to 64");
    return 2;
  }
  if (!child && g_file_test (out, G_FILE_TEST_EXISTS)) {
    fprintf (stderr, "bench_labeling: %s exists; give a new scratch folder\n", out);
    return 2;
  }
  if (!gst_plugin_ddistill_register ())
    return 1;
  if (child) {
    if (!model) {
      fprintf (stderr, "bench_labeling: --child needs --model\n");
      return 2;
    }
    g_auto (GStrv) videos = list_videos (corpus);
    dd_loop_job job = { .videos = videos, .model = model, .transforms = transforms,
      .rules_text = rules, .labeled = labeled, .count = (guint) count,
      .seed = (guint64) seed, .out_dir = child_dir };
    run_figures f = { 0 };
    if (!videos || !child_dir || !(strcmp (child, "pipeline") == 0
            ? run_pipeline (&job, corpus, batch_size, &f)
            : run_loop (&job, &f)))
      return 1;
    print_child (&f);
    return 0;
  }
  if (!model) {
    model = g_build_filename (out, "small-random", NULL);
    if (!make_model (model, 1))
      return 1;
  }
  g_auto (GStrv) videos = list_videos (corpus);
  if (!videos || !videos[0]) {
    fprintf (stderr, "bench_labeling: no .mp4 or .mkv in %s\n", corpus);
    return 1;
  }
  g_auto (GStrv) spawn_argv = g_strdupv (self_argv);
  if (!g_strv_contains ((const char *const *) spawn_argv, "--model")) {
    guint n = g_strv_length (spawn_argv);
    spawn_argv = g_renew (char *, spawn_argv, n + 3);
    spawn_argv[n] = g_strdup ("--model");
    spawn_argv[n + 1] = g_strdup (model);
    spawn_argv[n + 2] = NULL;
  }
  printf ("%u videos x %d frames, transforms %s, rules %s, model %s, pipeline "
      "batch size %d\n", g_strv_length (videos), count, transforms, rules,
      model, batch_size);
  run_figures pipe[runs], loop[runs];
  for (int r = 0; r < runs; r++) {
    g_autofree char *pipe_dir = run_dir (out, "pipeline", r);
    g_autofree char *loop_dir = run_dir (out, "loop", r);
    if (!spawn_run (spawn_argv, "pipeline", pipe_dir, &pipe[r]))
      return 1;
    print_run ("pipeline", r, &pipe[r]);
    if (!spawn_run (spawn_argv, "loop", loop_dir, &loop[r]))
      return 1;
    print_run ("loop", r, &loop[r]);
    /* Figures are per frame, so a run stays comparable; but say it. */
    if (pipe[r].frames != loop[r].frames)
      printf ("WARNING: the pipeline labelled %u frames, the loop %u: the "
          "pipeline lost frames the sampler took\n", pipe[r].frames, loop[r].frames);
  }
  print_medians (pipe, loop, runs);
  g_strfreev (self_argv);
  return 0;
}
