/* Benchmark specs: which splits `ddistill synth` generates, how large, in
 * which style. A spec is JSON (the files in lib/data/benchmarks/, compiled
 * in as `test`, `quick` and `small`, or any file):
 *
 *   { "name", "description", "seed" (default 1),
 *     "image_format": "jpg" | "png", "jpeg_quality": 1..100,
 *     "people": { "min", "max", "min_height", "max_height" },
 *     "styles": { "similar": { "width", "height" }, "dissimilar": {...} },
 *     "splits": [
 *       { "name", "kind": "images", "style", "images", "hidden_truth" },
 *       { "name", "kind": "union", "of": [ earlier image splits ] },
 *       { "name", "kind": "videos", "style", "videos", "frames", "fps",
 *         "codecs": [ "h264", "vp8" ] } ] }
 *
 * Heights are fractions of the frame height; people counts are per frame.
 * Every field is checked, and a fault names the file and the field.
 */
#ifndef DD_DATA_SYNTH_SPEC_H
#define DD_DATA_SYNTH_SPEC_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "data/synth_scene.h"
#include "data/video_writer.h"

#define DD_SPEC_ERROR (dd_spec_error_quark ())
GQuark dd_spec_error_quark (void);

typedef enum {
  DD_SPEC_ERROR_IO,             /* the file cannot be read */
  DD_SPEC_ERROR_PARSE,          /* not JSON */
  DD_SPEC_ERROR_FIELD,          /* a field missing, of the wrong type or out of range */
} dd_spec_error;

typedef enum {
  DD_SPLIT_IMAGES,              /* stills with COCO ground truth */
  DD_SPLIT_UNION,               /* a COCO file over earlier image splits */
  DD_SPLIT_VIDEOS,              /* clips with per-frame sidecar ground truth */
} dd_split_kind;

#define DD_SPEC_MAX_PARTS 8

typedef struct dd_split {
  char *name;
  dd_split_kind kind;
  const dd_style *style;
  int width, height;            /* from the spec's styles */
  int count;                    /* images, or clips */
  bool hidden_truth;            /* images listed without labels; truth apart */
  int frames, fps;              /* per clip */
  int n_codecs;                 /* clips cycle through the codecs */
  dd_video_codec codecs[DD_VIDEO_CODEC_COUNT];
  int n_parts;                  /* a union's splits, as indices */
  int parts[DD_SPEC_MAX_PARTS];
} dd_split;

typedef struct dd_spec {
  char *name, *description;
  char *source;                 /* the file, or "built-in NAME" */
  uint64_t seed;                /* the default seed of a generation */
  char *image_format;           /* "jpg" or "png" */
  int jpeg_quality;
  dd_scene_limits limits;
  int n_splits;
  dd_split *splits;
  JsonNode *json;               /* the spec as read */
} dd_spec;

/* `test`, `quick`, `small`, or the path of a spec file. */
dd_spec *dd_spec_load (const char *name_or_path, GError **error);
dd_spec *dd_spec_parse (const char *json, gssize length, const char *source,
    GError **error);
void dd_spec_free (dd_spec *spec);

/* The built-in names, NULL-terminated. */
extern const char *const dd_spec_builtin[];

/* The split called `name`, or NULL. */
const dd_split *dd_spec_find_split (const dd_spec *spec, const char *name);

#endif
