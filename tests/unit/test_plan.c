/*
 * test_plan.c - hub/plan.c against a real SQLite store in a temp dir: a
 * runner's history goes in through the store, plans come out stored and
 * "published" (recorded, not sent; the broker path is
 * tests/integration/05-plan-follows-session-and-flare.sh).
 *
 * What must hold: the first plan after sessions close is version 1 with a
 * decision reason, published retained QoS 1 on every device's plan topic
 * as the exact bytes stored; a flare report makes a new version with a
 * lower distance and no load element raised; recomputing with nothing new,
 * or with news that changes nothing, makes no version and sends nothing;
 * a report typed at the CLI (no device) is found by the poll; a start-up
 * catch-up finds what was missed; a birth re-sends to that device only; a
 * failed publish is retried; a damaged stored plan is replaced by a newer
 * version; the hub's hooks publish within the latency target. Expected
 * numbers come from the history and the settings, never typed in.
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
#include "config.h"
#include "hub.h"
#include "plan.h"
#include "queue.h"
#include "store.h"
#include "stride/log.h"
#include "stride/plan.h"

#define DAY	RULES_DAY_MS
#define HOUR	3600000LL
#define T0	1700006400000LL		/* a Monday, 00:00 UTC */
#define RUN_M	5000.0			/* each run's distance */
#define RUN_MPS	3.0
#define LATENCY_MS 100			/* the plan latency target */

static const struct rules_settings S = RULES_SETTINGS_DEFAULT;

/* ---- a recorder for publishes ---- */

#define REC_MAX	32
struct rec {
	int	n;
	int	fail;		/* refuse this many publishes first */
	struct {
		char	topic[STRIDE_TOPIC_MAX];
		char	payload[PLAN_JSON_MAX + 1];
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
	if (r->n == REC_MAX || len > PLAN_JSON_MAX)
		return -1;
	snprintf(r->m[r->n].topic, sizeof(r->m[r->n].topic), "%s", topic);
	memcpy(r->m[r->n].payload, payload, len);
	r->m[r->n].payload[len] = '\0';
	r->m[r->n].len = len;
	r->m[r->n].qos = qos;
	r->m[r->n].retained = retained;
	r->m[r->n].at_ms = clock_mono_ms();
	r->n++;
	return 0;
}

/* The i-th recorded message, decoded as a device would. */
static int
rec_plan(const struct rec *r, int i, struct plan *p)
{
	const char *why;

	return plan_decode(r->m[i].payload, r->m[i].len, p, &why);
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
	CHECK(v1.nreasons >= 1 && v1.reasons[0].code == PLAN_R_START);
	/* Built from what she has run: the usual run's distance. */
	CHECK(v1.max_distance_m == (uint32_t)RUN_M);
	/* Stored: the same bytes, what it saw, the reason codes. */
	CHECK(latest_version(ana) == 1);
	CHECK(k >= 0 && latest.len == r->m[k].len &&
	    memcmp(latest.json, r->m[k].payload, latest.len) == 0);
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

	/* A birth: the current plan again, to that device only. */
	CHECK(plan_mark(pl, ana, "ana", "watch") == 0);
	CHECK(plan_run(pl, st, now + 4 * HOUR, 0, record, r) == 0);
	CHECK(r->n == 1 && strcmp(r->m[0].topic,
	    "stridehub/v1/ana/watch/plan") == 0);
	CHECK(latest_version(ana) == 3 && r->m[0].len == latest.len &&
	    memcmp(r->m[0].payload, latest.json, latest.len) == 0);

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
	r->n = 0;
	CHECK(plan_run(pl, st, now + 4 * DAY, 1, record, r) == 0);
	CHECK(latest_version(ana) == 5 && r->n == 2);
	/* ... and a second start finds nothing to do. */
	planner_free(pl);
	CHECK((pl = planner_new("stridehub", NULL)) != NULL);
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

/* ---- the hub's hooks ---- */

static void
push(struct queue *q, const char *topic, const char *payload)
{
	CHECK(queue_push(q, topic, strlen(topic), payload,
	    strlen(payload)) == 0);
}

static int
process(struct hub *h, struct queue *q, int64_t now)
{
	struct inmsg	*list;
	size_t		 count;
	int		 rc;

	list = queue_pop_all(q, 0, &count);
	rc = hub_process(h, list, now);
	inmsg_free_list(list);
	return rc;
}

static void
test_hub_hooks(void)
{
	struct hub_config	 c;
	struct queue		*q;
	struct hub		*h;
	struct rec		*r = calloc(1, sizeof(*r));
	struct plan		 before, after;
	const char		*why;
	char			 buf[256];
	int64_t			 now = T0 + 40 * DAY, t0;
	uint32_t		 v;
	int			 i;

	if (r == NULL)
		return;
	config_defaults(&c);
	c.ha = 0;	/* plan topics only: HA states would be counted too */
	q = queue_new(1 << 20);
	CHECK((h = hub_new(&c, st, record, r)) != NULL);
	if (h == NULL || q == NULL)
		goto done;
	v = latest_version(ana);
	CHECK(plan_decode(latest.json, latest.len, &before, &why) == 0);

	/* A pain report from the watch: stored, then the new plan goes to
	 * both devices within the latency target of the batch. */
	snprintf(buf, sizeof(buf), "{\"v\":1,\"epoch\":5,\"seq\":1,"
	    "\"t\":%lld,\"when\":\"next_day\",\"level\":\"painful\"}",
	    (long long)(now - HOUR));
	push(q, "stridehub/v1/ana/watch/symptom", buf);
	t0 = clock_mono_ms();
	CHECK(process(h, q, now) == 0);
	CHECK(latest_version(ana) == v + 1);
	CHECK(rec_find(r, "stridehub/v1/ana/watch/plan") >= 0);
	CHECK(rec_find(r, "stridehub/v1/ana/pod/plan") >= 0);
	for (i = 0; i < r->n; i++) {
		if (strstr(r->m[i].topic, "/plan") == NULL)
			continue;
		CHECK(r->m[i].at_ms - t0 < LATENCY_MS);
		CHECK(rec_plan(r, i, &after) == 0);
		CHECK(after.version == v + 1);
		CHECK(no_load_up(&before, &after));
	}

	/* A birth: that device gets the current plan again; a second
	 * "online" (the hub's view unchanged) sends nothing. */
	r->n = 0;
	push(q, "stridehub/v1/ana/pod/status",
	    "{\"v\":1,\"state\":\"online\",\"epoch\":9,\"role\":\"footpod\"}");
	CHECK(process(h, q, now) == 0);
	CHECK(r->n == 1 && rec_find(r, "stridehub/v1/ana/pod/plan") == 0);
	r->n = 0;
	push(q, "stridehub/v1/ana/pod/status",
	    "{\"v\":1,\"state\":\"online\",\"epoch\":9,\"role\":\"footpod\"}");
	CHECK(process(h, q, now) == 0);
	CHECK(rec_find(r, "stridehub/v1/ana/pod/plan") == -1);

	/* A report typed at the CLI meanwhile: the next tick sends it. */
	r->n = 0;
	CHECK(hub_tick(h, now) == 0);		/* first poll: catch-up */
	CHECK(store_symptom_put(st, ana, 0, 0, now + 1000,
	    STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_BETTER, -1) == 0);
	CHECK(hub_tick(h, now + 2000) == 0);
	CHECK(latest_version(ana) >= v + 1);
	CHECK(store_plan_latest(st, ana, &latest) == 0);
	{
		int64_t closed, lastsym;

		CHECK(store_runner_marks(st, ana, &closed, &lastsym) == 0);
		CHECK(latest.seen_symptom == lastsym);
	}
done:
	hub_free(h);
	queue_free(q);
	free(r);
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

	test_planner();
	test_store_side();
	test_hub_hooks();
	test_cli();

	store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
	return check_done("test_plan");
}
