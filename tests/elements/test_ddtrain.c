/* ddtrain: its pads and caps, the mixing ratio it draws (exactly the
 * seeded sampler's draws, for 6:4 and for 1:rho), progress messages with a
 * falling loss, EOS from upstream saving the student, a run stopped and
 * resumed ending as the uninterrupted one, and bad input named.
 *
 * The data: the `test` synthetic benchmark, generated once; the model: the
 * `tiny` preset at 32x32 pixels, so each run takes a second or two. */
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "data/mix_sampler.h"
#include "data/synth_bench.h"
#include "elements/ddannotationsmeta.h"
#include "fixtures.h"

static char *bench_dir;

static char *
bench_file (const char *name)
{
  return g_build_filename (bench_dir, name, NULL);
}

/* A pipeline training `tiny` in `out`: the labeled split always, the hidden
 * truth of unlabeled-120 (its images relative to the benchmark folder) as
 * the automatic stream when `automatic`. `extra` is more of ddtrain's
 * properties in gst-launch syntax. */
static GstElement *
training_pipeline (const char *out, gboolean automatic, const char *extra)
{
  g_autofree char *labeled = bench_file ("labeled-35.json");
  g_autofree char *truth = bench_file ("hidden/unlabeled-120.json");
  g_autofree char *second = automatic
      ? g_strdup_printf ("dddatasetsrc origin=automatic epochs=0 seed=4 location=%s "
          "images=%s ! t.automatic", truth, bench_dir) : g_strdup ("");
  g_autofree char *desc = g_strdup_printf ("dddatasetsrc location=%s epochs=0 "
      "seed=3 ! t.labeled %s ddtrain name=t model=tiny size=32 batch=4 device=cpu "
      "location=%s %s", labeled, second, out, extra);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  return p;
}

/* Runs to EOS; returns the "ddtrain-progress" messages' structures (copies)
 * and, in *done, the "ddtrain-done" one. */
static GPtrArray *
run_training (GstElement *p, GstStructure **done)
{
  GList *msgs = fixture_run (p, GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS, FALSE);
  GPtrArray *progress = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  *done = NULL;
  gboolean eos = FALSE;
  for (GList *l = msgs; l; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    eos |= GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_EOS;
    if (s && gst_structure_has_name (s, "ddtrain-progress"))
      g_ptr_array_add (progress, gst_structure_copy (s));
    else if (s && gst_structure_has_name (s, "ddtrain-done"))
      *done = gst_structure_copy (s);
  }
  g_assert_true (eos);
  g_assert_nonnull (*done);
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  gst_object_unref (p);
  return progress;
}

static guint64
get_u64 (const GstStructure *s, const char *field)
{
  guint64 v;
  g_assert_true (gst_structure_get_uint64 (s, field, &v));
  return v;
}

static double
get_double (const GstStructure *s, const char *field)
{
  double v;
  g_assert_true (gst_structure_get_double (s, field, &v));
  return v;
}

/* How many of n draws the seeded sampler makes from the manual source. */
static guint64
expected_manual (guint64 seed, double ratio, double rho, guint64 n)
{
  dd_mix_options o;
  dd_mix_options_init (&o);
  o.seed = seed;
  if (rho > 0) {
    dd_mix_options_set_rho (&o, rho);
  } else {
    o.manual_weight = ratio;
    o.automatic_weight = 1 - ratio;
  }
  dd_mix_sampler *s = dd_mix_sampler_new (1, 1, &o, NULL);
  guint64 manual = 0;
  for (guint64 i = 0; i < n; i++) {
    dd_mix_draw d;
    dd_mix_sampler_next (s, &d);
    manual += d.source == DD_MIX_MANUAL;
  }
  dd_mix_sampler_free (s);
  return manual;
}

/* Request pads: one labeled and one automatic, RGB caps. */
static void
test_pads (void)
{
  GstElement *t = gst_element_factory_make ("ddtrain", NULL);
  g_assert_nonnull (t);
  g_assert_true (GST_OBJECT_FLAG_IS_SET (t, GST_ELEMENT_FLAG_SINK));
  GstPad *labeled = gst_element_request_pad_simple (t, "labeled");
  GstPad *automatic = gst_element_request_pad_simple (t, "automatic");
  g_assert_nonnull (labeled);
  g_assert_nonnull (automatic);
  g_assert_cmpstr (GST_PAD_NAME (labeled), ==, "labeled");
  GstCaps *caps = gst_pad_query_caps (labeled, NULL);
  GstCaps *rgb = gst_caps_from_string ("video/x-raw,format=RGB,width=17,height=9,"
      "framerate=0/1");
  GstCaps *i420 = gst_caps_from_string ("video/x-raw,format=I420,width=16,"
      "height=8");
  g_assert_true (gst_caps_can_intersect (caps, rgb));
  g_assert_false (gst_caps_can_intersect (caps, i420));
  gst_caps_unref (caps);
  gst_caps_unref (rgb);
  gst_caps_unref (i420);
  gst_element_release_request_pad (t, automatic);
  gst_object_unref (automatic);
  g_assert_null (gst_element_get_static_pad (t, "automatic"));
  GstPad *again = gst_element_request_pad_simple (t, "automatic");
  g_assert_nonnull (again);
  gst_object_unref (again);
  gst_object_unref (labeled);
  gst_object_unref (t);
}

/* While a run goes its mix is fixed: no pad can be added; once the
 * pipeline is back in NULL, it can. */
static void
test_pads_fixed_while_running (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  GstElement *p = training_pipeline (out, FALSE, "iterations=100000");
  GstElement *t = gst_bin_get_by_name (GST_BIN (p), "t");
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_null (gst_element_request_pad_simple (t, "automatic"));
  gst_element_set_state (p, GST_STATE_NULL);
  GstPad *automatic = gst_element_request_pad_simple (t, "automatic");
  g_assert_nonnull (automatic);
  gst_element_release_request_pad (t, automatic);
  gst_object_unref (automatic);
  gst_object_unref (t);
  gst_object_unref (p);
  fixture_rmdir (out);
}

static guint64
iteration_of (GstElement *t)
{
  guint64 it;
  g_object_get (t, "iteration", &it, NULL);
  return it;
}

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer count)
{
  (void) pad;
  (void) info;
  g_atomic_int_inc ((gint *) count);
  return GST_PAD_PROBE_OK;
}

/* Stopping (the pipeline to NULL) ends the run at once, not after the
 * hundreds of images a big queue-size holds: the state change waits for
 * the run, and it trained on through them. One image an iteration, so
 * the images received minus the iterations done are the queue. */
static void
test_stop_with_full_queue (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  GstElement *p = training_pipeline (out, FALSE, "batch=1 iterations=1000000 "
      "queue-size=2048");
  GstElement *t = gst_bin_get_by_name (GST_BIN (p), "t");
  GstPad *labeled = gst_element_get_static_pad (t, "labeled");
  gint received = 0;
  gst_pad_add_probe (labeled, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &received,
      NULL);
  GstBus *bus = gst_element_get_bus (p);
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while ((guint64) g_atomic_int_get (&received) < iteration_of (t) + 1000) {
    g_autofree char *error = fixture_pop_error (bus, 0);
    g_assert_null (error);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (10000);
  }
  guint64 before = iteration_of (t);
  gst_element_set_state (p, GST_STATE_NULL);
  guint64 after = iteration_of (t);
  g_assert_cmpuint (after - before, <, 100);
  gst_object_unref (bus);
  gst_object_unref (labeled);
  gst_object_unref (t);
  gst_object_unref (p);
  fixture_rmdir (out);
}

/* 6:4 and 1:2: the images drawn from each stream are exactly the seeded
 * sampler's draws; a progress message per iteration; the loss falls; the
 * student is saved. */
static void
check_mix (const char *props, guint64 seed, double ratio, double rho)
{
  enum { ITERATIONS = 30, BATCH = 4 };
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  g_autofree char *all = g_strdup_printf ("iterations=%d seed=%" G_GUINT64_FORMAT
      " checkpoint-interval=10 %s", ITERATIONS, seed, props);
  GstStructure *done;
  GPtrArray *progress = run_training (training_pipeline (out, TRUE, all), &done);
  g_assert_cmpuint (progress->len, ==, ITERATIONS);
  for (guint i = 0; i < progress->len; i++) {
    const GstStructure *s = g_ptr_array_index (progress, i);
    g_assert_cmpuint (get_u64 (s, "iteration"), ==, i + 1);
    g_assert_cmpuint (get_u64 (s, "iterations"), ==, ITERATIONS);
    g_assert_cmpuint (get_u64 (s, "labeled-drawn") + get_u64 (s, "automatic-drawn"),
        ==, (i + 1) * BATCH);
    gboolean checkpointed;
    g_assert_true (gst_structure_get_boolean (s, "checkpointed", &checkpointed));
    g_assert_cmpint (checkpointed, ==, (i + 1) % 10 == 0);
  }
  const GstStructure *last = g_ptr_array_index (progress, ITERATIONS - 1);
  g_assert_cmpuint (get_u64 (last, "labeled-drawn"), ==,
      expected_manual (seed, ratio, rho, ITERATIONS * BATCH));
  const GstStructure *first = g_ptr_array_index (progress, 0);
  g_assert_cmpfloat (get_double (last, "loss"), <, get_double (first, "loss"));
  gboolean early;
  g_assert_true (gst_structure_get_boolean (done, "stopped-early", &early));
  g_assert_false (early);
  g_assert_cmpuint (get_u64 (done, "iteration"), ==, ITERATIONS);
  g_autofree char *model = g_build_filename (out, "model.safetensors", NULL);
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  gst_structure_free (done);
  g_ptr_array_unref (progress);
  fixture_rmdir (out);
}

static void
test_mix_ratio (void)
{
  check_mix ("ratio=0.6", 11, 0.6, 0);
}

static void
test_mix_rho (void)
{
  check_mix ("rho=2", 12, 0, 2);
}

/* Finite streams: the labeled split (7 images) once through; the second
 * minibatch cannot be completed, so the run stops after one iteration with
 * the student saved and EOS posted. */
static void
test_eos_saves (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  g_autofree char *labeled = bench_file ("labeled-35.json");
  g_autofree char *desc = g_strdup_printf ("dddatasetsrc location=%s epochs=1 ! "
      "t.labeled ddtrain name=t model=tiny size=32 batch=4 iterations=50 "
      "location=%s", labeled, out);
  GstStructure *done;
  GPtrArray *progress = run_training (gst_parse_launch (desc, NULL), &done);
  g_assert_cmpuint (progress->len, ==, 1);
  gboolean early;
  g_assert_true (gst_structure_get_boolean (done, "stopped-early", &early));
  g_assert_true (early);
  g_assert_cmpuint (get_u64 (done, "iteration"), ==, 1);
  g_autofree char *model = g_build_filename (out, "model.json", NULL);
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  gst_structure_free (done);
  g_ptr_array_unref (progress);
  fixture_rmdir (out);
}

static GBytes *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *bytes;
  gsize len;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  return g_bytes_new_take (bytes, len);
}

/* The `iteration` a run in `out` stands at as soon as it starts, before
 * any image comes (the streams here never send one). */
static void
check_iteration_at_start (const char *out, const char *props, guint64 expected)
{
  g_autofree char *desc = g_strdup_printf ("appsrc ! t.labeled appsrc ! t.automatic "
      "ddtrain name=t model=tiny size=32 batch=4 device=cpu location=%s %s", out,
      props);
  GstElement *p = gst_parse_launch (desc, NULL);
  g_assert_nonnull (p);
  GstElement *t = gst_bin_get_by_name (GST_BIN (p), "t");
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpuint (iteration_of (t), ==, expected);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (t);
  gst_object_unref (p);
}

/* Stopped after 5 of 12 iterations (as if killed) and run again: the same
 * weights as a run never stopped. A folder with a checkpoint and
 * resume=false is refused. */
static void
test_resume (void)
{
  g_autofree char *whole = fixture_tmpdir ("ddtrain");
  g_autofree char *parts = fixture_tmpdir ("ddtrain");
  const char *props = "iterations=12 checkpoint-interval=4 seed=5";
  GstStructure *done;
  g_ptr_array_unref (run_training (training_pipeline (whole, TRUE, props), &done));
  gst_structure_free (done);

  g_autofree char *stop = g_strdup_printf ("%s stop-after=5", props);
  GPtrArray *first = run_training (training_pipeline (parts, TRUE, stop), &done);
  g_assert_cmpuint (first->len, ==, 5);
  g_assert_cmpuint (get_u64 (done, "iteration"), ==, 5);
  gst_structure_free (done);
  g_ptr_array_unref (first);
  g_autofree char *model = g_build_filename (parts, "model.safetensors", NULL);
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  check_iteration_at_start (parts, props, 5);

  GPtrArray *second = run_training (training_pipeline (parts, TRUE, props), &done);
  g_assert_cmpuint (second->len, ==, 7);
  const GstStructure *s = g_ptr_array_index (second, 0);
  g_assert_cmpuint (get_u64 (s, "first"), ==, 5);
  g_assert_cmpuint (get_u64 (s, "iteration"), ==, 6);
  gst_structure_free (done);
  g_ptr_array_unref (second);

  GBytes *a = read_file (whole, "model.safetensors");
  GBytes *b = read_file (parts, "model.safetensors");
  g_assert_true (g_bytes_equal (a, b));
  g_bytes_unref (a);
  g_bytes_unref (b);

  /* Started again when done: nothing to train, and the done message says
   * where the run stands, not 0. */
  GPtrArray *again = run_training (training_pipeline (parts, TRUE, props), &done);
  g_assert_cmpuint (again->len, ==, 0);
  g_assert_cmpuint (get_u64 (done, "iteration"), ==, 12);
  gboolean early = TRUE;
  g_assert_true (gst_structure_get_boolean (done, "stopped-early", &early));
  g_assert_false (early);
  gst_structure_free (done);
  g_ptr_array_unref (again);

  g_autofree char *refuse = g_strdup_printf ("%s resume=false", props);
  GstElement *p = training_pipeline (parts, TRUE, refuse);
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  fixture_rmdir (whole);
  fixture_rmdir (parts);
}

/* A resumed run's progress counts the images it drew before the stop:
 * after it, each stream's count is the uninterrupted run's at the same
 * iteration, even where a minibatch since the resume drew nothing from
 * it (rho 0.1: most of them draw no automatic image). */
static void
test_resume_counts_drawn (void)
{
  g_autofree char *whole = fixture_tmpdir ("ddtrain");
  g_autofree char *parts = fixture_tmpdir ("ddtrain");
  const char *props = "iterations=8 checkpoint-interval=3 seed=7 rho=0.1";
  GstStructure *done;
  GPtrArray *all = run_training (training_pipeline (whole, TRUE, props), &done);
  gst_structure_free (done);
  g_autofree char *stop = g_strdup_printf ("%s stop-after=3", props);
  g_ptr_array_unref (run_training (training_pipeline (parts, TRUE, stop), &done));
  gst_structure_free (done);
  GPtrArray *rest = run_training (training_pipeline (parts, TRUE, props), &done);
  gst_structure_free (done);
  g_assert_cmpuint (rest->len, ==, 5);
  for (guint i = 0; i < rest->len; i++) {
    const GstStructure *r = g_ptr_array_index (rest, i);
    const GstStructure *w = g_ptr_array_index (all, 3 + i);
    g_assert_cmpuint (get_u64 (r, "iteration"), ==, get_u64 (w, "iteration"));
    g_assert_cmpuint (get_u64 (r, "labeled-drawn"), ==, get_u64 (w, "labeled-drawn"));
    g_assert_cmpuint (get_u64 (r, "automatic-drawn"), ==,
        get_u64 (w, "automatic-drawn"));
  }
  g_assert_cmpuint (get_u64 (g_ptr_array_index (rest, 0), "automatic-drawn"), >, 0);
  g_ptr_array_unref (all);
  g_ptr_array_unref (rest);
  fixture_rmdir (whole);
  fixture_rmdir (parts);
}

/* A run stopped on one data-id is not resumed on another (an error naming
 * the difference, its checkpoint kept); on the same one it goes on. */
static void
test_resume_other_data (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  GstStructure *done;
  g_ptr_array_unref (run_training (training_pipeline (out, FALSE,
              "iterations=6 stop-after=2 data-id=first"), &done));
  gst_structure_free (done);

  GstElement *p = training_pipeline (out, FALSE, "iterations=6 data-id=second");
  GList *errors = fixture_run (p, GST_MESSAGE_ERROR, TRUE);
  gst_object_unref (p);
  g_assert_cmpuint (g_list_length (errors), ==, 1);
  GError *e = NULL;
  gchar *debug = NULL;
  gst_message_parse_error (errors->data, &e, &debug);
  g_autofree char *text = g_strdup_printf ("%s %s", e->message, debug ? debug : "");
  g_assert_nonnull (strstr (text, "data_sha256"));
  g_assert_nonnull (strstr (text, "second"));
  g_error_free (e);
  g_free (debug);
  g_list_free_full (errors, (GDestroyNotify) gst_message_unref);

  GPtrArray *rest = run_training (training_pipeline (out, FALSE,
          "iterations=6 data-id=first"), &done);
  g_assert_cmpuint (rest->len, ==, 4);
  g_assert_cmpuint (get_u64 (done, "iteration"), ==, 6);
  gst_structure_free (done);
  g_ptr_array_unref (rest);
  fixture_rmdir (out);
}

/* A buffer pushed into the labeled pad through a harness, with the bus
 * watched: returns the error's message, or NULL when none came. */
static char *
push_error (GstBuffer *buf, const char *out, const char *caps)
{
  GstElement *t = gst_element_factory_make ("ddtrain", NULL);
  g_object_set (t, "model", "tiny", "size", 32, "batch", 1, "iterations",
      (guint64) 1, "location", out, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (t, bus);
  GstHarness *h = gst_harness_new_with_element (t, "labeled", NULL);
  gst_object_unref (t);
  gst_harness_set_src_caps_str (h, caps);
  GstFlowReturn ret = gst_harness_push (h, buf);
  char *text = fixture_pop_error (bus, 10 * GST_SECOND);
  if (text)
    g_assert_cmpint (ret, ==, GST_FLOW_ERROR);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  return text;
}

static GstBuffer *
rgb_buffer (int w, int h)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) ((w * 3 + 3) & ~3) * h,
      NULL);
  gst_buffer_memset (buf, 0, 0x80, gst_buffer_get_size (buf));
  return buf;
}

static GstBuffer *
labeled_buffer (int w, int h, DdLabelsOrigin origin, const char *category)
{
  GstBuffer *buf = rgb_buffer (w, h);
  dd_coco_annotation a = { .id = 1, .image_id = 7, .category_id = 1,
    .bbox = { 2, 2, 8, 8 }, .area = 64 };
  const char *names[] = { category };
  dd_buffer_add_annotations_meta (buf, origin, w, h, 7, &a, names, 1);
  return buf;
}

/* A buffer without labels, labels of another size, a category the model
 * does not have, automatic labels on the labeled pad: each refused, by
 * name. */
static void
test_bad_input (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  const char *caps = "video/x-raw,format=RGB,width=16,height=12,framerate=0/1";
  g_autofree char *plain = push_error (rgb_buffer (16, 12), out, caps);
  g_assert_nonnull (plain);
  g_assert_nonnull (strstr (plain, "DdAnnotationsMeta"));
  g_autofree char *size = push_error (labeled_buffer (20, 12, DD_LABELS_MANUAL,
          "person"), out, caps);
  g_assert_nonnull (strstr (size, "20x12"));
  g_autofree char *cat = push_error (labeled_buffer (16, 12, DD_LABELS_MANUAL,
          "dog"), out, caps);
  g_assert_nonnull (strstr (cat, "'dog'"));
  g_assert_nonnull (strstr (cat, "person"));
  g_autofree char *origin = push_error (labeled_buffer (16, 12,
          DD_LABELS_AUTOMATIC, "person"), out, caps);
  g_assert_nonnull (strstr (origin, "automatic"));
  fixture_rmdir (out);
}

/* Nothing on the labeled pad, no location, an unknown model, a
 * learning-rate schedule that is none, a requested pad nothing feeds:
 * refused at start, saying which. */
static void
test_bad_setup (void)
{
  GstElement *t = gst_element_factory_make ("ddtrain", NULL);
  g_object_set (t, "location", "/nonexistent-run", NULL);
  g_autofree char *no_pad = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (no_pad, "labeled pad"));
  GstPad *pad = gst_element_request_pad_simple (t, "labeled");
  g_object_set (t, "location", NULL, NULL);
  g_autofree char *no_location = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (no_location, "No folder"));
  g_object_set (t, "location", "/nonexistent-run", "model", "no-such-net", NULL);
  g_autofree char *no_model = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (no_model, "no-such-net"));
  /* Two streams cannot be mixed with all or none of a batch manual. */
  GstPad *automatic = gst_element_request_pad_simple (t, "automatic");
  g_object_set (t, "model", "tiny", "ratio", 1.0, NULL);
  g_autofree char *all_manual = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (all_manual, "ratio=1 "));
  g_object_set (t, "ratio", 0.6, "lr-drops", "0.9,0.7", NULL);
  g_autofree char *drops = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (drops, "lr-drops '0.9,0.7'"));
  /* Read back as set, not as the schedule it did not replace. */
  g_autofree char *read_back = NULL;
  g_object_get (t, "lr-drops", &read_back, NULL);
  g_assert_cmpstr (read_back, ==, "0.9,0.7");
  g_object_set (t, "lr-drops", NULL, NULL);
  g_autofree char *no_drops = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (no_drops, "lr-drops ''"));
  g_object_set (t, "lr-drops", "0.7,0.9", NULL);
  g_autofree char *unlinked = fixture_start_error (t, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (unlinked, "Nothing is linked to the labeled pad"));
  gst_object_unref (automatic);
  gst_object_unref (pad);
  gst_object_unref (t);
}

/* The labeled stream linked, the automatic pad requested and left alone:
 * the run would wait for its first automatic image for ever. */
static void
test_unlinked_automatic (void)
{
  g_autofree char *out = fixture_tmpdir ("ddtrain");
  GstElement *p = training_pipeline (out, FALSE, "");
  GstElement *t = gst_bin_get_by_name (GST_BIN (p), "t");
  GstPad *automatic = gst_element_request_pad_simple (t, "automatic");
  g_assert_nonnull (automatic);
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (p);
  g_autofree char *error = fixture_pop_error (bus, 0);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error, "Nothing is linked to the automatic pad"));
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (automatic);
  gst_object_unref (t);
  gst_object_unref (p);
  fixture_rmdir (out);
}

int
main (int argc, char **argv)
{
  /* One engine thread: tests run beside each other on few cores, where
   * OpenMP's spinning threads make a second one several times slower.
   * OpenMP reads the setting when it is loaded, so the test starts itself
   * again with it. */
  if (!g_getenv ("OMP_NUM_THREADS")) {
    g_setenv ("OMP_NUM_THREADS", "1", TRUE);
    execv ("/proc/self/exe", argv);
  }
  fixture_init (&argc, &argv);
  bench_dir = fixture_tmpdir ("ddtrain-bench");
  GError *error = NULL;
  dd_spec *spec = dd_spec_load ("test", &error);
  g_assert_no_error (error);
  g_assert_true (dd_bench_generate (spec, bench_dir, spec->seed, NULL, NULL, &error));
  g_assert_no_error (error);
  dd_spec_free (spec);
  g_test_add_func ("/ddtrain/pads", test_pads);
  g_test_add_func ("/ddtrain/pads-fixed-while-running", test_pads_fixed_while_running);
  g_test_add_func ("/ddtrain/stop-with-full-queue", test_stop_with_full_queue);
  g_test_add_func ("/ddtrain/mix-ratio", test_mix_ratio);
  g_test_add_func ("/ddtrain/mix-rho", test_mix_rho);
  g_test_add_func ("/ddtrain/eos-saves", test_eos_saves);
  g_test_add_func ("/ddtrain/resume", test_resume);
  g_test_add_func ("/ddtrain/resume-counts-drawn", test_resume_counts_drawn);
  g_test_add_func ("/ddtrain/resume-other-data", test_resume_other_data);
  g_test_add_func ("/ddtrain/bad-input", test_bad_input);
  g_test_add_func ("/ddtrain/bad-setup", test_bad_setup);
  g_test_add_func ("/ddtrain/unlinked-automatic", test_unlinked_automatic);
  int status = g_test_run ();
  fixture_rmdir (bench_dir);
  g_free (bench_dir);
  return status;
}
