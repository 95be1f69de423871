#include "distill/tta_maps.h"

#include <math.h>

#include "distill/distill_error.h"

/* Where each destination cell along one axis samples the source: between
 * source cells i0 and i1 with weight w on i1. */
typedef struct axis_plan {
  int *i0, *i1;
  float *w;
} axis_plan;

typedef void (*point_map) (const dd_tta_transform *, double, double, double *,
    double *);

/* For destination cells 0..n_dst-1 of stride dst_stride along x (or y),
 * the source position through `map`, in cells of src_stride, clamped. */
static void
plan_axis (axis_plan *p, const dd_tta_transform *t, point_map map, gboolean x_axis,
    int n_dst, int dst_stride, int n_src, int src_stride)
{
  p->i0 = g_new (int, n_dst);
  p->i1 = g_new (int, n_dst);
  p->w = g_new (float, n_dst);
  for (int j = 0; j < n_dst; j++) {
    double centre = (j + 0.5) * dst_stride, u, v;
    if (x_axis)
      map (t, centre, 0.0, &u, &v);
    else
      map (t, 0.0, centre, &u, &v);
    double f = (x_axis ? u : v) / src_stride - 0.5;
    f = CLAMP (f, 0.0, n_src - 1.0);
    int i0 = (int) f;
    p->i0[j] = i0;
    p->i1[j] = MIN (i0 + 1, n_src - 1);
    p->w[j] = (float) (f - i0);
  }
}

static void
plan_clear (axis_plan *p)
{
  g_free (p->i0);
  g_free (p->i1);
  g_free (p->w);
}

/* dst = scale * bilinear (src) + bias, over one plane. */
static void
resample_plane (const float *src, int src_w, const axis_plan *px,
    const axis_plan *py, float *dst, int dst_w, int dst_h, double scale,
    double bias)
{
  for (int i = 0; i < dst_h; i++) {
    const float *r0 = src + (size_t) py->i0[i] * src_w;
    const float *r1 = src + (size_t) py->i1[i] * src_w;
    float wy = py->w[i];
    float *out = dst + (size_t) i * dst_w;
    for (int j = 0; j < dst_w; j++) {
      int a = px->i0[j], b = px->i1[j];
      float wx = px->w[j];
      float top = wx == 0.0f ? r0[a] : (1.0f - wx) * r0[a] + wx * r0[b];
      float bottom = wx == 0.0f ? r1[a] : (1.0f - wx) * r1[a] + wx * r1[b];
      float value = wy == 0.0f ? top : (1.0f - wy) * top + wy * bottom;
      out[j] = scale == 1.0 && bias == 0.0 ? value : (float) (scale * value + bias);
    }
  }
}

/* How a length along one axis changes from source to destination pixels:
 * multiplied by sign * num / den. */
typedef struct length_map {
  double sign_x;
  double num_x, den_x;
  double num_y, den_y;
} length_map;

static gboolean
check_maps (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_head_maps *src, unsigned heads, const dd_head_maps *dst,
    GError **error)
{
  char name[32];
  dd_tta_transform_name (t, name, sizeof name);
  if (src->h < 1 || src->w < 1 || src->stride < 1 || dst->h < 1 || dst->w < 1
      || dst->stride < 1) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "maps of transform %s: grids must be at least 1x1 with a positive "
        "stride (source %dx%d stride %d, destination %dx%d stride %d)", name,
        src->w, src->h, src->stride, dst->w, dst->h, dst->stride);
    return FALSE;
  }
  if (src->n_classes != dst->n_classes || src->n_keypoints != dst->n_keypoints) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "maps of transform %s have %d classes and %d keypoints, but the frame's "
        "have %d and %d: all passes must come from one network", name,
        src->n_classes, src->n_keypoints, dst->n_classes, dst->n_keypoints);
    return FALSE;
  }
  unsigned missing_src = heads & ~dd_maps_present (src);
  unsigned missing_dst = heads & ~dd_maps_present (dst);
  if (missing_src || missing_dst) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "maps of transform %s: the %s maps lack heads the ensemble needs "
        "(bit set 0x%x: 1 center, 2 size, 4 offset, 8 keypoint heatmap, "
        "16 keypoint offset)", name, missing_src ? "source" : "destination",
        missing_src ? missing_src : missing_dst);
    return FALSE;
  }
  if (t->flip && (heads & (DD_MAPS_KEYPOINT_HEATMAP | DD_MAPS_KEYPOINT_OFFSET))
      && src->n_keypoints > 0 && fm->n_keypoints != src->n_keypoints) {
    g_set_error (error, DD_DISTILL_ERROR, DD_DISTILL_ERROR_PASSES,
        "maps of flipped transform %s have %d keypoints, but the flip pairs "
        "were set up for %d", name, src->n_keypoints, fm->n_keypoints);
    return FALSE;
  }
  return TRUE;
}

static gboolean
resample_maps (const dd_tta_transform *t, const dd_flip_map *fm, point_map map,
    const length_map *len, const dd_head_maps *src, unsigned heads,
    dd_head_maps *dst, GError **error)
{
  if (!check_maps (t, fm, src, heads, dst, error))
    return FALSE;
  axis_plan px, py;
  plan_axis (&px, t, map, TRUE, dst->w, dst->stride, src->w, src->stride);
  plan_axis (&py, t, map, FALSE, dst->h, dst->stride, src->h, src->stride);
  size_t src_plane = (size_t) src->h * src->w, dst_plane = (size_t) dst->h * dst->w;
  double sx = len->sign_x * len->num_x / len->den_x, sy = len->num_y / len->den_y;

#define RESAMPLE(src_data, src_c, dst_data, dst_c, scale, bias)               \
  resample_plane ((src_data) + (src_c) * src_plane, src->w, &px, &py,        \
      (dst_data) + (dst_c) * dst_plane, dst->w, dst->h, (scale), (bias))

  if (heads & DD_MAPS_CENTER)
    for (int c = 0; c < src->n_classes; c++)
      RESAMPLE (src->center, c, dst->center, c, 1.0, 0.0);
  if (heads & DD_MAPS_SIZE) {
    RESAMPLE (src->size, 0, dst->size, 0, fabs (sx), 0.0);
    RESAMPLE (src->size, 1, dst->size, 1, sy, 0.0);
  }
  if (heads & DD_MAPS_OFFSET) {
    /* The centre is (offset - 0.5) * stride from its cell's centre: that
     * length maps like any other, then is re-expressed in destination
     * cells. Affine in the offset, so it commutes with the interpolation. */
    double kx = sx * src->stride / dst->stride, ky = sy * src->stride / dst->stride;
    RESAMPLE (src->offset, 0, dst->offset, 0, kx, 0.5 - 0.5 * kx);
    RESAMPLE (src->offset, 1, dst->offset, 1, ky, 0.5 - 0.5 * ky);
  }
  for (int k = 0; k < src->n_keypoints; k++) {
    int from = t->flip ? fm->partner[k] : k;
    if (heads & DD_MAPS_KEYPOINT_HEATMAP)
      RESAMPLE (src->keypoint_heatmap, from, dst->keypoint_heatmap, k, 1.0, 0.0);
    if (heads & DD_MAPS_KEYPOINT_OFFSET) {
      RESAMPLE (src->keypoint_offset, 2 * from, dst->keypoint_offset, 2 * k, sx, 0.0);
      RESAMPLE (src->keypoint_offset, 2 * from + 1, dst->keypoint_offset, 2 * k + 1,
          sy, 0.0);
    }
  }
#undef RESAMPLE
  plan_clear (&px);
  plan_clear (&py);
  return TRUE;
}

gboolean
dd_tta_maps_inverse (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_head_maps *src, unsigned heads, dd_head_maps *dst, GError **error)
{
  /* Destination (frame) cells are found in the source through the forward
   * map; lengths shrink by the scale. */
  length_map len = {
    .sign_x = t->flip ? -1.0 : 1.0,
    .num_x = t->frame_width, .den_x = t->width,
    .num_y = t->frame_height, .den_y = t->height,
  };
  return resample_maps (t, fm, dd_tta_point_forward, &len, src, heads, dst, error);
}

gboolean
dd_tta_maps_forward (const dd_tta_transform *t, const dd_flip_map *fm,
    const dd_head_maps *src, unsigned heads, dd_head_maps *dst, GError **error)
{
  length_map len = {
    .sign_x = t->flip ? -1.0 : 1.0,
    .num_x = t->width, .den_x = t->frame_width,
    .num_y = t->height, .den_y = t->frame_height,
  };
  return resample_maps (t, fm, dd_tta_point_inverse, &len, src, heads, dst, error);
}
