#!/bin/bash
# History import into a running hub's store. ana runs live with her watch;
# then `stridehub import` reads a folder of her recorded runs, written by
# this test: two older runs (one also as GPX), a file of the run she just
# streamed live, a broken file and a note. The store must hold one session
# per run (the GPX and the live run's file skipped as the same runs, the
# broken file refused with its reason, the note ignored), a second import
# must add nothing, and the running hub must notice the import and publish
# ana's new plan to her watch (sealed: read as the watch opens it). With the
# real data folder, ben's history is imported from it too: one session per
# run, then nothing more.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
enrol ana ana-watch
now_s=$(date +%s)
start=$(( now_s * 1000 ))
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t 'stridehub/v1/ana/+/plan' \
    -F '%t %x' > "$T/plans.txt" 2> "$T/sub.log" &
PIDS="$PIDS $!"

stride_agent ana ana-watch watch run --synthetic --duration-s 300 \
    --pace-s-per-km 360 --hills 0 --start-ms "$start" --speed 30 \
    > "$T/live.log" 2>&1 || fail "live run failed"
closed() { [ "$(sql "select count(*) from sessions where open = 0")" = 1 ]; }
wait_for 20 closed || fail "live session not closed"
has_ver() { seen_plans "$T/plans.txt" ana ana-watch | grep -qx "$1"; }
wait_for 10 has_ver 1 || fail "no plan 1 after the live run"

# tcx FILE START_S POINTS SPEED CAD_PER_LEG [cut]: a flat run, 1 s points.
tcx() {
	awk -v t0="$2" -v n="$3" -v v="$4" -v c="$5" -v cut="${6:-0}" '
	function iso(s,   z, r, era, doe, yoe, y, doy, mp, d, m) {
		z = int(s / 86400); r = s - z * 86400; z += 719468
		era = int(z / 146097); doe = z - era * 146097
		yoe = doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)
		yoe = int(yoe / 365)
		y = yoe + era * 400
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
		return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, int(r / 3600), int(r % 3600 / 60), r % 60)
	}
	BEGIN {
		print "<?xml version=\"1.0\"?>"
		print "<TrainingCenterDatabase xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\">"
		printf "<Activities><Activity Sport=\"Running\"><Lap><Track>\n"
		if (cut) n = int(n / 2)
		for (i = 0; i < n; i++)
			printf "<Trackpoint><Time>%s</Time><AltitudeMeters>50</AltitudeMeters><DistanceMeters>%.1f</DistanceMeters><Cadence>%d</Cadence></Trackpoint>\n", iso(t0 + i), v * i, c
		if (!cut)
			print "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
	}' > "$1"
}
# gpx FILE START_S POINTS SPEED: the same kind of run, positions only.
gpx() {
	awk -v t0="$2" -v n="$3" -v v="$4" '
	function iso(s,   z, r, era, doe, yoe, y, doy, mp, d, m) {
		z = int(s / 86400); r = s - z * 86400; z += 719468
		era = int(z / 146097); doe = z - era * 146097
		yoe = doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)
		yoe = int(yoe / 365)
		y = yoe + era * 400
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
		return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, int(r / 3600), int(r % 3600 / 60), r % 60)
	}
	BEGIN {
		print "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"t\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>"
		for (i = 0; i < n; i++)
			printf "<trkpt lat=\"%.7f\" lon=\"7\"><ele>50</ele><time>%s</time></trkpt>\n", 45 + v * i / 111195.08, iso(t0 + i)
		print "</trkseg></trk></gpx>"
	}' > "$1"
}
R="$T/runs"
mkdir -p "$R/old"
tcx "$R/old/tue.tcx" $((now_s - 3 * 86400)) 1800 2.9 85
gpx "$R/old/tue_gps.gpx" $((now_s - 3 * 86400 + 2)) 1790 2.9
tcx "$R/thu.tcx" $((now_s - 86400)) 2400 3.0 86
tcx "$R/today.tcx" $((now_s + 5)) 290 2.8 84		# the live run
tcx "$R/broken.tcx" $((now_s - 5 * 86400)) 1200 3.0 85 cut
echo "not a run" > "$R/notes.txt"

rc=0
"$HUB" -f "$DB" import ana "$R" > "$T/import1.txt" 2> "$T/import1.err" || rc=$?
cat "$T/import1.txt"
[ "$rc" = 1 ] || fail "import with a broken file: exit $rc, want 1"
grep -q "^\[1/5\] " "$T/import1.txt" && grep -q "^\[5/5\] " "$T/import1.txt" ||
	fail "no progress line per file"
grep -Eq "broken\.tcx: refused: .+" "$T/import1.txt" || fail "broken file not refused with a reason"
grep -Eq "old/tue_gps\.gpx: .*: the same run as session [0-9]+ \(imported\): skipped" "$T/import1.txt" ||
	fail "the GPX of an imported run was not skipped"
grep -Eq "today\.tcx: .*: the same run as session [0-9]+ \(live\): skipped" "$T/import1.txt" ||
	fail "the file of the live run was not skipped"
grep -Eq "thu\.tcx: 7\.20 km, 0:40:00, 172 spm, " "$T/import1.txt" ||
	fail "thu.tcx summary: $(grep thu "$T/import1.txt")"
grep -q "^import ana: 5 files, 2 added, 2 skipped (same run), 1 refused; 1 other file ignored$" \
    "$T/import1.txt" || fail "wrong totals"
grep -q "^profile ana: usual cadence 171 spm (median of 2 flat runs)$" "$T/import1.txt" ||
	fail "usual cadence not set from the flat runs"

[ "$(sql "select count(*) from sessions s join runners r on r.id = s.runner_id where r.name = 'ana'")" = 3 ] ||
	fail "want 3 sessions of ana: $(sql 'select id, imported, start_ms from sessions')"
[ "$(sql "select count(*) from sessions where imported = 1")" = 2 ] || fail "want 2 imported"
[ "$(sql "select cadence_spm from runners where name = 'ana'")" = 171 ] || fail "profile cadence"

# The running hub notices the import and publishes ana's new plan.
wait_for 5 has_ver 2 ||
	fail "no plan 2 after the import: $(seen_plans "$T/plans.txt" ana ana-watch | tr '\n' ' ')"
"$HUB" -f "$DB" plan ana > "$T/plan.txt" || fail "stridehub plan"
grep -Eq "^plan +2$" "$T/plan.txt" || fail "stridehub plan does not show version 2"
grep -q "runner ana: plan 2" "$T/hub.log" || fail "the hub did not make plan 2"

# Again: nothing added, no new plan.
"$HUB" -f "$DB" import ana "$R" > "$T/import2.txt" 2>&1 || true
grep -q "^import ana: 5 files, 0 added, 4 skipped (same run), 1 refused" "$T/import2.txt" ||
	fail "second import: $(tail -n 3 "$T/import2.txt")"
[ "$(sql "select count(*) from sessions")" = 3 ] || fail "the second import added sessions"
sleep 1.5
has_ver 3 && fail "a plan 3 with nothing new"

# ben's real history, when the data folder is there.
ACT=${STRIDE_ACTIVITIES:-$SRC_DIR/../shared/data/activities}
if [ -d "$ACT" ] && ls "$ACT"/*.fit > /dev/null 2>&1; then
	"$HUB" -f "$DB" import ben "$ACT" > "$T/ben1.txt" 2>&1 || true
	tail -n 3 "$T/ben1.txt"
	files=$(grep -c '^\[' "$T/ben1.txt")
	added=$(grep -Ec '^\[[0-9]+/[0-9]+\] .*: session [0-9]+$' "$T/ben1.txt")
	skipped=$(grep -c ': skipped$' "$T/ben1.txt")
	refused=$(grep -c ': refused: ' "$T/ben1.txt")
	[ "$((added + skipped + refused))" = "$files" ] && [ "$added" -gt 0 ] ||
		fail "ben: $files files, $added added, $skipped skipped, $refused refused"
	grep -q "^import ben: $files files, $added added, $skipped skipped (same run), $refused refused" \
	    "$T/ben1.txt" || fail "ben: totals line"
	n=$(sql "select count(*) from sessions s join runners r on r.id = s.runner_id where r.name = 'ben'")
	[ "$n" = "$added" ] || fail "ben: $n sessions for $added added"
	"$HUB" -f "$DB" import ben "$ACT" > "$T/ben2.txt" 2>&1 || true
	grep -q "^import ben: $files files, 0 added, $((added + skipped)) skipped (same run), $refused refused" \
	    "$T/ben2.txt" || fail "ben again: $(tail -n 1 "$T/ben2.txt")"
	wait_for 5 sh -c "[ \"\$(sqlite3 -readonly '$DB' \"select count(*) from plans p join runners r on r.id = p.runner_id where r.name = 'ben'\")\" -ge 1 ]" ||
		fail "no plan for ben"
fi
hub_alive || fail "hub died"
pass "2 runs imported, 2 same runs skipped (one live), 1 refused; again nothing; plan 2 published"
