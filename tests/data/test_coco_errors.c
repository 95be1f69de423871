/* Bad COCO input: every fault is an error that names the file, the entry,
 * the field and what is wrong; nothing crashes and nothing is skipped. Each
 * case is a small file built from a valid one with one fault. */
#include "data/coco.h"

#include <glib/gstdio.h>
#include <string.h>

static char *test_dir;

#define CATEGORY "{\"id\": 1, \"name\": \"person\", \"keypoints\": [\"a\", \"b\"], " \
  "\"skeleton\": [[1, 2]]}"
#define IMAGE(id) "{\"id\": " #id ", \"file_name\": \"" #id ".jpg\", \"width\": 64, \"height\": 48}"
#define ANN(id, image) "{\"id\": " #id ", \"image_id\": " #image ", \"category_id\": 1, " \
  "\"bbox\": [1, 2, 3, 4], \"area\": 12, \"iscrowd\": 0, " \
  "\"keypoints\": [1, 2, 2, 3, 4, 1], \"num_keypoints\": 2}"
#define DATASET(images, anns, cats) "{\"images\": [" images "], \"annotations\": [" anns \
  "], \"categories\": [" cats "]}"
#define VALID DATASET (IMAGE (1) ", " IMAGE (2), ANN (10, 1) ", " ANN (11, 2), CATEGORY)

typedef struct bad_case {
  const char *name;
  const char *text;
  int code;
  const char *message[3];       /* substrings the message must hold */
} bad_case;

static const bad_case dataset_cases[] = {
  { "malformed", "{\"images\": [", DD_COCO_ERROR_PARSE, { "not valid JSON" } },
  { "empty", "", DD_COCO_ERROR_PARSE, { "empty file" } },
  { "array-at-top", "[]", DD_COCO_ERROR_PARSE, { "top level is an array", "results" } },
  { "no-images", "{\"annotations\": []}", DD_COCO_ERROR_PARSE, { "field 'images': missing" } },
  { "images-not-array", "{\"images\": {}}", DD_COCO_ERROR_PARSE,
    { "field 'images': expected an array" } },
  { "image-not-object", "{\"images\": [3]}", DD_COCO_ERROR_PARSE,
    { "images[0]: expected an object" } },
  { "image-id-string", DATASET ("{\"id\": \"7\", \"file_name\": \"a\", \"width\": 1, \"height\": 1}", "", ""),
    DD_COCO_ERROR_FIELD, { "images[0]: field 'id': expected an integer, found a string" } },
  { "image-id-fraction", DATASET ("{\"id\": 7.5, \"file_name\": \"a\", \"width\": 1, \"height\": 1}", "", ""),
    DD_COCO_ERROR_FIELD, { "images[0]: field 'id': expected an integer, found a number" } },
  { "image-width-boolean", DATASET ("{\"id\": 7, \"file_name\": \"a\", \"width\": true, \"height\": 1}", "", ""),
    DD_COCO_ERROR_FIELD, { "image 7: field 'width': expected an integer, found a boolean" } },
  { "image-no-file-name", DATASET ("{\"id\": 7, \"width\": 1, \"height\": 1}", "", ""),
    DD_COCO_ERROR_FIELD, { "image 7: field 'file_name': missing" } },
  { "image-negative-width", DATASET ("{\"id\": 7, \"file_name\": \"a\", \"width\": -5, \"height\": 1}", "", ""),
    DD_COCO_ERROR_FIELD, { "image 7: field 'width': -5", "positive" } },
  { "image-repeated", DATASET (IMAGE (1) ", " IMAGE (2) ", " IMAGE (1), "", CATEGORY),
    DD_COCO_ERROR_DUPLICATE, { "image 1: field 'id': used twice", "entries 0 and 2" } },
  { "category-repeated", DATASET (IMAGE (1), "", CATEGORY ", " CATEGORY),
    DD_COCO_ERROR_DUPLICATE, { "category 1: field 'id': used twice" } },
  { "category-no-name", DATASET (IMAGE (1), "", "{\"id\": 3}"),
    DD_COCO_ERROR_FIELD, { "category 3: field 'name': missing" } },
  { "category-keypoint-name-number", DATASET (IMAGE (1), "", "{\"id\": 3, \"name\": \"x\", \"keypoints\": [1]}"),
    DD_COCO_ERROR_FIELD, { "category 3: field 'keypoints': element 0 is not a string" } },
  { "skeleton-outside", DATASET (IMAGE (1), "", "{\"id\": 3, \"name\": \"x\", \"keypoints\": [\"a\"], \"skeleton\": [[1, 2]]}"),
    DD_COCO_ERROR_FIELD, { "category 3: field 'skeleton': edge 0 refers to keypoint 2" } },
  { "skeleton-not-pairs", DATASET (IMAGE (1), "", "{\"id\": 3, \"name\": \"x\", \"keypoints\": [\"a\"], \"skeleton\": [[1]]}"),
    DD_COCO_ERROR_FIELD, { "category 3: field 'skeleton': expected an array of [a, b] pairs" } },
  { "annotation-repeated", DATASET (IMAGE (1), ANN (10, 1) ", " ANN (10, 1), CATEGORY),
    DD_COCO_ERROR_DUPLICATE, { "annotation 10: field 'id': used twice" } },
  { "annotation-unknown-image", DATASET (IMAGE (1), ANN (10, 1) ", " ANN (11, 99), CATEGORY),
    DD_COCO_ERROR_REFERENCE, { "annotation 11: field 'image_id': 99 is not the id of any image" } },
  { "annotation-unknown-category", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 4, \"bbox\": [1, 2, 3, 4], \"area\": 1}", CATEGORY),
    DD_COCO_ERROR_REFERENCE, { "annotation 5: field 'category_id': 4 is not the id of any category" } },
  { "annotation-category-boolean", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": true, \"bbox\": [1, 2, 3, 4], \"area\": 1}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'category_id': expected an integer, found a boolean" } },
  { "num-keypoints-boolean", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, "
        "\"keypoints\": [1, 2, 2, 3, 4, 1], \"num_keypoints\": false}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'num_keypoints': expected an integer, found a boolean" } },
  { "annotation-no-area", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'area': missing" } },
  { "bbox-three-numbers", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3], \"area\": 1}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'bbox': 3 numbers" } },
  { "bbox-string", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, \"2\", 3, 4], \"area\": 1}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'bbox': element 1 is a string" } },
  { "bbox-negative-height", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, -4], \"area\": 1}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'bbox': height is -4" } },
  { "area-negative", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": -2}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'area': -2" } },
  { "iscrowd-two", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, \"iscrowd\": 2}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'iscrowd': 2: must be 0 or 1" } },
  { "keypoints-wrong-count", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, "
        "\"keypoints\": [1, 2, 2, 3, 4, 1, 5, 6, 2]}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'keypoints': 9 numbers, but category 1 (person) has 2 keypoints" } },
  { "keypoints-not-triples", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, "
        "\"keypoints\": [1, 2, 2, 3]}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'keypoints': 4 numbers, not a multiple of 3" } },
  { "num-keypoints-too-many", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, "
        "\"keypoints\": [1, 2, 2, 3, 4, 1], \"num_keypoints\": 3}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'num_keypoints': 3, outside 0..2" } },
  { "score-negative", DATASET (IMAGE (1),
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": 1, \"score\": -0.5}", CATEGORY),
    DD_COCO_ERROR_FIELD, { "annotation 5: field 'score': -0.5" } },
  { "info-not-object", "{\"images\": [], \"info\": 3}", DD_COCO_ERROR_PARSE,
    { "field 'info': expected an object" } },
};

static const bad_case results_cases[] = {
  { "results-malformed", "[{\"image_id\": 1,", DD_COCO_ERROR_PARSE, { "not valid JSON" } },
  { "results-nan-score", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": NaN}]",
    DD_COCO_ERROR_PARSE, { "not valid JSON" } },
  { "results-negative-score", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}, "
    "{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": -1e-3}]",
    DD_COCO_ERROR_FIELD, { "detection 2 (results[1]): field 'score': -0.001", "not negative" } },
  { "results-no-score", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0]): field 'score': missing" } },
  { "results-score-string", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": \"high\"}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0]): field 'score': expected a number, found a string" } },
  { "results-category-boolean", "[{\"image_id\": 1, \"category_id\": true, \"bbox\": [1, 2, 3, 4], \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0]): field 'category_id': expected an integer, found a boolean" } },
  { "results-no-image-id", "[{\"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0]): field 'image_id': missing" } },
  { "results-neither", "[{\"image_id\": 1, \"category_id\": 1, \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0])", "neither a bbox nor keypoints" } },
  { "results-box-missing-later", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}, "
    "{\"image_id\": 1, \"category_id\": 1, \"keypoints\": [1, 2, 1], \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 2 (results[1]): field 'bbox': missing" } },
  { "results-keypoints-empty", "[{\"image_id\": 1, \"category_id\": 1, \"keypoints\": [], \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 1 (results[0]): field 'keypoints': 0 numbers" } },
  { "results-not-object", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}, 5]",
    DD_COCO_ERROR_PARSE, { "detection 2 (results[1]): expected an object" } },
  { "results-single-value", "7", DD_COCO_ERROR_PARSE, { "single value" } },
  { "results-first-not-object", "[1, 2]", DD_COCO_ERROR_PARSE,
    { "detection 1 (results[0]): expected an object" } },
  { "results-object-not-dataset", "{\"annotations\": []}", DD_COCO_ERROR_PARSE,
    { "expected an array of detections", "has no 'images'" } },
};

/* Detections read fine alone, but do not fit the ground truth VALID. */
static const bad_case mismatch_cases[] = {
  { "unknown-image", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}, "
    "{\"image_id\": 3, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}]",
    DD_COCO_ERROR_REFERENCE, { "detection 2: field 'image_id': 3 is not an image of the ground truth" } },
  { "unknown-category", "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 1}]",
    DD_COCO_ERROR_REFERENCE, { "detection 1: field 'category_id': 2 is not a category of the ground truth" } },
  { "keypoints-wrong-count", "[{\"image_id\": 2, \"category_id\": 1, \"keypoints\": [1, 2, 1], \"score\": 1}]",
    DD_COCO_ERROR_FIELD, { "detection 1: field 'keypoints': 3 numbers, but category 1 (person) has 2 keypoints" } },
};

static char *
write_case (const char *name, const char *text)
{
  char *path = g_strdup_printf ("%s/%s.json", test_dir, name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
assert_error (const bad_case *c, const char *path, GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == DD_COCO_ERROR);
  if (error->code != c->code)
    g_error ("%s: error code %d, expected %d: %s", c->name, error->code, c->code,
        error->message);
  if (!g_str_has_prefix (error->message, path))
    g_error ("%s: message does not start with the file: %s", c->name, error->message);
  for (int i = 0; i < 3 && c->message[i]; i++)
    if (!strstr (error->message, c->message[i]))
      g_error ("%s: message lacks \"%s\": %s", c->name, c->message[i], error->message);
}

static void
test_bad_datasets (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (dataset_cases); i++) {
    const bad_case *c = &dataset_cases[i];
    g_autofree char *path = write_case (c->name, c->text);
    g_autoptr (GError) error = NULL;
    g_assert_null (dd_coco_read (path, &error));
    assert_error (c, path, error);
    g_unlink (path);
  }
}

static void
test_bad_results (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (results_cases); i++) {
    const bad_case *c = &results_cases[i];
    g_autofree char *path = write_case (c->name, c->text);
    g_autoptr (GError) error = NULL;
    g_assert_null (dd_coco_read_results (path, &error));
    assert_error (c, path, error);
    g_unlink (path);
  }
}

static void
test_results_against_truth (void)
{
  g_autofree char *gt_path = write_case ("valid", VALID);
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *gt = dd_coco_read (gt_path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (mismatch_cases); i++) {
    const bad_case *c = &mismatch_cases[i];
    g_autofree char *path = write_case (c->name, c->text);
    dd_coco_dataset *dt = dd_coco_read_results (path, &error);
    g_assert_no_error (error);
    g_assert_false (dd_coco_check_results (gt, dt, path, &error));
    assert_error (c, path, error);
    g_clear_error (&error);
    dd_coco_dataset_free (dt);
    g_unlink (path);
  }
  dd_coco_dataset_free (gt);
  g_unlink (gt_path);
}

static void
test_missing_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *absent = g_build_filename (test_dir, "absent.json", NULL);
  g_assert_null (dd_coco_read (absent, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, absent));
  g_clear_error (&error);
  /* A folder where the JSON file was meant. */
  g_assert_null (dd_coco_read (test_dir, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is a folder: give the COCO JSON file"));
  g_clear_error (&error);

  /* Image files: 1.jpg exists in the folder, 2.jpg does not. */
  g_autofree char *path = write_case ("valid", VALID);
  g_autofree char *image = g_build_filename (test_dir, "1.jpg", NULL);
  g_assert_true (g_file_set_contents (image, "", 0, NULL));
  g_assert_null (dd_coco_read_full (path, test_dir, DD_COCO_READ_CHECK_IMAGES, &error));
  g_assert_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "image 2: field 'file_name': "));
  g_assert_nonnull (strstr (error->message, "2.jpg is missing"));
  g_clear_error (&error);
  /* Without the check the same dataset reads. */
  dd_coco_dataset *ds = dd_coco_read_full (path, test_dir, DD_COCO_READ_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->annotations->len, ==, 2);
  dd_coco_dataset_free (ds);
  g_unlink (image);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_dir = g_dir_make_tmp ("ddcoco-bad-XXXXXX", NULL);
  g_test_add_func ("/coco/errors/datasets", test_bad_datasets);
  g_test_add_func ("/coco/errors/results", test_bad_results);
  g_test_add_func ("/coco/errors/results-against-truth", test_results_against_truth);
  g_test_add_func ("/coco/errors/missing-files", test_missing_files);
  int status = g_test_run ();
  g_rmdir (test_dir);
  g_free (test_dir);
  return status;
}
