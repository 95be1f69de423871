/* The detector on whole images of any size: each image letterboxed into
 * the network's input (scaled to fit, aspect kept, centred, padded with
 * the mean colour, as training's augmentation places images), decoded,
 * and the detections mapped back to the image's own pixels.
 */
#ifndef DD_MODEL_PREDICT_H
#define DD_MODEL_PREDICT_H

#include <glib.h>

#include "data/augment.h"
#include "data/image.h"
#include "model/decode.h"
#include "model/detector.h"

/* The transform that fits an in_w x in_h image into out_w x out_h. */
dd_transform dd_letterbox (int in_w, int in_h, int out_w, int out_h);

/* Maps a detection from the transform's output back to its input: box
 * corners and keypoints (a flipped transform is not supported: it would
 * need the flip pairs). */
void dd_detection_map_back (const dd_transform *t, dd_detection *d);

/* Runs the detector (set up for at least n images at its input size) on
 * n images: out[i] receives up to p->max_detections detections of image
 * i in its own pixels, counts[i] how many. FALSE with an error message
 * when the network fails. */
gboolean dd_predict_images (dd_detector *det, dd_image *const *images, int n,
                            const dd_decode_params *p, dd_detection **out, int *counts,
                            GError **error);

#endif
