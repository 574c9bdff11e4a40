#!/usr/bin/env python3
"""Times one bench/shapes workload with logmill, DuckDB and mawk (driven by bench/shapes/run.sh),
compares the answers and prints a markdown table.

    python3 bench/shapes/bench_shapes.py WORKLOAD FILE RESULTS_MD [--runs 3] [--commit C]
    WORKLOAD: json | s3 | highcard | regex | gzip   (FILE: the input; for gzip the .gz file)

Environment: LOGMILL (default .build/release/logmill, relative to the repo root).
Each command runs RUNS times under `/usr/bin/time -f '%e %M'`; the reported wall time is the
median (perf_counter around the whole process, DuckDB's Python start-up included), peak RSS the
largest %M of the runs. The last run's outputs are parsed into {group: values} and compared with
DuckDB's (the reference): same groups, equal counts (and max), sums and averages within 1e-9
relative (or half a unit in the last decimal a tool prints), percentiles as described in README.md.
"""

import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
PY = sys.executable

QUERIES = {
    "json": 'filter level = "ERROR" | stats count(*) as n, avg(latency_ms) as avg_ms, pct(latency_ms, 99) as p99 by service, bin(5m)',
    "s3": "stats count(*) as requests, sum(bytesSent) as bytes by operation, httpStatus",
    "highcard": "stats count(*) as c by @requestId | sort c desc | limit 10",
    "regex": r"parse @message /Duration: (?<d>[\d.]+) ms/ | stats avg(d) by bin(1h)",
    "gzip": 'filter @type = "REPORT" | stats count(*), max(@maxMemoryUsed), avg(@duration) by bin(5m)',
}


def commands(workload, logmill, path):
    """(tool, argv, kind) in run order; kind names the output parser (None: not compared)."""
    q = QUERIES[workload]
    lm = [logmill, "query", "--format", "csv", q, path] if logmill else None
    cmds = []
    if workload == "json":
        cmds = [("logmill", lm, "logmill"),
                ("duckdb", [PY, os.path.join(HERE, "duckdb_shapes.py"), "json", path], "plain")]
    elif workload == "s3":
        cmds = [("logmill", lm, "logmill"),
                ("duckdb", [PY, os.path.join(HERE, "duckdb_shapes.py"), "s3", path], "plain"),
                ("mawk", ["mawk", "-f", os.path.join(HERE, "s3.awk"), path], "plain")]
    elif workload == "highcard":
        cmds = [("logmill", lm, "logmill"),
                ("duckdb", [PY, os.path.join(BENCH, "duckdb_q.py"), "q3", path], "plain"),
                ("mawk", ["mawk", "-f", os.path.join(HERE, "q3.awk"), path], "plain")]
    elif workload == "regex":
        cmds = [("logmill", lm, "logmill"),
                ("duckdb", [PY, os.path.join(HERE, "duckdb_shapes.py"), "regex", path], "plain"),
                ("mawk", ["mawk", "-f", os.path.join(HERE, "regex.awk"), path], "plain")]
    elif workload == "gzip":
        plain = path[:-3] if path.endswith(".gz") else None
        cmds = [("logmill", lm, "logmill"),
                ("duckdb", [PY, os.path.join(BENCH, "duckdb_q.py"), "q1", path], "plain"),
                ("pigz -dc + mawk", ["sh", "-c", 'pigz -dc "$1" | mawk -F "\t" -f "$2"', "sh", path,
                                     os.path.join(BENCH, "q1.awk")], "plain"),
                ("pigz -dc > /dev/null", ["sh", "-c", 'pigz -dc "$1" > /dev/null', "sh", path], None)]
        if logmill and plain and os.path.exists(plain):
            cmds.append(("logmill (uncompressed file)", [logmill, "query", "--format", "csv", q, plain], "logmill"))
    return [c for c in cmds if c[1] is not None]


def run_once(argv, out_path):
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    try:
        with open(out_path, "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tpath] + argv, stdout=out, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
        with open(tpath) as fh:
            last = [l for l in fh.read().splitlines() if l.strip()]
        rss_kb = int(last[-1].split()[1]) if last and len(last[-1].split()) == 2 else 0
        return p.returncode, wall, rss_kb, p.stderr.decode("utf-8", "replace")
    finally:
        os.unlink(tpath)


# ---------------------------------------------------------------- answers

def norm_bin(s):
    return s.strip().replace("T", " ")[:19]


class Num:
    """A number with the decimals its tool printed (for the comparison tolerance); None when empty."""
    __slots__ = ("v", "dec")

    def __init__(self, s):
        s = s.strip()
        if s == "" or s.lower() in ("null", "none", "nan"):
            self.v, self.dec = None, None
            return
        self.v = float(s)
        m = s.lower().split("e")[0]
        self.dec = len(m.split(".")[1]) if "." in m and "e" not in s.lower() else None

    def __repr__(self):
        return "-" if self.v is None else repr(self.v)


# per workload: how many leading columns are the group key, and the value columns' roles
SHAPES = {
    "json": (2, ["count", "avg", "pct"]),
    "s3": (2, ["count", "sum"]),
    "regex": (1, ["avg"]),
    "gzip": (1, ["count", "max", "avg"]),
    "highcard": (1, ["count"]),
}
LOGMILL_HEADERS = {
    "json": ["service", "bin(5m)", "n", "avg_ms", "p99"],
    "s3": ["operation", "httpStatus", "requests", "bytes"],
    "regex": ["bin(1h)", "avg(d)"],
    "gzip": ["bin(5m)", "count(*)", "max(@maxMemoryUsed)", "avg(@duration)"],
    "highcard": ["@requestId", "c"],
}


def parse(workload, kind, text):
    """-> list of (key tuple, [Num...]) in output order; DuckDB's json output has p99 cont and disc."""
    nkey, roles = SHAPES[workload]
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    if kind == "logmill":
        header = [h.strip() for h in rows[0]] if rows else []
        want = LOGMILL_HEADERS[workload]
        idx = [header.index(w) for w in want]
        rows = [[r[i] if i < len(r) else "" for i in idx] for r in rows[1:]]
    out = []
    for r in rows:
        key = tuple(norm_bin(x) if ("bin" in LOGMILL_HEADERS[workload][j] or workload in ("regex", "gzip")) else x.strip()
                    for j, x in enumerate(r[:nkey]))
        out.append((key, [Num(x) for x in r[nkey:]]))
    return out


def close(a, b):
    """Equal within 1e-9 relative, or half a unit in the last decimal either side printed."""
    if a.v is None or b.v is None:
        return a.v is None and b.v is None
    tol = 1e-9 * max(abs(a.v), abs(b.v))
    for d in (a.dec, b.dec):
        if d is not None and d <= 8:
            tol = max(tol, 0.5 * 10 ** -d + 1e-12 * abs(a.v))
    return abs(a.v - b.v) <= tol


def compare(workload, ref, other, notes):
    """ref: DuckDB's rows, other: a tool's rows. Returns (ok, first problems)."""
    nkey, roles = SHAPES[workload]
    problems = []
    if workload == "highcard":
        # top 10 by count: ties (every invocation has 5 lines) are ordered differently by design, so
        # compare the counts in order, the null group's count, and any id both lists hold
        rc = [v[0].v for _, v in ref]
        oc = [v[0].v for _, v in other]
        if rc != oc:
            problems.append("counts in order differ: duckdb %s vs %s" % (rc, oc))
        rd = {k: v[0].v for k, v in ref}
        for k, v in other:
            if k in rd and rd[k] != v[0].v:
                problems.append("group %s: count %s vs %s" % (k, rd[k], v[0].v))
        return not problems, problems
    rd = dict(ref)
    od = dict(other)
    if set(rd) != set(od):
        miss = sorted(set(rd) - set(od))[:3]
        extra = sorted(set(od) - set(rd))[:3]
        problems.append("groups differ: %d vs %d (missing %s, extra %s)" % (len(rd), len(od), miss, extra))
    cont_dev = 0.0
    for k in sorted(set(rd) & set(od)):
        a, b = rd[k], od[k]
        for j, role in enumerate(roles):
            x, y = a[j], b[j]
            if role in ("count", "max"):
                ok = (x.v is None and y.v is None) or (x.v is not None and y.v is not None and round(x.v) == round(y.v))
            elif role == "pct":
                # DuckDB prints quantile_cont then quantile_disc; logmill's pct is nearest-rank (exact
                # up to 10,000 values a group), which is DuckDB's quantile_disc: compared exactly
                disc = a[j + 1]
                ok = close(disc, y)
                if x.v is not None and y.v is not None and x.v != 0:
                    cont_dev = max(cont_dev, abs(x.v - y.v) / abs(x.v))
            else:
                ok = close(x, y)
            if not ok:
                problems.append("group %s: %s %r vs %r" % (",".join(k), role, x if role != "pct" else a[j + 1], y))
    if workload == "json":
        notes.append("p99 vs DuckDB quantile_disc: exact; vs quantile_cont: at most %.3g relative" % cont_dev)
    return not problems, problems[:5]


# ---------------------------------------------------------------- main

def main():
    workload, path, results = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    commit = sys.argv[sys.argv.index("--commit") + 1] if "--commit" in sys.argv else "?"
    size_note = sys.argv[sys.argv.index("--size") + 1] if "--size" in sys.argv else ""
    logmill = os.environ.get("LOGMILL", os.path.join(ROOT, ".build/release/logmill"))
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    if not (os.path.isfile(logmill) and os.access(logmill, os.X_OK)):
        say("NOTE: %s not found: logmill rows skipped (build it with `swift build -c release`)." % logmill)
        logmill = None
    with open("/proc/loadavg") as fh:
        load1 = float(fh.read().split()[0])

    # warm the page cache (and, for gzip, the uncompressed file logmill is also run on)
    for p in (path, path[:-3] if path.endswith(".gz") else None):
        if p and os.path.exists(p):
            with open(p, "rb") as fh:
                while fh.read(1 << 24):
                    pass

    outdir = os.path.join(ROOT, "bench", "out", "shapes", "last")
    os.makedirs(outdir, exist_ok=True)
    res = {}
    for tool, argv, kind in commands(workload, logmill, path):
        slug = "".join(c for c in tool if c.isalnum())
        out_path = os.path.join(outdir, "%s-%s.out" % (workload, slug))
        walls, rss, err = [], 0, None
        for _ in range(runs):
            rc, wall, rss_kb, stderr = run_once(argv, out_path)
            if rc != 0:
                err = "exit %d: %s" % (rc, (stderr.strip().splitlines() or [""])[-1])
                break
            walls.append(wall)
            rss = max(rss, rss_kb)
        if err:
            say("FAILED: %s %s: %s" % (tool, workload, err))
            continue
        parsed = None
        if kind:
            with open(out_path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            try:
                parsed = parse(workload, kind, text)
            except Exception as e:  # noqa: BLE001 - report and continue
                say("UNPARSEABLE output from %s (%s): see %s" % (tool, e, out_path))
        res[tool] = (statistics.median(walls), rss / 1024.0, parsed, walls)

    # ---- answers against DuckDB
    notes = []
    verdict = {}
    ref = res.get("duckdb", (None, None, None, None))[2]
    for tool, (_, _, parsed, _) in res.items():
        if tool == "duckdb" or parsed is None:
            continue
        if ref is None:
            verdict[tool] = "no reference"
            continue
        ok, problems = compare(workload, ref, parsed, notes if tool == "logmill" else [])
        verdict[tool] = "OK" if ok else "MISMATCH"
        for p in problems:
            notes.append("%s: %s" % (tool, p))
    if "duckdb" in res and ref is not None:
        verdict["duckdb"] = "reference (%d groups)" % len(ref)

    # ---- table
    dk = res.get("duckdb", (None,))[0]
    fsize = os.path.getsize(path) / 1048576.0
    say("### %s%s" % (workload, (" (%s)" % size_note) if size_note else ""))
    say("")
    say("`%s` over `%s` (%.0f MiB on disk); %d runs each, median whole-process wall time; commit %s; load average %.2f before the runs"
        % (QUERIES[workload], os.path.relpath(path, ROOT), fsize, runs, commit, load1))
    say("")
    say("| tool | wall s | runs (s) | peak RSS MB | vs DuckDB | answers | commit |")
    say("|---|---|---|---|---|---|---|")
    for tool, (sec, rss_mb, _, walls) in res.items():
        ratio = "%.2f" % (sec / dk) if dk else "-"
        if tool == "logmill" and dk:
            ratio += " (target <= 0.8: %s)" % ("PASS" if sec / dk <= 0.8 else "FAIL")
        say("| %s | %.3f | %s | %.1f | %s | %s | %s |" % (tool, sec, " ".join("%.2f" % w for w in walls), rss_mb, ratio,
                                                           verdict.get(tool, "-"), commit))
    say("")
    pigz = res.get("pigz -dc > /dev/null", (None,))[0]
    if workload == "gzip" and pigz and "logmill" in res:
        # The second gzip target: inflating and parsing overlapped, faster than decompressing alone.
        r = res["logmill"][0] / pigz
        say("logmill vs `pigz -dc > /dev/null`: %.2fx (target <= 0.9: %s)" % (r, "PASS" if r <= 0.9 else "FAIL"))
        say("")
    for n in notes:
        say("- " + n)
    if load1 > 0.7:
        say("- WARNING: 1-minute load average %.2f before the runs: other work was competing for the 2 cores." % load1)
    say("")
    os.makedirs(os.path.dirname(os.path.abspath(results)), exist_ok=True)
    with open(results, "a") as fh:
        fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
