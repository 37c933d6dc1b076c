#!/bin/sh
# agent.sh - one agent's resident memory and CPU at 1 Hz, real time. Not a
# test: it prints figures. Runs a watch agent for SECONDS of a synthetic run
# against a local mosquitto (no hub running: acks are not waited for). The
# agent is enrolled first (keygen, then enrol with a hub key made for the
# purpose), so it seals every message as it does in the field.
#
#   tests/bench/agent.sh [build-dir] [seconds]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-"$top/build"}
S=${2:-60}
T=$(mktemp -d /tmp/stride-agent.XXXXXX)
PORT=$("$B/tests/freeport")
trap 'kill $BPID $APID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$PORT" > "$T/m.conf"
mosquitto -c "$T/m.conf" > "$T/broker.log" 2>&1 &
BPID=$!
sleep 0.5
mkdir -m 0700 "$T/state"
(umask 077; : > "$T/hub.db")	# device add never creates a store
hubkey=$("$B/hub/stridehub" -f "$T/hub.db" key init | sed -n 's/^hub_key //p')
"$B/agents/stride-agent" --state-dir "$T/state" --device w1 keygen > /dev/null
"$B/agents/stride-agent" --state-dir "$T/state" --device w1 enrol "$hubkey" > /dev/null
"$B/agents/stride-agent" --runner bench --device w1 --role watch \
    --host 127.0.0.1 --port "$PORT" --ack-timeout-s 0 --quiet \
    --state-dir "$T/state" \
    run --synthetic --duration-s $((S + 30)) > "$T/agent.log" 2>&1 &
APID=$!
sleep 5
ticks() { awk '{ print $14 + $15 }' "/proc/$APID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$S"
t1=$(ticks)
rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$APID/status")
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$APID/status")
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$S" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
	printf "agent at 1 Hz over %d s: %.2f%% of a core, VmRSS %d kB, peak %d kB\n",
	    s, (b - a) / hz / s * 100, rss, hwm }'
