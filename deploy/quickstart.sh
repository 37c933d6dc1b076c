#!/bin/sh
# quickstart.sh - see StrideHub work, end to end, on this machine.
#
# Installs what is missing, builds, starts a mosquitto on 127.0.0.1, the hub
# and two agents (a foot pod and a watch) of one runner, plays a hilly run
# through them faster than real time, and shows the fused session the hub
# stored, the training plan it made from it with its reasons, and then, after
# a next-day "much more aware" report typed at the command line, the much
# easier plan that follows. Everything it starts is stopped when it ends;
# its files stay in $STRIDE_QUICKSTART_DIR (default /tmp/stridehub-quickstart)
# to look at. Well under two minutes once built.
#
# The run is a real one when the recorded runs are there: the 14 km hilly
# run of a Garmin FR945 with a Stryd foot pod (83 minutes, 347 m up),
# garmin-fr945_stryd_hilly-run_14.0km.fit in $STRIDE_ACTIVITIES (default
# ../shared/data/activities beside the project), replayed by both agents
# from the one file: the foot pod sends its cadence, speed and distance,
# the watch its speed, distance, altitude and grade. Otherwise a synthetic
# 20-minute hilly run.
#   STRIDE_SPEED=N   play the run N times faster than real time (default
#                    100 for the real run: 50 s; 40 for the synthetic one)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/deploy/install-deps.sh"
echo "== building"
"$top/deploy/build.sh" "$top/build"

B="$top/build"
W=${STRIDE_QUICKSTART_DIR:-/tmp/stridehub-quickstart}
ACT=${STRIDE_ACTIVITIES:-$top/../shared/data/activities}
REAL="$ACT/garmin-fr945_stryd_hilly-run_14.0km.fit"
if [ -f "$REAL" ]; then
	SPEED=${STRIDE_SPEED:-100}
else
	SPEED=${STRIDE_SPEED:-40}
fi
rm -rf "$W"
mkdir -p "$W"
PORT=$("$B/tests/freeport")
PIDS=""
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

cat > "$W/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
user root
CONF
echo "== mosquitto on 127.0.0.1:$PORT"
mosquitto -c "$W/mosquitto.conf" > "$W/mosquitto.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until mosquitto_pub -h 127.0.0.1 -p "$PORT" -t probe -n 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "mosquitto did not start"; exit 1; }
	sleep 0.1
done

echo "== hub (store $W/hub.db, log $W/hub.log)"
"$B/hub/stridehub" -f "$W/hub.db" -H 127.0.0.1 -p "$PORT" \
    -o idle_timeout_ms=10000 -o stop_grace_ms=2000 > "$W/hub.log" 2>&1 &
HUB=$!
PIDS="$PIDS $HUB"
sleep 0.5

start_ms=$(( $(date +%s) * 1000 ))
# agent ROLE: one device of ana, playing the run in the background.
agent() {
	if [ -f "$REAL" ]; then
		set -- "$1" run --file "$REAL" --start-ms "$start_ms"
	else
		set -- "$1" run --synthetic --duration-s 1200 --pace-s-per-km 390 \
		    --cadence 164 --hills 3 --seed 42 --start-ms "$start_ms"
	fi
	role=$1; shift
	"$B/agents/stride-agent" --runner ana --device "ana-$role" --role "$role" \
	    --host 127.0.0.1 --port "$PORT" --state-dir "$W" --speed "$SPEED" \
	    "$@" > "$W/agent-$role.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "pid_$role=$!"
}
if [ -f "$REAL" ]; then
	echo "== runner ana: a real 14 km hilly run (Garmin FR945 + Stryd foot pod,"
	echo "   83 min, 347 m up), replayed from $REAL"
	echo "   by her foot pod and her watch at ${SPEED}x speed"
else
	echo "== runner ana: a 20-minute hilly run (synthetic: no recorded runs in"
	echo "   $ACT), foot pod and watch, ${SPEED}x speed"
fi
agent footpod
agent watch
# shellcheck disable=SC2154
wait "$pid_footpod" "$pid_watch" || {
	echo "an agent failed; see $W/agent-*.log"; exit 1; }

echo "== waiting for the hub to close the session"
i=0
until "$B/hub/stridehub" -f "$W/hub.db" sessions ana 2>/dev/null |
    grep -q closed; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "no closed session; see $W/hub.log"; exit 1; }
	sleep 0.2
done
"$B/hub/stridehub" -f "$W/hub.db" sessions ana
id=$("$B/hub/stridehub" -f "$W/hub.db" sessions ana | awk '/closed/ { print $1 }' | tail -n 1)
echo
"$B/hub/stridehub" -f "$W/hub.db" session "$id"

# wait_plan N: until the hub has made plan version N (at most 5 s).
wait_plan() {
	i=0
	until "$B/hub/stridehub" -f "$W/hub.db" plan ana 2>/dev/null |
	    grep -Eq "^plan +$1\$"; do
		i=$((i + 1)); [ $i -lt 50 ] || { echo "no plan $1; see $W/hub.log"; exit 1; }
		sleep 0.1
	done
}
echo
echo "== the plan the hub made when the session closed (sent, retained, to both devices)"
wait_plan 1
"$B/hub/stridehub" -f "$W/hub.db" plan ana
echo
echo "== the next morning ana is much more aware of the tendon, and says so:"
echo "   stridehub report ana much_aware"
"$B/hub/stridehub" -f "$W/hub.db" report ana much_aware
wait_plan 2
echo
echo "== the much easier plan that follows (the running hub noticed the report)"
"$B/hub/stridehub" -f "$W/hub.db" plan ana
echo
"$B/hub/stridehub" -f "$W/hub.db" plans ana
echo
echo "== what ana's watch finds waiting on its plan topic (retained)"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t stridehub/v1/ana/ana-watch/plan \
    -C 1 -W 5 --retained-only
echo
echo "Files, logs and the store are in $W."
