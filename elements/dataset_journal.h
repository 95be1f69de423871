/* A dataset folder written frame by frame so that a crash loses nothing
 * that was reported written, and a restart neither repeats nor loses a
 * frame: dddatasetsink's storage.
 *
 *   DIR/images/00000001.jpg ...    one image per frame, id-numbered
 *   DIR/journal.jsonl              the header line, then one line per frame
 *   DIR/<coco file>                written from the journal by _finish
 *
 * Writing a frame: its image goes to a temporary file, flushed to disk and
 * renamed into place; then one line (the frame's identity, its image entry
 * and annotations) is appended to the journal in one write and flushed to
 * disk. Only then is the frame counted as written, and kept in memory:
 * calibration and the COCO file read the frames from there, and the
 * journal is read back only by _open, when a run resumes it (the line's
 * format: journal_line.h). After a crash, the journal ends with at most
 * one torn line, which _open cuts off; an image without its line is an
 * orphan that the same frame, written again under the same id, replaces. The COCO file is produced by _finish, atomically
 * (lib/data's streaming writer), from the journal's frames alone.
 *
 * The header records the categories and the dataset-level provenance; a
 * journal is only continued with the same ones, so a dataset never mixes
 * labels made two ways.
 */
#ifndef DD_ELEMENTS_DATASET_JOURNAL_H
#define DD_ELEMENTS_DATASET_JOURNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "data/coco.h"
#include "data/image.h"
#include "distill/thresholds.h"
#include "model/detection.h"

typedef struct dd_dataset_journal dd_dataset_journal;

#define DD_JOURNAL_NAME "journal.jsonl"
#define DD_JOURNAL_IMAGE_DIR "images"

typedef struct dd_journal_annotation {
  int category_id;
  double bbox[4];               /* x, y, w, h in the image's pixels */
  gboolean has_score;
  float score;                  /* the detection's, as the model gave it */
  int n_keypoints;              /* 0, or the category's keypoint count */
  float keypoints[3 * DD_MAX_KEYPOINTS];        /* x, y, v */
  float keypoint_scores[DD_MAX_KEYPOINTS];      /* kept in the journal only */
} dd_journal_annotation;

typedef struct dd_journal_frame {
  const char *source_uri;       /* identity: URI and timestamp */
  guint64 timestamp_ns;
  gint64 frame_index;           /* -1 unknown */
  const dd_image *image;
  const dd_journal_annotation *annotations;
  int n_annotations;
} dd_journal_frame;

/* Opens DIR (created if need be) for writing: a new journal with `header`
 * (a JSON object: categories and provenance, kept verbatim), or, when one
 * exists and `resume`, that journal, whose header must equal `header`.
 * `image_extension`: "jpg" or "png"; `jpeg_quality` 1..100. Fails, naming
 * the file and what to do, when the journal is damaged before its last
 * line, was written with another header, or exists and !resume. */
dd_dataset_journal *dd_dataset_journal_open (const char *dir,
    JsonNode *header, const char *image_extension, int jpeg_quality,
    gboolean resume, GError **error);
void dd_dataset_journal_close (dd_dataset_journal *j);

/* Frames in the journal (written by this run or an earlier one), and
 * whether it holds a frame. */
guint64 dd_dataset_journal_count (const dd_dataset_journal *j);
gboolean dd_dataset_journal_contains (const dd_dataset_journal *j,
    const char *source_uri, guint64 timestamp_ns);
/* The bytes of a torn last line that _open cut off (0: the journal was
 * whole). */
guint64 dd_dataset_journal_torn_bytes (const dd_dataset_journal *j);

/* Writes the frame's image and journal line (see above); returns the
 * image's file name relative to DIR, or NULL with an error naming the
 * file. The frame must not be in the journal yet. */
char *dd_dataset_journal_append (dd_dataset_journal *j,
    const dd_journal_frame *frame, GError **error);

/* Calls `fn` with every frame's annotations in the journal, in order, as
 * the detections they were made from (class: the position of their
 * category in `categories`, -1 when it is not there; box corners; score;
 * keypoints with their scores): the candidates that calibration counts. */
gboolean dd_dataset_journal_each_frame (dd_dataset_journal *j,
    const dd_coco_dataset *categories,
    gboolean (*fn) (const dd_detection *candidates, int n, void *user,
        GError **error), void *user, GError **error);

/* Writes DIR/coco_name from the journal, atomically: images in journal
 * order with ids 1, 2, ..., annotations numbered in the same order, the
 * categories given (they must be those of the header), and the header's
 * provenance. With `select`, only the annotations passing its class
 * thresholds are written, keypoints below its keypoint score as not
 * labelled (0, 0, 0) and the others visible, and the thresholds join the
 * provenance (its "thresholds" member). */
gboolean dd_dataset_journal_finish (dd_dataset_journal *j,
    const char *coco_name, const dd_coco_dataset *categories,
    const dd_thresholds *select, GError **error);

#endif
