#include "predict_sheet.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "png_file.h"

#define CAPTION_HEIGHT 14
#define MARGIN 4

struct dd_predict_sheet {
  int columns;
  double zoom;
  float min_score, keypoint_threshold;
  int n_skeleton;
  int (*skeleton)[2];
  GPtrArray *cells;             /* cairo_surface_t, each image already drawn on */
};

dd_predict_sheet *
dd_predict_sheet_new (const dd_detector *det, int columns, double zoom, float min_score,
                      float keypoint_threshold)
{
  dd_predict_sheet *s = g_new0 (dd_predict_sheet, 1);
  s->columns = MAX (columns, 1);
  s->zoom = zoom > 0 ? zoom : 1;
  s->min_score = min_score;
  s->keypoint_threshold = keypoint_threshold;
  s->n_skeleton = det->n_skeleton;
  s->skeleton = g_memdup2 (det->skeleton, sizeof *det->skeleton * MAX (det->n_skeleton, 1));
  s->cells = g_ptr_array_new_with_free_func ((GDestroyNotify) cairo_surface_destroy);
  return s;
}

int
dd_predict_sheet_count (const dd_predict_sheet *sheet)
{
  return (int) sheet->cells->len;
}

static cairo_surface_t *
surface_of (const dd_image *img, double zoom)
{
  int w = (int) lround (img->width * zoom), h = (int) lround (img->height * zoom);
  cairo_surface_t *frame = cairo_image_surface_create (CAIRO_FORMAT_RGB24, img->width,
                                                       img->height);
  unsigned char *data = cairo_image_surface_get_data (frame);
  int stride = cairo_image_surface_get_stride (frame);
  cairo_surface_flush (frame);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      const uint8_t *p = img->data + 3 * ((size_t) y * img->width + x);
      *(uint32_t *) (data + (size_t) y * stride + 4 * x) =
          (uint32_t) p[0] << 16 | (uint32_t) p[1] << 8 | p[2];
    }
  cairo_surface_mark_dirty (frame);
  cairo_surface_t *cell = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w,
                                                      h + CAPTION_HEIGHT);
  cairo_t *cr = cairo_create (cell);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  cairo_paint (cr);
  cairo_scale (cr, zoom, zoom);
  cairo_set_source_surface (cr, frame, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (frame);
  return cell;
}

static void
draw_truth (cairo_t *cr, const dd_coco_annotation *truth, int n, double zoom)
{
  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.7);
  const double dash[] = { 3.0, 3.0 };
  cairo_set_dash (cr, dash, 2, 0);
  for (int i = 0; i < n; i++) {
    const double *b = truth[i].bbox;
    cairo_rectangle (cr, b[0] * zoom, b[1] * zoom, b[2] * zoom, b[3] * zoom);
    cairo_stroke (cr);
  }
  cairo_set_dash (cr, NULL, 0, 0);
}

/* Left keypoints (odd COCO indices) blue, right ones red, the nose yellow;
 * a keypoint the heatmap saw is a filled dot, one placed by the regression
 * alone an empty ring. */
static void
set_side_colour (cairo_t *cr, int k, double alpha)
{
  if (k == 0)
    cairo_set_source_rgba (cr, 1, 0.9, 0.2, alpha);
  else if (k % 2 == 1)
    cairo_set_source_rgba (cr, 0.25, 0.6, 1, alpha);
  else
    cairo_set_source_rgba (cr, 1, 0.3, 0.25, alpha);
}

static void
draw_detection (dd_predict_sheet *s, cairo_t *cr, const dd_detection *d)
{
  double z = s->zoom;
  cairo_set_line_width (cr, 1.5);
  cairo_set_source_rgba (cr, 0.2, 1, 0.3, 0.9);
  cairo_rectangle (cr, d->box[0] * z, d->box[1] * z, (d->box[2] - d->box[0]) * z,
                   (d->box[3] - d->box[1]) * z);
  cairo_stroke (cr);
  char score[16];
  snprintf (score, sizeof score, "%.2f", d->score);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, d->box[0] * z + 2, d->box[1] * z + 10);
  cairo_show_text (cr, score);
  cairo_set_line_width (cr, 1.5);
  for (int e = 0; e < s->n_skeleton; e++) {
    int a = s->skeleton[e][0] - 1, b = s->skeleton[e][1] - 1;
    if (a >= d->n_keypoints || b >= d->n_keypoints)
      continue;
    set_side_colour (cr, a == 0 || b == 0 ? 0 : MIN (a, b), 0.8);
    cairo_move_to (cr, d->keypoints[a].x * z, d->keypoints[a].y * z);
    cairo_line_to (cr, d->keypoints[b].x * z, d->keypoints[b].y * z);
    cairo_stroke (cr);
  }
  for (int k = 0; k < d->n_keypoints; k++) {
    cairo_new_sub_path (cr);
    cairo_arc (cr, d->keypoints[k].x * z, d->keypoints[k].y * z, 2.5, 0, 2 * G_PI);
    set_side_colour (cr, k, 1.0);
    if (d->keypoints[k].score >= s->keypoint_threshold) {
      cairo_fill (cr);
    } else {
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
    }
  }
}

void
dd_predict_sheet_add (dd_predict_sheet *s, const dd_image *img, const dd_detection *dets,
                      int n, const dd_coco_annotation *truth, int n_truth)
{
  cairo_surface_t *cell = surface_of (img, s->zoom);
  cairo_t *cr = cairo_create (cell);
  if (truth)
    draw_truth (cr, truth, n_truth, s->zoom);
  int shown = 0;
  for (int i = 0; i < n; i++)
    if (dets[i].score >= s->min_score) {
      draw_detection (s, cr, &dets[i]);
      shown++;
    }
  char caption[96];
  if (truth)
    snprintf (caption, sizeof caption, "%d detected (score >= %.2f), %d labelled", shown,
              s->min_score, n_truth);
  else
    snprintf (caption, sizeof caption, "%d detected (score >= %.2f)", shown, s->min_score);
  cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, 2, cairo_image_surface_get_height (cell) - 3);
  cairo_show_text (cr, caption);
  cairo_destroy (cr);
  g_ptr_array_add (s->cells, cell);
}

void
dd_predict_sheet_free (dd_predict_sheet *s)
{
  if (!s)
    return;
  g_ptr_array_unref (s->cells);
  g_free (s->skeleton);
  g_free (s);
}

gboolean
dd_predict_sheet_write (const dd_predict_sheet *s, const char *path, GError **error)
{
  int cell_w = 1, cell_h = 1;
  for (guint i = 0; i < s->cells->len; i++) {
    cairo_surface_t *c = g_ptr_array_index (s->cells, i);
    cell_w = MAX (cell_w, cairo_image_surface_get_width (c));
    cell_h = MAX (cell_h, cairo_image_surface_get_height (c));
  }
  int n = (int) s->cells->len;
  int columns = MIN (s->columns, MAX (n, 1)), rows = (n + columns - 1) / columns;
  cairo_surface_t *out = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      MARGIN + columns * (cell_w + MARGIN), MARGIN + MAX (rows, 1) * (cell_h + MARGIN));
  cairo_t *cr = cairo_create (out);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_paint (cr);
  for (int i = 0; i < n; i++) {
    cairo_set_source_surface (cr, g_ptr_array_index (s->cells, i),
                              MARGIN + (i % columns) * (cell_w + MARGIN),
                              MARGIN + (i / columns) * (cell_h + MARGIN));
    cairo_paint (cr);
  }
  cairo_destroy (cr);
  gboolean ok = dd_png_save (out, path, error);
  cairo_surface_destroy (out);
  return ok;
}
