#include "model/head_batch.h"

#include <stdlib.h>
#include <string.h>

size_t
dd_head_maps_center_floats (const dd_head_maps *m)
{
  return (size_t) m->n_classes * m->h * m->w;
}

size_t
dd_head_maps_keypoint_floats (const dd_head_maps *m)
{
  return (size_t) m->n_keypoints * m->h * m->w;
}

dd_head_batch *
dd_head_batch_new (int n, int h, int w, int stride, int n_classes, int n_keypoints)
{
  if (n < 1 || h < 1 || w < 1 || stride < 1 || n_classes < 1 || n_keypoints < 0)
    return NULL;
  size_t plane = (size_t) h * w;
  /* Per image: classes + size (2) + offset (2) + keypoints + 2 * keypoints. */
  size_t per_image = plane * ((size_t) n_classes + 4 + 3 * (size_t) n_keypoints);
  dd_head_batch *b = calloc (1, sizeof *b);
  if (!b)
    return NULL;
  b->n = n;
  b->n_floats = per_image * n;
  b->maps = calloc ((size_t) n, sizeof *b->maps);
  b->block = calloc (b->n_floats, sizeof *b->block);
  if (!b->maps || !b->block) {
    dd_head_batch_free (b);
    return NULL;
  }
  /* Head blocks in the order of dd_head_maps, each n images long. */
  float *center = b->block;
  float *size = center + plane * n_classes * n;
  float *offset = size + plane * 2 * n;
  float *kp_heat = offset + plane * 2 * n;
  float *kp_offset = kp_heat + plane * n_keypoints * n;
  for (int i = 0; i < n; i++) {
    b->maps[i] = (dd_head_maps) {
      .h = h, .w = w, .stride = stride,
      .n_classes = n_classes, .n_keypoints = n_keypoints,
      .center = center + plane * n_classes * i,
      .size = size + plane * 2 * i,
      .offset = offset + plane * 2 * i,
      .keypoint_heatmap = n_keypoints ? kp_heat + plane * n_keypoints * i : NULL,
      .keypoint_offset = n_keypoints ? kp_offset + plane * 2 * n_keypoints * i : NULL,
    };
  }
  return b;
}

void
dd_head_batch_free (dd_head_batch *b)
{
  if (!b)
    return;
  free (b->maps);
  free (b->block);
  free (b);
}

void
dd_head_batch_zero (dd_head_batch *b)
{
  memset (b->block, 0, b->n_floats * sizeof *b->block);
}
