/* dddatasetsink: the COCO dataset it writes (images, provenance, scores,
 * keypoints and thresholds), progress messages, resuming without
 * duplicates, a journal torn by a crash or damaged, settings that differ
 * from the journal's, bad input; and a pipeline killed (SIGKILL) twice in
 * the middle of a run, then restarted, which must give the very dataset an
 * uninterrupted run gives. */
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/coco.h"
#include "data/image.h"
#include "distill/thresholds.h"
#include "elements/coco_person.h"
#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "fixtures.h"

#define W 32
#define H 24

static char *
path_in (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

/* The sink with `props` ("name=value ..."), not started. */
static GstElement *
make_sink (const char *dir, const char *props)
{
  GstElement *sink = gst_element_factory_make ("dddatasetsink", NULL);
  /* No preroll wait: the harness pushes from the test's own thread. */
  g_object_set (sink, "location", dir, "async", FALSE, NULL);
  if (props && *props) {
    g_auto (GStrv) pairs = g_strsplit (props, " ", -1);
    for (char **p = pairs; *p; p++) {
      g_auto (GStrv) kv = g_strsplit (*p, "=", 2);
      gst_util_set_object_arg (G_OBJECT (sink), kv[0], kv[1]);
    }
  }
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  gst_object_unref (bus);
  return sink;
}

/* The harness starts the sink at once: with its properties set first. */
static GstHarness *
sink_harness (const char *dir, const char *props)
{
  GstHarness *h = gst_harness_new_with_element (make_sink (dir, props), "sink",
      NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=32,"
      "height=24,framerate=10/1");
  return h;
}

/* A person with 17 keypoints: even ones score 0.9, odd ones 0.1. */
static dd_detection
person (float x, float y, float score)
{
  dd_detection d = { .class_index = 0, .box = { x, y, x + 10, y + 12 },
    .score = score, .n_keypoints = 17 };
  for (int k = 0; k < 17; k++)
    d.keypoints[k] = (dd_keypoint) { x + k * 0.5f, y + 1 + k * 0.25f,
      k % 2 ? 0.1f : 0.9f };
  return d;
}

/* Frame `i` of `uri`: a gradient that depends on i, at i * 100 ms. */
static GstBuffer *
frame (const char *uri, guint i, gboolean with_people)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  GstMapInfo map;
  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (guint p = 0; p < W * H * 3; p++)
    map.data[p] = (guint8) (p * 7 + i * 31);
  gst_buffer_unmap (b, &map);
  GST_BUFFER_PTS (b) = i * 100 * GST_MSECOND;
  dd_buffer_add_frame_meta (b, uri, i * 100 * GST_MSECOND, i, W, H);
  if (with_people) {
    dd_detection d[2] = { person (2, 3, 0.8f), person (12, 6, 0.3f) };
    dd_buffer_add_detections_meta (b, W, H, d, 2);
  }
  return b;
}

static GList *
bus_messages (GstHarness *h, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (h->element);
  GList *out = NULL;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, type)))
    out = g_list_append (out, m);
  gst_object_unref (bus);
  return out;
}

static dd_coco_dataset *
read_dataset (const char *dir)
{
  g_autofree char *json = path_in (dir, "annotations.json");
  GError *error = NULL;
  dd_coco_dataset *ds = dd_coco_read_full (json, dir,
      DD_COCO_READ_CHECK_IMAGES, &error);
  g_assert_no_error (error);
  return ds;
}

/* Images exactly as pushed (PNG), identity and provenance, the annotation
 * above the score threshold with its keypoints below the keypoint
 * threshold unlabelled, and a message per frame. */
static void
test_writes_dataset (void)
{
  g_autofree char *dir = fixture_tmpdir ("sink");
  GstElement *sink = make_sink (dir, "image-format=png score-threshold=0.5 "
      "keypoint-threshold=0.3 post-messages=true");
  g_object_set (sink, "provenance", "{\"teacher\": \"tiny.safetensors\"}",
      NULL);
  GstHarness *h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=32,"
      "height=24,framerate=10/1");
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (gst_harness_push (h, frame ("file:///v/a.mp4", i, i == 1)),
        ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  guint64 written;
  g_object_get (h->element, "frames-written", &written, NULL);
  g_assert_cmpuint (written, ==, 3);
  GList *msgs = bus_messages (h, GST_MESSAGE_ELEMENT);
  GList *per_frame = fixture_filter (msgs, "dddatasetsink");
  GList *finished = fixture_filter (msgs, "dddatasetsink-finished");
  g_assert_cmpuint (g_list_length (per_frame), ==, 3);
  g_assert_cmpuint (g_list_length (finished), ==, 1);
  const GstStructure *s = gst_message_get_structure (per_frame->next->data);
  g_assert_cmpstr (gst_structure_get_string (s, "source-uri"), ==,
      "file:///v/a.mp4");
  g_autofree char *img2 = path_in (dir, "images/00000002.png");
  g_assert_cmpstr (gst_structure_get_string (s, "filename"), ==, img2);
  g_list_free (per_frame);
  g_list_free (finished);
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  gst_harness_teardown (h);

  dd_coco_dataset *ds = read_dataset (dir);
  g_assert_cmpuint (ds->images->len, ==, 3);
  for (guint i = 0; i < 3; i++) {
    const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, i);
    g_assert_cmpint (im->id, ==, i + 1);
    g_assert_cmpstr (im->source_uri, ==, "file:///v/a.mp4");
    g_assert_cmpint (im->timestamp_ns, ==, i * 100 * GST_MSECOND);
    g_autofree char *p = path_in (dir, im->file_name);
    dd_image *img = dd_image_load (p, NULL);
    g_assert_nonnull (img);
    for (guint b = 0; b < W * H * 3; b++)
      g_assert_cmpuint (img->data[b], ==, (guint8) (b * 7 + i * 31));
    dd_image_free (img);
  }
  g_assert_cmpuint (ds->annotations->len, ==, 1);
  const dd_coco_annotation *a = &g_array_index (ds->annotations,
      dd_coco_annotation, 0);
  g_assert_cmpint (a->image_id, ==, 2);
  g_assert_cmpint (a->category_id, ==, 1);
  g_assert_cmpfloat (a->bbox[0], ==, 2.0);
  g_assert_cmpfloat (a->bbox[1], ==, 3.0);
  g_assert_cmpfloat (a->bbox[2], ==, 10.0);
  g_assert_cmpfloat (a->bbox[3], ==, 12.0);
  g_assert_cmpfloat (a->area, ==, 120.0);
  g_assert_true (a->has_score);
  g_assert_cmpfloat (a->score, ==, (double) 0.8f);
  g_assert_cmpint (a->n_keypoints, ==, 17);
  g_assert_cmpint (a->num_keypoints, ==, 9);
  g_assert_cmpfloat (a->keypoints[3 * 2], ==, 3.0f);
  g_assert_cmpfloat (a->keypoints[3 * 2 + 2], ==, 2.0f);
  g_assert_cmpfloat (a->keypoints[3 * 3], ==, 0.0f);
  g_assert_cmpfloat (a->keypoints[3 * 3 + 2], ==, 0.0f);
  JsonObject *prov = json_node_get_object (ds->provenance);
  g_assert_cmpstr (json_object_get_string_member (prov, "teacher"), ==,
      "tiny.safetensors");
  JsonObject *writer = json_object_get_object_member (prov, "dataset_writer");
  g_assert_cmpfloat (json_object_get_double_member (writer, "score_threshold"),
      ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (writer,
          "keypoint_threshold"), ==, 0.3);
  dd_coco_dataset_free (ds);
  fixture_rmdir (dir);
}

/* A second run skips what the first wrote, by frame identity; frames
 * without a DdFrameMeta are known by their timestamps. */
static void
test_resume (void)
{
  g_autofree char *dir = fixture_tmpdir ("resume");
  GstHarness *h = sink_harness (dir, NULL);
  gst_harness_push (h, frame ("file:///v/a.mp4", 0, TRUE));
  gst_harness_push (h, frame ("file:///v/a.mp4", 1, FALSE));
  gst_harness_teardown (h);     /* stopped without EOS */
  g_autofree char *json = path_in (dir, "annotations.json");
  g_assert_false (g_file_test (json, G_FILE_TEST_EXISTS));

  h = sink_harness (dir, NULL);
  for (guint i = 0; i < 3; i++)
    gst_harness_push (h, frame ("file:///v/a.mp4", i, i == 0));
  gst_harness_push (h, frame ("file:///v/b.mp4", 1, FALSE));
  GstBuffer *bare = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  GST_BUFFER_PTS (bare) = 5 * GST_SECOND;
  gst_harness_push (h, gst_buffer_copy (bare));
  gst_harness_push (h, bare);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  guint64 written, skipped;
  g_object_get (h->element, "frames-written", &written, "frames-skipped",
      &skipped, NULL);
  g_assert_cmpuint (written, ==, 5);
  g_assert_cmpuint (skipped, ==, 3);
  gst_harness_teardown (h);
  dd_coco_dataset *ds = read_dataset (dir);
  g_assert_cmpuint (ds->images->len, ==, 5);
  g_assert_cmpuint (ds->annotations->len, ==, 2);
  const dd_coco_image *last = &g_array_index (ds->images, dd_coco_image, 4);
  g_assert_null (last->source_uri);
  g_assert_cmpint (last->timestamp_ns, ==, 5 * GST_SECOND);
  dd_coco_dataset_free (ds);
  fixture_rmdir (dir);
}

/* Whether the sink starts; the text of its error, and of its warning when
 * `warning_text` is given. */
static gboolean
starts (const char *dir, const char *props, char **error_text,
    char **warning_text)
{
  GstElement *sink = gst_object_ref_sink (make_sink (dir, props));
  gboolean ok = gst_element_set_state (sink, GST_STATE_PAUSED)
      != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_element_get_bus (sink);
  GstMessage *m;
  while ((m = gst_bus_pop (bus))) {
    GError *e = NULL;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR && !*error_text) {
      gst_message_parse_error (m, &e, NULL);
      *error_text = g_strdup (e->message);
    } else if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING && warning_text
        && !*warning_text) {
      gst_message_parse_warning (m, &e, NULL);
      *warning_text = g_strdup (e->message);
    }
    g_clear_error (&e);
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
  return ok;
}

static void
append (const char *path, const char *text)
{
  FILE *f = g_fopen (path, "ab");
  fputs (text, f);
  fclose (f);
}

static char *
contents (const char *path)
{
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* A torn last line is cut off; damage before the last line, other
 * settings than the journal's, or resume=false on a journal stop the
 * start with an error naming the journal. */
static void
test_journal_faults (void)
{
  g_autofree char *dir = fixture_tmpdir ("journal");
  g_autofree char *journal = path_in (dir, "journal.jsonl");
  GstHarness *h = sink_harness (dir, NULL);
  gst_harness_push (h, frame ("file:///v/a.mp4", 0, TRUE));
  gst_harness_teardown (h);
  g_autofree char *good = contents (journal);

  append (journal, "{\"id\":2,\"file_name\":\"ima");
  char *err = NULL, *warning = NULL;
  g_assert_true (starts (dir, NULL, &err, &warning));
  g_assert_null (err);
  g_assert_nonnull (strstr (warning, "stopped while writing a frame"));
  g_free (warning);
  g_autofree char *cut = contents (journal);
  g_assert_cmpstr (cut, ==, good);

  append (journal, "not json\n{\"id\":3}\n");
  g_assert_false (starts (dir, NULL, &err, NULL));
  g_assert_nonnull (strstr (err, journal));
  g_assert_nonnull (strstr (err, "line 3"));
  g_clear_pointer (&err, g_free);
  g_assert_true (g_file_set_contents (journal, good, -1, NULL));

  g_assert_false (starts (dir, "score-threshold=0.25", &err, NULL));
  g_assert_nonnull (strstr (err, "other categories or provenance"));
  g_clear_pointer (&err, g_free);
  g_assert_false (starts (dir, "resume=false", &err, NULL));
  g_assert_nonnull (strstr (err, "resume=true"));
  g_clear_pointer (&err, g_free);
  g_assert_false (starts (dir, "categories=/nonexistent/cats.json", &err,
          NULL));
  g_assert_nonnull (strstr (err, "/nonexistent/cats.json"));
  g_clear_pointer (&err, g_free);
  fixture_rmdir (dir);
}

/* One writer a folder: a second sink on a folder another one has open
 * is refused, naming it; once the first has stopped, it starts. */
static void
test_one_writer (void)
{
  g_autofree char *dir = fixture_tmpdir ("one-writer");
  GstHarness *h = sink_harness (dir, NULL);
  gst_harness_push (h, frame ("file:///v/a.mp4", 0, TRUE));
  char *err = NULL;
  g_assert_false (starts (dir, NULL, &err, NULL));
  g_assert_nonnull (strstr (err, "another writer"));
  g_assert_nonnull (strstr (err, dir));
  g_clear_pointer (&err, g_free);
  gst_harness_teardown (h);
  g_assert_true (starts (dir, NULL, &err, NULL));
  g_assert_null (err);
  fixture_rmdir (dir);
}

/* The journal writes float32 values with 9 digits, not 17, and gives back
 * the very values written: the COCO file a resumed run writes from the
 * journal alone equals, to the byte, the one written from memory at the
 * first run's EOS, boxes scaled by a non-float factor included. */
static void
test_journal_exact (void)
{
  g_autofree char *dir = fixture_tmpdir ("exact");
  GstHarness *h = sink_harness (dir, NULL);
  for (guint i = 0; i < 3; i++) {
    GstBuffer *b = frame ("file:///v/\"quoted\"\\a.mp4", i, FALSE);
    /* Detections on a grid three times the frame's: boxes scaled by 1/3. */
    dd_detection d[2] = { person (2.1f + i, 3.7f, 0.1f),
      person (12.3f, 6.9f, 0.7f / 3) };
    dd_buffer_add_detections_meta (b, 3 * W, 3 * H, d, 2);
    g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  g_autofree char *journal = path_in (dir, "journal.jsonl");
  g_autofree char *lines = contents (journal);
  g_assert_nonnull (strstr (lines, "\"score\":0.100000001,"));
  g_assert_null (strstr (lines, "0.10000000149011612"));
  g_autofree char *json = path_in (dir, "annotations.json");
  g_autofree char *first = contents (json);
  dd_coco_dataset *ds = read_dataset (dir);
  g_assert_cmpuint (ds->annotations->len, ==, 6);
  const dd_coco_annotation *a = &g_array_index (ds->annotations,
      dd_coco_annotation, 0);
  g_assert_cmpfloat (a->score, ==, (double) 0.1f);
  g_assert_cmpfloat (a->bbox[0], ==, 2.1f * ((double) W / (3 * W)));
  g_assert_cmpfloat (a->keypoints[3], ==, (float) ((2.1f + 0.5f)
          * ((double) W / (3 * W))));
  g_assert_cmpstr (g_array_index (ds->images, dd_coco_image, 0).source_uri,
      ==, "file:///v/\"quoted\"\\a.mp4");
  dd_coco_dataset_free (ds);

  g_assert_cmpint (g_unlink (json), ==, 0);
  h = sink_harness (dir, NULL);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  g_autofree char *resumed = contents (json);
  g_assert_cmpstr (resumed, ==, first);
  fixture_rmdir (dir);
}

/* Detections the categories cannot hold, and frames that do not fit their
 * caps, stop the stream with an error that says what is wrong; other
 * formats than RGB are not accepted. */
static void
test_bad_input (void)
{
  g_autofree char *dir = fixture_tmpdir ("bad");
  GstHarness *h = sink_harness (dir, NULL);
  GstBuffer *b = frame ("file:///v/a.mp4", 0, FALSE);
  dd_detection d = person (1, 1, 0.9f);
  d.class_index = 3;
  dd_buffer_add_detections_meta (b, W, H, &d, 1);
  g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_ERROR);
  GList *errors = bus_messages (h, GST_MESSAGE_ERROR);
  g_assert_cmpuint (g_list_length (errors), ==, 1);
  GError *e = NULL;
  gst_message_parse_error (errors->data, &e, NULL);
  g_assert_nonnull (strstr (e->message, "class 3 in file:///v/a.mp4"));
  g_clear_error (&e);
  g_list_free_full (errors, (GDestroyNotify) gst_message_unref);
  gst_harness_teardown (h);

  h = sink_harness (dir, NULL);
  b = frame ("file:///v/a.mp4", 1, FALSE);
  d = person (1, 1, 0.9f);
  d.n_keypoints = 5;
  dd_buffer_add_detections_meta (b, W, H, &d, 1);
  g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_ERROR);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL, 10,
              NULL)), ==, GST_FLOW_ERROR);
  errors = bus_messages (h, GST_MESSAGE_ERROR);
  g_assert_cmpuint (g_list_length (errors), ==, 2);
  gst_message_parse_error (errors->data, &e, NULL);
  g_assert_nonnull (strstr (e->message, "5 keypoints in file:///v/a.mp4"));
  g_clear_error (&e);
  gst_message_parse_error (errors->next->data, &e, NULL);
  g_assert_nonnull (strstr (e->message, "smaller than its caps"));
  g_assert_nonnull (strstr (e->message, "without DdFrameMeta"));
  g_clear_error (&e);
  g_list_free_full (errors, (GDestroyNotify) gst_message_unref);
  GstCaps *i420 = gst_caps_from_string ("video/x-raw,format=I420,width=32,"
      "height=24");
  g_assert_false (gst_pad_peer_query_accept_caps (h->srcpad, i420));
  gst_caps_unref (i420);
  gst_harness_teardown (h);

  char *err = NULL;
  g_assert_false (starts ("", NULL, &err, NULL));
  g_assert_nonnull (strstr (err, "location"));
  g_clear_pointer (&err, g_free);
  /* A labelled set that cannot be read, a coco-file that names no file in
   * the folder: refused at start, not at the EOS after the whole run. */
  g_assert_false (starts (dir, "labeled=/nonexistent/labeled.json", &err, NULL));
  g_assert_nonnull (strstr (err, "labeled: "));
  g_assert_nonnull (strstr (err, "/nonexistent/labeled.json"));
  g_clear_pointer (&err, g_free);
  g_assert_false (starts (dir, "coco-file=", &err, NULL));
  g_assert_nonnull (strstr (err, "coco-file must name a file"));
  g_clear_pointer (&err, g_free);
  g_assert_false (starts (dir, "coco-file=sub/a.json", &err, NULL));
  g_assert_nonnull (strstr (err, "not 'sub/a.json'"));
  g_free (err);
  fixture_rmdir (dir);
}

/* A labeled set of 2 images with 3 people, 8 of whose 17 keypoints are
 * labelled each. */
static char *
write_labeled_set (const char *dir)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  dd_coco_person_add_category (ds);
  for (int i = 1; i <= 2; i++) {
    dd_coco_image im = { .id = i, .file_name = "x.jpg", .width = W,
      .height = H, .timestamp_ns = -1 };
    dd_coco_add_image (ds, &im);
  }
  float kp[3 * 17] = { 0 };
  for (int k = 0; k < 8; k++) {
    kp[3 * k] = 5;
    kp[3 * k + 1] = 5;
    kp[3 * k + 2] = 2;
  }
  for (int a = 1; a <= 3; a++) {
    dd_coco_annotation ann = { .id = a, .image_id = a == 3 ? 2 : 1,
      .category_id = 1, .bbox = { 1, 1, 10, 10 }, .area = 100,
      .n_keypoints = 17, .num_keypoints = 8, .keypoints = kp };
    dd_coco_add_annotation (ds, &ann);
  }
  char *path = path_in (dir, "labeled.json");
  GError *error = NULL;
  g_assert_true (dd_coco_write (ds, path, &error));
  g_assert_no_error (error);
  dd_coco_dataset_free (ds);
  return path;
}

/* With a labeled set, the thresholds are chosen at EOS by count matching
 * over the whole dataset: 1.5 people per labeled image, so 6 of the 4
 * frames' 8 candidates; they are recorded in the provenance and applied.
 * A static keypoint-threshold as well still leaves out what it left out
 * (0.95: every keypoint), however low the calibrated one. */
static void
calibrated (double static_keypoint_threshold)
{
  g_autofree char *dir = fixture_tmpdir ("calibrated");
  g_autofree char *labeled = write_labeled_set (dir);
  g_autofree char *out = path_in (dir, "ds");
  GstElement *sink = make_sink (out, NULL);
  g_object_set (sink, "labeled", labeled, "keypoint-threshold",
      static_keypoint_threshold, NULL);
  GstHarness *h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=32,"
      "height=24,framerate=10/1");
  const float scores[4][3] = { {0.9f, 0.8f, 0.3f}, {0.7f, 0.2f}, {0.6f},
    {0.5f, 0.4f} };
  const int n[4] = { 3, 2, 1, 2 };
  for (int i = 0; i < 4; i++) {
    GstBuffer *b = frame ("file:///v/c.mp4", (guint) i, FALSE);
    dd_detection d[3];
    for (int k = 0; k < n[i]; k++)
      d[k] = person (1.0f + k, 2.0f, scores[i][k]);
    dd_buffer_add_detections_meta (b, W, H, d, (guint) n[i]);
    g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  dd_coco_dataset *ds = read_dataset (out);
  g_assert_cmpuint (ds->annotations->len, ==, 6);
  JsonObject *prov = json_node_get_object (ds->provenance);
  dd_thresholds t;
  GError *error = NULL;
  g_assert_true (dd_thresholds_from_json (json_object_get_member (prov,
              "thresholds"), &t, &error));
  g_assert_no_error (error);
  g_test_message ("person >= %g, keypoints >= %g", t.classes[0].score,
      t.keypoint_score);
  g_assert_cmpfloat (t.classes[0].score, ==, (double) 0.4f);
  g_assert_cmpint (t.unlabeled_images, ==, 4);
  g_assert_cmpint (t.labeled_images, ==, 2);
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations,
        dd_coco_annotation, i);
    g_assert_cmpfloat (a->score, >=, t.classes[0].score);
    /* Even keypoints score 0.9, odd ones 0.1. */
    for (int k = 0; k < 17; k++) {
      float score = k % 2 ? 0.1f : 0.9f;
      gboolean kept = score >= t.keypoint_score && score >= static_keypoint_threshold;
      g_assert_cmpfloat (a->keypoints[3 * k + 2], ==, kept ? 2.0f : 0.0f);
    }
  }
  dd_thresholds_clear (&t);
  dd_coco_dataset_free (ds);
  fixture_rmdir (dir);
}

static void
test_calibrated (void)
{
  calibrated (0.0);
  calibrated (0.95);
}

/* ---- Killed mid-run ------------------------------------------------------ */

static const char *self_path;
static char *corpus;

/* Labels each frame with one person placed by the frame's index. */
static GstPadProbeReturn
label (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  (void) user;
  GstBuffer *b = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (b);
  g_assert_nonnull (fm);
  dd_detection d = person ((float) (fm->frame_index % 20), 2.0f,
      0.5f + fm->frame_index / 100.0f);
  dd_buffer_add_detections_meta (b, fm->width, fm->height, &d, 1);
  GST_PAD_PROBE_INFO_DATA (info) = b;
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
kill_after (GstBus *bus, GstMessage *msg, gpointer user)
{
  (void) bus;
  static guint written;
  guint limit = GPOINTER_TO_UINT (user);
  const GstStructure *s = gst_message_get_structure (msg);
  if (limit && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s
      && gst_structure_has_name (s, "dddatasetsink") && ++written == limit)
    kill (getpid (), SIGKILL);
  return GST_BUS_PASS;
}

/* The child: the labelling pipeline into `dir`, killed by itself right
 * after the sink reports its `limit`-th frame written (0: never). */
static int
child_main (const char *dir, guint limit)
{
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc location=%s ! "
      "ddsampler mode=every-k interval-frames=2 ! videoconvert ! "
      "video/x-raw,format=RGB ! identity name=label ! dddatasetsink "
      "location=%s post-messages=true", corpus, dir);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *id = gst_bin_get_by_name (GST_BIN (pipeline), "label");
  GstPad *pad = gst_element_get_static_pad (id, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, label, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (id);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, kill_after, GUINT_TO_POINTER (limit), NULL);
  gst_object_unref (bus);
  g_list_free_full (fixture_run (pipeline, 0, FALSE),
      (GDestroyNotify) gst_message_unref);
  gst_object_unref (pipeline);
  return 0;
}

/* Runs the child; returns its wait status. */
static int
run_child (const char *dir, guint limit)
{
  g_autofree char *n = g_strdup_printf ("%u", limit);
  char *argv[] = { (char *) self_path, "--child", corpus, (char *) dir, n, NULL };
  int status;
  GError *error = NULL;
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          NULL, NULL, &status, &error));
  g_assert_no_error (error);
  return status;
}

static guint
journal_lines (const char *dir)
{
  g_autofree char *journal = path_in (dir, "journal.jsonl");
  g_autofree char *text = contents (journal);
  guint n = 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

static void
test_killed_and_restarted (void)
{
  g_autofree char *straight = fixture_tmpdir ("straight");
  g_autofree char *killed = fixture_tmpdir ("killed");
  g_assert_cmpint (run_child (straight, 0), ==, 0);
  g_assert_cmpuint (journal_lines (straight), ==, 1 + 20);

  int status = run_child (killed, 5);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  g_assert_cmpuint (journal_lines (killed), ==, 1 + 5);
  /* As if the kill had come in the middle of writing the next line. */
  g_autofree char *journal = path_in (killed, "journal.jsonl");
  append (journal, "{\"id\":6,\"file_name\":\"images/0000");
  status = run_child (killed, 9);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  g_assert_cmpuint (journal_lines (killed), ==, 1 + 14);
  g_assert_cmpint (run_child (killed, 0), ==, 0);

  g_autofree char *json_a = path_in (straight, "annotations.json");
  g_autofree char *json_b = path_in (killed, "annotations.json");
  g_autofree char *a = contents (json_a);
  g_autofree char *b = contents (json_b);
  g_assert_cmpstr (a, ==, b);
  dd_coco_dataset *ds = read_dataset (killed);
  g_assert_cmpuint (ds->images->len, ==, 20);
  g_assert_cmpuint (ds->annotations->len, ==, 20);
  for (guint i = 0; i < ds->images->len; i++) {
    const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, i);
    g_autofree char *pa = path_in (straight, im->file_name);
    g_autofree char *pb = path_in (killed, im->file_name);
    gchar *da, *db;
    gsize la, lb;
    g_assert_true (g_file_get_contents (pa, &da, &la, NULL));
    g_assert_true (g_file_get_contents (pb, &db, &lb, NULL));
    g_assert_cmpmem (da, la, db, lb);
    g_free (da);
    g_free (db);
  }
  dd_coco_dataset_free (ds);
  fixture_rmdir (straight);
  fixture_rmdir (killed);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && strcmp (argv[1], "--child") == 0) {
    fixture_init_child (&argc, &argv);
    corpus = argv[2];
    return child_main (argv[3], (guint) atoi (argv[4]));
  }
  self_path = argv[0];
  fixture_init (&argc, &argv);
  corpus = fixture_tmpdir ("sink-corpus");
  g_autofree char *a = path_in (corpus, "a.mp4");
  g_autofree char *b = path_in (corpus, "b.mkv");
  fixture_make_video (a, FIXTURE_H264_MP4, 20, 10, 10, NULL);
  fixture_make_video (b, FIXTURE_VP8_MKV, 20, 10, 10, "smpte");

  g_test_add_func ("/datasetsink/writes-dataset", test_writes_dataset);
  g_test_add_func ("/datasetsink/resume", test_resume);
  g_test_add_func ("/datasetsink/journal-faults", test_journal_faults);
  g_test_add_func ("/datasetsink/journal-exact", test_journal_exact);
  g_test_add_func ("/datasetsink/one-writer", test_one_writer);
  g_test_add_func ("/datasetsink/bad-input", test_bad_input);
  g_test_add_func ("/datasetsink/calibrated", test_calibrated);
  g_test_add_func ("/datasetsink/killed-and-restarted",
      test_killed_and_restarted);
  int status = g_test_run ();
  fixture_rmdir (corpus);
  g_free (corpus);
  return status;
}
