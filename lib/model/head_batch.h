/* The head maps of a batch of images in one allocation.
 *
 * Each head is one NCHW block for the whole batch, the layout the network
 * reads and writes: image i's planes follow image i-1's. maps[i] points
 * into those blocks, so maps[0].center is also the whole batch's centre
 * block, and an image's maps are an ordinary dd_head_maps for decoding.
 * The same shape serves the network's outputs, the loss gradients and the
 * training targets.
 */
#ifndef DD_MODEL_HEAD_BATCH_H
#define DD_MODEL_HEAD_BATCH_H

#include <stddef.h>

#include "model/detection.h"

typedef struct dd_head_batch {
  int n;                        /* images */
  dd_head_maps *maps;           /* n of them */
  size_t n_floats;              /* of the whole allocation */
  float *block;                 /* every head of every image */
} dd_head_batch;

/* NULL when out of memory or when a size is not positive (n_keypoints may
 * be 0: a box-only detector). */
dd_head_batch *dd_head_batch_new (int n, int h, int w, int stride,
                                  int n_classes, int n_keypoints);
void dd_head_batch_free (dd_head_batch *b);
void dd_head_batch_zero (dd_head_batch *b);

/* Floats per image in each head. */
size_t dd_head_maps_center_floats (const dd_head_maps *m);
size_t dd_head_maps_keypoint_floats (const dd_head_maps *m);

#endif
