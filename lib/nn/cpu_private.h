/* The cpu backend's state and the helpers its files share (private to
 * lib/nn). backend_cpu.c explains the layout strategy.
 *
 * Files: backend_cpu.c (creation, the ops table, memory, layouts of the
 * network input, read/write_nchw, SGD, dispatch by op), cpu_support.c
 * (primitive, memory and reorder helpers, accumulation, errors),
 * cpu_grad.c (where backward writes input gradients), cpu_conv.c, cpu_batchnorm.c, cpu_eltwise.c (ReLU, sigmoid), cpu_pool.c,
 * cpu_resample.c (2x upsampling), cpu_join.c (concat, add), cpu_slice.c
 * (channel slices of merged convolutions).
 *
 * Every primitive is created in prepare() and runs on the backend's one
 * stream, from the one thread that owns the backend (worker.h). oneDNN
 * primitives overwrite their outputs, while backward() must add into the
 * inputs' dy and the parameter gradients: a backward primitive writes into
 * the shared scratch buffers below and dd_cpu_accumulate adds that in. */
#ifndef DD_NN_CPU_PRIVATE_H
#define DD_NN_CPU_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "nn/backend.h"

/* A host buffer that prepare() grows and forward/backward only use. */
typedef struct dd_cpu_buffer {
  float *p;
  size_t floats;
} dd_cpu_buffer;

/* How many zero-filled ranges the backend remembers; the oldest goes. */
#define DD_CPU_ZEROED_MAX 32

typedef struct dd_cpu {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  /* Shared by every primitive (scratchpad mode "user"): one layer runs at
   * a time, so one area serves them all. */
  dd_cpu_buffer scratchpad;
  /* Results that are added into the caller's buffers afterwards: input
   * gradients (act) and parameter gradients (param). */
  dd_cpu_buffer tmp_act, tmp_param;
  /* Counts writes to parameter memory (upload, fill, sgd_step), so a conv
   * reorders its weights only after they changed. */
  uint64_t param_version;
  /* The ranges fill() zeroed, each with the clock of that fill; the clock
   * orders fills against writes into a layer's dy (cpu_grad.c). */
  struct dd_cpu_zeroed {
    uintptr_t lo, hi;
    uint64_t when;
  } zeroed[DD_CPU_ZEROED_MAX];
  int n_zeroed;
  uint64_t clock;
} dd_cpu;

typedef struct dd_cpu_op dd_cpu_op;

/* The start of every layer's backend_state. */
typedef struct dd_cpu_layer {
  const dd_cpu_op *op;
  /* Layout of y and dy; size_floats = l->act_floats. */
  dnnl_memory_desc_t md;
  /* Between md and plain NCHW, for read_nchw / write_nchw; NULL when md is
   * plain NCHW already. */
  dnnl_primitive_t to_nchw, from_nchw;
  dnnl_memory_t mem_md, mem_nchw;
  /* The clock when dy was last written other than by a fill. */
  uint64_t dy_written;
} dd_cpu_layer;

/* One op's implementation. prepare() allocates the state (beginning with a
 * dd_cpu_layer), stores it in l->backend_state and fills in md; on failure
 * it frees what it made and writes err. release() undoes prepare(). */
struct dd_cpu_op {
  int (*prepare) (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len);
  void (*forward) (dd_cpu *cpu, dd_layer *l, int training);
  void (*backward) (dd_cpu *cpu, dd_layer *l);
  void (*release) (dd_cpu *cpu, dd_layer *l);
};

extern const dd_cpu_op dd_cpu_conv_op;
extern const dd_cpu_op dd_cpu_batchnorm_op;
extern const dd_cpu_op dd_cpu_relu_op;
extern const dd_cpu_op dd_cpu_sigmoid_op;
extern const dd_cpu_op dd_cpu_maxpool_op;
extern const dd_cpu_op dd_cpu_upsample_op;
extern const dd_cpu_op dd_cpu_concat_op;
extern const dd_cpu_op dd_cpu_add_op;
extern const dd_cpu_op dd_cpu_slice_op;

static inline dd_cpu *
dd_cpu_of (dd_backend *be)
{
  return be->priv;
}

static inline dd_cpu_layer *
dd_cpu_layer_of (const dd_layer *l)
{
  return l->backend_state;
}

/* The layout of a prepared layer's y and dy. */
static inline const dnnl_memory_desc_t *
dd_cpu_md (const dd_layer *l)
{
  return &dd_cpu_layer_of (l)->md;
}

/* ---- errors ---- */

/* Errors in prepare(): returns 1 on success, else writes "layer 'x': what
 * failed: status" and advice into err and returns 0, so steps chain. */
int dd_cpu_ok (dnnl_status_t s, const dd_layer *l, const char *what, char *err,
               size_t err_len);
/* Errors in forward/backward, which have no error return: a primitive that
 * was created in prepare() and then fails leaves the results undefined, so
 * this reports the layer and the call on stderr and aborts. */
void dd_cpu_check (dnnl_status_t s, const dd_layer *l, const char *what);
/* Out of host memory in prepare(). */
int dd_cpu_no_memory (const dd_layer *l, const char *what, size_t floats, char *err,
                      size_t err_len);

/* ---- memory ---- */

float *dd_cpu_alloc_floats (size_t n);
/* Grows b to at least n floats (contents are not kept). */
int dd_cpu_reserve (dd_cpu_buffer *b, size_t n, const dd_layer *l, char *err,
                    size_t err_len);
/* The float count of a memory descriptor, padding included. */
size_t dd_cpu_md_floats (const dnnl_memory_desc_t *md);
/* Plain NCHW (abcd) float32 of shape s. */
dnnl_memory_desc_t dd_cpu_nchw_md (dd_shape s);
/* Whatever layout the primitive prefers (format_tag_any), shape s. */
dnnl_memory_desc_t dd_cpu_any_md (dd_shape s);
int dd_cpu_same_md (const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b);

/* A memory object with no data yet: dd_cpu_bind points it at a buffer
 * right before each execution. Returns 1, or 0 with err written. */
int dd_cpu_mem (dd_cpu *cpu, dnnl_memory_t *m, const dnnl_memory_desc_t *md,
                const dd_layer *l, char *err, size_t err_len);
/* Points m at p (only when it points elsewhere: oneDNN zero-fills a
 * blocked layout's padding on each change) and returns m. */
dnnl_memory_t dd_cpu_bind (dnnl_memory_t m, const float *p);
void dd_cpu_mem_free (dnnl_memory_t *m);

/* ---- primitives ---- */

/* Attributes of every primitive: scratchpad mode user and strict fp32
 * (never bf16 or other reduced-precision math). NULL on failure. */
dnnl_primitive_attr_t dd_cpu_attr (void);

/* A primitive and its view of the shared scratchpad. */
typedef struct dd_cpu_prim {
  dnnl_primitive_t prim;
  dnnl_memory_t scratchpad;
} dd_cpu_prim;

/* Creates the primitive of pd (which the caller still destroys) and grows
 * the shared scratchpad to what it needs. Returns 1, or 0 with err. */
int dd_cpu_prim_init (dd_cpu *cpu, dd_cpu_prim *p, const_dnnl_primitive_desc_t pd,
                      const dd_layer *l, const char *what, char *err, size_t err_len);
/* Runs it with args (at most DD_CPU_MAX_ARGS, the scratchpad added here). */
#define DD_CPU_MAX_ARGS 16
void dd_cpu_prim_run (dd_cpu *cpu, const dd_cpu_prim *p, const dd_layer *l,
                      const char *what, int n_args, const dnnl_exec_arg_t *args);
void dd_cpu_prim_free (dd_cpu_prim *p);

/* Creates the primitive descriptor of an op descriptor with dd_cpu_attr,
 * `hint` being the forward one for backward primitives. */
int dd_cpu_pd (dd_cpu *cpu, dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t desc,
               const_dnnl_primitive_desc_t hint, const dnnl_primitive_attr_t attr,
               const dd_layer *l, const char *what, char *err, size_t err_len);
/* The memory descriptor a primitive descriptor chose for `what`. */
const dnnl_memory_desc_t *dd_cpu_query (const_dnnl_primitive_desc_t pd, dnnl_query_t what);

/* ---- reorders and accumulation ---- */

/* dst = src in another layout, or dst += src with `accumulate`. */
typedef struct dd_cpu_reorder {
  dd_cpu_prim p;
  dnnl_memory_t src, dst;
} dd_cpu_reorder;

int dd_cpu_reorder_init (dd_cpu *cpu, dd_cpu_reorder *r, const dnnl_memory_desc_t *src_md,
                         const dnnl_memory_desc_t *dst_md, int accumulate,
                         const dd_layer *l, char *err, size_t err_len);
void dd_cpu_reorder_run (dd_cpu *cpu, const dd_cpu_reorder *r, const dd_layer *l,
                         const float *src, float *dst);
void dd_cpu_reorder_free (dd_cpu_reorder *r);

/* dst += src where src (a backward result) has layout src_md and dst (an
 * input's dy or a parameter gradient) has dst_md: a plain loop when the
 * layouts are the same, else a reorder that sums into dst. */
typedef struct dd_cpu_accumulate {
  size_t n;                     /* floats, when the layouts are the same */
  dd_cpu_reorder r;             /* otherwise */
} dd_cpu_accumulate;

int dd_cpu_accumulate_init (dd_cpu *cpu, dd_cpu_accumulate *a,
                            const dnnl_memory_desc_t *src_md,
                            const dnnl_memory_desc_t *dst_md, const dd_layer *l,
                            char *err, size_t err_len);
void dd_cpu_accumulate_run (dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *l,
                            const float *src, float *dst);
void dd_cpu_accumulate_free (dd_cpu_accumulate *a);

/* dst[i] += src[i], on all cores. */
void dd_cpu_add_into (float *restrict dst, const float *restrict src, size_t n);

/* Allocates a zeroed layer state of `size` bytes (a struct that begins
 * with dd_cpu_layer) for `op` and stores it in l->backend_state. NULL,
 * with err written, when out of memory. */
void *dd_cpu_state_new (dd_layer *l, size_t size, const dd_cpu_op *op, char *err,
                        size_t err_len);
/* Frees it and clears l->backend_state (after the op freed its parts). */
void dd_cpu_state_free (dd_layer *l);

/* ---- input gradients (cpu_grad.c) ----
 *
 * Backward adds into each input's dy. But in a training step the network
 * zeroes every dy first and most layers feed one consumer, so the first
 * write into a dy that still holds only zeros may overwrite it: the
 * primitive writes there directly, with no scratch and no pass to add.
 * The backend knows a dy is all zeros when a fill(0) covered it after the
 * last write into it. Writes into a dy by backward and write_nchw are
 * recorded per layer; any other write (upload, a non-zero fill, sgd_step,
 * free) forgets the zeroed ranges it touches. */
void dd_cpu_note_zeroed (dd_cpu *cpu, const float *p, size_t n);
void dd_cpu_note_overwritten (dd_cpu *cpu, const float *p, size_t n);
int dd_cpu_dy_is_zero (const dd_cpu *cpu, const dd_layer *x);
void dd_cpu_note_dy_written (const dd_cpu *cpu, const dd_layer *x);

/* Where a backward primitive writes the gradient of input x, in the
 * layout `a` adds from: x->dy itself when that holds zeros and has that
 * layout, else tmp. */
float *dd_cpu_grad_dst (const dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *x,
                        float *tmp);
/* Once it ran: adds tmp into x->dy unless the primitive wrote there. */
void dd_cpu_grad_finish (dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *l,
                         const dd_layer *x, const float *written);

/* Where element (n, c, h, w) lives in a plain or channel-blocked layout:
 * n * stride[0] + (c / block) * stride[1] + h * stride[2] + w * stride[3]
 * + c % block (block 1 when plain). */
typedef struct dd_cpu_walk {
  dnnl_dim_t stride[4];
  int block;
} dd_cpu_walk;

/* Reads the walk from a descriptor; 0 for any other layout. */
int dd_cpu_channel_walk (dd_cpu_walk *walk, const dnnl_memory_desc_t *md);

/* dst[i] = src[i], on all cores. */
void dd_cpu_copy (float *restrict dst, const float *restrict src, size_t n);

/* Common parts of a layer's state: the NCHW conversions for md (called by
 * every op's prepare once md is known) and their release. */
int dd_cpu_layer_init (dd_cpu *cpu, dd_layer *l, dd_cpu_layer *base, char *err,
                       size_t err_len);
void dd_cpu_layer_fini (dd_cpu_layer *base);

#endif
