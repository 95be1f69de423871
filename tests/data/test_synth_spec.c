/* Benchmark specs (lib/data/synth_spec.h): the built-in ones, and every
 * fault in a spec named with its file and field. */
#include <glib.h>
#include <string.h>

#include "data/synth_spec.h"

static void
test_builtin (void)
{
  static const int labeled35[] = { 7, 35, 350 };
  for (int i = 0; dd_spec_builtin[i]; i++) {
    GError *error = NULL;
    dd_spec *spec = dd_spec_load (dd_spec_builtin[i], &error);
    g_assert_no_error (error);
    g_assert_cmpstr (spec->name, ==, dd_spec_builtin[i]);
    g_assert_cmpint (dd_spec_find_split (spec, "labeled-35")->count, ==, labeled35[i]);
    /* The paper's proportions: 35 : 80 : 120. */
    g_assert_cmpint (dd_spec_find_split (spec, "labeled-80")->count * 35, >=,
        79 * labeled35[i]);
    g_assert_cmpint (dd_spec_find_split (spec, "unlabeled-120")->count * 35, >=,
        119 * labeled35[i]);
    const dd_split *u = dd_spec_find_split (spec, "labeled-115");
    g_assert_cmpint (u->kind, ==, DD_SPLIT_UNION);
    g_assert_cmpint (u->n_parts, ==, 2);
    g_assert_cmpstr (spec->splits[u->parts[1]].name, ==, "labeled-80");
    g_assert_true (dd_spec_find_split (spec, "unlabeled-120")->hidden_truth);
    const dd_split *v = dd_spec_find_split (spec, "video-180");
    g_assert_cmpint (v->kind, ==, DD_SPLIT_VIDEOS);
    g_assert_true (v->style == dd_style_get (DD_STYLE_DISSIMILAR));
    g_assert_cmpint (v->n_codecs, ==, 2);
    g_assert_cmpint (v->width % 2, ==, 0);
    g_assert_true (dd_spec_find_split (spec, "val")->style
        == dd_style_get (DD_STYLE_SIMILAR));
    g_assert_cmpint (spec->limits.max_people, ==, 4);
    g_assert_cmpfloat (spec->limits.min_height, ==, 0.4);
    g_assert_cmpfloat (spec->limits.max_height, ==, 0.9);
    dd_spec_free (spec);
  }
}

/* A valid spec with one piece replaced. */
static char *
spec_with (const char *from, const char *to)
{
  static const char base[] =
      "{ \"name\": \"t\", \"description\": \"d\", \"image_format\": \"png\",\n"
      "  \"people\": { \"min\": 0, \"max\": 6, \"min_height\": 0.1, \"max_height\": 0.9 },\n"
      "  \"styles\": { \"similar\": { \"width\": 64, \"height\": 48 },\n"
      "              \"dissimilar\": { \"width\": 80, \"height\": 46 } },\n"
      "  \"splits\": [\n"
      "    { \"name\": \"a\", \"kind\": \"images\", \"style\": \"similar\", \"images\": 3 },\n"
      "    { \"name\": \"b\", \"kind\": \"images\", \"style\": \"similar\", \"images\": 2 },\n"
      "    { \"name\": \"h\", \"kind\": \"images\", \"style\": \"similar\", \"images\": 2, \"hidden_truth\": true },\n"
      "    { \"name\": \"ab\", \"kind\": \"union\", \"of\": [ \"a\", \"b\" ] },\n"
      "    { \"name\": \"v\", \"kind\": \"videos\", \"style\": \"dissimilar\", \"videos\": 1,\n"
      "      \"frames\": 4, \"fps\": 10, \"codecs\": [ \"vp8\" ] } ] }";
  if (!from)
    return g_strdup (base);
  const char *at = strstr (base, from);
  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - base), base, to,
      at + strlen (from));
}

static void
test_valid (void)
{
  g_autofree char *text = spec_with (NULL, NULL);
  GError *error = NULL;
  dd_spec *spec = dd_spec_parse (text, -1, "mine.json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (spec->n_splits, ==, 5);
  g_assert_true (spec->splits[2].hidden_truth);
  g_assert_cmpint (spec->seed, ==, 1);
  g_assert_cmpint (spec->jpeg_quality, ==, 92);
  g_assert_cmpint (spec->splits[4].width, ==, 80);
  g_assert_cmpint (spec->splits[4].codecs[0], ==, DD_VIDEO_VP8_MKV);
  dd_spec_free (spec);
}

static const struct {
  const char *from, *to;        /* the fault: `from` replaced by `to` */
  const char *expect;           /* in the message, after the file name */
} faults[] = {
  { "{ \"name\": \"t\"", "[", "not valid JSON" },
  { "\"description\": \"d\",", "", "description: missing" },
  { "\"image_format\": \"png\"", "\"image_format\": \"gif\"", "image_format: 'gif'" },
  { "\"image_format\": \"png\"", "\"image_format\": \"png\", \"colour\": 1", "colour: unknown field" },
  { "\"max\": 6", "\"max\": 9", "people.max: must be an integer from 0 to 8" },
  { "\"max_height\": 0.9", "\"max_height\": 0.05", "people.max_height: 0.05 is out of range" },
  { "\"max_height\": 0.9", "\"max_height\": \"x\"", "people.max_height: must be a number" },
  { "\"width\": 64", "\"width\": \"64\"", "styles.similar.width: must be an integer" },
  { "\"width\": 80", "\"width\": 81", "styles.dissimilar.width: videos of style 'dissimilar' need an even width" },
  { "\"images\": 3", "\"images\": -3", "splits[0].images: must be an integer from 1" },
  { "\"images\": 3", "\"image\": 3", "splits[0].image: unknown field" },
  { "\"style\": \"similar\", \"images\": 3", "\"style\": \"sunny\", \"images\": 3", "splits[0].style: 'sunny' is no style" },
  { "\"hidden_truth\": true", "\"hidden_truth\": 1", "splits[2].hidden_truth: must be true or false" },
  { "\"name\": \"b\"", "\"name\": \"a\"", "splits[1].name: 'a' is used twice" },
  { "\"name\": \"b\"", "\"name\": \"../b\"", "splits[1].name: '../b' must be letters" },
  { "\"name\": \"b\"", "\"name\": \"hidden\"", "splits[1].name: 'hidden' must be letters" },
  { "\"name\": \"b\"", "\"name\": \"spec\"", "splits[1].name: 'spec' must be letters" },
  { "\"name\": \"b\"", "\"name\": \"Hidden\"", "splits[1].name: 'Hidden' must be letters" },
  { "\"name\": \"b\"", "\"name\": \"SPEC\"", "splits[1].name: 'SPEC' must be letters" },
  { "\"name\": \"b\"", "\"name\": \"A\"", "splits[1].name: 'A' is used twice (as 'a': names that differ only in case" },
  { "[ \"a\", \"b\" ]", "[ \"a\", \"v\" ]", "splits[3].of: entry 1 ('v') is not an image split listed before" },
  { "[ \"a\", \"b\" ]", "[ \"a\", \"h\" ]", "splits[3].of: entry 1 ('h') keeps its truth hidden" },
  { "[ \"a\", \"b\" ]", "[ \"a\", \"a\" ]", "splits[3].of: entry 1 ('a') repeats entry 0" },
  { "[ \"a\", \"b\" ]", "[ \"b\", \"a\", \"b\" ]", "splits[3].of: entry 2 ('b') repeats entry 0" },
  { "\"kind\": \"union\"", "\"kind\": \"mixture\"", "splits[3].kind: 'mixture' is not images, union or videos" },
  { "[ \"vp8\" ]", "[ \"h265\" ]", "splits[4].codecs: entry 0 is not \"h264\" or \"vp8\"" },
  { "\"fps\": 10", "\"fps\": 0", "splits[4].fps: must be an integer from 1 to 240" },
};

static void
test_faults (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (faults); i++) {
    g_autofree char *text = spec_with (faults[i].from, faults[i].to);
    GError *error = NULL;
    dd_spec *spec = dd_spec_parse (text, -1, "mine.json", &error);
    g_assert_null (spec);
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_true (g_str_has_prefix (error->message, "mine.json: "));
    if (!strstr (error->message, faults[i].expect))
      g_error ("fault %zu: '%s' does not say '%s'", i, error->message,
          faults[i].expect);
    g_error_free (error);
  }
}

static void
test_missing_file (void)
{
  GError *error = NULL;
  g_assert_null (dd_spec_load ("/nonexistent/spec.json", &error));
  g_assert_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/spec.json"));
  g_assert_nonnull (strstr (error->message, "test, quick, small"));
  g_error_free (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synth/spec/builtin", test_builtin);
  g_test_add_func ("/synth/spec/valid", test_valid);
  g_test_add_func ("/synth/spec/faults", test_faults);
  g_test_add_func ("/synth/spec/missing-file", test_missing_file);
  return g_test_run ();
}
