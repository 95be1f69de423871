/* COCOeval.summarize: the standard numbers, as means over the precision and
 * recall arrays, printed as pycocotools prints them, or as JSON. */
#include "eval/eval_private.h"

#include "data/coco_private.h"

static const dd_eval_metric box_table[] = {
  { "AP", TRUE, -1, "all", 100 },
  { "AP50", TRUE, .5, "all", 100 },
  { "AP75", TRUE, .75, "all", 100 },
  { "APs", TRUE, -1, "small", 100 },
  { "APm", TRUE, -1, "medium", 100 },
  { "APl", TRUE, -1, "large", 100 },
  { "AR1", FALSE, -1, "all", 1 },
  { "AR10", FALSE, -1, "all", 10 },
  { "AR100", FALSE, -1, "all", 100 },
  { "ARs", FALSE, -1, "small", 100 },
  { "ARm", FALSE, -1, "medium", 100 },
  { "ARl", FALSE, -1, "large", 100 },
};

static const dd_eval_metric box_named[] = {
  { "AP", TRUE, -1, "all", 100 },
  { "AP50", TRUE, .5, "all", 100 },
  { "AP75", TRUE, .75, "all", 100 },
  { "APs", TRUE, -1, "small", 100 },
  { "APm", TRUE, -1, "medium", 100 },
  { "APl", TRUE, -1, "large", 100 },
  { "AR", FALSE, -1, "all", 100 },
  { "AR50", FALSE, .5, "all", 100 },
  { "AR75", FALSE, .75, "all", 100 },
  { "ARs", FALSE, -1, "small", 100 },
  { "ARm", FALSE, -1, "medium", 100 },
  { "ARl", FALSE, -1, "large", 100 },
};

/* For keypoints the table and the named set are the same ten. */
static const dd_eval_metric keypoint_metrics[] = {
  { "AP", TRUE, -1, "all", 20 },
  { "AP50", TRUE, .5, "all", 20 },
  { "AP75", TRUE, .75, "all", 20 },
  { "APm", TRUE, -1, "medium", 20 },
  { "APl", TRUE, -1, "large", 20 },
  { "AR", FALSE, -1, "all", 20 },
  { "AR50", FALSE, .5, "all", 20 },
  { "AR75", FALSE, .75, "all", 20 },
  { "ARm", FALSE, -1, "medium", 20 },
  { "ARl", FALSE, -1, "large", 20 },
};

int
dd_eval_table_metrics (dd_eval_iou_type type, const dd_eval_metric **metrics)
{
  *metrics = type == DD_EVAL_BBOX ? box_table : keypoint_metrics;
  return type == DD_EVAL_BBOX ? (int) G_N_ELEMENTS (box_table)
      : (int) G_N_ELEMENTS (keypoint_metrics);
}

int
dd_eval_named_metrics (dd_eval_iou_type type, const dd_eval_metric **metrics)
{
  *metrics = type == DD_EVAL_BBOX ? box_named : keypoint_metrics;
  return type == DD_EVAL_BBOX ? (int) G_N_ELEMENTS (box_named)
      : (int) G_N_ELEMENTS (keypoint_metrics);
}

/* Adds the entries > -1 of one (t, a, m) to the running mean. */
static void
add_entries (const dd_eval_result *r, gboolean ap, int t, int a, int m, int category,
    double *sum, gsize *n)
{
  int k0 = category < 0 ? 0 : category;
  int k1 = category < 0 ? r->n_categories : category + 1;
  int n_rec = ap ? DD_EVAL_N_RECALL : 1;
  for (int ri = 0; ri < n_rec; ri++)
    for (int k = k0; k < k1; k++) {
      double v = ap ? r->precision[dd_eval_precision_at (r, t, ri, k, a, m)]
          : r->recall[dd_eval_recall_at (r, t, k, a, m)];
      if (v > -1) {
        *sum += v;
        (*n)++;
      }
    }
}

double
dd_eval_summarize (const dd_eval_result *r, gboolean ap, double iou_thr,
    const char *area, int max_dets, int category)
{
  const dd_eval_params *p = &r->params;
  double sum = 0;
  gsize n = 0;
  for (int a = 0; a < p->n_areas; a++)
    for (int m = 0; m < p->n_max_dets; m++)
      for (int t = 0; t < DD_EVAL_N_IOU; t++)
        if (g_str_equal (p->area_labels[a], area) && p->max_dets[m] == max_dets
            && (iou_thr < 0 || p->iou_thrs[t] == iou_thr))
          add_entries (r, ap, t, a, m, category, &sum, &n);
  return n ? sum / n : -1;
}

static double
metric_value (const dd_eval_result *r, const dd_eval_metric *metric, int category)
{
  return dd_eval_summarize (r, metric->ap, metric->iou_thr, metric->area,
      metric->max_dets, category);
}

void
dd_eval_print_table (const dd_eval_result *r, int category, FILE *out)
{
  const dd_eval_metric *metrics;
  int n = dd_eval_table_metrics (r->params.iou_type, &metrics);
  for (int i = 0; i < n; i++) {
    const dd_eval_metric *mt = &metrics[i];
    char iou[16];
    if (mt->iou_thr < 0)
      g_snprintf (iou, sizeof iou, "%0.2f:%0.2f", r->params.iou_thrs[0],
          r->params.iou_thrs[DD_EVAL_N_IOU - 1]);
    else
      g_snprintf (iou, sizeof iou, "%0.2f", mt->iou_thr);
    fprintf (out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
        mt->ap ? "Average Precision" : "Average Recall", mt->ap ? "(AP)" : "(AR)", iou,
        mt->area, mt->max_dets, metric_value (r, mt, category));
  }
}

void
dd_eval_print_categories (const dd_eval_result *r, FILE *out)
{
  const dd_eval_metric *metrics;
  int n = dd_eval_named_metrics (r->params.iou_type, &metrics);
  fprintf (out, "%8s %-16s", "id", "category");
  for (int i = 0; i < n; i++)
    fprintf (out, " %6s", metrics[i].name);
  fputc ('\n', out);
  for (int k = 0; k < r->n_categories; k++) {
    fprintf (out, "%8d %-16s", r->category_ids[k], r->category_names[k]);
    for (int i = 0; i < n; i++)
      fprintf (out, " %6.3f", metric_value (r, &metrics[i], k));
    fputc ('\n', out);
  }
}

static void
append_metrics (GString *s, const dd_eval_result *r, int category)
{
  const dd_eval_metric *metrics;
  int n = dd_eval_named_metrics (r->params.iou_type, &metrics);
  for (int i = 0; i < n; i++) {
    g_string_append_printf (s, "%s\"%s\": ", i ? ", " : "", metrics[i].name);
    dd_coco_append_double (s, metric_value (r, &metrics[i], category));
  }
}

char *
dd_eval_to_json (const dd_eval_result *r, gboolean per_category)
{
  GString *s = g_string_new ("{");
  append_metrics (s, r, -1);
  if (per_category) {
    g_string_append (s, ", \"per_category\": [");
    for (int k = 0; k < r->n_categories; k++) {
      g_string_append_printf (s, "%s{\"id\": %d, \"name\": ", k ? ", " : "",
          r->category_ids[k]);
      dd_coco_append_string (s, r->category_names[k]);
      g_string_append (s, ", ");
      append_metrics (s, r, k);
      g_string_append_c (s, '}');
    }
    g_string_append_c (s, ']');
  }
  g_string_append (s, "}");
  return g_string_free (s, FALSE);
}
