#include "model/predict.h"

#include "model/model_error.h"

dd_transform
dd_letterbox (int in_w, int in_h, int out_w, int out_h)
{
  double scale = MIN ((double) out_w / in_w, (double) out_h / in_h);
  return (dd_transform) {
    .width = out_w, .height = out_h,
    .scale_x = scale, .scale_y = scale,
    .offset_x = (out_w - scale * in_w) / 2.0,
    .offset_y = (out_h - scale * in_h) / 2.0,
  };
}

void
dd_detection_map_back (const dd_transform *t, dd_detection *d)
{
  double x1, y1, x2, y2;
  dd_transform_point_inverse (t, d->box[0], d->box[1], &x1, &y1);
  dd_transform_point_inverse (t, d->box[2], d->box[3], &x2, &y2);
  d->box[0] = (float) x1;
  d->box[1] = (float) y1;
  d->box[2] = (float) x2;
  d->box[3] = (float) y2;
  for (int k = 0; k < d->n_keypoints; k++) {
    double x, y;
    dd_transform_point_inverse (t, d->keypoints[k].x, d->keypoints[k].y, &x, &y);
    d->keypoints[k].x = (float) x;
    d->keypoints[k].y = (float) y;
  }
}

gboolean
dd_predict_images (dd_detector *det, dd_image *const *images, int n,
                   const dd_decode_params *p, dd_detection **out, int *counts,
                   GError **error)
{
  dd_shape in = dd_net_input_shape (det->net);
  size_t plane = (size_t) 3 * in.h * in.w;
  float *input = g_try_new0 (float, plane * in.n);
  dd_transform *t = g_new (dd_transform, MAX (n, 1));
  if (!input) {
    g_free (t);
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
                 "out of memory for a batch of %d images of %dx%d", in.n, in.w, in.h);
    return FALSE;
  }
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++) {
    t[i] = dd_letterbox (images[i]->width, images[i]->height, in.w, in.h);
    dd_image *boxed = dd_transform_image (&t[i], images[i], dd_detector_fill, error);
    ok = boxed != NULL;
    if (boxed)
      dd_detector_image_to_input (boxed, input + plane * i);
    dd_image_free (boxed);
  }
  char err[1024];
  if (ok && dd_detector_forward (det, input, 0, err, sizeof err)) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK, "%s", err);
    ok = FALSE;
  }
  for (int i = 0; i < n && ok; i++) {
    counts[i] = dd_decode (&dd_detector_maps (det)->maps[i], p, out[i]);
    if (counts[i] < 0) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
                   "out of memory decoding image %d", i);
      ok = FALSE;
    }
    for (int j = 0; ok && j < counts[i]; j++)
      dd_detection_map_back (&t[i], &out[i][j]);
  }
  g_free (t);
  g_free (input);
  return ok;
}
