/* The shared real fixtures: real COCO val2017 images and annotations that
 * the repository does not hold. They live in the folder the `fixtures`
 * meson option names (default: ../shared/fixtures beside the source
 * tree); tests/meson.build hands its coco-real folder to the tests that
 * read it as DD_COCO_REAL_DIR (coco_real_dep). Such a test calls
 * dd_require_coco_real() first, so a missing folder fails it with the
 * path and the fix, not with an assertion deep inside a reader. libc only. */
#ifndef DD_TESTS_COCO_REAL_H
#define DD_TESTS_COCO_REAL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef DD_COCO_REAL_DIR
#error "DD_COCO_REAL_DIR is undefined: add coco_real_dep (tests/meson.build) to this test"
#endif

static inline void
dd_require_coco_real (void)
{
  struct stat st;
  if (stat (DD_COCO_REAL_DIR, &st) == 0 && S_ISDIR (st.st_mode))
    return;
  fprintf (stderr, "test fixtures missing: %s: %s; this test reads the shared real COCO "
           "fixtures, configure with -Dfixtures=FOLDER (the folder holding coco-real/; "
           "default <source root>/../shared/fixtures)\n", DD_COCO_REAL_DIR,
           errno ? strerror (errno) : "not a folder");
  exit (1);
}

#endif
