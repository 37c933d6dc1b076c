#!/bin/bash
# plan_latency.sh - how long from a device's symptom report to the new plan
# arriving at the device's plan topic. Not a test: it prints figures.
#
# Starts mosquitto and the hub, enrols runner "lat"'s watch w1 (agent
# keygen, `stridehub device add`, agent enrol), gives the runner a first
# plan, then ROUNDS times publishes a sealed next-day report as the watch
# and times the arrival of the sealed plan it causes at a subscriber
# (mosquitto_sub's %U clock). Each report is sealed (tests/tools/sealtool)
# before its clock starts; the time includes starting mosquitto_pub, so it
# is an upper bound. The last plan is opened with the watch's keys, to show
# what arrived is a plan for it.
#
#   tests/bench/plan_latency.sh [build-dir] [rounds]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-"$top/build"}
R=${2:-10}
T=$(mktemp -d /tmp/stride-lat.XXXXXX)
PORT=$("$B/tests/freeport")
S="$B/tests/sealtool"
trap 'kill $BPID $HPID $SPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$PORT" > "$T/m.conf"
mosquitto -c "$T/m.conf" > "$T/broker.log" 2>&1 &
BPID=$!
mkdir -m 0700 "$T/state"
(umask 077; : > "$T/hub.db")	# device add never creates a store
hubkey=$("$B/hub/stridehub" -f "$T/hub.db" key init | sed -n 's/^hub_key //p')
pk=$("$B/agents/stride-agent" --state-dir "$T/state" --device w1 keygen |
    sed -n 's/^device_key //p')
"$B/hub/stridehub" -f "$T/hub.db" device add lat w1 "$pk" > "$T/add.log"
"$B/agents/stride-agent" --state-dir "$T/state" --device w1 enrol "$hubkey" > "$T/enrol.log"
"$B/hub/stridehub" -f "$T/hub.db" -H 127.0.0.1 -p "$PORT" > "$T/hub.log" 2>&1 &
HPID=$!
sleep 1
epoch=$(date +%s)
seal() {	# kind seq json -> $T/msg
	"$S" seal "$T/state" w1 lat "$1" "$epoch" "$2" > "$T/msg" <<< "$3"
}
pub() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stridehub/v1/lat/w1/$1" -f "$T/msg"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seal status 0 "{\"v\":1,\"state\":\"online\",\"epoch\":$epoch,\"role\":\"watch\"}"
pub status
# Plans are binary: one hex line each.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t stridehub/v1/lat/w1/plan -F '%U %x' \
    > "$T/plans" 2>&1 &
SPID=$!
sleep 0.3
levels=(much_aware usual painful better aware)
for i in $(seq 1 "$R"); do
	seal symptom "$i" "{\"v\":1,\"epoch\":$epoch,\"seq\":$i,\"t\":$(now_ms),\"when\":\"next_day\",\"level\":\"${levels[$((i % 5))]}\"}"
	before=$(wc -l < "$T/plans")
	t0=$(date +%s.%N)
	pub symptom
	n=0
	until [ "$(wc -l < "$T/plans")" -gt "$before" ]; do
		n=$((n + 1)); [ $n -lt 50 ] || break
		sleep 0.02
	done
	if [ "$(wc -l < "$T/plans")" -gt "$before" ]; then
		t1=$(tail -n 1 "$T/plans" | cut -d' ' -f1)
		awk -v a="$t0" -v b="$t1" -v i="$i" \
		    'BEGIN { printf "report %d: plan after %.1f ms\n", i, (b - a) * 1000 }'
	else
		echo "report $i: the plan did not change (nothing new to send)"
	fi
done | tee "$T/out"
awk '/plan after/ { print $5 }' "$T/out" | sort -n | awk '{ v[++n] = $1 } END {
	if (n > 0) printf "median %.1f ms, max %.1f ms over %d plans\n",
	    v[int((n + 1) / 2)], v[n], n }'
tail -n 1 "$T/plans" | cut -d' ' -f2 | xxd -r -p > "$T/last.plan"
"$S" open-plan "$T/state" w1 lat < "$T/last.plan" | head -n 2 | tr '\n' ' '
echo "(the last plan, as w1 opens it)"
printf x > "$T/msg"
pubstart=$(date +%s%N); mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t probe -f "$T/msg"; pubend=$(date +%s%N)
awk -v a="$pubstart" -v b="$pubend" 'BEGIN {
	printf "(one mosquitto_pub alone takes %.1f ms of that)\n", (b - a) / 1e6 }'
