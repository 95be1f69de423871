/* A small line and scatter chart drawn with cairo into a PNG: axes with
 * round ticks, one colour per series, a legend, optionally the diagonal
 * y = x. Enough for `ddistill plot`; nothing more. */
#ifndef DD_TOOLS_CHART_H
#define DD_TOOLS_CHART_H

#include <glib.h>

typedef struct dd_chart dd_chart;

dd_chart *dd_chart_new (const char *title, const char *x_label, const char *y_label);
void dd_chart_free (dd_chart *c);

/* A series of n points; `lines`: joined in order, else markers only. */
void dd_chart_add (dd_chart *c, const char *name, const double *x, const double *y,
    int n, gboolean lines);
/* No point that can be drawn (none, NaN, or at or below 0 on a log axis):
 * nothing worth a file. */
gboolean dd_chart_is_empty (const dd_chart *c);
/* Draws y = x across the plot (student against teacher). */
void dd_chart_diagonal (dd_chart *c);
/* A logarithmic x axis (rho). */
void dd_chart_log_x (dd_chart *c);

/* Writes a width x height PNG. */
gboolean dd_chart_save (const dd_chart *c, const char *path, int width, int height,
    GError **error);

#endif
