#include "elements/dataset_items.h"

#include "nn/rng.h"

struct dd_dataset_items {
  char *path;
  dd_coco_dataset *ds;
  /* Image i's annotations are anns[first[i]] .. anns[first[i + 1] - 1]
   * (shallow copies of the dataset's), their categories' names in names[]. */
  guint *first;
  dd_coco_annotation *anns;
  const char **names;
};

static const char *
category_name (const dd_coco_dataset *ds, int id)
{
  int at = dd_coco_find_category (ds, id);
  return at >= 0 ? g_array_index (ds->categories, dd_coco_category, at).name : "";
}

/* Groups the annotations by image, keeping the file's order within each
 * (a counting sort). The reader checked that every image_id exists. */
static void
index_annotations (dd_dataset_items *d)
{
  GArray *images = d->ds->images, *anns = d->ds->annotations;
  GHashTable *position = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < images->len; i++)
    g_hash_table_insert (position, &g_array_index (images, dd_coco_image, i).id,
        GUINT_TO_POINTER (i));
  guint *image_of = g_new (guint, MAX (anns->len, 1));
  d->first = g_new0 (guint, images->len + 1);
  for (guint j = 0; j < anns->len; j++) {
    const dd_coco_annotation *a = &g_array_index (anns, dd_coco_annotation, j);
    image_of[j] = GPOINTER_TO_UINT (g_hash_table_lookup (position, &a->image_id));
    d->first[image_of[j] + 1]++;
  }
  for (guint i = 0; i < images->len; i++)
    d->first[i + 1] += d->first[i];
  guint *next = g_memdup2 (d->first, sizeof (guint) * (images->len + 1));
  d->anns = g_new (dd_coco_annotation, MAX (anns->len, 1));
  d->names = g_new (const char *, anns->len + 1);
  for (guint j = 0; j < anns->len; j++) {
    const dd_coco_annotation *a = &g_array_index (anns, dd_coco_annotation, j);
    guint at = next[image_of[j]]++;
    d->anns[at] = *a;
    d->names[at] = category_name (d->ds, a->category_id);
  }
  d->names[anns->len] = NULL;
  g_free (next);
  g_free (image_of);
  g_hash_table_destroy (position);
}

dd_dataset_items *
dd_dataset_items_open (const char *json, const char *image_dir, GError **error)
{
  g_autofree char *folder = g_path_get_dirname (json);
  dd_coco_dataset *ds = dd_coco_read_full (json, image_dir ? image_dir : folder,
      DD_COCO_READ_CHECK_IMAGES, error);
  if (!ds)
    return NULL;
  if (ds->images->len == 0) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD,
        "%s has no images: there is nothing to stream", json);
    dd_coco_dataset_free (ds);
    return NULL;
  }
  dd_dataset_items *d = g_new0 (dd_dataset_items, 1);
  d->path = g_strdup (json);
  d->ds = ds;
  index_annotations (d);
  return d;
}

void
dd_dataset_items_free (dd_dataset_items *d)
{
  if (!d)
    return;
  dd_coco_dataset_free (d->ds);
  g_free (d->path);
  g_free (d->first);
  g_free (d->anns);
  g_free (d->names);
  g_free (d);
}

guint
dd_dataset_items_n_images (const dd_dataset_items *d)
{
  return d->ds->images->len;
}

const dd_coco_image *
dd_dataset_items_image (const dd_dataset_items *d, guint i)
{
  return &g_array_index (d->ds->images, dd_coco_image, i);
}

const dd_coco_annotation *
dd_dataset_items_annotations (const dd_dataset_items *d, guint i, guint *n)
{
  *n = d->first[i + 1] - d->first[i];
  return d->anns + d->first[i];
}

const char *const *
dd_dataset_items_categories (const dd_dataset_items *d, guint i)
{
  return d->names + d->first[i];
}

char *
dd_dataset_items_path (const dd_dataset_items *d, guint i)
{
  g_autofree char *file = g_build_filename (d->ds->image_dir,
      dd_dataset_items_image (d, i)->file_name, NULL);
  return g_canonicalize_filename (file, NULL);
}

dd_image *
dd_dataset_items_load (const dd_dataset_items *d, guint i, GError **error)
{
  const dd_coco_image *image = dd_dataset_items_image (d, i);
  g_autofree char *file = dd_dataset_items_path (d, i);
  g_autoptr (GError) load_error = NULL;
  dd_image *img = dd_image_load (file, &load_error);
  if (!img) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO,
        "image %" G_GINT64_FORMAT " of %s cannot be used: %s (replace the file or "
        "drop the image from the dataset)", image->id, d->path, load_error->message);
    return NULL;
  }
  if (img->width != image->width || img->height != image->height) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD,
        "image %" G_GINT64_FORMAT " of %s: %s is %dx%d but the dataset says %dx%d, "
        "so its labels would be misplaced; correct the dataset's width and height",
        image->id, d->path, file, img->width, img->height, image->width,
        image->height);
    dd_image_free (img);
    return NULL;
  }
  return img;
}

void
dd_dataset_items_order (const dd_dataset_items *d, gboolean shuffle, uint64_t seed,
    uint64_t epoch, guint *order)
{
  guint n = dd_dataset_items_n_images (d);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  if (!shuffle)
    return;
  dd_rng rng;
  dd_rng_seed (&rng, seed, epoch);
  for (guint i = n - 1; i > 0; i--) {
    guint j = dd_rng_below (&rng, i + 1);
    guint t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}
