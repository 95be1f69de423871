/* The labeling pipeline's work done by a plain sequential loop over the
 * library, one frame at a time: decode the sampled frame (the elements'
 * private decoder, elements/file_decoder.h, seeking as ddsampler does to
 * the frames elements/sample_plan.h picks: the same frames), run the
 * teacher's passes and ensemble them (tools/tta_predictor.h), write the
 * frame's JPEG and hand its detections to the labeler (tools/label_set.h),
 * which calibrates and writes the COCO file at the end. Each stage is
 * timed around its calls, in wall time and process CPU time. */
#ifndef DD_BENCH_LABEL_LOOP_H
#define DD_BENCH_LABEL_LOOP_H

#include <glib.h>

#include "stage_clock.h"

typedef struct dd_loop_job {
  char **videos;                /* paths, in order */
  const char *model, *transforms, *rules_text, *labeled, *out_dir;
  guint count;                  /* frames per video, drawn as ddsampler mode=random */
  guint64 seed;
} dd_loop_job;

/* Labels the videos into out_dir/labels.json and out_dir/images/. The
 * transforms, inference and ensembling happen in one library call
 * (dd_tta_predictor_run) and are charged to DD_STAGE_INFERENCE. */
gboolean dd_label_loop_run (const dd_loop_job *job, dd_stage_times *times,
    guint *frames, GError **error);

#endif
