/**
 * SECTION:element-ddinfer
 * @title: ddinfer
 *
 * Runs a trained detector (`model`: a folder holding model.json and
 * model.safetensors, as `ddistill train` leaves it) on each RGB frame and
 * attaches the decoded detections, in the frame's pixels, as a
 * DdDetectionsMeta, with the model's keypoint flip partners and, with
 * `keep-maps`, the raw head maps that ensembling averages. The frame
 * itself passes unchanged, with its other metas (DdFrameMeta,
 * DdTransformMeta).
 *
 * Every ddinfer in the process that names the same model, `device` and
 * `batch-size` shares one loaded model, and every model on a device shares
 * one engine worker thread (model_instance.h): the branches of a
 * test-time augmentation fan-out feed one queue, and the worker runs
 * frames of the same size together, up to `batch-size` at a time, as they
 * wait. A frame of any size is padded on the right and at the bottom to
 * the first multiple of the network's output stride that the network
 * accepts (dd_detector_padded_side, shared with `ddistill label`), so the
 * detections of a pass are those of `ddistill distill`'s teacher on the
 * same image (with batch-size 1; larger batches may differ in the last
 * bits of a float).
 *
 * Live, the detections come as late as the longest inference yet (waiting
 * for the shared worker included), so that is the latency ddinfer adds in
 * the LATENCY query; whenever an inference takes longer, it raises it by
 * half again and posts a latency message, and an aggregator downstream
 * (ddensemble) waits that much longer for a frame's passes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! ddsampler ! videoconvert ! video/x-raw,format=RGB ! ddinfer model=run/teacher ! videoconvert ! ddoverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/ddinfer.h"

#include <gst/video/video.h>
#include <string.h>

#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/model_instance.h"

GST_DEBUG_CATEGORY_STATIC (dd_infer_debug);
#define GST_CAT_DEFAULT dd_infer_debug

#define DEFAULT_DEVICE "cpu"
#define DEFAULT_BATCH_SIZE 1
#define DEFAULT_KEEP_MAPS TRUE

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_BATCH_SIZE,
  PROP_KEEP_MAPS,
  PROP_MAX_DETECTIONS,
  PROP_MIN_SCORE,
  PROP_KEYPOINT_THRESHOLD,
};

struct _DdInfer {
  GstBaseTransform parent;

  /* Properties, under the object lock. */
  gchar *model;
  gchar *device;
  guint batch_size;
  gboolean keep_maps;
  dd_decode_params decode;

  /* Between start and stop. */
  dd_model_instance *instance;
  GstVideoInfo info;
  GstClockTime latency;         /* reported; under the object lock */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("RGB")));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("RGB")));

#define dd_infer_parent_class parent_class
G_DEFINE_TYPE (DdInfer, dd_infer, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ddinfer, "ddinfer", GST_RANK_NONE, DD_TYPE_INFER);

static gboolean
dd_infer_start (GstBaseTransform *trans)
{
  DdInfer *self = DD_INFER (trans);
  GST_OBJECT_LOCK (self);
  gchar *model = g_strdup (self->model);
  gchar *device = g_strdup (self->device);
  int batch = (int) self->batch_size;
  GST_OBJECT_UNLOCK (self);
  GError *e = NULL;
  self->instance = dd_model_instance_get (model, device, batch, &e);
  if (self->instance == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", e->message),
        ("model=%s device=%s", model, device));
    g_error_free (e);
  }
  g_free (model);
  g_free (device);
  GST_OBJECT_LOCK (self);
  self->latency = 0;
  GST_OBJECT_UNLOCK (self);
  return self->instance != NULL;
}

/* An inference took `took`: beyond the latency reported, the pipeline is
 * told to ask again (with headroom, so that it is told a few times only). */
static void
note_latency (DdInfer *self, GstClockTime took)
{
  GST_OBJECT_LOCK (self);
  gboolean more = took > self->latency;
  if (more)
    self->latency = took + took / 2;
  GST_OBJECT_UNLOCK (self);
  if (more)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

static gboolean
dd_infer_query (GstBaseTransform *trans, GstPadDirection direction,
    GstQuery *query)
{
  DdInfer *self = DD_INFER (trans);
  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
          query))
    return FALSE;
  if (direction == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    GstClockTime ours = self->latency;
    GST_OBJECT_UNLOCK (self);
    if (live)
      gst_query_set_latency (query, live, min + ours,
          GST_CLOCK_TIME_IS_VALID (max) ? max + ours : max);
  }
  return TRUE;
}

static gboolean
dd_infer_stop (GstBaseTransform *trans)
{
  DdInfer *self = DD_INFER (trans);
  g_clear_pointer (&self->instance, dd_model_instance_unref);
  return TRUE;
}

static gboolean
dd_infer_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
  (void) outcaps;
  DdInfer *self = DD_INFER (trans);
  return gst_video_info_from_caps (&self->info, incaps);
}

static dd_image *
frame_image (DdInfer *self, GstBuffer *buf)
{
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READ))
    return NULL;
  int w = GST_VIDEO_FRAME_WIDTH (&frame), h = GST_VIDEO_FRAME_HEIGHT (&frame);
  dd_image *img = dd_image_new (w, h, NULL);
  for (int y = 0; img && y < h; y++)
    memcpy (img->data + (size_t) 3 * w * y,
        (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
        + (size_t) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), (size_t) 3 * w);
  gst_video_frame_unmap (&frame);
  return img;
}

static const gchar *
frame_name (GstBuffer *buf)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  return fm && fm->uri ? fm->uri : "a frame without DdFrameMeta";
}

static GstFlowReturn
dd_infer_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  DdInfer *self = DD_INFER (trans);
  dd_image *img = frame_image (self, buf);
  if (img == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, ("Dropped a frame of %s that "
            "does not match its caps (%" G_GSIZE_FORMAT " bytes for %dx%d "
            "RGB)", frame_name (buf), gst_buffer_get_size (buf),
            GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info)), (NULL));
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  GST_OBJECT_LOCK (self);
  dd_decode_params decode = self->decode;
  gboolean keep_maps = self->keep_maps;
  GST_OBJECT_UNLOCK (self);
  dd_inference r = { 0 };
  GError *e = NULL;
  gint64 start_us = g_get_monotonic_time ();
  gboolean ok = dd_model_instance_infer (self->instance, img, &decode,
      keep_maps, &r, &e);
  note_latency (self, (GstClockTime) (g_get_monotonic_time () - start_us)
      * GST_USECOND);
  dd_image_free (img);
  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("Inference on %s failed: %s",
            frame_name (buf), e->message), (NULL));
    g_error_free (e);
    dd_inference_clear (&r);
    return GST_FLOW_ERROR;
  }
  DdDetectionsMeta *dm = dd_buffer_get_detections_meta (buf);
  if (dm)
    gst_buffer_remove_meta (buf, (GstMeta *) dm);
  dm = dd_buffer_add_detections_meta (buf, GST_VIDEO_INFO_WIDTH (&self->info),
      GST_VIDEO_INFO_HEIGHT (&self->info),
      (const dd_detection *) r.detections->data, r.detections->len);
  int n_kp = dd_model_instance_n_keypoints (self->instance);
  dd_detections_meta_set_flip_partners (dm,
      dd_model_instance_flip_partners (self->instance), n_kp);
  dd_detections_meta_set_model (dm, dd_model_instance_name (self->instance));
  if (keep_maps)
    dd_detections_meta_set_head_maps (dm, &r.maps);
  GST_LOG_OBJECT (self, "%u detections in %s", r.detections->len,
      frame_name (buf));
  dd_inference_clear (&r);
  return GST_FLOW_OK;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_infer_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdInfer *self = DD_INFER (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      break;
    case PROP_KEEP_MAPS:
      self->keep_maps = g_value_get_boolean (value);
      break;
    case PROP_MAX_DETECTIONS:
      self->decode.max_detections = (int) g_value_get_uint (value);
      break;
    case PROP_MIN_SCORE:
      self->decode.min_score = (float) g_value_get_double (value);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      self->decode.keypoint_threshold = (float) g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_infer_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdInfer *self = DD_INFER (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_KEEP_MAPS:
      g_value_set_boolean (value, self->keep_maps);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_uint (value, (guint) self->decode.max_detections);
      break;
    case PROP_MIN_SCORE:
      g_value_set_double (value, self->decode.min_score);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      g_value_set_double (value, self->decode.keypoint_threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_infer_finalize (GObject *object)
{
  DdInfer *self = DD_INFER (object);
  dd_model_instance_unref (self->instance);
  g_free (self->model);
  g_free (self->device);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define RW_READY (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS \
    | GST_PARAM_MUTABLE_READY)

static void
dd_infer_class_init (DdInferClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  dd_decode_params d;
  dd_decode_params_defaults (&d);

  gobject_class->set_property = dd_infer_set_property;
  gobject_class->get_property = dd_infer_get_property;
  gobject_class->finalize = dd_infer_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "The model folder: model.json and model.safetensors, as `ddistill "
          "train` leaves them", NULL, RW_READY));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "The engine backend: cpu (oneDNN), cuda, or reference (plain "
          "loops, for tests)", DEFAULT_DEVICE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "The most frames of one size the shared worker runs at once "
          "(across every ddinfer naming the same model and device)", 1, 64,
          DEFAULT_BATCH_SIZE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_KEEP_MAPS,
      g_param_spec_boolean ("keep-maps", "Keep maps",
          "Attach the raw head maps to the detections (heatmap ensembling "
          "needs them)", DEFAULT_KEEP_MAPS, RW_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_uint ("max-detections", "Max detections",
          "Decoding keeps the best this many centre peaks", 1, 10000,
          (guint) d.max_detections, RW_READY));
  g_object_class_install_property (gobject_class, PROP_MIN_SCORE,
      g_param_spec_double ("min-score", "Minimum score",
          "Centre peaks scoring below this are not detections", 0.0, 1.0,
          d.min_score, RW_READY));
  g_object_class_install_property (gobject_class, PROP_KEYPOINT_THRESHOLD,
      g_param_spec_double ("keypoint-threshold", "Keypoint threshold",
          "Keypoint heatmap peaks below this do not attract a regressed "
          "keypoint", 0.0, 1.0, d.keypoint_threshold, RW_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Detector inference", "Filter/Analyzer/Video",
      "Runs a ddistill detector on frames (a model shared by every ddinfer "
      "naming it, batched on one engine worker per device) and attaches "
      "its detections and head maps", "ddistill");

  trans_class->start = GST_DEBUG_FUNCPTR (dd_infer_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (dd_infer_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (dd_infer_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (dd_infer_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (dd_infer_query);

  GST_DEBUG_CATEGORY_INIT (dd_infer_debug, "ddinfer", 0,
      "ddistill detector inference");
}

static void
dd_infer_init (DdInfer *self)
{
  self->device = g_strdup (DEFAULT_DEVICE);
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->keep_maps = DEFAULT_KEEP_MAPS;
  dd_decode_params_defaults (&self->decode);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}
