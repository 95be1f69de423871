/* Shared by the training and command-line tests: a temporary copy of the
 * synthetic `test` benchmark, and file helpers. */
#ifndef DD_TESTS_MODEL_FIXTURE_H
#define DD_TESTS_MODEL_FIXTURE_H

#include <glib.h>

/* A new temporary folder holding `ddistill synth --spec test`'s tree. */
char *fixture_synth_tree (void);
/* Removes a folder and everything under it. */
void fixture_remove_tree (const char *dir);
/* Whether two files hold the same bytes (both must exist). */
gboolean fixture_same_bytes (const char *a, const char *b);
/* Runs `ddistill ARGS...` (NULL-terminated); returns the exit status and
 * hands back stderr (free it). */
int fixture_run_ddistill (const char *const *args, char **err);

#endif
