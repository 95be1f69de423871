/* Generating benchmark trees: stills, unions and clips with their COCO
 * ground truth. */
#include "synth_bench.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "data/video_writer.h"

/* Ids: split s (its position in the spec) owns [(s + 1) * 1e8, (s + 2) * 1e8);
 * clip c's frames start at c * 1e5. Annotation ids are image id * 10 + k. */
#define SPLIT_ID_BASE 100000000LL
#define CLIP_ID_BASE 100000LL

static uint64_t
fnv1a (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (uint8_t) *s) * 0x100000001b3ULL;
  return h;
}

/* The stream of item `index` of a split: splits never share a stream. */
static void
seed_item (dd_rng *rng, uint64_t seed, const dd_split *split, int index)
{
  dd_rng_seed (rng, seed, (fnv1a (split->name) << 24) ^ (uint64_t) index);
}

void
dd_bench_still_scene (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int index, dd_scene *scene)
{
  dd_rng rng;
  seed_item (&rng, seed, split, index);
  dd_scene_sample (split->style, split->width, split->height, &spec->limits,
      0, &rng, scene);
}

void
dd_bench_clip_scene (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int clip, dd_scene *scene)
{
  dd_rng rng;
  seed_item (&rng, seed, split, clip);
  dd_scene_sample (split->style, split->width, split->height, &spec->limits,
      (double) split->frames / split->fps, &rng, scene);
}

dd_image *
dd_bench_render_still (const dd_spec *spec, const dd_split *split,
    uint64_t seed, int index, dd_frame_truth *truth)
{
  dd_scene *scene = g_new (dd_scene, 1);
  dd_bench_still_scene (spec, split, seed, index, scene);
  cairo_surface_t *surface = dd_synth_render (scene, 0, 0, NULL, truth);
  dd_image *img = dd_synth_surface_to_image (surface);
  cairo_surface_destroy (surface);
  g_free (scene);
  return img;
}

static int
split_position (const dd_spec *spec, const dd_split *split)
{
  return (int) (split - spec->splits);
}

char *
dd_bench_image_name (const dd_spec *spec, const dd_split *split, int index)
{
  return g_strdup_printf ("%s/images/%06d.%s", split->name, index,
      spec->image_format);
}

char *
dd_bench_clip_name (const dd_split *split, int clip)
{
  return g_strdup_printf ("%s/clip-%03d%s", split->name, clip,
      dd_video_codec_extension (split->codecs[clip % split->n_codecs]));
}

int64_t
dd_bench_image_id (const dd_spec *spec, const dd_split *split, int index)
{
  return (split_position (spec, split) + 1) * SPLIT_ID_BASE + index + 1;
}

int64_t
dd_bench_frame_id (const dd_spec *spec, const dd_split *split, int clip,
    int frame)
{
  return (split_position (spec, split) + 1) * SPLIT_ID_BASE
      + clip * CLIP_ID_BASE + frame + 1;
}

void
dd_bench_add_person_category (dd_coco_dataset *ds)
{
  dd_coco_category cat = {
    .id = 1, .name = "person", .supercategory = "person",
    .n_keypoints = DD_KP_COUNT, .keypoint_names = (char **) dd_keypoint_names,
    .n_skeleton = DD_SKELETON_EDGES, .skeleton = (int (*)[2]) dd_skeleton,
  };
  dd_coco_add_category (ds, &cat);
}

void
dd_bench_add_truth (dd_coco_dataset *ds, int64_t image_id,
    const dd_frame_truth *truth)
{
  for (int k = 0; k < truth->n; k++) {
    const dd_person_label *l = &truth->labels[k];
    dd_coco_annotation ann = {
      .id = image_id * 10 + k, .image_id = image_id, .category_id = 1,
      .bbox = { l->bbox[0], l->bbox[1], l->bbox[2], l->bbox[3] },
      .area = l->area, .num_keypoints = l->num_keypoints,
      .n_keypoints = DD_KP_COUNT, .keypoints = (float *) l->keypoints,
    };
    dd_coco_add_annotation (ds, &ann);
  }
}

/* An empty dataset with the person category and an info block saying
 * where it came from. */
static dd_coco_dataset *
new_dataset (const dd_spec *spec, const dd_split *split, uint64_t seed,
    const char *what)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  dd_bench_add_person_category (ds);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "description");
  g_autofree char *desc = g_strdup_printf ("ddistill synthetic people: split "
      "'%s' of benchmark '%s', %s", split->name, spec->name, what);
  json_builder_add_string_value (b, desc);
  json_builder_set_member_name (b, "benchmark");
  json_builder_add_string_value (b, spec->name);
  json_builder_set_member_name (b, "split");
  json_builder_add_string_value (b, split->name);
  json_builder_set_member_name (b, "style");
  json_builder_add_string_value (b, split->style->name);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) seed);
  json_builder_set_member_name (b, "image_root");
  json_builder_add_string_value (b, "file_name is relative to the folder "
      "holding spec.json");
  json_builder_end_object (b);
  ds->info = json_builder_get_root (b);
  return ds;
}

/* The images of `ds` without their annotations. */
static dd_coco_dataset *
images_only (const dd_spec *spec, const dd_split *split, uint64_t seed,
    const dd_coco_dataset *ds)
{
  dd_coco_dataset *out = new_dataset (spec, split, seed,
      "images only: the truth is under hidden/");
  for (guint i = 0; i < ds->images->len; i++)
    dd_coco_add_image (out, &g_array_index (ds->images, dd_coco_image, i));
  return out;
}

static gboolean
make_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: cannot create the folder: %s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
write_dataset (const dd_coco_dataset *ds, const char *dir, const char *sub,
    const char *name, GError **error)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, sub ? sub : file, sub ? file
      : NULL, NULL);
  return dd_coco_write (ds, path, error);
}

static gboolean
generate_images (const dd_spec *spec, const dd_split *split, const char *dir,
    uint64_t seed, dd_bench_progress progress, void *user,
    dd_coco_dataset **out, GError **error)
{
  g_autofree char *folder = g_build_filename (dir, split->name, "images", NULL);
  if (!make_dir (folder, error))
    return FALSE;
  dd_coco_dataset *ds = new_dataset (spec, split, seed, "stills");
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  gboolean ok = TRUE;
  for (int i = 0; i < split->count && ok; i++) {
    dd_image *img = dd_bench_render_still (spec, split, seed, i, truth);
    g_autofree char *name = dd_bench_image_name (spec, split, i);
    g_autofree char *path = g_build_filename (dir, name, NULL);
    ok = dd_image_save (img, path, spec->jpeg_quality, error);
    dd_coco_image image = { .id = dd_bench_image_id (spec, split, i),
      .file_name = name, .width = img->width, .height = img->height,
      .timestamp_ns = -1 };
    dd_coco_add_image (ds, &image);
    dd_bench_add_truth (ds, image.id, truth);
    dd_image_free (img);
    if (progress)
      progress (split->name, i + 1, split->count, user);
  }
  g_free (truth);
  if (ok && split->hidden_truth) {
    dd_coco_dataset *listing = images_only (spec, split, seed, ds);
    ok = write_dataset (ds, dir, "hidden", split->name, error)
        && write_dataset (listing, dir, NULL, split->name, error);
    dd_coco_dataset_free (listing);
  } else if (ok) {
    ok = write_dataset (ds, dir, NULL, split->name, error);
  }
  if (!ok) {
    dd_coco_dataset_free (ds);
    return FALSE;
  }
  *out = ds;
  return TRUE;
}

static void
copy_entries (dd_coco_dataset *to, const dd_coco_dataset *from)
{
  for (guint i = 0; i < from->images->len; i++)
    dd_coco_add_image (to, &g_array_index (from->images, dd_coco_image, i));
  for (guint i = 0; i < from->annotations->len; i++)
    dd_coco_add_annotation (to, &g_array_index (from->annotations,
            dd_coco_annotation, i));
}

static gboolean
generate_union (const dd_spec *spec, const dd_split *split, const char *dir,
    uint64_t seed, dd_coco_dataset **made, GError **error)
{
  GString *parts = g_string_new (NULL);
  for (int p = 0; p < split->n_parts; p++)
    g_string_append_printf (parts, "%s%s", p ? " + " : "",
        spec->splits[split->parts[p]].name);
  g_autofree char *what = g_strdup_printf ("the union %s", parts->str);
  g_string_free (parts, TRUE);
  dd_coco_dataset *ds = new_dataset (spec, split, seed, what);
  for (int p = 0; p < split->n_parts; p++)
    copy_entries (ds, made[split->parts[p]]);
  gboolean ok = write_dataset (ds, dir, NULL, split->name, error);
  dd_coco_dataset_free (ds);
  return ok;
}

/* One clip: its frames go to the encoder, their truth to the clip's
 * sidecar and to the split's datasets. */
static gboolean
generate_clip (const dd_spec *spec, const dd_split *split, const char *dir,
    uint64_t seed, int clip, dd_coco_dataset *all, dd_bench_progress progress,
    void *user, GError **error)
{
  g_autofree char *name = dd_bench_clip_name (split, clip);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  dd_video_codec codec = split->codecs[clip % split->n_codecs];
  dd_video_writer *w = dd_video_writer_new (path, codec, split->width,
      split->height, split->fps, error);
  if (!w)
    return FALSE;
  dd_scene *scene = g_new (dd_scene, 1);
  dd_bench_clip_scene (spec, split, seed, clip, scene);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  g_autofree char *what = g_strdup_printf ("sidecar of %s: the truth of "
      "every frame", name);
  dd_coco_dataset *sidecar = new_dataset (spec, split, seed, what);
  gboolean ok = TRUE;
  for (int f = 0; f < split->frames && ok; f++) {
    uint64_t ts = dd_video_frame_time ((uint64_t) f, split->fps);
    cairo_surface_t *surface = dd_synth_render (scene, ts / 1e9, (uint64_t) f,
        NULL, truth);
    dd_image *img = dd_synth_surface_to_image (surface);
    cairo_surface_destroy (surface);
    ok = dd_video_writer_push (w, img, error);
    dd_coco_image image = { .id = dd_bench_frame_id (spec, split, clip, f),
      .file_name = name, .width = img->width, .height = img->height,
      .source_uri = name, .timestamp_ns = (int64_t) ts };
    dd_image_free (img);
    dd_coco_add_image (sidecar, &image);
    dd_bench_add_truth (sidecar, image.id, truth);
    if (progress)
      progress (split->name, clip * split->frames + f + 1,
          split->count * split->frames, user);
  }
  g_free (truth);
  g_free (scene);
  if (ok)
    ok = dd_video_writer_finish (w, error);
  else
    dd_video_writer_finish (w, NULL);
  g_autofree char *sidecar_name = g_strdup_printf ("clip-%03d", clip);
  if (ok)
    ok = write_dataset (sidecar, dir, split->name, sidecar_name, error);
  if (ok)
    copy_entries (all, sidecar);
  dd_coco_dataset_free (sidecar);
  return ok;
}

static gboolean
generate_videos (const dd_spec *spec, const dd_split *split, const char *dir,
    uint64_t seed, dd_bench_progress progress, void *user, GError **error)
{
  g_autofree char *folder = g_build_filename (dir, split->name, NULL);
  if (!make_dir (folder, error))
    return FALSE;
  dd_coco_dataset *all = new_dataset (spec, split, seed, "every frame of "
      "every clip");
  gboolean ok = TRUE;
  for (int c = 0; c < split->count && ok; c++)
    ok = generate_clip (spec, split, dir, seed, c, all, progress, user, error);
  if (ok) {
    dd_coco_dataset *listing = images_only (spec, split, seed, all);
    ok = write_dataset (all, dir, "hidden", split->name, error)
        && write_dataset (listing, dir, NULL, split->name, error);
    dd_coco_dataset_free (listing);
  }
  dd_coco_dataset_free (all);
  return ok;
}

/* What spec.json holds: the spec as read, with the seed actually used and
 * the generator's version. */
static JsonNode *
spec_record (const dd_spec *spec, uint64_t seed)
{
  JsonNode *copy = json_node_copy (spec->json);
  JsonObject *o = json_node_get_object (copy);
  json_object_set_int_member (o, "seed", (gint64) seed);
  json_object_set_int_member (o, "generator_version", DD_SYNTH_GENERATOR_VERSION);
  return copy;
}

static gboolean
write_spec (const dd_spec *spec, const char *dir, uint64_t seed, GError **error)
{
  JsonNode *record = spec_record (spec, seed);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, record);
  json_node_unref (record);
  g_autofree char *path = g_build_filename (dir, "spec.json", NULL);
  return json_generator_to_file (gen, path, error);
}

/* A member of a spec.json as text, "?" when it is not of `type`. */
static char *
record_member (JsonObject *o, const char *name, GType type)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != type)
    return g_strdup ("?");
  return type == G_TYPE_STRING ? g_strdup (json_node_get_string (n))
      : g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
}

gboolean
dd_bench_check_spec (const dd_spec *spec, const char *dir, uint64_t seed,
    GError **error)
{
  g_autofree char *path = g_build_filename (dir, "spec.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  JsonNode *earlier = json_parser_get_root (parser);
  JsonNode *now = spec_record (spec, seed);
  gboolean same = json_node_equal (earlier, now);
  json_node_unref (now);
  if (same)
    return TRUE;
  JsonObject *o = json_node_get_object (earlier);
  g_autofree char *was_seed = record_member (o, "seed", G_TYPE_INT64);
  g_autofree char *was_name = record_member (o, "name", G_TYPE_STRING);
  g_autofree char *asked = g_strdup_printf ("%" G_GUINT64_FORMAT, seed);
  g_autofree char *what = strcmp (was_seed, asked) != 0
      ? g_strdup_printf ("another seed's benchmark: its spec.json records "
          "seed %s, not %s", was_seed, asked)
      : g_strdup_printf ("another spec's benchmark: its spec.json records "
          "the spec '%s', which differs from the spec '%s' asked for now",
          was_name, spec->name);
  g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD, "%s holds %s", dir, what);
  return FALSE;
}

gboolean
dd_bench_check_tree (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "spec.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD,
        "%s: not a benchmark's spec (a JSON object)", path);
    return FALSE;
  }
  JsonNode *member = json_object_get_member (json_node_get_object (root),
      "generator_version");
  if (member && !(JSON_NODE_HOLDS_VALUE (member)
          && json_node_get_value_type (member) == G_TYPE_INT64)) {
    g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD,
        "%s: generator_version: not an integer", path);
    return FALSE;
  }
  gint64 version = member ? json_node_get_int (member) : 0;
  if (version == DD_SYNTH_GENERATOR_VERSION)
    return TRUE;
  g_autofree char *made = member
      ? g_strdup_printf ("version %" G_GINT64_FORMAT, version)
      : g_strdup ("a generator from before versions were recorded");
  g_set_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD,
      "%s: generator_version: this benchmark was made by %s, and this "
      "ddistill generates version %d, whose images or labels differ", path,
      made, DD_SYNTH_GENERATOR_VERSION);
  return FALSE;
}

gboolean
dd_bench_generate (const dd_spec *spec, const char *dir, uint64_t seed,
    dd_bench_progress progress, void *user, GError **error)
{
  /* Files of another generator's tree would be left beside the new ones. */
  g_autofree char *earlier = g_build_filename (dir, "spec.json", NULL);
  g_autoptr (GError) stale = NULL;
  if (g_file_test (earlier, G_FILE_TEST_EXISTS)) {
    if (!dd_bench_check_tree (dir, &stale)) {
      g_set_error (error, stale->domain, stale->code, "%s; remove the folder, "
          "or generate into another", stale->message);
      return FALSE;
    }
    /* Generating over a tree of another spec or seed would leave its files
     * beside the new ones, with a spec.json that describes only the new.
     * The same spec and seed make the same files again. */
    g_autoptr (GError) other = NULL;
    if (!dd_bench_check_spec (spec, dir, seed, &other)) {
      g_set_error (error, other->domain, other->code, "%s; generating over it would "
          "mix the two trees: use another --out, or remove the folder", other->message);
      return FALSE;
    }
  }
  g_autofree char *hidden = g_build_filename (dir, "hidden", NULL);
  if (!make_dir (hidden, error))
    return FALSE;
  dd_coco_dataset **made = g_new0 (dd_coco_dataset *, spec->n_splits);
  gboolean ok = TRUE;
  for (int s = 0; s < spec->n_splits && ok; s++) {
    const dd_split *split = &spec->splits[s];
    switch (split->kind) {
      case DD_SPLIT_IMAGES:
        ok = generate_images (spec, split, dir, seed, progress, user, &made[s],
            error);
        break;
      case DD_SPLIT_UNION:
        ok = generate_union (spec, split, dir, seed, made, error);
        break;
      case DD_SPLIT_VIDEOS:
        ok = generate_videos (spec, split, dir, seed, progress, user, error);
        break;
    }
  }
  for (int s = 0; s < spec->n_splits; s++)
    dd_coco_dataset_free (made[s]);
  g_free (made);
  /* Last, so that a tree whose generation failed or was stopped has none
   * and is made again rather than taken as whole. */
  return ok && write_spec (spec, dir, seed, error);
}
