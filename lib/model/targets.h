/* Training targets of the detector, CenterNet's encoding (Zhou et al.,
 * "Objects as Points", 2019), in the units of detection.h:
 *
 * - centre heatmap of the object's class: a Gaussian around the cell that
 *   holds the box centre, exactly 1 in that cell, its radius CenterNet's
 *   gaussian_radius of the box size in cells (the largest shift of a box
 *   corner that keeps IoU >= 0.7), sigma = (2 * radius + 1) / 6; where
 *   objects overlap the larger value wins;
 * - size (box width and height, input pixels) and offset (the centre's
 *   position inside its cell, in cells) at the centre cell, under
 *   box_mask;
 * - one heatmap per keypoint: a Gaussian of the object's radius (at least
 *   1) centred on each labelled keypoint's exact position (v > 0), scaled
 *   so the keypoint's cell is exactly 1: its neighbours tell where in the
 *   cell the keypoint lies, which decoding reads back
 *   (heatmap_refine.h);
 * - keypoint offsets: each labelled keypoint's position from the centre of
 *   the object's centre cell, input pixels, at the centre cell, under
 *   keypoint_mask (per coordinate).
 *
 * Crowd regions and objects of no class are not encoded.
 *
 * A keypoint left unlabelled (v = 0) is, by default, trained as absent:
 * its heatmap is 0 under the object like anywhere else. Where that is not
 * what v = 0 means (the teacher's labels, which drop the keypoints it was
 * unsure of), dd_targets_ignore_unlabelled_keypoints marks the object's
 * box in that keypoint's heatmap as ignored (keypoint_ignored), and the
 * loss leaves it out (losses.h).
 */
#ifndef DD_MODEL_TARGETS_H
#define DD_MODEL_TARGETS_H

#include "data/coco.h"
#include "model/head_batch.h"

typedef struct dd_targets {
  dd_head_batch *value;         /* the targets, shaped as the heads */
  float *box_mask;              /* [n][2][h][w]: 1 at each centre cell */
  float *keypoint_mask;         /* [n][2 * n_keypoints][h][w] */
  float *keypoint_ignored;      /* [n][n_keypoints][h][w]: 1 where not known */
} dd_targets;

/* NULL when out of memory or a size is not positive. */
dd_targets *dd_targets_new (int n, int h, int w, int stride, int n_classes,
                            int n_keypoints);
void dd_targets_free (dd_targets *t);
/* Zeroes every target and mask of every image: nothing is ignored. */
void dd_targets_clear (dd_targets *t);

/* Encodes the objects of image `image` (annotations in pixels of the
 * network input; class_index[i] is annotation i's class, or -1 to leave it
 * out) over what that image already holds. Keypoints beyond the map or
 * with v = 0 are left out; annotations' keypoint counts must be 0 or the
 * targets' n_keypoints. */
void dd_targets_encode (dd_targets *t, int image, const dd_coco_annotation *anns,
                        const int *class_index, int n_anns);

/* Marks, in image `image`, the box of each annotation that dd_targets_encode
 * encodes as ignored in the heatmap of each of its keypoints with v = 0:
 * the annotation does not know where that keypoint is, so the loss must
 * not teach that it is nowhere. */
void dd_targets_ignore_unlabelled_keypoints (dd_targets *t, int image,
    const dd_coco_annotation *anns, const int *class_index, int n_anns);

/* CenterNet's gaussian_radius for a box of h x w cells and min_overlap
 * 0.7, truncated to an integer and at least 0. */
int dd_gaussian_radius (double h, double w);
/* Draws max(plane, Gaussian of `radius` centred on cell (x, y)) into an
 * h x w plane; the centre cell becomes exactly 1. */
void dd_draw_gaussian (float *plane, int h, int w, int x, int y, int radius);
/* The same Gaussian centred on the point (x, y) in cells (cell (i, j)
 * spans [i, i + 1) x [j, j + 1)), divided by its value at the centre of
 * the cell holding the point, which becomes exactly 1. */
void dd_draw_gaussian_at (float *plane, int h, int w, double x, double y,
    int radius);

#endif
