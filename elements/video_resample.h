/* Resampling packed 8-bit video frames through an axis-aligned transform
 * (lib/data's dd_transform: a resize, a letterbox, a mirror), with lib/data's
 * arithmetic: what ddtransform does to pixels.
 *
 * Output pixel (u, v) takes the value at the source position the
 * transform's inverse gives for its centre (u + 0.5, v + 0.5), bilinear
 * between the four nearest source pixel centres, clamped at the borders
 * (PyTorch's align_corners=False, no antialiasing), each byte of the pixel
 * on its own and rounded to nearest; a position outside the source gives
 * the fill pixel. For RGB these are exactly the bytes of lib/data's
 * dd_transform_image (and of dd_image_resize for a resize).
 */
#ifndef DD_ELEMENTS_VIDEO_RESAMPLE_H
#define DD_ELEMENTS_VIDEO_RESAMPLE_H

#include <glib.h>
#include <stdint.h>

#include "data/augment.h"

typedef struct dd_resampler dd_resampler;

/* From in_width x in_height to t->width x t->height. `pixel_size`: bytes
 * per pixel of a packed format (1 to 4); `fill`: one pixel in that format. */
dd_resampler *dd_resampler_new (int in_width, int in_height,
    const dd_transform *t, int pixel_size, const uint8_t *fill);
void dd_resampler_free (dd_resampler *r);

void dd_resampler_run (const dd_resampler *r, const uint8_t *src,
    int src_stride, uint8_t *dst, int dst_stride);

#endif
