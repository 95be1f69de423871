/* Contact sheets: generated frames side by side with their ground truth
 * drawn over them (box, skeleton, keypoints coloured by visibility), so a
 * reader sees what the generator makes and what its labels say. */
#ifndef DD_DATA_SYNTH_SHEET_H
#define DD_DATA_SYNTH_SHEET_H

#include <cairo.h>

#include "data/synth_render.h"

/* Draws the labels of `truth` onto cr, coordinates multiplied by `zoom`:
 * a box per person, the COCO skeleton between keypoints with v > 0, and
 * each keypoint as a dot: green when visible (v = 2), orange when occluded
 * (v = 1); v = 0 keypoints are not drawn. */
void dd_synth_draw_truth (cairo_t *cr, const dd_frame_truth *truth, double zoom);

typedef struct dd_synth_sheet dd_synth_sheet;

/* A sheet `columns` frames wide; every frame is drawn `zoom` times its size
 * (nearest neighbour) in a cell sized for the largest frame. */
dd_synth_sheet *dd_synth_sheet_new (int columns, double zoom);
/* Starts a new row with a title line. */
void dd_synth_sheet_heading (dd_synth_sheet *sheet, const char *title);
/* Adds a frame (the sheet takes a reference) and draws its truth on it,
 * if given. */
void dd_synth_sheet_add (dd_synth_sheet *sheet, cairo_surface_t *frame,
    const dd_frame_truth *truth);
/* Lays the sheet out and frees it. */
cairo_surface_t *dd_synth_sheet_finish (dd_synth_sheet *sheet);

#endif
