#!/usr/bin/env bash
# Scheduled-run costs, with the release binary:
#   1. a run with nothing new over 1,000 files (target: under 100 ms);
#   2. a run after 1 MB was appended to 1 GB of history, beside a query over the 1 MB alone
#      (target: within 2x).
#
#   bench/scheduled/run.sh [HISTORY_MB]     default 1024
#
# Env: LOGMILL=path/to/logmill (default .build/release/logmill), RUNS=7.
# Builds nothing: run `swift build -c release` first. Needs python3; uses bench/gen_corpus.py.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
cd "$ROOT"
LOGMILL="${LOGMILL:-$ROOT/.build/release/logmill}"
RUNS="${RUNS:-7}"
MB="${1:-1024}"
[ -x "$LOGMILL" ] || { echo "no binary at $LOGMILL: run 'swift build -c release' first" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# median wall seconds of RUNS runs of a command (after one warm-up)
median() {
    python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = []
for _ in range(runs):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); times.append(time.perf_counter() - t)
times.sort(); print(f"{times[len(times)//2]:.4f}")
PY
}

echo "==== logmill scheduled-run bench $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores, runs: $RUNS"

# 1. Nothing new over 1,000 files.
mkdir -p "$WORK/many/logs"
python3 - "$WORK/many/logs" <<'PY'
import sys
for i in range(1000):
    with open(f"{sys.argv[1]}/f{i:04d}.log", "w") as f:
        for k in range(20):
            f.write(f"2026-11-01T00:{k:02d}:{i % 60:02d}.000Z ERROR fn=f{i % 7} request {k}\n")
PY
cat > "$WORK/many/job.job" <<'JOB'
name: bench-many
schedule: rate(5 minutes)
start: 2026-11-01T00:00:00Z
source: logs/*.log
namespace: Bench/Many
metric: Errors = errors unit Count
sink: prometheus out/many.prom
query:
filter @message like /ERROR/
| parse @message /fn=(?<fn>[a-z0-9]+)/
| stats count(*) as errors by bin(5m), fn
JOB
NOW=2026-11-01T00:30:00Z
"$LOGMILL" run --now "$NOW" --state-dir "$WORK/state" "$WORK/many/job.job" >/dev/null 2>&1
idle=$(median "$LOGMILL" run --now "$NOW" --state-dir "$WORK/state" "$WORK/many/job.job")
echo "nothing new over 1000 files: ${idle} s (target < 0.100)"

# 2. 1 MB appended to MB of history.
HISTORY="$ROOT/bench/data/corpus-${MB}MB.log"
if [ ! -s "$HISTORY" ]; then mkdir -p "$ROOT/bench/data"; python3 "$ROOT/bench/gen_corpus.py" "$MB" "$HISTORY"; fi
mkdir -p "$WORK/big/logs"
cp "$HISTORY" "$WORK/big/logs/app.log"
# The next day's first megabyte of lines: the same shape, times moved one day on.
head -c 1048576 "$HISTORY" | sed -e '$d' -e 's/^2026-11-01T/2026-11-02T/; s/\t2026-11-01T/\t2026-11-02T/' > "$WORK/append.log"
cat > "$WORK/big/job.job" <<'JOB'
name: bench-big
schedule: rate(5 minutes)
start: 2026-11-01T00:00:00Z
settle: 30s
source: logs/app.log
namespace: Bench/Lambda
metric: Invocations = n unit Count
metric: MaxMemory = peak unit Bytes
sink: prometheus out/big.prom
query:
filter @type = "REPORT"
| stats count(*) as n, max(@maxMemoryUsed) as peak by bin(5m)
JOB
"$LOGMILL" run --now 2026-11-02T00:00:45Z --state-dir "$WORK/bstate" "$WORK/big/job.job" >/dev/null 2>&1
cp -r "$WORK/bstate" "$WORK/bstate0"
cp "$WORK/big/logs/app.log" "$WORK/app0.log"
# Each timed run starts from the state after the history and the history plus the 1 MB.
cat > "$WORK/one.sh" <<SH
#!/bin/sh
rm -rf "$WORK/bstate" && cp -r "$WORK/bstate0" "$WORK/bstate"
truncate -s \$(stat -c %s "$WORK/app0.log") "$WORK/big/logs/app.log" && cat "$WORK/append.log" >> "$WORK/big/logs/app.log"
exec "$LOGMILL" run --now 2026-11-02T01:00:45Z --state-dir "$WORK/bstate" "$WORK/big/job.job"
SH
chmod +x "$WORK/one.sh"
cat > "$WORK/prep.sh" <<SH
#!/bin/sh
rm -rf "$WORK/bstate" && cp -r "$WORK/bstate0" "$WORK/bstate"
truncate -s \$(stat -c %s "$WORK/app0.log") "$WORK/big/logs/app.log" && cat "$WORK/append.log" >> "$WORK/big/logs/app.log"
SH
chmod +x "$WORK/prep.sh"
prep=$(median "$WORK/prep.sh")
appended=$(median "$WORK/one.sh")
alone=$(median "$LOGMILL" query --format json 'filter @type = "REPORT" | stats count(*) as n, max(@maxMemoryUsed) as peak by bin(5m)' "$WORK/append.log")
python3 - "$appended" "$prep" "$alone" "$MB" <<'PY'
import sys
appended, prep, alone, mb = map(float, sys.argv[1:])
run = max(0.0, appended - prep)
print(f"1 MB appended to {mb:.0f} MB of history: run {run:.4f} s (measured {appended:.4f} s minus {prep:.4f} s of state/file reset); query over the 1 MB alone {alone:.4f} s; ratio {run/alone:.2f}x (target <= 2x)")
PY
