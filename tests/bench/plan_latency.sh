#!/bin/bash
# plan_latency.sh - how long from a device's symptom report to the new plan
# arriving at the device's plan topic. Not a test: it prints figures.
#
# Starts mosquitto and the hub, gives runner "lat" a first plan, then ROUNDS
# times publishes a next-day report as the runner's device and times the
# arrival of the plan it causes at a subscriber (mosquitto_sub's %U clock).
# The time includes starting mosquitto_pub, so it is an upper bound.
#
#   tests/bench/plan_latency.sh [build-dir] [rounds]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-"$top/build"}
R=${2:-10}
T=$(mktemp -d /tmp/stride-lat.XXXXXX)
PORT=$("$B/tests/freeport")
trap 'kill $BPID $HPID $SPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$PORT" > "$T/m.conf"
mosquitto -c "$T/m.conf" > "$T/broker.log" 2>&1 &
BPID=$!
sleep 0.5
"$B/hub/stridehub" -f "$T/hub.db" -H 127.0.0.1 -p "$PORT" > "$T/hub.log" 2>&1 &
HPID=$!
sleep 0.5
pub() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stridehub/v1/lat/w1/$1" -m "$2"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
pub status '{"v":1,"state":"online","epoch":1,"role":"watch"}'
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t stridehub/v1/lat/w1/plan -F '%U %p' \
    > "$T/plans" 2>&1 &
SPID=$!
sleep 0.3
levels=(much_aware usual painful better aware)
for i in $(seq 1 "$R"); do
	before=$(wc -l < "$T/plans")
	t0=$(date +%s.%N)
	pub symptom "{\"v\":1,\"epoch\":1,\"seq\":$i,\"t\":$(now_ms),\"when\":\"next_day\",\"level\":\"${levels[$((i % 5))]}\"}"
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
pubstart=$(date +%s%N); pub probe x; pubend=$(date +%s%N)
awk -v a="$pubstart" -v b="$pubend" 'BEGIN {
	printf "(one mosquitto_pub alone takes %.1f ms of that)\n", (b - a) / 1e6 }'
