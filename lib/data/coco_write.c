/* Writing COCO JSON, streamed: annotations go straight to a temporary file
 * beside the target, images to a second one (they are few and small) that
 * is appended at the end, and finish renames the whole into place. Only ids
 * stay in memory, to refuse repeats and dangling references.
 *
 * Numbers are printed with the fewest digits that read back to the same
 * double, and float keypoints as the double they are exactly: pycocotools
 * (double precision) and ddistill (single) then read the same values. */
#include "data/coco_private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct dd_coco_writer {
  char *path;
  char *tmp_path, *spool_path;  /* annotations (the file itself), images */
  FILE *out, *spool;
  GArray *categories;           /* dd_coco_category: a reference to the head's */
  GHashTable *image_ids, *annotation_ids;
  GArray *references;           /* per annotation: its id, then its image_id */
  guint n_images, n_annotations;
};

static void
append_node (GString *s, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  g_string_append (s, text);
}

static void
append_image (GString *s, const dd_coco_image *image)
{
  g_string_append_printf (s, "{\"id\": %" G_GINT64_FORMAT ", \"file_name\": ", image->id);
  dd_coco_append_string (s, image->file_name);
  g_string_append_printf (s, ", \"width\": %d, \"height\": %d", image->width, image->height);
  if (image->source_uri) {
    g_string_append (s, ", \"source_uri\": ");
    dd_coco_append_string (s, image->source_uri);
  }
  if (image->timestamp_ns >= 0)
    g_string_append_printf (s, ", \"timestamp_ns\": %" G_GINT64_FORMAT, image->timestamp_ns);
  g_string_append_c (s, '}');
}

static void
append_annotation (GString *s, const dd_coco_annotation *ann)
{
  g_string_append_printf (s, "{\"id\": %" G_GINT64_FORMAT ", \"image_id\": %" G_GINT64_FORMAT
      ", \"category_id\": %d, \"bbox\": [", ann->id, ann->image_id, ann->category_id);
  for (int i = 0; i < 4; i++) {
    dd_coco_append_double (s, ann->bbox[i]);
    g_string_append (s, i < 3 ? ", " : "], \"area\": ");
  }
  dd_coco_append_double (s, ann->area);
  g_string_append_printf (s, ", \"iscrowd\": %d", ann->iscrowd);
  if (ann->n_keypoints > 0) {
    g_string_append (s, ", \"keypoints\": [");
    for (int i = 0; i < 3 * ann->n_keypoints; i++) {
      if (i)
        g_string_append (s, ", ");
      dd_coco_append_double (s, ann->keypoints[i]);
    }
    g_string_append_printf (s, "], \"num_keypoints\": %d", ann->num_keypoints);
  }
  if (ann->has_score) {
    g_string_append (s, ", \"score\": ");
    dd_coco_append_double (s, ann->score);
  }
  if (ann->segmentation) {
    g_string_append (s, ", \"segmentation\": ");
    append_node (s, ann->segmentation);
  }
  g_string_append_c (s, '}');
}

static void
append_category (GString *s, const dd_coco_category *cat)
{
  g_string_append_printf (s, "{\"id\": %d, \"name\": ", cat->id);
  dd_coco_append_string (s, cat->name);
  if (cat->supercategory) {
    g_string_append (s, ", \"supercategory\": ");
    dd_coco_append_string (s, cat->supercategory);
  }
  if (cat->n_keypoints > 0) {
    g_string_append (s, ", \"keypoints\": [");
    for (int k = 0; k < cat->n_keypoints; k++) {
      if (k)
        g_string_append (s, ", ");
      dd_coco_append_string (s, cat->keypoint_names[k]);
    }
    g_string_append_c (s, ']');
  }
  if (cat->n_skeleton > 0) {
    g_string_append (s, ", \"skeleton\": [");
    for (int e = 0; e < cat->n_skeleton; e++)
      g_string_append_printf (s, "%s[%d, %d]", e ? ", " : "", cat->skeleton[e][0],
          cat->skeleton[e][1]);
    g_string_append_c (s, ']');
  }
  g_string_append_c (s, '}');
}

static gboolean
put (FILE *f, const char *file, const GString *s, GError **error)
{
  if (fwrite (s->str, 1, s->len, f) != s->len) {
    int err = errno;
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO, "%s: cannot write: %s (is the "
        "disk full?)", file, g_strerror (err));
    return FALSE;
  }
  return TRUE;
}

static FILE *
open_temporary (const char *pattern_prefix, char **path_out, GError **error)
{
  char *path = g_strdup_printf ("%s.XXXXXX", pattern_prefix);
  /* 0666 less the umask, as any new file: mkstemp's own 0600 would stay
   * with the dataset after the rename. */
  int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0666);
  FILE *f = fd >= 0 ? fdopen (fd, "w") : NULL;
  if (!f) {
    int err = errno;
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO, "%s: cannot create a temporary "
        "file beside it: %s (is the folder writable?)", pattern_prefix, g_strerror (err));
    if (fd >= 0) {
      close (fd);
      g_unlink (path);
    }
    g_free (path);
    return NULL;
  }
  *path_out = path;
  return f;
}

static void
writer_free (dd_coco_writer *w)
{
  if (w->out)
    fclose (w->out);
  if (w->spool)
    fclose (w->spool);
  if (w->tmp_path)
    g_unlink (w->tmp_path);
  if (w->spool_path)
    g_unlink (w->spool_path);
  g_free (w->tmp_path);
  g_free (w->spool_path);
  g_free (w->path);
  if (w->categories)
    g_array_unref (w->categories);
  g_hash_table_unref (w->image_ids);
  g_hash_table_unref (w->annotation_ids);
  g_array_unref (w->references);
  g_free (w);
}

void
dd_coco_writer_abort (dd_coco_writer *w)
{
  if (w)
    writer_free (w);
}

static gboolean
add_id (GHashTable *ids, int64_t id)
{
  return g_hash_table_add (ids, g_memdup2 (&id, sizeof id));
}

gboolean
dd_coco_writer_add_image (dd_coco_writer *w, const dd_coco_image *image, GError **error)
{
  if (!dd_coco_check_image (image, w->path, error))
    return FALSE;
  if (g_hash_table_contains (w->image_ids, &image->id)) {
    g_autofree char *where = g_strdup_printf ("image %" G_GINT64_FORMAT, image->id);
    dd_coco_set_error (error, DD_COCO_ERROR_DUPLICATE, w->path, where, "id",
        "already written: ids must be unique");
    return FALSE;
  }
  g_autoptr (GString) s = g_string_new (w->n_images ? ",\n    " : "    ");
  append_image (s, image);
  if (!put (w->spool, w->spool_path, s, error))
    return FALSE;
  add_id (w->image_ids, image->id);
  w->n_images++;
  return TRUE;
}

static const dd_coco_category *
find_category (const dd_coco_writer *w, int id)
{
  for (guint i = 0; i < w->categories->len; i++)
    if (g_array_index (w->categories, dd_coco_category, i).id == id)
      return &g_array_index (w->categories, dd_coco_category, i);
  return NULL;
}

gboolean
dd_coco_writer_add_annotation (dd_coco_writer *w, const dd_coco_annotation *ann,
    GError **error)
{
  g_autofree char *where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, ann->id);
  const dd_coco_category *cat = find_category (w, ann->category_id);
  if (!cat) {
    dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, w->path, where, "category_id",
        "%d is not one of the dataset's categories", ann->category_id);
    return FALSE;
  }
  if (!dd_coco_check_annotation (ann, where, cat, w->path, error))
    return FALSE;
  if (g_hash_table_contains (w->annotation_ids, &ann->id)) {
    dd_coco_set_error (error, DD_COCO_ERROR_DUPLICATE, w->path, where, "id",
        "already written: ids must be unique");
    return FALSE;
  }
  g_autoptr (GString) s = g_string_new (w->n_annotations ? ",\n    " : "    ");
  append_annotation (s, ann);
  if (!put (w->out, w->tmp_path, s, error))
    return FALSE;
  add_id (w->annotation_ids, ann->id);
  g_array_append_val (w->references, ann->id);
  g_array_append_val (w->references, ann->image_id);
  w->n_annotations++;
  return TRUE;
}

static gboolean
write_head (dd_coco_writer *w, const dd_coco_dataset *head, GError **error)
{
  g_autoptr (GString) s = g_string_new ("{\n");
  if (head->info) {
    g_string_append (s, "  \"info\": ");
    append_node (s, head->info);
    g_string_append (s, ",\n");
  }
  if (head->provenance) {
    g_string_append (s, "  \"provenance\": ");
    append_node (s, head->provenance);
    g_string_append (s, ",\n");
  }
  g_string_append (s, "  \"categories\": [");
  for (guint i = 0; i < head->categories->len; i++) {
    g_string_append (s, i ? ",\n    " : "\n    ");
    append_category (s, &g_array_index (head->categories, dd_coco_category, i));
  }
  g_string_append (s, "\n  ],\n  \"annotations\": [\n");
  return put (w->out, w->tmp_path, s, error);
}

static gboolean
check_categories (const dd_coco_dataset *head, const char *path, GError **error)
{
  for (guint i = 0; i < head->categories->len; i++) {
    const dd_coco_category *cat = &g_array_index (head->categories, dd_coco_category, i);
    if (!dd_coco_check_category (cat, path, error))
      return FALSE;
    for (guint j = 0; j < i; j++)
      if (g_array_index (head->categories, dd_coco_category, j).id == cat->id) {
        g_autofree char *where = g_strdup_printf ("category %d", cat->id);
        dd_coco_set_error (error, DD_COCO_ERROR_DUPLICATE, path, where, "id",
            "used twice: ids must be unique");
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
add_head_entries (dd_coco_writer *w, const dd_coco_dataset *head, GError **error)
{
  for (guint i = 0; i < head->images->len; i++)
    if (!dd_coco_writer_add_image (w, &g_array_index (head->images, dd_coco_image, i), error))
      return FALSE;
  for (guint i = 0; i < head->annotations->len; i++)
    if (!dd_coco_writer_add_annotation (w,
            &g_array_index (head->annotations, dd_coco_annotation, i), error))
      return FALSE;
  return TRUE;
}

dd_coco_writer *
dd_coco_writer_new (const char *path, const dd_coco_dataset *head, GError **error)
{
  if (!check_categories (head, path, error))
    return NULL;
  dd_coco_writer *w = g_new0 (dd_coco_writer, 1);
  w->path = g_strdup (path);
  w->categories = g_array_ref (head->categories);
  w->image_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  w->annotation_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  w->references = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_autofree char *spool_prefix = g_strdup_printf ("%s.images", path);
  if (!(w->out = open_temporary (path, &w->tmp_path, error))
      || !(w->spool = open_temporary (spool_prefix, &w->spool_path, error))
      || !write_head (w, head, error)
      || !add_head_entries (w, head, error)) {
    writer_free (w);
    return NULL;
  }
  return w;
}

static gboolean
check_references (const dd_coco_writer *w, GError **error)
{
  const int64_t *ref = (const int64_t *) (gpointer) w->references->data;
  for (guint i = 0; i < w->n_annotations; i++)
    if (!g_hash_table_contains (w->image_ids, &ref[2 * i + 1])) {
      g_autofree char *where = g_strdup_printf ("annotation %" G_GINT64_FORMAT, ref[2 * i]);
      dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, w->path, where, "image_id",
          "%" G_GINT64_FORMAT " is not the id of any image written: add the image "
          "before finishing", ref[2 * i + 1]);
      return FALSE;
    }
  return TRUE;
}

/* Appends the spooled images to the main file. */
static gboolean
copy_spool (dd_coco_writer *w, GError **error)
{
  g_autoptr (GString) s = g_string_new ("\n  ],\n  \"images\": [\n");
  if (!put (w->out, w->tmp_path, s, error))
    return FALSE;
  if (fclose (w->spool) != 0 || !(w->spool = fopen (w->spool_path, "r"))) {
    int err = errno;
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO, "%s: cannot reread: %s",
        w->spool_path, g_strerror (err));
    w->spool = NULL;
    return FALSE;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, w->spool)) > 0) {
    g_string_truncate (s, 0);
    g_string_append_len (s, buf, (gssize) n);
    if (!put (w->out, w->tmp_path, s, error))
      return FALSE;
  }
  g_string_assign (s, "\n  ]\n}\n");
  return put (w->out, w->tmp_path, s, error);
}

/* Flushes to the disk, then renames: after a crash either the old file or
 * the complete new one is there. */
static gboolean
commit (dd_coco_writer *w, GError **error)
{
  int failed = fflush (w->out) != 0 || fsync (fileno (w->out)) != 0;
  int err = errno;
  failed |= fclose (w->out) != 0;
  w->out = NULL;
  if (failed || g_rename (w->tmp_path, w->path) != 0) {
    err = failed ? err : errno;
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_IO, "%s: cannot write: %s",
        w->path, g_strerror (err));
    return FALSE;
  }
  g_clear_pointer (&w->tmp_path, g_free);
  g_autofree char *dir = g_path_get_dirname (w->path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  return TRUE;
}

gboolean
dd_coco_writer_finish (dd_coco_writer *w, GError **error)
{
  gboolean ok = check_references (w, error) && copy_spool (w, error) && commit (w, error);
  writer_free (w);
  return ok;
}

gboolean
dd_coco_write (const dd_coco_dataset *ds, const char *path, GError **error)
{
  if (!dd_coco_validate (ds, path, error))
    return FALSE;
  dd_coco_writer *w = dd_coco_writer_new (path, ds, error);
  return w && dd_coco_writer_finish (w, error);
}
