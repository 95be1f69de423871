/* Which frames of one video ddsampler takes. */
#include "elements/sample_plan.h"

#include "nn/rng.h"

static guint64
name_stream (const char *name)
{
  guint64 h = 14695981039346656037ULL;
  for (const unsigned char *p = (const unsigned char *) (name ? name : ""); *p;
      p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h >> 1;
}

static GstClockTime
frame_time (const dd_sample_plan *plan, guint64 index)
{
  return gst_util_uint64_scale (index, (guint64) plan->fps_d * GST_SECOND,
      (guint64) plan->fps_n);
}

static gint
compare_times (gconstpointer a, gconstpointer b)
{
  GstClockTime ta = *(const GstClockTime *) a, tb = *(const GstClockTime *) b;
  return ta < tb ? -1 : ta > tb;
}

/* `count` distinct frame indices below n (Floyd's algorithm: each index
 * equally likely, count draws), as times. */
static void
draw_frames (dd_sample_plan *plan, dd_rng *rng, guint64 n)
{
  guint count = (guint) MIN ((guint64) plan->p.count, n);
  GHashTable *chosen = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 *indices = g_new (gint64, count);
  guint k = 0;
  for (guint64 j = n - count; j < n; j++) {
    gint64 t = (gint64) dd_rng_below (rng, (guint32) (j + 1));
    indices[k] = g_hash_table_contains (chosen, &t) ? (gint64) j : t;
    g_hash_table_add (chosen, &indices[k]);
    k++;
  }
  for (guint i = 0; i < count; i++) {
    GstClockTime t = frame_time (plan, (guint64) indices[i]);
    g_array_append_val (plan->targets, t);
  }
  g_hash_table_unref (chosen);
  g_free (indices);
}

static void
draw_times (dd_sample_plan *plan, dd_rng *rng, GstClockTime duration)
{
  for (guint i = 0; i < plan->p.count; i++) {
    GstClockTime t = (GstClockTime) (dd_rng_uniform (rng) * (double) duration);
    g_array_append_val (plan->targets, t);
  }
}

void
dd_sample_plan_init (dd_sample_plan *plan, const dd_sample_params *p,
    const char *name, GstClockTime duration, gint fps_n, gint fps_d)
{
  *plan = (dd_sample_plan) { .p = *p, .fps_n = fps_n > 0 ? fps_n : 0,
    .fps_d = fps_n > 0 && fps_d > 0 ? fps_d : 1, .duration = duration };
  /* Just under half a frame: a rounded timestamp still reaches its own
   * frame's time, and no frame reaches a time past its midpoint to the
   * next frame. */
  if (plan->fps_n)
    plan->tolerance = MAX (frame_time (plan, 1) / 2, 1) - 1;
  plan->targets = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  if (p->mode != DD_SAMPLE_RANDOM)
    return;
  if (!GST_CLOCK_TIME_IS_VALID (duration) || duration == 0) {
    plan->first_frames = TRUE;
    return;
  }
  dd_rng rng;
  dd_rng_seed (&rng, p->seed, name_stream (name));
  if (plan->fps_n) {
    /* The frames whose start lies inside the duration, at least one. */
    guint64 n = gst_util_uint64_scale_ceil (duration, (guint64) plan->fps_n,
        (guint64) plan->fps_d * GST_SECOND);
    draw_frames (plan, &rng, MIN (MAX (n, 1), (guint64) G_MAXUINT32 - 1));
  } else {
    draw_times (plan, &rng, duration);
  }
  g_array_sort (plan->targets, compare_times);
}

void
dd_sample_plan_clear (dd_sample_plan *plan)
{
  g_clear_pointer (&plan->targets, g_array_unref);
}

static gboolean
take_random (dd_sample_plan *plan, GstClockTime ts)
{
  if (plan->first_frames)
    return plan->taken < plan->p.count;
  gboolean take = FALSE;
  while (plan->next_target < plan->targets->len
      && ts + plan->tolerance >= g_array_index (plan->targets, GstClockTime,
          plan->next_target)) {
    take = TRUE;
    plan->next_target++;
  }
  return take;
}

static gboolean
take_every_k (dd_sample_plan *plan, GstClockTime ts)
{
  guint64 k = plan->p.interval_frames;
  if (!plan->fps_n)
    return plan->counted++ % k == 0;
  guint64 index = gst_util_uint64_scale_round (ts, (guint64) plan->fps_n,
      (guint64) plan->fps_d * GST_SECOND);
  if (index < plan->next_index)
    return FALSE;
  plan->next_index = (index / k + 1) * k;
  return TRUE;
}

static gboolean
take_every_t (dd_sample_plan *plan, GstClockTime ts)
{
  GstClockTime reach = ts + plan->tolerance;
  if (reach < plan->next_time)
    return FALSE;
  plan->next_time = (reach / plan->p.interval + 1) * plan->p.interval;
  return TRUE;
}

gboolean
dd_sample_plan_take (dd_sample_plan *plan, GstClockTime ts)
{
  gboolean take = FALSE;
  switch (plan->p.mode) {
    case DD_SAMPLE_RANDOM:
      take = take_random (plan, ts);
      break;
    case DD_SAMPLE_EVERY_K:
      take = take_every_k (plan, ts);
      break;
    case DD_SAMPLE_EVERY_T:
      take = take_every_t (plan, ts);
      break;
  }
  plan->taken += take;
  return take;
}

gboolean
dd_sample_plan_done (const dd_sample_plan *plan)
{
  if (plan->p.mode != DD_SAMPLE_RANDOM)
    return GST_CLOCK_TIME_IS_VALID (plan->duration)
        && dd_sample_plan_next (plan) >= plan->duration + plan->tolerance;
  if (plan->first_frames)
    return plan->taken >= plan->p.count;
  return plan->next_target >= plan->targets->len;
}

GstClockTime
dd_sample_plan_next (const dd_sample_plan *plan)
{
  switch (plan->p.mode) {
    case DD_SAMPLE_RANDOM:
      if (plan->first_frames || plan->next_target >= plan->targets->len)
        return 0;
      return g_array_index (plan->targets, GstClockTime, plan->next_target);
    case DD_SAMPLE_EVERY_K:
      return plan->fps_n ? frame_time (plan, plan->next_index) : 0;
    case DD_SAMPLE_EVERY_T:
      return plan->next_time;
  }
  return 0;
}
