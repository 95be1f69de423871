/* Synthetic people and scenes: joint limits, proportions, left and right,
 * how many people of which size, and smooth motion in clips
 * (lib/data/synth_figure.h, synth_scene.h). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "data/synth_scene.h"

static void
test_joint_limits (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 1, 0);
  const double *lo = (const double *) &dd_pose_min;
  const double *hi = (const double *) &dd_pose_max;
  for (int i = 0; i < 2000; i++) {
    dd_pose jitter, pose;
    /* Far beyond any joint's range: everything must be clamped. */
    dd_pose_jitter_sample (&rng, 10.0, 5.0, &jitter);
    jitter.yaw += 7.0;
    dd_pose_make (i % DD_POSE_KIND_COUNT, i * 0.1, &jitter, &pose);
    const double *a = (const double *) &pose;
    g_assert_cmpfloat (fabs (pose.yaw), <=, M_PI);
    for (int j = 1; j < DD_POSE_ANGLES; j++) {
      g_assert_cmpfloat (a[j], >=, lo[j]);
      g_assert_cmpfloat (a[j], <=, hi[j]);
    }
  }
  /* Within the limits nothing moves. */
  dd_pose zero = { 0 }, pose;
  dd_pose_make (DD_POSE_SITTING, 0, &zero, &pose);
  g_assert_cmpfloat (pose.hip_flex[0], ==, 1.5);
  g_assert_cmpfloat (pose.knee[1], ==, 1.5);
}

/* Standing straight, a figure of height h spans h pixels, sole to crown
 * (the head is an ellipse a little taller than the sphere it is built on,
 * and the sole sits a hair below the ankle height of the build). */
static void
test_standing_height (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 2, 0);
  for (int i = 0; i < 50; i++) {
    dd_figure_build b;
    dd_figure_build_sample (&rng, &b);
    dd_pose zero = { 0 }, pose;
    dd_pose_make (DD_POSE_STANDING, 0, &zero, &pose);
    dd_figure fig;
    dd_figure_pose (&b, &pose, 100, 180, 150, &fig);
    double box[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };
    for (int k = 0; k < DD_PART_COUNT; k++)
      dd_shape_extend_box (&fig.parts[k].shape, box);
    g_assert_cmpfloat (fabs (box[3] - 180), <, 0.01);
    g_assert_cmpfloat (box[3] - box[1], >, 150 * 0.99);
    g_assert_cmpfloat (box[3] - box[1], <, 150 * 1.03);
    /* Anatomy in the right order, top to bottom. */
    g_assert_cmpfloat (fig.kp[DD_KP_LEFT_EYE][1], <, fig.kp[DD_KP_NOSE][1]);
    g_assert_cmpfloat (fig.kp[DD_KP_NOSE][1], <, fig.kp[DD_KP_LEFT_SHOULDER][1]);
    g_assert_cmpfloat (fig.kp[DD_KP_LEFT_SHOULDER][1], <, fig.kp[DD_KP_LEFT_ELBOW][1]);
    g_assert_cmpfloat (fig.kp[DD_KP_LEFT_ELBOW][1], <, fig.kp[DD_KP_LEFT_WRIST][1]);
    g_assert_cmpfloat (fig.kp[DD_KP_LEFT_HIP][1], <, fig.kp[DD_KP_LEFT_KNEE][1]);
    g_assert_cmpfloat (fig.kp[DD_KP_LEFT_KNEE][1], <, fig.kp[DD_KP_LEFT_ANKLE][1]);
    /* Limb lengths as built. */
    double thigh = hypot (fig.kp[DD_KP_LEFT_KNEE][0] - fig.kp[DD_KP_LEFT_HIP][0],
        fig.kp[DD_KP_LEFT_KNEE][1] - fig.kp[DD_KP_LEFT_HIP][1]);
    g_assert_cmpfloat (fabs (thigh - b.thigh * 150), <, 0.05);
  }
}

static void
test_left_right (void)
{
  /* The flip table swaps every left_ name with its right_ twin. */
  for (int k = 0; k < DD_KP_COUNT; k++) {
    int f = dd_keypoint_flip[k];
    g_assert_cmpint (dd_keypoint_flip[f], ==, k);
    const char *a = dd_keypoint_names[k], *b = dd_keypoint_names[f];
    if (g_str_has_prefix (a, "left_"))
      g_assert_cmpstr (a + 5, ==, b + 6);
    else if (g_str_has_prefix (a, "right_"))
      g_assert_cmpstr (a + 6, ==, b + 5);
    else
      g_assert_cmpint (f, ==, k);
  }
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  dd_figure_build b;
  dd_figure_build_sample (&rng, &b);
  for (int view = 0; view < 2; view++) {
    dd_pose jitter = { .yaw = view ? M_PI : 0 }, pose;
    dd_pose_make (DD_POSE_STANDING, 0, &jitter, &pose);
    dd_figure fig;
    dd_figure_pose (&b, &pose, 100, 180, 150, &fig);
    /* Facing the camera, the person's left is on the image's right. */
    double sign = view ? -1 : 1;
    for (int k = DD_KP_LEFT_EYE; k < DD_KP_COUNT; k += 2)
      g_assert_cmpfloat (sign * (fig.kp[k][0] - fig.kp[k + 1][0]), >, 0);
    for (int k = DD_KP_NOSE; k <= DD_KP_RIGHT_EYE; k++)
      g_assert_cmpint (fig.kp_facing[k], ==, !view);
    g_assert_true (fig.kp_facing[DD_KP_LEFT_EAR]);
  }
  /* COCO's skeleton joins keypoints 1..17. */
  for (int e = 0; e < DD_SKELETON_EDGES; e++)
    for (int j = 0; j < 2; j++) {
      g_assert_cmpint (dd_skeleton[e][j], >=, 1);
      g_assert_cmpint (dd_skeleton[e][j], <=, DD_KP_COUNT);
    }
}

static void
check_counts (const dd_scene_limits *limits, int n_scenes)
{
  int seen[DD_SCENE_MAX_PEOPLE + 1] = { 0 }, people = 0;
  dd_scene *scene = g_new (dd_scene, 1);
  for (int i = 0; i < n_scenes; i++) {
    dd_rng rng;
    dd_rng_seed (&rng, 4, (uint64_t) i);
    dd_scene_sample (dd_style_get (i % DD_STYLE_COUNT), 192, 144, limits,
        i % 4 == 0 ? 2.0 : 0, &rng, scene);
    g_assert_cmpint (scene->n_people, >=, limits->min_people);
    g_assert_cmpint (scene->n_people, <=, limits->max_people);
    seen[scene->n_people]++;
    people += scene->n_people;
    for (int p = 0; p < scene->n_people; p++) {
      g_assert_cmpfloat (scene->people[p].height, >=, limits->min_height * 144);
      g_assert_cmpfloat (scene->people[p].height, <=, limits->max_height * 144);
    }
  }
  for (int n = limits->min_people; n <= limits->max_people; n++)
    g_assert_cmpint (seen[n], >, 0);
  g_free (scene);
  g_test_message ("%d..%d people: %.2f per scene", limits->min_people,
      limits->max_people, (double) people / n_scenes);
}

static void
test_people_counts_and_heights (void)
{
  dd_scene_limits spec = { 0, 6, 0.1, 0.9 };
  check_counts (&spec, 600);
  dd_scene_limits narrow = { 2, 3, 0.3, 0.4 };
  check_counts (&narrow, 100);
  /* Heights spread over the whole range: small and large people both. */
  dd_scene *scene = g_new (dd_scene, 1);
  int small = 0, large = 0, total = 0;
  for (int i = 0; i < 300; i++) {
    dd_rng rng;
    dd_rng_seed (&rng, 5, (uint64_t) i);
    dd_scene_sample (dd_style_get (DD_STYLE_SIMILAR), 192, 144, &spec, 0, &rng,
        scene);
    for (int p = 0; p < scene->n_people; p++, total++) {
      small += scene->people[p].height < 0.2 * 144;
      large += scene->people[p].height > 0.6 * 144;
    }
  }
  g_assert_cmpint (small * 6, >, total);
  g_assert_cmpint (large * 10, >, total);
  g_free (scene);
}

/* In a clip every keypoint moves continuously, and walkers cross the
 * world at their speed. */
static void
test_motion_is_smooth (void)
{
  dd_scene_limits limits = { 3, 6, 0.2, 0.8 };
  dd_scene *scene = g_new (dd_scene, 1);
  int movers = 0;
  for (int c = 0; c < 10; c++) {
    dd_rng rng;
    dd_rng_seed (&rng, 6, (uint64_t) c);
    dd_scene_sample (dd_style_get (DD_STYLE_DISSIMILAR), 224, 126, &limits, 4.0,
        &rng, scene);
    for (int p = 0; p < scene->n_people; p++) {
      const dd_scene_person *sp = &scene->people[p];
      double dt = 0.01;
      double bound = (fabs (sp->speed) + fabs (scene->pan_speed)) * dt
          + 0.06 * sp->height;
      dd_figure prev, fig;
      dd_scene_pose_person (scene, p, 0, &prev);
      for (int f = 1; f <= 400; f++) {
        dd_scene_pose_person (scene, p, f * dt, &fig);
        for (int k = 0; k < DD_KP_COUNT; k++)
          g_assert_cmpfloat (hypot (fig.kp[k][0] - prev.kp[k][0],
                  fig.kp[k][1] - prev.kp[k][1]), <=, bound);
        prev = fig;
      }
      if (sp->kind == DD_POSE_WALKING || sp->kind == DD_POSE_RUNNING) {
        dd_figure a, b;
        dd_scene_pose_person (scene, p, 1.0, &a);
        dd_scene_pose_person (scene, p, 3.0, &b);
        double hips_a = a.kp[DD_KP_LEFT_HIP][0] + a.kp[DD_KP_RIGHT_HIP][0];
        double hips_b = b.kp[DD_KP_LEFT_HIP][0] + b.kp[DD_KP_RIGHT_HIP][0];
        double moved = (hips_b - hips_a) / 2;
        double expected = 2.0 * (sp->speed - scene->pan_speed);
        g_assert_cmpfloat (fabs (moved - expected), <, 0.1 * sp->height);
        g_assert_cmpfloat (fabs (sp->speed), >, 0.3 * sp->height);
        movers++;
      }
    }
  }
  g_assert_cmpint (movers, >, 5);
  g_free (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synth/scene/joint-limits", test_joint_limits);
  g_test_add_func ("/synth/scene/standing-height", test_standing_height);
  g_test_add_func ("/synth/scene/left-right", test_left_right);
  g_test_add_func ("/synth/scene/people-counts-and-heights", test_people_counts_and_heights);
  g_test_add_func ("/synth/scene/motion-is-smooth", test_motion_is_smooth);
  return g_test_run ();
}
