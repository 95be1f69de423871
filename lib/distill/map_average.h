/* The mean of every pass's head maps on the frame's map grid: the paper's
 * heatmap averaging (Detectron's im_detect_keypoints_aug with HM_AVG), and
 * the input of decoding averaged maps. Sums are kept in double, so K
 * identical passes average to exactly their maps. */
#ifndef DD_DISTILL_MAP_AVERAGE_H
#define DD_DISTILL_MAP_AVERAGE_H

#include <glib.h>

#include "distill/flip_map.h"
#include "distill/head_maps.h"
#include "distill/tta_transform.h"

typedef struct dd_map_average {
  unsigned heads;               /* the heads averaged */
  dd_head_maps mean;            /* the frame grid; the mean after _finish */
  dd_head_maps scratch;         /* one pass mapped back */
  double *sum;                  /* the planes of `heads`, in dd_map_heads order */
  size_t n_values;
  int n_passes;
} dd_map_average;

/* For the grid of `frame` (h, w, stride, classes, keypoints; its data is
 * not read) and the heads in `heads`. */
void dd_map_average_init (dd_map_average *a, const dd_head_maps *frame,
    unsigned heads);
void dd_map_average_clear (dd_map_average *a);
/* Starts a new frame on the same grid. */
void dd_map_average_reset (dd_map_average *a);

/* Maps one pass's maps back to the frame grid (tta_maps.h) and adds them;
 * fails as dd_tta_maps_inverse does. */
gboolean dd_map_average_add (dd_map_average *a, const dd_tta_transform *t,
    const dd_flip_map *fm, const dd_head_maps *maps, GError **error);

/* The mean of the passes added since the last reset (zero maps when none),
 * valid until the next add, reset or clear. */
const dd_head_maps *dd_map_average_finish (dd_map_average *a);

#endif
