/* A trained model run on several test-time transforms of each image, the
 * passes ensembled into one set of detections (lib/distill): the teacher's
 * labeling in `ddistill distill`, and its evaluation with test-time
 * augmentation.
 *
 * Each image is first letterboxed into the model's input (its "canvas",
 * exactly as plain prediction and training place it: model/predict.h);
 * the transform spec (distill/tta_spec.h) is resolved against that canvas,
 * so the identity pass is plain prediction and "factors=0.75,1.25,flip"
 * means three quarters and five quarters of the size the model was trained
 * at, each also mirrored. Each transformed canvas is padded on the right
 * and at the bottom to a multiple of the output stride and run through a
 * copy of the network set up for that size (the network is fully
 * convolutional; one copy per size, made once). The ensemble maps every
 * pass back to the canvas, and its detections are mapped back through the
 * letterbox to the image's own pixels.
 */
#ifndef DD_TOOLS_TTA_PREDICTOR_H
#define DD_TOOLS_TTA_PREDICTOR_H

#include <glib.h>

#include "data/image.h"
#include "distill/ensemble.h"
#include "model/detector.h"
#include "nn/backend.h"

typedef struct dd_tta_predictor dd_tta_predictor;

/* The model of folder `model_dir` on `be` (which the caller keeps until the
 * predictor is freed), the transforms of `spec` (the empty spec: the
 * identity alone), ensembled by `rules`. Errors name the model file, the
 * spec item or the transform at fault. */
dd_tta_predictor *dd_tta_predictor_new (const char *model_dir, dd_backend *be,
    const char *spec, const dd_ensemble_params *rules, GError **error);
void dd_tta_predictor_free (dd_tta_predictor *p);

int dd_tta_predictor_n_transforms (const dd_tta_predictor *p);
/* The transforms' names ("128x128", "160x160f", ...), comma-separated. */
const char *dd_tta_predictor_transform_names (const dd_tta_predictor *p);
/* The model's class names and keypoint count. */
const char *const *dd_tta_predictor_classes (const dd_tta_predictor *p,
    int *n_classes);
int dd_tta_predictor_n_keypoints (const dd_tta_predictor *p);
/* The model as set up for the canvas: its classes, keypoints and skeleton
 * (for drawing); owned by the predictor. */
const dd_detector *dd_tta_predictor_model (const dd_tta_predictor *p);

/* Each pass's decoding snaps a keypoint to heatmap peaks of at least `t`
 * (decode.h; 0.1 unless set, as ddinfer's keypoint-threshold), so that
 * `ddistill predict --tta` decodes its passes as plain prediction does.
 * The ensemble's own reading of averaged maps keeps its rules' threshold. */
void dd_tta_predictor_set_keypoint_threshold (dd_tta_predictor *p, float t);

/* The ensembled detections of one image (dd_detection, in its pixels),
 * appended to `out`; no score threshold. */
gboolean dd_tta_predictor_run (dd_tta_predictor *p, const dd_image *img,
    GArray *out, GError **error);

#endif
