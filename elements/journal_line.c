/* The journal's frame line: written with a reused buffer and no JSON tree
 * (a frame carries thousands of numbers before calibration), read with
 * json-glib. */
#include "elements/journal_line.h"

/* ---- Writing ------------------------------------------------------------- */

static void
append_string (GString *line, const char *s)
{
  if (s == NULL) {
    g_string_append (line, "null");
    return;
  }
  g_string_append_c (line, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char) *s;
    if (c == '"' || c == '\\') {
      g_string_append_c (line, '\\');
      g_string_append_c (line, (char) c);
    } else if (c < 0x20) {
      g_string_append_printf (line, "\\u%04x", c);
    } else {
      g_string_append_c (line, (char) c);
    }
  }
  g_string_append_c (line, '"');
}

/* `format` is "%.9g" for a float32 value, "%.17g" for a double: the
 * fewest digits that always read back as the same value. g_ascii_formatd
 * writes a '.' whatever the locale. */
static void
append_number (GString *line, const char *format, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (line, g_ascii_formatd (buf, sizeof buf, format, v));
}

static void
append_floats (GString *line, const char *name, const float *v, int n)
{
  g_string_append_printf (line, ",\"%s\":[", name);
  for (int i = 0; i < n; i++) {
    if (i)
      g_string_append_c (line, ',');
    append_number (line, "%.9g", v[i]);
  }
  g_string_append_c (line, ']');
}

static void
append_annotation (GString *line, const dd_journal_annotation *a)
{
  g_string_append_printf (line, "{\"category_id\":%d,\"bbox\":[",
      a->category_id);
  for (int i = 0; i < 4; i++) {
    if (i)
      g_string_append_c (line, ',');
    append_number (line, "%.17g", a->bbox[i]);
  }
  g_string_append_c (line, ']');
  if (a->has_score) {
    g_string_append (line, ",\"score\":");
    append_number (line, "%.9g", a->score);
  }
  append_floats (line, "keypoints", a->keypoints, 3 * a->n_keypoints);
  append_floats (line, "keypoint_scores", a->keypoint_scores,
      a->n_keypoints);
  g_string_append_c (line, '}');
}

void
dd_journal_line_format (GString *line, const dd_journal_frame *f, gint64 id,
    const char *file_name)
{
  g_string_append_printf (line, "{\"id\":%" G_GINT64_FORMAT ",\"file_name\":",
      id);
  append_string (line, file_name);
  g_string_append_printf (line, ",\"width\":%d,\"height\":%d,\"source_uri\":",
      f->image->width, f->image->height);
  append_string (line, f->source_uri);
  g_string_append_printf (line, ",\"timestamp_ns\":%" G_GINT64_FORMAT
      ",\"frame_index\":%" G_GINT64_FORMAT ",\"annotations\":[",
      (gint64) f->timestamp_ns, f->frame_index);
  for (int i = 0; i < f->n_annotations; i++) {
    if (i)
      g_string_append_c (line, ',');
    append_annotation (line, &f->annotations[i]);
  }
  g_string_append (line, "]}\n");
}

/* ---- Reading ------------------------------------------------------------- */

static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static double
double_element (JsonArray *a, guint i)
{
  JsonNode *n = a && i < json_array_get_length (a)
      ? json_array_get_element (a, i) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : 0.0;
}

static void
read_annotation (JsonObject *o, dd_journal_annotation *a)
{
  JsonArray *bbox = array_member (o, "bbox");
  JsonArray *kps = array_member (o, "keypoints");
  JsonArray *scores = array_member (o, "keypoint_scores");
  *a = (dd_journal_annotation) {
    .category_id = (int) json_object_get_int_member_with_default (o,
        "category_id", 0),
    .has_score = json_object_has_member (o, "score"),
    .score = (float) json_object_get_double_member_with_default (o, "score",
        0.0),
    .n_keypoints = kps ? (int) MIN (json_array_get_length (kps) / 3,
        DD_MAX_KEYPOINTS) : 0,
  };
  for (guint i = 0; i < 4; i++)
    a->bbox[i] = double_element (bbox, i);
  for (int i = 0; i < 3 * a->n_keypoints; i++)
    a->keypoints[i] = (float) double_element (kps, (guint) i);
  for (int k = 0; k < a->n_keypoints; k++)
    a->keypoint_scores[k] = (float) double_element (scores, (guint) k);
}

gboolean
dd_journal_line_read (JsonObject *o, GStringChunk *strings,
    GArray *annotations, dd_journal_entry *e)
{
  JsonNode *ts = json_object_get_member (o, "timestamp_ns");
  JsonNode *uri = json_object_get_member (o, "source_uri");
  if (ts == NULL || json_node_get_value_type (ts) != G_TYPE_INT64
      || (uri && !JSON_NODE_HOLDS_NULL (uri)
          && json_node_get_value_type (uri) != G_TYPE_STRING))
    return FALSE;
  const char *u = uri && !JSON_NODE_HOLDS_NULL (uri)
      ? json_node_get_string (uri) : NULL;
  *e = (dd_journal_entry) {
    .id = json_object_get_int_member_with_default (o, "id", 0),
    .file_name = g_string_chunk_insert (strings,
        json_object_get_string_member_with_default (o, "file_name", "")),
    .width = (int) json_object_get_int_member_with_default (o, "width", 0),
    .height = (int) json_object_get_int_member_with_default (o, "height", 0),
    .source_uri = u ? g_string_chunk_insert_const (strings, u) : NULL,
    .timestamp_ns = json_node_get_int (ts),
    .first_annotation = annotations->len,
  };
  JsonArray *anns = array_member (o, "annotations");
  for (guint i = 0; anns && i < json_array_get_length (anns); i++) {
    JsonNode *an = json_array_get_element (anns, i);
    if (!JSON_NODE_HOLDS_OBJECT (an))
      continue;
    dd_journal_annotation a;
    read_annotation (json_node_get_object (an), &a);
    g_array_append_val (annotations, a);
  }
  e->n_annotations = annotations->len - e->first_annotation;
  return TRUE;
}
