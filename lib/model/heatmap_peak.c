#include "model/heatmap_peak.h"

#include <stddef.h>

bool
dd_heatmap_is_peak (const float *plane, int h, int w, int x, int y)
{
  float v = plane[(size_t) y * w + x];
  for (int yy = y - 1; yy <= y + 1; yy++)
    for (int xx = x - 1; xx <= x + 1; xx++)
      if (yy >= 0 && yy < h && xx >= 0 && xx < w && plane[(size_t) yy * w + xx] > v)
        return false;
  return true;
}
