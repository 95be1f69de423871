/* The detector's training losses (CenterNet, Zhou et al. 2019), each with
 * its gradient with respect to the head outputs.
 *
 * Heatmaps: the penalty-reduced pixel-wise focal loss on the sigmoid
 * outputs p against Gaussian targets y (targets.h), alpha = 2, beta = 4:
 *
 *   y = 1:  -(1 - p)^2 log p
 *   y < 1:  -(1 - y)^4 p^2 log(1 - p)
 *
 * summed over every cell and normalised by the number of objects, that is
 * the cells where y = 1 (at least one). Cells marked ignored add nothing
 * unless they are an object's (y = 1): a label that says "not known here"
 * is not a label that says "nothing here" (targets.h). As CenterNet, p is first clamped
 * to [1e-4, 1 - 1e-4], so the loss stays finite; where the clamp acts the
 * gradient is 0, as torch.clamp's.
 *
 * Regressions: masked L1, sum(mask * |pred - target|) / (sum(mask) + 1e-4),
 * CenterNet's RegL1Loss.
 *
 * Gradients are written (not accumulated) and already include the
 * weight. Sums are taken in double, so a batch's loss does not depend on
 * how large the batch is beyond rounding of the inputs.
 */
#ifndef DD_MODEL_LOSSES_H
#define DD_MODEL_LOSSES_H

#include <stddef.h>

#include "model/head_batch.h"
#include "model/targets.h"

#define DD_FOCAL_CLAMP 1e-4f

/* weight * focal loss of n values, leaving out the negatives where
 * `ignored` (n floats, or NULL: none) is not 0; grad (n floats, or NULL)
 * gets its gradient with respect to pred, 0 where left out. */
double dd_focal_loss (const float *pred, const float *target, const float *ignored,
                      size_t n, float weight, float *grad);

/* weight * masked L1 of n values; grad (n floats, or NULL) gets its
 * gradient with respect to pred (0 where pred equals target). */
double dd_masked_l1_loss (const float *pred, const float *target,
                          const float *mask, size_t n, float weight, float *grad);

typedef struct dd_loss_weights {
  float center, size, offset, keypoint_heatmap, keypoint_offset;
} dd_loss_weights;

/* CenterNet's weights (1 for the heatmaps and offsets, 0.1 for the box
 * size), which it applies to regressions in map cells; the maps here hold
 * sizes and keypoint offsets in input pixels, so those two are divided by
 * the stride to weigh the same. */
void dd_loss_weights_defaults (dd_loss_weights *w, int stride);

typedef struct dd_loss_parts {
  double center, size, offset, keypoint_heatmap, keypoint_offset;
  double total;
} dd_loss_parts;

/* The detector's loss over a batch: every part weighted and summed, with
 * the gradient of the total with respect to every head in `grad` (a batch
 * of the same shape as `pred`). Heatmap losses are normalised by the
 * objects (keypoints) of the whole batch, as CenterNet. */
void dd_detector_loss (const dd_head_batch *pred, const dd_targets *targets,
                       const dd_loss_weights *w, dd_head_batch *grad,
                       dd_loss_parts *parts);

#endif
