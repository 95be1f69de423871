#include "out_guard.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

gboolean
dd_out_apart_from_inputs (const char *option, const char *out,
    const dd_named_input *inputs, int n, GError **error)
{
  GStatBuf o, in;
  if (g_stat (out, &o) != 0)
    return TRUE;
  for (int i = 0; i < n; i++) {
    if (!inputs[i].path || g_stat (inputs[i].path, &in) != 0)
      continue;
    if (o.st_dev == in.st_dev && o.st_ino == in.st_ino) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s %s is also the input "
          "%s (%s): writing it would destroy it; give another file", option, out,
          inputs[i].what, inputs[i].path);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
dd_out_writable (const char *option, const char *out, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (out);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s %s: its folder %s does "
        "not exist", option, out, dir);
    return FALSE;
  }
  if (access (dir, W_OK) != 0) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s %s: its folder "
        "%s cannot be written: %s", option, out, dir, g_strerror (e));
    return FALSE;
  }
  return TRUE;
}
