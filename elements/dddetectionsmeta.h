/* DdDetectionsMeta: what a detector found in a buffer's pixels, or the hard
 * labels an ensemble made of it.
 *
 * Shaped like GStreamer's later analytics meta: one meta per buffer holding
 * every object, each a box, a score, a class and keypoints (lib/model's
 * dd_detection: corners x1, y1, x2, y2, pixel centres at integer + 0.5).
 * Coordinates are in a width x height pixel space, the buffer's when the
 * meta was attached; a scaling element (videoscale, videoconvertscale)
 * scales them through the meta's "size" tag.
 *
 * Beside the objects it may carry what ensembling needs: the raw head maps
 * they were decoded from (ensembling averages heatmaps across transforms)
 * and the keypoints' flip partners (a mirror swaps left and right). The
 * head maps live on the network's grid of the pixels they were computed
 * on: a copy keeps them, a scale to another size drops them.
 */
#ifndef DD_ELEMENTS_DETECTIONS_META_H
#define DD_ELEMENTS_DETECTIONS_META_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "data/augment.h"
#include "model/detection.h"

G_BEGIN_DECLS

typedef struct _DdDetectionsMeta {
  GstMeta meta;
  gint width, height;           /* the pixel space of the coordinates */
  guint n_detections;
  dd_detection *detections;
  /* partner[k]: the keypoint that k becomes in a mirror image; n = 0 when
   * unknown, else the detections' keypoint count. */
  gint n_flip_partners;
  gint flip_partner[DD_MAX_KEYPOINTS];
  dd_head_maps *head_maps;      /* NULL when not carried */
  gchar *model;                 /* what produced them (a name, a checksum); may be NULL */
} DdDetectionsMeta;

GType dd_detections_meta_api_get_type (void);
#define DD_DETECTIONS_META_API_TYPE (dd_detections_meta_api_get_type ())
const GstMetaInfo *dd_detections_meta_get_info (void);
#define DD_DETECTIONS_META_INFO (dd_detections_meta_get_info ())

#define dd_buffer_get_detections_meta(b) \
  ((DdDetectionsMeta *) gst_buffer_get_meta ((b), DD_DETECTIONS_META_API_TYPE))

/* Attaches a copy of `n` detections in a width x height pixel space (the
 * buffer must be writable). */
DdDetectionsMeta *dd_buffer_add_detections_meta (GstBuffer *buffer, gint width,
    gint height, const dd_detection *detections, guint n);

/* Copies `n` partners (n <= DD_MAX_KEYPOINTS, each in [0, n)). */
void dd_detections_meta_set_flip_partners (DdDetectionsMeta *meta,
    const gint *partner, gint n);
/* Copies the maps' planes (those that are not NULL). */
void dd_detections_meta_set_head_maps (DdDetectionsMeta *meta,
    const dd_head_maps *maps);
void dd_detections_meta_set_model (DdDetectionsMeta *meta, const gchar *model);

/* Attaches to `dest` the detections of `src` mapped through `t`, an
 * axis-aligned transform from src's pixel space (src->width x src->height)
 * to a t->width x t->height one (a resize, a letterbox; when it mirrors,
 * keypoints are exchanged with their partners). Head maps are carried only
 * when `t` is the identity. Returns NULL, attaching nothing, when a mirror
 * must swap keypoints whose partners `src` does not know. */
DdDetectionsMeta *dd_buffer_add_detections_meta_mapped (GstBuffer *dest,
    const DdDetectionsMeta *src, const dd_transform *t);

/* {"width", "height", "model", "flip_partners", "detections": [{"class",
 * "box", "score", "keypoints": [[x, y, score], ...]}], "head_maps": {sizes}}
 * (the map values themselves are left out: they are large). */
JsonNode *dd_detections_meta_to_json (const DdDetectionsMeta *meta);
gchar *dd_detections_meta_to_string (const DdDetectionsMeta *meta);

G_END_DECLS

#endif
