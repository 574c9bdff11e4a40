#!/usr/bin/env python3
"""A month of hourly-rotated, gzip-compressed Lambda logs for the backfill benchmark.

    python3 bench/backfill/generate.py OUTDIR [--hours 720] [--mb-per-hour 2.9] [--seed 20261001]
                                              [--jobs 2] [--force]

Writes OUTDIR/YYYY/MM/DD/orders-api-YYYY-MM-DDTHH.log.gz for HOURS consecutive hours from
2026-10-01T00:00:00Z (720 hours: 2026-10-01 to 2026-10-30 inclusive), one gzip member per file
(zlib level 6, mtime 0, no file name), and OUTDIR/manifest.json (sizes and counts per file).
Defaults give about 2.03 GiB (2.18 GB) uncompressed.

Lines are CloudWatch Logs export lines (`<ISO-8601 ms UTC> <message>`, as bench/gen_corpus.py and
fixtures/ write them) of one Node.js function, orders-api (Memory Size 512 MB). An invocation is
START, one or two application lines (`<iso>\\t<request-id>\\t<LEVEL>\\t<text>`, INFO, WARN or ERROR;
POSTs add an `order_created` JSON line), END and REPORT (`Duration`, `Billed Duration`,
`Memory Size`, `Max Memory Used`); ~1 % are cold starts (INIT_START, an `undefined` init line,
`Init Duration` in the REPORT), ~0.2 % time out (`Task timed out after 3.00 seconds`,
`Status: timeout`). Traffic follows a daily curve (0.55x at 02:00 to 1.45x at 14:00 UTC of the
mean size per hour); there is an error incident on 2026-10-09 14:00-15:30 and a memory creep
2026-10-12 to 2026-10-16.

What a backfill must get right:

* **Records straddle files.** Each file is rotated a few seconds (2-9 s, drawn per hour) after
  its hour ends: the last few invocations in the file for hour H carry times in hour H+1, and
  the file for H+1 starts where H's ends (no overlap, no duplicates). The last file's tail lies
  past the end of the month's range (2026-10-31T00:00Z for 720 hours).
* **Missing hours**: MISSING_HOURS below have no file at all (the records of the file before
  still run a few seconds into them).
* **One file out of time order**: UNORDERED_HOUR's file holds its invocations stream by stream
  (three execution environments exported one after another), so its times run through the hour
  three times. Every other file's times never decrease.

Deterministic: the same options give the same bytes (with the same zlib build). Each file is
drawn from its own hour index, so files are generated independently, in any order, on at most
two processes. Idempotent: a file that exists with the size recorded in manifest.json (for the
same seed, size and generator version) is not rewritten; --force rewrites everything.
Files are written to a temporary name and renamed.
"""

import argparse
import gzip
import json
import math
import multiprocessing
import os
import random
import sys
import time

GENERATOR_VERSION = 2
START_EPOCH_S = 1790812800                  # 2026-10-01T00:00:00Z
HOUR_MS = 3600 * 1000
FUNCTION = "orders-api"
MEMORY_MB = 512
TABLE = 65521                               # prime size of the random pools
# Hours (UTC, "YYYY-MM-DDTHH") with no file. The first is in the first day, so a 24-hour run has one.
MISSING_HOURS = ("2026-10-01T17", "2026-10-14T03", "2026-10-27T12")
# The hour whose file is not in time order (also in the first day).
UNORDERED_HOUR = "2026-10-01T20"
RUNTIME_ARN = "arn:aws:lambda:us-east-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"


def hour_name(h):
    return time.strftime("%Y-%m-%dT%H", time.gmtime(START_EPOCH_S + h * 3600))


def rel_path(h):
    t = time.gmtime(START_EPOCH_S + h * 3600)
    return "%04d/%02d/%02d/%s-%s.log.gz" % (t.tm_year, t.tm_mon, t.tm_mday, FUNCTION, hour_name(h))


def traffic(hour_of_day):
    """Relative size of an hour: mean 1 over a day, low at 02:00, high at 14:00 UTC."""
    return 1.0 + 0.45 * math.sin(2 * math.pi * (hour_of_day - 8) / 24.0)


def straddle_ms(seed, h):
    """How long after the end of hour h its file was rotated (its last records' lateness)."""
    if h < 0:
        return 0
    return random.Random(seed * 7919 + h).randint(2000, 8999)


class Pools:
    """Random tables drawn once per process from the seed; lines index them per hour."""

    def __init__(self, seed):
        rng = random.Random(seed)
        hexd = "0123456789abcdef"

        def hx(n):
            return "".join(rng.choice(hexd) for _ in range(n))
        # request id = 8-4-4-4- prefix from the table + 12 hex digits scrambled from a per-month counter
        self.req_prefix = ["%s-%s-4%s-%s%s-" % (hx(8), hx(4), hx(3), rng.choice("89ab"), hx(3))
                           for _ in range(4096)]
        self.durations, self.billed = [], []
        for _ in range(TABLE):
            x = rng.random()
            d = 1.0 + (x ** 3) * 2900.0 + rng.random() * 20.0      # skewed: most calls are short
            self.durations.append("%.2f" % d)
            self.billed.append(int(math.ceil(round(d, 2))))
        self.mem_noise = [rng.randint(-40, 40) for _ in range(TABLE)]
        self.rolls = [rng.random() for _ in range(TABLE)]
        self.init_dur = ["%.2f" % (150 + rng.random() * 700) for _ in range(TABLE)]
        self.items = [rng.randint(1, 9) for _ in range(TABLE)]
        self.ids = ["%06d" % rng.randint(0, 999999) for _ in range(TABLE)]
        self.amounts = [rng.randint(499, 49999) for _ in range(TABLE)]
        self.skus = ["SKU-%04d" % rng.randint(1000, 1099) for _ in range(TABLE)]
        # memory curve per 5-minute bin of the day (MB)
        self.mem_by_bin = [int(250 + 150 * math.sin(b / 288.0 * 2 * math.pi - 1.2) + 40 * math.sin(b / 17.0))
                           for b in range(288)]


INFO_TEXTS = (
    "Fetched inventory snapshot %s (%d warehouses) cached",
    "Published OrderUpdated event %s to %d subscribers",
    "Validated payment intent %s with risk score %d",
)
DONE_TEXTS = (
    "Request %s completed after %d downstream calls",
    "Wrote order %s to orders-prod (%d WCU used)",
)
WARN_TEXT = "Slow downstream call for %s: %d retries needed"
ERROR_TEXTS = (
    "Failed to charge card for %s: timeout (%d attempts)",
    "ConditionalCheckFailed on %s (version %d) in put",
)


def error_rate(h):
    """Probability that an invocation logs an ERROR line, by hour index."""
    day, hod = divmod(h, 24)
    p = 0.02 + 0.01 * ((hod * 7) % 5) / 4.0
    if day == 8 and hod in (14, 15):                   # 2026-10-09 14:00-16:00 incident
        p = 0.40
    return p


def memory_offset(day):
    """A memory creep after a deploy on 2026-10-12, fixed on 2026-10-16 (MB)."""
    if 11 <= day <= 15:
        return 20 * (day - 10)
    return 0


def render_hour(h, seed, inv_per_hour_mean, pools, unordered):
    """The uncompressed bytes of hour h's file and its counts."""
    p = pools
    rng = random.Random(seed * 1000003 + h)
    start_ms = h * HOUR_MS + straddle_ms(seed, h - 1)
    end_ms = (h + 1) * HOUR_MS + straddle_ms(seed, h)
    day, hod = divmod(h, 24)
    n = max(1, int(round(inv_per_hour_mean * traffic(hod) * (0.97 + 0.06 * rng.random()))))
    step = (end_ms - start_ms) / float(n)
    err_p = error_rate(h)
    mem_off = memory_offset(day)
    shift = (h * 7919) % TABLE

    sec_cache = [None, ""]

    def ts(ms):
        s = ms // 1000
        if s != sec_cache[0]:
            sec_cache[0] = s
            sec_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START_EPOCH_S + s))
        return "%s.%03dZ" % (sec_cache[1], ms % 1000)

    blocks = []            # one string per invocation
    reports = errors = 0
    for i in range(n):
        k = (i + shift) % TABLE
        k2 = (i * 7 + 3 + shift) % TABLE
        k3 = (i * 13 + 11 + shift) % TABLE
        gi = h * 1000000 + i
        req = "%s%012x" % (p.req_prefix[gi & 4095], (gi * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFF)   # a bijection: unique
        t0 = start_ms + int(i * step)
        sub = step / 8.0
        cold = p.rolls[k3] < 0.01
        timeout = p.rolls[k] < 0.002
        roll = p.rolls[k2]
        out = []
        if cold:
            out.append("%s INIT_START Runtime Version: nodejs:20.v43\tRuntime Version ARN: %s\n" % (ts(t0), RUNTIME_ARN))
            tt = ts(t0 + int(sub * 0.5))
            out.append("%s %s\tundefined\tINFO\tLoaded configuration from SSM (12 parameters)\n" % (tt, tt))
        out.append("%s START RequestId: %s Version: $LATEST\n" % (ts(t0 + int(sub)), req))
        tt = ts(t0 + int(sub * 2))
        if i % 5 < 2:
            out.append("%s %s\t%s\tINFO\tPOST /orders\n" % (tt, tt, req))
            tt = ts(t0 + int(sub * 3))
            out.append('%s %s\t%s\tINFO\t{"event":"order_created","orderId":"o-%s","sku":"%s","items":%d,"amountCents":%d}\n'
                       % (tt, tt, req, p.ids[k], p.skus[k2], p.items[k3], p.amounts[k]))
        else:
            out.append("%s %s\t%s\tINFO\t%s\n" % (tt, tt, req, INFO_TEXTS[i % 3] % (p.ids[k2], p.items[k])))
        tt = ts(t0 + int(sub * 4))
        if roll < err_p:
            out.append("%s %s\t%s\tERROR\t%s\n" % (tt, tt, req, ERROR_TEXTS[i & 1] % (p.ids[k3], p.items[k2])))
            errors += 1
        elif roll > 0.97:
            out.append("%s %s\t%s\tWARN\t%s\n" % (tt, tt, req, WARN_TEXT % (p.ids[k3], p.items[k2])))
        else:
            out.append("%s %s\t%s\tINFO\t%s\n" % (tt, tt, req, DONE_TEXTS[i & 1] % (p.ids[k3], p.items[k2])))
        if timeout:
            tt = ts(t0 + int(sub * 5))
            out.append("%s %s %s Task timed out after 3.00 seconds\n" % (tt, tt, req))
            dur, billed = "3000.00", 3000
        else:
            dur, billed = p.durations[k], p.billed[k]
        te = ts(t0 + int(sub * 6))
        mem = p.mem_by_bin[((t0 // 300000) % 288)] + p.mem_noise[k3] + mem_off
        mem = 60 if mem < 60 else (500 if mem > 500 else mem)
        extra = ""
        if cold:
            extra = "Init Duration: %s ms\t" % p.init_dur[k2]
        if timeout:
            extra += "Status: timeout\t"
        out.append("%s END RequestId: %s\n%s REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\t"
                   "Memory Size: %d MB\tMax Memory Used: %d MB\t%s\n"
                   % (te, req, te, req, dur, billed, MEMORY_MB, mem, extra))
        reports += 1
        if i == 0:
            first_ms = t0 if cold else t0 + int(sub)
        blocks.append("".join(out))
    if unordered:
        # three execution environments' streams exported one after another
        blocks = blocks[0::3] + blocks[1::3] + blocks[2::3]
    data = "".join(blocks).encode()
    return data, {
        "invocations": n, "reports": reports, "error_lines": errors, "lines": data.count(b"\n"),
        "earliest": ts(first_ms), "latest": ts(start_ms + int((n - 1) * step) + int(step / 8.0 * 6)),
        "unordered": unordered,
    }


# ---- worker side
_W = {}


def _init(seed, inv_mean):
    _W["seed"], _W["inv"], _W["pools"] = seed, inv_mean, Pools(seed)


def _work(args):
    h, outdir = args
    rel = rel_path(h)
    data, info = render_hour(h, _W["seed"], _W["inv"], _W["pools"], hour_name(h) == UNORDERED_HOUR)
    gz = gzip.compress(data, compresslevel=6, mtime=0)
    path = os.path.join(outdir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(gz)
    os.replace(tmp, path)
    info.update({"hour": hour_name(h), "compressed": len(gz), "uncompressed": len(data)})
    return rel, info


def calibrate(seed, pools, mb_per_hour):
    """Mean invocations per hour that give MB_PER_HOUR MiB: the average invocation size of a
    sample hour (deterministic)."""
    data, info = render_hour(100000, seed, 4000, pools, False)
    per_inv = len(data) / float(info["invocations"])
    return mb_per_hour * 1048576.0 / per_inv


def write_manifest(outdir, manifest):
    path = os.path.join(outdir, "manifest.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="hourly-rotated gzip Lambda logs for bench/backfill")
    ap.add_argument("outdir")
    ap.add_argument("--hours", type=int, default=720)
    ap.add_argument("--mb-per-hour", type=float, default=2.9, help="mean MiB per hour, uncompressed (default 2.9)")
    ap.add_argument("--seed", type=int, default=20261001)
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2), help="processes (at most 2)")
    ap.add_argument("--force", action="store_true", help="rewrite every file")
    a = ap.parse_args()
    if a.hours < 1 or a.mb_per_hour <= 0:
        ap.error("--hours and --mb-per-hour must be positive")
    t_start = time.time()
    outdir = os.path.abspath(a.outdir)
    os.makedirs(outdir, exist_ok=True)
    params = {"generator": GENERATOR_VERSION, "seed": a.seed, "mb_per_hour": a.mb_per_hour,
              "start": "2026-10-01T00:00:00Z", "function": FUNCTION}

    old = {}
    mpath = os.path.join(outdir, "manifest.json")
    if os.path.exists(mpath) and not a.force:
        try:
            with open(mpath) as f:
                m = json.load(f)
            if m.get("params") == params:
                old = dict(m.get("other_files", {}))
                old.update(m.get("files", {}))
        except (OSError, ValueError):
            old = {}

    hours = [h for h in range(a.hours) if hour_name(h) not in MISSING_HOURS]
    gaps = [hour_name(h) for h in range(a.hours) if hour_name(h) in MISSING_HOURS]
    for h in range(a.hours):                 # a gap hour's file from elsewhere would not be a gap
        p = os.path.join(outdir, rel_path(h))
        if hour_name(h) in MISSING_HOURS and os.path.exists(p):
            os.remove(p)
            sys.stderr.write("removed %s: that hour is a gap\n" % p)
    files = {}
    todo = []
    for h in hours:
        rel = rel_path(h)
        p = os.path.join(outdir, rel)
        e = old.get(rel)
        if e is not None and os.path.isfile(p) and os.path.getsize(p) == e["compressed"]:
            files[rel] = e
        else:
            todo.append(h)
    extra = []
    todo_rel = {rel_path(h) for h in todo}
    for root, _dirs, names in os.walk(outdir):
        for nm in names:
            rel = os.path.relpath(os.path.join(root, nm), outdir)
            if ".tmp-" in nm:
                os.remove(os.path.join(root, nm))
            elif nm.endswith(".log.gz") and rel not in files and rel not in todo_rel:
                extra.append(rel)
    # files of other hours stay listed (apart) while they are intact, so that a run with more hours keeps them
    other = {rel: old[rel] for rel in extra
             if rel in old and os.path.getsize(os.path.join(outdir, rel)) == old[rel]["compressed"]}
    if extra:
        sys.stderr.write("warning: %s holds %d .log.gz file(s) outside these %d hours (e.g. %s); "
                         "timings and checks over the folder would include them\n"
                         % (outdir, len(extra), a.hours, sorted(extra)[0]))

    pools = Pools(a.seed)
    inv_mean = calibrate(a.seed, pools, a.mb_per_hour)
    manifest = {"params": params, "hours": a.hours, "missing_hours": gaps,
                "unordered_hour": UNORDERED_HOUR if UNORDERED_HOUR >= hour_name(0) and UNORDERED_HOUR <= hour_name(a.hours - 1) else None,
                "range": {"from": "2026-10-01T00:00:00Z",
                          "to": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START_EPOCH_S + a.hours * 3600))},
                "files": files, "other_files": other}
    if todo:
        sys.stderr.write("generating %d file(s) into %s (%d already there) on %d process(es)\n"
                         % (len(todo), outdir, len(files), a.jobs))
        # biggest hours first spreads the work evenly over the processes
        todo.sort(key=lambda h: -traffic(h % 24))
        done = 0
        last_note = time.time()
        if a.jobs == 1:
            _init(a.seed, inv_mean)
            results = map(_work, [(h, outdir) for h in todo])
            pool = None
        else:
            pool = multiprocessing.Pool(2, initializer=_init, initargs=(a.seed, inv_mean))
            results = pool.imap_unordered(_work, [(h, outdir) for h in todo])
        for rel, info in results:
            files[rel] = info
            done += 1
            if done % 24 == 0 or done == len(todo):
                write_manifest(outdir, manifest)
            if time.time() - last_note > 10:
                last_note = time.time()
                sys.stderr.write("  %d/%d files, %.0f s\n" % (done, len(todo), time.time() - t_start))
        if pool is not None:
            pool.close()
            pool.join()
    manifest["files"] = dict(sorted(files.items()))
    tot_c = sum(e["compressed"] for e in files.values())
    tot_u = sum(e["uncompressed"] for e in files.values())
    manifest["totals"] = {"files": len(files), "compressed": tot_c, "uncompressed": tot_u,
                          "lines": sum(e["lines"] for e in files.values()),
                          "reports": sum(e["reports"] for e in files.values()),
                          "error_lines": sum(e["error_lines"] for e in files.values())}
    write_manifest(outdir, manifest)
    t = manifest["totals"]
    print("%s: %d files (%d generated, %d kept) for %d hours from 2026-10-01T00Z; missing hours: %s"
          % (outdir, t["files"], len(todo), len(files) - len(todo), a.hours, ", ".join(gaps) or "none"))
    print("compressed   %14d bytes (%.1f MiB)" % (tot_c, tot_c / 1048576.0))
    print("uncompressed %14d bytes (%.1f MiB, %.3f GB), ratio %.2f" % (tot_u, tot_u / 1048576.0, tot_u / 1e9, tot_u / float(max(1, tot_c))))
    print("lines %d, REPORT lines %d, ERROR lines %d; %.1f s" % (t["lines"], t["reports"], t["error_lines"], time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
