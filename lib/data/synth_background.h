/* Backgrounds of the synthetic scenes: a backdrop over a ground plane, each
 * with its own texture, props (boxes, poles, blobs, painted lines) and
 * distractors: things shaped and coloured like limbs and heads (single and
 * bent capsules in skin and clothing paints, loose discs) that a person
 * detector must learn to ignore.
 *
 * Everything is placed in world coordinates over a strip wider than the
 * frame, so a panning camera shows a consistent world. */
#ifndef DD_DATA_SYNTH_BACKGROUND_H
#define DD_DATA_SYNTH_BACKGROUND_H

#include <cairo.h>
#include <stdbool.h>

#include "data/synth_shape.h"
#include "data/synth_style.h"

#define DD_BACKGROUND_MAX_ITEMS 96

typedef struct dd_background_item {
  dd_shape shape;               /* world pixels */
  dd_paint paint;
  double unit;                  /* texture scale, pixels */
  bool limb_like;               /* a distractor, not a prop */
} dd_background_item;

typedef struct dd_background {
  double horizon;               /* row where the ground starts */
  dd_paint backdrop, ground;    /* the two planes */
  dd_paint backdrop_overlay, ground_overlay;    /* translucent textures */
  double overlay_alpha;
  int n_items;
  dd_background_item items[DD_BACKGROUND_MAX_ITEMS];
} dd_background;

/* A background for frames `height` tall seen through a camera whose left
 * edge travels over world columns [x0, x1] (x0 = x1 for a still), with
 * `frame_width` wide frames. Distractors are sized like the limbs of people
 * person_lo..person_hi pixels tall. */
void dd_background_sample (const dd_style *style, double x0, double x1,
    int frame_width, int height, double person_lo, double person_hi,
    dd_rng *rng, dd_background *bg);

/* Draws the background for a frame whose left edge is world column pan_x. */
void dd_background_draw (const dd_background *bg, cairo_t *cr, int width,
    int height, double pan_x);

#endif
