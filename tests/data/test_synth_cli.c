/* `ddistill synth` as a user runs it: the test spec's tree, readable as
 * COCO with every image in place; the contact sheet; usage and spec
 * errors with the right exit status. argv[1] is the ddistill program. */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "data/coco.h"

static const char *ddistill;
static char *tmp_dir;

/* Runs ddistill with the arguments; returns the exit status. */
static int
run (char **err_text, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) ddistill);
  va_list ap;
  va_start (ap, err_text);
  const char *a;
  while ((a = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  int status;
  GError *error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err_text, &status, &error));
  g_assert_no_error (error);
  g_ptr_array_free (argv, TRUE);
  g_test_message ("%s", *err_text);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_generate (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "tree", NULL);
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();
  g_assert_cmpint (run (&err, "synth", "--spec", "test", "--out", out, "--seed",
          "5", NULL), ==, 0);
  double secs = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("ddistill synth --spec test: %.2f s", secs);
  g_assert_nonnull (strstr (err, "labeled-35"));
  g_assert_nonnull (strstr (err, "video-180"));
  g_assert_nonnull (strstr (err, "seed 5"));

  static const struct {
    const char *file;
    guint images;
  } expect[] = {
    { "labeled-35.json", 7 }, { "labeled-80.json", 16 },
    { "labeled-115.json", 23 }, { "unlabeled-120.json", 24 },
    { "hidden/unlabeled-120.json", 24 }, { "val.json", 6 },
    { "video-180.json", 36 }, { "hidden/video-180.json", 36 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (expect); i++) {
    g_autofree char *path = g_build_filename (out, expect[i].file, NULL);
    GError *error = NULL;
    dd_coco_dataset *ds = dd_coco_read_full (path, out,
        DD_COCO_READ_CHECK_IMAGES, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ds->images->len, ==, expect[i].images);
    dd_coco_dataset_free (ds);
  }
  g_autofree char *spec = g_build_filename (out, "spec.json", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (spec, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"seed\" : 5"));
}

static void
test_contact_sheet (void)
{
  g_autofree char *png = g_build_filename (tmp_dir, "sheet.png", NULL);
  g_autofree char *err = NULL;
  g_assert_cmpint (run (&err, "synth", "--contact-sheet", png, "--spec", "test",
          NULL), ==, 0);
  cairo_surface_t *s = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  /* Four frames a row at twice their size. */
  g_assert_cmpint (cairo_image_surface_get_width (s), >, 4 * 2 * 128);
  cairo_surface_destroy (s);
  g_unlink (png);
}

static void
test_errors (void)
{
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
  g_assert_cmpint (run (&e1, "synth", NULL), ==, 2);
  g_assert_nonnull (strstr (e1, "--out DIR is required"));
  g_assert_cmpint (run (&e2, "synth", "--spec", "nosuch", "--out", tmp_dir, NULL), ==, 1);
  g_assert_nonnull (strstr (e2, "nosuch"));
  g_assert_cmpint (run (&e3, "synth", "--out", tmp_dir, "--seed", "-4", NULL), ==, 2);
  g_assert_nonnull (strstr (e3, "--seed"));
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad, "{ \"name\": 3 }", -1, NULL));
  g_assert_cmpint (run (&e4, "synth", "--spec", bad, "--out", tmp_dir, NULL), ==, 1);
  g_assert_nonnull (strstr (e4, "bad.json: name: must be a string"));
  g_unlink (bad);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test_synth_cli PATH-TO-DDISTILL");
  ddistill = argv[1];
  GError *error = NULL;
  tmp_dir = g_dir_make_tmp ("ddistill-cli-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/synth/cli/generate", test_generate);
  g_test_add_func ("/synth/cli/contact-sheet", test_contact_sheet);
  g_test_add_func ("/synth/cli/errors", test_errors);
  int status = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
