/* The error domain of lib/distill: every fault of a transform spec, an
 * ensembling parameter, a pass handed to the ensembler or a calibration is
 * reported in it, with a message that names the field and says what to do. */
#ifndef DD_DISTILL_ERROR_H
#define DD_DISTILL_ERROR_H

#include <glib.h>

#define DD_DISTILL_ERROR (dd_distill_error_quark ())
GQuark dd_distill_error_quark (void);

typedef enum {
  DD_DISTILL_ERROR_SPEC,        /* a transform or ensembling spec that does not parse */
  DD_DISTILL_ERROR_FLIP_PAIRS,  /* flip pairs that do not fit the keypoints */
  DD_DISTILL_ERROR_PASSES,      /* passes that cannot be ensembled together */
  DD_DISTILL_ERROR_CALIBRATION, /* labeled statistics or thresholds that do not fit */
} dd_distill_error;

#endif
