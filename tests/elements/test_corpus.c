/* ddcorpussrc and its corpus listing: which videos a location names, in
 * which order and shard; every frame out with its identity; a stream per
 * video; bad videos reported by name and skipped; caps as downstream asks;
 * seeks and the next-file request; watching a folder; EOS on request. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <string.h>

#include "elements/corpus_list.h"
#include "elements/ddcorpussrc.h"
#include "elements/ddframemeta.h"
#include "fixtures.h"

static char *corpus;            /* a.mp4 (10 frames), b.mkv (8), notes.json */

static char *
in_corpus (const char *name)
{
  return g_build_filename (corpus, name, NULL);
}

static char *
uri_of (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_filename_to_uri (path, NULL, NULL);
}

static void
write_text (const char *path, const char *text)
{
  GError *error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* ---- Listing ------------------------------------------------------------- */

static GPtrArray *
scan (const char *location, guint index, guint count)
{
  GError *error = NULL;
  dd_corpus_list *l = dd_corpus_list_new (location, NULL, index, count,
      &error);
  g_assert_no_error (error);
  GPtrArray *uris = dd_corpus_list_scan (l, FALSE, NULL, &error);
  g_assert_no_error (error);
  /* Nothing new on a second look. */
  GPtrArray *again = dd_corpus_list_scan (l, FALSE, NULL, &error);
  g_assert_cmpuint (again->len, ==, 0);
  g_ptr_array_unref (again);
  dd_corpus_list_free (l);
  return uris;
}

static void
test_list_kinds (void)
{
  g_autofree char *a = uri_of (corpus, "a.mp4");
  g_autofree char *b = uri_of (corpus, "b.mkv");
  /* A folder: its videos in name order, not the sidecar or hidden files. */
  GPtrArray *uris = scan (corpus, 0, 1);
  g_assert_cmpuint (uris->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (uris, 0), ==, a);
  g_assert_cmpstr (g_ptr_array_index (uris, 1), ==, b);
  g_ptr_array_unref (uris);
  /* A glob. */
  g_autofree char *pattern = in_corpus ("*.mkv");
  uris = scan (pattern, 0, 1);
  g_assert_cmpuint (uris->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (uris, 0), ==, b);
  g_ptr_array_unref (uris);
  /* A list file: relative paths from its folder, comments, URIs, order by
   * key (the line). */
  g_autofree char *list = in_corpus ("videos.txt");
  write_text (list, "# corpus\n\nb.mkv\n  a.mp4  \nhttp://example.invalid/c.mp4\n");
  uris = scan (list, 0, 1);
  g_assert_cmpuint (uris->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (uris, 0), ==, a);
  g_assert_cmpstr (g_ptr_array_index (uris, 1), ==, b);
  g_assert_cmpstr (g_ptr_array_index (uris, 2), ==, "http://example.invalid/c.mp4");
  g_ptr_array_unref (uris);
  g_remove (list);
  /* One video. */
  g_autofree char *one = in_corpus ("b.mkv");
  uris = scan (one, 0, 1);
  g_assert_cmpuint (uris->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (uris, 0), ==, b);
  g_ptr_array_unref (uris);
}

static void
test_list_errors (void)
{
  GError *error = NULL;
  g_assert_null (dd_corpus_list_new ("/nonexistent/videos", NULL, 0, 1, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/videos"));
  g_clear_error (&error);
  g_assert_null (dd_corpus_list_new (corpus, NULL, 2, 2, &error));
  g_assert_nonnull (strstr (error->message, "shard-index 2"));
  g_clear_error (&error);
  g_assert_null (dd_corpus_list_new (NULL, NULL, 0, 1, &error));
  g_clear_error (&error);
}

/* Shards split a corpus into disjoint parts by the videos' names, the
 * same wherever the corpus is. */
static void
test_shards (void)
{
  g_autofree char *dir = fixture_tmpdir ("shards");
  g_autofree char *dir2 = fixture_tmpdir ("shards2");
  for (int i = 0; i < 40; i++) {
    g_autofree char *name = g_strdup_printf ("v%02d.mp4", i);
    g_autofree char *p = g_build_filename (dir, name, NULL);
    g_autofree char *p2 = g_build_filename (dir2, name, NULL);
    write_text (p, "x");
    write_text (p2, "x");
  }
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  for (guint s = 0; s < 3; s++) {
    GPtrArray *uris = scan (dir, s, 3);
    GPtrArray *uris2 = scan (dir2, s, 3);
    g_assert_cmpuint (uris->len, >, 5);
    g_assert_cmpuint (uris->len, ==, uris2->len);
    for (guint i = 0; i < uris->len; i++) {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (uris, i));
      g_autofree char *base2 = g_path_get_basename (g_ptr_array_index (uris2, i));
      g_assert_cmpstr (base, ==, base2);
      g_assert_true (g_hash_table_add (seen, g_strdup (base)));
      g_assert_cmpuint (dd_corpus_shard_of (base, 3), ==, s);
    }
    g_ptr_array_unref (uris);
    g_ptr_array_unref (uris2);
  }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 40);
  g_hash_table_unref (seen);
  fixture_rmdir (dir);
  fixture_rmdir (dir2);
}

/* With settling, a file is taken once unchanged between two looks. */
static void
test_settle (void)
{
  g_autofree char *dir = fixture_tmpdir ("settle");
  g_autofree char *p = g_build_filename (dir, "new.mp4", NULL);
  GError *error = NULL;
  dd_corpus_list *l = dd_corpus_list_new (dir, NULL, 0, 1, &error);
  g_assert_no_error (error);
  write_text (p, "part");
  GPtrArray *u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 0);
  g_ptr_array_unref (u);
  write_text (p, "part, more");
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 0);
  g_ptr_array_unref (u);
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 1);
  g_ptr_array_unref (u);
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 0);
  g_ptr_array_unref (u);
  /* Rewritten to the same size within the same second: changed too. */
  g_autofree char *q = g_build_filename (dir, "same-size.mp4", NULL);
  write_text (q, "aaaa");
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 0);
  g_ptr_array_unref (u);
  g_usleep (20000);
  write_text (q, "bbbb");
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 0);
  g_ptr_array_unref (u);
  u = dd_corpus_list_scan (l, TRUE, NULL, &error);
  g_assert_cmpuint (u->len, ==, 1);
  g_ptr_array_unref (u);
  dd_corpus_list_free (l);
  fixture_rmdir (dir);
}

/* ---- The element --------------------------------------------------------- */

/* What reaches a pad, in order: one letter per item ("B" buffer, "S"
 * stream-start, "C" caps, "G" segment, "F"/"f" flush start/stop, "E" EOS),
 * and the buffers. */
typedef struct {
  GMutex lock;
  GString *log;
  GPtrArray *buffers;
  guint32 last_segment_seqnum;
} recorder;

static GstPadProbeReturn
record (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  recorder *r = user;
  g_mutex_lock (&r->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append_c (r->log, 'B');
    g_ptr_array_add (r->buffers, gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    switch (GST_EVENT_TYPE (ev)) {
      case GST_EVENT_STREAM_START: g_string_append_c (r->log, 'S'); break;
      case GST_EVENT_CAPS: g_string_append_c (r->log, 'C'); break;
      case GST_EVENT_SEGMENT:
        g_string_append_c (r->log, 'G');
        r->last_segment_seqnum = gst_event_get_seqnum (ev);
        break;
      case GST_EVENT_FLUSH_START: g_string_append_c (r->log, 'F'); break;
      case GST_EVENT_FLUSH_STOP: g_string_append_c (r->log, 'f'); break;
      case GST_EVENT_EOS: g_string_append_c (r->log, 'E'); break;
      default: break;
    }
  }
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

static recorder *
recorder_attach (GstPad *pad)
{
  recorder *r = g_new0 (recorder, 1);
  g_mutex_init (&r->lock);
  r->log = g_string_new (NULL);
  r->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER
      | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      record, r, NULL);
  return r;
}

static gboolean
recorder_has (recorder *r, char c)
{
  g_mutex_lock (&r->lock);
  gboolean has = strchr (r->log->str, c) != NULL;
  g_mutex_unlock (&r->lock);
  return has;
}

static void
recorder_free (recorder *r)
{
  g_string_free (r->log, TRUE);
  g_ptr_array_unref (r->buffers);
  g_mutex_clear (&r->lock);
  g_free (r);
}

static const DdFrameMeta *
frame_of (recorder *r, guint i)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (g_ptr_array_index
      (r->buffers, i));
  g_assert_nonnull (fm);
  return fm;
}

static GstHarness *
corpus_harness (const char *location, const char *sink_caps, recorder **r)
{
  GstHarness *h = gst_harness_new ("ddcorpussrc");
  g_object_set (h->element, "location", location, NULL);
  if (sink_caps)
    gst_harness_set_sink_caps_str (h, sink_caps);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_object_unref (bus);
  *r = recorder_attach (h->sinkpad);
  return h;
}

static void
wait_for (recorder *r, char c)
{
  for (int i = 0; i < 3000 && !recorder_has (r, c); i++)
    g_usleep (10000);
  g_assert_true (recorder_has (r, c));
}

/* The bus's messages of `type`, in order. */
static GList *
messages (GstHarness *h, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (h->element);
  GList *out = NULL;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, type)))
    out = g_list_append (out, m);
  gst_object_unref (bus);
  return out;
}

/* Every frame of both videos in order, each with its identity, a stream
 * (stream-start, caps, segment) per video, EOS at the end, and a message
 * per video. */
static void
test_plays_corpus (void)
{
  recorder *r;
  GstHarness *h = corpus_harness (corpus, "video/x-raw,format=RGB", &r);
  gst_harness_play (h);
  wait_for (r, 'E');
  g_assert_cmpstr (r->log->str, ==,
      "SCGBBBBBBBBBB" "SCGBBBBBBBB" "E");
  g_autofree char *a = uri_of (corpus, "a.mp4");
  g_autofree char *b = uri_of (corpus, "b.mkv");
  for (guint i = 0; i < 18; i++) {
    const DdFrameMeta *fm = frame_of (r, i);
    guint k = i < 10 ? i : i - 10;
    g_assert_cmpstr (fm->uri, ==, i < 10 ? a : b);
    g_assert_cmpuint (fm->timestamp_ns, ==, k * 100 * GST_MSECOND);
    g_assert_cmpint (fm->frame_index, ==, k);
    g_assert_cmpint (fm->width, ==, 64);
    g_assert_cmpint (fm->height, ==, 48);
    g_assert_cmpuint (gst_buffer_get_size (g_ptr_array_index (r->buffers, i)),
        ==, 64 * 48 * 3);
  }
  /* Running time goes on from one video to the next. */
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure (caps, 0),
          "format"), ==, "RGB");
  gst_caps_unref (caps);
  GstEvent *seg_ev = gst_pad_get_sticky_event (h->sinkpad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;
  gst_event_parse_segment (seg_ev, &seg);
  g_assert_cmpuint (seg->base, ==, GST_SECOND);
  gst_event_unref (seg_ev);
  GList *done = messages (h, GST_MESSAGE_ELEMENT);
  g_assert_cmpuint (g_list_length (done), ==, 2);
  const GstStructure *s = gst_message_get_structure (done->next->data);
  g_assert_cmpstr (gst_structure_get_string (s, "uri"), ==, b);
  guint64 frames = 0;
  gboolean complete = FALSE;
  gst_structure_get (s, "frames", G_TYPE_UINT64, &frames, "complete",
      G_TYPE_BOOLEAN, &complete, NULL);
  g_assert_cmpuint (frames, ==, 8);
  g_assert_true (complete);
  g_list_free_full (done, (GDestroyNotify) gst_message_unref);
  guint64 decoded = 0;
  g_object_get (h->element, "frames-decoded", &decoded, NULL);
  g_assert_cmpuint (decoded, ==, 18);
  gst_harness_teardown (h);
  recorder_free (r);
}

/* The format is the one downstream asks for. */
static void
test_caps (void)
{
  const char *formats[] = { "I420", "GRAY8", "BGRx" };
  g_autofree char *one = in_corpus ("b.mkv");
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    recorder *r;
    g_autofree char *caps_str = g_strdup_printf ("video/x-raw,format=%s",
        formats[f]);
    GstHarness *h = corpus_harness (one, caps_str, &r);
    gst_harness_play (h);
    wait_for (r, 'E');
    g_assert_cmpuint (r->buffers->len, ==, 8);
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    GstVideoInfo info;
    g_assert_true (gst_video_info_from_caps (&info, caps));
    g_assert_cmpstr (GST_VIDEO_INFO_NAME (&info), ==, formats[f]);
    g_assert_cmpuint (gst_buffer_get_size (g_ptr_array_index (r->buffers, 0)),
        ==, GST_VIDEO_INFO_SIZE (&info));
    gst_caps_unref (caps);
    gst_harness_teardown (h);
    recorder_free (r);
  }
}

static void
copy_bytes (const char *from, const char *to, gsize keep)
{
  gchar *data;
  gsize size;
  GError *error = NULL;
  g_assert_true (g_file_get_contents (from, &data, &size, &error));
  g_assert_true (g_file_set_contents (to, data, MIN (keep, size), &error));
  g_free (data);
}

/* An empty file, a file of garbage and a truncated MP4 are each reported
 * on the bus as a warning naming the file, and skipped; a Matroska file cut
 * in the middle plays up to the cut and is reported; both good videos play
 * in full. */
static void
test_bad_videos (void)
{
  g_autofree char *dir = fixture_tmpdir ("bad");
  g_autofree char *a = in_corpus ("a.mp4");
  g_autofree char *b = in_corpus ("b.mkv");
  const char *bad[] = { "a-empty.mkv", "a-garbage.mp4", "a-truncated.mkv",
    "a-truncated.mp4" };
  g_autofree char *a2 = g_build_filename (dir, "a.mp4", NULL);
  g_autofree char *b2 = g_build_filename (dir, "b.mkv", NULL);
  copy_bytes (a, a2, G_MAXSIZE);
  copy_bytes (b, b2, G_MAXSIZE);
  g_autofree char *empty = g_build_filename (dir, bad[0], NULL);
  g_autofree char *garbage = g_build_filename (dir, bad[1], NULL);
  g_autofree char *cut_mkv = g_build_filename (dir, bad[2], NULL);
  g_autofree char *cut_mp4 = g_build_filename (dir, bad[3], NULL);
  write_text (empty, "");
  write_text (garbage, "this is not a video at all, just text pretending to be "
      "one; nothing in it can be demuxed or decoded by anything");
  GStatBuf st;
  g_assert_cmpint (g_stat (a, &st), ==, 0);
  copy_bytes (a, cut_mp4, (gsize) st.st_size / 2);
  g_autofree char *long_mkv = g_build_filename (dir, "long.tmp", NULL);
  fixture_make_video (long_mkv, FIXTURE_VP8_MKV, 40, 10, 10, NULL);
  g_assert_cmpint (g_stat (long_mkv, &st), ==, 0);
  copy_bytes (long_mkv, cut_mkv, (gsize) st.st_size / 2);
  g_remove (long_mkv);

  recorder *r;
  GstHarness *h = corpus_harness (dir, "video/x-raw,format=RGB", &r);
  /* decodebin may keep the truncated MP4's error to itself and wait: the
   * start timeout reports it then. */
  g_object_set (h->element, "start-timeout", 2000, NULL);
  gst_harness_play (h);
  wait_for (r, 'E');
  g_autofree char *a_uri = g_filename_to_uri (a2, NULL, NULL);
  g_autofree char *b_uri = g_filename_to_uri (b2, NULL, NULL);
  g_autofree char *cut_uri = g_filename_to_uri (cut_mkv, NULL, NULL);
  guint from_a = 0, from_b = 0, from_cut = 0;
  for (guint i = 0; i < r->buffers->len; i++) {
    const char *uri = frame_of (r, i)->uri;
    from_a += g_str_equal (uri, a_uri);
    from_b += g_str_equal (uri, b_uri);
    from_cut += g_str_equal (uri, cut_uri);
  }
  g_assert_cmpuint (from_a, ==, 10);
  g_assert_cmpuint (from_b, ==, 8);
  g_test_message ("%u frames of the cut Matroska file out of 40", from_cut);
  g_assert_cmpuint (from_cut, >, 0);
  g_assert_cmpuint (from_cut, <, 35);
  g_assert_cmpuint (r->buffers->len, ==, 18 + from_cut);
  GList *warnings = messages (h, GST_MESSAGE_WARNING);
  g_assert_cmpuint (g_list_length (warnings), ==, 4);
  guint i = 0;
  for (GList *l = warnings; l; l = l->next, i++) {
    GError *e = NULL;
    gchar *debug = NULL;
    gst_message_parse_warning (l->data, &e, &debug);
    g_autofree char *path = g_build_filename (dir, bad[i], NULL);
    g_test_message ("%s", e->message);
    g_assert_nonnull (strstr (e->message, path));
    g_assert_true (g_str_has_prefix (e->message, i == 2 ? "Video "
            : "Skipped video "));
    const GstStructure *details = NULL;
    gst_message_parse_warning_details (l->data, &details);
    g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
    g_assert_cmpstr (gst_structure_get_string (details, "uri"), ==, uri);
    g_error_free (e);
    g_free (debug);
  }
  g_list_free_full (warnings, (GDestroyNotify) gst_message_unref);
  gst_harness_teardown (h);
  recorder_free (r);
  fixture_rmdir (dir);
}

/* Plays the corpus `dir` to its end and returns the text of the one
 * warning it posts. */
static char *
only_warning (const char *dir)
{
  recorder *r;
  GstHarness *h = corpus_harness (dir, NULL, &r);
  gst_harness_play (h);
  wait_for (r, 'E');
  GList *warnings = messages (h, GST_MESSAGE_WARNING);
  g_assert_cmpuint (g_list_length (warnings), ==, 1);
  GError *e = NULL;
  gst_message_parse_warning (warnings->data, &e, NULL);
  g_test_message ("%s", e->message);
  char *text = g_strdup (e->message);
  g_error_free (e);
  g_list_free_full (warnings, (GDestroyNotify) gst_message_unref);
  gst_harness_teardown (h);
  recorder_free (r);
  return text;
}

/* A file name that is not UTF-8 (Latin-1 "caf\xe9") still makes a bus
 * message that is: the name shown with a replacement character. */
static void
test_non_utf8_name (void)
{
  g_autofree char *dir = fixture_tmpdir ("latin1");
  g_autofree char *file = g_build_filename (dir, "caf\xe9.mp4", NULL);
  write_text (file, "not a video");
  g_autofree char *text = only_warning (dir);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_nonnull (strstr (text, "caf\xef\xbf\xbd.mp4"));
  fixture_rmdir (dir);
}

/* A file with sound only is said to have no video, not to need a plugin
 * (decodebin, asked for raw video, reports the sound as undecodable). */
static void
test_audio_only (void)
{
  g_autofree char *dir = fixture_tmpdir ("audio");
  g_autofree char *file = g_build_filename (dir, "sound.mkv", NULL);
  g_autofree char *desc = g_strdup_printf ("audiotestsrc num-buffers=10 ! wavenc ! "
      "filesink location=%s", file);
  GstElement *writer = gst_parse_launch (desc, NULL);
  g_list_free_full (fixture_run (writer, 0, FALSE), (GDestroyNotify) gst_message_unref);
  gst_object_unref (writer);
  g_autofree char *text = only_warning (dir);
  g_assert_nonnull (strstr (text, "sound.mkv: it has no video stream"));
  fixture_rmdir (dir);
}

static void
test_bad_location (void)
{
  recorder *r;
  GstHarness *h = corpus_harness ("/nonexistent/corpus", NULL, &r);
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  GList *errors = messages (h, GST_MESSAGE_ERROR);
  g_assert_cmpuint (g_list_length (errors), ==, 1);
  GError *e = NULL;
  gst_message_parse_error (errors->data, &e, NULL);
  g_assert_nonnull (strstr (e->message, "/nonexistent/corpus"));
  g_error_free (e);
  g_list_free_full (errors, (GDestroyNotify) gst_message_unref);
  gst_element_set_state (h->element, GST_STATE_NULL);
  gst_harness_teardown (h);
  recorder_free (r);

  /* A folder without videos: a warning, then EOS. */
  g_autofree char *dir = fixture_tmpdir ("empty");
  h = corpus_harness (dir, NULL, &r);
  gst_harness_play (h);
  wait_for (r, 'E');
  g_assert_cmpstr (r->log->str, ==, "E");
  GList *warnings = messages (h, GST_MESSAGE_WARNING);
  g_assert_cmpuint (g_list_length (warnings), ==, 1);
  g_list_free_full (warnings, (GDestroyNotify) gst_message_unref);
  gst_harness_teardown (h);
  recorder_free (r);
  fixture_rmdir (dir);
}

/* Shards of the element: disjoint, together the whole corpus. */
static void
test_shards_element (void)
{
  guint total = 0;
  for (guint s = 0; s < 2; s++) {
    recorder *r;
    GstHarness *h = corpus_harness (corpus, NULL, &r);
    g_object_set (h->element, "shard-index", s, "shard-count", 2, NULL);
    gst_harness_play (h);
    wait_for (r, 'E');
    for (guint i = 0; i < r->buffers->len; i++) {
      g_autofree char *name = g_path_get_basename (frame_of (r, i)->uri);
      g_assert_cmpuint (dd_corpus_shard_of (name, 2), ==, s);
    }
    total += r->buffers->len;
    gst_harness_teardown (h);
    recorder_free (r);
  }
  g_assert_cmpuint (total, ==, 18);
}

/* A watching ddcorpussrc, playing, over a fresh folder (*dir, to remove)
 * that holds a.mp4 from the start. */
static GstHarness *
watching_harness (guint interval_ms, char **dir, recorder **r)
{
  *dir = fixture_tmpdir ("watch");
  g_autofree char *a = in_corpus ("a.mp4");
  g_autofree char *a2 = g_build_filename (*dir, "a.mp4", NULL);
  copy_bytes (a, a2, G_MAXSIZE);
  GstHarness *h = corpus_harness (*dir, NULL, r);
  g_object_set (h->element, "watch", TRUE, "poll-interval", interval_ms, NULL);
  gst_harness_play (h);
  return h;
}

/* Watching: a video that lands later is played, no EOS until asked. */
static void
test_watch (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *b = in_corpus ("b.mkv");
  recorder *r;
  GstHarness *h = watching_harness (30, &dir, &r);
  for (int i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_pull (h));
  /* Copied in under a hidden name, then renamed, as a careful writer does. */
  g_autofree char *part = g_build_filename (dir, ".b.mkv.part", NULL);
  g_autofree char *b2 = g_build_filename (dir, "b.mkv", NULL);
  copy_bytes (b, part, G_MAXSIZE);
  g_assert_cmpint (g_rename (part, b2), ==, 0);
  for (int i = 0; i < 8; i++)
    gst_buffer_unref (gst_harness_pull (h));
  g_usleep (200000);
  g_assert_false (recorder_has (r, 'E'));
  g_assert_cmpuint (r->buffers->len, ==, 18);
  g_autofree char *b_uri = g_filename_to_uri (b2, NULL, NULL);
  g_assert_cmpstr (frame_of (r, 17)->uri, ==, b_uri);
  g_assert_true (gst_element_send_event (h->element, gst_event_new_eos ()));
  wait_for (r, 'E');
  gst_harness_teardown (h);
  recorder_free (r);
  fixture_rmdir (dir);
}

/* Watching, even the videos there at the start are played only once a
 * second look, one poll interval later, finds them unchanged: a file
 * being copied in when the source starts is not read half-written. */
static void
test_watch_settles_first_files (void)
{
  g_autofree char *dir = NULL;
  recorder *r;
  const gint64 interval_ms = 400;
  gint64 start = g_get_monotonic_time ();
  GstHarness *h = watching_harness ((guint) interval_ms, &dir, &r);
  gst_buffer_unref (gst_harness_pull (h));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, interval_ms * 1000);
  g_assert_true (gst_element_send_event (h->element, gst_event_new_eos ()));
  gst_harness_teardown (h);
  recorder_free (r);
  fixture_rmdir (dir);
}

/* Watching, a folder that cannot be read for a while (a network mount
 * gone) is a warning, not the end: once it is back, new videos play. */
static void
test_watch_outlives_a_lost_folder (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *b = in_corpus ("b.mkv");
  recorder *r;
  GstHarness *h = watching_harness (30, &dir, &r);
  g_autofree char *away = g_strconcat (dir, ".away", NULL);
  GstBus *bus = gst_element_get_bus (h->element);
  for (int i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_pull (h));
  g_assert_cmpint (g_rename (dir, away), ==, 0);
  /* However late the source thread comes to its next look. */
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  g_usleep (100000);            /* more failed looks: one warning for them all */
  g_assert_cmpint (g_rename (away, dir), ==, 0);
  g_assert_false (recorder_has (r, 'E'));
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR));
  g_assert_nonnull (m);
  g_assert_cmpint (GST_MESSAGE_TYPE (m), ==, GST_MESSAGE_WARNING);
  GError *e = NULL;
  gst_message_parse_warning (m, &e, NULL);
  g_assert_nonnull (strstr (e->message, "Cannot read the corpus"));
  g_error_free (e);
  gst_message_unref (m);
  g_autofree char *b2 = g_build_filename (dir, "b.mkv", NULL);
  copy_bytes (b, b2, G_MAXSIZE);
  for (int i = 0; i < 8; i++)
    gst_buffer_unref (gst_harness_pull (h));
  g_assert_cmpuint (r->buffers->len, ==, 18);
  g_assert_true (gst_element_send_event (h->element, gst_event_new_eos ()));
  wait_for (r, 'E');
  gst_harness_teardown (h);
  gst_object_unref (bus);
  recorder_free (r);
  fixture_rmdir (dir);
}

/* ---- Seeking and the next-file request, in a pipeline -------------------- */

typedef struct {
  GstElement *pipeline, *src;
  GstAppSink *sink;
  recorder *r;
} player;

static player
play (const char *location)
{
  player p;
  GError *error = NULL;
  p.pipeline = gst_parse_launch ("ddcorpussrc name=src ! "
      "appsink name=sink sync=false max-buffers=1 caps=video/x-raw,format=RGB",
      &error);
  g_assert_no_error (error);
  p.src = gst_bin_get_by_name (GST_BIN (p.pipeline), "src");
  g_object_set (p.src, "location", location, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p.pipeline), "sink");
  p.sink = GST_APP_SINK (sink);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  p.r = recorder_attach (pad);
  gst_object_unref (pad);
  g_assert_cmpint (gst_element_set_state (p.pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  return p;
}

static void
player_stop (player *p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->src);
  gst_object_unref (p->sink);
  gst_object_unref (p->pipeline);
  recorder_free (p->r);
}

static const DdFrameMeta *
sample_frame (GstSample *s)
{
  g_assert_nonnull (s);
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (gst_sample_get_buffer (s));
  g_assert_nonnull (fm);
  return fm;
}

/* A flushing seek flushes downstream, sends a segment with the seek's
 * seqnum, and the next frame is the one sought, with its own identity. */
static void
test_seek (void)
{
  g_autofree char *a = in_corpus ("a.mp4");
  player p = play (a);
  GstSample *s = gst_app_sink_pull_sample (p.sink);
  g_assert_cmpuint (sample_frame (s)->timestamp_ns, ==, 0);
  gst_sample_unref (s);
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
      500 * GST_MSECOND, GST_SEEK_TYPE_NONE, -1);
  guint32 seqnum = gst_event_get_seqnum (seek);
  g_assert_true (gst_element_send_event (p.pipeline, seek));
  s = gst_app_sink_pull_sample (p.sink);
  const DdFrameMeta *fm = sample_frame (s);
  g_assert_cmpuint (fm->timestamp_ns, ==, 500 * GST_MSECOND);
  g_assert_cmpint (fm->frame_index, ==, 5);
  g_assert_cmpuint (p.r->last_segment_seqnum, ==, seqnum);
  gst_sample_unref (s);
  g_assert_nonnull (strstr (p.r->log->str, "FfG"));
  gint64 duration;
  g_assert_true (gst_element_query_duration (p.pipeline, GST_FORMAT_TIME,
          &duration));
  g_assert_cmpint (duration, ==, GST_SECOND);
  /* The rest of the video follows, then EOS. */
  guint rest = 0;
  while ((s = gst_app_sink_pull_sample (p.sink))) {
    rest++;
    gst_sample_unref (s);
  }
  g_assert_cmpuint (rest, ==, 4);
  player_stop (&p);
}

/* Running time of a sample's buffer in its segment. */
static GstClockTime
sample_running_time (GstSample *s)
{
  return gst_segment_to_running_time (gst_sample_get_segment (s), GST_FORMAT_TIME,
      GST_BUFFER_PTS (gst_sample_get_buffer (s)));
}

/* A flushing seek restarts running time at 0, so the next video follows
 * where the seek's timeline ends: a.mp4 played from 0.5 s to its end is
 * 0.5 s of running time, and b.mkv starts there, not at 1 s (where a.mp4
 * would have ended unseeked: a sink with sync would wait out the gap). */
static void
test_seek_then_next_video (void)
{
  player p = play (corpus);
  for (int i = 0; i < 2; i++)
    gst_sample_unref (gst_app_sink_pull_sample (p.sink));
  g_assert_true (gst_element_send_event (p.pipeline, gst_event_new_seek (1.0,
              GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
              GST_SEEK_TYPE_SET, 500 * GST_MSECOND, GST_SEEK_TYPE_NONE, -1)));
  GstSample *s;
  GstClockTime last_a = GST_CLOCK_TIME_NONE;
  g_autofree char *a_uri = NULL;
  while ((s = gst_app_sink_pull_sample (p.sink))) {
    const DdFrameMeta *fm = sample_frame (s);
    if (!a_uri)
      a_uri = g_strdup (fm->uri);
    if (g_strcmp0 (fm->uri, a_uri) != 0)
      break;
    last_a = sample_running_time (s);
    gst_sample_unref (s);
  }
  g_assert_nonnull (s);
  g_assert_cmpuint (last_a, ==, 400 * GST_MSECOND);
  g_assert_cmpuint (sample_running_time (s), ==, 500 * GST_MSECOND);
  gst_sample_unref (s);
  player_stop (&p);
}

/* After each video a "ddcorpussrc-file" message: the frames it gave and
 * whether it played to its end. A video cut short by an EOS request (as
 * gst-launch-1.0 -e sends on Ctrl-C) gets one too. */
static void
test_file_messages (void)
{
  player p = play (corpus);
  GstSample *s;
  for (int i = 0; i < 12; i++)          /* all of a.mp4, 2 of b.mkv */
    gst_sample_unref (gst_app_sink_pull_sample (p.sink));
  g_assert_true (gst_element_send_event (p.src, gst_event_new_eos ()));
  while ((s = gst_app_sink_pull_sample (p.sink)))
    gst_sample_unref (s);
  GstBus *bus = gst_element_get_bus (p.pipeline);
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (m);
    if (gst_structure_has_name (st, "ddcorpussrc-file"))
      g_ptr_array_add (files, gst_structure_copy (st));
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  g_assert_cmpuint (files->len, ==, 2);
  const GstStructure *a = g_ptr_array_index (files, 0), *b = g_ptr_array_index (files, 1);
  guint64 frames = 0;
  gboolean complete = FALSE;
  g_assert_true (g_str_has_suffix (gst_structure_get_string (a, "uri"), "/a.mp4"));
  g_assert_true (gst_structure_get (a, "frames", G_TYPE_UINT64, &frames, "complete",
          G_TYPE_BOOLEAN, &complete, NULL));
  g_assert_cmpuint (frames, ==, 10);
  g_assert_true (complete);
  g_assert_true (g_str_has_suffix (gst_structure_get_string (b, "uri"), "/b.mkv"));
  g_assert_true (gst_structure_get (b, "frames", G_TYPE_UINT64, &frames, "complete",
          G_TYPE_BOOLEAN, &complete, NULL));
  g_assert_cmpuint (frames, >=, 2);
  g_assert_cmpuint (frames, <, 8);
  g_assert_false (complete);
  g_ptr_array_unref (files);
  player_stop (&p);
}

/* The next-file request ends the current video early (only when it names
 * it), and the next one plays in full. */
static void
test_next_file (void)
{
  player p = play (corpus);
  GstSample *s = gst_app_sink_pull_sample (p.sink);
  const DdFrameMeta *fm = sample_frame (s);
  g_assert_false (gst_element_send_event (GST_ELEMENT (p.sink),
          dd_corpus_next_file_event_new ("file:///not/playing.mp4")));
  g_assert_true (gst_element_send_event (GST_ELEMENT (p.sink),
          dd_corpus_next_file_event_new (fm->uri)));
  g_autofree char *a_uri = g_strdup (fm->uri);
  gst_sample_unref (s);
  guint from_a = 1, from_b = 0;
  while ((s = gst_app_sink_pull_sample (p.sink))) {
    if (g_strcmp0 (sample_frame (s)->uri, a_uri) == 0)
      from_a++;
    else
      from_b++;
    gst_sample_unref (s);
  }
  g_test_message ("%u frames of a.mp4 out of 10 after the request", from_a);
  g_assert_cmpuint (from_a, <, 10);
  g_assert_cmpuint (from_b, ==, 8);
  player_stop (&p);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  corpus = fixture_tmpdir ("corpus");
  g_autofree char *a = in_corpus ("a.mp4");
  g_autofree char *b = in_corpus ("b.mkv");
  g_autofree char *notes = in_corpus ("a.json");
  g_autofree char *hidden = in_corpus (".c.mp4");
  fixture_make_video (a, FIXTURE_H264_MP4, 10, 10, 5, NULL);
  fixture_make_video (b, FIXTURE_VP8_MKV, 8, 10, 5, "smpte");
  write_text (notes, "{}");
  write_text (hidden, "");

  g_test_add_func ("/corpus/list/kinds", test_list_kinds);
  g_test_add_func ("/corpus/list/errors", test_list_errors);
  g_test_add_func ("/corpus/list/shards", test_shards);
  g_test_add_func ("/corpus/list/settle", test_settle);
  g_test_add_func ("/corpus/src/plays-corpus", test_plays_corpus);
  g_test_add_func ("/corpus/src/caps", test_caps);
  g_test_add_func ("/corpus/src/bad-videos", test_bad_videos);
  g_test_add_func ("/corpus/src/non-utf8-name", test_non_utf8_name);
  g_test_add_func ("/corpus/src/audio-only", test_audio_only);
  g_test_add_func ("/corpus/src/bad-location", test_bad_location);
  g_test_add_func ("/corpus/src/shards", test_shards_element);
  g_test_add_func ("/corpus/src/watch", test_watch);
  g_test_add_func ("/corpus/src/file-messages", test_file_messages);
  g_test_add_func ("/corpus/src/watch-settles-first-files",
      test_watch_settles_first_files);
  g_test_add_func ("/corpus/src/watch-outlives-a-lost-folder",
      test_watch_outlives_a_lost_folder);
  g_test_add_func ("/corpus/src/seek", test_seek);
  g_test_add_func ("/corpus/src/seek-then-next-video", test_seek_then_next_video);
  g_test_add_func ("/corpus/src/next-file", test_next_file);
  int status = g_test_run ();
  fixture_rmdir (corpus);
  g_free (corpus);
  return status;
}
