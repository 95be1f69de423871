/* `ddistill train` and `ddistill predict` as a user runs them, on the
 * synthetic `test` benchmark: train, predict on the validation set, a
 * folder and a list, evaluate with `ddistill eval`; a training run killed
 * (SIGKILL) and started again ends with the same model as one never
 * interrupted; bad input and bad usage give their messages and exit
 * statuses. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "fixture.h"

static char *tree;

static char *
path (const char *a, const char *b)
{
  return g_build_filename (tree, a, b, NULL);
}

static int
run (const char *const *args, const char *expect_in_stderr)
{
  g_autofree char *err = NULL;
  int status = fixture_run_ddistill (args, &err);
  if (expect_in_stderr && !strstr (err, expect_in_stderr))
    g_error ("expected '%s' in the stderr of ddistill %s: %s", expect_in_stderr, args[0],
             err);
  return status;
}

static void
train (const char *out, const char *stop_after)
{
  g_autofree char *data = path ("data", "labeled-115.json");
  const char *args[] = { "train", "--model", "tiny", "--data", data, "--iters", "40",
                         "--batch", "2", "--device", "reference", "--checkpoint-every",
                         "4", "--seed", "7", "--out", out,
                         stop_after ? "--stop-after" : NULL, stop_after, NULL };
  g_assert_cmpint (run (args, "iter "), ==, 0);
}

static JsonArray *
read_results (const char *file, JsonParser *parser)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_file (parser, file, &error));
  g_assert_no_error (error);
  JsonNode *root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  return json_node_get_array (root);
}

/* Every result is a COCO detection of a validation image: 17 keypoints
 * with v 1 or 2, a box, a score at or above the threshold. */
static void
check_results (const char *file, double threshold, gboolean val_ids)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *results = read_results (file, parser);
  g_assert_cmpuint (json_array_get_length (results), >, 0);
  for (guint i = 0; i < json_array_get_length (results); i++) {
    JsonObject *d = json_array_get_object_element (results, i);
    g_assert_cmpint (json_object_get_int_member (d, "category_id"), ==, 1);
    gint64 id = json_object_get_int_member (d, "image_id");
    if (val_ids)
      g_assert_true (id >= 500000001 && id <= 500000006);
    else
      g_assert_true (id >= 0 && id <= 5);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (d, "bbox")),
                      ==, 4);
    JsonArray *kp = json_object_get_array_member (d, "keypoints");
    g_assert_cmpuint (json_array_get_length (kp), ==, 51);
    for (guint k = 0; k < 17; k++) {
      gint64 v = json_array_get_int_element (kp, 3 * k + 2);
      g_assert_true (v == 1 || v == 2);
    }
    g_assert_cmpfloat (json_object_get_double_member (d, "score"), >=, threshold);
  }
}

static void
test_train_predict_eval (void)
{
  g_autofree char *model = path ("model", NULL);
  train (model, NULL);
  g_autofree char *weights = path ("model", "model.safetensors");
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  g_autofree char *val = path ("data", "val.json");
  g_autofree char *dets = path ("val-detections.json", NULL);
  g_autofree char *sheet = path ("sheet.png", NULL);
  const char *predict[] = { "predict", "--model", model, "--images", val, "--out", dets,
                            "--device", "reference", "--score-threshold", "0.02",
                            "--draw", sheet, "--draw-count", "4", NULL };
  g_assert_cmpint (run (predict, "detections in 6 images"), ==, 0);
  check_results (dets, 0.02, TRUE);
  g_autofree char *png = NULL;
  gsize png_len;
  g_assert_true (g_file_get_contents (sheet, &png, &png_len, NULL));
  g_assert_cmpuint (png_len, >, 8);
  g_assert_true (memcmp (png, "\x89PNG\r\n\x1a\n", 8) == 0);
  const char *kp_eval[] = { "eval", val, dets, "--iou-type", "keypoints", "--json", NULL };
  g_assert_cmpint (run (kp_eval, NULL), ==, 0);
  const char *box_eval[] = { "eval", val, dets, "--iou-type", "bbox", NULL };
  g_assert_cmpint (run (box_eval, NULL), ==, 0);

  /* A folder: ids from the numeric names (000000.jpg ... 000005.jpg). */
  g_autofree char *folder = path ("data", "val/images");
  g_autofree char *from_folder = path ("folder-detections.json", NULL);
  const char *by_folder[] = { "predict", "--model", model, "--images", folder, "--out",
                              from_folder, "--device", "reference", NULL };
  g_assert_cmpint (run (by_folder, "in 6 images"), ==, 0);
  check_results (from_folder, 0.05, FALSE);
  /* A list, relative to its folder, with a comment. */
  g_autofree char *list = path ("data", "list.txt");
  g_assert_true (g_file_set_contents (list, "# two images\nval/images/000001.jpg\n\n"
                                      "val/images/000004.jpg\n", -1, NULL));
  g_autofree char *from_list = path ("list-detections.json", NULL);
  const char *by_list[] = { "predict", "--model", model, "--images", list, "--out",
                            from_list, "--device", "reference", NULL };
  g_assert_cmpint (run (by_list, "in 2 images"), ==, 0);
}

/* SIGKILL after the first checkpoints, then the same command again. */
static void
test_killed_run_resumes_exactly (void)
{
  g_autofree char *straight = path ("straight", NULL);
  g_autofree char *killed = path ("killed", NULL);
  train (straight, NULL);
  g_autofree char *data = path ("data", "labeled-115.json");
  const char *argv[] = { DDISTILL, "train", "--model", "tiny", "--data", data, "--iters",
                         "40", "--batch", "2", "--device", "reference",
                         "--checkpoint-every", "4", "--seed", "7", "--out", killed, NULL };
  GPid pid;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  g_autofree char *checkpoint = path ("killed", "checkpoint.safetensors");
  g_autofree char *model = path ("killed", "model.safetensors");
  while (!g_file_test (checkpoint, G_FILE_TEST_EXISTS))
    g_usleep (2000);
  gboolean finished = g_file_test (model, G_FILE_TEST_EXISTS);
  kill (pid, SIGKILL);
  int status;
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  if (finished)
    g_test_message ("the run ended before it could be killed");
  train (killed, NULL);
  g_autofree char *a = path ("straight", "model.safetensors");
  g_assert_true (fixture_same_bytes (a, model));
}

static void
test_bad_input_and_usage (void)
{
  g_autofree char *data = path ("data", "labeled-115.json");
  g_autofree char *out = path ("never", NULL);
  const char *no_iters[] = { "train", "--model", "tiny", "--data", data, "--out", out, NULL };
  g_assert_cmpint (run (no_iters, "--iters"), ==, 2);
  const char *ratio[] = { "train", "--model", "tiny", "--data", data, "--out", out,
                          "--iters", "3", "--ratio", "0.5", NULL };
  g_assert_cmpint (run (ratio, "--extra"), ==, 2);
  /* A negative rate is refused, not taken for "not given". */
  const char *negative_lr[] = { "train", "--model", "tiny", "--data", data, "--out", out,
                                "--iters", "3", "--lr", "-0.01", NULL };
  g_assert_cmpint (run (negative_lr, "--lr takes a positive"), ==, 2);
  const char *bad_batch[] = { "train", "--model", "tiny", "--data", data, "--out", out,
                              "--iters", "3", "--batch", "lots", NULL };
  g_assert_cmpint (run (bad_batch, "'lots'"), ==, 2);
  const char *bad_device[] = { "train", "--model", "tiny", "--data", data, "--out", out,
                               "--iters", "3", "--device", "abacus", NULL };
  g_assert_cmpint (run (bad_device, "abacus"), ==, 1);
  g_autofree char *unlabeled = path ("data", "unlabeled-120.json");
  const char *no_labels[] = { "train", "--model", "tiny", "--data", unlabeled, "--out", out,
                              "--iters", "3", NULL };
  g_assert_cmpint (run (no_labels, "no annotations"), ==, 1);

  g_autofree char *dets = path ("never.json", NULL);
  g_autofree char *val = path ("data", "val.json");
  const char *no_model[] = { "predict", "--model", out, "--images", val, "--out", dets,
                             NULL };
  g_assert_cmpint (run (no_model, "model.json"), ==, 1);
  const char *no_out[] = { "predict", "--model", out, "--images", val, NULL };
  g_assert_cmpint (run (no_out, "--out"), ==, 2);
  /* An image that does not decode, named. */
  g_autofree char *model = path ("model", NULL);
  g_autofree char *list = path ("data", "bad-list.txt");
  g_autofree char *junk = path ("data", "junk.png");
  g_assert_true (g_file_set_contents (junk, "not a png", -1, NULL));
  g_assert_true (g_file_set_contents (list, "junk.png\n", -1, NULL));
  const char *bad_image[] = { "predict", "--model", model, "--images", list, "--out", dets,
                              "--device", "reference", NULL };
  g_assert_cmpint (run (bad_image, "junk.png"), ==, 1);
  g_assert_false (g_file_test (dets, G_FILE_TEST_EXISTS));
  /* Two names of one image id, which an evaluation would merge. */
  g_assert_true (g_file_set_contents (list, "1.png\n001.png\n", -1, NULL));
  const char *same_id[] = { "predict", "--model", model, "--images", list, "--out", dets,
                            "--device", "reference", NULL };
  g_assert_cmpint (run (same_id, "both name image id 1"), ==, 1);
  g_assert_false (g_file_test (dets, G_FILE_TEST_EXISTS));
  /* An --out that is an input, however spelt, is refused before it is
   * touched. */
  g_autofree char *val_text = NULL, *model_text = NULL;
  g_assert_true (g_file_get_contents (val, &val_text, NULL, NULL));
  g_autofree char *val_again = path ("data/.", "val.json");
  const char *onto_images[] = { "predict", "--model", model, "--images", val, "--out",
                                val_again, "--device", "reference", NULL };
  g_assert_cmpint (run (onto_images, "is also the input --images"), ==, 2);
  g_autofree char *model_json = path ("model", "model.json");
  g_assert_true (g_file_get_contents (model_json, &model_text, NULL, NULL));
  const char *onto_model[] = { "predict", "--model", model, "--images", val, "--out",
                               model_json, "--device", "reference", NULL };
  g_assert_cmpint (run (onto_model, "--model's network"), ==, 2);
  g_autofree char *val_after = NULL, *model_after = NULL;
  g_assert_true (g_file_get_contents (val, &val_after, NULL, NULL));
  g_assert_true (g_file_get_contents (model_json, &model_after, NULL, NULL));
  g_assert_cmpstr (val_after, ==, val_text);
  g_assert_cmpstr (model_after, ==, model_text);
  /* Nowhere to write: said before any image is run. */
  g_autofree char *nowhere = path ("no-such-folder", "dets.json");
  const char *no_folder[] = { "predict", "--model", model, "--images", val, "--out",
                              nowhere, "--device", "reference", NULL };
  g_assert_cmpint (run (no_folder, "its folder"), ==, 2);
  g_autofree char *sheet_nowhere = path ("no-such-folder", "sheet.png");
  const char *no_sheet_folder[] = { "predict", "--model", model, "--images", val, "--out",
                                    dets, "--draw", sheet_nowhere, "--device", "reference",
                                    NULL };
  g_assert_cmpint (run (no_sheet_folder, "--draw"), ==, 2);
  g_assert_false (g_file_test (dets, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tree = fixture_synth_tree ();
  g_test_add_func ("/cli/train-predict-eval", test_train_predict_eval);
  g_test_add_func ("/cli/killed-run-resumes-exactly", test_killed_run_resumes_exactly);
  g_test_add_func ("/cli/bad-input-and-usage", test_bad_input_and_usage);
  int status = g_test_run ();
  fixture_remove_tree (tree);
  g_free (tree);
  return status;
}
