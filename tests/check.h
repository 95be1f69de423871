/* A minimal test harness with no dependency beyond libc, so the engine's
 * tests build on a bare GPU machine. Each test program runs its cases,
 * reports each failed assertion with file and line, and exits non-zero when
 * any failed (77, meson's "skipped", through CHECK_SKIP). */
#ifndef DD_TESTS_CHECK_H
#define DD_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,    \
               #cond);                                                     \
      check_failures++;                                                    \
    }                                                                      \
  } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, rtol, atol)                                      \
  do {                                                                     \
    double check_a_ = (a), check_b_ = (b);                                 \
    if (!(fabs (check_a_ - check_b_) <= (atol) + (rtol) * fabs (check_b_))) { \
      fprintf (stderr, "%s:%d: CHECK_CLOSE failed: %s = %.9g, %s = %.9g\n",\
               __FILE__, __LINE__, #a, check_a_, #b, check_b_);            \
      check_failures++;                                                    \
    }                                                                      \
  } while (0)

#define RUN_TEST(fn)                                                       \
  do {                                                                     \
    int check_before_ = check_failures;                                    \
    fn ();                                                                 \
    fprintf (stderr, "%s %s\n",                                            \
             check_failures == check_before_ ? "ok  " : "FAIL", #fn);      \
  } while (0)

#define CHECK_SKIP(reason)                                                 \
  do {                                                                     \
    fprintf (stderr, "skipped: %s\n", reason);                             \
    exit (77);                                                             \
  } while (0)

static inline int
check_exit_status (void)
{
  if (check_failures)
    fprintf (stderr, "%d check(s) failed\n", check_failures);
  return check_failures ? 1 : 0;
}

#endif
