/* Bilinear resampling of packed 8-bit frames, axis by axis. */
#include "elements/video_resample.h"

#include <math.h>
#include <string.h>

/* Where an output index samples an axis: the two source indices and the
 * weight of the second, or outside (lib/data/image.c's axis_tap). */
typedef struct {
  int i0, i1;
  double a;
  gboolean inside;
} tap;

struct dd_resampler {
  int out_w, out_h, pixel_size;
  uint8_t fill[4];
  tap *tx, *ty;
};

static tap
tap_at (double pos, int size)
{
  tap t = { 0, 0, 0.0, pos >= 0.0 && pos < size };
  if (!t.inside)
    return t;
  double f = CLAMP (pos - 0.5, 0.0, (double) (size - 1));
  t.i0 = (int) f;
  t.i1 = MIN (t.i0 + 1, size - 1);
  t.a = f - t.i0;
  return t;
}

dd_resampler *
dd_resampler_new (int in_width, int in_height, const dd_transform *t,
    int pixel_size, const uint8_t *fill)
{
  g_return_val_if_fail (in_width > 0 && in_height > 0, NULL);
  g_return_val_if_fail (t->width > 0 && t->height > 0, NULL);
  g_return_val_if_fail (pixel_size >= 1 && pixel_size <= 4, NULL);
  dd_resampler *r = g_new0 (dd_resampler, 1);
  r->out_w = t->width;
  r->out_h = t->height;
  r->pixel_size = pixel_size;
  memcpy (r->fill, fill, pixel_size);
  r->tx = g_new (tap, t->width);
  r->ty = g_new (tap, t->height);
  double x, y, unused;
  for (int u = 0; u < t->width; u++) {
    dd_transform_point_inverse (t, u + 0.5, 0.5, &x, &unused);
    r->tx[u] = tap_at (x, in_width);
  }
  for (int v = 0; v < t->height; v++) {
    dd_transform_point_inverse (t, 0.5, v + 0.5, &unused, &y);
    r->ty[v] = tap_at (y, in_height);
  }
  return r;
}

void
dd_resampler_free (dd_resampler *r)
{
  if (r == NULL)
    return;
  g_free (r->tx);
  g_free (r->ty);
  g_free (r);
}

void
dd_resampler_run (const dd_resampler *r, const uint8_t *src, int src_stride,
    uint8_t *dst, int dst_stride)
{
  const int ps = r->pixel_size;
  for (int v = 0; v < r->out_h; v++) {
    const tap *ty = &r->ty[v];
    const uint8_t *row0 = src + (size_t) ty->i0 * src_stride;
    const uint8_t *row1 = src + (size_t) ty->i1 * src_stride;
    uint8_t *out = dst + (size_t) v * dst_stride;
    for (int u = 0; u < r->out_w; u++) {
      const tap *tx = &r->tx[u];
      if (!tx->inside || !ty->inside) {
        memcpy (out + u * ps, r->fill, ps);
        continue;
      }
      const uint8_t *p00 = row0 + tx->i0 * ps, *p01 = row0 + tx->i1 * ps;
      const uint8_t *p10 = row1 + tx->i0 * ps, *p11 = row1 + tx->i1 * ps;
      for (int c = 0; c < ps; c++) {
        double top = p00[c] + tx->a * (p01[c] - p00[c]);
        double bottom = p10[c] + tx->a * (p11[c] - p10[c]);
        out[u * ps + c] = (uint8_t) lrint (top + ty->a * (bottom - top));
      }
    }
  }
}
