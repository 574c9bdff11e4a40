#!/usr/bin/env bash
# Installs and starts the real peers logmill's sink tests talk to, all on 127.0.0.1:
#   moto's server (CloudWatch PutMetricData/GetMetricStatistics)  LOGMILL_TEST_MOTO
#   Prometheus with the remote-write receiver                     LOGMILL_TEST_PROMETHEUS
#   Pushgateway                                                    LOGMILL_TEST_PUSHGATEWAY
#   promtool (for 'promtool check metrics')                        LOGMILL_TEST_PROMTOOL
# and installs headless Chromium (on PATH as chromium), which screenshots the backfill report page.
# Source it: it exports those variables and defines stop_peers. Recipes: ../shared/reference/peers.md.
set -euo pipefail

install_peers() {
    local missing=()
    command -v prometheus >/dev/null || missing+=(prometheus)
    command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
    command -v chromium >/dev/null || missing+=(chromium)
    # Installed without recommends, Chromium brings no font: without one the page's labels are blank.
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then echo "peers: need root to install ${missing[*]}" >&2; return 1; fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    python3 -c 'import moto, boto3' 2>/dev/null || pip install -q 'moto[server]==5.2.1' boto3
    # cramjam: an independent snappy implementation the remote-write encoder is checked against.
    python3 -c 'import cramjam' 2>/dev/null || pip install -q cramjam || echo "peers: cramjam not installed; its cross-check will skip" >&2
    command -v moto_server >/dev/null || pip install -q 'moto[server]==5.2.1'
}

PEERS=$(mktemp -d)
stop_peers() {
    for f in "$PEERS"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
}

wait_http() {
    for _ in $(seq 1 150); do
        if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "peers: not ready: $1" >&2
    return 1
}

start_peers() {
    moto_server -H 127.0.0.1 -p 15111 > "$PEERS/moto.log" 2>&1 & echo $! > "$PEERS/moto.pid"
    cat > "$PEERS/prometheus.yml" <<'YAML'
global:
  scrape_interval: 15s
storage:
  tsdb:
    out_of_order_time_window: 30d
YAML
    prometheus --config.file="$PEERS/prometheus.yml" --storage.tsdb.path="$PEERS/prom-data" \
        --web.listen-address=127.0.0.1:19090 --web.enable-remote-write-receiver --web.enable-lifecycle \
        > "$PEERS/prometheus.log" 2>&1 & echo $! > "$PEERS/prometheus.pid"
    prometheus-pushgateway --web.listen-address=127.0.0.1:19091 --persistence.file= \
        > "$PEERS/pushgateway.log" 2>&1 & echo $! > "$PEERS/pushgateway.pid"
    wait_http http://127.0.0.1:15111/moto-api/
    wait_http http://127.0.0.1:19090/-/ready
    wait_http http://127.0.0.1:19091/-/ready
    export LOGMILL_TEST_MOTO=http://127.0.0.1:15111
    export LOGMILL_TEST_PROMETHEUS=http://127.0.0.1:19090
    export LOGMILL_TEST_PUSHGATEWAY=http://127.0.0.1:19091
    export LOGMILL_TEST_PROMTOOL=$(command -v promtool)
    echo "peers: moto, Prometheus, Pushgateway up (logs in $PEERS)"
}
