/* The text of `ddistill distill`'s table (tools/distill_report.h): round
 * 1's student set against the teacher and each baseline by name, the
 * differences in AP points. */
#include <string.h>

#include "check.h"
#include "distill_report.h"

/* One round (teacher, test-time transforms, student) and two baselines,
 * the second without scores (its run failed before scoring). */
static const char results_json[] =
  "{\"experiment\": \"x\", \"labeled_images\": 10, \"unlabeled_images\": 20,"
  " \"val_images\": 5,"
  " \"spec\": {\"model\": \"tiny\", \"benchmark\": \"test\", \"val\": \"val\","
  "   \"labeled\": \"labeled-35\", \"unlabeled\": \"labeled-80\"},"
  " \"rounds\": [{\"round\": 1,"
  "   \"teacher\": {\"scores\": {\"keypoints\": {\"AP\": 0.31, \"AP50\": 0.7, \"AP75\": 0.2},"
  "     \"boxes\": {\"AP\": 0.48, \"AP50\": 0.8, \"AP75\": 0.5}}},"
  "   \"teacher_tta\": {\"keypoints\": {\"AP\": 0.32, \"AP50\": 0.7, \"AP75\": 0.2},"
  "     \"boxes\": {\"AP\": 0.5, \"AP50\": 0.8, \"AP75\": 0.5}},"
  "   \"student\": {\"scores\": {\"keypoints\": {\"AP\": 0.30, \"AP50\": 0.7, \"AP75\": 0.2},"
  "     \"boxes\": {\"AP\": 0.49, \"AP50\": 0.8, \"AP75\": 0.5}}},"
  "   \"labels\": {\"labels\": 40, \"images\": 20, \"labels_per_image\": 2.0}}],"
  " \"baselines\": [{\"name\": \"supervised, labeled-35, student's schedule\","
  "   \"scores\": {\"keypoints\": {\"AP\": 0.325, \"AP50\": 0.7, \"AP75\": 0.2},"
  "     \"boxes\": {\"AP\": 0.47, \"AP50\": 0.8, \"AP75\": 0.5}}},"
  "  {\"name\": \"never scored\"}]}";

static void
test_differences_named (void)
{
  JsonParser *parser = json_parser_new ();
  CHECK (json_parser_load_from_data (parser, results_json, -1, NULL));
  JsonObject *results = json_node_get_object (json_parser_get_root (parser));
  json_object_set_member (results, "table", dd_distill_table (results));
  char *text = dd_distill_table_text (results);
  CHECK (strstr (text, "\nstudent - teacher: -1.0 keypoint AP, +1.0 box AP\n"));
  CHECK (strstr (text, "\nstudent - supervised, labeled-35, student's schedule: "
          "-2.5 keypoint AP, +2.0 box AP\n"));
  CHECK (!strstr (text, "never scored"));
  /* After the rows, before the labels' line. */
  CHECK (strstr (text, "student - teacher") > strstr (text, "data distillation: "));
  CHECK (strstr (text, "automatic labels, round 1") > strstr (text, "student - supervised"));
  if (check_failures)
    fprintf (stderr, "%s", text);
  g_free (text);
  g_object_unref (parser);
}

/* COCO's -1 (no truth of that kind in the images) is no score: the
 * difference is "-", not 101 points, and a plot leaves the point out. */
static void
test_no_truth_is_no_score (void)
{
  JsonParser *parser = json_parser_new ();
  CHECK (json_parser_load_from_data (parser, results_json, -1, NULL));
  JsonObject *results = json_node_get_object (json_parser_get_root (parser));
  JsonObject *round = dd_results_first_round (results);
  JsonObject *scores = json_object_get_object_member (json_object_get_object_member (
          round, "student"), "scores");
  json_object_set_double_member (json_object_get_object_member (scores, "boxes"), "AP",
      -1);
  CHECK (isnan (dd_ap_percent (scores, "boxes")));
  CHECK_CLOSE (dd_ap_percent (scores, "keypoints"), 30, 1e-9, 0);
  JsonParser *truth = json_parser_new ();
  CHECK (json_parser_load_from_data (truth, "{\"keypoints\": {\"AP\": 0.25}, "
          "\"boxes\": {\"AP\": -1}}", -1, NULL));
  json_object_set_member (json_object_get_object_member (round, "labels"),
      "scores_vs_truth", json_node_copy (json_parser_get_root (truth)));
  g_object_unref (truth);
  json_object_set_member (results, "table", dd_distill_table (results));
  char *text = dd_distill_table_text (results);
  CHECK (strstr (text, "\nstudent - teacher: -1.0 keypoint AP, - box AP\n"));
  CHECK (strstr (text, "against the truth: keypoint AP 25.0 (dropped keypoints as "
          "misses), box AP -\n"));
  if (check_failures)
    fprintf (stderr, "%s", text);
  g_free (text);
  g_object_unref (parser);
}

int
main (void)
{
  RUN_TEST (test_differences_named);
  RUN_TEST (test_no_truth_is_no_score);
  return check_exit_status ();
}
