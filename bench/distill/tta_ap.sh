#!/usr/bin/env bash
# Test-time augmentation, measured as bench/RESULTS.md records it
# ("Distillation", "Test-time augmentation: AP"): a trained teacher on the
# `small` benchmark (`ddistill synth --spec small --out SMALL_BENCH_DIR`)
#
#   - evaluated on `val` (keypoint and box AP, AP50 via `ddistill eval`);
#   - labeling `unlabeled-120` (`ddistill label`, calibrated on labeled-115),
#     the labels scored against the split's hidden truth
#     (SMALL_BENCH_DIR/hidden/unlabeled-120.json);
#
# at each setting below, with the wall time per frame of each command
# (model loading included). Prints one markdown table; every result file
# stays in OUT_DIR.
#
#   bench/distill/tta_ap.sh TEACHER_DIR SMALL_BENCH_DIR OUT_DIR
#
# DDISTILL names the binary (default: build/tools/ddistill beside this
# script's checkout). The engine's threads are the caller's: the recorded
# run sets OMP_NUM_THREADS=1.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 TEACHER_DIR SMALL_BENCH_DIR OUT_DIR" >&2
  exit 2
fi
teacher=$1
bench=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
ddistill=${DDISTILL:-$here/../../build/tools/ddistill}
for f in "$teacher/model.json" "$teacher/model.safetensors" "$bench/val.json" \
    "$bench/unlabeled-120.json" "$bench/labeled-115.json" \
    "$bench/hidden/unlabeled-120.json"; do
  if [ ! -f "$f" ]; then
    echo "$0: $f is missing (a teacher folder and a \`ddistill synth --spec small\`" \
      "tree are needed)" >&2
    exit 1
  fi
done
if [ ! -x "$ddistill" ]; then
  echo "$0: $ddistill is not executable: build it or set DDISTILL" >&2
  exit 1
fi
mkdir -p "$out"

# The experiments' transforms and box rule (bench/distill-experiments/small-*.json).
scales="factors=0.5:1.5:0.125,flip"
nms="boxes=nms,keypoints=average"
# name | transforms (empty: plain prediction, and `identity` for labels) | ensemble rules
settings=(
  "single pass||"
  "single pass, NMS + voting|identity|$nms"
  "flip|flip|$nms"
  "flip + scales|$scales|$nms"
  "flip + scales, identity boxes|$scales|boxes=identity,keypoints=average"
)

# AP and AP50 of results $2 against truth $1 for IoU type $3, as "AP | AP50".
scores() {
  "$ddistill" eval "$1" "$2" --iou-type "$3" --json \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); print("%.3f | %.3f" % (r["AP"], r["AP50"]))'
}

images_in() {
  python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["images"]))' "$1"
}

# Runs a command quietly (its stderr into $log) and prints its wall
# milliseconds per frame for $frames frames.
timed() {
  local log=$1 frames=$2
  shift 2
  local start end
  start=$(date +%s%N)
  if ! "$@" 2>"$log"; then
    echo "$0: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 / frames ))
}

val_frames=$(images_in "$bench/val.json")
unl_frames=$(images_in "$bench/unlabeled-120.json")
echo "teacher $teacher; val: $val_frames images, unlabeled-120: $unl_frames;" \
  "OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
echo
echo "| setting | passes | val kp AP | kp AP50 | box AP | box AP50 | ms/frame" \
  "| labels kp AP | kp AP50 | box AP | box AP50 | labels | ms/frame |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
i=0
for s in "${settings[@]}"; do
  IFS='|' read -r name spec rules <<<"$s"
  i=$((i + 1))
  det="$out/val-$i.json"
  labels="$out/labels-$i.json"
  predict=("$ddistill" predict --model "$teacher" --images "$bench/val.json" --out "$det")
  label=("$ddistill" label --model "$teacher" --images "$bench/unlabeled-120.json"
    --calibrate-with "$bench/labeled-115.json" --out "$labels" --transforms "${spec:-identity}")
  if [ -n "$spec" ]; then
    predict+=(--tta "$spec" --ensemble "$rules")
    label+=(--ensemble "$rules")
  fi
  val_ms=$(timed "$out/val-$i.log" "$val_frames" "${predict[@]}")
  label_ms=$(timed "$out/labels-$i.log" "$unl_frames" "${label[@]}")
  passes=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["provenance"]["transforms"].split(",")))' "$labels")
  n_labels=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["annotations"]))' "$labels")
  truth="$bench/hidden/unlabeled-120.json"
  echo "| $name | $passes | $(scores "$bench/val.json" "$det" keypoints)" \
    "| $(scores "$bench/val.json" "$det" bbox) | $val_ms" \
    "| $(scores "$truth" "$labels" keypoints) | $(scores "$truth" "$labels" bbox)" \
    "| $n_labels | $label_ms |"
done
echo
echo "transforms: flip = the frame and its mirror; flip + scales = $scales;"
echo "NMS + voting = $nms (NMS at IoU 0.5, box voting at 0.8, the survivor keeps its score);"
echo "single pass = plain \`ddistill predict\` on val and \`label --transforms identity\`"
echo "(label's default rules, which keep that pass's own boxes and keypoints)."
