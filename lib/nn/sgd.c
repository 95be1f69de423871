#include <stdio.h>
#include <string.h>

#include "nn/net_private.h"
#include "nn/sgd.h"

void
dd_sgd_defaults (dd_sgd *sgd)
{
  *sgd = (dd_sgd) {.momentum = 0.9f, .weight_decay = 1e-4f};
}

static int
is_norm_or_bias (const dd_net_tensor *t)
{
  return t->layer->op == DD_OP_BATCHNORM || t->value == t->layer->bias;
}

int
dd_sgd_step (dd_net *net, const dd_sgd *sgd, float lr, char *err, size_t err_len)
{
  if (!net->set_up || net->mode != DD_NET_TRAIN) {
    snprintf (err, err_len, "%s: an SGD step needs the network set up with DD_NET_TRAIN",
              net->origin);
    return -1;
  }
  for (int i = 0; i < net->n_tensors; i++) {
    const dd_net_tensor *t = &net->tensors[i];
    if (!t->trainable)
      continue;
    float wd = sgd->exclude_norm_and_bias && is_norm_or_bias (t) ? 0.0f : sgd->weight_decay;
    net->be->ops->sgd_step (net->be, t->value, t->grad, t->state, t->numel, lr,
                            sgd->momentum, wd);
  }
  net->step++;
  net->params_dirty = 1;
  return 0;
}
