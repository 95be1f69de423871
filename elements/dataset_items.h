/* A COCO dataset read for streaming its images one by one: each image's
 * annotations gathered and their category names looked up once, and the
 * order of an epoch drawn from a seed. dddatasetsrc's data; no GStreamer.
 */
#ifndef DD_ELEMENTS_DATASET_ITEMS_H
#define DD_ELEMENTS_DATASET_ITEMS_H

#include <glib.h>
#include <stdint.h>

#include "data/coco.h"
#include "data/image.h"

typedef struct dd_dataset_items dd_dataset_items;

/* Reads `json` with its images in `image_dir` (NULL: the JSON's folder),
 * every image file checked to exist. Fails, naming the file, when it cannot
 * be read or holds no image. */
dd_dataset_items *dd_dataset_items_open (const char *json, const char *image_dir,
    GError **error);
void dd_dataset_items_free (dd_dataset_items *d);

guint dd_dataset_items_n_images (const dd_dataset_items *d);
const dd_coco_image *dd_dataset_items_image (const dd_dataset_items *d, guint i);
/* Image i's annotations (n of them, in the file's order) and their
 * category names, parallel arrays owned by `d`. */
const dd_coco_annotation *dd_dataset_items_annotations (const dd_dataset_items *d,
    guint i, guint *n);
const char *const *dd_dataset_items_categories (const dd_dataset_items *d, guint i);
/* Image i's file, decoded. Fails, naming the image id and the file, when
 * it does not decode or its size is not the one the dataset states (its
 * labels would then be misplaced). */
dd_image *dd_dataset_items_load (const dd_dataset_items *d, guint i, GError **error);
/* The absolute path of image i's file (free it). */
char *dd_dataset_items_path (const dd_dataset_items *d, guint i);

/* The order of epoch `epoch` (n_images indices): a permutation drawn from
 * (seed, epoch) when `shuffle`, the file's order otherwise. */
void dd_dataset_items_order (const dd_dataset_items *d, gboolean shuffle,
    uint64_t seed, uint64_t epoch, guint *order);

#endif
