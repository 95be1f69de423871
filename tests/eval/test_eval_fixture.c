/* The evaluator on real COCO data (the shared fixture): 118 real person
 * detections as boxes, with the numbers pycocotools 2.0.11 gives for them,
 * and the ground truth fed back as detections. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "builders.h"
#include "coco_real.h"

#define GT_PATH DD_COCO_REAL_DIR "/test_coco.json"
#define DT_PATH DD_COCO_REAL_DIR "/test_coco_det_AP_H_56.json"

/* COCOeval(gt, gt.loadRes(DT_PATH), 'bbox'): stats, then AR at IoU .5 and
 * .75 (maxDets 100) from eval['recall'], printed with repr(). */
static const struct { const char *name; double value; } pycocotools_boxes[] = {
  { "AP", 0.7891214003991492 },
  { "AP50", 0.9823982398239822 },
  { "AP75", 0.9823982398239822 },
  { "APs", 0.6504950495049505 },
  { "APm", 0.7666195190947667 },
  { "APl", 0.872169532742748 },
  { "AR1", 0.2785714285714286 },
  { "AR10", 0.8285714285714286 },
  { "AR100", 0.8428571428571429 },
  { "ARs", 0.65 },
  { "ARm", 0.82 },
  { "ARl", 0.9142857142857143 },
  { "AR", 0.8428571428571429 },
  { "AR50", 1.0 },
  { "AR75", 1.0 },
};

/* The same, as COCOeval.summarize() prints it. */
static const char pycocotools_table[] =
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.789\n"
    " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.982\n"
    " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.982\n"
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.650\n"
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.767\n"
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.872\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.279\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.829\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.843\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.650\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.820\n"
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.914\n";

static dd_coco_dataset *
read_gt (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *gt = dd_coco_read (GT_PATH, &error);
  g_assert_no_error (error);
  return gt;
}

static void
test_real_detections_boxes (void)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *gt = read_gt ();
  dd_coco_dataset *dt = dd_coco_read_results (DT_PATH, &error);
  g_assert_no_error (error);
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  for (gsize i = 0; i < G_N_ELEMENTS (pycocotools_boxes); i++) {
    double v = dd_test_metric (r, pycocotools_boxes[i].name);
    if (fabs (v - pycocotools_boxes[i].value) > 1e-6)
      g_error ("%s: %.17g, pycocotools %.17g", pycocotools_boxes[i].name, v,
          pycocotools_boxes[i].value);
  }
  /* One category: its own numbers are the overall ones. */
  g_assert_cmpint (r->n_categories, ==, 1);
  g_assert_cmpfloat_with_epsilon (dd_eval_summarize (r, TRUE, -1, "all", 100, 0),
      0.7891214003991492, 1e-12);

  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);
  dd_eval_print_table (r, -1, out);
  fclose (out);
  g_assert_cmpstr (text, ==, pycocotools_table);
  free (text);

  g_autofree char *json = dd_eval_to_json (r, FALSE);
  g_autoptr (JsonNode) node = json_from_string (json, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (o), ==, 12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "APs"),
      0.6504950495049505, 1e-12);
  g_assert_cmpfloat (json_object_get_double_member (o, "AR50"), ==, 1.0);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

/* The people with labelled keypoints, fed back as keypoint results with
 * score 1 (written and read as pycocotools' results file): every keypoint
 * metric is 1. */
static void
test_ground_truth_as_keypoint_results (void)
{
  dd_coco_dataset *gt = read_gt ();
  g_autoptr (GString) json = g_string_new ("[");
  int n = 0;
  for (guint i = 0; i < gt->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (gt->annotations, dd_coco_annotation, i);
    if (a->num_keypoints == 0)
      continue;
    g_string_append_printf (json, "%s{\"image_id\": %" G_GINT64_FORMAT
        ", \"category_id\": 1, \"score\": 1, \"keypoints\": [", n++ ? ", " : "", a->image_id);
    for (int k = 0; k < 3 * a->n_keypoints; k++)
      g_string_append_printf (json, "%s%g", k ? ", " : "", a->keypoints[k]);
    g_string_append (json, "]}");
  }
  g_string_append (json, "]");
  g_assert_cmpint (n, ==, 12);
  g_autofree char *dir = g_dir_make_tmp ("ddeval-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "self.json", NULL);
  g_assert_true (g_file_set_contents (path, json->str, -1, NULL));
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *dt = dd_coco_read_results (path, &error);
  g_assert_no_error (error);
  g_assert_true (dd_coco_check_results (gt, dt, path, &error));

  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_KEYPOINTS);
  const dd_eval_metric *metrics;
  int n_metrics = dd_eval_named_metrics (DD_EVAL_KEYPOINTS, &metrics);
  g_assert_cmpint (n_metrics, ==, 10);
  for (int i = 0; i < n_metrics; i++)
    g_assert_cmpfloat (dd_test_metric (r, metrics[i].name), ==, 1.0);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
  g_unlink (path);
  g_rmdir (dir);
}

/* All 14 people as box results with score 1: everything is 1 but AR at one
 * detection per image, 4 images for 14 people (pycocotools: 0.285714...). */
static void
test_ground_truth_as_box_results (void)
{
  dd_coco_dataset *gt = read_gt ();
  dd_coco_dataset *dt = dd_coco_dataset_new ();
  for (guint i = 0; i < gt->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (gt->annotations, dd_coco_annotation, i);
    dd_test_add_box_det (dt, a->image_id, 1, a->bbox[0], a->bbox[1], a->bbox[2],
        a->bbox[3], 1.0);
  }
  dd_eval_result *r = dd_test_eval (gt, dt, DD_EVAL_BBOX);
  const dd_eval_metric *metrics;
  int n = dd_eval_table_metrics (DD_EVAL_BBOX, &metrics);
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (dd_test_metric (r, metrics[i].name),
        g_str_equal (metrics[i].name, "AR1") ? 4.0 / 14 : 1.0, 1e-12);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  g_test_add_func ("/eval/fixture/real-detections-boxes", test_real_detections_boxes);
  g_test_add_func ("/eval/fixture/ground-truth-as-keypoint-results",
      test_ground_truth_as_keypoint_results);
  g_test_add_func ("/eval/fixture/ground-truth-as-box-results",
      test_ground_truth_as_box_results);
  return g_test_run ();
}
