/* Paints of the synthetic scenes: a colour or a texture (stripes, checks,
 * blotchy noise, a gradient) that clothes, skin and background things are
 * filled with. A texture is anchored to its owner (a person's pelvis, a
 * distractor's centre) and sized in the owner's units, so it moves and
 * scales with it from frame to frame. */
#ifndef DD_DATA_SYNTH_PAINT_H
#define DD_DATA_SYNTH_PAINT_H

#include <cairo.h>
#include <stdint.h>

#include "nn/rng.h"

typedef enum {
  DD_TEXTURE_SOLID, DD_TEXTURE_STRIPES, DD_TEXTURE_CHECKS, DD_TEXTURE_NOISE,
  DD_TEXTURE_GRADIENT,
  DD_TEXTURE_COUNT
} dd_texture;

typedef struct dd_paint {
  dd_texture texture;
  double rgb[3], rgb2[3];       /* 0..1; the second colour of a texture */
  double period;                /* texture repeat, in owner units */
  double angle;                 /* radians */
  uint32_t seed;                /* the noise texture's pattern */
} dd_paint;

/* A colour given as 0xRRGGBB, each channel moved by up to +-jitter. */
void dd_paint_colour (uint32_t rgb, double jitter, dd_rng *rng, double out[3]);

/* A texture of `texture` kind in colours a and b, with random period (in
 * [period_lo, period_hi]), angle and noise pattern. */
void dd_paint_sample (dd_paint *p, dd_texture texture, const double a[3],
    const double b[3], double period_lo, double period_hi, dd_rng *rng);

/* Fills cairo's current path (and clears it) with the paint anchored at
 * (x, y), `unit` pixels per owner unit. */
void dd_paint_fill (const dd_paint *p, cairo_t *cr, double x, double y,
    double unit);

#endif
