/* `ddistill bench engine --json` on the tiny network: its one JSON object
 * has the documented keys, every throughput is a positive finite number,
 * and the GFLOP/s follow from images/s and FLOPs per image (training as 3
 * forwards). Usage: test_bench_json PATH/TO/ddistill */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/json.h"

static const char *const positive_keys[] = {
  "train_img_per_s", "infer_img_per_s", "train_gflops", "infer_gflops", "peak_gflops",
  "train_peak_fraction", "infer_peak_fraction", "params", "flops_per_image",
};

static char *
run_bench (const char *ddistill)
{
  char cmd[4096];
  snprintf (cmd, sizeof cmd, "'%s' bench engine --preset tiny --batch 4 --size 64 "
            "--iters 2 --repeats 3 --json", ddistill);
  FILE *p = popen (cmd, "r");
  if (!p)
    return NULL;
  size_t cap = 1 << 16, len = 0;
  char *text = malloc (cap);
  size_t got;
  while (text && (got = fread (text + len, 1, cap - 1 - len, p)) > 0)
    len += got;
  int status = pclose (p);
  if (!text || status != 0) {
    fprintf (stderr, "`%s` failed (status %d)\n", cmd, status);
    free (text);
    return NULL;
  }
  text[len] = '\0';
  return text;
}

static double
number (const dd_json *obj, const char *key)
{
  const dd_json *v = dd_json_get (obj, key);
  if (!v || v->type != DD_JSON_NUMBER) {
    fprintf (stderr, "no number '%s' in the output\n", key);
    CHECK (0);
    return NAN;
  }
  return v->number;
}

static const char *ddistill;

static void
test_bench_engine_json (void)
{
  char *text = run_bench (ddistill);
  CHECK (text != NULL);
  if (!text)
    return;
  char err[256];
  dd_json *obj = dd_json_parse (text, strlen (text), err, sizeof err);
  if (!obj)
    fprintf (stderr, "the output is not one JSON object: %s\n%s", err, text);
  CHECK (obj && obj->type == DD_JSON_OBJECT);
  if (obj && obj->type == DD_JSON_OBJECT) {
    for (size_t i = 0; i < sizeof positive_keys / sizeof positive_keys[0]; i++) {
      double v = number (obj, positive_keys[i]);
      if (!(v > 0 && isfinite (v)))
        fprintf (stderr, "%s = %g, expected a positive number\n", positive_keys[i], v);
      CHECK (v > 0 && isfinite (v));
    }
    double flops = number (obj, "flops_per_image");
    CHECK_CLOSE (number (obj, "infer_gflops"), number (obj, "infer_img_per_s") * flops / 1e9,
                 1e-3, 1e-6);
    CHECK_CLOSE (number (obj, "train_gflops"),
                 3 * number (obj, "train_img_per_s") * flops / 1e9, 1e-3, 1e-6);
    CHECK (number (obj, "batch") == 4);
    CHECK (number (obj, "size") == 64);
    const dd_json *name = dd_json_get (obj, "network");
    CHECK (name && name->type == DD_JSON_STRING && strcmp (name->str, "tiny") == 0);
  }
  dd_json_free (obj);
  free (text);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s PATH/TO/ddistill\n", argv[0]);
    return 2;
  }
  ddistill = argv[1];
  RUN_TEST (test_bench_engine_json);
  return check_exit_status ();
}
