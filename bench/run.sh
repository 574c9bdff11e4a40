#!/usr/bin/env bash
# logmill benchmark: Q1/Q2 side by side with mawk, DuckDB and ripgrep.
#
#   bench/run.sh [SIZE_MB ...]        default: 256 1024
#
# Env: LOGMILL=path/to/logmill (default .build/release/logmill), RUNS=3.
# Builds nothing: build logmill first with `swift build -c release`.
# Installs only what it needs and only when missing (as root): duckdb via pip,
# ripgrep and time via apt-get.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"

SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(256 1024)
RUNS="${RUNS:-3}"
PY="${PYTHON:-python3}"

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
command -v mawk >/dev/null || { echo "installing mawk" >&2; apt_install mawk; }
[ -x /usr/bin/time ] || { echo "installing time (/usr/bin/time)" >&2; apt_install time; }
command -v rg >/dev/null || { echo "installing ripgrep" >&2; apt_install ripgrep; }
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    echo "installing duckdb (pip)" >&2
    "$PY" -m pip install --quiet duckdb || { echo "could not install duckdb: $PY -m pip install duckdb" >&2; exit 1; }
fi

mkdir -p "$HERE/data" "$HERE/out"
RESULTS="$HERE/out/results-$(date -u +%Y-%m-%d).txt"
{
    echo "==== logmill bench $(date -u +%Y-%m-%dT%H:%M:%SZ)  sizes: ${SIZES[*]}  runs: $RUNS"
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -m | awk '/Mem:/{print $2}') MB RAM"
    echo "tools: $(mawk -W version 2>&1 | head -1); $(rg --version | head -1); duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)'); logmill: ${LOGMILL:-.build/release/logmill}$( [ -x "${LOGMILL:-.build/release/logmill}" ] && echo " ($(stat -c %y "${LOGMILL:-.build/release/logmill}" | cut -d. -f1))" || echo ' (missing)')"
    if [ -d .git ]; then echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"; fi
} | tee -a "$RESULTS"

for size in "${SIZES[@]}"; do
    corpus="$HERE/data/corpus-${size}MB.log"
    # (re)generate when absent or older than the generator
    if [ ! -s "$corpus" ] || [ "$HERE/gen_corpus.py" -nt "$corpus" ]; then
        echo "generating $corpus" >&2
        "$PY" "$HERE/gen_corpus.py" "$size" "$corpus"
    fi
    echo
    "$PY" "$HERE/bench.py" "$size" "$corpus" "$RESULTS" --runs "$RUNS"
done
echo
echo "results appended to ${RESULTS#$ROOT/}"
