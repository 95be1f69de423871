#include "distill/calibrate.h"

#include <string.h>

#include "distill/distill_error.h"

static int
find_category (const dd_coco_dataset *ds, const char *name)
{
  for (guint i = 0; i < ds->categories->len; i++)
    if (g_strcmp0 (g_array_index (ds->categories, dd_coco_category, i).name, name) == 0)
      return (int) i;
  return -1;
}

static char *
category_list (const dd_coco_dataset *ds)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < ds->categories->len; i++)
    g_string_append_printf (s, "%s'%s'", i ? ", " : "",
        g_array_index (ds->categories, dd_coco_category, i).name);
  return g_string_free (s, FALSE);
}

gboolean
dd_labeled_stats_from_coco (const dd_coco_dataset *ds, const char *const *class_names,
    int n_classes, dd_labeled_stats *out, GError **error)
{
  if (ds->images->len == 0) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "the labeled set has no images, so it gives no instances per image to "
        "match: calibrate with a labeled COCO file that lists its images");
    return FALSE;
  }
  int *category_of = g_new (int, MAX (n_classes, 1));
  for (int c = 0; c < n_classes; c++) {
    category_of[c] = find_category (ds, class_names[c]);
    if (category_of[c] < 0) {
      char *list = category_list (ds);
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
          "the network's class '%s' is no category of the labeled set (it has "
          "%s): calibrate with a set labelled for the same classes",
          class_names[c], list);
      g_free (list);
      g_free (category_of);
      return FALSE;
    }
  }
  dd_labeled_stats s = {
    .n_classes = n_classes,
    .class_names = g_new0 (char *, n_classes + 1),
    .mean_instances = g_new0 (double, MAX (n_classes, 1)),
    .has_keypoints = g_new0 (gboolean, MAX (n_classes, 1)),
    .n_images = ds->images->len,
  };
  for (int c = 0; c < n_classes; c++)
    s.class_names[c] = g_strdup (class_names[c]);
  int64_t kp_instances = 0, kp_labelled = 0;
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations, dd_coco_annotation, i);
    if (a->iscrowd)
      continue;
    for (int c = 0; c < n_classes; c++) {
      const dd_coco_category *cat = &g_array_index (ds->categories, dd_coco_category,
          category_of[c]);
      if (cat->id != a->category_id)
        continue;
      s.mean_instances[c] += 1.0;
      if (cat->n_keypoints > 0) {
        kp_instances++;
        kp_labelled += a->num_keypoints;
      }
    }
  }
  for (int c = 0; c < n_classes; c++) {
    s.mean_instances[c] /= (double) s.n_images;
    s.has_keypoints[c] = g_array_index (ds->categories, dd_coco_category,
        category_of[c]).n_keypoints > 0;
  }
  s.mean_keypoints = kp_instances ? (double) kp_labelled / kp_instances : 0.0;
  g_free (category_of);
  double any = 0;
  for (int c = 0; c < n_classes; c++)
    any += s.mean_instances[c];
  if (any == 0) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_CALIBRATION,
        "the labeled set has no instance of the network's classes outside crowds, "
        "so count matching would keep no label: calibrate with a set that labels them");
    dd_labeled_stats_clear (&s);
    return FALSE;
  }
  *out = s;
  return TRUE;
}

void
dd_labeled_stats_clear (dd_labeled_stats *s)
{
  g_strfreev (s->class_names);
  g_free (s->mean_instances);
  g_free (s->has_keypoints);
  memset (s, 0, sizeof *s);
}
