/* ddsampler: keeps the static frames a distillation run labels, and seeks
 * past the rest. See ddsampler.c. */
#ifndef DD_ELEMENTS_SAMPLER_H
#define DD_ELEMENTS_SAMPLER_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define DD_TYPE_SAMPLER (dd_sampler_get_type ())
G_DECLARE_FINAL_TYPE (DdSampler, dd_sampler, DD, SAMPLER, GstBaseTransform)

#define DD_TYPE_SAMPLER_MODE (dd_sampler_mode_get_type ())
GType dd_sampler_mode_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (ddsampler);

G_END_DECLS

#endif
