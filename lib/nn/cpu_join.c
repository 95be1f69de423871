/* The layers that join several inputs.
 *
 * concat (along channels): oneDNN's concat, which picks the output layout
 * from the inputs'. Backward adds each input's channel slice of dy into its
 * dy with an accumulating reorder from a view of that slice. A blocked
 * layout can describe a slice only at whole channel blocks; otherwise dy
 * goes to plain NCHW first (tmp_act), where every slice is a view.
 *
 * add: y = sum of the inputs (same shape) in input 0's layout, by oneDNN's
 * sum, which also reads inputs in other layouts. Backward adds dy into
 * every input's dy. */
#include <stdlib.h>

#include "nn/cpu_private.h"

typedef struct join_state {
  dd_cpu_layer base;
  dd_cpu_prim fwd;
  dnnl_memory_t src[DD_LAYER_MAX_INPUTS], dst;
  /* concat: slice i of dy (or of its NCHW copy) -> input i's dy, adding */
  dd_cpu_reorder slice[DD_LAYER_MAX_INPUTS];
  int via_nchw;
  /* add: dy -> input i's dy, adding */
  dd_cpu_accumulate acc[DD_LAYER_MAX_INPUTS];
} join_state;

static join_state *
state_of (const dd_layer *l)
{
  return l->backend_state;
}

static void
join_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  join_state *s = state_of (l);
  dd_cpu_prim_free (&s->fwd);
  dd_cpu_mem_free (&s->dst);
  for (int i = 0; i < DD_LAYER_MAX_INPUTS; i++) {
    dd_cpu_mem_free (&s->src[i]);
    dd_cpu_reorder_free (&s->slice[i]);
    dd_cpu_accumulate_free (&s->acc[i]);
  }
  dd_cpu_state_free (l);
}

/* Finishes prepare() once pd chose the output layout. */
static int
prepare_common (dd_cpu *cpu, dd_layer *l, const_dnnl_primitive_desc_t pd,
                const dnnl_memory_desc_t *srcs, char *err, size_t err_len)
{
  join_state *s = state_of (l);
  s->base.md = *dd_cpu_query (pd, dnnl_query_dst_md);
  int ok = dd_cpu_prim_init (cpu, &s->fwd, pd, l, "forward primitive", err, err_len)
      && dd_cpu_layer_init (cpu, l, &s->base, err, err_len)
      && dd_cpu_mem (cpu, &s->dst, &s->base.md, l, err, err_len);
  for (int i = 0; ok && i < l->n_inputs; i++)
    ok = dd_cpu_mem (cpu, &s->src[i], &srcs[i], l, err, err_len);
  return ok;
}

static void
join_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) training;
  join_state *s = state_of (l);
  dnnl_exec_arg_t args[DD_LAYER_MAX_INPUTS + 1];
  for (int i = 0; i < l->n_inputs; i++)
    args[i] = (dnnl_exec_arg_t) {DNNL_ARG_MULTIPLE_SRC + i,
      dd_cpu_bind (s->src[i], l->inputs[i]->y)};
  args[l->n_inputs] = (dnnl_exec_arg_t) {DNNL_ARG_DST, dd_cpu_bind (s->dst, l->y)};
  dd_cpu_prim_run (cpu, &s->fwd, l, l->op == DD_OP_ADD ? "sum" : "concat",
                   l->n_inputs + 1, args);
}

/* ---- concat ---- */

/* The view of channels [offset, offset + c) of a tensor laid out as md. */
static int
channel_slice (dnnl_memory_desc_t *slice, const dnnl_memory_desc_t *md, dd_shape s,
               int offset, int c)
{
  dnnl_dims_t dims = {s.n, c, s.h, s.w}, offsets = {0, offset, 0, 0};
  return dnnl_memory_desc_init_submemory (slice, md, dims, offsets) == dnnl_success;
}

/* Accumulating reorders from every slice of `whole`; 0 when one of the
 * slices cannot be described or reordered in that layout. */
static int
slice_reorders (dd_cpu *cpu, dd_layer *l, const dnnl_memory_desc_t *whole, char *err,
                size_t err_len)
{
  join_state *s = state_of (l);
  int offset = 0;
  for (int i = 0; i < l->n_inputs; i++) {
    const dd_layer *in = l->inputs[i];
    dnnl_memory_desc_t slice;
    if (!channel_slice (&slice, whole, l->out_shape, offset, in->out_shape.c)
        || !dd_cpu_reorder_init (cpu, &s->slice[i], &slice, dd_cpu_md (in), 1, l, err,
                                 err_len))
      return 0;
    offset += in->out_shape.c;
  }
  return 1;
}

static int
concat_prepare_backward (dd_cpu *cpu, dd_layer *l, char *err, size_t err_len)
{
  join_state *s = state_of (l);
  if (slice_reorders (cpu, l, &s->base.md, err, err_len))
    return 1;
  for (int i = 0; i < l->n_inputs; i++)
    dd_cpu_reorder_free (&s->slice[i]);
  dnnl_memory_desc_t nchw = dd_cpu_nchw_md (l->out_shape);
  s->via_nchw = 1;
  return slice_reorders (cpu, l, &nchw, err, err_len)
      && dd_cpu_reserve (&cpu->tmp_act, dd_shape_numel (l->out_shape), l, err, err_len);
}

static int
concat_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  join_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_concat_op, err, err_len);
  if (!s)
    return -1;
  dnnl_memory_desc_t srcs[DD_LAYER_MAX_INPUTS], dst_any = dd_cpu_any_md (l->out_shape);
  for (int i = 0; i < l->n_inputs; i++)
    srcs[i] = *dd_cpu_md (l->inputs[i]);
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = dd_cpu_attr ();
  int ok = dd_cpu_ok (attr ? dnnl_concat_primitive_desc_create (&pd, &dst_any, l->n_inputs, 1,
                                                                srcs, attr, cpu->engine)
                      : dnnl_out_of_memory, l, "concat primitive descriptor", err, err_len)
      && prepare_common (cpu, l, pd, srcs, err, err_len)
      && (!training || concat_prepare_backward (cpu, l, err, err_len));
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (!ok) {
    join_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
concat_backward (dd_cpu *cpu, dd_layer *l)
{
  join_state *s = state_of (l);
  const float *dy = l->dy;
  if (s->via_nchw) {
    dd_cpu_reorder r = {.p = {.prim = s->base.to_nchw}, .src = s->base.mem_md,
      .dst = s->base.mem_nchw};
    dd_cpu_reorder_run (cpu, &r, l, dy, cpu->tmp_act.p);
    dy = cpu->tmp_act.p;
  }
  for (int i = 0; i < l->n_inputs; i++)
    if (l->inputs[i]->dy) {
      dd_cpu_reorder_run (cpu, &s->slice[i], l, dy, l->inputs[i]->dy);
      dd_cpu_note_dy_written (cpu, l->inputs[i]);
    }
}

/* ---- add ---- */

static int
add_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  join_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_add_op, err, err_len);
  if (!s)
    return -1;
  dnnl_memory_desc_t srcs[DD_LAYER_MAX_INPUTS];
  float scales[DD_LAYER_MAX_INPUTS];
  for (int i = 0; i < l->n_inputs; i++) {
    srcs[i] = *dd_cpu_md (l->inputs[i]);
    scales[i] = 1.0f;
  }
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = dd_cpu_attr ();
  int ok = dd_cpu_ok (attr ? dnnl_sum_primitive_desc_create (&pd, &srcs[0], l->n_inputs, scales,
                                                             srcs, attr, cpu->engine)
                      : dnnl_out_of_memory, l, "sum primitive descriptor", err, err_len)
      && prepare_common (cpu, l, pd, srcs, err, err_len);
  for (int i = 0; ok && training && i < l->n_inputs; i++)
    ok = dd_cpu_accumulate_init (cpu, &s->acc[i], &s->base.md, &srcs[i], l, err, err_len);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (!ok) {
    join_release (cpu, l);
    return -1;
  }
  return 0;
}

/* An input whose dy holds zeros and has this layout gets a copy. */
static void
add_backward (dd_cpu *cpu, dd_layer *l)
{
  join_state *s = state_of (l);
  for (int i = 0; i < l->n_inputs; i++) {
    const dd_layer *in = l->inputs[i];
    if (!in->dy)
      continue;
    if (dd_cpu_grad_dst (cpu, &s->acc[i], in, NULL) == in->dy)
      dd_cpu_copy (in->dy, l->dy, l->act_floats);
    else
      dd_cpu_accumulate_run (cpu, &s->acc[i], l, l->dy, in->dy);
    dd_cpu_note_dy_written (cpu, in);
  }
}

const dd_cpu_op dd_cpu_concat_op = {
  .prepare = concat_prepare,
  .forward = join_forward,
  .backward = concat_backward,
  .release = join_release,
};

const dd_cpu_op dd_cpu_add_op = {
  .prepare = add_prepare,
  .forward = join_forward,
  .backward = add_backward,
  .release = join_release,
};
