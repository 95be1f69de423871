/* Head maps through a test-time transform, both ways: the maps a network
 * produced on a transformed image, resampled onto the frame's map grid (the
 * inverse, which the ensembles use), and frame maps resampled onto a
 * transformed image's grid (the forward map, which tests and synthetic
 * inputs use).
 *
 * A map cell (i, j) of maps with stride s covers pixels [j*s, (j+1)*s) x
 * [i*s, (i+1)*s) of the image the maps belong to; its value is taken to sit
 * at the cell's centre. Each destination cell takes the value at its
 * centre's position in the source, bilinear between source cell centres and
 * clamped to the edge cells (align_corners=False, as image.h resamples).
 * A flip mirrors the planes and, for keypoint heads, takes keypoint k from
 * keypoint fm->partner[k].
 *
 * Values change with the geometry where they are lengths:
 *   center, keypoint_heatmap  probabilities, unchanged;
 *   size (w, h)               scaled to the destination's pixels;
 *   offset (x, y)             the centre's sub-cell offset: the centre sits at
 *                             (cell + offset) * stride, so the offset is
 *                             re-expressed in destination cells (mirrored by
 *                             a flip: x becomes 1 - x at the same scale);
 *   keypoint_offset (dx, dy)  per keypoint, interleaved dx0, dy0, dx1, ...:
 *                             scaled, and dx changes sign under a flip.
 */
#ifndef DD_DISTILL_TTA_MAPS_H
#define DD_DISTILL_TTA_MAPS_H

#include <glib.h>

#include "distill/flip_map.h"
#include "distill/head_maps.h"
#include "distill/tta_transform.h"

/* `src`: the maps of the image transformed by `t`; `dst`: maps on the
 * frame's grid (h, w, stride in frame pixels, usually the identity pass's),
 * with the planes of `heads` allocated. Both must have the same classes and
 * keypoints and the planes of `heads`; `fm` must cover the keypoints when
 * `t` flips. Fails, saying which, otherwise. */
gboolean dd_tta_maps_inverse (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_head_maps *src, unsigned heads, dd_head_maps *dst, GError **error);

/* `src`: maps on the frame's grid; `dst`: maps on the grid of the image
 * transformed by `t` (stride in its pixels). Same checks. */
gboolean dd_tta_maps_forward (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_head_maps *src, unsigned heads, dd_head_maps *dst, GError **error);

#endif
