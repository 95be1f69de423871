/* ddensemble: the passes of each frame, matched by the frame's identity,
 * ensembled into hard labels. See ddensemble.c. */
#ifndef DD_ELEMENTS_ENSEMBLE_H
#define DD_ELEMENTS_ENSEMBLE_H

#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

#define DD_TYPE_ENSEMBLE (dd_ensemble_get_type ())
G_DECLARE_FINAL_TYPE (DdEnsemble, dd_ensemble, DD, ENSEMBLE, GstAggregator)

GST_ELEMENT_REGISTER_DECLARE (ddensemble);

G_END_DECLS

#endif
