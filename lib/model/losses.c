#include "model/losses.h"

#include <math.h>

double
dd_focal_loss (const float *pred, const float *target, const float *ignored,
               size_t n, float weight, float *grad)
{
  double sum = 0.0;
  size_t positives = 0;
  for (size_t i = 0; i < n; i++)
    positives += target[i] == 1.0f;
  double norm = positives > 0 ? (double) positives : 1.0;
  for (size_t i = 0; i < n; i++) {
    if (ignored && ignored[i] != 0.0f && target[i] != 1.0f) {
      if (grad)
        grad[i] = 0.0f;
      continue;
    }
    double raw = pred[i];
    int clamped = !(raw > DD_FOCAL_CLAMP && raw < 1.0 - DD_FOCAL_CLAMP);
    /* Comparisons rather than fmin/fmax, so a NaN stays NaN and is seen. */
    double p = raw < DD_FOCAL_CLAMP ? DD_FOCAL_CLAMP
        : raw > 1.0 - DD_FOCAL_CLAMP ? 1.0 - DD_FOCAL_CLAMP : raw;
    double loss, dloss;
    if (target[i] == 1.0f) {
      double q = 1.0 - p;
      loss = -q * q * log (p);
      dloss = 2.0 * q * log (p) - q * q / p;
    } else {
      double neg = 1.0 - target[i];
      neg *= neg;
      neg *= neg;
      loss = -neg * p * p * log (1.0 - p);
      dloss = -neg * (2.0 * p * log (1.0 - p) - p * p / (1.0 - p));
    }
    sum += loss;
    if (grad)
      grad[i] = clamped ? 0.0f : (float) (weight * dloss / norm);
  }
  return weight * sum / norm;
}

double
dd_masked_l1_loss (const float *pred, const float *target, const float *mask,
                   size_t n, float weight, float *grad)
{
  double sum = 0.0, mask_sum = 0.0;
  for (size_t i = 0; i < n; i++)
    mask_sum += mask[i];
  double norm = mask_sum + 1e-4;
  for (size_t i = 0; i < n; i++) {
    double d = (double) pred[i] - target[i];
    sum += mask[i] * fabs (d);
    if (grad) {
      double sign = d > 0.0 ? 1.0 : d < 0.0 ? -1.0 : 0.0;
      grad[i] = (float) (weight * mask[i] * sign / norm);
    }
  }
  return weight * sum / norm;
}

void
dd_loss_weights_defaults (dd_loss_weights *w, int stride)
{
  *w = (dd_loss_weights) {
    .center = 1.0f,
    .size = 0.1f / (float) stride,
    .offset = 1.0f,
    .keypoint_heatmap = 1.0f,
    .keypoint_offset = 1.0f / (float) stride,
  };
}

void
dd_detector_loss (const dd_head_batch *pred, const dd_targets *targets,
                  const dd_loss_weights *w, dd_head_batch *grad, dd_loss_parts *parts)
{
  const dd_head_maps *p = &pred->maps[0];
  const dd_head_maps *t = &targets->value->maps[0];
  dd_head_maps *g = &grad->maps[0];
  size_t n = (size_t) pred->n;
  size_t centers = n * dd_head_maps_center_floats (p);
  size_t pairs = n * 2 * (size_t) p->h * p->w;
  size_t keypoints = n * dd_head_maps_keypoint_floats (p);
  parts->center = dd_focal_loss (p->center, t->center, NULL, centers, w->center,
                                 g->center);
  parts->size = dd_masked_l1_loss (p->size, t->size, targets->box_mask, pairs, w->size,
                                   g->size);
  parts->offset = dd_masked_l1_loss (p->offset, t->offset, targets->box_mask, pairs,
                                     w->offset, g->offset);
  parts->keypoint_heatmap = 0.0;
  parts->keypoint_offset = 0.0;
  if (keypoints > 0) {
    parts->keypoint_heatmap = dd_focal_loss (p->keypoint_heatmap, t->keypoint_heatmap,
                                             targets->keypoint_ignored, keypoints,
                                             w->keypoint_heatmap, g->keypoint_heatmap);
    parts->keypoint_offset = dd_masked_l1_loss (p->keypoint_offset, t->keypoint_offset,
                                                targets->keypoint_mask, 2 * keypoints,
                                                w->keypoint_offset, g->keypoint_offset);
  }
  parts->total = parts->center + parts->size + parts->offset + parts->keypoint_heatmap
      + parts->keypoint_offset;
}
