#!/usr/bin/env python3
"""Writes logmill's golden corpus: Tests/golden/<case>/ with its query or job, inputs/ and README.

    python3 Tests/golden/generate.py                    # (re)write every case's inputs, query/job and README
    python3 Tests/golden/generate.py --check            # exit 1 if a committed file differs from what this writes
    python3 Tests/golden/generate.py --record LOGMILL   # write expected.json / expected.txt by running LOGMILL,
                                                        #   then --verify them
    python3 Tests/golden/generate.py --verify           # recompute every case's rows here, independently of
                                                        #   logmill, and compare with the expected files

Python stdlib only, seeded (20261129), deterministic. The expected files are logmill's output, but
--verify recomputes each case's rows (counts, sums, min/max, averages, percentiles, orders) from the
generated records in Python, so the corpus is checked, not only a snapshot.
"""
import gzip
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
T0 = int((datetime(2026, 11, 1, tzinfo=timezone.utc) - EPOCH).total_seconds() * 1000)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def iso(ms):
    dt = EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def shown(ms):
    """How logmill prints a time value: '2026-11-01 00:05:00.000'."""
    dt = EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def floor_to(ms, period_ms):
    return ms - ms % period_ms


# --------------------------------------------------------------------------- inputs

class Lambda:
    """One function's CloudWatch export lines; keeps the REPORT facts for --verify."""

    def __init__(self, rng, name, memory_mb):
        self.rng, self.name, self.memory_mb = rng, name, memory_mb
        self.events = []     # (ms, seq, message)
        self.reports = []    # dicts
        self.warm = False

    def emit(self, ms, msg):
        self.events.append((ms, len(self.events), msg))

    def uuid(self):
        h = "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
        return "%s-%s-4%s-a%s-%s" % (h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])

    def invoke(self, t, fail=False):
        req = self.uuid()
        init = None
        if not self.warm:
            self.emit(t - 200, "INIT_START Runtime Version: nodejs:20.v43")
            init = round(self.rng.uniform(150, 260), 2)
            self.warm = True
        self.emit(t, "START RequestId: %s Version: $LATEST" % req)
        dur = round(self.rng.uniform(3, 400), 2)
        level = "ERROR" if fail else self.rng.choice(["INFO", "INFO", "WARN"])
        text = "Failed to charge card: timeout" if fail else "handled order o-%06d" % self.rng.randrange(10 ** 6)
        self.emit(t + 1, "%s\t%s\t%s\t%s" % (iso(t + 1), req, level, text))
        end = t + int(dur) + 2
        self.emit(end, "END RequestId: %s" % req)
        mem = self.rng.randrange(60, 200)
        billed = math.ceil(dur)
        msg = "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t" % (
            req, dur, billed, self.memory_mb, mem)
        if init is not None:
            msg += "Init Duration: %.2f ms\t" % init
        self.emit(end, msg)
        self.reports.append({"ms": end, "duration": dur, "billed": billed, "memory": self.memory_mb * 10 ** 6,
                             "maxMemory": mem * 10 ** 6, "init": init, "level": level})
        if self.rng.random() < 0.12:
            self.warm = False    # the environment is recycled: the next invocation is a cold start

    def text(self):
        return "".join("%s %s\n" % (iso(ms), msg) for ms, _, msg in sorted(self.events))


def lambda_inputs(rng):
    out = {}
    for name, memory, count, step in [("orders", 256, 34, 47000), ("billing", 512, 18, 83000)]:
        fn = Lambda(rng, name, memory)
        t = T0 + rng.randrange(1000, 20000)
        for i in range(count):
            fn.invoke(t, fail=(name == "billing" and i % 5 == 3))
            t += step + rng.randrange(-9000, 9000)
        out[name] = fn
    return out


def app_records(rng):
    """JSON lines of a web app: some lines lack latencyMs, every latency is distinct (sorts have no ties)."""
    routes = ["/orders", "/cart", "/login", "/search"]
    users = ["u-%02d" % i for i in range(1, 13)]
    latencies = rng.sample(range(3, 2000), 64)
    recs = []
    t = T0 + 5000
    for i in range(64):
        t += rng.randrange(20000, 70000)
        status = rng.choice([200, 200, 200, 200, 201, 404, 500])
        rec = {"level": "ERROR" if status >= 500 else ("WARN" if status >= 400 else "INFO"),
               "route": rng.choice(routes), "status": status, "userId": rng.choice(users)}
        if i % 9 != 4:
            rec["latencyMs"] = latencies[i]
        recs.append((t, rec))
    return recs


def cli_events(rng):
    """`aws logs filter-log-events` JSON events of one function over two log streams."""
    streams = ["2026/11/01/[$LATEST]%s" % "".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(2)]
    fn = Lambda(rng, "checkout", 512)
    t = T0 + 3000
    stream_of = {}
    for i in range(16):
        before = len(fn.events)
        fn.invoke(t)
        stream = streams[i % 2]
        for ev in fn.events[before:]:
            stream_of[ev[1]] = stream
        fn.reports[-1]["stream"] = stream
        t += rng.randrange(30000, 90000)
    lines = []
    for ms, seq, msg in sorted(fn.events):
        lines.append(json.dumps({"logStreamName": stream_of[seq], "timestamp": ms, "message": msg + "\n",
                                 "ingestionTime": ms + 500, "eventId": "3%055d" % (ms * 1000 + seq)}) + "\n")
    return "".join(lines), fn


S3_OPS = [("REST.GET.OBJECT", "GET"), ("REST.GET.OBJECT", "GET"), ("REST.PUT.OBJECT", "PUT"),
          ("REST.HEAD.OBJECT", "HEAD"), ("REST.DELETE.OBJECT", "DELETE")]


def s3_access(rng):
    owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    bucket = "golden-assets"
    keys = ["img/cat.jpg", "img/dog%20park.jpg", "app.js", "missing.png"]
    recs, lines = [], []
    t = T0 + 9000
    for i in range(40):
        t += rng.randrange(5000, 40000)
        dt = EPOCH + timedelta(milliseconds=t)
        stamp = "[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (dt.day, MONTHS[dt.month - 1], dt.year, dt.hour, dt.minute, dt.second)
        op, method = rng.choice(S3_OPS)
        key = rng.choice(keys)
        if key == "missing.png" and op in ("REST.GET.OBJECT", "REST.HEAD.OBJECT"):
            status, err = 404, "NoSuchKey"
        elif op == "REST.DELETE.OBJECT":
            status, err = 204, "-"
        elif rng.random() < 0.1:
            status, err = 403, "AccessDenied"
        else:
            status, err = 200, "-"
        sent = str(100 + rng.randrange(50000)) if op == "REST.GET.OBJECT" and status == 200 else (
            str(243 + rng.randrange(100)) if status >= 400 else "-")
        total = 5 + rng.randrange(90)
        fields = [owner, bucket, stamp, "192.0.2.%d" % (1 + rng.randrange(254)), "arn:aws:iam::123456789012:user/alice",
                  "%016X" % rng.randrange(16 ** 16), op, key, '"%s /%s/%s HTTP/1.1"' % (method, bucket, key), str(status), err,
                  sent, "-", str(total), str(max(1, total - 3)), '"-"', '"aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0"', "-",
                  "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(40)) + "=", "SigV4",
                  "TLS_AES_128_GCM_SHA256", "AuthHeader", "%s.s3.us-west-1.amazonaws.com" % bucket, "TLSv1.3", "-", "-"]
        lines.append(" ".join(fields) + "\n")
        recs.append({"ms": floor_to(t, 1000), "operation": op, "status": status, "sent": None if sent == "-" else int(sent)})
    return "".join(lines), recs


def export_app(rng, hosts):
    """CloudWatch export lines of a plain-text web server: '<iso> <LEVEL> <method> <path> <status> <ms>ms'."""
    recs = {}
    for h in hosts:
        t = T0 + rng.randrange(0, 30000)
        rows = []
        for i in range(45):
            t += rng.randrange(10000, 60000)
            method = rng.choice(["GET", "GET", "POST"])
            path = rng.choice(["/api/items", "/api/users", "/health"])
            status = rng.choice([200, 200, 200, 201, 404, 500, 503])
            level = "ERROR" if status >= 500 else "INFO"
            rows.append({"ms": t, "level": level, "method": method, "path": path, "status": status,
                         "took": rng.randrange(1, 900), "host": h})
        recs[h] = rows
    return recs


def export_text(rows):
    return "".join("%s %s %s %s %d %dms\n" % (iso(r["ms"]), r["level"], r["method"], r["path"], r["status"], r["took"])
                   for r in rows)


def straddle(rng):
    """Lines of very different lengths (40 to 700 bytes), so that every split of the file into parts of a
    few hundred bytes cuts through records."""
    rows, lines = [], []
    t = T0 + 1000
    for i in range(60):
        t += rng.randrange(1000, 30000)
        size = rng.randrange(1, 10000)
        pad = "x" * rng.choice([0, 5, 120, 300, 650])
        job = "job-%d" % rng.randrange(1, 8)
        lines.append("%s id=%s size=%d pad=%s end\n" % (iso(t), job, size, pad))
        rows.append({"ms": t, "id": job, "size": size})
    return "".join(lines), rows


# --------------------------------------------------------------------------- cases

def sample_mean(xs):
    return sum(xs) / len(xs)


def grouped(rows, key):
    """(key, rows with that key) in key order, as `stats ... by` and then `sort` by the keys give them."""
    groups = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return sorted(groups.items(), key=lambda kv: kv[0])


def pct(xs, p):
    """Nearest-rank percentile on the sorted values (what logmill documents for exact pct)."""
    s = sorted(xs)
    k = max(1, math.ceil(p / 100.0 * len(s)))
    return s[k - 1]


def build():
    rng = random.Random(20261129)
    lam = lambda_inputs(rng)
    app = app_records(rng)
    events_text, checkout = cli_events(rng)
    s3_text, s3 = s3_access(rng)
    web = export_app(rng, ["web-1", "web-2"])
    long_text, long_rows = straddle(rng)

    files = {
        "orders.log": lam["orders"].text(),
        "billing.log": lam["billing"].text(),
        "app.jsonl": "".join(json.dumps(dict(timestamp=iso(t), **r), separators=(",", ":")) + "\n" for t, r in app),
        "app.log": "".join("%s %s\n" % (iso(t), json.dumps(r, separators=(",", ":"))) for t, r in app),
        "checkout-events.jsonl": events_text,
        "access.log": s3_text,
        "web-1.log": export_text(web["web-1"]),
        "web-2.log": export_text(web["web-2"]),
        "long-lines.log": long_text,
    }
    app_rows = [dict(r, ms=t) for t, r in app]
    web_all = web["web-1"] + web["web-2"]
    H = 3600 * 1000
    M = 60 * 1000

    def report_rows(fn):
        return fn.reports

    cases = []

    def case(name, covers, inputs, expect, query=None, job=None):
        cases.append({"name": name, "covers": covers, "inputs": inputs, "query": query, "job": job, "expect": expect})

    # 1. count/sum/avg/min/max/count(field)/count_distinct by a field
    def c01():
        out = []
        for route, rs in grouped(app_rows, lambda r: r["route"]):
            lat = [r["latencyMs"] for r in rs if "latencyMs" in r]
            out.append({"route": route, "n": len(rs), "timed": len(lat), "users": len({r["userId"] for r in rs}),
                        "total": sum(lat), "mean": sample_mean(lat), "lo": str(min(lat)), "hi": str(max(lat))})
        return out
    case("stats-basic-aggregates", "count(*), count(field), count_distinct, sum, avg, min, max by a field; sort by the group key",
         ["app.jsonl"], c01,
         query="stats count(*) as n, count(latencyMs) as timed, count_distinct(userId) as users, sum(latencyMs) as total,\n"
               "      avg(latencyMs) as mean, min(latencyMs) as lo, max(latencyMs) as hi by route\n| sort route asc\n")

    # 2. pct, earliest, latest, sortsFirst, sortsLast
    def c02():
        out = []
        for level, rs in grouped(sorted(app_rows, key=lambda r: r["ms"]), lambda r: r["level"]):
            lat = [r["latencyMs"] for r in rs if "latencyMs" in r]
            out.append({"level": level, "p50": pct(lat, 50),
                        "p90": pct(lat, 90), "first": rs[0]["userId"], "last": rs[-1]["userId"],
                        "lowUser": min(r["userId"] for r in rs), "highUser": max(r["userId"] for r in rs)})
        return out
    case("stats-order-aggregates", "pct, earliest, latest, sortsFirst, sortsLast by a field",
         ["app.log"], c02,
         query="stats pct(latencyMs, 50) as p50, pct(latencyMs, 90) as p90,\n"
               "      earliest(userId) as first, latest(userId) as last, sortsFirst(userId) as lowUser, sortsLast(userId) as highUser by level\n"
               "| sort level asc\n")

    # 3. Lambda REPORT stats by bin(10m) over two files
    def c03():
        reps = lam["orders"].reports + lam["billing"].reports
        out = []
        for b, rs in grouped(reps, lambda r: floor_to(r["ms"], 10 * M)):
            out.append({"bin(10m)": shown(b), "invocations": len(rs), "peak": max(r["maxMemory"] for r in rs),
                        "billed": sum(r["billed"] for r in rs), "meanDuration": sample_mean([r["duration"] for r in rs]),
                        "cold": sum(1 for r in rs if r["init"] is not None)})
        return out
    case("lambda-report-bins", "Lambda START/END/REPORT export lines of two files: REPORT fields, bin(10m)",
         ["orders.log", "billing.log"], c03,
         query="filter @type = \"REPORT\"\n| stats count(*) as invocations, max(@maxMemoryUsed) as peak, sum(@billedDuration) as billed,\n"
               "        avg(@duration) as meanDuration, count(@initDuration) as cold by bin(10m)\n")

    # 4. group by @log over two files (each file's name is its log group)
    def c04():
        out = []
        for name in ["billing", "orders"]:
            rs = lam[name].reports
            out.append({"@log": "inputs/%s.log" % name, "n": len(rs), "memory": rs[0]["memory"],
                        "errors": sum(1 for r in rs if r["level"] == "ERROR")})
        return out
    case("lambda-by-log", "stats by @log (the file name) over two files; filter on @message with a regex and like",
         ["orders.log", "billing.log"], c04,
         query="filter @type = \"REPORT\" or @message like /\\tERROR\\t/\n"
               "| stats sum(@type = \"REPORT\") as n, max(@memorySize) as memory, sum(@message like /ERROR/) as errors by @log\n"
               "| sort @log asc\n")

    # 5. export lines: count by bin(5m) of ERROR lines over two files
    def c05():
        errs = [r for r in web_all if r["level"] == "ERROR"]
        return [{"bin(5m)": shown(b), "count(*)": len(rs)} for b, rs in grouped(errs, lambda r: floor_to(r["ms"], 5 * M))]
    case("export-error-bins", "CloudWatch export lines (non-Lambda): filter like, count(*) by bin(5m), default column name",
         ["web-1.log", "web-2.log"], c05,
         query="filter @message like /ERROR/ | stats count(*) by bin(5m)\n")

    # 6. parse with a glob pattern, numeric comparisons on parsed text, stats by path
    def c06():
        out = []
        rs = [r for r in web_all if r["status"] >= 500]
        for path, p in grouped(rs, lambda r: r["path"]):
            out.append({"path": path, "failures": len(p), "slowest": str(max(r["took"] for r in p)),
                        "meanTook": sample_mean([r["took"] for r in p])})
        return out
    case("parse-glob-stats", "parse with a glob pattern, filter on a parsed number, stats and sort by a parsed field",
         ["web-1.log", "web-2.log"], c06,
         query="parse @message \"* * * * *ms\" as level, method, path, status, took\n| filter status >= 500\n"
               "| stats count(*) as failures, max(took) as slowest, avg(took) as meanTook by path\n| sort path asc\n")

    # 7. parse with a regex, fields, sort asc, raw rows
    def c07():
        rs = sorted([r for r in web["web-1"] if r["method"] == "POST" and r["status"] in (200, 201)], key=lambda r: r["ms"])
        return [{"@timestamp": shown(r["ms"]), "path": r["path"], "code": str(r["status"])} for r in rs]
    case("parse-regex-fields", "parse with a regex of named groups, filter on a parsed text, fields, sort @timestamp asc",
         ["web-1.log"], c07,
         query="parse @message /(?<method>GET|POST) (?<path>\\S+) (?<code>\\d{3})/\n| filter method = \"POST\" and code like /^20/\n"
               "| fields @timestamp, path, code\n| sort @timestamp asc\n")

    # 8. sort desc | limit over JSON lines (distinct latencies: no ties)
    def c08():
        rs = sorted([r for r in app_rows if "latencyMs" in r], key=lambda r: -r["latencyMs"])[:5]
        return [{"route": r["route"], "latencyMs": str(r["latencyMs"])} for r in rs]
    case("sort-limit", "JSON lines (no @timestamp: the line is the message): ispresent, sort by a number desc, limit 5",
         ["app.jsonl"], c08,
         query="filter ispresent(latencyMs)\n| fields route, latencyMs\n| sort latencyMs desc\n| limit 5\n")

    # 9. dedup: newest non-2xx per user
    def c09():
        rs = sorted([r for r in app_rows if r["status"] >= 400], key=lambda r: -r["ms"])
        seen, out = set(), []
        for r in rs:
            if r["userId"] in seen:
                continue
            seen.add(r["userId"])
            out.append({"@timestamp": shown(r["ms"]), "userId": r["userId"], "status": str(r["status"])})
        return out
    case("dedup-newest", "dedup by a field after sort @timestamp desc (keeps each user's newest failure)",
         ["app.log"], c09,
         query="filter status >= 400\n| fields @timestamp, userId, status\n| sort @timestamp desc\n| dedup userId\n")

    # 10. raw rows, no sort: default newest-first order over two files
    def c10():
        rs = sorted([r for r in web_all if r["path"] == "/health"], key=lambda r: -r["ms"])
        return [{"@timestamp": shown(r["ms"]), "@message": "%s %s %s %d %dms" % (r["level"], r["method"], r["path"], r["status"], r["took"])}
                for r in rs]
    case("raw-newest-first", "raw rows without sort: newest first across two files (fields @timestamp, @message)",
         ["web-1.log", "web-2.log"], c10,
         query="filter @message like \"/health \"\n| fields @timestamp, @message\n")

    # 11. raw rows with limit and no sort: the newest N
    def c11():
        rs = sorted([r for r in app_rows if r["level"] == "WARN"], key=lambda r: -r["ms"])[:4]
        return [{"@timestamp": shown(r["ms"]), "userId": r["userId"], "route": r["route"]} for r in rs]
    case("raw-limit-newest", "raw rows with limit and no sort: the 4 newest matches",
         ["app.log"], c11,
         query="filter level = \"WARN\"\n| fields @timestamp, userId, route\n| limit 4\n")

    # 12. S3 access logs: stats by operation and status
    def c12():
        out = []
        for (op, st), rs in grouped(s3, lambda r: (r["operation"], r["status"])):
            sent = [r["sent"] for r in rs if r["sent"] is not None]
            row = {"operation": op, "httpStatus": str(st), "requests": len(rs)}
            if sent:
                row["bytes"] = sum(sent)
            out.append(row)
        return out
    case("s3-access-ops", "S3 server access log fields (operation, httpStatus, bytesSent with '-'), stats by two fields, sort by two",
         ["access.log"], c12,
         query="stats count(*) as requests, sum(bytesSent) as bytes by operation, httpStatus\n| sort operation asc, httpStatus asc\n")

    # 13. filter-log-events JSON: REPORT stats by @logStream
    def c13():
        out = []
        for stream, rs in grouped(checkout.reports, lambda r: r["stream"]):
            out.append({"@logStream": stream, "n": len(rs), "peak": max(r["maxMemory"] for r in rs),
                        "fastest": min(r["duration"] for r in rs)})
        return out
    case("cli-events-streams", "aws logs filter-log-events JSON events: @logStream, REPORT fields, stats by @logStream",
         ["checkout-events.jsonl"], c13,
         query="filter @type = \"REPORT\"\n| stats count(*) as n, max(@maxMemoryUsed) as peak, min(@duration) as fastest by @logStream\n"
               "| sort @logStream asc\n")

    # 14. long lines: straddle every part boundary when split
    def c14():
        out = []
        for b, rs in grouped(long_rows, lambda r: floor_to(r["ms"], 10 * M)):
            out.append({"bin(10m)": shown(b), "n": len(rs), "jobs": len({r["id"] for r in rs}), "total": sum(r["size"] for r in rs)})
        return out
    case("straddling-records", "a file of 40-700 byte lines: when split into parts of a few hundred bytes, records straddle boundaries",
         ["long-lines.log"], c14,
         query="parse @message \"id=* size=* \" as job, size\n| stats count(*) as n, count_distinct(job) as jobs, sum(size) as total by bin(10m)\n")

    # 15. fields with functions, filter on computed value
    def c15():
        rs = sorted([r for r in app_rows if r["route"] == "/login" and "latencyMs" in r], key=lambda r: r["ms"])
        return [{"who": "%s:%d" % (r["userId"], r["status"]), "seconds": r["latencyMs"] / 1000, "slow": 1 if r["latencyMs"] > 1000 else 0}
                for r in rs]
    case("fields-functions", "fields with concat, arithmetic and a comparison; filter on a field; sort @timestamp asc",
         ["app.log"], c15,
         query="filter route = \"/login\" and ispresent(latencyMs)\n| sort @timestamp asc\n"
               "| fields concat(userId, \":\", status) as who, latencyMs / 1000 as seconds, latencyMs > 1000 as slow\n")

    # 16. stddev on its own: see Tests/golden/known-disagreements.txt
    def c16():
        return [{"level": level, "n": len(lat), "sd": statistics.stdev(lat)}
                for level, rs in grouped(app_rows, lambda r: r["level"]) for lat in [[r["latencyMs"] for r in rs if "latencyMs" in r]]]
    case("stats-stddev", "stddev (sample) by a field; its last digits depend on how a split scan divides records between workers",
         ["app.log"], c16,
         query="stats count(latencyMs) as n, stddev(latencyMs) as sd by level\n| sort level asc\n")

    # 17. raw rows whose @timestamp ties (END and REPORT of one request share a millisecond)
    def c17():
        rows = []
        for f, name in enumerate(["billing", "orders"]):      # the inputs in name order
            for i, line in enumerate(files[name + ".log"].splitlines()):
                stamp, msg = line.split(" ", 1)
                if msg.startswith(("END ", "REPORT ")):
                    ms = int((datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) - EPOCH).total_seconds() * 1000)
                    rows.append((-ms, f, i, {"@timestamp": shown(ms), "@log": "inputs/%s.log" % name, "@type": msg.split(" ")[0],
                                             "@requestId": msg.split("RequestId: ")[1].split("\t")[0]}))
        return [r[3] for r in sorted(rows, key=lambda r: r[:3])[:12]]
    case("raw-timestamp-ties", "raw rows, newest first, whose @timestamp ties: ties keep input order (file, then line)",
         ["orders.log", "billing.log"], c17,
         query="filter @type = \"END\" or @type = \"REPORT\"\n| fields @timestamp, @log, @type, @requestId\n| limit 12\n")

    # --- jobs
    def j01():
        return None    # checked by verify_job
    case("job-lambda-statistics", "job: statistic set of @maxMemoryUsed, a plain metric, FunctionName dimension, table sink",
         ["orders.log", "billing.log"], j01,
         job="name: golden-lambda\nschedule: every 10m\nstart: 2026-11-01T00:00:00Z\n"
             "source: inputs/orders.log as /aws/lambda/orders\nsource: inputs/billing.log as /aws/lambda/billing\n"
             "namespace: Golden/Lambda\nmetric: MaxMemoryUsed = statistics(@maxMemoryUsed) unit Bytes\n"
             "metric: Invocations = invocations unit Count\ndimension: FunctionName = function\nsink: table\nquery:\n"
             "filter @type = \"REPORT\"\n| parse @log /\\/aws\\/lambda\\/(?<function>.+)/\n| stats count(*) as invocations by bin(10m), function\n")
    case("job-s3-prometheus", "job: two metrics, two dimensions, prometheus sink (--dry-run text exposition)",
         ["access.log"], j01,
         job="name: golden-s3\nschedule: every 10m\nstart: 2026-11-01T00:00:00Z\nsource: inputs/access.log as s3-access/golden-assets\nnamespace: Golden/S3\n"
             "metric: Requests = requests unit Count\nmetric: BytesSent = bytes unit Bytes\n"
             "dimension: Operation = operation\ndimension: Status = httpStatus\nsink: prometheus out/golden-s3.prom\nquery:\n"
             "filter ispresent(operation)\n| stats count(*) as requests, sum(bytesSent) as bytes by bin(10m), operation, httpStatus\n")
    case("job-app-emf", "job: statistic set of a JSON field, Route dimension, emf sink (--dry-run JSON lines)",
         ["app.log"], j01,
         job="name: golden-app\nschedule: every 30m\nstart: 2026-11-01T00:00:00Z\nsource: inputs/app.log as /app/web\nnamespace: Golden/App\n"
             "metric: Latency = statistics(latencyMs) unit Milliseconds\nmetric: Requests = requests unit Count\n"
             "dimension: Route = route\nsink: emf\nquery:\nstats count(*) as requests by bin(30m), route\n")

    facts = {"lam": lam, "app": app_rows, "s3": s3, "web": web_all}
    return files, cases, facts


# --------------------------------------------------------------------------- writing

def case_files(files, c):
    out = {}
    for name in c["inputs"]:
        out["inputs/" + name] = files[name]
    if c["query"] is not None:
        out["query.insights"] = c["query"]
    else:
        out["case.job"] = "# %s\n%s" % (c["covers"], c["job"])
    out["README"] = c["covers"] + "\n"
    return out


def written(files, cases):
    out = {}
    for i, c in enumerate(cases, 1):
        folder = "%02d-%s" % (i, c["name"])
        for rel, text in case_files(files, c).items():
            out[os.path.join(folder, rel)] = text.encode("utf-8")
    return out


def folders(cases):
    return {c["name"]: "%02d-%s" % (i, c["name"]) for i, c in enumerate(cases, 1)}


# --------------------------------------------------------------------------- verify

def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def verify_rows(name, got, want):
    problems = []
    if len(got) != len(want):
        problems.append("%s: %d rows, expected %d" % (name, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if set(g) != set(w):
            problems.append("%s row %d: columns %s, expected %s" % (name, i, sorted(g), sorted(w)))
            continue
        for k in w:
            if not same(g[k], w[k]):
                problems.append("%s row %d column %s: %r, expected %r" % (name, i, k, g[k], w[k]))
    return problems


def verify_job(name, text, facts):
    """Recomputes each job's datums from the records and finds them in the --dry-run text."""
    problems = []
    M = 60 * 1000
    if name == "job-lambda-statistics":
        want = {}
        for fn in ["orders", "billing"]:
            reps = facts["lam"][fn].reports
            for b, rs in grouped(reps, lambda r: floor_to(r["ms"], 10 * M)):
                mem = [r["maxMemory"] for r in rs]
                dims = "FunctionName=%s" % fn
                want[(stamp(b), "MaxMemoryUsed", dims)] = "n=%d sum=%d min=%d max=%d" % (len(mem), sum(mem), min(mem), max(mem))
                want[(stamp(b), "Invocations", dims)] = str(len(mem))
        got = {(ts, metric, dims): value for ts, metric, dims, value in table_rows(text, "table")}
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                problems.append("%s %s: %r, expected %r" % (name, k, got.get(k), want.get(k)))
    elif name == "job-s3-prometheus":
        # A gauge exposition holds each series' newest value: the latest 10-minute bin of that series.
        latest = {}
        for r in facts["s3"]:
            k = (r["operation"], str(r["status"]))
            latest[k] = max(latest.get(k, 0), floor_to(r["ms"], 10 * M))
        expect = {}
        for (op, st), b in latest.items():
            rs = [r for r in facts["s3"] if (r["operation"], str(r["status"])) == (op, st) and floor_to(r["ms"], 10 * M) == b]
            expect[("Requests", op, st)] = len(rs)
            sent = [r["sent"] for r in rs if r["sent"] is not None]
            if sent:
                expect[("BytesSent", op, st)] = sum(sent)
        got = {}
        for metric, labels, value in re.findall(r'^(\w+)\{([^}]*)\} (\S+)$', text, re.M):
            ls = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            got[(metric, ls["Operation"], ls["Status"])] = float(value)
        if set(got) != set(expect):
            problems.append("%s: series %s, expected %s" % (name, sorted(got), sorted(expect)))
        for k, v in expect.items():
            if k in got and not same(got[k], v):
                problems.append("%s: %s = %s, expected %s" % (name, k, got[k], v))
    elif name == "job-app-emf":
        want = {}
        for r in facts["app"]:
            k = (r["route"], floor_to(r["ms"], 30 * M))
            want.setdefault(k, []).append(r.get("latencyMs"))
        docs = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
        got = {(d["Route"], d["_aws"]["Timestamp"]): d for d in docs}
        if len(docs) != len(want):
            problems.append("%s: %d EMF documents, expected %d" % (name, len(docs), len(want)))
        for k, vals in want.items():
            d = got.get(k)
            lat = [v for v in vals if v is not None]
            if d is None or d.get("Requests") != len(vals):
                problems.append("%s: %s requests %r, expected %d" % (name, k, d and d.get("Requests"), len(vals)))
                continue
            # EMF has no statistic-set value: the set is written as Latency.SampleCount, .Sum, .Minimum, .Maximum.
            exp = {"SampleCount": len(lat), "Sum": sum(lat), "Minimum": min(lat), "Maximum": max(lat)} if lat else {}
            for f, v in exp.items():
                if not same(d.get("Latency." + f), v):
                    problems.append("%s: %s Latency.%s %r, expected %r" % (name, k, f, d.get("Latency." + f), v))
    return problems


def verify(files, cases, facts):
    problems = []
    names = folders(cases)
    for c in cases:
        folder = os.path.join(HERE, names[c["name"]])
        if c["query"] is not None:
            path = os.path.join(folder, "expected.json")
            if not os.path.exists(path):
                problems.append("%s: no expected.json" % c["name"])
                continue
            with open(path) as f:
                got = json.load(f)
            problems += verify_rows(c["name"], got, c["expect"]())
        else:
            path = os.path.join(folder, "expected.txt")
            if not os.path.exists(path):
                problems.append("%s: no expected.txt" % c["name"])
                continue
            with open(path) as f:
                problems += verify_job(c["name"], f.read(), facts)
    return problems


# --------------------------------------------------------------------------- queries/*.job

# The clock the example jobs' dry runs are recorded and tested at (GoldenTests.exampleJobsNow): after
# the fixtures' last line, so every window with data is due, whatever day the tests run.
RECORD_NOW = "2026-11-01T05:00:00Z"
RECORD_NOW_MS = 1793509200000


def repo_jobs():
    root = os.path.dirname(os.path.dirname(HERE))
    return sorted(f[:-4] for f in os.listdir(os.path.join(root, "queries")) if f.endswith(".job"))


RE_REPORT = re.compile(r"^REPORT RequestId: \S+\tDuration: ([\d.]+) ms\tBilled Duration: \d+ ms\t"
                       r"Memory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t")


def fixture_events():
    """(function, epoch ms, message) of the three Lambda fixtures the example jobs read."""
    root = os.path.dirname(os.path.dirname(HERE))
    out = []
    for fn, f in [("orders-api", "orders-api.log"), ("payments-worker", "payments-worker.log")]:
        for line in open(os.path.join(root, "fixtures/lambda", f), encoding="utf-8"):
            stamp, msg = line.rstrip("\n").split(" ", 1)
            dt = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            out.append((fn, int((dt - EPOCH).total_seconds() * 1000), msg))
    for line in open(os.path.join(root, "fixtures/lambda/checkout-events.jsonl"), encoding="utf-8"):
        ev = json.loads(line)
        out.append(("checkout", ev["timestamp"], ev["message"]))
    return out


def table_rows(text, section):
    """(timestamp, metric, dimensions, value) of one table section of a --dry-run output."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.startswith("== "):
            inside = ("→ %s:" % section) in line
            continue
        if inside and re.match(r"^\d{4}-", line):
            cols = re.split(r"\s{2,}", line.strip())
            rows.append((cols[0], cols[2], cols[3], cols[4]))
    return rows


def stamp(ms):
    return iso(ms)[:19] + "Z"


def verify_repo_jobs():
    problems = []
    M5 = 5 * 60 * 1000
    events = fixture_events()
    for job in repo_jobs():
        path = os.path.join(HERE, "jobs", job + ".expected")
        if not os.path.exists(path):
            problems.append("queries/%s.job: no Tests/golden/jobs/%s.expected" % (job, job))
            continue
        text = open(path, encoding="utf-8").read()
        want, got = {}, {}
        if job == "lambda-errors":
            for fn, ms, msg in events:
                if "\tERROR\t" in msg or "Task timed out" in msg:
                    k = (fn, floor_to(ms, M5))
                    want[k] = want.get(k, 0) + 1
            for line in text.splitlines():
                if line.startswith("{"):
                    d = json.loads(line)
                    got[(d["FunctionName"], d["_aws"]["Timestamp"])] = d["Errors"]
        elif job == "lambda-max-memory":
            groups = {}
            for fn, ms, msg in events:
                m = RE_REPORT.match(msg)
                if m:
                    groups.setdefault((fn, floor_to(ms, M5)), []).append((int(m.group(2)) * 10 ** 6, int(m.group(3)) * 10 ** 6))
            for (fn, b), rs in groups.items():
                mem = [x for _, x in rs]
                want[(stamp(b), "MaxMemoryUsed", fn)] = "n=%d sum=%d min=%d max=%d" % (len(mem), sum(mem), min(mem), max(mem))
                want[(stamp(b), "MemorySize", fn)] = str(max(sz for sz, _ in rs))
                want[(stamp(b), "Invocations", fn)] = str(len(rs))
            for ts, metric, dims, value in table_rows(text, "table"):
                got[(ts, metric, dims.split("=", 1)[1])] = value
            # The prometheus exposition holds each function's newest 5-minute bin.
            for fn in {f for f, _ in groups}:
                b = max(b for f, b in groups if f == fn)
                mem = [x for _, x in groups[(fn, b)]]
                for series, v in [("MaxMemoryUsed_count", len(mem)), ("MaxMemoryUsed_sum", sum(mem)), ("MaxMemoryUsed_min", min(mem)),
                                  ("MaxMemoryUsed_max", max(mem)), ("MemorySize", max(sz for sz, _ in groups[(fn, b)])),
                                  ("Invocations", len(mem))]:
                    want[("prom", series, fn)] = str(v)
            for series, fn, value in re.findall(r'^(\w+)\{namespace="Logmill/Lambda",FunctionName="([^"]+)"\} (\S+)$', text, re.M):
                got[("prom", series, fn)] = value
        elif job == "s3-requests":
            root = os.path.dirname(os.path.dirname(HERE))
            for line in open(os.path.join(root, "fixtures/s3/access.log"), encoding="utf-8"):
                f = line.split(" ")
                dt = datetime.strptime(f[2] + " " + f[3], "[%d/%b/%Y:%H:%M:%S +0000]").replace(tzinfo=timezone.utc)
                # fields after the quoted request URI: status, error code, bytes sent
                rest = line.split('" ', 1)[1].split(" ")
                b = floor_to(int((dt - EPOCH).total_seconds() * 1000), M5)
                dims = "Operation=%s,Status=%s" % (f[7], rest[0])
                k = (stamp(b), "Requests", dims)
                want[k] = str(int(want.get(k, "0")) + 1)
                if rest[2] != "-":
                    k = (stamp(b), "BytesSent", dims)
                    want[k] = str(int(want.get(k, "0")) + int(rest[2]))
            for ts, metric, dims, value in table_rows(text, "table"):
                got[(ts, metric, dims)] = value
        elif job == "lambda-error-alarm":
            # Lines matching any of the pattern's three terms, over all functions, per 5 minutes; every
            # window up to the run's clock (--now, RECORD_NOW) has a datum (default 0).
            for fn, ms, msg in events:
                if "\tERROR\t" in msg or "Task timed out" in msg or '"level":"ERROR"' in msg:
                    k = stamp(floor_to(ms, M5))
                    want[k] = want.get(k, 0) + 1
            start = int((datetime(2026, 11, 1, tzinfo=timezone.utc) - EPOCH).total_seconds() * 1000)
            for b in range(start, RECORD_NOW_MS - M5 + 1, M5):
                if b + M5 + 30000 <= RECORD_NOW_MS:
                    want.setdefault(stamp(b), 0)
            want = {k: str(v) for k, v in want.items()}
            for line in text.splitlines():
                cols = re.split(r"\s{2,}", line.strip())
                if re.match(r"^\d{4}-", line) and cols[2] == "Errors":
                    got[cols[0]] = cols[3]
        else:
            problems.append("queries/%s.job: no independent check here; add one to verify_repo_jobs" % job)
            continue
        for k in sorted(set(want) | set(got), key=str):
            if want.get(k) != got.get(k):
                problems.append("queries/%s.job %s: %r, expected %r" % (job, k, got.get(k), want.get(k)))
    return problems


# --------------------------------------------------------------------------- main

def record(binary, cases):
    binary = os.path.abspath(binary)
    for c in cases:
        folder = os.path.join(HERE, folders(cases)[c["name"]])
        if c["query"] is not None:
            # Inputs in name order, as the tests list them from the folder.
            args = [binary, "query", "--format", "json", "-f", "query.insights"] + ["inputs/" + n for n in sorted(c["inputs"])]
            out = "expected.json"
        else:
            args = [binary, "run", "--dry-run", "case.job"]
            out = "expected.txt"
        r = subprocess.run(args, cwd=folder, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("%s: %s exited %d: %s" % (c["name"], " ".join(args[1:]), r.returncode, r.stderr))
        with open(os.path.join(folder, out), "w") as f:
            f.write(r.stdout.replace(folder + "/", "./"))
    # Every example job of the repository, run from the repository's root as users run them.
    root = os.path.dirname(os.path.dirname(HERE))
    os.makedirs(os.path.join(HERE, "jobs"), exist_ok=True)
    for job in repo_jobs():
        r = subprocess.run([binary, "run", "--dry-run", "--now", RECORD_NOW, "queries/%s.job" % job], cwd=root, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("queries/%s.job exited %d: %s" % (job, r.returncode, r.stderr))
        with open(os.path.join(HERE, "jobs", job + ".expected"), "w") as f:
            f.write(r.stdout.replace(root + "/", "./"))


def main():
    files, cases, facts = build()
    out = written(files, cases)
    # Inputs the generator no longer writes (a renamed input would otherwise linger and be read by the tests).
    stale = [os.path.join(f, "inputs", n) for f in folders(cases).values() if os.path.isdir(os.path.join(HERE, f, "inputs"))
             for n in os.listdir(os.path.join(HERE, f, "inputs")) if os.path.join(f, "inputs", n) not in out]
    if "--check" in sys.argv:
        bad = [p for p, data in out.items()
               if not os.path.exists(os.path.join(HERE, p)) or open(os.path.join(HERE, p), "rb").read() != data] + stale
        for p in bad:
            print("differs: Tests/golden/%s" % p)
        sys.exit(1 if bad else 0)
    if "--verify" not in sys.argv:
        for p in stale:
            os.remove(os.path.join(HERE, p))
        for p, data in out.items():
            full = os.path.join(HERE, p)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
    if "--record" in sys.argv:
        record(sys.argv[sys.argv.index("--record") + 1], cases)
    if "--verify" in sys.argv or "--record" in sys.argv:
        problems = verify(files, cases, facts) + verify_repo_jobs()
        for p in problems:
            print(p)
        print("%d case(s), %d example job(s), %d problem(s)" % (len(cases), len(repo_jobs()), len(problems)))
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
