/* The safetensors format (huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header, then the data section. The
 * header maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end)} with offsets relative to the data section, plus an
 * optional "__metadata__" map of strings.
 *
 * The reader trusts nothing: it checks the header length against the
 * file, every offset against the data section, each tensor's byte size
 * against dtype x shape, and that the tensors tile the data section with
 * no overlap or gap. Every fault is reported with the file's path.
 * Tensors are little-endian (this code runs on little-endian hosts only).
 */
#ifndef DD_NN_SAFETENSORS_H
#define DD_NN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define DD_ST_MAX_DIMS 8
/* The reference implementation's limit on the header. */
#define DD_ST_MAX_HEADER ((uint64_t) 100 << 20)

typedef struct dd_st_tensor {
  char *name;
  char dtype[8];                /* "F32", "I64", ... */
  size_t dtype_size;            /* bytes per element */
  int ndim;                     /* 0 for a scalar */
  int64_t shape[DD_ST_MAX_DIMS];
  size_t begin, end;            /* byte offsets in the data section */
  const void *data;             /* the bytes; possibly unaligned: memcpy them */
} dd_st_tensor;

typedef struct dd_safetensors {
  char *path;
  int n_tensors;
  dd_st_tensor *tensors;        /* in the order of their data */
  int n_meta;
  char **meta_keys, **meta_values;
  unsigned char *bytes;         /* the whole file */
  size_t size;
} dd_safetensors;

/* Reads and checks a file. Returns NULL with "<path>: <fault>" in err. */
dd_safetensors *dd_safetensors_read (const char *path, char *err, size_t err_len);
void dd_safetensors_free (dd_safetensors *st);
const dd_st_tensor *dd_safetensors_find (const dd_safetensors *st, const char *name);
/* A __metadata__ value, or NULL. */
const char *dd_safetensors_meta (const dd_safetensors *st, const char *key);
/* Bytes per element of a safetensors dtype name, 0 when unknown. */
size_t dd_st_dtype_size (const char *dtype);

/* Writing: tensors are copied in as they are added and written in that
 * order. A failed add or meta (unknown dtype, duplicate name, no memory)
 * is remembered and reported by dd_st_writer_write. */
typedef struct dd_st_writer dd_st_writer;

dd_st_writer *dd_st_writer_new (void);
void dd_st_writer_add (dd_st_writer *w, const char *name, const char *dtype, int ndim,
                       const int64_t *shape, const void *data);
void dd_st_writer_meta (dd_st_writer *w, const char *key, const char *value);
/* Writes atomically: a temporary file in the same folder, synced, then
 * renamed over `path`, so a reader sees the old file or the new one,
 * never a part. Returns 0, or -1 with a message. */
int dd_st_writer_write (dd_st_writer *w, const char *path, char *err, size_t err_len);
void dd_st_writer_free (dd_st_writer *w);

#endif
