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

/* Samples `per_video` frames of each video in `videos` (0: every frame)
 * with `seed` into the dataset folder `out`; returns the path of its COCO
 * file (free it), NULL with an error from the pipeline. */
char *dd_video_frames_extract (const char *videos, int per_video, uint64_t seed,
    const char *out, GError **error);

#endif
