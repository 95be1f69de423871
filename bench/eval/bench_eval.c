/* Benchmark of the COCO evaluator: a seeded scene of N images with P people
 * each (boxes, areas, 17 keypoints, a few crowds), noisy detections of most
 * people and a few false ones per image, then dd_eval_run() and the
 * standard numbers, timed on the calling thread alone.
 *
 *   bench_eval [--images 5000] [--people 20] [--runs 7] [--seed 1] [--write DIR]
 *
 * Prints the median, fastest and slowest run for boxes and for keypoints,
 * in wall time and in CPU time of the (single) thread.
 * With --write, also writes DIR/gt.json, DIR/dt_bbox.json and
 * DIR/dt_keypoints.json (pycocotools' results format), to time
 * `ddistill eval` end to end or pycocotools on the same data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/coco_private.h"
#include "eval/eval.h"
#include "nn/rng.h"

typedef struct options {
  int images, people, runs;
  uint64_t seed;
  const char *write_dir;
} options;

static const int person_category = 1;

static dd_coco_dataset *
make_ground_truth (dd_rng *rng, const options *o)
{
  static char *names[DD_COCO_PERSON_KEYPOINTS] = {
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
  };
  dd_coco_dataset *gt = dd_coco_dataset_new ();
  dd_coco_category cat = { .id = person_category, .name = "person",
    .n_keypoints = DD_COCO_PERSON_KEYPOINTS, .keypoint_names = names };
  dd_coco_add_category (gt, &cat);
  int64_t ann_id = 1;
  for (int i = 1; i <= o->images; i++) {
    char file[32];
    g_snprintf (file, sizeof file, "%012d.jpg", i);
    dd_coco_image image = { .id = i, .file_name = file, .width = 640, .height = 480,
      .timestamp_ns = -1 };
    dd_coco_add_image (gt, &image);
    for (int p = 0; p < o->people; p++) {
      /* Heights from 10 to 400 pixels, people about half as wide; boxes
       * to 1/100 pixel and keypoints to whole pixels, as COCO's. */
      double h = round (1000 * exp (dd_rng_uniform (rng) * log (40.0))) / 100;
      double w = round (100 * h * dd_rng_range (rng, .3f, .7f)) / 100;
      double x = round (dd_rng_range (rng, 0, (float) (640 - w)) * 100) / 100;
      double y = round (dd_rng_range (rng, 0, 480) * 100) / 100;
      float kps[3 * DD_COCO_PERSON_KEYPOINTS];
      int visible = 0;
      for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
        float u = dd_rng_uniform (rng);
        int v = u < .2f ? 0 : u < .4f ? 1 : 2;
        kps[3 * k] = v ? roundf ((float) (x + w * dd_rng_uniform (rng))) : 0;
        kps[3 * k + 1] = v ? roundf ((float) (y + h * dd_rng_uniform (rng))) : 0;
        kps[3 * k + 2] = (float) v;
        visible += v > 0;
      }
      dd_coco_annotation ann = { .id = ann_id++, .image_id = i,
        .category_id = person_category, .bbox = { x, y, w, h },
        .area = round (w * h * dd_rng_range (rng, .5f, .9f) * 100) / 100,
        .iscrowd = dd_rng_uniform (rng) < .02f, .num_keypoints = visible,
        .n_keypoints = DD_COCO_PERSON_KEYPOINTS, .keypoints = kps };
      dd_coco_add_annotation (gt, &ann);
    }
  }
  return gt;
}

/* pycocotools' loadRes areas: w * h for boxes, the keypoints' extent for
 * keypoints. */
static void
add_detection (dd_coco_dataset *dt, dd_eval_iou_type type, int64_t image_id,
    const double box[4], const float *kps, double score)
{
  dd_coco_annotation d = { .id = dt->annotations->len + 1, .image_id = image_id,
    .category_id = person_category, .has_score = 1, .score = score };
  if (type == DD_EVAL_BBOX) {
    memcpy (d.bbox, box, sizeof d.bbox);
    d.area = box[2] * box[3];
  } else {
    double x0 = kps[0], x1 = kps[0], y0 = kps[1], y1 = kps[1];
    for (int k = 1; k < DD_COCO_PERSON_KEYPOINTS; k++) {
      x0 = MIN (x0, kps[3 * k]);
      x1 = MAX (x1, kps[3 * k]);
      y0 = MIN (y0, kps[3 * k + 1]);
      y1 = MAX (y1, kps[3 * k + 1]);
    }
    d.bbox[0] = x0;
    d.bbox[1] = y0;
    d.bbox[2] = x1 - x0;
    d.bbox[3] = y1 - y0;
    d.area = (x1 - x0) * (y1 - y0);
    d.n_keypoints = DD_COCO_PERSON_KEYPOINTS;
    d.keypoints = (float *) kps;
  }
  dd_coco_add_annotation (dt, &d);
}

/* 90% of the people found, with noise of a few percent of their size, and
 * three false detections per image. */
static dd_coco_dataset *
make_detections (dd_rng *rng, const dd_coco_dataset *gt, dd_eval_iou_type type)
{
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  float kps[3 * DD_COCO_PERSON_KEYPOINTS];
  for (guint j = 0; j < gt->annotations->len; j++) {
    const dd_coco_annotation *a = &g_array_index (gt->annotations, dd_coco_annotation, j);
    if (dd_rng_uniform (rng) < .1f)
      continue;
    double s = .05 * a->bbox[3];
    double box[4] = { a->bbox[0] + s * dd_rng_normal (rng), a->bbox[1] + s * dd_rng_normal (rng),
      a->bbox[2] * (1 + .05 * dd_rng_normal (rng)), a->bbox[3] * (1 + .05 * dd_rng_normal (rng)) };
    box[2] = MAX (box[2], 1);
    box[3] = MAX (box[3], 1);
    for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
      gboolean labelled = a->keypoints[3 * k + 2] > 0;
      kps[3 * k] = (float) ((labelled ? a->keypoints[3 * k] : a->bbox[0] + a->bbox[2] / 2)
          + .3 * s * dd_rng_normal (rng));
      kps[3 * k + 1] = (float) ((labelled ? a->keypoints[3 * k + 1] : a->bbox[1] + a->bbox[3] / 2)
          + .3 * s * dd_rng_normal (rng));
      kps[3 * k + 2] = 1;
    }
    add_detection (dt, type, a->image_id, box, kps, dd_rng_uniform (rng));
  }
  for (guint i = 0; i < gt->images->len; i++)
    for (int f = 0; f < 3; f++) {
      double box[4] = { dd_rng_range (rng, 0, 600), dd_rng_range (rng, 0, 400), 40, 80 };
      for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
        kps[3 * k] = (float) (box[0] + 40 * dd_rng_uniform (rng));
        kps[3 * k + 1] = (float) (box[1] + 80 * dd_rng_uniform (rng));
        kps[3 * k + 2] = 1;
      }
      add_detection (dt, type, g_array_index (gt->images, dd_coco_image, i).id, box, kps,
          .5 * dd_rng_uniform (rng));
    }
  return dt;
}

static double
seconds (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Evaluation and the standard numbers, as `ddistill eval` computes them:
 * wall time, and the CPU time of this thread (what the run costs on one
 * core, whatever else the machine is doing). */
static double
time_once (const dd_coco_dataset *gt, const dd_coco_dataset *dt, dd_eval_iou_type type,
    double *ap, double *cpu)
{
  double t0 = seconds (CLOCK_MONOTONIC), c0 = seconds (CLOCK_THREAD_CPUTIME_ID);
  g_autoptr (GError) error = NULL;
  dd_eval_result *r = dd_eval_run (gt, dt, type, &error);
  if (!r)
    g_error ("evaluation failed: %s", error->message);
  const dd_eval_metric *metrics;
  int n = dd_eval_table_metrics (type, &metrics);
  for (int i = 0; i < n; i++) {
    double v = dd_eval_summarize (r, metrics[i].ap, metrics[i].iou_thr, metrics[i].area,
        metrics[i].max_dets, -1);
    if (i == 0)
      *ap = v;
  }
  double elapsed = seconds (CLOCK_MONOTONIC) - t0;
  *cpu = seconds (CLOCK_THREAD_CPUTIME_ID) - c0;
  dd_eval_result_free (r);
  return elapsed;
}

static void
bench (const char *label, const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type, int runs)
{
  g_autofree double *times = g_new (double, runs);
  g_autofree double *cpu = g_new (double, runs);
  double ap = 0;
  for (int i = 0; i < runs; i++)
    times[i] = time_once (gt, dt, type, &ap, &cpu[i]);
  qsort (times, runs, sizeof (double), compare_doubles);
  qsort (cpu, runs, sizeof (double), compare_doubles);
  printf ("%-9s %6u gt %6u dt  AP %.3f  median %.3f s wall (%.3f..%.3f), "
      "%.3f s cpu (%.3f..%.3f), %d runs\n", label, gt->annotations->len,
      dt->annotations->len, ap, times[runs / 2], times[0], times[runs - 1], cpu[runs / 2],
      cpu[0], cpu[runs - 1], runs);
}

/* pycocotools' results format: what a detector hands to loadRes. */
static void
write_results (const dd_coco_dataset *dt, dd_eval_iou_type type, const char *path)
{
  GString *s = g_string_new ("[");
  for (guint j = 0; j < dt->annotations->len; j++) {
    const dd_coco_annotation *d = &g_array_index (dt->annotations, dd_coco_annotation, j);
    g_string_append_printf (s, "%s\n{\"image_id\": %" G_GINT64_FORMAT ", \"category_id\": %d, ",
        j ? "," : "", d->image_id, d->category_id);
    if (type == DD_EVAL_BBOX) {
      g_string_append (s, "\"bbox\": [");
      for (int i = 0; i < 4; i++) {
        dd_coco_append_double (s, d->bbox[i]);
        g_string_append (s, i < 3 ? ", " : "]");
      }
    } else {
      g_string_append (s, "\"keypoints\": [");
      for (int i = 0; i < 3 * d->n_keypoints; i++) {
        dd_coco_append_double (s, d->keypoints[i]);
        g_string_append (s, i + 1 < 3 * d->n_keypoints ? ", " : "]");
      }
    }
    g_string_append (s, ", \"score\": ");
    dd_coco_append_double (s, d->score);
    g_string_append_c (s, '}');
  }
  g_string_append (s, "\n]\n");
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (path, s->str, (gssize) s->len, &error))
    g_error ("%s", error->message);
  g_string_free (s, TRUE);
}

static void
write_files (const options *o, const dd_coco_dataset *gt, const dd_coco_dataset *boxes,
    const dd_coco_dataset *keypoints)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *gt_path = g_build_filename (o->write_dir, "gt.json", NULL);
  g_autofree char *box_path = g_build_filename (o->write_dir, "dt_bbox.json", NULL);
  g_autofree char *kp_path = g_build_filename (o->write_dir, "dt_keypoints.json", NULL);
  if (g_mkdir_with_parents (o->write_dir, 0755) != 0 || !dd_coco_write (gt, gt_path, &error))
    g_error ("cannot write into %s: %s", o->write_dir, error ? error->message : "mkdir failed");
  write_results (boxes, DD_EVAL_BBOX, box_path);
  write_results (keypoints, DD_EVAL_KEYPOINTS, kp_path);
  printf ("wrote %s, %s, %s\n", gt_path, box_path, kp_path);
}

int
main (int argc, char **argv)
{
  options o = { .images = 5000, .people = 20, .runs = 7, .seed = 1 };
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "images", 0, 0, G_OPTION_ARG_INT, &o.images, "Images (5000)", "N" },
    { "people", 0, 0, G_OPTION_ARG_INT, &o.people, "People per image (20)", "P" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &o.runs, "Timed runs per iou type (7)", "R" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the scene (1)", "S" },
    { "write", 0, 0, G_OPTION_ARG_FILENAME, &o.write_dir,
      "Also write gt.json, dt_bbox.json, dt_keypoints.json there", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- time the COCO evaluator");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || o.images < 1 || o.people < 0
      || o.runs < 1) {
    fprintf (stderr, "bench_eval: %s\n", error ? error->message
        : "--images and --runs must be at least 1, --people at least 0");
    return 2;
  }
  o.seed = (uint64_t) seed;
  dd_rng rng;
  dd_rng_seed (&rng, o.seed, 0);
  dd_coco_dataset *gt = make_ground_truth (&rng, &o);
  dd_coco_dataset *boxes = make_detections (&rng, gt, DD_EVAL_BBOX);
  dd_coco_dataset *keypoints = make_detections (&rng, gt, DD_EVAL_KEYPOINTS);
  if (o.write_dir)
    write_files (&o, gt, boxes, keypoints);
  bench ("bbox", gt, boxes, DD_EVAL_BBOX, o.runs);
  bench ("keypoints", gt, keypoints, DD_EVAL_KEYPOINTS, o.runs);
  dd_coco_dataset_free (keypoints);
  dd_coco_dataset_free (boxes);
  dd_coco_dataset_free (gt);
  return 0;
}
