# S3 access logs: stats count(*) as requests, sum(bytesSent) as bytes by operation, httpStatus
#   mawk -f bench/shapes/s3.awk FILE   -> operation,httpStatus,requests,bytes (bytes empty when no number)
# Default FS (runs of blanks). $1 owner, $2 bucket, $3-$4 the bracketed time "[01/Nov/2026:00:00:51"
# "+0000]", $5 remote IP, $6 requester, $7 request id, $8 operation, $9 key, then the request URI:
# either an unquoted "-" (lifecycle and batch lines) or a quoted "VERB /path HTTP/1.1" of several
# blank-separated words (keys are URL-encoded, so the words are the URI's), so the fields after it
# (status, error code, bytes sent) are found by walking to the word that closes the quote. Like
# logmill, a "-" (or any non-number) bytes sent is absent from the sum, and a group with no number
# has an empty sum. Lines with fewer than 17 words (not S3 lines) are skipped, as logmill reads them
# without positional fields... and so would put them in the (null, null) group: there are none here.
NF >= 17 {
    i = 10
    if (substr($i, 1, 1) == "\"") {
        while (i <= NF && !($i ~ /"$/ && (i > 10 || length($i) > 1))) i++
    }
    k = $8 "," $(i + 1)
    n[k]++
    b = $(i + 3)
    if (b ~ /^[0-9]+$/) { s[k] += b; has[k] = 1 }
}
END {
    for (k in n) {
        if (k in has) printf "%s,%d,%.0f\n", k, n[k], s[k]
        else printf "%s,%d,\n", k, n[k]
    }
}
