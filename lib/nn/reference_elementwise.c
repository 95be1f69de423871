/* The layers that touch each element on its own: ReLU, sigmoid, add, and
 * concat along channels. */
#include <math.h>
#include <string.h>

#include "nn/reference_ops.h"

void
dd_ref_relu_forward (dd_layer *l)
{
  const float *x = l->inputs[0]->y;
  for (size_t k = 0; k < l->act_floats; k++)
    l->y[k] = x[k] > 0.0f ? x[k] : 0.0f;
}

/* Reads its own output (y > 0 exactly where x > 0), so it stays right when
 * a caller ran the ReLU in place. */
void
dd_ref_relu_backward (dd_layer *l)
{
  float *dx = l->inputs[0]->dy;
  if (!dx)
    return;
  for (size_t k = 0; k < l->act_floats; k++)
    if (l->y[k] > 0.0f)
      dx[k] += l->dy[k];
}

void
dd_ref_sigmoid_forward (dd_layer *l)
{
  const float *x = l->inputs[0]->y;
  for (size_t k = 0; k < l->act_floats; k++)
    l->y[k] = (float) (1.0 / (1.0 + exp (-(double) x[k])));
}

/* d sigmoid / dx = y (1 - y). */
void
dd_ref_sigmoid_backward (dd_layer *l)
{
  float *dx = l->inputs[0]->dy;
  if (!dx)
    return;
  for (size_t k = 0; k < l->act_floats; k++)
    dx[k] += (float) ((double) l->dy[k] * l->y[k] * (1.0 - l->y[k]));
}

/* y = x0 + x1 + ..., added left to right in float as PyTorch's chained
 * additions do. */
void
dd_ref_add_forward (dd_layer *l)
{
  memcpy (l->y, l->inputs[0]->y, l->act_floats * sizeof (float));
  for (int i = 1; i < l->n_inputs; i++) {
    const float *x = l->inputs[i]->y;
    for (size_t k = 0; k < l->act_floats; k++)
      l->y[k] += x[k];
  }
}

/* Every input receives the whole gradient (twice if it is added twice). */
void
dd_ref_add_backward (dd_layer *l)
{
  for (int i = 0; i < l->n_inputs; i++) {
    float *dx = l->inputs[i]->dy;
    for (size_t k = 0; dx && k < l->act_floats; k++)
      dx[k] += l->dy[k];
  }
}

/* Concat along channels: per sample, input i's channels follow those of
 * inputs 0..i-1, so each input is one contiguous block of every sample. */
void
dd_ref_concat_forward (dd_layer *l)
{
  dd_shape os = l->out_shape;
  for (int n = 0; n < os.n; n++) {
    int c0 = 0;
    for (int i = 0; i < l->n_inputs; i++) {
      dd_shape is = l->inputs[i]->out_shape;
      size_t block = (size_t) is.c * is.h * is.w;
      memcpy (l->y + dd_ref_at (os, n, c0, 0, 0), l->inputs[i]->y + dd_ref_at (is, n, 0, 0, 0),
              block * sizeof (float));
      c0 += is.c;
    }
  }
}

void
dd_ref_concat_backward (dd_layer *l)
{
  dd_shape os = l->out_shape;
  for (int n = 0; n < os.n; n++) {
    int c0 = 0;
    for (int i = 0; i < l->n_inputs; i++) {
      dd_shape is = l->inputs[i]->out_shape;
      size_t block = (size_t) is.c * is.h * is.w;
      const float *g = l->dy + dd_ref_at (os, n, c0, 0, 0);
      float *dx = l->inputs[i]->dy;
      for (size_t k = 0; dx && k < block; k++)
        dx[dd_ref_at (is, n, 0, 0, 0) + k] += g[k];
      c0 += is.c;
    }
  }
}
