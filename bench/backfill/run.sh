#!/usr/bin/env bash
# logmill backfill benchmark: a month of hourly-rotated gzip Lambda logs (720 files, ~2 GiB
# uncompressed), `logmill backfill` timed beside only decompressing the same files with two
# decompressors at a time (both cores). Targets: within 1.3x of the decompression, both cores
# busy, peak RSS under 100 MB. Then checks the backfill's answers against the data.
#
#   bench/backfill/run.sh [DATADIR]        default DATADIR: bench/data/backfill
#
# Env: LOGMILL=path/to/logmill (default .build/release/logmill), RUNS=3 (median reported),
#      HOURS=720 (a smaller month for a quick try, e.g. HOURS=24 with another DATADIR),
#      BASELINE_ONLY=1 (generate and time the decompressors only; no logmill needed).
# Builds nothing: build logmill first with `swift build -c release`. Needs python3, gzip and
# GNU time (/usr/bin/time); installs `time` and `pigz` with apt-get when missing (as root).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
cd "$ROOT"
LOGMILL="${LOGMILL:-$ROOT/.build/release/logmill}"
RUNS="${RUNS:-3}"
HOURS="${HOURS:-720}"
BASELINE_ONLY="${BASELINE_ONLY:-0}"
PY="${PYTHON:-python3}"
DEFAULT_DATA="$ROOT/bench/data/backfill"
DATADIR="${1:-$DEFAULT_DATA}"
mkdir -p "$DATADIR"
DATADIR="$(cd "$DATADIR" && pwd)"
FROM=2026-10-01T00:00:00Z
TO="$("$PY" -c 'import sys, time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1790812800 + 3600 * int(sys.argv[1]))))' "$HOURS")"

die() { echo "bench/backfill: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {   # apt_install PACKAGE: install, running apt-get update once if the first try fails
    if is_root; then
        apt-get install -y "$1" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$1" >/dev/null; }
    else
        echo "run as root, or: sudo apt-get install -y $1" >&2
        return 1
    fi
}

# ---- prerequisites
[ -x /usr/bin/time ] || { echo "installing time (/usr/bin/time)" >&2; apt_install time || die "GNU time is needed: apt-get install time"; }
command -v pigz >/dev/null || { echo "installing pigz" >&2; apt_install pigz || echo "no pigz: the baselines are gzip -dc and zlib only" >&2; }
if [ "$BASELINE_ONLY" != 1 ]; then
    [ -x "$LOGMILL" ] || die "no logmill binary at $LOGMILL: run 'swift build -c release' first (or BASELINE_ONLY=1 to time only the decompressors)"
    if ! help_out="$("$LOGMILL" backfill --help 2>&1)"; then
        echo "bench/backfill: '$LOGMILL backfill --help' failed: this logmill has no backfill command." >&2
        echo "$help_out" | head -5 | sed 's/^/  | /' >&2
        echo "Build a logmill with 'logmill backfill JOB --from T --to T --state-dir DIR', or run with BASELINE_ONLY=1 to generate the data and time only the decompressors." >&2
        exit 1
    fi
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- data (idempotent: files already there with the recorded size are kept)
"$PY" "$HERE/generate.py" "$DATADIR" --hours "$HOURS" > "$WORK/gen.txt" || die "generate.py failed"
find -L "$DATADIR" -name '*.log.gz' | sort > "$WORK/files"
NFILES=$(wc -l < "$WORK/files")
read -r WANT_FILES UNCOMPRESSED COMPRESSED < <("$PY" -c 'import json, sys; t = json.load(open(sys.argv[1]))["totals"]; print(t["files"], t["uncompressed"], t["compressed"])' "$DATADIR/manifest.json")
[ "$NFILES" = "$WANT_FILES" ] || die "$DATADIR holds $NFILES .log.gz files, the generator made $WANT_FILES for $HOURS hours: use a folder of its own for each HOURS"
awk 'NR % 2 == 1' "$WORK/files" > "$WORK/half1"     # alternate hours: two halves of about equal size
awk 'NR % 2 == 0' "$WORK/files" > "$WORK/half2"

# ---- the job: this folder's job.job for the default data folder, else a copy pointing at DATADIR
if [ "$DATADIR" = "$DEFAULT_DATA" ]; then
    JOB="bench/backfill/job.job"
    OM="$ROOT/bench/out/backfill/orders-api.om"
else
    JOB="$WORK/job.job"
    OM="$WORK/out/orders-api.om"
    sed -e "s#^source: .*#source: $DATADIR/**/*.log.gz as /aws/lambda/orders-api#" \
        -e "s#^sink: openmetrics [^ ]*#sink: openmetrics $OM#" "$HERE/job.job" > "$JOB"
fi

# ---- decompress-only baselines: two processes, each decompressing one half of the files in turn
cat > "$WORK/zlib_cat.py" <<'PY'
import sys, zlib
for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    with open(path, "rb") as f:
        d = zlib.decompressobj(31)
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            while chunk:
                d.decompress(chunk)
                if d.eof:                      # another gzip member follows
                    chunk = d.unused_data
                    d = zlib.decompressobj(31)
                else:
                    chunk = b""
PY
BASELINES=()
command -v pigz >/dev/null && BASELINES+=(pigz)
BASELINES+=(gzip zlib)
# one half's decompressor: a script run as `sh SCRIPT LIST` that decompresses each file of LIST in turn
printf '#!/bin/sh\nexec xargs -a "$1" pigz -dc >/dev/null\n' > "$WORK/dec.pigz"
printf '#!/bin/sh\nexec xargs -a "$1" gzip -dc >/dev/null\n' > "$WORK/dec.gzip"
printf '#!/bin/sh\nexec "%s" "%s" < "$1"\n' "$("$PY" -c 'import sys; print(sys.executable)')" "$WORK/zlib_cat.py" > "$WORK/dec.zlib"
now() { date +%s.%N; }
# Each timed command writes WORK/time.TOOL.RUN: wall seconds (from `date`, finer than GNU time's
# 10 ms), then GNU time's elapsed, user and system seconds and maximum RSS in KiB.
run_baseline() {   # run_baseline NAME RUN: both halves at once, timed together
    local t0 t1
    t0=$(now)
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/gnutime" \
        bash -c 'sh "$0" "$1" & a=$!; sh "$0" "$2" & b=$!; wait $a && wait $b' "$WORK/dec.$1" "$WORK/half1" "$WORK/half2" \
        || die "baseline $1 failed"
    t1=$(now)
    echo "$t0 $t1 $(tail -1 "$WORK/gnutime")" > "$WORK/time.$1.$2"
}
run_logmill() {    # run_logmill RUN
    rm -f "$OM"
    rm -rf "$WORK/state"
    mkdir -p "$WORK/state"
    local t0 t1
    t0=$(now)
    if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/gnutime" \
            "$LOGMILL" backfill "$JOB" --from "$FROM" --to "$TO" --state-dir "$WORK/state" > "$WORK/logmill.$1.log" 2>&1; then
        tail -20 "$WORK/logmill.$1.log" >&2
        die "logmill backfill failed (run $1; its output is above)"
    fi
    t1=$(now)
    echo "$t0 $t1 $(tail -1 "$WORK/gnutime")" > "$WORK/time.logmill.$1"
}

mkdir -p "$ROOT/bench/out"
RESULTS="$ROOT/bench/out/backfill-results-$(date -u +%Y-%m-%d).txt"
{
    echo "==== logmill backfill bench $(date -u +%Y-%m-%dT%H:%M:%SZ)  runs: $RUNS"
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -m | awk '/Mem:/{print $2}') MB RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    if [ "$BASELINE_ONLY" = 1 ]; then echo "logmill: not run (BASELINE_ONLY=1)"
    else echo "logmill: $LOGMILL ($("$LOGMILL" --version 2>/dev/null | head -1), built $(stat -c %y "$LOGMILL" | cut -d. -f1))"; fi
    echo "tools: $(gzip --version | head -1); $(command -v pigz >/dev/null && pigz --version 2>&1 | head -1 || echo 'no pigz'); python zlib $("$PY" -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)')"
    echo "data: $DATADIR: $NFILES files, $COMPRESSED bytes compressed, $UNCOMPRESSED uncompressed, $FROM to $TO"
    [ "$BASELINE_ONLY" = 1 ] || echo "command: $LOGMILL backfill $JOB --from $FROM --to $TO --state-dir \$tmp/state"
} | tee -a "$RESULTS"

# ---- warm the page cache, then interleave the tools, RUNS times
xargs -a "$WORK/files" cat > /dev/null
for run in $(seq 1 "$RUNS"); do
    for b in "${BASELINES[@]}"; do run_baseline "$b" "$run"; done
    [ "$BASELINE_ONLY" = 1 ] || run_logmill "$run"
    echo "run $run/$RUNS done" >&2
done

TOOLS=("${BASELINES[@]}")
[ "$BASELINE_ONLY" = 1 ] || TOOLS+=(logmill)
"$PY" - "$WORK" "$RUNS" "$UNCOMPRESSED" "${TOOLS[@]}" <<'PY' | tee -a "$RESULTS"
import sys
work, runs, uncompressed, tools = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
label = {"pigz": "pigz -dc x2", "gzip": "gzip -dc x2", "zlib": "python zlib x2", "logmill": "logmill backfill"}
res = {}
for t in tools:
    rows = []
    for r in range(1, runs + 1):
        t0, t1, _e, u, s, m = open("%s/time.%s.%d" % (work, t, r)).read().split()
        rows.append((float(t1) - float(t0), float(u) + float(s), int(m)))
    rows.sort()
    wall, cpu, _ = rows[len(rows) // 2]                     # the median run by wall time
    res[t] = (wall, cpu / wall if wall else 0.0, max(r[2] for r in rows) / 1024.0, [r[0] for r in rows])
base = "pigz" if "pigz" in res else "gzip"
print()
print("| tool | wall s (median of %d) | runs | CPU util (user+sys)/wall | peak RSS MB | MB/s uncompressed | x %s |" % (runs, label[base]))
print("|---|---|---|---|---|---|---|")
for t in tools:
    wall, util, rss, walls = res[t]
    print("| %s | %.3f | %s | %.2f | %.1f | %.0f | %.2fx |" % (label[t], wall, " ".join("%.3f" % w for w in walls), util, rss,
                                                             uncompressed / 1e6 / wall if wall else 0.0, wall / res[base][0]))
print()
fastest = min((t for t in res if t != "logmill"), key=lambda t: res[t][0])
print("baseline: %s, %.3f s (the fastest decompressor: %s, %.3f s)" % (label[base], res[base][0], label[fastest], res[fastest][0]))
if "logmill" in res:
    wall, util, rss, _ = res["logmill"]
    ratio = wall / res[base][0]
    print("target: logmill backfill within 1.3x of %s: %.2fx  %s" % (label[base], ratio, "PASS" if ratio <= 1.3 else "FAIL"))
    print("target: both cores busy, CPU util >= 1.7: %.2f  %s" % (util, "PASS" if util >= 1.7 else "FAIL"))
    print("target: peak RSS < 100 MB: %.1f MB  %s" % (rss, "PASS" if rss < 100 else "FAIL"))
PY

# ---- answers: the last backfill's OpenMetrics output against the REPORT lines of the data
if [ "$BASELINE_ONLY" != 1 ]; then
    echo "last backfill said: $(tail -1 "$WORK/logmill.$RUNS.log")" | tee -a "$RESULTS"
    set +e
    xargs -a "$WORK/files" zcat | grep -F 'REPORT RequestId' | "$PY" "$HERE/check.py" "$OM" "$FROM" "$TO" | tee -a "$RESULTS"
    status=${PIPESTATUS[2]}
    set -e
else
    status=0
fi
echo "results appended to ${RESULTS#$ROOT/}"
exit "$status"
