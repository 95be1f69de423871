/* What ap-vs-rho.png draws (tools/plot_rho.h): the student by rho, its own
 * 6:4 placed at 0.67 among the sweep's, and every supervised model it is
 * measured against flat across the same range, so the figure shows whether
 * the student beats the same labels on its own schedule. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "plot_rho.h"

static char *
scores (double kp, double box)
{
  return g_strdup_printf ("\"scores\": {\"keypoints\": {\"AP\": %g}, "
      "\"boxes\": {\"AP\": %g}}", kp, box);
}

/* small-a in miniature: a sweep at 4 and 0.25 around the 6:4 student,
 * two baselines; `sweep` FALSE leaves the sweep out. */
static JsonObject *
experiment (JsonParser *p, gboolean sweep)
{
  g_autofree char *teacher = scores (0.24, 0.40);
  g_autofree char *student = scores (0.25, 0.45);
  g_autofree char *r4 = scores (0.23, 0.41);
  g_autofree char *r025 = scores (0.26, 0.46);
  g_autofree char *b35 = scores (0.242, 0.43);
  g_autofree char *nokp = scores (-1, 0.49);
  g_autofree char *sweep_text = g_strdup_printf (", \"rho_sweep\": [{\"rho\": 4, %s}, "
      "{\"rho\": 0.25, %s}]", r4, r025);
  g_autofree char *text = g_strdup_printf ("{\"experiment\": \"small-a\", \"spec\": "
      "{\"student\": {\"ratio\": 0.6}}, \"rounds\": [{\"teacher\": {%s}, "
      "\"student\": {%s}%s}], \"baselines\": [{\"name\": \"labeled-35, student's\", "
      "%s}, {\"name\": \"labeled-115\", %s}]}", teacher, student,
      sweep ? sweep_text : "", b35, nokp);
  CHECK (json_parser_load_from_data (p, text, -1, NULL));
  return json_node_get_object (json_parser_get_root (p));
}

static gboolean
near (double a, double b)
{
  return fabs (a - b) < 1e-9;
}

static gboolean
flat_at (GPtrArray *series, guint i, const char *name, double y)
{
  if (i >= series->len)
    return FALSE;
  const dd_rho_series *s = g_ptr_array_index (series, i);
  gboolean same_y = isnan (y) ? isnan (s->y[0]) && isnan (s->y[1])
      : near (s->y[0], y) && near (s->y[1], y);
  if (strcmp (s->name, name) == 0 && s->n == 2 && near (s->x[0], 0.25)
      && near (s->x[1], 4) && same_y)
    return TRUE;
  fprintf (stderr, "series %u: '%s' (%d points, x %g..%g, y %g..%g), not '%s' flat "
      "at %g over 0.25..4\n", i, s->name, s->n, s->x[0], s->x[s->n - 1], s->y[0],
      s->y[s->n - 1], name, y);
  return FALSE;
}

static void
test_student_and_references (void)
{
  JsonParser *p = json_parser_new ();
  g_autoptr (GPtrArray) kp = dd_plot_rho_series (experiment (p, TRUE), "keypoints");
  CHECK (kp->len == 4);
  const dd_rho_series *st = g_ptr_array_index (kp, 0);
  CHECK (strcmp (st->name, "small-a: student, 1:rho") == 0);
  CHECK (st->n == 3);
  CHECK (near (st->x[0], 0.25) && near (st->x[1], 0.4 / 0.6) && near (st->x[2], 4));
  CHECK (near (st->y[0], 26) && near (st->y[1], 25) && near (st->y[2], 23));
  CHECK (flat_at (kp, 1, "small-a: supervised (teacher)", 24));
  CHECK (flat_at (kp, 2, "small-a: labeled-35, student's", 24.2));
  /* No keypoint truth scored: no line, not one at -100. */
  CHECK (flat_at (kp, 3, "small-a: labeled-115", NAN));
  g_autoptr (GPtrArray) box = dd_plot_rho_series (experiment (p, TRUE), "boxes");
  CHECK (box->len == 4 && flat_at (box, 3, "small-a: labeled-115", 49));
  g_object_unref (p);
}

static void
test_no_sweep_no_series (void)
{
  JsonParser *p = json_parser_new ();
  g_autoptr (GPtrArray) s = dd_plot_rho_series (experiment (p, FALSE), "keypoints");
  CHECK (s->len == 0);
  g_object_unref (p);
}

int
main (void)
{
  RUN_TEST (test_student_and_references);
  RUN_TEST (test_no_sweep_no_series);
  return check_exit_status ();
}
