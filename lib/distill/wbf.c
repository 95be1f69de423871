#include "distill/boxes.h"

/* A fused box: its members' score-weighted coordinate sums. */
typedef struct cluster {
  dd_box_candidate fused;       /* class, pass and source of the first member */
  double sum[4];
  double score_sum;
  int n;
} cluster;

static void
cluster_update (cluster *k)
{
  if (k->score_sum > 0.0)
    for (int c = 0; c < 4; c++)
      k->fused.box[c] = (float) (k->sum[c] / k->score_sum);
}

int
dd_wbf (const dd_box_candidate *c, int n, int n_passes, double iou_threshold,
    double skip_score, dd_box_candidate *out)
{
  int *order = g_new (int, MAX (n, 1));
  cluster *k = g_new0 (cluster, MAX (n, 1));
  int n_k = 0;
  dd_box_order_by_score (c, n, order);
  for (int a = 0; a < n; a++) {
    const dd_box_candidate *b = &c[order[a]];
    if (b->score < skip_score)
      continue;
    int match = -1;
    double best = iou_threshold;
    for (int i = 0; i < n_k; i++) {
      if (k[i].fused.class_index != b->class_index)
        continue;
      double iou = dd_box_iou (k[i].fused.box, b->box);
      if (iou > best) {
        best = iou;
        match = i;
      }
    }
    if (match < 0) {
      match = n_k++;
      k[match].fused = *b;
    }
    for (int i = 0; i < 4; i++)
      k[match].sum[i] += (double) b->score * b->box[i];
    k[match].score_sum += b->score;
    k[match].n++;
    cluster_update (&k[match]);
  }
  for (int i = 0; i < n_k; i++) {
    out[i] = k[i].fused;
    out[i].score = (float) (k[i].score_sum / k[i].n * MIN (k[i].n, n_passes)
        / n_passes);
  }
  g_free (order);
  g_free (k);
  return n_k;
}
