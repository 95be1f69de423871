/* The teacher in the pipeline: ddinfer gives the detections the library
 * gives on the same image; ddinfer elements naming one model share it, and
 * the worker batches what waits; ddensemble matches passes by frame
 * identity (out of order, a dropped pass, a branch that never delivers, a
 * missing untransformed pass) and ensembles them; ddlabel's labels are
 * those of the library's own test-time augmentation (letterbox, passes,
 * ensemble, mapping back: tools/tta_predictor.c's steps) on the same
 * frames, to the bit; over a corpus of videos, every sampled frame comes
 * out labeled exactly once, with one branch slowed down and with many
 * frames per video and a change of caps between the videos. */
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <string.h>

#include "data/augment.h"
#include "distill/ensemble.h"
#include "distill/flip_map.h"
#include "distill/head_maps.h"
#include "distill/tta_spec.h"
#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/ddtransformmeta.h"
#include "elements/model_instance.h"
#include "fixtures.h"
#include "model/decode.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "model/predict.h"
#include "nn/rng.h"

static char *tmp;
static char *model;
static char *clips;             /* two videos of the same caps */
static char *clips_new_caps;    /* two videos whose frame rates differ */

static dd_image *
random_image (int w, int h, uint64_t seed)
{
  dd_image *img = dd_image_new (w, h, NULL);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 1);
  /* Smooth blobs rather than noise, so the network sees some structure. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        img->data[3 * (y * w + x) + c] = (uint8_t) ((x * (c + 1) * 7 + y * 5
                + dd_rng_below (&rng, 40)) % 256);
  return img;
}

static GstBuffer *
image_buffer (const dd_image *img, const char *uri, guint64 ts)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, (gsize) 3 * img->width
      * img->height, NULL);
  gst_buffer_fill (b, 0, img->data, (gsize) 3 * img->width * img->height);
  GST_BUFFER_PTS (b) = ts;
  dd_buffer_add_frame_meta (b, uri, ts, 0, img->width, img->height);
  return b;
}

/* Each RGB row padded to 4 bytes, as GStreamer lays out RGB. */
static GstBuffer *
padded_buffer (const dd_image *img, const char *uri, guint64 ts)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, img->width,
      img->height);
  GstBuffer *b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info),
      NULL);
  for (int y = 0; y < img->height; y++)
    gst_buffer_fill (b, (gsize) y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0),
        img->data + (size_t) 3 * img->width * y, (gsize) 3 * img->width);
  GST_BUFFER_PTS (b) = ts;
  dd_buffer_add_frame_meta (b, uri, ts, 0, img->width, img->height);
  return b;
}

/* ---- The library's own test-time augmentation ---------------------------- */

typedef struct {
  dd_backend *be;
  GHashTable *nets;             /* "WxH" -> dd_detector */
  int stride, cw, ch;
  dd_flip_map fm;
} reference;

static void
reference_init (reference *r)
{
  char err[1024];
  r->be = dd_backend_new ("reference", err, sizeof err);
  r->nets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) dd_detector_free);
  dd_detector *det = dd_model_dir_load (model, err, sizeof err);
  g_assert_nonnull (det);
  r->stride = det->stride;
  dd_net_default_size (det->net, &r->ch, &r->cw);
  g_assert_true (dd_flip_map_init (&r->fm, (const int (*)[2]) det->flip_pairs,
          det->n_flip_pairs, det->n_keypoints, NULL));
  dd_detector_free (det);
}

static void
reference_clear (reference *r)
{
  g_hash_table_unref (r->nets);
  dd_backend_free (r->be);
}

static dd_detector *
reference_net (reference *r, int w, int h)
{
  g_autofree char *key = g_strdup_printf ("%dx%d", w, h);
  dd_detector *det = g_hash_table_lookup (r->nets, key);
  if (det)
    return det;
  char err[1024];
  g_autofree char *weights = g_build_filename (model, DD_MODEL_WEIGHTS, NULL);
  det = dd_model_dir_load (model, err, sizeof err);
  g_assert_cmpint (dd_detector_setup (det, r->be, DD_NET_INFER, 1, h, w, err,
          sizeof err), ==, 0);
  g_assert_cmpint (dd_detector_load_weights (det, weights, err, sizeof err),
      ==, 0);
  g_hash_table_insert (r->nets, g_strdup (key), det);
  return det;
}

/* The first multiple of the stride from `size` up that the network takes
 * along one axis, worked out here independently of the library's
 * dd_detector_padded_side (a network that downsamples further than its
 * output stride needs the next multiple it can take). */
static int
padded_side (reference *r, int size, gboolean horizontal)
{
  char err[256];
  dd_detector *det = dd_model_dir_load (model, err, sizeof err);
  int side = (size + r->stride - 1) / r->stride * r->stride;
  while (dd_net_reshape (det->net, 1, horizontal ? r->ch : side,
          horizontal ? side : r->cw, err, sizeof err) != 0)
    side += r->stride;
  dd_detector_free (det);
  return side;
}

/* One pass: `img` padded on the right and at the bottom with the fill, the
 * network, the decoder; the maps copied. */
static GArray *
reference_pass (reference *r, const dd_image *img, dd_head_maps *maps)
{
  int w = padded_side (r, img->width, TRUE);
  int h = padded_side (r, img->height, FALSE);
  dd_image *padded = dd_image_new (w, h, NULL);
  for (int i = 0; i < w * h; i++)
    memcpy (padded->data + 3 * i, dd_detector_fill, 3);
  for (int y = 0; y < img->height; y++)
    memcpy (padded->data + (size_t) 3 * w * y, img->data + (size_t) 3
        * img->width * y, (size_t) 3 * img->width);
  float *input = g_new (float, (gsize) 3 * w * h);
  dd_detector_image_to_input (padded, input);
  dd_image_free (padded);
  dd_detector *det = reference_net (r, w, h);
  char err[1024];
  g_assert_cmpint (dd_detector_forward (det, input, 0, err, sizeof err), ==, 0);
  g_free (input);
  const dd_head_maps *m = &dd_detector_maps (det)->maps[0];
  dd_decode_params p;
  dd_decode_params_defaults (&p);
  GArray *dets = g_array_sized_new (FALSE, FALSE, sizeof (dd_detection),
      p.max_detections);
  g_array_set_size (dets, p.max_detections);
  int n = dd_decode (m, &p, (dd_detection *) dets->data);
  g_assert_cmpint (n, >=, 0);
  g_array_set_size (dets, n);
  if (maps) {
    unsigned heads = dd_maps_present (m);
    dd_maps_init (maps, m->h, m->w, m->stride, m->n_classes, m->n_keypoints,
        heads);
    for (unsigned bit = 1; bit & DD_MAPS_ALL; bit <<= 1)
      if (heads & bit)
        memcpy (dd_maps_data (maps, bit), dd_maps_data (m, bit),
            sizeof (float) * dd_maps_planes (m, bit) * m->h * m->w);
  }
  return dets;
}

/* The labels of `img`: letterboxed onto the model's canvas, every pass of
 * `spec` on the canvas, ensembled by `rules`, mapped back. */
static GArray *
reference_label (reference *r, const dd_image *img, const char *spec_text,
    const char *rules)
{
  dd_transform box = dd_letterbox (img->width, img->height, r->cw, r->ch);
  dd_image *canvas = dd_transform_image (&box, img, dd_detector_fill, NULL);
  dd_tta_spec *spec = dd_tta_spec_parse (spec_text, NULL);
  dd_tta_transform ts[DD_TTA_MAX_TRANSFORMS];
  int n = dd_tta_spec_resolve (spec, r->cw, r->ch, ts, NULL);
  dd_tta_spec_free (spec);
  dd_pass passes[DD_TTA_MAX_TRANSFORMS];
  GArray *dets[DD_TTA_MAX_TRANSFORMS];
  dd_head_maps maps[DD_TTA_MAX_TRANSFORMS];
  for (int i = 0; i < n; i++) {
    dd_transform t = dd_transform_resize (r->cw, r->ch, ts[i].width,
        ts[i].height, ts[i].flip);
    dd_image *moved = dd_transform_image (&t, canvas, dd_detector_fill, NULL);
    dets[i] = reference_pass (r, moved, &maps[i]);
    dd_image_free (moved);
    passes[i] = (dd_pass) { ts[i], (const dd_detection *) dets[i]->data,
      (int) dets[i]->len, &maps[i] };
  }
  dd_ensemble_params params;
  dd_ensemble_params_init (&params);
  if (rules)
    g_assert_true (dd_ensemble_params_parse (&params, rules, NULL));
  dd_ensembler *e = dd_ensembler_new (&params, &r->fm);
  GArray *labels = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  GError *error = NULL;
  g_assert_true (dd_ensembler_run (e, passes, n, labels, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < labels->len; i++)
    dd_detection_map_back (&box, &g_array_index (labels, dd_detection, i));
  dd_ensembler_free (e);
  for (int i = 0; i < n; i++) {
    g_array_unref (dets[i]);
    dd_maps_clear (&maps[i]);
  }
  dd_image_free (canvas);
  return labels;
}

static void
assert_same_detections (const dd_detection *a, guint na, const GArray *b)
{
  g_assert_cmpuint (na, ==, b->len);
  for (guint i = 0; i < na; i++) {
    const dd_detection *x = &a[i], *y = &g_array_index (b, dd_detection, i);
    g_assert_cmpint (x->class_index, ==, y->class_index);
    g_assert_cmpint (x->n_keypoints, ==, y->n_keypoints);
    g_assert_cmpmem (x->box, sizeof x->box, y->box, sizeof y->box);
    g_assert_cmpfloat (x->score, ==, y->score);
    g_assert_cmpmem (x->keypoints, sizeof (dd_keypoint) * x->n_keypoints,
        y->keypoints, sizeof (dd_keypoint) * y->n_keypoints);
  }
}

/* ---- ddinfer ------------------------------------------------------------- */

static GstHarness *
infer_harness (int w, int h, const char *device, guint batch)
{
  GstElement *e = gst_element_factory_make ("ddinfer", NULL);
  g_object_set (e, "model", model, "device", device, "batch-size", batch, NULL);
  GstHarness *hn = gst_harness_new_with_element (e, "sink", "src");
  g_autofree char *caps = g_strdup_printf ("video/x-raw,format=RGB,width=%d,"
      "height=%d,framerate=10/1", w, h);
  gst_harness_set_src_caps_str (hn, caps);
  return hn;
}

/* The detections of a frame (rows padded in memory, a size that is no
 * multiple of the stride) are the library's, with the model's flip
 * partners and the raw maps. */
static void
test_infer_matches_library (void)
{
  reference r;
  reference_init (&r);
  dd_image *img = random_image (50, 37, 3);
  GstHarness *h = infer_harness (50, 37, "reference", 1);
  GstBuffer *out = gst_harness_push_and_pull (h, padded_buffer (img,
          "file:///a.mp4", 0));
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (out);
  g_assert_nonnull (dm);
  dd_head_maps maps;
  GArray *want = reference_pass (&r, img, &maps);
  g_test_message ("%u detections", want->len);
  g_assert_cmpuint (want->len, >, 0);
  assert_same_detections (dm->detections, dm->n_detections, want);
  g_assert_cmpint (dm->width, ==, 50);
  g_assert_cmpint (dm->n_flip_partners, ==, 17);
  g_assert_cmpint (dm->flip_partner[1], ==, 2);   /* left eye <-> right eye */
  g_assert_cmpint (dm->flip_partner[0], ==, 0);   /* the nose is its own */
  g_assert_cmpstr (dm->model, ==, "model");
  g_assert_nonnull (dm->head_maps);
  g_assert_cmpint (dm->head_maps->h, ==, maps.h);
  g_assert_cmpmem (dm->head_maps->keypoint_heatmap, sizeof (float) * 17
      * maps.h * maps.w, maps.keypoint_heatmap, sizeof (float) * 17 * maps.h
      * maps.w);
  g_assert_nonnull (dd_buffer_get_frame_meta (out));
  dd_maps_clear (&maps);
  g_array_unref (want);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  dd_image_free (img);
  reference_clear (&r);
}

/* Live, ddinfer adds to the latency the longest inference yet, with half
 * again as headroom, and says so on the bus when it grows. */
static void
test_infer_latency (void)
{
  dd_image *img = random_image (50, 37, 3);
  GstHarness *h = infer_harness (50, 37, "reference", 1);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  g_assert_cmpuint (gst_harness_query_latency (h), ==, 10 * GST_MSECOND);
  gint64 start_us = g_get_monotonic_time ();
  gst_buffer_unref (gst_harness_push_and_pull (h, padded_buffer (img,
              "file:///a.mp4", 0)));
  GstClockTime took = (GstClockTime) (g_get_monotonic_time () - start_us)
      * GST_USECOND;
  GstClockTime added = gst_harness_query_latency (h) - 10 * GST_MSECOND;
  g_test_message ("inference within %" GST_TIME_FORMAT ", latency added %"
      GST_TIME_FORMAT, GST_TIME_ARGS (took), GST_TIME_ARGS (added));
  g_assert_cmpuint (added, >, 0);
  g_assert_cmpuint (added, <=, took + took / 2);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  g_assert_nonnull (m);
  g_assert_true (GST_MESSAGE_SRC (m) == GST_OBJECT (h->element));
  gst_message_unref (m);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  dd_image_free (img);
}

/* A model that cannot be loaded stops the start with an error naming it;
 * a frame that does not fit its caps is dropped with a warning. */
static void
test_infer_bad_input (void)
{
  GstElement *e = gst_element_factory_make ("ddinfer", NULL);
  g_object_set (e, "model", "/nonexistent/teacher", NULL);
  char *text = fixture_start_error (e, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (text, "/nonexistent/teacher"));
  g_free (text);
  gst_object_unref (e);

  GstHarness *h = infer_harness (32, 32, "reference", 1);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL, 10,
              NULL)), ==, GST_FLOW_OK);
  g_assert_null (gst_harness_try_pull (h));
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (m);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* ---- One model, shared and batched --------------------------------------- */

typedef struct {
  dd_model_instance *m;
  dd_image *img;
  dd_inference out;
} infer_job;

static gpointer
infer_thread (gpointer p)
{
  infer_job *j = p;
  dd_decode_params d;
  dd_decode_params_defaults (&d);
  g_assert_true (dd_model_instance_infer (j->m, j->img, &d, FALSE, &j->out,
          NULL));
  return NULL;
}

/* Instances are shared by key; images of one size waiting together run as
 * one batch, with the results of running them one by one. */
static void
test_shared_and_batched (void)
{
  GError *error = NULL;
  dd_model_instance *a = dd_model_instance_get (model, "reference", 4, &error);
  g_assert_no_error (error);
  g_autofree char *other_path = g_strdup_printf ("%s/.", model);
  dd_model_instance *b = dd_model_instance_get (other_path, "reference", 4,
      &error);
  g_assert_true (a == b);
  dd_model_instance_unref (b);
  dd_model_instance *single = dd_model_instance_get (model, "reference", 1,
      &error);
  g_assert_true (single != a);

  /* A large image keeps the worker busy while four small ones queue. */
  infer_job big = { .m = a, .img = random_image (320, 320, 1) };
  infer_job small[4];
  GThread *threads[5];
  threads[0] = g_thread_new ("big", infer_thread, &big);
  g_usleep (20000);
  for (int i = 0; i < 4; i++) {
    small[i] = (infer_job) { .m = a, .img = random_image (40, 24, 10 + i) };
    threads[i + 1] = g_thread_new ("small", infer_thread, &small[i]);
  }
  for (int i = 0; i < 5; i++)
    g_thread_join (threads[i]);
  guint64 images, runs, slots;
  dd_model_instance_stats (a, &images, &runs, &slots);
  g_test_message ("%" G_GUINT64_FORMAT " images in %" G_GUINT64_FORMAT
      " network runs", images, runs);
  g_assert_cmpuint (images, ==, 5);
  g_assert_cmpuint (runs, <, 5);
  dd_decode_params d;
  dd_decode_params_defaults (&d);
  for (int i = 0; i < 4; i++) {
    dd_inference alone = { 0 };
    g_assert_true (dd_model_instance_infer (single, small[i].img, &d, FALSE,
            &alone, NULL));
    assert_same_detections ((const dd_detection *) alone.detections->data,
        alone.detections->len, small[i].out.detections);
    dd_inference_clear (&alone);
    dd_inference_clear (&small[i].out);
    dd_image_free (small[i].img);
  }
  dd_inference_clear (&big.out);
  dd_image_free (big.img);
  dd_model_instance_unref (single);
  dd_model_instance_unref (a);
}

/* A request alone on a batch-4 instance runs as a batch of one, not padded
 * to four, and three waiting together run on a network for four; either
 * way the detections are those of a batch-1 instance. */
static void
test_batch_runs_what_waits (void)
{
  GError *error = NULL;
  dd_model_instance *a = dd_model_instance_get (model, "reference", 4, &error);
  g_assert_no_error (error);
  dd_model_instance *single = dd_model_instance_get (model, "reference", 1,
      &error);
  dd_decode_params d;
  dd_decode_params_defaults (&d);
  infer_job lone = { .m = a, .img = random_image (40, 24, 3) };
  infer_thread (&lone);
  guint64 images, runs, slots;
  dd_model_instance_stats (a, &images, &runs, &slots);
  g_assert_cmpuint (images, ==, 1);
  g_assert_cmpuint (runs, ==, 1);
  g_assert_cmpuint (slots, ==, 1);
  dd_inference alone = { 0 };
  g_assert_true (dd_model_instance_infer (single, lone.img, &d, FALSE, &alone,
          NULL));
  assert_same_detections ((const dd_detection *) alone.detections->data,
      alone.detections->len, lone.out.detections);
  dd_inference_clear (&alone);
  dd_inference_clear (&lone.out);
  dd_image_free (lone.img);

  /* Three small images queue behind a large one: 1 + 3 images, the three
   * in one run of four slots at most. */
  infer_job big = { .m = a, .img = random_image (320, 320, 1) };
  infer_job small[3];
  GThread *threads[4];
  threads[0] = g_thread_new ("big", infer_thread, &big);
  g_usleep (20000);
  for (int i = 0; i < 3; i++) {
    small[i] = (infer_job) { .m = a, .img = random_image (40, 24, 20 + i) };
    threads[i + 1] = g_thread_new ("small", infer_thread, &small[i]);
  }
  for (int i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  dd_model_instance_stats (a, &images, &runs, &slots);
  g_test_message ("%" G_GUINT64_FORMAT " images in %" G_GUINT64_FORMAT
      " runs of %" G_GUINT64_FORMAT " slots", images, runs, slots);
  g_assert_cmpuint (images, ==, 5);
  /* A run's slots are its images rounded up to a power of two: one empty
   * slot at most, when the three small ones run together. */
  g_assert_cmpuint (slots, <=, images + 1);
  for (int i = 0; i < 3; i++) {
    g_assert_true (dd_model_instance_infer (single, small[i].img, &d, FALSE,
            &alone, NULL));
    assert_same_detections ((const dd_detection *) alone.detections->data,
        alone.detections->len, small[i].out.detections);
    dd_inference_clear (&alone);
    dd_inference_clear (&small[i].out);
    dd_image_free (small[i].img);
  }
  dd_inference_clear (&big.out);
  dd_image_free (big.img);
  dd_model_instance_unref (single);
  dd_model_instance_unref (a);
}

/* ---- ddensemble ---------------------------------------------------------- */

/* A pass of frame `ts` on a 64x48 frame: the box (10, 8)-(30, 40) seen
 * through the pass (`flip`: mirrored), with `score`. */
static GstBuffer *
pass_buffer (guint64 ts, gboolean flip, float score)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  GST_BUFFER_PTS (b) = ts;
  dd_buffer_add_frame_meta (b, "file:///v.mp4", ts, 0, 64, 48);
  dd_buffer_add_transform_meta (b, 64, 48, NULL, 64, 48, flip);
  dd_detection d = { .box = { flip ? 64 - 30 : 10, 8, flip ? 64 - 10 : 30, 40 },
    .score = score };
  dd_buffer_add_detections_meta (b, 64, 48, &d, 1);
  return b;
}

typedef struct {
  GstHarness *out, *pass1;
  GstBus *bus;
} ensemble_rig;

/* ddensemble with the untransformed pass on sink_0 (whose buffers go out)
 * and a mirrored pass on sink_1. */
static ensemble_rig
ensemble_rig_new (const char *rules)
{
  ensemble_rig r;
  GstElement *e = gst_element_factory_make ("ddensemble", NULL);
  g_object_set (e, "rules", rules, NULL);
  r.bus = gst_bus_new ();
  gst_element_set_bus (e, r.bus);
  r.out = gst_harness_new_with_element (e, "sink_0", "src");
  r.pass1 = gst_harness_new_with_element (e, "sink_1", NULL);
  const char *caps = "video/x-raw,format=RGB,width=64,height=48,framerate=10/1";
  gst_harness_set_src_caps_str (r.out, caps);
  gst_harness_set_src_caps_str (r.pass1, caps);
  gst_harness_play (r.pass1);
  return r;
}

static void
ensemble_rig_free (ensemble_rig *r)
{
  gst_harness_teardown (r->pass1);
  gst_harness_teardown (r->out);
  gst_object_unref (r->bus);
}

static guint64
ensembled (ensemble_rig *r)
{
  guint64 n;
  g_object_get (r->out->element, "frames-ensembled", &n, NULL);
  return n;
}

/* What one branch sends, from a thread of its own (each aggregator pad
 * holds one buffer until the passes of its frame are taken). */
typedef struct {
  GstHarness *h;
  GstBuffer *buffers[8];
  int n;
  gboolean eos;
  gulong delay_us;
  int second_video_from;        /* > 0: a new stream, running time from 0 */
  const char *second_caps;      /* the new stream's caps, if they change */
} branch;

static gpointer
send_branch (gpointer p)
{
  branch *b = p;
  g_usleep (b->delay_us);
  for (int i = 0; i < b->n; i++) {
    if (i > 0 && i == b->second_video_from) {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      gst_harness_push_event (b->h, gst_event_new_stream_start ("second"));
      if (b->second_caps)
        gst_harness_push_event (b->h, gst_event_new_caps (gst_caps_from_string (
                    b->second_caps)));
      gst_harness_push_event (b->h, gst_event_new_segment (&seg));
    }
    g_assert_cmpint (gst_harness_push (b->h, b->buffers[i]), ==, GST_FLOW_OK);
  }
  if (b->eos)
    gst_harness_push_event (b->h, gst_event_new_eos ());
  return NULL;
}

static void
run_branches (branch *a, branch *b)
{
  GThread *ta = g_thread_new ("branch-a", send_branch, a);
  GThread *tb = g_thread_new ("branch-b", send_branch, b);
  g_thread_join (ta);
  g_thread_join (tb);
}

/* The two passes of each frame meet however far one branch runs behind
 * the other; NMS and voting of the plain box and the mirror's box mapped
 * back give one box, in the plain one's place, with its score. */
static void
test_ensemble_matches_by_identity (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  branch plain = { r.out, { pass_buffer (0, FALSE, 0.9f), pass_buffer (100,
              FALSE, 0.8f) }, 2, TRUE, 0, 0, NULL };
  branch mirrored = { r.pass1, { pass_buffer (0, TRUE, 0.7f), pass_buffer (100,
              TRUE, 0.6f) }, 2, TRUE, 50000, 0, NULL };
  run_branches (&plain, &mirrored);
  for (guint64 ts = 0; ts <= 100; ts += 100) {
    GstBuffer *out = gst_harness_pull (r.out);
    g_assert_cmpuint (dd_buffer_get_frame_meta (out)->timestamp_ns, ==, ts);
    const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (out);
    g_assert_cmpuint (dm->n_detections, ==, 1);
    g_assert_cmpfloat (dm->detections[0].box[0], ==, 10.0f);
    g_assert_cmpfloat (dm->detections[0].box[2], ==, 30.0f);
    g_assert_cmpfloat (dm->detections[0].score, ==, ts ? 0.8f : 0.9f);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (ensembled (&r), ==, 2);
  ensemble_rig_free (&r);
}

/* A branch that skips a frame: once it has delivered a later one, the
 * frame is ensembled from the passes that came (with a warning); a frame
 * without its untransformed pass is dropped (with a warning); after a
 * branch's EOS, the rest is ensembled without it. */
static void
test_ensemble_missing_passes (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  branch plain = { r.out, { pass_buffer (0, FALSE, 0.9f), pass_buffer (100,
              FALSE, 0.9f), pass_buffer (300, FALSE, 0.9f), pass_buffer (400,
              FALSE, 0.9f) }, 4, TRUE, 0, 0, NULL };
  branch mirrored = { r.pass1, { pass_buffer (100, TRUE, 0.9f),
          pass_buffer (200, TRUE, 0.9f), pass_buffer (300, TRUE, 0.9f) }, 3,
    TRUE, 0, 0, NULL };
  run_branches (&plain, &mirrored);
  GString *seen = g_string_new (NULL);
  for (int i = 0; i < 4; i++) {
    GstBuffer *out = gst_harness_pull (r.out);
    g_string_append_printf (seen, "%" G_GUINT64_FORMAT " ",
        dd_buffer_get_frame_meta (out)->timestamp_ns);
    gst_buffer_unref (out);
  }
  g_assert_cmpstr (seen->str, ==, "0 100 300 400 ");
  g_string_free (seen, TRUE);
  guint64 incomplete;
  g_object_get (r.out->element, "frames-incomplete", &incomplete, NULL);
  g_assert_cmpuint (incomplete, ==, 3);
  guint warnings = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (r.bus, GST_MESSAGE_WARNING))) {
    GError *e = NULL;
    gst_message_parse_warning (m, &e, NULL);
    g_test_message ("%s", e->message);
    g_assert_nonnull (strstr (e->message, "file:///v.mp4"));
    g_error_free (e);
    gst_message_unref (m);
    warnings++;
  }
  g_assert_cmpuint (warnings, ==, 3);
  ensemble_rig_free (&r);
}

/* A branch that drops a frame the usual GStreamer way (identity
 * drop-probability, a QoS drop: a GAP event where the frame was) skipped
 * it: the frame goes out from the passes that came, with a warning, not
 * an error for a pass without metas. */
static void
test_ensemble_gap (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  g_assert_cmpint (gst_harness_push (r.out, pass_buffer (0, FALSE, 0.9f)), ==,
      GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (r.pass1, gst_event_new_gap (0, 100)));
  /* Not gst_harness_pull: without the frame the test would wait a minute. */
  GstBuffer *out = NULL;
  for (int i = 0; i < 1000 && !out; i++)
    if (!(out = gst_harness_try_pull (r.out)))
      g_usleep (10000);
  g_assert_nonnull (out);
  g_assert_cmpuint (dd_buffer_get_frame_meta (out)->timestamp_ns, ==, 0);
  g_assert_cmpuint (dd_buffer_get_detections_meta (out)->n_detections, ==, 1);
  gst_buffer_unref (out);
  guint64 incomplete;
  g_object_get (r.out->element, "frames-incomplete", &incomplete, NULL);
  g_assert_cmpuint (incomplete, ==, 1);
  guint warnings = 0, errors = 0;
  GstMessage *m;
  while ((m = gst_bus_pop (r.bus))) {
    warnings += GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING;
    errors += GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR;
    gst_message_unref (m);
  }
  g_assert_cmpuint (errors, ==, 0);
  g_assert_cmpuint (warnings, ==, 1);
  ensemble_rig_free (&r);
}

/* A second video whose running time starts again below the first's: its
 * first frame is not taken for one the branches have passed (they have
 * not: it is in a later video), and a branch that has moved on to the
 * second video has passed the first video's last frame, which then goes
 * out, in stream order, from the passes that came. */
static void
test_ensemble_running_time_restarts (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  branch plain = { r.out, { pass_buffer (100, FALSE, 0.9f), pass_buffer (200,
              FALSE, 0.9f), pass_buffer (50, FALSE, 0.9f) }, 3, TRUE, 0, 2, NULL };
  branch mirrored = { r.pass1, { pass_buffer (100, TRUE, 0.9f),
          pass_buffer (50, TRUE, 0.9f) }, 2, TRUE, 0, 1, NULL };
  run_branches (&plain, &mirrored);
  GString *seen = g_string_new (NULL);
  for (int i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_pull (r.out);
    g_string_append_printf (seen, "%" G_GUINT64_FORMAT " ",
        dd_buffer_get_frame_meta (out)->timestamp_ns);
    gst_buffer_unref (out);
  }
  g_assert_cmpstr (seen->str, ==, "100 200 50 ");
  g_string_free (seen, TRUE);
  guint64 incomplete;
  g_object_get (r.out->element, "frames-incomplete", &incomplete, NULL);
  g_assert_cmpuint (incomplete, ==, 1);
  g_assert_cmpuint (ensembled (&r), ==, 3);
  ensemble_rig_free (&r);
}

/* With a frame pad, labels are mapped back to the frame through the
 * passes' shared canvas; a mirrored canvas cannot be (no flip pairs to
 * undo it with): an error naming the fix, not boxes with x1 > x2. */
static void
test_ensemble_mirrored_canvas_refused (void)
{
  GstElement *e = gst_element_factory_make ("ddensemble", NULL);
  g_object_set (e, "rules", "boxes=nms,keypoints=own", NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  GstHarness *out = gst_harness_new_with_element (e, "frame", "src");
  GstHarness *pass = gst_harness_new_with_element (e, "sink_0", NULL);
  const char *caps = "video/x-raw,format=RGB,width=64,height=48,framerate=10/1";
  gst_harness_set_src_caps_str (out, caps);
  gst_harness_set_src_caps_str (pass, caps);
  gst_harness_play (pass);
  GstBuffer *p = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  dd_buffer_add_frame_meta (p, "file:///v.mp4", 0, 0, 64, 48);
  dd_transform mirrored = dd_transform_resize (64, 48, 64, 48, TRUE);
  dd_buffer_add_transform_meta (p, 64, 48, &mirrored, 64, 48, FALSE);
  dd_detection d = { .box = { 10, 8, 30, 40 }, .score = 0.9f };
  dd_buffer_add_detections_meta (p, 64, 48, &d, 1);
  gst_harness_push (pass, p);
  GstBuffer *frame = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  dd_buffer_add_frame_meta (frame, "file:///v.mp4", 0, 0, 64, 48);
  gst_harness_push (out, frame);
  char *text = fixture_pop_error (bus, 10 * GST_SECOND);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "mirrored canvas"));
  g_free (text);
  gst_harness_teardown (pass);
  gst_harness_teardown (out);
  gst_object_unref (bus);
}

/* Without a frame pad the untransformed pass goes out under sink_0's caps:
 * one that came on another pad is an error naming the fix. */
static void
test_ensemble_identity_off_sink_0_refused (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  /* The second push may already see the error: its result is not asserted. */
  g_assert_cmpint (gst_harness_push (r.pass1, pass_buffer (0, FALSE, 0.9f)), ==,
      GST_FLOW_OK);
  gst_harness_push (r.out, pass_buffer (0, TRUE, 0.9f));
  char *text = fixture_pop_error (r.bus, 10 * GST_SECOND);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "another pad than sink_0"));
  g_free (text);
  ensemble_rig_free (&r);
}

/* As many pass pads as a frame's ensemble takes (64), and no more: a
 * 65th would be left out of every ensemble. The frame pad is apart. */
static void
test_ensemble_pass_limit (void)
{
  GstElement *e = gst_object_ref_sink (gst_element_factory_make ("ddensemble", NULL));
  GstPad *frame = gst_element_request_pad_simple (e, "frame");
  g_assert_nonnull (frame);
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  for (int i = 0; i < 64; i++) {
    GstPad *p = gst_element_request_pad_simple (e, "sink_%u");
    g_assert_nonnull (p);
    g_ptr_array_add (pads, p);
  }
  g_assert_null (gst_element_request_pad_simple (e, "sink_%u"));
  /* Once released, the frame pad may be requested again. */
  gst_element_release_request_pad (e, frame);
  gst_object_unref (frame);
  frame = gst_element_request_pad_simple (e, "frame");
  g_assert_nonnull (frame);
  g_ptr_array_unref (pads);
  gst_object_unref (frame);
  gst_object_unref (e);
}

/* What leaves ddensemble, in order: "C<width>" for caps, "B" a buffer. */
static GstPadProbeReturn
log_output (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  GString *log = user;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append (log, "B ");
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gint width = 0;
    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
    g_string_append_printf (log, "C%d ", width);
  }
  return GST_PAD_PROBE_OK;
}

/* A second video of another size: its caps go out before its first frame
 * and after the last frame of the first video, not never. */
static void
test_ensemble_caps_follow_videos (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  GString *log = g_string_new (NULL);
  gst_pad_add_probe (r.out->sinkpad, GST_PAD_PROBE_TYPE_BUFFER
      | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, log_output, log, NULL);
  const char *small = "video/x-raw,format=RGB,width=32,height=24,framerate=10/1";
  branch plain = { r.out, { pass_buffer (0, FALSE, 0.9f), pass_buffer (100, FALSE,
              0.9f), pass_buffer (50, FALSE, 0.9f) }, 3, TRUE, 0, 2, small };
  branch mirrored = { r.pass1, { pass_buffer (0, TRUE, 0.9f), pass_buffer (100,
              TRUE, 0.9f), pass_buffer (50, TRUE, 0.9f) }, 3, TRUE, 0, 2, small };
  run_branches (&plain, &mirrored);
  for (int i = 0; i < 3; i++)
    gst_buffer_unref (gst_harness_pull (r.out));
  g_assert_cmpstr (log->str, ==, "C64 B B C32 B ");
  g_string_free (log, TRUE);
  ensemble_rig_free (&r);
}

/* Live (the harness answers the latency query as a live source), a frame
 * whose mirrored pass has not come when the clock reaches its running
 * time plus the latency goes out from the pass that came; the mirrored
 * pass coming after it is dropped, not taken for another frame. */
static void
test_ensemble_live_timeout (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  g_object_set (r.out->element, "latency", 100 * GST_MSECOND, NULL);
  GstTestClock *clock = gst_harness_get_testclock (r.out);
  gst_element_set_clock (r.out->element, GST_CLOCK (clock));
  g_assert_cmpint (gst_harness_push (r.out, pass_buffer (0, FALSE, 0.9f)), ==,
      GST_FLOW_OK);
  GList *ids = NULL;
  g_assert_true (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1,
          5000, &ids));
  g_assert_cmpuint (gst_clock_id_get_time (ids->data), ==,
      100 * GST_MSECOND);
  g_list_free_full (ids, (GDestroyNotify) gst_clock_id_unref);
  ids = NULL;
  gst_test_clock_crank (clock);
  GstBuffer *out = gst_harness_pull (r.out);
  g_assert_cmpuint (dd_buffer_get_frame_meta (out)->timestamp_ns, ==, 0);
  gst_buffer_unref (out);

  /* The late pass is due at once (the test clock still waits to be
   * cranked) and goes; then the next frame's mirrored pass waits for its
   * untransformed one until 100 ms after it. */
  g_assert_cmpint (gst_harness_push (r.pass1, pass_buffer (0, TRUE, 0.9f)),
      ==, GST_FLOW_OK);
  g_assert_cmpint (gst_harness_push (r.pass1, pass_buffer (200, TRUE, 0.7f)),
      ==, GST_FLOW_OK);
  g_assert_true (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1,
          5000, &ids));
  g_assert_cmpuint (gst_clock_id_get_time (ids->data), ==, 100 * GST_MSECOND);
  g_list_free_full (ids, (GDestroyNotify) gst_clock_id_unref);
  gst_test_clock_crank (clock);
  ids = NULL;
  g_assert_true (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1,
          5000, &ids));
  g_assert_cmpuint (gst_clock_id_get_time (ids->data), ==,
      100 * GST_MSECOND + 200);
  g_list_free_full (ids, (GDestroyNotify) gst_clock_id_unref);
  g_assert_cmpint (gst_harness_push (r.out, pass_buffer (200, FALSE, 0.8f)),
      ==, GST_FLOW_OK);
  out = gst_harness_pull (r.out);
  g_assert_cmpuint (dd_buffer_get_frame_meta (out)->timestamp_ns, ==, 200);
  gst_buffer_unref (out);
  gst_harness_push_event (r.out, gst_event_new_eos ());
  gst_harness_push_event (r.pass1, gst_event_new_eos ());
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (r.out))
      && GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
    gst_event_unref (ev);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  g_assert_cmpuint (gst_harness_buffers_in_queue (r.out), ==, 0);
  guint64 incomplete;
  g_object_get (r.out->element, "frames-incomplete", &incomplete, NULL);
  g_assert_cmpuint (incomplete, ==, 1);
  g_assert_cmpuint (ensembled (&r), ==, 2);
  gst_object_unref (clock);
  ensemble_rig_free (&r);
}

/* A flush forgets the frames waiting for passes: frame 0's untransformed
 * pass, flushed, never comes out; frame 1 does, and EOS follows. */
static void
test_ensemble_flush (void)
{
  ensemble_rig r = ensemble_rig_new ("boxes=nms,keypoints=own");
  branch before = { r.out, { pass_buffer (0, FALSE, 0.9f) }, 1, FALSE, 0, 0, NULL };
  branch none = { r.pass1, { NULL }, 0, FALSE, 0, 0, NULL };
  run_branches (&before, &none);
  for (int i = 0; i < 2; i++) {
    GstHarness *h = i ? r.pass1 : r.out;
    g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
    g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  branch plain = { r.out, { pass_buffer (100, FALSE, 0.9f) }, 1, TRUE, 0, 0, NULL };
  branch mirrored = { r.pass1, { pass_buffer (100, TRUE, 0.8f) }, 1, TRUE, 0,
    0, NULL };
  run_branches (&plain, &mirrored);
  GstBuffer *out = gst_harness_pull (r.out);
  g_assert_cmpuint (dd_buffer_get_frame_meta (out)->timestamp_ns, ==, 100);
  gst_buffer_unref (out);
  gboolean eos = FALSE;
  for (int i = 0; i < 100 && !eos; i++) {
    GstEvent *ev = gst_harness_try_pull_event (r.out);
    if (ev == NULL) {
      g_usleep (10000);
      continue;
    }
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  g_assert_null (gst_harness_try_pull (r.out));
  g_assert_cmpuint (ensembled (&r), ==, 1);
  ensemble_rig_free (&r);
}

/* ---- ddlabel ------------------------------------------------------------- */

/* The bin's labels are the library's test-time augmentation's, to the
 * bit: letterbox, passes resolved on the canvas, ensemble (the paper's
 * keypoint rule, averaged heatmaps), mapped back to each frame. */
/* The passes ddlabel plans from `transforms` without a letterbox. */
static char *
passes_without_letterbox (const char *transforms)
{
  GstElement *label = gst_element_factory_make ("ddlabel", NULL);
  g_object_set (label, "model", model, "device", "reference", "letterbox", FALSE,
      "transforms", transforms, NULL);
  g_assert_cmpint (gst_element_set_state (label, GST_STATE_READY), ==,
      GST_STATE_CHANGE_SUCCESS);
  char *passes = NULL;
  g_object_get (label, "passes", &passes, NULL);
  gst_element_set_state (label, GST_STATE_NULL);
  gst_object_unref (label);
  return passes;
}

/* Without a letterbox the untransformed pass comes first, once: listed
 * again (factor 1, unmirrored), or any pass listed twice, it would weigh
 * twice in the ensemble. Without a model, an error that says so. */
static void
test_label_plan (void)
{
  g_autofree char *factors = passes_without_letterbox ("factors=1,0.5,flip");
  g_assert_cmpstr (factors, ==, "1x,1xf,0.5x,0.5xf");
  g_autofree char *list = passes_without_letterbox ("list=1x;1x;0.5x;0.5x");
  g_assert_cmpstr (list, ==, "1x,0.5x");
  GstElement *label = gst_element_factory_make ("ddlabel", NULL);
  g_autofree char *text = fixture_start_error (label, GST_STATE_READY);
  g_assert_nonnull (strstr (text, "No model given"));
  gst_object_unref (label);
}

static void
test_label_matches_library (void)
{
  const char *spec = "factors=0.75,1.5,flip";
  g_autofree char *desc = g_strdup_printf ("ddlabel name=label model=%s "
      "device=reference transforms=%s", model, spec);
  GstHarness *h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=80,height=50,"
      "framerate=10/1");
  reference r;
  reference_init (&r);
  guint total = 0;
  for (int i = 0; i < 3; i++) {
    dd_image *img = random_image (80, 50, 100 + i);
    g_assert_cmpint (gst_harness_push (h, image_buffer (img, "file:///l.mp4",
                i * GST_SECOND)), ==, GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    g_assert_nonnull (out);
    const DdFrameMeta *fm = dd_buffer_get_frame_meta (out);
    g_assert_cmpuint (fm->timestamp_ns, ==, i * GST_SECOND);
    g_assert_cmpuint (gst_buffer_get_size (out), ==, 80 * 50 * 3);
    const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (out);
    g_assert_nonnull (dm);
    g_assert_cmpint (dm->width, ==, 80);
    GArray *want = reference_label (&r, img, spec, NULL);
    assert_same_detections (dm->detections, dm->n_detections, want);
    total += want->len;
    g_array_unref (want);
    gst_buffer_unref (out);
    dd_image_free (img);
  }
  g_test_message ("%u labels on 3 frames", total);
  g_assert_cmpuint (total, >, 0);
  gchar *passes = NULL;
  GstElement *label = gst_bin_get_by_name (GST_BIN (h->element), "label");
  g_object_get (label, "passes", &passes, NULL);
  gst_object_unref (label);
  g_test_message ("passes: %s", passes);
  /* The library's resolution, on the model's 64x64 canvas. */
  dd_tta_spec *parsed = dd_tta_spec_parse (spec, NULL);
  dd_tta_transform ts[DD_TTA_MAX_TRANSFORMS];
  int n = dd_tta_spec_resolve (parsed, 64, 64, ts, NULL);
  dd_tta_spec_free (parsed);
  GString *want = g_string_new (NULL);
  for (int i = 0; i < n; i++) {
    char name[64];
    dd_tta_transform_name (&ts[i], name, sizeof name);
    g_string_append_printf (want, "%s%s", i ? "," : "", name);
  }
  g_assert_cmpstr (passes, ==, want->str);
  g_assert_cmpstr (passes, ==, "64x64,48x48,48x48f,96x96,96x96f");
  g_string_free (want, TRUE);
  g_free (passes);
  reference_clear (&r);
  gst_harness_teardown (h);
}

/* ---- Over a corpus ------------------------------------------------------ */

/* Frames as "video@ms", each with how many times it was seen. */
typedef struct {
  GMutex lock;
  GHashTable *taken;            /* at ddsampler's output */
  GHashTable *labeled;          /* at the end, with a DdDetectionsMeta */
  guint unlabeled;
} corpus_run;

static void
count_frame (corpus_run *run, GHashTable *table, GstBuffer *buf)
{
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  g_assert_nonnull (fm);
  g_autofree char *name = g_path_get_basename (fm->uri);
  char *key = g_strdup_printf ("%s@%" G_GUINT64_FORMAT, name,
      fm->timestamp_ns / GST_MSECOND);
  g_mutex_lock (&run->lock);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (table, key));
  g_hash_table_replace (table, key, GUINT_TO_POINTER (n + 1));
  if (table == run->labeled && dd_buffer_get_detections_meta (buf) == NULL)
    run->unlabeled++;
  g_mutex_unlock (&run->lock);
}

static GstPadProbeReturn
on_taken (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  (void) pad;
  corpus_run *run = user;
  count_frame (run, run->taken, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static void
on_labeled (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer user)
{
  (void) sink;
  (void) pad;
  corpus_run *run = user;
  count_frame (run, run->labeled, buf);
}

/* Runs `desc` (a pipeline with a ddsampler named "sampler" and a fakesink
 * named "out" after the labels) to EOS, failing if it has not ended after
 * `limit` seconds (a stall); then every frame the sampler took, and no
 * other, came out once with its labels: `expect` of them. */
static void
check_corpus_labeled (const char *desc, guint expect, guint limit)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  corpus_run run = { .taken = g_hash_table_new_full (g_str_hash, g_str_equal,
          g_free, NULL), .labeled = g_hash_table_new_full (g_str_hash,
          g_str_equal, g_free, NULL) };
  g_mutex_init (&run.lock);
  GstElement *sampler = gst_bin_get_by_name (GST_BIN (pipeline), "sampler");
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  GstPad *pad = gst_element_get_static_pad (sampler, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_taken, &run, NULL);
  gst_object_unref (pad);
  g_object_set (out, "signal-handoffs", TRUE, "sync", FALSE, NULL);
  g_signal_connect (out, "handoff", G_CALLBACK (on_labeled), &run);
  GstBus *bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  GstMessage *end = gst_bus_timed_pop_filtered (bus, limit * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_mutex_lock (&run.lock);
  guint taken = g_hash_table_size (run.taken);
  guint labeled = g_hash_table_size (run.labeled);
  g_mutex_unlock (&run.lock);
  if (end == NULL)
    g_error ("the pipeline stalled: %u of the %u frames taken labeled after "
        "%u s", labeled, taken, limit);
  g_assert_cmpint (GST_MESSAGE_TYPE (end), ==, GST_MESSAGE_EOS);
  gst_message_unref (end);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpuint (taken, ==, expect);
  GHashTableIter it;
  gpointer key, n;
  g_hash_table_iter_init (&it, run.taken);
  while (g_hash_table_iter_next (&it, &key, &n)) {
    g_assert_cmpuint (GPOINTER_TO_UINT (n), ==, 1);
    guint times = GPOINTER_TO_UINT (g_hash_table_lookup (run.labeled, key));
    if (times != 1)
      g_error ("frame %s came out labeled %u times", (char *) key, times);
  }
  g_assert_cmpuint (labeled, ==, expect);
  g_assert_cmpuint (run.unlabeled, ==, 0);
  GstMessage *w = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_null (w);
  gst_object_unref (bus);
  gst_object_unref (sampler);
  gst_object_unref (out);
  gst_object_unref (pipeline);
  g_hash_table_unref (run.taken);
  g_hash_table_unref (run.labeled);
  g_mutex_clear (&run.lock);
}

/* The first frame of a video meets its passes when the untransformed pass
 * runs behind the others: ddsampler's seeks must not put the next video
 * earlier in running time than frames already delivered (that branch, at
 * the end of the first video, looked as if it had skipped the second
 * video's first frame, which was dropped). */
static void
test_corpus_slow_branch (void)
{
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc location=%s ! "
      "ddsampler name=sampler mode=random count=4 seed=1 seek-threshold=0.1 ! "
      "videoconvert ! video/x-raw,format=RGB ! tee name=t "
      "t. ! queue ! e.frame "
      "t. ! queue ! ddtransform letterbox-width=64 letterbox-height=64 ! "
      "tee name=c "
      "c. ! queue ! identity sleep-time=30000 ! ddinfer model=%s "
      "device=reference ! e.sink_0 "
      "c. ! queue ! ddtransform flip=true ! ddinfer model=%s "
      "device=reference ! e.sink_1 "
      "ddensemble name=e ! fakesink name=out", clips, model, model);
  check_corpus_labeled (desc, 8, 30);
}

/* Many frames per video, and new caps at the second video: the bin's
 * branches, fed by one thread, keep going (ddensemble takes its pads'
 * buffers together: the frame pad running ahead until empty used to stall
 * the pipeline there). */
static void
test_corpus_many_frames (void)
{
  g_autofree char *desc = g_strdup_printf ("ddcorpussrc location=%s ! "
      "ddsampler name=sampler mode=random count=20 seed=1 ! videoconvert ! "
      "video/x-raw,format=RGB ! ddlabel model=%s device=reference "
      "transforms=factors=0.75,flip ! fakesink name=out", clips_new_caps,
      model);
  check_corpus_labeled (desc, 40, 30);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  tmp = fixture_tmpdir ("label");
  model = fixture_make_model (tmp, 7);
  clips = g_build_filename (tmp, "clips", NULL);
  clips_new_caps = g_build_filename (tmp, "clips-new-caps", NULL);
  g_assert_cmpint (g_mkdir (clips, 0777), ==, 0);
  g_assert_cmpint (g_mkdir (clips_new_caps, 0777), ==, 0);
  const struct {
    const char *folder, *name;
    fixture_codec codec;
    int frames, fps;
  } videos[] = {
    {clips, "a.mp4", FIXTURE_H264_MP4, 60, 30},
    {clips, "b.mkv", FIXTURE_VP8_MKV, 60, 30},
    {clips_new_caps, "a.mp4", FIXTURE_H264_MP4, 60, 30},
    {clips_new_caps, "b.mkv", FIXTURE_VP8_MKV, 50, 25},
  };
  for (guint i = 0; i < G_N_ELEMENTS (videos); i++) {
    g_autofree char *path = g_build_filename (videos[i].folder, videos[i].name,
        NULL);
    fixture_make_video (path, videos[i].codec, videos[i].frames, videos[i].fps,
        10, NULL);
  }
  g_test_add_func ("/label/infer-matches-library", test_infer_matches_library);
  g_test_add_func ("/label/infer-bad-input", test_infer_bad_input);
  g_test_add_func ("/label/infer-latency", test_infer_latency);
  g_test_add_func ("/label/shared-and-batched", test_shared_and_batched);
  g_test_add_func ("/label/batch-runs-what-waits", test_batch_runs_what_waits);
  g_test_add_func ("/label/ensemble-matches-by-identity",
      test_ensemble_matches_by_identity);
  g_test_add_func ("/label/ensemble-missing-passes",
      test_ensemble_missing_passes);
  g_test_add_func ("/label/ensemble-gap", test_ensemble_gap);
  g_test_add_func ("/label/plan", test_label_plan);
  g_test_add_func ("/label/ensemble-running-time-restarts",
      test_ensemble_running_time_restarts);
  g_test_add_func ("/label/ensemble-flush", test_ensemble_flush);
  g_test_add_func ("/label/ensemble-caps-follow-videos",
      test_ensemble_caps_follow_videos);
  g_test_add_func ("/label/ensemble-pass-limit", test_ensemble_pass_limit);
  g_test_add_func ("/label/ensemble-identity-off-sink-0-refused",
      test_ensemble_identity_off_sink_0_refused);
  g_test_add_func ("/label/ensemble-mirrored-canvas-refused",
      test_ensemble_mirrored_canvas_refused);
  g_test_add_func ("/label/ensemble-live-timeout",
      test_ensemble_live_timeout);
  g_test_add_func ("/label/label-matches-library", test_label_matches_library);
  g_test_add_func ("/label/corpus/slow-branch", test_corpus_slow_branch);
  g_test_add_func ("/label/corpus/many-frames", test_corpus_many_frames);
  int status = g_test_run ();
  fixture_rmdir (tmp);
  g_free (tmp);
  g_free (model);
  g_free (clips);
  g_free (clips_new_caps);
  return status;
}
