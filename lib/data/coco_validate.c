/* The rules a COCO dataset obeys, checked the same way after reading, before
 * writing and while streaming: each entry alone, then ids and references.
 * Messages name the entry by id and say what would be valid. */
#include "data/coco_private.h"

#include <math.h>

gboolean
dd_coco_check_image (const dd_coco_image *image, const char *name, GError **error)
{
  g_autofree char *where = g_strdup_printf ("image %" G_GINT64_FORMAT, image->id);
  if (!image->file_name || !*image->file_name) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "file_name",
        "empty: every image needs the name of its file");
    return FALSE;
  }
  if (image->width <= 0 || image->height <= 0) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where,
        image->width <= 0 ? "width" : "height",
        "%d: an image size must be a positive number of pixels",
        image->width <= 0 ? image->width : image->height);
    return FALSE;
  }
  return TRUE;
}

gboolean
dd_coco_check_category (const dd_coco_category *cat, const char *name, GError **error)
{
  g_autofree char *where = g_strdup_printf ("category %d", cat->id);
  if (!cat->name || !*cat->name) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "name",
        "empty: every category needs a name");
    return FALSE;
  }
  for (int k = 0; k < cat->n_keypoints; k++)
    if (!cat->keypoint_names || !cat->keypoint_names[k] || !*cat->keypoint_names[k]) {
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "keypoints",
          "keypoint %d has no name", k);
      return FALSE;
    }
  for (int s = 0; s < cat->n_skeleton; s++)
    for (int end = 0; end < 2; end++) {
      int k = cat->skeleton[s][end];
      if (k < 1 || k > cat->n_keypoints) {
        dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "skeleton",
            "edge %d refers to keypoint %d, outside 1..%d (the skeleton counts "
            "keypoints from 1, as COCO)", s, k, cat->n_keypoints);
        return FALSE;
      }
    }
  return TRUE;
}

static gboolean
check_keypoints (const dd_coco_annotation *ann, const char *where,
    const dd_coco_category *cat, const char *name, GError **error)
{
  if (ann->n_keypoints != cat->n_keypoints) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "keypoints",
        "%d numbers, but category %d (%s) has %d keypoints, so %d numbers "
        "(x, y, v per keypoint) are needed", 3 * ann->n_keypoints, cat->id,
        cat->name ? cat->name : "unnamed", cat->n_keypoints, 3 * cat->n_keypoints);
    return FALSE;
  }
  for (int i = 0; i < 3 * ann->n_keypoints; i++)
    if (!isfinite (ann->keypoints[i])) {
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "keypoints",
          "number %d is not finite", i);
      return FALSE;
    }
  if (ann->num_keypoints < 0 || ann->num_keypoints > ann->n_keypoints) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "num_keypoints",
        "%d, outside 0..%d (the category's keypoint count)", ann->num_keypoints,
        ann->n_keypoints);
    return FALSE;
  }
  return TRUE;
}

gboolean
dd_coco_check_annotation (const dd_coco_annotation *ann, const char *where,
    const dd_coco_category *cat, const char *name, GError **error)
{
  static const char *const bbox_names[4] = { "x", "y", "width", "height" };
  for (int i = 0; i < 4; i++)
    if (!isfinite (ann->bbox[i]) || (i >= 2 && ann->bbox[i] < 0)) {
      dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "bbox",
          "%s is %g: a box is [x, y, width, height] with a finite position and "
          "a size not negative", bbox_names[i], ann->bbox[i]);
      return FALSE;
    }
  if (!isfinite (ann->area) || ann->area < 0) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "area",
        "%g: an area must be finite and not negative", ann->area);
    return FALSE;
  }
  if (ann->iscrowd != 0 && ann->iscrowd != 1) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "iscrowd",
        "%d: must be 0 or 1", ann->iscrowd);
    return FALSE;
  }
  if (ann->has_score && (!isfinite (ann->score) || ann->score < 0)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "score",
        "%g: a score must be finite and not negative", ann->score);
    return FALSE;
  }
  if (ann->n_keypoints < 0 || (ann->n_keypoints > 0 && !ann->keypoints)) {
    dd_coco_set_error (error, DD_COCO_ERROR_FIELD, name, where, "keypoints",
        "%d keypoints announced but no array", ann->n_keypoints);
    return FALSE;
  }
  if (cat && ann->n_keypoints > 0)
    return check_keypoints (ann, where, cat, name, error);
  return TRUE;
}

static gboolean
check_unique (const dd_coco_ids *ids, const char *what, const char *name, GError **error)
{
  int64_t id;
  guint first, second;
  if (!dd_coco_ids_repeated (ids, &id, &first, &second))
    return TRUE;
  g_autofree char *where = g_strdup_printf ("%s %" G_GINT64_FORMAT, what, id);
  dd_coco_set_error (error, DD_COCO_ERROR_DUPLICATE, name, where, "id",
      "used twice (entries %u and %u of the %ss, counting from 0): ids must be unique",
      first, second, what);
  return FALSE;
}

static gboolean
check_entries (const dd_coco_dataset *ds, const dd_coco_ids *cats, const char *name,
    GError **error)
{
  for (guint i = 0; i < ds->images->len; i++)
    if (!dd_coco_check_image (&g_array_index (ds->images, dd_coco_image, i), name, error))
      return FALSE;
  for (guint i = 0; i < ds->categories->len; i++)
    if (!dd_coco_check_category (&g_array_index (ds->categories, dd_coco_category, i),
            name, error))
      return FALSE;
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *ann = &g_array_index (ds->annotations, dd_coco_annotation, i);
    int c = dd_coco_ids_find (cats, ann->category_id);
    g_autofree char *where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, ann->id);
    const dd_coco_category *cat = c >= 0
        ? &g_array_index (ds->categories, dd_coco_category, c) : NULL;
    if (!dd_coco_check_annotation (ann, where, cat, name, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_references (const dd_coco_dataset *ds, const dd_coco_ids *images,
    const dd_coco_ids *cats, const char *name, GError **error)
{
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *ann = &g_array_index (ds->annotations, dd_coco_annotation, i);
    g_autofree char *where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, ann->id);
    if (dd_coco_ids_find (images, ann->image_id) < 0) {
      dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, name, where, "image_id",
          "%" G_GINT64_FORMAT " is not the id of any image in the dataset",
          ann->image_id);
      return FALSE;
    }
    if (dd_coco_ids_find (cats, ann->category_id) < 0) {
      dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, name, where, "category_id",
          "%d is not the id of any category in the dataset", ann->category_id);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
dd_coco_validate (const dd_coco_dataset *ds, const char *name, GError **error)
{
  dd_coco_ids images, cats, anns;
  dd_coco_ids_of_images (&images, ds);
  dd_coco_ids_of_categories (&cats, ds);
  dd_coco_ids_of_annotations (&anns, ds);
  gboolean ok = check_unique (&images, "image", name, error)
      && check_unique (&cats, "category", name, error)
      && check_unique (&anns, "annotation", name, error)
      && check_entries (ds, &cats, name, error)
      && check_references (ds, &images, &cats, name, error);
  dd_coco_ids_clear (&images);
  dd_coco_ids_clear (&cats);
  dd_coco_ids_clear (&anns);
  return ok;
}
