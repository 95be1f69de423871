/* Encoding RGB frames to H.264/MP4 or VP8/Matroska with GStreamer. */
#include "video_writer.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

G_DEFINE_QUARK (dd-video-error-quark, dd_video_error)

/* How long finishing may take before the pipeline is declared stuck. */
#define FINISH_TIMEOUT (300 * GST_SECOND)

struct dd_video_writer {
  GstElement *pipeline;
  GstElement *src;
  GstVideoInfo info;
  char *path, *part_path;       /* written to part_path, renamed when done */
  int fps;
  uint64_t frames;
};

static const struct {
  const char *name, *extension, *encoder, *muxer;
} codecs[DD_VIDEO_CODEC_COUNT] = {
  [DD_VIDEO_H264_MP4] = { "h264", ".mp4", "x264enc", "mp4mux" },
  [DD_VIDEO_VP8_MKV] = { "vp8", ".mkv", "vp8enc", "matroskamux" },
};

const char *
dd_video_codec_name (dd_video_codec codec)
{
  return codecs[codec].name;
}

const char *
dd_video_codec_extension (dd_video_codec codec)
{
  return codecs[codec].extension;
}

gboolean
dd_video_codec_from_name (const char *name, dd_video_codec *codec)
{
  for (int i = 0; i < DD_VIDEO_CODEC_COUNT; i++)
    if (g_strcmp0 (name, codecs[i].name) == 0) {
      *codec = i;
      return TRUE;
    }
  return FALSE;
}

uint64_t
dd_video_frame_time (uint64_t index, int fps)
{
  return gst_util_uint64_scale (index, GST_SECOND, (guint64) fps);
}

static GstElement *
make_element (const char *factory, const char *path, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (!e) {
    const char *package = g_str_equal (factory, "x264enc")
        ? "gstreamer1.0-plugins-ugly"
        : g_str_has_prefix (factory, "video") || g_str_has_prefix (factory, "app")
        ? "gstreamer1.0-plugins-base" : "gstreamer1.0-plugins-good";
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_PLUGIN,
        "%s: the GStreamer element '%s' is not installed (Debian: apt install %s)",
        path, factory, package);
  }
  return e;
}

/* One thread per encoder keeps the bitstream independent of the machine. */
static void
configure_encoder (GstElement *enc, dd_video_codec codec, int width,
    int height, int fps)
{
  if (codec == DD_VIDEO_H264_MP4) {
    g_object_set (enc, "threads", 1, "bframes", 0, "key-int-max", 2 * fps,
        "quantizer", 20, NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "pass", "qual");
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "veryfast");
  } else {
    /* About one bit per pixel: plenty for small frames, fast to encode. */
    g_object_set (enc, "threads", 1, "deadline", (gint64) 1, "cpu-used", 4,
        "target-bitrate", width * height * fps, "keyframe-max-dist", 2 * fps,
        NULL);
  }
}

/* The first error the pipeline posted, as a GError about the file. */
static gboolean
pipeline_error (dd_video_writer *w, GstMessage *msg, GError **error)
{
  GError *gst_error = NULL;
  char *debug = NULL;
  gst_message_parse_error (msg, &gst_error, &debug);
  g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
      "%s: writing the video failed in %s: %s (%s)", w->path,
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), gst_error->message,
      debug ? debug : "no details");
  g_clear_error (&gst_error);
  g_free (debug);
  gst_message_unref (msg);
  return FALSE;
}

static gboolean
check_bus (dd_video_writer *w, GError **error)
{
  GstBus *bus = gst_element_get_bus (w->pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  return msg ? pipeline_error (w, msg, error) : TRUE;
}

static void
writer_free (dd_video_writer *w, gboolean keep)
{
  if (w->pipeline) {
    gst_element_set_state (w->pipeline, GST_STATE_NULL);
    gst_object_unref (w->pipeline);
  }
  if (!keep)
    g_unlink (w->part_path);
  g_free (w->path);
  g_free (w->part_path);
  g_free (w);
}

static gboolean
build_pipeline (dd_video_writer *w, dd_video_codec codec, int width,
    int height, int fps, GError **error)
{
  const char *names[5] = { "appsrc", "videoconvert", codecs[codec].encoder,
    codecs[codec].muxer, "filesink" };
  GstElement *e[5];
  for (int i = 0; i < 5; i++)
    if (!(e[i] = make_element (names[i], w->path, error))) {
      for (int j = 0; j < i; j++)
        gst_object_unref (e[j]);
      return FALSE;
    }
  w->pipeline = gst_pipeline_new ("dd-video-writer");
  gst_bin_add_many (GST_BIN (w->pipeline), e[0], e[1], e[2], e[3], e[4], NULL);
  w->src = e[0];

  gst_video_info_set_format (&w->info, GST_VIDEO_FORMAT_RGB, width, height);
  w->info.fps_n = fps;
  w->info.fps_d = 1;
  GstCaps *caps = gst_video_info_to_caps (&w->info);
  g_object_set (w->src, "caps", caps, "format", GST_FORMAT_TIME, "block", TRUE,
      "max-bytes", (guint64) (4 * w->info.size), NULL);
  gst_caps_unref (caps);
  configure_encoder (e[2], codec, width, height, fps);
  if (codec == DD_VIDEO_VP8_MKV)
    g_object_set (e[3], "writing-app", "ddistill", NULL);
  g_object_set (e[4], "location", w->part_path, NULL);
  if (!gst_element_link_many (e[0], e[1], e[2], e[3], e[4], NULL)) {
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
        "%s: could not link appsrc ! videoconvert ! %s ! %s ! filesink",
        w->path, codecs[codec].encoder, codecs[codec].muxer);
    return FALSE;
  }
  if (gst_element_set_state (w->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    if (check_bus (w, error))
      g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
          "%s: the encoding pipeline would not start", w->path);
    return FALSE;
  }
  return TRUE;
}

dd_video_writer *
dd_video_writer_new (const char *path, dd_video_codec codec, int width,
    int height, int fps, GError **error)
{
  if (codec < 0 || codec >= DD_VIDEO_CODEC_COUNT || width <= 0 || height <= 0
      || width % 2 || height % 2 || fps < 1 || fps > 240) {
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_ARGUMENT,
        "%s: cannot encode %dx%d at %d fps: sizes must be even and positive, "
        "the rate 1 to 240", path, width, height, fps);
    return NULL;
  }
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  dd_video_writer *w = g_new0 (dd_video_writer, 1);
  w->path = g_strdup (path);
  w->part_path = g_strconcat (path, ".part", NULL);
  w->fps = fps;
  if (!build_pipeline (w, codec, width, height, fps, error)) {
    writer_free (w, FALSE);
    return NULL;
  }
  return w;
}

gboolean
dd_video_writer_push (dd_video_writer *w, const dd_image *frame, GError **error)
{
  int width = GST_VIDEO_INFO_WIDTH (&w->info);
  int height = GST_VIDEO_INFO_HEIGHT (&w->info);
  if (frame->width != width || frame->height != height) {
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_ARGUMENT,
        "%s: frame %" G_GUINT64_FORMAT " is %dx%d, the video is %dx%d",
        w->path, w->frames, frame->width, frame->height, width, height);
    return FALSE;
  }
  if (!check_bus (w, error))
    return FALSE;
  /* GStreamer's RGB rows are padded to 4 bytes; dd_image's are not. */
  GstBuffer *buf = gst_buffer_new_allocate (NULL, w->info.size, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  int stride = GST_VIDEO_INFO_PLANE_STRIDE (&w->info, 0);
  for (int y = 0; y < height; y++)
    memcpy (map.data + (size_t) y * stride,
        frame->data + (size_t) y * 3 * width, (size_t) 3 * width);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = dd_video_frame_time (w->frames, w->fps);
  GST_BUFFER_DURATION (buf) = dd_video_frame_time (w->frames + 1, w->fps)
      - GST_BUFFER_PTS (buf);
  GstFlowReturn flow = gst_app_src_push_buffer (GST_APP_SRC (w->src), buf);
  if (flow != GST_FLOW_OK) {
    if (check_bus (w, error))
      g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
          "%s: the encoder refused frame %" G_GUINT64_FORMAT " (%s)", w->path,
          w->frames, gst_flow_get_name (flow));
    return FALSE;
  }
  w->frames++;
  return TRUE;
}

gboolean
dd_video_writer_finish (dd_video_writer *w, GError **error)
{
  gboolean ok = TRUE;
  gst_app_src_end_of_stream (GST_APP_SRC (w->src));
  GstBus *bus = gst_element_get_bus (w->pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, FINISH_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  if (!msg) {
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
        "%s: the encoder did not finish within %d s", w->path,
        (int) (FINISH_TIMEOUT / GST_SECOND));
    ok = FALSE;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    ok = pipeline_error (w, msg, error);
  } else {
    gst_message_unref (msg);
  }
  gst_element_set_state (w->pipeline, GST_STATE_NULL);
  if (ok && g_rename (w->part_path, w->path) != 0) {
    g_set_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM,
        "%s: could not rename %s into place: %s", w->path, w->part_path,
        g_strerror (errno));
    ok = FALSE;
  }
  writer_free (w, ok);
  return ok;
}
