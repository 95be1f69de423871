#include "stage_clock.h"

#include <string.h>
#include <time.h>

/* The hooks need a GstTracer to belong to; this one does nothing else. */
typedef struct { GstTracer parent; } DdStageTracer;
typedef struct { GstTracerClass parent_class; } DdStageTracerClass;
G_DEFINE_TYPE (DdStageTracer, dd_stage_tracer, GST_TYPE_TRACER)
static void dd_stage_tracer_class_init (DdStageTracerClass *klass) { (void) klass; }
static void dd_stage_tracer_init (DdStageTracer *self) { (void) self; }

#define MAX_DEPTH 64

typedef struct span_start {
  dd_stage stage;
  gint64 wall, cpu;
} span_start;

/* Each streaming thread's elements at work: the one that owns the thread
 * at the bottom, then one per push not yet returned. */
typedef struct thread_stack {
  guint generation;
  int depth;
  span_start at[MAX_DEPTH];
  gboolean bottom_known;        /* a push returned to the thread's owner */
  span_start bottom;
} thread_stack;

static _Thread_local thread_stack stack;
static GMutex lock;
static gint charging;         /* atomic: read by the hooks without the lock */
static guint generation;
static GstElement *watched;
static dd_stage_times totals;

const char *
dd_stage_name (dd_stage s)
{
  static const char *const names[DD_N_STAGES] = {
    "decode", "transform", "inference", "ensemble", "write", "plumbing",
  };
  return names[s];
}

static gint64
thread_cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The element a pad belongs to (a ghost pad's inner pad: the bin's). */
static GstElement *
pad_element (GstPad *pad)
{
  GstObject *o = gst_object_get_parent (GST_OBJECT (pad));
  while (o && GST_IS_PAD (o)) {
    GstObject *up = gst_object_get_parent (o);
    gst_object_unref (o);
    o = up;
  }
  if (o && !GST_IS_ELEMENT (o)) {
    gst_object_unref (o);
    o = NULL;
  }
  return (GstElement *) o;
}

static gboolean
is_factory (GstElement *e, const char *name)
{
  GstElementFactory *f = gst_element_get_factory (e);
  return f && strcmp (GST_OBJECT_NAME (f), name) == 0;
}

static dd_stage
stage_of (GstElement *e)
{
  if (!e || !gst_object_has_as_ancestor (GST_OBJECT (e), GST_OBJECT (watched)))
    return DD_STAGE_DECODE;
  if (is_factory (e, "ddcorpussrc") || is_factory (e, "ddsampler"))
    return DD_STAGE_DECODE;
  if (is_factory (e, "ddtransform"))
    return DD_STAGE_TRANSFORM;
  if (is_factory (e, "ddinfer"))
    return DD_STAGE_INFERENCE;
  if (is_factory (e, "ddensemble"))
    return DD_STAGE_ENSEMBLE;
  if (is_factory (e, "dddatasetsink"))
    return DD_STAGE_WRITE;
  if (is_factory (e, "videoconvert")) {
    /* The bench names the conversions it adds around ddlabel; those
     * inside ddlabel prepare the passes. */
    if (strcmp (GST_OBJECT_NAME (e), "to_rgb") == 0)
      return DD_STAGE_DECODE;
    if (strcmp (GST_OBJECT_NAME (e), "to_sink") == 0)
      return DD_STAGE_WRITE;
    return DD_STAGE_TRANSFORM;
  }
  return DD_STAGE_PLUMBING;
}

static dd_stage
pad_stage (GstPad *pad)
{
  GstElement *e = pad_element (pad);
  dd_stage s = stage_of (e);
  if (e)
    gst_object_unref (e);
  return s;
}

static void
charge (const span_start *from, gint64 wall, gint64 cpu)
{
  g_mutex_lock (&lock);
  if (charging) {
    totals.wall_ns[from->stage] += wall - from->wall;
    totals.cpu_ns[from->stage] += cpu - from->cpu;
  }
  g_mutex_unlock (&lock);
}

static void
fresh_stack (void)
{
  guint g = g_atomic_int_get (&generation);
  if (stack.generation != g) {
    memset (&stack, 0, sizeof stack);
    stack.generation = g;
  }
}

/* `pad` (of the element at work) pushes to its peer, which starts work. */
static void
push_pre (GstPad *pad)
{
  if (!g_atomic_int_get (&charging))
    return;
  gint64 wall = g_get_monotonic_time () * 1000, cpu = thread_cpu_ns ();
  fresh_stack ();
  if (stack.depth > 0)
    charge (&stack.at[stack.depth - 1], wall, cpu);
  else if (stack.bottom_known)
    charge (&(span_start) { pad_stage (pad), stack.bottom.wall, stack.bottom.cpu },
        wall, cpu);
  if (stack.depth == MAX_DEPTH)
    return;
  GstPad *peer = gst_pad_get_peer (pad);
  dd_stage s = peer ? pad_stage (peer) : DD_STAGE_PLUMBING;
  if (peer)
    gst_object_unref (peer);
  stack.at[stack.depth++] = (span_start) { s, wall, thread_cpu_ns () };
}

/* The push returns: the peer is done, the pusher works on. */
static void
push_post (void)
{
  gint64 wall = g_get_monotonic_time () * 1000, cpu = thread_cpu_ns ();
  fresh_stack ();
  if (stack.depth == 0)
    return;
  charge (&stack.at[--stack.depth], wall, cpu);
  span_start *resumed = stack.depth > 0 ? &stack.at[stack.depth - 1] : &stack.bottom;
  resumed->wall = wall;
  resumed->cpu = cpu;
  stack.bottom_known = stack.bottom_known || stack.depth == 0;
}

static void
on_push_pre (GObject *self, GstClockTime ts, GstPad *pad, GstBuffer *buffer)
{
  (void) self, (void) ts, (void) buffer;
  push_pre (pad);
}

static void
on_push_post (GObject *self, GstClockTime ts, GstPad *pad, GstFlowReturn res)
{
  (void) self, (void) ts, (void) pad, (void) res;
  push_post ();
}

static void
on_push_list_pre (GObject *self, GstClockTime ts, GstPad *pad, GstBufferList *list)
{
  (void) self, (void) ts, (void) list;
  push_pre (pad);
}

void
dd_stage_clock_start (GstElement *pipeline)
{
  static GstTracer *tracer;
  if (!tracer) {
    tracer = g_object_new (dd_stage_tracer_get_type (), NULL);
    gst_tracing_register_hook (tracer, "pad-push-pre", G_CALLBACK (on_push_pre));
    gst_tracing_register_hook (tracer, "pad-push-post", G_CALLBACK (on_push_post));
    gst_tracing_register_hook (tracer, "pad-push-list-pre",
        G_CALLBACK (on_push_list_pre));
    gst_tracing_register_hook (tracer, "pad-push-list-post",
        G_CALLBACK (on_push_post));
  }
  g_mutex_lock (&lock);
  watched = pipeline;
  memset (&totals, 0, sizeof totals);
  g_atomic_int_set (&charging, TRUE);
  g_atomic_int_inc (&generation);
  g_mutex_unlock (&lock);
}

void
dd_stage_clock_stop (dd_stage_times *out)
{
  g_mutex_lock (&lock);
  g_atomic_int_set (&charging, FALSE);
  *out = totals;
  g_mutex_unlock (&lock);
}
