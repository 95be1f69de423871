#!/usr/bin/env python3
"""Where a detector's keypoints go wrong, beyond what COCO's AP says.

    keypoint_errors.py GROUND_TRUTH.json DETECTIONS.json

For each labelled person, the best-scoring detection whose box overlaps it
at IoU > 0.5 is its match. Prints how many people were matched, their mean
OKS (COCO's per-keypoint sigmas, the person's area) and the share at OKS
>= 0.5 (what keypoint AP50 counts), then per keypoint the median distance
from the label as a fraction of the person's box height, and how often a
left/right keypoint lies nearer its mirror partner's label than its own
(left and right confused). Last, what the share at OKS >= 0.5 would be
if one group of keypoints were perfect, or with left and right swapped
back wherever that fits better: which errors cost the most. Standard
library only.
"""
import json
import math
import sys
from collections import defaultdict

NAMES = ["nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder",
         "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee",
         "r_knee", "l_ankle", "r_ankle"]
SIGMAS = [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07,
          .87, .87, .89, .89]
MIRROR = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
GROUPS = {"face": range(0, 5), "shoulders": range(5, 7), "elbows": range(7, 9),
          "wrists": range(9, 11), "hips": range(11, 13), "knees and ankles": range(13, 17)}


def iou(a, b):
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-9)


def oks_term(k, p, label, predicted, area):
    """COCO's OKS term for labelled keypoint `label` placed at `predicted`."""
    d2 = (k[3 * label] - p[3 * predicted]) ** 2 + (k[3 * label + 1] - p[3 * predicted + 1]) ** 2
    var = (2 * SIGMAS[label] / 10) ** 2
    return math.exp(-d2 / (2 * var * (area + 1e-9)))


def share_at_half(values):
    return sum(o >= 0.5 for o in values) / max(1, len(values))


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def main(gt_path, dt_path):
    gt = json.load(open(gt_path))
    by_image = defaultdict(list)
    for d in json.load(open(dt_path)):
        by_image[d["image_id"]].append(d)
    errors = [[] for _ in NAMES]
    swapped = [0] * len(NAMES)
    oks = []
    if_perfect = {g: [] for g in GROUPS}
    unswapped = []
    for a in gt["annotations"]:
        if a.get("iscrowd") or a.get("num_keypoints", 0) == 0:
            continue
        overlapping = [d for d in by_image[a["image_id"]] if iou(d["bbox"], a["bbox"]) > 0.5]
        if not overlapping:
            continue
        p = max(overlapping, key=lambda d: d["score"])["keypoints"]
        k = a["keypoints"]
        terms = {}
        for i in range(len(NAMES)):
            if k[3 * i + 2] <= 0:
                continue
            d = math.hypot(k[3 * i] - p[3 * i], k[3 * i + 1] - p[3 * i + 1])
            errors[i].append(d / a["bbox"][3])
            j = MIRROR[i]
            if j != i and k[3 * j + 2] > 0:
                swapped[i] += math.hypot(k[3 * j] - p[3 * i], k[3 * j + 1] - p[3 * i + 1]) < d
            terms[i] = oks_term(k, p, i, i, a["area"])
        oks.append(sum(terms.values()) / len(terms))
        for g, members in GROUPS.items():
            if_perfect[g].append(sum(1.0 if i in members else t for i, t in terms.items())
                                 / len(terms))
        # Each left/right pair scored the better way round.
        best = [max(t + terms[MIRROR[i]], oks_term(k, p, MIRROR[i], i, a["area"])
                    + oks_term(k, p, i, MIRROR[i], a["area"])) / 2
                if MIRROR[i] != i and MIRROR[i] in terms else t for i, t in terms.items()]
        unswapped.append(sum(best) / len(best))
    print(f"matched {len(oks)} people: mean OKS {sum(oks) / max(1, len(oks)):.3f}, "
          f"OKS >= 0.5 for {share_at_half(oks):.3f}")
    print("keypoint      median error / height   nearer its mirror's label")
    for i, name in enumerate(NAMES):
        share = swapped[i] / len(errors[i]) if errors[i] and MIRROR[i] != i else float("nan")
        print(f"{name:12s}  {median(errors[i]):.3f}                  {share:.3f}")
    print("share at OKS >= 0.5 if these were perfect:")
    for g, values in if_perfect.items():
        print(f"  {g:18s} {share_at_half(values):.3f}")
    print(f"  {'left/right swaps':18s} {share_at_half(unswapped):.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
