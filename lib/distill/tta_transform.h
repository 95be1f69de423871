/* One test-time transform of a frame (a resize, optionally mirrored) and its
 * exact inverse for what the detector returns: points, boxes, detections.
 *
 * Coordinates are continuous, as in lib/data's image.h: pixel (i, j) covers
 * [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5). A frame of
 * frame_width x frame_height becomes an image of width x height; a frame
 * point (x, y) lands at
 *
 *   u = x * width / frame_width,   then u = width - u if flip,
 *   v = y * height / frame_height,
 *
 * which is lib/data's dd_transform_resize (frame size, image size, flip), so
 * the image that augment.h or image.h resamples shows a frame point exactly
 * where this transform puts it. The identity is the frame at its own size,
 * unflipped: the "untransformed pass" whose boxes the keypoint ensemble uses.
 */
#ifndef DD_DISTILL_TTA_TRANSFORM_H
#define DD_DISTILL_TTA_TRANSFORM_H

#include <glib.h>

#include "distill/flip_map.h"
#include "model/detection.h"

typedef struct dd_tta_transform {
  int frame_width, frame_height;        /* the frame it applies to */
  int width, height;                    /* the transformed image */
  gboolean flip;                        /* mirrored horizontally after the resize */
} dd_tta_transform;

/* The untransformed pass of a frame. */
dd_tta_transform dd_tta_identity (int frame_width, int frame_height);
gboolean dd_tta_is_identity (const dd_tta_transform *t);

/* Transformed pixels per frame pixel, along each axis. */
double dd_tta_scale_x (const dd_tta_transform *t);
double dd_tta_scale_y (const dd_tta_transform *t);

/* A short name for logs and provenance: "160x120" or "160x120f". */
void dd_tta_transform_name (const dd_tta_transform *t, char *buf, size_t size);

void dd_tta_point_forward (const dd_tta_transform *t, double x, double y,
    double *u, double *v);
void dd_tta_point_inverse (const dd_tta_transform *t, double u, double v,
    double *x, double *y);

/* Boxes are corners (x1, y1, x2, y2), as dd_detection's; a flip exchanges
 * which corner is on the left. `out` may be `in`. */
void dd_tta_box_forward (const dd_tta_transform *t, const float in[4],
    float out[4]);
void dd_tta_box_inverse (const dd_tta_transform *t, const float in[4],
    float out[4]);

/* A whole detection: box and keypoints mapped, keypoint scores kept, and
 * with a flip keypoint k taken from keypoint fm->partner[k]. Class and score
 * are kept. `fm` should cover the detection's keypoints (fm->n_keypoints ==
 * in->n_keypoints; a keypoint beyond them is its own partner). At most
 * DD_MAX_KEYPOINTS keypoints are read. `out` may be `in`. */
void dd_tta_detection_forward (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_detection *in, dd_detection *out);
void dd_tta_detection_inverse (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_detection *in, dd_detection *out);

#endif
