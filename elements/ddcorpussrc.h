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

/* A field a duration or seeking query, or a seek, may carry to name the
 * video it is about (a DdFrameMeta's uri): ddcorpussrc answers or serves
 * it only while that video plays. Behind a queue the source may be on the
 * next video by the time a request arrives; named, the request is
 * refused rather than applied to the wrong video. Each video's duration
 * also comes down the stream, as a GST_TAG_DURATION stream tag after its
 * first segment, in order with its frames. */
#define DD_CORPUS_URI_FIELD "dd-corpus-uri"

/* A boolean field of a flushing seek whose sender keeps the flushes to
 * itself (ddsampler): running time downstream goes on rather than
 * starting again at 0, so ddcorpussrc keeps the next video after all the
 * frames that went before. */
#define DD_CORPUS_FLUSH_KEPT_FIELD "dd-corpus-flush-kept"

/* A custom query for a video's corpus key (its name inside the corpus,
 * corpus_list.h), the video named by DD_CORPUS_URI_FIELD; the answer is
 * the string field "key". A key does not depend on where the corpus is
 * mounted, so what is drawn from it (ddsampler's random frames) is the
 * same on every machine. */
#define DD_CORPUS_KEY_QUERY "dd-corpus-key"

G_END_DECLS

#endif
