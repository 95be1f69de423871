/* The engine worker: one thread per device that owns a backend and runs
 * all of its work.
 *
 * Why: oneDNN parallelises with OpenMP, whose thread pool belongs to the
 * thread that calls it. If every GStreamer streaming thread called the
 * backend itself, each would bring its own pool and the cores would
 * thrash; a CUDA device likewise wants one thread issuing its work. So the
 * worker creates the backend on its own thread, and every other thread
 * hands it jobs: a function and an argument, run one at a time in the
 * order they were submitted, each getting the backend.
 *
 *   dd_worker *w = dd_worker_new ("cpu", err, sizeof err);
 *   dd_job job;
 *   dd_worker_submit (w, &job, train_step, &batch);   // returns at once
 *   ...                                               // other work
 *   if (dd_worker_wait (w, &job, err, sizeof err) < 0)  // the job's result
 *     report (err);
 *   dd_worker_run (w, infer, &frames, err, sizeof err); // submit + wait
 *   dd_worker_free (w);
 *
 * A job lives in the submitter's memory (no allocation per job); it must
 * stay valid until dd_worker_wait returned for it, and every submitted job
 * must be waited for once. Submit and wait may be called from any number
 * of threads at once, but not from inside a job (the worker would wait for
 * itself).
 *
 * Shutdown: dd_worker_shutdown lets the running job finish, cancels the
 * jobs still queued (their wait returns -1, "shut down before it ran"),
 * destroys the backend on the worker thread and joins it; later submits
 * are cancelled the same way. Threads blocked in dd_worker_wait are woken
 * with their results, so shut down first, let those threads finish, then
 * dd_worker_free. Neither may be called from inside a job (the thread
 * would join itself). libc and pthreads only. */
#ifndef DD_NN_WORKER_H
#define DD_NN_WORKER_H

#include <stddef.h>

#include "nn/backend.h"

/* Runs on the worker thread with its backend. Returns 0, or -1 with a
 * message in err. */
typedef int (*dd_job_fn) (dd_backend *be, void *arg, char *err, size_t err_len);

#define DD_JOB_ERR_MAX 256

/* A job's storage, owned by the submitter; its fields belong to the worker
 * between submit and wait. */
typedef struct dd_job dd_job;
struct dd_job {
  dd_job_fn fn;
  void *arg;
  int done;
  int status;
  char err[DD_JOB_ERR_MAX];
  dd_job *next;
};

typedef struct dd_worker dd_worker;

/* Starts the thread and creates the backend `backend_name` on it. Returns
 * NULL with a message in err when the thread or the backend cannot be
 * created. */
dd_worker *dd_worker_new (const char *backend_name, char *err, size_t err_len);

/* Queues fn(be, arg) and returns at once. */
void dd_worker_submit (dd_worker *w, dd_job *job, dd_job_fn fn, void *arg);
/* Waits until the job ran (or was cancelled) and returns its result: 0, or
 * -1 with its message in err. */
int dd_worker_wait (dd_worker *w, dd_job *job, char *err, size_t err_len);
/* Submits and waits. */
int dd_worker_run (dd_worker *w, dd_job_fn fn, void *arg, char *err, size_t err_len);

/* Whether shutdown was asked for: a long job (a training run) can poll it
 * and return early. */
int dd_worker_stopping (dd_worker *w);

/* Finishes the running job, cancels the queued ones, destroys the backend
 * and joins the thread. Safe to call more than once. */
void dd_worker_shutdown (dd_worker *w);
/* Shuts down (if not done yet) and frees. No thread may be inside submit
 * or wait any more. */
void dd_worker_free (dd_worker *w);

#endif
