#include "label_set.h"

#include <string.h>

#include "distill/calibrate.h"
#include "model/detection.h"
#include "model_scores.h"
#include "predict_set.h"

/* The first pass keeps every image's candidates: the thresholds are known
 * only once the whole corpus was seen. */
typedef struct {
  dd_calibrator *calibrator;
  GPtrArray *candidates;        /* GArray of dd_detection, per image */
} gather;

static gboolean
gather_image (guint i, const GArray *dets, void *user, GError **error)
{
  (void) i;
  gather *g = user;
  if (!dd_calibrator_add_image (g->calibrator, (const dd_detection *) dets->data,
          (int) dets->len, error))
    return FALSE;
  GArray *copy = g_array_sized_new (FALSE, FALSE, sizeof (dd_detection), dets->len);
  g_array_append_vals (copy, dets->data, dets->len);
  g_ptr_array_add (g->candidates, copy);
  return TRUE;
}

static int
category_of (const dd_coco_dataset *labeled, const char *name)
{
  for (guint j = 0; j < labeled->categories->len; j++) {
    const dd_coco_category *c = &g_array_index (labeled->categories, dd_coco_category, j);
    if (strcmp (c->name, name) == 0)
      return c->id;
  }
  return -1;
}

static JsonNode *
describe (dd_tta_predictor *teacher, const char *rules, const dd_thresholds *t,
    JsonNode *provenance)
{
  JsonNode *n = provenance && JSON_NODE_HOLDS_OBJECT (provenance)
      ? json_node_copy (provenance) : json_node_init_object (json_node_alloc (),
      json_object_new ());
  JsonObject *o = json_node_get_object (n);
  json_object_set_string_member (o, "method", "data distillation: test-time "
      "transforms, ensemble, count-matched thresholds");
  json_object_set_string_member (o, "transforms",
      dd_tta_predictor_transform_names (teacher));
  json_object_set_string_member (o, "ensemble", rules);
  json_object_set_member (o, "thresholds", dd_thresholds_to_json (t));
  return n;
}

/* The selected labels of every image, as a COCO dataset. */
static dd_coco_dataset *
select_labels (dd_tta_predictor *teacher, const dd_coco_dataset *corpus,
    const dd_coco_dataset *labeled, GPtrArray *candidates, const dd_thresholds *t,
    int64_t *n_labels)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  for (guint j = 0; j < labeled->categories->len; j++)
    dd_coco_add_category (ds, &g_array_index (labeled->categories, dd_coco_category, j));
  int n_classes;
  const char *const *classes = dd_tta_predictor_classes (teacher, &n_classes);
  *n_labels = 0;
  for (guint i = 0; i < corpus->images->len; i++) {
    const dd_coco_image *im = &g_array_index (corpus->images, dd_coco_image, i);
    dd_coco_add_image (ds, im);
    GArray *dets = g_ptr_array_index (candidates, i);
    for (guint j = 0; j < dets->len; j++) {
      const dd_detection *d = &g_array_index (dets, dd_detection, j);
      if (!dd_thresholds_keep (t, d))
        continue;
      int category = category_of (labeled, classes[d->class_index]);
      if (category < 0)
        continue;
      dd_coco_annotation a;
      dd_detection_to_annotation (d, category, t->keypoint_score, TRUE, &a);
      a.id = ++*n_labels;
      a.image_id = im->id;
      dd_coco_add_annotation (ds, &a);
      g_free (a.keypoints);
    }
  }
  return ds;
}

gboolean
dd_label_set (dd_tta_predictor *teacher, const char *ensemble_rules,
    const dd_coco_dataset *corpus, const dd_coco_dataset *labeled,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error)
{
  memset (outcome, 0, sizeof *outcome);
  gint64 start = g_get_monotonic_time ();
  int n_classes;
  const char *const *classes = dd_tta_predictor_classes (teacher, &n_classes);
  dd_labeled_stats stats;
  if (!dd_labeled_stats_from_coco (labeled, classes, n_classes, &stats, error))
    return FALSE;
  gather g = {
    .calibrator = dd_calibrator_new (n_classes, dd_tta_predictor_n_keypoints (teacher)),
    .candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref),
  };
  gboolean ok = dd_predict_set (teacher, corpus, "labels", gather_image, &g, error)
      && dd_calibrator_finish (g.calibrator, &stats, &outcome->thresholds, error);
  if (ok) {
    outcome->images = dd_calibrator_n_images (g.calibrator);
    outcome->candidates = dd_calibrator_n_candidates (g.calibrator);
    dd_coco_dataset *ds = select_labels (teacher, corpus, labeled, g.candidates,
        &outcome->thresholds, &outcome->labels);
    ds->provenance = describe (teacher, ensemble_rules, &outcome->thresholds,
        provenance);
    ok = dd_coco_write (ds, out_json, error);
    dd_coco_dataset_free (ds);
  }
  dd_calibrator_free (g.calibrator);
  g_ptr_array_unref (g.candidates);
  dd_labeled_stats_clear (&stats);
  outcome->seconds = (g_get_monotonic_time () - start) / 1e6;
  return ok;
}
