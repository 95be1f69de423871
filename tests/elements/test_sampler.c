/* ddsampler: which frames each mode takes (the plan, exactly), the element
 * on pushed streams (per-video state, no duration, bad timestamps), and on
 * real videos through ddcorpussrc: seeking takes the very frames decoding
 * through takes, downstream sees no flush and one segment per video, in
 * which running time never goes back from one video to the next (the
 * sampler keeps its seeks' segments to itself), and the decoding work
 * follows the frames taken, not the video's length. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <string.h>

#include "elements/ddframemeta.h"
#include "elements/sample_plan.h"
#include "fixtures.h"

#define MS GST_MSECOND

/* ---- The plan ------------------------------------------------------------ */

/* Feeds frames 0..n-1 at `fps` (times rounded to the millisecond when
 * `ms`, as Matroska stores them); returns the indices taken. */
static GArray *
run_plan (const dd_sample_params *p, const char *uri, guint n, gint fps,
    gboolean ms, gboolean known_duration)
{
  dd_sample_plan plan;
  GstClockTime duration = known_duration
      ? gst_util_uint64_scale (n, GST_SECOND, fps) : GST_CLOCK_TIME_NONE;
  dd_sample_plan_init (&plan, p, uri, duration, fps, 1);
  GArray *taken = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n && !dd_sample_plan_done (&plan); i++) {
    GstClockTime t = gst_util_uint64_scale (i, GST_SECOND, fps);
    if (ms)
      t = (t + MS / 2) / MS * MS;
    if (dd_sample_plan_take (&plan, t))
      g_array_append_val (taken, i);
  }
  dd_sample_plan_clear (&plan);
  return taken;
}

static void
test_plan_random (void)
{
  dd_sample_params p = { .mode = DD_SAMPLE_RANDOM, .count = 5, .seed = 7 };
  GArray *a = run_plan (&p, "file:///a.mp4", 300, 30, FALSE, TRUE);
  GArray *again = run_plan (&p, "file:///a.mp4", 300, 30, TRUE, TRUE);
  GArray *other = run_plan (&p, "file:///b.mp4", 300, 30, FALSE, TRUE);
  g_assert_cmpuint (a->len, ==, 5);
  /* Distinct, increasing, inside the video; the same with rounded times;
   * another video gets other frames. */
  for (guint i = 0; i < 5; i++) {
    g_assert_cmpuint (g_array_index (a, guint, i), <, 300);
    if (i)
      g_assert_cmpuint (g_array_index (a, guint, i), >,
          g_array_index (a, guint, i - 1));
    g_assert_cmpuint (g_array_index (a, guint, i), ==,
        g_array_index (again, guint, i));
  }
  g_assert_false (memcmp (a->data, other->data, 5 * sizeof (guint)) == 0);
  /* Another seed, other frames. */
  p.seed = 8;
  GArray *seed8 = run_plan (&p, "file:///a.mp4", 300, 30, FALSE, TRUE);
  g_assert_false (memcmp (a->data, seed8->data, 5 * sizeof (guint)) == 0);
  /* A video with fewer frames than asked gives them all. */
  p.count = 50;
  GArray *all = run_plan (&p, "file:///a.mp4", 20, 10, FALSE, TRUE);
  g_assert_cmpuint (all->len, ==, 20);
  /* Unknown duration: the first frames. */
  p.count = 3;
  GArray *first = run_plan (&p, "file:///a.mp4", 20, 10, FALSE, FALSE);
  g_assert_cmpuint (first->len, ==, 3);
  g_assert_cmpuint (g_array_index (first, guint, 2), ==, 2);
  g_array_unref (a);
  g_array_unref (again);
  g_array_unref (other);
  g_array_unref (seed8);
  g_array_unref (all);
  g_array_unref (first);
}

/* Over many videos, each frame is equally likely (one frame per video, as
 * the paper samples). */
static void
test_plan_random_uniform (void)
{
  dd_sample_params p = { .mode = DD_SAMPLE_RANDOM, .count = 1, .seed = 1 };
  guint hist[10] = { 0 };
  for (guint v = 0; v < 2000; v++) {
    g_autofree char *uri = g_strdup_printf ("file:///corpus/%04u.mp4", v);
    GArray *t = run_plan (&p, uri, 10, 10, FALSE, TRUE);
    g_assert_cmpuint (t->len, ==, 1);
    hist[g_array_index (t, guint, 0)]++;
    g_array_unref (t);
  }
  /* 200 expected per frame; 5 sigma is about 67. */
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (ABS ((gint) hist[i] - 200), <, 67);
}

static void
test_plan_every (void)
{
  dd_sample_params k = { .mode = DD_SAMPLE_EVERY_K, .interval_frames = 7 };
  GArray *a = run_plan (&k, NULL, 30, 30, TRUE, TRUE);
  guint want_k[] = { 0, 7, 14, 21, 28 };
  g_assert_cmpuint (a->len, ==, G_N_ELEMENTS (want_k));
  g_assert_cmpmem (a->data, a->len * sizeof (guint), want_k, sizeof want_k);
  g_array_unref (a);
  /* Every 0.1 s at 30 fps, times rounded to milliseconds: frames 0, 3, 6. */
  dd_sample_params t = { .mode = DD_SAMPLE_EVERY_T, .interval = 100 * MS };
  a = run_plan (&t, NULL, 9, 30, TRUE, TRUE);
  guint want_t[] = { 0, 3, 6 };
  g_assert_cmpmem (a->data, a->len * sizeof (guint), want_t, sizeof want_t);
  g_array_unref (a);
  /* Every 0.25 s at 10 fps: the first frame at or after each time. */
  t.interval = 250 * MS;
  a = run_plan (&t, NULL, 10, 10, FALSE, TRUE);
  guint want_t2[] = { 0, 3, 5, 8 };
  g_assert_cmpmem (a->data, a->len * sizeof (guint), want_t2, sizeof want_t2);
  g_array_unref (a);
  /* Done once the next time is past the end of a known duration. */
  dd_sample_plan plan;
  t.interval = 600 * MS;
  dd_sample_plan_init (&plan, &t, NULL, GST_SECOND, 10, 1);
  g_assert_true (dd_sample_plan_take (&plan, 0));
  g_assert_false (dd_sample_plan_done (&plan));
  g_assert_cmpuint (dd_sample_plan_next (&plan), ==, 600 * MS);
  g_assert_true (dd_sample_plan_take (&plan, 600 * MS));
  g_assert_true (dd_sample_plan_done (&plan));
  dd_sample_plan_clear (&plan);
}

/* ---- The element on pushed streams --------------------------------------- */

/* `props`: "name=value" pairs, as gst-launch-1.0 writes them. */
static GstHarness *
sampler_harness (const char *props)
{
  GstHarness *h = gst_harness_new ("ddsampler");
  g_auto (GStrv) pairs = g_strsplit (props, " ", -1);
  for (char **p = pairs; *p; p++) {
    g_auto (GStrv) kv = g_strsplit (*p, "=", 2);
    gst_util_set_object_arg (G_OBJECT (h->element), kv[0], kv[1]);
  }
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=8,height=8,"
      "framerate=10/1");
  return h;
}

static void
push_video (GstHarness *h, const char *uri, guint n)
{
  gst_harness_push_event (h, gst_event_new_stream_start (uri ? uri : "no-meta"));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  for (guint i = 0; i < n; i++) {
    GstBuffer *b = gst_buffer_new_allocate (NULL, 8 * 8 * 3, NULL);
    GST_BUFFER_PTS (b) = i * 100 * MS;
    GST_BUFFER_DURATION (b) = 100 * MS;
    if (uri)
      dd_buffer_add_frame_meta (b, uri, i * 100 * MS, i, 8, 8);
    g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_OK);
  }
}

static GArray *
pulled_times (GstHarness *h)
{
  GArray *t = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    guint64 pts = GST_BUFFER_PTS (b) / MS;
    g_array_append_val (t, pts);
    gst_buffer_unref (b);
  }
  return t;
}

/* Each video starts its own plan; frames without a DdFrameMeta are timed
 * by their segment; EOS passes. */
static void
test_element_every (void)
{
  GstHarness *h = sampler_harness ("mode=every-k interval-frames=4");
  push_video (h, "file:///a.mp4", 10);
  push_video (h, "file:///b.mp4", 6);
  push_video (h, NULL, 5);
  GArray *t = pulled_times (h);
  guint64 want[] = { 0, 400, 800, 0, 400, 0, 400 };
  g_assert_cmpmem (t->data, t->len * sizeof (guint64), want, sizeof want);
  g_array_unref (t);
  guint64 taken;
  g_object_get (h->element, "frames-taken", &taken, NULL);
  g_assert_cmpuint (taken, ==, 7);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  GstEvent *ev;
  gboolean eos = FALSE;
  while ((ev = gst_harness_try_pull_event (h))) {
    eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  gst_harness_teardown (h);
}

/* Random without a duration (the harness cannot answer the query): the
 * first frames, and a warning that says so. A frame without a timestamp
 * is dropped. */
static void
test_element_no_duration (void)
{
  GstHarness *h = sampler_harness ("mode=random count=2");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  GstBuffer *untimed = gst_buffer_new_allocate (NULL, 8 * 8 * 3, NULL);
  gst_harness_push_event (h, gst_event_new_stream_start ("untimed"));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  g_assert_cmpint (gst_harness_push (h, untimed), ==, GST_FLOW_OK);
  push_video (h, "file:///a.mp4", 10);
  GArray *t = pulled_times (h);
  guint64 want[] = { 0, 100 };
  g_assert_cmpmem (t->data, t->len * sizeof (guint64), want, sizeof want);
  g_array_unref (t);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (m);
  GError *e = NULL;
  gst_message_parse_warning (m, &e, NULL);
  g_assert_nonnull (strstr (e->message, "file:///a.mp4"));
  g_assert_nonnull (strstr (e->message, "unknown"));
  g_error_free (e);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* ---- On real videos, through ddcorpussrc --------------------------------- */

static char *corpus;            /* long.mp4, long.mkv (600 frames), short.mp4 (150) */

typedef struct {
  GPtrArray *frames;            /* "name@ms" of each frame taken */
  guint64 decoded;
  guint flushes, segments;
  GstSegment segment;           /* the last one downstream saw */
  GstClockTime running;         /* the running time frames last reached */
  guint backwards;              /* frames placed before that */
} sampled;

/* Counts flushes and segments, and frames whose running time (in the
 * segment downstream has) is before what an earlier frame reached. */
static GstPadProbeReturn
watch_stream (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  sampled *s = user;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt = gst_segment_to_running_time (&s->segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
    g_assert_true (GST_CLOCK_TIME_IS_VALID (rt));
    if (GST_CLOCK_TIME_IS_VALID (s->running) && rt < s->running) {
      g_test_message ("running time back to %" GST_TIME_FORMAT " after %"
          GST_TIME_FORMAT, GST_TIME_ARGS (rt), GST_TIME_ARGS (s->running));
      s->backwards++;
    }
    s->running = rt;
    return GST_PAD_PROBE_OK;
  }
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  s->flushes += GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_START;
  if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
    s->segments++;
    gst_event_copy_segment (ev, &s->segment);
  }
  return GST_PAD_PROBE_OK;
}

/* The frames taken from `location`, with `between` (elements ending in
 * "!", or "") between the source and the sampler. */
static sampled
sample_through (const char *location, const char *between, const char *sampler_props)
{
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc name=src ! %s ddsampler "
      "%s ! appsink name=sink sync=false", between, sampler_props);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", location, NULL);
  sampled s = { .frames = g_ptr_array_new_with_free_func (g_free),
    .running = GST_CLOCK_TIME_NONE };
  gst_segment_init (&s.segment, GST_FORMAT_TIME);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
      | GST_PAD_PROBE_TYPE_EVENT_FLUSH | GST_PAD_PROBE_TYPE_BUFFER,
      watch_stream, &s, NULL);
  gst_object_unref (pad);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  GstSample *smp;
  while ((smp = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    const DdFrameMeta *fm = dd_buffer_get_frame_meta (gst_sample_get_buffer (smp));
    g_assert_nonnull (fm);
    g_autofree char *name = g_path_get_basename (fm->uri);
    g_ptr_array_add (s.frames, g_strdup_printf ("%s@%" G_GUINT64_FORMAT, name,
            fm->timestamp_ns / MS));
    gst_sample_unref (smp);
  }
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR
      | GST_MESSAGE_WARNING);
  g_assert_null (err);
  gst_object_unref (bus);
  g_object_get (src, "frames-decoded", &s.decoded, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return s;
}

static sampled
sample (const char *location, const char *sampler_props)
{
  return sample_through (location, "", sampler_props);
}

static char *
joined (const sampled *s)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < s->frames->len; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "",
        (char *) g_ptr_array_index (s->frames, i));
  return g_string_free (out, FALSE);
}

/* Seeking and decoding through take the same frames; seeking decodes
 * fewer; downstream sees no flush, a segment per video, and running time
 * going on from one video to the next (ddensemble orders by it). */
static void
check_same_frames (const char *location, const char *props, guint expect)
{
  g_autofree char *seeking = g_strdup_printf ("%s seek-threshold=0.5", props);
  g_autofree char *through = g_strdup_printf ("%s seek-threshold=-1", props);
  sampled a = sample (location, seeking);
  sampled b = sample (location, through);
  g_autofree char *fa = joined (&a);
  g_autofree char *fb = joined (&b);
  g_test_message ("%s: %s; decoded %" G_GUINT64_FORMAT " seeking, %"
      G_GUINT64_FORMAT " through", props, fa, a.decoded, b.decoded);
  g_assert_cmpuint (a.frames->len, ==, expect);
  g_assert_cmpstr (fa, ==, fb);
  g_assert_cmpuint (a.decoded, <, b.decoded);
  g_assert_cmpuint (a.flushes, ==, 0);
  g_assert_cmpuint (a.segments, ==, 2);
  g_assert_cmpuint (a.backwards, ==, 0);
  g_assert_cmpuint (b.backwards, ==, 0);
  g_ptr_array_unref (a.frames);
  g_ptr_array_unref (b.frames);
}

static void
test_seek_same_frames (void)
{
  g_autofree char *pattern = g_build_filename (corpus, "long.*", NULL);
  check_same_frames (pattern, "mode=random count=3 seed=11", 6);
  check_same_frames (pattern, "mode=every-t interval=4.5", 10);
  check_same_frames (pattern, "mode=every-k interval-frames=100", 12);
}

/* A queue between the source and the sampler, with the sampler slowed so
 * that the source runs videos ahead, takes the same frames: each video's
 * duration comes down with its frames (a stream tag), and the sampler's
 * queries and seeks name their video, so the source refuses them once it
 * has moved on instead of answering for, or seeking in, the next one. */
static void
test_queue_between (void)
{
  g_autofree char *pattern = g_build_filename (corpus, "*.m*", NULL);
  const char *props = "mode=random count=3 seed=11 seek-threshold=0.5";
  sampled direct = sample (pattern, props);
  sampled queued = sample_through (pattern, "queue max-size-buffers=0 "
      "max-size-bytes=0 max-size-time=0 ! identity sleep-time=2000 !", props);
  g_autofree char *fd = joined (&direct);
  g_autofree char *fq = joined (&queued);
  g_test_message ("direct: %s; queued: %s", fd, fq);
  g_assert_cmpuint (direct.frames->len, ==, 9);
  g_assert_cmpstr (fq, ==, fd);
  g_ptr_array_unref (direct.frames);
  g_ptr_array_unref (queued.frames);
}

/* The decoding work grows with the frames taken, not with the length:
 * with a keyframe every 30 frames, each frame taken costs at most about
 * one keyframe interval, in a 150- or a 600-frame video alike. */
static void
test_cost_follows_frames (void)
{
  g_autofree char *long_mp4 = g_build_filename (corpus, "long.mp4", NULL);
  g_autofree char *short_mp4 = g_build_filename (corpus, "short.mp4", NULL);
  guint64 cost[2][3];
  const char *videos[2] = { short_mp4, long_mp4 };
  const guint counts[3] = { 1, 2, 4 };
  for (guint v = 0; v < 2; v++)
    for (guint c = 0; c < 3; c++) {
      g_autofree char *props = g_strdup_printf ("mode=random count=%u seed=3",
          counts[c]);
      sampled s = sample (videos[v], props);
      g_assert_cmpuint (s.frames->len, ==, counts[c]);
      cost[v][c] = s.decoded;
      g_ptr_array_unref (s.frames);
      g_test_message ("%s, %u frame(s): %" G_GUINT64_FORMAT " decoded",
          v ? "600 frames" : "150 frames", counts[c], cost[v][c]);
      /* A keyframe interval per frame, plus the few decoded ahead. */
      g_assert_cmpuint (cost[v][c], <=, counts[c] * 30 + 12);
    }
  sampled all = sample (long_mp4, "mode=random count=1 seek-threshold=-1");
  g_test_message ("600 frames, decoded through: %" G_GUINT64_FORMAT,
      all.decoded);
  g_ptr_array_unref (all.frames);
  g_assert_cmpuint (cost[1][0] * 4, <, 600);
}

/* The random frames of a video follow its name in the corpus, not the
 * folder it is mounted at: the corpus copied elsewhere gives the same
 * frames, so an experiment does not depend on its output folder. */
static void
test_same_frames_elsewhere (void)
{
  g_autofree char *elsewhere = fixture_tmpdir ("sampler-copy");
  g_autofree char *from = g_build_filename (corpus, "short.mp4", NULL);
  g_autofree char *to = g_build_filename (elsewhere, "short.mp4", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (from, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (to, bytes, (gssize) len, NULL));
  const char *props = "mode=random count=4 seed=5";
  sampled here = sample (corpus, props);
  sampled there = sample (elsewhere, props);
  g_autofree char *a = joined (&here);
  g_autofree char *b = joined (&there);
  g_test_message ("%s | %s", a, b);
  /* The corpus here has long.* too: compare short.mp4's frames. */
  g_assert_nonnull (strstr (a, b));
  g_assert_cmpuint (there.frames->len, ==, 4);
  g_ptr_array_unref (here.frames);
  g_ptr_array_unref (there.frames);
  fixture_rmdir (elsewhere);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  corpus = fixture_tmpdir ("sampler");
  g_autofree char *long_mp4 = g_build_filename (corpus, "long.mp4", NULL);
  g_autofree char *long_mkv = g_build_filename (corpus, "long.mkv", NULL);
  g_autofree char *short_mp4 = g_build_filename (corpus, "short.mp4", NULL);
  fixture_make_video (long_mp4, FIXTURE_H264_MP4, 600, 30, 30, NULL);
  fixture_make_video (long_mkv, FIXTURE_VP8_MKV, 600, 30, 30, "smpte");
  fixture_make_video (short_mp4, FIXTURE_H264_MP4, 150, 30, 30, NULL);

  g_test_add_func ("/sampler/plan/random", test_plan_random);
  g_test_add_func ("/sampler/plan/random-uniform", test_plan_random_uniform);
  g_test_add_func ("/sampler/plan/every", test_plan_every);
  g_test_add_func ("/sampler/element/every", test_element_every);
  g_test_add_func ("/sampler/element/no-duration", test_element_no_duration);
  g_test_add_func ("/sampler/seek/same-frames", test_seek_same_frames);
  g_test_add_func ("/sampler/element/same-frames-elsewhere",
      test_same_frames_elsewhere);
  g_test_add_func ("/sampler/seek/cost-follows-frames", test_cost_follows_frames);
  g_test_add_func ("/sampler/seek/queue-between", test_queue_between);
  int status = g_test_run ();
  fixture_rmdir (corpus);
  g_free (corpus);
  return status;
}
