/* The parts of a progress line that several commands print alike. */
#ifndef DD_TOOLS_PROGRESS_TEXT_H
#define DD_TOOLS_PROGRESS_TEXT_H

#include <stddef.h>

/* "42s", "3m07s" or "1h05m"; "?" while the time is unknown (not finite or
 * negative). */
void dd_format_duration (char *buf, size_t len, double seconds);

/* "139.0 img/s"; "? img/s" while no rate is known yet (not above 0). */
void dd_format_rate (char *buf, size_t len, double images_per_second);

#endif
