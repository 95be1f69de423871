#include "label_loop.h"

#include <gst/video/video.h>
#include <time.h>

#include "data/image.h"
#include "elements/file_decoder.h"
#include "elements/sample_plan.h"
#include "tools/label_set.h"
#include "tools/tta_predictor.h"

#define START_TIMEOUT (10 * GST_SECOND)
#define PULL_TIMEOUT (30 * GST_SECOND)
/* ddsampler's default: nearer than this, decoding through beats seeking. */
#define SEEK_THRESHOLD (GST_SECOND / 2)

typedef struct stage_timer {
  dd_stage_times *times;
  dd_stage stage;
  gint64 wall, cpu;
} stage_timer;

static gint64
process_cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * 1000000000 + t.tv_nsec;
}

static void
timer_start (stage_timer *t, dd_stage s)
{
  t->stage = s;
  t->wall = g_get_monotonic_time () * 1000;
  t->cpu = process_cpu_ns ();
}

static void
timer_stop (stage_timer *t)
{
  t->times->wall_ns[t->stage] += g_get_monotonic_time () * 1000 - t->wall;
  t->times->cpu_ns[t->stage] += process_cpu_ns () - t->cpu;
}

/* The RGB frame of a sample, rows unpadded. */
static dd_image *
sample_image (GstSample *sample, GError **error)
{
  GstVideoInfo info;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "the decoder gave a frame without raw video caps");
    return NULL;
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "cannot map a decoded frame");
    return NULL;
  }
  dd_image *img = dd_image_new (info.width, info.height, error);
  for (int y = 0; img && y < info.height; y++)
    memcpy (img->data + (gsize) y * 3 * info.width,
        (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), 3 * (gsize) info.width);
  gst_video_frame_unmap (&frame);
  return img;
}

static gboolean
pull (dd_file_decoder *d, const char *path, GstSample **sample, GError **error)
{
  for (;;) {
    g_autoptr (GError) e = NULL;
    switch (dd_file_decoder_pull (d, PULL_TIMEOUT, sample, &e)) {
      case DD_DECODE_FRAME:
        return TRUE;
      case DD_DECODE_WARNING:
        continue;
      case DD_DECODE_END:
        *sample = NULL;
        return TRUE;
      default:
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
            "%s: %s", path, e ? e->message : "no frame in time");
        return FALSE;
    }
  }
}

typedef struct loop_state {
  const dd_loop_job *job;
  dd_tta_predictor *teacher;
  dd_coco_dataset *corpus;
  dd_labeler *labeler;
  GArray *dets;
  stage_timer timer;
  guint next_image;
} loop_state;

/* Passes, ensemble, write: one taken frame. */
static gboolean
label_frame (loop_state *s, const dd_image *img, GError **error)
{
  dd_coco_image *im = &g_array_index (s->corpus->images, dd_coco_image, s->next_image);
  im->width = img->width;
  im->height = img->height;
  g_array_set_size (s->dets, 0);
  timer_start (&s->timer, DD_STAGE_INFERENCE);
  gboolean ok = dd_tta_predictor_run (s->teacher, img, s->dets, error);
  timer_stop (&s->timer);
  if (!ok)
    return FALSE;
  timer_start (&s->timer, DD_STAGE_WRITE);
  g_autofree char *path = g_build_filename (s->corpus->image_dir, im->file_name, NULL);
  ok = dd_image_save (img, path, 92, error)
      && dd_labeler_add (s->next_image, s->dets, s->labeler, error);
  timer_stop (&s->timer);
  s->next_image++;
  return ok;
}

/* The frames of one video that ddsampler mode=random would take. */
static gboolean
label_video (loop_state *s, const char *path, GError **error)
{
  g_autofree char *uri = gst_filename_to_uri (path, error);
  if (!uri)
    return FALSE;
  GstCaps *rgb = gst_caps_from_string ("video/x-raw,format=RGB");
  timer_start (&s->timer, DD_STAGE_DECODE);
  dd_file_decoder *d = dd_file_decoder_open (uri, rgb, START_TIMEOUT, error);
  gst_caps_unref (rgb);
  GstSample *sample = NULL;
  gboolean ok = d && pull (d, path, &sample, error);
  timer_stop (&s->timer);
  if (ok && !sample) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "%s holds no frame", path);
    ok = FALSE;
  }
  dd_sample_plan plan = { 0 };
  if (ok) {
    gint64 duration = -1;
    GstVideoInfo info;
    gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
    dd_sample_params params = { .mode = DD_SAMPLE_RANDOM, .count = s->job->count,
      .seed = s->job->seed };
    dd_sample_plan_init (&plan, &params, uri,
        dd_file_decoder_duration (d, &duration) ? (GstClockTime) duration
        : GST_CLOCK_TIME_NONE, info.fps_n, info.fps_d);
  }
  GstClockTime sought = GST_CLOCK_TIME_NONE;
  while (ok && sample) {
    /* Stream time, as ddcorpussrc stamps its frames for ddsampler. */
    GstClockTime ts = gst_segment_to_stream_time (gst_sample_get_segment (sample),
        GST_FORMAT_TIME, GST_BUFFER_PTS (gst_sample_get_buffer (sample)));
    if (dd_sample_plan_take (&plan, ts)) {
      timer_start (&s->timer, DD_STAGE_DECODE);
      dd_image *img = sample_image (sample, error);
      timer_stop (&s->timer);
      ok = img && label_frame (s, img, error);
      dd_image_free (img);
    }
    g_clear_pointer (&sample, gst_sample_unref);
    if (!ok || dd_sample_plan_done (&plan))
      break;
    timer_start (&s->timer, DD_STAGE_DECODE);
    GstClockTime next = dd_sample_plan_next (&plan);
    /* A seek lands on the keyframe before: never seek twice for one frame. */
    if (next > ts + SEEK_THRESHOLD && next != sought) {
      sought = next;
      dd_file_decoder_seek (d, 1.0, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT
          | GST_SEEK_FLAG_SNAP_BEFORE, GST_SEEK_TYPE_SET,
          (gint64) (next + plan.tolerance), GST_SEEK_TYPE_NONE, -1);
    }
    ok = pull (d, path, &sample, error);
    timer_stop (&s->timer);
  }
  g_clear_pointer (&sample, gst_sample_unref);
  dd_sample_plan_clear (&plan);
  if (d)
    dd_file_decoder_close (d);
  return ok;
}

static dd_coco_dataset *
frame_list (const dd_loop_job *job, GError **error)
{
  dd_coco_dataset *corpus = dd_coco_dataset_new ();
  corpus->image_dir = g_build_filename (job->out_dir, "images", NULL);
  if (g_mkdir_with_parents (corpus->image_dir, 0777) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "cannot make the folder %s", corpus->image_dir);
    dd_coco_dataset_free (corpus);
    return NULL;
  }
  guint n = g_strv_length (job->videos) * job->count;
  for (guint i = 0; i < n; i++) {
    g_autofree char *name = g_strdup_printf ("frame-%05u.jpg", i + 1);
    dd_coco_image im = { .id = i + 1, .file_name = name, .width = 1, .height = 1,
      .timestamp_ns = -1 };
    dd_coco_add_image (corpus, &im);
  }
  return corpus;
}

gboolean
dd_label_loop_run (const dd_loop_job *job, dd_stage_times *times, guint *frames,
    GError **error)
{
  char err[1024];
  memset (times, 0, sizeof *times);
  loop_state s = { .job = job, .timer = { .times = times } };
  dd_ensemble_params rules;
  dd_ensemble_params_init (&rules);
  if (!dd_ensemble_params_parse (&rules, job->rules_text, error))
    return FALSE;
  dd_backend *be = dd_backend_new ("cpu", err, sizeof err);
  if (!be) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cpu backend: %s", err);
    return FALSE;
  }
  dd_coco_dataset *labeled = dd_coco_read (job->labeled, error);
  s.corpus = labeled ? frame_list (job, error) : NULL;
  s.teacher = s.corpus ? dd_tta_predictor_new (job->model, be, job->transforms,
      &rules, error) : NULL;
  int n_classes = 0;
  const char *const *classes = s.teacher
      ? dd_tta_predictor_classes (s.teacher, &n_classes) : NULL;
  s.labeler = s.teacher ? dd_labeler_new (classes, n_classes,
      dd_tta_predictor_n_keypoints (s.teacher), labeled, s.corpus, error) : NULL;
  s.dets = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  gboolean ok = s.labeler != NULL;
  for (int v = 0; ok && job->videos[v]; v++)
    ok = label_video (&s, job->videos[v], error);
  if (ok && s.next_image != s.corpus->images->len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the videos gave %u "
        "frames, not %u: are they shorter than %u frames each?", s.next_image,
        s.corpus->images->len, job->count);
    ok = FALSE;
  }
  if (ok) {
    g_autofree char *out_json = g_build_filename (job->out_dir, "labels.json", NULL);
    dd_label_outcome outcome = { 0 };
    timer_start (&s.timer, DD_STAGE_WRITE);
    ok = dd_labeler_finish (s.labeler, dd_tta_predictor_transform_names (s.teacher),
        job->rules_text, NULL, out_json, &outcome, error);
    timer_stop (&s.timer);
    if (ok)
      dd_thresholds_clear (&outcome.thresholds);
  }
  *frames = s.next_image;
  g_array_unref (s.dets);
  if (s.labeler)
    dd_labeler_free (s.labeler);
  if (s.teacher)
    dd_tta_predictor_free (s.teacher);
  if (s.corpus)
    dd_coco_dataset_free (s.corpus);
  if (labeled)
    dd_coco_dataset_free (labeled);
  dd_backend_free (be);
  return ok;
}
