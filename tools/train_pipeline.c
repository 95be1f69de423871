#include "train_pipeline.h"

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "model/model_dir.h"
#include "model/trainer.h"
#include "progress_text.h"
#include "run_state.h"

static GstElement *
make (GstElement *pipeline, const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (!e)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the %s element is missing: the ddistill plugin was not registered",
        factory);
  else
    gst_bin_add (GST_BIN (pipeline), e);
  return e;
}

static gboolean
add_source (GstElement *pipeline, GstElement *train, const char *json,
    const char *images, gboolean automatic, uint64_t seed, GError **error)
{
  GstElement *src = make (pipeline, "dddatasetsrc", error);
  if (!src)
    return FALSE;
  g_object_set (src, "location", json, "images", images, "epochs", 0, "seed",
      (guint64) seed, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "origin", automatic ? "automatic" : "manual");
  if (!gst_element_link_pads (src, "src", train, automatic ? "automatic" : "labeled")) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link dddatasetsrc to ddtrain's %s pad", automatic ? "automatic"
        : "labeled");
    return FALSE;
  }
  return TRUE;
}

/* ddtrain's data-id: the datasets' sha256, so a run is not resumed on other
 * labels (the images are not hashed: the datasets name them). */
static char *
data_id (const dd_training *t, GError **error)
{
  g_autofree char *labeled = dd_train_file_sha256 (t->labeled, error);
  if (!labeled)
    return NULL;
  if (!t->automatic)
    return g_strdup_printf ("labeled sha256 %s", labeled);
  g_autofree char *automatic = dd_train_file_sha256 (t->automatic, error);
  return automatic ? g_strdup_printf ("labeled sha256 %s, automatic sha256 %s", labeled,
      automatic) : NULL;
}

static GstElement *
build (const dd_training *t, GError **error)
{
  g_autofree char *id = data_id (t, error);
  if (!id)
    return NULL;
  GstElement *pipeline = gst_pipeline_new (t->title);
  GstElement *train = make (pipeline, "ddtrain", error);
  if (!train) {
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (train, "model", t->model, "size", (guint) t->size, "device", t->device,
      "seed", (guint64) t->phase.seed, "iterations", (guint64) t->phase.iterations,
      "batch", (guint) t->phase.batch, "learning-rate", t->phase.lr,
      "location", t->out, "stop-after", (guint64) t->stop_after, "data-id", id, NULL);
  if (t->automatic && t->phase.rho > 0)
    g_object_set (train, "rho", t->phase.rho, NULL);
  else if (t->automatic)
    g_object_set (train, "ratio", t->phase.ratio, NULL);
  /* The streams' orders come from the run's seed, one stream each. */
  if (!add_source (pipeline, train, t->labeled, t->labeled_images, FALSE,
          t->phase.seed * 2 + 1, error)
      || (t->automatic && !add_source (pipeline, train, t->automatic,
              t->automatic_images, TRUE, t->phase.seed * 2 + 2, error))) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

typedef struct {
  const dd_training *t;
  gboolean live;                /* a terminal: one line redrawn in place */
  gint64 last_print;
  guint64 last_decile;
  dd_training_outcome *outcome;
} progress;

static void
show (progress *p, const GstStructure *s)
{
  guint64 it = 0, its = 0, labeled = 0, automatic = 0;
  double loss = NAN, lr = 0, rate = 0, left = 0;
  gst_structure_get (s, "iteration", G_TYPE_UINT64, &it, "iterations", G_TYPE_UINT64,
      &its, "loss", G_TYPE_DOUBLE, &loss, "lr", G_TYPE_DOUBLE, &lr,
      "images-per-second", G_TYPE_DOUBLE, &rate, "seconds-left", G_TYPE_DOUBLE, &left,
      "labeled-drawn", G_TYPE_UINT64, &labeled, "automatic-drawn", G_TYPE_UINT64,
      &automatic, NULL);
  dd_training_outcome *o = p->outcome;
  if (it == 1)
    o->first_loss = loss;
  o->last_loss = loss;
  o->iteration = (int64_t) it;
  o->images_per_second = rate;
  o->labeled_drawn = labeled;
  o->automatic_drawn = automatic;
  gint64 now = g_get_monotonic_time ();
  guint64 decile = its ? it * 10 / its : 0;
  gboolean last = it == its || (int64_t) it == p->t->stop_after;
  gboolean due = p->live ? now - p->last_print > 200000 || last
      : decile != p->last_decile || last;
  if (!due)
    return;
  p->last_print = now;
  p->last_decile = decile;
  char eta[32], rate_text[32];
  dd_format_duration (eta, sizeof eta, left);
  dd_format_rate (rate_text, sizeof rate_text, rate);
  g_autofree char *mix = p->t->automatic
      ? g_strdup_printf ("  mix %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, labeled,
          automatic) : g_strdup ("");
  fprintf (stderr, "%s  %-9s iter %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "  loss "
      "%.4f  lr %.3g  %s  ETA %s%s%s", p->live ? "\r\033[K" : "", p->t->title,
      it, its, loss, lr, rate_text, eta, mix, p->live && !last ? "" : "\n");
}

/* Runs the pipeline to EOS, showing progress; FALSE with the first error. */
static gboolean
play (GstElement *pipeline, progress *p, GError **error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  /* An element that fails to start posts its error before the state change
   * returns; without one, the change itself is the error. */
  gboolean started = gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE;
  gboolean ok = TRUE;
  for (gboolean end = FALSE; !end;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, started ? GST_CLOCK_TIME_NONE
        : 0, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (!msg) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the training pipeline did not start");
      ok = FALSE;
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        if (gst_structure_has_name (s, "ddtrain-progress"))
          show (p, s);
        break;
      case GST_MESSAGE_ERROR:{
        GError *e = NULL;
        gst_message_parse_error (msg, &e, NULL);
        if (p->live && p->last_print)
          fputc ('\n', stderr);
        g_set_error (error, e->domain, e->code, "%s: %s", GST_MESSAGE_SRC_NAME (msg),
            e->message);
        g_error_free (e);
        ok = FALSE;
        end = TRUE;
        break;
      }
      default:
        end = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return ok;
}

gboolean
dd_training_run (const dd_training *t, dd_training_outcome *outcome, GError **error)
{
  *outcome = (dd_training_outcome) { .first_loss = NAN, .last_loss = NAN };
  if (dd_training_done (t->out, t->phase.iterations)) {
    outcome->already_done = TRUE;
    outcome->iteration = t->phase.iterations;
    fprintf (stderr, "  %-9s done before: %s\n", t->title, t->out);
    return TRUE;
  }
  GstElement *pipeline = build (t, error);
  if (!pipeline)
    return FALSE;
  progress p = { .t = t, .live = isatty (fileno (stderr)), .outcome = outcome };
  gboolean ok = play (pipeline, &p, error);
  gst_object_unref (pipeline);
  return ok;
}
