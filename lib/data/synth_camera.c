/* Camera effects on rendered frames, in integer arithmetic. */
#include "synth_camera.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

void
dd_camera_fx_sample (const dd_style *style, dd_rng *rng, dd_camera_fx *fx)
{
  fx->gain = dd_rng_range (rng, (float) style->gain_lo, (float) style->gain_hi);
  for (int i = 0; i < 2; i++)
    fx->gradient[i] = dd_rng_range (rng, (float) -style->gradient_max,
        (float) style->gradient_max);
  for (int c = 0; c < 3; c++)
    fx->cast[c] = 1 + dd_rng_range (rng, (float) -style->cast_max,
        (float) style->cast_max);
  fx->contrast = dd_rng_range (rng, (float) style->contrast_lo,
      (float) style->contrast_hi);
  fx->vignette = dd_rng_range (rng, 0, (float) style->vignette_max);
  /* sigma^2 = passes / 2, so passes = 2 sigma^2 for a sigma up to blur_max. */
  double sigma = dd_rng_range (rng, 0, (float) style->blur_max);
  fx->blur_passes = (int) (2 * sigma * sigma + 0.5);
  fx->motion_blur = (int) dd_rng_range (rng, 0,
      (float) style->motion_blur_max + 1);
  fx->noise = dd_rng_range (rng, (float) style->noise_lo,
      (float) style->noise_hi);
}

/* Channel planes of the frame, as ints so filters can carry precision. */
typedef struct {
  int width, height;
  int *plane[3];
} planes;

static void
unpack (cairo_surface_t *s, planes *p)
{
  p->width = cairo_image_surface_get_width (s);
  p->height = cairo_image_surface_get_height (s);
  size_t n = (size_t) p->width * p->height;
  const unsigned char *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  for (int c = 0; c < 3; c++)
    p->plane[c] = g_new (int, n);
  for (int y = 0; y < p->height; y++) {
    const uint32_t *row = (const uint32_t *) (data + (size_t) y * stride);
    for (int x = 0; x < p->width; x++)
      for (int c = 0; c < 3; c++)
        p->plane[c][(size_t) y * p->width + x] = (row[x] >> (16 - 8 * c)) & 0xff;
  }
}

static int
clamp8 (int v)
{
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

static void
pack (const planes *p, cairo_surface_t *s)
{
  unsigned char *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  for (int y = 0; y < p->height; y++) {
    uint32_t *row = (uint32_t *) (data + (size_t) y * stride);
    for (int x = 0; x < p->width; x++) {
      size_t i = (size_t) y * p->width + x;
      row[x] = (uint32_t) clamp8 (p->plane[0][i]) << 16
          | (uint32_t) clamp8 (p->plane[1][i]) << 8
          | (uint32_t) clamp8 (p->plane[2][i]);
    }
  }
  for (int c = 0; c < 3; c++)
    g_free (p->plane[c]);
}

/* Exposure, gradient and vignette give each pixel a gain (Q12 fixed point),
 * the cast one per channel; contrast stretches around 128 first. */
static void
apply_light (const dd_camera_fx *fx, planes *p)
{
  int cast[3], contrast = (int) lround (fx->contrast * 4096);
  for (int c = 0; c < 3; c++)
    cast[c] = (int) lround (fx->cast[c] * 4096);
  for (int y = 0; y < p->height; y++) {
    double v = (y + 0.5) / p->height - 0.5;
    for (int x = 0; x < p->width; x++) {
      double u = (x + 0.5) / p->width - 0.5;
      double g = fx->gain * (1 + fx->gradient[0] * u + fx->gradient[1] * v)
          * (1 - fx->vignette * 2 * (u * u + v * v));
      int64_t gain = (int64_t) lround (fmax (g, 0) * 4096);
      size_t i = (size_t) y * p->width + x;
      for (int c = 0; c < 3; c++) {
        int64_t val = (int64_t) (p->plane[c][i] - 128) * contrast / 4096 + 128;
        p->plane[c][i] = clamp8 ((int) (val * gain / 4096 * cast[c] / 4096));
      }
    }
  }
}

/* One [1 2 1] / 4 pass along rows (dx = 1) or columns, edges repeated. */
static void
binomial_pass (int *plane, int width, int height, int along_rows, int *tmp)
{
  int n = along_rows ? width : height, lines = along_rows ? height : width;
  for (int l = 0; l < lines; l++) {
    for (int i = 0; i < n; i++) {
      int a = i > 0 ? i - 1 : 0, b = i < n - 1 ? i + 1 : n - 1;
      size_t ia = along_rows ? (size_t) l * width + a : (size_t) a * width + l;
      size_t ii = along_rows ? (size_t) l * width + i : (size_t) i * width + l;
      size_t ib = along_rows ? (size_t) l * width + b : (size_t) b * width + l;
      tmp[i] = (plane[ia] + 2 * plane[ii] + plane[ib] + 2) >> 2;
    }
    for (int i = 0; i < n; i++) {
      size_t ii = along_rows ? (size_t) l * width + i : (size_t) i * width + l;
      plane[ii] = tmp[i];
    }
  }
}

/* A horizontal box filter of `len` pixels: the streak of a panning camera. */
static void
motion_pass (int *plane, int width, int height, int len, int *tmp)
{
  int half = len / 2;
  for (int y = 0; y < height; y++) {
    int *row = plane + (size_t) y * width;
    for (int x = 0; x < width; x++) {
      int sum = 0;
      for (int k = 0; k < len; k++) {
        int xx = x - half + k;
        sum += row[xx < 0 ? 0 : xx >= width ? width - 1 : xx];
      }
      tmp[x] = (sum + len / 2) / len;
    }
    for (int x = 0; x < width; x++)
      row[x] = tmp[x];
  }
}

/* Four uniform bytes sum to a bell with sigma sqrt(4 * (256^2 - 1) / 12),
 * about 147.8: close enough to Gaussian for sensor noise, and exact. */
static void
apply_noise (double sigma, planes *p, dd_rng *rng)
{
  int scale = (int) lround (sigma / 147.8022 * 65536);
  size_t n = (size_t) p->width * p->height;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++) {
      uint32_t r = dd_rng_u32 (rng);
      int s = (int) ((r & 0xff) + ((r >> 8) & 0xff) + ((r >> 16) & 0xff)
          + (r >> 24)) - 510;
      int64_t d = (int64_t) s * scale;
      p->plane[c][i] += (int) (d >= 0 ? (d + 32768) >> 16 : -((-d + 32768) >> 16));
    }
}

void
dd_camera_fx_apply (const dd_camera_fx *fx, cairo_surface_t *surface,
    dd_rng *noise)
{
  planes p;
  cairo_surface_flush (surface);
  unpack (surface, &p);
  int *tmp = g_new (int, MAX (p.width, p.height));
  apply_light (fx, &p);
  for (int c = 0; c < 3; c++) {
    for (int k = 0; k < fx->blur_passes; k++) {
      binomial_pass (p.plane[c], p.width, p.height, 1, tmp);
      binomial_pass (p.plane[c], p.width, p.height, 0, tmp);
    }
    if (fx->motion_blur > 1)
      motion_pass (p.plane[c], p.width, p.height, fx->motion_blur, tmp);
  }
  g_free (tmp);
  apply_noise (fx->noise, &p, noise);
  pack (&p, surface);
  cairo_surface_mark_dirty (surface);
}
