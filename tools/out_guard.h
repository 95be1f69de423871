/* Checks on a command's output file before its work starts: it must not be
 * one of the command's inputs (`--out` naming the dataset it reads, or a
 * file of the model, would destroy it), and its folder must take it (not
 * found out after an hour of inference). */
#ifndef DD_TOOLS_OUT_GUARD_H
#define DD_TOOLS_OUT_GUARD_H

#include <glib.h>

typedef struct dd_named_input {
  const char *what;             /* how the user gave it: "--images", ... */
  const char *path;             /* NULL: not given */
} dd_named_input;

/* Whether `out` is none of the n `inputs`: compared as files (device and
 * inode), so another spelling of the same path is caught too. An `out`
 * that does not exist yet is no input. */
gboolean dd_out_apart_from_inputs (const char *option, const char *out,
    const dd_named_input *inputs, int n, GError **error);

/* Whether the folder of `out` exists and may be written. */
gboolean dd_out_writable (const char *option, const char *out, GError **error);

#endif
