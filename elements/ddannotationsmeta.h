/* DdAnnotationsMeta: the ground truth of a buffer's pixels, as a COCO
 * dataset states it, and whether a person or a teacher wrote it.
 *
 * dddatasetsrc attaches it to each image it emits; ddtrain trains on it.
 * It keeps COCO's fields rather than DdDetectionsMeta's because training
 * needs what a detection does not have: each keypoint's visibility flag
 * (v = 0 absent, 1 occluded, 2 visible), crowd regions, and the category
 * by name (the network's classes are matched to it by name). Coordinates
 * are COCO's ([x, y, w, h] boxes, (x, y, v) keypoints) in a width x height
 * pixel space, the buffer's when attached; a scaling element (videoscale,
 * videoconvertscale) scales them through the meta's "size" tag; any other
 * transform that asks drops the meta rather than leave it wrong. GStreamer
 * 1.22 cannot tell a meta about a mirror and videoflip copies tagged metas
 * unchanged: put no mirror between dddatasetsrc and ddtrain (ddtrain
 * mirrors as part of its augmentation, keypoints swapped).
 */
#ifndef DD_ELEMENTS_ANNOTATIONS_META_H
#define DD_ELEMENTS_ANNOTATIONS_META_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "data/coco.h"

G_BEGIN_DECLS

/* Who labelled the image: ddtrain mixes the two at a fixed ratio. */
typedef enum {
  DD_LABELS_MANUAL,
  DD_LABELS_AUTOMATIC,
} DdLabelsOrigin;

GType dd_labels_origin_get_type (void);
#define DD_TYPE_LABELS_ORIGIN (dd_labels_origin_get_type ())
/* "manual" or "automatic". */
const gchar *dd_labels_origin_nick (DdLabelsOrigin origin);

typedef struct _DdAnnotationsMeta {
  GstMeta meta;
  DdLabelsOrigin origin;
  gint width, height;           /* the pixel space of the coordinates */
  gint64 image_id;              /* in the dataset it came from */
  guint n_annotations;
  /* Owned copies; keypoints owned, segmentation always NULL (ddistill
   * trains no masks). */
  dd_coco_annotation *annotations;
  gchar **categories;           /* annotation i's category name */
} DdAnnotationsMeta;

GType dd_annotations_meta_api_get_type (void);
#define DD_ANNOTATIONS_META_API_TYPE (dd_annotations_meta_api_get_type ())
const GstMetaInfo *dd_annotations_meta_get_info (void);
#define DD_ANNOTATIONS_META_INFO (dd_annotations_meta_get_info ())

#define dd_buffer_get_annotations_meta(b) \
  ((DdAnnotationsMeta *) gst_buffer_get_meta ((b), DD_ANNOTATIONS_META_API_TYPE))

/* Attaches copies of `n` annotations and their category names (the buffer
 * must be writable). */
DdAnnotationsMeta *dd_buffer_add_annotations_meta (GstBuffer *buffer,
    DdLabelsOrigin origin, gint width, gint height, gint64 image_id,
    const dd_coco_annotation *annotations, const gchar *const *categories,
    guint n);

/* {"origin", "width", "height", "image_id", "annotations": [{"id",
 * "category", "bbox", "area", "iscrowd", "num_keypoints", "keypoints",
 * "score" (automatic labels only)}]}. */
JsonNode *dd_annotations_meta_to_json (const DdAnnotationsMeta *meta);
gchar *dd_annotations_meta_to_string (const DdAnnotationsMeta *meta);

G_END_DECLS

#endif
