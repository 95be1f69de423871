#include "model_scores.h"

#include <string.h>

#include "eval/eval.h"
#include "predict_set.h"

const char *const dd_score_names[DD_N_SCORES] = { "AP", "AP50", "AP75", "APm", "APl" };

void
dd_detection_to_annotation (const dd_detection *d, int category_id,
    double keypoint_score, gboolean drop_weak, dd_coco_annotation *a)
{
  double w = d->box[2] - d->box[0], h = d->box[3] - d->box[1];
  *a = (dd_coco_annotation) {
    .category_id = category_id,
    .bbox = { d->box[0], d->box[1], MAX (w, 0), MAX (h, 0) },
    .area = MAX (w, 0) * MAX (h, 0),
    .n_keypoints = d->n_keypoints,
    .keypoints = d->n_keypoints ? g_new0 (float, 3 * d->n_keypoints) : NULL,
    .has_score = TRUE,
    .score = d->score,
  };
  for (int k = 0; k < d->n_keypoints; k++) {
    const dd_keypoint *kp = &d->keypoints[k];
    gboolean strong = kp->score >= keypoint_score;
    if (!strong && drop_weak)
      continue;
    a->keypoints[3 * k] = kp->x;
    a->keypoints[3 * k + 1] = kp->y;
    a->keypoints[3 * k + 2] = strong ? 2 : 1;
    a->num_keypoints++;
  }
}

/* The ground truth's category id of each of the model's classes (-1: the
 * truth has no such category, so its detections are not scored). */
static int *
category_ids (const dd_coco_dataset *gt, const dd_tta_predictor *p, int *n)
{
  const char *const *classes = dd_tta_predictor_classes (p, n);
  int *ids = g_new (int, MAX (*n, 1));
  for (int c = 0; c < *n; c++) {
    ids[c] = -1;
    for (guint j = 0; j < gt->categories->len; j++) {
      const dd_coco_category *cat = &g_array_index (gt->categories, dd_coco_category, j);
      if (strcmp (cat->name, classes[c]) == 0)
        ids[c] = cat->id;
    }
  }
  return ids;
}

typedef struct {
  const dd_coco_dataset *gt;
  dd_coco_dataset *dt;
  int *category_of_class;
  int n_classes;
} collect;

static gboolean
add_detections (guint i, const GArray *dets, void *user, GError **error)
{
  (void) error;
  collect *c = user;
  int64_t image_id = g_array_index (c->gt->images, dd_coco_image, i).id;
  for (guint j = 0; j < dets->len; j++) {
    const dd_detection *d = &g_array_index (dets, dd_detection, j);
    if (d->class_index < 0 || d->class_index >= c->n_classes
        || c->category_of_class[d->class_index] < 0 || d->score < DD_SCORE_THRESHOLD)
      continue;
    dd_coco_annotation a;
    /* The decoder's keypoint threshold: v = 2 where a heatmap peak placed
     * the keypoint (OKS reads the positions only). */
    dd_detection_to_annotation (d, c->category_of_class[d->class_index], 0.1, FALSE, &a);
    a.id = (int64_t) c->dt->annotations->len + 1;
    a.image_id = image_id;
    dd_coco_add_annotation (c->dt, &a);
    g_free (a.keypoints);
  }
  return TRUE;
}

static void
summarize (const dd_eval_result *r, int max_dets, double *out)
{
  out[DD_SCORE_AP] = dd_eval_summarize (r, TRUE, -1, "all", max_dets, -1);
  out[DD_SCORE_AP50] = dd_eval_summarize (r, TRUE, 0.5, "all", max_dets, -1);
  out[DD_SCORE_AP75] = dd_eval_summarize (r, TRUE, 0.75, "all", max_dets, -1);
  out[DD_SCORE_APM] = dd_eval_summarize (r, TRUE, -1, "medium", max_dets, -1);
  out[DD_SCORE_APL] = dd_eval_summarize (r, TRUE, -1, "large", max_dets, -1);
}

gboolean
dd_model_scores_of_labels (const dd_coco_dataset *gt, const dd_coco_dataset *labels,
    dd_model_scores *out, GError **error)
{
  out->detections = labels->annotations->len;
  dd_eval_result *kp = dd_eval_run (gt, labels, DD_EVAL_KEYPOINTS, error);
  if (!kp)
    return FALSE;
  summarize (kp, 20, out->keypoints);
  dd_eval_result_free (kp);
  dd_eval_result *box = dd_eval_run (gt, labels, DD_EVAL_BBOX, error);
  if (!box)
    return FALSE;
  summarize (box, 100, out->boxes);
  dd_eval_result_free (box);
  return TRUE;
}

gboolean
dd_model_scores_measure (dd_tta_predictor *p, const dd_coco_dataset *gt,
    const char *title, dd_model_scores *out, GError **error)
{
  collect c = { .gt = gt, .dt = dd_coco_dataset_new () };
  c.category_of_class = category_ids (gt, p, &c.n_classes);
  gboolean ok = dd_predict_set (p, gt, title, add_detections, &c, error)
      && dd_model_scores_of_labels (gt, c.dt, out, error);
  g_free (c.category_of_class);
  dd_coco_dataset_free (c.dt);
  return ok;
}

static JsonNode *
scores_object (const double *v)
{
  JsonObject *o = json_object_new ();
  for (int i = 0; i < DD_N_SCORES; i++)
    json_object_set_double_member (o, dd_score_names[i], v[i]);
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  return n;
}

JsonNode *
dd_model_scores_to_json (const dd_model_scores *s)
{
  JsonObject *o = json_object_new ();
  json_object_set_member (o, "keypoints", scores_object (s->keypoints));
  json_object_set_member (o, "boxes", scores_object (s->boxes));
  json_object_set_int_member (o, "detections", s->detections);
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  return n;
}
