/* One frame's line of the dataset journal (dataset_journal.h): written by
 * hand in the fewest characters that give back the same values, and read
 * back with json-glib only when a run resumes a journal.
 *
 *   {"id":1,"file_name":"images/00000001.jpg","width":W,"height":H,
 *    "source_uri":"..." or null,"timestamp_ns":T,"frame_index":I,
 *    "annotations":[{"category_id":C,"bbox":[x,y,w,h],"score":S,
 *      "keypoints":[x,y,v,...],"keypoint_scores":[s,...]},...]}
 *
 * float32 values (score, keypoints, their scores) are written with 9
 * significant digits, which name each float exactly; the box, a double,
 * with 17. A line read back gives the very values that were written, so
 * a resumed run writes the dataset an uninterrupted one writes.
 */
#ifndef DD_ELEMENTS_JOURNAL_LINE_H
#define DD_ELEMENTS_JOURNAL_LINE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "elements/dataset_journal.h"

/* A frame of the journal as kept in memory; its annotations are
 * `n_annotations` dd_journal_annotation from `first_annotation` on in the
 * array they were read or written into. */
typedef struct dd_journal_entry {
  gint64 id;
  const char *file_name;
  int width, height;
  const char *source_uri;       /* NULL: the frame had none */
  gint64 timestamp_ns;
  guint first_annotation, n_annotations;
} dd_journal_entry;

/* Appends the frame's line, newline included, to `line`. */
void dd_journal_line_format (GString *line, const dd_journal_frame *f,
    gint64 id, const char *file_name);

/* Reads a frame line into `entry`, its strings into `strings` and its
 * annotations onto `annotations`. A member missing from a line edited by
 * hand reads as empty; FALSE when the frame's identity (timestamp_ns, and
 * source_uri a string or null) is not there. */
gboolean dd_journal_line_read (JsonObject *line, GStringChunk *strings,
    GArray *annotations, dd_journal_entry *entry);

#endif
