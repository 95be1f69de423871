/* The teacher's ensembled detections of every image of a corpus, through
 * the elements:
 *
 *   dddatasetsrc (the corpus once, in order) ─▶ ddlabel (letterbox, the
 *   test-time transforms' fan-out, ddinfer, ddensemble) ─▶ appsink
 *
 * each frame's DdDetectionsMeta handed on with the frame's index in the
 * corpus (found by its DdFrameMeta: the image file's URI). */
#ifndef DD_TOOLS_LABEL_PIPELINE_H
#define DD_TOOLS_LABEL_PIPELINE_H

#include <glib.h>

#include "data/coco.h"
#include "predict_set.h"

typedef struct dd_label_pipeline {
  const char *corpus_json;      /* the corpus, as dddatasetsrc reads it */
  const char *images;           /* its image folder */
  const dd_coco_dataset *corpus;        /* the same, read (image_dir set) */
  const char *teacher;          /* a model folder */
  const char *transforms, *rules, *device;
} dd_label_pipeline;

/* Runs the pipeline to EOS, calling fn for each image (in the order the
 * frames come); *passes gets ddlabel's passes (free it). Every image must
 * come exactly once; errors name the element or the image. */
gboolean dd_label_pipeline_run (const dd_label_pipeline *p, dd_predict_set_fn fn,
    void *user, char **passes, GError **error);

#endif
