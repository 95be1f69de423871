#include "predict_set.h"

#include <stdio.h>
#include <unistd.h>

#include "model/detection.h"

/* One line, redrawn on a terminal; otherwise the end only. */
static void
show (const char *title, guint done, guint total, int transforms, gint64 start,
    gboolean live)
{
  gboolean last = done == total;
  if (!live && !last)
    return;
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  double rate = seconds > 0 ? done / seconds : 0;
  fprintf (stderr, "%s  %-9s image %u/%u  %.1f img/s  (%d transform%s each)%s",
      live ? "\r\033[K" : "", title, done, total, rate, transforms,
      transforms == 1 ? "" : "s", last ? "\n" : "");
}

gboolean
dd_predict_set (dd_tta_predictor *p, const dd_coco_dataset *ds, const char *title,
    dd_predict_set_fn fn, void *user, GError **error)
{
  gboolean live = isatty (fileno (stderr));
  gint64 start = g_get_monotonic_time (), last_print = 0;
  GArray *dets = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  gboolean ok = TRUE;
  guint n = ds->images->len;
  for (guint i = 0; i < n && ok; i++) {
    const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, i);
    g_autofree char *path = g_build_filename (ds->image_dir ? ds->image_dir : ".",
        im->file_name, NULL);
    dd_image *img = dd_image_load (path, error);
    if (img && (img->width != im->width || img->height != im->height)) {
      /* The results are in the stated size's coordinates. */
      g_set_error (error, DD_COCO_ERROR, DD_COCO_ERROR_FIELD, "image %" G_GINT64_FORMAT
          ": %s is %dx%d but its dataset says %dx%d, so its detections would be "
          "misplaced; correct the dataset's width and height", im->id, path, img->width,
          img->height, im->width, im->height);
      g_clear_pointer (&img, dd_image_free);
    }
    g_array_set_size (dets, 0);
    ok = img && dd_tta_predictor_run (p, img, dets, error) && fn (i, dets, user, error);
    dd_image_free (img);
    gint64 now = g_get_monotonic_time ();
    if (ok && (i + 1 == n || (live && now - last_print > 200000))) {
      show (title, i + 1, n, dd_tta_predictor_n_transforms (p), start, live);
      last_print = now;
    }
  }
  if (!ok && live && last_print)
    fputc ('\n', stderr);
  g_array_unref (dets);
  return ok;
}
