/* `ddistill eval GT.json DT.json --iou-type bbox|keypoints [--json]
 * [--per-category]`: COCO AP/AR of detections against ground truth, as
 * pycocotools prints it, or as one JSON object. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "eval/eval.h"

static const char summary[] =
    "Reads GT.json (a COCO dataset) and DT.json (pycocotools' results: an array of\n"
    "{image_id, category_id, bbox or keypoints, score}) and prints COCO AP and AR\n"
    "as pycocotools' COCOeval.summarize() does: 12 lines for boxes, 10 for keypoints.\n"
    "With --json: one object with AP, AP50, AP75, APs, APm, APl, AR, AR50, AR75,\n"
    "ARs, ARm, ARl (APs and ARs for boxes only; AR at maxDets 100 for boxes, 20\n"
    "for keypoints). Exit status: 0 done, 1 bad input (reported), 2 bad usage.";

static int
usage_error (GOptionContext *ctx, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fprintf (stderr, "ddistill eval: %s\n\n%s", message, help);
  return 2;
}

static int
evaluate (const char *gt_path, const char *dt_path, dd_eval_iou_type type,
    gboolean json, gboolean per_category)
{
  g_autoptr (GError) error = NULL;
  dd_coco_dataset *gt = dd_coco_read (gt_path, &error);
  dd_coco_dataset *dt = gt ? dd_coco_read_results (dt_path, &error) : NULL;
  dd_eval_result *r = NULL;
  if (dt && dd_coco_check_results (gt, dt, dt_path, &error)) {
    r = dd_eval_run (gt, dt, type, &error);
    if (!r)
      g_prefix_error (&error, "%s against %s: ", dt_path, gt_path);
  }
  if (r && json) {
    g_autofree char *text = dd_eval_to_json (r, per_category);
    printf ("%s\n", text);
  } else if (r) {
    dd_eval_print_table (r, -1, stdout);
    if (per_category) {
      printf ("\nper category:\n");
      dd_eval_print_categories (r, stdout);
    }
  }
  if (!r)
    fprintf (stderr, "ddistill eval: %s\n", error->message);
  dd_eval_result_free (r);
  dd_coco_dataset_free (dt);
  dd_coco_dataset_free (gt);
  return r ? 0 : 1;
}

int
dd_cmd_eval (int argc, char **argv)
{
  g_autofree char *iou_type = NULL;
  gboolean json = FALSE, per_category = FALSE;
  GOptionEntry entries[] = {
    { "iou-type", 0, 0, G_OPTION_ARG_STRING, &iou_type,
      "What to match: bbox (boxes, IoU) or keypoints (OKS)", "TYPE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { "per-category", 0, 0, G_OPTION_ARG_NONE, &per_category,
      "Add the metrics of each category", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("GT.json DT.json");
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("ddistill eval");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage_error (ctx, error->message);
  if (argc != 3)
    return usage_error (ctx, "expected two files: the ground truth and the detections");
  if (!iou_type)
    return usage_error (ctx, "--iou-type is required: bbox or keypoints");
  dd_eval_iou_type type;
  if (strcmp (iou_type, "bbox") == 0)
    type = DD_EVAL_BBOX;
  else if (strcmp (iou_type, "keypoints") == 0)
    type = DD_EVAL_KEYPOINTS;
  else
    return usage_error (ctx, "--iou-type must be bbox or keypoints");
  return evaluate (argv[1], argv[2], type, json, per_category);
}
