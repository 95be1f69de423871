/* The COCO writer: round trips that re-read equal (the real fixture, and a
 * dataset of automatic labels with provenance and float keypoints), the
 * streaming writer, and atomic replacement. */
#include "data/coco.h"

#include "coco_real.h"

#include <glib/gstdio.h>
#include <string.h>

#define GT_PATH DD_COCO_REAL_DIR "/test_coco.json"

static void
assert_nodes_equal (JsonNode *a, JsonNode *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a)
    g_assert_true (json_node_equal (a, b));
}

static void
assert_images_equal (const dd_coco_image *a, const dd_coco_image *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpstr (a->file_name, ==, b->file_name);
  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  g_assert_cmpstr (a->source_uri, ==, b->source_uri);
  g_assert_cmpint (a->timestamp_ns, ==, b->timestamp_ns);
}

static void
assert_annotations_equal (const dd_coco_annotation *a, const dd_coco_annotation *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpint (a->image_id, ==, b->image_id);
  g_assert_cmpint (a->category_id, ==, b->category_id);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (a->bbox[i], ==, b->bbox[i]);
  g_assert_cmpfloat (a->area, ==, b->area);
  g_assert_cmpint (a->iscrowd, ==, b->iscrowd);
  g_assert_cmpint (a->num_keypoints, ==, b->num_keypoints);
  g_assert_cmpint (a->n_keypoints, ==, b->n_keypoints);
  for (int i = 0; i < 3 * a->n_keypoints; i++)
    g_assert_cmpfloat (a->keypoints[i], ==, b->keypoints[i]);
  g_assert_cmpint (a->has_score, ==, b->has_score);
  if (a->has_score)
    g_assert_cmpfloat (a->score, ==, b->score);
  assert_nodes_equal (a->segmentation, b->segmentation);
}

static void
assert_categories_equal (const dd_coco_category *a, const dd_coco_category *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->supercategory, ==, b->supercategory);
  g_assert_cmpint (a->n_keypoints, ==, b->n_keypoints);
  for (int k = 0; k < a->n_keypoints; k++)
    g_assert_cmpstr (a->keypoint_names[k], ==, b->keypoint_names[k]);
  g_assert_cmpint (a->n_skeleton, ==, b->n_skeleton);
  if (a->n_skeleton)
    g_assert_cmpmem (a->skeleton, a->n_skeleton * sizeof a->skeleton[0], b->skeleton,
        b->n_skeleton * sizeof b->skeleton[0]);
}

/* Images and annotations may come back in another order (the streaming
 * writer puts images last): compare by id. */
static void
assert_datasets_equal (const dd_coco_dataset *a, const dd_coco_dataset *b)
{
  g_assert_cmpuint (a->images->len, ==, b->images->len);
  g_assert_cmpuint (a->annotations->len, ==, b->annotations->len);
  g_assert_cmpuint (a->categories->len, ==, b->categories->len);
  for (guint i = 0; i < a->images->len; i++) {
    const dd_coco_image *x = &g_array_index (a->images, dd_coco_image, i);
    int j = dd_coco_find_image (b, x->id);
    g_assert_cmpint (j, >=, 0);
    assert_images_equal (x, &g_array_index (b->images, dd_coco_image, j));
  }
  for (guint i = 0; i < a->annotations->len; i++) {
    const dd_coco_annotation *x = &g_array_index (a->annotations, dd_coco_annotation, i);
    gboolean found = FALSE;
    for (guint j = 0; j < b->annotations->len && !found; j++)
      if (g_array_index (b->annotations, dd_coco_annotation, j).id == x->id) {
        assert_annotations_equal (x, &g_array_index (b->annotations, dd_coco_annotation, j));
        found = TRUE;
      }
    g_assert_true (found);
  }
  for (guint i = 0; i < a->categories->len; i++)
    assert_categories_equal (&g_array_index (a->categories, dd_coco_category, i),
        &g_array_index (b->categories, dd_coco_category, i));
  assert_nodes_equal (a->info, b->info);
  assert_nodes_equal (a->provenance, b->provenance);
}

static char *
temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ddcoco-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

/* Nothing but `expected` files left in `dir` (no temporaries). */
static void
assert_dir_holds (const char *dir, int expected)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  int n = 0;
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  g_assert_cmpint (n, ==, expected);
}

static void
remove_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d))) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
test_fixture_round_trip (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "copy.json", NULL);
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = dd_coco_read (GT_PATH, &error);
  g_assert_no_error (error);
  g_assert_true (dd_coco_write (ds, path, &error));
  g_assert_no_error (error);
  dd_coco_dataset *back = dd_coco_read (path, &error);
  g_assert_no_error (error);
  assert_datasets_equal (ds, back);
  assert_dir_holds (dir, 1);
  dd_coco_dataset_free (ds);
  dd_coco_dataset_free (back);
  remove_dir (dir);
}

/* A dataset of automatic labels, built with the append helpers. */
static dd_coco_dataset *
make_auto_labels (void)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  char *names[3] = { "head", "left \"hand\"", "right\\hand" };
  int skeleton[2][2] = { { 1, 2 }, { 1, 3 } };
  dd_coco_category cat = { .id = 7, .name = "fig\u00fcre", .supercategory = NULL,
    .n_keypoints = 3, .keypoint_names = names, .n_skeleton = 2, .skeleton = skeleton };
  dd_coco_add_category (ds, &cat);
  dd_coco_image image = { .id = 1, .file_name = "frames/a.jpg", .width = 320,
    .height = 240, .source_uri = "file:///videos/walk.mp4", .timestamp_ns = 40000000 };
  dd_coco_add_image (ds, &image);
  image = (dd_coco_image) { .id = 2, .file_name = "frames/b.jpg", .width = 320,
    .height = 240, .source_uri = NULL, .timestamp_ns = 0 };
  dd_coco_add_image (ds, &image);
  /* 0.1f and 1/3 have no short decimal form in float or double. */
  float kp[9] = { 0.1f, 12.345678f, 2, 1.0f / 3, 100.0f, 1, 0, 0, 0 };
  dd_coco_annotation ann = { .id = 10, .image_id = 2, .category_id = 7,
    .bbox = { 0.1, 1.0 / 3, 12.5, 7 }, .area = 87.5, .iscrowd = 0, .num_keypoints = 2,
    .n_keypoints = 3, .keypoints = kp, .has_score = 1, .score = 0.7071067811865476 };
  dd_coco_add_annotation (ds, &ann);
  ann.id = 11;
  ann.image_id = 1;
  ann.n_keypoints = 0;
  ann.num_keypoints = 0;
  ann.has_score = 0;
  ann.segmentation = json_from_string ("[[1, 2, 3, 4, 5, 6]]", NULL);
  dd_coco_add_annotation (ds, &ann);
  json_node_unref (ann.segmentation);
  ds->provenance = json_from_string ("{\"teacher_sha256\": \"ab12\", "
      "\"transforms\": [\"s=400\", \"s=400,flip\"], \"thresholds\": {\"7\": 0.61}}", NULL);
  return ds;
}

static void
test_auto_labels_round_trip (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels.json", NULL);
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = make_auto_labels ();
  g_assert_true (dd_coco_write (ds, path, &error));
  g_assert_no_error (error);
  dd_coco_dataset *back = dd_coco_read (path, &error);
  g_assert_no_error (error);
  assert_datasets_equal (ds, back);
  /* Read as results: a dataset whose annotations all score... */
  dd_coco_dataset *as_results = dd_coco_read_results (path, &error);
  g_assert_null (as_results);
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "annotation 11: field 'score': missing"));
  dd_coco_dataset_free (ds);
  dd_coco_dataset_free (back);
  remove_dir (dir);
}

/* The writer prints numbers that read back to exactly the same double. */
static void
test_numbers_exact (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels.json", NULL);
  dd_coco_dataset *ds = make_auto_labels ();
  g_assert_true (dd_coco_write (ds, path, NULL));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  /* 0.1f is 0.100000001490116119384765625: its shortest double form. */
  g_assert_nonnull (strstr (text, "\"keypoints\": [0.10000000149011612, "));
  g_assert_nonnull (strstr (text, "\"bbox\": [0.1, 0.3333333333333333, 12.5, 7]"));
  g_assert_nonnull (strstr (text, "\"score\": 0.7071067811865476"));
  g_assert_nonnull (strstr (text, "\"timestamp_ns\": 40000000"));
  dd_coco_dataset_free (ds);
  remove_dir (dir);
}

static void
test_streaming (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "stream.json", NULL);
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *full = make_auto_labels ();
  dd_coco_dataset *head = dd_coco_dataset_new ();
  dd_coco_add_category (head, &g_array_index (full->categories, dd_coco_category, 0));
  head->provenance = json_node_copy (full->provenance);

  dd_coco_writer *w = dd_coco_writer_new (path, head, &error);
  g_assert_no_error (error);
  /* Annotations may come before their image. */
  for (guint i = 0; i < full->annotations->len; i++)
    g_assert_true (dd_coco_writer_add_annotation (w,
            &g_array_index (full->annotations, dd_coco_annotation, i), &error));
  /* A repeated id is refused and not written. */
  g_assert_false (dd_coco_writer_add_annotation (w,
          &g_array_index (full->annotations, dd_coco_annotation, 0), &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_DUPLICATE);
  g_clear_error (&error);
  for (guint i = 0; i < full->images->len; i++)
    g_assert_true (dd_coco_writer_add_image (w,
            &g_array_index (full->images, dd_coco_image, i), &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (dd_coco_writer_finish (w, &error));
  g_assert_no_error (error);
  assert_dir_holds (dir, 1);

  dd_coco_dataset *back = dd_coco_read (path, &error);
  g_assert_no_error (error);
  assert_datasets_equal (full, back);
  dd_coco_dataset_free (back);
  dd_coco_dataset_free (head);
  dd_coco_dataset_free (full);
  remove_dir (dir);
}

static void
test_streaming_refuses_dangling (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "stream.json", NULL);
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *full = make_auto_labels ();
  dd_coco_dataset *head = dd_coco_dataset_new ();
  dd_coco_add_category (head, &g_array_index (full->categories, dd_coco_category, 0));
  dd_coco_writer *w = dd_coco_writer_new (path, head, &error);
  g_assert_no_error (error);
  g_assert_true (dd_coco_writer_add_annotation (w,
          &g_array_index (full->annotations, dd_coco_annotation, 0), &error));
  g_assert_false (dd_coco_writer_finish (w, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_REFERENCE);
  g_assert_nonnull (strstr (error->message, "annotation 10: field 'image_id': 2 is not"));
  assert_dir_holds (dir, 0);

  g_clear_error (&error);
  w = dd_coco_writer_new (path, head, &error);
  dd_coco_annotation bad = g_array_index (full->annotations, dd_coco_annotation, 0);
  bad.n_keypoints = 2;          /* category 7 has 3 keypoints */
  g_assert_false (dd_coco_writer_add_annotation (w, &bad, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "6 numbers, but category 7"));
  dd_coco_writer_abort (w);
  assert_dir_holds (dir, 0);
  dd_coco_dataset_free (head);
  dd_coco_dataset_free (full);
  remove_dir (dir);
}

/* A failed write leaves the previous file as it was. */
static void
test_atomic_replace (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels.json", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  dd_coco_dataset *ds = make_auto_labels ();
  g_array_index (ds->annotations, dd_coco_annotation, 1).area = -1;
  g_assert_false (dd_coco_write (ds, path, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  assert_dir_holds (dir, 1);
  g_clear_error (&error);

  g_array_index (ds->annotations, dd_coco_annotation, 1).area = 3;
  g_assert_true (dd_coco_write (ds, path, NULL));
  dd_coco_dataset *back = dd_coco_read (path, &error);
  g_assert_no_error (error);
  assert_datasets_equal (ds, back);
  assert_dir_holds (dir, 1);
  dd_coco_dataset_free (back);
  dd_coco_dataset_free (ds);
  remove_dir (dir);
}

static void
test_unwritable_folder (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = make_auto_labels ();
  g_assert_false (dd_coco_write (ds, "/nonexistent-ddistill-dir/labels.json", &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent-ddistill-dir/labels.json"));
  dd_coco_dataset_free (ds);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  g_test_add_func ("/coco/write/fixture-round-trip", test_fixture_round_trip);
  g_test_add_func ("/coco/write/auto-labels-round-trip", test_auto_labels_round_trip);
  g_test_add_func ("/coco/write/numbers-exact", test_numbers_exact);
  g_test_add_func ("/coco/write/streaming", test_streaming);
  g_test_add_func ("/coco/write/streaming-refuses-dangling", test_streaming_refuses_dangling);
  g_test_add_func ("/coco/write/atomic-replace", test_atomic_replace);
  g_test_add_func ("/coco/write/unwritable-folder", test_unwritable_folder);
  return g_test_run ();
}
