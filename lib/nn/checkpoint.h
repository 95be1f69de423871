/* Checkpoints of a dd_net in safetensors (docs/network-format.md): the
 * parameters and batch norm buffers under PyTorch's state_dict names
 * (OIHW float32, num_batches_tracked as an I64 scalar), the SGD momentum
 * buffers under "optimizer.<name>", and the optimizer step and network
 * name in __metadata__. A PyTorch user loads the model part with
 * load_state_dict. */
#ifndef DD_NN_CHECKPOINT_H
#define DD_NN_CHECKPOINT_H

#include <stddef.h>

#include "nn/net.h"

/* Writes atomically (see dd_st_writer_write). The network must be set up;
 * the optimizer state is written when it has one (a DD_NET_TRAIN setup). */
int dd_checkpoint_save (dd_net *net, const char *path, char *err, size_t err_len);

/* Loads into a set-up network. The file must hold exactly the network's
 * tensors with its dtypes and shapes, and either all of the optimizer
 * tensors or none (none: the momentum buffers restart at zero). Nothing
 * is changed unless the whole file checks out. Errors name the file and
 * the fault: unknown, missing or mismatched tensors, and any structural
 * fault dd_safetensors_read finds. */
int dd_checkpoint_load (dd_net *net, const char *path, char *err, size_t err_len);

/* dd_checkpoint_load for a training run that goes on: the file must also
 * hold the optimizer tensors and the step, else the run would not continue
 * as it was (weights alone are refused with that said). */
int dd_checkpoint_resume (dd_net *net, const char *path, char *err, size_t err_len);

/* The optimizer step a checkpoint was saved at (0 when its __metadata__
 * has none), without a network to load it into: where a run stands. */
int dd_checkpoint_read_step (const char *path, int64_t *step, char *err, size_t err_len);

#endif
