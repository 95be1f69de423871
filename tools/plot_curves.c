#include "plot_curves.h"

#include "distill_report.h"

static void
curve_free (dd_plot_curve *c)
{
  g_free (c->name);
  g_free (c);
}

static guint
curve_length (JsonObject *model)
{
  return json_array_get_length (json_object_get_array_member (model, "curve"));
}

typedef struct {
  GPtrArray *curves;
  GHashTable *by_run;           /* canonical run folder -> its dd_plot_curve */
} collector;

/* Offers `model`'s curve under `name`: a run offered before keeps the
 * longer curve. A run is known by its folder, written as each results file
 * has it ("exp3/runs/x" and "./exp3/runs/x" are one). */
static void
offer (collector *c, const char *name, JsonObject *model)
{
  if (!model || !json_object_has_member (model, "curve"))
    return;
  const char *run = json_object_get_string_member_with_default (model, "run", NULL);
  g_autofree char *key = run ? g_canonicalize_filename (run, "/") : NULL;
  dd_plot_curve *known = key ? g_hash_table_lookup (c->by_run, key) : NULL;
  if (known) {
    if (curve_length (model) > curve_length (known->model)) {
      g_free (known->name);
      known->name = g_strdup (name);
      known->model = model;
    }
    return;
  }
  dd_plot_curve *curve = g_new (dd_plot_curve, 1);
  curve->name = g_strdup (name);
  curve->model = model;
  g_ptr_array_add (c->curves, curve);
  if (key)
    g_hash_table_insert (c->by_run, g_steal_pointer (&key), curve);
}

/* "small-a-seed2: distilled, rho 1, seed 2": the student's name says how
 * its spec mixed and seeded it where that is not the default (6:4, the
 * experiment's seed), so two students of one figure can be told apart. */
static char *
student_name (JsonObject *res, const char *exp)
{
  GString *name = g_string_new (NULL);
  g_string_printf (name, "%s: distilled", exp);
  if (!json_object_has_member (res, "spec"))
    return g_string_free (name, FALSE);
  double ratio, rho = dd_results_student_rho (res, &ratio);
  if (rho > 0)
    g_string_append_printf (name, ", rho %g", rho);
  else if (ratio != 0.6)
    g_string_append_printf (name, ", %g:%g", 10 * ratio, 10 * (1 - ratio));
  JsonObject *spec = json_object_get_object_member (res, "spec");
  JsonObject *student = json_object_get_object_member (spec, "student");
  gint64 experiment_seed = json_object_get_int_member_with_default (spec, "seed", 0);
  JsonNode *seed = json_object_get_member (student, "seed");
  if (seed && json_node_get_value_type (seed) == G_TYPE_INT64
      && json_node_get_int (seed) != experiment_seed)
    g_string_append_printf (name, ", seed %" G_GINT64_FORMAT, json_node_get_int (seed));
  return g_string_free (name, FALSE);
}

/* An experiment's teacher, students (one a round) and baselines. */
static void
offer_experiment (collector *c, JsonObject *res)
{
  const char *exp = json_object_get_string_member (res, "experiment");
  JsonObject *r = dd_results_first_round (res);
  if (!r)
    return;
  g_autofree char *sup = g_strdup_printf ("%s: supervised", exp);
  g_autofree char *dis = student_name (res, exp);
  offer (c, sup, json_object_get_object_member (r, "teacher"));
  offer (c, dis, json_object_get_object_member (r, "student"));
  /* Later rounds' teachers are the students before them, drawn already. */
  JsonArray *rounds = json_object_get_array_member (res, "rounds");
  for (guint i = 1; i < json_array_get_length (rounds); i++) {
    g_autofree char *name = g_strdup_printf ("%s, round %u", dis, i + 1);
    offer (c, name, json_object_get_object_member (json_array_get_object_element (
                rounds, i), "student"));
  }
  JsonArray *baselines = dd_results_baselines (res);
  for (guint i = 0; baselines && i < json_array_get_length (baselines); i++) {
    JsonObject *b = json_array_get_object_element (baselines, i);
    g_autofree char *name = g_strdup_printf ("%s: %s", exp,
        json_object_get_string_member (b, "name"));
    offer (c, name, b);
  }
}

GPtrArray *
dd_plot_curves (GPtrArray *results)
{
  collector c = {
    .curves = g_ptr_array_new_with_free_func ((GDestroyNotify) curve_free),
    .by_run = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
  };
  for (guint i = 0; i < results->len; i++)
    offer_experiment (&c, g_ptr_array_index (results, i));
  g_hash_table_unref (c.by_run);
  return c.curves;
}
