/* Resampling packed 8-bit video frames with lib/data's arithmetic, then an
 * optional mirror: what ddtransform does to pixels.
 *
 * Output pixel (u, v) takes the value at the source position
 * ((u + 0.5) * in_w / out_w, (v + 0.5) * in_h / out_h), bilinear between
 * the four nearest source pixel centres, clamped at the borders (PyTorch's
 * align_corners=False, no antialiasing), each byte of the pixel on its own
 * and rounded to nearest: for RGB exactly the bytes of lib/data's
 * dd_image_resize. With `flip`, column u of the output is column
 * out_w - 1 - u of that resize.
 */
#ifndef DD_ELEMENTS_VIDEO_RESAMPLE_H
#define DD_ELEMENTS_VIDEO_RESAMPLE_H

#include <glib.h>
#include <stdint.h>

typedef struct dd_resampler dd_resampler;

/* `pixel_size`: bytes per pixel of a packed format (1, 3 or 4). */
dd_resampler *dd_resampler_new (int in_width, int in_height, int out_width,
    int out_height, gboolean flip, int pixel_size);
void dd_resampler_free (dd_resampler *r);

void dd_resampler_run (const dd_resampler *r, const uint8_t *src,
    int src_stride, uint8_t *dst, int dst_stride);

#endif
