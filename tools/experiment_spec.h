/* What `ddistill distill --spec` runs: one data distillation experiment,
 * read from a JSON file or a built-in name (bench/distill-experiments/:
 * test, quick, small-a ... small-e).
 *
 *   { "name", "description",
 *     "benchmark": a `ddistill synth` spec (test, quick, small or a file),
 *     "model": a network preset or file, "size": input side (0: the
 *     network's), "seed": of weights, mixing and augmentation,
 *     "labeled": the manually labelled split,
 *     "unlabeled": the split whose images the teacher labels (a labelled
 *       split's labels are dropped and kept only as the truth the
 *       automatic labels are measured against; a video split's frames are
 *       sampled first, "video_frames" per clip, 0: all),
 *     "val": the split every model is evaluated on,
 *     "teacher": { "iterations", "batch", "lr", "seed" }: supervised
 *       training,
 *     "student": { "iterations", "batch", "lr", "ratio" or "rho", "seed" }:
 *       training on the union, from the initial weights; a phase's "seed"
 *       (default: the experiment's) seeds its runs and the baselines on its
 *       schedule, so another student seed trains the student and its
 *       supervised twin again on the same teacher's labels,
 *     "transforms": the teacher's test-time transforms (distill/tta_spec.h,
 *       relative to the model's input: tta_predictor.h),
 *     "ensemble": the rules (distill/ensemble.h's key=value list),
 *     "rounds": how often the student becomes the next teacher (default 1),
 *     "curve_points": checkpoints evaluated along each training run (AP
 *       against iterations; 0: only the end; at most the iterations of
 *       the teacher and of the student),
 *     "rho_sweep": [rho, ...]: more students, one per 1:rho mix,
 *     "baselines": [ { "name", "labeled": split, "schedule": "teacher" or
 *       "student" } ]: more supervised runs for the table }
 *
 * Every field but name, benchmark, labeled, unlabeled, val, teacher and
 * student has a default; an unknown field is an error (a misspelt one
 * would otherwise be ignored).
 */
#ifndef DD_TOOLS_EXPERIMENT_SPEC_H
#define DD_TOOLS_EXPERIMENT_SPEC_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

typedef struct dd_phase {
  int64_t iterations;
  int batch;
  double lr;
  double ratio;                 /* student: manual share of a minibatch */
  double rho;                   /* student: > 0, manual : automatic = 1 : rho */
  uint64_t seed;                /* of the weights, mixing and augmentation */
} dd_phase;

typedef struct dd_baseline {
  char *name;
  char *labeled;
  gboolean student_schedule;    /* the student's (longer) schedule */
} dd_baseline;

typedef struct dd_experiment {
  char *name, *description;
  char *source;                 /* the file, or "built-in NAME" */
  char *benchmark;
  char *model;
  int size;
  uint64_t seed;
  char *labeled, *unlabeled, *val;
  int video_frames;
  dd_phase teacher, student;
  char *transforms;
  char *ensemble;
  int rounds;
  int curve_points;
  int n_rho_sweep;
  double *rho_sweep;
  int n_baselines;
  dd_baseline *baselines;
  JsonNode *json;               /* as read, for the results */
} dd_experiment;

#define DD_EXPERIMENT_ERROR (dd_experiment_error_quark ())
GQuark dd_experiment_error_quark (void);

/* A built-in name or the path of a spec file. Errors name the file and the
 * field. */
dd_experiment *dd_experiment_load (const char *name_or_path, GError **error);
void dd_experiment_free (dd_experiment *e);

/* The built-in names, NULL-terminated. */
extern const char *const dd_experiment_builtin[];

#endif
