/* Models shared between ddinfer elements: the registry, the queue of
 * requests and the batches the engine worker runs. */
#include "elements/model_instance.h"

#include <string.h>

#include "distill/head_maps.h"
#include "model/detector.h"
#include "model/model_dir.h"
#include "model/model_error.h"
#include "model/padded_size.h"
#include "nn/worker.h"

#define MAX_BATCH 64

/* An engine worker, shared by every model on its device. */
typedef struct {
  char *device;
  dd_worker *worker;
  int refs;
} shared_worker;

struct dd_model_instance {
  char *key;
  int refs;                     /* under registry_lock */
  char *dir, *name;
  int batch;
  shared_worker *worker;
  int input_width, input_height, stride, n_classes, n_keypoints;
  int partner[DD_MAX_KEYPOINTS];

  GMutex lock;
  GQueue pending;               /* request, oldest first */
  guint64 images, runs, slots;  /* under lock */
  dd_detector *shapes;          /* never set up: for dd_net_reshape, under lock */

  /* Touched by the worker thread only. */
  GHashTable *nets;             /* "WxHxB" -> dd_detector set up for B */
  float *batch_input;
  size_t batch_input_floats;
};

/* One image waiting for the worker, in its caller's memory. */
typedef struct {
  dd_model_instance *m;
  int width, height;            /* padded to the stride */
  float *input;                 /* 3 x height x width */
  const dd_decode_params *decode;
  gboolean want_maps;
  dd_inference *out;
  gboolean done;                /* under m->lock */
  int status;
  char err[DD_JOB_ERR_MAX];
} request;

static GMutex registry_lock;
static GHashTable *instances;   /* key -> dd_model_instance */
static GHashTable *workers;     /* device -> shared_worker */

/* ---- Registry ------------------------------------------------------------ */

static shared_worker *
worker_get (const char *device, GError **error)
{
  shared_worker *w = g_hash_table_lookup (workers, device);
  if (w) {
    w->refs++;
    return w;
  }
  char err[DD_JOB_ERR_MAX];
  dd_worker *worker = dd_worker_new (device, err, sizeof err);
  if (worker == NULL) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "cannot start the engine on device '%s': %s", device, err);
    return NULL;
  }
  w = g_new0 (shared_worker, 1);
  w->device = g_strdup (device);
  w->worker = worker;
  w->refs = 1;
  g_hash_table_insert (workers, w->device, w);
  return w;
}

static void
worker_unref (shared_worker *w)
{
  if (--w->refs > 0)
    return;
  g_hash_table_remove (workers, w->device);
  dd_worker_free (w->worker);
  g_free (w->device);
  g_free (w);
}

/* The model's metadata, from its JSON alone (no backend needed). */
static gboolean
probe (dd_model_instance *m, GError **error)
{
  char err[1024];
  dd_detector *det = dd_model_dir_load (m->dir, err, sizeof err);
  if (det == NULL) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK, "%s", err);
    return FALSE;
  }
  m->shapes = det;
  dd_net_default_size (det->net, &m->input_height, &m->input_width);
  m->stride = det->stride;
  m->n_classes = det->n_classes;
  m->n_keypoints = det->n_keypoints;
  for (int k = 0; k < DD_MAX_KEYPOINTS; k++)
    m->partner[k] = k;
  for (int p = 0; p < det->n_flip_pairs; p++) {
    m->partner[det->flip_pairs[p][0]] = det->flip_pairs[p][1];
    m->partner[det->flip_pairs[p][1]] = det->flip_pairs[p][0];
  }
  return TRUE;
}

static void
instance_free (dd_model_instance *m)
{
  dd_detector_free (m->shapes);
  g_hash_table_unref (m->nets);
  g_free (m->batch_input);
  g_mutex_clear (&m->lock);
  g_free (m->key);
  g_free (m->dir);
  g_free (m->name);
  g_free (m);
}

dd_model_instance *
dd_model_instance_get (const char *dir, const char *device, int batch,
    GError **error)
{
  if (dir == NULL || *dir == '\0') {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "no model given: set model to a folder holding model.json and "
        "model.safetensors (as `ddistill train` leaves it)");
    return NULL;
  }
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  batch = CLAMP (batch, 1, MAX_BATCH);
  char *key = g_strdup_printf ("%s\n%s\n%d", device, abs, batch);
  g_mutex_lock (&registry_lock);
  if (instances == NULL) {
    instances = g_hash_table_new (g_str_hash, g_str_equal);
    workers = g_hash_table_new (g_str_hash, g_str_equal);
  }
  dd_model_instance *m = g_hash_table_lookup (instances, key);
  if (m) {
    m->refs++;
    g_mutex_unlock (&registry_lock);
    g_free (key);
    return m;
  }
  m = g_new0 (dd_model_instance, 1);
  m->key = key;
  m->refs = 1;
  m->dir = g_steal_pointer (&abs);
  m->name = g_path_get_basename (m->dir);
  m->batch = batch;
  g_mutex_init (&m->lock);
  g_queue_init (&m->pending);
  m->nets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) dd_detector_free);
  if (!probe (m, error) || !(m->worker = worker_get (device, error))) {
    instance_free (m);
    m = NULL;
  } else {
    g_hash_table_insert (instances, m->key, m);
  }
  g_mutex_unlock (&registry_lock);
  return m;
}

/* The networks hold backend memory: they go on the worker's thread. */
static int
free_nets (dd_backend *be, void *arg, char *err, size_t err_len)
{
  (void) be;
  (void) err;
  (void) err_len;
  dd_model_instance *m = arg;
  g_hash_table_remove_all (m->nets);
  return 0;
}

void
dd_model_instance_unref (dd_model_instance *m)
{
  if (m == NULL)
    return;
  g_mutex_lock (&registry_lock);
  if (--m->refs == 0) {
    g_hash_table_remove (instances, m->key);
    char err[DD_JOB_ERR_MAX];
    dd_worker_run (m->worker->worker, free_nets, m, err, sizeof err);
    worker_unref (m->worker);
    instance_free (m);
  }
  g_mutex_unlock (&registry_lock);
}

const char *
dd_model_instance_name (const dd_model_instance *m)
{
  return m->name;
}

void
dd_model_instance_input_size (const dd_model_instance *m, int *width,
    int *height)
{
  *width = m->input_width;
  *height = m->input_height;
}

int
dd_model_instance_n_classes (const dd_model_instance *m)
{
  return m->n_classes;
}

int
dd_model_instance_n_keypoints (const dd_model_instance *m)
{
  return m->n_keypoints;
}

const int *
dd_model_instance_flip_partners (const dd_model_instance *m)
{
  return m->partner;
}

void
dd_model_instance_stats (dd_model_instance *m, guint64 *images, guint64 *runs,
    guint64 *slots)
{
  g_mutex_lock (&m->lock);
  *images = m->images;
  *runs = m->runs;
  *slots = m->slots;
  g_mutex_unlock (&m->lock);
}

void
dd_inference_clear (dd_inference *r)
{
  g_clear_pointer (&r->detections, g_array_unref);
  dd_maps_clear (&r->maps);
}

/* ---- On the worker thread ------------------------------------------------ */

/* The network for a batch of `n` at w x h: set up for the smallest power
 * of two at least n (at most the instance's batch), so a lone request
 * runs alone instead of padding a full batch with empty images, while a
 * batch of 64 keeps 7 networks per size rather than 64. */
static dd_detector *
net_for (dd_model_instance *m, dd_backend *be, int width, int height, int n,
    int *slots, char *err, size_t err_len)
{
  int b = 1;
  while (b < n)
    b *= 2;
  b = MIN (b, m->batch);
  *slots = b;
  char key[48];
  g_snprintf (key, sizeof key, "%dx%dx%d", width, height, b);
  dd_detector *det = g_hash_table_lookup (m->nets, key);
  if (det)
    return det;
  char why[1024];
  g_autofree char *weights = g_build_filename (m->dir, DD_MODEL_WEIGHTS, NULL);
  det = dd_model_dir_load (m->dir, why, sizeof why);
  if (det == NULL || dd_detector_setup (det, be, DD_NET_INFER, b,
          height, width, why, sizeof why)
      || dd_detector_load_weights (det, weights, why, sizeof why)) {
    g_snprintf (err, err_len, "the model %s at %dx%d (batch %d): %s", m->dir,
        width, height, b, why);
    dd_detector_free (det);
    return NULL;
  }
  g_hash_table_insert (m->nets, g_strdup (key), det);
  return det;
}

static gboolean
collect (request *r, const dd_head_maps *maps, char *err, size_t err_len)
{
  g_array_set_size (r->out->detections, r->decode->max_detections);
  int n = dd_decode (maps, r->decode,
      (dd_detection *) r->out->detections->data);
  if (n < 0) {
    g_snprintf (err, err_len, "out of memory decoding a %dx%d image",
        r->width, r->height);
    return FALSE;
  }
  g_array_set_size (r->out->detections, n);
  if (!r->want_maps)
    return TRUE;
  unsigned heads = dd_maps_present (maps);
  dd_maps_init (&r->out->maps, maps->h, maps->w, maps->stride,
      maps->n_classes, maps->n_keypoints, heads);
  for (unsigned bit = 1; bit & DD_MAPS_ALL; bit <<= 1)
    if (heads & bit)
      memcpy (dd_maps_data (&r->out->maps, bit), dd_maps_data (maps, bit),
          sizeof (float) * dd_maps_planes (maps, bit) * maps->h * maps->w);
  return TRUE;
}

static gboolean
run_batch (dd_model_instance *m, dd_backend *be, request **batch, int n,
    int *ran, char *err, size_t err_len)
{
  int w = batch[0]->width, h = batch[0]->height, slots;
  dd_detector *det = net_for (m, be, w, h, n, &slots, err, err_len);
  if (det == NULL)
    return FALSE;
  *ran = slots;
  const float *input = batch[0]->input;
  if (slots > 1) {
    size_t per = (size_t) 3 * w * h;
    if (m->batch_input_floats < per * slots) {
      g_free (m->batch_input);
      m->batch_input_floats = per * slots;
      m->batch_input = g_new (float, m->batch_input_floats);
    }
    for (int i = 0; i < n; i++)
      memcpy (m->batch_input + per * i, batch[i]->input,
          per * sizeof (float));
    /* Slots beyond n (a batch of 3 on a network for 4) hold zeros, the
     * mean colour once normalised; each image's outputs depend on its
     * own input alone. */
    memset (m->batch_input + per * n, 0, per * (slots - n) * sizeof (float));
    input = m->batch_input;
  }
  if (dd_detector_forward (det, input, 0, err, err_len))
    return FALSE;
  const dd_head_batch *maps = dd_detector_maps (det);
  for (int i = 0; i < n; i++)
    if (!collect (batch[i], &maps->maps[i], err, err_len))
      return FALSE;
  return TRUE;
}

/* The job each caller submits: runs its own request, with up to `batch`
 * waiting requests of the same size, unless an earlier job already did. */
static int
run_pending (dd_backend *be, void *arg, char *err, size_t err_len)
{
  request *own = arg;
  dd_model_instance *m = own->m;
  request *batch[MAX_BATCH];
  int n = 0;
  g_mutex_lock (&m->lock);
  if (own->done) {
    g_strlcpy (err, own->err, err_len);
    g_mutex_unlock (&m->lock);
    return own->status;
  }
  g_queue_remove (&m->pending, own);
  batch[n++] = own;
  for (GList *l = m->pending.head; l && n < m->batch;) {
    GList *next = l->next;
    request *r = l->data;
    if (r->width == own->width && r->height == own->height) {
      batch[n++] = r;
      g_queue_delete_link (&m->pending, l);
    }
    l = next;
  }
  g_mutex_unlock (&m->lock);
  char why[DD_JOB_ERR_MAX] = "";
  int slots = 0;
  int status = run_batch (m, be, batch, n, &slots, why, sizeof why) ? 0 : -1;
  g_mutex_lock (&m->lock);
  m->images += n;
  m->runs++;
  m->slots += (guint64) slots;
  for (int i = 0; i < n; i++) {
    batch[i]->status = status;
    g_strlcpy (batch[i]->err, why, sizeof batch[i]->err);
    batch[i]->done = TRUE;
  }
  g_mutex_unlock (&m->lock);
  g_strlcpy (err, why, err_len);
  return status;
}

/* ---- On the caller's thread ---------------------------------------------- */

static gboolean
padded_size (dd_model_instance *m, int w, int h, int *pw, int *ph,
    GError **error)
{
  g_mutex_lock (&m->lock);
  *pw = dd_detector_padded_side (m->shapes, w, TRUE);
  *ph = dd_detector_padded_side (m->shapes, h, FALSE);
  g_mutex_unlock (&m->lock);
  if (*pw < 0 || *ph < 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "the model %s takes no size near %dx%d", m->dir, w, h);
    return FALSE;
  }
  return TRUE;
}

/* `img` at the top left of a w x h image of lib/model's fill colour, as
 * the network's normalised input planes. */
static float *
padded_input (const dd_image *img, int w, int h)
{
  dd_image *padded = dd_image_new (w, h, NULL);
  if (padded == NULL)
    return NULL;
  for (int i = 0; i < w * h; i++)
    memcpy (padded->data + 3 * i, dd_detector_fill, 3);
  for (int y = 0; y < img->height; y++)
    memcpy (padded->data + (size_t) 3 * w * y,
        img->data + (size_t) 3 * img->width * y, (size_t) 3 * img->width);
  float *input = g_try_new (float, (gsize) 3 * w * h);
  if (input)
    dd_detector_image_to_input (padded, input);
  dd_image_free (padded);
  return input;
}

gboolean
dd_model_instance_infer (dd_model_instance *m, const dd_image *img,
    const dd_decode_params *decode, gboolean want_maps, dd_inference *out,
    GError **error)
{
  dd_inference_clear (out);
  out->detections = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  request r = { .m = m, .decode = decode, .want_maps = want_maps, .out = out };
  if (!padded_size (m, img->width, img->height, &r.width, &r.height, error))
    return FALSE;
  r.input = padded_input (img, r.width, r.height);
  if (r.input == NULL) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "the model %s: no memory for a %dx%d input", m->name, r.width,
        r.height);
    return FALSE;
  }
  g_mutex_lock (&m->lock);
  g_queue_push_tail (&m->pending, &r);
  g_mutex_unlock (&m->lock);
  char err[DD_JOB_ERR_MAX];
  int status = dd_worker_run (m->worker->worker, run_pending, &r, err,
      sizeof err);
  /* A job cancelled at shutdown never took it off the queue. */
  g_mutex_lock (&m->lock);
  if (!r.done)
    g_queue_remove (&m->pending, &r);
  g_mutex_unlock (&m->lock);
  g_free (r.input);
  if (status != 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK, "%s", err);
    return FALSE;
  }
  return TRUE;
}
