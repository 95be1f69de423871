/* Detection results: pycocotools' results array read as its loadRes reads
 * it, and the checks loadRes leaves out (every detection must refer to an
 * image and a category of the ground truth, with the right keypoint count). */
#include "data/coco_private.h"

#include <math.h>

typedef enum {
  RESULTS_BOXES,                /* area = w * h of the given box */
  RESULTS_KEYPOINTS,            /* box and area from the keypoints' extent */
} results_kind;

/* loadRes takes the kind from the first entry alone. */
static gboolean
results_kind_of (JsonArray *a, results_kind *kind, const char *path, GError **error)
{
  JsonNode *first = json_array_get_element (a, 0);
  if (!JSON_NODE_HOLDS_OBJECT (first)) {
    dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, "detection 1 (results[0])", NULL,
        "expected an object");
    return FALSE;
  }
  JsonObject *o = json_node_get_object (first);
  JsonNode *bbox = dd_coco_member (o, "bbox");
  if (bbox && !(JSON_NODE_HOLDS_ARRAY (bbox) && json_array_get_length (json_node_get_array (bbox)) == 0)) {
    *kind = RESULTS_BOXES;
    return TRUE;
  }
  if (dd_coco_member (o, "keypoints")) {
    *kind = RESULTS_KEYPOINTS;
    return TRUE;
  }
  dd_coco_set_error (error, DD_COCO_ERROR_FIELD, path, "detection 1 (results[0])", NULL,
      "has neither a bbox nor keypoints: only box and keypoint results can be "
      "evaluated (the first detection decides which, as in pycocotools)");
  return FALSE;
}

static void
keypoint_extent (const double *v, guint n, dd_coco_annotation *det)
{
  double x0 = v[0], x1 = v[0], y0 = v[1], y1 = v[1];
  for (guint i = 3; i < n; i += 3) {
    x0 = MIN (x0, v[i]);
    x1 = MAX (x1, v[i]);
    y0 = MIN (y0, v[i + 1]);
    y1 = MAX (y1, v[i + 1]);
  }
  det->bbox[0] = x0;
  det->bbox[1] = y0;
  det->bbox[2] = x1 - x0;
  det->bbox[3] = y1 - y0;
  det->area = (x1 - x0) * (y1 - y0);
}

static gboolean
read_det_keypoints (JsonObject *o, results_kind kind, dd_coco_annotation *det,
    const dd_coco_loc *loc, GError **error)
{
  g_autofree double *v = NULL;
  guint n;
  if (!dd_coco_get_numbers (o, "keypoints", kind == RESULTS_KEYPOINTS, &v, &n, loc, error))
    return FALSE;
  if (!v)
    return TRUE;
  if (n % 3 != 0 || (n == 0 && kind == RESULTS_KEYPOINTS)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "keypoints",
        "%u numbers: keypoints are (x, y, v) triples, one per keypoint", n);
    return FALSE;
  }
  det->n_keypoints = (int) (n / 3);
  det->keypoints = g_new (float, n ? n : 1);
  for (guint i = 0; i < n; i++)
    det->keypoints[i] = (float) v[i];
  for (guint i = 2; i < n; i += 3)
    det->num_keypoints += v[i] > 0;
  if (kind == RESULTS_KEYPOINTS)
    keypoint_extent (v, n, det);
  return TRUE;
}

static gboolean
read_det_box (JsonObject *o, dd_coco_annotation *det, const dd_coco_loc *loc,
    GError **error)
{
  g_autofree double *v = NULL;
  guint n;
  if (!dd_coco_get_numbers (o, "bbox", TRUE, &v, &n, loc, error))
    return FALSE;
  if (n != 4) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, "bbox",
        "%u numbers: expected [x, y, width, height]", n);
    return FALSE;
  }
  memcpy (det->bbox, v, sizeof det->bbox);
  det->area = v[2] * v[3];
  return TRUE;
}

static gboolean
read_detection (JsonNode *e, guint i, results_kind kind, dd_coco_annotation *det,
    const char *path, GError **error)
{
  g_autofree char *where = g_strdup_printf ("detection %u (results[%u])", i + 1, i);
  dd_coco_loc loc = { path, where };
  if (!JSON_NODE_HOLDS_OBJECT (e)) {
    dd_coco_set_error (error, DD_COCO_ERROR_PARSE, path, where, NULL, "expected an object");
    return FALSE;
  }
  JsonObject *o = json_node_get_object (e);
  det->id = i + 1;
  det->has_score = TRUE;
  return dd_coco_get_int64 (o, "image_id", TRUE, &det->image_id, &loc, error)
      && dd_coco_get_int (o, "category_id", TRUE, &det->category_id, &loc, error)
      && dd_coco_get_number (o, "score", TRUE, &det->score, &loc, error)
      && (kind == RESULTS_KEYPOINTS || read_det_box (o, det, &loc, error))
      && read_det_keypoints (o, kind, det, &loc, error)
      && dd_coco_check_annotation (det, where, NULL, path, error);
}

static gboolean
read_results_array (JsonArray *a, dd_coco_dataset *ds, const char *path, GError **error)
{
  guint len = json_array_get_length (a);
  results_kind kind;
  if (len == 0)
    return TRUE;
  if (!results_kind_of (a, &kind, path, error))
    return FALSE;
  g_array_set_size (ds->annotations, len);
  for (guint i = 0; i < len; i++)
    if (!read_detection (json_array_get_element (a, i), i, kind,
            &g_array_index (ds->annotations, dd_coco_annotation, i), path, error))
      return FALSE;
  return TRUE;
}

static gboolean
check_scored (const dd_coco_dataset *ds, const char *path, GError **error)
{
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *det = &g_array_index (ds->annotations, dd_coco_annotation, i);
    if (!det->has_score) {
      g_autofree char *where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, det->id);
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, path, where, "score",
          "missing: every detection needs a score");
      return FALSE;
    }
  }
  return TRUE;
}

dd_coco_dataset *
dd_coco_read_results (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = dd_coco_parse_file (path, error);
  if (!parser)
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  gboolean ok;
  if (JSON_NODE_HOLDS_ARRAY (root))
    ok = read_results_array (json_node_get_array (root), ds, path, error);
  else if (JSON_NODE_HOLDS_OBJECT (root)
      && !dd_coco_member (json_node_get_object (root), "images")) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_PARSE,
        "%s: expected an array of detections (or a COCO dataset of scored "
        "annotations): this object has no 'images'", path);
    ok = FALSE;
  } else if (JSON_NODE_HOLDS_OBJECT (root))
    ok = dd_coco_read_object (json_node_get_object (root), ds, path, error)
        && dd_coco_validate (ds, path, error)
        && check_scored (ds, path, error);
  else {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_PARSE,
        "%s: the top level is a single value: expected an array of detections", path);
    ok = FALSE;
  }
  if (!ok) {
    dd_coco_dataset_free (ds);
    return NULL;
  }
  return ds;
}

gboolean
dd_coco_check_results (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    const char *dt_name, GError **error)
{
  dd_coco_ids images, cats;
  dd_coco_ids_of_images (&images, gt);
  dd_coco_ids_of_categories (&cats, gt);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < dt->annotations->len; i++) {
    const dd_coco_annotation *det = &g_array_index (dt->annotations, dd_coco_annotation, i);
    g_autofree char *where = g_strdup_printf ("detection %" G_GINT64_FORMAT, det->id);
    int c = dd_coco_ids_find (&cats, det->category_id);
    if (dd_coco_ids_find (&images, det->image_id) < 0) {
      dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, dt_name, where, "image_id",
          "%" G_GINT64_FORMAT " is not an image of the ground truth: detections "
          "must be made on the ground truth's images", det->image_id);
      ok = FALSE;
    } else if (c < 0) {
      dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, dt_name, where, "category_id",
          "%d is not a category of the ground truth", det->category_id);
      ok = FALSE;
    } else {
      ok = dd_coco_check_annotation (det, where,
          &g_array_index (gt->categories, dd_coco_category, c), dt_name, error);
    }
  }
  dd_coco_ids_clear (&images);
  dd_coco_ids_clear (&cats);
  return ok;
}
