#!/usr/bin/env bash
# Runs every test through meson and closes with one plain summary line
# ("tests: N passed, N failed, N skipped") that CI and people read alike.
set -uo pipefail
build=${1:-build}
meson test -C "$build" --print-errorlogs --num-processes 2
status=$?
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
  python3 - "$log" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        counts["OK"] += 1
    elif result == "SKIP":
        counts["SKIP"] += 1
    else:
        counts["FAIL"] += 1
print(f"tests: {counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
fi
exit $status
