/*
 * test_delete.c - deleting a runner from the store (issue 5): the request
 * rows `stridehub runner delete` writes and the hub reads, and
 * store_runner_delete, which must remove every row of one runner (chunks,
 * events, cues, reports, plans, import runs, device keys, the devices'
 * sealed-plan versions, sessions, devices, the runner) and nothing of another, in the caller's
 * transaction; ids the hub polls are never reused after a deletion.
 *
 * A real store file in a temp dir, read back only through store.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */

static char	tmpdir[64];
static char	dbpath[128];

static void
rm_rf(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char	p[160];
	size_t	i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

/* What one runner has in the store, as seen through the public walks. */
struct seen {
	int64_t		runner_id;
	int		devices, sessions, samples, keys, plans, symptoms;
	int		dplans;		/* sealed-plan version rows */
	int64_t		dev[2];		/* device ids */
	int		ndev;
	uint32_t	cues;
	int64_t		sess[4];
	int		nsess;
};

static int
count_device(void *arg, const struct store_device *d)
{
	struct seen *s = arg;

	if (d->runner_id == s->runner_id) {
		s->devices++;
		if (s->ndev < 2)
			s->dev[s->ndev++] = d->id;
	}
	return 0;
}

static int
count_session(void *arg, const struct store_session *ss)
{
	struct seen *s = arg;

	if (ss->runner_id == s->runner_id) {
		s->sessions++;
		if (s->nsess < 4)
			s->sess[s->nsess++] = ss->id;
	}
	return 0;
}

static int
count_samples(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *smp, size_t n)
{
	struct seen *s = arg;

	(void)device_id;
	(void)role;
	(void)smp;
	s->samples += (int)n;
	return 0;
}

static int
count_key(void *arg, const struct store_device_key *k)
{
	struct seen *s = arg;

	if (k->state != STORE_KEY_NONE)
		s->keys++;
	return 0;
}

static int
count_plan(void *arg, const struct store_plan *p)
{
	struct seen *s = arg;

	(void)p;
	s->plans++;
	return 0;
}

static int
count_symptom(void *arg, const struct store_symptom *y)
{
	struct seen *s = arg;

	(void)y;
	s->symptoms++;
	return 0;
}

/* Everything of runner name (id rid) the store will hand out. */
static int
count_dplan(void *arg, const struct store_plan_due *d)
{
	struct seen *s = arg;

	if (d->runner_id == s->runner_id && d->last.version != 0)
		s->dplans++;
	return 0;
}

static void
look(struct store *st, const char *name, int64_t rid, struct seen *s)
{
	uint32_t	tot[STRIDE_CUE_COUNT];
	int		i, any, c;

	memset(s, 0, sizeof(*s));
	s->runner_id = rid;
	CHECK(store_devices_walk(st, NULL, count_device, s) == 0);
	CHECK(store_sessions_walk(st, NULL, 0, count_session, s) == 0);
	for (i = 0; i < s->nsess; i++) {
		CHECK(store_session_samples(st, s->sess[i], count_samples,
		    s) == 0);
		CHECK(store_session_cues(st, s->sess[i], tot, &any) == 0);
		for (c = 0; any && c < STRIDE_CUE_COUNT; c++)
			s->cues += tot[c];
	}
	CHECK(store_device_keys_walk(st, name, count_key, s) == 0);
	CHECK(store_plans_walk(st, rid, count_plan, s) == 0);
	CHECK(store_symptoms_walk(st, rid, 0, 1000, count_symptom, s) == 0);
	/* Sealed-plan versions: through the due walk (every device with an
	 * active key and a plan) and by device. */
	CHECK(store_device_plans_due_walk(st, INT64_MAX, count_dplan, s) == 0);
	for (i = 0; i < s->ndev; i++) {
		struct store_device_plan dp;

		CHECK(store_device_plan_get(st, s->dev[i], &dp) == 0);
		CHECK(dp.version == 2 && dp.device_id == s->dev[i]);
	}
}

/* A runner with two devices, two sessions of samples, events, cues,
 * reports (from a device and from the CLI), two plans, an import run
 * and device keys. seed makes each runner's keys differ. */
static int64_t
make_runner(struct store *st, const char *name, int seed)
{
	struct store_device	d[2];
	struct stride_sample	smp[4];
	struct store_import	im;
	struct store_plan	p;
	uint16_t		cues[STRIDE_CUE_COUNT];
	uint8_t			pk[STORE_KEY_BYTES], fp[STORE_KEY_BYTES];
	int64_t			rid, sid;
	int			i, k, s;

	CHECK(store_begin(st) == 0);
	CHECK(store_runner_get(st, name, 1, &rid) == 0);
	CHECK(store_device_get(st, rid, name, "pod", 1, &d[0]) == 0);
	CHECK(store_device_get(st, rid, name, "watch", 1, &d[1]) == 0);
	for (s = 0; s < 2; s++) {
		CHECK(store_session_new(st, rid, T0 + s * 86400000LL,
		    &sid) == 0);
		for (k = 0; k < 2; k++) {
			for (i = 0; i < 4; i++) {
				memset(&smp[i], 0, sizeof(smp[i]));
				smp[i].t_ms = T0 + s * 86400000LL + i * 1000;
				smp[i].cad_spm = 170;
				smp[i].dist_m = i * 3.0;
				smp[i].has = STRIDE_HAS_CAD | STRIDE_HAS_DIST;
			}
			CHECK(store_chunk_put(st, sid, d[k].id, 1, 1, smp,
			    4) == 0);
			CHECK(store_event_put(st, sid, d[k].id, smp[0].t_ms,
			    STRIDE_EVENT_START) == 0);
		}
		memset(cues, 0, sizeof(cues));
		cues[1] = 3;
		CHECK(store_cues_put(st, sid, d[1].id, cues) == 0);
		CHECK(store_symptom_put(st, rid, d[1].id, sid, T0 + 3600000,
		    STRIDE_WHEN_DURING, STRIDE_LEVEL_AWARE, 2) == 0);
	}
	CHECK(store_symptom_put(st, rid, 0, 0, T0 + 86400000LL,
	    STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, -1) == 0);
	for (i = 1; i <= 2; i++) {
		memset(&p, 0, sizeof(p));
		p.runner_id = rid;
		p.version = (uint32_t)i;
		p.issued_ms = T0 + i;
		snprintf(p.reasons, sizeof(p.reasons), "BASELINE");
		p.len = (size_t)snprintf(p.json, sizeof(p.json),
		    "{\"v\":1,\"ver\":%d}", i);
		CHECK(store_plan_put(st, &p) == 0);
	}
	memset(&im, 0, sizeof(im));
	im.runner_id = rid;
	im.t_ms = T0;
	im.files = 1;
	im.added = 1;
	CHECK(store_import_put(st, &im, NULL) == 0);
	for (k = 0; k < 2; k++) {
		memset(pk, seed * 16 + k + 1, sizeof(pk));
		memset(fp, seed * 16 + k + 1, sizeof(fp));
		CHECK(store_device_key_put(st, d[k].id, pk, fp, T0) == 0);
		/* Two sealed plans sent to each device. */
		for (i = 0; i < 2; i++) {
			uint64_t v;

			CHECK(store_device_plan_next(st, d[k].id, 2, T0,
			    T0 + 1000, &v) == 0 && v == (uint64_t)i + 1);
		}
	}
	CHECK(store_commit(st) == 0);
	return rid;
}

struct names {
	char	v[4][STRIDE_ID_MAX + 1];
	int	n;
};

static int
name_of(void *arg, const struct store_runner *r)
{
	struct names *n = arg;

	if (n->n < 4)
		snprintf(n->v[n->n++], sizeof(n->v[0]), "%s", r->runner);
	return 0;
}

static void
check_same(const struct seen *a, const struct seen *b)
{
	CHECK(a->devices == b->devices);
	CHECK(a->sessions == b->sessions);
	CHECK(a->samples == b->samples);
	CHECK(a->keys == b->keys);
	CHECK(a->plans == b->plans);
	CHECK(a->symptoms == b->symptoms);
	CHECK(a->cues == b->cues);
	CHECK(a->dplans == b->dplans);
}

int
main(void)
{
	struct store_runner_counts	 na, nb, nb2;
	struct store_deletion		 q[4];
	struct store_import		 im;
	struct seen			 a0, b0, a1, b1;
	struct names			 names;
	struct store			*st;
	char				 err[256];
	int64_t				 ana, bob, ana2, req, req2, last, sym_last;
	int64_t				 imp_last, id;
	size_t				 n;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_delete.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmpdir);
	if ((st = store_open(dbpath, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		rm_rf();
		return 1;
	}

	/* Bob first, so ana's reports and import run are the newest ids. */
	bob = make_runner(st, "bob", 1);
	ana = make_runner(st, "ana", 2);
	look(st, "ana", ana, &a0);
	look(st, "bob", bob, &b0);
	/* The fixture is what the checks below assume. */
	CHECK(a0.devices == 2 && a0.sessions == 2 && a0.samples == 16);
	CHECK(a0.keys == 2 && a0.plans == 2 && a0.symptoms == 3);
	CHECK(a0.cues == 6 && a0.dplans == 2);
	check_same(&a0, &b0);
	CHECK(store_runner_counts(st, ana, &na) == 0);
	CHECK(na.devices == 2 && na.sessions == 2 && na.reports == 3 &&
	    na.plans == 2 && na.imports == 1);
	CHECK(store_runner_counts(st, bob, &nb) == 0);

	/* Requests: none, then one, read back as the hub will. */
	CHECK(store_deletion_last_id(st, &last) == 0 && last == 0);
	CHECK(store_deletions_pending(st, q, 4, &n) == 0 && n == 0);
	CHECK(store_deletion_put(st, ana, "ana", T0, &req) == 0);
	CHECK(store_deletion_put(st, ana, "Not valid", T0, NULL) == -1);
	CHECK(store_deletion_last_id(st, &last) == 0 && last == req);
	CHECK(store_deletions_pending(st, q, 4, &n) == 0 && n == 1);
	CHECK(q[0].id == req && q[0].runner_id == ana &&
	    strcmp(q[0].runner, "ana") == 0 && q[0].requested_ms == T0);

	/* A rolled-back deletion deletes nothing: it is one transaction. */
	CHECK(store_begin(st) == 0);
	CHECK(store_runner_delete(st, ana) == 0);
	CHECK(store_rollback(st) == 0);
	look(st, "ana", ana, &a1);
	check_same(&a1, &a0);

	CHECK(store_symptom_last_id(st, &sym_last) == 0);
	CHECK(store_import_last_id(st, &imp_last) == 0);
	CHECK(store_begin(st) == 0);
	CHECK(store_runner_delete(st, ana) == 0);
	CHECK(store_deletion_done(st, req, T0 + 1) == 0);
	CHECK(store_commit(st) == 0);

	/* Nothing of ana is left... */
	CHECK(store_runner_get(st, "ana", 0, &id) == 1);
	look(st, "ana", ana, &a1);
	CHECK(a1.devices == 0 && a1.sessions == 0 && a1.keys == 0 &&
	    a1.plans == 0 && a1.symptoms == 0 && a1.dplans == 0);
	for (n = 0; n < (size_t)a0.ndev; n++) {
		struct store_device_plan dp;

		CHECK(store_device_plan_get(st, a0.dev[n], &dp) == 1);
	}
	for (n = 0; n < (size_t)a0.nsess; n++) {
		struct seen gone;

		memset(&gone, 0, sizeof(gone));
		CHECK(store_session_samples(st, a0.sess[n], count_samples,
		    &gone) == 0);
		CHECK(gone.samples == 0);
	}
	CHECK(store_runner_counts(st, ana, &na) == 0);
	CHECK(na.devices == 0 && na.sessions == 0 && na.reports == 0 &&
	    na.plans == 0 && na.imports == 0);
	memset(&names, 0, sizeof(names));
	CHECK(store_runners_walk(st, name_of, &names) == 0);
	CHECK(names.n == 1 && strcmp(names.v[0], "bob") == 0);
	/* ...and all of bob is. */
	look(st, "bob", bob, &b1);
	check_same(&b1, &b0);
	CHECK(store_runner_counts(st, bob, &nb2) == 0);
	CHECK(memcmp(&nb, &nb2, sizeof(nb)) == 0);

	/* The request is done; a second one for a gone runner deletes
	 * nothing (1). */
	CHECK(store_deletions_pending(st, q, 4, &n) == 0 && n == 0);
	CHECK(store_deletion_put(st, ana, "ana", T0 + 2, &req2) == 0);
	CHECK(req2 > req);
	CHECK(store_begin(st) == 0);
	CHECK(store_runner_delete(st, ana) == 1);
	CHECK(store_deletion_done(st, req2, T0 + 3) == 0);
	CHECK(store_commit(st) == 0);
	look(st, "bob", bob, &b1);
	check_same(&b1, &b0);

	/* Polled ids are not reused: ana had the newest report and import
	 * run; the next ones still come after them. */
	CHECK(store_begin(st) == 0);
	CHECK(store_symptom_put(st, bob, 0, 0, T0 + 5, STRIDE_WHEN_NEXT_DAY,
	    STRIDE_LEVEL_BETTER, -1) == 0);
	memset(&im, 0, sizeof(im));
	im.runner_id = bob;
	im.t_ms = T0;
	CHECK(store_import_put(st, &im, &id) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(id > imp_last);
	CHECK(store_symptom_last_id(st, &last) == 0 && last > sym_last);

	/* The name is free: a runner under it is a new, empty one. */
	CHECK(store_begin(st) == 0);
	CHECK(store_runner_get(st, "ana", 1, &ana2) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_runner_counts(st, ana2, &na) == 0);
	CHECK(na.devices == 0 && na.sessions == 0 && na.reports == 0 &&
	    na.plans == 0);

	store_close(st);
	rm_rf();
	return check_done("test_delete");
}
