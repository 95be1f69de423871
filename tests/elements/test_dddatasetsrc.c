/* dddatasetsrc: every image of a COCO dataset with its pixels, its size in
 * the caps, its annotations and identity in metas; shuffled epochs that a
 * seed repeats; annotations scaled by videoscale; bad datasets reported by
 * name. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <string.h>

#include "data/coco.h"
#include "data/image.h"
#include "elements/ddannotationsmeta.h"
#include "elements/ddframemeta.h"
#include "fixtures.h"

#define N_IMAGES 5
#define N_KEYPOINTS 17

/* Image i: 20x10 when i is even, 13x9 when odd (rows of 39 bytes, which
 * GStreamer pads to 40), pixel (x, y) = (10 i + x, y, 200). */
static int
image_width (int i)
{
  return i % 2 ? 13 : 20;
}

static int
image_height (int i)
{
  return i % 2 ? 9 : 10;
}

static uint8_t
pixel (int i, int x, int y, int c)
{
  return (uint8_t) (c == 0 ? 10 * i + x : c == 1 ? y : 200);
}

static void
add_category (dd_coco_dataset *ds, int id, const char *name, int n_keypoints)
{
  char *names[N_KEYPOINTS];
  for (int k = 0; k < n_keypoints; k++)
    names[k] = g_strdup_printf ("kp%d", k);
  dd_coco_category c = { .id = id, .name = (char *) name, .n_keypoints = n_keypoints,
    .keypoint_names = names };
  dd_coco_add_category (ds, &c);
  for (int k = 0; k < n_keypoints; k++)
    g_free (names[k]);
}

/* Image i (id 100 + i) has i annotations: annotation j is a person (odd j
 * a "dog" without keypoints) with box [j, 1, 5, 4] and keypoint k at
 * (j + k / 4, 2, v = k % 3). */
static void
add_annotations (dd_coco_dataset *ds, int i, gboolean automatic)
{
  for (int j = 0; j < i; j++) {
    float kp[3 * N_KEYPOINTS];
    int visible = 0;
    for (int k = 0; k < N_KEYPOINTS; k++) {
      int v = k % 3;
      kp[3 * k] = v ? j + k / 4.0f : 0;
      kp[3 * k + 1] = v ? 2 : 0;
      kp[3 * k + 2] = (float) v;
      visible += v > 0;
    }
    gboolean dog = j % 2 == 1;
    dd_coco_annotation a = { .id = 1000 + 10 * i + j, .image_id = 100 + i,
      .category_id = dog ? 2 : 1, .bbox = { j, 1, 5, 4 }, .area = 20,
      .num_keypoints = dog ? 0 : visible, .n_keypoints = dog ? 0 : N_KEYPOINTS,
      .keypoints = dog ? NULL : kp, .has_score = automatic, .score = 0.5 + 0.1 * j };
    dd_coco_add_annotation (ds, &a);
  }
}

/* Writes DIR/data.json and DIR/img/NNN.png (lossless, so pixels can be
 * compared). Returns the JSON's path. */
static char *
write_dataset (const char *dir, gboolean automatic)
{
  g_autofree char *img_dir = g_build_filename (dir, "img", NULL);
  g_assert_cmpint (g_mkdir_with_parents (img_dir, 0755), ==, 0);
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  add_category (ds, 1, "person", N_KEYPOINTS);
  add_category (ds, 2, "dog", 0);
  for (int i = 0; i < N_IMAGES; i++) {
    dd_image *img = dd_image_new (image_width (i), image_height (i), NULL);
    for (int y = 0; y < img->height; y++)
      for (int x = 0; x < img->width; x++)
        for (int c = 0; c < 3; c++)
          img->data[3 * (y * img->width + x) + c] = pixel (i, x, y, c);
    g_autofree char *name = g_strdup_printf ("img/%03d.png", i);
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_assert_true (dd_image_save (img, path, 90, NULL));
    dd_coco_image im = { .id = 100 + i, .file_name = name, .width = img->width,
      .height = img->height, .timestamp_ns = -1 };
    dd_coco_add_image (ds, &im);
    add_annotations (ds, i, automatic);
    dd_image_free (img);
  }
  char *json = g_build_filename (dir, "data.json", NULL);
  GError *error = NULL;
  g_assert_true (dd_coco_write (ds, json, &error));
  g_assert_no_error (error);
  dd_coco_dataset_free (ds);
  return json;
}

/* The image index of a buffer, from its meta's image id. */
static int
index_of (GstBuffer *buf)
{
  const DdAnnotationsMeta *am = dd_buffer_get_annotations_meta (buf);
  g_assert_nonnull (am);
  return (int) (am->image_id - 100);
}

static void
check_pixels (GstBuffer *buf, int i)
{
  int w = image_width (i), h = image_height (i);
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, GST_VIDEO_INFO_SIZE (&info));
  GstMapInfo map;
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  int stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        g_assert_cmpuint (map.data[y * stride + 3 * x + c], ==, pixel (i, x, y, c));
  gst_buffer_unmap (buf, &map);
}

static void
check_annotations (GstBuffer *buf, int i, DdLabelsOrigin origin)
{
  const DdAnnotationsMeta *am = dd_buffer_get_annotations_meta (buf);
  g_assert_cmpint (am->origin, ==, origin);
  g_assert_cmpint (am->width, ==, image_width (i));
  g_assert_cmpint (am->height, ==, image_height (i));
  g_assert_cmpuint (am->n_annotations, ==, i);
  for (int j = 0; j < i; j++) {
    const dd_coco_annotation *a = &am->annotations[j];
    g_assert_cmpint (a->id, ==, 1000 + 10 * i + j);
    g_assert_cmpstr (am->categories[j], ==, j % 2 ? "dog" : "person");
    g_assert_cmpfloat (a->bbox[0], ==, j);
    g_assert_cmpfloat (a->bbox[3], ==, 4);
    g_assert_cmpint (a->has_score, ==, origin == DD_LABELS_AUTOMATIC);
    if (j % 2 == 0) {
      g_assert_cmpint (a->n_keypoints, ==, N_KEYPOINTS);
      g_assert_cmpfloat (a->keypoints[3 * 5], ==, j + 5 / 4.0f);
      g_assert_cmpfloat (a->keypoints[3 * 5 + 2], ==, 2);
      g_assert_cmpfloat (a->keypoints[3 * 6 + 2], ==, 0);
    } else {
      g_assert_cmpint (a->n_keypoints, ==, 0);
    }
  }
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  g_assert_nonnull (fm);
  g_autofree char *tail = g_strdup_printf ("/img/%03d.png", i);
  g_assert_true (g_str_has_prefix (fm->uri, "file:///"));
  g_assert_true (g_str_has_suffix (fm->uri, tail));
  g_assert_cmpint (fm->width, ==, image_width (i));
}

/* In the file's order: every image's pixels and labels, then EOS. */
static void
test_in_order (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, FALSE);
  GstHarness *h = gst_harness_new_with_padnames ("dddatasetsrc", NULL, "src");
  g_object_set (h->element, "location", json, "shuffle", FALSE, NULL);
  gst_harness_play (h);
  for (int i = 0; i < N_IMAGES; i++) {
    GstBuffer *buf = gst_harness_pull (h);
    g_assert_nonnull (buf);
    g_assert_cmpint (index_of (buf), ==, i);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, i);
    check_pixels (buf, i);
    check_annotations (buf, i, DD_LABELS_MANUAL);
    gst_buffer_unref (buf);
  }
  guint n_images;
  g_object_get (h->element, "n-images", &n_images, NULL);
  g_assert_cmpuint (n_images, ==, N_IMAGES);
  /* Everything after the buffers: caps changes, then EOS last. */
  GstEvent *ev, *last = NULL;
  int caps_events = 0;
  while ((ev = gst_harness_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS)
      caps_events++;
    gst_clear_event (&last);
    last = ev;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      break;
  }
  g_assert_nonnull (last);
  g_assert_cmpint (GST_EVENT_TYPE (last), ==, GST_EVENT_EOS);
  /* Sizes alternate: one caps event per image. */
  g_assert_cmpint (caps_events, ==, N_IMAGES);
  gst_event_unref (last);
  gst_harness_teardown (h);
  fixture_rmdir (dir);
}

/* Each sample's caps are its image's size, through an appsink. */
static void
test_caps_follow_images (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, FALSE);
  GstElement *p = gst_parse_launch ("dddatasetsrc name=s shuffle=false ! "
      "appsink name=out sync=false", NULL);
  GstElement *s = gst_bin_get_by_name (GST_BIN (p), "s");
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  g_object_set (s, "location", json, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  int i = 0;
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    GstVideoInfo info;
    g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
    g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&info), ==, GST_VIDEO_FORMAT_RGB);
    g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, image_width (i));
    g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, image_height (i));
    check_pixels (gst_sample_get_buffer (sample), i);
    gst_sample_unref (sample);
    i++;
  }
  g_assert_cmpint (i, ==, N_IMAGES);
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (out)));
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (s);
  gst_object_unref (out);
  gst_object_unref (p);
  fixture_rmdir (dir);
}

/* The image order of `epochs` epochs. */
static void
stream_order (const char *json, guint epochs, guint64 seed, int *order)
{
  GstHarness *h = gst_harness_new_with_padnames ("dddatasetsrc", NULL, "src");
  g_object_set (h->element, "location", json, "epochs", epochs, "seed", seed,
      NULL);
  gst_harness_play (h);
  for (guint k = 0; k < epochs * N_IMAGES; k++) {
    GstBuffer *buf = gst_harness_pull (h);
    order[k] = index_of (buf);
    gst_buffer_unref (buf);
  }
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h)) && GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
    gst_event_unref (ev);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_harness_teardown (h);
}

/* Shuffled (the default): every epoch a permutation, epochs in different
 * orders, the same seed the same stream, another seed another. */
static void
test_shuffled_epochs (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, FALSE);
  enum { EPOCHS = 4 };
  int a[EPOCHS * N_IMAGES], b[EPOCHS * N_IMAGES], c[EPOCHS * N_IMAGES];
  stream_order (json, EPOCHS, 7, a);
  stream_order (json, EPOCHS, 7, b);
  stream_order (json, EPOCHS, 8, c);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
  int distinct_orders = 0;
  for (int e = 0; e < EPOCHS; e++) {
    int seen[N_IMAGES] = { 0 };
    for (int k = 0; k < N_IMAGES; k++)
      seen[a[e * N_IMAGES + k]]++;
    for (int i = 0; i < N_IMAGES; i++)
      g_assert_cmpint (seen[i], ==, 1);
    if (e > 0 && memcmp (a, a + e * N_IMAGES, sizeof (int) * N_IMAGES) != 0)
      distinct_orders++;
  }
  g_assert_cmpint (distinct_orders, >=, 2);
  fixture_rmdir (dir);
}

/* epochs=0 never ends by itself; origin=automatic tags the labels, scores
 * kept. */
static void
test_endless_automatic (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, TRUE);
  GstHarness *h = gst_harness_new_with_padnames ("dddatasetsrc", NULL, "src");
  g_object_set (h->element, "location", json, "epochs", 0, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "origin", "automatic");
  gst_harness_play (h);
  for (int k = 0; k < 5 * N_IMAGES + 1; k++) {
    GstBuffer *buf = gst_harness_pull (h);
    int i = index_of (buf);
    check_annotations (buf, i, DD_LABELS_AUTOMATIC);
    if (i >= 2) {
      const DdAnnotationsMeta *am = dd_buffer_get_annotations_meta (buf);
      g_assert_cmpfloat_with_epsilon (am->annotations[1].score, 0.6, 1e-12);
      g_autofree char *text = dd_annotations_meta_to_string (am);
      g_assert_nonnull (strstr (text, "\"origin\":\"automatic\""));
      g_assert_nonnull (strstr (text, "\"category\":\"dog\""));
    }
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
  fixture_rmdir (dir);
}

/* videoscale to twice the width: boxes, areas and keypoints follow. */
static void
test_scaled_annotations (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, FALSE);
  GstElement *p = gst_parse_launch ("dddatasetsrc name=s shuffle=false ! "
      "videoscale ! video/x-raw,width=40,height=10 ! appsink name=out sync=false",
      NULL);
  GstElement *s = gst_bin_get_by_name (GST_BIN (p), "s");
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  g_object_set (s, "location", json, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  int checked = 0;
  GstSample *sample;
  for (int i = 0; (sample = gst_app_sink_pull_sample (GST_APP_SINK (out))); i++) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    const DdAnnotationsMeta *am = dd_buffer_get_annotations_meta (buf);
    g_assert_nonnull (am);
    g_assert_cmpint (am->width, ==, 40);
    g_assert_cmpint (am->height, ==, 10);
    if (i == 2) {
      /* 20x10 to 40x10: x doubled, y kept. */
      const dd_coco_annotation *a = &am->annotations[0];
      g_assert_cmpfloat (a->bbox[0], ==, 0);
      g_assert_cmpfloat (a->bbox[2], ==, 10);
      g_assert_cmpfloat (a->bbox[3], ==, 4);
      g_assert_cmpfloat (a->area, ==, 40);
      g_assert_cmpfloat (a->keypoints[3 * 5], ==, 2 * (5 / 4.0f));
      g_assert_cmpfloat (a->keypoints[3 * 5 + 1], ==, 2);
      g_assert_cmpfloat (a->keypoints[3 * 6], ==, 0);
      checked++;
    }
    gst_sample_unref (sample);
  }
  g_assert_cmpint (checked, ==, 1);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (s);
  gst_object_unref (out);
  gst_object_unref (p);
  fixture_rmdir (dir);
}

/* Runs dddatasetsrc location=json ! fakesink and returns the error's
 * message (the test fails without one). Errors found at start make the
 * state change fail, so the bus is read whatever it returns. */
static char *
error_of (const char *json)
{
  GstElement *p = gst_parse_launch ("dddatasetsrc name=s ! fakesink", NULL);
  GstElement *s = gst_bin_get_by_name (GST_BIN (p), "s");
  if (json)
    g_object_set (s, "location", json, NULL);
  gst_object_unref (s);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  char *text = fixture_pop_error (bus, 30 * GST_SECOND);
  g_assert_nonnull (text);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  return text;
}

/* No location, a missing image, a corrupt one, one of the wrong size, an
 * empty dataset: each an error that names the cause. */
static void
test_errors (void)
{
  g_autofree char *dir = fixture_tmpdir ("datasetsrc");
  g_autofree char *json = write_dataset (dir, FALSE);
  g_autofree char *none = error_of (NULL);
  g_assert_nonnull (strstr (none, "No dataset"));

  g_autofree char *img2 = g_build_filename (dir, "img", "002.png", NULL);
  g_assert_true (g_file_set_contents (img2, "not a png", -1, NULL));
  g_autofree char *corrupt = error_of (json);
  g_assert_nonnull (strstr (corrupt, "image 102"));
  g_assert_nonnull (strstr (corrupt, "002.png"));

  dd_image *wrong = dd_image_new (7, 7, NULL);
  g_assert_true (dd_image_save (wrong, img2, 90, NULL));
  dd_image_free (wrong);
  g_autofree char *size = error_of (json);
  g_assert_nonnull (strstr (size, "7x7"));
  g_assert_nonnull (strstr (size, "20x10"));

  g_assert_cmpint (g_remove (img2), ==, 0);
  g_autofree char *missing = error_of (json);
  g_assert_nonnull (strstr (missing, "002.png"));

  g_autofree char *empty = g_build_filename (dir, "empty.json", NULL);
  g_assert_true (g_file_set_contents (empty, "{\"images\": [], \"annotations\": [], "
          "\"categories\": []}", -1, NULL));
  g_autofree char *no_images = error_of (empty);
  g_assert_nonnull (strstr (no_images, "no images"));
  fixture_rmdir (dir);
}

int
main (int argc, char **argv)
{
  fixture_init (&argc, &argv);
  g_test_add_func ("/dddatasetsrc/in-order", test_in_order);
  g_test_add_func ("/dddatasetsrc/caps-follow-images", test_caps_follow_images);
  g_test_add_func ("/dddatasetsrc/shuffled-epochs", test_shuffled_epochs);
  g_test_add_func ("/dddatasetsrc/endless-automatic", test_endless_automatic);
  g_test_add_func ("/dddatasetsrc/scaled-annotations", test_scaled_annotations);
  g_test_add_func ("/dddatasetsrc/errors", test_errors);
  return g_test_run ();
}
