/* The student against rho, and the supervised models it is measured
 * against drawn flat, for ap-vs-rho.png. */
#include <stdlib.h>

#include "distill_report.h"
#include "plot_rho.h"

static void
series_free (dd_rho_series *s)
{
  g_free (s->name);
  g_free (s->x);
  g_free (s->y);
  g_free (s);
}

/* The main student's rho: its own, or 6:4 and the like as automatic per
 * manual. */
static double
main_rho (JsonObject *res)
{
  double ratio, rho = dd_results_student_rho (res, &ratio);
  return rho > 0 ? rho : (1 - ratio) / ratio;
}

static int
by_x (const void *a, const void *b)
{
  const double *p = a, *q = b;
  return (p[0] > q[0]) - (p[0] < q[0]);
}

/* The sweep's students and the main one, by rho. */
static dd_rho_series *
student_series (JsonObject *res, JsonObject *round, const char *kind)
{
  JsonArray *sweep = json_object_get_array_member (round, "rho_sweep");
  int n = (int) json_array_get_length (sweep) + 1;
  double (*xy)[2] = g_malloc (sizeof (double[2]) * (size_t) n);
  for (int i = 0; i < n - 1; i++) {
    JsonObject *s = json_array_get_object_element (sweep, (guint) i);
    xy[i][0] = json_object_get_double_member (s, "rho");
    xy[i][1] = dd_model_ap_percent (s, kind);
  }
  xy[n - 1][0] = main_rho (res);
  xy[n - 1][1] = dd_model_ap_percent (json_object_get_object_member (round,
          "student"), kind);
  qsort (xy, (size_t) n, sizeof xy[0], by_x);
  dd_rho_series *s = g_new0 (dd_rho_series, 1);
  s->name = g_strdup_printf ("%s: student, 1:rho",
      json_object_get_string_member (res, "experiment"));
  s->x = g_new (double, n);
  s->y = g_new (double, n);
  s->n = n;
  for (int i = 0; i < n; i++) {
    s->x[i] = xy[i][0];
    s->y[i] = xy[i][1];
  }
  g_free (xy);
  return s;
}

/* A supervised model's AP as a line across the student's rho range. */
static dd_rho_series *
flat_series (const char *name, JsonObject *model, const dd_rho_series *student,
    const char *kind)
{
  dd_rho_series *s = g_new0 (dd_rho_series, 1);
  s->name = g_strdup (name);
  s->n = 2;
  s->x = g_new (double, 2);
  s->y = g_new (double, 2);
  s->x[0] = student->x[0];
  s->x[1] = student->x[student->n - 1];
  s->y[0] = s->y[1] = dd_model_ap_percent (model, kind);
  return s;
}

GPtrArray *
dd_plot_rho_series (JsonObject *res, const char *kind)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  JsonObject *round = dd_results_first_round (res);
  if (!round || !json_object_has_member (round, "rho_sweep"))
    return out;
  const char *exp = json_object_get_string_member (res, "experiment");
  dd_rho_series *student = student_series (res, round, kind);
  g_ptr_array_add (out, student);
  g_autofree char *teacher = g_strdup_printf ("%s: supervised (teacher)", exp);
  g_ptr_array_add (out, flat_series (teacher,
          json_object_get_object_member (round, "teacher"), student, kind));
  JsonArray *baselines = dd_results_baselines (res);
  for (guint i = 0; baselines && i < json_array_get_length (baselines); i++) {
    JsonObject *b = json_array_get_object_element (baselines, i);
    g_autofree char *name = g_strdup_printf ("%s: %s", exp,
        json_object_get_string_member (b, "name"));
    g_ptr_array_add (out, flat_series (name, b, student, kind));
  }
  return out;
}
