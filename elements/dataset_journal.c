/* A dataset folder written frame by frame: the journal, its recovery after
 * a crash, the frames kept in memory, and the COCO file made from them. */
#include "elements/dataset_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "elements/journal_line.h"

struct dd_dataset_journal {
  char *dir;
  char *path;                   /* the journal */
  int fd;                       /* appending */
  int lock_fd;                  /* the folder, locked while it is open */
  JsonNode *header;
  char *extension;
  int jpeg_quality;
  guint64 count;
  guint64 torn_bytes;           /* cut off the journal's end by _open */
  GHashTable *frames;           /* "uri\ntimestamp" of every frame written */
  /* Every frame of the journal, as its line says (journal_line.h). */
  GArray *entries;              /* dd_journal_entry, in journal order */
  GArray *annotations;          /* dd_journal_annotation of all entries */
  GStringChunk *strings;        /* the entries' file names and URIs */
  GString *line;                /* the line being written, reused */
  GArray *candidates;           /* dd_detection, one frame's, reused */
};

static char *
frame_key (const char *uri, guint64 timestamp_ns)
{
  return g_strdup_printf ("%s\n%" G_GUINT64_FORMAT, uri ? uri : "",
      timestamp_ns);
}

static JsonNode *
parse_line (const char *text, gssize length)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *node = NULL;
  if (json_parser_load_from_data (parser, text, length, NULL)) {
    JsonNode *root = json_parser_get_root (parser);
    if (root && JSON_NODE_HOLDS_OBJECT (root))
      node = json_node_copy (root);
  }
  g_object_unref (parser);
  return node;
}

static gboolean
write_all (int fd, const char *data, size_t size)
{
  while (size > 0) {
    ssize_t n = write (fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    size -= (size_t) n;
  }
  return TRUE;
}

/* Appends one line (newline included) and flushes it to disk; on
 * failure, the journal is cut back to where it was, so no torn line stays
 * behind. */
static gboolean
append_line (dd_dataset_journal *j, const GString *line, GError **error)
{
  off_t before = lseek (j->fd, 0, SEEK_END);
  gboolean ok = write_all (j->fd, line->str, line->len)
      && fdatasync (j->fd) == 0;
  int err = errno;
  if (!ok) {
    if (before >= 0 && ftruncate (j->fd, before) != 0)
      g_warning ("%s: could not cut a failed write back", j->path);
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot append to the journal %s: %s", j->path, g_strerror (err));
  }
  return ok;
}

/* ---- Opening and recovery ------------------------------------------------ */

static void
keep_entry (dd_dataset_journal *j, const dd_journal_entry *e)
{
  g_array_append_val (j->entries, *e);
  g_hash_table_add (j->frames, frame_key (e->source_uri,
          (guint64) e->timestamp_ns));
  j->count++;
}

static gboolean
note_frame (dd_dataset_journal *j, JsonNode *node, guint line_no,
    GError **error)
{
  dd_journal_entry e;
  if (!dd_journal_line_read (json_node_get_object (node), j->strings,
          j->annotations, &e)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "journal %s, line %u: a frame without source_uri and timestamp_ns; "
        "the journal is not ddistill's, or damaged: move it away to start "
        "the dataset again", j->path, line_no);
    return FALSE;
  }
  keep_entry (j, &e);
  return TRUE;
}

static gboolean
check_header (dd_dataset_journal *j, JsonNode *found, GError **error)
{
  if (json_node_equal (found, j->header))
    return TRUE;
  g_autofree char *was = json_to_string (found, FALSE);
  g_autofree char *now = json_to_string (j->header, FALSE);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
      "journal %s was started with other categories or provenance "
      "(%s) than this run's (%s): continue it with the same settings, or "
      "write to another location", j->path, was, now);
  return FALSE;
}

/* Reads the journal: the header, then every frame. A last line
 * without its newline or not parsing is the torn write of a crash and is
 * cut off; a bad line before the last is damage, and an error. */
static gboolean
recover (dd_dataset_journal *j, GError **error)
{
  FILE *f = g_fopen (j->path, "rb");
  if (f == NULL) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot read the journal %s: %s", j->path, g_strerror (err));
    return FALSE;
  }
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n;
  off_t good_end = 0;
  guint line_no = 0;
  gboolean ok = TRUE, torn = FALSE;
  while (ok && (n = getline (&buf, &cap, f)) > 0) {
    line_no++;
    JsonNode *node = buf[n - 1] == '\n' ? parse_line (buf, n - 1) : NULL;
    if (node == NULL) {
      torn = TRUE;
      if (getline (&buf, &cap, f) > 0) {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
            "journal %s is damaged at line %u (not a JSON object), before "
            "its end: repair or move it away", j->path, line_no);
        ok = FALSE;
      }
      break;
    }
    ok = line_no == 1 ? check_header (j, node, error)
        : note_frame (j, node, line_no, error);
    json_node_unref (node);
    good_end += n;
  }
  free (buf);
  fclose (f);
  if (ok && torn) {
    GStatBuf st;
    j->torn_bytes = g_stat (j->path, &st) == 0
        ? (guint64) (st.st_size - good_end) : 0;
    ok = truncate (j->path, good_end) == 0;
    if (!ok)
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
          "cannot cut the torn end off the journal %s: %s", j->path,
          g_strerror (errno));
  }
  return ok;
}

/* One writer a folder: two would number their frames from the same
 * journal count and overwrite each other's images. The lock goes with the
 * descriptor, so a killed writer leaves none behind; it holds between the
 * processes of one machine (NFS does not share flocks on a folder). */
static gboolean
lock_folder (dd_dataset_journal *j, GError **error)
{
  j->lock_fd = g_open (j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (j->lock_fd >= 0 && flock (j->lock_fd, LOCK_EX | LOCK_NB) == 0)
    return TRUE;
  int err = errno;
  if (err == EWOULDBLOCK)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "another writer has the "
        "dataset folder %s open (a dddatasetsink in this or another process): "
        "give each writer its own location", j->dir);
  else
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot lock the dataset folder %s: %s", j->dir, g_strerror (err));
  return FALSE;
}

dd_dataset_journal *
dd_dataset_journal_open (const char *dir, JsonNode *header,
    const char *image_extension, int jpeg_quality, gboolean resume,
    GError **error)
{
  g_autofree char *images = g_build_filename (dir, DD_JOURNAL_IMAGE_DIR, NULL);
  if (g_mkdir_with_parents (images, 0777) != 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot create the dataset folder %s: %s", images, g_strerror (err));
    return NULL;
  }
  dd_dataset_journal *j = g_new0 (dd_dataset_journal, 1);
  j->dir = g_strdup (dir);
  j->path = g_build_filename (dir, DD_JOURNAL_NAME, NULL);
  j->header = json_node_copy (header);
  j->extension = g_strdup (image_extension);
  j->jpeg_quality = jpeg_quality;
  j->frames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  j->entries = g_array_new (FALSE, FALSE, sizeof (dd_journal_entry));
  j->annotations = g_array_new (FALSE, FALSE, sizeof (dd_journal_annotation));
  j->strings = g_string_chunk_new (4096);
  j->line = g_string_sized_new (4096);
  j->candidates = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  j->fd = -1;
  if (!lock_folder (j, error)) {
    dd_dataset_journal_close (j);
    return NULL;
  }
  gboolean exists = g_file_test (j->path, G_FILE_TEST_EXISTS);
  if (exists && !resume) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
        "%s holds a dataset journal already: set resume=true to continue "
        "it, or write to another location", j->path);
    dd_dataset_journal_close (j);
    return NULL;
  }
  if (exists && !recover (j, error)) {
    dd_dataset_journal_close (j);
    return NULL;
  }
  j->fd = g_open (j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (j->fd < 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot open the journal %s for writing: %s", j->path,
        g_strerror (err));
    dd_dataset_journal_close (j);
    return NULL;
  }
  struct stat st;
  if (fstat (j->fd, &st) == 0 && st.st_size == 0) {
    g_autofree char *text = json_to_string (j->header, FALSE);
    g_string_assign (j->line, text);
    g_string_append_c (j->line, '\n');
    if (!append_line (j, j->line, error)) {
      dd_dataset_journal_close (j);
      return NULL;
    }
  }
  return j;
}

void
dd_dataset_journal_close (dd_dataset_journal *j)
{
  if (j == NULL)
    return;
  if (j->fd >= 0)
    close (j->fd);
  if (j->lock_fd >= 0)
    close (j->lock_fd);
  g_free (j->dir);
  g_free (j->path);
  json_node_unref (j->header);
  g_free (j->extension);
  g_hash_table_unref (j->frames);
  g_array_unref (j->entries);
  g_array_unref (j->annotations);
  g_string_chunk_free (j->strings);
  g_string_free (j->line, TRUE);
  g_array_unref (j->candidates);
  g_free (j);
}

guint64
dd_dataset_journal_count (const dd_dataset_journal *j)
{
  return j->count;
}

guint64
dd_dataset_journal_torn_bytes (const dd_dataset_journal *j)
{
  return j->torn_bytes;
}

gboolean
dd_dataset_journal_contains (const dd_dataset_journal *j,
    const char *source_uri, guint64 timestamp_ns)
{
  g_autofree char *key = frame_key (source_uri, timestamp_ns);
  return g_hash_table_contains (j->frames, key);
}

/* ---- Writing frames ------------------------------------------------------ */

static gboolean
write_image (const dd_dataset_journal *j, const dd_image *img,
    const char *path, GError **error)
{
  GBytes *bytes = g_str_equal (j->extension, "png")
      ? dd_image_encode_png (img, error)
      : dd_image_encode_jpeg (img, j->jpeg_quality, error);
  if (bytes == NULL)
    return FALSE;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  gboolean ok = g_file_set_contents_full (path, data, (gssize) size,
      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0666,
      error);
  g_bytes_unref (bytes);
  return ok;
}

/* Keeps what the line just written says, as note_frame would read it. */
static void
keep_written (dd_dataset_journal *j, const dd_journal_frame *f, gint64 id,
    const char *file_name)
{
  dd_journal_entry e = {
    .id = id,
    .file_name = g_string_chunk_insert (j->strings, file_name),
    .width = f->image->width,
    .height = f->image->height,
    .source_uri = f->source_uri
        ? g_string_chunk_insert_const (j->strings, f->source_uri) : NULL,
    .timestamp_ns = (gint64) f->timestamp_ns,
    .first_annotation = j->annotations->len,
    .n_annotations = (guint) f->n_annotations,
  };
  g_array_append_vals (j->annotations, f->annotations,
      (guint) f->n_annotations);
  keep_entry (j, &e);
}

char *
dd_dataset_journal_append (dd_dataset_journal *j, const dd_journal_frame *f,
    GError **error)
{
  gint64 id = (gint64) j->count + 1;
  char *file_name = g_strdup_printf (DD_JOURNAL_IMAGE_DIR "/%08" G_GINT64_FORMAT
      ".%s", id, j->extension);
  g_autofree char *path = g_build_filename (j->dir, file_name, NULL);
  if (!write_image (j, f->image, path, error)) {
    g_free (file_name);
    return NULL;
  }
  g_string_truncate (j->line, 0);
  dd_journal_line_format (j->line, f, id, file_name);
  if (!append_line (j, j->line, error)) {
    g_free (file_name);
    return NULL;
  }
  keep_written (j, f, id, file_name);
  return file_name;
}

/* ---- The COCO file ------------------------------------------------------- */

/* An annotation of the journal as the detection it was made from (box
 * corners, score, keypoints with their scores): what calibration and
 * selection read. */
static void
annotation_to_detection (const dd_journal_annotation *a,
    const dd_coco_dataset *categories, dd_detection *d)
{
  double x = a->bbox[0], y = a->bbox[1];
  *d = (dd_detection) {
    .class_index = dd_coco_find_category (categories, a->category_id),
    .box = { (float) x, (float) y, (float) (x + a->bbox[2]),
      (float) (y + a->bbox[3]) },
    .score = a->has_score ? a->score : 0.0f,
    .n_keypoints = a->n_keypoints,
  };
  for (int k = 0; k < d->n_keypoints; k++)
    d->keypoints[k] = (dd_keypoint) { a->keypoints[3 * k],
      a->keypoints[3 * k + 1], a->keypoint_scores[k] };
}

/* The COCO annotation of a journal annotation: as written, or selected by
 * `select` (FALSE: not kept), keypoints below its keypoint score written
 * as not labelled, as tools/label_set.c writes automatic labels. */
static gboolean
to_coco (const dd_journal_annotation *a, const dd_coco_dataset *categories,
    const dd_thresholds *select, dd_coco_annotation *ann, float *kp)
{
  *ann = (dd_coco_annotation) {
    .category_id = a->category_id,
    .n_keypoints = a->n_keypoints,
    .has_score = a->has_score,
    .score = a->has_score ? a->score : 0.0,
  };
  for (int k = 0; k < 4; k++)
    ann->bbox[k] = a->bbox[k];
  ann->area = ann->bbox[2] * ann->bbox[3];
  memcpy (kp, a->keypoints, sizeof (float) * 3 * a->n_keypoints);
  if (select) {
    dd_detection d;
    annotation_to_detection (a, categories, &d);
    if (d.class_index < 0 || !dd_thresholds_keep (select, &d))
      return FALSE;
    /* A keypoint the journal has as not labelled (below the sink's static
     * keypoint-threshold) has no coordinates to label: it stays out. */
    for (int k = 0; k < d.n_keypoints; k++)
      if (d.keypoints[k].score < select->keypoint_score || kp[3 * k + 2] == 0.0f)
        kp[3 * k] = kp[3 * k + 1] = kp[3 * k + 2] = 0.0f;
      else
        kp[3 * k + 2] = 2.0f;
  }
  for (int k = 0; k < ann->n_keypoints; k++)
    ann->num_keypoints += kp[3 * k + 2] > 0;
  ann->keypoints = ann->n_keypoints ? kp : NULL;
  return TRUE;
}

static const dd_journal_annotation *
entry_annotations (const dd_dataset_journal *j, const dd_journal_entry *e)
{
  return &g_array_index (j->annotations, dd_journal_annotation,
      e->first_annotation);
}

gboolean
dd_dataset_journal_each_frame (dd_dataset_journal *j,
    const dd_coco_dataset *categories,
    gboolean (*fn) (const dd_detection *candidates, int n, void *user,
        GError **error), void *user, GError **error)
{
  for (guint f = 0; f < j->entries->len; f++) {
    const dd_journal_entry *e = &g_array_index (j->entries,
        dd_journal_entry, f);
    const dd_journal_annotation *a = entry_annotations (j, e);
    g_array_set_size (j->candidates, e->n_annotations);
    dd_detection *dets = (dd_detection *) j->candidates->data;
    for (guint i = 0; i < e->n_annotations; i++)
      annotation_to_detection (&a[i], categories, &dets[i]);
    if (!fn (dets, (int) e->n_annotations, user, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
add_frame_to_coco (dd_dataset_journal *j, const dd_journal_entry *e,
    dd_coco_writer *w, const dd_coco_dataset *categories,
    const dd_thresholds *select, gint64 *next_ann_id, GError **error)
{
  dd_coco_image image = {
    .id = e->id,
    .file_name = (char *) e->file_name,
    .width = e->width,
    .height = e->height,
    .source_uri = (char *) e->source_uri,
    .timestamp_ns = e->timestamp_ns,
  };
  if (!dd_coco_writer_add_image (w, &image, error))
    return FALSE;
  const dd_journal_annotation *a = entry_annotations (j, e);
  for (guint i = 0; i < e->n_annotations; i++) {
    dd_coco_annotation ann;
    float kp[3 * DD_MAX_KEYPOINTS];
    if (!to_coco (&a[i], categories, select, &ann, kp))
      continue;
    ann.id = (*next_ann_id)++;
    ann.image_id = image.id;
    if (!dd_coco_writer_add_annotation (w, &ann, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
dd_dataset_journal_finish (dd_dataset_journal *j, const char *coco_name,
    const dd_coco_dataset *categories, const dd_thresholds *select,
    GError **error)
{
  g_autofree char *coco_path = g_build_filename (j->dir, coco_name, NULL);
  dd_coco_dataset *head = dd_coco_dataset_new ();
  for (guint i = 0; i < categories->categories->len; i++)
    dd_coco_add_category (head, &g_array_index (categories->categories,
            dd_coco_category, i));
  JsonNode *prov = json_object_get_member (json_node_get_object (j->header),
      "provenance");
  head->provenance = prov ? json_node_copy (prov) : NULL;
  if (select && head->provenance && JSON_NODE_HOLDS_OBJECT (head->provenance))
    json_object_set_member (json_node_get_object (head->provenance),
        "thresholds", dd_thresholds_to_json (select));
  dd_coco_writer *w = dd_coco_writer_new (coco_path, head, error);
  dd_coco_dataset_free (head);
  if (w == NULL)
    return FALSE;
  gint64 next_ann_id = 1;
  for (guint f = 0; f < j->entries->len; f++)
    if (!add_frame_to_coco (j, &g_array_index (j->entries, dd_journal_entry,
                f), w, categories, select, &next_ann_id, error)) {
      dd_coco_writer_abort (w);
      return FALSE;
    }
  return dd_coco_writer_finish (w, error);
}
