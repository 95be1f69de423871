/* Contact sheets of generated frames with their labels. */
#include "synth_sheet.h"

#include <glib.h>
#include <math.h>

void
dd_synth_draw_truth (cairo_t *cr, const dd_frame_truth *truth, double zoom)
{
  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (int i = 0; i < truth->n; i++) {
    const dd_person_label *l = &truth->labels[i];
    const float *kp = l->keypoints;
    cairo_set_line_width (cr, 1.0);
    cairo_set_source_rgba (cr, 1, 1, 1, 0.8);
    cairo_rectangle (cr, l->bbox[0] * zoom + 0.5, l->bbox[1] * zoom + 0.5,
        l->bbox[2] * zoom - 1, l->bbox[3] * zoom - 1);
    cairo_stroke (cr);
    /* Left limbs blue, right limbs red, the middle yellow. */
    cairo_set_line_width (cr, 1.5);
    for (int e = 0; e < DD_SKELETON_EDGES; e++) {
      int a = dd_skeleton[e][0] - 1, b = dd_skeleton[e][1] - 1;
      if (kp[3 * a + 2] <= 0 || kp[3 * b + 2] <= 0)
        continue;
      bool left = (a % 2 == 1) && (b % 2 == 1);
      bool right = (a > 0 && a % 2 == 0) && (b > 0 && b % 2 == 0);
      if (left)
        cairo_set_source_rgba (cr, 0.2, 0.55, 1, 0.9);
      else if (right)
        cairo_set_source_rgba (cr, 1, 0.25, 0.2, 0.9);
      else
        cairo_set_source_rgba (cr, 1, 0.9, 0.2, 0.9);
      cairo_move_to (cr, kp[3 * a] * zoom, kp[3 * a + 1] * zoom);
      cairo_line_to (cr, kp[3 * b] * zoom, kp[3 * b + 1] * zoom);
      cairo_stroke (cr);
    }
    for (int k = 0; k < DD_KP_COUNT; k++) {
      float v = kp[3 * k + 2];
      if (v <= 0)
        continue;
      cairo_new_sub_path (cr);
      cairo_arc (cr, kp[3 * k] * zoom, kp[3 * k + 1] * zoom, 2.2, 0, 2 * M_PI);
      if (v >= 2)
        cairo_set_source_rgb (cr, 0.1, 0.95, 0.2);
      else
        cairo_set_source_rgb (cr, 1, 0.55, 0);
      cairo_fill_preserve (cr);
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_set_line_width (cr, 0.6);
      cairo_stroke (cr);
    }
  }
  cairo_restore (cr);
}

typedef struct {
  cairo_surface_t *frame;       /* NULL for a heading */
  char *title;
  dd_frame_truth *truth;
} sheet_entry;

struct dd_synth_sheet {
  int columns;
  double zoom;
  GArray *entries;              /* sheet_entry */
};

dd_synth_sheet *
dd_synth_sheet_new (int columns, double zoom)
{
  dd_synth_sheet *s = g_new0 (dd_synth_sheet, 1);
  s->columns = columns > 0 ? columns : 1;
  s->zoom = zoom > 0 ? zoom : 1;
  s->entries = g_array_new (FALSE, TRUE, sizeof (sheet_entry));
  return s;
}

void
dd_synth_sheet_heading (dd_synth_sheet *sheet, const char *title)
{
  sheet_entry e = { .title = g_strdup (title) };
  g_array_append_val (sheet->entries, e);
}

void
dd_synth_sheet_add (dd_synth_sheet *sheet, cairo_surface_t *frame,
    const dd_frame_truth *truth)
{
  sheet_entry e = { .frame = cairo_surface_reference (frame),
    .truth = truth ? g_memdup2 (truth, sizeof *truth) : NULL };
  g_array_append_val (sheet->entries, e);
}

enum { GAP = 6, TITLE = 22 };

cairo_surface_t *
dd_synth_sheet_finish (dd_synth_sheet *sheet)
{
  int cw = 0, ch = 0;
  for (guint i = 0; i < sheet->entries->len; i++) {
    sheet_entry *e = &g_array_index (sheet->entries, sheet_entry, i);
    if (e->frame) {
      cw = MAX (cw, (int) ceil (cairo_image_surface_get_width (e->frame) * sheet->zoom));
      ch = MAX (ch, (int) ceil (cairo_image_surface_get_height (e->frame) * sheet->zoom));
    }
  }
  /* Lay out: a heading ends the current row; frames fill rows. */
  int height = GAP, col = 0;
  for (guint i = 0; i < sheet->entries->len; i++) {
    sheet_entry *e = &g_array_index (sheet->entries, sheet_entry, i);
    if (!e->frame) {
      height += (col > 0 ? ch + GAP : 0) + TITLE;
      col = 0;
    } else if (++col == sheet->columns) {
      height += ch + GAP;
      col = 0;
    }
  }
  height += col > 0 ? ch + GAP : 0;
  int width = GAP + sheet->columns * (cw + GAP);

  cairo_surface_t *out = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      width, height);
  cairo_t *cr = cairo_create (out);
  cairo_set_source_rgb (cr, 0.12, 0.12, 0.14);
  cairo_paint (cr);
  int y = GAP;
  col = 0;
  for (guint i = 0; i < sheet->entries->len; i++) {
    sheet_entry *e = &g_array_index (sheet->entries, sheet_entry, i);
    if (!e->frame) {
      if (col > 0)
        y += ch + GAP;
      col = 0;
      cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
      cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
          CAIRO_FONT_WEIGHT_BOLD);
      cairo_set_font_size (cr, 14);
      cairo_move_to (cr, GAP, y + 15);
      cairo_show_text (cr, e->title);
      y += TITLE;
      g_free (e->title);
      continue;
    }
    int x = GAP + col * (cw + GAP);
    cairo_save (cr);
    cairo_translate (cr, x, y);
    cairo_save (cr);
    cairo_scale (cr, sheet->zoom, sheet->zoom);
    cairo_set_source_surface (cr, e->frame, 0, 0);
    cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
    cairo_paint (cr);
    cairo_restore (cr);
    if (e->truth)
      dd_synth_draw_truth (cr, e->truth, sheet->zoom);
    cairo_restore (cr);
    cairo_surface_destroy (e->frame);
    g_free (e->truth);
    if (++col == sheet->columns) {
      y += ch + GAP;
      col = 0;
    }
  }
  cairo_destroy (cr);
  g_array_free (sheet->entries, TRUE);
  g_free (sheet);
  return out;
}
