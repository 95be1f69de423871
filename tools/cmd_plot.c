/* `ddistill plot --out DIR RESULTS.json...`: the figures of docs/RESULTS.md
 * from the results of `ddistill distill`. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "chart.h"
#include "commands.h"
#include "distill_report.h"
#include "plot_curves.h"
#include "plot_rho.h"
#include "results_check.h"

static const char summary[] =
    "Draws, from the results.json files of `ddistill distill` (PNG, 800x500),\n"
    "each for keypoint AP and (box-*.png) for box AP:\n"
    "  ap-vs-iterations.png    AP along training, supervised and distilled (the\n"
    "                          runs' curve points);\n"
    "  ap-vs-rho.png           the student's AP against rho, the automatic images\n"
    "                          drawn per manual one (the experiments with a rho\n"
    "                          sweep, and the main student: 6:4 is rho 0.67),\n"
    "                          the supervised teacher and each baseline flat;\n"
    "                          not written when none of them has a sweep;\n"
    "  student-vs-teacher.png  each round's student against its teacher, with\n"
    "                          the diagonal.\n"
    "\n"
    "Exit status: 0 done, 1 failure (reported), 2 bad usage.";

static void
add_curve (dd_chart *c, const dd_plot_curve *curve, const char *kind)
{
  JsonArray *points = json_object_get_array_member (curve->model, "curve");
  int n = (int) json_array_get_length (points);
  double *x = g_new (double, MAX (n, 1)), *y = g_new (double, MAX (n, 1));
  for (int i = 0; i < n; i++) {
    JsonObject *p = json_array_get_object_element (points, (guint) i);
    x[i] = (double) json_object_get_int_member (p, "iteration");
    y[i] = dd_model_ap_percent (p, kind);
  }
  dd_chart_add (c, curve->name, x, y, n, TRUE);
  g_free (x);
  g_free (y);
}

/* The student against rho and its supervised references, each joined. */
static void
rho_points (dd_chart *c, JsonObject *res, const char *kind)
{
  g_autoptr (GPtrArray) series = dd_plot_rho_series (res, kind);
  for (guint i = 0; i < series->len; i++) {
    const dd_rho_series *s = g_ptr_array_index (series, i);
    dd_chart_add (c, s->name, s->x, s->y, s->n, TRUE);
  }
}

static void
student_teacher (dd_chart *c, JsonObject *res, const char *kind)
{
  const char *exp = json_object_get_string_member (res, "experiment");
  JsonArray *rounds = json_object_get_array_member (res, "rounds");
  int n = (int) json_array_get_length (rounds);
  double *x = g_new (double, MAX (n, 1)), *y = g_new (double, MAX (n, 1));
  for (int i = 0; i < n; i++) {
    JsonObject *r = json_array_get_object_element (rounds, (guint) i);
    x[i] = dd_model_ap_percent (json_object_get_object_member (r, "teacher"),
        kind);
    y[i] = dd_model_ap_percent (json_object_get_object_member (r, "student"),
        kind);
  }
  dd_chart_add (c, exp, x, y, n, n > 1);
  g_free (x);
  g_free (y);
}

/* An empty chart is not written: an axis with no points would pass for a
 * figure (ap-vs-rho.png without a rho sweep). */
static gboolean
save (dd_chart *c, const char *dir, const char *name, const char *why_empty,
    GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gboolean empty = dd_chart_is_empty (c);
  gboolean ok = empty || dd_chart_save (c, path, 800, 500, error);
  if (empty)
    fprintf (stderr, "ddistill plot: %s not written: %s\n", path, why_empty);
  else if (ok)
    fprintf (stderr, "ddistill plot: %s\n", path);
  dd_chart_free (c);
  return ok;
}

/* The three figures for one kind of AP, saved as PREFIXNAME.png. */
static gboolean
plot_kind (GPtrArray *results, const char *out, const char *kind, const char *prefix,
    const char *ap, GError **error)
{
  g_autofree char *axis = g_strdup_printf ("%s (%%)", ap);
  g_autofree char *t1 = g_strdup_printf ("%s along training", ap);
  g_autofree char *t2 = g_strdup_printf ("Student %s against the automatic share", ap);
  g_autofree char *t3 = g_strdup_printf ("Student against teacher, %s", ap);
  g_autofree char *tx = g_strdup_printf ("teacher %s (%%)", ap);
  g_autofree char *ty = g_strdup_printf ("student %s (%%)", ap);
  dd_chart *it = dd_chart_new (t1, "iteration", axis);
  dd_chart *rho = dd_chart_new (t2, "rho (automatic images per manual one)", axis);
  dd_chart *st = dd_chart_new (t3, tx, ty);
  dd_chart_log_x (rho);
  dd_chart_diagonal (st);
  g_autoptr (GPtrArray) curves = dd_plot_curves (results);
  for (guint i = 0; i < curves->len; i++)
    add_curve (it, g_ptr_array_index (curves, i), kind);
  for (guint i = 0; i < results->len; i++) {
    JsonObject *res = g_ptr_array_index (results, i);
    rho_points (rho, res, kind);
    student_teacher (st, res, kind);
  }
  g_autofree char *f1 = g_strconcat (prefix, "ap-vs-iterations.png", NULL);
  g_autofree char *f2 = g_strconcat (prefix, "ap-vs-rho.png", NULL);
  g_autofree char *f3 = g_strconcat (prefix, "student-vs-teacher.png", NULL);
  /* Each saved and freed, whatever the others do. */
  gboolean ok = save (it, out, f1, "no run has a curve", error);
  ok = save (rho, out, f2, "no experiment has a rho sweep", ok ? error : NULL) && ok;
  ok = save (st, out, f3, "no experiment has a round", ok ? error : NULL) && ok;
  return ok;
}

static gboolean
plot_all (GPtrArray *results, const char *out, GError **error)
{
  return plot_kind (results, out, "keypoints", "", "keypoint AP", error)
      && plot_kind (results, out, "boxes", "box-", "box AP", error);
}

int
dd_cmd_plot (int argc, char **argv)
{
  g_autofree char *out = NULL;
  GOptionEntry entries[] = {
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Folder of the PNG files (required)",
      "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("RESULTS.json...");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill plot");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !out || argc < 2) {
    g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
    fprintf (stderr, "ddistill plot: %s\n\n%s", error ? error->message
        : "give --out and at least one results.json", help);
    return 2;
  }
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_object_unref);
  GPtrArray *objects = g_ptr_array_new ();
  gboolean ok = g_mkdir_with_parents (out, 0755) == 0;
  if (!ok)
    g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create %s: %s", out, g_strerror (errno));
  for (int i = 1; i < argc && ok; i++) {
    JsonParser *p = json_parser_new ();
    g_ptr_array_add (results, p);
    ok = json_parser_load_from_file (p, argv[i], &error);
    JsonNode *root = ok ? json_parser_get_root (p) : NULL;
    ok = ok && dd_results_check (root, argv[i], &error);
    if (ok)
      g_ptr_array_add (objects, json_node_get_object (root));
  }
  ok = ok && plot_all (objects, out, &error);
  if (!ok)
    fprintf (stderr, "ddistill plot: %s\n", error->message);
  g_ptr_array_unref (objects);
  g_ptr_array_unref (results);
  return ok ? 0 : 1;
}
