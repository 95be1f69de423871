/* The synthetic person: a kinematic tree with COCO's 17 keypoints.
 *
 * A figure is built in 3D, in units of its standing height: x to the
 * person's left, y up, z forward (the way the face points). Joint angles
 * (dd_pose) are clamped to human ranges (dd_pose_limits), the tree is posed
 * by forward kinematics and projected orthographically onto the image,
 * keeping depth so that body parts are drawn far to near and keypoints
 * hidden behind the torso or the head are known to be hidden.
 *
 * Body proportions (dd_figure_build) vary per person; dd_figure_pose turns
 * build + pose + placement into 2D keypoints and body-part shapes.
 */
#ifndef DD_DATA_SYNTH_FIGURE_H
#define DD_DATA_SYNTH_FIGURE_H

#include <stdbool.h>

#include "data/synth_shape.h"
#include "nn/rng.h"

/* COCO's person keypoints, in COCO's order. */
typedef enum {
  DD_KP_NOSE, DD_KP_LEFT_EYE, DD_KP_RIGHT_EYE, DD_KP_LEFT_EAR,
  DD_KP_RIGHT_EAR, DD_KP_LEFT_SHOULDER, DD_KP_RIGHT_SHOULDER,
  DD_KP_LEFT_ELBOW, DD_KP_RIGHT_ELBOW, DD_KP_LEFT_WRIST, DD_KP_RIGHT_WRIST,
  DD_KP_LEFT_HIP, DD_KP_RIGHT_HIP, DD_KP_LEFT_KNEE, DD_KP_RIGHT_KNEE,
  DD_KP_LEFT_ANKLE, DD_KP_RIGHT_ANKLE,
  DD_KP_COUNT
} dd_coco_joint;

#define DD_SKELETON_EDGES 19

extern const char *const dd_keypoint_names[DD_KP_COUNT];
/* COCO's skeleton: 1-based keypoint pairs, as in the category's JSON. */
extern const int dd_skeleton[DD_SKELETON_EDGES][2];
/* The keypoint a horizontal flip turns each keypoint into (left <-> right). */
extern const int dd_keypoint_flip[DD_KP_COUNT];

/* Body parts, each drawn as one shape. */
typedef enum {
  DD_PART_TORSO, DD_PART_NECK, DD_PART_HEAD,
  DD_PART_UPPER_ARM_L, DD_PART_UPPER_ARM_R,
  DD_PART_FOREARM_L, DD_PART_FOREARM_R,
  DD_PART_HAND_L, DD_PART_HAND_R,
  DD_PART_THIGH_L, DD_PART_THIGH_R,
  DD_PART_SHIN_L, DD_PART_SHIN_R,
  DD_PART_FOOT_L, DD_PART_FOOT_R,
  DD_PART_COUNT
} dd_body_part;

/* Proportions, in units of standing height (head top to sole = 1). */
typedef struct dd_figure_build {
  double head_radius;
  double neck, torso, shoulder_width, hip_width, torso_depth;
  double upper_arm, forearm, hand;
  double thigh, shin, ankle_height, foot;
  double limb_radius;           /* upper-arm radius; other limbs scale from it */
  double torso_round;           /* how much the torso outline is rounded */
} dd_figure_build;

/* Joint angles in radians; [0] is the person's left side, [1] the right.
 * Zero everywhere is standing straight, arms down, facing the camera. */
typedef struct dd_pose {
  double yaw;                   /* whole body about the vertical; +-pi: back view */
  double roll;                  /* whole body in the image plane */
  double lean, side_bend, twist;        /* spine: forward, sideways, about itself */
  double head_yaw, head_pitch, head_roll;
  double shoulder_flex[2];      /* arm forward (pi: overhead), negative: back */
  double shoulder_abd[2];       /* arm out sideways */
  double elbow[2];              /* elbow bend */
  double elbow_twist[2];        /* which way the forearm folds: + inwards */
  double hip_flex[2];           /* thigh forward */
  double hip_abd[2];            /* thigh out sideways */
  double knee[2];               /* knee bend */
} dd_pose;

#define DD_POSE_ANGLES ((int) (sizeof (dd_pose) / sizeof (double)))

/* Lower and upper joint limits, as two poses. */
extern const dd_pose dd_pose_min, dd_pose_max;

typedef enum {
  DD_POSE_STANDING, DD_POSE_WALKING, DD_POSE_RUNNING, DD_POSE_ARMS_RAISED,
  DD_POSE_WAVING, DD_POSE_SITTING, DD_POSE_CROUCHING, DD_POSE_KICKING,
  DD_POSE_JUMPING,
  DD_POSE_KIND_COUNT
} dd_pose_kind;

extern const char *const dd_pose_kind_names[DD_POSE_KIND_COUNT];

/* A figure's proportions, drawn around an average adult's. */
void dd_figure_build_sample (dd_rng *rng, dd_figure_build *build);

/* The pose of `kind` at `phase` (radians of its cycle: walking, running and
 * waving move with it, the others ignore it), plus `jitter` joint by joint,
 * clamped to the joint limits. A zero jitter gives the textbook pose. */
void dd_pose_make (dd_pose_kind kind, double phase, const dd_pose *jitter,
    dd_pose *pose);

/* Random per-joint offsets with `spread` radians standard deviation (for
 * the body's orientation: yaw uniform, roll within +-max_roll). */
void dd_pose_jitter_sample (dd_rng *rng, double spread, double max_roll,
    dd_pose *jitter);

void dd_pose_clamp (dd_pose *pose);

typedef struct dd_figure_part {
  dd_shape shape;               /* in image pixels */
  double depth;                 /* towards the camera, for drawing order */
} dd_figure_part;

/* A posed and projected figure. */
typedef struct dd_figure {
  double kp[DD_KP_COUNT][2];    /* image pixels */
  double kp_depth[DD_KP_COUNT];
  /* False for a face keypoint on the far side of the head: hidden by the
   * head itself whatever is drawn over it. */
  bool kp_facing[DD_KP_COUNT];
  dd_figure_part parts[DD_PART_COUNT];
  int order[DD_PART_COUNT];     /* parts from far to near: the drawing order */
  double face[2];               /* where the face's centre is drawn */
  double face_forward;          /* > 0 when the face points at the camera */
  double scale;                 /* pixels per unit of standing height */
} dd_figure;

/* Poses and projects a figure `height` pixels tall (standing) whose lowest
 * point (a sole, or a knee when kneeling) is at image row `ground_y`, its
 * pelvis above column `x`. */
void dd_figure_pose (const dd_figure_build *build, const dd_pose *pose,
    double x, double ground_y, double height, dd_figure *fig);

/* The parts a keypoint lies on (1 or 2; a shoulder or hip counts the torso
 * only when it is not on the torso's far side). The keypoint is visible when
 * it faces the camera and nothing drawn after the last of these covers it. */
int dd_figure_keypoint_owners (const dd_figure *fig, int kp,
    dd_body_part owners[2]);

#endif
