/* A model (with test-time transforms) over every image of a COCO dataset,
 * with a progress line on stderr: what evaluating a model and labeling a
 * corpus share. */
#ifndef DD_TOOLS_PREDICT_SET_H
#define DD_TOOLS_PREDICT_SET_H

#include <glib.h>

#include "data/coco.h"
#include "tta_predictor.h"

/* Called with image i of the dataset and its detections (dd_detection, in
 * the image's pixels); FALSE (with an error) stops the loop. */
typedef gboolean (*dd_predict_set_fn) (guint i, const GArray *detections, void *user,
    GError **error);

/* Runs `p` on every image of `ds` (files under ds->image_dir) in order.
 * `title` names the step on the progress line. Images that do not decode
 * are errors naming them. */
gboolean dd_predict_set (dd_tta_predictor *p, const dd_coco_dataset *ds,
    const char *title, dd_predict_set_fn fn, void *user, GError **error);

#endif
