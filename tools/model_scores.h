/* COCO scores of a model on a labelled set (lib/eval): keypoint AP and box
 * AP with their usual breakdowns, for `ddistill distill`'s table. */
#ifndef DD_TOOLS_MODEL_SCORES_H
#define DD_TOOLS_MODEL_SCORES_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "data/coco.h"
#include "model/detection.h"
#include "tta_predictor.h"

typedef enum {
  DD_SCORE_AP,
  DD_SCORE_AP50,
  DD_SCORE_AP75,
  DD_SCORE_APM,
  DD_SCORE_APL,
  DD_N_SCORES
} dd_score;

extern const char *const dd_score_names[DD_N_SCORES];

/* Detections scored below this are left out, by `ddistill predict` unless
 * told otherwise (--score-threshold) and by the experiment's scoring, so
 * that the two give the same AP (Detectron's TEST.SCORE_THRESH). */
#define DD_SCORE_THRESHOLD 0.05

typedef struct dd_model_scores {
  double keypoints[DD_N_SCORES];        /* OKS; -1 where there is no truth */
  double boxes[DD_N_SCORES];            /* IoU */
  int64_t detections;
} dd_model_scores;

/* Runs `p` over the images of `gt` (files under gt->image_dir) and scores
 * its detections of at least DD_SCORE_THRESHOLD against gt's annotations.
 * `title` names the step on the progress line. */
gboolean dd_model_scores_measure (dd_tta_predictor *p, const dd_coco_dataset *gt,
    const char *title, dd_model_scores *out, GError **error);

/* Scores a set of scored annotations (automatic labels) against truth
 * about the same images. */
gboolean dd_model_scores_of_labels (const dd_coco_dataset *gt,
    const dd_coco_dataset *labels, dd_model_scores *out, GError **error);

/* An annotation for a detection: class index -> category id, the box as
 * [x, y, w, h], keypoints with v = 2 where they reach `keypoint_score`
 * (else 1, or all 0 below it when `drop_weak`). Owns a new keypoint
 * array. */
void dd_detection_to_annotation (const dd_detection *d, int category_id,
    double keypoint_score, gboolean drop_weak, dd_coco_annotation *a);

/* {"keypoints": {"AP": .., ...}, "boxes": {...}} */
JsonNode *dd_model_scores_to_json (const dd_model_scores *s);

#endif
