/* One image's training targets as the trainer encodes them, without
 * augmentation, for the tests of how labels become targets: the file
 * trainer's (tests/model/test_train_data.c) and ddtrain's
 * (tests/elements/test_train_item.c) must agree. */
#ifndef DD_TESTS_ENCODED_TARGETS_H
#define DD_TESTS_ENCODED_TARGETS_H

#include "data/augment.h"
#include "model/detector.h"
#include "model/targets.h"

/* Parameters that leave a side x side image as it is: no scale, flip or
 * colour change. */
static inline void
unaugmented (dd_augment_params *p, int side)
{
  dd_augment_params_init (p, side, side);
  p->scale_min = p->scale_max = 1.0;
  p->flip_probability = p->brightness = p->contrast = p->saturation = 0.0;
}

/* Targets for one side x side image of `det`. */
static inline dd_targets *
targets_for (const dd_detector *det, int side)
{
  int cells = side / det->stride;
  return dd_targets_new (1, cells, cells, det->stride, det->n_classes,
      det->n_keypoints);
}

/* The keypoint heatmap cells of `t` (from targets_for) the loss leaves out. */
static inline size_t
ignored_keypoint_cells (const dd_targets *t, const dd_detector *det, int side)
{
  int cells = side / det->stride;
  size_t n = 0;
  for (size_t i = 0; i < (size_t) det->n_keypoints * cells * cells; i++)
    n += t->keypoint_ignored[i] != 0.0f;
  return n;
}

#endif
