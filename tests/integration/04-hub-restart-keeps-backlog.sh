#!/bin/bash
# The hub is stopped (SIGTERM) in the middle of a run and started again
# later. The broker keeps the hub's QoS 1 backlog (persistent session), the
# hub drains what it had accepted before exiting, and after the restart the
# session is complete: nothing accepted is lost, nothing is stored twice.
. "$(dirname "$0")/lib.sh"

broker_start
hub_start
enrol dee dee-pod
start=$(( $(date +%s) * 1000 ))
stride_agent dee dee-pod footpod --ack-timeout-s 30 run --synthetic \
    --duration-s 300 --seed 4 --start-ms "$start" --speed 20 \
    > "$T/agent.log" 2>&1 & a=$!
some() { [ "$(sql "select count(*) from chunks")" -ge 5 ]; }
wait_for 20 some || fail "nothing stored before the hub stopped"
hub_stop
grep -q "stopped" "$T/hub.log" || fail "hub did not stop cleanly"
before=$(sql "select count(*) from chunks")
sleep 3
hub_start
wait $a || fail "agent did not get everything acknowledged"
closed() { [ "$(sql "select count(*) from sessions where open = 0")" -ge 1 ]; }
wait_for 20 closed || fail "no closed session"
n=$(sql "select sum(samples) from sessions")
[ "$n" = 300 ] || fail "$n samples stored, want 300 ($before before the restart)"
[ "$(sql "select count(*) from sessions")" = 1 ] || fail "the run was split"
pass "300 of 300 samples across a hub restart ($before before it)"
