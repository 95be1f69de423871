/* Max-pool on oneDNN, as PyTorch's nn.MaxPool2d (square window, floor
 * rounding, padding never chosen: oneDNN skips padded positions, which is
 * padding with -inf).
 *   x [N, C, H, W] -> y [N, C, OH, OW], OH = (H + 2 pad - k) / stride + 1.
 * Training keeps oneDNN's workspace (where each maximum came from) for
 * backward, which writes the input's dy, directly or through tmp_act
 * (dd_cpu_grad_dst). */
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct pool_state {
  dd_cpu_layer base;
  dd_cpu_prim fwd, bwd;
  dnnl_memory_t src, dst, ws, ddst, dsrc;
  float *workspace;
  dd_cpu_accumulate dsrc_acc;
} pool_state;

static pool_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

static void
pool_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  pool_state *s = state_of (l);
  dd_cpu_prim_free (&s->fwd);
  dd_cpu_prim_free (&s->bwd);
  dnnl_memory_t *mems[] = {&s->src, &s->dst, &s->ws, &s->ddst, &s->dsrc};
  for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
    dd_cpu_mem_free (mems[i]);
  free (s->workspace);
  dd_cpu_accumulate_free (&s->dsrc_acc);
  dd_cpu_state_free (l);
}

static int
prepare_backward (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t fwd, char *err,
                  size_t err_len)
{
  pool_state *s = state_of (l);
  const dd_pool_attr *a = &l->pool;
  dnnl_dims_t strides = {a->stride, a->stride}, kernel = {a->k, a->k}, pad = {a->pad, a->pad};
  dnnl_memory_desc_t dsrc_any = dd_cpu_any_md (l->inputs[0]->out_shape);
  const dnnl_memory_desc_t *ws = dd_cpu_query (fwd, dnnl_query_workspace_md);
  size_t ws_floats = (dnnl_memory_desc_get_size (ws) + 3) / 4;
  dnnl_pooling_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_pooling_backward_desc_init (&desc, dnnl_pooling_max, &dsrc_any,
                                                       &s->base.md, strides, kernel, pad,
                                                       pad),
                      l, "backward descriptor", err, err_len)
      && dd_cpu_pd (cpu, &pd, &desc, fwd, NULL, l, "backward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->bwd, pd, l, "backward primitive", err, err_len);
  if (ok) {
    const dnnl_memory_desc_t *dsrc = dd_cpu_query (pd, dnnl_query_diff_src_md);
    ok = dd_cpu_mem (cpu, &s->ws, ws, l, err, err_len)
        && ((s->workspace = dd_cpu_alloc_floats (ws_floats))
            || dd_cpu_no_memory (l, "the max-pool workspace", ws_floats, err, err_len))
        && dd_cpu_mem (cpu, &s->ddst, &s->base.md, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dsrc, dsrc, l, err, err_len)
        && dd_cpu_reserve (&cpu->tmp_act, dd_cpu_md_floats (dsrc), l, err, err_len)
        && dd_cpu_accumulate_init (cpu, &s->dsrc_acc, dsrc, dd_cpu_md (l->inputs[0]), l,
                                   err, err_len);
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

static int
pool_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  pool_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_maxpool_op, err, err_len);
  if (!s)
    return -1;
  const dd_pool_attr *a = &l->pool;
  dnnl_dims_t strides = {a->stride, a->stride}, kernel = {a->k, a->k}, pad = {a->pad, a->pad};
  const dnnl_memory_desc_t *x = dd_cpu_md (l->inputs[0]);
  dnnl_memory_desc_t dst_any = dd_cpu_any_md (l->out_shape);
  dnnl_pooling_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_pooling_forward_desc_init (
                          &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                          dnnl_pooling_max, x, &dst_any, strides, kernel, pad, pad),
                      l, "forward descriptor", err, err_len)
      && dd_cpu_pd (cpu, &pd, &desc, NULL, NULL, l, "forward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->fwd, pd, l, "forward primitive", err, err_len);
  if (ok) {
    s->base.md = *dd_cpu_query (pd, dnnl_query_dst_md);
    ok = dd_cpu_layer_init (cpu, l, &s->base, err, err_len)
        && dd_cpu_mem (cpu, &s->src, x, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dst, &s->base.md, l, err, err_len)
        && (!training || prepare_backward (cpu, l, pd, err, err_len));
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (!ok) {
    pool_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
pool_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) training;
  pool_state *s = state_of (l);
  dnnl_exec_arg_t args[3] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, l->inputs[0]->y)},
    {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)},
  };
  int n = 2;
  /* A layer prepared for training always records where the maxima are. */
  if (s->ws)
    args[n++] = (dnnl_exec_arg_t) {DNNL_ARG_WORKSPACE, dd_cpu_bind (s->ws, s->workspace)};
  dd_cpu_prim_run (cpu, &s->fwd, l, "max-pool forward", n, args);
}

static void
pool_backward (dd_cpu *cpu, dd_layer *l)
{
  pool_state *s = state_of (l);
  dd_layer *in = l->inputs[0];
  if (!in->dy)
    return;
  float *dx = dd_cpu_grad_dst (cpu, &s->dsrc_acc, in, cpu->tmp_act.p);
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_DIFF_DST, dd_cpu_bind (s->ddst, l->dy)},
    {DNNL_ARG_WORKSPACE, dd_cpu_bind (s->ws, s->workspace)},
    {DNNL_ARG_DIFF_SRC, dd_cpu_bind (s->dsrc, dx)},
  };
  dd_cpu_prim_run (cpu, &s->bwd, l, "max-pool backward", 3, args);
  dd_cpu_grad_finish (cpu, &s->dsrc_acc, l, in, dx);
}

const dd_cpu_op dd_cpu_maxpool_op = {
  .prepare = pool_prepare,
  .forward = pool_forward,
  .backward = pool_backward,
  .release = pool_release,
};
