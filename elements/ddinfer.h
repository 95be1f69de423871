/* ddinfer: runs a detector on each frame and attaches what it finds as a
 * DdDetectionsMeta. See ddinfer.c. */
#ifndef DD_ELEMENTS_INFER_H
#define DD_ELEMENTS_INFER_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define DD_TYPE_INFER (dd_infer_get_type ())
G_DECLARE_FINAL_TYPE (DdInfer, dd_infer, DD, INFER, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (ddinfer);

G_END_DECLS

#endif
