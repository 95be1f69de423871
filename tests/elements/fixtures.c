/* What the element tests share. */
#include "fixtures.h"

#include <glib/gstdio.h>
#include <string.h>

#include "model/detector.h"
#include "model/model_dir.h"
#include "nn/checkpoint.h"

gboolean gst_plugin_ddistill_register (void);

void
fixture_init (int *argc, char ***argv)
{
  gst_init (argc, argv);
  g_test_init (argc, argv, NULL);
  g_assert_true (gst_plugin_ddistill_register ());
}

void
fixture_init_child (int *argc, char ***argv)
{
  gst_init (argc, argv);
  g_assert_true (gst_plugin_ddistill_register ());
}

char *
fixture_tmpdir (const char *name)
{
  GError *error = NULL;
  char *tmpl = g_strdup_printf ("dd-%s-XXXXXX", name);
  char *dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  g_free (tmpl);
  return dir;
}

void
fixture_rmdir (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL) {
    g_remove (path);
    return;
  }
  const char *name;
  while ((name = g_dir_read_name (dir))) {
    char *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      fixture_rmdir (child);
    else
      g_remove (child);
    g_free (child);
  }
  g_dir_close (dir);
  g_rmdir (path);
}

void
fixture_make_video (const char *path, fixture_codec codec, int frames,
    int fps, int gop, const char *pattern)
{
  const char *enc = codec == FIXTURE_H264_MP4
      ? "x264enc speed-preset=ultrafast bframes=0 threads=1 key-int-max=%d "
      "! mp4mux" : "vp8enc deadline=1 threads=1 keyframe-max-dist=%d "
      "! matroskamux";
  char *enc_text = g_strdup_printf (enc, gop);
  char *desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=%s ! "
      "video/x-raw,width=64,height=48,framerate=%d/1 ! videoconvert ! %s ! "
      "filesink name=out", frames, pattern ? pattern : "ball", fps, enc_text);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_object_set (out, "location", path, NULL);
  gst_object_unref (out);
  g_list_free_full (fixture_run (pipeline, 0, FALSE),
      (GDestroyNotify) gst_message_unref);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (enc_text);
}

char *
fixture_make_model (const char *parent, uint64_t seed)
{
  char err[1024];
  char *dir = g_build_filename (parent, "model", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0777), ==, 0);
  g_autofree char *ckpt = g_build_filename (parent, "init.safetensors", NULL);
  dd_backend *be = dd_backend_new ("reference", err, sizeof err);
  g_assert_nonnull (be);
  dd_detector *det = dd_detector_load ("tiny", err, sizeof err);
  g_assert_nonnull (det);
  g_assert_cmpint (dd_detector_setup (det, be, DD_NET_TRAIN, 1, 64, 64, err,
          sizeof err), ==, 0);
  g_assert_cmpint (dd_detector_init_weights (det, seed, err, sizeof err), ==, 0);
  g_assert_cmpint (dd_checkpoint_save (det->net, ckpt, err, sizeof err), ==, 0);
  g_assert_cmpint (dd_model_dir_save (det, ckpt, dir, 64, 64, err, sizeof err),
      ==, 0);
  g_remove (ckpt);
  dd_detector_free (det);
  dd_backend_free (be);
  return dir;
}

GList *
fixture_run (GstElement *pipeline, GstMessageType types, gboolean allow_error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  GList *kept = NULL;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop (bus, 60 * GST_SECOND);
    g_assert_nonnull (msg);
    GstMessageType t = GST_MESSAGE_TYPE (msg);
    if (t == GST_MESSAGE_ERROR && !allow_error) {
      GError *e = NULL;
      gchar *debug = NULL;
      gst_message_parse_error (msg, &e, &debug);
      g_error ("pipeline error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
          e->message, debug ? debug : "");
    }
    gboolean end = t == GST_MESSAGE_EOS || t == GST_MESSAGE_ERROR;
    if (t & types)
      kept = g_list_append (kept, msg);
    else
      gst_message_unref (msg);
    if (end)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return kept;
}

GList *
fixture_filter (GList *msgs, const char *name)
{
  GList *out = NULL;
  for (GList *l = msgs; l; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_ELEMENT && s
        && gst_structure_has_name (s, name))
      out = g_list_append (out, l->data);
  }
  return out;
}

char *
fixture_pop_error (GstBus *bus, GstClockTime timeout)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_ERROR);
  if (!msg)
    return NULL;
  GError *e = NULL;
  gst_message_parse_error (msg, &e, NULL);
  char *text = g_strdup (e->message);
  g_error_free (e);
  gst_message_unref (msg);
  return text;
}

char *
fixture_start_error (GstElement *element, GstState state)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (element, bus);
  g_assert_cmpint (gst_element_set_state (element, state), ==,
      GST_STATE_CHANGE_FAILURE);
  char *text = fixture_pop_error (bus, 0);
  g_assert_nonnull (text);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_object_unref (bus);
  return text;
}
