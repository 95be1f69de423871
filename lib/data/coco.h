/* COCO datasets in memory, and their JSON reader and writer.
 *
 * The fields are COCO's, with COCO's units: bbox is [x, y, width, height] in
 * pixels of the original image, keypoints are (x, y, v) triples with v = 0
 * absent, 1 labelled but occluded, 2 visible. Detection results (pycocotools'
 * loadRes input) use the same annotation type with has_score set.
 *
 * Automatic labels carry provenance: per image, where the frame came from;
 * per dataset, how the labels were made (a free JSON object kept verbatim).
 */
#ifndef DD_DATA_COCO_H
#define DD_DATA_COCO_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#define DD_COCO_PERSON_KEYPOINTS 17

typedef struct dd_coco_image {
  int64_t id;
  char *file_name;              /* relative to the dataset's image folder */
  int width, height;
  /* Provenance of an automatically labelled frame; NULL / -1 when absent. */
  char *source_uri;
  int64_t timestamp_ns;
} dd_coco_image;

typedef struct dd_coco_annotation {
  int64_t id;
  int64_t image_id;
  int category_id;
  double bbox[4];               /* x, y, w, h */
  double area;
  int iscrowd;
  int num_keypoints;            /* keypoints with v > 0 */
  int n_keypoints;              /* K: keypoints holds 3*K floats, or K = 0 */
  float *keypoints;
  int has_score;                /* detections and automatic labels */
  double score;
  /* The segmentation as it was read, kept so a round trip loses nothing;
   * NULL when absent. ddistill itself never uses masks. */
  JsonNode *segmentation;
} dd_coco_annotation;

typedef struct dd_coco_category {
  int id;
  char *name;
  char *supercategory;
  int n_keypoints;
  char **keypoint_names;        /* n_keypoints names */
  int n_skeleton;
  int (*skeleton)[2];           /* 1-based keypoint index pairs, as COCO */
} dd_coco_category;

typedef struct dd_coco_dataset {
  GArray *images;               /* dd_coco_image */
  GArray *annotations;          /* dd_coco_annotation */
  GArray *categories;           /* dd_coco_category */
  JsonNode *info;               /* "info" object, NULL when absent */
  JsonNode *provenance;         /* "provenance" object of automatic labels */
  char *image_dir;              /* where file_name is resolved; may be NULL */
} dd_coco_dataset;

#define DD_COCO_ERROR (dd_coco_error_quark ())
GQuark dd_coco_error_quark (void);

typedef enum {
  DD_COCO_ERROR_PARSE,          /* not JSON, or not the COCO shape */
  DD_COCO_ERROR_FIELD,          /* a field missing, of the wrong type or out of range */
  DD_COCO_ERROR_DUPLICATE,      /* a repeated id */
  DD_COCO_ERROR_REFERENCE,      /* an id that refers to nothing */
  DD_COCO_ERROR_IO,             /* a file that cannot be read or written */
} dd_coco_error;

/* The dataset owns every string, array and JSON node it holds. */
dd_coco_dataset *dd_coco_dataset_new (void);
void dd_coco_dataset_free (dd_coco_dataset *ds);

/* Reads a COCO JSON file (a dataset, or with `results` a pycocotools results
 * array of detections). Every fault is reported with the file, the image or
 * annotation id, the field and what is wrong with it. */
dd_coco_dataset *dd_coco_read (const char *path, GError **error);
dd_coco_dataset *dd_coco_read_results (const char *path, GError **error);
/* Writes atomically: a temporary file beside `path`, renamed into place. */
gboolean dd_coco_write (const dd_coco_dataset *ds, const char *path, GError **error);

#endif
