/* Backgrounds: planes, textures, props and limb-like distractors. */
#include "synth_background.h"

#include <math.h>
#include <stddef.h>

/* A person height drawn log-uniformly: as many small people as large. */
static double
person_height (double lo, double hi, dd_rng *rng)
{
  return lo * exp (dd_rng_uniform (rng) * log (hi / lo));
}

static void
plane_paint (const dd_style *style, const dd_palette *palette, dd_rng *rng,
    dd_paint *p)
{
  static const double odds[DD_TEXTURE_COUNT] = {
    [DD_TEXTURE_SOLID] = 0.2, [DD_TEXTURE_STRIPES] = 0.15,
    [DD_TEXTURE_CHECKS] = 0.1, [DD_TEXTURE_NOISE] = 0.25,
    [DD_TEXTURE_GRADIENT] = 0.3,
  };
  double a[3], b[3];
  dd_style_colour (style, palette, rng, a);
  dd_style_colour (style, palette, rng, b);
  dd_paint_sample (p, dd_style_pick (odds, DD_TEXTURE_COUNT, rng), a, b,
      0.05, 0.6, rng);
}

static dd_background_item *
new_item (dd_background *bg)
{
  if (bg->n_items >= DD_BACKGROUND_MAX_ITEMS)
    return NULL;
  dd_background_item *it = &bg->items[bg->n_items++];
  *it = (dd_background_item) { 0 };
  return it;
}

/* Props: boxes (signs, windows, benches), poles, blobs (bushes, bags),
 * painted lines and balls. */
static void
add_prop (const dd_style *style, double xlo, double xhi, int height,
    dd_rng *rng, dd_background *bg)
{
  dd_background_item *it = new_item (bg);
  if (!it)
    return;
  double x = dd_rng_range (rng, (float) xlo, (float) xhi);
  double y = dd_rng_range (rng, 0, (float) height);
  double h = height;
  it->unit = h;
  double a[3], b[3];
  dd_style_colour (style, &style->props, rng, a);
  dd_style_colour (style, &style->props, rng, b);
  dd_paint_sample (&it->paint, dd_style_pick (style->texture_odds,
          DD_TEXTURE_COUNT, rng), a, b, 0.03, 0.2, rng);
  switch (dd_rng_below (rng, 5)) {
    case 0: {                   /* a box, a little tilted */
      double w = dd_rng_range (rng, 0.05f, 0.4f) * h;
      double ht = dd_rng_range (rng, 0.05f, 0.5f) * h;
      double t = dd_rng_range (rng, -0.15f, 0.15f);
      double c = cos (t), s = sin (t);
      double pts[4][2];
      for (int i = 0; i < 4; i++) {
        double u = (i == 1 || i == 2) ? w / 2 : -w / 2;
        double v = (i >= 2) ? ht / 2 : -ht / 2;
        pts[i][0] = x + u * c - v * s;
        pts[i][1] = y + u * s + v * c;
      }
      dd_shape_polygon (&it->shape, 4, (const double (*)[2]) pts,
          dd_rng_range (rng, 0, 2));
      break;
    }
    case 1: {                   /* a pole standing on the ground */
      double top = dd_rng_range (rng, -0.1f, 0.6f) * h;
      double foot = bg->horizon + dd_rng_range (rng, 0, (float) (h - bg->horizon));
      double r = dd_rng_range (rng, 0.6f, 3.0f);
      dd_shape_capsule (&it->shape, x, top, r, x, foot, r);
      break;
    }
    case 2: {                   /* a blob: the rounded hull of scattered points */
      double r = dd_rng_range (rng, 0.04f, 0.18f) * h;
      double pts[6][2];
      for (int i = 0; i < 6; i++) {
        double ang = dd_rng_range (rng, 0, (float) (2 * M_PI));
        double rr = r * dd_rng_range (rng, 0.3f, 1.0f);
        pts[i][0] = x + rr * cos (ang);
        pts[i][1] = y + rr * sin (ang);
      }
      dd_shape_polygon (&it->shape, 6, (const double (*)[2]) pts, 0.35 * r);
      break;
    }
    case 3: {                   /* a painted line across the ground */
      double len = dd_rng_range (rng, 0.5f, 2.0f) * h;
      double t = dd_rng_range (rng, -0.4f, 0.4f);
      double gy = bg->horizon + dd_rng_range (rng, 0, (float) (h - bg->horizon));
      double r = dd_rng_range (rng, 0.5f, 1.5f);
      dd_shape_capsule (&it->shape, x - len / 2 * cos (t), gy - len / 2 * sin (t),
          r, x + len / 2 * cos (t), gy + len / 2 * sin (t), r);
      it->paint.texture = DD_TEXTURE_SOLID;
      break;
    }
    default: {                  /* a ball */
      double r = dd_rng_range (rng, 0.015f, 0.06f) * h;
      dd_shape_ellipse (&it->shape, x, y, r, r, 0);
      break;
    }
  }
}

/* A paint a limb could wear: skin, or a top or bottom of the style. */
static void
limb_paint (const dd_style *style, dd_rng *rng, dd_paint *p)
{
  const dd_palette *palettes[3] = { &style->skin, &style->tops, &style->bottoms };
  const dd_palette *pal = palettes[dd_rng_below (rng, 3)];
  double a[3], b[3];
  dd_style_colour (style, pal, rng, a);
  dd_style_colour (style, pal, rng, b);
  dd_texture t = pal == &style->skin ? DD_TEXTURE_SOLID
      : dd_style_pick (style->texture_odds, DD_TEXTURE_COUNT, rng);
  dd_paint_sample (p, t, a, b, 0.04, 0.14, rng);
}

/* Distractors: one, two (bent at a joint) or three (a fork) limb-sized
 * capsules from one point, or a head-sized disc, in a person's paints. */
static void
add_distractor (const dd_style *style, double xlo, double xhi, int height,
    double person_lo, double person_hi, dd_rng *rng, dd_background *bg)
{
  double h = person_height (person_lo, person_hi, rng);
  double x = dd_rng_range (rng, (float) xlo, (float) xhi);
  double y = dd_rng_range (rng, (float) (-0.1 * height), (float) (1.1 * height));
  dd_paint paint;
  limb_paint (style, rng, &paint);
  int kind = dd_rng_below (rng, 4);
  if (kind == 3) {
    dd_background_item *it = new_item (bg);
    if (!it)
      return;
    double r = dd_rng_range (rng, 0.05f, 0.08f) * h;
    dd_shape_ellipse (&it->shape, x, y, r, r * 1.12, dd_rng_range (rng, -0.5f, 0.5f));
    it->paint = paint;
    it->unit = h;
    it->limb_like = true;
    return;
  }
  int segments = kind + 1;
  double angle = dd_rng_range (rng, 0, (float) (2 * M_PI));
  double r = dd_rng_range (rng, 0.022f, 0.05f) * h;
  double px = x, py = y;
  for (int s = 0; s < segments; s++) {
    dd_background_item *it = new_item (bg);
    if (!it)
      return;
    double len = dd_rng_range (rng, 0.12f, 0.28f) * h;
    double qx = px + len * cos (angle), qy = py + len * sin (angle);
    double r2 = r * dd_rng_range (rng, 0.65f, 1.0f);
    dd_shape_capsule (&it->shape, px, py, r, qx, qy, r2);
    it->paint = paint;
    it->unit = h;
    it->limb_like = true;
    if (kind == 1) {            /* bent: the next segment starts at this end */
      px = qx, py = qy, r = r2;
      angle += dd_rng_range (rng, 0.4f, 2.2f) * (dd_rng_below (rng, 2) ? 1 : -1);
    } else {                    /* a fork: all segments from the same point */
      angle += dd_rng_range (rng, 0.5f, 2.5f);
    }
  }
}

void
dd_background_sample (const dd_style *style, double x0, double x1,
    int frame_width, int height, double person_lo, double person_hi,
    dd_rng *rng, dd_background *bg)
{
  *bg = (dd_background) { 0 };
  bg->horizon = dd_rng_range (rng, 0.25f, 0.7f) * height;
  plane_paint (style, &style->backdrop, rng, &bg->backdrop);
  plane_paint (style, &style->ground, rng, &bg->ground);
  plane_paint (style, &style->backdrop, rng, &bg->backdrop_overlay);
  plane_paint (style, &style->ground, rng, &bg->ground_overlay);
  bg->backdrop_overlay.texture = DD_TEXTURE_NOISE;
  bg->ground_overlay.texture = DD_TEXTURE_NOISE;
  bg->backdrop_overlay.period *= 0.2;
  bg->ground_overlay.period *= 0.2;
  bg->overlay_alpha = dd_rng_range (rng, 0.1f, 0.4f);

  /* The counts are per frame width; a panning camera sees more world. */
  double margin = 0.2 * frame_width;
  double xlo = x0 - margin, xhi = x1 + frame_width + margin;
  double widths = (xhi - xlo) / frame_width;
  int clutter = (int) ((style->clutter_min + dd_rng_below (rng,
              (uint32_t) (style->clutter_max - style->clutter_min + 1))) * widths);
  int distractors = (int) ((style->distractors_min + dd_rng_below (rng,
              (uint32_t) (style->distractors_max - style->distractors_min + 1)))
      * widths);
  for (int i = 0; i < clutter; i++)
    add_prop (style, xlo, xhi, height, rng, bg);
  for (int i = 0; i < distractors; i++)
    add_distractor (style, xlo, xhi, height, person_lo, person_hi, rng, bg);
  for (int i = 0; i < bg->n_items; i++)
    dd_shape_quantize (&bg->items[i].shape);
}

static void
overlay (cairo_t *cr, const dd_paint *p, double alpha, double x, double y,
    double w, double h, double unit)
{
  cairo_push_group (cr);
  cairo_rectangle (cr, x, y, w, h);
  dd_paint_fill (p, cr, 0, 0, unit);
  cairo_pop_group_to_source (cr);
  cairo_paint_with_alpha (cr, alpha);
}

void
dd_background_draw (const dd_background *bg, cairo_t *cr, int width,
    int height, double pan_x)
{
  cairo_save (cr);
  cairo_translate (cr, -pan_x, 0);
  cairo_rectangle (cr, pan_x, 0, width, bg->horizon);
  dd_paint_fill (&bg->backdrop, cr, 0, 0, height);
  cairo_rectangle (cr, pan_x, bg->horizon, width, height - bg->horizon);
  dd_paint_fill (&bg->ground, cr, 0, bg->horizon, height);
  overlay (cr, &bg->backdrop_overlay, bg->overlay_alpha, pan_x, 0, width,
      bg->horizon, height);
  overlay (cr, &bg->ground_overlay, bg->overlay_alpha, pan_x, bg->horizon,
      width, height - bg->horizon, height);

  for (int i = 0; i < bg->n_items; i++) {
    const dd_background_item *it = &bg->items[i];
    double box[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };
    dd_shape_extend_box (&it->shape, box);
    if (box[2] < pan_x || box[0] > pan_x + width)
      continue;
    dd_shape_path (&it->shape, cr);
    if (it->limb_like) {
      /* Outlined like a body part, so only its context gives it away. */
      cairo_path_t *path = cairo_copy_path (cr);
      dd_paint_fill (&it->paint, cr, it->shape.p[0][0], it->shape.p[0][1],
          it->unit);
      cairo_append_path (cr, path);
      cairo_path_destroy (path);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.3);
      cairo_set_line_width (cr, fmax (0.6, 0.01 * it->unit));
      cairo_stroke (cr);
    } else {
      dd_paint_fill (&it->paint, cr, it->shape.p[0][0], it->shape.p[0][1],
          it->unit);
    }
  }
  cairo_restore (cr);
}
