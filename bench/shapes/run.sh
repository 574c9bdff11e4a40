#!/usr/bin/env bash
# logmill on the other log shapes users have, side by side with DuckDB (and mawk where it applies),
# answers compared. See bench/shapes/README.md.
#
#   bench/shapes/run.sh [WORKLOAD ...]     default: json s3 highcard regex gzip
#
# Env: LOGMILL=path/to/logmill (default .build/release/logmill), RUNS=3 (median reported),
#      COMMIT=<rev> the binary was built from (default: git rev-parse --short HEAD here),
#      JSON_MB=500 S3_MB=500 HIGHCARD_MB=256 REGEX_MB=1024 GZIP_MB=1024 (input sizes, MiB).
# Builds nothing: build logmill first with `swift build -c release`. Generates missing inputs into
# bench/data/shapes/ (at `nice -n 19`, one process at a time; pigz with 2 threads), reusing
# bench/data/corpus-<N>MB.log from bench/run.sh when it is there and current. Installs only what
# is missing (as root): duckdb via pip; mawk, pigz and time via apt-get.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
cd "$ROOT"

WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -eq 0 ] && WORKLOADS=(json s3 highcard regex gzip)
RUNS="${RUNS:-3}"
PY="${PYTHON:-python3}"
LOGMILL="${LOGMILL:-$ROOT/.build/release/logmill}"
export LOGMILL
JSON_MB="${JSON_MB:-500}"
S3_MB="${S3_MB:-500}"
HIGHCARD_MB="${HIGHCARD_MB:-256}"
REGEX_MB="${REGEX_MB:-1024}"
GZIP_MB="${GZIP_MB:-1024}"
DATA="$ROOT/bench/data/shapes"

die() { echo "bench/shapes: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {   # apt_install PACKAGE: install, running apt-get update once if the first try fails
    if is_root; then
        apt-get install -y "$1" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$1" >/dev/null; }
    else
        echo "run as root, or: sudo apt-get install -y $1" >&2
        return 1
    fi
}

for w in "${WORKLOADS[@]}"; do
    case "$w" in json|s3|highcard|regex|gzip) ;; *) die "unknown workload '$w' (json s3 highcard regex gzip)";; esac
done

# ---- prerequisites
command -v mawk >/dev/null || { echo "installing mawk" >&2; apt_install mawk || die "mawk is needed"; }
[ -x /usr/bin/time ] || { echo "installing time (/usr/bin/time)" >&2; apt_install time || die "GNU time is needed"; }
command -v pigz >/dev/null || { echo "installing pigz" >&2; apt_install pigz || die "pigz is needed"; }
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    echo "installing duckdb (pip)" >&2
    "$PY" -m pip install --quiet duckdb || die "could not install duckdb: $PY -m pip install duckdb"
fi
[ -x "$LOGMILL" ] || echo "bench/shapes: no logmill at $LOGMILL (swift build -c release): logmill rows skipped" >&2

mkdir -p "$DATA"
# the commit measured: COMMIT=<rev> when the binary was built from another checkout, else this one's HEAD
if [ -z "${COMMIT:-}" ]; then
    COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo none)"
    git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT (dirty)"
fi
RESULTS="$ROOT/bench/out/shapes-$(date -u +%Y-%m-%d).md"
mkdir -p "$(dirname "$RESULTS")"

# ---- inputs (generated when absent or older than their generator)
gen_shape() {   # gen_shape json|s3 SIZE -> path
    local f="$DATA/$1-${2}MB.log"
    if [ ! -s "$f" ] || [ "$HERE/gen.py" -nt "$f" ]; then
        echo "generating $f" >&2
        nice -n 19 "$PY" "$HERE/gen.py" "$1" "$2" "$f" >&2
    fi
    echo "$f"
}
lambda_corpus() {   # lambda_corpus SIZE -> path (bench/run.sh's corpus when current, else generated here)
    local f="$DATA/lambda-${1}MB.log" shared="$ROOT/bench/data/corpus-${1}MB.log"
    if [ ! -s "$f" ] || [ "$ROOT/bench/gen_corpus.py" -nt "$f" ]; then
        rm -f "$f"
        if [ -s "$shared" ] && ! [ "$ROOT/bench/gen_corpus.py" -nt "$shared" ]; then
            ln "$shared" "$f" 2>/dev/null || cp "$shared" "$f"
        else
            echo "generating $f" >&2
            nice -n 19 "$PY" "$ROOT/bench/gen_corpus.py" "$1" "$f" >&2
        fi
    fi
    echo "$f"
}
gzip_corpus() {   # gzip_corpus SIZE -> path of the .gz (pigz -6, 2 threads)
    local plain gz
    plain="$(lambda_corpus "$1")"
    gz="$plain.gz"
    if [ ! -s "$gz" ] || [ "$plain" -nt "$gz" ]; then
        echo "compressing $plain" >&2
        nice -n 19 pigz -p 2 -6 -c "$plain" > "$gz.tmp" && mv "$gz.tmp" "$gz"
    fi
    echo "$gz"
}

{
    echo
    echo "## bench/shapes $(date -u +%Y-%m-%dT%H:%M:%SZ): ${WORKLOADS[*]}, runs: $RUNS, commit $COMMIT"
    echo
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -m | awk '/Mem:/{print $2}') MB RAM;" \
         "tools: $(mawk -W version 2>&1 | head -1 | cut -d' ' -f1-2), duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)'), $(pigz --version 2>&1), logmill $LOGMILL"
    echo
} | tee -a "$RESULTS"

for w in "${WORKLOADS[@]}"; do
    case "$w" in
        json)     f="$(gen_shape json "$JSON_MB")"; size="$JSON_MB MiB" ;;
        s3)       f="$(gen_shape s3 "$S3_MB")"; size="$S3_MB MiB" ;;
        highcard) f="$(lambda_corpus "$HIGHCARD_MB")"; size="$HIGHCARD_MB MiB Lambda" ;;
        regex)    f="$(lambda_corpus "$REGEX_MB")"; size="$REGEX_MB MiB Lambda" ;;
        gzip)     f="$(gzip_corpus "$GZIP_MB")"; size="$GZIP_MB MiB Lambda, gzip" ;;
    esac
    "$PY" "$HERE/bench_shapes.py" "$w" "$f" "$RESULTS" --runs "$RUNS" --commit "$COMMIT" --size "$size"
done
echo "results appended to ${RESULTS#$ROOT/}"
