/*
 * test_session.c - session.c: every transition and boundary of the state
 * machine, then whole stories driven the way the hub drives it (the loop in
 * session.h): two devices with offset clocks and batched delivery, a start
 * and a stop from each, late data after the stop, gaps, an old backlog.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "session.h"

#define T0	1700000000000LL		/* device time */
#define H0	1700000003000LL		/* hub clock */
#define IDLE	300000LL
#define GRACE	10000LL

static const struct session_params P = { IDLE, GRACE };

static const char *
route_name(enum session_route r)
{
	return r == SESSION_ROUTE_OPEN ? "open" :
	    r == SESSION_ROUTE_CLOSING ? "closing" : "new";
}

#define CHECK_ROUTE(rs, t, want) do {					\
	enum session_route r_ = session_route((rs), (t), &P);		\
	if (r_ != (want))						\
		fprintf(stderr, "  route(%lld) = %s, want %s\n",	\
		    (long long)((t) - T0), route_name(r_),		\
		    route_name(want));					\
	CHECK(r_ == (want));						\
} while (0)

/* A runner with OPEN session 1 spanning device [T0, T0 + 60 s]. */
static void
setup_open(struct runner_sessions *rs)
{
	memset(rs, 0, sizeof(*rs));
	CHECK(session_begin(rs, 1, T0, H0) == 0);
	session_touch(&rs->open, T0, T0 + 60000, H0 + 60000);
}

/* ...and then stopped at T0 + 60 s (hub H0 + 61 s): CLOSING. */
static void
setup_closing(struct runner_sessions *rs)
{
	setup_open(rs);
	CHECK(session_stop(rs, &rs->open, T0 + 60000, H0 + 61000, &P) == 0);
}

static void
test_empty(void)
{
	struct runner_sessions rs;

	memset(&rs, 0, sizeof(rs));
	CHECK_ROUTE(&rs, T0, SESSION_ROUTE_NEW);
	CHECK(session_due(&rs, H0, &P) == 0);
	CHECK(session_due(&rs, H0 + 100 * IDLE, &P) == 0);
	CHECK(session_find(&rs, 0) == NULL);
	CHECK(session_find(&rs, 5) == NULL);
	session_forget(&rs, 5);
	session_forget(&rs, 0);
	CHECK(rs.open.id == 0 && rs.closing.id == 0);
}

/* T1, T2: begin, then touches widen the span both ways. */
static void
test_begin_touch(void)
{
	struct runner_sessions rs;

	memset(&rs, 0, sizeof(rs));
	CHECK(session_begin(&rs, 7, T0, H0) == 0);
	CHECK(rs.open.id == 7);
	CHECK(rs.open.start_ms == T0 && rs.open.last_t_ms == T0);
	CHECK(rs.open.stop_ms == 0 && rs.open.close_at_ms == 0);
	CHECK(rs.open.last_rx_ms == H0);
	CHECK(rs.closing.id == 0);
	CHECK(session_find(&rs, 7) == &rs.open);

	session_touch(&rs.open, T0 + 1000, T0 + 16000, H0 + 17000);
	CHECK(rs.open.start_ms == T0 && rs.open.last_t_ms == T0 + 16000);
	CHECK(rs.open.last_rx_ms == H0 + 17000);
	/* A second device whose clock is 1.5 s behind. */
	session_touch(&rs.open, T0 - 1500, T0 + 12000, H0 + 18000);
	CHECK(rs.open.start_ms == T0 - 1500);
	CHECK(rs.open.last_t_ms == T0 + 16000);
	CHECK(rs.open.last_rx_ms == H0 + 18000);
	CHECK(rs.open.close_at_ms == 0);
}

/* OPEN takes [start - idle, last_t + idle], inclusive. */
static void
test_route_open_edges(void)
{
	static const struct { int64_t dt; enum session_route want; } t[] = {
		{ 30000, SESSION_ROUTE_OPEN },
		{ 60000 + IDLE, SESSION_ROUTE_OPEN },	/* gap exactly idle */
		{ 60000 + IDLE + 1, SESSION_ROUTE_NEW },
		{ -IDLE, SESSION_ROUTE_OPEN },
		{ -IDLE - 1, SESSION_ROUTE_NEW },
		{ -86400000, SESSION_ROUTE_NEW },
	};
	struct runner_sessions rs;
	size_t i;

	setup_open(&rs);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_ROUTE(&rs, T0 + t[i].dt, t[i].want);
}

/* T8: OPEN is due once the hub heard nothing for idle. */
static void
test_due_open(void)
{
	struct runner_sessions rs;
	int64_t rx;

	setup_open(&rs);
	rx = rs.open.last_rx_ms;
	CHECK(session_due(&rs, rx + IDLE - 1, &P) == 0);
	CHECK(session_due(&rs, rx + IDLE, &P) == 1);
	/* Device time does not matter here, only the hub clock. */
	session_touch(&rs.open, T0 + 61000, T0 + 61000, rx + IDLE - 5);
	CHECK(session_due(&rs, rx + IDLE, &P) == 0);
	CHECK(session_due(&rs, rx + 2 * IDLE - 5, &P) == 1);
}

/* T3 then T9: stop moves OPEN to CLOSING, due grace later. */
static void
test_stop_open(void)
{
	struct runner_sessions rs;

	setup_closing(&rs);
	CHECK(rs.open.id == 0);
	CHECK(rs.closing.id == 1);
	CHECK(rs.closing.stop_ms == T0 + 60000);
	CHECK(rs.closing.start_ms == T0);
	CHECK(rs.closing.close_at_ms == H0 + 61000 + GRACE);
	CHECK(rs.closing.last_rx_ms == H0 + 61000);
	CHECK(session_find(&rs, 1) == &rs.closing);
	CHECK(session_due(&rs, H0 + 61000 + GRACE - 1, &P) == 0);
	CHECK(session_due(&rs, H0 + 61000 + GRACE, &P) == 1);

	/* A stop later than the data seen so far extends the span. */
	setup_open(&rs);
	CHECK(session_stop(&rs, &rs.open, T0 + 65000, H0 + 66000, &P) == 0);
	CHECK(rs.closing.last_t_ms == T0 + 65000);
}

/* CLOSING takes [start - idle, max(stop + grace, last_t)], inclusive;
 * late data does not move close_at (T5). */
static void
test_route_closing_edges(void)
{
	static const struct { int64_t dt; enum session_route want; } t[] = {
		{ 30000, SESSION_ROUTE_CLOSING },
		{ 60000 + GRACE, SESSION_ROUTE_CLOSING },
		{ 60000 + GRACE + 1, SESSION_ROUTE_NEW },
		{ -IDLE, SESSION_ROUTE_CLOSING },
		{ -IDLE - 1, SESSION_ROUTE_NEW },
	};
	struct runner_sessions rs;
	int64_t close_at;
	size_t i;

	setup_closing(&rs);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_ROUTE(&rs, T0 + t[i].dt, t[i].want);

	close_at = rs.closing.close_at_ms;
	session_touch(&rs.closing, T0 + 58000, T0 + 60000 + GRACE,
	    close_at - 1);
	CHECK(rs.closing.close_at_ms == close_at);
	CHECK(rs.closing.last_t_ms == T0 + 60000 + GRACE);
	CHECK(session_due(&rs, close_at, &P) == 1);

	/* Data seen past stop + grace stays in reach. */
	session_touch(&rs.closing, T0 + 80000, T0 + 80000, close_at);
	CHECK_ROUTE(&rs, T0 + 80000, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, T0 + 80001, SESSION_ROUTE_NEW);

	/* Without a stop (moved by a gap, or reloaded), reach is idle. */
	memset(&rs, 0, sizeof(rs));
	rs.closing.id = 3;
	rs.closing.start_ms = T0;
	rs.closing.last_t_ms = T0 + 60000;
	rs.closing.last_rx_ms = H0;
	CHECK_ROUTE(&rs, T0 + 60000 + IDLE, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, T0 + 60000 + IDLE + 1, SESSION_ROUTE_NEW);
	/* close_at 0: due grace after the last message. */
	CHECK(session_due(&rs, H0 + GRACE - 1, &P) == 0);
	CHECK(session_due(&rs, H0 + GRACE, &P) == 3);
}

/* T4: the second device's stop keeps the session together. */
static void
test_second_stop(void)
{
	struct runner_sessions rs;

	setup_closing(&rs);
	CHECK_ROUTE(&rs, T0 + 61500, SESSION_ROUTE_CLOSING);
	CHECK(session_stop(&rs, &rs.closing, T0 + 61500, H0 + 64000, &P) ==
	    0);
	CHECK(rs.open.id == 0 && rs.closing.id == 1);
	CHECK(rs.closing.stop_ms == T0 + 61500);
	CHECK(rs.closing.close_at_ms == H0 + 64000 + GRACE);
	/* An earlier stop (a clock behind) lowers neither. */
	CHECK(session_stop(&rs, &rs.closing, T0 + 59000, H0 + 65000, &P) ==
	    0);
	CHECK(rs.closing.stop_ms == T0 + 61500);
	CHECK(rs.closing.close_at_ms == H0 + 65000 + GRACE);
	CHECK(rs.closing.last_t_ms == T0 + 61500);
	/* A hub clock stepped back does not pull close_at in. */
	CHECK(session_stop(&rs, &rs.closing, T0 + 61000, H0 + 50000, &P) ==
	    0);
	CHECK(rs.closing.close_at_ms == H0 + 65000 + GRACE);
	/* Grace now counts from the later stop. */
	CHECK_ROUTE(&rs, T0 + 61500 + GRACE, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, T0 + 61500 + GRACE + 1, SESSION_ROUTE_NEW);
}

/* T6: a gap > idle begins a new session; the old one is due at once. */
static void
test_gap_begin(void)
{
	struct runner_sessions rs;
	int64_t t = T0 + 60000 + IDLE + 1, now = H0 + 60000 + IDLE + 2000;
	struct sess old;

	setup_open(&rs);
	old = rs.open;
	CHECK_ROUTE(&rs, t, SESSION_ROUTE_NEW);
	CHECK(session_begin(&rs, 2, t, now) == 0);
	CHECK(rs.open.id == 2 && rs.open.start_ms == t);
	CHECK(rs.closing.id == 1);
	CHECK(rs.closing.start_ms == old.start_ms);
	CHECK(rs.closing.last_t_ms == old.last_t_ms);
	CHECK(rs.closing.close_at_ms == now);
	CHECK(session_due(&rs, now, &P) == 1);
	session_forget(&rs, 1);
	CHECK(session_due(&rs, now, &P) == 0);
	CHECK(rs.open.id == 2);
}

/* Displacement: begin gives back CLOSING's id and changes nothing; stop
 * replaces CLOSING and gives back the displaced id. */
static void
test_displace(void)
{
	struct runner_sessions rs, before;
	int64_t t = T0 + 60000 + GRACE + 1, now = H0 + 63000;

	setup_closing(&rs);
	CHECK_ROUTE(&rs, t, SESSION_ROUTE_NEW);
	CHECK(session_begin(&rs, 2, t, now) == 0);	/* OPEN was empty */
	CHECK(rs.open.id == 2 && rs.closing.id == 1);

	/* A gap from session 2 while 1 still closes: 1 must go first. */
	before = rs;
	CHECK(session_begin(&rs, 3, t + IDLE + 1, now + 1000) == 1);
	CHECK(memcmp(&rs, &before, sizeof(rs)) == 0);
	session_forget(&rs, 1);
	CHECK(session_begin(&rs, 3, t + IDLE + 1, now + 1000) == 0);
	CHECK(rs.open.id == 3 && rs.closing.id == 2);
	CHECK(rs.closing.close_at_ms == now + 1000);

	/* A stop on OPEN while CLOSING is taken displaces CLOSING. */
	CHECK(session_stop(&rs, &rs.open, t + IDLE + 5000, now + 6000, &P) ==
	    2);
	CHECK(rs.open.id == 0 && rs.closing.id == 3);
	CHECK(rs.closing.stop_ms == t + IDLE + 5000);
	CHECK(session_find(&rs, 2) == NULL);
	session_forget(&rs, 2);			/* already gone: no-op */
	CHECK(rs.closing.id == 3);
}

/* T7: an older run's backlog arrives while a run is live. */
static void
test_backlog(void)
{
	struct runner_sessions rs, before;
	int64_t y = T0 - 86400000;	/* yesterday */

	setup_open(&rs);
	before = rs;
	CHECK_ROUTE(&rs, y, SESSION_ROUTE_NEW);
	CHECK(session_begin(&rs, 9, y, H0 + 70000) == 0);
	CHECK(memcmp(&rs.open, &before.open, sizeof(rs.open)) == 0);
	CHECK(rs.closing.id == 9 && rs.closing.start_ms == y);
	CHECK(rs.closing.close_at_ms == H0 + 70000);
	CHECK_ROUTE(&rs, y + 15000, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, T0 + 30000, SESSION_ROUTE_OPEN);
	CHECK(session_due(&rs, H0 + 70000, &P) == 9);
}

/* When OPEN and a stop-less CLOSING both reach t: OPEN at or after its
 * start, else the nearer span, a tie to OPEN. */
static void
test_route_overlap(void)
{
	const int64_t l = T0 + 60000, b = l + IDLE + 2;
	const int64_t mid = l + (b - l) / 2;
	static const struct { int64_t off; int from_b; enum session_route want;
	} t[] = {
		{ 0, 0, SESSION_ROUTE_CLOSING },	/* CLOSING's last_t */
		{ 1, 0, SESSION_ROUTE_CLOSING },
		{ 5000, 0, SESSION_ROUTE_CLOSING },
		{ -1, 1, SESSION_ROUTE_OPEN },
		{ 0, 1, SESSION_ROUTE_OPEN },		/* OPEN's start */
		{ 5000, 1, SESSION_ROUTE_OPEN },
	};
	struct runner_sessions rs;
	size_t i;

	setup_open(&rs);
	CHECK(session_begin(&rs, 2, b, H0 + IDLE) == 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_ROUTE(&rs, (t[i].from_b ? b : l) + t[i].off,
		    t[i].want);
	/* b - l is even: mid is a tie, mid - 1 nearer CLOSING. */
	CHECK((b - l) % 2 == 0);
	CHECK_ROUTE(&rs, mid - 1, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, mid, SESSION_ROUTE_OPEN);

	/* Spans that overlap (as reloaded at start-up): OPEN from its
	 * start on, even inside CLOSING's span; CLOSING before it. */
	memset(&rs, 0, sizeof(rs));
	rs.closing.id = 4;
	rs.closing.start_ms = T0;
	rs.closing.last_t_ms = T0 + 60000;
	rs.closing.stop_ms = T0 + 60000;
	rs.open.id = 5;
	rs.open.start_ms = T0 + 30000;
	rs.open.last_t_ms = T0 + 90000;
	CHECK_ROUTE(&rs, T0 + 30000, SESSION_ROUTE_OPEN);
	CHECK_ROUTE(&rs, T0 + 45000, SESSION_ROUTE_OPEN);
	CHECK_ROUTE(&rs, T0 + 29999, SESSION_ROUTE_CLOSING);
	CHECK_ROUTE(&rs, T0 + 1000, SESSION_ROUTE_CLOSING);
}

/* CLOSING is reported before OPEN; call until 0. */
static void
test_due_order(void)
{
	struct runner_sessions rs;
	int64_t now;

	setup_closing(&rs);
	CHECK(session_begin(&rs, 2, T0 + 60000 + GRACE + 1, H0 + 62000) == 0);
	now = H0 + 62000 + IDLE;		/* both due */
	CHECK(session_due(&rs, now, &P) == 1);
	session_forget(&rs, 1);
	CHECK(session_due(&rs, now, &P) == 2);
	session_forget(&rs, 2);
	CHECK(session_due(&rs, now, &P) == 0);

	/* Only OPEN due: OPEN, though CLOSING exists. */
	setup_closing(&rs);
	CHECK(session_begin(&rs, 2, T0 + 60000 + GRACE + 1, H0 + 62000) == 0);
	session_touch(&rs.closing, T0 + 60000, T0 + 60000, H0 + 62000);
	rs.closing.close_at_ms = H0 + 62000 + 2 * IDLE;
	CHECK(session_due(&rs, H0 + 62000 + IDLE, &P) == 2);
}

static void
test_forget_find(void)
{
	struct runner_sessions rs;

	setup_closing(&rs);
	CHECK(session_begin(&rs, 2, T0 + 60000 + GRACE + 1, H0 + 62000) == 0);
	CHECK(session_find(&rs, 1) == &rs.closing);
	CHECK(session_find(&rs, 2) == &rs.open);
	CHECK(session_find(&rs, 3) == NULL);
	CHECK(session_find(&rs, 0) == NULL);
	session_forget(&rs, 3);
	session_forget(&rs, 0);
	CHECK(rs.open.id == 2 && rs.closing.id == 1);
	session_forget(&rs, 2);
	CHECK(rs.open.id == 0 && rs.closing.id == 1);
	CHECK(session_find(&rs, 2) == NULL);
	session_forget(&rs, 1);
	CHECK(rs.closing.id == 0);
	CHECK(session_find(&rs, 1) == NULL);
}

/*
 * The hub, as session.h's loop describes it, for the stories below.
 */
struct hub {
	struct runner_sessions rs;
	int64_t	next_id;
	int	begun;
	int64_t	final[8];		/* finalized ids, in order */
	int	nfinal;
	int	orphan_stops;		/* stops with no session to stop */
};

static void
hub_finalize(struct hub *h, int64_t id)
{
	if (h->nfinal < 8)
		h->final[h->nfinal] = id;
	h->nfinal++;
}

static void
hub_tick(struct hub *h, int64_t now)
{
	int64_t id;

	while ((id = session_due(&h->rs, now, &P)) != 0) {
		hub_finalize(h, id);
		session_forget(&h->rs, id);
	}
}

/* One device's data at device times [t0, t1], or a stop event at t0.
 * Returns the id of the session it went to (0: none). */
static int64_t
hub_deliver(struct hub *h, int64_t t0, int64_t t1, int stop, int64_t now)
{
	enum session_route r;
	struct sess *s;
	int64_t old;

	hub_tick(h, now);
	while ((r = session_route(&h->rs, t0, &P)) == SESSION_ROUTE_NEW) {
		if (stop) {
			h->orphan_stops++;
			return 0;
		}
		h->begun++;
		++h->next_id;
		while ((old = session_begin(&h->rs, h->next_id, t0, now)) !=
		    0) {
			hub_finalize(h, old);
			session_forget(&h->rs, old);
		}
	}
	s = r == SESSION_ROUTE_OPEN ? &h->rs.open : &h->rs.closing;
	if (stop) {
		int64_t id = s->id;

		if ((old = session_stop(&h->rs, s, t0, now, &P)) != 0)
			hub_finalize(h, old);
		return id;
	}
	session_touch(s, t0, t1, now);
	return s->id;
}

/*
 * A 30-minute run with a watch (clock true) and a foot pod (clock 1.5 s
 * behind). The watch sends 4 samples every 4 s, the pod 5 every 5 s, each
 * arriving 300 ms after its last sample. The pod starts 0.8 s after the
 * watch; at the end the watch stops first, the pod 1.2 s later, and the
 * pod's last batch arrives after both stops. One session, finalized once,
 * grace after the last stop reached the hub.
 */
static void
test_story_two_devices(void)
{
	const int64_t pod_off = -1500, run_s = 1800;
	struct hub h;
	int64_t s, id, sid = 0;
	int stray = 0;

	memset(&h, 0, sizeof(h));
	/* Starts: route like samples; the second joins the first. */
	sid = hub_deliver(&h, T0, T0, 0, H0 + 100);
	CHECK(hub_deliver(&h, T0 + 800 + pod_off, T0 + 800 + pod_off, 0,
	    H0 + 900) == sid);
	for (s = 1; s <= run_s + 5; s++) {
		int64_t now = H0 + s * 1000 + 300;

		if (s % 4 == 0 && s <= run_s) {
			id = hub_deliver(&h, T0 + (s - 3) * 1000, T0 + s * 1000,
			    0, now);
			stray += id != sid;
		}
		if (s == run_s) {		/* watch stop */
			id = hub_deliver(&h, T0 + s * 1000, 0, 1, now + 100);
			stray += id != sid;
		}
		if (s == run_s + 1) {		/* pod stop, 1.2 s later */
			id = hub_deliver(&h, T0 + run_s * 1000 + 1200 +
			    pod_off, 0, 1, now + 200);
			stray += id != sid;
		}
		if (s % 5 == 0) {		/* pod batch, last after stops */
			int64_t a = T0 + (s - 4) * 1000 + pod_off;
			int64_t b = T0 + s * 1000 + pod_off;

			if (a > T0 + (run_s + 1) * 1000 + pod_off)
				break;
			if (b > T0 + (run_s + 1) * 1000 + pod_off)
				b = T0 + (run_s + 1) * 1000 + pod_off;
			id = hub_deliver(&h, a, b, 0, now);
			stray += id != sid;
		}
		hub_tick(&h, now);
		CHECK(h.nfinal == 0);
	}
	CHECK(stray == 0);
	CHECK(h.begun == 1);
	CHECK(h.orphan_stops == 0);
	CHECK(h.rs.open.id == 0 && h.rs.closing.id == sid);
	CHECK(h.rs.closing.start_ms == T0 + 800 + pod_off);	/* pod start */
	/* The pod stopped later but its clock is behind: the later stamp. */
	CHECK(h.rs.closing.stop_ms == T0 + run_s * 1000);
	CHECK(h.rs.closing.last_t_ms == T0 + run_s * 1000);
	/* Due grace after the pod's stop reached the hub, not before. */
	hub_tick(&h, H0 + (run_s + 1) * 1000 + 500 + GRACE - 1);
	CHECK(h.nfinal == 0);
	hub_tick(&h, H0 + (run_s + 1) * 1000 + 500 + GRACE);
	CHECK(h.nfinal == 1 && h.final[0] == sid);
	CHECK(h.rs.closing.id == 0 && h.rs.open.id == 0);
}

/*
 * Device time decides the boundaries: a watch alone, batches of 10 s.
 * After a pause of the given length (device and hub alike) the run
 * resumes: same session up to idle, a new one past it.
 */
static void
test_story_pause(void)
{
	static const struct { int64_t pause_ms; int sessions; } t[] = {
		{ 60000, 1 },
		{ IDLE - 1000, 1 },	/* sample gap exactly idle */
		{ IDLE - 999, 2 },	/* sample gap idle + 1 */
		{ 3600000, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hub h;
		int64_t s, now = H0, dt = 0, hub_dt = 0;

		memset(&h, 0, sizeof(h));
		for (s = 0; s < 120; s++) {
			/* Batch s: samples [10 s, 10 s + 9 s] arriving 0.5 s
			 * later; the hub's silence is held 1 ms short of idle
			 * (the hub clock is not what this tests). */
			if (s == 60) {
				dt = t[i].pause_ms;
				hub_dt = dt < IDLE - 10001 ? dt : IDLE - 10001;
			}
			now = H0 + s * 10000 + hub_dt + 9500;
			hub_deliver(&h, T0 + s * 10000 + dt,
			    T0 + s * 10000 + dt + 9000, 0, now);
		}
		hub_tick(&h, now + 1);
		CHECK(h.begun == t[i].sessions);
		CHECK(h.nfinal == t[i].sessions - 1);
		hub_tick(&h, now + IDLE);
		CHECK(h.nfinal == t[i].sessions);
	}
}

int
main(void)
{
	test_empty();
	test_begin_touch();
	test_route_open_edges();
	test_due_open();
	test_stop_open();
	test_route_closing_edges();
	test_second_stop();
	test_gap_begin();
	test_displace();
	test_backlog();
	test_route_overlap();
	test_due_order();
	test_forget_find();
	test_story_two_devices();
	test_story_pause();
	return check_done("test_session");
}
