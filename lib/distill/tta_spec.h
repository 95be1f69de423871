/* The set of test-time transforms, written as one short spec.
 *
 * Grammar (items separated by commas, spaces around items ignored):
 *
 *   spec    := item { "," item }          (the empty spec is the identity alone)
 *   item    := "scales=" values           shorter side, in pixels (integers)
 *            | "factors=" values          size relative to the frame (decimals)
 *            | number                     one more value of the list just above
 *            | "flip"                     every scale and factor also runs mirrored
 *            | "list=" entry { ";" entry }  explicit transforms, each as written
 *            | "identity"                 the untransformed pass (always included)
 *   values  := number | first ":" last ":" step     (an inclusive range)
 *   entry   := side [ "f" ] | factor "x" [ "f" ]     ("f": mirrored)
 *
 * Examples: "scales=96:224:32,flip" (96, 128, ..., 224, each also flipped: the
 * paper's 400:1200:100 in small), "factors=0.5,1,1.5,flip", "flip" (the
 * frame and its mirror), "list=128;128f;160;160f", "list=1x;0.5xf".
 *
 * A shorter side S resizes the frame so that its shorter side is S pixels
 * and the other keeps the aspect ratio (rounded to the nearest pixel); a
 * factor f resizes both sides by f (rounded). "flip" applies to the scales
 * and factors; list entries say their own. With no scales, factors or list,
 * "flip" mirrors the frame at its own size.
 *
 * Resolving a spec for a frame size gives the transforms (tta_transform.h):
 * the identity always comes first, whether or not the spec names it, and a
 * transform that comes out twice (two values rounding to one size) is kept
 * once.
 */
#ifndef DD_DISTILL_TTA_SPEC_H
#define DD_DISTILL_TTA_SPEC_H

#include <glib.h>

#include "distill/tta_transform.h"

/* The most transforms one spec may produce, identity included: 18 is the
 * paper's setting, 64 is far beyond what a frame budget allows. */
#define DD_TTA_MAX_TRANSFORMS 64
/* The largest side a transformed image may have, in pixels. */
#define DD_TTA_MAX_SIDE 16384

typedef struct dd_tta_entry {
  gboolean absolute;            /* value is a shorter side in pixels, else a factor */
  double value;
  gboolean flip;
} dd_tta_entry;

typedef struct dd_tta_spec {
  char *text;                   /* the spec as given, trimmed: for provenance */
  int n_entries;
  dd_tta_entry entries[DD_TTA_MAX_TRANSFORMS];
} dd_tta_spec;

/* Parses `text`; on failure says which item is wrong and how it should be
 * written, and returns NULL. */
dd_tta_spec *dd_tta_spec_parse (const char *text, GError **error);
void dd_tta_spec_free (dd_tta_spec *spec);

/* The transforms of a frame of frame_width x frame_height, identity first:
 * writes them to `out` (room for DD_TTA_MAX_TRANSFORMS) and returns how
 * many, or -1 with an error when a transform would be empty or larger than
 * DD_TTA_MAX_SIDE (naming the entry and the sizes). */
int dd_tta_spec_resolve (const dd_tta_spec *spec, int frame_width,
    int frame_height, dd_tta_transform *out, GError **error);

#endif
