#include <stdio.h>
#include <string.h>

#include "nn/backend.h"

typedef dd_backend *(*backend_constructor) (char *err, size_t err_len);

static const struct {
  const char *name;
  backend_constructor make;
} backends[] = {
  {"reference", dd_backend_reference_new},
  {"cpu", dd_backend_cpu_new},
#ifdef DD_HAVE_CUDA
  {"cuda", dd_backend_cuda_new},
#endif
};

#ifdef DD_HAVE_CUDA
#define KNOWN_BACKENDS "reference, cpu, cuda"
#else
#define KNOWN_BACKENDS "reference, cpu; cuda is not built in: configure on a machine " \
  "with nvcc and cuDNN 9"
#endif

dd_backend *
dd_backend_new (const char *name, char *err, size_t err_len)
{
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strcmp (name, backends[i].name) == 0)
      return backends[i].make (err, err_len);
  snprintf (err, err_len, "unknown backend '%s' (known: " KNOWN_BACKENDS ")", name);
  return NULL;
}

void
dd_backend_free (dd_backend *be)
{
  if (be)
    be->ops->destroy (be);
}
