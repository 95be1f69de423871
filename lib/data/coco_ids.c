/* Sorted id tables: the reader, the checks and the evaluator look entries up
 * by id in O(log n) without a hash table per id type. */
#include "data/coco_private.h"

#include <stdlib.h>

static int
compare_entries (const void *pa, const void *pb)
{
  const dd_coco_id_entry *a = pa, *b = pb;
  if (a->id != b->id)
    return a->id < b->id ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static void
sort_ids (dd_coco_ids *ids)
{
  qsort (ids->entries, ids->n, sizeof ids->entries[0], compare_entries);
}

void
dd_coco_ids_of_images (dd_coco_ids *ids, const dd_coco_dataset *ds)
{
  ids->n = ds->images->len;
  ids->entries = g_new (dd_coco_id_entry, ids->n ? ids->n : 1);
  for (guint i = 0; i < ids->n; i++)
    ids->entries[i] = (dd_coco_id_entry) { g_array_index (ds->images, dd_coco_image, i).id, i };
  sort_ids (ids);
}

void
dd_coco_ids_of_categories (dd_coco_ids *ids, const dd_coco_dataset *ds)
{
  ids->n = ds->categories->len;
  ids->entries = g_new (dd_coco_id_entry, ids->n ? ids->n : 1);
  for (guint i = 0; i < ids->n; i++)
    ids->entries[i] = (dd_coco_id_entry) {
      g_array_index (ds->categories, dd_coco_category, i).id, i };
  sort_ids (ids);
}

void
dd_coco_ids_of_annotations (dd_coco_ids *ids, const dd_coco_dataset *ds)
{
  ids->n = ds->annotations->len;
  ids->entries = g_new (dd_coco_id_entry, ids->n ? ids->n : 1);
  for (guint i = 0; i < ids->n; i++)
    ids->entries[i] = (dd_coco_id_entry) {
      g_array_index (ds->annotations, dd_coco_annotation, i).id, i };
  sort_ids (ids);
}

int
dd_coco_ids_rank (const dd_coco_ids *ids, int64_t id)
{
  guint lo = 0, hi = ids->n;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (ids->entries[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < ids->n && ids->entries[lo].id == id ? (int) lo : -1;
}

int
dd_coco_ids_find (const dd_coco_ids *ids, int64_t id)
{
  int rank = dd_coco_ids_rank (ids, id);
  return rank < 0 ? -1 : (int) ids->entries[rank].index;
}

gboolean
dd_coco_ids_repeated (const dd_coco_ids *ids, int64_t *id, guint *first, guint *second)
{
  for (guint i = 1; i < ids->n; i++)
    if (ids->entries[i].id == ids->entries[i - 1].id) {
      *id = ids->entries[i].id;
      *first = ids->entries[i - 1].index;
      *second = ids->entries[i].index;
      return TRUE;
    }
  return FALSE;
}

void
dd_coco_ids_clear (dd_coco_ids *ids)
{
  g_free (ids->entries);
  ids->entries = NULL;
  ids->n = 0;
}
