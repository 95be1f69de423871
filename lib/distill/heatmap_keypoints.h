/* Keypoints read off (averaged) keypoint maps inside a box, by one of two
 * rules:
 *
 * - the decoder's (lib/model/decode.h, step 4), so that averaged maps are
 *   read exactly as the model reads its own: each keypoint regressed from
 *   the cell that holds the box's centre (that cell's centre plus its
 *   keypoint offset), then snapped to the nearest 3x3 peak of its heatmap of
 *   at least `threshold` whose cell centre lies in the box (edges included);
 *   the keypoint is put where the heatmap says inside the peak's cell
 *   (model/heatmap_refine.h); with no such peak the regressed point stays. The score is the heatmap value of the cell it ends in (0
 *   outside the map). For a box the decoder made, whose centre offset lies
 *   in [0, 1), this is the decoder's result to the bit; it reads the cell
 *   holding the box's centre, so for a centre that the offset pushed out of
 *   its peak cell it reads that neighbour cell instead;
 *
 * - the paper's (Mask R-CNN's heatmaps_to_keypoints): each keypoint at the
 *   heatmap's argmax among the cells whose centres lie in the box, placed
 *   inside that cell as model/heatmap_refine.h reads it, scored by its
 *   value. A box too small to hold a cell
 *   centre reads the cell that holds its own centre. Ties go to the first
 *   cell in row-major order, as numpy's argmax.
 */
#ifndef DD_DISTILL_HEATMAP_KEYPOINTS_H
#define DD_DISTILL_HEATMAP_KEYPOINTS_H

#include <glib.h>

#include "model/detection.h"

/* The 3x3 peaks of each keypoint heatmap, found once per frame. */
typedef struct dd_keypoint_peaks {
  GArray *peaks;                /* cell indices y * w + x, channel by channel */
  int first[DD_MAX_KEYPOINTS + 1];      /* channel k: peaks first[k] .. first[k+1]-1 */
} dd_keypoint_peaks;

void dd_keypoint_peaks_init (dd_keypoint_peaks *p);
void dd_keypoint_peaks_clear (dd_keypoint_peaks *p);
/* The cells that are the maximum of their 3x3 neighbourhood (ties count),
 * at least `threshold` and above 0, as decode.h finds them. */
void dd_keypoint_peaks_find (dd_keypoint_peaks *p, const dd_head_maps *maps,
    float threshold);

/* The decoder's rule; `maps` needs keypoint_heatmap and keypoint_offset,
 * `peaks` found on those maps. Writes maps->n_keypoints keypoints. */
void dd_keypoints_snap_in_box (const dd_head_maps *maps,
    const dd_keypoint_peaks *peaks, const float box[4], dd_keypoint *out);

/* The paper's rule; `maps` needs keypoint_heatmap. */
void dd_keypoints_argmax_in_box (const dd_head_maps *maps, const float box[4],
    dd_keypoint *out);

#endif
