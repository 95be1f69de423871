/* The detector: a network (lib/nn) and the metadata of its heads, read
 * from the network file's detector keys (docs/network-format.md): `heads`
 * (each head's output layer, channels and activation), `output_stride`,
 * `classes`, `keypoints`, `flip_pairs`, `skeleton`.
 *
 *   dd_detector *det = dd_detector_load ("small", err, sizeof err);
 *   dd_detector_setup (det, be, DD_NET_INFER, 8, 128, 128, err, sizeof err);
 *   dd_detector_load_weights (det, "run/model.safetensors", err, sizeof err);
 *   dd_detector_image_to_input (det, image, input);   // per image, 3*h*w floats
 *   dd_detector_forward (det, input, 0, err, sizeof err);
 *   dd_decode (&dd_detector_maps (det)->maps[i], &params, detections);
 *
 * Units: the size and keypoint-offset heads regress in map cells (output
 * value 1 = `output_stride` input pixels), CenterNet's convention, which
 * keeps their outputs near the scale of the other heads; the maps the
 * detector hands out are in the units of detection.h (input pixels), and
 * gradients handed back in those units are converted the other way.
 *
 * Input: RGB scaled to [0, 1] and normalised with ImageNet's mean and
 * standard deviation (dd_detector_image_to_input); the padding colour of
 * letterboxing and augmentation is that mean, which becomes 0.
 */
#ifndef DD_MODEL_DETECTOR_H
#define DD_MODEL_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "data/image.h"
#include "model/detection.h"
#include "model/head_batch.h"
#include "nn/net.h"

typedef enum dd_head {
  DD_HEAD_CENTER,
  DD_HEAD_SIZE,
  DD_HEAD_OFFSET,
  DD_HEAD_KEYPOINT_HEATMAP,
  DD_HEAD_KEYPOINT_OFFSET,
  DD_N_HEADS
} dd_head;

/* The keys of `heads`, in dd_head order. */
extern const char *const dd_head_names[DD_N_HEADS];

typedef struct dd_detector {
  dd_net *net;
  char *origin;                 /* file or preset name, for messages */
  int stride;
  int n_classes;
  char **classes;
  int n_keypoints;              /* 0: a box-only detector */
  char **keypoint_names;
  int n_flip_pairs;
  int (*flip_pairs)[2];         /* 0-based keypoint indices */
  int n_skeleton;
  int (*skeleton)[2];           /* 1-based, as COCO */
  /* Output layer of each head; NULL for the keypoint heads of a box-only
   * detector. */
  const char *head_layer[DD_N_HEADS];
  /* After a setup: the last forward's maps, and staging for gradients. */
  dd_head_batch *maps;
  dd_head_batch *staging;
} dd_detector;

/* The fill colour of padding, ImageNet's mean RGB. */
extern const uint8_t dd_detector_fill[3];

/* Takes ownership of `net` (freed on failure too). Checks the metadata:
 * every head present with the right channels (center: classes, size and
 * offset: 2, keypoint_heatmap: keypoints, keypoint_offset: 2 x keypoints),
 * heatmaps ending in a sigmoid, flip pairs inside the keypoints. Errors
 * name `origin` and the key. */
dd_detector *dd_detector_new (dd_net *net, const char *origin, char *err, size_t err_len);
/* A preset name or a network .json path (dd_net_load_preset). */
dd_detector *dd_detector_load (const char *name_or_path, char *err, size_t err_len);
void dd_detector_free (dd_detector *det);

/* dd_net_setup, then checks that every head's map is the input divided by
 * output_stride (so the input size must be a multiple of it) and
 * allocates the host maps. */
int dd_detector_setup (dd_detector *det, dd_backend *be, dd_net_mode mode, int batch,
                       int height, int width, char *err, size_t err_len);

/* Seeded initial weights: PyTorch's default initialisation
 * (dd_net_init_params) and CenterNet's prior on the heatmaps' last bias,
 * -log((1 - 0.1) / 0.1), so training starts from p = 0.1 everywhere rather
 * than 0.5 (whose focal loss on thousands of empty cells would swamp the
 * first steps). Needs a setup. */
int dd_detector_init_weights (dd_detector *det, uint64_t seed, char *err, size_t err_len);

/* Loads weights (dd_checkpoint_load; an optimizer state in the file is
 * loaded too when the detector is set up for training). Needs a setup. */
int dd_detector_load_weights (dd_detector *det, const char *path, char *err,
                              size_t err_len);

/* One image, already at the network's input size, as its input planes
 * (3 x height x width floats). */
void dd_detector_image_to_input (const dd_image *img, float *chw);

/* Runs the network on a batch (NCHW, the setup's shape) and reads every
 * head into dd_detector_maps(). training: batch statistics (DD_NET_TRAIN
 * only). */
int dd_detector_forward (dd_detector *det, const float *input, int training, char *err,
                         size_t err_len);
dd_head_batch *dd_detector_maps (dd_detector *det);

/* Back-propagates d(loss)/d(maps) (a batch shaped as dd_detector_maps())
 * through the network, after zeroing the previous gradients. */
int dd_detector_backward (dd_detector *det, const dd_head_batch *grad, char *err,
                          size_t err_len);

#endif
