#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/json.h"

typedef struct parser {
  const char *text;
  size_t len, pos;
  int line;
  size_t line_start;            /* offset of the current line's first byte */
  char *err;
  size_t err_len;
  int failed;
} parser;

static void
fail (parser *p, const char *what)
{
  if (p->failed)
    return;
  p->failed = 1;
  snprintf (p->err, p->err_len, "line %d, column %zu: %s", p->line,
            p->pos - p->line_start + 1, what);
}

static void
skip_space (parser *p)
{
  while (p->pos < p->len) {
    char c = p->text[p->pos];
    if (c == '\n') {
      p->line++;
      p->line_start = p->pos + 1;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    p->pos++;
  }
}

static dd_json *
new_value (parser *p, dd_json_type type)
{
  dd_json *v = calloc (1, sizeof *v);
  if (!v) {
    fail (p, "out of memory");
    return NULL;
  }
  v->type = type;
  v->line = p->line;
  v->col = (int) (p->pos - p->line_start + 1);
  return v;
}

static int
literal (parser *p, const char *word)
{
  size_t n = strlen (word);
  if (p->len - p->pos < n || memcmp (p->text + p->pos, word, n) != 0) {
    fail (p, "unexpected character (expected a value)");
    return -1;
  }
  p->pos += n;
  return 0;
}

/* strtod follows LC_NUMERIC, which a host application may have changed:
 * numbers are converted in the C locale. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
make_c_locale (void)
{
  c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
}

static int
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static size_t
skip_digits (parser *p, size_t i)
{
  while (i < p->len && is_digit (p->text[i]))
    i++;
  return i;
}

static int
parse_number (parser *p, dd_json *v)
{
  size_t i = p->pos;
  if (i < p->len && p->text[i] == '-')
    i++;
  if (i >= p->len || !is_digit (p->text[i])) {
    fail (p, "bad number: a digit must follow '-'");
    return -1;
  }
  if (p->text[i] == '0' && i + 1 < p->len && is_digit (p->text[i + 1])) {
    fail (p, "bad number: no leading zeros");
    return -1;
  }
  i = skip_digits (p, i);
  if (i < p->len && p->text[i] == '.') {
    if (i + 1 >= p->len || !is_digit (p->text[i + 1])) {
      fail (p, "bad number: a digit must follow '.'");
      return -1;
    }
    i = skip_digits (p, i + 1);
  }
  if (i < p->len && (p->text[i] == 'e' || p->text[i] == 'E')) {
    i++;
    if (i < p->len && (p->text[i] == '+' || p->text[i] == '-'))
      i++;
    if (i >= p->len || !is_digit (p->text[i])) {
      fail (p, "bad number: a digit must follow the exponent");
      return -1;
    }
    i = skip_digits (p, i);
  }
  char buf[128];
  size_t n = i - p->pos;
  if (n >= sizeof buf) {
    fail (p, "number too long");
    return -1;
  }
  memcpy (buf, p->text + p->pos, n);
  buf[n] = '\0';
  pthread_once (&c_locale_once, make_c_locale);
  v->number = c_locale ? strtod_l (buf, NULL, c_locale) : strtod (buf, NULL);
  if (!isfinite (v->number)) {
    fail (p, "number out of range");
    return -1;
  }
  p->pos = i;
  return 0;
}

static int
hex4 (parser *p, size_t at, unsigned *out)
{
  unsigned u = 0;
  if (p->len - at < 4)
    return -1;
  for (int k = 0; k < 4; k++) {
    char c = p->text[at + k];
    u <<= 4;
    if (is_digit (c))
      u |= (unsigned) (c - '0');
    else if (c >= 'a' && c <= 'f')
      u |= (unsigned) (c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      u |= (unsigned) (c - 'A' + 10);
    else
      return -1;
  }
  *out = u;
  return 0;
}

static size_t
put_utf8 (char *dst, unsigned cp)
{
  if (cp < 0x80) {
    dst[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = (char) (0xc0 | (cp >> 6));
    dst[1] = (char) (0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = (char) (0xe0 | (cp >> 12));
    dst[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
    dst[2] = (char) (0x80 | (cp & 0x3f));
    return 3;
  }
  dst[0] = (char) (0xf0 | (cp >> 18));
  dst[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  dst[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
  dst[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

/* Decodes the \u escape at p->pos (just after the backslash-u) into dst;
 * a surrogate pair takes two escapes. Returns the bytes written or 0. */
static size_t
unicode_escape (parser *p, char *dst)
{
  unsigned cp;
  if (hex4 (p, p->pos, &cp) != 0) {
    fail (p, "bad \\u escape: four hex digits expected");
    return 0;
  }
  p->pos += 4;
  if (cp >= 0xdc00 && cp <= 0xdfff) {
    fail (p, "bad \\u escape: lone low surrogate");
    return 0;
  }
  if (cp >= 0xd800 && cp <= 0xdbff) {
    unsigned lo;
    if (p->len - p->pos < 6 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u'
        || hex4 (p, p->pos + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
      fail (p, "bad \\u escape: high surrogate without its low surrogate");
      return 0;
    }
    p->pos += 6;
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  }
  return put_utf8 (dst, cp);
}

static int
simple_escape (char c, char *out)
{
  switch (c) {
    case '"': *out = '"'; return 0;
    case '\\': *out = '\\'; return 0;
    case '/': *out = '/'; return 0;
    case 'b': *out = '\b'; return 0;
    case 'f': *out = '\f'; return 0;
    case 'n': *out = '\n'; return 0;
    case 'r': *out = '\r'; return 0;
    case 't': *out = '\t'; return 0;
    default: return -1;
  }
}

/* Parses the string at p->pos (on its opening quote) into a new
 * NUL-terminated buffer. The decoded text is never longer than the quoted
 * one, so one allocation of that size suffices. */
static char *
parse_string (parser *p, size_t *out_len)
{
  size_t end = p->pos + 1;
  while (end < p->len && p->text[end] != '"')
    end += p->text[end] == '\\' ? 2 : 1;
  if (end >= p->len) {
    fail (p, "unterminated string");
    return NULL;
  }
  char *s = malloc (end - p->pos + 1);
  if (!s) {
    fail (p, "out of memory");
    return NULL;
  }
  size_t n = 0;
  p->pos++;
  while (p->text[p->pos] != '"') {
    unsigned char c = (unsigned char) p->text[p->pos];
    if (c < 0x20) {
      fail (p, "control character in string (escape it)");
      free (s);
      return NULL;
    }
    if (c != '\\') {
      s[n++] = (char) c;
      p->pos++;
      continue;
    }
    p->pos++;
    char e = p->text[p->pos++];
    if (e == 'u') {
      size_t k = unicode_escape (p, s + n);
      if (!k) {
        free (s);
        return NULL;
      }
      n += k;
    } else if (simple_escape (e, s + n) == 0) {
      n++;
    } else {
      p->pos--;
      fail (p, "unknown escape in string");
      free (s);
      return NULL;
    }
  }
  p->pos++;
  s[n] = '\0';
  *out_len = n;
  return s;
}

static dd_json *parse_value (parser *p, int depth);

static int
push_item (parser *p, dd_json *v, dd_json *item, char *key)
{
  if ((v->n & (v->n - 1)) == 0) {
    size_t cap = v->n ? v->n * 2 : 1;
    dd_json **items = realloc (v->items, cap * sizeof *items);
    if (items)
      v->items = items;
    char **keys = v->type == DD_JSON_OBJECT ? realloc (v->keys, cap * sizeof *keys) : NULL;
    if (keys)
      v->keys = keys;
    if (!items || (v->type == DD_JSON_OBJECT && !keys)) {
      fail (p, "out of memory");
      return -1;
    }
  }
  v->items[v->n] = item;
  if (key)
    v->keys[v->n] = key;
  v->n++;
  return 0;
}

/* Parses "[...]" or "{...}"; p->pos is on the opening bracket. */
static int
parse_container (parser *p, dd_json *v, int depth)
{
  int object = v->type == DD_JSON_OBJECT;
  char close = object ? '}' : ']';
  p->pos++;
  skip_space (p);
  if (p->pos < p->len && p->text[p->pos] == close) {
    p->pos++;
    return 0;
  }
  for (;;) {
    char *key = NULL;
    if (object) {
      size_t key_len;
      if (p->pos >= p->len || p->text[p->pos] != '"') {
        fail (p, "expected a string key");
        return -1;
      }
      key = parse_string (p, &key_len);
      if (!key)
        return -1;
      if (dd_json_get (v, key)) {
        char what[160];
        snprintf (what, sizeof what, "duplicate key \"%.100s\"", key);
        free (key);
        fail (p, what);
        return -1;
      }
      skip_space (p);
      if (p->pos >= p->len || p->text[p->pos] != ':') {
        free (key);
        fail (p, "expected ':' after the key");
        return -1;
      }
      p->pos++;
    }
    dd_json *item = parse_value (p, depth + 1);
    if (!item || push_item (p, v, item, key) != 0) {
      dd_json_free (item);
      free (key);
      return -1;
    }
    skip_space (p);
    if (p->pos < p->len && p->text[p->pos] == ',') {
      p->pos++;
      skip_space (p);
      continue;
    }
    if (p->pos < p->len && p->text[p->pos] == close) {
      p->pos++;
      return 0;
    }
    fail (p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    return -1;
  }
}

static dd_json *
parse_value (parser *p, int depth)
{
  skip_space (p);
  if (p->pos >= p->len) {
    fail (p, "unexpected end of text (expected a value)");
    return NULL;
  }
  char c = p->text[p->pos];
  dd_json *v;
  int status = 0;
  switch (c) {
    case '{':
    case '[':
      if (depth >= DD_JSON_MAX_DEPTH) {
        fail (p, "nested too deep");
        return NULL;
      }
      v = new_value (p, c == '{' ? DD_JSON_OBJECT : DD_JSON_ARRAY);
      if (v)
        status = parse_container (p, v, depth);
      break;
    case '"':
      v = new_value (p, DD_JSON_STRING);
      if (v) {
        v->str = parse_string (p, &v->len);
        status = v->str ? 0 : -1;
      }
      break;
    case 't':
    case 'f':
      v = new_value (p, DD_JSON_BOOL);
      if (v) {
        v->boolean = c == 't';
        status = literal (p, c == 't' ? "true" : "false");
      }
      break;
    case 'n':
      v = new_value (p, DD_JSON_NULL);
      if (v)
        status = literal (p, "null");
      break;
    default:
      if (c != '-' && !is_digit (c)) {
        fail (p, "unexpected character (expected a value)");
        return NULL;
      }
      v = new_value (p, DD_JSON_NUMBER);
      if (v)
        status = parse_number (p, v);
      break;
  }
  if (status != 0) {
    dd_json_free (v);
    return NULL;
  }
  return v;
}

dd_json *
dd_json_parse (const char *text, size_t len, char *err, size_t err_len)
{
  parser p = {.text = text, .len = len, .line = 1, .err = err, .err_len = err_len};
  if (len > DD_JSON_MAX_SIZE) {
    snprintf (err, err_len, "text of %zu bytes is larger than the limit of %zu",
              len, DD_JSON_MAX_SIZE);
    return NULL;
  }
  dd_json *v = parse_value (&p, 0);
  if (!v)
    return NULL;
  skip_space (&p);
  if (p.pos != p.len) {
    fail (&p, "unexpected text after the value");
    dd_json_free (v);
    return NULL;
  }
  return v;
}

void
dd_json_free (dd_json *v)
{
  if (!v)
    return;
  for (size_t i = 0; i < v->n; i++) {
    dd_json_free (v->items[i]);
    if (v->keys)
      free (v->keys[i]);
  }
  free (v->items);
  free (v->keys);
  free (v->str);
  free (v);
}

const dd_json *
dd_json_get (const dd_json *v, const char *key)
{
  if (!v || v->type != DD_JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < v->n; i++)
    if (strcmp (v->keys[i], key) == 0)
      return v->items[i];
  return NULL;
}

int
dd_json_int (const dd_json *v, long long lo, long long hi, long long *out)
{
  if (!v || v->type != DD_JSON_NUMBER || v->number != floor (v->number)
      || v->number < (double) lo || v->number > (double) hi)
    return -1;
  *out = (long long) v->number;
  return 0;
}

static int
buf_reserve (dd_json_buf *b, size_t extra)
{
  if (b->failed)
    return -1;
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *data = realloc (b->data, cap);
  if (!data) {
    b->failed = 1;
    return -1;
  }
  b->data = data;
  b->cap = cap;
  return 0;
}

void
dd_json_buf_append (dd_json_buf *b, const char *s, size_t n)
{
  if (buf_reserve (b, n) != 0)
    return;
  memcpy (b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void
dd_json_buf_printf (dd_json_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (n < 0 || buf_reserve (b, (size_t) n) != 0) {
    b->failed = 1;
    return;
  }
  va_start (ap, fmt);
  vsnprintf (b->data + b->len, (size_t) n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}

void
dd_json_buf_string (dd_json_buf *b, const char *s)
{
  dd_json_buf_append (b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char) *s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char) c};
      dd_json_buf_append (b, esc, 2);
    } else if (c < 0x20) {
      dd_json_buf_printf (b, "\\u%04x", c);
    } else {
      dd_json_buf_append (b, (const char *) &c, 1);
    }
  }
  dd_json_buf_append (b, "\"", 1);
}

void
dd_json_buf_clear (dd_json_buf *b)
{
  free (b->data);
  *b = (dd_json_buf) {0};
}
