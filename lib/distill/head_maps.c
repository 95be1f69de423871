#include "distill/head_maps.h"

#include <string.h>

int
dd_maps_planes (const dd_head_maps *m, dd_map_heads head)
{
  switch (head) {
    case DD_MAPS_CENTER: return m->n_classes;
    case DD_MAPS_SIZE: return 2;
    case DD_MAPS_OFFSET: return 2;
    case DD_MAPS_KEYPOINT_HEATMAP: return m->n_keypoints;
    case DD_MAPS_KEYPOINT_OFFSET: return 2 * m->n_keypoints;
    default: return 0;
  }
}

static float **
head_slot (dd_head_maps *m, dd_map_heads head)
{
  switch (head) {
    case DD_MAPS_CENTER: return &m->center;
    case DD_MAPS_SIZE: return &m->size;
    case DD_MAPS_OFFSET: return &m->offset;
    case DD_MAPS_KEYPOINT_HEATMAP: return &m->keypoint_heatmap;
    case DD_MAPS_KEYPOINT_OFFSET: return &m->keypoint_offset;
    default: return NULL;
  }
}

float *
dd_maps_data (const dd_head_maps *m, dd_map_heads head)
{
  float **slot = head_slot ((dd_head_maps *) m, head);
  return slot != NULL && dd_maps_planes (m, head) > 0 ? *slot : NULL;
}

unsigned
dd_maps_present (const dd_head_maps *m)
{
  unsigned present = 0;
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1)
    if (dd_maps_data (m, head) != NULL)
      present |= head;
  return present;
}

void
dd_maps_init (dd_head_maps *m, int h, int w, int stride, int n_classes,
    int n_keypoints, unsigned heads)
{
  memset (m, 0, sizeof *m);
  m->h = h;
  m->w = w;
  m->stride = stride;
  m->n_classes = n_classes;
  m->n_keypoints = n_keypoints;
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    int planes = dd_maps_planes (m, head);
    if ((heads & head) && planes > 0)
      *head_slot (m, head) = g_new0 (float, (size_t) planes * h * w);
  }
}

void
dd_maps_clear (dd_head_maps *m)
{
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1)
    g_free (*head_slot (m, head));
  memset (m, 0, sizeof *m);
}
