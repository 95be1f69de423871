/* The learning-rate schedule: warm-up, the drops at 70% and 90% and
 * configurable ones, defaults and bad settings. */
#include <string.h>

#include "check.h"
#include "nn/schedule.h"

static void
test_paper_schedule (void)
{
  dd_schedule s = {.base_lr = 0.02f, .iterations = 1000, .warmup_iters = 100,
                   .warmup_factor = 1.0f / 3, .first_drop = 0.7f, .second_drop = 0.9f};
  char err[256];
  CHECK (dd_schedule_check (&s, err, sizeof err) == 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 0), 0.02 / 3, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 50), 0.02 * (0.5 / 3 + 0.5), 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 99), 0.02 * (0.01 / 3 + 0.99), 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 100), 0.02, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 699), 0.02, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 700), 0.002, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 899), 0.002, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 900), 0.0002, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 999), 0.0002, 1e-6, 0);
}

static void
test_custom_drops (void)
{
  dd_schedule s = {.base_lr = 1, .iterations = 10, .warmup_iters = 0,
                   .warmup_factor = 1, .first_drop = 0.5f, .second_drop = 0.8f};
  CHECK_CLOSE (dd_schedule_lr (&s, 0), 1, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 4), 1, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 5), 0.1, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 7), 0.1, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 8), 0.01, 1e-6, 0);
  /* Both drops at the same point divide by 100 at once. */
  s.second_drop = 0.5f;
  CHECK_CLOSE (dd_schedule_lr (&s, 4), 1, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 5), 0.01, 1e-6, 0);
}

static void
test_defaults_and_checks (void)
{
  dd_schedule s;
  char err[256] = "";
  dd_schedule_defaults (&s, 0.02f, 1000);
  CHECK (s.warmup_iters == 100 && s.first_drop == 0.7f && s.second_drop == 0.9f);
  CHECK (dd_schedule_check (&s, err, sizeof err) == 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 0), 0.02 / 3, 1e-6, 0);
  dd_schedule_defaults (&s, 0.02f, 90000);
  CHECK (s.warmup_iters == 500);
  CHECK_CLOSE (dd_schedule_lr (&s, 62999), 0.02, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 63000), 0.002, 1e-6, 0);
  CHECK_CLOSE (dd_schedule_lr (&s, 81000), 0.0002, 1e-6, 0);

  dd_schedule bad = s;
  bad.first_drop = 0.95f;
  CHECK (dd_schedule_check (&bad, err, sizeof err) != 0);
  CHECK (strstr (err, "first_drop <= second_drop") != NULL);
  bad = s;
  bad.warmup_factor = 0;
  CHECK (dd_schedule_check (&bad, err, sizeof err) != 0);
  CHECK (strstr (err, "warmup_factor") != NULL);
  bad = s;
  bad.base_lr = 0;
  CHECK (dd_schedule_check (&bad, err, sizeof err) != 0);
  bad = s;
  bad.warmup_iters = s.iterations + 1;
  CHECK (dd_schedule_check (&bad, err, sizeof err) != 0);
}

int
main (void)
{
  RUN_TEST (test_paper_schedule);
  RUN_TEST (test_custom_drops);
  RUN_TEST (test_defaults_and_checks);
  return check_exit_status ();
}
