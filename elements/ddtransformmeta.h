/* DdTransformMeta: the geometric transform between the original frame and
 * the pixels of this buffer, so that what is found in them can be mapped
 * back to the frame.
 *
 * The transform is lib/distill's dd_tta_transform: a resize of the
 * frame_width x frame_height frame to width x height, then optionally a
 * horizontal mirror. With pixel centres at integer + 0.5 (lib/data's
 * convention), a frame point (x, y) lands at
 *
 *   u = x * width / frame_width,   then u = width - u if flip,
 *   v = y * height / frame_height.
 *
 * ddtransform attaches it (composing with a transform already on the
 * buffer); an element that only scales (videoscale, videoconvertscale)
 * updates width and height through the meta's "size" tag, and an element
 * that only converts leaves it as it is. GStreamer 1.22 has no way to tell
 * a meta about a mirror, and videoflip copies size- and orientation-tagged
 * metas unchanged: mirror with ddtransform flip=true, never with videoflip,
 * in front of an element that reads this meta.
 */
#ifndef DD_ELEMENTS_TRANSFORM_META_H
#define DD_ELEMENTS_TRANSFORM_META_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _DdTransformMeta {
  GstMeta meta;
  gint frame_width, frame_height;       /* the original frame */
  gint width, height;                   /* the transformed pixels */
  gboolean flip;                        /* mirrored after the resize */
} DdTransformMeta;

GType dd_transform_meta_api_get_type (void);
#define DD_TRANSFORM_META_API_TYPE (dd_transform_meta_api_get_type ())
const GstMetaInfo *dd_transform_meta_get_info (void);
#define DD_TRANSFORM_META_INFO (dd_transform_meta_get_info ())

#define dd_buffer_get_transform_meta(b) \
  ((DdTransformMeta *) gst_buffer_get_meta ((b), DD_TRANSFORM_META_API_TYPE))

/* Attaches a transform meta (the buffer must be writable and have none). */
DdTransformMeta *dd_buffer_add_transform_meta (GstBuffer *buffer,
    gint frame_width, gint frame_height, gint width, gint height,
    gboolean flip);

gboolean dd_transform_meta_is_identity (const DdTransformMeta *meta);

/* Frame point to transformed pixels and back (the formulas above). */
void dd_transform_meta_point_forward (const DdTransformMeta *meta, double x,
    double y, double *u, double *v);
void dd_transform_meta_point_inverse (const DdTransformMeta *meta, double u,
    double v, double *x, double *y);

/* A short name, as lib/distill writes it in provenance: "160x120" or
 * "160x120f". */
gchar *dd_transform_meta_name (const DdTransformMeta *meta);

/* {"frame_width", "frame_height", "width", "height", "flip", "name"}. */
JsonNode *dd_transform_meta_to_json (const DdTransformMeta *meta);
gchar *dd_transform_meta_to_string (const DdTransformMeta *meta);

G_END_DECLS

#endif
