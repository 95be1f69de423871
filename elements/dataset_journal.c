/* A dataset folder written frame by frame: the journal, its recovery after
 * a crash, and the COCO file made from it. */
#include "elements/dataset_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct dd_dataset_journal {
  char *dir;
  char *path;                   /* the journal */
  int fd;                       /* appending */
  JsonNode *header;
  char *extension;
  int jpeg_quality;
  guint64 count;
  guint64 torn_bytes;           /* cut off the journal's end by _open */
  GHashTable *frames;           /* "uri\ntimestamp" of every frame written */
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

/* Appends one JSON line and flushes it to disk; on failure, the journal
 * is cut back to where it was, so no torn line stays behind. */
static gboolean
append_line (dd_dataset_journal *j, JsonNode *node, GError **error)
{
  char *text = json_to_string (node, FALSE);
  GString *line = g_string_new (text);
  g_free (text);
  g_string_append_c (line, '\n');
  off_t before = lseek (j->fd, 0, SEEK_END);
  gboolean ok = write_all (j->fd, line->str, line->len) && fdatasync (j->fd) == 0;
  int err = errno;
  g_string_free (line, TRUE);
  if (!ok) {
    if (before >= 0 && ftruncate (j->fd, before) != 0)
      g_warning ("%s: could not cut a failed write back", j->path);
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot append to the journal %s: %s", j->path, g_strerror (err));
  }
  return ok;
}

/* ---- Opening and recovery ------------------------------------------------ */

static gboolean
note_frame (dd_dataset_journal *j, JsonNode *node, guint line_no,
    GError **error)
{
  JsonObject *o = json_node_get_object (node);
  JsonNode *ts = json_object_get_member (o, "timestamp_ns");
  JsonNode *uri = json_object_get_member (o, "source_uri");
  if (ts == NULL || json_node_get_value_type (ts) != G_TYPE_INT64
      || (uri && !JSON_NODE_HOLDS_NULL (uri)
          && json_node_get_value_type (uri) != G_TYPE_STRING)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "journal %s, line %u: a frame without source_uri and timestamp_ns; "
        "the journal is not ddistill's, or damaged: move it away to start "
        "the dataset again", j->path, line_no);
    return FALSE;
  }
  const char *u = uri && !JSON_NODE_HOLDS_NULL (uri)
      ? json_node_get_string (uri) : NULL;
  g_hash_table_add (j->frames, frame_key (u,
          (guint64) json_node_get_int (ts)));
  j->count++;
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

/* Reads the journal: the header, then every frame's identity. A last line
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
  j->fd = -1;
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
  if (fstat (j->fd, &st) == 0 && st.st_size == 0
      && !append_line (j, j->header, error)) {
    dd_dataset_journal_close (j);
    return NULL;
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
  g_free (j->dir);
  g_free (j->path);
  json_node_unref (j->header);
  g_free (j->extension);
  g_hash_table_unref (j->frames);
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

static void
add_member_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_annotation (JsonBuilder *b, const dd_journal_annotation *a)
{
  json_builder_begin_object (b);
  add_member_int (b, "category_id", a->category_id);
  json_builder_set_member_name (b, "bbox");
  json_builder_begin_array (b);
  for (int i = 0; i < 4; i++)
    json_builder_add_double_value (b, a->bbox[i]);
  json_builder_end_array (b);
  if (a->has_score) {
    json_builder_set_member_name (b, "score");
    json_builder_add_double_value (b, a->score);
  }
  json_builder_set_member_name (b, "keypoints");
  json_builder_begin_array (b);
  for (int i = 0; i < 3 * a->n_keypoints; i++)
    json_builder_add_double_value (b, a->keypoints[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "keypoint_scores");
  json_builder_begin_array (b);
  for (int k = 0; k < a->n_keypoints; k++)
    json_builder_add_double_value (b, a->keypoint_scores[k]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static JsonNode *
frame_line (const dd_journal_frame *f, gint64 id, const char *file_name)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_member_int (b, "id", id);
  json_builder_set_member_name (b, "file_name");
  json_builder_add_string_value (b, file_name);
  add_member_int (b, "width", f->image->width);
  add_member_int (b, "height", f->image->height);
  json_builder_set_member_name (b, "source_uri");
  if (f->source_uri)
    json_builder_add_string_value (b, f->source_uri);
  else
    json_builder_add_null_value (b);
  add_member_int (b, "timestamp_ns", (gint64) f->timestamp_ns);
  add_member_int (b, "frame_index", f->frame_index);
  json_builder_set_member_name (b, "annotations");
  json_builder_begin_array (b);
  for (int i = 0; i < f->n_annotations; i++)
    add_annotation (b, &f->annotations[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
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
  JsonNode *line = frame_line (f, id, file_name);
  gboolean ok = append_line (j, line, error);
  json_node_unref (line);
  if (!ok) {
    g_free (file_name);
    return NULL;
  }
  g_hash_table_add (j->frames, frame_key (f->source_uri, f->timestamp_ns));
  j->count++;
  return file_name;
}

/* ---- The COCO file ------------------------------------------------------- */

/* The journal is ours, but a line may have been edited by hand: a missing
 * member reads as empty, and the COCO writer checks what matters. */
static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static double
double_element (JsonArray *a, guint i)
{
  JsonNode *n = a && i < json_array_get_length (a)
      ? json_array_get_element (a, i) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : 0.0;
}

/* An annotation of the journal as the detection it was made from (box
 * corners, score, keypoints with their scores): what calibration and
 * selection read. */
static void
annotation_to_detection (JsonObject *a, const dd_coco_dataset *categories,
    dd_detection *d)
{
  JsonArray *bbox = array_member (a, "bbox");
  JsonArray *kps = array_member (a, "keypoints");
  JsonArray *scores = array_member (a, "keypoint_scores");
  double x = double_element (bbox, 0), y = double_element (bbox, 1);
  *d = (dd_detection) {
    .class_index = dd_coco_find_category (categories, (int)
        json_object_get_int_member_with_default (a, "category_id", 0)),
    .box = { (float) x, (float) y, (float) (x + double_element (bbox, 2)),
      (float) (y + double_element (bbox, 3)) },
    .score = (float) json_object_get_double_member_with_default (a, "score",
        0.0),
    .n_keypoints = kps ? (int) MIN (json_array_get_length (kps) / 3,
        DD_MAX_KEYPOINTS) : 0,
  };
  for (int k = 0; k < d->n_keypoints; k++)
    d->keypoints[k] = (dd_keypoint) { (float) double_element (kps, 3 * k),
      (float) double_element (kps, 3 * k + 1),
      (float) double_element (scores, k) };
}

/* The COCO annotation of a journal annotation: as written, or selected by
 * `select` (FALSE: not kept), keypoints below its keypoint score written
 * as not labelled, as tools/label_set.c writes automatic labels. */
static gboolean
to_coco (JsonObject *a, const dd_coco_dataset *categories,
    const dd_thresholds *select, dd_coco_annotation *ann, float *kp)
{
  JsonArray *bbox = array_member (a, "bbox");
  JsonArray *kps = array_member (a, "keypoints");
  *ann = (dd_coco_annotation) {
    .category_id = (int) json_object_get_int_member_with_default (a,
        "category_id", 0),
    .n_keypoints = kps ? (int) MIN (json_array_get_length (kps) / 3,
        DD_MAX_KEYPOINTS) : 0,
    .has_score = json_object_has_member (a, "score"),
    .score = json_object_get_double_member_with_default (a, "score", 0.0),
  };
  for (guint k = 0; k < 4; k++)
    ann->bbox[k] = double_element (bbox, k);
  ann->area = ann->bbox[2] * ann->bbox[3];
  for (int k = 0; k < 3 * ann->n_keypoints; k++)
    kp[k] = (float) double_element (kps, (guint) k);
  if (select) {
    dd_detection d;
    annotation_to_detection (a, categories, &d);
    if (d.class_index < 0 || !dd_thresholds_keep (select, &d))
      return FALSE;
    for (int k = 0; k < d.n_keypoints; k++)
      if (d.keypoints[k].score < select->keypoint_score)
        kp[3 * k] = kp[3 * k + 1] = kp[3 * k + 2] = 0.0f;
      else
        kp[3 * k + 2] = 2.0f;
  }
  for (int k = 0; k < ann->n_keypoints; k++)
    ann->num_keypoints += kp[3 * k + 2] > 0;
  ann->keypoints = ann->n_keypoints ? kp : NULL;
  return TRUE;
}

typedef struct {
  dd_coco_writer *w;
  const dd_coco_dataset *categories;
  const dd_thresholds *select;
  gint64 next_ann_id;
} coco_out;

static gboolean
add_frame_to_coco (JsonObject *o, void *user, GError **error)
{
  coco_out *c = user;
  dd_coco_image image = {
    .id = json_object_get_int_member_with_default (o, "id", 0),
    .file_name = (char *) json_object_get_string_member_with_default (o,
        "file_name", ""),
    .width = (int) json_object_get_int_member_with_default (o, "width", 0),
    .height = (int) json_object_get_int_member_with_default (o, "height", 0),
    .source_uri = (char *) json_object_get_string_member_with_default (o,
        "source_uri", NULL),
    .timestamp_ns = json_object_get_int_member_with_default (o,
        "timestamp_ns", -1),
  };
  if (!dd_coco_writer_add_image (c->w, &image, error))
    return FALSE;
  JsonArray *anns = array_member (o, "annotations");
  for (guint i = 0; anns && i < json_array_get_length (anns); i++) {
    JsonNode *an = json_array_get_element (anns, i);
    dd_coco_annotation ann;
    float kp[3 * DD_MAX_KEYPOINTS];
    if (!JSON_NODE_HOLDS_OBJECT (an) || !to_coco (json_node_get_object (an),
            c->categories, c->select, &ann, kp))
      continue;
    ann.id = c->next_ann_id++;
    ann.image_id = image.id;
    if (!dd_coco_writer_add_annotation (c->w, &ann, error))
      return FALSE;
  }
  return TRUE;
}

/* Calls `fn` on every frame line of the journal, in order. */
static gboolean
each_line (dd_dataset_journal *j,
    gboolean (*fn) (JsonObject *frame, void *user, GError **error),
    void *user, GError **error)
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
  gboolean ok = TRUE;
  for (guint line_no = 1; ok && (n = getline (&buf, &cap, f)) > 0; line_no++) {
    if (line_no == 1)
      continue;
    JsonNode *node = parse_line (buf, n - 1);
    if (node == NULL) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "journal %s changed while the dataset was written from it (line %u)",
          j->path, line_no);
      ok = FALSE;
      break;
    }
    ok = fn (json_node_get_object (node), user, error);
    json_node_unref (node);
  }
  free (buf);
  fclose (f);
  return ok;
}

typedef struct {
  const dd_coco_dataset *categories;
  gboolean (*fn) (const dd_detection *, int, void *, GError **);
  void *user;
} candidates_out;

static gboolean
frame_candidates (JsonObject *o, void *user, GError **error)
{
  candidates_out *c = user;
  JsonArray *anns = array_member (o, "annotations");
  guint n = anns ? json_array_get_length (anns) : 0;
  dd_detection *dets = g_new (dd_detection, MAX (n, 1));
  int kept = 0;
  for (guint i = 0; i < n; i++) {
    JsonNode *an = json_array_get_element (anns, i);
    if (JSON_NODE_HOLDS_OBJECT (an))
      annotation_to_detection (json_node_get_object (an), c->categories,
          &dets[kept++]);
  }
  gboolean ok = c->fn (dets, kept, c->user, error);
  g_free (dets);
  return ok;
}

gboolean
dd_dataset_journal_each_frame (dd_dataset_journal *j,
    const dd_coco_dataset *categories,
    gboolean (*fn) (const dd_detection *candidates, int n, void *user,
        GError **error), void *user, GError **error)
{
  candidates_out c = { categories, fn, user };
  return each_line (j, frame_candidates, &c, error);
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
  coco_out c = { NULL, categories, select, 1 };
  c.w = dd_coco_writer_new (coco_path, head, error);
  dd_coco_dataset_free (head);
  if (c.w == NULL)
    return FALSE;
  if (!each_line (j, add_frame_to_coco, &c, error)) {
    dd_coco_writer_abort (c.w);
    return FALSE;
  }
  return dd_coco_writer_finish (c.w, error);
}
