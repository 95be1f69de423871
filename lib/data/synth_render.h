/* Drawing a scene's frame with cairo, and its ground truth.
 *
 * People and occluders are drawn far to near (body parts too, within a
 * person), over the background, then the camera effects are applied. The
 * labels come from the same shapes: a keypoint outside the frame, or a
 * face keypoint on the far side of the head, has v = 0 (and x = y = 0, as
 * COCO); one covered by anything drawn after the body parts it lies on
 * (another person, an occluder, the person's own arm or torso) has v = 1;
 * otherwise v = 2. COCO's annotators mark the eyes, ears and nose only
 * where they see them: no one can place the eyes of a head seen from
 * behind, and labelling them there asked the detector to guess them, left
 * from right, from the kit alone (bench/RESULTS.md, "Detector", run 12).
 *
 * The box is the figure's drawn extent, occluded parts included, clipped
 * to the frame (and, where the frame cuts the figure, to the pixels it
 * still covers); the area is the number of frame pixels the figure covers,
 * occluded parts included, so it measures the person's size as OKS needs.
 * A person who covers less than one pixel of the frame gets no label; one
 * who covers less than dd_synth_keypoint_min_area gets a box and no
 * keypoints (all v = 0).
 */
#ifndef DD_DATA_SYNTH_RENDER_H
#define DD_DATA_SYNTH_RENDER_H

#include <cairo.h>
#include <stdbool.h>

#include "data/image.h"
#include "data/synth_scene.h"

/* The fewest frame pixels a person must cover to have keypoints labelled:
 * 1/300 of the frame, COCO's small-object bound (32 x 32 pixels, here
 * taken relative to a 640 x 480 image) at the frame's size. pycocotools
 * scores keypoints with no "small" range, as COCO's people that small
 * mostly have none; below it, at these frame sizes, a person is a sliver
 * at the frame's edge or a few pixels tall, and OKS would want their
 * joints within a fraction of a pixel. */
double dd_synth_keypoint_min_area (const dd_scene *scene);

/* Padding is zeroed: labels compare with memcmp. */
typedef struct dd_person_label {
  int person;                   /* index into the scene's people */
  float keypoints[3 * DD_KP_COUNT];     /* x, y, v as COCO */
  double bbox[4];               /* x, y, w, h */
  double area;
  int num_keypoints;            /* keypoints with v > 0 */
} dd_person_label;

typedef struct dd_frame_truth {
  int n;                        /* people at least partly in the frame */
  dd_person_label labels[DD_SCENE_MAX_PEOPLE];
  dd_figure figures[DD_SCENE_MAX_PEOPLE];       /* every person, as posed */
} dd_frame_truth;

typedef struct dd_render_options {
  bool raw;                     /* leave out the camera effects */
} dd_render_options;

/* Draws the scene at t seconds into a new RGB24 surface of the scene's
 * size and fills `truth`; `frame` (the frame's index in its clip, 0 for a
 * still) picks the sensor noise. opt may be NULL. */
cairo_surface_t *dd_synth_render (const dd_scene *scene, double t,
    uint64_t frame, const dd_render_options *opt, dd_frame_truth *truth);

/* Which part of whom is on top at each point of frame `t`: the shapes of
 * dd_synth_render in its drawing order, filled flat without anti-aliasing
 * on an RGB24 surface `zoom` times the frame's size (zoom it to sample the
 * shapes finely). A pixel holds 0 for the background, (person + 1) << 8 |
 * (body part + 1) for a person, 0xff0000 | (occluder + 1) for an occluder.
 * Fills `truth` as dd_synth_render does. */
cairo_surface_t *dd_synth_render_parts (const dd_scene *scene, double t,
    int zoom, dd_frame_truth *truth);

#define DD_PART_MAP_OCCLUDER 0xff0000u

/* The person's silhouette in the frame (alpha 255: fully covered), its
 * body parts filled as drawn. */
cairo_surface_t *dd_synth_person_mask (const dd_scene *scene,
    const dd_figure *fig);

/* The frame as a packed RGB8 image. */
dd_image *dd_synth_surface_to_image (cairo_surface_t *surface);

#endif
