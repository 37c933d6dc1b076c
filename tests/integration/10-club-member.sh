#!/bin/bash
# A club shares one broker. Anna runs with an enrolled foot pod and watch;
# Mallory, another member, has her own enrolled device and an ordinary MQTT
# client on the same broker, and tries everything a member can: plain JSON
# on Anna's topics, messages sealed with her own key, Anna's captured
# envelopes replayed, moved to other topics and damaged, symptom reports
# forged for Anna, Anna's sealed plans moved to other devices, an older plan
# of Anna's re-published retained, a plan sealed by a hub key of her own,
# and reading Anna's plan. None of it may be accepted: the hub's counters,
# the store and Anna's agents say so. Then Anna's pod is revoked and its
# sealed messages are dropped. Positive controls show the same tools'
# genuine messages do get through, so every refusal means something.
. "$(dirname "$0")/lib.sh"

S=$SEALTOOL
[ -x "$S" ] || fail "no $S (tests/tools/sealtool.c)"
W=$T/wire
mkdir "$W"

broker_start
enrol anna pod
enrol anna watch
enrol mallory mal-pod
hub_start

# Mallory's own client on the broker: publishes raw bytes, captures raw bytes.
mpub() {	# TOPIC-TAIL FILE [retain]
	mosquitto_pub -h 127.0.0.1 -p "$PORT" -i mallory -q 1 \
	    -t "stridehub/v1/$1" -f "$2" ${3:+-r}
}
mcap() {	# TOPIC-TAIL FILE: the next message's raw bytes (retained too)
	mosquitto_sub -h 127.0.0.1 -p "$PORT" -i "mallory-cap$$-$RANDOM" \
	    -t "stridehub/v1/$1" -C 1 -N -W 20 > "$2"
}
# the retained payload of TOPIC-TAIL into FILE; status 1 if none.
retained() {
	hex_to "$2" "$(retained_hex "stridehub/v1/$1")"
	[ -s "$2" ]
}
count() { sql "select count(*) from $1"; }
anna_syms() {
	sql "select count(*) from symptoms s join runners r on r.id = s.runner_id where r.name = 'anna'"
}
# A figure of the hub's last stats line: "..., N name, ...".
hub_stat() {
	grep "stats:" "$T/hub.log" | tail -n 1 | awk -v n="$1" -F', ' '{
		for (i = 1; i <= NF; i++) if (index($i, n) && match($i, /[0-9]+/)) {
			print substr($i, RSTART, RLENGTH); exit
		} }'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
tel() {	# epoch seq t_ms
	printf '{"v":1,"epoch":%d,"seq":%d,"role":"footpod","samples":[{"t":%d,"cad":170,"spd":3.1,"dist":%d}]}' \
	    "$1" "$2" "$3" "$2"
}

# Everything on the broker as a stranger sees it, and anything relayed to
# Anna's devices (nothing Mallory forges may be relayed).
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -F '%t %x' -t 'stridehub/v1/#' \
    > "$W/all.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"

# ---- 1. Anna runs; Mallory captures her pod's first sealed telemetry.
mcap anna/pod/telemetry "$W/anna-tel.bin" & cap=$!
sleep 0.3
start=$(( $(date +%s) * 1000 - 900000 ))
run() {	# device role log seconds [args]
	d=$1 role=$2 log=$3 secs=$4; shift 4
	stride_agent anna "$d" "$role" run --synthetic --duration-s "$secs" \
	    --pace-s-per-km 360 --cadence 168 --seed 4 --speed 100 "$@" \
	    > "$T/$log.log" 2>&1
}
run pod footpod anna-pod1 600 --start-ms "$start" & a1=$!
run watch watch anna-watch1 600 --start-ms "$start" & a2=$!
wait $a1 || fail "anna's pod agent failed"
wait $a2 || fail "anna's watch agent failed"
wait $cap || fail "mallory captured nothing on anna/pod/telemetry"
"$S" header < "$W/anna-tel.bin" | grep -q '^kind 1 ' ||
	fail "the captured telemetry is not a sealed envelope: $("$S" header < "$W/anna-tel.bin")"
closed() { [ "$(sql "select count(*) from sessions where open = 0")" = 1 ]; }
wait_for 20 closed || fail "anna's session not closed"
plan_on() { retained "anna/$1/plan" "$W/$2"; }
wait_for 10 plan_on pod plan1-pod.bin || fail "no plan for anna's pod"
wait_for 10 plan_on watch plan1-watch.bin || fail "no plan for anna's watch"
v1=$("$S" open-plan "$STATE" pod anna < "$W/plan1-pod.bin" | sed -n 's/^version //p')
[ -n "$v1" ] || fail "anna's pod cannot open its own plan"

# Her captured envelope replayed while its epoch is still the pod's current
# one: a duplicate, stored once.
chunks_run1=$(count chunks)
mpub anna/pod/telemetry "$W/anna-tel.bin"
sleep 1
[ "$(count chunks)" = "$chunks_run1" ] || fail "the replayed envelope was stored again"

# A flare typed at the CLI: a newer plan for every device of Anna's.
"$HUB" -f "$DB" report anna much_aware --score 6 > "$T/report.txt" ||
	fail "stridehub report failed"
newer() {
	retained anna/pod/plan "$W/plan2-pod.bin" &&
	    v2=$("$S" open-plan "$STATE" pod anna < "$W/plan2-pod.bin" |
	    sed -n 's/^version //p') && [ "$v2" -gt "$v1" ]
}
wait_for 10 newer || fail "no newer plan for anna's pod after the flare (v1 $v1)"
# Anna's pod picks it up at its next start.
run pod footpod anna-pod2 60 || fail "anna's pod agent failed (2)"
[ -f "$STATE/pod.plan" ] || fail "anna's pod stored no plan"
"$S" open-plan "$STATE" pod anna < "$STATE/pod.plan" > "$W/acc.txt" ||
	fail "anna's pod's stored plan does not open"
grep -q '^verdict same$' "$W/acc.txt" ||
	fail "anna's pod's stored plan is not its accepted one: $(head -n 2 "$W/acc.txt")"
vacc=$(sed -n 's/^version //p' "$W/acc.txt")
[ "$vacc" -ge "$v2" ] || fail "anna's pod holds plan version $vacc, not $v2 or later"
pass "anna's devices are enrolled and run sealed; her pod holds plan version $vacc"

# Epochs: an agent's is max(saved + 1, Unix seconds), so a message made here
# takes the next one after the pod's saved epoch, and the pod's next boot
# (a second later at least) goes above it again.
next_epoch() {	# device
	e=$(cat "$STATE/$1.epoch" 2>/dev/null || echo 0)
	n=$(date +%s)
	[ "$n" -gt "$e" ] && echo "$n" || echo $((e + 1))
}
# Positive control: a genuine message made with sealtool is stored.
base_chunks=$(count chunks)
E=$(next_epoch pod)
tel "$E" 1 "$(now_ms)" | "$S" seal "$STATE" pod anna telemetry "$E" 1 > "$W/good.bin" ||
	fail "sealtool could not seal for anna's pod"
pub_file anna/pod/telemetry "$W/good.bin"
stored_one() { [ "$(count chunks)" -gt "$base_chunks" ]; }
wait_for 10 stored_one || fail "a genuine sealed message from anna's pod was not stored"

# ---- 2. Mallory's messages on Anna's topics: none may be stored.
sleep 0.5
chunks0=$(count chunks)
events0=$(count events)
syms0=$(anna_syms)
now=$(now_ms)
sym='{"v":1,"epoch":41,"seq":1,"t":'$now',"when":"during","level":"painful","score":9}'

# Plain JSON, as devices spoke before issue 4.
tel 41 1 "$now" > "$W/plain.json"
mpub anna/pod/telemetry "$W/plain.json"
printf '%s' "$sym" > "$W/plain-sym.json"
mpub anna/pod/symptom "$W/plain-sym.json"
# Sealed with Mallory's own (enrolled) key, bound to Anna's pod's ids.
tel 41 2 "$now" | "$S" seal "$STATE" mal-pod anna telemetry 41 2 pod > "$W/mal-tel.bin"
mpub anna/pod/telemetry "$W/mal-tel.bin"
printf '%s' "$sym" | "$S" seal "$STATE" mal-pod anna symptom 41 1 pod > "$W/mal-sym.bin"
mpub anna/pod/symptom "$W/mal-sym.bin"
printf '%s' "$sym" | "$S" seal "$STATE" mal-pod anna symptom 41 1 watch > "$W/mal-sym-w.bin"
mpub anna/watch/symptom "$W/mal-sym-w.bin"
printf '{"v":1,"state":"offline","epoch":41}' |
    "$S" seal "$STATE" mal-pod anna status 41 0 pod > "$W/mal-status.bin"
mpub anna/pod/status "$W/mal-status.bin"
# A device Anna never enrolled.
tel 41 3 "$now" | "$S" seal "$STATE" mal-pod anna telemetry 41 3 ghost > "$W/ghost.bin"
mpub anna/ghost/telemetry "$W/ghost.bin"
# Anna's captured envelope: replayed again (now of an older epoch), moved.
mpub anna/pod/telemetry "$W/anna-tel.bin"
mpub mallory/mal-pod/telemetry "$W/anna-tel.bin"
mpub anna/watch/telemetry "$W/anna-tel.bin"
mpub anna/pod/event "$W/anna-tel.bin"
# Damaged: header (epoch), ciphertext, tag; cut; grown; oversized.
"$S" flip 6 < "$W/anna-tel.bin" > "$W/flip-hdr.bin"
"$S" flip 40 < "$W/anna-tel.bin" > "$W/flip-ct.bin"
"$S" flip -1 < "$W/anna-tel.bin" > "$W/flip-tag.bin"
"$S" truncate -1 < "$W/anna-tel.bin" > "$W/cut.bin"
"$S" truncate 40 < "$W/anna-tel.bin" > "$W/short.bin"
"$S" extend 1 < "$W/anna-tel.bin" > "$W/grown.bin"
"$S" extend 5000 < "$W/anna-tel.bin" > "$W/huge.bin"
for f in flip-hdr flip-ct flip-tag cut short grown huge; do
	mpub anna/pod/telemetry "$W/$f.bin"
done
# Anna's own key, a header that disagrees with the JSON (a broken device).
tel "$E" 5 "$now" | "$S" seal "$STATE" pod anna telemetry "$E" 6 > "$W/mismatch.bin"
pub_file anna/pod/telemetry "$W/mismatch.bin"
sleep 2
hub_alive || fail "the hub died on mallory's messages"
[ "$(count chunks)" = "$chunks0" ] ||
	fail "mallory's telemetry was stored: $(count chunks) chunks, was $chunks0"
[ "$(count events)" = "$events0" ] || fail "an event was stored from mallory's bytes"
[ "$(anna_syms)" = "$syms0" ] || fail "a symptom was stored for anna from mallory"
[ "$(sql "select count(*) from devices d join runners r on r.id = d.runner_id where r.name = 'anna' and d.name = 'ghost'")" = 0 ] ||
	fail "the hub created a device on first sight"
if grep -E '^stridehub/v1/anna/[^/ ]+/relay ' "$W/all.txt" > "$W/relays.txt"; then
	fail "a relay went to anna's devices: $(head -c 200 "$W/relays.txt")"
fi
for why in "unknown or revoked device" "not a sealed envelope" \
    "authentication failed" "envelope kind does not match topic" \
    "envelope too short" "over 4148 bytes"; do
	grep -q "$why" "$T/hub.log" || fail "no hub log line saying '$why'"
done
pass "plain, foreign-key, replayed, moved, damaged and forged messages: none stored"

# ---- 3. Plans: moved, rolled back, forged, read by Mallory.
# Let every session close first, so no plan of the hub's crosses ours.
all_closed() { [ "$(sql "select count(*) from sessions where open = 1")" = 0 ]; }
wait_for 20 all_closed || fail "sessions still open: $(sql 'select id from sessions where open = 1')"
sleep 1
mpub mallory/mal-pod/plan "$W/plan2-pod.bin" retain
if "$S" open-plan "$STATE" mal-pod mallory < "$W/plan2-pod.bin" > /dev/null 2> "$W/why.txt"; then
	fail "mallory's device accepted anna's plan"
fi
if "$S" open-plan "$STATE" mal-pod anna < "$W/plan2-pod.bin" > "$W/stolen.txt" 2>> "$W/why.txt"; then
	fail "mallory read anna's plan: $(cat "$W/stolen.txt")"
fi
grep -q "authentication failed" "$W/why.txt" || fail "refused for another reason: $(cat "$W/why.txt")"
# Anna's pod plan on her watch's topic: the watch cannot open it.
mpub anna/watch/plan "$W/plan2-pod.bin" retain
if "$S" open-plan "$STATE" watch anna < "$W/plan2-pod.bin" > /dev/null 2> "$W/why.txt"; then
	fail "anna's watch accepted her pod's plan"
fi
grep -q "authentication failed" "$W/why.txt" || fail "watch refused for another reason: $(cat "$W/why.txt")"
# A plan Mallory signs with a hub key of her own, for Anna's pod.
mkdir -m 0700 "$T/mal"
"$HUB" -f "$T/mal/hub.db" key init > "$T/mal/key.txt" 2>&1 ||
	fail "mallory's key init failed: $(cat "$T/mal/key.txt")"
printf '{"v":1,"ver":99}' |
    "$S" hub-seal-plan "$T/mal/keys" "$STATE" pod anna 999999 86400000 > "$W/forged-plan.bin" ||
	fail "sealtool hub-seal-plan failed"
if "$S" open-plan "$STATE" pod anna < "$W/forged-plan.bin" > /dev/null 2> "$W/why.txt"; then
	fail "anna's pod accepted a plan from mallory's hub key"
fi
# live_refuses DEVICE ROLE LOG FILE REASON: publish FILE, retained, on
# Anna's DEVICE's plan topic while its agent is connected and running (so
# the hub's own re-send at the agent's birth cannot come between them);
# the agent must refuse it with REASON and keep running.
live_refuses() {
	d=$1 role=$2 log=$3 f=$4 why=$5
	run "$d" "$role" "$log" 6000 & lp=$!	# a minute at 100x
	wait_for 15 grep -q "link: connected" "$T/$log.log" ||
		fail "anna's $d agent did not connect"
	sleep 1
	mpub "anna/$d/plan" "$f" retain
	if ! wait_for 10 grep -q "$why" "$T/$log.log"; then
		kill "$lp" 2>/dev/null
		fail "anna's $d agent did not refuse the plan ($why): $(grep -i plan "$T/$log.log" | head -n 5)"
	fi
	# The stop button: SIGTERM to the agent (the child of the
	# background subshell, or the subshell itself if bash exec'd it).
	pkill -TERM -P "$lp" 2>/dev/null || kill -TERM "$lp"
	wait "$lp" || fail "anna's $d agent failed after the refused plan"
}
# Anna's older plan, re-published retained on her pod's plan topic.
if "$S" open-plan "$STATE" pod anna < "$W/plan1-pod.bin" > /dev/null 2> "$W/why.txt"; then
	fail "anna's pod accepts its older plan v$v1 after v$vacc"
fi
grep -q "plan older than the one accepted" "$W/why.txt" ||
	fail "the older plan was refused for another reason: $(cat "$W/why.txt")"
live_refuses pod footpod anna-pod3 "$W/plan1-pod.bin" \
    "plan older than the one accepted"
"$S" open-plan "$STATE" pod anna < "$STATE/pod.plan" > "$W/kept.txt" ||
	fail "anna's pod's stored plan no longer opens"
kept=$(sed -n 's/^version //p' "$W/kept.txt")
[ "$kept" -ge "$vacc" ] || fail "anna's pod went back to plan version $kept"
# The watch, given its sibling's plan and then the forged one, keeps its own.
live_refuses watch watch anna-watch2 "$W/forged-plan.bin" \
    "authentication failed"
# Nothing readable of any plan on the wire.
if grep -E '^stridehub/v1/[^ ]+/plan ' "$W/all.txt" |
    grep -q "$(printf '"ver":' | xxd -p)"; then
	fail "plan JSON in clear on the wire"
fi
pass "moved, rolled-back and forged plans refused; mallory cannot read anna's"

# ---- 4. Revoked: the pod's sealed messages are dropped.
"$HUB" -f "$DB" device revoke anna pod > "$T/revoke.txt" 2>&1 ||
	fail "device revoke failed: $(cat "$T/revoke.txt")"
sleep 2
chunks1=$(count chunks)
E=$(( $(next_epoch pod) + 5 ))
tel "$E" 1 "$(now_ms)" | "$S" seal "$STATE" pod anna telemetry "$E" 1 > "$W/revoked.bin"
pub_file anna/pod/telemetry "$W/revoked.bin"
cleared() { [ -z "$(retained_hex stridehub/v1/anna/pod/plan)" ] &&
    [ -z "$(retained_hex stridehub/v1/anna/pod/ack)" ]; }
wait_for 5 cleared || fail "the revoked pod's retained plan or ack was not cleared"
# The watch is still enrolled: its messages still count.
E=$(( $(next_epoch watch) + 5 ))
tel "$E" 1 "$(now_ms)" | sed 's/footpod/watch/' |
    "$S" seal "$STATE" watch anna telemetry "$E" 1 > "$W/watch.bin"
pub_file anna/watch/telemetry "$W/watch.bin"
watch_stored() { [ "$(count chunks)" -gt "$chunks1" ]; }
wait_for 10 watch_stored || fail "anna's watch message after the revoke was not stored"
sleep 0.5
[ "$(count chunks)" = $((chunks1 + 1)) ] ||
	fail "the revoked pod's message was stored ($(count chunks) chunks, want $((chunks1 + 1)))"
pass "after the revoke the pod's messages are dropped, the watch's kept"

# ---- 5. The hub's counters.
hub_stop
grep "stats:" "$T/hub.log" | tail -n 1 > "$W/stats.txt"
[ -s "$W/stats.txt" ] || fail "no stats line in the hub's log"
atleast() {	# name minimum
	v=$(hub_stat "$1")
	[ -n "$v" ] || fail "no '$1' in the stats line: $(cat "$W/stats.txt")"
	[ "$v" -ge "$2" ] || fail "$1 is $v, want >= $2: $(cat "$W/stats.txt")"
}
# ghost, revoked pod
atleast "unknown device" 2
# plain x2, mallory's key x4, moved x3, damaged x6 (the oversized one is
# dropped before: "over 4148 bytes")
atleast "bad envelope" 15
atleast mismatch 1
atleast duplicates 1
pass "counted: $(cat "$W/stats.txt" | sed 's/.*stats: //')"
