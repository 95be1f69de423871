/* DdTransformMeta: how the pixels of this buffer relate to the original
 * frame, so that what is found in them can be mapped back.
 *
 * Two steps, as test-time augmentation works: a `base` transform places
 * the frame on a canvas (the identity, or a letterbox into a model's input
 * size: lib/data's dd_transform, any axis-aligned scale and offset), then
 * the pass resizes the canvas to width x height and optionally mirrors it
 * (lib/distill's dd_tta_transform, canvas -> pass). With pixel centres at
 * integer + 0.5 (lib/data's convention), a frame point (x, y) lands at
 *
 *   (cx, cy) = base (x, y),
 *   u = cx * width / canvas_width,   then u = width - u if flip,
 *   v = cy * height / canvas_height.
 *
 * ddtransform attaches it, composing with a transform already on the
 * buffer: a letterbox becomes part of the base (the pass starts again from
 * the identity of the new canvas), a resize or mirror part of the pass.
 * ddensemble ensembles passes that share a base on that canvas, then maps
 * the labels back to the frame through the base. An element that only
 * scales (videoscale, videoconvertscale) resizes the pass through the
 * meta's "size" tag; one that only converts leaves it as it is. GStreamer
 * 1.22 has no way to tell a meta about a mirror, and videoflip copies size-
 * and orientation-tagged metas unchanged: mirror with ddtransform
 * flip=true, never with videoflip, in front of an element that reads this
 * meta.
 */
#ifndef DD_ELEMENTS_TRANSFORM_META_H
#define DD_ELEMENTS_TRANSFORM_META_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "data/augment.h"
#include "distill/tta_transform.h"

G_BEGIN_DECLS

typedef struct _DdTransformMeta {
  GstMeta meta;
  gint frame_width, frame_height;       /* the original frame */
  dd_transform base;                    /* frame -> canvas (base.width x base.height) */
  gint width, height;                   /* the pass: the canvas resized */
  gboolean flip;                        /* then mirrored */
} DdTransformMeta;

GType dd_transform_meta_api_get_type (void);
#define DD_TRANSFORM_META_API_TYPE (dd_transform_meta_api_get_type ())
const GstMetaInfo *dd_transform_meta_get_info (void);
#define DD_TRANSFORM_META_INFO (dd_transform_meta_get_info ())

#define dd_buffer_get_transform_meta(b) \
  ((DdTransformMeta *) gst_buffer_get_meta ((b), DD_TRANSFORM_META_API_TYPE))

/* Attaches a transform meta (the buffer must be writable and have none).
 * `base`: NULL for the identity (the canvas is the frame). */
DdTransformMeta *dd_buffer_add_transform_meta (GstBuffer *buffer,
    gint frame_width, gint frame_height, const dd_transform *base, gint width,
    gint height, gboolean flip);

/* The identity base of a frame: a resize to its own size. */
dd_transform dd_transform_identity (gint width, gint height);
/* `first`, then `then` (whose input is `first`'s output), as one. */
dd_transform dd_transform_meta_compose (const dd_transform *first,
    const dd_transform *then);

gboolean dd_transform_meta_is_identity (const DdTransformMeta *meta);
/* The pass, canvas -> these pixels. */
dd_tta_transform dd_transform_meta_pass (const DdTransformMeta *meta);
/* The whole transform, frame -> these pixels. */
dd_transform dd_transform_meta_full (const DdTransformMeta *meta);

/* Frame point to these pixels and back. */
void dd_transform_meta_point_forward (const DdTransformMeta *meta, double x,
    double y, double *u, double *v);
void dd_transform_meta_point_inverse (const DdTransformMeta *meta, double u,
    double v, double *x, double *y);

/* The pass's name, as lib/distill writes it in provenance: "160x120" or
 * "160x120f". */
gchar *dd_transform_meta_name (const DdTransformMeta *meta);

/* {"frame_width", "frame_height", "base": {"width", "height", "scale_x",
 * "scale_y", "offset_x", "offset_y", "flip"}, "width", "height", "flip",
 * "name"}. */
JsonNode *dd_transform_meta_to_json (const DdTransformMeta *meta);
gchar *dd_transform_meta_to_string (const DdTransformMeta *meta);

G_END_DECLS

#endif
