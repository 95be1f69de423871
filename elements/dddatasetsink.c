/**
 * SECTION:element-dddatasetsink
 * @title: dddatasetsink
 *
 * Writes each frame it receives as an image, with the objects of its
 * DdDetectionsMeta as COCO annotations (box, score, keypoints), into a
 * dataset folder `location`, and at EOS the COCO JSON file `coco-file`
 * there. Every image records where it came from (source URI and timestamp,
 * from its DdFrameMeta); the dataset records how its labels were made (its
 * "provenance": the `provenance` given, plus the thresholds and image
 * settings).
 *
 * Crash-safe and resumable (dataset_journal.h): a frame counts as written
 * once its image and its journal line are on disk, and only then is it
 * reported (by the `frames-written` property and, with `post-messages`, a
 * "dddatasetsink" element message with "filename", "image-id",
 * "source-uri", "timestamp", "annotations" and "frames-written"). After a
 * crash or a kill, running the same pipeline again into the same location
 * skips the frames already written (by their identity, URI + timestamp:
 * `frames-skipped`), writes the rest, and the dataset at EOS is the one an
 * uninterrupted run writes. The COCO file is written atomically at every
 * EOS from the whole journal. A location has one writer at a time: a
 * second sink, in any process on the same machine, fails to start on a
 * folder another has open (an flock: over NFS, sinks on two machines do
 * not see each other's, so give each machine's shard its own location).
 *
 * Frames without a DdFrameMeta are identified by their timestamp alone.
 * Detections below `score-threshold` are left out; keypoints below
 * `keypoint-threshold` are written as not labelled (0, 0, 0). A detection's
 * class is the position of its category in `categories` (COCO's person
 * by default). With `labeled` (the manually labelled set, read when the
 * element starts), the thresholds
 * are calibrated at EOS by count matching over every frame of the
 * dataset, as the paper chooses them (lib/distill/calibrate.h), applied
 * to the COCO file and recorded in its provenance; the journal keeps all
 * candidates, so leave the static thresholds at 0 then (what they leave
 * out stays out, whatever the calibration chooses).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! ddsampler count=1 ! videoconvert ! dddatasetsink location=dataset/
 * ]|
 */
#include "elements/dddatasetsink.h"

#include <gst/video/video.h>
#include <string.h>

#include "distill/calibrate.h"
#include "elements/coco_person.h"
#include "elements/dataset_journal.h"
#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"

GST_DEBUG_CATEGORY_STATIC (dd_dataset_sink_debug);
#define GST_CAT_DEFAULT dd_dataset_sink_debug

typedef enum {
  DD_DATASET_IMAGE_JPEG,
  DD_DATASET_IMAGE_PNG,
} DdDatasetImageFormat;

#define DEFAULT_COCO_FILE "annotations.json"
#define DEFAULT_IMAGE_FORMAT DD_DATASET_IMAGE_JPEG
#define DEFAULT_JPEG_QUALITY 92
#define DEFAULT_SCORE_THRESHOLD 0.0
#define DEFAULT_KEYPOINT_THRESHOLD 0.0
#define DEFAULT_RESUME TRUE
#define DEFAULT_POST_MESSAGES FALSE

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_COCO_FILE,
  PROP_IMAGE_FORMAT,
  PROP_JPEG_QUALITY,
  PROP_CATEGORIES,
  PROP_SCORE_THRESHOLD,
  PROP_KEYPOINT_THRESHOLD,
  PROP_PROVENANCE,
  PROP_LABELED,
  PROP_RESUME,
  PROP_POST_MESSAGES,
  PROP_FRAMES_WRITTEN,
  PROP_FRAMES_SKIPPED,
};

/* What a run writes with: the properties as they were at start. */
typedef struct {
  gchar *location;
  gchar *coco_file;
  DdDatasetImageFormat image_format;
  gint jpeg_quality;
  gchar *categories_path;
  gdouble score_threshold, keypoint_threshold;
  gchar *provenance;
  gchar *labeled;
  gboolean resume;
} run_settings;

static void
run_settings_clear (run_settings *r)
{
  g_free (r->location);
  g_free (r->coco_file);
  g_free (r->categories_path);
  g_free (r->provenance);
  g_free (r->labeled);
  memset (r, 0, sizeof *r);
}

struct _DdDatasetSink {
  GstBaseSink parent;

  /* Properties and counters, under the object lock. */
  gchar *location;
  gchar *coco_file;
  DdDatasetImageFormat image_format;
  gint jpeg_quality;
  gchar *categories_path;
  gdouble score_threshold, keypoint_threshold;
  gchar *provenance;
  gchar *labeled;
  gboolean resume;
  gboolean post_messages;
  guint64 frames_written, frames_skipped;

  /* Between start and stop, in the streaming thread. */
  run_settings run;
  dd_dataset_journal *journal;
  dd_coco_dataset *categories;
  dd_labeled_stats labeled_stats;       /* with `labeled`: what to match */
  GstVideoInfo info;
  gboolean warned_identity;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("RGB")));

#define dd_dataset_sink_parent_class parent_class
G_DEFINE_TYPE (DdDatasetSink, dd_dataset_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (dddatasetsink, "dddatasetsink", GST_RANK_NONE,
    DD_TYPE_DATASET_SINK);

GType
dd_dataset_image_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {DD_DATASET_IMAGE_JPEG, "JPEG images (.jpg)", "jpeg"},
    {DD_DATASET_IMAGE_PNG, "PNG images (.png, lossless)", "png"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("DdDatasetImageFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- Header: categories and provenance ----------------------------------- */

static dd_coco_dataset *
load_categories (const gchar *path, GError **error)
{
  if (path == NULL) {
    dd_coco_dataset *ds = dd_coco_dataset_new ();
    dd_coco_person_add_category (ds);
    return ds;
  }
  dd_coco_dataset *ds = dd_coco_read (path, error);
  if (ds && ds->categories->len == 0) {
    g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD,
        "%s has no categories: give a COCO file whose categories are the "
        "model's classes, in the model's order", path);
    g_clear_pointer (&ds, dd_coco_dataset_free);
  }
  return ds;
}

static void
add_category_json (JsonBuilder *b, const dd_coco_category *c)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, c->id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, c->name);
  json_builder_set_member_name (b, "keypoints");
  json_builder_begin_array (b);
  for (int k = 0; k < c->n_keypoints; k++)
    json_builder_add_string_value (b, c->keypoint_names[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "skeleton");
  json_builder_begin_array (b);
  for (int e = 0; e < c->n_skeleton; e++) {
    json_builder_begin_array (b);
    json_builder_add_int_value (b, c->skeleton[e][0]);
    json_builder_add_int_value (b, c->skeleton[e][1]);
    json_builder_end_array (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The dataset's provenance: the user's object, plus how this sink wrote. */
static JsonNode *
build_provenance (const run_settings *run, GError **error)
{
  JsonObject *o = NULL;
  if (run->provenance && *run->provenance) {
    JsonParser *p = json_parser_new ();
    if (json_parser_load_from_data (p, run->provenance, -1, NULL)
        && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
      o = json_object_ref (json_node_get_object (json_parser_get_root (p)));
    g_object_unref (p);
    if (o == NULL) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "provenance must be a JSON object, such as "
          "{\"teacher\": \"model.safetensors\"}; got: %s", run->provenance);
      return NULL;
    }
  } else {
    o = json_object_new ();
  }
  JsonObject *w = json_object_new ();
  json_object_set_string_member (w, "element", "dddatasetsink");
  json_object_set_string_member (w, "image_format",
      run->image_format == DD_DATASET_IMAGE_PNG ? "png" : "jpg");
  json_object_set_int_member (w, "jpeg_quality", run->jpeg_quality);
  json_object_set_double_member (w, "score_threshold", run->score_threshold);
  json_object_set_double_member (w, "keypoint_threshold",
      run->keypoint_threshold);
  if (run->labeled)
    json_object_set_string_member (w, "calibrated_on", run->labeled);
  json_object_set_object_member (o, "dataset_writer", w);
  JsonNode *node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return node;
}

static JsonNode *
build_header (DdDatasetSink *self, GError **error)
{
  JsonNode *prov = build_provenance (&self->run, error);
  if (prov == NULL)
    return NULL;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ddistill_journal");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "categories");
  json_builder_begin_array (b);
  GArray *cats = self->categories->categories;
  for (guint i = 0; i < cats->len; i++)
    add_category_json (b, &g_array_index (cats, dd_coco_category, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "provenance");
  json_builder_add_value (b, prov);
  json_builder_end_object (b);
  JsonNode *header = json_builder_get_root (b);
  g_object_unref (b);
  return header;
}

/* ---- Start and stop ------------------------------------------------------ */

/* The labeled set's counts per image, read at start: a `labeled` that
 * cannot be read, or that labels none of the categories, stops the start,
 * not the EOS after the whole run. */
static gboolean
read_labeled_stats (DdDatasetSink *self, GError **error)
{
  dd_coco_dataset *labeled = dd_coco_read (self->run.labeled, error);
  if (labeled == NULL)
    return FALSE;
  GArray *cats = self->categories->categories;
  const char **names = g_new0 (const char *, cats->len + 1);
  for (guint i = 0; i < cats->len; i++)
    names[i] = g_array_index (cats, dd_coco_category, i).name;
  gboolean ok = dd_labeled_stats_from_coco (labeled, names, (int) cats->len,
      &self->labeled_stats, error);
  g_free (names);
  dd_coco_dataset_free (labeled);
  return ok;
}

static gboolean
dd_dataset_sink_start (GstBaseSink *sink)
{
  DdDatasetSink *self = DD_DATASET_SINK (sink);
  run_settings *run = &self->run;
  GST_OBJECT_LOCK (self);
  *run = (run_settings) {
    .location = g_strdup (self->location),
    .coco_file = g_strdup (self->coco_file),
    .image_format = self->image_format,
    .jpeg_quality = self->jpeg_quality,
    .categories_path = g_strdup (self->categories_path),
    .score_threshold = self->score_threshold,
    .keypoint_threshold = self->keypoint_threshold,
    .provenance = g_strdup (self->provenance),
    .labeled = g_strdup (self->labeled),
    .resume = self->resume,
  };
  GST_OBJECT_UNLOCK (self);
  if (run->location == NULL || *run->location == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No dataset location "
            "given"), ("set location to the dataset folder"));
    run_settings_clear (run);
    return FALSE;
  }
  if (run->coco_file == NULL || *run->coco_file == '\0'
      || strchr (run->coco_file, G_DIR_SEPARATOR) != NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("coco-file must name a file in the "
            "dataset folder, not '%s'", run->coco_file ? run->coco_file : ""),
        ("e.g. coco-file=annotations.json"));
    run_settings_clear (run);
    return FALSE;
  }
  GError *e = NULL;
  self->categories = load_categories (run->categories_path, &e);
  if (self->categories && run->labeled && !read_labeled_stats (self, &e)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("labeled: %s", e->message),
        ("the manually labelled set the thresholds are calibrated on"));
    g_error_free (e);
    g_clear_pointer (&self->categories, dd_coco_dataset_free);
    run_settings_clear (run);
    return FALSE;
  }
  JsonNode *header = self->categories ? build_header (self, &e) : NULL;
  if (header) {
    self->journal = dd_dataset_journal_open (run->location, header,
        run->image_format == DD_DATASET_IMAGE_PNG ? "png" : "jpg",
        run->jpeg_quality, run->resume, &e);
    json_node_unref (header);
  }
  if (self->journal == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("%s", e->message), (NULL));
    g_error_free (e);
    g_clear_pointer (&self->categories, dd_coco_dataset_free);
    dd_labeled_stats_clear (&self->labeled_stats);
    run_settings_clear (run);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->frames_written = dd_dataset_journal_count (self->journal);
  self->frames_skipped = 0;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "dataset %s: %" G_GUINT64_FORMAT " frames already "
      "written", run->location, dd_dataset_journal_count (self->journal));
  if (dd_dataset_journal_torn_bytes (self->journal))
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("Dataset %s: the last run "
            "stopped while writing a frame; its %" G_GUINT64_FORMAT " bytes "
            "of journal were dropped and the frame will be written again",
            run->location, dd_dataset_journal_torn_bytes (self->journal)),
        (NULL));
  self->warned_identity = FALSE;
  return TRUE;
}

static gboolean
dd_dataset_sink_stop (GstBaseSink *sink)
{
  DdDatasetSink *self = DD_DATASET_SINK (sink);
  g_clear_pointer (&self->journal, dd_dataset_journal_close);
  g_clear_pointer (&self->categories, dd_coco_dataset_free);
  dd_labeled_stats_clear (&self->labeled_stats);
  run_settings_clear (&self->run);
  return TRUE;
}

static gboolean
dd_dataset_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  DdDatasetSink *self = DD_DATASET_SINK (sink);
  if (!gst_video_info_from_caps (&self->info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Caps that are not raw "
            "video: %" GST_PTR_FORMAT, caps), (NULL));
    return FALSE;
  }
  return TRUE;
}

/* ---- Frames -------------------------------------------------------------- */

static dd_image *
frame_to_image (const GstVideoFrame *frame)
{
  int w = GST_VIDEO_FRAME_WIDTH (frame), h = GST_VIDEO_FRAME_HEIGHT (frame);
  dd_image *img = dd_image_new (w, h, NULL);
  if (img == NULL)
    return NULL;
  const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  for (int y = 0; y < h; y++)
    memcpy (img->data + (size_t) y * 3 * w, src + (size_t) y * stride,
        (size_t) 3 * w);
  return img;
}

/* COCO annotations of the detections, in the frame's pixels. FALSE, with
 * the element error posted, when a detection cannot be one. */
static gboolean
detections_to_annotations (DdDatasetSink *self, const DdDetectionsMeta *dm,
    const dd_journal_frame *f, GArray *out)
{
  const gchar *from = f->source_uri ? f->source_uri : "a frame without "
      "DdFrameMeta";
  double sx = dm->width > 0 ? (double) GST_VIDEO_INFO_WIDTH (&self->info)
      / dm->width : 1.0;
  double sy = dm->height > 0 ? (double) GST_VIDEO_INFO_HEIGHT (&self->info)
      / dm->height : 1.0;
  GArray *cats = self->categories->categories;
  for (guint i = 0; i < dm->n_detections; i++) {
    const dd_detection *d = &dm->detections[i];
    if (d->score < self->run.score_threshold)
      continue;
    if (d->class_index < 0 || (guint) d->class_index >= cats->len) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A detection of class %d in "
              "%s at %" GST_TIME_FORMAT ", but the dataset has %u categories",
              d->class_index, from, GST_TIME_ARGS (f->timestamp_ns),
              cats->len),
          ("set categories to a COCO file with the model's classes, in order"));
      return FALSE;
    }
    const dd_coco_category *c = &g_array_index (cats, dd_coco_category,
        d->class_index);
    if (d->n_keypoints != 0 && d->n_keypoints != c->n_keypoints) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Detections with %d keypoints "
              "in %s at %" GST_TIME_FORMAT ", but category '%s' has %d",
              d->n_keypoints, from, GST_TIME_ARGS (f->timestamp_ns), c->name,
              c->n_keypoints), ("set categories to the model's"));
      return FALSE;
    }
    dd_journal_annotation a = { .category_id = c->id, .has_score = TRUE,
      .score = d->score, .n_keypoints = d->n_keypoints };
    a.bbox[0] = d->box[0] * sx;
    a.bbox[1] = d->box[1] * sy;
    a.bbox[2] = MAX (0.0, (d->box[2] - d->box[0]) * sx);
    a.bbox[3] = MAX (0.0, (d->box[3] - d->box[1]) * sy);
    for (int k = 0; k < d->n_keypoints; k++) {
      const dd_keypoint *kp = &d->keypoints[k];
      gboolean seen = kp->score >= self->run.keypoint_threshold;
      a.keypoints[3 * k] = seen ? (float) (kp->x * sx) : 0.0f;
      a.keypoints[3 * k + 1] = seen ? (float) (kp->y * sy) : 0.0f;
      a.keypoints[3 * k + 2] = seen ? 2.0f : 0.0f;
      a.keypoint_scores[k] = kp->score;
    }
    g_array_append_val (out, a);
  }
  return TRUE;
}

static void
post_written (DdDatasetSink *self, const gchar *file_name,
    const dd_journal_frame *f, guint64 written)
{
  gchar *path = g_build_filename (self->run.location, file_name, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("dddatasetsink", "filename", G_TYPE_STRING, path,
              "image-id", G_TYPE_UINT64, written, "source-uri", G_TYPE_STRING,
              f->source_uri, "timestamp", G_TYPE_UINT64, f->timestamp_ns,
              "annotations", G_TYPE_INT, f->n_annotations, "frames-written",
              G_TYPE_UINT64, written, NULL)));
  g_free (path);
}

static GstFlowReturn
write_frame (DdDatasetSink *self, GstBuffer *buf, dd_journal_frame *f)
{
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A frame of %s smaller than "
            "its caps say (%" G_GSIZE_FORMAT " bytes for %dx%d RGB)",
            f->source_uri ? f->source_uri : "a stream without DdFrameMeta",
            gst_buffer_get_size (buf), GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info)), (NULL));
    return GST_FLOW_ERROR;
  }
  dd_image *img = frame_to_image (&frame);
  gst_video_frame_unmap (&frame);
  GArray *anns = g_array_new (FALSE, FALSE, sizeof (dd_journal_annotation));
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (buf);
  GstFlowReturn ret = GST_FLOW_ERROR;
  if (img && (dm == NULL || detections_to_annotations (self, dm, f, anns))) {
    f->image = img;
    f->annotations = (const dd_journal_annotation *) anns->data;
    f->n_annotations = (int) anns->len;
    GError *e = NULL;
    gchar *file_name = dd_dataset_journal_append (self->journal, f, &e);
    if (file_name) {
      GST_OBJECT_LOCK (self);
      guint64 written = ++self->frames_written;
      gboolean post = self->post_messages;
      GST_OBJECT_UNLOCK (self);
      GST_LOG_OBJECT (self, "wrote %s", file_name);
      if (post)
        post_written (self, file_name, f, written);
      g_free (file_name);
      ret = GST_FLOW_OK;
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", e->message), (NULL));
      g_error_free (e);
    }
  }
  g_array_unref (anns);
  dd_image_free (img);
  return ret;
}

static GstFlowReturn
dd_dataset_sink_render (GstBaseSink *sink, GstBuffer *buf)
{
  DdDatasetSink *self = DD_DATASET_SINK (sink);
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  dd_journal_frame f = { .frame_index = -1 };
  if (fm) {
    f.source_uri = fm->uri;
    f.timestamp_ns = fm->timestamp_ns;
    f.frame_index = fm->frame_index;
  } else {
    if (!self->warned_identity)
      GST_WARNING_OBJECT (self, "frames without a DdFrameMeta: known by their "
          "timestamps alone");
    self->warned_identity = TRUE;
    f.timestamp_ns = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : 0;
  }
  if (dd_dataset_journal_contains (self->journal, f.source_uri,
          f.timestamp_ns)) {
    GST_DEBUG_OBJECT (self, "%s at %" GST_TIME_FORMAT " is written already",
        f.source_uri, GST_TIME_ARGS (f.timestamp_ns));
    GST_OBJECT_LOCK (self);
    self->frames_skipped++;
    GST_OBJECT_UNLOCK (self);
    return GST_FLOW_OK;
  }
  return write_frame (self, buf, &f);
}

static gboolean
add_candidates (const dd_detection *dets, int n, void *user, GError **error)
{
  return dd_calibrator_add_image (user, dets, n, error);
}

/* The thresholds that make the automatic labels as many per image as the
 * labeled set's (count matching, lib/distill/calibrate.h), over every
 * frame in the journal; the dataset's categories are the classes. */
static gboolean
calibrate (DdDatasetSink *self, dd_thresholds *out, GError **error)
{
  GArray *cats = self->categories->categories;
  int n_keypoints = 0;
  for (guint i = 0; i < cats->len; i++)
    n_keypoints = MAX (n_keypoints, g_array_index (cats, dd_coco_category,
            i).n_keypoints);
  dd_calibrator *c = dd_calibrator_new ((int) cats->len, n_keypoints);
  gboolean ok = dd_dataset_journal_each_frame (self->journal, self->categories,
      add_candidates, c, error)
      && dd_calibrator_finish (c, &self->labeled_stats, out, error);
  dd_calibrator_free (c);
  return ok;
}

/* At EOS the COCO file is written from the journal, before EOS goes on to
 * the application: when it sees EOS, the dataset is complete. */
static gboolean
dd_dataset_sink_event (GstBaseSink *sink, GstEvent *event)
{
  DdDatasetSink *self = DD_DATASET_SINK (sink);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->journal) {
    GST_OBJECT_LOCK (self);
    gboolean post = self->post_messages;
    GST_OBJECT_UNLOCK (self);
    const gchar *coco = self->run.coco_file;
    GError *e = NULL;
    dd_thresholds thresholds = { 0 };
    gboolean calibrated = self->run.labeled != NULL;
    gboolean ok = (!calibrated || calibrate (self, &thresholds, &e))
        && dd_dataset_journal_finish (self->journal, coco, self->categories,
        calibrated ? &thresholds : NULL, &e);
    if (calibrated)
      dd_thresholds_clear (&thresholds);
    if (!ok) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", e->message), (NULL));
      g_error_free (e);
    } else if (post) {
      gchar *path = g_build_filename (self->run.location, coco, NULL);
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("dddatasetsink-finished", "filename",
                  G_TYPE_STRING, path, "frames-written", G_TYPE_UINT64,
                  dd_dataset_journal_count (self->journal), NULL)));
      g_free (path);
    }
    if (!ok) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_dataset_sink_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  DdDatasetSink *self = DD_DATASET_SINK (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_COCO_FILE:
      g_free (self->coco_file);
      self->coco_file = g_value_dup_string (value);
      break;
    case PROP_IMAGE_FORMAT:
      self->image_format = g_value_get_enum (value);
      break;
    case PROP_JPEG_QUALITY:
      self->jpeg_quality = g_value_get_int (value);
      break;
    case PROP_CATEGORIES:
      g_free (self->categories_path);
      self->categories_path = g_value_dup_string (value);
      break;
    case PROP_SCORE_THRESHOLD:
      self->score_threshold = g_value_get_double (value);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      self->keypoint_threshold = g_value_get_double (value);
      break;
    case PROP_PROVENANCE:
      g_free (self->provenance);
      self->provenance = g_value_dup_string (value);
      break;
    case PROP_LABELED:
      g_free (self->labeled);
      self->labeled = g_value_dup_string (value);
      break;
    case PROP_RESUME:
      self->resume = g_value_get_boolean (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_dataset_sink_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdDatasetSink *self = DD_DATASET_SINK (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_COCO_FILE:
      g_value_set_string (value, self->coco_file);
      break;
    case PROP_IMAGE_FORMAT:
      g_value_set_enum (value, self->image_format);
      break;
    case PROP_JPEG_QUALITY:
      g_value_set_int (value, self->jpeg_quality);
      break;
    case PROP_CATEGORIES:
      g_value_set_string (value, self->categories_path);
      break;
    case PROP_SCORE_THRESHOLD:
      g_value_set_double (value, self->score_threshold);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      g_value_set_double (value, self->keypoint_threshold);
      break;
    case PROP_PROVENANCE:
      g_value_set_string (value, self->provenance);
      break;
    case PROP_LABELED:
      g_value_set_string (value, self->labeled);
      break;
    case PROP_RESUME:
      g_value_set_boolean (value, self->resume);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_FRAMES_WRITTEN:
      g_value_set_uint64 (value, self->frames_written);
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64 (value, self->frames_skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_dataset_sink_finalize (GObject *object)
{
  DdDatasetSink *self = DD_DATASET_SINK (object);
  g_free (self->location);
  g_free (self->coco_file);
  g_free (self->categories_path);
  g_free (self->provenance);
  g_free (self->labeled);
  dd_dataset_journal_close (self->journal);
  if (self->categories)
    dd_coco_dataset_free (self->categories);
  run_settings_clear (&self->run);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define RW_READY (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS \
    | GST_PARAM_MUTABLE_READY)

static void
dd_dataset_sink_class_init (DdDatasetSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = dd_dataset_sink_set_property;
  gobject_class->get_property = dd_dataset_sink_get_property;
  gobject_class->finalize = dd_dataset_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The dataset folder (created if missing): images/, journal.jsonl "
          "and the COCO file", NULL, RW_READY));
  g_object_class_install_property (gobject_class, PROP_COCO_FILE,
      g_param_spec_string ("coco-file", "COCO file",
          "Name of the COCO JSON file written in the location at EOS",
          DEFAULT_COCO_FILE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_IMAGE_FORMAT,
      g_param_spec_enum ("image-format", "Image format",
          "How frames are stored", DD_TYPE_DATASET_IMAGE_FORMAT,
          DEFAULT_IMAGE_FORMAT, RW_READY));
  g_object_class_install_property (gobject_class, PROP_JPEG_QUALITY,
      g_param_spec_int ("jpeg-quality", "JPEG quality",
          "libjpeg quality of JPEG images", 1, 100, DEFAULT_JPEG_QUALITY,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_CATEGORIES,
      g_param_spec_string ("categories", "Categories",
          "A COCO JSON file whose categories the dataset uses, a detection's "
          "class being the position of its category (default: COCO's person "
          "with 17 keypoints)", NULL, RW_READY));
  g_object_class_install_property (gobject_class, PROP_SCORE_THRESHOLD,
      g_param_spec_double ("score-threshold", "Score threshold",
          "Detections scoring below this are not written", 0.0, G_MAXDOUBLE,
          DEFAULT_SCORE_THRESHOLD, RW_READY));
  g_object_class_install_property (gobject_class, PROP_KEYPOINT_THRESHOLD,
      g_param_spec_double ("keypoint-threshold", "Keypoint threshold",
          "Keypoints scoring below this are written as not labelled "
          "(0, 0, 0)", 0.0, G_MAXDOUBLE, DEFAULT_KEYPOINT_THRESHOLD,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_PROVENANCE,
      g_param_spec_string ("provenance", "Provenance",
          "A JSON object recorded as the dataset's provenance (teacher, "
          "transforms, calibration), beside the writer's own settings", NULL,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_LABELED,
      g_param_spec_string ("labeled", "Labeled set",
          "The manually labelled COCO set: at EOS, each class's score "
          "threshold and the keypoint threshold are chosen so that the "
          "automatic labels are as many per image as its labels (count "
          "matching), applied to the COCO file and recorded in its "
          "provenance (the journal keeps every candidate)", NULL, RW_READY));
  g_object_class_install_property (gobject_class, PROP_RESUME,
      g_param_spec_boolean ("resume", "Resume",
          "Continue a dataset whose journal is in the location, skipping "
          "the frames it holds (FALSE: refuse to start on one)",
          DEFAULT_RESUME, RW_READY));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post an element message for every frame written and when the "
          "COCO file is complete", DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FRAMES_WRITTEN,
      g_param_spec_uint64 ("frames-written", "Frames written",
          "Frames in the dataset, those of earlier runs included", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FRAMES_SKIPPED,
      g_param_spec_uint64 ("frames-skipped", "Frames skipped",
          "Frames received in this run that the dataset already held", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Distillation dataset sink", "Sink/File",
      "Writes frames and their labels as a COCO dataset with provenance; "
      "crash-safe, and resumes without duplicates", "ddistill");

  sink_class->start = GST_DEBUG_FUNCPTR (dd_dataset_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (dd_dataset_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (dd_dataset_sink_set_caps);
  sink_class->render = GST_DEBUG_FUNCPTR (dd_dataset_sink_render);
  sink_class->event = GST_DEBUG_FUNCPTR (dd_dataset_sink_event);

  gst_type_mark_as_plugin_api (DD_TYPE_DATASET_IMAGE_FORMAT, 0);
  GST_DEBUG_CATEGORY_INIT (dd_dataset_sink_debug, "dddatasetsink", 0,
      "ddistill dataset sink");
}

static void
dd_dataset_sink_init (DdDatasetSink *self)
{
  self->coco_file = g_strdup (DEFAULT_COCO_FILE);
  self->image_format = DEFAULT_IMAGE_FORMAT;
  self->jpeg_quality = DEFAULT_JPEG_QUALITY;
  self->score_threshold = DEFAULT_SCORE_THRESHOLD;
  self->keypoint_threshold = DEFAULT_KEYPOINT_THRESHOLD;
  self->resume = DEFAULT_RESUME;
  self->post_messages = DEFAULT_POST_MESSAGES;
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
