#include "model/train_data.h"

#include <string.h>

#include "data/coco.h"
#include "data/image.h"
#include "model/model_error.h"

struct dd_train_set {
  char *path;
  dd_coco_dataset *ds;
  /* Annotations by image: image i's are anns[first[i]] .. anns[first[i+1]-1],
   * shallow copies of the dataset's, with their classes in classes[]. */
  size_t *first;
  dd_coco_annotation *anns;
  int *classes;
  gboolean automatic;           /* the teacher's labels (train_data.h) */
};

static int
class_of_category (const dd_detector *det, const dd_coco_category *c)
{
  for (int i = 0; i < det->n_classes; i++)
    if (strcmp (det->classes[i], c->name) == 0)
      return i;
  return -1;
}

/* Keypoints are trained by position: the model's k-th heatmap learns each
 * label's k-th keypoint, and flips swap left and right by the model's
 * names. A category naming the model's keypoints in another order would
 * train them crosswise. Other names (a dataset of its own naming) cannot
 * be told apart, and are trained by position. */
static gboolean
same_keypoint_order (const dd_train_set *s, const dd_detector *det,
    const dd_coco_category *c, GError **error)
{
  if (c->n_keypoints != det->n_keypoints || !det->keypoint_names || !c->keypoint_names)
    return TRUE;
  for (int k = 0; k < c->n_keypoints; k++) {
    gboolean known = FALSE;
    for (int m = 0; m < det->n_keypoints && !known; m++)
      known = strcmp (c->keypoint_names[k], det->keypoint_names[m]) == 0;
    if (!known)
      return TRUE;
  }
  for (int k = 0; k < c->n_keypoints; k++)
    if (strcmp (c->keypoint_names[k], det->keypoint_names[k]) != 0) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "%s: category '%s' lists keypoint %d as '%s', the model %s has '%s' there: "
          "its keypoints are the model's in another order, and would be trained "
          "crosswise; reorder the dataset's keypoints", s->path, c->name, k + 1,
          c->keypoint_names[k], det->origin, det->keypoint_names[k]);
      return FALSE;
    }
  return TRUE;
}

/* Checks each category against the model and maps its id to the model's
 * class (stored as class + 1: 0 is "no such category"). A table, not an
 * array indexed by id: ids may be any integers. */
static gboolean
check_categories (dd_train_set *s, const dd_detector *det, GHashTable *class_of_id,
                  GError **error)
{
  GArray *cats = s->ds->categories;
  for (guint i = 0; i < cats->len; i++) {
    dd_coco_category *c = &g_array_index (cats, dd_coco_category, i);
    int cls = class_of_category (det, c);
    if (cls < 0) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "%s: category '%s' (id %d) is not a class of the model %s (its \"classes\" "
          "name what it detects); drop the category or train a model that has it",
          s->path, c->name, c->id, det->origin);
      return FALSE;
    }
    if (c->n_keypoints != 0 && c->n_keypoints != det->n_keypoints) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "%s: category '%s' has %d keypoints, the model %s has %d", s->path, c->name,
          c->n_keypoints, det->origin, det->n_keypoints);
      return FALSE;
    }
    if (!same_keypoint_order (s, det, c, error))
      return FALSE;
    g_hash_table_insert (class_of_id, &c->id, GINT_TO_POINTER (cls + 1));
  }
  return TRUE;
}

/* Groups the annotations by image (a counting sort, stable). */
static gboolean
index_annotations (dd_train_set *s, const dd_detector *det, GError **error)
{
  g_autoptr (GHashTable) class_of_id = g_hash_table_new (g_int_hash, g_int_equal);
  if (!check_categories (s, det, class_of_id, error))
    return FALSE;
  GArray *images = s->ds->images, *anns = s->ds->annotations;
  GHashTable *position = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < images->len; i++)
    g_hash_table_insert (position, &g_array_index (images, dd_coco_image, i).id,
                         GUINT_TO_POINTER (i));
  s->first = g_new0 (size_t, images->len + 1);
  s->anns = g_new (dd_coco_annotation, MAX (anns->len, 1));
  s->classes = g_new (int, MAX (anns->len, 1));
  guint *image_of = g_new (guint, MAX (anns->len, 1));
  gboolean ok = TRUE;
  for (guint i = 0; i < anns->len && ok; i++) {
    const dd_coco_annotation *a = &g_array_index (anns, dd_coco_annotation, i);
    image_of[i] = GPOINTER_TO_UINT (g_hash_table_lookup (position, &a->image_id));
    s->first[image_of[i] + 1]++;
    if (a->n_keypoints != 0 && a->n_keypoints != det->n_keypoints) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "%s: annotation %" G_GINT64_FORMAT " has %d keypoints, the model %s has %d",
          s->path, a->id, a->n_keypoints, det->origin, det->n_keypoints);
      ok = FALSE;
    }
  }
  for (guint i = 0; i < images->len; i++)
    s->first[i + 1] += s->first[i];
  size_t *next = g_memdup2 (s->first, sizeof (size_t) * (images->len + 1));
  for (guint i = 0; i < anns->len && ok; i++) {
    const dd_coco_annotation *a = &g_array_index (anns, dd_coco_annotation, i);
    size_t at = next[image_of[i]]++;
    s->anns[at] = *a;
    s->classes[at] = GPOINTER_TO_INT (g_hash_table_lookup (class_of_id,
            &a->category_id)) - 1;
  }
  g_free (next);
  g_free (image_of);
  g_hash_table_destroy (position);
  return ok;
}

dd_train_set *
dd_train_set_open (const char *json, const char *image_dir, const dd_detector *det,
                   gboolean automatic, GError **error)
{
  g_autofree char *folder = g_path_get_dirname (json);
  dd_train_set *s = g_new0 (dd_train_set, 1);
  s->path = g_strdup (json);
  s->automatic = automatic;
  s->ds = dd_coco_read_full (json, image_dir ? image_dir : folder,
                             DD_COCO_READ_CHECK_IMAGES, error);
  if (!s->ds) {
    dd_train_set_free (s);
    return NULL;
  }
  if (s->ds->images->len == 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "%s has no images: there is nothing to train on", json);
  } else if (!automatic && s->ds->annotations->len == 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "%s has %u images but no annotations: training needs labelled data (is it "
        "an unlabeled split?)", json, s->ds->images->len);
  } else if (index_annotations (s, det, error)) {
    return s;
  }
  dd_train_set_free (s);
  return NULL;
}

void
dd_train_set_free (dd_train_set *s)
{
  if (!s)
    return;
  dd_coco_dataset_free (s->ds);
  g_free (s->path);
  g_free (s->first);
  g_free (s->anns);
  g_free (s->classes);
  g_free (s);
}

size_t
dd_train_set_n_images (const dd_train_set *s)
{
  return s->ds->images->len;
}

const char *
dd_train_set_image_dir (const dd_train_set *s)
{
  return s->ds->image_dir;
}

size_t
dd_train_set_n_annotations (const dd_train_set *s)
{
  return s->ds->annotations->len;
}

gboolean
dd_train_set_sample (const dd_train_set *s, size_t index, const dd_augment_params *p,
                     dd_rng *rng, float *input, dd_targets *t, int slot, GError **error)
{
  const dd_coco_image *image = &g_array_index (s->ds->images, dd_coco_image, index);
  g_autofree char *file = g_build_filename (s->ds->image_dir, image->file_name, NULL);
  g_autoptr (GError) load_error = NULL;
  dd_image *img = dd_image_load (file, &load_error);
  if (!img) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "image %" G_GINT64_FORMAT " of %s cannot be used: %s (replace the file or "
        "drop the image from the dataset)", image->id, s->path, load_error->message);
    return FALSE;
  }
  size_t first = s->first[index], n = s->first[index + 1] - first;
  dd_augment_result r;
  gboolean ok = dd_augment (p, rng, img, s->anns + first, (int) n, &r, error);
  dd_image_free (img);
  if (!ok)
    return FALSE;
  /* Augmentation drops annotations whose box leaves the image: the kept
   * ones are the same objects in the same order, so their classes are
   * found by id. */
  int *classes = g_new (int, MAX (r.annotations->len, 1));
  for (guint i = 0, j = 0; i < r.annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (r.annotations, dd_coco_annotation, i);
    while (s->anns[first + j].id != a->id)
      j++;
    classes[i] = s->classes[first + j];
  }
  dd_detector_image_to_input (r.image, input);
  const dd_coco_annotation *anns = (const dd_coco_annotation *) r.annotations->data;
  dd_targets_encode (t, slot, anns, classes, (int) r.annotations->len);
  if (s->automatic)
    dd_targets_ignore_unlabelled_keypoints (t, slot, anns, classes,
        (int) r.annotations->len);
  g_free (classes);
  dd_augment_result_clear (&r);
  return TRUE;
}
