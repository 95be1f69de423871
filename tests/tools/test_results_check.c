/* What `ddistill plot` refuses (tools/results_check.h): a results.json
 * whose rho or manual share a log axis cannot place is named by field, not
 * drawn off the chart or at infinity. */
#include <string.h>

#include "check.h"
#include "results_check.h"

/* One round with a rho sweep; `student` is the spec's student object. */
static gboolean
check_with (const char *sweep_rho, const char *student, char **message)
{
  static const char scores[] = "\"scores\": {\"keypoints\": {\"AP\": 0.3}, "
      "\"boxes\": {\"AP\": 0.4}}";
  g_autofree char *text = g_strdup_printf ("{\"experiment\": \"x\", \"spec\": "
      "{\"student\": %s}, \"rounds\": [{\"teacher\": {%s}, \"student\": {%s}, "
      "\"rho_sweep\": [{\"rho\": %s, %s}]}]}", student, scores, scores, sweep_rho,
      scores);
  JsonParser *p = json_parser_new ();
  CHECK (json_parser_load_from_data (p, text, -1, NULL));
  GError *error = NULL;
  gboolean ok = dd_results_check (json_parser_get_root (p), "r.json", &error);
  *message = g_strdup (error ? error->message : "");
  g_clear_error (&error);
  g_object_unref (p);
  return ok;
}

static void
test_mixes (void)
{
  char *m;
  CHECK (check_with ("1", "{}", &m));
  g_free (m);
  CHECK (check_with ("0.25", "{\"rho\": 4}", &m));
  g_free (m);
  /* rho 0 is the ratio mode; then the ratio counts. */
  CHECK (check_with ("2", "{\"rho\": 0, \"ratio\": 0.5}", &m));
  g_free (m);
  CHECK (!check_with ("0", "{}", &m));
  CHECK (strstr (m, "r.json: rounds[0].rho_sweep[0].rho: a number above 0"));
  g_free (m);
  CHECK (!check_with ("1", "{\"rho\": -1}", &m));
  CHECK (strstr (m, "r.json: spec.student.rho: a number, 0 or above"));
  g_free (m);
  CHECK (!check_with ("1", "{\"ratio\": 1}", &m));
  CHECK (strstr (m, "r.json: spec.student.ratio: a number between 0 and 1"));
  g_free (m);
  /* With a rho the ratio is not used. */
  CHECK (check_with ("1", "{\"rho\": 2, \"ratio\": 1}", &m));
  g_free (m);
}

int
main (void)
{
  RUN_TEST (test_mixes);
  return check_exit_status ();
}
