/* Training a detector: `ddistill train`.
 *
 * The run lives in one folder (`out`):
 *   train.json               what the run is (options, and checksums of the
 *                            network and the datasets), written at its start;
 *   checkpoint.safetensors   weights, optimizer state and step, written
 *                            atomically every checkpoint_every iterations;
 *   model.json, model.safetensors   the trained model (model_dir.h), at the end.
 *
 * A run is a pure function of train.json: initial weights from the seed,
 * each minibatch's items from the mixing sampler (seeded, replayed to the
 * checkpoint's step on resume), each item's augmentation from its own
 * random stream (the seed and the item's position in the run). So a run
 * started again in the same folder resumes from its checkpoint and ends
 * with the same bytes as one never interrupted (on the same backend); a
 * folder whose train.json differs is refused, naming the difference.
 *
 * Each iteration: draw the batch, augment (scale, crop, flip with the
 * keypoint swap, colour jitter), encode targets, forward, losses, backward,
 * SGD (momentum 0.9, weight decay 1e-4) at the rate of the schedule
 * (schedule.h: warm-up, /10 at 70% and 90%). A loss that is not finite
 * stops the run before the step; the last checkpoint stays as it was (and
 * a checkpoint is written only when every weight is finite).
 */
#ifndef DD_MODEL_TRAINER_H
#define DD_MODEL_TRAINER_H

#include <glib.h>
#include <stdint.h>

#include "model/losses.h"
#include "model/model_error.h"

#define DD_TRAIN_CHECKPOINT "checkpoint.safetensors"
#define DD_TRAIN_CONFIG "train.json"

typedef struct dd_train_stats {
  int64_t iteration;            /* iterations done, this one included */
  int64_t iterations;           /* of the whole run */
  int64_t first;                /* the iteration this process started from */
  float lr;
  dd_loss_parts loss;           /* this iteration's */
  dd_loss_parts mean;           /* the mean of the last (up to) 20 */
  double images_per_second;     /* over those iterations */
  double seconds_left;
  gboolean checkpointed;        /* a checkpoint was written after it */
} dd_train_stats;

typedef void (*dd_train_progress) (const dd_train_stats *stats, void *user);

typedef struct dd_train_options {
  const char *model;            /* preset name or network .json */
  const char *data;             /* manually labelled COCO dataset */
  const char *images;           /* its image folder; NULL: the JSON's folder */
  const char *extra;            /* automatic labels, or NULL */
  const char *extra_images;     /* their image folder; NULL: the JSON's folder */
  double ratio;                 /* with extra: the manual share of a batch */
  double rho;                   /* > 0: sample manual : automatic as 1 : rho instead */
  int64_t iterations;
  int batch;
  float lr;
  int size;                     /* input side in pixels; 0: the network's */
  uint64_t seed;
  const char *device;           /* backend: cpu, reference, cuda */
  const char *out;              /* the run's folder */
  int64_t checkpoint_every;
  /* > 0: stop after this iteration, with a checkpoint, as if killed there
   * (to slice a long run, and for tests). */
  int64_t stop_after;
  dd_train_progress progress;
  void *user;
} dd_train_options;

/* ratio 0.6, batch 16, lr 0.02, seed 0, device cpu, checkpoint every 100;
 * model, data, iterations and out must be set. */
void dd_train_options_init (dd_train_options *o);

/* Trains (or resumes) the run of `o`. TRUE when it ran to its end (or to
 * stop_after); the model folder is complete only at the end. Errors are
 * DD_MODEL_ERROR's. */
gboolean dd_train (const dd_train_options *o, GError **error);

#endif
