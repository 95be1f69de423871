/* Still frames of a folder of videos, through the elements:
 *
 *   ddcorpussrc ─▶ ddsampler (random frames per video) ─▶ videoconvert ─▶ dddatasetsink
 *
 * written as a COCO dataset of images without labels (each with its video
 * and timestamp), for a teacher to label. A finished folder is reused. */
#ifndef DD_TOOLS_VIDEO_FRAMES_H
#define DD_TOOLS_VIDEO_FRAMES_H

#include <glib.h>
#include <stdint.h>

#include "data/coco.h"

/* Samples `per_video` frames of each video in `videos` (0: every frame)
 * with `seed` into the dataset folder `out`; returns the path of its COCO
 * file (free it), NULL with an error from the pipeline. */
char *dd_video_frames_extract (const char *videos, int per_video, uint64_t seed,
    const char *out, GError **error);

/* The truth of sampled frames: for each image of `frames` (its video in
 * source_uri, its time in timestamp_ns), the annotations that `truth` (a
 * benchmark's hidden/<split>.json, whose source_uri are relative to the
 * benchmark folder) holds for the same video and time, under the frame's
 * id. Frames the truth does not know are an error naming them. */
dd_coco_dataset *dd_video_frames_truth (const dd_coco_dataset *frames,
    const dd_coco_dataset *truth, GError **error);

#endif
