/* Paints: colours and small repeating textures drawn through cairo
 * patterns. Texture tiles are built pixel by pixel from integers, so they
 * are the same everywhere. */
#include "synth_paint.h"

#include <math.h>
#include <stdbool.h>

void
dd_paint_colour (uint32_t rgb, double jitter, dd_rng *rng, double out[3])
{
  for (int c = 0; c < 3; c++) {
    double v = ((rgb >> (16 - 8 * c)) & 0xff) / 255.0;
    v += dd_rng_range (rng, (float) -jitter, (float) jitter);
    out[c] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

void
dd_paint_sample (dd_paint *p, dd_texture texture, const double a[3],
    const double b[3], double period_lo, double period_hi, dd_rng *rng)
{
  p->texture = texture;
  for (int c = 0; c < 3; c++) {
    p->rgb[c] = a[c];
    p->rgb2[c] = b[c];
  }
  p->period = dd_rng_range (rng, (float) period_lo, (float) period_hi);
  p->angle = dd_rng_range (rng, 0.0f, (float) M_PI);
  p->seed = dd_rng_u32 (rng);
}

static uint32_t
pack (const double rgb[3])
{
  uint32_t v = 0;
  for (int c = 0; c < 3; c++)
    v = (v << 8) | (uint32_t) lround (rgb[c] * 255.0);
  return v;
}

/* The texture's tile: one cell per pixel, `cells` cells per period. */
static cairo_surface_t *
make_tile (const dd_paint *p, int *cells, cairo_filter_t *filter)
{
  int w, h;
  switch (p->texture) {
    case DD_TEXTURE_STRIPES:
      w = 4, h = 1, *filter = CAIRO_FILTER_BILINEAR;
      break;
    case DD_TEXTURE_CHECKS:
      w = 2, h = 2, *filter = CAIRO_FILTER_NEAREST;
      break;
    default:
      w = 8, h = 8, *filter = CAIRO_FILTER_BILINEAR;
      break;
  }
  *cells = w;
  cairo_surface_t *tile = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_surface_flush (tile);
  unsigned char *data = cairo_image_surface_get_data (tile);
  int stride = cairo_image_surface_get_stride (tile);
  uint32_t a = pack (p->rgb), b = pack (p->rgb2);
  dd_rng rng;
  dd_rng_seed (&rng, p->seed, 0x7e47u);
  for (int y = 0; y < h; y++) {
    uint32_t *row = (uint32_t *) (data + y * stride);
    for (int x = 0; x < w; x++) {
      bool second;
      if (p->texture == DD_TEXTURE_STRIPES)
        second = x >= 2 + (int) (p->seed & 1);
      else if (p->texture == DD_TEXTURE_CHECKS)
        second = (x + y) & 1;
      else
        second = dd_rng_below (&rng, 2);
      row[x] = second ? b : a;
    }
  }
  cairo_surface_mark_dirty (tile);
  return tile;
}

void
dd_paint_fill (const dd_paint *p, cairo_t *cr, double x, double y,
    double unit)
{
  double size = fmax (p->period * unit, 0.5);
  cairo_pattern_t *pattern;
  if (p->texture == DD_TEXTURE_SOLID) {
    cairo_set_source_rgb (cr, p->rgb[0], p->rgb[1], p->rgb[2]);
    cairo_fill (cr);
    return;
  }
  if (p->texture == DD_TEXTURE_GRADIENT) {
    double dx = cos (p->angle) * size, dy = sin (p->angle) * size;
    pattern = cairo_pattern_create_linear (x - dx, y - dy, x + dx, y + dy);
    cairo_pattern_add_color_stop_rgb (pattern, 0, p->rgb[0], p->rgb[1], p->rgb[2]);
    cairo_pattern_add_color_stop_rgb (pattern, 1, p->rgb2[0], p->rgb2[1], p->rgb2[2]);
    cairo_pattern_set_extend (pattern, CAIRO_EXTEND_REFLECT);
  } else {
    int cells;
    cairo_filter_t filter;
    cairo_surface_t *tile = make_tile (p, &cells, &filter);
    pattern = cairo_pattern_create_for_surface (tile);
    cairo_surface_destroy (tile);
    cairo_matrix_t m;
    cairo_matrix_init_scale (&m, cells / size, cells / size);
    cairo_matrix_rotate (&m, -p->angle);
    cairo_matrix_translate (&m, -x, -y);
    cairo_pattern_set_matrix (pattern, &m);
    cairo_pattern_set_extend (pattern, CAIRO_EXTEND_REPEAT);
    cairo_pattern_set_filter (pattern, filter);
  }
  cairo_set_source (cr, pattern);
  cairo_fill (cr);
  cairo_pattern_destroy (pattern);
}
