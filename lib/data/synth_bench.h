/* Generating a benchmark tree from a spec (`ddistill synth`).
 *
 * The tree, under DIR:
 *   spec.json                       the spec, with the seed it was made with
 *                                   and the generator's version
 *   <split>/images/NNNNNN.jpg       stills of an image split
 *   <split>.json                    COCO: images and people
 *   unlabeled-120.json              (a hidden_truth split) images only ...
 *   hidden/unlabeled-120.json       ... and their truth, kept apart
 *   labeled-115.json                (a union) the images of its parts, in place
 *   video-180/clip-NNN.mp4|.mkv     clips of a video split
 *   video-180/clip-NNN.json         each clip's sidecar: every frame's truth
 *   video-180.json                  all frames, without labels
 *   hidden/video-180.json           all frames' truth
 * Every file_name is relative to DIR, in every file (so a union needs no
 * copies); a video frame's file_name and source_uri are its clip's file and
 * its timestamp_ns is the frame's presentation time in the clip.
 *
 * Randomness: still i of a split comes from the PCG32 stream keyed by
 * (split name, i), clip c likewise, so any image or clip can be made again
 * alone, bit for bit, and splits never share images.
 */
#ifndef DD_DATA_SYNTH_BENCH_H
#define DD_DATA_SYNTH_BENCH_H

#include "data/coco.h"
#include "data/image.h"
#include "data/synth_render.h"
#include "data/synth_spec.h"

/* Called after each image or frame. */
typedef void (*dd_bench_progress) (const char *split, int done, int total,
    void *user);

/* The scene of still `index` of an image split, or of clip `clip` of a
 * video split. */
void dd_bench_still_scene (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int index, dd_scene *scene);
void dd_bench_clip_scene (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int clip, dd_scene *scene);

/* Still `index` of an image split as it is stored, and its truth. */
dd_image *dd_bench_render_still (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int index, dd_frame_truth *truth);

/* Names and ids, as the tree uses them. */
char *dd_bench_image_name (const dd_spec *spec, const dd_split *split,
    int index);
char *dd_bench_clip_name (const dd_split *split, int clip);
int64_t dd_bench_image_id (const dd_spec *spec, const dd_split *split,
    int index);
int64_t dd_bench_frame_id (const dd_spec *spec, const dd_split *split,
    int clip, int frame);

/* The person category: COCO's 17 keypoints and skeleton. */
void dd_bench_add_person_category (dd_coco_dataset *ds);
/* Adds the people of `truth` as annotations of image `image_id`. */
void dd_bench_add_truth (dd_coco_dataset *ds, int64_t image_id,
    const dd_frame_truth *truth);

/* What the generator draws and labels, as a number each tree records in
 * its spec.json. Raise it with every change that alters a generated image
 * or label: a tree made before is then refused (dd_bench_check_tree)
 * rather than mixed with runs that expect the new one. Trees from before
 * versions were recorded have none. */
#define DD_SYNTH_GENERATOR_VERSION 1

/* Checks that the tree under `dir` was made by this generator; the error
 * names DIR/spec.json, the version it records and this one. */
gboolean dd_bench_check_tree (const char *dir, GError **error);

/* Checks that the tree under `dir` was made from `spec` with `seed`: its
 * spec.json records them (another spec's or seed's tree is an error naming
 * the difference). */
gboolean dd_bench_check_spec (const dd_spec *spec, const char *dir, uint64_t seed,
    GError **error);

/* Writes the whole tree under `dir` (created if missing), spec.json last:
 * a tree without it is unfinished. A `dir` holding another generator's
 * tree, or a tree of another spec or seed, is refused; one of the same
 * spec and seed is made again. */
gboolean dd_bench_generate (const dd_spec *spec, const char *dir,
    uint64_t seed, dd_bench_progress progress, void *user, GError **error);

#endif
