#!/usr/bin/env python3
"""Deterministic synthetic Lambda corpus in CloudWatch Logs export lines.

    python3 bench/gen_corpus.py SIZE_MB OUT

Writes about SIZE_MB MiB (stops at the first invocation boundary at or past the size) of
`<ISO-8601 ms UTC> <message>` lines for one Node.js function (Memory Size 512 MB):

* every invocation is exactly 5 lines: START, two application lines
  (`<iso>\\t<request-id>\\t<LEVEL>\\t<text>`), END, REPORT -> one REPORT line in five;
  on a cold start (~1 %) the first application line is replaced by INIT_START and the
  REPORT gets `Init Duration: ... ms\\t`; ~0.2 % of REPORTs end with `Status: timeout\\t`;
* about 8.5 million lines per GiB (average line ~126 bytes);
* ERROR-level lines are a few percent of all lines (rate varies with the time of day,
  with a 2-hour "incident" at 14:00-16:00 where it is much higher);
* timestamps increase monotonically from 2026-11-01T00:00:00.000Z across ~24 hours,
  whatever the size (so there are ~288 five-minute bins);
* Max Memory Used varies between 60 and 500 MB (a daily curve plus noise), Duration
  between ~1 and ~2900 ms.

Same SIZE_MB -> byte-identical file. Randomness is drawn once into small tables and
indexed with co-prime strides, so generation costs a few string formats per line
(roughly 10-20 s per GiB on one core).
"""

import os
import random
import sys
import time

LINES_PER_MIB = 8.535e6 / 1024    # just above the measured 8.53 M/GiB: the day ends in its last minute
DAY_MS = 86400 * 1000
START_EPOCH_S = 1793491200          # 2026-11-01T00:00:00Z
TABLE = 65521                       # prime table size for the random pools


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen_corpus.py SIZE_MB OUT\n")
        return 2
    size_mb = float(sys.argv[1])
    out = sys.argv[2]
    target = int(size_mb * 1024 * 1024)
    rng = random.Random(8500000 + int(size_mb))

    # ---- pools (deterministic)
    hexd = "0123456789abcdef"
    req_prefix = ["%s-%s-4%s-%s%s-" % ("".join(rng.choice(hexd) for _ in range(8)),
                                       "".join(rng.choice(hexd) for _ in range(4)),
                                       "".join(rng.choice(hexd) for _ in range(3)),
                                       rng.choice("89ab"),
                                       "".join(rng.choice(hexd) for _ in range(3)))
                  for _ in range(4096)]
    durations = []
    billed = []
    for _ in range(TABLE):
        x = rng.random()
        d = 1.0 + (x ** 3) * 2900.0 + rng.random() * 20.0     # skewed: most calls short
        durations.append("%.2f" % d)
        billed.append(int(-(-round(d, 2) // 1)))               # ceil
    mem_noise = [rng.randint(-40, 40) for _ in range(TABLE)]
    rolls = [rng.random() for _ in range(TABLE)]
    init_dur = ["%.2f" % (150 + rng.random() * 700) for _ in range(TABLE)]
    items = [rng.randint(1, 9) for _ in range(TABLE)]
    ids = ["%06d" % rng.randint(0, 999999) for _ in range(TABLE)]

    info_texts = [
        "Processing order %s with %d items for customer acct",
        "Fetched inventory snapshot %s (%d warehouses) cached",
        "Published OrderUpdated event %s to %d subscribers",
        "Validated payment intent %s with risk score %d",
    ]
    done_texts = [
        "Request %s completed after %d downstream calls",
        "Wrote order %s to orders-prod (%d WCU used)",
    ]
    warn_texts = [
        "Slow downstream call for %s: %d retries needed",
    ]
    error_texts = [
        "Failed to charge card for %s: timeout (%d attempts)",
        "ConditionalCheckFailed on %s (version %d) in put",
    ]
    runtime_arn = "arn:aws:lambda:us-east-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"

    # lines planned so that the day is covered; line j of the file gets int(j * step) ms,
    # so timestamps never decrease (Duration is not tied to the START/END gap)
    est_lines = size_mb * LINES_PER_MIB
    step = DAY_MS / max(1.0, est_lines)

    # memory curve per 5-minute bin (daily sine-ish shape without math import cost per line)
    import math
    mem_by_bin = [int(250 + 150 * math.sin(b / 288.0 * 2 * math.pi - 1.2) + 40 * math.sin(b / 17.0))
                  for b in range(289)]
    # error probability per hour: baseline 2-3 % of invocations have an ERROR line, 14-16h incident
    err_p = [0.08 + 0.04 * ((h * 7) % 5) / 4 for h in range(25)]
    for h in (14, 15):
        err_p[h] = 0.45

    sec_cache = [None, ""]

    def ts(ms):
        s = ms // 1000
        if s != sec_cache[0]:
            sec_cache[0] = s
            sec_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START_EPOCH_S + s))
        return "%s.%03dZ" % (sec_cache[1], ms % 1000)

    written = 0
    lines = 0
    i = 0
    t_start = time.time()
    with open(out + ".tmp", "wb") as fh:
        while written < target:
            parts = []
            for _ in range(20000):
                j = 5 * i
                t = int(j * step)
                if t > DAY_MS - 1:
                    t = DAY_MS - 1              # safety: never past the day (non-decreasing)
                k = i % TABLE
                k2 = (i * 7 + 3) % TABLE
                k3 = (i * 13 + 11) % TABLE
                req = "%s%012x" % (req_prefix[i & 4095], i)
                dur = durations[k]
                dms = billed[k]
                t0 = ts(t)
                t1 = ts(min(int((j + 1) * step), DAY_MS - 1))
                t2 = ts(min(int((j + 2) * step), DAY_MS - 1))
                te = ts(min(int((j + 3) * step), DAY_MS - 1))
                roll = rolls[k2]
                hour = t // 3600000
                cold = rolls[k3] < 0.01
                if cold:
                    first = "%s INIT_START Runtime Version: nodejs:20.v43\tRuntime Version ARN: %s\n" % (t0, runtime_arn)
                else:
                    first = "%s %s\t%s\tINFO\t%s\n" % (t1, t1, req, info_texts[i & 3] % (ids[k2], items[k]))
                if roll < err_p[hour]:
                    second = "%s %s\t%s\tERROR\t%s\n" % (t2, t2, req, error_texts[i & 1] % (ids[k3], items[k2]))
                elif roll > 0.96:
                    second = "%s %s\t%s\tWARN\t%s\n" % (t2, t2, req, warn_texts[0] % (ids[k3], items[k2]))
                else:
                    second = "%s %s\t%s\tINFO\t%s\n" % (t2, t2, req, done_texts[i & 1] % (ids[k3], items[k2]))
                mem = mem_by_bin[t // 300000] + mem_noise[k3]
                if mem < 60:
                    mem = 60
                elif mem > 500:
                    mem = 500
                extra = ""
                if cold:
                    extra = "Init Duration: %s ms\t" % init_dur[k2]
                if rolls[k] < 0.002:
                    extra += "Status: timeout\t"
                parts.append("%s START RequestId: %s Version: $LATEST\n%s%s%s END RequestId: %s\n"
                             "%s REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\t"
                             "Memory Size: 512 MB\tMax Memory Used: %d MB\t%s\n"
                             % (t0, req, first, second, te, req, te, req, dur, dms, mem, extra))
                i += 1
            block = "".join(parts).encode()
            if written + len(block) > target:
                # cut at an invocation boundary at or past the target
                need = target - written
                # find the end of the REPORT line at or after `need`
                pos = block.find(b" REPORT RequestId: ", max(0, need - 400))
                while pos != -1:
                    end = block.index(b"\n", pos) + 1
                    if end >= need:
                        block = block[:end]
                        break
                    pos = block.find(b" REPORT RequestId: ", end)
            fh.write(block)
            written += len(block)
            lines += block.count(b"\n")
    os.replace(out + ".tmp", out)
    sys.stderr.write("gen_corpus: %s: %.1f MiB, %d lines (%.2f M lines/GiB) in %.1f s\n"
                     % (out, written / 1048576.0, lines, lines / (written / 1073741824.0) / 1e6,
                        time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
