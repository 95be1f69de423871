/* COCO's person category, passed on from lib/data. */
#include "elements/coco_person.h"

#include "data/synth_bench.h"
#include "data/synth_figure.h"

void
dd_coco_person_add_category (dd_coco_dataset *ds)
{
  dd_bench_add_person_category (ds);
}

int
dd_coco_person_skeleton (const int (**pairs)[2])
{
  *pairs = dd_skeleton;
  return DD_SKELETON_EDGES;
}
