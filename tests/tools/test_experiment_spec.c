/* The built-in experiments of `ddistill distill --spec NAME`
 * (bench/distill-experiments/, tools/experiment_spec.h): each one listed
 * loads, and the session-sized parts of small-a train the very runs small-a
 * would, so that they share an --out's runs instead of training them again. */
#include <glib/gstdio.h>
#include <string.h>

#include "check.h"
#include "experiment_spec.h"

GResource *dd_experiments_get_resource (void);

#define RESOURCE_DIR "/org/ddistill/distill-experiments"

static void
test_every_builtin_loads (void)
{
  for (int i = 0; dd_experiment_builtin[i]; i++) {
    GError *error = NULL;
    dd_experiment *e = dd_experiment_load (dd_experiment_builtin[i], &error);
    if (!e) {
      fprintf (stderr, "%s: %s\n", dd_experiment_builtin[i], error->message);
      g_error_free (error);
    }
    CHECK (e && strcmp (e->name, dd_experiment_builtin[i]) == 0);
    dd_experiment_free (e);
  }
}

/* A spec file added to the resource but not to the list could not be run
 * by name. */
static void
test_every_resource_listed (void)
{
  char **files = g_resource_enumerate_children (dd_experiments_get_resource (),
      RESOURCE_DIR, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  CHECK (files && g_strv_length (files) == g_strv_length ((char **)
          dd_experiment_builtin));
  for (int i = 0; files && files[i]; i++) {
    g_autofree char *name = g_strndup (files[i], strcspn (files[i], "."));
    if (!g_strv_contains (dd_experiment_builtin, name)) {
      fprintf (stderr, "%s is built in but not in dd_experiment_builtin\n", files[i]);
      CHECK (FALSE);
    }
  }
  g_strfreev (files);
}

/* The spec as read, without the members that name and describe it and
 * those given: what is left decides the runs it trains. */
static JsonNode *
spec_without (const char *name, const char *const *drop)
{
  GError *error = NULL;
  dd_experiment *e = dd_experiment_load (name, &error);
  CHECK (e != NULL);
  if (!e) {
    g_error_free (error);
    return json_node_init_object (json_node_alloc (), json_object_new ());
  }
  JsonNode *spec = json_node_copy (e->json);
  dd_experiment_free (e);
  JsonObject *o = json_node_get_object (spec);
  json_object_remove_member (o, "name");
  json_object_remove_member (o, "description");
  for (int i = 0; drop[i]; i++)
    json_object_remove_member (o, drop[i]);
  return spec;
}

static gboolean
same (JsonNode *a, JsonNode *b)
{
  gboolean equal = json_node_equal (a, b);
  json_node_unref (a);
  json_node_unref (b);
  return equal;
}

static gboolean
has_baseline (JsonNode *spec, JsonNode *baseline)
{
  JsonArray *all = json_object_get_array_member (json_node_get_object (spec),
      "baselines");
  gboolean found = FALSE;
  for (guint i = 0; all && i < json_array_get_length (all) && !found; i++)
    found = json_node_equal (json_array_get_element (all, i), baseline);
  return found;
}

static void
test_small_a_parts_share_its_runs (void)
{
  static const char *const none[] = { NULL };
  static const char *const sweep[] = { "rho_sweep", NULL };
  static const char *const baselines[] = { "baselines", NULL };
  static const char *const sweep_and_baselines[] = { "rho_sweep", "baselines", NULL };
  /* The teacher, its labels and the student. */
  CHECK (same (spec_without ("small-a", sweep_and_baselines),
          spec_without ("small-a-core", baselines)));
  CHECK (same (spec_without ("small-a-core", none), spec_without ("small-a-rho",
              sweep)));
  /* small-a-rho's sweep is small-a's; small-a-core's baseline one of its. */
  CHECK (same (spec_without ("small-a", baselines), spec_without ("small-a-rho",
              baselines)));
  JsonNode *a = spec_without ("small-a", none);
  JsonNode *core = spec_without ("small-a-core", none);
  JsonArray *core_baselines = json_object_get_array_member (json_node_get_object (core),
      "baselines");
  CHECK (core_baselines && json_array_get_length (core_baselines) == 1);
  for (guint i = 0; core_baselines && i < json_array_get_length (core_baselines); i++)
    CHECK (has_baseline (a, json_array_get_element (core_baselines, i)));
  json_node_unref (a);
  json_node_unref (core);
}

/* small-a-seed2 retrains the rho 1 student and its supervised twin with
 * another seed, on small-a's teacher and labels: its teacher's seed is the
 * experiment's, its student's is its own. */
static void
test_student_seed (void)
{
  static const char *const student_and_baselines[] = { "student", "baselines", NULL };
  static const char *const sweep_student_and_baselines[] = { "rho_sweep", "student",
    "baselines", NULL
  };
  CHECK (same (spec_without ("small-a", sweep_student_and_baselines),
          spec_without ("small-a-seed2", student_and_baselines)));
  /* Its student is small-a's rho 1 student with seed 2... */
  static const char *const none[] = { NULL };
  JsonNode *a = spec_without ("small-a", none);
  JsonNode *seed2 = spec_without ("small-a-seed2", none);
  JsonObject *rho1 = json_object_get_object_member (json_node_get_object (a), "student");
  json_object_remove_member (rho1, "ratio");
  json_object_set_int_member (rho1, "rho", 1);
  json_object_set_int_member (rho1, "seed", 2);
  CHECK (json_node_equal (json_object_get_member (json_node_get_object (a), "student"),
          json_object_get_member (json_node_get_object (seed2), "student")));
  /* ...and its baseline small-a's on labeled-35 with the student's schedule. */
  JsonArray *baselines = json_object_get_array_member (json_node_get_object (seed2),
      "baselines");
  CHECK (baselines && json_array_get_length (baselines) == 1);
  if (baselines && json_array_get_length (baselines) == 1) {
    JsonNode *b = json_node_copy (json_array_get_element (baselines, 0));
    json_object_set_string_member (json_node_get_object (b), "name",
        "supervised, labeled-35, student's schedule");
    CHECK (has_baseline (a, b));
    json_node_unref (b);
  }
  json_node_unref (a);
  json_node_unref (seed2);
  GError *error = NULL;
  dd_experiment *e = dd_experiment_load ("small-a-seed2", &error);
  CHECK (e != NULL);
  if (!e) {
    g_error_free (error);
    return;
  }
  CHECK (e->seed == 1 && e->teacher.seed == 1 && e->student.seed == 2);
  CHECK (e->student.rho == 1);
  dd_experiment_free (e);
}

/* More curve points than iterations would put one at iteration 0. */
static void
test_curve_points_within_iterations (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dd-experiment-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "few.json", NULL);
  CHECK (g_file_set_contents (path, "{\"name\": \"few\", \"benchmark\": \"test\", "
          "\"labeled\": \"labeled-35\", \"unlabeled\": \"labeled-80\", \"val\": "
          "\"val\", \"teacher\": {\"iterations\": 8}, \"student\": {\"iterations\": "
          "3}, \"curve_points\": 4}", -1, NULL));
  GError *error = NULL;
  CHECK (dd_experiment_load (path, &error) == NULL);
  CHECK (error && strstr (error->message, "few.json: curve_points: 4 is more than the "
          "3 iterations of the student"));
  if (error)
    g_error_free (error);
  g_remove (path);
  g_rmdir (dir);
}

int
main (void)
{
  RUN_TEST (test_every_builtin_loads);
  RUN_TEST (test_every_resource_listed);
  RUN_TEST (test_small_a_parts_share_its_runs);
  RUN_TEST (test_student_seed);
  RUN_TEST (test_curve_points_within_iterations);
  return check_exit_status ();
}
