/* DdTransformMeta: registration, copies, scaling, points and JSON. */
#include "elements/ddtransformmeta.h"

#include <gst/video/video.h>
#include <math.h>

GType
dd_transform_meta_api_get_type (void)
{
  static GType type = 0;
  /* "size": a scaling element updates the meta (frame_transform below);
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
  tm->flip = FALSE;
  return TRUE;
}

/* A copy keeps the transform; a scale from in_info to out_info resizes the
 * transformed side of it. Anything else (a crop, a rotation) cannot be
 * expressed, so the meta is dropped rather than left wrong. */
static gboolean
transform_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  const DdTransformMeta *tm = (const DdTransformMeta *) meta;
  gint width = tm->width, height = tm->height;
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    const GstVideoMetaTransform *vt = data;
    gint in_w = GST_VIDEO_INFO_WIDTH (vt->in_info);
    gint in_h = GST_VIDEO_INFO_HEIGHT (vt->in_info);
    width = (gint) lround ((double) width * GST_VIDEO_INFO_WIDTH (vt->out_info)
        / in_w);
    height = (gint) lround ((double) height
        * GST_VIDEO_INFO_HEIGHT (vt->out_info) / in_h);
  } else if (!GST_META_TRANSFORM_IS_COPY (type)) {
    return FALSE;
  }
  if (dd_buffer_get_transform_meta (dest))
    return TRUE;
  return dd_buffer_add_transform_meta (dest, tm->frame_width, tm->frame_height,
      width, height, tm->flip) != NULL;
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

DdTransformMeta *
dd_buffer_add_transform_meta (GstBuffer *buffer, gint frame_width,
    gint frame_height, gint width, gint height, gboolean flip)
{
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (frame_width > 0 && frame_height > 0, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);
  DdTransformMeta *tm = (DdTransformMeta *) gst_buffer_add_meta (buffer,
      DD_TRANSFORM_META_INFO, NULL);
  tm->frame_width = frame_width;
  tm->frame_height = frame_height;
  tm->width = width;
  tm->height = height;
  tm->flip = flip;
  return tm;
}

gboolean
dd_transform_meta_is_identity (const DdTransformMeta *meta)
{
  return !meta->flip && meta->width == meta->frame_width
      && meta->height == meta->frame_height;
}

void
dd_transform_meta_point_forward (const DdTransformMeta *meta, double x,
    double y, double *u, double *v)
{
  *u = x * meta->width / meta->frame_width;
  if (meta->flip)
    *u = meta->width - *u;
  *v = y * meta->height / meta->frame_height;
}

void
dd_transform_meta_point_inverse (const DdTransformMeta *meta, double u,
    double v, double *x, double *y)
{
  if (meta->flip)
    u = meta->width - u;
  *x = u * meta->frame_width / meta->width;
  *y = v * meta->frame_height / meta->height;
}

gchar *
dd_transform_meta_name (const DdTransformMeta *meta)
{
  return g_strdup_printf ("%dx%d%s", meta->width, meta->height,
      meta->flip ? "f" : "");
}

JsonNode *
dd_transform_meta_to_json (const DdTransformMeta *meta)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "frame_width");
  json_builder_add_int_value (b, meta->frame_width);
  json_builder_set_member_name (b, "frame_height");
  json_builder_add_int_value (b, meta->frame_height);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, meta->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, meta->height);
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
