/* Shapes through the graph, and what they imply: parameter count and
 * FLOPs. */
#include <stdio.h>

#include "nn/net_private.h"

/* The shape rules are dd_layer_out_shape's; a fault here is the file's
 * (or the image size's), so the message names both. */
int
dd_net_shape_layers (const char *origin, dd_layer *layers, int n, char *err, size_t err_len)
{
  for (int i = 0; i < n; i++) {
    char what[512];
    if (dd_layer_out_shape (&layers[i], &layers[i].out_shape, what, sizeof what) == 0)
      continue;
    snprintf (err, err_len, "%s: %s; change the layer or the image size", origin, what);
    return -1;
  }
  return 0;
}

int
dd_net_reshape (dd_net *net, int batch, int height, int width, char *err, size_t err_len)
{
  if (net->be) {
    snprintf (err, err_len, "%s: the network is set up on a backend; change its batch or "
              "size with dd_net_setup", net->origin);
    return -1;
  }
  if (batch < 1 || height < 1 || width < 1) {
    snprintf (err, err_len, "%s: batch %d and size %dx%d must be positive", net->origin,
              batch, height, width);
    return -1;
  }
  net->layers[0].out_shape = (dd_shape) {batch, net->in_c, height, width};
  if (dd_net_shape_layers (net->origin, net->layers, net->n_layers, err, err_len))
    return -1;
  net->in_shape = net->layers[0].out_shape;
  return 0;
}

size_t
dd_net_param_count (const dd_net *net)
{
  size_t n = 0;
  for (int i = 0; i < net->n_tensors; i++)
    if (net->tensors[i].trainable)
      n += net->tensors[i].numel;
  return n;
}

/* Only convolutions are counted, each multiply-add as 2 FLOPs (bias adds
 * are not counted), the usual convention for detectors' GFLOPs. Batch
 * norm, ReLU, pooling, upsampling and adds are memory-bound passes with a
 * few operations per element, next to a convolution's 2*Cin*k*k. */
double
dd_net_flops_per_image (const dd_net *net)
{
  double flops = 0;
  for (int i = 1; i < net->n_layers; i++) {
    const dd_layer *l = &net->layers[i];
    if (l->op != DD_OP_CONV2D)
      continue;
    double macs_per_output = (double) (l->inputs[0]->out_shape.c / l->conv.groups)
        * l->conv.kh * l->conv.kw;
    flops += 2.0 * macs_per_output * l->out_shape.c * l->out_shape.h * l->out_shape.w;
  }
  return flops;
}
