#!/usr/bin/env bash
# The pipeline descriptions as a user runs them (pipelines/run.sh, which
# calls gst-launch-1.0) over the `test` corpus of `ddistill synth`: an
# H.264/MP4 and a VP8/MKV clip of 18 frames at 10 fps, 160x90.
#   - sample-frames: every 3rd frame of each clip, 64 pixels high, as a
#     COCO dataset (12 images, each with its clip and timestamp);
#   - the same run again writes nothing new;
#   - watch-frames stopped by SIGINT while watching a folder holding one
#     clip, the second clip added, then sample-frames over the folder: the
#     very dataset (COCO file and image bytes) of one uninterrupted run;
#   - preview-corpus writes an MP4 that decodes;
#   - label-corpus labels every 6th frame with a tiny random teacher over
#     flip, calibrated on the labeled-35 split: a COCO dataset whose
#     provenance holds the thresholds, its labels above them.
# Arguments: the ddistill program, the pipelines folder, the program that
# writes the tests' model. GST_PLUGIN_PATH names the build's elements
# folder.
set -euo pipefail
ddistill=$1
pipelines=$2
make_model=$3
tmp=$(mktemp -d)
launch=
trap '[ -n "$launch" ] && kill "$launch" 2>/dev/null; rm -rf "$tmp"' EXIT

"$ddistill" synth --spec test --out "$tmp/synth" 2> "$tmp/synth.log"
clips=$tmp/synth/video-180

sample() {   # CORPUS DATASET
  "$pipelines/run.sh" "$pipelines/sample-frames.pipeline" CORPUS="$1" \
    DATASET="$2" MODE=every-k INTERVAL_FRAMES=3 SIDE=64 > "$tmp/run.log" 2>&1 \
    || { cat "$tmp/run.log"; echo "FAIL: sample-frames over $1"; exit 1; }
}

check_dataset() {   # DATASET IMAGES CLIP...
  python3 - "$@" <<'PY'
import json, os, sys
ds, want, clips = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
d = json.load(open(os.path.join(ds, "annotations.json")))
images = d["images"]
assert len(images) == want, f"{len(images)} images, {want} expected"
per_clip = want // len(clips)
for i, im in enumerate(images):
    clip, k = clips[i // per_clip], i % per_clip
    assert im["id"] == i + 1, im
    assert im["source_uri"].endswith("/" + clip), (im, clip)
    assert im["timestamp_ns"] == k * 300_000_000, im
    assert (im["width"], im["height"]) == (114, 64), im
    assert os.path.getsize(os.path.join(ds, im["file_name"])) > 0, im
assert d["categories"][0]["name"] == "person"
assert d["provenance"]["dataset_writer"]["element"] == "dddatasetsink"
PY
}

# An uninterrupted run over both codecs, then the same run again.
sample "$clips" "$tmp/straight"
check_dataset "$tmp/straight" 12 clip-000.mp4 clip-001.mkv
cp "$tmp/straight/annotations.json" "$tmp/first.json"
sample "$clips" "$tmp/straight"
cmp "$tmp/first.json" "$tmp/straight/annotations.json"
echo "ok sample-frames: 12 frames of an H.264/MP4 and a VP8/MKV clip"

# Watching a folder with one clip, interrupted by SIGINT (gst-launch-1.0 -e
# sends EOS: the COCO file is written), then the second clip and a restart.
mkdir "$tmp/watched"
cp "$clips/clip-000.mp4" "$tmp/watched/"
"$pipelines/run.sh" "$pipelines/watch-frames.pipeline" WATCHED="$tmp/watched" \
  DATASET="$tmp/resumed" MODE=every-k INTERVAL_FRAMES=3 SIDE=64 POLL=50 \
  > "$tmp/watch.log" 2>&1 &
launch=$!
for _ in $(seq 300); do
  lines=0
  [ -f "$tmp/resumed/journal.jsonl" ] && lines=$(wc -l < "$tmp/resumed/journal.jsonl")
  [ "$lines" -ge 7 ] && break
  sleep 0.1
done
kill -INT "$launch"
wait "$launch" || { cat "$tmp/watch.log"; echo "FAIL: watch-frames after SIGINT"; exit 1; }
launch=
check_dataset "$tmp/resumed" 6 clip-000.mp4
cp "$clips/clip-001.mkv" "$tmp/watched/"
sample "$tmp/watched" "$tmp/resumed"
sample "$tmp/watched" "$tmp/once"
check_dataset "$tmp/once" 12 clip-000.mp4 clip-001.mkv
cmp "$tmp/once/annotations.json" "$tmp/resumed/annotations.json"
for f in "$tmp/once/images/"*; do
  cmp "$f" "$tmp/resumed/images/$(basename "$f")"
done
echo "ok watch-frames stopped by SIGINT, restarted: the dataset of one run"

"$pipelines/run.sh" "$pipelines/preview-corpus.pipeline" CORPUS="$clips" \
  PREVIEW="$tmp/preview.mp4" WIDTH=160 HEIGHT=96 INTERVAL=0.5 > "$tmp/run.log" 2>&1 \
  || { cat "$tmp/run.log"; echo "FAIL: preview-corpus"; exit 1; }
frames=$(gst-launch-1.0 -v filesrc location="$tmp/preview.mp4" ! qtdemux \
  ! avdec_h264 ! fakesink silent=false 2>&1 | grep -c "chain" || true)
[ "$frames" -ge 4 ] || { echo "FAIL: preview-corpus decoded $frames frames"; exit 1; }
echo "ok preview-corpus: $frames frames"

model=$("$make_model" "$tmp")
"$pipelines/run.sh" "$pipelines/label-corpus.pipeline" CORPUS="$clips" \
  MODEL="$model" LABELED="$tmp/synth/labeled-35.json" DATASET="$tmp/labelled" \
  MODE=every-k INTERVAL_FRAMES=6 TRANSFORMS=flip > "$tmp/run.log" 2>&1 \
  || { cat "$tmp/run.log"; echo "FAIL: label-corpus"; exit 1; }
python3 - "$tmp/labelled" <<'PY'
import json, os, sys
d = json.load(open(os.path.join(sys.argv[1], "annotations.json")))
assert len(d["images"]) == 6, len(d["images"])
t = d["provenance"]["thresholds"]
assert t["method"] == "count-matching" and t["unlabeled_images"] == 6, t
person = t["classes"][0]
assert person["name"] == "person", person
for a in d["annotations"]:
    assert person["score"] is not None and a["score"] >= person["score"], a
    assert len(a["keypoints"]) == 51, a
print(f"ok label-corpus: 6 frames, {len(d['annotations'])} labels, "
      f"person >= {person['score']}")
PY
