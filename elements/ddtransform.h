/* ddtransform: one test-time transform of a frame (a resize and/or a
 * mirror) or a letterbox onto a canvas, recorded in a DdTransformMeta.
 * See ddtransform.c. */
#ifndef DD_ELEMENTS_TRANSFORM_H
#define DD_ELEMENTS_TRANSFORM_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define DD_TYPE_TRANSFORM (dd_transform_get_type ())
G_DECLARE_FINAL_TYPE (DdTransform, dd_transform, DD, TRANSFORM, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (ddtransform);

/* The output size for a frame of fw x fh, as lib/distill's transform spec
 * resolves it: with `shorter_side` > 0 the shorter side becomes that many
 * pixels and the other keeps the aspect ratio, else both sides are
 * multiplied by `factor`; rounded to nearest, at least 1. */
void dd_transform_output_size (int fw, int fh, guint shorter_side,
    double factor, int *width, int *height);

G_END_DECLS

#endif
