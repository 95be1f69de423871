/* DdFrameMeta: which frame of which video a buffer shows.
 *
 * ddcorpussrc attaches it to every decoded frame; every later element keeps
 * it, whatever it does to the pixels (the meta has no tags, so GStreamer's
 * transforms copy it). It is the frame's identity: ddensemble matches the
 * branches of one frame by it, dddatasetsink skips frames it already wrote
 * by it. Two buffers show the same frame when their URIs and timestamps are
 * equal (dd_frame_meta_same_frame).
 */
#ifndef DD_ELEMENTS_FRAME_META_H
#define DD_ELEMENTS_FRAME_META_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _DdFrameMeta {
  GstMeta meta;
  gchar *uri;                   /* the video the frame comes from */
  guint64 timestamp_ns;         /* its stream time in that video */
  gint64 frame_index;           /* by the nominal frame rate; -1 unknown */
  gint width, height;           /* the frame as decoded, before any transform */
} DdFrameMeta;

GType dd_frame_meta_api_get_type (void);
#define DD_FRAME_META_API_TYPE (dd_frame_meta_api_get_type ())
const GstMetaInfo *dd_frame_meta_get_info (void);
#define DD_FRAME_META_INFO (dd_frame_meta_get_info ())

#define dd_buffer_get_frame_meta(b) \
  ((DdFrameMeta *) gst_buffer_get_meta ((b), DD_FRAME_META_API_TYPE))

/* Attaches a frame meta (the buffer must be writable); `uri` is copied. */
DdFrameMeta *dd_buffer_add_frame_meta (GstBuffer *buffer, const gchar *uri,
    guint64 timestamp_ns, gint64 frame_index, gint width, gint height);

gboolean dd_frame_meta_same_frame (const DdFrameMeta *a, const DdFrameMeta *b);

/* {"uri", "timestamp_ns", "frame_index", "width", "height"}: for logs and
 * journals. */
JsonNode *dd_frame_meta_to_json (const DdFrameMeta *meta);
gchar *dd_frame_meta_to_string (const DdFrameMeta *meta);

G_END_DECLS

#endif
