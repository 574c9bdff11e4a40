# Q2 for mawk: filter @message like /ERROR/ | stats count(*) by bin(5m)
# Run as: mawk -f q2.awk FILE     Output: bin,count (unsorted)
/ERROR/ {
    m = substr($0, 15, 2) + 0
    n[substr($0, 1, 10) " " substr($0, 12, 3) sprintf("%02d", m - m % 5) ":00"]++
}
END {
    for (b in n) printf "%s,%d\n", b, n[b]
}
