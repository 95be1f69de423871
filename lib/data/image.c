#include "data/image.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

G_DEFINE_QUARK (dd-image-error-quark, dd_image_error)

static const char damaged_advice[] =
    "the file is truncated or damaged: re-export it or remove it from the dataset";

gboolean
dd_image_check_size (int width, int height, GError **error)
{
  if (width > 0 && height > 0 && (int64_t) width * height <= DD_IMAGE_MAX_PIXELS)
    return TRUE;
  g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
      "image size %dx%d is not allowed: both sides must be positive and "
      "the area at most %d pixels", width, height, DD_IMAGE_MAX_PIXELS);
  return FALSE;
}

dd_image *
dd_image_new (int width, int height, GError **error)
{
  if (!dd_image_check_size (width, height, error))
    return NULL;
  dd_image *img = g_new (dd_image, 1);
  img->width = width;
  img->height = height;
  img->data = g_try_malloc0 ((size_t) width * height * 3);
  if (img->data == NULL) {
    g_free (img);
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
        "out of memory for a %dx%d image", width, height);
    return NULL;
  }
  return img;
}

dd_image *
dd_image_copy (const dd_image *img)
{
  dd_image *copy = g_new (dd_image, 1);
  copy->width = img->width;
  copy->height = img->height;
  copy->data = g_memdup2 (img->data, (size_t) img->width * img->height * 3);
  return copy;
}

void
dd_image_free (dd_image *img)
{
  if (img == NULL)
    return;
  g_free (img->data);
  g_free (img);
}

/* ---- JPEG ---------------------------------------------------------------
 * libjpeg reports a fatal error by calling error_exit, whose default ends the
 * process; ours records the message and longjmps back to the caller. Each
 * setjmp lives in a helper that writes its results through pointers, so no
 * local of the function holding the setjmp changes between setjmp and
 * longjmp. */

typedef struct jpeg_fault {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} jpeg_fault;

static void
jpeg_fault_exit (j_common_ptr cinfo)
{
  jpeg_fault *fault = (jpeg_fault *) cinfo->err;
  cinfo->err->format_message (cinfo, fault->message);
  longjmp (fault->jump, 1);
}

/* libjpeg only warns about truncated or damaged entropy-coded data and fills
 * the rest of the image with grey; those warnings are faults here. Harmless
 * ones (extra bytes between markers, unknown JFIF revision) are ignored. */
static void
jpeg_fault_emit (j_common_ptr cinfo, int msg_level)
{
  if (msg_level >= 0)
    return;
  switch (cinfo->err->msg_code) {
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
      jpeg_fault_exit (cinfo);
      break;
    default:
      break;
  }
}

static void
jpeg_fault_init (jpeg_fault *fault)
{
  jpeg_std_error (&fault->mgr);
  fault->mgr.error_exit = jpeg_fault_exit;
  fault->mgr.emit_message = jpeg_fault_emit;
  fault->message[0] = '\0';
}

typedef enum {
  DECODED,
  FAULT,
  REFUSED_CMYK,
  TOO_LARGE,
} decode_status;

static decode_status
jpeg_decode_rows (struct jpeg_decompress_struct *cinfo, jpeg_fault *fault,
    const void *data, size_t size, dd_image **out)
{
  if (setjmp (fault->jump))
    return FAULT;
  jpeg_create_decompress (cinfo);
  jpeg_mem_src (cinfo, data, size);
  jpeg_read_header (cinfo, TRUE);
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK)
    return REFUSED_CMYK;
  if ((uint64_t) cinfo->image_width * cinfo->image_height > DD_IMAGE_MAX_PIXELS)
    return TOO_LARGE;
  cinfo->out_color_space = JCS_RGB;
  jpeg_start_decompress (cinfo);
  *out = dd_image_new ((int) cinfo->output_width, (int) cinfo->output_height, NULL);
  if (*out == NULL)
    return TOO_LARGE;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = (*out)->data + (size_t) cinfo->output_scanline * (*out)->width * 3;
    jpeg_read_scanlines (cinfo, &row, 1);
  }
  jpeg_finish_decompress (cinfo);
  return DECODED;
}

static dd_image *
decode_jpeg (const void *data, size_t size, const char *name, GError **error)
{
  struct jpeg_decompress_struct cinfo = { 0 };
  jpeg_fault fault;
  jpeg_fault_init (&fault);
  cinfo.err = &fault.mgr;
  dd_image *img = NULL;
  decode_status status = jpeg_decode_rows (&cinfo, &fault, data, size, &img);
  switch (status) {
    case DECODED:
      break;
    case FAULT:
      g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_CORRUPT,
          "%s: cannot decode JPEG: %s; %s", name, fault.message, damaged_advice);
      break;
    case REFUSED_CMYK:
      g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_UNSUPPORTED,
          "%s: the JPEG is CMYK (or YCCK), which ddistill does not convert; "
          "convert it to RGB first (e.g. `convert in.jpg -colorspace sRGB out.jpg`)",
          name);
      break;
    case TOO_LARGE:
      g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_UNSUPPORTED,
          "%s: the JPEG claims %ux%u pixels, more than the %d allowed; "
          "downscale it first", name, cinfo.image_width, cinfo.image_height,
          DD_IMAGE_MAX_PIXELS);
      break;
  }
  jpeg_destroy_decompress (&cinfo);
  if (status != DECODED) {
    dd_image_free (img);
    return NULL;
  }
  return img;
}

static gboolean
jpeg_encode_rows (struct jpeg_compress_struct *cinfo, jpeg_fault *fault,
    const dd_image *img, int quality, unsigned char **buf, unsigned long *size)
{
  if (setjmp (fault->jump))
    return FALSE;
  jpeg_create_compress (cinfo);
  jpeg_mem_dest (cinfo, buf, size);
  cinfo->image_width = (JDIMENSION) img->width;
  cinfo->image_height = (JDIMENSION) img->height;
  cinfo->input_components = 3;
  cinfo->in_color_space = JCS_RGB;
  jpeg_set_defaults (cinfo);
  jpeg_set_quality (cinfo, quality, TRUE);
  jpeg_start_compress (cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = img->data + (size_t) cinfo->next_scanline * img->width * 3;
    jpeg_write_scanlines (cinfo, &row, 1);
  }
  jpeg_finish_compress (cinfo);
  return TRUE;
}

GBytes *
dd_image_encode_jpeg (const dd_image *img, int quality, GError **error)
{
  if (quality < 1 || quality > 100) {
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
        "JPEG quality %d is out of range: use 1 to 100", quality);
    return NULL;
  }
  struct jpeg_compress_struct cinfo = { 0 };
  jpeg_fault fault;
  jpeg_fault_init (&fault);
  cinfo.err = &fault.mgr;
  unsigned char *buf = NULL;
  unsigned long size = 0;
  gboolean ok = jpeg_encode_rows (&cinfo, &fault, img, quality, &buf, &size);
  jpeg_destroy_compress (&cinfo);
  if (!ok) {
    free (buf);
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
        "cannot encode a %dx%d image as JPEG: %s", img->width, img->height,
        fault.message);
    return NULL;
  }
  return g_bytes_new_with_free_func (buf, size, free, buf);
}

/* ---- PNG ----------------------------------------------------------------
 * Same scheme as JPEG: libpng's error callback records the message and
 * longjmps through png_jmpbuf. */

typedef struct png_stream {
  const uint8_t *data;          /* reading: the encoded bytes */
  size_t size, pos;
  GByteArray *out;              /* writing: grows as libpng writes */
  char message[256];
} png_stream;

static void
png_fault (png_structp png, png_const_charp message)
{
  png_stream *stream = png_get_error_ptr (png);
  g_strlcpy (stream->message, message, sizeof stream->message);
  png_longjmp (png, 1);
}

/* Warnings (an unknown ancillary chunk, an odd sRGB profile) do not change
 * the pixels: stay quiet rather than print to stderr. */
static void
png_quiet (png_structp png, png_const_charp message)
{
  (void) png;
  (void) message;
}

static void
png_read_memory (png_structp png, png_bytep dest, size_t n)
{
  png_stream *stream = png_get_io_ptr (png);
  if (n > stream->size - stream->pos)
    png_error (png, "the data ends early");
  memcpy (dest, stream->data + stream->pos, n);
  stream->pos += n;
}

/* Asks libpng for 8-bit RGB whatever the file holds. */
static void
png_request_rgb8 (png_structp png, png_infop info)
{
  int color_type = png_get_color_type (png, info);
  int bit_depth = png_get_bit_depth (png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8 (png);
  if (bit_depth == 16)
    png_set_scale_16 (png);
  if (!(color_type & PNG_COLOR_MASK_COLOR))
    png_set_gray_to_rgb (png);
  if (color_type & PNG_COLOR_MASK_ALPHA)
    png_set_strip_alpha (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
}

static decode_status
png_decode_rows (png_structp png, png_infop info, dd_image **out, png_bytep **rows)
{
  if (setjmp (png_jmpbuf (png)))
    return FAULT;
  png_read_info (png, info);
  png_uint_32 width = png_get_image_width (png, info);
  png_uint_32 height = png_get_image_height (png, info);
  if ((uint64_t) width * height > DD_IMAGE_MAX_PIXELS)
    return TOO_LARGE;
  png_request_rgb8 (png, info);
  if (png_get_rowbytes (png, info) != (size_t) width * 3)
    png_error (png, "libpng could not convert the pixels to 8-bit RGB");
  *out = dd_image_new ((int) width, (int) height, NULL);
  if (*out == NULL)
    return TOO_LARGE;
  *rows = g_new (png_bytep, height);
  for (png_uint_32 y = 0; y < height; y++)
    (*rows)[y] = (*out)->data + (size_t) y * width * 3;
  png_read_image (png, *rows);
  png_read_end (png, NULL);
  return DECODED;
}

static dd_image *
decode_png (const void *data, size_t size, const char *name, GError **error)
{
  png_stream stream = { .data = data, .size = size };
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &stream,
      png_fault, png_quiet);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL) {
    png_destroy_read_struct (&png, NULL, NULL);
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_IO,
        "%s: libpng could not start (out of memory)", name);
    return NULL;
  }
  png_set_read_fn (png, &stream, png_read_memory);
  dd_image *img = NULL;
  png_bytep *rows = NULL;
  decode_status status = png_decode_rows (png, info, &img, &rows);
  if (status == FAULT)
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_CORRUPT,
        "%s: cannot decode PNG: %s; %s", name, stream.message, damaged_advice);
  else if (status == TOO_LARGE)
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_UNSUPPORTED,
        "%s: the PNG claims %ux%u pixels, more than the %d allowed; "
        "downscale it first", name, png_get_image_width (png, info),
        png_get_image_height (png, info), DD_IMAGE_MAX_PIXELS);
  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);
  if (status != DECODED) {
    dd_image_free (img);
    return NULL;
  }
  return img;
}

static void
png_write_memory (png_structp png, png_bytep src, size_t n)
{
  png_stream *stream = png_get_io_ptr (png);
  g_byte_array_append (stream->out, src, (guint) n);
}

static void
png_flush_nothing (png_structp png)
{
  (void) png;
}

static gboolean
png_encode_rows (png_structp png, png_infop info, const dd_image *img,
    png_bytep **rows)
{
  if (setjmp (png_jmpbuf (png)))
    return FALSE;
  png_set_IHDR (png, info, (png_uint_32) img->width, (png_uint_32) img->height,
      8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
      PNG_FILTER_TYPE_DEFAULT);
  *rows = g_new (png_bytep, img->height);
  for (int y = 0; y < img->height; y++)
    (*rows)[y] = img->data + (size_t) y * img->width * 3;
  png_set_rows (png, info, *rows);
  png_write_png (png, info, PNG_TRANSFORM_IDENTITY, NULL);
  return TRUE;
}

GBytes *
dd_image_encode_png (const dd_image *img, GError **error)
{
  png_stream stream = { .out = g_byte_array_new () };
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &stream,
      png_fault, png_quiet);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL) {
    png_destroy_write_struct (&png, NULL);
    g_byte_array_unref (stream.out);
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_IO,
        "libpng could not start (out of memory)");
    return NULL;
  }
  png_set_write_fn (png, &stream, png_write_memory, png_flush_nothing);
  png_bytep *rows = NULL;
  gboolean ok = png_encode_rows (png, info, img, &rows);
  png_destroy_write_struct (&png, &info);
  g_free (rows);
  if (!ok) {
    g_byte_array_unref (stream.out);
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
        "cannot encode a %dx%d image as PNG: %s", img->width, img->height,
        stream.message);
    return NULL;
  }
  return g_byte_array_free_to_bytes (stream.out);
}

/* ---- Files --------------------------------------------------------------- */

dd_image *
dd_image_decode (const void *data, size_t size, const char *name, GError **error)
{
  static const uint8_t jpeg_magic[3] = { 0xff, 0xd8, 0xff };
  static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  if (size >= sizeof jpeg_magic && memcmp (data, jpeg_magic, sizeof jpeg_magic) == 0)
    return decode_jpeg (data, size, name, error);
  if (size >= sizeof png_magic && memcmp (data, png_magic, sizeof png_magic) == 0)
    return decode_png (data, size, name, error);
  if (size == 0)
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_CORRUPT,
        "%s: the image is empty (0 bytes); %s", name, damaged_advice);
  else
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_UNSUPPORTED,
        "%s: neither JPEG nor PNG (no signature found in its first bytes); "
        "convert it to one of them", name);
  return NULL;
}

dd_image *
dd_image_load (const char *path, GError **error)
{
  char *data = NULL;
  gsize size = 0;
  GError *io_error = NULL;
  if (!g_file_get_contents (path, &data, &size, &io_error)) {
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_IO,
        "cannot read image %s: %s; check the path and the dataset's image folder",
        path, io_error->message);
    g_error_free (io_error);
    return NULL;
  }
  dd_image *img = dd_image_decode (data, size, path, error);
  g_free (data);
  return img;
}

gboolean
dd_image_save (const dd_image *img, const char *path, int quality, GError **error)
{
  char *lower = g_ascii_strdown (path, -1);
  GBytes *bytes = NULL;
  if (g_str_has_suffix (lower, ".png"))
    bytes = dd_image_encode_png (img, error);
  else if (g_str_has_suffix (lower, ".jpg") || g_str_has_suffix (lower, ".jpeg"))
    bytes = dd_image_encode_jpeg (img, quality, error);
  else
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT,
        "cannot save image %s: the file name must end in .jpg, .jpeg or .png",
        path);
  g_free (lower);
  if (bytes == NULL)
    return FALSE;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  GError *io_error = NULL;
  gboolean ok = g_file_set_contents (path, data, (gssize) size, &io_error);
  g_bytes_unref (bytes);
  if (!ok) {
    g_set_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_IO,
        "cannot write image %s: %s", path, io_error->message);
    g_error_free (io_error);
  }
  return ok;
}

/* ---- Tensors ------------------------------------------------------------- */

void
dd_image_to_chw (const dd_image *img, const float *mean, const float *std,
    float *chw)
{
  size_t plane = (size_t) img->width * img->height;
  for (int c = 0; c < 3; c++) {
    float m = mean ? mean[c] : 0.0f;
    float s = std ? std[c] : 1.0f;
    float *out = chw + c * plane;
    for (size_t i = 0; i < plane; i++)
      out[i] = ((float) img->data[3 * i + c] / 255.0f - m) / s;
  }
}

dd_image *
dd_image_from_chw (const float *chw, int width, int height, const float *mean,
    const float *std, GError **error)
{
  dd_image *img = dd_image_new (width, height, error);
  if (img == NULL)
    return NULL;
  size_t plane = (size_t) width * height;
  for (int c = 0; c < 3; c++) {
    float m = mean ? mean[c] : 0.0f;
    float s = std ? std[c] : 1.0f;
    const float *in = chw + c * plane;
    for (size_t i = 0; i < plane; i++) {
      float v = (in[i] * s + m) * 255.0f;
      img->data[3 * i + c] = (uint8_t) (v <= 0.0f ? 0 : v >= 255.0f ? 255 :
          lrintf (v));
    }
  }
  return img;
}

/* ---- Resampling ---------------------------------------------------------- */

/* Where continuous position `pos` falls between the pixel centres of an axis
 * of `size` pixels: indices i0, i1 and the weight a of i1. Clamped at the
 * border half-pixels, as align_corners=False does. FALSE outside [0, size). */
typedef struct axis_tap {
  int i0, i1;
  double a;
  gboolean inside;
} axis_tap;

static axis_tap
axis_tap_at (double pos, int size)
{
  axis_tap tap = { 0, 0, 0.0, pos >= 0.0 && pos < size };
  if (!tap.inside)
    return tap;
  double f = CLAMP (pos - 0.5, 0.0, (double) (size - 1));
  tap.i0 = (int) f;
  tap.i1 = MIN (tap.i0 + 1, size - 1);
  tap.a = f - tap.i0;
  return tap;
}

static void
blend (const dd_image *img, const axis_tap *tx, const axis_tap *ty,
    const uint8_t fill[3], uint8_t rgb[3])
{
  if (!tx->inside || !ty->inside) {
    memcpy (rgb, fill, 3);
    return;
  }
  const uint8_t *row0 = img->data + (size_t) ty->i0 * img->width * 3;
  const uint8_t *row1 = img->data + (size_t) ty->i1 * img->width * 3;
  const uint8_t *p00 = row0 + tx->i0 * 3, *p01 = row0 + tx->i1 * 3;
  const uint8_t *p10 = row1 + tx->i0 * 3, *p11 = row1 + tx->i1 * 3;
  for (int c = 0; c < 3; c++) {
    double top = p00[c] + tx->a * (p01[c] - p00[c]);
    double bottom = p10[c] + tx->a * (p11[c] - p10[c]);
    rgb[c] = (uint8_t) lrint (top + ty->a * (bottom - top));
  }
}

void
dd_image_sample (const dd_image *img, double x, double y, const uint8_t fill[3],
    uint8_t rgb[3])
{
  axis_tap tx = axis_tap_at (x, img->width), ty = axis_tap_at (y, img->height);
  blend (img, &tx, &ty, fill, rgb);
}

dd_image *
dd_image_sample_grid (const dd_image *img, const double *xs, int out_width,
    const double *ys, int out_height, const uint8_t fill[3], GError **error)
{
  dd_image *out = dd_image_new (out_width, out_height, error);
  if (out == NULL)
    return NULL;
  axis_tap *tx = g_new (axis_tap, out_width);
  for (int u = 0; u < out_width; u++)
    tx[u] = axis_tap_at (xs[u], img->width);
  for (int v = 0; v < out_height; v++) {
    axis_tap ty = axis_tap_at (ys[v], img->height);
    uint8_t *row = out->data + (size_t) v * out_width * 3;
    for (int u = 0; u < out_width; u++)
      blend (img, &tx[u], &ty, fill, row + 3 * u);
  }
  g_free (tx);
  return out;
}

dd_image *
dd_image_resize (const dd_image *img, int out_width, int out_height,
    GError **error)
{
  /* Checked before the coordinate tables, which an absurd size would make
   * too large to allocate. */
  if (!dd_image_check_size (out_width, out_height, error))
    return NULL;
  static const uint8_t unused_fill[3] = { 0, 0, 0 };
  /* Divided by the output-per-input scale, as the inverse of a geometric
   * transform (augment.h) computes it: both give the same bytes. */
  double sx = (double) out_width / img->width;
  double sy = (double) out_height / img->height;
  double *xs = g_new (double, out_width);
  double *ys = g_new (double, out_height);
  for (int u = 0; u < out_width; u++)
    xs[u] = (u + 0.5) / sx;
  for (int v = 0; v < out_height; v++)
    ys[v] = (v + 0.5) / sy;
  dd_image *out = dd_image_sample_grid (img, xs, out_width, ys, out_height,
      unused_fill, error);
  g_free (xs);
  g_free (ys);
  return out;
}
