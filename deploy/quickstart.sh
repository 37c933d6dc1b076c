#!/bin/sh
# quickstart.sh - see StrideHub work, end to end, on this machine.
#
# Installs what is missing, builds, starts a mosquitto on 127.0.0.1 and the
# hub, enrols two devices of one runner (a foot pod and a watch) the way an
# owner does, plays a hilly run through them faster than real time, and
# shows the fused session the hub stored, the training plan it made from it
# with its reasons, and then, after a next-day "much more aware" report
# typed at the command line, the much easier plan that follows, as her
# devices open it when they next connect. Everything it starts is stopped
# when it ends; its files stay in $STRIDE_QUICKSTART_DIR (default
# /tmp/stridehub-quickstart) to look at. Well under two minutes once built.
#
# Everything is sealed (docs/protocol.md, sections 13 to 26), and there is
# no way to turn that off: the hub gets its identity (`stridehub key
# init`), each device makes its own key (`stride-agent keygen`), the owner
# adds it to the hub (`stridehub device add`) and gives the device the
# hub's key (`stride-agent enrol`), comparing the fingerprints both sides
# print. From then on only these devices are heard, and what crosses the
# broker is sealed: a stranger on it reads nothing and can forge nothing.
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
# The devices' state (keys, trust in the hub, sealed plans): private.
STATE="$W/devices"
mkdir -m 0700 "$STATE"
DB="$W/hub.db"
PORT=$("$B/tests/freeport")
PIDS=""
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM
hub() { "$B/hub/stridehub" -f "$DB" "$@"; }
field() { sed -n "s/^$1 //p" "$2" | head -n 1; }

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

echo
echo "== the hub's identity (keys in $W/keys, beside the store)"
if [ -f "$W/keys/hub.key" ]; then
	hub key show | tee "$W/hub-key.txt"
else
	echo "   stridehub key init"
	hub key init | tee "$W/hub-key.txt"
fi
hub_key=$(field hub_key "$W/hub-key.txt")
[ -n "$hub_key" ] || { echo "no hub key"; exit 1; }

echo
echo "== hub (store $DB, log $W/hub.log); it hears only enrolled devices,"
echo "   and there are none yet"
"$B/hub/stridehub" -f "$DB" -H 127.0.0.1 -p "$PORT" \
    -o idle_timeout_ms=10000 -o stop_grace_ms=2000 > "$W/hub.log" 2>&1 &
HUB=$!
PIDS="$PIDS $HUB"
i=0
until grep -q "connected to" "$W/hub.log"; do
	kill -0 "$HUB" 2>/dev/null || { echo "the hub stopped:"; cat "$W/hub.log"; exit 1; }
	i=$((i + 1)); [ $i -lt 100 ] || { echo "the hub did not connect; see $W/hub.log"; exit 1; }
	sleep 0.1
done

# enrol DEVICE: the owner's three steps, with the fingerprints to compare.
enrol() {
	d=$1
	echo
	echo "== enrolling ana's $d"
	echo "   on the device:  stride-agent --device $d keygen"
	"$B/agents/stride-agent" --state-dir "$STATE" --device "$d" keygen \
	    > "$W/keygen-$d.txt" || { echo "keygen failed"; exit 1; }
	pk=$(field device_key "$W/keygen-$d.txt")
	echo "     the device shows  device_fp   $(field device_fp "$W/keygen-$d.txt")"
	echo "   on the hub:     stridehub device add ana $d stride-dev-pk1:..."
	hub device add ana "$d" "$pk" > "$W/device-add-$d.txt" ||
		{ echo "device add failed"; exit 1; }
	echo "     the hub shows     device_fp   $(field device_fp "$W/device-add-$d.txt")"
	echo "                       hub_sign_fp $(field hub_sign_fp "$W/device-add-$d.txt")"
	echo "                       hub_kx_fp   $(field hub_kx_fp "$W/device-add-$d.txt")"
	echo "   on the device:  stride-agent --device $d enrol stride-hub-pk1:..."
	"$B/agents/stride-agent" --state-dir "$STATE" --device "$d" enrol \
	    "$hub_key" > "$W/enrol-$d.txt" || { echo "enrol failed"; exit 1; }
	echo "     the device shows  hub_sign_fp $(field hub_sign_fp "$W/enrol-$d.txt")"
	echo "                       hub_kx_fp   $(field hub_kx_fp "$W/enrol-$d.txt")"
	# What the owner does by eye: the same fingerprints on both screens.
	if [ "$(field device_fp "$W/keygen-$d.txt")" != \
	    "$(field device_fp "$W/device-add-$d.txt")" ] ||
	    [ "$(field hub_sign_fp "$W/enrol-$d.txt")" != \
	    "$(field hub_sign_fp "$W/device-add-$d.txt")" ] ||
	    [ "$(field hub_kx_fp "$W/enrol-$d.txt")" != \
	    "$(field hub_kx_fp "$W/device-add-$d.txt")" ]; then
		echo "   the fingerprints differ: do not use this device"
		exit 1
	fi
	echo "   the fingerprints match on both sides"
}
enrol ana-footpod
enrol ana-watch

start_ms=$(( $(date +%s) * 1000 ))
# agent ROLE LOG ARGS...: one device of ana, in the background.
agent() {
	role=$1 log=$2
	shift 2
	"$B/agents/stride-agent" --runner ana --device "ana-$role" --role "$role" \
	    --host 127.0.0.1 --port "$PORT" --state-dir "$STATE" "$@" \
	    > "$W/$log-$role.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "pid_$role=$!"
}
echo
if [ -f "$REAL" ]; then
	echo "== runner ana: a real 14 km hilly run (Garmin FR945 + Stryd foot pod,"
	echo "   83 min, 347 m up), replayed from $REAL"
	echo "   by her foot pod and her watch at ${SPEED}x speed"
	set -- run --file "$REAL" --start-ms "$start_ms" --speed "$SPEED"
else
	echo "== runner ana: a 20-minute hilly run (synthetic: no recorded runs in"
	echo "   $ACT), foot pod and watch, ${SPEED}x speed"
	set -- run --synthetic --duration-s 1200 --pace-s-per-km 390 \
	    --cadence 164 --hills 3 --seed 42 --start-ms "$start_ms" \
	    --speed "$SPEED"
fi
agent footpod run1 "$@"
agent watch run1 "$@"
# shellcheck disable=SC2154
wait "$pid_footpod" "$pid_watch" || {
	echo "an agent failed; see $W/run1-*.log"; exit 1; }

echo "== waiting for the hub to close the session"
i=0
until hub sessions ana 2>/dev/null | grep -q closed; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "no closed session; see $W/hub.log"; exit 1; }
	sleep 0.2
done
hub sessions ana
id=$(hub sessions ana | awk '/closed/ { print $1 }' | tail -n 1)
echo
hub session "$id"

# wait_plan N: until the hub has made plan version N (at most 5 s).
wait_plan() {
	i=0
	until hub plan ana 2>/dev/null | grep -Eq "^plan +$1\$"; do
		i=$((i + 1)); [ $i -lt 50 ] || { echo "no plan $1; see $W/hub.log"; exit 1; }
		sleep 0.1
	done
}
echo
echo "== the plan the hub made when the session closed (sealed to each device,"
echo "   retained on its plan topic)"
wait_plan 1
hub plan ana
echo
echo "== the next morning ana is much more aware of the tendon, and says so:"
echo "   stridehub report ana much_aware"
hub report ana much_aware
wait_plan 2
echo
echo "== the much easier plan that follows (the running hub noticed the report)"
hub plan ana
echo
hub plans ana
echo
echo "== what a stranger on the broker sees on ana's watch's plan topic"
echo "   (the first bytes, in hex: a sealed envelope, 53 01 06 ...)"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t stridehub/v1/ana/ana-watch/plan \
    -C 1 -W 5 --retained-only -F '%x' | cut -c1-64

echo
echo "== her next run, a short one: each device opens the sealed plan waiting"
echo "   for it (checked: the hub's signature, for this device, not older),"
echo "   and the watch follows it"
agent footpod run2 run --synthetic --duration-s 300 --pace-s-per-km 390 \
    --cadence 164 --hills 1 --seed 43 --speed 40
agent watch run2 run --synthetic --duration-s 300 --pace-s-per-km 390 \
    --cadence 164 --hills 1 --seed 43 --speed 40
wait "$pid_footpod" "$pid_watch" || {
	echo "an agent failed; see $W/run2-*.log"; exit 1; }
for role in footpod watch; do
	echo "   ana-$role:"
	grep -E "plan [0-9]+ received|following plan|warning:|^cue|^cues" \
	    "$W/run2-$role.log" | sed 's/^/     /'
done
echo
echo "   each keeps the sealed plan as it came, in $STATE/<device>.plan"
echo
echo "Files, logs and the store are in $W."
