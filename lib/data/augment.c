#include "data/augment.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (dd-augment-error-quark, dd_augment_error)

/* COCO person keypoints: 0 nose, then (left, right) eyes, ears, shoulders,
 * elbows, wrists, hips, knees, ankles. */
const int dd_coco_person_flip_pairs[8][2] = {
  { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 }, { 9, 10 }, { 11, 12 }, { 13, 14 },
  { 15, 16 },
};

/* ---- Transforms ---------------------------------------------------------- */

dd_transform
dd_transform_resize (int in_w, int in_h, int out_w, int out_h, gboolean flip)
{
  return (dd_transform) {
    .width = out_w, .height = out_h,
    .scale_x = (double) out_w / in_w, .scale_y = (double) out_h / in_h,
    .offset_x = 0.0, .offset_y = 0.0,
    .flip = flip,
  };
}

void
dd_transform_point (const dd_transform *t, double x, double y, double *u,
    double *v)
{
  double ux = t->scale_x * x + t->offset_x;
  *u = t->flip ? t->width - ux : ux;
  *v = t->scale_y * y + t->offset_y;
}

void
dd_transform_point_inverse (const dd_transform *t, double u, double v,
    double *x, double *y)
{
  double ux = t->flip ? t->width - u : u;
  *x = (ux - t->offset_x) / t->scale_x;
  *y = (v - t->offset_y) / t->scale_y;
}

/* Maps both corners; a flip exchanges which one is on the left. */
static void
map_box (const dd_transform *t, const double box[4], double out[4],
    void (*map) (const dd_transform *, double, double, double *, double *))
{
  double x0, y0, x1, y1;
  map (t, box[0], box[1], &x0, &y0);
  map (t, box[0] + box[2], box[1] + box[3], &x1, &y1);
  out[0] = MIN (x0, x1);
  out[1] = MIN (y0, y1);
  out[2] = fabs (x1 - x0);
  out[3] = fabs (y1 - y0);
}

void
dd_transform_box (const dd_transform *t, const double box[4], double out[4])
{
  map_box (t, box, out, dd_transform_point);
}

void
dd_transform_box_inverse (const dd_transform *t, const double box[4],
    double out[4])
{
  map_box (t, box, out, dd_transform_point_inverse);
}

gboolean
dd_flip_pairs_check (const int (*pairs)[2], int n_pairs, int n_keypoints,
    const char *what, GError **error)
{
  if (n_keypoints == 0)
    return TRUE;                /* an instance without keypoints has nothing to swap */
  guint8 *used = g_new0 (guint8, n_keypoints);
  gboolean ok = TRUE;
  for (int i = 0; i < n_pairs && ok; i++) {
    int a = pairs[i][0], b = pairs[i][1];
    if (a < 0 || b < 0 || a >= n_keypoints || b >= n_keypoints || a == b) {
      g_set_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_FLIP_PAIRS,
          "%s: flip pair %d is (%d, %d), but it has %d keypoints: a pair names "
          "two different 0-based keypoint indices below that", what, i, a, b,
          n_keypoints);
      ok = FALSE;
    } else if (used[a] || used[b]) {
      g_set_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_FLIP_PAIRS,
          "%s: flip pair %d (%d, %d) reuses a keypoint of an earlier pair; "
          "each keypoint has at most one mirror partner", what, i, a, b);
      ok = FALSE;
    } else {
      used[a] = used[b] = 1;
    }
  }
  g_free (used);
  return ok;
}

static void
swap_pairs (float *kp, const int (*pairs)[2], int n_pairs)
{
  for (int i = 0; i < n_pairs; i++) {
    float tmp[3];
    memcpy (tmp, kp + 3 * pairs[i][0], sizeof tmp);
    memcpy (kp + 3 * pairs[i][0], kp + 3 * pairs[i][1], sizeof tmp);
    memcpy (kp + 3 * pairs[i][1], tmp, sizeof tmp);
  }
}

void
dd_transform_keypoints (const dd_transform *t, const float *in, float *out,
    int n_keypoints, const int (*flip_pairs)[2], int n_flip_pairs)
{
  for (int k = 0; k < n_keypoints; k++) {
    const float *p = in + 3 * k;
    float *q = out + 3 * k;
    double u = 0.0, v = 0.0;
    if (p[2] > 0.0f)
      dd_transform_point (t, p[0], p[1], &u, &v);
    if (p[2] > 0.0f && u >= 0.0 && u < t->width && v >= 0.0 && v < t->height) {
      q[0] = (float) u;
      q[1] = (float) v;
      q[2] = p[2];
    } else {
      q[0] = q[1] = q[2] = 0.0f;
    }
  }
  if (t->flip && n_keypoints > 0)
    swap_pairs (out, flip_pairs, n_flip_pairs);
}

void
dd_transform_keypoints_inverse (const dd_transform *t, const float *in,
    float *out, int n_keypoints, const int (*flip_pairs)[2], int n_flip_pairs)
{
  if (out != in)
    memcpy (out, in, sizeof (float) * 3 * n_keypoints);
  if (t->flip && n_keypoints > 0)
    swap_pairs (out, flip_pairs, n_flip_pairs);
  for (int k = 0; k < n_keypoints; k++) {
    float *q = out + 3 * k;
    if (q[2] > 0.0f) {
      double x, y;
      dd_transform_point_inverse (t, q[0], q[1], &x, &y);
      q[0] = (float) x;
      q[1] = (float) y;
    }
  }
}

gboolean
dd_transform_annotation (const dd_transform *t, const dd_coco_annotation *in,
    dd_coco_annotation *out, const int (*flip_pairs)[2], int n_flip_pairs,
    double min_box_side)
{
  double box[4];
  dd_transform_box (t, in->bbox, box);
  double x0 = CLAMP (box[0], 0.0, (double) t->width);
  double y0 = CLAMP (box[1], 0.0, (double) t->height);
  double x1 = CLAMP (box[0] + box[2], 0.0, (double) t->width);
  double y1 = CLAMP (box[1] + box[3], 0.0, (double) t->height);
  if (x1 - x0 < min_box_side || y1 - y0 < min_box_side || x1 <= x0 || y1 <= y0)
    return FALSE;
  double full = box[2] * box[3];
  double kept = (x1 - x0) * (y1 - y0);
  *out = *in;
  out->bbox[0] = x0;
  out->bbox[1] = y0;
  out->bbox[2] = x1 - x0;
  out->bbox[3] = y1 - y0;
  /* The mask is unknown here: the part of the area inside the output is
   * taken in proportion to the part of the box kept. */
  out->area = in->area * t->scale_x * t->scale_y * (full > 0.0 ? kept / full : 1.0);
  out->segmentation = NULL;
  out->keypoints = NULL;
  out->num_keypoints = 0;
  if (in->n_keypoints > 0) {
    out->keypoints = g_new (float, 3 * in->n_keypoints);
    dd_transform_keypoints (t, in->keypoints, out->keypoints, in->n_keypoints,
        flip_pairs, n_flip_pairs);
    for (int k = 0; k < in->n_keypoints; k++)
      out->num_keypoints += out->keypoints[3 * k + 2] > 0.0f;
  }
  return TRUE;
}

dd_image *
dd_transform_image (const dd_transform *t, const dd_image *img,
    const uint8_t fill[3], GError **error)
{
  /* Checked before the coordinate tables, which an absurd size would make
   * too large to allocate. */
  if (!dd_image_check_size (t->width, t->height, error))
    return NULL;
  /* The map is separable: column u's source x does not depend on the row. */
  double *xs = g_new (double, t->width);
  double *ys = g_new (double, t->height);
  double unused;
  for (int u = 0; u < t->width; u++)
    dd_transform_point_inverse (t, u + 0.5, 0.5, &xs[u], &unused);
  for (int v = 0; v < t->height; v++)
    dd_transform_point_inverse (t, 0.5, v + 0.5, &unused, &ys[v]);
  dd_image *out = dd_image_sample_grid (img, xs, t->width, ys, t->height, fill,
      error);
  g_free (xs);
  g_free (ys);
  return out;
}

/* ---- Random augmentation ------------------------------------------------- */

void
dd_augment_params_init (dd_augment_params *p, int width, int height)
{
  *p = (dd_augment_params) {
    .width = width, .height = height,
    .scale_min = 0.6, .scale_max = 1.4,
    .fill = { 124, 116, 104 },
    .flip_probability = 0.5,
    .flip_pairs = dd_coco_person_flip_pairs,
    .n_flip_pairs = DD_COCO_PERSON_N_FLIP_PAIRS,
    .brightness = 0.4, .contrast = 0.4, .saturation = 0.4,
    .min_box_side = 1.0,
  };
}

static gboolean
param_fails (GError **error, gboolean bad, const char *field, double value,
    const char *range)
{
  if (bad)
    g_set_error (error, DD_AUGMENT_ERROR, DD_AUGMENT_ERROR_PARAMS,
        "augmentation parameter %s = %g is out of range: %s", field, value, range);
  return bad;
}

gboolean
dd_augment_params_check (const dd_augment_params *p, GError **error)
{
  gboolean size_ok = p->width > 0 && p->height > 0
      && (int64_t) p->width * p->height <= DD_IMAGE_MAX_PIXELS;
  if (param_fails (error, !size_ok, "width x height",
          (double) p->width * p->height, "both sides positive, the area at most "
          "DD_IMAGE_MAX_PIXELS")
      || param_fails (error, !(p->scale_min > 0.0), "scale_min", p->scale_min,
          "positive")
      || param_fails (error, !(p->scale_max >= p->scale_min && isfinite (p->scale_max)),
          "scale_max", p->scale_max, "finite and at least scale_min")
      || param_fails (error, !(p->flip_probability >= 0.0 && p->flip_probability <= 1.0),
          "flip_probability", p->flip_probability, "0 to 1")
      || param_fails (error, !(p->brightness >= 0.0 && p->brightness <= 1.0),
          "brightness", p->brightness, "0 to 1")
      || param_fails (error, !(p->contrast >= 0.0 && p->contrast <= 1.0),
          "contrast", p->contrast, "0 to 1")
      || param_fails (error, !(p->saturation >= 0.0 && p->saturation <= 1.0),
          "saturation", p->saturation, "0 to 1")
      || param_fails (error, !(p->min_box_side >= 0.0), "min_box_side",
          p->min_box_side, "0 or more")
      || param_fails (error, p->n_flip_pairs < 0
          || (p->n_flip_pairs > 0 && p->flip_pairs == NULL), "n_flip_pairs",
          p->n_flip_pairs, "0, or the number of pairs in flip_pairs"))
    return FALSE;
  return TRUE;
}

static double
uniform (dd_rng *rng, double lo, double hi)
{
  return lo + (hi - lo) * (double) dd_rng_uniform (rng);
}

dd_transform
dd_augment_draw_transform (const dd_augment_params *p, dd_rng *rng,
    int in_width, int in_height)
{
  double fit = MIN ((double) p->width / in_width, (double) p->height / in_height);
  double scale = fit * uniform (rng, p->scale_min, p->scale_max);
  double slack_x = p->width - scale * in_width;
  double slack_y = p->height - scale * in_height;
  dd_transform t = {
    .width = p->width, .height = p->height,
    .scale_x = scale, .scale_y = scale,
  };
  t.offset_x = uniform (rng, MIN (0.0, slack_x), MAX (0.0, slack_x));
  t.offset_y = uniform (rng, MIN (0.0, slack_y), MAX (0.0, slack_y));
  t.flip = dd_rng_uniform (rng) < p->flip_probability;
  return t;
}

static double
grey (double r, double g, double b)
{
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

static double
clamp255 (double v)
{
  return CLAMP (v, 0.0, 255.0);
}

/* torchvision's ColorJitter arithmetic in a fixed order, clamping after each
 * step. Brightness and contrast act on each value alone, so they become
 * tables over the 256 input values; the contrast blend needs the mean grey
 * of the brightened image first, hence two passes. */
void
dd_augment_jitter_colour (const dd_augment_params *p, dd_rng *rng, dd_image *img)
{
  double b = uniform (rng, 1.0 - p->brightness, 1.0 + p->brightness);
  double c = uniform (rng, 1.0 - p->contrast, 1.0 + p->contrast);
  double s = uniform (rng, 1.0 - p->saturation, 1.0 + p->saturation);
  double bright[256], adjusted[256];
  for (int v = 0; v < 256; v++)
    bright[v] = clamp255 (b * v);
  size_t n = (size_t) img->width * img->height;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *px = img->data + 3 * i;
    sum += grey (bright[px[0]], bright[px[1]], bright[px[2]]);
  }
  double mean = sum / (double) n;
  for (int v = 0; v < 256; v++)
    adjusted[v] = clamp255 (c * bright[v] + (1.0 - c) * mean);
  for (size_t i = 0; i < n; i++) {
    uint8_t *px = img->data + 3 * i;
    double r = adjusted[px[0]], g = adjusted[px[1]], bl = adjusted[px[2]];
    double y = (1.0 - s) * grey (r, g, bl);
    px[0] = (uint8_t) (clamp255 (s * r + y) + 0.5);
    px[1] = (uint8_t) (clamp255 (s * g + y) + 0.5);
    px[2] = (uint8_t) (clamp255 (s * bl + y) + 0.5);
  }
}

static void
clear_annotation (gpointer data)
{
  dd_coco_annotation *a = data;
  g_free (a->keypoints);
}

gboolean
dd_augment (const dd_augment_params *p, dd_rng *rng, const dd_image *img,
    const dd_coco_annotation *anns, int n_anns, dd_augment_result *result,
    GError **error)
{
  memset (result, 0, sizeof *result);
  if (!dd_augment_params_check (p, error))
    return FALSE;
  for (int i = 0; i < n_anns; i++) {
    char *what = g_strdup_printf ("annotation %" G_GINT64_FORMAT " (image %"
        G_GINT64_FORMAT ")", anns[i].id, anns[i].image_id);
    gboolean ok = dd_flip_pairs_check (p->flip_pairs, p->n_flip_pairs,
        anns[i].n_keypoints, what, error);
    g_free (what);
    if (!ok)
      return FALSE;
  }
  result->transform = dd_augment_draw_transform (p, rng, img->width, img->height);
  result->image = dd_transform_image (&result->transform, img, p->fill, error);
  if (result->image == NULL)
    return FALSE;
  result->annotations = g_array_sized_new (FALSE, FALSE,
      sizeof (dd_coco_annotation), (guint) n_anns);
  g_array_set_clear_func (result->annotations, clear_annotation);
  for (int i = 0; i < n_anns; i++) {
    dd_coco_annotation out;
    if (dd_transform_annotation (&result->transform, &anns[i], &out,
            p->flip_pairs, p->n_flip_pairs, p->min_box_side))
      g_array_append_val (result->annotations, out);
    else
      result->n_dropped++;
  }
  dd_augment_jitter_colour (p, rng, result->image);
  return TRUE;
}

void
dd_augment_result_clear (dd_augment_result *result)
{
  dd_image_free (result->image);
  if (result->annotations)
    g_array_unref (result->annotations);
  memset (result, 0, sizeof *result);
}
