#!/bin/sh
# drain.sh - the hub's drain benchmark. Not a test: it prints figures.
#
# Queues MESSAGES telemetry messages from DEVICES devices on a real mosquitto
# while the hub and a counting Paho client are both away (persistent
# sessions, QoS 1), then lets each drain its backlog alone and prints both
# rates and their ratio. Same broker, same run, same backlog.
#
#   tests/bench/drain.sh [build-dir] [messages] [devices]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-"$top/build"}
N=${2:-200000}
D=${3:-1000}
T=$(mktemp -d /tmp/stride-drain.XXXXXX)
PORT=$("$B/tests/freeport")
trap 'kill $BPID 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

cat > "$T/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages ${INFLIGHT:-20}
user root
CONF
mosquitto -c "$T/mosquitto.conf" > "$T/broker.log" 2>&1 &
BPID=$!
sleep 0.5

hub() {
	exec ${HUB_WRAP:-} "$B/hub/stridehub" -f "$T/hub.db" -H 127.0.0.1 -p "$PORT" "$@"
}

# Make both persistent sessions, then leave.
(hub > "$T/hub-prime.log" 2>&1) &
HP=$!
sleep 1.5; kill -TERM $HP; wait $HP || true
"$B/tests/bench_count" 127.0.0.1 "$PORT" bench-count prime

echo "== $N messages from $D devices, queued while both are away"
"$B/tests/bench_flood" 127.0.0.1 "$PORT" "$N" "$D"

echo "== counting client drains"
c=$("$B/tests/bench_count" 127.0.0.1 "$PORT" bench-count 1000)
echo "$c"
echo "== hub drains (authenticate, parse, dedupe, fuse, store)"
(hub -o exit_idle_ms=1000 > "$T/hub.log" 2>&1)
h=$(grep "drained" "$T/hub.log" | tail -n 1)
echo "$h"
grep "stats:" "$T/hub.log" | tail -n 1
stored=$(sqlite3 "$T/hub.db" "select count(*) from chunks")
echo "chunks stored: $stored"
cr=$(echo "$c" | sed -n 's/.*(\([0-9]*\) msg\/s).*/\1/p')
hr=$(echo "$h" | sed -n 's/.*(\([0-9]*\) msg\/s).*/\1/p')
awk -v h="$hr" -v c="$cr" 'BEGIN { printf "ratio hub/count: %.2f\n", h / c }'
