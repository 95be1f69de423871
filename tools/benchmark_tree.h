/* The benchmark tree an experiment runs on (`ddistill synth`'s layout,
 * data/synth_bench.h): generated when missing, and what its splits are.
 * Kept apart from the rest of `ddistill distill` because lib/data's synth
 * headers and lib/model's name types alike (dd_keypoint, dd_shape). */
#ifndef DD_TOOLS_BENCHMARK_TREE_H
#define DD_TOOLS_BENCHMARK_TREE_H

#include <glib.h>

typedef struct dd_tree_split {
  char *name;
  gboolean videos;              /* clips, not stills */
  gboolean hidden_truth;        /* listed without labels; truth under hidden/ */
} dd_tree_split;

typedef struct dd_benchmark_tree {
  char *name;                   /* the spec's */
  char *dir;
  int n_splits;
  dd_tree_split *splits;
} dd_benchmark_tree;

/* The tree of benchmark `spec` (a built-in name or a spec file) in `dir`,
 * generated there first when it holds none. */
dd_benchmark_tree *dd_benchmark_tree_open (const char *spec, const char *dir,
    GError **error);
void dd_benchmark_tree_free (dd_benchmark_tree *t);

/* The split called `name`, or NULL with an error naming `role` and the
 * splits there are. */
const dd_tree_split *dd_benchmark_tree_find (const dd_benchmark_tree *t,
    const char *name, const char *role, GError **error);

#endif
