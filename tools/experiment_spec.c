#include "experiment_spec.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (dd-experiment-error-quark, dd_experiment_error)

/* bench/distill-experiments/, compiled in. */
GResource *dd_experiments_get_resource (void);

const char *const dd_experiment_builtin[] = {
  "test", "quick", "small-a", "small-a-core", "small-a-rho", "small-a-seed2", "small-b",
  "small-b-rho", "small-c", "small-d", "small-e",
  NULL
};

#define RESOURCE_PREFIX "/org/ddistill/distill-experiments/"

typedef struct {
  const char *source;
  const char *where;            /* "" or the object being read: "teacher" */
  GError **error;
} reader;

static gboolean
fail (const reader *r, const char *member, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (const reader *r, const char *member, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (r->error, DD_EXPERIMENT_ERROR, 0, "%s: %s%s%s: %s", r->source, r->where,
      *r->where ? "." : "", member, what);
  return FALSE;
}

static gboolean
check_members (const reader *r, JsonObject *o, const char *const *known)
{
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *m = members; m; m = m->next)
    if (!g_strv_contains (known, m->data)) {
      g_autofree char *list = g_strjoinv (", ", (char **) known);
      return fail (r, m->data, "unknown field (known here: %s)", list);
    }
  return TRUE;
}

/* A string member; absent: `fallback` (NULL: required). */
static gboolean
get_string (const reader *r, JsonObject *o, const char *name, const char *fallback,
    char **out)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n) {
    if (!fallback)
      return fail (r, name, "missing (a string is required)");
    *out = g_strdup (fallback);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fail (r, name, "must be a string");
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

/* A number member in [lo, hi]; absent: `fallback` (NAN: required). */
static gboolean
get_number (const reader *r, JsonObject *o, const char *name, double fallback,
    double lo, double hi, double *out)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n) {
    if (isnan (fallback))
      return fail (r, name, "missing (a number from %g to %g is required)", lo, hi);
    *out = fallback;
    return TRUE;
  }
  GType t = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_NONE;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return fail (r, name, "must be a number");
  double v = json_node_get_double (n);
  if (!(v >= lo && v <= hi))
    return fail (r, name, "%g is out of range: %g to %g", v, lo, hi);
  *out = v;
  return TRUE;
}

static gboolean
get_int (const reader *r, JsonObject *o, const char *name, double fallback, double lo,
    double hi, int64_t *out)
{
  double v = 0;                 /* get_number sets it; -O3 cannot tell */
  if (!get_number (r, o, name, fallback, lo, hi, &v))
    return FALSE;
  if (v != floor (v))
    return fail (r, name, "%g must be a whole number", v);
  *out = (int64_t) v;
  return TRUE;
}

static JsonObject *
get_object (const reader *r, JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_OBJECT (n)) {
    fail (r, name, n ? "must be an object" : "missing (an object is required)");
    return NULL;
  }
  return json_node_get_object (n);
}

static gboolean
read_phase (const reader *top, JsonObject *o, const char *name, gboolean student,
    int64_t experiment_seed, dd_phase *p)
{
  JsonObject *ph = get_object (top, o, name);
  if (!ph)
    return FALSE;
  reader r = { top->source, name, top->error };
  static const char *const teacher_known[] = { "iterations", "batch", "lr", "seed",
    NULL
  };
  static const char *const student_known[] = { "iterations", "batch", "lr", "ratio",
    "rho", "seed", NULL
  };
  int64_t batch, seed;
  if (!check_members (&r, ph, student ? student_known : teacher_known)
      || !get_int (&r, ph, "iterations", NAN, 1, 1e9, &p->iterations)
      || !get_int (&r, ph, "batch", 16, 1, 4096, &batch)
      || !get_number (&r, ph, "lr", 0.02, 1e-8, 10, &p->lr)
      || !get_number (&r, ph, "ratio", 0.6, 0, 1, &p->ratio)
      || !get_number (&r, ph, "rho", 0, 0, 1e6, &p->rho)
      || !get_int (&r, ph, "seed", (double) experiment_seed, 0, 1e15, &seed))
    return FALSE;
  p->batch = (int) batch;
  p->seed = (uint64_t) seed;
  if (student && p->rho == 0 && !(p->ratio > 0 && p->ratio < 1))
    return fail (&r, "ratio", "%g: the manual share must be strictly between 0 and 1",
        p->ratio);
  if (json_object_has_member (ph, "ratio") && p->rho > 0)
    return fail (&r, "rho", "give ratio or rho, not both: they are two ways to mix");
  return TRUE;
}

static gboolean
read_rho_sweep (const reader *r, JsonObject *o, dd_experiment *e)
{
  JsonNode *n = json_object_get_member (o, "rho_sweep");
  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return fail (r, "rho_sweep", "must be an array of numbers > 0");
  JsonArray *a = json_node_get_array (n);
  e->n_rho_sweep = (int) json_array_get_length (a);
  e->rho_sweep = g_new0 (double, MAX (e->n_rho_sweep, 1));
  for (int i = 0; i < e->n_rho_sweep; i++) {
    JsonNode *v = json_array_get_element (a, (guint) i);
    GType t = JSON_NODE_HOLDS_VALUE (v) ? json_node_get_value_type (v) : G_TYPE_NONE;
    e->rho_sweep[i] = t == G_TYPE_INT64 || t == G_TYPE_DOUBLE ? json_node_get_double (v)
        : -1;
    if (!(e->rho_sweep[i] > 0 && e->rho_sweep[i] <= 1e6))
      return fail (r, "rho_sweep", "entry %d must be a number > 0", i);
  }
  return TRUE;
}

static gboolean
read_baselines (const reader *top, JsonObject *o, dd_experiment *e)
{
  JsonNode *n = json_object_get_member (o, "baselines");
  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return fail (top, "baselines", "must be an array of objects");
  JsonArray *a = json_node_get_array (n);
  e->n_baselines = (int) json_array_get_length (a);
  e->baselines = g_new0 (dd_baseline, MAX (e->n_baselines, 1));
  static const char *const known[] = { "name", "labeled", "schedule", NULL };
  for (int i = 0; i < e->n_baselines; i++) {
    g_autofree char *where = g_strdup_printf ("baselines[%d]", i);
    reader r = { top->source, where, top->error };
    JsonNode *b = json_array_get_element (a, (guint) i);
    if (!JSON_NODE_HOLDS_OBJECT (b))
      return fail (top, where, "must be an object");
    JsonObject *bo = json_node_get_object (b);
    dd_baseline *bl = &e->baselines[i];
    g_autofree char *schedule = NULL;
    if (!check_members (&r, bo, known) || !get_string (&r, bo, "name", NULL, &bl->name)
        || !get_string (&r, bo, "labeled", NULL, &bl->labeled)
        || !get_string (&r, bo, "schedule", "teacher", &schedule))
      return FALSE;
    if (strcmp (schedule, "teacher") != 0 && strcmp (schedule, "student") != 0)
      return fail (&r, "schedule", "'%s': teacher or student", schedule);
    bl->student_schedule = strcmp (schedule, "student") == 0;
  }
  return TRUE;
}

static gboolean
read_experiment (dd_experiment *e, JsonObject *o, GError **error)
{
  reader r = { e->source, "", error };
  static const char *const known[] = { "name", "description", "benchmark", "model",
    "size", "seed", "labeled", "unlabeled", "val", "video_frames", "teacher",
    "student", "transforms", "ensemble", "rounds", "curve_points", "rho_sweep",
    "baselines", NULL
  };
  int64_t size, seed, video_frames, rounds, curve_points;
  if (!check_members (&r, o, known)
      || !get_string (&r, o, "name", NULL, &e->name)
      || !get_string (&r, o, "description", "", &e->description)
      || !get_string (&r, o, "benchmark", NULL, &e->benchmark)
      || !get_string (&r, o, "model", "small", &e->model)
      || !get_int (&r, o, "size", 0, 0, 8192, &size)
      || !get_int (&r, o, "seed", 0, 0, 1e15, &seed)
      || !get_string (&r, o, "labeled", NULL, &e->labeled)
      || !get_string (&r, o, "unlabeled", NULL, &e->unlabeled)
      || !get_string (&r, o, "val", NULL, &e->val)
      || !get_int (&r, o, "video_frames", 1, 0, 1e6, &video_frames)
      || !read_phase (&r, o, "teacher", FALSE, seed, &e->teacher)
      || !read_phase (&r, o, "student", TRUE, seed, &e->student)
      || !get_string (&r, o, "transforms", "factors=0.75,1.25,flip", &e->transforms)
      || !get_string (&r, o, "ensemble", "boxes=identity,keypoints=average",
          &e->ensemble)
      || !get_int (&r, o, "rounds", 1, 1, 100, &rounds)
      || !get_int (&r, o, "curve_points", 0, 0, 1000, &curve_points)
      || !read_rho_sweep (&r, o, e) || !read_baselines (&r, o, e))
    return FALSE;
  /* A curve point at iteration 0 would be the end of the run drawn there. */
  int64_t shortest = MIN (e->teacher.iterations, e->student.iterations);
  if (curve_points > shortest)
    return fail (&r, "curve_points", "%" G_GINT64_FORMAT " is more than the %"
        G_GINT64_FORMAT " iterations of the %s", curve_points, shortest,
        shortest == e->teacher.iterations ? "teacher" : "student");
  e->size = (int) size;
  e->seed = (uint64_t) seed;
  e->video_frames = (int) video_frames;
  e->rounds = (int) rounds;
  e->curve_points = (int) curve_points;
  return TRUE;
}

static dd_experiment *
parse (const char *text, gsize len, const char *source, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  if (!json_parser_load_from_data (parser, text, (gssize) len, &json_error)) {
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s: not JSON: %s", source,
        json_error->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "%s: an experiment spec is a JSON "
        "object", source);
    return NULL;
  }
  dd_experiment *e = g_new0 (dd_experiment, 1);
  e->source = g_strdup (source);
  e->json = json_node_copy (root);
  if (!read_experiment (e, json_node_get_object (root), error)) {
    dd_experiment_free (e);
    return NULL;
  }
  return e;
}

dd_experiment *
dd_experiment_load (const char *name_or_path, GError **error)
{
  if (g_strv_contains (dd_experiment_builtin, name_or_path)) {
    g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name_or_path, ".json", NULL);
    g_autofree char *source = g_strconcat ("built-in ", name_or_path, NULL);
    g_autoptr (GBytes) bytes = g_resource_lookup_data (dd_experiments_get_resource (),
        path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
    if (!bytes)
      return NULL;
    gsize len;
    const char *text = g_bytes_get_data (bytes, &len);
    return parse (text, len, source, error);
  }
  g_autofree char *text = NULL;
  gsize len;
  GError *read_error = NULL;
  if (!g_file_get_contents (name_or_path, &text, &len, &read_error)) {
    /* A file that is there but cannot be read says why; only a name that
     * is neither built in nor a file gets the list of built-in names. */
    if (!g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_propagate_prefixed_error (error, read_error, "experiment spec: ");
      return NULL;
    }
    g_error_free (read_error);
    g_autofree char *names = g_strjoinv (", ", (char **) dd_experiment_builtin);
    g_set_error (error, DD_EXPERIMENT_ERROR, 0, "no experiment spec '%s': give a "
        "built-in name (%s) or the path of a spec file", name_or_path, names);
    return NULL;
  }
  return parse (text, len, name_or_path, error);
}

void
dd_experiment_free (dd_experiment *e)
{
  if (!e)
    return;
  g_free (e->name);
  g_free (e->description);
  g_free (e->source);
  g_free (e->benchmark);
  g_free (e->model);
  g_free (e->labeled);
  g_free (e->unlabeled);
  g_free (e->val);
  g_free (e->transforms);
  g_free (e->ensemble);
  g_free (e->rho_sweep);
  for (int i = 0; i < e->n_baselines; i++) {
    g_free (e->baselines[i].name);
    g_free (e->baselines[i].labeled);
  }
  g_free (e->baselines);
  if (e->json)
    json_node_unref (e->json);
  g_free (e);
}
