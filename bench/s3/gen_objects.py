#!/usr/bin/env python3
"""Writes N small S3 server access log objects (the shape of fixtures/s3/access.log) under OUT/logs/,
named as S3 delivers them: logs/YYYY-MM-DD-HH-MM-SS-XXXXXXXXXXXXXXXX. Deterministic (seeded)."""
import os, random, sys

def main():
    n = int(sys.argv[1]); out = sys.argv[2]
    rnd = random.Random(11)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    ops = [("REST.GET.OBJECT", "GET"), ("REST.PUT.OBJECT", "PUT"), ("REST.HEAD.OBJECT", "HEAD"),
           ("REST.GET.BUCKET", "GET"), ("REST.DELETE.OBJECT", "DELETE"), ("REST.COPY.OBJECT", "PUT")]
    statuses = [200] * 16 + [206, 304, 403, 404, 404, 500, 503]
    keys = ["index.html", "photos/2026/11/cat.jpg", "reports/q3/summary.pdf", "css/site.css", "js/app.js", "data/export.csv"]
    agents = ['"aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0"', '"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0"',
              '"Mozilla/5.0 (X11; Linux x86_64)"']
    base = 1793491200  # 2026-11-01T00:00:00Z
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    import time
    for i in range(n):
        t0 = base + i * 26  # about 3.0 days of deliveries
        st = time.gmtime(t0)
        name = "%04d-%02d-%02d-%02d-%02d-%02d-%016X" % (st.tm_year, st.tm_mon, st.tm_mday, st.tm_hour, st.tm_min, st.tm_sec, rnd.getrandbits(64))
        lines = []
        for j in range(rnd.randint(6, 16)):
            t = time.gmtime(t0 - rnd.randint(0, 300))
            stamp = "[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (t.tm_mday, months[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)
            op, method = rnd.choice(ops)
            key = rnd.choice(keys)
            status = rnd.choice(statuses)
            sent = "-" if method in ("HEAD", "DELETE") or status >= 300 else str(rnd.randint(200, 2_000_000))
            size = str(rnd.randint(200, 2_000_000))
            ip = "192.0.2.%d" % rnd.randint(1, 254)
            req = "%016X" % rnd.getrandbits(64)
            err = {403: "AccessDenied", 404: "NoSuchKey", 500: "InternalError", 503: "SlowDown"}.get(status, "-")
            hostid = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/") for _ in range(76))
            lines.append(f'{owner} logmill-demo-assets {stamp} {ip} - {req} {op} {key} "{method} /logmill-demo-assets/{key} HTTP/1.1" '
                         f'{status} {err} {sent} {size} {rnd.randint(1, 200)} {rnd.randint(1, 100)} "-" {rnd.choice(agents)} - {hostid}= '
                         f'SigV4 TLS_AES_128_GCM_SHA256 AuthHeader logmill-demo-assets.s3.us-west-1.amazonaws.com TLSv1.3 - -')
        with open(os.path.join(out, "logs", name), "w") as f:
            f.write("\n".join(lines) + "\n")

main()
