/* Overlap of detections with ground truth: box IoU as pycocotools'
 * maskApi.c bbIou, and object keypoint similarity as COCOeval.computeOks.
 * The arithmetic follows theirs operation for operation (same operands, same
 * order, double precision) so that values on a threshold fall on the same
 * side of it. */
#include "eval/eval_private.h"

#include <math.h>

void
dd_eval_box_iou (const dd_eval_cell *cell, double *overlaps)
{
  for (int g = 0; g < cell->n_gts; g++) {
    const double *G = cell->gts[g]->bbox;
    double ga = G[2] * G[3];
    gboolean crowd = cell->gts[g]->iscrowd != 0;
    for (int d = 0; d < cell->n_dts; d++) {
      const double *D = cell->dts[d]->bbox;
      double da = D[2] * D[3];
      double *o = &overlaps[d * cell->n_gts + g];
      *o = 0;
      double w = fmin (D[2] + D[0], G[2] + G[0]) - fmax (D[0], G[0]);
      if (w <= 0)
        continue;
      double h = fmin (D[3] + D[1], G[3] + G[1]) - fmax (D[1], G[1]);
      if (h <= 0)
        continue;
      double i = w * h;
      /* A crowd region stands for many objects: a detection covering part
       * of it is as good as its overlap with it, whatever the rest. */
      double u = crowd ? da : da + ga - i;
      *o = i / u;
    }
  }
}

/* Labelled keypoints: the mean similarity over them. */
static double
oks_labelled (const float *gk, const float *dk, const double *vars, double scale)
{
  double sum = 0;
  int n = 0;
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    if (!(gk[3 * k + 2] > 0))
      continue;
    double dx = (double) dk[3 * k] - gk[3 * k];
    double dy = (double) dk[3 * k + 1] - gk[3 * k + 1];
    double e = (dx * dx + dy * dy) / vars[k] / scale / 2;
    sum += exp (-e);
    n++;
  }
  return sum / n;
}

/* No labelled keypoint: each detected keypoint is measured by its distance
 * to the ground truth box grown by its width and height on every side (a
 * zero distance inside), averaged over all keypoints. */
static double
oks_unlabelled (const double *bb, const float *dk, const double *vars, double scale)
{
  double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
  double y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
  double sum = 0;
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    double xd = dk[3 * k], yd = dk[3 * k + 1];
    double dx = fmax (0, x0 - xd) + fmax (0, xd - x1);
    double dy = fmax (0, y0 - yd) + fmax (0, yd - y1);
    double e = (dx * dx + dy * dy) / vars[k] / scale / 2;
    sum += exp (-e);
  }
  return sum / DD_COCO_PERSON_KEYPOINTS;
}

/* The box around the detection's keypoints (all 17) or around the ground
 * truth's labelled ones. */
static void
extent (const float *kps, gboolean labelled_only, double box[4])
{
  box[0] = box[1] = G_MAXDOUBLE;
  box[2] = box[3] = -G_MAXDOUBLE;
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    if (labelled_only && !(kps[3 * k + 2] > 0))
      continue;
    box[0] = MIN (box[0], kps[3 * k]);
    box[1] = MIN (box[1], kps[3 * k + 1]);
    box[2] = MAX (box[2], kps[3 * k]);
    box[3] = MAX (box[3], kps[3 * k + 1]);
  }
}

/* TRUE when every labelled keypoint is so far from its detection that its
 * similarity is below 1/2, so the OKS is too: each distance is at least the
 * gap between the two keypoint boxes, and the largest sigma gives the
 * smallest exponent. The margin covers rounding. */
static gboolean
surely_below_half (const double *g, const double *d, double max_var, double scale)
{
  double gap_x = MAX (0, MAX (d[0] - g[2], g[0] - d[2]));
  double gap_y = MAX (0, MAX (d[1] - g[3], g[1] - d[3]));
  double least_e = (gap_x * gap_x + gap_y * gap_y) / max_var / scale / 2;
  return least_e > G_LN2 * (1 + 1e-9);
}

void
dd_eval_oks (const dd_eval_cell *cell, const double *sigmas, dd_eval_scratch *s)
{
  double vars[DD_COCO_PERSON_KEYPOINTS], max_var = 0;
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++) {
    vars[k] = (sigmas[k] * 2) * (sigmas[k] * 2);
    max_var = MAX (max_var, vars[k]);
  }
  for (int d = 0; d < cell->n_dts; d++)
    extent (cell->dts[d]->keypoints, FALSE, s->dt_extents + 4 * d);
  for (int g = 0; g < cell->n_gts; g++) {
    const dd_coco_annotation *gt = cell->gts[g];
    double scale = gt->area + DD_EVAL_SPACING_1;
    gboolean labelled = FALSE;
    for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS && !labelled; k++)
      labelled = gt->keypoints[3 * k + 2] > 0;
    double g_extent[4];
    extent (gt->keypoints, TRUE, g_extent);
    for (int d = 0; d < cell->n_dts; d++) {
      double *o = &s->overlaps[d * cell->n_gts + g];
      if (!labelled)
        *o = oks_unlabelled (gt->bbox, cell->dts[d]->keypoints, vars, scale);
      else if (surely_below_half (g_extent, s->dt_extents + 4 * d, max_var, scale))
        *o = 0;
      else
        *o = oks_labelled (gt->keypoints, cell->dts[d]->keypoints, vars, scale);
    }
  }
}
