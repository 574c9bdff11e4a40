#!/usr/bin/env bash
# logmill reading 10,000 small S3 access-log objects straight from a local S3 endpoint (moto),
# side by side with `aws s3 sync` to a folder followed by logmill on the folder.
#
#   bench/s3/run.sh [OBJECTS]          default 10000
#
# Env: LOGMILL (default .build/release/logmill), ENDPOINT (default http://127.0.0.1:15111),
#      RUNS (default 3), WORKERS and FETCH (passed as --workers and --fetch-concurrency when set).
# Starts `moto_server -H 127.0.0.1 -p 15111` when nothing answers there; needs `aws`
# (pip install awscli) and /usr/bin/time.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
cd "$ROOT"
N="${1:-10000}"
RUNS="${RUNS:-3}"
LOGMILL="${LOGMILL:-$ROOT/.build/release/logmill}"
ENDPOINT="${ENDPOINT:-http://127.0.0.1:15111}"
BUCKET=logmill-bench-s3
DATA="$ROOT/bench/data/s3-$N"
OUT="$ROOT/bench/out/s3"
mkdir -p "$OUT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3="$ENDPOINT"
unset AWS_PROFILE || true
QUERY='stats count(*) as requests, sum(bytesSent) as bytes by operation, httpStatus'

command -v aws >/dev/null || { echo "aws CLI missing: python3 -m pip install awscli" >&2; exit 2; }
[ -x "$LOGMILL" ] || { echo "no $LOGMILL: swift build -c release" >&2; exit 2; }
if ! curl -s -o /dev/null "$ENDPOINT"; then
    echo "starting moto_server on $ENDPOINT"
    (moto_server -H 127.0.0.1 -p "${ENDPOINT##*:}" >"$OUT/moto.log" 2>&1 &)
    for _ in $(seq 50); do curl -s -o /dev/null "$ENDPOINT" && break; sleep 0.2; done
fi

# The objects, once: generated locally, uploaded unless the bucket already holds N of them.
if [ ! -d "$DATA/logs" ] || [ "$(ls "$DATA/logs" | wc -l)" -ne "$N" ]; then
    rm -rf "$DATA"
    python3 "$HERE/gen_objects.py" "$N" "$DATA"
fi
aws --endpoint-url "$ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null 2>&1 || true
have=$( (aws --endpoint-url "$ENDPOINT" s3 ls "s3://$BUCKET/logs/" || true) | wc -l)
if [ "$have" -ne "$N" ]; then
    echo "uploading $N objects to s3://$BUCKET/logs/ ($have there)"
    aws --endpoint-url "$ENDPOINT" s3 sync --quiet "$DATA/logs" "s3://$BUCKET/logs/"
fi

W=()
[ -n "${WORKERS:-}" ] && W+=(--workers "$WORKERS")
[ -n "${FETCH:-}" ] && W+=(--fetch-concurrency "$FETCH")

pair_once() {
    local tmp; tmp=$(mktemp -d)
    local t0 t1 t2 s1 s2
    t0=$(date +%s.%N)
    s1=$(/usr/bin/time -f '%M' aws --endpoint-url "$ENDPOINT" s3 sync --quiet "s3://$BUCKET/logs/" "$tmp/logs" 2>&1 >/dev/null | tail -1)
    t1=$(date +%s.%N)
    s2=$(/usr/bin/time -f '%M' "$LOGMILL" query "${W[@]}" --format csv "$QUERY" "$tmp/logs" 2>&1 >"$OUT/pair.out" | tail -1)
    [ -s "$OUT/pair.out" ] || { echo "logmill query on the folder failed" >&2; exit 1; }
    t2=$(date +%s.%N)
    [ "$(ls "$tmp/logs" | wc -l)" -eq "$N" ] || { echo "sync copied $(ls "$tmp/logs" | wc -l) objects" >&2; exit 1; }
    rm -rf "$tmp"
    python3 -c "print('%.2f %.2f %.2f %s %s' % ($t1-$t0, $t2-$t1, $t2-$t0, '$s1', '$s2'))"
}

direct_once() {
    local t0 t1 s
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' "$LOGMILL" query "${W[@]}" --format csv --stats "$QUERY" "s3://$BUCKET/logs/" 2>"$OUT/direct.err" >"$OUT/direct.out" \
        || { echo "logmill query s3:// failed:" >&2; cat "$OUT/direct.err" >&2; exit 1; }
    s=$(tail -1 "$OUT/direct.err")
    t1=$(date +%s.%N)
    python3 -c "print('%.2f %s' % ($t1-$t0, '$s'))"
}

commit=$(git -C "$ROOT" rev-parse --short HEAD)
echo "logmill $commit ($LOGMILL), $N objects, $(du -sb "$DATA/logs" | cut -f1) bytes, $(nproc) cores, RUNS=$RUNS ${W[*]}"
pairs=(); directs=()
for r in $(seq "$RUNS"); do
    p=$(pair_once); d=$(direct_once)
    echo "run $r: sync+query: sync ${p%% *} s ... total/rss: $p | direct: $d"
    pairs+=("$p"); directs+=("$d")
done
sort -t, -k1,1 -k2,2 "$OUT/pair.out" >"$OUT/pair.sorted"
sort -t, -k1,1 -k2,2 "$OUT/direct.out" >"$OUT/direct.sorted"
if cmp -s "$OUT/pair.sorted" "$OUT/direct.sorted"; then agree="identical ($(($(wc -l <"$OUT/direct.sorted") - 1)) rows)"; else agree="DIFFERENT (see $OUT/*.sorted)"; fi
python3 - "$N" "$agree" "$commit" "${pairs[@]}" -- "${directs[@]}" <<'PY' | tee -a "$OUT/results-$(date -u +%F).txt"
import statistics, sys
n, agree, commit = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rest = sys.argv[4:]
k = rest.index("--")
pairs = [list(map(float, p.split())) for p in rest[:k]]
directs = [list(map(float, d.split())) for d in rest[k + 1:]]
med = lambda xs: statistics.median(xs)
sync, q, tot = med([p[0] for p in pairs]), med([p[1] for p in pairs]), med([p[2] for p in pairs])
rss_sync, rss_q = max(p[3] for p in pairs), max(p[4] for p in pairs)
d, rss_d = med([x[0] for x in directs]), max(x[1] for x in directs)
print(f"commit {commit}; {n} objects; median of {len(pairs)} runs")
print(f"| command | wall s | objects/s | peak RSS MB |")
print(f"|---|---:|---:|---:|")
print(f"| aws s3 sync | {sync:.2f} | {n/sync:.0f} | {rss_sync/1024:.0f} |")
print(f"| logmill query on the folder | {q:.2f} | {n/q:.0f} | {rss_q/1024:.0f} |")
print(f"| **sync + query** | **{tot:.2f}** | **{n/tot:.0f}** | {max(rss_sync, rss_q)/1024:.0f} |")
print(f"| **logmill query s3://** | **{d:.2f}** | **{n/d:.0f}** | {rss_d/1024:.0f} |")
print(f"answers: {agree}; direct is {tot/d:.1f}x the pair's speed")
PY
