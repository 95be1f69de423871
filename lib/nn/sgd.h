/* Stochastic gradient descent with momentum and weight decay over every
 * trainable tensor of a dd_net, PyTorch's formulation (torch.optim.SGD,
 * dampening 0, not Nesterov):
 *
 *   g = grad + weight_decay * param;  v = momentum * v + g;  param -= lr * v
 *
 * The momentum buffers v are the network's optimizer state (saved in
 * checkpoints); each step adds one to the network's step count. */
#ifndef DD_NN_SGD_H
#define DD_NN_SGD_H

#include <stddef.h>

#include "nn/net.h"

typedef struct dd_sgd {
  float momentum;
  float weight_decay;
  /* 0 (PyTorch's default): every parameter is decayed. 1: batch norm's
   * gamma and beta and every bias are not. */
  int exclude_norm_and_bias;
} dd_sgd;

/* momentum 0.9, weight decay 1e-4, every parameter decayed. */
void dd_sgd_defaults (dd_sgd *sgd);

/* One step with learning rate lr from the gradients of the last backward.
 * Needs a DD_NET_TRAIN setup; returns 0, or -1 with a message. */
int dd_sgd_step (dd_net *net, const dd_sgd *sgd, float lr, char *err, size_t err_len);

#endif
