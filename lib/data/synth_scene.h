/* Scenes: who and what is where, and how it moves.
 *
 * A scene holds everything needed to draw any of its frames: the people
 * (build, look, pose, size, place, motion), the occluders, the background
 * and the camera (effects, pan). A still is a scene at t = 0; a video clip
 * is one scene drawn at t = frame / fps. Motion is a closed form of t
 * (people walk or run at a constant velocity with their gait phase
 * advancing at their cadence, the camera pans at a constant speed), so any
 * frame can be made alone.
 *
 * Everything is in pixels of the frame; world x is the frame's x at t = 0.
 */
#ifndef DD_DATA_SYNTH_SCENE_H
#define DD_DATA_SYNTH_SCENE_H

#include "data/synth_background.h"
#include "data/synth_camera.h"
#include "data/synth_figure.h"
#include "data/synth_style.h"

#define DD_SCENE_MAX_PEOPLE 8
#define DD_SCENE_MAX_OCCLUDERS 4

typedef struct dd_scene_limits {
  int min_people, max_people;   /* 0 <= min <= max <= DD_SCENE_MAX_PEOPLE */
  double min_height, max_height;        /* standing height / frame height */
} dd_scene_limits;

typedef struct dd_scene_person {
  dd_figure_build build;
  dd_look look;
  dd_pose_kind kind;
  dd_pose jitter;               /* this person's own take on the pose */
  double phase;                 /* gait phase at t = 0, radians */
  double cadence;               /* gait phase speed, radians per second */
  double height;                /* standing height, pixels */
  double x, ground_y;           /* pelvis column and ground row at t = 0 */
  double speed;                 /* world pixels per second along x */
  double depth;                 /* drawing order: larger is nearer */
} dd_scene_person;

typedef struct dd_scene_occluder {
  dd_shape shape;               /* world pixels */
  dd_paint paint;
  double depth;
} dd_scene_occluder;

typedef struct dd_scene {
  const dd_style *style;
  int width, height;
  double duration;              /* seconds; 0 for a still */
  double pan_speed;             /* the camera's left edge, pixels per second */
  dd_background background;
  int n_people;
  dd_scene_person people[DD_SCENE_MAX_PEOPLE];
  int n_occluders;
  dd_scene_occluder occluders[DD_SCENE_MAX_OCCLUDERS];
  dd_camera_fx fx;
  uint64_t noise_seed;          /* each frame's sensor noise: stream = frame */
} dd_scene;

/* Draws a scene for frames of width x height; duration > 0 makes a clip
 * (walkers and runners, a panning camera), 0 a still. */
void dd_scene_sample (const dd_style *style, int width, int height,
    const dd_scene_limits *limits, double duration, dd_rng *rng,
    dd_scene *scene);

/* The camera's left edge (world column) at time t. */
double dd_scene_pan (const dd_scene *scene, double t);

/* Poses person i at time t, in frame pixels. */
void dd_scene_pose_person (const dd_scene *scene, int i, double t,
    dd_figure *fig);

#endif
