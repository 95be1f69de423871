/* Count matching: on a synthetic corpus the selected counts match the
 * labeled means (instances per image, labelled keypoints per instance) to
 * within one for the whole corpus; the labeled statistics of COCO sets;
 * thresholds to JSON and back; errors. */
#include <string.h>

#include "check.h"
#include "coco_real.h"
#include "data/coco.h"
#include "distill/calibrate.h"
#include "distill/distill_error.h"
#include "nn/rng.h"

#define N_IMAGES 1000
#define N_KEYPOINTS 17

static const char *const class_names[] = { "person", "dog", NULL };

/* Labeled statistics as given, without a dataset. */
static dd_labeled_stats
stats (double person, double dog, double keypoints)
{
  dd_labeled_stats s = {
    .n_classes = 2,
    .class_names = g_strdupv ((char **) class_names),
    .mean_instances = g_new (double, 2),
    .has_keypoints = g_new (gboolean, 2),
    .mean_keypoints = keypoints,
    .n_images = 400,
  };
  s.mean_instances[0] = person;
  s.mean_instances[1] = dog;
  s.has_keypoints[0] = TRUE;
  s.has_keypoints[1] = FALSE;
  return s;
}

/* A corpus of N_IMAGES images with 0 to 15 candidates each, random
 * classes, scores and keypoint scores; kept to recount the selection. */
static dd_detection *
corpus (dd_rng *rng, dd_calibrator *cal, int *counts)
{
  dd_detection *all = g_new0 (dd_detection, N_IMAGES * 16);
  for (int i = 0; i < N_IMAGES; i++) {
    dd_detection *d = all + i * 16;
    counts[i] = (int) dd_rng_below (rng, 16);
    for (int j = 0; j < counts[i]; j++) {
      d[j].class_index = dd_rng_uniform (rng) < 0.8f ? 0 : 1;
      d[j].score = dd_rng_uniform (rng);
      d[j].n_keypoints = d[j].class_index == 0 ? N_KEYPOINTS : 0;
      for (int k = 0; k < d[j].n_keypoints; k++)
        d[j].keypoints[k].score = dd_rng_uniform (rng) * d[j].score;
    }
    CHECK (dd_calibrator_add_image (cal, d, counts[i], NULL));
  }
  return all;
}

static void
test_count_matching (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 5, 0);
  for (int trial = 0; trial < 3; trial++) {
    dd_calibrator *cal = dd_calibrator_new (2, N_KEYPOINTS);
    int counts[N_IMAGES];
    dd_detection *all = corpus (&rng, cal, counts);
    CHECK (dd_calibrator_n_images (cal) == N_IMAGES);
    double person = 3.2 + trial, dog = 0.7, keypoints = 9.5 - 2 * trial;
    dd_labeled_stats s = stats (person, dog, keypoints);
    dd_thresholds t;
    CHECK (dd_calibrator_finish (cal, &s, &t, NULL));
    /* Recount from the candidates themselves. */
    int64_t kept[2] = { 0 }, people = 0, visible = 0;
    for (int i = 0; i < N_IMAGES; i++)
      for (int j = 0; j < counts[i]; j++) {
        const dd_detection *d = &all[i * 16 + j];
        if (!dd_thresholds_keep (&t, d))
          continue;
        kept[d->class_index]++;
        if (d->class_index == 0) {
          people++;
          visible += dd_thresholds_count_keypoints (&t, d);
        }
      }
    /* Within one instance of the labeled mean times the corpus. */
    CHECK (fabs (kept[0] - person * N_IMAGES) <= 1.0);
    CHECK (fabs (kept[1] - dog * N_IMAGES) <= 1.0);
    CHECK (fabs (visible - keypoints * people) <= 1.0);
    CHECK_CLOSE (t.classes[0].selected_mean, (double) kept[0] / N_IMAGES, 0, 1e-12);
    CHECK_CLOSE (t.keypoint_selected_mean, (double) visible / people, 0, 1e-12);
    CHECK (t.classes[0].labeled_mean == person && t.keypoint_labeled_mean == keypoints);
    CHECK (t.unlabeled_images == N_IMAGES && t.labeled_images == 400);
    CHECK (strcmp (t.classes[1].name, "dog") == 0);
    CHECK (t.classes[0].candidates + t.classes[1].candidates
        == dd_calibrator_n_candidates (cal));
    dd_thresholds_clear (&t);
    dd_labeled_stats_clear (&s);
    dd_calibrator_free (cal);
    g_free (all);
  }
}

static void
test_extremes (void)
{
  dd_rng rng;
  dd_rng_seed (&rng, 6, 0);
  dd_calibrator *cal = dd_calibrator_new (2, N_KEYPOINTS);
  int counts[N_IMAGES];
  dd_detection *all = corpus (&rng, cal, counts);
  /* No dogs in the labeled set: keep none. 100 people an image: more than
   * there are, keep them all. */
  dd_labeled_stats s = stats (100.0, 0.0, 17.0);
  dd_thresholds t;
  CHECK (dd_calibrator_finish (cal, &s, &t, NULL));
  CHECK (isinf (t.classes[1].score) && t.classes[1].selected_mean == 0.0);
  CHECK (t.classes[0].selected_mean * N_IMAGES == t.classes[0].candidates);
  /* 17 of 17 keypoints asked: every keypoint of every person. */
  CHECK (t.keypoint_selected_mean == 17.0);
  dd_thresholds_clear (&t);
  dd_labeled_stats_clear (&s);
  dd_calibrator_free (cal);
  g_free (all);
}

static void
test_json (void)
{
  dd_class_threshold classes[2] = {
    { "person", 0.41234567890123, 3.2, 3.199, 25034 },
    { "dog", INFINITY, 0.0, 0.0, 77 },
  };
  dd_thresholds t = {
    .n_classes = 2, .classes = classes, .keypoint_score = 0.2718281828,
    .keypoint_labeled_mean = 11.3, .keypoint_selected_mean = 11.2999,
    .labeled_images = 400, .unlabeled_images = 1200,
  };
  JsonNode *node = dd_thresholds_to_json (&t);
  /* Through text, as it travels in the provenance. */
  char *text = json_to_string (node, FALSE);
  CHECK (strstr (text, "\"score\":null") != NULL);
  CHECK (strstr (text, "\"method\":\"count-matching\"") != NULL);
  JsonNode *parsed = json_from_string (text, NULL);
  dd_thresholds back;
  GError *error = NULL;
  CHECK (dd_thresholds_from_json (parsed, &back, &error));
  CHECK (back.n_classes == 2 && strcmp (back.classes[1].name, "dog") == 0);
  CHECK (back.classes[0].score == classes[0].score && isinf (back.classes[1].score));
  CHECK (back.classes[0].candidates == 25034 && back.classes[0].selected_mean == 3.199);
  CHECK (back.keypoint_score == t.keypoint_score
      && back.keypoint_selected_mean == t.keypoint_selected_mean);
  CHECK (back.labeled_images == 400 && back.unlabeled_images == 1200);
  dd_thresholds_clear (&back);
  json_node_unref (parsed);
  g_free (text);
  /* A member missing or of the wrong type is named. */
  JsonObject *o = json_node_get_object (node);
  JsonObject *c0 = json_array_get_object_element (json_object_get_array_member (o,
          "classes"), 0);
  json_object_set_string_member (c0, "labeled_mean", "3.2");
  CHECK (!dd_thresholds_from_json (node, &back, &error));
  CHECK (error && strstr (error->message, "classes[0]")
      && strstr (error->message, "labeled_mean"));
  g_clear_error (&error);
  json_object_remove_member (o, "keypoints");
  CHECK (!dd_thresholds_from_json (node, &back, &error));
  CHECK (error && strstr (error->message, "keypoints"));
  g_clear_error (&error);
  json_node_unref (node);
  CHECK (!dd_thresholds_from_json (NULL, &back, &error));
  g_clear_error (&error);
}

static void
add_ann (dd_coco_dataset *ds, int64_t id, int64_t image, int cat, int crowd,
    int num_keypoints)
{
  dd_coco_annotation a = { .id = id, .image_id = image, .category_id = cat,
    .bbox = { 0, 0, 10, 10 }, .area = 100, .iscrowd = crowd,
    .num_keypoints = num_keypoints };
  dd_coco_add_annotation (ds, &a);
}

static void
test_labeled_stats (void)
{
  dd_coco_dataset *ds = dd_coco_dataset_new ();
  for (int i = 1; i <= 4; i++) {
    dd_coco_image im = { .id = i, .file_name = "x.jpg", .width = 64, .height = 48,
      .timestamp_ns = -1 };
    dd_coco_add_image (ds, &im);
  }
  char *names[17];
  for (int k = 0; k < 17; k++)
    names[k] = g_strdup_printf ("k%d", k);
  dd_coco_category person = { .id = 1, .name = "person", .n_keypoints = 17,
    .keypoint_names = names };
  dd_coco_category dog = { .id = 18, .name = "dog" };
  dd_coco_add_category (ds, &dog);
  dd_coco_add_category (ds, &person);
  /* Four people (and a crowd, not counted) with 17, 5, 0 and 10 keypoints;
   * three dogs. */
  add_ann (ds, 1, 1, 1, 0, 17);
  add_ann (ds, 2, 1, 1, 0, 5);
  add_ann (ds, 3, 2, 1, 0, 0);
  add_ann (ds, 4, 4, 1, 0, 10);
  add_ann (ds, 5, 4, 1, 1, 0);
  add_ann (ds, 6, 2, 18, 0, 0);
  add_ann (ds, 7, 3, 18, 0, 0);
  add_ann (ds, 8, 3, 18, 0, 0);
  dd_labeled_stats s;
  GError *error = NULL;
  CHECK (dd_labeled_stats_from_coco (ds, class_names, 2, &s, &error));
  CHECK (s.n_classes == 2 && s.n_images == 4);
  CHECK (s.mean_instances[0] == 1.0 && s.mean_instances[1] == 0.75);
  CHECK (s.has_keypoints[0] && !s.has_keypoints[1]);
  CHECK (s.mean_keypoints == 8.0);
  CHECK (strcmp (s.class_names[1], "dog") == 0 && s.class_names[2] == NULL);
  dd_labeled_stats_clear (&s);
  /* A class the set does not label. */
  const char *const cat[] = { "person", "cat" };
  CHECK (!dd_labeled_stats_from_coco (ds, cat, 2, &s, &error));
  CHECK (error && strstr (error->message, "'cat'") && strstr (error->message, "'dog'"));
  g_clear_error (&error);
  for (int k = 0; k < 17; k++)
    g_free (names[k]);
  dd_coco_dataset_free (ds);
  /* Images, but no instance of the classes outside crowds: no label would
   * be kept. */
  ds = dd_coco_dataset_new ();
  dd_coco_image only = { .id = 1, .file_name = "x.jpg", .width = 64, .height = 48,
    .timestamp_ns = -1 };
  dd_coco_add_image (ds, &only);
  dd_coco_add_category (ds, &dog);
  add_ann (ds, 1, 1, 18, 1, 0);
  CHECK (!dd_labeled_stats_from_coco (ds, class_names + 1, 1, &s, &error));
  CHECK (error && strstr (error->message, "no instance"));
  g_clear_error (&error);
  dd_coco_dataset_free (ds);
  /* No images. */
  ds = dd_coco_dataset_new ();
  CHECK (!dd_labeled_stats_from_coco (ds, class_names, 1, &s, &error));
  CHECK (error && strstr (error->message, "no images"));
  g_clear_error (&error);
  dd_coco_dataset_free (ds);
}

/* The real COCO fixture: 4 images, 14 people, 181 labelled keypoints. */
static void
test_real_fixture (void)
{
  GError *error = NULL;
  dd_coco_dataset *ds = dd_coco_read (DD_COCO_REAL_DIR "/test_coco.json", &error);
  CHECK (ds != NULL);
  if (ds == NULL) {
    fprintf (stderr, "  %s\n", error->message);
    g_error_free (error);
    return;
  }
  dd_labeled_stats s;
  CHECK (dd_labeled_stats_from_coco (ds, class_names, 1, &s, &error));
  CHECK (s.mean_instances[0] == 3.5);
  CHECK_CLOSE (s.mean_keypoints, 181.0 / 14.0, 0, 1e-12);
  dd_labeled_stats_clear (&s);
  dd_coco_dataset_free (ds);
}

static void
test_errors (void)
{
  dd_calibrator *cal = dd_calibrator_new (1, N_KEYPOINTS);
  dd_labeled_stats s = stats (1.0, 1.0, 5.0);
  dd_thresholds t;
  GError *error = NULL;
  CHECK (!dd_calibrator_finish (cal, &s, &t, &error));
  CHECK (error && strstr (error->message, "2 classes, the network 1"));
  g_clear_error (&error);
  s.n_classes = 1;
  CHECK (!dd_calibrator_finish (cal, &s, &t, &error));
  CHECK (error && strstr (error->message, "no unlabeled image"));
  g_clear_error (&error);
  dd_detection d[2] = { { .class_index = 0, .score = 0.5f, .n_keypoints = N_KEYPOINTS },
    { .class_index = 1, .score = 0.5f } };
  CHECK (!dd_calibrator_add_image (cal, d, 2, &error));
  CHECK (error && strstr (error->message, "candidate 1") && strstr (error->message, "class 1"));
  g_clear_error (&error);
  d[1] = (dd_detection) { .class_index = 0, .score = NAN };
  CHECK (!dd_calibrator_add_image (cal, d, 2, &error));
  CHECK (error && strstr (error->message, "not a number"));
  g_clear_error (&error);
  /* The failed images left nothing behind. */
  CHECK (dd_calibrator_n_images (cal) == 0 && dd_calibrator_n_candidates (cal) == 0);
  s.n_classes = 2;
  dd_labeled_stats_clear (&s);
  dd_calibrator_free (cal);
}

int
main (void)
{
  dd_require_coco_real ();
  RUN_TEST (test_count_matching);
  RUN_TEST (test_extremes);
  RUN_TEST (test_json);
  RUN_TEST (test_labeled_stats);
  RUN_TEST (test_real_fixture);
  RUN_TEST (test_errors);
  return check_exit_status ();
}
