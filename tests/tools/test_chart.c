/* When `ddistill plot` has a chart to write (tools/chart.h): only when some
 * point can be drawn. A score with no truth is NaN, and a log axis cannot
 * place 0; a chart of nothing else would be an empty frame passing for a
 * figure. */
#include "chart.h"
#include "check.h"

static gboolean
empty_with (gboolean log_x, double x, double y)
{
  dd_chart *c = dd_chart_new ("t", "x", "y");
  if (log_x)
    dd_chart_log_x (c);
  double xs[2] = { x, x }, ys[2] = { y, y };
  dd_chart_add (c, "s", xs, ys, 2, TRUE);
  gboolean empty = dd_chart_is_empty (c);
  dd_chart_free (c);
  return empty;
}

static void
test_drawable_points (void)
{
  dd_chart *c = dd_chart_new ("t", "x", "y");
  CHECK (dd_chart_is_empty (c));
  dd_chart_add (c, "none", NULL, NULL, 0, TRUE);
  CHECK (dd_chart_is_empty (c));
  dd_chart_free (c);
  CHECK (!empty_with (FALSE, 1, 20));
  CHECK (empty_with (FALSE, 1, NAN));
  CHECK (empty_with (FALSE, NAN, 20));
  CHECK (!empty_with (FALSE, 0, 20));
  CHECK (empty_with (TRUE, 0, 20));
  CHECK (!empty_with (TRUE, 0.25, 20));
}

int
main (void)
{
  RUN_TEST (test_drawable_points);
  return check_exit_status ();
}
