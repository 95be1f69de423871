/* COCO average precision and recall, for boxes (IoU) and keypoints (OKS),
 * with the semantics of pycocotools' COCOeval (evaluate, accumulate,
 * summarize) and its default parameters, number for number:
 *
 * - every (image, category) of the ground truth is evaluated on its own;
 *   detections are ranked by score (stable: ties keep file order) and the
 *   best 100 (boxes) or 20 (keypoints) kept;
 * - greedy matching in rank order, at each IoU threshold .50:.05:.95: a
 *   detection takes the unmatched ground truth of highest overlap
 *   (>= the threshold), preferring regular ones to ignored ones; a crowd
 *   region can take any number of detections and its box IoU is
 *   intersection / detection area;
 * - ground truth is ignored when iscrowd, outside the area range, or (for
 *   keypoints) with num_keypoints = 0; a detection matched to an ignored one,
 *   or unmatched and outside the area range, is ignored too;
 * - precision is made monotone and read at 101 recall points; areas are all,
 *   small, medium, large for boxes and all, medium, large for keypoints;
 *   maxDets 1, 10, 100 for boxes and 20 for keypoints; -1 marks a setting
 *   with no ground truth;
 * - OKS uses the 17 COCO sigmas and the ground truth's `area`; a ground truth
 *   with no labelled keypoint is measured by the distance of the detected
 *   keypoints to its box grown by its own size on every side.
 *
 * Detections are a dataset of scored annotations, as dd_coco_read_results()
 * makes them (boxes and areas as pycocotools' loadRes sets them). Matching
 * for maxDets 1 and 10 truncates the matching done at 100, as pycocotools.
 * pycocotools cannot evaluate a ground truth of id 0 or a detection of id
 * <= 0 correctly (it reads id 0 as "no match"): those are refused.
 */
#ifndef DD_EVAL_EVAL_H
#define DD_EVAL_EVAL_H

#include <stdio.h>

#include "data/coco.h"

typedef enum {
  DD_EVAL_BBOX,
  DD_EVAL_KEYPOINTS,
} dd_eval_iou_type;

#define DD_EVAL_N_IOU 10
#define DD_EVAL_N_RECALL 101
#define DD_EVAL_MAX_AREAS 4
#define DD_EVAL_MAX_MAX_DETS 3

/* pycocotools' Params for an iou type. */
typedef struct dd_eval_params {
  dd_eval_iou_type iou_type;
  double iou_thrs[DD_EVAL_N_IOU];       /* numpy's linspace(.5, .95, 10), bit for bit */
  double rec_thrs[DD_EVAL_N_RECALL];    /* linspace(0, 1, 101) */
  int n_areas;
  double area_rng[DD_EVAL_MAX_AREAS][2];
  const char *area_labels[DD_EVAL_MAX_AREAS];
  int n_max_dets;
  int max_dets[DD_EVAL_MAX_MAX_DETS];   /* ascending */
  double sigmas[DD_COCO_PERSON_KEYPOINTS];
} dd_eval_params;

void dd_eval_params_init (dd_eval_params *p, dd_eval_iou_type type);

/* What accumulate() leaves: precision [T][R][K][A][M] and recall [T][K][A][M]
 * in row-major order (T IoU thresholds, R recall points, K categories in
 * ascending id, A area ranges, M maxDets), -1 where there is no ground truth. */
typedef struct dd_eval_result {
  dd_eval_params params;
  int n_categories;
  int *category_ids;
  char **category_names;
  double *precision;
  double *recall;
} dd_eval_result;

/* Evaluates `dt` against `gt`. Errors (DD_COCO_ERROR) name the detection or
 * ground truth annotation at fault: an image or category the ground truth
 * does not have, keypoints missing or not 17 for a keypoint evaluation, a
 * score that is not a finite number >= 0, an id pycocotools misreads. */
dd_eval_result *dd_eval_run (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type, GError **error);
void dd_eval_result_free (dd_eval_result *r);

/* pycocotools' _summarize: the mean of the precision (ap) or recall entries
 * that are not -1, at one IoU threshold (or all when iou_thr < 0), one area
 * label and one maxDets, over all categories (category < 0) or one (its
 * index in category_ids). -1 when every entry is -1. */
double dd_eval_summarize (const dd_eval_result *r, gboolean ap, double iou_thr,
    const char *area, int max_dets, int category);

/* The standard numbers. The table has summarize()'s 12 (boxes) or 10
 * (keypoints) lines; the named metrics are AP, AP50, AP75, APs (boxes),
 * APm, APl, AR, AR50, AR75, ARs (boxes), ARm, ARl, with AR at maxDets 100
 * for boxes and 20 for keypoints. */
typedef struct dd_eval_metric {
  const char *name;             /* "AP50" */
  gboolean ap;
  double iou_thr;               /* < 0: averaged over .50:.95 */
  const char *area;
  int max_dets;
} dd_eval_metric;

/* The metrics of the table (summarize()'s lines) or the named set. */
int dd_eval_table_metrics (dd_eval_iou_type type, const dd_eval_metric **metrics);
int dd_eval_named_metrics (dd_eval_iou_type type, const dd_eval_metric **metrics);

/* summarize()'s text, line for line, for all categories or one. */
void dd_eval_print_table (const dd_eval_result *r, int category, FILE *out);
/* One line per category: id, name and the named metrics. */
void dd_eval_print_categories (const dd_eval_result *r, FILE *out);
/* {"AP": ..., ...} with the named metrics; with `per_category`, a member
 * "per_category": [{"id", "name", and the named metrics}, ...]. */
char *dd_eval_to_json (const dd_eval_result *r, gboolean per_category);

#endif
