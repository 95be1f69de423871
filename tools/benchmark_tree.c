#include "benchmark_tree.h"

#include <stdio.h>

#include "data/synth_bench.h"

static void
show (const char *split, int done, int total, void *user)
{
  (void) user;
  if (done == total)
    fprintf (stderr, "  %-9s %s: %d\n", "data", split, total);
}

dd_benchmark_tree *
dd_benchmark_tree_open (const char *spec_name, const char *dir, GError **error)
{
  dd_spec *spec = dd_spec_load (spec_name, error);
  if (!spec)
    return NULL;
  g_autofree char *made = g_build_filename (dir, "spec.json", NULL);
  gboolean ok = TRUE;
  if (!g_file_test (made, G_FILE_TEST_IS_REGULAR)) {
    fprintf (stderr, "ddistill distill: generating the '%s' benchmark into %s\n",
        spec->name, dir);
    ok = dd_bench_generate (spec, dir, spec->seed, show, NULL, error);
  } else {
    g_autoptr (GError) stale = NULL;
    ok = dd_bench_check_tree (dir, &stale)
        && dd_bench_check_spec (spec, dir, spec->seed, &stale);
    /* The runs and labels beside it are keyed by split names, not by
     * what the tree holds: generating it again there would reuse them. */
    if (!ok)
      g_set_error (error, stale->domain, stale->code, "%s; the runs and "
          "labels beside it were made from it, so use another --out",
          stale->message);
  }
  dd_benchmark_tree *t = NULL;
  if (ok) {
    t = g_new0 (dd_benchmark_tree, 1);
    t->name = g_strdup (spec->name);
    t->dir = g_strdup (dir);
    t->n_splits = spec->n_splits;
    t->splits = g_new0 (dd_tree_split, MAX (spec->n_splits, 1));
    for (int i = 0; i < spec->n_splits; i++)
      t->splits[i] = (dd_tree_split) { g_strdup (spec->splits[i].name),
        spec->splits[i].kind == DD_SPLIT_VIDEOS, spec->splits[i].hidden_truth };
  }
  dd_spec_free (spec);
  return t;
}

void
dd_benchmark_tree_free (dd_benchmark_tree *t)
{
  if (!t)
    return;
  for (int i = 0; i < t->n_splits; i++)
    g_free (t->splits[i].name);
  g_free (t->splits);
  g_free (t->name);
  g_free (t->dir);
  g_free (t);
}

const dd_tree_split *
dd_benchmark_tree_find (const dd_benchmark_tree *t, const char *name,
    const char *role, GError **error)
{
  for (int i = 0; i < t->n_splits; i++)
    if (g_str_equal (t->splits[i].name, name))
      return &t->splits[i];
  GString *names = g_string_new (NULL);
  for (int i = 0; i < t->n_splits; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "", t->splits[i].name);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "the %s split '%s' is not in "
      "the benchmark '%s' (its splits: %s)", role, name, t->name, names->str);
  g_string_free (names, TRUE);
  return NULL;
}
