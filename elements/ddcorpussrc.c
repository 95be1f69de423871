/**
 * SECTION:element-ddcorpussrc
 * @title: ddcorpussrc
 *
 * Plays a corpus of videos (a folder, a glob pattern, a list file or one
 * video: see corpus_list.h) one after another as a single stream of raw
 * video frames, and tags every frame with a DdFrameMeta: the video's URI,
 * the frame's timestamp in it, its index and size.
 *
 * Each video is decoded by a private pipeline of its own (file_decoder.h:
 * uridecodebin, so any container and codec GStreamer can decode, then
 * videoconvert into the formats downstream accepts). That keeps a bad
 * video's troubles inside: a corrupt, truncated, empty or unreadable file
 * is reported as a WARNING message naming the file (its details hold the
 * "uri") and skipped, and the rest of the corpus plays. A video that
 * decodes up to a cut and then ends (Matroska does) is reported too, its
 * frames up to the cut kept. Each video starts a stream of its own
 * (stream-start, caps, segment); running time goes on from one video to
 * the next, never back: a video starts at or after the running time the
 * frames before it reached, counted both in the segment that carried them
 * and in their video's first segment, since a consumer that seeks may keep
 * its seeks' segments to itself (ddsampler does) and go on placing frames
 * in the first one. A flushing seek starts running time again at 0
 * (unless it says its flushes stay with its sender,
 * DD_CORPUS_FLUSH_KEPT_FIELD), and the seek's segment counts as its
 * video's first. EOS follows the last
 * video, unless `watch` is set:
 * then the source keeps looking at the location every
 * `poll-interval` milliseconds and plays videos as they land (once a new
 * file's size and time have not changed for one interval, so a file being
 * copied is not read half-written; a look that fails after the first, as
 * on a network mount gone for a while, is a warning, and the next look
 * tries again). An EOS event sent to the element (as
 * gst-launch-1.0 -e does on Ctrl-C) ends the stream at once.
 *
 * `shard-index` / `shard-count` split a corpus between machines: every
 * machine keeps the videos whose key hashes to its index (corpus_list.h).
 *
 * Seeking (TIME, flushing or not) seeks within the current video; the
 * duration, seeking and URI queries answer for the current video. A seek
 * or query that names another video (DD_CORPUS_URI_FIELD, ddcorpussrc.h:
 * one that crossed a queue while the source moved on) is refused, and
 * each video's duration also comes down as a stream tag after its first
 * segment. Besides, a DD_CORPUS_NEXT_FILE upstream event ends the current
 * video early. ddsampler relies on these to decode only what it takes.
 *
 * After each video, and after the one an EOS request cuts short, an
 * element message "ddcorpussrc-file" is posted with "uri", "frames"
 * (frames pushed), "frames-decoded" (compressed frames fed to the
 * decoder) and "complete" (FALSE when cut short or failed).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/ddcorpussrc.h"

#include <gst/video/video.h>

#include "elements/corpus_list.h"
#include "elements/ddframemeta.h"
#include "elements/file_decoder.h"

GST_DEBUG_CATEGORY (dd_corpus_src_debug);
#define GST_CAT_DEFAULT dd_corpus_src_debug

#define DEFAULT_WATCH FALSE
#define DEFAULT_POLL_INTERVAL 1000
#define DEFAULT_SHARD_INDEX 0
#define DEFAULT_SHARD_COUNT 1
#define DEFAULT_START_TIMEOUT 10000
/* How long the streaming thread waits for a frame before it looks at its
 * flags again (flush, EOS request, skip). */
#define PULL_TIMEOUT (50 * GST_MSECOND)
/* How far short of its announced duration a video may end without being
 * reported as truncated: containers round, and the last frame's duration
 * is not always known. */
#define MAX_MISSING_END (500 * GST_MSECOND)

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_EXTENSIONS,
  PROP_WATCH,
  PROP_POLL_INTERVAL,
  PROP_SHARD_INDEX,
  PROP_SHARD_COUNT,
  PROP_START_TIMEOUT,
  PROP_CURRENT_URI,
  PROP_FRAMES_DECODED,
};

struct _DdCorpusSrc {
  GstElement parent;
  GstPad *srcpad;

  /* Properties, under the object lock. */
  gchar *location;
  gchar *extensions;
  gboolean watch;
  guint poll_interval;
  guint shard_index, shard_count;
  guint start_timeout;          /* ms */

  /* The current video: swapped by the streaming thread and read by
   * queries from any thread, under decoder_lock. */
  GMutex decoder_lock;
  dd_file_decoder *decoder;
  gchar *uri;
  GHashTable *keys;             /* each URI found: its corpus key (corpus_list.h) */
  guint64 decoded_before;       /* frames decoded by the videos before */

  /* Streaming state, under the pad's stream lock. */
  dd_corpus_list *list;
  GQueue pending;               /* URIs still to play */
  gint64 next_scan;             /* monotonic µs of the next look (watch) */
  gboolean scanned_once;        /* a look succeeded since the corpus opened */
  gboolean scan_failing;        /* watching: the last look failed (warned once) */
  GstCaps *caps;                /* caps pushed for the current video */
  gboolean need_segment;
  GstSegment segment;           /* the last segment pushed */
  GstSegment file_segment;      /* the current video's first segment */
  gboolean have_file_segment;
  guint32 segment_seqnum;       /* of the seek that asked for a new segment */
  gboolean after_seek;          /* frame counting no longer from the start */
  guint64 file_frames;          /* frames pushed from the current video */
  GstClockTime file_end;        /* stream time where its last frame ends */
  guint file_number;
  GstClockTime running_end;     /* running time reached in the last segment's
                                 * timeline (a flushing seek restarts it) */
  GstClockTime videos_end;      /* running time reached by the videos' frames
                                 * in their first segments */

  /* Requests from other threads (atomic), and the wait they interrupt. */
  gint flushing;
  gint eos_requested;
  gint skip_requested;
  GMutex wait_lock;
  GCond wait_cond;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));

#define dd_corpus_src_parent_class parent_class
G_DEFINE_TYPE (DdCorpusSrc, dd_corpus_src, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (ddcorpussrc, "ddcorpussrc", GST_RANK_NONE,
    DD_TYPE_CORPUS_SRC);

GstEvent *
dd_corpus_next_file_event_new (const gchar *uri)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new (DD_CORPUS_NEXT_FILE, "uri", G_TYPE_STRING, uri, NULL));
}

/* A file name for messages, the URI itself when it is not a local file;
 * valid UTF-8 either way, as bus messages must be, whatever bytes the
 * name has. */
static gchar *
display_name (const gchar *uri)
{
  g_autofree gchar *path = g_filename_from_uri (uri, NULL, NULL);
  return path ? g_filename_display_name (path) : g_utf8_make_valid (uri, -1);
}

static void
wake (DdCorpusSrc *self)
{
  g_mutex_lock (&self->wait_lock);
  g_cond_broadcast (&self->wait_cond);
  g_mutex_unlock (&self->wait_lock);
}

/* ---- Videos in and out --------------------------------------------------- */

/* The formats downstream takes in system memory, without sizes or rates:
 * the private pipeline converts the format only. */
static GstCaps *
downstream_formats (DdCorpusSrc *self)
{
  GstCaps *tmpl = gst_pad_get_pad_template_caps (self->srcpad);
  GstCaps *peer = gst_pad_peer_query_caps (self->srcpad, tmpl);
  gst_caps_unref (tmpl);
  GstCaps *formats = gst_caps_new_empty ();
  for (guint i = 0; i < gst_caps_get_size (peer); i++) {
    GstCapsFeatures *f = gst_caps_get_features (peer, i);
    if (f && !gst_caps_features_is_any (f)
        && !gst_caps_features_is_equal (f,
            GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
      continue;
    const GstStructure *s = gst_caps_get_structure (peer, i);
    GstStructure *only = gst_structure_new_empty ("video/x-raw");
    const GValue *format = gst_structure_get_value (s, "format");
    if (format)
      gst_structure_set_value (only, "format", format);
    formats = gst_caps_merge_structure (formats, only);
  }
  gst_caps_unref (peer);
  if (gst_caps_is_empty (formats)) {
    /* Nothing fits: decode anyway, and let the caps event fail with
     * downstream's own refusal. */
    gst_caps_unref (formats);
    formats = gst_caps_new_empty_simple ("video/x-raw");
  }
  return formats;
}

static void
post_file_done (DdCorpusSrc *self, gboolean complete, guint64 decoded)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("ddcorpussrc-file", "uri", G_TYPE_STRING,
              self->uri, "frames", G_TYPE_UINT64, self->file_frames,
              "frames-decoded", G_TYPE_UINT64, decoded, "complete",
              G_TYPE_BOOLEAN, complete, NULL)));
}

/* Closes the current video; `complete` when it was played to its end. */
static void
finish_file (DdCorpusSrc *self, gboolean complete)
{
  g_mutex_lock (&self->decoder_lock);
  dd_file_decoder *d = self->decoder;
  guint64 decoded = dd_file_decoder_frames_decoded (d);
  self->decoder = NULL;
  self->decoded_before += decoded;
  g_mutex_unlock (&self->decoder_lock);
  dd_file_decoder_close (d);
  GST_INFO_OBJECT (self, "%s: %" G_GUINT64_FORMAT " frames out, %"
      G_GUINT64_FORMAT " decoded%s", self->uri, self->file_frames, decoded,
      complete ? "" : " (not to its end)");
  post_file_done (self, complete, decoded);
  g_mutex_lock (&self->decoder_lock);
  g_clear_pointer (&self->uri, g_free);
  g_mutex_unlock (&self->decoder_lock);
}

/* Says on the bus that a video could not be played (any further), with the
 * file's name in the text and its URI in the details. */
static void
warn_about_file (DdCorpusSrc *self, const GError *e, gboolean skipped)
{
  gchar *name = display_name (self->uri);
  /* The decoder's message may quote the file's raw name. */
  g_autofree gchar *why = g_utf8_make_valid (e->message, -1);
  gchar *text = skipped
      ? g_strdup_printf ("Skipped video %s: %s", name, why)
      : g_strdup_printf ("Video %s: %s", name, why);
  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_WARNING, e->domain, e->code, text,
      g_strdup_printf ("ddcorpussrc went on with the %s", skipped
          ? "next video" : "same video"), __FILE__, GST_FUNCTION, __LINE__,
      gst_structure_new ("details", "uri", G_TYPE_STRING, self->uri, NULL));
  g_free (name);
}

/* Waits until `deadline` (monotonic µs) or a request from another thread. */
static void
wait_until (DdCorpusSrc *self, gint64 deadline)
{
  g_mutex_lock (&self->wait_lock);
  while (!g_atomic_int_get (&self->flushing)
      && !g_atomic_int_get (&self->eos_requested)
      && g_cond_wait_until (&self->wait_cond, &self->wait_lock, deadline));
  g_mutex_unlock (&self->wait_lock);
}

/* Looks at the corpus again. A failure is an error, except to a watcher
 * past its first look: a folder on a network mount that is gone for a
 * moment must not end a job meant to run for days, so it warns and the
 * next look tries again. */
static gboolean
rescan (DdCorpusSrc *self, gboolean watching)
{
  GError *e = NULL;
  GPtrArray *keys = NULL;
  GPtrArray *uris = dd_corpus_list_scan (self->list, watching, &keys, &e);
  if (uris == NULL && watching && self->scanned_once) {
    /* Once an outage: a poll a second would flood the bus. */
    if (!self->scan_failing)
      GST_ELEMENT_WARNING (self, RESOURCE, READ, ("Cannot read the corpus: %s",
              e->message), ("watching: looking again every poll-interval"));
    self->scan_failing = TRUE;
    g_error_free (e);
    return TRUE;
  }
  if (uris != NULL && self->scan_failing)
    GST_INFO_OBJECT (self, "the corpus can be read again");
  if (uris == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Cannot read the corpus: %s",
            e->message), (NULL));
    g_error_free (e);
    return FALSE;
  }
  self->scanned_once = TRUE;
  self->scan_failing = FALSE;
  g_mutex_lock (&self->decoder_lock);
  for (guint i = 0; i < uris->len; i++) {
    g_queue_push_tail (&self->pending, g_strdup (g_ptr_array_index (uris, i)));
    g_hash_table_replace (self->keys, g_strdup (g_ptr_array_index (uris, i)),
        g_strdup (g_ptr_array_index (keys, i)));
  }
  g_mutex_unlock (&self->decoder_lock);
  g_ptr_array_unref (uris);
  g_ptr_array_unref (keys);
  return TRUE;
}

/* A video that ended without a frame, or well before the duration its
 * container announced, is damaged: the first is skipped, the second keeps
 * the frames it gave; both are reported. Decoders do not always fail on a
 * cut file (Matroska plays up to the cut, then ends), hence the check. */
static gboolean
check_complete (DdCorpusSrc *self)
{
  GError *e = NULL;
  gint64 duration = -1;
  if (self->file_frames == 0) {
    g_set_error (&e, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
        "it holds no video frame (empty or truncated)");
  } else if (dd_file_decoder_duration (self->decoder, &duration)
      && self->file_end + MAX_MISSING_END < (guint64) duration) {
    g_set_error (&e, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
        "it ends at %.3f s of the %.3f s its container announces "
        "(truncated or damaged); its %" G_GUINT64_FORMAT " frames up to "
        "there were played", (double) self->file_end / GST_SECOND,
        (double) duration / GST_SECOND, self->file_frames);
  }
  if (e == NULL)
    return TRUE;
  warn_about_file (self, e, self->file_frames == 0);
  g_error_free (e);
  return FALSE;
}

static void
push_eos_and_pause (DdCorpusSrc *self)
{
  gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  gst_pad_pause_task (self->srcpad);
}

/* Opens the next video, or (watching) waits for one; FALSE when there is
 * none to play now. */
static gboolean
start_next_file (DdCorpusSrc *self)
{
  gchar *uri = g_queue_pop_head (&self->pending);
  if (uri == NULL) {
    GST_OBJECT_LOCK (self);
    gboolean watch = self->watch;
    gint64 interval = self->poll_interval * (gint64) 1000;
    GST_OBJECT_UNLOCK (self);
    if (!watch) {
      GST_INFO_OBJECT (self, "corpus played, EOS");
      push_eos_and_pause (self);
      return FALSE;
    }
    wait_until (self, self->next_scan);
    if (g_atomic_int_get (&self->flushing)
        || g_atomic_int_get (&self->eos_requested))
      return FALSE;
    self->next_scan = g_get_monotonic_time () + interval;
    if (!rescan (self, TRUE))
      push_eos_and_pause (self);
    return FALSE;
  }
  GstCaps *formats = downstream_formats (self);
  GST_OBJECT_LOCK (self);
  GstClockTime start_timeout = self->start_timeout * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  GError *e = NULL;
  dd_file_decoder *d = dd_file_decoder_open (uri, formats, start_timeout, &e);
  gst_caps_unref (formats);
  if (d == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", e->message), (NULL));
    g_error_free (e);
    g_free (uri);
    push_eos_and_pause (self);
    return FALSE;
  }
  g_mutex_lock (&self->decoder_lock);
  self->decoder = d;
  self->uri = uri;
  g_mutex_unlock (&self->decoder_lock);
  GST_INFO_OBJECT (self, "playing %s", uri);
  gchar *id = gst_pad_create_stream_id_printf (self->srcpad,
      GST_ELEMENT (self), "%u-%08x", self->file_number++, g_str_hash (uri));
  GstEvent *start = gst_event_new_stream_start (id);
  g_free (id);
  gst_event_set_group_id (start, gst_util_group_id_next ());
  gst_pad_push_event (self->srcpad, start);
  gst_clear_caps (&self->caps);
  self->need_segment = TRUE;
  self->have_file_segment = FALSE;
  self->segment_seqnum = gst_util_seqnum_next ();
  self->after_seek = FALSE;
  self->file_frames = 0;
  self->file_end = 0;
  g_atomic_int_set (&self->skip_requested, 0);
  return TRUE;
}

/* The video's duration as a stream tag, in order with its frames
 * (ddcorpussrc.h). */
static void
push_duration_tag (DdCorpusSrc *self)
{
  gint64 duration = -1;
  g_mutex_lock (&self->decoder_lock);
  gboolean known = self->decoder && dd_file_decoder_duration (self->decoder, &duration);
  g_mutex_unlock (&self->decoder_lock);
  if (!known || duration < 0)
    return;
  GstTagList *tags = gst_tag_list_new (GST_TAG_DURATION, (guint64) duration, NULL);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  gst_pad_push_event (self->srcpad, gst_event_new_tag (tags));
}

/* Whether a request's structure is about the video playing: one that
 * names another (DD_CORPUS_URI_FIELD) is not. Under decoder_lock. */
static gboolean
about_current (DdCorpusSrc *self, const GstStructure *s)
{
  const gchar *uri = s ? gst_structure_get_string (s, DD_CORPUS_URI_FIELD) : NULL;
  return uri == NULL || g_strcmp0 (uri, self->uri) == 0;
}

static void
attach_frame_meta (DdCorpusSrc *self, GstBuffer *buf, const GstSegment *seg,
    const GstVideoInfo *info)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  guint64 ts = GST_CLOCK_TIME_IS_VALID (pts)
      ? gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts) : 0;
  gint64 index = -1;
  if (GST_VIDEO_INFO_FPS_N (info) > 0 && GST_CLOCK_TIME_IS_VALID (pts))
    index = (gint64) gst_util_uint64_scale_round (ts,
        GST_VIDEO_INFO_FPS_N (info),
        (guint64) GST_VIDEO_INFO_FPS_D (info) * GST_SECOND);
  else if (!self->after_seek)
    index = (gint64) self->file_frames;
  dd_buffer_add_frame_meta (buf, self->uri, ts, index,
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  GstClockTime dur = GST_BUFFER_DURATION_IS_VALID (buf)
      ? GST_BUFFER_DURATION (buf) : 0;
  self->file_end = MAX (self->file_end, ts + dur);
}

/* Sends caps and segment when they are due, then the frame. Takes the
 * sample, and lets go of it before pushing: a consumer may seek from
 * inside the push, and the private appsink must then own its sample. */
static GstFlowReturn
push_sample (DdCorpusSrc *self, GstSample *sample)
{
  GstCaps *caps = gst_sample_get_caps (sample);
  GstVideoInfo info;
  if (caps == NULL || !gst_video_info_from_caps (&info, caps)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Video %s decoded to caps "
            "that are not raw video", self->uri), ("%" GST_PTR_FORMAT, caps));
    gst_sample_unref (sample);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (self->caps == NULL || !gst_caps_is_equal (caps, self->caps)) {
    gst_caps_replace (&self->caps, caps);
    gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  }
  GstSegment seg;
  gst_segment_copy_into (gst_sample_get_segment (sample), &seg);
  GstBuffer *buf = gst_buffer_ref (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  if (self->need_segment) {
    gboolean first = !self->have_file_segment;
    self->segment = seg;
    self->segment.base = self->running_end;
    if (first) {
      self->segment.base = MAX (self->running_end, self->videos_end);
      self->file_segment = self->segment;
      self->have_file_segment = TRUE;
    }
    GstEvent *ev = gst_event_new_segment (&self->segment);
    gst_event_set_seqnum (ev, self->segment_seqnum);
    gst_pad_push_event (self->srcpad, ev);
    self->need_segment = FALSE;
    /* Once a video: tags outlive a flush. */
    if (first && self->file_frames == 0)
      push_duration_tag (self);
  }
  buf = gst_buffer_make_writable (buf);
  attach_frame_meta (self, buf, &seg, &info);
  GstClockTime end = GST_BUFFER_PTS (buf);
  if (GST_CLOCK_TIME_IS_VALID (end) && GST_BUFFER_DURATION_IS_VALID (buf))
    end += GST_BUFFER_DURATION (buf);
  self->file_frames++;
  GstFlowReturn ret = gst_pad_push (self->srcpad, buf);
  GstClockTime running = gst_segment_to_running_time (&self->segment,
      GST_FORMAT_TIME, end);
  if (GST_CLOCK_TIME_IS_VALID (running))
    self->running_end = MAX (self->running_end, running);
  running = gst_segment_to_running_time (&self->file_segment, GST_FORMAT_TIME,
      end);
  if (GST_CLOCK_TIME_IS_VALID (running))
    self->videos_end = MAX (self->videos_end, running);
  return ret;
}

static void
handle_flow (DdCorpusSrc *self, GstFlowReturn ret)
{
  if (ret == GST_FLOW_OK)
    return;
  if (ret == GST_FLOW_FLUSHING) {
    /* Flushing for a seek: the seek restarts the task. A FLUSHING from a
     * seek that has already finished (one sent from inside this push) is
     * over, and the frame is simply gone. */
    if (g_atomic_int_get (&self->flushing) || GST_PAD_IS_FLUSHING (self->srcpad))
      gst_pad_pause_task (self->srcpad);
    return;
  }
  if (ret == GST_FLOW_EOS) {
    GST_INFO_OBJECT (self, "downstream wants no more, EOS");
  } else {
    GST_ELEMENT_FLOW_ERROR (self, ret);
  }
  push_eos_and_pause (self);
}

static void
dd_corpus_src_loop (gpointer user)
{
  DdCorpusSrc *self = user;
  if (g_atomic_int_get (&self->eos_requested)) {
    /* The video cut short gets its message, as every other one does. */
    if (self->decoder)
      finish_file (self, FALSE);
    push_eos_and_pause (self);
    return;
  }
  if (self->decoder == NULL && !start_next_file (self))
    return;
  GstSample *sample = NULL;
  GError *e = NULL;
  switch (dd_file_decoder_pull (self->decoder, PULL_TIMEOUT, &sample, &e)) {
    case DD_DECODE_FRAME:{
      GstFlowReturn ret = push_sample (self, sample);
      if (g_atomic_int_get (&self->skip_requested))
        finish_file (self, FALSE);
      handle_flow (self, ret);
      break;
    }
    case DD_DECODE_WAIT:
      if (g_atomic_int_get (&self->skip_requested))
        finish_file (self, FALSE);
      break;
    case DD_DECODE_WARNING:
      warn_about_file (self, e, FALSE);
      break;
    case DD_DECODE_END:
      finish_file (self, check_complete (self));
      break;
    case DD_DECODE_ERROR:
      warn_about_file (self, e, TRUE);
      finish_file (self, FALSE);
      break;
  }
  g_clear_error (&e);
}

/* ---- Seeking and other upstream requests --------------------------------- */

/* Whether a flushing seek starts running time again at 0 downstream: its
 * flushes reach the sinks, unless the seeker keeps them to itself. */
static gboolean
flush_restarts_time (GstEvent *seek)
{
  gboolean kept = FALSE;
  return !gst_structure_get_boolean (gst_event_get_structure (seek),
      DD_CORPUS_FLUSH_KEPT_FIELD, &kept) || !kept;
}

/* Seeks in the current video. A flushing seek flushes downstream and stops
 * the streaming thread first (it may be the thread asking: a consumer that
 * seeks from its chain function); either way the stream lock keeps the
 * seek and the next frame in order. */
static gboolean
handle_seek (DdCorpusSrc *self, GstEvent *event)
{
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (format != GST_FORMAT_TIME) {
    GST_DEBUG_OBJECT (self, "refusing a seek in %s", gst_format_get_name (format));
    return FALSE;
  }
  /* Checked before flushing, so that a seek meant for a video already
   * played flushes nothing of the one playing (a source switching videos
   * between this check and the flush is not covered). */
  g_mutex_lock (&self->decoder_lock);
  gboolean current = about_current (self, gst_event_get_structure (event));
  g_mutex_unlock (&self->decoder_lock);
  if (!current) {
    GST_DEBUG_OBJECT (self, "refusing a seek in %s, which no longer plays",
        gst_structure_get_string (gst_event_get_structure (event),
            DD_CORPUS_URI_FIELD));
    return FALSE;
  }
  guint32 seqnum = gst_event_get_seqnum (event);
  gboolean flush = (flags & GST_SEEK_FLAG_FLUSH) != 0;
  if (flush) {
    g_atomic_int_set (&self->flushing, 1);
    wake (self);
    GstEvent *fs = gst_event_new_flush_start ();
    gst_event_set_seqnum (fs, seqnum);
    gst_pad_push_event (self->srcpad, fs);
    gst_pad_pause_task (self->srcpad);
  }
  GST_PAD_STREAM_LOCK (self->srcpad);
  g_mutex_lock (&self->decoder_lock);
  gboolean ok = self->decoder && dd_file_decoder_seek (self->decoder, rate,
      flags, start_type, start, stop_type, stop);
  g_mutex_unlock (&self->decoder_lock);
  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT " in %s: %s",
      GST_TIME_ARGS (start), self->uri, ok ? "done" : "failed");
  /* A flush took the segment from downstream even if the seek failed. */
  if (ok || flush) {
    self->need_segment = TRUE;
    self->segment_seqnum = seqnum;
  }
  if (ok)
    self->after_seek = TRUE;
  if (flush) {
    GstEvent *fs = gst_event_new_flush_stop (TRUE);
    gst_event_set_seqnum (fs, seqnum);
    gst_pad_push_event (self->srcpad, fs);
    self->running_end = 0;
    if (flush_restarts_time (event)) {
      /* The videos before count no more, and the segment after the seek
       * is this video's first: the next video follows what this one
       * reaches from here. */
      self->videos_end = 0;
      self->have_file_segment = FALSE;
    }
    g_atomic_int_set (&self->flushing, 0);
    gst_pad_start_task (self->srcpad, dd_corpus_src_loop, self, NULL);
  }
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return ok;
}

static gboolean
handle_next_file (DdCorpusSrc *self, const GstStructure *s)
{
  const gchar *uri = gst_structure_get_string (s, "uri");
  g_mutex_lock (&self->decoder_lock);
  gboolean current = uri && g_strcmp0 (uri, self->uri) == 0;
  g_mutex_unlock (&self->decoder_lock);
  if (current)
    g_atomic_int_set (&self->skip_requested, 1);
  GST_DEBUG_OBJECT (self, "asked to end %s: %s", uri,
      current ? "ending it" : "not playing it");
  return current;
}

static gboolean
dd_corpus_src_src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (parent);
  gboolean ret = FALSE;
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      ret = handle_seek (self, event);
      break;
    case GST_EVENT_CUSTOM_UPSTREAM:{
      const GstStructure *s = gst_event_get_structure (event);
      if (gst_structure_has_name (s, DD_CORPUS_NEXT_FILE))
        ret = handle_next_file (self, s);
      break;
    }
    case GST_EVENT_RECONFIGURE:
      /* The formats are asked downstream again at the next video. */
      ret = TRUE;
      break;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
  gst_event_unref (event);
  return ret;
}

static gboolean
dd_corpus_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (parent);
  gboolean ret = FALSE;
  g_mutex_lock (&self->decoder_lock);
  /* A duration or seeking query about another video gets no answer. */
  dd_file_decoder *d = about_current (self, gst_query_get_structure (query))
      ? self->decoder : NULL;
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_DURATION:{
      GstFormat format;
      gint64 duration;
      gst_query_parse_duration (query, &format, NULL);
      if (format == GST_FORMAT_TIME && d
          && dd_file_decoder_duration (d, &duration)) {
        gst_query_set_duration (query, GST_FORMAT_TIME, duration);
        ret = TRUE;
      }
      break;
    }
    case GST_QUERY_SEEKING:{
      GstFormat format;
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      gint64 duration = -1;
      gboolean seekable = format == GST_FORMAT_TIME && d
          && dd_file_decoder_seekable (d);
      if (seekable)
        dd_file_decoder_duration (d, &duration);
      gst_query_set_seeking (query, format, seekable, 0, duration);
      ret = TRUE;
      break;
    }
    case GST_QUERY_URI:
      if (self->uri) {
        gst_query_set_uri (query, self->uri);
        ret = TRUE;
      }
      break;
    case GST_QUERY_CUSTOM:{
      /* Any video found so far, not only the current one: a key does not
       * change. */
      GstStructure *s = gst_query_writable_structure (query);
      const gchar *uri = gst_structure_get_string (s, DD_CORPUS_URI_FIELD);
      const gchar *key = gst_structure_has_name (s, DD_CORPUS_KEY_QUERY) && uri
          ? g_hash_table_lookup (self->keys, uri) : NULL;
      if (key == NULL) {
        g_mutex_unlock (&self->decoder_lock);
        return gst_pad_query_default (pad, parent, query);
      }
      gst_structure_set (s, "key", G_TYPE_STRING, key, NULL);
      ret = TRUE;
      break;
    }
    default:
      g_mutex_unlock (&self->decoder_lock);
      return gst_pad_query_default (pad, parent, query);
  }
  g_mutex_unlock (&self->decoder_lock);
  return ret;
}

/* An EOS sent to the element (gst-launch-1.0 -e on Ctrl-C) ends the stream
 * after the frame in flight. */
static gboolean
dd_corpus_src_send_event (GstElement *element, GstEvent *event)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (element);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GST_INFO_OBJECT (self, "EOS requested");
    g_atomic_int_set (&self->eos_requested, 1);
    wake (self);
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ---- Life cycle ---------------------------------------------------------- */

static gboolean
dd_corpus_src_activate_mode (GstPad *pad, GstObject *parent, GstPadMode mode,
    gboolean active)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (parent);
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    g_atomic_int_set (&self->flushing, 0);
    return gst_pad_start_task (pad, dd_corpus_src_loop, self, NULL);
  }
  g_atomic_int_set (&self->flushing, 1);
  wake (self);
  return gst_pad_stop_task (pad);
}

static gboolean
open_corpus (DdCorpusSrc *self)
{
  GST_OBJECT_LOCK (self);
  GError *e = NULL;
  self->list = dd_corpus_list_new (self->location, self->extensions,
      self->shard_index, self->shard_count, &e);
  gboolean watch = self->watch;
  gint64 interval = self->poll_interval * (gint64) 1000;
  GST_OBJECT_UNLOCK (self);
  if (self->list == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", e->message), (NULL));
    g_error_free (e);
    return FALSE;
  }
  /* Watching, the first look only notes the files: they are played once
   * the next look finds them unchanged. */
  self->scanned_once = self->scan_failing = FALSE;
  if (!rescan (self, watch))
    return FALSE;
  if (!watch && g_queue_is_empty (&self->pending))
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND, ("No videos in %s",
            self->location), ("the corpus is empty: EOS at once"));
  /* The next look one interval on, as for every later one: a file that
   * is still being copied in must have time to change. */
  self->next_scan = g_get_monotonic_time () + (watch ? interval : 0);
  self->running_end = 0;
  self->videos_end = 0;
  self->file_number = 0;
  self->decoded_before = 0;
  g_atomic_int_set (&self->eos_requested, 0);
  return TRUE;
}

static void
close_corpus (DdCorpusSrc *self)
{
  g_mutex_lock (&self->decoder_lock);
  g_clear_pointer (&self->decoder, dd_file_decoder_close);
  g_clear_pointer (&self->uri, g_free);
  g_hash_table_remove_all (self->keys);
  g_mutex_unlock (&self->decoder_lock);
  g_queue_clear_full (&self->pending, g_free);
  g_clear_pointer (&self->list, dd_corpus_list_free);
  gst_clear_caps (&self->caps);
}

static GstStateChangeReturn
dd_corpus_src_change_state (GstElement *element, GstStateChange transition)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !open_corpus (self)) {
    close_corpus (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    close_corpus (self);
  return ret;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_corpus_src_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_EXTENSIONS:
      g_free (self->extensions);
      self->extensions = g_value_dup_string (value);
      break;
    case PROP_WATCH:
      self->watch = g_value_get_boolean (value);
      break;
    case PROP_POLL_INTERVAL:
      self->poll_interval = g_value_get_uint (value);
      break;
    case PROP_SHARD_INDEX:
      self->shard_index = g_value_get_uint (value);
      break;
    case PROP_SHARD_COUNT:
      self->shard_count = g_value_get_uint (value);
      break;
    case PROP_START_TIMEOUT:
      self->start_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_corpus_src_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (object);
  if (prop_id == PROP_CURRENT_URI || prop_id == PROP_FRAMES_DECODED) {
    g_mutex_lock (&self->decoder_lock);
    if (prop_id == PROP_CURRENT_URI)
      g_value_set_string (value, self->uri);
    else
      g_value_set_uint64 (value, self->decoded_before + (self->decoder
              ? dd_file_decoder_frames_decoded (self->decoder) : 0));
    g_mutex_unlock (&self->decoder_lock);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_EXTENSIONS:
      g_value_set_string (value, self->extensions);
      break;
    case PROP_WATCH:
      g_value_set_boolean (value, self->watch);
      break;
    case PROP_POLL_INTERVAL:
      g_value_set_uint (value, self->poll_interval);
      break;
    case PROP_SHARD_INDEX:
      g_value_set_uint (value, self->shard_index);
      break;
    case PROP_SHARD_COUNT:
      g_value_set_uint (value, self->shard_count);
      break;
    case PROP_START_TIMEOUT:
      g_value_set_uint (value, self->start_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_corpus_src_finalize (GObject *object)
{
  DdCorpusSrc *self = DD_CORPUS_SRC (object);
  close_corpus (self);
  g_hash_table_unref (self->keys);
  g_free (self->location);
  g_free (self->extensions);
  g_mutex_clear (&self->decoder_lock);
  g_mutex_clear (&self->wait_lock);
  g_cond_clear (&self->wait_cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dd_corpus_src_class_init (DdCorpusSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = dd_corpus_src_set_property;
  gobject_class->get_property = dd_corpus_src_get_property;
  gobject_class->finalize = dd_corpus_src_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The corpus: a folder of videos, a list file (.txt or .list: one "
          "path or URI per line), a glob pattern, or one video", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_EXTENSIONS,
      g_param_spec_string ("extensions", "Extensions",
          "Comma-separated file extensions taken from a folder (other files, "
          "such as sidecar labels, are left alone)",
          DD_CORPUS_DEFAULT_EXTENSIONS, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_WATCH,
      g_param_spec_boolean ("watch", "Watch",
          "Keep running after the last video and play new videos as they "
          "land in the location (no EOS)", DEFAULT_WATCH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POLL_INTERVAL,
      g_param_spec_uint ("poll-interval", "Poll interval",
          "With watch: milliseconds between looks at the location; a new "
          "file is played once unchanged for one interval", 10, 3600000,
          DEFAULT_POLL_INTERVAL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SHARD_INDEX,
      g_param_spec_uint ("shard-index", "Shard index",
          "Which shard of the corpus to play, from 0 to shard-count - 1",
          0, G_MAXUINT - 1, DEFAULT_SHARD_INDEX, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SHARD_COUNT,
      g_param_spec_uint ("shard-count", "Shard count",
          "How many shards the corpus is split into (by a hash of each "
          "video's name: the same on every machine)", 1, G_MAXUINT,
          DEFAULT_SHARD_COUNT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_START_TIMEOUT,
      g_param_spec_uint ("start-timeout", "Start timeout",
          "Milliseconds a video may take to give its first frame before it "
          "is reported as damaged and skipped", 100, 3600000,
          DEFAULT_START_TIMEOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CURRENT_URI,
      g_param_spec_string ("current-uri", "Current URI",
          "The video being played", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FRAMES_DECODED,
      g_param_spec_uint64 ("frames-decoded", "Frames decoded",
          "Compressed video frames fed to the decoders since the start, "
          "including those decoded only to reach a seek target: the "
          "decoding work done", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  element_class->change_state = GST_DEBUG_FUNCPTR (dd_corpus_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (dd_corpus_src_send_event);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Video corpus source", "Source/Video",
      "Plays a folder, a glob or a list of videos one after another as raw "
      "frames tagged with their video and timestamp; watches for new videos "
      "and splits a corpus into shards", "ddistill");

  GST_DEBUG_CATEGORY_INIT (dd_corpus_src_debug, "ddcorpussrc", 0,
      "ddistill video corpus source");
}

static void
dd_corpus_src_init (DdCorpusSrc *self)
{
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (dd_corpus_src_src_event));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (dd_corpus_src_query));
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (dd_corpus_src_activate_mode));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);

  self->extensions = g_strdup (DD_CORPUS_DEFAULT_EXTENSIONS);
  self->watch = DEFAULT_WATCH;
  self->poll_interval = DEFAULT_POLL_INTERVAL;
  self->shard_index = DEFAULT_SHARD_INDEX;
  self->shard_count = DEFAULT_SHARD_COUNT;
  self->start_timeout = DEFAULT_START_TIMEOUT;
  g_mutex_init (&self->decoder_lock);
  g_mutex_init (&self->wait_lock);
  g_cond_init (&self->wait_cond);
  g_queue_init (&self->pending);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}
