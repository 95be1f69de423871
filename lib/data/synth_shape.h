/* Shapes of the synthetic scenes: the primitives a figure, an occluder or a
 * background distractor is made of.
 *
 * One description serves three uses that must agree exactly: drawing with
 * cairo, the geometric "does this shape cover that point" test that decides
 * keypoint visibility, and the extent that gives a person's bounding box.
 * Coordinates are pixels of the frame (x right, y down).
 */
#ifndef DD_DATA_SYNTH_SHAPE_H
#define DD_DATA_SYNTH_SHAPE_H

#include <cairo.h>
#include <stdbool.h>

typedef enum {
  /* Convex hull of two discs: a limb, tapering from radius r[0] at p[0] to
   * r[1] at p[1]. */
  DD_SHAPE_CAPSULE,
  /* Ellipse centred at p[0] with semi-axes r[0] (along `angle`) and r[1]. */
  DD_SHAPE_ELLIPSE,
  /* Convex polygon p[0..n-1] grown by r[0]: a torso, a box, a blob. */
  DD_SHAPE_POLYGON,
} dd_shape_kind;

#define DD_SHAPE_MAX_POINTS 16

typedef struct dd_shape {
  dd_shape_kind kind;
  int n;                        /* points used in p */
  double p[DD_SHAPE_MAX_POINTS][2];
  double r[2];
  double angle;                 /* radians, ellipses only */
} dd_shape;

void dd_shape_capsule (dd_shape *s, double ax, double ay, double ra,
    double bx, double by, double rb);
void dd_shape_ellipse (dd_shape *s, double cx, double cy, double rx,
    double ry, double angle);
/* The convex hull of n points (in any order, at most DD_SHAPE_MAX_POINTS)
 * grown by `grow`, which rounds its corners. */
void dd_shape_polygon (dd_shape *s, int n, const double (*pts)[2], double grow);

/* Appends the outline to cairo's current path. */
void dd_shape_path (const dd_shape *s, cairo_t *cr);

/* Whether (x, y) lies inside the shape. */
bool dd_shape_contains (const dd_shape *s, double x, double y);

/* Grows box (x0, y0, x1, y1) to hold the shape. */
void dd_shape_extend_box (const dd_shape *s, double box[4]);

/* Rounds every coordinate to 1/256 pixel, cairo's own precision, so tiny
 * floating-point differences between C libraries cannot move an edge. */
void dd_shape_quantize (dd_shape *s);

#endif
