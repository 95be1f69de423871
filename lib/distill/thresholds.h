/* The selection of automatic labels: a score threshold per class, and one
 * keypoint threshold, as the calibration (calibrate.h) chose them, with the
 * statistics they were matched on. Serialises to the "thresholds" object of
 * an automatic dataset's provenance:
 *
 *   { "method": "count-matching",
 *     "labeled_images": 400, "unlabeled_images": 1200,
 *     "classes": [ { "name": "person", "score": 0.41,
 *                    "labeled_mean": 3.2, "selected_mean": 3.2,
 *                    "candidates": 25034 } ],
 *     "keypoints": { "score": 0.27, "labeled_mean": 11.3,
 *                    "selected_mean": 11.3 } }
 *
 * A score of null means "keep none" (the labeled set has no instance of
 * that class). Values are written so they read back exactly.
 */
#ifndef DD_DISTILL_THRESHOLDS_H
#define DD_DISTILL_THRESHOLDS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "model/detection.h"

typedef struct dd_class_threshold {
  char *name;
  double score;                 /* keep detections scoring >= this; INFINITY: none */
  double labeled_mean;          /* instances per labeled image */
  double selected_mean;         /* instances per unlabeled image above `score` */
  int64_t candidates;           /* the unlabeled corpus's candidates of the class */
} dd_class_threshold;

typedef struct dd_thresholds {
  int n_classes;
  dd_class_threshold *classes;  /* indexed by the network's class index */
  double keypoint_score;        /* keypoints scoring >= this are labelled */
  double keypoint_labeled_mean; /* labelled keypoints per labeled instance */
  double keypoint_selected_mean;/* per selected instance, above keypoint_score */
  int64_t labeled_images, unlabeled_images;
} dd_thresholds;

void dd_thresholds_clear (dd_thresholds *t);

/* Whether a detection (class in range) passes its class's threshold. */
gboolean dd_thresholds_keep (const dd_thresholds *t, const dd_detection *d);
/* How many of its keypoints pass the keypoint threshold. */
int dd_thresholds_count_keypoints (const dd_thresholds *t, const dd_detection *d);

JsonNode *dd_thresholds_to_json (const dd_thresholds *t);
/* Reads what _to_json wrote; fails naming the member that is missing or
 * wrong. `t` is filled only on success. */
gboolean dd_thresholds_from_json (JsonNode *node, dd_thresholds *t,
    GError **error);

#endif
