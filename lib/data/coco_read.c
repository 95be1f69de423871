/* Reading a COCO dataset: json-glib parses the file, each entry becomes a
 * dd_coco_* struct (type errors are reported as they are met, in file
 * order), then dd_coco_validate() checks ids, references and ranges. */
#include "data/coco_private.h"

#include <math.h>

static gboolean
read_image (JsonObject *o, guint i, dd_coco_image *image, const char *path, GError **error)
{
  g_autofree char *where = g_strdup_printf ("images[%u]", i);
  dd_coco_loc loc = { path, where };
  if (!dd_coco_get_int64 (o, "id", TRUE, &image->id, &loc, error))
    return FALSE;
  g_free (where);
  loc.where = where = g_strdup_printf ("image %" G_GINT64_FORMAT, image->id);
  image->timestamp_ns = -1;
  return dd_coco_get_string (o, "file_name", TRUE, &image->file_name, &loc, error)
      && dd_coco_get_int (o, "width", TRUE, &image->width, &loc, error)
      && dd_coco_get_int (o, "height", TRUE, &image->height, &loc, error)
      && dd_coco_get_string (o, "source_uri", FALSE, &image->source_uri, &loc, error)
      && dd_coco_get_int64 (o, "timestamp_ns", FALSE, &image->timestamp_ns, &loc, error);
}

static gboolean
read_keypoint_names (JsonObject *o, dd_coco_category *cat, const dd_coco_loc *loc,
    GError **error)
{
  JsonNode *n = dd_coco_member (o, "keypoints");
  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "keypoints",
        "expected an array of keypoint names");
    return FALSE;
  }
  JsonArray *a = json_node_get_array (n);
  cat->n_keypoints = (int) json_array_get_length (a);
  cat->keypoint_names = g_new0 (char *, cat->n_keypoints + 1);
  for (int k = 0; k < cat->n_keypoints; k++) {
    JsonNode *e = json_array_get_element (a, k);
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING) {
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "keypoints",
          "element %d is not a string: expected keypoint names", k);
      return FALSE;
    }
    cat->keypoint_names[k] = g_strdup (json_node_get_string (e));
  }
  return TRUE;
}

static gboolean
read_edge (JsonNode *e, int edge[2])
{
  JsonArray *pair = JSON_NODE_HOLDS_ARRAY (e) ? json_node_get_array (e) : NULL;
  if (!pair || json_array_get_length (pair) != 2)
    return FALSE;
  for (int end = 0; end < 2; end++) {
    JsonNode *k = json_array_get_element (pair, end);
    if (!JSON_NODE_HOLDS_VALUE (k) || json_node_get_value_type (k) != G_TYPE_INT64)
      return FALSE;
    edge[end] = (int) CLAMP (json_node_get_int (k), G_MININT, G_MAXINT);
  }
  return TRUE;
}

static gboolean
read_skeleton (JsonObject *o, dd_coco_category *cat, const dd_coco_loc *loc, GError **error)
{
  JsonNode *n = dd_coco_member (o, "skeleton");
  if (!n)
    return TRUE;
  JsonArray *a = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
  guint len = a ? json_array_get_length (a) : 0;
  cat->skeleton = g_malloc0_n (len ? len : 1, sizeof cat->skeleton[0]);
  for (guint s = 0; a && s < len; s++) {
    if (!read_edge (json_array_get_element (a, s), cat->skeleton[s]))
      a = NULL;
    else
      cat->n_skeleton = (int) s + 1;
  }
  if (!a) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "skeleton",
        "expected an array of [a, b] pairs of keypoint numbers");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_category (JsonObject *o, guint i, dd_coco_category *cat, const char *path,
    GError **error)
{
  g_autofree char *where = g_strdup_printf ("categories[%u]", i);
  dd_coco_loc loc = { path, where };
  if (!dd_coco_get_int (o, "id", TRUE, &cat->id, &loc, error))
    return FALSE;
  g_free (where);
  loc.where = where = g_strdup_printf ("category %d", cat->id);
  return dd_coco_get_string (o, "name", TRUE, &cat->name, &loc, error)
      && dd_coco_get_string (o, "supercategory", FALSE, &cat->supercategory, &loc, error)
      && read_keypoint_names (o, cat, &loc, error)
      && read_skeleton (o, cat, &loc, error);
}

static gboolean
read_keypoints (JsonObject *o, dd_coco_annotation *ann, const dd_coco_loc *loc,
    GError **error)
{
  g_autofree double *v = NULL;
  guint n;
  if (!dd_coco_get_numbers (o, "keypoints", FALSE, &v, &n, loc, error))
    return FALSE;
  if (n % 3 != 0) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "keypoints",
        "%u numbers, not a multiple of 3: keypoints are (x, y, v) triples", n);
    return FALSE;
  }
  ann->n_keypoints = (int) (n / 3);
  ann->keypoints = n ? g_new (float, n) : NULL;
  ann->num_keypoints = 0;
  for (guint i = 0; i < n; i++)
    ann->keypoints[i] = (float) v[i];
  for (guint i = 2; i < n; i += 3)
    ann->num_keypoints += v[i] > 0;
  return TRUE;
}

static gboolean
read_bbox (JsonObject *o, gboolean required, double bbox[4], const dd_coco_loc *loc,
    GError **error)
{
  g_autofree double *v = NULL;
  guint n;
  if (!dd_coco_get_numbers (o, "bbox", required, &v, &n, loc, error))
    return FALSE;
  if (v && n != 4) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "bbox",
        "%u numbers: expected [x, y, width, height]", n);
    return FALSE;
  }
  for (guint i = 0; i < n; i++)
    bbox[i] = v[i];
  return TRUE;
}

static gboolean
read_annotation (JsonObject *o, guint i, dd_coco_annotation *ann, const char *path,
    GError **error)
{
  g_autofree char *where = g_strdup_printf ("annotations[%u]", i);
  dd_coco_loc loc = { path, where };
  if (!dd_coco_get_int64 (o, "id", TRUE, &ann->id, &loc, error))
    return FALSE;
  g_free (where);
  loc.where = where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, ann->id);
  if (!dd_coco_get_int64 (o, "image_id", TRUE, &ann->image_id, &loc, error)
      || !dd_coco_get_int (o, "category_id", TRUE, &ann->category_id, &loc, error)
      || !read_bbox (o, TRUE, ann->bbox, &loc, error)
      || !dd_coco_get_number (o, "area", TRUE, &ann->area, &loc, error)
      || !dd_coco_get_flag (o, "iscrowd", FALSE, &ann->iscrowd, &loc, error)
      || !read_keypoints (o, ann, &loc, error)
      || !dd_coco_get_int (o, "num_keypoints", FALSE, &ann->num_keypoints, &loc, error))
    return FALSE;
  ann->has_score = dd_coco_member (o, "score") != NULL;
  if (!dd_coco_get_number (o, "score", FALSE, &ann->score, &loc, error))
    return FALSE;
  JsonNode *seg = dd_coco_member (o, "segmentation");
  ann->segmentation = seg ? json_node_copy (seg) : NULL;
  return TRUE;
}

/* Each element of `a` as an object, handed to `read` with a zeroed entry
 * that is appended (and so freed with the dataset) whatever the outcome. */
typedef gboolean (*read_entry_fn) (JsonObject *o, guint i, gpointer entry,
    const char *path, GError **error);

static gboolean
read_entries (JsonArray *a, const char *field, GArray *into, read_entry_fn read,
    const char *path, GError **error)
{
  guint len = a ? json_array_get_length (a) : 0;
  g_array_set_size (into, len);
  for (guint i = 0; i < len; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_OBJECT (e)) {
      g_autofree char *where = g_strdup_printf ("%s[%u]", field, i);
      dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, where, NULL,
          "expected an object");
      return FALSE;
    }
    gpointer entry = into->data + (gsize) i * g_array_get_element_size (into);
    if (!read (json_node_get_object (e), i, entry, path, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
read_object_member (JsonObject *root, const char *field, JsonNode **out,
    const char *path, GError **error)
{
  JsonNode *n = dd_coco_member (root, field);
  if (n && !JSON_NODE_HOLDS_OBJECT (n)) {
    dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, NULL, field,
        "expected an object");
    return FALSE;
  }
  *out = n ? json_node_copy (n) : NULL;
  return TRUE;
}

static gboolean
check_image_files (const dd_coco_dataset *ds, const char *path, GError **error)
{
  for (guint i = 0; i < ds->images->len; i++) {
    const dd_coco_image *image = &g_array_index (ds->images, dd_coco_image, i);
    g_autofree char *file = g_build_filename (ds->image_dir, image->file_name, NULL);
    if (!g_file_test (file, G_FILE_TEST_IS_REGULAR)) {
      g_autofree char *where = g_strdup_printf ("image %" G_GINT64_FORMAT, image->id);
      dd_coco_set_error (error, DD_COCO_ERROR_IO, path, where, "file_name",
          "%s is missing (or not a file): put the image there or give the right "
          "image folder", file);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
dd_coco_read_object (JsonObject *root, dd_coco_dataset *ds, const char *path,
    GError **error)
{
  if (!dd_coco_member (root, "images")) {
    dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, NULL, "images",
        "missing: a COCO dataset lists its images");
    return FALSE;
  }
  JsonArray *arrays[3];
  static const char *const names[3] = { "images", "categories", "annotations" };
  for (int i = 0; i < 3; i++) {
    JsonNode *n = dd_coco_member (root, names[i]);
    if (n && !JSON_NODE_HOLDS_ARRAY (n)) {
      dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, NULL, names[i],
          "expected an array of objects");
      return FALSE;
    }
    arrays[i] = n ? json_node_get_array (n) : NULL;
  }
  return read_object_member (root, "info", &ds->info, path, error)
      && read_object_member (root, "provenance", &ds->provenance, path, error)
      && read_entries (arrays[0], names[0], ds->images, (read_entry_fn) read_image,
          path, error)
      && read_entries (arrays[1], names[1], ds->categories,
          (read_entry_fn) read_category, path, error)
      && read_entries (arrays[2], names[2], ds->annotations,
          (read_entry_fn) read_annotation, path, error);
}

dd_coco_dataset *
dd_coco_read_full (const char *path, const char *image_dir, dd_coco_read_flags flags,
    GError **error)
{
  g_autoptr (JsonParser) parser = dd_coco_parse_file (path, error);
  if (!parser)
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_PARSE,
        "%s: the top level is %s, not a COCO dataset object%s", path,
        JSON_NODE_HOLDS_ARRAY (root) ? "an array" : "a single value",
        JSON_NODE_HOLDS_ARRAY (root) ? " (a detection results file? read it as results)" : "");
    return NULL;
  }
  g_return_val_if_fail (image_dir || !(flags & DD_COCO_READ_CHECK_IMAGES), NULL);
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  ds->image_dir = g_strdup (image_dir);
  if (!dd_coco_read_object (json_node_get_object (root), ds, path, error)
      || !dd_coco_validate (ds, path, error)
      || ((flags & DD_COCO_READ_CHECK_IMAGES) && !check_image_files (ds, path, error))) {
    dd_coco_dataset_free (ds);
    return NULL;
  }
  return ds;
}

dd_coco_dataset *
dd_coco_read (const char *path, GError **error)
{
  return dd_coco_read_full (path, NULL, DD_COCO_READ_DEFAULT, error);
}
