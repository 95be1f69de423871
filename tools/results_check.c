#include "results_check.h"

#include <math.h>

static gboolean
fault (GError **error, const char *file, const char *where, const char *need)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s: %s is needed (is it "
      "the results.json of `ddistill distill`?)", file, where, need);
  return FALSE;
}

static JsonNode *
member (JsonObject *o, const char *name)
{
  return o && json_object_has_member (o, name) ? json_object_get_member (o, name) : NULL;
}

static JsonObject *
object_at (JsonObject *o, const char *name)
{
  JsonNode *n = member (o, name);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
array_at (JsonObject *o, const char *name)
{
  JsonNode *n = member (o, name);
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gboolean
is_number (JsonNode *n, gboolean whole)
{
  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  return t == G_TYPE_INT64 || (!whole && t == G_TYPE_DOUBLE);
}

/* A number strictly between lo and hi: a rho or a share that a log axis
 * can place. */
static gboolean
is_between (JsonNode *n, double lo, double hi)
{
  if (!is_number (n, FALSE))
    return FALSE;
  double v = json_node_get_double (n);
  return v > lo && v < hi;
}

/* A model's "scores": keypoint and box AP. */
static gboolean
check_scores (JsonObject *model, const char *file, const char *where, GError **error)
{
  static const char *const kinds[] = { "keypoints", "boxes" };
  JsonObject *scores = object_at (model, "scores");
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autofree char *at = g_strdup_printf ("%s.scores.%s.AP", where, kinds[k]);
    if (!is_number (member (object_at (scores, kinds[k]), "AP"), FALSE))
      return fault (error, file, at, "a number");
  }
  return TRUE;
}

static JsonObject *
element_object (JsonArray *a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);
  return JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gboolean
is_string (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING;
}

/* A trained run at `at`: its scores and, if it has one, its curve. */
static gboolean
check_run (JsonObject *run, const char *file, const char *at, GError **error)
{
  if (!run)
    return fault (error, file, at, "an object");
  if (!check_scores (run, file, at, error))
    return FALSE;
  if (!member (run, "curve"))
    return TRUE;
  JsonArray *curve = array_at (run, "curve");
  g_autofree char *curve_at = g_strdup_printf ("%s.curve", at);
  if (!curve)
    return fault (error, file, curve_at, "an array");
  for (guint i = 0; i < json_array_get_length (curve); i++) {
    g_autofree char *point_at = g_strdup_printf ("%s[%u]", curve_at, i);
    g_autofree char *it_at = g_strdup_printf ("%s.iteration", point_at);
    JsonObject *point = element_object (curve, i);
    if (!point)
      return fault (error, file, point_at, "an object");
    if (!is_number (member (point, "iteration"), TRUE))
      return fault (error, file, it_at, "a whole number");
    if (!check_scores (point, file, point_at, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_round (JsonObject *round, const char *file, const char *at, GError **error)
{
  g_autofree char *teacher_at = g_strdup_printf ("%s.teacher", at);
  g_autofree char *student_at = g_strdup_printf ("%s.student", at);
  if (!check_run (object_at (round, "teacher"), file, teacher_at, error)
      || !check_run (object_at (round, "student"), file, student_at, error))
    return FALSE;
  if (!member (round, "rho_sweep"))
    return TRUE;
  JsonArray *sweep = array_at (round, "rho_sweep");
  g_autofree char *sweep_at = g_strdup_printf ("%s.rho_sweep", at);
  if (!sweep)
    return fault (error, file, sweep_at, "an array");
  for (guint i = 0; i < json_array_get_length (sweep); i++) {
    g_autofree char *s_at = g_strdup_printf ("%s[%u]", sweep_at, i);
    g_autofree char *rho_at = g_strdup_printf ("%s.rho", s_at);
    JsonObject *s = element_object (sweep, i);
    if (!check_run (s, file, s_at, error))
      return FALSE;
    if (!is_between (member (s, "rho"), 0, INFINITY))
      return fault (error, file, rho_at, "a number above 0");
  }
  return TRUE;
}

/* The main student's share of automatic images, for AP against rho: its
 * rho, or when that is 0 or absent its manual share (0.6 unless given). */
static gboolean
check_spec (JsonObject *res, const char *file, GError **error)
{
  JsonObject *student = object_at (object_at (res, "spec"), "student");
  if (!student)
    return fault (error, file, "spec.student", "an object");
  JsonNode *rho = member (student, "rho");
  if (rho && !(is_number (rho, FALSE) && json_node_get_double (rho) >= 0))
    return fault (error, file, "spec.student.rho", "a number, 0 or above");
  JsonNode *ratio = member (student, "ratio");
  gboolean by_rho = rho && json_node_get_double (rho) > 0;
  if (ratio && !by_rho && !is_between (ratio, 0, 1))
    return fault (error, file, "spec.student.ratio", "a number between 0 and 1");
  return TRUE;
}

gboolean
dd_results_check (JsonNode *root, const char *file, GError **error)
{
  JsonObject *res = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root)
      : NULL;
  if (!res)
    return fault (error, file, "the top level", "an object");
  if (!is_string (member (res, "experiment")))
    return fault (error, file, "experiment", "a string");
  JsonArray *rounds = array_at (res, "rounds");
  if (!rounds || json_array_get_length (rounds) == 0)
    return fault (error, file, "rounds", "an array of at least one round");
  for (guint i = 0; i < json_array_get_length (rounds); i++) {
    g_autofree char *at = g_strdup_printf ("rounds[%u]", i);
    JsonObject *round = element_object (rounds, i);
    if (!round)
      return fault (error, file, at, "an object");
    if (!check_round (round, file, at, error))
      return FALSE;
  }
  if (!check_spec (res, file, error))
    return FALSE;
  if (!member (res, "baselines"))
    return TRUE;
  JsonArray *baselines = array_at (res, "baselines");
  if (!baselines)
    return fault (error, file, "baselines", "an array");
  for (guint i = 0; i < json_array_get_length (baselines); i++) {
    g_autofree char *at = g_strdup_printf ("baselines[%u]", i);
    g_autofree char *name_at = g_strdup_printf ("%s.name", at);
    JsonObject *b = element_object (baselines, i);
    if (!check_run (b, file, at, error))
      return FALSE;
    if (!is_string (member (b, "name")))
      return fault (error, file, name_at, "a string");
  }
  return TRUE;
}
