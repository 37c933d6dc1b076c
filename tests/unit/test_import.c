/*
 * test_import.c - history import (hub/import.c) against a real store in a
 * temp dir: the same-run rule, the usual-cadence baseline and the checks
 * (pure, table-driven); small TCX and GPX files the test writes itself,
 * imported, re-imported, imported in another format and beside a live
 * session; the end of an import (profile, the record the hub polls, and
 * the planner noticing it); `stridehub import` on a folder with a hostile
 * file; then every real file of $STRIDE_ACTIVITIES: distance and moving
 * time of the imported session against the file's own totals, and a
 * second import of the folder adding nothing. The real-file part is
 * skipped with a message without STRIDE_ACTIVITIES.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "import.h"
#include "plan.h"
#include "store.h"
#include "stride/activity.h"
#include "stride/log.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */
#define DAY	86400000LL
#define M_PER_DEG_LAT	111195.08	/* on activity.c's sphere */

static char	tmpdir[64];
static char	dbpath[160], outpath[160], errpath[160];
static char	*out, *err;		/* the last CLI command's output */

/* ---- helpers ---- */

static void
iso(char *buf, size_t len, int64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 n, cap;
};

static void LOG_PRINTF(2, 3)
sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = b->cap == 0 ? 4096 : b->cap * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL) {
			perror("realloc");
			exit(1);
		}
		b->s[b->n] = '\0';
	}
}

/*
 * A TCX run: n trackpoints 1 s apart from t0_ms at spd m/s, cad_leg
 * strides/min, altitude rising alt_step m per point; after point
 * pause_at (0: none) the clock jumps pause_s seconds with no distance:
 * the device's timer stood.
 */
static char *
tcx_run(int64_t t0_ms, int n, int pause_at, int pause_s, double spd,
    int cad_leg, double alt_step)
{
	struct sbuf	b = { NULL, 0, 0 };
	char		t[40];
	int		i;

	iso(t, sizeof(t), t0_ms);
	sb_add(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<TrainingCenterDatabase xmlns=\"http://www.garmin.com/"
	    "xmlschemas/TrainingCenterDatabase/v2\">\n<Activities>\n"
	    "<Activity Sport=\"Running\"><Id>%s</Id>\n<Lap StartTime=\"%s\">"
	    "<TotalTimeSeconds>%d</TotalTimeSeconds><DistanceMeters>%.1f"
	    "</DistanceMeters><Track>\n", t, t, n, spd * (n - 1));
	for (i = 0; i < n; i++) {
		int64_t ms = t0_ms + i * 1000LL +
		    (pause_at > 0 && i > pause_at ? pause_s * 1000LL : 0);

		iso(t, sizeof(t), ms);
		sb_add(&b, "<Trackpoint><Time>%s</Time><AltitudeMeters>%.1f"
		    "</AltitudeMeters><DistanceMeters>%.2f</DistanceMeters>"
		    "<Cadence>%d</Cadence></Trackpoint>\n", t,
		    100.0 + alt_step * i, spd * i, cad_leg);
	}
	sb_add(&b, "</Track></Lap></Activity>\n</Activities>\n"
	    "</TrainingCenterDatabase>\n");
	return b.s;
}

/* The same kind of run as GPX (positions northwards, no distance), every
 * `step`-th point from point `from`. */
static char *
gpx_run(int64_t t0_ms, int n, int from, int step, double spd)
{
	struct sbuf	b = { NULL, 0, 0 };
	char		t[40];
	int		i;

	sb_add(&b, "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" creator="
	    "\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n<trk>"
	    "<type>running</type><trkseg>\n");
	for (i = from; i < n; i += step) {
		iso(t, sizeof(t), t0_ms + i * 1000LL);
		sb_add(&b, "<trkpt lat=\"%.7f\" lon=\"7.0\"><ele>100</ele>"
		    "<time>%s</time></trkpt>\n", 45.0 + spd * i /
		    M_PER_DEG_LAT, t);
	}
	sb_add(&b, "</trkseg></trk>\n</gpx>\n");
	return b.s;
}

static void
write_file(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(s, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write s to tmpdir/name and load it. */
static struct activity *
load_text(const char *name, char *s)
{
	struct activity_err	 ae;
	struct activity		*a;
	char			 path[256], why[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, s, strlen(s));
	free(s);
	if ((a = activity_load(path, &ae)) == NULL)
		fprintf(stderr, "%s: %s\n", name, activity_strerror(&ae, why,
		    sizeof(why)));
	return a;
}

static struct store *
open_rw(void)
{
	char		 e[256];
	struct store	*st = store_open(dbpath, 0, e, sizeof(e));

	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", e);
	return st;
}

static int
count_cb(void *arg, const struct store_session *s)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static int
sessions_of(struct store *st, const char *runner)
{
	int n = 0;

	if (store_sessions_walk(st, runner, 0, count_cb, &n) != 0)
		return -1;
	return n;
}

struct samples_seen {
	size_t			n;
	int			devices;
	enum stride_role	role;
};

static int
samples_cb(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct samples_seen *ss = arg;

	(void)device_id;
	(void)s;
	ss->n += n;
	ss->devices++;
	ss->role = role;
	return 0;
}

/* Run cli_main on argv, capturing stdout and stderr. */
static int
run_cli(int argc, char **argv)
{
	FILE	*f;
	long	 len;
	int	 fo, fe, so, se, rc, k;
	char	**dst[2] = { &out, &err };
	char	*path[2] = { outpath, errpath };

	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fo = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fo, STDOUT_FILENO);
	dup2(fe, STDERR_FILENO);
	close(fo);
	close(fe);
	rc = cli_main(dbpath, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	for (k = 0; k < 2; k++) {
		free(*dst[k]);
		*dst[k] = NULL;
		if ((f = fopen(path[k], "r")) != NULL &&
		    fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
		    fseek(f, 0, SEEK_SET) == 0 &&
		    (*dst[k] = malloc((size_t)len + 1)) != NULL)
			(*dst[k])[fread(*dst[k], 1, (size_t)len, f)] = '\0';
		if (f != NULL)
			fclose(f);
		if (*dst[k] == NULL)
			*dst[k] = strdup("");
	}
	return rc;
}

static int
count_lines_with(const char *s, const char *needle)
{
	const char	*p = s;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* ---- pure parts ---- */

static void
test_same_run(void)
{
	static const struct {
		int64_t	a0, a1, b0, b1;
		int	same;
	} t[] = {
		{ 0, 100, 0, 100, 1 },		/* identical */
		{ 0, 100, 10, 110, 1 },		/* 90 % */
		{ 0, 100, 49, 149, 1 },		/* 51 % */
		{ 0, 100, 50, 150, 0 },		/* exactly half: not more */
		{ 0, 100, 60, 160, 0 },
		{ 0, 100, 100, 200, 0 },	/* touching */
		{ 0, 100, 200, 300, 0 },	/* apart */
		{ 0, 1000, 400, 500, 1 },	/* short inside long */
		{ 400, 500, 0, 1000, 1 },	/* either order */
		{ 0, 1000, 950, 1100, 0 },	/* 50 of 150 */
		{ 0, 1000, 900, 1100, 0 },	/* 100 of 200: half */
		{ 0, 1000, 899, 1099, 1 },	/* 101 of 200 */
		{ 50, 50, 0, 100, 1 },		/* a point inside */
		{ 150, 150, 0, 100, 0 },	/* a point outside */
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = import_same_run(t[i].a0, t[i].a1, t[i].b0, t[i].b1);

		if (got != t[i].same)
			fprintf(stderr, "same_run row %zu: got %d\n", i, got);
		CHECK(got == t[i].same);
		/* Symmetric. */
		CHECK(import_same_run(t[i].b0, t[i].b1, t[i].a0, t[i].a1) ==
		    got);
	}
}

static struct session_summary
summ(double moving_s, double cad, double flat_s, double ungraded_s)
{
	struct session_summary m;

	memset(&m, 0, sizeof(m));
	m.moving_s = moving_s;
	m.avg_cadence_spm = cad;
	m.band_s[1] = flat_s;
	m.band_s[3] = moving_s - flat_s - ungraded_s;
	m.ungraded_s = ungraded_s;
	return m;
}

static void
test_usual_cadence(void)
{
	struct session_summary	r[8];
	size_t			k;

	/* Odd count: the middle one. A hilly run does not count. */
	r[0] = summ(1800, 168, 1800, 0);
	r[1] = summ(1800, 172, 1500, 0);	/* 83 % flat */
	r[2] = summ(1800, 176, 0, 1800);	/* treadmill: ungraded */
	r[3] = summ(1800, 150, 600, 0);		/* hilly: 33 % flat */
	CHECK(import_usual_cadence(r, 4, &k) == 172 && k == 3);
	/* Even count: the mean of the middle two, rounded. */
	CHECK(import_usual_cadence(r, 2, &k) == 170 && k == 2);
	/* Too short, no cadence, a cadence the plan cannot use. */
	r[4] = summ(300, 180, 300, 0);
	r[5] = summ(1800, 0, 1800, 0);
	r[6] = summ(1800, 80, 1800, 0);		/* a hike's cadence */
	r[7] = summ(1800, NAN, 1800, 0);
	CHECK(import_usual_cadence(r + 4, 4, &k) == 0 && k == 0);
	CHECK(import_usual_cadence(r, 8, &k) == 172 && k == 3);
	CHECK(import_usual_cadence(r, 0, NULL) == 0);
}

/* An activity of n records, 1 s apart from t0, moving at 3 m/s. */
static struct activity *
mk(int64_t t0, size_t n)
{
	struct activity		*a = activity_new();
	struct activity_rec	 r;
	struct activity_err	 e;
	size_t			 i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.t_ms = t0 + (int64_t)i * 1000;
		r.dist_m = 3.0 * (double)i;
		r.cad_spm = 170;
		r.has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_CAD;
		if (activity_push(a, &r, &e) == -1)
			return NULL;
	}
	a->fmt = ACTIVITY_FMT_FIT;
	a->sport = ACTIVITY_SPORT_RUNNING;
	activity_finish(a);
	return a;
}

static void
test_check(void)
{
	struct activity	*a;
	const char	*why;

	a = mk(T0, 100);
	CHECK(import_check(a, &why) == 0);
	a->sport = ACTIVITY_SPORT_HIKING;
	CHECK(import_check(a, &why) == 0);
	a->sport = ACTIVITY_SPORT_OTHER;
	CHECK(import_check(a, &why) == -1 && strstr(why, "not a run"));
	a->sport = ACTIVITY_SPORT_UNKNOWN;
	a->flags |= ACTIVITY_F_RELATIVE_TIME;
	CHECK(import_check(a, &why) == -1 && strstr(why, "clock"));
	activity_free(a);

	a = mk(T0, 1);
	CHECK(import_check(a, &why) == -1 && strstr(why, "two records"));
	activity_free(a);
	a = mk(631065600000LL, 10);		/* 1989-12-31 */
	CHECK(import_check(a, &why) == -1 && strstr(why, "2000"));
	activity_free(a);
	a = mk(T0, 2);
	a->rec[1].t_ms = T0 + FUSE_MAX_SPAN_MS + 1000;
	CHECK(import_check(a, &why) == -1 && strstr(why, "day"));
	activity_free(a);

	/* import_prepare: speed from distance, and idempotent. */
	a = mk(T0, 60);
	a->rec[30].spd_mps = 9.0f;		/* a wild device speed */
	a->rec[30].has |= ACTIVITY_HAS_SPD;
	import_prepare(a);
	CHECK((a->rec[30].has & ACTIVITY_HAS_SPD) &&
	    (a->rec[30].derived & ACTIVITY_HAS_SPD));
	CHECK_NEAR(a->rec[30].spd_mps, 3.0, 0.01);
	import_prepare(a);
	CHECK_NEAR(a->rec[30].spd_mps, 3.0, 0.01);
	{
		struct stride_sample s[60];
		size_t n = import_samples(a, s, 60);

		CHECK(n == 60 && s[0].t_ms == T0 && s[59].t_ms == T0 + 59000);
		CHECK((s[10].has & (STRIDE_HAS_SPD | STRIDE_HAS_DIST |
		    STRIDE_HAS_CAD)) == (STRIDE_HAS_SPD | STRIDE_HAS_DIST |
		    STRIDE_HAS_CAD));
		CHECK(import_samples(a, s, 7) == 7);
	}
	activity_free(a);
}

/* ---- the store ---- */

static void
test_store_import(void)
{
	struct store		*st = open_rw();
	struct activity		*a;
	struct import_result	 r;
	struct store_session	 ss;
	struct samples_seen	 seen;
	int64_t			 rid, first, id;

	if (st == NULL) {
		CHECK(0);
		return;
	}
	CHECK(store_runner_get(st, "ana", 1, &rid) == 0);

	/* 900 points, a 60 s pause after point 450, 3 m/s, 170 spm. */
	a = load_text("run1.tcx", tcx_run(T0, 900, 450, 60, 3.0, 85, 0));
	CHECK(a != NULL && a->sum.pauses == 1);
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_ADDED && r.session_id > 0);
	first = r.session_id;
	/* The fuser's figures: 900 s at 3 m/s moving; the pause is not. */
	CHECK_NEAR(r.sum.moving_s, 900, 3);
	CHECK_NEAR(r.sum.distance_m, 2700, 27);
	CHECK_NEAR(r.sum.avg_cadence_spm, 170, 0.5);
	CHECK(r.sum.devices == 1 && r.sum.samples == 900);
	CHECK(r.sum.start_ms == T0);
	CHECK_NEAR(r.sum.band_s[1], r.sum.moving_s, 1e-6);	/* flat */
	CHECK(store_session_get(st, first, &ss) == 0);
	CHECK(!ss.open && ss.imported && ss.start_ms == T0 &&
	    ss.stop_ms == T0 + 959000);
	CHECK_NEAR(ss.sum.distance_m, r.sum.distance_m, 1e-6);
	memset(&seen, 0, sizeof(seen));
	CHECK(store_session_samples(st, first, samples_cb, &seen) == 0);
	CHECK(seen.n == 900 && seen.devices == 1 &&
	    seen.role == IMPORT_ROLE);

	/* The same file again: the same run, nothing added. */
	a = load_text("run1b.tcx", tcx_run(T0, 900, 450, 60, 3.0, 85, 0));
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_SAME_RUN && r.session_id == first &&
	    r.same_imported == 1);
	/* The same run as GPX: starts 3 s later, every other point. */
	a = load_text("run1.gpx", gpx_run(T0, 900, 3, 2, 3.0));
	CHECK(a != NULL);
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_SAME_RUN && r.session_id == first);
	CHECK(sessions_of(st, "ana") == 1);

	/* A run the next day is another session; hilly this time. */
	a = load_text("run2.tcx", tcx_run(T0 + DAY, 900, 0, 0, 3.0, 84,
	    0.15));
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_ADDED && r.session_id != first);
	CHECK(r.sum.band_s[3] > 0.8 * r.sum.moving_s);	/* 5 %: band 4..8 */
	CHECK(sessions_of(st, "ana") == 2);

	/* A live session that is still open: the file is the same run. */
	CHECK(store_session_new(st, rid, T0 + 3 * DAY, &id) == 0);
	memset(&ss, 0, sizeof(ss));
	ss.id = id;
	ss.start_ms = T0 + 3 * DAY;
	ss.last_t_ms = T0 + 3 * DAY + 1800000;
	CHECK(store_session_save(st, &ss) == 0);
	a = load_text("run3.tcx", tcx_run(T0 + 3 * DAY + 60000, 900, 0, 0,
	    3.0, 85, 0));
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_SAME_RUN && r.session_id == id &&
	    r.same_imported == 0);

	/* Standing still the whole time: refused, and nothing kept. */
	a = load_text("stand.tcx", tcx_run(T0 + 5 * DAY, 300, 0, 0, 0.0, 0,
	    0));
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_REFUSED && strstr(r.why, "movement") &&
	    r.session_id == 0);
	CHECK(sessions_of(st, "ana") == 3);
	/* A file the clock of which was never set. */
	a = mk(T0 + 6 * DAY, 100);
	a->flags |= ACTIVITY_F_RELATIVE_TIME;
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_REFUSED && strstr(r.why, "clock"));
	CHECK(sessions_of(st, "ana") == 3);
	store_close(st);
}

static int
runner_cb(void *arg, int64_t runner_id, const char *runner)
{
	(void)runner_id;
	if (strcmp(runner, "ana") == 0)
		(*(int *)arg)++;
	return 0;
}

/* The end of an import: the profile, the record, and the planner. */
static void
test_end_and_plan(void)
{
	struct store		*st = open_rw();
	struct planner		*pl = planner_new("stridehub", NULL);
	struct store_import	 im;
	struct store_profile	 p;
	struct session_summary	 runs[3];
	struct plan_stats	 before, after;
	struct store_plan	 sp;
	struct activity		*a;
	struct import_result	 r;
	int64_t			 rid, last0, last1, bid;
	int			 cad, n = 0;

	if (st == NULL || pl == NULL) {
		CHECK(0);
		store_close(st);
		planner_free(pl);
		return;
	}
	CHECK(store_runner_get(st, "ana", 0, &rid) == 0);
	/* The hub's first poll catches up on what it missed. */
	CHECK(plan_run(pl, st, T0 + 4 * DAY, 1, NULL, NULL) == 0);
	CHECK(store_plan_latest(st, rid, &sp) == 0);
	plan_get_stats(pl, &before);
	CHECK(store_import_last_id(st, &last0) == 0);

	/* A session stored without the import's end: not noticed yet. */
	a = load_text("run4.tcx", tcx_run(T0 + 2 * DAY, 1200, 0, 0, 3.1, 86,
	    0));
	CHECK(import_activity(st, rid, "ana", a, &r) == 0);
	activity_free(a);
	CHECK(r.status == IMPORT_ADDED);
	CHECK(plan_run(pl, st, T0 + 4 * DAY, 1, NULL, NULL) == 0);
	plan_get_stats(pl, &after);
	CHECK(after.computed == before.computed);

	/* The end: usual cadence from the flat runs, and the record. */
	runs[0] = r.sum;
	runs[1] = summ(1800, 168, 1800, 0);
	runs[2] = summ(1800, 150, 100, 0);	/* hilly: ignored */
	memset(&im, 0, sizeof(im));
	im.runner_id = rid;
	im.t_ms = T0 + 4 * DAY;
	im.files = 3;
	im.added = 1;
	im.skipped = 1;
	im.refused = 1;
	CHECK(store_profile_get(st, rid, &p) == 0 && p.cadence_spm == 0);
	CHECK(import_end(st, &im, runs, 3, &cad) == 0);
	CHECK(cad == import_usual_cadence(runs, 3, NULL) && cad >= 168 &&
	    cad <= 172);
	CHECK(store_profile_get(st, rid, &p) == 0 && p.cadence_spm == cad);
	CHECK(store_import_last_id(st, &last1) == 0 && last1 > last0);
	CHECK(store_import_runners_walk(st, last0, runner_cb, &n) == 0 &&
	    n == 1);
	n = 0;
	CHECK(store_import_runners_walk(st, last1, runner_cb, &n) == 0 &&
	    n == 0);
	/* The hub's tick notices the record and recomputes ana's plan. */
	CHECK(plan_run(pl, st, T0 + 4 * DAY, 1, NULL, NULL) == 0);
	plan_get_stats(pl, &after);
	CHECK(after.computed == before.computed + 1);
	/* Nothing new: no recompute. */
	CHECK(plan_run(pl, st, T0 + 4 * DAY, 1, NULL, NULL) == 0);
	plan_get_stats(pl, &before);
	CHECK(before.computed == after.computed);

	/* A cadence the runner set is never replaced. */
	p.cadence_spm = 160;
	CHECK(store_profile_set(st, rid, &p) == 0);
	CHECK(import_end(st, &im, runs, 3, &cad) == 0 && cad == 0);
	CHECK(store_profile_get(st, rid, &p) == 0 && p.cadence_spm == 160);
	/* No flat run: nothing to set for a new runner. */
	CHECK(store_runner_get(st, "bob", 1, &bid) == 0);
	im.runner_id = bid;
	CHECK(import_end(st, &im, runs + 2, 1, &cad) == 0 && cad == 0);
	CHECK(store_profile_get(st, bid, &p) == 0 && p.cadence_spm == 0);
	planner_free(pl);
	store_close(st);
}

/* `stridehub import` on a folder: progress lines, a hostile file, the
 * same run twice, other files ignored, idempotent. */
static void
test_cli_folder(void)
{
	char		 dir[200], sub[240], p[300];
	char		*argv[4], *s;
	int		 rc;

	snprintf(dir, sizeof(dir), "%s/runs", tmpdir);
	snprintf(sub, sizeof(sub), "%s/2024", dir);
	CHECK(mkdir(dir, 0700) == 0 && mkdir(sub, 0700) == 0);
	s = tcx_run(T0 + 10 * DAY, 900, 0, 0, 3.0, 85, 0);
	snprintf(p, sizeof(p), "%s/a.tcx", sub);
	write_file(p, s, strlen(s));
	/* The same file cut short: a TCX by its content, but broken. */
	snprintf(p, sizeof(p), "%s/broken.tcx", dir);
	write_file(p, s, strlen(s) / 2);
	free(s);
	s = gpx_run(T0 + 10 * DAY, 900, 0, 1, 3.0);	/* a.tcx's run */
	snprintf(p, sizeof(p), "%s/b.gpx", sub);
	write_file(p, s, strlen(s));
	free(s);
	s = tcx_run(T0 + 11 * DAY, 1200, 0, 0, 2.9, 86, 0);
	snprintf(p, sizeof(p), "%s/c.xml", dir);	/* any name */
	write_file(p, s, strlen(s));
	free(s);
	snprintf(p, sizeof(p), "%s/notes.txt", dir);
	write_file(p, "not a run\n", 10);

	argv[0] = "import";
	argv[1] = "cli";
	argv[2] = dir;
	rc = run_cli(3, argv);
	/* One refused: exit 1, the others imported all the same. */
	CHECK(rc == 1);
	CHECK(count_lines_with(out, "\n[") + (out[0] == '[') == 4);
	CHECK(strstr(out, "[1/4] ") != NULL && strstr(out, "[4/4] ") != NULL);
	CHECK(strstr(out, "2024/a.tcx: 2.70 km, 0:15:00, 170 spm, "
	    "2024-05-11T07:00:00Z: session ") != NULL);
	CHECK(strstr(out, "b.gpx: 2024-05-11T07:00:00Z: the same run as "
	    "session ") != NULL);
	CHECK(strstr(out, "broken.tcx: refused: ") != NULL);
	CHECK(strstr(out, "c.xml: 3.48 km, ") != NULL);
	CHECK(strstr(out, "import cli: 4 files, 2 added, 1 skipped (same "
	    "run), 1 refused; 1 other file ignored\n") != NULL);
	CHECK(strstr(out, "profile cli: usual cadence 171 spm (median of 2 "
	    "flat runs)\n") != NULL);
	if (rc != 1)
		fprintf(stderr, "out:\n%s\nerr:\n%s\n", out, err);

	/* Again: nothing added, the hostile file refused again. */
	rc = run_cli(3, argv);
	CHECK(rc == 1);
	CHECK(strstr(out, "4 files, 0 added, 3 skipped (same run), 1 "
	    "refused") != NULL);
	CHECK(strstr(out, "profile cli") == NULL);
	CHECK(strstr(out, "plan cli") == NULL);

	/* One good file by name: exit 0. */
	snprintf(p, sizeof(p), "%s/a.tcx", sub);
	argv[2] = p;
	CHECK(run_cli(3, argv) == 0);
	CHECK(strstr(out, "[1/1] ") && strstr(out, "skipped"));
	/* Usage and missing paths. */
	argv[1] = "Not-An-Id";
	CHECK(run_cli(3, argv) == 2);
	argv[1] = "cli";
	argv[2] = "/nonexistent/stride";
	CHECK(run_cli(3, argv) == 1 && strstr(err, "nonexistent"));
	CHECK(run_cli(2, argv) == 2);
	argv[2] = sub;
	argv[3] = dir;	/* overlapping arguments: still one session each */
	CHECK(run_cli(4, argv) == 1);
	CHECK(strstr(out, "6 files, 0 added, 5 skipped") != NULL);
}

/* ---- the real files ---- */

/* What the records say was standing: intervals (not pauses, at most the
 * fuser's 10 s hold) that begin below 0.5 m/s, and their distance. */
static void
standing(const struct activity *a, double *s, double *m)
{
	size_t	j;
	double	dt;

	*s = *m = 0;
	for (j = 1; j < a->n; j++) {
		const struct activity_rec *p = &a->rec[j - 1], *q = &a->rec[j];

		if (q->pause)
			continue;
		dt = (double)(q->t_ms - p->t_ms) / 1000.0;
		if (dt > 10)
			dt = 10;
		if ((p->has & ACTIVITY_HAS_SPD) && p->spd_mps >= 0.5)
			continue;
		*s += dt;
		if (p->has & q->has & ACTIVITY_HAS_DIST)
			*m += q->dist_m - p->dist_m;
	}
}

static int
real_name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void
test_real(const char *dirpath)
{
	struct store		*st = open_rw();
	struct activity_err	 ae;
	struct activity		*a, *b;
	struct import_result	 r;
	struct dirent		*de;
	DIR			*d;
	char			*names[64], path[1024], why[256];
	char			 runner[STRIDE_ID_MAX + 1];
	int64_t			 rid, all, fit945 = 0;
	size_t			 n = 0, i;
	int			 checked = 0, added = 0;
	const char		*fr945 = "garmin-fr945_stryd_hilly-run_14.0km.";

	if (st == NULL || (d = opendir(dirpath)) == NULL) {
		printf("test_import: %s: cannot read, real files skipped\n",
		    dirpath);
		store_close(st);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 64) {
		size_t len = strlen(de->d_name);

		if (len > 4 && (strcmp(de->d_name + len - 4, ".fit") == 0 ||
		    strcmp(de->d_name + len - 4, ".tcx") == 0 ||
		    strcmp(de->d_name + len - 4, ".gpx") == 0))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), real_name_cmp);
	CHECK(store_runner_get(st, "all", 1, &all) == 0);
	printf("%-45s %21s %21s %s\n", "file", "distance ours/file",
	    "moving ours/file", "(file: timer, distance minus standing)");
	for (i = 0; i < n; i++) {
		double s_s, s_m, want_s, want_m;

		snprintf(path, sizeof(path), "%s/%s", dirpath, names[i]);
		if ((a = activity_load(path, &ae)) == NULL) {
			fprintf(stderr, "%s: %s\n", names[i],
			    activity_strerror(&ae, why, sizeof(why)));
			CHECK(0);
			continue;
		}
		/* Each file alone, in a runner of its own. */
		snprintf(runner, sizeof(runner), "r%u", (unsigned)i);
		CHECK(store_runner_get(st, runner, 1, &rid) == 0);
		CHECK(import_activity(st, rid, runner, a, &r) == 0);
		if (r.status == IMPORT_REFUSED) {
			/* Only the FR70, whose clock was never set. */
			printf("%-45s refused: %s\n", names[i], r.why);
			CHECK((a->flags & ACTIVITY_F_RELATIVE_TIME) &&
			    strstr(r.why, "clock") != NULL);
			activity_free(a);
			continue;
		}
		CHECK(r.status == IMPORT_ADDED);
		/* a was prepared by the import: its records are what was
		 * stored. */
		standing(a, &s_s, &s_m);
		if (!(a->file.has & ACTIVITY_TOT_DIST) ||
		    !(a->file.has & ACTIVITY_TOT_TIMER)) {
			printf("%-45s %9.0f m %11s %9.0f s   no totals in the "
			    "file\n", names[i], r.sum.distance_m, "",
			    r.sum.moving_s);
		} else if (a->file.timer_s < 120) {
			printf("%-45s %9.0f / %-9.0f %9.0f / %-9.0f shorter "
			    "than 2 min: the fuser's last-sample hold "
			    "dominates, not checked\n", names[i],
			    r.sum.distance_m, a->file.dist_m, r.sum.moving_s,
			    a->file.timer_s);
		} else {
			want_s = a->file.timer_s - s_s;
			want_m = a->file.dist_m - s_m;
			printf("%-45s %9.0f / %-9.0f %9.0f / %-9.0f "
			    "(%+.2f %%, %+.2f %%; raw timer %+.2f %%)\n",
			    names[i], r.sum.distance_m, want_m,
			    r.sum.moving_s, want_s, 100 * (r.sum.distance_m -
			    want_m) / want_m, 100 * (r.sum.moving_s - want_s) /
			    want_s, 100 * (r.sum.moving_s - a->file.timer_s) /
			    a->file.timer_s);
			CHECK_NEAR(r.sum.distance_m, want_m, 0.01 * want_m);
			CHECK_NEAR(r.sum.moving_s, want_s, 0.01 * want_s);
			checked++;
		}
		activity_free(a);
		/* The same file again: the same session. */
		if ((b = activity_load(path, &ae)) != NULL) {
			int64_t id = r.session_id;

			CHECK(import_activity(st, rid, runner, b, &r) == 0);
			CHECK(r.status == IMPORT_SAME_RUN &&
			    r.session_id == id);
			activity_free(b);
		}
		/* Everything into one runner: one session per run. */
		if ((b = activity_load(path, &ae)) != NULL) {
			CHECK(import_activity(st, all, "all", b, &r) == 0);
			activity_free(b);
			if (strncmp(names[i], fr945, strlen(fr945)) == 0) {
				/* FIT, GPX, TCX in name order: one run. */
				if (fit945 == 0) {
					CHECK(r.status == IMPORT_ADDED);
					fit945 = r.session_id;
				} else
					CHECK(r.status == IMPORT_SAME_RUN &&
					    r.session_id == fit945);
			}
			added += r.status == IMPORT_ADDED;
		}
	}
	printf("test_import: %d real files checked against their totals\n",
	    checked);
	CHECK(checked >= 8);
	CHECK(sessions_of(st, "all") == added);
	for (i = 0; i < n; i++)
		free(names[i]);
	store_close(st);
}

int
main(void)
{
	const char	*base = getenv("TMPDIR"), *act;
	char		 p[256];

	log_init("test_import", 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/stride-import.XXXXXX",
	    base != NULL && strlen(base) < 32 ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmpdir);
	snprintf(outpath, sizeof(outpath), "%s/out.txt", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err.txt", tmpdir);

	test_same_run();
	test_usual_cadence();
	test_check();
	test_store_import();
	test_end_and_plan();
	test_cli_folder();
	if ((act = getenv("STRIDE_ACTIVITIES")) == NULL || act[0] == '\0')
		printf("test_import: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else
		test_real(act);

	free(out);
	free(err);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmpdir);
	if (system(p) != 0)
		fprintf(stderr, "test_import: could not remove %s\n", tmpdir);
	return check_done("test_import");
}
