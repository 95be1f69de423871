/* `ddistill predict --model DIR --images DIR|LIST|dataset.json --out
 * detections.json [--score-threshold T] [--tta SPEC [--ensemble RULES]]`:
 * the detector's COCO results for a set of images, from one pass or from
 * the ensemble of test-time transforms that `ddistill label` uses
 * (tta_predictor.h). */
#include <ctype.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "idle_threads.h"
#include "model_scores.h"
#include "out_guard.h"
#include "data/coco.h"
#include "data/image.h"
#include "distill/ensemble.h"
#include "distill/tta_spec.h"
#include "model/model_dir.h"
#include "model/model_error.h"
#include "model/predict.h"
#include "predict_sheet.h"
#include "tta_predictor.h"

static const char summary[] =
    "Runs a trained model (the folder `ddistill train --out DIR` leaves) on images\n"
    "and writes pycocotools' results: a JSON array of {image_id, category_id, bbox\n"
    "[x, y, w, h], keypoints [x, y, v, ...], score} in each image's own pixels, for\n"
    "`ddistill eval`. Each image is scaled to fit the model's input (aspect kept,\n"
    "padded) and the detections are mapped back.\n"
    "\n"
    "--images takes a folder (every .jpg, .jpeg and .png in it, by name), a text file\n"
    "listing image paths (one per line, relative to the list's folder; # comments),\n"
    "or a COCO dataset .json (its images and ids, files in --image-dir or the\n"
    "dataset's folder). Without a dataset, image ids are the file names' numbers\n"
    "when every name is a number (COCO's 000000123456.jpg), otherwise 1, 2, ... in\n"
    "the listed order, and the category id of class i is i + 1.\n"
    "\n"
    "Keypoints have v = 2 where the keypoint heatmap saw them (a value of at least\n"
    "--keypoint-threshold, 0.1) and v = 1 where only the regression from the centre\n"
    "placed them, as COCO marks occluded keypoints; pycocotools' OKS reads the\n"
    "positions only.\n"
    "\n"
    "With --tta SPEC: test-time augmentation through the code `ddistill label`\n"
    "uses. The model runs on every transform of SPEC (label's --transforms syntax:\n"
    "scales=96:224:32, factors=0.5:1.5:0.125, flip, list=..., identity; resolved on\n"
    "the model's input canvas, onto which each image is letterboxed), the passes\n"
    "are mapped back and ensembled by --ensemble RULES (label's rules; the default\n"
    "boxes=identity,keypoints=average takes the boxes of the untransformed pass and\n"
    "averages the keypoint heatmaps; boxes=nms,keypoints=average also joins every\n"
    "pass's boxes by NMS and box voting), and --score-threshold applies to the\n"
    "ensembled scores. Images run one at a time (--batch is not used).\n"
    "--tta identity --ensemble keypoints=own gives plain prediction's results to\n"
    "the bit; the default rules read the keypoints again off the pass's maps from\n"
    "the cell holding the box's centre, which moves the few keypoints whose box\n"
    "centre was regressed out of its peak cell (distill/heatmap_keypoints.h).\n"
    "\n"
    "With --draw: a sheet of the first images, detections in green with their\n"
    "score, the skeleton (left limbs blue, right red), keypoints the heatmap saw as\n"
    "dots and those placed by the regression alone as rings, and a dataset's\n"
    "labelled boxes dashed in white.\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported), 2 bad usage.";

typedef struct {
  int64_t id;
  char *path;
} image_entry;

static void
clear_entry (gpointer p)
{
  g_free (((image_entry *) p)->path);
}

static gboolean
has_image_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  return dot && (g_ascii_strcasecmp (dot, ".jpg") == 0
                 || g_ascii_strcasecmp (dot, ".jpeg") == 0
                 || g_ascii_strcasecmp (dot, ".png") == 0);
}

static int
by_path (gconstpointer a, gconstpointer b)
{
  return strcmp (((const image_entry *) a)->path, ((const image_entry *) b)->path);
}

static gboolean
list_folder (const char *dir, GArray *out, GError **error)
{
  GDir *d = g_dir_open (dir, 0, error);
  if (!d)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (has_image_extension (name)) {
      image_entry e = { 0, g_build_filename (dir, name, NULL) };
      g_array_append_val (out, e);
    }
  g_dir_close (d);
  g_array_sort (out, by_path);
  return TRUE;
}

static gboolean
read_list (const char *list, GArray *out, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (list, &text, NULL, error))
    return FALSE;
  g_autofree char *folder = g_path_get_dirname (list);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    char *line = g_strstrip (lines[i]);
    if (!*line || *line == '#')
      continue;
    image_entry e = {
      0, g_path_is_absolute (line) ? g_strdup (line) : g_build_filename (folder, line, NULL)
    };
    g_array_append_val (out, e);
  }
  return TRUE;
}

/* COCO-style numeric names give the ids; otherwise the position does.
 * Two names of one number (1.jpg, 001.png) would merge their detections
 * in an evaluation: refused, naming both. */
static gboolean
number_images (GArray *images, GError **error)
{
  gboolean numeric = images->len > 0;
  for (guint i = 0; i < images->len && numeric; i++) {
    g_autofree char *base = g_path_get_basename (g_array_index (images, image_entry,
                                                                i).path);
    char *dot = strrchr (base, '.');
    if (dot)
      *dot = 0;
    numeric = *base && strlen (base) < 19;
    for (const char *c = base; *c && numeric; c++)
      numeric = isdigit ((unsigned char) *c);
  }
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < images->len; i++) {
    image_entry *e = &g_array_index (images, image_entry, i);
    g_autofree char *base = g_path_get_basename (e->path);
    e->id = numeric ? g_ascii_strtoll (base, NULL, 10) : (int64_t) i + 1;
    const image_entry *before = g_hash_table_lookup (seen, &e->id);
    if (before) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT, "%s and %s both "
          "name image id %" G_GINT64_FORMAT ": rename one", before->path, e->path,
          (gint64) e->id);
      return FALSE;
    }
    g_hash_table_insert (seen, &e->id, e);
  }
  return TRUE;
}

/* The images of a dataset; category_of[c] is class c's category id. The
 * dataset is handed back in *truth for drawing its labels. */
static gboolean
read_dataset (const char *json, const char *image_dir, const dd_detector *det,
              GArray *out, int *category_of, dd_coco_dataset **truth, GError **error)
{
  g_autofree char *folder = g_path_get_dirname (json);
  const char *dir = image_dir ? image_dir : folder;
  dd_coco_dataset *ds = dd_coco_read_full (json, dir, DD_COCO_READ_CHECK_IMAGES, error);
  if (!ds)
    return FALSE;
  for (guint i = 0; i < ds->images->len; i++) {
    const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, i);
    image_entry e = { im->id, g_build_filename (dir, im->file_name, NULL) };
    g_array_append_val (out, e);
  }
  gboolean ok = TRUE;
  for (int c = 0; c < det->n_classes && ok; c++) {
    category_of[c] = -1;
    for (guint i = 0; i < ds->categories->len; i++) {
      const dd_coco_category *cat = &g_array_index (ds->categories, dd_coco_category, i);
      if (strcmp (cat->name, det->classes[c]) == 0)
        category_of[c] = cat->id;
    }
    if (category_of[c] < 0) {
      g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_REFERENCE,
                   "%s has no category named '%s', a class of the model: results "
                   "need its id", json, det->classes[c]);
      ok = FALSE;
    }
  }
  *truth = ds;
  return ok;
}

static void
add_detection (JsonBuilder *b, int64_t image_id, int category_id, const dd_detection *d,
               float keypoint_threshold)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "image_id");
  json_builder_add_int_value (b, image_id);
  json_builder_set_member_name (b, "category_id");
  json_builder_add_int_value (b, category_id);
  json_builder_set_member_name (b, "bbox");
  json_builder_begin_array (b);
  json_builder_add_double_value (b, d->box[0]);
  json_builder_add_double_value (b, d->box[1]);
  json_builder_add_double_value (b, (double) d->box[2] - d->box[0]);
  json_builder_add_double_value (b, (double) d->box[3] - d->box[1]);
  json_builder_end_array (b);
  if (d->n_keypoints > 0) {
    json_builder_set_member_name (b, "keypoints");
    json_builder_begin_array (b);
    for (int k = 0; k < d->n_keypoints; k++) {
      json_builder_add_double_value (b, d->keypoints[k].x);
      json_builder_add_double_value (b, d->keypoints[k].y);
      json_builder_add_int_value (b, d->keypoints[k].score >= keypoint_threshold ? 2 : 1);
    }
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "score");
  json_builder_add_double_value (b, d->score);
  json_builder_end_object (b);
}

typedef struct {
  dd_detector *det;
  dd_decode_params params;
  int batch;
  const int *category_of;
  JsonBuilder *out;
  int n_detections;
  dd_tta_predictor *tta;        /* NULL: one plain pass per image */
  dd_predict_sheet *sheet;      /* NULL: no --draw */
  int draw_count;
  const dd_coco_dataset *truth; /* the dataset's labels, or NULL */
} predictor;

/* The labels of image `id` (copies of the annotations, not of their
 * keypoints). */
static GArray *
truth_of (const dd_coco_dataset *ds, int64_t id)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (dd_coco_annotation));
  for (guint i = 0; ds && i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations, dd_coco_annotation, i);
    if (a->image_id == id)
      g_array_append_val (out, *a);
  }
  return out;
}

static void
draw (predictor *p, const image_entry *entry, const dd_image *img,
      const dd_detection *dets, int n)
{
  if (!p->sheet || dd_predict_sheet_count (p->sheet) >= p->draw_count)
    return;
  GArray *truth = truth_of (p->truth, entry->id);
  dd_predict_sheet_add (p->sheet, img, dets, n, p->truth ? (dd_coco_annotation *) truth->data
                        : NULL, (int) truth->len);
  g_array_unref (truth);
}

static dd_image *
load_image (const image_entry *entry, GError **error)
{
  g_autoptr (GError) load_error = NULL;
  dd_image *img = dd_image_load (entry->path, &load_error);
  if (!img)
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
                 "image %" G_GINT64_FORMAT " cannot be used: %s", entry->id,
                 load_error->message);
  return img;
}

/* One image at a time through the transforms and their ensemble, exactly
 * as `ddistill label` runs its teacher; the ensemble keeps every score, so
 * the threshold is applied here. */
static gboolean
predict_tta (predictor *p, const image_entry *entries, int n, GError **error)
{
  GArray *dets = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++) {
    dd_image *img = load_image (&entries[i], error);
    g_array_set_size (dets, 0);
    ok = img && dd_tta_predictor_run (p->tta, img, dets, error);
    guint kept = 0;
    for (guint j = 0; ok && j < dets->len; j++) {
      const dd_detection *d = &g_array_index (dets, dd_detection, j);
      if (d->score < p->params.min_score)
        continue;
      add_detection (p->out, entries[i].id, p->category_of[d->class_index], d,
                     p->params.keypoint_threshold);
      g_array_index (dets, dd_detection, kept++) = *d;
    }
    if (ok) {
      p->n_detections += (int) kept;
      draw (p, &entries[i], img, (const dd_detection *) dets->data, (int) kept);
    }
    dd_image_free (img);
  }
  g_array_unref (dets);
  return ok;
}

static gboolean
predict_batch (predictor *p, const image_entry *entries, int n, GError **error)
{
  dd_image **images = g_new0 (dd_image *, n);
  dd_detection **dets = g_new0 (dd_detection *, n);
  int *counts = g_new0 (int, n);
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++) {
    images[i] = load_image (&entries[i], error);
    ok = images[i] != NULL;
    dets[i] = g_new (dd_detection, MAX (p->params.max_detections, 1));
  }
  ok = ok && dd_predict_images (p->det, images, n, &p->params, dets, counts, error);
  for (int i = 0; i < n; i++) {
    for (int j = 0; ok && j < counts[i]; j++)
      add_detection (p->out, entries[i].id, p->category_of[dets[i][j].class_index],
                     &dets[i][j], p->params.keypoint_threshold);
    if (ok) {
      p->n_detections += counts[i];
      draw (p, &entries[i], images[i], dets[i], counts[i]);
    }
    dd_image_free (images[i]);
    g_free (dets[i]);
  }
  g_free (images);
  g_free (dets);
  g_free (counts);
  return ok;
}

static gboolean
write_results (JsonBuilder *b, const char *path, GError **error)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);
  return g_file_set_contents (path, with_newline, -1, error);
}

typedef struct {
  const char *path;             /* NULL: no sheet */
  int count;
  double min_score;
} draw_options;

typedef struct {
  const char *spec;             /* NULL: no test-time augmentation */
  dd_ensemble_params rules;
} tta_options;

/* The model for plain prediction (*plain, set up for `batch` images) or
 * for test-time augmentation (*tta); the detector that answers for the
 * model's classes and skeleton, NULL with a message on stderr. */
static const dd_detector *
open_model (const char *model, dd_backend *be, int batch, const tta_options *t,
            double keypoint_threshold, dd_detector **plain, dd_tta_predictor **tta)
{
  if (!t->spec) {
    char err[1024];
    *plain = dd_model_dir_open (model, be, batch, err, sizeof err);
    if (!*plain)
      fprintf (stderr, "ddistill predict: %s\n", err);
    return *plain;
  }
  g_autoptr (GError) error = NULL;
  *tta = dd_tta_predictor_new (model, be, t->spec, &t->rules, &error);
  if (!*tta) {
    fprintf (stderr, "ddistill predict: --tta %s: %s\n", t->spec, error->message);
    return NULL;
  }
  dd_tta_predictor_set_keypoint_threshold (*tta, (float) keypoint_threshold);
  fprintf (stderr, "ddistill predict: %d passes per image (%s)\n",
           dd_tta_predictor_n_transforms (*tta), dd_tta_predictor_transform_names (*tta));
  return dd_tta_predictor_model (*tta);
}

static int
predict (const char *model, const char *images, const char *image_dir, const char *out,
         double threshold, double keypoint_threshold, const char *device, int batch,
         const draw_options *d, const tta_options *t)
{
  g_autoptr (GError) error = NULL;
  char err[1024];
  dd_backend *be = dd_backend_new (device, err, sizeof err);
  if (!be) {
    fprintf (stderr, "ddistill predict: backend '%s': %s\n", device, err);
    return 1;
  }
  dd_detector *plain = NULL;
  dd_tta_predictor *tta = NULL;
  const dd_detector *det = open_model (model, be, batch, t, keypoint_threshold, &plain,
                                       &tta);
  if (!det) {
    dd_backend_free (be);
    return 1;
  }
  GArray *list = g_array_new (FALSE, FALSE, sizeof (image_entry));
  g_array_set_clear_func (list, clear_entry);
  int *category_of = g_new (int, det->n_classes);
  for (int c = 0; c < det->n_classes; c++)
    category_of[c] = c + 1;
  dd_coco_dataset *truth = NULL;
  gboolean ok;
  if (g_file_test (images, G_FILE_TEST_IS_DIR)) {
    ok = list_folder (images, list, &error) && number_images (list, &error);
  } else if (g_str_has_suffix (images, ".json")) {
    ok = read_dataset (images, image_dir, det, list, category_of, &truth, &error);
  } else {
    ok = read_list (images, list, &error) && number_images (list, &error);
  }
  if (ok && list->len == 0) {
    g_set_error (&error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
                 "%s holds no images (.jpg, .jpeg or .png)", images);
    ok = FALSE;
  }
  predictor p = { plain, .batch = batch, .tta = tta, .category_of = category_of,
                  .out = json_builder_new (), .truth = truth, .draw_count = d->count };
  dd_decode_params_defaults (&p.params);
  p.params.min_score = (float) threshold;
  p.params.keypoint_threshold = (float) keypoint_threshold;
  if (d->path)
    p.sheet = dd_predict_sheet_new (det, 4, 2.0, (float) d->min_score,
                                    p.params.keypoint_threshold);
  json_builder_begin_array (p.out);
  for (guint i = 0; ok && i < list->len; i += (guint) batch) {
    int n = (int) MIN ((guint) batch, list->len - i);
    const image_entry *entries = &g_array_index (list, image_entry, i);
    ok = tta ? predict_tta (&p, entries, n, &error) : predict_batch (&p, entries, n, &error);
  }
  json_builder_end_array (p.out);
  ok = ok && write_results (p.out, out, &error);
  ok = ok && (!p.sheet || dd_predict_sheet_write (p.sheet, d->path, &error));
  if (ok)
    fprintf (stderr, "ddistill predict: %d detections in %u images: %s\n",
             p.n_detections, list->len, out);
  else
    fprintf (stderr, "ddistill predict: %s\n", error->message);
  g_object_unref (p.out);
  dd_predict_sheet_free (p.sheet);
  dd_coco_dataset_free (truth);
  g_free (category_of);
  g_array_unref (list);
  dd_tta_predictor_free (tta);
  dd_detector_free (plain);
  dd_backend_free (be);
  return ok ? 0 : 1;
}

/* Checks --tta and --ensemble before any model is loaded. The ensemble's
 * reading of averaged keypoint maps snaps from --keypoint-threshold too,
 * unless the rules name their own keypoint-threshold. */
static gboolean
parse_tta (tta_options *t, const char *ensemble, double keypoint_threshold,
           GError **error)
{
  dd_ensemble_params_init (&t->rules);
  t->rules.keypoint_threshold = keypoint_threshold;
  if (!t->spec) {
    if (ensemble)
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--ensemble chooses how --tta's passes are joined: give --tta too");
    return ensemble == NULL;
  }
  g_autoptr (GError) e = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse (t->spec, &e);
  gboolean spec_ok = spec != NULL;
  dd_tta_spec_free (spec);
  if (!spec_ok || (ensemble && !dd_ensemble_params_parse (&t->rules, ensemble, &e))) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s %s: %s",
                 spec_ok ? "--ensemble" : "--tta", spec_ok ? ensemble : t->spec,
                 e->message);
    return FALSE;
  }
  return TRUE;
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill predict: %s\n\n%s", message, help);
  return 2;
}

int
dd_cmd_predict (int argc, char **argv)
{
  dd_let_idle_threads_sleep (argc, argv);
  g_autofree char *model = NULL, *images = NULL, *image_dir = NULL, *out = NULL,
      *device = NULL, *tta_spec = NULL, *ensemble = NULL;
  double threshold = DD_SCORE_THRESHOLD, keypoint_threshold = 0.1;
  int batch = 8;
  g_autofree char *draw_path = NULL;
  draw_options draw = { .count = 12, .min_score = 0.3 };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "The model folder (model.json and model.safetensors)", "DIR" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images,
      "A folder of images, a list of image paths, or a COCO dataset .json", "WHAT" },
    { "image-dir", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
      "With a dataset: its image folder (default: the dataset's folder)", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The results file to write", "FILE.json" },
    { "score-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
      "Leave out detections scored below T (default "
      G_STRINGIFY (DD_SCORE_THRESHOLD) ")", "T" },
    { "keypoint-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &keypoint_threshold,
      "Keypoint heatmap peaks below T do not snap keypoints, and keypoints placed below "
      "it get v = 1 (default 0.1; above 1: keep every regressed keypoint)", "T" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Backend: cpu (oneDNN, default), cuda, or reference", "NAME" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Images per forward pass (default 8)", "B" },
    { "tta", 0, 0, G_OPTION_ARG_STRING, &tta_spec,
      "Test-time augmentation: the transforms, as label's --transforms (e.g. "
      "factors=0.5:1.5:0.125,flip)", "SPEC" },
    { "ensemble", 0, 0, G_OPTION_ARG_STRING, &ensemble,
      "With --tta: how the passes are ensembled, as label's --ensemble (default "
      "boxes=identity,keypoints=average)", "RULES" },
    { "draw", 0, 0, G_OPTION_ARG_FILENAME, &draw_path,
      "Also draw the first images with their detections (and a dataset's labels) into "
      "FILE.png", "FILE.png" },
    { "draw-count", 0, 0, G_OPTION_ARG_INT, &draw.count,
      "How many images --draw shows (default 12)", "N" },
    { "draw-score", 0, 0, G_OPTION_ARG_DOUBLE, &draw.min_score,
      "The lowest score --draw shows (default 0.3)", "T" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill predict");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 1)
    return usage_error (ctx, "unexpected arguments: everything is an option");
  if (!model || !images || !out)
    return usage_error (ctx, "--model, --images and --out are required");
  if (!(threshold >= 0.0 && threshold <= 1.0))
    return usage_error (ctx, "--score-threshold is a score: 0 to 1");
  if (batch < 1 || batch > 1024)
    return usage_error (ctx, "--batch takes 1 to 1024 images");
  if (draw.count < 1)
    return usage_error (ctx, "--draw-count takes a positive number of images");
  draw.path = draw_path;
  if (!(keypoint_threshold >= 0.0))
    return usage_error (ctx, "--keypoint-threshold takes a number >= 0");
  tta_options tta = { .spec = tta_spec };
  if (!parse_tta (&tta, ensemble, keypoint_threshold, &error))
    return usage_error (ctx, error->message);
  g_autofree char *model_json = g_build_filename (model, DD_MODEL_JSON, NULL);
  g_autofree char *weights = g_build_filename (model, DD_MODEL_WEIGHTS, NULL);
  const dd_named_input inputs[] = {
    { "--images", images }, { "--model's network", model_json },
    { "--model's weights", weights },
  };
  if (!dd_out_apart_from_inputs ("--out", out, inputs, G_N_ELEMENTS (inputs), &error)
      || !dd_out_writable ("--out", out, &error)
      || (draw_path && (!dd_out_apart_from_inputs ("--draw", draw_path, inputs,
                  G_N_ELEMENTS (inputs), &error)
              || !dd_out_writable ("--draw", draw_path, &error))))
    return usage_error (ctx, error->message);
  return predict (model, images, image_dir, out, threshold, keypoint_threshold,
                  device ? device : "cpu", batch, &draw, &tta);
}
