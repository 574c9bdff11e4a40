#!/usr/bin/env python3
"""Pathological patterns: ByteRegex (linear time) beside Python's backtracking `re`.

Usage: pathological.py REGEXBENCH_BINARY [--sizes 10000,50000,100000] [--timeout 10]

For every pattern and input size, times ByteRegex firstMatch/isMatch (best of 5, via
`RegexBench time`) and Python `re.search` in a fresh subprocess killed after --timeout seconds
("timeout"). Once Python times out for a pattern, larger sizes are not attempted (they can only
take longer) and are reported as "timeout (skipped)". Prints a Markdown table.
"""
import argparse
import subprocess
import sys

# (pattern, input kind): kind = letter repeated n times, then the rest of the string as a suffix.
# The suffixes make the required literal (b, x) present, so ByteRegex cannot reject the input by a
# literal scan and really runs its automata over all n bytes; Python backtracks from position 0.
CASES = [
    (r"(a+)+$", "a!"),
    (r"(a|aa)*b", "acb"),
    (r"(.*){20}x", "a\nx"),
    (r"(x+x+)+y", "x"),
    (r"(\w+\s?)+$", "a!"),
]

PY = r"""
import re, sys, time
p, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = kind[0] * n + kind[1:]
r = re.compile(p)
t = time.perf_counter()
m = r.search(s)
print(time.perf_counter() - t, m.span() if m else None)
"""


def bytereg(binary, pattern, kind, n):
    out = subprocess.run([binary, "time", pattern, kind, str(n), "5"], check=True,
                         capture_output=True, text=True).stdout.split(maxsplit=2)
    return float(out[0]), float(out[1]), out[2].strip()


def python_re(pattern, kind, n, timeout):
    try:
        out = subprocess.run([sys.executable, "-c", PY, pattern, kind, str(n)], capture_output=True,
                             text=True, timeout=timeout, check=True).stdout.split(maxsplit=1)
        return float(out[0])
    except subprocess.TimeoutExpired:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]

    print(f"Python {sys.version.split()[0]}, timeout {a.timeout:g} s per Python run")
    print()
    print("| pattern | input | n | ByteRegex firstMatch ms | ns/byte | ByteRegex isMatch ms | match | Python re.search |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    growth = []
    for pattern, kind in CASES:
        py_timed_out = False
        times = {}
        for n in sizes:
            first, ismatch, result = bytereg(a.binary, pattern, kind, n)
            times[n] = first
            if py_timed_out:
                py = "timeout (skipped)"
            else:
                t = python_re(pattern, kind, n, a.timeout)
                if t is None:
                    py_timed_out = True
                    py = f"timeout (> {a.timeout:g} s)"
                else:
                    py = f"{t * 1e3:.1f} ms"
            shown_input = f"'{kind[0]}'*n" + (f" + {kind[1:]!r}" if len(kind) > 1 else "")
            print(f"| `{pattern.replace('|', chr(92) + '|')}` | {shown_input} | {n} | {first * 1e3:.2f} | "
                  f"{first * 1e9 / (n + len(kind) - 1):.1f} | {ismatch * 1e3:.2f} | {result} | {py} |", flush=True)
        lo, hi = sizes[0], sizes[-1]
        if hi > lo and times[lo] > 0:
            growth.append((pattern, hi / lo, times[hi] / times[lo]))
    print()
    for pattern, size_ratio, time_ratio in growth:
        print(f"`{pattern}`: input x{size_ratio:g} -> ByteRegex firstMatch time x{time_ratio:.1f}")


if __name__ == "__main__":
    main()
