#include "distill/distill_error.h"

G_DEFINE_QUARK (dd-distill-error-quark, dd_distill_error)
