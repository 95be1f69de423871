/* What the COCO reader, writer and checks share inside lib/data (and
 * lib/eval): error messages in one shape, entry checks, and sorted id
 * tables. Not part of the public interface. */
#ifndef DD_DATA_COCO_PRIVATE_H
#define DD_DATA_COCO_PRIVATE_H

#include "data/coco.h"

/* Sets "NAME: WHERE: field 'FIELD': MESSAGE" (WHERE and FIELD may be NULL). */
void dd_coco_set_error (GError **error, dd_coco_error code, const char *name,
    const char *where, const char *field, const char *fmt, ...) G_GNUC_PRINTF (6, 7);

/* The checks dd_coco_validate() applies to one entry. `cat` is the
 * annotation's category, or NULL when it has none (the caller reports an
 * unknown category itself). */
gboolean dd_coco_check_image (const dd_coco_image *image, const char *name, GError **error);
gboolean dd_coco_check_category (const dd_coco_category *cat, const char *name,
    GError **error);
gboolean dd_coco_check_annotation (const dd_coco_annotation *ann, const char *where,
    const dd_coco_category *cat, const char *name, GError **error);

/* Typed members of a JSON object, with errors in the shape above. `where`
 * names the entry ("image 785"). Absent (or null) members are an error when
 * `required`, and otherwise leave *out as it was. Integers accept JSON
 * numbers with an integral value; numbers accept integers and reals. */
typedef struct dd_coco_loc {
  const char *name;             /* the file */
  const char *where;            /* the entry */
} dd_coco_loc;

gboolean dd_coco_get_int64 (JsonObject *o, const char *field, gboolean required,
    int64_t *out, const dd_coco_loc *loc, GError **error);
gboolean dd_coco_get_int (JsonObject *o, const char *field, gboolean required,
    int *out, const dd_coco_loc *loc, GError **error);
/* An int that may also be written true or false (1 or 0), as COCO's flags
 * (iscrowd) are by some tools; dd_coco_get_int refuses booleans. */
gboolean dd_coco_get_flag (JsonObject *o, const char *field, gboolean required,
    int *out, const dd_coco_loc *loc, GError **error);
gboolean dd_coco_get_number (JsonObject *o, const char *field, gboolean required,
    double *out, const dd_coco_loc *loc, GError **error);
/* *out is a new string. */
gboolean dd_coco_get_string (JsonObject *o, const char *field, gboolean required,
    char **out, const dd_coco_loc *loc, GError **error);
/* An array of numbers: *out (new, *n of them), or *out = NULL when absent. */
gboolean dd_coco_get_numbers (JsonObject *o, const char *field, gboolean required,
    double **out, guint *n, const dd_coco_loc *loc, GError **error);
/* The member, or NULL when absent or null. */
JsonNode *dd_coco_member (JsonObject *o, const char *field);
/* Parses `path` (its root is not NULL), or NULL with an error naming the file. */
JsonParser *dd_coco_parse_file (const char *path, GError **error);

/* JSON text: a number with the fewest digits that read back to the same
 * double, and a quoted, escaped string. */
void dd_coco_append_double (GString *s, double v);
void dd_coco_append_string (GString *s, const char *str);

/* Reads the members of a dataset object into `ds` (empty), without
 * validating it. */
gboolean dd_coco_read_object (JsonObject *root, dd_coco_dataset *ds, const char *path,
    GError **error);

/* Ids sorted for lookup by binary search; `index` is the entry's position. */
typedef struct dd_coco_id_entry {
  int64_t id;
  guint index;
} dd_coco_id_entry;

typedef struct dd_coco_ids {
  dd_coco_id_entry *entries;
  guint n;
} dd_coco_ids;

/* Fills `ids` with the ids of the images (categories, annotations) in
 * order of id; ties keep their positions' order, so a repeated id shows as
 * two neighbours, the first occurrence first. */
void dd_coco_ids_of_images (dd_coco_ids *ids, const dd_coco_dataset *ds);
void dd_coco_ids_of_categories (dd_coco_ids *ids, const dd_coco_dataset *ds);
void dd_coco_ids_of_annotations (dd_coco_ids *ids, const dd_coco_dataset *ds);
/* The position of the first entry with this id, or -1. */
int dd_coco_ids_find (const dd_coco_ids *ids, int64_t id);
/* The rank of the id among the sorted entries (its first occurrence), or -1. */
int dd_coco_ids_rank (const dd_coco_ids *ids, int64_t id);
/* The smallest repeated id: TRUE, the id and the positions of its first two
 * occurrences. */
gboolean dd_coco_ids_repeated (const dd_coco_ids *ids, int64_t *id, guint *first,
    guint *second);
void dd_coco_ids_clear (dd_coco_ids *ids);

#endif
