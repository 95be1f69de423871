#include "model/detector.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"

const char *const dd_head_names[DD_N_HEADS] = {
  "center", "size", "offset", "keypoint_heatmap", "keypoint_offset",
};

const uint8_t dd_detector_fill[3] = { 124, 116, 104 };

static const float input_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float input_std[3] = { 0.229f, 0.224f, 0.225f };

/* CenterNet's heatmap prior: every cell starts at p = 0.1. */
#define HEATMAP_PRIOR 0.1

static int
fail (char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format (printf, 3, 4)));

static int
fail (char *err, size_t err_len, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err, err_len, fmt, ap);
  va_end (ap);
  return -1;
}

static char **
string_list (const dd_json *v, int *n, const char *origin, const char *key, char *err,
             size_t err_len)
{
  *n = 0;
  if (!v || v->type != DD_JSON_ARRAY) {
    fail (err, err_len, "%s: \"%s\" must be an array of names", origin, key);
    return NULL;
  }
  char **names = calloc (v->n + 1, sizeof *names);
  for (size_t i = 0; names && i < v->n; i++) {
    if (v->items[i]->type != DD_JSON_STRING || v->items[i]->len == 0) {
      fail (err, err_len, "%s: \"%s\"[%zu] must be a non-empty string", origin, key, i);
      for (size_t j = 0; j < i; j++)
        free (names[j]);
      free (names);
      return NULL;
    }
    names[i] = strdup (v->items[i]->str);
  }
  *n = (int) v->n;
  return names;
}

/* An array of [a, b] integer pairs, each in [lo, hi]; an absent key is an
 * empty list. */
static int
pair_list (const dd_json *v, int lo, int hi, int (**out)[2], int *n, const char *origin,
           const char *key, char *err, size_t err_len)
{
  *out = NULL;
  *n = 0;
  if (!v)
    return 0;
  if (v->type != DD_JSON_ARRAY)
    return fail (err, err_len, "%s: \"%s\" must be an array of [a, b] pairs", origin, key);
  *out = calloc (v->n + 1, sizeof **out);
  for (size_t i = 0; *out && i < v->n; i++) {
    const dd_json *p = v->items[i];
    long long a, b;
    if (p->type != DD_JSON_ARRAY || p->n != 2 || dd_json_int (p->items[0], lo, hi, &a)
        || dd_json_int (p->items[1], lo, hi, &b) || a == b) {
      free (*out);
      *out = NULL;
      return fail (err, err_len, "%s: \"%s\"[%zu] must be a pair of two different "
                   "integers in [%d, %d]", origin, key, i, lo, hi);
    }
    (*out)[i][0] = (int) a;
    (*out)[i][1] = (int) b;
  }
  *n = (int) v->n;
  return 0;
}

/* Checks one head's entry and returns its output layer name. */
static const char *
check_head (dd_detector *det, const dd_json *heads, int h, int channels, char *err,
            size_t err_len)
{
  const char *name = dd_head_names[h];
  const dd_json *head = dd_json_get (heads, name);
  const dd_json *output = dd_json_get (head, "output");
  if (!head || !output || output->type != DD_JSON_STRING) {
    fail (err, err_len, "%s: \"heads\" has no \"%s\" with an \"output\" layer name; a "
          "detector needs center, size, offset (and keypoint_heatmap, keypoint_offset "
          "when it has keypoints)", det->origin, name);
    return NULL;
  }
  dd_layer *l = dd_net_find (det->net, output->str);
  if (!l) {
    fail (err, err_len, "%s: heads.%s.output names layer '%s', which the network does "
          "not have", det->origin, name, output->str);
    return NULL;
  }
  int is_heatmap = h == DD_HEAD_CENTER || h == DD_HEAD_KEYPOINT_HEATMAP;
  if (is_heatmap && l->op != DD_OP_SIGMOID) {
    fail (err, err_len, "%s: heads.%s.output '%s' is a %s layer; the heatmap losses "
          "need probabilities, so it must be a sigmoid", det->origin, name, l->name,
          dd_op_name (l->op));
    return NULL;
  }
  /* Channels are known once shapes are: compare the layer feeding the
   * output (a conv) when there is one, else the output itself at setup. */
  const dd_layer *conv = is_heatmap ? l->inputs[0] : l;
  if (conv->op == DD_OP_CONV2D && conv->conv.out_channels != channels) {
    fail (err, err_len, "%s: heads.%s ('%s') has %d channels, but the detector's "
          "metadata needs %d", det->origin, name, l->name, conv->conv.out_channels,
          channels);
    return NULL;
  }
  return l->name;
}

static int
read_metadata (dd_detector *det, char *err, size_t err_len)
{
  const dd_json *json = dd_net_json (det->net);
  long long stride;
  if (dd_json_int (dd_json_get (json, "output_stride"), 1, 64, &stride))
    return fail (err, err_len, "%s: \"output_stride\" must be an integer from 1 to 64 "
                 "(input pixels per heatmap cell)", det->origin);
  det->stride = (int) stride;
  det->classes = string_list (dd_json_get (json, "classes"), &det->n_classes,
                              det->origin, "classes", err, err_len);
  if (!det->classes)
    return -1;
  if (det->n_classes < 1)
    return fail (err, err_len, "%s: \"classes\" is empty; a detector has at least one",
                 det->origin);
  const dd_json *kp = dd_json_get (json, "keypoints");
  if (kp) {
    det->keypoint_names = string_list (kp, &det->n_keypoints, det->origin, "keypoints",
                                       err, err_len);
    if (!det->keypoint_names)
      return -1;
  }
  if (det->n_keypoints > DD_MAX_KEYPOINTS)
    return fail (err, err_len, "%s: %d keypoints; at most %d are supported", det->origin,
                 det->n_keypoints, DD_MAX_KEYPOINTS);
  int last = det->n_keypoints - 1;
  if (pair_list (dd_json_get (json, "flip_pairs"), 0, last, &det->flip_pairs,
                 &det->n_flip_pairs, det->origin, "flip_pairs", err, err_len)
      || pair_list (dd_json_get (json, "skeleton"), 1, last + 1, &det->skeleton,
                    &det->n_skeleton, det->origin, "skeleton", err, err_len))
    return -1;
  char *used = calloc ((size_t) det->n_keypoints + 1, 1);
  for (int i = 0; used && i < det->n_flip_pairs; i++) {
    int a = det->flip_pairs[i][0], b = det->flip_pairs[i][1];
    if (used[a] || used[b]) {
      free (used);
      return fail (err, err_len, "%s: flip_pairs[%d] reuses a keypoint of an earlier "
                   "pair; each keypoint has at most one mirror partner", det->origin, i);
    }
    used[a] = used[b] = 1;
  }
  free (used);
  const dd_json *heads = dd_json_get (json, "heads");
  if (!heads || heads->type != DD_JSON_OBJECT)
    return fail (err, err_len, "%s: no \"heads\" object: this network file has no "
                 "detector metadata", det->origin);
  int channels[DD_N_HEADS] = {
    det->n_classes, 2, 2, det->n_keypoints, 2 * det->n_keypoints,
  };
  int n_heads = det->n_keypoints > 0 ? DD_N_HEADS : DD_HEAD_KEYPOINT_HEATMAP;
  for (int h = 0; h < n_heads; h++) {
    det->head_layer[h] = check_head (det, heads, h, channels[h], err, err_len);
    if (!det->head_layer[h])
      return -1;
  }
  return 0;
}

dd_detector *
dd_detector_new (dd_net *net, const char *origin, char *err, size_t err_len)
{
  dd_detector *det = calloc (1, sizeof *det);
  if (!det) {
    dd_net_free (net);
    fail (err, err_len, "%s: out of memory", origin);
    return NULL;
  }
  det->net = net;
  det->origin = strdup (origin);
  if (!det->origin || read_metadata (det, err, err_len)) {
    dd_detector_free (det);
    return NULL;
  }
  return det;
}

dd_detector *
dd_detector_load (const char *name_or_path, char *err, size_t err_len)
{
  dd_net *net = dd_net_load_preset (name_or_path, err, err_len);
  return net ? dd_detector_new (net, name_or_path, err, err_len) : NULL;
}

static void
free_strings (char **s, int n)
{
  for (int i = 0; s && i < n; i++)
    free (s[i]);
  free (s);
}

void
dd_detector_free (dd_detector *det)
{
  if (!det)
    return;
  dd_net_free (det->net);
  free (det->origin);
  free_strings (det->classes, det->n_classes);
  free_strings (det->keypoint_names, det->n_keypoints);
  free (det->flip_pairs);
  free (det->skeleton);
  dd_head_batch_free (det->maps);
  dd_head_batch_free (det->staging);
  free (det);
}

int
dd_detector_setup (dd_detector *det, dd_backend *be, dd_net_mode mode, int batch,
                   int height, int width, char *err, size_t err_len)
{
  if (height % det->stride || width % det->stride)
    return fail (err, err_len, "%s: input %dx%d is not a multiple of the output stride "
                 "%d", det->origin, width, height, det->stride);
  if (dd_net_setup (det->net, be, mode, batch, height, width, err, err_len))
    return -1;
  int h = height / det->stride, w = width / det->stride;
  int channels[DD_N_HEADS] = {
    det->n_classes, 2, 2, det->n_keypoints, 2 * det->n_keypoints,
  };
  for (int i = 0; i < DD_N_HEADS; i++) {
    if (!det->head_layer[i])
      continue;
    dd_shape s = dd_net_find (det->net, det->head_layer[i])->out_shape;
    if (s.c != channels[i] || s.h != h || s.w != w)
      return fail (err, err_len, "%s: at input %dx%d head %s ('%s') is %dx%dx%d; with "
                   "output_stride %d it must be %dx%dx%d (channels x height x width)",
                   det->origin, width, height, dd_head_names[i], det->head_layer[i],
                   s.c, s.h, s.w, det->stride, channels[i], h, w);
  }
  dd_head_batch_free (det->maps);
  dd_head_batch_free (det->staging);
  det->maps = dd_head_batch_new (batch, h, w, det->stride, det->n_classes,
                                 det->n_keypoints);
  det->staging = dd_head_batch_new (batch, h, w, det->stride, det->n_classes,
                                    det->n_keypoints);
  if (!det->maps || !det->staging)
    return fail (err, err_len, "%s: out of memory for the head maps of %d images",
                 det->origin, batch);
  return 0;
}

static int
set_prior_bias (dd_detector *det, dd_head h, char *err, size_t err_len)
{
  const dd_json *head = dd_json_get (dd_json_get (dd_net_json (det->net), "heads"),
                                     dd_head_names[h]);
  const dd_json *logits = dd_json_get (head, "logits");
  const char *conv = logits && logits->type == DD_JSON_STRING
      ? logits->str : dd_net_find (det->net, det->head_layer[h])->inputs[0]->name;
  char name[DD_TENSOR_NAME_MAX];
  snprintf (name, sizeof name, "%s.bias", conv);
  const dd_net_tensor *t = dd_net_find_tensor (det->net, name);
  if (!t)
    return fail (err, err_len, "%s: the %s head's last layer '%s' has no bias to set "
                 "the heatmap prior on", det->origin, dd_head_names[h], conv);
  float *bias = malloc (t->numel * sizeof *bias);
  if (!bias)
    return fail (err, err_len, "%s: out of memory", det->origin);
  for (size_t i = 0; i < t->numel; i++)
    bias[i] = (float) -log ((1.0 - HEATMAP_PRIOR) / HEATMAP_PRIOR);
  dd_net_write_tensor (det->net, t, bias);
  free (bias);
  return 0;
}

int
dd_detector_init_weights (dd_detector *det, uint64_t seed, char *err, size_t err_len)
{
  if (dd_net_init_params (det->net, seed))
    return fail (err, err_len, "%s: out of memory initialising the weights", det->origin);
  if (set_prior_bias (det, DD_HEAD_CENTER, err, err_len))
    return -1;
  if (det->n_keypoints > 0 && set_prior_bias (det, DD_HEAD_KEYPOINT_HEATMAP, err, err_len))
    return -1;
  return 0;
}

int
dd_detector_load_weights (dd_detector *det, const char *path, char *err, size_t err_len)
{
  return dd_checkpoint_load (det->net, path, err, err_len);
}

void
dd_detector_image_to_input (const dd_image *img, float *chw)
{
  dd_image_to_chw (img, input_mean, input_std, chw);
}

/* The head planes a block of `n` images holds, and the factor between the
 * network's units and the maps' (detector.h). */
static float *
head_block (const dd_head_batch *b, int h)
{
  dd_head_maps *m = &b->maps[0];
  float *blocks[DD_N_HEADS] = {
    m->center, m->size, m->offset, m->keypoint_heatmap, m->keypoint_offset,
  };
  return blocks[h];
}

static float
head_scale (const dd_detector *det, int h)
{
  return h == DD_HEAD_SIZE || h == DD_HEAD_KEYPOINT_OFFSET ? (float) det->stride : 1.0f;
}

int
dd_detector_forward (dd_detector *det, const float *input, int training, char *err,
                     size_t err_len)
{
  dd_net_set_input (det->net, input);
  dd_net_forward (det->net, training);
  for (int h = 0; h < DD_N_HEADS; h++) {
    if (!det->head_layer[h])
      continue;
    float *block = head_block (det->maps, h);
    if (dd_net_read (det->net, det->head_layer[h], block, err, err_len))
      return -1;
    float scale = head_scale (det, h);
    size_t n = dd_shape_numel (dd_net_find (det->net, det->head_layer[h])->out_shape);
    for (size_t i = 0; scale != 1.0f && i < n; i++)
      block[i] *= scale;
  }
  return 0;
}

dd_head_batch *
dd_detector_maps (dd_detector *det)
{
  return det->maps;
}

int
dd_detector_backward (dd_detector *det, const dd_head_batch *grad, char *err,
                      size_t err_len)
{
  dd_net_zero_grad (det->net);
  for (int h = 0; h < DD_N_HEADS; h++) {
    if (!det->head_layer[h])
      continue;
    const float *src = head_block (grad, h);
    float *dst = head_block (det->staging, h);
    float scale = head_scale (det, h);
    size_t n = dd_shape_numel (dd_net_find (det->net, det->head_layer[h])->out_shape);
    /* maps = scale * output, so d/d(output) = scale * d/d(maps). */
    for (size_t i = 0; i < n; i++)
      dst[i] = scale * src[i];
    if (dd_net_set_grad (det->net, det->head_layer[h], dst, err, err_len))
      return -1;
  }
  dd_net_backward (det->net);
  return 0;
}
