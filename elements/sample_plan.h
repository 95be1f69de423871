/* Which frames of one video ddsampler takes, as stream times.
 *
 *   random    `count` frames per video, distinct, uniformly among the
 *             video's frames (duration x frame rate), drawn with PCG32
 *             from the seed and the video's name (ddsampler gives its
 *             corpus key, else its URI): the same frames whatever the
 *             order, shard or machine. The paper takes one.
 *   every-k   frames 0, k, 2k, ... by index (stream time x frame rate); by
 *             count when the rate is unknown.
 *   every-t   the first frame at or after 0, t, 2t, ... seconds.
 *
 * A frame at stream time ts "reaches" a wanted time w when ts + tol >= w,
 * tol being just under half a frame when the rate is known: containers
 * that round timestamps (Matroska keeps milliseconds) still give the
 * intended frame.
 * dd_sample_plan_next() says which time is wanted next, so that the
 * sampler can seek to it instead of decoding everything in between; with
 * a known duration, every-k and every-t are done once the next wanted time
 * is past the end.
 */
#ifndef DD_ELEMENTS_SAMPLE_PLAN_H
#define DD_ELEMENTS_SAMPLE_PLAN_H

#include <gst/gst.h>

typedef enum {
  DD_SAMPLE_RANDOM,
  DD_SAMPLE_EVERY_K,
  DD_SAMPLE_EVERY_T,
} dd_sample_mode;

typedef struct dd_sample_params {
  dd_sample_mode mode;
  guint count;                  /* random: frames per video */
  guint64 seed;                 /* random */
  guint interval_frames;        /* every-k: k >= 1 */
  GstClockTime interval;        /* every-t: > 0 */
} dd_sample_params;

typedef struct dd_sample_plan {
  dd_sample_params p;
  gint fps_n, fps_d;            /* 0/1 when unknown */
  GstClockTime tolerance;
  GstClockTime duration;        /* GST_CLOCK_TIME_NONE when unknown */
  GArray *targets;              /* random: wanted times, ascending */
  guint next_target;
  gboolean first_frames;        /* random without a duration: the first `count` */
  guint64 next_index;           /* every-k */
  guint64 counted;              /* frames seen, for every-k without a rate */
  GstClockTime next_time;       /* every-t */
  guint taken;
} dd_sample_plan;

/* `name`: the video's, for its random frames. `duration`:
 * GST_CLOCK_TIME_NONE when unknown (random then takes the first `count`
 * frames, every-k and every-t go on to the end of the stream). fps_n /
 * fps_d: the nominal rate, 0/1 unknown. */
void dd_sample_plan_init (dd_sample_plan *plan, const dd_sample_params *p,
    const char *name, GstClockTime duration, gint fps_n, gint fps_d);
void dd_sample_plan_clear (dd_sample_plan *plan);

/* Whether to take the frame at stream time `ts`; frames come in increasing
 * time, perhaps with gaps (seeks). */
gboolean dd_sample_plan_take (dd_sample_plan *plan, GstClockTime ts);
/* TRUE when no later frame of the video is wanted. */
gboolean dd_sample_plan_done (const dd_sample_plan *plan);
/* The stream time wanted next; 0 when not known in advance. Meaningless
 * once done. A frame reaching it starts at most `tolerance` before it. */
GstClockTime dd_sample_plan_next (const dd_sample_plan *plan);

#endif
