#include "distill/ensemble.h"

#include <math.h>
#include <string.h>

#include "distill/distill_error.h"
#include "distill/head_maps.h"

void
dd_ensemble_params_init (dd_ensemble_params *p)
{
  *p = (dd_ensemble_params) {
    .boxes = DD_ENSEMBLE_BOXES_IDENTITY,
    .keypoints = DD_ENSEMBLE_KEYPOINTS_AVERAGE,
    .classes = DD_ENSEMBLE_CLASSES_OWN,
    .nms_iou = 0.5,
    .vote = TRUE,
    .vote_iou = 0.8,
    .vote_scoring = DD_VOTE_ID,
    .vote_beta = 1.0,
    .soft_sigma = 0.5,
    .soft_iou = 0.5,
    .soft_min_score = 1e-4,
    .wbf_iou = 0.55,
    .wbf_skip_score = 0.0,
    .decode_max_detections = 100,
    .decode_min_score = 0.0,
    .keypoint_threshold = 0.1,
  };
}

/* Names of each enumeration's values, in value order. */
static const char *const box_names[] = {
  "identity", "nms", "soft-linear", "soft-gaussian", "wbf", "maps", NULL };
static const char *const keypoint_names[] = { "own", "average", "argmax", NULL };
static const char *const class_names[] = { "own", "average", NULL };
static const char *const scoring_names[] = {
  "id", "temp-avg", "avg", "iou-avg", "generalized-avg", "quasi-sum", NULL };
static const char *const switch_names[] = { "off", "on", NULL };

/* A number-valued key: where it lives and its admissible range. */
typedef struct number_key {
  const char *name;
  size_t offset;
  double min, max;
  gboolean min_open;            /* the minimum itself is excluded */
  gboolean integer;             /* an int field, else a double */
} number_key;

#define KEY(name, field, min, max, open, integer) \
  { name, G_STRUCT_OFFSET (dd_ensemble_params, field), min, max, open, integer }

static const number_key number_keys[] = {
  KEY ("nms-iou", nms_iou, 0, 1, TRUE, FALSE),
  KEY ("vote-iou", vote_iou, 0, 1, TRUE, FALSE),
  KEY ("beta", vote_beta, 0, 100, TRUE, FALSE),
  KEY ("sigma", soft_sigma, 0, 100, TRUE, FALSE),
  KEY ("soft-iou", soft_iou, 0, 1, FALSE, FALSE),
  KEY ("soft-min-score", soft_min_score, 0, 1, FALSE, FALSE),
  KEY ("wbf-iou", wbf_iou, 0, 1, FALSE, FALSE),
  KEY ("wbf-skip", wbf_skip_score, 0, 1, FALSE, FALSE),
  KEY ("max-detections", decode_max_detections, 0, 100000, TRUE, TRUE),
  KEY ("min-score", decode_min_score, 0, 1, FALSE, FALSE),
  KEY ("keypoint-threshold", keypoint_threshold, 0, 1, FALSE, FALSE),
};
#undef KEY

static int
find_name (const char *const *names, const char *value)
{
  for (int i = 0; names[i]; i++)
    if (strcmp (names[i], value) == 0)
      return i;
  return -1;
}

static gboolean
set_choice (const char *item, const char *key, const char *value,
    const char *const *names, int *field, GError **error)
{
  int v = find_name (names, value);
  if (v < 0) {
    char *choices = g_strjoinv ("|", (char **) names);
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
        "ensemble item '%s': %s is one of %s", item, key, choices);
    g_free (choices);
    return FALSE;
  }
  *field = v;
  return TRUE;
}

static gboolean
set_number (const char *item, const number_key *k, const char *value,
    dd_ensemble_params *p, GError **error)
{
  char *end = NULL;
  double v = g_ascii_strtod (value, &end);
  gboolean ok = end != value && *end == '\0' && isfinite (v) && v <= k->max
      && (k->min_open ? v > k->min : v >= k->min) && (!k->integer || v == floor (v));
  if (!ok) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
        "ensemble item '%s': %s is %s %s %g and at most %g", item, k->name,
        k->integer ? "a whole number" : "a number", k->min_open ? "above" : "from",
        k->min, k->max);
    return FALSE;
  }
  if (k->integer)
    *(int *) ((char *) p + k->offset) = (int) v;
  else
    *(double *) ((char *) p + k->offset) = v;
  return TRUE;
}

static gboolean
parse_item (dd_ensemble_params *p, const char *item, GError **error)
{
  const char *eq = strchr (item, '=');
  if (eq == NULL || eq == item) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
        "ensemble item '%s': expected key=value (as in boxes=nms,vote=on)", item);
    return FALSE;
  }
  char *key = g_strndup (item, eq - item);
  const char *value = eq + 1;
  gboolean ok;
  int choice;
  if (strcmp (key, "boxes") == 0) {
    if ((ok = set_choice (item, key, value, box_names, &choice, error)))
      p->boxes = choice;
  } else if (strcmp (key, "keypoints") == 0) {
    if ((ok = set_choice (item, key, value, keypoint_names, &choice, error)))
      p->keypoints = choice;
  } else if (strcmp (key, "classes") == 0) {
    if ((ok = set_choice (item, key, value, class_names, &choice, error)))
      p->classes = choice;
  } else if (strcmp (key, "scoring") == 0) {
    if ((ok = set_choice (item, key, value, scoring_names, &choice, error)))
      p->vote_scoring = choice;
  } else if (strcmp (key, "vote") == 0) {
    if ((ok = set_choice (item, key, value, switch_names, &choice, error)))
      p->vote = choice;
  } else {
    const number_key *k = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS (number_keys) && k == NULL; i++)
      if (strcmp (key, number_keys[i].name) == 0)
        k = &number_keys[i];
    if (k != NULL) {
      ok = set_number (item, k, value, p, error);
    } else {
      ok = FALSE;
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
          "ensemble item '%s': unknown key '%s'; the keys are boxes, keypoints, "
          "classes, vote, scoring, nms-iou, vote-iou, beta, sigma, soft-iou, "
          "soft-min-score, wbf-iou, wbf-skip, max-detections, min-score, "
          "keypoint-threshold", item, key);
    }
  }
  g_free (key);
  return ok;
}

gboolean
dd_ensemble_params_parse (dd_ensemble_params *p, const char *text, GError **error)
{
  dd_ensemble_params next = *p;
  char **items = g_strsplit (text, ",", -1);
  gboolean ok = TRUE;
  for (int i = 0; ok && items[i]; i++) {
    char *item = g_strstrip (items[i]);
    if (*item != '\0' || items[1] != NULL)
      ok = parse_item (&next, item, error);
  }
  g_strfreev (items);
  if (ok)
    *p = next;
  return ok;
}

char *
dd_ensemble_params_to_string (const dd_ensemble_params *p)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "boxes=%s,keypoints=%s,classes=%s,vote=%s,scoring=%s",
      box_names[p->boxes], keypoint_names[p->keypoints], class_names[p->classes],
      switch_names[p->vote ? 1 : 0], scoring_names[p->vote_scoring]);
  for (size_t i = 0; i < G_N_ELEMENTS (number_keys); i++) {
    const number_key *k = &number_keys[i];
    const char *field = (const char *) p + k->offset;
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    if (k->integer) {
      g_snprintf (num, sizeof num, "%d", *(const int *) field);
    } else {
      /* 15 digits read back exactly for every value a person types (0.8,
       * not 0.80000000000000004); 17 for any other. */
      double v = *(const double *) field;
      g_ascii_formatd (num, sizeof num, "%.15g", v);
      if (g_ascii_strtod (num, NULL) != v)
        g_ascii_formatd (num, sizeof num, "%.17g", v);
    }
    g_string_append_printf (s, ",%s=%s", k->name, num);
  }
  return g_string_free (s, FALSE);
}

unsigned
dd_ensemble_heads_needed (const dd_ensemble_params *p)
{
  if (p->boxes == DD_ENSEMBLE_BOXES_MAPS)
    return DD_MAPS_ALL;
  unsigned heads = 0;
  if (p->keypoints == DD_ENSEMBLE_KEYPOINTS_AVERAGE)
    heads |= DD_MAPS_KEYPOINT_HEATMAP | DD_MAPS_KEYPOINT_OFFSET;
  if (p->keypoints == DD_ENSEMBLE_KEYPOINTS_ARGMAX)
    heads |= DD_MAPS_KEYPOINT_HEATMAP;
  if (p->classes == DD_ENSEMBLE_CLASSES_AVERAGE)
    heads |= DD_MAPS_CENTER;
  return heads;
}
