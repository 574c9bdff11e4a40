#!/usr/bin/env bash
# Encoding and batching cost per 10,000 datums for every sink, through the real binary:
# `logmill run --dry-run` maps the query's rows to datums and renders exactly what each sink
# would send (bodies, batches), without sending. The same job with no sink output (a datum
# count only) is the baseline; the difference is the sink's cost. Usage: bench/sinks/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
BIN=.build/release/logmill
[ -x "$BIN" ] || swift build -c release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# 10,000 REPORT lines, one per (5-minute bin, function): 100 bins x 100 functions.
python3 - "$WORK/lambda.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for b in range(100):
        for fn in range(100):
            s = b * 300 + fn
            t = 1793491200 + s
            f.write("%s.000Z REPORT RequestId: r-%d-%d\tDuration: %d.%02d ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: %d MB\t\n"
                    % (__import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(t)), b, fn, fn, b % 100, 60 + fn % 50))
PY

job() {  # job NAME SINK-LINE METRIC-LINE
    cat > "$WORK/$1.job" <<JOB
name: $1
source: lambda.log
namespace: Bench/Sinks
$3
dimension: Function = fn
sink: $2
query:
filter @type = "REPORT"
| parse @requestId /r-\d+-(?<fn>\d+)/
| stats max(@maxMemoryUsed) as mem by bin(5m), fn
JOB
}
single="metric: Mem = mem unit Bytes"
stats="metric: Mem = statistics(@maxMemoryUsed) unit Bytes"
job baseline "emf $WORK/null.emf" "$single"
for kind in "emf" "prometheus out.prom" "openmetrics out.om" "pushgateway http://127.0.0.1:9/ job=bench" \
            "remote-write http://127.0.0.1:9/api/v1/write" "cloudwatch region=us-east-1" "otlp http://127.0.0.1:9" \
            "statsd 127.0.0.1:9" "webhook http://127.0.0.1:9/hook" "webhook http://127.0.0.1:9/hook shape=kv"; do
    name=$(python3 -c 'import sys; print("".join(c if c.isalnum() else "_" for c in sys.argv[1])[:40])' "$kind")
    job "s-$name" "$kind" "$single"
    job "t-$name" "$kind" "$stats"
done

# Time with a monotonic clock, median of RUNS. The baseline is the same query run alone
# (`logmill query … | limit 1`, so printing rows costs nothing), so each figure is what mapping rows to datums and the sink's
# encoding and batching add for 10,000 datums.
cat > "$WORK/s.insights" <<'Q'
filter @type = "REPORT" | parse @requestId /r-\d+-(?<fn>\d+)/ | stats max(@maxMemoryUsed) as mem by bin(5m), fn | limit 1
Q
cat > "$WORK/t.insights" <<'Q'
filter @type = "REPORT" | parse @requestId /r-\d+-(?<fn>\d+)/
| stats max(@maxMemoryUsed) as mem, count(@maxMemoryUsed) as c, sum(@maxMemoryUsed) as s, min(@maxMemoryUsed) as lo, max(@maxMemoryUsed) as hi by bin(5m), fn | limit 1
Q
python3 - "$BIN" "$WORK" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def t(args):
    xs = []
    for _ in range(runs):
        s = time.perf_counter()
        subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        xs.append(time.perf_counter() - s)
    return statistics.median(xs)
kinds = ["emf", "prometheus out.prom", "openmetrics out.om", "pushgateway http://127.0.0.1:9/ job=bench",
         "remote-write http://127.0.0.1:9/api/v1/write", "cloudwatch region=us-east-1", "otlp http://127.0.0.1:9",
         "statsd 127.0.0.1:9", "webhook http://127.0.0.1:9/hook", "webhook http://127.0.0.1:9/hook shape=kv"]
base_s = t(["query", "--format", "csv", "-f", f"{work}/s.insights", f"{work}/lambda.log"])
base_t = t(["query", "--format", "csv", "-f", f"{work}/t.insights", f"{work}/lambda.log"])
print(f"10,000 datums per run (100 bins x 100 functions); baseline (the query alone): "
      f"{base_s*1000:.0f} ms single values, {base_t*1000:.0f} ms statistic sets; {runs} runs, medians")
print(f"{'sink (--dry-run: map, encode, batch; nothing sent)':50} {'single ms/10k':>14} {'statset ms/10k':>15}")
for k in kinds:
    name = "".join(c if c.isalnum() else "_" for c in k)[:40]
    s = t(["run", "--dry-run", f"{work}/s-{name}.job"]) - base_s
    u = t(["run", "--dry-run", f"{work}/t-{name}.job"]) - base_t
    print(f"{k:50} {s*1000:14.1f} {u*1000:15.1f}")
PY
