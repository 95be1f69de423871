/**
 * SECTION:element-ddtrain
 * @title: ddtrain
 *
 * Trains the detector (`model`) on the images streamed into it, each with
 * its labels in a DdAnnotationsMeta (as dddatasetsrc emits them): the
 * `labeled` pad takes the manual labels, the `automatic` pad, when it is
 * requested, the teacher's. Every minibatch draws each of its `batch`
 * images from the manual stream with probability `ratio` (the paper's 6:4
 * by default) and from the automatic one otherwise, or, with `rho` > 0, in
 * the paper's 1:rho proportion; the draws come from `seed`, so a run is a
 * pure function of its settings and its input streams. The two kinds of
 * labels differ in one way: a keypoint a manual label leaves out (v = 0)
 * is taught as absent, one the teacher left out as unknown, so its
 * heatmap's loss is left out under that person's box.
 *
 * Training is lib/model's (trainer.h): seeded initial weights, augmentation
 * (scale, crop, flip with the keypoint swap, colour), SGD with warm-up and
 * the rate divided by 10 at `lr-drops` (70% and 90% of `iterations` by
 * default). The run lives in the folder `location`: train.json, a
 * checkpoint every `checkpoint-interval` iterations, and the student
 * (model.json + model.safetensors, which `ddistill predict` reads) when
 * `iterations` are done. With `resume`, a folder holding a checkpoint of a
 * run with the same model and settings (train.json) is continued from it:
 * the element skips the images of each stream that the run had already
 * used, so feeding it the same streams (the same dddatasetsrc settings)
 * continues exactly where it stopped. What the streams carry cannot be
 * seen before they flow, so the application names it in `data-id` (say,
 * its datasets' sha256), which train.json keeps and a resume compares:
 * then other data in the same `location` is refused. Without it only
 * whether there is an automatic stream is checked. The pads are
 * requested and linked before the pipeline starts; while a run goes, no
 * pad can be added, and releasing one ends that stream. The run starts
 * when the element goes to PAUSED and goes on in PAUSED as in PLAYING: it
 * does not follow the clock (set the pipeline to READY or NULL to stop it
 * at once; its last checkpoint stays).
 *
 * The engine runs on its own worker thread (lib/nn/worker.h), never on the
 * streaming threads: they only copy each image and its labels into a
 * queue of `queue-size` per pad, so decoding upstream overlaps training.
 * After each iteration a "ddtrain-progress" element message is posted:
 *   iteration, iterations (guint64): the one just done (from 1), of the run;
 *   first (guint64): where this start began, the checkpoint's step on a
 *     resume, else 0;
 *   lr (double): the iteration's learning rate;
 *   loss, loss-center, loss-size, loss-offset, loss-keypoint-heatmap,
 *     loss-keypoint-offset (double): the loss and its parts, each the mean
 *     of the last 20 iterations;
 *   images-per-second, seconds-left (double): 0 and NaN until the second
 *     iteration since the element started (the first includes the
 *     pipeline's start-up);
 *   checkpointed (gboolean): a checkpoint was written after it;
 *   labeled-drawn, automatic-drawn (guint64): the images the run has drawn
 *     from each stream, before a resume too.
 * At the end a "ddtrain-done" message (location: the folder; iteration:
 * where the run stands; stopped-early: the data ended first) and EOS are
 * posted and upstream gets EOS. Should a stream the mix draws from end
 * first, the run stops there and the student is saved as it is: feed
 * endless streams (dddatasetsrc epochs=0) to train for exactly
 * `iterations`; a source that fails sends EOS after its error, so an
 * application tells a finished run by its checkpoint's step. These
 * messages come from the engine's thread: a sync bus handler must not
 * change the pipeline's state on them (stopping waits for that thread);
 * an async watch can.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 dddatasetsrc location=labeled.json epochs=0 ! t.labeled dddatasetsrc location=auto.json origin=automatic epochs=0 seed=1 ! t.automatic ddtrain name=t model=small iterations=2000 location=student/
 * ]|
 */
#include "elements/ddtrain.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "elements/train_item.h"
#include "model/trainer.h"
#include "nn/checkpoint.h"
#include "nn/worker.h"

GST_DEBUG_CATEGORY_STATIC (dd_train_debug);
#define GST_CAT_DEFAULT dd_train_debug

#define DEFAULT_MODEL "small"
#define DEFAULT_DEVICE "cpu"
#define DEFAULT_ITERATIONS 1000
#define DEFAULT_BATCH 16
#define DEFAULT_LR 0.02
#define DEFAULT_LR_DROPS "0.7,0.9"
#define DEFAULT_RATIO 0.6
#define DEFAULT_RHO 0.0
#define DEFAULT_SEED 0
#define DEFAULT_SIZE 0
#define DEFAULT_CHECKPOINT_INTERVAL 100
#define DEFAULT_RESUME TRUE
#define DEFAULT_STOP_AFTER 0
#define DEFAULT_QUEUE_SIZE 16

enum {
  PROP_0,
  PROP_MODEL,
  PROP_LOCATION,
  PROP_DEVICE,
  PROP_ITERATIONS,
  PROP_BATCH,
  PROP_LR,
  PROP_LR_DROPS,
  PROP_RATIO,
  PROP_RHO,
  PROP_SEED,
  PROP_SIZE,
  PROP_CHECKPOINT_INTERVAL,
  PROP_RESUME,
  PROP_STOP_AFTER,
  PROP_QUEUE_SIZE,
  PROP_DATA_ID,
  PROP_ITERATION,
};

/* One input stream: a sink pad and the images waiting in it. */
typedef struct {
  GstPad *pad;
  DdLabelsOrigin origin;
  GstVideoInfo info;            /* its current caps */
  GQueue queue;                 /* dd_train_item */
  guint64 received;             /* images it got since the run started */
  gboolean eos, flushing;
} feed;

/* The settings of a run, copied from the properties when it starts. */
typedef struct {
  gchar *model, *location, *device, *stream_id;
  gchar *lr_drops_refused;
  gboolean has_labeled;         /* the labeled pad was requested */
  gchar *unlinked_pad;          /* a requested pad nothing is linked to */
  dd_train_options options;
  guint queue_size;
  gboolean resume;
} run_settings;

struct _DdTrain {
  GstElement parent;

  /* Properties, under the object lock. */
  gchar *model, *location, *device, *data_id;
  guint64 iterations, seed, checkpoint_interval, stop_after, iteration;
  guint batch, size, queue_size;
  gdouble lr, ratio, rho;
  gfloat first_drop, second_drop;
  gchar *lr_drops_refused;      /* the last lr-drops set, when it was no schedule */
  gboolean resume;
  gboolean mix_fixed;           /* a run took the pads as they were: no more */

  /* The feeds and the run's state, under `lock`; `cond` signals any change. */
  GMutex lock;
  GCond cond;
  feed feeds[2];                /* DD_LABELS_MANUAL, DD_LABELS_AUTOMATIC */
  gboolean stopping;            /* shutting down: the run must give up */
  gboolean finished;            /* the run ended: upstream gets EOS */

  /* Between READY->PAUSED and PAUSED->READY. */
  run_settings run;
  dd_detector *classes;         /* the model's metadata, never set up */
  dd_worker *worker;
  dd_job job;
  gboolean job_submitted;
};

#define RGB_CAPS GST_VIDEO_CAPS_MAKE ("RGB")

static GstStaticPadTemplate labeled_template = GST_STATIC_PAD_TEMPLATE ("labeled",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (RGB_CAPS));
static GstStaticPadTemplate automatic_template =
GST_STATIC_PAD_TEMPLATE ("automatic", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (RGB_CAPS));

#define dd_train_element_parent_class parent_class
G_DEFINE_TYPE (DdTrain, dd_train_element, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (ddtrain, "ddtrain", GST_RANK_NONE, DD_TYPE_TRAIN);

/* Set when the pad is made and never changed: a pad being released still
 * finds its own feed (comparing with feeds[].pad, which the release clears
 * first, sent its last data to the labeled stream). */
static feed *
feed_of_pad (GstPad *pad)
{
  return gst_pad_get_element_private (pad);
}

/* Under the lock. */
static void
feed_clear (feed *f)
{
  g_queue_clear_full (&f->queue, (GDestroyNotify) dd_train_item_free);
}

/* ---- Streaming threads: images in --------------------------------------------- */

static GstFlowReturn
dd_train_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  DdTrain *self = DD_TRAIN (parent);
  feed *f = feed_of_pad (pad);
  g_autoptr (GError) error = NULL;
  dd_train_item *item = dd_train_item_from_buffer (buf, &f->info, self->classes,
      &error);
  gst_buffer_unref (buf);
  if (!item) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s", error->message),
        ("on pad %s", GST_PAD_NAME (pad)));
    return GST_FLOW_ERROR;
  }
  if (item->origin != f->origin) {
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE, ("Image %" G_GINT64_FORMAT
            " is labelled %s but came on the %s pad", item->image_id,
            dd_labels_origin_nick (item->origin), GST_PAD_NAME (pad)),
        ("link manual labels to ddtrain's labeled pad and automatic ones "
            "(dddatasetsrc origin=automatic) to its automatic pad"));
    dd_train_item_free (item);
    return GST_FLOW_ERROR;
  }
  g_mutex_lock (&self->lock);
  while (g_queue_get_length (&f->queue) >= self->run.queue_size && !self->finished
      && !self->stopping && !f->flushing)
    g_cond_wait (&self->cond, &self->lock);
  GstFlowReturn ret = self->finished ? GST_FLOW_EOS
      : self->stopping || f->flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
  if (ret == GST_FLOW_OK) {
    item->sequence = f->received++;
    g_queue_push_tail (&f->queue, item);
    item = NULL;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  dd_train_item_free (item);
  return ret;
}

static gboolean
dd_train_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  DdTrain *self = DD_TRAIN (parent);
  feed *f = feed_of_pad (pad);
  gboolean ok = TRUE;
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      ok = gst_video_info_from_caps (&f->info, caps);
      break;
    }
    case GST_EVENT_EOS:
      g_mutex_lock (&self->lock);
      f->eos = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      f->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      feed_clear (f);
      f->flushing = FALSE;
      f->eos = FALSE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  /* A sink: nothing goes further. */
  gst_event_unref (event);
  return ok;
}

/* ---- The worker thread: images out, into minibatches ------------------------ */

/* The trainer's stream (trainer.h): the next image of the drawn source.
 * draw->epoch counts the images the run drew from that source before this
 * one, so images the run used before a resume are skipped. */
static dd_train_stream_status
next_item (void *user, const dd_mix_draw *draw, const dd_augment_params *p,
    dd_rng *rng, float *input, dd_targets *t, int slot, GError **error)
{
  DdTrain *self = user;
  feed *f = &self->feeds[draw->source];
  dd_train_item *item = NULL;
  g_mutex_lock (&self->lock);
  /* Stopping comes first: the queue may hold hundreds of images
   * (queue-size), and the state change waits for the run to end. */
  while (!item && !self->stopping) {
    dd_train_item *head = g_queue_peek_head (&f->queue);
    if (head && head->sequence < draw->epoch) {
      dd_train_item_free (g_queue_pop_head (&f->queue));
      g_cond_broadcast (&self->cond);
    } else if (head) {
      item = g_queue_pop_head (&f->queue);
      g_cond_broadcast (&self->cond);
    } else if (f->eos) {
      break;
    } else {
      g_cond_wait (&self->cond, &self->lock);
    }
  }
  gboolean stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  if (!item && stopping) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "ddtrain was stopped (the pipeline left PAUSED) before the run ended; its "
        "last checkpoint stays in %s", self->run.location);
    return DD_TRAIN_STREAM_ERROR;
  }
  if (!item)
    return DD_TRAIN_STREAM_END;
  gboolean ok = dd_train_item_encode (item, p, rng, input, t, slot, error);
  dd_train_item_free (item);
  return ok ? DD_TRAIN_STREAM_OK : DD_TRAIN_STREAM_ERROR;
}

static void
post_progress (const dd_train_stats *s, void *user)
{
  DdTrain *self = user;
  GST_OBJECT_LOCK (self);
  self->iteration = (guint64) s->iteration;
  GST_OBJECT_UNLOCK (self);
  const dd_loss_parts *m = &s->mean;
  GstStructure *st = gst_structure_new ("ddtrain-progress",
      "iteration", G_TYPE_UINT64, (guint64) s->iteration,
      "iterations", G_TYPE_UINT64, (guint64) s->iterations,
      "first", G_TYPE_UINT64, (guint64) s->first,
      "lr", G_TYPE_DOUBLE, (double) s->lr,
      "loss", G_TYPE_DOUBLE, m->total,
      "loss-center", G_TYPE_DOUBLE, m->center,
      "loss-size", G_TYPE_DOUBLE, m->size,
      "loss-offset", G_TYPE_DOUBLE, m->offset,
      "loss-keypoint-heatmap", G_TYPE_DOUBLE, m->keypoint_heatmap,
      "loss-keypoint-offset", G_TYPE_DOUBLE, m->keypoint_offset,
      "images-per-second", G_TYPE_DOUBLE, s->images_per_second,
      "seconds-left", G_TYPE_DOUBLE, s->seconds_left,
      "checkpointed", G_TYPE_BOOLEAN, s->checkpointed,
      "labeled-drawn", G_TYPE_UINT64, (guint64) s->drawn[DD_MIX_MANUAL],
      "automatic-drawn", G_TYPE_UINT64, (guint64) s->drawn[DD_MIX_AUTOMATIC], NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), st));
}

static void
post_done (DdTrain *self)
{
  GST_OBJECT_LOCK (self);
  guint64 iteration = self->iteration;
  GST_OBJECT_UNLOCK (self);
  const dd_train_options *o = &self->run.options;
  gint64 end = o->stop_after > 0 ? MIN (o->stop_after, o->iterations) : o->iterations;
  GstStructure *st = gst_structure_new ("ddtrain-done",
      "location", G_TYPE_STRING, self->run.location,
      "iteration", G_TYPE_UINT64, iteration,
      "stopped-early", G_TYPE_BOOLEAN, (gint64) iteration < end, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), st));
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
}

/* The `iteration` the run stands at: its last checkpoint's step. Set
 * when a resumed run starts and once dd_train returned, since progress
 * messages set it only for iterations run now: a resume would read 0
 * until its first new iteration, and one with nothing left to do for
 * good. */
static void
note_reached_step (DdTrain *self)
{
  char err[1024];
  int64_t step;
  g_autofree char *checkpoint = g_build_filename (self->run.location,
      DD_TRAIN_CHECKPOINT, NULL);
  if (dd_checkpoint_read_step (checkpoint, &step, err, sizeof err) != 0) {
    GST_WARNING_OBJECT (self, "%s", err);
    return;
  }
  GST_OBJECT_LOCK (self);
  self->iteration = (guint64) step;
  GST_OBJECT_UNLOCK (self);
}

/* The whole run, one job on the engine worker. */
static int
train_job (dd_backend *be, void *arg, char *err, size_t err_len)
{
  DdTrain *self = arg;
  self->run.options.backend = be;
  g_autoptr (GError) error = NULL;
  gboolean ok = dd_train (&self->run.options, &error);
  if (ok)
    note_reached_step (self);
  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  gboolean stopping = self->stopping;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (ok) {
    post_done (self);
    return 0;
  }
  if (!stopping)
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", error->message),
        ("training in %s", self->run.location));
  g_strlcpy (err, error->message, err_len);
  return -1;
}

/* ---- Starting and stopping a run ---------------------------------------------- */

static void
run_settings_clear (run_settings *r)
{
  g_free (r->model);
  g_free (r->location);
  g_free (r->device);
  g_free (r->stream_id);
  g_free (r->lr_drops_refused);
  g_free (r->unlinked_pad);
  memset (r, 0, sizeof *r);
}

static void
copy_settings (DdTrain *self)
{
  run_settings *r = &self->run;
  run_settings_clear (r);
  dd_train_options *o = &r->options;
  dd_train_options_init (o);
  GST_OBJECT_LOCK (self);
  r->model = g_strdup (self->model);
  r->location = g_strdup (self->location);
  r->device = g_strdup (self->device);
  r->queue_size = self->queue_size;
  r->resume = self->resume;
  o->iterations = (int64_t) self->iterations;
  o->batch = (int) self->batch;
  o->lr = (float) self->lr;
  o->first_drop = self->first_drop;
  o->second_drop = self->second_drop;
  o->ratio = self->ratio;
  o->rho = self->rho;
  o->seed = self->seed;
  o->size = (int) self->size;
  o->checkpoint_every = (int64_t) self->checkpoint_interval;
  o->stop_after = (int64_t) self->stop_after;
  self->iteration = 0;
  /* Under the same lock as a pad request, so none lands after this. */
  self->mix_fixed = TRUE;
  gboolean mixed = self->feeds[DD_LABELS_AUTOMATIC].pad != NULL;
  const char *streams = mixed ? "ddtrain: labeled and automatic streams"
      : "ddtrain: labeled stream";
  r->stream_id = self->data_id ? g_strdup_printf ("%s: %s", streams, self->data_id)
      : g_strdup (streams);
  r->lr_drops_refused = g_strdup (self->lr_drops_refused);
  r->has_labeled = self->feeds[DD_LABELS_MANUAL].pad != NULL;
  GstPad *pads[2] = { NULL, NULL };
  for (int s = 0; s < 2; s++)
    if (self->feeds[s].pad)
      pads[s] = gst_object_ref (self->feeds[s].pad);
  GST_OBJECT_UNLOCK (self);
  /* Asked outside the element's lock: the pad's own lock is taken. */
  for (int s = 0; s < 2; s++) {
    if (pads[s] && !r->unlinked_pad && !gst_pad_is_linked (pads[s]))
      r->unlinked_pad = gst_pad_get_name (pads[s]);
    g_clear_object (&pads[s]);
  }
  o->model = r->model;
  o->out = r->location;
  o->device = r->device;
  o->stream = next_item;
  o->stream_user = self;
  o->stream_automatic = mixed;
  o->stream_id = r->stream_id;
  o->progress = post_progress;
  o->user = self;
}

static gboolean
check_settings (DdTrain *self)
{
  const run_settings *r = &self->run;
  if (!r->location) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No folder for the run"),
        ("set location to the folder of the checkpoints and the trained model"));
    return FALSE;
  }
  if (!r->has_labeled) {
    GST_ELEMENT_ERROR (self, CORE, PAD, ("No labeled pad was requested"),
        ("ddtrain needs manual labels on its labeled pad; the automatic pad is "
            "optional"));
    return FALSE;
  }
  if (r->lr_drops_refused) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("lr-drops '%s' is no schedule",
            r->lr_drops_refused), ("give the two fractions of the run where the "
            "rate drops 10x, increasing, in (0, 1], such as 0.7,0.9"));
    return FALSE;
  }
  const dd_train_options *o = &r->options;
  if (o->stream_automatic && o->rho <= 0.0 && !(o->ratio > 0.0 && o->ratio < 1.0)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("ratio=%g cannot mix two streams",
            o->ratio), ("with the automatic pad requested, ratio is the manual "
            "share of each minibatch: between 0 and 1, both excluded (or give rho)"));
    return FALSE;
  }
  g_autofree char *checkpoint = g_build_filename (r->location, DD_TRAIN_CHECKPOINT,
      NULL);
  if (!r->resume && g_file_test (checkpoint, G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("%s holds a checkpoint of an "
            "earlier run", r->location), ("set resume=true to continue it, or "
            "choose another location for a new run"));
    return FALSE;
  }
  char err[1024];
  self->classes = dd_detector_load (r->model, err, sizeof err);
  if (!self->classes) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", err),
        ("model=%s: a preset (tiny, small, base) or a network .json", r->model));
    return FALSE;
  }
  /* A requested pad the run draws from but nothing feeds would keep it
   * waiting for ever, without a word. */
  if (r->unlinked_pad) {
    GST_ELEMENT_ERROR (self, CORE, PAD, ("Nothing is linked to the %s pad",
            r->unlinked_pad), ("link a dddatasetsrc to every pad requested "
            "before the run starts, or release the pad"));
    return FALSE;
  }
  return TRUE;
}

static gboolean
start_run (DdTrain *self)
{
  copy_settings (self);
  if (!check_settings (self))
    return FALSE;
  /* A resumed run stands at its checkpoint from the start, not at 0 until
   * its first new iteration is done. */
  g_autofree char *checkpoint = g_build_filename (self->run.location,
      DD_TRAIN_CHECKPOINT, NULL);
  if (g_file_test (checkpoint, G_FILE_TEST_EXISTS))
    note_reached_step (self);
  g_mutex_lock (&self->lock);
  for (int s = 0; s < 2; s++) {
    feed *f = &self->feeds[s];
    feed_clear (f);
    f->received = 0;
    f->flushing = FALSE;
    /* A pad released since the settings were copied has ended its stream
     * (the release marks it under this lock, after clearing the pad). */
    GST_OBJECT_LOCK (self);
    f->eos = f->pad == NULL;
    GST_OBJECT_UNLOCK (self);
  }
  self->stopping = self->finished = FALSE;
  g_mutex_unlock (&self->lock);
  char err[1024];
  self->worker = dd_worker_new (self->run.device, err, sizeof err);
  if (!self->worker) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("%s", err),
        ("device=%s: cpu, cuda or reference", self->run.device));
    return FALSE;
  }
  dd_worker_submit (self->worker, &self->job, train_job, self);
  self->job_submitted = TRUE;
  return TRUE;
}

/* Makes every thread that waits give up, then lets the run end. */
static void
wake_all (DdTrain *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
stop_run (DdTrain *self)
{
  if (self->job_submitted) {
    char err[DD_JOB_ERR_MAX];
    if (dd_worker_wait (self->worker, &self->job, err, sizeof err) < 0)
      GST_INFO_OBJECT (self, "the run ended with: %s", err);
    self->job_submitted = FALSE;
  }
  g_clear_pointer (&self->worker, dd_worker_free);
  g_clear_pointer (&self->classes, dd_detector_free);
  g_mutex_lock (&self->lock);
  feed_clear (&self->feeds[DD_LABELS_MANUAL]);
  feed_clear (&self->feeds[DD_LABELS_AUTOMATIC]);
  g_mutex_unlock (&self->lock);
  run_settings_clear (&self->run);
  GST_OBJECT_LOCK (self);
  self->mix_fixed = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
dd_train_change_state (GstElement *element, GstStateChange transition)
{
  DdTrain *self = DD_TRAIN (element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start_run (self)) {
    stop_run (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  /* Streaming threads may wait in chain for room: wake them before the
   * pads are deactivated, which waits for them. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    wake_all (self);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element,
      transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE)) {
    wake_all (self);
    stop_run (self);
  }
  return ret;
}

/* ---- Pads ----------------------------------------------------------------------- */

static GstPad *
dd_train_request_new_pad (GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps)
{
  (void) name;
  (void) caps;
  DdTrain *self = DD_TRAIN (element);
  DdLabelsOrigin origin = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
      "automatic") ? DD_LABELS_AUTOMATIC : DD_LABELS_MANUAL;
  const char *kind = GST_PAD_TEMPLATE_NAME_TEMPLATE (templ);
  GstPad *pad = gst_object_ref_sink (gst_pad_new_from_template (templ, kind));
  gst_pad_set_chain_function (pad, GST_DEBUG_FUNCPTR (dd_train_chain));
  gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (dd_train_sink_event));
  GST_OBJECT_LOCK (self);
  gboolean fixed = self->mix_fixed, taken = self->feeds[origin].pad != NULL;
  if (!fixed && !taken) {
    self->feeds[origin].pad = pad;
    self->feeds[origin].origin = origin;
    gst_pad_set_element_private (pad, &self->feeds[origin]);
  }
  GST_OBJECT_UNLOCK (self);
  if (fixed || taken) {
    if (fixed)
      GST_WARNING_OBJECT (self, "no %s pad while a run goes: its mix was fixed when "
          "it started (request the pads in NULL or READY)", kind);
    else
      GST_WARNING_OBJECT (self, "the %s pad exists already: ddtrain has one of each",
          kind);
    gst_object_unref (pad);
    return NULL;
  }
  gst_element_add_pad (element, pad);
  gst_object_unref (pad);
  return pad;
}

static void
dd_train_release_pad (GstElement *element, GstPad *pad)
{
  DdTrain *self = DD_TRAIN (element);
  feed *f = feed_of_pad (pad);
  GST_OBJECT_LOCK (self);
  f->pad = NULL;
  GST_OBJECT_UNLOCK (self);
  /* A run drawing from it would wait for its images for ever: the stream
   * has ended, as far as the run can tell. Its streaming thread may wait
   * for room in the queue: flushing lets it go, so the pad can be removed. */
  g_mutex_lock (&self->lock);
  f->eos = TRUE;
  f->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_element_remove_pad (element, pad);
}

/* ---- Properties ------------------------------------------------------------------ */

/* "0.7,0.9": two fractions of the run, increasing, in (0, 1]. */
static gboolean
parse_drops (const gchar *text, gfloat *first, gfloat *second)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  if (g_strv_length (parts) != 2)
    return FALSE;
  gchar *end1, *end2;
  double a = g_ascii_strtod (parts[0], &end1), b = g_ascii_strtod (parts[1], &end2);
  if (end1 == parts[0] || *end1 || end2 == parts[1] || *end2)
    return FALSE;
  if (!(a > 0.0 && a <= b && b <= 1.0))
    return FALSE;
  *first = (gfloat) a;
  *second = (gfloat) b;
  return TRUE;
}

static void
dd_train_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdTrain *self = DD_TRAIN (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_DATA_ID:
      g_free (self->data_id);
      self->data_id = g_value_dup_string (value);
      break;
    case PROP_ITERATIONS:
      self->iterations = g_value_get_uint64 (value);
      break;
    case PROP_BATCH:
      self->batch = g_value_get_uint (value);
      break;
    case PROP_LR:
      self->lr = g_value_get_double (value);
      break;
    case PROP_LR_DROPS:
      /* Refused when the run starts, as an error that stops it: a warning
       * let a long run train on the schedule before. */
      g_clear_pointer (&self->lr_drops_refused, g_free);
      if (!parse_drops (g_value_get_string (value), &self->first_drop,
              &self->second_drop))
        self->lr_drops_refused = g_strdup (g_value_get_string (value)
            ? g_value_get_string (value) : "");
      break;
    case PROP_RATIO:
      self->ratio = g_value_get_double (value);
      break;
    case PROP_RHO:
      self->rho = g_value_get_double (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_SIZE:
      self->size = g_value_get_uint (value);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      self->checkpoint_interval = g_value_get_uint64 (value);
      break;
    case PROP_RESUME:
      self->resume = g_value_get_boolean (value);
      break;
    case PROP_STOP_AFTER:
      self->stop_after = g_value_get_uint64 (value);
      break;
    case PROP_QUEUE_SIZE:
      self->queue_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_train_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdTrain *self = DD_TRAIN (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_ITERATIONS:
      g_value_set_uint64 (value, self->iterations);
      break;
    case PROP_BATCH:
      g_value_set_uint (value, self->batch);
      break;
    case PROP_LR:
      g_value_set_double (value, self->lr);
      break;
    case PROP_LR_DROPS:{
      /* What was set, until it is replaced: a refused value too. */
      char text[64];
      g_snprintf (text, sizeof text, "%g,%g", self->first_drop, self->second_drop);
      g_value_set_string (value, self->lr_drops_refused ? self->lr_drops_refused
          : text);
      break;
    }
    case PROP_RATIO:
      g_value_set_double (value, self->ratio);
      break;
    case PROP_RHO:
      g_value_set_double (value, self->rho);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_SIZE:
      g_value_set_uint (value, self->size);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      g_value_set_uint64 (value, self->checkpoint_interval);
      break;
    case PROP_RESUME:
      g_value_set_boolean (value, self->resume);
      break;
    case PROP_STOP_AFTER:
      g_value_set_uint64 (value, self->stop_after);
      break;
    case PROP_QUEUE_SIZE:
      g_value_set_uint (value, self->queue_size);
      break;
    case PROP_DATA_ID:
      g_value_set_string (value, self->data_id);
      break;
    case PROP_ITERATION:
      g_value_set_uint64 (value, self->iteration);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_train_finalize (GObject *object)
{
  DdTrain *self = DD_TRAIN (object);
  g_free (self->model);
  g_free (self->location);
  g_free (self->device);
  g_free (self->data_id);
  g_free (self->lr_drops_refused);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "The network to train: a preset "
          "(tiny, small, base) or a network .json file", DEFAULT_MODEL, rw));
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "The run's folder: train.json, "
          "checkpoint.safetensors, and at the end model.json + model.safetensors",
          NULL, rw));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device", "Engine backend: cpu (oneDNN), cuda, "
          "or reference (slow; for tests)", DEFAULT_DEVICE, rw));
  g_object_class_install_property (gobject_class, PROP_ITERATIONS,
      g_param_spec_uint64 ("iterations", "Iterations", "Minibatches of the run "
          "(the learning-rate schedule is laid over them)", 1, G_MAXINT64,
          DEFAULT_ITERATIONS, rw));
  g_object_class_install_property (gobject_class, PROP_BATCH,
      g_param_spec_uint ("batch", "Batch", "Images per minibatch", 1, 4096,
          DEFAULT_BATCH, rw));
  g_object_class_install_property (gobject_class, PROP_LR,
      g_param_spec_double ("learning-rate", "Learning rate", "Base learning rate "
          "of SGD (after a linear warm-up)", 1e-8, 10.0, DEFAULT_LR, rw));
  g_object_class_install_property (gobject_class, PROP_LR_DROPS,
      g_param_spec_string ("lr-drops", "Learning-rate drops", "Where the rate is "
          "divided by 10, twice, as fractions of the iterations: FIRST,SECOND "
          "(anything else is refused when the run starts)",
          DEFAULT_LR_DROPS, rw));
  g_object_class_install_property (gobject_class, PROP_RATIO,
      g_param_spec_double ("ratio", "Ratio", "With an automatic stream: the "
          "expected manual share of each minibatch, 0 and 1 excluded (0.6: the "
          "paper's 6:4)", 0.0, 1.0, DEFAULT_RATIO, rw));
  g_object_class_install_property (gobject_class, PROP_RHO,
      g_param_spec_double ("rho", "Rho", "With an automatic stream and rho > 0: "
          "draw manual : automatic as 1 : rho instead of by ratio (the paper's "
          "ablation)", 0.0, 1e6, DEFAULT_RHO, rw));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Seed of the initial weights, the mixing "
          "and the augmentation", 0, G_MAXINT64, DEFAULT_SEED, rw));
  g_object_class_install_property (gobject_class, PROP_SIZE,
      g_param_spec_uint ("size", "Size", "Input side in pixels, a multiple of the "
          "network's output stride (0: the network's own)", 0, 8192, DEFAULT_SIZE,
          rw));
  g_object_class_install_property (gobject_class, PROP_CHECKPOINT_INTERVAL,
      g_param_spec_uint64 ("checkpoint-interval", "Checkpoint interval",
          "Write a checkpoint every this many iterations (and at the end)", 1,
          G_MAXINT64, DEFAULT_CHECKPOINT_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_RESUME,
      g_param_spec_boolean ("resume", "Resume", "Continue the run whose checkpoint "
          "is in location (its model, settings and data-id must match; feed it the "
          "same streams); without it such a folder is refused", DEFAULT_RESUME, rw));
  g_object_class_install_property (gobject_class, PROP_STOP_AFTER,
      g_param_spec_uint64 ("stop-after", "Stop after", "Stop after this iteration "
          "with a checkpoint, as if killed there, to go on later with resume (0: "
          "run to the end)", 0, G_MAXINT64, DEFAULT_STOP_AFTER, rw));
  g_object_class_install_property (gobject_class, PROP_QUEUE_SIZE,
      g_param_spec_uint ("queue-size", "Queue size", "Images each pad holds for "
          "the engine before it blocks upstream", 1, 65536, DEFAULT_QUEUE_SIZE, rw));
  g_object_class_install_property (gobject_class, PROP_DATA_ID,
      g_param_spec_string ("data-id", "Data id", "What the streams carry, as the "
          "application names it (e.g. their datasets' sha256): kept in train.json "
          "and compared on resume, so a run is not continued on other data (unset: "
          "not checked)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_ITERATION,
      g_param_spec_uint64 ("iteration", "Iteration", "Iterations of the run done "
          "so far, those before a resume included", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
dd_train_element_class_init (DdTrainClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = dd_train_set_property;
  gobject_class->get_property = dd_train_get_property;
  gobject_class->finalize = dd_train_finalize;
  install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &labeled_template);
  gst_element_class_add_static_pad_template (element_class, &automatic_template);
  gst_element_class_set_static_metadata (element_class, "Detector trainer",
      "Sink/Video", "Trains the detector on labelled images, manual and automatic "
      "labels mixed at a fixed ratio; checkpoints, resumes, posts its progress",
      "ddistill project");
  element_class->change_state = GST_DEBUG_FUNCPTR (dd_train_change_state);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR (dd_train_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (dd_train_release_pad);

  GST_DEBUG_CATEGORY_INIT (dd_train_debug, "ddtrain", 0, "detector trainer");
}

static void
dd_train_element_init (DdTrain *self)
{
  self->model = g_strdup (DEFAULT_MODEL);
  self->device = g_strdup (DEFAULT_DEVICE);
  self->iterations = DEFAULT_ITERATIONS;
  self->batch = DEFAULT_BATCH;
  self->lr = DEFAULT_LR;
  parse_drops (DEFAULT_LR_DROPS, &self->first_drop, &self->second_drop);
  self->ratio = DEFAULT_RATIO;
  self->rho = DEFAULT_RHO;
  self->seed = DEFAULT_SEED;
  self->size = DEFAULT_SIZE;
  self->checkpoint_interval = DEFAULT_CHECKPOINT_INTERVAL;
  self->resume = DEFAULT_RESUME;
  self->stop_after = DEFAULT_STOP_AFTER;
  self->queue_size = DEFAULT_QUEUE_SIZE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  for (int s = 0; s < 2; s++)
    g_queue_init (&self->feeds[s].queue);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}
