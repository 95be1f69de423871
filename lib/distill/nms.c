#include "distill/boxes.h"

int
dd_box_nms (const dd_box_candidate *c, int n, double iou_threshold, int *keep)
{
  int *order = g_new (int, MAX (n, 1));
  gboolean *suppressed = g_new0 (gboolean, MAX (n, 1));
  int n_keep = 0;
  dd_box_order_by_score (c, n, order);
  for (int a = 0; a < n; a++) {
    int i = order[a];
    if (suppressed[i])
      continue;
    keep[n_keep++] = i;
    for (int b = a + 1; b < n; b++) {
      int j = order[b];
      if (!suppressed[j] && c[j].class_index == c[i].class_index
          && dd_box_iou (c[i].box, c[j].box) >= iou_threshold)
        suppressed[j] = TRUE;
    }
  }
  g_free (order);
  g_free (suppressed);
  return n_keep;
}
