/* The camera of the synthetic scenes: what happens to a rendered frame on
 * its way to the file. Exposure and a lighting gradient, a colour cast,
 * contrast, vignetting, lens blur, horizontal motion blur and sensor noise.
 * All of it is integer arithmetic on the pixels (blur by repeated binomial
 * [1 2 1] filters, noise as a sum of four uniform bytes), so a frame is the
 * same on every machine. */
#ifndef DD_DATA_SYNTH_CAMERA_H
#define DD_DATA_SYNTH_CAMERA_H

#include <cairo.h>
#include <stdint.h>

#include "data/synth_style.h"

typedef struct dd_camera_fx {
  double gain;                  /* exposure multiplier */
  double gradient[2];           /* exposure change across the width, height */
  double cast[3];               /* per-channel multipliers */
  double contrast;              /* around mid grey */
  double vignette;              /* darkening in the corners */
  int blur_passes;              /* [1 2 1] passes: sigma = sqrt(passes / 2) */
  int motion_blur;              /* horizontal box length, pixels (0, 1: none) */
  double noise;                 /* sensor noise sigma, 8-bit levels */
} dd_camera_fx;

void dd_camera_fx_sample (const dd_style *style, dd_rng *rng, dd_camera_fx *fx);

/* Applies the effects to an RGB24 image surface in place; the noise is
 * drawn from `noise` (one stream per frame). */
void dd_camera_fx_apply (const dd_camera_fx *fx, cairo_surface_t *surface,
    dd_rng *noise);

#endif
