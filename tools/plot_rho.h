/* What `ddistill plot` draws against rho (ap-vs-rho.png) for one
 * experiment: the student at each rho of its sweep and at its own rho, and
 * flat across the same range the supervised models it has to beat (its
 * teacher, and each baseline: the same labels on the student's schedule,
 * the bigger labeled set as an upper bound). Nothing without a sweep. */
#ifndef DD_TOOLS_PLOT_RHO_H
#define DD_TOOLS_PLOT_RHO_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct dd_rho_series {
  char *name;                   /* "small-a: student, 1:rho" */
  double *x, *y;                /* rho ascending; AP in percent, NaN: none */
  int n;
} dd_rho_series;

/* The series of `results` (checked by dd_results_check) for `kind`
 * ("keypoints" or "boxes"), student first, as dd_rho_series *; the array
 * frees them. Empty when the experiment has no rho sweep. */
GPtrArray *dd_plot_rho_series (JsonObject *results, const char *kind);

#endif
