#!/usr/bin/env python3
"""Q1/Q2 in DuckDB (python package), 2 threads, file read as one VARCHAR column.

    python3 bench/duckdb_q.py q1|q2 FILE     -> CSV rows on stdout (no header)
      q1: bin,count,max_bytes,avg_ms        q2: bin,count
      q3: request_id,count (the 10 largest groups; logmill's `stats count(*) as c by @requestId
          | sort c desc | limit 10`: START/END/REPORT lines and `<time>\t<id>\t<LEVEL>\t` application
          lines carry an id, other lines fall in the null group)
      q3all: every request_id,count (to compare all groups)
"""
import sys

import duckdb

SRC = """read_csv('{f}', columns={{'line': 'VARCHAR'}}, header=false, delim=chr(1), quote='',
          escape='', auto_detect=false, null_padding=false, strict_mode=false,
          max_line_size=1048576)"""

Q1 = """
SELECT strftime(time_bucket(INTERVAL 5 MINUTE, CAST(substr(line, 1, 19) AS TIMESTAMP)), '%Y-%m-%d %H:%M:%S') AS b,
       count(*) AS c,
       max(CAST(regexp_extract(line, 'Max Memory Used: (\\d+) MB', 1) AS BIGINT)) * 1000000 AS mx,
       avg(CAST(regexp_extract(line, '\\tDuration: ([0-9.]+) ms', 1) AS DOUBLE)) AS av
FROM {src}
WHERE contains(line, ' REPORT RequestId: ')
GROUP BY ALL
"""

Q2 = """
SELECT strftime(time_bucket(INTERVAL 5 MINUTE, CAST(substr(line, 1, 19) AS TIMESTAMP)), '%Y-%m-%d %H:%M:%S') AS b,
       count(*) AS c
FROM {src}
WHERE contains(line, 'ERROR')
GROUP BY ALL
"""

Q3_GROUPS = """
SELECT coalesce(nullif(m.p, ''), nullif(m.a, '')) AS rid, count(*) AS c
FROM (SELECT regexp_extract(line, '^\\S+ (?:(?:START|END|REPORT) RequestId: ([^\\t ]+)|\\S+\\t([0-9a-fA-F-]{{8,64}})\\t[A-Z]+\\t)',
                            ['p', 'a']) AS m
      FROM {src})
GROUP BY ALL
"""

Q3 = "SELECT * FROM (" + Q3_GROUPS + ") ORDER BY c DESC, rid NULLS FIRST LIMIT 10"


def main():
    which, path = sys.argv[1], sys.argv[2]
    con = duckdb.connect(config={"threads": 2})
    src = SRC.format(f=path.replace("'", "''")).replace("chr(1)", "'\x01'")
    sql = {"q1": Q1, "q2": Q2, "q3": Q3, "q3all": Q3_GROUPS}[which].format(src=src)
    out = sys.stdout
    for row in con.execute(sql).fetchall():
        if which == "q1":
            out.write("%s,%d,%d,%.6f\n" % row)
        elif which.startswith("q3"):
            out.write("%s,%d\n" % ("" if row[0] is None else row[0], row[1]))
        else:
            out.write("%s,%d\n" % row)


if __name__ == "__main__":
    main()
