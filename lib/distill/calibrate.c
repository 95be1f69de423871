#include "distill/calibrate.h"

#include <math.h>
#include <stdlib.h>

#include "distill/distill_error.h"

struct dd_calibrator {
  int n_classes, n_keypoints;
  int64_t n_images;
  GArray *classes;              /* int: each candidate's class */
  GArray *scores;               /* float: each candidate's score */
  GArray *keypoint_scores;      /* float: n_keypoints per candidate */
};

dd_calibrator *
dd_calibrator_new (int n_classes, int n_keypoints)
{
  dd_calibrator *c = g_new0 (dd_calibrator, 1);
  c->n_classes = n_classes;
  c->n_keypoints = n_keypoints;
  c->classes = g_array_new (FALSE, FALSE, sizeof (int));
  c->scores = g_array_new (FALSE, FALSE, sizeof (float));
  c->keypoint_scores = g_array_new (FALSE, FALSE, sizeof (float));
  return c;
}

void
dd_calibrator_free (dd_calibrator *c)
{
  if (c == NULL)
    return;
  g_array_unref (c->classes);
  g_array_unref (c->scores);
  g_array_unref (c->keypoint_scores);
  g_free (c);
}

gboolean
dd_calibrator_add_image (dd_calibrator *c, const dd_detection *dets, int n,
    GError **error)
{
  for (int i = 0; i < n; i++) {
    const dd_detection *d = &dets[i];
    if (d->class_index < 0 || d->class_index >= c->n_classes
        || (d->n_keypoints != c->n_keypoints && d->n_keypoints != 0)) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
          "calibration image %" G_GINT64_FORMAT ", candidate %d: class %d with %d "
          "keypoints, but the network has %d classes and %d keypoints",
          c->n_images, i, d->class_index, d->n_keypoints, c->n_classes,
          c->n_keypoints);
      return FALSE;
    }
    if (!isfinite (d->score)) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
          "calibration image %" G_GINT64_FORMAT ", candidate %d: score %g is not "
          "a number; the teacher's outputs are broken", c->n_images, i, d->score);
      return FALSE;
    }
  }
  for (int i = 0; i < n; i++) {
    const dd_detection *d = &dets[i];
    g_array_append_val (c->classes, d->class_index);
    g_array_append_val (c->scores, d->score);
    for (int k = 0; k < c->n_keypoints; k++) {
      /* A candidate without keypoints (or with a broken score) never labels
       * one: -infinity marks it. */
      float s = d->n_keypoints && isfinite (d->keypoints[k].score)
          ? d->keypoints[k].score : -INFINITY;
      g_array_append_val (c->keypoint_scores, s);
    }
  }
  c->n_images++;
  return TRUE;
}

int64_t
dd_calibrator_n_images (const dd_calibrator *c)
{
  return c->n_images;
}

int64_t
dd_calibrator_n_candidates (const dd_calibrator *c)
{
  return c->scores->len;
}

static int
float_desc (const void *pa, const void *pb)
{
  float a = *(const float *) pa, b = *(const float *) pb;
  return (a < b) - (a > b);
}

/* The threshold that keeps `target` of the values (the target-th largest),
 * all of them when there are fewer, none (infinity) for a target of 0. */
static double
threshold_for (float *values, int64_t n, int64_t target)
{
  if (target <= 0 || n == 0)
    return INFINITY;
  qsort (values, n, sizeof *values, float_desc);
  return values[MIN (target, n) - 1];
}

static double
round_count (double mean, int64_t n_images)
{
  return floor (mean * n_images + 0.5);
}

gboolean
dd_calibrator_finish (dd_calibrator *c, const dd_labeled_stats *labeled,
    dd_thresholds *out, GError **error)
{
  if (labeled->n_classes != c->n_classes) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "calibration: the labeled statistics have %d classes, the network %d",
        labeled->n_classes, c->n_classes);
    return FALSE;
  }
  if (c->n_images == 0) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "calibration: no unlabeled image was added, so there is no count to match");
    return FALSE;
  }
  int64_t n = c->scores->len;
  const int *cls = (const int *) c->classes->data;
  const float *score = (const float *) c->scores->data;
  float *buf = g_new (float, MAX (n, 1) * (int64_t) MAX (c->n_keypoints, 1));
  dd_thresholds t = {
    .n_classes = c->n_classes,
    .classes = g_new0 (dd_class_threshold, MAX (c->n_classes, 1)),
    .labeled_images = labeled->n_images,
    .unlabeled_images = c->n_images,
    .keypoint_labeled_mean = labeled->mean_keypoints,
  };
  for (int k = 0; k < c->n_classes; k++) {
    dd_class_threshold *ct = &t.classes[k];
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
      if (cls[i] == k)
        buf[m++] = score[i];
    ct->name = g_strdup (labeled->class_names[k]);
    ct->labeled_mean = labeled->mean_instances[k];
    ct->candidates = m;
    ct->score = threshold_for (buf, m, (int64_t) round_count (ct->labeled_mean,
            c->n_images));
    int64_t kept = 0;
    for (int64_t i = 0; i < m; i++)
      kept += buf[i] >= ct->score;
    ct->selected_mean = (double) kept / c->n_images;
  }
  /* The keypoints of the selected instances of keypoint classes. */
  int64_t n_instances = 0, m = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!labeled->has_keypoints[cls[i]] || score[i] < t.classes[cls[i]].score)
      continue;
    n_instances++;
    for (int kp = 0; kp < c->n_keypoints; kp++) {
      float v = g_array_index (c->keypoint_scores, float, i * c->n_keypoints + kp);
      if (v != -INFINITY)
        buf[m++] = v;
    }
  }
  t.keypoint_score = threshold_for (buf, m, (int64_t) round_count (
          labeled->mean_keypoints, n_instances));
  int64_t visible = 0;
  for (int64_t i = 0; i < m; i++)
    visible += buf[i] >= t.keypoint_score;
  t.keypoint_selected_mean = n_instances ? (double) visible / n_instances : 0.0;
  g_free (buf);
  *out = t;
  return TRUE;
}
