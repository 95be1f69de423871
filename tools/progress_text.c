#include "progress_text.h"

#include <math.h>
#include <stdio.h>

void
dd_format_duration (char *buf, size_t len, double s)
{
  if (!isfinite (s) || s < 0)
    snprintf (buf, len, "?");
  else if (s < 60)
    snprintf (buf, len, "%.0fs", s);
  else if (s < 3600)
    snprintf (buf, len, "%dm%02ds", (int) s / 60, (int) s % 60);
  else
    snprintf (buf, len, "%dh%02dm", (int) s / 3600, (int) s % 3600 / 60);
}

void
dd_format_rate (char *buf, size_t len, double images_per_second)
{
  if (images_per_second > 0.0)
    snprintf (buf, len, "%.1f img/s", images_per_second);
  else
    snprintf (buf, len, "? img/s");
}
