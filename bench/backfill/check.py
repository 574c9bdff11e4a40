#!/usr/bin/env python3
"""Checks a backfill's OpenMetrics output against the REPORT lines of the data.

    zcat FILES | grep -F 'REPORT RequestId' | python3 bench/backfill/check.py OM_FILE FROM TO

Reads the REPORT lines (CloudWatch export lines, `<ISO-8601 ms UTC> REPORT RequestId: ...`) on
standard input, keeps those with a time in [FROM, TO) and groups them by 5-minute bin of their
own timestamp (not of the file they came from): count, mean Duration, max Max Memory Used.
Then compares with the `Invocations`, `AvgDuration` and `MaxMemoryUsed` points of OM_FILE
(OpenMetrics text with a timestamp on every point, as bench/backfill/job.job's sink writes it):

* the total: number of REPORT lines in range vs the sum of the `Invocations` points;
* per bin: the same bins, equal counts, means within 1e-6 (relative), equal maxima (bytes,
  MB x 1,000,000).

Prints the figures and OK or MISMATCH (with the first differing bins); exits 0 on OK, 1 on
MISMATCH, 2 when OM_FILE cannot be read.
"""

import calendar
import sys
import time


def parse_iso(s):
    """2026-10-01T00:00:00Z (or without seconds, or with .mmm) -> epoch ms."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1]
    frac = 0
    if "." in s:
        s, f = s.split(".", 1)
        frac = int((f + "000")[:3])
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(s, fmt)) * 1000 + frac
        except ValueError:
            pass
    raise ValueError("not an ISO-8601 UTC time: %r" % s)


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def read_om(path):
    """{metric name: {bin start ms: value}} for the metrics the job writes."""
    series = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name_end = min(i for i in (line.find("{"), line.find(" ")) if i >= 0)
            name = line[:name_end]
            rest = line[line.rindex("}") + 1:] if "}" in line else line[name_end:]
            parts = rest.split()
            if len(parts) < 2:
                raise ValueError("a point without a timestamp (the sink needs timestamps=true): %r" % line)
            value, ts = float(parts[0]), float(parts[1])
            ms = int(round(ts * 1000))
            if ms in series.setdefault(name, {}):
                raise ValueError("two points of %s at %s (several series? the job has one)" % (name, iso(ms)))
            series[name][ms] = value
    return series


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    om_path, lo, hi = sys.argv[1], parse_iso(sys.argv[2]), parse_iso(sys.argv[3])
    minute_ms = {}
    count, dur_sum, mem_max = {}, {}, {}
    total = in_range = bad = 0
    for line in sys.stdin:
        if "REPORT RequestId" not in line:
            continue
        total += 1
        mkey = line[:16]
        m = minute_ms.get(mkey)
        if m is None:
            m = minute_ms[mkey] = parse_iso(mkey)
        t = m + int(line[17:19]) * 1000 + int(line[20:23])
        if not (lo <= t < hi):
            continue
        in_range += 1
        b = t - t % 300000
        dur = mem = None
        for field in line.split("\t"):
            if field.startswith("Duration: "):
                dur = float(field[10:-3])
            elif field.startswith("Max Memory Used: "):
                mem = int(field[17:-3]) * 1000000
        if dur is None or mem is None:
            bad += 1
            continue
        count[b] = count.get(b, 0) + 1
        dur_sum[b] = dur_sum.get(b, 0.0) + dur
        if mem > mem_max.get(b, -1):
            mem_max[b] = mem
    print("zcat | grep -c 'REPORT RequestId': %d; in [%s, %s): %d (%d outside: records past the range's end)"
          % (total, iso(lo), iso(hi), in_range, total - in_range))
    if bad:
        print("%d REPORT line(s) without Duration or Max Memory Used (left out)" % bad)
    try:
        om = read_om(om_path)
    except (OSError, ValueError) as e:
        print("answers: MISMATCH (cannot read the OpenMetrics output %s: %s)" % (om_path, e))
        return 2
    def metric(base):
        # OpenMetrics names may carry a unit suffix (MaxMemoryUsed_bytes)
        for name in sorted(om):
            if name == base or name.startswith(base + "_"):
                return om[name]
        return {}
    inv = metric("Invocations")
    avg = metric("AvgDuration")
    mx = metric("MaxMemoryUsed")
    om_total = sum(inv.values())
    print("openmetrics %s: %d Invocations points%s, sum %s"
          % (om_path, len(inv),
             " from %s to %s" % (iso(min(inv)), iso(max(inv))) if inv else "",
             ("%d" % om_total) if om_total == int(om_total) else om_total))
    problems = []
    for b in sorted(set(count) | set(inv) | set(avg) | set(mx)):
        want = count.get(b)
        if want is None:
            problems.append("%s: no REPORT lines in the data, but points in the output (Invocations %s)" % (iso(b), inv.get(b)))
            continue
        got = inv.get(b)
        if got is None:
            problems.append("%s: %d REPORT lines, no Invocations point" % (iso(b), want))
            continue
        if got != want:
            problems.append("%s: Invocations %s, REPORT lines %d" % (iso(b), got, want))
        mean = dur_sum[b] / want
        a = avg.get(b)
        if a is None or abs(a - mean) > 1e-6 * max(1.0, abs(mean)):
            problems.append("%s: AvgDuration %s, expected %.6f" % (iso(b), a, mean))
        m = mx.get(b)
        if m is None or m != mem_max[b]:
            problems.append("%s: MaxMemoryUsed %s, expected %d" % (iso(b), m, mem_max[b]))
    print("bins: %d with REPORT lines in the data, %d in the output" % (len(count), len(inv)))
    if om_total == in_range and not problems:
        print("answers: OK (total %d; every 5-minute bin's count, mean duration and max memory agree)" % in_range)
        return 0
    print("answers: MISMATCH (total: output %s, data %d; %d bin problem(s))"
          % (("%d" % om_total) if om_total == int(om_total) else om_total, in_range, len(problems)))
    for p in problems[:10]:
        print("  " + p)
    if len(problems) > 10:
        print("  ... %d more" % (len(problems) - 10))
    return 1


if __name__ == "__main__":
    sys.exit(main())
