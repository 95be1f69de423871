#include "distill/boxes.h"

#include <stdlib.h>

double
dd_box_iou (const float a[4], const float b[4])
{
  double iw = MIN ((double) a[2], b[2]) - MAX ((double) a[0], b[0]);
  double ih = MIN ((double) a[3], b[3]) - MAX ((double) a[1], b[1]);
  if (iw <= 0.0 || ih <= 0.0)
    return 0.0;
  double area_a = ((double) a[2] - a[0]) * ((double) a[3] - a[1]);
  double area_b = ((double) b[2] - b[0]) * ((double) b[3] - b[1]);
  double inter = iw * ih;
  double uni = area_a + area_b - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

typedef struct ranked {
  float score;
  int index;
} ranked;

static int
by_score_desc (const void *pa, const void *pb)
{
  const ranked *a = pa, *b = pb;
  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

void
dd_box_order_by_score (const dd_box_candidate *c, int n, int *order)
{
  ranked *r = g_new (ranked, MAX (n, 1));
  for (int i = 0; i < n; i++)
    r[i] = (ranked) { .score = c[i].score, .index = i };
  qsort (r, n, sizeof *r, by_score_desc);
  for (int i = 0; i < n; i++)
    order[i] = r[i].index;
  g_free (r);
}
