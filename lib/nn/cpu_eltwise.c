/* ReLU and sigmoid: y = f(x) elementwise, in the input's layout (padding
 * included: f(0) = 0 for ReLU keeps it zero, and oneDNN's logistic leaves
 * a blocked layout's padding zero). Their backward passes are plain loops
 * that add straight into the input's dy (or set it, when it holds only
 * zeros), one pass over memory:
 *   relu:    dx += dy * (y > 0)      (PyTorch masks with the output)
 *   sigmoid: dx += dy * y * (1 - y) */
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct eltwise_state {
  dd_cpu_layer base;
  dd_cpu_prim fwd;              /* sigmoid only */
  dnnl_memory_t src, dst;
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
  eltwise_state *s = state_of (l);
  dd_cpu_prim_free (&s->fwd);
  dd_cpu_mem_free (&s->src);
  dd_cpu_mem_free (&s->dst);
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
  eltwise_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_sigmoid_op, err, err_len);
  if (!s)
    return -1;
  const dnnl_memory_desc_t *x = dd_cpu_md (l->inputs[0]);
  dnnl_eltwise_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_eltwise_forward_desc_init (
                          &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                          dnnl_eltwise_logistic, x, 0.0f, 0.0f),
                      l, "forward descriptor", err, err_len)
      && dd_cpu_pd (cpu, &pd, &desc, NULL, NULL, l, "forward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->fwd, pd, l, "forward primitive", err, err_len);
  if (ok) {
    s->base.md = *dd_cpu_query (pd, dnnl_query_dst_md);
    ok = dd_cpu_layer_init (cpu, l, &s->base, err, err_len)
        && dd_cpu_mem (cpu, &s->src, x, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dst, &s->base.md, l, err, err_len);
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (!ok) {
    eltwise_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
sigmoid_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) training;
  eltwise_state *s = state_of (l);
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, l->inputs[0]->y)},
    {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)},
  };
  dd_cpu_prim_run (cpu, &s->fwd, l, "sigmoid forward", 2, args);
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
