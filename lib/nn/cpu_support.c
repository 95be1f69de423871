/* Helpers of the cpu backend: errors, buffers, memory objects, primitives
 * with the shared scratchpad, reorders and accumulation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl_debug.h>

#include "nn/cpu_private.h"

/* 64 bytes: a cache line and an AVX-512 vector. */
#define CPU_ALIGN 64

static const char *
advice (dnnl_status_t s)
{
  switch (s) {
    case dnnl_unimplemented:
      return " (oneDNN has no implementation for this shape and attributes on this CPU)";
    case dnnl_out_of_memory:
      return " (free memory or use a smaller batch)";
    case dnnl_invalid_arguments:
      return " (the layer's shapes or attributes are inconsistent)";
    default:
      return "";
  }
}

int
dd_cpu_ok (dnnl_status_t s, const dd_layer *l, const char *what, char *err, size_t err_len)
{
  if (s == dnnl_success)
    return 1;
  snprintf (err, err_len, "layer '%s' (%s): oneDNN %s failed: %s%s", l->name,
            dd_op_name (l->op), what, dnnl_status2str (s), advice (s));
  return 0;
}

void
dd_cpu_check (dnnl_status_t s, const dd_layer *l, const char *what)
{
  if (s == dnnl_success)
    return;
  fprintf (stderr, "cpu backend: layer '%s': oneDNN %s failed: %s; results are undefined "
           "from here on, stopping\n", l ? l->name : "(none)", what, dnnl_status2str (s));
  abort ();
}

int
dd_cpu_no_memory (const dd_layer *l, const char *what, size_t floats, char *err,
                  size_t err_len)
{
  snprintf (err, err_len, "layer '%s': out of host memory for %s (%.1f MB)", l->name,
            what, floats * 4.0 / 1e6);
  return 0;
}

float *
dd_cpu_alloc_floats (size_t n)
{
  if (n > (SIZE_MAX - CPU_ALIGN) / sizeof (float))
    return NULL;
  size_t bytes = (n * sizeof (float) + CPU_ALIGN - 1) / CPU_ALIGN * CPU_ALIGN;
  return aligned_alloc (CPU_ALIGN, bytes ? bytes : CPU_ALIGN);
}

int
dd_cpu_reserve (dd_cpu_buffer *b, size_t n, const dd_layer *l, char *err, size_t err_len)
{
  if (n <= b->floats)
    return 1;
  float *p = dd_cpu_alloc_floats (n);
  if (!p)
    return dd_cpu_no_memory (l, "scratch memory", n, err, err_len);
  free (b->p);
  b->p = p;
  b->floats = n;
  return 1;
}

size_t
dd_cpu_md_floats (const dnnl_memory_desc_t *md)
{
  return dnnl_memory_desc_get_size (md) / sizeof (float);
}

static dnnl_memory_desc_t
md_with_tag (dd_shape s, dnnl_format_tag_t tag)
{
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {s.n, s.c, s.h, s.w};
  /* Cannot fail for 4 positive dims and a 4-d tag. */
  dnnl_memory_desc_init_by_tag (&md, 4, dims, dnnl_f32, tag);
  return md;
}

dnnl_memory_desc_t
dd_cpu_nchw_md (dd_shape s)
{
  return md_with_tag (s, dnnl_nchw);
}

dnnl_memory_desc_t
dd_cpu_any_md (dd_shape s)
{
  return md_with_tag (s, dnnl_format_tag_any);
}

int
dd_cpu_same_md (const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b)
{
  return dnnl_memory_desc_equal (a, b);
}

int
dd_cpu_mem (dd_cpu *cpu, dnnl_memory_t *m, const dnnl_memory_desc_t *md, const dd_layer *l,
            char *err, size_t err_len)
{
  return dd_cpu_ok (dnnl_memory_create (m, md, cpu->engine, DNNL_MEMORY_NONE), l,
                    "memory object creation", err, err_len);
}

dnnl_memory_t
dd_cpu_bind (dnnl_memory_t m, const float *p)
{
  void *now = NULL;
  dnnl_memory_get_data_handle (m, &now);
  if (now != p)
    dd_cpu_check (dnnl_memory_set_data_handle (m, (void *) p), NULL, "set_data_handle");
  return m;
}

void
dd_cpu_mem_free (dnnl_memory_t *m)
{
  if (*m)
    dnnl_memory_destroy (*m);
  *m = NULL;
}

dnnl_primitive_attr_t
dd_cpu_attr (void)
{
  dnnl_primitive_attr_t attr;
  if (dnnl_primitive_attr_create (&attr) != dnnl_success)
    return NULL;
  if (dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user)
      != dnnl_success
      || dnnl_primitive_attr_set_fpmath_mode (attr, dnnl_fpmath_mode_strict) != dnnl_success) {
    dnnl_primitive_attr_destroy (attr);
    return NULL;
  }
  return attr;
}

int
dd_cpu_pd (dd_cpu *cpu, dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t desc,
           const_dnnl_primitive_desc_t hint, const dnnl_primitive_attr_t attr,
           const dd_layer *l, const char *what, char *err, size_t err_len)
{
  dnnl_primitive_attr_t own = attr ? NULL : dd_cpu_attr ();
  if (!attr && !own)
    return dd_cpu_ok (dnnl_out_of_memory, l, "attribute creation", err, err_len);
  dnnl_status_t s = dnnl_primitive_desc_create (pd, desc, attr ? attr : own, cpu->engine,
                                                hint);
  if (own)
    dnnl_primitive_attr_destroy (own);
  if (s != dnnl_success)
    *pd = NULL;
  return dd_cpu_ok (s, l, what, err, err_len);
}

const dnnl_memory_desc_t *
dd_cpu_query (const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
  return dnnl_primitive_desc_query_md (pd, what, 0);
}

int
dd_cpu_prim_init (dd_cpu *cpu, dd_cpu_prim *p, const_dnnl_primitive_desc_t pd,
                  const dd_layer *l, const char *what, char *err, size_t err_len)
{
  const dnnl_memory_desc_t *pad_md = dd_cpu_query (pd, dnnl_query_scratchpad_md);
  size_t pad_floats = pad_md ? (dnnl_memory_desc_get_size (pad_md) + 3) / 4 : 0;
  if (!dd_cpu_ok (dnnl_primitive_create (&p->prim, pd), l, what, err, err_len))
    return 0;
  if (pad_floats == 0)
    return 1;
  return dd_cpu_reserve (&cpu->scratchpad, pad_floats, l, err, err_len)
      && dd_cpu_mem (cpu, &p->scratchpad, pad_md, l, err, err_len);
}

void
dd_cpu_prim_run (dd_cpu *cpu, const dd_cpu_prim *p, const dd_layer *l, const char *what,
                 int n_args, const dnnl_exec_arg_t *args)
{
  dnnl_exec_arg_t all[DD_CPU_MAX_ARGS + 1];
  memcpy (all, args, (size_t) n_args * sizeof *args);
  if (p->scratchpad)
    all[n_args++] = (dnnl_exec_arg_t) {DNNL_ARG_SCRATCHPAD,
      dd_cpu_bind (p->scratchpad, cpu->scratchpad.p)};
  dd_cpu_check (dnnl_primitive_execute (p->prim, cpu->stream, n_args, all), l, what);
}

void
dd_cpu_prim_free (dd_cpu_prim *p)
{
  if (p->prim)
    dnnl_primitive_destroy (p->prim);
  dd_cpu_mem_free (&p->scratchpad);
  p->prim = NULL;
}

int
dd_cpu_reorder_init (dd_cpu *cpu, dd_cpu_reorder *r, const dnnl_memory_desc_t *src_md,
                     const dnnl_memory_desc_t *dst_md, int accumulate, const dd_layer *l,
                     char *err, size_t err_len)
{
  dnnl_primitive_attr_t attr = dd_cpu_attr ();
  dnnl_post_ops_t ops = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t s = attr ? dnnl_success : dnnl_out_of_memory;
  if (s == dnnl_success && accumulate) {
    s = dnnl_post_ops_create (&ops);
    if (s == dnnl_success)
      s = dnnl_post_ops_append_sum (ops, 1.0f);
    if (s == dnnl_success)
      s = dnnl_primitive_attr_set_post_ops (attr, ops);
  }
  if (s == dnnl_success)
    s = dnnl_reorder_primitive_desc_create (&pd, src_md, cpu->engine, dst_md, cpu->engine,
                                            attr);
  if (ops)
    dnnl_post_ops_destroy (ops);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  int ok = dd_cpu_ok (s, l, accumulate ? "accumulating reorder" : "reorder", err, err_len)
      && dd_cpu_prim_init (cpu, &r->p, pd, l, "reorder", err, err_len)
      && dd_cpu_mem (cpu, &r->src, src_md, l, err, err_len)
      && dd_cpu_mem (cpu, &r->dst, dst_md, l, err, err_len);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

void
dd_cpu_reorder_run (dd_cpu *cpu, const dd_cpu_reorder *r, const dd_layer *l,
                    const float *src, float *dst)
{
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_FROM, dd_cpu_bind (r->src, src)},
    {DNNL_ARG_TO, dd_cpu_bind (r->dst, dst)},
  };
  dd_cpu_prim_run (cpu, &r->p, l, "reorder", 2, args);
}

void
dd_cpu_reorder_free (dd_cpu_reorder *r)
{
  dd_cpu_prim_free (&r->p);
  dd_cpu_mem_free (&r->src);
  dd_cpu_mem_free (&r->dst);
}

int
dd_cpu_accumulate_init (dd_cpu *cpu, dd_cpu_accumulate *a, const dnnl_memory_desc_t *src_md,
                        const dnnl_memory_desc_t *dst_md, const dd_layer *l, char *err,
                        size_t err_len)
{
  if (dd_cpu_same_md (src_md, dst_md)) {
    a->n = dd_cpu_md_floats (dst_md);
    return 1;
  }
  return dd_cpu_reorder_init (cpu, &a->r, src_md, dst_md, 1, l, err, err_len);
}

void
dd_cpu_accumulate_run (dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *l,
                       const float *src, float *dst)
{
  if (a->r.p.prim)
    dd_cpu_reorder_run (cpu, &a->r, l, src, dst);
  else
    dd_cpu_add_into (dst, src, a->n);
}

void
dd_cpu_accumulate_free (dd_cpu_accumulate *a)
{
  dd_cpu_reorder_free (&a->r);
}

void
dd_cpu_add_into (float *restrict dst, const float *restrict src, size_t n)
{
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++)
    dst[i] += src[i];
}

void *
dd_cpu_state_new (dd_layer *l, size_t size, const dd_cpu_op *op, char *err, size_t err_len)
{
  dd_cpu_layer *base = calloc (1, size);
  if (!base) {
    dd_cpu_no_memory (l, "the layer's state", size / sizeof (float), err, err_len);
    return NULL;
  }
  base->op = op;
  l->backend_state = base;
  return base;
}

void
dd_cpu_state_free (dd_layer *l)
{
  dd_cpu_layer *base = dd_cpu_layer_of (l);
  dd_cpu_layer_fini (base);
  free (base);
  l->backend_state = NULL;
}

int
dd_cpu_layer_init (dd_cpu *cpu, dd_layer *l, dd_cpu_layer *base, char *err, size_t err_len)
{
  dnnl_memory_desc_t nchw = dd_cpu_nchw_md (l->out_shape);
  l->act_floats = dd_cpu_md_floats (&base->md);
  /* Zeroes from before this prepare say nothing about the new dy. */
  base->dy_written = cpu->clock;
  if (dd_cpu_same_md (&base->md, &nchw))
    return 1;
  dnnl_primitive_desc_t to = NULL, from = NULL;
  int ok = dd_cpu_ok (dnnl_reorder_primitive_desc_create (&to, &base->md, cpu->engine,
                                                          &nchw, cpu->engine, NULL),
                      l, "reorder to NCHW", err, err_len)
      && dd_cpu_ok (dnnl_reorder_primitive_desc_create (&from, &nchw, cpu->engine,
                                                        &base->md, cpu->engine, NULL),
                    l, "reorder from NCHW", err, err_len)
      && dd_cpu_ok (dnnl_primitive_create (&base->to_nchw, to), l, "reorder to NCHW",
                    err, err_len)
      && dd_cpu_ok (dnnl_primitive_create (&base->from_nchw, from), l, "reorder from NCHW",
                    err, err_len)
      && dd_cpu_mem (cpu, &base->mem_md, &base->md, l, err, err_len)
      && dd_cpu_mem (cpu, &base->mem_nchw, &nchw, l, err, err_len);
  if (to)
    dnnl_primitive_desc_destroy (to);
  if (from)
    dnnl_primitive_desc_destroy (from);
  return ok;
}

void
dd_cpu_layer_fini (dd_cpu_layer *base)
{
  if (base->to_nchw)
    dnnl_primitive_destroy (base->to_nchw);
  if (base->from_nchw)
    dnnl_primitive_destroy (base->from_nchw);
  dd_cpu_mem_free (&base->mem_md);
  dd_cpu_mem_free (&base->mem_nchw);
  base->to_nchw = base->from_nchw = NULL;
}

int
dd_cpu_channel_walk (dd_cpu_walk *walk, const dnnl_memory_desc_t *md)
{
  const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
  if (md->ndims != 4 || md->format_kind != dnnl_blocked || md->offset0 != 0
      || b->inner_nblks > 1 || (b->inner_nblks == 1 && b->inner_idxs[0] != 1))
    return 0;
  for (int d = 0; d < 4; d++)
    walk->stride[d] = b->strides[d];
  walk->block = b->inner_nblks ? (int) b->inner_blks[0] : 1;
  return 1;
}
