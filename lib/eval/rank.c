/* Stable ranking by score, high to low. pycocotools ranks detections with
 * numpy's stable mergesort and ties are frequent (scores of 1, rounded
 * scores), so the order of equal scores decides precision: they keep the
 * order they came in. */
#include "eval/eval_private.h"

#include <string.h>

/* Insertion sort for short runs: per image there are a few dozen. */
static void
insertion (uint32_t *idx, guint n, const double *score)
{
  for (guint i = 1; i < n; i++) {
    uint32_t v = idx[i];
    guint j = i;
    while (j > 0 && score[idx[j - 1]] < score[v]) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = v;
  }
}

#define RUN 16

void
dd_eval_rank_by_score (uint32_t *idx, guint n, const double *score, uint32_t *tmp)
{
  for (guint start = 0; start < n; start += RUN)
    insertion (idx + start, MIN (RUN, n - start), score);
  uint32_t *from = idx, *to = tmp;
  for (guint width = RUN; width < n; width *= 2) {
    for (guint lo = 0; lo < n; lo += 2 * width) {
      guint mid = MIN (lo + width, n), hi = MIN (lo + 2 * width, n);
      guint a = lo, b = mid, o = lo;
      /* Take from the right run only when strictly higher: stability. */
      while (a < mid && b < hi)
        to[o++] = score[from[b]] > score[from[a]] ? from[b++] : from[a++];
      while (a < mid)
        to[o++] = from[a++];
      while (b < hi)
        to[o++] = from[b++];
    }
    uint32_t *t = from;
    from = to;
    to = t;
  }
  if (from != idx)
    memcpy (idx, from, n * sizeof idx[0]);
}
