#!/bin/sh
# drain.sh - the hub's drain benchmark. Not a test: it prints figures.
#
# Queues MESSAGES sealed telemetry messages from DEVICES enrolled devices on
# a real mosquitto while the hub and a counting Paho client are both away
# (persistent sessions, QoS 1), then lets each drain its backlog alone and
# prints both rates and their ratio. Same broker, same run, same backlog.
# The devices are enrolled the way an owner would, in bulk: bench_flood
# makes their keys and a `stridehub device add --from` file.
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

# The hub's identity and DEVICES enrolled devices.
(umask 077; : > "$T/hub.db")	# device add never creates a store
hubkey=$("$B/hub/stridehub" -f "$T/hub.db" key init | sed -n 's/^hub_key //p')
[ -n "$hubkey" ] || { echo "stridehub key init printed no key"; exit 1; }
"$B/tests/bench_flood" keys "$T" "$D" "$hubkey"
s0=$(date +%s%N)
"$B/hub/stridehub" -f "$T/hub.db" device add --from "$T/devices.txt" > "$T/add.log"
awk -v a="$s0" -v b="$(date +%s%N)" -v d="$D" \
    'BEGIN { printf "enrolled %d devices in %.0f ms\n", d, (b - a) / 1e6 }'

# Make both persistent sessions, then leave.
(hub > "$T/hub-prime.log" 2>&1) &
HP=$!
sleep 1.5; kill -TERM $HP; wait $HP || true
"$B/tests/bench_count" 127.0.0.1 "$PORT" bench-count prime

echo "== $N messages from $D devices, queued while both are away"
"$B/tests/bench_flood" 127.0.0.1 "$PORT" "$N" "$D" "$T"

echo "== counting client drains"
c=$("$B/tests/bench_count" 127.0.0.1 "$PORT" bench-count 1000)
echo "$c"
echo "== hub drains (open the envelope, parse, dedupe, fuse, store, sealed acks)"
(hub -o exit_idle_ms=1000 > "$T/hub.log" 2>&1)
h=$(grep "drained" "$T/hub.log" | tail -n 1)
echo "$h"
grep "stats:" "$T/hub.log" | tail -n 1
stored=$(sqlite3 "$T/hub.db" "select count(*) from chunks")
echo "chunks stored: $stored"
cr=$(echo "$c" | sed -n 's/.*(\([0-9]*\) msg\/s).*/\1/p')
hr=$(echo "$h" | sed -n 's/.*(\([0-9]*\) msg\/s).*/\1/p')
awk -v h="$hr" -v c="$cr" 'BEGIN { printf "ratio hub/count: %.2f\n", h / c }'
