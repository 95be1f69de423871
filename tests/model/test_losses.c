/* The detector's losses: values on hand-computed cases, the normalisation,
 * CenterNet's clamp, and every gradient against finite differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/losses.h"
#include "nn/rng.h"

static void
test_focal_values (void)
{
  /* A positive at p = 0.8, a negative at p = 0.3 with target 0.5, a plain
   * negative at p = 0.1; one positive, so the sum is the loss. */
  const float pred[3] = { 0.8f, 0.3f, 0.1f };
  const float target[3] = { 1.0f, 0.5f, 0.0f };
  double pos = -pow (1.0 - 0.8f, 2) * log (0.8f);
  double neg1 = -pow (1.0 - 0.5, 4) * pow (0.3f, 2) * log (1.0 - 0.3f);
  double neg2 = -pow (0.1f, 2) * log (1.0 - 0.1f);
  CHECK_CLOSE (dd_focal_loss (pred, target, NULL, 3, 1.0f, NULL), pos + neg1 + neg2,
               1e-6, 0);
  CHECK_CLOSE (dd_focal_loss (pred, target, NULL, 3, 2.5f, NULL), 2.5 * (pos + neg1 + neg2),
               1e-6, 0);
}

static void
test_focal_normalised_by_objects (void)
{
  /* Two copies of an image: twice the sum over twice the objects. */
  const float pred[6] = { 0.8f, 0.3f, 0.1f, 0.8f, 0.3f, 0.1f };
  const float target[6] = { 1.0f, 0.5f, 0.0f, 1.0f, 0.5f, 0.0f };
  CHECK_CLOSE (dd_focal_loss (pred, target, NULL, 6, 1.0f, NULL),
               dd_focal_loss (pred, target, NULL, 3, 1.0f, NULL), 1e-9, 0);
  /* No object: the plain sum of the negatives. */
  const float t0[2] = { 0.0f, 0.0f };
  const float p0[2] = { 0.2f, 0.4f };
  double expect = -(pow (0.2f, 2) * log (1.0 - 0.2f) + pow (0.4f, 2) * log (1.0 - 0.4f));
  CHECK_CLOSE (dd_focal_loss (p0, t0, NULL, 2, 1.0f, NULL), expect, 1e-6, 0);
}

static void
test_focal_clamp_and_nan (void)
{
  const float pred[2] = { 0.0f, 1.0f };
  const float target[2] = { 1.0f, 0.0f };
  float grad[2];
  double loss = dd_focal_loss (pred, target, NULL, 2, 1.0f, grad);
  double c = DD_FOCAL_CLAMP;
  double expect = -pow (1.0 - c, 2) * log (c) - pow (1.0 - c, 2) * log (c);
  CHECK (isfinite (loss));
  CHECK_CLOSE (loss, expect, 1e-4, 0);
  CHECK (grad[0] == 0.0f && grad[1] == 0.0f);
  /* A NaN prediction is not hidden by the clamp. */
  const float bad[2] = { NAN, 0.5f };
  CHECK (isnan (dd_focal_loss (bad, target, NULL, 2, 1.0f, grad)));
}

static void
test_focal_ignored (void)
{
  /* Ignoring leaves out the marked negatives (loss and gradient), never a
   * positive, and the normalisation still counts every object. */
  const float pred[4] = { 0.8f, 0.3f, 0.1f, 0.6f };
  const float target[4] = { 1.0f, 0.5f, 0.0f, 1.0f };
  const float ignored[4] = { 1.0f, 1.0f, 0.0f, 0.0f };
  const float kept_pred[3] = { 0.8f, 0.1f, 0.6f };
  const float kept_target[3] = { 1.0f, 0.0f, 1.0f };
  float grad[4], kept_grad[3];
  CHECK_CLOSE (dd_focal_loss (pred, target, ignored, 4, 1.0f, grad),
               dd_focal_loss (kept_pred, kept_target, NULL, 3, 1.0f, kept_grad), 1e-9, 0);
  CHECK (grad[1] == 0.0f);
  CHECK (grad[0] == kept_grad[0] && grad[2] == kept_grad[1] && grad[3] == kept_grad[2]);
  CHECK (grad[0] != 0.0f);
}

/* Central differences of `loss` at every element against `grad`. */
static void
check_gradient (double (*loss) (float *pred, void *ctx), float *pred, const float *grad,
                size_t n, void *ctx, float h, double rtol, double atol)
{
  for (size_t i = 0; i < n; i++) {
    float saved = pred[i];
    pred[i] = saved + h;
    double up = loss (pred, ctx);
    pred[i] = saved - h;
    double down = loss (pred, ctx);
    pred[i] = saved;
    double numeric = (up - down) / ((double) (saved + h) - (double) (saved - h));
    CHECK_CLOSE (grad[i], numeric, rtol, atol);
  }
}

typedef struct {
  const float *target, *mask;
  size_t n;
  float weight;
} loss_ctx;

static double
focal_of (float *pred, void *ctx)
{
  loss_ctx *c = ctx;
  return dd_focal_loss (pred, c->target, NULL, c->n, c->weight, NULL);
}

static double
l1_of (float *pred, void *ctx)
{
  loss_ctx *c = ctx;
  return dd_masked_l1_loss (pred, c->target, c->mask, c->n, c->weight, NULL);
}

static void
test_focal_gradient (void)
{
  enum { N = 64 };
  float pred[N], target[N], grad[N];
  dd_rng rng;
  dd_rng_seed (&rng, 7, 0);
  for (int i = 0; i < N; i++) {
    pred[i] = dd_rng_range (&rng, 0.02f, 0.98f);
    target[i] = i % 9 == 0 ? 1.0f : i % 3 == 0 ? dd_rng_range (&rng, 0.0f, 0.95f) : 0.0f;
  }
  loss_ctx ctx = { target, NULL, N, 1.5f };
  dd_focal_loss (pred, target, NULL, N, ctx.weight, grad);
  check_gradient (focal_of, pred, grad, N, &ctx, 1e-3f, 2e-2, 1e-5);
}

static void
test_l1 (void)
{
  const float pred[4] = { 1.0f, -2.0f, 5.0f, 7.0f };
  const float target[4] = { 0.5f, 1.0f, 5.0f, 100.0f };
  const float mask[4] = { 1.0f, 1.0f, 1.0f, 0.0f };
  float grad[4];
  double loss = dd_masked_l1_loss (pred, target, mask, 4, 2.0f, grad);
  CHECK_CLOSE (loss, 2.0 * (0.5 + 3.0 + 0.0) / (3.0 + 1e-4), 1e-6, 0);
  CHECK_CLOSE (grad[0], 2.0 / (3.0 + 1e-4), 1e-6, 0);
  CHECK_CLOSE (grad[1], -2.0 / (3.0 + 1e-4), 1e-6, 0);
  CHECK (grad[2] == 0.0f);
  CHECK (grad[3] == 0.0f);      /* masked out however wrong */

  enum { N = 40 };
  float p[N], t[N], m[N], g[N];
  dd_rng rng;
  dd_rng_seed (&rng, 3, 0);
  for (int i = 0; i < N; i++) {
    t[i] = dd_rng_range (&rng, -10.0f, 10.0f);
    /* At least 0.1 away from the kink, far beyond the step. */
    float d = dd_rng_range (&rng, 0.1f, 3.0f);
    p[i] = t[i] + (i % 2 ? d : -d);
    m[i] = i % 4 == 0 ? 0.0f : 1.0f;
  }
  loss_ctx ctx = { t, m, N, 0.7f };
  dd_masked_l1_loss (p, t, m, N, ctx.weight, g);
  check_gradient (l1_of, p, g, N, &ctx, 1e-2f, 1e-3, 1e-6);
}

static void
test_detector_loss (void)
{
  /* One 4x4 image, one class, one keypoint, stride 4. */
  dd_head_batch *pred = dd_head_batch_new (1, 4, 4, 4, 1, 1);
  dd_head_batch *grad = dd_head_batch_new (1, 4, 4, 4, 1, 1);
  dd_targets *t = dd_targets_new (1, 4, 4, 4, 1, 1);
  for (size_t i = 0; i < pred->n_floats; i++)
    pred->block[i] = 0.25f;
  float kp[3] = { 9.0f, 5.0f, 2.0f };
  dd_coco_annotation a = {
    .bbox = { 2.0, 2.0, 8.0, 6.0 }, .n_keypoints = 1, .keypoints = kp,
  };
  int cls = 0;
  dd_targets_encode (t, 0, &a, &cls, 1);
  dd_loss_weights w;
  dd_loss_weights_defaults (&w, 4);
  CHECK_CLOSE (w.size, 0.1 / 4, 1e-7, 0);
  CHECK_CLOSE (w.keypoint_offset, 1.0 / 4, 1e-7, 0);
  dd_loss_parts parts;
  dd_detector_loss (pred, t, &w, grad, &parts);
  const dd_head_maps *p = &pred->maps[0], *tv = &t->value->maps[0];
  CHECK_CLOSE (parts.center, dd_focal_loss (p->center, tv->center, NULL, 16, 1.0f, NULL),
               1e-9, 0);
  CHECK_CLOSE (parts.keypoint_heatmap,
               dd_focal_loss (p->keypoint_heatmap, tv->keypoint_heatmap, NULL, 16, 1.0f,
                              NULL), 1e-9, 0);
  /* Size: |0.25 - 8| + |0.25 - 6| over the 2 masked values. */
  CHECK_CLOSE (parts.size, w.size * (7.75 + 5.75) / (2 + 1e-4), 1e-6, 0);
  CHECK_CLOSE (parts.total, parts.center + parts.size + parts.offset
               + parts.keypoint_heatmap + parts.keypoint_offset, 1e-12, 0);
  /* The size gradient sits at the centre cell (1, 1) only. */
  const dd_head_maps *g = &grad->maps[0];
  for (int i = 0; i < 32; i++)
    CHECK_CLOSE (g->size[i], i == 5 || i == 16 + 5 ? -w.size / (2 + 1e-4) : 0.0, 1e-6, 0);
  /* The keypoint heatmap's ignored cells are left out of its loss. */
  t->keypoint_ignored[15] = 1.0f;
  dd_loss_parts ignoring;
  dd_detector_loss (pred, t, &w, grad, &ignoring);
  CHECK_CLOSE (ignoring.keypoint_heatmap,
               dd_focal_loss (p->keypoint_heatmap, tv->keypoint_heatmap,
                              t->keypoint_ignored, 16, 1.0f, NULL), 1e-9, 0);
  CHECK (ignoring.keypoint_heatmap < parts.keypoint_heatmap);
  CHECK (g->keypoint_heatmap[15] == 0.0f && g->keypoint_heatmap[14] != 0.0f);
  dd_head_batch_free (pred);
  dd_head_batch_free (grad);
  dd_targets_free (t);
}

int
main (void)
{
  RUN_TEST (test_focal_values);
  RUN_TEST (test_focal_normalised_by_objects);
  RUN_TEST (test_focal_clamp_and_nan);
  RUN_TEST (test_focal_ignored);
  RUN_TEST (test_focal_gradient);
  RUN_TEST (test_l1);
  RUN_TEST (test_detector_loss);
  return check_exit_status ();
}
