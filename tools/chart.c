#include "chart.h"

#include <cairo.h>
#include <math.h>

#include "png_file.h"

typedef struct {
  char *name;
  double *x, *y;
  int n;
  gboolean lines;
} series;

struct dd_chart {
  char *title, *x_label, *y_label;
  GPtrArray *series;
  gboolean diagonal, log_x;
};

static const double palette[][3] = {
  { 0.12, 0.47, 0.71 }, { 0.84, 0.15, 0.16 }, { 0.17, 0.63, 0.17 },
  { 1.00, 0.50, 0.05 }, { 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 },
  { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
};

/* Series past the palette's eight take its colours again with another line
 * (solid, dashed, dotted), so no two of 24 look alike. */
static void
set_style (cairo_t *cr, guint i)
{
  static const double dashes[][2] = { { 0, 0 }, { 8, 4 }, { 2, 3 } };
  const double *rgb = palette[i % G_N_ELEMENTS (palette)];
  const double *dash = dashes[(i / G_N_ELEMENTS (palette)) % G_N_ELEMENTS (dashes)];
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_dash (cr, dash, dash[0] > 0 ? 2 : 0, 0);
}

static void
series_free (gpointer p)
{
  series *s = p;
  g_free (s->name);
  g_free (s->x);
  g_free (s->y);
  g_free (s);
}

dd_chart *
dd_chart_new (const char *title, const char *x_label, const char *y_label)
{
  dd_chart *c = g_new0 (dd_chart, 1);
  c->title = g_strdup (title);
  c->x_label = g_strdup (x_label);
  c->y_label = g_strdup (y_label);
  c->series = g_ptr_array_new_with_free_func (series_free);
  return c;
}

void
dd_chart_free (dd_chart *c)
{
  if (!c)
    return;
  g_free (c->title);
  g_free (c->x_label);
  g_free (c->y_label);
  g_ptr_array_unref (c->series);
  g_free (c);
}

void
dd_chart_add (dd_chart *c, const char *name, const double *x, const double *y, int n,
    gboolean lines)
{
  series *s = g_new0 (series, 1);
  s->name = g_strdup (name);
  s->x = g_memdup2 (x, sizeof (double) * MAX (n, 1));
  s->y = g_memdup2 (y, sizeof (double) * MAX (n, 1));
  s->n = n;
  s->lines = lines;
  g_ptr_array_add (c->series, s);
}

void
dd_chart_diagonal (dd_chart *c)
{
  c->diagonal = TRUE;
}

void
dd_chart_log_x (dd_chart *c)
{
  c->log_x = TRUE;
}

/* ---- Drawing ---------------------------------------------------------------- */

typedef struct {
  double x0, x1, y0, y1;        /* data range */
  double left, right, top, bottom;      /* plot area, pixels */
  gboolean log_x;
} frame;

static double
fx (const frame *f, double x)
{
  double a = f->log_x ? log10 (x) : x;
  double lo = f->log_x ? log10 (f->x0) : f->x0, hi = f->log_x ? log10 (f->x1) : f->x1;
  return f->left + (a - lo) / (hi - lo) * (f->right - f->left);
}

static double
fy (const frame *f, double y)
{
  return f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top);
}

/* A round tick step for a range: 1, 2 or 5 times a power of ten. */
static double
tick_step (double range)
{
  double raw = range / 5, p = pow (10, floor (log10 (raw)));
  return raw / p < 1.5 ? p : raw / p < 3.5 ? 2 * p : raw / p < 7.5 ? 5 * p : 10 * p;
}

/* The legend's box, from the plot's top edge, in pixels. */
#define LEGEND_LINE 17.0

static double
legend_height (const dd_chart *c)
{
  return c->series->len ? 4 + LEGEND_LINE * c->series->len + 6 + 4 : 0;
}

/* Points with no value (NaN: a score with no truth), or at or below zero
 * on a log axis, are left out of the range and the drawing. */
static gboolean
drawable (gboolean log_x, double x, double y)
{
  return isfinite (x) && isfinite (y) && !(log_x && x <= 0);
}

gboolean
dd_chart_is_empty (const dd_chart *c)
{
  for (guint i = 0; i < c->series->len; i++) {
    const series *s = g_ptr_array_index (c->series, i);
    for (int j = 0; j < s->n; j++)
      if (drawable (c->log_x, s->x[j], s->y[j]))
        return FALSE;
  }
  return TRUE;
}

static void
data_range (const dd_chart *c, frame *f)
{
  f->x0 = f->y0 = INFINITY;
  f->x1 = f->y1 = -INFINITY;
  for (guint i = 0; i < c->series->len; i++) {
    const series *s = g_ptr_array_index (c->series, i);
    for (int j = 0; j < s->n; j++) {
      if (!drawable (c->log_x, s->x[j], s->y[j]))
        continue;
      f->x0 = MIN (f->x0, s->x[j]);
      f->x1 = MAX (f->x1, s->x[j]);
      f->y0 = MIN (f->y0, s->y[j]);
      f->y1 = MAX (f->y1, s->y[j]);
    }
  }
  if (!isfinite (f->x0)) {
    f->x0 = c->log_x ? 1 : 0;
    f->x1 = f->y1 = 1;
    f->y0 = 0;
  }
  if (c->diagonal) {
    f->x0 = f->y0 = MIN (f->x0, f->y0);
    f->x1 = f->y1 = MAX (f->x1, f->y1);
  }
  double ypad = MAX ((f->y1 - f->y0) * 0.1, 0.5);
  f->y0 = MAX (0, f->y0 - ypad);
  f->y1 += ypad;
  /* Room above the data for the legend: its share of the plot's height,
   * at most three quarters (past some 20 series it covers data). */
  double share = MIN (legend_height (c) / (f->bottom - f->top), 0.75);
  f->y1 += (f->y1 - f->y0) * share / (1 - share);
  if (c->log_x) {
    f->x0 /= 1.5;
    f->x1 *= 1.5;
  } else {
    double xpad = MAX ((f->x1 - f->x0) * 0.05, 0.5);
    f->x0 -= c->diagonal ? ypad : xpad;
    f->x1 += c->diagonal ? ypad : xpad;
    if (c->diagonal) {
      f->x0 = f->y0;
      f->x1 = f->y1;
    }
  }
  f->log_x = c->log_x;
}

/* Text placed by its box: align 0 puts (x, y) at the left (top) edge, 1 at
 * the right (bottom) edge, 0.5 at the centre. */
static void
text (cairo_t *cr, double x, double y, const char *s, double align_x, double align_y)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, s, &e);
  cairo_move_to (cr, x - e.width * align_x - e.x_bearing,
      y - e.height * align_y - e.y_bearing);
  cairo_show_text (cr, s);
}

static void
draw_axes (cairo_t *cr, const dd_chart *c, const frame *f)
{
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
  cairo_stroke (cr);
  cairo_set_font_size (cr, 12);
  double step = tick_step (f->y1 - f->y0);
  for (double v = ceil (f->y0 / step) * step; v <= f->y1 + 1e-9; v += step) {
    char label[32];
    g_snprintf (label, sizeof label, "%g", v);
    text (cr, f->left - 6, fy (f, v), label, 1.0, 0.5);
    cairo_set_source_rgba (cr, 0, 0, 0, 0.12);
    cairo_move_to (cr, f->left, fy (f, v));
    cairo_line_to (cr, f->right, fy (f, v));
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
  }
  if (f->log_x) {
    for (double v = pow (10, floor (log10 (f->x0))); v <= f->x1; v *= 10)
      for (int m = 1; m <= 5; m += (m == 1 ? 1 : 3)) {
        double t = v * m;
        if (t < f->x0 || t > f->x1)
          continue;
        char label[32];
        g_snprintf (label, sizeof label, "%g", t);
        text (cr, fx (f, t), f->bottom + 6, label, 0.5, 0.0);
      }
  } else {
    double xs = tick_step (f->x1 - f->x0);
    for (double v = ceil (f->x0 / xs) * xs; v <= f->x1 + 1e-9; v += xs) {
      char label[32];
      g_snprintf (label, sizeof label, "%g", v);
      text (cr, fx (f, v), f->bottom + 6, label, 0.5, 0.0);
    }
  }
  cairo_set_font_size (cr, 13);
  text (cr, (f->left + f->right) / 2, f->bottom + 26, c->x_label, 0.5, 0.0);
  cairo_save (cr);
  cairo_translate (cr, f->left - 48, (f->top + f->bottom) / 2);
  cairo_rotate (cr, -G_PI / 2);
  text (cr, 0, 0, c->y_label, 0.5, 0.5);
  cairo_restore (cr);
  cairo_set_font_size (cr, 15);
  text (cr, (f->left + f->right) / 2, f->top - 10, c->title, 0.5, 1.0);
}

static void
draw_series (cairo_t *cr, const series *s, guint i, const frame *f)
{
  set_style (cr, i);
  cairo_set_line_width (cr, 2);
  gboolean open = FALSE;
  for (int j = 0; j < s->n && s->lines; j++) {
    if (!drawable (f->log_x, s->x[j], s->y[j]))
      continue;
    if (open)
      cairo_line_to (cr, fx (f, s->x[j]), fy (f, s->y[j]));
    else
      cairo_move_to (cr, fx (f, s->x[j]), fy (f, s->y[j]));
    open = TRUE;
  }
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  for (int j = 0; j < s->n; j++) {
    if (!drawable (f->log_x, s->x[j], s->y[j]))
      continue;
    cairo_arc (cr, fx (f, s->x[j]), fy (f, s->y[j]), s->lines ? 3 : 5, 0, 2 * G_PI);
    cairo_fill (cr);
  }
}

/* Top left, on a white box so that lines passing under stay readable. */
static void
draw_legend (cairo_t *cr, const dd_chart *c, const frame *f)
{
  cairo_set_font_size (cr, 12);
  double widest = 0;
  for (guint i = 0; i < c->series->len; i++) {
    cairo_text_extents_t e;
    cairo_text_extents (cr, ((const series *) g_ptr_array_index (c->series, i))->name,
        &e);
    widest = MAX (widest, e.width);
  }
  if (c->series->len) {
    cairo_rectangle (cr, f->left + 4, f->top + 4, widest + 40,
        LEGEND_LINE * c->series->len + 6);
    cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
    cairo_fill_preserve (cr);
    cairo_set_source_rgba (cr, 0, 0, 0, 0.3);
    cairo_set_line_width (cr, 1);
    cairo_stroke (cr);
  }
  double y = f->top + 16;
  for (guint i = 0; i < c->series->len; i++, y += LEGEND_LINE) {
    const series *s = g_ptr_array_index (c->series, i);
    /* A piece of the series' line with its marker, or the marker alone. */
    set_style (cr, i);
    cairo_set_line_width (cr, 2);
    if (s->lines) {
      cairo_move_to (cr, f->left + 10, y - 4);
      cairo_line_to (cr, f->left + 30, y - 4);
      cairo_stroke (cr);
    }
    cairo_set_dash (cr, NULL, 0, 0);
    cairo_arc (cr, f->left + 20, y - 4, s->lines ? 3 : 5, 0, 2 * G_PI);
    cairo_fill (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
    text (cr, f->left + 36, y - 4, s->name, 0.0, 0.5);
  }
}

gboolean
dd_chart_save (const dd_chart *c, const char *path, int width, int height,
    GError **error)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width,
      height);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  frame f = { .left = 78, .right = width - 20, .top = 44, .bottom = height - 52 };
  data_range (c, &f);
  draw_axes (cr, c, &f);
  cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_clip (cr);
  if (c->diagonal) {
    cairo_set_source_rgba (cr, 0, 0, 0, 0.4);
    cairo_set_line_width (cr, 1);
    double dash = 4;
    cairo_set_dash (cr, &dash, 1, 0);
    cairo_move_to (cr, fx (&f, f.x0), fy (&f, f.x0));
    cairo_line_to (cr, fx (&f, f.x1), fy (&f, f.x1));
    cairo_stroke (cr);
    cairo_set_dash (cr, NULL, 0, 0);
  }
  for (guint i = 0; i < c->series->len; i++)
    draw_series (cr, g_ptr_array_index (c->series, i), i, &f);
  cairo_reset_clip (cr);
  draw_legend (cr, c, &f);
  cairo_destroy (cr);
  gboolean ok = dd_png_save (surface, path, error);
  cairo_surface_destroy (surface);
  return ok;
}
