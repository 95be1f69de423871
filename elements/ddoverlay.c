/**
 * SECTION:element-ddoverlay
 * @title: ddoverlay
 *
 * Draws what a buffer's DdDetectionsMeta holds onto the frame itself, with
 * cairo: each box (coloured by class, with its score when `show-scores`),
 * each keypoint scoring at least `keypoint-threshold` as a dot, and the
 * `skeleton` between such keypoints (COCO's person skeleton by default).
 * Coordinates follow the meta's pixel space, scaled to the frame's when
 * the sizes differ. Frames without the meta pass unchanged.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ... ! ddensemble ! videoconvert ! ddoverlay ! videoconvert ! x264enc ! mp4mux ! filesink location=preview.mp4
 * ]|
 */
#include "elements/ddoverlay.h"

#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "elements/coco_person.h"
#include "elements/dddetectionsmeta.h"

GST_DEBUG_CATEGORY_STATIC (dd_overlay_debug);
#define GST_CAT_DEFAULT dd_overlay_debug

#define MAX_EDGES 256
#define DEFAULT_LINE_WIDTH 2.0
#define DEFAULT_SCORE_THRESHOLD 0.0
#define DEFAULT_KEYPOINT_THRESHOLD 0.0
#define DEFAULT_SHOW_SCORES TRUE

enum {
  PROP_0,
  PROP_SKELETON,
  PROP_LINE_WIDTH,
  PROP_SCORE_THRESHOLD,
  PROP_KEYPOINT_THRESHOLD,
  PROP_SHOW_SCORES,
};

typedef struct {
  int n_edges;
  int edges[MAX_EDGES][2];
  double line_width, score_threshold, keypoint_threshold;
  gboolean show_scores;
} draw_style;

struct _DdOverlay {
  GstVideoFilter parent;

  /* Properties, under the object lock; `style` holds the parsed skeleton. */
  gchar *skeleton;
  gchar *bad_skeleton;          /* the last value set, if it did not parse */
  draw_style style;
};

/* cairo's native-endian 32-bit pixels. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define FORMATS "{ BGRx, BGRA }"
#else
#define FORMATS "{ xRGB, ARGB }"
#endif

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

#define dd_overlay_parent_class parent_class
G_DEFINE_TYPE (DdOverlay, dd_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (ddoverlay, "ddoverlay", GST_RANK_NONE,
    DD_TYPE_OVERLAY);

int
dd_overlay_parse_skeleton (const char *text, int (*pairs)[2], int max)
{
  int n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    long a = strtol (p, &end, 10);
    if (end == p || *end != '-')
      return -1;
    p = end + 1;
    long b = strtol (p, &end, 10);
    if (end == p || a < 1 || b < 1 || a > DD_MAX_KEYPOINTS
        || b > DD_MAX_KEYPOINTS || n >= max)
      return -1;
    pairs[n][0] = (int) a;
    pairs[n][1] = (int) b;
    n++;
    p = end;
    if (*p == ',')
      p++;
    else if (*p)
      return -1;
  }
  return n;
}

static gchar *
default_skeleton (void)
{
  const int (*pairs)[2];
  int n = dd_coco_person_skeleton (&pairs);
  GString *s = g_string_new (NULL);
  for (int e = 0; e < n; e++)
    g_string_append_printf (s, "%s%d-%d", e ? "," : "", pairs[e][0],
        pairs[e][1]);
  return g_string_free (s, FALSE);
}

/* ---- Drawing ------------------------------------------------------------- */

static void
set_class_colour (cairo_t *cr, int class_index)
{
  static const double palette[][3] = {
    {1.0, 0.25, 0.25}, {0.25, 0.9, 0.25}, {0.3, 0.5, 1.0}, {1.0, 0.85, 0.1},
    {0.9, 0.3, 0.9}, {0.2, 0.9, 0.9}, {1.0, 0.55, 0.1}, {0.7, 0.7, 0.7},
  };
  const double *c = palette[(guint) class_index % G_N_ELEMENTS (palette)];
  cairo_set_source_rgb (cr, c[0], c[1], c[2]);
}

static void
draw_detection (cairo_t *cr, const dd_detection *d, double sx, double sy,
    const draw_style *st)
{
  set_class_colour (cr, d->class_index);
  cairo_set_line_width (cr, st->line_width);
  cairo_rectangle (cr, d->box[0] * sx, d->box[1] * sy,
      (d->box[2] - d->box[0]) * sx, (d->box[3] - d->box[1]) * sy);
  cairo_stroke (cr);
  for (int e = 0; e < st->n_edges; e++) {
    int a = st->edges[e][0] - 1, b = st->edges[e][1] - 1;
    if (a >= d->n_keypoints || b >= d->n_keypoints
        || d->keypoints[a].score < st->keypoint_threshold
        || d->keypoints[b].score < st->keypoint_threshold)
      continue;
    cairo_move_to (cr, d->keypoints[a].x * sx, d->keypoints[a].y * sy);
    cairo_line_to (cr, d->keypoints[b].x * sx, d->keypoints[b].y * sy);
    cairo_stroke (cr);
  }
  for (int k = 0; k < d->n_keypoints; k++) {
    if (d->keypoints[k].score < st->keypoint_threshold)
      continue;
    cairo_arc (cr, d->keypoints[k].x * sx, d->keypoints[k].y * sy,
        1.5 * st->line_width, 0, 2 * G_PI);
    cairo_fill (cr);
  }
  if (st->show_scores) {
    char text[32];
    g_snprintf (text, sizeof text, "%.2f", d->score);
    cairo_set_font_size (cr, 10.0);
    cairo_move_to (cr, d->box[0] * sx, d->box[1] * sy - st->line_width);
    cairo_show_text (cr, text);
  }
}

static GstFlowReturn
dd_overlay_transform_frame_ip (GstVideoFilter *filter, GstVideoFrame *frame)
{
  DdOverlay *self = DD_OVERLAY (filter);
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (frame->buffer);
  if (dm == NULL || dm->n_detections == 0)
    return GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  draw_style st = self->style;
  GST_OBJECT_UNLOCK (self);
  int w = GST_VIDEO_FRAME_WIDTH (frame), h = GST_VIDEO_FRAME_HEIGHT (frame);
  cairo_format_t format = GST_VIDEO_INFO_HAS_ALPHA (&frame->info)
      ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24;
  cairo_surface_t *surface = cairo_image_surface_create_for_data (
      GST_VIDEO_FRAME_PLANE_DATA (frame, 0), format, w, h,
      GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
  cairo_t *cr = cairo_create (surface);
  double sx = dm->width > 0 ? (double) w / dm->width : 1.0;
  double sy = dm->height > 0 ? (double) h / dm->height : 1.0;
  for (guint i = 0; i < dm->n_detections; i++)
    if (dm->detections[i].score >= st.score_threshold)
      draw_detection (cr, &dm->detections[i], sx, sy, &st);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("cairo could not draw on a "
            "%dx%d frame: %s", w, h, cairo_status_to_string (status)), (NULL));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* ---- Properties ---------------------------------------------------------- */

#define SKELETON_HELP "write 1-based keypoint pairs as \"16-14,14-12,...\" (at " \
  "most %d, keypoints up to %d)"

static gboolean
set_skeleton (DdOverlay *self, const gchar *text)
{
  int edges[MAX_EDGES][2];
  int n = dd_overlay_parse_skeleton (text ? text : "", edges, MAX_EDGES);
  if (n < 0)
    return FALSE;
  g_free (self->skeleton);
  self->skeleton = g_strdup (text ? text : "");
  self->style.n_edges = n;
  memcpy (self->style.edges, edges, sizeof edges[0] * n);
  return TRUE;
}

static void
dd_overlay_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdOverlay *self = DD_OVERLAY (object);
  gboolean bad_skeleton = FALSE;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SKELETON:
      bad_skeleton = !set_skeleton (self, g_value_get_string (value));
      g_free (self->bad_skeleton);
      self->bad_skeleton = bad_skeleton ? g_value_dup_string (value) : NULL;
      break;
    case PROP_LINE_WIDTH:
      self->style.line_width = g_value_get_double (value);
      break;
    case PROP_SCORE_THRESHOLD:
      self->style.score_threshold = g_value_get_double (value);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      self->style.keypoint_threshold = g_value_get_double (value);
      break;
    case PROP_SHOW_SCORES:
      self->style.show_scores = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  /* Set while running: said now, the last good skeleton kept. Set before
   * the element has a bus (gst-launch sets properties first), a warning
   * would be lost: start refuses it instead. */
  if (bad_skeleton)
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("Ignoring skeleton '%s': "
            SKELETON_HELP, g_value_get_string (value), MAX_EDGES,
            DD_MAX_KEYPOINTS), (NULL));
}

static gboolean
dd_overlay_start (GstBaseTransform *trans)
{
  DdOverlay *self = DD_OVERLAY (trans);
  GST_OBJECT_LOCK (self);
  g_autofree gchar *bad = g_strdup (self->bad_skeleton);
  GST_OBJECT_UNLOCK (self);
  if (bad) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Bad skeleton '%s': " SKELETON_HELP,
            bad, MAX_EDGES, DD_MAX_KEYPOINTS), (NULL));
    return FALSE;
  }
  return TRUE;
}

static void
dd_overlay_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdOverlay *self = DD_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SKELETON:
      g_value_set_string (value, self->skeleton);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_double (value, self->style.line_width);
      break;
    case PROP_SCORE_THRESHOLD:
      g_value_set_double (value, self->style.score_threshold);
      break;
    case PROP_KEYPOINT_THRESHOLD:
      g_value_set_double (value, self->style.keypoint_threshold);
      break;
    case PROP_SHOW_SCORES:
      g_value_set_boolean (value, self->style.show_scores);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_overlay_finalize (GObject *object)
{
  DdOverlay *self = DD_OVERLAY (object);
  g_free (self->skeleton);
  g_free (self->bad_skeleton);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dd_overlay_class_init (DdOverlayClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = dd_overlay_set_property;
  gobject_class->get_property = dd_overlay_get_property;
  gobject_class->finalize = dd_overlay_finalize;

  gchar *skeleton = default_skeleton ();
  g_object_class_install_property (gobject_class, PROP_SKELETON,
      g_param_spec_string ("skeleton", "Skeleton",
          "Lines between keypoints, as 1-based pairs \"a-b,c-d,...\" (COCO's "
          "convention; empty: none). Default: COCO's person skeleton",
          skeleton, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_free (skeleton);
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_double ("line-width", "Line width",
          "Width of boxes and skeleton lines, in pixels", 0.5, 50.0,
          DEFAULT_LINE_WIDTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SCORE_THRESHOLD,
      g_param_spec_double ("score-threshold", "Score threshold",
          "Detections scoring below this are not drawn", 0.0, G_MAXDOUBLE,
          DEFAULT_SCORE_THRESHOLD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_KEYPOINT_THRESHOLD,
      g_param_spec_double ("keypoint-threshold", "Keypoint threshold",
          "Keypoints scoring below this are not drawn, nor their skeleton "
          "lines", 0.0, G_MAXDOUBLE, DEFAULT_KEYPOINT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SHOW_SCORES,
      g_param_spec_boolean ("show-scores", "Show scores",
          "Write each detection's score above its box", DEFAULT_SHOW_SCORES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Detections overlay", "Filter/Editor/Video",
      "Draws the boxes, keypoints and skeletons of ddistill's detections "
      "onto the video with cairo", "ddistill");

  GST_BASE_TRANSFORM_CLASS (klass)->start = GST_DEBUG_FUNCPTR (dd_overlay_start);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (dd_overlay_transform_frame_ip);

  GST_DEBUG_CATEGORY_INIT (dd_overlay_debug, "ddoverlay", 0,
      "ddistill detections overlay");
}

static void
dd_overlay_init (DdOverlay *self)
{
  gchar *skeleton = default_skeleton ();
  set_skeleton (self, skeleton);
  g_free (skeleton);
  self->style.line_width = DEFAULT_LINE_WIDTH;
  self->style.score_threshold = DEFAULT_SCORE_THRESHOLD;
  self->style.keypoint_threshold = DEFAULT_KEYPOINT_THRESHOLD;
  self->style.show_scores = DEFAULT_SHOW_SCORES;
}
