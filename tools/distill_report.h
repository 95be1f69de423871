/* The results of `ddistill distill` as a table like the paper's Table 1:
 * one row per model (supervised, the teacher with test-time transforms,
 * the student, then the rho sweep and the baselines), keypoint and box AP
 * in percent. */
#ifndef DD_TOOLS_DISTILL_REPORT_H
#define DD_TOOLS_DISTILL_REPORT_H

#include <json-glib/json-glib.h>

/* Round 1 of a results object, NULL when it has none. */
JsonObject *dd_results_first_round (JsonObject *results);

/* The supervised baselines of a results object, NULL when it has none. */
JsonArray *dd_results_baselines (JsonObject *results);

/* The main student's mix, from the spec in a results object checked by
 * dd_results_check: its rho when it mixes 1:rho, else 0 with its manual
 * share in *ratio (0.6 unless the spec gives one). */
double dd_results_student_rho (JsonObject *results, double *ratio);

/* A scores object's AP of one kind ("keypoints" or "boxes") in percent; NaN
 * where COCO wrote -1: the evaluated images had no truth of that kind, so
 * there is no score to draw or subtract. */
double dd_ap_percent (JsonObject *scores, const char *kind);

/* The same of a model entry (a run, a curve point, a sweep's student: an
 * object with "scores"). */
double dd_model_ap_percent (JsonObject *model, const char *kind);

/* The rows, from a results object without "table": [{"name", "keypoints":
 * {...}, "boxes": {...}}]. */
JsonNode *dd_distill_table (JsonObject *results);

/* The table as text, from a results object with "table": then round 1's
 * student minus the teacher and minus each baseline ("student - NAME:"
 * lines), and what the automatic labels were. */
char *dd_distill_table_text (JsonObject *results);

#endif
