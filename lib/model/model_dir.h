/* A trained model on disk: a folder holding
 *
 *   model.json          the network file (docs/network-format.md) it was
 *                       trained from, its "input" size the one it was
 *                       trained at;
 *   model.safetensors   the weights and batch norm statistics, without the
 *                       optimizer state (a PyTorch user load_state_dict()s
 *                       it as it is).
 *
 * `ddistill train` leaves one, `ddistill predict` and distillation's
 * inference read it.
 */
#ifndef DD_MODEL_MODEL_DIR_H
#define DD_MODEL_MODEL_DIR_H

#include <stddef.h>

#include "model/detector.h"

#define DD_MODEL_JSON "model.json"
#define DD_MODEL_WEIGHTS "model.safetensors"

/* The detector of DIR/model.json, not set up; load its weights with
 * dd_detector_load_weights (det, DIR/model.safetensors) after a setup. */
dd_detector *dd_model_dir_load (const char *dir, char *err, size_t err_len);

/* Opens DIR for inference on `be` in one go: load, set up DD_NET_INFER
 * for `batch` images at the model's input size, load the weights. Errors
 * name the file at fault (a weights file that does not match its JSON
 * says which tensor). */
dd_detector *dd_model_dir_open (const char *dir, dd_backend *be, int batch,
                                char *err, size_t err_len);

/* The network JSON of `det` as text, with its "input" height and width
 * replaced by the given ones. NULL when out of memory. */
char *dd_model_json_text (const dd_detector *det, int height, int width);

/* The SHA-256 (hex) of that text: what names a network in a run's
 * train.json and in `ddistill distill`'s run folders. Free with g_free;
 * NULL when out of memory. */
char *dd_model_network_sha256 (const dd_detector *det, int height, int width);

/* Writes DIR/model.json (input size height x width) and
 * DIR/model.safetensors (the model part of `checkpoint`, a checkpoint of
 * `det`'s network), each atomically. Uses det's backend. */
int dd_model_dir_save (const dd_detector *det, const char *checkpoint, const char *dir,
                       int height, int width, char *err, size_t err_len);

#endif
