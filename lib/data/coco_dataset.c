/* A COCO dataset in memory: creation, deep copies of appended entries, and
 * release of everything the dataset owns. */
#include "data/coco_private.h"

G_DEFINE_QUARK (dd-coco-error-quark, dd_coco_error)

void
dd_coco_set_error (GError **error, dd_coco_error code, const char *name,
    const char *where, const char *field, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_autoptr (GString) msg = g_string_new (name);
  if (where)
    g_string_append_printf (msg, ": %s", where);
  if (field)
    g_string_append_printf (msg, ": field '%s'", field);
  g_string_append_printf (msg, ": %s", what);
  g_set_error_literal (error, DD_COCO_ERROR, code, msg->str);
}

static void
clear_image (gpointer p)
{
  dd_coco_image *image = p;
  g_free (image->file_name);
  g_free (image->source_uri);
}

static void
clear_annotation (gpointer p)
{
  dd_coco_annotation *ann = p;
  g_free (ann->keypoints);
  if (ann->segmentation)
    json_node_unref (ann->segmentation);
}

static void
clear_category (gpointer p)
{
  dd_coco_category *cat = p;
  g_free (cat->name);
  g_free (cat->supercategory);
  for (int i = 0; i < cat->n_keypoints; i++)
    g_free (cat->keypoint_names[i]);
  g_free (cat->keypoint_names);
  g_free (cat->skeleton);
}

dd_coco_dataset *
dd_coco_dataset_new (void)
{
  dd_coco_dataset *ds = g_new0 (dd_coco_dataset, 1);
  ds->images = g_array_new (FALSE, TRUE, sizeof (dd_coco_image));
  ds->annotations = g_array_new (FALSE, TRUE, sizeof (dd_coco_annotation));
  ds->categories = g_array_new (FALSE, TRUE, sizeof (dd_coco_category));
  g_array_set_clear_func (ds->images, clear_image);
  g_array_set_clear_func (ds->annotations, clear_annotation);
  g_array_set_clear_func (ds->categories, clear_category);
  return ds;
}

void
dd_coco_dataset_free (dd_coco_dataset *ds)
{
  if (!ds)
    return;
  g_array_unref (ds->images);
  g_array_unref (ds->annotations);
  g_array_unref (ds->categories);
  if (ds->info)
    json_node_unref (ds->info);
  if (ds->provenance)
    json_node_unref (ds->provenance);
  g_free (ds->image_dir);
  g_free (ds);
}

void
dd_coco_add_image (dd_coco_dataset *ds, const dd_coco_image *image)
{
  dd_coco_image copy = *image;
  copy.file_name = g_strdup (image->file_name);
  copy.source_uri = g_strdup (image->source_uri);
  g_array_append_val (ds->images, copy);
}

void
dd_coco_add_annotation (dd_coco_dataset *ds, const dd_coco_annotation *ann)
{
  dd_coco_annotation copy = *ann;
  copy.keypoints = ann->n_keypoints > 0 && ann->keypoints
      ? g_memdup2 (ann->keypoints, 3 * (gsize) ann->n_keypoints * sizeof (float))
      : NULL;
  if (!copy.keypoints)
    copy.n_keypoints = 0;
  copy.segmentation = ann->segmentation ? json_node_copy (ann->segmentation) : NULL;
  g_array_append_val (ds->annotations, copy);
}

void
dd_coco_add_category (dd_coco_dataset *ds, const dd_coco_category *cat)
{
  dd_coco_category copy = *cat;
  copy.name = g_strdup (cat->name);
  copy.supercategory = g_strdup (cat->supercategory);
  copy.keypoint_names = NULL;
  if (cat->n_keypoints > 0) {
    copy.keypoint_names = g_new0 (char *, cat->n_keypoints);
    for (int i = 0; i < cat->n_keypoints; i++)
      copy.keypoint_names[i] = g_strdup (cat->keypoint_names ? cat->keypoint_names[i] : NULL);
  }
  copy.skeleton = cat->n_skeleton > 0 && cat->skeleton
      ? g_memdup2 (cat->skeleton, (gsize) cat->n_skeleton * sizeof cat->skeleton[0])
      : NULL;
  if (!copy.skeleton)
    copy.n_skeleton = 0;
  g_array_append_val (ds->categories, copy);
}

int
dd_coco_find_image (const dd_coco_dataset *ds, int64_t id)
{
  for (guint i = 0; i < ds->images->len; i++)
    if (g_array_index (ds->images, dd_coco_image, i).id == id)
      return (int) i;
  return -1;
}

int
dd_coco_find_category (const dd_coco_dataset *ds, int id)
{
  for (guint i = 0; i < ds->categories->len; i++)
    if (g_array_index (ds->categories, dd_coco_category, i).id == id)
      return (int) i;
  return -1;
}
