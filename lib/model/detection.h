/* What the detector outputs, and what distillation ensembles: decoded
 * detections, and the raw head maps they were decoded from.
 *
 * Coordinates are in pixels of the image the network saw, with pixel
 * centres at integer + 0.5 (the convention of lib/data's resize and
 * augmentation, and of PyTorch's align_corners=False); boxes are corners
 * (x1, y1, x2, y2); COCO's [x, y, w, h] appears only at the file boundary.
 */
#ifndef DD_MODEL_DETECTION_H
#define DD_MODEL_DETECTION_H

#define DD_MAX_KEYPOINTS 32

typedef struct dd_keypoint {
  float x, y;
  /* Keypoint heatmap value where the keypoint was placed: the peak it
   * snapped to, or the cell under its regressed position (decode.h). */
  float score;
} dd_keypoint;

typedef struct dd_detection {
  int class_index;              /* index into the network's "classes" */
  float box[4];                 /* x1, y1, x2, y2 */
  float score;                  /* centre heatmap peak */
  int n_keypoints;              /* 0 for a box-only detector */
  dd_keypoint keypoints[DD_MAX_KEYPOINTS];
} dd_detection;

/* The heads of one image, as the network produced them (after the
 * sigmoids), at 1/stride of the input resolution. Channel-major planes of
 * h*w floats each. Distillation averages these across transforms before
 * decoding, so they are kept apart from the detections. */
typedef struct dd_head_maps {
  int h, w;                     /* map size */
  int stride;                   /* input pixels per map cell */
  int n_classes;
  int n_keypoints;
  float *center;                /* [n_classes][h][w], in [0, 1] */
  float *size;                  /* [2][h][w]: box width, height in input pixels */
  float *offset;                /* [2][h][w]: centre's sub-cell offset, in cells */
  float *keypoint_heatmap;      /* [n_keypoints][h][w], in [0, 1] */
  float *keypoint_offset;       /* [2*n_keypoints][h][w]: (dx, dy) of each
                                 * keypoint from the centre, in input pixels */
} dd_head_maps;

/* Reading the maps at cell (x, y) (column x, row y), which covers input
 * pixels [x * stride, (x + 1) * stride) horizontally:
 *   - an object centred in that cell is at
 *     ((x + offset[0]) * stride, (y + offset[1]) * stride), its box
 *     size[0] x size[1] pixels around that point;
 *   - keypoint k of that object is at (cx + keypoint_offset[2k],
 *     cy + keypoint_offset[2k + 1]), where (cx, cy) is the centre of the
 *     cell, ((x + 0.5) * stride, (y + 0.5) * stride): offsets are measured
 *     from the cell, not from the regressed centre, so a keypoint does not
 *     carry the centre offset's error;
 *   - keypoint k is seen in that cell with probability
 *     keypoint_heatmap[k][y][x]. */

#endif
