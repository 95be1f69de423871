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

#include "data/augment.h"
#include "data/mix_sampler.h"
#include "model/losses.h"
#include "model/model_error.h"
#include "model/targets.h"
#include "nn/backend.h"
#include "nn/rng.h"

#define DD_TRAIN_CHECKPOINT "checkpoint.safetensors"
#define DD_TRAIN_CONFIG "train.json"

typedef struct dd_train_stats {
  int64_t iteration;            /* iterations done, this one included */
  int64_t iterations;           /* of the whole run */
  int64_t first;                /* the iteration this process started from */
  float lr;
  dd_loss_parts loss;           /* this iteration's */
  dd_loss_parts mean;           /* the mean of the last (up to) 20 */
  /* Over those iterations, the process's first left out: 0 and NAN until
   * its second iteration ends. */
  double images_per_second;
  double seconds_left;
  gboolean checkpointed;        /* a checkpoint was written after it */
  /* Images drawn from each source (by dd_mix_source: manual, automatic)
   * by the run so far, those before a resume included. */
  uint64_t drawn[2];
} dd_train_stats;

typedef void (*dd_train_progress) (const dd_train_stats *stats, void *user);

/* Training images from a stream instead of dataset files: the ddtrain
 * element feeds the trainer from its sink pads. */
typedef enum {
  DD_TRAIN_STREAM_OK,
  DD_TRAIN_STREAM_END,          /* no more images: the run stops, saved as it is */
  DD_TRAIN_STREAM_ERROR,
} dd_train_stream_status;

/* Fills image `slot` of the minibatch (its input planes and targets, as
 * dd_train_set_sample does) with the next image of draw->source. Streams
 * have no size: the sampler behind the draws holds one item per source, so
 * draw->epoch counts the images the run drew from that source before this
 * one, across resumes too. */
typedef dd_train_stream_status (*dd_train_stream_fn) (void *user,
    const dd_mix_draw *draw, const dd_augment_params *p, dd_rng *rng,
    float *input, dd_targets *t, int slot, GError **error);

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
   * (to slice a long run, and for tests). A checkpoint already past it is
   * refused (DD_MODEL_ERROR_RESUME). */
  int64_t stop_after;
  dd_train_progress progress;
  void *user;
  /* Where the rate drops tenfold, as fractions of the iterations; both 0:
   * the schedule's own (schedule.h). */
  float first_drop, second_drop;
  /* With `stream` set, data and extra are not read: every image comes from
   * stream (stream_user, ...), from the manual source or, with
   * stream_automatic, from both mixed at ratio or rho. stream_id stands for
   * the data in train.json: a resume continues a run only with the same
   * stream_id, so it tells runs apart only as well as the caller names
   * its streams (ddtrain names only whether an automatic one is mixed). */
  dd_train_stream_fn stream;
  void *stream_user;
  gboolean stream_automatic;
  const char *stream_id;
  /* Not NULL: train on this backend (an engine worker's, on whose thread
   * dd_train then runs) instead of creating `device`'s. */
  dd_backend *backend;
} dd_train_options;

/* ratio 0.6, batch 16, lr 0.02, seed 0, device cpu, checkpoint every 100;
 * model, data (or stream), iterations and out must be set. */
void dd_train_options_init (dd_train_options *o);

/* Trains (or resumes) the run of `o`. TRUE when it ran to its end (or to
 * stop_after); the model folder is complete only at the end. Errors are
 * DD_MODEL_ERROR's. */
gboolean dd_train (const dd_train_options *o, GError **error);

/* The sha256 of a file's bytes, hex: what train.json records of a dataset
 * file, and what names a stream's datasets (ddtrain's data-id). */
char *dd_train_file_sha256 (const char *path, GError **error);

#endif
