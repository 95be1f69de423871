#include "distill/boxes.h"

#include <math.h>

static void
swap (dd_box_candidate *a, dd_box_candidate *b)
{
  dd_box_candidate t = *a;
  *a = *b;
  *b = t;
}

int
dd_soft_nms (dd_box_candidate *c, int n, dd_soft_nms_method method,
    double sigma, double iou_threshold, double min_score)
{
  for (int i = 0; i < n; i++) {
    int best = i;
    for (int j = i + 1; j < n; j++)
      if (c[j].score > c[best].score)
        best = j;
    swap (&c[i], &c[best]);
    for (int j = i + 1; j < n; j++) {
      if (c[j].class_index != c[i].class_index)
        continue;
      double iou = dd_box_iou (c[i].box, c[j].box);
      if (iou <= 0.0)
        continue;
      double weight = method == DD_SOFT_NMS_GAUSSIAN ? exp (-iou * iou / sigma)
          : iou > iou_threshold ? 1.0 - iou : 1.0;
      c[j].score = (float) (weight * c[j].score);
      /* Dropped: the last candidate takes its place and is looked at next. */
      if (c[j].score < min_score) {
        swap (&c[j], &c[n - 1]);
        n--;
        j--;
      }
    }
  }
  return n;
}
