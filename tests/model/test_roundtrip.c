/* Targets then decoding: the maps CenterNet's encoder makes for synthetic
 * people, decoded, give back every box, and every keypoint from its heatmap
 * alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/decode.h"
#include "model/targets.h"
#include "nn/rng.h"

enum { H = 32, W = 40, STRIDE = 4, K = 17, PEOPLE = 6 };

/* People of random size and place, centres in different cells, keypoints
 * inside their boxes, a few unlabelled. */
static int
make_people (dd_rng *rng, dd_coco_annotation *anns, float (*kps)[3 * K])
{
  int n = 0, used[H * W] = {0};
  while (n < PEOPLE) {
    double w = dd_rng_range (rng, 6.0f, 60.0f), h = dd_rng_range (rng, 10.0f, 100.0f);
    double x = dd_rng_range (rng, 0.0f, (float) (W * STRIDE - w));
    double y = dd_rng_range (rng, 0.0f, (float) (H * STRIDE - h));
    int cell = (int) ((y + h / 2) / STRIDE) * W + (int) ((x + w / 2) / STRIDE);
    if (used[cell])
      continue;
    used[cell] = 1;
    for (int k = 0; k < K; k++) {
      kps[n][3 * k] = (float) (x + dd_rng_uniform (rng) * w);
      kps[n][3 * k + 1] = (float) (y + dd_rng_uniform (rng) * h);
      kps[n][3 * k + 2] = dd_rng_below (rng, 8) == 0 ? 0.0f : 2.0f;
    }
    anns[n] = (dd_coco_annotation) {
      .id = n + 1, .category_id = 1, .bbox = { x, y, w, h },
      .n_keypoints = K, .keypoints = kps[n],
    };
    n++;
  }
  return n;
}

static const dd_detection *
match (const dd_detection *d, int n, const dd_coco_annotation *a)
{
  for (int i = 0; i < n; i++)
    if (fabs (d[i].box[0] - a->bbox[0]) < 1e-3 && fabs (d[i].box[1] - a->bbox[1]) < 1e-3)
      return &d[i];
  return NULL;
}

static void
test_round_trip (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 11, 0);
  int labelled = 0, exact = 0;
  for (int trial = 0; trial < 20; trial++) {
    dd_coco_annotation anns[PEOPLE];
    float kps[PEOPLE][3 * K];
    int n = make_people (&rng, anns, kps);
    int cls[PEOPLE] = {0};
    dd_targets *t = dd_targets_new (1, H, W, STRIDE, 1, K);
    dd_targets_encode (t, 0, anns, cls, n);
    dd_decode_params p;
    dd_decode_params_defaults (&p);
    p.min_score = 0.99f;
    dd_detection d[100];
    int found = dd_decode (&t->value->maps[0], &p, d);
    CHECK (found == n);
    for (int i = 0; i < n; i++) {
      const dd_detection *det = match (d, found, &anns[i]);
      CHECK (det != NULL);
      if (!det)
        continue;
      CHECK (det->score == 1.0f);
      CHECK_CLOSE (det->box[2], anns[i].bbox[0] + anns[i].bbox[2], 0, 1e-3);
      CHECK_CLOSE (det->box[3], anns[i].bbox[1] + anns[i].bbox[3], 0, 1e-3);
      for (int k = 0; k < K; k++) {
        if (kps[i][3 * k + 2] == 0.0f) {
          /* Unlabelled: no offset was encoded, nothing to recover. */
          continue;
        }
        /* Each keypoint sits on its own heatmap peak, in that peak's cell,
         * exactly where it is unless another person's Gaussian or the
         * map's border hides the neighbours that say where. */
        CHECK (det->keypoints[k].score == 1.0f);
        double e = hypot (det->keypoints[k].x - kps[i][3 * k],
            det->keypoints[k].y - kps[i][3 * k + 1]);
        CHECK (e <= STRIDE * M_SQRT2);
        labelled++;
        exact += e < 1e-3;
      }
    }
    dd_targets_free (t);
  }
  fprintf (stderr, "  %d of %d keypoints exact\n", exact, labelled);
  CHECK (exact >= labelled * 9 / 10);
}

int
main (void)
{
  RUN_TEST (test_round_trip);
  return check_exit_status ();
}
