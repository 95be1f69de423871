/* The fused layers of the engine's graphs compute what the layers as
 * written compute: the inference graph's residual adds (summed by the
 * convolution onto the other input, in place or into memory of its own)
 * against the eval forward, on the presets and on hand-written cases where
 * the fusion must or must not happen, on every backend built (the cuda
 * one where there is a device); and a training step with each batch norm
 * computing the ReLU after it (where the backend fuses them) against the
 * reference backend's step on the graph as written. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn/net.h"
#include "nn/rng.h"

static void
random_fill (dd_rng *rng, float *x, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_range (rng, lo, hi);
}

/* A backend built into this program; NULL, and skipped, where it is the
 * cuda backend on a machine without a device. */
static dd_backend *
backend (const char *name)
{
  char err[256] = "";
  dd_backend *be = dd_backend_new (name, err, sizeof err);
  if (!be)
    fprintf (stderr, "  %s: %s\n", name, err);
  CHECK (be != NULL || strcmp (name, "cuda") == 0);
  return be;
}

/* Batch norm away from its initial values (so folding has something to
 * fold) and every parameter drawn again from `seed`. */
static void
randomize (dd_net *net, uint64_t seed)
{
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  CHECK (dd_net_init_params (net, seed) == 0);
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    if (t->layer->op != DD_OP_BATCHNORM)
      continue;
    float *v = malloc (t->numel * sizeof *v);
    int var = strstr (t->name, "running_var") != NULL;
    int gamma = strstr (t->name, ".weight") != NULL;
    random_fill (&rng, v, t->numel, var ? 0.2f : gamma ? 0.5f : -0.5f,
                 var ? 2 : gamma ? 1.5f : 0.5f);
    dd_net_write_tensor (net, t, v);
    free (v);
  }
}

/* The largest difference relative to the tensor's largest value: a
 * residual sum that cancels to near zero keeps the rounding error of its
 * large terms (folded weights and Winograd round differently), so an
 * element's own relative error says nothing there. */
static double
worst_error (const float *got, const float *want, size_t n)
{
  double diff = 0, scale = 1e-6;
  for (size_t i = 0; i < n; i++) {
    diff = fmax (diff, fabs (got[i] - want[i]));
    scale = fmax (scale, fabs (want[i]));
  }
  return diff / scale;
}

/* Runs `net` in DD_NET_EVAL and in DD_NET_INFER on the same input and
 * compares the layers named in `check` (the outputs when NULL); returns
 * the worst relative error. The network stays set up for inference. */
static double
infer_vs_eval (dd_net *net, dd_backend *be, int batch, int h, int w, const char **check)
{
  char err[512] = "";
  const char *names[16];
  int n = 0;
  for (; check && check[n]; n++)
    names[n] = check[n];
  if (!check)
    for (; n < dd_net_n_outputs (net); n++)
      names[n] = dd_net_output (net, n)->name;
  CHECK (dd_net_setup (net, be, DD_NET_EVAL, batch, h, w, err, sizeof err) == 0);
  randomize (net, 5);
  dd_rng rng;
  dd_rng_seed (&rng, 7, 0);
  size_t n_in = dd_shape_numel (dd_net_input_shape (net));
  float *x = malloc (n_in * sizeof *x);
  random_fill (&rng, x, n_in, -1, 1);
  float *want[16], *got[16];
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  for (int o = 0; o < n; o++) {
    size_t len = dd_shape_numel (dd_net_find (net, names[o])->out_shape);
    want[o] = malloc (len * sizeof (float));
    got[o] = malloc (len * sizeof (float));
    CHECK (dd_net_read (net, names[o], want[o], err, sizeof err) == 0);
  }
  CHECK (dd_net_setup (net, be, DD_NET_INFER, batch, h, w, err, sizeof err) == 0);
  dd_net_set_input (net, x);
  dd_net_forward (net, 0);
  double worst = 0;
  for (int o = 0; o < n; o++) {
    size_t len = dd_shape_numel (dd_net_find (net, names[o])->out_shape);
    if (dd_net_read (net, names[o], got[o], err, sizeof err) == 0) {
      worst = fmax (worst, worst_error (got[o], want[o], len));
    } else {
      fprintf (stderr, "  %s\n", err);
      worst = INFINITY;
    }
    free (want[o]);
    free (got[o]);
  }
  free (x);
  return worst;
}

/* Whether `layer` can be read in the current setup. */
static int
readable (dd_net *net, const char *layer)
{
  char err[512];
  float *y = malloc (dd_shape_numel (dd_net_find (net, layer)->out_shape) * sizeof *y);
  int ok = dd_net_read (net, layer, y, err, sizeof err) == 0;
  free (y);
  return ok;
}

/* The presets, every residual add fused: where a convolution summed in
 * place, the other input's output is gone, the sum readable under its
 * name. The reference backend runs smaller images (it is slow). */
static void
test_presets (void)
{
  for (size_t i = 0; dd_backend_name (i); i++) {
    char err[512] = "";
    dd_backend *be = backend (dd_backend_name (i));
    if (!be)
      continue;
    int ref = strcmp (dd_backend_name (i), "reference") == 0;
    dd_net *net = dd_net_load_preset ("tiny", err, sizeof err);
    CHECK (net != NULL);
    double e = net ? infer_vs_eval (net, be, 2, ref ? 32 : 64, ref ? 32 : 64, NULL) : 1;
    fprintf (stderr, "  tiny on %s: worst error %.3g\n", dd_backend_name (i), e);
    CHECK (e < 1e-4);
    CHECK (net && !readable (net, "backbone.down2.relu"));
    dd_net_free (net);

    net = dd_net_load_preset ("small", err, sizeof err);
    CHECK (net != NULL);
    if (!net)
      continue;
    e = infer_vs_eval (net, be, ref ? 1 : 2, ref ? 32 : 128, ref ? 32 : 128, NULL);
    fprintf (stderr, "  small on %s: worst error %.3g\n", dd_backend_name (i), e);
    CHECK (e < 1e-4);
    const char *sums[] = {"backbone.layer1.0.relu2", "backbone.layer2.1.relu2",
      "backbone.layer4.0.relu2", "neck.up1.merge", "neck.up2.merge", NULL};
    CHECK (infer_vs_eval (net, be, 1, ref ? 32 : 64, ref ? 32 : 64, sums) < 1e-4);
    /* layer1.0 sums onto the stem, layer2.0's downsample onto its conv2,
     * layer2.1 onto layer2.0, each neck lateral onto the upsampled map. */
    CHECK (!readable (net, "backbone.stem2.relu"));
    CHECK (!readable (net, "backbone.layer2.0.bn2"));
    CHECK (!readable (net, "backbone.layer2.0.relu2"));
    CHECK (!readable (net, "neck.up1.up"));
    CHECK (!readable (net, "backbone.layer1.0.add"));
    dd_net_free (net);
    dd_backend_free (be);
  }
}

#define LAYER(name, op, inputs, extra) \
  "{\"name\": \"" name "\", \"op\": \"" op "\", \"inputs\": [" inputs "]" extra "}"
#define CONV(name, in, c, k, pad) \
  LAYER (name, "conv2d", "\"" in "\"", ", \"out_channels\": " #c ", \"kernel\": " #k \
         ", \"padding\": " #pad)

/* Cases on odd sizes and channel counts that are no multiple of 16 (a
 * partial block in oneDNN's layouts). */
static const char residual_net[] =
  "{\"name\": \"residual\", \"input\": {\"channels\": 3, \"height\": 7, \"width\": 9},"
  " \"layers\": ["
  /* s: the stem, read by a, by the add and, later, by late. Not fused. */
  CONV ("s", "input", 20, 3, 1) ","
  LAYER ("s_relu", "relu", "\"s\"", "") ","
  CONV ("a", "s_relu", 20, 3, 1) ","
  LAYER ("a_bn", "batchnorm", "\"a\"", "") ","
  LAYER ("add1", "add", "\"a_bn\", \"s_relu\"", "") ","
  LAYER ("add1_relu", "relu", "\"add1\"", "") ","
  CONV ("late", "s_relu", 20, 1, 0) ","
  /* Two convolution chains: the later (d) sums onto b's output. */
  CONV ("b", "add1_relu", 20, 3, 1) ","
  LAYER ("b_bn", "batchnorm", "\"b\"", "") ","
  CONV ("d", "add1_relu", 20, 1, 0) ","
  LAYER ("d_bn", "batchnorm", "\"d\"", "") ","
  LAYER ("add2", "add", "\"b_bn\", \"d_bn\"", "") ","
  /* An add that is an output: fused, its ReLU stays a layer. */
  LAYER ("add2_relu", "relu", "\"add2\"", "") ","
  /* Onto the network's input: never in place. */
  CONV ("e", "input", 3, 3, 1) ","
  LAYER ("add3", "add", "\"e\", \"input\"", "") ","
  /* Three inputs: an add of its own. */
  LAYER ("add4", "add", "\"add2_relu\", \"late\", \"add1_relu\"", "")
  "], \"outputs\": [\"add2\", \"add2_relu\", \"add3\", \"add4\"]}";

static void
test_residual_cases (void)
{
  for (size_t i = 0; dd_backend_name (i); i++) {
    char err[512] = "";
    dd_backend *be = backend (dd_backend_name (i));
    if (!be)
      continue;
    dd_net *net = dd_net_parse (residual_net, sizeof residual_net - 1, "residual.json", err,
                                sizeof err);
    if (!net)
      fprintf (stderr, "  %s\n", err);
    CHECK (net != NULL);
    if (net) {
      const char *check[] = {"add2", "add2_relu", "add3", "add4", "s_relu", "add1_relu",
        NULL};
      double worst = infer_vs_eval (net, be, 3, 7, 9, check);
      fprintf (stderr, "  residual cases on %s: worst error %.3g\n", be->ops->name, worst);
      CHECK (worst < 1e-4);
      CHECK (readable (net, "s_relu"));
      CHECK (!readable (net, "b_bn"));
      CHECK (readable (net, "input"));
    }
    dd_net_free (net);
    dd_backend_free (be);
  }
}

/* One convolution 20 -> 20, 3x3 (Winograd on the cpu backend), with a
 * fused residual add and ReLU, on `be`: y = relu(conv(x) + b + r), summed
 * into r's memory (`in_place`) or into memory of its own. Writes y as
 * NCHW into `out` and r, read back afterwards, into `r_after`. */
enum { FB = 2, FC = 20, FH = 9, FW = 10, FN = FB * FC * FH * FW, FWN = FC * FC * 9 };

static void
fused_conv (dd_backend *be, int in_place, const float *x_host, const float *r_host,
            const float *w_host, const float *b_host, float *out, float *r_after)
{
  char err[512] = "";
  dd_shape shape = {FB, FC, FH, FW};
  dd_layer x = {.name = "x", .op = DD_OP_INPUT, .out_shape = shape};
  dd_layer r = {.name = "r", .op = DD_OP_INPUT, .out_shape = shape};
  dd_layer c = {.name = "c", .op = DD_OP_CONV2D, .n_inputs = 1, .inputs = {&x},
    .out_shape = shape,
    .conv = {.out_channels = FC, .kh = 3, .kw = 3, .stride_h = 1, .stride_w = 1,
      .pad_h = 1, .pad_w = 1, .dilation_h = 1, .dilation_w = 1, .groups = 1,
      .has_bias = 1, .fuse_relu = 1, .fuse_add_input = &r}};
  const dd_backend_ops *ops = be->ops;
  int ok = ops->prepare (be, &x, 0, err, sizeof err) == 0
      && ops->prepare (be, &r, 0, err, sizeof err) == 0
      && ops->prepare (be, &c, 0, err, sizeof err) == 0;
  if (!ok)
    fprintf (stderr, "  %s: %s\n", ops->name, err);
  CHECK (ok);
  CHECK (!ok || !in_place || c.act_floats == r.act_floats);
  if (ok) {
    x.y = ops->alloc (be, x.act_floats);
    r.y = ops->alloc (be, r.act_floats);
    c.y = in_place ? r.y : ops->alloc (be, c.act_floats);
    c.weight = ops->alloc (be, FWN);
    c.bias = ops->alloc (be, FC);
    ops->upload (be, c.weight, w_host, FWN);
    ops->upload (be, c.bias, b_host, FC);
    ops->write_nchw (be, &x, x.y, x_host);
    ops->write_nchw (be, &r, r.y, r_host);
    ops->forward (be, &c, 0);
    ops->read_nchw (be, &c, c.y, out);
    ops->read_nchw (be, &r, r.y, r_after);
    float *bufs[] = {x.y, r.y, in_place ? NULL : c.y, c.weight, c.bias};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
      if (bufs[i])
        ops->free (be, bufs[i]);
  }
  ops->release (be, &c);
  ops->release (be, &r);
  ops->release (be, &x);
}

/* Every backend sums into its own memory or in place and gets the
 * reference's answer; in its own memory, the residual input stays. */
static void
test_fused_conv (void)
{
  static float x[FN], r[FN], w[FWN], b[FC], want[FN], got[FN], r_after[FN];
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  random_fill (&rng, x, FN, -1, 1);
  random_fill (&rng, r, FN, -2, 2);
  random_fill (&rng, w, FWN, -0.1f, 0.1f);
  random_fill (&rng, b, FC, -0.5f, 0.5f);
  dd_backend *ref = backend ("reference");
  if (!ref)
    return;
  fused_conv (ref, 0, x, r, w, b, want, r_after);
  dd_backend_free (ref);
  int positive = 0, negative = 0;
  for (size_t i = 0; i < FN; i++) {
    positive += want[i] > 0.1f;
    negative += want[i] == 0.0f;
  }
  /* Both sides of the ReLU are exercised. */
  CHECK (positive > FN / 4 && negative > FN / 4);
  for (size_t i = 0; dd_backend_name (i); i++) {
    dd_backend *be = backend (dd_backend_name (i));
    for (int in_place = 0; be && in_place < 2; in_place++) {
      fused_conv (be, in_place, x, r, w, b, got, r_after);
      double e = worst_error (got, want, FN);
      fprintf (stderr, "  %s, %s: worst error %.3g\n", be->ops->name,
               in_place ? "in place" : "own memory", e);
      CHECK (e < 1e-5);
      if (!in_place)
        CHECK (memcmp (r_after, r, sizeof r) == 0);
    }
    dd_backend_free (be);
  }
}

/* Everything one training step computes on `backend`, from the same
 * parameters, input and output gradients on every backend: the outputs of
 * the training forward, every parameter gradient and running statistic,
 * then the outputs of an eval forward in the same setup (running
 * statistics); `parts` arrays of host floats, each compared on its own. */
typedef struct step_results {
  int parts;
  float *part[256];
  size_t len[256];
  char name[256][DD_TENSOR_NAME_MAX];
} step_results;

static float *
keep (step_results *r, const char *name, size_t n)
{
  CHECK (r->parts < 256);
  r->len[r->parts] = n;
  snprintf (r->name[r->parts], sizeof r->name[0], "%s", name);
  return r->part[r->parts++] = malloc ((n ? n : 1) * sizeof (float));
}

static int
train_step (step_results *r, const char *preset, dd_backend *be, int batch, int size,
            const char *bn, int *bn_read)
{
  char err[512] = "";
  memset (r, 0, sizeof *r);
  dd_net *net = dd_net_load_preset (preset, err, sizeof err);
  if (!net || dd_net_setup (net, be, DD_NET_TRAIN, batch, size, size, err, sizeof err)) {
    fprintf (stderr, "  %s\n", err);
    dd_net_free (net);
    return -1;
  }
  randomize (net, 5);
  dd_rng rng;
  dd_rng_seed (&rng, 7, 0);
  size_t n_in = dd_shape_numel (dd_net_input_shape (net));
  float *x = malloc (n_in * sizeof *x);
  random_fill (&rng, x, n_in, -1, 1);
  dd_net_set_input (net, x);
  dd_net_forward (net, 1);
  dd_net_zero_grad (net);
  for (int o = 0; o < dd_net_n_outputs (net); o++) {
    const dd_layer *out = dd_net_output (net, o);
    size_t n = dd_shape_numel (out->out_shape);
    CHECK (dd_net_read (net, out->name, keep (r, out->name, n), err, sizeof err) == 0);
    float *g = malloc (n * sizeof *g);
    random_fill (&rng, g, n, -1, 1);
    CHECK (dd_net_set_grad (net, out->name, g, err, sizeof err) == 0);
    free (g);
  }
  dd_net_backward (net);
  dd_backend *nb = dd_net_backend (net);
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    float *v = keep (r, t->name, t->numel);
    if (t->grad)
      nb->ops->download (nb, v, t->grad, t->numel);
    else
      dd_net_read_tensor (net, t, v);
  }
  dd_net_forward (net, 0);
  for (int o = 0; o < dd_net_n_outputs (net); o++) {
    const dd_layer *out = dd_net_output (net, o);
    float *v = keep (r, out->name, dd_shape_numel (out->out_shape));
    CHECK (dd_net_read (net, out->name, v, err, sizeof err) == 0);
  }
  *bn_read = readable (net, bn);
  free (x);
  dd_net_free (net);
  return 0;
}

static void
free_results (step_results *r)
{
  for (int i = 0; i < r->parts; i++)
    free (r->part[i]);
}

/* The whole of tiny and small: outputs, every parameter gradient and
 * running statistic within 1e-4 of the reference's (each tensor against
 * its largest value); the batch norms' own outputs are gone where the
 * backend fused them. small runs at 64x64, where its last batch norm still
 * sees 4 values per channel: smaller sizes make the gradients through it
 * too ill-conditioned to compare any two backends at 1e-4. */
static void
test_train_bn_relu (void)
{
  const char *presets[] = {"tiny", "small"};
  const char *first_bn[] = {"backbone.stem.bn", "backbone.stem1.bn"};
  const int sizes[] = {64, 64}, batches[] = {2, 1};
  for (int p = 0; p < 2; p++) {
    dd_backend *ref = backend ("reference");
    step_results want, got;
    int bn_read = 0;
    if (!ref
        || train_step (&want, presets[p], ref, batches[p], sizes[p], first_bn[p], &bn_read)) {
      CHECK (0);
      dd_backend_free (ref);
      continue;
    }
    CHECK (bn_read);
    dd_backend_free (ref);
    for (size_t b = 1; dd_backend_name (b); b++) {
      dd_backend *be = backend (dd_backend_name (b));
      if (!be)
        continue;
      int fused = be->ops->fuses_bn_relu;
      if (!train_step (&got, presets[p], be, batches[p], sizes[p], first_bn[p], &bn_read)) {
        CHECK (got.parts == want.parts);
        double worst = 0;
        const char *where = "";
        for (int i = 0; i < want.parts && i < got.parts; i++) {
          double e = worst_error (got.part[i], want.part[i], want.len[i]);
          if (e > worst) {
            worst = e;
            where = want.name[i];
          }
        }
        fprintf (stderr, "  %s on %s%s: training step vs reference, worst error %.3g (%s)\n",
                 presets[p], be->ops->name, fused ? " (batch norm + ReLU fused)" : "", worst,
                 where);
        CHECK (worst < 1e-4);
        CHECK (bn_read == !fused);
        free_results (&got);
      }
      dd_backend_free (be);
    }
    free_results (&want);
  }
}

int
main (void)
{
  RUN_TEST (test_fused_conv);
  RUN_TEST (test_presets);
  RUN_TEST (test_residual_cases);
  RUN_TEST (test_train_bn_relu);
  return check_exit_status ();
}
