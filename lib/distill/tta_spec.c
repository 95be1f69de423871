#include "distill/tta_spec.h"

#include <math.h>
#include <string.h>

#include "distill/distill_error.h"

/* Which list a bare number continues. */
typedef enum { LIST_NONE, LIST_SCALES, LIST_FACTORS } list_kind;

typedef struct parser {
  const char *text;             /* the whole spec, for messages */
  int item;                     /* 1-based item number, for messages */
  const char *item_text;
  list_kind list;
  gboolean flip;
  /* Values of scales= and factors=, before "flip" doubles them. */
  int n_values;
  dd_tta_entry values[DD_TTA_MAX_TRANSFORMS];
  /* Explicit entries of list=, as written. */
  int n_listed;
  dd_tta_entry listed[DD_TTA_MAX_TRANSFORMS];
} parser;

static gboolean
fail (parser *p, GError **error, const char *what)
{
  g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
      "transform spec '%s', item %d '%s': %s", p->text, p->item, p->item_text,
      what);
  return FALSE;
}

/* A whole string as a finite number (no trailing characters). */
static gboolean
parse_number (const char *s, double *out)
{
  char *end = NULL;
  if (*s == '\0' || g_ascii_isspace (*s))
    return FALSE;
  double v = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
check_value (parser *p, list_kind kind, double v, GError **error)
{
  if (kind == LIST_SCALES && (v != floor (v) || v < 1 || v > DD_TTA_MAX_SIDE)) {
    char *msg = g_strdup_printf ("a shorter side is a whole number of pixels "
        "from 1 to %d, not %g", DD_TTA_MAX_SIDE, v);
    fail (p, error, msg);
    g_free (msg);
    return FALSE;
  }
  if (kind == LIST_FACTORS && !(v > 0 && v <= 16)) {
    char *msg = g_strdup_printf ("a factor is a number above 0 and at most 16, "
        "not %g", v);
    fail (p, error, msg);
    g_free (msg);
    return FALSE;
  }
  return TRUE;
}

static gboolean
add_value (parser *p, list_kind kind, double v, GError **error)
{
  if (!check_value (p, kind, v, error))
    return FALSE;
  if (p->n_values == DD_TTA_MAX_TRANSFORMS)
    return fail (p, error, "too many scales and factors (at most 64 transforms)");
  p->values[p->n_values++] = (dd_tta_entry) {
    .absolute = kind == LIST_SCALES, .value = v, .flip = FALSE,
  };
  return TRUE;
}

/* "v" or "first:last:step", inclusive of `last` when the steps land on it. */
static gboolean
parse_values (parser *p, list_kind kind, const char *s, GError **error)
{
  const char *example = kind == LIST_SCALES ? "scales=96:224:32" : "factors=0.5:1.5:0.25";
  char **parts = g_strsplit (s, ":", -1);
  int n = g_strv_length (parts);
  double v[3];
  gboolean ok = n == 1 || n == 3;
  for (int i = 0; ok && i < n; i++)
    ok = parse_number (parts[i], &v[i]);
  g_strfreev (parts);
  if (!ok) {
    char *msg = g_strdup_printf ("expected a number or a range first:last:step "
        "(as in %s)", example);
    fail (p, error, msg);
    g_free (msg);
    return FALSE;
  }
  p->list = kind;
  if (n == 1)
    return add_value (p, kind, v[0], error);
  if (!(v[2] > 0))
    return fail (p, error, "the step of a range must be positive");
  if (v[1] < v[0])
    return fail (p, error, "a range goes from the smaller value to the larger");
  /* A tolerance of a millionth of a step, so 0.5:1.5:0.1 includes 1.5. */
  double steps = floor ((v[1] - v[0]) / v[2] + 1e-6);
  if (steps + 1 > DD_TTA_MAX_TRANSFORMS)
    return fail (p, error, "the range has more than 64 values");
  for (int i = 0; i <= (int) steps; i++)
    if (!add_value (p, kind, v[0] + i * v[2], error))
      return FALSE;
  return TRUE;
}

/* One list= entry: "128", "128f", "0.5x", "0.5xf". */
static gboolean
parse_entry (parser *p, const char *entry, GError **error)
{
  char *s = g_strstrip (g_strdup (entry));
  size_t len = strlen (s);
  dd_tta_entry e = { .absolute = TRUE, .flip = FALSE };
  if (len > 0 && s[len - 1] == 'f') {
    e.flip = TRUE;
    s[--len] = '\0';
  }
  if (len > 0 && s[len - 1] == 'x') {
    e.absolute = FALSE;
    s[--len] = '\0';
  }
  gboolean ok = parse_number (s, &e.value);
  g_free (s);
  if (!ok) {
    char *msg = g_strdup_printf ("list entry '%s' is neither a shorter side "
        "(128, 128f) nor a factor (0.5x, 0.5xf)", entry);
    fail (p, error, msg);
    g_free (msg);
    return FALSE;
  }
  if (!check_value (p, e.absolute ? LIST_SCALES : LIST_FACTORS, e.value, error))
    return FALSE;
  if (p->n_listed == DD_TTA_MAX_TRANSFORMS)
    return fail (p, error, "too many list entries (at most 64 transforms)");
  p->listed[p->n_listed++] = e;
  return TRUE;
}

static gboolean
parse_item (parser *p, const char *item, GError **error)
{
  double v;
  if (strcmp (item, "flip") == 0) {
    p->flip = TRUE;
    return TRUE;
  }
  if (strcmp (item, "identity") == 0)
    return TRUE;
  if (g_str_has_prefix (item, "scales="))
    return parse_values (p, LIST_SCALES, item + strlen ("scales="), error);
  if (g_str_has_prefix (item, "factors="))
    return parse_values (p, LIST_FACTORS, item + strlen ("factors="), error);
  if (g_str_has_prefix (item, "list=")) {
    p->list = LIST_NONE;
    char **entries = g_strsplit (item + strlen ("list="), ";", -1);
    gboolean ok = TRUE;
    for (int i = 0; ok && entries[i]; i++)
      ok = parse_entry (p, entries[i], error);
    g_strfreev (entries);
    return ok;
  }
  if (parse_number (item, &v)) {
    if (p->list == LIST_NONE)
      return fail (p, error, "a bare number continues a scales= or factors= "
          "list, and none comes before it");
    return add_value (p, p->list, v, error);
  }
  return fail (p, error, "expected scales=, factors=, list=, flip, identity, or "
      "a number continuing a scales=/factors= list (as in scales=96:224:32,flip)");
}

dd_tta_spec *
dd_tta_spec_parse (const char *text, GError **error)
{
  parser p = { .text = text };
  char *trimmed = g_strstrip (g_strdup (text));
  if (*trimmed != '\0') {
    char **items = g_strsplit (trimmed, ",", -1);
    gboolean ok = TRUE;
    for (int i = 0; ok && items[i]; i++) {
      char *item = g_strstrip (items[i]);
      p.item = i + 1;
      p.item_text = item;
      ok = parse_item (&p, item, error);
    }
    g_strfreev (items);
    if (!ok) {
      g_free (trimmed);
      return NULL;
    }
  }
  /* "flip" alone mirrors the frame at its own size. */
  if (p.flip && p.n_values == 0)
    p.values[p.n_values++] = (dd_tta_entry) { .absolute = FALSE, .value = 1.0 };
  int n_entries = p.n_values * (p.flip ? 2 : 1) + p.n_listed;
  if (n_entries > DD_TTA_MAX_TRANSFORMS) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
        "transform spec '%s' makes %d transforms; at most %d are allowed",
        text, n_entries, DD_TTA_MAX_TRANSFORMS);
    g_free (trimmed);
    return NULL;
  }
  dd_tta_spec *spec = g_new0 (dd_tta_spec, 1);
  spec->text = trimmed;
  for (int i = 0; i < p.n_values; i++) {
    spec->entries[spec->n_entries++] = p.values[i];
    if (p.flip) {
      spec->entries[spec->n_entries] = p.values[i];
      spec->entries[spec->n_entries++].flip = TRUE;
    }
  }
  for (int i = 0; i < p.n_listed; i++)
    spec->entries[spec->n_entries++] = p.listed[i];
  return spec;
}

void
dd_tta_spec_free (dd_tta_spec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->text);
  g_free (spec);
}

static void
entry_size (const dd_tta_entry *e, int fw, int fh, long *w, long *h)
{
  if (!e->absolute) {
    *w = lround (fw * e->value);
    *h = lround (fh * e->value);
  } else if (fw <= fh) {
    *w = lround (e->value);
    *h = lround ((double) fh * e->value / fw);
  } else {
    *h = lround (e->value);
    *w = lround ((double) fw * e->value / fh);
  }
}

int
dd_tta_spec_resolve (const dd_tta_spec *spec, int frame_width, int frame_height,
    dd_tta_transform *out, GError **error)
{
  if (frame_width < 1 || frame_height < 1 || frame_width > DD_TTA_MAX_SIDE
      || frame_height > DD_TTA_MAX_SIDE) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
        "transform spec '%s': a frame of %dx%d pixels cannot be transformed "
        "(sides from 1 to %d)", spec->text, frame_width, frame_height,
        DD_TTA_MAX_SIDE);
    return -1;
  }
  int n = 0;
  out[n++] = dd_tta_identity (frame_width, frame_height);
  for (int i = 0; i < spec->n_entries; i++) {
    const dd_tta_entry *e = &spec->entries[i];
    long w, h;
    entry_size (e, frame_width, frame_height, &w, &h);
    if (w < 1 || h < 1 || w > DD_TTA_MAX_SIDE || h > DD_TTA_MAX_SIDE) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
          "transform spec '%s': %s %g%s makes the %dx%d frame %ldx%ld pixels; "
          "each side must be from 1 to %d (choose %s)", spec->text,
          e->absolute ? "shorter side" : "factor", e->value, e->flip ? " (flipped)" : "",
          frame_width, frame_height, w, h, DD_TTA_MAX_SIDE,
          w < 1 || h < 1 ? "a larger value" : "a smaller value");
      return -1;
    }
    dd_tta_transform t = {
      .frame_width = frame_width, .frame_height = frame_height,
      .width = (int) w, .height = (int) h, .flip = e->flip,
    };
    gboolean seen = FALSE;
    for (int j = 0; j < n && !seen; j++)
      seen = out[j].width == t.width && out[j].height == t.height
          && out[j].flip == t.flip;
    if (seen)
      continue;
    if (n == DD_TTA_MAX_TRANSFORMS) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_SPEC,
          "transform spec '%s' makes more than %d distinct transforms with the "
          "identity for a %dx%d frame; name fewer", spec->text,
          DD_TTA_MAX_TRANSFORMS, frame_width, frame_height);
      return -1;
    }
    out[n++] = t;
  }
  return n;
}
