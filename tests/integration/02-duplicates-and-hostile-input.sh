#!/bin/bash
# QoS 1 redelivery and re-sends are stored once; malformed, oversized,
# deeply nested, mis-addressed and out-of-range messages are dropped with a
# reason in the log, and the hub keeps running and storing.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
t0=$(( ($(date +%s) - 60) * 1000 ))
tel() {	# seq second
	printf '{"v":1,"epoch":5,"seq":%d,"role":"footpod","samples":[{"t":%d,"cad":170,"spd":3.1,"dist":%d}]}' \
	    "$1" $((t0 + $2 * 1000)) $(($2 * 3))
}
for s in 1 2 3; do pub ana/pod/telemetry "$(tel $s $s)"; done
# The same three again, as a redelivery or a device's re-send would.
for s in 1 2 3; do pub ana/pod/telemetry "$(tel $s $s)"; done

pub ana/pod/telemetry '{"v":1,"epoch":5,"seq":4,'			# truncated
pub ana/pod/telemetry "$(head -c 5000 /dev/zero | tr '\0' ' ')"		# oversized
pub ana/pod/telemetry '[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]'
pub ana/pod/telemetry '{"v":1,"epoch":5,"seq":4,"seq":4,"role":"footpod","samples":[{"t":1764000000000,"cad":170}]}'
pub ana/pod/telemetry '{"v":1,"epoch":5,"seq":4,"role":"footpod","samples":[{"t":1764000000000,"cad":999}]}'
pub ANA/pod/telemetry "$(tel 4 4)"					# bad runner id
pub ana/pod/nonsense "$(tel 4 4)"					# not subscribed: never seen
pub ana/pod/telemetry "$(printf '\377\376garbage')"
pub ana/pod/event '{"v":1,"epoch":5,"seq":4,"t":1764000000000,"type":"jump"}'
pub ana/pod/telemetry "$(tel 1 1 | sed 's/"epoch":5/"epoch":4/')"	# stale epoch
# And a good message after all that.
pub ana/pod/telemetry "$(tel 4 4)"

four() { [ "$(sql "select count(*) from chunks")" = 4 ]; }
wait_for 10 four || fail "stored $(sql 'select count(*) from chunks') chunks, want 4"
hub_alive || fail "hub died on hostile input"
sleep 0.5
[ "$(sql "select count(*) from chunks")" = 4 ] || fail "a bad or duplicate message was stored"
for why in "truncated" "over 4096 bytes" "nesting too deep" "duplicate key" \
    "cad out of range" "bad runner id" "invalid byte" "unknown type" "older than"; do
	grep -q "$why" "$T/hub.log" || fail "no log line saying '$why'"
done
# The hub acknowledged the device's messages up to 5.4.
ack=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t stridehub/v1/ana/pod/ack -C 1 -W 5)
echo "$ack" | grep -q '"epoch":5,"seq":4' || fail "ack is '$ack'"
hub_stop
grep -q "stopped" "$T/hub.log" || fail "hub did not stop cleanly"
pass "4 stored once each, every hostile message dropped with a reason"
