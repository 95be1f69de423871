/* Which training curves `ddistill plot` draws (tools/plot_curves.h): a run
 * shared by experiments once, with the longest curve any of them kept,
 * wherever its results file comes in the command line. */
#include <string.h>

#include "check.h"
#include "plot_curves.h"

/* A model entry: its run folder and a curve of n points. */
static char *
model (const char *run, int n)
{
  GString *s = g_string_new ("");
  g_string_append_printf (s, "{\"run\": \"%s\", \"curve\": [", run);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s{\"iteration\": %d}", i ? ", " : "", 10 * (i + 1));
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

/* "small-e" here keeps one point of the teacher, as a spec without curve
 * points does, small-d four (and spells its folder with "./"); small-d has
 * a baseline. */
static JsonObject *
small_e (JsonParser *p)
{
  g_autofree char *teacher = model ("exp/runs/t", 1);
  g_autofree char *student = model ("exp/runs/e", 1);
  g_autofree char *text = g_strdup_printf ("{\"experiment\": \"small-e\", \"rounds\": "
      "[{\"teacher\": %s, \"student\": %s}]}", teacher, student);
  CHECK (json_parser_load_from_data (p, text, -1, NULL));
  return json_node_get_object (json_parser_get_root (p));
}

static JsonObject *
small_d (JsonParser *p)
{
  g_autofree char *teacher = model ("./exp/runs/t", 4);
  g_autofree char *student = model ("exp/runs/d", 4);
  g_autofree char *baseline = model ("exp/runs/b", 4);
  g_autofree char *text = g_strdup_printf ("{\"experiment\": \"small-d\", \"rounds\": "
      "[{\"teacher\": %s, \"student\": %s}], \"baselines\": [%.*s, \"name\": "
      "\"longer\"}]}", teacher, student, (int) strlen (baseline) - 1, baseline);
  CHECK (json_parser_load_from_data (p, text, -1, NULL));
  return json_node_get_object (json_parser_get_root (p));
}

static gboolean
curve_is (GPtrArray *curves, guint i, const char *name, guint points)
{
  if (i >= curves->len)
    return FALSE;
  const dd_plot_curve *c = g_ptr_array_index (curves, i);
  guint n = json_array_get_length (json_object_get_array_member (c->model, "curve"));
  if (strcmp (c->name, name) == 0 && n == points)
    return TRUE;
  fprintf (stderr, "curve %u: '%s' with %u points, not '%s' with %u\n", i, c->name, n,
      name, points);
  return FALSE;
}

/* Either order: the shared teacher drawn once, with small-d's four points,
 * where it first came. */
static void
test_shared_run_longest_curve (void)
{
  for (int order = 0; order < 2; order++) {
    JsonParser *pe = json_parser_new (), *pd = json_parser_new ();
    GPtrArray *results = g_ptr_array_new ();
    JsonObject *e = small_e (pe), *d = small_d (pd);
    g_ptr_array_add (results, order ? d : e);
    g_ptr_array_add (results, order ? e : d);
    GPtrArray *curves = dd_plot_curves (results);
    CHECK (curves->len == 4);
    CHECK (curve_is (curves, 0, "small-d: supervised", 4));
    if (order == 0) {
      CHECK (curve_is (curves, 1, "small-e: distilled", 1));
      CHECK (curve_is (curves, 2, "small-d: distilled", 4));
      CHECK (curve_is (curves, 3, "small-d: longer", 4));
    } else {
      CHECK (curve_is (curves, 1, "small-d: distilled", 4));
      CHECK (curve_is (curves, 2, "small-d: longer", 4));
      CHECK (curve_is (curves, 3, "small-e: distilled", 1));
    }
    g_ptr_array_unref (curves);
    g_ptr_array_unref (results);
    g_object_unref (pe);
    g_object_unref (pd);
  }
}

/* Results without a round, or models without a curve, draw nothing. */
static void
test_nothing_to_draw (void)
{
  JsonParser *p = json_parser_new ();
  CHECK (json_parser_load_from_data (p, "{\"experiment\": \"x\", \"rounds\": "
          "[{\"teacher\": {\"run\": \"r\"}, \"student\": {\"run\": \"s\"}}]}", -1, NULL));
  JsonParser *q = json_parser_new ();
  CHECK (json_parser_load_from_data (q, "{\"experiment\": \"y\", \"rounds\": []}", -1,
          NULL));
  GPtrArray *results = g_ptr_array_new ();
  g_ptr_array_add (results, json_node_get_object (json_parser_get_root (p)));
  g_ptr_array_add (results, json_node_get_object (json_parser_get_root (q)));
  GPtrArray *curves = dd_plot_curves (results);
  CHECK (curves->len == 0);
  g_ptr_array_unref (curves);
  g_ptr_array_unref (results);
  g_object_unref (p);
  g_object_unref (q);
}

/* The curves of one results object, `text`, parsed by `p` (which keeps
 * the models the curves point to). */
static GPtrArray *
curves_of (JsonParser *p, const char *text)
{
  CHECK (json_parser_load_from_data (p, text, -1, NULL));
  GPtrArray *results = g_ptr_array_new ();
  g_ptr_array_add (results, json_node_get_object (json_parser_get_root (p)));
  GPtrArray *curves = dd_plot_curves (results);
  g_ptr_array_unref (results);
  return curves;
}

/* The student's curve names its mix and seed where the spec sets them
 * otherwise than the default 6:4 and the experiment's seed. */
static void
test_student_named_by_mix_and_seed (void)
{
  static const struct {
    const char *student, *name;
  } cases[] = {
    { "{\"rho\": 1, \"seed\": 1}", "x: distilled, rho 1" },
    { "{}", "x: distilled" },
    { "{\"ratio\": 0.6}", "x: distilled" },
    { "{\"ratio\": 0.5}", "x: distilled, 5:5" },
    { "{\"rho\": 0, \"ratio\": 0.75}", "x: distilled, 7.5:2.5" },
    { "{\"rho\": 1, \"seed\": 2}", "x: distilled, rho 1, seed 2" },
    { "{\"rho\": 0.25}", "x: distilled, rho 0.25" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *teacher = model ("exp/runs/t", 2);
    g_autofree char *student = model ("exp/runs/s", 2);
    g_autofree char *text = g_strdup_printf ("{\"experiment\": \"x\", \"spec\": "
        "{\"seed\": 1, \"student\": %s}, \"rounds\": [{\"teacher\": %s, "
        "\"student\": %s}]}",
        cases[i].student, teacher, student);
    JsonParser *p = json_parser_new ();
    GPtrArray *curves = curves_of (p, text);
    CHECK (curve_is (curves, 1, cases[i].name, 2));
    g_ptr_array_unref (curves);
    g_object_unref (p);
  }
}

/* Two rounds: round 2's teacher is round 1's student, drawn once; round
 * 2's student is drawn too, named by its round. */
static void
test_second_round_student (void)
{
  g_autofree char *teacher = model ("exp/runs/t", 4);
  g_autofree char *first = model ("exp/runs/s1", 4);
  g_autofree char *second = model ("exp/runs/s2", 4);
  g_autofree char *text = g_strdup_printf ("{\"experiment\": \"e\", \"rounds\": "
      "[{\"teacher\": %s, \"student\": %s}, {\"teacher\": %s, \"student\": %s}]}",
      teacher, first, first, second);
  JsonParser *p = json_parser_new ();
  GPtrArray *curves = curves_of (p, text);
  CHECK (curves->len == 3);
  CHECK (curve_is (curves, 0, "e: supervised", 4));
  CHECK (curve_is (curves, 1, "e: distilled", 4));
  CHECK (curve_is (curves, 2, "e: distilled, round 2", 4));
  g_ptr_array_unref (curves);
  g_object_unref (p);
}

int
main (void)
{
  RUN_TEST (test_shared_run_longest_curve);
  RUN_TEST (test_nothing_to_draw);
  RUN_TEST (test_student_named_by_mix_and_seed);
  RUN_TEST (test_second_round_student);
  return check_exit_status ();
}
