#!/bin/bash
# Sealed QoS 1 redelivery and re-sends are stored once. Everything else a
# stranger or a broken device can put on a device's topic is dropped with a
# reason in the log, and the hub keeps running and storing: plain JSON (even
# well-formed, from an enrolled device's topic), envelopes that are too
# short, too large, damaged, with flags, on another kind's topic, replayed
# under another seq, for a device never enrolled; and, inside good
# envelopes, malformed, deeply nested, duplicate-key, badly encoded,
# out-of-range and stale messages, or a header that says another seq than
# the JSON. The hub's ack comes back sealed and opens for the device. There
# is no unsealed mode to fall back to: a hub without its key and an agent
# without its key or its trust in the hub refuse to start.
. "$(dirname "$0")/lib.sh"

broker_start
mkdir "$T/nokey"
set +e
"$HUB" -d -f "$T/nokey/hub.db" -H 127.0.0.1 -p "$PORT" > "$T/nokey/hub.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "no hub key in $T/nokey/keys: run \`stridehub key init\`" \
    "$T/nokey/hub.out" || fail "a hub without a key: exit $rc, $(cat "$T/nokey/hub.out")"
hub_start
enrol ana pod
# A device with no key, then with a key but not enrolled: nothing sent.
for step in none keygen; do
	[ "$step" = keygen ] && { "$AGENT" --state-dir "$STATE" --device pod2 \
	    keygen > /dev/null || fail "keygen pod2"; }
	set +e
	stride_agent ana pod2 footpod --ack-timeout-s 2 report --when during \
	    --level painful > "$T/pod2.out" 2>&1
	rc=$?
	set -e
	want="no device key in $STATE: run"
	[ "$step" = keygen ] && want="not enrolled: run"
	[ "$rc" = 1 ] && grep -q "$want" "$T/pod2.out" ||
		fail "an agent with $step: exit $rc, $(cat "$T/pod2.out")"
done
t0=$(( ($(date +%s) - 60) * 1000 ))
tel() {	# seq second
	printf '{"v":1,"epoch":5,"seq":%d,"role":"footpod","samples":[{"t":%d,"cad":170,"spd":3.1,"dist":%d}]}' \
	    "$1" $((t0 + $2 * 1000)) $(($2 * 3))
}
S="$T/sealed"
mkdir "$S"
for s in 1 2 3 4; do seal ana pod telemetry "$(tel $s $s)" "$S/tel$s"; done
for s in 1 2 3; do pub_file ana/pod/telemetry "$S/tel$s"; done
# The same three again, as a redelivery or a device's re-send would.
for s in 1 2 3; do pub_file ana/pod/telemetry "$S/tel$s"; done

# Not sealed: plain JSON, good or bad, is never read.
pub ana/pod/telemetry "$(tel 4 4)"					# not sealed
pub ana/pod/telemetry "$(head -c 5000 /dev/zero | tr '\0' ' ')"		# too large
pub ana/pod/telemetry "$(printf '\377\376garbage')"			# too short
# Envelopes damaged or misused.
bytes() { "$SEALTOOL" "$@" < "$S/tel4" > "$S/x" || fail "sealtool $*"; }
bytes flip 40;	pub_file ana/pod/telemetry "$S/x"			# ciphertext
bytes flip 11;	pub_file ana/pod/telemetry "$S/x"			# seq 4 -> 5
bytes flip 3;	pub_file ana/pod/telemetry "$S/x"			# flags
bytes truncate 52; pub_file ana/pod/telemetry "$S/x"			# no room
bytes extend 4100; pub_file ana/pod/telemetry "$S/x"			# oversized
pub_file ana/pod/event "$S/tel4"					# kind != topic
# A device the hub never enrolled, with a key it never saw.
seal_raw ana pod telemetry 5 4 "$(tel 4 4)" "$S/ghost" ghost
pub_file ana/ghost/telemetry "$S/ghost"
pub_file ANA/pod/telemetry "$S/tel4"					# bad runner id
pub_file ana/pod/nonsense "$S/tel4"					# not subscribed
# Sealed by the device, but what is inside is bad.
hostile() {	# kind epoch seq text
	seal_raw ana pod "$1" "$2" "$3" "$4" "$S/h"
	pub_file "ana/pod/$1" "$S/h"
}
hostile telemetry 5 4 '{"v":1,"epoch":5,"seq":4,'			# truncated
hostile telemetry 5 4 '[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]'
hostile telemetry 5 4 '{"v":1,"epoch":5,"seq":4,"seq":4,"role":"footpod","samples":[{"t":1764000000000,"cad":170}]}'
hostile telemetry 5 4 '{"v":1,"epoch":5,"seq":4,"role":"footpod","samples":[{"t":1764000000000,"cad":999}]}'
hostile telemetry 5 4 "$(printf '{"v":1,"epoch":5,"seq":4,"role":"\377"}')"	# bad UTF-8
hostile telemetry 5 4 "$(printf '\377\376garbage')"			# invalid byte
hostile event 5 4 '{"v":1,"epoch":5,"seq":4,"t":1764000000000,"type":"jump"}'
hostile telemetry 5 9 "$(tel 4 4)"					# header seq 9, JSON 4
hostile telemetry 4 1 "$(tel 1 1 | sed 's/"epoch":5/"epoch":4/')"	# stale epoch
# And a good message after all that.
pub_file ana/pod/telemetry "$S/tel4"

four() { [ "$(sql "select count(*) from chunks")" = 4 ]; }
wait_for 10 four || fail "stored $(sql 'select count(*) from chunks') chunks, want 4"
hub_alive || fail "hub died on hostile input"
sleep 0.5
[ "$(sql "select count(*) from chunks")" = 4 ] || fail "a bad or duplicate message was stored"
[ "$(sql "select count(*) from devices d join runners r on r.id = d.runner_id where d.name = 'ghost' or r.name = 'ANA'")" = 0 ] ||
	fail "a message created a device: $(sql 'select name from devices')"
# (Anything over 4148 bytes is dropped by the MQTT edge, before the worker.)
for why in "not a sealed envelope" "over 4148 bytes" "envelope too short" \
    "authentication failed" "envelope flags set" \
    "envelope kind does not match topic" "unknown or revoked device" \
    "truncated" "nesting too deep" "duplicate key" "cad out of range" \
    "bad runner id" "invalid UTF-8" "invalid byte" "unknown type" "older than" \
    "sealed header does not match message"; do
	grep -q "$why" "$T/hub.log" || fail "no log line saying '$why'"
done
# The hub acknowledged the device's messages up to 5.4, sealed for it.
hex=$(retained_hex stridehub/v1/ana/pod/ack)
case "$hex" in 530105*) ;; *) fail "the ack is not a sealed ack: ${hex:0:40}" ;; esac
hex_to "$S/ack" "$hex"
ack=$(open_ack ana pod "$S/ack") || fail "the ack does not open for the device"
echo "$ack" | grep -q '"epoch":5,"seq":4' || fail "ack is '$ack'"
hub_stop
grep -q "stopped" "$T/hub.log" || fail "hub did not stop cleanly"
# Each message counted once, under its reason.
for c in "4 stored" "3 duplicates" "1 stale" "1 bad topic" \
    "1 unknown device" "7 bad envelope" "7 bad payload" "1 mismatch"; do
	[ "$(hub_stat "${c#* }")" = "${c%% *}" ] ||
		fail "hub counted $(hub_stat "${c#* }") ${c#* }, want ${c%% *}: $(grep 'stats:' "$T/hub.log" | tail -n 1)"
done
pass "4 sealed stored once each; plain JSON, bad envelopes, an unknown device and bad sealed JSON all dropped with a reason; ack sealed"
