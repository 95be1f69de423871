/* The COCO reader on real data: the four COCO val2017 images of the shared
 * fixture, their 14 people, and 118 real person detections, read exactly. */
#include "data/coco.h"

#include "coco_real.h"

#include <glib/gstdio.h>

#define GT_PATH DD_COCO_REAL_DIR "/test_coco.json"
#define DT_PATH DD_COCO_REAL_DIR "/test_coco_det_AP_H_56.json"

static const dd_coco_annotation *
find_annotation (const dd_coco_dataset *ds, int64_t id)
{
  for (guint i = 0; i < ds->annotations->len; i++)
    if (g_array_index (ds->annotations, dd_coco_annotation, i).id == id)
      return &g_array_index (ds->annotations, dd_coco_annotation, i);
  return NULL;
}

static void
test_counts_and_images (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = dd_coco_read_full (GT_PATH, DD_COCO_REAL_DIR,
      DD_COCO_READ_CHECK_IMAGES, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->images->len, ==, 4);
  g_assert_cmpuint (ds->annotations->len, ==, 14);
  g_assert_cmpuint (ds->categories->len, ==, 1);
  g_assert_cmpstr (ds->image_dir, ==, DD_COCO_REAL_DIR);

  static const struct { int64_t id; const char *file; int w, h; } expected[4] = {
    { 785, "000000000785.jpg", 640, 425 },
    { 40083, "000000040083.jpg", 500, 333 },
    { 196141, "000000196141.jpg", 640, 429 },
    { 197388, "000000197388.jpg", 640, 392 },
  };
  for (int i = 0; i < 4; i++) {
    const dd_coco_image *image = &g_array_index (ds->images, dd_coco_image, i);
    g_assert_cmpint (image->id, ==, expected[i].id);
    g_assert_cmpstr (image->file_name, ==, expected[i].file);
    g_assert_cmpint (image->width, ==, expected[i].w);
    g_assert_cmpint (image->height, ==, expected[i].h);
    g_assert_null (image->source_uri);
    g_assert_cmpint (image->timestamp_ns, ==, -1);
    g_assert_cmpint (dd_coco_find_image (ds, expected[i].id), ==, i);
  }
  g_assert_cmpint (dd_coco_find_image (ds, 786), ==, -1);

  JsonObject *info = json_node_get_object (ds->info);
  g_assert_cmpstr (json_object_get_string_member (info, "description"), ==,
      "For testing COCO dataset only.");
  g_assert_cmpint (json_object_get_int_member (info, "year"), ==, 2020);
  g_assert_null (ds->provenance);
  dd_coco_dataset_free (ds);
}

static void
test_category (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = dd_coco_read (GT_PATH, &error);
  g_assert_no_error (error);
  const dd_coco_category *cat = &g_array_index (ds->categories, dd_coco_category, 0);
  g_assert_cmpint (cat->id, ==, 1);
  g_assert_cmpstr (cat->name, ==, "person");
  g_assert_cmpstr (cat->supercategory, ==, "person");
  g_assert_cmpint (cat->n_keypoints, ==, DD_COCO_PERSON_KEYPOINTS);
  g_assert_cmpstr (cat->keypoint_names[0], ==, "nose");
  g_assert_cmpstr (cat->keypoint_names[5], ==, "left_shoulder");
  g_assert_cmpstr (cat->keypoint_names[16], ==, "right_ankle");
  g_assert_cmpint (cat->n_skeleton, ==, 19);
  g_assert_cmpint (cat->skeleton[0][0], ==, 16);
  g_assert_cmpint (cat->skeleton[0][1], ==, 14);
  g_assert_cmpint (cat->skeleton[18][0], ==, 5);
  g_assert_cmpint (cat->skeleton[18][1], ==, 7);
  g_assert_cmpint (dd_coco_find_category (ds, 1), ==, 0);
  g_assert_cmpint (dd_coco_find_category (ds, 2), ==, -1);
  dd_coco_dataset_free (ds);
}

static void
test_annotations (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = dd_coco_read (GT_PATH, &error);
  g_assert_no_error (error);

  const dd_coco_annotation *a = find_annotation (ds, 442619);
  g_assert_nonnull (a);
  g_assert_cmpint (a->image_id, ==, 785);
  g_assert_cmpint (a->category_id, ==, 1);
  g_assert_cmpfloat (a->bbox[0], ==, 280.79);
  g_assert_cmpfloat (a->bbox[1], ==, 44.73);
  g_assert_cmpfloat (a->bbox[2], ==, 218.7);
  g_assert_cmpfloat (a->bbox[3], ==, 346.68);
  g_assert_cmpfloat (a->area, ==, 27789.11055);
  g_assert_cmpint (a->iscrowd, ==, 0);
  g_assert_cmpint (a->num_keypoints, ==, 17);
  g_assert_cmpint (a->n_keypoints, ==, 17);
  g_assert_false (a->has_score);
  static const float first_last[6] = { 367, 81, 2, 396, 341, 2 };
  for (int i = 0; i < 3; i++) {
    g_assert_cmpfloat (a->keypoints[i], ==, first_last[i]);
    g_assert_cmpfloat (a->keypoints[48 + i], ==, first_last[3 + i]);
  }
  g_assert_true (JSON_NODE_HOLDS_ARRAY (a->segmentation));

  /* A person with no labelled keypoint: 17 triples of zeros. */
  const dd_coco_annotation *b = find_annotation (ds, 1202706);
  g_assert_nonnull (b);
  g_assert_cmpint (b->image_id, ==, 40083);
  g_assert_cmpint (b->num_keypoints, ==, 0);
  g_assert_cmpint (b->n_keypoints, ==, 17);
  for (int i = 0; i < 51; i++)
    g_assert_cmpfloat (b->keypoints[i], ==, 0);
  g_assert_cmpfloat (b->area, ==, 491.2669);

  int total_visible = 0;
  for (guint i = 0; i < ds->annotations->len; i++)
    total_visible += g_array_index (ds->annotations, dd_coco_annotation, i).num_keypoints;
  g_assert_cmpint (total_visible, ==, 17 + 14 + 15 + 0 + 15 + 15 + 0 + 12 + 17 + 16 + 16 + 15 + 16 + 13);
  dd_coco_dataset_free (ds);
}

static void
test_results (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *gt = dd_coco_read (GT_PATH, &error);
  g_assert_no_error (error);
  dd_coco_dataset *dt = dd_coco_read_results (DT_PATH, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dt->annotations->len, ==, 118);
  const dd_coco_annotation *d = &g_array_index (dt->annotations, dd_coco_annotation, 0);
  g_assert_cmpint (d->id, ==, 1);
  g_assert_cmpint (d->image_id, ==, 785);
  g_assert_cmpint (d->category_id, ==, 1);
  g_assert_true (d->has_score);
  g_assert_cmpfloat (d->score, ==, 0.9999731779098511);
  g_assert_cmpfloat (d->bbox[0], ==, 277.1183158543966);
  g_assert_cmpfloat (d->bbox[3], ==, 333.5602652943344);
  /* loadRes: the area of a box result is w * h, computed in double. */
  g_assert_cmpfloat (d->area, ==, 225.09126579259754 * 333.5602652943344);
  g_assert_cmpint (d->iscrowd, ==, 0);
  const dd_coco_annotation *last = &g_array_index (dt->annotations, dd_coco_annotation, 117);
  g_assert_cmpint (last->id, ==, 118);
  g_assert_true (dd_coco_check_results (gt, dt, DT_PATH, &error));
  g_assert_no_error (error);
  dd_coco_dataset_free (gt);
  dd_coco_dataset_free (dt);
}

/* Keypoint results without a box take box and area from the keypoints'
 * extent, all keypoints counted, as pycocotools' loadRes. */
static void
test_keypoint_results_extent (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ddcoco-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "dt.json", NULL);
  const char *text = "[{\"image_id\": 1, \"category_id\": 1, \"score\": 0.5, "
      "\"keypoints\": [10, 20, 1, 4.5, 30, 0, 12, 2.25, 2]}, "
      "{\"image_id\": 1, \"category_id\": 1, \"score\": 0.25, \"bbox\": [0, 0, 1, 1], "
      "\"keypoints\": [1, 1, 1, 3, 5, 1, 2, 2, 0]}]";
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *dt = dd_coco_read_results (path, &error);
  g_assert_no_error (error);
  const dd_coco_annotation *d = &g_array_index (dt->annotations, dd_coco_annotation, 0);
  g_assert_cmpfloat (d->bbox[0], ==, 4.5);
  g_assert_cmpfloat (d->bbox[1], ==, 2.25);
  g_assert_cmpfloat (d->bbox[2], ==, 7.5);
  g_assert_cmpfloat (d->bbox[3], ==, 27.75);
  g_assert_cmpfloat (d->area, ==, 7.5 * 27.75);
  g_assert_cmpint (d->num_keypoints, ==, 2);
  /* The first entry decided: the second's own box is replaced too. */
  d = &g_array_index (dt->annotations, dd_coco_annotation, 1);
  g_assert_cmpfloat (d->bbox[2], ==, 2);
  g_assert_cmpfloat (d->bbox[3], ==, 4);
  g_assert_cmpfloat (d->area, ==, 8);
  dd_coco_dataset_free (dt);
  g_unlink (path);
  g_rmdir (dir);
}

/* iscrowd written true or false, as some tools do, reads as 1 or 0; other
 * integer fields refuse booleans (tests/data/test_coco_errors.c). */
static void
test_iscrowd_boolean (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ddcoco-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "gt.json", NULL);
  const char *text = "{\"images\": [{\"id\": 1, \"file_name\": \"1.jpg\", "
      "\"width\": 64, \"height\": 48}], \"categories\": [{\"id\": 1, "
      "\"name\": \"person\"}], \"annotations\": ["
      "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], "
      "\"area\": 12, \"iscrowd\": true}, "
      "{\"id\": 6, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], "
      "\"area\": 12, \"iscrowd\": false}, "
      "{\"id\": 7, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], "
      "\"area\": 12, \"iscrowd\": 1}]}";
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *ds = dd_coco_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (find_annotation (ds, 5)->iscrowd, ==, 1);
  g_assert_cmpint (find_annotation (ds, 6)->iscrowd, ==, 0);
  g_assert_cmpint (find_annotation (ds, 7)->iscrowd, ==, 1);
  dd_coco_dataset_free (ds);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  g_test_add_func ("/coco/read/counts-and-images", test_counts_and_images);
  g_test_add_func ("/coco/read/category", test_category);
  g_test_add_func ("/coco/read/annotations", test_annotations);
  g_test_add_func ("/coco/read/results", test_results);
  g_test_add_func ("/coco/read/keypoint-results-extent", test_keypoint_results_extent);
  g_test_add_func ("/coco/read/iscrowd-boolean", test_iscrowd_boolean);
  return g_test_run ();
}
