#!/usr/bin/env python3
"""Which keypoints count matching keeps in the automatic labels, against
the truth kept apart.

    keypoint_cut.py LABELS.json TRUTH.json

`ddistill label` keeps a keypoint (v = 2) where its heatmap score reaches
a threshold chosen so that each person gets as many keypoints on average
as the manually labelled set has, and drops the others (v = 0, at 0, 0).
Each label person is matched to the true person its box overlaps most
(IoU >= 0.5, labels in score order, each true person once), and every
keypoint of the pair is counted as kept or dropped by the labels and
labelled or not in the truth, overall and per keypoint. A dropped keypoint
the truth labels is a visible joint the student is taught is not there
(the heatmap loss reads every unlabelled cell as background); a kept one
the truth leaves unlabelled is a guess the student is taught to make.

Scoring the labels file with `ddistill eval` puts the dropped keypoints at
0, 0: its keypoint AP is of the labels as the student sees them, not of
the kept keypoints' precision. Standard library only.
"""
import collections
import json
import sys

NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear",
         "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
         "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
         "right_knee", "left_ankle", "right_ankle"]


def iou(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        labels = json.load(f)["annotations"]
    with open(sys.argv[2]) as f:
        truth = json.load(f)["annotations"]
    truth_by_image = collections.defaultdict(list)
    for t in truth:
        truth_by_image[t["image_id"]].append(t)
    used = set()
    people = collections.Counter()
    total = collections.Counter()
    per_keypoint = [collections.Counter() for _ in NAMES]
    for a in sorted(labels, key=lambda a: -a.get("score", 1)):
        best, match = 0.5, None
        for t in truth_by_image[a["image_id"]]:
            overlap = iou(a["bbox"], t["bbox"])
            if t["id"] not in used and overlap >= best:
                best, match = overlap, t
        if match is None:
            people["no true person"] += 1
            continue
        used.add(match["id"])
        if not any(match["keypoints"][2::3]):
            people["true person without keypoints"] += 1
            continue
        people["matched"] += 1
        for k in range(len(NAMES)):
            kept = a["keypoints"][3 * k + 2] > 0
            labelled = match["keypoints"][3 * k + 2] > 0
            key = (kept, labelled)
            total[key] += 1
            per_keypoint[k][key] += 1
    print(f"{len(labels)} label people: " + ", ".join(f"{v} {k}" for k, v in people.items()))
    print("| keypoint | kept, labelled | kept, unlabelled | dropped, labelled | dropped, unlabelled |")
    print("|---|---|---|---|---|")
    for name, c in list(zip(NAMES, per_keypoint)) + [("all", total)]:
        print(f"| {name} | {c[(True, True)]} | {c[(True, False)]} | {c[(False, True)]} "
              f"| {c[(False, False)]} |")
    kept = total[(True, True)] + total[(True, False)]
    dropped = total[(False, True)] + total[(False, False)]
    print(f"kept keypoints the truth labels: {total[(True, True)] / kept:.1%}; "
          f"dropped keypoints the truth labels: {total[(False, True)] / dropped:.1%}")


if __name__ == "__main__":
    main()
