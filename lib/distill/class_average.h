/* Classes by averaging: the mean of the passes' class probabilities, and
 * its argmax as the label (the paper's rule for classification). For a
 * detector with per-class centre heatmaps, a box's class probabilities are
 * the centre heatmaps at the cell that holds the box's centre: averaging the
 * passes' heatmaps on the frame grid, then reading them there, is the same
 * average. */
#ifndef DD_DISTILL_CLASS_AVERAGE_H
#define DD_DISTILL_CLASS_AVERAGE_H

#include "model/detection.h"

/* probs: n_passes rows of n_classes probabilities. Writes their mean to
 * `mean` and returns its argmax (the first of equal maxima). */
int dd_class_average (const float *probs, int n_passes, int n_classes,
    float *mean);

/* Writes maps->n_classes probabilities, from maps->center at the cell
 * holding the box's centre (clamped to the grid). */
void dd_class_probs_at_box (const dd_head_maps *maps, const float box[4],
    float *probs);

#endif
