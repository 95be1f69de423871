/* Image decode/encode, float tensors and resampling (lib/data/image.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jpeglib.h>
#include <png.h>

#include "coco_real.h"
#include "data/image.h"
#include "nn/rng.h"

static dd_image *
random_image (int width, int height, uint64_t seed)
{
  dd_image *img = dd_image_new (width, height, NULL);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  for (size_t i = 0; i < (size_t) width * height * 3; i++)
    img->data[i] = (uint8_t) dd_rng_below (&rng, 256);
  return img;
}

static void
assert_images_equal (const dd_image *a, const dd_image *b)
{
  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  g_assert_cmpmem (a->data, (gsize) a->width * a->height * 3,
      b->data, (gsize) b->width * b->height * 3);
}

static double
mean_abs_diff (const dd_image *a, const dd_image *b)
{
  double sum = 0.0;
  size_t n = (size_t) a->width * a->height * 3;
  for (size_t i = 0; i < n; i++)
    sum += fabs ((double) a->data[i] - b->data[i]);
  return sum / (double) n;
}

static void
assert_error_names (GError *error, int code, const char *name, const char *fault)
{
  g_assert_error (error, DD_IMAGE_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, name));
  if (fault)
    g_assert_nonnull (strstr (error->message, fault));
}

/* ---- Real COCO images ---------------------------------------------------- */

/* Sizes as recorded in test_coco.json's "images". */
static const struct {
  const char *file_name;
  int width, height;
} coco_real[] = {
  { "000000000785.jpg", 640, 425 },
  { "000000040083.jpg", 500, 333 },
  { "000000196141.jpg", 640, 429 },
  { "000000197388.jpg", 640, 392 },
};

static char *
coco_real_path (int i)
{
  return g_build_filename (DD_COCO_REAL_DIR, coco_real[i].file_name, NULL);
}

static void
test_coco_real_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (coco_real); i++) {
    char *path = coco_real_path (i);
    GError *error = NULL;
    dd_image *img = dd_image_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (img->width, ==, coco_real[i].width);
    g_assert_cmpint (img->height, ==, coco_real[i].height);
    /* A photograph, decoded to the last row: the bottom tenth is not the flat
     * grey libjpeg leaves after a premature end. */
    size_t start = (size_t) img->width * (img->height * 9 / 10) * 3;
    size_t n = (size_t) img->width * img->height * 3 - start;
    double sum = 0.0, sum2 = 0.0;
    for (size_t k = start; k < start + n; k++) {
      sum += img->data[k];
      sum2 += (double) img->data[k] * img->data[k];
    }
    double sd = sqrt (sum2 / n - (sum / n) * (sum / n));
    g_assert_cmpfloat (sd, >, 5.0);
    dd_image_free (img);
    g_free (path);
  }
}

static void
test_jpeg_round_trip (void)
{
  char *path = coco_real_path (0);
  dd_image *img = dd_image_load (path, NULL);
  g_assert_nonnull (img);
  double previous = 0.0;
  const int qualities[] = { 95, 75, 30 };
  for (guint q = 0; q < G_N_ELEMENTS (qualities); q++) {
    GError *error = NULL;
    GBytes *bytes = dd_image_encode_jpeg (img, qualities[q], &error);
    g_assert_no_error (error);
    gsize size;
    const void *data = g_bytes_get_data (bytes, &size);
    dd_image *back = dd_image_decode (data, size, "round trip", &error);
    g_assert_no_error (error);
    g_assert_cmpint (back->width, ==, img->width);
    g_assert_cmpint (back->height, ==, img->height);
    double diff = mean_abs_diff (img, back);
    /* Lossy, but close, and worse as the quality drops. */
    g_assert_cmpfloat (diff, <, 6.0);
    g_assert_cmpfloat (diff, >, previous);
    previous = diff;
    dd_image_free (back);
    g_bytes_unref (bytes);
  }
  dd_image_free (img);
  g_free (path);
}

static void
test_png_round_trip (void)
{
  dd_image *img = random_image (37, 23, 1);
  GError *error = NULL;
  GBytes *bytes = dd_image_encode_png (img, &error);
  g_assert_no_error (error);
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);
  dd_image *back = dd_image_decode (data, size, "memory", &error);
  g_assert_no_error (error);
  assert_images_equal (img, back);
  dd_image_free (back);
  g_bytes_unref (bytes);
  dd_image_free (img);
}

static void
test_file_round_trip (void)
{
  char *dir = g_dir_make_tmp ("dd-image-XXXXXX", NULL);
  dd_image *img = random_image (64, 48, 2);
  GError *error = NULL;

  char *png = g_build_filename (dir, "a.PNG", NULL);
  g_assert_true (dd_image_save (img, png, 0, &error));
  g_assert_no_error (error);
  dd_image *back = dd_image_load (png, &error);
  g_assert_no_error (error);
  assert_images_equal (img, back);
  dd_image_free (back);

  /* A smooth image, which JPEG keeps well. */
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      for (int c = 0; c < 3; c++)
        img->data[(y * img->width + x) * 3 + c] = (uint8_t) (x * 2 + y + c * 40);
  char *jpg = g_build_filename (dir, "b.jpeg", NULL);
  g_assert_true (dd_image_save (img, jpg, 95, &error));
  back = dd_image_load (jpg, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (mean_abs_diff (img, back), <, 1.5);
  dd_image_free (back);

  g_unlink (png);
  g_unlink (jpg);
  g_rmdir (dir);
  g_free (png);
  g_free (jpg);
  g_free (dir);
  dd_image_free (img);
}

/* ---- Other pixel formats, written with libpng / libjpeg directly ---------- */

static void
append_png (png_structp png, png_bytep data, size_t n)
{
  g_byte_array_append (png_get_io_ptr (png), data, (guint) n);
}

static GBytes *
raw_png (int width, int height, int color_type, int bit_depth,
    const uint8_t *rows, size_t row_bytes, const png_color *palette, int n_palette)
{
  GByteArray *out = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  png_set_write_fn (png, out, append_png, NULL);
  png_set_IHDR (png, info, width, height, bit_depth, color_type,
      PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette)
    png_set_PLTE (png, info, palette, n_palette);
  png_write_info (png, info);
  for (int y = 0; y < height; y++)
    png_write_row (png, rows + y * row_bytes);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  return g_byte_array_free_to_bytes (out);
}

static dd_image *
decode_bytes (GBytes *bytes, const char *name)
{
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);
  GError *error = NULL;
  dd_image *img = dd_image_decode (data, size, name, &error);
  g_assert_no_error (error);
  return img;
}

static void
assert_pixel (const dd_image *img, int x, int y, int r, int g, int b)
{
  const uint8_t *p = img->data + (y * img->width + x) * 3;
  g_assert_cmpint (p[0], ==, r);
  g_assert_cmpint (p[1], ==, g);
  g_assert_cmpint (p[2], ==, b);
}

static void
test_png_grey_and_alpha (void)
{
  const uint8_t grey[2] = { 17, 200 };
  GBytes *bytes = raw_png (2, 1, PNG_COLOR_TYPE_GRAY, 8, grey, 2, NULL, 0);
  dd_image *img = decode_bytes (bytes, "grey");
  assert_pixel (img, 0, 0, 17, 17, 17);
  assert_pixel (img, 1, 0, 200, 200, 200);
  dd_image_free (img);
  g_bytes_unref (bytes);

  /* Alpha is dropped, not composited: a transparent pixel keeps its colour. */
  const uint8_t rgba[8] = { 10, 20, 30, 0, 40, 50, 60, 255 };
  bytes = raw_png (2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, rgba, 8, NULL, 0);
  img = decode_bytes (bytes, "rgba");
  assert_pixel (img, 0, 0, 10, 20, 30);
  assert_pixel (img, 1, 0, 40, 50, 60);
  dd_image_free (img);
  g_bytes_unref (bytes);

  const uint8_t grey_alpha[4] = { 90, 0, 91, 128 };
  bytes = raw_png (2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, grey_alpha, 4, NULL, 0);
  img = decode_bytes (bytes, "grey+alpha");
  assert_pixel (img, 0, 0, 90, 90, 90);
  assert_pixel (img, 1, 0, 91, 91, 91);
  dd_image_free (img);
  g_bytes_unref (bytes);

  /* 1-bit grey: 0b10100000 -> white, black, white, black. */
  const uint8_t bits[1] = { 0xa0 };
  bytes = raw_png (4, 1, PNG_COLOR_TYPE_GRAY, 1, bits, 1, NULL, 0);
  img = decode_bytes (bytes, "1-bit");
  assert_pixel (img, 0, 0, 255, 255, 255);
  assert_pixel (img, 1, 0, 0, 0, 0);
  assert_pixel (img, 2, 0, 255, 255, 255);
  dd_image_free (img);
  g_bytes_unref (bytes);
}

static void
test_png_palette_and_16bit (void)
{
  const png_color palette[2] = { { 1, 2, 3 }, { 250, 128, 7 } };
  const uint8_t indices[3] = { 1, 0, 1 };
  GBytes *bytes = raw_png (3, 1, PNG_COLOR_TYPE_PALETTE, 8, indices, 3, palette, 2);
  dd_image *img = decode_bytes (bytes, "palette");
  assert_pixel (img, 0, 0, 250, 128, 7);
  assert_pixel (img, 1, 0, 1, 2, 3);
  dd_image_free (img);
  g_bytes_unref (bytes);

  /* 16-bit samples, big-endian, are rounded to the nearest 8-bit value
   * v / 257: 0x8080 = 128 * 257; 0x8101 = 128.502 * 257; 0x0100 = 0.996 * 257. */
  const uint8_t rgb16[12] = { 0x80, 0x80, 0x81, 0x01, 0xff, 0xff,
    0x00, 0x00, 0x01, 0x00, 0x7f, 0x7f };
  bytes = raw_png (2, 1, PNG_COLOR_TYPE_RGB, 16, rgb16, 12, NULL, 0);
  img = decode_bytes (bytes, "16-bit");
  assert_pixel (img, 0, 0, 128, 129, 255);
  assert_pixel (img, 1, 0, 0, 1, 127);
  dd_image_free (img);
  g_bytes_unref (bytes);
}

static GBytes *
raw_jpeg (int width, int height, int components, J_COLOR_SPACE space,
    const uint8_t *pixels)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr err;
  cinfo.err = jpeg_std_error (&err);
  jpeg_create_compress (&cinfo);
  unsigned char *buf = NULL;
  unsigned long size = 0;
  jpeg_mem_dest (&cinfo, &buf, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 95, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW) pixels + cinfo.next_scanline * width * components;
    jpeg_write_scanlines (&cinfo, &row, 1);
  }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  GBytes *bytes = g_bytes_new (buf, size);
  free (buf);
  return bytes;
}

static void
test_jpeg_grey (void)
{
  uint8_t grey[16 * 16];
  for (int i = 0; i < 16 * 16; i++)
    grey[i] = (uint8_t) (60 + (i % 16) * 4);
  GBytes *bytes = raw_jpeg (16, 16, 1, JCS_GRAYSCALE, grey);
  dd_image *img = decode_bytes (bytes, "grey jpeg");
  g_assert_cmpint (img->width, ==, 16);
  for (int i = 0; i < 16 * 16; i++) {
    const uint8_t *p = img->data + 3 * i;
    g_assert_cmpint (p[0], ==, p[1]);
    g_assert_cmpint (p[1], ==, p[2]);
    g_assert_cmpint (abs (p[0] - grey[i]), <=, 3);
  }
  dd_image_free (img);
  g_bytes_unref (bytes);
}

static void
test_jpeg_cmyk_refused (void)
{
  uint8_t cmyk[8 * 8 * 4];
  memset (cmyk, 100, sizeof cmyk);
  GBytes *bytes = raw_jpeg (8, 8, 4, JCS_CMYK, cmyk);
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);
  GError *error = NULL;
  g_assert_null (dd_image_decode (data, size, "scan.jpg", &error));
  assert_error_names (error, DD_IMAGE_ERROR_UNSUPPORTED, "scan.jpg", "CMYK");
  g_error_free (error);
  g_bytes_unref (bytes);
}

/* ---- Bad input ----------------------------------------------------------- */

static void
test_missing_file (void)
{
  GError *error = NULL;
  g_assert_null (dd_image_load ("/nonexistent/dir/frame-000042.jpg", &error));
  assert_error_names (error, DD_IMAGE_ERROR_IO, "/nonexistent/dir/frame-000042.jpg",
      NULL);
  g_error_free (error);
}

static void
assert_decode_fails (const void *data, size_t size, const char *name, int code)
{
  GError *error = NULL;
  g_assert_null (dd_image_decode (data, size, name, &error));
  assert_error_names (error, code, name, NULL);
  g_error_free (error);
}

static void
test_truncated_and_corrupt_jpeg (void)
{
  char *path = coco_real_path (1);
  char *data;
  gsize size;
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  /* Cut in the scan data, and cut inside the headers. */
  assert_decode_fails (data, size * 6 / 10, "cut.jpg", DD_IMAGE_ERROR_CORRUPT);
  assert_decode_fails (data, 100, "header-cut.jpg", DD_IMAGE_ERROR_CORRUPT);
  /* An end-of-image marker in the middle of the scan data. */
  char *broken = g_memdup2 (data, size);
  broken[size / 2] = (char) 0xff;
  broken[size / 2 + 1] = (char) 0xd9;
  assert_decode_fails (broken, size, "marker.jpg", DD_IMAGE_ERROR_CORRUPT);
  /* A frame header that claims zero rows. */
  memcpy (broken, data, size);
  for (gsize i = 2; i + 9 < size; i++) {
    if ((uint8_t) broken[i] == 0xff && (uint8_t) broken[i + 1] == 0xc0) {
      broken[i + 5] = broken[i + 6] = 0;
      break;
    }
  }
  assert_decode_fails (broken, size, "sof.jpg", DD_IMAGE_ERROR_CORRUPT);
  g_free (broken);
  g_free (data);
  g_free (path);
}

static void
test_truncated_and_corrupt_png (void)
{
  dd_image *img = random_image (40, 30, 3);
  GBytes *bytes = dd_image_encode_png (img, NULL);
  gsize size;
  const uint8_t *data = g_bytes_get_data (bytes, &size);
  assert_decode_fails (data, size / 2, "cut.png", DD_IMAGE_ERROR_CORRUPT);
  assert_decode_fails (data, 20, "header-cut.png", DD_IMAGE_ERROR_CORRUPT);
  /* Drop the IEND chunk only: the pixels are all there, the file is not. */
  assert_decode_fails (data, size - 12, "no-end.png", DD_IMAGE_ERROR_CORRUPT);
  /* One flipped bit in the compressed data: zlib or the chunk CRC notices. */
  uint8_t *broken = g_memdup2 (data, size);
  broken[size / 2] ^= 0x10;
  assert_decode_fails (broken, size, "crc.png", DD_IMAGE_ERROR_CORRUPT);
  g_free (broken);
  g_bytes_unref (bytes);
  dd_image_free (img);
}

static void
test_not_an_image (void)
{
  assert_decode_fails ("", 0, "empty.jpg", DD_IMAGE_ERROR_CORRUPT);
  assert_decode_fails ("GIF89a....", 10, "anim.gif", DD_IMAGE_ERROR_UNSUPPORTED);
}

static void
test_bad_arguments (void)
{
  GError *error = NULL;
  g_assert_null (dd_image_new (0, 10, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (dd_image_new (100000, 100000, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);

  dd_image *img = random_image (4, 4, 4);
  /* Refused before anything of that size is allocated. */
  g_assert_null (dd_image_resize (img, G_MAXINT, G_MAXINT, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (dd_image_resize (img, 0, 4, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (dd_image_encode_jpeg (img, 0, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dd_image_save (img, "/tmp/frame.bmp", 90, &error));
  assert_error_names (error, DD_IMAGE_ERROR_ARGUMENT, "/tmp/frame.bmp", NULL);
  g_clear_error (&error);
  g_assert_false (dd_image_save (img, "/nonexistent/dir/x.png", 90, &error));
  assert_error_names (error, DD_IMAGE_ERROR_IO, "/nonexistent/dir/x.png", NULL);
  g_clear_error (&error);
  dd_image_free (img);
}

/* ---- Tensors and resampling ---------------------------------------------- */

static void
test_chw (void)
{
  dd_image *img = random_image (5, 3, 5);
  img->data[0] = 255;           /* pixel (0, 0), red */
  img->data[3 * 6 + 2] = 51;    /* pixel (1, 1), blue */
  const float mean[3] = { 0.485f, 0.456f, 0.406f };
  const float std[3] = { 0.229f, 0.224f, 0.225f };
  float chw[3 * 15];
  dd_image_to_chw (img, mean, std, chw);
  g_assert_cmpfloat_with_epsilon (chw[0], (1.0f - 0.485f) / 0.229f, 1e-5);
  g_assert_cmpfloat_with_epsilon (chw[2 * 15 + 6], (0.2f - 0.406f) / 0.225f, 1e-5);
  dd_image *back = dd_image_from_chw (chw, 5, 3, mean, std, NULL);
  assert_images_equal (img, back);
  dd_image_free (back);

  dd_image_to_chw (img, NULL, NULL, chw);
  g_assert_cmpfloat (chw[0], ==, 1.0f);
  chw[1] = -0.5f;               /* out of range values clamp */
  chw[2] = 7.0f;
  back = dd_image_from_chw (chw, 5, 3, NULL, NULL, NULL);
  g_assert_cmpint (back->data[3 * 1], ==, 0);
  g_assert_cmpint (back->data[3 * 2], ==, 255);
  dd_image_free (back);
  dd_image_free (img);
}

static dd_image *
grey_image (int width, int height, const uint8_t *values)
{
  dd_image *img = dd_image_new (width, height, NULL);
  for (int i = 0; i < width * height; i++)
    memset (img->data + 3 * i, values[i], 3);
  return img;
}

static void
assert_resize (int in_w, int in_h, const uint8_t *in, int out_w, int out_h,
    const uint8_t *expected)
{
  dd_image *img = grey_image (in_w, in_h, in);
  dd_image *out = dd_image_resize (img, out_w, out_h, NULL);
  for (int i = 0; i < out_w * out_h; i++)
    g_assert_cmpint (out->data[3 * i], ==, expected[i]);
  dd_image_free (out);
  dd_image_free (img);
}

/* Expected values are PyTorch's F.interpolate(mode="bilinear",
 * align_corners=False) on the same inputs. */
static void
test_resize_matches_pytorch (void)
{
  assert_resize (2, 1, (const uint8_t[]) { 0, 100 }, 4, 1,
      (const uint8_t[]) { 0, 25, 75, 100 });
  assert_resize (4, 1, (const uint8_t[]) { 0, 100, 200, 250 }, 2, 1,
      (const uint8_t[]) { 50, 225 });
  assert_resize (3, 1, (const uint8_t[]) { 0, 100, 200 }, 5, 1,
      (const uint8_t[]) { 0, 40, 100, 160, 200 });
  /* 2x2 -> 3x3: 32.5 rounds to even. */
  assert_resize (2, 2, (const uint8_t[]) { 10, 20, 30, 70 }, 3, 3,
      (const uint8_t[]) { 10, 15, 20, 20, 32, 45, 30, 50, 70 });

  dd_image *img = random_image (31, 17, 6);
  dd_image *same = dd_image_resize (img, 31, 17, NULL);
  assert_images_equal (img, same);
  dd_image_free (same);
  dd_image_free (img);
}

static void
test_sample (void)
{
  dd_image *img = grey_image (2, 1, (const uint8_t[]) { 0, 100 });
  const uint8_t fill[3] = { 1, 2, 3 };
  uint8_t rgb[3];
  dd_image_sample (img, 1.0, 0.5, fill, rgb);   /* between the two centres */
  g_assert_cmpint (rgb[0], ==, 50);
  dd_image_sample (img, 0.25, 0.5, fill, rgb);  /* left border half-pixel */
  g_assert_cmpint (rgb[0], ==, 0);
  dd_image_sample (img, 2.0, 0.5, fill, rgb);   /* just outside */
  g_assert_cmpmem (rgb, 3, fill, 3);
  dd_image_sample (img, 1.0, -0.01, fill, rgb);
  g_assert_cmpmem (rgb, 3, fill, 3);
  dd_image_free (img);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  g_test_add_func ("/image/coco-real-decode", test_coco_real_decode);
  g_test_add_func ("/image/jpeg-round-trip", test_jpeg_round_trip);
  g_test_add_func ("/image/png-round-trip", test_png_round_trip);
  g_test_add_func ("/image/file-round-trip", test_file_round_trip);
  g_test_add_func ("/image/png-grey-and-alpha", test_png_grey_and_alpha);
  g_test_add_func ("/image/png-palette-and-16bit", test_png_palette_and_16bit);
  g_test_add_func ("/image/jpeg-grey", test_jpeg_grey);
  g_test_add_func ("/image/jpeg-cmyk-refused", test_jpeg_cmyk_refused);
  g_test_add_func ("/image/missing-file", test_missing_file);
  g_test_add_func ("/image/truncated-corrupt-jpeg", test_truncated_and_corrupt_jpeg);
  g_test_add_func ("/image/truncated-corrupt-png", test_truncated_and_corrupt_png);
  g_test_add_func ("/image/not-an-image", test_not_an_image);
  g_test_add_func ("/image/bad-arguments", test_bad_arguments);
  g_test_add_func ("/image/chw", test_chw);
  g_test_add_func ("/image/resize-matches-pytorch", test_resize_matches_pytorch);
  g_test_add_func ("/image/sample", test_sample);
  return g_test_run ();
}
