#!/usr/bin/env python3
"""Q1/Q2 in DuckDB (python package), 2 threads, file read as one VARCHAR column.

    python3 bench/duckdb_q.py q1|q2 FILE     -> CSV rows on stdout (no header)
      q1: bin,count,max_bytes,avg_ms        q2: bin,count
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


def main():
    which, path = sys.argv[1], sys.argv[2]
    con = duckdb.connect(config={"threads": 2})
    src = SRC.format(f=path.replace("'", "''")).replace("chr(1)", "'\x01'")
    sql = (Q1 if which == "q1" else Q2).format(src=src)
    out = sys.stdout
    for row in con.execute(sql).fetchall():
        if which == "q1":
            out.write("%s,%d,%d,%.6f\n" % row)
        else:
            out.write("%s,%d\n" % row)


if __name__ == "__main__":
    main()
