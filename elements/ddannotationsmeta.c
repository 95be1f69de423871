/* DdAnnotationsMeta: registration, deep copies, scaling and JSON. */
#include "elements/ddannotationsmeta.h"

#include <gst/video/video.h>

GType
dd_labels_origin_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { DD_LABELS_MANUAL, "Labelled by people (the ground truth)", "manual" },
    { DD_LABELS_AUTOMATIC, "Labelled by a teacher model (distillation)",
        "automatic" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("DdLabelsOrigin", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

const gchar *
dd_labels_origin_nick (DdLabelsOrigin origin)
{
  return origin == DD_LABELS_AUTOMATIC ? "automatic" : "manual";
}

GType
dd_annotations_meta_api_get_type (void)
{
  static GType type = 0;
  /* Scaled by scaling elements; the orientation tag makes a flipping
   * element drop it instead of copying it unmirrored. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, GST_META_TAG_VIDEO_ORIENTATION_STR, NULL
  };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("DdAnnotationsMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
annotations_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  (void) params;
  (void) buffer;
  DdAnnotationsMeta *am = (DdAnnotationsMeta *) meta;
  am->origin = DD_LABELS_MANUAL;
  am->width = am->height = 0;
  am->image_id = -1;
  am->n_annotations = 0;
  am->annotations = NULL;
  am->categories = NULL;
  return TRUE;
}

static void
annotations_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  (void) buffer;
  DdAnnotationsMeta *am = (DdAnnotationsMeta *) meta;
  for (guint i = 0; i < am->n_annotations; i++)
    g_free (am->annotations[i].keypoints);
  g_clear_pointer (&am->annotations, g_free);
  g_clear_pointer (&am->categories, g_strfreev);
  am->n_annotations = 0;
}

/* Scales every coordinate of `am` (already a copy) by (sx, sy). */
static void
scale_annotations (DdAnnotationsMeta *am, double sx, double sy)
{
  for (guint i = 0; i < am->n_annotations; i++) {
    dd_coco_annotation *a = &am->annotations[i];
    a->bbox[0] *= sx;
    a->bbox[1] *= sy;
    a->bbox[2] *= sx;
    a->bbox[3] *= sy;
    a->area *= sx * sy;
    for (int k = 0; k < a->n_keypoints; k++) {
      if (a->keypoints[3 * k + 2] <= 0)
        continue;
      a->keypoints[3 * k] = (float) (a->keypoints[3 * k] * sx);
      a->keypoints[3 * k + 1] = (float) (a->keypoints[3 * k + 1] * sy);
    }
  }
}

/* A copy keeps everything, a scale maps the coordinates, anything else
 * drops the meta rather than leave it wrong. */
static gboolean
annotations_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  const DdAnnotationsMeta *am = (const DdAnnotationsMeta *) meta;
  if (dd_buffer_get_annotations_meta (dest))
    return TRUE;
  gboolean copy = GST_META_TRANSFORM_IS_COPY (type);
  if (!copy && !GST_VIDEO_META_TRANSFORM_IS_SCALE (type))
    return FALSE;
  DdAnnotationsMeta *out = dd_buffer_add_annotations_meta (dest, am->origin,
      am->width, am->height, am->image_id, am->annotations,
      (const gchar * const *) am->categories, am->n_annotations);
  if (copy)
    return TRUE;
  const GstVideoMetaTransform *vt = data;
  double sx = (double) GST_VIDEO_INFO_WIDTH (vt->out_info)
      / GST_VIDEO_INFO_WIDTH (vt->in_info);
  double sy = (double) GST_VIDEO_INFO_HEIGHT (vt->out_info)
      / GST_VIDEO_INFO_HEIGHT (vt->in_info);
  out->width = GST_VIDEO_INFO_WIDTH (vt->out_info);
  out->height = GST_VIDEO_INFO_HEIGHT (vt->out_info);
  scale_annotations (out, sx, sy);
  return TRUE;
}

const GstMetaInfo *
dd_annotations_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *i = gst_meta_register (DD_ANNOTATIONS_META_API_TYPE,
        "DdAnnotationsMeta", sizeof (DdAnnotationsMeta), annotations_meta_init,
        annotations_meta_free, annotations_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) i);
  }
  return info;
}

DdAnnotationsMeta *
dd_buffer_add_annotations_meta (GstBuffer *buffer, DdLabelsOrigin origin,
    gint width, gint height, gint64 image_id,
    const dd_coco_annotation *annotations, const gchar *const *categories,
    guint n)
{
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (n == 0 || (annotations && categories), NULL);
  DdAnnotationsMeta *am = (DdAnnotationsMeta *) gst_buffer_add_meta (buffer,
      DD_ANNOTATIONS_META_INFO, NULL);
  am->origin = origin;
  am->width = width;
  am->height = height;
  am->image_id = image_id;
  am->n_annotations = n;
  am->annotations = g_new0 (dd_coco_annotation, MAX (n, 1));
  am->categories = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++) {
    dd_coco_annotation *a = &am->annotations[i];
    *a = annotations[i];
    a->segmentation = NULL;
    a->keypoints = a->n_keypoints > 0
        ? g_memdup2 (annotations[i].keypoints, sizeof (float) * 3 * a->n_keypoints)
        : NULL;
    am->categories[i] = g_strdup (categories[i]);
  }
  return am;
}

static void
add_annotation_json (JsonBuilder *b, const dd_coco_annotation *a,
    const gchar *category)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, a->id);
  json_builder_set_member_name (b, "category");
  json_builder_add_string_value (b, category);
  json_builder_set_member_name (b, "bbox");
  json_builder_begin_array (b);
  for (int j = 0; j < 4; j++)
    json_builder_add_double_value (b, a->bbox[j]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "area");
  json_builder_add_double_value (b, a->area);
  json_builder_set_member_name (b, "iscrowd");
  json_builder_add_int_value (b, a->iscrowd);
  json_builder_set_member_name (b, "num_keypoints");
  json_builder_add_int_value (b, a->num_keypoints);
  json_builder_set_member_name (b, "keypoints");
  json_builder_begin_array (b);
  for (int k = 0; k < 3 * a->n_keypoints; k++)
    json_builder_add_double_value (b, a->keypoints[k]);
  json_builder_end_array (b);
  if (a->has_score) {
    json_builder_set_member_name (b, "score");
    json_builder_add_double_value (b, a->score);
  }
  json_builder_end_object (b);
}

JsonNode *
dd_annotations_meta_to_json (const DdAnnotationsMeta *meta)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "origin");
  json_builder_add_string_value (b, dd_labels_origin_nick (meta->origin));
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, meta->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, meta->height);
  json_builder_set_member_name (b, "image_id");
  json_builder_add_int_value (b, meta->image_id);
  json_builder_set_member_name (b, "annotations");
  json_builder_begin_array (b);
  for (guint i = 0; i < meta->n_annotations; i++)
    add_annotation_json (b, &meta->annotations[i], meta->categories[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

gchar *
dd_annotations_meta_to_string (const DdAnnotationsMeta *meta)
{
  JsonNode *node = dd_annotations_meta_to_json (meta);
  gchar *text = json_to_string (node, FALSE);
  json_node_unref (node);
  return text;
}
