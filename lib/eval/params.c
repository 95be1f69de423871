/* pycocotools' default Params. The IoU and recall thresholds are computed
 * as numpy.linspace computes them (start + i * step, the last set to stop),
 * so that they equal pycocotools' doubles bit for bit: 0.9 is
 * 0.8999999999999999 there, and a match at IoU 0.9 depends on it. */
#include "eval/eval_private.h"

static const double coco_sigmas[DD_COCO_PERSON_KEYPOINTS] = {
  .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89,
};

static void
linspace (double *out, int num, double start, double stop)
{
  double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; i++)
    out[i] = i * step + start;
  out[num - 1] = stop;
}

void
dd_eval_params_init (dd_eval_params *p, dd_eval_iou_type type)
{
  static const char *const box_labels[4] = { "all", "small", "medium", "large" };
  static const char *const kp_labels[3] = { "all", "medium", "large" };
  const double all[2] = { 0, 1e5 * 1e5 }, small[2] = { 0, 32 * 32 },
      medium[2] = { 32 * 32, 96 * 96 }, large[2] = { 96 * 96, 1e5 * 1e5 };
  const double *box_ranges[4] = { all, small, medium, large };
  const double *kp_ranges[3] = { all, medium, large };

  *p = (dd_eval_params) { .iou_type = type };
  linspace (p->iou_thrs, DD_EVAL_N_IOU, .5, .95);
  linspace (p->rec_thrs, DD_EVAL_N_RECALL, 0, 1);
  p->n_areas = type == DD_EVAL_BBOX ? 4 : 3;
  for (int a = 0; a < p->n_areas; a++) {
    const double *range = type == DD_EVAL_BBOX ? box_ranges[a] : kp_ranges[a];
    p->area_rng[a][0] = range[0];
    p->area_rng[a][1] = range[1];
    p->area_labels[a] = type == DD_EVAL_BBOX ? box_labels[a] : kp_labels[a];
  }
  if (type == DD_EVAL_BBOX) {
    p->n_max_dets = 3;
    p->max_dets[0] = 1;
    p->max_dets[1] = 10;
    p->max_dets[2] = 100;
  } else {
    p->n_max_dets = 1;
    p->max_dets[0] = 20;
  }
  for (int k = 0; k < DD_COCO_PERSON_KEYPOINTS; k++)
    p->sigmas[k] = coco_sigmas[k] / 10.0;
}
