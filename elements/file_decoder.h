/* One video decoded in a private pipeline of its own:
 *
 *   uridecodebin uri=URI caps=video/x-raw ! videoconvert ! appsink caps=CAPS
 *
 * ddcorpussrc plays a corpus file after file through one of these at a
 * time. Being private, the pipeline keeps the file's troubles to itself:
 * its errors come back from dd_file_decoder_pull() instead of stopping the
 * corpus, and seeking it (a flushing seek, inside) never flushes the
 * pipeline the frames go on to. Backpressure keeps it at most a couple of
 * frames ahead of the puller (the appsink holds two), so a seek wastes
 * little decoding.
 */
#ifndef DD_ELEMENTS_FILE_DECODER_H
#define DD_ELEMENTS_FILE_DECODER_H

#include <gst/gst.h>

typedef struct dd_file_decoder dd_file_decoder;

typedef enum {
  DD_DECODE_FRAME,              /* a sample */
  DD_DECODE_WAIT,               /* nothing within the timeout */
  DD_DECODE_WARNING,            /* the pipeline warned; decoding goes on */
  DD_DECODE_END,                /* the last frame was pulled */
  DD_DECODE_ERROR,              /* the file cannot be decoded (any further) */
} dd_decode_result;

/* Starts decoding `uri` into `caps` (raw video; NULL for any). Fails only
 * when the pipeline cannot be built; a bad file shows in _pull, as an
 * error, or as no first frame within `start_timeout` (decodebin keeps to
 * itself the errors of a demuxer that fails while it is being plugged, and
 * then waits forever). */
dd_file_decoder *dd_file_decoder_open (const char *uri, GstCaps *caps,
    GstClockTime start_timeout, GError **error);
void dd_file_decoder_close (dd_file_decoder *d);

/* Waits up to `timeout` for the next frame. For WARNING and ERROR,
 * `error` says what the pipeline said (without the file name). */
dd_decode_result dd_file_decoder_pull (dd_file_decoder *d,
    GstClockTime timeout, GstSample **sample, GError **error);

/* A seek in TIME as gst_element_seek takes it; the decoder always flushes
 * its own pipeline. */
gboolean dd_file_decoder_seek (dd_file_decoder *d, gdouble rate,
    GstSeekFlags flags, GstSeekType start_type, gint64 start,
    GstSeekType stop_type, gint64 stop);
gboolean dd_file_decoder_seekable (dd_file_decoder *d);
/* FALSE while the container has not told it yet. */
gboolean dd_file_decoder_duration (dd_file_decoder *d, gint64 *duration);

/* Compressed video frames fed to the decoder so far: the decoding work,
 * frames decoded only to reach a seek target included. */
guint64 dd_file_decoder_frames_decoded (dd_file_decoder *d);

#endif
