/* Reading a network JSON file (docs/network-format.md) into a dd_net: the
 * layers, their attributes and inputs, the outputs, the shapes at the
 * file's image size, and the table of parameter tensors. Every fault is
 * reported with the file and, where there is one, the layer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net_private.h"

typedef struct loader {
  dd_net *net;
  char *err;
  size_t err_len;
} loader;

static int
fail (loader *ld, const char *layer, const char *fmt, ...)
    __attribute__((format (printf, 3, 4)));

static int
fail (loader *ld, const char *layer, const char *fmt, ...)
{
  char what[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  if (layer)
    snprintf (ld->err, ld->err_len, "%s: layer '%s': %s", ld->net->origin, layer, what);
  else
    snprintf (ld->err, ld->err_len, "%s: %s", ld->net->origin, what);
  return -1;
}

typedef struct op_info {
  const char *name;
  dd_op op;
  int min_inputs, max_inputs;
  const char *const *attrs;     /* keys besides name, op, inputs; NULL-terminated */
} op_info;

static const char *const conv_attrs[] = {
  "out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias", NULL
};
static const char *const bn_attrs[] = {"eps", "momentum", NULL};
static const char *const pool_attrs[] = {"kernel", "stride", "padding", NULL};
static const char *const no_attrs[] = {NULL};

static const op_info ops[] = {
  {"conv2d", DD_OP_CONV2D, 1, 1, conv_attrs},
  {"batchnorm", DD_OP_BATCHNORM, 1, 1, bn_attrs},
  {"relu", DD_OP_RELU, 1, 1, no_attrs},
  {"maxpool", DD_OP_MAXPOOL, 1, 1, pool_attrs},
  {"upsample_nearest", DD_OP_UPSAMPLE_NEAREST, 1, 1, no_attrs},
  {"upsample_bilinear", DD_OP_UPSAMPLE_BILINEAR, 1, 1, no_attrs},
  {"concat", DD_OP_CONCAT, 2, DD_LAYER_MAX_INPUTS, no_attrs},
  {"add", DD_OP_ADD, 2, DD_LAYER_MAX_INPUTS, no_attrs},
  {"sigmoid", DD_OP_SIGMOID, 1, 1, no_attrs},
};

static const op_info *
find_op (const char *name)
{
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp (ops[i].name, name) == 0)
      return &ops[i];
  return NULL;
}

static void
list_names (char *out, size_t out_len, const char *const *names, size_t n)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && names[i] && used < out_len; i++)
    used += (size_t) snprintf (out + used, out_len - used, "%s%s", i ? ", " : "", names[i]);
}

static int
check_keys (loader *ld, const char *layer, const dd_json *obj, const op_info *info)
{
  for (size_t i = 0; i < obj->n; i++) {
    const char *key = obj->keys[i];
    int known = !strcmp (key, "name") || !strcmp (key, "op") || !strcmp (key, "inputs");
    for (const char *const *a = info->attrs; *a && !known; a++)
      known = !strcmp (key, *a);
    if (!known) {
      char names[256];
      list_names (names, sizeof names, info->attrs, 16);
      return fail (ld, layer, "unknown attribute '%s' for %s (known: %s)", key,
                   info->name, names[0] ? names : "none");
    }
  }
  return 0;
}

/* An integer attribute in [lo, hi]; `*out` keeps its default when absent. */
static int
int_attr (loader *ld, const char *layer, const dd_json *obj, const char *key,
          int required, long long lo, long long hi, int *out)
{
  const dd_json *v = dd_json_get (obj, key);
  long long x;
  if (!v) {
    if (required)
      return fail (ld, layer, "attribute '%s' is missing", key);
    return 0;
  }
  if (dd_json_int (v, lo, hi, &x) != 0)
    return fail (ld, layer, "attribute '%s' (line %d) must be an integer in [%lld, %lld]",
                 key, v->line, lo, hi);
  *out = (int) x;
  return 0;
}

/* An attribute that is an integer or an [h, w] pair of integers. */
static int
pair_attr (loader *ld, const char *layer, const dd_json *obj, const char *key,
           int required, long long lo, long long hi, int *h, int *w)
{
  const dd_json *v = dd_json_get (obj, key);
  long long a, b;
  if (!v) {
    if (required)
      return fail (ld, layer, "attribute '%s' is missing", key);
    return 0;
  }
  if (dd_json_int (v, lo, hi, &a) == 0) {
    *h = *w = (int) a;
    return 0;
  }
  if (v->type == DD_JSON_ARRAY && v->n == 2 && dd_json_int (v->items[0], lo, hi, &a) == 0
      && dd_json_int (v->items[1], lo, hi, &b) == 0) {
    *h = (int) a;
    *w = (int) b;
    return 0;
  }
  return fail (ld, layer, "attribute '%s' (line %d) must be an integer or [h, w] in [%lld, %lld]",
               key, v->line, lo, hi);
}

static int
float_attr (loader *ld, const char *layer, const dd_json *obj, const char *key,
            double lo, double hi, int lo_open, float *out)
{
  const dd_json *v = dd_json_get (obj, key);
  if (!v)
    return 0;
  if (v->type != DD_JSON_NUMBER || v->number > hi || v->number < lo
      || (lo_open && v->number == lo))
    return fail (ld, layer, "attribute '%s' (line %d) must be a number in %c%g, %g]",
                 key, v->line, lo_open ? '(' : '[', lo, hi);
  *out = (float) v->number;
  return 0;
}

static int
parse_conv (loader *ld, dd_layer *l, const dd_json *obj)
{
  dd_conv_attr *c = &l->conv;
  const dd_json *bias = dd_json_get (obj, "bias");
  *c = (dd_conv_attr) {.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                       .groups = 1, .has_bias = 1};
  if (int_attr (ld, l->name, obj, "out_channels", 1, 1, 1 << 16, &c->out_channels)
      || pair_attr (ld, l->name, obj, "kernel", 1, 1, 64, &c->kh, &c->kw)
      || pair_attr (ld, l->name, obj, "stride", 0, 1, 64, &c->stride_h, &c->stride_w)
      || pair_attr (ld, l->name, obj, "padding", 0, 0, 64, &c->pad_h, &c->pad_w)
      || pair_attr (ld, l->name, obj, "dilation", 0, 1, 64, &c->dilation_h, &c->dilation_w)
      || int_attr (ld, l->name, obj, "groups", 0, 1, 1 << 16, &c->groups))
    return -1;
  if (bias && bias->type != DD_JSON_BOOL)
    return fail (ld, l->name, "attribute 'bias' (line %d) must be true or false", bias->line);
  if (bias)
    c->has_bias = bias->boolean;
  if (c->out_channels % c->groups != 0)
    return fail (ld, l->name, "out_channels %d is not a multiple of groups %d",
                 c->out_channels, c->groups);
  return 0;
}

static int
parse_pool (loader *ld, dd_layer *l, const dd_json *obj)
{
  dd_pool_attr *p = &l->pool;
  int kh = 0, kw = 0, sh = 0, sw = 0, ph = 0, pw = 0;
  if (pair_attr (ld, l->name, obj, "kernel", 1, 1, 64, &kh, &kw))
    return -1;
  sh = sw = kh;                 /* PyTorch's default stride is the kernel */
  if (pair_attr (ld, l->name, obj, "stride", 0, 1, 64, &sh, &sw)
      || pair_attr (ld, l->name, obj, "padding", 0, 0, 32, &ph, &pw))
    return -1;
  if (kh != kw || sh != sw || ph != pw)
    return fail (ld, l->name, "maxpool windows are square: kernel, stride and padding "
                 "need the same height and width");
  if (2 * ph > kh)
    return fail (ld, l->name, "padding %d is more than half the kernel %d", ph, kh);
  *p = (dd_pool_attr) {.k = kh, .stride = sh, .pad = ph};
  return 0;
}

static int
parse_attrs (loader *ld, dd_layer *l, const dd_json *obj)
{
  switch (l->op) {
    case DD_OP_CONV2D:
      return parse_conv (ld, l, obj);
    case DD_OP_BATCHNORM:
      l->bn = (dd_bn_attr) {.eps = 1e-5f, .momentum = 0.1f};
      return float_attr (ld, l->name, obj, "eps", 0, 1, 1, &l->bn.eps)
          || float_attr (ld, l->name, obj, "momentum", 0, 1, 0, &l->bn.momentum) ? -1 : 0;
    case DD_OP_MAXPOOL:
      return parse_pool (ld, l, obj);
    default:
      return 0;
  }
}

/* Layer names become PyTorch module paths: dot-separated segments of
 * letters, digits and '_'. */
static int
check_name (loader *ld, const char *name, size_t len, int index)
{
  if (len == 0 || len >= DD_NAME_MAX)
    return fail (ld, NULL, "layer %d: name must have 1 to %d characters", index, DD_NAME_MAX - 1);
  int segment = 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (c == '.') {
      if (!segment)
        break;
      segment = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '_') {
      segment++;
    } else {
      return fail (ld, NULL, "layer %d: name '%.*s' may hold only letters, digits, '_' "
                   "and '.' between them", index, (int) len, name);
    }
  }
  if (!segment)
    return fail (ld, NULL, "layer %d: name '%s' has an empty segment between dots",
                 index, name);
  if (strcmp (name, "input") == 0)
    return fail (ld, NULL, "layer %d: 'input' is the network's image input; "
                 "choose another name", index);
  return 0;
}

static int
find_layer_index (const dd_net *net, const char *name, int limit)
{
  for (int i = 0; i < limit; i++)
    if (strcmp (net->layers[i].name, name) == 0)
      return i;
  return -1;
}

/* Names are unique, and no name is the module path of another's parent
 * (PyTorch could not build "a" as a leaf and "a.b" inside it). */
static int
check_unique (loader *ld, int index)
{
  const char *name = ld->net->layers[index].name;
  size_t len = strlen (name);
  for (int j = 1; j < index; j++) {
    const char *other = ld->net->layers[j].name;
    size_t olen = strlen (other);
    if (strcmp (name, other) == 0)
      return fail (ld, name, "duplicate name (also layer %d)", j);
    if ((olen < len && strncmp (name, other, olen) == 0 && name[olen] == '.')
        || (len < olen && strncmp (name, other, len) == 0 && other[len] == '.'))
      return fail (ld, name, "name clashes with layer '%s': one would be a module inside "
                   "the other; rename one", other);
  }
  return 0;
}

static int
parse_inputs (loader *ld, dd_layer *l, int index, const dd_json *obj,
              const dd_json *all_layers, const op_info *info)
{
  const dd_json *inputs = dd_json_get (obj, "inputs");
  if (!inputs || inputs->type != DD_JSON_ARRAY)
    return fail (ld, l->name, "'inputs' must be an array of layer names");
  if ((int) inputs->n < info->min_inputs || (int) inputs->n > info->max_inputs) {
    if (info->min_inputs == info->max_inputs)
      return fail (ld, l->name, "%s takes %d input, not %zu", info->name,
                   info->min_inputs, inputs->n);
    return fail (ld, l->name, "%s takes %d to %d inputs, not %zu", info->name,
                 info->min_inputs, info->max_inputs, inputs->n);
  }
  for (size_t i = 0; i < inputs->n; i++) {
    const dd_json *in = inputs->items[i];
    if (in->type != DD_JSON_STRING)
      return fail (ld, l->name, "input %zu must be a layer name (a string)", i);
    int j = find_layer_index (ld->net, in->str, index);
    if (j < 0) {
      if (strcmp (in->str, l->name) == 0)
        return fail (ld, l->name, "a layer cannot take its own output as input");
      for (size_t k = (size_t) index; k < all_layers->n; k++) {
        const dd_json *later = dd_json_get (all_layers->items[k], "name");
        if (later && later->type == DD_JSON_STRING && strcmp (later->str, in->str) == 0)
          return fail (ld, l->name, "input '%s' is defined later (line %d); list layers "
                       "so that every input comes before its use", in->str, later->line);
      }
      return fail (ld, l->name, "unknown input '%s'", in->str);
    }
    l->inputs[i] = &ld->net->layers[j];
    ld->net->n_consumers[j]++;
  }
  l->n_inputs = (int) inputs->n;
  return 0;
}

static int
parse_layer (loader *ld, int index, const dd_json *all_layers)
{
  const dd_json *obj = all_layers->items[index - 1];
  dd_layer *l = &ld->net->layers[index];
  if (obj->type != DD_JSON_OBJECT)
    return fail (ld, NULL, "layer %d (line %d) must be an object", index, obj->line);
  const dd_json *name = dd_json_get (obj, "name");
  if (!name || name->type != DD_JSON_STRING)
    return fail (ld, NULL, "layer %d (line %d) needs a \"name\" string", index, obj->line);
  if (check_name (ld, name->str, name->len, index))
    return -1;
  memcpy (l->name, name->str, name->len + 1);
  if (check_unique (ld, index))
    return -1;
  const dd_json *op = dd_json_get (obj, "op");
  if (!op || op->type != DD_JSON_STRING)
    return fail (ld, l->name, "needs an \"op\" string");
  const op_info *info = find_op (op->str);
  if (!info) {
    char names[256];
    const char *list[sizeof ops / sizeof ops[0]];
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
      list[i] = ops[i].name;
    list_names (names, sizeof names, list, sizeof ops / sizeof ops[0]);
    return fail (ld, l->name, "unknown op '%s' (known: %s)", op->str, names);
  }
  l->op = info->op;
  return check_keys (ld, l->name, obj, info) || parse_attrs (ld, l, obj)
      || parse_inputs (ld, l, index, obj, all_layers, info) ? -1 : 0;
}

static int
parse_input (loader *ld, const dd_json *root)
{
  const dd_json *in = dd_json_get (root, "input");
  dd_net *net = ld->net;
  if (!in || in->type != DD_JSON_OBJECT)
    return fail (ld, NULL, "\"input\" must be an object with channels, height and width");
  if (int_attr (ld, "input", in, "channels", 1, 1, 1 << 16, &net->in_c)
      || int_attr (ld, "input", in, "height", 1, 1, 1 << 15, &net->default_h)
      || int_attr (ld, "input", in, "width", 1, 1, 1 << 15, &net->default_w))
    return -1;
  dd_layer *l = &net->layers[0];
  strcpy (l->name, "input");
  l->op = DD_OP_INPUT;
  l->out_shape = (dd_shape) {1, net->in_c, net->default_h, net->default_w};
  return 0;
}

static int
parse_outputs (loader *ld, const dd_json *root)
{
  dd_net *net = ld->net;
  const dd_json *outs = dd_json_get (root, "outputs");
  if (!outs || outs->type != DD_JSON_ARRAY || outs->n == 0)
    return fail (ld, NULL, "\"outputs\" must be a non-empty array of layer names");
  net->outputs = calloc (outs->n, sizeof *net->outputs);
  if (!net->outputs)
    return fail (ld, NULL, "out of memory");
  for (size_t i = 0; i < outs->n; i++) {
    const dd_json *o = outs->items[i];
    if (o->type != DD_JSON_STRING)
      return fail (ld, NULL, "output %zu (line %d) must be a layer name", i, o->line);
    int j = find_layer_index (net, o->str, net->n_layers);
    if (j <= 0)
      return fail (ld, NULL, "unknown output '%s' (line %d)", o->str, o->line);
    for (int k = 0; k < net->n_outputs; k++)
      if (net->outputs[k] == j)
        return fail (ld, NULL, "output '%s' is listed twice", o->str);
    net->outputs[net->n_outputs++] = j;
  }
  return 0;
}

static int
parse_network (loader *ld, const dd_json *root)
{
  dd_net *net = ld->net;
  if (root->type != DD_JSON_OBJECT)
    return fail (ld, NULL, "a network file holds one JSON object");
  const dd_json *name = dd_json_get (root, "name");
  if (!name || name->type != DD_JSON_STRING || name->len == 0)
    return fail (ld, NULL, "\"name\" must be a non-empty string");
  net->name = strdup (name->str);
  const dd_json *layers = dd_json_get (root, "layers");
  if (!layers || layers->type != DD_JSON_ARRAY || layers->n == 0)
    return fail (ld, NULL, "\"layers\" must be a non-empty array");
  if (layers->n > 100000)
    return fail (ld, NULL, "%zu layers is more than the limit of 100000", layers->n);
  net->n_layers = (int) layers->n + 1;
  net->layers = calloc ((size_t) net->n_layers, sizeof *net->layers);
  net->n_consumers = calloc ((size_t) net->n_layers, sizeof *net->n_consumers);
  net->bn_batches = calloc ((size_t) net->n_layers, sizeof *net->bn_batches);
  if (!net->name || !net->layers || !net->n_consumers || !net->bn_batches)
    return fail (ld, NULL, "out of memory");
  if (parse_input (ld, root))
    return -1;
  for (int i = 1; i < net->n_layers; i++)
    if (parse_layer (ld, i, layers))
      return -1;
  return parse_outputs (ld, root);
}

dd_net *
dd_net_parse (const char *text, size_t len, const char *origin, char *err, size_t err_len)
{
  dd_net *net = calloc (1, sizeof *net);
  loader ld = {.net = net, .err = err, .err_len = err_len};
  if (!net || !(net->origin = strdup (origin))) {
    snprintf (err, err_len, "%s: out of memory", origin);
    free (net);
    return NULL;
  }
  char what[256];
  net->json = dd_json_parse (text, len, what, sizeof what);
  if (!net->json) {
    fail (&ld, NULL, "%s", what);
    dd_net_free (net);
    return NULL;
  }
  if (parse_network (&ld, net->json)
      || dd_net_shape_layers (origin, net->layers, net->n_layers, err, err_len)
      || dd_net_build_tensors (net, err, err_len)) {
    dd_net_free (net);
    return NULL;
  }
  net->in_shape = net->layers[0].out_shape;
  return net;
}

static char *
read_text (const char *path, size_t *len, char *err, size_t err_len)
{
  FILE *f = fopen (path, "rb");
  if (!f) {
    snprintf (err, err_len, "%s: cannot open: %s", path, strerror (errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *text = malloc (cap);
  /* Reading stops past the size limit; the parser then reports it. */
  while (text) {
    n += fread (text + n, 1, cap - n, f);
    if (n < cap || cap > DD_JSON_MAX_SIZE)
      break;
    char *bigger = realloc (text, cap * 2);
    if (!bigger)
      free (text);
    text = bigger;
    cap *= 2;
  }
  int failed = !text || ferror (f);
  fclose (f);
  if (failed) {
    snprintf (err, err_len, "%s: cannot read: %s", path, text ? strerror (errno) : "out of memory");
    free (text);
    return NULL;
  }
  *len = n;
  return text;
}

dd_net *
dd_net_load (const char *path, char *err, size_t err_len)
{
  size_t len;
  char *text = read_text (path, &len, err, err_len);
  if (!text)
    return NULL;
  dd_net *net = dd_net_parse (text, len, path, err, err_len);
  free (text);
  return net;
}

static int
is_preset_name (const char *s)
{
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return 0;
  return 1;
}

dd_net *
dd_net_load_preset (const char *name_or_path, char *err, size_t err_len)
{
  size_t n = strlen (name_or_path);
  if (strchr (name_or_path, '/') || (n > 5 && strcmp (name_or_path + n - 5, ".json") == 0))
    return dd_net_load (name_or_path, err, err_len);
  if (!is_preset_name (name_or_path)) {
    snprintf (err, err_len, "'%s' is neither a preset name (tiny, small, base) nor a "
              "path to a network .json file", name_or_path);
    return NULL;
  }
  const char *dirs[] = {getenv ("DDISTILL_PRESET_DIR"), DD_PRESET_SOURCE_DIR,
                        DD_PRESET_INSTALL_DIR};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char path[4096];
    if (!dirs[i] || !*dirs[i])
      continue;
    snprintf (path, sizeof path, "%s/%s.json", dirs[i], name_or_path);
    FILE *f = fopen (path, "rb");
    if (f) {
      fclose (f);
      return dd_net_load (path, err, err_len);
    }
  }
  snprintf (err, err_len, "no preset '%s' (known: tiny, small, base) in $DDISTILL_PRESET_DIR, "
            "%s or %s", name_or_path, DD_PRESET_SOURCE_DIR, DD_PRESET_INSTALL_DIR);
  return NULL;
}

static void
add_tensor (dd_net *net, dd_layer *l, const char *suffix, int trainable, int ndim,
            const int *shape)
{
  dd_net_tensor *t = &net->tensors[net->n_tensors++];
  snprintf (t->name, sizeof t->name, "%s.%s", l->name, suffix);
  t->layer = l;
  t->trainable = trainable;
  t->ndim = ndim;
  t->numel = 1;
  for (int d = 0; d < ndim; d++) {
    t->shape[d] = shape[d];
    t->numel *= (size_t) shape[d];
  }
}

int
dd_net_build_tensors (dd_net *net, char *err, size_t err_len)
{
  net->tensors = calloc ((size_t) net->n_layers * 4, sizeof *net->tensors);
  if (!net->tensors) {
    snprintf (err, err_len, "%s: out of memory", net->origin);
    return -1;
  }
  for (int i = 1; i < net->n_layers; i++) {
    dd_layer *l = &net->layers[i];
    int c = l->out_shape.c;
    if (l->op == DD_OP_CONV2D) {
      int w[4] = {l->conv.out_channels, l->inputs[0]->out_shape.c / l->conv.groups,
                  l->conv.kh, l->conv.kw};
      add_tensor (net, l, "weight", 1, 4, w);
      if (l->conv.has_bias)
        add_tensor (net, l, "bias", 1, 1, &c);
    } else if (l->op == DD_OP_BATCHNORM) {
      add_tensor (net, l, "weight", 1, 1, &c);
      add_tensor (net, l, "bias", 1, 1, &c);
      add_tensor (net, l, "running_mean", 0, 1, &c);
      add_tensor (net, l, "running_var", 0, 1, &c);
    }
  }
  return 0;
}
