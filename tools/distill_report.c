#include "distill_report.h"

#include <math.h>
#include <string.h>

static void
add_row (JsonArray *rows, const char *name, JsonObject *scores)
{
  if (!scores)
    return;
  JsonObject *row = json_object_new ();
  json_object_set_string_member (row, "name", name);
  json_object_set_member (row, "keypoints",
      json_node_copy (json_object_get_member (scores, "keypoints")));
  json_object_set_member (row, "boxes",
      json_node_copy (json_object_get_member (scores, "boxes")));
  json_array_add_object_element (rows, row);
}

static JsonObject *
scores_of (JsonObject *model)
{
  return model && json_object_has_member (model, "scores")
      ? json_object_get_object_member (model, "scores") : NULL;
}

static void
add_round (JsonArray *rows, JsonObject *spec, JsonObject *round)
{
  gint64 r = json_object_get_int_member (round, "round");
  const char *labeled = json_object_get_string_member (spec, "labeled");
  const char *unlabeled = json_object_get_string_member (spec, "unlabeled");
  g_autofree char *teacher = r == 1
      ? g_strdup_printf ("supervised: %s (the teacher)", labeled)
      : g_strdup_printf ("round %" G_GINT64_FORMAT " teacher (round %" G_GINT64_FORMAT
      " student)", r, r - 1);
  g_autofree char *tta = r == 1 ? g_strdup ("teacher + test-time transforms")
      : g_strdup_printf ("round %" G_GINT64_FORMAT " teacher + test-time transforms", r);
  g_autofree char *which = r == 1 ? g_strdup ("")
      : g_strdup_printf ("round %" G_GINT64_FORMAT " ", r);
  g_autofree char *student = g_strdup_printf ("%sdata distillation: %s + %s", which,
      labeled, unlabeled);
  add_row (rows, teacher, scores_of (json_object_get_object_member (round, "teacher")));
  if (json_object_has_member (round, "teacher_tta"))
    add_row (rows, tta, json_object_get_object_member (round, "teacher_tta"));
  add_row (rows, student, scores_of (json_object_get_object_member (round, "student")));
  if (!json_object_has_member (round, "rho_sweep"))
    return;
  JsonArray *sweep = json_object_get_array_member (round, "rho_sweep");
  for (guint i = 0; i < json_array_get_length (sweep); i++) {
    JsonObject *s = json_array_get_object_element (sweep, i);
    g_autofree char *name = g_strdup_printf ("  student, manual : automatic = 1 : %g",
        json_object_get_double_member (s, "rho"));
    add_row (rows, name, scores_of (s));
  }
}

JsonObject *
dd_results_first_round (JsonObject *results)
{
  JsonArray *rounds = json_object_get_array_member (results, "rounds");
  return json_array_get_length (rounds) ? json_array_get_object_element (rounds, 0)
      : NULL;
}

JsonArray *
dd_results_baselines (JsonObject *results)
{
  return json_object_has_member (results, "baselines")
      ? json_object_get_array_member (results, "baselines") : NULL;
}

double
dd_results_student_rho (JsonObject *results, double *ratio)
{
  JsonObject *student = json_object_get_object_member (json_object_get_object_member (
          results, "spec"), "student");
  *ratio = json_object_has_member (student, "ratio")
      ? json_object_get_double_member (student, "ratio") : 0.6;
  return json_object_has_member (student, "rho")
      ? json_object_get_double_member (student, "rho") : 0;
}

JsonNode *
dd_distill_table (JsonObject *results)
{
  JsonArray *rows = json_array_new ();
  JsonObject *spec = json_object_get_object_member (results, "spec");
  JsonArray *rounds = json_object_get_array_member (results, "rounds");
  for (guint i = 0; i < json_array_get_length (rounds); i++)
    add_round (rows, spec, json_array_get_object_element (rounds, i));
  JsonArray *baselines = dd_results_baselines (results);
  for (guint i = 0; baselines && i < json_array_get_length (baselines); i++) {
    JsonObject *b = json_array_get_object_element (baselines, i);
    add_row (rows, json_object_get_string_member (b, "name"), scores_of (b));
  }
  return json_node_init_array (json_node_alloc (), rows);
}

/* A score (AP, AP50, ...) in percent; NaN where COCO wrote -1. */
static double
percent (JsonObject *scores, const char *name)
{
  double v = json_object_get_double_member (scores, name);
  return v < 0 ? NAN : 100 * v;
}

/* A score in percent, or "-" where there was no truth. */
static void
cell (GString *s, JsonObject *scores, const char *name)
{
  double v = percent (scores, name);
  if (isnan (v))
    g_string_append_printf (s, " %6s", "-");
  else
    g_string_append_printf (s, " %6.1f", v);
}

double
dd_ap_percent (JsonObject *scores, const char *kind)
{
  return percent (json_object_get_object_member (scores, kind), "AP");
}

double
dd_model_ap_percent (JsonObject *model, const char *kind)
{
  return dd_ap_percent (json_object_get_object_member (model, "scores"), kind);
}

/* "31.4", or "-" where there was no truth. */
static void
append_ap (GString *s, JsonObject *scores, const char *kind)
{
  double ap = dd_ap_percent (scores, kind);
  if (isnan (ap))
    g_string_append (s, "-");
  else
    g_string_append_printf (s, "%.1f", ap);
}

/* "+1.2 keypoint AP", or "- keypoint AP" where either side had no truth. */
static void
append_difference (GString *s, JsonObject *scores, JsonObject *other, const char *kind,
    const char *what)
{
  double d = dd_ap_percent (scores, kind) - dd_ap_percent (other, kind);
  if (isnan (d))
    g_string_append_printf (s, "- %s", what);
  else
    g_string_append_printf (s, "%+.1f %s", d, what);
}

/* Scores (as rows: "keypoints" and "boxes") minus scores, AP in points. */
static void
difference_line (GString *s, JsonObject *student, const char *name, JsonObject *other)
{
  g_string_append_printf (s, "student - %s: ", name);
  append_difference (s, student, other, "keypoints", "keypoint AP");
  g_string_append (s, ", ");
  append_difference (s, student, other, "boxes", "box AP");
  g_string_append (s, "\n");
}

static void
labels_line (GString *s, JsonObject *round)
{
  JsonObject *l = json_object_get_object_member (round, "labels");
  g_string_append_printf (s, "automatic labels, round %" G_GINT64_FORMAT ": %"
      G_GINT64_FORMAT " on %" G_GINT64_FORMAT " images (%.2f per image)",
      json_object_get_int_member (round, "round"),
      json_object_get_int_member (l, "labels"), json_object_get_int_member (l, "images"),
      json_object_get_double_member (l, "labels_per_image"));
  JsonNode *truth = json_object_get_member (l, "scores_vs_truth");
  if (truth && JSON_NODE_HOLDS_OBJECT (truth)) {
    JsonObject *t = json_node_get_object (truth);
    /* The keypoints count matching dropped are written at 0, 0 (COCO's
     * unlabelled), which OKS scores as misses: this is the labels as the
     * student sees them, below the kept keypoints' own precision. */
    g_string_append (s, "; against the truth: keypoint AP ");
    append_ap (s, t, "keypoints");
    g_string_append (s, " (dropped keypoints as misses), box AP ");
    append_ap (s, t, "boxes");
  }
  g_string_append (s, "\n");
}

char *
dd_distill_table_text (JsonObject *results)
{
  GString *s = g_string_new (NULL);
  JsonObject *spec = json_object_get_object_member (results, "spec");
  g_string_append_printf (s, "\nData distillation, experiment %s: model %s, "
      "benchmark %s; %" G_GINT64_FORMAT " labeled images, %" G_GINT64_FORMAT
      " unlabeled, evaluated on %" G_GINT64_FORMAT " (%s)\n\n",
      json_object_get_string_member (results, "experiment"),
      json_object_get_string_member (spec, "model"),
      json_object_get_string_member (spec, "benchmark"),
      json_object_get_int_member (results, "labeled_images"),
      json_object_get_int_member (results, "unlabeled_images"),
      json_object_get_int_member (results, "val_images"),
      json_object_get_string_member (spec, "val"));
  JsonArray *rows = json_object_get_array_member (results, "table");
  /* The names' column fits the longest (later rounds' names are longer). */
  int width = 52;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    width = MAX (width, (int) strlen (json_object_get_string_member (
                json_array_get_object_element (rows, i), "name")));
  g_string_append_printf (s, "%-*s %20s   %20s\n", width, "", "keypoint AP", "box AP");
  g_string_append_printf (s, "%-*s %6s %6s %6s   %6s %6s %6s\n", width, "", "AP",
      "AP50", "AP75", "AP", "AP50", "AP75");
  static const char *const shown[] = { "AP", "AP50", "AP75" };
  for (guint i = 0; i < json_array_get_length (rows); i++) {
    JsonObject *row = json_array_get_object_element (rows, i);
    g_string_append_printf (s, "%-*s", width, json_object_get_string_member (row, "name"));
    for (int k = 0; k < 3; k++)
      cell (s, json_object_get_object_member (row, "keypoints"), shown[k]);
    g_string_append (s, "  ");
    for (int k = 0; k < 3; k++)
      cell (s, json_object_get_object_member (row, "boxes"), shown[k]);
    g_string_append (s, "\n");
  }
  JsonArray *rounds = json_object_get_array_member (results, "rounds");
  JsonObject *first = dd_results_first_round (results);
  JsonObject *student = first
      ? scores_of (json_object_get_object_member (first, "student")) : NULL;
  JsonObject *teacher = first
      ? scores_of (json_object_get_object_member (first, "teacher")) : NULL;
  if (student && teacher) {
    /* Each difference names what round 1's student is set against, so
     * that the teacher is not taken for a baseline. */
    g_string_append (s, "\n");
    difference_line (s, student, "teacher", teacher);
    JsonArray *baselines = dd_results_baselines (results);
    for (guint i = 0; baselines && i < json_array_get_length (baselines); i++) {
      JsonObject *b = json_array_get_object_element (baselines, i);
      if (scores_of (b))
        difference_line (s, student, json_object_get_string_member (b, "name"),
            scores_of (b));
    }
  }
  for (guint i = 0; i < json_array_get_length (rounds); i++)
    labels_line (s, json_array_get_object_element (rounds, i));
  return g_string_free (s, FALSE);
}
