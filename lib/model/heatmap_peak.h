/* Which cells of a heatmap are peaks: CenterNet's rule, shared by the
 * decoder (lib/model/decode.c) and the ensembling rules that read
 * averaged maps (lib/distill/heatmap_snap.c). */
#ifndef DD_MODEL_HEATMAP_PEAK_H
#define DD_MODEL_HEATMAP_PEAK_H

#include <stdbool.h>

/* Whether cell (x, y) of an h x w plane holds the maximum of its 3x3
 * neighbourhood (ties count: CenterNet keeps every cell equal to the
 * max-pooled map). */
bool dd_heatmap_is_peak (const float *plane, int h, int w, int x, int y);

#endif
