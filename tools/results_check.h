/* Whether a results.json of `ddistill distill` holds what `ddistill plot`
 * reads, so a damaged or foreign file is refused with the field at fault
 * named, not drawn as zeros. */
#ifndef DD_TOOLS_RESULTS_CHECK_H
#define DD_TOOLS_RESULTS_CHECK_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* `file` names the file in the error: "FILE: rounds[0].student.scores.boxes.AP:
 * a number is needed". */
gboolean dd_results_check (JsonNode *root, const char *file, GError **error);

#endif
