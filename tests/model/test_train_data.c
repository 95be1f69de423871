/* A COCO file made ready for training (train_data.h): the teacher's labels
 * (automatic) teach their unlabelled keypoints as unknown under the
 * person's box, as ddtrain does (tests/elements/test_train_item.c), and
 * manual labels teach them as absent. */
#include <glib/gstdio.h>
#include <string.h>

#include "encoded_targets.h"
#include "model/train_data.h"

enum { SIDE = 64 };

/* tmp/one.json: one grey SIDE x SIDE image, one person in the box (8, 8) to
 * (24, 40) with only its nose labelled. */
static char *
write_dataset (const char *tmp, const dd_detector *det)
{
  GError *error = NULL;
  dd_image *img = dd_image_new (SIDE, SIDE, &error);
  g_assert_no_error (error);
  memset (img->data, 0x80, (size_t) SIDE * SIDE * 3);
  g_autofree char *png = g_build_filename (tmp, "one.png", NULL);
  g_assert_true (dd_image_save (img, png, 90, &error));
  dd_image_free (img);
  GString *names = g_string_new ("");
  GString *keypoints = g_string_new ("16, 12, 2");
  for (int k = 0; k < det->n_keypoints; k++) {
    g_string_append_printf (names, "%s\"%s\"", k ? ", " : "", det->keypoint_names[k]);
    if (k)
      g_string_append (keypoints, ", 0, 0, 0");
  }
  g_autofree char *json = g_strdup_printf ("{\"images\": [{\"id\": 1, \"file_name\": "
      "\"one.png\", \"width\": %d, \"height\": %d}], \"annotations\": [{\"id\": 1, "
      "\"image_id\": 1, \"category_id\": 1, \"bbox\": [8, 8, 16, 32], \"area\": 512, "
      "\"iscrowd\": 0, \"num_keypoints\": 1, \"keypoints\": [%s]}], \"categories\": "
      "[{\"id\": 1, \"name\": \"person\", \"keypoints\": [%s], \"skeleton\": []}]}",
      SIDE, SIDE, keypoints->str, names->str);
  g_string_free (names, TRUE);
  g_string_free (keypoints, TRUE);
  char *path = g_build_filename (tmp, "one.json", NULL);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

/* The keypoint heatmap cells ignored in the targets of the dataset's image,
 * read as automatic labels or not, without augmentation. */
static size_t
ignored_cells (const char *json, const dd_detector *det, gboolean automatic)
{
  GError *error = NULL;
  dd_train_set *s = dd_train_set_open (json, NULL, det, automatic, &error);
  g_assert_no_error (error);
  dd_augment_params p;
  unaugmented (&p, SIDE);
  dd_targets *t = targets_for (det, SIDE);
  float *input = g_new (float, 3 * SIDE * SIDE);
  dd_rng rng;
  dd_rng_seed (&rng, 1, 0);
  g_assert_true (dd_train_set_sample (s, 0, &p, &rng, input, t, 0, &error));
  g_assert_no_error (error);
  size_t n = ignored_keypoint_cells (t, det, SIDE);
  g_free (input);
  dd_targets_free (t);
  dd_train_set_free (s);
  return n;
}

static void
test_automatic_keypoints_unknown (void)
{
  char err[256];
  dd_detector *det = dd_detector_load ("tiny", err, sizeof err);
  g_assert_nonnull (det);
  g_assert_cmpint (det->n_keypoints, >, 1);
  g_assert_cmpint (det->stride, ==, 4);
  g_autofree char *tmp = g_dir_make_tmp ("dd-train-data-XXXXXX", NULL);
  g_autofree char *json = write_dataset (tmp, det);
  g_assert_cmpuint (ignored_cells (json, det, FALSE), ==, 0);
  /* Box (8, 8) to (24, 40) at stride 4: cells x 2..6, y 2..10, for every
   * keypoint but the nose. */
  g_assert_cmpuint (ignored_cells (json, det, TRUE), ==,
      (guint) (det->n_keypoints - 1) * 5 * 9);
  g_autofree char *png = g_build_filename (tmp, "one.png", NULL);
  g_unlink (png);
  g_unlink (json);
  g_rmdir (tmp);
  dd_detector_free (det);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-data/automatic-keypoints-unknown",
      test_automatic_keypoints_unknown);
  return g_test_run ();
}
