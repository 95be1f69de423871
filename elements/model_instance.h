/* A model shared by every ddinfer that names it: one per (model folder,
 * device, batch size) in the process, and one engine worker per device
 * (lib/nn/worker.h: oneDNN's and CUDA's work belongs on one thread)
 * shared by all models on that device.
 *
 * Each ddinfer hands its image in and waits for the detections; the
 * conversion to the network's input (padding on the right and at the
 * bottom with lib/model's fill to the next multiple of the output stride,
 * as tools/tta_predictor.c pads, or of a larger multiple when the network
 * needs it; then normalising) happens on the caller's thread, the network
 * and the decoding on the worker. Requests wait in
 * one queue; when the worker takes one, it takes with it up to `batch`
 * requests of the same padded size that are waiting (the branches of one
 * frame at one scale, a transform and its mirror, frames queued behind a
 * busy worker) and runs them as one batch: batching costs no latency, it
 * happens whenever there is something to batch, and a batch runs at the
 * size gathered (rounded up to a power of two), not at `batch`: a lone
 * request costs one image's forward. The network for a padded size and a
 * batch is set up once, on first use.
 */
#ifndef DD_ELEMENTS_MODEL_INSTANCE_H
#define DD_ELEMENTS_MODEL_INSTANCE_H

#include <glib.h>

#include "data/image.h"
#include "model/decode.h"
#include "model/detection.h"

typedef struct dd_model_instance dd_model_instance;

/* The instance of model folder `dir` (model.json + model.safetensors) on
 * `device` ("cpu", "cuda", "reference"), created on first use; release it
 * with dd_model_instance_unref. NULL with an error naming the folder or
 * the device when it cannot be loaded. */
dd_model_instance *dd_model_instance_get (const char *dir, const char *device,
    int batch, GError **error);
void dd_model_instance_unref (dd_model_instance *m);

/* What the model is. */
const char *dd_model_instance_name (const dd_model_instance *m);
void dd_model_instance_input_size (const dd_model_instance *m, int *width,
    int *height);
int dd_model_instance_n_classes (const dd_model_instance *m);
int dd_model_instance_n_keypoints (const dd_model_instance *m);
/* partner[k]: the keypoint k becomes in a mirror image (k itself when it
 * has no pair); n_keypoints entries. */
const int *dd_model_instance_flip_partners (const dd_model_instance *m);

/* Images run, network runs (batches) and the image slots those runs
 * computed (images plus padding) since the instance was made. */
void dd_model_instance_stats (dd_model_instance *m, guint64 *images,
    guint64 *runs, guint64 *slots);

/* One image's result. */
typedef struct dd_inference {
  GArray *detections;           /* dd_detection, in the image's pixels */
  dd_head_maps maps;            /* every head, on the padded image's grid;
                                 * empty unless asked for */
} dd_inference;

void dd_inference_clear (dd_inference *r);

/* Runs the model on `img` (RGB, any size up to the model's limits) and
 * fills `out` (cleared first); with `want_maps`, the raw head maps too.
 * Blocks until done. FALSE with an error naming the model on failure. */
gboolean dd_model_instance_infer (dd_model_instance *m, const dd_image *img,
    const dd_decode_params *decode, gboolean want_maps, dd_inference *out,
    GError **error);

#endif
