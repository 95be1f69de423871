/* DdDetectionsMeta: registration, deep copies, geometric mapping and JSON. */
#include "elements/dddetectionsmeta.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

GType
dd_detections_meta_api_get_type (void)
{
  static GType type = 0;
  /* As DdTransformMeta: scaled by scaling elements, never mirrored blindly. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, GST_META_TAG_VIDEO_ORIENTATION_STR, NULL
  };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("DdDetectionsMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- Head maps ----------------------------------------------------------- */

static float *
copy_planes (const float *planes, int n_planes, const dd_head_maps *m)
{
  if (planes == NULL || n_planes == 0)
    return NULL;
  return g_memdup2 (planes, (gsize) n_planes * m->h * m->w * sizeof (float));
}

static dd_head_maps *
head_maps_copy (const dd_head_maps *m)
{
  dd_head_maps *c = g_new (dd_head_maps, 1);
  *c = *m;
  c->center = copy_planes (m->center, m->n_classes, m);
  c->size = copy_planes (m->size, 2, m);
  c->offset = copy_planes (m->offset, 2, m);
  c->keypoint_heatmap = copy_planes (m->keypoint_heatmap, m->n_keypoints, m);
  c->keypoint_offset = copy_planes (m->keypoint_offset, 2 * m->n_keypoints, m);
  return c;
}

static void
head_maps_free (dd_head_maps *m)
{
  if (m == NULL)
    return;
  g_free (m->center);
  g_free (m->size);
  g_free (m->offset);
  g_free (m->keypoint_heatmap);
  g_free (m->keypoint_offset);
  g_free (m);
}

/* ---- Meta ---------------------------------------------------------------- */

static gboolean
detections_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  (void) params;
  (void) buffer;
  DdDetectionsMeta *dm = (DdDetectionsMeta *) meta;
  dm->width = dm->height = 0;
  dm->n_detections = 0;
  dm->detections = NULL;
  dm->n_flip_partners = 0;
  dm->head_maps = NULL;
  dm->model = NULL;
  return TRUE;
}

static void
detections_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  (void) buffer;
  DdDetectionsMeta *dm = (DdDetectionsMeta *) meta;
  g_clear_pointer (&dm->detections, g_free);
  g_clear_pointer (&dm->head_maps, head_maps_free);
  g_clear_pointer (&dm->model, g_free);
}

/* A copy keeps everything; a scale maps the coordinates (and keeps the head
 * maps only when the size does not change, as videoconvert's "scale" by 1);
 * anything else drops the meta rather than leave it wrong. */
static gboolean
detections_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  const DdDetectionsMeta *dm = (const DdDetectionsMeta *) meta;
  if (dd_buffer_get_detections_meta (dest))
    return TRUE;
  dd_transform t = { .width = dm->width, .height = dm->height,
    .scale_x = 1.0, .scale_y = 1.0 };
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    const GstVideoMetaTransform *vt = data;
    t.scale_x = (double) GST_VIDEO_INFO_WIDTH (vt->out_info)
        / GST_VIDEO_INFO_WIDTH (vt->in_info);
    t.scale_y = (double) GST_VIDEO_INFO_HEIGHT (vt->out_info)
        / GST_VIDEO_INFO_HEIGHT (vt->in_info);
    t.width = (gint) lround (dm->width * t.scale_x);
    t.height = (gint) lround (dm->height * t.scale_y);
  } else if (!GST_META_TRANSFORM_IS_COPY (type)) {
    return FALSE;
  }
  return dd_buffer_add_detections_meta_mapped (dest, dm, &t) != NULL;
}

const GstMetaInfo *
dd_detections_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *i = gst_meta_register (DD_DETECTIONS_META_API_TYPE,
        "DdDetectionsMeta", sizeof (DdDetectionsMeta), detections_meta_init,
        detections_meta_free, detections_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) i);
  }
  return info;
}

DdDetectionsMeta *
dd_buffer_add_detections_meta (GstBuffer *buffer, gint width, gint height,
    const dd_detection *detections, guint n)
{
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (n == 0 || detections != NULL, NULL);
  DdDetectionsMeta *dm = (DdDetectionsMeta *) gst_buffer_add_meta (buffer,
      DD_DETECTIONS_META_INFO, NULL);
  dm->width = width;
  dm->height = height;
  dm->n_detections = n;
  dm->detections = n ? g_memdup2 (detections, n * sizeof *detections) : NULL;
  return dm;
}

void
dd_detections_meta_set_flip_partners (DdDetectionsMeta *meta,
    const gint *partner, gint n)
{
  g_return_if_fail (n >= 0 && n <= DD_MAX_KEYPOINTS);
  for (gint k = 0; k < n; k++)
    g_return_if_fail (partner[k] >= 0 && partner[k] < n);
  meta->n_flip_partners = n;
  if (n)
    memcpy (meta->flip_partner, partner, n * sizeof *partner);
}

void
dd_detections_meta_set_head_maps (DdDetectionsMeta *meta,
    const dd_head_maps *maps)
{
  g_clear_pointer (&meta->head_maps, head_maps_free);
  if (maps)
    meta->head_maps = head_maps_copy (maps);
}

void
dd_detections_meta_set_model (DdDetectionsMeta *meta, const gchar *model)
{
  g_free (meta->model);
  meta->model = g_strdup (model);
}

static gboolean
is_identity (const dd_transform *t, gint width, gint height)
{
  return t->width == width && t->height == height && t->scale_x == 1.0
      && t->scale_y == 1.0 && t->offset_x == 0.0 && t->offset_y == 0.0
      && !t->flip;
}

static void
map_detection (const dd_transform *t, const dd_detection *in,
    dd_detection *out, const gint *partner)
{
  *out = *in;
  double x1, y1, x2, y2;
  dd_transform_point (t, in->box[0], in->box[1], &x1, &y1);
  dd_transform_point (t, in->box[2], in->box[3], &x2, &y2);
  out->box[0] = (float) MIN (x1, x2);
  out->box[1] = (float) MIN (y1, y2);
  out->box[2] = (float) MAX (x1, x2);
  out->box[3] = (float) MAX (y1, y2);
  for (int k = 0; k < in->n_keypoints; k++) {
    const dd_keypoint *kp = &in->keypoints[t->flip ? partner[k] : k];
    double u, v;
    dd_transform_point (t, kp->x, kp->y, &u, &v);
    out->keypoints[k] = (dd_keypoint) { (float) u, (float) v, kp->score };
  }
}

DdDetectionsMeta *
dd_buffer_add_detections_meta_mapped (GstBuffer *dest,
    const DdDetectionsMeta *src, const dd_transform *t)
{
  if (t->flip) {
    for (guint i = 0; i < src->n_detections; i++)
      if (src->detections[i].n_keypoints > 0
          && src->detections[i].n_keypoints != src->n_flip_partners)
        return NULL;
  }
  DdDetectionsMeta *dm = dd_buffer_add_detections_meta (dest, t->width,
      t->height, NULL, 0);
  dm->n_detections = src->n_detections;
  dm->detections = g_new (dd_detection, MAX (src->n_detections, 1));
  for (guint i = 0; i < src->n_detections; i++)
    map_detection (t, &src->detections[i], &dm->detections[i],
        src->flip_partner);
  dd_detections_meta_set_flip_partners (dm, src->flip_partner,
      src->n_flip_partners);
  dd_detections_meta_set_model (dm, src->model);
  if (src->head_maps && is_identity (t, src->width, src->height))
    dm->head_maps = head_maps_copy (src->head_maps);
  return dm;
}

/* ---- JSON ---------------------------------------------------------------- */

static void
add_detection (JsonBuilder *b, const dd_detection *d)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "class");
  json_builder_add_int_value (b, d->class_index);
  json_builder_set_member_name (b, "box");
  json_builder_begin_array (b);
  for (int i = 0; i < 4; i++)
    json_builder_add_double_value (b, d->box[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "score");
  json_builder_add_double_value (b, d->score);
  json_builder_set_member_name (b, "keypoints");
  json_builder_begin_array (b);
  for (int k = 0; k < d->n_keypoints; k++) {
    json_builder_begin_array (b);
    json_builder_add_double_value (b, d->keypoints[k].x);
    json_builder_add_double_value (b, d->keypoints[k].y);
    json_builder_add_double_value (b, d->keypoints[k].score);
    json_builder_end_array (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_int_member (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

JsonNode *
dd_detections_meta_to_json (const DdDetectionsMeta *meta)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_int_member (b, "width", meta->width);
  add_int_member (b, "height", meta->height);
  json_builder_set_member_name (b, "model");
  if (meta->model)
    json_builder_add_string_value (b, meta->model);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "flip_partners");
  json_builder_begin_array (b);
  for (gint k = 0; k < meta->n_flip_partners; k++)
    json_builder_add_int_value (b, meta->flip_partner[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "detections");
  json_builder_begin_array (b);
  for (guint i = 0; i < meta->n_detections; i++)
    add_detection (b, &meta->detections[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "head_maps");
  if (meta->head_maps) {
    const dd_head_maps *m = meta->head_maps;
    json_builder_begin_object (b);
    add_int_member (b, "h", m->h);
    add_int_member (b, "w", m->w);
    add_int_member (b, "stride", m->stride);
    add_int_member (b, "n_classes", m->n_classes);
    add_int_member (b, "n_keypoints", m->n_keypoints);
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

gchar *
dd_detections_meta_to_string (const DdDetectionsMeta *meta)
{
  JsonNode *node = dd_detections_meta_to_json (meta);
  gchar *text = json_to_string (node, FALSE);
  json_node_unref (node);
  return text;
}
