/* JSON text for numbers and strings, for the COCO writer and the
 * evaluator's report: numbers with the fewest digits that read back to
 * exactly the same double (in any locale), strings escaped. */
#include "data/coco_private.h"

void
dd_coco_append_double (GString *s, double v)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int i = 0; i < 3; i++) {
    g_ascii_formatd (buf, sizeof buf, formats[i], v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  g_string_append (s, buf);
}

void
dd_coco_append_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const unsigned char *p = (const unsigned char *) str; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (s, "\\u%04x", *p);
    else
      g_string_append_c (s, (char) *p);
  }
  g_string_append_c (s, '"');
}
