# lib.sh - shared by the integration tests: a real mosquitto on 127.0.0.1 at
# a free port, a hub with its SQLite file in a temp dir, and clean-up of all
# of it however the test ends. Source it; do not run it.
#
# Environment (set by ctest): BUILD_DIR, SRC_DIR.

set -eu
: "${BUILD_DIR:?set BUILD_DIR to the build directory}"
: "${SRC_DIR:?set SRC_DIR to the source directory}"

HUB="$BUILD_DIR/hub/stridehub"
AGENT="$BUILD_DIR/agents/stride-agent"
FREEPORT="$BUILD_DIR/tests/freeport"
T=$(mktemp -d /tmp/stride-it.XXXXXX)
DB="$T/hub.db"
PIDS=""
BROKER_PID=""
HUB_PID=""
PORT=""
NAME=$(basename "$0" .sh)

cleanup() {
	status=$?
	for p in $PIDS $HUB_PID $BROKER_PID; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "$status" -ne 0 ]; then
		echo "--- $NAME failed; logs from $T:"
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f"; tail -n 40 "$f"
		done
	fi
	rm -rf "$T"
	exit "$status"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $NAME: $*" >&2
	exit 1
}

pass() {
	echo "ok: $NAME: $*"
}

# wait_for SECONDS COMMAND...: retry the command every 0.1 s.
wait_for() {
	deadline=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

broker_start() {
	[ -n "$PORT" ] || PORT=$("$FREEPORT")
	cat > "$T/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
user root
CONF
	mosquitto -c "$T/mosquitto.conf" >> "$T/broker.log" 2>&1 &
	BROKER_PID=$!
	wait_for 10 mosquitto_pub -h 127.0.0.1 -p "$PORT" -t probe -n ||
		fail "mosquitto did not start on port $PORT"
}

broker_stop() {
	kill "$BROKER_PID" 2>/dev/null || true
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=""
}

# hub_start [extra stridehub flags...]
hub_start() {
	"$HUB" -d -f "$DB" -H 127.0.0.1 -p "$PORT" \
	    -o idle_timeout_ms=5000 -o stop_grace_ms=1500 \
	    -o ack_interval_ms=200 "$@" >> "$T/hub.log" 2>&1 &
	HUB_PID=$!
	wait_for 10 grep -q "connected to" "$T/hub.log" ||
		fail "hub did not connect"
}

hub_stop() {
	kill -TERM "$HUB_PID" 2>/dev/null || true
	wait "$HUB_PID" 2>/dev/null || true
	HUB_PID=""
}

hub_alive() {
	kill -0 "$HUB_PID" 2>/dev/null
}

# sql QUERY: run a read-only query on the hub's store.
sql() {
	sqlite3 -readonly -batch -noheader "$DB" "$1"
}

# pub TOPIC-TAIL PAYLOAD: publish as a device would (QoS 1).
pub() {
	mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stridehub/v1/$1" -m "$2"
}

# within VALUE EXPECTED TOLERANCE: |VALUE - EXPECTED| <= TOLERANCE
within() {
	awk -v v="$1" -v e="$2" -v t="$3" \
	    'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= t) }'
}
