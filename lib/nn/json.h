/* A small, strict JSON reader (RFC 8259: objects, arrays, strings with
 * escapes, numbers, true, false, null) for network files and safetensors
 * headers, and the string escaping their writers need. libc only, so the
 * engine builds without GLib.
 *
 * Strict: no comments, no trailing commas, no duplicate keys, no bytes
 * after the value but whitespace. Errors give line and column (1-based,
 * columns in bytes). Limits keep hostile input from exhausting the stack
 * or memory: DD_JSON_MAX_DEPTH nested containers, DD_JSON_MAX_SIZE bytes.
 */
#ifndef DD_NN_JSON_H
#define DD_NN_JSON_H

#include <stddef.h>

#define DD_JSON_MAX_DEPTH 64
#define DD_JSON_MAX_SIZE ((size_t) 256 << 20)

typedef enum dd_json_type {
  DD_JSON_NULL,
  DD_JSON_BOOL,
  DD_JSON_NUMBER,
  DD_JSON_STRING,
  DD_JSON_ARRAY,
  DD_JSON_OBJECT,
} dd_json_type;

typedef struct dd_json dd_json;

struct dd_json {
  dd_json_type type;
  int line, col;                /* where the value starts in the text */
  int boolean;
  double number;
  /* STRING: the decoded UTF-8 text, NUL-terminated (len excludes the NUL;
   * an escaped \u0000 makes strlen shorter than len). */
  char *str;
  size_t len;
  /* ARRAY and OBJECT: n items; OBJECT: keys[i] names items[i], in the
   * order of the text. */
  size_t n;
  dd_json **items;
  char **keys;
};

/* Parses `len` bytes. Returns NULL with "line L, column C: what" in err. */
dd_json *dd_json_parse (const char *text, size_t len, char *err, size_t err_len);
void dd_json_free (dd_json *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const dd_json *dd_json_get (const dd_json *v, const char *key);

/* An integer value: a NUMBER with no fractional part inside [lo, hi].
 * Returns 0, or -1 when it is not. */
int dd_json_int (const dd_json *v, long long lo, long long hi, long long *out);

/* A growing text buffer for writers. On allocation failure `failed` is set
 * and later appends do nothing, so a writer checks once at the end. */
typedef struct dd_json_buf {
  char *data;
  size_t len, cap;
  int failed;
} dd_json_buf;

void dd_json_buf_append (dd_json_buf *b, const char *s, size_t n);
void dd_json_buf_printf (dd_json_buf *b, const char *fmt, ...)
    __attribute__((format (printf, 2, 3)));
/* Appends s as a JSON string literal, quotes and escapes included. */
void dd_json_buf_string (dd_json_buf *b, const char *s);
void dd_json_buf_clear (dd_json_buf *b);

#endif
