/* dddatasetsrc: a COCO dataset as a stream of images with their labels. */
#ifndef DD_ELEMENTS_DATASET_SRC_H
#define DD_ELEMENTS_DATASET_SRC_H

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define DD_TYPE_DATASET_SRC (dd_dataset_src_get_type ())
G_DECLARE_FINAL_TYPE (DdDatasetSrc, dd_dataset_src, DD, DATASET_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (dddatasetsrc);

G_END_DECLS

#endif
