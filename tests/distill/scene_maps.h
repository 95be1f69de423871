/* Head maps of a made-up scene for the ensembling tests: people whose
 * centres, sizes and keypoints are known, drawn into every head the way a
 * well-trained detector would (detection.h's reading rules), so decoding
 * the maps gives them back. */
#ifndef DD_TESTS_DISTILL_SCENE_MAPS_H
#define DD_TESTS_DISTILL_SCENE_MAPS_H

#include "distill/head_maps.h"
#include "nn/rng.h"

#define SCENE_KEYPOINTS 17

typedef struct scene_person {
  int class_index;
  float score;
  float cx, cy, w, h;           /* centre and box size, frame pixels */
  float kx[SCENE_KEYPOINTS], ky[SCENE_KEYPOINTS], kscore[SCENE_KEYPOINTS];
} scene_person;

/* n people in a frame, one per cell of a cols x rows layout, so no two
 * boxes overlap; centres are kept away from map cell edges. */
void scene_people (dd_rng *rng, int frame_w, int frame_h, int stride, int cols,
    int rows, int n_classes, scene_person *out);

/* Draws them into `m` (all heads allocated): centre and keypoint heatmaps
 * are the maximum of each person's gaussian (sigma one cell) centred on the
 * point, the cell that holds it at the person's score; the regression heads
 * hold, at every cell, the values of the person whose centre is nearest:
 * offsets and keypoint offsets pointing at that person's centre and
 * keypoints, sizes its size. */
void scene_draw (dd_head_maps *m, const scene_person *people, int n);

#endif
