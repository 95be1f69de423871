/* Target encoding: the centre cell's peak is exactly 1, the Gaussian's
 * radius grows with the object (CenterNet's values), regressions and
 * masks sit at the centre cell, keypoints as the centre, what is left
 * out (crowds, no class, unlabelled or out-of-map keypoints), and the
 * boxes where unlabelled keypoints are marked unknown. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "model/targets.h"

enum { H = 16, W = 20, STRIDE = 4, K = 3 };

static size_t
count_nonzero (const float *plane, size_t n)
{
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += plane[i] != 0.0f;
  return c;
}

static void
test_radius (void)
{
  /* CenterNet's gaussian_radius, truncated (values from its Python). */
  CHECK (dd_gaussian_radius (2, 1) == 0);
  CHECK (dd_gaussian_radius (8, 4) == 1);
  CHECK (dd_gaussian_radius (10, 10) == 2);
  CHECK (dd_gaussian_radius (24, 12) == 4);
  CHECK (dd_gaussian_radius (32, 32) == 8);
  CHECK (dd_gaussian_radius (64, 30) == 11);
  int last = 0;
  for (int s = 1; s < 100; s++) {
    int r = dd_gaussian_radius (2 * s, s);
    CHECK (r >= last);
    last = r;
  }
  CHECK (last > 10);
}

static void
test_gaussian (void)
{
  float plane[9 * 9] = {0};
  dd_draw_gaussian (plane, 9, 9, 4, 4, 2);
  CHECK (plane[4 * 9 + 4] == 1.0f);
  /* sigma = 5 / 6: the neighbour is exp(-1 / (2 sigma^2)). */
  CHECK_CLOSE (plane[4 * 9 + 5], exp (-1.0 / (2.0 * (5.0 / 6) * (5.0 / 6))), 1e-6, 0);
  CHECK_CLOSE (plane[4 * 9 + 5], plane[3 * 9 + 4], 0, 0);
  CHECK (count_nonzero (plane, 81) == 25);
  /* Drawing again elsewhere keeps the larger value. */
  dd_draw_gaussian (plane, 9, 9, 5, 4, 0);
  CHECK (plane[4 * 9 + 5] == 1.0f && plane[4 * 9 + 4] == 1.0f);
  /* Clipped at the border. */
  float edge[4 * 4] = {0};
  dd_draw_gaussian (edge, 4, 4, 0, 0, 3);
  CHECK (edge[0] == 1.0f && count_nonzero (edge, 16) == 16);
  /* A point on the corner of four cells: as near to each, one positive. */
  float corner[6 * 6] = {0};
  dd_draw_gaussian_at (corner, 6, 6, 3.0, 3.0, 1);
  int ones = 0;
  for (int i = 0; i < 36; i++)
    ones += corner[i] == 1.0f;
  CHECK (ones == 1 && corner[3 * 6 + 3] == 1.0f);
  CHECK (corner[2 * 6 + 2] > 0.99f);
}

static dd_coco_annotation
person (double x, double y, double w, double h, float *kp)
{
  return (dd_coco_annotation) {
    .category_id = 1, .bbox = { x, y, w, h }, .n_keypoints = K, .keypoints = kp,
  };
}

static void
test_box_targets (void)
{
  dd_targets *t = dd_targets_new (2, H, W, STRIDE, 2, K);
  float kp[3 * K] = {0};
  dd_coco_annotation a = person (40.0, 20.0, 20.0, 30.0, kp);
  int cls = 1;
  dd_targets_encode (t, 1, &a, &cls, 1);
  const dd_head_maps *m = &t->value->maps[1];
  size_t plane = H * W;
  /* Centre (50, 35): cell (12, 8), at (0.5, 0.75) inside it. */
  size_t at = 8 * W + 12;
  CHECK (m->center[plane + at] == 1.0f);
  CHECK (count_nonzero (m->center, plane) == 0);          /* class 0 untouched */
  CHECK (m->size[at] == 20.0f && m->size[plane + at] == 30.0f);
  CHECK_CLOSE (m->offset[at], 0.5, 1e-6, 0);
  CHECK_CLOSE (m->offset[plane + at], 0.75, 1e-6, 0);
  const float *mask = t->box_mask + 2 * plane;
  CHECK (mask[at] == 1.0f && mask[plane + at] == 1.0f);
  CHECK (count_nonzero (mask, 2 * plane) == 2);
  /* Image 0 untouched. */
  CHECK (count_nonzero (t->value->maps[0].center, 2 * plane) == 0);
  CHECK (count_nonzero (t->box_mask, 2 * plane) == 0);
  /* Every other value below 1. */
  size_t ones = 0;
  for (size_t i = 0; i < plane; i++)
    ones += m->center[plane + i] == 1.0f;
  CHECK (ones == 1);
  dd_targets_clear (t);
  CHECK (count_nonzero (t->value->block, t->value->n_floats) == 0);
  CHECK (count_nonzero (t->box_mask, 4 * plane) == 0);
  dd_targets_free (t);
}

static void
test_radius_grows_with_size (void)
{
  size_t last = 0;
  for (int side = 8; side <= 64; side *= 2) {
    dd_targets *t = dd_targets_new (1, H, W, STRIDE, 1, 0);
    dd_coco_annotation a = {
      .bbox = { 40.0 - side / 2, 32.0 - side / 2, side, side },
    };
    int cls = 0;
    dd_targets_encode (t, 0, &a, &cls, 1);
    size_t spread = count_nonzero (t->value->maps[0].center, H * W);
    CHECK (spread > last);
    last = spread;
    dd_targets_free (t);
  }
}

static void
test_keypoint_targets (void)
{
  dd_targets *t = dd_targets_new (1, H, W, STRIDE, 1, K);
  /* Keypoint 0 at (45, 22): cell (11, 5); keypoint 1 unlabelled; keypoint
   * 2 beyond the map (x = 90 >= 80). */
  float kp[3 * K] = { 45.0f, 22.0f, 1.0f, 30.0f, 30.0f, 0.0f, 90.0f, 30.0f, 2.0f };
  dd_coco_annotation a = person (40.0, 20.0, 20.0, 30.0, kp);
  int cls = 0;
  dd_targets_encode (t, 0, &a, &cls, 1);
  const dd_head_maps *m = &t->value->maps[0];
  size_t plane = H * W, at = 8 * W + 12;
  CHECK (m->keypoint_heatmap[5 * W + 11] == 1.0f);
  CHECK (count_nonzero (m->keypoint_heatmap + plane, 2 * plane) == 0);
  /* From the centre cell's centre (50, 34). */
  CHECK_CLOSE (m->keypoint_offset[at], 45.0 - 50.0, 1e-6, 0);
  CHECK_CLOSE (m->keypoint_offset[plane + at], 22.0 - 34.0, 1e-6, 0);
  CHECK (t->keypoint_mask[at] == 1.0f && t->keypoint_mask[plane + at] == 1.0f);
  CHECK (count_nonzero (t->keypoint_mask, 2 * K * plane) == 2);
  /* The keypoint Gaussian has the object's radius. */
  int r = dd_gaussian_radius (ceil (30.0 / STRIDE), ceil (20.0 / STRIDE));
  CHECK (count_nonzero (m->keypoint_heatmap, plane)
         == (size_t) ((2 * r + 1) * (2 * r + 1)));
  dd_targets_free (t);
}

static void
test_left_out (void)
{
  dd_targets *t = dd_targets_new (1, H, W, STRIDE, 1, K);
  float kp[3 * K] = { 45.0f, 22.0f, 2.0f };
  dd_coco_annotation anns[3] = {
    person (40.0, 20.0, 20.0, 30.0, kp),
    person (10.0, 10.0, 10.0, 10.0, kp),
    person (10.0, 30.0, 0.0, 10.0, kp),
  };
  anns[0].iscrowd = 1;
  int cls[3] = { 0, -1, 0 };
  dd_targets_encode (t, 0, anns, cls, 3);
  CHECK (count_nonzero (t->value->block, t->value->n_floats) == 0);
  CHECK (count_nonzero (t->box_mask, 2 * H * W) == 0);
  dd_targets_free (t);
}

/* Keypoint 1 of the first person is unlabelled: its heatmap is ignored
 * over the cells that person's box touches, and nowhere else; the
 * labelled keypoint 0 and the person of no class are not marked. */
static void
test_ignore_unlabelled_keypoints (void)
{
  dd_targets *t = dd_targets_new (2, H, W, STRIDE, 1, K);
  float kp[3 * K] = { 45.0f, 22.0f, 2.0f, 0.0f, 0.0f, 0.0f, 50.0f, 30.0f, 2.0f };
  float none[3 * K] = { 0 };
  /* Box (40, 20) to (60, 50): cells x 10..15, y 5..12. */
  dd_coco_annotation anns[2] = {
    person (40.0, 20.0, 20.0, 30.0, kp),
    person (0.0, 0.0, 12.0, 12.0, none),
  };
  int cls[2] = { 0, -1 };
  dd_targets_encode (t, 1, anns, cls, 2);
  dd_targets_ignore_unlabelled_keypoints (t, 1, anns, cls, 2);
  size_t plane = H * W;
  const float *ignored = t->keypoint_ignored + K * plane;
  CHECK (count_nonzero (t->keypoint_ignored, K * plane) == 0);  /* image 0 */
  CHECK (count_nonzero (ignored, plane) == 0);
  CHECK (count_nonzero (ignored + 2 * plane, plane) == 0);
  CHECK (count_nonzero (ignored + plane, plane) == 6 * 8);
  CHECK (ignored[plane + 5 * W + 10] == 1.0f && ignored[plane + 12 * W + 15] == 1.0f);
  CHECK (ignored[plane + 4 * W + 10] == 0.0f && ignored[plane + 5 * W + 16] == 0.0f);
  /* Encoding alone marks nothing, and clearing unmarks. */
  dd_targets_clear (t);
  dd_targets_encode (t, 1, anns, cls, 2);
  CHECK (count_nonzero (t->keypoint_ignored, 2 * K * plane) == 0);
  dd_targets_free (t);
}

int
main (void)
{
  RUN_TEST (test_radius);
  RUN_TEST (test_gaussian);
  RUN_TEST (test_box_targets);
  RUN_TEST (test_radius_grows_with_size);
  RUN_TEST (test_keypoint_targets);
  RUN_TEST (test_left_out);
  RUN_TEST (test_ignore_unlabelled_keypoints);
  return check_exit_status ();
}
