/* One frame's hard labels from the teacher's passes over its transforms:
 * every pass's detections mapped back to the frame, then boxes, keypoints
 * and classes each ensembled by the rule chosen in dd_ensemble_params.
 *
 *   boxes      identity      the untransformed pass's boxes (the paper's
 *                            keypoint setting);
 *              nms           the union over passes, per-class NMS, then box
 *                            voting when `vote` (the paper's box setting);
 *              soft-linear,  the union, soft-NMS, then voting when `vote`;
 *              soft-gaussian
 *              wbf           the union, Weighted Boxes Fusion;
 *              maps          every head of every pass mapped back and
 *                            averaged, then decoded (lib/model/decode.h):
 *                            CenterNet's own test-time augmentation;
 *   keypoints  own           each box keeps its own pass's keypoints;
 *              average       every pass's keypoint maps mapped back and
 *                            averaged, read inside each box with the
 *                            decoder's rule (heatmap_keypoints.h): the
 *                            paper's heatmap averaging for this detector;
 *              argmax        the same averaged heatmaps read with the paper's
 *                            Mask R-CNN rule, the argmax inside the box;
 *   classes    own           each box keeps its class and score;
 *              average       the passes' centre heatmaps averaged on the frame
 *                            grid; at each box's centre their argmax is its
 *                            class and the mean its score.
 *
 * The frame grid of averaged maps is the identity pass's: map-reading rules
 * need that pass, and so does boxes=identity.
 */
#ifndef DD_DISTILL_ENSEMBLE_H
#define DD_DISTILL_ENSEMBLE_H

#include <glib.h>

#include "distill/boxes.h"
#include "distill/flip_map.h"
#include "distill/tta_transform.h"
#include "model/detection.h"

typedef enum {
  DD_ENSEMBLE_BOXES_IDENTITY,
  DD_ENSEMBLE_BOXES_NMS,
  DD_ENSEMBLE_BOXES_SOFT_LINEAR,
  DD_ENSEMBLE_BOXES_SOFT_GAUSSIAN,
  DD_ENSEMBLE_BOXES_WBF,
  DD_ENSEMBLE_BOXES_MAPS,
} dd_ensemble_boxes;

typedef enum {
  DD_ENSEMBLE_KEYPOINTS_OWN,
  DD_ENSEMBLE_KEYPOINTS_AVERAGE,
  DD_ENSEMBLE_KEYPOINTS_ARGMAX,
} dd_ensemble_keypoints;

typedef enum {
  DD_ENSEMBLE_CLASSES_OWN,
  DD_ENSEMBLE_CLASSES_AVERAGE,
} dd_ensemble_classes;

typedef struct dd_ensemble_params {
  dd_ensemble_boxes boxes;
  dd_ensemble_keypoints keypoints;
  dd_ensemble_classes classes;
  double nms_iou;               /* NMS drops IoU >= this (Detectron TEST.NMS, 0.5) */
  gboolean vote;                /* box voting after nms and soft-NMS */
  double vote_iou;              /* voters have IoU >= this (0.8) */
  dd_vote_scoring vote_scoring; /* ID: the survivor keeps its score */
  double vote_beta;             /* TEMP_AVG, GENERALIZED_AVG, QUASI_SUM (1.0) */
  double soft_sigma;            /* gaussian soft-NMS (0.5) */
  double soft_iou;              /* linear soft-NMS decays IoU > this (0.5) */
  double soft_min_score;        /* soft-NMS drops scores below this (1e-4) */
  double wbf_iou;               /* WBF joins IoU > this (0.55) */
  double wbf_skip_score;        /* WBF ignores scores below this (0) */
  /* Reading maps, as decode.h's dd_decode_params (its defaults): */
  int decode_max_detections;    /* boxes=maps: top-K (100) */
  double decode_min_score;      /* boxes=maps: centre peaks below are dropped (0) */
  double keypoint_threshold;    /* keypoint peaks below do not snap (0.1) */
} dd_ensemble_params;

/* The paper's keypoint setting: boxes of the untransformed pass, averaged
 * heatmaps, own classes; the other fields at the defaults noted above. */
void dd_ensemble_params_init (dd_ensemble_params *p);

/* Sets fields from "key=value" items separated by commas, on top of what
 * `p` holds: boxes=identity|nms|soft-linear|soft-gaussian|wbf|maps,
 * keypoints=own|average|argmax, classes=own|average, vote=on|off,
 * scoring=id|temp-avg|avg|iou-avg|generalized-avg|quasi-sum, and the
 * numbers nms-iou, vote-iou, beta, sigma, soft-iou, soft-min-score, wbf-iou,
 * wbf-skip, max-detections, min-score, keypoint-threshold. Fails naming the
 * item and the values it accepts; `p` is then unchanged. */
gboolean dd_ensemble_params_parse (dd_ensemble_params *p, const char *text,
    GError **error);
/* Every field as "key=value,...", which _parse reads back: for provenance. */
char *dd_ensemble_params_to_string (const dd_ensemble_params *p);

/* The heads (head_maps.h bit set) the chosen rules read: what each pass
 * must carry in dd_pass.maps. */
unsigned dd_ensemble_heads_needed (const dd_ensemble_params *p);

/* One pass: the transform, the detections decoded from the transformed
 * image (in its pixels), and its head maps (NULL when the rules read none). */
typedef struct dd_pass {
  dd_tta_transform transform;
  const dd_detection *detections;
  int n_detections;
  const dd_head_maps *maps;
} dd_pass;

/* Holds the rules and the buffers reused from frame to frame. */
typedef struct dd_ensembler dd_ensembler;

/* `fm` gives the network's flip pairs (copied). */
dd_ensembler *dd_ensembler_new (const dd_ensemble_params *p, const dd_flip_map *fm);
void dd_ensembler_free (dd_ensembler *e);

/* Ensembles the passes of one frame and appends the labels (dd_detection,
 * in frame pixels) to `out`: with boxes=identity in that pass's order,
 * otherwise by decreasing score of the box rule. Fails, appending nothing,
 * when the passes disagree on the frame size, when a rule needs the
 * identity pass or maps that are missing, or when the maps do not fit. */
gboolean dd_ensembler_run (dd_ensembler *e, const dd_pass *passes, int n_passes,
    GArray *out, GError **error);

#endif
