# parse @message /Duration: (?<d>[\d.]+) ms/ | stats avg(d) by bin(1h), over the Lambda corpus
#   mawk -f bench/shapes/regex.awk FILE   -> bin,avg (bin as YYYY-MM-DD HH:00:00)
# The first "Duration: <digits and dots> ms" of a line (REPORT lines: Duration comes before Billed
# Duration and Init Duration); lines without one count for nothing. The bin is the line's own
# timestamp (its first 13 characters), as logmill takes @timestamp from the export's prefix.
{
    if (match($0, /Duration: [0-9.]+ ms/)) {
        h = substr($0, 1, 13)
        s[h] += substr($0, RSTART + 10, RLENGTH - 13)
        c[h]++
    }
}
END {
    for (h in c) printf "%s:00:00,%.6f\n", substr(h, 1, 10) " " substr(h, 12, 2), s[h] / c[h]
}
