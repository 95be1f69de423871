#!/usr/bin/env bash
# The labeling throughput benchmark end to end, as bench/RESULTS.md
# records it: the `quick` benchmark's video corpus (3 clips, H.264/MP4 and
# VP8/MKV) generated into a scratch folder, then bench_labeling over it
# with a random-weight `small` teacher. Extra arguments go to
# bench_labeling (e.g. --count 3 --runs 3).
#
#   bench/pipeline/run.sh BUILD/tools/ddistill BUILD/bench/pipeline/bench_labeling [ARGS]
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DDISTILL BENCH_LABELING [bench_labeling options]" >&2
  exit 2
fi
ddistill=$1
bench=$2
shift 2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dd-bench-labeling-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$ddistill" synth --spec quick --out "$scratch/quick" >/dev/null
"$bench" --corpus "$scratch/quick/video-180" \
  --labeled "$scratch/quick/labeled-35.json" --out "$scratch/run" "$@"
