/* Where a pipeline spends its time, by stage of the labeling work.
 *
 * GStreamer's pad-push tracer hooks (registered in-process: no
 * GST_TRACERS needed) mark, in each streaming thread, the moment an
 * element hands a buffer downstream and the moment that push returns.
 * Between those marks exactly one element is at work in the thread: the
 * one that last received a buffer, or the one a push returned to. Each
 * such span is charged to that element's stage, in wall time and in the
 * thread's own CPU time (CLOCK_THREAD_CPUTIME_ID). A span of the element
 * that owns a thread (a source, a queue's or an aggregator's task) also
 * holds that thread's waiting, which costs wall time but no CPU time: read
 * the CPU figures. Work done on threads without pads (the engine worker
 * and its OpenMP team) is not seen here; it is the process's CPU time
 * minus everything charged.
 */
#ifndef DD_BENCH_STAGE_CLOCK_H
#define DD_BENCH_STAGE_CLOCK_H

#include <gst/gst.h>

typedef enum {
  DD_STAGE_DECODE,              /* the private decoding pipelines, ddcorpussrc, ddsampler, to RGB */
  DD_STAGE_TRANSFORM,           /* ddtransform (letterbox, passes) and the conversion before it */
  DD_STAGE_INFERENCE,           /* ddinfer (its thread; the engine worker is not seen) */
  DD_STAGE_ENSEMBLE,            /* ddensemble */
  DD_STAGE_WRITE,               /* dddatasetsink and the conversion before it */
  DD_STAGE_PLUMBING,            /* tees, queues, bins */
  DD_N_STAGES,
} dd_stage;

typedef struct dd_stage_times {
  gint64 wall_ns[DD_N_STAGES];
  gint64 cpu_ns[DD_N_STAGES];
} dd_stage_times;

const char *dd_stage_name (dd_stage s);

/* Starts charging the pushes of every element inside `pipeline` (and of
 * every element in no pipeline: ddcorpussrc's private decoders) from now
 * on; call once, after gst_init. */
void dd_stage_clock_start (GstElement *pipeline);
/* What was charged since dd_stage_clock_start, and stops charging. */
void dd_stage_clock_stop (dd_stage_times *out);

#endif
