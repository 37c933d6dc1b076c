/*
 * plan.c - see plan.h: a runner's history from the store, through the
 * rules, to a stored and published plan.
 *
 * Owns the marks (what to recompute or re-send), the history buffers the
 * rules read, and the poll for reports the hub did not receive. Never
 * parses JSON itself (plan_encode/plan_decode do), never includes SQLite
 * (store.c does), never decides anything about training (rules.c does).
 *
 * Design notes:
 * 1. Its own transaction, after the worker's batch has committed: a plan
 *    that fails (bad history, a store error) never rolls back telemetry
 *    the hub has already promised to keep, and plans are published only
 *    once stored, as acks are. The price: a crash between the two commits
 *    loses that recompute; the next start's catch-up (plan.h) redoes it,
 *    because the stored plan had not seen that session or report.
 * 2. Staleness: each plan row records the runner's closed-session count
 *    and newest report id it was made from. A recompute whose plan has
 *    seen both does nothing, so marks, polls and catch-ups may overlap
 *    freely. A recompute that changes nothing records what it saw.
 * 3. History: closed sessions and reports from now - (RULES_HISTORY_DAYS +
 *    baseline_days) days, the newest RULES_SESSIONS_MAX and
 *    RULES_SYMPTOMS_MAX of each. A session with no movement is not a run
 *    (a stray start/stop pair must not become "the last run" a flare cuts
 *    from) and, like a row the rules would refuse, is skipped rather than
 *    left to make every plan of that runner fail.
 * 4. A stored plan that no longer decodes (a damaged file) is replaced by
 *    a first plan with the next version number, so devices, which keep the
 *    newest version, take it.
 *
 * Threading: the worker's thread only; all state is in struct planner.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "store.h"
#include "stride/log.h"
#include "stride/topic.h"

#define PLAN_MARKS_INITIAL	16

struct plan_mark_ent {
	int64_t	runner_id;
	char	runner[STRIDE_ID_MAX + 1];
	char	device[STRIDE_ID_MAX + 1];	/* "": recompute */
	int	fresh;		/* plan_run: a new plan was stored */
};

struct plan_marks {
	struct plan_mark_ent	*v;
	size_t			 n, cap;
};

struct planner {
	char			 prefix[STRIDE_PREFIX_MAX + 1];
	struct rules_settings	 rs;
	struct plan_marks	 marks;		/* to do */
	struct plan_marks	 work;		/* being done by plan_run */
	int64_t			 sym_seen;	/* newest report id polled;
						   -1: catch up first */
	int64_t			 imp_seen;	/* newest import run polled */
	struct session_summary	*ss;		/* RULES_SESSIONS_MAX */
	size_t			 nss;
	struct rules_symptom	*sy;		/* RULES_SYMPTOMS_MAX */
	size_t			 nsy;
	struct plan_stats	 stats;
	struct log_rate		 rate_fail;
};

struct planner *
planner_new(const char *prefix, const struct rules_settings *s)
{
	static const struct rules_settings defaults = RULES_SETTINGS_DEFAULT;
	struct planner	*pl;
	const char	*why;

	if (s == NULL)
		s = &defaults;
	if (!topic_prefix_valid(prefix)) {
		log_warnx("plan: bad topic prefix");
		return NULL;
	}
	if (rules_settings_check(s, &why) == -1) {
		log_warnx("plan: rules settings: %s", why);
		return NULL;
	}
	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		return NULL;
	snprintf(pl->prefix, sizeof(pl->prefix), "%s", prefix);
	pl->rs = *s;
	pl->sym_seen = -1;
	pl->ss = calloc(RULES_SESSIONS_MAX, sizeof(*pl->ss));
	pl->sy = calloc(RULES_SYMPTOMS_MAX, sizeof(*pl->sy));
	if (pl->ss == NULL || pl->sy == NULL) {
		planner_free(pl);
		return NULL;
	}
	return pl;
}

void
planner_free(struct planner *pl)
{
	if (pl == NULL)
		return;
	free(pl->marks.v);
	free(pl->work.v);
	free(pl->ss);
	free(pl->sy);
	free(pl);
}

void
plan_get_stats(const struct planner *pl, struct plan_stats *out)
{
	*out = pl->stats;
}

/* ---- marks ---- */

static int
plan_marks_add(struct plan_marks *m, int64_t runner_id, const char *runner,
    const char *device)
{
	struct plan_mark_ent	*e;
	const char		*dev = device != NULL ? device : "";
	size_t			 i, cap;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].runner_id == runner_id &&
		    strcmp(m->v[i].device, dev) == 0)
			return 0;
	}
	if (m->n == m->cap) {
		cap = m->cap == 0 ? PLAN_MARKS_INITIAL : m->cap * 2;
		if ((e = realloc(m->v, cap * sizeof(*e))) == NULL)
			return -1;
		m->v = e;
		m->cap = cap;
	}
	e = &m->v[m->n++];
	memset(e, 0, sizeof(*e));
	e->runner_id = runner_id;
	snprintf(e->runner, sizeof(e->runner), "%s", runner);
	snprintf(e->device, sizeof(e->device), "%s", dev);
	return 0;
}

int
plan_mark(struct planner *pl, int64_t runner_id, const char *runner,
    const char *device)
{
	assert(runner != NULL && stride_id_valid(runner, strlen(runner)));
	assert(device == NULL || stride_id_valid(device, strlen(device)));
	if (plan_marks_add(&pl->marks, runner_id, runner, device) == -1) {
		log_warnx("plan: runner %s: out of memory; plan not updated",
		    runner);
		return -1;
	}
	return 0;
}

static int
plan_mark_cb(void *arg, int64_t runner_id, const char *runner)
{
	return plan_mark(arg, runner_id, runner, NULL);
}

/* ---- history ---- */

static int
plan_fin(double x)
{
	return isfinite(x) && x >= 0;
}

/* A closed session the rules can use as a run (design note 3). */
static int
plan_session_usable(const struct session_summary *m)
{
	int b;

	if (m->start_ms < STRIDE_T_MIN_MS || m->start_ms > STRIDE_T_MAX_MS ||
	    m->end_ms < m->start_ms || m->samples == 0 ||
	    !plan_fin(m->moving_s) || m->moving_s <= 0 ||
	    !plan_fin(m->distance_m) || !plan_fin(m->avg_speed_mps) ||
	    m->avg_speed_mps > STRIDE_SPD_MAX_MPS ||
	    !plan_fin(m->max_speed_mps) || !plan_fin(m->avg_cadence_spm) ||
	    m->avg_cadence_spm > STRIDE_CAD_MAX_SPM ||
	    !plan_fin(m->avg_step_m) || !plan_fin(m->ungraded_s))
		return 0;
	for (b = 0; b < FUSE_BANDS; b++) {
		if (!plan_fin(m->band_s[b]) || !plan_fin(m->band_m[b]))
			return 0;
	}
	return 1;
}

static int
plan_take_session(void *arg, const struct store_session *s)
{
	struct planner *pl = arg;

	if (!plan_session_usable(&s->sum)) {
		log_debug("plan: runner %s: session %lld is not a run the rules "
		    "can use; skipped", s->runner, (long long)s->id);
		return 0;
	}
	if (pl->nss < RULES_SESSIONS_MAX)
		pl->ss[pl->nss++] = s->sum;
	return 0;
}

static int
plan_take_symptom(void *arg, const struct store_symptom *y)
{
	struct planner		*pl = arg;
	struct rules_symptom	*r;

	if (y->t_ms < STRIDE_T_MIN_MS || y->t_ms > STRIDE_T_MAX_MS ||
	    pl->nsy == RULES_SYMPTOMS_MAX)
		return 0;
	r = &pl->sy[pl->nsy++];
	r->t_ms = y->t_ms;
	r->when = y->when;
	r->level = y->level;
	r->score = y->score;
	return 0;
}

static int
plan_cmp_start(const void *a, const void *b)
{
	const struct session_summary *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* "SYMPTOM_FLARE,HILLS_CAPPED" */
static void
plan_reason_codes(const struct plan *p, char *buf, size_t cap)
{
	const char	*name;
	size_t		 len = 0;
	uint32_t	 i;
	int		 k;

	buf[0] = '\0';
	for (i = 0; i < p->nreasons && i < PLAN_REASONS_MAX; i++) {
		if ((name = plan_reason_name(p->reasons[i].code)) == NULL)
			name = "UNKNOWN";
		k = snprintf(buf + len, cap - len, "%s%s", i > 0 ? "," : "",
		    name);
		if (k < 0 || (size_t)k >= cap - len)
			break;
		len += (size_t)k;
	}
}

int
plan_recompute(struct planner *pl, struct store *st, int64_t runner_id,
    const char *runner, int64_t now_ms, struct plan *out)
{
	struct store_plan	 sp;	/* the current one, then the new one */
	struct store_profile	 prof;
	struct rules_input	 in;
	struct plan		 cur;
	const char		*why;
	int64_t			 closed, lastsym, from;
	uint32_t		 damaged = 0;
	int			 have, rc, len;

	memset(out, 0, sizeof(*out));
	if ((have = store_plan_latest(st, runner_id, &sp)) == -1 ||
	    store_runner_marks(st, runner_id, &closed, &lastsym) == -1)
		goto fail;
	/* Design note 2: nothing new since this plan was made. */
	if (have == 0 && sp.seen_sessions >= closed &&
	    sp.seen_symptom >= lastsym)
		return 0;
	memset(&cur, 0, sizeof(cur));
	if (have == 0 && plan_decode(sp.json, sp.len, &cur, &why) == -1) {
		log_warnx("plan: runner %s: stored plan %u does not decode "
		    "(%s): making a first plan", runner, (unsigned)sp.version,
		    why);
		damaged = sp.version;
		memset(&cur, 0, sizeof(cur));
	}
	if (store_profile_get(st, runner_id, &prof) != 0)
		goto fail;

	from = now_ms - (int64_t)(RULES_HISTORY_DAYS + pl->rs.baseline_days) *
	    RULES_DAY_MS;
	pl->nss = pl->nsy = 0;
	if (store_summaries_walk(st, runner_id, from, RULES_SESSIONS_MAX,
	    plan_take_session, pl) != 0 ||
	    store_symptoms_walk(st, runner_id, from, RULES_SYMPTOMS_MAX,
	    plan_take_symptom, pl) != 0)
		goto fail;
	/* The store sorts by summary start; the rules insist, so be sure. */
	qsort(pl->ss, pl->nss, sizeof(*pl->ss), plan_cmp_start);

	memset(&in, 0, sizeof(in));
	in.sessions = pl->ss;
	in.nsessions = pl->nss;
	in.symptoms = pl->sy;
	in.nsymptoms = pl->nsy;
	in.current = cur.version != 0 ? &cur : NULL;
	in.profile.height_m = prof.height_cm / 100.0;
	in.profile.usual_cadence_spm = prof.cadence_spm;
	in.profile.usual_level = prof.usual_level;
	in.profile.usual_score = prof.usual_score;
	pl->stats.computed++;
	if ((rc = rules_plan(&in, &pl->rs, now_ms, out)) == -1) {
		log_rate_warnx(&pl->rate_fail, "plan: runner %s: the rules "
		    "refused the history (%zu sessions, %zu reports)", runner,
		    pl->nss, pl->nsy);
		goto fail;
	}
	if (rc == 0) {
		if (store_plan_seen(st, runner_id, sp.version, closed,
		    lastsym) == -1)
			goto fail;
		return 0;
	}
	if (damaged != 0) {
		if (damaged == UINT32_MAX)
			goto fail;
		out->version = damaged + 1;
	}
	if ((len = plan_encode(out, sp.json, sizeof(sp.json))) < 0) {
		log_warnx("plan: runner %s: plan %u does not encode", runner,
		    (unsigned)out->version);
		goto fail;
	}
	sp.runner_id = runner_id;
	sp.version = out->version;
	sp.issued_ms = out->issued_ms;
	sp.len = (size_t)len;
	sp.seen_sessions = closed;
	sp.seen_symptom = lastsym;
	plan_reason_codes(out, sp.reasons, sizeof(sp.reasons));
	if (store_plan_put(st, &sp) == -1)
		goto fail;
	pl->stats.changed++;
	log_info("runner %s: plan %u, %s (%s): %.1f km, %u min, %.2f m/s, "
	    "hills %.1f%%, cadence %u, rest %u d", runner,
	    (unsigned)out->version, rules_direction_name(rules_direction_of(
	    out->nreasons > 0 ? out->reasons[0].code : PLAN_R_UNKNOWN)),
	    sp.reasons, out->max_distance_m / 1000.0,
	    (unsigned)(out->max_duration_s / 60), out->speed_cap_mps,
	    out->max_grade_pct, (unsigned)out->cadence_target_spm,
	    (unsigned)out->rest_days);
	return 1;
fail:
	pl->stats.failed++;
	memset(out, 0, sizeof(*out));
	return -1;
}

/* ---- publishing ---- */

struct plan_send {
	struct planner		*pl;
	const struct store_plan	*sp;
	const char		*runner;
	plan_publish_fn		 publish;
	void			*arg;
	int			 sent;
};

static int
plan_send_one(struct plan_send *s, int64_t runner_id, const char *device)
{
	char topic[STRIDE_TOPIC_MAX];

	if (topic_build(topic, sizeof(topic), s->pl->prefix, s->runner,
	    device, STRIDE_KIND_PLAN) < 0)
		return 0;	/* ids from the store are valid: cannot be */
	if (s->publish(s->arg, topic, s->sp->json, s->sp->len, 1, 1) == -1) {
		/* Try again on the next run (mqtt.c has said why). */
		(void)plan_marks_add(&s->pl->marks, runner_id, s->runner,
		    device);
		return 0;
	}
	s->pl->stats.published++;
	s->sent++;
	return 0;
}

static int
plan_send_device(void *arg, const struct store_device *d)
{
	return plan_send_one(arg, d->runner_id, d->device);
}

/* Publish the runner's newest stored plan to device, or (NULL) to each of
 * their devices. Returns the number sent, or -1. */
static int
plan_send(struct planner *pl, struct store *st, const struct plan_mark_ent *e,
    const char *device, plan_publish_fn publish, void *arg)
{
	struct store_plan	sp;
	struct plan_send	s = { pl, &sp, e->runner, publish, arg, 0 };
	int			rc;

	if ((rc = store_plan_latest(st, e->runner_id, &sp)) != 0)
		return rc == 1 ? 0 : -1;	/* 1: no plan yet */
	if (device != NULL)
		rc = plan_send_one(&s, e->runner_id, device);
	else
		rc = store_devices_walk(st, e->runner, plan_send_device, &s);
	return rc == 0 ? s.sent : -1;
}

/* ---- the run ---- */

/* Reports and imported sessions the hub did not receive itself
 * (plan.h). */
static void
plan_poll(struct planner *pl, struct store *st)
{
	int64_t	last, imp;
	int	rc = 0;

	if (store_symptom_last_id(st, &last) == -1 ||
	    store_import_last_id(st, &imp) == -1)
		return;
	if (pl->sym_seen < 0)
		rc = store_plans_stale_walk(st, plan_mark_cb, pl);
	else {
		if (last > pl->sym_seen)
			rc = store_symptom_runners_walk(st, pl->sym_seen,
			    plan_mark_cb, pl);
		if (rc == 0 && imp > pl->imp_seen)
			rc = store_import_runners_walk(st, pl->imp_seen,
			    plan_mark_cb, pl);
	}
	/* Read the ids first, walk from the old marks: a row committed in
	 * between is found now or on the next poll, never missed. */
	if (rc == 0) {
		pl->sym_seen = last;
		pl->imp_seen = imp;
	}
}

/* Was runner_id recomputed into a new plan in this run? */
static int
plan_fresh(const struct plan_marks *w, int64_t runner_id)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->v[i].runner_id == runner_id && w->v[i].fresh)
			return 1;
	}
	return 0;
}

int
plan_run(struct planner *pl, struct store *st, int64_t now_ms, int poll,
    plan_publish_fn publish, void *publish_arg)
{
	struct plan_marks	 w;
	struct plan_mark_ent	*e;
	struct plan		 p;
	int64_t			 t0;
	size_t			 i, recompute = 0;
	int			 rc = 0, sent;

	if (poll)
		plan_poll(pl, st);
	if (pl->marks.n == 0)
		return 0;
	t0 = clock_mono_ms();
	/* Take the marks; publishing may mark again (a failed send). */
	w = pl->marks;
	pl->marks = pl->work;
	pl->marks.n = 0;
	for (i = 0; i < w.n; i++)
		recompute += w.v[i].device[0] == '\0';

	if (recompute > 0) {
		if (store_begin(st) == -1)
			goto requeue;
		for (i = 0; i < w.n; i++) {
			e = &w.v[i];
			if (e->device[0] == '\0')
				e->fresh = plan_recompute(pl, st, e->runner_id,
				    e->runner, now_ms, &p) == 1;
		}
		if (store_commit(st) == -1) {
			store_rollback(st);
			goto requeue;
		}
	}
	for (i = 0; i < w.n && publish != NULL; i++) {
		e = &w.v[i];
		if (e->device[0] == '\0' && !e->fresh)
			continue;
		if (e->device[0] != '\0' && plan_fresh(&w, e->runner_id))
			continue;	/* the new plan went to every device */
		sent = plan_send(pl, st, e, e->device[0] != '\0' ? e->device :
		    NULL, publish, publish_arg);
		if (sent > 0 && e->device[0] != '\0')
			pl->stats.resent += (uint64_t)sent;
		if (sent > 0 && e->device[0] == '\0')
			log_info("runner %s: plan sent to %d device%s in "
			    "%lld ms", e->runner, sent, sent == 1 ? "" : "s",
			    (long long)(clock_mono_ms() - t0));
		else if (sent > 0)
			log_debug("runner %s: current plan sent again to %s",
			    e->runner, e->device);
	}
	goto done;
requeue:
	rc = -1;
	pl->stats.failed++;
	log_rate_warnx(&pl->rate_fail, "plan: store failed; %zu plan%s to "
	    "do again", w.n, w.n == 1 ? "" : "s");
	for (i = 0; i < w.n; i++)
		(void)plan_marks_add(&pl->marks, w.v[i].runner_id,
		    w.v[i].runner, w.v[i].device[0] != '\0' ? w.v[i].device :
		    NULL);
done:
	w.n = 0;
	pl->work = w;	/* keep the buffer */
	return rc;
}
