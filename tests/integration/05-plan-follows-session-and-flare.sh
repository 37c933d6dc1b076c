#!/bin/bash
# The plan loop through a real mosquitto, sealed: ana runs with a foot pod
# and a watch (and has a phone), all three enrolled. When the session closes
# the hub publishes her first plan, retained, on EACH device's plan topic,
# sealed to that device: it opens for that device only, and every device
# reads the same plan, the one the store holds. The next morning she types
# "much more aware" at the CLI; the running hub notices within a second and
# publishes a plan with a higher version and a lower distance. Her next run
# follows it on the watch (cues; the watch keeps the sealed plan in its state
# dir), and a during-run pain report made on her phone reaches the watch
# (relayed, sealed) as a stop cue. Then the hub's signing key is rotated
# while it runs: within a few seconds every device's plan is sealed again
# under the new key (a device that has not followed the rotation refuses
# it), the chain is on _hub/keys, and the pod, at its next connection,
# follows the chain and takes the re-sealed plan.
. "$(dirname "$0")/lib.sh"

DEVS="ana-pod ana-watch ana-phone"
broker_start
hub_start
for d in $DEVS; do enrol ana "$d"; done
start=$(( $(date +%s) * 1000 ))

# Every plan and relay to any of ana's devices, with the arrival time (Unix
# s.ns) and the sealed bytes in hex.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -F '%U %t %x' \
    -t 'stridehub/v1/ana/+/plan' -t 'stridehub/v1/ana/+/relay' \
    > "$T/plans.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"

run() {	# device role log [extra agent flags...]
	dev=$1 role=$2 log=$3; shift 3
	stride_agent ana "$dev" "$role" run --synthetic --duration-s 600 \
	    --pace-s-per-km 360 --cadence 168 --hills 2 --seed 5 --speed 40 \
	    "$@" > "$T/$log.log" 2>&1
}
run ana-pod footpod pod1 --start-ms "$start" & a1=$!
run ana-watch watch watch1 --start-ms "$start" & a2=$!
wait $a1 || fail "foot pod agent failed"
wait $a2 || fail "watch agent failed"
grep -q "^cues plan 0 " "$T/watch1.log" || fail "the first run had a plan?"

closed() { [ "$(sql "select count(*) from sessions where open = 0")" = 1 ]; }
wait_for 20 closed || fail "session not closed"

# The plans seen live, each opened as the device whose topic it came on
# (with its state as enrolled: a device that accepted a newer plan since
# rightly refuses an older one, checked at the end):
# $T/seen.txt gets "arrival device ver" per plan, $T/DEVICE-VER.json its
# JSON and $T/DEVICE-VER.hex its sealed bytes (the latest seen of that ver).
# A plan that does not open for its own device is noted in $T/refused.txt
# (scan runs under wait_for, which hides what it says).
scanned=0
refused() {
	[ ! -s "$T/refused.txt" ] ||
		fail "a plan does not open for its own device: $(cat "$T/refused.txt")"
}
scan() {
	local n=0 at topic hex dev json
	while read -r at topic hex; do
		n=$((n + 1))
		[ "$n" -gt "$scanned" ] || continue
		scanned=$n
		case "$topic" in */plan) ;; *) continue ;; esac
		dev=${topic#stridehub/v1/ana/}; dev=${dev%/plan}
		hex_to "$T/one.bin" "$hex"
		if ! json=$(OPEN_STATE="$FRESH" open_plan ana "$dev" \
		    "$T/one.bin" 2> "$T/open.err"); then
			echo "$dev: $(cat "$T/open.err")" >> "$T/refused.txt"
			continue
		fi
		v=$(plan_ver "$json")
		printf '%s %s %s\n' "$at" "$dev" "$v" >> "$T/seen.txt"
		printf '%s\n' "$json" > "$T/$dev-$v.json"
		printf '%s\n' "$hex" > "$T/$dev-$v.hex"
	done < "$T/plans.txt"
	: >> "$T/seen.txt"
}
has_plan() {	# device ver
	scan
	[ ! -s "$T/refused.txt" ] && [ -f "$T/$1-$2.json" ]
}
num() {	# key json
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

for d in $DEVS; do
	wait_for 10 has_plan "$d" 1 || { refused; fail "no plan 1 on $d's plan topic"; }
	# Retained: a device that subscribes later gets it at once, the same
	# sealed bytes.
	got=$(retained_hex "stridehub/v1/ana/$d/plan")
	[ -n "$got" ] || fail "no retained plan on $d"
	scan
	[ "$got" = "$(cat "$T/$d-1.hex")" ] || fail "retained plan on $d differs"
done
v1=$(cat "$T/ana-watch-1.json")
dist1=$(num dist "$v1")
for d in $DEVS; do
	[ "$(cat "$T/$d-1.json")" = "$v1" ] || fail "the devices got different plans"
done
# Sealed to one device: no other device (nor anyone else) opens it, and no
# plan JSON crosses the broker in clear.
for d in $DEVS; do
	hex_to "$T/p.bin" "$(cat "$T/$d-1.hex")"
	for o in $DEVS; do
		[ "$o" = "$d" ] && continue
		open_plan ana "$o" "$T/p.bin" > /dev/null 2>&1 &&
			fail "$d's plan opens for $o"
	done
	[ "$(cat "$T/$d-1.hex")" != "$(cat "$T/ana-watch-1.hex")" ] ||
	    [ "$d" = ana-watch ] || fail "$d and ana-watch got the same sealed bytes"
done
grep -q "$(printf '"ver":' | xxd -p)" "$T/plans.txt" &&
	fail "a plan in clear on the broker"
"$HUB" -f "$DB" plan ana > "$T/plan1.txt" || fail "stridehub plan failed"
grep -Eq "^reason +START " "$T/plan1.txt" || fail "plan 1 has no START reason: $(cat "$T/plan1.txt")"
grep -Eq "^plan +1$" "$T/plan1.txt" || fail "stridehub plan does not show version 1"
[ "$("$HUB" -f "$DB" plan ana --json)" = "$v1" ] || fail "stored plan differs from the published one"

# The next morning: much more aware of the tendon, typed at the CLI while
# the hub runs. The hub polls the store each tick: well within a second.
before=$(date +%s.%N)
"$HUB" -f "$DB" report ana much_aware --score 6 > "$T/report.txt" ||
	fail "stridehub report failed"
for d in $DEVS; do
	wait_for 5 has_plan "$d" 2 || { refused; fail "no plan 2 on $d after the flare report"; }
done
v2=$(cat "$T/ana-watch-2.json")
dist2=$(num dist "$v2")
for d in $DEVS; do
	[ "$(cat "$T/$d-2.json")" = "$v2" ] || fail "the devices got different plans 2"
done
awk -v a="$dist2" -v b="$dist1" 'BEGIN { exit !(a < b) }' ||
	fail "plan 2 is not easier: $dist2 m vs $dist1 m"
arrived=$(awk '$3 == 2 { print $1; exit }' "$T/seen.txt")
awk -v a="$arrived" -v b="$before" 'BEGIN { exit !(a - b < 1.5) }' ||
	fail "plan 2 took $(awk -v a="$arrived" -v b="$before" 'BEGIN { print a - b }') s after the report"
"$HUB" -f "$DB" plan ana > "$T/plan2.txt"
grep -Eq "^reason +SYMPTOM_FLARE " "$T/plan2.txt" || fail "plan 2 lacks SYMPTOM_FLARE: $(cat "$T/plan2.txt")"
grep -Eq "^direction +easier$" "$T/plan2.txt" || fail "plan 2 is not 'easier'"
# Nothing changed since: no plan 3.
sleep 1
scan
refused
[ "$(awk '$3 == 3' "$T/seen.txt" | wc -l)" = 0 ] || fail "a plan 3 with nothing new"

# The watch kept plan 2 (it was offline when it was made: retained).
run ana-watch watch watch2 & a3=$!
# A during-run pain report from her phone, part-way through the run.
sleep 4
stride_agent ana ana-phone watch report --when during --level painful \
    > "$T/phone.log" 2>&1 || fail "phone report failed"
wait $a3 || fail "second watch run failed"
grep -Eq "plan 2 received" "$T/watch2.log" ||
	fail "the watch did not say it received plan 2: $(grep plan "$T/watch2.log")"
grep -q "^cues plan 2 " "$T/watch2.log" || fail "the run did not follow plan 2: $(grep '^cues' "$T/watch2.log")"
grep -Eq "^cue [0-9]+:[0-9]{2} pain_stop stop: " "$T/watch2.log" ||
	fail "no stop cue after the pain report"
grep -Eq "^cue [0-9]+:[0-9]{2} distance( stop)?: " "$T/watch2.log" ||
	fail "no distance cue: plan 2 allows $dist2 m of a 1.6 km run"
# The watch keeps the newest plan it was sent while it ran (the pain report
# may make a plan 3 during the run, and the session's close another) as the
# sealed bytes that came, re-checked at every start: it opens for the watch
# only.
scan
refused
P="$STATE/ana-watch.plan"
[ -s "$P" ] || fail "the watch kept no plan file"
grep -q '"ver":' "$P" && fail "the watch keeps its plan in clear"
kept=$(xxd -p "$P" | tr -d '\n')
grep -q " stridehub/v1/ana/ana-watch/plan $kept\$" "$T/plans.txt" ||
	fail "the watch's plan file is not a sealed plan it was sent"
json=$(open_plan ana ana-watch "$P") || fail "the watch's plan file does not open"
kv=$(plan_ver "$json")
[ "$kv" -ge 2 ] && [ "$json" = "$(cat "$T/ana-watch-$kv.json")" ] ||
	fail "the watch's plan file opens as plan $kv: $json"
open_plan ana ana-pod "$P" > /dev/null 2>&1 && fail "the watch's plan opens for the pod"
# The phone's report came to the watch relayed by the hub, sealed.
grep -q '^[^ ]* stridehub/v1/ana/ana-watch/relay 5301' "$T/plans.txt" ||
	fail "no sealed relay to the watch"
grep -q ' stridehub/v1/ana/ana-phone/relay ' "$T/plans.txt" &&
	fail "the phone's own report was relayed back to it"
bad=$(awk '{ print $2, $3 }' "$T/plans.txt" | unsealed /dev/stdin)
[ -z "$bad" ] || fail "not sealed: $bad"
# The hub recorded the cues the watch counted, with the session.
cued() { [ "$(sql "select count(*) from session_cues where cue = 6 and count >= 1")" -ge 1 ]; }
wait_for 20 cued || fail "the hub did not record the pain stop cue: $(sql 'select * from session_cues')"
sid=$(sql "select session_id from session_cues where cue = 6 and count >= 1 limit 1")
"$HUB" -f "$DB" session "$sid" | grep -Eq "^cues .*pain_stop=[1-9]" ||
	fail "stridehub session does not show the cues"
hub_alive || fail "hub died"
pass "plan 1 ($dist1 m) sealed to each of 3 devices, retained, opens for its own only; flare -> plan 2 ($dist2 m); cues on the watch, relay sealed"

# The hub's key is rotated while it runs, once the second run's session
# has closed and its plan is out.
closed2() { [ "$(sql "select count(*) from sessions where open = 0")" = 2 ]; }
wait_for 20 closed2 || fail "the second session did not close"
sleep 1
for d in $DEVS; do
	retained_hex "stridehub/v1/ana/$d/plan" > "$T/$d-before-rot.hex"
done
now_plan=$("$HUB" -f "$DB" plan ana --json)
"$HUB" -f "$DB" key rotate > "$T/rotate.txt" 2>&1 ||
	fail "stridehub key rotate failed: $(cat "$T/rotate.txt")"
new_fp=$(field hub_sign_fp "$(cat "$T/rotate.txt")")
[ -n "$new_fp" ] && [ "$new_fp" != "$HUB_SIGN_FP" ] ||
	fail "key rotate shows no new signing key: $(cat "$T/rotate.txt")"
resealed() {	# device
	hex=$(retained_hex "stridehub/v1/ana/$1/plan")
	[ -n "$hex" ] && [ "$hex" != "$(cat "$T/$1-before-rot.hex")" ]
}
for d in $DEVS; do
	wait_for 5 resealed "$d" || fail "$d's plan was not sealed again after the rotation"
done
chain=$(retained_hex stridehub/v1/_hub/keys)
[ -n "$chain" ] || fail "no rotation chain on _hub/keys"
hex_to "$T/chain.bin" "$chain"
for d in $DEVS; do
	hex_to "$T/rot.bin" "$(retained_hex "stridehub/v1/ana/$d/plan")"
	# Not followed the rotation yet: the new key is unknown to it.
	OPEN_STATE="$FRESH" open_plan ana "$d" "$T/rot.bin" > /dev/null 2> "$T/rot.err" &&
		fail "$d opened a plan of a hub key it does not know yet"
	grep -q "unknown hub key" "$T/rot.err" ||
		fail "$d refused the re-sealed plan for another reason: $(cat "$T/rot.err")"
	# Followed (the chain from _hub/keys): the same plan, under the new key.
	rm -rf "$T/rot-state"
	cp -rp "$FRESH" "$T/rot-state"
	"$SEALTOOL" apply-keys "$T/rot-state" "$d" --save < "$T/chain.bin" \
	    > /dev/null || fail "$d cannot follow the rotation chain"
	json=$(OPEN_STATE="$T/rot-state" open_plan ana "$d" "$T/rot.bin") ||
		fail "$d cannot open its re-sealed plan after following the chain"
	[ "$json" = "$now_plan" ] ||
		fail "$d's re-sealed plan is not the current plan: $json, not $now_plan"
done
# The pod's next connection: it follows the chain itself and keeps the plan.
stride_agent ana ana-pod footpod report --when next_day --level usual \
    > "$T/pod-rot.log" 2>&1 || fail "the pod's report after the rotation failed"
grep -q "rotated its key.*$new_fp" "$T/pod-rot.log" ||
	fail "the pod did not follow the rotation: $(grep -i 'key\|plan' "$T/pod-rot.log")"
grep -q "plan [0-9]* received" "$T/pod-rot.log" ||
	fail "the pod did not take the re-sealed plan: $(grep -i plan "$T/pod-rot.log")"
json=$(open_plan ana ana-pod "$STATE/ana-pod.plan") ||
	fail "the pod's stored plan does not open with its own trust after the rotation"
[ "$json" = "$now_plan" ] || fail "the pod keeps another plan: $json"
hub_alive || fail "hub died"
pass "key rotated while running: 3 plans sealed again under $new_fp, refused until the chain is followed; the pod followed it"
