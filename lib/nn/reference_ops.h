/* The reference backend's kernels (private to lib/nn): plain loops over
 * NCHW float32 activations, written to be obviously right rather than
 * fast, because every other backend is tested against them. Sums run in
 * double. forward() writes l->y from the inputs' y; backward() ADDS into
 * the inputs' dy (but for an input whose dy is NULL: no gradient wanted)
 * and into dweight/dbias, from l->dy. Shapes were checked by
 * dd_ref_check_layer() when the layer was prepared. */
#ifndef DD_NN_REFERENCE_OPS_H
#define DD_NN_REFERENCE_OPS_H

#include <stddef.h>

#include "nn/layer.h"

/* Offset of element (n, c, h, w) in an NCHW tensor of shape s. */
static inline size_t
dd_ref_at (dd_shape s, int n, int c, int h, int w)
{
  return (((size_t) n * s.c + c) * s.h + h) * s.w + w;
}

/* Validates the layer's inputs, attributes and out_shape for prepare().
 * Returns 0, or -1 with a message naming the layer and the fault. */
int dd_ref_check_layer (const dd_layer *l, int training, char *err, size_t err_len);

void dd_ref_conv2d_forward (dd_layer *l);
void dd_ref_conv2d_backward (dd_layer *l);

void dd_ref_batchnorm_forward (dd_layer *l, int training);
void dd_ref_batchnorm_backward (dd_layer *l);

void dd_ref_maxpool_forward (dd_layer *l);
void dd_ref_maxpool_backward (dd_layer *l);
void dd_ref_upsample_nearest_forward (dd_layer *l);
void dd_ref_upsample_nearest_backward (dd_layer *l);
void dd_ref_upsample_bilinear_forward (dd_layer *l);
void dd_ref_upsample_bilinear_backward (dd_layer *l);

void dd_ref_relu_forward (dd_layer *l);
void dd_ref_relu_backward (dd_layer *l);
void dd_ref_sigmoid_forward (dd_layer *l);
void dd_ref_sigmoid_backward (dd_layer *l);
void dd_ref_concat_forward (dd_layer *l);
void dd_ref_concat_backward (dd_layer *l);
void dd_ref_add_forward (dd_layer *l);
void dd_ref_add_backward (dd_layer *l);

#endif
