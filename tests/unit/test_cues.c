/*
 * test_cues.c - cues.c: each live cue fires at its boundary and not before,
 * sustained stretches are broken by a good sample, a missing field or a gap,
 * persisting conditions repeat at repeat_ms, distance and time fire once
 * (as stop cues when the plan says so), pain stops a run, and counts are
 * per session.
 *
 * Boundaries are computed from CUE_PARAMS_DEFAULT and the plan in the test,
 * never typed in twice.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "cues.h"

#define T0	1700000000000LL

static const struct cue_params P = CUE_PARAMS_DEFAULT;

static void
test_plan(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 3;
	p->issued_ms = T0 - 3600000;
	p->phase = PLAN_PHASE_NORMAL;
	p->max_distance_m = 5000;
	p->max_duration_s = 1800;
	p->speed_cap_mps = 3.0;
	p->max_grade_pct = 4.0;
	p->cadence_target_spm = 170;
	p->cadence_tol_spm = 3;
	p->cadence_base_spm = 162;
	p->stop = PLAN_STOP_PAIN | PLAN_STOP_DISTANCE | PLAN_STOP_DURATION;
}

/* One sample; returns how many events of kind k it produced (all events
 * are also counted by the module). */
static int
feed(struct cues *c, int64_t t, double cad, double spd, double grade,
    double dist, uint8_t has, enum cue_kind k, struct cue_event *last)
{
	struct stride_sample	s;
	struct cue_event	ev[CUES_EVENTS_MAX];
	size_t			n, i;
	int			hits = 0;

	memset(&s, 0, sizeof(s));
	s.t_ms = t;
	s.cad_spm = (float)cad;
	s.spd_mps = (float)spd;
	s.grade_pct = (float)grade;
	s.dist_m = dist;
	s.has = has;
	n = cues_sample(c, &s, ev, CUES_EVENTS_MAX);
	for (i = 0; i < n; i++) {
		if (ev[i].kind == k) {
			hits++;
			if (last != NULL)
				*last = ev[i];
		}
	}
	return hits;
}

#define CS	(STRIDE_HAS_CAD | STRIDE_HAS_SPD)

/* A sustained condition: 1 Hz samples from T0; the first cue exactly at
 * sustain, then every repeat_ms; the index of each cue is checked. */
static void
check_sustained(enum cue_kind k, double cad, double spd, double grade,
    uint8_t has, int64_t sustain)
{
	struct plan	pl;
	struct cues	c;
	int64_t		t, first = -1, second = -1;

	test_plan(&pl);
	pl.max_duration_s = 0;		/* keep other cues out */
	pl.max_distance_m = 0;
	cues_start(&c, &pl, NULL);
	for (t = 0; t <= sustain + P.repeat_ms; t += 1000) {
		if (feed(&c, T0 + t, cad, spd, grade, 0, has, k, NULL)) {
			if (first < 0)
				first = t;
			else if (second < 0)
				second = t;
		}
	}
	CHECK(first == sustain);
	CHECK(second == sustain + P.repeat_ms);
	CHECK(c.count[k] == 2);
}

static void
test_sustained(void)
{
	check_sustained(CUE_CADENCE_LOW, 166.9, 2.8, 0, CS,
	    P.cadence_sustain_ms);
	check_sustained(CUE_SPEED_HIGH, 180, 3.01, 0, CS, P.speed_sustain_ms);
	check_sustained(CUE_GRADE_HIGH, 180, 2.5, 4.1,
	    CS | STRIDE_HAS_GRADE, P.grade_sustain_ms);
}

/* At the limit is within it: never a cue. */
static void
test_at_limit(void)
{
	struct plan	pl;
	struct cues	c;
	int64_t		t;
	int		hits = 0;

	test_plan(&pl);
	pl.max_duration_s = 0;
	pl.max_distance_m = 0;
	cues_start(&c, &pl, &P);
	for (t = 0; t < 600000; t += 1000)
		hits += feed(&c, T0 + t, 167 /* target - tol */, 3.0, 4.0, 0,
		    CS | STRIDE_HAS_GRADE, CUE_CADENCE_LOW, NULL);
	CHECK(hits == 0);
	CHECK(c.count[CUE_CADENCE_LOW] + c.count[CUE_SPEED_HIGH] +
	    c.count[CUE_GRADE_HIGH] == 0);

	/* A 0% hill cap means no climbing: any uphill cues. */
	pl.max_grade_pct = 0;
	cues_start(&c, &pl, NULL);
	for (t = 0; t <= P.grade_sustain_ms; t += 1000)
		hits += feed(&c, T0 + t, 170, 2.8, 0.5, 0,
		    CS | STRIDE_HAS_GRADE, CUE_GRADE_HIGH, NULL);
	CHECK(hits == 1);
}

/* What breaks a stretch: a good sample, a sample without the field, a gap,
 * standing still. Each restarts the clock from the next bad sample. */
static void
test_broken_stretch(void)
{
	struct plan	pl;
	struct cues	c;
	int64_t		t, sus = P.cadence_sustain_ms, fired = -1;
	int		breaker;

	test_plan(&pl);
	pl.max_duration_s = 0;
	pl.max_distance_m = 0;
	for (breaker = 0; breaker < 4; breaker++) {
		cues_start(&c, &pl, NULL);
		fired = -1;
		for (t = 0; t <= 3 * sus; t += 1000) {
			double	cad = 160, spd = 2.8;
			uint8_t	has = CS;
			int64_t	at = t;

			if (t == sus / 2) {
				switch (breaker) {
				case 0: cad = 171; break;
				case 1: has = STRIDE_HAS_SPD; break;
				case 2: spd = 0.3; break;
				}
			}
			if (breaker == 3 && t >= sus / 2)
				at = t + P.max_gap_ms + 1;	/* a gap */
			if (feed(&c, T0 + at, cad, spd, 0, 0, has,
			    CUE_CADENCE_LOW, NULL) && fired < 0)
				fired = t;
		}
		/* Breaker at sus/2; the stretch restarts at sus/2 + 1 s
		 * (or at sus/2 itself after the gap). */
		CHECK(fired == (breaker == 3 ? sus / 2 + sus :
		    sus / 2 + 1000 + sus));
	}
	/* A late or repeated sample is ignored and breaks nothing. */
	cues_start(&c, &pl, NULL);
	fired = -1;
	for (t = 0; t <= sus; t += 1000) {
		if (feed(&c, T0 + t, 160, 2.8, 0, 0, CS, CUE_CADENCE_LOW,
		    NULL))
			fired = t;
		if (t == sus / 2)
			CHECK(feed(&c, T0 + t - 500, 175, 2.8, 0, 0, CS,
			    CUE_CADENCE_LOW, NULL) == 0);
	}
	CHECK(fired == sus);
	/* No target: no cadence cue however slow the steps. */
	pl.cadence_target_spm = 0;
	cues_start(&c, &pl, NULL);
	for (t = 0; t <= 2 * sus; t += 1000)
		feed(&c, T0 + t, 120, 2.8, 0, 0, CS, CUE_CADENCE_LOW, NULL);
	CHECK(c.count[CUE_CADENCE_LOW] == 0);
}

/* Distance counts from the session's first sample, skips a counter reset
 * and a glitch, fires once at the boundary, and is a stop cue only if the
 * plan says so. */
static void
test_distance(void)
{
	struct plan		pl;
	struct cue_event	ev;
	struct cues		c;
	const double		step = 3.0;	/* m per 1 s sample */
	const int64_t		reset = 600;	/* s: the counter restarts */
	int64_t			i, fired = -1, expect;
	double			dev = 1234.5;
	int			hits = 0, stop;

	for (stop = 1; stop >= 0; stop--) {
		test_plan(&pl);
		pl.max_duration_s = 0;
		if (!stop)
			pl.stop &= ~(uint32_t)PLAN_STOP_DISTANCE;
		cues_start(&c, &pl, NULL);
		dev = 1234.5;
		hits = 0;
		fired = -1;
		for (i = 0; i <= 2000; i++) {
			uint8_t has = CS | STRIDE_HAS_DIST;

			if (i > 0)
				dev = i == reset ? 0 : dev + step;
			if (i == 700)	/* a GPS jump of a kilometre */
				dev += 1000;
			if (feed(&c, T0 + i * 1000, 170, 3.0, 0, dev, has,
			    CUE_DISTANCE, &ev)) {
				hits++;
				fired = i;
			}
		}
		/* Lost: the reset step and the jump's step. */
		expect = (int64_t)ceil(pl.max_distance_m / step) + 2;
		CHECK(hits == 1);
		CHECK(fired == expect);
		CHECK(ev.value >= pl.max_distance_m &&
		    ev.value < pl.max_distance_m + step);
		CHECK(ev.limit == pl.max_distance_m);
		CHECK(ev.stop == stop);
	}
}

static void
test_duration(void)
{
	struct plan		pl;
	struct cues		c;
	struct cue_event	ev;
	int64_t			lim;

	test_plan(&pl);
	lim = (int64_t)pl.max_duration_s * 1000;
	cues_start(&c, &pl, NULL);
	CHECK(feed(&c, T0, 170, 2.8, 0, 0, CS, CUE_DURATION, NULL) == 0);
	CHECK(feed(&c, T0 + lim - 1, 170, 2.8, 0, 0, CS, CUE_DURATION,
	    NULL) == 0);
	CHECK(feed(&c, T0 + lim, 170, 2.8, 0, 0, CS, CUE_DURATION, &ev) == 1);
	CHECK(ev.stop == 1);
	CHECK(feed(&c, T0 + lim + 1000, 170, 2.8, 0, 0, CS, CUE_DURATION,
	    NULL) == 0);
	CHECK(c.count[CUE_DURATION] == 1);
}

static void
test_pain(void)
{
	struct plan		pl;
	struct cues		c;
	struct cue_event	ev[CUES_EVENTS_MAX];

	test_plan(&pl);
	cues_start(&c, &pl, NULL);
	CHECK(cues_symptom(&c, T0, STRIDE_LEVEL_AWARE, ev, 8) == 0);
	CHECK(cues_symptom(&c, T0, STRIDE_LEVEL_MUCH_AWARE, ev, 8) == 0);
	CHECK(cues_symptom(&c, T0 + 5, STRIDE_LEVEL_PAINFUL, ev, 8) == 1);
	CHECK(ev[0].kind == CUE_PAIN_STOP && ev[0].stop == 1 &&
	    ev[0].t_ms == T0 + 5);
	pl.stop |= PLAN_STOP_MUCH_AWARE;
	cues_start(&c, &pl, NULL);
	CHECK(cues_symptom(&c, T0, STRIDE_LEVEL_MUCH_AWARE, ev, 8) == 1);
	CHECK(c.count[CUE_PAIN_STOP] == 1);
	/* No plan at all: pain still stops the run; nothing else cues. */
	cues_start(&c, NULL, NULL);
	CHECK(cues_symptom(&c, T0, STRIDE_LEVEL_PAINFUL, ev, 8) == 1);
	CHECK(feed(&c, T0, 100, 9.0, 20, 0, CS | STRIDE_HAS_GRADE,
	    CUE_SPEED_HIGH, NULL) == 0);
}

static void
test_rest_day_and_counts(void)
{
	struct plan	pl;
	struct cues	c;
	int64_t		t;
	int		k;

	test_plan(&pl);
	pl.rest_until_ms = T0 + 1;
	cues_start(&c, &pl, NULL);
	CHECK(feed(&c, T0, 170, 2.8, 0, 0, CS, CUE_REST_DAY, NULL) == 1);
	CHECK(feed(&c, T0 + 1000, 170, 2.8, 0, 0, CS, CUE_REST_DAY,
	    NULL) == 0);
	pl.rest_until_ms = T0;		/* rest over at the first sample */
	cues_start(&c, &pl, NULL);
	CHECK(feed(&c, T0, 170, 2.8, 0, 0, CS, CUE_REST_DAY, NULL) == 0);

	/* Counts add up per session, and a new session starts at zero. */
	test_plan(&pl);
	cues_start(&c, &pl, NULL);
	for (t = 0; t <= 2 * P.repeat_ms; t += 1000)
		feed(&c, T0 + t, 160, 3.5, 0, 0, CS, CUE_NONE, NULL);
	CHECK(c.count[CUE_CADENCE_LOW] == 1 + (2 * P.repeat_ms -
	    P.cadence_sustain_ms) / P.repeat_ms);
	CHECK(c.count[CUE_SPEED_HIGH] == 1 + (2 * P.repeat_ms -
	    P.speed_sustain_ms) / P.repeat_ms);
	cues_start(&c, &pl, NULL);
	for (k = 0; k < CUE_COUNT; k++)
		CHECK(c.count[k] == 0);
}

static void
test_names_and_text(void)
{
	struct cue_event	e;
	char			buf[128];
	int			k, j;

	for (k = 1; k < CUE_COUNT; k++) {
		CHECK(cue_name((enum cue_kind)k) != NULL);
		for (j = 1; j < k; j++)
			CHECK(strcmp(cue_name((enum cue_kind)k),
			    cue_name((enum cue_kind)j)) != 0);
		memset(&e, 0, sizeof(e));
		e.kind = (enum cue_kind)k;
		e.value = 160;
		e.limit = 170;
		CHECK(cue_format(&e, buf, sizeof(buf)) > 10);
	}
	CHECK(cue_name(CUE_NONE) == NULL && cue_name(CUE_COUNT) == NULL);
	e.kind = CUE_CADENCE_LOW;
	cue_format(&e, buf, sizeof(buf));
	CHECK(strstr(buf, "160") != NULL && strstr(buf, "170") != NULL);
}

int
main(void)
{
	test_sustained();
	test_at_limit();
	test_broken_stretch();
	test_distance();
	test_duration();
	test_pain();
	test_rest_day_and_counts();
	test_names_and_text();
	return check_done("test_cues");
}
