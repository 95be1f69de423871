/* Geometric transforms of an image with its boxes and keypoints, and the
 * random training augmentation built on them (scale, crop with padding,
 * horizontal flip with the left/right keypoint swap, colour jitter).
 *
 * Coordinates are continuous, as in image.h: pixel (i, j) covers
 * [i, i+1) x [j, j+1). A transform maps an input point (x, y) to
 *
 *   u = scale_x * x + offset_x,   then u = width - u if flip,
 *   v = scale_y * y + offset_y,
 *
 * in an output of width x height pixels. The image is resampled with the
 * same map (each output pixel centre taken back through the inverse, then
 * sampled bilinearly), so a point drawn at (x, y) in the input is seen at
 * (u, v) in the output. A flip maps x to width - x: pixel i becomes pixel
 * width - 1 - i, as a mirrored image does.
 *
 * The distillation reuses these transforms at test time (multi-scale and
 * flipped inference) and maps the predictions back with the inverses.
 */
#ifndef DD_DATA_AUGMENT_H
#define DD_DATA_AUGMENT_H

#include <glib.h>
#include <stdint.h>

#include "data/coco.h"
#include "data/image.h"
#include "nn/rng.h"

#define DD_AUGMENT_ERROR (dd_augment_error_quark ())
GQuark dd_augment_error_quark (void);

typedef enum {
  DD_AUGMENT_ERROR_PARAMS,      /* an augmentation parameter out of range */
  DD_AUGMENT_ERROR_FLIP_PAIRS,  /* flip pairs that do not fit the keypoints */
} dd_augment_error;

typedef struct dd_transform {
  int width, height;            /* output size, pixels */
  double scale_x, scale_y;      /* output pixels per input pixel, > 0 */
  double offset_x, offset_y;    /* where the input's origin lands, before the flip */
  gboolean flip;                /* mirror the output horizontally */
} dd_transform;

/* The transform of a plain resize from in_w x in_h to out_w x out_h, then
 * mirrored when `flip`: dd_transform_image with it equals dd_image_resize. */
dd_transform dd_transform_resize (int in_w, int in_h, int out_w, int out_h,
    gboolean flip);

void dd_transform_point (const dd_transform *t, double x, double y,
    double *u, double *v);
void dd_transform_point_inverse (const dd_transform *t, double u, double v,
    double *x, double *y);

/* Boxes are COCO's [x, y, w, h]; the result is the image of the box (its
 * corners mapped, left and right exchanged by a flip), not clipped. */
void dd_transform_box (const dd_transform *t, const double box[4], double out[4]);
void dd_transform_box_inverse (const dd_transform *t, const double box[4],
    double out[4]);

/* Left/right keypoint pairs, 0-based indices into an instance's keypoints.
 * A horizontal flip makes a left wrist look like a right one, so after the
 * flip the two entries of each pair are exchanged: entry "left_wrist" then
 * holds the mirrored position of what was labelled right_wrist. */
extern const int dd_coco_person_flip_pairs[8][2];
#define DD_COCO_PERSON_N_FLIP_PAIRS 8

/* Checks that every pair indexes two different keypoints below n_keypoints
 * and no keypoint is in two pairs; `what` names the owner in the message. */
gboolean dd_flip_pairs_check (const int (*pairs)[2], int n_pairs,
    int n_keypoints, const char *what, GError **error);

/* Keypoints are COCO (x, y, v) triples, n_keypoints of them; `out` may be
 * `in`. Forward: every keypoint with v > 0 is mapped; one that lands outside
 * the output becomes (0, 0, 0); then, with a flip, the pairs are exchanged.
 * Inverse: the pairs are exchanged back (with a flip) and every v > 0
 * keypoint is mapped back, without clipping. Pairs must pass
 * dd_flip_pairs_check. */
void dd_transform_keypoints (const dd_transform *t, const float *in, float *out,
    int n_keypoints, const int (*flip_pairs)[2], int n_flip_pairs);
void dd_transform_keypoints_inverse (const dd_transform *t, const float *in,
    float *out, int n_keypoints, const int (*flip_pairs)[2], int n_flip_pairs);

/* One annotation through the transform: box mapped and clipped to the
 * output, area scaled by the change of scale and by the fraction of the box
 * kept, keypoints as dd_transform_keypoints, num_keypoints recounted. The
 * segmentation is not transformed and is left out (NULL). Returns FALSE, and
 * leaves `out` untouched, when the clipped box is narrower or lower than
 * min_box_side pixels; otherwise `out` owns a new keypoint array. */
gboolean dd_transform_annotation (const dd_transform *t,
    const dd_coco_annotation *in, dd_coco_annotation *out,
    const int (*flip_pairs)[2], int n_flip_pairs, double min_box_side);

/* The image through the transform: each output pixel is the bilinear sample
 * at the inverse of its centre; outside the input it is `fill`. */
dd_image *dd_transform_image (const dd_transform *t, const dd_image *img,
    const uint8_t fill[3], GError **error);

typedef struct dd_augment_params {
  int width, height;            /* output size */
  /* The scale is s * f, where s fits the whole input inside the output and f
   * is uniform in [scale_min, scale_max]. The scaled image is placed at a
   * uniform random offset: cropped where larger than the output, padded with
   * `fill` where smaller. */
  double scale_min, scale_max;
  uint8_t fill[3];
  double flip_probability;
  const int (*flip_pairs)[2];
  int n_flip_pairs;
  /* Colour jitter, in this order: brightness (multiply), contrast (blend
   * with the mean grey), saturation (blend with each pixel's grey); each
   * factor uniform in [1 - a, 1 + a], a in [0, 1]; a = 0 turns it off. */
  double brightness, contrast, saturation;
  double min_box_side;          /* smaller clipped boxes are dropped */
} dd_augment_params;

/* Defaults for COCO people: scale 0.6 to 1.4, flip half the time with the
 * COCO person pairs, jitter 0.4 each, grey fill (the ImageNet mean colour),
 * boxes below 1 pixel dropped. */
void dd_augment_params_init (dd_augment_params *p, int width, int height);
gboolean dd_augment_params_check (const dd_augment_params *p, GError **error);

/* Draws the scale, the offset and the flip, in that order, from `rng`. */
dd_transform dd_augment_draw_transform (const dd_augment_params *p, dd_rng *rng,
    int in_width, int in_height);
/* Draws the three jitter factors from `rng` and applies them to `img`. */
void dd_augment_jitter_colour (const dd_augment_params *p, dd_rng *rng,
    dd_image *img);

typedef struct dd_augment_result {
  dd_image *image;
  GArray *annotations;          /* dd_coco_annotation, freeing their keypoints */
  dd_transform transform;
  int n_dropped;                /* annotations whose box left the output */
} dd_augment_result;

/* Augments one image and its annotations: draws a transform, resamples the
 * image, transforms the annotations (dropping and counting those whose box
 * vanishes) and jitters the colours. The same rng state gives the same
 * result. Fails, naming the annotation, when the flip pairs do not fit its
 * keypoints. */
gboolean dd_augment (const dd_augment_params *p, dd_rng *rng,
    const dd_image *img, const dd_coco_annotation *anns, int n_anns,
    dd_augment_result *result, GError **error);
void dd_augment_result_clear (dd_augment_result *result);

#endif
