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

/* Appending copies: the dataset takes a copy of every string, keypoint array,
 * skeleton and JSON node of the entry, so the caller keeps ownership of its
 * own. They check nothing; dd_coco_validate() (and dd_coco_write()) do. */
void dd_coco_add_image (dd_coco_dataset *ds, const dd_coco_image *image);
void dd_coco_add_annotation (dd_coco_dataset *ds, const dd_coco_annotation *ann);
void dd_coco_add_category (dd_coco_dataset *ds, const dd_coco_category *cat);

/* The position in ds->images (ds->categories) of the entry with this id, or
 * -1. A linear search: index the ids yourself for lookups in bulk. */
int dd_coco_find_image (const dd_coco_dataset *ds, int64_t id);
int dd_coco_find_category (const dd_coco_dataset *ds, int id);

/* Reads a COCO JSON file (a dataset, or with `results` a pycocotools results
 * array of detections). Every fault is reported with the file, the image or
 * annotation id, the field and what is wrong with it. Members ddistill has no
 * field for (licenses, coco_url, ...) are not kept. */
dd_coco_dataset *dd_coco_read (const char *path, GError **error);
/* pycocotools' loadRes: a JSON array of {image_id, category_id, bbox or
 * keypoints, score}. Detection i gets id i + 1. As loadRes, the first entry
 * decides for all: when it has a bbox, area = w * h; otherwise bbox and area
 * are the extent of the keypoints (all of them, whatever their v). A COCO
 * dataset object whose annotations all carry a score is accepted too, ids
 * and areas as written. Check the detections against the ground truth with
 * dd_coco_check_results(). */
dd_coco_dataset *dd_coco_read_results (const char *path, GError **error);
/* Writes atomically: a temporary file beside `path`, renamed into place.
 * Refuses (and writes nothing) when dd_coco_validate() fails. Numbers are
 * written so that a reader in double precision gets exactly the values held,
 * float keypoints included. */
gboolean dd_coco_write (const dd_coco_dataset *ds, const char *path, GError **error);

typedef enum {
  DD_COCO_READ_DEFAULT = 0,
  DD_COCO_READ_CHECK_IMAGES = 1 << 0,   /* every file_name must exist in image_dir
                                         * (which must then be given) */
} dd_coco_read_flags;

/* dd_coco_read() with an image folder (kept in ds->image_dir; may be NULL)
 * and flags. */
dd_coco_dataset *dd_coco_read_full (const char *path, const char *image_dir,
    dd_coco_read_flags flags, GError **error);

/* Checks what the reader checks, on a dataset built in memory: ids unique,
 * references resolve, sizes and areas not negative, keypoint arrays of
 * 3 x (the category's keypoint count) numbers, skeletons inside the
 * keypoint list, scores finite and not negative. `name` (a file name or a
 * description) starts every message. */
gboolean dd_coco_validate (const dd_coco_dataset *ds, const char *name, GError **error);

/* Checks detections against their ground truth, as pycocotools assumes but
 * does not check: every image_id and category_id exists in `gt`, and
 * keypoints have 3 x (the ground truth category's keypoint count) numbers.
 * `dt_name` starts every message. */
gboolean dd_coco_check_results (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    const char *dt_name, GError **error);

/* The streaming writer, for sets too large to hold: images and annotations
 * are written as they come, in any order, and only ids are kept in memory.
 * Nothing appears at `path` until dd_coco_writer_finish() renames the
 * complete file into place; the file is then what dd_coco_read() accepts
 * (finish fails when an annotation refers to an image never added). */
typedef struct dd_coco_writer dd_coco_writer;

/* `head` gives info, provenance and categories; its images and annotations,
 * if any, are written as if added one by one. */
dd_coco_writer *dd_coco_writer_new (const char *path, const dd_coco_dataset *head,
    GError **error);
/* Each checks the entry (repeated id, unknown category, keypoint count,
 * negative size or score) and writes nothing when it is at fault. */
gboolean dd_coco_writer_add_image (dd_coco_writer *w, const dd_coco_image *image,
    GError **error);
gboolean dd_coco_writer_add_annotation (dd_coco_writer *w, const dd_coco_annotation *ann,
    GError **error);
/* Closes the arrays, syncs and renames into place. Frees `w` whatever the
 * outcome; on failure nothing is left behind. */
gboolean dd_coco_writer_finish (dd_coco_writer *w, GError **error);
/* Drops everything written so far, removes the temporary files, frees `w`. */
void dd_coco_writer_abort (dd_coco_writer *w);

#endif
