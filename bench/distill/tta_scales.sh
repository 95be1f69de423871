#!/usr/bin/env bash
# Which test-time transforms help a teacher, as bench/RESULTS.md records it
# ("Test-time augmentation: AP", next to tta_ap.sh's table): the teacher
# evaluated on one labelled set (`ddistill predict --tta ... --ensemble
# boxes=nms,keypoints=average`, then `ddistill eval`) with the untransformed
# pass joined by one resize factor and its mirror at a time, then by the
# factors below 1 alone and above 1 alone, against the identity through the
# same rules. Box AP, AP50 and AP by size, keypoint AP50, wall time per
# frame. Prints one markdown table; the results stay in OUT_DIR.
#
#   bench/distill/tta_scales.sh TEACHER_DIR VAL_JSON OUT_DIR
#
# DDISTILL names the binary (default: build/tools/ddistill beside this
# script's checkout).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 TEACHER_DIR VAL_JSON OUT_DIR" >&2
  exit 2
fi
teacher=$1
val=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
ddistill=${DDISTILL:-$here/../../build/tools/ddistill}
for f in "$teacher/model.json" "$val"; do
  if [ ! -f "$f" ]; then
    echo "$0: $f is missing" >&2
    exit 1
  fi
done
mkdir -p "$out"
rules="boxes=nms,keypoints=average"
specs=(identity)
for f in 0.5 0.625 0.75 0.875 1 1.125 1.25 1.375 1.5; do
  if [ "$f" = 1 ]; then
    specs+=(flip)
  else
    specs+=("list=${f}x;${f}xf")
  fi
done
specs+=("factors=0.5:1:0.125,flip" "factors=1:1.5:0.125,flip" "factors=0.5:1.5:0.125,flip")

frames=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["images"]))' "$val")
# The named members of `ddistill eval --json`, "a | b | ...".
members() {
  python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" | ".join("-" if r[k] < 0 else "%.3f" % r[k] for k in sys.argv[1:]))' "$@"
}
echo "teacher $teacher on $val ($frames images); ensemble $rules;" \
  "OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
echo
echo "| transforms | passes | box AP | AP50 | APs | APm | APl | kp AP50 | ms/frame |"
echo "|---|---|---|---|---|---|---|---|---|"
i=0
for spec in "${specs[@]}"; do
  i=$((i + 1))
  det="$out/val-$i.json"
  start=$(date +%s%N)
  if ! "$ddistill" predict --model "$teacher" --images "$val" --out "$det" \
      --tta "$spec" --ensemble "$rules" 2>"$out/val-$i.log"; then
    cat "$out/val-$i.log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  passes=$(sed -n 's/.*: \([0-9]*\) passes per image.*/\1/p' "$out/val-$i.log")
  boxes=$("$ddistill" eval "$val" "$det" --iou-type bbox --json | members AP AP50 APs APm APl)
  kp=$("$ddistill" eval "$val" "$det" --iou-type keypoints --json | members AP50)
  echo "| $spec | $passes | $boxes | $kp | $(( (end - start) / 1000000 / frames )) |"
done
