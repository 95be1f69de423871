/* safetensors read/write and checkpoints: a round trip of the format; each
 * structural fault in a crafted file rejected with a message that names
 * the file; checkpoints restoring parameters, batch norm buffers,
 * optimizer state and step; mismatches against the network rejected; and
 * truncated or corrupted checkpoints never crashing the reader. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "nn/checkpoint.h"
#include "nn/rng.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"

static char dir[64];

static const char *
path_in_dir (const char *name)
{
  static char path[4][sizeof dir + 256];     /* dir, a slash, a name */
  static int next;
  char *p = path[next++ % 4];
  snprintf (p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

static void
write_bytes (const char *path, const void *bytes, size_t n)
{
  FILE *f = fopen (path, "wb");
  CHECK (f && fwrite (bytes, 1, n, f) == n);
  if (f)
    fclose (f);
}

/* A file of the given header with `data_len` zero bytes after it;
 * `header_len` overrides the length field when not 0. */
static const char *
craft (const char *header, size_t data_len, uint64_t header_len)
{
  size_t n = strlen (header);
  uint64_t len = header_len ? header_len : n;
  unsigned char *bytes = calloc (8 + n + data_len, 1);
  for (int i = 0; i < 8; i++)
    bytes[i] = (unsigned char) (len >> (8 * i));
  memcpy (bytes + 8, header, n);
  const char *path = path_in_dir ("crafted.safetensors");
  write_bytes (path, bytes, 8 + n + data_len);
  free (bytes);
  return path;
}

static void
expect_reject (const char *path, const char *fragment)
{
  char err[512] = "";
  dd_safetensors *st = dd_safetensors_read (path, err, sizeof err);
  CHECK (st == NULL);
  if (strncmp (err, path, strlen (path)) != 0 || !strstr (err, fragment)) {
    fprintf (stderr, "  error '%s' lacks '%s: ...%s'\n", err, path, fragment);
    check_failures++;
  }
  dd_safetensors_free (st);
}

static int
temp_files_left (void)
{
  int n = 0;
  DIR *d = opendir (dir);
  for (struct dirent *e; d && (e = readdir (d));)
    n += strstr (e->d_name, ".tmp.") != NULL;
  if (d)
    closedir (d);
  return n;
}

static void
test_round_trip (void)
{
  char err[512] = "";
  const float a[6] = {0, 1.5f, -2, 3, 4e-7f, 5};
  const int64_t s = -7, shape_a[2] = {2, 3}, shape_e[1] = {0}, shape_u[1] = {5};
  const unsigned char u[5] = {1, 2, 3, 4, 255};
  dd_st_writer *w = dd_st_writer_new ();
  dd_st_writer_add (w, "a", "F32", 2, shape_a, a);
  dd_st_writer_add (w, "s", "I64", 0, NULL, &s);
  dd_st_writer_add (w, "empty", "F32", 1, shape_e, NULL);
  dd_st_writer_add (w, "u \"quoted\"", "U8", 1, shape_u, u);
  dd_st_writer_meta (w, "step", "12");
  dd_st_writer_meta (w, "note", "line\nbreak");
  const char *path = path_in_dir ("round.safetensors");
  CHECK (dd_st_writer_write (w, path, err, sizeof err) == 0);
  dd_st_writer_free (w);
  CHECK (temp_files_left () == 0);

  dd_safetensors *st = dd_safetensors_read (path, err, sizeof err);
  CHECK (st != NULL);
  if (!st) {
    fprintf (stderr, "  %s\n", err);
    return;
  }
  CHECK (st->n_tensors == 4);
  uint64_t header_len;
  memcpy (&header_len, st->bytes, 8);
  CHECK ((8 + header_len) % 8 == 0);
  const dd_st_tensor *t = dd_safetensors_find (st, "a");
  CHECK (t && strcmp (t->dtype, "F32") == 0 && t->ndim == 2 && t->shape[0] == 2
         && t->shape[1] == 3 && t->end - t->begin == sizeof a);
  CHECK (t && memcmp (t->data, a, sizeof a) == 0);
  t = dd_safetensors_find (st, "s");
  int64_t s_back = 0;
  CHECK (t && t->ndim == 0 && t->dtype_size == 8);
  if (t)
    memcpy (&s_back, t->data, 8);
  CHECK (s_back == -7);
  t = dd_safetensors_find (st, "empty");
  CHECK (t && t->begin == t->end && t->shape[0] == 0);
  t = dd_safetensors_find (st, "u \"quoted\"");
  CHECK (t && memcmp (t->data, u, 5) == 0);
  CHECK (dd_safetensors_find (st, "nope") == NULL);
  CHECK (strcmp (dd_safetensors_meta (st, "step"), "12") == 0);
  CHECK (strcmp (dd_safetensors_meta (st, "note"), "line\nbreak") == 0);
  CHECK (dd_safetensors_meta (st, "nope") == NULL);
  dd_safetensors_free (st);

  /* Writing over a file replaces it whole. */
  w = dd_st_writer_new ();
  dd_st_writer_add (w, "b", "F32", 1, shape_u, a);
  CHECK (dd_st_writer_write (w, path, err, sizeof err) == 0);
  dd_st_writer_free (w);
  st = dd_safetensors_read (path, err, sizeof err);
  CHECK (st && st->n_tensors == 1 && dd_safetensors_find (st, "b"));
  dd_safetensors_free (st);

  w = dd_st_writer_new ();
  dd_st_writer_add (w, "a", "F32", 2, shape_a, a);
  dd_st_writer_add (w, "a", "F32", 2, shape_a, a);
  CHECK (dd_st_writer_write (w, path, err, sizeof err) != 0);
  CHECK (strstr (err, "not written: duplicate tensor 'a'") != NULL);
  dd_st_writer_free (w);
  w = dd_st_writer_new ();
  dd_st_writer_add (w, "a", "F31", 2, shape_a, a);
  CHECK (dd_st_writer_write (w, path, err, sizeof err) != 0);
  dd_st_writer_free (w);
  w = dd_st_writer_new ();
  CHECK (dd_st_writer_write (w, "/nonexistent/dir/x.safetensors", err, sizeof err) != 0);
  CHECK (strstr (err, "/nonexistent/dir/x.safetensors: cannot create") != NULL);
  dd_st_writer_free (w);
}

#define F32_ENTRY(name, n, begin, end) \
  "\"" name "\": {\"dtype\": \"F32\", \"shape\": [" #n "], \"data_offsets\": [" #begin ", " #end "]}"

static void
test_rejections (void)
{
  write_bytes (path_in_dir ("short.safetensors"), "\x10\0\0\0", 4);
  expect_reject (path_in_dir ("short.safetensors"), "truncated: 4 bytes");
  expect_reject (craft ("{}", 2, 1000), "truncated: header length 1000 but only 4 bytes follow");
  expect_reject (craft ("{}", 0, 0xffffffffffULL), "header length 1099511627775 out of range");
  write_bytes (path_in_dir ("zero.safetensors"), "\0\0\0\0\0\0\0\0{}", 10);
  expect_reject (path_in_dir ("zero.safetensors"), "header length 0 out of range");
  expect_reject (craft ("{\"a\": ", 0, 0), "header JSON: line 1, column 7");
  expect_reject (craft ("[1]", 0, 0), "header JSON must be an object");
  expect_reject (craft ("{\"a\": 5}", 0, 0), "tensor 'a': header entry must be an object");
  expect_reject (craft ("{\"a\": {\"dtype\": \"F33\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
                        4, 0), "tensor 'a': unknown dtype \"F33\" (known: BOOL, U8, I8, F8_E4M3, "
                        "F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64)");
  expect_reject (craft ("{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, 0),
                 "tensor 'a': \"dtype\" is missing or not a string");
  expect_reject (craft ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",
                        4, 0), "tensor 'a': shape[0] must be a size");
  expect_reject (craft ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4],"
                        " \"extra\": 1}}", 4, 0), "tensor 'a': unknown key \"extra\"");
  expect_reject (craft ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}",
                        4, 0), "data_offsets must be [begin, end]");
  expect_reject (craft ("{" F32_ENTRY ("a", 2, 0, 8) "}", 4, 0),
                 "tensor 'a': data_offsets [0, 8) out of range: the data section has 4 bytes");
  expect_reject (craft ("{" F32_ENTRY ("a", 1, 4, 0) "}", 4, 0), "out of range");
  expect_reject (craft ("{" F32_ENTRY ("a", 2, 0, 4) "}", 4, 0),
                 "tensor 'a': data_offsets [0, 4) hold 4 bytes but F32 of that shape needs 8");
  expect_reject (craft ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776],"
                        " \"data_offsets\": [0, 4]}}", 4, 0), "hold 4 bytes but F32 of that shape needs more than");
  expect_reject (craft ("{" F32_ENTRY ("a", 2, 0, 8) ", " F32_ENTRY ("b", 2, 4, 12) "}", 12, 0),
                 "tensors 'a' and 'b' overlap (bytes [0, 8) and [4, 12))");
  expect_reject (craft ("{" F32_ENTRY ("a", 1, 0, 4) ", " F32_ENTRY ("b", 1, 8, 12) "}", 12, 0),
                 "bytes [4, 8) of the data section belong to no tensor");
  expect_reject (craft ("{" F32_ENTRY ("a", 1, 0, 4) "}", 8, 0),
                 "4 bytes after the last tensor belong to no tensor");
  expect_reject (craft ("{\"__metadata__\": {\"step\": 3}}", 0, 0),
                 "__metadata__ value of \"step\" must be a string");
  expect_reject (craft ("{\"__metadata__\": [1]}", 0, 0), "__metadata__ must be an object");
  expect_reject (path_in_dir ("missing.safetensors"), "cannot open");
  expect_reject (dir, "not a regular file");

  /* Valid: out-of-order entries, a header padded with spaces. */
  char err[256];
  dd_safetensors *st = dd_safetensors_read (craft ("{" F32_ENTRY ("b", 1, 4, 8) ", "
                                                   F32_ENTRY ("a", 1, 0, 4) "}   ", 8, 0),
                                            err, sizeof err);
  CHECK (st && st->n_tensors == 2 && strcmp (st->tensors[0].name, "a") == 0);
  dd_safetensors_free (st);
}

static dd_net *
tiny_net (dd_backend *be, dd_net_mode mode, uint64_t seed)
{
  char err[512] = "";
  dd_net *net = dd_net_load (DD_TEST_PRESET_DIR "/tiny.json", err, sizeof err);
  if (!net || dd_net_setup (net, be, mode, 2, 16, 16, err, sizeof err) != 0
      || dd_net_init_params (net, seed) != 0) {
    fprintf (stderr, "  %s\n", err);
    dd_net_free (net);
    return NULL;
  }
  return net;
}

/* Two training steps: running statistics, num_batches_tracked, momentum
 * buffers and the step all move away from their initial values. */
static void
train_two_steps (dd_net *net)
{
  char err[256];
  size_t n_in = dd_shape_numel (dd_net_input_shape (net));
  float *x = malloc (n_in * sizeof *x);
  dd_rng rng;
  dd_rng_seed (&rng, 2, 0);
  for (size_t i = 0; i < n_in; i++)
    x[i] = dd_rng_range (&rng, -1, 1);
  dd_sgd sgd;
  dd_sgd_defaults (&sgd);
  dd_net_set_input (net, x);
  for (int step = 0; step < 2; step++) {
    dd_net_forward (net, 1);
    dd_net_zero_grad (net);
    for (int o = 0; o < dd_net_n_outputs (net); o++) {
      dd_layer *l = dd_net_output (net, o);
      size_t n = dd_shape_numel (l->out_shape);
      float *g = malloc (n * sizeof *g);
      for (size_t i = 0; i < n; i++)
        g[i] = dd_rng_range (&rng, -1, 1);
      dd_net_set_grad (net, l->name, g, err, sizeof err);
      free (g);
    }
    dd_net_backward (net);
    dd_sgd_step (net, &sgd, 0.1f, err, sizeof err);
  }
  free (x);
}

static unsigned char *
slurp (const char *path, size_t *n)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  fseek (f, 0, SEEK_END);
  *n = (size_t) ftell (f);
  fseek (f, 0, SEEK_SET);
  unsigned char *b = malloc (*n);
  if (fread (b, 1, *n, f) != *n)
    *n = 0;
  fclose (f);
  return b;
}

/* Every tensor's values (and optimizer state, when both have one) equal. */
static int
same_tensors (dd_net *a, dd_net *b, int with_state)
{
  dd_backend *be = dd_net_backend (a);
  int same = 1;
  for (int i = 0; i < dd_net_n_tensors (a); i++) {
    const dd_net_tensor *ta = dd_net_tensor_at (a, i), *tb = dd_net_tensor_at (b, i);
    float *x = malloc (ta->numel * sizeof *x), *y = malloc (ta->numel * sizeof *y);
    dd_net_read_tensor (a, ta, x);
    dd_net_read_tensor (b, tb, y);
    same &= memcmp (x, y, ta->numel * sizeof *x) == 0;
    if (with_state && ta->state) {
      be->ops->download (be, x, ta->state, ta->numel);
      be->ops->download (be, y, tb->state, tb->numel);
      same &= memcmp (x, y, ta->numel * sizeof *x) == 0;
    }
    free (x);
    free (y);
  }
  return same;
}

static void
test_checkpoint_round_trip (void)
{
  char err[512] = "";
  dd_backend *be = dd_backend_reference_new (err, sizeof err);
  dd_net *net = tiny_net (be, DD_NET_TRAIN, 1);
  CHECK (net != NULL);
  if (!net)
    return;
  train_two_steps (net);
  const char *path = path_in_dir ("tiny.safetensors");
  CHECK (dd_checkpoint_save (net, path, err, sizeof err) == 0);

  dd_safetensors *st = dd_safetensors_read (path, err, sizeof err);
  CHECK (st != NULL);
  if (st) {
    CHECK (strcmp (dd_safetensors_meta (st, "step"), "2") == 0);
    CHECK (strcmp (dd_safetensors_meta (st, "network"), "tiny") == 0);
    const dd_st_tensor *t = dd_safetensors_find (st, "backbone.stem.bn.num_batches_tracked");
    int64_t batches = 0;
    CHECK (t && strcmp (t->dtype, "I64") == 0 && t->ndim == 0);
    if (t)
      memcpy (&batches, t->data, 8);
    CHECK (batches == 2);
    t = dd_safetensors_find (st, "optimizer.backbone.stem.conv.weight");
    CHECK (t && t->ndim == 4 && t->shape[0] == 8 && t->shape[1] == 3 && t->shape[3] == 3);
    CHECK (dd_safetensors_find (st, "optimizer.backbone.stem.bn.running_mean") == NULL);
  }
  dd_safetensors_free (st);

  dd_net *back = tiny_net (be, DD_NET_TRAIN, 5);
  CHECK (back && !same_tensors (net, back, 0));
  CHECK (dd_checkpoint_load (back, path, err, sizeof err) == 0);
  CHECK (same_tensors (net, back, 1));
  CHECK (dd_net_step (back) == 2);
  int64_t step = -1;
  CHECK (dd_checkpoint_read_step (path, &step, err, sizeof err) == 0 && step == 2);
  /* Saved again, the same bytes: num_batches_tracked came back too. */
  const char *again = path_in_dir ("again.safetensors");
  CHECK (dd_checkpoint_save (back, again, err, sizeof err) == 0);
  size_t n1 = 0, n2 = 0;
  unsigned char *b1 = slurp (path, &n1), *b2 = slurp (again, &n2);
  CHECK (n1 > 0 && n1 == n2 && memcmp (b1, b2, n1) == 0);
  free (b2);
  dd_net_free (back);

  /* An inference setup takes the model tensors and skips the optimizer's;
   * a file without optimizer tensors restarts the momentum at zero. */
  dd_net *infer = tiny_net (be, DD_NET_INFER, 5);
  CHECK (infer && dd_checkpoint_load (infer, path, err, sizeof err) == 0);
  CHECK (infer && same_tensors (net, infer, 0));
  const char *plain = path_in_dir ("plain.safetensors");
  CHECK (infer && dd_checkpoint_save (infer, plain, err, sizeof err) == 0);
  CHECK (dd_checkpoint_load (net, plain, err, sizeof err) == 0);
  const dd_net_tensor *t = dd_net_tensor_at (net, 0);
  float v[216];
  be->ops->download (be, v, t->state, t->numel);
  CHECK (v[0] == 0 && v[t->numel - 1] == 0);
  dd_net_free (infer);

  /* Truncated anywhere: rejected with the file's name, the network left
   * as it was. Every 61st length and the last few bytes. */
  const char *cut = path_in_dir ("cut.safetensors");
  float before[216], after[216];
  dd_net_read_tensor (net, t, before);
  for (size_t n = 0; n < n1; n += n + 64 < n1 ? 61 : 1) {
    write_bytes (cut, b1, n);
    err[0] = '\0';
    CHECK (dd_checkpoint_load (net, cut, err, sizeof err) != 0);
    CHECK (strncmp (err, cut, strlen (cut)) == 0);
  }
  dd_net_read_tensor (net, t, after);
  CHECK (memcmp (before, after, t->numel * sizeof *before) == 0);

  /* Bytes of the header changed at random: an error or a load, never a
   * crash. */
  uint64_t header_len;
  memcpy (&header_len, b1, 8);
  dd_rng rng;
  dd_rng_seed (&rng, 8, 0);
  for (int k = 0; k < 300; k++) {
    unsigned char *copy = malloc (n1);
    memcpy (copy, b1, n1);
    size_t at = 8 + dd_rng_below (&rng, (uint32_t) header_len);
    copy[at] = (unsigned char) dd_rng_u32 (&rng);
    write_bytes (cut, copy, n1);
    if (dd_checkpoint_load (net, cut, err, sizeof err) != 0)
      CHECK (strncmp (err, cut, strlen (cut)) == 0);
    free (copy);
  }
  free (b1);
  dd_net_free (net);
  be->ops->destroy (be);
}

typedef enum variant {
  AS_F64, TRANSPOSED, EXTRA, MISSING, NO_BATCHES, BATCHES_F32, SOME_OPTIMIZER, BAD_STEP,
  EMPTY_HUGE_SHAPE, NAN_WEIGHT, INFINITE_WEIGHT
} variant;

/* Eight sizes, the last 0: a valid empty tensor, and the longest shape the
 * reader lets through into a message. */
static const int64_t empty_huge_shape[DD_ST_MAX_DIMS] = {
  1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62, 0
};

/* A checkpoint of `net` written by hand, with one fault. */
static const char *
write_variant (dd_net *net, variant v)
{
  dd_st_writer *w = dd_st_writer_new ();
  static double f64[4096];
  static float host[4096];
  int dropped_batches = 0;
  for (int i = 0; i < dd_net_n_tensors (net); i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    int64_t shape[4];
    for (int d = 0; d < t->ndim; d++)
      shape[d] = t->shape[d];
    dd_net_read_tensor (net, t, host);
    if (i == 0 && v == NAN_WEIGHT)
      host[5] = NAN;
    if (i == 0 && v == INFINITE_WEIGHT)
      host[5] = -INFINITY;
    if (i == 0 && v == MISSING)
      continue;
    if (i == 0 && v == TRANSPOSED) {
      int64_t s = shape[0];
      shape[0] = shape[1];
      shape[1] = s;
    }
    if (i == 0 && v == EMPTY_HUGE_SHAPE) {
      dd_st_writer_add (w, t->name, "F32", DD_ST_MAX_DIMS, empty_huge_shape, host);
    } else if (i == 0 && v == AS_F64) {
      for (size_t k = 0; k < t->numel; k++)
        f64[k] = host[k];
      dd_st_writer_add (w, t->name, "F64", t->ndim, shape, f64);
    } else {
      dd_st_writer_add (w, t->name, "F32", t->ndim, shape, host);
    }
    if (t->layer->op == DD_OP_BATCHNORM && strstr (t->name, "running_var")) {
      char name[128];
      int64_t batches = 0;
      float fb = 0;
      snprintf (name, sizeof name, "%s.num_batches_tracked", t->layer->name);
      if (v == NO_BATCHES && !dropped_batches)
        dropped_batches = 1;
      else if (v == BATCHES_F32)
        dd_st_writer_add (w, name, "F32", 0, NULL, &fb);
      else
        dd_st_writer_add (w, name, "I64", 0, NULL, &batches);
    }
    if (v == SOME_OPTIMIZER && t->trainable && i < 3) {
      char name[128];
      snprintf (name, sizeof name, "optimizer.%s", t->name);
      dd_st_writer_add (w, name, "F32", t->ndim, shape, host);
    }
  }
  if (v == EXTRA)
    dd_st_writer_add (w, "heads.extra.weight", "F32", 1, (int64_t[]) {1}, host);
  dd_st_writer_meta (w, "step", v == BAD_STEP ? "12x" : "3");
  const char *path = path_in_dir ("variant.safetensors");
  char err[256];
  CHECK (dd_st_writer_write (w, path, err, sizeof err) == 0);
  dd_st_writer_free (w);
  return path;
}

static void
expect_load_reject (dd_net *net, variant v, const char *fragment)
{
  char err[512] = "";
  const char *path = write_variant (net, v);
  CHECK (dd_checkpoint_load (net, path, err, sizeof err) != 0);
  if (strncmp (err, path, strlen (path)) != 0 || !strstr (err, fragment)) {
    fprintf (stderr, "  variant %d: error '%s' lacks '%s'\n", (int) v, err, fragment);
    check_failures++;
  }
}

static void
test_checkpoint_mismatches (void)
{
  char err[512] = "";
  dd_backend *be = dd_backend_reference_new (err, sizeof err);
  dd_net *net = tiny_net (be, DD_NET_TRAIN, 1);
  CHECK (net != NULL);
  if (!net)
    return;
  expect_load_reject (net, AS_F64, "tensor 'backbone.stem.conv.weight' is F64; network "
                      "'tiny' needs F32");
  expect_load_reject (net, TRANSPOSED, "tensor 'backbone.stem.conv.weight' has shape "
                      "[3, 8, 3, 3]; network 'tiny' needs [8, 3, 3, 3]");
  expect_load_reject (net, EXTRA, "unknown tensor 'heads.extra.weight': network 'tiny' has "
                      "no such parameter or buffer");
  expect_load_reject (net, MISSING, "missing tensor 'backbone.stem.conv.weight' of network "
                      "'tiny'");
  expect_load_reject (net, NO_BATCHES, "missing tensor 'backbone.stem.bn.num_batches_tracked'");
  expect_load_reject (net, BATCHES_F32, "PyTorch's num_batches_tracked is an I64 scalar");
  expect_load_reject (net, SOME_OPTIMIZER, "the file has 3 of the");
  expect_load_reject (net, BAD_STEP, "__metadata__ step \"12x\" is not a step count");
  expect_load_reject (net, NAN_WEIGHT, "tensor 'backbone.stem.conv.weight' holds NaN at "
                      "element 5: the weights are damaged");
  expect_load_reject (net, INFINITE_WEIGHT, "holds an infinity at element 5");
  expect_load_reject (net, EMPTY_HUGE_SHAPE, "tensor 'backbone.stem.conv.weight' has shape "
                      "[4611686018427387904, 4611686018427387904, 4611686018427387904, "
                      "4611686018427387904, 4611686018427387904, 4611686018427387904, "
                      "4611686018427387904, 0]; network 'tiny' needs [8, 3, 3, 3]");

  dd_net *bare = dd_net_load (DD_TEST_PRESET_DIR "/tiny.json", err, sizeof err);
  CHECK (dd_checkpoint_load (bare, write_variant (net, EXTRA), err, sizeof err) != 0);
  CHECK (strstr (err, "set network 'tiny' up before loading") != NULL);
  CHECK (dd_checkpoint_save (bare, path_in_dir ("bare.safetensors"), err, sizeof err) != 0);
  dd_net_free (bare);
  dd_net_free (net);
  be->ops->destroy (be);
}

static void
remove_dir (void)
{
  DIR *d = opendir (dir);
  for (struct dirent *e; d && (e = readdir (d));)
    if (e->d_name[0] != '.')
      unlink (path_in_dir (e->d_name));
  if (d)
    closedir (d);
  rmdir (dir);
}

int
main (void)
{
  snprintf (dir, sizeof dir, "/tmp/dd-test-safetensors-XXXXXX");
  if (!mkdtemp (dir))
    CHECK_SKIP ("cannot make a temporary folder");
  RUN_TEST (test_round_trip);
  RUN_TEST (test_rejections);
  RUN_TEST (test_checkpoint_round_trip);
  RUN_TEST (test_checkpoint_mismatches);
  remove_dir ();
  return check_exit_status ();
}
