/* One layer standing alone, for backend tests: the layer, its inputs (as
 * DD_OP_INPUT layers) and every buffer it needs, allocated through any
 * backend's dd_backend_ops, with NCHW host copies in and out.
 *
 * Two fixtures built from the same prototype and shapes on two backends,
 * filled with the same seed, hold the same values: the random draws happen
 * on the host in NCHW order and do not depend on the backend's layout.
 *
 * A fixture points into itself (layer.inputs[i] = &src[i]): initialise it
 * where it will live and never copy the struct. libc only. */
#ifndef DD_TESTS_NN_LAYER_FIXTURE_H
#define DD_TESTS_NN_LAYER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/backend.h"

typedef struct dd_layer_fixture {
  dd_backend *be;
  int training;
  dd_layer src[DD_LAYER_MAX_INPUTS];
  dd_layer layer;
  /* Which layers prepare() succeeded on, so free() releases just those. */
  int n_src_prepared;
  int layer_prepared;
} dd_layer_fixture;

/* The per-layer buffers besides activations. Each is plain float32 in the
 * layout layer.h gives (OIHW weights, per-channel vectors); a buffer the op
 * does not have has length 0. */
typedef enum dd_fixture_buffer {
  DD_FIXTURE_WEIGHT,
  DD_FIXTURE_BIAS,
  DD_FIXTURE_DWEIGHT,
  DD_FIXTURE_DBIAS,
  DD_FIXTURE_RUNNING_MEAN,
  DD_FIXTURE_RUNNING_VAR,
  DD_FIXTURE_SAVE_MEAN,
  DD_FIXTURE_SAVE_INVSTD,
  DD_FIXTURE_BUFFER_COUNT
} dd_fixture_buffer;

/* The output shape of `l` from its inputs' out_shape, by PyTorch's rules
 * (conv and max-pool round down). Returns 0, or -1 with a message in err
 * when the shapes or attributes cannot be combined. */
int dd_fixture_out_shape (const dd_layer *l, dd_shape *out, char *err, size_t err_len);

/* Builds the layer described by `proto` (name, op, conv/bn/pool attributes,
 * n_inputs; its pointers are ignored) on inputs of `in_shapes`, prepares it
 * and its inputs on `be` (`training` as in prepare()) and allocates every
 * buffer, all zero. Returns 0, or -1 with a message in err (then nothing
 * stays allocated). */
int dd_layer_fixture_init (dd_layer_fixture *f, dd_backend *be, const dd_layer *proto,
                           const dd_shape *in_shapes, int training,
                           char *err, size_t err_len);
void dd_layer_fixture_free (dd_layer_fixture *f);

/* Seeded random values: inputs and the output gradient uniform in [-1, 1),
 * conv weights uniform in [-1, 1), conv bias and batch-norm beta in
 * [-0.5, 0.5), gamma in [0.5, 1.5), running mean in [-0.5, 0.5), running
 * variance in [0.5, 1.5). Input and parameter gradients are zeroed. */
void dd_layer_fixture_fill_random (dd_layer_fixture *f, uint64_t seed);
/* Zeroes what backward() accumulates into: the inputs' dy, dweight, dbias. */
void dd_layer_fixture_zero_grads (dd_layer_fixture *f);

size_t dd_layer_fixture_input_numel (const dd_layer_fixture *f, int i);
size_t dd_layer_fixture_output_numel (const dd_layer_fixture *f);
size_t dd_layer_fixture_len (const dd_layer_fixture *f, dd_fixture_buffer b);

/* NCHW host copies of the activations (dd_layer_fixture_*_numel floats). */
void dd_layer_fixture_write_input (dd_layer_fixture *f, int i, const float *host);
void dd_layer_fixture_read_input (const dd_layer_fixture *f, int i, float *host);
void dd_layer_fixture_write_input_grad (dd_layer_fixture *f, int i, const float *host);
void dd_layer_fixture_read_input_grad (const dd_layer_fixture *f, int i, float *host);
void dd_layer_fixture_read_output (const dd_layer_fixture *f, float *host);
void dd_layer_fixture_write_output_grad (dd_layer_fixture *f, const float *host);
void dd_layer_fixture_read_output_grad (const dd_layer_fixture *f, float *host);

/* Host copies of the other buffers (dd_layer_fixture_len floats). */
void dd_layer_fixture_write (dd_layer_fixture *f, dd_fixture_buffer b, const float *host);
void dd_layer_fixture_read (const dd_layer_fixture *f, dd_fixture_buffer b, float *host);

/* Copies every value (inputs, input gradients, output gradient, all
 * buffers) from `src` to `dst`, which may live on another backend; both
 * must have been built from the same prototype and shapes. Returns 0, or -1
 * with a message in err when they differ or host memory runs out. */
int dd_layer_fixture_copy_values (dd_layer_fixture *dst, const dd_layer_fixture *src,
                                  char *err, size_t err_len);

void dd_layer_fixture_forward (dd_layer_fixture *f);
void dd_layer_fixture_backward (dd_layer_fixture *f);

#endif
