#!/usr/bin/env python3
"""The bench/shapes workloads in DuckDB (python package), 2 threads; CSV rows on stdout, no header.

    python3 bench/shapes/duckdb_shapes.py json|s3|regex FILE

  json:  service,bin,n,avg_ms,p99_cont,p99_disc   ERROR lines of JSON application logs by service and
         5-minute bin (read_ndjson with the four columns the query uses; other keys are ignored)
  s3:    operation,httpStatus,requests,bytes      S3 access log read with read_csv(delim=' ', quote='"'),
         the bracketed time being two columns; lines whose request URI is an unquoted '-' (lifecycle
         and batch operations) have the same number of columns, so positions do not shift
  regex: bin,avg_d                                 avg of `Duration: (\\d.+) ms` by 1-hour bin over
         every line of the Lambda corpus (regexp_extract, '' -> NULL)

(The high-cardinality group-by and Q1 over gzip reuse bench/duckdb_q.py q3 and q1; read_csv reads a
.gz file by its extension.)
"""
import sys

import duckdb

JSON = """
SELECT service,
       strftime(time_bucket(INTERVAL 5 MINUTE, CAST(substr("timestamp", 1, 23) AS TIMESTAMP)), '%Y-%m-%d %H:%M:%S') AS b,
       count(*) AS n, avg(latency_ms) AS avg_ms,
       quantile_cont(latency_ms, 0.99) AS p99c, quantile_disc(latency_ms, 0.99) AS p99d
FROM read_ndjson('{f}', columns={{'timestamp': 'VARCHAR', 'level': 'VARCHAR', 'service': 'VARCHAR',
                                  'latency_ms': 'DOUBLE'}}, maximum_object_size=16777216)
WHERE level = 'ERROR'
GROUP BY ALL
"""

# 27 columns at most (26 or 27 fields a line); the time "[01/Nov/2026:00:00:51 +0000]" is columns 3-4.
S3_COLS = ["bucketOwner", "bucket", "time1", "time2", "remoteIp", "requester", "requestId", "operation", "key",
           "requestUri", "httpStatus", "errorCode", "bytesSent", "objectSize", "totalTime", "turnAroundTime",
           "referer", "userAgent", "versionId", "hostId", "signatureVersion", "cipherSuite", "authenticationType",
           "hostHeader", "tlsVersion", "accessPointArn", "aclRequired", "sourceRegion"]
S3 = """
SELECT operation, httpStatus, count(*) AS requests,
       sum(TRY_CAST(nullif(bytesSent, '-') AS DOUBLE)) AS bytes
FROM read_csv('{f}', delim=' ', quote='"', header=false, auto_detect=false, null_padding=true,
              strict_mode=false, columns={{{cols}}})
GROUP BY ALL
"""

LAMBDA_SRC = """read_csv('{f}', columns={{'line': 'VARCHAR'}}, header=false, delim=chr(1), quote='',
          escape='', auto_detect=false, null_padding=false, strict_mode=false,
          max_line_size=1048576)"""

REGEX = """
SELECT strftime(time_bucket(INTERVAL 1 HOUR, CAST(substr(line, 1, 19) AS TIMESTAMP)), '%Y-%m-%d %H:%M:%S') AS b,
       avg(TRY_CAST(nullif(regexp_extract(line, 'Duration: ([\\d.]+) ms', 1), '') AS DOUBLE)) AS d
FROM {src}
GROUP BY ALL
"""


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def main():
    which, path = sys.argv[1], sys.argv[2]
    con = duckdb.connect(config={"threads": 2})
    f = path.replace("'", "''")
    if which == "json":
        sql = JSON.format(f=f)
    elif which == "s3":
        sql = S3.format(f=f, cols=", ".join("'%s': 'VARCHAR'" % c for c in S3_COLS))
    elif which == "regex":
        sql = REGEX.format(src=LAMBDA_SRC.format(f=f).replace("chr(1)", "'\x01'"))
    else:
        sys.stderr.write("usage: duckdb_shapes.py json|s3|regex FILE\n")
        return 2
    out = sys.stdout
    for row in con.execute(sql).fetchall():
        out.write(",".join(fmt(v) for v in row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
