/* The learning-rate schedule of the paper's training runs (Detectron's
 * "steps_with_decay" with linear warm-up): the rate climbs linearly from
 * warmup_factor * base_lr to base_lr over the first warmup_iters
 * iterations, and is divided by 10 at first_drop and again at second_drop
 * (fractions of the iterations, 0.7 and 0.9 by default). */
#ifndef DD_NN_SCHEDULE_H
#define DD_NN_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dd_schedule {
  float base_lr;
  int64_t iterations;
  int64_t warmup_iters;
  float warmup_factor;
  float first_drop, second_drop;
} dd_schedule;

/* Warm-up over min(500, iterations / 10) iterations from a third of the
 * rate; drops at 70% and 90%. */
void dd_schedule_defaults (dd_schedule *s, float base_lr, int64_t iterations);
/* Returns 0, or -1 with a message naming the bad field. */
int dd_schedule_check (const dd_schedule *s, char *err, size_t err_len);
/* The rate of iteration `iter` (0-based). */
float dd_schedule_lr (const dd_schedule *s, int64_t iter);

#endif
