/* DdFrameMeta: registration, copies and JSON. */
#include "elements/ddframemeta.h"


GType
dd_frame_meta_api_get_type (void)
{
  static GType type = 0;
  /* No tags: a frame's identity holds whatever is done to its pixels, so
   * every transform (scale, convert, flip, crop) copies the meta. */
  static const gchar *tags[] = { NULL };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("DdFrameMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
frame_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  (void) params;
  (void) buffer;
  DdFrameMeta *fm = (DdFrameMeta *) meta;
  fm->uri = NULL;
  fm->timestamp_ns = 0;
  fm->frame_index = -1;
  fm->width = fm->height = 0;
  return TRUE;
}

static void
frame_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  (void) buffer;
  DdFrameMeta *fm = (DdFrameMeta *) meta;
  g_clear_pointer (&fm->uri, g_free);
}

static gboolean
frame_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  (void) type;
  (void) data;
  const DdFrameMeta *fm = (const DdFrameMeta *) meta;
  return dd_buffer_add_frame_meta (dest, fm->uri, fm->timestamp_ns,
      fm->frame_index, fm->width, fm->height) != NULL;
}

const GstMetaInfo *
dd_frame_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *i = gst_meta_register (DD_FRAME_META_API_TYPE,
        "DdFrameMeta", sizeof (DdFrameMeta), frame_meta_init, frame_meta_free,
        frame_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) i);
  }
  return info;
}

DdFrameMeta *
dd_buffer_add_frame_meta (GstBuffer *buffer, const gchar *uri,
    guint64 timestamp_ns, gint64 frame_index, gint width, gint height)
{
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  DdFrameMeta *fm = (DdFrameMeta *) gst_buffer_add_meta (buffer,
      DD_FRAME_META_INFO, NULL);
  fm->uri = g_strdup (uri);
  fm->timestamp_ns = timestamp_ns;
  fm->frame_index = frame_index;
  fm->width = width;
  fm->height = height;
  return fm;
}

gboolean
dd_frame_meta_same_frame (const DdFrameMeta *a, const DdFrameMeta *b)
{
  return a->timestamp_ns == b->timestamp_ns && g_strcmp0 (a->uri, b->uri) == 0;
}

JsonNode *
dd_frame_meta_to_json (const DdFrameMeta *meta)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uri");
  if (meta->uri)
    json_builder_add_string_value (b, meta->uri);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "timestamp_ns");
  json_builder_add_int_value (b, (gint64) meta->timestamp_ns);
  json_builder_set_member_name (b, "frame_index");
  json_builder_add_int_value (b, meta->frame_index);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, meta->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, meta->height);
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

gchar *
dd_frame_meta_to_string (const DdFrameMeta *meta)
{
  JsonNode *node = dd_frame_meta_to_json (meta);
  gchar *text = json_to_string (node, FALSE);
  json_node_unref (node);
  return text;
}
