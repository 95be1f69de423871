/* Which keypoint channel a horizontal flip turns each keypoint into.
 *
 * A mirrored left wrist looks like a right wrist, so whatever a network says
 * about "left_wrist" on a flipped image is, in the original frame, about the
 * right wrist: mapping predictions back through a flip takes channel k from
 * channel partner[k]. Keypoints in no pair (the nose) are their own partner.
 */
#ifndef DD_DISTILL_FLIP_MAP_H
#define DD_DISTILL_FLIP_MAP_H

#include <glib.h>

#include "model/detection.h"

typedef struct dd_flip_map {
  int n_keypoints;
  int partner[DD_MAX_KEYPOINTS];
} dd_flip_map;

/* From 0-based (left, right) pairs, as the network JSON's "flip_pairs".
 * Fails, naming the pair, when an index is out of [0, n_keypoints), a pair
 * names one keypoint twice, or a keypoint is in two pairs; n_keypoints may
 * be 0 (a box-only detector) up to DD_MAX_KEYPOINTS. */
gboolean dd_flip_map_init (dd_flip_map *fm, const int (*pairs)[2], int n_pairs,
    int n_keypoints, GError **error);

#endif
