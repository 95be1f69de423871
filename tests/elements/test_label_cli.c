/* `ddistill label` and the labeling pipeline (dddatasetsrc ! ddlabel !
 * dddatasetsink) on the same frames of `ddistill synth --spec test`, with
 * the same teacher, transforms and calibration set, give the very same
 * labels (boxes, scores, keypoints, to the bit) and thresholds. Both run
 * the reference backend, whose sums are in a fixed order, so equal inputs
 * give equal floats: any difference is a difference of rule (letterbox,
 * the transforms' sizes and padding, ensembling, calibration). On the
 * test model's 64x64 canvas the 0.6875 factor gives 44x44 passes: 44 is a
 * multiple of the output stride (4) that the network rejects (it
 * downsamples by 8), so both must pad to 48, lib/model's padded_size.h.
 * The ddistill program is $DDISTILL. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "fixtures.h"

#define SPEC "factors=0.6875,1.5,flip"

static char *tmp, *model;

static void
run_command (char **argv)
{
  g_autofree char *out = NULL, *err = NULL;
  int status;
  GError *error = NULL;
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s: %s\n%s%s", argv[0], argv[1], error->message, out, err);
}

static JsonObject *
read_json (JsonParser *parser, const char *path)
{
  GError *error = NULL;
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* Each image's annotations (a GPtrArray of JsonObject, in file order) by
 * the image file's URI: the file_name under `image_dir` when given, else
 * the source_uri that dddatasetsink records (dddatasetsrc shuffles, so
 * the two files list the images in different orders). */
static GHashTable *
labels_by_image (JsonObject *coco, const char *image_dir)
{
  JsonArray *images = json_object_get_array_member (coco, "images");
  GHashTable *uri_of = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTable *out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < json_array_get_length (images); i++) {
    JsonObject *im = json_array_get_object_element (images, i);
    char *uri;
    if (image_dir) {
      g_autofree char *path = g_build_filename (image_dir,
          json_object_get_string_member (im, "file_name"), NULL);
      uri = g_filename_to_uri (path, NULL, NULL);
    } else {
      uri = g_strdup (json_object_get_string_member (im, "source_uri"));
    }
    g_assert_nonnull (uri);
    g_hash_table_insert (uri_of, GINT_TO_POINTER (json_object_get_int_member
            (im, "id")), uri);
    g_hash_table_insert (out, uri, g_ptr_array_new ());
  }
  JsonArray *anns = json_object_get_array_member (coco, "annotations");
  for (guint i = 0; i < json_array_get_length (anns); i++) {
    JsonObject *a = json_array_get_object_element (anns, i);
    const char *uri = g_hash_table_lookup (uri_of, GINT_TO_POINTER
        (json_object_get_int_member (a, "image_id")));
    g_assert_nonnull (uri);
    g_ptr_array_add (g_hash_table_lookup (out, uri), a);
  }
  g_hash_table_unref (uri_of);
  return out;
}

static void
assert_same_numbers (JsonArray *a, JsonArray *b, const char *what)
{
  g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
  for (guint i = 0; i < json_array_get_length (a); i++) {
    double x = json_array_get_double_element (a, i);
    double y = json_array_get_double_element (b, i);
    if (x != y)
      g_error ("%s[%u]: %.9g from ddistill label, %.9g from the pipeline",
          what, i, x, y);
  }
}

static void
assert_same_label (JsonObject *a, JsonObject *b)
{
  g_assert_cmpint (json_object_get_int_member (a, "category_id"), ==,
      json_object_get_int_member (b, "category_id"));
  g_assert_cmpfloat (json_object_get_double_member (a, "score"), ==,
      json_object_get_double_member (b, "score"));
  assert_same_numbers (json_object_get_array_member (a, "bbox"),
      json_object_get_array_member (b, "bbox"), "bbox");
  g_assert_cmpint (json_object_has_member (a, "keypoints"), ==,
      json_object_has_member (b, "keypoints"));
  if (json_object_has_member (a, "keypoints"))
    assert_same_numbers (json_object_get_array_member (a, "keypoints"),
        json_object_get_array_member (b, "keypoints"), "keypoints");
}

static JsonNode *
thresholds_of (JsonObject *coco)
{
  JsonObject *prov = json_object_get_object_member (coco, "provenance");
  g_assert_nonnull (prov);
  return json_object_get_member (prov, "thresholds");
}

static void
test_pipeline_matches_cli (void)
{
  const char *ddistill = g_getenv ("DDISTILL");
  g_assert_nonnull (ddistill);
  g_autofree char *synth = g_build_filename (tmp, "synth", NULL);
  char *synth_argv[] = { (char *) ddistill, "synth", "--spec", "test", "--out",
    synth, NULL };
  run_command (synth_argv);
  g_autofree char *images = g_build_filename (synth, "unlabeled-120.json",
      NULL);
  g_autofree char *labeled = g_build_filename (synth, "labeled-35.json", NULL);
  g_autofree char *cli_out = g_build_filename (tmp, "cli.json", NULL);
  char *label_argv[] = { (char *) ddistill, "label", "--model", model,
    "--images", images, "--transforms", SPEC, "--calibrate-with", labeled,
    "--device", "reference", "--out", cli_out, NULL };
  run_command (label_argv);

  g_autofree char *dataset = g_build_filename (tmp, "dataset", NULL);
  g_autofree char *desc = g_strdup_printf ("dddatasetsrc location=%s "
      "! ddlabel model=%s device=reference transforms=%s "
      "! dddatasetsink location=%s labeled=%s", images, model, SPEC, dataset,
      labeled);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_list_free_full (fixture_run (pipeline, 0, FALSE),
      (GDestroyNotify) gst_message_unref);
  gst_object_unref (pipeline);

  JsonParser *cp = json_parser_new (), *pp = json_parser_new ();
  g_autofree char *pipe_out = g_build_filename (dataset, "annotations.json",
      NULL);
  JsonObject *cli = read_json (cp, cli_out), *pipe = read_json (pp, pipe_out);
  GHashTable *a = labels_by_image (cli, synth), *b = labels_by_image (pipe,
      NULL);
  guint n_images = g_hash_table_size (a);
  g_assert_cmpuint (n_images, ==, g_hash_table_size (b));
  g_assert_cmpuint (n_images, >, 0);
  guint total = 0;
  GHashTableIter it;
  gpointer uri, labels;
  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &uri, &labels)) {
    GPtrArray *la = labels, *lb = g_hash_table_lookup (b, uri);
    if (lb == NULL)
      g_error ("%s: labelled by ddistill label, not by the pipeline",
          (char *) uri);
    g_assert_cmpuint (la->len, ==, lb->len);
    for (guint j = 0; j < la->len; j++)
      assert_same_label (g_ptr_array_index (la, j), g_ptr_array_index (lb, j));
    total += la->len;
  }
  g_test_message ("%u images, %u labels, identical", n_images, total);
  g_assert_cmpuint (total, >, 0);
  g_assert_true (json_node_equal (thresholds_of (cli), thresholds_of (pipe)));
  g_hash_table_unref (a);
  g_hash_table_unref (b);
  g_object_unref (cp);
  g_object_unref (pp);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  tmp = fixture_tmpdir ("label-cli");
  model = fixture_make_model (tmp, 7);
  g_test_add_func ("/label-cli/pipeline-matches-cli",
      test_pipeline_matches_cli);
  int status = g_test_run ();
  fixture_rmdir (tmp);
  g_free (tmp);
  g_free (model);
  return status;
}
