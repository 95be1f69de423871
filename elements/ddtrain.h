/* ddtrain: trains the detector on the labelled images streamed into it,
 * manual and automatic labels mixed at a fixed ratio. See ddtrain.c. */
#ifndef DD_ELEMENTS_TRAIN_H
#define DD_ELEMENTS_TRAIN_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define DD_TYPE_TRAIN (dd_train_element_get_type ())
G_DECLARE_FINAL_TYPE (DdTrain, dd_train_element, DD, TRAIN, GstElement)

GST_ELEMENT_REGISTER_DECLARE (ddtrain);

G_END_DECLS

#endif
