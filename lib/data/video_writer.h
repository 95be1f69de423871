/* Writing videos through GStreamer: RGB frames in, H.264 in MP4 or VP8 in
 * Matroska out.
 *
 *   appsrc ! videoconvert ! x264enc ! mp4mux ! filesink        (h264)
 *   appsrc ! videoconvert ! vp8enc ! matroskamux ! filesink    (vp8)
 *
 * Frame k gets the timestamp k / fps seconds (gst_util_uint64_scale of
 * GST_SECOND), which is what dd_video_frame_time() returns and what a
 * decoder gives back. Matroska keeps milliseconds: with an fps that does
 * not divide 1000 its timestamps come back rounded to the millisecond.
 * The encoders run on one thread each, so the same frames give the same
 * bitstream on any machine (the containers still record the creation
 * time).
 */
#ifndef DD_DATA_VIDEO_WRITER_H
#define DD_DATA_VIDEO_WRITER_H

#include <glib.h>
#include <stdint.h>

#include "data/image.h"

typedef enum {
  DD_VIDEO_H264_MP4,
  DD_VIDEO_VP8_MKV,
  DD_VIDEO_CODEC_COUNT
} dd_video_codec;

#define DD_VIDEO_ERROR (dd_video_error_quark ())
GQuark dd_video_error_quark (void);

typedef enum {
  DD_VIDEO_ERROR_PLUGIN,        /* a GStreamer element is not installed */
  DD_VIDEO_ERROR_ARGUMENT,      /* a bad size, rate or frame */
  DD_VIDEO_ERROR_STREAM,        /* the pipeline failed (encoder, muxer, disk) */
} dd_video_error;

/* "h264" or "vp8", and the file extension: ".mp4" or ".mkv". */
const char *dd_video_codec_name (dd_video_codec codec);
const char *dd_video_codec_extension (dd_video_codec codec);
/* False when `name` is neither. */
gboolean dd_video_codec_from_name (const char *name, dd_video_codec *codec);

/* The timestamp of frame `index` at `fps` frames per second, nanoseconds. */
uint64_t dd_video_frame_time (uint64_t index, int fps);

typedef struct dd_video_writer dd_video_writer;

/* Starts a pipeline writing `path`. width and height must be even (4:2:0
 * chroma); fps 1..240. Initialises GStreamer if the program has not. */
dd_video_writer *dd_video_writer_new (const char *path, dd_video_codec codec,
    int width, int height, int fps, GError **error);
/* Encodes the next frame, which must have the writer's size. Fails with the
 * pipeline's own message when it has stopped. */
gboolean dd_video_writer_push (dd_video_writer *w, const dd_image *frame,
    GError **error);
/* Ends the stream, waits until the file is complete and frees `w` whatever
 * the outcome. */
gboolean dd_video_writer_finish (dd_video_writer *w, GError **error);

#endif
