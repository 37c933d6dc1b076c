/*
 * test_fuse.c - fuse.c: synthetic runs of known speed, cadence and grade,
 * recorded by a foot pod, a watch or both, must come back as that run:
 * distance once (never doubled), cadence from the pod, pauses not moving,
 * sparse recordings covered, grade bands and step length right, hostile and
 * disordered input tolerated.
 *
 * Runs are built from a table of segments; the expected values are computed
 * from the same table, never typed in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuse.h"

#define T0	1700000000000LL		/* 2023-11-14, device time */
#define MAXS	8192

/* A stretch of a run. gap: no samples at all (the device paused). */
struct seg {
	double	dur_s;
	double	spd_mps;
	double	cad_spm;
	double	grade_pct;
	int	gap;
};

/* Record segs from t0 every period_ms into out, with fields `has`.
 * dist is the exact integral of speed up to each sample. */
static size_t
gen(struct stride_sample *out, size_t cap, int64_t t0, int64_t period_ms,
    const struct seg *segs, size_t nseg, uint8_t has)
{
	int64_t seg_start = 0, t;
	double dist0 = 0;
	size_t i, n = 0;

	for (i = 0; i < nseg; i++) {
		int64_t len = (int64_t)(segs[i].dur_s * 1000);

		for (t = seg_start; !segs[i].gap && t < seg_start + len;
		    t += period_ms) {
			struct stride_sample *s = &out[n];

			if (n == cap)
				abort();
			memset(s, 0, sizeof(*s));
			s->t_ms = t0 + t;
			s->has = has;
			s->cad_spm = (float)segs[i].cad_spm;
			s->spd_mps = (float)segs[i].spd_mps;
			s->grade_pct = (float)segs[i].grade_pct;
			s->alt_m = 100;
			s->dist_m = dist0 + segs[i].spd_mps *
			    (double)(t - seg_start) / 1000;
			n++;
		}
		if (!segs[i].gap)
			dist0 += segs[i].spd_mps * segs[i].dur_s;
		seg_start += len;
	}
	return n;
}

/* The truth of a run: moving time and distance of the moving segments. */
static void
truth(const struct seg *segs, size_t nseg, double *moving_s, double *dist_m)
{
	size_t i;

	*moving_s = *dist_m = 0;
	for (i = 0; i < nseg; i++) {
		if (segs[i].gap || segs[i].spd_mps < 0.5)
			continue;
		*moving_s += segs[i].dur_s;
		*dist_m += segs[i].dur_s * segs[i].spd_mps;
	}
}

/* What must hold for every summary. */
static void
check_invariants(const struct session_summary *o)
{
	double bs = 0, bm = 0;
	int i;

	for (i = 0; i < FUSE_BANDS; i++) {
		CHECK(o->band_s[i] >= 0 && o->band_m[i] >= 0);
		bs += o->band_s[i];
		bm += o->band_m[i];
	}
	CHECK_NEAR(bs + o->ungraded_s, o->moving_s, 1e-6);
	CHECK(bm <= o->distance_m + 1e-6);
	CHECK(o->end_ms > o->start_ms);
	CHECK(o->end_ms - o->start_ms <= FUSE_MAX_SPAN_MS);
	CHECK(o->moving_s <= (double)(o->end_ms - o->start_ms) / 1000 + 1e-9);
	if (o->moving_s > 0)
		CHECK_NEAR(o->avg_speed_mps, o->distance_m / o->moving_s, 1e-9);
}

static struct stride_sample pod[MAXS], watch[MAXS], other[MAXS];

#define POD_HAS		(STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST)
#define WATCH_HAS	(STRIDE_HAS_SPD | STRIDE_HAS_DIST | STRIDE_HAS_ALT | \
			 STRIDE_HAS_GRADE)

static const struct seg run30[] = { { 1800, 3.0, 170, 0, 0 } };

static void
test_band(void)
{
	static const struct { double g; int band; } t[] = {
		{ -45, 0 }, { -2.01, 0 }, { -2, 1 }, { 0, 1 }, { 1.99, 1 },
		{ 2, 2 }, { 3.99, 2 }, { 4, 3 }, { 7.99, 3 }, { 8, 4 },
		{ 45, 4 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(fuse_band(t[i].g) == t[i].band);
	CHECK(fuse_band(NAN) == 1);
	for (i = 0; i < FUSE_BANDS - 1; i++)
		CHECK(fuse_band(fuse_band_edges_pct[i]) == (int)i + 1);
}

/* One device alone, each kind of recording: distance, time, cadence. */
static void
test_single(void)
{
	static const struct {
		const char	*name;
		enum stride_role role;
		uint8_t		has;
		int64_t		period_ms;
		int		cadence;	/* expects avg cadence */
		int		graded;
	} t[] = {
		{ "footpod 1 Hz", STRIDE_ROLE_FOOTPOD, POD_HAS, 1000, 1, 0 },
		{ "watch 1 Hz", STRIDE_ROLE_WATCH, WATCH_HAS, 1000, 0, 1 },
		{ "watch every 5 s", STRIDE_ROLE_WATCH, WATCH_HAS, 5000, 0, 1 },
		{ "watch dist only", STRIDE_ROLE_WATCH,
		    STRIDE_HAS_DIST | STRIDE_HAS_GRADE, 1000, 0, 1 },
		{ "pod dist only, 2 s", STRIDE_ROLE_FOOTPOD,
		    STRIDE_HAS_DIST | STRIDE_HAS_CAD, 2000, 1, 0 },
		{ "unknown 1 Hz", STRIDE_ROLE_UNKNOWN, POD_HAS, 1000, 1, 0 },
	};
	struct fuse_params p = FUSE_PARAMS_DEFAULT;
	double mv, dist;
	size_t i;

	truth(run30, 1, &mv, &dist);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct session_summary o;
		struct fuse_input in = { t[i].role, pod, 0 };

		in.n = gen(pod, MAXS, T0, t[i].period_ms, run30, 1, t[i].has);
		CHECK(fuse_session(&in, 1, &p, &o) == 0);
		check_invariants(&o);
		printf("%s: %.1f m in %.1f s\n", t[i].name, o.distance_m,
		    o.moving_s);
		CHECK_NEAR(o.distance_m, dist, dist * 0.01);
		CHECK_NEAR(o.moving_s, mv, mv * 0.01);
		CHECK_NEAR(o.avg_speed_mps, dist / mv, 0.03);
		CHECK(o.samples == in.n);
		CHECK(o.devices == 1);
		CHECK(o.start_ms == T0);
		CHECK(o.end_ms >= T0 + (int64_t)(mv * 1000) - t[i].period_ms);
		if (t[i].cadence) {
			CHECK_NEAR(o.avg_cadence_spm, run30[0].cad_spm, 0.01);
			CHECK_NEAR(o.avg_step_m,
			    run30[0].spd_mps * 60 / run30[0].cad_spm, 0.01);
		} else {
			CHECK(o.avg_cadence_spm == 0);
			CHECK(o.avg_step_m == 0);
		}
		if (t[i].graded) {
			CHECK_NEAR(o.band_s[1], o.moving_s, 1e-6);
			CHECK(o.ungraded_s == 0);
		} else
			CHECK_NEAR(o.ungraded_s, o.moving_s, 1e-6);
	}
}

/* Foot pod and watch on the same run, different values, clocks off by a
 * couple of seconds: distance once from the watch's speed, cadence from
 * the pod, in whatever order the devices are given. */
static void
test_both(void)
{
	static const struct seg pod_run[] = { { 1800, 3.1, 172, 0, 0 } };
	static const struct seg watch_run[] = { { 1800, 3.0, 165, 0, 0 } };
	struct fuse_input in[2];
	struct session_summary a, b, solo;
	double mv, dist;
	int64_t off;

	truth(watch_run, 1, &mv, &dist);
	for (off = -2500; off <= 2500; off += 1700) {
		in[0].role = STRIDE_ROLE_FOOTPOD;
		in[0].s = pod;
		in[0].n = gen(pod, MAXS, T0 + off, 1000, pod_run, 1, POD_HAS);
		in[1].role = STRIDE_ROLE_WATCH;
		in[1].s = watch;
		in[1].n = gen(watch, MAXS, T0 + 700, 1000, watch_run, 1,
		    WATCH_HAS | STRIDE_HAS_CAD);
		CHECK(fuse_session(in, 2, NULL, &a) == 0);
		check_invariants(&a);
		CHECK(fuse_session(&in[1], 1, NULL, &solo) == 0);
		CHECK_NEAR(a.distance_m, dist, dist * 0.01);
		CHECK(a.distance_m < solo.distance_m * 1.01);	/* not doubled */
		CHECK_NEAR(a.moving_s, mv, 4);
		CHECK_NEAR(a.avg_speed_mps, watch_run[0].spd_mps, 0.01);
		CHECK_NEAR(a.avg_cadence_spm, pod_run[0].cad_spm, 0.1);
		CHECK(a.devices == 2);
		CHECK(a.samples == in[0].n + in[1].n);
		CHECK(a.start_ms == T0 + (off < 700 ? off : 700));
		/* Only the edges the watch does not cover lack grade. */
		CHECK(a.ungraded_s <= (double)llabs(off - 700) / 1000 + 1);
		/* Order of the devices does not matter. */
		in[0].role = STRIDE_ROLE_WATCH;
		in[0].s = watch;
		in[0].n = in[1].n;
		in[1].role = STRIDE_ROLE_FOOTPOD;
		in[1].s = pod;
		in[1].n = gen(pod, MAXS, T0 + off, 1000, pod_run, 1, POD_HAS);
		CHECK(fuse_session(in, 2, NULL, &b) == 0);
		CHECK_NEAR(b.distance_m, a.distance_m, 1e-6);
		CHECK_NEAR(b.avg_cadence_spm, a.avg_cadence_spm, 1e-6);
		CHECK_NEAR(b.moving_s, a.moving_s, 1e-9);
	}
}

/* Which role wins each field when two devices cover the same seconds. */
static void
test_roles(void)
{
	static const struct {
		enum stride_role ra;
		double		cad_a, spd_a;
		enum stride_role rb;	/* COUNT: no second device */
		double		cad_b, spd_b;
		double		want_cad, want_spd;
	} t[] = {
		{ STRIDE_ROLE_FOOTPOD, 170, 3.1, STRIDE_ROLE_WATCH, 160, 3.0,
		    170, 3.0 },
		{ STRIDE_ROLE_UNKNOWN, 150, 2.9, STRIDE_ROLE_FOOTPOD, 170, 3.1,
		    170, 3.1 },
		{ STRIDE_ROLE_UNKNOWN, 150, 2.9, STRIDE_ROLE_WATCH, 160, 3.0,
		    160, 3.0 },
		{ STRIDE_ROLE_UNKNOWN, 150, 2.9, STRIDE_ROLE_COUNT, 0, 0,
		    150, 2.9 },
		/* Equal rank: averaged. */
		{ STRIDE_ROLE_WATCH, 160, 3.0, STRIDE_ROLE_WATCH, 164, 3.2,
		    162, 3.1 },
		/* A role outside the enum is unknown: the pod still wins. */
		{ (enum stride_role)77, 150, 2.9, STRIDE_ROLE_FOOTPOD, 170, 3.1,
		    170, 3.1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seg sa = { 600, t[i].spd_a, t[i].cad_a, 0, 0 };
		struct seg sb = { 600, t[i].spd_b, t[i].cad_b, 0, 0 };
		uint8_t has = STRIDE_HAS_CAD | STRIDE_HAS_SPD;
		struct fuse_input in[2] = {
			{ t[i].ra, pod, gen(pod, MAXS, T0, 1000, &sa, 1, has) },
			{ t[i].rb, watch, gen(watch, MAXS, T0, 1000, &sb, 1,
			    has) },
		};
		size_t ndev = t[i].rb == STRIDE_ROLE_COUNT ? 1 : 2;
		struct session_summary o;

		CHECK(fuse_session(in, ndev, NULL, &o) == 0);
		check_invariants(&o);
		CHECK_NEAR(o.avg_cadence_spm, t[i].want_cad, 1e-3);
		CHECK_NEAR(o.avg_speed_mps, t[i].want_spd, 1e-3);
		CHECK_NEAR(o.distance_m, t[i].want_spd * 600, 0.5);
		CHECK(o.devices == ndev);
	}
}

/* Pauses: a gap longer than max_hold is not moving, one of max_hold is
 * held; standing still with samples is not moving either. */
static void
test_pause(void)
{
	static const struct {
		double	gap_s;		/* device silent this long after run 1 */
		double	stand_s;	/* then samples at 0 m/s this long */
		double	want_extra_s;	/* moving beyond the 2 x 600 s run */
	} t[] = {
		{ 1, 0, 0 },		/* no pause: samples back to back */
		{ 10, 0, 9 },		/* exactly max_hold: held */
		{ 11, 0, 0 },		/* just over: a pause */
		{ 180, 0, 0 },
		{ 1, 180, 0 },		/* standing, still sending */
		{ 600, 120, 0 },
	};
	struct fuse_params p = FUSE_PARAMS_DEFAULT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* Run 1's last sample is at 599 s; the next comes at
		 * 599 + gap_s. A gap of 1 s is plain 1 Hz sampling. */
		struct seg segs[] = {
			{ 600, 3.0, 170, 0, 0 },
			{ t[i].gap_s - 1, 0, 0, 0, 1 },
			{ t[i].stand_s, 0, 0, 0, 0 },
			{ 600, 3.0, 170, 0, 0 },
		};
		struct fuse_input in = { STRIDE_ROLE_FOOTPOD, pod, 0 };
		struct session_summary o;
		double mv, dist;

		in.n = gen(pod, MAXS, T0, 1000, segs, 4, POD_HAS);
		truth(segs, 4, &mv, &dist);
		CHECK(fuse_session(&in, 1, &p, &o) == 0);
		check_invariants(&o);
		CHECK_NEAR(o.moving_s, mv + t[i].want_extra_s, 1e-6);
		CHECK_NEAR(o.distance_m, dist + 3.0 * t[i].want_extra_s, 1e-3);
		CHECK_NEAR(o.avg_cadence_spm, 170, 1e-3);
	}
}

/* Recordings sparser than max_hold: each sample holds max_hold only. */
static void
test_sparse(void)
{
	struct fuse_params p = { 10000, 0.5 };
	struct fuse_input in = { STRIDE_ROLE_WATCH, watch, 0 };
	struct session_summary o;
	int64_t period;

	for (period = 2000; period <= 14000; period += 4000) {
		int64_t held = period < p.max_hold_ms ? period : p.max_hold_ms;
		double frac = (double)held / (double)period;

		in.n = gen(watch, MAXS, T0, period, run30, 1, WATCH_HAS);
		CHECK(fuse_session(&in, 1, &p, &o) == 0);
		check_invariants(&o);
		CHECK_NEAR(o.moving_s, (double)in.n * (double)held / 1000,
		    1e-6);
		CHECK_NEAR(o.distance_m, 3.0 * 1800 * frac, 3.0 * 1800 * 0.01);
	}
}

/* A known hill profile: time and distance per grade band. */
static void
test_grade_bands(void)
{
	static const struct { struct seg s; int band; } prof[] = {
		{ { 600, 3.0, 172, 0, 0 }, 1 },
		{ { 300, 2.5, 176, 5, 0 }, 3 },
		{ { 300, 3.5, 168, -6, 0 }, 0 },
		{ { 120, 2.0, 180, 10, 0 }, 4 },
		{ { 60, 2.8, 170, 3, 0 }, 2 },
	};
	struct seg segs[5];
	double want_s[FUSE_BANDS] = { 0 }, want_m[FUSE_BANDS] = { 0 };
	double steps = 0, dist = 0;
	struct fuse_input in[2];
	struct session_summary o;
	size_t i;

	for (i = 0; i < 5; i++) {
		segs[i] = prof[i].s;
		want_s[prof[i].band] += segs[i].dur_s;
		want_m[prof[i].band] += segs[i].dur_s * segs[i].spd_mps;
		steps += segs[i].dur_s * segs[i].cad_spm / 60;
		dist += segs[i].dur_s * segs[i].spd_mps;
	}
	in[0].role = STRIDE_ROLE_WATCH;
	in[0].s = watch;
	in[0].n = gen(watch, MAXS, T0, 1000, segs, 5, WATCH_HAS);
	in[1].role = STRIDE_ROLE_FOOTPOD;
	in[1].s = pod;
	in[1].n = gen(pod, MAXS, T0, 1000, segs, 5, POD_HAS);
	CHECK(fuse_session(in, 2, NULL, &o) == 0);
	check_invariants(&o);
	for (i = 0; i < FUSE_BANDS; i++) {
		CHECK_NEAR(o.band_s[i], want_s[i], 1e-6);
		CHECK_NEAR(o.band_m[i], want_m[i], 1e-3);
	}
	CHECK(o.ungraded_s == 0);
	CHECK_NEAR(o.distance_m, dist, 1e-3);
	CHECK_NEAR(o.avg_step_m, dist / steps, 1e-4);
}

/* Step length is speed * 60 / cadence. */
static void
test_step_length(void)
{
	static const struct { double spd, cad; } t[] = {
		{ 2.2, 158 }, { 3.0, 170 }, { 4.0, 182 }, { 5.5, 196 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seg s = { 900, t[i].spd, t[i].cad, 0, 0 };
		struct fuse_input in = { STRIDE_ROLE_FOOTPOD, pod,
		    gen(pod, MAXS, T0, 1000, &s, 1, POD_HAS) };
		struct session_summary o;

		CHECK(fuse_session(&in, 1, NULL, &o) == 0);
		CHECK_NEAR(o.avg_step_m, t[i].spd * 60 / t[i].cad, 1e-4);
	}
}

/* A pod reading 0 spm while the runner moves has dropped out: those
 * seconds count for neither cadence nor step length. */
static void
test_cadence_dropout(void)
{
	static const struct seg segs[] = {
		{ 300, 3.0, 170, 0, 0 },
		{ 60, 3.0, 0, 0, 0 },
		{ 300, 3.0, 170, 0, 0 },
	};
	struct fuse_input in = { STRIDE_ROLE_FOOTPOD, pod,
	    gen(pod, MAXS, T0, 1000, segs, 3, POD_HAS) };
	struct session_summary o;

	CHECK(fuse_session(&in, 1, NULL, &o) == 0);
	CHECK_NEAR(o.moving_s, 660, 1e-6);
	CHECK_NEAR(o.avg_cadence_spm, 170, 1e-3);
	CHECK_NEAR(o.avg_step_m, 3.0 * 60 / 170, 1e-4);
}

/* Threshold: moving at exactly moving_mps, not just below; cadence
 * alone never invents speed. */
static void
test_moving_threshold(void)
{
	static const struct { float spd; uint8_t has; int moving; } t[] = {
		{ 0.5f, POD_HAS, 1 },
		{ 0.49f, POD_HAS, 0 },
		{ 0.0f, POD_HAS, 0 },
		{ 3.0f, STRIDE_HAS_CAD, 0 },	/* 170 spm, no speed */
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seg s = { 300, t[i].spd, 170, 0, 0 };
		struct fuse_input in = { STRIDE_ROLE_FOOTPOD, pod,
		    gen(pod, MAXS, T0, 1000, &s, 1, t[i].has) };
		struct session_summary o;

		CHECK(fuse_session(&in, 1, NULL, &o) == 0);
		check_invariants(&o);
		CHECK_NEAR(o.moving_s, t[i].moving ? 300 : 0, 1e-6);
		CHECK(t[i].moving || o.distance_m == 0);
		CHECK(t[i].moving || o.avg_cadence_spm == 0);
		CHECK(o.samples == 300);
	}
}

/* Nothing to fuse: -1 and a zeroed summary. */
static void
test_empty(void)
{
	struct fuse_input in = { STRIDE_ROLE_WATCH, watch, 0 };
	struct session_summary o, zero;
	size_t i;

	memset(&zero, 0, sizeof(zero));
	memset(&o, 0xa5, sizeof(o));
	CHECK(fuse_session(NULL, 0, NULL, &o) == -1);
	CHECK(memcmp(&o, &zero, sizeof(o)) == 0);
	memset(&o, 0xa5, sizeof(o));
	CHECK(fuse_session(&in, 1, NULL, &o) == -1);
	CHECK(memcmp(&o, &zero, sizeof(o)) == 0);
	in.s = NULL;
	in.n = 5;
	CHECK(fuse_session(&in, 1, NULL, &o) == -1);
	/* Times outside the protocol's range are no samples. */
	in.s = watch;
	in.n = gen(watch, MAXS, T0, 1000, run30, 1, WATCH_HAS);
	for (i = 0; i < in.n; i++)
		watch[i].t_ms = i % 2 ? STRIDE_T_MAX_MS + 1 + (int64_t)i :
		    -(int64_t)i;
	memset(&o, 0xa5, sizeof(o));
	CHECK(fuse_session(&in, 1, NULL, &o) == -1);
	CHECK(memcmp(&o, &zero, sizeof(o)) == 0);
}

/* Duplicates and disorder within a device are skipped, not fatal. */
static void
test_disorder(void)
{
	struct fuse_input in = { STRIDE_ROLE_FOOTPOD, other, 0 };
	struct session_summary o, clean;
	size_t n, i, m = 0, swaps = 0;

	n = gen(pod, MAXS, T0, 1000, run30, 1, POD_HAS);
	for (i = 0; i < n; i++) {
		other[m++] = pod[i];
		if (i % 7 == 0)
			other[m++] = pod[i];		/* duplicate */
	}
	for (i = 10; i + 1 < m; i += 50) {
		struct stride_sample tmp = other[i];

		/* Next to a duplicate a swap may lose nothing: skip those. */
		if (other[i].t_ms == other[i + 1].t_ms ||
		    other[i - 1].t_ms == other[i].t_ms)
			continue;
		other[i] = other[i + 1];
		other[i + 1] = tmp;			/* swapped pair */
		swaps++;
	}
	in.n = m;
	CHECK(swaps > 10);
	CHECK(fuse_session(&in, 1, NULL, &o) == 0);
	check_invariants(&o);
	in.s = pod;
	in.n = n;
	CHECK(fuse_session(&in, 1, NULL, &clean) == 0);
	/* Each swap loses the earlier sample of the pair; its neighbour's
	 * span covers the second. */
	CHECK(o.samples == n - swaps);
	CHECK_NEAR(o.distance_m, clean.distance_m, clean.distance_m * 0.01);
	CHECK_NEAR(o.moving_s, clean.moving_s, 1e-6);
}

/* Max speed ignores a spike of one or two samples, keeps a real surge;
 * a GPS jump in distance alone is no speed at all. */
static void
test_max_speed(void)
{
	static const struct {
		int	spike_len;	/* samples at 11 m/s */
		int	surge_len;	/* samples at 5 m/s */
		double	want_max;
	} t[] = {
		{ 0, 0, 3.0 },
		{ 1, 0, 3.0 },
		{ 2, 0, 3.0 },
		{ 0, 20, 5.0 },
		{ 1, 20, 5.0 },
	};
	size_t i, n;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fuse_input in = { STRIDE_ROLE_WATCH, watch, 0 };
		struct session_summary o;

		n = gen(watch, MAXS, T0, 1000, run30, 1, STRIDE_HAS_SPD);
		for (k = 0; k < t[i].spike_len; k++)
			watch[500 + k].spd_mps = 11.0f;
		for (k = 0; k < t[i].surge_len; k++)
			watch[900 + k].spd_mps = 5.0f;
		in.n = n;
		CHECK(fuse_session(&in, 1, NULL, &o) == 0);
		CHECK_NEAR(o.max_speed_mps, t[i].want_max, 1e-4);
	}

	/* Distance only, with a 500 m jump between two samples. */
	{
		struct fuse_input in = { STRIDE_ROLE_WATCH, watch, 0 };
		struct session_summary o;

		n = gen(watch, MAXS, T0, 1000, run30, 1, STRIDE_HAS_DIST);
		for (i = 700; i < n; i++)
			watch[i].dist_m += 500;
		in.n = n;
		CHECK(fuse_session(&in, 1, NULL, &o) == 0);
		CHECK_NEAR(o.distance_m, 3.0 * 1800, 3.0 * 1800 * 0.01);
		CHECK(o.max_speed_mps < 3.5);
	}
}

/* Hostile values: fields out of range are ignored, a clock spanning days
 * is cut at FUSE_MAX_SPAN_MS and nothing past it counts. */
static void
test_hostile(void)
{
	static const struct seg minute[] = { { 60, 3.0, 170, 0, 0 } };
	struct fuse_input in = { STRIDE_ROLE_WATCH, watch, 0 };
	struct fuse_params wild = { INT64_MAX, NAN };
	struct session_summary o;
	size_t n, m;

	n = gen(watch, MAXS, T0, 1000, minute, 1, WATCH_HAS | STRIDE_HAS_CAD);
	m = gen(watch + n, MAXS - n, T0 + 25 * 3600 * 1000LL, 1000, minute, 1,
	    WATCH_HAS | STRIDE_HAS_CAD);
	in.n = n + m;
	CHECK(fuse_session(&in, 1, NULL, &o) == 0);
	check_invariants(&o);
	CHECK(o.samples == n);
	CHECK(o.end_ms == o.start_ms + FUSE_MAX_SPAN_MS);
	CHECK_NEAR(o.moving_s, 60, 1e-6);
	CHECK_NEAR(o.distance_m, 180, 1e-3);

	/* Bad fields in the first minute: ignored, field by field. A bad
	 * speed falls back on distance deltas, except where dist is gone. */
	watch[5].spd_mps = NAN;
	watch[5].has &= (uint8_t)~STRIDE_HAS_DIST;
	watch[6].spd_mps = 1e9f;
	watch[7].cad_spm = -5;
	watch[8].grade_pct = 1000;
	watch[9].spd_mps = -1;
	watch[10].dist_m = INFINITY;
	in.n = n;
	CHECK(fuse_session(&in, 1, NULL, &o) == 0);
	check_invariants(&o);
	CHECK_NEAR(o.moving_s, 60 - 1, 1e-6);	/* only 5 lacks speed */
	CHECK_NEAR(o.distance_m, 3.0 * 59, 1e-3);
	CHECK(o.max_speed_mps < 3.01);
	CHECK_NEAR(o.ungraded_s, 1, 1e-6);	/* sample 8 */

	/* Wild parameters are clamped, not trusted. */
	CHECK(fuse_session(&in, 1, &wild, &o) == 0);
	check_invariants(&o);
}

int
main(void)
{
	test_band();
	test_single();
	test_both();
	test_roles();
	test_pause();
	test_sparse();
	test_grade_bands();
	test_step_length();
	test_cadence_dropout();
	test_moving_threshold();
	test_empty();
	test_disorder();
	test_max_speed();
	test_hostile();
	return check_done("test_fuse");
}
