/*
 * test_activity.c - what activity.c owns: format detection by content, the
 * record list (order, merging, the cap), everything activity_finish()
 * derives (distance from positions, speed, gradient, pauses, the summary)
 * on hand-made records with known answers, conversion to protocol samples,
 * loading errors; then every real file of $STRIDE_ACTIVITIES against
 * PROVENANCE.md and against its own totals, and the three formats of one
 * run (#7 FIT, #8 TCX, #9 GPX) against each other.
 *
 * Without STRIDE_ACTIVITIES the real-file part is skipped with a message.
 * Temporary files go to a fresh directory under $TMPDIR (or /tmp) and are
 * removed.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/activity.h"
#include "check.h"

#define T0	1560591743000LL		/* 2019-06-15T09:42:23Z */
#define PI	3.14159265358979323846
#define EARTH_M	6371008.8

/* ---- detection ---- */

static void
test_detect(void)
{
	static const struct {
		const char		*buf;
		size_t			 len;
		enum activity_format	 fmt;
	} tab[] = {
		{ "\x0e\x20\x84\x08\x10\x00\x00\x00.FIT\x00\x00", 14,
		    ACTIVITY_FMT_FIT },
		{ "\x0c\x10\x84\x08\x10\x00\x00\x00.FIT", 12,
		    ACTIVITY_FMT_FIT },
		{ "\x0b\x10\x84\x08\x10\x00\x00\x00.FIT", 12,
		    ACTIVITY_FMT_UNKNOWN },	/* header size 11 */
		{ "\x0e\x20\x84\x08\x10\x00\x00\x00.FIX\x00\x00", 14,
		    ACTIVITY_FMT_UNKNOWN },
		{ "<TrainingCenterDatabase>", 0, ACTIVITY_FMT_TCX },
		{ "\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<!-- a <gpx> comment -->"
		    "\n<TrainingCenterDatabase xmlns=\"x\">", 0,
		    ACTIVITY_FMT_TCX },
		{ "<tcd:TrainingCenterDatabase\n>", 0, ACTIVITY_FMT_TCX },
		{ "  <gpx version=\"1.1\">", 0, ACTIVITY_FMT_GPX },
		{ "<?xml version=\"1.0\"?><?xml-stylesheet href=\"a\"?><g:gpx/>",
		    0, ACTIVITY_FMT_GPX },
		{ "<!DOCTYPE gpx><gpx>", 0, ACTIVITY_FMT_GPX },
		{ "<gpxx>", 0, ACTIVITY_FMT_UNKNOWN },
		{ "<html><gpx>", 0, ACTIVITY_FMT_UNKNOWN },
		{ "<gpx", 0, ACTIVITY_FMT_UNKNOWN },	/* name cut short */
		{ "<?xml version=\"1.0\"", 0, ACTIVITY_FMT_UNKNOWN },
		{ "t_s,cad_spm,spd_mps\n0,170,3\n", 0, ACTIVITY_FMT_UNKNOWN },
		{ "{\"v\":1}", 0, ACTIVITY_FMT_UNKNOWN },
		{ "", 0, ACTIVITY_FMT_UNKNOWN },
	};
	size_t i, len;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		len = tab[i].len != 0 ? tab[i].len : strlen(tab[i].buf);
		CHECK(activity_detect(tab[i].buf, len) == tab[i].fmt);
		if (activity_detect(tab[i].buf, len) != tab[i].fmt)
			fprintf(stderr, "detect #%zu\n", i);
	}
	CHECK(strcmp(activity_format_name(ACTIVITY_FMT_GPX), "gpx") == 0);
	CHECK(strcmp(activity_format_name(ACTIVITY_FMT_COUNT), "unknown") == 0);
	CHECK(strcmp(activity_sport_name(ACTIVITY_SPORT_RUNNING),
	    "running") == 0);
}

/* ---- the record list ---- */

static void
test_push(void)
{
	struct activity		*a = activity_new();
	struct activity_rec	 r;
	struct activity_err	 err;
	size_t			 i;
	int			 rc = 0;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.t_ms = T0;
	r.hr_bpm = 100;
	r.has = ACTIVITY_HAS_HR;
	CHECK(activity_push(a, &r, &err) == 0);
	r.t_ms = T0;			/* same instant: merged */
	r.spd_mps = 3;
	r.has = ACTIVITY_HAS_SPD | ACTIVITY_HAS_GRADE;	/* grade: not ours */
	r.grade_pct = 9;
	CHECK(activity_push(a, &r, &err) == 0);
	r.t_ms = T0 - 1;		/* back in time: dropped */
	CHECK(activity_push(a, &r, &err) == 0);
	CHECK(a->n == 1 && a->dropped == 1);
	CHECK(a->rec[0].has == (ACTIVITY_HAS_HR | ACTIVITY_HAS_SPD));
	CHECK(a->rec[0].hr_bpm == 100 && a->rec[0].spd_mps == 3);

	/* The cap: ACTIVITY_REC_MAX records, then a reason. */
	for (i = 1; i < ACTIVITY_REC_MAX && rc == 0; i++) {
		r.t_ms = T0 + (int64_t)i;
		rc = activity_push(a, &r, &err);
	}
	CHECK(rc == 0 && a->n == ACTIVITY_REC_MAX);
	r.t_ms++;
	CHECK(activity_push(a, &r, &err) == -1);
	CHECK(err.why != NULL && strcmp(err.why, "too many records") == 0);
	CHECK(a->n == ACTIVITY_REC_MAX);
	activity_free(a);
	activity_free(NULL);
}

/* ---- derived values on hand-made records ---- */

/* An activity of n records, 1 s apart from T0, nothing set yet. */
static struct activity *
mk(size_t n)
{
	struct activity		*a = activity_new();
	struct activity_rec	 r;
	struct activity_err	 err;
	size_t			 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		r.t_ms = T0 + (int64_t)i * 1000;
		if (activity_push(a, &r, &err) != 0)
			exit(1);
	}
	return a;
}

/* Points due north along a meridian, 0.001 degree (111.195 m) apart: the
 * derived distance is R * dphi exactly, the derived speed 111.195 m/s
 * would be absurd, so space them 37 s apart (3.005 m/s). */
static void
test_distance_from_positions(void)
{
	struct activity	*a = mk(6);
	const double	 step = EARTH_M * 0.001 * PI / 180;
	size_t		 i;

	for (i = 0; i < a->n; i++) {
		a->rec[i].t_ms = T0 + (int64_t)i * 37000;
		a->rec[i].lat_deg = 45 + 0.001 * (double)i;
		a->rec[i].lon_deg = 7;
		a->rec[i].has = ACTIVITY_HAS_POS;
	}
	a->rec[3].has = 0;		/* no fix: carries the distance */
	activity_finish(a);
	for (i = 0; i < a->n; i++) {
		double want = step * (double)(i == 3 ? 2 : i);

		CHECK(a->rec[i].has & ACTIVITY_HAS_DIST);
		CHECK(a->rec[i].derived & ACTIVITY_HAS_DIST);
		CHECK_NEAR(a->rec[i].dist_m, want, 1e-6);
	}
	CHECK_NEAR(a->sum.dist_m, 5 * step, 1e-6);
	/* Speed: no other record lies within +-5 s of any of these. */
	for (i = 0; i < a->n; i++)
		CHECK(!(a->rec[i].has & ACTIVITY_HAS_SPD));
	/* 37 s is this file's usual interval: no pause. */
	CHECK(a->sum.pauses == 0);
	CHECK_NEAR(a->sum.moving_s, 5 * 37, 1e-9);
	activity_free(a);

	/* Files with a distance of their own keep it. */
	a = mk(2);
	a->rec[0].has = a->rec[1].has = ACTIVITY_HAS_POS | ACTIVITY_HAS_DIST;
	a->rec[1].lat_deg = 1;
	a->rec[1].dist_m = 5;
	activity_finish(a);
	CHECK(a->rec[1].dist_m == 5 &&
	    !(a->rec[1].derived & ACTIVITY_HAS_DIST));
	activity_free(a);
}

static void
test_speed(void)
{
	struct activity	*a = mk(40);
	size_t		 i;

	/* 3 m/s for 20 s, a 30 s stop (pause), then 2 m/s. */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST;
		if (i < 20)
			a->rec[i].dist_m = 3.0 * (double)i;
		else {
			a->rec[i].t_ms += 30000;
			a->rec[i].dist_m = 57 + 2.0 * (double)(i - 20);
		}
	}
	activity_finish(a);
	CHECK(a->rec[20].pause == 1);
	CHECK(a->sum.pauses == 1);
	for (i = 0; i < a->n; i++) {
		CHECK(a->rec[i].derived & ACTIVITY_HAS_SPD);
		/* the window never spans the pause */
		CHECK_NEAR(a->rec[i].spd_mps, i < 20 ? 3.0 : 2.0, 1e-6);
	}
	CHECK_NEAR(a->sum.elapsed_s, 69, 1e-9);
	CHECK_NEAR(a->sum.moving_s, 38, 1e-9);
	activity_free(a);
}

/* Grade: a constant slope is found exactly once the window is covered; a
 * step is spread over the window; quantised altitude is smoothed; steep
 * ground is clamped to the protocol's limit. */
static void
test_grade(void)
{
	struct activity	*a;
	size_t		 i;
	double		 worst;

	a = mk(200);			/* 3 m/s, 5 % */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = 3.0 * (double)i;
		a->rec[i].alt_m = (float)(100 + 0.05 * 3.0 * (double)i);
	}
	activity_finish(a);
	for (i = 0; i < a->n; i++) {
		/* from the first record: 25 m ahead already covers 20 m */
		CHECK(a->rec[i].has & ACTIVITY_HAS_GRADE);
		CHECK_NEAR(a->rec[i].grade_pct, 5.0, 1e-3);
	}
	activity_free(a);

	a = mk(3);			/* under 20 m covered: no grade */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = 9.0 * (double)i;
		a->rec[i].alt_m = (float)i;
	}
	activity_finish(a);
	for (i = 0; i < a->n; i++)
		CHECK(!(a->rec[i].has & ACTIVITY_HAS_GRADE));
	activity_free(a);

	a = mk(100);			/* a 2 m step at 150 m */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = 3.0 * (double)i;
		a->rec[i].alt_m = a->rec[i].dist_m < 150 ? 0 : 2;
	}
	activity_finish(a);
	CHECK_NEAR(a->rec[10].grade_pct, 0, 1e-6);	/* 30 m: far */
	CHECK_NEAR(a->rec[50].grade_pct, 2.0 / 50 * 100, 0.2);	/* on it */
	CHECK_NEAR(a->rec[90].grade_pct, 0, 1e-6);
	for (i = 0; i < a->n; i++)
		CHECK(a->rec[i].grade_pct >= 0 && a->rec[i].grade_pct <= 4.3);
	activity_free(a);

	a = mk(300);			/* 2 % in 0.2 m steps (FIT's unit) */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = 3.0 * (double)i;
		a->rec[i].alt_m = (float)(floor(0.02 * a->rec[i].dist_m / 0.2) *
		    0.2);
	}
	activity_finish(a);
	for (worst = 0, i = 10; i < a->n - 10; i++)
		worst = fmax(worst, fabs(a->rec[i].grade_pct - 2.0));
	CHECK(worst < 0.5);		/* raw 3 m steps: 0 % or 6.7 % */
	activity_free(a);

	a = mk(50);			/* a wall: 100 % */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = (double)i;
		a->rec[i].alt_m = (float)i;
	}
	activity_finish(a);
	CHECK(a->rec[25].grade_pct == (float)STRIDE_GRADE_MAX_PCT);
	activity_free(a);

	a = mk(50);			/* standing still: no distance to
					   divide by */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_DIST | ACTIVITY_HAS_ALT;
		a->rec[i].dist_m = 10;
		a->rec[i].alt_m = (float)(i % 7);
	}
	activity_finish(a);
	for (i = 0; i < a->n; i++)
		CHECK(!(a->rec[i].has & ACTIVITY_HAS_GRADE));
	activity_free(a);
}

/* Pauses: gaps beyond twice the usual interval without progress. */
static void
test_pauses(void)
{
	static const struct {
		int		interval_s;	/* the file's usual gap */
		int		gap_s;		/* one gap of this... */
		double		progress_m;	/* ...covering this */
		int		has_dist;
		int		pause;		/* expected */
	} tab[] = {
		{ 1, 2, 0, 1, 0 },	/* one record missed */
		{ 1, 3, 0, 1, 1 },	/* FR920XT auto-pause, 3 s */
		{ 1, 3, 1, 1, 1 },	/* 0.33 m/s: standing... */
		{ 1, 3, 1.6, 1, 0 },	/* ...0.53 m/s: moving */
		{ 1, 8, 24, 1, 0 },	/* smart recording, running */
		{ 1, 998, 0, 1, 1 },
		{ 1, 400, 30, 1, 1 },	/* walked off while paused */
		{ 1, 60, 0, 0, 1 },	/* no distance: the gap decides */
		{ 5, 8, 0, 1, 0 },	/* FR70, every 5 s: 8 s is normal */
		{ 5, 11, 0, 1, 1 },
		{ 5, 115, 5.1, 1, 1 },	/* the FR70's real pause */
	};
	struct activity	*a;
	size_t		 i, k;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		a = mk(21);
		for (k = 0; k < a->n; k++) {
			a->rec[k].t_ms = T0 + (int64_t)k * tab[i].interval_s *
			    1000;
			a->rec[k].dist_m = 2.0 * (double)k *
			    tab[i].interval_s;
			if (k > 10) {
				a->rec[k].t_ms += (int64_t)(tab[i].gap_s -
				    tab[i].interval_s) * 1000;
				a->rec[k].dist_m += tab[i].progress_m -
				    2.0 * tab[i].interval_s;
			}
			a->rec[k].has = tab[i].has_dist ? ACTIVITY_HAS_DIST :
			    ACTIVITY_HAS_HR;
		}
		activity_finish(a);
		CHECK(a->rec[11].pause == tab[i].pause);
		CHECK(a->sum.pauses == (uint32_t)tab[i].pause);
		CHECK_NEAR(a->sum.moving_s, a->sum.elapsed_s -
		    (tab[i].pause ? tab[i].gap_s : 0), 1e-9);
		if (a->rec[11].pause != tab[i].pause)
			fprintf(stderr, "pause row %zu\n", i);
		activity_free(a);
	}
}

static void
test_summary(void)
{
	struct activity	*a = mk(11);
	size_t		 i;
	/* cadence per record; record 0 ends no interval */
	static const float cad[11] = {
		999, 170, 170, 0, 0, 180, 180, 180, 160, 160, 999
	};
	static const float alt[11] = {
		100, 101, 102, 103.5, 102, 99, 100, 101, 104, 104, 104
	};

	for (i = 0; i < a->n; i++) {
		a->rec[i].has = ACTIVITY_HAS_CAD | ACTIVITY_HAS_ALT;
		a->rec[i].cad_spm = cad[i];
		a->rec[i].alt_m = alt[i];
	}
	a->rec[10].t_ms += 60000;	/* record 10 ends a 61 s pause */
	activity_finish(a);
	CHECK(a->sum.start_ms == T0);
	CHECK(a->sum.end_ms == T0 + 70000);
	CHECK_NEAR(a->sum.elapsed_s, 70, 1e-9);
	CHECK_NEAR(a->sum.moving_s, 9, 1e-9);
	CHECK(a->sum.pauses == 1);
	/* time-weighted: standing counts in one, not in the other; the
	 * cadence ending the pause counts in neither */
	CHECK_NEAR(a->sum.avg_cad_spm, (2 * 170 + 3 * 180 + 2 * 160) / 9.0,
	    1e-4);
	CHECK_NEAR(a->sum.step_cad_spm, (2 * 170 + 3 * 180 + 2 * 160) / 7.0,
	    1e-4);
	/* 3 m hysteresis: 100 -> 103.5 up 3.5, -> 99 down 4.5, -> 104 up 5 */
	CHECK_NEAR(a->sum.ascent_m, 8.5, 1e-4);
	CHECK_NEAR(a->sum.descent_m, 4.5, 1e-4);
	CHECK_NEAR(a->sum.dist_m, 0, 0);

	/* Idempotent: derived fields are cleared and derived again. */
	{
		struct activity_summary s = a->sum;

		activity_finish(a);
		CHECK(s.moving_s == a->sum.moving_s &&
		    s.avg_cad_spm == a->sum.avg_cad_spm &&
		    s.step_cad_spm == a->sum.step_cad_spm &&
		    s.ascent_m == a->sum.ascent_m &&
		    s.pauses == a->sum.pauses);
	}
	activity_free(a);
}

static void
test_sample(void)
{
	struct activity_rec	r;
	struct stride_sample	s;
	const unsigned		all = STRIDE_HAS_CAD | STRIDE_HAS_SPD |
				    STRIDE_HAS_GRADE | STRIDE_HAS_ALT |
				    STRIDE_HAS_DIST;

	memset(&r, 0, sizeof(r));
	r.has = ACTIVITY_HAS_CAD | ACTIVITY_HAS_SPD | ACTIVITY_HAS_GRADE |
	    ACTIVITY_HAS_ALT | ACTIVITY_HAS_DIST | ACTIVITY_HAS_HR;
	r.cad_spm = 172.5f;
	r.spd_mps = 3.2f;
	r.grade_pct = -4.5f;
	r.alt_m = 1650;
	r.dist_m = 12000.5;
	CHECK(activity_sample(&r, T0, all, &s) == 0);
	CHECK(s.t_ms == T0 && s.has == all);
	CHECK(s.cad_spm == 172.5f && s.spd_mps == 3.2f &&
	    s.grade_pct == -4.5f && s.alt_m == 1650 && s.dist_m == 12000.5);

	/* a foot pod wants cadence, speed, distance */
	CHECK(activity_sample(&r, T0, STRIDE_HAS_CAD | STRIDE_HAS_SPD |
	    STRIDE_HAS_DIST, &s) == 0);
	CHECK(s.has == (STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST));
	CHECK(s.grade_pct == 0 && s.alt_m == 0);

	/* out of the protocol's ranges: left out */
	r.spd_mps = 13;
	r.cad_spm = 301;
	r.alt_m = 9001;
	r.dist_m = 1000001;
	CHECK(activity_sample(&r, T0, all, &s) == 0);
	CHECK(s.has == STRIDE_HAS_GRADE);
	r.has = ACTIVITY_HAS_HR;	/* nothing the protocol carries */
	CHECK(activity_sample(&r, T0, all, &s) == -1);
}

/* ---- loading and errors ---- */

static char tmpdir[256];

static const char *
tmpfile_with(const char *name, const void *buf, size_t len)
{
	static char	 path[512];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static int
load_fails(const char *path, const char *want, int errnum)
{
	struct activity_err	 err;
	struct activity		*a = activity_load(path, &err);
	char			 e[256];

	if (a != NULL) {
		activity_free(a);
		return 0;
	}
	activity_strerror(&err, e, sizeof(e));
	if (strstr(e, want) == NULL || err.errnum != errnum) {
		fprintf(stderr, "load %s: \"%s\", wanted \"%s\"\n", path, e,
		    want);
		return 0;
	}
	return 1;
}

static void
test_load(void)
{
	static const char gpx[] = "<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\">"
	    "<time>2019-06-15T09:42:23Z</time></trkpt></trkseg></trk></gpx>";
	struct activity_err	 err;
	struct activity		*a;
	const char		*path;
	char			 e[64], big[512];
	FILE			*f;

	snprintf(big, sizeof(big), "%s/none.fit", tmpdir);
	CHECK(load_fails(big, "cannot open file: ", ENOENT));
	CHECK(load_fails(tmpdir, "not a regular file", 0));
	CHECK(load_fails(tmpfile_with("empty.gpx", "", 0), "empty file", 0));
	CHECK(load_fails(tmpfile_with("run.csv", "t_s,cad_spm\n0,170\n", 18),
	    "not a FIT, TCX or GPX file (at byte 0)", 0));
	CHECK(load_fails(tmpfile_with("none.gpx", "<gpx/>", 6),
	    "no records with a time", 0));
	CHECK(load_fails(tmpfile_with("bad.gpx", "<gpx>\n<trk>", 11),
	    "(line 2)", 0));

	/* One byte over the cap, without writing 64 MiB: a sparse file. */
	snprintf(big, sizeof(big), "%s/big.fit", tmpdir);
	if ((f = fopen(big, "wb")) == NULL ||
	    ftruncate(fileno(f), (off_t)ACTIVITY_FILE_MAX + 1) != 0 ||
	    fclose(f) != 0) {
		perror(big);
		exit(1);
	}
	CHECK(load_fails(big, "file too large", 0));
	unlink(big);
	CHECK(activity_read("", (size_t)ACTIVITY_FILE_MAX + 1,
	    ACTIVITY_FMT_FIT, &err) == NULL);	/* refused before a read */
	CHECK(strcmp(err.why, "file too large") == 0);

	path = tmpfile_with("ok.gpx", gpx, sizeof(gpx) - 1);
	a = activity_load(path, &err);
	CHECK(a != NULL && a->n == 1 && a->fmt == ACTIVITY_FMT_GPX);
	activity_free(a);
	/* Content, not name, decides: a GPX named .fit is still GPX. */
	path = tmpfile_with("really-gpx.fit", gpx, sizeof(gpx) - 1);
	a = activity_load(path, &err);
	CHECK(a != NULL && a->fmt == ACTIVITY_FMT_GPX);
	activity_free(a);

	/* strerror forms, and a tiny buffer. */
	err.why = "x";
	err.off = -1;
	err.line = 0;
	err.errnum = 0;
	CHECK(strcmp(activity_strerror(&err, e, sizeof(e)), "x") == 0);
	err.off = 12;
	CHECK(strcmp(activity_strerror(&err, e, sizeof(e)), "x (at byte 12)")
	    == 0);
	err.line = 3;
	CHECK(strcmp(activity_strerror(&err, e, sizeof(e)), "x (line 3)") == 0);
	CHECK(strcmp(activity_strerror(&err, e, 3), "x ") == 0);
}

/* ---- real files ---- */

enum conv { AVG, STEP };	/* how the device averages cadence */

/*
 * PROVENANCE.md's figures: record count (0: not stated), elapsed (for
 * GPX: first to last time), timer and distance (0: the file has none),
 * median cadence in raw strides/min, altitude range (lo > hi: none), and
 * which of our two averages the device's own average is.
 */
static const struct real {
	const char		*name;
	enum activity_format	 fmt;
	enum activity_sport	 sport;
	size_t			 n;
	double			 elapsed_s, timer_s, dist_m, cad_raw;
	double			 alt_lo, alt_hi;
	enum conv		 conv;
} reals[] = {
	{ "garmin-fenix2_run_9.0km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 2809, 2832, 2832, 9008, 83, 36, 142, AVG },
	{ "stryd_run_6.8km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 3424, 3424, 6754, 75, 91, 109, AVG },
	{ "garmin-fr70_sdm4-footpod_run_10.2km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 755, 3883, 3773, 10249, 89, 1, 0, STEP },
	{ "garmin-fenix5_run_57s.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 21, 57, 57, 158, 89.5, 2, 5, AVG },
	{ "garmin-fr920xt_stryd_run_16.8km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 8629, 6856, 16773, 85, 1635, 1671,
	    AVG },
	{ "polar-m400_run-walk_4.5km.tcx", ACTIVITY_FMT_TCX,
	    ACTIVITY_SPORT_RUNNING, 0, 3904, 3510, 4508, 63, 909, 945, STEP },
	{ "garmin-fr945_stryd_hilly-run_14.0km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 4989, 4989, 14005, 87, 116, 320, AVG },
	/* 4989 trackpoints: two share the lap change's second: 4988 */
	{ "garmin-fr945_stryd_hilly-run_14.0km.tcx", ACTIVITY_FMT_TCX,
	    ACTIVITY_SPORT_RUNNING, 4988, 4989, 4989, 14005, 87, 116, 320,
	    AVG },
	{ "garmin-fr945_stryd_hilly-run_14.0km.gpx", ACTIVITY_FMT_GPX,
	    ACTIVITY_SPORT_RUNNING, 4967, 4989, 0, 0, 87, 116, 320, AVG },
	{ "garmin-fr945_stryd_treadmill_10.6km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 3764, 3098, 10630, 89, 1, 0, AVG },
	{ "suunto9baro_mountain-trail_8.2km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 9602, 9543, 8225, 44, 968, 2782, AVG },
	{ "coros-apex-pro_run_10.7km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 2922, 2922, 10744, 92, 261, 377, AVG },
	{ "coros-apex-pro_hilly-run_21.5km.fit", ACTIVITY_FMT_FIT,
	    ACTIVITY_SPORT_RUNNING, 0, 9699, 9699, 21524, 78, 293, 431, AVG },
	{ "suunto-movescount_hilly-run_12.1km.gpx", ACTIVITY_FMT_GPX,
	    ACTIVITY_SPORT_UNKNOWN, 1592, 6548, 0, 0, 83, 699, 1205, AVG },
};
#define NREAL	(sizeof(reals) / sizeof(reals[0]))

static const char *actdir;

static struct activity *
load(const char *name)
{
	char			 path[1024], e[256];
	struct activity_err	 err;
	struct activity		*a;

	snprintf(path, sizeof(path), "%s/%s", actdir, name);
	if ((a = activity_load(path, &err)) == NULL)
		fprintf(stderr, "%s: %s\n", name,
		    activity_strerror(&err, e, sizeof(e)));
	return a;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Median raw cadence (strides/min) of the records with one above 0. */
static double
median_raw_cad(const struct activity *a)
{
	double	*v, m;
	size_t	 i, k = 0;

	if ((v = malloc(a->n * sizeof(*v) + 1)) == NULL)
		exit(1);
	for (i = 0; i < a->n; i++)
		if ((a->rec[i].has & ACTIVITY_HAS_CAD) && a->rec[i].cad_spm > 0)
			v[k++] = floor(a->rec[i].cad_spm / 2 + 1e-9);
	if (k == 0) {
		free(v);
		return 0;
	}
	qsort(v, k, sizeof(*v), cmp_double);
	m = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	free(v);
	return m;
}

static double
pct(double got, double want)
{
	return want != 0 ? 100 * (got - want) / want : 0;
}

static void
test_real_files(void)
{
	const struct real	*x;
	struct activity		*a;
	double			 lo, hi, cad, tol;
	size_t			 i, k;

	printf("test_activity: %-40s %9s %9s %7s %9s %9s %7s %7s %7s %6s\n",
	    "file", "dist", "file", "err%", "moving", "timer", "err%", "cad",
	    "file", "err%");
	for (i = 0; i < NREAL; i++) {
		x = &reals[i];
		if ((a = load(x->name)) == NULL) {
			CHECK(0 && "a real file failed to load");
			continue;
		}
		CHECK(a->fmt == x->fmt);
		CHECK(a->sport == x->sport);
		if (x->n != 0)
			CHECK(a->n == x->n);
		CHECK(a->dropped == 0);

		/* The file's totals are PROVENANCE.md's, to its rounding. */
		if (x->fmt == ACTIVITY_FMT_FIT) {
			CHECK(a->file.has & ACTIVITY_TOT_ELAPSED);
			CHECK_NEAR(a->file.elapsed_s, x->elapsed_s, 1);
		}
		if (x->timer_s > 0) {
			CHECK(a->file.has & ACTIVITY_TOT_TIMER);
			CHECK_NEAR(a->file.timer_s, x->timer_s, 1);
		}
		if (x->dist_m > 0 && x->fmt != ACTIVITY_FMT_GPX) {
			CHECK(a->file.has & ACTIVITY_TOT_DIST);
			CHECK_NEAR(a->file.dist_m, x->dist_m, 1);
		}
		if (x->fmt == ACTIVITY_FMT_GPX)
			CHECK(a->file.has == 0);

		/* Ours against the file's own, within 1 %. */
		CHECK_NEAR(a->sum.elapsed_s, x->elapsed_s, x->elapsed_s / 100);
		if (a->file.has & ACTIVITY_TOT_ELAPSED)
			CHECK_NEAR(a->sum.elapsed_s, a->file.elapsed_s,
			    a->file.elapsed_s / 100);
		if (a->file.has & ACTIVITY_TOT_TIMER)
			CHECK_NEAR(a->sum.moving_s, a->file.timer_s,
			    a->file.timer_s / 100);
		if (a->file.has & ACTIVITY_TOT_DIST)
			CHECK_NEAR(a->sum.dist_m, a->file.dist_m,
			    a->file.dist_m / 100);
		cad = x->conv == AVG ? a->sum.avg_cad_spm : a->sum.step_cad_spm;
		if (a->file.has & ACTIVITY_TOT_CAD) {
			/* A whole number of strides/min is the device's
			 * rounding (+-1 spm) on top of our 1 %. */
			tol = a->file.avg_cad_spm / 100;
			if (fmod(a->file.avg_cad_spm / 2, 1) == 0)
				tol += 1;
			CHECK_NEAR(cad, a->file.avg_cad_spm, tol);
		}

		/* Records against PROVENANCE.md. */
		CHECK_NEAR(median_raw_cad(a), x->cad_raw, 0.5);
		lo = 1e9;
		hi = -1e9;
		for (k = 0; k < a->n; k++)
			if (a->rec[k].has & ACTIVITY_HAS_ALT) {
				lo = fmin(lo, a->rec[k].alt_m);
				hi = fmax(hi, a->rec[k].alt_m);
			}
		if (x->alt_lo > x->alt_hi)
			CHECK(lo > hi);		/* no altitude at all */
		else {
			CHECK_NEAR(lo, x->alt_lo, 1);
			CHECK_NEAR(hi, x->alt_hi, 1);
		}
		/* Every derived grade stays within the protocol. */
		for (k = 0; k < a->n; k++)
			CHECK(fabsf(a->rec[k].grade_pct) <=
			    STRIDE_GRADE_MAX_PCT);

		printf("test_activity: %-40.40s %9.1f %9.1f %7.2f %9.1f %9.1f "
		    "%7.2f %7.2f %7.2f %6.2f\n", x->name, a->sum.dist_m,
		    a->file.dist_m, pct(a->sum.dist_m, a->file.dist_m),
		    a->sum.moving_s, a->file.timer_s,
		    pct(a->sum.moving_s, a->file.timer_s), cad,
		    a->file.avg_cad_spm, pct(cad, a->file.avg_cad_spm));
		activity_free(a);
	}
}

/* The record of a at time t, or NULL. */
static const struct activity_rec *
at(const struct activity *a, int64_t t)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->rec[mid].t_ms < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->n && a->rec[lo].t_ms == t ? &a->rec[lo] : NULL;
}

/* Running cadence as the XML exports write it: whole strides/min. */
static int
strides(const struct activity_rec *r)
{
	return (int)floor(r->cad_spm / 2 + 1e-9);
}

/*
 * #7 FIT, #8 TCX and #9 GPX are one run. TCX carries the same records;
 * GPX lacks the points without a fix and any distance, so ours comes from
 * its coordinates: it must equal the FIT's own coordinates' haversine, and
 * lies within 1.5 % of the FIT's distance, which is the Stryd foot pod's,
 * not the GPS's.
 */
static void
test_three_formats(void)
{
	struct activity			*fit, *tcx, *gpx;
	const struct activity_rec	*f, *o;
	double				 dgrade = 0, fitdist;
	size_t				 i, both = 0, bad = 0, filled = 0;

	fit = load("garmin-fr945_stryd_hilly-run_14.0km.fit");
	tcx = load("garmin-fr945_stryd_hilly-run_14.0km.tcx");
	gpx = load("garmin-fr945_stryd_hilly-run_14.0km.gpx");
	CHECK(fit != NULL && tcx != NULL && gpx != NULL);
	if (fit == NULL || tcx == NULL || gpx == NULL)
		goto done;

	CHECK(tcx->n == fit->n);
	for (i = 0; i < tcx->n && i < fit->n; i++) {
		f = &fit->rec[i];
		o = &tcx->rec[i];
		/* Garmin Connect fills in a speed where the watch wrote a
		 * record without one (#7 has one such record). */
		if (!(f->has & ACTIVITY_HAS_SPD) && (o->has & ACTIVITY_HAS_SPD))
			filled++;
		else if (fabs(o->spd_mps - f->spd_mps) > 0.001)
			bad++;
		if (o->t_ms != f->t_ms || fabs(o->dist_m - f->dist_m) > 0.01 ||
		    fabs(o->alt_m - f->alt_m) > 0.001 ||
		    o->hr_bpm != f->hr_bpm || (int)o->cad_spm != 2 * strides(f) ||
		    fabs(o->lat_deg - f->lat_deg) > 1e-7 ||
		    fabs(o->lon_deg - f->lon_deg) > 1e-7 ||
		    (o->has | ACTIVITY_HAS_SPD) != (f->has | ACTIVITY_HAS_SPD)) {
			if (bad++ < 5)
				fprintf(stderr, "TCX record %zu differs\n", i);
		}
		if (fabsf(o->grade_pct - f->grade_pct) > 1e-3f)
			bad++;		/* same altitude and distance */
	}
	CHECK(bad == 0);
	CHECK(filled <= 2);

	CHECK(gpx->n == 4967);
	for (bad = 0, i = 0; i < gpx->n; i++) {
		o = &gpx->rec[i];
		if ((f = at(fit, o->t_ms)) == NULL) {
			bad++;
			continue;
		}
		if (fabs(o->alt_m - f->alt_m) > 0.001 ||
		    o->hr_bpm != f->hr_bpm || (int)o->cad_spm != 2 * strides(f) ||
		    fabs(o->lat_deg - f->lat_deg) > 1e-9 ||
		    fabs(o->lon_deg - f->lon_deg) > 1e-9)
			bad++;
		if ((o->has & f->has & ACTIVITY_HAS_GRADE)) {
			dgrade += fabs(o->grade_pct - f->grade_pct);
			both++;
		}
	}
	CHECK(bad == 0);
	CHECK(both > 4900);
	dgrade /= both > 0 ? (double)both : 1;
	CHECK(dgrade < 1.0);	/* mean |difference|, percentage points */

	/* Summaries. */
	CHECK(tcx->sum.start_ms == fit->sum.start_ms &&
	    gpx->sum.start_ms == fit->sum.start_ms);
	CHECK(tcx->sum.end_ms == fit->sum.end_ms &&
	    gpx->sum.end_ms == fit->sum.end_ms);
	CHECK_NEAR(tcx->sum.moving_s, fit->sum.moving_s, 0);
	CHECK_NEAR(gpx->sum.moving_s, fit->sum.moving_s, fit->sum.moving_s /
	    100);
	CHECK_NEAR(tcx->sum.dist_m, fit->sum.dist_m, 0.01);
	CHECK_NEAR(gpx->sum.dist_m, fit->sum.dist_m, fit->sum.dist_m * 0.015);
	CHECK_NEAR(tcx->sum.avg_cad_spm, fit->sum.avg_cad_spm,
	    fit->sum.avg_cad_spm / 100);
	CHECK_NEAR(gpx->sum.avg_cad_spm, fit->sum.avg_cad_spm,
	    fit->sum.avg_cad_spm / 100);
	CHECK_NEAR(gpx->sum.ascent_m, fit->sum.ascent_m, fit->sum.ascent_m *
	    0.02);

	/* The FIT's own coordinates, stripped of its distance and speed,
	 * give the GPX's distance. */
	fitdist = fit->sum.dist_m;
	for (i = 0; i < fit->n; i++)
		fit->rec[i].has &= ~(ACTIVITY_HAS_DIST | ACTIVITY_HAS_SPD);
	activity_finish(fit);
	CHECK_NEAR(fit->sum.dist_m, gpx->sum.dist_m, 0.01);
	printf("test_activity: #7/#8/#9: distance %.1f / %.1f / %.1f m "
	    "(GPS %.1f), moving %.0f / %.0f / %.0f s, cadence %.2f / %.2f / "
	    "%.2f spm, mean |grade FIT - GPX| %.2f\n", fitdist,
	    tcx->sum.dist_m, gpx->sum.dist_m, fit->sum.dist_m,
	    fit->sum.moving_s, tcx->sum.moving_s, gpx->sum.moving_s,
	    fit->sum.avg_cad_spm, tcx->sum.avg_cad_spm, gpx->sum.avg_cad_spm,
	    dgrade);
 done:
	activity_free(fit);
	activity_free(tcx);
	activity_free(gpx);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_activity.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_detect();
	test_push();
	test_distance_from_positions();
	test_speed();
	test_grade();
	test_pauses();
	test_summary();
	test_sample();
	test_load();
	{
		static const char *const names[] = {
			"empty.gpx", "run.csv", "none.gpx", "bad.gpx",
			"ok.gpx", "really-gpx.fit"
		};
		char	path[512];
		size_t	i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}

	if ((actdir = getenv("STRIDE_ACTIVITIES")) == NULL)
		printf("test_activity: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else if (access(actdir, R_OK | X_OK) != 0)
		printf("test_activity: %s absent, real files skipped\n",
		    actdir);
	else {
		test_real_files();
		test_three_formats();
	}
	return check_done("test_activity");
}
