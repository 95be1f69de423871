#include "model/trainer.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/augment.h"
#include "data/mix_sampler.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "model/targets.h"
#include "model/train_data.h"
#include "nn/backend.h"
#include "nn/checkpoint.h"
#include "nn/rng.h"
#include "nn/schedule.h"
#include "nn/sgd.h"

/* Augmentation draws from the seed XOR this, one stream per item, so its
 * numbers never coincide with the sampler's (streams 0-2 of the seed). */
#define AUGMENT_SEED_SALT 0x6175676d656e7421ULL
/* Progress averages over this many iterations. */
#define WINDOW 20

void
dd_train_options_init (dd_train_options *o)
{
  *o = (dd_train_options) {
    .ratio = 0.6,
    .batch = 16,
    .lr = 0.02f,
    .device = "cpu",
    .checkpoint_every = 100,
  };
}

typedef struct run {
  const dd_train_options *o;
  dd_backend *be;
  dd_detector *det;
  int height, width;
  dd_train_set *manual, *extra;
  dd_mix_sampler *sampler;
  dd_mix_draw *draws;
  uint64_t drawn[2];            /* by source (dd_mix_source), the whole run's */
  float *input;
  dd_targets *targets;
  dd_head_batch *grad;
  dd_augment_params augment;
  dd_schedule schedule;
  dd_sgd sgd;
  dd_loss_weights weights;
  char *checkpoint, *config;
  int64_t last_checkpoint;      /* step of the checkpoint on disk, -1: none */
  /* The last WINDOW iterations, for the progress line. */
  dd_loss_parts window[WINDOW];
  gint64 window_end_us[WINDOW];
  gboolean stream_ended;        /* the stream had no image for a minibatch */
} run;

static gboolean
set_error (GError **error, dd_model_error code, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
set_error (GError **error, dd_model_error code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, DD_MODEL_ERROR, code, msg);
  return FALSE;
}

static gboolean
check_options (const dd_train_options *o, GError **error)
{
  if (!o->model || !(o->data || o->stream) || !o->out)
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "a model, a dataset and an output folder are required");
  if (o->iterations < 1)
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "iterations is %" G_GINT64_FORMAT "; train for at least 1", o->iterations);
  if (o->batch < 1 || o->batch > 4096)
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "batch %d is out of range: 1 to 4096 images", o->batch);
  if (!(o->lr > 0.0f) || !isfinite (o->lr))
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "learning rate %g must be a positive number", o->lr);
  gboolean mixed = o->stream ? o->stream_automatic : o->extra != NULL;
  if (mixed && o->rho <= 0.0 && !(o->ratio > 0.0 && o->ratio < 1.0))
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "ratio %g is the manual share of a minibatch: strictly between 0 and 1", o->ratio);
  if (o->rho < 0.0 || !isfinite (o->rho))
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "rho %g must be a finite number >= 0 (automatic samples per manual one)", o->rho);
  if (o->size < 0 || o->size > 8192)
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "size %d is out of range: 0 (the network's) to 8192 pixels", o->size);
  if ((o->first_drop != 0.0f || o->second_drop != 0.0f)
      && !(o->first_drop > 0.0f && o->first_drop <= o->second_drop && o->second_drop <= 1.0f))
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "learning-rate drops at %g and %g of the run: give two fractions, "
        "0 < first <= second <= 1", o->first_drop, o->second_drop);
  if (o->checkpoint_every < 1 || o->stop_after < 0)
    return set_error (error, DD_MODEL_ERROR_OPTIONS,
        "checkpoint interval %" G_GINT64_FORMAT " must be at least 1 and stop_after %"
        G_GINT64_FORMAT " not negative", o->checkpoint_every, o->stop_after);
  return TRUE;
}

static gboolean
open_model (run *r, GError **error)
{
  char err[1024];
  r->det = dd_detector_load (r->o->model, err, sizeof err);
  if (!r->det)
    return set_error (error, DD_MODEL_ERROR_NETWORK, "%s", err);
  dd_net_default_size (r->det->net, &r->height, &r->width);
  if (r->o->size > 0)
    r->height = r->width = r->o->size;
  r->be = r->o->backend ? r->o->backend : dd_backend_new (r->o->device, err, sizeof err);
  if (!r->be)
    return set_error (error, DD_MODEL_ERROR_NETWORK, "backend '%s': %s", r->o->device, err);
  if (dd_detector_setup (r->det, r->be, DD_NET_TRAIN, r->o->batch, r->height, r->width,
                         err, sizeof err))
    return set_error (error, DD_MODEL_ERROR_NETWORK, "%s", err);
  return TRUE;
}

static void
mix_options (const dd_train_options *o, dd_mix_options *mix)
{
  dd_mix_options_init (mix);
  mix->seed = o->seed;
  if (o->rho > 0.0) {
    dd_mix_options_set_rho (mix, o->rho);
  } else {
    mix->manual_weight = o->ratio;
    mix->automatic_weight = 1.0 - o->ratio;
  }
}

/* Streams have no size: a sampler of one item per source only draws which
 * source each image comes from (and counts the draws in their epochs). */
static gboolean
open_stream (run *r, GError **error)
{
  const dd_train_options *o = r->o;
  dd_mix_options mix;
  mix_options (o, &mix);
  r->sampler = o->stream_automatic ? dd_mix_sampler_new (1, 1, &mix, error)
      : dd_mix_sampler_new_single (1, o->seed, error);
  return r->sampler != NULL;
}

static gboolean
open_data (run *r, GError **error)
{
  const dd_train_options *o = r->o;
  if (o->stream)
    return open_stream (r, error);
  r->manual = dd_train_set_open (o->data, o->images, r->det, FALSE, error);
  if (!r->manual)
    return FALSE;
  if (o->extra) {
    r->extra = dd_train_set_open (o->extra, o->extra_images, r->det, TRUE, error);
    if (!r->extra)
      return FALSE;
    dd_mix_options mix;
    mix_options (o, &mix);
    r->sampler = dd_mix_sampler_new (dd_train_set_n_images (r->manual),
                                     dd_train_set_n_images (r->extra), &mix, error);
  } else {
    r->sampler = dd_mix_sampler_new_single (dd_train_set_n_images (r->manual), o->seed,
                                            error);
  }
  return r->sampler != NULL;
}

static gboolean
allocate (run *r, GError **error)
{
  const dd_train_options *o = r->o;
  dd_detector *det = r->det;
  int h = r->height / det->stride, w = r->width / det->stride;
  r->draws = g_new (dd_mix_draw, o->batch);
  r->input = g_try_new (float, (gsize) o->batch * 3 * r->height * r->width);
  r->targets = dd_targets_new (o->batch, h, w, det->stride, det->n_classes,
                               det->n_keypoints);
  r->grad = dd_head_batch_new (o->batch, h, w, det->stride, det->n_classes,
                               det->n_keypoints);
  if (!r->input || !r->targets || !r->grad)
    return set_error (error, DD_MODEL_ERROR_NETWORK,
        "out of memory for a batch of %d images of %dx%d", o->batch, r->width, r->height);
  dd_augment_params_init (&r->augment, r->width, r->height);
  memcpy (r->augment.fill, dd_detector_fill, sizeof r->augment.fill);
  r->augment.flip_pairs = (const int (*)[2]) det->flip_pairs;
  r->augment.n_flip_pairs = det->n_flip_pairs;
  dd_schedule_defaults (&r->schedule, o->lr, o->iterations);
  if (o->first_drop > 0.0f) {
    r->schedule.first_drop = o->first_drop;
    r->schedule.second_drop = o->second_drop;
  }
  dd_sgd_defaults (&r->sgd);
  dd_loss_weights_defaults (&r->weights, det->stride);
  return TRUE;
}

char *
dd_train_file_sha256 (const char *path, GError **error)
{
  g_autofree char *bytes = NULL;
  gsize len;
  if (!g_file_get_contents (path, &bytes, &len, error))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
}

static void
add_string_or_null (JsonBuilder *b, const char *value)
{
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* What the run is. The members after "device" only describe it; the others
 * must match for a resume. */
static JsonNode *
describe_run (run *r, GError **error)
{
  const dd_train_options *o = r->o;
  g_autofree char *network_sha = dd_model_network_sha256 (r->det, r->height, r->width);
  /* A stream stands for its data by its name. */
  g_autofree char *data_sha = o->stream ? g_strdup (o->stream_id ? o->stream_id : "stream")
      : dd_train_file_sha256 (o->data, error);
  g_autofree char *extra_sha = o->extra && !o->stream && data_sha
      ? dd_train_file_sha256 (o->extra, error) : NULL;
  if (!network_sha || !data_sha || (o->extra && !o->stream && !extra_sha))
    return NULL;
  gboolean mixed = o->stream ? o->stream_automatic : o->extra != NULL;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "network_sha256");
  json_builder_add_string_value (b, network_sha);
  json_builder_set_member_name (b, "data_sha256");
  json_builder_add_string_value (b, data_sha);
  json_builder_set_member_name (b, "extra_sha256");
  add_string_or_null (b, extra_sha);
  json_builder_set_member_name (b, "ratio");
  json_builder_add_double_value (b, mixed && o->rho <= 0.0 ? o->ratio : 0.0);
  json_builder_set_member_name (b, "rho");
  json_builder_add_double_value (b, mixed ? o->rho : 0.0);
  json_builder_set_member_name (b, "iterations");
  json_builder_add_int_value (b, o->iterations);
  json_builder_set_member_name (b, "batch");
  json_builder_add_int_value (b, o->batch);
  json_builder_set_member_name (b, "lr");
  json_builder_add_double_value (b, o->lr);
  json_builder_set_member_name (b, "lr_drops");
  json_builder_begin_array (b);
  json_builder_add_double_value (b, r->schedule.first_drop);
  json_builder_add_double_value (b, r->schedule.second_drop);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, r->height);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, r->width);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) o->seed);
  /* How the teacher's v = 0 keypoints train (train_data.h): runs with
   * --extra from before it was recorded trained them as absent. */
  json_builder_set_member_name (b, "automatic_keypoints");
  add_string_or_null (b, mixed ? "unknown" : NULL);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, o->device);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, o->model);
  json_builder_set_member_name (b, "data");
  json_builder_add_string_value (b, o->stream ? data_sha : o->data);
  json_builder_set_member_name (b, "extra");
  add_string_or_null (b, o->extra && !o->stream ? o->extra : NULL);
  /* Where the images were read from: the files hashed above name them. */
  json_builder_set_member_name (b, "images");
  add_string_or_null (b, r->manual ? dd_train_set_image_dir (r->manual) : NULL);
  json_builder_set_member_name (b, "extra_images");
  add_string_or_null (b, r->extra ? dd_train_set_image_dir (r->extra) : NULL);
  json_builder_end_object (b);
  JsonNode *node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

/* Whether `saved` has `member` as `now` has it; else the error names it. */
static gboolean
same_member (JsonObject *saved, JsonObject *now, const char *member, const char *config,
    GError **error)
{
  JsonNode *a = json_object_get_member (saved, member);
  JsonNode *b = json_object_get_member (now, member);
  if (a && json_node_equal (a, b))
    return TRUE;
  g_autofree char *was = a ? json_to_string (a, FALSE) : g_strdup ("(missing)");
  g_autofree char *is = json_to_string (b, FALSE);
  return set_error (error, DD_MODEL_ERROR_RESUME,
      "%s belongs to another run: its %s is %s, this one's %s. A run resumes only "
      "with the same network, data and options; start a new run in another folder",
      config, member, was, is);
}

/* Names the first member that makes `saved` another run than `now`.
 * automatic_keypoints is compared only for a file mixed in with --extra,
 * whose runs from before the member was written trained them as absent;
 * ddtrain's streams trained them as unknown then too, and resume as before. */
static gboolean
same_run (JsonObject *saved, JsonObject *now, gboolean extra_file, const char *config,
    GError **error)
{
  static const char *const compared[] = {
    "network_sha256", "data_sha256", "extra_sha256", "ratio", "rho", "iterations",
    "batch", "lr", "lr_drops", "height", "width", "seed",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (compared); i++)
    if (!same_member (saved, now, compared[i], config, error))
      return FALSE;
  return !extra_file
      || same_member (saved, now, "automatic_keypoints", config, error);
}

static gboolean
write_config (JsonNode *node, const char *config, GError **error)
{
  g_autofree char *text = json_to_string (node, TRUE);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);
  /* Synced like the checkpoint beside it: a new file is not by default,
   * and after a power loss an empty train.json would refuse the resume. */
  return g_file_set_contents_full (config, with_newline, -1,
      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, error);
}

/* The next minibatch's draws into r->draws, counted by source. */
static void
next_draws (run *r)
{
  dd_mix_sampler_next_batch (r->sampler, r->draws, (size_t) r->o->batch);
  for (int b = 0; b < r->o->batch; b++)
    r->drawn[r->draws[b].source]++;
}

/* Resumes from the folder's checkpoint, or starts from the seeded weights.
 * Returns the step to start from, -1 on error. */
static int64_t
start_or_resume (run *r, GError **error)
{
  char err[1024];
  g_autoptr (JsonNode) now = describe_run (r, error);
  if (!now)
    return -1;
  gboolean resuming = g_file_test (r->checkpoint, G_FILE_TEST_EXISTS);
  if (!resuming) {
    if (dd_detector_init_weights (r->det, r->o->seed, err, sizeof err)) {
      set_error (error, DD_MODEL_ERROR_NETWORK, "%s", err);
      return -1;
    }
    dd_net_set_step (r->det->net, 0);
    return write_config (now, r->config, error) ? 0 : -1;
  }
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) why = NULL;
  JsonNode *saved = json_parser_load_from_file (parser, r->config, &why)
      ? json_parser_get_root (parser) : NULL;     /* NULL too for an empty file */
  if (!saved || !JSON_NODE_HOLDS_OBJECT (saved)) {
    set_error (error, DD_MODEL_ERROR_RESUME,
        "%s has a checkpoint but no readable %s (%s): it is not the folder of a "
        "ddistill train run; start the run in another folder", r->o->out,
        DD_TRAIN_CONFIG, why ? why->message : saved ? "not a JSON object" : "empty");
    return -1;
  }
  if (!same_run (json_node_get_object (saved), json_node_get_object (now),
          r->o->extra && !r->o->stream, r->config, error))
    return -1;
  if (dd_checkpoint_resume (r->det->net, r->checkpoint, err, sizeof err)) {
    set_error (error, DD_MODEL_ERROR_RESUME, "cannot resume: %s", err);
    return -1;
  }
  int64_t step = dd_net_step (r->det->net);
  if (step < 0 || step > r->o->iterations) {
    set_error (error, DD_MODEL_ERROR_RESUME, "%s is at step %" G_GINT64_FORMAT
        ", outside this run of %" G_GINT64_FORMAT " iterations", r->checkpoint, step,
        r->o->iterations);
    return -1;
  }
  /* Stopping there would leave the checkpoint past where the caller
   * believes the run stopped (a curve point would get later weights). */
  if (r->o->stop_after > 0 && step > r->o->stop_after) {
    set_error (error, DD_MODEL_ERROR_RESUME, "%s is at step %" G_GINT64_FORMAT
        ", past the stop asked for at %" G_GINT64_FORMAT ": a run cannot stop where "
        "it has already been", r->checkpoint, step, r->o->stop_after);
    return -1;
  }
  r->last_checkpoint = step;
  /* The sampler is a pure function of its seed: replaying its draws puts
   * it where the checkpointed run left it. */
  for (int64_t i = 0; i < step; i++)
    next_draws (r);
  return step;
}

static gboolean
load_batch (run *r, int64_t iteration, GError **error)
{
  const dd_train_options *o = r->o;
  size_t plane = (size_t) 3 * r->height * r->width;
  next_draws (r);
  dd_targets_clear (r->targets);
  for (int b = 0; b < o->batch; b++) {
    dd_rng rng;
    dd_rng_seed (&rng, o->seed ^ AUGMENT_SEED_SALT, (uint64_t) iteration * o->batch + b);
    if (o->stream) {
      dd_train_stream_status s = o->stream (o->stream_user, &r->draws[b], &r->augment,
                                            &rng, r->input + plane * b, r->targets, b,
                                            error);
      r->stream_ended = s == DD_TRAIN_STREAM_END;
      if (s != DD_TRAIN_STREAM_OK)
        return FALSE;
      continue;
    }
    const dd_train_set *set = r->draws[b].source == DD_MIX_MANUAL ? r->manual : r->extra;
    if (!dd_train_set_sample (set, r->draws[b].index, &r->augment, &rng,
                              r->input + plane * b, r->targets, b, error))
      return FALSE;
  }
  return TRUE;
}

static void
describe_loss (char *buf, size_t len, const dd_loss_parts *p)
{
  snprintf (buf, len, "center %g, size %g, offset %g, keypoint heatmap %g, keypoint "
            "offset %g", p->center, p->size, p->offset, p->keypoint_heatmap,
            p->keypoint_offset);
}

static gboolean
diverged (run *r, const char *what, int64_t iteration, GError **error)
{
  g_autofree char *last = r->last_checkpoint >= 0
      ? g_strdup_printf ("%s (iteration %" G_GINT64_FORMAT ") is the last good state "
                         "and was left as it was", r->checkpoint, r->last_checkpoint)
      : g_strdup ("no checkpoint had been written yet");
  return set_error (error, DD_MODEL_ERROR_DIVERGED,
      "%s at iteration %" G_GINT64_FORMAT ": training stopped; %s. Lower the "
      "learning rate (%g; %g at that iteration) or check the data", what, iteration + 1,
      last, r->o->lr, dd_schedule_lr (&r->schedule, iteration));
}

static gboolean
one_iteration (run *r, int64_t iteration, dd_loss_parts *loss, GError **error)
{
  char err[1024];
  if (!load_batch (r, iteration, error))
    return FALSE;
  if (dd_detector_forward (r->det, r->input, 1, err, sizeof err))
    return set_error (error, DD_MODEL_ERROR_NETWORK, "%s", err);
  dd_detector_loss (dd_detector_maps (r->det), r->targets, &r->weights, r->grad, loss);
  if (!isfinite (loss->total)) {
    char parts[512], what[640];
    describe_loss (parts, sizeof parts, loss);
    snprintf (what, sizeof what, "the loss became %g (%s)", loss->total, parts);
    return diverged (r, what, iteration, error);
  }
  if (dd_detector_backward (r->det, r->grad, err, sizeof err)
      || dd_sgd_step (r->det->net, &r->sgd, dd_schedule_lr (&r->schedule, iteration),
                      err, sizeof err))
    return set_error (error, DD_MODEL_ERROR_NETWORK, "%s", err);
  return TRUE;
}

/* Whether every parameter and buffer is finite: a step can blow the
 * weights up even when the loss before it was fine. */
static gboolean
weights_finite (dd_net *net)
{
  size_t most = 1;
  for (int i = 0; i < dd_net_n_tensors (net); i++)
    most = MAX (most, dd_net_tensor_at (net, i)->numel);
  float *host = g_new (float, most);
  gboolean ok = TRUE;
  for (int i = 0; i < dd_net_n_tensors (net) && ok; i++) {
    const dd_net_tensor *t = dd_net_tensor_at (net, i);
    dd_net_read_tensor (net, t, host);
    for (size_t j = 0; j < t->numel && ok; j++)
      ok = isfinite (host[j]);
  }
  g_free (host);
  return ok;
}

static gboolean
save_checkpoint (run *r, int64_t step, GError **error)
{
  char err[1024];
  if (!weights_finite (r->det->net))
    return diverged (r, "the weights stopped being finite", step - 1, error);
  if (dd_checkpoint_save (r->det->net, r->checkpoint, err, sizeof err))
    return set_error (error, DD_MODEL_ERROR_IO, "%s", err);
  r->last_checkpoint = step;
  return TRUE;
}

static void
report (run *r, int64_t iteration, int64_t first, const dd_loss_parts *loss,
        gboolean checkpointed)
{
  gint64 now = g_get_monotonic_time ();
  int slot = (int) ((iteration - first) % WINDOW);
  r->window[slot] = *loss;
  r->window_end_us[slot] = now;
  int n = (int) MIN (iteration - first + 1, WINDOW);
  /* The rate runs from the end of the window's oldest iteration, so the
   * first iteration of a process, which also waited for the pipeline's
   * first images, is never counted: its time is mostly start-up, and
   * counting it made a resumed run report an ETA of hours. */
  gint64 since = r->window_end_us[n < WINDOW ? 0 : (slot + 1) % WINDOW];
  int counted = n - 1;
  dd_train_stats s = {
    .iteration = iteration + 1, .iterations = r->o->iterations, .first = first,
    .lr = dd_schedule_lr (&r->schedule, iteration),
    .loss = *loss, .checkpointed = checkpointed,
    .drawn = { r->drawn[0], r->drawn[1] },
  };
  for (int i = 0; i < n; i++) {
    s.mean.center += r->window[i].center / n;
    s.mean.size += r->window[i].size / n;
    s.mean.offset += r->window[i].offset / n;
    s.mean.keypoint_heatmap += r->window[i].keypoint_heatmap / n;
    s.mean.keypoint_offset += r->window[i].keypoint_offset / n;
    s.mean.total += r->window[i].total / n;
  }
  double seconds = (now - since) / 1e6;
  double per_iteration = counted > 0 && seconds > 0.0 ? seconds / counted : 0.0;
  s.images_per_second = per_iteration > 0.0 ? r->o->batch / per_iteration : 0.0;
  /* To the run's end: stop_after is an interruption, not the end. */
  s.seconds_left = per_iteration > 0.0
      ? per_iteration * (double) (r->o->iterations - iteration - 1) : NAN;
  if (r->o->progress)
    r->o->progress (&s, r->o->user);
}

static gboolean
save_model (run *r, GError **error)
{
  char err[1024];
  if (dd_model_dir_save (r->det, r->checkpoint, r->o->out, r->height, r->width, err,
                         sizeof err))
    return set_error (error, DD_MODEL_ERROR_IO, "%s", err);
  return TRUE;
}

/* The stream ended before iteration `it`: the run stops there, checkpoint
 * and model saved as at the end of a run. */
static gboolean
stream_ended (run *r, int64_t it, GError **error)
{
  if (it == 0)
    return set_error (error, DD_MODEL_ERROR_INPUT,
        "the training stream ended before the first minibatch was complete: "
        "nothing was trained");
  if (r->last_checkpoint != it && !save_checkpoint (r, it, error))
    return FALSE;
  return save_model (r, error);
}

static gboolean
train_loop (run *r, int64_t first, GError **error)
{
  const dd_train_options *o = r->o;
  int64_t end = o->stop_after > 0 ? MIN (o->stop_after, o->iterations) : o->iterations;
  for (int64_t it = first; it < end; it++) {
    dd_loss_parts loss;
    if (!one_iteration (r, it, &loss, error))
      return r->stream_ended && stream_ended (r, it, error);
    gboolean checkpoint = (it + 1) % o->checkpoint_every == 0 || it + 1 == end;
    if (checkpoint && !save_checkpoint (r, it + 1, error))
      return FALSE;
    report (r, it, first, &loss, checkpoint);
  }
  return end < o->iterations || save_model (r, error);
}

static void
run_clear (run *r)
{
  dd_detector_free (r->det);
  if (r->be && r->be != r->o->backend)
    dd_backend_free (r->be);
  dd_train_set_free (r->manual);
  dd_train_set_free (r->extra);
  if (r->sampler)
    dd_mix_sampler_free (r->sampler);
  g_free (r->draws);
  g_free (r->input);
  dd_targets_free (r->targets);
  dd_head_batch_free (r->grad);
  g_free (r->checkpoint);
  g_free (r->config);
}

gboolean
dd_train (const dd_train_options *o, GError **error)
{
  if (!check_options (o, error))
    return FALSE;
  if (g_mkdir_with_parents (o->out, 0755) != 0)
    return set_error (error, DD_MODEL_ERROR_IO, "cannot create the output folder %s: %s",
                      o->out, g_strerror (errno));
  run r = {
    .o = o,
    .checkpoint = g_build_filename (o->out, DD_TRAIN_CHECKPOINT, NULL),
    .config = g_build_filename (o->out, DD_TRAIN_CONFIG, NULL),
    .last_checkpoint = -1,
  };
  int64_t first = -1;
  gboolean ok = open_model (&r, error) && open_data (&r, error) && allocate (&r, error)
      && (first = start_or_resume (&r, error)) >= 0 && train_loop (&r, first, error);
  run_clear (&r);
  return ok;
}
