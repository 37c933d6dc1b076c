/*
 * hub.c - see hub.h.
 *
 * Invariants:
 * - A device's dedupe window in memory is ahead of the store's only within
 *   an uncommitted batch; every touched device is saved in the same
 *   transaction as its samples.
 * - An ack names only what a committed transaction holds.
 * - A runner's sessions in memory mirror the open rows of the sessions table.
 * Never blocks on the network: publishing hands bytes to Paho's buffer.
 *
 * Home Assistant (issue 5; ha.h builds every payload, this file decides
 * when). Design notes:
 * 1. What HA shows is derived, never a promise: states are built from the
 *    store after a batch commits (like acks), except live values, which
 *    are sent from the telemetry handler itself (QoS 0, not retained).
 * 2. Work is marked per runner (ha_due bits, a FIFO of runners) while
 *    handling messages, and done by hub_ha_flush in hub_tick, after the
 *    commit and plan_run, so a hundred messages of a runner cost one
 *    state of each kind. Store reads happen only there, never on the
 *    telemetry path. Each tick spends at most HUB_HA_BUDGET_MS on it:
 *    telemetry comes first, so a backlog of new runners (each announced
 *    with some 30 retained messages) drains as fast as with HA off, and
 *    their announcements follow over the next ticks.
 * 3. The telemetry path pays for HA a few float copies per sample into a
 *    running estimate in struct runner (latest cadence, speed, grade per
 *    role; distance since the first sample of the session) and one clock
 *    comparison; a live message is built only when the throttle says one
 *    is due.
 * 4. Plans: plan.c publishes them; the hub hands plan_run a publish that
 *    forwards to the real one and marks the runner, so every new plan
 *    (from a session, a report, the CLI poll, an import) reaches HA.
 * 5. HA's commands are checked by ha_parse_command, never create a
 *    runner, and become next-day reports through the runner's ha_hold;
 *    HA's birth and the edge's "connected" note (mqtt.h) re-announce
 *    every runner, the birth at most once per HUB_HA_BIRTH_MS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuse.h"
#include "ha.h"
#include "hub.h"
#include "plan.h"
#include "queue.h"
#include "session.h"
#include "store.h"
#include "table.h"
#include "stride/codec.h"
#include "stride/log.h"
#include "stride/topic.h"

#define HUB_WAIT_MS		50	/* longest idle wait for messages */
#define HUB_TICK_MS		100	/* timed work at least this often */
#define HUB_STATS_MS		60000	/* a stats line this often, if busy */
#define HUB_DEVICES_PER_SESSION	16	/* more is hostile, not a runner */
#define HUB_COMMIT_MS		20	/* longest a batch stays open */
#define HUB_LINGER_MS		2	/* ...waiting this long for more */
#define HUB_BATCH_MAX		8192	/* messages in one batch at most */
#define HUB_HA_BIRTH_MS		60000	/* answer HA's birth at most this often */
#define HUB_HA_HOURLY_MS	3600000	/* week and report refreshed */
#define HUB_HA_FRESH_MS		10000	/* a role's live value stays preferred */
#define HUB_HA_REPORTS		64	/* newest reports read for the view */
#define HUB_HA_BUDGET_MS	5	/* HA work per tick (HUB_TICK_MS) */

/* What HA work a runner has waiting for hub_ha_flush (design note 2). */
enum {
	HUB_HA_ANNOUNCE	= 1 << 0,	/* discovery, then every state */
	HUB_HA_IDLE	= 1 << 1,	/* the all-null live message */
	HUB_HA_SESSION	= 1 << 2,
	HUB_HA_WEEK	= 1 << 3,
	HUB_HA_PLAN	= 1 << 4,
	HUB_HA_REPORT	= 1 << 5,
	HUB_HA_DEVICES	= 1 << 6	/* devices with ha_state set */
};

/* The newest live values one kind of device sent in the open session
 * (device time 0: none yet). Distance: the device's cumulative figure,
 * less the first one of the session. Freshness is judged on the hub's
 * clock (rx_ms): devices' clocks and backlogs differ. */
struct hub_live_src {
	double	cad, spd, grade, dist0, dist;
	int64_t	cad_t, spd_t, grade_t, dist_t;
	int64_t	rx_ms;		/* hub clock: its latest message */
};

struct hub_live {
	int64_t			sess_id;	/* the estimate is of */
	int64_t			last_t_ms;	/* newest sample, any role */
	struct hub_live_src	src[STRIDE_ROLE_COUNT];
};

struct runner {
	int64_t			 id;
	char			 name[STRIDE_ID_MAX + 1];
	struct runner_sessions	 rs;
	int			 dirty;		/* sessions to save this batch */
	struct runner		*next_dirty;
	struct device		*devs;		/* its devices */
	/* Home Assistant */
	struct ha_throttle	 hat;
	struct ha_hold		 hold;
	struct hub_live		 live;
	unsigned		 ha_due;	/* HUB_HA_* */
	struct runner		*ha_next;	/* in hub.ha_queue if ha_due */
};

struct device {
	struct store_device	 sd;
	struct runner		*r;
	int			 dirty;		/* to save this batch */
	struct device		*next_dirty;
	int			 ack_pending;	/* committed, not yet acked */
	uint32_t		 ack_epoch;	/* last published */
	uint32_t		 ack_seq;
	int64_t			 ack_at_ms;
	struct device		*next_in_runner;
	char			 fw[STRIDE_ID_MAX + 1];	/* from its birth */
	int			 ha_state;	/* its HA state to send */
};

/*
 * One log limiter per reason a stranger can trigger, so a flood of one kind
 * of bad message cannot hide another kind. Reasons are the static strings
 * topic_parse and codec_decode return, so the pointer is the key.
 */
#define HUB_RATE_CAUSES	48
struct hub_rate {
	const char	*why;
	struct log_rate	 rate;
};

/* Drain-rate bookkeeping for the benchmark line, across run and drain. */
struct hub_drain_clock {
	int64_t		first_ms;	/* monotonic: first message taken */
	int64_t		done_ms;	/* monotonic: last batch committed */
	uint64_t	count;
};

struct hub {
	const struct hub_config	*cfg;
	struct store		*st;
	hub_publish_fn		 publish;
	void			*publish_arg;
	struct session_params	 sp;
	struct fuse_params	 fp;
	struct table		*runners;	/* name -> struct runner */
	struct table		*devices;	/* "runner/device" -> struct device */
	struct runner		*dirty_runners;
	struct device		*dirty_devices;
	size_t			 pending_acks;
	struct hub_stats	 stats;
	struct hub_rate		 rates[HUB_RATE_CAUSES];	/* by reason */
	struct log_rate		 rate_stale;
	struct log_rate		 rate_store;
	struct log_rate		 rate_limit;
	struct hub_drain_clock	 drain;
	struct planner		*planner;	/* plan.c: after commits */
	struct {
		int		 on;		/* cfg->ha */
		struct ha_params p;
		struct rules_settings rs;	/* for the load figures */
		char		 v1[STRIDE_PREFIX_MAX + 8]; /* "P/v1/" */
		size_t		 v1_len;
		char		 cmd[STRIDE_PREFIX_MAX + 8]; /* "P/ha/" */
		size_t		 cmd_len;
		char		 birth[HA_TOPIC_MAX + 1];
		size_t		 birth_len;
		struct runner	*queue;		/* runners with ha_due, oldest
						   first */
		struct runner	*tail;
		int		 announce;	/* every runner, next flush */
		int64_t		 birth_ms;	/* last birth answered */
		int64_t		 hourly_ms;
		int64_t		 sym_seen;	/* newest report id seen */
		struct session_summary *ss;	/* RULES_SESSIONS_MAX */
		size_t		 nss;
		struct log_rate	 rate;		/* publish failures */
	}			 ha;
	struct {
		int	open;		/* a transaction is open */
		int	rc;		/* -1 once a store call failed */
		size_t	count;		/* messages taken */
		int64_t	start_ms;	/* monotonic */
	}			 batch;
};

static int	hub_finalize(struct hub *, struct runner *, int64_t id);
static int	hub_reload(struct hub *);
static int	hub_batch_end(struct hub *, int64_t now_ms);

static struct log_rate *
hub_rate(struct hub *h, const char *why)
{
	size_t i;

	for (i = 0; i < HUB_RATE_CAUSES - 1; i++) {
		if (h->rates[i].why == why)
			return &h->rates[i].rate;
		if (h->rates[i].why == NULL) {
			h->rates[i].why = why;
			return &h->rates[i].rate;
		}
	}
	return &h->rates[HUB_RATE_CAUSES - 1].rate;	/* shared overflow */
}

/* Queue HA work for r (design note 2); done after the commit. */
static void
hub_ha_due(struct hub *h, struct runner *r, unsigned what)
{
	if (!h->ha.on)
		return;
	if (r->ha_due == 0) {
		r->ha_next = NULL;
		if (h->ha.tail != NULL)
			h->ha.tail->ha_next = r;
		else
			h->ha.queue = r;
		h->ha.tail = r;
	}
	r->ha_due |= what;
}

/* Runners and devices. */

static struct runner *
hub_runner(struct hub *h, const char *name, int64_t id)
{
	struct runner *r;

	if ((r = table_get(h->runners, name)) != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->id = id;
	if (table_put(h->runners, r->name, r) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

static void
hub_device_key(char *buf, size_t cap, const char *runner, const char *device)
{
	snprintf(buf, cap, "%s/%s", runner, device);
}

static struct device *
hub_device_add(struct hub *h, const struct store_device *sd, struct runner *r)
{
	struct device	*d;
	char		 key[2 * STRIDE_ID_MAX + 2];

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->sd = *sd;
	d->r = r;
	d->next_in_runner = r->devs;
	r->devs = d;
	/* ack_epoch/ack_seq 0: the first ack after a start is always sent. */
	hub_device_key(key, sizeof(key), sd->runner, sd->device);
	if (table_put(h->devices, key, d) == -1) {
		free(d);
		return NULL;
	}
	return d;
}

/*
 * The device a topic names, created on first sight. (Issue 4 replaces this
 * with enrolment: only devices paired through the CLI will be accepted.)
 */
static struct device *
hub_device(struct hub *h, const struct stride_topic *t)
{
	struct store_device	 sd;
	struct runner		*r;
	struct device		*d;
	char			 key[2 * STRIDE_ID_MAX + 2];
	int64_t			 rid;

	hub_device_key(key, sizeof(key), t->runner, t->device);
	if ((d = table_get(h->devices, key)) != NULL)
		return d;
	if (store_runner_get(h->st, t->runner, 1, &rid) != 0)
		return NULL;
	if ((r = hub_runner(h, t->runner, rid)) == NULL)
		return NULL;
	if (store_device_get(h->st, rid, t->runner, t->device, 1, &sd) != 0)
		return NULL;
	log_debug("new device %s/%s", t->runner, t->device);
	if ((d = hub_device_add(h, &sd, r)) == NULL)
		return NULL;
	/* A new runner or device: HA gets its entities (and states). */
	d->ha_state = 1;
	hub_ha_due(h, r, HUB_HA_ANNOUNCE);
	return d;
}

static void
hub_mark_device(struct hub *h, struct device *d)
{
	if (!d->dirty) {
		d->dirty = 1;
		d->next_dirty = h->dirty_devices;
		h->dirty_devices = d;
	}
}

static void
hub_mark_runner(struct hub *h, struct runner *r)
{
	if (!r->dirty) {
		r->dirty = 1;
		r->next_dirty = h->dirty_runners;
		h->dirty_runners = r;
	}
}

/* Sessions. */

/* The session device time t_ms belongs to, beginning one if needed. */
static struct sess *
hub_session_for(struct hub *h, struct runner *r, int64_t t_ms, int64_t now_ms)
{
	int64_t id, displaced;

	switch (session_route(&r->rs, t_ms, &h->sp)) {
	case SESSION_ROUTE_OPEN:
		return &r->rs.open;
	case SESSION_ROUTE_CLOSING:
		return &r->rs.closing;
	case SESSION_ROUTE_NEW:
		break;
	}
	/* Make room first: a due or displaced session is finalized now. */
	while (r->rs.closing.id != 0 && r->rs.open.id != 0) {
		if (hub_finalize(h, r, r->rs.closing.id) == -1)
			return NULL;
	}
	if (store_session_new(h->st, r->id, t_ms, &id) == -1)
		return NULL;
	while ((displaced = session_begin(&r->rs, id, t_ms, now_ms)) != 0) {
		if (hub_finalize(h, r, displaced) == -1)
			return NULL;
	}
	h->stats.sessions_opened++;
	hub_mark_runner(h, r);
	log_debug("runner %s: session %lld begins", r->name, (long long)id);
	/* Not always OPEN: an older run uploaded late goes to CLOSING. */
	return session_find(&r->rs, id);
}

struct hub_collect {
	struct fuse_input	 in[HUB_DEVICES_PER_SESSION];
	size_t			 n;
};

static int
hub_collect_cb(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct hub_collect	*c = arg;
	struct stride_sample	*copy;

	(void)device_id;
	if (c->n == HUB_DEVICES_PER_SESSION || n == 0)
		return 0;	/* the first devices are enough to fuse */
	if ((copy = malloc(n * sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, s, n * sizeof(*copy));
	c->in[c->n].role = role;
	c->in[c->n].s = copy;
	c->in[c->n].n = n;
	c->n++;
	return 0;
}

/* Fuse and summarise session id, store the summary, forget the session. */
static int
hub_finalize(struct hub *h, struct runner *r, int64_t id)
{
	struct hub_collect	 c;
	struct session_summary	 sum;
	struct sess		*s;
	size_t			 i;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	memset(&sum, 0, sizeof(sum));
	if ((s = session_find(&r->rs, id)) == NULL)
		return -1;
	if (store_session_samples(h->st, id, hub_collect_cb, &c) != 0)
		goto done;
	if (fuse_session(c.in, c.n, &h->fp, &sum) == -1) {
		/* A session of events only: keep its span, no figures. */
		memset(&sum, 0, sizeof(sum));
		sum.start_ms = s->start_ms;
		sum.end_ms = s->stop_ms != 0 ? s->stop_ms : s->last_t_ms;
	}
	if (store_session_close(h->st, id, &sum) == -1)
		goto done;
	session_forget(&r->rs, id);
	h->stats.sessions_closed++;
	if (r->live.sess_id == id)
		memset(&r->live, 0, sizeof(r->live));
	hub_ha_due(h, r, HUB_HA_IDLE | HUB_HA_SESSION | HUB_HA_WEEK |
	    HUB_HA_REPORT);
	(void)plan_mark(h->planner, r->id, r->name, NULL);
	log_info("runner %s: session %lld: %.0f m in %.0f s moving, "
	    "cadence %.0f spm, step %.2f m, %u samples from %u devices",
	    r->name, (long long)id, sum.distance_m, sum.moving_s,
	    sum.avg_cadence_spm, sum.avg_step_m, sum.samples, sum.devices);
	rc = 0;
done:
	for (i = 0; i < c.n; i++)
		free((void *)c.in[i].s);
	return rc;
}

static int
hub_save_sessions(struct hub *h)
{
	struct store_session	 ss;
	struct runner		*r, *next;
	struct sess		*slots[2];
	int			 i, rc = 0;

	for (r = h->dirty_runners; r != NULL; r = next) {
		next = r->next_dirty;
		r->dirty = 0;
		r->next_dirty = NULL;
		slots[0] = &r->rs.open;
		slots[1] = &r->rs.closing;
		for (i = 0; i < 2; i++) {
			if (slots[i]->id == 0)
				continue;
			memset(&ss, 0, sizeof(ss));
			ss.id = slots[i]->id;
			ss.runner_id = r->id;
			ss.open = 1;
			ss.start_ms = slots[i]->start_ms;
			ss.last_t_ms = slots[i]->last_t_ms;
			ss.stop_ms = slots[i]->stop_ms;
			if (store_session_save(h->st, &ss) == -1)
				rc = -1;
		}
	}
	h->dirty_runners = NULL;
	return rc;
}

/* Home Assistant: live values (design note 3). */

static void
hub_live_take(struct hub_live *lv, enum stride_role role,
    const struct stride_sample *s, size_t n, int64_t now_ms)
{
	struct hub_live_src	*src;
	size_t			 i;
	int64_t			 t;

	src = &lv->src[role < STRIDE_ROLE_COUNT ? role : STRIDE_ROLE_UNKNOWN];
	src->rx_ms = now_ms;
	for (i = 0; i < n; i++) {
		t = s[i].t_ms;
		if (t > lv->last_t_ms)
			lv->last_t_ms = t;
		if ((s[i].has & STRIDE_HAS_CAD) && t >= src->cad_t) {
			src->cad = s[i].cad_spm;
			src->cad_t = t;
		}
		if ((s[i].has & STRIDE_HAS_SPD) && t >= src->spd_t) {
			src->spd = s[i].spd_mps;
			src->spd_t = t;
		}
		if ((s[i].has & STRIDE_HAS_GRADE) && t >= src->grade_t) {
			src->grade = s[i].grade_pct;
			src->grade_t = t;
		}
		if ((s[i].has & STRIDE_HAS_DIST) && t >= src->dist_t) {
			if (src->dist_t == 0)
				src->dist0 = s[i].dist_m;
			else if (s[i].dist_m < src->dist - 100) {
				/* The device restarted its count: carry on
				 * from what it had run. */
				src->dist0 -= src->dist;
			} else if (s[i].dist_m < src->dist)
				continue;	/* a correction: keep ours */
			src->dist = s[i].dist_m;
			src->dist_t = t;
		}
	}
}

enum hub_live_field { HUB_LF_CAD, HUB_LF_SPD, HUB_LF_GRADE, HUB_LF_DIST };

/* The field from the first role in order that has a fresh one (stale_ok:
 * or any), else NaN. */
static double
hub_live_pick(const struct hub_live *lv, enum hub_live_field f,
    const enum stride_role order[3], int stale_ok, int64_t now_ms)
{
	const struct hub_live_src	*src;
	int64_t				 t;
	double				 v;
	int				 i, pass;

	for (pass = 0; pass < (stale_ok ? 2 : 1); pass++) {
		for (i = 0; i < 3; i++) {
			src = &lv->src[order[i]];
			switch (f) {
			case HUB_LF_CAD:
				t = src->cad_t, v = src->cad;
				break;
			case HUB_LF_SPD:
				t = src->spd_t, v = src->spd;
				break;
			case HUB_LF_GRADE:
				t = src->grade_t, v = src->grade;
				break;
			default:
				t = src->dist_t, v = src->dist - src->dist0;
				break;
			}
			if (t != 0 && (pass == 1 ||
			    now_ms - src->rx_ms <= HUB_HA_FRESH_MS))
				return v;
		}
	}
	return NAN;
}

/* Build and send r's live message; the throttle said one is due. Kept out
 * of hub_ha_live so the hot path's frame stays small. */
static void
hub_ha_live_send(struct hub *h, struct runner *r, const struct sess *sess,
    int64_t now_ms)
{
	static const enum stride_role pod_first[3] = { STRIDE_ROLE_FOOTPOD,
	    STRIDE_ROLE_WATCH, STRIDE_ROLE_UNKNOWN };
	static const enum stride_role watch_first[3] = { STRIDE_ROLE_WATCH,
	    STRIDE_ROLE_FOOTPOD, STRIDE_ROLE_UNKNOWN };
	const struct hub_live	*lv = &r->live;
	struct ha_live		 l;
	struct ha_msg		 m;

	l.cad_spm = hub_live_pick(lv, HUB_LF_CAD, pod_first, 0, now_ms);
	l.spd_mps = hub_live_pick(lv, HUB_LF_SPD, watch_first, 0, now_ms);
	l.grade_pct = hub_live_pick(lv, HUB_LF_GRADE, watch_first, 0, now_ms);
	l.dist_m = hub_live_pick(lv, HUB_LF_DIST, watch_first, 1, now_ms);
	l.dur_s = lv->last_t_ms >= sess->start_ms ?
	    (double)(lv->last_t_ms - sess->start_ms) / 1000.0 : NAN;
	if (ha_state_live(&h->ha.p, r->name, &l, &m) == 0 &&
	    ha_should_publish(&r->hat, &h->ha.p, now_ms, &m))
		(void)h->publish(h->publish_arg, m.topic, m.payload, m.len,
		    m.qos, m.retained);
}

/* Telemetry of r's open session was stored: keep the estimate, and send
 * it when the throttle allows (the same test ha_should_publish makes,
 * first, so nothing is built for the messages in between). */
static void
hub_ha_live(struct hub *h, struct runner *r, const struct sess *sess,
    enum stride_role role, const struct stride_sample *s, size_t n,
    int64_t now_ms)
{
	const struct ha_throttle *t = &r->hat;

	if (r->live.sess_id != sess->id) {
		memset(&r->live, 0, sizeof(r->live));
		r->live.sess_id = sess->id;
	}
	hub_live_take(&r->live, role, s, n, now_ms);
	if (h->publish != NULL && (!t->live_sent || now_ms < t->live_ms ||
	    now_ms - t->live_ms >= h->ha.p.live_interval_ms))
		hub_ha_live_send(h, r, sess, now_ms);
}

/* Message handlers: the message is decoded and new; the batch is open. */

static int
hub_on_telemetry(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	const struct stride_sample	*s = m->u.tel.s;
	size_t				 n = m->u.tel.n;
	struct sess			*sess;

	if (m->u.tel.role != STRIDE_ROLE_UNKNOWN && d->sd.role != m->u.tel.role)
		d->sd.role = m->u.tel.role;
	if ((sess = hub_session_for(h, d->r, s[0].t_ms, now_ms)) == NULL)
		return -1;
	if (store_chunk_put(h->st, sess->id, d->sd.id, m->epoch, m->seq, s,
	    n) == -1)
		return -1;
	session_touch(sess, s[0].t_ms, s[n - 1].t_ms, now_ms);
	hub_mark_runner(h, d->r);
	h->stats.samples += n;
	if (h->ha.on && sess == &d->r->rs.open)
		hub_ha_live(h, d->r, sess, d->sd.role, s, n, now_ms);
	return 0;
}

static int
hub_on_event(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	struct runner	*r = d->r;
	struct sess	*sess;
	int64_t		 t = m->u.ev.t_ms, displaced;

	if (m->u.ev.type == STRIDE_EVENT_STOP &&
	    session_route(&r->rs, t, &h->sp) == SESSION_ROUTE_NEW) {
		/* A stop for a session we never saw: nothing to end. */
		log_debug("runner %s: stop with no session", r->name);
		return 0;
	}
	if ((sess = hub_session_for(h, r, t, now_ms)) == NULL)
		return -1;
	if (store_event_put(h->st, sess->id, d->sd.id, t, m->u.ev.type) == -1)
		return -1;
	if (m->u.ev.type == STRIDE_EVENT_STOP) {
		if (m->u.ev.has_cues && store_cues_put(h->st, sess->id,
		    d->sd.id, m->u.ev.cues) == -1)
			return -1;
		displaced = session_stop(&r->rs, sess, t, now_ms, &h->sp);
		if (displaced != 0 && hub_finalize(h, r, displaced) == -1)
			return -1;
	} else
		session_touch(sess, t, t, now_ms);
	hub_mark_runner(h, r);
	return 0;
}

static int
hub_on_symptom(struct hub *h, struct device *d, const struct stride_msg *m)
{
	int64_t session_id = d->r->rs.open.id;

	if (store_symptom_put(h->st, d->r->id, d->sd.id, session_id,
	    m->u.sym.t_ms, m->u.sym.when, m->u.sym.level, m->u.sym.score) == -1)
		return -1;
	(void)plan_mark(h->planner, d->r->id, d->r->name, NULL);
	hub_ha_due(h, d->r, HUB_HA_REPORT);
	return 0;
}

static void
hub_on_status(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	/* Coming online: re-send its plan, in case the broker lost it. */
	if (m->u.status.online && !d->sd.online)
		(void)plan_mark(h->planner, d->r->id, d->r->name, d->sd.device);
	d->sd.online = m->u.status.online;
	if (m->u.status.role != STRIDE_ROLE_UNKNOWN)
		d->sd.role = m->u.status.role;
	/* A battery level first known: HA gets the battery entity. */
	if (m->u.status.battery >= 0 && d->sd.battery < 0)
		hub_ha_due(h, d->r, HUB_HA_ANNOUNCE);
	if (m->u.status.battery >= 0)
		d->sd.battery = m->u.status.battery;
	if (m->u.status.fw[0] != '\0')
		snprintf(d->fw, sizeof(d->fw), "%s", m->u.status.fw);
	d->sd.last_seen_ms = now_ms;
	d->ha_state = 1;
	hub_ha_due(h, d->r, HUB_HA_DEVICES);
}

/* Home Assistant's input (design note 5). */

static const char hub_why_unknown_runner[] = "unknown runner";

/* A command from HA's select or number. The edge has dropped retained
 * ones (mqtt.h): the queue does not carry the flag. */
static int
hub_on_ha_command(struct hub *h, const struct inmsg *im, int64_t now_ms)
{
	struct ha_command	 c;
	struct runner		*r;
	enum stride_level	 level;
	const char		*why;
	int64_t			 rid;
	int			 score, rc;

	if (ha_parse_command(&h->ha.p, im->data, im->topic_len, im->payload,
	    im->payload_len, 0, &c, &why) == -1) {
		h->stats.bad_payload++;
		log_rate_warnx(hub_rate(h, why),
		    "dropped Home Assistant command on %.*s: %s",
		    (int)(im->topic_len > 120 ? 120 : im->topic_len), im->data,
		    why);
		return 0;
	}
	if ((r = table_get(h->runners, c.runner)) == NULL) {
		/* Known to the store (say, typed at the CLI) but not here
		 * yet; never created by a command. */
		if ((rc = store_runner_get(h->st, c.runner, 0, &rid)) == -1)
			return -1;
		if (rc == 1) {
			h->stats.bad_payload++;
			log_rate_warnx(hub_rate(h, hub_why_unknown_runner),
			    "dropped Home Assistant command for %s: %s",
			    c.runner, hub_why_unknown_runner);
			return 0;
		}
		if ((r = hub_runner(h, c.runner, rid)) == NULL)
			return -1;
	}
	if (ha_hold_apply(&r->hold, &c, now_ms, HA_HOLD_MS_DEFAULT, &level,
	    &score) == 1) {
		if (store_symptom_put(h->st, r->id, 0, 0, now_ms,
		    STRIDE_WHEN_NEXT_DAY, level, score) == -1)
			return -1;
		(void)plan_mark(h->planner, r->id, r->name, NULL);
		if (score >= 0)
			log_info("runner %s: next-day report %s, score %d, "
			    "from Home Assistant", r->name,
			    stride_level_name(level), score);
		else
			log_info("runner %s: next-day report %s from Home "
			    "Assistant", r->name, stride_level_name(level));
	}
	/* Always: the score waiting for its word shows, or the new status. */
	hub_ha_due(h, r, HUB_HA_REPORT);
	h->stats.stored++;
	return 0;
}

/* HA (re)started: announce everything again, at most once a minute (an HA
 * user publishing "online" in a loop must not make us flood the broker). */
static void
hub_on_ha_birth(struct hub *h, int64_t now_ms)
{
	if (h->ha.birth_ms != 0 && now_ms >= h->ha.birth_ms &&
	    now_ms - h->ha.birth_ms < HUB_HA_BIRTH_MS) {
		log_debug("Home Assistant birth: answered %lld ms ago; ignored",
		    (long long)(now_ms - h->ha.birth_ms));
		return;
	}
	h->ha.birth_ms = now_ms;
	h->ha.announce = 1;
	log_info("Home Assistant came online: announcing every runner");
}

/* 1 if im is not for the device protocol and HA handled it. Runs only for
 * topics outside P/v1/ (design note 3: telemetry pays one memcmp). */
static int
hub_ha_input(struct hub *h, const struct inmsg *im, int64_t now_ms, int *rc)
{
	*rc = 0;
	if (im->topic_len == h->ha.birth_len &&
	    memcmp(im->data, h->ha.birth, h->ha.birth_len) == 0) {
		if (ha_is_birth(&h->ha.p, im->data, im->topic_len,
		    im->payload, im->payload_len))
			hub_on_ha_birth(h, now_ms);
		return 1;	/* HA's will ("offline"): nothing to do */
	}
	if (im->topic_len > h->ha.cmd_len &&
	    memcmp(im->data, h->ha.cmd, h->ha.cmd_len) == 0) {
		*rc = hub_on_ha_command(h, im, now_ms);
		return 1;
	}
	return 0;
}

/* One message: every check, then the handler. Returns -1 only when the
 * store failed (the batch must be rolled back). */
static int
hub_handle(struct hub *h, const struct inmsg *im, int64_t now_ms)
{
	struct stride_topic	 t;
	struct stride_msg	 m;
	struct device		*d;
	const char		*why;
	uint32_t		 lost;
	int			 rc = 0;

	if (im->topic_len == 0) {
		/* The edge (re)connected (mqtt.h): HA may have missed
		 * anything while we were away. */
		h->ha.announce = h->ha.on;
		return 0;
	}
	h->stats.messages++;
	if (h->ha.on && (im->topic_len <= h->ha.v1_len ||
	    memcmp(im->data, h->ha.v1, h->ha.v1_len) != 0) &&
	    hub_ha_input(h, im, now_ms, &rc))
		return rc;
	if (topic_parse(h->cfg->prefix, im->data, im->topic_len, &t,
	    &why) == -1) {
		h->stats.bad_topic++;
		log_rate_warnx(hub_rate(h, why), "dropped message on %.*s: %s",
		    (int)(im->topic_len > 120 ? 120 : im->topic_len), im->data,
		    why);
		return 0;
	}
	if (codec_decode(t.kind, im->payload, im->payload_len, &m,
	    &why) == -1) {
		h->stats.bad_payload++;
		log_rate_warnx(hub_rate(h, why),
		    "dropped %s from %s/%s: %s (%zu bytes)",
		    stride_kind_name(t.kind), t.runner, t.device, why,
		    im->payload_len);
		return 0;
	}
	if ((d = hub_device(h, &t)) == NULL)
		return -1;
	d->sd.last_seen_ms = now_ms;
	if (t.kind == STRIDE_KIND_STATUS) {
		hub_on_status(h, d, &m, now_ms);
		hub_mark_device(h, d);
		h->stats.stored++;
		return 0;
	}
	switch (dedupe_check(&d->sd.dd, m.epoch, m.seq, &lost)) {
	case DEDUPE_NEW:
		break;
	case DEDUPE_DUPLICATE:
		/* The device re-sends what it thinks unacked: ack it again. */
		d->ack_seq = 0;
		d->ack_pending = 1;
		h->stats.duplicates++;
		log_debug("duplicate %s/%s %u.%u", t.runner, t.device,
		    m.epoch, m.seq);
		return 0;
	case DEDUPE_STALE:
		h->stats.stale++;
		log_rate_warnx(&h->rate_stale,
		    "dropped %s from %s/%s: epoch %u is older than %u",
		    stride_kind_name(t.kind), t.runner, t.device, m.epoch,
		    d->sd.dd.epoch);
		return 0;
	}
	if (lost > 0) {
		h->stats.lost += lost;
		log_info("%s/%s: %u messages never arrived before %u.%u",
		    t.runner, t.device, lost, m.epoch, m.seq);
	}
	hub_mark_device(h, d);
	switch (t.kind) {
	case STRIDE_KIND_TELEMETRY:
		rc = hub_on_telemetry(h, d, &m, now_ms);
		break;
	case STRIDE_KIND_EVENT:
		rc = hub_on_event(h, d, &m, now_ms);
		break;
	case STRIDE_KIND_SYMPTOM:
		rc = hub_on_symptom(h, d, &m);
		break;
	default:
		break;
	}
	if (rc == 0)
		h->stats.stored++;
	return rc;
}

/* Acks. */

static void
hub_publish_ack(struct hub *h, struct device *d, int64_t now_ms)
{
	struct stride_msg	m;
	char			topic[STRIDE_TOPIC_MAX], buf[128];
	int			len;

	d->ack_pending = 0;
	if (d->sd.dd.acked == 0 ||
	    (d->ack_epoch == d->sd.dd.epoch && d->ack_seq == d->sd.dd.acked))
		return;
	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_ACK;
	m.u.ack.epoch = d->sd.dd.epoch;
	m.u.ack.seq = d->sd.dd.acked;
	if ((len = codec_encode(&m, buf, sizeof(buf))) < 0 ||
	    topic_build(topic, sizeof(topic), h->cfg->prefix, d->sd.runner,
	    d->sd.device, STRIDE_KIND_ACK) < 0)
		return;
	if (h->publish == NULL ||
	    h->publish(h->publish_arg, topic, buf, (size_t)len, 1, 1) == -1) {
		d->ack_pending = 1;	/* the next tick retries */
		return;
	}
	d->ack_epoch = m.u.ack.epoch;
	d->ack_seq = m.u.ack.seq;
	d->ack_at_ms = now_ms;
	h->stats.acks_published++;
}

struct hub_tick_ctx {
	struct hub	*h;
	int64_t		 now_ms;
	int		 rc;
};

static void
hub_tick_ack(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct device		*d = value;

	if (d->ack_pending &&
	    c->now_ms - d->ack_at_ms >= c->h->cfg->ack_interval_ms)
		hub_publish_ack(c->h, d, c->now_ms);
}

static void
hub_tick_sessions(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct runner		*r = value;
	int64_t			 id;

	if (r->rs.open.id == 0 && r->rs.closing.id == 0)
		return;
	while (c->rc == 0 && (id = session_due(&r->rs, c->now_ms,
	    &c->h->sp)) != 0) {
		if (hub_finalize(c->h, r, id) == -1)
			c->rc = -1;
	}
}

/* Home Assistant: after the commit (design notes 1, 2, 4). */

static void
hub_ha_send(struct hub *h, struct runner *r, const struct ha_msg *m,
    int64_t now_ms)
{
	if (!ha_should_publish(&r->hat, &h->ha.p, now_ms, m))
		return;
	if (h->publish(h->publish_arg, m->topic, m->payload, m->len, m->qos,
	    m->retained) == -1) {
		/* Not sent: let the next change (or birth) try again. */
		r->hat.sent[m->stream] = 0;
	}
}

static size_t
hub_ha_devices(const struct runner *r, struct ha_device *out, size_t cap)
{
	const struct device	*d;
	size_t			 n = 0;

	for (d = r->devs; d != NULL; d = d->next_in_runner) {
		if (out != NULL && n < cap) {
			out[n].id = d->sd.device;
			out[n].role = d->sd.role;
			out[n].online = d->sd.online;
			out[n].battery = d->sd.battery;
			out[n].fw = d->fw;
		}
		n++;
	}
	return n;
}

static void
hub_ha_discovery(struct hub *h, struct runner *r)
{
	struct ha_device	*dev;
	size_t			 n;

	n = hub_ha_devices(r, NULL, 0);
	if ((dev = calloc(n > 0 ? n : 1, sizeof(*dev))) == NULL)
		return;
	(void)hub_ha_devices(r, dev, n);
	if (ha_discovery(&h->ha.p, r->name, dev, n, h->publish,
	    h->publish_arg) == -1)
		log_rate_warnx(&h->ha.rate, "Home Assistant: discovery of "
		    "runner %s not (fully) published", r->name);
	free(dev);
}

/* A closed session the rules could use as a run: plan.c's test, so the
 * week HA shows is the week the plan was made from. */
static int
hub_ha_fin(double x)
{
	return isfinite(x) && x >= 0;
}

static int
hub_ha_usable(const struct session_summary *m)
{
	int b;

	if (m->start_ms < STRIDE_T_MIN_MS || m->start_ms > STRIDE_T_MAX_MS ||
	    m->end_ms < m->start_ms || m->samples == 0 ||
	    !hub_ha_fin(m->moving_s) || m->moving_s <= 0 ||
	    !hub_ha_fin(m->distance_m) || !hub_ha_fin(m->avg_speed_mps) ||
	    m->avg_speed_mps > STRIDE_SPD_MAX_MPS ||
	    !hub_ha_fin(m->max_speed_mps) || !hub_ha_fin(m->avg_cadence_spm) ||
	    m->avg_cadence_spm > STRIDE_CAD_MAX_SPM ||
	    !hub_ha_fin(m->avg_step_m) || !hub_ha_fin(m->ungraded_s))
		return 0;
	for (b = 0; b < FUSE_BANDS; b++) {
		if (!hub_ha_fin(m->band_s[b]) || !hub_ha_fin(m->band_m[b]))
			return 0;
	}
	return 1;
}

static int
hub_ha_take_session(void *arg, const struct store_session *s)
{
	struct hub *h = arg;

	if (hub_ha_usable(&s->sum) && h->ha.nss < RULES_SESSIONS_MAX)
		h->ha.ss[h->ha.nss++] = s->sum;
	return 0;
}

static int
hub_ha_cmp_start(const void *a, const void *b)
{
	const struct session_summary *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static int
hub_ha_take_report(void *arg, const struct store_symptom *y)
{
	struct ha_report_view *v = arg;

	if (y->when == STRIDE_WHEN_NEXT_DAY && y->t_ms >= v->report_ms) {
		v->report_ms = y->t_ms;
		v->level = y->level;
		v->score = y->score;
	}
	return 0;
}

/* The last run, the week and the report, from the store. */
static void
hub_ha_history(struct hub *h, struct runner *r, unsigned due, int64_t now_ms)
{
	static const struct rules_input	 zero_in;
	const struct session_summary	*last = NULL;
	struct rules_input		 in = zero_in;
	struct rules_loads		 loads;
	struct ha_report_view		 v;
	struct ha_week			 wk;
	struct ha_msg			 m;
	int64_t				 from;

	from = now_ms - (int64_t)(RULES_HISTORY_DAYS +
	    h->ha.rs.baseline_days) * RULES_DAY_MS;
	h->ha.nss = 0;
	if (store_summaries_walk(h->st, r->id, from, RULES_SESSIONS_MAX,
	    hub_ha_take_session, h) != 0)
		return;
	qsort(h->ha.ss, h->ha.nss, sizeof(h->ha.ss[0]), hub_ha_cmp_start);
	if (h->ha.nss > 0)
		last = &h->ha.ss[h->ha.nss - 1];
	if ((due & HUB_HA_SESSION) && ha_state_session(&h->ha.p, r->name,
	    last, last != NULL ? rules_session_load(last, &h->ha.rs) : NAN,
	    &m) == 0)
		hub_ha_send(h, r, &m, now_ms);
	if (due & HUB_HA_WEEK) {
		in.sessions = h->ha.ss;
		in.nsessions = h->ha.nss;
		in.profile.usual_score = -1;
		if (rules_loads(&in, &h->ha.rs, now_ms, &loads) == 0)
			ha_week_fill(h->ha.ss, h->ha.nss, &loads, now_ms, &wk);
		else
			ha_week_fill(h->ha.ss, h->ha.nss, NULL, now_ms, &wk);
		if (ha_state_week(&h->ha.p, r->name, &wk, &m) == 0)
			hub_ha_send(h, r, &m, now_ms);
	}
	if (due & HUB_HA_REPORT) {
		memset(&v, 0, sizeof(v));
		v.last_run_end_ms = last != NULL ? last->end_ms : 0;
		v.level = STRIDE_LEVEL_NONE;
		v.score = -1;
		v.pending_score = ha_hold_pending(&r->hold, now_ms,
		    HA_HOLD_MS_DEFAULT);
		if (store_symptoms_walk(h->st, r->id, 0, HUB_HA_REPORTS,
		    hub_ha_take_report, &v) != 0)
			return;
		if (ha_state_report(&h->ha.p, r->name, &v, &m) == 0)
			hub_ha_send(h, r, &m, now_ms);
	}
}

static void
hub_ha_plan(struct hub *h, struct runner *r, int64_t now_ms)
{
	struct store_plan	 sp;
	struct plan		 pl;
	struct ha_msg		 m;
	const char		*why;
	int			 rc;

	memset(&pl, 0, sizeof(pl));
	if ((rc = store_plan_latest(h->st, r->id, &sp)) == -1)
		return;
	if (rc == 0 && plan_decode(sp.json, sp.len, &pl, &why) == -1)
		memset(&pl, 0, sizeof(pl));	/* shown as no plan */
	if (ha_state_plan(&h->ha.p, r->name, &pl, &m) == 0)
		hub_ha_send(h, r, &m, now_ms);
}

static void
hub_ha_runner(struct hub *h, struct runner *r, unsigned due, int64_t now_ms)
{
	struct ha_device	 hd;
	struct ha_msg		 m;
	struct device		*d;

	if (due & HUB_HA_ANNOUNCE) {
		hub_ha_discovery(h, r);
		due |= HUB_HA_SESSION | HUB_HA_WEEK | HUB_HA_PLAN |
		    HUB_HA_REPORT | HUB_HA_DEVICES;
		for (d = r->devs; d != NULL; d = d->next_in_runner)
			d->ha_state = 1;
	}
	if ((due & HUB_HA_IDLE) && r->rs.open.id == 0 &&
	    ha_state_live(&h->ha.p, r->name, NULL, &m) == 0) {
		/* Always sent, whatever the live throttle says: it is the
		 * one message that ends the run on the dashboard. */
		(void)ha_should_publish(&r->hat, &h->ha.p, now_ms, &m);
		(void)h->publish(h->publish_arg, m.topic, m.payload, m.len,
		    m.qos, m.retained);
	}
	if (due & (HUB_HA_SESSION | HUB_HA_WEEK | HUB_HA_REPORT))
		hub_ha_history(h, r, due, now_ms);
	if (due & HUB_HA_PLAN)
		hub_ha_plan(h, r, now_ms);
	if (due & HUB_HA_DEVICES) {
		for (d = r->devs; d != NULL; d = d->next_in_runner) {
			if (!d->ha_state)
				continue;
			d->ha_state = 0;
			hd.id = d->sd.device;
			hd.role = d->sd.role;
			hd.online = d->sd.online;
			hd.battery = d->sd.battery;
			hd.fw = d->fw;
			if (ha_state_device(&h->ha.p, r->name, &hd, &m) == 0)
				hub_ha_send(h, r, &m, now_ms);
		}
	}
}

static void
hub_ha_announce_one(void *arg, void *value)
{
	struct hub	*h = arg;
	struct runner	*r = value;

	ha_throttle_reset(&r->hat);
	hub_ha_due(h, r, HUB_HA_ANNOUNCE);
}

static void
hub_ha_mark(void *arg, void *value)
{
	struct hub *h = arg;

	hub_ha_due(h, value, HUB_HA_WEEK | HUB_HA_REPORT);
}

/* Do the HA work marked so far, oldest first, for up to budget_ms (at
 * least one runner; < 0: all). Outside any transaction, after plan_run.
 * With no publish (shutdown) the work is dropped: the next start
 * announces everything. */
static void
hub_ha_flush(struct hub *h, int64_t now_ms, int64_t budget_ms)
{
	struct runner	*r;
	unsigned	 due;
	int64_t		 t0 = clock_mono_ms();

	if (!h->ha.on)
		return;
	if (h->ha.announce) {
		h->ha.announce = 0;
		table_walk(h->runners, hub_ha_announce_one, h);
	}
	while ((r = h->ha.queue) != NULL) {
		if ((h->ha.queue = r->ha_next) == NULL)
			h->ha.tail = NULL;
		r->ha_next = NULL;
		due = r->ha_due;
		r->ha_due = 0;
		if (h->publish == NULL)
			continue;
		hub_ha_runner(h, r, due, now_ms);
		if (budget_ms >= 0 && clock_mono_ms() - t0 >= budget_ms)
			break;
	}
}

/* plan.c publishes through this (design note 4): a plan on
 * P/v1/<runner>/<device>/plan means the runner's plan may have changed. */
static int
hub_plan_publish(void *arg, const char *topic, const void *payload,
    size_t len, int qos, int retained)
{
	struct hub	*h = arg;
	struct runner	*r;
	const char	*name, *end;
	char		 buf[STRIDE_ID_MAX + 1];

	if (h->publish == NULL)
		return -1;
	if (h->publish(h->publish_arg, topic, payload, len, qos, retained) ==
	    -1)
		return -1;
	if (!h->ha.on || strncmp(topic, h->ha.v1, h->ha.v1_len) != 0)
		return 0;
	name = topic + h->ha.v1_len;
	if ((end = strchr(name, '/')) == NULL ||
	    (size_t)(end - name) > STRIDE_ID_MAX)
		return 0;
	memcpy(buf, name, (size_t)(end - name));
	buf[end - name] = '\0';
	if ((r = table_get(h->runners, buf)) != NULL)
		hub_ha_due(h, r, HUB_HA_PLAN);
	return 0;
}

static int
hub_symptom_runner(void *arg, int64_t runner_id, const char *runner)
{
	struct hub	*h = arg;
	struct runner	*r;

	(void)runner_id;
	if ((r = table_get(h->runners, runner)) != NULL)
		hub_ha_due(h, r, HUB_HA_REPORT);
	return 0;
}

/*
 * Plans after every commit; in the tick (poll) also reports typed at the
 * CLI, the hourly refresh and the HA work, within its budget.
 */
static void
hub_after_commit(struct hub *h, int64_t now_ms, int poll)
{
	int64_t last;

	(void)plan_run(h->planner, h->st, now_ms, poll,
	    h->publish != NULL ? hub_plan_publish : NULL, h);
	if (!h->ha.on || !poll)
		return;
	/* One index seek, as plan.c's poll: a report that leaves the plan
	 * as it was still changes HA's report status. */
	if (store_symptom_last_id(h->st, &last) == 0 &&
	    last > h->ha.sym_seen && store_symptom_runners_walk(h->st,
	    h->ha.sym_seen, hub_symptom_runner, h) == 0)
		h->ha.sym_seen = last;
	if (now_ms - h->ha.hourly_ms >= HUB_HA_HOURLY_MS ||
	    now_ms < h->ha.hourly_ms) {
		/* The week moves on, and reports come due, with time alone. */
		h->ha.hourly_ms = now_ms;
		table_walk(h->runners, hub_ha_mark, h);
	}
	hub_ha_flush(h, now_ms, HUB_HA_BUDGET_MS);
}

/* Public. */

static int
hub_load_device(void *arg, const struct store_device *sd)
{
	struct hub	*h = arg;
	struct runner	*r;

	if ((r = hub_runner(h, sd->runner, sd->runner_id)) == NULL ||
	    hub_device_add(h, sd, r) == NULL)
		return -1;
	return 0;
}

struct hub_load_ctx {
	struct hub	*h;
	int64_t		 now_ms;
};

static int
hub_load_session(void *arg, const struct store_session *ss)
{
	struct hub_load_ctx	*c = arg;
	struct runner		*r;
	struct sess		*slot;

	if ((r = hub_runner(c->h, ss->runner, ss->runner_id)) == NULL)
		return -1;
	/* A stopped session, or a second open one, waits in CLOSING. */
	slot = ss->stop_ms == 0 && r->rs.open.id == 0 ? &r->rs.open :
	    &r->rs.closing;
	if (slot->id != 0) {
		log_warnx("runner %s: session %lld left open; ignored",
		    r->name, (long long)ss->id);
		return 0;
	}
	slot->id = ss->id;
	slot->start_ms = ss->start_ms;
	slot->last_t_ms = ss->last_t_ms;
	slot->stop_ms = ss->stop_ms;
	slot->last_rx_ms = c->now_ms;
	if (slot == &r->rs.closing)
		slot->close_at_ms = c->now_ms + c->h->sp.grace_ms;
	return 0;
}

static void
hub_free_value(void *arg, void *value)
{
	(void)arg;
	free(value);
}

static void
hub_forget_all(struct hub *h)
{
	h->ha.queue = h->ha.tail = NULL;	/* its runners are freed below */
	if (h->devices != NULL) {
		table_walk(h->devices, hub_free_value, NULL);
		table_free(h->devices);
		h->devices = NULL;
	}
	if (h->runners != NULL) {
		table_walk(h->runners, hub_free_value, NULL);
		table_free(h->runners);
		h->runners = NULL;
	}
}

/* (Re)build the in-memory index from the store: at start, and after a
 * failed batch left memory ahead of the store. */
static int
hub_reload(struct hub *h)
{
	struct hub_load_ctx lc;

	hub_forget_all(h);
	if ((h->runners = table_new()) == NULL ||
	    (h->devices = table_new()) == NULL)
		return -1;
	if (store_devices_walk(h->st, NULL, hub_load_device, h) != 0)
		return -1;
	lc.h = h;
	lc.now_ms = clock_now_ms();
	if (store_sessions_walk(h->st, NULL, 1, hub_load_session, &lc) != 0)
		return -1;
	log_info("loaded %zu runners, %zu devices", table_count(h->runners),
	    table_count(h->devices));
	return 0;
}

static int
hub_ha_init(struct hub *h)
{
	static const struct rules_settings rs = RULES_SETTINGS_DEFAULT;
	const struct hub_config	*cfg = h->cfg;
	const char		*why;
	int			 n;

	h->ha.rs = rs;
	/* P/v1/ is known with HA off too: plan topics are matched by it. */
	n = snprintf(h->ha.v1, sizeof(h->ha.v1), "%s/v1/", cfg->prefix);
	h->ha.v1_len = n > 0 ? (size_t)n : 0;
	if (!cfg->ha)
		return 0;
	config_ha_params(cfg, &h->ha.p);
	if (ha_params_check(&h->ha.p, &why) == -1) {
		log_warnx("Home Assistant: %s", why);
		return -1;
	}
	n = snprintf(h->ha.cmd, sizeof(h->ha.cmd), "%s/ha/", cfg->prefix);
	h->ha.cmd_len = (size_t)n;
	if ((n = ha_birth_topic(&h->ha.p, h->ha.birth,
	    sizeof(h->ha.birth))) < 0)
		return -1;
	h->ha.birth_len = (size_t)n;
	if ((h->ha.ss = calloc(RULES_SESSIONS_MAX, sizeof(*h->ha.ss))) == NULL)
		return -1;
	if (store_symptom_last_id(h->st, &h->ha.sym_seen) == -1)
		return -1;
	/* The first connect announces (and so refreshes) everything. */
	h->ha.hourly_ms = clock_now_ms();
	h->ha.on = 1;
	return 0;
}

struct hub *
hub_new(const struct hub_config *cfg, struct store *st, hub_publish_fn publish,
    void *publish_arg)
{
	struct hub		*h;
	struct fuse_params	 fp = FUSE_PARAMS_DEFAULT;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	h->st = st;
	h->publish = publish;
	h->publish_arg = publish_arg;
	h->sp.idle_ms = cfg->idle_ms;
	h->sp.grace_ms = cfg->grace_ms;
	h->fp = fp;
	if ((h->planner = planner_new(cfg->prefix, NULL)) == NULL) {
		hub_free(h);
		return NULL;
	}
	if (hub_ha_init(h) == -1) {
		hub_free(h);
		return NULL;
	}
	if (hub_reload(h) == -1) {
		hub_free(h);
		return NULL;
	}
	return h;
}

void
hub_set_publish(struct hub *h, hub_publish_fn publish, void *publish_arg)
{
	h->publish = publish;
	h->publish_arg = publish_arg;
}

void
hub_free(struct hub *h)
{
	if (h == NULL)
		return;
	if (h->batch.open)
		(void)hub_batch_end(h, clock_now_ms());
	hub_forget_all(h);
	planner_free(h->planner);
	free(h->ha.ss);
	free(h);
}

/*
 * A batch is one store transaction. hub_run keeps it open across several
 * takes from the queue, up to HUB_COMMIT_MS or HUB_BATCH_MAX messages:
 * fewer, larger commits write each B-tree page once instead of many times.
 */
static int
hub_batch_begin(struct hub *h)
{
	if (store_begin(h->st) == -1)
		return -1;
	h->batch.open = 1;
	h->batch.rc = 0;
	h->batch.count = 0;
	h->batch.start_ms = clock_mono_ms();
	return 0;
}

static void
hub_batch_take(struct hub *h, const struct inmsg *list, int64_t now_ms)
{
	const struct inmsg *im;

	for (im = list; im != NULL && h->batch.rc == 0; im = im->next) {
		h->batch.rc = hub_handle(h, im, now_ms);
		h->batch.count++;
	}
}

static int
hub_batch_end(struct hub *h, int64_t now_ms)
{
	struct device	*d, *next;
	int		 rc = h->batch.rc;

	if (rc == 0)
		rc = hub_save_sessions(h);
	for (d = h->dirty_devices; d != NULL && rc == 0; d = d->next_dirty)
		rc = store_device_save(h->st, &d->sd);
	if (rc == 0)
		rc = store_commit(h->st);
	h->batch.open = 0;
	if (rc == -1) {
		/*
		 * The broker already has our PUBACKs for this batch: say so
		 * loudly. Devices still hold every unacked message and will
		 * re-send it, which is why acks wait for the commit; the
		 * memory state is put back to what the store holds, so those
		 * re-sends are not taken for duplicates.
		 */
		h->stats.store_errors++;
		log_rate_warnx(&h->rate_store,
		    "store failed; batch rolled back, devices will re-send");
		store_rollback(h->st);
		h->dirty_devices = NULL;
		h->dirty_runners = NULL;
		if (hub_reload(h) == -1)
			log_warnx("could not reload state after a store failure");
		return -1;
	}
	for (d = h->dirty_devices; d != NULL; d = next) {
		next = d->next_dirty;
		d->dirty = 0;
		d->next_dirty = NULL;
		if (now_ms - d->ack_at_ms >= h->cfg->ack_interval_ms)
			hub_publish_ack(h, d, now_ms);
		else
			d->ack_pending = 1;
	}
	h->dirty_devices = NULL;
	/* Sessions closed or reports stored: their plans, once committed. */
	hub_after_commit(h, now_ms, 0);
	return 0;
}

int
hub_process(struct hub *h, const struct inmsg *list, int64_t now_ms)
{
	if (hub_batch_begin(h) == -1)
		return -1;
	hub_batch_take(h, list, now_ms);
	return hub_batch_end(h, now_ms);
}

int
hub_tick(struct hub *h, int64_t now_ms)
{
	struct hub_tick_ctx c = { h, now_ms, 0 };

	if (store_begin(h->st) == -1)
		return -1;
	table_walk(h->runners, hub_tick_sessions, &c);
	if (c.rc == 0)
		c.rc = hub_save_sessions(h);
	if (c.rc == 0)
		c.rc = store_commit(h->st);
	if (c.rc == -1)
		store_rollback(h->st);
	table_walk(h->devices, hub_tick_ack, &c);
	/* Plans of sessions closed here, and reports typed at the CLI. */
	hub_after_commit(h, now_ms, 1);
	return c.rc;
}

static void
hub_finalize_one(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct runner		*r = value;

	while (c->rc == 0 && r->rs.closing.id != 0)
		c->rc = hub_finalize(c->h, r, r->rs.closing.id);
	while (c->rc == 0 && r->rs.open.id != 0)
		c->rc = hub_finalize(c->h, r, r->rs.open.id);
}

int
hub_finalize_all(struct hub *h, int64_t now_ms)
{
	struct hub_tick_ctx c = { h, now_ms, 0 };

	if (store_begin(h->st) == -1)
		return -1;
	table_walk(h->runners, hub_finalize_one, &c);
	if (c.rc == 0)
		c.rc = store_commit(h->st);
	if (c.rc == -1)
		store_rollback(h->st);
	hub_after_commit(h, now_ms, 0);
	hub_ha_flush(h, now_ms, -1);
	return c.rc;
}

void
hub_get_stats(const struct hub *h, struct hub_stats *out)
{
	*out = h->stats;
}

static void
hub_log_stats(const struct hub *h)
{
	const struct hub_stats *s = &h->stats;

	log_info("stats: %llu messages, %llu stored, %llu samples, "
	    "%llu duplicates, %llu stale, %llu lost, %llu bad topic, "
	    "%llu bad payload, %llu store errors, sessions %llu opened "
	    "%llu closed, %llu acks",
	    (unsigned long long)s->messages, (unsigned long long)s->stored,
	    (unsigned long long)s->samples, (unsigned long long)s->duplicates,
	    (unsigned long long)s->stale, (unsigned long long)s->lost,
	    (unsigned long long)s->bad_topic,
	    (unsigned long long)s->bad_payload,
	    (unsigned long long)s->store_errors,
	    (unsigned long long)s->sessions_opened,
	    (unsigned long long)s->sessions_closed,
	    (unsigned long long)s->acks_published);
}

static int
hub_step(struct hub *h, struct queue *q, int64_t wait_ms, int64_t *last_tick,
    struct hub_drain_clock *dc)
{
	struct inmsg	*list;
	size_t		 count;
	int64_t		 now, age;

	if (h->batch.open) {
		/*
		 * Under load the next take is already waiting; when it is
		 * not, commit soon rather than hold a lone message (and the
		 * plan it may cause) for the whole batch window.
		 */
		age = clock_mono_ms() - h->batch.start_ms;
		wait_ms = age >= HUB_COMMIT_MS ? 0 : HUB_COMMIT_MS - age;
		if (wait_ms > HUB_LINGER_MS)
			wait_ms = HUB_LINGER_MS;
	}
	list = queue_pop_all(q, wait_ms, &count);
	now = clock_now_ms();
	if (list != NULL) {
		/* Count device messages only, not the edge's notes. */
		uint64_t	before = h->stats.messages;
		int64_t		taken_ms = clock_mono_ms();

		if (h->batch.open || hub_batch_begin(h) == 0)
			hub_batch_take(h, list, now);
		inmsg_free_list(list);
		if (h->stats.messages > before && dc->first_ms == 0)
			dc->first_ms = taken_ms;
		dc->count += h->stats.messages - before;
	}
	if (h->batch.open && (list == NULL || h->batch.count >= HUB_BATCH_MAX ||
	    clock_mono_ms() - h->batch.start_ms >= HUB_COMMIT_MS)) {
		(void)hub_batch_end(h, now);
		dc->done_ms = clock_mono_ms();
	}
	if (!h->batch.open && now - *last_tick >= HUB_TICK_MS) {
		(void)hub_tick(h, now);
		*last_tick = now;
	}
	return list != NULL || h->batch.open;
}

int
hub_run(struct hub *h, struct queue *q, volatile sig_atomic_t *stop)
{
	struct hub_drain_clock	*dc = &h->drain;
	int64_t			 last_tick = 0, last_stats = clock_mono_ms();

	while (!*stop) {
		(void)hub_step(h, q, HUB_WAIT_MS, &last_tick, dc);
		if (clock_mono_ms() - last_stats >= HUB_STATS_MS &&
		    h->stats.messages > 0) {
			hub_log_stats(h);
			last_stats = clock_mono_ms();
		}
		if (h->cfg->exit_idle_ms > 0 && dc->first_ms != 0 &&
		    !h->batch.open &&
		    clock_mono_ms() - dc->done_ms >= h->cfg->exit_idle_ms)
			break;
	}
	return 0;
}

void
hub_drain(struct hub *h, struct queue *q)
{
	struct hub_drain_clock	*dc = &h->drain;
	int64_t			 last_tick = 0;

	while (hub_step(h, q, 0, &last_tick, dc))
		;
	hub_log_stats(h);
	if (dc->first_ms != 0 && dc->done_ms > dc->first_ms)
		log_info("drained %llu messages in %lld ms (%.0f msg/s)",
		    (unsigned long long)dc->count,
		    (long long)(dc->done_ms - dc->first_ms),
		    (double)dc->count * 1000.0 /
		    (double)(dc->done_ms - dc->first_ms));
}
