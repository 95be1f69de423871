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
