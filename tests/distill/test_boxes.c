/* Box ensembling against small cases worked by hand from Detectron's
 * formulas (boxes.py box_voting, cython_nms soft_nms) and from Weighted
 * Boxes Fusion's definition, in continuous coordinates (no "+ 1"), and K
 * identical inputs to each, which must come back as they went in. */
#include <string.h>

#include "check.h"
#include "distill/boxes.h"
#include "distill/class_average.h"
#include "nn/rng.h"

static dd_box_candidate
cand (float x1, float y1, float x2, float y2, float score, int cls, int pass)
{
  return (dd_box_candidate) { { x1, y1, x2, y2 }, score, cls, pass, -1 };
}

static void
test_iou (void)
{
  float a[4] = { 0, 0, 10, 10 }, b[4] = { 5, 0, 15, 10 }, c[4] = { 10, 0, 20, 10 };
  float e[4] = { 3, 3, 3, 8 };
  CHECK_CLOSE (dd_box_iou (a, b), 1.0 / 3.0, 0, 1e-12);
  CHECK (dd_box_iou (a, a) == 1.0);
  CHECK (dd_box_iou (a, c) == 0.0);     /* touching edges */
  CHECK (dd_box_iou (e, e) == 0.0);     /* empty box */
}

static void
test_nms (void)
{
  dd_box_candidate c[] = {
    cand (0, 0, 10, 10, 0.9f, 0, 0),    /* A: kept */
    cand (1, 0, 11, 10, 0.8f, 0, 1),    /* B: IoU 90/110 with A: dropped */
    cand (20, 20, 30, 30, 0.7f, 0, 0),  /* C: apart: kept */
    cand (0, 0, 10, 10, 0.6f, 1, 0),    /* D: A's box, other class: kept */
    cand (5, 0, 15, 10, 0.85f, 0, 1),   /* E: IoU 1/3 with A: kept */
    cand (0, 0, 10, 5, 0.5f, 0, 1),     /* F: IoU exactly 0.5 with A: dropped */
  };
  int keep[6];
  int n = dd_box_nms (c, 6, 0.5, keep);
  CHECK (n == 4);
  CHECK (keep[0] == 0 && keep[1] == 4 && keep[2] == 2 && keep[3] == 3);
  CHECK (dd_box_nms (c, 0, 0.5, keep) == 0);
}

/* Top box A = (0,0,10,10) 0.9 among A, B = (1,0,11,10) 0.6 (IoU 9/11),
 * C = (0,0,10,12) 0.3 (IoU 5/6), D = (2,0,12,10) 0.5 (IoU 2/3: no vote) and
 * E = A's box in class 1, 0.99 (no vote). Voters A, B, C, weights 1.8:
 * x1 = 0.6/1.8, x2 = y2 = 18.6/1.8. */
static void
test_box_voting (void)
{
  const dd_box_candidate all[] = {
    cand (0, 0, 10, 10, 0.9f, 0, 0), cand (1, 0, 11, 10, 0.6f, 0, 1),
    cand (0, 0, 10, 12, 0.3f, 0, 2), cand (2, 0, 12, 10, 0.5f, 0, 3),
    cand (0, 0, 10, 10, 0.99f, 1, 0),
  };
  const struct {
    dd_vote_scoring scoring;
    double beta, score;
  } cases[] = {
    { DD_VOTE_ID, 1.0, 0.9 },
    { DD_VOTE_AVG, 1.0, 0.6 },
    /* (0.9 + 9/11 0.6 + 5/6 0.3) / (1 + 9/11 + 5/6) = 108.3 / 175 */
    { DD_VOTE_IOU_AVG, 1.0, 108.3 / 175.0 },
    /* sqrt ((0.81 + 0.36 + 0.09) / 3) */
    { DD_VOTE_GENERALIZED_AVG, 2.0, 0.648074069840786 },
    { DD_VOTE_QUASI_SUM, 1.0, 0.6 },
    { DD_VOTE_QUASI_SUM, 0.5, 1.8 / 1.7320508075688772 },
    /* At temperature 1 the smoothing is the identity: the mean. */
    { DD_VOTE_TEMP_AVG, 1.0, 0.6 },
    /* p^2 / (p^2 + (1-p)^2): 0.81/0.82, 0.36/0.52, 0.09/0.58, averaged. */
    { DD_VOTE_TEMP_AVG, 0.5, 0.611761661383192 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    dd_box_candidate top = all[0];
    dd_box_vote (&top, 1, all, 5, 0.8, cases[i].scoring, cases[i].beta);
    CHECK_CLOSE (top.box[0], 0.6 / 1.8, 0, 1e-6);
    CHECK (top.box[1] == 0.0f);
    CHECK_CLOSE (top.box[2], 18.6 / 1.8, 0, 1e-5);
    CHECK_CLOSE (top.box[3], 18.6 / 1.8, 0, 1e-5);
    CHECK_CLOSE (top.score, cases[i].score, 0, 1e-6);
  }
  /* The class-1 box votes alone: unchanged. */
  dd_box_candidate other = all[4];
  dd_box_vote (&other, 1, all, 5, 0.8, DD_VOTE_AVG, 1.0);
  CHECK (memcmp (&other, &all[4], sizeof other) == 0);
  /* Voters scoring 0 leave the box where it is. */
  dd_box_candidate zero[] = { cand (0, 0, 10, 10, 0, 0, 0), cand (1, 0, 11, 10, 0, 0, 1) };
  dd_box_candidate z = zero[0];
  dd_box_vote (&z, 1, zero, 2, 0.8, DD_VOTE_ID, 1.0);
  CHECK (z.box[0] == 0 && z.box[2] == 10 && z.score == 0);
}

/* A = (0,0,10,10) 0.9, B = (1,0,11,10) 0.8 (IoU 9/11 with A), C =
 * (5,0,15,10) 0.7 (IoU 1/3 with A, 3/7 with B).
 * Linear, threshold 0.3: A keeps 0.9; C *= 2/3 (0.4667); B *= 2/11, then
 * C is taken and B *= 4/7: 0.0831. Gaussian, sigma 0.5: C *= exp(-2/9)
 * (0.5605); B *= exp(-2 (9/11)^2), then exp(-2 (3/7)^2): 0.1452. */
static void
test_soft_nms (void)
{
  const dd_box_candidate in[] = {
    cand (1, 0, 11, 10, 0.8f, 0, 0), cand (0, 0, 10, 10, 0.9f, 0, 0),
    cand (5, 0, 15, 10, 0.7f, 0, 0), cand (1, 0, 11, 10, 0.95f, 1, 0),
  };
  dd_box_candidate c[4];
  memcpy (c, in, sizeof c);
  int n = dd_soft_nms (c, 4, DD_SOFT_NMS_LINEAR, 0.5, 0.3, 0.001);
  CHECK (n == 4);
  /* Taken in order: the class-1 box (0.95, alone in its class), A, C, B. */
  CHECK (c[0].class_index == 1 && c[0].score == 0.95f);
  CHECK (c[1].box[0] == 0 && c[1].score == 0.9f);
  CHECK (c[2].box[0] == 5);
  CHECK_CLOSE (c[2].score, 0.4666666666666667, 0, 1e-6);
  CHECK (c[3].box[0] == 1);
  CHECK_CLOSE (c[3].score, 0.08311688311688309, 0, 1e-6);
  /* With a floor of 0.1, B goes. */
  memcpy (c, in, sizeof c);
  CHECK (dd_soft_nms (c, 4, DD_SOFT_NMS_LINEAR, 0.5, 0.3, 0.1) == 3);
  for (int i = 0; i < 3; i++)
    CHECK (!(c[i].box[0] == 1 && c[i].class_index == 0));
  memcpy (c, in, sizeof c);
  n = dd_soft_nms (c, 4, DD_SOFT_NMS_GAUSSIAN, 0.5, 0.3, 0.001);
  CHECK (n == 4);
  CHECK (c[1].score == 0.9f);
  CHECK_CLOSE (c[2].score, 0.5605161820417656, 0, 1e-6);
  CHECK_CLOSE (c[3].score, 0.1452449770446398, 0, 1e-6);
}

/* Two passes. A = (0,0,10,10) 0.9 and B = (1,0,11,10) 0.6 fuse (IoU 9/11 >
 * 0.55): box (0.4, 0, 10.4, 10), score mean 0.75 x min(2, 2)/2; C =
 * (20,20,30,30) 0.8 alone: 0.8 x 1/2. */
static void
test_wbf (void)
{
  dd_box_candidate in[] = {
    cand (0, 0, 10, 10, 0.9f, 0, 0), cand (1, 0, 11, 10, 0.6f, 0, 1),
    cand (20, 20, 30, 30, 0.8f, 0, 1), cand (0, 0, 10, 10, 0.05f, 0, 1),
  };
  for (int i = 0; i < 4; i++)
    in[i].source = 10 + i;
  dd_box_candidate out[4];
  /* The 0.05 box is skipped. */
  int n = dd_wbf (in, 4, 2, 0.55, 0.1, out);
  CHECK (n == 2);
  CHECK_CLOSE (out[0].box[0], 0.4, 0, 1e-6);
  CHECK (out[0].box[1] == 0);
  CHECK_CLOSE (out[0].box[2], 10.4, 0, 1e-5);
  CHECK (out[0].box[3] == 10);
  CHECK_CLOSE (out[0].score, 0.75, 0, 1e-6);
  CHECK (out[0].source == 10 && out[0].pass == 0);
  CHECK (out[1].box[0] == 20 && out[1].source == 12);
  CHECK_CLOSE (out[1].score, 0.4, 0, 1e-6);
  /* Not skipped, the 0.05 box joins A and B: (0.9 + 0.6 + 0.05)/3 x 2/2. */
  n = dd_wbf (in, 4, 2, 0.55, 0.0, out);
  CHECK (n == 2);
  CHECK_CLOSE (out[0].score, 1.55 / 3.0, 0, 1e-6);
}

/* ---- K identical inputs ------------------------------------------------- */

#define N_OBJECTS 6
#define K 5

/* Detections of one pass: apart from each other (IoU 0), two classes. */
static void
one_pass (dd_rng *rng, dd_box_candidate *c)
{
  for (int i = 0; i < N_OBJECTS; i++) {
    float x = 40.0f * i + dd_rng_range (rng, 0, 5), y = dd_rng_range (rng, 0, 30);
    c[i] = cand (x, y, x + dd_rng_range (rng, 5, 30), y + dd_rng_range (rng, 5, 40),
        dd_rng_range (rng, 0.2f, 1.0f), i % 2, 0);
    c[i].source = i;
  }
}

static void
replicate (const dd_box_candidate *one, dd_box_candidate *all)
{
  for (int p = 0; p < K; p++)
    for (int i = 0; i < N_OBJECTS; i++) {
      all[p * N_OBJECTS + i] = one[i];
      all[p * N_OBJECTS + i].pass = p;
    }
}

/* `got` holds exactly the boxes and scores of `want`, in any order. */
static void
check_same_set (const dd_box_candidate *got, int n_got, const dd_box_candidate *want,
    int n_want, const char *what)
{
  int missing = n_got != n_want;
  for (int i = 0; i < n_want; i++) {
    gboolean found = FALSE;
    for (int j = 0; j < n_got && !found; j++)
      found = memcmp (got[j].box, want[i].box, sizeof got[j].box) == 0
          && got[j].score == want[i].score && got[j].class_index == want[i].class_index;
    missing += !found;
  }
  if (missing) {
    fprintf (stderr, "  %s: %d of %d come back, %d differ\n", what, n_got, n_want, missing);
    check_failures++;
  }
}

static void
test_identical_inputs (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 4, 0);
  for (int trial = 0; trial < 20; trial++) {
    dd_box_candidate one[N_OBJECTS], all[K * N_OBJECTS], out[K * N_OBJECTS];
    int keep[K * N_OBJECTS];
    one_pass (&rng, one);
    replicate (one, all);
    int n = dd_box_nms (all, K * N_OBJECTS, 0.5, keep);
    for (int i = 0; i < n; i++)
      out[i] = all[keep[i]];
    check_same_set (out, n, one, N_OBJECTS, "nms");
    for (int s = DD_VOTE_ID; s <= DD_VOTE_GENERALIZED_AVG; s++) {
      dd_box_candidate voted[K * N_OBJECTS];
      memcpy (voted, out, sizeof (dd_box_candidate) * n);
      dd_box_vote (voted, n, all, K * N_OBJECTS, 0.8, s, 1.0);
      check_same_set (voted, n, one, N_OBJECTS, "nms + voting");
    }
    memcpy (out, all, sizeof all);
    n = dd_soft_nms (out, K * N_OBJECTS, DD_SOFT_NMS_LINEAR, 0.5, 0.5, 1e-4);
    check_same_set (out, n, one, N_OBJECTS, "linear soft-NMS");
    n = dd_wbf (all, K * N_OBJECTS, K, 0.55, 0.0, out);
    check_same_set (out, n, one, N_OBJECTS, "wbf");
    /* Gaussian soft-NMS never drops an exact duplicate outright: it decays
     * it by exp(-1/sigma) per copy taken before it. Each object comes back
     * with its score, and its copies with s e^-2, s e^-4, ... (sigma 0.5)
     * while they stay above the floor. */
    memcpy (out, all, sizeof all);
    n = dd_soft_nms (out, K * N_OBJECTS, DD_SOFT_NMS_GAUSSIAN, 0.5, 0.5, 1e-4);
    int expected_n = 0;
    for (int i = 0; i < N_OBJECTS; i++) {
      int copies = 0, expected = 0;
      for (int m = 0; m < K; m++)
        if (one[i].score * exp (-2.0 * m) >= 1e-4) {
          expected |= 1 << m;
          expected_n++;
        }
      for (int j = 0; j < n; j++) {
        if (memcmp (out[j].box, one[i].box, sizeof one[i].box) != 0)
          continue;
        int m = 0;
        while (m < K && fabs (out[j].score - one[i].score * exp (-2.0 * m))
            > 1e-6 * one[i].score)
          m++;
        CHECK (m < K);
        copies |= 1 << m;
      }
      CHECK (copies == expected && (copies & 1));
    }
    CHECK (n == expected_n);
  }
}

static void
test_class_average (void)
{
  float probs[3][4] = { { 0.1f, 0.6f, 0.2f, 0.1f }, { 0.3f, 0.3f, 0.3f, 0.1f },
    { 0.2f, 0.2f, 0.5f, 0.1f } };
  float mean[4];
  /* Means 0.2, 1.1/3, 1.0/3, 0.1. */
  CHECK (dd_class_average (&probs[0][0], 3, 4, mean) == 1);
  CHECK_CLOSE (mean[1], 1.1 / 3.0, 0, 1e-7);
  CHECK_CLOSE (mean[2], 1.0 / 3.0, 0, 1e-7);
  /* K identical rows: exactly that row. */
  float same[K][4];
  for (int p = 0; p < K; p++)
    memcpy (same[p], probs[0], sizeof probs[0]);
  CHECK (dd_class_average (&same[0][0], K, 4, mean) == 1);
  CHECK (memcmp (mean, probs[0], sizeof mean) == 0);
}

int
main (void)
{
  RUN_TEST (test_iou);
  RUN_TEST (test_nms);
  RUN_TEST (test_box_voting);
  RUN_TEST (test_soft_nms);
  RUN_TEST (test_wbf);
  RUN_TEST (test_identical_inputs);
  RUN_TEST (test_class_average);
  return check_exit_status ();
}
