/**
 * SECTION:element-ddtransform
 * @title: ddtransform
 *
 * One test-time transform of distillation, recorded in a DdTransformMeta
 * so that what a detector finds in the result can be mapped back to the
 * frame:
 *
 *   - a resize of each frame (to `width` x `height`, else its shorter side
 *     to `shorter-side` pixels, else both sides by `factor`) and/or a
 *     mirror (`flip`): a pass of test-time augmentation;
 *   - with `letterbox-width` and `letterbox-height`, a letterbox instead:
 *     the frame scaled to fit that canvas, aspect kept, centred, the rest
 *     `fill` (a model's input, as lib/model places images for the
 *     detector); the canvas becomes the base the following passes resize.
 *
 * A transform meta already on the buffer is composed with this one, so the
 * meta always relates the buffer to the original frame; the DdFrameMeta
 * passes unchanged; a DdDetectionsMeta is mapped into the new pixels (when
 * mirroring, its keypoints are exchanged with their flip partners; without
 * partners it is dropped, with a warning in the log). A frame that does
 * not fit its caps is dropped with a warning naming its video.
 *
 * Pixels are resampled with lib/data's convention (video_resample.h:
 * bilinear between pixel centres, align_corners=False), so the image a
 * model sees here is the one the library's own transforms give, to the
 * byte. Packed 8-bit formats only: put videoconvert in front for others.
 * With neither a resize nor a mirror the frame passes untouched, meta
 * added.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,format=RGB,width=320,height=240 ! ddtransform shorter-side=120 flip=true ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/ddtransform.h"

#include <math.h>
#include <string.h>

#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/ddtransformmeta.h"
#include "elements/video_resample.h"
#include "model/predict.h"

GST_DEBUG_CATEGORY_STATIC (dd_transform_debug);
#define GST_CAT_DEFAULT dd_transform_debug

#define DEFAULT_SHORTER_SIDE 0
#define DEFAULT_FACTOR 1.0
#define DEFAULT_FLIP FALSE
/* lib/model's padding colour, ImageNet's mean RGB (dd_detector_fill). */
#define DEFAULT_FILL 0x7c7468
#define MAX_SIDE 16384

enum {
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_SHORTER_SIDE,
  PROP_FACTOR,
  PROP_FLIP,
  PROP_LETTERBOX_WIDTH,
  PROP_LETTERBOX_HEIGHT,
  PROP_FILL,
};

/* What the properties ask for. */
typedef struct {
  guint width, height;
  guint shorter_side;
  gdouble factor;
  gboolean flip;
  guint letterbox_width, letterbox_height;
  guint fill;                   /* 0xRRGGBB */
} geometry;

struct _DdTransform {
  GstVideoFilter parent;

  geometry props;               /* under the object lock */

  /* From set_info, in the streaming thread. */
  gboolean letterbox;
  dd_transform transform;       /* input pixels -> output pixels */
  dd_resampler *resampler;      /* NULL when the frame passes in place */
  gboolean warned_partners;
};

#define FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

#define dd_transform_parent_class parent_class
G_DEFINE_TYPE (DdTransform, dd_transform, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (ddtransform, "ddtransform", GST_RANK_NONE,
    DD_TYPE_TRANSFORM);

void
dd_transform_output_size (int fw, int fh, guint shorter_side, double factor,
    int *width, int *height)
{
  long w, h;
  if (shorter_side > 0 && fw <= fh) {
    w = shorter_side;
    h = lround ((double) fh * shorter_side / fw);
  } else if (shorter_side > 0) {
    h = shorter_side;
    w = lround ((double) fw * shorter_side / fh);
  } else {
    w = lround (fw * factor);
    h = lround (fh * factor);
  }
  *width = (int) CLAMP (w, 1, MAX_SIDE);
  *height = (int) CLAMP (h, 1, MAX_SIDE);
}

static geometry
get_geometry (DdTransform *self)
{
  GST_OBJECT_LOCK (self);
  geometry g = self->props;
  GST_OBJECT_UNLOCK (self);
  return g;
}

static gboolean
is_letterbox (const geometry *g)
{
  return g->letterbox_width > 0 && g->letterbox_height > 0;
}

/* The transform of an in_w x in_h input. */
static dd_transform
transform_for (const geometry *g, int in_w, int in_h)
{
  if (is_letterbox (g))
    return dd_letterbox (in_w, in_h, (int) g->letterbox_width,
        (int) g->letterbox_height);
  int w = (int) g->width, h = (int) g->height;
  if (w == 0 || h == 0)
    dd_transform_output_size (in_w, in_h, g->shorter_side, g->factor, &w, &h);
  return dd_transform_resize (in_w, in_h, w, h, g->flip);
}

/* ---- Caps ---------------------------------------------------------------- */

/* A fixed input size gives a fixed output size (a letterbox gives its
 * canvas whatever the input); anything else, and the way back (many sizes
 * shrink to one), any size. */
static GstCaps *
dd_transform_transform_caps (GstBaseTransform *trans, GstPadDirection direction,
    GstCaps *caps, GstCaps *filter)
{
  DdTransform *self = DD_TRANSFORM (trans);
  geometry g = get_geometry (self);
  GstCaps *out = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (out); i++) {
    GstStructure *s = gst_caps_get_structure (out, i);
    gint fw, fh;
    gboolean fixed = gst_structure_get_int (s, "width", &fw)
        && gst_structure_get_int (s, "height", &fh) && fw > 0 && fh > 0;
    if (direction == GST_PAD_SINK && (fixed || is_letterbox (&g))) {
      dd_transform t = transform_for (&g, fixed ? fw : 1, fixed ? fh : 1);
      gst_structure_set (s, "width", G_TYPE_INT, t.width, "height", G_TYPE_INT,
          t.height, NULL);
    } else {
      gst_structure_set (s, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
          "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
    }
  }
  if (filter) {
    GstCaps *both = gst_caps_intersect_full (filter, out,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (out);
    out = both;
  }
  GST_DEBUG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, out);
  return out;
}

/* The fill colour as one pixel of the format: its R, G, B components where
 * the format keeps them, alpha opaque, padding 0, grey the mean. */
static void
fill_pixel (const GstVideoInfo *info, guint rgb, guint8 *pixel)
{
  guint8 c[3] = { (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff };
  memset (pixel, 0, 4);
  if (GST_VIDEO_INFO_IS_GRAY (info)) {
    pixel[0] = (guint8) ((c[0] + c[1] + c[2] + 1) / 3);
    return;
  }
  for (guint k = 0; k < GST_VIDEO_INFO_N_COMPONENTS (info); k++)
    pixel[GST_VIDEO_INFO_COMP_POFFSET (info, k)] = k < 3 ? c[k] : 0xff;
}

static gboolean
dd_transform_set_info (GstVideoFilter *filter, GstCaps *incaps,
    GstVideoInfo *in_info, GstCaps *outcaps, GstVideoInfo *out_info)
{
  (void) incaps;
  (void) outcaps;
  DdTransform *self = DD_TRANSFORM (filter);
  geometry g = get_geometry (self);
  gint in_w = GST_VIDEO_INFO_WIDTH (in_info), in_h = GST_VIDEO_INFO_HEIGHT (in_info);
  gint out_w = GST_VIDEO_INFO_WIDTH (out_info), out_h = GST_VIDEO_INFO_HEIGHT (out_info);
  dd_transform t = transform_for (&g, in_w, in_h);
  if (t.width != out_w || t.height != out_h
      || GST_VIDEO_INFO_FORMAT (in_info) != GST_VIDEO_INFO_FORMAT (out_info)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("ddtransform turns %dx%d "
            "frames into %dx%d %s, but %dx%d %s was negotiated downstream",
            in_w, in_h, t.width, t.height, GST_VIDEO_INFO_NAME (in_info), out_w,
            out_h, GST_VIDEO_INFO_NAME (out_info)),
        ("let a videoscale/videoconvert after it adapt, or change the "
            "transform's properties"));
    return FALSE;
  }
  dd_resampler_free (self->resampler);
  self->resampler = NULL;
  self->letterbox = is_letterbox (&g);
  self->transform = t;
  gboolean identity = !self->letterbox && !t.flip && out_w == in_w
      && out_h == in_h;
  if (!identity) {
    guint8 fill[4];
    fill_pixel (in_info, g.fill, fill);
    self->resampler = dd_resampler_new (in_w, in_h, &t,
        GST_VIDEO_INFO_COMP_PSTRIDE (in_info, 0), fill);
  }
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), identity);
  GST_INFO_OBJECT (self, "%dx%d -> %dx%d%s%s", in_w, in_h, out_w, out_h,
      self->letterbox ? " letterboxed" : "", t.flip ? " mirrored"
      : identity ? " (in place)" : "");
  return TRUE;
}

/* ---- Metas --------------------------------------------------------------- */

/* Ours are rewritten in add_metas. Other metas tied to the size are scaled
 * as videoconvertscale scales them when this is a plain resize, or
 * dropped (GStreamer 1.22 cannot tell them about a mirror or a letterbox);
 * the rest are copied. */
static gboolean
dd_transform_transform_meta (GstBaseTransform *trans, GstBuffer *outbuf,
    GstMeta *meta, GstBuffer *inbuf)
{
  DdTransform *self = DD_TRANSFORM (trans);
  GType api = meta->info->api;
  if (api == DD_TRANSFORM_META_API_TYPE || api == DD_DETECTIONS_META_API_TYPE)
    return FALSE;
  gboolean plain_resize = !self->letterbox && !self->transform.flip;
  if (gst_meta_api_type_has_tag (api, g_quark_from_static_string
          (GST_META_TAG_VIDEO_ORIENTATION_STR)) && !plain_resize)
    return FALSE;
  if (gst_meta_api_type_has_tag (api, g_quark_from_static_string
          (GST_META_TAG_VIDEO_SIZE_STR))) {
    /* Scaled onto outbuf here; FALSE, or the base class would copy it on
     * as well, unscaled. */
    GstVideoFilter *vf = GST_VIDEO_FILTER (trans);
    GstVideoMetaTransform scale = { &vf->in_info, &vf->out_info };
    if (plain_resize && meta->info->transform_func)
      meta->info->transform_func (outbuf, meta, inbuf,
          gst_video_meta_transform_scale_get_quark (), &scale);
    return FALSE;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->transform_meta (trans,
      outbuf, meta, inbuf);
}

/* The transform meta relates `outbuf` to the original frame, composed
 * with the input's: a letterbox joins the base, a resize or mirror the
 * pass (resizes compose into one resize, two mirrors cancel). */
static void
add_transform_meta (DdTransform *self, GstBuffer *inbuf, GstBuffer *outbuf)
{
  GstVideoFilter *vf = GST_VIDEO_FILTER (self);
  gint in_w = GST_VIDEO_INFO_WIDTH (&vf->in_info);
  gint in_h = GST_VIDEO_INFO_HEIGHT (&vf->in_info);
  const DdTransformMeta *in_tm = dd_buffer_get_transform_meta (inbuf);
  gint fw = in_tm ? in_tm->frame_width : in_w;
  gint fh = in_tm ? in_tm->frame_height : in_h;
  const dd_transform *t = &self->transform;
  if (self->letterbox) {
    dd_transform full = in_tm ? dd_transform_meta_full (in_tm)
        : dd_transform_identity (in_w, in_h);
    dd_transform base = dd_transform_meta_compose (&full, t);
    dd_buffer_add_transform_meta (outbuf, fw, fh, &base, t->width, t->height,
        FALSE);
    return;
  }
  dd_buffer_add_transform_meta (outbuf, fw, fh, in_tm ? &in_tm->base : NULL,
      t->width, t->height, (in_tm && in_tm->flip) != t->flip);
}

static void
add_metas (DdTransform *self, GstBuffer *inbuf, GstBuffer *outbuf)
{
  if (inbuf == outbuf) {
    GstVideoFilter *vf = GST_VIDEO_FILTER (self);
    if (!dd_buffer_get_transform_meta (outbuf))
      dd_buffer_add_transform_meta (outbuf, GST_VIDEO_INFO_WIDTH (&vf->in_info),
          GST_VIDEO_INFO_HEIGHT (&vf->in_info), NULL,
          GST_VIDEO_INFO_WIDTH (&vf->in_info),
          GST_VIDEO_INFO_HEIGHT (&vf->in_info), FALSE);
    return;
  }
  add_transform_meta (self, inbuf, outbuf);
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (inbuf);
  if (dm == NULL)
    return;
  /* From the meta's pixels to the input's, then through the transform. */
  GstVideoFilter *vf = GST_VIDEO_FILTER (self);
  dd_transform to_input = dd_transform_resize (dm->width, dm->height,
      GST_VIDEO_INFO_WIDTH (&vf->in_info), GST_VIDEO_INFO_HEIGHT (&vf->in_info),
      FALSE);
  dd_transform t = dd_transform_meta_compose (&to_input, &self->transform);
  if (!dd_buffer_add_detections_meta_mapped (outbuf, dm, &t)
      && !self->warned_partners) {
    GST_WARNING_OBJECT (self, "dropping detections: mirroring their keypoints "
        "needs flip partners, and the meta has none");
    self->warned_partners = TRUE;
  }
}

/* ---- Frames -------------------------------------------------------------- */

/* GstVideoFilter warns about a buffer too small for its caps but still
 * pushes an output buffer it never filled: check first, and drop it. */
static gboolean
frame_fits (DdTransform *self, GstBuffer *buf)
{
  GstVideoFrame frame;
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  if (gst_video_frame_map (&frame, info, buf, GST_MAP_READ)) {
    gst_video_frame_unmap (&frame);
    return TRUE;
  }
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  GST_ELEMENT_WARNING (self, STREAM, FORMAT, ("Dropped a frame of %s that "
          "does not match its caps (%" G_GSIZE_FORMAT " bytes for %dx%d %s)",
          fm && fm->uri ? fm->uri : "a stream without DdFrameMeta",
          gst_buffer_get_size (buf), GST_VIDEO_INFO_WIDTH (info),
          GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_NAME (info)),
      ("the element upstream produced a short buffer"));
  return FALSE;
}

static GstFlowReturn
dd_transform_transform (GstBaseTransform *trans, GstBuffer *inbuf,
    GstBuffer *outbuf)
{
  if (!frame_fits (DD_TRANSFORM (trans), inbuf))
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  return GST_BASE_TRANSFORM_CLASS (parent_class)->transform (trans, inbuf,
      outbuf);
}

static GstFlowReturn
dd_transform_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  if (!frame_fits (DD_TRANSFORM (trans), buf))
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  return GST_BASE_TRANSFORM_CLASS (parent_class)->transform_ip (trans, buf);
}

static GstFlowReturn
dd_transform_transform_frame (GstVideoFilter *filter, GstVideoFrame *in,
    GstVideoFrame *out)
{
  DdTransform *self = DD_TRANSFORM (filter);
  dd_resampler_run (self->resampler, GST_VIDEO_FRAME_PLANE_DATA (in, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (in, 0), GST_VIDEO_FRAME_PLANE_DATA (out, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (out, 0));
  add_metas (self, in->buffer, out->buffer);
  return GST_FLOW_OK;
}

static GstFlowReturn
dd_transform_transform_frame_ip (GstVideoFilter *filter, GstVideoFrame *frame)
{
  add_metas (DD_TRANSFORM (filter), frame->buffer, frame->buffer);
  return GST_FLOW_OK;
}

static gboolean
dd_transform_stop (GstBaseTransform *trans)
{
  DdTransform *self = DD_TRANSFORM (trans);
  g_clear_pointer (&self->resampler, dd_resampler_free);
  self->warned_partners = FALSE;
  return TRUE;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_transform_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdTransform *self = DD_TRANSFORM (object);
  geometry *g = &self->props;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g->width = g_value_get_uint (value);
      break;
    case PROP_HEIGHT:
      g->height = g_value_get_uint (value);
      break;
    case PROP_SHORTER_SIDE:
      g->shorter_side = g_value_get_uint (value);
      break;
    case PROP_FACTOR:
      g->factor = g_value_get_double (value);
      break;
    case PROP_FLIP:
      g->flip = g_value_get_boolean (value);
      break;
    case PROP_LETTERBOX_WIDTH:
      g->letterbox_width = g_value_get_uint (value);
      break;
    case PROP_LETTERBOX_HEIGHT:
      g->letterbox_height = g_value_get_uint (value);
      break;
    case PROP_FILL:
      g->fill = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
}

static void
dd_transform_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdTransform *self = DD_TRANSFORM (object);
  const geometry *g = &self->props;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_uint (value, g->width);
      break;
    case PROP_HEIGHT:
      g_value_set_uint (value, g->height);
      break;
    case PROP_SHORTER_SIDE:
      g_value_set_uint (value, g->shorter_side);
      break;
    case PROP_FACTOR:
      g_value_set_double (value, g->factor);
      break;
    case PROP_FLIP:
      g_value_set_boolean (value, g->flip);
      break;
    case PROP_LETTERBOX_WIDTH:
      g_value_set_uint (value, g->letterbox_width);
      break;
    case PROP_LETTERBOX_HEIGHT:
      g_value_set_uint (value, g->letterbox_height);
      break;
    case PROP_FILL:
      g_value_set_uint (value, g->fill);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_transform_finalize (GObject *object)
{
  DdTransform *self = DD_TRANSFORM (object);
  dd_resampler_free (self->resampler);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define RW_READY (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS \
    | GST_PARAM_MUTABLE_READY)

static void
dd_transform_class_init (DdTransformClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = dd_transform_set_property;
  gobject_class->get_property = dd_transform_get_property;
  gobject_class->finalize = dd_transform_finalize;

  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_uint ("width", "Width",
          "Resize to this width, with height (0: use shorter-side or factor)",
          0, MAX_SIDE, 0, RW_READY));
  g_object_class_install_property (gobject_class, PROP_HEIGHT,
      g_param_spec_uint ("height", "Height",
          "Resize to this height, with width (0: use shorter-side or factor)",
          0, MAX_SIDE, 0, RW_READY));
  g_object_class_install_property (gobject_class, PROP_SHORTER_SIDE,
      g_param_spec_uint ("shorter-side", "Shorter side",
          "Resize so that the shorter side has this many pixels, keeping the "
          "aspect ratio (0: use factor instead)", 0, MAX_SIDE,
          DEFAULT_SHORTER_SIDE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_FACTOR,
      g_param_spec_double ("factor", "Factor",
          "Resize both sides by this factor, rounded to whole pixels (when "
          "width, height and shorter-side are 0)", 0.01, 16.0, DEFAULT_FACTOR,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_FLIP,
      g_param_spec_boolean ("flip", "Flip",
          "Mirror horizontally after the resize", DEFAULT_FLIP, RW_READY));
  g_object_class_install_property (gobject_class, PROP_LETTERBOX_WIDTH,
      g_param_spec_uint ("letterbox-width", "Letterbox width",
          "With letterbox-height: fit each frame into a canvas this wide, "
          "aspect kept, centred, padded with fill (the resize properties "
          "and flip are then ignored; 0: no letterbox)", 0, MAX_SIDE, 0,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_LETTERBOX_HEIGHT,
      g_param_spec_uint ("letterbox-height", "Letterbox height",
          "With letterbox-width: the canvas's height (0: no letterbox)", 0,
          MAX_SIDE, 0, RW_READY));
  g_object_class_install_property (gobject_class, PROP_FILL,
      g_param_spec_uint ("fill", "Fill",
          "Colour of a letterbox's padding as 0xRRGGBB (default: ImageNet's "
          "mean, lib/model's padding)", 0, 0xffffff, DEFAULT_FILL, RW_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Test-time transform", "Filter/Effect/Video",
      "Resizes (explicit size, shorter side or factor; bilinear with pixel "
      "centres at +0.5) and/or mirrors frames, or letterboxes them onto a "
      "canvas, recording the transform for the inverse mapping of "
      "detections", "ddistill");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR (dd_transform_transform_caps);
  trans_class->transform_meta = GST_DEBUG_FUNCPTR (dd_transform_transform_meta);
  trans_class->stop = GST_DEBUG_FUNCPTR (dd_transform_stop);
  trans_class->transform = GST_DEBUG_FUNCPTR (dd_transform_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (dd_transform_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (dd_transform_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR (dd_transform_transform_frame);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (dd_transform_transform_frame_ip);

  GST_DEBUG_CATEGORY_INIT (dd_transform_debug, "ddtransform", 0,
      "ddistill test-time transform");
}

static void
dd_transform_init (DdTransform *self)
{
  self->props = (geometry) { .shorter_side = DEFAULT_SHORTER_SIDE,
    .factor = DEFAULT_FACTOR, .flip = DEFAULT_FLIP, .fill = DEFAULT_FILL };
}
