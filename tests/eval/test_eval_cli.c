/* `ddistill eval` as a user runs it: the table and the JSON on the real
 * fixture, exit status 1 with a message on bad input, 2 on bad usage. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "coco_real.h"

#define GT_PATH DD_COCO_REAL_DIR "/test_coco.json"
#define DT_PATH DD_COCO_REAL_DIR "/test_coco_det_AP_H_56.json"

static char *test_dir;

typedef struct run_result {
  int status;
  char *out, *err;
} run_result;

static run_result
run (const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) DDISTILL);
  g_ptr_array_add (argv, (gpointer) "eval");
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  run_result r = { 0 };
  g_autoptr (GError) error = NULL;
  int wait_status;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
          NULL, &r.out, &r.err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r.status = WEXITSTATUS (wait_status);
  g_ptr_array_free (argv, TRUE);
  return r;
}

static void
run_clear (run_result *r)
{
  g_free (r->out);
  g_free (r->err);
}

static void
test_table (void)
{
  const char *args[] = { GT_PATH, DT_PATH, "--iou-type", "bbox", NULL };
  run_result r = run (args);
  g_assert_cmpint (r.status, ==, 0);
  gchar **lines = g_strsplit (r.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 13);       /* 12 and the last newline */
  g_assert_cmpstr (lines[0], ==,
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.789");
  g_assert_cmpstr (lines[6], ==,
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.279");
  g_strfreev (lines);
  run_clear (&r);
}

static void
test_json (void)
{
  const char *args[] = { GT_PATH, DT_PATH, "--iou-type", "bbox", "--json",
    "--per-category", NULL };
  run_result r = run (args);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (r.out, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (node);
  static const char *const keys[] = { "AP", "AP50", "AP75", "APs", "APm", "APl",
    "AR", "AR50", "AR75", "ARs", "ARm", "ARl" };
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (o, keys[i]));
  g_assert_cmpuint (json_object_get_size (o), ==, 13);    /* and per_category */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "AP"),
      0.7891214003991492, 1e-12);
  JsonArray *cats = json_object_get_array_member (o, "per_category");
  g_assert_cmpuint (json_array_get_length (cats), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (cats, 0),
          "name"), ==, "person");
  run_clear (&r);
}

static void
test_keypoints_without_keypoints (void)
{
  /* The detections are boxes: a keypoint evaluation is refused, naming one. */
  const char *args[] = { GT_PATH, DT_PATH, "--iou-type", "keypoints", NULL };
  run_result r = run (args);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "detection 1: field 'keypoints': 0 keypoints"));
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
}

static void
test_bad_input (void)
{
  g_autofree char *bad = g_build_filename (test_dir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad, "[{\"image_id\": 12, \"category_id\": 1, "
          "\"bbox\": [1, 2, 3, 4], \"score\": 0.5}]", -1, NULL));
  const char *args[] = { GT_PATH, bad, "--iou-type", "bbox", NULL };
  run_result r = run (args);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, bad));
  g_assert_nonnull (strstr (r.err, "detection 1: field 'image_id': 12 is not an image"));
  run_clear (&r);

  const char *missing[] = { GT_PATH, "/nonexistent/dt.json", "--iou-type", "bbox", NULL };
  r = run (missing);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "/nonexistent/dt.json"));
  run_clear (&r);
  g_unlink (bad);
}

static void
test_usage (void)
{
  const char *no_type[] = { GT_PATH, DT_PATH, NULL };
  const char *bad_type[] = { GT_PATH, DT_PATH, "--iou-type", "segm", NULL };
  const char *one_file[] = { GT_PATH, "--iou-type", "bbox", NULL };
  const char *unknown[] = { GT_PATH, DT_PATH, "--iou-type", "bbox", "--fast", NULL };
  const char *const *cases[] = { no_type, bad_type, one_file, unknown };
  static const char *const messages[] = { "--iou-type is required",
    "--iou-type must be bbox or keypoints", "expected two files", "Unknown option" };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    run_result r = run (cases[i]);
    g_assert_cmpint (r.status, ==, 2);
    if (!strstr (r.err, messages[i]))
      g_error ("expected \"%s\" in: %s", messages[i], r.err);
    run_clear (&r);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  test_dir = g_dir_make_tmp ("ddeval-cli-XXXXXX", NULL);
  g_test_add_func ("/eval/cli/table", test_table);
  g_test_add_func ("/eval/cli/json", test_json);
  g_test_add_func ("/eval/cli/keypoints-without-keypoints", test_keypoints_without_keypoints);
  g_test_add_func ("/eval/cli/bad-input", test_bad_input);
  g_test_add_func ("/eval/cli/usage", test_usage);
  int status = g_test_run ();
  g_rmdir (test_dir);
  g_free (test_dir);
  return status;
}
