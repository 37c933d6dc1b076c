#!/bin/bash
# The plan loop through a real mosquitto: ana runs with a foot pod and a
# watch; when the session closes the hub publishes her first plan, retained,
# on EACH device's plan topic. The next morning she types "much more aware"
# at the CLI; the running hub notices within a second and publishes a plan
# with a higher version and a lower distance. Her next run follows it on the
# watch (cues), and a during-run pain report made on her phone is a stop cue
# on the watch.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
start=$(( $(date +%s) * 1000 ))

# Every plan of any of ana's devices, with the arrival time (Unix s.ns).
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -F '%U %t %p' \
    -t 'stridehub/v1/ana/+/plan' > "$T/plans.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"

run() {	# device role log [extra agent flags...]
	dev=$1 role=$2 log=$3; shift 3
	"$AGENT" --runner ana --device "$dev" --role "$role" --host 127.0.0.1 \
	    --port "$PORT" --state-dir "$T" run --synthetic --duration-s 600 \
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

# The payload of the latest plan of a device seen live, and its fields.
plan_of() {	# device version
	awk -v t="stridehub/v1/ana/$1/plan" -v v="\"ver\":$2," \
	    '$2 == t { sub(/^[^ ]+ [^ ]+ /, ""); if (index($0, v)) p = $0 }
	    END { print p }' "$T/plans.txt"
}
num() {	# key json
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}
has_plan() { [ -n "$(plan_of "$1" "$2")" ]; }

for d in ana-pod ana-watch; do
	wait_for 10 has_plan "$d" 1 || fail "no plan 1 on $d's plan topic"
	# Retained: a device that subscribes later gets it at once.
	got=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "stridehub/v1/ana/$d/plan" \
	    -C 1 -W 5 --retained-only) || fail "no retained plan on $d"
	[ "$got" = "$(plan_of "$d" 1)" ] || fail "retained plan on $d differs: $got"
done
v1=$(plan_of ana-watch 1)
dist1=$(num dist "$v1")
[ "$(plan_of ana-pod 1)" = "$v1" ] || fail "the devices got different plans"
"$HUB" -f "$DB" plan ana > "$T/plan1.txt" || fail "stridehub plan failed"
grep -Eq "^reason +START " "$T/plan1.txt" || fail "plan 1 has no START reason: $(cat "$T/plan1.txt")"
grep -Eq "^plan +1$" "$T/plan1.txt" || fail "stridehub plan does not show version 1"
[ "$("$HUB" -f "$DB" plan ana --json)" = "$v1" ] || fail "stored plan differs from the published one"

# The next morning: much more aware of the tendon, typed at the CLI while
# the hub runs. The hub polls the store each tick: well within a second.
before=$(date +%s.%N)
"$HUB" -f "$DB" report ana much_aware --score 6 > "$T/report.txt" ||
	fail "stridehub report failed"
for d in ana-pod ana-watch; do
	wait_for 5 has_plan "$d" 2 || fail "no plan 2 on $d after the flare report"
done
v2=$(plan_of ana-watch 2)
dist2=$(num dist "$v2")
[ "$(plan_of ana-pod 2)" = "$v2" ] || fail "the devices got different plans 2"
awk -v a="$dist2" -v b="$dist1" 'BEGIN { exit !(a < b) }' ||
	fail "plan 2 is not easier: $dist2 m vs $dist1 m"
arrived=$(awk -v v='"ver":2,' 'index($0, v) { print $1; exit }' "$T/plans.txt")
awk -v a="$arrived" -v b="$before" 'BEGIN { exit !(a - b < 1.5) }' ||
	fail "plan 2 took $(awk -v a="$arrived" -v b="$before" 'BEGIN { print a - b }') s after the report"
"$HUB" -f "$DB" plan ana > "$T/plan2.txt"
grep -Eq "^reason +SYMPTOM_FLARE " "$T/plan2.txt" || fail "plan 2 lacks SYMPTOM_FLARE: $(cat "$T/plan2.txt")"
grep -Eq "^direction +easier$" "$T/plan2.txt" || fail "plan 2 is not 'easier'"
# Nothing changed since: no plan 3.
sleep 1
[ "$(grep -c '"ver":3,' "$T/plans.txt")" = 0 ] || fail "a plan 3 with nothing new"

# The watch kept plan 2 (it was offline when it was made: retained).
run ana-watch watch watch2 & a3=$!
# A during-run pain report from her phone, part-way through the run.
sleep 4
"$AGENT" --runner ana --device ana-phone --role watch --host 127.0.0.1 \
    --port "$PORT" --state-dir "$T" report --when during --level painful \
    > "$T/phone.log" 2>&1 || fail "phone report failed"
wait $a3 || fail "second watch run failed"
grep -q "^cues plan 2 " "$T/watch2.log" || fail "the run did not follow plan 2: $(grep '^cues' "$T/watch2.log")"
grep -Eq "^cue [0-9]+:[0-9]{2} pain_stop stop: " "$T/watch2.log" ||
	fail "no stop cue after the pain report"
grep -Eq "^cue [0-9]+:[0-9]{2} distance( stop)?: " "$T/watch2.log" ||
	fail "no distance cue: plan 2 allows $dist2 m of a 1.6 km run"
grep -q '"ver":' "$T/ana-watch.plan" || fail "the watch kept no plan file"
# The hub recorded the cues the watch counted, with the session.
cued() { [ "$(sql "select count(*) from session_cues where cue = 6 and count >= 1")" -ge 1 ]; }
wait_for 20 cued || fail "the hub did not record the pain stop cue: $(sql 'select * from session_cues')"
sid=$(sql "select session_id from session_cues where cue = 6 and count >= 1 limit 1")
"$HUB" -f "$DB" session "$sid" | grep -Eq "^cues .*pain_stop=[1-9]" ||
	fail "stridehub session does not show the cues"
hub_alive || fail "hub died"
pass "plan 1 ($dist1 m) on both devices, retained; flare -> plan 2 ($dist2 m); cues on the watch"
