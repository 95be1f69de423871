#include <math.h>
#include <stdio.h>

#include "nn/schedule.h"

void
dd_schedule_defaults (dd_schedule *s, float base_lr, int64_t iterations)
{
  int64_t warmup = iterations / 10;
  *s = (dd_schedule) {
    .base_lr = base_lr,
    .iterations = iterations,
    .warmup_iters = warmup < 500 ? warmup : 500,
    .warmup_factor = 1.0f / 3.0f,
    .first_drop = 0.7f,
    .second_drop = 0.9f,
  };
}

int
dd_schedule_check (const dd_schedule *s, char *err, size_t err_len)
{
  const char *bad = NULL;
  if (!(s->base_lr > 0))
    bad = "base_lr must be positive";
  else if (s->iterations < 1)
    bad = "iterations must be at least 1";
  else if (s->warmup_iters < 0 || s->warmup_iters > s->iterations)
    bad = "warmup_iters must be in [0, iterations]";
  else if (!(s->warmup_factor > 0 && s->warmup_factor <= 1))
    bad = "warmup_factor must be in (0, 1]";
  else if (!(s->first_drop > 0 && s->first_drop <= s->second_drop && s->second_drop <= 1))
    bad = "drops must satisfy 0 < first_drop <= second_drop <= 1";
  if (bad)
    snprintf (err, err_len, "learning-rate schedule: %s", bad);
  return bad ? -1 : 0;
}

/* The iteration where a drop at `fraction` of the run takes effect: the
 * nearest one, since 0.7f * 1000 is 699.99998 in binary. */
static int64_t
drop_iter (const dd_schedule *s, float fraction)
{
  return llround ((double) fraction * (double) s->iterations);
}

float
dd_schedule_lr (const dd_schedule *s, int64_t iter)
{
  double lr = s->base_lr;
  if (iter >= drop_iter (s, s->first_drop))
    lr *= 0.1;
  if (iter >= drop_iter (s, s->second_drop))
    lr *= 0.1;
  if (iter < s->warmup_iters) {
    double alpha = (double) iter / (double) s->warmup_iters;
    lr *= s->warmup_factor * (1 - alpha) + alpha;
  }
  return (float) lr;
}
