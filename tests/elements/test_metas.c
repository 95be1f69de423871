/* The metas: attached, copied with buffers, carried through GStreamer's
 * own converters and scalers (scaled where they must be), mapped through
 * a mirror with keypoint partners, and written as JSON. */
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "elements/ddtransformmeta.h"
#include "fixtures.h"

static dd_detection
person (float x1, float y1, float x2, float y2, float score)
{
  dd_detection d = { .class_index = 0, .box = { x1, y1, x2, y2 },
    .score = score, .n_keypoints = 3 };
  /* A "nose" in the middle, a "left" and a "right" point. */
  d.keypoints[0] = (dd_keypoint) { (x1 + x2) / 2, y1 + 2, 0.9f };
  d.keypoints[1] = (dd_keypoint) { x2 - 1, (y1 + y2) / 2, 0.8f };
  d.keypoints[2] = (dd_keypoint) { x1 + 1, (y1 + y2) / 2, 0.7f };
  return d;
}

static const gint partners[3] = { 0, 2, 1 };

static GstBuffer *
frame_with_metas (int w, int h)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 3, NULL);
  gst_buffer_memset (buf, 0, 0x40, (gsize) w * h * 3);
  GST_BUFFER_PTS (buf) = 0;
  dd_buffer_add_frame_meta (buf, "file:///corpus/a.mp4", 1500000000, 45, w, h);
  dd_buffer_add_transform_meta (buf, w, h, NULL, w, h, FALSE);
  dd_detection d[2] = { person (10, 8, 30, 40, 0.9f), person (2, 2, 12, 20,
        0.4f) };
  DdDetectionsMeta *dm = dd_buffer_add_detections_meta (buf, w, h, d, 2);
  dd_detections_meta_set_flip_partners (dm, partners, 3);
  dd_detections_meta_set_model (dm, "tiny");
  return buf;
}

static void
test_copy (void)
{
  GstBuffer *buf = frame_with_metas (64, 48);
  float center[2 * 3 * 4];
  for (guint i = 0; i < G_N_ELEMENTS (center); i++)
    center[i] = (float) i;
  dd_head_maps maps = { .h = 3, .w = 4, .stride = 16, .n_classes = 2,
    .center = center };
  dd_detections_meta_set_head_maps (dd_buffer_get_detections_meta (buf), &maps);
  GstBuffer *copy = gst_buffer_copy (buf);
  gst_buffer_unref (buf);

  const DdFrameMeta *fm = dd_buffer_get_frame_meta (copy);
  g_assert_nonnull (fm);
  g_assert_cmpstr (fm->uri, ==, "file:///corpus/a.mp4");
  g_assert_cmpuint (fm->timestamp_ns, ==, 1500000000);
  g_assert_cmpint (fm->frame_index, ==, 45);
  g_assert_cmpint (fm->width, ==, 64);
  const DdTransformMeta *tm = dd_buffer_get_transform_meta (copy);
  g_assert_true (tm && dd_transform_meta_is_identity (tm));
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (copy);
  g_assert_cmpuint (dm->n_detections, ==, 2);
  g_assert_cmpfloat (dm->detections[0].box[2], ==, 30);
  g_assert_cmpfloat (dm->detections[1].keypoints[2].score, ==, 0.7f);
  g_assert_cmpint (dm->n_flip_partners, ==, 3);
  g_assert_cmpstr (dm->model, ==, "tiny");
  g_assert_nonnull (dm->head_maps);
  g_assert_null (dm->head_maps->size);
  g_assert_cmpfloat (dm->head_maps->center[23], ==, 23.0f);
  gst_buffer_unref (copy);
}

static void
test_json (void)
{
  GstBuffer *buf = frame_with_metas (64, 48);
  g_autofree gchar *frame = dd_frame_meta_to_string (dd_buffer_get_frame_meta
      (buf));
  g_assert_cmpstr (frame, ==, "{\"uri\":\"file:///corpus/a.mp4\","
      "\"timestamp_ns\":1500000000,\"frame_index\":45,\"width\":64,"
      "\"height\":48}");
  DdTransformMeta tm = { .frame_width = 64, .frame_height = 48,
    .base = dd_transform_identity (64, 48), .width = 32, .height = 24,
    .flip = TRUE };
  g_autofree gchar *transform = dd_transform_meta_to_string (&tm);
  g_assert_cmpstr (transform, ==, "{\"frame_width\":64,\"frame_height\":48,"
      "\"base\":{\"width\":64,\"height\":48,\"scale_x\":1.0,\"scale_y\":1.0,"
      "\"offset_x\":0.0,\"offset_y\":0.0,\"flip\":false},\"width\":32,"
      "\"height\":24,\"flip\":true,\"name\":\"32x24f\"}");
  JsonNode *node = dd_detections_meta_to_json (dd_buffer_get_detections_meta
      (buf));
  JsonObject *o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "tiny");
  JsonArray *dets = json_object_get_array_member (o, "detections");
  g_assert_cmpuint (json_array_get_length (dets), ==, 2);
  JsonObject *d0 = json_array_get_object_element (dets, 0);
  JsonArray *box = json_object_get_array_member (d0, "box");
  g_assert_cmpfloat (json_array_get_double_element (box, 3), ==, 40.0);
  JsonArray *kps = json_object_get_array_member (d0, "keypoints");
  g_assert_cmpfloat (json_array_get_double_element (
          json_array_get_array_element (kps, 1), 0), ==, 29.0);
  g_assert_true (json_object_get_null_member (o, "head_maps"));
  json_node_unref (node);
  gst_buffer_unref (buf);
}

/* Points through a letterbox base and a mirrored pass, and back; the
 * composition of two transforms is the one transform. */
static void
test_points (void)
{
  dd_transform box = { .width = 64, .height = 64, .scale_x = 0.4,
    .scale_y = 0.4, .offset_x = 0.0, .offset_y = 14.0 };      /* 160x90 in */
  DdTransformMeta tm = { .frame_width = 160, .frame_height = 90, .base = box,
    .width = 32, .height = 32, .flip = TRUE };
  double u, v, x, y;
  dd_transform_meta_point_forward (&tm, 40.0, 30.0, &u, &v);
  g_assert_cmpfloat_with_epsilon (u, 32 - 8.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (v, (14.0 + 12.0) / 2, 1e-12);
  dd_transform_meta_point_inverse (&tm, u, v, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, 40.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (y, 30.0, 1e-12);
  dd_transform full = dd_transform_meta_full (&tm);
  dd_transform_point (&full, 40.0, 30.0, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, u, 1e-12);
  g_assert_cmpfloat_with_epsilon (y, v, 1e-12);
  g_assert_false (dd_transform_meta_is_identity (&tm));
  /* Two mirrors cancel. */
  dd_transform m1 = dd_transform_resize (10, 10, 20, 20, TRUE);
  dd_transform m2 = dd_transform_resize (20, 20, 5, 5, TRUE);
  dd_transform both = dd_transform_meta_compose (&m1, &m2);
  g_assert_false (both.flip);
  g_assert_cmpfloat (both.scale_x, ==, 0.5);
  g_assert_cmpfloat (both.offset_x, ==, 0.0);
  g_assert_cmpint (both.width, ==, 5);
}

/* A mirror swaps left and right corners and keypoints with partners;
 * without partners the detections cannot be mirrored. */
static void
test_mirror (void)
{
  GstBuffer *buf = frame_with_metas (64, 48);
  GstBuffer *out = gst_buffer_new ();
  const DdDetectionsMeta *in = dd_buffer_get_detections_meta (buf);
  dd_transform half_mirrored = dd_transform_resize (64, 48, 32, 24, TRUE);
  const DdDetectionsMeta *m = dd_buffer_add_detections_meta_mapped (out, in,
      &half_mirrored);
  g_assert_nonnull (m);
  g_assert_cmpint (m->width, ==, 32);
  const dd_detection *d = &m->detections[0];
  g_assert_cmpfloat (d->box[0], ==, 32 - 15.0f);
  g_assert_cmpfloat (d->box[2], ==, 32 - 5.0f);
  g_assert_cmpfloat (d->box[1], ==, 4.0f);
  /* Keypoint 1 ("left") is the mirror of the input's keypoint 2 ("right"). */
  g_assert_cmpfloat (d->keypoints[1].x, ==, 32 - (10 + 1) * 0.5f);
  g_assert_cmpfloat (d->keypoints[1].score, ==, 0.7f);
  g_assert_cmpfloat (d->keypoints[0].x, ==, 32 - 20 * 0.5f);
  gst_buffer_unref (out);

  DdDetectionsMeta *dm = dd_buffer_get_detections_meta (buf);
  dm->n_flip_partners = 0;
  out = gst_buffer_new ();
  dd_transform mirror = dd_transform_resize (64, 48, 64, 48, TRUE);
  g_assert_null (dd_buffer_add_detections_meta_mapped (out, dm, &mirror));
  g_assert_null (dd_buffer_get_detections_meta (out));
  gst_buffer_unref (out);
  gst_buffer_unref (buf);
}

/* Through GStreamer's videoconvert the metas stay as they are; through
 * videoscale the detections and the transform follow the new size, and
 * the frame's identity stays. */
static GstBuffer *
through (const char *element, const char *out_caps)
{
  GstHarness *h = gst_harness_new (element);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=64,height=48,framerate=10/1");
  gst_harness_set_sink_caps_str (h, out_caps);
  GstBuffer *out = gst_harness_push_and_pull (h, frame_with_metas (64, 48));
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

static void
test_through_gstreamer (void)
{
  GstBuffer *conv = through ("videoconvert",
      "video/x-raw,format=BGRx,width=64,height=48");
  g_assert_nonnull (dd_buffer_get_frame_meta (conv));
  const DdTransformMeta *tm = dd_buffer_get_transform_meta (conv);
  g_assert_true (tm && dd_transform_meta_is_identity (tm));
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (conv);
  g_assert_true (dm && dm->width == 64 && dm->detections[0].box[0] == 10.0f);
  gst_buffer_unref (conv);

  GstBuffer *scaled = through ("videoscale",
      "video/x-raw,format=RGB,width=32,height=24");
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (scaled);
  g_assert_true (fm && fm->width == 64 && fm->timestamp_ns == 1500000000);
  tm = dd_buffer_get_transform_meta (scaled);
  g_assert_nonnull (tm);
  g_assert_cmpint (tm->frame_width, ==, 64);
  g_assert_cmpint (tm->width, ==, 32);
  g_assert_cmpint (tm->height, ==, 24);
  dm = dd_buffer_get_detections_meta (scaled);
  g_assert_nonnull (dm);
  g_assert_cmpint (dm->width, ==, 32);
  g_assert_cmpfloat (dm->detections[0].box[0], ==, 5.0f);
  g_assert_cmpfloat (dm->detections[0].box[3], ==, 20.0f);
  g_assert_cmpfloat (dm->detections[0].keypoints[1].x, ==, 14.5f);
  gst_buffer_unref (scaled);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  g_test_add_func ("/metas/copy", test_copy);
  g_test_add_func ("/metas/json", test_json);
  g_test_add_func ("/metas/points", test_points);
  g_test_add_func ("/metas/mirror", test_mirror);
  g_test_add_func ("/metas/through-gstreamer", test_through_gstreamer);
  return g_test_run ();
}
