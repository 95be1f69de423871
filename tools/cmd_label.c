/* `ddistill label --model DIR --images DIR|LIST|dataset.json --transforms SPEC
 * --calibrate-with labeled.json --out auto.json`: steps 2 and 3 of data
 * distillation on a set of images, as one command (tools/label_set.h does
 * the work). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "data/coco.h"
#include "data/image.h"
#include "distill/ensemble.h"
#include "distill/thresholds.h"
#include "label_set.h"
#include "model/model_dir.h"
#include "model/model_error.h"
#include "out_guard.h"
#include "tta_predictor.h"

static const char summary[] =
    "Labels images with a trained teacher as data distillation does: the teacher\n"
    "runs on every test-time transform of each image (--transforms, resolved on\n"
    "the model's input canvas, onto which each image is letterboxed), the passes\n"
    "are mapped back and ensembled (--ensemble), and the hard labels are kept above\n"
    "per-class score thresholds chosen so that the images get as many instances\n"
    "on average as the manually labelled set has (--calibrate-with), and a\n"
    "keypoint threshold chosen so that each instance gets as many labelled\n"
    "keypoints on average. Writes a COCO dataset of automatic labels (with scores)\n"
    "whose provenance records the source, the teacher's weights checksum, the\n"
    "transforms, the ensemble rules and the thresholds.\n"
    "\n"
    "--transforms: items separated by commas: scales=96:224:32 (shorter sides,\n"
    "an inclusive range, or one value), factors=0.5,1,1.5 (relative sizes), flip\n"
    "(each scale and factor also mirrored), list=128;128f;0.5x;0.5xf (explicit);\n"
    "the untransformed pass is always included (distill/tta_spec.h).\n"
    "--ensemble: key=value items (distill/ensemble.h); the default is the paper's\n"
    "keypoint setting, boxes=identity,keypoints=average; the paper's box setting\n"
    "is boxes=nms,keypoints=own (NMS, then box voting at IoU 0.8).\n"
    "\n"
    "--images takes a folder (every .jpg, .jpeg and .png in it, by name, ids 1, 2,\n"
    "...), a text file listing image paths relative to its folder (one per line,\n"
    "# comments), or a COCO dataset .json (its images and ids; annotations are\n"
    "ignored; files in --image-dir or the dataset's folder). The labels' file\n"
    "names are relative to that folder.\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported), 2 bad usage.";

static gboolean
has_image_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  return dot && (g_ascii_strcasecmp (dot, ".jpg") == 0
      || g_ascii_strcasecmp (dot, ".jpeg") == 0 || g_ascii_strcasecmp (dot, ".png") == 0);
}

/* Image i + 1 of the corpus, its size read from the file. */
static gboolean
add_image (dd_coco_dataset *corpus, const char *file_name, GError **error)
{
  g_autofree char *path = g_build_filename (corpus->image_dir, file_name, NULL);
  dd_image *img = dd_image_load (path, error);
  if (!img)
    return FALSE;
  dd_coco_image im = {
    .id = corpus->images->len + 1, .file_name = (char *) file_name,
    .width = img->width, .height = img->height, .timestamp_ns = -1,
  };
  dd_coco_add_image (corpus, &im);
  dd_image_free (img);
  return TRUE;
}

static int
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
read_folder (dd_coco_dataset *corpus, GError **error)
{
  GDir *d = g_dir_open (corpus->image_dir, 0, error);
  if (!d)
    return FALSE;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (has_image_extension (name))
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, by_name);
  gboolean ok = TRUE;
  for (guint i = 0; i < names->len && ok; i++)
    ok = add_image (corpus, g_ptr_array_index (names, i), error);
  g_ptr_array_unref (names);
  return ok;
}

static gboolean
read_list (dd_coco_dataset *corpus, const char *list, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (list, &text, NULL, error))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean ok = TRUE;
  for (int i = 0; lines[i] && ok; i++) {
    char *line = g_strstrip (lines[i]);
    if (!*line || *line == '#')
      continue;
    if (g_path_is_absolute (line)) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "%s, line %d: '%s' is an absolute path; list images relative to the "
          "list's folder, so the labels' file names resolve against one image folder",
          list, i + 1, line);
      return FALSE;
    }
    ok = add_image (corpus, line, error);
  }
  return ok;
}

/* The images to label, as a COCO dataset without annotations. */
static dd_coco_dataset *
read_corpus (const char *images, const char *image_dir, GError **error)
{
  dd_coco_dataset *corpus;
  gboolean ok;
  if (g_str_has_suffix (images, ".json")) {
    g_autofree char *folder = g_path_get_dirname (images);
    corpus = dd_coco_read_full (images, image_dir ? image_dir : folder,
        DD_COCO_READ_CHECK_IMAGES, error);
    ok = corpus != NULL;
  } else {
    corpus = dd_coco_dataset_new ();
    gboolean folder = g_file_test (images, G_FILE_TEST_IS_DIR);
    corpus->image_dir = folder ? g_strdup (images) : g_path_get_dirname (images);
    ok = folder ? read_folder (corpus, error) : read_list (corpus, images, error);
  }
  if (ok && corpus->images->len == 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "%s holds no images (.jpg, .jpeg or .png)", images);
    ok = FALSE;
  }
  if (!ok && corpus) {
    dd_coco_dataset_free (corpus);
    corpus = NULL;
  }
  return corpus;
}

/* SHA-256 of the teacher's weights, which tell one teacher from another. */
static char *
weights_checksum (const char *model, GError **error)
{
  g_autofree char *path = g_build_filename (model, DD_MODEL_WEIGHTS, NULL);
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  if (!file)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      (const guchar *) g_mapped_file_get_contents (file), g_mapped_file_get_length (file));
}

static JsonNode *
provenance (const char *images, const char *model, const char *checksum,
    const char *spec, const char *labeled)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "source", images);
  json_object_set_string_member (o, "teacher", model);
  json_object_set_string_member (o, "teacher_sha256", checksum);
  json_object_set_string_member (o, "transform_spec", spec);
  json_object_set_string_member (o, "calibrated_with", labeled);
  return json_node_init_object (json_node_alloc (), o);
}

static void
report (const char *out, const dd_label_outcome *o)
{
  fprintf (stderr, "ddistill label: %" G_GINT64_FORMAT " labels in %" G_GINT64_FORMAT
      " images (%" G_GINT64_FORMAT " candidates, %.1f s): %s\n", o->labels, o->images,
      o->candidates, o->seconds, out);
  const dd_thresholds *t = &o->thresholds;
  for (int c = 0; c < t->n_classes; c++)
    fprintf (stderr, "  %s: score >= %g, %.3f per image (labelled set: %.3f)\n",
        t->classes[c].name, t->classes[c].score, t->classes[c].selected_mean,
        t->classes[c].labeled_mean);
  fprintf (stderr, "  keypoints: score >= %g, %.3f per instance (labelled set: %.3f)\n",
      t->keypoint_score, t->keypoint_selected_mean, t->keypoint_labeled_mean);
}

typedef struct label_args {
  const char *model, *images, *image_dir, *spec, *labeled, *out, *device;
  dd_ensemble_params rules;
} label_args;

static int
label (const label_args *a)
{
  g_autoptr (GError) error = NULL;
  char err[1024];
  dd_backend *be = dd_backend_new (a->device, err, sizeof err);
  if (!be) {
    fprintf (stderr, "ddistill label: backend '%s': %s\n", a->device, err);
    return 1;
  }
  g_autofree char *rules = dd_ensemble_params_to_string (&a->rules);
  g_autofree char *checksum = NULL;
  dd_coco_dataset *labeled = NULL, *corpus = NULL;
  dd_tta_predictor *teacher = NULL;
  dd_label_outcome outcome = { 0 };
  gboolean ok = (teacher = dd_tta_predictor_new (a->model, be, a->spec, &a->rules, &error))
      && (checksum = weights_checksum (a->model, &error))
      && (labeled = dd_coco_read (a->labeled, &error))
      && (corpus = read_corpus (a->images, a->image_dir, &error));
  if (ok) {
    JsonNode *prov = provenance (a->images, a->model, checksum, a->spec, a->labeled);
    ok = dd_label_set (teacher, rules, corpus, labeled, prov, a->out, &outcome, &error);
    json_node_unref (prov);
  }
  if (ok)
    report (a->out, &outcome);
  else
    fprintf (stderr, "ddistill label: %s\n", error->message);
  dd_thresholds_clear (&outcome.thresholds);
  dd_tta_predictor_free (teacher);
  if (labeled)
    dd_coco_dataset_free (labeled);
  if (corpus)
    dd_coco_dataset_free (corpus);
  dd_backend_free (be);
  return ok ? 0 : 1;
}

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill label: %s\n\n%s", message, help);
  return 2;
}

int
dd_cmd_label (int argc, char **argv)
{
  g_autofree char *model = NULL, *images = NULL, *image_dir = NULL, *spec = NULL,
      *labeled = NULL, *out = NULL, *ensemble = NULL, *device = NULL;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "The teacher's model folder (model.json and model.safetensors)", "DIR" },
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images,
      "A folder of images, a list of image paths, or a COCO dataset .json", "WHAT" },
    { "image-dir", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
      "With a dataset: its image folder (default: the dataset's folder)", "DIR" },
    { "transforms", 0, 0, G_OPTION_ARG_STRING, &spec,
      "The test-time transforms, e.g. scales=96:224:32,flip", "SPEC" },
    { "calibrate-with", 0, 0, G_OPTION_ARG_FILENAME, &labeled,
      "The manually labelled COCO set whose counts the labels match", "FILE.json" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "The automatic dataset to write", "FILE.json" },
    { "ensemble", 0, 0, G_OPTION_ARG_STRING, &ensemble,
      "Ensembling rules, e.g. boxes=nms,keypoints=own (default: the paper's keypoint "
      "setting)", "RULES" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Backend: cpu (oneDNN, default), cuda, or reference", "NAME" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill label");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 1)
    return usage_error (ctx, "unexpected arguments: everything is an option");
  if (!model || !images || !spec || !labeled || !out)
    return usage_error (ctx, "--model, --images, --transforms, --calibrate-with and --out "
        "are required");
  label_args a = {
    .model = model, .images = images, .image_dir = image_dir, .spec = spec,
    .labeled = labeled, .out = out, .device = device ? device : "cpu",
  };
  dd_ensemble_params_init (&a.rules);
  if (ensemble && !dd_ensemble_params_parse (&a.rules, ensemble, &error))
    return usage_error (ctx, error->message);
  g_autofree char *model_json = g_build_filename (model, DD_MODEL_JSON, NULL);
  g_autofree char *weights = g_build_filename (model, DD_MODEL_WEIGHTS, NULL);
  const dd_named_input inputs[] = {
    { "--images", images }, { "--calibrate-with", labeled },
    { "--model's network", model_json }, { "--model's weights", weights },
  };
  if (!dd_out_apart_from_inputs ("--out", out, inputs, G_N_ELEMENTS (inputs), &error)
      || !dd_out_writable ("--out", out, &error))
    return usage_error (ctx, error->message);
  return label (&a);
}
