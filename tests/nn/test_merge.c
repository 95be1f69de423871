/* Sibling convolutions merged in the inference graph (lib/nn/net_merge.c)
 * compute what the graph as written computes: the inference graph against
 * the eval forward, on the small preset's heads and on hand-written
 * branches with odd sizes, channel counts that are no multiple of 16 and
 * slices at every offset, on every backend built. Where the backend merges
 * (dd_backend_ops.merges_convs), the merged branches' inner layers are
 * gone from the inference graph (they cannot be read) and the branches the
 * rules leave alone are still there; elsewhere nothing merges. */
#include <string.h>

#include "check.h"
#include "nn/net.h"
#include "nn/rng.h"

static void
random_fill (dd_rng *rng, float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_range (rng, -1, 1);
}

/* Every layer named in `names` (NULL-terminated), read after a forward in
 * `mode`, into one buffer each. */
static float **
forward_read (dd_net *net, dd_backend *be, dd_net_mode mode, int batch, int h, int w,
              const char **names)
{
  char err[512] = "";
  CHECK (dd_net_setup (net, be, mode, batch, h, w, err, sizeof err) == 0);
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  size_t n_in = dd_shape_numel (dd_net_input_shape (net));
  float *x = malloc (n_in * sizeof *x);
  random_fill (&rng, x, n_in);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  free (x);
  int n = 0;
  while (names[n])
    n++;
  float **out = calloc ((size_t) n, sizeof *out);
  for (int k = 0; k < n; k++) {
    out[k] = malloc (dd_shape_numel (dd_net_find (net, names[k])->out_shape) * sizeof (float));
    if (dd_net_read (net, names[k], out[k], err, sizeof err) != 0) {
      fprintf (stderr, "  %s\n", err);
      CHECK (0);
    }
  }
  return out;
}

/* The worst error of the inference graph against the eval forward over
 * `names`, relative to each tensor's largest value. */
static double
infer_vs_eval (dd_net *net, dd_backend *be, int batch, int h, int w, const char **names)
{
  char err[512] = "";
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, batch, h, w, err, sizeof err) == 0);
  CHECK (dd_net_init_params (net, 11) == 0);
  float **want = forward_read (net, be, DD_NET_EVAL, batch, h, w, names);
  float **got = forward_read (net, be, DD_NET_INFER, batch, h, w, names);
  double worst = 0;
  for (int k = 0; names[k]; k++) {
    size_t n = dd_shape_numel (dd_net_find (net, names[k])->out_shape);
    double diff = 0, scale = 1e-6;
    for (size_t i = 0; i < n; i++) {
      diff = fmax (diff, fabs (got[k][i] - want[k][i]));
      scale = fmax (scale, fabs (want[k][i]));
    }
    worst = fmax (worst, diff / scale);
    free (want[k]);
    free (got[k]);
  }
  free (want);
  free (got);
  return worst;
}

static int
readable (dd_net *net, const char *layer)
{
  char err[512];
  float *y = malloc (dd_shape_numel (dd_net_find (net, layer)->out_shape) * sizeof *y);
  int ok = dd_net_read (net, layer, y, err, sizeof err) == 0;
  free (y);
  return ok;
}

static dd_backend *
backend (size_t i)
{
  char err[256] = "";
  dd_backend *be = dd_backend_new (dd_backend_name (i), err, sizeof err);
  if (!be)
    fprintf (stderr, "  %s: %s\n", dd_backend_name (i), err);
  CHECK (be != NULL || strcmp (dd_backend_name (i), "cuda") == 0);
  return be;
}

/* The heads: center, size and offset (1-2 channels) merge; the keypoint
 * heads (17 and 34 channels) would make the merged 1x1 dearer and stay
 * apart. Outputs and logits as eval computes them. */
static void
test_small_heads (void)
{
  for (size_t i = 0; dd_backend_name (i); i++) {
    dd_backend *be = backend (i);
    if (!be)
      continue;
    char err[512] = "";
    dd_net *net = dd_net_load_preset ("small", err, sizeof err);
    CHECK (net != NULL);
    if (!net) {
      dd_backend_free (be);
      continue;
    }
    int ref = strcmp (be->ops->name, "reference") == 0;
    const char *names[] = {"heads.center.sigmoid", "heads.center.out", "heads.size.out",
      "heads.offset.out", "heads.keypoint_heatmap.sigmoid", "heads.keypoint_offset.out",
      NULL};
    double e = infer_vs_eval (net, be, ref ? 1 : 3, ref ? 32 : 96, ref ? 32 : 96, names);
    fprintf (stderr, "  small's heads on %s: worst error %.3g\n", be->ops->name, e);
    CHECK (e < 1e-5);
    /* The cpu backend is the one this is for: it must merge. */
    int merged = be->ops->merges_convs;
    CHECK (merged || strcmp (be->ops->name, "cpu") != 0);
    CHECK (readable (net, "heads.center.relu") == !merged);
    CHECK (readable (net, "heads.size.relu") == !merged);
    CHECK (readable (net, "heads.offset.relu") == !merged);
    CHECK (readable (net, "heads.keypoint_heatmap.relu"));
    CHECK (readable (net, "heads.keypoint_offset.relu"));
    dd_net_free (net);
    dd_backend_free (be);
  }
}

#define LAYER(name, op, inputs, extra) \
  "{\"name\": \"" name "\", \"op\": \"" op "\", \"inputs\": [" inputs "]" extra "}"
#define CONV(name, in, c, k, pad, extra) \
  LAYER (name, "conv2d", "\"" in "\"", ", \"out_channels\": " #c ", \"kernel\": " #k \
         ", \"padding\": " #pad extra)
#define BRANCH(p, c, k, pad, head)                                     \
  CONV (p, "x", c, k, pad, "") "," LAYER (p "_relu", "relu", "\"" p "\"", "") "," \
  CONV (p "_out", p "_relu", head, 1, 0, "")

static const char branches_net[] =
  "{\"name\": \"branches\", \"input\": {\"channels\": 3, \"height\": 9, \"width\": 11},"
  " \"layers\": ["
  CONV ("x", "input", 20, 3, 1, "") ","
  /* a, b, c merge: 13 + 13 + 7 channels, then 3 + 5 + 2 in one 1x1; b's
   * sigmoid reads its slice. */
  BRANCH ("a", 13, 3, 1, 3) ","
  BRANCH ("b", 13, 3, 1, 5) ","
  LAYER ("b_sigmoid", "sigmoid", "\"b_out\"", "") ","
  BRANCH ("c", 7, 3, 1, 2) ","
  /* d's ReLU is read twice: not a branch. */
  BRANCH ("d", 13, 3, 1, 4) ","
  CONV ("d_more", "d_relu", 2, 1, 0, "") ","
  /* e: another kernel size, no sibling. */
  BRANCH ("e", 13, 1, 0, 3) ","
  /* f and g: a ReLU after the 1x1 too, and no bias; a group of their own,
   * their outputs named after those ReLUs. */
  CONV ("f", "x", 6, 3, 1, ", \"bias\": false") ","
  LAYER ("f_relu", "relu", "\"f\"", "") ","
  CONV ("f_out", "f_relu", 2, 1, 0, ", \"bias\": false") ","
  LAYER ("f_out_relu", "relu", "\"f_out\"", "") ","
  CONV ("g", "x", 6, 3, 1, ", \"bias\": false") ","
  LAYER ("g_relu", "relu", "\"g\"", "") ","
  CONV ("g_out", "g_relu", 3, 1, 0, ", \"bias\": false") ","
  LAYER ("g_out_relu", "relu", "\"g_out\"", "")
  "], \"outputs\": [\"a_out\", \"b_sigmoid\", \"c_out\", \"d_out\", \"d_more\","
  " \"e_out\", \"f_out_relu\", \"g_out_relu\"]}";

static void
test_branches (void)
{
  for (size_t i = 0; dd_backend_name (i); i++) {
    dd_backend *be = backend (i);
    if (!be)
      continue;
    char err[512] = "";
    dd_net *net = dd_net_parse (branches_net, sizeof branches_net - 1, "branches.json", err,
                                sizeof err);
    if (!net)
      fprintf (stderr, "  %s\n", err);
    CHECK (net != NULL);
    if (!net) {
      dd_backend_free (be);
      continue;
    }
    const char *names[] = {"a_out", "b_out", "b_sigmoid", "c_out", "d_out", "d_more",
      "e_out", "f_out_relu", "g_out_relu", NULL};
    double e = infer_vs_eval (net, be, 3, 9, 11, names);
    fprintf (stderr, "  branches on %s: worst error %.3g\n", be->ops->name, e);
    CHECK (e < 1e-5);
    int merged = be->ops->merges_convs;
    CHECK (readable (net, "a_relu") == !merged);
    CHECK (readable (net, "b_relu") == !merged);
    CHECK (readable (net, "c_relu") == !merged);
    CHECK (readable (net, "f_relu") == !merged);
    CHECK (readable (net, "g_relu") == !merged);
    CHECK (readable (net, "d_relu"));
    CHECK (readable (net, "e_relu"));
    dd_net_free (net);
    dd_backend_free (be);
  }
}

int
main (void)
{
  RUN_TEST (test_small_heads);
  RUN_TEST (test_branches);
  return check_exit_status ();
}
