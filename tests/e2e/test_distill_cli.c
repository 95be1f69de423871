/* `ddistill distill --spec test`: the four steps through the elements on
 * the test benchmark, then the results' shape (every model scored, the
 * table's rows, the automatic labels and their thresholds, the curve
 * points), the student trained (its loss fell), a second run in the same
 * folder that reuses every step and prints the same table, and `ddistill
 * plot` on the results; the scores it records are those of `ddistill
 * predict` + `ddistill eval`; runs named by their network's content.
 * Usage and spec errors get their exit status.
 * argv[1] is the ddistill program. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static const char *ddistill;
static char *tmp_dir;

/* Runs ddistill with the arguments; returns the exit status, the output
 * in *out_text and the messages in *err_text. */
static int
run (char **out_text, char **err_text, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) ddistill);
  va_list ap;
  va_start (ap, err_text);
  const char *a;
  while ((a = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  int status;
  GError *error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, 0, NULL, NULL,
          out_text, err_text, &status, &error));
  g_assert_no_error (error);
  g_ptr_array_free (argv, TRUE);
  g_test_message ("%s", *err_text);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (!dir) {
    g_remove (path);
    return;
  }
  const char *name;
  while ((name = g_dir_read_name (dir))) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    remove_tree (child);
  }
  g_dir_close (dir);
  g_rmdir (path);
}

static JsonObject *
object (JsonObject *o, const char *member)
{
  g_assert_true (json_object_has_member (o, member));
  JsonNode *n = json_object_get_member (o, member);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
  return json_node_get_object (n);
}

/* {"keypoints": {"AP", ...}, "boxes": {...}}: numbers in [0, 1], or -1
 * where the truth has nothing (the small and medium areas). */
static void
check_scores (JsonObject *scores)
{
  static const char *const kinds[] = { "keypoints", "boxes" };
  static const char *const names[] = { "AP", "AP50", "AP75", "APm", "APl" };
  for (int k = 0; k < 2; k++) {
    JsonObject *o = object (scores, kinds[k]);
    for (int i = 0; i < 5; i++) {
      double v = json_object_get_double_member (o, names[i]);
      g_assert_true ((v >= 0 && v <= 1) || v == -1);
    }
    g_assert_cmpfloat (json_object_get_double_member (o, "AP"), >=, 0);
  }
}

/* A trained model: its folder, training figures, scores and curve. */
static void
check_model (JsonObject *m, gint64 iterations, int curve_points, gboolean trained)
{
  g_assert_true (g_file_test (json_object_get_string_member (m, "run"),
          G_FILE_TEST_IS_DIR));
  check_scores (object (m, "scores"));
  JsonObject *t = object (m, "training");
  g_assert_cmpint (json_object_get_int_member (t, "iterations"), ==, iterations);
  g_assert_cmpint (json_object_get_boolean_member (t, "reused"), ==, !trained);
  if (trained) {
    /* The loss of the first iteration, then the mean of the last 20. */
    double first = json_object_get_double_member (t, "first_loss");
    double last = json_object_get_double_member (t, "last_loss");
    g_test_message ("loss %.4f -> %.4f", first, last);
    g_assert_cmpfloat (last, <, 0.9 * first);
  }
  JsonArray *curve = json_object_get_array_member (m, "curve");
  g_assert_cmpuint (json_array_get_length (curve), ==, curve_points);
  for (int i = 0; i < curve_points; i++) {
    JsonObject *p = json_array_get_object_element (curve, (guint) i);
    g_assert_cmpint (json_object_get_int_member (p, "iteration"), ==,
        iterations * (i + 1) / curve_points);
    check_scores (object (p, "scores"));
  }
}

static void
check_labels (JsonObject *l)
{
  /* The test benchmark: labeled-80's 16 images, their labels dropped. */
  g_assert_cmpint (json_object_get_int_member (l, "images"), ==, 16);
  gint64 labels = json_object_get_int_member (l, "labels");
  g_assert_cmpint (labels, >, 0);
  g_assert_true (g_file_test (json_object_get_string_member (l, "file"),
          G_FILE_TEST_IS_REGULAR));
  /* Count matching: as many instances per image as the labeled set has. */
  JsonObject *t = object (l, "thresholds");
  JsonObject *person = json_array_get_object_element (json_object_get_array_member (t,
          "classes"), 0);
  double wanted = json_object_get_double_member (person, "labeled_mean");
  g_assert_cmpfloat (fabs ((double) labels / 16 - wanted), <=, 2.0 / 16);
  check_scores (object (l, "scores_vs_truth"));
}

/* The JSON object in file `path`, read with `parser` (it owns the result). */
static JsonObject *
read_object (JsonParser *parser, const char *path)
{
  GError *error = NULL;
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* Reads DIR/test/results.json and checks it; returns the table's text. */
static char *
check_results (const char *out, gboolean trained)
{
  g_autofree char *file = g_build_filename (out, "test", "results.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *res = read_object (parser, file);
  g_assert_cmpstr (json_object_get_string_member (res, "experiment"), ==, "test");
  g_assert_cmpint (json_object_get_int_member (res, "labeled_images"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (res, "val_images"), ==, 6);
  JsonArray *rounds = json_object_get_array_member (res, "rounds");
  g_assert_cmpuint (json_array_get_length (rounds), ==, 1);
  JsonObject *r = json_array_get_object_element (rounds, 0);
  g_assert_cmpint (json_object_get_int_member (r, "round"), ==, 1);
  check_model (object (r, "teacher"), 40, 3, trained);
  check_scores (object (r, "teacher_tta"));
  check_labels (object (r, "labels"));
  JsonObject *student = object (r, "student");
  check_model (student, 60, 3, trained);
  /* The student drew from both streams, about 6:4: a minibatch of 4 an
   * iteration in all, over the three slices its curve points made. */
  JsonObject *st = object (student, "training");
  if (trained) {
    g_assert_cmpint (json_object_get_int_member (st, "automatic_drawn"), >, 0);
    g_assert_cmpint (json_object_get_int_member (st, "labeled_drawn")
        + json_object_get_int_member (st, "automatic_drawn"), ==, 60 * 4);
  }
  /* The rho sweep: one more student (its curve is its final score), drawing
   * 1 : 1, so more automatic images than the main student's 6 : 4. */
  JsonArray *sweep = json_object_get_array_member (r, "rho_sweep");
  g_assert_cmpuint (json_array_get_length (sweep), ==, 1);
  JsonObject *one = json_array_get_object_element (sweep, 0);
  g_assert_cmpfloat (json_object_get_double_member (one, "rho"), ==, 1.0);
  check_model (one, 60, 1, trained);
  g_assert_cmpstr (json_object_get_string_member (one, "run"), !=,
      json_object_get_string_member (student, "run"));
  if (trained)
    g_assert_cmpint (json_object_get_int_member (object (one, "training"),
            "automatic_drawn"), >, json_object_get_int_member (st, "automatic_drawn"));
  JsonArray *table = json_object_get_array_member (res, "table");
  g_assert_cmpuint (json_array_get_length (table), ==, 4);
  g_assert_nonnull (strstr (json_object_get_string_member (
              json_array_get_object_element (table, 1), "name"), "test-time"));
  g_assert_nonnull (strstr (json_object_get_string_member (
              json_array_get_object_element (table, 3), "name"), "1 : 1"));
  for (guint i = 0; i < 4; i++)
    check_scores (json_array_get_object_element (table, i));
  g_object_unref (parser);
  g_autofree char *txt = g_build_filename (out, "test", "table.txt", NULL);
  char *text;
  g_assert_true (g_file_get_contents (txt, &text, NULL, NULL));
  return text;
}

/* A PNG of 800 x 500 pixels (its signature and IHDR). */
static void
check_png (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpmem (bytes, 8, "\x89PNG\r\n\x1a\n", 8);
  const guchar *ihdr = (const guchar *) bytes + 16;
  g_assert_cmpuint ((guint) ihdr[2] << 8 | ihdr[3], ==, 800);
  g_assert_cmpuint ((guint) ihdr[6] << 8 | ihdr[7], ==, 500);
}

/* The first round of the results file `results`, read with `parser`. */
static JsonObject *
first_round (JsonParser *parser, const char *results)
{
  return json_array_get_object_element (json_object_get_array_member (
          read_object (parser, results), "rounds"), 0);
}

static void
check_no_png (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    g_assert_false (g_str_has_suffix (name, ".png"));
}

static void
test_distill (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *stdout_text = NULL, *err = NULL;
  g_assert_cmpint (run (&stdout_text, &err, "distill", "--spec", "test", "--out", out,
          NULL), ==, 0);
  g_assert_nonnull (strstr (err, "generating the 'test' benchmark"));
  g_autofree char *table = check_results (out, TRUE);
  g_assert_nonnull (strstr (table, "data distillation: labeled-35 + labeled-80"));
  g_assert_nonnull (strstr (stdout_text, "student - teacher: "));

  /* Again in the same folder: nothing trained or labelled again. */
  g_autofree char *again_out = NULL, *again_err = NULL;
  g_assert_cmpint (run (&again_out, &again_err, "distill", "--spec", "test", "--out",
          out, NULL), ==, 0);
  g_assert_nonnull (strstr (again_err, "labels    made before"));
  g_assert_null (strstr (again_err, "generating"));
  g_autofree char *again = check_results (out, FALSE);
  g_assert_cmpstr (again, ==, table);

  /* A tree that another seed made is not taken for this one: its runs and
   * labels were made from other images. */
  g_autofree char *made = g_build_filename (out, "data", "test", "spec.json", NULL);
  g_autofree char *record = NULL;
  g_assert_true (g_file_get_contents (made, &record, NULL, NULL));
  JsonParser *spec_parser = json_parser_new ();
  JsonObject *spec = read_object (spec_parser, made);
  json_object_set_int_member (spec, "seed", json_object_get_int_member (spec, "seed") + 1);
  JsonGenerator *spec_gen = json_generator_new ();
  json_generator_set_root (spec_gen, json_parser_get_root (spec_parser));
  g_assert_true (json_generator_to_file (spec_gen, made, NULL));
  g_object_unref (spec_gen);
  g_object_unref (spec_parser);
  g_autofree char *other_out = NULL, *other_err = NULL;
  g_assert_cmpint (run (&other_out, &other_err, "distill", "--spec", "test", "--out",
          out, NULL), ==, 1);
  g_assert_nonnull (strstr (other_err, "holds another seed's benchmark"));
  g_assert_true (g_file_set_contents (made, record, -1, NULL));

  /* Its figures. */
  g_autofree char *results = g_build_filename (out, "test", "results.json", NULL);
  g_autofree char *plots = g_build_filename (tmp_dir, "plots", NULL);
  g_autofree char *plot_out = NULL, *plot_err = NULL;
  g_assert_cmpint (run (&plot_out, &plot_err, "plot", "--out", plots, results, NULL),
      ==, 0);
  static const char *const figures[] = { "ap-vs-iterations.png",
    "box-ap-vs-iterations.png", "ap-vs-rho.png", "box-ap-vs-rho.png",
    "student-vs-teacher.png", "box-student-vs-teacher.png"
  };
  for (gsize i = 0; i < G_N_ELEMENTS (figures); i++)
    check_png (plots, figures[i]);

  /* A damaged copy is refused, the field at fault named, nothing drawn. */
  JsonParser *parser = json_parser_new ();
  JsonObject *r = first_round (parser, results);
  json_object_set_string_member (object (object (object (r, "student"), "scores"),
          "boxes"), "AP", "n/a");
  g_autofree char *damaged = g_build_filename (tmp_dir, "damaged.json", NULL);
  JsonGenerator *g = json_generator_new ();
  json_generator_set_root (g, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (g, damaged, NULL));
  g_object_unref (g);
  g_object_unref (parser);
  g_autofree char *none = g_build_filename (tmp_dir, "damaged-plots", NULL);
  g_autofree char *d_out = NULL, *d_err = NULL;
  g_assert_cmpint (run (&d_out, &d_err, "plot", "--out", none, damaged, NULL), ==, 1);
  g_assert_nonnull (strstr (d_err, "damaged.json: rounds[0].student.scores.boxes.AP: "
          "a number is needed"));
  check_no_png (none);
}

/* The dissimilar setting: frames sampled from the test benchmark's clips
 * (3 per clip, 2 clips) through ddcorpussrc and ddsampler, labelled by the
 * teacher of the first run (found again in the same folder), their labels
 * measured against the clips' per-frame truth. */
static void
test_video_frames (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *spec = g_build_filename (tmp_dir, "video.json", NULL);
  g_assert_true (g_file_set_contents (spec, "{\"name\": \"video\", \"benchmark\": "
          "\"test\", \"model\": \"tiny\", \"size\": 32, \"seed\": 1, "
          "\"labeled\": \"labeled-35\", \"unlabeled\": \"video-180\", "
          "\"video_frames\": 3, \"val\": \"val\", \"teacher\": {\"iterations\": 40, "
          "\"batch\": 4}, \"student\": {\"iterations\": 20, \"batch\": 4}, "
          "\"transforms\": \"factors=0.75,1,1.25,flip\", \"curve_points\": 2}", -1,
          NULL));
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "distill", "--spec", spec, "--out", out, NULL), ==, 0);
  g_assert_nonnull (strstr (e, "teacher   done before"));
  g_assert_nonnull (strstr (e, "sampling"));
  g_autofree char *file = g_build_filename (out, "video", "results.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *res = read_object (parser, file);
  g_assert_cmpint (json_object_get_int_member (res, "unlabeled_images"), ==, 6);
  JsonObject *r = json_array_get_object_element (json_object_get_array_member (res,
          "rounds"), 0);
  JsonObject *labels = object (r, "labels");
  g_assert_cmpint (json_object_get_int_member (labels, "images"), ==, 6);
  check_scores (object (labels, "scores_vs_truth"));
  check_model (object (r, "student"), 20, 2, TRUE);
  g_object_unref (parser);

  /* No rho sweep here: no AP-against-rho figure, and plot says why. */
  g_autofree char *plots = g_build_filename (tmp_dir, "video-plots", NULL);
  g_autofree char *po = NULL, *pe = NULL;
  g_assert_cmpint (run (&po, &pe, "plot", "--out", plots, file, NULL), ==, 0);
  check_png (plots, "ap-vs-iterations.png");
  g_autofree char *rho = g_build_filename (plots, "ap-vs-rho.png", NULL);
  g_assert_false (g_file_test (rho, G_FILE_TEST_EXISTS));
  g_assert_nonnull (strstr (pe, "ap-vs-rho.png not written: no experiment has a rho "
          "sweep"));
}

/* `ddistill eval --json` of results `dets` against `truth` for `iou_type`. */
static JsonObject *
eval_json (JsonParser *parser, const char *truth, const char *dets, const char *iou_type)
{
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "eval", "--iou-type", iou_type, "--json", truth, dets,
          NULL), ==, 0);
  GError *error = NULL;
  g_assert_true (json_parser_load_from_data (parser, o, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* Appends detection `d` (pycocotools' result) to `anns` as a true person
 * of image `image_id`, every keypoint labelled visible. */
static void
add_truth (JsonArray *anns, gint64 image_id, JsonObject *d)
{
  JsonObject *a = json_object_new ();
  JsonArray *box = json_object_get_array_member (d, "bbox");
  JsonArray *found = json_object_get_array_member (d, "keypoints");
  JsonArray *kps = json_array_new ();
  for (guint k = 0; k < json_array_get_length (found); k++)
    json_array_add_double_element (kps, k % 3 == 2 ? 2
        : json_array_get_double_element (found, k));
  json_object_set_int_member (a, "id", json_array_get_length (anns) + 1);
  json_object_set_int_member (a, "image_id", image_id);
  json_object_set_int_member (a, "category_id", json_object_get_int_member (d,
          "category_id"));
  json_object_set_array_member (a, "bbox", json_array_ref (box));
  json_object_set_double_member (a, "area", json_array_get_double_element (box, 2)
      * json_array_get_double_element (box, 3));
  json_object_set_int_member (a, "iscrowd", 0);
  json_object_set_array_member (a, "keypoints", kps);
  json_object_set_int_member (a, "num_keypoints", json_array_get_length (found) / 3);
  json_array_add_object_element (anns, a);
}

/* Writes `dataset` (val.json's text) with its annotations replaced by the
 * highest- and the lowest-scored detection of each image in `dets`
 * (pycocotools' results). */
static void
write_truth_from_detections (const char *dataset, const char *dets, const char *path)
{
  JsonParser *dp = json_parser_new (), *rp = json_parser_new ();
  g_assert_true (json_parser_load_from_file (dp, dataset, NULL));
  g_assert_true (json_parser_load_from_file (rp, dets, NULL));
  JsonObject *set = json_node_get_object (json_parser_get_root (dp));
  JsonArray *results = json_node_get_array (json_parser_get_root (rp));
  /* Image id -> its highest-scored detection [0] and its lowest [1]. */
  GHashTable *picked[2];
  for (int side = 0; side < 2; side++)
    picked[side] = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < json_array_get_length (results); i++) {
    JsonObject *d = json_array_get_object_element (results, i);
    gint64 id = json_object_get_int_member (d, "image_id");
    double score = json_object_get_double_member (d, "score");
    for (int side = 0; side < 2; side++) {
      JsonObject *had = g_hash_table_lookup (picked[side], &id);
      if (!had || (side == 0 ? score > json_object_get_double_member (had, "score")
              : score < json_object_get_double_member (had, "score")))
        g_hash_table_replace (picked[side], g_memdup2 (&id, sizeof id), d);
    }
  }
  JsonArray *anns = json_array_new ();
  GHashTableIter it;
  gpointer id, best;
  g_hash_table_iter_init (&it, picked[0]);
  while (g_hash_table_iter_next (&it, &id, &best)) {
    JsonObject *worst = g_hash_table_lookup (picked[1], id);
    add_truth (anns, *(gint64 *) id, best);
    if (worst != best)
      add_truth (anns, *(gint64 *) id, worst);
  }
  json_object_set_array_member (set, "annotations", anns);
  JsonGenerator *gen = json_generator_new ();
  json_generator_set_root (gen, json_parser_get_root (dp));
  g_assert_true (json_generator_to_file (gen, path, NULL));
  g_object_unref (gen);
  for (int side = 0; side < 2; side++)
    g_hash_table_destroy (picked[side]);
  g_object_unref (rp);
  g_object_unref (dp);
}

/* The teacher's scores in results.json are what a user gets from its run
 * with `ddistill predict` and `ddistill eval`: the experiment scores through
 * the labelling code's identity pass, which must not drift from plain
 * prediction (it once re-read the keypoints by another rule). The test
 * teacher scores 0 against the real truth, so val's truth becomes its own
 * best and worst detection of each image, which a drift in boxes,
 * keypoints or scores moves away from; the experiment runs again in the
 * same folder (nothing trained again) to score against it. This teacher
 * makes no detection under DD_SCORE_THRESHOLD, which both leave out: that
 * they agree there rests on the shared constant. */
static void
test_scores_match_predict_and_eval (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *results = g_build_filename (out, "test", "results.json", NULL);
  g_autofree char *val = g_build_filename (out, "data", "test", "val.json", NULL);
  g_autofree char *real_val = g_build_filename (tmp_dir, "real-val.json", NULL);
  g_autofree char *dets = g_build_filename (tmp_dir, "predicted.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *r = first_round (parser, results);
  g_autofree char *teacher = g_strdup (json_object_get_string_member (object (r,
              "teacher"), "run"));
  g_object_unref (parser);
  g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL;
  g_assert_cmpint (run (&o, &e, "predict", "--model", teacher, "--images", val, "--out",
          dets, NULL), ==, 0);
  g_assert_cmpint (g_rename (val, real_val), ==, 0);
  write_truth_from_detections (real_val, dets, val);
  g_assert_cmpint (run (&o2, &e2, "distill", "--spec", "test", "--out", out, NULL), ==, 0);

  parser = json_parser_new ();
  r = first_round (parser, results);
  JsonObject *scores = object (object (r, "teacher"), "scores");
  static const char *const kinds[] = { "keypoints", "boxes" };
  static const char *const iou_types[] = { "keypoints", "bbox" };
  static const char *const names[] = { "AP", "AP50", "AP75" };
  for (int k = 0; k < 2; k++) {
    JsonParser *eval_parser = json_parser_new ();
    JsonObject *evaluated = eval_json (eval_parser, val, dets, iou_types[k]);
    JsonObject *recorded = object (scores, kinds[k]);
    for (int i = 0; i < 3; i++) {
      double want = json_object_get_double_member (evaluated, names[i]);
      g_test_message ("teacher %s %s: %.6f", kinds[k], names[i], want);
      g_assert_cmpfloat (want, >, 0.1);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (recorded,
              names[i]), want, 1e-6);
    }
    g_object_unref (eval_parser);
  }
  g_object_unref (parser);
  g_assert_cmpint (g_rename (real_val, val), ==, 0);
}

/* The test spec with its model replaced by `model` (a network file). */
static char *
spec_with_model (const char *name, const char *model)
{
  g_autofree char *spec = g_build_filename (tmp_dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("{\"name\": \"%s\", \"benchmark\": "
      "\"test\", \"model\": \"%s\", \"size\": 32, \"seed\": 1, \"labeled\": "
      "\"labeled-35\", \"unlabeled\": \"labeled-80\", \"val\": \"val\", "
      "\"teacher\": {\"iterations\": 40, \"batch\": 4}, \"student\": "
      "{\"iterations\": 60, \"batch\": 4}, \"transforms\": "
      "\"factors=0.75,1,1.25,flip\", \"ensemble\": "
      "\"boxes=identity,keypoints=average\", \"curve_points\": 3}", name, model);
  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  return g_steal_pointer (&spec);
}

/* Runs are named by the network's content: the end-to-end teacher's own
 * model.json under another path finds that run again, and the same
 * network edited trains a new one. */
static void
test_runs_named_by_network (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *results = g_build_filename (out, "test", "results.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *r = first_round (parser, results);
  g_autofree char *same = g_build_filename (json_object_get_string_member (
          object (r, "teacher"), "run"), "model.json", NULL);
  g_object_unref (parser);
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
  g_autofree char *spec1 = spec_with_model ("same-network.json", same);
  g_assert_cmpint (run (&o1, &e1, "distill", "--spec", spec1, "--out", out, NULL), ==, 0);
  g_assert_nonnull (strstr (e1, "teacher   done before"));

  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (same, &text, NULL, NULL));
  char *name = strstr (text, "\"name\": \"tiny\"");
  g_assert_nonnull (name);
  g_autofree char *edited_text = g_strdup_printf ("%.*s\"name\": \"tiny-edited\"%s",
      (int) (name - text), text, name + strlen ("\"name\": \"tiny\""));
  g_autofree char *edited = g_build_filename (tmp_dir, "edited.json", NULL);
  g_assert_true (g_file_set_contents (edited, edited_text, -1, NULL));
  g_autofree char *spec2 = spec_with_model ("edited-network.json", edited);
  g_assert_cmpint (run (&o2, &e2, "distill", "--spec", spec2, "--out", out, NULL), ==, 0);
  g_assert_null (strstr (e2, "done before"));
  g_assert_nonnull (strstr (e2, "teacher   iter 40/40"));
}

/* --rounds 2: round 1 is found again; its student is round 2's teacher,
 * labels the corpus again and a second student trains on them. The table
 * names round 2's rows. */
static void
test_two_rounds (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "distill", "--spec", "test", "--rounds", "2", "--out",
          out, NULL), ==, 0);
  g_assert_nonnull (strstr (e, "round 2 of 2"));
  g_assert_nonnull (strstr (e, "student   done before"));
  g_autofree char *file = g_build_filename (out, "test", "results.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonObject *res = read_object (parser, file);
  JsonArray *rounds = json_object_get_array_member (res, "rounds");
  g_assert_cmpuint (json_array_get_length (rounds), ==, 2);
  JsonObject *r1 = json_array_get_object_element (rounds, 0);
  JsonObject *r2 = json_array_get_object_element (rounds, 1);
  g_assert_cmpint (json_object_get_int_member (r2, "round"), ==, 2);
  const char *student1 = json_object_get_string_member (object (r1, "student"), "run");
  g_assert_cmpstr (json_object_get_string_member (object (r2, "teacher"), "run"), ==,
      student1);
  check_scores (object (r2, "teacher_tta"));
  check_labels (object (r2, "labels"));
  g_assert_cmpstr (json_object_get_string_member (object (r2, "labels"), "file"), !=,
      json_object_get_string_member (object (r1, "labels"), "file"));
  JsonObject *student2 = object (r2, "student");
  check_model (student2, 60, 3, TRUE);
  g_assert_cmpstr (json_object_get_string_member (student2, "run"), !=, student1);
  g_object_unref (parser);

  g_autofree char *txt = g_build_filename (out, "test", "table.txt", NULL);
  g_autofree char *table = NULL;
  g_assert_true (g_file_get_contents (txt, &table, NULL, NULL));
  g_assert_nonnull (strstr (table, "round 2 teacher (round 1 student)"));
  g_assert_nonnull (strstr (table, "round 2 teacher + test-time transforms"));
}

/* A benchmark another generator made is refused, not reused: the runs
 * and labels beside it were made from it. */
static void
test_stale_benchmark_refused (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *made = g_build_filename (out, "data", "test", "spec.json", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (made, &text, NULL, NULL));
  /* A version no generator has reached yet. */
  g_assert_true (g_file_set_contents (made, "{\"name\": \"test\", "
          "\"generator_version\": 999999}", -1, NULL));
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "distill", "--spec", "test", "--out", out, NULL), ==, 1);
  g_assert_nonnull (strstr (e, made));
  g_assert_nonnull (strstr (e, "use another --out"));
  g_assert_null (strstr (e, "teacher"));
  g_assert_true (g_file_set_contents (made, text, -1, NULL));
}

/* A folder the labels cannot be written to is named, with the reason,
 * and nothing crashes: here labels/ is a file. The teacher is found
 * again, so the failure comes at the labelling step. */
static void
test_labels_folder_not_writable (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *labels = g_build_filename (out, "labels", NULL);
  g_autofree char *away = g_build_filename (out, "labels.away", NULL);
  g_assert_cmpint (g_rename (labels, away), ==, 0);
  g_assert_true (g_file_set_contents (labels, "not a folder", -1, NULL));
  g_autofree char *o = NULL, *e = NULL;
  int status = run (&o, &e, "distill", "--spec", "test", "--out", out, NULL);
  g_assert_cmpint (g_remove (labels), ==, 0);
  g_assert_cmpint (g_rename (away, labels), ==, 0);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (e, "teacher   done before"));
  g_autofree char *expected = g_strdup_printf ("cannot create the folder %s: ", labels);
  g_assert_nonnull (strstr (e, expected));
  g_assert_null (strstr (e, "CRITICAL"));
}

/* The teacher's run folder, as the results file `results` names it. */
static char *
teacher_run (const char *results)
{
  JsonParser *parser = json_parser_new ();
  char *run = g_strdup (json_object_get_string_member (object (first_round (parser,
                  results), "teacher"), "run"));
  g_object_unref (parser);
  return run;
}

/* A run trained past a curve point without its slice (by a spec with
 * fewer curve points) gets no point there, not a later step's weights under
 * that point's name, and says why: trained to the end (its model there), or
 * stopped past it (only its last checkpoint, step 40, left). */
static void
test_curve_point_past_checkpoint (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *results = g_build_filename (out, "test", "results.json", NULL);
  g_autofree char *teacher = teacher_run (results);
  const char *gone[] = { "at-13", "at-26", "model.json", "model.safetensors" };
  for (gsize i = 0; i < G_N_ELEMENTS (gone); i++) {
    g_autofree char *path = g_build_filename (teacher, gone[i], NULL);
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    remove_tree (path);
    if (i != 1)
      continue;
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (run (&o, &e, "distill", "--spec", "test", "--out", out, NULL), ==,
        0);
    g_autofree char *why = g_strdup_printf ("teacher   no curve point at 26: %s was "
        "trained to the end without one", teacher);
    g_assert_nonnull (strstr (e, why));
  }
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "distill", "--spec", "test", "--out", out, NULL), ==, 0);
  g_assert_nonnull (strstr (e, "teacher   no curve point at 13: "));
  g_assert_nonnull (strstr (e, "teacher   no curve point at 26: "));
  g_assert_nonnull (strstr (e, "is at iteration 40 already"));
  JsonParser *parser = json_parser_new ();
  JsonObject *t = object (first_round (parser, results), "teacher");
  JsonArray *curve = json_object_get_array_member (t, "curve");
  g_assert_cmpuint (json_array_get_length (curve), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (curve, 0),
          "iteration"), ==, 40);
  g_object_unref (parser);
}

/* A run whose model was saved short of its schedule (ddtrain saves at EOS,
 * and a source that fails sends EOS after its error) is resumed, not
 * reused: its checkpoint's step, set back to 13 here as that run's would
 * be, says it is not done. */
static void
test_model_short_of_schedule_resumed (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *results = g_build_filename (out, "test", "results.json", NULL);
  g_autofree char *teacher = teacher_run (results);
  g_autofree char *checkpoint = g_build_filename (teacher, "checkpoint.safetensors", NULL);
  g_autofree char *model = g_build_filename (teacher, "model.safetensors", NULL);
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  char *bytes;
  gsize len;
  g_assert_true (g_file_get_contents (checkpoint, &bytes, &len, NULL));
  const char *was = "\"step\":\"40\"";
  char *step = memmem (bytes, len, was, strlen (was));
  g_assert_nonnull (step);
  memcpy (step + strlen ("\"step\":\""), "13", 2);
  g_assert_true (g_file_set_contents (checkpoint, bytes, (gssize) len, NULL));
  g_free (bytes);

  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint (run (&o, &e, "distill", "--spec", "test", "--out", out, NULL), ==, 0);
  g_assert_null (strstr (e, "teacher   done before"));
  g_assert_nonnull (strstr (e, "teacher   iter 40/40"));
  JsonParser *parser = json_parser_new ();
  JsonObject *training = object (object (first_round (parser, results), "teacher"),
      "training");
  g_assert_false (json_object_get_boolean_member (training, "reused"));
  g_assert_cmpint (json_object_get_int_member (training, "iterations"), ==, 40);
  g_object_unref (parser);
}

static void
test_usage (void)
{
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL,
      *e3 = NULL;
  g_assert_cmpint (run (&o1, &e1, "distill", NULL), ==, 2);
  g_assert_nonnull (strstr (e1, "--spec is required"));
  g_assert_cmpint (run (&o2, &e2, "distill", "--spec", "no-such-experiment", NULL), ==,
      1);
  g_assert_nonnull (strstr (e2, "no-such-experiment"));
  g_assert_nonnull (strstr (e2, "small-a"));
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad, "{\"name\": \"x\", \"benchmark\": \"test\", "
          "\"labeled\": \"labeled-35\", \"unlabeled\": \"labeled-80\", \"val\": "
          "\"val\", \"teacher\": {\"iterations\": 2}, \"student\": {\"iterations\": "
          "2, \"ratio\": 1.5}}", -1, NULL));
  g_assert_cmpint (run (&o3, &e3, "distill", "--spec", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (e3, "student.ratio"));
  /* A spec path that is there but cannot be read says why, not that no
   * such spec exists. */
  g_autofree char *o4 = NULL, *e4 = NULL;
  g_assert_cmpint (run (&o4, &e4, "distill", "--spec", tmp_dir, NULL), ==, 1);
  g_assert_nonnull (strstr (e4, tmp_dir));
  g_assert_null (strstr (e4, "no experiment spec"));
  /* --rounds 0 is refused, not taken for "not given" (which would run). */
  g_autofree char *o5 = NULL, *e5 = NULL;
  g_autofree char *unused = g_build_filename (tmp_dir, "rounds-0", NULL);
  g_assert_cmpint (run (&o5, &e5, "distill", "--spec", "test", "--rounds", "0", "--out",
          unused, NULL), ==, 2);
  g_assert_nonnull (strstr (e5, "--rounds takes 1 to 100"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  ddistill = argv[1];
  tmp_dir = g_dir_make_tmp ("dd-distill-cli-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  g_test_add_func ("/distill/usage", test_usage);
  g_test_add_func ("/distill/end-to-end", test_distill);
  g_test_add_func ("/distill/scores-match-predict-and-eval",
      test_scores_match_predict_and_eval);
  g_test_add_func ("/distill/video-frames", test_video_frames);
  g_test_add_func ("/distill/runs-named-by-network", test_runs_named_by_network);
  g_test_add_func ("/distill/stale-benchmark-refused", test_stale_benchmark_refused);
  g_test_add_func ("/distill/labels-folder-not-writable",
      test_labels_folder_not_writable);
  g_test_add_func ("/distill/curve-point-past-checkpoint",
      test_curve_point_past_checkpoint);
  g_test_add_func ("/distill/model-short-of-schedule-resumed",
      test_model_short_of_schedule_resumed);
  /* Last: it rewrites test/results.json with two rounds. */
  g_test_add_func ("/distill/two-rounds", test_two_rounds);
  int status = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
