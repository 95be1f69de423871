#include <stdio.h>
#include <string.h>

#include "nn/backend.h"

typedef dd_backend *(*backend_constructor) (char *err, size_t err_len);

static const struct {
  const char *name;
  backend_constructor make;
} backends[] = {
  {"reference", dd_backend_reference_new},
#ifdef DD_HAVE_DNNL
  {"cpu", dd_backend_cpu_new},
#endif
#ifdef DD_HAVE_CUDA
  {"cuda", dd_backend_cuda_new},
#endif
};

#define N_BACKENDS (sizeof backends / sizeof backends[0])

/* What the unknown-backend message adds about the backends left out. */
#ifdef DD_HAVE_DNNL
#define NO_CPU ""
#else
#define NO_CPU "; cpu is not built in: configure where oneDNN 2.6 is installed " \
  "(Debian 12: libdnnl-dev)"
#endif
#ifdef DD_HAVE_CUDA
#define NO_CUDA ""
#else
#define NO_CUDA "; cuda is not built in: configure on a machine with nvcc and cuDNN 9"
#endif

const char *
dd_backend_name (size_t i)
{
  return i < N_BACKENDS ? backends[i].name : NULL;
}

dd_backend *
dd_backend_new (const char *name, char *err, size_t err_len)
{
  char known[64] = "";
  for (size_t i = 0; i < N_BACKENDS; i++) {
    if (strcmp (name, backends[i].name) == 0)
      return backends[i].make (err, err_len);
    snprintf (known + strlen (known), sizeof known - strlen (known), "%s%s", i ? ", " : "",
              backends[i].name);
  }
  snprintf (err, err_len, "unknown backend '%s' (known: %s%s%s)", name, known, NO_CPU, NO_CUDA);
  return NULL;
}

void
dd_backend_free (dd_backend *be)
{
  if (be)
    be->ops->destroy (be);
}
