#include "distill/flip_map.h"

#include "distill/distill_error.h"

gboolean
dd_flip_map_init (dd_flip_map *fm, const int (*pairs)[2], int n_pairs,
    int n_keypoints, GError **error)
{
  if (n_keypoints < 0 || n_keypoints > DD_MAX_KEYPOINTS) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_FLIP_PAIRS,
        "flip pairs: %d keypoints, but at most %d are supported (DD_MAX_KEYPOINTS)",
        n_keypoints, DD_MAX_KEYPOINTS);
    return FALSE;
  }
  fm->n_keypoints = n_keypoints;
  for (int k = 0; k < DD_MAX_KEYPOINTS; k++)
    fm->partner[k] = k;
  for (int i = 0; i < n_pairs; i++) {
    int a = pairs[i][0], b = pairs[i][1];
    if (a < 0 || b < 0 || a >= n_keypoints || b >= n_keypoints || a == b) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_FLIP_PAIRS,
          "flip pair %d is (%d, %d), but the network has %d keypoints: a pair "
          "names two different 0-based keypoint indices below that",
          i, a, b, n_keypoints);
      return FALSE;
    }
    if (fm->partner[a] != a || fm->partner[b] != b) {
      g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_FLIP_PAIRS,
          "flip pair %d (%d, %d) reuses a keypoint of an earlier pair; each "
          "keypoint has at most one mirror partner", i, a, b);
      return FALSE;
    }
    fm->partner[a] = b;
    fm->partner[b] = a;
  }
  return TRUE;
}
