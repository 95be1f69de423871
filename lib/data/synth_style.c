/* The two styles' palettes and ranges, and sampling a person's look. */
#include "synth_style.h"

#include <string.h>

#define PALETTE(a) { a, (int) (sizeof a / sizeof a[0]) }

static const uint32_t skin[] = {
  0xf1c9a5, 0xe0ac82, 0xc68642, 0x8d5524, 0x5c3a21, 0xffdbac, 0xb07d56,
};
static const uint32_t hair[] = {
  0x1b1b1b, 0x3b2416, 0x6a4e32, 0xb89a5c, 0x8c8c8c, 0x8e3b1f, 0x2a2a35,
};

/* similar: everyday clothes, streets and rooms. */
static const uint32_t street_tops[] = {
  0x2e3f5c, 0x8a8f96, 0xe8e6e1, 0x1f1f22, 0xa33a33, 0x4f6b3a, 0xc9a66b,
  0x6d4c7d, 0x3d7ea6, 0xd9c8a9, 0x7a3e2b, 0x556270,
};
static const uint32_t street_bottoms[] = {
  0x2f4a6e, 0x1c1c1e, 0x6b6b6b, 0xb5a17e, 0x3e3328, 0x44546a, 0x8c7b6b,
};
static const uint32_t street_shoes[] = {
  0x151515, 0x3a2a1e, 0xe0e0e0, 0x5a5a5a,
};
static const uint32_t street_ground[] = {
  0x7d7a72, 0x9a8f80, 0x5e6a52, 0x8b8378, 0xa8a39a, 0x6f5e4d,
};
static const uint32_t street_backdrop[] = {
  0xb9c4cc, 0xd4c9b4, 0x9aa4a8, 0xc2b59b, 0x8f9a83, 0xa39182, 0xe3ddd2,
  0x7f8c99,
};
static const uint32_t street_props[] = {
  0x5b4636, 0x2f3b44, 0x8e8576, 0xa05a3c, 0x4d6147, 0x3c3c3c, 0xc7b79c,
  0x6e7f8c, 0x9c6b4e,
};

/* dissimilar: sports kits, fields, courts and crowds. */
static const uint32_t kit_tops[] = {
  0xffd400, 0x00a651, 0xe4002b, 0x0057b8, 0xff6f00, 0xffffff, 0x7ac143,
  0x00b5e2, 0xe5007d, 0x101010, 0x6a1b9a,
};
static const uint32_t kit_bottoms[] = {
  0xffffff, 0x101010, 0x0033a0, 0xc8102e, 0x00843d, 0xf2a900,
};
static const uint32_t kit_shoes[] = {
  0xf5f5f5, 0x111111, 0xff3d00, 0x00e5ff, 0xc6ff00,
};
static const uint32_t field_ground[] = {
  0x3f8f3a, 0x4fa64a, 0xc4633b, 0x2f6fa8, 0xd9a066, 0x357a38, 0xa33d2e,
};
static const uint32_t field_backdrop[] = {
  0x2b2e3a, 0x3c4a5c, 0x1e3b2a, 0x59506a, 0x80868f, 0x14213d,
};
static const uint32_t field_props[] = {
  0xffffff, 0xf2e600, 0xd81e5b, 0x1e88e5, 0xff9100, 0x263238, 0x00c853,
};

static const dd_style styles[DD_STYLE_COUNT] = {
  [DD_STYLE_SIMILAR] = {
    .name = "similar", .width = 192, .height = 144,
    .skin = PALETTE (skin), .hair = PALETTE (hair),
    .tops = PALETTE (street_tops), .bottoms = PALETTE (street_bottoms),
    .shoes = PALETTE (street_shoes), .ground = PALETTE (street_ground),
    .backdrop = PALETTE (street_backdrop), .props = PALETTE (street_props),
    .colour_jitter = 0.05,
    .texture_odds = { [DD_TEXTURE_SOLID] = 0.45, [DD_TEXTURE_STRIPES] = 0.2,
      [DD_TEXTURE_CHECKS] = 0.1, [DD_TEXTURE_NOISE] = 0.15,
      [DD_TEXTURE_GRADIENT] = 0.1 },
    .long_sleeves = 0.5, .long_pants = 0.75,
    .pose_odds = { [DD_POSE_STANDING] = 0.27, [DD_POSE_WALKING] = 0.27,
      [DD_POSE_RUNNING] = 0.06, [DD_POSE_ARMS_RAISED] = 0.07,
      [DD_POSE_WAVING] = 0.08, [DD_POSE_SITTING] = 0.12,
      [DD_POSE_CROUCHING] = 0.05, [DD_POSE_KICKING] = 0.03,
      [DD_POSE_JUMPING] = 0.05 },
    .pose_spread = 0.18, .max_roll = 0.12,
    .distractors_min = 3, .distractors_max = 10,
    .clutter_min = 4, .clutter_max = 12,
    .occluders_mean = 0.7,
    .gain_lo = 0.8, .gain_hi = 1.15, .gradient_max = 0.25, .cast_max = 0.05,
    .contrast_lo = 0.85, .contrast_hi = 1.1, .vignette_max = 0.15,
    .blur_max = 1.0, .motion_blur_max = 0, .noise_lo = 1.5, .noise_hi = 5,
  },
  [DD_STYLE_DISSIMILAR] = {
    .name = "dissimilar", .width = 224, .height = 126,
    .skin = PALETTE (skin), .hair = PALETTE (hair),
    .tops = PALETTE (kit_tops), .bottoms = PALETTE (kit_bottoms),
    .shoes = PALETTE (kit_shoes), .ground = PALETTE (field_ground),
    .backdrop = PALETTE (field_backdrop), .props = PALETTE (field_props),
    .colour_jitter = 0.08,
    .texture_odds = { [DD_TEXTURE_SOLID] = 0.5, [DD_TEXTURE_STRIPES] = 0.3,
      [DD_TEXTURE_CHECKS] = 0.05, [DD_TEXTURE_NOISE] = 0.05,
      [DD_TEXTURE_GRADIENT] = 0.1 },
    .long_sleeves = 0.2, .long_pants = 0.3,
    .pose_odds = { [DD_POSE_STANDING] = 0.12, [DD_POSE_WALKING] = 0.12,
      [DD_POSE_RUNNING] = 0.3, [DD_POSE_ARMS_RAISED] = 0.1,
      [DD_POSE_WAVING] = 0.04, [DD_POSE_SITTING] = 0.02,
      [DD_POSE_CROUCHING] = 0.1, [DD_POSE_KICKING] = 0.1,
      [DD_POSE_JUMPING] = 0.1 },
    .pose_spread = 0.25, .max_roll = 0.3,
    .distractors_min = 4, .distractors_max = 14,
    .clutter_min = 6, .clutter_max = 16,
    .occluders_mean = 0.5,
    .gain_lo = 0.6, .gain_hi = 1.35, .gradient_max = 0.45, .cast_max = 0.15,
    .contrast_lo = 0.75, .contrast_hi = 1.35, .vignette_max = 0.35,
    .blur_max = 1.6, .motion_blur_max = 4, .noise_lo = 3, .noise_hi = 10,
  },
};

const dd_style *
dd_style_get (dd_style_id id)
{
  return id >= 0 && id < DD_STYLE_COUNT ? &styles[id] : NULL;
}

const dd_style *
dd_style_find (const char *name)
{
  for (int i = 0; i < DD_STYLE_COUNT; i++)
    if (strcmp (styles[i].name, name) == 0)
      return &styles[i];
  return NULL;
}

int
dd_style_pick (const double *odds, int n, dd_rng *rng)
{
  double total = 0;
  for (int i = 0; i < n; i++)
    total += odds[i];
  double u = dd_rng_uniform (rng) * total;
  for (int i = 0; i < n; i++) {
    if (u < odds[i])
      return i;
    u -= odds[i];
  }
  return n - 1;
}

void
dd_style_colour (const dd_style *style, const dd_palette *palette,
    dd_rng *rng, double out[3])
{
  uint32_t rgb = palette->colours[dd_rng_below (rng, (uint32_t) palette->n)];
  dd_paint_colour (rgb, style->colour_jitter, rng, out);
}

/* A clothing paint: a texture from the style's odds in two colours of the
 * palette; the pattern repeats a few times per person. */
static void
sample_clothing (const dd_style *style, const dd_palette *palette,
    dd_rng *rng, dd_paint *paint)
{
  double a[3], b[3];
  dd_style_colour (style, palette, rng, a);
  dd_style_colour (style, palette, rng, b);
  dd_texture t = dd_style_pick (style->texture_odds, DD_TEXTURE_COUNT, rng);
  dd_paint_sample (paint, t, a, b, 0.04, 0.14, rng);
}

void
dd_look_sample (const dd_style *style, dd_rng *rng, dd_look *look)
{
  double a[3];
  dd_style_colour (style, &style->skin, rng, a);
  dd_paint_sample (&look->paint[DD_MATERIAL_SKIN], DD_TEXTURE_SOLID, a, a, 1,
      1, rng);
  dd_style_colour (style, &style->hair, rng, a);
  dd_paint_sample (&look->paint[DD_MATERIAL_HAIR], DD_TEXTURE_SOLID, a, a, 1,
      1, rng);
  sample_clothing (style, &style->tops, rng, &look->paint[DD_MATERIAL_TOP]);
  sample_clothing (style, &style->bottoms, rng,
      &look->paint[DD_MATERIAL_BOTTOM]);
  dd_style_colour (style, &style->shoes, rng, a);
  dd_paint_sample (&look->paint[DD_MATERIAL_SHOES], DD_TEXTURE_SOLID, a, a, 1,
      1, rng);
  look->long_sleeves = dd_rng_uniform (rng) < style->long_sleeves;
  look->long_pants = dd_rng_uniform (rng) < style->long_pants;
  look->hairline = dd_rng_range (rng, 0.0f, 0.6f);
}
