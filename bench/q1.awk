# Q1 for mawk: filter @type = "REPORT" | stats count(*), max(@maxMemoryUsed), avg(@duration) by bin(5m)
# Input: CloudWatch export lines "<2026-11-01T00:05:12.345Z> REPORT RequestId: ...\tDuration: 12.34 ms\t..."
# Run as: mawk -F'\t' -f q1.awk FILE     Output: bin,count,max_bytes,avg_ms (unsorted)
/ REPORT RequestId: / {
    m = substr($0, 15, 2) + 0
    b = substr($0, 1, 10) " " substr($0, 12, 3) sprintf("%02d", m - m % 5) ":00"
    d = substr($2, 11) + 0            # "Duration: 12.34 ms"
    mem = substr($5, 18) + 0          # "Max Memory Used: 91 MB"
    n[b]++
    s[b] += d
    if (!(b in mx) || mem > mx[b]) mx[b] = mem
}
END {
    for (b in n) printf "%s,%d,%.0f,%.6f\n", b, n[b], mx[b] * 1000000, s[b] / n[b]
}
