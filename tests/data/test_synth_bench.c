/* Benchmark trees (lib/data/synth_bench.h): the same seed gives the same
 * files byte for byte, any image made alone equals its copy in the tree,
 * and the tree holds what the spec asks for, readable as COCO. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "data/coco.h"
#include "data/synth_bench.h"

typedef struct {
  dd_spec *spec;
  char *a, *b;                  /* two trees from the same seed */
} fixture;

static fixture fx;

enum { SEED = 7 };

static char *
path_in (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static GBytes *
read_bytes (const char *path)
{
  char *data;
  gsize size;
  GError *error = NULL;
  if (!g_file_get_contents (path, &data, &size, &error))
    g_error ("%s", error->message);
  return g_bytes_new_take (data, size);
}

/* Every file under `rel` of tree a has a byte-identical twin in tree b,
 * except the video containers, which record when they were written (their
 * frames are compared decoded, in test_synth_video). */
static int
compare_trees (const char *rel)
{
  g_autofree char *dir_a = path_in (fx.a, rel);
  GDir *dir = g_dir_open (dir_a, 0, NULL);
  g_assert_nonnull (dir);
  int files = 0;
  const char *name;
  while ((name = g_dir_read_name (dir))) {
    g_autofree char *sub = g_build_filename (rel, name, NULL);
    g_autofree char *pa = path_in (fx.a, sub), *pb = path_in (fx.b, sub);
    if (g_file_test (pa, G_FILE_TEST_IS_DIR)) {
      files += compare_trees (sub);
      continue;
    }
    if (g_str_has_suffix (name, ".mp4") || g_str_has_suffix (name, ".mkv")) {
      g_assert_true (g_file_test (pb, G_FILE_TEST_EXISTS));
      continue;
    }
    g_autoptr (GBytes) ba = read_bytes (pa), bb = read_bytes (pb);
    if (!g_bytes_equal (ba, bb))
      g_error ("%s differs between two generations with the same seed", sub);
    files++;
  }
  g_dir_close (dir);
  return files;
}

static void
test_same_seed_same_bytes (void)
{
  int files = compare_trees ("");
  /* 53 stills; 6 split files and 2 hidden truths; 2 sidecars; spec.json. */
  g_assert_cmpint (files, ==, 7 + 16 + 24 + 6 + 8 + 2 + 1);
}

static void
test_image_made_alone (void)
{
  const dd_split *split = dd_spec_find_split (fx.spec, "labeled-80");
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  dd_image *img = dd_bench_render_still (fx.spec, split, SEED, 5, truth);
  g_autofree char *name = dd_bench_image_name (fx.spec, split, 5);
  g_autofree char *alone = path_in (fx.b, "alone.jpg");
  g_assert_true (dd_image_save (img, alone, fx.spec->jpeg_quality, NULL));
  g_autofree char *in_tree = path_in (fx.a, name);
  g_autoptr (GBytes) x = read_bytes (alone), y = read_bytes (in_tree);
  g_assert_true (g_bytes_equal (x, y));
  g_unlink (alone);

  /* Its truth is the tree's, annotation by annotation. */
  g_autofree char *json = path_in (fx.a, "labeled-80.json");
  dd_coco_dataset *ds = dd_coco_read (json, NULL);
  g_assert_nonnull (ds);
  int64_t id = dd_bench_image_id (fx.spec, split, 5);
  int found = 0;
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations,
        dd_coco_annotation, i);
    if (a->image_id != id)
      continue;
    const dd_person_label *l = &truth->labels[found++];
    g_assert_cmpmem (a->keypoints, sizeof l->keypoints, l->keypoints,
        sizeof l->keypoints);
    g_assert_cmpmem (a->bbox, sizeof a->bbox, l->bbox, sizeof l->bbox);
    g_assert_cmpfloat (a->area, ==, l->area);
    g_assert_cmpint (a->num_keypoints, ==, l->num_keypoints);
  }
  g_assert_cmpint (found, ==, truth->n);

  /* Another seed, another image. */
  dd_image *other = dd_bench_render_still (fx.spec, split, SEED + 1, 5, truth);
  g_assert_true (memcmp (img->data, other->data, (size_t) img->width * img->height * 3));
  dd_image_free (other);
  dd_image_free (img);
  dd_coco_dataset_free (ds);
  g_free (truth);
}

static dd_coco_dataset *
read_tree_file (const char *name)
{
  g_autofree char *path = path_in (fx.a, name);
  GError *error = NULL;
  dd_coco_dataset *ds = dd_coco_read_full (path, fx.a,
      DD_COCO_READ_CHECK_IMAGES, &error);
  if (!ds)
    g_error ("%s", error->message);
  return ds;
}

static void
check_counts (const char *name, guint images, gboolean labelled)
{
  dd_coco_dataset *ds = read_tree_file (name);
  g_assert_cmpuint (ds->images->len, ==, images);
  g_assert_cmpint (ds->annotations->len > 0, ==, labelled);
  g_assert_cmpuint (ds->categories->len, ==, 1);
  const dd_coco_category *cat = &g_array_index (ds->categories, dd_coco_category, 0);
  g_assert_cmpint (cat->n_keypoints, ==, 17);
  g_assert_cmpstr (cat->keypoint_names[16], ==, "right_ankle");
  g_assert_cmpint (cat->n_skeleton, ==, 19);
  /* At most six people per image, every one with 17 keypoints. */
  GHashTable *per_image = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < ds->annotations->len; i++) {
    dd_coco_annotation *a = &g_array_index (ds->annotations, dd_coco_annotation, i);
    g_assert_cmpint (a->n_keypoints, ==, 17);
    int n = GPOINTER_TO_INT (g_hash_table_lookup (per_image, &a->image_id)) + 1;
    g_assert_cmpint (n, <=, 6);
    g_hash_table_insert (per_image, &a->image_id, GINT_TO_POINTER (n));
  }
  g_hash_table_destroy (per_image);
  dd_coco_dataset_free (ds);
}

static void
test_tree_contents (void)
{
  check_counts ("labeled-35.json", 7, TRUE);
  check_counts ("labeled-80.json", 16, TRUE);
  check_counts ("val.json", 6, TRUE);
  check_counts ("unlabeled-120.json", 24, FALSE);
  check_counts ("hidden/unlabeled-120.json", 24, TRUE);
  check_counts ("video-180.json", 36, FALSE);
  check_counts ("hidden/video-180.json", 36, TRUE);
  check_counts ("video-180/clip-000.json", 18, TRUE);

  /* The union lists its parts' images where they are, and all their
   * annotations. */
  dd_coco_dataset *u = read_tree_file ("labeled-115.json");
  dd_coco_dataset *p35 = read_tree_file ("labeled-35.json");
  dd_coco_dataset *p80 = read_tree_file ("labeled-80.json");
  g_assert_cmpuint (u->images->len, ==, p35->images->len + p80->images->len);
  g_assert_cmpuint (u->annotations->len, ==,
      p35->annotations->len + p80->annotations->len);
  g_assert_cmpstr (g_array_index (u->images, dd_coco_image, 0).file_name, ==,
      "labeled-35/images/000000.jpg");
  g_assert_cmpstr (g_array_index (u->images, dd_coco_image, 7).file_name, ==,
      "labeled-80/images/000000.jpg");
  dd_coco_dataset_free (u);
  dd_coco_dataset_free (p35);
  dd_coco_dataset_free (p80);
}

/* A clip's sidecar: one image per frame at its presentation time, and the
 * truth of any frame made again alone. */
static void
test_sidecar_frames (void)
{
  const dd_split *split = dd_spec_find_split (fx.spec, "video-180");
  dd_coco_dataset *ds = read_tree_file ("video-180/clip-001.json");
  for (guint f = 0; f < ds->images->len; f++) {
    const dd_coco_image *im = &g_array_index (ds->images, dd_coco_image, f);
    g_assert_cmpint (im->timestamp_ns, ==, (int64_t) f * 100000000);
    g_assert_cmpstr (im->file_name, ==, "video-180/clip-001.mkv");
    g_assert_cmpstr (im->source_uri, ==, "video-180/clip-001.mkv");
    g_assert_cmpint (im->id, ==, dd_bench_frame_id (fx.spec, split, 1, (int) f));
  }
  dd_scene *scene = g_new (dd_scene, 1);
  dd_bench_clip_scene (fx.spec, split, SEED, 1, scene);
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  cairo_surface_t *s = dd_synth_render (scene, 0.7, 7, NULL, truth);
  cairo_surface_destroy (s);
  int64_t id = dd_bench_frame_id (fx.spec, split, 1, 7);
  int found = 0;
  for (guint i = 0; i < ds->annotations->len; i++) {
    const dd_coco_annotation *a = &g_array_index (ds->annotations,
        dd_coco_annotation, i);
    if (a->image_id == id) {
      g_assert_cmpmem (a->keypoints, 17 * 3 * sizeof (float),
          truth->labels[found].keypoints, 17 * 3 * sizeof (float));
      found++;
    }
  }
  g_assert_cmpint (found, ==, truth->n);
  g_free (truth);
  g_free (scene);
  dd_coco_dataset_free (ds);
}

/* The generator's output as of DD_SYNTH_GENERATOR_VERSION, pinned: a
 * change to what is drawn or labelled fails here until the version is
 * raised (synth_bench.h) and the new checksum pinned with it, so that
 * trees made before are refused rather than reused. Pixels and labels of
 * a few stills, as rendered (before JPEG). */
static const struct {
  int version;
  const char *sha256;
} pinned_output = { 1,
  "3d8b16da357e2bb6d77d2662b5c797cb25967a732eea45dd5bb6dcd7cb505015" };

static void
test_generator_output_pinned (void)
{
  const dd_split *split = dd_spec_find_split (fx.spec, "val");
  dd_frame_truth *truth = g_new (dd_frame_truth, 1);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (int i = 0; i < 4; i++) {
    dd_image *img = dd_bench_render_still (fx.spec, split, SEED, i, truth);
    g_checksum_update (sum, img->data, (gssize) img->width * img->height * 3);
    for (int k = 0; k < truth->n; k++) {
      const dd_person_label *l = &truth->labels[k];
      g_checksum_update (sum, (const guchar *) l->keypoints, sizeof l->keypoints);
      g_checksum_update (sum, (const guchar *) l->bbox, sizeof l->bbox);
      g_checksum_update (sum, (const guchar *) &l->area, sizeof l->area);
    }
    dd_image_free (img);
  }
  const char *now = g_checksum_get_string (sum);
  if (pinned_output.version != DD_SYNTH_GENERATOR_VERSION
      || strcmp (now, pinned_output.sha256) != 0)
    g_error ("the generator's output is pinned at version %d as %s; it is now "
        "%s at version %d. If you changed what is drawn or labelled, raise "
        "DD_SYNTH_GENERATOR_VERSION and pin the new checksum with it.",
        pinned_output.version, pinned_output.sha256, now,
        DD_SYNTH_GENERATOR_VERSION);
  g_checksum_free (sum);
  g_free (truth);
}

/* A tree's spec.json records the generator's version and reads back as
 * its spec; a tree that records another version, none, or not an integer
 * is refused, naming its spec.json and what it records; and a tree is not
 * generated over another generator's. */
static void
test_tree_of_another_generator_refused (void)
{
  GError *error = NULL;
  g_assert_true (dd_bench_check_tree (fx.a, &error));
  g_assert_no_error (error);
  g_autofree char *made = path_in (fx.a, "spec.json");
  dd_spec *again = dd_spec_load (made, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->n_splits, ==, fx.spec->n_splits);
  dd_spec_free (again);

  g_autofree char *dir = g_dir_make_tmp ("ddistill-synth-old-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *spec = path_in (dir, "spec.json");
  g_autofree char *newer = g_strdup_printf ("{\"name\": \"test\", "
      "\"generator_version\": %d}", DD_SYNTH_GENERATOR_VERSION + 1);
  g_autofree char *newer_said = g_strdup_printf ("made by version %d",
      DD_SYNTH_GENERATOR_VERSION + 1);
  const struct { const char *contents, *said; } cases[] = {
    { newer, newer_said },
    { "{\"name\": \"test\"}", "made by a generator from before versions" },
    { "{\"name\": \"test\", \"generator_version\": \"1\"}", "not an integer" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_assert_true (g_file_set_contents (spec, cases[i].contents, -1, NULL));
    g_assert_false (dd_bench_check_tree (dir, &error));
    g_assert_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD);
    g_assert_nonnull (strstr (error->message, spec));
    g_assert_nonnull (strstr (error->message, cases[i].said));
    g_clear_error (&error);
  }

  g_assert_false (dd_bench_generate (fx.spec, dir, SEED, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "remove the folder"));
  g_clear_error (&error);
  g_autofree char *hidden = path_in (dir, "hidden");
  g_assert_false (g_file_test (hidden, G_FILE_TEST_EXISTS));
  g_remove (spec);
  g_remove (dir);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir) {
    const char *name;
    while ((name = g_dir_read_name (dir))) {
      g_autofree char *sub = g_build_filename (path, name, NULL);
      remove_tree (sub);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

/* spec.json is written last: a generation that fails leaves a tree
 * without it, which ddistill distill makes again instead of using. */
static void
test_failed_generation_leaves_no_spec (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ddistill-synth-fail-XXXXXX", &error);
  g_assert_no_error (error);
  /* A file where the first split's folder goes. */
  g_autofree char *blocker = path_in (dir, fx.spec->splits[0].name);
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  g_assert_false (dd_bench_generate (fx.spec, dir, SEED, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_autofree char *spec = path_in (dir, "spec.json");
  g_assert_false (g_file_test (spec, G_FILE_TEST_EXISTS));
  remove_tree (dir);
}

static dd_spec *
tiny_spec (const char *split)
{
  g_autofree char *text = g_strdup_printf ("{ \"name\": \"tiny\", "
      "\"description\": \"d\", \"image_format\": \"png\", \"people\": "
      "{ \"min\": 0, \"max\": 1, \"min_height\": 0.2, \"max_height\": 0.8 }, "
      "\"styles\": { \"similar\": { \"width\": 32, \"height\": 24 } }, "
      "\"splits\": [ { \"name\": \"%s\", \"kind\": \"images\", "
      "\"style\": \"similar\", \"images\": 2 } ] }", split);
  GError *error = NULL;
  dd_spec *spec = dd_spec_parse (text, -1, "tiny.json", &error);
  g_assert_no_error (error);
  return spec;
}

/* A tree is made again from its own spec and seed, and refused to another
 * spec or seed, whose files would be mixed with its own; the refused
 * generation writes nothing. */
static void
test_tree_of_another_spec_refused (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ddistill-synth-other-XXXXXX", &error);
  g_assert_no_error (error);
  dd_spec *first = tiny_spec ("a"), *other = tiny_spec ("b");
  g_assert_true (dd_bench_generate (first, dir, 1, NULL, NULL, &error));
  g_assert_true (dd_bench_generate (first, dir, 1, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *spec = path_in (dir, "spec.json");
  g_autoptr (GBytes) made = read_bytes (spec);

  const struct { const dd_spec *spec; uint64_t seed; const char *said; } cases[] = {
    { first, 2, "holds another seed's benchmark: its spec.json records seed 1, not 2" },
    { other, 1, "holds another spec's benchmark: its spec.json records the "
      "spec 'tiny', which differs from the spec 'tiny' asked for now" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_assert_false (dd_bench_generate (cases[i].spec, dir, cases[i].seed,
            NULL, NULL, &error));
    g_assert_error (error, DD_SPEC_ERROR, DD_SPEC_ERROR_FIELD);
    g_test_message ("%s", error->message);
    g_assert_true (g_str_has_prefix (error->message, dir));
    g_assert_nonnull (strstr (error->message, cases[i].said));
    g_assert_nonnull (strstr (error->message, "use another --out"));
    g_clear_error (&error);
    g_autoptr (GBytes) now = read_bytes (spec);
    g_assert_true (g_bytes_equal (now, made));
  }
  g_autofree char *b = path_in (dir, "b");
  g_assert_false (g_file_test (b, G_FILE_TEST_EXISTS));
  dd_spec_free (first);
  dd_spec_free (other);
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  GError *error = NULL;
  fx.spec = dd_spec_load ("test", &error);
  g_assert_no_error (error);
  fx.a = g_dir_make_tmp ("ddistill-synth-a-XXXXXX", &error);
  fx.b = g_dir_make_tmp ("ddistill-synth-b-XXXXXX", &error);
  g_assert_no_error (error);
  if (!dd_bench_generate (fx.spec, fx.a, SEED, NULL, NULL, &error)
      || !dd_bench_generate (fx.spec, fx.b, SEED, NULL, NULL, &error))
    g_error ("%s", error->message);
  g_test_add_func ("/synth/bench/same-seed-same-bytes", test_same_seed_same_bytes);
  g_test_add_func ("/synth/bench/image-made-alone", test_image_made_alone);
  g_test_add_func ("/synth/bench/tree-contents", test_tree_contents);
  g_test_add_func ("/synth/bench/sidecar-frames", test_sidecar_frames);
  g_test_add_func ("/synth/bench/generator-output-pinned",
      test_generator_output_pinned);
  g_test_add_func ("/synth/bench/tree-of-another-generator-refused",
      test_tree_of_another_generator_refused);
  g_test_add_func ("/synth/bench/failed-generation-leaves-no-spec",
      test_failed_generation_leaves_no_spec);
  g_test_add_func ("/synth/bench/tree-of-another-spec-refused",
      test_tree_of_another_spec_refused);
  int status = g_test_run ();
  remove_tree (fx.a);
  remove_tree (fx.b);
  g_free (fx.a);
  g_free (fx.b);
  dd_spec_free (fx.spec);
  return status;
}
