/* Geometric transforms and training augmentation (lib/data/augment.h). */
#include <math.h>
#include <string.h>

#include <cairo.h>
#include <glib.h>

#include "coco_real.h"
#include "data/augment.h"
#include "data/synth_render.h"

#define K DD_COCO_PERSON_KEYPOINTS

static void
assert_close (double a, double b)
{
  g_assert_cmpfloat (fabs (a - b), <=, 1e-9 * MAX (1.0, fabs (b)));
}

static dd_transform
random_transform (dd_rng *rng)
{
  dd_transform t = {
    .width = 50 + (int) dd_rng_below (rng, 500),
    .height = 50 + (int) dd_rng_below (rng, 500),
    .scale_x = dd_rng_range (rng, 0.1f, 4.0f),
    .offset_x = dd_rng_range (rng, -300.0f, 300.0f),
    .offset_y = dd_rng_range (rng, -300.0f, 300.0f),
    .flip = dd_rng_below (rng, 2),
  };
  t.scale_y = dd_rng_below (rng, 2) ? t.scale_x : dd_rng_range (rng, 0.1f, 4.0f);
  return t;
}

/* ---- Point and box maps -------------------------------------------------- */

static void
test_point_box_known_values (void)
{
  const dd_transform t = {
    .width = 100, .height = 80, .scale_x = 2.0, .scale_y = 2.0,
    .offset_x = 10.0, .offset_y = -5.0, .flip = TRUE,
  };
  double u, v;
  dd_transform_point (&t, 3.0, 4.0, &u, &v);
  g_assert_cmpfloat (u, ==, 100.0 - (2.0 * 3.0 + 10.0));
  g_assert_cmpfloat (v, ==, 2.0 * 4.0 - 5.0);
  /* The box's left edge comes from the input's right edge. */
  const double box[4] = { 1.0, 2.0, 3.0, 4.0 };
  double out[4];
  dd_transform_box (&t, box, out);
  g_assert_cmpfloat (out[0], ==, 100.0 - (2.0 * 4.0 + 10.0));
  g_assert_cmpfloat (out[1], ==, -1.0);
  g_assert_cmpfloat (out[2], ==, 6.0);
  g_assert_cmpfloat (out[3], ==, 8.0);

  /* A flip alone mirrors pixel i onto pixel width - 1 - i: centre to centre. */
  const dd_transform mirror = dd_transform_resize (100, 80, 100, 80, TRUE);
  dd_transform_point (&mirror, 0.5, 0.5, &u, &v);
  g_assert_cmpfloat (u, ==, 99.5);
  g_assert_cmpfloat (v, ==, 0.5);
}

static void
test_forward_inverse_identity (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 11, 0);
  for (int i = 0; i < 2000; i++) {
    dd_transform t = random_transform (&rng);
    double x = dd_rng_range (&rng, -100.0f, 1000.0f);
    double y = dd_rng_range (&rng, -100.0f, 1000.0f);
    double u, v, x2, y2;
    dd_transform_point (&t, x, y, &u, &v);
    dd_transform_point_inverse (&t, u, v, &x2, &y2);
    assert_close (x2, x);
    assert_close (y2, y);
    dd_transform_point_inverse (&t, x, y, &u, &v);
    dd_transform_point (&t, u, v, &x2, &y2);
    assert_close (x2, x);
    assert_close (y2, y);

    const double box[4] = { x, y, dd_rng_range (&rng, 0.0f, 300.0f),
      dd_rng_range (&rng, 0.0f, 300.0f) };
    double mapped[4], back[4];
    dd_transform_box (&t, box, mapped);
    g_assert_cmpfloat (mapped[2], >=, 0.0);
    dd_transform_box_inverse (&t, mapped, back);
    for (int j = 0; j < 4; j++)
      assert_close (back[j], box[j]);
  }
}

static void
test_keypoints_forward_inverse (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 12, 0);
  for (int i = 0; i < 500; i++) {
    dd_transform t = random_transform (&rng);
    float kp[3 * K], out[3 * K], back[3 * K];
    /* Points chosen inside the output, so none is clipped. */
    for (int k = 0; k < K; k++) {
      double x, y;
      dd_transform_point_inverse (&t, dd_rng_range (&rng, 0.01f, t.width - 0.01f),
          dd_rng_range (&rng, 0.01f, t.height - 0.01f), &x, &y);
      kp[3 * k] = (float) x;
      kp[3 * k + 1] = (float) y;
      kp[3 * k + 2] = (float) (1 + dd_rng_below (&rng, 2));
    }
    dd_transform_keypoints (&t, kp, out, K, dd_coco_person_flip_pairs,
        DD_COCO_PERSON_N_FLIP_PAIRS);
    for (int k = 0; k < K; k++)
      g_assert_cmpfloat (out[3 * k + 2], >, 0.0f);
    /* The entry of a pair holds its partner's point after a flip. */
    double u, v;
    dd_transform_point (&t, kp[3 * 9], kp[3 * 9 + 1], &u, &v);
    int wrist = t.flip ? 10 : 9;
    g_assert_cmpfloat (fabs (out[3 * wrist] - u), <=, 1e-3 * MAX (1.0, fabs (u)));
    g_assert_cmpfloat (out[3 * wrist + 2], ==, kp[3 * 9 + 2]);

    dd_transform_keypoints_inverse (&t, out, back, K, dd_coco_person_flip_pairs,
        DD_COCO_PERSON_N_FLIP_PAIRS);
    for (int k = 0; k < K; k++) {
      /* Equal up to the float storage of the input and output points. */
      double tol = 1e-5 * (fabs (kp[3 * k]) + (t.width + fabs (t.offset_x)) / t.scale_x
          + 1.0);
      g_assert_cmpfloat (fabs (back[3 * k] - kp[3 * k]), <=, tol);
      g_assert_cmpfloat (back[3 * k + 2], ==, kp[3 * k + 2]);
    }
    /* In place gives the same. */
    dd_transform_keypoints (&t, kp, kp, K, dd_coco_person_flip_pairs,
        DD_COCO_PERSON_N_FLIP_PAIRS);
    g_assert_cmpmem (kp, sizeof kp, out, sizeof out);
  }
}

static void
test_flip_pairs_check (void)
{
  GError *error = NULL;
  g_assert_true (dd_flip_pairs_check (dd_coco_person_flip_pairs,
          DD_COCO_PERSON_N_FLIP_PAIRS, K, "person", &error));
  g_assert_no_error (error);
  g_assert_false (dd_flip_pairs_check (dd_coco_person_flip_pairs,
          DD_COCO_PERSON_N_FLIP_PAIRS, 5, "hand model", &error));
  g_assert_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_FLIP_PAIRS);
  g_assert_nonnull (strstr (error->message, "hand model"));
  g_clear_error (&error);
  const int reused[2][2] = { { 1, 2 }, { 2, 3 } };
  g_assert_false (dd_flip_pairs_check (reused, 2, 4, "x", &error));
  g_assert_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_FLIP_PAIRS);
  g_clear_error (&error);
}

/* ---- Images -------------------------------------------------------------- */

static dd_image *
random_image (int width, int height, uint64_t seed)
{
  dd_image *img = dd_image_new (width, height, NULL);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  for (size_t i = 0; i < (size_t) width * height * 3; i++)
    img->data[i] = (uint8_t) dd_rng_below (&rng, 256);
  return img;
}

static void
test_transform_image_is_resize (void)
{
  dd_image *img = random_image (37, 29, 13);
  const uint8_t fill[3] = { 0, 0, 0 };
  const int sizes[][2] = { { 37, 29 }, { 74, 58 }, { 20, 41 }, { 11, 7 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    int w = sizes[i][0], h = sizes[i][1];
    dd_image *resized = dd_image_resize (img, w, h, NULL);
    dd_transform t = dd_transform_resize (37, 29, w, h, FALSE);
    dd_image *warped = dd_transform_image (&t, img, fill, NULL);
    g_assert_cmpmem (warped->data, (gsize) w * h * 3, resized->data, (gsize) w * h * 3);
    dd_image_free (warped);
    /* Flipped: the same image, columns mirrored. */
    t.flip = TRUE;
    warped = dd_transform_image (&t, img, fill, NULL);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        g_assert_cmpmem (warped->data + (y * w + x) * 3, 3,
            resized->data + (y * w + (w - 1 - x)) * 3, 3);
    dd_image_free (warped);
    dd_image_free (resized);
  }
  /* An absurd output size is refused before anything of that size is
   * allocated. */
  GError *error = NULL;
  dd_transform huge = dd_transform_resize (37, 29, G_MAXINT, G_MAXINT, FALSE);
  g_assert_null (dd_transform_image (&huge, img, fill, &error));
  g_assert_error (error, DD_IMAGE_ERROR, DD_IMAGE_ERROR_ARGUMENT);
  g_clear_error (&error);
  dd_image_free (img);
}

static void
test_padding (void)
{
  dd_image *img = random_image (10, 10, 14);
  /* Same scale, the image placed at (5, 3) in a 20 x 12 output. */
  const dd_transform t = {
    .width = 20, .height = 12, .scale_x = 1.0, .scale_y = 1.0,
    .offset_x = 5.0, .offset_y = 3.0,
  };
  const uint8_t fill[3] = { 7, 8, 9 };
  dd_image *out = dd_transform_image (&t, img, fill, NULL);
  for (int y = 0; y < 12; y++)
    for (int x = 0; x < 20; x++) {
      const uint8_t *p = out->data + (y * 20 + x) * 3;
      if (x >= 5 && x < 15 && y >= 3)
        g_assert_cmpmem (p, 3, img->data + ((y - 3) * 10 + (x - 5)) * 3, 3);
      else
        g_assert_cmpmem (p, 3, fill, 3);
    }
  dd_image_free (out);
  dd_image_free (img);
}

/* ---- Annotations --------------------------------------------------------- */

static void
test_annotation_clip_drop_area (void)
{
  const dd_transform t = {
    .width = 100, .height = 100, .scale_x = 2.0, .scale_y = 2.0,
    .offset_x = -50.0, .offset_y = 0.0, .flip = FALSE,
  };
  float kp[3 * K] = { 0 };
  kp[0] = 40.0f;                /* nose at (40, 10) -> (30, 20), inside */
  kp[1] = 10.0f;
  kp[2] = 2.0f;
  kp[3 * 1] = 10.0f;            /* left eye at (10, 10) -> (-30, 20), outside */
  kp[3 * 1 + 1] = 10.0f;
  kp[3 * 1 + 2] = 1.0f;
  dd_coco_annotation in = {
    .id = 7, .image_id = 3, .category_id = 1,
    .bbox = { 10.0, 5.0, 40.0, 20.0 },
    .area = 500.0, .num_keypoints = 2, .n_keypoints = K, .keypoints = kp,
  };
  dd_coco_annotation out;
  g_assert_true (dd_transform_annotation (&t, &in, &out, dd_coco_person_flip_pairs,
          DD_COCO_PERSON_N_FLIP_PAIRS, 1.0));
  /* [10, 50] x [5, 25] -> [-30, 50] x [10, 50], clipped to [0, 50]. */
  g_assert_cmpfloat (out.bbox[0], ==, 0.0);
  g_assert_cmpfloat (out.bbox[1], ==, 10.0);
  g_assert_cmpfloat (out.bbox[2], ==, 50.0);
  g_assert_cmpfloat (out.bbox[3], ==, 40.0);
  /* 4x the scale, 50 of 80 pixels of width kept. */
  g_assert_cmpfloat (fabs (out.area - 500.0 * 4.0 * 50.0 / 80.0), <, 1e-9);
  g_assert_cmpint (out.num_keypoints, ==, 1);
  g_assert_cmpfloat (out.keypoints[0], ==, 30.0f);
  g_assert_cmpfloat (out.keypoints[1], ==, 20.0f);
  g_assert_cmpfloat (out.keypoints[2], ==, 2.0f);
  for (int j = 0; j < 3; j++)
    g_assert_cmpfloat (out.keypoints[3 + j], ==, 0.0f);
  g_assert_true (out.keypoints != kp);
  g_assert_cmpint (out.id, ==, 7);
  g_assert_cmpint (out.image_id, ==, 3);
  g_free (out.keypoints);

  /* A box left of the crop vanishes; one 0.5 pixel wide inside it is too thin. */
  in.bbox[0] = 0.0;
  in.bbox[2] = 20.0;
  g_assert_false (dd_transform_annotation (&t, &in, &out, NULL, 0, 1.0));
  in.bbox[2] = 25.25;
  g_assert_false (dd_transform_annotation (&t, &in, &out, NULL, 0, 1.0));
  g_assert_true (dd_transform_annotation (&t, &in, &out, NULL, 0, 0.25));
  g_assert_cmpfloat (out.bbox[2], ==, 0.5);
  g_free (out.keypoints);
}

/* ---- "Augmentation keeps every keypoint on its joint" ----------------------
 * Each keypoint is drawn as a disc of its own colour. After augmentation,
 * the pixel under each visible keypoint must show the disc of the joint the
 * keypoint now names. A flip mirrors the image and swaps the labels, so the
 * entry "left_wrist" then holds the point drawn as the right wrist (a right
 * wrist seen in a mirror is where a left wrist would be): its pixel shows
 * the right wrist's colour. Without the flip, each entry shows its own. */

#define DISC_W 200
#define DISC_H 150
#define DISC_R 5.0

static void
hue_colour (int k, uint8_t rgb[3])
{
  double h = 6.0 * k / K;
  int sector = (int) h;
  double f = h - sector;
  double up = 255.0 * f, down = 255.0 * (1.0 - f);
  const double table[6][3] = {
    { 255, up, 0 }, { down, 255, 0 }, { 0, 255, up },
    { 0, down, 255 }, { up, 0, 255 }, { 255, 0, down },
  };
  for (int c = 0; c < 3; c++)
    rgb[c] = (uint8_t) lrint (table[sector][c]);
}

static dd_image *
image_from_cairo (cairo_surface_t *surface)
{
  cairo_surface_flush (surface);
  int w = cairo_image_surface_get_width (surface);
  int h = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const uint8_t *data = cairo_image_surface_get_data (surface);
  dd_image *img = dd_image_new (w, h, NULL);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint32_t px;
      memcpy (&px, data + y * stride + 4 * x, 4);
      img->data[(y * w + x) * 3] = (uint8_t) (px >> 16);
      img->data[(y * w + x) * 3 + 1] = (uint8_t) (px >> 8);
      img->data[(y * w + x) * 3 + 2] = (uint8_t) px;
    }
  return img;
}

/* 17 discs at random places, apart from each other, some at the border. */
static dd_image *
draw_discs (uint64_t seed, float kp[3 * K])
{
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  for (int k = 0; k < K; k++) {
    gboolean apart;
    do {
      kp[3 * k] = dd_rng_range (&rng, DISC_R, DISC_W - DISC_R);
      kp[3 * k + 1] = dd_rng_range (&rng, DISC_R, DISC_H - DISC_R);
      apart = TRUE;
      for (int j = 0; j < k; j++)
        apart = apart && hypot (kp[3 * k] - kp[3 * j],
            kp[3 * k + 1] - kp[3 * j + 1]) > 3 * DISC_R;
    } while (!apart);
    kp[3 * k + 2] = 2.0f;
  }
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      DISC_W, DISC_H);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
  cairo_paint (cr);
  for (int k = 0; k < K; k++) {
    uint8_t rgb[3];
    hue_colour (k, rgb);
    cairo_set_source_rgb (cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
    cairo_arc (cr, kp[3 * k], kp[3 * k + 1], DISC_R, 0, 2 * G_PI);
    cairo_fill (cr);
  }
  cairo_destroy (cr);
  dd_image *img = image_from_cairo (surface);
  cairo_surface_destroy (surface);
  return img;
}

/* The joint whose colour is nearest the pixel, or -1 for none close. */
static int
joint_at (const dd_image *img, double u, double v)
{
  const uint8_t *p = img->data + ((int) v * img->width + (int) u) * 3;
  int best = -1;
  double best_d = 40.0;
  for (int k = 0; k < K; k++) {
    uint8_t rgb[3];
    hue_colour (k, rgb);
    double d = sqrt (pow (p[0] - rgb[0], 2) + pow (p[1] - rgb[1], 2)
        + pow (p[2] - rgb[2], 2));
    if (d < best_d) {
      best = k;
      best_d = d;
    }
  }
  return best;
}

static int
partner (int k)
{
  for (int i = 0; i < DD_COCO_PERSON_N_FLIP_PAIRS; i++) {
    if (dd_coco_person_flip_pairs[i][0] == k)
      return dd_coco_person_flip_pairs[i][1];
    if (dd_coco_person_flip_pairs[i][1] == k)
      return dd_coco_person_flip_pairs[i][0];
  }
  return k;
}

static void
test_keypoints_stay_on_joints (void)
{
  dd_augment_params p;
  dd_augment_params_init (&p, 160, 100);
  p.scale_min = 0.8;            /* the discs stay at least 2.6 pixels wide */
  p.scale_max = 2.0;            /* and often leave the crop */
  p.brightness = p.contrast = p.saturation = 0.0;
  int n_flipped = 0, n_checked = 0, n_cropped = 0;
  for (uint64_t seed = 0; seed < 150; seed++) {
    float kp[3 * K];
    dd_image *img = draw_discs (seed, kp);
    dd_coco_annotation ann = {
      .id = 1, .image_id = 1, .category_id = 1,
      .bbox = { 0, 0, DISC_W, DISC_H }, .area = DISC_W * DISC_H,
      .num_keypoints = K, .n_keypoints = K, .keypoints = kp,
    };
    dd_rng rng;
    dd_rng_seed (&rng, 1000 + seed, 0);
    dd_augment_result r;
    GError *error = NULL;
    g_assert_true (dd_augment (&p, &rng, img, &ann, 1, &r, &error));
    g_assert_no_error (error);
    g_assert_cmpint (r.annotations->len, ==, 1);
    const dd_coco_annotation *out = &g_array_index (r.annotations, dd_coco_annotation, 0);
    n_flipped += r.transform.flip;
    for (int k = 0; k < K; k++) {
      /* The drawn joint this entry names now: itself, or its mirror partner. */
      int drawn = r.transform.flip ? partner (k) : k;
      double u, v;
      dd_transform_point (&r.transform, kp[3 * drawn], kp[3 * drawn + 1], &u, &v);
      gboolean inside = u >= 0 && u < 160 && v >= 0 && v < 100;
      const float *q = out->keypoints + 3 * k;
      if (!inside) {
        g_assert_cmpfloat (q[2], ==, 0.0f);
        g_assert_cmpfloat (q[0], ==, 0.0f);
        g_assert_cmpfloat (q[1], ==, 0.0f);
        n_cropped++;
        continue;
      }
      g_assert_cmpfloat (q[2], ==, 2.0f);
      g_assert_cmpint (joint_at (r.image, q[0], q[1]), ==, drawn);
      n_checked++;
    }
    dd_augment_result_clear (&r);
    dd_image_free (img);
  }
  /* Both cases were exercised, and crops cut keypoints off. */
  g_assert_cmpint (n_flipped, >, 40);
  g_assert_cmpint (n_flipped, <, 110);
  g_assert_cmpint (n_cropped, >, 100);
  g_assert_cmpint (n_checked, >, 1000);
}

/* ---- Rendered people ------------------------------------------------------
 * The same check on the synthetic people, against the renderer's own
 * geometry: its part map says which body part of whom covers each pixel.
 * The part map goes through the same transform as the frame; under each
 * visible keypoint it must show a body part the keypoint's joint lies on,
 * where the joint is the one drawn there: the keypoint's own, or after a
 * flip its mirror partner (the renderer's dd_keypoint_flip, which must agree
 * with dd_coco_person_flip_pairs). Pixels whose bilinear footprint straddles
 * two parts are not judged: their colour is a blend of two ids. */

#define SCENE_W 240
#define SCENE_H 180

typedef struct part_tally {
  int judged, owned, owned_unswapped, straddling;
} part_tally;

/* Whether the source pixels a bilinear sample at (x, y) reads are all the
 * same: then the resampled pixel is exactly their colour. A position
 * outside the image reads none (the sample is the fill), as happens when a
 * keypoint lies within half an output pixel of the frame's edge. */
static gboolean
footprint_pure (const dd_image *img, double x, double y)
{
  if (!(x >= 0.0 && x < img->width && y >= 0.0 && y < img->height))
    return FALSE;
  int xs[2], ys[2];
  double fx = CLAMP (x - 0.5, 0.0, img->width - 1.0);
  double fy = CLAMP (y - 0.5, 0.0, img->height - 1.0);
  xs[0] = (int) fx;
  ys[0] = (int) fy;
  xs[1] = MIN (xs[0] + 1, img->width - 1);
  ys[1] = MIN (ys[0] + 1, img->height - 1);
  const uint8_t *first = img->data + (ys[0] * img->width + xs[0]) * 3;
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 2; i++)
      if (memcmp (img->data + (ys[j] * img->width + xs[i]) * 3, first, 3) != 0)
        return FALSE;
  return TRUE;
}

static gboolean
part_owns (const dd_figure *fig, int person, int joint, uint32_t id)
{
  dd_body_part owners[2];
  int n = dd_figure_keypoint_owners (fig, joint, owners);
  for (int i = 0; i < n; i++)
    if (id == ((uint32_t) (person + 1) << 8 | (uint32_t) (owners[i] + 1)))
      return TRUE;
  return FALSE;
}

static void
check_rendered_person (const dd_frame_truth *truth, const dd_image *parts,
    const dd_augment_result *r, const dd_image *warped_parts,
    const dd_coco_annotation *out, part_tally *tally)
{
  int person = (int) out->id - 1;
  const dd_figure *fig = &truth->figures[person];
  const dd_transform *t = &r->transform;
  for (int k = 0; k < K; k++) {
    const float *q = out->keypoints + 3 * k;
    if (q[2] != 2.0f)
      continue;
    int drawn = t->flip ? dd_keypoint_flip[k] : k;
    /* The label sits on the drawn joint. */
    double x, y;
    dd_transform_point_inverse (t, q[0], q[1], &x, &y);
    g_assert_cmpfloat (fabs (x - fig->kp[drawn][0]), <, 1e-3);
    g_assert_cmpfloat (fabs (y - fig->kp[drawn][1]), <, 1e-3);
    /* The pixel under it shows that joint's body part. */
    int u = (int) q[0], v = (int) q[1];
    dd_transform_point_inverse (t, u + 0.5, v + 0.5, &x, &y);
    if (!footprint_pure (parts, x, y)) {
      tally->straddling++;
      continue;
    }
    const uint8_t *px = warped_parts->data + (v * warped_parts->width + u) * 3;
    const uint8_t *src = parts->data + ((int) CLAMP (y - 0.5, 0, parts->height - 1)
        * parts->width + (int) CLAMP (x - 0.5, 0, parts->width - 1)) * 3;
    g_assert_cmpmem (px, 3, src, 3);
    uint32_t id = (uint32_t) px[0] << 16 | (uint32_t) px[1] << 8 | px[2];
    tally->judged++;
    tally->owned += part_owns (fig, person, drawn, id);
    tally->owned_unswapped += part_owns (fig, person, k, id);
  }
}

static void
test_rendered_people (void)
{
  for (int k = 0; k < K; k++) {
    int mirrored = k;
    for (int i = 0; i < DD_COCO_PERSON_N_FLIP_PAIRS; i++)
      if (dd_coco_person_flip_pairs[i][0] == k || dd_coco_person_flip_pairs[i][1] == k)
        mirrored = dd_coco_person_flip_pairs[i][0] + dd_coco_person_flip_pairs[i][1] - k;
    g_assert_cmpint (dd_keypoint_flip[k], ==, mirrored);
  }
  const dd_scene_limits limits = { 1, 3, 0.6, 0.9 };
  dd_augment_params p;
  dd_augment_params_init (&p, 160, 160);
  p.scale_min = 0.8;
  p.scale_max = 1.6;
  dd_scene *scene = g_new (dd_scene, 1);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  part_tally tally = { 0 };
  int n_flipped = 0;
  for (int i = 0; i < 40; i++) {
    dd_rng rng;
    dd_rng_seed (&rng, 21, (uint64_t) i);
    dd_scene_sample (dd_style_get (i % DD_STYLE_COUNT), SCENE_W, SCENE_H, &limits,
        0.0, &rng, scene);
    cairo_surface_t *frame_surface = dd_synth_render (scene, 0.0, 0, NULL, truth);
    cairo_surface_t *parts_surface = dd_synth_render_parts (scene, 0.0, 1, truth);
    dd_image *frame = image_from_cairo (frame_surface);
    dd_image *parts = image_from_cairo (parts_surface);
    dd_coco_annotation anns[DD_SCENE_MAX_PEOPLE];
    for (int j = 0; j < truth->n; j++) {
      const dd_person_label *l = &truth->labels[j];
      anns[j] = (dd_coco_annotation) {
        .id = l->person + 1, .image_id = i, .category_id = 1,
        .bbox = { l->bbox[0], l->bbox[1], l->bbox[2], l->bbox[3] },
        .area = l->area, .num_keypoints = l->num_keypoints,
        .n_keypoints = K, .keypoints = (float *) l->keypoints,
      };
    }
    dd_augment_result r;
    GError *error = NULL;
    g_assert_true (dd_augment (&p, &rng, frame, anns, truth->n, &r, &error));
    g_assert_no_error (error);
    const uint8_t black[3] = { 0, 0, 0 };
    dd_image *warped_parts = dd_transform_image (&r.transform, parts, black, NULL);
    n_flipped += r.transform.flip;
    for (guint j = 0; j < r.annotations->len; j++)
      check_rendered_person (truth, parts, &r, warped_parts,
          &g_array_index (r.annotations, dd_coco_annotation, j), &tally);
    dd_image_free (warped_parts);
    dd_augment_result_clear (&r);
    dd_image_free (parts);
    dd_image_free (frame);
    cairo_surface_destroy (parts_surface);
    cairo_surface_destroy (frame_surface);
  }
  g_test_message ("%d of 40 frames flipped; %d visible keypoints judged, %d on a "
      "part of their joint (%d if flips did not swap labels), %d straddling "
      "two parts", n_flipped, tally.judged, tally.owned, tally.owned_unswapped,
      tally.straddling);
  g_assert_cmpint (n_flipped, >=, 10);
  g_assert_cmpint (n_flipped, <=, 30);
  g_assert_cmpint (tally.judged, >, 400);
  /* A pixel centre is up to 0.7 output pixels from its keypoint, so a
   * keypoint on the very edge of its part may show its neighbour. */
  g_assert_cmpint (tally.owned * 100, >=, tally.judged * 98);
  /* Without the swap, the flipped left/right joints would be off. */
  g_assert_cmpint (tally.owned_unswapped * 100, <, tally.judged * 85);
  g_free (truth);
  g_free (scene);
}

/* ---- Real COCO people --------------------------------------------------
 * The fixture's four photographs and 14 annotated people through random
 * augmentations: every surviving box and visible keypoint lies in the
 * output, and mapping the keypoints back with the inverse transform gives
 * the annotated ones, the left/right swap undone. */

static const dd_coco_annotation *
find_original (const dd_coco_dataset *ds, int64_t id)
{
  for (guint i = 0; i < ds->annotations->len; i++)
    if (g_array_index (ds->annotations, dd_coco_annotation, i).id == id)
      return &g_array_index (ds->annotations, dd_coco_annotation, i);
  return NULL;
}

static void
check_real_annotation (const dd_coco_dataset *ds, const dd_augment_result *r,
    const dd_coco_annotation *out)
{
  const dd_coco_annotation *in = find_original (ds, out->id);
  g_assert_nonnull (in);
  const dd_transform *t = &r->transform;
  g_assert_cmpfloat (out->bbox[0], >=, 0.0);
  g_assert_cmpfloat (out->bbox[1], >=, 0.0);
  g_assert_cmpfloat (out->bbox[0] + out->bbox[2], <=, t->width);
  g_assert_cmpfloat (out->bbox[1] + out->bbox[3], <=, t->height);
  g_assert_cmpfloat (out->area, <=, in->area * t->scale_x * t->scale_y * (1 + 1e-12));
  g_assert_null (out->segmentation);
  g_assert_cmpint (out->n_keypoints, ==, K);
  int visible = 0;
  for (int k = 0; k < K; k++) {
    const float *q = out->keypoints + 3 * k;
    if (q[2] == 0.0f)
      continue;
    visible++;
    g_assert_cmpfloat (q[0], >=, 0.0f);
    g_assert_cmpfloat (q[0], <, (float) t->width);
    g_assert_cmpfloat (q[1], >=, 0.0f);
    g_assert_cmpfloat (q[1], <, (float) t->height);
  }
  g_assert_cmpint (out->num_keypoints, ==, visible);
  g_assert_cmpint (visible, <=, in->num_keypoints);

  float back[3 * K];
  dd_transform_keypoints_inverse (t, out->keypoints, back, K,
      dd_coco_person_flip_pairs, DD_COCO_PERSON_N_FLIP_PAIRS);
  for (int k = 0; k < K; k++) {
    if (back[3 * k + 2] == 0.0f)
      continue;
    g_assert_cmpfloat (back[3 * k + 2], ==, in->keypoints[3 * k + 2]);
    g_assert_cmpfloat (fabs (back[3 * k] - in->keypoints[3 * k]), <, 1e-3);
    g_assert_cmpfloat (fabs (back[3 * k + 1] - in->keypoints[3 * k + 1]), <, 1e-3);
  }
}

static void
test_real_coco_people (void)
{
  GError *error = NULL;
  dd_coco_dataset *ds = dd_coco_read_full (DD_COCO_REAL_DIR "/test_coco.json",
      DD_COCO_REAL_DIR, DD_COCO_READ_CHECK_IMAGES, &error);
  g_assert_no_error (error);
  dd_augment_params p;
  dd_augment_params_init (&p, 256, 192);
  int n_kept = 0, n_dropped = 0, n_flipped = 0;
  for (guint i = 0; i < ds->images->len; i++) {
    const dd_coco_image *image = &g_array_index (ds->images, dd_coco_image, i);
    char *path = g_build_filename (ds->image_dir, image->file_name, NULL);
    dd_image *img = dd_image_load (path, &error);
    g_assert_no_error (error);
    GArray *anns = g_array_new (FALSE, FALSE, sizeof (dd_coco_annotation));
    for (guint j = 0; j < ds->annotations->len; j++) {
      const dd_coco_annotation *a = &g_array_index (ds->annotations, dd_coco_annotation, j);
      if (a->image_id == image->id)
        g_array_append_vals (anns, a, 1);
    }
    for (uint64_t seed = 0; seed < 8; seed++) {
      dd_rng rng;
      dd_rng_seed (&rng, seed, (uint64_t) image->id);
      dd_augment_result r;
      g_assert_true (dd_augment (&p, &rng, img, (dd_coco_annotation *) anns->data,
              (int) anns->len, &r, &error));
      g_assert_no_error (error);
      g_assert_cmpint (r.image->width, ==, 256);
      g_assert_cmpint (r.image->height, ==, 192);
      g_assert_cmpuint (r.annotations->len + r.n_dropped, ==, anns->len);
      for (guint j = 0; j < r.annotations->len; j++)
        check_real_annotation (ds, &r,
            &g_array_index (r.annotations, dd_coco_annotation, j));
      n_kept += r.annotations->len;
      n_dropped += r.n_dropped;
      n_flipped += r.transform.flip;
      dd_augment_result_clear (&r);
    }
    g_array_unref (anns);
    dd_image_free (img);
    g_free (path);
  }
  g_test_message ("%d people kept, %d dropped, %d of 32 augmentations flipped",
      n_kept, n_dropped, n_flipped);
  g_assert_cmpint (n_kept + n_dropped, ==, 14 * 8);
  g_assert_cmpint (n_kept, >, 14 * 4);
  g_assert_cmpint (n_flipped, >, 4);
  dd_coco_dataset_free (ds);
}

/* ---- Reproducibility, jitter, errors ------------------------------------- */

static dd_augment_result
augment_once (const dd_image *img, const dd_coco_annotation *anns, int n,
    uint64_t seed)
{
  dd_augment_params p;
  dd_augment_params_init (&p, 96, 64);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  dd_augment_result r;
  g_assert_true (dd_augment (&p, &rng, img, anns, n, &r, NULL));
  return r;
}

static void
test_reproducible (void)
{
  float kp[3 * K];
  dd_image *img = draw_discs (3, kp);
  dd_coco_annotation ann = {
    .id = 1, .image_id = 1, .bbox = { 20, 20, 100, 100 }, .area = 5000,
    .n_keypoints = K, .keypoints = kp,
  };
  dd_augment_result a = augment_once (img, &ann, 1, 42);
  dd_augment_result b = augment_once (img, &ann, 1, 42);
  g_assert_cmpmem (a.image->data, 96 * 64 * 3, b.image->data, 96 * 64 * 3);
  g_assert_cmpmem (&a.transform, sizeof a.transform, &b.transform, sizeof b.transform);
  g_assert_cmpint (a.annotations->len, ==, b.annotations->len);
  if (a.annotations->len == 1)
    g_assert_cmpmem (g_array_index (a.annotations, dd_coco_annotation, 0).keypoints,
        sizeof kp, g_array_index (b.annotations, dd_coco_annotation, 0).keypoints,
        sizeof kp);
  dd_augment_result c = augment_once (img, &ann, 1, 43);
  g_assert_true (memcmp (a.image->data, c.image->data, 96 * 64 * 3) != 0);
  g_assert_true (a.transform.scale_x != c.transform.scale_x);
  dd_augment_result_clear (&a);
  dd_augment_result_clear (&b);
  dd_augment_result_clear (&c);
  dd_image_free (img);
}

static double
grey_of (const uint8_t *p)
{
  return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* Mid-range colours, so no jitter factor clips them. */
static dd_image *
mid_image (void)
{
  dd_image *img = random_image (32, 32, 15);
  for (int i = 0; i < 32 * 32 * 3; i++)
    img->data[i] = (uint8_t) (90 + img->data[i] % 80);
  return img;
}

static void
test_jitter (void)
{
  dd_augment_params p;
  dd_augment_params_init (&p, 32, 32);
  dd_rng rng;
  dd_rng_seed (&rng, 16, 0);
  dd_image *orig = mid_image ();

  /* All off: untouched. */
  p.brightness = p.contrast = p.saturation = 0.0;
  dd_image *img = dd_image_copy (orig);
  dd_augment_jitter_colour (&p, &rng, img);
  g_assert_cmpmem (img->data, 32 * 32 * 3, orig->data, 32 * 32 * 3);
  dd_image_free (img);

  /* Brightness: one factor for every channel of every pixel, in range. */
  p.brightness = 0.3;
  for (int trial = 0; trial < 5; trial++) {
    img = dd_image_copy (orig);
    dd_augment_jitter_colour (&p, &rng, img);
    double factor = (double) img->data[0] / orig->data[0];
    g_assert_cmpfloat (factor, >=, 0.69);
    g_assert_cmpfloat (factor, <=, 1.31);
    for (int i = 0; i < 32 * 32 * 3; i++)
      g_assert_cmpfloat (fabs (img->data[i] - factor * orig->data[i]), <=, 1.5);
    dd_image_free (img);
  }

  /* Saturation: each pixel keeps its grey level; a grey pixel stays grey. */
  p.brightness = 0.0;
  p.saturation = 0.5;
  memset (orig->data, 128, 3);
  for (int trial = 0; trial < 5; trial++) {
    img = dd_image_copy (orig);
    dd_augment_jitter_colour (&p, &rng, img);
    g_assert_cmpint (img->data[0], ==, 128);
    g_assert_cmpint (img->data[1], ==, 128);
    for (int i = 0; i < 32 * 32; i++)
      g_assert_cmpfloat (fabs (grey_of (img->data + 3 * i) - grey_of (orig->data + 3 * i)),
          <=, 1.0);
    dd_image_free (img);
  }

  /* Contrast: the mean grey stays, the spread around it scales. */
  p.saturation = 0.0;
  p.contrast = 0.4;
  double mean = 0.0;
  for (int i = 0; i < 32 * 32; i++)
    mean += grey_of (orig->data + 3 * i) / (32 * 32);
  int far = 0;
  for (int i = 0; i < 32 * 32 * 3; i++)
    if (fabs (orig->data[i] - mean) > fabs (orig->data[far] - mean))
      far = i;
  for (int trial = 0; trial < 5; trial++) {
    img = dd_image_copy (orig);
    dd_augment_jitter_colour (&p, &rng, img);
    double c = (img->data[far] - mean) / (orig->data[far] - mean);
    g_assert_cmpfloat (c, >=, 0.59);
    g_assert_cmpfloat (c, <=, 1.41);
    for (int i = 0; i < 32 * 32 * 3; i++)
      g_assert_cmpfloat (fabs (img->data[i] - (mean + c * (orig->data[i] - mean))),
          <=, 1.0);
    dd_image_free (img);
  }
  dd_image_free (orig);
}

static void
test_dropped_counted (void)
{
  dd_image *img = random_image (100, 100, 17);
  dd_augment_params p;
  dd_augment_params_init (&p, 50, 50);
  p.scale_min = p.scale_max = 2.0;      /* the 100 px image at 1.0: a 50 px crop of it */
  float kp[3 * K] = { 0 };
  dd_coco_annotation anns[3] = {
    { .id = 1, .bbox = { 0, 0, 100, 100 }, .area = 10000, .n_keypoints = K, .keypoints = kp },
    /* At the left and right edges, mid-height: always in the crop's rows. */
    { .id = 2, .bbox = { 10, 48, 2, 4 }, .area = 8 },
    { .id = 3, .bbox = { 88, 48, 2, 4 }, .area = 8 },
  };
  int kept[2] = { 0, 0 };
  for (uint64_t seed = 0; seed < 100; seed++) {
    dd_rng rng;
    dd_rng_seed (&rng, seed, 0);
    dd_augment_result r;
    g_assert_true (dd_augment (&p, &rng, img, anns, 3, &r, NULL));
    g_assert_cmpint (r.annotations->len + r.n_dropped, ==, 3);
    /* The whole-image box always survives, clipped to the crop. */
    const dd_coco_annotation *first = &g_array_index (r.annotations, dd_coco_annotation, 0);
    g_assert_cmpint (first->id, ==, 1);
    g_assert_cmpfloat (first->bbox[2], ==, 50.0);
    g_assert_cmpfloat (fabs (first->area - 2500.0), <, 1e-6);
    /* The two small boxes are 76 px apart: one 50 px crop cannot keep both. */
    g_assert_cmpint (r.n_dropped, >=, 1);
    for (guint i = 1; i < r.annotations->len; i++)
      kept[g_array_index (r.annotations, dd_coco_annotation, i).id - 2]++;
    dd_augment_result_clear (&r);
  }
  g_assert_cmpint (kept[0], >, 0);
  g_assert_cmpint (kept[1], >, 0);
  dd_image_free (img);
}

static void
test_errors (void)
{
  dd_image *img = random_image (20, 20, 18);
  dd_augment_params p;
  dd_augment_params_init (&p, 16, 16);
  dd_rng rng;
  dd_rng_seed (&rng, 0, 0);
  dd_augment_result r;
  GError *error = NULL;

  p.scale_min = 0.0;
  g_assert_false (dd_augment (&p, &rng, img, NULL, 0, &r, &error));
  g_assert_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_PARAMS);
  g_assert_nonnull (strstr (error->message, "scale_min"));
  g_clear_error (&error);
  p.scale_min = 0.6;
  p.flip_probability = 1.5;
  g_assert_false (dd_augment (&p, &rng, img, NULL, 0, &r, &error));
  g_assert_nonnull (strstr (error->message, "flip_probability"));
  g_clear_error (&error);
  p.flip_probability = 0.5;

  /* COCO person pairs on an instance with 5 keypoints. */
  float kp[15] = { 0 };
  dd_coco_annotation ann = { .id = 99, .image_id = 4, .bbox = { 1, 1, 5, 5 },
    .n_keypoints = 5, .keypoints = kp };
  g_assert_false (dd_augment (&p, &rng, img, &ann, 1, &r, &error));
  g_assert_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_FLIP_PAIRS);
  g_assert_nonnull (strstr (error->message, "annotation 99"));
  g_clear_error (&error);
  g_assert_null (r.image);
  dd_image_free (img);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dd_require_coco_real ();
  g_test_add_func ("/augment/point-box-known-values", test_point_box_known_values);
  g_test_add_func ("/augment/forward-inverse-identity", test_forward_inverse_identity);
  g_test_add_func ("/augment/keypoints-forward-inverse", test_keypoints_forward_inverse);
  g_test_add_func ("/augment/flip-pairs-check", test_flip_pairs_check);
  g_test_add_func ("/augment/transform-image-is-resize", test_transform_image_is_resize);
  g_test_add_func ("/augment/padding", test_padding);
  g_test_add_func ("/augment/annotation-clip-drop-area", test_annotation_clip_drop_area);
  g_test_add_func ("/augment/keypoints-stay-on-joints", test_keypoints_stay_on_joints);
  g_test_add_func ("/augment/rendered-people", test_rendered_people);
  g_test_add_func ("/augment/real-coco-people", test_real_coco_people);
  g_test_add_func ("/augment/reproducible", test_reproducible);
  g_test_add_func ("/augment/jitter", test_jitter);
  g_test_add_func ("/augment/dropped-counted", test_dropped_counted);
  g_test_add_func ("/augment/errors", test_errors);
  return g_test_run ();
}
