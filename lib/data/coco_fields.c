/* Typed members of json-glib objects, for the COCO readers: each getter says
 * which file, entry and field is at fault, and what type was expected. */
#include "data/coco_private.h"

#include <math.h>
#include <string.h>

JsonNode *
dd_coco_member (JsonObject *o, const char *field)
{
  JsonNode *n = json_object_get_member (o, field);
  return n && !JSON_NODE_HOLDS_NULL (n) ? n : NULL;
}

static const char *
type_name (JsonNode *n)
{
  if (JSON_NODE_HOLDS_OBJECT (n))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (n))
    return "an array";
  switch (json_node_get_value_type (n)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "a number";
  }
}

/* The member, or NULL: absent and required is an error (FALSE in *ok). */
static JsonNode *
lookup (JsonObject *o, const char *field, gboolean required, gboolean *ok,
    const dd_coco_loc *loc, GError **error)
{
  JsonNode *n = dd_coco_member (o, field);
  *ok = n || !required;
  if (!*ok)
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "missing");
  return n;
}

static gboolean
node_number (JsonNode *n, double *out)
{
  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    *out = (double) json_node_get_int (n);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (n);
  else
    return FALSE;
  return TRUE;
}

static gboolean
node_int64 (JsonNode *n, int64_t *out)
{
  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64) {
    *out = json_node_get_int (n);
    return TRUE;
  }
  if (t != G_TYPE_DOUBLE)
    return FALSE;
  /* Some writers print every number as a real: 785.0 is still an id. */
  double d = json_node_get_double (n);
  if (d != floor (d) || fabs (d) > 9007199254740992.0)
    return FALSE;
  *out = (int64_t) d;
  return TRUE;
}

gboolean
dd_coco_get_int64 (JsonObject *o, const char *field, gboolean required,
    int64_t *out, const dd_coco_loc *loc, GError **error)
{
  gboolean ok;
  JsonNode *n = lookup (o, field, required, &ok, loc, error);
  if (!n)
    return ok;
  if (!node_int64 (n, out)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "expected an integer, found %s", type_name (n));
    return FALSE;
  }
  return TRUE;
}

gboolean
dd_coco_get_int (JsonObject *o, const char *field, gboolean required,
    int *out, const dd_coco_loc *loc, GError **error)
{
  int64_t v;
  gboolean ok;
  JsonNode *n = lookup (o, field, required, &ok, loc, error);
  if (!n)
    return ok;
  if (!dd_coco_get_int64 (o, field, required, &v, loc, error))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "%" G_GINT64_FORMAT " does not fit in 32 bits", v);
    return FALSE;
  }
  *out = (int) v;
  return TRUE;
}

gboolean
dd_coco_get_flag (JsonObject *o, const char *field, gboolean required,
    int *out, const dd_coco_loc *loc, GError **error)
{
  JsonNode *n = dd_coco_member (o, field);
  /* iscrowd: true, as Python's int() reads it; some tools write it so. */
  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_BOOLEAN) {
    *out = json_node_get_boolean (n);
    return TRUE;
  }
  return dd_coco_get_int (o, field, required, out, loc, error);
}

gboolean
dd_coco_get_number (JsonObject *o, const char *field, gboolean required,
    double *out, const dd_coco_loc *loc, GError **error)
{
  gboolean ok;
  JsonNode *n = lookup (o, field, required, &ok, loc, error);
  if (!n)
    return ok;
  if (!node_number (n, out)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "expected a number, found %s", type_name (n));
    return FALSE;
  }
  return TRUE;
}

gboolean
dd_coco_get_string (JsonObject *o, const char *field, gboolean required,
    char **out, const dd_coco_loc *loc, GError **error)
{
  gboolean ok;
  JsonNode *n = lookup (o, field, required, &ok, loc, error);
  if (!n)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "expected a string, found %s", type_name (n));
    return FALSE;
  }
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

gboolean
dd_coco_get_numbers (JsonObject *o, const char *field, gboolean required,
    double **out, guint *n_out, const dd_coco_loc *loc, GError **error)
{
  gboolean ok;
  JsonNode *n = lookup (o, field, required, &ok, loc, error);
  *out = NULL;
  *n_out = 0;
  if (!n)
    return ok;
  if (!JSON_NODE_HOLDS_ARRAY (n)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
        "expected an array of numbers, found %s", type_name (n));
    return FALSE;
  }
  JsonArray *a = json_node_get_array (n);
  guint len = json_array_get_length (a);
  g_autofree double *v = g_new (double, len ? len : 1);
  for (guint i = 0; i < len; i++)
    if (!node_number (json_array_get_element (a, i), &v[i])) {
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, loc->name, loc->where, field,
          "element %u is %s, expected a number", i,
          type_name (json_array_get_element (a, i)));
      return FALSE;
    }
  *out = g_steal_pointer (&v);
  *n_out = len;
  return TRUE;
}

JsonParser *
dd_coco_parse_file (const char *path, GError **error)
{
  /* Mapping a folder fails with "No such device", which says nothing. */
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO, "%s: is a folder: give the "
        "COCO JSON file itself", path);
    return NULL;
  }
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_mapped_file (parser, path, &local)) {
    gboolean io = local->domain != JSON_PARSER_ERROR;
    /* json-glib says "PATH:LINE:COLUMN: ...": keep the position only. */
    const char *what = local->message;
    if (g_str_has_prefix (what, path) && what[strlen (path)] == ':')
      what += strlen (path) + 1;
    g_set_error (error, DD_COCO_ERROR, io ? DD_COCO_ERROR_IO : DD_COCO_ERROR_PARSE,
        "%s: %s: %s%s", path, io ? "cannot read" : "not valid JSON", io ? "" : "line ", what);
    return NULL;
  }
  if (!json_parser_get_root (parser)) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_PARSE,
        "%s: empty file: expected a COCO JSON object", path);
    return NULL;
  }
  return g_steal_pointer (&parser);
}
