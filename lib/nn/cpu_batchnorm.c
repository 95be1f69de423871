/* Batch norm on oneDNN, as PyTorch's nn.BatchNorm2d (affine, running
 * statistics).
 *   x, y [N, C, H, W] in the input's layout; gamma = weight [C],
 *   beta = bias [C]; y = (x - mean) * invstd * gamma + beta.
 * Training: oneDNN computes the batch mean and biased variance; this file
 * saves mean and invstd = 1/sqrt(var + eps) for backward and moves the
 * running averages with the UNBIASED variance, var * M / (M - 1) for
 * M = N*H*W values per channel, as PyTorch does:
 *   running = (1 - momentum) * running + momentum * batch.
 * Eval: the running statistics. Backward goes through the batch
 * statistics, recovering the variance from save_invstd. With fuse_relu
 * (a training setup's batch norm that computes the ReLU after it), oneDNN's
 * fused normalisation + ReLU: the training forward keeps where y > 0 in a
 * workspace, and backward masks dy with it. */
#include <math.h>
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct bn_state {
  dd_cpu_layer base;
  dd_cpu_prim train, eval, bwd;
  /* The primitives share these: same layouts. */
  dnnl_memory_t src, dst, scale, shift, mean, var;
  dnnl_memory_t ddst, dsrc, dscale, dshift;
  float *batch_var;             /* [C] */
  float *dparams;               /* [2C]: dgamma then dbeta of one backward */
  dnnl_memory_t ws;             /* fuse_relu: the training forward's ReLU mask */
  float *ws_data;
  dd_cpu_accumulate dsrc_acc;
} bn_state;

static bn_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

static void
bn_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  bn_state *s = state_of (l);
  dd_cpu_prim_free (&s->train);
  dd_cpu_prim_free (&s->eval);
  dd_cpu_prim_free (&s->bwd);
  dnnl_memory_t *mems[] = {&s->src, &s->dst, &s->scale, &s->shift, &s->mean, &s->var,
    &s->ddst, &s->dsrc, &s->dscale, &s->dshift, &s->ws};
  for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
    dd_cpu_mem_free (mems[i]);
  free (s->batch_var);
  free (s->dparams);
  free (s->ws_data);
  dd_cpu_accumulate_free (&s->dsrc_acc);
  dd_cpu_state_free (l);
}

static int
forward_prim (dd_cpu *cpu, dd_layer *l, dd_cpu_prim *p, int training,
              dnnl_primitive_desc_t *pd, char *err, size_t err_len)
{
  unsigned flags = dnnl_use_scale | dnnl_use_shift | (training ? 0 : dnnl_use_global_stats)
      | (l->bn.fuse_relu ? dnnl_fuse_norm_relu : 0);
  dnnl_batch_normalization_desc_t desc;
  return dd_cpu_ok (dnnl_batch_normalization_forward_desc_init (
                        &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                        dd_cpu_md (l->inputs[0]), l->bn.eps, flags),
                    l, "forward descriptor", err, err_len)
      && dd_cpu_pd (cpu, pd, &desc, NULL, NULL, l, "forward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, p, *pd, l, "forward primitive", err, err_len);
}

/* The ReLU mask the fused training forward writes and backward reads. */
static int
prepare_workspace (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t train, char *err,
                   size_t err_len)
{
  bn_state *s = state_of (l);
  const dnnl_memory_desc_t *ws = dd_cpu_query (train, dnnl_query_workspace_md);
  size_t floats = dnnl_memory_desc_get_size (ws) / sizeof (float) + 1;
  return ((s->ws_data = dd_cpu_alloc_floats (floats))
          || dd_cpu_no_memory (l, "the ReLU mask", floats, err, err_len))
      && dd_cpu_mem (cpu, &s->ws, ws, l, err, err_len);
}

static int
prepare_backward (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t train,
                  const dnnl_memory_desc_t *stat, char *err, size_t err_len)
{
  bn_state *s = state_of (l);
  const dnnl_memory_desc_t *x = dd_cpu_md (l->inputs[0]);
  size_t c = (size_t) l->out_shape.c;
  dnnl_batch_normalization_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = dd_cpu_ok (dnnl_batch_normalization_backward_desc_init (
                          &desc, dnnl_backward, &s->base.md, x, l->bn.eps,
                          dnnl_use_scale | dnnl_use_shift
                          | (l->bn.fuse_relu ? dnnl_fuse_norm_relu : 0)),
                      l, "backward descriptor", err, err_len)
      && dd_cpu_pd (cpu, &pd, &desc, train, NULL, l, "backward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->bwd, pd, l, "backward primitive", err, err_len);
  if (ok) {
    const dnnl_memory_desc_t *dsrc = dd_cpu_query (pd, dnnl_query_diff_src_md);
    ok = dd_cpu_mem (cpu, &s->ddst, &s->base.md, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dsrc, dsrc, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dscale, stat, l, err, err_len)
        && dd_cpu_mem (cpu, &s->dshift, stat, l, err, err_len)
        && ((s->dparams = dd_cpu_alloc_floats (2 * c))
            || dd_cpu_no_memory (l, "the parameter gradients", 2 * c, err, err_len))
        && dd_cpu_reserve (&cpu->tmp_act, dd_cpu_md_floats (dsrc), l, err, err_len)
        && dd_cpu_accumulate_init (cpu, &s->dsrc_acc, dsrc, x, l, err, err_len)
        && (!l->bn.fuse_relu || prepare_workspace (cpu, l, train, err, err_len));
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

static int
bn_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  bn_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_batchnorm_op, err, err_len);
  if (!s)
    return -1;
  size_t c = (size_t) l->out_shape.c;
  dnnl_memory_desc_t stat;
  dnnl_dims_t dims = {l->out_shape.c};
  dnnl_memory_desc_init_by_tag (&stat, 1, dims, dnnl_f32, dnnl_a);
  dnnl_primitive_desc_t eval = NULL, train = NULL;
  int ok = forward_prim (cpu, l, &s->eval, 0, &eval, err, err_len)
      && (!training || forward_prim (cpu, l, &s->train, 1, &train, err, err_len));
  if (ok) {
    s->base.md = *dd_cpu_query (eval, dnnl_query_dst_md);
    ok = dd_cpu_layer_init (cpu, l, &s->base, err, err_len)
        && dd_cpu_mem (cpu, &s->src, dd_cpu_md (l->inputs[0]), l, err, err_len)
        && dd_cpu_mem (cpu, &s->dst, &s->base.md, l, err, err_len)
        && dd_cpu_mem (cpu, &s->scale, &stat, l, err, err_len)
        && dd_cpu_mem (cpu, &s->shift, &stat, l, err, err_len)
        && dd_cpu_mem (cpu, &s->mean, &stat, l, err, err_len)
        && dd_cpu_mem (cpu, &s->var, &stat, l, err, err_len)
        && ((s->batch_var = dd_cpu_alloc_floats (c))
            || dd_cpu_no_memory (l, "the batch variance", c, err, err_len))
        && (!training || prepare_backward (cpu, l, train, &stat, err, err_len));
  }
  if (eval)
    dnnl_primitive_desc_destroy (eval);
  if (train)
    dnnl_primitive_desc_destroy (train);
  if (!ok) {
    bn_release (cpu, l);
    return -1;
  }
  return 0;
}

/* save_invstd, and the running averages PyTorch's way. */
static void
finish_batch_stats (dd_layer *l, const float *var)
{
  double m = (double) l->out_shape.n * l->out_shape.h * l->out_shape.w;
  double momentum = l->bn.momentum;
  for (int c = 0; c < l->out_shape.c; c++) {
    l->save_invstd[c] = (float) (1.0 / sqrt ((double) var[c] + l->bn.eps));
    /* prepare() checked m >= 2 for a training layer. */
    double unbiased = var[c] * m / (m - 1.0);
    l->running_mean[c] = (float) ((1.0 - momentum) * l->running_mean[c]
                                  + momentum * l->save_mean[c]);
    l->running_var[c] = (float) ((1.0 - momentum) * l->running_var[c] + momentum * unbiased);
  }
}

static void
bn_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  bn_state *s = state_of (l);
  if (training && !s->train.prim)
    dd_cpu_check (dnnl_invalid_arguments, l, "training forward of a layer prepared for "
                  "inference");
  dnnl_exec_arg_t args[7] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, l->inputs[0]->y)},
    {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)},
    {DNNL_ARG_SCALE, dd_cpu_bind (s->scale, l->weight)},
    {DNNL_ARG_SHIFT, dd_cpu_bind (s->shift, l->bias)},
    {DNNL_ARG_MEAN, dd_cpu_bind (s->mean, training ? l->save_mean : l->running_mean)},
    {DNNL_ARG_VARIANCE, dd_cpu_bind (s->var, training ? s->batch_var : l->running_var)},
  };
  int n = 6;
  if (training && s->ws)
    args[n++] = (dnnl_exec_arg_t) {DNNL_ARG_WORKSPACE, dd_cpu_bind (s->ws, s->ws_data)};
  dd_cpu_prim_run (cpu, training ? &s->train : &s->eval, l, "batch norm forward", n, args);
  if (training)
    finish_batch_stats (l, s->batch_var);
}

static void
bn_backward (dd_cpu *cpu, dd_layer *l)
{
  bn_state *s = state_of (l);
  dd_layer *in = l->inputs[0];
  int c = l->out_shape.c;
  /* Without an input gradient to keep, oneDNN still writes one: tmp_act. */
  float *dx = in->dy ? dd_cpu_grad_dst (cpu, &s->dsrc_acc, in, cpu->tmp_act.p)
      : cpu->tmp_act.p;
  /* invstd = 1/sqrt(var + eps), so var = 1/invstd^2 - eps. */
  for (int k = 0; k < c; k++) {
    double invstd = l->save_invstd[k];
    s->batch_var[k] = (float) (1.0 / (invstd * invstd) - l->bn.eps);
  }
  dnnl_exec_arg_t args[10] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, in->y)},
    {DNNL_ARG_MEAN, dd_cpu_bind (s->mean, l->save_mean)},
    {DNNL_ARG_VARIANCE, dd_cpu_bind (s->var, s->batch_var)},
    {DNNL_ARG_DIFF_DST, dd_cpu_bind (s->ddst, l->dy)},
    {DNNL_ARG_SCALE, dd_cpu_bind (s->scale, l->weight)},
    /* Unused by the math, but oneDNN asks for every argument of the flags. */
    {DNNL_ARG_SHIFT, dd_cpu_bind (s->shift, l->bias)},
    {DNNL_ARG_DIFF_SRC, dd_cpu_bind (s->dsrc, dx)},
    {DNNL_ARG_DIFF_SCALE, dd_cpu_bind (s->dscale, s->dparams)},
    {DNNL_ARG_DIFF_SHIFT, dd_cpu_bind (s->dshift, s->dparams + c)},
  };
  int n = 9;
  if (s->ws)
    args[n++] = (dnnl_exec_arg_t) {DNNL_ARG_WORKSPACE, dd_cpu_bind (s->ws, s->ws_data)};
  dd_cpu_prim_run (cpu, &s->bwd, l, "batch norm backward", n, args);
  for (int k = 0; k < c; k++) {
    l->dweight[k] += s->dparams[k];
    l->dbias[k] += s->dparams[c + k];
  }
  if (in->dy)
    dd_cpu_grad_finish (cpu, &s->dsrc_acc, l, in, dx);
}

const dd_cpu_op dd_cpu_batchnorm_op = {
  .prepare = bn_prepare,
  .forward = bn_forward,
  .backward = bn_backward,
  .release = bn_release,
};
