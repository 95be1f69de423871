/* A channel slice of a merged convolution's output (dd_conv_attr.slice):
 *   x [N, C, H, W] in the merged convolution's layout (blocked);
 *   y [N, c, H, W] = x[:, offset : offset + c], plain NCHW.
 * A plain loop: oneDNN takes sub-tensors only at whole channel blocks, and
 * the heads' slices (1, 2, 2, 17, 34 channels) start anywhere. y is plain
 * because every reader of a head's output wants NCHW (read_nchw then
 * copies it as it is) and the sigmoid after it walks any layout. Slices
 * exist only in inference graphs: there is no backward. */
#include <stdio.h>

#include "nn/cpu_private.h"

typedef struct slice_state {
  dd_cpu_layer base;
  dd_cpu_walk from;
} slice_state;

static void
slice_release (dd_cpu *cpu, dd_layer *l)
{
  (void) cpu;
  dd_cpu_state_free (l);
}

static int
slice_prepare (dd_cpu *cpu, dd_layer *l, int training, char *err, size_t err_len)
{
  const dd_layer *in = l->inputs[0];
  if (training || l->conv.slice_offset < 0
      || l->conv.slice_offset + l->out_shape.c > in->out_shape.c) {
    snprintf (err, err_len, "layer '%s': a channel slice [%d, %d) of '%s' (%d channels) "
              "belongs to an inference graph and must lie inside its input", l->name,
              l->conv.slice_offset, l->conv.slice_offset + l->out_shape.c, in->name,
              in->out_shape.c);
    return -1;
  }
  slice_state *s = dd_cpu_state_new (l, sizeof *s, &dd_cpu_slice_op, err, err_len);
  if (!s)
    return -1;
  if (!dd_cpu_channel_walk (&s->from, dd_cpu_md (in))) {
    snprintf (err, err_len, "layer '%s': a slice reads plain or channel-blocked layouts; "
              "input '%s' has another (a layout this backend does not produce: report it)",
              l->name, in->name);
    slice_release (cpu, l);
    return -1;
  }
  s->base.md = dd_cpu_nchw_md (l->out_shape);
  if (!dd_cpu_layer_init (cpu, l, &s->base, err, err_len)) {
    slice_release (cpu, l);
    return -1;
  }
  return 0;
}

static void
slice_forward (dd_cpu *cpu, dd_layer *l, int training)
{
  (void) cpu;
  (void) training;
  const slice_state *s = l->backend_state;
  const dd_cpu_walk *w = &s->from;
  const float *restrict x = l->inputs[0]->y;
  float *restrict y = l->y;
  dd_shape sh = l->out_shape;
  size_t plane = (size_t) sh.h * (size_t) sh.w;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < sh.n; n++)
    for (int c = 0; c < sh.c; c++) {
      int from = l->conv.slice_offset + c;
      const float *src = x + n * w->stride[0] + from / w->block * w->stride[1]
          + from % w->block;
      float *dst = y + ((size_t) n * (size_t) sh.c + (size_t) c) * plane;
      for (int h = 0; h < sh.h; h++)
        for (int k = 0; k < sh.w; k++)
          dst[(size_t) h * (size_t) sh.w + (size_t) k] = src[h * w->stride[2]
                                                            + k * w->stride[3]];
    }
}

/* Only an inference graph has slices, and slice_prepare refuses training. */
const dd_cpu_op dd_cpu_slice_op = {
  .prepare = slice_prepare,
  .forward = slice_forward,
  .release = slice_release,
};
