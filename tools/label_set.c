#include "label_set.h"

#include <string.h>

#include "distill/calibrate.h"
#include "distill/distill_error.h"
#include "model/detection.h"
#include "model_scores.h"
#include "predict_set.h"

struct dd_labeler {
  char **classes;
  int n_classes;
  const dd_coco_dataset *labeled, *corpus;
  dd_labeled_stats stats;
  dd_calibrator *calibrator;
  /* Every image's candidates, kept whole: the thresholds are known only
   * once the whole corpus was seen. */
  GPtrArray *candidates;        /* GArray of dd_detection per image, NULL: not yet */
  gint64 start_us;
};

/* A run stopped before every image came leaves some NULL. */
static void
free_candidates (gpointer dets)
{
  if (dets)
    g_array_unref (dets);
}

dd_labeler *
dd_labeler_new (const char *const *classes, int n_classes, int n_keypoints,
    const dd_coco_dataset *labeled, const dd_coco_dataset *corpus, GError **error)
{
  /* Found now, not when the labels are written after the whole corpus. */
  for (guint i = 0; i < labeled->categories->len; i++) {
    const dd_coco_category *c = &g_array_index (labeled->categories, dd_coco_category, i);
    if (c->n_keypoints > 0 && c->n_keypoints != n_keypoints
        && g_strv_contains (classes, c->name)) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
          "the labeled set's category '%s' has %d keypoints, the model's %d: calibrate "
          "with a set labelled with the model's skeleton", c->name, c->n_keypoints,
          n_keypoints);
      return NULL;
    }
  }
  dd_labeler *l = g_new0 (dd_labeler, 1);
  if (!dd_labeled_stats_from_coco (labeled, classes, n_classes, &l->stats, error)) {
    g_free (l);
    return NULL;
  }
  l->classes = g_strdupv ((char **) classes);
  l->n_classes = n_classes;
  l->labeled = labeled;
  l->corpus = corpus;
  l->calibrator = dd_calibrator_new (n_classes, n_keypoints);
  l->candidates = g_ptr_array_new_with_free_func (free_candidates);
  g_ptr_array_set_size (l->candidates, (gint) corpus->images->len);
  l->start_us = g_get_monotonic_time ();
  return l;
}

void
dd_labeler_free (dd_labeler *l)
{
  if (!l)
    return;
  dd_calibrator_free (l->calibrator);
  g_ptr_array_unref (l->candidates);
  dd_labeled_stats_clear (&l->stats);
  g_strfreev (l->classes);
  g_free (l);
}

gboolean
dd_labeler_add (guint i, const GArray *dets, void *labeler, GError **error)
{
  dd_labeler *l = labeler;
  if (i >= l->candidates->len || g_ptr_array_index (l->candidates, i)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "image %u of the corpus "
        "came twice (or does not exist): each must be labelled once", i);
    return FALSE;
  }
  if (!dd_calibrator_add_image (l->calibrator, (const dd_detection *) dets->data,
          (int) dets->len, error))
    return FALSE;
  GArray *copy = g_array_sized_new (FALSE, FALSE, sizeof (dd_detection), dets->len);
  g_array_append_vals (copy, dets->data, dets->len);
  l->candidates->pdata[i] = copy;
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
describe (const char *transforms, const char *rules, const dd_thresholds *t,
    JsonNode *provenance)
{
  JsonNode *n = provenance && JSON_NODE_HOLDS_OBJECT (provenance)
      ? json_node_copy (provenance) : json_node_init_object (json_node_alloc (),
      json_object_new ());
  JsonObject *o = json_node_get_object (n);
  json_object_set_string_member (o, "method", "data distillation: test-time "
      "transforms, ensemble, count-matched thresholds");
  json_object_set_string_member (o, "transforms", transforms);
  json_object_set_string_member (o, "ensemble", rules);
  json_object_set_member (o, "thresholds", dd_thresholds_to_json (t));
  return n;
}

/* The selected labels of every image, as a COCO dataset. */
static dd_coco_dataset *
select_labels (const dd_labeler *l, const dd_thresholds *t, int64_t *n_labels)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  for (guint j = 0; j < l->labeled->categories->len; j++)
    dd_coco_add_category (ds, &g_array_index (l->labeled->categories,
            dd_coco_category, j));
  *n_labels = 0;
  for (guint i = 0; i < l->corpus->images->len; i++) {
    const dd_coco_image *im = &g_array_index (l->corpus->images, dd_coco_image, i);
    dd_coco_add_image (ds, im);
    GArray *dets = g_ptr_array_index (l->candidates, i);
    for (guint j = 0; j < dets->len; j++) {
      const dd_detection *d = &g_array_index (dets, dd_detection, j);
      if (!dd_thresholds_keep (t, d))
        continue;
      int category = category_of (l->labeled, l->classes[d->class_index]);
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
dd_labeler_finish (dd_labeler *l, const char *transforms, const char *rules,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error)
{
  memset (outcome, 0, sizeof *outcome);
  for (guint i = 0; i < l->candidates->len; i++)
    if (!g_ptr_array_index (l->candidates, i)) {
      const dd_coco_image *im = &g_array_index (l->corpus->images, dd_coco_image, i);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "image %" G_GINT64_FORMAT
          " (%s) was never labelled: the labeling stopped early", im->id, im->file_name);
      return FALSE;
    }
  if (!dd_calibrator_finish (l->calibrator, &l->stats, &outcome->thresholds, error))
    return FALSE;
  outcome->images = dd_calibrator_n_images (l->calibrator);
  outcome->candidates = dd_calibrator_n_candidates (l->calibrator);
  dd_coco_dataset *ds = select_labels (l, &outcome->thresholds, &outcome->labels);
  ds->provenance = describe (transforms, rules, &outcome->thresholds, provenance);
  gboolean ok = dd_coco_write (ds, out_json, error);
  dd_coco_dataset_free (ds);
  outcome->seconds = (g_get_monotonic_time () - l->start_us) / 1e6;
  if (!ok)
    dd_thresholds_clear (&outcome->thresholds);
  return ok;
}

gboolean
dd_label_set (dd_tta_predictor *teacher, const char *ensemble_rules,
    const dd_coco_dataset *corpus, const dd_coco_dataset *labeled,
    JsonNode *provenance, const char *out_json, dd_label_outcome *outcome,
    GError **error)
{
  memset (outcome, 0, sizeof *outcome);
  int n_classes;
  const char *const *classes = dd_tta_predictor_classes (teacher, &n_classes);
  dd_labeler *l = dd_labeler_new (classes, n_classes,
      dd_tta_predictor_n_keypoints (teacher), labeled, corpus, error);
  gboolean ok = l && dd_predict_set (teacher, corpus, "labels", dd_labeler_add, l, error)
      && dd_labeler_finish (l, dd_tta_predictor_transform_names (teacher),
      ensemble_rules, provenance, out_json, outcome, error);
  dd_labeler_free (l);
  return ok;
}
