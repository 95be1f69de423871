/* ddoverlay: boxes, skeleton lines and keypoints land where the detections
 * say (scaled when the meta's pixels are another size), nothing else is
 * touched, thresholds hide what they should, frames without detections
 * pass unchanged; skeleton strings; caps. */
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <string.h>

#include "elements/dddetectionsmeta.h"
#include "elements/ddoverlay.h"
#include "fixtures.h"

#define W 64
#define H 48

static GstHarness *
overlay_harness (void)
{
  GstHarness *h = gst_harness_new ("ddoverlay");
  g_object_set (h->element, "skeleton", "1-2", "show-scores", FALSE,
      "keypoint-threshold", 0.1, "line-width", 2.0, NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=64,"
      "height=48,framerate=10/1");
  return h;
}

static GstBuffer *
black_frame (void)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, W * H * 4, NULL);
  gst_buffer_memset (b, 0, 0, W * H * 4);
  return b;
}

static gboolean
lit (GstBuffer *b, int x, int y)
{
  guint8 px[4];
  gst_buffer_extract (b, (gsize) (y * W + x) * 4, px, 4);
  return px[0] || px[1] || px[2];
}

static void
add_person (GstBuffer *b, int meta_w, int meta_h, double scale)
{
  dd_detection d = { .box = { 10 * scale, 10 * scale, 40 * scale, 30 * scale },
    .score = 0.9f, .n_keypoints = 3 };
  d.keypoints[0] = (dd_keypoint) { 20 * scale, 15 * scale, 0.9f };
  d.keypoints[1] = (dd_keypoint) { 30 * scale, 15 * scale, 0.8f };
  d.keypoints[2] = (dd_keypoint) { 52 * scale, 40 * scale, 0.05f };
  dd_buffer_add_detections_meta (b, meta_w, meta_h, &d, 1);
}

static void
check_drawing (GstBuffer *out)
{
  g_assert_true (lit (out, 10, 20));    /* the box's left side */
  g_assert_true (lit (out, 25, 30));    /* its bottom */
  g_assert_true (lit (out, 25, 15));    /* the skeleton line 1-2 */
  g_assert_true (lit (out, 20, 17));    /* keypoint 1's dot */
  g_assert_false (lit (out, 25, 24));   /* inside, away from the lines */
  g_assert_false (lit (out, 52, 40));   /* keypoint 3: below the threshold */
  g_assert_false (lit (out, 3, 3));     /* outside */
}

static void
test_draws (void)
{
  GstHarness *h = overlay_harness ();
  GstBuffer *in = black_frame ();
  add_person (in, W, H, 1.0);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  check_drawing (out);
  gst_buffer_unref (out);
  /* Detections in pixels twice the frame's size land in the same place. */
  in = black_frame ();
  add_person (in, 2 * W, 2 * H, 2.0);
  out = gst_harness_push_and_pull (h, in);
  check_drawing (out);
  gst_buffer_unref (out);
  /* Below the score threshold, nothing is drawn. */
  g_object_set (h->element, "score-threshold", 0.95, NULL);
  in = black_frame ();
  add_person (in, W, H, 1.0);
  out = gst_harness_push_and_pull (h, in);
  g_assert_false (lit (out, 10, 20));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

static void
test_untouched_without_detections (void)
{
  GstHarness *h = overlay_harness ();
  GstBuffer *in = gst_buffer_new_allocate (NULL, W * H * 4, NULL);
  GstMapInfo map;
  gst_buffer_map (in, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 13);
  gst_buffer_unmap (in, &map);
  GstBuffer *copy = gst_buffer_copy_deep (in);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  GstMapInfo a, b;
  gst_buffer_map (out, &a, GST_MAP_READ);
  gst_buffer_map (copy, &b, GST_MAP_READ);
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
  gst_buffer_unmap (out, &a);
  gst_buffer_unmap (copy, &b);
  gst_buffer_unref (out);
  gst_buffer_unref (copy);
  gst_harness_teardown (h);
}

static void
test_skeleton_strings (void)
{
  int pairs[4][2];
  g_assert_cmpint (dd_overlay_parse_skeleton ("16-14,14-12", pairs, 4), ==, 2);
  g_assert_cmpint (pairs[1][0], ==, 14);
  g_assert_cmpint (pairs[1][1], ==, 12);
  g_assert_cmpint (dd_overlay_parse_skeleton ("", pairs, 4), ==, 0);
  g_assert_cmpint (dd_overlay_parse_skeleton ("1-", pairs, 4), ==, -1);
  g_assert_cmpint (dd_overlay_parse_skeleton ("0-1", pairs, 4), ==, -1);
  g_assert_cmpint (dd_overlay_parse_skeleton ("1-2;3-4", pairs, 4), ==, -1);
  g_assert_cmpint (dd_overlay_parse_skeleton ("1-2,2-3,3-4,4-5,5-6", pairs, 4),
      ==, -1);

  /* The default is COCO's person skeleton; a bad one is refused with a
   * warning and the old one kept, and the element does not start with it. */
  GstElement *overlay = gst_element_factory_make ("ddoverlay", NULL);
  gchar *skeleton;
  g_object_get (overlay, "skeleton", &skeleton, NULL);
  g_assert_true (g_str_has_prefix (skeleton, "16-14,14-12,17-15"));
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (overlay, bus);
  g_object_set (overlay, "skeleton", "1-2-3", NULL);
  gchar *kept;
  g_object_get (overlay, "skeleton", &kept, NULL);
  g_assert_cmpstr (kept, ==, skeleton);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (m);
  gst_message_unref (m);
  /* Still the last value set when the element starts (gst-launch sets
   * properties before there is a bus to warn on): an error then. */
  g_autofree char *text = fixture_start_error (overlay, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (text, "Bad skeleton '1-2-3'"));
  /* A good value afterwards clears it. */
  g_object_set (overlay, "skeleton", "1-2", NULL);
  g_assert_cmpint (gst_element_set_state (overlay, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (overlay, GST_STATE_NULL);
  g_free (skeleton);
  g_free (kept);
  gst_object_unref (bus);
  gst_object_unref (overlay);
}

static void
test_caps (void)
{
  GstHarness *h = gst_harness_new ("ddoverlay");
  GstCaps *rgb = gst_caps_from_string ("video/x-raw,format=RGB,width=64,"
      "height=48");
  GstCaps *bgrx = gst_caps_from_string ("video/x-raw,format=BGRx,width=64,"
      "height=48");
  g_assert_false (gst_pad_peer_query_accept_caps (h->srcpad, rgb));
  g_assert_true (gst_pad_peer_query_accept_caps (h->srcpad, bgrx));
  gst_caps_unref (rgb);
  gst_caps_unref (bgrx);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  g_test_add_func ("/overlay/draws", test_draws);
  g_test_add_func ("/overlay/untouched-without-detections",
      test_untouched_without_detections);
  g_test_add_func ("/overlay/skeleton-strings", test_skeleton_strings);
  g_test_add_func ("/overlay/caps", test_caps);
  return g_test_run ();
}
