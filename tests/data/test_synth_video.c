/* Videos (lib/data/video_writer.h) and the clips of a benchmark tree: what
 * is encoded decodes again through GStreamer (decodebin ! appsink) with
 * the frame count, the timestamps and the pixels it was given, and each
 * clip's sidecar describes exactly the frames in it. */
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "data/synth_bench.h"
#include "data/video_writer.h"

typedef struct {
  int n;
  uint64_t pts[64];
  dd_image *frames[64];
} decoded;

/* filesrc ! decodebin ! videoconvert ! RGB ! appsink, every frame. */
static void
decode (const char *path, decoded *out)
{
  g_autofree char *desc = g_strdup_printf ("filesrc name=src ! decodebin ! "
      "videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false");
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "location", path, NULL);
  gst_object_unref (src);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  out->n = 0;
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstVideoInfo info;
    g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstVideoFrame vf;
    g_assert_true (gst_video_frame_map (&vf, &info, buf, GST_MAP_READ));
    g_assert_cmpint (out->n, <, 64);
    dd_image *img = dd_image_new (info.width, info.height, NULL);
    for (int y = 0; y < info.height; y++)
      memcpy (img->data + (size_t) y * 3 * info.width,
          (const uint8_t *) GST_VIDEO_FRAME_PLANE_DATA (&vf, 0)
          + (size_t) y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0),
          (size_t) 3 * info.width);
    gst_video_frame_unmap (&vf);
    out->pts[out->n] = GST_BUFFER_PTS (buf);
    out->frames[out->n++] = img;
    gst_sample_unref (sample);
  }
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (err) {
    GError *e = NULL;
    gst_message_parse_error (err, &e, NULL);
    g_error ("decoding %s: %s", path, e->message);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

static void
decoded_clear (decoded *d)
{
  for (int i = 0; i < d->n; i++)
    dd_image_free (d->frames[i]);
  d->n = 0;
}

static double
psnr (const dd_image *a, const dd_image *b)
{
  double se = 0;
  size_t n = (size_t) a->width * a->height * 3;
  for (size_t i = 0; i < n; i++) {
    double d = (double) a->data[i] - b->data[i];
    se += d * d;
  }
  return 10 * log10 (255.0 * 255.0 / (se / n + 1e-12));
}

static char *tmp_dir;

enum { FRAMES = 12, FPS = 10, WIDTH = 160, HEIGHT = 90 };

static void
test_round_trip (gconstpointer data)
{
  dd_video_codec codec = GPOINTER_TO_INT (data);
  g_autofree char *name = g_strconcat ("clip", dd_video_codec_extension (codec), NULL);
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  dd_scene_limits limits = { 2, 4, 0.3, 0.8 };
  dd_scene *scene = g_new (dd_scene, 1);
  dd_rng rng;
  dd_rng_seed (&rng, 9, 0);
  dd_scene_sample (dd_style_get (DD_STYLE_DISSIMILAR), WIDTH, HEIGHT, &limits,
      (double) FRAMES / FPS, &rng, scene);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  GError *error = NULL;
  dd_video_writer *w = dd_video_writer_new (path, codec, WIDTH, HEIGHT, FPS,
      &error);
  g_assert_no_error (error);
  dd_image *sent[FRAMES];
  for (int f = 0; f < FRAMES; f++) {
    cairo_surface_t *s = dd_synth_render (scene, f / (double) FPS, f, NULL, truth);
    sent[f] = dd_synth_surface_to_image (s);
    cairo_surface_destroy (s);
    g_assert_true (dd_video_writer_push (w, sent[f], &error));
  }
  g_assert_true (dd_video_writer_finish (w, &error));
  g_assert_no_error (error);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  decoded d;
  decode (path, &d);
  g_assert_cmpint (d.n, ==, FRAMES);
  double worst = INFINITY;
  for (int f = 0; f < FRAMES; f++) {
    g_assert_cmpuint (d.pts[f], ==, dd_video_frame_time (f, FPS));
    g_assert_cmpint (d.frames[f]->width, ==, WIDTH);
    worst = fmin (worst, psnr (d.frames[f], sent[f]));
    /* Frames come back in order: each is closest to the one sent there. */
    if (f > 0)
      g_assert_cmpfloat (psnr (d.frames[f], sent[f]), >, psnr (d.frames[f], sent[f - 1]));
  }
  for (int f = 0; f < FRAMES; f++)
    dd_image_free (sent[f]);
  g_test_message ("%s: worst frame %.1f dB", name, worst);
  g_assert_cmpfloat (worst, >, 24);
  decoded_clear (&d);
  g_free (truth);
  g_free (scene);
  g_unlink (path);
}

static void
test_writer_errors (void)
{
  GError *error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "bad.mp4", NULL);
  g_assert_null (dd_video_writer_new (path, DD_VIDEO_H264_MP4, 161, 90, 10, &error));
  g_assert_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "bad.mp4"));
  g_assert_nonnull (strstr (error->message, "161x90"));
  g_clear_error (&error);

  g_assert_null (dd_video_writer_new ("/nonexistent/dir/x.mkv", DD_VIDEO_VP8_MKV,
          160, 90, 10, &error));
  g_assert_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_STREAM);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/x.mkv"));
  g_clear_error (&error);

  dd_video_writer *w = dd_video_writer_new (path, DD_VIDEO_H264_MP4, 160, 90,
      10, &error);
  g_assert_no_error (error);
  dd_image *wrong = dd_image_new (100, 90, NULL);
  g_assert_false (dd_video_writer_push (w, wrong, &error));
  g_assert_error (error, DD_VIDEO_ERROR, DD_VIDEO_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "100x90"));
  g_clear_error (&error);
  dd_image_free (wrong);
  g_assert_true (dd_video_writer_finish (w, &error));
  g_unlink (path);

  dd_video_codec c;
  g_assert_true (dd_video_codec_from_name ("vp8", &c));
  g_assert_cmpint (c, ==, DD_VIDEO_VP8_MKV);
  g_assert_false (dd_video_codec_from_name ("h265", &c));
}

/* A tree's clips: as many decoded frames as sidecar images, at the
 * sidecar's timestamps. */
static void
test_tree_clips (void)
{
  static const char spec_text[] =
      "{ \"name\": \"clips\", \"description\": \"two short clips\",\n"
      "  \"image_format\": \"png\",\n"
      "  \"people\": { \"min\": 1, \"max\": 3, \"min_height\": 0.3, \"max_height\": 0.8 },\n"
      "  \"styles\": { \"dissimilar\": { \"width\": 128, \"height\": 72 } },\n"
      "  \"splits\": [ { \"name\": \"video-180\", \"kind\": \"videos\",\n"
      "    \"style\": \"dissimilar\", \"videos\": 2, \"frames\": 9, \"fps\": 5,\n"
      "    \"codecs\": [ \"h264\", \"vp8\" ] } ] }";
  GError *error = NULL;
  dd_spec *spec = dd_spec_parse (spec_text, -1, "clips.json", &error);
  g_assert_no_error (error);
  g_autofree char *dir = g_build_filename (tmp_dir, "tree", NULL);
  g_assert_true (dd_bench_generate (spec, dir, 3, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int c = 0; c < 2; c++) {
    g_autofree char *sidecar_name = g_strdup_printf ("video-180/clip-%03d.json", c);
    g_autofree char *sidecar_path = g_build_filename (dir, sidecar_name, NULL);
    dd_coco_dataset *ds = dd_coco_read_full (sidecar_path, dir,
        DD_COCO_READ_CHECK_IMAGES, &error);
    g_assert_no_error (error);
    const dd_coco_image *first = &g_array_index (ds->images, dd_coco_image, 0);
    g_autofree char *clip = g_build_filename (dir, first->file_name, NULL);
    decoded d;
    decode (clip, &d);
    g_assert_cmpuint (ds->images->len, ==, 9);
    g_assert_cmpint (d.n, ==, (int) ds->images->len);
    for (int f = 0; f < d.n; f++) {
      const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, f);
      g_assert_cmpint ((int64_t) d.pts[f], ==, im->timestamp_ns);
      g_assert_cmpint (im->width, ==, d.frames[f]->width);
      g_assert_cmpint (im->height, ==, d.frames[f]->height);
    }
    decoded_clear (&d);
    dd_coco_dataset_free (ds);
    g_unlink (clip);
    g_unlink (sidecar_path);
  }
  const char *rest[] = { "video-180.json", "hidden/video-180.json", "spec.json",
    "video-180", "hidden", "" };
  for (size_t i = 0; i < G_N_ELEMENTS (rest); i++) {
    g_autofree char *p = g_build_filename (dir, rest[i], NULL);
    g_remove (p);
  }
  dd_spec_free (spec);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GError *error = NULL;
  tmp_dir = g_dir_make_tmp ("ddistill-video-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_data_func ("/synth/video/h264-mp4", GINT_TO_POINTER (DD_VIDEO_H264_MP4),
      test_round_trip);
  g_test_add_data_func ("/synth/video/vp8-mkv", GINT_TO_POINTER (DD_VIDEO_VP8_MKV),
      test_round_trip);
  g_test_add_func ("/synth/video/writer-errors", test_writer_errors);
  g_test_add_func ("/synth/video/tree-clips", test_tree_clips);
  int status = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
