/* The engine worker: jobs run on its one thread, one at a time, in the
 * order they were submitted, each exactly once; results and error messages
 * come back to the submitter, synchronously or later; several threads
 * submit at once; shutdown finishes the running job and cancels the queued
 * ones; a backend that cannot be created is reported; every backend
 * built does its work on the worker. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "nn/worker.h"

/* What the jobs record. Only jobs touch it (one at a time, on the worker)
 * until the submitters have waited for them. */
static struct {
  int running;                  /* jobs inside fn right now */
  int overlaps;                 /* times a job started while another ran */
  long ran;
  pthread_t worker;
  int other_thread;             /* a job ran on a thread other than the first's */
} seen;

typedef struct count_job {
  long *slot;                   /* where to write this job's turn */
  int fail;
} count_job;

static void
enter (void)
{
  if (seen.running++)
    seen.overlaps++;
  if (seen.ran == 0)
    seen.worker = pthread_self ();
  else if (!pthread_equal (seen.worker, pthread_self ()))
    seen.other_thread = 1;
}

static int
count (dd_backend *be, void *arg, char *err, size_t err_len)
{
  count_job *job = arg;
  (void) be;
  enter ();
  *job->slot = seen.ran++;
  seen.running--;
  if (job->fail) {
    snprintf (err, err_len, "job %ld failed on purpose", *job->slot);
    return -1;
  }
  return 0;
}

static void
reset_seen (void)
{
  memset (&seen, 0, sizeof seen);
}

static dd_worker *
start (const char *backend)
{
  char err[256];
  dd_worker *w = dd_worker_new (backend, err, sizeof err);
  if (!w) {
    fprintf (stderr, "%s\n", err);
    check_failures++;
  }
  return w;
}

static void
test_run_and_errors (void)
{
  reset_seen ();
  dd_worker *w = start ("reference");
  if (!w)
    return;
  long turn = -1;
  char err[256] = "";
  count_job ok = {&turn, 0};
  CHECK (dd_worker_run (w, count, &ok, err, sizeof err) == 0);
  CHECK (turn == 0);
  count_job bad = {&turn, 1};
  CHECK (dd_worker_run (w, count, &bad, err, sizeof err) == -1);
  CHECK (strcmp (err, "job 1 failed on purpose") == 0);
  CHECK (!pthread_equal (seen.worker, pthread_self ()));
  dd_worker_free (w);
}

/* Queued jobs wait their turn and report in any order. */
static void
test_async_fifo (void)
{
  enum { N = 20 };
  reset_seen ();
  dd_worker *w = start ("reference");
  if (!w)
    return;
  dd_job jobs[N];
  count_job args[N];
  long turns[N];
  for (int i = 0; i < N; i++) {
    args[i] = (count_job) {&turns[i], i % 7 == 3};
    dd_worker_submit (w, &jobs[i], count, &args[i]);
  }
  for (int i = N - 1; i >= 0; i--) {
    char err[256] = "";
    int status = dd_worker_wait (w, &jobs[i], err, sizeof err);
    CHECK (status == (i % 7 == 3 ? -1 : 0));
    CHECK (turns[i] == i);
    CHECK (status == 0 || strstr (err, "failed on purpose"));
  }
  CHECK (seen.ran == N);
  dd_worker_free (w);
}

/* Several threads submitting at once, each with jobs in flight. */
enum { SUBMITTERS = 4, PER_SUBMITTER = 200, IN_FLIGHT = 8 };

typedef struct submitter {
  dd_worker *w;
  long turns[PER_SUBMITTER];
  int failures;
} submitter;

static void *
submit_many (void *data)
{
  submitter *s = data;
  dd_job jobs[IN_FLIGHT];
  count_job args[IN_FLIGHT];
  char err[256];
  for (int i = 0; i < PER_SUBMITTER + IN_FLIGHT; i++) {
    int k = i % IN_FLIGHT;
    if (i >= IN_FLIGHT && dd_worker_wait (s->w, &jobs[k], err, sizeof err) != 0)
      s->failures++;
    if (i < PER_SUBMITTER) {
      args[k] = (count_job) {&s->turns[i], 0};
      dd_worker_submit (s->w, &jobs[k], count, &args[k]);
    }
  }
  return NULL;
}

static void
test_many_submitters (void)
{
  reset_seen ();
  dd_worker *w = start ("reference");
  if (!w)
    return;
  static submitter subs[SUBMITTERS];
  pthread_t threads[SUBMITTERS];
  for (int t = 0; t < SUBMITTERS; t++) {
    subs[t] = (submitter) {.w = w};
    CHECK (pthread_create (&threads[t], NULL, submit_many, &subs[t]) == 0);
  }
  for (int t = 0; t < SUBMITTERS; t++)
    pthread_join (threads[t], NULL);
  CHECK (seen.ran == SUBMITTERS * PER_SUBMITTER);
  CHECK (seen.overlaps == 0);
  CHECK (!seen.other_thread);
  /* Each thread's jobs ran in its order, and every turn was taken once. */
  char *taken = calloc (SUBMITTERS * PER_SUBMITTER, 1);
  for (int t = 0; t < SUBMITTERS; t++) {
    CHECK (subs[t].failures == 0);
    for (int i = 0; i < PER_SUBMITTER; i++) {
      long turn = subs[t].turns[i];
      CHECK (turn >= 0 && turn < SUBMITTERS * PER_SUBMITTER);
      if (turn >= 0 && turn < SUBMITTERS * PER_SUBMITTER)
        taken[turn]++;
      CHECK (i == 0 || turn > subs[t].turns[i - 1]);
    }
  }
  for (int k = 0; k < SUBMITTERS * PER_SUBMITTER; k++)
    CHECK (taken[k] == 1);
  free (taken);
  dd_worker_free (w);
}

/* Says it started, then runs until shutdown is asked for, so jobs queue
 * behind it. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int hold_started;

static int
hold_until_stopping (dd_backend *be, void *arg, char *err, size_t err_len)
{
  (void) be;
  (void) err;
  (void) err_len;
  struct timespec tick = {0, 1000000};
  enter ();
  pthread_mutex_lock (&hold_lock);
  hold_started = 1;
  pthread_cond_signal (&hold_cond);
  pthread_mutex_unlock (&hold_lock);
  while (!dd_worker_stopping (arg))
    nanosleep (&tick, NULL);
  seen.ran++;
  seen.running--;
  return 0;
}

static void *
shut_down (void *w)
{
  dd_worker_shutdown (w);
  return NULL;
}

static void
test_shutdown_with_pending_jobs (void)
{
  enum { PENDING = 5 };
  reset_seen ();
  dd_worker *w = start ("reference");
  if (!w)
    return;
  dd_job hold, jobs[PENDING], late;
  count_job args[PENDING];
  long turns[PENDING];
  dd_worker_submit (w, &hold, hold_until_stopping, w);
  for (int i = 0; i < PENDING; i++) {
    turns[i] = -1;
    args[i] = (count_job) {&turns[i], 0};
    dd_worker_submit (w, &jobs[i], count, &args[i]);
  }
  /* Shut down while the first job runs and the others are queued. */
  pthread_mutex_lock (&hold_lock);
  while (!hold_started)
    pthread_cond_wait (&hold_cond, &hold_lock);
  pthread_mutex_unlock (&hold_lock);
  pthread_t stopper;
  CHECK (pthread_create (&stopper, NULL, shut_down, w) == 0);
  char err[256] = "";
  CHECK (dd_worker_wait (w, &hold, err, sizeof err) == 0);
  for (int i = 0; i < PENDING; i++) {
    CHECK (dd_worker_wait (w, &jobs[i], err, sizeof err) == -1);
    CHECK (strstr (err, "shut down before the job ran") != NULL);
    CHECK (turns[i] == -1);
  }
  pthread_join (stopper, NULL);
  long turn = -1;
  count_job after = {&turn, 0};
  dd_worker_submit (w, &late, count, &after);
  CHECK (dd_worker_wait (w, &late, err, sizeof err) == -1);
  CHECK (turn == -1);
  CHECK (seen.ran == 1);
  dd_worker_shutdown (w);
  dd_worker_free (w);
}

static void
test_unknown_backend (void)
{
  char err[256] = "";
  dd_worker *w = dd_worker_new ("no-such-backend", err, sizeof err);
  CHECK (w == NULL);
  CHECK (strstr (err, "no-such-backend") != NULL);
}

/* Each backend built does its work on the worker (oneDNN's OpenMP pool, a
 * CUDA device's stream): fill and read back. Without a CUDA device the cuda
 * backend is skipped, as in test_cuda_backend. */
typedef struct fill_job {
  const char *backend;
  float host[1000];
} fill_job;

static int
fill_on_backend (dd_backend *be, void *arg, char *err, size_t err_len)
{
  fill_job *job = arg;
  float *p = be->ops->alloc (be, 1000);
  if (!p) {
    snprintf (err, err_len, "out of memory");
    return -1;
  }
  be->ops->fill (be, p, 2.5f, 1000);
  be->ops->download (be, job->host, p, 1000);
  be->ops->free (be, p);
  return strcmp (be->ops->name, job->backend) == 0 ? 0 : -1;
}

static void
test_backends_on_worker (void)
{
  for (size_t i = 0; dd_backend_name (i); i++) {
    static fill_job job;
    job.backend = dd_backend_name (i);
    memset (job.host, 0, sizeof job.host);
    char err[256];
    dd_worker *w = dd_worker_new (job.backend, err, sizeof err);
    if (!w && strstr (err, "no CUDA device")) {
      fprintf (stderr, "%s on the worker: skipped: %s\n", job.backend, err);
      continue;
    }
    if (!w) {
      fprintf (stderr, "%s\n", err);
      check_failures++;
      continue;
    }
    CHECK (dd_worker_run (w, fill_on_backend, &job, err, sizeof err) == 0);
    CHECK (job.host[0] == 2.5f && job.host[999] == 2.5f);
    fprintf (stderr, "%s on the worker: ok\n", job.backend);
    dd_worker_free (w);
  }
}

int
main (void)
{
  RUN_TEST (test_run_and_errors);
  RUN_TEST (test_async_fifo);
  RUN_TEST (test_many_submitters);
  RUN_TEST (test_shutdown_with_pending_jobs);
  RUN_TEST (test_unknown_backend);
  RUN_TEST (test_backends_on_worker);
  return check_exit_status ();
}
