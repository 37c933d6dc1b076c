#!/bin/bash
# Home Assistant through a real mosquitto (docs/homeassistant.md). Ana runs
# with a foot pod and a watch; with no setting typed (ha is on by default)
# the hub announces her to HA:
#  (a) every discovery config is retained under homeassistant/, with unique
#      ids, and the state topic each one names carries the key its
#      value_template reads (retained, except the live values, which came
#      during the run and ended all null); the plan sensor shows the plan
#      her devices got;
#  (b) an MQTT client writing HA's select ("much_aware") makes a next-day
#      report and a new plan (higher version) on each device's plan topic,
#      sealed to that device: it opens for it and for no other (HA's own
#      command and state topics stay plain JSON);
#      a command for a runner the hub does not know creates nothing; a
#      retained command is refused when the hub (re)subscribes;
#  (c) a restarted HA (a discovery config deleted, then "online" on
#      homeassistant/status) gets discovery again; a second birth within a
#      minute does not, the hub's own reconnect does.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
enrol ana ana-pod
enrol ana ana-watch
# A height: the hub can then judge the week's runs for overstride before
# it has a cadence history of the runner's own.
"$HUB" -f "$DB" profile ana --height-cm 175 > "$T/profile.txt" 2>&1 ||
	fail "profile: $(cat "$T/profile.txt")"

# Everything the hub says to HA as it arrives; the devices' sealed plans
# (binary) in hex, apart.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -v -t 'homeassistant/#' \
    -t 'stridehub/ha/#' > "$T/seen.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -F '%t %x' \
    -t 'stridehub/v1/ana/+/plan' > "$T/plans.txt" 2> "$T/sub2.log" &
PIDS="$PIDS $!"

# The run ended before the hub's "now" (it is replayed 40x faster than it
# was run), so its next-day report is due as it would be the next morning.
start=$(( ($(date +%s) - 900) * 1000 ))
run() {	# device role
	stride_agent ana "$1" "$2" run --synthetic --duration-s 400 \
	    --pace-s-per-km 360 --cadence 168 --hills 0 --seed 8 --speed 40 \
	    --start-ms "$start" > "$T/$1.log" 2>&1
}
run ana-pod footpod & a1=$!
run ana-watch watch & a2=$!
wait $a1 || fail "foot pod agent failed"
wait $a2 || fail "watch agent failed"
closed() { [ "$(sql "select count(*) from sessions where open = 0")" = 1 ]; }
wait_for 20 closed || fail "session not closed"

# retained FILTER: every retained message under FILTER, "topic payload".
retained() {
	mosquitto_sub -h 127.0.0.1 -p "$PORT" -v -t "$1" --retained-only \
	    -W 1 2>/dev/null || true
}
# str KEY JSON / num KEY JSON: a string or number value of our flat JSON.
str() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\(-\{0,1\}[0-9.]*\).*/\1/p"; }
payload_of() {	# topic file: the last payload seen on topic
	awk -v t="$1" '$1 == t { sub(/^[^ ]+ /, ""); p = $0 } END { print p }' "$2"
}
has_state() {	# topic regex: a retained state on topic matches
	retained "$1" | grep -q "$2"
}
wait_for 10 has_state stridehub/ha/ana/session '"distance_km":[0-9]' ||
	fail "no session summary for HA"
wait_for 10 has_state stridehub/ha/ana/plan '"version":1,' ||
	fail "no plan 1 for HA"
wait_for 10 has_state stridehub/ha/ana/report '"status":"due"' ||
	fail "the next-day report is not due after the run"
# The week: this flat run was judged (168 steps/min is not overstriding for a
# 1.75 m runner at 2.8 m/s), so the share is a number, not unknown.
wait_for 10 has_state stridehub/ha/ana/week '"overstride_pct":0[,}]' ||
	fail "the week's overstride share is not 0: $(retained stridehub/ha/ana/week)"

# (a) Discovery: retained, complete, unique ids, topics that carry it.
retained 'homeassistant/+/stridehub_ana/+/config' > "$T/configs.txt"
retained 'stridehub/ha/ana/#' > "$T/states.txt"
n=$(wc -l < "$T/configs.txt")
[ "$n" -ge 23 ] || fail "only $n discovery configs (21 + 2 devices expected)"
for t in sensor/stridehub_ana/live_cadence select/stridehub_ana/report \
    number/stridehub_ana/score sensor/stridehub_ana/plan_distance \
    binary_sensor/stridehub_ana/D_ana-pod_online \
    binary_sensor/stridehub_ana/D_ana-watch_online; do
	grep -q "^homeassistant/$t/config {" "$T/configs.txt" ||
		fail "no retained discovery config homeassistant/$t/config"
done
dups=$(sed -n 's/.*"unique_id":"\([^"]*\)".*/\1/p' "$T/configs.txt" | sort |
    uniq -d)
[ -z "$dups" ] || fail "unique_id used twice: $dups"
[ "$(sed -n 's/.*"unique_id":"\([^"]*\)".*/\1/p' "$T/configs.txt" |
    wc -l)" = "$n" ] || fail "a config without a unique_id"
checked=0
while read -r topic json; do
	st=$(str state_topic "$json")
	key=$(printf '%s\n' "$json" |
	    sed -n 's/.*"state_topic":"[^"]*","value_template":"{{ value_json\.\([a-z_]*\) }}".*/\1/p')
	[ -n "$st" ] && [ -n "$key" ] || fail "$topic: no state_topic or value_template"
	case "$st" in
	stridehub/ha/ana/live)
		# Not retained: it came during the run.
		state=$(payload_of "$st" "$T/seen.txt") ;;
	*)	state=$(payload_of "$st" "$T/states.txt") ;;
	esac
	[ -n "$state" ] || fail "$topic names $st, which carries nothing"
	printf '%s\n' "$state" | grep -q "\"$key\":" ||
		fail "$topic reads $key, which $st does not carry: $state"
	avail=$(printf '%s\n' "$json" |
	    sed -n 's/.*"availability":\[{"topic":"\([^"]*\)".*/\1/p')
	[ "$avail" = stridehub/v1/_hub/status ] ||
		fail "$topic: availability is not the hub's status ($avail)"
	checked=$((checked + 1))
done < "$T/configs.txt"
retained stridehub/v1/_hub/status | grep -q '"state":"online"' ||
	fail "the hub's status (every entity's availability) is not online"

# Spot checks: the plan sensor's state is the devices' plan; the last run
# is the stored session; the live values came and ended all null.
# The devices' plan: the retained sealed plan, as the watch opens it.
hex_to "$T/plan1.bin" "$(retained_hex stridehub/v1/ana/ana-watch/plan)"
plan1=$(open_plan ana ana-watch "$T/plan1.bin") ||
	fail "no retained plan on the watch that opens for it"
dist=$(num dist "$plan1")
[ -n "$dist" ] || fail "the watch's plan has no distance: $plan1"
hplan=$(payload_of stridehub/ha/ana/plan "$T/states.txt")
within "$(num max_distance_km "$hplan")" "$(awk -v d="$dist" 'BEGIN { print d / 1000 }')" 0.005 ||
	fail "HA's plan max distance $(num max_distance_km "$hplan") km is not the plan's $dist m"
[ "$(num version "$hplan")" = "$(num ver "$plan1")" ] ||
	fail "HA shows plan $(num version "$hplan"), the devices $(num ver "$plan1")"
hsess=$(payload_of stridehub/ha/ana/session "$T/states.txt")
within "$(num distance_km "$hsess")" \
    "$(sql "select distance_m / 1000.0 from sessions where open = 0")" 0.01 ||
	fail "HA's last run is not the stored session: $hsess"
grep -q '^stridehub/ha/ana/live {"cadence":1[0-9][0-9]' "$T/seen.txt" ||
	fail "no live cadence during the run"
[ "$(payload_of stridehub/ha/ana/live "$T/seen.txt")" = \
    '{"cadence":null,"speed":null,"pace":null,"grade":null,"distance_km":null,"duration_s":null}' ] ||
	fail "the live values did not end all null"
lives=$(grep -c '^stridehub/ha/ana/live ' "$T/seen.txt")
[ "$lives" -le 6 ] || fail "$lives live messages in a 10 s run: not throttled"
pass "(a) $checked discovery configs retained, each state topic carries its key; plan $dist m"

# (b) The select, as HA writes it: a report, and a new plan on the devices.
v1=$(num ver "$plan1")
runners=$(sql "select count(*) from runners")
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t stridehub/ha/nobody/report/set -m usual
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t stridehub/ha/ana/report/set -m 'much aware'
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t stridehub/ha/ana/report/set -m much_aware
newer_plan() {	# device: a plan above v1 on its plan topic, as it opens it
	v=$(seen_plans "$T/plans.txt" ana "$1" | grep -v refused | tail -n 1)
	[ -n "$v" ] && [ "$v" -gt "$v1" ]
}
for d in ana-pod ana-watch; do
	wait_for 10 newer_plan "$d" || fail "no new plan on $d after HA's report: $(seen_plans "$T/plans.txt" ana "$d" | tr '\n' ' ')"
done
v2=$(seen_plans "$T/plans.txt" ana ana-watch | tail -n 1)
[ "$(seen_plans "$T/plans.txt" ana ana-pod | tail -n 1)" = "$v2" ] ||
	fail "the pod and the watch got different plans"
# Sealed: each device's new plan opens for it only; no plan JSON in clear.
for d in ana-pod ana-watch; do
	hex_to "$T/new.bin" "$(retained_hex "stridehub/v1/ana/$d/plan")"
	[ "$(plan_ver "$(open_plan ana "$d" "$T/new.bin")")" = "$v2" ] ||
		fail "the retained plan on $d does not open as plan $v2 for $d"
	o=ana-pod; [ "$d" = ana-pod ] && o=ana-watch
	open_plan ana "$o" "$T/new.bin" > /dev/null 2>&1 &&
		fail "$d's plan opens for $o"
done
bad=$(unsealed "$T/plans.txt")
[ -z "$bad" ] || fail "a plan not sealed: $bad"
grep -q "$(printf '"ver":' | xxd -p)" "$T/plans.txt" && fail "a plan in clear"
[ "$(sql "select count(*) from symptoms where device_id is null and level = 4")" = 1 ] ||
	fail "HA's report was not stored once as much_aware: $(sql 'select * from symptoms')"
[ "$(sql "select count(*) from runners")" = "$runners" ] ||
	fail "a command created a runner"
grep -q "unknown runner" "$T/hub.log" || fail "no log line for the unknown runner"
grep -q "unknown level" "$T/hub.log" || fail "no log line for the bad word"
wait_for 5 has_state stridehub/ha/ana/report '"status":"reported","level":"much_aware"' ||
	fail "HA's report status did not follow: $(retained stridehub/ha/ana/report)"
wait_for 5 has_state stridehub/ha/ana/plan "\"version\":$v2," ||
	fail "HA's plan did not follow to version $v2"
pass "(b) HA's select: report stored, plan $v1 -> $v2 sealed to each device and in HA"

# (c) A restarted HA: the config it lost comes back on its birth.
cfg=homeassistant/sensor/stridehub_ana/plan_distance/config
gone() { [ -z "$(retained "$cfg")" ]; }
back() { retained "$cfg" | grep -q '"unique_id":"stridehub_ana_plan_distance"'; }
mosquitto_pub -h 127.0.0.1 -p "$PORT" -r -t "$cfg" -n
wait_for 5 gone || fail "could not delete $cfg"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t homeassistant/status -m online
wait_for 5 back || fail "no discovery again after HA's birth"
# A second birth within the minute is ignored...
mosquitto_pub -h 127.0.0.1 -p "$PORT" -r -t "$cfg" -n
wait_for 5 gone || fail "could not delete $cfg again"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t homeassistant/status -m online
sleep 1.5
gone || fail "a second birth within a minute was answered"

# ...and a retained command waiting at the broker is refused when the hub
# subscribes; its reconnect announces everything again.
hub_stop
mosquitto_pub -h 127.0.0.1 -p "$PORT" -r -t stridehub/ha/ana/report/set -m painful
reports=$(sql "select count(*) from symptoms")
hub_start
wait_for 10 back || fail "no discovery again after the hub reconnected"
wait_for 5 grep -q "retained command" "$T/hub.log" ||
	fail "the retained command was not refused"
sleep 0.5
[ "$(sql "select count(*) from symptoms")" = "$reports" ] ||
	fail "a retained command was stored as a report"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -r -t stridehub/ha/ana/report/set -n
hub_alive || fail "hub died"
pass "(c) HA's birth re-announces (once a minute); reconnect re-announces; retained command refused"
