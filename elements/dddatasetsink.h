/* dddatasetsink: writes frames and their labels as a COCO dataset, crash-
 * safe and resumable. See dddatasetsink.c. */
#ifndef DD_ELEMENTS_DATASET_SINK_H
#define DD_ELEMENTS_DATASET_SINK_H

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define DD_TYPE_DATASET_SINK (dd_dataset_sink_get_type ())
G_DECLARE_FINAL_TYPE (DdDatasetSink, dd_dataset_sink, DD, DATASET_SINK,
    GstBaseSink)

#define DD_TYPE_DATASET_IMAGE_FORMAT (dd_dataset_image_format_get_type ())
GType dd_dataset_image_format_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (dddatasetsink);

G_END_DECLS

#endif
