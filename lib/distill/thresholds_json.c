#include "distill/thresholds.h"

#include <math.h>
#include <string.h>

#include "distill/distill_error.h"

static void
add_score (JsonBuilder *b, const char *name, double score)
{
  json_builder_set_member_name (b, name);
  if (isfinite (score))
    json_builder_add_double_value (b, score);
  else
    json_builder_add_null_value (b);
}

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
add_int (JsonBuilder *b, const char *name, int64_t v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

JsonNode *
dd_thresholds_to_json (const dd_thresholds *t)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, "count-matching");
  add_int (b, "labeled_images", t->labeled_images);
  add_int (b, "unlabeled_images", t->unlabeled_images);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int c = 0; c < t->n_classes; c++) {
    const dd_class_threshold *k = &t->classes[c];
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, k->name);
    add_score (b, "score", k->score);
    add_double (b, "labeled_mean", k->labeled_mean);
    add_double (b, "selected_mean", k->selected_mean);
    add_int (b, "candidates", k->candidates);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "keypoints");
  json_builder_begin_object (b);
  add_score (b, "score", t->keypoint_score);
  add_double (b, "labeled_mean", t->keypoint_labeled_mean);
  add_double (b, "selected_mean", t->keypoint_selected_mean);
  json_builder_end_object (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

/* A member of `o` that is a number (or, with null_ok, null: infinity). */
static gboolean
get_number (JsonObject *o, const char *where, const char *name, gboolean null_ok,
    double *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n != NULL && null_ok && JSON_NODE_HOLDS_NULL (n)) {
    *out = INFINITY;
    return TRUE;
  }
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n)) {
    GType type = json_node_get_value_type (n);
    if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64) {
      *out = json_node_get_double (n);
      return TRUE;
    }
  }
  g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
      "thresholds: %s needs a number member '%s'%s", where, name,
      null_ok ? " (or null: keep none)" : "");
  return FALSE;
}

gboolean
dd_thresholds_from_json (JsonNode *node, dd_thresholds *out, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "thresholds: expected a JSON object (the provenance's \"thresholds\")");
    return FALSE;
  }
  JsonObject *o = json_node_get_object (node);
  JsonNode *classes = json_object_get_member (o, "classes");
  JsonNode *kp = json_object_get_member (o, "keypoints");
  if (classes == NULL || !JSON_NODE_HOLDS_ARRAY (classes) || kp == NULL
      || !JSON_NODE_HOLDS_OBJECT (kp)) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "thresholds: needs a 'classes' array and a 'keypoints' object");
    return FALSE;
  }
  JsonArray *a = json_node_get_array (classes);
  dd_thresholds t = { .n_classes = (int) json_array_get_length (a) };
  t.classes = g_new0 (dd_class_threshold, MAX (t.n_classes, 1));
  double images[2], candidates;
  gboolean ok = get_number (o, "the object", "labeled_images", FALSE, &images[0], error)
      && get_number (o, "the object", "unlabeled_images", FALSE, &images[1], error);
  for (int c = 0; ok && c < t.n_classes; c++) {
    JsonNode *cn = json_array_get_element (a, c);
    char where[32];
    g_snprintf (where, sizeof where, "classes[%d]", c);
    JsonObject *co = JSON_NODE_HOLDS_OBJECT (cn) ? json_node_get_object (cn) : NULL;
    const char *name = co ? json_object_get_string_member_with_default (co, "name", NULL)
        : NULL;
    if (name == NULL) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
          "thresholds: %s needs a string member 'name'", where);
      ok = FALSE;
      break;
    }
    dd_class_threshold *k = &t.classes[c];
    k->name = g_strdup (name);
    ok = get_number (co, where, "score", TRUE, &k->score, error)
        && get_number (co, where, "labeled_mean", FALSE, &k->labeled_mean, error)
        && get_number (co, where, "selected_mean", FALSE, &k->selected_mean, error)
        && get_number (co, where, "candidates", FALSE, &candidates, error);
    k->candidates = (int64_t) candidates;
  }
  JsonObject *ko = json_node_get_object (kp);
  ok = ok && get_number (ko, "keypoints", "score", TRUE, &t.keypoint_score, error)
      && get_number (ko, "keypoints", "labeled_mean", FALSE, &t.keypoint_labeled_mean,
          error)
      && get_number (ko, "keypoints", "selected_mean", FALSE,
          &t.keypoint_selected_mean, error);
  if (!ok) {
    dd_thresholds_clear (&t);
    return FALSE;
  }
  t.labeled_images = (int64_t) images[0];
  t.unlabeled_images = (int64_t) images[1];
  *out = t;
  return TRUE;
}
