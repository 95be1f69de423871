/* `ddistill label` end to end on a small case: a teacher with random
 * weights (the `tiny` preset), six images, the real COCO fixture as the
 * labelled set (3.5 people per image, 181 labelled keypoints for 14
 * people): the labels match those counts, the provenance records the
 * teacher's checksum, the transforms and the thresholds; folder, list and
 * errors. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "coco_real.h"
#include "data/coco.h"
#include "data/image.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "nn/checkpoint.h"
#include "nn/rng.h"

static char *tmp;

static char *
at (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* Runs ddistill with `args` (NULL-terminated); returns the exit status and
 * leaves stderr in *err. */
static int
run (const char *const *args, char **err)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) DDISTILL);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = -1;
  GError *error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
          NULL, NULL, err, &status, &error))
    g_error ("%s", error->message);
  g_ptr_array_free (argv, TRUE);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Exit status `want` and `word` in stderr. */
static void
check_run (const char *const *args, int want, const char *word)
{
  char *err = NULL;
  int status = run (args, &err);
  if (status != want || (word && !strstr (err, word))) {
    fprintf (stderr, "  ddistill %s ...: status %d (want %d), stderr lacks '%s'?\n%s\n",
        args[0], status, want, word ? word : "", err);
    check_failures++;
  }
  g_free (err);
}

static void
make_teacher (const char *dir)
{
  char err[1024];
  dd_backend *be = dd_backend_new ("reference", err, sizeof err);
  dd_detector *det = be ? dd_detector_load ("tiny", err, sizeof err) : NULL;
  g_autofree char *ckpt = at ("init.safetensors");
  g_mkdir_with_parents (dir, 0755);
  if (!det || dd_detector_setup (det, be, DD_NET_TRAIN, 1, 64, 64, err, sizeof err)
      || dd_detector_init_weights (det, 3, err, sizeof err)
      || dd_checkpoint_save (det->net, ckpt, err, sizeof err)
      || dd_model_dir_save (det, ckpt, dir, 64, 64, err, sizeof err))
    g_error ("making the teacher: %s", err);
  dd_detector_free (det);
  dd_backend_free (be);
}

static void
make_images (const char *dir, int n)
{
  dd_rng rng;
  dd_rng_seed (&rng, 8, 0);
  g_mkdir_with_parents (dir, 0755);
  for (int i = 0; i < n; i++) {
    dd_image *img = dd_image_new (64, 48, NULL);
    for (int p = 0; p < 3 * 64 * 48; p++)
      img->data[p] = (uint8_t) dd_rng_below (&rng, 256);
    char name[32];
    g_snprintf (name, sizeof name, "img%d.png", i);
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (!dd_image_save (img, path, 90, NULL))
      g_error ("cannot write %s", path);
    dd_image_free (img);
  }
}

static void
test_labels (void)
{
  g_autofree char *model = at ("teacher"), *images = at ("images"), *out = at ("auto.json");
  const char *labeled = DD_COCO_REAL_DIR "/test_coco.json";
  const char *args[] = { "label", "--model", model, "--images", images, "--transforms",
    "flip", "--calibrate-with", labeled, "--out", out, "--device", "reference", NULL };
  check_run (args, 0, "labels in 6 images");
  GError *error = NULL;
  dd_coco_dataset *ds = dd_coco_read (out, &error);
  CHECK (ds != NULL);
  if (ds == NULL) {
    fprintf (stderr, "  %s\n", error->message);
    g_error_free (error);
    return;
  }
  CHECK (ds->images->len == 6);
  CHECK (strcmp (g_array_index (ds->images, dd_coco_image, 0).file_name, "img0.png") == 0);
  CHECK (g_array_index (ds->images, dd_coco_image, 5).width == 64);
  /* 3.5 people per image: 21 labels; 181/14 keypoints each: 271.5 for 21. */
  CHECK (ds->annotations->len == 21);
  int keypoints = 0;
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations, dd_coco_annotation, i);
    CHECK (a->has_score && a->category_id == 1 && a->n_keypoints == 17);
    keypoints += a->num_keypoints;
  }
  CHECK (keypoints >= 271 && keypoints <= 272);
  /* Provenance: source, teacher and checksum, transforms, thresholds. */
  CHECK (ds->provenance && JSON_NODE_HOLDS_OBJECT (ds->provenance));
  JsonObject *p = json_node_get_object (ds->provenance);
  g_autofree char *weights = g_build_filename (model, DD_MODEL_WEIGHTS, NULL);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  CHECK (g_file_get_contents (weights, &bytes, &len, NULL));
  g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      (const guchar *) bytes, len);
  CHECK (g_strcmp0 (json_object_get_string_member_with_default (p, "teacher_sha256", ""),
          sum) == 0);
  CHECK (g_strcmp0 (json_object_get_string_member_with_default (p, "source", ""),
          images) == 0);
  CHECK (g_strcmp0 (json_object_get_string_member_with_default (p, "transforms", ""),
          "64x64,64x64f") == 0);
  CHECK (g_strcmp0 (json_object_get_string_member_with_default (p, "transform_spec", ""),
          "flip") == 0);
  JsonObject *t = json_object_get_object_member (p, "thresholds");
  CHECK (t && json_object_get_int_member (t, "unlabeled_images") == 6);
  CHECK (t && json_object_get_int_member (t, "labeled_images") == 4);
  dd_coco_dataset_free (ds);
}

static void
test_list_and_rules (void)
{
  g_autofree char *model = at ("teacher"), *list = at ("list.txt"), *out = at ("list.json");
  CHECK (g_file_set_contents (list, "# two of them\nimages/img1.png\n\nimages/img4.png\n",
          -1, NULL));
  const char *args[] = { "label", "--model", model, "--images", list, "--transforms",
    "factors=1.5,flip", "--ensemble", "boxes=nms,keypoints=own",
    "--calibrate-with", DD_COCO_REAL_DIR "/test_coco.json", "--out", out,
    "--device", "reference", NULL };
  check_run (args, 0, "in 2 images");
  dd_coco_dataset *ds = dd_coco_read (out, NULL);
  CHECK (ds && ds->images->len == 2 && ds->annotations->len == 7);
  if (ds) {
    CHECK (strcmp (g_array_index (ds->images, dd_coco_image, 1).file_name,
            "images/img4.png") == 0);
    JsonObject *p = json_node_get_object (ds->provenance);
    /* "flip" mirrors the factors listed; the identity is added unmirrored. */
    CHECK (g_str_has_prefix (json_object_get_string_member (p, "ensemble"),
            "boxes=nms,keypoints=own"));
    CHECK (g_strcmp0 (json_object_get_string_member (p, "transforms"),
            "64x64,96x96,96x96f") == 0);
    dd_coco_dataset_free (ds);
  }
}

static void
test_errors (void)
{
  g_autofree char *model = at ("teacher"), *images = at ("images"), *out = at ("never.json");
  const char *labeled = DD_COCO_REAL_DIR "/test_coco.json";
  const char *no_spec[] = { "label", "--model", model, "--images", images,
    "--calibrate-with", labeled, "--out", out, NULL };
  check_run (no_spec, 2, "--transforms");
  const char *bad_spec[] = { "label", "--model", model, "--images", images, "--transforms",
    "scales=64:32:8", "--calibrate-with", labeled, "--out", out, NULL };
  check_run (bad_spec, 1, "item 1");
  const char *bad_rules[] = { "label", "--model", model, "--images", images, "--transforms",
    "flip", "--ensemble", "boxes=union", "--calibrate-with", labeled, "--out", out, NULL };
  check_run (bad_rules, 2, "boxes is one of");
  g_autofree char *dogs = at ("dogs.json");
  CHECK (g_file_set_contents (dogs, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", "
          "\"width\": 4, \"height\": 4}], \"annotations\": [], \"categories\": "
          "[{\"id\": 18, \"name\": \"dog\"}]}", -1, NULL));
  const char *no_person[] = { "label", "--model", model, "--images", images, "--transforms",
    "flip", "--calibrate-with", dogs, "--out", out, "--device", "reference", NULL };
  check_run (no_person, 1, "'person'");
  g_autofree char *list = at ("absolute.txt");
  g_autofree char *line = g_strdup_printf ("%s/img0.png\n", images);
  CHECK (g_file_set_contents (list, line, -1, NULL));
  const char *absolute[] = { "label", "--model", model, "--images", list, "--transforms",
    "flip", "--calibrate-with", labeled, "--out", out, "--device", "reference", NULL };
  check_run (absolute, 1, "line 1");
  g_autofree char *nothing = at ("nothing");
  const char *no_model[] = { "label", "--model", nothing, "--images", images, "--transforms",
    "flip", "--calibrate-with", labeled, "--out", out, NULL };
  check_run (no_model, 1, "model.json");
  CHECK (!g_file_test (out, G_FILE_TEST_EXISTS));
  /* --out naming the labelled set would replace its manual labels. */
  g_autofree char *manual = at ("manual.json");
  g_autofree char *text = NULL, *after = NULL;
  CHECK (g_file_get_contents (labeled, &text, NULL, NULL));
  CHECK (g_file_set_contents (manual, text, -1, NULL));
  const char *onto_labels[] = { "label", "--model", model, "--images", images,
    "--transforms", "flip", "--calibrate-with", manual, "--out", manual, "--device",
    "reference", NULL };
  check_run (onto_labels, 2, "is also the input --calibrate-with");
  CHECK (g_file_get_contents (manual, &after, NULL, NULL));
  CHECK (strcmp (after, text) == 0);
  /* A dataset that states another size than its image has: the labels
   * would be in the wrong coordinates. */
  JsonParser *parser = json_parser_new ();
  CHECK (json_parser_load_from_file (parser, labeled, NULL));
  JsonObject *first = json_array_get_object_element (json_object_get_array_member (
          json_node_get_object (json_parser_get_root (parser)), "images"), 0);
  json_object_set_int_member (first, "width", 10);
  json_object_set_int_member (first, "height", 10);
  g_autofree char *resized = at ("resized.json");
  JsonGenerator *g = json_generator_new ();
  json_generator_set_root (g, json_parser_get_root (parser));
  CHECK (json_generator_to_file (g, resized, NULL));
  g_object_unref (g);
  g_object_unref (parser);
  const char *wrong_size[] = { "label", "--model", model, "--images", resized,
    "--image-dir", DD_COCO_REAL_DIR, "--transforms", "flip", "--calibrate-with", labeled,
    "--out", out, "--device", "reference", NULL };
  check_run (wrong_size, 1, "but its dataset says 10x10");
  /* A labelled set with another skeleton: refused before the corpus is
   * run, not when the labels are written. */
  g_autofree char *five = at ("five.json");
  CHECK (g_file_set_contents (five, "{\"images\": [{\"id\": 1, \"file_name\": "
          "\"a.jpg\", \"width\": 40, \"height\": 40}], \"annotations\": [{\"id\": 1, "
          "\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 20, 30], \"area\": 600, "
          "\"iscrowd\": 0, \"num_keypoints\": 1, \"keypoints\": [5, 5, 2, 0, 0, 0, 0, 0, "
          "0, 0, 0, 0, 0, 0, 0]}], \"categories\": [{\"id\": 1, \"name\": \"person\", "
          "\"keypoints\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"skeleton\": []}]}",
          -1, NULL));
  const char *other_skeleton[] = { "label", "--model", model, "--images", images,
    "--transforms", "flip", "--calibrate-with", five, "--out", out, "--device",
    "reference", NULL };
  check_run (other_skeleton, 1, "'person' has 5 keypoints, the model's 17");
  g_autofree char *nowhere = at ("no-such-folder/labels.json");
  const char *no_folder[] = { "label", "--model", model, "--images", images,
    "--transforms", "flip", "--calibrate-with", labeled, "--out", nowhere, NULL };
  check_run (no_folder, 2, "does not exist");
  CHECK (!g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      remove_tree (path);
    else
      g_remove (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

int
main (void)
{
  dd_require_coco_real ();
  tmp = g_dir_make_tmp ("ddlabel-XXXXXX", NULL);
  g_autofree char *model = at ("teacher"), *images = at ("images");
  make_teacher (model);
  make_images (images, 6);
  RUN_TEST (test_labels);
  RUN_TEST (test_list_and_rules);
  RUN_TEST (test_errors);
  remove_tree (tmp);
  g_free (tmp);
  return check_exit_status ();
}
