/* The transform spec: its grammar, what it resolves to for a frame (sizes,
 * flips, the identity first, duplicates once), and its errors. */
#include <string.h>

#include "check.h"
#include "distill/distill_error.h"
#include "distill/tta_spec.h"

/* Resolves `text` for a frame and checks the transforms against
 * `expected`, written as dd_tta_transform_name writes them, joined by
 * spaces. */
static void
check_resolves (const char *text, int fw, int fh, const char *expected)
{
  GError *error = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse (text, &error);
  CHECK (spec != NULL);
  if (spec == NULL) {
    fprintf (stderr, "  '%s': %s\n", text, error->message);
    g_error_free (error);
    return;
  }
  dd_tta_transform t[DD_TTA_MAX_TRANSFORMS];
  int n = dd_tta_spec_resolve (spec, fw, fh, t, &error);
  CHECK (n > 0);
  GString *got = g_string_new (NULL);
  for (int i = 0; i < n; i++) {
    char name[32];
    dd_tta_transform_name (&t[i], name, sizeof name);
    g_string_append_printf (got, "%s%s", i ? " " : "", name);
    CHECK (t[i].frame_width == fw && t[i].frame_height == fh);
  }
  if (strcmp (got->str, expected) != 0) {
    fprintf (stderr, "  '%s' on %dx%d: got '%s', expected '%s'\n", text, fw, fh,
        got->str, expected);
    check_failures++;
  }
  CHECK (n > 0 && dd_tta_is_identity (&t[0]));
  g_string_free (got, TRUE);
  dd_tta_spec_free (spec);
}

static void
test_scales (void)
{
  /* The paper's 400:1200:100 in small: 96 to 224 by 32, inclusive, each
   * also flipped; the 128x96 frame's shorter side is its height. */
  check_resolves ("scales=96:224:32,flip", 128, 96,
      "128x96 128x96f 171x128 171x128f 213x160 213x160f 256x192 256x192f "
      "299x224 299x224f");
  /* A portrait frame: the width is the shorter side. */
  check_resolves ("scales=64:128:64", 60, 100, "60x100 64x107 128x213");
  /* A range whose end is off the grid stops before it. */
  check_resolves ("scales=100:200:60", 100, 100, "100x100 160x160");
  /* Bare numbers continue the list; spaces around items are ignored. */
  check_resolves (" scales=64 , 80, 96 ", 128, 128, "128x128 64x64 80x80 96x96");
}

static void
test_factors_and_lists (void)
{
  check_resolves ("factors=0.5,1,1.5,flip", 64, 48,
      "64x48 32x24 32x24f 64x48f 96x72 96x72f");
  /* Floating ranges include their end. */
  check_resolves ("factors=0.5:1.5:0.1", 10, 10,
      "10x10 5x5 6x6 7x7 8x8 9x9 11x11 12x12 13x13 14x14 15x15");
  check_resolves ("list=128;128f;160;160f", 128, 128, "128x128 128x128f 160x160 160x160f");
  check_resolves ("list=1x;0.5xf;2x", 40, 30, "40x30 20x15f 80x60");
  /* "flip" alone: the frame and its mirror. */
  check_resolves ("flip", 64, 48, "64x48 64x48f");
  /* The empty spec and "identity" are the untransformed pass alone. */
  check_resolves ("", 64, 48, "64x48");
  check_resolves ("identity", 64, 48, "64x48");
  /* Two values rounding to one size come out once. */
  check_resolves ("factors=0.5,0.51", 10, 10, "10x10 5x5");
  /* "flip" doubles scales and factors, never list entries. */
  check_resolves ("list=64,flip,scales=32", 64, 64, "64x64 32x32 32x32f");
}

static void
test_spec_text (void)
{
  GError *error = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse ("  scales=96:224:32,flip ", &error);
  CHECK (spec != NULL && strcmp (spec->text, "scales=96:224:32,flip") == 0);
  CHECK (spec != NULL && spec->n_entries == 10);
  dd_tta_spec_free (spec);
}

/* `text` fails to parse, and the message holds every one of `words`. */
static void
check_bad (const char *text, const char *const *words)
{
  GError *error = NULL;
  dd_tta_spec *spec = dd_tta_spec_parse (text, &error);
  CHECK (spec == NULL);
  CHECK (error != NULL && error->domain == DD_DISTILL_ERROR
      && error->code == DD_DISTILL_ERROR_SPEC);
  for (int i = 0; error && words[i]; i++)
    if (strstr (error->message, words[i]) == NULL) {
      fprintf (stderr, "  '%s': message '%s' lacks '%s'\n", text, error->message,
          words[i]);
      check_failures++;
    }
  dd_tta_spec_free (spec);
  g_clear_error (&error);
}

static void
test_bad_specs (void)
{
  check_bad ("scales=96:224:0", (const char *[]) { "item 1", "step", "positive", NULL });
  check_bad ("scales=224:96:32", (const char *[]) { "smaller value", NULL });
  check_bad ("scales=96:224", (const char *[]) { "first:last:step", NULL });
  check_bad ("flip,scales=9.5", (const char *[]) { "item 2", "whole number", NULL });
  check_bad ("scales=0", (const char *[]) { "from 1", NULL });
  check_bad ("factors=0", (const char *[]) { "above 0", NULL });
  check_bad ("factors=-1", (const char *[]) { "above 0", NULL });
  check_bad ("factors=abc", (const char *[]) { "number", NULL });
  check_bad ("flip,128", (const char *[]) { "item 2", "continues", NULL });
  check_bad ("scale=128", (const char *[]) { "'scale=128'", "expected scales=", NULL });
  check_bad ("list=128;12q", (const char *[]) { "'12q'", "shorter side", NULL });
  check_bad ("list=128;", (const char *[]) { "list entry", NULL });
  check_bad ("scales=96,,128", (const char *[]) { "item 2", NULL });
  check_bad ("factors=0.1:16:0.1", (const char *[]) { "more than 64", NULL });
  check_bad ("scales=8:512:8,flip", (const char *[]) { "transforms", "64", NULL });
  check_bad ("scales=nan", (const char *[]) { "number", NULL });
}

static void
test_bad_resolutions (void)
{
  GError *error = NULL;
  dd_tta_transform t[DD_TTA_MAX_TRANSFORMS];
  dd_tta_spec *spec = dd_tta_spec_parse ("factors=0.01", &error);
  CHECK (spec != NULL);
  CHECK (dd_tta_spec_resolve (spec, 64, 48, t, &error) == -1);
  CHECK (error && strstr (error->message, "64x48") && strstr (error->message, "1x0")
      && strstr (error->message, "larger"));
  g_clear_error (&error);
  CHECK (dd_tta_spec_resolve (spec, 0, 48, t, &error) == -1);
  CHECK (error && strstr (error->message, "0x48"));
  g_clear_error (&error);
  dd_tta_spec_free (spec);
  spec = dd_tta_spec_parse ("factors=16", &error);
  CHECK (dd_tta_spec_resolve (spec, 2000, 1000, t, &error) == -1);
  CHECK (error && strstr (error->message, "smaller"));
  g_clear_error (&error);
  dd_tta_spec_free (spec);
  /* 64 scales, none the frame's own: 65 transforms with the identity. */
  spec = dd_tta_spec_parse ("scales=8:512:8", &error);
  CHECK (spec != NULL);
  CHECK (dd_tta_spec_resolve (spec, 1000, 1000, t, &error) == -1);
  CHECK (error && strstr (error->message, "more than 64"));
  g_clear_error (&error);
  dd_tta_spec_free (spec);
}

int
main (void)
{
  RUN_TEST (test_scales);
  RUN_TEST (test_factors_and_lists);
  RUN_TEST (test_spec_text);
  RUN_TEST (test_bad_specs);
  RUN_TEST (test_bad_resolutions);
  return check_exit_status ();
}
