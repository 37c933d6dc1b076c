/*
 * hubha.c - the hub's Home Assistant glue (issue 5): when to publish
 * what HA shows, and HA's input. ha.h builds every payload; this file
 * decides when, for the worker (hub.c), through hub_priv.h.
 *
 * Owns the HA parts of struct hub (h->ha) and struct runner (throttle,
 * report hold, live estimate, queued work) and struct device's ha_state.
 * Never writes the store except to put HA's reports (as symptoms, in the
 * worker's open batch), never creates a runner the store does not know,
 * never builds JSON itself (ha.h and plan_decode do), never blocks on the
 * network: publishing hands bytes to Paho's buffer.
 *
 * Threading: the worker thread only, like hub.c.
 *
 * Design notes:
 * 1. What HA shows is derived, never a promise: states are built from the
 *    store after a batch commits (like acks), except live values, which
 *    are sent from the telemetry handler itself (QoS 0, not retained).
 * 2. Work is marked per runner (ha_due bits, a FIFO of runners) while
 *    handling messages, and done by hubha_flush in hub_tick, after the
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
 * 6. A deleted runner (hub.c's deletion poll, `stridehub runner delete`)
 *    leaves HA through ha_remove: an empty retained payload on each
 *    discovery config (HA drops the entities and the device) and on each
 *    retained state, published before the store rows go, so a failed
 *    publish leaves the request pending for the next tick.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ha.h"
#include "hub.h"
#include "hub_priv.h"
#include "plan.h"
#include "queue.h"
#include "rules.h"
#include "session.h"
#include "store.h"
#include "table.h"
#include "stride/log.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define HUB_HA_BIRTH_MS		60000	/* answer HA's birth at most this often */
#define HUB_HA_HOURLY_MS	3600000	/* week and report refreshed */
#define HUB_HA_FRESH_MS		10000	/* a role's live value stays preferred */
#define HUB_HA_REPORTS		64	/* newest reports read for the view */
#define HUB_HA_BUDGET_MS	5	/* HA work per tick (hub.c's
					   HUB_TICK_MS) */

/* Queue HA work for r (design note 2); done after the commit. */
void
hubha_due(struct hub *h, struct runner *r, unsigned what)
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
/* Home Assistant: live values (design note 3). */

static void
hubha_live_take(struct hub_live *lv, enum stride_role role,
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

enum hubha_live_field { HUBHA_LF_CAD, HUBHA_LF_SPD, HUBHA_LF_GRADE, HUBHA_LF_DIST };

/* The field from the first role in order that has a fresh one (stale_ok:
 * or any), else NaN. */
static double
hubha_live_pick(const struct hub_live *lv, enum hubha_live_field f,
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
			case HUBHA_LF_CAD:
				t = src->cad_t, v = src->cad;
				break;
			case HUBHA_LF_SPD:
				t = src->spd_t, v = src->spd;
				break;
			case HUBHA_LF_GRADE:
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
 * of hubha_live so the hot path's frame stays small. */
static void
hubha_live_send(struct hub *h, struct runner *r, const struct sess *sess,
    int64_t now_ms)
{
	static const enum stride_role pod_first[3] = { STRIDE_ROLE_FOOTPOD,
	    STRIDE_ROLE_WATCH, STRIDE_ROLE_UNKNOWN };
	static const enum stride_role watch_first[3] = { STRIDE_ROLE_WATCH,
	    STRIDE_ROLE_FOOTPOD, STRIDE_ROLE_UNKNOWN };
	const struct hub_live	*lv = &r->live;
	struct ha_live		 l;
	struct ha_msg		 m;

	l.cad_spm = hubha_live_pick(lv, HUBHA_LF_CAD, pod_first, 0, now_ms);
	l.spd_mps = hubha_live_pick(lv, HUBHA_LF_SPD, watch_first, 0, now_ms);
	l.grade_pct = hubha_live_pick(lv, HUBHA_LF_GRADE, watch_first, 0, now_ms);
	l.dist_m = hubha_live_pick(lv, HUBHA_LF_DIST, watch_first, 1, now_ms);
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
void
hubha_live(struct hub *h, struct runner *r, const struct sess *sess,
    enum stride_role role, const struct stride_sample *s, size_t n,
    int64_t now_ms)
{
	const struct ha_throttle *t = &r->hat;

	if (r->live.sess_id != sess->id) {
		memset(&r->live, 0, sizeof(r->live));
		r->live.sess_id = sess->id;
	}
	hubha_live_take(&r->live, role, s, n, now_ms);
	if (h->publish != NULL && (!t->live_sent || now_ms < t->live_ms ||
	    now_ms - t->live_ms >= h->ha.p.live_interval_ms))
		hubha_live_send(h, r, sess, now_ms);
}

/* Home Assistant's input (design note 5). */

static const char hubha_why_unknown_runner[] = "unknown runner";

/* A command from HA's select or number. The edge has dropped retained
 * ones (mqtt.h): the queue does not carry the flag. */
static int
hubha_on_command(struct hub *h, const struct inmsg *im, int64_t now_ms)
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
			log_rate_warnx(hub_rate(h, hubha_why_unknown_runner),
			    "dropped Home Assistant command for %s: %s",
			    c.runner, hubha_why_unknown_runner);
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
	hubha_due(h, r, HUB_HA_REPORT);
	h->stats.stored++;
	return 0;
}

/* HA (re)started: announce everything again, at most once a minute (an HA
 * user publishing "online" in a loop must not make us flood the broker). */
static void
hubha_on_birth(struct hub *h, int64_t now_ms)
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
int
hubha_input(struct hub *h, const struct inmsg *im, int64_t now_ms, int *rc)
{
	*rc = 0;
	if (im->topic_len == h->ha.birth_len &&
	    memcmp(im->data, h->ha.birth, h->ha.birth_len) == 0) {
		if (ha_is_birth(&h->ha.p, im->data, im->topic_len,
		    im->payload, im->payload_len))
			hubha_on_birth(h, now_ms);
		return 1;	/* HA's will ("offline"): nothing to do */
	}
	if (im->topic_len > h->ha.cmd_len &&
	    memcmp(im->data, h->ha.cmd, h->ha.cmd_len) == 0) {
		*rc = hubha_on_command(h, im, now_ms);
		return 1;
	}
	return 0;
}

/* Home Assistant: after the commit (design notes 1, 2, 4). */

static void
hubha_send(struct hub *h, struct runner *r, const struct ha_msg *m,
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
hubha_devices(const struct runner *r, struct ha_device *out, size_t cap)
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
hubha_discovery(struct hub *h, struct runner *r)
{
	struct ha_device	*dev;
	size_t			 n;

	n = hubha_devices(r, NULL, 0);
	if ((dev = calloc(n > 0 ? n : 1, sizeof(*dev))) == NULL)
		return;
	(void)hubha_devices(r, dev, n);
	if (ha_discovery(&h->ha.p, r->name, dev, n, h->publish,
	    h->publish_arg) == -1)
		log_rate_warnx(&h->ha.rate, "Home Assistant: discovery of "
		    "runner %s not (fully) published", r->name);
	free(dev);
}

/* A closed session the rules could use as a run: plan.c's test, so the
 * week HA shows is the week the plan was made from. */
static int
hubha_fin(double x)
{
	return isfinite(x) && x >= 0;
}

static int
hubha_usable(const struct session_summary *m)
{
	int b;

	if (m->start_ms < STRIDE_T_MIN_MS || m->start_ms > STRIDE_T_MAX_MS ||
	    m->end_ms < m->start_ms || m->samples == 0 ||
	    !hubha_fin(m->moving_s) || m->moving_s <= 0 ||
	    !hubha_fin(m->distance_m) || !hubha_fin(m->avg_speed_mps) ||
	    m->avg_speed_mps > STRIDE_SPD_MAX_MPS ||
	    !hubha_fin(m->max_speed_mps) || !hubha_fin(m->avg_cadence_spm) ||
	    m->avg_cadence_spm > STRIDE_CAD_MAX_SPM ||
	    !hubha_fin(m->avg_step_m) || !hubha_fin(m->ungraded_s))
		return 0;
	for (b = 0; b < FUSE_BANDS; b++) {
		if (!hubha_fin(m->band_s[b]) || !hubha_fin(m->band_m[b]))
			return 0;
	}
	return 1;
}

static int
hubha_take_session(void *arg, const struct store_session *s)
{
	struct hub *h = arg;

	if (hubha_usable(&s->sum) && h->ha.nss < RULES_SESSIONS_MAX)
		h->ha.ss[h->ha.nss++] = s->sum;
	return 0;
}

static int
hubha_cmp_start(const void *a, const void *b)
{
	const struct session_summary *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static int
hubha_take_report(void *arg, const struct store_symptom *y)
{
	struct ha_report_view *v = arg;

	if (y->when == STRIDE_WHEN_NEXT_DAY && y->t_ms >= v->report_ms) {
		v->report_ms = y->t_ms;
		v->level = y->level;
		v->score = y->score;
	}
	return 0;
}

/* What the week's overstride share is judged with (rules_loads): the
 * runner's height and usual cadence from the profile, and the current plan
 * (a cadence target changes the gait on purpose). Whatever cannot be read
 * stays unknown; the share then says unknown too. */
static void
hubha_judging(struct hub *h, struct runner *r, struct rules_input *in,
    struct store_profile *prof, struct plan *cur)
{
	struct store_plan	sp;
	const char		*why;

	if (store_profile_get(h->st, r->id, prof) == 0) {
		in->profile.height_m = prof->height_cm / 100.0;
		in->profile.usual_cadence_spm = prof->cadence_spm;
	}
	memset(cur, 0, sizeof(*cur));
	if (store_plan_latest(h->st, r->id, &sp) == 0 &&
	    plan_decode(sp.json, sp.len, cur, &why) == 0)
		in->current = cur;
}

/* The last run, the week and the report, from the store. */
static void
hubha_history(struct hub *h, struct runner *r, unsigned due, int64_t now_ms)
{
	static const struct rules_input	 zero_in;
	const struct session_summary	*last = NULL;
	struct rules_input		 in = zero_in;
	struct rules_loads		 loads;
	struct ha_report_view		 v;
	struct ha_week			 wk;
	struct ha_msg			 m;
	struct store_profile		 prof;
	struct plan			 cur;
	int64_t				 from;

	from = now_ms - (int64_t)(RULES_HISTORY_DAYS +
	    h->ha.rs.baseline_days) * RULES_DAY_MS;
	h->ha.nss = 0;
	if (store_summaries_walk(h->st, r->id, from, RULES_SESSIONS_MAX,
	    hubha_take_session, h) != 0)
		return;
	qsort(h->ha.ss, h->ha.nss, sizeof(h->ha.ss[0]), hubha_cmp_start);
	if (h->ha.nss > 0)
		last = &h->ha.ss[h->ha.nss - 1];
	if ((due & HUB_HA_SESSION) && ha_state_session(&h->ha.p, r->name,
	    last, last != NULL ? rules_session_load(last, &h->ha.rs) : NAN,
	    &m) == 0)
		hubha_send(h, r, &m, now_ms);
	if (due & HUB_HA_WEEK) {
		in.sessions = h->ha.ss;
		in.nsessions = h->ha.nss;
		in.profile.usual_score = -1;
		hubha_judging(h, r, &in, &prof, &cur);
		if (rules_loads(&in, &h->ha.rs, now_ms, &loads) == 0) {
			ha_week_fill(h->ha.ss, h->ha.nss, &loads, now_ms, &wk);
			wk.overstride = loads.week_overstride;
		} else
			ha_week_fill(h->ha.ss, h->ha.nss, NULL, now_ms, &wk);
		if (ha_state_week(&h->ha.p, r->name, &wk, &m) == 0)
			hubha_send(h, r, &m, now_ms);
	}
	if (due & HUB_HA_REPORT) {
		memset(&v, 0, sizeof(v));
		v.last_run_end_ms = last != NULL ? last->end_ms : 0;
		v.level = STRIDE_LEVEL_NONE;
		v.score = -1;
		v.pending_score = ha_hold_pending(&r->hold, now_ms,
		    HA_HOLD_MS_DEFAULT);
		if (store_symptoms_walk(h->st, r->id, 0, HUB_HA_REPORTS,
		    hubha_take_report, &v) != 0)
			return;
		if (ha_state_report(&h->ha.p, r->name, &v, &m) == 0)
			hubha_send(h, r, &m, now_ms);
	}
}

static void
hubha_plan(struct hub *h, struct runner *r, int64_t now_ms)
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
		hubha_send(h, r, &m, now_ms);
}

static void
hubha_runner(struct hub *h, struct runner *r, unsigned due, int64_t now_ms)
{
	struct ha_device	 hd;
	struct ha_msg		 m;
	struct device		*d;

	if (due & HUB_HA_ANNOUNCE) {
		hubha_discovery(h, r);
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
		hubha_history(h, r, due, now_ms);
	if (due & HUB_HA_PLAN)
		hubha_plan(h, r, now_ms);
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
				hubha_send(h, r, &m, now_ms);
		}
	}
}

static void
hubha_announce_one(void *arg, void *value)
{
	struct hub	*h = arg;
	struct runner	*r = value;

	ha_throttle_reset(&r->hat);
	hubha_due(h, r, HUB_HA_ANNOUNCE);
}

static void
hubha_mark(void *arg, void *value)
{
	struct hub *h = arg;

	hubha_due(h, value, HUB_HA_WEEK | HUB_HA_REPORT);
}

/* Do the HA work marked so far, oldest first, for up to budget_ms (at
 * least one runner; < 0: all). Outside any transaction, after plan_run.
 * With no publish (shutdown) the work is dropped: the next start
 * announces everything. */
void
hubha_flush(struct hub *h, int64_t now_ms, int64_t budget_ms)
{
	struct runner	*r;
	unsigned	 due;
	int64_t		 t0 = clock_mono_ms();

	if (!h->ha.on)
		return;
	if (h->ha.announce) {
		h->ha.announce = 0;
		table_walk(h->runners, hubha_announce_one, h);
	}
	while ((r = h->ha.queue) != NULL) {
		if ((h->ha.queue = r->ha_next) == NULL)
			h->ha.tail = NULL;
		r->ha_next = NULL;
		due = r->ha_due;
		r->ha_due = 0;
		if (h->publish == NULL)
			continue;
		hubha_runner(h, r, due, now_ms);
		if (budget_ms >= 0 && clock_mono_ms() - t0 >= budget_ms)
			break;
	}
}

/* Runner deletion (hub.c): r leaves the queue before it is freed. */
void
hubha_forget(struct hub *h, struct runner *r)
{
	struct runner **pp, *prev = NULL;

	if (r == NULL || r->ha_due == 0)
		return;
	for (pp = &h->ha.queue; *pp != NULL; prev = *pp, pp = &(*pp)->ha_next) {
		if (*pp != r)
			continue;
		*pp = r->ha_next;
		if (h->ha.tail == r)
			h->ha.tail = prev;
		break;
	}
	r->ha_next = NULL;
	r->ha_due = 0;
}

/* Runner deletion (hub.c, design note 6): every config and retained state
 * HA could hold for the runner, emptied. Devices come from the store, so
 * one enrolled but never heard from is covered too. */
int
hubha_remove(struct hub *h, const char *runner, const struct store_device *dev,
    size_t ndev)
{
	struct ha_device	*hd;
	size_t			 i;
	int			 rc;

	if (!h->ha.on)
		return 0;
	if (h->publish == NULL)
		return -1;
	if ((hd = calloc(ndev > 0 ? ndev : 1, sizeof(*hd))) == NULL)
		return -1;
	for (i = 0; i < ndev; i++) {
		hd[i].id = dev[i].device;
		hd[i].role = dev[i].role;
		hd[i].online = dev[i].online;
		hd[i].battery = dev[i].battery;
		hd[i].fw = "";
	}
	rc = ha_remove(&h->ha.p, runner, hd, ndev, h->publish,
	    h->publish_arg) < 0 ? -1 : 0;
	free(hd);
	return rc;
}

/* plan.c publishes through this (design note 4): a plan on
 * P/v1/<runner>/<device>/plan means the runner's plan may have changed. */
int
hubha_plan_publish(void *arg, const char *topic, const void *payload,
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
		hubha_due(h, r, HUB_HA_PLAN);
	return 0;
}

static int
hubha_symptom_runner(void *arg, int64_t runner_id, const char *runner)
{
	struct hub	*h = arg;
	struct runner	*r;

	(void)runner_id;
	if ((r = table_get(h->runners, runner)) != NULL)
		hubha_due(h, r, HUB_HA_REPORT);
	return 0;
}

/*
 * The tick's HA work (hub_after_commit, after plan_run): reports typed at
 * the CLI, the hourly refresh and the HA work, within its budget.
 */
void
hubha_poll(struct hub *h, int64_t now_ms)
{
	int64_t last;

	if (!h->ha.on)
		return;
	/* One index seek, as plan.c's poll: a report that leaves the plan
	 * as it was still changes HA's report status. */
	if (store_symptom_last_id(h->st, &last) == 0 &&
	    last > h->ha.sym_seen && store_symptom_runners_walk(h->st,
	    h->ha.sym_seen, hubha_symptom_runner, h) == 0)
		h->ha.sym_seen = last;
	if (now_ms - h->ha.hourly_ms >= HUB_HA_HOURLY_MS ||
	    now_ms < h->ha.hourly_ms) {
		/* The week moves on, and reports come due, with time alone. */
		h->ha.hourly_ms = now_ms;
		table_walk(h->runners, hubha_mark, h);
	}
	hubha_flush(h, now_ms, HUB_HA_BUDGET_MS);
}

/* Set up. */

int
hubha_init(struct hub *h)
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

void
hubha_fini(struct hub *h)
{
	free(h->ha.ss);
	h->ha.ss = NULL;
}
