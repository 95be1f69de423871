/* Whether a run folder holds the finished run (tools/run_state.h): a model
 * saved when the data ended short of the schedule (a source's error is
 * followed by EOS) is not the finished run; a model whose checkpoint
 * reached the schedule, or with no checkpoint left beside it, is. */
#include <glib/gstdio.h>
#include <string.h>

#include "check.h"
#include "run_state.h"

/* A checkpoint holding only its step: what dd_run_checkpoint_step reads. */
static void
write_checkpoint (const char *dir, const char *step)
{
  g_autofree char *header = g_strdup_printf ("{\"__metadata__\": {\"step\": \"%s\"}}",
      step);
  guint64 n = strlen (header);
  guint8 length[8];
  for (int i = 0; i < 8; i++)
    length[i] = (guint8) (n >> (8 * i));
  GString *file = g_string_new_len ((const char *) length, 8);
  g_string_append (file, header);
  g_autofree char *path = g_build_filename (dir, "checkpoint.safetensors", NULL);
  CHECK (g_file_set_contents (path, file->str, (gssize) file->len, NULL));
  g_string_free (file, TRUE);
}

static void
write_model (const char *dir)
{
  g_autofree char *json = g_build_filename (dir, "model.json", NULL);
  g_autofree char *weights = g_build_filename (dir, "model.safetensors", NULL);
  CHECK (g_file_set_contents (json, "{}", -1, NULL));
  CHECK (g_file_set_contents (weights, "", 0, NULL));
}

static void
remove_files (const char *dir)
{
  const char *names[] = { "checkpoint.safetensors", "model.json", "model.safetensors" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *path = g_build_filename (dir, names[i], NULL);
    g_remove (path);
  }
}

static void
test_done_only_at_the_schedule (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dd-run-state-XXXXXX", NULL);
  CHECK (dir != NULL);
  int64_t step = -1;

  /* A run part-way (between curve points): a checkpoint, no model. */
  write_checkpoint (dir, "13");
  CHECK (!dd_model_saved (dir));
  CHECK (!dd_training_done (dir, 40));
  CHECK (dd_run_checkpoint_step (dir, &step, NULL) && step == 13);

  /* Its data ended at 13: ddtrain saved the model there too. */
  write_model (dir);
  CHECK (dd_model_saved (dir));
  CHECK (!dd_training_done (dir, 40));
  CHECK (dd_training_done (dir, 13));

  /* The run at its end. */
  write_checkpoint (dir, "40");
  CHECK (dd_training_done (dir, 40));

  /* Only the model is left: it is all there is to reuse. */
  g_autofree char *checkpoint = g_build_filename (dir, "checkpoint.safetensors", NULL);
  g_remove (checkpoint);
  CHECK (dd_training_done (dir, 40));
  CHECK (dd_run_checkpoint_step (dir, &step, NULL) && step == 0);

  /* An unreadable checkpoint: not done, and the error names the file. */
  CHECK (g_file_set_contents (checkpoint, "not a checkpoint", -1, NULL));
  CHECK (!dd_training_done (dir, 40));
  GError *error = NULL;
  CHECK (!dd_run_checkpoint_step (dir, &step, &error));
  CHECK (error && strstr (error->message, checkpoint));
  g_clear_error (&error);

  remove_files (dir);
  g_rmdir (dir);
}

int
main (void)
{
  RUN_TEST (test_done_only_at_the_schedule);
  return check_exit_status ();
}
