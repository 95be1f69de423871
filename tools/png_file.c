#include "png_file.h"

static cairo_status_t
append (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
dd_png_save (cairo_surface_t *surface, const char *path, GError **error)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  cairo_status_t st = cairo_surface_write_to_png_stream (surface, append, png);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot encode %s: %s", path,
        cairo_status_to_string (st));
    return FALSE;
  }
  return g_file_set_contents (path, (const char *) png->data, (gssize) png->len, error);
}
