#include "model/model_error.h"

G_DEFINE_QUARK (dd-model-error-quark, dd_model_error)
