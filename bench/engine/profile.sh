#!/usr/bin/env bash
# Where the cpu backend's time goes in `ddistill bench engine`: oneDNN's own
# per-primitive timings (ONEDNN_VERBOSE=1) summed by pass, primitive,
# implementation and layout, and the share of each step spent outside
# oneDNN (the engine's own loops and copies), for whoever tunes lib/nn/cpu_*.
#
#   bench/engine/profile.sh [BUILD_DIR]
#   env: PRESET=small BATCH=16 SIZE=128 THREADS=2 ITERS=4 TOP=25
#
# Passes: the benchmark runs inference, then training, then the peak
# convolution; each exec line is attributed to the pass running at the time
# (the first training primitive opens training, the peak's 256->256
# convolution ends the log). Times are per step, over 1 + ITERS steps; what
# ran only once (the first step's weight transforms) is listed apart.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
preset=${PRESET:-small}
batch=${BATCH:-16}
size=${SIZE:-128}
threads=${THREADS:-2}
top=${TOP:-25}
ddistill=$build/tools/ddistill
[ -x "$ddistill" ] || { echo "profile.sh: no $ddistill: build first" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# One warm-up step and `iters` timed steps per mode.
iters=${ITERS:-4}
steps=$((iters + 1))
OMP_NUM_THREADS=$threads ONEDNN_VERBOSE=1 "$ddistill" bench engine --preset "$preset" \
  --batch "$batch" --size "$size" --warmup 1 --iters "$iters" --repeats 1 --json >"$log" 2>&1

python3 - "$log" "$top" "$steps" <<'PY'
import collections, json, sys
lines = open(sys.argv[1]).read().splitlines()
top, steps = int(sys.argv[2]), int(sys.argv[3])
result = json.loads([l for l in lines if l.startswith("{")][-1])
calls = {"inference": collections.Counter(), "training": collections.Counter()}
times = {"inference": collections.Counter(), "training": collections.Counter()}
current = "inference"
for line in lines:
    f = line.split(",")
    if len(f) < 11 or f[0] != "onednn_verbose" or f[1] != "exec":
        continue
    prim, impl, prop, mds, problem, ms = f[3], f[4], f[5], f[6], f[9], float(f[-1])
    if "ic256oc256_ih56" in problem or problem.startswith("256x256x3x3"):
        break  # the peak convolution (or its weights): not part of the network
    if prop.startswith("backward") or prop == "forward_training":
        current = "training"
    layouts = " ".join(m.split(":")[0] + ":" + m.split(":")[3] for m in mds.split() if ":" in m)
    key = (prim, impl, prop, problem + (" " + layouts if prim == "reorder" else ""))
    calls[current][key] += 1
    times[current][key] += ms
print(f"{result['network']} on {result['device']}, batch {result['batch']} at "
      f"{result['size']}x{result['size']}: inference {result['infer_img_per_s']:.2f} images/s, "
      f"training {result['train_img_per_s']:.2f} images/s "
      f"(peak {result['peak_gflops']:.1f} GFLOP/s)")
wall = {"inference": result["batch"] / result["infer_img_per_s"] * 1e3,
        "training": result["batch"] / result["train_img_per_s"] * 1e3}
for name in ("inference", "training"):
    # Calls made every step (a multiple of `steps` times) are the steady
    # state; the rest ran once (weights transformed, primitives warmed up).
    every = {k: t / steps for k, t in times[name].items() if calls[name][k] % steps == 0}
    once = {k: t for k, t in times[name].items() if calls[name][k] % steps != 0}
    total = sum(every.values())
    print(f"\n== {name}, per step: oneDNN primitives {total:.1f} ms of the median "
          f"step's {wall[name]:.1f} ms; outside oneDNN about {max(wall[name] - total, 0):.1f} ms"
          f" (the engine's own loops, copies, OpenMP waits)")
    by_prim = collections.Counter()
    for (prim, impl, prop, _), ms in every.items():
        by_prim[(prim, impl, prop)] += ms
    for (prim, impl, prop), ms in by_prim.most_common():
        print(f"  {ms:9.2f} ms {100 * ms / total:5.1f}%  {prim} {impl} {prop}")
    print(f"  -- top {top} primitives per step:")
    for key, ms in collections.Counter(every).most_common(top):
        print(f"  {ms:9.2f} ms {calls[name][key] // steps:3d}x  {' '.join(key)}")
    if once:
        print(f"  -- once per run (not per step): {sum(once.values()):.1f} ms, "
              f"{sum(calls[name][k] for k in once)} calls, mostly "
              + ", ".join(f"{k[0]} {k[1]}" for k in list(collections.Counter(once))[:3]))
PY
