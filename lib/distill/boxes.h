/* Box ensembling primitives, after Detectron's detectron/utils/boxes.py
 * (nms, box_voting, soft_nms) and Solovyev et al.'s Weighted Boxes Fusion
 * (arXiv:1910.13302), on candidates gathered from every transform's pass.
 *
 * Boxes are corners (x1, y1, x2, y2) in continuous pixel coordinates, so a
 * box's width is x2 - x1 (Detectron's "+ 1" belongs to integer pixel
 * indices and is not used here). Every function works class by class: a box
 * only ever suppresses, votes with or fuses with boxes of its own class.
 * Arithmetic is in double, so a lone box or identical boxes come back
 * exactly as they went in.
 */
#ifndef DD_DISTILL_BOXES_H
#define DD_DISTILL_BOXES_H

#include <glib.h>

typedef struct dd_box_candidate {
  float box[4];                 /* x1, y1, x2, y2 */
  float score;
  int class_index;
  int pass;                     /* the transform (pass) it came from */
  int source;                   /* the caller's index of the detection behind it */
} dd_box_candidate;

/* Intersection over union; 0 when the union is empty. */
double dd_box_iou (const float a[4], const float b[4]);

/* `order` becomes the candidates' indices by decreasing score (ties: lower
 * index first). */
void dd_box_order_by_score (const dd_box_candidate *c, int n, int *order);

/* Greedy NMS, as Detectron's nms: repeatedly keep the highest-scoring box
 * left and drop every box of its class with IoU >= iou_threshold with it.
 * Writes the kept indices to `keep` (room for n), by decreasing score, and
 * returns how many. */
int dd_box_nms (const dd_box_candidate *c, int n, double iou_threshold, int *keep);

/* How box voting rescores a box (Detectron's box_voting scoring_method).
 * With the scores s_i of the boxes that vote (IoU >= threshold with it,
 * itself included) and their IoUs o_i with it:
 *   ID               keeps the box's own score (the paper's choice);
 *   TEMP_AVG         mean of s_i^(1/b) / (s_i^(1/b) + (1 - s_i)^(1/b));
 *   AVG              mean of s_i;
 *   IOU_AVG          sum o_i s_i / sum o_i;
 *   GENERALIZED_AVG  (mean of s_i^b)^(1/b);
 *   QUASI_SUM        sum s_i / n^b. */
typedef enum {
  DD_VOTE_ID,
  DD_VOTE_TEMP_AVG,
  DD_VOTE_AVG,
  DD_VOTE_IOU_AVG,
  DD_VOTE_GENERALIZED_AVG,
  DD_VOTE_QUASI_SUM,
} dd_vote_scoring;

/* Box voting: each of the `n_top` boxes (the survivors of a suppression)
 * becomes the score-weighted mean of the boxes of `all` (the candidates
 * before suppression) of its class with IoU >= iou_threshold with it, and is
 * rescored by `scoring` with parameter `beta`. A box whose voters all score
 * 0 keeps its coordinates. */
void dd_box_vote (dd_box_candidate *top, int n_top, const dd_box_candidate *all,
    int n_all, double iou_threshold, dd_vote_scoring scoring, double beta);

typedef enum {
  DD_SOFT_NMS_LINEAR,           /* score *= 1 - IoU where IoU > iou_threshold */
  DD_SOFT_NMS_GAUSSIAN,         /* score *= exp(-IoU^2 / sigma), at any overlap */
} dd_soft_nms_method;

/* Soft-NMS (Bodla et al., arXiv:1704.04503) as Detectron's soft_nms: take
 * the highest-scoring box left, decay the scores of the boxes of its class
 * that overlap it, drop those that fall below min_score, repeat. Reorders
 * `c` in place: the first (returned) count candidates are the kept ones, in
 * the order they were taken, with their decayed scores. */
int dd_soft_nms (dd_box_candidate *c, int n, dd_soft_nms_method method,
    double sigma, double iou_threshold, double min_score);

/* Weighted Boxes Fusion with the "avg" confidence: boxes by decreasing
 * score join the fused box of their class they overlap most, if that IoU
 * exceeds iou_threshold, or start a new one; a fused box is the
 * score-weighted mean of its members, scored by their mean score times
 * min(members, n_passes) / n_passes (so a box that only some passes saw
 * loses confidence). Boxes scoring below skip_score take no part. Writes
 * the fused boxes to `out` (room for n), each with the class, pass and
 * source of its highest-scoring member, and returns how many. */
int dd_wbf (const dd_box_candidate *c, int n, int n_passes, double iou_threshold,
    double skip_score, dd_box_candidate *out);

#endif
