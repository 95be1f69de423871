/* The frame ensembler: a single untransformed pass gives back exactly the
 * decoded detections under every rule; K identical passes give back the
 * single pass; a mirrored pass built from the same maps changes nothing; a
 * scaled pass maps back onto the same people; errors; the parameter
 * strings. */
#include <string.h>

#include "check.h"
#include "distill/distill_error.h"
#include "distill/ensemble.h"
#include "distill/heatmap_keypoints.h"
#include "distill/tta_maps.h"
#include "model/decode.h"
#include "scene_maps.h"

#define FRAME 128
#define STRIDE 4
#define COLS 3
#define ROWS 2
#define N_PEOPLE (COLS * ROWS)
#define N_CLASSES 2

static const int person_pairs[8][2] = {
  { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 }, { 9, 10 }, { 11, 12 }, { 13, 14 }, { 15, 16 },
};

static dd_flip_map flip_map;

/* One pass: the maps of an image under `t`, and what the model decodes. */
typedef struct pass_data {
  dd_head_maps maps;
  dd_detection dets[128];
  int n;
} pass_data;

static void
decode_pass (pass_data *d)
{
  dd_decode_params dp;
  dd_decode_params_defaults (&dp);
  d->n = dd_decode (&d->maps, &dp, d->dets);
}

static void
scene_pass (pass_data *d, const scene_person *people)
{
  dd_maps_init (&d->maps, FRAME / STRIDE, FRAME / STRIDE, STRIDE, N_CLASSES,
      SCENE_KEYPOINTS, DD_MAPS_ALL);
  scene_draw (&d->maps, people, N_PEOPLE);
  decode_pass (d);
}

/* The frame's maps seen through `t` (the forward resampling), decoded. */
static void
transformed_pass (pass_data *d, const pass_data *frame, const dd_tta_transform *t)
{
  dd_maps_init (&d->maps, t->height / STRIDE, t->width / STRIDE, STRIDE, N_CLASSES,
      SCENE_KEYPOINTS, DD_MAPS_ALL);
  if (!dd_tta_maps_forward (t, &flip_map, &frame->maps, DD_MAPS_ALL, &d->maps, NULL))
    abort ();
  decode_pass (d);
}

static GArray *
run (const char *rules, const dd_pass *passes, int n_passes)
{
  dd_ensemble_params p;
  dd_ensemble_params_init (&p);
  GError *error = NULL;
  if (!dd_ensemble_params_parse (&p, rules, &error))
    g_error ("%s", error->message);
  dd_ensembler *e = dd_ensembler_new (&p, &flip_map);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  if (!dd_ensembler_run (e, passes, n_passes, out, &error))
    g_error ("%s: %s", rules, error->message);
  /* Run twice: the ensembler's reused buffers must not leak into the next
   * frame. */
  g_array_set_size (out, 0);
  if (!dd_ensembler_run (e, passes, n_passes, out, &error))
    g_error ("%s: %s", rules, error->message);
  dd_ensembler_free (e);
  return out;
}

/* The rules under test: every box rule, every map-reading rule. */
static const char *const all_rules[] = {
  "boxes=identity,keypoints=own",
  "boxes=identity,keypoints=average",
  "boxes=identity,keypoints=own,classes=average",
  "boxes=nms,keypoints=own",
  "boxes=nms,keypoints=average,scoring=avg",
  "boxes=nms,vote=off,keypoints=own",
  "boxes=soft-linear,keypoints=own",
  "boxes=soft-gaussian,keypoints=own",
  "boxes=wbf,keypoints=own",
  "boxes=maps",
  "boxes=maps,keypoints=average,classes=average",
};

/* Bit for bit, over the fields that hold something. */
static gboolean
same_detection (const dd_detection *a, const dd_detection *b)
{
  return a->class_index == b->class_index && a->score == b->score
      && memcmp (a->box, b->box, sizeof a->box) == 0 && a->n_keypoints == b->n_keypoints
      && memcmp (a->keypoints, b->keypoints, sizeof (dd_keypoint) * a->n_keypoints) == 0;
}

/* `got` holds exactly the detections `want` (in any order for the rules
 * that sort), bit for bit. */
static void
check_exact (GArray *got, const dd_detection *want, int n, const char *what)
{
  int bad = (int) got->len != n;
  for (int i = 0; i < n; i++) {
    gboolean found = FALSE;
    for (guint j = 0; j < got->len && !found; j++)
      found = same_detection (&g_array_index (got, dd_detection, j), &want[i]);
    bad += !found;
  }
  if (bad) {
    fprintf (stderr, "  %s: %u detections for %d, %d not exact\n", what, got->len, n, bad);
    check_failures++;
  }
}

static void
make_scene (unsigned seed, scene_person *people, pass_data *frame)
{
  dd_rng rng;
  dd_rng_seed (&rng, seed, 0);
  scene_people (&rng, FRAME, FRAME, STRIDE, COLS, ROWS, N_CLASSES, people);
  scene_pass (frame, people);
}

static void
test_scene_decodes (void)
{
  scene_person people[N_PEOPLE];
  pass_data frame;
  make_scene (1, people, &frame);
  /* The made-up maps decode to the people: the fixture is sound. */
  CHECK (frame.n == N_PEOPLE);
  for (int i = 0; i < frame.n; i++) {
    const dd_detection *d = &frame.dets[i];
    const scene_person *p = NULL;
    for (int j = 0; j < N_PEOPLE; j++)
      if (fabsf ((d->box[0] + d->box[2]) / 2 - people[j].cx) < 1e-3f)
        p = &people[j];
    CHECK (p != NULL);
    if (p == NULL)
      continue;
    CHECK (d->class_index == p->class_index && d->score == p->score);
    CHECK_CLOSE (d->box[2] - d->box[0], p->w, 0, 1e-3);
    for (int k = 0; k < SCENE_KEYPOINTS; k++) {
      CHECK_CLOSE (d->keypoints[k].x, p->kx[k], 0, 1e-3);
      CHECK_CLOSE (d->keypoints[k].y, p->ky[k], 0, 1e-3);
      CHECK (d->keypoints[k].score == p->kscore[k]);
    }
  }
  dd_maps_clear (&frame.maps);
}

static void
test_single_identity_pass (void)
{
  for (unsigned seed = 1; seed <= 5; seed++) {
    scene_person people[N_PEOPLE];
    pass_data frame;
    make_scene (seed, people, &frame);
    dd_pass pass = { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps };
    for (size_t r = 0; r < G_N_ELEMENTS (all_rules); r++) {
      GArray *out = run (all_rules[r], &pass, 1);
      check_exact (out, frame.dets, frame.n, all_rules[r]);
      g_array_unref (out);
    }
    dd_maps_clear (&frame.maps);
  }
}

static void
test_identical_passes (void)
{
  scene_person people[N_PEOPLE];
  pass_data frame;
  make_scene (7, people, &frame);
  dd_pass passes[4];
  for (int i = 0; i < 4; i++)
    passes[i] = (dd_pass) { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps };
  for (size_t r = 0; r < G_N_ELEMENTS (all_rules); r++) {
    /* Gaussian soft-NMS keeps decayed duplicates (test_boxes shows how). */
    if (strstr (all_rules[r], "soft-gaussian"))
      continue;
    GArray *out = run (all_rules[r], passes, 4);
    check_exact (out, frame.dets, frame.n, all_rules[r]);
    g_array_unref (out);
  }
  dd_maps_clear (&frame.maps);
}

/* The frame and its mirror, the mirror's maps made from the frame's: the
 * averaged maps are the frame's (flip twice is exact), so the map rules
 * give the single pass's labels; the box rules see every box twice, once
 * through the mirror and back, equal to float rounding. */
static void
test_mirrored_pass (void)
{
  scene_person people[N_PEOPLE];
  pass_data frame, mirror;
  make_scene (11, people, &frame);
  dd_tta_transform flip = { FRAME, FRAME, FRAME, FRAME, TRUE };
  transformed_pass (&mirror, &frame, &flip);
  CHECK (mirror.n == frame.n);
  dd_pass passes[2] = {
    { flip, mirror.dets, mirror.n, &mirror.maps },
    { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps },
  };
  const char *exact[] = { "boxes=identity,keypoints=average",
    "boxes=identity,keypoints=own,classes=average" };
  for (size_t r = 0; r < G_N_ELEMENTS (exact); r++) {
    GArray *out = run (exact[r], passes, 2);
    check_exact (out, frame.dets, frame.n, exact[r]);
    g_array_unref (out);
  }
  const char *close[] = { "boxes=nms,keypoints=own", "boxes=wbf,keypoints=own",
    "boxes=soft-linear,keypoints=own", "boxes=maps" };
  for (size_t r = 0; r < G_N_ELEMENTS (close); r++) {
    GArray *out = run (close[r], passes, 2);
    CHECK ((int) out->len == frame.n);
    for (guint i = 0; i < out->len; i++) {
      const dd_detection *d = &g_array_index (out, dd_detection, i);
      const dd_detection *want = NULL;
      for (int j = 0; j < frame.n; j++)
        if (fabsf (d->box[0] - frame.dets[j].box[0]) < 1e-3f
            && fabsf (d->box[1] - frame.dets[j].box[1]) < 1e-3f)
          want = &frame.dets[j];
      CHECK (want != NULL);
      if (want == NULL)
        continue;
      for (int c = 0; c < 4; c++)
        CHECK_CLOSE (d->box[c], want->box[c], 0, 1e-4);
      CHECK_CLOSE (d->score, want->score, 0, 1e-6);
      CHECK (d->class_index == want->class_index);
      for (int k = 0; k < SCENE_KEYPOINTS; k++) {
        CHECK_CLOSE (d->keypoints[k].x, want->keypoints[k].x, 0, 1e-4);
        CHECK_CLOSE (d->keypoints[k].y, want->keypoints[k].y, 0, 1e-4);
      }
    }
    g_array_unref (out);
  }
  dd_maps_clear (&frame.maps);
  dd_maps_clear (&mirror.maps);
}

/* The frame, doubled and halved (each also mirrored): the averaged
 * heatmaps peak on the same cells, so the keypoint ensemble puts every
 * keypoint within a map cell of the single pass's, and NMS + voting keeps
 * one box per person, within a pixel. */
static void
test_scaled_passes (void)
{
  scene_person people[N_PEOPLE];
  pass_data frame, scaled[4];
  make_scene (13, people, &frame);
  dd_tta_transform ts[4] = {
    { FRAME, FRAME, 2 * FRAME, 2 * FRAME, FALSE }, { FRAME, FRAME, 2 * FRAME, 2 * FRAME, TRUE },
    { FRAME, FRAME, FRAME / 2, FRAME / 2, FALSE }, { FRAME, FRAME, FRAME / 2, FRAME / 2, TRUE },
  };
  dd_pass passes[5];
  passes[0] = (dd_pass) { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps };
  for (int i = 0; i < 4; i++) {
    transformed_pass (&scaled[i], &frame, &ts[i]);
    passes[i + 1] = (dd_pass) { ts[i], scaled[i].dets, scaled[i].n, &scaled[i].maps };
  }
  GArray *out = run ("boxes=identity,keypoints=average", passes, 5);
  CHECK ((int) out->len == frame.n);
  for (guint i = 0; i < out->len; i++) {
    const dd_detection *d = &g_array_index (out, dd_detection, i);
    CHECK (memcmp (d->box, frame.dets[i].box, sizeof d->box) == 0);
    for (int k = 0; k < SCENE_KEYPOINTS; k++) {
      CHECK (fabsf (d->keypoints[k].x - frame.dets[i].keypoints[k].x) <= STRIDE);
      CHECK (fabsf (d->keypoints[k].y - frame.dets[i].keypoints[k].y) <= STRIDE);
    }
  }
  g_array_unref (out);
  out = run ("boxes=nms,keypoints=own", passes, 5);
  CHECK ((int) out->len == frame.n);
  for (guint i = 0; i < out->len; i++) {
    const dd_detection *d = &g_array_index (out, dd_detection, i);
    double best = 1e9;
    for (int j = 0; j < frame.n; j++) {
      double err = 0;
      for (int c = 0; c < 4; c++)
        err = MAX (err, fabs (d->box[c] - frame.dets[j].box[c]));
      best = MIN (best, err);
    }
    CHECK (best < 1.0);
  }
  g_array_unref (out);
  dd_maps_clear (&frame.maps);
  for (int i = 0; i < 4; i++)
    dd_maps_clear (&scaled[i].maps);
}

/* The paper's argmax rule, by hand: within the box's cells the largest
 * value wins, even where a larger one lies just outside. */
static void
test_argmax_rule (void)
{
  dd_head_maps m;
  dd_maps_init (&m, 8, 8, 4, 1, 2, DD_MAPS_KEYPOINT_HEATMAP);
  size_t plane = 64;
  m.keypoint_heatmap[2 * 8 + 2] = 0.5f;         /* keypoint 0: cell (2, 2) */
  m.keypoint_heatmap[2 * 8 + 6] = 0.9f;         /* outside the box */
  m.keypoint_heatmap[plane + 3 * 8 + 1] = 0.3f; /* keypoint 1: cell (1, 3) */
  m.keypoint_heatmap[plane + 3 * 8 + 3] = 0.3f; /* a tie, later in row order */
  /* Box 2..18 x 2..18: cell centres 2, 6, 10, 14, 18 -> cells 0..4. */
  float box[4] = { 2, 2, 18, 18 };
  dd_keypoint kp[2];
  dd_keypoints_argmax_in_box (&m, box, kp);
  CHECK (kp[0].x == 10 && kp[0].y == 10 && kp[0].score == 0.5f);
  CHECK (kp[1].x == 6 && kp[1].y == 14 && kp[1].score == 0.3f);
  /* A box holding no cell centre reads the cell of its own centre. */
  float tiny[4] = { 8.5f, 8.5f, 9.5f, 9.5f };
  dd_keypoints_argmax_in_box (&m, tiny, kp);
  CHECK (kp[0].x == 10 && kp[0].y == 10 && kp[0].score == 0.5f);
  dd_maps_clear (&m);
}

static void
test_errors (void)
{
  scene_person people[N_PEOPLE];
  pass_data frame;
  make_scene (3, people, &frame);
  dd_ensemble_params p;
  dd_ensemble_params_init (&p);
  dd_ensembler *e = dd_ensembler_new (&p, &flip_map);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (dd_detection));
  GError *error = NULL;
  dd_tta_transform flip = { FRAME, FRAME, FRAME, FRAME, TRUE };
  dd_pass flipped = { flip, frame.dets, frame.n, &frame.maps };
  CHECK (!dd_ensembler_run (e, &flipped, 1, out, &error));
  CHECK (error && strstr (error->message, "untransformed"));
  g_clear_error (&error);
  dd_pass mixed[2] = {
    { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps },
    { dd_tta_identity (FRAME, 64), frame.dets, frame.n, &frame.maps },
  };
  CHECK (!dd_ensembler_run (e, mixed, 2, out, &error));
  CHECK (error && strstr (error->message, "pass 1") && strstr (error->message, "128x64"));
  g_clear_error (&error);
  mixed[1] = (dd_pass) { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, NULL };
  CHECK (!dd_ensembler_run (e, mixed, 2, out, &error));
  CHECK (error && strstr (error->message, "pass 1 carries no head maps"));
  g_clear_error (&error);
  CHECK (!dd_ensembler_run (e, mixed, 0, out, &error));
  g_clear_error (&error);
  /* A mirrored pass whose detections have other keypoints than the flip
   * pairs cover. */
  dd_detection odd = frame.dets[0];
  odd.n_keypoints = 5;
  dd_pass bad_keypoints[2] = {
    { dd_tta_identity (FRAME, FRAME), frame.dets, frame.n, &frame.maps },
    { flip, &odd, 1, &frame.maps },
  };
  CHECK (!dd_ensembler_run (e, bad_keypoints, 2, out, &error));
  CHECK (error && strstr (error->message, "pass 1, detection 0 has 5 keypoints"));
  g_clear_error (&error);
  /* Maps of another network (other class count) in the second pass. */
  dd_head_maps other;
  dd_maps_init (&other, 32, 32, 4, 3, SCENE_KEYPOINTS, DD_MAPS_ALL);
  mixed[1].maps = &other;
  CHECK (!dd_ensembler_run (e, mixed, 2, out, &error));
  CHECK (error && strstr (error->message, "pass 1") && strstr (error->message, "3 classes"));
  g_clear_error (&error);
  CHECK (out->len == 0);
  dd_maps_clear (&other);
  g_array_unref (out);
  dd_ensembler_free (e);
  dd_maps_clear (&frame.maps);
}

static void
test_params (void)
{
  dd_ensemble_params p, q;
  dd_ensemble_params_init (&p);
  GError *error = NULL;
  CHECK (dd_ensemble_params_parse (&p, "boxes=soft-gaussian, sigma=0.3,scoring=quasi-sum,"
          "beta=0.5,vote=off,keypoints=argmax,classes=average,max-detections=20", &error));
  CHECK (p.boxes == DD_ENSEMBLE_BOXES_SOFT_GAUSSIAN && p.soft_sigma == 0.3
      && p.vote_scoring == DD_VOTE_QUASI_SUM && p.vote_beta == 0.5 && !p.vote
      && p.keypoints == DD_ENSEMBLE_KEYPOINTS_ARGMAX && p.classes == DD_ENSEMBLE_CLASSES_AVERAGE
      && p.decode_max_detections == 20);
  char *text = dd_ensemble_params_to_string (&p);
  dd_ensemble_params_init (&q);
  CHECK (dd_ensemble_params_parse (&q, text, &error));
  char *again = dd_ensemble_params_to_string (&q);
  CHECK (strcmp (text, again) == 0);
  CHECK (q.soft_sigma == 0.3 && q.decode_max_detections == 20 && !q.vote);
  CHECK (strstr (text, ",vote-iou=0.8,") && strstr (text, ",sigma=0.3,"));
  g_free (again);
  CHECK (dd_ensemble_params_parse (&q, "", &error));
  again = dd_ensemble_params_to_string (&q);
  CHECK (strcmp (text, again) == 0);
  g_free (again);
  const struct {
    const char *text, *word;
  } bad[] = {
    { "boxes=union", "identity|nms|soft-linear|soft-gaussian|wbf|maps" },
    { "boxes", "key=value" },
    { "nms-iou=1.5", "at most 1" },
    { "nms-iou=0", "above 0" },
    { "max-detections=2.5", "whole number" },
    { "colour=red", "unknown key 'colour'" },
    { "boxes=nms,,vote=on", "''" },
    { "vote=yes", "off|on" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++) {
    q = p;
    CHECK (!dd_ensemble_params_parse (&q, bad[i].text, &error));
    CHECK (error && error->code == DD_DISTILL_ERROR_SPEC && strstr (error->message, bad[i].word));
    if (error && !strstr (error->message, bad[i].word))
      fprintf (stderr, "  '%s': %s\n", bad[i].text, error->message);
    /* A failed parse changes nothing. */
    again = dd_ensemble_params_to_string (&q);
    CHECK (strcmp (text, again) == 0);
    g_free (again);
    g_clear_error (&error);
  }
  g_free (text);
  dd_ensemble_params_init (&p);
  CHECK (dd_ensemble_heads_needed (&p) == (DD_MAPS_KEYPOINT_HEATMAP | DD_MAPS_KEYPOINT_OFFSET));
  p.keypoints = DD_ENSEMBLE_KEYPOINTS_OWN;
  CHECK (dd_ensemble_heads_needed (&p) == 0);
}

int
main (void)
{
  if (!dd_flip_map_init (&flip_map, person_pairs, 8, SCENE_KEYPOINTS, NULL))
    return 1;
  RUN_TEST (test_scene_decodes);
  RUN_TEST (test_single_identity_pass);
  RUN_TEST (test_identical_passes);
  RUN_TEST (test_mirrored_pass);
  RUN_TEST (test_scaled_passes);
  RUN_TEST (test_argmax_rule);
  RUN_TEST (test_errors);
  RUN_TEST (test_params);
  return check_exit_status ();
}
