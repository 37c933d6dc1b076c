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
 * 5. Sealing (issue 4). The stored plan is one JSON per runner; what goes
 *    out is one sealed plan per device (crypto_plan_seal: signed by the
 *    hub, encrypted to that device's active key, naming its runner,
 *    device and key) with the device's own version, which devices only
 *    accept growing. The version is raised and committed in a small
 *    transaction of its own (PLAN_SEND_BATCH devices at a time, after the
 *    recompute's commit) before the seal is published, so a crash can skip
 *    a version but never reuse one. Every seal expires ttl_ms after it is
 *    issued; the poll re-issues (same JSON, new version and expiry) once
 *    less than half the TTL is left, so a device that hears from the hub
 *    at least every half TTL never sees its plan expire. After a key
 *    rotation (plan_reseal_all) every device's plan is sealed again under
 *    the new key: devices refuse the old key's plans as retired. A
 *    failed publish marks the device again: the next run seals it anew.
 *
 * Threading: the worker's thread only; all state is in struct planner.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/log.h"
#include "stride/topic.h"

#define PLAN_MARKS_INITIAL	16
#define PLAN_SEND_BATCH		256	/* devices per version transaction */
#define PLAN_DUE_EVERY_MS	60000	/* re-issue walk, at most */
#define PLAN_TTL_MIN_MS		60000	/* shorter TTLs: the default */

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

/* A device to seal the runner's current plan for (plan_run). */
struct plan_job {
	int64_t		runner_id;
	int64_t		device_id;	/* 0: look it up by name */
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];
	int		resend;		/* a birth's: counted as resent */
	int		renew;		/* a new version is needed (a new plan,
					   a re-issue, a rotation); a birth's
					   alone may re-seal the last one */
	/* Set by plan_batch_prepare: */
	int		ok;		/* version raised and committed */
	uint64_t	version;
	int64_t		issued_ms;
	int64_t		expires_ms;
	uint8_t		pk[CRYPTO_KX_PK_BYTES];
	size_t		plan;		/* index in planner.plans */
};

struct planner {
	char			 prefix[STRIDE_PREFIX_MAX + 1];
	const struct crypto_hub_identity *id;	/* borrowed; NULL: no sends */
	int64_t			 ttl_ms;	/* of a sealed plan */
	int			 reseal;	/* plan_reseal_all pending */
	int64_t			 due_next_ms;	/* next re-issue walk */
	struct plan_job		*jobs;
	size_t			 njobs, capjobs;
	struct store_plan	*plans;		/* PLAN_SEND_BATCH */
	uint8_t			*sealed;	/* CRYPTO_PLAN_SEALED_MAX */
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
	pl->plans = calloc(PLAN_SEND_BATCH, sizeof(*pl->plans));
	pl->sealed = malloc(CRYPTO_PLAN_SEALED_MAX);
	pl->ttl_ms = PLAN_TTL_DEFAULT_MS;
	if (pl->ss == NULL || pl->sy == NULL || pl->plans == NULL ||
	    pl->sealed == NULL) {
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
	free(pl->jobs);
	free(pl->plans);
	free(pl->sealed);
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

/* ---- sealing and publishing (design note 5) ---- */

void
planner_set_identity(struct planner *pl, const struct crypto_hub_identity *id,
    int64_t ttl_ms)
{
	pl->id = id;
	pl->ttl_ms = ttl_ms >= PLAN_TTL_MIN_MS ? ttl_ms : PLAN_TTL_DEFAULT_MS;
}

void
plan_reseal_all(struct planner *pl)
{
	pl->reseal = 1;
}

static int
plan_jobs_add(struct planner *pl, int64_t runner_id, const char *runner,
    int64_t device_id, const char *device, int resend)
{
	struct plan_job	*j;
	size_t		 cap;

	if (pl->njobs == pl->capjobs) {
		cap = pl->capjobs == 0 ? PLAN_MARKS_INITIAL : pl->capjobs * 2;
		if ((j = realloc(pl->jobs, cap * sizeof(*j))) == NULL)
			return -1;
		pl->jobs = j;
		pl->capjobs = cap;
	}
	j = &pl->jobs[pl->njobs++];
	memset(j, 0, sizeof(*j));
	j->runner_id = runner_id;
	j->device_id = device_id;
	j->resend = resend;
	j->renew = !resend;
	snprintf(j->runner, sizeof(j->runner), "%s", runner);
	snprintf(j->device, sizeof(j->device), "%s", device);
	return 0;
}

static int
plan_job_device(void *arg, const struct store_device *d)
{
	return plan_jobs_add(arg, d->runner_id, d->runner, d->id, d->device,
	    0);
}

static int
plan_job_due(void *arg, const struct store_plan_due *d)
{
	struct planner *pl = arg;

	if (d->last.version != 0)
		pl->stats.reissued++;
	return plan_jobs_add(pl, d->runner_id, d->runner, d->last.device_id,
	    d->device, 0);
}

static int
plan_job_cmp(const void *a, const void *b)
{
	const struct plan_job *x = a, *y = b;

	if (x->runner_id != y->runner_id)
		return (x->runner_id > y->runner_id) -
		    (x->runner_id < y->runner_id);
	return strcmp(x->device, y->device);
}

/* Sort by runner then device, one job per device (a birth's counts). */
static void
plan_jobs_unique(struct planner *pl)
{
	size_t i, n = 0;

	if (pl->njobs == 0)
		return;
	qsort(pl->jobs, pl->njobs, sizeof(*pl->jobs), plan_job_cmp);
	for (i = 1; i < pl->njobs; i++) {
		if (plan_job_cmp(&pl->jobs[n], &pl->jobs[i]) == 0) {
			pl->jobs[n].resend |= pl->jobs[i].resend;
			pl->jobs[n].renew |= pl->jobs[i].renew;
			if (pl->jobs[n].device_id == 0)
				pl->jobs[n].device_id = pl->jobs[i].device_id;
		} else
			pl->jobs[++n] = pl->jobs[i];
	}
	pl->njobs = n + 1;
}

/*
 * A birth's re-send of a plan the device was already sealed (the broker
 * may have lost the retained copy): the same version, issue and expiry
 * again, which the device takes as "same" if it has it. A new version for
 * every birth would look like a new plan each time the device connects,
 * and would replace a retained copy the device has not judged yet. Not
 * when the runner's plan changed since, or less than half the TTL is left
 * (then it is a re-issue). 1 if j was filled so.
 */
static int
plan_same_seal(struct planner *pl, struct store *st, struct plan_job *j,
    int64_t now_ms)
{
	struct store_device_plan dp;

	if (store_device_plan_get(st, j->device_id, &dp) != 0 ||
	    dp.version == 0 || dp.plan_version != pl->plans[j->plan].version ||
	    dp.expires_ms - now_ms <= pl->ttl_ms / 2)
		return 0;
	j->version = dp.version;
	j->issued_ms = dp.issued_ms;
	j->expires_ms = dp.expires_ms;
	return 1;
}

/*
 * One batch of jobs, in a transaction of its own: the runner's newest plan,
 * the device's active key, and the device's raised version, committed
 * before anything is published (design note 5). Jobs that cannot be sent
 * (no plan, no device, no active key) are left with ok = 0. 0, or -1 if
 * the transaction failed (nothing raised).
 */
static int
plan_batch_prepare(struct planner *pl, struct store *st, struct plan_job *v,
    size_t n, int64_t now_ms)
{
	struct store_device	 d;
	struct store_device_key	 k;
	size_t			 i, np = 0;
	int			 rc, have = 0;

	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		v[i].ok = 0;
		if (i == 0 || v[i].runner_id != v[i - 1].runner_id) {
			assert(np < PLAN_SEND_BATCH);
			rc = store_plan_latest(st, v[i].runner_id,
			    &pl->plans[np]);
			have = rc == 0;
			v[i].plan = np;
			if (have)
				np++;
		} else
			v[i].plan = np - (have ? 1 : 0);
		if (!have)
			continue;	/* no plan yet (or a bad row, logged) */
		if (v[i].device_id == 0) {
			if (store_device_get(st, v[i].runner_id, v[i].runner,
			    v[i].device, 0, &d) != 0)
				continue;	/* gone since the mark */
			v[i].device_id = d.id;
		}
		if ((rc = store_device_key_active(st, v[i].device_id,
		    &k)) != 0) {
			if (rc == 1) {
				pl->stats.nokey++;
				log_debug("plan: %s/%s has no active key: no "
				    "plan sent", v[i].runner, v[i].device);
			}
			continue;
		}
		if (!v[i].renew && plan_same_seal(pl, st, &v[i], now_ms))
			;	/* the device has it: the same version again */
		else if (store_device_plan_next(st, v[i].device_id,
		    pl->plans[v[i].plan].version, now_ms, now_ms + pl->ttl_ms,
		    &v[i].version) == -1)
			continue;	/* logged; never a reused version */
		else {
			v[i].issued_ms = now_ms;
			v[i].expires_ms = now_ms + pl->ttl_ms;
		}
		memcpy(v[i].pk, k.pk, sizeof(v[i].pk));
		v[i].ok = 1;
	}
	if (store_commit(st) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* Seal the runner's plan for one device and publish it, retained QoS 1.
 * A failed publish marks the device again (sent as a birth's re-send). */
static void
plan_send_one(struct planner *pl, const struct plan_job *j,
    plan_publish_fn publish, void *arg)
{
	const struct store_plan	*sp = &pl->plans[j->plan];
	struct crypto_plan_to	 to;
	char			 topic[STRIDE_TOPIC_MAX];
	size_t			 len;

	memset(&to, 0, sizeof(to));
	to.runner = j->runner;
	to.device = j->device;
	to.device_kx_pk = j->pk;
	to.version = j->version;
	to.issued_ms = j->issued_ms;
	to.expires_ms = j->expires_ms;
	if (topic_build(topic, sizeof(topic), pl->prefix, j->runner,
	    j->device, STRIDE_KIND_PLAN) < 0 ||
	    crypto_plan_seal(pl->sealed, CRYPTO_PLAN_SEALED_MAX, &len,
	    sp->json, sp->len, &to, pl->id) == -1) {
		/* Ids from the store are valid and the JSON is in range:
		 * only an unusable device key gets here. */
		pl->stats.failed++;
		log_rate_warnx(&pl->rate_fail, "plan: %s/%s: cannot seal the "
		    "plan to its key", j->runner, j->device);
		return;
	}
	if (publish(arg, topic, pl->sealed, len, 1, 1) == -1) {
		/* Try again on the next run (mqtt.c has said why). */
		(void)plan_marks_add(&pl->marks, j->runner_id, j->runner,
		    j->device);
		return;
	}
	pl->stats.published++;
	if (j->resend)
		pl->stats.resent++;
}

/* Seal and send every job, a batch at a time. 0, or -1 if the store
 * failed (the jobs not sent are marked again). */
static int
plan_send_jobs(struct planner *pl, struct store *st, int64_t now_ms,
    plan_publish_fn publish, void *arg)
{
	size_t	i, k, n;

	for (i = 0; i < pl->njobs; i += n) {
		n = pl->njobs - i < PLAN_SEND_BATCH ? pl->njobs - i :
		    PLAN_SEND_BATCH;
		if (plan_batch_prepare(pl, st, &pl->jobs[i], n, now_ms) ==
		    -1) {
			for (k = i; k < pl->njobs; k++)
				(void)plan_marks_add(&pl->marks,
				    pl->jobs[k].runner_id, pl->jobs[k].runner,
				    pl->jobs[k].device);
			return -1;
		}
		for (k = i; k < i + n; k++) {
			if (pl->jobs[k].ok)
				plan_send_one(pl, &pl->jobs[k], publish,
				    arg);
		}
	}
	return 0;
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

int
plan_run(struct planner *pl, struct store *st, int64_t now_ms, int poll,
    plan_publish_fn publish, void *publish_arg)
{
	struct plan_marks	 w;
	struct plan_mark_ent	*e;
	struct plan		 p;
	int64_t			 t0;
	size_t			 i, recompute = 0, fresh = 0;
	int			 rc = 0, due = 0, send;

	if (poll) {
		plan_poll(pl, st);
		/* Re-issues (design note 5): at most every PLAN_DUE_EVERY_MS
		 * of hub time, and again if the clock was set back. */
		if (now_ms >= pl->due_next_ms ||
		    pl->due_next_ms - now_ms > PLAN_DUE_EVERY_MS)
			due = 1;
	}
	send = publish != NULL && pl->id != NULL;
	if (pl->marks.n == 0 && !(send && (due || pl->reseal)))
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
	if (!send)
		goto done;	/* stored; a birth or the poll sends it */

	/* Who gets a sealed plan: every device of a runner with a new plan,
	 * a device that was born, and (on the poll) devices whose plan is
	 * half way to its expiry; or, after a rotation, everyone. */
	pl->njobs = 0;
	for (i = 0; i < w.n; i++) {
		e = &w.v[i];
		if (e->device[0] == '\0' && e->fresh) {
			fresh++;
			if (store_devices_walk(st, e->runner, plan_job_device,
			    pl) != 0)
				goto requeue;
		} else if (e->device[0] != '\0' &&
		    plan_jobs_add(pl, e->runner_id, e->runner, 0, e->device,
		    1) == -1)
			goto requeue;
	}
	if (pl->reseal) {
		if (store_device_plans_due_walk(st, INT64_MAX, plan_job_due,
		    pl) != 0)
			goto requeue;
		pl->reseal = 0;
		due = 0;	/* everyone is in already */
	}
	if (due) {
		if (store_device_plans_due_walk(st, now_ms + pl->ttl_ms / 2,
		    plan_job_due, pl) != 0)
			goto requeue;
		pl->due_next_ms = now_ms + PLAN_DUE_EVERY_MS;
	}
	plan_jobs_unique(pl);
	if (plan_send_jobs(pl, st, now_ms, publish, publish_arg) == -1) {
		rc = -1;
		pl->stats.failed++;
		log_rate_warnx(&pl->rate_fail, "plan: store failed; plans "
		    "to send again");
	}
	if (fresh > 0 || pl->njobs >= PLAN_SEND_BATCH)
		log_info("plans: sealed for %zu device%s (%zu new plan%s) "
		    "in %lld ms", pl->njobs, pl->njobs == 1 ? "" : "s", fresh,
		    fresh == 1 ? "" : "s", (long long)(clock_mono_ms() - t0));
	else if (pl->njobs > 0)
		log_debug("plans: %zu sealed and sent again", pl->njobs);
	pl->njobs = 0;
	goto done;
requeue:
	rc = -1;
	pl->stats.failed++;
	pl->njobs = 0;
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
