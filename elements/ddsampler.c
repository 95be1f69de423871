/**
 * SECTION:element-ddsampler
 * @title: ddsampler
 *
 * Keeps the static frames that distillation labels and drops the others:
 * `mode=random` takes `count` frames per video (seeded: the paper takes one
 * frame per video), `every-k` every `interval-frames`-th frame, `every-t`
 * one frame every `interval` seconds (sample_plan.h has the exact rules).
 * A video is one stream: a stream-start begins the next, and its frames
 * are known by their DdFrameMeta (URI, timestamp) or, without one, by the
 * stream id and the buffers' stream time.
 *
 * ## Seeking, so that the cost follows the frames taken
 *
 * Decoding is what costs, so the sampler avoids decoding frames it drops.
 * When the next wanted frame is more than `seek-threshold` seconds ahead
 * of the frame just seen, it sends upstream a flushing seek to the
 * keyframe before that frame (from its chain function: ddcorpussrc serves
 * such seeks on its private per-video pipeline, demuxers seek from the
 * streaming thread as usual), and drops the frames from that keyframe to
 * the wanted one, as an accurate seek would (maybe_seek says why it is not
 * one). So a frame costs at most one keyframe interval of decoding,
 * wherever it lies in the video. Closer frames are decoded through, which
 * is cheaper than a seek back to their keyframe. When a video needs no
 * more frames (random mode, all taken; every-k or every-t past the end),
 * the sampler sends ddcorpussrc's DD_CORPUS_NEXT_FILE event so that the
 * rest of the video is never decoded; another upstream gets a seek to the
 * end instead.
 *
 * The flushes and the segment that answer the sampler's own seek carry the
 * seek's seqnum: the sampler keeps them from going downstream, so a seek
 * never flushes frames already taken (queued further down) and downstream
 * sees one segment per video, in which the taken frames keep their
 * timestamps. The decoding work is visible as ddcorpussrc's
 * `frames-decoded` (tests/elements/test_sampler.c checks that it grows with
 * the frames taken, not with the video's length).
 *
 * An upstream that cannot seek (a live source) is simply decoded through.
 *
 * A queue between ddcorpussrc and the sampler lets the source run on
 * into the next video while the sampler still sees the last one, so the
 * sampler takes each video's duration from its stream tag
 * (GST_TAG_DURATION, which ddcorpussrc sends in order with the frames)
 * before asking upstream, and names the video in its queries and seeks
 * (DD_CORPUS_URI_FIELD, ddcorpussrc.h): ddcorpussrc refuses those about a
 * video it no longer plays, and the sampler then decodes through. The
 * frames taken are the same; only the seeks' savings are lost.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! ddsampler mode=random count=1 seed=7 ! videoconvert ! pngenc ! multifilesink location=frame-%05d.png
 * ]|
 */
#include "elements/ddsampler.h"

#include <gst/video/video.h>

#include "elements/ddcorpussrc.h"
#include "elements/ddframemeta.h"
#include "elements/sample_plan.h"

GST_DEBUG_CATEGORY_STATIC (dd_sampler_debug);
#define GST_CAT_DEFAULT dd_sampler_debug

#define DEFAULT_MODE DD_SAMPLE_RANDOM
#define DEFAULT_COUNT 1
#define DEFAULT_SEED 0
#define DEFAULT_INTERVAL_FRAMES 30
#define DEFAULT_INTERVAL 1.0
#define DEFAULT_SEEK_THRESHOLD 1.0

enum {
  PROP_0,
  PROP_MODE,
  PROP_COUNT,
  PROP_SEED,
  PROP_INTERVAL_FRAMES,
  PROP_INTERVAL,
  PROP_SEEK_THRESHOLD,
  PROP_FRAMES_TAKEN,
};

struct _DdSampler {
  GstBaseTransform parent;

  /* Properties, under the object lock. */
  dd_sample_params params;
  gdouble seek_threshold;       /* seconds; < 0 never */
  guint64 frames_taken;

  /* The current stream, in the streaming thread. */
  gchar *stream_id;
  GstSegment segment;           /* the stream's own, not our seeks' */
  gint fps_n, fps_d;
  gboolean have_plan;
  dd_sample_plan plan;
  gchar *uri;                   /* whose frames these are */
  gboolean uri_from_meta;       /* uri is a DdFrameMeta's, not the stream id */
  gboolean seekable;
  GstClockTime duration;
  GstClockTime tagged_duration; /* from the stream's duration tag, if any */
  gboolean finished;            /* no more frames wanted from this stream */
  guint32 seek_seqnum;          /* of our last seek; its flushes and segment stay here */
  GstClockTime sought;          /* the frame time our last seek went for */
};

#define dd_sampler_parent_class parent_class
G_DEFINE_TYPE (DdSampler, dd_sampler, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ddsampler, "ddsampler", GST_RANK_NONE,
    DD_TYPE_SAMPLER);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

GType
dd_sampler_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {DD_SAMPLE_RANDOM, "count frames per video, chosen at random (seeded)",
        "random"},
    {DD_SAMPLE_EVERY_K, "every interval-frames-th frame", "every-k"},
    {DD_SAMPLE_EVERY_T, "one frame every interval seconds", "every-t"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("DdSamplerMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
reset_stream (DdSampler *self)
{
  if (self->have_plan)
    dd_sample_plan_clear (&self->plan);
  self->have_plan = FALSE;
  self->finished = FALSE;
  self->seek_seqnum = 0;
  self->sought = GST_CLOCK_TIME_NONE;
  self->tagged_duration = GST_CLOCK_TIME_NONE;
  g_clear_pointer (&self->uri, g_free);
}

/* Names the video a request is about (ddcorpussrc.h): a source that has
 * moved on, behind a queue, then refuses it instead of applying it to
 * the next video. */
static void
name_video (DdSampler *self, GstStructure *s)
{
  if (self->uri_from_meta)
    gst_structure_set (s, DD_CORPUS_URI_FIELD, G_TYPE_STRING, self->uri, NULL);
}

/* ---- Upstream requests --------------------------------------------------- */

/* Asks upstream for the frame at `target`, marking the answer as ours. */
static gboolean
send_seek (DdSampler *self, GstClockTime target, GstSeekFlags flags)
{
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH | flags, GST_SEEK_TYPE_SET, (gint64) target,
      GST_SEEK_TYPE_NONE, -1);
  GstStructure *s = gst_event_writable_structure (seek);
  name_video (self, s);
  /* Its flushes stop here (dd_sampler_sink_event): downstream's running time goes on. */
  gst_structure_set (s, DD_CORPUS_FLUSH_KEPT_FIELD, G_TYPE_BOOLEAN, TRUE, NULL);
  self->seek_seqnum = gst_event_get_seqnum (seek);
  GST_DEBUG_OBJECT (self, "seeking to %" GST_TIME_FORMAT " in %s",
      GST_TIME_ARGS (target), self->uri);
  return gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self), seek);
}

/* Done with a stream: the rest of the video need not be decoded. */
static void
end_stream (DdSampler *self)
{
  self->finished = TRUE;
  GstPad *sink = GST_BASE_TRANSFORM_SINK_PAD (self);
  if (self->uri && gst_pad_push_event (sink,
          dd_corpus_next_file_event_new (self->uri)))
    return;
  if (self->seekable && GST_CLOCK_TIME_IS_VALID (self->duration)
      && send_seek (self, self->duration, 0))
    return;
  GST_DEBUG_OBJECT (self, "upstream cannot skip the rest of %s: dropping it",
      self->uri);
}

/* Seeks to the keyframe before the next wanted frame, when that is far
 * enough ahead. A key-unit seek to the wanted time plus the tolerance,
 * rather than an accurate seek to the time itself: a container that rounds
 * timestamps (Matroska: milliseconds) may put the wanted frame, keyframe
 * or not, a little after the exact time, and an accurate seek would then
 * start at the keyframe before, a whole keyframe interval early. The
 * frames between that keyframe and the wanted one are dropped here, as
 * the decoder would drop them for an accurate seek. */
static void
maybe_seek (DdSampler *self, GstClockTime ts)
{
  GST_OBJECT_LOCK (self);
  gdouble threshold = self->seek_threshold;
  GST_OBJECT_UNLOCK (self);
  GstClockTime next = dd_sample_plan_next (&self->plan);
  /* A seek lands on the keyframe before its frame, which may itself be
   * more than the threshold before it: never seek twice for one frame. */
  if (!self->seekable || threshold < 0 || next <= ts || next == self->sought
      || (double) (next - ts) <= threshold * GST_SECOND)
    return;
  self->sought = next;
  if (!send_seek (self, next + self->plan.tolerance,
          GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_BEFORE)) {
    GST_INFO_OBJECT (self, "upstream refused a seek: decoding %s through",
        self->uri);
    self->seekable = FALSE;
  }
}

/* ---- Frames -------------------------------------------------------------- */

/* What names the video for its random frames: its corpus key when the
 * source gives one (the same wherever the corpus is mounted), else its
 * URI. */
static gchar *
video_name (DdSampler *self)
{
  if (!self->uri_from_meta)
    return g_strdup (self->uri);
  GstQuery *q = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new_empty (DD_CORPUS_KEY_QUERY));
  name_video (self, gst_query_writable_structure (q));
  const gchar *key = gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), q)
      ? gst_structure_get_string (gst_query_get_structure (q), "key") : NULL;
  gchar *name = g_strdup (key ? key : self->uri);
  gst_query_unref (q);
  return name;
}

static void
plan_stream (DdSampler *self, const DdFrameMeta *fm)
{
  GstPad *sink = GST_BASE_TRANSFORM_SINK_PAD (self);
  self->uri = g_strdup (fm ? fm->uri : self->stream_id);
  self->uri_from_meta = fm != NULL;
  /* The stream's own duration tag first: it came with these frames. */
  gint64 duration = -1;
  if (GST_CLOCK_TIME_IS_VALID (self->tagged_duration)) {
    duration = (gint64) self->tagged_duration;
  } else {
    GstQuery *d = gst_query_new_duration (GST_FORMAT_TIME);
    name_video (self, gst_query_writable_structure (d));
    if (gst_pad_peer_query (sink, d))
      gst_query_parse_duration (d, NULL, &duration);
    gst_query_unref (d);
  }
  self->duration = duration >= 0 ? (GstClockTime) duration : GST_CLOCK_TIME_NONE;
  GstQuery *q = gst_query_new_seeking (GST_FORMAT_TIME);
  name_video (self, gst_query_writable_structure (q));
  self->seekable = FALSE;
  if (gst_pad_peer_query (sink, q))
    gst_query_parse_seeking (q, NULL, &self->seekable, NULL, NULL);
  gst_query_unref (q);
  GST_OBJECT_LOCK (self);
  dd_sample_params params = self->params;
  GST_OBJECT_UNLOCK (self);
  if (params.mode == DD_SAMPLE_RANDOM
      && !GST_CLOCK_TIME_IS_VALID (self->duration))
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("The duration of %s is "
            "unknown: taking its first %u frame(s) instead of random ones",
            self->uri ? self->uri : "the stream", params.count), (NULL));
  g_autofree gchar *name = video_name (self);
  dd_sample_plan_init (&self->plan, &params, name, self->duration,
      self->fps_n, self->fps_d);
  self->have_plan = TRUE;
  GST_DEBUG_OBJECT (self, "%s: duration %" GST_TIME_FORMAT ", %d/%d fps, %s",
      self->uri, GST_TIME_ARGS (self->duration), self->fps_n, self->fps_d,
      self->seekable ? "seekable" : "not seekable");
}

static GstFlowReturn
dd_sampler_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  DdSampler *self = DD_SAMPLER (trans);
  if (self->finished)
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  GstClockTime ts = fm ? fm->timestamp_ns
      : gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (ts)) {
    GST_WARNING_OBJECT (self, "dropping a frame without a timestamp");
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  if (!self->have_plan)
    plan_stream (self, fm);
  gboolean take = dd_sample_plan_take (&self->plan, ts);
  if (take) {
    GST_OBJECT_LOCK (self);
    self->frames_taken++;
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (self, "taking %" GST_TIME_FORMAT " of %s",
        GST_TIME_ARGS (ts), self->uri);
  }
  if (dd_sample_plan_done (&self->plan))
    end_stream (self);
  else
    maybe_seek (self, ts);
  return take ? GST_FLOW_OK : GST_BASE_TRANSFORM_FLOW_DROPPED;
}

/* ---- Events -------------------------------------------------------------- */

static gboolean
dd_sampler_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  DdSampler *self = DD_SAMPLER (trans);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_SEGMENT:
      if (self->seek_seqnum && gst_event_get_seqnum (event) == self->seek_seqnum) {
        GST_LOG_OBJECT (self, "keeping %s of our seek", GST_EVENT_TYPE_NAME (event));
        gst_event_unref (event);
        return TRUE;
      }
      if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
        gst_event_copy_segment (event, &self->segment);
      break;
    case GST_EVENT_TAG:{
      GstTagList *tags = NULL;
      guint64 duration;
      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_scope (tags) == GST_TAG_SCOPE_STREAM
          && gst_tag_list_get_uint64 (tags, GST_TAG_DURATION, &duration))
        self->tagged_duration = duration;
      break;
    }
    case GST_EVENT_STREAM_START:{
      const gchar *id = NULL;
      gst_event_parse_stream_start (event, &id);
      g_free (self->stream_id);
      self->stream_id = g_strdup (id);
      reset_stream (self);
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
dd_sampler_set_caps (GstBaseTransform *trans, GstCaps *incaps,
    GstCaps *outcaps)
{
  (void) outcaps;
  DdSampler *self = DD_SAMPLER (trans);
  const GstStructure *s = gst_caps_get_structure (incaps, 0);
  if (!gst_structure_get_fraction (s, "framerate", &self->fps_n, &self->fps_d)
      || self->fps_d <= 0) {
    self->fps_n = 0;
    self->fps_d = 1;
  }
  return TRUE;
}

static gboolean
dd_sampler_start (GstBaseTransform *trans)
{
  DdSampler *self = DD_SAMPLER (trans);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  reset_stream (self);
  GST_OBJECT_LOCK (self);
  self->frames_taken = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
dd_sampler_stop (GstBaseTransform *trans)
{
  DdSampler *self = DD_SAMPLER (trans);
  reset_stream (self);
  g_clear_pointer (&self->stream_id, g_free);
  return TRUE;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_sampler_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdSampler *self = DD_SAMPLER (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->params.mode = g_value_get_enum (value);
      break;
    case PROP_COUNT:
      self->params.count = g_value_get_uint (value);
      break;
    case PROP_SEED:
      self->params.seed = g_value_get_uint64 (value);
      break;
    case PROP_INTERVAL_FRAMES:
      self->params.interval_frames = g_value_get_uint (value);
      break;
    case PROP_INTERVAL:
      self->params.interval = (GstClockTime) (g_value_get_double (value)
          * GST_SECOND + 0.5);
      break;
    case PROP_SEEK_THRESHOLD:
      self->seek_threshold = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_sampler_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdSampler *self = DD_SAMPLER (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->params.mode);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, self->params.count);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->params.seed);
      break;
    case PROP_INTERVAL_FRAMES:
      g_value_set_uint (value, self->params.interval_frames);
      break;
    case PROP_INTERVAL:
      g_value_set_double (value, (double) self->params.interval / GST_SECOND);
      break;
    case PROP_SEEK_THRESHOLD:
      g_value_set_double (value, self->seek_threshold);
      break;
    case PROP_FRAMES_TAKEN:
      g_value_set_uint64 (value, self->frames_taken);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_sampler_finalize (GObject *object)
{
  DdSampler *self = DD_SAMPLER (object);
  reset_stream (self);
  g_free (self->stream_id);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dd_sampler_class_init (DdSamplerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = dd_sampler_set_property;
  gobject_class->get_property = dd_sampler_get_property;
  gobject_class->finalize = dd_sampler_finalize;

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Which frames to take",
          DD_TYPE_SAMPLER_MODE, DEFAULT_MODE, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_COUNT,
      g_param_spec_uint ("count", "Count",
          "mode=random: frames taken per video (all of them when the video "
          "has fewer)", 1, G_MAXINT, DEFAULT_COUNT, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "mode=random: the seed; with the video's name in its corpus (from "
          "ddcorpussrc; else its URI) it decides the frames taken, the same on "
          "every run and machine", 0, G_MAXUINT64,
          DEFAULT_SEED, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INTERVAL_FRAMES,
      g_param_spec_uint ("interval-frames", "Interval in frames",
          "mode=every-k: take frames 0, k, 2k, ... of each video", 1,
          G_MAXUINT, DEFAULT_INTERVAL_FRAMES, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_double ("interval", "Interval",
          "mode=every-t: take the first frame at or after 0, t, 2t, ... "
          "seconds of each video", 0.001, 1e6, DEFAULT_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SEEK_THRESHOLD,
      g_param_spec_double ("seek-threshold", "Seek threshold",
          "Seek when the next frame wanted is more than this many seconds "
          "ahead, decode through closer ones; -1: never seek", -1, 1e6,
          DEFAULT_SEEK_THRESHOLD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FRAMES_TAKEN,
      g_param_spec_uint64 ("frames-taken", "Frames taken",
          "Frames passed on since the start", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Static frame sampler", "Filter/Video",
      "Takes N random frames per video, every k-th frame or one every t "
      "seconds, seeking past the frames it does not take", "ddistill");

  trans_class->transform_ip = GST_DEBUG_FUNCPTR (dd_sampler_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (dd_sampler_sink_event);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (dd_sampler_set_caps);
  trans_class->start = GST_DEBUG_FUNCPTR (dd_sampler_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (dd_sampler_stop);
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api (DD_TYPE_SAMPLER_MODE, 0);
  GST_DEBUG_CATEGORY_INIT (dd_sampler_debug, "ddsampler", 0,
      "ddistill static frame sampler");
}

static void
dd_sampler_init (DdSampler *self)
{
  self->params.mode = DEFAULT_MODE;
  self->params.count = DEFAULT_COUNT;
  self->params.seed = DEFAULT_SEED;
  self->params.interval_frames = DEFAULT_INTERVAL_FRAMES;
  self->params.interval = (GstClockTime) (DEFAULT_INTERVAL * GST_SECOND);
  self->seek_threshold = DEFAULT_SEEK_THRESHOLD;
  self->fps_d = 1;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
