/* ddoverlay: draws the boxes and skeletons of a DdDetectionsMeta onto the
 * video, for people to look at. See ddoverlay.c. */
#ifndef DD_ELEMENTS_OVERLAY_H
#define DD_ELEMENTS_OVERLAY_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define DD_TYPE_OVERLAY (dd_overlay_get_type ())
G_DECLARE_FINAL_TYPE (DdOverlay, dd_overlay, DD, OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (ddoverlay);

/* Parses "a-b,c-d,..." (1-based keypoint pairs, COCO's convention) into
 * `pairs` (room for `max` pairs); returns how many, or -1 when the text
 * is not such a list. */
int dd_overlay_parse_skeleton (const char *text, int (*pairs)[2], int max);

G_END_DECLS

#endif
