#!/usr/bin/env python3
"""The hidden truth of the video frames an experiment labelled, under the
labels' image ids, so that `ddistill eval` and keypoint_cut.py can score
the labels against it.

    frames_truth.py LABELS.json TRUTH.json OUT.json [MIN_SCORE OUT_LABELS.json]

`ddistill distill` samples frames of video-180's clips and labels them as
images numbered 1, 2, ...; the hidden truth (hidden/video-180.json) holds
every frame of every clip under its own ids. A labelled frame and its
truth share the clip (source_uri's file name) and timestamp_ns. With
MIN_SCORE, also writes the labels whose score reaches it: the labels
another score threshold would have kept. Standard library only.
"""
import json
import os
import sys


def frame_key(image):
    return os.path.basename(image["source_uri"]), image["timestamp_ns"]


def main():
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        labels = json.load(f)
    with open(sys.argv[2]) as f:
        truth = json.load(f)
    truth_id = {frame_key(im): im["id"] for im in truth["images"]}
    label_id = {truth_id[frame_key(im)]: im["id"] for im in labels["images"]}
    people = [dict(a, image_id=label_id[a["image_id"]]) for a in truth["annotations"]
              if a["image_id"] in label_id]
    with open(sys.argv[3], "w") as f:
        json.dump(dict(truth, images=labels["images"], annotations=people), f)
    print(f"{len(labels['images'])} frames, {len(people)} true people, "
          f"{len(labels['annotations'])} labels")
    if len(sys.argv) == 6:
        kept = [a for a in labels["annotations"] if a["score"] >= float(sys.argv[4])]
        with open(sys.argv[5], "w") as f:
            json.dump(dict(labels, annotations=kept), f)
        print(f"{len(kept)} labels of score >= {sys.argv[4]}")


if __name__ == "__main__":
    main()
