/* Shapes of the synthetic scenes: cairo outlines, point tests and extents
 * computed from the same numbers, so what is drawn is what is labelled. */
#include "synth_shape.h"

#include <math.h>

void
dd_shape_capsule (dd_shape *s, double ax, double ay, double ra,
    double bx, double by, double rb)
{
  *s = (dd_shape) { .kind = DD_SHAPE_CAPSULE, .n = 2,
    .p = { { ax, ay }, { bx, by } }, .r = { ra, rb } };
}

void
dd_shape_ellipse (dd_shape *s, double cx, double cy, double rx, double ry,
    double angle)
{
  *s = (dd_shape) { .kind = DD_SHAPE_ELLIPSE, .n = 1, .p = { { cx, cy } },
    .r = { rx, ry }, .angle = angle };
}

static int
cross_sign (const double o[2], const double a[2], const double b[2])
{
  double c = (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  return c > 0 ? 1 : c < 0 ? -1 : 0;
}

static int
compare_points (const double a[2], const double b[2])
{
  if (a[0] != b[0])
    return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms;
 * sorts pts; returns the hull's size. hull holds 2 n points. */
static int
convex_hull (int n, double (*pts)[2], double (*hull)[2])
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && compare_points (pts[j], pts[j - 1]) < 0; j--) {
      double tx = pts[j][0], ty = pts[j][1];
      pts[j][0] = pts[j - 1][0];
      pts[j][1] = pts[j - 1][1];
      pts[j - 1][0] = tx;
      pts[j - 1][1] = ty;
    }
  int k = 0;
  for (int pass = 0; pass < 2; pass++) {
    int start = k;
    for (int i = 0; i < n; i++) {
      int idx = pass == 0 ? i : n - 1 - i;
      while (k >= start + 2
          && cross_sign (hull[k - 2], hull[k - 1], pts[idx]) <= 0)
        k--;
      hull[k][0] = pts[idx][0];
      hull[k][1] = pts[idx][1];
      k++;
    }
    k--;                        /* the last point starts the other chain */
  }
  return k < 1 ? 1 : k;
}

void
dd_shape_polygon (dd_shape *s, int n, const double (*pts)[2], double grow)
{
  double sorted[DD_SHAPE_MAX_POINTS][2], hull[2 * DD_SHAPE_MAX_POINTS][2];
  n = n < DD_SHAPE_MAX_POINTS ? n : DD_SHAPE_MAX_POINTS;
  for (int i = 0; i < n; i++) {
    sorted[i][0] = pts[i][0];
    sorted[i][1] = pts[i][1];
  }
  *s = (dd_shape) { .kind = DD_SHAPE_POLYGON, .r = { grow, grow } };
  s->n = n > 0 ? convex_hull (n, sorted, hull) : 0;
  for (int i = 0; i < s->n; i++) {
    s->p[i][0] = hull[i][0];
    s->p[i][1] = hull[i][1];
  }
}

/* The two outer tangents of a capsule's discs touch disc a at angles
 * base ± half and disc b at the same angles. False when one disc holds the
 * other, so the capsule is just the bigger disc. */
static bool
capsule_tangents (const dd_shape *s, double *base, double *half)
{
  double dx = s->p[1][0] - s->p[0][0], dy = s->p[1][1] - s->p[0][1];
  double d = hypot (dx, dy);
  if (d <= fabs (s->r[0] - s->r[1]) + 1e-9)
    return false;
  *base = atan2 (dy, dx);
  *half = acos ((s->r[0] - s->r[1]) / d);
  return true;
}

static void
capsule_path (const dd_shape *s, cairo_t *cr)
{
  double base, half;
  cairo_new_sub_path (cr);
  if (!capsule_tangents (s, &base, &half)) {
    int big = s->r[1] > s->r[0];
    cairo_arc (cr, s->p[big][0], s->p[big][1], s->r[big], 0, 2 * M_PI);
    cairo_close_path (cr);
    return;
  }
  /* Around the far side of disc a, then across to disc b and round its
   * far side. */
  cairo_arc (cr, s->p[0][0], s->p[0][1], s->r[0], base + half,
      base - half + 2 * M_PI);
  cairo_arc (cr, s->p[1][0], s->p[1][1], s->r[1], base - half, base + half);
  cairo_close_path (cr);
}

static double
polygon_signed_area (const dd_shape *s)
{
  double a = 0;
  for (int i = 0; i < s->n; i++) {
    int j = (i + 1) % s->n;
    a += s->p[i][0] * s->p[j][1] - s->p[j][0] * s->p[i][1];
  }
  return a;
}

/* Outward unit normal of edge i (from p[i] to p[i+1]). */
static void
polygon_normal (const dd_shape *s, int i, double orient, double n[2])
{
  int j = (i + 1) % s->n;
  double ex = s->p[j][0] - s->p[i][0], ey = s->p[j][1] - s->p[i][1];
  double len = hypot (ex, ey);
  if (len < 1e-12) {
    n[0] = n[1] = 0;
    return;
  }
  n[0] = orient * ey / len;
  n[1] = -orient * ex / len;
}

static void
polygon_path (const dd_shape *s, cairo_t *cr)
{
  double r = s->r[0];
  cairo_new_sub_path (cr);
  if (r <= 0) {
    for (int i = 0; i < s->n; i++)
      cairo_line_to (cr, s->p[i][0], s->p[i][1]);
    cairo_close_path (cr);
    return;
  }
  double orient = polygon_signed_area (s) >= 0 ? 1 : -1;
  for (int i = 0; i < s->n; i++) {
    int j = (i + 1) % s->n;
    double n0[2], n1[2];
    polygon_normal (s, i, orient, n0);
    polygon_normal (s, j, orient, n1);
    /* The offset edge, then the rounded corner at its end. */
    cairo_line_to (cr, s->p[i][0] + r * n0[0], s->p[i][1] + r * n0[1]);
    double a0 = atan2 (n0[1], n0[0]), a1 = atan2 (n1[1], n1[0]);
    if (orient > 0)
      cairo_arc (cr, s->p[j][0], s->p[j][1], r, a0, a1);
    else
      cairo_arc_negative (cr, s->p[j][0], s->p[j][1], r, a0, a1);
  }
  cairo_close_path (cr);
}

void
dd_shape_path (const dd_shape *s, cairo_t *cr)
{
  switch (s->kind) {
    case DD_SHAPE_CAPSULE:
      capsule_path (s, cr);
      break;
    case DD_SHAPE_ELLIPSE:
      cairo_save (cr);
      cairo_translate (cr, s->p[0][0], s->p[0][1]);
      cairo_rotate (cr, s->angle);
      cairo_scale (cr, s->r[0], s->r[1]);
      cairo_new_sub_path (cr);
      cairo_arc (cr, 0, 0, 1, 0, 2 * M_PI);
      cairo_close_path (cr);
      cairo_restore (cr);
      break;
    case DD_SHAPE_POLYGON:
      polygon_path (s, cr);
      break;
  }
}

static bool
in_disc (double x, double y, double cx, double cy, double r)
{
  return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
}

/* Inside a convex polygon given in either orientation (edges included). */
static bool
in_convex (int n, const double (*p)[2], double x, double y)
{
  int sign = 0;
  for (int i = 0; i < n; i++) {
    int j = (i + 1) % n;
    double c = (p[j][0] - p[i][0]) * (y - p[i][1])
        - (p[j][1] - p[i][1]) * (x - p[i][0]);
    int cs = c > 0 ? 1 : c < 0 ? -1 : 0;
    if (cs == 0)
      continue;
    if (sign == 0)
      sign = cs;
    else if (cs != sign)
      return false;
  }
  return true;
}

static double
segment_distance (double x, double y, const double a[2], const double b[2])
{
  double dx = b[0] - a[0], dy = b[1] - a[1];
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return hypot (x - a[0] - t * dx, y - a[1] - t * dy);
}

static bool
capsule_contains (const dd_shape *s, double x, double y)
{
  if (in_disc (x, y, s->p[0][0], s->p[0][1], s->r[0])
      || in_disc (x, y, s->p[1][0], s->p[1][1], s->r[1]))
    return true;
  double base, half;
  if (!capsule_tangents (s, &base, &half))
    return false;
  /* The hull of two discs is the discs plus the quadrilateral of the four
   * tangent points. */
  double q[4][2];
  double angles[2] = { base + half, base - half };
  for (int k = 0; k < 2; k++) {
    q[k][0] = s->p[0][0] + s->r[0] * cos (angles[k]);
    q[k][1] = s->p[0][1] + s->r[0] * sin (angles[k]);
    q[3 - k][0] = s->p[1][0] + s->r[1] * cos (angles[k]);
    q[3 - k][1] = s->p[1][1] + s->r[1] * sin (angles[k]);
  }
  return in_convex (4, (const double (*)[2]) q, x, y);
}

bool
dd_shape_contains (const dd_shape *s, double x, double y)
{
  switch (s->kind) {
    case DD_SHAPE_CAPSULE:
      return capsule_contains (s, x, y);
    case DD_SHAPE_ELLIPSE: {
      double dx = x - s->p[0][0], dy = y - s->p[0][1];
      double c = cos (s->angle), sn = sin (s->angle);
      double u = (dx * c + dy * sn) / s->r[0];
      double v = (-dx * sn + dy * c) / s->r[1];
      return u * u + v * v <= 1;
    }
    case DD_SHAPE_POLYGON:
      if (in_convex (s->n, (const double (*)[2]) s->p, x, y))
        return true;
      for (int i = 0; i < s->n; i++)
        if (segment_distance (x, y, s->p[i], s->p[(i + 1) % s->n]) <= s->r[0])
          return true;
      return false;
  }
  return false;
}

static void
extend (double box[4], double x0, double y0, double x1, double y1)
{
  box[0] = fmin (box[0], x0);
  box[1] = fmin (box[1], y0);
  box[2] = fmax (box[2], x1);
  box[3] = fmax (box[3], y1);
}

void
dd_shape_extend_box (const dd_shape *s, double box[4])
{
  switch (s->kind) {
    case DD_SHAPE_CAPSULE:
      /* The hull of two discs has the bounding box of the two discs. */
      for (int k = 0; k < 2; k++)
        extend (box, s->p[k][0] - s->r[k], s->p[k][1] - s->r[k],
            s->p[k][0] + s->r[k], s->p[k][1] + s->r[k]);
      break;
    case DD_SHAPE_ELLIPSE: {
      double c = cos (s->angle), sn = sin (s->angle);
      double hx = hypot (s->r[0] * c, s->r[1] * sn);
      double hy = hypot (s->r[0] * sn, s->r[1] * c);
      extend (box, s->p[0][0] - hx, s->p[0][1] - hy, s->p[0][0] + hx,
          s->p[0][1] + hy);
      break;
    }
    case DD_SHAPE_POLYGON:
      for (int i = 0; i < s->n; i++)
        extend (box, s->p[i][0] - s->r[0], s->p[i][1] - s->r[0],
            s->p[i][0] + s->r[0], s->p[i][1] + s->r[0]);
      break;
  }
}

static double
quantize (double v)
{
  return round (v * 256.0) / 256.0;
}

void
dd_shape_quantize (dd_shape *s)
{
  for (int i = 0; i < s->n; i++) {
    s->p[i][0] = quantize (s->p[i][0]);
    s->p[i][1] = quantize (s->p[i][1]);
  }
  s->r[0] = quantize (s->r[0]);
  s->r[1] = quantize (s->r[1]);
  s->angle = round (s->angle * 65536.0) / 65536.0;
}
