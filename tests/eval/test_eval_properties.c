/* Randomized properties of the evaluator, for boxes and keypoints, on
 * seeded random scenes (crowds, every area range, unlabelled people, noisy
 * and false detections with distinct scores):
 * - the order detections come in changes nothing;
 * - a strictly increasing change of the scores changes nothing;
 * - perfect detections score 1 wherever there is ground truth;
 * - a false positive scored below all others changes nothing, and one
 *   scored above all others never raises AP;
 * - two categories holding the same scene score the same, and as one;
 * - every value is -1 or within [0, 1]. */
#include <math.h>
#include <string.h>

#include "builders.h"
#include "nn/rng.h"

#define N_SCENES 40

static void
random_person (dd_rng *rng, float *kps, double x, double y, double w, double h,
    gboolean labelled)
{
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    gboolean visible = labelled && dd_rng_uniform (rng) < 0.7f;
    kps[3 * k] = visible ? (float) (x + w * dd_rng_uniform (rng)) : 0;
    kps[3 * k + 1] = visible ? (float) (y + h * dd_rng_uniform (rng)) : 0;
    kps[3 * k + 2] = visible ? 2 : 0;
  }
  if (labelled) {
    kps[0] = (float) (x + w / 2);
    kps[1] = (float) (y + h / 2);
    kps[2] = 2;
  }
}

/* A scene: n_images images of one or two categories, 0..7 objects each,
 * sizes from about 5 to 300 pixels. */
static dd_coco_dataset *
random_scene (dd_rng *rng, int n_cats)
{
  static const int cats[2] = { 1, 2 };
  int n_images = 1 + (int) dd_rng_below (rng, 5);
  dd_coco_dataset *gt = dd_test_ground_truth (n_images, n_cats, cats);
  int64_t id = 1;
  for (int i = 1; i <= n_images; i++)
    for (int c = 0; c < n_cats; c++)
      for (int n = (int) dd_rng_below (rng, 8); n > 0; n--) {
        double side = exp (dd_rng_range (rng, logf (5), logf (300)));
        double w = side * dd_rng_range (rng, .5f, 1.5f), h = side * dd_rng_range (rng, .5f, 1.5f);
        double x = dd_rng_range (rng, 0, 600), y = dd_rng_range (rng, 0, 440);
        float kps[51];
        random_person (rng, kps, x, y, w, h, dd_rng_uniform (rng) < 0.9f);
        dd_test_add_gt (gt, id++, i, cats[c], x, y, w, h,
            w * h * dd_rng_range (rng, .5f, 1), dd_rng_uniform (rng) < 0.1f, kps);
      }
  return gt;
}

/* Noisy detections of the scene's objects and false ones, distinct scores. */
static dd_coco_dataset *
random_detections (dd_rng *rng, const dd_coco_dataset *gt, dd_eval_iou_type type)
{
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  float noise = dd_rng_range (rng, .01f, .2f);
  for (guint j = 0; j < gt->annotations->len; j++) {
    const dd_coco_annotation *a = &g_array_index (gt->annotations, dd_coco_annotation, j);
    if (dd_rng_uniform (rng) < 0.2f)
      continue;
    double score = dd_rng_uniform (rng);
    if (type == DD_EVAL_BBOX) {
      dd_test_add_box_det (dt, a->image_id, a->category_id,
          a->bbox[0] + a->bbox[2] * noise * dd_rng_normal (rng),
          a->bbox[1] + a->bbox[3] * noise * dd_rng_normal (rng),
          a->bbox[2] * (1 + noise * fabsf (dd_rng_normal (rng))),
          a->bbox[3] * (1 + noise * fabsf (dd_rng_normal (rng))), score);
    } else {
      float kps[51];
      double s = .2 * noise * sqrt (a->area);
      for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
        kps[3 * k] = (float) (a->keypoints[3 * k] + s * dd_rng_normal (rng));
        kps[3 * k + 1] = (float) (a->keypoints[3 * k + 1] + s * dd_rng_normal (rng));
        kps[3 * k + 2] = 1;
      }
      dd_test_add_keypoint_det (dt, a->image_id, a->category_id, kps, score);
    }
  }
  for (int n = (int) dd_rng_below (rng, 6); n > 0; n--) {
    const dd_coco_image *image = &g_array_index (gt->images, dd_coco_image,
        dd_rng_below (rng, gt->images->len));
    int cat = g_array_index (gt->categories, dd_coco_category,
        dd_rng_below (rng, gt->categories->len)).id;
    double x = dd_rng_range (rng, 0, 600), y = dd_rng_range (rng, 0, 440);
    float kps[51];
    random_person (rng, kps, x, y, 40, 80, TRUE);
    if (type == DD_EVAL_BBOX)
      dd_test_add_box_det (dt, image->id, cat, x, y, 40, 80, dd_rng_uniform (rng));
    else
      dd_test_add_keypoint_det (dt, image->id, cat, kps, dd_rng_uniform (rng));
  }
  return dt;
}

/* precision and recall arrays equal, to the last bit. */
static void
assert_results_equal (const dd_eval_result *a, const dd_eval_result *b)
{
  gsize n_recall = (gsize) DD_EVAL_N_IOU * a->n_categories * a->params.n_areas
      * a->params.n_max_dets;
  g_assert_cmpint (a->n_categories, ==, b->n_categories);
  g_assert_cmpmem (a->recall, n_recall * sizeof (double), b->recall,
      n_recall * sizeof (double));
  g_assert_cmpmem (a->precision, n_recall * DD_EVAL_N_RECALL * sizeof (double),
      b->precision, n_recall * DD_EVAL_N_RECALL * sizeof (double));
}

static void
assert_in_range (const dd_eval_result *r)
{
  gsize n_recall = (gsize) DD_EVAL_N_IOU * r->n_categories * r->params.n_areas
      * r->params.n_max_dets;
  for (gsize i = 0; i < n_recall; i++)
    g_assert_true (r->recall[i] == -1 || (r->recall[i] >= 0 && r->recall[i] <= 1));
  for (gsize i = 0; i < n_recall * DD_EVAL_N_RECALL; i++)
    g_assert_true (r->precision[i] == -1 || (r->precision[i] >= 0 && r->precision[i] <= 1));
}

static void
shuffle (dd_rng *rng, GArray *anns)
{
  for (guint i = anns->len; i > 1; i--) {
    guint j = dd_rng_below (rng, i);
    dd_coco_annotation t = g_array_index (anns, dd_coco_annotation, i - 1);
    g_array_index (anns, dd_coco_annotation, i - 1) = g_array_index (anns, dd_coco_annotation, j);
    g_array_index (anns, dd_coco_annotation, j) = t;
  }
}

static void
check_order_and_scores (dd_rng *rng, const dd_coco_dataset *gt, dd_coco_dataset *dt,
    dd_eval_iou_type type)
{
  dd_eval_result *base = dd_test_eval (gt, dt, type);
  assert_in_range (base);
  shuffle (rng, dt->annotations);
  dd_eval_result *shuffled = dd_test_eval (gt, dt, type);
  assert_results_equal (base, shuffled);
  for (guint j = 0; j < dt->annotations->len; j++) {
    dd_coco_annotation *d = &g_array_index (dt->annotations, dd_coco_annotation, j);
    d->score = d->score * d->score / 4;
  }
  dd_eval_result *rescored = dd_test_eval (gt, dt, type);
  assert_results_equal (base, rescored);
  dd_eval_result_free (base);
  dd_eval_result_free (shuffled);
  dd_eval_result_free (rescored);
}

/* A box or pose far from everything: a false positive wherever it lands. */
static void
add_false_positive (dd_coco_dataset *dt, dd_eval_iou_type type, double score)
{
  float kps[51];
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    kps[3 * k] = 5000 + k;
    kps[3 * k + 1] = 5000 + 2 * k;
    kps[3 * k + 2] = 1;
  }
  if (type == DD_EVAL_BBOX)
    dd_test_add_box_det (dt, 1, 1, 5000, 5000, 40, 40, score);
  else
    dd_test_add_keypoint_det (dt, 1, 1, kps, score);
}

static void
check_false_positives (const dd_coco_dataset *gt, dd_coco_dataset *dt, dd_eval_iou_type type)
{
  dd_eval_result *base = dd_test_eval (gt, dt, type);
  add_false_positive (dt, type, 0);
  dd_eval_result *low = dd_test_eval (gt, dt, type);
  g_array_set_size (dt->annotations, dt->annotations->len - 1);
  add_false_positive (dt, type, 2);
  dd_eval_result *high = dd_test_eval (gt, dt, type);
  g_array_set_size (dt->annotations, dt->annotations->len - 1);
  const dd_eval_metric *metrics;
  int n = dd_eval_table_metrics (type, &metrics);
  for (int i = 0; i < n; i++) {
    const dd_eval_metric *m = &metrics[i];
    double b = dd_eval_summarize (base, m->ap, m->iou_thr, m->area, m->max_dets, -1);
    double l = dd_eval_summarize (low, m->ap, m->iou_thr, m->area, m->max_dets, -1);
    double h = dd_eval_summarize (high, m->ap, m->iou_thr, m->area, m->max_dets, -1);
    if (m->max_dets >= 10 || !m->ap)
      g_assert_cmpfloat (l, ==, b);
    if (m->ap)
      g_assert_cmpfloat (h, <=, b);
  }
  dd_eval_result_free (base);
  dd_eval_result_free (low);
  dd_eval_result_free (high);
}

/* Every regular object detected exactly, scores distinct. */
static void
check_perfect (const dd_coco_dataset *gt, dd_eval_iou_type type)
{
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  for (guint j = 0; j < gt->annotations->len; j++) {
    const dd_coco_annotation *a = &g_array_index (gt->annotations, dd_coco_annotation, j);
    double score = 1.0 / (1 + j);
    if (a->iscrowd || (type == DD_EVAL_KEYPOINTS && a->num_keypoints == 0))
      continue;
    if (type == DD_EVAL_BBOX)
      dd_test_add_box_det (dt, a->image_id, a->category_id, a->bbox[0], a->bbox[1],
          a->bbox[2], a->bbox[3], score);
    else
      dd_test_add_keypoint_det (dt, a->image_id, a->category_id, a->keypoints, score);
  }
  dd_eval_result *r = dd_test_eval (gt, dt, type);
  const dd_eval_metric *metrics;
  int n = dd_eval_named_metrics (type, &metrics);
  for (int i = 0; i < n; i++) {
    double v = dd_eval_summarize (r, metrics[i].ap, metrics[i].iou_thr, metrics[i].area,
        metrics[i].max_dets, -1);
    /* 1 to within pycocotools' tp / (tp + fp + spacing(1)). */
    g_assert_true (v == -1 || fabs (v - 1) < 1e-12);
  }
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
}

/* The scene's category 1 copied as category 2: both score alike, and the
 * means over both equal either. */
static void
check_categories_alike (dd_rng *rng, dd_eval_iou_type type)
{
  dd_coco_dataset *gt = random_scene (rng, 1);
  dd_coco_dataset *dt = random_detections (rng, gt, type);
  dd_eval_result *single = dd_test_eval (gt, dt, type);
  static const int two[2] = { 1, 2 };
  dd_coco_dataset *gt2 = dd_test_ground_truth ((int) gt->images->len, 2, two);
  for (int copy = 0; copy < 2; copy++)
    for (guint j = 0; j < gt->annotations->len; j++) {
      dd_coco_annotation a = g_array_index (gt->annotations, dd_coco_annotation, j);
      a.id += copy * 1000;
      a.category_id = copy + 1;
      dd_coco_add_annotation (gt2, &a);
    }
  dd_coco_dataset *dt2 = dd_coco_dataset_new ();
  for (int copy = 0; copy < 2; copy++)
    for (guint j = 0; j < dt->annotations->len; j++) {
      dd_coco_annotation d = g_array_index (dt->annotations, dd_coco_annotation, j);
      d.id = dt2->annotations->len + 1;
      d.category_id = copy + 1;
      dd_coco_add_annotation (dt2, &d);
    }
  dd_eval_result *both = dd_test_eval (gt2, dt2, type);
  const dd_eval_metric *metrics;
  int n = dd_eval_named_metrics (type, &metrics);
  for (int i = 0; i < n; i++) {
    const dd_eval_metric *m = &metrics[i];
    double s = dd_eval_summarize (single, m->ap, m->iou_thr, m->area, m->max_dets, -1);
    for (int k = -1; k < 2; k++)
      g_assert_cmpfloat_with_epsilon (dd_eval_summarize (both, m->ap, m->iou_thr, m->area,
              m->max_dets, k), s, 1e-12);
  }
  dd_eval_result_free (single);
  dd_eval_result_free (both);
  dd_coco_dataset_free (gt);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt2);
  dd_coco_dataset_free (dt2);
}

static void
test_properties (gconstpointer data)
{
  dd_eval_iou_type type = GPOINTER_TO_INT (data);
  dd_rng rng;
  dd_rng_seed (&rng, 20180712, type);
  for (int scene = 0; scene < N_SCENES; scene++) {
    dd_coco_dataset *gt = random_scene (&rng, 1 + (int) dd_rng_below (&rng, 2));
    dd_coco_dataset *dt = random_detections (&rng, gt, type);
    check_order_and_scores (&rng, gt, dt, type);
    check_false_positives (gt, dt, type);
    check_perfect (gt, type);
    check_categories_alike (&rng, type);
    dd_coco_dataset_free (dt);
    dd_coco_dataset_free (gt);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/eval/properties/boxes", GINT_TO_POINTER (DD_EVAL_BBOX),
      test_properties);
  g_test_add_data_func ("/eval/properties/keypoints", GINT_TO_POINTER (DD_EVAL_KEYPOINTS),
      test_properties);
  return g_test_run ();
}
