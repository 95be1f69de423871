/* RGB8 images: JPEG and PNG decode and encode, float tensors, resampling.
 *
 * An image is packed RGB, 8 bits per channel, rows top to bottom, no padding
 * between rows (stride = 3 * width).
 *
 * Coordinates are continuous, as COCO's boxes and keypoints and cairo's
 * drawing: pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is
 * (i + 0.5, j + 0.5). Resampling follows from it: an output pixel takes the
 * value at its centre's position in the source, interpolated bilinearly
 * between the four nearest source pixel centres. For a plain resize this is
 * PyTorch's F.interpolate(mode="bilinear", align_corners=False, antialias=False):
 * source index = (dst + 0.5) * in / out - 0.5, clamped to the first and last
 * pixel. The geometric transforms (augment.h) and their inverses map points
 * with the same convention, so a keypoint drawn at (x, y) is found at the
 * transformed (x', y') in the resampled image.
 */
#ifndef DD_DATA_IMAGE_H
#define DD_DATA_IMAGE_H

#include <glib.h>
#include <stdint.h>

typedef struct dd_image {
  int width, height;
  uint8_t *data;                /* 3 * width * height bytes, RGB */
} dd_image;

#define DD_IMAGE_ERROR (dd_image_error_quark ())
GQuark dd_image_error_quark (void);

typedef enum {
  DD_IMAGE_ERROR_IO,            /* a file that cannot be read or written */
  DD_IMAGE_ERROR_CORRUPT,       /* truncated or damaged JPEG / PNG data */
  DD_IMAGE_ERROR_UNSUPPORTED,   /* not JPEG or PNG, or a colour space we refuse (CMYK) */
  DD_IMAGE_ERROR_ARGUMENT,      /* a size or quality out of range */
} dd_image_error;

/* The largest image accepted, in pixels: a damaged header can claim any size,
 * and 64 Mpixel is far beyond any frame ddistill works on. */
#define DD_IMAGE_MAX_PIXELS (64 * 1024 * 1024)

/* Whether an image of that size may be made: both sides positive, the area
 * at most DD_IMAGE_MAX_PIXELS; FALSE with an error saying so otherwise. */
gboolean dd_image_check_size (int width, int height, GError **error);
/* A black image; NULL with an error when the size is not positive or too large. */
dd_image *dd_image_new (int width, int height, GError **error);
dd_image *dd_image_copy (const dd_image *img);
void dd_image_free (dd_image *img);

/* Decodes JPEG or PNG, told apart by their signatures, into RGB8: grey and
 * palette images are expanded, alpha is dropped (not composited), 16-bit PNG
 * channels are rounded to 8 bits. CMYK/YCCK JPEG is refused. Data that
 * libjpeg or libpng finds truncated or corrupt, even data libjpeg would only
 * warn about, is an error: a half-grey training image is worse than none.
 * `name` (a file name, or a description of the buffer) appears in every
 * error message. */
dd_image *dd_image_decode (const void *data, size_t size, const char *name,
    GError **error);
dd_image *dd_image_load (const char *path, GError **error);

/* Encodes to memory. quality: 1..100 (libjpeg's scale; 90 is a good default). */
GBytes *dd_image_encode_jpeg (const dd_image *img, int quality, GError **error);
GBytes *dd_image_encode_png (const dd_image *img, GError **error);
/* Writes atomically (temporary file, then rename); the format follows the
 * extension: .jpg / .jpeg (with `quality`) or .png, in any case. */
gboolean dd_image_save (const dd_image *img, const char *path, int quality,
    GError **error);

/* RGB8 to planar float (C, H, W) = (3, height, width): each value is scaled
 * to [0, 1], then normalised as (v - mean[c]) / std[c]. mean and std may be
 * NULL for 0 and 1. `chw` holds 3 * width * height floats. */
void dd_image_to_chw (const dd_image *img, const float *mean, const float *std,
    float *chw);
/* The inverse: un-normalises, scales to [0, 255], rounds to nearest and
 * clamps. to_chw then from_chw with the same mean and std is exact. */
dd_image *dd_image_from_chw (const float *chw, int width, int height,
    const float *mean, const float *std, GError **error);

/* The colour at continuous position (x, y), bilinear between pixel centres
 * (see the top of this file) and rounded to nearest. A position outside
 * [0, width) x [0, height) gives `fill`. */
void dd_image_sample (const dd_image *img, double x, double y,
    const uint8_t fill[3], uint8_t rgb[3]);

/* Samples on a grid: output pixel (u, v) is dd_image_sample at (xs[u], ys[v]).
 * Any map that scales and shifts each axis (a resize, a crop, a flip)
 * resamples this way, axis by axis. */
dd_image *dd_image_sample_grid (const dd_image *img, const double *xs,
    int out_width, const double *ys, int out_height, const uint8_t fill[3],
    GError **error);

/* Bilinear resize to out_width x out_height (align_corners=False). */
dd_image *dd_image_resize (const dd_image *img, int out_width, int out_height,
    GError **error);

#endif
