/* A COCO dataset made ready for training a detector: its categories
 * matched to the detector's classes by name, annotations grouped by image,
 * and each drawn item turned into an augmented network input and its
 * targets.
 */
#ifndef DD_MODEL_TRAIN_DATA_H
#define DD_MODEL_TRAIN_DATA_H

#include <glib.h>

#include "data/augment.h"
#include "model/detector.h"
#include "model/targets.h"
#include "nn/rng.h"

typedef struct dd_train_set dd_train_set;

/* Reads `json` with its images in `image_dir` (NULL: the JSON's folder)
 * and checks it against the detector: at least one image (and, for manual
 * labels, one annotation), every image file present, every category a
 * class of the detector (by name), keypoint counts that of the detector
 * (and the detector's own keypoint names in its order, where a category
 * uses them).
 * `automatic`: the teacher's labels, which may label no one and whose
 * unlabelled keypoints are unknown rather than absent (targets.h), as
 * ddtrain trains them. Errors name the file and what is wrong. */
dd_train_set *dd_train_set_open (const char *json, const char *image_dir,
                                 const dd_detector *det, gboolean automatic,
                                 GError **error);
void dd_train_set_free (dd_train_set *s);

size_t dd_train_set_n_images (const dd_train_set *s);
/* The folder its images are read from: the one given, else the JSON's. */
const char *dd_train_set_image_dir (const dd_train_set *s);
size_t dd_train_set_n_annotations (const dd_train_set *s);

/* Image `index`, decoded and augmented with `rng`: writes its input
 * planes (3 x p->height x p->width floats) and encodes its targets into
 * image `slot` of `t`, which the caller cleared. A file that does not
 * decode is an error naming it. */
gboolean dd_train_set_sample (const dd_train_set *s, size_t index,
                              const dd_augment_params *p, dd_rng *rng, float *input,
                              dd_targets *t, int slot, GError **error);

#endif
