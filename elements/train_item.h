/* One training example as ddtrain holds it between its sink pad and the
 * engine: the image's pixels out of the buffer, and its annotations (from
 * the buffer's DdAnnotationsMeta) with each one's class in the detector.
 * Augmenting it and encoding its targets (dd_train_item_encode) is what
 * lib/model's dd_train_set_sample does for an image of a dataset file.
 */
#ifndef DD_ELEMENTS_TRAIN_ITEM_H
#define DD_ELEMENTS_TRAIN_ITEM_H

#include <gst/video/video.h>

#include "data/augment.h"
#include "elements/ddannotationsmeta.h"
#include "model/detector.h"
#include "model/targets.h"
#include "nn/rng.h"

typedef struct dd_train_item {
  dd_image *image;
  guint n_annotations;
  dd_coco_annotation *annotations;      /* keypoints owned */
  int *classes;                         /* the detector's class of each, -1: none */
  DdLabelsOrigin origin;
  gint64 image_id;
  guint64 sequence;                     /* its position in its pad's stream */
} dd_train_item;

/* Copies the pixels of an RGB buffer laid out as `info` says, and its
 * annotations. Fails, naming the image, when the buffer has no
 * DdAnnotationsMeta or one of another size than the buffer, when a
 * category is not a class of `det` (the message lists its classes), or
 * when a keypoint count is not the detector's. */
dd_train_item *dd_train_item_from_buffer (GstBuffer *buf, const GstVideoInfo *info,
    const dd_detector *det, GError **error);
void dd_train_item_free (dd_train_item *item);

/* Augments the item with `rng` and writes image `slot` of a batch: its
 * input planes (3 x p->height x p->width floats) and its targets in `t`,
 * which the caller cleared. An automatic item's unlabelled keypoints are
 * ignored under their object's box, not trained as absent (targets.h). */
gboolean dd_train_item_encode (const dd_train_item *item, const dd_augment_params *p,
    dd_rng *rng, float *input, dd_targets *t, int slot, GError **error);

#endif
