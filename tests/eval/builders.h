/* Small COCO sets built in memory for the evaluator's tests: ground truth
 * with given boxes, areas and keypoints, and detections with pycocotools'
 * loadRes conventions (ids 1, 2, ...; box results: area = w * h; keypoint
 * results: box and area from the keypoints' extent). */
#ifndef DD_TESTS_EVAL_BUILDERS_H
#define DD_TESTS_EVAL_BUILDERS_H

#include "eval/eval.h"

/* A dataset with `n_images` images (ids 1..n, 640 x 480) and the categories
 * ids[0..n_cats), each with the 17 COCO person keypoints. */
dd_coco_dataset *dd_test_ground_truth (int n_images, int n_cats, const int *cat_ids);

/* Appends ground truth with id `id`; kps (51 floats) may be NULL. */
void dd_test_add_gt (dd_coco_dataset *gt, int64_t id, int64_t image_id, int cat,
    double x, double y, double w, double h, double area, int crowd, const float *kps);

/* Appends a box detection / a keypoint detection (kps: 51 floats). */
void dd_test_add_box_det (dd_coco_dataset *dt, int64_t image_id, int cat,
    double x, double y, double w, double h, double score);
void dd_test_add_keypoint_det (dd_coco_dataset *dt, int64_t image_id, int cat,
    const float *kps, double score);

/* Evaluates and returns the named metric ("AP50", ...), failing the test on
 * an error. */
dd_eval_result *dd_test_eval (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type);
double dd_test_metric (const dd_eval_result *r, const char *name);

#endif
