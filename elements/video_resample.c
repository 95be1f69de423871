/* Bilinear resampling of packed 8-bit frames, axis by axis. */
#include "elements/video_resample.h"

#include <math.h>

/* Where an output index samples an axis: the two source indices and the
 * weight of the second (lib/data/image.c's axis_tap). */
typedef struct {
  int i0, i1;
  double a;
} tap;

struct dd_resampler {
  int in_w, in_h, out_w, out_h, pixel_size;
  tap *tx, *ty;
};

static tap *
axis_taps (int in, int out, gboolean reverse)
{
  tap *taps = g_new (tap, out);
  double scale = (double) out / in;
  for (int o = 0; o < out; o++) {
    double pos = (o + 0.5) / scale;
    double f = CLAMP (pos - 0.5, 0.0, (double) (in - 1));
    tap *t = &taps[reverse ? out - 1 - o : o];
    t->i0 = (int) f;
    t->i1 = MIN (t->i0 + 1, in - 1);
    t->a = f - t->i0;
  }
  return taps;
}

dd_resampler *
dd_resampler_new (int in_width, int in_height, int out_width, int out_height,
    gboolean flip, int pixel_size)
{
  g_return_val_if_fail (in_width > 0 && in_height > 0, NULL);
  g_return_val_if_fail (out_width > 0 && out_height > 0, NULL);
  dd_resampler *r = g_new (dd_resampler, 1);
  r->in_w = in_width;
  r->in_h = in_height;
  r->out_w = out_width;
  r->out_h = out_height;
  r->pixel_size = pixel_size;
  r->tx = axis_taps (in_width, out_width, flip);
  r->ty = axis_taps (in_height, out_height, FALSE);
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
