# lib.sh - shared by the integration tests: a real mosquitto on 127.0.0.1 at
# a free port, a hub with its SQLite file and its key in a temp dir, devices
# enrolled the way an owner enrols them, and clean-up of all of it however
# the test ends. Source it; do not run it.
#
# Environment (set by ctest): BUILD_DIR, SRC_DIR.
#
# Everything is sealed (issue 4; docs/protocol.md sections 13 to 26): the
# hub accepts only devices enrolled with `stridehub device add`, and only
# sealed messages from them. The steps of enrolment live here and nowhere else:
#
#   hub_keys            `stridehub key init` once (key dir $T/keys, beside
#                       the store); sets HUB_KEY, HUB_SIGN_FP, HUB_KX_FP.
#                       hub_start and enrol call it when it has not run.
#   enrol RUNNER DEVICE [--replace]
#                       the owner's three steps: `stride-agent keygen` on
#                       the device, `stridehub device add` with its key,
#                       `stride-agent enrol` with the hub's key; both sides'
#                       fingerprints must agree. Fails the test (with the
#                       commands' output) on any error. Before hub_start
#                       (the hub loads the keys at start) or after it (the
#                       running hub admits the device on its first message;
#                       a name it refused before, within about a second).
#                       Output kept in $T/enrol-DEVICE.txt.
#                       --replace: a new key over the device's old one, on
#                       both sides (keygen, device add and enrol --replace).
#   STATE               every device's state dir ($T/state, mode 0700): key
#                       DEVICE.key, trust DEVICE.trust, sealed plan
#                       DEVICE.plan. Device ids must differ across runners
#                       within one test. EVERY stride-agent call passes
#                       --state-dir "$STATE" (or use stride_agent below).
#   FRESH               a copy of each device's key and trust as enrolled
#                       ($T/fresh): opens any plan sealed for the device,
#                       with no memory of versions it accepted since.
#   stride_agent R D ROLE ARGS...
#                       stride-agent for device D of runner R on our broker.
#
# Messages as a device would send them (tests/tools/sealtool.c, "$SEALTOOL"):
#   seal R D KIND JSON FILE    seal JSON as device D of runner R (enrolled
#                       in $STATE) into FILE; header epoch/seq from the JSON.
#   seal_raw R D KIND EPOCH SEQ TEXT FILE [AD_DEVICE]
#                              any text, header epoch/seq as given.
#   pub TAIL PAYLOAD           publish text (plain JSON: the hub must drop it).
#   pub_file TAIL FILE         publish FILE's bytes (a sealed envelope).
# Reading what the hub sends (sealed, so only through a device's keys):
#   retained_hex TOPIC         the retained payload of TOPIC, as hex ('' if
#                              none); hex_to FILE HEX writes it back as bytes.
#   open_plan R D FILE         print the plan JSON of sealed plan FILE as
#                              device D opens it (status 1 if it refuses);
#                              OPEN_STATE="$FRESH": as it did when enrolled.
#   open_ack R D FILE          print the JSON of a sealed ack FILE for D.
#   plan_ver JSON              the runner's plan number ("ver") of a plan JSON.
#   seen_plans FILE R D        the "ver" of each plan to D in a capture FILE
#                              (opened with OPEN_STATE="$FRESH").
#   hub_stat NAME              a counter of the hub's last stats line.
#   unsealed FILE              of "topic hex" lines (mosquitto_sub -F '%t %x'),
#                              those on device topics that are not sealed.

set -eu
: "${BUILD_DIR:?set BUILD_DIR to the build directory}"
: "${SRC_DIR:?set SRC_DIR to the source directory}"

HUB="$BUILD_DIR/hub/stridehub"
AGENT="$BUILD_DIR/agents/stride-agent"
FREEPORT="$BUILD_DIR/tests/freeport"
SEALTOOL="$BUILD_DIR/tests/sealtool"
T=$(mktemp -d /tmp/stride-it.XXXXXX)
DB="$T/hub.db"
STATE="$T/state"
FRESH="$T/fresh"
PIDS=""
BROKER_PID=""
HUB_PID=""
PORT=""
HUB_KEY=""
HUB_SIGN_FP=""
HUB_KX_FP=""
NAME=$(basename "$0" .sh)

cleanup() {
	status=$?
	for p in $PIDS $HUB_PID $BROKER_PID; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "$status" -ne 0 ]; then
		echo "--- $NAME failed; logs from $T:"
		for f in "$T"/*.log "$T"/enrol-*.txt; do
			[ -f "$f" ] || continue
			echo "--- $f"; tail -n 40 "$f"
		done
	fi
	rm -rf "$T"
	exit "$status"
}
trap cleanup EXIT INT TERM
mkdir -m 0700 "$STATE" "$FRESH"

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

# field NAME TEXT: the value of the line "NAME value" of a CLI's output.
field() {
	printf '%s\n' "$2" | sed -n "s/^$1 //p" | head -n 1
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

# hub_keys: the hub's identity, made once per test (no passphrase).
hub_keys() {
	local out
	[ -z "$HUB_KEY" ] || return 0
	out=$("$HUB" -f "$DB" key init 2>&1) ||
		fail "stridehub key init failed: $out"
	printf '%s\n' "$out" > "$T/key-init.txt"
	HUB_KEY=$(field hub_key "$out")
	HUB_SIGN_FP=$(field hub_sign_fp "$out")
	HUB_KX_FP=$(field hub_kx_fp "$out")
	[ -n "$HUB_KEY" ] && [ -n "$HUB_SIGN_FP" ] && [ -n "$HUB_KX_FP" ] ||
		fail "stridehub key init printed no key: $out"
	[ -f "$T/keys/hub.key" ] || fail "no hub key in $T/keys"
}

# enrol RUNNER DEVICE (top comment).
enrol() {
	local r=$1 d=$2 gen add en pk dfp hk
	shift 2
	hub_keys
	# `device add` refuses a missing store file (a typo in -f must not
	# make an empty store): before the hub's first start, an empty file
	# stands in for it (the CLI then makes the schema).
	[ -f "$DB" ] || : > "$DB"
	gen=$("$AGENT" --state-dir "$STATE" --device "$d" keygen "$@" 2>&1) ||
		fail "enrol $r/$d: stride-agent keygen failed: $gen"
	pk=$(field device_key "$gen")
	dfp=$(field device_fp "$gen")
	[ -n "$pk" ] && [ -n "$dfp" ] ||
		fail "enrol $r/$d: keygen printed no device_key/device_fp: $gen"
	add=$("$HUB" -f "$DB" device add "$r" "$d" "$pk" "$@" 2>&1) ||
		fail "enrol $r/$d: stridehub device add failed: $add"
	hk=$(field hub_key "$add")
	[ "$hk" = "$HUB_KEY" ] ||
		fail "enrol $r/$d: device add gave hub key '$hk', not key init's"
	[ "$(field device_fp "$add")" = "$dfp" ] ||
		fail "enrol $r/$d: the hub shows device_fp $(field device_fp "$add"), the device $dfp"
	en=$("$AGENT" --state-dir "$STATE" --device "$d" enrol "$hk" "$@" 2>&1) ||
		fail "enrol $r/$d: stride-agent enrol failed: $en"
	[ "$(field hub_sign_fp "$en")" = "$(field hub_sign_fp "$add")" ] &&
	    [ "$(field hub_kx_fp "$en")" = "$(field hub_kx_fp "$add")" ] ||
		fail "enrol $r/$d: the device shows hub fingerprints $(field hub_sign_fp "$en")/$(field hub_kx_fp "$en"), the hub $(field hub_sign_fp "$add")/$(field hub_kx_fp "$add")"
	printf '%s\n--- device add\n%s\n--- enrol\n%s\n' "$gen" "$add" "$en" \
	    > "$T/enrol-$d.txt"
	[ -f "$STATE/$d.key" ] && [ -f "$STATE/$d.trust" ] ||
		fail "enrol $r/$d: no $d.key and $d.trust in $STATE"
	cp -p "$STATE/$d.key" "$STATE/$d.trust" "$FRESH/"
}

# stride_agent RUNNER DEVICE ROLE [args...]: one agent command on our broker.
stride_agent() {
	local r=$1 d=$2 role=$3
	shift 3
	"$AGENT" --runner "$r" --device "$d" --role "$role" --host 127.0.0.1 \
	    --port "$PORT" --state-dir "$STATE" "$@"
}

# hub_start [extra stridehub flags...]
hub_start() {
	hub_keys
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

# pub TOPIC-TAIL PAYLOAD: publish text as a device would (QoS 1). Plain
# JSON from a device is refused by the hub: this is for hostile input.
pub() {
	mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stridehub/v1/$1" -m "$2"
}

# pub_file TOPIC-TAIL FILE: publish the bytes of FILE (QoS 1).
pub_file() {
	mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stridehub/v1/$1" -f "$2"
}

# seal RUNNER DEVICE KIND JSON FILE: JSON sealed by the device's key.
seal() {
	[ -x "$SEALTOOL" ] || fail "no $SEALTOOL (tests/tools/sealtool.c)"
	"$SEALTOOL" seal --state-dir "$STATE" "$1" "$2" "$3" "$4" > "$5" ||
		fail "sealtool could not seal $3 for $1/$2: $4"
}

# seal_raw RUNNER DEVICE KIND EPOCH SEQ TEXT FILE [AD_DEVICE]: any TEXT
# (hostile JSON too) sealed by the device's key, with the header's EPOCH and
# SEQ; with AD_DEVICE, bound to that device's topic instead of its own.
seal_raw() {
	[ -x "$SEALTOOL" ] || fail "no $SEALTOOL (tests/tools/sealtool.c)"
	printf '%s' "$6" | "$SEALTOOL" seal "$STATE" "$2" "$1" "$3" "$4" "$5" \
	    ${8:+"$8"} > "$7" || fail "sealtool could not seal $3 for $1/$2: $6"
}

# open_plan RUNNER DEVICE FILE: the plan JSON, as the device opens it now
# (it refuses a plan older than one it accepted). With OPEN_STATE="$FRESH":
# as the device did right after enrolment (a plan captured earlier).
open_plan() {
	[ -x "$SEALTOOL" ] || fail "no $SEALTOOL (tests/tools/sealtool.c)"
	"$SEALTOOL" open-plan --state-dir "${OPEN_STATE:-$STATE}" "$1" "$2" "$3"
}

# open_ack RUNNER DEVICE FILE: the ack JSON, as the device opens it.
open_ack() {
	[ -x "$SEALTOOL" ] || fail "no $SEALTOOL (tests/tools/sealtool.c)"
	"$SEALTOOL" open-ack --state-dir "$STATE" "$1" "$2" "$3"
}

# retained_hex TOPIC: the retained payload on TOPIC in hex, '' if none.
retained_hex() {
	mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "$1" -C 1 -W 1 \
	    --retained-only -F '%x' 2>/dev/null || true
}

# hex_to FILE HEX: the bytes back from hex.
hex_to() {
	printf '%s' "$2" | xxd -r -p > "$1"
}

# seen_plans FILE RUNNER DEVICE: for each plan on RUNNER/DEVICE/plan in
# FILE (lines "[time] topic hex", as mosquitto_sub -F '%t %x' writes them),
# oldest first, its "ver" as DEVICE opens it; "refused" if it does not open.
seen_plans() {
	local hex json
	awk -v t="stridehub/v1/$2/$3/plan" 'NF >= 2 && $(NF - 1) == t {
	    print $NF }' "$1" |
	while read -r hex; do
		hex_to "$T/seen-plan.bin" "$hex"
		if json=$(OPEN_STATE="$FRESH" open_plan "$2" "$3" \
		    "$T/seen-plan.bin" 2>/dev/null)
		then
			plan_ver "$json"
		else
			echo refused
		fi
	done
}

# plan_ver JSON: the runner's plan number, "ver", of a plan's JSON.
plan_ver() {
	printf '%s\n' "$1" | sed -n 's/.*"ver":\([0-9]*\).*/\1/p'
}

# unsealed FILE: FILE holds "topic hex" lines (mosquitto_sub -F '%t %x') of
# stridehub/v1/#; print each message on a device's topic that is not a
# sealed envelope (docs/protocol.md section 17: 0x53, version 1) of its
# topic's kind. Empty payloads (a retained topic being cleared) and the
# hub's own topics pass.
unsealed() {
	awk '{
		n = split($1, p, "/")
		if (n != 5 || p[3] == "_hub" || $2 == "") next
		k = p[5] == "telemetry" ? "01" : p[5] == "event" ? "02" : \
		    p[5] == "symptom" ? "03" : p[5] == "status" ? "04" : \
		    p[5] == "ack" ? "05" : p[5] == "plan" ? "06" : \
		    p[5] == "relay" ? "07" : "??"
		if (substr($2, 1, 6) != "5301" k) print substr($0, 1, 160)
	}' "$1"
}

# hub_stat NAME: the figure before NAME in the hub's last "stats:" log line
# (written when it stops), e.g. hub_stat "bad envelope".
hub_stat() {
	grep "stats:" "$T/hub.log" | tail -n 1 | sed 's/.*stats: //' |
	    tr ',' '\n' | sed -n "s/^ *\([0-9][0-9]*\) $1\$/\1/p"
}

# within VALUE EXPECTED TOLERANCE: |VALUE - EXPECTED| <= TOLERANCE
within() {
	awk -v v="$1" -v e="$2" -v t="$3" \
	    'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= t) }'
}
