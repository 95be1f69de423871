/* Small cases worked by hand (each also checked against pycocotools 2.0.11,
 * whose stats are quoted): crowd regions, ignored ground truth and area
 * ranges, maxDets, OKS, and the errors the evaluator reports. */
#include <math.h>
#include <string.h>

#include "builders.h"
#include "eval/eval_private.h"

static const int one_cat[1] = { 1 };

static void
assert_metrics (const dd_eval_result *r, const char *const *names, const double *values,
    int n)
{
  for (int i = 0; i < n; i++) {
    double v = dd_test_metric (r, names[i]);
    if (fabs (v - values[i]) > 1e-9)
      g_error ("%s: %.17g, expected %.17g", names[i], v, values[i]);
  }
}

static const char *const box_stats[12] = {
  "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
};

/* Ground truth A [0,0,10,10] and a crowd C [100,0,50,50]. Detections by
 * score: d3 half inside C (crowd IoU = intersection / detection area = 0.5),
 * d4 and d2 wholly inside C, then d1 exactly A.
 * IoU .50: d3, d4, d2 all match the crowd (C takes any number) and are
 * ignored, d1 is a true positive: precision 1, AP 1.
 * IoU >= .55: d3 is a false positive ranked first: precision 1/2 at every
 * recall, so AP = (1 + 9 x 0.5) / 10 = 0.55. */
static void
test_crowd (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 10, 10, 100, 0, NULL);
  dd_test_add_gt (gt, 2, 1, 1, 100, 0, 50, 50, 2500, 1, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 1, 1, 140, 0, 20, 10, .95);
  dd_test_add_box_det (dt, 1, 1, 120, 0, 10, 10, .92);
  dd_test_add_box_det (dt, 1, 1, 100, 0, 10, 10, .91);
  dd_test_add_box_det (dt, 1, 1, 0, 0, 10, 10, .9);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double expected[12] = { .55, 1, .5, .55, -1, -1, 0, 1, 1, 1, -1, -1 };
  assert_metrics (r, box_stats, expected, 12);
  dd_eval_result_free (r);

  /* Not a crowd: C is one more object to find, and no detection finds it
   * (IoU 0.04 at best): recall stops at 1/2, reached after three false
   * positives: precision 1/4 up to there, AP = 51 recall points x 0.25 / 101. */
  g_array_index (gt->annotations, dd_coco_annotation, 1).iscrowd = 0;
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double regular[12] = { 12.75 / 101, 12.75 / 101, 12.75 / 101, .25, 0, -1,
    0, .5, .5, 1, 0, -1 };
  assert_metrics (r, box_stats, regular, 12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* A regular match stops the search at the first ignored ground truth, even
 * a better one: the detection [0,0,10,12] overlaps A [0,0,10,10] by 0.833
 * and lies wholly inside a crowd (crowd IoU 1). It is A's true positive up
 * to IoU .80 and matches the crowd (ignored) above: AP = 7/10. */
static void
test_regular_before_crowd (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 10, 10, 100, 0, NULL);
  dd_test_add_gt (gt, 2, 1, 1, 0, 0, 100, 100, 10000, 1, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 1, 1, 0, 0, 10, 12, .9);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double expected[12] = { .7, 1, 1, .7, -1, -1, .7, .7, .7, .7, -1, -1 };
  assert_metrics (r, box_stats, expected, 12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* Equal scores keep their order: within an image the file's, across images
 * the image ids' (pycocotools' stable mergesort over images in id order). */
static void
test_ties (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (2, 1, one_cat);
  dd_test_add_gt (gt, 1, 2, 1, 0, 0, 10, 10, 100, 0, NULL);
  /* Image 2's true positive comes first in the file, image 1's false
   * positive first in the ranking: precision 1/2. */
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 2, 1, 0, 0, 10, 10, .5);
  dd_test_add_box_det (dt, 1, 1, 300, 300, 10, 10, .5);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), .5, 1e-12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);

  /* Within image 2: a false positive then the true positive (AP .5), and
   * the other way round (AP 1). */
  dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 2, 1, 300, 300, 10, 10, .5);
  dd_test_add_box_det (dt, 2, 1, 0, 0, 10, 10, .5);
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), .5, 1e-12);
  g_assert_cmpfloat (dd_test_metric (r, "AR1"), ==, 0);
  dd_eval_result_free (r);
  g_array_index (dt->annotations, dd_coco_annotation, 0).bbox[0] = 0;
  g_array_index (dt->annotations, dd_coco_annotation, 0).bbox[1] = 0;
  g_array_index (dt->annotations, dd_coco_annotation, 0).bbox[3] = 11;
  /* The first, [0,0,10,11] (IoU 0.909), takes the object up to IoU .90;
   * at .95 only the second matches, behind a false positive: AP .95. */
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), .95, 1e-12);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AR1"), .9, 1e-12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);

  /* Many ties across images: image 2's 20 true positives come first in the
   * file, image 1's 20 false positives first in the ranking. Precision
   * reaches its best, 1/2, at the last detection: AP .5. */
  gt = dd_test_ground_truth (2, 1, one_cat);
  dt = dd_coco_dataset_new ();
  for (int i = 0; i < 20; i++) {
    dd_test_add_gt (gt, i + 1, 2, 1, 20 * i, 0, 10, 10, 100, 0, NULL);
    dd_test_add_box_det (dt, 2, 1, 20 * i, 0, 10, 10, .5);
  }
  for (int i = 0; i < 20; i++)
    dd_test_add_box_det (dt, 1, 1, 20 * i, 300, 10, 10, .5);
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double expected[12] = { .5, .5, .5, .5, -1, -1, .05, .5, 1, 1, -1, -1 };
  assert_metrics (r, box_stats, expected, 12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* pycocotools' ninth threshold is 0.8999999999999999, not 0.9: an IoU of
 * exactly that ([0,0,6.3,1] on [0,0,7,1]) matches at it. AP 9/10. */
static void
test_threshold_bits (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 7, 1, 7, 0, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 1, 1, 0, 0, 6.3, 1, .9);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat (r->params.iou_thrs[8], ==, 0.8999999999999999);
  g_assert_cmpfloat (r->params.iou_thrs[5], ==, 0.75);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), .9, 1e-12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* One small, one medium, one large object, each found exactly, and a
 * medium-sized false positive ranked first.
 * all: FP then three TP: precision 3/4 at every recall: AP .75.
 * small: the FP is outside the range and unmatched, the medium and large
 * detections match ignored ground truth: all ignored, AP 1.
 * medium: the FP counts: AP .5. large: AP 1. */
static void
test_area_ranges (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 20, 20, 400, 0, NULL);
  dd_test_add_gt (gt, 2, 1, 1, 100, 100, 50, 50, 2500, 0, NULL);
  dd_test_add_gt (gt, 3, 1, 1, 300, 300, 120, 120, 14400, 0, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 1, 1, 500, 0, 50, 50, .95);
  dd_test_add_box_det (dt, 1, 1, 0, 0, 20, 20, .9);
  dd_test_add_box_det (dt, 1, 1, 100, 100, 50, 50, .8);
  dd_test_add_box_det (dt, 1, 1, 300, 300, 120, 120, .7);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double expected[12] = { .75, .75, .75, 1, .5, 1, 0, 1, 1, 1, 1, 1 };
  assert_metrics (r, box_stats, expected, 12);
  dd_eval_result_free (r);

  /* The range follows the ground truth's `area`, not its box: the same
   * 20 x 20 box said to cover 2000 pixels is medium. */
  g_array_index (gt->annotations, dd_coco_annotation, 0).area = 2000;
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat (dd_test_metric (r, "APs"), ==, -1);
  g_assert_cmpfloat (dd_test_metric (r, "ARm"), ==, 1);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* The only true positive ranked 13th (12 false positives above it): out
 * of reach at maxDets 1 and 10; at 100, precision 1/13 at every recall.
 * Ranked 101st, it is cut at 100 as well. */
static void
test_max_dets (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 10, 10, 100, 0, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  for (int i = 0; i < 12; i++)
    dd_test_add_box_det (dt, 1, 1, 200 + 15 * i, 200, 10, 10, .9 - .01 * i);
  dd_test_add_box_det (dt, 1, 1, 0, 0, 10, 10, .5);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  static const double expected[12] = { 1 / 13., 1 / 13., 1 / 13., 1 / 13., -1, -1,
    0, 0, 1, 1, -1, -1 };
  assert_metrics (r, box_stats, expected, 12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);

  dt = dd_coco_dataset_new ();
  for (int i = 0; i < 100; i++)
    dd_test_add_box_det (dt, 1, 1, 200 + 3 * i, 200, 10, 10, .9 - .001 * i);
  dd_test_add_box_det (dt, 1, 1, 0, 0, 10, 10, .5);
  r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpfloat (dd_test_metric (r, "AP"), ==, 0);
  g_assert_cmpfloat (dd_test_metric (r, "AR100"), ==, 0);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

static void
fill_keypoints (float *kps, float x, float y, float v)
{
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    kps[3 * k] = x;
    kps[3 * k + 1] = y;
    kps[3 * k + 2] = v;
  }
}

/* A person with only the nose labelled, at (50, 50), area 2000, and one
 * with nothing labelled (num_keypoints 0: ignored). The nose detected
 * 2.25 px off: OKS = exp(-2.25^2 / (2 x 2000 x (2 x 0.026)^2)) = 0.62622,
 * a match at IoU .50, .55, .60 only: AP .3. A detection inside the second
 * person's grown box matches it (OKS 1) and is ignored, not a false
 * positive. Its keypoint extent (area 0) puts the nose detection out of
 * the medium range when unmatched: APm .3 too. */
static void
test_keypoints (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  float kps[51] = { 0 }, none[51] = { 0 }, det[51], far[51];
  kps[0] = 50;
  kps[1] = 50;
  kps[2] = 2;
  dd_test_add_gt (gt, 1, 1, 1, 30, 30, 40, 40, 2000, 0, kps);
  dd_test_add_gt (gt, 2, 1, 1, 200, 200, 20, 20, 400, 0, none);
  fill_keypoints (det, 50, 50, 1);
  det[0] = 52.25f;
  fill_keypoints (far, 210, 210, 1);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_keypoint_det (dt, 1, 1, far, .9);
  dd_test_add_keypoint_det (dt, 1, 1, det, .8);

  dd_eval_cell cell = { 0 };
  const dd_coco_annotation *gts[2] = {
    &g_array_index (gt->annotations, dd_coco_annotation, 0),
    &g_array_index (gt->annotations, dd_coco_annotation, 1) };
  const dd_coco_annotation *dts[2] = {
    &g_array_index (dt->annotations, dd_coco_annotation, 0),
    &g_array_index (dt->annotations, dd_coco_annotation, 1) };
  cell = (dd_eval_cell) { gts, 2, dts, 2 };
  dd_eval_params p;
  dd_eval_params_init (&p, DD_EVAL_KEYPOINTS);
  dd_eval_scratch s = { 0 };
  dd_eval_scratch_reserve_cell (&s, 2, 2);
  dd_eval_oks (&cell, p.sigmas, &s);
  const double *oks = s.overlaps;
  g_assert_cmpfloat_with_epsilon (oks[0], 0, 1e-12);
  g_assert_cmpfloat (oks[1], ==, 1);
  g_assert_cmpfloat_with_epsilon (oks[2],
      exp (-2.25 * 2.25 / (2 * 2000 * (2 * .026) * (2 * .026))), 1e-12);
  g_assert_cmpfloat_with_epsilon (oks[2], 0.62621809, 1e-8);
  g_assert_cmpfloat_with_epsilon (oks[3], 0, 1e-12);
  dd_eval_scratch_clear (&s);

  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_KEYPOINTS);
  static const char *const names[10] = {
    "AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl" };
  static const double expected[10] = { .3, 1, 0, .3, -1, .3, 1, 0, .3, -1 };
  assert_metrics (r, names, expected, 10);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* Unlabelled ground truth: the distance is to the box grown by its size on
 * each side ([-10, 50] here for a box at 10 of width 20), zero inside. */
static void
test_oks_unlabelled (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  float none[51] = { 0 }, inside[51], outside[51];
  dd_test_add_gt (gt, 1, 1, 1, 10, 10, 20, 20, 300, 0, none);
  fill_keypoints (inside, 50, -10, 1);
  fill_keypoints (outside, 55, 10, 1);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_keypoint_det (dt, 1, 1, inside, .9);
  dd_test_add_keypoint_det (dt, 1, 1, outside, .8);
  const dd_coco_annotation *gts[1] = { &g_array_index (gt->annotations, dd_coco_annotation, 0) };
  const dd_coco_annotation *dts[2] = {
    &g_array_index (dt->annotations, dd_coco_annotation, 0),
    &g_array_index (dt->annotations, dd_coco_annotation, 1) };
  dd_eval_cell cell = { gts, 1, dts, 2 };
  dd_eval_params p;
  dd_eval_params_init (&p, DD_EVAL_KEYPOINTS);
  dd_eval_scratch s = { 0 };
  dd_eval_scratch_reserve_cell (&s, 2, 1);
  dd_eval_oks (&cell, p.sigmas, &s);
  const double *oks = s.overlaps;
  g_assert_cmpfloat (oks[0], ==, 1);
  double expected = 0;
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    double var = (2 * p.sigmas[k]) * (2 * p.sigmas[k]);
    expected += exp (-25 / var / 300 / 2);
  }
  g_assert_cmpfloat_with_epsilon (oks[1], expected / 17, 1e-12);
  dd_eval_scratch_clear (&s);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* With maxDets 20, a true positive ranked 21st is cut. */
static void
test_keypoint_max_dets (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  float kps[51], far[51];
  fill_keypoints (kps, 50, 50, 2);
  fill_keypoints (far, 400, 400, 1);
  dd_test_add_gt (gt, 1, 1, 1, 30, 30, 40, 40, 2000, 0, kps);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  for (int i = 0; i < 20; i++)
    dd_test_add_keypoint_det (dt, 1, 1, far, .9 - .01 * i);
  dd_test_add_keypoint_det (dt, 1, 1, kps, .5);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_KEYPOINTS);
  g_assert_cmpfloat (dd_test_metric (r, "AP"), ==, 0);
  g_assert_cmpfloat (dd_test_metric (r, "AR"), ==, 0);
  dd_eval_result_free (r);
  /* Nineteen in front of it: found, precision 1/20. */
  g_array_remove_index (dt->annotations, 0);
  r = dd_test_eval (gt, dt, DD_EVAL_KEYPOINTS);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), 1 / 20., 1e-12);
  g_assert_cmpfloat (dd_test_metric (r, "AR"), ==, 1);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* A category without ground truth is -1 and left out of the means. */
static void
test_absent_category (void)
{
  static const int cats[2] = { 1, 5 };
  dd_coco_dataset *gt = dd_test_ground_truth (1, 2, cats);
  dd_test_add_gt (gt, 1, 1, 1, 0, 0, 10, 10, 100, 0, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 1, 1, 0, 0, 10, 10, .9);
  dd_test_add_box_det (dt, 1, 5, 0, 0, 10, 10, .8);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  g_assert_cmpint (r->category_ids[1], ==, 5);
  g_assert_cmpfloat (dd_eval_summarize (r, TRUE, -1, "all", 100, 1), ==, -1);
  /* pycocotools' precision 1 / (1 + spacing(1)) is 1 - 2^-52, not 1. */
  g_assert_cmpfloat_with_epsilon (dd_eval_summarize (r, TRUE, -1, "all", 100, 0), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (dd_test_metric (r, "AP"), 1, 1e-12);
  g_autofree char *json = dd_eval_to_json (r, TRUE);
  g_assert_nonnull (strstr (json, "{\"id\": 5, \"name\": \"class5\", \"AP\": -1,"));
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

static void
assert_run_fails (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (dd_eval_run (gt, dt, type, &error));
  g_assert_nonnull (error);
  if (!strstr (error->message, message))
    g_error ("expected \"%s\" in: %s", message, error->message);
}

static void
test_errors (void)
{
  dd_coco_dataset *gt = dd_test_ground_truth (1, 1, one_cat);
  float kps[51];
  fill_keypoints (kps, 5, 5, 2);
  dd_test_add_gt (gt, 7, 1, 1, 0, 0, 10, 10, 100, 0, NULL);
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  dd_test_add_box_det (dt, 2, 1, 0, 0, 10, 10, .9);
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "detection 1: field 'image_id': 2 is not an image");
  g_array_index (dt->annotations, dd_coco_annotation, 0).image_id = 1;
  g_array_index (dt->annotations, dd_coco_annotation, 0).category_id = 3;
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "detection 1: field 'category_id': 3 is not a category");
  g_array_index (dt->annotations, dd_coco_annotation, 0).category_id = 1;
  g_array_index (dt->annotations, dd_coco_annotation, 0).score = NAN;
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "detection 1: field 'score': nan");
  g_array_index (dt->annotations, dd_coco_annotation, 0).score = -1;
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "detection 1: field 'score': -1");
  g_array_index (dt->annotations, dd_coco_annotation, 0).score = 1;
  assert_run_fails (gt, dt, DD_EVAL_KEYPOINTS,
      "ground truth annotation 7: field 'keypoints': 0 keypoints");
  g_array_index (dt->annotations, dd_coco_annotation, 0).id = 0;
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "detection 0: field 'id': 0: COCO evaluation needs");
  g_array_index (dt->annotations, dd_coco_annotation, 0).id = 1;
  g_array_index (gt->annotations, dd_coco_annotation, 0).id = 0;
  assert_run_fails (gt, dt, DD_EVAL_BBOX, "ground truth annotation 0: field 'id': 0");
  g_array_index (gt->annotations, dd_coco_annotation, 0).id = 7;
  g_array_index (gt->annotations, dd_coco_annotation, 0).keypoints = g_memdup2 (kps, sizeof kps);
  g_array_index (gt->annotations, dd_coco_annotation, 0).n_keypoints = 17;
  assert_run_fails (gt, dt, DD_EVAL_KEYPOINTS, "detection 1: field 'keypoints': 0 keypoints");
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eval/cases/crowd", test_crowd);
  g_test_add_func ("/eval/cases/regular-before-crowd", test_regular_before_crowd);
  g_test_add_func ("/eval/cases/ties", test_ties);
  g_test_add_func ("/eval/cases/threshold-bits", test_threshold_bits);
  g_test_add_func ("/eval/cases/area-ranges", test_area_ranges);
  g_test_add_func ("/eval/cases/max-dets", test_max_dets);
  g_test_add_func ("/eval/cases/keypoints", test_keypoints);
  g_test_add_func ("/eval/cases/oks-unlabelled", test_oks_unlabelled);
  g_test_add_func ("/eval/cases/keypoint-max-dets", test_keypoint_max_dets);
  g_test_add_func ("/eval/cases/absent-category", test_absent_category);
  g_test_add_func ("/eval/cases/errors", test_errors);
  return g_test_run ();
}
