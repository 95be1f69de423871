#include "distill/ensemble.h"

#include "distill/class_average.h"
#include "distill/distill_error.h"
#include "distill/head_maps.h"
#include "distill/heatmap_keypoints.h"
#include "distill/map_average.h"
#include "model/decode.h"

struct dd_ensembler {
  dd_ensemble_params params;
  dd_flip_map flip;
  unsigned heads;               /* what the map rules read */
  GArray *dets;                 /* dd_detection: every pass's, in frame pixels */
  GArray *cands;                /* dd_box_candidate over `dets` */
  GArray *boxes;                /* dd_box_candidate: the box rule's result */
  GArray *keep;                 /* int */
  GArray *labels;               /* dd_detection: the box rule's, in frame pixels */
  dd_map_average average;       /* on the grid of the last frame's identity pass */
  gboolean have_average;
  dd_keypoint_peaks peaks;      /* of the averaged keypoint heatmaps */
};

dd_ensembler *
dd_ensembler_new (const dd_ensemble_params *p, const dd_flip_map *fm)
{
  dd_ensembler *e = g_new0 (dd_ensembler, 1);
  e->params = *p;
  e->flip = *fm;
  e->heads = dd_ensemble_heads_needed (p);
  e->dets = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  e->cands = g_array_new (FALSE, FALSE, sizeof (dd_box_candidate));
  e->boxes = g_array_new (FALSE, FALSE, sizeof (dd_box_candidate));
  e->keep = g_array_new (FALSE, FALSE, sizeof (int));
  e->labels = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  dd_keypoint_peaks_init (&e->peaks);
  return e;
}

void
dd_ensembler_free (dd_ensembler *e)
{
  if (e == NULL)
    return;
  g_array_unref (e->dets);
  g_array_unref (e->cands);
  g_array_unref (e->boxes);
  g_array_unref (e->keep);
  g_array_unref (e->labels);
  dd_keypoint_peaks_clear (&e->peaks);
  if (e->have_average)
    dd_map_average_clear (&e->average);
  g_free (e);
}

/* The identity pass, or -1; checks that all passes share one frame and
 * that their detections' keypoints fit the flip pairs. */
static gboolean
check_passes (const dd_pass *passes, int n_passes, const dd_flip_map *fm,
    unsigned heads, gboolean need_identity, int *identity, GError **error)
{
  *identity = -1;
  if (n_passes < 1) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "no passes to ensemble: a frame needs at least its untransformed pass");
    return FALSE;
  }
  const dd_tta_transform *t0 = &passes[0].transform;
  for (int i = 0; i < n_passes; i++) {
    const dd_tta_transform *t = &passes[i].transform;
    if (t->frame_width != t0->frame_width || t->frame_height != t0->frame_height) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
          "pass %d transforms a %dx%d frame, pass 0 a %dx%d one: the passes of "
          "one frame must all come from that frame", i, t->frame_width,
          t->frame_height, t0->frame_width, t0->frame_height);
      return FALSE;
    }
    if (heads && passes[i].maps == NULL) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
          "pass %d carries no head maps, but the ensemble's keypoint or class "
          "rule averages them: keep the maps in every pass, or choose "
          "keypoints=own,classes=own", i);
      return FALSE;
    }
    for (int j = 0; j < passes[i].n_detections; j++) {
      int nk = passes[i].detections[j].n_keypoints;
      if (nk < 0 || nk > DD_MAX_KEYPOINTS || (t->flip && nk && nk != fm->n_keypoints)) {
        g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
            "pass %d, detection %d has %d keypoints, but the network's flip pairs "
            "cover %d (at most %d): all passes must come from one network", i, j,
            nk, fm->n_keypoints, DD_MAX_KEYPOINTS);
        return FALSE;
      }
    }
    if (*identity < 0 && dd_tta_is_identity (t))
      *identity = i;
  }
  if (need_identity && *identity < 0) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "none of the %d passes is the untransformed frame (%dx%d, unflipped), "
        "which boxes=identity and the map rules need: resolve the transforms "
        "with dd_tta_spec_resolve, which always includes it", n_passes,
        t0->frame_width, t0->frame_height);
    return FALSE;
  }
  return TRUE;
}

/* Every pass's detections in frame pixels, and a candidate for each. */
static void
gather (dd_ensembler *e, const dd_pass *passes, int n_passes)
{
  g_array_set_size (e->dets, 0);
  g_array_set_size (e->cands, 0);
  for (int p = 0; p < n_passes; p++) {
    for (int i = 0; i < passes[p].n_detections; i++) {
      dd_detection d;
      dd_tta_detection_inverse (&passes[p].transform, &e->flip,
          &passes[p].detections[i], &d);
      dd_box_candidate c = {
        .box = { d.box[0], d.box[1], d.box[2], d.box[3] },
        .score = d.score, .class_index = d.class_index,
        .pass = p, .source = (int) e->dets->len,
      };
      g_array_append_val (e->dets, d);
      g_array_append_val (e->cands, c);
    }
  }
}

/* The box rule over the union of candidates (or the identity pass's). */
static void
ensemble_candidates (dd_ensembler *e, int identity, int n_passes)
{
  const dd_ensemble_params *p = &e->params;
  dd_box_candidate *c = (dd_box_candidate *) e->cands->data;
  int n = (int) e->cands->len;
  g_array_set_size (e->boxes, n);
  dd_box_candidate *out = (dd_box_candidate *) e->boxes->data;
  int n_out = 0;
  switch (p->boxes) {
    case DD_ENSEMBLE_BOXES_IDENTITY:
      for (int i = 0; i < n; i++)
        if (c[i].pass == identity)
          out[n_out++] = c[i];
      break;
    case DD_ENSEMBLE_BOXES_NMS:
      g_array_set_size (e->keep, n);
      n_out = dd_box_nms (c, n, p->nms_iou, (int *) e->keep->data);
      for (int i = 0; i < n_out; i++)
        out[i] = c[g_array_index (e->keep, int, i)];
      break;
    case DD_ENSEMBLE_BOXES_SOFT_LINEAR:
    case DD_ENSEMBLE_BOXES_SOFT_GAUSSIAN:
      for (int i = 0; i < n; i++)
        out[i] = c[i];
      n_out = dd_soft_nms (out, n, p->boxes == DD_ENSEMBLE_BOXES_SOFT_GAUSSIAN
          ? DD_SOFT_NMS_GAUSSIAN : DD_SOFT_NMS_LINEAR, p->soft_sigma, p->soft_iou,
          p->soft_min_score);
      break;
    case DD_ENSEMBLE_BOXES_WBF:
      n_out = dd_wbf (c, n, n_passes, p->wbf_iou, p->wbf_skip_score, out);
      break;
    case DD_ENSEMBLE_BOXES_MAPS:
      break;                    /* decoded from the averaged maps instead */
  }
  g_array_set_size (e->boxes, n_out);
  gboolean suppressed = p->boxes == DD_ENSEMBLE_BOXES_NMS
      || p->boxes == DD_ENSEMBLE_BOXES_SOFT_LINEAR
      || p->boxes == DD_ENSEMBLE_BOXES_SOFT_GAUSSIAN;
  if (suppressed && p->vote)
    dd_box_vote (out, n_out, c, n, p->vote_iou, p->vote_scoring, p->vote_beta);
  /* Each result is the detection behind it, with the rule's box and score. */
  g_array_set_size (e->labels, n_out);
  for (int i = 0; i < n_out; i++) {
    dd_detection *d = &g_array_index (e->labels, dd_detection, i);
    *d = g_array_index (e->dets, dd_detection, out[i].source);
    for (int k = 0; k < 4; k++)
      d->box[k] = out[i].box[k];
    d->score = out[i].score;
  }
}

/* boxes=maps: the averaged maps decoded as the model decodes its own. */
static gboolean
decode_mean (dd_ensembler *e, const dd_head_maps *mean, GError **error)
{
  const dd_ensemble_params *p = &e->params;
  dd_decode_params dp;
  dd_decode_params_defaults (&dp);
  dp.max_detections = p->decode_max_detections;
  dp.min_score = (float) p->decode_min_score;
  dp.keypoint_threshold = (float) p->keypoint_threshold;
  g_array_set_size (e->labels, MAX (dp.max_detections, 0));
  int n = dd_decode (mean, &dp, (dd_detection *) e->labels->data);
  if (n < 0) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "decoding the averaged maps ran out of memory (%dx%d maps, %d classes)",
        mean->w, mean->h, mean->n_classes);
    return FALSE;
  }
  g_array_set_size (e->labels, n);
  return TRUE;
}

/* The mean maps of the passes, on the identity pass's grid. */
static const dd_head_maps *
average_maps (dd_ensembler *e, const dd_pass *passes, int n_passes, int identity,
    GError **error)
{
  const dd_head_maps *grid = passes[identity].maps;
  dd_head_maps *cur = &e->average.mean;
  if (e->have_average && (cur->h != grid->h || cur->w != grid->w
          || cur->stride != grid->stride || cur->n_classes != grid->n_classes
          || cur->n_keypoints != grid->n_keypoints)) {
    dd_map_average_clear (&e->average);
    e->have_average = FALSE;
  }
  if (!e->have_average) {
    dd_map_average_init (&e->average, grid, e->heads);
    e->have_average = TRUE;
  }
  dd_map_average_reset (&e->average);
  for (int p = 0; p < n_passes; p++) {
    if (!dd_map_average_add (&e->average, &passes[p].transform, &e->flip,
            passes[p].maps, error)) {
      g_prefix_error (error, "pass %d: ", p);
      return NULL;
    }
  }
  return dd_map_average_finish (&e->average);
}

gboolean
dd_ensembler_run (dd_ensembler *e, const dd_pass *passes, int n_passes,
    GArray *out, GError **error)
{
  const dd_ensemble_params *p = &e->params;
  int identity;
  gboolean need_identity = p->boxes == DD_ENSEMBLE_BOXES_IDENTITY || e->heads;
  if (!check_passes (passes, n_passes, &e->flip, e->heads, need_identity, &identity,
          error))
    return FALSE;
  const dd_head_maps *mean = NULL;
  if (e->heads && (mean = average_maps (e, passes, n_passes, identity, error)) == NULL)
    return FALSE;
  if (p->boxes == DD_ENSEMBLE_BOXES_MAPS) {
    if (!decode_mean (e, mean, error))
      return FALSE;
  } else {
    gather (e, passes, n_passes);
    ensemble_candidates (e, identity, n_passes);
  }
  if (p->keypoints == DD_ENSEMBLE_KEYPOINTS_AVERAGE && mean->n_keypoints > 0)
    dd_keypoint_peaks_find (&e->peaks, mean, (float) p->keypoint_threshold);
  float probs[256];
  float *class_probs = mean && mean->n_classes > (int) G_N_ELEMENTS (probs)
      ? g_new (float, mean->n_classes) : probs;
  for (guint i = 0; i < e->labels->len; i++) {
    dd_detection d = g_array_index (e->labels, dd_detection, i);
    if (p->keypoints != DD_ENSEMBLE_KEYPOINTS_OWN) {
      d.n_keypoints = MIN (mean->n_keypoints, DD_MAX_KEYPOINTS);
      if (p->keypoints == DD_ENSEMBLE_KEYPOINTS_AVERAGE)
        dd_keypoints_snap_in_box (mean, &e->peaks, d.box, d.keypoints);
      else
        dd_keypoints_argmax_in_box (mean, d.box, d.keypoints);
    }
    if (p->classes == DD_ENSEMBLE_CLASSES_AVERAGE) {
      /* The frame's averaged heatmaps already are the mean over passes. */
      dd_class_probs_at_box (mean, d.box, class_probs);
      d.class_index = dd_class_average (class_probs, 1, mean->n_classes, class_probs);
      d.score = class_probs[d.class_index];
    }
    g_array_append_val (out, d);
  }
  if (class_probs != probs)
    g_free (class_probs);
  return TRUE;
}
