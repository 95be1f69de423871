/* The strict JSON reader: values, escapes, numbers, error positions,
 * limits, and the writer's string escaping. */
#include <string.h>

#include "check.h"
#include "nn/json.h"

static dd_json *
parse (const char *text, char *err, size_t err_len)
{
  return dd_json_parse (text, strlen (text), err, err_len);
}

static void
test_values (void)
{
  char err[256] = "";
  dd_json *v = parse (" {\"a\": [1, -0.5e2, 1E3, 0], \"b\": {\"c\": true, \"d\": false},"
                      " \"e\": null, \"f\": \"x\"}\n", err, sizeof err);
  CHECK (v != NULL);
  if (!v)
    return;
  CHECK (v->type == DD_JSON_OBJECT && v->n == 4);
  CHECK (strcmp (v->keys[0], "a") == 0 && strcmp (v->keys[3], "f") == 0);
  const dd_json *a = dd_json_get (v, "a");
  CHECK (a && a->type == DD_JSON_ARRAY && a->n == 4);
  CHECK_CLOSE (a->items[0]->number, 1, 0, 0);
  CHECK_CLOSE (a->items[1]->number, -50, 0, 0);
  CHECK_CLOSE (a->items[2]->number, 1000, 0, 0);
  CHECK_CLOSE (a->items[3]->number, 0, 0, 0);
  const dd_json *b = dd_json_get (v, "b");
  CHECK (dd_json_get (b, "c")->boolean == 1 && dd_json_get (b, "d")->boolean == 0);
  CHECK (dd_json_get (v, "e")->type == DD_JSON_NULL);
  CHECK (strcmp (dd_json_get (v, "f")->str, "x") == 0);
  CHECK (dd_json_get (v, "missing") == NULL);
  CHECK (dd_json_get (a, "a") == NULL);
  CHECK (a->line == 1 && a->col == 8);
  dd_json_free (v);
}

static void
test_escapes (void)
{
  char err[256] = "";
  dd_json *v = parse ("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \\u0000z\"",
                      err, sizeof err);
  CHECK (v != NULL);
  if (!v)
    return;
  const char want[] = "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 \0z";
  CHECK (v->len == sizeof want - 1);
  CHECK (memcmp (v->str, want, sizeof want) == 0);
  dd_json_free (v);
}

static void
test_int (void)
{
  char err[256];
  dd_json *v = parse ("[3, 3.5, -2, 1e9, \"3\"]", err, sizeof err);
  long long x = 0;
  CHECK (dd_json_int (v->items[0], 0, 10, &x) == 0 && x == 3);
  CHECK (dd_json_int (v->items[1], 0, 10, &x) != 0);
  CHECK (dd_json_int (v->items[2], 0, 10, &x) != 0);
  CHECK (dd_json_int (v->items[2], -5, 10, &x) == 0 && x == -2);
  CHECK (dd_json_int (v->items[3], 0, 1000, &x) != 0);
  CHECK (dd_json_int (v->items[4], 0, 10, &x) != 0);
  dd_json_free (v);
}

/* Each malformed text must fail with the given message fragment. */
static void
expect_error (const char *text, const char *fragment)
{
  char err[256] = "";
  dd_json *v = parse (text, err, sizeof err);
  CHECK (v == NULL);
  if (!strstr (err, fragment)) {
    fprintf (stderr, "  text %s: error '%s' lacks '%s'\n", text, err, fragment);
    check_failures++;
  }
  dd_json_free (v);
}

static void
test_errors (void)
{
  expect_error ("{\n  \"a\": tru }", "line 2, column 8:");
  expect_error ("[1, 2,]", "line 1, column 7: unexpected character");
  expect_error ("{\"a\": 1,}", "expected a string key");
  expect_error ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"");
  expect_error ("[01]", "no leading zeros");
  expect_error ("[1.]", "digit must follow '.'");
  expect_error ("[-]", "digit must follow '-'");
  expect_error ("[1e]", "exponent");
  expect_error ("[1e999]", "out of range");
  expect_error ("\"a\tb\"", "control character");
  expect_error ("\"abc", "unterminated string");
  expect_error ("\"\\x\"", "unknown escape");
  expect_error ("\"\\u12g4\"", "four hex digits");
  expect_error ("\"\\udc00\"", "lone low surrogate");
  expect_error ("\"\\ud800x\"", "without its low surrogate");
  expect_error ("[1] 2", "unexpected text after the value");
  expect_error ("", "unexpected end of text");
  expect_error ("   ", "line 1, column 4: unexpected end");
  expect_error ("{\"a\" 1}", "expected ':'");
  expect_error ("[1 2]", "expected ',' or ']'");
  expect_error ("{\"a\": 1 \"b\": 2}", "expected ',' or '}'");
  expect_error ("// comment\n{}", "unexpected character");
  expect_error ("[NaN]", "unexpected character");
}

static void
test_depth_limit (void)
{
  char text[2 * DD_JSON_MAX_DEPTH + 8];
  char err[256] = "";
  for (int depth = DD_JSON_MAX_DEPTH; depth <= DD_JSON_MAX_DEPTH + 1; depth++) {
    memset (text, '[', (size_t) depth);
    memset (text + depth, ']', (size_t) depth);
    text[2 * depth] = '\0';
    dd_json *v = parse (text, err, sizeof err);
    CHECK ((v != NULL) == (depth == DD_JSON_MAX_DEPTH));
    dd_json_free (v);
  }
  CHECK (strstr (err, "nested too deep") != NULL);
  /* The size limit is checked before any byte is read. */
  CHECK (dd_json_parse ("[]", DD_JSON_MAX_SIZE + 1, err, sizeof err) == NULL);
  CHECK (strstr (err, "larger than the limit") != NULL);
}

static void
test_writer (void)
{
  dd_json_buf b = {0};
  const char *s = "tab\there \"quoted\" back\\slash \x01 caf\xc3\xa9";
  dd_json_buf_string (&b, s);
  dd_json_buf_printf (&b, "%s%d", "", 0);
  CHECK (!b.failed);
  CHECK (strcmp (b.data + b.len - 1, "0") == 0);
  char err[256] = "";
  dd_json *v = dd_json_parse (b.data, b.len - 1, err, sizeof err);
  CHECK (v && v->type == DD_JSON_STRING && strcmp (v->str, s) == 0);
  CHECK (strstr (b.data, "\\u0001") != NULL);
  dd_json_free (v);
  dd_json_buf_clear (&b);
  CHECK (b.data == NULL && b.len == 0);
}

int
main (void)
{
  RUN_TEST (test_values);
  RUN_TEST (test_escapes);
  RUN_TEST (test_int);
  RUN_TEST (test_errors);
  RUN_TEST (test_depth_limit);
  RUN_TEST (test_writer);
  return check_exit_status ();
}
