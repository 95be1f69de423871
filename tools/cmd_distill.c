/* `ddistill distill --spec NAME|FILE [--rounds R] [--out DIR] [--data DIR]
 * [--device NAME]`: data distillation end to end, as an experiment. */
#include <errno.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "benchmark_tree.h"
#include "distill_report.h"
#include "experiment_spec.h"
#include "idle_threads.h"
#include "label_pipeline.h"
#include "label_set.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "model/trainer.h"
#include "model_scores.h"
#include "run_state.h"
#include "train_pipeline.h"
#include "tta_predictor.h"
#include "video_frames.h"

gboolean gst_plugin_ddistill_register (void);

static const char summary[] =
    "Runs data distillation (Radosavovic et al., CVPR 2018) as an experiment:\n"
    "  1. trains a teacher on the labelled split (dddatasetsrc ! ddtrain);\n"
    "  2. runs it on test-time transforms of every image of the unlabelled split\n"
    "     (sampled from its videos first, through ddcorpussrc ! ddsampler) and\n"
    "  3. ensembles the passes (dddatasetsrc ! ddlabel), then selects hard labels\n"
    "     by count matching against the labelled split (lib/distill);\n"
    "  4. trains a student from the initial weights on manual and automatic\n"
    "     labels mixed in every minibatch (ddtrain's labeled and automatic pads)\n"
    "     with the longer schedule; then evaluates every model on the validation\n"
    "     split (keypoint and box AP, lib/eval) and prints a table like the\n"
    "     paper's Table 1: supervised, the teacher with test-time transforms, the\n"
    "     student, and the spec's baselines.\n"
    "With --rounds R the student of each round teaches the next.\n"
    "\n"
    "SPEC is a built-in experiment (test, quick, small-a, small-a-core,\n"
    "small-a-rho, small-a-seed2, small-b to small-e, small-b-rho: see\n"
    "bench/distill-experiments/) or a spec file. The benchmark it names is\n"
    "generated into DIR/data/NAME unless --data gives one. Training runs,\n"
    "labels and snapshots are kept under DIR (runs/, labels/) and named by what\n"
    "they are, so experiments sharing an --out share their common steps, and a\n"
    "run started again resumes where it stopped. The results go to\n"
    "DIR/EXPERIMENT/results.json and table.txt.\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported), 2 bad usage.";

typedef struct {
  const dd_experiment *e;
  int rounds;
  const char *device;
  char *out, *data, *exp_dir;
  dd_benchmark_tree *bench;
  dd_backend *be;
  dd_ensemble_params rules;
  char *labeled_json;
  dd_coco_dataset *labeled, *val, *corpus, *truth;
  char *corpus_json, *corpus_images;
  char *network;                /* dd_model_network_sha256 at the runs' input size */
} experiment;

static int
fail (GError *error)
{
  fprintf (stderr, "ddistill distill: %s\n", error->message);
  return 1;
}

/* Creates `folder` (and its parents), or says which and why not. */
static gboolean
make_folder (const char *folder, GError **error)
{
  if (g_mkdir_with_parents (folder, 0755) == 0)
    return TRUE;
  int saved = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
      "cannot create the folder %s: %s", folder, g_strerror (saved));
  return FALSE;
}

static char *
split_json (const experiment *x, const char *split, gboolean hidden)
{
  g_autofree char *file = g_strconcat (split, ".json", NULL);
  return hidden ? g_build_filename (x->data, "hidden", file, NULL)
      : g_build_filename (x->data, file, NULL);
}

static const dd_tree_split *
find_split (const experiment *x, const char *name, const char *role, GError **error)
{
  const dd_tree_split *s = dd_benchmark_tree_find (x->bench, name, role, error);
  if (!s)
    g_prefix_error (error, "%s: ", x->e->source);
  return s;
}

/* Runs are named by the network's content, not the spec's model name, so
 * that an edited preset (or the spec pointed at another file) starts new
 * runs instead of reusing the old network's. */
static gboolean
fingerprint_network (experiment *x, GError **error)
{
  char err[1024];
  dd_detector *det = dd_detector_load (x->e->model, err, sizeof err);
  if (!det) {
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s: model: %s", x->e->source, err);
    return FALSE;
  }
  int h = x->e->size, w = x->e->size;
  if (h == 0)
    dd_net_default_size (det->net, &h, &w);
  x->network = dd_model_network_sha256 (det, h, w);
  dd_detector_free (det);
  if (!x->network)
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s: out of memory", x->e->model);
  return x->network != NULL;
}

/* ---- Data -------------------------------------------------------------------- */

/* The benchmark tree: --data, or generated under DIR/data/NAME (named by
 * the spec, so that a file spec's tree is found again). */
static gboolean
prepare_data (experiment *x, const char *data_dir, GError **error)
{
  g_autofree char *base = g_path_get_basename (x->e->benchmark);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = 0;
  x->data = data_dir ? g_strdup (data_dir) : g_build_filename (x->out, "data", base, NULL);
  x->bench = dd_benchmark_tree_open (x->e->benchmark, x->data, error);
  return x->bench != NULL;
}

static dd_coco_dataset *
read_set (const char *json, const char *images, GError **error)
{
  return dd_coco_read_full (json, images, DD_COCO_READ_CHECK_IMAGES, error);
}

/* The corpus the teacher labels: a split's images (their labels, or its
 * hidden truth, kept apart to measure the automatic labels), or frames
 * sampled from a video split. */
static gboolean
open_corpus (experiment *x, const dd_tree_split *s, GError **error)
{
  if (s->videos) {
    g_autofree char *videos = g_build_filename (x->data, s->name, NULL);
    g_autofree char *name = g_strdup_printf ("%s-%d", s->name, x->e->video_frames);
    g_autofree char *out = g_build_filename (x->out, "frames", name, NULL);
    x->corpus_json = dd_video_frames_extract (videos, x->e->video_frames, x->e->seed,
        out, error);
    x->corpus_images = g_path_get_dirname (x->corpus_json ? x->corpus_json : ".");
  } else {
    x->corpus_json = split_json (x, s->name, FALSE);
    x->corpus_images = g_strdup (x->data);
  }
  if (!x->corpus_json
      || !(x->corpus = read_set (x->corpus_json, x->corpus_images, error)))
    return FALSE;
  g_autofree char *truth = split_json (x, s->name, s->hidden_truth || s->videos);
  if (!s->videos) {
    x->truth = read_set (truth, x->data, error);
    return x->truth != NULL;
  }
  /* A video split's truth is per frame of each clip: the sampled ones'. */
  dd_coco_dataset *clips = dd_coco_read (truth, error);
  x->truth = clips ? dd_video_frames_truth (x->corpus, clips, error) : NULL;
  dd_coco_dataset_free (clips);
  return x->truth != NULL;
}

static gboolean
open_sets (experiment *x, GError **error)
{
  const dd_experiment *e = x->e;
  const dd_tree_split *labeled = find_split (x, e->labeled, "labeled", error);
  const dd_tree_split *val = labeled ? find_split (x, e->val, "val", error) : NULL;
  const dd_tree_split *unlabeled = val ? find_split (x, e->unlabeled, "unlabeled", error)
      : NULL;
  if (!unlabeled)
    return FALSE;
  if (labeled->videos || labeled->hidden_truth || val->videos) {
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s: the labeled and val splits must "
        "be labelled image splits", e->source);
    return FALSE;
  }
  x->labeled_json = split_json (x, labeled->name, FALSE);
  g_autofree char *val_json = split_json (x, val->name, val->hidden_truth);
  return (x->labeled = read_set (x->labeled_json, x->data, error))
      && (x->val = read_set (val_json, x->data, error)) && open_corpus (x, unlabeled, error);
}

/* ---- Models ------------------------------------------------------------------ */

static char *
short_hash (const char *text)
{
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  return g_strndup (sha, 10);
}

/* Scores a model on val: plainly when `transforms` is empty (the identity
 * pass alone, whatever the experiment's rules: plain prediction), else with
 * the test-time transforms ensembled by the experiment's rules. */
static JsonNode *
score_model (experiment *x, const char *model_dir, const char *transforms,
    const char *title, GError **error)
{
  dd_ensemble_params plain;
  dd_ensemble_params_init (&plain);
  /* The default keypoint rule re-reads the (one pass's) heatmaps by
   * lib/distill's rule, which is not the decoder's: own keeps the
   * decoder's keypoints, so the identity pass is plain prediction. */
  plain.keypoints = DD_ENSEMBLE_KEYPOINTS_OWN;
  dd_tta_predictor *p = dd_tta_predictor_new (model_dir, x->be, transforms,
      *transforms ? &x->rules : &plain, error);
  if (!p)
    return NULL;
  dd_model_scores s;
  gboolean ok = dd_model_scores_measure (p, x->val, title, &s, error);
  dd_tta_predictor_free (p);
  return ok ? dd_model_scores_to_json (&s) : NULL;
}

/* The checkpoint of `run` as a model folder `dir`, to score it. */
static gboolean
snapshot (experiment *x, const char *run, const char *dir, GError **error)
{
  char err[1024];
  g_autofree char *checkpoint = g_build_filename (run, DD_TRAIN_CHECKPOINT, NULL);
  if (!make_folder (dir, error))
    return FALSE;
  dd_detector *det = dd_detector_load (x->e->model, err, sizeof err);
  int h = x->e->size, w = x->e->size;
  if (det && h == 0)
    dd_net_default_size (det->net, &h, &w);
  gboolean ok = det
      && !dd_detector_setup (det, x->be, DD_NET_INFER, 1, h, w, err, sizeof err)
      && !dd_model_dir_save (det, checkpoint, dir, h, w, err, sizeof err);
  if (!ok)
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "snapshot of %s: %s", run, err);
  dd_detector_free (det);
  return ok;
}

static JsonNode *
training_json (const dd_training_outcome *o)
{
  JsonObject *t = json_object_new ();
  json_object_set_int_member (t, "iterations", o->iteration);
  json_object_set_boolean_member (t, "reused", o->already_done);
  if (isnan (o->first_loss))
    json_object_set_null_member (t, "first_loss");
  else
    json_object_set_double_member (t, "first_loss", o->first_loss);
  if (isnan (o->last_loss))
    json_object_set_null_member (t, "last_loss");
  else
    json_object_set_double_member (t, "last_loss", o->last_loss);
  json_object_set_double_member (t, "images_per_second", o->images_per_second);
  json_object_set_int_member (t, "labeled_drawn", (gint64) o->labeled_drawn);
  json_object_set_int_member (t, "automatic_drawn", (gint64) o->automatic_drawn);
  return json_node_init_object (json_node_alloc (), t);
}

static JsonNode *
curve_point (int64_t iteration, JsonNode *scores)
{
  JsonObject *p = json_object_new ();
  json_object_set_int_member (p, "iteration", iteration);
  json_object_set_member (p, "scores", scores);
  return json_node_init_object (json_node_alloc (), p);
}

/* Trains (or finds) a run and scores it: {"run", "training", "scores",
 * "curve"}; *model_dir gets its folder. With curve points, the run goes in
 * slices and each slice's checkpoint is scored. */
static JsonNode *
train_and_score (experiment *x, dd_training *t, const char *prefix, int curve_points,
    char **model_dir, GError **error)
{
  const dd_experiment *e = x->e;
  /* "unknown": students from before ddtrain ignored the teacher's
   * unlabelled keypoints trained otherwise, so they are other runs. */
  g_autofree char *what = g_strdup_printf ("network=%s size=%d seed=%" G_GUINT64_FORMAT
      " labeled=%s automatic=%s iterations=%" G_GINT64_FORMAT " batch=%d lr=%g "
      "ratio=%g rho=%g%s", x->network, e->size, t->phase.seed, t->labeled,
      t->automatic ? t->automatic : "-", t->phase.iterations, t->phase.batch,
      t->phase.lr, t->automatic ? t->phase.ratio : 0, t->automatic ? t->phase.rho : 0,
      t->automatic ? " automatic_keypoints=unknown" : "");
  g_autofree char *hash = short_hash (what);
  g_autofree char *name = g_strdup_printf ("%s-%s", prefix, hash);
  char *out = g_build_filename (x->out, "runs", name, NULL);
  t->out = out;
  JsonArray *curve = json_array_new ();
  dd_training_outcome o = { 0 };
  double first_loss = NAN;      /* iteration 1's, in whichever slice ran it */
  gboolean ok = TRUE;
  for (int k = 1; k < curve_points && ok; k++) {
    int64_t at = t->phase.iterations * k / curve_points;
    g_autofree char *label = g_strdup_printf ("at-%" G_GINT64_FORMAT, at);
    g_autofree char *snap = g_build_filename (out, label, NULL);
    if (!dd_model_saved (snap)) {
      /* Trained past `at` without this slice (by a spec with fewer curve
       * points): its weights there are gone, and a later step's must not
       * stand for them. */
      if (dd_training_done (out, t->phase.iterations)) {
        fprintf (stderr, "  %-9s no curve point at %" G_GINT64_FORMAT ": %s was "
            "trained to the end without one\n", t->title, at, out);
        continue;
      }
      int64_t reached;
      if (!(ok = dd_run_checkpoint_step (out, &reached, error)))
        break;
      if (reached > at) {
        fprintf (stderr, "  %-9s no curve point at %" G_GINT64_FORMAT ": %s is at "
            "iteration %" G_GINT64_FORMAT " already\n", t->title, at, out, reached);
        continue;
      }
      t->stop_after = at;
      ok = dd_training_run (t, &o, error) && snapshot (x, out, snap, error);
      if (isnan (first_loss))
        first_loss = o.first_loss;
    }
    JsonNode *s = ok ? score_model (x, snap, "", t->title, error) : NULL;
    ok = s != NULL;
    if (ok)
      json_array_add_element (curve, curve_point (at, s));
  }
  t->stop_after = 0;
  ok = ok && dd_training_run (t, &o, error);
  if (isnan (o.first_loss))
    o.first_loss = first_loss;
  JsonNode *scores = ok ? score_model (x, out, "", t->title, error) : NULL;
  if (!scores) {
    json_array_unref (curve);
    g_free (out);
    return NULL;
  }
  json_array_add_element (curve, curve_point (t->phase.iterations,
          json_node_copy (scores)));
  JsonObject *r = json_object_new ();
  json_object_set_string_member (r, "run", out);
  json_object_set_member (r, "training", training_json (&o));
  json_object_set_member (r, "scores", scores);
  json_object_set_array_member (r, "curve", curve);
  *model_dir = out;
  return json_node_init_object (json_node_alloc (), r);
}

static void
supervised (const experiment *x, dd_training *t, const char *title,
    const char *labeled_json, const dd_phase *phase)
{
  *t = (dd_training) {
    .title = title, .model = x->e->model, .size = x->e->size, .device = x->device,
    .labeled = labeled_json, .labeled_images = x->data,
    .phase = *phase,
  };
}

/* ---- Labels ------------------------------------------------------------------ */

static JsonNode *
labels_json (const dd_label_outcome *o, const char *file, JsonNode *vs_truth)
{
  JsonObject *l = json_object_new ();
  json_object_set_string_member (l, "file", file);
  json_object_set_int_member (l, "images", o->images);
  json_object_set_int_member (l, "candidates", o->candidates);
  json_object_set_int_member (l, "labels", o->labels);
  json_object_set_double_member (l, "labels_per_image", o->images
      ? (double) o->labels / o->images : 0);
  json_object_set_double_member (l, "seconds", o->seconds);
  json_object_set_member (l, "thresholds", dd_thresholds_to_json (&o->thresholds));
  if (vs_truth)
    json_object_set_member (l, "scores_vs_truth", vs_truth);
  else
    json_object_set_null_member (l, "scores_vs_truth");
  return json_node_init_object (json_node_alloc (), l);
}

/* Steps 2 and 3 through the elements (label_pipeline.h), the selection
 * through lib/distill (label_set.h). */
static gboolean
make_labels (experiment *x, const char *teacher, const char *file,
    dd_label_outcome *o, GError **error)
{
  char err[1024];
  dd_detector *model = dd_model_dir_load (teacher, err, sizeof err);
  if (!model) {
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s", err);
    return FALSE;
  }
  g_autofree char *folder = g_path_get_dirname (file);
  JsonObject *prov = json_object_new ();
  json_object_set_string_member (prov, "teacher", teacher);
  json_object_set_string_member (prov, "corpus", x->corpus_json);
  json_object_set_string_member (prov, "calibrated_with", x->labeled_json);
  json_object_set_string_member (prov, "pipeline", "dddatasetsrc ! ddlabel ! appsink");
  JsonNode *provenance = json_node_init_object (json_node_alloc (), prov);
  dd_labeler *l = dd_labeler_new ((const char *const *) model->classes,
      model->n_classes, model->n_keypoints, x->labeled, x->corpus, error);
  dd_label_pipeline p = {
    .corpus_json = x->corpus_json, .images = x->corpus_images, .corpus = x->corpus,
    .teacher = teacher, .transforms = x->e->transforms, .rules = x->e->ensemble,
    .device = x->device,
  };
  g_autofree char *passes = NULL;
  gboolean ok = l && make_folder (folder, error)
      && dd_label_pipeline_run (&p, dd_labeler_add, l, &passes, error)
      && dd_labeler_finish (l, passes, x->e->ensemble, provenance, file, o, error);
  json_node_unref (provenance);
  dd_labeler_free (l);
  dd_detector_free (model);
  return ok;
}

/* What a labels file made before says about itself (its provenance). */
static gboolean
labels_made_before (experiment *x, const char *file, dd_label_outcome *o,
    GError **error)
{
  memset (o, 0, sizeof *o);
  dd_coco_dataset *ds = dd_coco_read (file, error);
  if (!ds)
    return FALSE;
  JsonObject *prov = ds->provenance && JSON_NODE_HOLDS_OBJECT (ds->provenance)
      ? json_node_get_object (ds->provenance) : NULL;
  JsonNode *t = prov ? json_object_get_member (prov, "thresholds") : NULL;
  gboolean ok = t && dd_thresholds_from_json (t, &o->thresholds, error);
  if (!t)
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s has no thresholds in its "
        "provenance: it was not written by ddistill distill; remove it", file);
  o->images = x->corpus->images->len;
  o->candidates = -1;
  fprintf (stderr, "  %-9s made before: %s\n", "labels", file);
  dd_coco_dataset_free (ds);
  return ok;
}

/* Labels the corpus with `teacher` (or finds the labels made before):
 * *labels_file gets the automatic dataset. */
static JsonNode *
label_corpus (experiment *x, const char *teacher, char **labels_file, GError **error)
{
  const dd_experiment *e = x->e;
  g_autofree char *what = g_strdup_printf ("teacher=%s corpus=%s labeled=%s "
      "transforms=%s ensemble=%s", teacher, x->corpus_json, x->labeled_json,
      e->transforms, e->ensemble);
  g_autofree char *hash = short_hash (what);
  g_autofree char *name = g_strdup_printf ("%s-%s.json", e->unlabeled, hash);
  char *file = g_build_filename (x->out, "labels", name, NULL);
  dd_label_outcome o;
  gboolean ok = g_file_test (file, G_FILE_TEST_IS_REGULAR)
      ? labels_made_before (x, file, &o, error) : make_labels (x, teacher, file, &o, error);
  dd_coco_dataset *labels = ok ? read_set (file, x->corpus_images, error) : NULL;
  JsonNode *vs_truth = NULL;
  if (labels && x->truth) {
    dd_model_scores s;
    ok = dd_model_scores_of_labels (x->truth, labels, &s, error);
    vs_truth = ok ? dd_model_scores_to_json (&s) : NULL;
  }
  ok = ok && labels;
  if (labels)
    o.labels = labels->annotations->len;
  dd_coco_dataset_free (labels);
  JsonNode *node = ok ? labels_json (&o, file, vs_truth) : NULL;
  if (ok)
    dd_thresholds_clear (&o.thresholds);
  if (ok)
    *labels_file = file;
  else
    g_free (file);
  return node;
}

/* ---- Rounds -------------------------------------------------------------------- */

static void
student (const experiment *x, dd_training *t, const char *title, const char *labels,
    const dd_phase *phase)
{
  supervised (x, t, title, x->labeled_json, phase);
  t->automatic = labels;
  t->automatic_images = x->corpus_images;
}

static JsonNode *
rho_sweep (experiment *x, const char *labels, GError **error)
{
  const dd_experiment *e = x->e;
  JsonArray *sweep = json_array_new ();
  for (int i = 0; i < e->n_rho_sweep; i++) {
    dd_phase phase = e->student;
    phase.rho = e->rho_sweep[i];
    g_autofree char *title = g_strdup_printf ("rho %g", phase.rho);
    dd_training t;
    student (x, &t, title, labels, &phase);
    g_autofree char *dir = NULL;
    JsonNode *r = train_and_score (x, &t, "student", 0, &dir, error);
    if (!r) {
      json_array_unref (sweep);
      return NULL;
    }
    json_object_set_double_member (json_node_get_object (r), "rho", phase.rho);
    json_array_add_element (sweep, r);
  }
  return json_node_init_array (json_node_alloc (), sweep);
}

/* The teacher of a round: trained in round 1, the last student after. */
static JsonNode *
round_teacher (experiment *x, int round, char **teacher, GError **error)
{
  if (round == 1) {
    dd_training t;
    supervised (x, &t, "teacher", x->labeled_json, &x->e->teacher);
    return train_and_score (x, &t, "supervised", x->e->curve_points, teacher, error);
  }
  JsonNode *scores = score_model (x, *teacher, "", "teacher", error);
  if (!scores)
    return NULL;
  JsonObject *tj = json_object_new ();
  json_object_set_string_member (tj, "run", *teacher);
  json_object_set_member (tj, "scores", scores);
  return json_node_init_object (json_node_alloc (), tj);
}

/* One round: the teacher, scored with and without test-time transforms;
 * its labels; the student, who becomes *teacher. */
static JsonNode *
run_round (experiment *x, int round, char **teacher, GError **error)
{
  const dd_experiment *e = x->e;
  fprintf (stderr, "ddistill distill: round %d of %d\n", round, x->rounds);
  JsonObject *r = json_object_new ();
  json_object_set_int_member (r, "round", round);
  JsonNode *node = json_node_init_object (json_node_alloc (), r);
  g_autofree char *labels = NULL;
  char *student_dir = NULL;
  JsonNode *part;
  gboolean ok = (part = round_teacher (x, round, teacher, error)) != NULL;
  if (ok) {
    json_object_set_member (r, "teacher", part);
    ok = (part = score_model (x, *teacher, e->transforms, "teacher+", error)) != NULL;
  }
  if (ok) {
    json_object_set_member (r, "teacher_tta", part);
    ok = (part = label_corpus (x, *teacher, &labels, error)) != NULL;
  }
  if (ok) {
    json_object_set_member (r, "labels", part);
    dd_training t;
    student (x, &t, "student", labels, &e->student);
    ok = (part = train_and_score (x, &t, "student", e->curve_points, &student_dir,
            error)) != NULL;
  }
  if (ok) {
    json_object_set_member (r, "student", part);
    g_free (*teacher);
    *teacher = student_dir;
  }
  if (ok && round == 1 && e->n_rho_sweep > 0) {
    ok = (part = rho_sweep (x, labels, error)) != NULL;
    if (ok)
      json_object_set_member (r, "rho_sweep", part);
  }
  if (!ok)
    g_clear_pointer (&node, json_node_unref);
  return node;
}

static JsonNode *
run_baselines (experiment *x, GError **error)
{
  const dd_experiment *e = x->e;
  JsonArray *all = json_array_new ();
  for (int i = 0; i < e->n_baselines; i++) {
    const dd_baseline *b = &e->baselines[i];
    const dd_tree_split *s = find_split (x, b->labeled, "baseline", error);
    if (!s) {
      json_array_unref (all);
      return NULL;
    }
    g_autofree char *json = split_json (x, s->name, FALSE);
    dd_training t;
    supervised (x, &t, "baseline", json, b->student_schedule ? &e->student : &e->teacher);
    g_autofree char *dir = NULL;
    JsonNode *r = train_and_score (x, &t, "supervised", e->curve_points, &dir, error);
    if (!r) {
      json_array_unref (all);
      return NULL;
    }
    json_object_set_string_member (json_node_get_object (r), "name", b->name);
    json_object_set_string_member (json_node_get_object (r), "labeled", b->labeled);
    json_array_add_element (all, r);
  }
  return json_node_init_array (json_node_alloc (), all);
}

static JsonNode *
run_experiment (experiment *x, GError **error)
{
  JsonObject *res = json_object_new ();
  JsonNode *node = json_node_init_object (json_node_alloc (), res);
  json_object_set_string_member (res, "experiment", x->e->name);
  json_object_set_member (res, "spec", json_node_copy (x->e->json));
  json_object_set_string_member (res, "data", x->data);
  json_object_set_string_member (res, "device", x->device);
  json_object_set_int_member (res, "val_images", x->val->images->len);
  json_object_set_int_member (res, "labeled_images", x->labeled->images->len);
  json_object_set_int_member (res, "unlabeled_images", x->corpus->images->len);
  JsonArray *rounds = json_array_new ();
  json_object_set_array_member (res, "rounds", rounds);
  char *teacher = NULL;
  gboolean ok = TRUE;
  for (int r = 1; r <= x->rounds && ok; r++) {
    JsonNode *round = run_round (x, r, &teacher, error);
    ok = round != NULL;
    if (ok)
      json_array_add_element (rounds, round);
  }
  g_free (teacher);
  JsonNode *baselines = ok ? run_baselines (x, error) : NULL;
  if (!baselines) {
    json_node_unref (node);
    return NULL;
  }
  json_object_set_member (res, "baselines", baselines);
  json_object_set_member (res, "table", dd_distill_table (res));
  return node;
}

/* ---- Command --------------------------------------------------------------------- */

static gboolean
write_results (experiment *x, JsonNode *results, GError **error)
{
  g_autofree char *json = g_build_filename (x->exp_dir, "results.json", NULL);
  g_autofree char *txt = g_build_filename (x->exp_dir, "table.txt", NULL);
  g_autofree char *text = json_to_string (results, TRUE);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);
  g_autofree char *table = dd_distill_table_text (json_node_get_object (results));
  if (!make_folder (x->exp_dir, error))
    return FALSE;
  if (!g_file_set_contents (json, with_newline, -1, error)
      || !g_file_set_contents (txt, table, -1, error))
    return FALSE;
  fputs (table, stdout);
  fprintf (stderr, "ddistill distill: results in %s\n", json);
  return TRUE;
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill distill: %s\n\n%s", message, help);
  return 2;
}

static void
experiment_clear (experiment *x)
{
  g_free (x->out);
  g_free (x->data);
  g_free (x->exp_dir);
  g_free (x->labeled_json);
  g_free (x->corpus_json);
  g_free (x->corpus_images);
  g_free (x->network);
  dd_coco_dataset_free (x->labeled);
  dd_coco_dataset_free (x->val);
  dd_coco_dataset_free (x->corpus);
  dd_coco_dataset_free (x->truth);
  dd_benchmark_tree_free (x->bench);
  if (x->be)
    dd_backend_free (x->be);
}

int
dd_cmd_distill (int argc, char **argv)
{
  /* Kept whole for dd_let_idle_threads_sleep: option parsing consumes argv. */
  int argc_all = argc;
  g_autofree char **argv_all = g_memdup2 (argv, sizeof (char *) * (argc + 1));
  g_autofree char *spec_name = NULL, *out = NULL, *data = NULL, *device = NULL;
  int rounds = G_MININT;        /* not given: the spec's */
  GOptionEntry entries[] = {
    { "spec", 0, 0, G_OPTION_ARG_FILENAME, &spec_name,
      "The experiment: test, quick, small-a, small-a-core, small-a-rho, small-a-seed2, "
      "small-b ... small-e, small-b-rho, or a spec file (required)",
      "SPEC" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Rounds of distillation, each student teaching the next (default: the spec's)",
      "R" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "Where runs, labels and results go (default: distill-out)", "DIR" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data,
      "A benchmark tree made by `ddistill synth` (default: generated under DIR)", "DIR" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Engine backend: cpu (default), cuda or reference", "NAME" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill distill");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 1)
    return usage_error (ctx, "unexpected arguments: everything is an option");
  if (!spec_name)
    return usage_error (ctx, "--spec is required");
  if (rounds != G_MININT && (rounds < 1 || rounds > 100))
    return usage_error (ctx, "--rounds takes 1 to 100");

  dd_experiment *e = dd_experiment_load (spec_name, &error);
  if (!e)
    return fail (error);
  dd_let_idle_threads_sleep (argc_all, argv_all);
  gst_init (NULL, NULL);
  gst_plugin_ddistill_register ();
  experiment x = {
    .e = e, .rounds = rounds != G_MININT ? rounds : e->rounds,
    .device = device ? device : "cpu",
    .out = g_strdup (out ? out : "distill-out"),
  };
  x.exp_dir = g_build_filename (x.out, e->name, NULL);
  char err[1024];
  int status = 1;
  JsonNode *results = NULL;
  dd_ensemble_params_init (&x.rules);
  if (!dd_ensemble_params_parse (&x.rules, e->ensemble, &error)) {
    g_prefix_error (&error, "%s: ensemble: ", e->source);
  } else if (!(x.be = dd_backend_new (x.device, err, sizeof err))) {
    g_set_error (&error, DD_EXPERIMENT_ERROR, 0, "device '%s': %s", x.device, err);
  } else if (fingerprint_network (&x, &error) && prepare_data (&x, data, &error)
      && open_sets (&x, &error)
      && (results = run_experiment (&x, &error)) && write_results (&x, results, &error)) {
    status = 0;
  }
  if (status)
    fail (error);
  if (results)
    json_node_unref (results);
  experiment_clear (&x);
  dd_experiment_free (e);
  return status;
}
