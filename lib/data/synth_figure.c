/* The synthetic person: proportions, poses within joint limits, forward
 * kinematics and orthographic projection with depth. */
#include "synth_figure.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

const char *const dd_keypoint_names[DD_KP_COUNT] = {
  "nose", "left_eye", "right_eye", "left_ear", "right_ear",
  "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
  "left_wrist", "right_wrist", "left_hip", "right_hip",
  "left_knee", "right_knee", "left_ankle", "right_ankle",
};

const int dd_skeleton[DD_SKELETON_EDGES][2] = {
  { 16, 14 }, { 14, 12 }, { 17, 15 }, { 15, 13 }, { 12, 13 }, { 6, 12 },
  { 7, 13 }, { 6, 7 }, { 6, 8 }, { 7, 9 }, { 8, 10 }, { 9, 11 }, { 2, 3 },
  { 1, 2 }, { 1, 3 }, { 2, 4 }, { 3, 5 }, { 4, 6 }, { 5, 7 },
};

const int dd_keypoint_flip[DD_KP_COUNT] = {
  0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15,
};

const char *const dd_pose_kind_names[DD_POSE_KIND_COUNT] = {
  "standing", "walking", "running", "arms-raised", "waving", "sitting",
  "crouching", "kicking", "jumping",
};

const dd_pose dd_pose_min = {
  .yaw = -M_PI, .roll = -0.7, .lean = -0.35, .side_bend = -0.35,
  .twist = -0.6, .head_yaw = -1.2, .head_pitch = -0.5, .head_roll = -0.4,
  .shoulder_flex = { -1.0, -1.0 }, .shoulder_abd = { -0.35, -0.35 },
  .elbow = { 0, 0 }, .elbow_twist = { -1.2, -1.2 },
  .hip_flex = { -0.5, -0.5 }, .hip_abd = { -0.25, -0.25 }, .knee = { 0, 0 },
};

const dd_pose dd_pose_max = {
  .yaw = M_PI, .roll = 0.7, .lean = 0.9, .side_bend = 0.35, .twist = 0.6,
  .head_yaw = 1.2, .head_pitch = 0.6, .head_roll = 0.4,
  .shoulder_flex = { 3.1, 3.1 }, .shoulder_abd = { 2.9, 2.9 },
  .elbow = { 2.6, 2.6 }, .elbow_twist = { 1.2, 1.2 },
  .hip_flex = { 2.2, 2.2 }, .hip_abd = { 0.9, 0.9 }, .knee = { 2.5, 2.5 },
};

void
dd_figure_build_sample (dd_rng *rng, dd_figure_build *b)
{
  b->head_radius = 0.062 * dd_rng_range (rng, 0.9f, 1.15f);
  b->neck = 0.035 * dd_rng_range (rng, 0.8f, 1.3f);
  b->torso = 0.30 * dd_rng_range (rng, 0.92f, 1.08f);
  b->shoulder_width = 0.23 * dd_rng_range (rng, 0.85f, 1.2f);
  b->hip_width = 0.16 * dd_rng_range (rng, 0.85f, 1.2f);
  b->torso_depth = 0.11 * dd_rng_range (rng, 0.85f, 1.25f);
  b->upper_arm = 0.17 * dd_rng_range (rng, 0.92f, 1.08f);
  b->forearm = 0.145 * dd_rng_range (rng, 0.92f, 1.08f);
  b->hand = 0.055;
  b->thigh = 0.245 * dd_rng_range (rng, 0.92f, 1.08f);
  b->shin = 0.235 * dd_rng_range (rng, 0.92f, 1.08f);
  b->ankle_height = 0.04;
  b->foot = 0.07;
  b->limb_radius = 0.03 * dd_rng_range (rng, 0.75f, 1.4f);
  b->torso_round = 0.02 * dd_rng_range (rng, 0.8f, 1.6f);

  /* Rescale so the standing figure, sole to crown, is exactly 1 tall. */
  double total = b->ankle_height + b->shin + b->thigh + b->torso + b->neck
      + 2 * b->head_radius;
  double *fields[] = { &b->head_radius, &b->neck, &b->torso,
    &b->shoulder_width, &b->hip_width, &b->torso_depth, &b->upper_arm,
    &b->forearm, &b->hand, &b->thigh, &b->shin, &b->ankle_height, &b->foot,
    &b->limb_radius, &b->torso_round };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    *fields[i] /= total;
}

/* Walking and running: legs swing in antiphase, the knee folds during the
 * forward swing, each arm swings against its leg. */
static void
gait (dd_pose *p, double phase, double hip_amp, double knee_base,
    double knee_amp, double arm_amp, double elbow)
{
  for (int s = 0; s < 2; s++) {
    double ph = phase + s * M_PI;
    double swing = fmax (0.0, cos (ph));
    p->hip_flex[s] = hip_amp * sin (ph);
    p->knee[s] = knee_base + knee_amp * swing * swing;
    p->shoulder_flex[s] = -arm_amp * sin (ph);
    p->shoulder_abd[s] = 0.1;
    p->elbow[s] = elbow + 0.3 * fmax (0.0, -sin (ph));
  }
}

static void
pose_base (dd_pose_kind kind, double phase, dd_pose *p)
{
  memset (p, 0, sizeof *p);
  for (int s = 0; s < 2; s++) {
    p->shoulder_abd[s] = 0.12;
    p->elbow[s] = 0.15;
    p->hip_abd[s] = 0.04;
    p->knee[s] = 0.05;
  }
  switch (kind) {
    case DD_POSE_STANDING:
    case DD_POSE_KIND_COUNT:
      break;
    case DD_POSE_WALKING:
      gait (p, phase, 0.42, 0.08, 0.85, 0.4, 0.25);
      break;
    case DD_POSE_RUNNING:
      gait (p, phase, 0.8, 0.3, 1.5, 0.75, 1.45);
      p->lean = 0.22;
      break;
    case DD_POSE_ARMS_RAISED:
      for (int s = 0; s < 2; s++) {
        p->shoulder_abd[s] = 2.55;
        p->elbow[s] = 0.25;
      }
      break;
    case DD_POSE_WAVING:
      p->shoulder_abd[1] = 2.0;
      p->elbow[1] = 0.9 + 0.45 * sin (phase);
      p->elbow_twist[1] = -0.9;
      break;
    case DD_POSE_SITTING:
      for (int s = 0; s < 2; s++) {
        p->hip_flex[s] = 1.5;
        p->knee[s] = 1.5;
        p->shoulder_flex[s] = 0.45;
        p->elbow[s] = 0.9;
      }
      p->lean = 0.1;
      break;
    case DD_POSE_CROUCHING:
      for (int s = 0; s < 2; s++) {
        p->hip_flex[s] = 1.9;
        p->knee[s] = 2.3;
        p->hip_abd[s] = 0.25;
        p->shoulder_flex[s] = 0.8;
        p->elbow[s] = 0.6;
      }
      p->lean = 0.5;
      break;
    case DD_POSE_KICKING:
      p->hip_flex[1] = 1.25;
      p->knee[1] = 0.35;
      p->hip_flex[0] = -0.15;
      p->lean = -0.2;
      for (int s = 0; s < 2; s++)
        p->shoulder_abd[s] = 0.9;
      break;
    case DD_POSE_JUMPING:
      for (int s = 0; s < 2; s++) {
        p->shoulder_abd[s] = 2.3;
        p->elbow[s] = 0.3;
        p->hip_abd[s] = 0.45;
        p->knee[s] = 0.3;
      }
      break;
  }
}

/* A pose is read as an array of angles, yaw first, by the loops below. */
_Static_assert (sizeof (dd_pose) == DD_POSE_ANGLES * sizeof (double)
    && offsetof (dd_pose, yaw) == 0, "dd_pose must be doubles only, yaw first");

static double *
angles (dd_pose *p)
{
  return (double *) p;
}

void
dd_pose_clamp (dd_pose *pose)
{
  double *a = angles (pose);
  const double *lo = (const double *) &dd_pose_min;
  const double *hi = (const double *) &dd_pose_max;
  /* Yaw is a direction: wrap it rather than clamp it. */
  pose->yaw = remainder (pose->yaw, 2 * M_PI);
  for (int i = 1; i < DD_POSE_ANGLES; i++)
    a[i] = a[i] < lo[i] ? lo[i] : a[i] > hi[i] ? hi[i] : a[i];
}

void
dd_pose_make (dd_pose_kind kind, double phase, const dd_pose *jitter,
    dd_pose *pose)
{
  pose_base (kind, phase, pose);
  double *a = angles (pose);
  const double *j = (const double *) jitter;
  for (int i = 0; i < DD_POSE_ANGLES; i++)
    a[i] += j[i];
  dd_pose_clamp (pose);
}

void
dd_pose_jitter_sample (dd_rng *rng, double spread, double max_roll,
    dd_pose *j)
{
  double *a = angles (j);
  for (int i = 0; i < DD_POSE_ANGLES; i++)
    a[i] = spread * dd_rng_normal (rng);
  j->yaw = dd_rng_range (rng, (float) -M_PI, (float) M_PI);
  j->roll = dd_rng_range (rng, (float) -max_roll, (float) max_roll);
  /* People look around more than they bend their spine. */
  j->head_yaw *= 2.0;
  j->lean *= 0.5;
  j->side_bend *= 0.4;
  j->twist *= 0.6;
}

/* ---- Forward kinematics ------------------------------------------------ */

typedef struct {
  double x, y, z;
} vec3;

static vec3
v3 (double x, double y, double z)
{
  return (vec3) { x, y, z };
}

static vec3
add (vec3 a, vec3 b)
{
  return v3 (a.x + b.x, a.y + b.y, a.z + b.z);
}

static vec3
mul (vec3 a, double k)
{
  return v3 (a.x * k, a.y * k, a.z * k);
}

/* Rotations about the person's axes; positive angles turn +y towards +z
 * (x), +z towards +x (y) and +x towards +y (z). */
static vec3
rot_x (vec3 v, double a)
{
  return v3 (v.x, v.y * cos (a) - v.z * sin (a), v.y * sin (a) + v.z * cos (a));
}

static vec3
rot_y (vec3 v, double a)
{
  return v3 (v.x * cos (a) + v.z * sin (a), v.y, -v.x * sin (a) + v.z * cos (a));
}

static vec3
rot_z (vec3 v, double a)
{
  return v3 (v.x * cos (a) - v.y * sin (a), v.x * sin (a) + v.y * cos (a), v.z);
}

static vec3
spine (const dd_pose *p, vec3 v)
{
  return rot_y (rot_z (rot_x (v, p->lean), p->side_bend), p->twist);
}

/* A limb hanging from a ball joint: flexion forward, then abduction
 * outwards (sign +1 for the left side, -1 for the right). */
static vec3
ball (vec3 v, double flex, double abd, double sign)
{
  return rot_z (rot_x (v, -flex), sign * abd);
}

/* Points of the figure in person space, before the body's yaw. */
typedef struct {
  vec3 kp[DD_KP_COUNT];
  vec3 neck_base, neck_top, head, head_up, head_forward;
  vec3 hand_end[2], heel[2], toe[2];
  vec3 torso[8];
} skeleton3;

static vec3
head_point (const dd_pose *p, vec3 v)
{
  return spine (p, rot_y (rot_x (rot_z (v, p->head_roll), p->head_pitch),
          p->head_yaw));
}

static vec3
on_head (const dd_figure_build *b, const dd_pose *p, const skeleton3 *s,
    double azimuth, double elevation, double radius)
{
  vec3 d = v3 (sin (azimuth) * cos (elevation), sin (elevation),
      cos (azimuth) * cos (elevation));
  return add (s->head, head_point (p, mul (d, radius * b->head_radius)));
}

static void
solve_upper_body (const dd_figure_build *b, const dd_pose *p, skeleton3 *s)
{
  s->neck_base = spine (p, v3 (0, b->torso, 0));
  s->neck_top = add (s->neck_base, spine (p, rot_x (v3 (0, b->neck, 0),
              0.5 * p->head_pitch)));
  s->head = add (s->neck_top, head_point (p, v3 (0, b->head_radius, 0)));
  s->head_up = head_point (p, v3 (0, 1, 0));
  s->head_forward = head_point (p, v3 (0, 0, 1));
  s->kp[DD_KP_NOSE] = on_head (b, p, s, 0, -0.12, 0.97);
  s->kp[DD_KP_LEFT_EYE] = on_head (b, p, s, 0.38, 0.2, 0.92);
  s->kp[DD_KP_RIGHT_EYE] = on_head (b, p, s, -0.38, 0.2, 0.92);
  s->kp[DD_KP_LEFT_EAR] = on_head (b, p, s, 1.45, 0.02, 0.88);
  s->kp[DD_KP_RIGHT_EAR] = on_head (b, p, s, -1.45, 0.02, 0.88);

  for (int side = 0; side < 2; side++) {
    double sg = side == 0 ? 1 : -1;
    double flex = p->shoulder_flex[side], abd = p->shoulder_abd[side];
    double e = p->elbow[side], t = p->elbow_twist[side];
    vec3 shoulder = add (s->neck_base,
        spine (p, v3 (sg * b->shoulder_width / 2, -0.015, 0)));
    vec3 upper = spine (p, ball (v3 (0, -1, 0), flex, abd, sg));
    /* The forearm folds forwards, or inwards/outwards with the twist. */
    vec3 fold = v3 (-sg * sin (t) * sin (e), -cos (e), cos (t) * sin (e));
    vec3 fore = spine (p, ball (fold, flex, abd, sg));
    vec3 elbow = add (shoulder, mul (upper, b->upper_arm));
    vec3 wrist = add (elbow, mul (fore, b->forearm));
    s->kp[DD_KP_LEFT_SHOULDER + side] = shoulder;
    s->kp[DD_KP_LEFT_ELBOW + side] = elbow;
    s->kp[DD_KP_LEFT_WRIST + side] = wrist;
    s->hand_end[side] = add (wrist, mul (fore, b->hand));
  }
}

static void
solve_lower_body (const dd_figure_build *b, const dd_pose *p, skeleton3 *s)
{
  for (int side = 0; side < 2; side++) {
    double sg = side == 0 ? 1 : -1;
    double flex = p->hip_flex[side], abd = p->hip_abd[side];
    double k = p->knee[side];
    vec3 hip = v3 (sg * b->hip_width / 2, 0, 0);
    vec3 thigh = ball (v3 (0, -1, 0), flex, abd, sg);
    /* The knee folds backwards; the foot stays square to the shin. */
    vec3 shin = ball (v3 (0, -cos (k), -sin (k)), flex, abd, sg);
    vec3 foot = ball (v3 (0, -sin (k), cos (k)), flex, abd, sg);
    vec3 knee = add (hip, mul (thigh, b->thigh));
    vec3 ankle = add (knee, mul (shin, b->shin));
    s->kp[DD_KP_LEFT_HIP + side] = hip;
    s->kp[DD_KP_LEFT_KNEE + side] = knee;
    s->kp[DD_KP_LEFT_ANKLE + side] = ankle;
    s->heel[side] = add (ankle, mul (shin, 0.6 * b->ankle_height));
    s->toe[side] = add (s->heel[side], mul (foot, b->foot));
  }
  /* The torso as a box: four corners at the shoulders (turning with the
   * spine) and four at the hips. */
  for (int i = 0; i < 4; i++) {
    double sx = (i & 1) ? 1 : -1, sz = (i & 2) ? 0.5 : -0.5;
    s->torso[i] = spine (p, v3 (sx * 0.46 * b->shoulder_width,
            b->torso - 0.01, sz * b->torso_depth));
    s->torso[4 + i] = v3 (sx * 0.55 * b->hip_width, -0.025,
        sz * b->torso_depth);
  }
}

/* ---- Projection --------------------------------------------------------- */

typedef struct {
  double yaw, cos_roll, sin_roll, scale;
} camera;

/* Person space to image pixels (relative to the pelvis) and depth. */
static void
project (const camera *c, vec3 v, double xy[2], double *depth)
{
  vec3 w = rot_y (v, c->yaw);
  double x = w.x, y = -w.y;
  xy[0] = c->scale * (x * c->cos_roll - y * c->sin_roll);
  xy[1] = c->scale * (x * c->sin_roll + y * c->cos_roll);
  if (depth)
    *depth = w.z;
}

static void
make_capsule (const camera *c, dd_figure_part *part, vec3 a, double ra,
    vec3 b, double rb, double bias)
{
  double pa[2], pb[2], za, zb;
  project (c, a, pa, &za);
  project (c, b, pb, &zb);
  dd_shape_capsule (&part->shape, pa[0], pa[1], ra * c->scale, pb[0], pb[1],
      rb * c->scale);
  part->depth = 0.5 * (za + zb) + bias;
}

static void
make_torso (const camera *c, const dd_figure_build *b, const skeleton3 *s,
    dd_figure_part *part)
{
  double pts[8][2], z, zsum = 0;
  for (int i = 0; i < 8; i++) {
    project (c, s->torso[i], pts[i], &z);
    zsum += z;
  }
  dd_shape_polygon (&part->shape, 8, (const double (*)[2]) pts,
      b->torso_round * c->scale);
  part->depth = zsum / 8;
}

static void
make_head (const camera *c, const dd_figure_build *b, const skeleton3 *s,
    dd_figure *fig)
{
  double centre[2], up[2], z;
  project (c, s->head, centre, &z);
  project (c, s->head_up, up, NULL);
  /* The head is a little taller than wide; tilted towards the camera the
   * extra height foreshortens away. */
  double up_len = hypot (up[0], up[1]) / c->scale;
  double angle = up_len > 1e-6 ? atan2 (up[1], up[0]) + M_PI / 2 : 0;
  double r = b->head_radius * c->scale;
  dd_shape_ellipse (&fig->parts[DD_PART_HEAD].shape, centre[0], centre[1], r,
      r * (1 + 0.12 * up_len), angle);
  fig->parts[DD_PART_HEAD].depth = z + 0.015;

  double fwd[2], fz;
  project (c, mul (s->head_forward, 0.45 * b->head_radius), fwd, &fz);
  fig->face[0] = centre[0] + fwd[0];
  fig->face[1] = centre[1] + fwd[1];
  fig->face_forward = fz / (0.45 * b->head_radius);
}

static void
make_parts (const camera *c, const dd_figure_build *b, const skeleton3 *s,
    dd_figure *fig)
{
  double rl = b->limb_radius;
  dd_figure_part *pt = fig->parts;
  make_torso (c, b, s, &pt[DD_PART_TORSO]);
  make_capsule (c, &pt[DD_PART_NECK], s->neck_base, 0.9 * rl, s->neck_top,
      0.85 * rl, 0);
  pt[DD_PART_NECK].depth = pt[DD_PART_TORSO].depth + 0.002;
  make_head (c, b, s, fig);
  /* The neck disappears into the head whichever way the body turns. */
  pt[DD_PART_HEAD].depth = fmax (pt[DD_PART_HEAD].depth,
      pt[DD_PART_NECK].depth + 0.001);
  for (int side = 0; side < 2; side++) {
    vec3 sh = s->kp[DD_KP_LEFT_SHOULDER + side];
    vec3 el = s->kp[DD_KP_LEFT_ELBOW + side];
    vec3 wr = s->kp[DD_KP_LEFT_WRIST + side];
    vec3 hip = s->kp[DD_KP_LEFT_HIP + side];
    vec3 kn = s->kp[DD_KP_LEFT_KNEE + side];
    vec3 an = s->kp[DD_KP_LEFT_ANKLE + side];
    vec3 hand = add (mul (wr, 0.3), mul (s->hand_end[side], 0.7));
    /* Arms in front of the torso's edge, legs tucked under it. */
    make_capsule (c, &pt[DD_PART_UPPER_ARM_L + side], sh, rl, el, 0.85 * rl,
        0.004);
    make_capsule (c, &pt[DD_PART_FOREARM_L + side], el, 0.85 * rl, wr,
        0.65 * rl, 0.004);
    make_capsule (c, &pt[DD_PART_HAND_L + side], wr, 0.75 * rl, hand,
        0.8 * rl, 0.005);
    make_capsule (c, &pt[DD_PART_THIGH_L + side], hip, 1.55 * rl, kn,
        1.15 * rl, -0.004);
    make_capsule (c, &pt[DD_PART_SHIN_L + side], kn, 1.1 * rl, an, 0.8 * rl,
        -0.004);
    make_capsule (c, &pt[DD_PART_FOOT_L + side], s->heel[side], 0.7 * rl,
        s->toe[side], 0.55 * rl, -0.003);
  }
}

static void
translate_shape (dd_shape *s, double dx, double dy)
{
  for (int i = 0; i < s->n; i++) {
    s->p[i][0] += dx;
    s->p[i][1] += dy;
  }
}

/* Stable: parts at equal depth keep their enum order. */
static void
sort_by_depth (dd_figure *fig)
{
  for (int i = 0; i < DD_PART_COUNT; i++)
    fig->order[i] = i;
  for (int i = 1; i < DD_PART_COUNT; i++)
    for (int j = i; j > 0
        && fig->parts[fig->order[j]].depth < fig->parts[fig->order[j - 1]].depth;
        j--) {
      int t = fig->order[j];
      fig->order[j] = fig->order[j - 1];
      fig->order[j - 1] = t;
    }
}

void
dd_figure_pose (const dd_figure_build *build, const dd_pose *pose, double x,
    double ground_y, double height, dd_figure *fig)
{
  skeleton3 s;
  solve_upper_body (build, pose, &s);
  solve_lower_body (build, pose, &s);

  camera c = { .yaw = pose->yaw, .cos_roll = cos (pose->roll),
    .sin_roll = sin (pose->roll), .scale = height };
  memset (fig, 0, sizeof *fig);
  fig->scale = height;
  make_parts (&c, build, &s, fig);
  for (int k = 0; k < DD_KP_COUNT; k++)
    project (&c, s.kp[k], fig->kp[k], &fig->kp_depth[k]);

  double head_z;
  project (&c, s.head, (double[2]) { 0, 0 }, &head_z);
  for (int k = DD_KP_NOSE; k <= DD_KP_RIGHT_EAR; k++)
    fig->kp_facing[k] = (fig->kp_depth[k] - head_z) > -0.2 * build->head_radius;
  for (int k = DD_KP_LEFT_SHOULDER; k < DD_KP_COUNT; k++)
    fig->kp_facing[k] = true;

  /* Stand the figure on the ground line. */
  double box[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };
  for (int i = 0; i < DD_PART_COUNT; i++)
    dd_shape_extend_box (&fig->parts[i].shape, box);
  double dy = ground_y - box[3];
  for (int i = 0; i < DD_PART_COUNT; i++) {
    translate_shape (&fig->parts[i].shape, x, dy);
    dd_shape_quantize (&fig->parts[i].shape);
  }
  for (int k = 0; k < DD_KP_COUNT; k++) {
    fig->kp[k][0] = round ((fig->kp[k][0] + x) * 256.0) / 256.0;
    fig->kp[k][1] = round ((fig->kp[k][1] + dy) * 256.0) / 256.0;
  }
  fig->face[0] += x;
  fig->face[1] += dy;
  sort_by_depth (fig);
}

int
dd_figure_keypoint_owners (const dd_figure *fig, int kp,
    dd_body_part owners[2])
{
  /* Tolerance, in standing heights, for a shoulder or hip to count as on
   * the torso's near face: about half a shoulder width times sin(30 deg). */
  const double near_tolerance = 0.06;
  int side = (kp - DD_KP_LEFT_SHOULDER) % 2;
  switch (kp) {
    case DD_KP_NOSE:
    case DD_KP_LEFT_EYE:
    case DD_KP_RIGHT_EYE:
    case DD_KP_LEFT_EAR:
    case DD_KP_RIGHT_EAR:
      owners[0] = DD_PART_HEAD;
      return 1;
    case DD_KP_LEFT_SHOULDER:
    case DD_KP_RIGHT_SHOULDER:
    case DD_KP_LEFT_HIP:
    case DD_KP_RIGHT_HIP:
      owners[0] = kp <= DD_KP_RIGHT_SHOULDER ? DD_PART_UPPER_ARM_L + side
          : DD_PART_THIGH_L + side;
      if (fig->kp_depth[kp] < fig->parts[DD_PART_TORSO].depth - near_tolerance)
        return 1;
      owners[1] = DD_PART_TORSO;
      return 2;
    case DD_KP_LEFT_ELBOW:
    case DD_KP_RIGHT_ELBOW:
      owners[0] = DD_PART_UPPER_ARM_L + side;
      owners[1] = DD_PART_FOREARM_L + side;
      return 2;
    case DD_KP_LEFT_WRIST:
    case DD_KP_RIGHT_WRIST:
      owners[0] = DD_PART_FOREARM_L + side;
      owners[1] = DD_PART_HAND_L + side;
      return 2;
    case DD_KP_LEFT_KNEE:
    case DD_KP_RIGHT_KNEE:
      owners[0] = DD_PART_THIGH_L + side;
      owners[1] = DD_PART_SHIN_L + side;
      return 2;
    default:
      owners[0] = DD_PART_SHIN_L + side;
      owners[1] = DD_PART_FOOT_L + side;
      return 2;
  }
}
