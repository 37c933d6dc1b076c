#!/bin/bash
# Real recorded runs replayed through both agent roles (stride-agent run
# --file), faster than real time: ana's foot pod and watch play the fenix 5
# 57 s run (smart recording: records 1-9 s apart), ben's play the Stryd
# 6.8 km run when it is there. The hub must store exactly one fused session
# per runner with both devices: the samples each device replayed, the
# cadence the foot pod's, the distance the watch's (never both added), the
# time rebased to --start-ms with the file's spacing kept.
# Skipped (exit 0) without the real data folder.
. "$(dirname "$0")/lib.sh"

ACT=${STRIDE_ACTIVITIES:-$SRC_DIR/../shared/data/activities}
F1="$ACT/garmin-fenix5_run_57s.fit"
F2="$ACT/stryd_run_6.8km.fit"
if [ ! -f "$F1" ]; then
	echo "skip: $NAME: no real data ($F1 not found)"
	exit 0
fi

broker_start
# The fenix 5 leaves up to 9 s between records: the tests' usual 5 s idle
# timeout would cut its run in two, as it would cut a live device's.
hub_start -o idle_timeout_ms=60000
enrol ana ana-pod
enrol ana ana-watch
if [ -f "$F2" ]; then
	enrol ben ben-pod
	enrol ben ben-watch
fi
start=$(( $(date +%s) * 1000 ))
agent() {	# runner device role file speed
	stride_agent "$1" "$2" "$3" run --file "$4" \
	    --start-ms "$start" --speed "$5" > "$T/agent-$2.log" 2>&1
}
agent ana ana-pod footpod "$F1" 10 & a1=$!
agent ana ana-watch watch "$F1" 10 & a2=$!
runners=1
if [ -f "$F2" ]; then
	agent ben ben-pod footpod "$F2" 250 & b1=$!
	agent ben ben-watch watch "$F2" 250 & b2=$!
	runners=2
fi
wait $a1 || fail "ana's foot pod agent failed"
wait $a2 || fail "ana's watch agent failed"
if [ "$runners" = 2 ]; then
	wait $b1 || fail "ben's foot pod agent failed"
	wait $b2 || fail "ben's watch agent failed"
fi
grep -q "garmin-fenix5_run_57s.fit: fit, running" "$T/agent-ana-pod.log" ||
	fail "the agent did not describe the file: $(head -n 3 "$T/agent-ana-pod.log")"

closed() { [ "$(sql "select count(*) from sessions where open = 0")" = "$runners" ]; }
wait_for 20 closed || fail "sessions not closed: $(sql 'select id, open, start_ms from sessions')"
hub_alive || fail "hub died"
[ "$(sql "select count(*) from sessions")" = "$runners" ] ||
	fail "want $runners sessions: $(sql 'select s.id, r.name, s.start_ms, s.last_t_ms from sessions s join runners r on r.id = s.runner_id')"

row() { sql "select s.$1 from sessions s join runners r on r.id = s.runner_id where r.name = '$2'"; }
check_runner() {	# runner file
	r=$1
	"$HUB" -f "$DB" export "$(row id "$r")" --csv > "$T/$r.csv"
	pod_n=$(awk -F, '$2 == "footpod"' "$T/$r.csv" | wc -l)
	watch_n=$(awk -F, '$2 == "watch"' "$T/$r.csv" | wc -l)
	[ "$pod_n" -gt 0 ] && [ "$watch_n" -gt 0 ] || fail "$r: samples pod $pod_n, watch $watch_n"
	[ "$(row devices "$r")" = 2 ] || fail "$r: session fused $(row devices "$r") devices"
	[ "$(row samples "$r")" = $((pod_n + watch_n)) ] ||
		fail "$r: $(row samples "$r") samples used, $pod_n + $watch_n stored"
	# The agents said how many they would send; all of them arrived.
	for d in pod watch; do
		n=$(sed -n 's/.*agent: sent \([0-9]*\) samples.*/\1/p' "$T/agent-$r-$d.log")
		got=$(awk -F, -v role="$( [ $d = pod ] && echo footpod || echo watch)" '$2 == role' "$T/$r.csv" | wc -l)
		[ "$n" = "$got" ] || fail "$r-$d sent $n samples, $got stored"
	done
	# Time rebased: the first sample at --start-ms, for both devices.
	first=$(awk -F, 'NR > 1 { print $3 }' "$T/$r.csv" | sort -n | head -n 1)
	[ "$first" = "$start" ] || fail "$r: first sample at $first, not $start"
	[ "$(row start_ms "$r")" = "$start" ] || fail "$r: session starts at $(row start_ms "$r")"
	# Distance: the watch's own, not pod + watch.
	w0=$(awk -F, '$2 == "watch" && $9 != "" { print $9; exit }' "$T/$r.csv")
	w1=$(awk -F, '$2 == "watch" && $9 != "" { d = $9 } END { print d }' "$T/$r.csv")
	pod_cad=$(awk -F, '$2 == "footpod" && $5 != "" && $5 > 0 { s += $5; n++ } END { print s / n }' "$T/$r.csv")
	fused=$(row distance_m "$r")
	echo "$r: fused $fused m, the watch's records $w0..$w1 m; cadence $(row avg_cadence "$r") (pod $pod_cad)"
	awk -v f="$fused" -v a="$w0" -v b="$w1" -v tol="$3" \
	    'BEGIN { w = b - a; d = f - w; if (d < 0) d = -d; exit !(d <= tol * w) }' ||
		fail "$r: fused distance $fused m vs the watch's $w0..$w1 m"
	within "$(row avg_cadence "$r")" "$pod_cad" 3 ||
		fail "$r: cadence $(row avg_cadence "$r") is not the foot pod's $pod_cad"
}
# 57 s of smart recording: the last record stands for its 5 s interval.
check_runner ana "$F1" 0.10
if [ "$runners" = 2 ]; then
	check_runner ben "$F2" 0.015
	within "$(row moving_s ben)" 3424 35 || fail "ben moved $(row moving_s ben) s of 3424"
fi
pass "$runners real run(s) replayed in two roles, one fused session each"
