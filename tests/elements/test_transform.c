/* ddtransform: output sizes as lib/distill's transform specs resolve them,
 * pixels byte for byte those of lib/data's resize (and its mirror), metas
 * composed and mapped, caps negotiation, events, and frames that do not
 * match their caps. */
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <string.h>

#include "data/augment.h"
#include "data/image.h"
#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/ddtransform.h"
#include "elements/ddtransformmeta.h"
#include "fixtures.h"
#include "model/detector.h"
#include "model/predict.h"
#include "nn/rng.h"

static void
test_sizes (void)
{
  int w, h;
  dd_transform_output_size (160, 90, 64, 1.0, &w, &h);
  g_assert_cmpint (w, ==, 114);         /* 160 * 64 / 90 = 113.8 */
  g_assert_cmpint (h, ==, 64);
  dd_transform_output_size (90, 160, 64, 1.0, &w, &h);
  g_assert_cmpint (w, ==, 64);
  g_assert_cmpint (h, ==, 114);
  dd_transform_output_size (64, 48, 0, 0.5, &w, &h);
  g_assert_cmpint (w, ==, 32);
  g_assert_cmpint (h, ==, 24);
  dd_transform_output_size (5, 3, 0, 0.1, &w, &h);
  g_assert_cmpint (w, ==, 1);           /* never empty */
  g_assert_cmpint (h, ==, 1);
}

static dd_image *
random_image (int w, int h, uint64_t seed)
{
  dd_image *img = dd_image_new (w, h, NULL);
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  for (int i = 0; i < 3 * w * h; i++)
    img->data[i] = (uint8_t) dd_rng_below (&rng, 256);
  return img;
}

/* The image as a buffer of `format` (RGB, BGRx or GRAY8 from the red
 * channel), rows padded to 4 bytes as GStreamer lays them out. */
static GstBuffer *
image_buffer (const dd_image *img, const char *format, GstVideoInfo *info)
{
  gst_video_info_set_format (info, gst_video_format_from_string (format),
      img->width, img->height);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info),
      NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  int ps = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      const uint8_t *rgb = img->data + 3 * (y * img->width + x);
      uint8_t *p = map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (info, 0) + x * ps;
      if (ps == 1) {
        p[0] = rgb[0];
      } else if (ps == 3) {
        memcpy (p, rgb, 3);
      } else {
        p[0] = rgb[2];
        p[1] = rgb[1];
        p[2] = rgb[0];
        p[3] = 0;
      }
    }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

/* Checks that `buf` (format of `info`) shows `want` (mirrored when
 * `flip`), byte for byte in the channels the format has. */
static void
assert_shows (GstBuffer *buf, const GstVideoInfo *info, const dd_image *want,
    gboolean flip)
{
  GstVideoFrame frame;
  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  g_assert_cmpint (GST_VIDEO_FRAME_WIDTH (&frame), ==, want->width);
  g_assert_cmpint (GST_VIDEO_FRAME_HEIGHT (&frame), ==, want->height);
  int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0);
  const uint8_t *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (int y = 0; y < want->height; y++)
    for (int x = 0; x < want->width; x++) {
      int sx = flip ? want->width - 1 - x : x;
      const uint8_t *rgb = want->data + 3 * (y * want->width + sx);
      const uint8_t *p = data + y * stride + x * ps;
      if (ps == 1) {
        g_assert_cmpuint (p[0], ==, rgb[0]);
      } else if (ps == 3) {
        g_assert_cmpmem (p, 3, rgb, 3);
      } else {
        g_assert_cmpuint (p[0], ==, rgb[2]);
        g_assert_cmpuint (p[1], ==, rgb[1]);
        g_assert_cmpuint (p[2], ==, rgb[0]);
      }
    }
  gst_video_frame_unmap (&frame);
}

static GstHarness *
transform_harness (const char *format, int w, int h, const char *props)
{
  GstHarness *h_ = gst_harness_new ("ddtransform");
  if (props && *props) {
    g_auto (GStrv) pairs = g_strsplit (props, " ", -1);
    for (char **p = pairs; *p; p++) {
      g_auto (GStrv) kv = g_strsplit (*p, "=", 2);
      gst_util_set_object_arg (G_OBJECT (h_->element), kv[0], kv[1]);
    }
  }
  g_autofree char *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
      "height=%d,framerate=10/1", format, w, h);
  gst_harness_set_src_caps_str (h_, caps);
  return h_;
}

/* Resized and mirrored pixels are exactly lib/data's. */
static void
test_pixels (void)
{
  const char *formats[] = { "RGB", "BGRx", "GRAY8" };
  const char *props[] = { "shorter-side=11", "factor=2.0", "factor=0.5 flip=true",
    "shorter-side=23 flip=true", "width=40 height=9" };
  dd_image *img = random_image (37, 23, 5);
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint p = 0; p < G_N_ELEMENTS (props); p++) {
      GstHarness *h = transform_harness (formats[f], 37, 23, props[p]);
      GstVideoInfo in_info;
      GstBuffer *out = gst_harness_push_and_pull (h, image_buffer (img,
              formats[f], &in_info));
      g_assert_nonnull (out);
      GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
      GstVideoInfo out_info;
      g_assert_true (gst_video_info_from_caps (&out_info, caps));
      gst_caps_unref (caps);
      int w, hh;
      guint side = 0, width = 0, height = 0;
      gdouble factor = 1.0;
      gboolean flip = FALSE;
      g_object_get (h->element, "shorter-side", &side, "factor", &factor,
          "flip", &flip, "width", &width, "height", &height, NULL);
      dd_transform_output_size (37, 23, side, factor, &w, &hh);
      if (width && height) {
        w = (int) width;
        hh = (int) height;
      }
      dd_image *want = dd_image_resize (img, w, hh, NULL);
      g_test_message ("%s %s: 37x23 -> %dx%d", formats[f], props[p], w, hh);
      assert_shows (out, &out_info, want, flip);
      const DdTransformMeta *tm = dd_buffer_get_transform_meta (out);
      g_assert_nonnull (tm);
      g_assert_cmpint (tm->frame_width, ==, 37);
      g_assert_cmpint (tm->frame_height, ==, 23);
      g_assert_cmpint (tm->width, ==, w);
      g_assert_cmpint (tm->height, ==, hh);
      g_assert_true (tm->flip == flip);
      dd_image_free (want);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
    }
  dd_image_free (img);
}

/* A letterbox onto a model's canvas is lib/model's, to the byte, fill
 * included; it becomes the base of the passes after it. */
static void
test_letterbox (void)
{
  const char *formats[] = { "RGB", "BGRx" };
  dd_image *img = random_image (37, 23, 7);
  dd_transform box = dd_letterbox (37, 23, 32, 32);
  dd_image *want = dd_transform_image (&box, img, dd_detector_fill, NULL);
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstHarness *h = transform_harness (formats[f], 37, 23,
        "letterbox-width=32 letterbox-height=32");
    GstVideoInfo in_info, out_info;
    GstBuffer *out = gst_harness_push_and_pull (h, image_buffer (img,
            formats[f], &in_info));
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    g_assert_true (gst_video_info_from_caps (&out_info, caps));
    gst_caps_unref (caps);
    assert_shows (out, &out_info, want, FALSE);
    const DdTransformMeta *tm = dd_buffer_get_transform_meta (out);
    g_assert_cmpint (tm->frame_width, ==, 37);
    g_assert_cmpint (tm->base.width, ==, 32);
    g_assert_cmpfloat (tm->base.scale_x, ==, box.scale_x);
    g_assert_cmpfloat (tm->base.offset_y, ==, box.offset_y);
    g_assert_cmpint (tm->width, ==, 32);
    g_assert_false (tm->flip);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  /* A pass after the letterbox resizes the canvas. */
  GstHarness *h = gst_harness_new_parse ("ddtransform letterbox-width=32 "
      "letterbox-height=32 ! ddtransform factor=0.5 flip=true");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=37,height=23,"
      "framerate=10/1");
  GstVideoInfo info;
  GstBuffer *out = gst_harness_push_and_pull (h, image_buffer (img, "RGB",
          &info));
  const DdTransformMeta *tm = dd_buffer_get_transform_meta (out);
  dd_tta_transform pass = dd_transform_meta_pass (tm);
  g_assert_cmpint (pass.frame_width, ==, 32);
  g_assert_cmpint (pass.width, ==, 16);
  g_assert_true (pass.flip);
  g_assert_cmpfloat (tm->base.offset_y, ==, box.offset_y);
  dd_image *half = dd_image_resize (want, 16, 16, NULL);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 16, 16);
  assert_shows (out, &info, half, TRUE);
  dd_image_free (half);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  dd_image_free (want);
  dd_image_free (img);
}

/* Neither resize nor mirror: the frame passes untouched, in place, with an
 * identity transform meta. */
static void
test_identity (void)
{
  dd_image *img = random_image (16, 12, 9);
  GstHarness *h = transform_harness ("RGB", 16, 12, "");
  GstVideoInfo info;
  GstBuffer *in = image_buffer (img, "RGB", &info);
  GstMemory *mem = gst_buffer_peek_memory (in, 0);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  g_assert_true (gst_buffer_peek_memory (out, 0) == mem);
  assert_shows (out, &info, img, FALSE);
  const DdTransformMeta *tm = dd_buffer_get_transform_meta (out);
  g_assert_true (tm && dd_transform_meta_is_identity (tm));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  dd_image_free (img);
}

/* A meta tied to the frame's size (a region of interest) comes out once,
 * scaled with the frame, not once scaled and once copied as it was. */
static void
test_size_meta_scaled_once (void)
{
  GstHarness *h = transform_harness ("RGB", 64, 48, "factor=0.5");
  GstBuffer *in = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  gst_buffer_add_video_region_of_interest_meta (in, "person", 8, 4, 20, 40);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  guint n = 0;
  gpointer state = NULL;
  GstMeta *m;
  GstVideoRegionOfInterestMeta *roi = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    roi = (GstVideoRegionOfInterestMeta *) m;
    n++;
  }
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (roi->x, ==, 4);
  g_assert_cmpuint (roi->y, ==, 2);
  g_assert_cmpuint (roi->w, ==, 10);
  g_assert_cmpuint (roi->h, ==, 20);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* Two transforms in a row: the meta relates the result to the original
 * frame (one resize, a single mirror), the frame's identity passes, and
 * detections are mapped into the new pixels. */
static void
test_metas_compose (void)
{
  GstHarness *h = gst_harness_new_parse ("ddtransform factor=0.5 ! "
      "ddtransform flip=true");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=64,height=48,"
      "framerate=10/1");
  GstBuffer *in = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  gst_buffer_memset (in, 0, 0, 64 * 48 * 3);
  dd_buffer_add_frame_meta (in, "file:///v.mp4", 42, 7, 64, 48);
  dd_detection d = { .box = { 8, 4, 24, 40 }, .score = 0.8f, .n_keypoints = 2 };
  d.keypoints[0] = (dd_keypoint) { 10, 10, 0.9f };
  d.keypoints[1] = (dd_keypoint) { 20, 10, 0.5f };
  DdDetectionsMeta *dm = dd_buffer_add_detections_meta (in, 64, 48, &d, 1);
  const gint partners[2] = { 1, 0 };
  dd_detections_meta_set_flip_partners (dm, partners, 2);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  const DdTransformMeta *tm = dd_buffer_get_transform_meta (out);
  g_assert_cmpint (tm->frame_width, ==, 64);
  g_assert_cmpint (tm->width, ==, 32);
  g_assert_cmpint (tm->height, ==, 24);
  g_assert_true (tm->flip);
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (out);
  g_assert_true (fm && fm->timestamp_ns == 42 && g_str_equal (fm->uri,
          "file:///v.mp4"));
  const DdDetectionsMeta *om = dd_buffer_get_detections_meta (out);
  g_assert_nonnull (om);
  g_assert_cmpint (om->width, ==, 32);
  /* Box x 8..24 halves to 4..12, mirrored in 32: 20..28. */
  g_assert_cmpfloat (om->detections[0].box[0], ==, 20.0f);
  g_assert_cmpfloat (om->detections[0].box[2], ==, 28.0f);
  g_assert_cmpfloat (om->detections[0].box[3], ==, 20.0f);
  /* The mirror's keypoint 0 is the input's keypoint 1. */
  g_assert_cmpfloat (om->detections[0].keypoints[0].x, ==, 32 - 10.0f);
  g_assert_cmpfloat (om->detections[0].keypoints[0].score, ==, 0.5f);
  /* The inverse maps a point of the result back to the frame. */
  double x, y;
  dd_transform_meta_point_inverse (tm, 32 - 10.0, 5.0, &x, &y);
  g_assert_cmpfloat (x, ==, 20.0);
  g_assert_cmpfloat (y, ==, 10.0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* Events pass; a downstream that wants another size, or a format the
 * element does not handle, is refused; a frame smaller than its caps is
 * dropped with a warning (GstVideoFilter's rule), not a crash. */
static void
test_negotiation_and_bad_input (void)
{
  GstHarness *h = transform_harness ("RGB", 64, 48, "shorter-side=24");
  GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_new_allocate (NULL,
          64 * 48 * 3, NULL));
  g_assert_cmpuint (gst_buffer_get_size (out), ==, 32 * 24 * 3);
  gst_buffer_unref (out);
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (h)))
    gst_event_unref (ev);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  GString *seen = g_string_new (NULL);
  while ((ev = gst_harness_try_pull_event (h))) {
    g_string_append_printf (seen, "%s ", GST_EVENT_TYPE_NAME (ev));
    gst_event_unref (ev);
  }
  g_assert_cmpstr (seen->str, ==, "flush-start flush-stop segment eos ");
  g_string_free (seen, TRUE);
  gst_harness_teardown (h);

  /* Too small for its caps. */
  h = transform_harness ("RGB", 64, 48, "shorter-side=24");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL, 100,
              NULL)), ==, GST_FLOW_OK);
  g_assert_null (gst_harness_try_pull (h));
  GstMessage *warning = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (warning);
  gst_message_unref (warning);
  gst_object_unref (bus);
  gst_harness_teardown (h);

  /* Downstream insists on a size this transform does not make. */
  h = transform_harness ("RGB", 64, 48, "shorter-side=24");
  gst_harness_set_sink_caps_str (h, "video/x-raw,format=RGB,width=10,height=10");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              64 * 48 * 3, NULL)), ==, GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);

  /* A planar format. */
  h = gst_harness_new ("ddtransform");
  GstCaps *i420 = gst_caps_from_string ("video/x-raw,format=I420,width=64,"
      "height=48");
  GstCaps *accepted = gst_pad_peer_query_caps (h->srcpad, NULL);
  g_assert_false (gst_caps_can_intersect (accepted, i420));
  gst_caps_unref (accepted);
  gst_caps_unref (i420);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  g_test_add_func ("/transform/sizes", test_sizes);
  g_test_add_func ("/transform/pixels", test_pixels);
  g_test_add_func ("/transform/letterbox", test_letterbox);
  g_test_add_func ("/transform/identity", test_identity);
  g_test_add_func ("/transform/metas-compose", test_metas_compose);
  g_test_add_func ("/transform/size-meta-scaled-once", test_size_meta_scaled_once);
  g_test_add_func ("/transform/negotiation-and-bad-input",
      test_negotiation_and_bad_input);
  return g_test_run ();
}
