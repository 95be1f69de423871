/* Benchmark of the ensembling rules: time per frame of dd_ensembler_run on
 * synthetic passes, on the calling thread alone.
 *
 *   bench_distill [--spec scales=64:192:16,flip] [--frame 128] [--candidates 50]
 *                 [--frames 20] [--runs 7] [--seed 1]
 *
 * Each frame is a made-up scene of ten people (tests/distill/scene_maps.h)
 * on a frame x frame image with stride-4 maps (32x32 for 128), seen through
 * every transform of the spec (the default: 9 scales, each also flipped,
 * 18 passes with the identity among them): each pass's maps are the
 * frame's resampled onto its grid plus uniform noise up to 0.05 in the
 * heatmaps, and its candidates are the top `candidates` decoded from them
 * (17 keypoints each). Building the passes is not timed; each rule then
 * ensembles every frame `runs` times. Prints, per rule, the median, fastest
 * and slowest run in milliseconds per frame, wall and thread CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distill/ensemble.h"
#include "distill/tta_maps.h"
#include "distill/tta_spec.h"
#include "model/decode.h"
#include "scene_maps.h"

#define STRIDE 4
#define N_CLASSES 1

typedef struct options {
  const char *spec;
  int frame, candidates, frames, runs;
  uint64_t seed;
} options;

typedef struct frame_passes {
  int n;
  dd_pass passes[DD_TTA_MAX_TRANSFORMS];
  dd_head_maps maps[DD_TTA_MAX_TRANSFORMS];
  dd_detection *dets[DD_TTA_MAX_TRANSFORMS];
} frame_passes;

static const int person_pairs[8][2] = {
  { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 }, { 9, 10 }, { 11, 12 }, { 13, 14 }, { 15, 16 },
};

static void
make_frame (frame_passes *f, const dd_tta_transform *ts, int n, const options *o,
    const dd_flip_map *fm, dd_rng *rng)
{
  scene_person people[10];
  dd_head_maps frame;
  scene_people (rng, o->frame, o->frame, STRIDE, 5, 2, N_CLASSES, people);
  dd_maps_init (&frame, o->frame / STRIDE, o->frame / STRIDE, STRIDE, N_CLASSES,
      SCENE_KEYPOINTS, DD_MAPS_ALL);
  scene_draw (&frame, people, 10);
  dd_decode_params dp;
  dd_decode_params_defaults (&dp);
  dp.max_detections = o->candidates;
  f->n = n;
  for (int i = 0; i < n; i++) {
    const dd_tta_transform *t = &ts[i];
    dd_head_maps *m = &f->maps[i];
    dd_maps_init (m, (t->height + STRIDE - 1) / STRIDE, (t->width + STRIDE - 1) / STRIDE,
        STRIDE, N_CLASSES, SCENE_KEYPOINTS, DD_MAPS_ALL);
    if (!dd_tta_maps_forward (t, fm, &frame, DD_MAPS_ALL, m, NULL))
      abort ();
    size_t plane = (size_t) m->h * m->w;
    for (size_t j = 0; j < plane * N_CLASSES; j++)
      m->center[j] += 0.05f * dd_rng_uniform (rng);
    for (size_t j = 0; j < plane * SCENE_KEYPOINTS; j++)
      m->keypoint_heatmap[j] += 0.05f * dd_rng_uniform (rng);
    f->dets[i] = g_new0 (dd_detection, o->candidates);
    int got = dd_decode (m, &dp, f->dets[i]);
    f->passes[i] = (dd_pass) { *t, f->dets[i], got, m };
  }
  dd_maps_clear (&frame);
}

static void
free_frame (frame_passes *f)
{
  for (int i = 0; i < f->n; i++) {
    dd_maps_clear (&f->maps[i]);
    g_free (f->dets[i]);
  }
}

static double
seconds (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int
by_value (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static const struct {
  const char *name, *rules;
} modes[] = {
  { "keypoints (paper): identity boxes, averaged maps", "boxes=identity,keypoints=average" },
  { "keypoints, argmax in box", "boxes=identity,keypoints=argmax" },
  { "boxes (paper): NMS + voting", "boxes=nms,keypoints=own" },
  { "boxes: NMS + voting, averaged keypoints", "boxes=nms,keypoints=average" },
  { "boxes: soft-NMS linear + voting", "boxes=soft-linear,keypoints=own" },
  { "boxes: soft-NMS gaussian + voting", "boxes=soft-gaussian,keypoints=own" },
  { "boxes: weighted boxes fusion", "boxes=wbf,keypoints=own" },
  { "classes: averaged centre maps", "boxes=identity,keypoints=own,classes=average" },
  { "all maps averaged, decoded", "boxes=maps" },
};

static gboolean
parse_options (int argc, char **argv, options *o)
{
  *o = (options) { "scales=64:192:16,flip", 128, 50, 20, 7, 1 };
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL)
      return FALSE;
    if (strcmp (a, "--spec") == 0)
      o->spec = v;
    else if (strcmp (a, "--frame") == 0)
      o->frame = atoi (v);
    else if (strcmp (a, "--candidates") == 0)
      o->candidates = atoi (v);
    else if (strcmp (a, "--frames") == 0)
      o->frames = atoi (v);
    else if (strcmp (a, "--runs") == 0)
      o->runs = atoi (v);
    else if (strcmp (a, "--seed") == 0)
      o->seed = strtoull (v, NULL, 10);
    else
      return FALSE;
    i++;
  }
  return o->frame >= 16 && o->frame % STRIDE == 0 && o->candidates > 0
      && o->frames > 0 && o->runs > 0;
}

int
main (int argc, char **argv)
{
  options o;
  if (!parse_options (argc, argv, &o)) {
    fprintf (stderr, "usage: bench_distill [--spec SPEC] [--frame PIXELS, a multiple "
        "of 4] [--candidates N] [--frames N] [--runs N] [--seed N]\n");
    return 2;
  }
  GError *error = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse (o.spec, &error);
  dd_tta_transform ts[DD_TTA_MAX_TRANSFORMS];
  int n = spec ? dd_tta_spec_resolve (spec, o.frame, o.frame, ts, &error) : -1;
  if (n < 0) {
    fprintf (stderr, "bench_distill: %s\n", error->message);
    return 1;
  }
  dd_flip_map fm;
  dd_flip_map_init (&fm, person_pairs, 8, SCENE_KEYPOINTS, NULL);
  dd_rng rng;
  dd_rng_seed (&rng, o.seed, 0);
  frame_passes *frames = g_new0 (frame_passes, o.frames);
  long candidates = 0;
  for (int i = 0; i < o.frames; i++) {
    make_frame (&frames[i], ts, n, &o, &fm, &rng);
    for (int p = 0; p < n; p++)
      candidates += frames[i].passes[p].n_detections;
  }
  printf ("%d transforms (%s) of a %dx%d frame, %d stride-%d maps at the frame, "
      "%.1f candidates per frame, %d frames x %d runs\n", n, o.spec, o.frame, o.frame,
      o.frame / STRIDE, STRIDE, (double) candidates / o.frames, o.frames, o.runs);
  printf ("%-50s %26s %26s\n", "ms per frame", "wall: median (min-max)",
      "cpu: median (min-max)");
  GArray *out = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  for (size_t m = 0; m < G_N_ELEMENTS (modes); m++) {
    dd_ensemble_params p;
    dd_ensemble_params_init (&p);
    if (!dd_ensemble_params_parse (&p, modes[m].rules, &error))
      g_error ("%s", error->message);
    dd_ensembler *e = dd_ensembler_new (&p, &fm);
    double *wall = g_new (double, o.runs), *cpu = g_new (double, o.runs);
    long labels = 0;
    for (int r = 0; r < o.runs; r++) {
      double w0 = seconds (CLOCK_MONOTONIC), c0 = seconds (CLOCK_THREAD_CPUTIME_ID);
      for (int i = 0; i < o.frames; i++) {
        g_array_set_size (out, 0);
        if (!dd_ensembler_run (e, frames[i].passes, n, out, &error))
          g_error ("%s", error->message);
        labels += out->len;
      }
      wall[r] = 1e3 * (seconds (CLOCK_MONOTONIC) - w0) / o.frames;
      cpu[r] = 1e3 * (seconds (CLOCK_THREAD_CPUTIME_ID) - c0) / o.frames;
    }
    qsort (wall, o.runs, sizeof *wall, by_value);
    qsort (cpu, o.runs, sizeof *cpu, by_value);
    char a[64], b[64];
    g_snprintf (a, sizeof a, "%.3f (%.3f-%.3f)", wall[o.runs / 2], wall[0], wall[o.runs - 1]);
    g_snprintf (b, sizeof b, "%.3f (%.3f-%.3f)", cpu[o.runs / 2], cpu[0], cpu[o.runs - 1]);
    printf ("%-50s %26s %26s   [%s] %.1f labels/frame\n", modes[m].name, a, b,
        modes[m].rules, (double) labels / o.frames / o.runs);
    g_free (wall);
    g_free (cpu);
    dd_ensembler_free (e);
  }
  g_array_unref (out);
  for (int i = 0; i < o.frames; i++)
    free_frame (&frames[i]);
  g_free (frames);
  dd_tta_spec_free (spec);
  return 0;
}
