/**
 * SECTION:element-ddensemble
 * @title: ddensemble
 *
 * Step 3 of data distillation: the teacher's passes over the test-time
 * transforms of a frame, each arriving on a request pad `sink_%u` with its
 * DdTransformMeta and DdDetectionsMeta (from ddtransform and ddinfer),
 * are ensembled by lib/distill into hard labels (`rules`, as
 * dd_ensemble_params_parse reads them: by default the paper's keypoint
 * setting, boxes of the untransformed pass and averaged heatmaps).
 *
 * The passes of one frame are matched by the frame's identity (its
 * DdFrameMeta: URI and timestamp), never by arrival order, so a branch may
 * drop a frame, or run behind, without mixing two frames. A frame is
 * ensembled once every pass pad has delivered it; a frame a pad can no
 * longer deliver (the pad is at EOS, has already delivered a frame later
 * in the stream: branches keep their order, or sent a GAP event over its
 * time, as a branch that drops a frame does) is ensembled from the
 * passes that came, with a warning, provided the untransformed pass is
 * among them, and dropped with a warning otherwise. Live, so is a frame
 * whose passes have not all come when the clock reaches its running time
 * plus the aggregator's latency (GstAggregator's timeout, which waits for
 * the oldest frame collected or at the head of a pad), or the latency
 * older than the newest; a pass that comes after its frame went out is
 * dropped. A frame's place in
 * the stream is its video's number (how many streams its pad has started:
 * request the pads before the stream starts) and then its running time,
 * so a source whose running time starts again with each video does not
 * make the first frames of a video look late.
 * Frames go out in stream order; a flush forgets the frames waiting.
 *
 * Each aggregation takes one buffer from every pad, as GstAggregator
 * hands them (it aggregates once every pad has one): the pads advance
 * together, so the frame pad never runs ahead of the passes and empties
 * while the branches, fed by the same thread, still hold its frames (a
 * deadlock once that thread waits on a full branch queue).
 *
 * The passes share a base (the frame placed on a canvas, a letterbox or
 * the identity): the labels are made on that canvas and mapped back to the
 * frame through it. With a request pad `frame` carrying the original
 * frames (any format), each of them goes out with a DdDetectionsMeta of
 * its labels in its own pixels; without one, the untransformed pass's
 * buffer goes out (link it to sink_0) with the labels in its pixels. The
 * output keeps the frame's DdFrameMeta and timestamps, and its caps follow
 * that pad's, video by video (a corpus may mix sizes).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! ddsampler ! videoconvert ! video/x-raw,format=RGB ! tee name=t \
 *   t. ! queue ! e.frame \
 *   t. ! queue ! ddtransform letterbox-width=128 letterbox-height=128 ! tee name=c \
 *   c. ! queue ! ddinfer model=teacher ! e.sink_0 \
 *   c. ! queue ! ddtransform flip=true ! ddinfer model=teacher ! e.sink_1 \
 *   ddensemble name=e ! dddatasetsink location=dataset/
 * ]|
 * (the ddlabel bin builds this from one `transforms` property.)
 */
#include "elements/ddensemble.h"

#include <gst/video/video.h>
#include <string.h>

#include "distill/ensemble.h"
#include "distill/tta_spec.h"
#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/ddtransformmeta.h"
#include "model/predict.h"

GST_DEBUG_CATEGORY_STATIC (dd_ensemble_debug);
#define GST_CAT_DEFAULT dd_ensemble_debug

enum {
  PROP_0,
  PROP_RULES,
  PROP_FRAMES_ENSEMBLED,
  PROP_FRAMES_INCOMPLETE,
};

/* Where a frame stands in the stream: its video's number, then its
 * running time (else the order frames first came in). */
typedef struct {
  guint64 stream;
  guint64 time;
} frame_position;

/* What is known of one sink pad, in the aggregation thread. */
typedef struct {
  gchar *stream_id;             /* of the pad's current video */
  guint64 stream;               /* how many videos the pad has started */
  gboolean delivered;           /* `last` holds a position */
  frame_position last;          /* of the last frame the pad delivered */
  /* Its caps in order with its buffers: the pad's own current caps run
   * ahead, set as the event is queued, not as it is reached. */
  GstCaps *caps;
} pad_state;

/* One frame's buffers, as they arrive. */
typedef struct {
  gchar *key;                   /* "uri\ntimestamp" */
  frame_position position;
  GstClockTime running_time;    /* NONE: the buffer had no timestamp */
  GstBuffer *frame;             /* from the frame pad, if any */
  GHashTable *passes;           /* GstPad -> GstBuffer */
  GstCaps *caps;                /* of the buffer that goes out (the output pad's) */
} pending_frame;

struct _DdEnsemble {
  GstAggregator parent;

  /* Properties and counters, under the object lock. */
  gchar *rules;
  guint64 frames_ensembled, frames_incomplete;

  /* Set on request and cleared on release (application threads), read
   * in the aggregation thread: under the object lock. */
  GstAggregatorPad *frame_pad;

  /* In the aggregation thread. */
  GHashTable *pending;          /* key -> pending_frame */
  GHashTable *pads;             /* GstPad -> pad_state */
  guint64 next_seq;
  frame_position newest;        /* the latest position any pad delivered */
  gboolean have_done;           /* `done` holds a position */
  frame_position done;          /* the latest frame sent out or given up */
  dd_ensemble_params params;
  dd_ensembler *ensembler;
  int ensembler_keypoints;
  GArray *labels;
  GstCaps *src_caps;            /* the caps the output last went out with */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate frame_template = GST_STATIC_PAD_TEMPLATE ("frame",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define dd_ensemble_parent_class parent_class
G_DEFINE_TYPE (DdEnsemble, dd_ensemble, GST_TYPE_AGGREGATOR);
GST_ELEMENT_REGISTER_DEFINE (ddensemble, "ddensemble", GST_RANK_NONE,
    DD_TYPE_ENSEMBLE);

static void
pending_frame_free (gpointer p)
{
  pending_frame *f = p;
  g_free (f->key);
  gst_clear_buffer (&f->frame);
  g_hash_table_unref (f->passes);
  gst_clear_caps (&f->caps);
  g_free (f);
}

static gchar *
frame_key (GstBuffer *buf)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  if (fm)
    return g_strdup_printf ("%s\n%" G_GUINT64_FORMAT, fm->uri ? fm->uri : "",
        fm->timestamp_ns);
  return g_strdup_printf ("\n%" G_GUINT64_FORMAT, GST_BUFFER_PTS (buf));
}

static const gchar *
frame_name (GstBuffer *buf)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  return fm && fm->uri ? fm->uri : "a frame without DdFrameMeta";
}

static GstClockTime
frame_time (GstBuffer *buf)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  return fm ? fm->timestamp_ns : GST_BUFFER_PTS (buf);
}

/* ---- Pads ---------------------------------------------------------------- */

/* The frame pad keeps its name; pass pads are numbered by the base class,
 * up to lib/distill's limit of passes a frame (more would be left out of
 * the ensemble without a word). */
static GstAggregatorPad *
dd_ensemble_create_new_pad (GstAggregator *agg, GstPadTemplate *templ,
    const gchar *req_name, const GstCaps *caps)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  if (g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "frame") != 0) {
    GST_OBJECT_LOCK (self);
    guint passes = GST_ELEMENT (self)->numsinkpads - (self->frame_pad ? 1 : 0);
    GST_OBJECT_UNLOCK (self);
    if (passes >= DD_TTA_MAX_TRANSFORMS) {
      GST_WARNING_OBJECT (self, "no pass pad beyond %d: a frame's ensemble takes "
          "%d passes at most", DD_TTA_MAX_TRANSFORMS, DD_TTA_MAX_TRANSFORMS);
      return NULL;
    }
    return GST_AGGREGATOR_CLASS (parent_class)->create_new_pad (agg, templ,
        req_name, caps);
  }
  GstAggregatorPad *pad = g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", "frame",
      "direction", GST_PAD_SINK, "template", templ, NULL);
  GST_OBJECT_LOCK (self);
  gboolean taken = self->frame_pad != NULL;
  if (!taken)
    self->frame_pad = pad;
  GST_OBJECT_UNLOCK (self);
  if (taken) {
    GST_WARNING_OBJECT (self, "there is one frame pad, already requested");
    gst_object_unref (gst_object_ref_sink (pad));
    return NULL;
  }
  return pad;
}

static void
dd_ensemble_release_pad (GstElement *element, GstPad *pad)
{
  DdEnsemble *self = DD_ENSEMBLE (element);
  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->frame_pad))
    self->frame_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_CLASS (parent_class)->release_pad (element, pad);
}

/* The frame pad, with a reference, or NULL. */
static GstAggregatorPad *
frame_pad_ref (DdEnsemble *self)
{
  GST_OBJECT_LOCK (self);
  GstAggregatorPad *pad = self->frame_pad ? gst_object_ref (self->frame_pad) : NULL;
  GST_OBJECT_UNLOCK (self);
  return pad;
}

/* The pad whose buffers go out: the frame pad, else sink_0. */
static GstPad *
output_pad (DdEnsemble *self)
{
  GstAggregatorPad *frame = frame_pad_ref (self);
  if (frame)
    return GST_PAD (frame);
  return gst_element_get_static_pad (GST_ELEMENT (self), "sink_0");
}

/* ---- Matching ------------------------------------------------------------ */

static gboolean
is_pass_pad (DdEnsemble *self, GstPad *pad)
{
  GST_OBJECT_LOCK (self);
  gboolean pass = pad != GST_PAD (self->frame_pad);
  GST_OBJECT_UNLOCK (self);
  return pass;
}

static gboolean
has_frame_pad (DdEnsemble *self)
{
  GST_OBJECT_LOCK (self);
  gboolean has = self->frame_pad != NULL;
  GST_OBJECT_UNLOCK (self);
  return has;
}

static void
pad_state_free (gpointer p)
{
  pad_state *ps = p;
  g_free (ps->stream_id);
  gst_clear_caps (&ps->caps);
  g_free (ps);
}

static gint
position_cmp (const frame_position *a, const frame_position *b)
{
  if (a->stream != b->stream)
    return a->stream < b->stream ? -1 : 1;
  return a->time < b->time ? -1 : a->time > b->time;
}

static pad_state *
state_of_pad (DdEnsemble *self, GstPad *pad)
{
  pad_state *ps = g_hash_table_lookup (self->pads, pad);
  if (ps == NULL) {
    ps = g_new0 (pad_state, 1);
    g_hash_table_insert (self->pads, gst_object_ref (pad), ps);
  }
  return ps;
}

static GstFlowReturn
dd_ensemble_update_src_caps (GstAggregator *agg, GstCaps *downstream,
    GstCaps **ret)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  GstPad *pad = output_pad (self);
  GstCaps *caps = pad ? state_of_pad (self, pad)->caps : NULL;
  if (caps)
    gst_caps_ref (caps);
  gst_clear_object (&pad);
  if (caps == NULL)
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  *ret = gst_caps_intersect (caps, downstream);
  gst_caps_take (&self->src_caps, caps);
  return GST_FLOW_OK;
}

/* Where a buffer stands in the stream: its video, then its running time,
 * which every branch of one video shares (the transforms keep timestamps
 * and segments), so that a branch running behind is not taken for one
 * that skipped a frame; without a timestamp, the order buffers first came
 * in. */
static GstClockTime
running_time_of (GstAggregatorPad *pad, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  return GST_CLOCK_TIME_IS_VALID (pts)
      ? gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME, pts)
      : GST_CLOCK_TIME_NONE;
}

static frame_position
position_of (DdEnsemble *self, GstAggregatorPad *pad, GstBuffer *buf)
{
  GstClockTime rt = running_time_of (pad, buf);
  return (frame_position) { state_of_pad (self, GST_PAD (pad))->stream,
    GST_CLOCK_TIME_IS_VALID (rt) ? rt : self->next_seq };
}

/* A GAP (a frame its branch dropped, as identity drop-probability or a QoS
 * drop do; the aggregator queues the event as an empty GAP buffer) is no
 * pass, but the pad has passed its time: frames up to its end wait for it
 * no longer. */
static void
note_gap (DdEnsemble *self, GstAggregatorPad *pad, GstBuffer *gap)
{
  GstClockTime rt = running_time_of (pad, gap);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return;
  GstClockTime duration = GST_BUFFER_DURATION_IS_VALID (gap)
      ? MAX (GST_BUFFER_DURATION (gap), 1) : 1;
  pad_state *ps = state_of_pad (self, GST_PAD (pad));
  frame_position past = { ps->stream, rt + duration };
  if (!ps->delivered || position_cmp (&past, &ps->last) > 0) {
    ps->last = past;
    ps->delivered = TRUE;
  }
}

/* Takes the buffer at the head of each pad into the table of pending
 * frames: one per pad (the pads advance together; see the top). */
static void
collect_buffers (DdEnsemble *self)
{
  GST_OBJECT_LOCK (self);
  GList *pads = g_list_copy (GST_ELEMENT (self)->sinkpads);
  for (GList *l = pads; l; l = l->next)
    gst_object_ref (l->data);
  GST_OBJECT_UNLOCK (self);
  for (GList *l = pads; l; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_pop_buffer (pad);
    if (buf == NULL)
      continue;
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)
        && gst_buffer_get_size (buf) == 0) {
      note_gap (self, pad, buf);
      gst_buffer_unref (buf);
      continue;
    }
    gchar *key = frame_key (buf);
    pending_frame *f = g_hash_table_lookup (self->pending, key);
    frame_position at = f ? f->position : position_of (self, pad, buf);
    if (f == NULL && self->have_done && position_cmp (&at, &self->done) <= 0) {
      /* Live, a pass of a frame that went out without it. */
      GST_DEBUG_OBJECT (pad, "%s at %" GST_TIME_FORMAT " came too late",
          frame_name (buf), GST_TIME_ARGS (frame_time (buf)));
      g_free (key);
      gst_buffer_unref (buf);
      continue;
    }
    if (f == NULL) {
      f = g_new0 (pending_frame, 1);
      f->key = key;
      f->position = at;
      f->running_time = running_time_of (pad, buf);
      self->next_seq++;
      f->passes = g_hash_table_new_full (NULL, NULL, NULL,
          (GDestroyNotify) gst_buffer_unref);
      g_hash_table_insert (self->pending, f->key, f);
    } else {
      g_free (key);
    }
    if (!is_pass_pad (self, GST_PAD (pad)))
      gst_buffer_replace (&f->frame, buf);
    else
      g_hash_table_replace (f->passes, pad, gst_buffer_ref (buf));
    /* Kept with the frame, since frames of the last video may still go
     * out after the next video's caps came. */
    GstPad *out = output_pad (self);
    if (out == GST_PAD (pad))
      gst_caps_replace (&f->caps, state_of_pad (self, out)->caps);
    gst_clear_object (&out);
    pad_state *ps = state_of_pad (self, GST_PAD (pad));
    ps->last = f->position;
    ps->delivered = TRUE;
    if (position_cmp (&f->position, &self->newest) > 0)
      self->newest = f->position;
    gst_buffer_unref (buf);
  }
  g_list_free_full (pads, gst_object_unref);
}

typedef enum {
  FRAME_WAITING,
  FRAME_COMPLETE,
  FRAME_HOPELESS,               /* a pad will never deliver it */
} frame_state;

/* Live, the aggregator times out when the clock reaches a frame's running
 * time plus the latency (get_next_time): frames that late, or that much
 * older than the newest one, are not waited for any longer. `now`: the
 * clock's running time. */
static frame_state
state_of (DdEnsemble *self, const pending_frame *f, gboolean timeout,
    GstClockTime now)
{
  GstClockTime latency = gst_aggregator_get_latency (GST_AGGREGATOR (self));
  gboolean late = timeout && (!GST_CLOCK_TIME_IS_VALID (latency)
      || f->position.stream < self->newest.stream
      || f->position.time + latency <= self->newest.time
      || (GST_CLOCK_TIME_IS_VALID (now)
          && GST_CLOCK_TIME_IS_VALID (f->running_time)
          && f->running_time + latency <= now));
  frame_state state = FRAME_COMPLETE;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstPad *pad = l->data;
    gboolean pass = pad != GST_PAD (self->frame_pad);   /* under the lock */
    gboolean have = pass ? g_hash_table_contains (f->passes, pad) : f->frame != NULL;
    if (have)
      continue;
    const pad_state *ps = g_hash_table_lookup (self->pads, pad);
    gboolean passed = ps && ps->delivered
        && position_cmp (&ps->last, &f->position) > 0;
    if (late || passed
        || gst_aggregator_pad_is_eos (GST_AGGREGATOR_PAD (pad))) {
      state = FRAME_HOPELESS;
    } else {
      state = FRAME_WAITING;
      break;
    }
  }
  GST_OBJECT_UNLOCK (self);
  return state;
}

/* ---- Ensembling ---------------------------------------------------------- */

static gboolean
same_base (const dd_transform *a, const dd_transform *b)
{
  return a->width == b->width && a->height == b->height
      && a->scale_x == b->scale_x && a->scale_y == b->scale_y
      && a->offset_x == b->offset_x && a->offset_y == b->offset_y
      && a->flip == b->flip;
}

/* Pass pads in the order of their numbers (sink_2 before sink_10), the
 * order the transforms were listed in. */
static gint
pad_order (gconstpointer a, gconstpointer b)
{
  const gchar *na = GST_PAD_NAME (a), *nb = GST_PAD_NAME (b);
  guint64 ia = g_str_has_prefix (na, "sink_") ? g_ascii_strtoull (na + 5, NULL,
      10) : G_MAXUINT64;
  guint64 ib = g_str_has_prefix (nb, "sink_") ? g_ascii_strtoull (nb + 5, NULL,
      10) : G_MAXUINT64;
  return ia < ib ? -1 : ia > ib;
}

/* The passes of `f` in pad order, their shared base and the untransformed
 * pass; FALSE, with an element error, when a pass lacks its metas or the
 * passes disagree on the base. */
static gboolean
gather_passes (DdEnsemble *self, pending_frame *f, dd_pass *passes,
    int *n_passes, dd_transform *base, GstBuffer **identity,
    const DdDetectionsMeta **model)
{
  *n_passes = 0;
  *identity = NULL;
  *model = NULL;
  GST_OBJECT_LOCK (self);
  GList *pads = g_list_copy (GST_ELEMENT (self)->sinkpads);
  for (GList *l = pads; l; l = l->next)
    gst_object_ref (l->data);
  GST_OBJECT_UNLOCK (self);
  pads = g_list_sort (pads, pad_order);
  gboolean ok = TRUE;
  for (GList *l = pads; l && ok; l = l->next) {
    GstBuffer *buf = g_hash_table_lookup (f->passes, l->data);
    if (buf == NULL || *n_passes >= DD_TTA_MAX_TRANSFORMS)
      continue;
    const DdTransformMeta *tm = dd_buffer_get_transform_meta (buf);
    const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (buf);
    if (tm == NULL || dm == NULL) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A pass of %s on %s has no %s",
              frame_name (buf), GST_PAD_NAME (l->data), tm ? "DdDetectionsMeta"
              : "DdTransformMeta"), ("put ddtransform ! ddinfer in each "
              "branch"));
      ok = FALSE;
      break;
    }
    if (*n_passes == 0)
      *base = tm->base;
    else if (!same_base (base, &tm->base)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("The passes of %s were not "
              "made from the same canvas (%s differs)", frame_name (buf),
              GST_PAD_NAME (l->data)), ("transform the frame once (a "
              "letterbox) before the branches split"));
      ok = FALSE;
      break;
    }
    dd_tta_transform t = dd_transform_meta_pass (tm);
    if (dd_tta_is_identity (&t))
      *identity = buf;
    *model = dm;
    passes[(*n_passes)++] = (dd_pass) { t, dm->detections,
      (int) dm->n_detections, dm->head_maps };
  }
  g_list_free_full (pads, gst_object_unref);
  return ok;
}

static gboolean
ensure_ensembler (DdEnsemble *self, const DdDetectionsMeta *dm)
{
  if (self->ensembler && self->ensembler_keypoints == dm->n_flip_partners)
    return TRUE;
  g_clear_pointer (&self->ensembler, dd_ensembler_free);
  dd_flip_map fm = { .n_keypoints = dm->n_flip_partners };
  memcpy (fm.partner, dm->flip_partner, sizeof (int) * dm->n_flip_partners);
  self->ensembler = dd_ensembler_new (&self->params, &fm);
  self->ensembler_keypoints = dm->n_flip_partners;
  return self->ensembler != NULL;
}

/* Without a frame pad the untransformed pass goes out under sink_0's
 * caps: it must be sink_0's buffer, or the caps would not describe it. */
static gboolean
identity_on_sink_0 (DdEnsemble *self, pending_frame *f, GstBuffer *identity)
{
  GstPad *sink_0 = gst_element_get_static_pad (GST_ELEMENT (self), "sink_0");
  gboolean ok = sink_0 && g_hash_table_lookup (f->passes, sink_0) == identity;
  gst_clear_object (&sink_0);
  return ok;
}

/* Ensembles `f` and pushes its output, or drops it (with a warning) when
 * its untransformed pass or frame never came. */
static GstFlowReturn
finish_frame (DdEnsemble *self, pending_frame *f, gboolean complete)
{
  dd_pass passes[DD_TTA_MAX_TRANSFORMS];
  int n = 0;
  dd_transform base;
  GstBuffer *identity;
  const DdDetectionsMeta *model;
  if (!gather_passes (self, f, passes, &n, &base, &identity, &model))
    return GST_FLOW_ERROR;
  GstBuffer *any = f->frame ? f->frame : identity;
  if (any == NULL) {
    GHashTableIter it;
    g_hash_table_iter_init (&it, f->passes);
    g_hash_table_iter_next (&it, NULL, (gpointer *) &any);
  }
  gboolean with_frames = has_frame_pad (self);
  if (identity == NULL || (with_frames && f->frame == NULL)) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("Dropped %s at %"
            GST_TIME_FORMAT ": %s never came", any ? frame_name (any)
            : "a frame", GST_TIME_ARGS (any ? frame_time (any) : 0),
            identity == NULL ? "its untransformed pass" : "the frame itself"),
        (NULL));
    GST_OBJECT_LOCK (self);
    self->frames_incomplete++;
    GST_OBJECT_UNLOCK (self);
    return GST_FLOW_OK;
  }
  if (!complete) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("Ensembled %s at %"
            GST_TIME_FORMAT " from the %d passes that came", frame_name
            (identity), GST_TIME_ARGS (frame_time (identity)), n), (NULL));
    GST_OBJECT_LOCK (self);
    self->frames_incomplete++;
    GST_OBJECT_UNLOCK (self);
  }
  if (!with_frames && !identity_on_sink_0 (self, f, identity)) {
    GST_ELEMENT_ERROR (self, CORE, PAD, ("The untransformed pass of %s came on "
            "another pad than sink_0, whose caps the output takes",
            frame_name (identity)), ("link the untransformed pass to sink_0, or "
            "the original frames to the frame pad"));
    return GST_FLOW_ERROR;
  }
  if (f->frame && base.flip) {
    /* dd_detection_map_back has no flip pairs to undo a mirror with. */
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("The passes of %s share a mirrored "
            "canvas: their labels cannot be mapped back to the frame",
            frame_name (identity)), ("mirror in the branches (ddtransform "
            "flip=true after the split), not before the letterbox"));
    return GST_FLOW_ERROR;
  }
  GError *e = NULL;
  g_array_set_size (self->labels, 0);
  if (!ensure_ensembler (self, model)
      || !dd_ensembler_run (self->ensembler, passes, n, self->labels, &e)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot ensemble %s: %s",
            frame_name (identity), e ? e->message : "no ensembler"), (NULL));
    g_clear_error (&e);
    return GST_FLOW_ERROR;
  }
  GstBuffer *out = gst_buffer_make_writable (gst_buffer_ref (f->frame
          ? f->frame : identity));
  DdDetectionsMeta *old = dd_buffer_get_detections_meta (out);
  if (old)
    gst_buffer_remove_meta (out, (GstMeta *) old);
  gint w = base.width, h = base.height;
  if (f->frame) {
    /* Labels on the canvas, mapped back to the frame's pixels. */
    const DdTransformMeta *tm = dd_buffer_get_transform_meta (identity);
    w = tm->frame_width;
    h = tm->frame_height;
    for (guint i = 0; i < self->labels->len; i++)
      dd_detection_map_back (&base, &g_array_index (self->labels, dd_detection,
              i));
  }
  DdDetectionsMeta *dm = dd_buffer_add_detections_meta (out, w, h,
      (const dd_detection *) self->labels->data, self->labels->len);
  dd_detections_meta_set_flip_partners (dm, model->flip_partner,
      model->n_flip_partners);
  dd_detections_meta_set_model (dm, model->model);
  GST_OBJECT_LOCK (self);
  self->frames_ensembled++;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "%s: %u labels from %d passes", frame_name (out),
      self->labels->len, n);
  /* A video of another size or format: its caps go out before it. */
  if (f->caps && !(self->src_caps && gst_caps_is_equal (f->caps, self->src_caps))) {
    gst_aggregator_set_src_caps (GST_AGGREGATOR (self), f->caps);
    gst_caps_replace (&self->src_caps, f->caps);
  }
  return gst_aggregator_finish_buffer (GST_AGGREGATOR (self), out);
}

static gint
by_position (gconstpointer a, gconstpointer b)
{
  const pending_frame *fa = a, *fb = b;
  return position_cmp (&fa->position, &fb->position);
}

static gboolean
all_pads_eos (DdEnsemble *self)
{
  gboolean eos = TRUE;
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->sinkpads; l && eos; l = l->next)
    eos = gst_aggregator_pad_is_eos (l->data);
  GST_OBJECT_UNLOCK (self);
  return eos;
}

static GstClockTime
clock_running_time (DdEnsemble *self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  return now > base ? now - base : 0;
}

static GstClockTime
earlier (GstClockTime a, GstClockTime b)
{
  if (!GST_CLOCK_TIME_IS_VALID (a))
    return b;
  return GST_CLOCK_TIME_IS_VALID (b) ? MIN (a, b) : a;
}

/* Live, GstAggregator waits on the clock until this running time plus the
 * latency, then aggregates with `timeout` set even though a pad is empty:
 * the oldest frame waited for, collected or at the head of a pad (in the
 * aggregation thread, with the base class's lock held: pad locks come
 * after it, as in the base class's own check of the pads). */
static GstClockTime
dd_ensemble_get_next_time (GstAggregator *agg)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  GstClockTime next = GST_CLOCK_TIME_NONE;
  GHashTableIter it;
  pending_frame *f;
  g_hash_table_iter_init (&it, self->pending);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f))
    next = earlier (next, f->running_time);
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (l->data);
    if (buf) {
      next = earlier (next, running_time_of (l->data, buf));
      gst_buffer_unref (buf);
    }
  }
  GST_OBJECT_UNLOCK (self);
  return next;
}

static GstFlowReturn
dd_ensemble_aggregate (GstAggregator *agg, gboolean timeout)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  GstPad *pad = output_pad (self);
  if (pad == NULL) {
    GST_ELEMENT_ERROR (self, CORE, PAD, ("ddensemble has no sink_0 pad"),
        ("link the untransformed pass to sink_0, or the frames to frame"));
    return GST_FLOW_ERROR;
  }
  gst_object_unref (pad);
  collect_buffers (self);
  GList *frames = g_list_sort (g_hash_table_get_values (self->pending),
      by_position);
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime now = timeout ? clock_running_time (self) : GST_CLOCK_TIME_NONE;
  for (GList *l = frames; l && ret == GST_FLOW_OK; l = l->next) {
    pending_frame *f = l->data;
    frame_state state = state_of (self, f, timeout, now);
    if (state == FRAME_WAITING)
      continue;
    if (!self->have_done || position_cmp (&f->position, &self->done) > 0)
      self->done = f->position;
    self->have_done = TRUE;
    ret = finish_frame (self, f, state == FRAME_COMPLETE);
    g_hash_table_remove (self->pending, f->key);
  }
  g_list_free (frames);
  if (ret == GST_FLOW_OK && all_pads_eos (self)
      && g_hash_table_size (self->pending) == 0)
    return GST_FLOW_EOS;
  return ret;
}

/* Counts the videos a pad starts: every branch passes on each video's
 * stream-start, so a video gets the same number on every pad (a repeated
 * stream-start, as sticky events are sent again, starts nothing). */
static void
enter_stream (DdEnsemble *self, GstPad *pad, GstEvent *event)
{
  const gchar *id = NULL;
  gst_event_parse_stream_start (event, &id);
  pad_state *ps = state_of_pad (self, pad);
  if (ps->stream_id && g_strcmp0 (id, ps->stream_id) == 0)
    return;
  if (ps->stream_id)
    ps->stream++;
  g_free (ps->stream_id);
  ps->stream_id = g_strdup (id ? id : "");
}

/* The output follows the output pad's segment (each video's). */
static gboolean
dd_ensemble_sink_event (GstAggregator *agg, GstAggregatorPad *pad,
    GstEvent *event)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
    enter_stream (self, GST_PAD (pad), event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    gst_caps_replace (&state_of_pad (self, GST_PAD (pad))->caps, caps);
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
    GstPad *out = output_pad (self);
    if (out == GST_PAD (pad)) {
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      gst_aggregator_update_segment (agg, segment);
    }
    gst_clear_object (&out);
  }
  return GST_AGGREGATOR_CLASS (parent_class)->sink_event (agg, pad, event);
}

static gboolean
dd_ensemble_flush (GstAggregator *agg)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  g_hash_table_remove_all (self->pending);
  GHashTableIter it;
  pad_state *ps;
  g_hash_table_iter_init (&it, self->pads);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &ps))
    ps->delivered = FALSE;
  self->newest = (frame_position) { 0, 0 };
  self->have_done = FALSE;
  return TRUE;
}

static gboolean
dd_ensemble_start (GstAggregator *agg)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  GST_OBJECT_LOCK (self);
  gchar *rules = g_strdup (self->rules);
  self->frames_ensembled = self->frames_incomplete = 0;
  GST_OBJECT_UNLOCK (self);
  dd_ensemble_params_init (&self->params);
  GError *e = NULL;
  gboolean ok = rules == NULL || dd_ensemble_params_parse (&self->params, rules,
      &e);
  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Bad ensemble rules: %s",
            e->message), (NULL));
    g_error_free (e);
  }
  g_free (rules);
  self->next_seq = 0;
  return ok;
}

static gboolean
dd_ensemble_stop (GstAggregator *agg)
{
  DdEnsemble *self = DD_ENSEMBLE (agg);
  dd_ensemble_flush (agg);
  g_hash_table_remove_all (self->pads);
  g_clear_pointer (&self->ensembler, dd_ensembler_free);
  gst_clear_caps (&self->src_caps);
  return TRUE;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_ensemble_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdEnsemble *self = DD_ENSEMBLE (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_RULES:
      g_free (self->rules);
      self->rules = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_ensemble_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdEnsemble *self = DD_ENSEMBLE (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_RULES:
      g_value_set_string (value, self->rules);
      break;
    case PROP_FRAMES_ENSEMBLED:
      g_value_set_uint64 (value, self->frames_ensembled);
      break;
    case PROP_FRAMES_INCOMPLETE:
      g_value_set_uint64 (value, self->frames_incomplete);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_ensemble_finalize (GObject *object)
{
  DdEnsemble *self = DD_ENSEMBLE (object);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->pads);
  g_array_unref (self->labels);
  g_clear_pointer (&self->ensembler, dd_ensembler_free);
  gst_clear_caps (&self->src_caps);
  g_free (self->rules);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dd_ensemble_class_init (DdEnsembleClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  gobject_class->set_property = dd_ensemble_set_property;
  gobject_class->get_property = dd_ensemble_get_property;
  gobject_class->finalize = dd_ensemble_finalize;

  g_object_class_install_property (gobject_class, PROP_RULES,
      g_param_spec_string ("rules", "Rules",
          "How passes become labels, as \"key=value,...\" on top of the "
          "paper's keypoint setting: boxes=identity|nms|soft-linear|"
          "soft-gaussian|wbf|maps, keypoints=own|average|argmax, "
          "classes=own|average, vote=on|off, nms-iou, vote-iou, ... "
          "(lib/distill/ensemble.h)", NULL, G_PARAM_READWRITE
          | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FRAMES_ENSEMBLED,
      g_param_spec_uint64 ("frames-ensembled", "Frames ensembled",
          "Frames labelled since the start", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FRAMES_INCOMPLETE,
      g_param_spec_uint64 ("frames-incomplete", "Frames incomplete",
          "Frames some pass never came for (ensembled from the others, or "
          "dropped without their untransformed pass)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &frame_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Test-time augmentation ensemble", "Filter/Analyzer/Video",
      "Matches a frame's passes by its identity and ensembles their "
      "detections into hard labels (lib/distill), mapped back to the frame",
      "ddistill");

  element_class->release_pad = GST_DEBUG_FUNCPTR (dd_ensemble_release_pad);
  agg_class->create_new_pad = GST_DEBUG_FUNCPTR (dd_ensemble_create_new_pad);
  agg_class->update_src_caps = GST_DEBUG_FUNCPTR (dd_ensemble_update_src_caps);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (dd_ensemble_aggregate);
  agg_class->get_next_time = GST_DEBUG_FUNCPTR (dd_ensemble_get_next_time);
  agg_class->sink_event = GST_DEBUG_FUNCPTR (dd_ensemble_sink_event);
  agg_class->flush = GST_DEBUG_FUNCPTR (dd_ensemble_flush);
  agg_class->start = GST_DEBUG_FUNCPTR (dd_ensemble_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (dd_ensemble_stop);

  GST_DEBUG_CATEGORY_INIT (dd_ensemble_debug, "ddensemble", 0,
      "ddistill test-time augmentation ensemble");
}

static void
dd_ensemble_init (DdEnsemble *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      pending_frame_free);
  self->pads = g_hash_table_new_full (NULL, NULL, gst_object_unref,
      pad_state_free);
  self->labels = g_array_new (FALSE, FALSE, sizeof (dd_detection));
}
