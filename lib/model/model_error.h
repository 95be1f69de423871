/* The GError domain of lib/model's GLib-facing parts (training, prediction
 * on image files). */
#ifndef DD_MODEL_MODEL_ERROR_H
#define DD_MODEL_MODEL_ERROR_H

#include <glib.h>

#define DD_MODEL_ERROR (dd_model_error_quark ())
GQuark dd_model_error_quark (void);

typedef enum {
  DD_MODEL_ERROR_OPTIONS,       /* an option out of range */
  DD_MODEL_ERROR_INPUT,         /* a dataset or image that cannot be used */
  DD_MODEL_ERROR_NETWORK,       /* the network, its metadata or the backend */
  DD_MODEL_ERROR_RESUME,        /* a run folder that holds another run */
  DD_MODEL_ERROR_DIVERGED,      /* the loss or the weights stopped being finite */
  DD_MODEL_ERROR_IO,            /* a file that cannot be written */
} dd_model_error;

#endif
