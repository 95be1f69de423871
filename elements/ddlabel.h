/* ddlabel: the teacher's whole test-time augmentation fan-out, built from
 * one `transforms` property. See ddlabel.c. */
#ifndef DD_ELEMENTS_LABEL_H
#define DD_ELEMENTS_LABEL_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define DD_TYPE_LABEL (dd_label_get_type ())
G_DECLARE_FINAL_TYPE (DdLabel, dd_label, DD, LABEL, GstBin)

GST_ELEMENT_REGISTER_DECLARE (ddlabel);

G_END_DECLS

#endif
