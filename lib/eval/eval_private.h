/* The parts of the evaluator, one file each: parameters, overlaps (box IoU,
 * OKS), per-image matching, accumulation, and the stable ranking by score
 * they share. Not part of the public interface. */
#ifndef DD_EVAL_EVAL_PRIVATE_H
#define DD_EVAL_EVAL_PRIVATE_H

#include <stdint.h>

#include "eval/eval.h"

/* What matching makes of one detection at one (area range, IoU threshold):
 * a true positive, a false positive, or ignored (counts as neither). */
enum {
  DD_EVAL_FP = 0,
  DD_EVAL_TP = 1,
  DD_EVAL_IGNORED = 2,
};

/* One (image, category): its ground truth in file order, its detections
 * ranked by score and cut to the largest maxDets. */
typedef struct dd_eval_cell {
  const dd_coco_annotation **gts;
  int n_gts;
  const dd_coco_annotation **dts;
  int n_dts;
} dd_eval_cell;

/* Buffers reused from cell to cell, so that evaluation allocates per
 * category and never per pair. */
typedef struct dd_eval_scratch {
  double *overlaps;             /* n_dts x n_gts */
  gsize overlaps_size;
  int *gt_order;                /* regular ground truth first, then ignored */
  uint8_t *gt_ignored, *gt_taken, *dt_outside;
  gsize gt_size, dt_size;
  int *candidates;              /* per detection, the ground truth it may match */
  gsize candidates_size;
  int *n_candidates;
  double *dt_extents;           /* per detection, x0 y0 x1 y1 of its keypoints */
  double *curve_pr, *curve_rc;  /* accumulation, one per kept detection */
  uint32_t *kept;
  gsize curve_size;
} dd_eval_scratch;

void dd_eval_scratch_reserve_cell (dd_eval_scratch *s, int n_dts, int n_gts);
void dd_eval_scratch_reserve_curve (dd_eval_scratch *s, gsize n);
void dd_eval_scratch_clear (dd_eval_scratch *s);

/* Overlaps [d * n_gts + g] of the cell's detections with its ground truth,
 * as pycocotools' maskUtils.iou on boxes and COCOeval.computeOks. An OKS
 * that is certainly below 0.5, the lowest threshold, is left at 0: it can
 * match nothing either way, and most pairs of people in an image are far
 * apart. */
void dd_eval_box_iou (const dd_eval_cell *cell, double *overlaps);
void dd_eval_oks (const dd_eval_cell *cell, const double *sigmas, dd_eval_scratch *s);

/* COCOeval.evaluateImg for every area range at once: writes
 * status[(d * n_areas + a) * DD_EVAL_N_IOU + t] for the cell's detections
 * and adds each range's count of regular (not ignored) ground truth to
 * n_regular[a]. */
void dd_eval_match (const dd_eval_cell *cell, const double *overlaps,
    const dd_eval_params *p, dd_eval_scratch *s, uint8_t *status, int *n_regular);

/* One category's detections, in image order then rank order within the
 * image: score, rank in the image, and match status as dd_eval_match. */
typedef struct dd_eval_ranked {
  guint n;
  double *scores;
  int *ranks;
  uint8_t *status;
  int n_regular[DD_EVAL_MAX_AREAS];
} dd_eval_ranked;

/* Positions in r->precision [T][R][K][A][M] and r->recall [T][K][A][M]
 * (eval.h): accumulate() writes them, summarize() reads them. */
static inline gsize
dd_eval_precision_at (const dd_eval_result *r, int t, int ri, int k, int a, int m)
{
  const dd_eval_params *p = &r->params;
  return ((((gsize) t * DD_EVAL_N_RECALL + ri) * r->n_categories + k) * p->n_areas + a)
      * p->n_max_dets + m;
}

static inline gsize
dd_eval_recall_at (const dd_eval_result *r, int t, int k, int a, int m)
{
  const dd_eval_params *p = &r->params;
  return (((gsize) t * r->n_categories + k) * p->n_areas + a) * p->n_max_dets + m;
}

/* numpy's np.spacing(1), which pycocotools adds to keep a zero area (OKS)
 * or a zero count (precision) from dividing by zero. */
#define DD_EVAL_SPACING_1 2.220446049250313e-16

/* COCOeval.accumulate for category k: fills its entries of r->precision and
 * r->recall (left at -1 for an area range with no regular ground truth). */
void dd_eval_accumulate (dd_eval_result *r, int k, const dd_eval_ranked *dets,
    dd_eval_scratch *s);

/* Sorts idx[0..n) by score[idx] from high to low, ties in their present
 * order: numpy's argsort(-score, kind='mergesort'). tmp holds n entries. */
void dd_eval_rank_by_score (uint32_t *idx, guint n, const double *score, uint32_t *tmp);

#endif
