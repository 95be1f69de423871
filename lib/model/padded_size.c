#include "padded_size.h"

int
dd_detector_padded_side (dd_detector *det, int size, int horizontal)
{
  int default_h, default_w;
  dd_net_default_size (det->net, &default_h, &default_w);
  char err[256];
  int first = (size + det->stride - 1) / det->stride * det->stride;
  for (int side = first; side <= size + 64 * det->stride; side += det->stride) {
    int w = horizontal ? side : default_w;
    int h = horizontal ? default_h : side;
    if (dd_net_reshape (det->net, 1, h, w, err, sizeof err) == 0)
      return side;
  }
  return -1;
}
