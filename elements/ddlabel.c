/**
 * SECTION:element-ddlabel
 * @title: ddlabel
 *
 * Steps 2 and 3 of data distillation in one element: each frame goes out
 * with its hard labels, the teacher's detections over the test-time
 * transforms `transforms` (lib/distill's spec: "factors=0.75,1.25,flip",
 * "scales=96:224:32,flip", "list=1x;0.5xf", ...) ensembled by `rules`.
 * A bin that builds the fan-out a user would otherwise type by hand:
 *
 *   sink ─ tee ┬─ queue ─────────────────────────────────────────────── ddensemble.frame
 *              └─ queue ! videoconvert ! RGB ! ddtransform letterbox ─ tee ┬─ queue ! ddtransform (pass 0) ! ddinfer ─ ddensemble.sink_0
 *                                                                          ├─ ...
 *                                                                          └─ queue ! ddtransform (pass N) ! ddinfer ─ ddensemble.sink_N ─ src
 *
 * Every branch has a thread of its own (the queues): the thread that
 * feeds the bin must never wait for the passes, or a renegotiation on the
 * pass side (a new video's caps), which waits for the pass queues to
 * drain, would wait for ddensemble, which waits for the frame the feeding
 * thread has not pushed yet.
 *
 * As `ddistill distill` labels (tools/tta_predictor.h), each frame is
 * letterboxed into the model's input size (the canvas), the spec is
 * resolved against that canvas (the untransformed pass first, repeated
 * sizes once), every pass runs through one shared model (ddinfer:
 * `model`, `device`, `batch-size`), and the labels, made on the canvas,
 * are mapped back to the frame, which leaves in its own format with a
 * DdDetectionsMeta. With `letterbox` off, the frame itself is the canvas
 * and the passes resize it (sizes then follow each frame).
 *
 * The branches are made when the bin goes to READY; the properties apply
 * from there.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 ddcorpussrc location=videos/ ! ddsampler ! ddlabel model=run/teacher transforms="factors=0.75,1.25,flip" ! videoconvert ! dddatasetsink location=dataset/
 * ]|
 */
#include "elements/ddlabel.h"

#include "distill/tta_spec.h"
#include "model/model_dir.h"

GST_DEBUG_CATEGORY_STATIC (dd_label_debug);
#define GST_CAT_DEFAULT dd_label_debug

#define DEFAULT_TRANSFORMS "flip"
#define DEFAULT_DEVICE "cpu"
#define DEFAULT_BATCH_SIZE 1
#define DEFAULT_LETTERBOX TRUE

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_BATCH_SIZE,
  PROP_TRANSFORMS,
  PROP_RULES,
  PROP_LETTERBOX,
  PROP_PASSES,
};

struct _DdLabel {
  GstBin parent;
  GstPad *sinkpad, *srcpad;     /* ghost pads */

  /* Properties, under the object lock. */
  gchar *model, *device, *transforms, *rules;
  guint batch_size;
  gboolean letterbox;
  gchar *passes;                /* the resolved passes, for people */

  GPtrArray *built;             /* the elements made at READY */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));

#define dd_label_parent_class parent_class
G_DEFINE_TYPE (DdLabel, dd_label, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (ddlabel, "ddlabel", GST_RANK_NONE, DD_TYPE_LABEL);

/* What the bin is built from. */
typedef struct {
  gchar *model, *device, *transforms, *rules;
  guint batch_size;
  gboolean letterbox;
} settings;

static void
settings_clear (settings *s)
{
  g_free (s->model);
  g_free (s->device);
  g_free (s->transforms);
  g_free (s->rules);
}

static GstElement *
make (DdLabel *self, const gchar *factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (e == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("GStreamer element '%s' "
            "is missing", factory), (NULL));
    return NULL;
  }
  gst_bin_add (GST_BIN (self), e);
  g_ptr_array_add (self->built, gst_object_ref (e));
  return e;
}

static gboolean
link_request (DdLabel *self, GstElement *from, GstElement *to,
    const gchar *pad_name)
{
  GstPad *src = gst_element_get_static_pad (from, "src");
  GstPad *sink = gst_element_request_pad_simple (to, pad_name);
  gboolean ok = sink && gst_pad_link (src, sink) == GST_PAD_LINK_OK;
  gst_object_unref (src);
  gst_clear_object (&sink);
  if (!ok)
    GST_ELEMENT_ERROR (self, CORE, PAD, ("Cannot link %s to %s's %s",
            GST_ELEMENT_NAME (from), GST_ELEMENT_NAME (to), pad_name), (NULL));
  return ok;
}

/* One pass as ddtransform properties. */
typedef struct {
  guint width, height;          /* exact, on a known canvas */
  guint shorter_side;
  gdouble factor;
  gboolean flip;
} pass_props;

/* The passes: with a letterbox, the spec resolved on the model's canvas
 * (exact sizes, repeats removed); without, the spec's entries as resize
 * properties applied to each frame, the untransformed pass first. */
/* A pass twice would weigh twice in the ensemble (the letterboxed plan
 * drops repeats in dd_tta_spec_resolve). */
static gboolean
repeats_a_pass (const pass_props *p, const pass_props *passes, int n)
{
  for (int i = 0; i < n; i++)
    if (passes[i].shorter_side == p->shorter_side && passes[i].factor == p->factor
        && passes[i].flip == p->flip && passes[i].width == p->width
        && passes[i].height == p->height)
      return TRUE;
  return FALSE;
}

static gboolean
plan_passes (DdLabel *self, const settings *s, int *canvas_w, int *canvas_h,
    pass_props *passes, int *n_passes, GString *names)
{
  if (!s->model || !*s->model) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model given: set model to "
            "a folder holding model.json and model.safetensors"), (NULL));
    return FALSE;
  }
  GError *e = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse (s->transforms ? s->transforms : "",
      &e);
  if (spec == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Bad transforms: %s",
            e->message), (NULL));
    g_error_free (e);
    return FALSE;
  }
  *canvas_w = *canvas_h = 0;
  *n_passes = 0;
  if (s->letterbox) {
    char err[1024];
    dd_detector *det = dd_model_dir_load (s->model ? s->model : "", err,
        sizeof err);
    if (det == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", err), (NULL));
      dd_tta_spec_free (spec);
      return FALSE;
    }
    dd_net_default_size (det->net, canvas_h, canvas_w);
    dd_detector_free (det);
    dd_tta_transform ts[DD_TTA_MAX_TRANSFORMS];
    int n = dd_tta_spec_resolve (spec, *canvas_w, *canvas_h, ts, &e);
    for (int i = 0; i < n; i++) {
      char name[64];
      dd_tta_transform_name (&ts[i], name, sizeof name);
      g_string_append_printf (names, "%s%s", i ? "," : "", name);
      passes[(*n_passes)++] = (pass_props) { .width = (guint) ts[i].width,
        .height = (guint) ts[i].height, .factor = 1.0, .flip = ts[i].flip };
    }
    if (n < 0) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Bad transforms: %s",
              e->message), (NULL));
      g_error_free (e);
    }
  } else {
    passes[(*n_passes)++] = (pass_props) { .factor = 1.0 };
    g_string_append (names, "1x");
    for (int i = 0; i < spec->n_entries && *n_passes < DD_TTA_MAX_TRANSFORMS;
        i++) {
      const dd_tta_entry *en = &spec->entries[i];
      pass_props p = { .shorter_side = en->absolute ? (guint) en->value : 0,
        .factor = en->absolute ? 1.0 : en->value, .flip = en->flip };
      if (repeats_a_pass (&p, passes, *n_passes))
        continue;               /* the untransformed pass listed, or a repeat */
      passes[(*n_passes)++] = p;
      g_string_append_printf (names, ",%g%s%s", en->value, en->absolute ? ""
          : "x", en->flip ? "f" : "");
    }
  }
  dd_tta_spec_free (spec);
  return *n_passes > 0;
}

static gboolean
build (DdLabel *self)
{
  settings s;
  GST_OBJECT_LOCK (self);
  s = (settings) { g_strdup (self->model), g_strdup (self->device),
    g_strdup (self->transforms), g_strdup (self->rules), self->batch_size,
    self->letterbox };
  GST_OBJECT_UNLOCK (self);
  pass_props passes[DD_TTA_MAX_TRANSFORMS];
  int n = 0, cw, ch;
  GString *names = g_string_new (NULL);
  gboolean ok = plan_passes (self, &s, &cw, &ch, passes, &n, names);
  GstElement *tee = ok ? make (self, "tee") : NULL;
  GstElement *frame_queue = tee ? make (self, "queue") : NULL;
  GstElement *pass_queue = frame_queue ? make (self, "queue") : NULL;
  GstElement *convert = pass_queue ? make (self, "videoconvert") : NULL;
  GstElement *rgb = convert ? make (self, "capsfilter") : NULL;
  GstElement *canvas = rgb ? make (self, "ddtransform") : NULL;
  GstElement *fanout = canvas ? make (self, "tee") : NULL;
  GstElement *ensemble = fanout ? make (self, "ddensemble") : NULL;
  ok = ensemble != NULL;
  if (ok) {
    GstCaps *caps = gst_caps_from_string ("video/x-raw,format=RGB");
    g_object_set (rgb, "caps", caps, NULL);
    gst_caps_unref (caps);
    if (s.letterbox)
      g_object_set (canvas, "letterbox-width", (guint) cw, "letterbox-height",
          (guint) ch, NULL);
    g_object_set (ensemble, "rules", s.rules, NULL);
    ok = gst_element_link (tee, frame_queue)
        && link_request (self, frame_queue, ensemble, "frame")
        && gst_element_link_many (tee, pass_queue, convert, rgb, canvas,
        fanout, NULL);
  }
  for (int i = 0; ok && i < n; i++) {
    GstElement *q = make (self, "queue");
    GstElement *t = q ? make (self, "ddtransform") : NULL;
    GstElement *infer = t ? make (self, "ddinfer") : NULL;
    ok = infer != NULL;
    if (!ok)
      break;
    g_object_set (t, "width", passes[i].width, "height", passes[i].height,
        "shorter-side", passes[i].shorter_side, "factor", passes[i].factor,
        "flip", passes[i].flip, NULL);
    g_object_set (infer, "model", s.model, "device", s.device, "batch-size",
        s.batch_size, NULL);
    gchar *pad = g_strdup_printf ("sink_%d", i);
    ok = gst_element_link_many (fanout, q, t, infer, NULL)
        && link_request (self, infer, ensemble, pad);
    g_free (pad);
  }
  if (ok) {
    GstPad *in = gst_element_get_static_pad (tee, "sink");
    GstPad *out = gst_element_get_static_pad (ensemble, "src");
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), in);
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), out);
    gst_object_unref (in);
    gst_object_unref (out);
    for (guint i = 0; i < self->built->len; i++)
      gst_element_sync_state_with_parent (g_ptr_array_index (self->built, i));
    GST_INFO_OBJECT (self, "%d passes: %s", n, names->str);
  }
  GST_OBJECT_LOCK (self);
  g_free (self->passes);
  self->passes = g_string_free (names, FALSE);
  GST_OBJECT_UNLOCK (self);
  settings_clear (&s);
  return ok;
}

static void
tear_down (DdLabel *self)
{
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), NULL);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), NULL);
  for (guint i = 0; i < self->built->len; i++) {
    GstElement *e = g_ptr_array_index (self->built, i);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), e);
  }
  g_ptr_array_set_size (self->built, 0);
}

static GstStateChangeReturn
dd_label_change_state (GstElement *element, GstStateChange transition)
{
  DdLabel *self = DD_LABEL (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !build (self)) {
    tear_down (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    tear_down (self);
  return ret;
}

/* ---- Properties ---------------------------------------------------------- */

static void
dd_label_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdLabel *self = DD_LABEL (object);
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
    case PROP_TRANSFORMS:
      g_free (self->transforms);
      self->transforms = g_value_dup_string (value);
      break;
    case PROP_RULES:
      g_free (self->rules);
      self->rules = g_value_dup_string (value);
      break;
    case PROP_LETTERBOX:
      self->letterbox = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_label_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdLabel *self = DD_LABEL (object);
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
    case PROP_TRANSFORMS:
      g_value_set_string (value, self->transforms);
      break;
    case PROP_RULES:
      g_value_set_string (value, self->rules);
      break;
    case PROP_LETTERBOX:
      g_value_set_boolean (value, self->letterbox);
      break;
    case PROP_PASSES:
      g_value_set_string (value, self->passes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_label_finalize (GObject *object)
{
  DdLabel *self = DD_LABEL (object);
  g_ptr_array_unref (self->built);
  g_free (self->model);
  g_free (self->device);
  g_free (self->transforms);
  g_free (self->rules);
  g_free (self->passes);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define RW_NULL (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)

static void
dd_label_class_init (DdLabelClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = dd_label_set_property;
  gobject_class->get_property = dd_label_get_property;
  gobject_class->finalize = dd_label_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "The teacher's model folder: model.json and model.safetensors",
          NULL, RW_NULL));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "The engine backend: cpu, cuda or reference", DEFAULT_DEVICE,
          RW_NULL));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "The most passes of one size the engine runs at once", 1, 64,
          DEFAULT_BATCH_SIZE, RW_NULL));
  g_object_class_install_property (gobject_class, PROP_TRANSFORMS,
      g_param_spec_string ("transforms", "Transforms",
          "Test-time transforms, lib/distill's spec: \"scales=96:224:32,flip\", "
          "\"factors=0.75,1.25,flip\", \"list=1x;0.5xf\"; the untransformed "
          "pass is always one of them", DEFAULT_TRANSFORMS, RW_NULL));
  g_object_class_install_property (gobject_class, PROP_RULES,
      g_param_spec_string ("rules", "Rules",
          "Ensemble rules, as ddensemble's rules (default: the paper's "
          "keypoint setting)", NULL, RW_NULL));
  g_object_class_install_property (gobject_class, PROP_LETTERBOX,
      g_param_spec_boolean ("letterbox", "Letterbox",
          "Letterbox each frame into the model's input size and resolve the "
          "transforms on that canvas, as `ddistill distill` does (FALSE: "
          "transform the frame itself)", DEFAULT_LETTERBOX, RW_NULL));
  g_object_class_install_property (gobject_class, PROP_PASSES,
      g_param_spec_string ("passes", "Passes",
          "The passes built, as \"128x128,128x128f,...\" (sizes on the "
          "canvas), or as the spec's entries without letterbox; set at READY",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Teacher labelling", "Filter/Analyzer/Video",
      "Labels frames with a teacher over test-time transforms: builds the "
      "ddtransform ! ddinfer fan-out and the ddensemble from one transforms "
      "property", "ddistill");

  element_class->change_state = GST_DEBUG_FUNCPTR (dd_label_change_state);

  GST_DEBUG_CATEGORY_INIT (dd_label_debug, "ddlabel", 0,
      "ddistill teacher labelling bin");
}

static void
dd_label_init (DdLabel *self)
{
  self->sinkpad = gst_ghost_pad_new_no_target_from_template ("sink",
      gst_static_pad_template_get (&sink_template));
  self->srcpad = gst_ghost_pad_new_no_target_from_template ("src",
      gst_static_pad_template_get (&src_template));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->built = g_ptr_array_new_with_free_func (gst_object_unref);
  self->device = g_strdup (DEFAULT_DEVICE);
  self->transforms = g_strdup (DEFAULT_TRANSFORMS);
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->letterbox = DEFAULT_LETTERBOX;
}
