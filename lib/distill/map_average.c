#include "distill/map_average.h"

#include <string.h>

#include "distill/tta_maps.h"

static size_t
head_values (const dd_head_maps *m, unsigned head)
{
  return (size_t) dd_maps_planes (m, head) * m->h * m->w;
}

void
dd_map_average_init (dd_map_average *a, const dd_head_maps *frame, unsigned heads)
{
  memset (a, 0, sizeof *a);
  a->heads = heads;
  dd_maps_init (&a->mean, frame->h, frame->w, frame->stride,
      frame->n_classes, frame->n_keypoints, heads);
  dd_maps_init (&a->scratch, frame->h, frame->w, frame->stride,
      frame->n_classes, frame->n_keypoints, heads);
  a->heads = dd_maps_present (&a->mean);
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1)
    if (a->heads & head)
      a->n_values += head_values (&a->mean, head);
  a->sum = g_new0 (double, MAX (a->n_values, 1));
}

void
dd_map_average_clear (dd_map_average *a)
{
  dd_maps_clear (&a->mean);
  dd_maps_clear (&a->scratch);
  g_free (a->sum);
  memset (a, 0, sizeof *a);
}

void
dd_map_average_reset (dd_map_average *a)
{
  memset (a->sum, 0, sizeof (double) * a->n_values);
  a->n_passes = 0;
}

gboolean
dd_map_average_add (dd_map_average *a, const dd_tta_transform *t,
    const dd_flip_map *fm, const dd_head_maps *maps, GError **error)
{
  if (!dd_tta_maps_inverse (t, fm, maps, a->heads, &a->scratch, error))
    return FALSE;
  double *sum = a->sum;
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    if (!(a->heads & head))
      continue;
    const float *v = dd_maps_data (&a->scratch, head);
    size_t n = head_values (&a->scratch, head);
    for (size_t i = 0; i < n; i++)
      sum[i] += v[i];
    sum += n;
  }
  a->n_passes++;
  return TRUE;
}

const dd_head_maps *
dd_map_average_finish (dd_map_average *a)
{
  const double *sum = a->sum;
  double n = MAX (a->n_passes, 1);
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    if (!(a->heads & head))
      continue;
    float *v = dd_maps_data (&a->mean, head);
    size_t count = head_values (&a->mean, head);
    for (size_t i = 0; i < count; i++)
      v[i] = (float) (sum[i] / n);
    sum += count;
  }
  return &a->mean;
}
