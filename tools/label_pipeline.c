#include "label_pipeline.h"

#include <gst/app/gstappsink.h>
#include <stdio.h>
#include <unistd.h>

#include "elements/dddetectionsmeta.h"
#include "elements/ddframemeta.h"
#include "model/detection.h"

/* What dddatasetsrc puts in each frame's DdFrameMeta: the file's URI. */
static GHashTable *
index_by_uri (const dd_coco_dataset *corpus)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < corpus->images->len; i++) {
    const dd_coco_image *im = &g_array_index (corpus->images, dd_coco_image, i);
    g_autofree char *file = g_build_filename (corpus->image_dir ? corpus->image_dir
        : ".", im->file_name, NULL);
    g_autofree char *path = g_canonicalize_filename (file, NULL);
    char *uri = g_filename_to_uri (path, NULL, NULL);
    if (uri)
      g_hash_table_insert (h, uri, GUINT_TO_POINTER (i + 1));
  }
  return h;
}

static GstElement *
build (const dd_label_pipeline *p, GstElement **sink, GstElement **label,
    GError **error)
{
  GstElement *pipeline = gst_parse_launch ("dddatasetsrc name=src shuffle=false "
      "epochs=1 ! ddlabel name=label ! appsink name=sink sync=false", error);
  if (!pipeline)
    return NULL;
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  *label = gst_bin_get_by_name (GST_BIN (pipeline), "label");
  *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", p->corpus_json, "images", p->images, NULL);
  g_object_set (*label, "model", p->teacher, "transforms", p->transforms, "rules",
      p->rules, "device", p->device, NULL);
  gst_object_unref (src);
  return pipeline;
}

/* The frame's index in the corpus and its detections. */
static gboolean
take (GstSample *sample, GHashTable *by_uri, GArray *dets, guint *index,
    GError **error)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  const DdFrameMeta *fm = dd_buffer_get_frame_meta (buf);
  const DdDetectionsMeta *dm = dd_buffer_get_detections_meta (buf);
  guint at = fm && fm->uri ? GPOINTER_TO_UINT (g_hash_table_lookup (by_uri, fm->uri)) : 0;
  if (!at || !dm) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "ddlabel gave a frame (%s) %s",
        fm && fm->uri ? fm->uri : "without identity",
        !at ? "that is not in the corpus" : "without labels");
    return FALSE;
  }
  *index = at - 1;
  g_array_set_size (dets, 0);
  g_array_append_vals (dets, dm->detections, dm->n_detections);
  return TRUE;
}

static void
show (guint done, guint total, gint64 start, gboolean live, const char *passes)
{
  gboolean last = done == total;
  if (!live && !last)
    return;
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  fprintf (stderr, "%s  %-9s image %u/%u  %.1f img/s  (ddlabel: %s)%s",
      live ? "\r\033[K" : "", "labels", done, total, seconds > 0 ? done / seconds : 0,
      passes ? passes : "", last ? "\n" : "");
}

/* The first error on the bus, if any. */
static gboolean
bus_error (GstElement *pipeline, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  if (!msg)
    return FALSE;
  GError *e = NULL;
  gst_message_parse_error (msg, &e, NULL);
  g_set_error (error, e->domain, e->code, "%s: %s", GST_MESSAGE_SRC_NAME (msg),
      e->message);
  g_error_free (e);
  gst_message_unref (msg);
  return TRUE;
}

gboolean
dd_label_pipeline_run (const dd_label_pipeline *p, dd_predict_set_fn fn, void *user,
    char **passes, GError **error)
{
  GstElement *sink, *label;
  GstElement *pipeline = build (p, &sink, &label, error);
  if (!pipeline)
    return FALSE;
  GHashTable *by_uri = index_by_uri (p->corpus);
  GArray *dets = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE;
  g_object_get (label, "passes", passes, NULL);
  gboolean live = isatty (fileno (stderr));
  guint n = p->corpus->images->len, done = 0;
  gint64 start = g_get_monotonic_time (), last_print = 0;
  GstSample *sample;
  while (ok && (sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    guint i;
    ok = take (sample, by_uri, dets, &i, error) && fn (i, dets, user, error);
    gst_sample_unref (sample);
    done += ok;
    gint64 now = g_get_monotonic_time ();
    if (ok && (done == n || now - last_print > 200000)) {
      show (done, n, start, live, *passes);
      last_print = now;
    }
  }
  /* No more samples: EOS, or an error the bus holds. */
  if (ok && bus_error (pipeline, error))
    ok = FALSE;
  else if (!ok && error && !*error && !bus_error (pipeline, error))
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the labeling pipeline did not start");
  if (ok && done != n)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "ddlabel gave %u "
        "frames for the corpus's %u images", done, n);
  ok = ok && done == n;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (label);
  gst_object_unref (pipeline);
  g_hash_table_destroy (by_uri);
  g_array_unref (dets);
  return ok;
}
