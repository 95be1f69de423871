/* Transforms and their inverses: points, boxes and detections exactly,
 * head maps within interpolation error (exactly for flips), and the
 * geometry of every head checked on fields whose true values are known. */
#include <string.h>

#include "check.h"
#include "data/augment.h"
#include "distill/head_maps.h"
#include "distill/tta_maps.h"
#include "distill/tta_transform.h"
#include "nn/rng.h"

static const int person_pairs[8][2] = {
  { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 }, { 9, 10 }, { 11, 12 }, { 13, 14 }, { 15, 16 },
};

static dd_flip_map
person_flip_map (void)
{
  dd_flip_map fm;
  if (!dd_flip_map_init (&fm, person_pairs, 8, 17, NULL))
    abort ();
  return fm;
}

/* A 64x48 frame through a variety of transforms: flips, up, down, sizes
 * that are no multiple of the map stride, unequal scales along x and y. */
static const dd_tta_transform transforms[] = {
  { 64, 48, 64, 48, FALSE },
  { 64, 48, 64, 48, TRUE },
  { 64, 48, 128, 96, FALSE },
  { 64, 48, 128, 96, TRUE },
  { 64, 48, 32, 24, TRUE },
  { 64, 48, 80, 60, FALSE },
  { 64, 48, 86, 64, TRUE },
};

static void
test_points (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 1, 0);
  for (size_t i = 0; i < G_N_ELEMENTS (transforms); i++) {
    const dd_tta_transform *t = &transforms[i];
    dd_transform a = dd_transform_resize (t->frame_width, t->frame_height, t->width,
        t->height, t->flip);
    for (int n = 0; n < 200; n++) {
      double x = dd_rng_range (&rng, -10, 74), y = dd_rng_range (&rng, -10, 58);
      double u, v, x2, y2, au, av;
      dd_tta_point_forward (t, x, y, &u, &v);
      dd_tta_point_inverse (t, u, v, &x2, &y2);
      CHECK_CLOSE (x2, x, 0, 1e-9);
      CHECK_CLOSE (y2, y, 0, 1e-9);
      /* The same map as lib/data's resize, so the image the element
       * resamples shows each point where this transform puts it. */
      dd_transform_point (&a, x, y, &au, &av);
      CHECK_CLOSE (u, au, 0, 1e-9);
      CHECK_CLOSE (v, av, 0, 1e-9);
    }
  }
  /* The identity changes nothing, to the bit. */
  dd_tta_transform id = dd_tta_identity (64, 48);
  double u, v;
  dd_tta_point_inverse (&id, 12.345678, 0.1, &u, &v);
  CHECK (u == 12.345678 && v == 0.1);
  /* A pixel centre mirrors onto the mirrored pixel's centre: pixel 0 of a
   * 64 wide image becomes pixel 63. */
  dd_tta_point_forward (&transforms[1], 0.5, 3.5, &u, &v);
  CHECK (u == 63.5 && v == 3.5);
}

static void
test_boxes (void)
{
  /* By hand: 100x50 frame, doubled and flipped. x 10..30 becomes 20..60,
   * mirrored in 200: 140..180; y doubles. */
  dd_tta_transform t = { 100, 50, 200, 100, TRUE };
  float box[4] = { 10, 5, 30, 20 }, out[4], back[4];
  dd_tta_box_forward (&t, box, out);
  CHECK (out[0] == 140 && out[1] == 10 && out[2] == 180 && out[3] == 40);
  dd_tta_box_inverse (&t, out, back);
  CHECK (memcmp (back, box, sizeof box) == 0);
  dd_rng rng;
  dd_rng_seed (&rng, 2, 0);
  for (size_t i = 0; i < G_N_ELEMENTS (transforms); i++)
    for (int n = 0; n < 100; n++) {
      float b[4], f[4], r[4];
      b[0] = dd_rng_range (&rng, 0, 50);
      b[1] = dd_rng_range (&rng, 0, 40);
      b[2] = b[0] + dd_rng_range (&rng, 0.5f, 14);
      b[3] = b[1] + dd_rng_range (&rng, 0.5f, 8);
      dd_tta_box_forward (&transforms[i], b, f);
      CHECK (f[0] < f[2] && f[1] < f[3]);
      dd_tta_box_inverse (&transforms[i], f, r);
      for (int c = 0; c < 4; c++)
        CHECK_CLOSE (r[c], b[c], 0, 1e-4);
      /* In place. */
      dd_tta_box_inverse (&transforms[i], f, f);
      CHECK (memcmp (f, r, sizeof r) == 0);
    }
}

static void
test_detections (void)
{
  dd_flip_map fm = person_flip_map ();
  dd_detection d = { .class_index = 0, .box = { 10, 10, 40, 46 }, .score = 0.8f,
    .n_keypoints = 17 };
  for (int k = 0; k < 17; k++)
    d.keypoints[k] = (dd_keypoint) { 12.0f + k, 20.0f + 0.5f * k, 0.05f * k };
  /* Mirroring the frame at its own size: entry "left eye" (1) now holds the
   * mirrored right eye (2), with its score. */
  dd_detection f;
  dd_tta_detection_forward (&transforms[1], &fm, &d, &f);
  CHECK (f.keypoints[1].x == 64 - d.keypoints[2].x);
  CHECK (f.keypoints[1].y == d.keypoints[2].y);
  CHECK (f.keypoints[1].score == d.keypoints[2].score);
  CHECK (f.keypoints[0].x == 64 - d.keypoints[0].x);
  CHECK (f.box[0] == 24 && f.box[2] == 54);
  CHECK (f.class_index == 0 && f.score == 0.8f && f.n_keypoints == 17);
  for (size_t i = 0; i < G_N_ELEMENTS (transforms); i++) {
    dd_detection g, back;
    dd_tta_detection_forward (&transforms[i], &fm, &d, &g);
    dd_tta_detection_inverse (&transforms[i], &fm, &g, &back);
    for (int c = 0; c < 4; c++)
      CHECK_CLOSE (back.box[c], d.box[c], 0, 1e-4);
    for (int k = 0; k < 17; k++) {
      CHECK_CLOSE (back.keypoints[k].x, d.keypoints[k].x, 0, 1e-4);
      CHECK_CLOSE (back.keypoints[k].y, d.keypoints[k].y, 0, 1e-4);
      CHECK (back.keypoints[k].score == d.keypoints[k].score);
    }
  }
  /* Flipping twice is the identity to the bit. */
  dd_detection once, twice;
  dd_tta_detection_forward (&transforms[1], &fm, &d, &once);
  dd_tta_detection_forward (&transforms[1], &fm, &once, &twice);
  CHECK (memcmp (&twice, &d, sizeof d) == 0);
}

/* ---- Maps ---------------------------------------------------------------- */

#define STRIDE 4

static void
grid_of (const dd_tta_transform *t, gboolean frame, dd_head_maps *m, int n_classes,
    int n_keypoints)
{
  int w = frame ? t->frame_width : t->width, h = frame ? t->frame_height : t->height;
  dd_maps_init (m, (h + STRIDE - 1) / STRIDE, (w + STRIDE - 1) / STRIDE, STRIDE,
      n_classes, n_keypoints, DD_MAPS_ALL);
}

static void
fill_random (dd_head_maps *m, dd_rng *rng)
{
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    float *v = dd_maps_data (m, head);
    size_t n = (size_t) dd_maps_planes (m, head) * m->h * m->w;
    for (size_t i = 0; i < n; i++)
      v[i] = dd_rng_uniform (rng);
  }
}

/* Every value of every head of `a` and `b` within `tol`. */
static double
max_difference (const dd_head_maps *a, const dd_head_maps *b)
{
  double worst = 0.0;
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    const float *x = dd_maps_data (a, head), *y = dd_maps_data (b, head);
    size_t n = (size_t) dd_maps_planes (a, head) * a->h * a->w;
    for (size_t i = 0; i < n; i++)
      worst = MAX (worst, fabs ((double) x[i] - y[i]));
  }
  return worst;
}

static void
test_maps_flip_twice_and_identity (void)
{
  dd_flip_map fm = person_flip_map ();
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  const dd_tta_transform *flip = &transforms[1];
  dd_head_maps frame, flipped, back;
  grid_of (flip, TRUE, &frame, 2, 17);
  grid_of (flip, FALSE, &flipped, 2, 17);
  grid_of (flip, TRUE, &back, 2, 17);
  fill_random (&frame, &rng);
  CHECK (dd_tta_maps_forward (flip, &fm, &frame, DD_MAPS_ALL, &flipped, NULL));
  CHECK (dd_tta_maps_inverse (flip, &fm, &flipped, DD_MAPS_ALL, &back, NULL));
  /* Mirrored planes and swapped channels: exact; the offsets pass through
   * 1 - x twice, exact up to the float rounding of 1 - x. */
  for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
    size_t n = (size_t) dd_maps_planes (&frame, head) * frame.h * frame.w;
    const float *a = dd_maps_data (&frame, head), *b = dd_maps_data (&back, head);
    for (size_t i = 0; i < n; i++)
      if (head == DD_MAPS_OFFSET)
        CHECK_CLOSE (b[i], a[i], 0, 1e-7);
      else
        CHECK (b[i] == a[i]);
  }
  /* What the mirror holds: the left wrist's plane (9) at cell (x, y) is the
   * right wrist's (10) at (w - 1 - x, y); its dx the negated right one's. */
  size_t plane = (size_t) frame.h * frame.w;
  int x = 2, y = 5, mx = frame.w - 1 - x;
  CHECK (flipped.keypoint_heatmap[9 * plane + y * frame.w + x]
      == frame.keypoint_heatmap[10 * plane + y * frame.w + mx]);
  CHECK (flipped.keypoint_offset[18 * plane + y * frame.w + x]
      == -frame.keypoint_offset[20 * plane + y * frame.w + mx]);
  CHECK (flipped.keypoint_offset[19 * plane + y * frame.w + x]
      == frame.keypoint_offset[21 * plane + y * frame.w + mx]);
  CHECK (flipped.center[plane + y * frame.w + x] == frame.center[plane + y * frame.w + mx]);
  CHECK (flipped.size[y * frame.w + x] == frame.size[y * frame.w + mx]);
  CHECK_CLOSE (flipped.offset[y * frame.w + x], 1.0 - frame.offset[y * frame.w + mx], 0,
      1e-7);
  /* The identity copies. */
  dd_tta_transform id = dd_tta_identity (64, 48);
  CHECK (dd_tta_maps_inverse (&id, &fm, &frame, DD_MAPS_ALL, &back, NULL));
  CHECK (max_difference (&frame, &back) == 0.0);
  dd_maps_clear (&frame);
  dd_maps_clear (&flipped);
  dd_maps_clear (&back);
}

/* Fields whose values follow from the geometry, so their images under a
 * transform are known: every cell's centre offset points at one centre P,
 * every keypoint offset at one point Q_k, every size is S, the centre
 * heatmap holds the frame x of the cell centre, each keypoint heatmap the y.
 * All are affine in the cell, which bilinear resampling keeps exactly away
 * from the clamped border. */
typedef struct field {
  double px, py;                /* centre, frame pixels */
  double qx[17], qy[17];        /* keypoints */
  double sw, sh;                /* box size */
} field;

static void
fill_field (dd_head_maps *m, const field *f, const dd_tta_transform *t,
    const dd_flip_map *fm, gboolean through_t)
{
  size_t plane = (size_t) m->h * m->w;
  double sx = through_t ? dd_tta_scale_x (t) : 1.0, sy = through_t ? dd_tta_scale_y (t) : 1.0;
  double px, py;
  if (through_t)
    dd_tta_point_forward (t, f->px, f->py, &px, &py);
  else
    px = f->px, py = f->py;
  for (int i = 0; i < m->h; i++)
    for (int j = 0; j < m->w; j++) {
      size_t at = (size_t) i * m->w + j;
      double cx = (j + 0.5) * m->stride, cy = (i + 0.5) * m->stride, fx, fy;
      m->offset[at] = (float) (px / m->stride - j);
      m->offset[plane + at] = (float) (py / m->stride - i);
      m->size[at] = (float) (f->sw * sx);
      m->size[plane + at] = (float) (f->sh * sy);
      if (through_t)
        dd_tta_point_inverse (t, cx, cy, &fx, &fy);
      else
        fx = cx, fy = cy;
      m->center[at] = (float) fx;
      for (int k = 0; k < 17; k++) {
        /* The keypoint the transformed image calls k is the frame's partner. */
        int src = through_t && t->flip ? fm->partner[k] : k;
        double qx, qy;
        if (through_t)
          dd_tta_point_forward (t, f->qx[src], f->qy[src], &qx, &qy);
        else
          qx = f->qx[k], qy = f->qy[k];
        m->keypoint_heatmap[k * plane + at] = (float) fy + src;
        m->keypoint_offset[2 * k * plane + at] = (float) (qx - cx);
        m->keypoint_offset[(2 * k + 1) * plane + at] = (float) (qy - cy);
      }
    }
}

/* Whether destination cell (i, j) samples the source away from its clamped
 * border, where the fields stay exact. */
static gboolean
interior (const dd_tta_transform *t, gboolean inverse, const dd_head_maps *dst,
    const dd_head_maps *src, int i, int j)
{
  double x = (j + 0.5) * dst->stride, y = (i + 0.5) * dst->stride, u, v;
  if (inverse)
    dd_tta_point_forward (t, x, y, &u, &v);
  else
    dd_tta_point_inverse (t, x, y, &u, &v);
  double fu = u / src->stride - 0.5, fv = v / src->stride - 0.5;
  return fu >= 0 && fu <= src->w - 1 && fv >= 0 && fv <= src->h - 1;
}

static void
test_maps_geometry (void)
{
  dd_flip_map fm = person_flip_map ();
  field f = { .px = 30.3, .py = 21.7, .sw = 17.5, .sh = 33.25 };
  for (int k = 0; k < 17; k++) {
    f.qx[k] = 20.0 + 1.5 * k;
    f.qy[k] = 8.0 + 2.0 * k;
  }
  for (size_t n = 0; n < G_N_ELEMENTS (transforms); n++) {
    const dd_tta_transform *t = &transforms[n];
    dd_head_maps frame, image, want_frame, want_image;
    grid_of (t, TRUE, &frame, 1, 17);
    grid_of (t, TRUE, &want_frame, 1, 17);
    grid_of (t, FALSE, &image, 1, 17);
    grid_of (t, FALSE, &want_image, 1, 17);
    fill_field (&want_frame, &f, t, &fm, FALSE);
    fill_field (&want_image, &f, t, &fm, TRUE);
    /* Forward: the frame's field becomes the transformed image's. */
    CHECK (dd_tta_maps_forward (t, &fm, &want_frame, DD_MAPS_ALL, &image, NULL));
    /* Inverse: the transformed image's field becomes the frame's. */
    CHECK (dd_tta_maps_inverse (t, &fm, &want_image, DD_MAPS_ALL, &frame, NULL));
    for (int dir = 0; dir < 2; dir++) {
      const dd_head_maps *got = dir ? &frame : &image, *want = dir ? &want_frame : &want_image;
      const dd_head_maps *src = dir ? &want_image : &want_frame;
      int bad = 0;
      for (int i = 0; i < got->h; i++)
        for (int j = 0; j < got->w; j++) {
          if (!interior (t, dir, got, src, i, j))
            continue;
          size_t at = (size_t) i * got->w + j;
          for (unsigned head = 1; head & DD_MAPS_ALL; head <<= 1) {
            size_t plane = (size_t) got->h * got->w;
            for (int c = 0; c < dd_maps_planes (got, head); c++) {
              double a = dd_maps_data (got, head)[c * plane + at];
              double b = dd_maps_data (want, head)[c * plane + at];
              if (fabs (a - b) > 1e-3 * MAX (1.0, fabs (b)))
                bad++;
            }
          }
        }
      if (bad) {
        fprintf (stderr, "  transform %zu, %s: %d values off\n", n,
            dir ? "inverse" : "forward", bad);
        check_failures++;
      }
    }
    dd_maps_clear (&frame);
    dd_maps_clear (&image);
    dd_maps_clear (&want_frame);
    dd_maps_clear (&want_image);
  }
}

/* A smooth map scaled up or down and back comes back within interpolation
 * error. For a gaussian of sigma s cells (curvature at most 1/s^2 per axis):
 * 2x up then back blurs each axis by the kernel [1/8, 3/4, 1/8], an error
 * of at most (1/8)/s^2 per axis; 2x down then back averages cell pairs
 * (1/8 of the curvature) and interpolates at quarter cells of the coarse
 * grid (3/8), at most (1/2)/s^2 per axis. Bounds with 10% slack. */
static void
test_maps_round_trip (void)
{
  dd_flip_map fm = person_flip_map ();
  const dd_tta_transform ts[] = {
    { 64, 48, 128, 96, FALSE }, { 64, 48, 128, 96, TRUE }, { 64, 48, 32, 24, FALSE },
    { 64, 48, 32, 24, TRUE },
  };
  const double sigma = 3.0, per_axis[] = { 0.125, 0.125, 0.5, 0.5 };
  for (size_t n = 0; n < G_N_ELEMENTS (ts); n++) {
    const dd_tta_transform *t = &ts[n];
    dd_head_maps frame, image, back;
    grid_of (t, TRUE, &frame, 1, 17);
    grid_of (t, FALSE, &image, 1, 17);
    grid_of (t, TRUE, &back, 1, 17);
    size_t plane = (size_t) frame.h * frame.w;
    for (int c = 0; c < 17; c++)
      for (int i = 0; i < frame.h; i++)
        for (int j = 0; j < frame.w; j++) {
          double dx = j - 5.0 - 0.3 * c, dy = i - 6.0;
          frame.keypoint_heatmap[c * plane + i * frame.w + j]
              = (float) exp (-(dx * dx + dy * dy) / (2 * sigma * sigma));
        }
    CHECK (dd_tta_maps_forward (t, &fm, &frame, DD_MAPS_KEYPOINT_HEATMAP, &image, NULL));
    CHECK (dd_tta_maps_inverse (t, &fm, &image, DD_MAPS_KEYPOINT_HEATMAP, &back, NULL));
    double worst = 0, bound = 1.1 * 2 * per_axis[n] / (sigma * sigma);
    for (size_t i = 0; i < 17 * plane; i++)
      worst = MAX (worst, fabs (back.keypoint_heatmap[i] - frame.keypoint_heatmap[i]));
    if (worst > bound) {
      fprintf (stderr, "  round trip %zu: worst error %g > %g\n", n, worst, bound);
      check_failures++;
    }
    dd_maps_clear (&frame);
    dd_maps_clear (&image);
    dd_maps_clear (&back);
  }
}

static void
test_maps_errors (void)
{
  dd_flip_map fm = person_flip_map ();
  dd_head_maps a, b;
  GError *error = NULL;
  dd_maps_init (&a, 12, 16, 4, 1, 17, DD_MAPS_ALL);
  dd_maps_init (&b, 12, 16, 4, 2, 17, DD_MAPS_ALL);
  CHECK (!dd_tta_maps_inverse (&transforms[1], &fm, &a, DD_MAPS_ALL, &b, &error));
  CHECK (error && strstr (error->message, "1 classes") && strstr (error->message, "64x48f"));
  g_clear_error (&error);
  dd_maps_clear (&b);
  dd_maps_init (&b, 12, 16, 4, 1, 17, DD_MAPS_CENTER);
  CHECK (!dd_tta_maps_inverse (&transforms[1], &fm, &a, DD_MAPS_ALL, &b, &error));
  CHECK (error && strstr (error->message, "destination") && strstr (error->message, "0x1e"));
  g_clear_error (&error);
  dd_flip_map small;
  CHECK (dd_flip_map_init (&small, person_pairs, 2, 5, NULL));
  dd_maps_clear (&b);
  dd_maps_init (&b, 12, 16, 4, 1, 17, DD_MAPS_ALL);
  CHECK (!dd_tta_maps_inverse (&transforms[1], &small, &a, DD_MAPS_ALL, &b, &error));
  CHECK (error && strstr (error->message, "flip pairs"));
  g_clear_error (&error);
  dd_maps_clear (&a);
  dd_maps_clear (&b);
}

static void
test_flip_map (void)
{
  dd_flip_map fm;
  GError *error = NULL;
  const int bad[2][2] = { { 1, 2 }, { 2, 3 } };
  CHECK (!dd_flip_map_init (&fm, bad, 2, 17, &error));
  CHECK (error && strstr (error->message, "pair 1") && strstr (error->message, "reuses"));
  g_clear_error (&error);
  const int out_of_range[1][2] = { { 1, 17 } };
  CHECK (!dd_flip_map_init (&fm, out_of_range, 1, 17, &error));
  CHECK (error && strstr (error->message, "(1, 17)"));
  g_clear_error (&error);
  CHECK (!dd_flip_map_init (&fm, NULL, 0, DD_MAX_KEYPOINTS + 1, &error));
  g_clear_error (&error);
  fm = person_flip_map ();
  CHECK (fm.partner[0] == 0 && fm.partner[9] == 10 && fm.partner[10] == 9);
}

int
main (void)
{
  RUN_TEST (test_points);
  RUN_TEST (test_boxes);
  RUN_TEST (test_detections);
  RUN_TEST (test_maps_flip_twice_and_identity);
  RUN_TEST (test_maps_geometry);
  RUN_TEST (test_maps_round_trip);
  RUN_TEST (test_maps_errors);
  RUN_TEST (test_flip_map);
  return check_exit_status ();
}
