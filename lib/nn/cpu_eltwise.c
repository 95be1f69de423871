/* ReLU and sigmoid: y = f(x) elementwise, in the input's layout. Plain
 * loops, on oneDNN's OpenMP threads:
 *   relu:    over every float, padding included (f(0) = 0 keeps it zero);
 *   sigmoid: over the real channels only, writing zeros into a blocked
 *            layout's padding. oneDNN's own logistic runs its slow
 *            reference kernel on a padded layout (the heads' 1 and 17
 *            channels), and this loop is as fast as libm's expf.
 * Their backward passes add straight into the input's dy (or set it, when
 * it holds only zeros), one pass over memory:
 *   relu:    dx += dy * (y > 0)      (PyTorch masks with the output)
 *   sigmoid: dx += dy * y * (1 - y) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct eltwise_state {
  dd_cpu_layer base;
  dd_cpu_walk walk;
} eltwise_state;

static eltwise_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

static void
eltwise_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  dd_cpu_state_free (l);
}

static int
relu_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  (void) training;
  eltwise_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_relu_op, err, err_len);
  if (!s)
    return -1;
  s->base.md = *dd_cpu_md (l->inputs[0]);
  if (!dd_cpu_layer_init (cpu, l, &s->base, err, err_len)) {
    eltwise_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
relu_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) cpu;
  (void) training;
  const float *restrict x = l->inputs[0]->y;
  float *restrict y = l->y;
  size_t n = l->act_floats;
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* Both loads unconditional, so the select vectorises instead of branching
 * on the sign of every element. */
static void
relu_backward (dd_cpu *cpu, dd_layer *l)
{
  const float *restrict y = l->y, *restrict dy = l->dy;
  float *restrict dx = l->inputs[0]->dy;
  size_t n = l->act_floats;
  if (!dx)
    return;
  if (dd_cpu_dy_is_zero (cpu, l->inputs[0])) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
      float g = dy[i];
      dx[i] = y[i] > 0.0f ? g : 0.0f;
    }
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
      float g = dy[i];
      dx[i] += y[i] > 0.0f ? g : 0.0f;
    }
  }
  dd_cpu_note_dy_written (cpu, l->inputs[0]);
}

static int
sigmoid_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  (void) training;
  eltwise_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_sigmoid_op, err, err_len);
  if (!s)
    return -1;
  s->base.md = *dd_cpu_md (l->inputs[0]);
  if (!dd_cpu_channel_walk (&s->walk, &s->base.md)) {
    snprintf (err, err_len, "layer '%s': sigmoid reads plain or channel-blocked layouts; "
              "input '%s' has another (a layout this backend does not produce: report it)",
              l->name, l->inputs[0]->name);
    eltwise_release (cpu, l);
    return -1;
  }
  if (!dd_cpu_layer_init (cpu, l, &s->base, err, err_len)) {
    eltwise_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
sigmoid_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) cpu;
  (void) training;
  const eltwise_state *s = state_of (l);
  const float *restrict x = l->inputs[0]->y;
  float *restrict y = l->y;
  dd_shape sh = l->out_shape;
  const dd_cpu_walk *wk = &s->walk;
  int block = wk->block, blocks = (sh.c + block - 1) / block;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < sh.n; n++)
    for (int cb = 0; cb < blocks; cb++) {
      int lanes = sh.c - cb * block < block ? sh.c - cb * block : block;
      for (int h = 0; h < sh.h; h++)
        for (int w = 0; w < sh.w; w++) {
          size_t at = (size_t) (n * wk->stride[0] + cb * wk->stride[1] + h * wk->stride[2]
                                + w * wk->stride[3]);
          for (int k = 0; k < block; k++)
            y[at + k] = k < lanes ? 1.0f / (1.0f + expf (-x[at + k])) : 0.0f;
        }
    }
}

static void
sigmoid_backward (dd_cpu *cpu, dd_layer *l)
{
  const float *restrict y = l->y, *restrict dy = l->dy;
  float *restrict dx = l->inputs[0]->dy;
  size_t n = l->act_floats;
  if (!dx)
    return;
  if (dd_cpu_dy_is_zero (cpu, l->inputs[0])) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
      dx[i] = dy[i] * y[i] * (1.0f - y[i]);
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
      dx[i] += dy[i] * y[i] * (1.0f - y[i]);
  }
  dd_cpu_note_dy_written (cpu, l->inputs[0]);
}

const dd_cpu_op dd_cpu_relu_op = {
  .prepare = relu_prepare,
  .forward = relu_forward,
  .backward = relu_backward,
  .release = eltwise_release,
};

const dd_cpu_op dd_cpu_sigmoid_op = {
  .prepare = sigmoid_prepare,
  .forward = sigmoid_forward,
  .backward = sigmoid_backward,
  .release = eltwise_release,
};
