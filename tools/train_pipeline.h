/* One training run of `ddistill distill` through the elements:
 *
 *   dddatasetsrc (manual labels, endless, shuffled) ─▶ ddtrain.labeled
 *   dddatasetsrc (automatic labels, origin=automatic) ─▶ ddtrain.automatic
 *
 * with ddtrain's progress messages shown as a progress line on stderr. The
 * run lives in its folder (ddtrain's location): started again, it resumes,
 * and a finished run (run_state.h) is only looked at.
 */
#ifndef DD_TOOLS_TRAIN_PIPELINE_H
#define DD_TOOLS_TRAIN_PIPELINE_H

#include <glib.h>
#include <stdint.h>

#include "experiment_spec.h"

typedef struct dd_training {
  const char *title;            /* on the progress line: "teacher", ... */
  const char *model;
  int size;
  const char *device;
  const char *labeled, *labeled_images;
  const char *automatic, *automatic_images;     /* NULL: supervised */
  dd_phase phase;               /* its seed seeds the run */
  const char *out;
  int64_t stop_after;           /* > 0: stop there (checkpointed), to go on later */
} dd_training;

typedef struct dd_training_outcome {
  int64_t iteration;            /* where the run is now */
  gboolean already_done;        /* the folder held the finished run */
  double first_loss;            /* of iteration 1, when this call ran it; else NAN */
  double last_loss;             /* the mean of the last 20 iterations run; else NAN */
  double images_per_second;
  guint64 labeled_drawn, automatic_drawn;       /* by the run so far */
} dd_training_outcome;

/* Runs (or resumes) the training to its end, or to stop_after. Errors come
 * from the pipeline, naming the element and the cause. */
gboolean dd_training_run (const dd_training *t, dd_training_outcome *outcome,
    GError **error);

#endif
