#include "data/mix_sampler.h"

#include <math.h>

#include "nn/rng.h"

G_DEFINE_QUARK (dd-mix-error-quark, dd_mix_error)

/* One dataset's walk through its items. */
typedef struct mix_source {
  uint32_t n;
  uint32_t *order;              /* this epoch's permutation */
  uint32_t next;                /* position in `order` */
  uint32_t epoch;
  dd_rng rng;                   /* its own stream: shuffles do not depend on the mixing */
} mix_source;

struct dd_mix_sampler {
  mix_source sources[2];
  double p_manual;
  uint64_t manual_below;        /* a draw is manual when its u32 is below this */
  dd_rng choose;
};

void
dd_mix_options_init (dd_mix_options *o)
{
  *o = (dd_mix_options) {
    .manual_weight = 6.0, .automatic_weight = 4.0,
    .allow_empty_automatic = FALSE,
    .seed = 0,
  };
}

void
dd_mix_options_set_rho (dd_mix_options *o, double rho)
{
  o->manual_weight = 1.0;
  o->automatic_weight = rho;
}

/* Fisher-Yates with Lemire's unbiased bounded draws. */
static void
shuffle (mix_source *src)
{
  for (uint32_t i = src->n; i > 1; i--) {
    uint32_t j = dd_rng_below (&src->rng, i);
    uint32_t tmp = src->order[i - 1];
    src->order[i - 1] = src->order[j];
    src->order[j] = tmp;
  }
}

static void
source_init (mix_source *src, size_t n, uint64_t seed, uint64_t stream)
{
  src->n = (uint32_t) n;
  src->order = g_new (uint32_t, MAX (n, 1));
  for (uint32_t i = 0; i < src->n; i++)
    src->order[i] = i;
  src->next = 0;
  src->epoch = 0;
  dd_rng_seed (&src->rng, seed, stream);
  shuffle (src);
}

static void
source_draw (mix_source *src, dd_mix_draw *draw)
{
  if (src->next == src->n) {
    src->epoch++;
    src->next = 0;
    shuffle (src);
  }
  draw->index = src->order[src->next++];
  draw->epoch = src->epoch;
}

static gboolean
check_options (size_t n_manual, size_t n_automatic, const dd_mix_options *o,
    GError **error)
{
  double wm = o->manual_weight, wa = o->automatic_weight;
  if (!(isfinite (wm) && isfinite (wa) && wm >= 0.0 && wa >= 0.0 && wm + wa > 0.0)) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_OPTIONS,
        "mixing weights manual:automatic = %g:%g are invalid: both must be "
        "finite and >= 0, and not both 0 (the default is 6:4)", wm, wa);
    return FALSE;
  }
  if (n_manual > UINT32_MAX || n_automatic > UINT32_MAX) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_OPTIONS,
        "a dataset of %zu items is too large for the sampler (at most %u); "
        "split it", MAX (n_manual, n_automatic), UINT32_MAX);
    return FALSE;
  }
  if (wm > 0.0 && n_manual == 0) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY,
        "the manually labelled dataset is empty, but its mixing weight is %g: "
        "the student needs the manual labels", wm);
    return FALSE;
  }
  if (wm == 0.0 && n_automatic == 0) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY,
        "the automatically labelled dataset is empty and the manual mixing "
        "weight is 0: there is nothing to draw; give the manual labels a "
        "positive weight");
    return FALSE;
  }
  if (wa > 0.0 && n_automatic == 0 && !o->allow_empty_automatic) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY,
        "the automatically labelled dataset is empty, but its mixing weight is "
        "%g: check the teacher's output and its score thresholds, or allow "
        "training on the manual set alone (allow_empty_automatic)", wa);
    return FALSE;
  }
  return TRUE;
}

dd_mix_sampler *
dd_mix_sampler_new (size_t n_manual, size_t n_automatic, const dd_mix_options *o,
    GError **error)
{
  if (!check_options (n_manual, n_automatic, o, error))
    return NULL;
  dd_mix_sampler *s = g_new0 (dd_mix_sampler, 1);
  double wm = o->manual_weight, wa = o->automatic_weight;
  if (n_automatic == 0)
    wa = 0.0;
  s->p_manual = wm / (wm + wa);
  s->manual_below = (uint64_t) llround (s->p_manual * 4294967296.0);
  dd_rng_seed (&s->choose, o->seed, 0);
  source_init (&s->sources[DD_MIX_MANUAL], n_manual, o->seed, 1);
  source_init (&s->sources[DD_MIX_AUTOMATIC], n_automatic, o->seed, 2);
  return s;
}

dd_mix_sampler *
dd_mix_sampler_new_single (size_t n, uint64_t seed, GError **error)
{
  dd_mix_options o;
  dd_mix_options_init (&o);
  o.manual_weight = 1.0;
  o.automatic_weight = 0.0;
  o.seed = seed;
  if (n == 0) {
    g_set_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY,
        "the training dataset is empty: there is nothing to sample");
    return NULL;
  }
  return dd_mix_sampler_new (n, 0, &o, error);
}

void
dd_mix_sampler_free (dd_mix_sampler *s)
{
  if (s == NULL)
    return;
  g_free (s->sources[0].order);
  g_free (s->sources[1].order);
  g_free (s);
}

double
dd_mix_sampler_manual_probability (const dd_mix_sampler *s)
{
  return s->p_manual;
}

void
dd_mix_sampler_next (dd_mix_sampler *s, dd_mix_draw *draw)
{
  /* One u32 per draw whatever the weights, so the choice stream stays
   * aligned between runs that differ only in the ratio. */
  gboolean manual = (uint64_t) dd_rng_u32 (&s->choose) < s->manual_below;
  draw->source = manual ? DD_MIX_MANUAL : DD_MIX_AUTOMATIC;
  source_draw (&s->sources[draw->source], draw);
}

void
dd_mix_sampler_next_batch (dd_mix_sampler *s, dd_mix_draw *draws, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dd_mix_sampler_next (s, &draws[i]);
}
