/* `ddistill predict --draw`: a contact sheet of images with the detections
 * drawn over them (and the ground truth, when the images come from a
 * dataset), so a reader sees what the model gets right and wrong. */
#ifndef DD_TOOLS_PREDICT_SHEET_H
#define DD_TOOLS_PREDICT_SHEET_H

#include <glib.h>

#include "data/coco.h"
#include "data/image.h"
#include "model/detection.h"
#include "model/detector.h"

typedef struct dd_predict_sheet dd_predict_sheet;

/* `columns` images per row, each drawn `zoom` times its size; detections
 * scored below min_score are left out. The skeleton is the detector's. */
dd_predict_sheet *dd_predict_sheet_new (const dd_detector *det, int columns, double zoom,
                                        float min_score, float keypoint_threshold);
/* Adds an image with its detections (in its pixels) and, when truth is
 * not NULL, its n_truth ground-truth annotations. */
void dd_predict_sheet_add (dd_predict_sheet *sheet, const dd_image *img,
                           const dd_detection *dets, int n,
                           const dd_coco_annotation *truth, int n_truth);
int dd_predict_sheet_count (const dd_predict_sheet *sheet);
/* Lays the sheet out and writes it as PNG. */
gboolean dd_predict_sheet_write (const dd_predict_sheet *sheet, const char *path,
                                 GError **error);
void dd_predict_sheet_free (dd_predict_sheet *sheet);

#endif
