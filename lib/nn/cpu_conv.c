/* Convolution on oneDNN, as PyTorch's nn.Conv2d.
 *   x [N, C, H, W] in the input's layout; weight [O, C/groups, kh, kw]
 *   plain OIHW (GOIHW to oneDNN, the same bytes); bias [O];
 *   y [N, O, OH, OW] in the layout the forward kernel chose.
 * oneDNN counts dilation from 0 (dense), PyTorch from 1. In an inference
 * graph, fuse_add_input is a sum post-op (the output is created in that
 * input's layout and starts as a copy of it, or is it) and fuse_relu a
 * ReLU post-op after it. The kernels read their own blocked
 * weight layouts: forward keeps a reordered copy (made again only after the
 * parameters changed), backward-data reuses it when it wants the same
 * layout and reorders otherwise. Backward writes into the shared scratch
 * buffers and adds from there.
 *
 * 3x3 stride-1 convolutions on maps of at least 8x8 use oneDNN's Winograd
 * F(4x4, 3x3) kernels where it has them: still float32 throughout, about
 * 1.4-1.9x faster than direct on AVX-512 for the small preset's shapes,
 * and within 2e-6 (relative) of direct convolution, far inside the 1e-4
 * the tests ask. */
#include <stdlib.h>

#include "nn/cpu_private.h"

/* A copy of the weights in a kernel's layout. */
typedef struct weight_copy {
  dd_cpu_reorder r;             /* plain -> the kernel's layout; NULL prim: no copy */
  float *p;
  const float *of;              /* the weights it was made from, and when */
  uint64_t version;
  int valid;
} weight_copy;

typedef struct conv_state {
  dd_cpu_layer base;
  dnnl_memory_desc_t w_plain;
  dnnl_alg_kind_t alg;          /* of the forward; backward falls back to direct */

  dd_cpu_prim fwd;
  dnnl_memory_t src, w, bias, dst;
  weight_copy w_fwd;

  /* Training only. */
  dd_cpu_prim bwd_data;
  dnnl_memory_t bd_dsrc, bd_w, bd_ddst;
  int bd_uses_fwd_weights;
  weight_copy w_bwd;
  dd_cpu_accumulate dsrc_acc;

  dd_cpu_prim bwd_weights;
  dnnl_memory_t bw_src, bw_dw, bw_db, bw_ddst;
  size_t dw_floats;             /* kernel-layout dweight, rounded up to 16 */
  dd_cpu_accumulate dw_acc;
} conv_state;

static conv_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

/* The weights as the network holds them: [O, C/g, kh, kw], seen by oneDNN
 * as [g, O/g, C/g, kh, kw] when grouped. */
static dnnl_memory_desc_t
weight_md (const dd_layer *l, dnnl_format_tag_t tag)
{
  const dd_conv_attr *a = &l->conv;
  int g = a->groups, in_c = l->inputs[0]->out_shape.c;
  dnnl_memory_desc_t md;
  if (g == 1) {
    dnnl_dims_t dims = {a->out_channels, in_c, a->kh, a->kw};
    dnnl_memory_desc_init_by_tag (&md, 4, dims, dnnl_f32,
                                  tag == dnnl_format_tag_any ? tag : dnnl_oihw);
  } else {
    dnnl_dims_t dims = {g, a->out_channels / g, in_c / g, a->kh, a->kw};
    dnnl_memory_desc_init_by_tag (&md, 5, dims, dnnl_f32,
                                  tag == dnnl_format_tag_any ? tag : dnnl_goihw);
  }
  return md;
}

static dnnl_memory_desc_t
bias_md (const dd_layer *l)
{
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {l->conv.out_channels};
  dnnl_memory_desc_init_by_tag (&md, 1, dims, dnnl_f32, dnnl_a);
  return md;
}

/* Prepares a copy when the kernel's weight layout is not the plain one. */
static int
weight_copy_init (dd_cpu *cpu, weight_copy *c, const dd_layer *l,
                  const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *kernel,
                  char *err, size_t err_len)
{
  if (dd_cpu_same_md (plain, kernel))
    return 1;
  size_t n = dd_cpu_md_floats (kernel);
  if (!(c->p = dd_cpu_alloc_floats (n)))
    return dd_cpu_no_memory (l, "the reordered weights", n, err, err_len);
  return dd_cpu_reorder_init (cpu, &c->r, plain, kernel, 0, l, err, err_len);
}

/* The weights in the kernel's layout, reordered when they changed since
 * the copy was made (or always, with `always`). */
static const float *
weight_copy_get (dd_cpu *cpu, weight_copy *c, const dd_layer *l, int always)
{
  if (!c->p)
    return l->weight;
  if (always || !c->valid || c->of != l->weight || c->version != cpu->param_version) {
    dd_cpu_reorder_run (cpu, &c->r, l, l->weight, c->p);
    c->of = l->weight;
    c->version = cpu->param_version;
    c->valid = 1;
  }
  return c->p;
}

/* The copy the last forward used: backward differentiates that forward,
 * whatever was written to parameter memory since (zeroed gradients). */
static const float *
weight_copy_last (dd_cpu *cpu, weight_copy *c, const dd_layer *l)
{
  return c->valid ? c->p : weight_copy_get (cpu, c, l, 0);
}

static void
weight_copy_free (weight_copy *c)
{
  dd_cpu_reorder_free (&c->r);
  free (c->p);
  c->p = NULL;
}

static void
conv_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  conv_state *s = state_of (l);
  dd_cpu_prim_free (&s->fwd);
  dd_cpu_prim_free (&s->bwd_data);
  dd_cpu_prim_free (&s->bwd_weights);
  dnnl_memory_t *mems[] = {&s->src, &s->w, &s->bias, &s->dst, &s->bd_dsrc, &s->bd_w,
    &s->bd_ddst, &s->bw_src, &s->bw_dw, &s->bw_db, &s->bw_ddst};
  for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
    dd_cpu_mem_free (mems[i]);
  weight_copy_free (&s->w_fwd);
  weight_copy_free (&s->w_bwd);
  dd_cpu_accumulate_free (&s->dsrc_acc);
  dd_cpu_accumulate_free (&s->dw_acc);
  dd_cpu_state_free (l);
}

/* The fused layers inside the convolution: the residual add (summed onto
 * what dst holds), then the ReLU. The caller destroys *ops after the
 * primitive descriptor was made. */
static int
post_ops (dnnl_primitive_attr_t attr, const dd_layer *l, dnnl_post_ops_t *ops)
{
  return dnnl_post_ops_create (ops) == dnnl_success
      && (!l->conv.fuse_add_input || dnnl_post_ops_append_sum (*ops, 1.0f) == dnnl_success)
      && (!l->conv.fuse_relu
          || dnnl_post_ops_append_eltwise (*ops, 1.0f, dnnl_eltwise_relu, 0, 0)
          == dnnl_success)
      && dnnl_primitive_attr_set_post_ops (attr, *ops) == dnnl_success;
}

/* The output layout: the residual input's, which the sum reads, else
 * whatever the kernel prefers. */
static dnnl_memory_desc_t
dst_md (const dd_layer *l)
{
  return l->conv.fuse_add_input ? *dd_cpu_md (l->conv.fuse_add_input)
      : dd_cpu_any_md (l->out_shape);
}

/* Geometry in oneDNN's terms. */
typedef struct geometry {
  dnnl_dims_t strides, dilates, pad;
} geometry;

static geometry
geometry_of (const dd_layer *l)
{
  const dd_conv_attr *a = &l->conv;
  return (geometry) {
    .strides = {a->stride_h, a->stride_w},
    .dilates = {a->dilation_h - 1, a->dilation_w - 1},
    .pad = {a->pad_h, a->pad_w},
  };
}

/* Whether this is a convolution where Winograd is faster (3x3, stride 1,
 * dense, ungrouped, an output of at least 8x8: two 4x4 tiles each way) and
 * oneDNN has a Winograd kernel for it with these layouts and attributes. */
static int
winograd_pays (dd_cpu *cpu, const dd_layer *l, int training)
{
  const dd_conv_attr *a = &l->conv;
  if (a->kh != 3 || a->kw != 3 || a->stride_h != 1 || a->stride_w != 1
      || a->dilation_h != 1 || a->dilation_w != 1 || a->groups != 1
      || l->out_shape.h < 8 || l->out_shape.w < 8)
    return 0;
  geometry g = geometry_of (l);
  dnnl_memory_desc_t w_any = weight_md (l, dnnl_format_tag_any), b = bias_md (l);
  dnnl_memory_desc_t dst = dst_md (l);
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = dd_cpu_attr ();
  dnnl_post_ops_t ops = NULL;
  char ignored[8];
  int ok = attr && post_ops (attr, l, &ops)
      && dnnl_dilated_convolution_forward_desc_init (
          &desc, training ? dnnl_forward_training : dnnl_forward_inference,
          dnnl_convolution_winograd, dd_cpu_md (l->inputs[0]), &w_any,
          a->has_bias ? &b : NULL, &dst, g.strides, g.dilates, g.pad, g.pad) == dnnl_success
      && dd_cpu_pd (cpu, &pd, &desc, NULL, attr, l, "", ignored, sizeof ignored);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (ops)
    dnnl_post_ops_destroy (ops);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return ok;
}

/* Creates the forward primitive; *pd stays for the backward ones' hint. */
static int
prepare_forward (dd_cpu *cpu, dd_layer *l, int training, dnnl_primitive_desc_t *pd,
                 char *err, size_t err_len)
{
  conv_state *s = state_of (l);
  geometry g = geometry_of (l);
  dnnl_memory_desc_t w_any = weight_md (l, dnnl_format_tag_any), b = bias_md (l);
  dnnl_memory_desc_t dst = dst_md (l);
  dnnl_convolution_desc_t desc;
  dnnl_primitive_attr_t attr = dd_cpu_attr ();
  dnnl_post_ops_t ops = NULL;
  int ok = dd_cpu_ok (attr ? dnnl_success : dnnl_out_of_memory, l, "attributes", err,
                      err_len);
  if (ok)
    ok = post_ops (attr, l, &ops)
        || dd_cpu_ok (dnnl_out_of_memory, l, "post-ops (fused add and ReLU)", err, err_len);
  ok = ok
      && dd_cpu_ok (dnnl_dilated_convolution_forward_desc_init (
                        &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                        s->alg, dd_cpu_md (l->inputs[0]), &w_any,
                        l->conv.has_bias ? &b : NULL, &dst, g.strides, g.dilates, g.pad,
                        g.pad), l, "forward descriptor", err, err_len)
      && dd_cpu_pd (cpu, pd, &desc, NULL, attr, l, "forward primitive descriptor", err,
                    err_len)
      && dd_cpu_prim_init (cpu, &s->fwd, *pd, l, "forward primitive", err, err_len);
  if (ops)
    dnnl_post_ops_destroy (ops);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  if (!ok)
    return 0;
  s->base.md = *dd_cpu_query (*pd, dnnl_query_dst_md);
  const dnnl_memory_desc_t *w = dd_cpu_query (*pd, dnnl_query_weights_md);
  return dd_cpu_mem (cpu, &s->src, dd_cpu_md (l->inputs[0]), l, err, err_len)
      && dd_cpu_mem (cpu, &s->w, w, l, err, err_len)
      && (!l->conv.has_bias || dd_cpu_mem (cpu, &s->bias, &b, l, err, err_len))
      && dd_cpu_mem (cpu, &s->dst, &s->base.md, l, err, err_len)
      && weight_copy_init (cpu, &s->w_fwd, l, &s->w_plain, w, err, err_len);
}

/* Backward data writes the input gradient in the layout it prefers (the
 * input's own when it can read that well), into the input's dy or into
 * tmp_act (dd_cpu_grad_dst). */
static int
prepare_backward_data (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t fwd,
                       char *err, size_t err_len)
{
  conv_state *s = state_of (l);
  geometry g = geometry_of (l);
  const dd_layer *in = l->inputs[0];
  dnnl_memory_desc_t dsrc_any = dd_cpu_any_md (in->out_shape);
  dnnl_memory_desc_t w_any = weight_md (l, dnnl_format_tag_any);
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = 0;
  for (int direct = s->alg == dnnl_convolution_direct; !ok && direct < 2; direct++)
    ok = dd_cpu_ok (dnnl_dilated_convolution_backward_data_desc_init (
                        &desc, direct ? dnnl_convolution_direct : s->alg, &dsrc_any, &w_any,
                        &s->base.md, g.strides, g.dilates, g.pad, g.pad),
                    l, "backward-data descriptor", err, err_len)
        && dd_cpu_pd (cpu, &pd, &desc, fwd, NULL, l, "backward-data primitive descriptor",
                      err, err_len);
  ok = ok
      && dd_cpu_prim_init (cpu, &s->bwd_data, pd, l, "backward-data primitive", err,
                           err_len);
  if (ok) {
    const dnnl_memory_desc_t *dsrc = dd_cpu_query (pd, dnnl_query_diff_src_md);
    const dnnl_memory_desc_t *w = dd_cpu_query (pd, dnnl_query_weights_md);
    s->bd_uses_fwd_weights = dd_cpu_same_md (w, dd_cpu_query (fwd, dnnl_query_weights_md));
    ok = dd_cpu_mem (cpu, &s->bd_dsrc, dsrc, l, err, err_len)
        && dd_cpu_mem (cpu, &s->bd_w, w, l, err, err_len)
        && dd_cpu_mem (cpu, &s->bd_ddst, &s->base.md, l, err, err_len)
        && (s->bd_uses_fwd_weights
            || weight_copy_init (cpu, &s->w_bwd, l, &s->w_plain, w, err, err_len))
        && dd_cpu_reserve (&cpu->tmp_act, dd_cpu_md_floats (dsrc), l, err, err_len)
        && dd_cpu_accumulate_init (cpu, &s->dsrc_acc, dsrc, dd_cpu_md (in), l, err,
                                   err_len);
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

/* Backward weights writes dweight in the kernel's layout and dbias into
 * tmp_param. */
static int
prepare_backward_weights (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t fwd,
                          char *err, size_t err_len)
{
  conv_state *s = state_of (l);
  geometry g = geometry_of (l);
  dnnl_memory_desc_t w_any = weight_md (l, dnnl_format_tag_any), b = bias_md (l);
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  int ok = 0;
  for (int direct = s->alg == dnnl_convolution_direct; !ok && direct < 2; direct++)
    ok = dd_cpu_ok (dnnl_dilated_convolution_backward_weights_desc_init (
                        &desc, direct ? dnnl_convolution_direct : s->alg,
                        dd_cpu_md (l->inputs[0]), &w_any, l->conv.has_bias ? &b : NULL,
                        &s->base.md, g.strides, g.dilates, g.pad, g.pad),
                    l, "backward-weights descriptor", err, err_len)
        && dd_cpu_pd (cpu, &pd, &desc, fwd, NULL, l, "backward-weights primitive descriptor",
                      err, err_len);
  ok = ok
      && dd_cpu_prim_init (cpu, &s->bwd_weights, pd, l, "backward-weights primitive", err,
                           err_len);
  if (ok) {
    const dnnl_memory_desc_t *dw = dd_cpu_query (pd, dnnl_query_diff_weights_md);
    s->dw_floats = (dd_cpu_md_floats (dw) + 15) / 16 * 16;
    ok = dd_cpu_mem (cpu, &s->bw_src, dd_cpu_md (l->inputs[0]), l, err, err_len)
        && dd_cpu_mem (cpu, &s->bw_dw, dw, l, err, err_len)
        && (!l->conv.has_bias || dd_cpu_mem (cpu, &s->bw_db, &b, l, err, err_len))
        && dd_cpu_mem (cpu, &s->bw_ddst, &s->base.md, l, err, err_len)
        && dd_cpu_reserve (&cpu->tmp_param, s->dw_floats + (size_t) l->conv.out_channels,
                           l, err, err_len)
        && dd_cpu_accumulate_init (cpu, &s->dw_acc, dw, &s->w_plain, l, err, err_len);
  }
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

static int
conv_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  conv_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_conv_op, err, err_len);
  if (!s)
    return -1;
  s->w_plain = weight_md (l, dnnl_oihw);
  s->alg = winograd_pays (cpu, l, training) ? dnnl_convolution_winograd
      : dnnl_convolution_direct;
  dnnl_primitive_desc_t fwd = NULL;
  int ok = prepare_forward (cpu, l, training, &fwd, err, err_len)
      && dd_cpu_layer_init (cpu, l, &s->base, err, err_len)
      && (!training || (prepare_backward_data (cpu, l, fwd, err, err_len)
                        && prepare_backward_weights (cpu, l, fwd, err, err_len)));
  if (fwd)
    dnnl_primitive_desc_destroy (fwd);
  if (!ok) {
    conv_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
conv_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) training;
  conv_state *s = state_of (l);
  const float *w = weight_copy_get (cpu, &s->w_fwd, l, 0);
  const dd_layer *add = l->conv.fuse_add_input;
  if (add && add->y != l->y)
    dd_cpu_copy (l->y, add->y, l->act_floats);
  dnnl_exec_arg_t args[4] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->src, l->inputs[0]->y)},
    {DNNL_ARG_WEIGHTS, dd_cpu_bind (s->w, w)},
    {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)},
  };
  int n = 3;
  if (s->bias)
    args[n++] = (dnnl_exec_arg_t) {DNNL_ARG_BIAS, dd_cpu_bind (s->bias, l->bias)};
  dd_cpu_prim_run (cpu, &s->fwd, l, "convolution forward", n, args);
}

static void
backward_weights (dd_cpu *cpu, dd_layer *l)
{
  conv_state *s = state_of (l);
  float *dw = cpu->tmp_param.p, *db = dw + s->dw_floats;
  dnnl_exec_arg_t args[4] = {
    {DNNL_ARG_SRC, dd_cpu_bind (s->bw_src, l->inputs[0]->y)},
    {DNNL_ARG_DIFF_DST, dd_cpu_bind (s->bw_ddst, l->dy)},
    {DNNL_ARG_DIFF_WEIGHTS, dd_cpu_bind (s->bw_dw, dw)},
  };
  int n = 3;
  if (s->bw_db)
    args[n++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_BIAS, dd_cpu_bind (s->bw_db, db)};
  dd_cpu_prim_run (cpu, &s->bwd_weights, l, "convolution backward weights", n, args);
  dd_cpu_accumulate_run (cpu, &s->dw_acc, l, dw, l->dweight);
  if (s->bw_db)
    for (int o = 0; o < l->conv.out_channels; o++)
      l->dbias[o] += db[o];
}

static void
backward_data (dd_cpu *cpu, dd_layer *l)
{
  conv_state *s = state_of (l);
  dd_layer *in = l->inputs[0];
  const float *w = s->bd_uses_fwd_weights ? weight_copy_last (cpu, &s->w_fwd, l)
      : weight_copy_get (cpu, &s->w_bwd, l, 1);
  float *dx = dd_cpu_grad_dst (cpu, &s->dsrc_acc, in, cpu->tmp_act.p);
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_DIFF_DST, dd_cpu_bind (s->bd_ddst, l->dy)},
    {DNNL_ARG_WEIGHTS, dd_cpu_bind (s->bd_w, w)},
    {DNNL_ARG_DIFF_SRC, dd_cpu_bind (s->bd_dsrc, dx)},
  };
  dd_cpu_prim_run (cpu, &s->bwd_data, l, "convolution backward data", 3, args);
  dd_cpu_grad_finish (cpu, &s->dsrc_acc, l, in, dx);
}

/* An input whose dy is NULL (the network's image) gets no gradient. */
static void
conv_backward (dd_cpu *cpu, dd_layer *l)
{
  if (l->dweight)
    backward_weights (cpu, l);
  if (l->inputs[0]->dy)
    backward_data (cpu, l);
}

const dd_cpu_op dd_cpu_conv_op = {
  .prepare = conv_prepare,
  .forward = conv_forward,
  .backward = conv_backward,
  .release = conv_release,
};
