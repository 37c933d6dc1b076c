#!/bin/bash
# Two runners on one broker: ana with a foot pod and a watch, ben with a
# watch. The hub must store one fused session per runner: ana's distance the
# watch's own (never pod + watch), her cadence the foot pod's, ben's alone.
# Every device is enrolled first and speaks sealed.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
enrol ana ana-pod
enrol ana ana-watch
enrol ben ben-watch
# Everything on the devices' topics, as a stranger on the broker sees it.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -F '%t %x' -t 'stridehub/v1/#' \
    > "$T/wire.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"
start=$(( $(date +%s) * 1000 ))
agent() {	# runner device role seed
	stride_agent "$1" "$2" "$3" run --synthetic --duration-s 600 \
	    --pace-s-per-km 360 --cadence 168 --hills 2 --seed "$4" \
	    --start-ms "$start" --speed 40 > "$T/agent-$2.log" 2>&1
}
agent ana ana-pod footpod 7 & a1=$!
agent ana ana-watch watch 7 & a2=$!
agent ben ben-watch watch 9 & a3=$!
wait $a1 || fail "ana's foot pod agent failed (unacked data?)"
wait $a2 || fail "ana's watch agent failed"
wait $a3 || fail "ben's watch agent failed"

closed() { [ "$(sql "select count(*) from sessions where open = 0")" = 2 ]; }
wait_for 20 closed || fail "sessions not closed: $(sql 'select id, open from sessions')"
hub_alive || fail "hub died"

# On the wire: only sealed envelopes, the kind byte their topic's; no JSON.
bad=$(unsealed "$T/wire.txt")
[ -z "$bad" ] || fail "not sealed on the wire: $bad"
for d in ana/ana-pod ana/ana-watch ben/ben-watch; do
	for k in telemetry event status ack; do
		grep -q "^stridehub/v1/$d/$k 5301" "$T/wire.txt" ||
			fail "no sealed $k seen on $d"
	done
done
grep -q "$(printf '"samples"' | xxd -p)" "$T/wire.txt" &&
	fail "telemetry JSON in clear on the wire"

[ "$(sql "select count(*) from sessions")" = 2 ] ||
	fail "expected exactly 2 sessions: $(sql 'select * from sessions')"
row() { sql "select s.$1 from sessions s join runners r on r.id = s.runner_id where r.name = '$2'"; }

# ana: what each device measured on its own, from the stored samples.
"$HUB" -f "$DB" export "$(row id ana)" --csv > "$T/ana.csv"
watch_m=$(awk -F, '$2 == "watch" && $9 != "" { d = $9 } END { print d }' "$T/ana.csv")
pod_m=$(awk -F, '$2 == "footpod" && $9 != "" { d = $9 } END { print d }' "$T/ana.csv")
pod_cad=$(awk -F, '$2 == "footpod" && $5 != "" { s += $5; n++ } END { print s / n }' "$T/ana.csv")
fused_m=$(row distance_m ana)
echo "ana: watch $watch_m m, pod $pod_m m, fused $fused_m m, pod cadence $pod_cad"

within "$fused_m" "$watch_m" "$(awk -v w="$watch_m" 'BEGIN { print w * 0.03 }')" ||
	fail "fused distance $fused_m is not the watch's $watch_m"
awk -v f="$fused_m" -v w="$watch_m" -v p="$pod_m" 'BEGIN { exit !(f < 0.6 * (w + p)) }' ||
	fail "distance double counted: $fused_m vs $watch_m + $pod_m"
within "$(row avg_cadence ana)" "$pod_cad" 2 ||
	fail "cadence $(row avg_cadence ana) is not the foot pod's $pod_cad"
[ "$(row devices ana)" = 2 ] || fail "ana's session fused $(row devices ana) devices"
[ "$(row samples ana)" = 1200 ] || fail "ana: $(row samples ana) samples, want 1200"
within "$(row moving_s ana)" 600 15 || fail "ana moving $(row moving_s ana) s"

# ben: alone, about 600 s at 1/360 km/s minus the hills.
[ "$(row devices ben)" = 1 ] || fail "ben's session has $(row devices ben) devices"
within "$(row distance_m ben)" 1667 250 || fail "ben ran $(row distance_m ben) m"
# Gradient bands add up to the moving time.
sum=$(sql "select band_s_0 + band_s_1 + band_s_2 + band_s_3 + band_s_4 + ungraded_s - moving_s from sessions s join runners r on r.id = s.runner_id where r.name = 'ben'")
within "$sum" 0 1 || fail "bands do not add up to moving time ($sum)"
uphill=$(row band_s_3 ben)
awk -v u="$uphill" 'BEGIN { exit !(u > 0) }' || fail "ben's hills left no uphill time"

# The admin commands show it.
"$HUB" -f "$DB" sessions | grep -q "ana" || fail "sessions list lacks ana"
"$HUB" -f "$DB" session "$(row id ana)" | grep -q "avg_cadence" || fail "session view"
pass "all sealed on the wire; one fused session per runner; ana $fused_m m, ben $(row distance_m ben) m"
