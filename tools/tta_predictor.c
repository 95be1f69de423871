#include "tta_predictor.h"

#include <string.h>

#include "distill/head_maps.h"
#include "distill/tta_spec.h"
#include "model/decode.h"
#include "model/model_dir.h"
#include "model/model_error.h"
#include "model/padded_size.h"
#include "model/predict.h"

/* The network set up for one padded size. */
typedef struct {
  int width, height;
  dd_detector *det;
} sized_net;

/* One transform's pass over the current image. */
typedef struct {
  dd_tta_transform transform;
  int net;                      /* index into nets */
  dd_detection *detections;     /* decode's top-K */
  int n_detections;
  dd_head_maps maps;            /* the heads the ensemble reads, copied */
} pass;

struct dd_tta_predictor {
  char *dir;
  dd_backend *be;
  int canvas_width, canvas_height, stride;
  dd_detector *shapes;          /* never set up: for the padded sizes */
  GPtrArray *nets;              /* sized_net */
  int n_passes;
  pass passes[DD_TTA_MAX_TRANSFORMS];
  char *names;
  dd_ensembler *ensembler;
  unsigned heads;
  dd_decode_params decode;
  float *input;                 /* for the largest size */
  GArray *labels;               /* dd_detection, canvas pixels */
};

static void
sized_net_free (gpointer p)
{
  sized_net *s = p;
  dd_detector_free (s->det);
  g_free (s);
}

/* The network for a w x h image (padded as ddinfer pads: lib/model's
 * padded_size.h), made on first use. Returns its index, -1 on error. */
static int
net_for (dd_tta_predictor *p, int w, int h, GError **error)
{
  int pw = dd_detector_padded_side (p->shapes, w, TRUE);
  int ph = dd_detector_padded_side (p->shapes, h, FALSE);
  if (pw < 0 || ph < 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "the model %s takes no size near %dx%d", p->dir, w, h);
    return -1;
  }
  for (guint i = 0; i < p->nets->len; i++) {
    const sized_net *s = g_ptr_array_index (p->nets, i);
    if (s->width == pw && s->height == ph)
      return (int) i;
  }
  char err[1024];
  g_autofree char *weights = g_build_filename (p->dir, DD_MODEL_WEIGHTS, NULL);
  dd_detector *det = dd_model_dir_load (p->dir, err, sizeof err);
  if (!det || dd_detector_setup (det, p->be, DD_NET_INFER, 1, ph, pw, err, sizeof err)
      || dd_detector_load_weights (det, weights, err, sizeof err)) {
    dd_detector_free (det);
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "the model %s at %dx%d: %s", p->dir, pw, ph, err);
    return -1;
  }
  sized_net *s = g_new (sized_net, 1);
  *s = (sized_net) { pw, ph, det };
  g_ptr_array_add (p->nets, s);
  return (int) p->nets->len - 1;
}

static dd_detector *
net_at (const dd_tta_predictor *p, int i)
{
  return ((const sized_net *) g_ptr_array_index (p->nets, i))->det;
}

static gboolean
set_up_passes (dd_tta_predictor *p, const char *spec_text, GError **error)
{
  dd_tta_spec *spec = dd_tta_spec_parse (spec_text, error);
  if (!spec)
    return FALSE;
  dd_tta_transform ts[DD_TTA_MAX_TRANSFORMS];
  p->n_passes = dd_tta_spec_resolve (spec, p->canvas_width, p->canvas_height, ts,
      error);
  dd_tta_spec_free (spec);
  if (p->n_passes < 0)
    return FALSE;
  const dd_detector *model = net_at (p, 0);
  GString *names = g_string_new (NULL);
  size_t largest = 0;
  for (int i = 0; i < p->n_passes; i++) {
    pass *ps = &p->passes[i];
    ps->transform = ts[i];
    ps->net = net_for (p, ts[i].width, ts[i].height, error);
    if (ps->net < 0) {
      g_string_free (names, TRUE);
      return FALSE;
    }
    const sized_net *s = g_ptr_array_index (p->nets, ps->net);
    largest = MAX (largest, (size_t) 3 * s->width * s->height);
    ps->detections = g_new (dd_detection, p->decode.max_detections);
    dd_maps_init (&ps->maps, s->height / p->stride, s->width / p->stride, p->stride,
        model->n_classes, model->n_keypoints, p->heads);
    char name[64];
    dd_tta_transform_name (&ts[i], name, sizeof name);
    g_string_append_printf (names, "%s%s", i ? "," : "", name);
  }
  p->names = g_string_free (names, FALSE);
  p->input = g_new (float, largest);
  return TRUE;
}

dd_tta_predictor *
dd_tta_predictor_new (const char *model_dir, dd_backend *be, const char *spec,
    const dd_ensemble_params *rules, GError **error)
{
  dd_tta_predictor *p = g_new0 (dd_tta_predictor, 1);
  p->dir = g_strdup (model_dir);
  p->be = be;
  p->nets = g_ptr_array_new_with_free_func (sized_net_free);
  p->labels = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  p->heads = dd_ensemble_heads_needed (rules);
  dd_decode_params_defaults (&p->decode);
  char err[1024];
  dd_detector *probe = dd_model_dir_load (model_dir, err, sizeof err);
  if (!probe) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK, "%s", err);
    dd_tta_predictor_free (p);
    return NULL;
  }
  dd_net_default_size (probe->net, &p->canvas_height, &p->canvas_width);
  p->stride = probe->stride;
  dd_flip_map fm;
  gboolean ok = dd_flip_map_init (&fm, (const int (*)[2]) probe->flip_pairs,
      probe->n_flip_pairs, probe->n_keypoints, error);
  p->shapes = probe;
  /* The canvas's own network first: nets[0] also answers for the model. */
  if (!ok || net_for (p, p->canvas_width, p->canvas_height, error) < 0
      || !set_up_passes (p, spec, error)) {
    dd_tta_predictor_free (p);
    return NULL;
  }
  p->ensembler = dd_ensembler_new (rules, &fm);
  return p;
}

void
dd_tta_predictor_free (dd_tta_predictor *p)
{
  if (!p)
    return;
  for (int i = 0; i < p->n_passes; i++) {
    g_free (p->passes[i].detections);
    dd_maps_clear (&p->passes[i].maps);
  }
  if (p->ensembler)
    dd_ensembler_free (p->ensembler);
  g_ptr_array_unref (p->nets);
  dd_detector_free (p->shapes);
  g_array_unref (p->labels);
  g_free (p->input);
  g_free (p->names);
  g_free (p->dir);
  g_free (p);
}

int
dd_tta_predictor_n_transforms (const dd_tta_predictor *p)
{
  return p->n_passes;
}

const char *
dd_tta_predictor_transform_names (const dd_tta_predictor *p)
{
  return p->names;
}

const char *const *
dd_tta_predictor_classes (const dd_tta_predictor *p, int *n_classes)
{
  const dd_detector *model = net_at (p, 0);
  *n_classes = model->n_classes;
  return (const char *const *) model->classes;
}

int
dd_tta_predictor_n_keypoints (const dd_tta_predictor *p)
{
  return net_at (p, 0)->n_keypoints;
}

const dd_detector *
dd_tta_predictor_model (const dd_tta_predictor *p)
{
  return net_at (p, 0);
}

void
dd_tta_predictor_set_keypoint_threshold (dd_tta_predictor *p, float t)
{
  p->decode.keypoint_threshold = t;
}

/* `img` placed at the top left of a w x h image of the fill colour. */
static dd_image *
pad_to (const dd_image *img, int w, int h, GError **error)
{
  dd_image *out = dd_image_new (w, h, error);
  if (!out)
    return NULL;
  for (int i = 0; i < w * h; i++)
    memcpy (out->data + 3 * i, dd_detector_fill, 3);
  for (int y = 0; y < img->height; y++)
    memcpy (out->data + (size_t) 3 * w * y, img->data + (size_t) 3 * img->width * y,
        (size_t) 3 * img->width);
  return out;
}

/* Keeps the heads the ensemble reads: the network's maps are overwritten
 * by the next pass at the same size. */
static void
copy_maps (const dd_head_maps *from, dd_head_maps *to, unsigned heads)
{
  for (unsigned bit = 1; bit & DD_MAPS_ALL; bit <<= 1)
    if (heads & bit)
      memcpy (dd_maps_data (to, bit), dd_maps_data (from, bit),
          sizeof (float) * dd_maps_planes (from, bit) * from->h * from->w);
}

static gboolean
run_pass (dd_tta_predictor *p, pass *ps, const dd_image *canvas, GError **error)
{
  const dd_tta_transform *t = &ps->transform;
  const sized_net *s = g_ptr_array_index (p->nets, ps->net);
  dd_transform resize = dd_transform_resize (t->frame_width, t->frame_height,
      t->width, t->height, t->flip);
  dd_image *moved = dd_tta_is_identity (t) ? dd_image_copy (canvas)
      : dd_transform_image (&resize, canvas, dd_detector_fill, error);
  if (!moved)
    return FALSE;
  dd_image *padded = pad_to (moved, s->width, s->height, error);
  dd_image_free (moved);
  if (!padded)
    return FALSE;
  dd_detector_image_to_input (padded, p->input);
  dd_image_free (padded);
  char err[1024];
  if (dd_detector_forward (s->det, p->input, 0, err, sizeof err)) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK, "%s", err);
    return FALSE;
  }
  const dd_head_maps *maps = &dd_detector_maps (s->det)->maps[0];
  ps->n_detections = dd_decode (maps, &p->decode, ps->detections);
  if (ps->n_detections < 0) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_NETWORK,
        "out of memory decoding a %dx%d pass", s->width, s->height);
    return FALSE;
  }
  copy_maps (maps, &ps->maps, p->heads);
  return TRUE;
}

gboolean
dd_tta_predictor_run (dd_tta_predictor *p, const dd_image *img, GArray *out,
    GError **error)
{
  dd_transform box = dd_letterbox (img->width, img->height, p->canvas_width,
      p->canvas_height);
  dd_image *canvas = dd_transform_image (&box, img, dd_detector_fill, error);
  if (!canvas)
    return FALSE;
  dd_pass passes[DD_TTA_MAX_TRANSFORMS];
  gboolean ok = TRUE;
  for (int i = 0; i < p->n_passes && ok; i++) {
    pass *ps = &p->passes[i];
    ok = run_pass (p, ps, canvas, error);
    passes[i] = (dd_pass) { ps->transform, ps->detections, ps->n_detections,
      p->heads ? &ps->maps : NULL };
  }
  dd_image_free (canvas);
  g_array_set_size (p->labels, 0);
  if (!ok || !dd_ensembler_run (p->ensembler, passes, p->n_passes, p->labels, error))
    return FALSE;
  for (guint i = 0; i < p->labels->len; i++) {
    dd_detection d = g_array_index (p->labels, dd_detection, i);
    dd_detection_map_back (&box, &d);
    g_array_append_val (out, d);
  }
  return TRUE;
}
