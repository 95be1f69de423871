/* Choosing the selection thresholds by count matching (the paper, section
 * 3): per class, the score threshold that makes the mean number of
 * automatic instances per unlabeled image equal the mean number of
 * annotated instances per labeled image; then one keypoint threshold that
 * makes the mean number of labelled keypoints per selected instance equal
 * the labeled set's.
 *
 * One streaming pass over the unlabeled corpus: each image's ensembled
 * candidates are added as they come (only their classes and scores are
 * kept, so memory grows with the candidates, not with the images or their
 * pixels), and the thresholds are decided at the end. With N unlabeled
 * images and a labeled mean m, the class threshold is the score of the
 * round(m N)-th best candidate, so the selected total is round(m N) up to
 * ties: within one instance of m N for the corpus.
 */
#ifndef DD_DISTILL_CALIBRATE_H
#define DD_DISTILL_CALIBRATE_H

#include <glib.h>

#include "data/coco.h"
#include "distill/thresholds.h"
#include "model/detection.h"

/* What the labeled set says, per network class. */
typedef struct dd_labeled_stats {
  int n_classes;
  char **class_names;           /* the network's, NULL-terminated */
  double *mean_instances;       /* non-crowd annotations per image */
  gboolean *has_keypoints;      /* its category lists keypoints */
  double mean_keypoints;        /* labelled (v > 0) keypoints per non-crowd
                                 * instance of the keypoint classes */
  int64_t n_images;
} dd_labeled_stats;

/* Matches the network's classes to the dataset's categories by name.
 * Fails, naming the class and the categories there are, when a class has no
 * category, or when the dataset has no images. */
gboolean dd_labeled_stats_from_coco (const dd_coco_dataset *ds,
    const char *const *class_names, int n_classes, dd_labeled_stats *out,
    GError **error);
void dd_labeled_stats_clear (dd_labeled_stats *s);

typedef struct dd_calibrator dd_calibrator;

/* For a network with n_classes classes and n_keypoints keypoints. */
dd_calibrator *dd_calibrator_new (int n_classes, int n_keypoints);
void dd_calibrator_free (dd_calibrator *c);

/* One unlabeled image and its candidates (its ensembled detections, before
 * any threshold). Fails, keeping nothing of the image, when a candidate's
 * class or keypoint count does not fit the network. */
gboolean dd_calibrator_add_image (dd_calibrator *c, const dd_detection *dets,
    int n, GError **error);
int64_t dd_calibrator_n_images (const dd_calibrator *c);
int64_t dd_calibrator_n_candidates (const dd_calibrator *c);

/* Decides the thresholds for what was added. Fails when `labeled` has
 * another number of classes, or no image was added. */
gboolean dd_calibrator_finish (dd_calibrator *c, const dd_labeled_stats *labeled,
    dd_thresholds *out, GError **error);

#endif
