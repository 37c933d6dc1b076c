#!/bin/bash
# The broker dies in the middle of a run and comes back on the same port.
# Hub and agents reconnect by themselves; the agents re-send what the hub
# had not acknowledged; the session is complete and nothing is stored twice.
. "$(dirname "$0")/lib.sh"

broker_start
# The agent plays 20x faster than real time, so a 3 s outage is a minute of
# device time without data: keep the idle timeout well above that.
hub_start -o idle_timeout_ms=600000
enrol cy cy-watch
start=$(( $(date +%s) * 1000 ))
stride_agent cy cy-watch watch --ack-timeout-s 30 run --synthetic \
    --duration-s 300 --seed 3 --start-ms "$start" --speed 20 \
    > "$T/agent.log" 2>&1 & a=$!
some() { [ "$(sql "select count(*) from chunks")" -ge 5 ]; }
wait_for 20 some || fail "nothing stored before the restart"
broker_stop
sleep 2
broker_start
wait $a || fail "agent did not get everything acknowledged"
closed() { [ "$(sql "select count(*) from sessions where open = 0")" -ge 1 ]; }
wait_for 20 closed || fail "no closed session"
hub_alive || fail "hub died"
grep -q "lost" "$T/hub.log" && grep "lost" "$T/hub.log"
n=$(sql "select sum(samples) from sessions")
[ "$n" = 300 ] || fail "$n samples stored, want 300"
[ "$(sql "select count(*) from sessions")" = 1 ] || fail "the run was split"
[ "$(grep -c "connected to" "$T/hub.log")" -ge 2 ] || fail "hub did not reconnect"
pass "300 of 300 samples after a broker restart, one session"
