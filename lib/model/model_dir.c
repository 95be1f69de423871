#include "model/model_dir.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"

dd_detector *
dd_model_dir_load (const char *dir, char *err, size_t err_len)
{
  g_autofree char *path = g_build_filename (dir, DD_MODEL_JSON, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    snprintf (err, err_len, "%s: no such file; a model folder (what `ddistill train "
              "--out DIR` leaves) holds " DD_MODEL_JSON " and " DD_MODEL_WEIGHTS, path);
    return NULL;
  }
  dd_net *net = dd_net_load (path, err, err_len);
  return net ? dd_detector_new (net, path, err, err_len) : NULL;
}

dd_detector *
dd_model_dir_open (const char *dir, dd_backend *be, int batch, char *err, size_t err_len)
{
  dd_detector *det = dd_model_dir_load (dir, err, err_len);
  if (!det)
    return NULL;
  int h, w;
  dd_net_default_size (det->net, &h, &w);
  g_autofree char *weights = g_build_filename (dir, DD_MODEL_WEIGHTS, NULL);
  if (dd_detector_setup (det, be, DD_NET_INFER, batch, h, w, err, err_len)
      || dd_detector_load_weights (det, weights, err, err_len)) {
    dd_detector_free (det);
    return NULL;
  }
  return det;
}

static void write_value (dd_json_buf *b, const dd_json *v, int depth, int height,
                         int width, int in_input);

static void
write_number (dd_json_buf *b, double x)
{
  if (x == floor (x) && fabs (x) < 1e15)
    dd_json_buf_printf (b, "%.0f", x);
  else
    dd_json_buf_printf (b, "%.17g", x);
}

static void
newline (dd_json_buf *b, int depth)
{
  dd_json_buf_printf (b, "\n%*s", 2 * depth, "");
}

/* The top object and its arrays get a line per item (a layer per line, as
 * the presets); everything deeper stays on one line. */
static void
write_value (dd_json_buf *b, const dd_json *v, int depth, int height, int width,
             int in_input)
{
  int open = depth < 2;
  switch (v->type) {
  case DD_JSON_NULL:
    dd_json_buf_printf (b, "null");
    break;
  case DD_JSON_BOOL:
    dd_json_buf_printf (b, v->boolean ? "true" : "false");
    break;
  case DD_JSON_NUMBER:
    write_number (b, v->number);
    break;
  case DD_JSON_STRING:
    dd_json_buf_string (b, v->str);
    break;
  case DD_JSON_ARRAY:
  case DD_JSON_OBJECT:
    dd_json_buf_printf (b, v->type == DD_JSON_ARRAY ? "[" : "{");
    for (size_t i = 0; i < v->n; i++) {
      if (i)
        dd_json_buf_printf (b, open ? "," : ", ");
      if (open)
        newline (b, depth + 1);
      if (v->type == DD_JSON_OBJECT) {
        dd_json_buf_string (b, v->keys[i]);
        dd_json_buf_printf (b, ": ");
        int is_input = depth == 0 && strcmp (v->keys[i], "input") == 0;
        if (in_input && strcmp (v->keys[i], "height") == 0)
          dd_json_buf_printf (b, "%d", height);
        else if (in_input && strcmp (v->keys[i], "width") == 0)
          dd_json_buf_printf (b, "%d", width);
        else
          write_value (b, v->items[i], depth + 1, height, width, is_input);
      } else {
        write_value (b, v->items[i], depth + 1, height, width, 0);
      }
    }
    if (open && v->n)
      newline (b, depth);
    dd_json_buf_printf (b, v->type == DD_JSON_ARRAY ? "]" : "}");
    break;
  }
}

char *
dd_model_json_text (const dd_detector *det, int height, int width)
{
  dd_json_buf b = {0};
  write_value (&b, dd_net_json (det->net), 0, height, width, 0);
  dd_json_buf_printf (&b, "\n");
  if (b.failed) {
    dd_json_buf_clear (&b);
    return NULL;
  }
  return b.data;
}

char *
dd_model_network_sha256 (const dd_detector *det, int height, int width)
{
  char *text = dd_model_json_text (det, height, width);
  if (!text)
    return NULL;
  char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  free (text);
  return sha;
}

int
dd_model_dir_save (const dd_detector *det, const char *checkpoint, const char *dir,
                   int height, int width, char *err, size_t err_len)
{
  g_autofree char *json_path = g_build_filename (dir, DD_MODEL_JSON, NULL);
  g_autofree char *weights = g_build_filename (dir, DD_MODEL_WEIGHTS, NULL);
  char *text = dd_model_json_text (det, height, width);
  if (!text) {
    snprintf (err, err_len, "%s: out of memory", json_path);
    return -1;
  }
  /* The model part of the checkpoint: loaded into a copy of the network
   * set up without an optimizer (which skips the optimizer tensors), then
   * saved from there. */
  dd_net *copy = dd_net_parse (text, strlen (text), json_path, err, err_len);
  int rc = copy ? 0 : -1;
  if (!rc)
    rc = dd_net_setup (copy, dd_net_backend (det->net), DD_NET_EVAL, 1, height, width,
                       err, err_len)
        || dd_checkpoint_load (copy, checkpoint, err, err_len)
        || dd_checkpoint_save (copy, weights, err, err_len) ? -1 : 0;
  g_autoptr (GError) error = NULL;
  /* Synced like the weights: the model is what the run was for. */
  if (!rc && !g_file_set_contents_full (json_path, text, -1,
          G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &error)) {
    snprintf (err, err_len, "%s", error->message);
    rc = -1;
  }
  dd_net_free (copy);
  free (text);
  return rc;
}
