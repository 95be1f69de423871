/* What ddtrain makes of one image before training on it (train_item.h):
 * the teacher's unlabelled keypoints are taught as unknown under their
 * person's box, a manual label's as absent. */
#include <gst/check/gstcheck.h>

#include "elements/ddannotationsmeta.h"
#include "encoded_targets.h"
#include "elements/train_item.h"
#include "fixtures.h"

enum { SIDE = 32 };

/* The number of keypoint heatmap cells ignored in the targets of one
 * SIDE x SIDE image of `origin` with one person, its nose labelled and its
 * other keypoints not, encoded without augmentation. */
static size_t
ignored_cells (const dd_detector *det, DdLabelsOrigin origin)
{
  float *kp = g_new0 (float, 3 * det->n_keypoints);
  kp[0] = 12.0f, kp[1] = 8.0f, kp[2] = 2.0f;
  dd_coco_annotation a = { .id = 1, .image_id = 7, .category_id = 1,
    .bbox = { 4, 4, 16, 24 }, .area = 384, .n_keypoints = det->n_keypoints,
    .keypoints = kp, .num_keypoints = 1 };
  const char *names[] = { "person" };
  GstBuffer *buf = gst_buffer_new_allocate (NULL, SIDE * SIDE * 3, NULL);
  gst_buffer_memset (buf, 0, 0x80, SIDE * SIDE * 3);
  dd_buffer_add_annotations_meta (buf, origin, SIDE, SIDE, 7, &a, names, 1);
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, SIDE, SIDE);
  GError *error = NULL;
  dd_train_item *item = dd_train_item_from_buffer (buf, &info, det, &error);
  g_assert_no_error (error);
  dd_augment_params p;
  unaugmented (&p, SIDE);
  dd_targets *t = targets_for (det, SIDE);
  float *input = g_new (float, 3 * SIDE * SIDE);
  dd_rng rng;
  dd_rng_seed (&rng, 1, 0);
  g_assert_true (dd_train_item_encode (item, &p, &rng, input, t, 0, &error));
  g_assert_no_error (error);
  size_t n = ignored_keypoint_cells (t, det, SIDE);
  g_free (input);
  dd_targets_free (t);
  dd_train_item_free (item);
  gst_buffer_unref (buf);
  g_free (kp);
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
  g_assert_cmpuint (ignored_cells (det, DD_LABELS_MANUAL), ==, 0);
  /* Box (4, 4) to (20, 28) at stride 4: cells x 1..5, y 1..7, for every
   * keypoint but the nose. */
  g_assert_cmpuint (ignored_cells (det, DD_LABELS_AUTOMATIC), ==,
      (guint) (det->n_keypoints - 1) * 5 * 7);
  dd_detector_free (det);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  g_test_add_func ("/train-item/automatic-keypoints-unknown",
      test_automatic_keypoints_unknown);
  return g_test_run ();
}
