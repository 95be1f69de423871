#include "fixture.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

int
fixture_run_ddistill (const char *const *args, char **err)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) DDISTILL);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  int wait_status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
                               NULL, &out, err, &wait_status, &error));
  g_assert_no_error (error);
  g_ptr_array_free (argv, TRUE);
  g_assert_true (WIFEXITED (wait_status));
  return WEXITSTATUS (wait_status);
}

char *
fixture_synth_tree (void)
{
  char *dir = g_dir_make_tmp ("ddmodel-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  const char *args[] = { "synth", "--spec", "test", "--out", data, NULL };
  g_autofree char *err = NULL;
  int status = fixture_run_ddistill (args, &err);
  if (status != 0)
    g_error ("ddistill synth failed: %s", err);
  return dir;
}

void
fixture_remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (!d)
    return;
  const char *name;
  while ((name = g_dir_read_name (d))) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      fixture_remove_tree (path);
    else
      g_remove (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

gboolean
fixture_same_bytes (const char *a, const char *b)
{
  g_autofree char *x = NULL, *y = NULL;
  gsize nx, ny;
  g_assert_true (g_file_get_contents (a, &x, &nx, NULL));
  g_assert_true (g_file_get_contents (b, &y, &ny, NULL));
  return nx == ny && memcmp (x, y, nx) == 0;
}
