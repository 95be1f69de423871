#include "scene_maps.h"

#include <math.h>

void
scene_people (dd_rng *rng, int frame_w, int frame_h, int stride, int cols, int rows,
    int n_classes, scene_person *out)
{
  float cell_w = (float) frame_w / cols, cell_h = (float) frame_h / rows;
  for (int i = 0; i < cols * rows; i++) {
    scene_person *p = &out[i];
    float x0 = (i % cols) * cell_w, y0 = (i / cols) * cell_h;
    p->class_index = i % n_classes;
    p->score = dd_rng_range (rng, 0.3f, 0.95f);
    p->w = dd_rng_range (rng, 0.5f, 0.9f) * cell_w;
    p->h = dd_rng_range (rng, 0.5f, 0.9f) * cell_h;
    /* A centre at 0.2 to 0.8 of a map cell, the box inside the layout cell. */
    float cx = x0 + cell_w / 2 + dd_rng_range (rng, -0.1f, 0.1f) * (cell_w - p->w);
    float cy = y0 + cell_h / 2 + dd_rng_range (rng, -0.1f, 0.1f) * (cell_h - p->h);
    p->cx = (floorf (cx / stride) + dd_rng_range (rng, 0.2f, 0.8f)) * stride;
    p->cy = (floorf (cy / stride) + dd_rng_range (rng, 0.2f, 0.8f)) * stride;
    /* Keypoints inside the box, in cells of their own. */
    for (int k = 0; k < SCENE_KEYPOINTS; k++) {
      p->kx[k] = p->cx + dd_rng_range (rng, -0.4f, 0.4f) * p->w;
      p->ky[k] = p->cy - 0.4f * p->h + 0.8f * p->h * k / (SCENE_KEYPOINTS - 1);
      p->kscore[k] = dd_rng_range (rng, 0.2f, 0.9f);
    }
  }
}

/* Centred on (x, y) itself, scaled so the cell holding it is `peak`, as
 * the detector's targets are: the neighbours tell where in the cell it is. */
static float
gaussian_at_cell (int i, int j, float x, float y, int stride, float peak)
{
  float u = x / stride - 0.5f, v = y / stride - 0.5f;
  float pu = u - floorf (x / stride), pv = v - floorf (y / stride);
  float du = j - u, dv = i - v;
  return peak * expf (-(du * du + dv * dv - pu * pu - pv * pv) / 2.0f);
}

void
scene_draw (dd_head_maps *m, const scene_person *people, int n)
{
  size_t plane = (size_t) m->h * m->w;
  int s = m->stride;
  for (int i = 0; i < m->h; i++)
    for (int j = 0; j < m->w; j++) {
      size_t at = (size_t) i * m->w + j;
      float cx = (j + 0.5f) * s, cy = (i + 0.5f) * s, best = INFINITY;
      const scene_person *near = &people[0];
      for (int c = 0; c < m->n_classes; c++)
        m->center[c * plane + at] = 0.0f;
      for (int k = 0; k < m->n_keypoints; k++)
        m->keypoint_heatmap[k * plane + at] = 0.0f;
      for (int p = 0; p < n; p++) {
        const scene_person *q = &people[p];
        float *c = &m->center[q->class_index * plane + at];
        *c = fmaxf (*c, gaussian_at_cell (i, j, q->cx, q->cy, s, q->score));
        for (int k = 0; k < m->n_keypoints; k++) {
          float *h = &m->keypoint_heatmap[k * plane + at];
          *h = fmaxf (*h, gaussian_at_cell (i, j, q->kx[k], q->ky[k], s, q->kscore[k]));
        }
        float d = (q->cx - cx) * (q->cx - cx) + (q->cy - cy) * (q->cy - cy);
        if (d < best) {
          best = d;
          near = q;
        }
      }
      m->offset[at] = near->cx / s - j;
      m->offset[plane + at] = near->cy / s - i;
      m->size[at] = near->w;
      m->size[plane + at] = near->h;
      for (int k = 0; k < m->n_keypoints; k++) {
        m->keypoint_offset[2 * k * plane + at] = near->kx[k] - cx;
        m->keypoint_offset[(2 * k + 1) * plane + at] = near->ky[k] - cy;
      }
    }
}
