#!/usr/bin/env python3
"""Deterministic generators for the bench/shapes workloads that bench/gen_corpus.py does not cover.

    python3 bench/shapes/gen.py json SIZE_MB OUT     JSON application logs (one object a line)
    python3 bench/shapes/gen.py s3 SIZE_MB OUT       Amazon S3 server access logs

Both write about SIZE_MB MiB (stopping at the first line boundary at or past the size), with
timestamps that never decrease and span 2026-11-01 00:00 to ~23:59 whatever the size. The same
arguments always give the same bytes. Randomness is drawn once into tables and indexed with
co-prime strides, as in bench/gen_corpus.py, so generation is a few string formats per line.

JSON lines (~330 bytes):
  {"timestamp":"2026-11-01T00:00:01.123Z","level":"INFO","service":"orders","latency_ms":12.5,
   "msg":"...","trace_id":"<32 hex>","http":{"method":"GET","path":"/api/...","status":200},
   "user":{"id":"u-123456","tier":"gold","geo":{"region":"eu-west-1"}}}
  * ~5 % ERROR (more during a 14:00-16:00 incident), ~8 % WARN, ~10 % DEBUG, the rest INFO;
  * 8 services of unequal traffic; latency_ms skewed (ERROR lines slower), a float with up to
    2 decimals or an integer; ~1 % of lines have no latency_ms and ~0.5 % have "latency_ms":null;
  * nested objects (http, user.geo), an array of tags on ~10 % of lines, key order varying on
    ~10 % of lines (latency_ms after the nested objects);
  * ~1 % of non-ERROR messages quote an upstream body with an escaped `\\"level\\":\\"ERROR\\"` inside
    the msg string (not a level), and some messages carry \\" and \\u00e9 escapes.

S3 access-log lines (~610 bytes) follow AWS's documented field order and the shape of the real
samples in shared/corpus/s3-access and fixtures/s3/access.log (no line is copied from them):
bucket owner, bucket, [time], remote IP, requester ('-' or an IAM/STS ARN), request id, operation,
key, "request URI", status, error code, bytes sent, object size, total time, turn-around time,
"referrer", "user agent", version id, host id, signature version, cipher suite, auth type, host
header, TLS version, access point ARN, aclRequired, then on ~30 % of lines a source region (26 or
27 fields, as in the fixture). The (operation, status, error code) mix and which numeric fields
are '-' replay the fixture's distribution (GET 200 with bytes, GET 304 / HEAD 200 / PUT 200 /
DELETE 204 with bytes sent '-', 4xx/5xx with a small error body), plus a few operations real
buckets also log: multipart uploads (REST.POST.UPLOADS, REST.PUT.PART), REST.COPY.OBJECT,
REST.GET.ACL, WEBSITE.GET.OBJECT, and lifecycle/batch lines (S3.EXPIRE.OBJECT,
S3.TRANSITION_SIA.OBJECT, BATCH.DELETE.OBJECT) whose request URI, referrer and user agent are an
unquoted '-', so the quoted fields are not always at the same positions.
"""

import os
import random
import sys
import time

DAY_MS = 86400 * 1000
START_EPOCH_S = 1793491200          # 2026-11-01T00:00:00Z
TABLE = 65521                       # prime table size for the random pools
HEX = "0123456789abcdef"


def plan(size_mb, avg_line):
    target = int(size_mb * 1024 * 1024)
    est_lines = max(1.0, target / float(avg_line))
    return target, DAY_MS / est_lines


def write_blocks(out, target, make_block):
    """make_block(i0) -> (text, n_lines); writes until `target` bytes, cutting at a line end."""
    written = lines = 0
    i = 0
    t0 = time.time()
    with open(out + ".tmp", "wb") as fh:
        while written < target:
            text, n = make_block(i)
            i += n
            block = text.encode()
            if written + len(block) > target:
                end = block.find(b"\n", target - written - 1)
                block = block[:end + 1] if end != -1 else block
            fh.write(block)
            written += len(block)
            lines += block.count(b"\n")
    os.replace(out + ".tmp", out)
    sys.stderr.write("gen.py: %s: %.1f MiB, %d lines in %.1f s\n" % (out, written / 1048576.0, lines, time.time() - t0))


class Clock:
    """Millisecond timestamps of line j: int(j * step), never past the day."""

    def __init__(self, step):
        self.step = step
        self.sec = None
        self.civil = None

    def ms(self, j):
        t = int(j * self.step)
        return DAY_MS - 1 if t > DAY_MS - 1 else t

    def struct(self, t):
        s = t // 1000
        if s != self.sec:
            self.sec = s
            self.civil = time.gmtime(START_EPOCH_S + s)
        return self.civil


# ---------------------------------------------------------------- JSON application logs

def gen_json(size_mb, out):
    rng = random.Random(500000 + int(size_mb))
    target, step = plan(size_mb, 333)
    clock = Clock(step)

    services = ["orders", "payments", "inventory", "shipping", "auth", "search", "cart", "notifications"]
    weights = [20, 12, 10, 6, 18, 15, 14, 5]
    svc_pool = [rng.choices(services, weights)[0] for _ in range(TABLE)]
    base_latency = {"orders": 35, "payments": 120, "inventory": 18, "shipping": 60, "auth": 8,
                    "search": 45, "cart": 12, "notifications": 25}
    lat_pool = []
    for k in range(TABLE):
        x = rng.random()
        v = (x ** 4) * 2500 + rng.random() * 40
        r = rng.random()
        lat_pool.append("%d" % int(v) if r < 0.15 else ("%.1f" % v if r < 0.55 else "%.2f" % v))
    err_lat_pool = ["%.2f" % (300 + rng.random() ** 2 * 4700) for _ in range(TABLE)]
    rolls = [rng.random() for _ in range(TABLE)]
    rolls2 = [rng.random() for _ in range(TABLE)]
    traces = ["".join(rng.choice(HEX) for _ in range(20)) for _ in range(4096)]
    users = ["u-%06d" % rng.randint(0, 999999) for _ in range(TABLE)]
    tiers = ["free", "free", "free", "silver", "gold", "platinum"]
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1"]
    methods = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"]
    paths = ["/api/v1/orders/%d", "/api/v1/payments/%d/capture", "/api/v1/items/%d", "/api/v1/shipments/%d",
             "/oauth/token", "/api/v1/search?q=item%d", "/api/v1/cart/%d/items", "/api/v1/notify/%d"]
    nums = [rng.randint(1, 9999999) for _ in range(TABLE)]
    info_msgs = ["request completed (%d bytes)", "cache hit for key item:%d", "published event OrderUpdated %d",
                 "fetched 25 rows from orders-prod in %d ms", "user session refreshed (%d s left)",
                 "caf\\u00e9 menu synced, version %d", "retrying \\\"inventory\\\" call, attempt %d"]
    warn_msgs = ["slow downstream call: %d ms", "rate limit at 80%% for tenant %d", "deprecated API v1 used by client %d"]
    error_msgs = ["failed to charge card: timeout after %d ms", "ConditionalCheckFailedException on order %d",
                  "upstream 503 from payments (attempt %d)", "NullPointerException in handler line %d"]
    debug_msgs = ["entering handler with %d headers", "sql: SELECT * FROM orders WHERE id = %d"]
    upstream = "upstream replied {\\\"level\\\":\\\"ERROR\\\",\\\"code\\\":%d} (ignored)"
    tags = ['["canary"]', '["beta","eu"]', '["batch","replay","low-priority"]']
    statuses_ok = [200, 200, 200, 201, 204, 304]
    statuses_err = [500, 502, 503, 504, 400, 409]
    err_p = [0.03 + 0.02 * ((h * 7) % 5) / 4 for h in range(25)]   # 3-5 % by hour
    for h in (14, 15):
        err_p[h] = 0.14                                             # incident
    # mean over the day: ~5 %

    def block(i0):
        parts = []
        for i in range(i0, i0 + 20000):
            t = clock.ms(i)
            st = clock.struct(t)
            ts = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (st.tm_year, st.tm_mon, st.tm_mday, st.tm_hour, st.tm_min, st.tm_sec, t % 1000)
            k = i % TABLE
            k2 = (i * 7 + 3) % TABLE
            k3 = (i * 13 + 11) % TABLE
            svc = svc_pool[k]
            roll = rolls[k2]
            n = nums[k3]
            if roll < err_p[t // 3600000]:
                level = "ERROR"
                msg = error_msgs[i & 3] % n
                lat = err_lat_pool[k3]
                status = statuses_err[n % 6]
            else:
                r = rolls2[k3]
                status = statuses_ok[n % 6]
                lat = lat_pool[(k * 3 + base_latency[svc]) % TABLE]
                if r < 0.08:
                    level = "WARN"
                    msg = warn_msgs[i % 3] % n
                elif r < 0.18:
                    level = "DEBUG"
                    msg = debug_msgs[i & 1] % n
                else:
                    level = "INFO"
                    msg = info_msgs[i % 7] % n
                if r > 0.99:
                    msg = upstream % n
            r3 = rolls[k3]
            if r3 < 0.01:
                latf = ""                                     # no latency_ms key
            elif r3 < 0.015:
                latf = ',"latency_ms":null'
            else:
                latf = ',"latency_ms":' + lat
            trace = traces[i & 4095] + "%012x" % i
            http = '"http":{"method":"%s","path":"%s","status":%d}' % (methods[k2 % 7], paths[services.index(svc)] % n if "%d" in paths[services.index(svc)] else paths[services.index(svc)], status)
            user = '"user":{"id":"%s","tier":"%s","geo":{"region":"%s"}}' % (users[k2], tiers[k3 % 6], regions[k % 6])
            extra = (',"tags":' + tags[k % 3]) if rolls2[k] < 0.10 else ""
            if rolls2[k2] < 0.10:
                parts.append('{"timestamp":"%s","level":"%s","service":"%s","msg":"%s","trace_id":"%s",%s,%s%s%s}\n'
                             % (ts, level, svc, msg, trace, http, user, latf, extra))
            else:
                parts.append('{"timestamp":"%s","level":"%s","service":"%s"%s,"msg":"%s","trace_id":"%s",%s,%s%s}\n'
                             % (ts, level, svc, latf, msg, trace, http, user, extra))
        return "".join(parts), 20000

    write_blocks(out, target, block)


# ---------------------------------------------------------------- S3 server access logs

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# (operation, status, error code, weight, bytes sent: 'body' | 'err' | '-', object size: 'obj' | '-')
# weights: the fixture's 420 lines (fixtures/s3/access.log) plus a few operations real buckets log.
S3_MIX = [
    ("REST.GET.OBJECT", 200, "-", 123, "body", "obj"),
    ("REST.GET.OBJECT", 206, "-", 6, "part", "obj"),
    ("REST.GET.OBJECT", 304, "-", 35, "-", "obj"),
    ("REST.GET.OBJECT", 404, "NoSuchKey", 23, "err", "-"),
    ("REST.GET.OBJECT", 403, "AccessDenied", 6, "err", "-"),
    ("REST.GET.OBJECT", 500, "InternalError", 4, "err", "-"),
    ("REST.GET.OBJECT", 503, "SlowDown", 4, "err", "-"),
    ("REST.PUT.OBJECT", 200, "-", 62, "-", "obj"),
    ("REST.PUT.OBJECT", 403, "AccessDenied", 19, "err", "-"),
    ("REST.PUT.OBJECT", 500, "InternalError", 3, "err", "-"),
    ("REST.HEAD.OBJECT", 200, "-", 40, "-", "obj"),
    ("REST.HEAD.OBJECT", 403, "AccessDenied", 20, "err", "-"),
    ("REST.HEAD.OBJECT", 404, "NoSuchKey", 5, "err", "-"),
    ("REST.HEAD.OBJECT", 500, "InternalError", 2, "err", "-"),
    ("REST.HEAD.OBJECT", 503, "SlowDown", 2, "err", "-"),
    ("REST.GET.BUCKET", 200, "-", 34, "list", "-"),
    ("REST.GET.BUCKET", 403, "AccessDenied", 11, "err", "-"),
    ("REST.GET.BUCKET", 500, "InternalError", 2, "err", "-"),
    ("REST.DELETE.OBJECT", 204, "-", 17, "-", "-"),
    ("REST.DELETE.OBJECT", 403, "AccessDenied", 7, "err", "-"),
    ("REST.DELETE.OBJECT", 500, "InternalError", 1, "err", "-"),
    ("REST.POST.UPLOADS", 200, "-", 3, "small", "-"),
    ("REST.PUT.PART", 200, "-", 8, "-", "obj"),
    ("REST.POST.UPLOAD", 200, "-", 3, "small", "obj"),
    ("REST.COPY.OBJECT", 200, "-", 3, "small", "obj"),
    ("REST.GET.ACL", 200, "-", 2, "small", "-"),
    ("WEBSITE.GET.OBJECT", 200, "-", 6, "body", "obj"),
    ("WEBSITE.GET.OBJECT", 404, "NoSuchKey", 1, "err", "-"),
    ("BATCH.DELETE.OBJECT", 204, "-", 3, "-", "-"),          # unquoted '-' request URI/referrer/UA
    ("S3.EXPIRE.OBJECT", 204, "-", 2, "-", "-"),
    ("S3.TRANSITION_SIA.OBJECT", 200, "-", 2, "-", "obj"),
]
UNQUOTED_OPS = ("BATCH.", "S3.")


def gen_s3(size_mb, out):
    rng = random.Random(300000 + int(size_mb))
    target, step = plan(size_mb, 614)
    clock = Clock(step)

    owner = "".join(rng.choice(HEX) for _ in range(64))
    bucket = "logmill-bench-assets"
    mix = []
    for row in S3_MIX:
        mix += [row] * row[3]
    mix_pool = [mix[rng.randrange(len(mix))] for _ in range(TABLE)]
    ips = ["%d.%d.%d.%d" % (rng.choice([(192, 0, 2), (198, 51, 100), (203, 0, 113), (34, 244, rng.randint(0, 255))]) + (rng.randint(1, 254),)) for _ in range(4093)]
    requesters = ["-", "-", "arn:aws:iam::123456789012:user/ci-deployer", "arn:aws:iam::123456789012:user/alice",
                  "arn:aws:sts::123456789012:assumed-role/orders-api-role/orders-api",
                  "arn:aws:sts::123456789012:assumed-role/BucketDeployment-1XDCC69VHK2DE/BucketDeployment-7yeIY6G7pM1E",
                  "svc:s3.amazonaws.com"]
    dirs = ["static/js", "static/css", "photos/2026/11", "reports/q3", "uploads/tmp", "backups/db", "index", "media"]
    exts = [".js", ".js.map", ".css", ".jpg", ".png", ".pdf", ".html", ".json", ".gz"]
    keys = []
    for _ in range(8191):
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(4, 14)))
        if rng.random() < 0.05:
            name += "%20copy"
        keys.append("%s/%s.%s%s" % (rng.choice(dirs), name, "".join(rng.choice(HEX) for _ in range(8)), rng.choice(exts)))
    sizes = [int(200 + (rng.random() ** 3) * 5000000) for _ in range(TABLE)]
    small = [rng.randint(200, 4000) for _ in range(TABLE)]
    errb = [rng.choice([243, 253, 290, 311, 356]) for _ in range(TABLE)]
    totals = [int(5 + rng.random() ** 2 * 900) for _ in range(TABLE)]
    uas = ['"aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/command#s3.cp"',
           '"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy Botocore/1.34.144"',
           '"aws-sdk-js/3.620.0 ua/2.1 os/linux#5.10 lang/js md/nodejs#20.15.1 api/s3#3.620.0"',
           '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"',
           '"S3Console/0.4"',
           '"aws-cli/1.18.198 Python/2.7.18 Linux/4.14.252-207.481.amzn2.x86_64 exec-env/AWS_Lambda_python3.6 botocore/1.19.38"']
    referrers = ['"-"'] * 9 + ['"https://shop.example.com/cart"']
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    host_ids = ["".join(rng.choice(b64) for _ in range(76)) + "=" for _ in range(4093)]
    req_ids = ["".join(rng.choice("0123456789ABCDEF") for _ in range(16)) for _ in range(TABLE)]
    ciphers = ["TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]
    tls = {"TLS_AES_128_GCM_SHA256": "TLSv1.3", "ECDHE-RSA-AES128-GCM-SHA256": "TLSv1.2"}
    rolls = [rng.random() for _ in range(TABLE)]
    host = "%s.s3.us-west-1.amazonaws.com" % bucket

    def block(i0):
        parts = []
        for i in range(i0, i0 + 20000):
            t = clock.ms(i)
            st = clock.struct(t)
            when = "[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (st.tm_mday, MONTHS[st.tm_mon - 1], st.tm_year, st.tm_hour, st.tm_min, st.tm_sec)
            k = i % TABLE
            k2 = (i * 7 + 3) % TABLE
            k3 = (i * 13 + 11) % TABLE
            op, status, err, _, sent, osz = mix_pool[k]
            key = keys[k2 % 8191]
            obj = sizes[k3]
            if sent == "body":
                bytes_sent = str(obj)
            elif sent == "part":
                bytes_sent = str(obj // 4 + 1)
            elif sent == "list":
                bytes_sent = str(small[k2] * 3)
            elif sent == "small":
                bytes_sent = str(small[k3])
            elif sent == "err":
                bytes_sent = str(errb[k3])
            else:
                bytes_sent = "-"
            total = totals[k2]
            tat = "-" if (status == 304 and rolls[k3] < 0.5) or op.startswith(UNQUOTED_OPS) else str(max(1, total // 3))
            roll = rolls[k]
            cipher = ciphers[0] if roll < 0.45 else ciphers[1]
            if op.startswith(UNQUOTED_OPS):
                requester = "svc:s3.amazonaws.com" if op.startswith("S3.") else requesters[2]
                line = "%s %s %s %s %s %s %s %s - %d %s %s %s %s %s - - - %s - - - - - - - -\n" % (
                    owner, bucket, when, "-" if op.startswith("S3.") else ips[k % 4093], requester, req_ids[k3], op, key,
                    status, err, bytes_sent, str(obj) if osz == "obj" else "-", "-" if op.startswith("S3.") else str(total), tat,
                    host_ids[k2 % 4093])
            else:
                verb = op.split(".")[1] if not op.startswith("WEBSITE") else "GET"
                if op == "REST.GET.BUCKET":
                    uri_key, key_f = "?list-type=2&prefix=%s&max-keys=1000" % key.split("/")[0], "-"
                elif op == "REST.POST.UPLOADS":
                    uri_key, key_f = key + "?uploads", key
                elif op in ("REST.PUT.PART", "REST.POST.UPLOAD"):
                    uri_key, key_f = key + "?partNumber=%d&uploadId=%s" % (k % 40 + 1, req_ids[k2]), key
                elif op == "REST.GET.ACL":
                    uri_key, key_f = key + "?acl", key
                else:
                    uri_key, key_f = key, key
                if verb in ("UPLOADS", "UPLOAD"):
                    verb = "POST"
                elif verb in ("COPY", "PART"):
                    verb = "PUT"
                elif verb in ("BUCKET", "ACL"):
                    verb = "GET"
                auth = "AuthHeader" if roll < 0.85 else ("QueryString" if roll < 0.9 else "-")
                sig = "SigV4" if auth != "-" else "-"
                requester = requesters[k2 % 7] if auth != "-" else "-"
                tail = " us-west-1" if rolls[k2] < 0.3 else ""
                acl = "Yes" if rolls[k3] < 0.02 else "-"
                line = '%s %s %s %s %s %s %s %s "%s /%s/%s HTTP/1.1" %d %s %s %s %d %s %s %s - %s %s %s %s %s %s - %s%s\n' % (
                    owner, bucket, when, ips[k % 4093], requester, req_ids[k3], op, key_f,
                    verb, bucket, uri_key, status, err, bytes_sent, str(obj) if osz == "obj" else "-", total, tat,
                    referrers[k % 10], uas[k2 % 6], host_ids[k2 % 4093], sig, cipher, auth, host, tls[cipher], acl, tail)
            parts.append(line)
        return "".join(parts), 20000

    write_blocks(out, target, block)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("json", "s3"):
        sys.stderr.write("usage: gen.py json|s3 SIZE_MB OUT\n")
        return 2
    kind, size_mb, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    (gen_json if kind == "json" else gen_s3)(size_mb, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
