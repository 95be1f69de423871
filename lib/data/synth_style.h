/* Styles of the synthetic scenes, and the looks of the people in them.
 *
 * `similar` is the distribution of the labeled sets (everyday streets and
 * rooms, muted colours, mild blur and noise, 4:3 frames). `dissimilar` is
 * the analogue of the paper's Sports-1M frames: playing fields and courts,
 * saturated kit colours, harsher and tinted light, more blur (motion
 * included), more noise, 16:9 frames, more athletic poses. A model trained
 * on one sees the other as a shift in distribution, not a new task.
 */
#ifndef DD_DATA_SYNTH_STYLE_H
#define DD_DATA_SYNTH_STYLE_H

#include <stdbool.h>
#include <stdint.h>

#include "data/synth_figure.h"
#include "data/synth_paint.h"

typedef struct dd_palette {
  const uint32_t *colours;      /* 0xRRGGBB */
  int n;
} dd_palette;

typedef struct dd_style {
  const char *name;
  int width, height;            /* default frame size */
  dd_palette skin, hair, tops, bottoms, shoes;
  dd_palette ground, backdrop, props;   /* background colours */
  double colour_jitter;         /* per channel, on every palette draw */
  double texture_odds[DD_TEXTURE_COUNT];        /* clothing textures */
  double long_sleeves, long_pants;      /* probabilities */
  double pose_odds[DD_POSE_KIND_COUNT];
  double pose_spread;           /* joint jitter, radians */
  double max_roll;              /* body tilt in the image plane, radians */
  int distractors_min, distractors_max; /* limb-like things in the background */
  int clutter_min, clutter_max; /* other background things */
  double occluders_mean;        /* occluders per frame, on average */
  /* The camera: ranges the per-frame effects are drawn from. */
  double gain_lo, gain_hi;      /* overall exposure */
  double gradient_max;          /* exposure change across the frame */
  double cast_max;              /* per-channel colour cast */
  double contrast_lo, contrast_hi;
  double vignette_max;
  double blur_max;              /* Gaussian-like blur radius, pixels */
  double motion_blur_max;       /* horizontal streak length, pixels */
  double noise_lo, noise_hi;    /* sensor noise sigma, 8-bit levels */
} dd_style;

typedef enum { DD_STYLE_SIMILAR, DD_STYLE_DISSIMILAR, DD_STYLE_COUNT } dd_style_id;

const dd_style *dd_style_get (dd_style_id id);
/* NULL when `name` is no style. */
const dd_style *dd_style_find (const char *name);

/* One draw from an odds table of n entries (odds need not sum to 1). */
int dd_style_pick (const double *odds, int n, dd_rng *rng);
/* A palette colour with the style's jitter. */
void dd_style_colour (const dd_style *style, const dd_palette *palette,
    dd_rng *rng, double out[3]);

/* What a person wears. */
typedef enum {
  DD_MATERIAL_SKIN, DD_MATERIAL_HAIR, DD_MATERIAL_TOP, DD_MATERIAL_BOTTOM,
  DD_MATERIAL_SHOES,
  DD_MATERIAL_COUNT
} dd_material;

typedef struct dd_look {
  dd_paint paint[DD_MATERIAL_COUNT];
  bool long_sleeves, long_pants;
  double hairline;              /* 0: hair down to the brows, 1: bald */
} dd_look;

void dd_look_sample (const dd_style *style, dd_rng *rng, dd_look *look);

#endif
