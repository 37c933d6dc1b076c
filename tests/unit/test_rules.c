/*
 * test_rules.c - rules.c: for every rule, histories that must lead to each
 * direction (easier, hold, progress, rest, graded return) and the
 * boundaries between them; a property test over generated histories that
 * no plan after a flare raises any load element; a simulation that the
 * cadence target never passes +10% of its base nor steps faster than
 * cadence_hold_days; determinism and order independence.
 *
 * A history is eight weeks of a runner who runs Monday, Wednesday and
 * Friday (so every 7-day window holds three runs) and reports the next
 * morning; each row changes one thing. Expected numbers are computed from
 * the settings and the history, never typed in.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rules.h"

#define DAY	RULES_DAY_MS
#define HOUR	3600000LL
#define T0	1700006400000LL		/* a Monday, 00:00 UTC */
#define HMAX	400
#define YMAX	800
#define WEEKS	8

static const struct rules_settings S = RULES_SETTINGS_DEFAULT;
static const struct rules_settings *SP = &S;	/* what plan_for uses */

struct hist {
	struct session_summary	ss[HMAX];
	size_t			n;
	struct rules_symptom	sy[YMAX];
	size_t			ny;
	struct plan		cur;
	int			no_cur;
	struct rules_profile	prof;
	int64_t			now;
};

/* ---- building histories ---- */

static void
run_at(struct hist *h, int64_t start, double dist, double spd, double cad,
    double hill)
{
	struct session_summary *s = &h->ss[h->n++];

	if (h->n > HMAX)
		abort();
	memset(s, 0, sizeof(*s));
	s->start_ms = start;
	s->moving_s = dist / spd;
	s->end_ms = start + (int64_t)(s->moving_s * 1000);
	s->distance_m = dist;
	s->avg_speed_mps = spd;
	s->max_speed_mps = spd * 1.2;
	s->avg_cadence_spm = cad;
	s->avg_step_m = cad > 0 ? spd * 60 / cad : 0;
	s->band_m[3] = dist * hill;
	s->band_m[1] = dist - s->band_m[3];
	s->band_s[3] = s->moving_s * hill;
	s->band_s[1] = s->moving_s - s->band_s[3];
	s->samples = 1000;
	s->devices = 1;
}

static void
report(struct hist *h, int64_t t, enum stride_when w, enum stride_level l,
    int score)
{
	struct rules_symptom *y = &h->sy[h->ny++];

	if (h->ny > YMAX)
		abort();
	y->t_ms = t;
	y->when = w;
	y->level = l;
	y->score = score;
}

static struct session_summary *
last_run(struct hist *h)
{
	return &h->ss[h->n - 1];
}

/* The plan the devices have: made when the last run ended, its limits at
 * that run (so it "reached the plan"), last changed ten days ago. */
static void
recur(struct hist *h)
{
	const struct session_summary *l = last_run(h);

	memset(&h->cur, 0, sizeof(h->cur));
	h->cur.version = 10;
	h->cur.issued_ms = l->end_ms + 60000;
	h->cur.phase = PLAN_PHASE_NORMAL;
	h->cur.phase_since_ms = T0;
	h->cur.max_distance_m = (uint32_t)floor(l->distance_m);
	h->cur.max_duration_s = (uint32_t)ceil(l->moving_s) + 60;
	h->cur.speed_cap_mps = 3.1;
	h->cur.max_grade_pct = 4.0;
	h->cur.rest_days = 1;
	h->cur.rest_until_ms = l->end_ms + DAY;
	h->cur.load_since_ms = h->now - 10 * DAY;
	h->cur.stop = PLAN_STOP_PAIN | PLAN_STOP_DISTANCE | PLAN_STOP_DURATION;
	strcpy(h->cur.text, "x");
	h->cur.nreasons = 1;
	h->cur.reasons[0].code = PLAN_R_NO_REPORT;
	strcpy(h->cur.reasons[0].text, "x");
}

#define RUN_DAY(d)	((d) % 7 == 0 || (d) % 7 == 2 || (d) % 7 == 4)
#define LAST_DAY	(7 * (WEEKS - 1) + 4)	/* Friday of the last week */
#define NOW		(T0 + (LAST_DAY + 1) * DAY + 9 * HOUR)
#define REPORT_T	(T0 + (LAST_DAY + 1) * DAY + 8 * HOUR)

/*
 * Eight weeks: each week's runs growth x the last week's, 2.8 m/s, 168
 * steps/min, flat, a next-day report of `level`/`score` after every run
 * but the last (the rows decide that one).
 */
static void
build(struct hist *h, double growth, enum stride_level level, int score)
{
	int d;

	memset(h, 0, sizeof(*h));
	h->now = NOW;
	h->prof.usual_level = STRIDE_LEVEL_NONE;
	h->prof.usual_score = -1;
	for (d = 0; d <= LAST_DAY; d++) {
		if (!RUN_DAY(d))
			continue;
		run_at(h, T0 + d * DAY + 7 * HOUR, 5000 * pow(growth, d / 7),
		    2.8, 168, 0);
		if (d != LAST_DAY)
			report(h, T0 + (d + 1) * DAY + 8 * HOUR,
			    STRIDE_WHEN_NEXT_DAY, level, score);
	}
	recur(h);
}

static int
plan_for(struct hist *h, struct plan *out)
{
	struct rules_input in;

	memset(&in, 0, sizeof(in));
	in.sessions = h->ss;
	in.nsessions = h->n;
	in.symptoms = h->sy;
	in.nsymptoms = h->ny;
	in.current = h->no_cur ? NULL : &h->cur;
	in.profile = h->prof;
	return rules_plan(&in, SP, h->now, out);
}

static int
has_reason(const struct plan *p, enum plan_reason r)
{
	uint32_t i;

	for (i = 0; i < p->nreasons; i++) {
		if (p->reasons[i].code == r)
			return 1;
	}
	return 0;
}

static int
same_limits(const struct plan *a, const struct plan *b)
{
	return a->max_distance_m == b->max_distance_m &&
	    a->max_duration_s == b->max_duration_s &&
	    llround(a->speed_cap_mps * 100) ==
	    llround(b->speed_cap_mps * 100) &&
	    llround(a->max_grade_pct * 10) == llround(b->max_grade_pct * 10) &&
	    a->cadence_target_spm == b->cadence_target_spm;
}

static double
r2(double x)
{
	return round(x * 100) / 100;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median distance of the runs in the baseline window. */
static double
usual_dist(const struct hist *h)
{
	double	d[HMAX];
	size_t	i, k = 0;

	for (i = 0; i < h->n; i++) {
		if (h->now - h->ss[i].start_ms < S.baseline_days * DAY)
			d[k++] = h->ss[i].distance_m;
	}
	if (k == 0)
		return 0;
	qsort(d, k, sizeof(d[0]), cmp_d);
	return k % 2 ? d[k / 2] : (d[k / 2 - 1] + d[k / 2]) / 2;
}

/* ---- the table ---- */

struct row {
	const char		*name;
	double			 growth;	/* of the built history */
	enum stride_level	 level;		/* of its reports */
	int			 score;
	void			(*setup)(struct hist *);
	enum rules_direction	 dir;
	enum plan_reason	 first;
	void			(*check)(const struct hist *,
				    const struct plan *);
};

/* The usual next-day report after the last run. */
static void
rep_usual(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, 3);
}

static void
ck_progress(const struct hist *h, const struct plan *p)
{
	CHECK(p->max_distance_m ==
	    (uint32_t)lround(h->cur.max_distance_m * (1 + S.progress_pct)));
	CHECK(p->max_duration_s ==
	    (uint32_t)lround(h->cur.max_duration_s * (1 + S.progress_pct)));
	CHECK_NEAR(p->speed_cap_mps, h->cur.speed_cap_mps + S.speed_step_mps,
	    1e-9);
	CHECK_NEAR(p->max_grade_pct, h->cur.max_grade_pct + S.grade_step_pct,
	    1e-9);
	CHECK(p->load_since_ms == h->now);
	CHECK(p->rest_until_ms == h->ss[h->n - 1].end_ms + S.rest_days * DAY);
	CHECK(p->stop == (PLAN_STOP_PAIN | PLAN_STOP_DISTANCE |
	    PLAN_STOP_DURATION));
}

static void
ck_hold(const struct hist *h, const struct plan *p)
{
	CHECK(same_limits(p, &h->cur));
	CHECK(p->load_since_ms == h->cur.load_since_ms);
	CHECK(!(p->stop & PLAN_STOP_MUCH_AWARE));
}

static void
ck_easier(const struct hist *h, const struct plan *p)
{
	const struct session_summary *l = &h->ss[h->n - 1];
	double ref = floor(l->distance_m + 0.5);

	CHECK(p->max_distance_m == (uint32_t)fmin(h->cur.max_distance_m,
	    fmax(S.min_distance_m, lround(ref * S.flare_factor))));
	CHECK(p->max_distance_m < h->cur.max_distance_m);
	CHECK(p->max_duration_s < h->cur.max_duration_s);
	CHECK(p->speed_cap_mps <= h->cur.speed_cap_mps);
	CHECK(p->max_grade_pct <= h->cur.max_grade_pct);
	CHECK(p->rest_days == (uint32_t)S.flare_rest_days);
	CHECK(p->rest_until_ms == l->end_ms + S.flare_rest_days * DAY);
	CHECK(p->stop & PLAN_STOP_MUCH_AWARE);
	CHECK(p->load_since_ms == h->now);
	/* Neither fast nor hilly: those elements untouched. */
	CHECK(!has_reason(p, PLAN_R_SPEED_CAPPED) ||
	    p->speed_cap_mps < h->cur.speed_cap_mps);
}

static void
ck_easier_plain(const struct hist *h, const struct plan *p)
{
	ck_easier(h, p);
	CHECK(!has_reason(p, PLAN_R_SPEED_CAPPED));
	CHECK(!has_reason(p, PLAN_R_HILLS_CAPPED));
	CHECK(p->speed_cap_mps == h->cur.speed_cap_mps);
	CHECK(p->max_grade_pct == h->cur.max_grade_pct);
}

/* Symptom rows. */
static void
su_rise_word(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_AWARE, 3);
}

static void
su_rise_score(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL,
	    3 + (int)S.flare_score_rise - 1);
}

static void
su_flare_word(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_MUCH_AWARE, -1);
}

static void
su_flare_score(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL,
	    3 + (int)S.flare_score_rise);
}

static void
su_aware(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_AWARE, -1);
}

static void
su_pain_next(struct hist *h)
{
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_PAINFUL, -1);
}

static void
su_pain_during(struct hist *h)
{
	report(h, last_run(h)->start_ms + 600000, STRIDE_WHEN_DURING,
	    STRIDE_LEVEL_PAINFUL, -1);
}

static void
su_aware_during(struct hist *h)
{
	/* A slight niggle during a run is fine and is not the next-day
	 * report the plan waits for. */
	report(h, last_run(h)->start_ms + 600000, STRIDE_WHEN_DURING,
	    STRIDE_LEVEL_AWARE, 4);
}

static void
su_none(struct hist *h)
{
	(void)h;
}

static void
su_profile_aware(struct hist *h)
{
	/* No reports before: the profile's usual word is the baseline. */
	h->ny = 0;
	h->prof.usual_level = STRIDE_LEVEL_AWARE;
	su_aware(h);
}

static void
su_profile_none(struct hist *h)
{
	h->ny = 0;
	su_aware(h);
}

/* Load rows. */
static void
su_wait(struct hist *h)
{
	rep_usual(h);
	h->cur.load_since_ms = h->now - S.progress_days * DAY + 1;
}

static void
su_wait_over(struct hist *h)
{
	rep_usual(h);
	h->cur.load_since_ms = h->now - S.progress_days * DAY;
}

/* This week's three runs scaled so the week is `ratio` x the last. */
static void
week_ratio(struct hist *h, double ratio)
{
	size_t i;

	for (i = h->n - 3; i < h->n; i++) {
		struct session_summary *s = &h->ss[i];
		double d = h->ss[i - 3].distance_m * ratio;

		run_at(h, s->start_ms, d, 2.8, 168, 0);
		h->n--;
		h->ss[i] = h->ss[h->n];
	}
	recur(h);
	rep_usual(h);
}

static void
su_week_ok(struct hist *h)
{
	week_ratio(h, 1 + S.weekly_caution - 0.005);
}

static void
su_week_caution(struct hist *h)
{
	week_ratio(h, 1 + S.weekly_caution + 0.005);
}

static void
su_week_warn_edge(struct hist *h)
{
	week_ratio(h, 1 + S.weekly_warn - 0.005);
}

static void
su_week_jump(struct hist *h)
{
	week_ratio(h, 1 + S.weekly_warn + 0.005);
}

static void
ck_week_jump(const struct hist *h, const struct plan *p)
{
	ck_hold(h, p);
	CHECK(p->nreasons == 1);	/* the warning is the decision */
}

static void
su_reached(struct hist *h)
{
	rep_usual(h);
	h->cur.max_distance_m = (uint32_t)floor(last_run(h)->distance_m /
	    S.plan_use_frac);
}

static void
su_not_reached(struct hist *h)
{
	su_reached(h);
	h->cur.max_distance_m++;
}

static void
ck_progress_dist(const struct hist *h, const struct plan *p)
{
	CHECK(p->max_distance_m ==
	    (uint32_t)lround(h->cur.max_distance_m * (1 + S.progress_pct)));
}

/* Flare attribution rows. */
static void
set_last(struct hist *h, double spd, double hill)
{
	struct session_summary *l = last_run(h);

	run_at(h, l->start_ms, l->distance_m, spd, 168, hill);
	h->n--;
	*l = h->ss[h->n];
	recur(h);
	su_flare_word(h);
}

static void
su_fast(struct hist *h)
{
	set_last(h, 2.8 * S.fast_ratio, 0);
}

static void
su_not_fast(struct hist *h)
{
	set_last(h, 2.8 * S.fast_ratio - 0.01, 0);
}

static void
su_over_cap(struct hist *h)
{
	/* Not fast for the runner but over the plan's cap: fast too. */
	set_last(h, 2.8 * S.fast_ratio - 0.01, 0);
	h->cur.speed_cap_mps = 2.9;
}

static void
su_hilly(struct hist *h)
{
	set_last(h, 2.8, S.hilly_frac);
}

static void
su_not_hilly(struct hist *h)
{
	set_last(h, 2.8, S.hilly_frac - 0.01);
}

static void
ck_fast(const struct hist *h, const struct plan *p)
{
	ck_easier(h, p);
	CHECK(has_reason(p, PLAN_R_SPEED_CAPPED));
	CHECK_NEAR(p->speed_cap_mps, fmin(h->cur.speed_cap_mps,
	    r2(last_run((struct hist *)h)->avg_speed_mps *
	    (1 - S.flare_speed_cut))), 1e-9);
	CHECK(p->speed_cap_mps < h->cur.speed_cap_mps);
	CHECK(p->max_grade_pct == h->cur.max_grade_pct);
}

static void
ck_hilly(const struct hist *h, const struct plan *p)
{
	ck_easier(h, p);
	CHECK(has_reason(p, PLAN_R_HILLS_CAPPED));
	CHECK(!has_reason(p, PLAN_R_SPEED_CAPPED));
	CHECK_NEAR(p->max_grade_pct, S.flare_grade_pct, 1e-9);
	CHECK(p->speed_cap_mps == h->cur.speed_cap_mps);
}

/* Stall rows: growth 1 (flat load), "usual" every morning. */
static void
ck_rest(const struct hist *h, const struct plan *p)
{
	CHECK(p->phase == PLAN_PHASE_REST);
	CHECK(p->phase_since_ms == h->now);
	CHECK(p->rest_days == (uint32_t)S.rest_min_days);
	CHECK(p->rest_until_ms == h->now + S.rest_min_days * DAY);
	CHECK(p->max_distance_m == (uint32_t)fmax(S.min_distance_m,
	    lround(fmin(h->cur.max_distance_m, usual_dist(h)) *
	    S.return_frac)));
	CHECK_NEAR(p->speed_cap_mps, r2(2.8 * S.return_speed_frac), 1e-9);
	CHECK_NEAR(p->max_grade_pct, S.return_grade_pct, 1e-9);
	CHECK(p->stop & PLAN_STOP_MUCH_AWARE);
	CHECK(strncmp(p->text, "Rest", 4) == 0);
}

static void
su_stall_gap(struct hist *h)
{
	size_t i, k = 0;

	/* No next-day report in the first week of the window. */
	for (i = 0; i < h->ny; i++) {
		if (h->sy[i].t_ms <= h->now - 3 * 7 * DAY ||
		    h->sy[i].t_ms > h->now - 2 * 7 * DAY)
			h->sy[k++] = h->sy[i];
	}
	h->ny = k;
	rep_usual(h);
}

static void
su_stall_better(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->ny; i++) {
		if (h->sy[i].t_ms > h->now - 7 * DAY)
			h->sy[i].level = STRIDE_LEVEL_BETTER;
	}
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_BETTER, 3);
}

static void
su_stall_scores_fall(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->ny; i++) {
		if (h->sy[i].t_ms > h->now - 7 * DAY)
			h->sy[i].score = 2;
	}
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, 2);
}

static void
su_stall_no_symptoms(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->ny; i++)
		h->sy[i].score = 0;
	report(h, REPORT_T, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, 0);
}

static void
su_stall_flared(struct hist *h)
{
	/* A flare two weeks ago: not "within limits". */
	report(h, h->now - 15 * DAY, STRIDE_WHEN_NEXT_DAY,
	    STRIDE_LEVEL_MUCH_AWARE, 3);
	rep_usual(h);
}

/* Rest, return. */
static void
rest_cur(struct hist *h, int64_t since, int64_t until)
{
	size_t k = 0, i;

	/* The runner rested: no runs since the rest began. */
	for (i = 0; i < h->n; i++) {
		if (h->ss[i].start_ms < since)
			h->ss[k++] = h->ss[i];
	}
	h->n = k;
	recur(h);
	h->cur.phase = PLAN_PHASE_REST;
	h->cur.phase_since_ms = since;
	h->cur.rest_until_ms = until;
	h->cur.rest_days = (uint32_t)S.rest_min_days;
	h->cur.load_since_ms = since;
	h->cur.max_distance_m = 2500;
	h->cur.max_duration_s = 900;
	h->cur.speed_cap_mps = 2.52;
	h->cur.max_grade_pct = 2;
	h->cur.stop |= PLAN_STOP_MUCH_AWARE;
	h->cur.reasons[0].code = PLAN_R_STALLED;
}

static void
su_resting(struct hist *h)
{
	rest_cur(h, h->now - 3 * DAY, h->now + 4 * DAY);
	report(h, h->now - DAY, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, 3);
}

static void
su_resting_flare(struct hist *h)
{
	rest_cur(h, h->now - 3 * DAY, h->now + 4 * DAY);
	report(h, h->now - DAY, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_MUCH_AWARE,
	    3);
}

static void
su_resting_rise(struct hist *h)
{
	rest_cur(h, h->now - 3 * DAY, h->now + 4 * DAY);
	report(h, h->now - DAY, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_AWARE, 3);
}

static void
su_rest_last_ms(struct hist *h)
{
	rest_cur(h, h->now - 7 * DAY + 1, h->now + 1);
}

static void
su_rest_over(struct hist *h)
{
	rest_cur(h, h->now - 7 * DAY - HOUR, h->now - HOUR);
}

static void
ck_rest_kept(const struct hist *h, const struct plan *p)
{
	CHECK(p->phase == PLAN_PHASE_REST);
	CHECK(same_limits(p, &h->cur));
	CHECK(p->rest_until_ms == h->cur.rest_until_ms);
	CHECK(p->phase_since_ms == h->cur.phase_since_ms);
}

static void
ck_rest_extended(const struct hist *h, const struct plan *p)
{
	CHECK(p->phase == PLAN_PHASE_REST);
	CHECK(same_limits(p, &h->cur));
	CHECK(p->rest_until_ms == h->cur.phase_since_ms +
	    S.rest_max_days * DAY);
	CHECK(p->rest_days == (uint32_t)S.rest_max_days);
}

static void
ck_return(const struct hist *h, const struct plan *p)
{
	CHECK(p->phase == PLAN_PHASE_RETURN);
	CHECK(p->phase_since_ms == h->cur.rest_until_ms);
	CHECK(same_limits(p, &h->cur));	/* short, flat, easy, as set */
	CHECK(p->max_grade_pct <= S.return_grade_pct);
	CHECK(p->stop & PLAN_STOP_MUCH_AWARE);
	CHECK(p->rest_days == (uint32_t)S.rest_days);
}

static void
return_cur(struct hist *h, int64_t since)
{
	h->cur.phase = PLAN_PHASE_RETURN;
	h->cur.phase_since_ms = since;
	h->cur.speed_cap_mps = 2.52;
	h->cur.max_grade_pct = 2;
	h->cur.stop |= PLAN_STOP_MUCH_AWARE;
	rep_usual(h);
}

static void
su_returning(struct hist *h)
{
	return_cur(h, h->now - 5 * DAY);
}

static void
su_return_done(struct hist *h)
{
	return_cur(h, h->now - S.return_days * DAY);
}

static void
su_return_not_done(struct hist *h)
{
	return_cur(h, h->now - S.return_days * DAY + 1);
}

static void
ck_return_progress(const struct hist *h, const struct plan *p)
{
	ck_progress_dist(h, p);
	CHECK(p->phase == PLAN_PHASE_RETURN);
	CHECK(p->speed_cap_mps == h->cur.speed_cap_mps);	/* held */
	CHECK(p->max_grade_pct == h->cur.max_grade_pct);
	CHECK(!has_reason(p, PLAN_R_RETURN_COMPLETE));
}

static void
ck_return_done(const struct hist *h, const struct plan *p)
{
	ck_progress(h, p);
	CHECK(p->phase == PLAN_PHASE_NORMAL);
	CHECK(p->phase_since_ms == h->cur.phase_since_ms +
	    S.return_days * DAY);
	CHECK(has_reason(p, PLAN_R_RETURN_COMPLETE));
}

/* First plans. */
static void
su_first(struct hist *h)
{
	h->no_cur = 1;
	rep_usual(h);
}

static void
su_first_flare(struct hist *h)
{
	h->no_cur = 1;
	su_flare_word(h);
}

static void
su_first_empty(struct hist *h)
{
	h->no_cur = 1;
	h->n = 0;
	h->ny = 0;
}

static void
ck_first(const struct hist *h, const struct plan *p)
{
	double	d[HMAX];
	size_t	i, k = 0;

	for (i = 0; i < h->n; i++) {
		if (h->now - h->ss[i].start_ms < S.baseline_days * DAY)
			d[k++] = h->ss[i].distance_m;
	}
	/* Runs in the window are of two sizes (growth 1.05 per week): the
	 * median is one of the middle ones. */
	CHECK(k == 12);
	CHECK(p->version == 1 && p->issued_ms == h->now);
	CHECK(p->max_distance_m >= (uint32_t)floor(d[0]) &&
	    p->max_distance_m <= (uint32_t)ceil(d[k - 1]));
	CHECK_NEAR(p->speed_cap_mps, r2(2.8 * (1 + S.speed_cap_margin)), 1e-9);
	CHECK(p->max_grade_pct == S.start_grade_pct);
	CHECK(p->phase == PLAN_PHASE_NORMAL);
}

static void
ck_first_flare(const struct hist *h, const struct plan *p)
{
	/* The first plan is the runner's usual run; the flare halves it
	 * (or the last run, if that was shorter). */
	CHECK(p->version == 1);
	CHECK(p->max_distance_m == (uint32_t)fmin(lround(usual_dist(h)),
	    lround(floor(last_run((struct hist *)h)->distance_m + 0.5) *
	    S.flare_factor)));
	CHECK(p->stop & PLAN_STOP_MUCH_AWARE);
}

static void
ck_first_empty(const struct hist *h, const struct plan *p)
{
	(void)h;
	CHECK(p->max_distance_m == S.start_distance_m);
	CHECK(p->max_duration_s == S.start_duration_s);
	CHECK(p->speed_cap_mps == S.start_speed_cap_mps);
	CHECK(p->rest_until_ms == 0);
}

/* Overstride and cadence. */
static void
set_last_cad(struct hist *h, double cad, double hill)
{
	struct session_summary *l = last_run(h);

	run_at(h, l->start_ms, l->distance_m, 2.8, cad, hill);
	h->n--;
	*l = h->ss[h->n];
}

static void
su_overstride(struct hist *h)
{
	set_last_cad(h, nextafter(168 * (1 - S.overstride_pct), 0), 0);
	rep_usual(h);
}

static void
su_overstride_edge(struct hist *h)
{
	set_last_cad(h, 168 * (1 - S.overstride_pct), 0);
	rep_usual(h);
}

static void
su_overstride_uphill(struct hist *h)
{
	set_last_cad(h, 150, 1 - S.flat_frac + 0.01);
	rep_usual(h);
}

static void
su_overstride_flare(struct hist *h)
{
	set_last_cad(h, 150, 0);
	su_flare_word(h);
}

static void
no_pod(struct hist *h)
{
	size_t i;

	for (i = 0; i + 1 < h->n; i++)
		h->ss[i].avg_cadence_spm = 0;	/* no cadence history */
}

static void
su_height(struct hist *h)
{
	no_pod(h);
	set_last_cad(h, 150, 0);
	h->prof.height_m = 1.75;
	rep_usual(h);
}

static void
su_height_unknown(struct hist *h)
{
	no_pod(h);
	set_last_cad(h, 150, 0);
	rep_usual(h);
}

static void
ck_overstride(const struct hist *h, const struct plan *p)
{
	ck_progress(h, p);
	CHECK(has_reason(p, PLAN_R_OVERSTRIDE));
	CHECK(p->cadence_base_spm == 168);
	CHECK(p->cadence_target_spm ==
	    (uint32_t)lround(168 * (1 + S.cadence_step_pct)));
	CHECK(p->cadence_tol_spm == S.cadence_tol_spm);
	CHECK(p->cadence_since_ms == h->now);
	CHECK(strstr(p->text, "steps/min") != NULL);
}

static void
ck_no_cadence(const struct hist *h, const struct plan *p)
{
	(void)h;
	CHECK(p->cadence_target_spm == 0 && p->cadence_base_spm == 0);
	CHECK(!has_reason(p, PLAN_R_OVERSTRIDE));
}

static void
ck_height(const struct hist *h, const struct plan *p)
{
	(void)h;
	CHECK(has_reason(p, PLAN_R_OVERSTRIDE));
	CHECK(p->cadence_base_spm == 150);	/* the runner's own */
	CHECK(p->cadence_target_spm ==
	    (uint32_t)lround(150 * (1 + S.cadence_step_pct)));
}

static void
ck_flare_no_cadence(const struct hist *h, const struct plan *p)
{
	ck_easier_plain(h, p);
	ck_no_cadence(h, p);
}

static void
target_cur(struct hist *h, uint32_t target, int64_t since, double cad)
{
	set_last_cad(h, cad, 0);
	h->cur.cadence_base_spm = 168;
	h->cur.cadence_target_spm = target;
	h->cur.cadence_tol_spm = S.cadence_tol_spm;
	h->cur.cadence_since_ms = since;
	rep_usual(h);
}

#define STEP1	((uint32_t)lround(168 * (1 + S.cadence_step_pct)))
#define TMAX	((uint32_t)floor(168 * (1 + S.cadence_max_pct) + 1e-9))

static void
su_step(struct hist *h)
{
	target_cur(h, STEP1, h->now - S.cadence_hold_days * DAY,
	    STEP1 - S.cadence_tol_spm);
}

static void
su_step_early(struct hist *h)
{
	target_cur(h, STEP1, h->now - S.cadence_hold_days * DAY + 1,
	    STEP1 - S.cadence_tol_spm);
}

static void
su_step_missed(struct hist *h)
{
	target_cur(h, STEP1, h->now - S.cadence_hold_days * DAY,
	    STEP1 - S.cadence_tol_spm - 0.5);
}

static void
su_step_at_max(struct hist *h)
{
	target_cur(h, TMAX, h->now - 5 * S.cadence_hold_days * DAY, TMAX);
}

static void
ck_step(const struct hist *h, const struct plan *p)
{
	CHECK(has_reason(p, PLAN_R_CADENCE_STEP));
	CHECK(p->cadence_target_spm == TMAX);
	CHECK(p->cadence_target_spm <= 168 * (1 + S.cadence_max_pct));
	CHECK(p->cadence_since_ms == h->now);
	CHECK(p->cadence_base_spm == 168);
}

static void
ck_keep(const struct hist *h, const struct plan *p)
{
	CHECK(has_reason(p, PLAN_R_CADENCE_KEEP));
	CHECK(!has_reason(p, PLAN_R_CADENCE_STEP));
	CHECK(p->cadence_target_spm == h->cur.cadence_target_spm);
	CHECK(p->cadence_since_ms == h->cur.cadence_since_ms);
}

static void
su_sudden(struct hist *h)
{
	set_last_cad(h, 168 * (1 + S.cadence_sudden_pct) + 0.5, 0);
	rep_usual(h);
}

static void
su_not_sudden(struct hist *h)
{
	set_last_cad(h, 168 * (1 + S.cadence_sudden_pct) - 0.5, 0);
	rep_usual(h);
}

static void
ck_sudden(const struct hist *h, const struct plan *p)
{
	ck_progress(h, p);
	CHECK(has_reason(p, PLAN_R_CADENCE_SUDDEN));
	CHECK(p->cadence_target_spm == 0);	/* a warning, not a target */
}

static void
ck_not_sudden(const struct hist *h, const struct plan *p)
{
	ck_progress(h, p);
	CHECK(!has_reason(p, PLAN_R_CADENCE_SUDDEN));
}

static const struct row rows[] = {
	/* symptom response, against the runner's own baseline */
	{ "settled: progress", 1.05, STRIDE_LEVEL_USUAL, 3, rep_usual,
	    RULES_PROGRESS, PLAN_R_PROGRESS, ck_progress },
	{ "a bit more aware: hold", 1.05, STRIDE_LEVEL_USUAL, 3, su_rise_word,
	    RULES_HOLD, PLAN_R_SYMPTOM_RISE, ck_hold },
	{ "score +1 over usual: hold", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_rise_score, RULES_HOLD, PLAN_R_SYMPTOM_RISE, ck_hold },
	{ "much more aware: easier", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_flare_word, RULES_EASIER, PLAN_R_SYMPTOM_FLARE,
	    ck_easier_plain },
	{ "score +2 over usual: easier", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_flare_score, RULES_EASIER, PLAN_R_SYMPTOM_FLARE,
	    ck_easier_plain },
	{ "two words over a 'better' baseline: easier", 1.05,
	    STRIDE_LEVEL_BETTER, -1, su_aware, RULES_EASIER,
	    PLAN_R_SYMPTOM_FLARE, ck_easier_plain },
	{ "'aware' is this runner's usual: progress", 1.05,
	    STRIDE_LEVEL_AWARE, -1, su_aware, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_progress },
	{ "profile says usual is 'aware': progress", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_profile_aware, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_progress },
	{ "no baseline, no profile: 'aware' is a rise", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_profile_none, RULES_HOLD,
	    PLAN_R_SYMPTOM_RISE, ck_hold },
	{ "painful next day: easier", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_pain_next, RULES_EASIER, PLAN_R_SYMPTOM_PAIN, ck_easier_plain },
	{ "painful during the run: easier", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_pain_during, RULES_EASIER, PLAN_R_DURING_RUN_PAIN,
	    ck_easier_plain },
	{ "slight niggle during the run: no report yet", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_aware_during, RULES_HOLD,
	    PLAN_R_NO_REPORT, ck_hold },
	{ "no report: hold", 1.05, STRIDE_LEVEL_USUAL, 3, su_none,
	    RULES_HOLD, PLAN_R_NO_REPORT, ck_hold },
	/* progression and its guard-rails */
	{ "raised less than a week ago: hold", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_wait, RULES_HOLD, PLAN_R_PROGRESS_WAIT, ck_hold },
	{ "raised a week ago: progress", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_wait_over, RULES_PROGRESS, PLAN_R_PROGRESS, ck_progress },
	{ "week just under +10%: progress", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_week_ok, RULES_PROGRESS, PLAN_R_PROGRESS, ck_progress },
	{ "week over +10%: hold", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_week_caution, RULES_HOLD, PLAN_R_WEEKLY_CAUTION, ck_hold },
	{ "week just under +30%: hold", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_week_warn_edge, RULES_HOLD, PLAN_R_WEEKLY_CAUTION, ck_hold },
	{ "week over +30%: hold and warn", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_week_jump, RULES_HOLD, PLAN_R_WEEKLY_JUMP, ck_week_jump },
	{ "last run reached 80% of the plan: progress", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_reached, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_progress_dist },
	{ "last run short of 80%: hold", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_not_reached, RULES_HOLD, PLAN_R_PLAN_NOT_REACHED, ck_hold },
	/* a flare caps what preceded it */
	{ "flare after a fast run: speed capped", 1.05, STRIDE_LEVEL_USUAL,
	    3, su_fast, RULES_EASIER, PLAN_R_SYMPTOM_FLARE, ck_fast },
	{ "flare after a run just under fast: speed kept", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_not_fast, RULES_EASIER,
	    PLAN_R_SYMPTOM_FLARE, ck_easier_plain },
	{ "flare after a run over the cap: speed capped", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_over_cap, RULES_EASIER,
	    PLAN_R_SYMPTOM_FLARE, ck_fast },
	{ "flare after a hilly run: hills capped", 1.05, STRIDE_LEVEL_USUAL,
	    3, su_hilly, RULES_EASIER, PLAN_R_SYMPTOM_FLARE, ck_hilly },
	{ "flare after a run just under hilly: hills kept", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_not_hilly, RULES_EASIER,
	    PLAN_R_SYMPTOM_FLARE, ck_easier_plain },
	/* stalled recovery */
	{ "three flat weeks, no better: rest", 1.0, STRIDE_LEVEL_USUAL, 3,
	    rep_usual, RULES_REST, PLAN_R_STALLED, ck_rest },
	{ "load +8% over the window, no better: rest", 1.04,
	    STRIDE_LEVEL_USUAL, 3, rep_usual, RULES_REST, PLAN_R_STALLED,
	    ck_rest },
	{ "a week without reports: not stalled", 1.0, STRIDE_LEVEL_USUAL,
	    3, su_stall_gap, RULES_PROGRESS, PLAN_R_PROGRESS, ck_progress },
	{ "better words last week: not stalled", 1.0, STRIDE_LEVEL_USUAL,
	    3, su_stall_better, RULES_PROGRESS, PLAN_R_PROGRESS, ck_progress },
	{ "lower scores last week: not stalled", 1.0, STRIDE_LEVEL_USUAL,
	    3, su_stall_scores_fall, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_progress },
	{ "no symptoms (score 0): not stalled", 1.0, STRIDE_LEVEL_USUAL, 3,
	    su_stall_no_symptoms, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_progress },
	{ "a flare in the window: not within limits", 1.0,
	    STRIDE_LEVEL_USUAL, 3, su_stall_flared, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_progress },
	/* relative rest and graded return */
	{ "resting: rest goes on", 1.0, STRIDE_LEVEL_USUAL, 3, su_resting,
	    RULES_REST, PLAN_R_STALLED, ck_rest_kept },
	{ "resting, a slight rise: rest goes on", 1.0, STRIDE_LEVEL_USUAL,
	    3, su_resting_rise, RULES_REST, PLAN_R_STALLED, ck_rest_kept },
	{ "resting, a flare: rest extended", 1.0, STRIDE_LEVEL_USUAL, 3,
	    su_resting_flare, RULES_REST, PLAN_R_REST_EXTENDED,
	    ck_rest_extended },
	{ "rest ends in 1 ms: still resting", 1.0, STRIDE_LEVEL_USUAL, 3,
	    su_rest_last_ms, RULES_REST, PLAN_R_STALLED, ck_rest_kept },
	{ "rest over: graded return", 1.0, STRIDE_LEVEL_USUAL, 3,
	    su_rest_over, RULES_RETURN, PLAN_R_GRADED_RETURN, ck_return },
	{ "returning, settled: distance only", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_returning, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_return_progress },
	{ "return a ms short of done", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_return_not_done, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_return_progress },
	{ "return done: normal again", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_return_done, RULES_PROGRESS, PLAN_R_PROGRESS, ck_return_done },
	/* first plans */
	{ "first plan from history", 1.05, STRIDE_LEVEL_USUAL, 3, su_first,
	    RULES_HOLD, PLAN_R_START, ck_first },
	{ "first plan after a flare", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_first_flare, RULES_EASIER, PLAN_R_SYMPTOM_FLARE,
	    ck_first_flare },
	{ "first plan, no history", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_first_empty, RULES_HOLD, PLAN_R_START, ck_first_empty },
	/* overstride and cadence */
	{ "cadence clearly under own line: target", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_overstride, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_overstride },
	{ "cadence exactly 5% under: no target", 1.05, STRIDE_LEVEL_USUAL,
	    3, su_overstride_edge, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_no_cadence },
	{ "low cadence uphill: never flagged", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_overstride_uphill, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_no_cadence },
	{ "low cadence, then a flare: no new target", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_overstride_flare, RULES_EASIER,
	    PLAN_R_SYMPTOM_FLARE, ck_flare_no_cadence },
	{ "no cadence history: height fallback", 1.05, STRIDE_LEVEL_USUAL,
	    3, su_height, RULES_PROGRESS, PLAN_R_PROGRESS, ck_height },
	{ "no cadence history, no height: nothing", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_height_unknown, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_no_cadence },
	{ "target held two weeks, reached: last step", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_step, RULES_PROGRESS, PLAN_R_PROGRESS,
	    ck_step },
	{ "target held a ms short of two weeks: keep", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_step_early, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_keep },
	{ "target not reached: keep", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_step_missed, RULES_PROGRESS, PLAN_R_PROGRESS, ck_keep },
	{ "target at +10%: keep", 1.05, STRIDE_LEVEL_USUAL, 3,
	    su_step_at_max, RULES_PROGRESS, PLAN_R_PROGRESS, ck_keep },
	{ "own cadence jumped: warn", 1.05, STRIDE_LEVEL_USUAL, 3, su_sudden,
	    RULES_PROGRESS, PLAN_R_PROGRESS, ck_sudden },
	{ "own cadence up, not a jump: no warning", 1.05,
	    STRIDE_LEVEL_USUAL, 3, su_not_sudden, RULES_PROGRESS,
	    PLAN_R_PROGRESS, ck_not_sudden },
};

static void
test_rows(void)
{
	static struct hist	h;
	struct plan		p;
	size_t			i;
	const char		*why;
	int			rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int before = check_failed;

		build(&h, r->growth, r->level, r->score);
		r->setup(&h);
		rc = plan_for(&h, &p);
		CHECK(rc == 1);
		CHECK(p.nreasons >= 1);
		CHECK(p.reasons[0].code == r->first);
		CHECK(rules_direction_of(p.reasons[0].code) == r->dir);
		CHECK(plan_check(&p, &why) == 0);
		CHECK(p.version == (h.no_cur ? 1 : h.cur.version + 1));
		if (r->check != NULL)
			r->check(&h, &p);
		if (check_failed != before) {
			uint32_t k;

			fprintf(stderr, "  in row \"%s\": rc %d, plan:",
			    r->name, rc);
			for (k = 0; k < p.nreasons; k++)
				fprintf(stderr, " %s",
				    plan_reason_name(p.reasons[k].code));
			fprintf(stderr, "\n  %s\n", p.text);
		}
	}
}

/* The ACWR guard-rail, at its boundaries: two weeks at 5 km after six at
 * D1 km keep the week-over-week ratio at 1 while the 7-day EWMA runs
 * ahead of the 28-day one; lower D1 until each threshold is crossed. */
static void
build_acwr(struct hist *h, double d1)
{
	int d;

	memset(h, 0, sizeof(*h));
	h->now = NOW;
	h->prof.usual_level = STRIDE_LEVEL_NONE;
	h->prof.usual_score = -1;
	for (d = 0; d <= LAST_DAY; d++) {
		if (!RUN_DAY(d))
			continue;
		run_at(h, T0 + d * DAY + 7 * HOUR, d / 7 < WEEKS - 2 ? d1 :
		    5000, 2.8, 168, 0);
		/* Better in the last week: improving, so not stalled. */
		report(h, T0 + (d + 1) * DAY + 8 * HOUR, STRIDE_WHEN_NEXT_DAY,
		    d / 7 < WEEKS - 1 ? STRIDE_LEVEL_USUAL :
		    STRIDE_LEVEL_BETTER, 3);
	}
	recur(h);
}

static double
acwr_of(struct hist *h)
{
	struct rules_input	in;
	struct rules_loads	l;

	memset(&in, 0, sizeof(in));
	in.sessions = h->ss;
	in.nsessions = h->n;
	in.profile = h->prof;
	CHECK(rules_loads(&in, &S, h->now, &l) == 0);
	CHECK_NEAR(l.week_ratio, 1.0, 1e-9);
	CHECK(l.history_days >= S.acwr_min_days);
	return l.acwr;
}

/* Returns 1 if the danger threshold was crossed. */
static int
check_acwr(const struct rules_settings *s)
{
	static struct hist	h;
	struct plan		p;
	double			d1, a, prev_a = 0;
	int			seen_high = 0, seen_danger = 0;

	SP = s;
	for (d1 = 5000; d1 > 0 && !seen_danger; d1 -= 25) {
		build_acwr(&h, d1);
		a = acwr_of(&h);
		CHECK(a >= prev_a);	/* less before, more ratio */
		prev_a = a;
		CHECK(plan_for(&h, &p) == 1);
		if (a <= s->acwr_high)
			CHECK(p.reasons[0].code == PLAN_R_PROGRESS);
		else if (a <= s->acwr_danger) {
			CHECK(p.reasons[0].code == PLAN_R_ACWR_HIGH);
			CHECK(same_limits(&p, &h.cur));
			seen_high = 1;
		} else {
			CHECK(p.reasons[0].code == PLAN_R_ACWR_DANGER);
			CHECK(same_limits(&p, &h.cur));
			seen_danger = 1;
		}
	}
	CHECK(seen_high);
	SP = &S;
	return seen_danger;
}

static void
test_acwr(void)
{
	struct rules_settings	low = S;
	static struct hist	h;

	/* With the defaults, two level weeks after a quiet month reach
	 * "high" only: past 1.5 the weekly guard has already spoken. */
	CHECK(check_acwr(&S) == 0);
	/* Lower thresholds (settings) show the danger path too. */
	low.acwr_high = 1.15;
	low.acwr_danger = 1.3;
	CHECK(check_acwr(&low) == 1);

	/* Too little history: the ratio does not count. */
	build_acwr(&h, 1000);
	h.now = T0 + (S.acwr_min_days - 2) * DAY;
	h.n = 0;
	run_at(&h, T0, 1000, 2.8, 168, 0);
	run_at(&h, h.now - DAY, 5000, 2.8, 168, 0);
	{
		struct rules_input	in;
		struct rules_loads	l;

		memset(&in, 0, sizeof(in));
		in.sessions = h.ss;
		in.nsessions = h.n;
		CHECK(rules_loads(&in, &S, h.now, &l) == 0);
		CHECK(l.acwr == 0 && l.acute > 0 && l.chronic > 0);
	}
}

/* The load figure: Minetti's ratios as RULES.md gives them; speed weighs
 * super-linearly; uphill weighs more, downhill no less than flat. */
static void
test_load(void)
{
	struct session_summary	s;
	double			flat, fast, up, down;

	CHECK_NEAR(rules_minetti_cost(0.05) / rules_minetti_cost(0), 1.30,
	    0.005);
	CHECK_NEAR(rules_minetti_cost(0.10) / rules_minetti_cost(0), 1.66,
	    0.005);
	CHECK_NEAR(rules_minetti_cost(0.20) / rules_minetti_cost(0), 2.50,
	    0.005);
	CHECK_NEAR(rules_minetti_cost(-0.10) / rules_minetti_cost(0), 0.60,
	    0.005);
	CHECK(rules_minetti_cost(0.9) == rules_minetti_cost(0.45));

	memset(&s, 0, sizeof(s));
	s.distance_m = 5000;
	s.avg_speed_mps = S.load_speed_ref_mps;
	s.band_m[1] = 5000;
	flat = rules_session_load(&s, &S);
	CHECK_NEAR(flat, 5.0, 1e-9);
	s.avg_speed_mps = 2 * S.load_speed_ref_mps;
	fast = rules_session_load(&s, &S);
	CHECK_NEAR(fast / flat, pow(2, S.load_speed_exp), 1e-9);
	CHECK(fast / flat > 2);		/* super-linear */
	s.avg_speed_mps = S.load_speed_ref_mps;
	s.band_m[1] = 0;
	s.band_m[3] = 5000;
	up = rules_session_load(&s, &S);
	CHECK_NEAR(up / flat, rules_minetti_cost(S.band_grade[3]) /
	    rules_minetti_cost(0), 1e-9);
	s.band_m[3] = 0;
	s.band_m[0] = 5000;
	down = rules_session_load(&s, &S);
	CHECK(down >= flat);
	/* Distance with no grade known counts as flat. */
	s.band_m[0] = 0;
	CHECK_NEAR(rules_session_load(&s, &S), flat, 1e-9);
}

/* Determinism: same input, same bytes; report order does not matter; an
 * unchanged plan is not re-issued; recomputing after a flare cuts once. */
static void
test_determinism(void)
{
	static struct hist	h, g;
	struct plan		a, b, c;
	char			ea[PLAN_JSON_MAX + 1], eb[PLAN_JSON_MAX + 1];
	size_t			i;
	int			na, nb;

	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	su_fast(&h);
	su_hilly(&h);
	CHECK(plan_for(&h, &a) == 1 && plan_for(&h, &b) == 1);
	na = plan_encode(&a, ea, sizeof(ea));
	nb = plan_encode(&b, eb, sizeof(eb));
	CHECK(na > 0 && na == nb && memcmp(ea, eb, (size_t)na) == 0);

	g = h;
	for (i = 0; i < g.ny; i++)		/* reverse the reports */
		g.sy[i] = h.sy[h.ny - 1 - i];
	CHECK(plan_for(&g, &c) == 1);
	nb = plan_encode(&c, eb, sizeof(eb));
	CHECK(na == nb && memcmp(ea, eb, (size_t)na) == 0);

	/* Fed back as the current plan with the same history: unchanged. */
	h.cur = a;
	CHECK(plan_for(&h, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	/* A later report about the same run does not cut again. */
	report(&h, REPORT_T + HOUR, STRIDE_WHEN_NEXT_DAY,
	    STRIDE_LEVEL_PAINFUL, 8);
	h.now += 2 * HOUR;
	CHECK(plan_for(&h, &b) >= 0);
	CHECK(same_limits(&a, &b));

	/* Progress happens once per run, however many reports follow. */
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	rep_usual(&h);
	CHECK(plan_for(&h, &a) == 1 && a.reasons[0].code == PLAN_R_PROGRESS);
	h.cur = a;
	report(&h, REPORT_T + 30 * 60000, STRIDE_WHEN_NEXT_DAY,
	    STRIDE_LEVEL_BETTER, 2);
	h.now += HOUR;
	CHECK(plan_for(&h, &b) == 0);
	CHECK(b.version == a.version);
}

static void
test_invalid(void)
{
	static struct hist	h;
	struct rules_settings	bad = S;
	struct rules_input	in;
	struct plan		p;
	const char		*why;

	CHECK(rules_settings_check(&S, &why) == 0);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	memset(&in, 0, sizeof(in));
	in.sessions = h.ss;
	in.nsessions = h.n;
	in.symptoms = h.sy;
	in.nsymptoms = h.ny;
	in.current = &h.cur;
	in.profile = h.prof;
	CHECK(rules_plan(&in, &S, h.now, &p) == 1);

	bad.cadence_max_pct = S.cadence_step_pct / 2;
	CHECK(rules_settings_check(&bad, &why) == -1 && why != NULL);
	CHECK(rules_plan(&in, &bad, h.now, &p) == -1 && p.version == 0);
	bad = S;
	bad.chronic_days = bad.acute_days;
	CHECK(rules_settings_check(&bad, &why) == -1);

	h.ss[3].start_ms = h.ss[4].start_ms + 1;	/* unsorted */
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	h.ss[2].distance_m = NAN;
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	h.sy[0].level = STRIDE_LEVEL_COUNT;
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	h.sy[0].score = 11;
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	h.cur.text[0] = '\t';				/* not a valid plan */
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	build(&h, 1.05, STRIDE_LEVEL_USUAL, 3);
	in.profile.height_m = 7;
	CHECK(rules_plan(&in, &S, h.now, &p) == -1);
	in.profile = h.prof;
	/* Sessions and reports after now are ignored, not refused. */
	run_at(&h, h.now + DAY, 20000, 5, 168, 0.5);
	report(&h, h.now + DAY, STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_PAINFUL, 9);
	in.nsessions = h.n;
	in.nsymptoms = h.ny;
	rep_usual(&h);
	in.nsymptoms = h.ny;
	CHECK(rules_plan(&in, &S, h.now, &p) == 1);
	CHECK(p.reasons[0].code == PLAN_R_PROGRESS);
}

/* ---- generated histories ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double
urand(double lo, double hi)
{
	return lo + (hi - lo) * (double)(rng() >> 11) / 9007199254740992.0;
}

static int
irand(int lo, int hi)
{
	return lo + (int)(rng() % (uint64_t)(hi - lo + 1));
}

/* A random but valid history and current plan, ending at now - 2 h. */
static void
gen_history(struct hist *h)
{
	int64_t	t;
	int	i, nrun = irand(0, 40), nrep;
	double	up;

	memset(h, 0, sizeof(*h));
	h->now = T0 + 70 * DAY;
	h->prof.height_m = irand(0, 1) ? urand(1.5, 2.0) : 0;
	h->prof.usual_cadence_spm = irand(0, 1) ? urand(150, 185) : 0;
	h->prof.usual_level = (enum stride_level)irand(0, 5);
	h->prof.usual_score = irand(-1, 10);
	t = h->now - 60 * DAY;
	for (i = 0; i < nrun && t < h->now - 4 * HOUR; i++) {
		up = irand(0, 2) ? 0 : urand(0, 0.5);
		run_at(h, t, urand(500, 25000), urand(1.5, 6),
		    irand(0, 4) ? urand(140, 195) : 0, up);
		if (last_run(h)->end_ms > h->now - 2 * HOUR) {
			h->n--;
			break;
		}
		t = last_run(h)->end_ms + (int64_t)urand(2 * HOUR, 4 * DAY);
	}
	nrep = irand(0, 60);
	for (i = 0; i < nrep; i++)
		report(h, h->now - (int64_t)urand(2 * HOUR, 60 * DAY),
		    irand(0, 3) ? STRIDE_WHEN_NEXT_DAY : STRIDE_WHEN_DURING,
		    (enum stride_level)irand(1, 5), irand(-1, 10));

	memset(&h->cur, 0, sizeof(h->cur));
	h->cur.version = (uint32_t)irand(1, 1000);
	h->cur.issued_ms = h->now - (int64_t)urand(3 * HOUR, 20 * DAY);
	h->cur.phase = (enum plan_phase)irand(1, 3);
	h->cur.phase_since_ms = h->now - (int64_t)urand(3 * HOUR, 30 * DAY);
	h->cur.max_distance_m = (uint32_t)irand(0, 30000);
	h->cur.max_duration_s = (uint32_t)irand(0, 10000);
	h->cur.speed_cap_mps = round(urand(0, 7) * 100) / 100;
	h->cur.max_grade_pct = round(urand(0, 12) * 10) / 10;
	if (irand(0, 1)) {
		h->cur.cadence_base_spm = (uint32_t)irand(140, 185);
		h->cur.cadence_target_spm = h->cur.cadence_base_spm +
		    (uint32_t)irand(0, (int)(h->cur.cadence_base_spm / 10));
		h->cur.cadence_tol_spm = 3;
		h->cur.cadence_since_ms = h->now -
		    (int64_t)urand(HOUR, 40 * DAY);
	}
	h->cur.rest_days = (uint32_t)irand(0, 14);
	/* A rest that ends either before the judged window or after now. */
	h->cur.rest_until_ms = irand(0, 1) ? h->now + (int64_t)urand(1,
	    10 * DAY) : h->now - (int64_t)urand(3 * HOUR, 10 * DAY);
	h->cur.load_since_ms = h->now - (int64_t)urand(0, 30 * DAY);
	h->cur.stop = (uint32_t)irand(0, PLAN_STOP_ALL);
	strcpy(h->cur.text, "current");
}

/* Every generated history gets a flare after everything else: the plan
 * may not raise any load element. */
static void
test_flare_property(void)
{
	static struct hist	h;
	struct plan		p;
	int			i, rc, bad = 0, rested = 0, eased = 0;
	static const enum stride_level flare_lv[] = {
		STRIDE_LEVEL_MUCH_AWARE, STRIDE_LEVEL_PAINFUL
	};

	for (i = 0; i < 3000; i++) {
		gen_history(&h);
		report(&h, h.now - HOUR, irand(0, 1) ? STRIDE_WHEN_NEXT_DAY :
		    STRIDE_WHEN_DURING, flare_lv[irand(0, 1)], irand(-1, 10));
		rc = plan_for(&h, &p);
		CHECK(rc >= 0);
		if (rc < 0)
			continue;
		if (p.max_distance_m > h.cur.max_distance_m ||
		    p.max_duration_s > h.cur.max_duration_s ||
		    llround(p.speed_cap_mps * 100) >
		    llround(h.cur.speed_cap_mps * 100) ||
		    llround(p.max_grade_pct * 10) >
		    llround(h.cur.max_grade_pct * 10) ||
		    p.cadence_target_spm > h.cur.cadence_target_spm ||
		    has_reason(&p, PLAN_R_PROGRESS) ||
		    has_reason(&p, PLAN_R_CADENCE_STEP) ||
		    has_reason(&p, PLAN_R_OVERSTRIDE)) {
			if (bad++ < 5)
				fprintf(stderr, "flare raised: case %d (%s)\n",
				    i, p.text);
		}
		if (rc == 1 && rules_direction_of(p.reasons[0].code) ==
		    RULES_REST)
			rested++;
		else if (rc == 1)
			CHECK(rules_direction_of(p.reasons[0].code) ==
			    RULES_EASIER);
		if (rc == 1 && rules_direction_of(p.reasons[0].code) ==
		    RULES_EASIER)
			eased++;
	}
	CHECK(bad == 0);
	CHECK(rested > 100 && eased > 1000);	/* both paths exercised */
}

/*
 * A runner who overstrides and follows every target, reporting "usual"
 * each morning, for 20 weeks: the target only ever goes up in steps
 * cadence_hold_days apart, never past +10% of its base.
 */
static void
test_cadence_simulation(void)
{
	static struct hist	h;
	struct plan		p;
	int			d, steps = 0, k;
	int64_t			last_change = 0;
	uint32_t		base = 0, prev = 0;

	for (k = 0; k < 20; k++) {
		memset(&h, 0, sizeof(h));
		h.prof.usual_level = STRIDE_LEVEL_NONE;
		h.prof.usual_score = -1;
		/* Short enough that the height fallback flags the
		 * natural cadence on the first run. */
		h.prof.height_m = urand(1.55, 1.65);
		h.no_cur = 1;
		steps = 0;
		prev = 0;
		for (d = 0; d < 140; d++) {
			double	natural = 150 + k / 2.0, cad;
			int	rc;

			if (!RUN_DAY(d))
				continue;
			cad = h.no_cur || h.cur.cadence_target_spm == 0 ?
			    natural : h.cur.cadence_target_spm;
			run_at(&h, T0 + d * DAY + 7 * HOUR, urand(4000, 6000),
			    urand(2.6, 3.0), cad, 0);
			h.now = last_run(&h)->end_ms + HOUR;
			rc = plan_for(&h, &p);
			CHECK(rc >= 0);
			if (rc == 1) {
				h.cur = p;
				h.no_cur = 0;
			}
			report(&h, T0 + (d + 1) * DAY + 8 * HOUR,
			    STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, 3);
			h.now = T0 + (d + 1) * DAY + 9 * HOUR;
			rc = plan_for(&h, &p);
			CHECK(rc >= 0);
			if (rc == 1) {
				h.cur = p;
				h.no_cur = 0;
			}
			if (h.cur.cadence_target_spm == 0)
				continue;
			if (prev == 0)
				base = h.cur.cadence_base_spm;
			CHECK(h.cur.cadence_base_spm == base);
			CHECK(h.cur.cadence_target_spm >= base);
			CHECK(h.cur.cadence_target_spm <=
			    base * (1 + S.cadence_max_pct));
			CHECK(h.cur.cadence_target_spm >= prev);
			if (h.cur.cadence_target_spm != prev) {
				if (prev != 0) {
					CHECK(h.cur.cadence_since_ms -
					    last_change >=
					    S.cadence_hold_days * DAY);
				}
				last_change = h.cur.cadence_since_ms;
				steps++;
			}
			prev = h.cur.cadence_target_spm;
		}
		CHECK(steps == 2);	/* +5%, then the last +5% */
		CHECK(prev == (uint32_t)floor(base * (1 +
		    S.cadence_max_pct) + 1e-9));
	}
}

static void
test_directions(void)
{
	CHECK(rules_direction_of(PLAN_R_SYMPTOM_PAIN) == RULES_EASIER);
	CHECK(rules_direction_of(PLAN_R_WEEKLY_JUMP) == RULES_HOLD);
	CHECK(strcmp(rules_direction_name(RULES_RETURN), "return") == 0);
	CHECK(rules_direction_name((enum rules_direction)9) == NULL);
}

/* The week's overstride share (for display): flat runs of the last 7 days
 * judged against the runner's own line, as the plan judges the last run. */
static double
week_overstride_of(struct hist *h)
{
	struct rules_input	in;
	struct rules_loads	l;

	memset(&in, 0, sizeof(in));
	in.sessions = h->ss;
	in.nsessions = h->n;
	in.current = &h->cur;
	in.profile = h->prof;
	CHECK(rules_loads(&in, &S, h->now, &l) == 0);
	return l.week_overstride;
}

static void
test_week_overstride(void)
{
	static struct hist	h;
	size_t			i, week = 0;

	build(&h, 1.0, STRIDE_LEVEL_USUAL, 3);
	for (i = 0; i < h.n; i++)
		week += h.ss[i].start_ms > h.now - 7 * DAY;
	CHECK(week == 3);
	CHECK_NEAR(week_overstride_of(&h), 0, 1e-12);	/* all at 168 */

	/* Two of the week's three runs well under the line. */
	h.ss[h.n - 1].avg_cadence_spm = 150;
	h.ss[h.n - 2].avg_cadence_spm = 150;
	CHECK_NEAR(week_overstride_of(&h), 2.0 / 3, 1e-12);

	/* One of them uphill: no longer judged (1 of 2 left flat). */
	h.ss[h.n - 2].band_s[3] = h.ss[h.n - 2].moving_s;
	h.ss[h.n - 2].band_s[1] = 0;
	CHECK_NEAR(week_overstride_of(&h), 1.0 / 2, 1e-12);

	/* No cadence measured in the week: unknown, not 0. */
	for (i = h.n - 3; i < h.n; i++)
		h.ss[i].avg_cadence_spm = 0;
	CHECK(isnan(week_overstride_of(&h)));

	/* No line (no cadence history) and no height: unknown. */
	build(&h, 1.0, STRIDE_LEVEL_USUAL, 3);
	for (i = 0; i + 3 < h.n; i++)
		h.ss[i].avg_cadence_spm = 0;
	CHECK(isnan(week_overstride_of(&h)));
	/* With a height the expected cadence is known again. */
	h.prof.height_m = 1.75;
	CHECK(!isnan(week_overstride_of(&h)));
}

int
main(void)
{
	test_rows();
	test_acwr();
	test_load();
	test_determinism();
	test_invalid();
	test_flare_property();
	test_cadence_simulation();
	test_directions();
	test_week_overstride();
	return check_done("test_rules");
}
