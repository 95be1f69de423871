#include "video_frames.h"

#include <gst/gst.h>
#include <stdio.h>

#define COCO_FILE "annotations.json"

static gboolean
run_to_eos (GstElement *pipeline, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean started = gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE;
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, started ? GST_CLOCK_TIME_NONE : 0,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  gboolean ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg && !ok) {
    GError *e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    g_set_error (error, e->domain, e->code, "%s: %s", GST_MESSAGE_SRC_NAME (msg),
        e->message);
    g_error_free (e);
  } else if (!msg) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the frame sampling pipeline did not start");
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return ok;
}

char *
dd_video_frames_extract (const char *videos, int per_video, uint64_t seed,
    const char *out, GError **error)
{
  char *coco = g_build_filename (out, COCO_FILE, NULL);
  if (g_file_test (coco, G_FILE_TEST_IS_REGULAR))
    return coco;
  /* Every frame is every-k with k = 1. */
  g_autofree char *sampler = per_video > 0
      ? g_strdup_printf ("ddsampler mode=random count=%d seed=%" G_GUINT64_FORMAT,
          per_video, seed)
      : g_strdup ("ddsampler mode=every-k interval-frames=1");
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc name=src ! %s ! videoconvert "
      "! video/x-raw,format=RGB ! dddatasetsink name=sink coco-file=" COCO_FILE,
      sampler);
  GstElement *pipeline = gst_parse_launch (desc, error);
  if (!pipeline) {
    g_free (coco);
    return NULL;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", videos, NULL);
  g_object_set (sink, "location", out, NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  fprintf (stderr, "  %-9s sampling %s (%s) into %s\n", "frames", videos,
      per_video > 0 ? "random frames" : "every frame", out);
  gboolean ok = run_to_eos (pipeline, error);
  gst_object_unref (pipeline);
  if (!ok) {
    g_free (coco);
    return NULL;
  }
  return coco;
}

/* A frame's key: its video's path (relative in the truth, a file URI in
 * the frames) and time; matched by the relative path's suffix. */
static const dd_coco_image *
find_truth (const dd_coco_dataset *truth, const dd_coco_image *frame)
{
  for (guint i = 0; i < truth->images->len; i++) {
    const dd_coco_image *t = &g_array_index (truth->images, dd_coco_image, i);
    if (t->timestamp_ns != frame->timestamp_ns || !t->source_uri || !frame->source_uri)
      continue;
    g_autofree char *tail = g_strconcat ("/", t->source_uri, NULL);
    if (g_str_has_suffix (frame->source_uri, tail))
      return t;
  }
  return NULL;
}

dd_coco_dataset *
dd_video_frames_truth (const dd_coco_dataset *frames, const dd_coco_dataset *truth,
    GError **error)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  for (guint j = 0; j < truth->categories->len; j++)
    dd_coco_add_category (ds, &g_array_index (truth->categories, dd_coco_category, j));
  GHashTable *frame_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < frames->images->len; i++) {
    const dd_coco_image *f = &g_array_index (frames->images, dd_coco_image, i);
    const dd_coco_image *t = find_truth (truth, f);
    if (!t) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "frame %" G_GINT64_FORMAT
          " (%s at %" G_GINT64_FORMAT " ns) is not in the truth of its videos",
          f->id, f->source_uri ? f->source_uri : "no video", f->timestamp_ns);
      g_hash_table_destroy (frame_of);
      dd_coco_dataset_free (ds);
      return NULL;
    }
    dd_coco_add_image (ds, f);
    g_hash_table_insert (frame_of, (gpointer) &t->id, (gpointer) &f->id);
  }
  for (guint j = 0; j < truth->annotations->len; j++) {
    dd_coco_annotation a = g_array_index (truth->annotations, dd_coco_annotation, j);
    const int64_t *id = g_hash_table_lookup (frame_of, &a.image_id);
    if (!id)
      continue;
    a.image_id = *id;
    a.id = (int64_t) ds->annotations->len + 1;
    dd_coco_add_annotation (ds, &a);
  }
  g_hash_table_destroy (frame_of);
  return ds;
}
