/* The engine worker (worker.h): a FIFO of caller-owned jobs under one
 * mutex, one condition for the worker (work arrived, or shutdown) and one
 * for the submitters (some job finished; each waiter checks its own). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/worker.h"

struct dd_worker {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t work, finished;
  dd_job *head, *tail;
  int stopping;                 /* no job starts any more */
  int joined;                   /* the thread is gone */
  /* The backend, made on the worker thread; `started` once it tried. */
  char *backend_name;
  dd_backend *be;
  int started;
  char start_err[DD_JOB_ERR_MAX];
};

/* Called with the lock held. */
static void
finish (dd_worker *w, dd_job *job, int status)
{
  job->status = status < 0 ? -1 : 0;
  if (job->status < 0 && !job->err[0])
    snprintf (job->err, sizeof job->err, "a job on the '%s' engine worker failed "
              "without saying why", w->backend_name);
  job->done = 1;
  pthread_cond_broadcast (&w->finished);
}

static void
cancel (dd_worker *w, dd_job *job)
{
  snprintf (job->err, sizeof job->err, "the '%s' engine worker was shut down before "
            "the job ran", w->backend_name);
  finish (w, job, -1);
}

static void *
worker_main (void *data)
{
  dd_worker *w = data;
  dd_backend *be = dd_backend_new (w->backend_name, w->start_err, sizeof w->start_err);
  pthread_mutex_lock (&w->lock);
  w->be = be;
  w->started = 1;
  pthread_cond_broadcast (&w->finished);
  while (be) {
    while (!w->head && !w->stopping)
      pthread_cond_wait (&w->work, &w->lock);
    if (w->stopping)
      break;
    dd_job *job = w->head;
    w->head = job->next;
    if (!w->head)
      w->tail = NULL;
    pthread_mutex_unlock (&w->lock);
    int status = job->fn (be, job->arg, job->err, sizeof job->err);
    pthread_mutex_lock (&w->lock);
    finish (w, job, status);
  }
  while (w->head) {
    dd_job *job = w->head;
    w->head = job->next;
    cancel (w, job);
  }
  w->tail = NULL;
  pthread_mutex_unlock (&w->lock);
  dd_backend_free (be);
  return NULL;
}

static void
destroy (dd_worker *w)
{
  pthread_cond_destroy (&w->finished);
  pthread_cond_destroy (&w->work);
  pthread_mutex_destroy (&w->lock);
  free (w->backend_name);
  free (w);
}

dd_worker *
dd_worker_new (const char *backend_name, char *err, size_t err_len)
{
  dd_worker *w = calloc (1, sizeof *w);
  if (!w || !(w->backend_name = strdup (backend_name))) {
    free (w);
    snprintf (err, err_len, "engine worker '%s': out of memory", backend_name);
    return NULL;
  }
  pthread_mutex_init (&w->lock, NULL);
  pthread_cond_init (&w->work, NULL);
  pthread_cond_init (&w->finished, NULL);
  int e = pthread_create (&w->thread, NULL, worker_main, w);
  if (e) {
    snprintf (err, err_len, "engine worker '%s': cannot start its thread: %s", backend_name,
              strerror (e));
    destroy (w);
    return NULL;
  }
  /* Thread names hold 15 characters; a longer one is only cosmetic. */
  char name[16];
  snprintf (name, sizeof name, "dd-%s", backend_name);
  pthread_setname_np (w->thread, name);
  pthread_mutex_lock (&w->lock);
  while (!w->started)
    pthread_cond_wait (&w->finished, &w->lock);
  int ok = w->be != NULL;
  pthread_mutex_unlock (&w->lock);
  if (ok)
    return w;
  pthread_join (w->thread, NULL);
  snprintf (err, err_len, "engine worker: %s", w->start_err);
  destroy (w);
  return NULL;
}

void
dd_worker_submit (dd_worker *w, dd_job *job, dd_job_fn fn, void *arg)
{
  *job = (dd_job) {.fn = fn, .arg = arg};
  pthread_mutex_lock (&w->lock);
  if (w->stopping) {
    cancel (w, job);
  } else {
    if (w->tail)
      w->tail->next = job;
    else
      w->head = job;
    w->tail = job;
    pthread_cond_signal (&w->work);
  }
  pthread_mutex_unlock (&w->lock);
}

int
dd_worker_wait (dd_worker *w, dd_job *job, char *err, size_t err_len)
{
  pthread_mutex_lock (&w->lock);
  while (!job->done)
    pthread_cond_wait (&w->finished, &w->lock);
  int status = job->status;
  if (status < 0)
    snprintf (err, err_len, "%s", job->err);
  pthread_mutex_unlock (&w->lock);
  return status;
}

int
dd_worker_run (dd_worker *w, dd_job_fn fn, void *arg, char *err, size_t err_len)
{
  dd_job job;
  dd_worker_submit (w, &job, fn, arg);
  return dd_worker_wait (w, &job, err, err_len);
}

int
dd_worker_stopping (dd_worker *w)
{
  pthread_mutex_lock (&w->lock);
  int stopping = w->stopping;
  pthread_mutex_unlock (&w->lock);
  return stopping;
}

/* The first caller joins the thread; any other waits until it did. */
void
dd_worker_shutdown (dd_worker *w)
{
  pthread_mutex_lock (&w->lock);
  int first = !w->stopping;
  w->stopping = 1;
  pthread_cond_signal (&w->work);
  while (!first && !w->joined)
    pthread_cond_wait (&w->finished, &w->lock);
  pthread_mutex_unlock (&w->lock);
  if (!first)
    return;
  pthread_join (w->thread, NULL);
  pthread_mutex_lock (&w->lock);
  w->joined = 1;
  pthread_cond_broadcast (&w->finished);
  pthread_mutex_unlock (&w->lock);
}

void
dd_worker_free (dd_worker *w)
{
  if (!w)
    return;
  dd_worker_shutdown (w);
  destroy (w);
}
