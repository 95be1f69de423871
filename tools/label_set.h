/* Steps 2 and 3 of data distillation on a corpus of images: the teacher's
 * ensembled detections of every image (from tta_predictor.h through
 * lib/distill directly, or from the ddlabel element: label_pipeline.h),
 * then the hard labels selected by count matching against the manually
 * labelled set (distill/calibrate.h: per-class score thresholds, one
 * keypoint threshold) and written as a COCO dataset of automatic labels
 * with their provenance. */
#ifndef DD_TOOLS_LABEL_SET_H
#define DD_TOOLS_LABEL_SET_H

#include <glib.h>

#include "data/coco.h"
#include "distill/thresholds.h"
#include "tta_predictor.h"

typedef struct dd_label_outcome {
  int64_t images;
  int64_t candidates;           /* ensembled detections before selection */
  int64_t labels;               /* kept */
  double seconds;
  dd_thresholds thresholds;     /* clear with dd_thresholds_clear */
} dd_label_outcome;

/* Gathers the candidates of a corpus, one image at a time in any order,
 * and decides at the end. */
typedef struct dd_labeler dd_labeler;

/* For a teacher with these classes and keypoints, calibrated on `labeled`
 * (whose categories the labels get); `corpus` is what will be labelled. */
dd_labeler *dd_labeler_new (const char *const *classes, int n_classes, int n_keypoints,
    const dd_coco_dataset *labeled, const dd_coco_dataset *corpus, GError **error);
void dd_labeler_free (dd_labeler *l);

/* The candidates (dd_detection, in the image's pixels) of image i of the
 * corpus; `labeler` is the dd_labeler (the shape of predict_set.h's
 * callback). Fails when image i was given before. */
gboolean dd_labeler_add (guint i, const GArray *detections, void *labeler,
    GError **error);

/* Decides the thresholds, selects the labels and writes them to `out_json`
 * (atomically; file names as in the corpus, relative to its image folder).
 * Fails, naming it, when an image of the corpus was never given.
 * `provenance` (may be NULL) is recorded with `transforms` (the passes),
 * the ensemble `rules` and the thresholds. */
gboolean dd_labeler_finish (dd_labeler *l, const char *transforms, const char *rules,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error);

/* All of it with `teacher` through lib/distill: labels the images of
 * `corpus` (its annotations, if any, are ignored), calibrated on `labeled`. */
gboolean dd_label_set (dd_tta_predictor *teacher, const char *ensemble_rules,
    const dd_coco_dataset *corpus, const dd_coco_dataset *labeled,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error);

#endif
