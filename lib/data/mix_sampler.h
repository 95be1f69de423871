/* The student's training stream: items drawn from two datasets, the manual
 * labels and the automatic (distilled) ones, mixed at a fixed expected ratio.
 *
 * Each draw comes from the manual set with probability
 * manual_weight / (manual_weight + automatic_weight), independently, so every
 * minibatch has that expected composition: 6:4 by default (the paper's
 * choice), or 1:rho for the paper's ablation (rho automatic samples per
 * manual one; rho = n_automatic / n_manual samples the union uniformly).
 *
 * Each source walks through a random permutation of its items; when all of
 * them were drawn once, its epoch ends and it is reshuffled. The two sources'
 * epochs are independent: the smaller set simply cycles faster. Everything
 * follows from the seed, on any machine.
 */
#ifndef DD_DATA_MIX_SAMPLER_H
#define DD_DATA_MIX_SAMPLER_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define DD_MIX_ERROR (dd_mix_error_quark ())
GQuark dd_mix_error_quark (void);

typedef enum {
  DD_MIX_ERROR_EMPTY,           /* a source that must give items has none */
  DD_MIX_ERROR_OPTIONS,         /* weights out of range, a source too large */
} dd_mix_error;

typedef enum {
  DD_MIX_MANUAL = 0,
  DD_MIX_AUTOMATIC = 1,
} dd_mix_source;

typedef struct dd_mix_draw {
  dd_mix_source source;
  uint32_t index;               /* item within its source */
  uint32_t epoch;               /* that source's epoch, from 0 */
} dd_mix_draw;

typedef struct dd_mix_options {
  double manual_weight;         /* expected ratio manual : automatic, */
  double automatic_weight;      /* both finite, >= 0, not both 0 */
  /* With no automatic items, draw only manual ones instead of failing: for
   * a first round where the teacher kept nothing. Off by default, so an
   * empty automatic set is noticed. */
  gboolean allow_empty_automatic;
  uint64_t seed;
} dd_mix_options;

/* 6:4, strict about an empty automatic set, seed 0. */
void dd_mix_options_init (dd_mix_options *o);
/* The paper's 1:rho mode: weights 1 and rho (rho >= 0). */
void dd_mix_options_set_rho (dd_mix_options *o, double rho);

typedef struct dd_mix_sampler dd_mix_sampler;

/* Fails, saying which, when a source with a positive weight is empty (an
 * empty automatic set is allowed with allow_empty_automatic), when the
 * weights are invalid, or when a source has more than UINT32_MAX items. */
dd_mix_sampler *dd_mix_sampler_new (size_t n_manual, size_t n_automatic,
    const dd_mix_options *o, GError **error);
/* One dataset, reshuffled every epoch: every draw is DD_MIX_MANUAL. */
dd_mix_sampler *dd_mix_sampler_new_single (size_t n, uint64_t seed,
    GError **error);
void dd_mix_sampler_free (dd_mix_sampler *s);

/* The probability that a draw is manual, after the empty-set rule. */
double dd_mix_sampler_manual_probability (const dd_mix_sampler *s);

void dd_mix_sampler_next (dd_mix_sampler *s, dd_mix_draw *draw);
/* A minibatch: n consecutive draws. */
void dd_mix_sampler_next_batch (dd_mix_sampler *s, dd_mix_draw *draws, size_t n);

#endif
