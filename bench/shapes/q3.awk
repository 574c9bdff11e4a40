# stats count(*) as c by @requestId | sort c desc | limit 10, over the Lambda corpus
#   mawk -f bench/shapes/q3.awk FILE   -> request_id,count (10 rows; the null group as an empty id)
# @requestId as logmill discovers it on this corpus (as bench/duckdb_q.py q3 does): START/END/REPORT
# lines "<time> START RequestId: <id> ..." and application lines "<time> <time>\t<id>\t<LEVEL>\t...";
# other lines (INIT_START) have none and fall in the null group. Top 10 by count; ties keep the
# smaller id (text order) like the DuckDB query, so only the counts are compared across tools.
{
    if ($2 == "START" || $2 == "END" || $2 == "REPORT") { id = $4; sub(/\t.*/, "", id) }
    else if (split($0, t, "\t") >= 4 && t[3] ~ /^[A-Z]+$/) id = t[2]
    else id = ""
    c[id]++
}
END {
    m = 0
    for (k in c) {
        v = c[k]
        # insert into the top-10 arrays (count desc, id asc)
        if (m == 10 && (v < tc[10] || (v == tc[10] && k > ti[10]))) continue
        j = (m < 10) ? ++m : 10
        while (j > 1 && (tc[j - 1] < v || (tc[j - 1] == v && ti[j - 1] > k))) { tc[j] = tc[j - 1]; ti[j] = ti[j - 1]; j-- }
        tc[j] = v; ti[j] = k
    }
    for (j = 1; j <= m; j++) printf "%s,%d\n", ti[j], tc[j]
}
