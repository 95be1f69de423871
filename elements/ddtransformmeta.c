/* DdTransformMeta: registration, copies, scaling, composition, points and
 * JSON. */
#include "elements/ddtransformmeta.h"

#include <gst/video/video.h>
#include <math.h>

GType
dd_transform_meta_api_get_type (void)
{
  static GType type = 0;
  /* "size": a scaling element updates the meta (transform_meta_transform);
   * "orientation": an element that rotates or mirrors must not copy it
   * blindly (videoflip in 1.22 still does, see the header). */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, GST_META_TAG_VIDEO_ORIENTATION_STR, NULL
  };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("DdTransformMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
transform_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  (void) params;
  (void) buffer;
  DdTransformMeta *tm = (DdTransformMeta *) meta;
  tm->frame_width = tm->frame_height = tm->width = tm->height = 0;
  tm->base = dd_transform_identity (0, 0);
  tm->flip = FALSE;
  return TRUE;
}

/* A copy keeps the transform; a scale from in_info to out_info resizes the
 * pass. Anything else (a crop, a rotation) cannot be expressed, so the
 * meta is dropped rather than left wrong. */
static gboolean
transform_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  const DdTransformMeta *tm = (const DdTransformMeta *) meta;
  gint width = tm->width, height = tm->height;
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    const GstVideoMetaTransform *vt = data;
    width = (gint) lround ((double) width * GST_VIDEO_INFO_WIDTH (vt->out_info)
        / GST_VIDEO_INFO_WIDTH (vt->in_info));
    height = (gint) lround ((double) height
        * GST_VIDEO_INFO_HEIGHT (vt->out_info)
        / GST_VIDEO_INFO_HEIGHT (vt->in_info));
  } else if (!GST_META_TRANSFORM_IS_COPY (type)) {
    return FALSE;
  }
  if (dd_buffer_get_transform_meta (dest))
    return TRUE;
  return dd_buffer_add_transform_meta (dest, tm->frame_width, tm->frame_height,
      &tm->base, width, height, tm->flip) != NULL;
}

const GstMetaInfo *
dd_transform_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *i = gst_meta_register (DD_TRANSFORM_META_API_TYPE,
        "DdTransformMeta", sizeof (DdTransformMeta), transform_meta_init, NULL,
        transform_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) i);
  }
  return info;
}

dd_transform
dd_transform_identity (gint width, gint height)
{
  return (dd_transform) { .width = width, .height = height, .scale_x = 1.0,
    .scale_y = 1.0 };
}

DdTransformMeta *
dd_buffer_add_transform_meta (GstBuffer *buffer, gint frame_width,
    gint frame_height, const dd_transform *base, gint width, gint height,
    gboolean flip)
{
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (frame_width > 0 && frame_height > 0, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (base == NULL || (base->width > 0 && base->height > 0
          && base->scale_x > 0 && base->scale_y > 0), NULL);
  DdTransformMeta *tm = (DdTransformMeta *) gst_buffer_add_meta (buffer,
      DD_TRANSFORM_META_INFO, NULL);
  tm->frame_width = frame_width;
  tm->frame_height = frame_height;
  tm->base = base ? *base : dd_transform_identity (frame_width, frame_height);
  tm->width = width;
  tm->height = height;
  tm->flip = flip;
  return tm;
}

/* Along x, a transform is u = slope * x + intercept. */
static void
x_line (const dd_transform *t, double *slope, double *intercept)
{
  *slope = t->flip ? -t->scale_x : t->scale_x;
  *intercept = t->flip ? t->width - t->offset_x : t->offset_x;
}

dd_transform
dd_transform_meta_compose (const dd_transform *first, const dd_transform *then)
{
  double a, b, c, d;
  x_line (first, &a, &b);
  x_line (then, &c, &d);
  double slope = c * a, intercept = c * b + d;
  dd_transform t = { .width = then->width, .height = then->height,
    .scale_y = then->scale_y * first->scale_y,
    .offset_y = then->scale_y * first->offset_y + then->offset_y,
    .flip = slope < 0 };
  t.scale_x = fabs (slope);
  t.offset_x = t.flip ? then->width - intercept : intercept;
  return t;
}

static gboolean
base_is_identity (const DdTransformMeta *meta)
{
  const dd_transform *b = &meta->base;
  return b->scale_x == 1.0 && b->scale_y == 1.0 && b->offset_x == 0.0
      && b->offset_y == 0.0 && !b->flip && b->width == meta->frame_width
      && b->height == meta->frame_height;
}

gboolean
dd_transform_meta_is_identity (const DdTransformMeta *meta)
{
  return base_is_identity (meta) && !meta->flip
      && meta->width == meta->base.width && meta->height == meta->base.height;
}

dd_tta_transform
dd_transform_meta_pass (const DdTransformMeta *meta)
{
  return (dd_tta_transform) { .frame_width = meta->base.width,
    .frame_height = meta->base.height, .width = meta->width,
    .height = meta->height, .flip = meta->flip };
}

dd_transform
dd_transform_meta_full (const DdTransformMeta *meta)
{
  dd_transform pass = dd_transform_resize (meta->base.width, meta->base.height,
      meta->width, meta->height, meta->flip);
  return dd_transform_meta_compose (&meta->base, &pass);
}

void
dd_transform_meta_point_forward (const DdTransformMeta *meta, double x,
    double y, double *u, double *v)
{
  dd_tta_transform pass = dd_transform_meta_pass (meta);
  double cx, cy;
  dd_transform_point (&meta->base, x, y, &cx, &cy);
  dd_tta_point_forward (&pass, cx, cy, u, v);
}

void
dd_transform_meta_point_inverse (const DdTransformMeta *meta, double u,
    double v, double *x, double *y)
{
  dd_tta_transform pass = dd_transform_meta_pass (meta);
  double cx, cy;
  dd_tta_point_inverse (&pass, u, v, &cx, &cy);
  dd_transform_point_inverse (&meta->base, cx, cy, x, y);
}

gchar *
dd_transform_meta_name (const DdTransformMeta *meta)
{
  dd_tta_transform pass = dd_transform_meta_pass (meta);
  char name[64];
  dd_tta_transform_name (&pass, name, sizeof name);
  return g_strdup (name);
}

static void
add_member (JsonBuilder *b, const char *name, double value, gboolean integer)
{
  json_builder_set_member_name (b, name);
  if (integer)
    json_builder_add_int_value (b, (gint64) value);
  else
    json_builder_add_double_value (b, value);
}

JsonNode *
dd_transform_meta_to_json (const DdTransformMeta *meta)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_member (b, "frame_width", meta->frame_width, TRUE);
  add_member (b, "frame_height", meta->frame_height, TRUE);
  json_builder_set_member_name (b, "base");
  json_builder_begin_object (b);
  add_member (b, "width", meta->base.width, TRUE);
  add_member (b, "height", meta->base.height, TRUE);
  add_member (b, "scale_x", meta->base.scale_x, FALSE);
  add_member (b, "scale_y", meta->base.scale_y, FALSE);
  add_member (b, "offset_x", meta->base.offset_x, FALSE);
  add_member (b, "offset_y", meta->base.offset_y, FALSE);
  json_builder_set_member_name (b, "flip");
  json_builder_add_boolean_value (b, meta->base.flip);
  json_builder_end_object (b);
  add_member (b, "width", meta->width, TRUE);
  add_member (b, "height", meta->height, TRUE);
  json_builder_set_member_name (b, "flip");
  json_builder_add_boolean_value (b, meta->flip);
  gchar *name = dd_transform_meta_name (meta);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  g_free (name);
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

gchar *
dd_transform_meta_to_string (const DdTransformMeta *meta)
{
  JsonNode *node = dd_transform_meta_to_json (meta);
  gchar *text = json_to_string (node, FALSE);
  json_node_unref (node);
  return text;
}
