/* `ddistill synth --spec test|quick|small|SPEC.json --out DIR [--seed N]`:
 * generates a benchmark tree of synthetic people (stills, unions, clips,
 * COCO ground truth). `ddistill synth --contact-sheet FILE.png` draws
 * generated frames of both styles with their ground truth instead. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "data/synth_bench.h"
#include "data/synth_sheet.h"
#include "png_file.h"

static const char summary[] =
    "Generates the miniature benchmark a spec describes (see lib/data/synth_spec.h)\n"
    "under DIR: DIR/<split>/images/*, DIR/<split>.json (COCO; every file_name is\n"
    "relative to DIR), DIR/hidden/<split>.json (the truth of unlabeled splits),\n"
    "DIR/video-180/clip-*.mp4|.mkv with a COCO sidecar per clip, DIR/spec.json.\n"
    "Built-in specs: test (CI, seconds), quick (the demo), small (the experiments).\n"
    "The same spec and seed give the same images on any machine.\n"
    "\n"
    "With --contact-sheet FILE.png: draws frames of both styles with their ground\n"
    "truth (docs/contact-sheet.png is `ddistill synth --contact-sheet\n"
    "docs/contact-sheet.png`).\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported), 2 bad usage.";

typedef struct {
  gboolean live;                /* a terminal: redraw the line in place */
  gint64 start;                 /* monotonic microseconds */
  gint64 last_print;
  gint64 split_start;
  char split[64];
  int last_total;
} progress_state;

static void
finish_line (progress_state *p)
{
  if (!p->split[0])
    return;
  double secs = (g_get_monotonic_time () - p->split_start) / 1e6;
  fprintf (stderr, "%s  %-16s %7d  %6.1f s\n", p->live ? "\r" : "", p->split,
      p->last_total, secs);
  p->split[0] = 0;
}

/* One line per split, rewritten in place at most ten times a second on a
 * terminal, written once when done otherwise. */
static void
show_progress (const char *split, int done, int total, void *user)
{
  progress_state *p = user;
  gint64 now = g_get_monotonic_time ();
  if (strcmp (p->split, split) != 0) {
    finish_line (p);
    g_strlcpy (p->split, split, sizeof p->split);
    p->split_start = now;
  }
  p->last_total = total;
  if (p->live && (done == total || now - p->last_print > 100000)) {
    fprintf (stderr, "\r  %-16s %7d/%d", split, done, total);
    p->last_print = now;
  }
}

static int
generate (const char *spec_name, const char *out, gboolean have_seed,
    gint64 seed)
{
  g_autoptr (GError) error = NULL;
  dd_spec *spec = dd_spec_load (spec_name, &error);
  if (!spec) {
    fprintf (stderr, "ddistill synth: %s\n", error->message);
    return 1;
  }
  uint64_t s = have_seed ? (uint64_t) seed : spec->seed;
  fprintf (stderr, "ddistill synth: benchmark '%s', seed %" G_GUINT64_FORMAT
      ", into %s\n", spec->name, s, out);
  progress_state p = { .start = g_get_monotonic_time (),
    .live = isatty (fileno (stderr)) };
  gboolean ok = dd_bench_generate (spec, out, s, show_progress, &p, &error);
  finish_line (&p);
  if (ok)
    fprintf (stderr, "ddistill synth: done in %.1f s\n",
        (g_get_monotonic_time () - p.start) / 1e6);
  else
    fprintf (stderr, "\nddistill synth: %s\n", error->message);
  dd_spec_free (spec);
  return ok ? 0 : 1;
}

/* Each frame twice, as generated and with its truth drawn over it. */
static void
add_pair (dd_synth_sheet *sheet, cairo_surface_t *frame,
    const dd_frame_truth *truth)
{
  dd_synth_sheet_add (sheet, frame, NULL);
  dd_synth_sheet_add (sheet, frame, truth);
  cairo_surface_destroy (frame);
}

/* Stills of the first similar image split and frames from the clips of
 * the first video split, as `ddistill synth` would write them. */
static int
contact_sheet (const char *spec_name, const char *path, gboolean have_seed,
    gint64 seed)
{
  g_autoptr (GError) error = NULL;
  dd_spec *spec = dd_spec_load (spec_name, &error);
  if (!spec) {
    fprintf (stderr, "ddistill synth: %s\n", error->message);
    return 1;
  }
  uint64_t s = have_seed ? (uint64_t) seed : spec->seed;
  const dd_split *stills = NULL, *clips = NULL;
  for (int i = 0; i < spec->n_splits; i++) {
    const dd_split *sp = &spec->splits[i];
    if (!stills && sp->kind == DD_SPLIT_IMAGES)
      stills = sp;
    if (!clips && sp->kind == DD_SPLIT_VIDEOS)
      clips = sp;
  }
  dd_synth_sheet *sheet = dd_synth_sheet_new (4, 2);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  dd_scene *scene = g_new (dd_scene, 1);
  const char *legend = "green: visible (v=2), orange: occluded (v=1); "
      "blue: left limbs, red: right";
  if (stills) {
    g_autofree char *title = g_strdup_printf ("%s style: stills of %s   (%s)",
        stills->style->name, stills->name, legend);
    dd_synth_sheet_heading (sheet, title);
    for (int i = 0; i < 6 && i < stills->count; i++) {
      dd_bench_still_scene (spec, stills, s, i, scene);
      add_pair (sheet, dd_synth_render (scene, 0, 0, NULL, truth), truth);
    }
  }
  if (clips) {
    g_autofree char *title = g_strdup_printf ("%s style: frames 0 and %d of "
        "the clips of %s", clips->style->name, clips->frames - 1, clips->name);
    dd_synth_sheet_heading (sheet, title);
    for (int c = 0; c < 3 && c < clips->count; c++) {
      dd_bench_clip_scene (spec, clips, s, c, scene);
      for (int f = 0; f < clips->frames; f += MAX (clips->frames - 1, 1)) {
        double t = dd_video_frame_time ((uint64_t) f, clips->fps) / 1e9;
        add_pair (sheet, dd_synth_render (scene, t, (uint64_t) f, NULL, truth),
            truth);
      }
    }
  }
  g_free (scene);
  g_free (truth);
  cairo_surface_t *out = dd_synth_sheet_finish (sheet);
  gboolean ok = dd_png_save (out, path, &error);
  cairo_surface_destroy (out);
  dd_spec_free (spec);
  if (!ok) {
    fprintf (stderr, "ddistill synth: the contact sheet: %s\n", error->message);
    return 1;
  }
  return 0;
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill synth: %s\n\n%s", message, help);
  return 2;
}

int
dd_cmd_synth (int argc, char **argv)
{
  g_autofree char *spec = NULL, *out = NULL, *sheet = NULL, *seed_text = NULL;
  GOptionEntry entries[] = {
    { "spec", 0, 0, G_OPTION_ARG_STRING, &spec,
      "test, quick, small, or a spec file (default: test)", "SPEC" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "The folder to write the benchmark into", "DIR" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_text,
      "The seed (default: the spec's)", "N" },
    { "contact-sheet", 0, 0, G_OPTION_ARG_FILENAME, &sheet,
      "Draw frames with their ground truth into FILE.png instead (default "
      "spec: quick)", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill synth");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 1)
    return usage_error (ctx, "unexpected arguments: everything is an option");
  guint64 seed = 0;
  if (seed_text && !g_ascii_string_to_unsigned (seed_text, 10, 0, G_MAXINT64,
          &seed, &error))
    return usage_error (ctx, "--seed takes a non-negative integer");
  if (sheet && out)
    return usage_error (ctx, "give --out or --contact-sheet, not both");
  if (sheet)
    return contact_sheet (spec ? spec : "quick", sheet, seed_text != NULL,
        (gint64) seed);
  if (!out)
    return usage_error (ctx, "--out DIR is required");
  return generate (spec ? spec : "test", out, seed_text != NULL, (gint64) seed);
}
