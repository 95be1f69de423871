#include "run_state.h"

#include "model/model_dir.h"
#include "model/trainer.h"
#include "nn/checkpoint.h"

gboolean
dd_model_saved (const char *dir)
{
  g_autofree char *json = g_build_filename (dir, DD_MODEL_JSON, NULL);
  g_autofree char *weights = g_build_filename (dir, DD_MODEL_WEIGHTS, NULL);
  return g_file_test (json, G_FILE_TEST_IS_REGULAR)
      && g_file_test (weights, G_FILE_TEST_IS_REGULAR);
}

gboolean
dd_run_checkpoint_step (const char *out, int64_t *step, GError **error)
{
  char err[1024];
  g_autofree char *checkpoint = g_build_filename (out, DD_TRAIN_CHECKPOINT, NULL);
  *step = 0;
  if (!g_file_test (checkpoint, G_FILE_TEST_EXISTS))
    return TRUE;
  if (dd_checkpoint_read_step (checkpoint, step, err, sizeof err) == 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", err);
  return FALSE;
}

gboolean
dd_training_done (const char *out, int64_t iterations)
{
  if (!dd_model_saved (out))
    return FALSE;
  g_autofree char *checkpoint = g_build_filename (out, DD_TRAIN_CHECKPOINT, NULL);
  if (!g_file_test (checkpoint, G_FILE_TEST_EXISTS))
    return TRUE;
  /* Unreadable: not done, so ddtrain's resume says what is wrong with it. */
  int64_t step;
  return dd_run_checkpoint_step (out, &step, NULL) && step >= iterations;
}
