#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/json.h"
#include "nn/safetensors.h"

_Static_assert (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                "safetensors data is little-endian; this code copies it as it is");

static const struct {
  const char *name;
  size_t size;
} dtypes[] = {
  {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
  {"I16", 2}, {"U16", 2}, {"F16", 2}, {"BF16", 2},
  {"I32", 4}, {"U32", 4}, {"F32", 4},
  {"I64", 8}, {"U64", 8}, {"F64", 8},
};

size_t
dd_st_dtype_size (const char *dtype)
{
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
    if (strcmp (dtypes[i].name, dtype) == 0)
      return dtypes[i].size;
  return 0;
}

static void
list_dtypes (char *out, size_t out_len)
{
  size_t k = 0;
  out[0] = '\0';
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0] && k < out_len; i++)
    k += (size_t) snprintf (out + k, out_len - k, "%s%s", i ? ", " : "", dtypes[i].name);
}

static int
fail (char *err, size_t err_len, const char *path, const char *fmt, ...)
    __attribute__((format (printf, 4, 5)));

static int
fail (char *err, size_t err_len, const char *path, const char *fmt, ...)
{
  char what[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  snprintf (err, err_len, "%s: %s", path, what);
  return -1;
}

static unsigned char *
read_all (const char *path, size_t *size, char *err, size_t err_len)
{
  FILE *f = fopen (path, "rb");
  struct stat st;
  if (!f) {
    fail (err, err_len, path, "cannot open: %s", strerror (errno));
    return NULL;
  }
  if (fstat (fileno (f), &st) != 0 || !S_ISREG (st.st_mode)) {
    fail (err, err_len, path, "not a regular file");
    fclose (f);
    return NULL;
  }
  unsigned char *bytes = malloc (st.st_size ? (size_t) st.st_size : 1);
  if (!bytes) {
    fail (err, err_len, path, "out of memory for %lld bytes", (long long) st.st_size);
    fclose (f);
    return NULL;
  }
  size_t n = fread (bytes, 1, (size_t) st.st_size, f);
  int bad = ferror (f);
  fclose (f);
  if (bad || n != (size_t) st.st_size) {
    fail (err, err_len, path, "cannot read: %s", bad ? strerror (errno) : "file shrank");
    free (bytes);
    return NULL;
  }
  *size = n;
  return bytes;
}

static int
parse_metadata (dd_safetensors *st, const dd_json *meta, char *err, size_t err_len)
{
  if (meta->type != DD_JSON_OBJECT)
    return fail (err, err_len, st->path, "__metadata__ must be an object of strings");
  st->meta_keys = calloc (meta->n + 1, sizeof *st->meta_keys);
  st->meta_values = calloc (meta->n + 1, sizeof *st->meta_values);
  if (!st->meta_keys || !st->meta_values)
    return fail (err, err_len, st->path, "out of memory");
  for (size_t i = 0; i < meta->n; i++) {
    if (meta->items[i]->type != DD_JSON_STRING)
      return fail (err, err_len, st->path, "__metadata__ value of \"%s\" must be a string",
                   meta->keys[i]);
    st->meta_keys[i] = strdup (meta->keys[i]);
    st->meta_values[i] = strdup (meta->items[i]->str);
    st->n_meta = (int) i + 1;
    if (!st->meta_keys[i] || !st->meta_values[i])
      return fail (err, err_len, st->path, "out of memory");
  }
  return 0;
}

/* One header entry into t; data_len bounds its offsets. */
static int
parse_entry (dd_safetensors *st, const char *name, const dd_json *v, size_t data_len,
             dd_st_tensor *t, char *err, size_t err_len)
{
  const char *path = st->path;
  if (v->type != DD_JSON_OBJECT)
    return fail (err, err_len, path, "tensor '%s': header entry must be an object", name);
  for (size_t i = 0; i < v->n; i++)
    if (strcmp (v->keys[i], "dtype") && strcmp (v->keys[i], "shape")
        && strcmp (v->keys[i], "data_offsets"))
      return fail (err, err_len, path, "tensor '%s': unknown key \"%s\"", name, v->keys[i]);
  const dd_json *dtype = dd_json_get (v, "dtype");
  const dd_json *shape = dd_json_get (v, "shape");
  const dd_json *offsets = dd_json_get (v, "data_offsets");
  if (!dtype || dtype->type != DD_JSON_STRING)
    return fail (err, err_len, path, "tensor '%s': \"dtype\" is missing or not a string", name);
  if (!(t->dtype_size = dd_st_dtype_size (dtype->str))) {
    char known[160];
    list_dtypes (known, sizeof known);
    return fail (err, err_len, path, "tensor '%s': unknown dtype \"%.16s\" (known: %s)", name,
                 dtype->str, known);
  }
  strcpy (t->dtype, dtype->str);
  if (!shape || shape->type != DD_JSON_ARRAY || shape->n > DD_ST_MAX_DIMS)
    return fail (err, err_len, path, "tensor '%s': shape must be an array of at most %d "
                 "sizes", name, DD_ST_MAX_DIMS);
  /* The byte size saturates instead of overflowing: such a tensor cannot
   * match its offsets anyway (unless a size is 0). */
  size_t bytes = t->dtype_size;
  int empty = 0, overflow = 0;
  t->ndim = (int) shape->n;
  for (size_t d = 0; d < shape->n; d++) {
    long long n;
    if (dd_json_int (shape->items[d], 0, 1LL << 62, &n) != 0)
      return fail (err, err_len, path, "tensor '%s': shape[%zu] must be a size", name, d);
    t->shape[d] = n;
    empty |= n == 0;
    if (n && bytes > SIZE_MAX / (size_t) n)
      overflow = 1;
    else
      bytes *= (size_t) n;
  }
  if (empty)
    bytes = 0, overflow = 0;
  long long begin, end;
  if (!offsets || offsets->type != DD_JSON_ARRAY || offsets->n != 2
      || dd_json_int (offsets->items[0], 0, 1LL << 62, &begin) != 0
      || dd_json_int (offsets->items[1], 0, 1LL << 62, &end) != 0)
    return fail (err, err_len, path, "tensor '%s': data_offsets must be [begin, end]", name);
  if (begin > end || (unsigned long long) end > data_len)
    return fail (err, err_len, path, "tensor '%s': data_offsets [%lld, %lld) out of range: "
                 "the data section has %zu bytes (truncated file?)", name, begin, end, data_len);
  t->begin = (size_t) begin;
  t->end = (size_t) end;
  if (overflow || t->end - t->begin != bytes)
    return fail (err, err_len, path, "tensor '%s': data_offsets [%lld, %lld) hold %zu bytes "
                 "but %s of that shape needs %s%zu", name, begin, end, t->end - t->begin,
                 t->dtype, overflow ? "more than " : "", bytes);
  t->name = strdup (name);
  return t->name ? 0 : fail (err, err_len, path, "out of memory");
}

static int
by_offset (const void *a, const void *b)
{
  const dd_st_tensor *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorted by offset, the tensors must tile [0, data_len) exactly. */
static int
check_tiling (dd_safetensors *st, size_t data_len, char *err, size_t err_len)
{
  qsort (st->tensors, (size_t) st->n_tensors, sizeof *st->tensors, by_offset);
  size_t at = 0;
  for (int i = 0; i < st->n_tensors; i++) {
    const dd_st_tensor *t = &st->tensors[i];
    if (t->begin < at)
      return fail (err, err_len, st->path, "tensors '%s' and '%s' overlap (bytes [%zu, %zu) "
                   "and [%zu, %zu))", st->tensors[i - 1].name, t->name,
                   st->tensors[i - 1].begin, st->tensors[i - 1].end, t->begin, t->end);
    if (t->begin > at)
      return fail (err, err_len, st->path, "bytes [%zu, %zu) of the data section belong to "
                   "no tensor", at, t->begin);
    at = t->end;
  }
  if (at != data_len)
    return fail (err, err_len, st->path, "%zu bytes after the last tensor belong to no tensor",
                 data_len - at);
  return 0;
}

static int
parse_header (dd_safetensors *st, char *err, size_t err_len)
{
  if (st->size < 8)
    return fail (err, err_len, st->path, "truncated: %zu bytes, less than the 8-byte header "
                 "length", st->size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--)
    n = n << 8 | st->bytes[i];
  if (n < 2 || n > DD_ST_MAX_HEADER)
    return fail (err, err_len, st->path, "header length %llu out of range [2, %llu]; not a "
                 "safetensors file?", (unsigned long long) n,
                 (unsigned long long) DD_ST_MAX_HEADER);
  if (n > st->size - 8)
    return fail (err, err_len, st->path, "truncated: header length %llu but only %zu bytes "
                 "follow", (unsigned long long) n, st->size - 8);
  char what[256];
  dd_json *h = dd_json_parse ((const char *) st->bytes + 8, (size_t) n, what, sizeof what);
  if (!h)
    return fail (err, err_len, st->path, "header JSON: %s", what);
  int status = 0;
  size_t data_len = st->size - 8 - (size_t) n;
  const unsigned char *data = st->bytes + 8 + n;
  if (h->type != DD_JSON_OBJECT) {
    status = fail (err, err_len, st->path, "header JSON must be an object");
    goto done;
  }
  st->tensors = calloc (h->n + 1, sizeof *st->tensors);
  if (!st->tensors) {
    status = fail (err, err_len, st->path, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < h->n && status == 0; i++) {
    if (strcmp (h->keys[i], "__metadata__") == 0) {
      status = parse_metadata (st, h->items[i], err, err_len);
      continue;
    }
    dd_st_tensor *t = &st->tensors[st->n_tensors];
    status = parse_entry (st, h->keys[i], h->items[i], data_len, t, err, err_len);
    if (status == 0) {
      t->data = data + t->begin;
      st->n_tensors++;
    }
  }
  if (status == 0)
    status = check_tiling (st, data_len, err, err_len);
done:
  dd_json_free (h);
  return status;
}

dd_safetensors *
dd_safetensors_read (const char *path, char *err, size_t err_len)
{
  dd_safetensors *st = calloc (1, sizeof *st);
  if (!st || !(st->path = strdup (path))) {
    fail (err, err_len, path, "out of memory");
    free (st);
    return NULL;
  }
  st->bytes = read_all (path, &st->size, err, err_len);
  if (!st->bytes || parse_header (st, err, err_len) != 0) {
    dd_safetensors_free (st);
    return NULL;
  }
  return st;
}

void
dd_safetensors_free (dd_safetensors *st)
{
  if (!st)
    return;
  for (int i = 0; i < st->n_tensors; i++)
    free (st->tensors[i].name);
  for (int i = 0; i < st->n_meta; i++) {
    free (st->meta_keys[i]);
    free (st->meta_values[i]);
  }
  free (st->tensors);
  free (st->meta_keys);
  free (st->meta_values);
  free (st->bytes);
  free (st->path);
  free (st);
}

const dd_st_tensor *
dd_safetensors_find (const dd_safetensors *st, const char *name)
{
  for (int i = 0; i < st->n_tensors; i++)
    if (strcmp (st->tensors[i].name, name) == 0)
      return &st->tensors[i];
  return NULL;
}

const char *
dd_safetensors_meta (const dd_safetensors *st, const char *key)
{
  for (int i = 0; i < st->n_meta; i++)
    if (strcmp (st->meta_keys[i], key) == 0)
      return st->meta_values[i];
  return NULL;
}

struct dd_st_writer {
  dd_json_buf header;           /* the tensor entries, comma-separated */
  dd_json_buf meta;             /* the __metadata__ members */
  unsigned char *data;
  size_t data_len, data_cap;
  char **names;
  size_t n_names;
  char error[256];
};

dd_st_writer *
dd_st_writer_new (void)
{
  return calloc (1, sizeof (dd_st_writer));
}

static void
writer_error (dd_st_writer *w, const char *what, const char *name)
{
  if (!w->error[0])
    snprintf (w->error, sizeof w->error, "%s '%s'", what, name);
}

static int
remember_name (dd_st_writer *w, const char *name)
{
  for (size_t i = 0; i < w->n_names; i++)
    if (strcmp (w->names[i], name) == 0) {
      writer_error (w, "duplicate tensor", name);
      return -1;
    }
  char **names = realloc (w->names, (w->n_names + 1) * sizeof *names);
  if (names)
    w->names = names;
  if (!names || !(w->names[w->n_names] = strdup (name))) {
    writer_error (w, "out of memory adding", name);
    return -1;
  }
  w->n_names++;
  return 0;
}

void
dd_st_writer_add (dd_st_writer *w, const char *name, const char *dtype, int ndim,
                  const int64_t *shape, const void *data)
{
  size_t bytes = dd_st_dtype_size (dtype);
  if (!bytes || ndim < 0 || ndim > DD_ST_MAX_DIMS || strcmp (name, "__metadata__") == 0) {
    writer_error (w, "bad dtype, rank or name for tensor", name);
    return;
  }
  for (int d = 0; d < ndim; d++)
    bytes *= (size_t) shape[d];
  if (remember_name (w, name) != 0)
    return;
  if (w->data_len + bytes > w->data_cap) {
    size_t cap = w->data_cap ? w->data_cap : 4096;
    while (cap < w->data_len + bytes)
      cap *= 2;
    unsigned char *more = realloc (w->data, cap);
    if (!more) {
      writer_error (w, "out of memory adding", name);
      return;
    }
    w->data = more;
    w->data_cap = cap;
  }
  if (bytes)
    memcpy (w->data + w->data_len, data, bytes);
  dd_json_buf *h = &w->header;
  dd_json_buf_append (h, ",", 1);
  dd_json_buf_string (h, name);
  dd_json_buf_printf (h, ":{\"dtype\":\"%s\",\"shape\":[", dtype);
  for (int d = 0; d < ndim; d++)
    dd_json_buf_printf (h, "%s%lld", d ? "," : "", (long long) shape[d]);
  dd_json_buf_printf (h, "],\"data_offsets\":[%zu,%zu]}", w->data_len, w->data_len + bytes);
  w->data_len += bytes;
}

void
dd_st_writer_meta (dd_st_writer *w, const char *key, const char *value)
{
  dd_json_buf_append (&w->meta, w->meta.len ? "," : "", w->meta.len ? 1 : 0);
  dd_json_buf_string (&w->meta, key);
  dd_json_buf_append (&w->meta, ":", 1);
  dd_json_buf_string (&w->meta, value);
}

/* The full header, padded with spaces so the data section starts on an
 * 8-byte boundary, as the reference implementation writes it. */
static int
build_header (dd_st_writer *w, dd_json_buf *out)
{
  dd_json_buf_append (out, "{\"__metadata__\":{", 17);
  if (w->meta.len)
    dd_json_buf_append (out, w->meta.data, w->meta.len);
  dd_json_buf_append (out, "}", 1);
  if (w->header.len)
    dd_json_buf_append (out, w->header.data, w->header.len);
  dd_json_buf_append (out, "}", 1);
  while (!out->failed && out->len % 8)
    dd_json_buf_append (out, " ", 1);
  return out->failed || w->header.failed || w->meta.failed ? -1 : 0;
}

static int
write_fd (int fd, const void *p, size_t n)
{
  const unsigned char *b = p;
  while (n) {
    ssize_t k = write (fd, b, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    b += k;
    n -= (size_t) k;
  }
  return 0;
}

/* Makes the rename itself durable. */
static void
sync_dir (const char *path)
{
  char *copy = strdup (path);
  if (!copy)
    return;
  int fd = open (dirname (copy), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  free (copy);
}

int
dd_st_writer_write (dd_st_writer *w, const char *path, char *err, size_t err_len)
{
  if (w->error[0])
    return fail (err, err_len, path, "not written: %s", w->error);
  dd_json_buf header = {0};
  if (build_header (w, &header) != 0) {
    dd_json_buf_clear (&header);
    return fail (err, err_len, path, "not written: out of memory for the header");
  }
  char tmp[4096];
  snprintf (tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    dd_json_buf_clear (&header);
    return fail (err, err_len, path, "cannot create %s: %s", tmp, strerror (errno));
  }
  unsigned char len[8];
  for (int i = 0; i < 8; i++)
    len[i] = (unsigned char) ((uint64_t) header.len >> (8 * i));
  int bad = write_fd (fd, len, 8) || write_fd (fd, header.data, header.len)
      || write_fd (fd, w->data, w->data_len) || fsync (fd);
  int saved = errno;
  bad = close (fd) || bad;
  dd_json_buf_clear (&header);
  if (bad || rename (tmp, path) != 0) {
    saved = bad ? saved : errno;
    unlink (tmp);
    return fail (err, err_len, path, "cannot write: %s", strerror (saved));
  }
  sync_dir (path);
  return 0;
}

void
dd_st_writer_free (dd_st_writer *w)
{
  if (!w)
    return;
  for (size_t i = 0; i < w->n_names; i++)
    free (w->names[i]);
  free (w->names);
  free (w->data);
  dd_json_buf_clear (&w->header);
  dd_json_buf_clear (&w->meta);
  free (w);
}
