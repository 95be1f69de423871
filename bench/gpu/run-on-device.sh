#!/usr/bin/env bash
# The engine's tests (and any GPU benchmark) on a bare CUDA machine, in one
# command: the one a session passes to the device tool's `run` (docs/gpu.md).
#
#   bash bench/gpu/run-on-device.sh
#   env: OUT (where logs and summary.json go; default: a new temporary
#        folder), BUILD (default /tmp/ddistill-gpu-build, made afresh),
#        BUDGET (seconds for the whole run, default 540), MEMCHECK=0 skips
#        compute-sanitizer, WHEELS (wheels of meson and ninja, default .whl)
#
# Steps: find or pip-install meson and ninja; find nvcc and cuDNN (beside
# nvcc or in the system, else a pip wheel's nvidia/cudnn); configure
# -Dengine_only=true -Dcuda=enabled; build; `meson test --suite nn`; the
# cuda test once more under compute-sanitizer's memcheck; every meson
# benchmark() of the build. It fails when any step fails, and when a GPU is
# present but the cuda backend's test did not pass (a skip there is a
# failure). Files under OUT (the device tool brings back 8 at most):
#   summary.json  every step's status, each test's result, the tools found
#   env.txt       nvidia-smi, compilers, cuDNN, the test programs' libraries
#   build.log     meson setup and ninja
#   test.log      meson test's output; testlog.json, meson's record
#   memcheck.log  compute-sanitizer on the cuda test
#   bench.log     the benchmarks' output
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$(mktemp -d /tmp/ddistill-gpu-out.XXXXXX)}
build=${BUILD:-/tmp/ddistill-gpu-build}
budget=${BUDGET:-540}
mkdir -p "$out"
cd "$root" || exit 1

# Each step's status, in order, for summary.json: name=value lines.
status_file=$out/.status
: >"$status_file"
note() { echo "$1=$2" >>"$status_file"; echo "== $1: $2"; }
# Seconds left of the budget, at least 1 (`timeout 0` would never stop).
left() { local l=$((budget - SECONDS)); echo $((l > 1 ? l : 1)); }
failed=0

# ---- tools ---------------------------------------------------------------

python=$(command -v python3 || true)
[ -n "$python" ] || { echo "no python3 on this machine: cannot run meson" >&2; exit 1; }
venv_bin=$("$python" -c 'import sys, os; print(os.path.join(sys.prefix, "bin"))')
export PATH=$PATH:$venv_bin

# meson and ninja: on PATH, beside python3, or installed now with pip into
# a folder of their own (the machine's Python stays as it is), from carried
# wheels in $WHEELS when that folder exists, else from the index.
wheels=${WHEELS:-.whl}
have_tools() { meson --version >/dev/null 2>&1 && ninja --version >/dev/null 2>&1; }
if ! have_tools; then
  tools=/tmp/ddistill-gpu-tools
  if [ -d "$wheels" ]; then
    "$python" -m pip install -q --target "$tools" --no-index --find-links "$wheels" meson ninja
  else
    "$python" -m pip install -q --target "$tools" --retries 1 --timeout 10 meson ninja
  fi
  export PATH=$tools/bin:$PATH PYTHONPATH=$tools${PYTHONPATH:+:$PYTHONPATH}
fi
if have_tools; then
  note meson "$(meson --version), ninja $(ninja --version)"
else
  note meson "missing: neither on PATH nor installable with pip (carry wheels in .whl/)"
  failed=1
fi

# nvcc: on PATH or in CUDA's usual folders.
for dir in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  command -v nvcc >/dev/null || { [ -x "$dir/nvcc" ] && export PATH=$dir:$PATH; }
done
nvcc_path=$(command -v nvcc || true)
if [ -n "$nvcc_path" ]; then
  note nvcc "$nvcc_path ($(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
else
  note nvcc "missing"
  failed=1
fi

# cuDNN: beside nvcc, in /usr/include, or else a pip wheel's nvidia/cudnn
# (the one python3 imports first, then any site-packages on the machine).
cudnn_root=
cuda_home=${nvcc_path:+$(dirname "$(dirname "$nvcc_path")")}
if [ -f "$cuda_home/include/cudnn.h" ] || [ -f /usr/include/cudnn.h ]; then
  note cudnn "beside CUDA or in the system"
else
  for dir in $("$python" -c 'import nvidia.cudnn as m; print(*m.__path__)' 2>/dev/null) \
      /opt/*/.venv/lib/python3*/site-packages/nvidia/cudnn \
      /opt/*/lib/python3*/site-packages/nvidia/cudnn \
      /usr/local/lib/python3*/dist-packages/nvidia/cudnn \
      /usr/lib/python3/dist-packages/nvidia/cudnn; do
    if [ -z "$cudnn_root" ] && [ -f "$dir/include/cudnn.h" ] && [ -f "$dir/lib/libcudnn.so.9" ]; then
      cudnn_root=$dir
    fi
  done
  if [ -n "$cudnn_root" ]; then
    note cudnn "pip wheel at $cudnn_root"
  else
    note cudnn "missing: no cudnn.h beside CUDA, in /usr/include or in a pip wheel"
    failed=1
  fi
fi

# GPUs: nvidia-smi's list (the driver's folder may be off PATH), or the
# device files when it is missing, so that a GPU is never taken for none.
export PATH=$PATH:/usr/local/nvidia/bin
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
device_files=$(ls /dev 2>/dev/null | grep -c '^nvidia[0-9][0-9]*$' || true)
[ "$device_files" -gt "$gpus" ] && gpus=$device_files
note gpus "$gpus $(nvidia-smi -L 2>/dev/null | head -1)"

{
  echo "== nvidia-smi"; nvidia-smi 2>&1
  echo "== nvcc"; nvcc --version 2>&1
  echo "== cc"; cc --version 2>&1 | head -1
  echo "== python3"; "$python" --version 2>&1
  echo "== the driver's libcuda"; ldconfig -p 2>&1 | grep 'libcuda\.so'
  echo "== cuDNN root: ${cudnn_root:-beside CUDA or in the system}"
  grep -h 'define CUDNN_M' "${cudnn_root:-$cuda_home}/include/cudnn_version.h" 2>/dev/null
} >"$out/env.txt" 2>&1

# ---- configure and build -------------------------------------------------

build_ok=0
if [ "$failed" = 0 ]; then
  options=(-Dengine_only=true -Dcuda=enabled ${cudnn_root:+-Dcudnn_root=$cudnn_root})
  # Warnings are errors as in every build; a compiler newer than the
  # project's may warn where Debian 12's does not, so a refused build is
  # retried without -Werror (reported) to still test the backend.
  for werror in true false; do
    rm -rf "$build"
    if timeout "$(left)" meson setup "$build" "${options[@]}" -Dwerror=$werror \
        >>"$out/build.log" 2>&1 \
        && timeout "$(left)" ninja -C "$build" >>"$out/build.log" 2>&1; then
      build_ok=1
      note build "ok (werror=$werror)"
      break
    fi
    echo "== the build with werror=$werror failed" >>"$out/build.log"
  done
  [ "$build_ok" = 1 ] || { note build "failed: see build.log"; failed=1; }
fi

# ---- tests ---------------------------------------------------------------

if [ "$build_ok" = 1 ]; then
  {
    echo "== libraries of the cuda test"
    ldd "$build/tests/nn/test_cuda_backend"
  } >>"$out/env.txt" 2>&1
  if ldd "$build/tests/nn/test_cuda_backend" | grep -q 'not found'; then
    note libraries "missing at run time: see env.txt"
    failed=1
  else
    note libraries "all found"
  fi
  timeout "$(left)" meson test -C "$build" --suite nn --print-errorlogs \
    --num-processes "$(nproc)" >"$out/test.log" 2>&1
  code=$?
  note tests "meson test exit $code"
  [ "$code" = 124 ] && failed=1
fi

# compute-sanitizer's memcheck on the cuda test: out-of-bounds and misaligned
# accesses in our kernels and cuDNN calls (slow: given what time is left).
sanitizer=$(command -v compute-sanitizer \
  || ls "$cuda_home"/compute-sanitizer/compute-sanitizer 2>/dev/null || true)
if [ "$build_ok" = 1 ] && [ "$gpus" -gt 0 ] && [ "${MEMCHECK:-1}" = 1 ]; then
  if [ -z "$sanitizer" ]; then
    note memcheck "not run: no compute-sanitizer"
  elif [ "$(left)" -le 120 ]; then
    note memcheck "not run: out of time"
  else
    timeout $(($(left) - 90)) "$sanitizer" --tool memcheck --error-exitcode 9 \
      "$build/tests/nn/test_cuda_backend" >"$out/memcheck.log" 2>&1
    case $? in
      0) note memcheck "ok" ;;
      124) note memcheck "stopped: out of time" ;;
      *) note memcheck "failed: see memcheck.log"; failed=1 ;;
    esac
  fi
fi

# Every benchmark() the engine-only build registers (none is a failure).
if [ "$build_ok" = 1 ] && [ "$(left)" -gt 30 ]; then
  # --list fails ("No tests defined.") when there is none.
  if meson test -C "$build" --no-rebuild --benchmark --list >/dev/null 2>&1; then
    timeout "$(left)" meson test -C "$build" --no-rebuild --benchmark --verbose \
      >"$out/bench.log" 2>&1
    note benchmarks "meson test --benchmark exit $?"
  else
    note benchmarks "none registered"
  fi
fi

# ---- summary -------------------------------------------------------------

# testlog.json under OUT: meson's record less each test's environment.
"$python" - "$out" "$status_file" "$gpus" "$failed" "$build/meson-logs/testlog.json" <<'PY'
import json, os, sys
out, status_file, gpus, failed, log = sys.argv[1:6]
gpus, failed = int(gpus), int(failed)
summary = {"steps": {}, "tests": {}}
for line in open(status_file):
    key, _, value = line.rstrip("\n").partition("=")
    summary["steps"][key] = value
if os.path.exists(log):
    with open(os.path.join(out, "testlog.json"), "w") as kept:
        for line in open(log):
            t = json.loads(line)
            t.pop("env", None)
            kept.write(json.dumps(t) + "\n")
            # meson writes "name", "project:suite / name" or (newer ones)
            # "suite - project:name".
            name = t["name"].rpartition(":")[2].rpartition(" / ")[2]
            summary["tests"][name] = {"result": t["result"], "seconds": round(t["duration"], 2)}
            if gpus > 0 and "no CUDA device" in t.get("stderr", "") + t.get("stdout", ""):
                summary["tests"][name]["no_device"] = True
problems = []
if failed:
    problems.append("a step failed")
bad = [n for n, t in summary["tests"].items() if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL")]
if bad:
    problems.append("failed tests: " + ", ".join(bad))
if not summary["tests"] and not failed:
    problems.append("no test ran")
if gpus > 0 and summary["tests"].get("cuda_backend", {}).get("result") != "OK":
    problems.append("a GPU is present but cuda_backend did not pass")
blind = [n for n, t in summary["tests"].items() if t.get("no_device")]
if blind:
    problems.append("a GPU is present but these tests saw no CUDA device: " + ", ".join(blind))
summary["ok"] = not problems
summary["problems"] = problems
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
for name, t in summary["tests"].items():
    print(f"{t['result']:5} {t['seconds']:7.2f}s  {name}")
print("summary:", "ok" if summary["ok"] else "; ".join(problems))
sys.exit(0 if summary["ok"] else 1)
PY
status=$?
rm -f "$status_file"
echo "logs and summary.json in $out"
exit $status
