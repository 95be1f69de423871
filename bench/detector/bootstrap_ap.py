#!/usr/bin/env python3
"""How much a COCO AP on a small validation set could move by chance.

    bootstrap_ap.py DDISTILL GROUND_TRUTH.json DETECTIONS.json \
        [--against OTHER.json] [--iou-type keypoints|bbox] [--metric AP50] \
        [--samples 200] [--seed 1]

Draws the validation images with replacement (each draw a new image with
its people and detections), scores every resample with `ddistill eval`,
and prints the metric on the whole set and the 2.5th, 50th and 97.5th
percentiles over the resamples: a 95% interval for what another
validation set of the same size from the same generator might give.

With --against, a second model's detections on the same images are
scored on the same resamples and the interval is of the difference
DETECTIONS - OTHER: a paired comparison, far tighter than two separate
intervals, because both models meet the same easy and hard images.
Standard library only.
"""
import argparse
import json
import os
import random
import subprocess
import tempfile


def resample_truth(gt, image_by_id, anns_by_image, picks):
    """The ground truth of the images `picks` (ids, with repeats), each draw
    renumbered as a new image 0, 1, ..."""
    images, anns = [], []
    for new_id, old_id in enumerate(picks):
        images.append(dict(image_by_id[old_id], id=new_id))
        for a in anns_by_image.get(old_id, []):
            anns.append(dict(a, id=len(anns) + 1, image_id=new_id))
    return dict(gt, images=images, annotations=anns)


def resample_detections(dets_by_image, picks):
    """The detections of the same draws, renumbered as resample_truth does."""
    return [dict(d, image_id=new_id) for new_id, old_id in enumerate(picks)
            for d in dets_by_image.get(old_id, [])]


def score(ddistill, gt, dets, iou_type, folder):
    gt_path = os.path.join(folder, "gt.json")
    dt_path = os.path.join(folder, "dt.json")
    with open(gt_path, "w") as f:
        json.dump(gt, f)
    with open(dt_path, "w") as f:
        json.dump(dets, f)
    out = subprocess.run([ddistill, "eval", "--iou-type", iou_type, "--json",
                          gt_path, dt_path], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def by_image(items):
    """Annotations or detections grouped by their image_id."""
    grouped = {}
    for d in items:
        grouped.setdefault(d["image_id"], []).append(d)
    return grouped


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ddistill")
    p.add_argument("ground_truth")
    p.add_argument("detections")
    p.add_argument("--against", metavar="OTHER.json")
    p.add_argument("--iou-type", default="keypoints")
    p.add_argument("--metric", default="AP50")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    with open(args.ground_truth) as f:
        gt = json.load(f)
    runs = [args.detections] + ([args.against] if args.against else [])
    dets = []
    for path in runs:
        with open(path) as f:
            dets.append(json.load(f))
    grouped = [by_image(d) for d in dets]
    image_by_id = {im["id"]: im for im in gt["images"]}
    anns_by_image = by_image(gt["annotations"])
    ids = list(image_by_id)
    rng = random.Random(args.seed)

    def metric(gt_set, det_sets, folder):
        values = [score(args.ddistill, gt_set, d, args.iou_type, folder)[args.metric]
                  for d in det_sets]
        return values[0] - values[1] if len(values) == 2 else values[0]

    with tempfile.TemporaryDirectory() as folder:
        whole = metric(gt, dets, folder)
        values = []
        for _ in range(args.samples):
            picks = [rng.choice(ids) for _ in ids]
            values.append(metric(resample_truth(gt, image_by_id, anns_by_image, picks),
                                 [resample_detections(g, picks) for g in grouped],
                                 folder))
    values.sort()
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    sign = "+" if args.against else ""
    what = f"{args.iou_type} {args.metric}" + (" difference" if args.against else "")
    print(f"{what}: {whole:{sign}.3f} on the whole set; over "
          f"{args.samples} resamples of its {len(ids)} images: "
          f"2.5% {at(0.025):{sign}.3f}, median {at(0.5):{sign}.3f}, "
          f"97.5% {at(0.975):{sign}.3f}"
          + (f"; above 0 in {sum(v > 0 for v in values)}" if args.against else ""))


if __name__ == "__main__":
    main()
