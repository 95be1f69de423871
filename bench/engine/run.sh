#!/usr/bin/env bash
# The engine against PyTorch on this machine, side by side: `ddistill bench
# engine` and bench/torch_small.py on the same network, batch and size, in
# alternating order for ROUNDS rounds, then the median of each figure and
# the engine/PyTorch ratios as a markdown table (for bench/RESULTS.md).
#
# A first PyTorch run tries every setting (eager or torch.compile, NCHW or
# channels-last) and picks the fastest per mode; the timed rounds then use
# those settings (set TORCH_INFER_SETTING / TORCH_TRAIN_SETTING to skip the
# search). Both sides use THREADS threads and the same OpenMP wait policy:
# passive (idle threads sleep) unless OMP_WAIT_POLICY is set, as the
# engine's commands run by default.
#
#   bench/engine/run.sh [BUILD_DIR]
#   env: ROUNDS=5 PRESET=small BATCH=16 SIZE=128 ITERS=5 THREADS=2 DEVICE=cpu
#        PYTHON=/opt/ddistill-peer/bin/python
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
rounds=${ROUNDS:-5}
preset=${PRESET:-small}
batch=${BATCH:-16}
size=${SIZE:-128}
iters=${ITERS:-5}
threads=${THREADS:-2}
device=${DEVICE:-cpu}
python=${PYTHON:-/opt/ddistill-peer/bin/python}
ddistill=$build/tools/ddistill
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

[ -x "$ddistill" ] || { echo "run.sh: no $ddistill: build first (make build, or pass the build folder)" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || { echo "run.sh: $python cannot import torch: set PYTHON" >&2; exit 1; }

log=$(mktemp)
loads=$(mktemp)
trap 'rm -f "$log" "$loads"' EXIT

run_engine() {
  OMP_NUM_THREADS=$threads "$ddistill" bench engine --preset "$preset" --batch "$batch" \
    --size "$size" --iters "$iters" --device "$device" --json "$@"
}
run_torch() {
  "$python" "$root/bench/torch_small.py" --preset "$preset" --batch "$batch" --size "$size" \
    --iters "$iters" --threads "$threads" --quiet --flops-per-image "$flops" "$@"
}

first=$(run_engine --iters 1 --repeats 1 --warmup 0)
flops=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["flops_per_image"])' "$first")
infer_setting=${TORCH_INFER_SETTING:-}
train_setting=${TORCH_TRAIN_SETTING:-}
if [ -z "$infer_setting" ] || [ -z "$train_setting" ]; then
  echo "choosing PyTorch's settings (every setting, once) ..." >&2
  search=$(run_torch --infer-setting "${infer_setting:-best}" --train-setting "${train_setting:-best}")
  read -r infer_setting train_setting < <("$python" -c \
    'import json, sys; r = json.loads(sys.argv[1]); print(r["infer_setting"], r["train_setting"])' "$search")
fi
echo "PyTorch settings: inference $infer_setting, training $train_setting;" \
  "OMP_WAIT_POLICY=$OMP_WAIT_POLICY" >&2

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds ..." >&2
  # The machine may be shared: its load, one-minute average, as each round starts.
  cut -d' ' -f1 /proc/loadavg >>"$loads"
  if [ $((round % 2)) -eq 1 ]; then
    run_engine >>"$log"
    run_torch --infer-setting "$infer_setting" --train-setting "$train_setting" >>"$log"
  else
    run_torch --infer-setting "$infer_setting" --train-setting "$train_setting" >>"$log"
    run_engine >>"$log"
  fi
done

python3 - "$log" "$OMP_WAIT_POLICY" "$loads" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
engine = [r for r in runs if r.get("engine") == "ddistill"]
torch = [r for r in runs if r.get("engine") == "pytorch"]
keys = ["train_img_per_s", "infer_img_per_s", "train_gflops", "infer_gflops", "peak_gflops"]
med = lambda rs, k: statistics.median(r[k] for r in rs)
e, t = engine[0], torch[0]
print(f"{e['network']}, batch {e['batch']} at {e['size']}x{e['size']}, "
      f"{len(engine)} rounds each; engine device {e['device']}; PyTorch {t['torch_version']} "
      f"(inference {t['infer_setting']}, training {t['train_setting']}), {t['threads']} threads, "
      f"OMP_WAIT_POLICY={sys.argv[2]}")
print()
print("| figure (median) | ddistill | PyTorch | ddistill / PyTorch |")
print("|---|---:|---:|---:|")
for k in keys:
    a, b = med(engine, k), med(torch, k)
    print(f"| {k} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
print()
print("per round, images/s (train, infer):")
print("  ddistill: " + "  ".join(f"{r['train_img_per_s']:.1f}/{r['infer_img_per_s']:.1f}" for r in engine))
print("  PyTorch:  " + "  ".join(f"{r['train_img_per_s']:.1f}/{r['infer_img_per_s']:.1f}" for r in torch))
print("load average (1 min) as each round started: " + " ".join(open(sys.argv[3]).read().split()))
PY
