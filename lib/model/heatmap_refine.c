#include "model/heatmap_refine.h"

#include <math.h>
#include <stddef.h>

/* A Gaussian's log has curvature 1 / sigma^2 (cells). Flatter than a
 * sigma of 10 cells, wider than any target, is noise: its fit would
 * magnify differences of a few ulps into half a cell. */
#define MIN_CURVATURE 0.01f

/* The offset from the centre value c of a log-parabola through l, c, r
 * (neighbours one cell away), or 0 when they do not make one. */
static float
parabola_offset (float l, float c, float r)
{
  if (!(l > 0.0f && c > 0.0f && r > 0.0f))
    return 0.0f;
  float ll = logf (l), lc = logf (c), lr = logf (r);
  float curvature = 2.0f * lc - ll - lr;
  if (!(curvature > MIN_CURVATURE))
    return 0.0f;
  float d = (lr - ll) / (2.0f * curvature);
  return fminf (0.5f, fmaxf (-0.5f, d));
}

void
dd_heatmap_refine (const float *plane, int h, int w, int x, int y,
    float *fx, float *fy)
{
  size_t at = (size_t) y * w + x;
  float dx = 0.0f, dy = 0.0f;
  if (x > 0 && x < w - 1)
    dx = parabola_offset (plane[at - 1], plane[at], plane[at + 1]);
  if (y > 0 && y < h - 1)
    dy = parabola_offset (plane[at - w], plane[at], plane[at + w]);
  *fx = (float) x + 0.5f + dx;
  *fy = (float) y + 0.5f + dy;
}
