/* The detector on a hand-written network: its metadata and every check of
 * it, the prior on the heatmaps, the unit conversion of the regression
 * heads both ways, the whole loss gradient through the network against
 * finite differences, and model folders (JSON text, save, open, a weights
 * file that does not match). On the reference backend. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "model/detector.h"
#include "model/losses.h"
#include "model/model_dir.h"
#include "model/targets.h"
#include "nn/checkpoint.h"
#include "nn/rng.h"

/* input 3x16x16 -> stem conv k4 s4 -> 4x4x4 -> 1x1 heads. */
static const char mini_net[] =
  "{\"name\": \"mini\", \"input\": {\"channels\": 3, \"height\": 16, \"width\": 16},\n"
  " \"layers\": [\n"
  "  {\"name\": \"stem\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"out_channels\": 4,"
  "   \"kernel\": 4, \"stride\": 4},\n"
  "  {\"name\": \"relu\", \"op\": \"relu\", \"inputs\": [\"stem\"]},\n"
  "  {\"name\": \"center\", \"op\": \"conv2d\", \"inputs\": [\"relu\"], \"out_channels\": 1,"
  "   \"kernel\": 1},\n"
  "  {\"name\": \"center_p\", \"op\": \"sigmoid\", \"inputs\": [\"center\"]},\n"
  "  {\"name\": \"size\", \"op\": \"conv2d\", \"inputs\": [\"relu\"], \"out_channels\": 2,"
  "   \"kernel\": 1},\n"
  "  {\"name\": \"offset\", \"op\": \"conv2d\", \"inputs\": [\"relu\"], \"out_channels\": 2,"
  "   \"kernel\": 1},\n"
  "  {\"name\": \"kp\", \"op\": \"conv2d\", \"inputs\": [\"relu\"], \"out_channels\": 2,"
  "   \"kernel\": 1},\n"
  "  {\"name\": \"kp_p\", \"op\": \"sigmoid\", \"inputs\": [\"kp\"]},\n"
  "  {\"name\": \"kpo\", \"op\": \"conv2d\", \"inputs\": [\"relu\"], \"out_channels\": 4,"
  "   \"kernel\": 1}\n"
  " ],\n"
  " \"outputs\": [\"center_p\", \"size\", \"offset\", \"kp_p\", \"kpo\"],\n"
  " \"output_stride\": 4, \"classes\": [\"person\"], \"keypoints\": [\"left\", \"right\"],\n"
  " \"flip_pairs\": [[0, 1]], \"skeleton\": [[1, 2]],\n"
  " \"heads\": {\"center\": {\"output\": \"center_p\", \"logits\": \"center\"},\n"
  "   \"size\": {\"output\": \"size\"}, \"offset\": {\"output\": \"offset\"},\n"
  "   \"keypoint_heatmap\": {\"output\": \"kp_p\", \"logits\": \"kp\"},\n"
  "   \"keypoint_offset\": {\"output\": \"kpo\"}}}\n";

/* The mini network with `from` replaced by `to` (once). */
static dd_detector *
load_variant (const char *from, const char *to, char *err, size_t err_len)
{
  GString *s = g_string_new (mini_net);
  if (from)
    CHECK (g_string_replace (s, from, to, 1) == 1);
  err[0] = 0;
  dd_net *net = dd_net_parse (s->str, s->len, "mini.json", err, err_len);
  g_string_free (s, TRUE);
  return net ? dd_detector_new (net, "mini.json", err, err_len) : NULL;
}

static dd_backend *
reference (void)
{
  char err[256];
  dd_backend *be = dd_backend_new ("reference", err, sizeof err);
  if (!be)
    fprintf (stderr, "%s\n", err);
  return be;
}

static void
test_metadata (void)
{
  char err[512];
  dd_detector *det = load_variant (NULL, NULL, err, sizeof err);
  CHECK (det != NULL);
  if (!det)
    return;
  CHECK (det->stride == 4);
  CHECK (det->n_classes == 1 && strcmp (det->classes[0], "person") == 0);
  CHECK (det->n_keypoints == 2 && strcmp (det->keypoint_names[1], "right") == 0);
  CHECK (det->n_flip_pairs == 1 && det->flip_pairs[0][0] == 0 && det->flip_pairs[0][1] == 1);
  CHECK (det->n_skeleton == 1 && det->skeleton[0][1] == 2);
  CHECK (strcmp (det->head_layer[DD_HEAD_KEYPOINT_OFFSET], "kpo") == 0);
  dd_detector_free (det);
  /* The presets are detectors. */
  const char *presets[] = { "tiny", "small", "base" };
  for (int i = 0; i < 3; i++) {
    det = dd_detector_load (presets[i], err, sizeof err);
    CHECK (det != NULL && det->n_keypoints == 17 && det->n_flip_pairs == 8);
    dd_detector_free (det);
  }
}

static void
expect_error (const char *from, const char *to, const char *needle)
{
  char err[512];
  dd_detector *det = load_variant (from, to, err, sizeof err);
  CHECK (det == NULL);
  if (!strstr (err, needle)) {
    fprintf (stderr, "  '%s' -> '%s': expected '%s' in: %s\n", from, to, needle, err);
    CHECK (0);
  }
  dd_detector_free (det);
}

static void
test_metadata_errors (void)
{
  expect_error ("\"heads\"", "\"headz\"", "no \"heads\"");
  expect_error ("\"output\": \"size\"", "\"output\": \"sise\"", "'sise'");
  expect_error ("\"output\": \"center_p\"", "\"output\": \"center\"", "sigmoid");
  expect_error ("\"out_channels\": 4,   \"kernel\": 1}", "\"out_channels\": 6,   "
                "\"kernel\": 1}", "keypoint_offset");
  expect_error ("\"size\": {\"output\": \"size\"}, ", "", "\"size\"");
  expect_error ("[[0, 1]]", "[[0, 2]]", "flip_pairs");
  expect_error ("[[0, 1]]", "[[0, 1], [1, 0]]", "reuses");
  expect_error ("\"output_stride\": 4", "\"output_stride\": 0", "output_stride");
  expect_error ("[\"person\"]", "[]", "classes");
  expect_error ("[[1, 2]]", "[[1, 3]]", "skeleton");
  /* Shapes are checked at setup. */
  char err[512];
  dd_backend *be = reference ();
  dd_detector *det = load_variant ("\"output_stride\": 4", "\"output_stride\": 2", err,
                                   sizeof err);
  CHECK (det != NULL);
  CHECK (dd_detector_setup (det, be, DD_NET_TRAIN, 1, 16, 16, err, sizeof err) == -1);
  CHECK (strstr (err, "output_stride 2") != NULL);
  dd_detector_free (det);
  det = load_variant (NULL, NULL, err, sizeof err);
  CHECK (dd_detector_setup (det, be, DD_NET_TRAIN, 1, 18, 16, err, sizeof err) == -1);
  CHECK (strstr (err, "multiple") != NULL);
  dd_detector_free (det);
  dd_backend_free (be);
}

static void
random_input (float *x, size_t n, uint64_t seed)
{
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  for (size_t i = 0; i < n; i++)
    x[i] = dd_rng_normal (&rng);
}

static void
test_units_and_prior (void)
{
  char err[512];
  dd_backend *be = reference ();
  dd_detector *det = load_variant (NULL, NULL, err, sizeof err);
  CHECK (dd_detector_setup (det, be, DD_NET_TRAIN, 2, 16, 16, err, sizeof err) == 0);
  CHECK (dd_detector_init_weights (det, 5, err, sizeof err) == 0);
  float bias[2];
  dd_net_read_tensor (det->net, dd_net_find_tensor (det->net, "kp.bias"), bias);
  CHECK_CLOSE (bias[0], -log (9.0), 1e-6, 0);
  CHECK_CLOSE (bias[1], -log (9.0), 1e-6, 0);
  float input[2 * 3 * 16 * 16];
  random_input (input, G_N_ELEMENTS (input), 1);
  CHECK (dd_detector_forward (det, input, 1, err, sizeof err) == 0);
  dd_head_batch *maps = dd_detector_maps (det);
  CHECK (maps->n == 2 && maps->maps[1].h == 4 && maps->maps[1].w == 4);
  float raw[2 * 4 * 16];
  dd_net_read (det->net, "kpo", raw, err, sizeof err);
  for (int i = 0; i < 2 * 4 * 16; i++)
    CHECK (maps->maps[0].keypoint_offset[i] == 4.0f * raw[i]);
  dd_net_read (det->net, "offset", raw, err, sizeof err);
  for (int i = 0; i < 2 * 2 * 16; i++)
    CHECK (maps->maps[0].offset[i] == raw[i]);
  for (int i = 0; i < 2 * 16; i++)
    CHECK (maps->maps[0].center[i] > 0.0f && maps->maps[0].center[i] < 1.0f);
  /* Gradients go back multiplied by the same factor. */
  dd_head_batch *grad = dd_head_batch_new (2, 4, 4, 4, 1, 2);
  random_input (grad->block, grad->n_floats, 2);
  CHECK (dd_detector_backward (det, grad, err, sizeof err) == 0);
  dd_net_read_grad (det->net, "size", raw, err, sizeof err);
  for (int i = 0; i < 2 * 2 * 16; i++)
    CHECK (raw[i] == 4.0f * grad->maps[0].size[i]);
  dd_net_read_grad (det->net, "center_p", raw, err, sizeof err);
  for (int i = 0; i < 2 * 16; i++)
    CHECK (raw[i] == grad->maps[0].center[i]);
  dd_head_batch_free (grad);
  dd_detector_free (det);
  dd_backend_free (be);
}

typedef struct {
  dd_detector *det;
  const float *input;
  dd_targets *targets;
  dd_loss_weights w;
  dd_head_batch *grad;
} loss_case;

static double
total_loss (loss_case *c)
{
  char err[256];
  dd_loss_parts parts;
  dd_detector_forward (c->det, c->input, 1, err, sizeof err);
  dd_detector_loss (dd_detector_maps (c->det), c->targets, &c->w, c->grad, &parts);
  return parts.total;
}

/* d(loss)/d(tensor) from the last backward against central differences,
 * at every seventh element. */
static void
check_tensor_gradient (loss_case *c, const char *name)
{
  dd_net *net = c->det->net;
  const dd_net_tensor *t = dd_net_find_tensor (net, name);
  float *value = g_new (float, t->numel), *grad = g_new (float, t->numel);
  dd_net_read_tensor (net, t, value);
  dd_backend *be = dd_net_backend (net);
  be->ops->download (be, grad, t->grad, t->numel);
  for (size_t j = 0; j < t->numel; j += 7) {
    float saved = value[j], h = 1e-3f;
    value[j] = saved + h;
    dd_net_write_tensor (net, t, value);
    double up = total_loss (c);
    value[j] = saved - h;
    dd_net_write_tensor (net, t, value);
    double down = total_loss (c);
    value[j] = saved;
    dd_net_write_tensor (net, t, value);
    double numeric = (up - down) / (2.0 * h);
    if (fabs (grad[j] - numeric) > 2e-3 + 2e-2 * fabs (numeric))
      fprintf (stderr, "  %s[%zu]: analytic %g, numeric %g\n", name, j, grad[j], numeric);
    CHECK_CLOSE (grad[j], numeric, 2e-2, 2e-3);
  }
  g_free (value);
  g_free (grad);
}

/* The gradient of the detector's loss with respect to parameters of every
 * head and of the layer they share. */
static void
test_loss_gradient_through_network (void)
{
  char err[512];
  dd_backend *be = reference ();
  dd_detector *det = load_variant (NULL, NULL, err, sizeof err);
  dd_detector_setup (det, be, DD_NET_TRAIN, 2, 16, 16, err, sizeof err);
  dd_detector_init_weights (det, 3, err, sizeof err);
  float input[2 * 3 * 16 * 16];
  /* With these seeds every stem output is at least 0.018 from the ReLU's
   * kink, farther than a step of the differences moves it. */
  random_input (input, G_N_ELEMENTS (input), 12);
  loss_case c = {
    .det = det, .input = input, .targets = dd_targets_new (2, 4, 4, 4, 1, 2),
    .grad = dd_head_batch_new (2, 4, 4, 4, 1, 2),
  };
  dd_loss_weights_defaults (&c.w, 4);
  float kp0[6] = { 3.0f, 5.0f, 2.0f, 9.0f, 6.0f, 2.0f };
  float kp1[6] = { 12.0f, 13.0f, 2.0f, 0.0f, 0.0f, 0.0f };
  dd_coco_annotation a[2] = {
    { .bbox = { 1.0, 2.0, 9.0, 7.0 }, .n_keypoints = 2, .keypoints = kp0 },
    { .bbox = { 9.0, 10.0, 6.0, 5.0 }, .n_keypoints = 2, .keypoints = kp1 },
  };
  int cls[2] = { 0, 0 };
  dd_targets_encode (c.targets, 0, &a[0], cls, 1);
  dd_targets_encode (c.targets, 1, a, cls, 2);
  total_loss (&c);
  dd_detector_backward (det, c.grad, err, sizeof err);
  const char *names[] = { "center.bias", "size.weight", "offset.bias", "kp.weight",
                          "kpo.bias", "stem.weight" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    check_tensor_gradient (&c, names[i]);
  dd_targets_free (c.targets);
  dd_head_batch_free (c.grad);
  dd_detector_free (det);
  dd_backend_free (be);
}

static void
test_model_dir (void)
{
  char err[512];
  g_autofree char *dir = g_dir_make_tmp ("ddmodel-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir, "ckpt.safetensors", NULL);
  dd_backend *be = reference ();
  dd_detector *det = load_variant (NULL, NULL, err, sizeof err);
  dd_detector_setup (det, be, DD_NET_TRAIN, 1, 16, 16, err, sizeof err);
  dd_detector_init_weights (det, 9, err, sizeof err);
  /* The JSON text parses back to the same network at the new size. */
  char *text = dd_model_json_text (det, 32, 24);
  CHECK (text && strstr (text, "\"height\": 32") && strstr (text, "\"width\": 24"));
  dd_net *copy = dd_net_parse (text, strlen (text), "copy", err, sizeof err);
  CHECK (copy != NULL);
  int h, w;
  dd_net_default_size (copy, &h, &w);
  CHECK (h == 32 && w == 24);
  CHECK (dd_net_n_layers (copy) == dd_net_n_layers (det->net));
  dd_net_free (copy);
  free (text);
  /* Saved and opened again: the same maps. */
  CHECK (dd_checkpoint_save (det->net, ckpt, err, sizeof err) == 0);
  CHECK (dd_model_dir_save (det, ckpt, dir, 16, 16, err, sizeof err) == 0);
  float input[3 * 16 * 16];
  random_input (input, G_N_ELEMENTS (input), 6);
  dd_detector_setup (det, be, DD_NET_EVAL, 1, 16, 16, err, sizeof err);
  dd_detector_forward (det, input, 0, err, sizeof err);
  dd_detector *opened = dd_model_dir_open (dir, be, 1, err, sizeof err);
  CHECK (opened != NULL);
  if (opened) {
    dd_detector_forward (opened, input, 0, err, sizeof err);
    const dd_head_batch *a = dd_detector_maps (det), *b = dd_detector_maps (opened);
    for (size_t i = 0; i < a->n_floats; i++)
      CHECK_CLOSE (b->block[i], a->block[i], 1e-5, 1e-6);
  }
  dd_detector_free (opened);
  /* The weights file carries no optimizer state. */
  g_autofree char *weights = g_build_filename (dir, DD_MODEL_WEIGHTS, NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  CHECK (g_file_get_contents (weights, &bytes, &len, NULL));
  CHECK (bytes && !g_strstr_len (bytes, (gssize) MIN (len, 4096), "optimizer."));
  /* A model.json that no longer matches its weights is refused, naming
   * the tensor. */
  g_autofree char *json = g_build_filename (dir, DD_MODEL_JSON, NULL);
  g_autofree char *json_text = NULL;
  g_file_get_contents (json, &json_text, NULL, NULL);
  GString *s = g_string_new (json_text);
  g_string_replace (s, "\"out_channels\": 4", "\"out_channels\": 5", 1);
  g_file_set_contents (json, s->str, -1, NULL);
  g_string_free (s, TRUE);
  CHECK (dd_model_dir_open (dir, be, 1, err, sizeof err) == NULL);
  CHECK (strstr (err, "stem.weight") != NULL);
  g_remove (json);
  CHECK (dd_model_dir_open (dir, be, 1, err, sizeof err) == NULL);
  CHECK (strstr (err, "model.json") != NULL);
  g_remove (weights);
  g_remove (ckpt);
  g_rmdir (dir);
  dd_detector_free (det);
  dd_backend_free (be);
}

int
main (void)
{
  RUN_TEST (test_metadata);
  RUN_TEST (test_metadata_errors);
  RUN_TEST (test_units_and_prior);
  RUN_TEST (test_loss_gradient_through_network);
  RUN_TEST (test_model_dir);
  return check_exit_status ();
}
