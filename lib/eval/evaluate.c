/* The evaluation driver, as COCOeval.evaluate + accumulate: annotations are
 * bucketed by (category, image) once, then each category is evaluated image
 * by image (in ascending image id, pycocotools' order, which decides ties
 * of score across images) and accumulated. */
#include "eval/eval_private.h"

#include <math.h>
#include <stdlib.h>

#include "data/coco_private.h"

/* Annotations grouped by cell = category * n_images + image, each group in
 * file order (a stable counting sort). */
typedef struct buckets {
  guint *start;                 /* n_cells + 1 */
  const dd_coco_annotation **anns;
} buckets;

typedef struct eval_index {
  dd_coco_ids images;           /* ground truth images by id: the image order */
  guint n_images;
  dd_coco_ids categories;
  buckets gts, dts;
} eval_index;

static int
compare_ints (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Ground truth categories in ascending id, as pycocotools' catIds. */
static void
init_categories (dd_eval_result *r, const dd_coco_dataset *gt)
{
  r->n_categories = (int) gt->categories->len;
  r->category_ids = g_new (int, r->n_categories + 1);
  r->category_names = g_new0 (char *, r->n_categories + 1);
  for (int k = 0; k < r->n_categories; k++)
    r->category_ids[k] = g_array_index (gt->categories, dd_coco_category, k).id;
  qsort (r->category_ids, r->n_categories, sizeof (int), compare_ints);
  for (int k = 0; k < r->n_categories; k++) {
    int c = dd_coco_find_category (gt, r->category_ids[k]);
    r->category_names[k] = g_strdup (g_array_index (gt->categories, dd_coco_category, c).name);
  }
}

/* Position of the annotation's cell, or -1 with an error naming it. A
 * category or image is numbered by its rank in id order. */
static gssize
cell_of (const eval_index *ix, const dd_coco_annotation *ann, const char *what,
    GError **error)
{
  int i = dd_coco_ids_rank (&ix->images, ann->image_id);
  int k = dd_coco_ids_rank (&ix->categories, ann->category_id);
  if (i < 0 || k < 0) {
    g_autofree char *where = g_strdup_printf ("%s %" G_GINT64_FORMAT, what, ann->id);
    dd_coco_set_error (error, DD_COCO_ERROR_REFERENCE, "evaluation", where,
        i < 0 ? "image_id" : "category_id", "%" G_GINT64_FORMAT " is not %s of the "
        "ground truth", i < 0 ? ann->image_id : ann->category_id,
        i < 0 ? "an image" : "a category");
    return -1;
  }
  return (gssize) k * ix->n_images + i;
}

/* What is wrong with an entry for this evaluation (a new string), or NULL. */
static char *
entry_fault (const dd_coco_annotation *ann, gboolean is_dt, dd_eval_iou_type type,
    const char **field)
{
  /* pycocotools stores a match as the partner's id and reads 0 as "no
   * match": a ground truth of id 0 could never be found, and a detection of
   * id <= 0 would leave its match free for the next. Refused rather than
   * evaluated wrong, as pycocotools would. */
  *field = "id";
  if (is_dt ? ann->id <= 0 : ann->id == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT ": COCO evaluation needs %s ids "
        "(renumber from 1)", ann->id, is_dt ? "positive detection" : "non-zero ground truth");
  *field = "score";
  if (is_dt && !ann->has_score)
    return g_strdup ("missing: every detection needs a score");
  if (is_dt && (!isfinite (ann->score) || ann->score < 0))
    return g_strdup_printf ("%g: a score must be a finite number >= 0", ann->score);
  *field = "keypoints";
  if (type == DD_EVAL_KEYPOINTS && ann->n_keypoints != DD_COCO_PERSON_KEYPOINTS)
    return g_strdup_printf ("%d keypoints: keypoint evaluation uses the %d COCO person "
        "keypoints", ann->n_keypoints, DD_COCO_PERSON_KEYPOINTS);
  return NULL;
}

static gboolean
check_entry (const dd_coco_annotation *ann, const char *what, gboolean is_dt,
    dd_eval_iou_type type, GError **error)
{
  const char *field;
  g_autofree char *fault = entry_fault (ann, is_dt, type, &field);
  if (!fault)
    return TRUE;
  g_autofree char *where = g_strdup_printf ("%s %" G_GINT64_FORMAT, what, ann->id);
  dd_coco_set_error (error, DD_COCO_ERROR_FIELD, "evaluation", where, field, "%s", fault);
  return FALSE;
}

static gboolean
fill_buckets (buckets *b, const eval_index *ix, const GArray *anns, const char *what,
    gboolean is_dt, dd_eval_iou_type type, GError **error)
{
  guint n_cells = ix->categories.n * ix->n_images;
  g_autofree gssize *cells = g_new (gssize, anns->len + 1);
  b->start = g_new0 (guint, n_cells + 1);
  b->anns = g_new (const dd_coco_annotation *, anns->len + 1);
  for (guint j = 0; j < anns->len; j++) {
    const dd_coco_annotation *ann = &g_array_index (anns, dd_coco_annotation, j);
    if (!check_entry (ann, what, is_dt, type, error)
        || (cells[j] = cell_of (ix, ann, what, error)) < 0)
      return FALSE;
    b->start[cells[j] + 1]++;
  }
  for (guint c = 0; c < n_cells; c++)
    b->start[c + 1] += b->start[c];
  g_autofree guint *fill = g_memdup2 (b->start, (n_cells + 1) * sizeof (guint));
  for (guint j = 0; j < anns->len; j++)
    b->anns[fill[cells[j]]++] = &g_array_index (anns, dd_coco_annotation, j);
  return TRUE;
}

static void
clear_index (eval_index *ix)
{
  dd_coco_ids_clear (&ix->images);
  dd_coco_ids_clear (&ix->categories);
  g_free (ix->gts.start);
  g_free (ix->gts.anns);
  g_free (ix->dts.start);
  g_free (ix->dts.anns);
}

static gboolean
build_index (eval_index *ix, const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type, GError **error)
{
  dd_coco_ids_of_images (&ix->images, gt);
  dd_coco_ids_of_categories (&ix->categories, gt);
  ix->n_images = ix->images.n;
  return fill_buckets (&ix->gts, ix, gt->annotations, "ground truth annotation", FALSE,
      type, error)
      && fill_buckets (&ix->dts, ix, dt->annotations, "detection", TRUE, type, error);
}

/* The cell's detections ranked by score and cut to the largest maxDets;
 * `scores` and `tmp` are scratch for the ranking. */
static void
rank_cell (dd_eval_cell *cell, const dd_coco_annotation **dts, guint n, int max_det,
    double *scores, uint32_t *order, uint32_t *tmp)
{
  for (guint d = 0; d < n; d++) {
    scores[d] = dts[d]->score;
    order[d] = d;
  }
  dd_eval_rank_by_score (order, n, scores, tmp);
  cell->n_dts = (int) MIN (n, (guint) max_det);
  for (int d = 0; d < cell->n_dts; d++)
    cell->dts[d] = dts[order[d]];
}

/* Evaluates every image of category k (ix->categories' k-th entry in id
 * order) and accumulates it into r. */
static void
evaluate_category (dd_eval_result *r, const eval_index *ix, guint k, dd_eval_scratch *s)
{
  const dd_eval_params *p = &r->params;
  int max_det = p->max_dets[p->n_max_dets - 1];
  guint first = k * ix->n_images, last = first + ix->n_images;
  guint n_kept = 0, largest = 0;
  for (guint c = first; c < last; c++) {
    guint n = ix->dts.start[c + 1] - ix->dts.start[c];
    n_kept += MIN (n, (guint) max_det);
    largest = MAX (largest, n);
  }
  dd_eval_ranked dets = { .n = n_kept };
  dets.scores = g_new (double, n_kept + 1);
  dets.ranks = g_new (int, n_kept + 1);
  dets.status = g_new (uint8_t, (gsize) n_kept * p->n_areas * DD_EVAL_N_IOU + 1);
  g_autofree double *scores = g_new (double, largest + 1);
  g_autofree uint32_t *order = g_new (uint32_t, largest + 1);
  g_autofree uint32_t *tmp = g_new (uint32_t, largest + 1);
  g_autofree const dd_coco_annotation **ranked = g_new (const dd_coco_annotation *, largest + 1);

  guint pos = 0;
  for (guint c = first; c < last; c++) {
    dd_eval_cell cell = {
      .gts = ix->gts.anns + ix->gts.start[c],
      .n_gts = (int) (ix->gts.start[c + 1] - ix->gts.start[c]),
      .dts = ranked,
    };
    rank_cell (&cell, ix->dts.anns + ix->dts.start[c], ix->dts.start[c + 1] - ix->dts.start[c],
        max_det, scores, order, tmp);
    if (cell.n_gts == 0 && cell.n_dts == 0)
      continue;
    dd_eval_scratch_reserve_cell (s, cell.n_dts, cell.n_gts);
    if (p->iou_type == DD_EVAL_BBOX)
      dd_eval_box_iou (&cell, s->overlaps);
    else
      dd_eval_oks (&cell, p->sigmas, s);
    dd_eval_match (&cell, s->overlaps, p, s,
        dets.status + (gsize) pos * p->n_areas * DD_EVAL_N_IOU, dets.n_regular);
    for (int d = 0; d < cell.n_dts; d++) {
      dets.scores[pos] = cell.dts[d]->score;
      dets.ranks[pos++] = d;
    }
  }
  /* Category k in id order is at position k of r's arrays. */
  dd_eval_accumulate (r, (int) k, &dets, s);
  g_free (dets.scores);
  g_free (dets.ranks);
  g_free (dets.status);
}

dd_eval_result *
dd_eval_run (const dd_coco_dataset *gt, const dd_coco_dataset *dt,
    dd_eval_iou_type type, GError **error)
{
  eval_index ix = { 0 };
  if (!build_index (&ix, gt, dt, type, error)) {
    clear_index (&ix);
    return NULL;
  }
  dd_eval_result *r = g_new0 (dd_eval_result, 1);
  dd_eval_params_init (&r->params, type);
  init_categories (r, gt);
  const dd_eval_params *p = &r->params;
  gsize n_recall = (gsize) DD_EVAL_N_IOU * r->n_categories * p->n_areas * p->n_max_dets;
  r->precision = g_new (double, n_recall * DD_EVAL_N_RECALL + 1);
  r->recall = g_new (double, n_recall + 1);
  for (gsize i = 0; i < n_recall * DD_EVAL_N_RECALL; i++)
    r->precision[i] = -1;
  for (gsize i = 0; i < n_recall; i++)
    r->recall[i] = -1;

  dd_eval_scratch s = { 0 };
  for (guint k = 0; k < ix.categories.n; k++)
    evaluate_category (r, &ix, k, &s);
  dd_eval_scratch_clear (&s);
  clear_index (&ix);
  return r;
}

void
dd_eval_result_free (dd_eval_result *r)
{
  if (!r)
    return;
  g_free (r->category_ids);
  g_strfreev (r->category_names);
  g_free (r->precision);
  g_free (r->recall);
  g_free (r);
}
