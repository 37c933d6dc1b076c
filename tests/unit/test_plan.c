/*
 * test_plan.c - hub/plan.c against a real SQLite store in a temp dir: a
 * runner's history goes in through the store, plans come out stored and
 * "published" (recorded, not sent; the broker path is
 * tests/integration/05-plan-follows-session-and-flare.sh).
 *
 * What must hold: the first plan after sessions close is version 1 with a
 * decision reason, published retained QoS 1 on every device's plan topic,
 * sealed for that device: it opens (crypto_plan_open, with a trust made
 * from the hub's identity, as a device does) to the exact bytes stored,
 * for that device only, with a sealed version that grows with every send
 * and an expiry one TTL after it was issued; a flare report makes a new version with a
 * lower distance and no load element raised; recomputing with nothing new,
 * or with news that changes nothing, makes no version and sends nothing;
 * a report typed at the CLI (no device) is found by the poll; a start-up
 * catch-up finds what was missed; a birth re-sends to that device only; a
 * failed publish is retried; a damaged stored plan is replaced by a newer
 * version; a device without an active key gets nothing; a plan is issued
 * again (same JSON, higher version, later expiry) once less than half its
 * TTL is left, and not before; after a key rotation every device's plan
 * is sealed again under the new key, which opens only after the device
 * followed the rotation. Expected numbers come from the history and the
 * settings, never typed in. (The hub's own hooks, ingress to published
 * plan, are test_hub's: they need sealed device messages.)
 */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "plan.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/log.h"
#include "stride/plan.h"

#define DAY	RULES_DAY_MS
#define HOUR	3600000LL
#define T0	1700006400000LL		/* a Monday, 00:00 UTC */
#define RUN_M	5000.0			/* each run's distance */
#define RUN_MPS	3.0
#define LATENCY_MS 100			/* the plan latency target */
#define TTL	(7 * DAY)		/* of a sealed plan */

static const struct rules_settings S = RULES_SETTINGS_DEFAULT;

/* ---- a recorder for publishes ---- */

#define REC_MAX	32
struct rec {
	int	n;
	int	fail;		/* refuse this many publishes first */
	struct {
		char	topic[STRIDE_TOPIC_MAX];
		uint8_t	payload[CRYPTO_PLAN_SEALED_MAX];
		size_t	len;
		int	qos, retained;
		int64_t	at_ms;	/* monotonic */
	} m[REC_MAX];
};

static int
record(void *arg, const char *topic, const void *payload, size_t len,
    int qos, int retained)
{
	struct rec *r = arg;

	if (r->fail > 0) {
		r->fail--;
		return -1;
	}
	if (r->n == REC_MAX || len > CRYPTO_PLAN_SEALED_MAX)
		return -1;
	snprintf(r->m[r->n].topic, sizeof(r->m[r->n].topic), "%s", topic);
	memcpy(r->m[r->n].payload, payload, len);
	r->m[r->n].len = len;
	r->m[r->n].qos = qos;
	r->m[r->n].retained = retained;
	r->m[r->n].at_ms = clock_mono_ms();
	r->n++;
	return 0;
}

/* ---- the devices' side ---- */

static struct crypto_hub_identity hub;	/* the hub's current identity */

/* A device of ana as it keeps itself: its key and its trust in the hub. */
struct dev {
	const char		*name;
	struct crypto_device_key key;
	struct crypto_trust	 trust;
	int64_t			 id;	/* in the store */
};
static struct dev devs[2] = { { .name = "pod" }, { .name = "watch" } };

static struct dev *
dev_of_topic(const char *topic)
{
	char	want[STRIDE_TOPIC_MAX];
	int	i;

	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "stridehub/v1/ana/%s/plan",
		    devs[i].name);
		if (strcmp(topic, want) == 0)
			return &devs[i];
	}
	return NULL;
}

static char		opened[PLAN_JSON_MAX + 1];	/* the last JSON */
static size_t		opened_len;
static struct crypto_plan_info opened_info;

/*
 * The i-th recorded message as the device of its topic takes it: it must
 * open as a NEW plan (authentic, for this device, newer than the last it
 * accepted, in date at now), is then accepted (the device's version moves
 * up) and decoded. 0, or -1.
 */
static int
rec_plan_at(const struct rec *r, int i, struct plan *p, int64_t now)
{
	struct dev	*d = dev_of_topic(r->m[i].topic);
	const char	*why = NULL;

	if (d == NULL || crypto_plan_open(opened, PLAN_JSON_MAX, &opened_len,
	    &opened_info, r->m[i].payload, r->m[i].len, "ana", d->name, now,
	    &d->trust, &d->key, &why) != CRYPTO_PLAN_NEW) {
		fprintf(stderr, "rec_plan: %s: %s\n", r->m[i].topic,
		    why != NULL ? why : "not new");
		return -1;
	}
	opened[opened_len] = '\0';
	crypto_trust_plan_accepted(&d->trust, &opened_info);
	return plan_decode(opened, opened_len, p, &why);
}

static int
rec_plan(const struct rec *r, int i, struct plan *p)
{
	/* Issued at the test's times, all before T0 + 60 days. */
	return rec_plan_at(r, i, p, T0);
}

/* Index of the recorded message on topic, or -1. */
static int
rec_find(const struct rec *r, const char *topic)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->m[i].topic, topic) == 0)
			return i;
	return -1;
}

/* ---- history in the store ---- */

static struct store	*st;
static int64_t		 ana, pod_id, watch_id;

/* A closed run of dist metres starting at t, flat, at RUN_MPS. */
static int64_t
close_run(int64_t rid, int64_t t, double dist)
{
	struct session_summary	m;
	int64_t			id = 0;

	memset(&m, 0, sizeof(m));
	m.start_ms = t;
	m.moving_s = dist / RUN_MPS;
	m.end_ms = t + (int64_t)(m.moving_s * 1000);
	m.distance_m = dist;
	m.avg_speed_mps = RUN_MPS;
	m.max_speed_mps = RUN_MPS * 1.2;
	m.avg_cadence_spm = 168;
	m.avg_step_m = RUN_MPS * 60 / 168;
	m.band_m[1] = dist;
	m.band_s[1] = m.moving_s;
	m.samples = 1000;
	m.devices = 2;
	CHECK(store_session_new(st, rid, t, &id) == 0);
	CHECK(store_session_close(st, id, &m) == 0);
	return id;
}

static void
report(int64_t device_id, int64_t t, enum stride_level level)
{
	CHECK(store_symptom_put(st, ana, device_id, 0, t,
	    STRIDE_WHEN_NEXT_DAY, level, -1) == 0);
}

static int
count_plans_cb(void *arg, const struct store_plan *p)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static int
count_plans(int64_t rid)
{
	int n = 0;

	CHECK(store_plans_walk(st, rid, count_plans_cb, &n) == 0);
	return n;
}

static struct store_plan latest;	/* big: not on the stack */

static uint32_t
latest_version(int64_t rid)
{
	return store_plan_latest(st, rid, &latest) == 0 ? latest.version : 0;
}

/* No load element of b above a's. */
static int
no_load_up(const struct plan *a, const struct plan *b)
{
	return b->max_distance_m <= a->max_distance_m &&
	    b->max_duration_s <= a->max_duration_s &&
	    llround(b->speed_cap_mps * 100) <= llround(a->speed_cap_mps * 100) &&
	    llround(b->max_grade_pct * 10) <= llround(a->max_grade_pct * 10) &&
	    b->cadence_target_spm <= a->cadence_target_spm;
}

/* Two weeks of Monday/Wednesday/Friday runs, a "usual" report the next
 * morning after each but the last. Returns the last run's start. */
static int64_t
two_weeks(void)
{
	int64_t last = 0;
	int	d;

	for (d = 0; d <= 11; d++) {
		if (d % 7 != 0 && d % 7 != 2 && d % 7 != 4)
			continue;
		last = T0 + d * DAY + 7 * HOUR;
		(void)close_run(ana, last, RUN_M);
		if (d != 11)
			report(watch_id, T0 + (d + 1) * DAY + 8 * HOUR,
			    STRIDE_LEVEL_USUAL);
	}
	return last;
}

/* ---- sealing: versions, re-issues, rotation, keys ---- */

/* Open (and accept) the plans recorded in r on each device; the number
 * opened. */
static int
open_all(const struct rec *r, int64_t now)
{
	struct plan	p;
	int		i, n = 0;

	for (i = 0; i < r->n; i++)
		n += rec_plan_at(r, i, &p, now) == 0;
	return n;
}

/* t: when the last plans were sent to both devices (recorded in r). */
static void
test_sealing(struct planner *pl, struct rec *r, int64_t t)
{
	struct crypto_hub_identity next;
	struct plan_stats	 ps, ps2;
	struct crypto_trust	 old;
	struct crypto_plan_info	 info;
	uint8_t			 ann[CRYPTO_ROT_BYTES];
	const char		*why = NULL;
	uint64_t		 v0, v1;
	size_t			 n;
	int64_t			 tr;
	int			 i;

	CHECK(open_all(r, t) == 2);
	v0 = devs[0].trust.plan_version;
	v1 = devs[1].trust.plan_version;
	CHECK(store_plan_latest(st, ana, &latest) == 0);

	/* Re-issue: not while more than half the TTL is left... */
	plan_get_stats(pl, &ps);
	r->n = 0;
	CHECK(plan_run(pl, st, t + TTL / 2 - HOUR, 1, record, r) == 0);
	CHECK(r->n == 0);
	/* ... then the same plan, each device a higher version, good for a
	 * TTL from now. */
	tr = t + TTL / 2 + HOUR;
	CHECK(plan_run(pl, st, tr, 1, record, r) == 0);
	CHECK(r->n == 2);
	for (i = 0; i < r->n; i++) {
		struct plan p;

		CHECK(rec_plan_at(r, i, &p, tr) == 0);
		CHECK(opened_info.issued_ms == tr &&
		    opened_info.expires_ms == tr + TTL);
		CHECK(opened_len == latest.len &&
		    memcmp(opened, latest.json, latest.len) == 0);
	}
	CHECK(devs[0].trust.plan_version > v0 &&
	    devs[1].trust.plan_version > v1);
	plan_get_stats(pl, &ps2);
	CHECK(ps2.reissued == ps.reissued + 2);
	/* Not again until it is due again. */
	r->n = 0;
	CHECK(plan_run(pl, st, tr + 2 * 60000, 1, record, r) == 0);
	CHECK(r->n == 0);

	/* A rotation: every device's plan sealed again under the new key.
	 * Before following it a device calls the key unknown; after, the
	 * plan is new. */
	CHECK(crypto_hub_new_signing_key(&next, &hub) == 0);
	CHECK(crypto_rot_sign(ann, tr + HOUR, &hub, &next) == 0);
	hub = next;		/* what hubkey_identity points to changes */
	crypto_wipe(&next, sizeof(next));
	plan_reseal_all(pl);
	r->n = 0;
	CHECK(plan_run(pl, st, tr + HOUR, 0, record, r) == 0);
	CHECK(r->n == 2);
	for (i = 0; i < r->n; i++) {
		struct dev *d = dev_of_topic(r->m[i].topic);

		CHECK(d != NULL);
		if (d == NULL)
			continue;
		old = d->trust;
		CHECK(crypto_plan_open(opened, PLAN_JSON_MAX, &n, &info,
		    r->m[i].payload, r->m[i].len, "ana", d->name, tr + HOUR,
		    &old, &d->key, &why) == CRYPTO_PLAN_BAD);
		CHECK(crypto_trust_apply_rot(&d->trust, ann, sizeof(ann),
		    &why) == 0);
	}
	CHECK(open_all(r, tr + HOUR) == 2);
	CHECK(memcmp(opened_info.hub_key_id, hub.key_id, 8) == 0);
	/* Once: the next run has nothing to do. */
	r->n = 0;
	CHECK(plan_run(pl, st, tr + 2 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 0);

	/* A device without an active key gets nothing (counted); its
	 * runner's other device still does. */
	CHECK(store_device_key_revoke(st, watch_id, tr) == 0);
	plan_get_stats(pl, &ps);
	CHECK(plan_mark(pl, ana, "ana", "watch") == 0);
	CHECK(plan_mark(pl, ana, "ana", "pod") == 0);
	CHECK(plan_run(pl, st, tr + 3 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 1 && rec_find(r, "stridehub/v1/ana/pod/plan") == 0);
	plan_get_stats(pl, &ps2);
	CHECK(ps2.nokey == ps.nokey + 1);
	/* ... nor on the re-issue walk. */
	r->n = 0;
	CHECK(plan_run(pl, st, tr + 3 * HOUR + TTL, 1, record, r) == 0);
	CHECK(r->n == 1 && rec_find(r, "stridehub/v1/ana/pod/plan") == 0);
}

/* ---- the planner on its own ---- */

static void
test_planner(void)
{
	struct planner		*pl;
	struct plan_stats	 ps;
	struct rec		*r = calloc(1, sizeof(*r));
	struct plan		 v1, v2, p;
	const char		*why;
	int64_t			 now, t0, last;
	int			 i, k;

	last = two_weeks();
	now = T0 + 12 * DAY + 9 * HOUR;	/* the morning after the last run */
	CHECK((pl = planner_new("stridehub", NULL)) != NULL);
	if (pl == NULL || r == NULL)
		return;
	planner_set_identity(pl, &hub, TTL);

	/* Bad settings or prefix: no planner. */
	{
		struct rules_settings bad = S;

		bad.flare_factor = 2;
		CHECK(planner_new("stridehub", &bad) == NULL);
		CHECK(planner_new("a/+/b", NULL) == NULL);
	}

	/* Nothing marked, no poll: nothing done at all. */
	CHECK(plan_run(pl, st, now, 0, record, r) == 0);
	CHECK(r->n == 0 && latest_version(ana) == 0);

	/* Sessions closed: the first plan, to both devices, retained. */
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);	/* deduplicated */
	t0 = clock_mono_ms();
	CHECK(plan_run(pl, st, now, 0, record, r) == 0);
	CHECK(r->n == 2);
	CHECK(rec_find(r, "stridehub/v1/ana/pod/plan") >= 0);
	CHECK((k = rec_find(r, "stridehub/v1/ana/watch/plan")) >= 0);
	for (i = 0; i < r->n; i++) {
		CHECK(r->m[i].qos == 1 && r->m[i].retained == 1);
		CHECK(r->m[i].at_ms - t0 < LATENCY_MS);
	}
	CHECK(k >= 0 && rec_plan(r, k, &v1) == 0);
	CHECK(v1.version == 1 && v1.issued_ms == now);
	/* The seal: the watch's first version, good for one TTL. */
	CHECK(opened_info.version == 1 && opened_info.issued_ms == now &&
	    opened_info.expires_ms == now + TTL);
	CHECK(memcmp(opened_info.hub_key_id, hub.key_id, 8) == 0);
	CHECK(v1.nreasons >= 1 && v1.reasons[0].code == PLAN_R_START);
	/* Built from what she has run: the usual run's distance. */
	CHECK(v1.max_distance_m == (uint32_t)RUN_M);
	/* Stored: the same bytes, what it saw, the reason codes. */
	CHECK(latest_version(ana) == 1);
	CHECK(latest.len == opened_len &&
	    memcmp(latest.json, opened, latest.len) == 0);
	/* The pod's copy opens for the pod, never for the watch: not with
	 * the pod's ids (AD), not re-addressed to the watch's ids. */
	CHECK((k = rec_find(r, "stridehub/v1/ana/pod/plan")) >= 0);
	{
		size_t		 n;
		struct crypto_plan_info info;

		CHECK(k >= 0 && crypto_plan_open(opened, PLAN_JSON_MAX, &n,
		    &info, r->m[k].payload, r->m[k].len, "ana", "watch", now,
		    &devs[1].trust, &devs[1].key, &why) == CRYPTO_PLAN_BAD);
		CHECK(k >= 0 && crypto_plan_open(opened, PLAN_JSON_MAX, &n,
		    &info, r->m[k].payload, r->m[k].len, "ana", "pod", now,
		    &devs[1].trust, &devs[1].key, &why) == CRYPTO_PLAN_BAD);
		CHECK(k >= 0 && rec_plan(r, k, &p) == 0 &&
		    p.version == v1.version);
		/* The same message again is the same, not new. */
		CHECK(k >= 0 && crypto_plan_open(opened, PLAN_JSON_MAX, &n,
		    &info, r->m[k].payload, r->m[k].len, "ana", "pod", now,
		    &devs[0].trust, &devs[0].key, &why) == CRYPTO_PLAN_SAME);
	}
	CHECK(latest.seen_sessions == 6);
	CHECK(strncmp(latest.reasons, "START", 5) == 0);
	CHECK(latest.issued_ms == now);

	/* Nothing new: no rules run, nothing sent, no version. */
	plan_get_stats(pl, &ps);
	r->n = 0;
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_run(pl, st, now + 60000, 0, record, r) == 0);
	CHECK(r->n == 0 && latest_version(ana) == 1);
	{
		struct plan_stats ps2;

		plan_get_stats(pl, &ps2);
		CHECK(ps2.computed == ps.computed);
	}

	/* The next morning she is much more aware of the tendon: a flare.
	 * Much easier: half of what she ran, nothing raised. */
	report(watch_id, last + DAY + HOUR, STRIDE_LEVEL_MUCH_AWARE);
	now = last + DAY + 2 * HOUR;
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_run(pl, st, now, 0, record, r) == 0);
	CHECK(r->n == 2);
	CHECK((k = rec_find(r, "stridehub/v1/ana/pod/plan")) >= 0);
	CHECK(k >= 0 && rec_plan(r, k, &v2) == 0);
	CHECK(v2.version == 2 && v2.reasons[0].code == PLAN_R_SYMPTOM_FLARE);
	CHECK(v2.max_distance_m < v1.max_distance_m);
	CHECK(v2.max_distance_m == (uint32_t)lround(RUN_M * S.flare_factor));
	CHECK(no_load_up(&v1, &v2));
	CHECK((v2.stop & PLAN_STOP_MUCH_AWARE) != 0);
	CHECK(latest_version(ana) == 2 && count_plans(ana) == 2);
	CHECK(strncmp(latest.reasons, "SYMPTOM_FLARE", 13) == 0);

	/* News that changes nothing (a milder report of the same morning):
	 * the rules run, no version, nothing sent, what it saw recorded. */
	report(pod_id, last + DAY + 3 * HOUR, STRIDE_LEVEL_USUAL);
	r->n = 0;
	plan_get_stats(pl, &ps);
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_run(pl, st, now + 2 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 0 && latest_version(ana) == 2);
	{
		struct plan_stats ps2;
		int64_t closed, lastsym;

		plan_get_stats(pl, &ps2);
		CHECK(ps2.computed == ps.computed + 1);
		CHECK(ps2.changed == ps.changed);
		CHECK(store_runner_marks(st, ana, &closed, &lastsym) == 0);
		CHECK(latest.seen_symptom == lastsym);
	}

	/* A report typed at the CLI (no device): the hub did not get it;
	 * the poll finds it. First poll: the catch-up finds nothing stale. */
	CHECK(plan_run(pl, st, now + 2 * HOUR, 1, record, r) == 0);
	CHECK(r->n == 0);
	CHECK(store_symptom_put(st, ana, 0, 0, now + 3 * HOUR,
	    STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_PAINFUL, 7) == 0);
	CHECK(plan_run(pl, st, now + 3 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 0);	/* no poll, no mark: not yet */
	CHECK(plan_run(pl, st, now + 3 * HOUR, 1, record, r) == 0);
	CHECK(r->n == 2);
	CHECK(r->n > 0 && rec_plan(r, 0, &p) == 0);
	CHECK(p.version == 3 && p.reasons[0].code == PLAN_R_SYMPTOM_PAIN);
	CHECK(no_load_up(&v2, &p));
	/* Polling again finds nothing new. */
	r->n = 0;
	CHECK(plan_run(pl, st, now + 3 * HOUR, 1, record, r) == 0);
	CHECK(r->n == 0);

	/* A birth: the current plan again, to that device only, sealed
	 * with the version, issue and expiry it was last sealed with (the
	 * device takes it as "same" if it has it). */
	{
		struct store_device_plan dp0, dp1;

		CHECK(store_device_plan_get(st, watch_id, &dp0) == 0);
		CHECK(plan_mark(pl, ana, "ana", "watch") == 0);
		CHECK(plan_run(pl, st, now + 4 * HOUR, 0, record, r) == 0);
		CHECK(r->n == 1 && strcmp(r->m[0].topic,
		    "stridehub/v1/ana/watch/plan") == 0);
		CHECK(rec_plan(r, 0, &p) == 0);
		CHECK(opened_info.version == dp0.version &&
		    opened_info.issued_ms == dp0.issued_ms &&
		    opened_info.expires_ms == dp0.expires_ms);
		CHECK(store_device_plan_get(st, watch_id, &dp1) == 0 &&
		    dp1.version == dp0.version);
		/* Once it is half way to expiry a birth gets a new one. */
		r->n = 0;
		CHECK(plan_mark(pl, ana, "ana", "watch") == 0);
		CHECK(plan_run(pl, st, dp0.expires_ms - TTL / 2, 0, record,
		    r) == 0);
		CHECK(r->n == 1 && rec_plan(r, 0, &p) == 0 &&
		    opened_info.version > dp0.version &&
		    opened_info.issued_ms == dp0.expires_ms - TTL / 2);
		r->n = 0;
	}
	CHECK(latest_version(ana) == 3 && opened_len == latest.len &&
	    memcmp(opened, latest.json, latest.len) == 0);

	/* A publish that fails is tried again on the next run. */
	r->n = 0;
	r->fail = 1;
	CHECK(plan_mark(pl, ana, "ana", "pod") == 0);
	CHECK(plan_run(pl, st, now + 4 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 0);
	CHECK(plan_run(pl, st, now + 4 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 1 && strcmp(r->m[0].topic,
	    "stridehub/v1/ana/pod/plan") == 0);

	/* No publisher (the hub draining): stored, not sent, not lost. */
	close_run(ana, now + DAY, RUN_M / 4);
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_run(pl, st, now + 2 * DAY, 0, NULL, NULL) == 0);
	CHECK(latest_version(ana) == 4);
	planner_free(pl);

	/* A new start catches up with a session it never saw. */
	close_run(ana, now + 3 * DAY, RUN_M / 4);
	CHECK((pl = planner_new("stridehub", NULL)) != NULL);
	planner_set_identity(pl, &hub, TTL);
	r->n = 0;
	CHECK(plan_run(pl, st, now + 4 * DAY, 1, record, r) == 0);
	CHECK(latest_version(ana) == 5 && r->n == 2);
	/* ... and a second start finds nothing to do. */
	planner_free(pl);
	CHECK((pl = planner_new("stridehub", NULL)) != NULL);
	planner_set_identity(pl, &hub, TTL);
	r->n = 0;
	CHECK(plan_run(pl, st, now + 4 * DAY, 1, record, r) == 0);
	CHECK(r->n == 0 && latest_version(ana) == 5);

	/* A damaged stored plan: replaced by a first plan, numbered after it
	 * so devices (which keep the newest version) take it. */
	memset(&latest, 0, sizeof(latest));
	latest.runner_id = ana;
	latest.version = 9;
	latest.issued_ms = now;
	snprintf(latest.reasons, sizeof(latest.reasons), "START");
	snprintf(latest.json, sizeof(latest.json), "{\"v\":1}");
	latest.len = strlen(latest.json);
	CHECK(store_plan_put(st, &latest) == 0);
	CHECK(store_plan_put(st, &latest) == -1);	/* one row a version */
	report(watch_id, now + 4 * DAY + HOUR, STRIDE_LEVEL_USUAL);
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_run(pl, st, now + 4 * DAY + 2 * HOUR, 0, record, r) == 0);
	CHECK(latest_version(ana) == 10);
	CHECK(plan_decode(latest.json, latest.len, &p, &why) == 0);
	CHECK(p.version == 10);
	test_sealing(pl, r, now + 4 * DAY + 2 * HOUR);
	planner_free(pl);

	/* No identity (yet): plans are stored, nothing is published. */
	CHECK((pl = planner_new("stridehub", NULL)) != NULL);
	report(watch_id, now + 20 * DAY, STRIDE_LEVEL_BETTER);
	r->n = 0;
	CHECK(plan_mark(pl, ana, "ana", NULL) == 0);
	CHECK(plan_mark(pl, ana, "ana", "pod") == 0);
	CHECK(plan_run(pl, st, now + 20 * DAY + HOUR, 1, record, r) == 0);
	CHECK(r->n == 0);
	planner_free(pl);
	free(r);
}

/* ---- the store's side: history windows, profiles ---- */

struct got {
	int	n;
	int64_t	first_t, last_t;
	int64_t	dev0;		/* reports with no device */
};

static int
got_symptom(void *arg, const struct store_symptom *y)
{
	struct got *g = arg;

	if (g->n++ == 0)
		g->first_t = y->t_ms;
	CHECK(y->t_ms >= g->last_t);	/* oldest first */
	g->last_t = y->t_ms;
	g->dev0 += y->device_id == 0;
	return 0;
}

static int
got_session(void *arg, const struct store_session *s)
{
	struct got *g = arg;

	CHECK(!s->open);
	if (g->n++ == 0)
		g->first_t = s->sum.start_ms;
	CHECK(s->sum.start_ms >= g->last_t);
	g->last_t = s->sum.start_ms;
	return 0;
}

static void
test_store_side(void)
{
	struct store_profile	p, q;
	struct got		g;
	int64_t			ben, open_id;

	/* Windows: from a time, the newest `limit`, oldest first. */
	memset(&g, 0, sizeof(g));
	CHECK(store_symptoms_walk(st, ana, 0, 1000, got_symptom, &g) == 0);
	CHECK(g.n >= 8 && g.dev0 == 1);
	memset(&g, 0, sizeof(g));
	CHECK(store_symptoms_walk(st, ana, T0 + 5 * DAY, 3, got_symptom,
	    &g) == 0);
	CHECK(g.n == 3 && g.first_t > T0 + 5 * DAY);
	memset(&g, 0, sizeof(g));
	CHECK(store_summaries_walk(st, ana, T0 + 2 * DAY, 1000, got_session,
	    &g) == 0);
	CHECK(g.n == 7 && g.first_t == T0 + 2 * DAY + 7 * HOUR);
	/* An open session is no summary. */
	CHECK(store_session_new(st, ana, T0 + 30 * DAY, &open_id) == 0);
	memset(&g, 0, sizeof(g));
	CHECK(store_summaries_walk(st, ana, T0 + 29 * DAY, 1000, got_session,
	    &g) == 0);
	CHECK(g.n == 0);

	/* Profiles: unknown until set, refused out of range. */
	CHECK(store_runner_get(st, "ben", 1, &ben) == 0);
	CHECK(store_profile_get(st, ben, &p) == 0);
	CHECK(p.height_cm == 0 && p.cadence_spm == 0 &&
	    p.usual_level == STRIDE_LEVEL_NONE && p.usual_score == -1);
	p.height_cm = 181;
	p.cadence_spm = 166;
	p.usual_level = STRIDE_LEVEL_AWARE;
	p.usual_score = 3;
	CHECK(store_profile_set(st, ben, &p) == 0);
	CHECK(store_profile_get(st, ben, &q) == 0);
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	q.height_cm = STORE_HEIGHT_MAX_CM + 1;
	CHECK(store_profile_set(st, ben, &q) == -1);
	q = p;
	q.cadence_spm = PLAN_CAD_MIN_SPM - 1;
	CHECK(store_profile_set(st, ben, &q) == -1);
	CHECK(store_profile_set(st, 987654, &p) == -1);
	CHECK(store_profile_get(st, 987654, &q) == 1);
	CHECK(latest_version(ben) == 0);
}

/* ---- the admin commands over the same store ---- */

static char	dbpath[300], outpath[300];
static char	out[8192];

/* cli_main on the words given, stdout (and stderr) into out[]. */
static int
cli(const char *db, int argc, ...)
{
	char	*argv[10];
	va_list	 ap;
	FILE	*f;
	size_t	 n;
	int	 i, fd, so, se, rc;

	va_start(ap, argc);
	for (i = 0; i < argc && i < 10; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rc = cli_main(db, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	out[0] = '\0';
	if ((f = fopen(outpath, "r")) != NULL) {
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		fclose(f);
	}
	return rc;
}

/* Lines of out starting with prefix. */
static int
lines_with(const char *prefix)
{
	const char	*p = out;
	int		 n = 0;

	while (*p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return n;
}

static void
test_cli(void)
{
	struct plan	 p;
	struct got	 g0, g1;
	const char	*why;
	char		 want[64], missing[320];
	int64_t		 closed, lastsym, ben;

	CHECK(latest_version(ana) > 0);
	CHECK(plan_decode(latest.json, latest.len, &p, &why) == 0);

	/* plan: key lines, one reason line per reason, the decision first. */
	CHECK(cli(dbpath, 2, "plan", "ana") == 0);
	snprintf(want, sizeof(want), "plan         %u\n",
	    (unsigned)latest.version);
	CHECK(strstr(out, want) != NULL);
	CHECK(lines_with("reason       ") == (int)p.nreasons);
	snprintf(want, sizeof(want), "reason       %s ",
	    plan_reason_name(p.reasons[0].code));
	CHECK(strstr(out, want) != NULL);
	CHECK(lines_with("direction    ") == 1 && lines_with("text ") == 1);
	/* --json: the stored bytes, as devices got them. */
	CHECK(cli(dbpath, 3, "plan", "ana", "--json") == 0);
	CHECK(strlen(out) == latest.len + 1 &&
	    strncmp(out, latest.json, latest.len) == 0);
	/* plans: a header and one row per version. */
	CHECK(cli(dbpath, 2, "plans", "ana") == 0);
	CHECK(lines_with("VERSION ") == 1);
	CHECK(lines_with("") - 1 == count_plans(ana));
	/* Errors: no plan yet, no such runner, not an id, bad flag. */
	CHECK(cli(dbpath, 2, "plan", "ben") == 1);
	CHECK(cli(dbpath, 2, "plan", "nobody") == 1);
	CHECK(cli(dbpath, 2, "plan", "Ana") == 2);
	CHECK(cli(dbpath, 3, "plan", "ana", "--xml") == 2);

	/* report: stored with no device, the hub's poll will find it. */
	memset(&g0, 0, sizeof(g0));
	CHECK(store_symptoms_walk(st, ana, 0, 100000, got_symptom, &g0) == 0);
	CHECK(store_runner_marks(st, ana, &closed, &lastsym) == 0);
	CHECK(cli(dbpath, 5, "report", "ana", "much_aware", "--score",
	    "6") == 0);
	CHECK(strstr(out, "report       ana next_day much_aware score 6") !=
	    NULL);
	memset(&g1, 0, sizeof(g1));
	CHECK(store_symptoms_walk(st, ana, 0, 100000, got_symptom, &g1) == 0);
	CHECK(g1.n == g0.n + 1 && g1.dev0 == g0.dev0 + 1);
	CHECK(cli(dbpath, 4, "report", "ana", "painful", "--during") == 0);
	CHECK(strstr(out, "report       ana during painful\n") != NULL);
	CHECK(cli(dbpath, 3, "report", "ana", "ouch") == 2);
	CHECK(cli(dbpath, 5, "report", "ana", "usual", "--score", "11") == 2);
	CHECK(cli(dbpath, 4, "report", "ana", "usual", "--during") == 0);
	CHECK(cli(dbpath, 5, "report", "ana", "usual", "--during",
	    "--during") == 2);
	CHECK(cli(dbpath, 3, "report", "nobody", "usual") == 1);
	{
		int64_t c2, l2;

		CHECK(store_runner_marks(st, ana, &c2, &l2) == 0);
		CHECK(l2 > lastsym && c2 == closed);
	}
	/* A read-write command never creates a store. */
	snprintf(missing, sizeof(missing), "%s.missing", dbpath);
	CHECK(cli(missing, 3, "report", "ana", "usual") == 1);
	CHECK(access(missing, F_OK) == -1);

	/* profile: set what is given, show it all; ranges enforced. */
	CHECK(store_runner_get(st, "ben", 0, &ben) == 0);
	CHECK(cli(dbpath, 4, "profile", "ben", "--height-cm", "175") == 0);
	CHECK(strstr(out, "height       175 cm\n") != NULL);
	CHECK(strstr(out, "cadence      166 spm\n") != NULL);	/* kept */
	CHECK(cli(dbpath, 4, "profile", "ben", "--height-cm", "20") == 2);
	CHECK(cli(dbpath, 4, "profile", "ben", "--usual", "none") == 0);
	CHECK(strstr(out, "usual        -\n") != NULL);
	CHECK(cli(dbpath, 3, "profile", "ben", "--cadence") == 2);
	CHECK(cli(dbpath, 2, "profile", "ben") == 0);
	CHECK(strstr(out, "height       175 cm\n") != NULL);
}

int
main(void)
{
	char	dir[] = "/tmp/stride-test-plan-XXXXXX", path[300], err[256];
	struct store_device d;
	int	i;

	log_init("test_plan", 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", dir);
	snprintf(outpath, sizeof(outpath), "%s/out.txt", dir);
	st = store_open(dbpath, 0, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return check_done("test_plan");
	CHECK(store_runner_get(st, "ana", 1, &ana) == 0);
	CHECK(store_device_get(st, ana, "ana", "pod", 1, &d) == 0);
	pod_id = d.id;
	CHECK(store_device_get(st, ana, "ana", "watch", 1, &d) == 0);
	watch_id = d.id;
	/* The hub's identity and each device's key, enrolled; each device
	 * trusts the hub from its public keys. */
	CHECK(crypto_hub_generate(&hub) == 0);
	devs[0].id = pod_id;
	devs[1].id = watch_id;
	for (i = 0; i < 2; i++) {
		uint8_t fp[CRYPTO_FP_BYTES];

		CHECK(crypto_device_generate(&devs[i].key) == 0);
		crypto_fp(fp, devs[i].key.kx_pk);
		CHECK(store_device_key_put(st, devs[i].id, devs[i].key.kx_pk,
		    fp, T0) == 0);
		crypto_trust_init(&devs[i].trust, hub.sign_pk, hub.kx_pk);
	}

	test_planner();
	test_store_side();
	test_cli();

	store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
	return check_done("test_plan");
}
