#!/usr/bin/env python3
"""How much a COCO AP on a small validation set could move by chance.

    bootstrap_ap.py DDISTILL GROUND_TRUTH.json DETECTIONS.json \
        [--iou-type keypoints|bbox] [--metric AP50] [--samples 200] [--seed 1]

Draws the validation images with replacement (each draw a new image with
its people and detections), scores every resample with `ddistill eval`,
and prints the metric on the whole set and the 2.5th, 50th and 97.5th
percentiles over the resamples: a 95% interval for what another
validation set of the same size from the same generator might give.
Standard library only.
"""
import argparse
import json
import os
import random
import subprocess
import tempfile


def resample(gt, dets_by_image, rng):
    images, anns, dets = [], [], []
    image_by_id = {im["id"]: im for im in gt["images"]}
    ids = list(image_by_id)
    anns_by_image = {}
    for a in gt["annotations"]:
        anns_by_image.setdefault(a["image_id"], []).append(a)
    for new_id, old_id in enumerate(rng.choice(ids) for _ in ids):
        images.append(dict(image_by_id[old_id], id=new_id))
        for a in anns_by_image.get(old_id, []):
            anns.append(dict(a, id=len(anns) + 1, image_id=new_id))
        dets.extend(dict(d, image_id=new_id) for d in dets_by_image.get(old_id, []))
    return dict(gt, images=images, annotations=anns), dets


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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ddistill")
    p.add_argument("ground_truth")
    p.add_argument("detections")
    p.add_argument("--iou-type", default="keypoints")
    p.add_argument("--metric", default="AP50")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    with open(args.ground_truth) as f:
        gt = json.load(f)
    with open(args.detections) as f:
        dets = json.load(f)
    dets_by_image = {}
    for d in dets:
        dets_by_image.setdefault(d["image_id"], []).append(d)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        whole = score(args.ddistill, gt, dets, args.iou_type, folder)[args.metric]
        values = sorted(
            score(args.ddistill, *resample(gt, dets_by_image, rng), args.iou_type,
                  folder)[args.metric]
            for _ in range(args.samples))
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"{args.iou_type} {args.metric}: {whole:.3f} on the whole set; over "
          f"{args.samples} resamples of its {len(gt['images'])} images: "
          f"2.5% {at(0.025):.3f}, median {at(0.5):.3f}, 97.5% {at(0.975):.3f}")


if __name__ == "__main__":
    main()
