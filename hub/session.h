/*
 * session.h - when a runner's session starts and ends: a state machine.
 *
 * Pure: the caller passes the hub's clock (`now_ms`, Unix ms, > 0) and device
 * times; the machine decides, the caller does the I/O (store.c gives session
 * ids). A runner has at most one OPEN session, taking new samples, and at
 * most one CLOSING session, stopped but still taking the samples its devices
 * had not yet delivered.
 *
 *   (none) --sample/start--> OPEN          session_begin()
 *   OPEN   --stop event----> CLOSING       session_stop()
 *   OPEN   --gap in device time > idle---> CLOSING (due now)  session_begin()
 *   OPEN   --no message for idle (hub clock)--> due           session_due()
 *   CLOSING --grace elapsed (hub clock)--> due                session_due()
 *   due    --caller finalizes--> (none)    session_forget()
 *
 * session.c's top comment lists every transition with its edge cases.
 *
 * Routing: a device time t belongs to OPEN if it is within idle of OPEN's
 * span [start, last_t], else to CLOSING if within idle before CLOSING's start
 * and at most its stop + grace (no stop: its last_t + idle), else a new
 * session. When both could take t, it goes to OPEN if t >= OPEN's start,
 * else to the nearer span (CLOSING if t is inside CLOSING's span; a tie
 * goes to OPEN).
 *
 * The caller's loop, per run of samples (or event) at device times
 * [t0, t1] of one device:
 *
 *	while ((r = session_route(rs, t0, p)) == SESSION_ROUTE_NEW) {
 *		if (this is a stop event) -> no session to stop: store the
 *		    event without a session, never begin one for it;
 *		id = store_session_new(...);
 *		while ((old = session_begin(rs, id, t0, now)) != 0) {
 *			finalize(old); session_forget(rs, old);
 *		}
 *	}
 *	s = r == SESSION_ROUTE_OPEN ? &rs->open : &rs->closing;
 *	stop event: if ((old = session_stop(rs, s, t0, now, p)) != 0)
 *		finalize(old);	(already gone from rs)
 *	else:	session_touch(s, t0, t1, now);
 *	and on every tick: while ((id = session_due(rs, now, p)) != 0) {
 *		finalize(id); session_forget(rs, id); }
 *
 * Route again after session_begin rather than assuming OPEN: a new session
 * that lies before OPEN (a device's backlog of an older run) is put in the
 * CLOSING slot so it cannot cut the live session short.
 *
 * Not thread-safe: one struct runner_sessions is owned by one thread.
 */
#ifndef HUB_SESSION_H
#define HUB_SESSION_H

#include <stdint.h>

struct session_params {
	int64_t	idle_ms;	/* gap that ends a session: 300000 */
	int64_t	grace_ms;	/* after a stop, wait this long for late data: 10000.
				 * Device time (samples up to stop + grace) and hub
				 * clock (due at stop's arrival + grace): it should
				 * exceed an agent's batch interval. */
};
#define SESSION_PARAMS_DEFAULT { 300000, 10000 }

struct sess {
	int64_t	id;		/* store row id; 0 = no session in this slot */
	int64_t	start_ms;	/* device time of the first sample or start */
	int64_t	last_t_ms;	/* device time of the latest sample or event */
	int64_t	stop_ms;	/* device time of the (latest) stop event; 0 if none */
	int64_t	last_rx_ms;	/* hub clock when it last took something */
	int64_t	close_at_ms;	/* hub clock: due from here on; 0 if not set
				 * (a CLOSING session is then due grace after
				 * last_rx, e.g. when reloaded at start-up) */
};

struct runner_sessions {
	struct sess	open;
	struct sess	closing;
};

enum session_route {
	SESSION_ROUTE_OPEN,	/* goes to rs->open */
	SESSION_ROUTE_CLOSING,	/* goes to rs->closing */
	SESSION_ROUTE_NEW	/* needs a new session: call session_begin */
};

/* Where device time t_ms belongs. */
enum session_route session_route(const struct runner_sessions *rs,
	    int64_t t_ms, const struct session_params *p);

/*
 * Start session `id` (> 0) at device time t_ms. If CLOSING is taken and
 * must make room, its id is returned and nothing changes: the caller
 * finalizes and forgets it, then calls again. Otherwise returns 0 and:
 *  - no OPEN session: the new one is OPEN;
 *  - t_ms at or after OPEN's start: OPEN moves to CLOSING, due at once, and
 *    the new one is OPEN;
 *  - t_ms before OPEN's start (an older run's late data): the new one goes
 *    to CLOSING, due at once, and OPEN stays as it is.
 */
int64_t	session_begin(struct runner_sessions *rs, int64_t id, int64_t t_ms,
	    int64_t now_ms);

/* Record data at device times [t_first_ms, t_last_ms] taken by s: widens
 * s's span, sets last_rx. Never changes close_at. */
void	session_touch(struct sess *s, int64_t t_first_ms, int64_t t_last_ms,
	    int64_t now_ms);

/* A stop event at device time t_ms, routed to s (OPEN or CLOSING). An OPEN
 * session moves to CLOSING, due at now + grace; returns the id of a CLOSING
 * session that had to be displaced (finalize it; it is already gone from
 * rs), else 0. A stop routed to CLOSING (the second device's) raises stop_ms
 * to the later of the two and close_at to now + grace; returns 0. */
int64_t	session_stop(struct runner_sessions *rs, struct sess *s, int64_t t_ms,
	    int64_t now_ms, const struct session_params *p);

/* The id of a session due for finalizing at now_ms, or 0: CLOSING before
 * OPEN. Call until 0, forgetting each id before the next call. */
int64_t	session_due(const struct runner_sessions *rs, int64_t now_ms,
	    const struct session_params *p);

/* Drop session id from rs once the caller has finalized it. An id not held
 * (or 0) is a no-op. */
void	session_forget(struct runner_sessions *rs, int64_t id);

/* The slot holding id, or NULL (always NULL for id 0). */
struct sess *session_find(struct runner_sessions *rs, int64_t id);

#endif
