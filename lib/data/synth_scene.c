/* Sampling scenes and moving them through time. */
#include "synth_scene.h"

#include <math.h>

/* How many people a frame shows: mostly one to three, as in COCO. */
static const double people_odds[DD_SCENE_MAX_PEOPLE + 1] = {
  0.06, 0.30, 0.22, 0.15, 0.11, 0.08, 0.05, 0.02, 0.01,
};

/* Poses of people in clips: they walk and run; standing and waving people
 * move only their arms. */
static const double clip_pose_odds[DD_POSE_KIND_COUNT] = {
  [DD_POSE_STANDING] = 0.2, [DD_POSE_WALKING] = 0.5,
  [DD_POSE_RUNNING] = 0.15, [DD_POSE_WAVING] = 0.15,
};

static int
sample_count (const dd_scene_limits *limits, dd_rng *rng)
{
  double odds[DD_SCENE_MAX_PEOPLE + 1] = { 0 };
  for (int n = limits->min_people; n <= limits->max_people; n++)
    odds[n] = people_odds[n];
  return dd_style_pick (odds, DD_SCENE_MAX_PEOPLE + 1, rng);
}

static double
log_uniform (double lo, double hi, dd_rng *rng)
{
  return lo * exp (dd_rng_uniform (rng) * log (hi / lo));
}

static void
sample_motion (dd_scene_person *p, bool clip, dd_rng *rng)
{
  /* Gait: speed in standing heights per second, stride per cycle. */
  double speed = 0, stride = 1;
  if (p->kind == DD_POSE_WALKING) {
    speed = dd_rng_range (rng, 0.6f, 0.9f);
    stride = 0.8;
  } else if (p->kind == DD_POSE_RUNNING) {
    speed = dd_rng_range (rng, 1.8f, 2.6f);
    stride = 1.6;
  }
  p->cadence = p->kind == DD_POSE_WAVING ? dd_rng_range (rng, 5, 9)
      : 2 * M_PI * speed / stride;
  if (clip && speed > 0) {
    /* Walkers mostly cross the frame sideways, facing where they go. */
    double dir = dd_rng_below (rng, 2) ? 1 : -1;
    p->jitter.yaw = dir * M_PI / 2 + 0.35 * dd_rng_normal (rng);
  }
  p->speed = clip ? speed * p->height * sin (p->jitter.yaw) : 0;
}

static void
sample_person (const dd_scene *scene, const dd_scene_limits *limits,
    dd_rng *rng, dd_scene_person *p)
{
  const dd_style *style = scene->style;
  int w = scene->width, h = scene->height;
  bool clip = scene->duration > 0;
  dd_figure_build_sample (rng, &p->build);
  dd_look_sample (style, rng, &p->look);
  p->kind = dd_style_pick (clip ? clip_pose_odds : style->pose_odds,
      DD_POSE_KIND_COUNT, rng);
  dd_pose_jitter_sample (rng, style->pose_spread, style->max_roll, &p->jitter);
  p->phase = dd_rng_range (rng, 0, (float) (2 * M_PI));
  p->height = h * log_uniform (limits->min_height, limits->max_height, rng);
  sample_motion (p, clip, rng);

  /* Feet on the ground (below the horizon) down to below the frame, the
   * head no more than a third out of the top. */
  double hi = h + 0.3 * p->height;
  double lo = fmin (fmax (scene->background.horizon + 0.02 * h,
          0.7 * p->height), hi);
  p->ground_y = dd_rng_range (rng, (float) lo, (float) hi);
  /* Somewhere in view halfway through the clip. */
  double mid = scene->duration / 2;
  double x_mid = dd_scene_pan (scene, mid) + dd_rng_range (rng, -0.1f, 1.1f) * w;
  p->x = x_mid - p->speed * mid;
  /* Bigger usually means nearer. */
  p->depth = p->height / h + 0.15 * dd_rng_normal (rng);
}

/* An occluder placed over part of a person (or anywhere, with nobody) and
 * given a depth just in front of them, or now and then just behind. */
static void
sample_occluder (const dd_scene *scene, dd_rng *rng, dd_scene_occluder *o)
{
  double h = scene->height;
  double x = dd_rng_range (rng, 0, (float) scene->width), y, size = h * 0.5;
  o->depth = dd_rng_range (rng, 0, 1);
  if (scene->n_people > 0) {
    const dd_scene_person *p = &scene->people[dd_rng_below (rng,
            (uint32_t) scene->n_people)];
    double mid = scene->duration / 2;
    x = p->x + p->speed * mid + dd_rng_range (rng, -0.3f, 0.3f) * p->height;
    y = p->ground_y - dd_rng_range (rng, 0, 1) * p->height;
    size = p->height;
    o->depth = p->depth + (dd_rng_uniform (rng) < 0.8f ? 0.05 : -0.05);
  } else {
    y = dd_rng_range (rng, 0, (float) h);
  }
  switch (dd_rng_below (rng, 3)) {
    case 0: {                   /* an upright bar: a pole, a post, a door edge */
      double bw = dd_rng_range (rng, 0.05f, 0.2f) * size;
      double bh = dd_rng_range (rng, 0.5f, 1.5f) * size;
      double pts[4][2] = { { x - bw / 2, y - bh / 2 }, { x + bw / 2, y - bh / 2 },
        { x + bw / 2, y + bh / 2 }, { x - bw / 2, y + bh / 2 } };
      dd_shape_polygon (&o->shape, 4, (const double (*)[2]) pts, 0.5);
      break;
    }
    case 1: {                   /* a board: a table, a car, a fence */
      double bw = dd_rng_range (rng, 0.4f, 1.2f) * size;
      double bh = dd_rng_range (rng, 0.15f, 0.4f) * size;
      double pts[4][2] = { { x - bw / 2, y }, { x + bw / 2, y },
        { x + bw / 2, y + bh }, { x - bw / 2, y + bh } };
      dd_shape_polygon (&o->shape, 4, (const double (*)[2]) pts, 1.0);
      break;
    }
    default: {                  /* a blob: a bush, a bag, a head in the crowd */
      double r = dd_rng_range (rng, 0.1f, 0.3f) * size;
      double pts[7][2];
      for (int i = 0; i < 7; i++) {
        double a = dd_rng_range (rng, 0, (float) (2 * M_PI));
        double rr = r * dd_rng_range (rng, 0.4f, 1.0f);
        pts[i][0] = x + rr * cos (a);
        pts[i][1] = y + rr * sin (a);
      }
      dd_shape_polygon (&o->shape, 7, (const double (*)[2]) pts, 0.3 * r);
      break;
    }
  }
  dd_shape_quantize (&o->shape);
  double a[3], b[3];
  dd_style_colour (scene->style, &scene->style->props, rng, a);
  dd_style_colour (scene->style, &scene->style->props, rng, b);
  dd_paint_sample (&o->paint, dd_style_pick (scene->style->texture_odds,
          DD_TEXTURE_COUNT, rng), a, b, 0.05, 0.3, rng);
}

void
dd_scene_sample (const dd_style *style, int width, int height,
    const dd_scene_limits *limits, double duration, dd_rng *rng,
    dd_scene *scene)
{
  *scene = (dd_scene) { .style = style, .width = width, .height = height,
    .duration = duration };
  if (duration > 0)
    scene->pan_speed = dd_rng_range (rng, -0.12f, 0.12f) * width;
  double pan_end = dd_scene_pan (scene, duration);
  dd_background_sample (style, fmin (0, pan_end), fmax (0, pan_end), width,
      height, limits->min_height * height, limits->max_height * height, rng,
      &scene->background);
  scene->n_people = sample_count (limits, rng);
  for (int i = 0; i < scene->n_people; i++)
    sample_person (scene, limits, rng, &scene->people[i]);
  /* Each of the possible occluders is there with the same odds. */
  for (int i = 0; i < DD_SCENE_MAX_OCCLUDERS; i++)
    if (dd_rng_uniform (rng) < style->occluders_mean / DD_SCENE_MAX_OCCLUDERS)
      sample_occluder (scene, rng, &scene->occluders[scene->n_occluders++]);
  dd_camera_fx_sample (style, rng, &scene->fx);
  if (scene->pan_speed != 0 && style->motion_blur_max > 0)
    scene->fx.motion_blur = (int) (fabs (scene->pan_speed) / width * 20) + 1;
  uint64_t high = dd_rng_u32 (rng);
  scene->noise_seed = high << 32 | dd_rng_u32 (rng);
}

double
dd_scene_pan (const dd_scene *scene, double t)
{
  return scene->pan_speed * t;
}

void
dd_scene_pose_person (const dd_scene *scene, int i, double t, dd_figure *fig)
{
  const dd_scene_person *p = &scene->people[i];
  dd_pose pose;
  dd_pose_make (p->kind, p->phase + p->cadence * t, &p->jitter, &pose);
  double x = p->x + p->speed * t - dd_scene_pan (scene, t);
  dd_figure_pose (&p->build, &pose, x, p->ground_y, p->height, fig);
}
