/* Decoding: peaks become detections with the right boxes, in score order;
 * non-peaks are suppressed; keypoints snap to the nearest peak inside the
 * box, placed in its cell by the heatmap, and fall back to the regression
 * otherwise. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "model/decode.h"
#include "model/head_batch.h"
#include "model/heatmap_refine.h"
#include "model/targets.h"

enum { H = 16, W = 16, STRIDE = 4, K = 2 };
#define PLANE (H * W)

static dd_head_batch *
empty_maps (void)
{
  return dd_head_batch_new (1, H, W, STRIDE, 1, K);
}

/* An object whose centre is in cell (x, y) with the given offset, size and
 * keypoint offsets (from the cell's centre). */
static void
put_object (dd_head_maps *m, int x, int y, float peak, float ox, float oy, float w,
            float h, const float kp_offset[2 * K])
{
  size_t at = (size_t) y * W + x;
  dd_draw_gaussian (m->center, H, W, x, y, 2);
  m->center[at] = peak;
  /* The Gaussian's ring stays below any peak used here. */
  for (int dy = -2; dy <= 2; dy++)
    for (int dx = -2; dx <= 2; dx++)
      if ((dx || dy) && y + dy >= 0 && y + dy < H && x + dx >= 0 && x + dx < W)
        m->center[(y + dy) * W + x + dx] *= 0.5f * peak;
  m->offset[at] = ox;
  m->offset[PLANE + at] = oy;
  m->size[at] = w;
  m->size[PLANE + at] = h;
  for (int k = 0; k < 2 * K; k++)
    m->keypoint_offset[k * PLANE + at] = kp_offset[k];
}

static dd_decode_params
params (void)
{
  dd_decode_params p;
  dd_decode_params_defaults (&p);
  p.min_score = 0.1f;
  return p;
}

static void
test_two_peaks (void)
{
  dd_head_batch *b = empty_maps ();
  dd_head_maps *m = &b->maps[0];
  const float kp[2 * K] = {0};
  put_object (m, 3, 4, 0.7f, 0.25f, 0.5f, 8.0f, 12.0f, kp);
  put_object (m, 11, 10, 0.9f, 0.0f, 0.75f, 20.0f, 10.0f, kp);
  dd_decode_params p = params ();
  dd_detection d[100];
  int n = dd_decode (m, &p, d);
  CHECK (n == 2);
  /* Best first: the 0.9 peak, centre ((11 + 0) * 4, (10 + 0.75) * 4). */
  CHECK_CLOSE (d[0].score, 0.9, 1e-7, 0);
  CHECK (d[0].class_index == 0);
  CHECK_CLOSE (d[0].box[0], 44.0 - 10.0, 1e-5, 0);
  CHECK_CLOSE (d[0].box[1], 43.0 - 5.0, 1e-5, 0);
  CHECK_CLOSE (d[0].box[2], 44.0 + 10.0, 1e-5, 0);
  CHECK_CLOSE (d[0].box[3], 43.0 + 5.0, 1e-5, 0);
  CHECK_CLOSE (d[1].score, 0.7, 1e-7, 0);
  CHECK_CLOSE (d[1].box[0], 13.0 - 4.0, 1e-5, 0);
  CHECK_CLOSE (d[1].box[1], 18.0 - 6.0, 1e-5, 0);
  CHECK_CLOSE (d[1].box[2], 13.0 + 4.0, 1e-5, 0);
  CHECK_CLOSE (d[1].box[3], 18.0 + 6.0, 1e-5, 0);
  CHECK (d[0].n_keypoints == K);
  /* top-K keeps the best. */
  p.max_detections = 1;
  CHECK (dd_decode (m, &p, d) == 1 && fabsf (d[0].score - 0.9f) < 1e-7f);
  p.max_detections = 0;
  CHECK (dd_decode (m, &p, d) == 0);
  /* A score floor above the weaker peak. */
  p = params ();
  p.min_score = 0.8f;
  CHECK (dd_decode (m, &p, d) == 1);
  dd_head_batch_free (b);
}

static void
test_suppression (void)
{
  dd_head_batch *b = empty_maps ();
  dd_head_maps *m = &b->maps[0];
  /* A ridge: 0.8 beside 0.9; a plateau of two equal cells, both kept (as
   * CenterNet's max-pool equality); a lone cell. */
  m->center[5 * W + 5] = 0.9f;
  m->center[5 * W + 6] = 0.8f;
  m->center[6 * W + 6] = 0.85f;
  m->center[12 * W + 2] = 0.5f;
  m->center[12 * W + 3] = 0.5f;
  m->center[1 * W + 14] = 0.3f;
  dd_decode_params p = params ();
  dd_detection d[100];
  int n = dd_decode (m, &p, d);
  CHECK (n == 4);
  CHECK_CLOSE (d[0].score, 0.9, 1e-7, 0);
  CHECK_CLOSE (d[1].score, 0.5, 1e-7, 0);
  CHECK_CLOSE (d[2].score, 0.5, 1e-7, 0);
  CHECK_CLOSE (d[3].score, 0.3, 1e-7, 0);
  /* Ties in map order: (2, 12) before (3, 12). */
  CHECK (d[1].box[0] < d[2].box[0]);
  /* An all-zero map has no detections, whatever the floor. */
  dd_head_batch_zero (b);
  p.min_score = 0.0f;
  CHECK (dd_decode (m, &p, d) == 0);
  dd_head_batch_free (b);
}

static void
test_keypoint_snapping (void)
{
  dd_head_batch *b = empty_maps ();
  dd_head_maps *m = &b->maps[0];
  /* Centre cell (8, 8): cell centre (34, 34); box 40 x 40 around
   * (33, 34): x 13..53, y 14..54. Keypoint 0 regressed at (34 - 10,
   * 34 + 6) = (24, 40), keypoint 1 at (44, 20). */
  const float kp[2 * K] = { -10.0f, 6.0f, 10.0f, -14.0f };
  put_object (m, 8, 8, 0.9f, 0.25f, 0.5f, 40.0f, 40.0f, kp);
  float *h0 = m->keypoint_heatmap, *h1 = m->keypoint_heatmap + PLANE;
  /* Keypoint 0: a peak in cell (4, 11) (centre (18, 46), inside the box),
   * a farther, higher one in cell (12, 12), and one outside the box at
   * (0, 10), nearer to nothing. */
  h0[11 * W + 4] = 0.6f;
  h0[12 * W + 12] = 0.95f;
  h0[10 * W + 0] = 0.99f;
  /* Keypoint 1: its only peak is below the threshold; under the regressed
   * position (cell (11, 5)) the heatmap holds 0.05. */
  h1[5 * W + 11] = 0.05f;
  dd_decode_params p = params ();
  dd_detection d[100];
  CHECK (dd_decode (m, &p, d) == 1);
  CHECK_CLOSE (d[0].keypoints[0].x, 18.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[0].y, 46.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[0].score, 0.6, 1e-7, 0);
  CHECK_CLOSE (d[0].keypoints[1].x, 44.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[1].y, 20.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[1].score, 0.05, 1e-7, 0);
  /* The threshold lowered: keypoint 1 snaps to its peak, and the heatmap,
   * not the regression, places it in the cell: a peak without neighbours
   * says nothing, so at the cell's centre. */
  p.keypoint_threshold = 0.01f;
  CHECK (dd_decode (m, &p, d) == 1);
  CHECK_CLOSE (d[0].keypoints[1].x, 46.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[1].y, 22.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[1].score, 0.05, 1e-7, 0);
  /* With neighbours drawn as the targets draw them, the exact point. */
  dd_draw_gaussian_at (h1, H, W, 44.7 / STRIDE, 21.1 / STRIDE, 1);
  CHECK (dd_decode (m, &p, d) == 1);
  CHECK_CLOSE (d[0].keypoints[1].x, 44.7, 1e-4, 0);
  CHECK_CLOSE (d[0].keypoints[1].y, 21.1, 1e-4, 0);
  CHECK (d[0].keypoints[1].score == 1.0f);
  /* Without the peak inside the box, keypoint 0 keeps its regression and
   * the heatmap value under it (0 here). */
  h0[11 * W + 4] = 0.0f;
  h0[12 * W + 12] = 0.0f;
  p = params ();
  CHECK (dd_decode (m, &p, d) == 1);
  CHECK_CLOSE (d[0].keypoints[0].x, 24.0, 1e-5, 0);
  CHECK_CLOSE (d[0].keypoints[0].y, 40.0, 1e-5, 0);
  CHECK (d[0].keypoints[0].score == 0.0f);
  dd_head_batch_free (b);
}

/* The log-parabola finds a Gaussian's centre anywhere in its cell, for
 * any width and peak height; borders and flat maps give the cell centre. */
static void
test_refine (void)
{
  const double points[][2] = { {5.5, 6.5}, {5.01, 6.99}, {5.97, 6.03}, {5.3, 6.8} };
  for (int r = 1; r <= 3; r++)
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
      float plane[PLANE] = {0};
      dd_draw_gaussian_at (plane, H, W, points[i][0], points[i][1], r);
      for (int c = 0; c < PLANE; c++)
        plane[c] *= 0.3f;
      float fx, fy;
      dd_heatmap_refine (plane, H, W, 5, 6, &fx, &fy);
      CHECK_CLOSE (fx, points[i][0], 2e-4, 0);
      CHECK_CLOSE (fy, points[i][1], 2e-4, 0);
    }
  float plane[PLANE] = {0};
  dd_draw_gaussian_at (plane, H, W, 0.2, 15.9, 2);
  float fx, fy;
  dd_heatmap_refine (plane, H, W, 0, 15, &fx, &fy);
  CHECK (fx == 0.5f && fy == 15.5f);
  for (int c = 0; c < PLANE; c++)
    plane[c] = 0.4f;
  dd_heatmap_refine (plane, H, W, 7, 7, &fx, &fy);
  CHECK (fx == 7.5f && fy == 7.5f);
}

int
main (void)
{
  RUN_TEST (test_refine);
  RUN_TEST (test_two_peaks);
  RUN_TEST (test_suppression);
  RUN_TEST (test_keypoint_snapping);
  return check_exit_status ();
}
