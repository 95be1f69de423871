#!/usr/bin/env python3
"""Compare `ddistill eval --json` with pycocotools' COCOeval on fresh random cases.

Each case is a small random COCO set (several images and categories, crowds,
people with and without labelled keypoints, every area range, some images and
categories with no ground truth) and noisy detections (jittered matches, false
positives, tied scores, images with more detections than maxDets). Both
evaluators run on the same two files; every metric must agree to 1e-6.

Keypoint detections are drawn as float32 values, as ddistill holds keypoints
(a float32 engine produces them, and ddistill's writer prints them exactly).

    bench/eval/compare_pycocotools.py --ddistill build/tools/ddistill --cases 200

Needs numpy and pycocotools (not part of `make check`).
"""
import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

TOLERANCE = 1e-6
BOX_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl",
            "AR", "AR50", "AR75", "ARs", "ARm", "ARl"]
KEYPOINT_KEYS = ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"]
KEYPOINT_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear",
                  "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                  "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                  "right_knee", "left_ankle", "right_ankle"]


def f32(x):
    return float(np.float32(x))


def random_box(rng, width, height):
    # Sizes spread over small (< 32^2), medium and large (> 96^2) areas.
    side = math.exp(rng.uniform(math.log(4), math.log(400)))
    w = side * rng.uniform(0.4, 1.6)
    h = side * rng.uniform(0.4, 1.6)
    x = rng.uniform(-0.1 * w, max(width - 0.9 * w, 0.0))
    y = rng.uniform(-0.1 * h, max(height - 0.9 * h, 0.0))
    return [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]


def random_keypoints(rng, box, labelled):
    x, y, w, h = box
    kps = []
    for _ in range(17):
        v = int(rng.choice([0, 1, 2], p=[0.25, 0.25, 0.5])) if labelled else 0
        if v:
            kps += [round(rng.uniform(x, x + w)), round(rng.uniform(y, y + h)), v]
        else:
            kps += [0, 0, 0]
    if labelled and not any(kps[2::3]):
        kps[2] = 2
        kps[0], kps[1] = round(x + w / 2), round(y + h / 2)
    return kps


def make_ground_truth(rng, iou_type):
    n_images = int(rng.integers(1, 9))
    n_cats = 1 if iou_type == "keypoints" and rng.random() < 0.7 else int(rng.integers(1, 4))
    cats = []
    for c in range(n_cats):
        cat = {"id": int(c * 3 + 1), "name": "class%d" % c, "supercategory": "thing"}
        if iou_type == "keypoints":
            cat["keypoints"] = KEYPOINT_NAMES
            cat["skeleton"] = [[16, 14], [14, 12]]
        cats.append(cat)
    images, anns = [], []
    ann_id = 1                                  # ddistill refuses id 0, as pycocotools misreads it
    for i in range(n_images):
        width, height = int(rng.integers(200, 800)), int(rng.integers(200, 800))
        image_id = int(rng.integers(1, 10**6)) if rng.random() < 0.5 else i + 1
        while any(im["id"] == image_id for im in images):
            image_id += 1
        images.append({"id": image_id, "file_name": "%d.jpg" % image_id,
                       "width": width, "height": height})
        for cat in cats:
            if rng.random() < 0.2:
                continue                        # no ground truth of this class here
            for _ in range(int(rng.integers(0, 9))):
                box = random_box(rng, width, height)
                crowd = int(rng.random() < 0.08)
                # COCO's area is the mask's, smaller than the box's.
                area = round(box[2] * box[3] * rng.uniform(0.4, 1.0), 3)
                ann = {"id": ann_id, "image_id": image_id, "category_id": cat["id"],
                       "bbox": box, "area": area, "iscrowd": crowd,
                       "segmentation": [[box[0], box[1], box[0] + box[2], box[1],
                                         box[0] + box[2], box[1] + box[3]]]}
                if iou_type == "keypoints":
                    kps = random_keypoints(rng, box, rng.random() < 0.85)
                    ann["keypoints"] = kps
                    ann["num_keypoints"] = sum(1 for v in kps[2::3] if v > 0)
                anns.append(ann)
                ann_id += int(rng.integers(1, 4))
    return {"info": {"description": "random case"}, "images": images,
            "annotations": anns, "categories": cats}


def jitter_box(rng, box, amount):
    x, y, w, h = box
    nw = max(0.5, w * (1 + rng.normal(0, amount)))
    nh = max(0.5, h * (1 + rng.normal(0, amount)))
    return [x + rng.normal(0, amount) * w, y + rng.normal(0, amount) * h, nw, nh]


def detection_keypoints(rng, gt_kps, box, amount):
    x, y, w, h = box
    out = []
    for k in range(17):
        gx, gy, gv = gt_kps[3 * k:3 * k + 3]
        if gv == 0:
            gx, gy = rng.uniform(x, x + w), rng.uniform(y, y + h)
        s = amount * math.sqrt(max(w * h, 1.0))
        out += [f32(gx + rng.normal(0, s)), f32(gy + rng.normal(0, s)),
                f32(rng.uniform(0.05, 1.0))]
    return out


def make_detections(rng, gt, iou_type):
    dets = []
    with_boxes = iou_type == "bbox" or rng.random() < 0.3
    amount = rng.uniform(0.01, 0.25)
    kp_amount = rng.uniform(0.002, 0.06)        # OKS falls fast: faces have sigma .025
    tie_scores = rng.random() < 0.4

    def score():
        s = rng.random()
        return round(s, 1) if tie_scores else s

    def add(image_id, cat_id, box, kps):
        det = {"image_id": image_id, "category_id": cat_id, "score": score()}
        if with_boxes:
            det["bbox"] = box
        if kps is not None:
            det["keypoints"] = kps
        dets.append(det)

    for ann in gt["annotations"]:
        for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
            box = jitter_box(rng, ann["bbox"], amount)
            kps = (detection_keypoints(rng, ann["keypoints"], ann["bbox"], kp_amount)
                   if iou_type == "keypoints" else None)
            add(ann["image_id"], ann["category_id"], box, kps)
    for image in gt["images"]:
        # Sometimes more than maxDets (100, or 20 for keypoints) in one image.
        n_false = int(rng.integers(0, 6)) if rng.random() < 0.9 else int(rng.integers(90, 130))
        for _ in range(n_false):
            cat = gt["categories"][int(rng.integers(0, len(gt["categories"])))]
            box = random_box(rng, image["width"], image["height"])
            kps = (detection_keypoints(rng, [0] * 51, box, 0.0)
                   if iou_type == "keypoints" else None)
            add(image["id"], cat["id"], box, kps)
    if not dets:                                # pycocotools' loadRes needs one
        image, cat = gt["images"][0], gt["categories"][0]
        box = random_box(rng, image["width"], image["height"])
        add(image["id"], cat["id"], box,
            detection_keypoints(rng, [0] * 51, box, 0.0) if iou_type == "keypoints" else None)
    order = rng.permutation(len(dets))
    return [dets[i] for i in order]


def summarize(E, ap, iou_thr, area, max_dets):
    """pycocotools' _summarize, without printing."""
    p = E.params
    aind = [i for i, label in enumerate(p.areaRngLbl) if label == area]
    mind = [i for i, m in enumerate(p.maxDets) if m == max_dets]
    s = E.eval["precision"] if ap else E.eval["recall"]
    if iou_thr is not None:
        s = s[np.where(iou_thr == p.iouThrs)[0]]
    s = s[:, :, :, aind, mind] if ap else s[:, :, aind, mind]
    return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))


def pycocotools_metrics(gt_path, dt_path, iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        E = COCOeval(gt, dt, iou_type)
        E.evaluate()
        E.accumulate()
    md = 100 if iou_type == "bbox" else 20
    out = {}
    for key in (BOX_KEYS if iou_type == "bbox" else KEYPOINT_KEYS):
        ap = key.startswith("AP")
        rest = key[2:]
        iou = {"50": 0.5, "75": 0.75}.get(rest)
        area = {"s": "small", "m": "medium", "l": "large"}.get(rest, "all")
        out[key] = summarize(E, ap, iou, area, md)
    return out


def run_case(seed, iou_type, ddistill, workdir):
    rng = np.random.default_rng(seed)
    gt = make_ground_truth(rng, iou_type)
    dets = make_detections(rng, gt, iou_type)
    gt_path = os.path.join(workdir, "gt-%d.json" % seed)
    dt_path = os.path.join(workdir, "dt-%d.json" % seed)
    with open(gt_path, "w") as f:
        json.dump(gt, f)
    with open(dt_path, "w") as f:
        json.dump(dets, f)
    proc = subprocess.run([ddistill, "eval", gt_path, dt_path, "--iou-type", iou_type,
                           "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        return ["ddistill failed (%d): %s" % (proc.returncode, proc.stderr.strip())], 0.0
    ours = json.loads(proc.stdout)
    theirs = pycocotools_metrics(gt_path, dt_path, iou_type)
    faults = []
    largest = max((abs(ours[k] - v) for k, v in theirs.items() if k in ours), default=0.0)
    if set(ours) != set(theirs):
        faults.append("keys differ: %s vs %s" % (sorted(ours), sorted(theirs)))
    for key, value in theirs.items():
        if key in ours and abs(ours[key] - value) > TOLERANCE:
            faults.append("%s: ddistill %.12f, pycocotools %.12f" % (key, ours[key], value))
    if not faults:
        os.remove(gt_path)
        os.remove(dt_path)
    return faults, largest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ddistill", default="build/tools/ddistill")
    ap.add_argument("--cases", type=int, default=200, help="cases per iou type")
    ap.add_argument("--iou-type", choices=["bbox", "keypoints", "both"], default="both")
    ap.add_argument("--seed", type=int, default=1, help="first case's seed")
    args = ap.parse_args()
    types = ["bbox", "keypoints"] if args.iou_type == "both" else [args.iou_type]
    workdir = tempfile.mkdtemp(prefix="ddeval-compare-")
    failed = 0
    for iou_type in types:
        bad = 0
        largest = 0.0
        for seed in range(args.seed, args.seed + args.cases):
            faults, difference = run_case(seed, iou_type, args.ddistill, workdir)
            largest = max(largest, difference)
            if faults:
                bad += 1
                print("%s case %d (files kept in %s):\n  %s"
                      % (iou_type, seed, workdir, "\n  ".join(faults)))
        print("%s: %d of %d cases agree to %g (largest difference %.3g)"
              % (iou_type, args.cases - bad, args.cases, TOLERANCE, largest))
        failed += bad
    if not failed:
        os.rmdir(workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
