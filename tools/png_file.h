/* A cairo surface saved as a PNG file atomically: encoded in memory, then
 * written with g_file_set_contents (a temporary file renamed), so a crash
 * or a full disk never leaves a truncated figure where a good one was. */
#ifndef DD_TOOLS_PNG_FILE_H
#define DD_TOOLS_PNG_FILE_H

#include <cairo.h>
#include <glib.h>

/* The error (G_FILE_ERROR) names `path` and the cause. */
gboolean dd_png_save (cairo_surface_t *surface, const char *path, GError **error);

#endif
