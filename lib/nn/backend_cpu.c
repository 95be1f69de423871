/* The `cpu` backend: oneDNN 2.6 (C API) on the host.
 *
 * Layout strategy. Activations stay in the layout oneDNN's convolutions
 * prefer, so no reorder runs between layers. A convolution is created with
 * its source in the layout its input already has and with format_tag_any
 * for weights and destination, so oneDNN picks its fastest kernel and that
 * kernel's output layout; on AVX-512 that is nChw16c (channels in blocks of
 * 16, the block innermost, a partial last block zero-padded: l->act_floats
 * counts the padding). Every other layer writes the layout of its (first)
 * input: batch norm, ReLU, sigmoid, max-pool, upsampling and add are
 * layout-agnostic in oneDNN, and concat picks its own. The network input
 * takes the layout a 3x3 convolution would ask for: plain NCHW for an image
 * (few channels: oneDNN's first-layer kernels read it directly), blocked for
 * many channels. Where a primitive would run slowly in a given layout
 * (backward data into a plain-NCHW image gradient), it computes in its own
 * preferred layout and a reorder converts while adding. Parameters stay
 * plain OIHW as the network owns them; a convolution reorders its weights
 * into the blocked layout its kernels use once after each change (a
 * training step) and keeps that copy, so inference reorders them once.
 * Outside the backend, activations are only seen through read_nchw /
 * write_nchw, which reorder to and from NCHW.
 *
 * Other choices for speed: 3x3 stride-1 convolutions use oneDNN's float32
 * Winograd kernels (cpu_conv.c); every primitive shares one scratchpad and
 * two scratch buffers sized in prepare(), so forward and backward never
 * allocate; backward writes an input gradient straight into a dy that holds
 * only zeros instead of adding from scratch (cpu_grad.c); the backend's own
 * loops (ReLU, sigmoid, adds, fill, SGD) run on oneDNN's OpenMP
 * threads.
 *
 * Parameter changes are seen through this table: upload, fill and sgd_step
 * count as writes to parameter memory. A caller that writes parameters
 * behind the backend's back (through the pointer) must upload instead. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "nn/cpu_private.h"
#include "nn/reference_ops.h"

/* ---- the network input: no computation, only a layout ---- */

/* The source layout a 3x3 convolution over this input would choose. */
static dnnl_memory_desc_t
input_layout (dd_cpu *cpu, const dd_layer *l)
{
  dd_shape s = l->out_shape;
  dnnl_memory_desc_t src = dd_cpu_any_md (s), dst, w, chosen = dd_cpu_nchw_md (s);
  dnnl_dims_t w_dims = {16, s.c, 3, 3}, one = {1, 1};
  dnnl_memory_desc_init_by_tag (&w, 4, w_dims, dnnl_f32, dnnl_format_tag_any);
  dst = dd_cpu_any_md ((dd_shape) {s.n, 16, s.h, s.w});
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  char ignored[8];
  if (dnnl_convolution_forward_desc_init (&desc, dnnl_forward_training,
                                          dnnl_convolution_direct, &src, &w, NULL, &dst,
                                          one, one, one) == dnnl_success
      && dd_cpu_pd (cpu, &pd, &desc, NULL, NULL, l, "", ignored, sizeof ignored))
    chosen = *dd_cpu_query (pd, dnnl_query_src_md);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return chosen;
}

static const dd_cpu_op input_op;

static void
input_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  dd_cpu_state_free (l);
}

static int
input_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  (void) training;
  dd_cpu_layer *base = dd_cpu_state_new (l, sizeof *base, &input_op, err, err_len);
  if (!base)
    return -1;
  base->md = input_layout (cpu, l);
  if (!dd_cpu_layer_init (cpu, l, base, err, err_len)) {
    input_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
input_pass (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) cpu;
  (void) l;
  (void) training;
}

static void
input_no_backward (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  (void) l;
}

static const dd_cpu_op input_op = {
  .prepare = input_prepare,
  .forward = input_pass,
  .backward = input_no_backward,
  .release = input_release,
};

static const dd_cpu_op *const ops_by_op[DD_OP_COUNT] = {
  [DD_OP_INPUT] = &input_op,
  [DD_OP_CONV2D] = &dd_cpu_conv_op,
  [DD_OP_BATCHNORM] = &dd_cpu_batchnorm_op,
  [DD_OP_RELU] = &dd_cpu_relu_op,
  [DD_OP_MAXPOOL] = &dd_cpu_maxpool_op,
  [DD_OP_UPSAMPLE_NEAREST] = &dd_cpu_upsample_op,
  [DD_OP_UPSAMPLE_BILINEAR] = &dd_cpu_upsample_op,
  [DD_OP_CONCAT] = &dd_cpu_concat_op,
  [DD_OP_ADD] = &dd_cpu_add_op,
  [DD_OP_SIGMOID] = &dd_cpu_sigmoid_op,
};

/* ---- the ops table ---- */

static float *
cpu_alloc (dd_backend *be, size_t n_floats)
{
  (void) be;
  return dd_cpu_alloc_floats (n_floats);
}

static void
cpu_free (dd_backend *be, float *p)
{
  dd_cpu_note_overwritten (dd_cpu_of (be), p, malloc_usable_size (p) / sizeof (float));
  free (p);
}

static void
cpu_upload (dd_backend *be, float *dst, const float *host_src, size_t n)
{
  dd_cpu *cpu = dd_cpu_of (be);
  cpu->param_version++;
  dd_cpu_note_overwritten (cpu, dst, n);
  memcpy (dst, host_src, n * sizeof (float));
}

static void
cpu_download (dd_backend *be, float *host_dst, const float *src, size_t n)
{
  (void) be;
  memcpy (host_dst, src, n * sizeof (float));
}

/* Zeroing (the network clears every gradient each step) uses memset per
 * thread, whose streaming stores beat a loop on large buffers. */
static void
cpu_fill (dd_backend *be, float *dst, float value, size_t n)
{
  dd_cpu *cpu = dd_cpu_of (be);
  cpu->param_version++;
  if (value != 0.0f) {
    dd_cpu_note_overwritten (cpu, dst, n);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
      dst[i] = value;
    return;
  }
  dd_cpu_note_zeroed (cpu, dst, n);
#pragma omp parallel
  {
    size_t parts = (size_t) omp_get_num_threads (), k = (size_t) omp_get_thread_num ();
    size_t lo = n / parts * k + (k < n % parts ? k : n % parts);
    size_t len = n / parts + (k < n % parts);
    memset (dst + lo, 0, len * sizeof (float));
  }
}

static int
cpu_prepare (dd_backend *be, dd_layer *l, int training, char *err, size_t err_len)
{
  if (dd_ref_check_layer (l, training, err, err_len) < 0)
    return -1;
  for (int i = 0; i < l->n_inputs; i++)
    if (!l->inputs[i]->backend_state) {
      snprintf (err, err_len, "layer '%s': input '%s' is not prepared on the cpu backend; "
                "prepare every layer after its inputs", l->name, l->inputs[i]->name);
      return -1;
    }
  const dd_layer *add = l->op == DD_OP_CONV2D ? l->conv.fuse_add_input : NULL;
  if (add && !add->backend_state) {
    snprintf (err, err_len, "layer '%s': its residual input '%s' is not prepared on the cpu "
              "backend; prepare every layer after its inputs", l->name, add->name);
    return -1;
  }
  const dd_cpu_op *op = l->op == DD_OP_CONV2D && l->conv.slice ? &dd_cpu_slice_op
      : ops_by_op[l->op];
  return op->prepare (dd_cpu_of (be), l, training, err, err_len);
}

static void
cpu_release (dd_backend *be, dd_layer *l)
{
  if (l->backend_state)
    dd_cpu_layer_of (l)->op->release (dd_cpu_of (be), l);
}

static void
cpu_forward (dd_backend *be, dd_layer *l, int training)
{
  dd_cpu_layer_of (l)->op->forward (dd_cpu_of (be), l, training);
}

static void
cpu_backward (dd_backend *be, dd_layer *l)
{
  dd_cpu_layer_of (l)->op->backward (dd_cpu_of (be), l);
}

static void
cpu_read_nchw (dd_backend *be, const dd_layer *l, const float *src, float *host_nchw)
{
  dd_cpu *cpu = dd_cpu_of (be);
  dd_cpu_layer *base = dd_cpu_layer_of (l);
  if (!base->to_nchw) {
    memcpy (host_nchw, src, dd_shape_numel (l->out_shape) * sizeof (float));
    return;
  }
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_FROM, dd_cpu_bind (base->mem_md, src)},
    {DNNL_ARG_TO, dd_cpu_bind (base->mem_nchw, host_nchw)},
  };
  dd_cpu_check (dnnl_primitive_execute (base->to_nchw, cpu->stream, 2, args), l,
                "reorder to NCHW");
  dd_cpu_check (dnnl_stream_wait (cpu->stream), l, "stream wait");
}

static void
cpu_write_nchw (dd_backend *be, const dd_layer *l, float *dst, const float *host_nchw)
{
  dd_cpu *cpu = dd_cpu_of (be);
  dd_cpu_layer *base = dd_cpu_layer_of (l);
  if (dst == l->dy)
    dd_cpu_note_dy_written (cpu, l);
  else
    dd_cpu_note_overwritten (cpu, dst, l->act_floats);
  if (!base->from_nchw) {
    memcpy (dst, host_nchw, dd_shape_numel (l->out_shape) * sizeof (float));
    return;
  }
  dnnl_exec_arg_t args[] = {
    {DNNL_ARG_FROM, dd_cpu_bind (base->mem_nchw, host_nchw)},
    {DNNL_ARG_TO, dd_cpu_bind (base->mem_md, dst)},
  };
  dd_cpu_check (dnnl_primitive_execute (base->from_nchw, cpu->stream, 2, args), l,
                "reorder from NCHW");
  dd_cpu_check (dnnl_stream_wait (cpu->stream), l, "stream wait");
}

/* PyTorch's torch.optim.SGD (dampening 0, no Nesterov), as the reference
 * backend computes it, on all cores. */
static void
cpu_sgd_step (dd_backend *be, float *param, const float *grad, float *velocity, size_t n,
              float lr, float momentum, float weight_decay)
{
  dd_cpu *cpu = dd_cpu_of (be);
  cpu->param_version++;
  dd_cpu_note_overwritten (cpu, param, n);
  if (!velocity) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
      param[i] -= lr * (grad[i] + weight_decay * param[i]);
    return;
  }
  dd_cpu_note_overwritten (cpu, velocity, n);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) {
    float v = momentum * velocity[i] + (grad[i] + weight_decay * param[i]);
    velocity[i] = v;
    param[i] -= lr * v;
  }
}

static void
cpu_destroy (dd_backend *be)
{
  dd_cpu *cpu = dd_cpu_of (be);
  dnnl_stream_destroy (cpu->stream);
  dnnl_engine_destroy (cpu->engine);
  free (cpu->scratchpad.p);
  free (cpu->tmp_act.p);
  free (cpu->tmp_param.p);
  free (cpu);
  free (be);
}

static const dd_backend_ops cpu_ops = {
  .name = "cpu",
  .fuses_bn_relu = 1,
  .merges_convs = 1,
  .alloc = cpu_alloc,
  .free = cpu_free,
  .upload = cpu_upload,
  .download = cpu_download,
  .fill = cpu_fill,
  .prepare = cpu_prepare,
  .release = cpu_release,
  .forward = cpu_forward,
  .backward = cpu_backward,
  .read_nchw = cpu_read_nchw,
  .write_nchw = cpu_write_nchw,
  .sgd_step = cpu_sgd_step,
  .destroy = cpu_destroy,
};

dd_backend *
dd_backend_cpu_new (char *err, size_t err_len)
{
  dd_backend *be = calloc (1, sizeof *be);
  dd_cpu *cpu = calloc (1, sizeof *cpu);
  if (!be || !cpu) {
    snprintf (err, err_len, "cpu backend: out of host memory");
    goto fail;
  }
  /* oneDNN's kernels split their work by the team size they ask for; with
   * dynamic teams libgomp may start fewer threads, and the parts nobody ran
   * stay unwritten (wrong results, no error). libgomp reads OMP_DYNAMIC once
   * into the default of every thread that does not call omp_set_dynamic
   * itself, so this thread's value stands for the environment's. */
  if (omp_get_dynamic ()) {
    snprintf (err, err_len, "cpu backend: dynamic OpenMP teams are on (OMP_DYNAMIC="
              "true or omp_set_dynamic), which make oneDNN compute wrong results; "
              "unset OMP_DYNAMIC or set it to false");
    goto fail;
  }
  dnnl_status_t s = dnnl_engine_create (&cpu->engine, dnnl_cpu, 0);
  if (s != dnnl_success) {
    snprintf (err, err_len, "cpu backend: oneDNN cannot use this CPU (engine creation: "
              "status %d); use the reference backend", (int) s);
    goto fail;
  }
  s = dnnl_stream_create (&cpu->stream, cpu->engine, dnnl_stream_default_flags);
  if (s != dnnl_success) {
    dnnl_engine_destroy (cpu->engine);
    snprintf (err, err_len, "cpu backend: oneDNN stream creation failed (status %d)",
              (int) s);
    goto fail;
  }
  be->ops = &cpu_ops;
  be->priv = cpu;
  return be;
fail:
  free (cpu);
  free (be);
  return NULL;
}
