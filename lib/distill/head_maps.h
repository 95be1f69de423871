/* Buffers for dd_head_maps (model/detection.h) that distillation owns: the
 * frame-grid maps that transformed passes are mapped back onto, and their
 * average. The model's own maps are the model's; these helpers only ever
 * allocate and free maps made here. */
#ifndef DD_DISTILL_HEAD_MAPS_H
#define DD_DISTILL_HEAD_MAPS_H

#include <glib.h>

#include "model/detection.h"

/* The heads, as a bit set: which planes a function reads or writes. Bit i
 * is head i in the order of detection.h's dd_head_maps (and of detector.h's
 * dd_head enumeration). */
typedef enum {
  DD_MAPS_CENTER = 1 << 0,
  DD_MAPS_SIZE = 1 << 1,
  DD_MAPS_OFFSET = 1 << 2,
  DD_MAPS_KEYPOINT_HEATMAP = 1 << 3,
  DD_MAPS_KEYPOINT_OFFSET = 1 << 4,
  DD_MAPS_ALL = (1 << 5) - 1,
} dd_map_heads;

/* How many planes of h*w floats each head has. */
int dd_maps_planes (const dd_head_maps *m, dd_map_heads head);
/* The head's planes, or NULL when the maps do not have it. */
float *dd_maps_data (const dd_head_maps *m, dd_map_heads head);
/* The heads whose planes are there (keypoint heads need n_keypoints > 0). */
unsigned dd_maps_present (const dd_head_maps *m);

/* Allocates the planes of `heads`, zeroed; the other pointers are NULL. */
void dd_maps_init (dd_head_maps *m, int h, int w, int stride,
    int n_classes, int n_keypoints, unsigned heads);
/* Frees what dd_maps_init allocated; the maps become empty. */
void dd_maps_clear (dd_head_maps *m);

#endif
