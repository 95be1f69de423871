/* ddcorpussrc: plays a corpus of videos one after another as one stream of
 * raw frames, each tagged with a DdFrameMeta. See ddcorpussrc.c. */
#ifndef DD_ELEMENTS_CORPUS_SRC_H
#define DD_ELEMENTS_CORPUS_SRC_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define DD_TYPE_CORPUS_SRC (dd_corpus_src_get_type ())
G_DECLARE_FINAL_TYPE (DdCorpusSrc, dd_corpus_src, DD, CORPUS_SRC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (ddcorpussrc);

/* The upstream event that ends the current video early: a consumer that
 * needs no more of its frames (ddsampler, done with a video) sends it, and
 * ddcorpussrc goes on with the next video without decoding the rest. It
 * names the video (a DdFrameMeta's uri), so an event that arrives late
 * never cuts the next one short. */
#define DD_CORPUS_NEXT_FILE "dd-corpus-next-file"
GstEvent *dd_corpus_next_file_event_new (const gchar *uri);

G_END_DECLS

#endif
