/* The manual/automatic mixing sampler (lib/data/mix_sampler.h). */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "data/mix_sampler.h"

#define N_DRAWS 100000

static dd_mix_sampler *
sampler (size_t n_manual, size_t n_automatic, double wm, double wa, uint64_t seed)
{
  dd_mix_options o;
  dd_mix_options_init (&o);
  o.manual_weight = wm;
  o.automatic_weight = wa;
  o.seed = seed;
  GError *error = NULL;
  dd_mix_sampler *s = dd_mix_sampler_new (n_manual, n_automatic, &o, &error);
  g_assert_no_error (error);
  return s;
}

/* The manual count of N_DRAWS draws is within 5 binomial standard
 * deviations of its expectation. */
static void
assert_manual_fraction (dd_mix_sampler *s, double p)
{
  g_assert_cmpfloat (fabs (dd_mix_sampler_manual_probability (s) - p), <, 1e-12);
  int manual = 0;
  for (int i = 0; i < N_DRAWS; i++) {
    dd_mix_draw d;
    dd_mix_sampler_next (s, &d);
    manual += d.source == DD_MIX_MANUAL;
  }
  double sigma = sqrt (N_DRAWS * p * (1.0 - p));
  g_test_message ("p = %.4f: %d manual of %d (expected %.0f, sigma %.1f)", p,
      manual, N_DRAWS, N_DRAWS * p, sigma);
  g_assert_cmpfloat (fabs (manual - N_DRAWS * p), <=, 5.0 * sigma);
}

static void
test_default_ratio (void)
{
  dd_mix_options o;
  dd_mix_options_init (&o);
  g_assert_cmpfloat (o.manual_weight, ==, 6.0);
  g_assert_cmpfloat (o.automatic_weight, ==, 4.0);
  dd_mix_sampler *s = dd_mix_sampler_new (500, 800, &o, NULL);
  assert_manual_fraction (s, 0.6);
  dd_mix_sampler_free (s);
}

static void
test_rho_mode (void)
{
  const double rhos[] = { 1.0, 3.0, 0.25 };
  for (guint i = 0; i < G_N_ELEMENTS (rhos); i++) {
    dd_mix_options o;
    dd_mix_options_init (&o);
    dd_mix_options_set_rho (&o, rhos[i]);
    o.seed = i;
    dd_mix_sampler *s = dd_mix_sampler_new (300, 900, &o, NULL);
    assert_manual_fraction (s, 1.0 / (1.0 + rhos[i]));
    dd_mix_sampler_free (s);
  }
}

/* Minibatches have the expected composition on average, and vary around it
 * as independent draws do (variance of a binomial), not more or less. */
static void
test_minibatch_composition (void)
{
  dd_mix_sampler *s = sampler (100, 100, 6, 4, 5);
  const int batch = 16, n_batches = 6000;
  dd_mix_draw draws[16];
  double sum = 0.0, sum2 = 0.0;
  for (int b = 0; b < n_batches; b++) {
    dd_mix_sampler_next_batch (s, draws, batch);
    int manual = 0;
    for (int i = 0; i < batch; i++)
      manual += draws[i].source == DD_MIX_MANUAL;
    sum += manual;
    sum2 += (double) manual * manual;
  }
  double mean = sum / n_batches, var = sum2 / n_batches - mean * mean;
  g_assert_cmpfloat (fabs (mean - 9.6), <, 0.125);
  g_assert_cmpfloat (fabs (var - 16 * 0.6 * 0.4), <, 0.4);
  dd_mix_sampler_free (s);
}

/* Every item of a source is drawn exactly once in each of its epochs, and
 * each epoch is a new permutation. */
static void
test_each_item_once_per_epoch (void)
{
  const uint32_t n[2] = { 37, 101 };
  dd_mix_sampler *s = sampler (n[0], n[1], 6, 4, 9);
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  uint32_t epoch[2] = { 0, 0 }, filled[2] = { 0, 0 };
  guint32 *first_order[2] = { g_new (guint32, n[0]), g_new (guint32, n[1]) };
  guint32 *order[2] = { g_new (guint32, n[0]), g_new (guint32, n[1]) };
  int completed[2] = { 0, 0 }, reshuffled[2] = { 0, 0 };
  for (int i = 0; i < 20000; i++) {
    dd_mix_draw d;
    dd_mix_sampler_next (s, &d);
    int src = d.source;
    g_assert_cmpuint (d.index, <, n[src]);
    if (d.epoch != epoch[src]) {
      /* A new epoch starts only after the last one gave every item. */
      g_assert_cmpuint (d.epoch, ==, epoch[src] + 1);
      g_assert_cmpuint (filled[src], ==, n[src]);
      if (completed[src] == 0)
        memcpy (first_order[src], order[src], n[src] * sizeof (guint32));
      else
        reshuffled[src] += memcmp (first_order[src], order[src],
            n[src] * sizeof (guint32)) != 0;
      completed[src]++;
      epoch[src] = d.epoch;
      filled[src] = 0;
    }
    /* (source, epoch, index) never repeats. */
    gpointer key = GSIZE_TO_POINTER (((gsize) d.epoch << 32) | ((gsize) src << 31)
        | d.index);
    g_assert_false (g_hash_table_contains (seen, key));
    g_hash_table_add (seen, key);
    order[src][filled[src]++] = d.index;
  }
  /* 20000 draws: about 324 manual and 79 automatic epochs. */
  g_assert_cmpint (completed[0], >, 250);
  g_assert_cmpint (completed[1], >, 60);
  g_assert_cmpint (reshuffled[0], ==, completed[0] - 1);
  g_assert_cmpint (reshuffled[1], ==, completed[1] - 1);
  for (int src = 0; src < 2; src++) {
    g_free (first_order[src]);
    g_free (order[src]);
  }
  g_hash_table_unref (seen);
  dd_mix_sampler_free (s);
}

static void
draw_sequence (dd_mix_sampler *s, dd_mix_draw *out, int n)
{
  for (int i = 0; i < n; i++)
    dd_mix_sampler_next (s, &out[i]);
}

static void
test_seeds (void)
{
  dd_mix_draw a[1000], b[1000], c[1000];
  dd_mix_sampler *s = sampler (50, 70, 6, 4, 1234);
  draw_sequence (s, a, 1000);
  dd_mix_sampler_free (s);
  s = sampler (50, 70, 6, 4, 1234);
  draw_sequence (s, b, 1000);
  dd_mix_sampler_free (s);
  s = sampler (50, 70, 6, 4, 1235);
  draw_sequence (s, c, 1000);
  dd_mix_sampler_free (s);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  int differ = 0;
  for (int i = 0; i < 1000; i++)
    differ += a[i].source != c[i].source || a[i].index != c[i].index;
  g_assert_cmpint (differ, >, 500);
}

static void
test_single (void)
{
  GError *error = NULL;
  dd_mix_sampler *s = dd_mix_sampler_new_single (10, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dd_mix_sampler_manual_probability (s), ==, 1.0);
  for (uint32_t e = 0; e < 5; e++) {
    int count[10] = { 0 };
    for (int i = 0; i < 10; i++) {
      dd_mix_draw d;
      dd_mix_sampler_next (s, &d);
      g_assert_cmpint (d.source, ==, DD_MIX_MANUAL);
      g_assert_cmpuint (d.epoch, ==, e);
      count[d.index]++;
    }
    for (int i = 0; i < 10; i++)
      g_assert_cmpint (count[i], ==, 1);
  }
  dd_mix_sampler_free (s);

  g_assert_null (dd_mix_sampler_new_single (0, 3, &error));
  g_assert_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY);
  g_clear_error (&error);
}

static void
test_empty_sources (void)
{
  dd_mix_options o;
  dd_mix_options_init (&o);
  GError *error = NULL;

  /* An empty automatic set is an error unless allowed explicitly. */
  g_assert_null (dd_mix_sampler_new (20, 0, &o, &error));
  g_assert_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "automatic"));
  g_assert_nonnull (strstr (error->message, "allow_empty_automatic"));
  g_clear_error (&error);

  o.allow_empty_automatic = TRUE;
  dd_mix_sampler *s = dd_mix_sampler_new (20, 0, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dd_mix_sampler_manual_probability (s), ==, 1.0);
  for (int i = 0; i < 200; i++) {
    dd_mix_draw d;
    dd_mix_sampler_next (s, &d);
    g_assert_cmpint (d.source, ==, DD_MIX_MANUAL);
    g_assert_cmpuint (d.index, <, 20);
  }
  dd_mix_sampler_free (s);

  g_assert_null (dd_mix_sampler_new (0, 20, &o, &error));
  g_assert_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "manual"));
  g_clear_error (&error);

  /* Allowed to be empty, but the manual set weighs nothing: no source is
   * left to draw from. */
  o.manual_weight = 0.0;
  g_assert_null (dd_mix_sampler_new (20, 0, &o, &error));
  g_assert_error (error, DD_MIX_ERROR, DD_MIX_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "nothing to draw"));
  g_clear_error (&error);
}

static void
test_bad_weights (void)
{
  const double bad[][2] = { { -1, 4 }, { 6, NAN }, { 0, 0 }, { INFINITY, 1 } };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    dd_mix_options o;
    dd_mix_options_init (&o);
    o.manual_weight = bad[i][0];
    o.automatic_weight = bad[i][1];
    GError *error = NULL;
    g_assert_null (dd_mix_sampler_new (10, 10, &o, &error));
    g_assert_error (error, DD_MIX_ERROR, DD_MIX_ERROR_OPTIONS);
    g_clear_error (&error);
  }
  /* A zero weight is fine: that source is never drawn. */
  dd_mix_sampler *s = sampler (10, 10, 0, 1, 0);
  for (int i = 0; i < 100; i++) {
    dd_mix_draw d;
    dd_mix_sampler_next (s, &d);
    g_assert_cmpint (d.source, ==, DD_MIX_AUTOMATIC);
  }
  dd_mix_sampler_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mix-sampler/default-ratio", test_default_ratio);
  g_test_add_func ("/mix-sampler/rho-mode", test_rho_mode);
  g_test_add_func ("/mix-sampler/minibatch-composition", test_minibatch_composition);
  g_test_add_func ("/mix-sampler/each-item-once-per-epoch", test_each_item_once_per_epoch);
  g_test_add_func ("/mix-sampler/seeds", test_seeds);
  g_test_add_func ("/mix-sampler/single", test_single);
  g_test_add_func ("/mix-sampler/empty-sources", test_empty_sources);
  g_test_add_func ("/mix-sampler/bad-weights", test_bad_weights);
  return g_test_run ();
}
