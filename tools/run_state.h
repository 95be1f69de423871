/* Where a training run's folder (ddtrain's location) stands, read before
 * ddtrain is started on it: whether it holds the finished run, and the
 * step its last checkpoint reached.
 *
 * ddtrain saves the model whenever its data ends (at EOS), and a source
 * that fails posts its error and then sends EOS: a run cut short by a bad
 * image can hold a model too. Only a model whose checkpoint reached the
 * run's schedule is the finished run; another resumes from its checkpoint.
 */
#ifndef DD_TOOLS_RUN_STATE_H
#define DD_TOOLS_RUN_STATE_H

#include <glib.h>
#include <stdint.h>

/* Whether `dir` holds a model (model.json and its weights). */
gboolean dd_model_saved (const char *dir);

/* The step of the run's last checkpoint in *step, 0 when it has none yet.
 * FALSE with an error naming the file when the checkpoint is unreadable. */
gboolean dd_run_checkpoint_step (const char *out, int64_t *step, GError **error);

/* Whether `out` holds the finished run of `iterations`: its model, and a
 * checkpoint at that step (or none left beside the model: the weights are
 * all there is to reuse, and training again would overwrite them). */
gboolean dd_training_done (const char *out, int64_t iterations);

#endif
