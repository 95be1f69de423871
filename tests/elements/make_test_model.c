/* Writes the tests' model folder (the `tiny` preset with seeded weights:
 * fixtures.h) under argv[1] and prints its path, for the gst-launch-1.0
 * tests, which cannot build one themselves. */
#include <stdio.h>

#include "fixtures.h"

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s PARENT_FOLDER\n", argv[0]);
    return 2;
  }
  fixture_init_child (&argc, &argv);
  char *dir = fixture_make_model (argv[1], 7);
  printf ("%s\n", dir);
  g_free (dir);
  return 0;
}
