/* Input gradients of the cpu backend: written straight into a dy that
 * holds only zeros, else computed in scratch and added (cpu_private.h
 * explains why). The bookkeeping: the ranges fill(0) zeroed, each stamped
 * with a clock that every fill advances, and per layer the clock of the
 * last write into its dy. A dy is all zeros when a zeroed range covers it
 * and was stamped after that write. */
#include <string.h>

#include "nn/cpu_private.h"

static void
forget (dd_cpu *cpu, int i)
{
  memmove (&cpu->zeroed[i], &cpu->zeroed[i + 1],
           (size_t) (cpu->n_zeroed - i - 1) * sizeof cpu->zeroed[0]);
  cpu->n_zeroed--;
}

void
dd_cpu_note_zeroed (dd_cpu *cpu, const float *p, size_t n)
{
  uintptr_t lo = (uintptr_t) p, hi = lo + n * sizeof (float);
  cpu->clock++;
  for (int i = cpu->n_zeroed - 1; i >= 0; i--)
    if (lo <= cpu->zeroed[i].lo && cpu->zeroed[i].hi <= hi)
      forget (cpu, i);
  if (cpu->n_zeroed == DD_CPU_ZEROED_MAX)
    forget (cpu, 0);
  cpu->zeroed[cpu->n_zeroed++] = (struct dd_cpu_zeroed) {lo, hi, cpu->clock};
}

void
dd_cpu_note_overwritten (dd_cpu *cpu, const float *p, size_t n)
{
  uintptr_t lo = (uintptr_t) p, hi = lo + n * sizeof (float);
  for (int i = cpu->n_zeroed - 1; i >= 0; i--)
    if (lo < cpu->zeroed[i].hi && cpu->zeroed[i].lo < hi)
      forget (cpu, i);
}

int
dd_cpu_dy_is_zero (const dd_cpu *cpu, const dd_layer *x)
{
  uintptr_t lo = (uintptr_t) x->dy, hi = lo + x->act_floats * sizeof (float);
  uint64_t written = dd_cpu_layer_of (x)->dy_written;
  for (int i = 0; i < cpu->n_zeroed; i++)
    if (cpu->zeroed[i].lo <= lo && hi <= cpu->zeroed[i].hi && cpu->zeroed[i].when > written)
      return 1;
  return 0;
}

void
dd_cpu_note_dy_written (const dd_cpu *cpu, const dd_layer *x)
{
  dd_cpu_layer_of (x)->dy_written = cpu->clock;
}

float *
dd_cpu_grad_dst (const dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *x, float *tmp)
{
  return !a->r.p.prim && dd_cpu_dy_is_zero (cpu, x) ? x->dy : tmp;
}

void
dd_cpu_grad_finish (dd_cpu *cpu, const dd_cpu_accumulate *a, const dd_layer *l,
                    const dd_layer *x, const float *written)
{
  if (written != x->dy)
    dd_cpu_accumulate_run (cpu, a, l, written, x->dy);
  dd_cpu_note_dy_written (cpu, x);
}

void
dd_cpu_copy (float *restrict dst, const float *restrict src, size_t n)
{
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++)
    dst[i] = src[i];
}
