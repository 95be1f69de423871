/* Which training curves `ddistill plot` draws from several results.json
 * (ap-vs-iterations.png): each run once, though experiments that share
 * an --out share runs (small-b to small-e share their teacher), with the
 * longest curve any of them kept of it (a spec with fewer curve points
 * keeps only the end of a run another kept at every quarter), under the
 * name of the first experiment that kept that one, in the order the runs
 * first appear. */
#ifndef DD_TOOLS_PLOT_CURVES_H
#define DD_TOOLS_PLOT_CURVES_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct dd_plot_curve {
  char *name;                   /* "small-d: supervised" */
  JsonObject *model;            /* the run's entry: "run", "curve", ... */
} dd_plot_curve;

/* The curves of `results` (JsonObject *, each checked by dd_results_check)
 * as dd_plot_curve *; the array frees them. The models are the results'
 * own: keep the results while the curves are used. */
GPtrArray *dd_plot_curves (GPtrArray *results);

#endif
