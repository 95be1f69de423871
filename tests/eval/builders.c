/* Builders of small COCO sets for the evaluator's tests. */
#include "builders.h"

dd_coco_dataset *
dd_test_ground_truth (int n_images, int n_cats, const int *cat_ids)
{
  static char *names[DD_COCO_PERSON_KEYPOINTS] = {
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
  };
  dd_coco_dataset *gt = dd_coco_dataset_new ();
  for (int i = 1; i <= n_images; i++) {
    g_autofree char *file = g_strdup_printf ("%d.jpg", i);
    dd_coco_image image = { .id = i, .file_name = file, .width = 640, .height = 480,
      .timestamp_ns = -1 };
    dd_coco_add_image (gt, &image);
  }
  for (int c = 0; c < n_cats; c++) {
    g_autofree char *name = g_strdup_printf ("class%d", cat_ids[c]);
    dd_coco_category cat = { .id = cat_ids[c], .name = name,
      .n_keypoints = DD_COCO_PERSON_KEYPOINTS, .keypoint_names = names };
    dd_coco_add_category (gt, &cat);
  }
  return gt;
}

void
dd_test_add_gt (dd_coco_dataset *gt, int64_t id, int64_t image_id, int cat,
    double x, double y, double w, double h, double area, int crowd, const float *kps)
{
  dd_coco_annotation ann = { .id = id, .image_id = image_id, .category_id = cat,
    .bbox = { x, y, w, h }, .area = area, .iscrowd = crowd };
  if (kps) {
    ann.n_keypoints = DD_COCO_PERSON_KEYPOINTS;
    ann.keypoints = (float *) kps;
    for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++)
      ann.num_keypoints += kps[3 * k + 2] > 0;
  }
  dd_coco_add_annotation (gt, &ann);
}

void
dd_test_add_box_det (dd_coco_dataset *dt, int64_t image_id, int cat,
    double x, double y, double w, double h, double score)
{
  dd_coco_annotation ann = { .id = dt->annotations->len + 1, .image_id = image_id,
    .category_id = cat, .bbox = { x, y, w, h }, .area = w * h, .has_score = 1,
    .score = score };
  dd_coco_add_annotation (dt, &ann);
}

void
dd_test_add_keypoint_det (dd_coco_dataset *dt, int64_t image_id, int cat,
    const float *kps, double score)
{
  double x0 = kps[0], x1 = kps[0], y0 = kps[1], y1 = kps[1];
  for (int k = 1; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    x0 = MIN (x0, kps[3 * k]);
    x1 = MAX (x1, kps[3 * k]);
    y0 = MIN (y0, kps[3 * k + 1]);
    y1 = MAX (y1, kps[3 * k + 1]);
  }
  dd_coco_annotation ann = { .id = dt->annotations->len + 1, .image_id = image_id,
    .category_id = cat, .bbox = { x0, y0, x1 - x0, y1 - y0 },
    .area = (x1 - x0) * (y1 - y0), .n_keypoints = DD_COCO_PERSON_KEYPOINTS,
    .keypoints = (float *) kps, .has_score = 1, .score = score };
  dd_coco_add_annotation (dt, &ann);
}

dd_eval_result *
dd_test_eval (const dd_coco_dataset *gt, const dd_coco_dataset *dt, dd_eval_iou_type type)
{
  g_autoptr (GError) error = NULL;
  dd_eval_result *r = dd_eval_run (gt, dt, type, &error);
  g_assert_no_error (error);
  return r;
}

double
dd_test_metric (const dd_eval_result *r, const char *name)
{
  const dd_eval_metric *metrics;
  int n = dd_eval_named_metrics (r->params.iou_type, &metrics);
  for (int i = 0; i < n; i++)
    if (g_str_equal (metrics[i].name, name))
      return dd_eval_summarize (r, metrics[i].ap, metrics[i].iou_thr, metrics[i].area,
          metrics[i].max_dets, -1);
  n = dd_eval_table_metrics (r->params.iou_type, &metrics);
  for (int i = 0; i < n; i++)
    if (g_str_equal (metrics[i].name, name))
      return dd_eval_summarize (r, metrics[i].ap, metrics[i].iou_thr, metrics[i].area,
          metrics[i].max_dets, -1);
  g_error ("no metric named %s", name);
}
