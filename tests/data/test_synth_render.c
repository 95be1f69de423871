/* Synthetic scenes: the labels agree with what is drawn (lib/data/
 * synth_render.h). Keypoint visibility is checked against an independent
 * witness, the part map (which shape is on top, rasterised 16x finer), and
 * boxes and areas against each person's silhouette mask. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_render.h"

enum { ZOOM = 16 };

static uint32_t
part_at (cairo_surface_t *map, double x, double y)
{
  int px = (int) floor (x * ZOOM), py = (int) floor (y * ZOOM);
  const unsigned char *data = cairo_image_surface_get_data (map);
  int stride = cairo_image_surface_get_stride (map);
  return ((const uint32_t *) (data + (size_t) py * stride))[px] & 0xffffff;
}

static gboolean
is_owner (const dd_figure *fig, int person, int k, uint32_t id)
{
  dd_body_part owners[2];
  int n = dd_figure_keypoint_owners (fig, k, owners);
  for (int i = 0; i < n; i++)
    if (id == ((uint32_t) (person + 1) << 8 | (uint32_t) (owners[i] + 1)))
      return TRUE;
  return FALSE;
}

typedef struct {
  int checked, disagree;        /* keypoints in frame, facing the camera */
  int v[3];
  int people;
} tally;

/* Box, area and keypoints of one label against the person's mask. */
static void
check_label_geometry (const dd_scene *scene, const dd_person_label *l,
    const dd_figure *fig)
{
  const double *b = l->bbox;
  g_assert_cmpfloat (b[2], >, 0);
  g_assert_cmpfloat (b[3], >, 0);
  g_assert_cmpfloat (b[0], >=, 0);
  g_assert_cmpfloat (b[1], >=, 0);
  g_assert_cmpfloat (b[0] + b[2], <=, scene->width);
  g_assert_cmpfloat (b[1] + b[3], <=, scene->height);

  cairo_surface_t *mask = dd_synth_person_mask (scene, fig);
  const unsigned char *data = cairo_image_surface_get_data (mask);
  int stride = cairo_image_surface_get_stride (mask);
  double sum = 0;
  int x0 = G_MAXINT, y0 = G_MAXINT, x1 = -1, y1 = -1;
  for (int y = 0; y < scene->height; y++)
    for (int x = 0; x < scene->width; x++) {
      int a = data[(size_t) y * stride + x];
      if (!a)
        continue;
      sum += a;
      x0 = MIN (x0, x), y0 = MIN (y0, y), x1 = MAX (x1, x), y1 = MAX (y1, y);
    }
  cairo_surface_destroy (mask);
  g_assert_cmpfloat (fabs (l->area - sum / 255), <, 1e-9);
  g_assert_cmpfloat (l->area, <=, b[2] * b[3] + 1e-9);
  /* Every covered pixel overlaps the box, and the box is no wider than
   * the covered pixels (tight to within the pixel grid). */
  g_assert_cmpint (x0, >=, (int) floor (b[0]));
  g_assert_cmpint (y0, >=, (int) floor (b[1]));
  g_assert_cmpint (x1, <, (int) ceil (b[0] + b[2]));
  g_assert_cmpint (y1, <, (int) ceil (b[1] + b[3]));
  g_assert_cmpint (x0, <=, (int) floor (b[0]) + 1);
  g_assert_cmpint (y0, <=, (int) floor (b[1]) + 1);
  g_assert_cmpint (x1, >=, (int) ceil (b[0] + b[2]) - 2);
  g_assert_cmpint (y1, >=, (int) ceil (b[1] + b[3]) - 2);

  int num = 0;
  for (int k = 0; k < DD_KP_COUNT; k++) {
    float x = l->keypoints[3 * k], y = l->keypoints[3 * k + 1];
    int v = (int) l->keypoints[3 * k + 2];
    gboolean inside = fig->kp[k][0] >= 0 && fig->kp[k][0] < scene->width
        && fig->kp[k][1] >= 0 && fig->kp[k][1] < scene->height;
    /* Face keypoints behind the head are not labelled, as COCO's
     * annotators leave what they cannot see of a face, nor are the
     * keypoints of people under COCO's small-object bound. */
    g_assert_cmpint (v == 0, ==, !inside || !fig->kp_facing[k]
        || l->area < dd_synth_keypoint_min_area (scene));
    if (v == 0) {
      /* As COCO: an absent keypoint is (0, 0, 0). */
      g_assert_cmpfloat (x, ==, 0);
      g_assert_cmpfloat (y, ==, 0);
      continue;
    }
    num++;
    g_assert_cmpfloat (x, ==, (float) fig->kp[k][0]);
    g_assert_cmpfloat (y, ==, (float) fig->kp[k][1]);
    g_assert_cmpfloat (x, >=, b[0]);
    g_assert_cmpfloat (x, <=, b[0] + b[2]);
    g_assert_cmpfloat (y, >=, b[1]);
    g_assert_cmpfloat (y, <=, b[1] + b[3]);
  }
  g_assert_cmpint (num, ==, l->num_keypoints);
}

/* v = 2 exactly when one of the keypoint's own body parts is on top of the
 * part map there; the rest is v = 1, but for face keypoints on the far side
 * of the head, which are not labelled at all. */
static void
check_visibility (const dd_scene *scene, double t, tally *tl)
{
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  dd_frame_truth *again = g_new (dd_frame_truth, 1);
  cairo_surface_t *frame = dd_synth_render (scene, t, 0, NULL, truth);
  cairo_surface_t *map = dd_synth_render_parts (scene, t, ZOOM, again);
  g_assert_cmpint (truth->n, ==, again->n);
  g_assert_cmpmem (truth->labels, sizeof truth->labels[0] * truth->n,
      again->labels, sizeof again->labels[0] * again->n);
  for (int i = 0; i < truth->n; i++) {
    const dd_person_label *l = &truth->labels[i];
    const dd_figure *fig = &truth->figures[l->person];
    check_label_geometry (scene, l, fig);
    tl->people++;
    for (int k = 0; k < DD_KP_COUNT; k++) {
      int v = (int) l->keypoints[3 * k + 2];
      tl->v[v]++;
      if (v == 0)
        continue;
      gboolean on_top = is_owner (fig, l->person, k,
          part_at (map, fig->kp[k][0], fig->kp[k][1]));
      tl->checked++;
      tl->disagree += on_top != (v == 2);
    }
  }
  /* Nobody left out who shows in the frame. */
  for (int p = 0; p < scene->n_people; p++) {
    gboolean labelled = FALSE;
    for (int i = 0; i < truth->n; i++)
      labelled |= truth->labels[i].person == p;
    if (!labelled) {
      cairo_surface_t *mask = dd_synth_person_mask (scene, &truth->figures[p]);
      const unsigned char *d = cairo_image_surface_get_data (mask);
      int stride = cairo_image_surface_get_stride (mask);
      int covered = 0;
      for (int y = 0; y < scene->height; y++)
        for (int x = 0; x < scene->width; x++)
          covered += d[(size_t) y * stride + x];
      g_assert_cmpint (covered, <, 255);
      cairo_surface_destroy (mask);
    }
  }
  cairo_surface_destroy (map);
  cairo_surface_destroy (frame);
  g_free (again);
  g_free (truth);
}

static void
test_labels_match_drawing (void)
{
  dd_scene_limits limits = { 0, 6, 0.1, 0.9 };
  dd_scene *scene = g_new (dd_scene, 1);
  tally tl = { 0 };
  for (int style = 0; style < DD_STYLE_COUNT; style++)
    for (int i = 0; i < 40; i++) {
      dd_rng rng;
      dd_rng_seed (&rng, 11, (uint64_t) (style * 1000 + i));
      const dd_style *st = dd_style_get (style);
      /* Every third scene a clip, drawn a second in. */
      double duration = i % 3 == 0 ? 3.0 : 0.0;
      dd_scene_sample (st, 160, 120, &limits, duration, &rng, scene);
      check_visibility (scene, duration > 0 ? 1.0 : 0.0, &tl);
    }
  g_free (scene);
  g_test_message ("%d people; v=0: %d, v=1: %d, v=2: %d; %d of %d checked "
      "keypoints disagree with the part map", tl.people, tl.v[0], tl.v[1],
      tl.v[2], tl.disagree, tl.checked);
  g_assert_cmpint (tl.people, >, 100);
  /* Enough of each kind that the check means something. */
  g_assert_cmpint (tl.v[0], >, 50);
  g_assert_cmpint (tl.v[1], >, 300);
  g_assert_cmpint (tl.v[2], >, 1000);
  /* The part map samples at 1/16 pixel: only keypoints within that of an
   * edge may disagree. */
  g_assert_cmpint (tl.disagree * 200, <=, tl.checked);
}

/* ---- A scene built by hand -------------------------------------------- */

static void
place (dd_scene *scene, int i, double yaw, double x, double height, double depth)
{
  dd_scene_person *p = &scene->people[i];
  dd_rng rng;
  dd_rng_seed (&rng, 5, (uint64_t) i);
  dd_figure_build_sample (&rng, &p->build);
  dd_look_sample (scene->style, &rng, &p->look);
  p->kind = DD_POSE_STANDING;
  memset (&p->jitter, 0, sizeof p->jitter);
  p->jitter.yaw = yaw;
  p->phase = p->cadence = p->speed = 0;
  p->height = height;
  p->x = x;
  p->ground_y = 140;
  p->depth = depth;
}

static int
vis (const dd_frame_truth *truth, int person, int k)
{
  for (int i = 0; i < truth->n; i++)
    if (truth->labels[i].person == person)
      return (int) truth->labels[i].keypoints[3 * k + 2];
  g_assert_not_reached ();
}

static const dd_person_label *
label_of (const dd_frame_truth *truth, int person)
{
  for (int i = 0; i < truth->n; i++)
    if (truth->labels[i].person == person)
      return &truth->labels[i];
  return NULL;
}

/* A 200x150 scene of the similar style for `n_people` placed by hand. */
static dd_scene *
empty_scene (int n_people)
{
  dd_scene *scene = g_new0 (dd_scene, 1);
  scene->style = dd_style_get (DD_STYLE_SIMILAR);
  scene->width = 200;
  scene->height = 150;
  scene->n_people = n_people;
  return scene;
}

/* A person a few pixels tall gets a box and no keypoints, as COCO's small
 * people do; twice as tall, the same person has them. */
static void
test_small_person_has_no_keypoints (void)
{
  dd_scene *scene = empty_scene (1);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  place (scene, 0, 0, 100, 12, 0.5);
  cairo_surface_destroy (dd_synth_render (scene, 0, 0, NULL, truth));
  g_assert_cmpint (truth->n, ==, 1);
  g_assert_cmpfloat (truth->labels[0].area, <, dd_synth_keypoint_min_area (scene));
  g_assert_cmpfloat (truth->labels[0].bbox[3], >, 8);
  g_assert_cmpint (truth->labels[0].num_keypoints, ==, 0);
  for (int k = 0; k < 3 * DD_KP_COUNT; k++)
    g_assert_cmpfloat (truth->labels[0].keypoints[k], ==, 0);

  place (scene, 0, 0, 100, 30, 0.5);
  cairo_surface_destroy (dd_synth_render (scene, 0, 0, NULL, truth));
  g_assert_cmpfloat (truth->labels[0].area, >=, dd_synth_keypoint_min_area (scene));
  g_assert_cmpint (truth->labels[0].num_keypoints, >, 10);
  g_free (truth);
  g_free (scene);
}

static void
test_hand_made_scene (void)
{
  dd_scene *scene = empty_scene (4);
  place (scene, 0, 0, 50, 110, 0.5);            /* facing us, legs hidden */
  place (scene, 1, M_PI, 120, 110, 0.5);        /* seen from behind */
  place (scene, 2, 0, 196, 110, 0.5);           /* half out on the right */
  place (scene, 3, 0, 62, 60, 0.9);             /* small, in front of 0's arm */
  scene->people[3].ground_y = 95;

  /* A box over person 0 from just below the knees down. */
  dd_figure fig;
  dd_scene_pose_person (scene, 0, 0, &fig);
  double top = fig.kp[DD_KP_LEFT_KNEE][1] + 6;
  double box[4][2] = { { 20, top }, { 80, top }, { 80, 150 }, { 20, 150 } };
  scene->n_occluders = 1;
  dd_shape_polygon (&scene->occluders[0].shape, 4, (const double (*)[2]) box, 0);
  scene->occluders[0].paint.texture = DD_TEXTURE_SOLID;
  scene->occluders[0].depth = 0.6;

  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  cairo_surface_t *frame = dd_synth_render (scene, 0, 0, NULL, truth);
  g_assert_cmpint (truth->n, ==, 4);

  /* 0: the box covers the ankles, not the hips; person 3 covers one arm. */
  g_assert_cmpint (vis (truth, 0, DD_KP_LEFT_ANKLE), ==, 1);
  g_assert_cmpint (vis (truth, 0, DD_KP_RIGHT_ANKLE), ==, 1);
  g_assert_cmpint (vis (truth, 0, DD_KP_LEFT_KNEE), ==, 2);
  g_assert_cmpint (vis (truth, 0, DD_KP_LEFT_HIP), ==, 2);
  g_assert_cmpint (vis (truth, 0, DD_KP_NOSE), ==, 2);
  g_assert_cmpint (vis (truth, 0, DD_KP_RIGHT_SHOULDER), ==, 2);
  g_assert_cmpint (vis (truth, 0, DD_KP_LEFT_ELBOW) == 1
      || vis (truth, 0, DD_KP_LEFT_WRIST) == 1, ==, TRUE);
  /* Facing us, the person's left is on the image's right. */
  const float *kp0 = label_of (truth, 0)->keypoints;
  g_assert_cmpfloat (kp0[3 * DD_KP_LEFT_SHOULDER], >, kp0[3 * DD_KP_RIGHT_SHOULDER]);

  /* 1: from behind, the face is hidden by the head and not labelled, the
   * ears are seen, and left and right swap sides in the image. */
  for (int k = DD_KP_NOSE; k <= DD_KP_RIGHT_EYE; k++)
    g_assert_cmpint (vis (truth, 1, k), ==, 0);
  g_assert_cmpint (vis (truth, 1, DD_KP_LEFT_EAR), ==, 2);
  g_assert_cmpint (vis (truth, 1, DD_KP_LEFT_SHOULDER), ==, 2);
  const float *kp1 = label_of (truth, 1)->keypoints;
  g_assert_cmpfloat (kp1[3 * DD_KP_LEFT_SHOULDER], <, kp1[3 * DD_KP_RIGHT_SHOULDER]);

  /* 2: its left side is past the right edge: absent, at (0, 0). */
  const dd_person_label *l2 = label_of (truth, 2);
  g_assert_cmpint (vis (truth, 2, DD_KP_LEFT_SHOULDER), ==, 0);
  g_assert_cmpfloat (l2->keypoints[3 * DD_KP_LEFT_SHOULDER], ==, 0);
  g_assert_cmpfloat (l2->keypoints[3 * DD_KP_LEFT_SHOULDER + 1], ==, 0);
  g_assert_cmpint (vis (truth, 2, DD_KP_RIGHT_SHOULDER), ==, 2);
  g_assert_cmpfloat (l2->bbox[0] + l2->bbox[2], ==, 200);
  g_assert_cmpint (l2->num_keypoints, <, 17);
  g_assert_cmpint (l2->num_keypoints, >, 0);

  cairo_surface_destroy (frame);
  g_free (truth);
  g_free (scene);
}

/* The frame's colour at (x, y) of an RGB24 surface, channels 0..255. */
static void
rgb_at (cairo_surface_t *s, double x, double y, int rgb[3])
{
  cairo_surface_flush (s);
  const unsigned char *row = cairo_image_surface_get_data (s)
      + (size_t) lround (y) * cairo_image_surface_get_stride (s);
  uint32_t v = ((const uint32_t *) row)[lround (x)];
  rgb[0] = (int) (v >> 16 & 0xff);
  rgb[1] = (int) (v >> 8 & 0xff);
  rgb[2] = (int) (v & 0xff);
}

/* A point of person i's torso: a across from the right shoulder to the
 * left, b down from the shoulders to the hips. */
static void
torso_point (const dd_frame_truth *truth, int i, double a, double b, double xy[2])
{
  const float *kp = label_of (truth, i)->keypoints;
  for (int c = 0; c < 2; c++) {
    double top = (1 - a) * kp[3 * DD_KP_RIGHT_SHOULDER + c] + a * kp[3 * DD_KP_LEFT_SHOULDER + c];
    double bottom = (1 - a) * kp[3 * DD_KP_RIGHT_HIP + c] + a * kp[3 * DD_KP_LEFT_HIP + c];
    xy[c] = (1 - b) * top + b * bottom;
  }
}

/* The kit tells front from back: a light panel on the back of the torso
 * only, a collar of skin at the top of the chest only. */
static void
test_kit_shows_facing (void)
{
  dd_scene *scene = empty_scene (2);
  place (scene, 0, 0, 60, 120, 0.5);            /* facing us */
  place (scene, 1, M_PI, 140, 120, 0.5);        /* seen from behind */
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  dd_render_options raw = { .raw = TRUE };
  cairo_surface_t *frame = dd_synth_render (scene, 0, 0, &raw, truth);
  const int panel[3] = { 237, 237, 224 };
  for (int i = 0; i < 2; i++) {
    double back[2], chest[2];
    torso_point (truth, i, 0.5, 0.35, back);
    torso_point (truth, i, 0.5, 0.05, chest);
    int at_back[3], at_chest[3], skin[3];
    rgb_at (frame, back[0], back[1], at_back);
    rgb_at (frame, chest[0], chest[1], at_chest);
    for (int c = 0; c < 3; c++)
      skin[c] = (int) lround (255 * scene->people[i].look.paint[DD_MATERIAL_SKIN].rgb[c]);
    gboolean is_panel = TRUE, is_skin = TRUE;
    for (int c = 0; c < 3; c++) {
      is_panel = is_panel && abs (at_back[c] - panel[c]) <= 2;
      is_skin = is_skin && abs (at_chest[c] - skin[c]) <= 2;
    }
    g_assert_cmpint (is_panel, ==, i == 1);
    g_assert_cmpint (is_skin, ==, i == 0);
  }
  cairo_surface_destroy (frame);
  g_free (truth);
  g_free (scene);
}

/* The eyes of a person facing us are marks the camera can keep. The 3x3
 * pixels around each eye darken by 3.6 pixels' worth (the eye, pi x
 * 0.75^2, with the nose and hair at its edge); with the 0.45-pixel dots
 * the blur and JPEG lost, 1.5. */
static void
test_eyes_drawn_large_enough (void)
{
  dd_scene *scene = empty_scene (1);
  place (scene, 0, 0, 100, 120, 0.5);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  dd_render_options raw = { .raw = TRUE };
  cairo_surface_t *frame = dd_synth_render (scene, 0, 0, &raw, truth);
  const double *skin = scene->people[0].look.paint[DD_MATERIAL_SKIN].rgb;
  const float *kp = label_of (truth, 0)->keypoints;
  for (int k = DD_KP_LEFT_EYE; k <= DD_KP_RIGHT_EYE; k++) {
    g_assert_cmpfloat (kp[3 * k + 2], ==, 2);
    /* Darkening from skin towards the eyes' near-black, in pixels,
     * over the 3x3 pixels around the keypoint (the green channel). */
    double skin_g = 255 * skin[1], eye_g = 255 * 0.04, covered = 0;
    int cx = (int) floor (kp[3 * k]), cy = (int) floor (kp[3 * k + 1]);
    for (int y = cy - 1; y <= cy + 1; y++)
      for (int x = cx - 1; x <= cx + 1; x++) {
        int rgb[3];
        rgb_at (frame, x, y, rgb);
        covered += CLAMP ((skin_g - rgb[1]) / (skin_g - eye_g), 0.0, 1.0);
      }
    g_test_message ("eye %d: %.2f pixels covered", k, covered);
    g_assert_cmpfloat (covered, >, 2.5);
  }
  cairo_surface_destroy (frame);
  g_free (truth);
  g_free (scene);
}

/* The same scene and frame give the same pixels; the sensor noise of
 * another frame does not. */
static void
test_render_repeatable (void)
{
  dd_scene_limits limits = { 2, 4, 0.2, 0.8 };
  dd_scene *scene = g_new (dd_scene, 1);
  dd_rng rng;
  dd_rng_seed (&rng, 3, 1);
  dd_scene_sample (dd_style_get (DD_STYLE_DISSIMILAR), 160, 90, &limits, 0,
      &rng, scene);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  cairo_surface_t *a = dd_synth_render (scene, 0, 0, NULL, truth);
  cairo_surface_t *b = dd_synth_render (scene, 0, 0, NULL, truth);
  cairo_surface_t *c = dd_synth_render (scene, 0, 1, NULL, truth);
  dd_render_options raw = { .raw = TRUE };
  cairo_surface_t *d = dd_synth_render (scene, 0, 0, &raw, truth);
  gsize size = (gsize) cairo_image_surface_get_stride (a) * 90;
  g_assert_cmpmem (cairo_image_surface_get_data (a), size,
      cairo_image_surface_get_data (b), size);
  g_assert_true (memcmp (cairo_image_surface_get_data (a),
          cairo_image_surface_get_data (c), size) != 0);
  g_assert_true (memcmp (cairo_image_surface_get_data (a),
          cairo_image_surface_get_data (d), size) != 0);
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);
  cairo_surface_destroy (c);
  cairo_surface_destroy (d);
  g_free (truth);
  g_free (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synth/render/labels-match-drawing", test_labels_match_drawing);
  g_test_add_func ("/synth/render/hand-made-scene", test_hand_made_scene);
  g_test_add_func ("/synth/render/small-person-has-no-keypoints",
      test_small_person_has_no_keypoints);
  g_test_add_func ("/synth/render/repeatable", test_render_repeatable);
  g_test_add_func ("/synth/render/kit-shows-facing", test_kit_shows_facing);
  g_test_add_func ("/synth/render/eyes-drawn-large-enough", test_eyes_drawn_large_enough);
  return g_test_run ();
}
