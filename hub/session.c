/*
 * session.c - see session.h: a runner's sessions as a state machine.
 *
 * Pure: no I/O, no clock, no globals. The caller owns struct
 * runner_sessions and passes both clocks: device time (t_ms, what the
 * samples say) decides where data belongs; hub time (now_ms) decides when a
 * session is due. Device clocks of one runner differ by a second or two and
 * their messages arrive in batches seconds apart, so neither clock alone can
 * do both jobs.
 *
 * States of a slot pair (open, closing), each slot empty (id 0) or held:
 *
 *   T1 (none) -> OPEN: session_begin() on a sample or start routed NEW.
 *   T2 OPEN -> OPEN: session_touch() on data routed OPEN; the span widens
 *      both ways (the second device's start may be a second earlier than
 *      the first's), last_rx = now.
 *   T3 OPEN -> CLOSING: session_stop() on a stop routed OPEN: stop_ms = t,
 *      close_at = now + grace; OPEN is empty afterwards. A CLOSING session
 *      in the way is displaced and its id returned for finalizing.
 *   T4 CLOSING -> CLOSING: session_stop() on a stop routed CLOSING (the
 *      second device's stop): stop_ms = max of both, close_at = max(close_at,
 *      now + grace). It never opens a session: the session stays together.
 *   T5 CLOSING -> CLOSING: session_touch() on data routed CLOSING: samples
 *      timestamped up to stop + grace (e.g. the foot pod's last batch after
 *      the watch's stop). close_at is not moved, so a closing session ends
 *      on time however its devices trickle.
 *   T6 OPEN -> CLOSING (due now) + new OPEN: session_begin() on data routed
 *      NEW after a gap > idle in device time. If CLOSING is held, begin
 *      changes nothing and returns CLOSING's id: the caller finalizes it
 *      (displacement) and calls again.
 *   T7 new CLOSING (due now): session_begin() with t before OPEN's start:
 *      an older run's data arriving late (a device's backlog). OPEN, the
 *      live run, is left alone; the displacement rule of T6 applies.
 *   T8 OPEN -> due: session_due() when now - last_rx >= idle (hub clock).
 *   T9 CLOSING -> due: session_due() when now >= close_at (or, if close_at
 *      is 0, now - last_rx >= grace). CLOSING is reported before OPEN.
 *   T10 due -> (none): session_forget() once the caller has finalized.
 *
 * Routing boundaries (all inclusive, device time): OPEN takes t in
 * [start - idle, last_t + idle]; CLOSING takes t in [start - idle, reach],
 * reach = max(stop + grace, last_t) once stopped, else last_t + idle. So a
 * gap of exactly idle stays in the session and idle + 1 begins a new one.
 * Overlaps are settled as session.h says.
 *
 * Invariants: a held slot has id > 0 and start_ms <= last_t_ms; OPEN never
 * has stop_ms; CLOSING's stop_ms <= last_t_ms (a stop touches the span);
 * the two slots never hold the same id. Times are protocol times
 * (2000..2100 in ms) and params are small, so sums cannot overflow.
 */
#include <assert.h>
#include <string.h>

#include "session.h"

static int64_t
session_max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
session_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The last device time CLOSING s still takes. */
static int64_t
session_reach(const struct sess *s, const struct session_params *p)
{
	if (s->stop_ms != 0)
		return session_max(s->stop_ms + p->grace_ms, s->last_t_ms);
	return s->last_t_ms + p->idle_ms;
}

enum session_route
session_route(const struct runner_sessions *rs, int64_t t_ms,
    const struct session_params *p)
{
	const struct sess *o = &rs->open, *c = &rs->closing;
	int open_ok, closing_ok;
	int64_t c_end;

	assert(p->idle_ms >= 0 && p->grace_ms >= 0);
	open_ok = o->id != 0 && t_ms >= o->start_ms - p->idle_ms &&
	    t_ms <= o->last_t_ms + p->idle_ms;
	closing_ok = c->id != 0 && t_ms >= c->start_ms - p->idle_ms &&
	    t_ms <= session_reach(c, p);
	if (open_ok && closing_ok) {
		/* Both in reach: OPEN from its start on, else the nearer
		 * span (t inside CLOSING's span is nearer it; a tie goes to
		 * OPEN, the live run). */
		if (t_ms >= o->start_ms)
			return SESSION_ROUTE_OPEN;
		c_end = c->last_t_ms;	/* >= stop_ms */
		return t_ms - c_end < o->start_ms - t_ms ?
		    SESSION_ROUTE_CLOSING : SESSION_ROUTE_OPEN;
	}
	if (open_ok)
		return SESSION_ROUTE_OPEN;
	if (closing_ok)
		return SESSION_ROUTE_CLOSING;
	return SESSION_ROUTE_NEW;
}

static void
session_init(struct sess *s, int64_t id, int64_t t_ms, int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->start_ms = t_ms;
	s->last_t_ms = t_ms;
	s->last_rx_ms = now_ms;
}

int64_t
session_begin(struct runner_sessions *rs, int64_t id, int64_t t_ms,
    int64_t now_ms)
{
	assert(id > 0 && now_ms > 0);
	assert(rs->open.id != id && rs->closing.id != id);
	if (rs->open.id == 0) {					/* T1 */
		session_init(&rs->open, id, t_ms, now_ms);
		return 0;
	}
	if (rs->closing.id != 0)
		return rs->closing.id;		/* displace: caller finalizes */
	if (t_ms < rs->open.start_ms) {				/* T7 */
		session_init(&rs->closing, id, t_ms, now_ms);
		rs->closing.close_at_ms = now_ms;
		return 0;
	}
	rs->closing = rs->open;					/* T6 */
	rs->closing.close_at_ms = now_ms;
	session_init(&rs->open, id, t_ms, now_ms);
	return 0;
}

void
session_touch(struct sess *s, int64_t t_first_ms, int64_t t_last_ms,
    int64_t now_ms)
{
	assert(s != NULL && s->id != 0);
	assert(t_first_ms <= t_last_ms);
	s->start_ms = session_min(s->start_ms,
	    session_min(t_first_ms, t_last_ms));
	s->last_t_ms = session_max(s->last_t_ms,
	    session_max(t_first_ms, t_last_ms));
	s->last_rx_ms = now_ms;
}

int64_t
session_stop(struct runner_sessions *rs, struct sess *s, int64_t t_ms,
    int64_t now_ms, const struct session_params *p)
{
	int64_t displaced = 0;

	assert(s == &rs->open || s == &rs->closing);
	assert(s->id != 0 && now_ms > 0 && p->grace_ms >= 0);
	if (s == &rs->open) {					/* T3 */
		displaced = rs->closing.id;
		rs->closing = rs->open;
		memset(&rs->open, 0, sizeof(rs->open));
		s = &rs->closing;
		s->stop_ms = t_ms;
		s->close_at_ms = now_ms + p->grace_ms;
	} else {						/* T4 */
		s->stop_ms = s->stop_ms == 0 ? t_ms :
		    session_max(s->stop_ms, t_ms);
		s->close_at_ms = session_max(s->close_at_ms,
		    now_ms + p->grace_ms);
	}
	session_touch(s, t_ms, t_ms, now_ms);
	return displaced;
}

int64_t
session_due(const struct runner_sessions *rs, int64_t now_ms,
    const struct session_params *p)
{
	const struct sess *c = &rs->closing, *o = &rs->open;

	if (c->id != 0) {					/* T9 */
		if (c->close_at_ms != 0 ? now_ms >= c->close_at_ms :
		    now_ms - c->last_rx_ms >= p->grace_ms)
			return c->id;
	}
	if (o->id != 0 && now_ms - o->last_rx_ms >= p->idle_ms)	/* T8 */
		return o->id;
	return 0;
}

void
session_forget(struct runner_sessions *rs, int64_t id)
{
	if (id == 0)
		return;
	if (rs->open.id == id)
		memset(&rs->open, 0, sizeof(rs->open));
	if (rs->closing.id == id)
		memset(&rs->closing, 0, sizeof(rs->closing));
}

struct sess *
session_find(struct runner_sessions *rs, int64_t id)
{
	if (id == 0)
		return NULL;
	if (rs->open.id == id)
		return &rs->open;
	if (rs->closing.id == id)
		return &rs->closing;
	return NULL;
}
