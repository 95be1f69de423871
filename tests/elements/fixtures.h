/* What the element tests share: GStreamer with the ddistill plugin
 * registered from the test program itself, small videos made on the spot,
 * temporary folders, and waiting for bus messages. */
#ifndef DD_TESTS_ELEMENTS_FIXTURES_H
#define DD_TESTS_ELEMENTS_FIXTURES_H

#include <gst/gst.h>
#include <stdint.h>

/* gst_init, the plugin registered statically, and g_test_init. */
void fixture_init (int *argc, char ***argv);
/* The same without g_test_init, for a test's child processes. */
void fixture_init_child (int *argc, char ***argv);

/* A fresh temporary folder, removed with its contents by fixture_rmdir. */
char *fixture_tmpdir (const char *name);
void fixture_rmdir (const char *path);

typedef enum {
  FIXTURE_H264_MP4,
  FIXTURE_VP8_MKV,
} fixture_codec;

/* Writes `frames` frames of 64x48 videotestsrc (pattern `pattern`, the
 * "ball" by default when NULL) at `fps`, with a keyframe every `gop`. */
void fixture_make_video (const char *path, fixture_codec codec, int frames,
    int fps, int gop, const char *pattern);

/* A model folder (model.json + model.safetensors) in `parent`: the
 * `tiny` preset (64x64 input, 17 keypoints) with seeded random weights,
 * as `ddistill train` would leave it. Returns its path. */
char *fixture_make_model (const char *parent, uint64_t seed);

/* Runs `pipeline` to EOS or error; returns the messages of type `types`
 * posted meanwhile (a GList of GstMessage, free with g_list_free_full
 * (l, (GDestroyNotify) gst_message_unref)). Fails the test on an error
 * unless `allow_error`. */
GList *fixture_run (GstElement *pipeline, GstMessageType types,
    gboolean allow_error);

/* The element messages of `msgs` whose structure is named `name`. */
GList *fixture_filter (GList *msgs, const char *name);

/* The text of the first error posted on `bus` within `timeout` (0: only
 * one posted already), or NULL when none came; g_free it. */
char *fixture_pop_error (GstBus *bus, GstClockTime timeout);

/* The text of the error a lone element posts when it cannot go to `state`
 * (the change must fail); the element is back in NULL, on a bus of its
 * own. g_free it. */
char *fixture_start_error (GstElement *element, GstState state);

#endif
