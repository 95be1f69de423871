/* 2x upsampling on oneDNN's resampling, as PyTorch's nn.Upsample with
 * scale_factor 2: nearest (source index floor(dst / 2)) and bilinear with
 * align_corners=False (source coordinate (dst + 0.5) / 2 - 0.5, clamped at
 * the borders), which is oneDNN's linear resampling.
 *   x [N, C, H, W] -> y [N, C, 2H, 2W], in the input's layout.
 * Backward writes the input's dy, directly or through tmp_act
 * (dd_cpu_grad_dst). */
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct resample_state {
  dd_cpu_layer base;
  dd_cpu_prim fwd, bwd;
  dnnl_memory_t src, dst, ddst, dsrc;
  dd_cpu_accumulate dsrc_acc;
} resample_state;

static resample_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

static dnnl_alg_kind_t
alg_of (const dd_layer *l)
{
  return l->op == DD_OP_UPSAMPLE_NEAREST ? dnnl_resampling_nearest : dnnl_resampling_linear;
}

static void
resample_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  resample_state *s = state_of (l);
  dd_cpu_prim_free (&s->fwd);
  dd_cpu_prim_free (&s->bwd);
  dnnl_memory_t *mems[] = {&s->src, &s->dst, &s->ddst, &s->dsrc};
  for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
    dd_cpu_mem_free (mems[i]);
  dd_cpu_accumulate_free (&s->dsrc_acc);
  dd_cpu_state_free (l);
}

static int
prepare_backward (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t fwd, char *err,
                  size_t err_len)
{
  resample_state *s = state_of (l);
  dnnl_memory_desc_t dsrc_any = dd_cpu_any_md (l->inputs[0]->out_shape);
  dnnl_resampling_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_resampling_backward_desc_init (&desc, alg_of (l), NULL,
                                                          &dsrc_any, &s->base.md),
                      l, "backward descriptor", err, err_len)
      && dd_cpu_pd (cpu, &pd, &desc, fwd, NULL, l, "backward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->bwd, pd, l, "backward primitive", err, err_len);
  if (ok) {
    const dnnl_memory_desc_t *dsrc = dd_cpu_query (pd, dnnl_query_diff_src_md);
    ok = dd_cpu_mem (cpu, &s->ddst, &s->base.md, l, err, err_len)
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
resample_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  resample_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_upsample_op, err, err_len);
  if (!s)
    return -1;
  const dnnl_memory_desc_t *x = dd_cpu_md (l->inputs[0]);
  dnnl_memory_desc_t dst_any = dd_cpu_any_md (l->out_shape);
  dnnl_resampling_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_resampling_forward_desc_init (
                          &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                          alg_of (l), NULL, x, &dst_any),
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
    resample_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
resample_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) training;
  resample_state *s = state_of (l);
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, l->inputs[0]->y)},
    {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)},
  };
  dd_cpu_prim_run (cpu, &s->fwd, l, "upsample forward", 2, args);
}

static void
resample_backward (dd_cpu *cpu, dd_layer *l)
{
  resample_state *s = state_of (l);
  dd_layer *in = l->inputs[0];
  if (!in->dy)
    return;
  float *dx = dd_cpu_grad_dst (cpu, &s->dsrc_acc, in, cpu->tmp_act.p);
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_DIFF_DST, dd_cpu_bind (s->ddst, l->dy)},
    {DNNL_ARG_DIFF_SRC, dd_cpu_bind (s->dsrc, dx)},
  };
  dd_cpu_prim_run (cpu, &s->bwd, l, "upsample backward", 2, args);
  dd_cpu_grad_finish (cpu, &s->dsrc_acc, l, in, dx);
}

const dd_cpu_op dd_cpu_upsample_op = {
  .prepare = resample_prepare,
  .forward = resample_forward,
  .backward = resample_backward,
  .release = resample_release,
};
