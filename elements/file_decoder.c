/* One video decoded in a private pipeline: building it, pulling frames,
 * seeking, and counting the decoder's work. */
#include "elements/file_decoder.h"

#include <gst/app/gstappsink.h>
#include <stdatomic.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (dd_corpus_src_debug);
#define GST_CAT_DEFAULT dd_corpus_src_debug

struct dd_file_decoder {
  GstElement *pipeline;
  GstElement *convert;
  GstAppSink *sink;
  GstBus *bus;
  gint video_linked;            /* atomic: the first video pad is linked */
  gint no_more_pads;            /* atomic: uridecodebin exposed all it will */
  atomic_uint_fast64_t frames_decoded;
  gint64 start_deadline;        /* monotonic µs by which a frame must come */
  gboolean started;             /* a frame came */
  gboolean missing_video;       /* a missing-plugin message named video caps */
  GstClockTime start_timeout;
};

static GstPadProbeReturn
count_decoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  dd_file_decoder *d = user;
  guint n = 1;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  atomic_fetch_add (&d->frames_decoded, n);
  return GST_PAD_PROBE_OK;
}

/* Counts what goes into every video decoder uridecodebin plugs. */
static void
on_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element,
    gpointer user)
{
  (void) bin;
  (void) sub_bin;
  GstElementFactory *factory = gst_element_get_factory (element);
  if (factory == NULL)
    return;
  const char *klass = gst_element_factory_get_metadata (factory,
      GST_ELEMENT_METADATA_KLASS);
  if (klass == NULL || !strstr (klass, "Decoder") || !strstr (klass, "Video"))
    return;
  GstPad *sink = gst_element_get_static_pad (element, "sink");
  if (sink == NULL)
    return;
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER
      | GST_PAD_PROBE_TYPE_BUFFER_LIST, count_decoder_input, user, NULL);
  gst_object_unref (sink);
}

/* The first raw video pad feeds the converter; any other stream is
 * discarded by a fakesink of its own, so it cannot stall the first. */
static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user)
{
  (void) decodebin;
  dd_file_decoder *d = user;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  gboolean video = caps && !gst_caps_is_empty (caps)
      && g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps,
              0)), "video/x-raw");
  gst_clear_caps (&caps);
  if (video && g_atomic_int_compare_and_exchange (&d->video_linked, 0, 1)) {
    GstPad *sink = gst_element_get_static_pad (d->convert, "sink");
    GstPadLinkReturn r = gst_pad_link (pad, sink);
    gst_object_unref (sink);
    if (r == GST_PAD_LINK_OK)
      return;
    GST_WARNING ("cannot link %s: %s", GST_PAD_NAME (pad),
        gst_pad_link_get_name (r));
  }
  GstElement *discard = gst_element_factory_make ("fakesink", NULL);
  g_object_set (discard, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (d->pipeline), discard);
  gst_element_sync_state_with_parent (discard);
  GstPad *sink = gst_element_get_static_pad (discard, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

static void
on_no_more_pads (GstElement *decodebin, gpointer user)
{
  (void) decodebin;
  dd_file_decoder *d = user;
  g_atomic_int_set (&d->no_more_pads, 1);
}

static GstElement *
make (const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (e == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer element '%s' is not installed (Debian: "
        "gstreamer1.0-plugins-base)", factory);
  return e;
}

dd_file_decoder *
dd_file_decoder_open (const char *uri, GstCaps *caps,
    GstClockTime start_timeout, GError **error)
{
  GstElement *src = make ("uridecodebin", error);
  GstElement *convert = src ? make ("videoconvert", error) : NULL;
  GstElement *sink = convert ? make ("appsink", error) : NULL;
  if (sink == NULL) {
    gst_clear_object (&src);
    gst_clear_object (&convert);
    return NULL;
  }
  dd_file_decoder *d = g_new0 (dd_file_decoder, 1);
  d->pipeline = gst_pipeline_new (NULL);
  d->convert = convert;
  d->sink = GST_APP_SINK (sink);
  GstCaps *raw = gst_caps_from_string ("video/x-raw(ANY)");
  g_object_set (src, "uri", uri, "caps", raw, "expose-all-streams", FALSE,
      NULL);
  gst_caps_unref (raw);
  g_object_set (sink, "sync", FALSE, "max-buffers", 2, "drop", FALSE,
      "enable-last-sample", FALSE, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (d->pipeline), src, convert, sink, NULL);
  gst_element_link (convert, sink);
  g_signal_connect (d->pipeline, "deep-element-added",
      G_CALLBACK (on_element_added), d);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), d);
  g_signal_connect (src, "no-more-pads", G_CALLBACK (on_no_more_pads), d);
  d->bus = gst_element_get_bus (d->pipeline);
  d->start_timeout = start_timeout;
  d->start_deadline = g_get_monotonic_time ()
      + (gint64) GST_TIME_AS_USECONDS (start_timeout);
  /* A failure here (no source for the URI's scheme) is on the bus too, and
   * _pull reports it like any other. */
  gst_element_set_state (d->pipeline, GST_STATE_PLAYING);
  return d;
}

void
dd_file_decoder_close (dd_file_decoder *d)
{
  if (d == NULL)
    return;
  gst_element_set_state (d->pipeline, GST_STATE_NULL);
  gst_object_unref (d->bus);
  gst_object_unref (d->pipeline);
  g_free (d);
}

/* Notes whether a "missing-plugin" element message is about a video
 * stream: decodebin, asked for raw video only, also posts them for the
 * audio streams it will not decode. */
static void
note_missing_plugin (dd_file_decoder *d, GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const GValue *detail = s ? gst_structure_get_value (s, "detail") : NULL;
  if (detail == NULL || !GST_VALUE_HOLDS_CAPS (detail)) {
    d->missing_video = TRUE;    /* not known: say what decodebin says */
    return;
  }
  const GstCaps *caps = gst_value_get_caps (detail);
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    if (g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, i)),
            "video/"))
      d->missing_video = TRUE;
}

/* The first error or warning waiting on the bus, if any. */
static dd_decode_result
check_bus (dd_file_decoder *d, GError **error)
{
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (d->bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      if (gst_message_has_name (msg, "missing-plugin"))
        note_missing_plugin (d, msg);
      gst_message_unref (msg);
      continue;
    }
    GError *e = NULL;
    gchar *debug = NULL;
    gboolean is_error = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;
    if (is_error)
      gst_message_parse_error (msg, &e, &debug);
    else
      gst_message_parse_warning (msg, &e, &debug);
    GST_DEBUG ("%s from %s: %s (%s)", is_error ? "error" : "warning",
        GST_MESSAGE_SRC_NAME (msg), e->message, debug ? debug : "");
    g_free (debug);
    gst_message_unref (msg);
    if (g_error_matches (e, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN)
        && !d->missing_video && !g_atomic_int_get (&d->video_linked)) {
      /* Only other streams lacked a decoder: the file has no video. */
      g_clear_error (&e);
      g_set_error (&e, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
          "it has no video stream");
    }
    g_propagate_error (error, e);
    return is_error ? DD_DECODE_ERROR : DD_DECODE_WARNING;
  }
  return DD_DECODE_WAIT;
}

dd_decode_result
dd_file_decoder_pull (dd_file_decoder *d, GstClockTime timeout,
    GstSample **sample, GError **error)
{
  *sample = NULL;
  dd_decode_result r = check_bus (d, error);
  if (r != DD_DECODE_WAIT)
    return r;
  *sample = gst_app_sink_try_pull_sample (d->sink, timeout);
  if (*sample) {
    d->started = TRUE;
    return DD_DECODE_FRAME;
  }
  r = check_bus (d, error);
  if (r != DD_DECODE_WAIT)
    return r;
  if (gst_app_sink_is_eos (d->sink))
    return DD_DECODE_END;
  if (g_atomic_int_get (&d->no_more_pads) && !g_atomic_int_get (&d->video_linked)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        "it has no video stream");
    return DD_DECODE_ERROR;
  }
  if (!d->started && g_get_monotonic_time () > d->start_deadline) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
        "no frame could be decoded within %.1f s (damaged, or a source that "
        "does not answer)", (double) d->start_timeout / GST_SECOND);
    return DD_DECODE_ERROR;
  }
  return DD_DECODE_WAIT;
}

gboolean
dd_file_decoder_seek (dd_file_decoder *d, gdouble rate, GstSeekFlags flags,
    GstSeekType start_type, gint64 start, GstSeekType stop_type, gint64 stop)
{
  return gst_element_seek (d->pipeline, rate, GST_FORMAT_TIME,
      flags | GST_SEEK_FLAG_FLUSH, start_type, start, stop_type, stop);
}

gboolean
dd_file_decoder_seekable (dd_file_decoder *d)
{
  GstQuery *q = gst_query_new_seeking (GST_FORMAT_TIME);
  gboolean seekable = FALSE;
  if (gst_element_query (d->pipeline, q))
    gst_query_parse_seeking (q, NULL, &seekable, NULL, NULL);
  gst_query_unref (q);
  return seekable;
}

gboolean
dd_file_decoder_duration (dd_file_decoder *d, gint64 *duration)
{
  return gst_element_query_duration (d->pipeline, GST_FORMAT_TIME, duration)
      && *duration >= 0;
}

guint64
dd_file_decoder_frames_decoded (dd_file_decoder *d)
{
  return atomic_load (&d->frames_decoded);
}
