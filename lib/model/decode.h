/* Detections from head maps (detection.h), CenterNet's decoding:
 *
 * 1. centre peaks: cells that are the maximum of their 3x3 neighbourhood
 *    in their class's heatmap (the peak suppression that replaces NMS),
 *    at least min_score;
 * 2. the best max_detections of them, by heatmap value;
 * 3. each one's box: its centre (cell + offset), its size around it;
 * 4. each keypoint regressed from the centre cell (cell centre + keypoint
 *    offset), then snapped to a peak of that keypoint's heatmap: among the
 *    3x3 peaks of at least keypoint_threshold whose cell touches the box,
 *    the one whose cell is nearest the regressed position (CenterNet's
 *    rule, nearest rather than highest, so a keypoint does not jump to a
 *    neighbour's joint inside an overlapping box). The keypoint is put
 *    where the heatmap says inside the peak's cell (heatmap_refine.h).
 *    With no qualifying peak the regressed position stays. The keypoint's
 *    score is the heatmap value of the cell it ends in.
 */
#ifndef DD_MODEL_DECODE_H
#define DD_MODEL_DECODE_H

#include "model/detection.h"

typedef struct dd_decode_params {
  int max_detections;           /* top-K */
  float min_score;              /* centre peaks below are not detections */
  float keypoint_threshold;     /* keypoint peaks below do not snap */
} dd_decode_params;

/* CenterNet's: 100 detections, no score floor, keypoint peaks from 0.1. */
void dd_decode_params_defaults (dd_decode_params *p);

/* Writes up to p->max_detections detections to `out`, best first (ties in
 * map order), and returns how many; -1 when out of memory. Keypoints are
 * decoded when the maps have them (at most DD_MAX_KEYPOINTS). */
int dd_decode (const dd_head_maps *maps, const dd_decode_params *p, dd_detection *out);

#endif
