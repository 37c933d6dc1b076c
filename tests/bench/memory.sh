#!/bin/sh
# memory.sh - the hub's resident memory with many devices live. Not a test:
# it prints figures.
#
# Enrols DEVICES devices (two per runner) with `stridehub device add
# --from`, starts mosquitto and the hub, has each device publish
# MESSAGES_PER_DEVICE sealed telemetry messages so every runner has an open
# session, waits until the hub has stored them all, then prints the hub's
# resident set (VmRSS) and its peak (VmHWM). With every device enrolled the
# hub also holds each one's public key and session keys.
#
#   tests/bench/memory.sh [build-dir] [devices] [messages-per-device]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-"$top/build"}
D=${2:-10000}
M=${3:-5}
T=$(mktemp -d /tmp/stride-mem.XXXXXX)
PORT=$("$B/tests/freeport")
trap 'kill $BPID $HPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

cat > "$T/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
user root
CONF
mosquitto -c "$T/mosquitto.conf" > "$T/broker.log" 2>&1 &
BPID=$!
sleep 0.5
(umask 077; : > "$T/hub.db")	# device add never creates a store
hubkey=$("$B/hub/stridehub" -f "$T/hub.db" key init | sed -n 's/^hub_key //p')
[ -n "$hubkey" ] || { echo "stridehub key init printed no key"; exit 1; }
"$B/tests/bench_flood" keys "$T" "$D" "$hubkey"
"$B/hub/stridehub" -f "$T/hub.db" device add --from "$T/devices.txt" > "$T/add.log"
"$B/hub/stridehub" -f "$T/hub.db" -H 127.0.0.1 -p "$PORT" > "$T/hub.log" 2>&1 &
HPID=$!
sleep 2
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$HPID/status"; }
echo "hub at start: VmRSS $(kb VmRSS) kB"
"$B/tests/bench_flood" 127.0.0.1 "$PORT" $((D * M)) "$D" "$T"
n=0
until [ "$(sqlite3 "$T/hub.db" 'select count(*) from chunks' 2>/dev/null || echo 0)" -ge $((D * M)) ]; do
	n=$((n + 1)); [ $n -lt 600 ] || { echo "hub did not store everything"; exit 1; }
	sleep 0.1
done
sleep 2
echo "devices: $(sqlite3 "$T/hub.db" 'select count(*) from devices'), open sessions: $(sqlite3 "$T/hub.db" 'select count(*) from sessions where open = 1')"
echo "hub with $D devices live: VmRSS $(kb VmRSS) kB, peak VmHWM $(kb VmHWM) kB"
