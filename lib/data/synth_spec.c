/* Reading and checking benchmark specs. */
#include "synth_spec.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK (dd-spec-error-quark, dd_spec_error)

/* The compiled-in specs (lib/data/benchmarks/benchmarks.gresource.xml). */
GResource *dd_synth_benchmarks_get_resource (void);

const char *const dd_spec_builtin[] = { "test", "quick", "small", NULL };

#define RESOURCE_PREFIX "/org/ddistill/benchmarks/"

typedef struct {
  const char *source;           /* the file, for messages */
  char where[96];               /* the object being read: "splits[2]" */
} reader;

static gboolean
fail (const reader *r, GError **error, const char *member, const char *fmt, ...)
    G_GNUC_PRINTF (4, 5);

static gboolean
fail (const reader *r, GError **error, const char *member, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD, "%s: %s%s%s: %s",
      r->source, r->where, *r->where ? "." : "", member, what);
  return FALSE;
}

/* Every member must be one the spec knows: a misspelt field would
 * otherwise be ignored without a word. */
static gboolean
check_members (const reader *r, JsonObject *o, const char *const *known,
    GError **error)
{
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *m = members; m; m = m->next) {
    gboolean found = FALSE;
    for (int i = 0; known[i] && !found; i++)
      found = strcmp (known[i], m->data) == 0;
    if (!found) {
      g_autofree char *list = g_strjoinv (", ", (char **) known);
      return fail (r, error, m->data, "unknown field (known here: %s)", list);
    }
  }
  return TRUE;
}

static JsonNode *
member (JsonObject *o, const char *name)
{
  return json_object_has_member (o, name) ? json_object_get_member (o, name)
      : NULL;
}

static gboolean
get_string (const reader *r, JsonObject *o, const char *name, gboolean required,
    char **out, GError **error)
{
  JsonNode *n = member (o, name);
  if (!n)
    return required ? fail (r, error, name, "missing (a string)") : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fail (r, error, name, "must be a string");
  g_free (*out);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_int (const reader *r, JsonObject *o, const char *name, gboolean required,
    gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  JsonNode *n = member (o, name);
  if (!n)
    return required ? fail (r, error, name, "missing (an integer from %"
        G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")", lo, hi) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || json_node_get_int (n) < lo || json_node_get_int (n) > hi)
    return fail (r, error, name, "must be an integer from %" G_GINT64_FORMAT
        " to %" G_GINT64_FORMAT, lo, hi);
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
get_double (const reader *r, JsonObject *o, const char *name, double lo,
    double hi, double *out, GError **error)
{
  JsonNode *n = member (o, name);
  GType t = n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : 0;
  double v = t == G_TYPE_DOUBLE ? json_node_get_double (n)
      : t == G_TYPE_INT64 ? (double) json_node_get_int (n) : NAN;
  if (!n)
    return fail (r, error, name, "missing (a number from %g to %g)", lo, hi);
  if (isnan (v))
    return fail (r, error, name, "must be a number from %g to %g", lo, hi);
  if (!(v >= lo && v <= hi))
    return fail (r, error, name, "%g is out of range (a number from %g to %g)", v,
        lo, hi);
  *out = v;
  return TRUE;
}

static JsonObject *
get_object (const reader *r, JsonObject *o, const char *name, GError **error)
{
  JsonNode *n = member (o, name);
  if (!n || !JSON_NODE_HOLDS_OBJECT (n)) {
    fail (r, error, name, "%s (an object)", n ? "must be an object" : "missing");
    return NULL;
  }
  return json_node_get_object (n);
}

static JsonArray *
get_array (const reader *r, JsonObject *o, const char *name, GError **error)
{
  JsonNode *n = member (o, name);
  if (!n || !JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (json_node_get_array (n)) == 0) {
    fail (r, error, name, "%s (a non-empty array)", n ? "must be a non-empty array"
        : "missing");
    return NULL;
  }
  return json_node_get_array (n);
}

static gboolean
read_people (reader *r, JsonObject *root, dd_scene_limits *l, GError **error)
{
  static const char *const known[] = { "min", "max", "min_height",
    "max_height", NULL };
  JsonObject *o = get_object (r, root, "people", error);
  if (!o)
    return FALSE;
  g_strlcpy (r->where, "people", sizeof r->where);
  gint64 lo = 0, hi = 0;
  if (!check_members (r, o, known, error)
      || !get_int (r, o, "min", TRUE, 0, DD_SCENE_MAX_PEOPLE, &lo, error)
      || !get_int (r, o, "max", TRUE, lo, DD_SCENE_MAX_PEOPLE, &hi, error)
      || !get_double (r, o, "min_height", 0.02, 1.5, &l->min_height, error)
      || !get_double (r, o, "max_height", l->min_height, 1.5, &l->max_height,
          error))
    return FALSE;
  l->min_people = (int) lo;
  l->max_people = (int) hi;
  return TRUE;
}

/* The frame size of a style, from the spec's "styles" object. */
static gboolean
read_style_size (reader *r, JsonObject *root, dd_split *s, GError **error)
{
  static const char *const known[] = { "width", "height", NULL };
  reader top = { r->source, "" }, sr = { r->source, "styles" };
  JsonObject *styles = get_object (&top, root, "styles", error);
  if (!styles)
    return FALSE;
  JsonObject *o = get_object (&sr, styles, s->style->name, error);
  if (!o)
    return FALSE;
  g_snprintf (sr.where, sizeof sr.where, "styles.%s", s->style->name);
  gint64 w = 0, h = 0;
  if (!check_members (&sr, o, known, error)
      || !get_int (&sr, o, "width", TRUE, 16, 4096, &w, error)
      || !get_int (&sr, o, "height", TRUE, 16, 4096, &h, error))
    return FALSE;
  s->width = (int) w;
  s->height = (int) h;
  if (s->kind == DD_SPLIT_VIDEOS && (w % 2 || h % 2))
    return fail (&sr, error, "width", "videos of style '%s' need an even width "
        "and height (4:2:0 chroma), not %dx%d", s->style->name, s->width,
        s->height);
  return TRUE;
}

static gboolean
read_styled (reader *r, JsonObject *root, JsonObject *o, dd_split *s,
    GError **error)
{
  g_autofree char *style = NULL;
  if (!get_string (r, o, "style", TRUE, &style, error))
    return FALSE;
  if (!(s->style = dd_style_find (style)))
    return fail (r, error, "style", "'%s' is no style (similar, dissimilar)",
        style);
  return read_style_size (r, root, s, error);
}

static gboolean
read_images (reader *r, JsonObject *root, JsonObject *o, dd_split *s,
    GError **error)
{
  static const char *const known[] = { "name", "kind", "style", "images",
    "hidden_truth", NULL };
  gint64 n = 0;
  if (!check_members (r, o, known, error)
      || !get_int (r, o, "images", TRUE, 1, 10000000, &n, error)
      || !read_styled (r, root, o, s, error))
    return FALSE;
  s->count = (int) n;
  JsonNode *h = member (o, "hidden_truth");
  if (h && (!JSON_NODE_HOLDS_VALUE (h)
          || json_node_get_value_type (h) != G_TYPE_BOOLEAN))
    return fail (r, error, "hidden_truth", "must be true or false");
  s->hidden_truth = h && json_node_get_boolean (h);
  return TRUE;
}

static gboolean
read_videos (reader *r, JsonObject *root, JsonObject *o, dd_split *s,
    GError **error)
{
  static const char *const known[] = { "name", "kind", "style", "videos",
    "frames", "fps", "codecs", NULL };
  gint64 n = 0, frames = 0, fps = 0;
  JsonArray *codecs;
  if (!check_members (r, o, known, error)
      || !get_int (r, o, "videos", TRUE, 1, 999, &n, error)
      || !get_int (r, o, "frames", TRUE, 1, 99999, &frames, error)
      || !get_int (r, o, "fps", TRUE, 1, 240, &fps, error)
      || !(codecs = get_array (r, o, "codecs", error))
      || !read_styled (r, root, o, s, error))
    return FALSE;
  s->count = (int) n;
  s->frames = (int) frames;
  s->fps = (int) fps;
  guint nc = json_array_get_length (codecs);
  if (nc > DD_VIDEO_CODEC_COUNT)
    return fail (r, error, "codecs", "lists %u codecs; there are %d", nc,
        DD_VIDEO_CODEC_COUNT);
  for (guint i = 0; i < nc; i++) {
    JsonNode *c = json_array_get_element (codecs, i);
    const char *name = JSON_NODE_HOLDS_VALUE (c)
        && json_node_get_value_type (c) == G_TYPE_STRING
        ? json_node_get_string (c) : NULL;
    if (!name || !dd_video_codec_from_name (name, &s->codecs[i]))
      return fail (r, error, "codecs", "entry %u is not \"h264\" or \"vp8\"", i);
  }
  s->n_codecs = (int) nc;
  return TRUE;
}

/* A union's parts must be image splits listed before it, with their truth
 * in the open. */
static gboolean
read_union (reader *r, JsonObject *o, const dd_spec *spec, dd_split *s,
    GError **error)
{
  static const char *const known[] = { "name", "kind", "of", NULL };
  JsonArray *of;
  if (!check_members (r, o, known, error) || !(of = get_array (r, o, "of", error)))
    return FALSE;
  guint n = json_array_get_length (of);
  if (n > DD_SPEC_MAX_PARTS)
    return fail (r, error, "of", "names %u splits; at most %d", n,
        DD_SPEC_MAX_PARTS);
  for (guint i = 0; i < n; i++) {
    JsonNode *c = json_array_get_element (of, i);
    const char *name = JSON_NODE_HOLDS_VALUE (c)
        && json_node_get_value_type (c) == G_TYPE_STRING
        ? json_node_get_string (c) : "";
    int found = -1;
    for (int k = 0; k < spec->n_splits && found < 0; k++)
      if (strcmp (spec->splits[k].name, name) == 0
          && spec->splits[k].kind == DD_SPLIT_IMAGES)
        found = k;
    if (found < 0)
      return fail (r, error, "of", "entry %u ('%s') is not an image split "
          "listed before this one", i, name);
    if (spec->splits[found].hidden_truth)
      return fail (r, error, "of", "entry %u ('%s') keeps its truth hidden; "
          "a union would publish it", i, name);
    /* A split twice would give the union each of its image ids twice. */
    for (guint k = 0; k < i; k++)
      if (s->parts[k] == found)
        return fail (r, error, "of", "entry %u ('%s') repeats entry %u", i,
            name, k);
    s->parts[s->n_parts++] = found;
    s->style = spec->splits[found].style;
  }
  return TRUE;
}

/* "hidden" is the folder of hidden truth and "spec" would write its COCO
 * file over the tree's spec.json; in any case, since a tree may be written
 * to a disk that ignores case (FAT, exFAT, SMB shares). */
static gboolean
valid_split_name (const char *name)
{
  if (!*name || g_ascii_strcasecmp (name, "hidden") == 0
      || g_ascii_strcasecmp (name, "spec") == 0)
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

static gboolean
read_split_fields (reader *r, JsonObject *root, JsonNode *node, dd_spec *spec,
    dd_split *s, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (r, error, "kind", "the split must be an object");
  JsonObject *o = json_node_get_object (node);
  g_autofree char *kind = NULL;
  if (!get_string (r, o, "name", TRUE, &s->name, error)
      || !get_string (r, o, "kind", TRUE, &kind, error))
    return FALSE;
  if (!valid_split_name (s->name))
    return fail (r, error, "name", "'%s' must be letters, digits, '-' or '_' "
        "(it names files and folders), and not 'hidden' or 'spec'", s->name);
  for (int i = 0; i < spec->n_splits; i++) {
    const char *earlier = spec->splits[i].name;
    if (strcmp (earlier, s->name) == 0)
      return fail (r, error, "name", "'%s' is used twice", s->name);
    if (g_ascii_strcasecmp (earlier, s->name) == 0)
      return fail (r, error, "name", "'%s' is used twice (as '%s': names that "
          "differ only in case are one file on a disk that ignores case)", s->name,
          earlier);
  }
  gboolean ok;
  if (strcmp (kind, "images") == 0) {
    s->kind = DD_SPLIT_IMAGES;
    ok = read_images (r, root, o, s, error);
  } else if (strcmp (kind, "videos") == 0) {
    s->kind = DD_SPLIT_VIDEOS;
    ok = read_videos (r, root, o, s, error);
  } else if (strcmp (kind, "union") == 0) {
    s->kind = DD_SPLIT_UNION;
    ok = read_union (r, o, spec, s, error);
  } else {
    return fail (r, error, "kind", "'%s' is not images, union or videos", kind);
  }
  return ok;
}

static gboolean
read_split (reader *r, JsonObject *root, JsonNode *node, dd_spec *spec,
    GError **error)
{
  dd_split *s = &spec->splits[spec->n_splits];
  if (!read_split_fields (r, root, node, spec, s, error)) {
    g_clear_pointer (&s->name, g_free);
    return FALSE;
  }
  spec->n_splits++;
  return TRUE;
}

static gboolean
read_spec (reader *r, JsonObject *root, dd_spec *spec, GError **error)
{
  /* generator_version is what a tree's spec.json adds (synth_bench.h):
   * such a file reads back as the spec it was made from. */
  static const char *const known[] = { "name", "description", "seed",
    "image_format", "jpeg_quality", "people", "styles", "splits",
    "generator_version", NULL };
  gint64 seed = 1, quality = 92;
  if (!check_members (r, root, known, error)
      || !get_string (r, root, "name", TRUE, &spec->name, error)
      || !get_string (r, root, "description", TRUE, &spec->description, error)
      || !get_int (r, root, "seed", FALSE, 0, G_MAXINT64, &seed, error)
      || !get_string (r, root, "image_format", TRUE, &spec->image_format, error)
      || !get_int (r, root, "jpeg_quality", FALSE, 1, 100, &quality, error)
      || !read_people (r, root, &spec->limits, error))
    return FALSE;
  spec->seed = (uint64_t) seed;
  spec->jpeg_quality = (int) quality;
  r->where[0] = 0;
  if (strcmp (spec->image_format, "jpg") != 0
      && strcmp (spec->image_format, "png") != 0)
    return fail (r, error, "image_format", "'%s' is not \"jpg\" or \"png\"",
        spec->image_format);
  JsonArray *splits = get_array (r, root, "splits", error);
  if (!splits)
    return FALSE;
  guint n = json_array_get_length (splits);
  spec->splits = g_new0 (dd_split, n);
  for (guint i = 0; i < n; i++) {
    g_snprintf (r->where, sizeof r->where, "splits[%u]", i);
    if (!read_split (r, root, json_array_get_element (splits, i), spec, error))
      return FALSE;
  }
  return TRUE;
}

dd_spec *
dd_spec_parse (const char *json, gssize length, const char *source,
    GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *parse_error = NULL;
  if (!json_parser_load_from_data (parser, json, length, &parse_error)) {
    g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_PARSE,
        "%s: not valid JSON: %s", source, parse_error->message);
    g_error_free (parse_error);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD,
        "%s: a spec is a JSON object with name, splits, ...", source);
    return NULL;
  }
  dd_spec *spec = g_new0 (dd_spec, 1);
  spec->source = g_strdup (source);
  reader r = { source, "" };
  if (!read_spec (&r, json_node_get_object (root), spec, error)) {
    dd_spec_free (spec);
    return NULL;
  }
  spec->json = json_node_copy (root);
  return spec;
}

dd_spec *
dd_spec_load (const char *name_or_path, GError **error)
{
  for (int i = 0; dd_spec_builtin[i]; i++)
    if (strcmp (name_or_path, dd_spec_builtin[i]) == 0) {
      g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name_or_path,
          ".json", NULL);
      g_autoptr (GBytes) bytes = g_resource_lookup_data (
          dd_synth_benchmarks_get_resource (), path,
          G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (!bytes)
        return NULL;
      g_autofree char *source = g_strdup_printf ("built-in spec '%s'",
          name_or_path);
      gsize size;
      const char *data = g_bytes_get_data (bytes, &size);
      return dd_spec_parse (data, (gssize) size, source, error);
    }
  g_autofree char *text = NULL;
  gsize size;
  GError *io_error = NULL;
  if (!g_file_get_contents (name_or_path, &text, &size, &io_error)) {
    g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_IO,
        "%s: cannot read the spec (%s); give a file or one of test, quick, small",
        name_or_path, io_error->message);
    g_error_free (io_error);
    return NULL;
  }
  return dd_spec_parse (text, (gssize) size, name_or_path, error);
}

void
dd_spec_free (dd_spec *spec)
{
  if (!spec)
    return;
  for (int i = 0; i < spec->n_splits; i++)
    g_free (spec->splits[i].name);
  g_free (spec->splits);
  g_free (spec->name);
  g_free (spec->description);
  g_free (spec->source);
  g_free (spec->image_format);
  if (spec->json)
    json_node_unref (spec->json);
  g_free (spec);
}

const dd_split *
dd_spec_find_split (const dd_spec *spec, const char *name)
{
  for (int i = 0; i < spec->n_splits; i++)
    if (strcmp (spec->splits[i].name, name) == 0)
      return &spec->splits[i];
  return NULL;
}
