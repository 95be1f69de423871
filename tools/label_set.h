/* Steps 2 and 3 of data distillation on a corpus of images, through
 * lib/distill directly: the teacher run on every test-time transform of
 * each image and the passes ensembled (tta_predictor.h), then the hard
 * labels selected by count matching against the manually labelled set
 * (distill/calibrate.h: per-class score thresholds, one keypoint
 * threshold) and written as a COCO dataset of automatic labels with their
 * provenance. */
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

/* Labels the images of `corpus` (its annotations, if any, are ignored)
 * with `teacher`, calibrated on `labeled`, and writes the automatic
 * dataset to `out_json` (atomically; file names as in the corpus, relative
 * to its image folder). `provenance` (may be NULL) is recorded with the
 * transforms, the ensemble rules and the thresholds. */
gboolean dd_label_set (dd_tta_predictor *teacher, const char *ensemble_rules,
    const dd_coco_dataset *corpus, const dd_coco_dataset *labeled,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error);

#endif
