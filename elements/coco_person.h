/* COCO's person category (17 keypoints and their skeleton): what
 * dddatasetsink writes and ddoverlay draws unless told otherwise. The
 * definitions are lib/data's (synthetic people use them); this file
 * passes them on because lib/data's synth_figure.h names its keypoint
 * enum dd_keypoint, as lib/model's detection.h names its keypoint struct,
 * so the two headers cannot meet in one source file. */
#ifndef DD_ELEMENTS_COCO_PERSON_H
#define DD_ELEMENTS_COCO_PERSON_H

#include "data/coco.h"

/* Adds the category (id 1, "person") to `ds`. */
void dd_coco_person_add_category (dd_coco_dataset *ds);

/* The skeleton's 1-based keypoint pairs, as COCO writes them; returns how
 * many. */
int dd_coco_person_skeleton (const int (**pairs)[2]);

#endif
