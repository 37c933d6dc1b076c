/*
 * rules.c - turn a runner's history into the next session's plan.
 *
 * Pure: no I/O, no clock, no globals but constant tables. Callers pass
 * `now` and the current plan and get the next plan with its reasons back;
 * the hub stores and publishes it. docs/rules.md is the reviewable account
 * of every rule below; keep the two in step.
 *
 * One call, in order (rules_plan):
 *  1. Check the input (rules_prepare) and compute what every rule reads:
 *     the runner's usual speed, distance and time, the load picture
 *     (rules_compute_loads), the reports being judged and the baseline they
 *     are judged against (rules_judge).
 *  2. Start from the current plan (or a first plan built from history) and
 *     move the phase clock: a rest that has run its course becomes a graded
 *     return; a return that has run its course becomes normal.
 *  3. Decide, first match wins: resting -> keep resting (or extend); a
 *     flare -> much easier, capping the element that preceded it; a stalled
 *     recovery -> relative rest; otherwise hold or progress, with the load
 *     guard-rails able only to stop progress, never to force it.
 *  4. Cadence (overstride target), rest days, stop conditions, the text.
 *  5. Compare with the current plan: no change in substance, no new plan.
 *
 * Idempotence: the hub recomputes on every report, so the same session can
 * be judged several times. A flare cuts relative to the last session
 * (min(current, last x factor)), so judging it twice cuts once; progress
 * happens at most once per session and per progress_days.
 *
 * Invariants: after a flare no load element goes up (the property test in
 * tests/unit/test_rules.c); a cadence target never exceeds its base by more
 * than cadence_max_pct; output passes plan_check.
 * Thread-safe: no state.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define DAY_MS		RULES_DAY_MS
#define WEEK_MS		(7 * RULES_DAY_MS)
#define RULES_FLAT_BAND	1	/* fuse band -2..+2 % */
#define RULES_UP_BAND	2	/* fuse bands from +2 % up: uphill exposure */
#define RULES_HILL_BAND	3	/* fuse bands from +4 % up: "hilly" */
#define RULES_STALL_WEEKS_MAX 12

/* How the judged reports read, worst first wins. */
enum rules_verdict {
	V_NONE = 0,	/* no next-day report (and no flare-level one) */
	V_OK,		/* at or below the runner's own baseline */
	V_RISE,		/* a slight rise: hold */
	V_FLARE		/* a clear rise, much more aware, or pain */
};

struct rules_ctx {
	const struct rules_settings	*s;
	const struct rules_profile	*prof;
	int64_t				 now;
	const struct session_summary	*ss;	/* sessions started <= now */
	size_t				 n;
	const struct session_summary	*last;	/* ss[n - 1] or NULL */
	const struct rules_symptom	*sy;
	size_t				 nsy;
	double		usual_speed; /* medians over baseline_days; 0: none */
	double		usual_dist;
	double		usual_dur;
	struct rules_loads loads;
	/* the judged reports: t >= rules_window() */
	double		base_ord;	/* baseline word, 1 (better)..5 */
	double		base_score;	/* baseline score; < 0: none */
	enum rules_verdict v;
	enum plan_reason v_code;	/* the worst report's reason */
	/* the runner's own flat cadence-speed line */
	int		has_line;
	double		line_cad, line_spd, line_slope;
};

/* ---- small helpers ---- */

static int
rules_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of a[0..n) (sorted in place); 0 for n == 0. */
static double
rules_median(double *a, size_t n)
{
	if (n == 0)
		return 0;
	qsort(a, n, sizeof(*a), rules_cmp_double);
	if (n % 2)
		return a[n / 2];
	return (a[n / 2 - 1] + a[n / 2]) / 2;
}

static double
rules_round(double x, double scale)
{
	return round(x * scale) / scale;
}

static uint32_t
rules_clamp_u32(double x, uint32_t lo, uint32_t hi)
{
	if (!(x >= lo))
		return lo;
	if (x >= hi)
		return hi;
	return (uint32_t)lround(x);
}

static uint32_t
rules_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t
rules_max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* "5:33/km" for a speed in m/s. */
static void
rules_pace(char *buf, size_t cap, double mps)
{
	int s;

	if (!(mps >= 0.1)) {		/* slower than 2:46:40/km: no cap */
		snprintf(buf, cap, "-");
		return;
	}
	s = (int)lround(1000.0 / mps);	/* <= 10000 */
	snprintf(buf, cap, "%d:%02d/km", s / 60, s % 60);
}

/* A number with at most one decimal, without a trailing ".0". */
static void
rules_num1(char *buf, size_t cap, double x)
{
	snprintf(buf, cap, "%.1f", x);
	if (strlen(buf) > 2 && strcmp(buf + strlen(buf) - 2, ".0") == 0)
		buf[strlen(buf) - 2] = '\0';
}

/* Append a reason; the sentence is printf-formatted and cut to size. */
static void rules_reason(struct plan *, enum plan_reason, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
rules_reason(struct plan *p, enum plan_reason code, const char *fmt, ...)
{
	struct plan_reason_item	*r;
	va_list			 ap;

	assert(p->nreasons < PLAN_REASONS_MAX);	/* 8 is the most we add */
	if (p->nreasons >= PLAN_REASONS_MAX)
		return;
	r = &p->reasons[p->nreasons++];
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* ---- the load figure ---- */

double
rules_minetti_cost(double i)
{
	if (i < -0.45)
		i = -0.45;
	if (i > 0.45)
		i = 0.45;
	return (((((155.4 * i - 30.4) * i - 43.3) * i + 46.3) * i + 19.5) *
	    i + 3.6);
}

double
rules_session_load(const struct session_summary *ss,
    const struct rules_settings *s)
{
	double	graded = 0, eff = 0, c0 = rules_minetti_cost(0), speedw = 1;
	int	b;

	for (b = 0; b < FUSE_BANDS; b++) {
		graded += ss->band_m[b];
		eff += ss->band_m[b] * rules_minetti_cost(s->band_grade[b]) /
		    c0;
	}
	if (ss->distance_m > graded)
		eff += ss->distance_m - graded;	/* no grade known: flat */
	if (ss->avg_speed_mps > 0)
		speedw = pow(ss->avg_speed_mps / s->load_speed_ref_mps,
		    s->load_speed_exp);
	return eff / 1000.0 * speedw;
}

static double
rules_uphill_m(const struct session_summary *ss, int from_band)
{
	double	m = 0;
	int	b;

	for (b = from_band; b < FUSE_BANDS; b++)
		m += ss->band_m[b];
	return m;
}

static double
rules_uphill_s(const struct session_summary *ss, int from_band)
{
	double	t = 0;
	int	b;

	for (b = from_band; b < FUSE_BANDS; b++)
		t += ss->band_s[b];
	return t;
}

/* Weekly sums and the EWMA acute:chronic ratio (Williams 2017): days
 * counted back from now, day k being (now - (k+1) d, now - k d]. */
static void
rules_compute_loads(struct rules_ctx *c)
{
	const struct rules_settings	*s = c->s;
	struct rules_loads		*l = &c->loads;
	double				 daily[RULES_HISTORY_DAYS_MAX];
	double				 la, lc, seed = 0;
	size_t				 i;
	int				 k, k0 = -1, nseed = 0;

	memset(l, 0, sizeof(*l));
	memset(daily, 0, sizeof(daily));
	for (i = 0; i < c->n; i++) {
		const struct session_summary *ss = &c->ss[i];
		double	load = rules_session_load(ss, s);
		int64_t	age = c->now - ss->start_ms;

		if (age < WEEK_MS) {
			l->week += load;
			l->week_uphill_m += rules_uphill_m(ss, RULES_UP_BAND);
			l->week_uphill_s += rules_uphill_s(ss, RULES_UP_BAND);
		} else if (age < 2 * WEEK_MS)
			l->prev_week += load;
		k = (int)(age / DAY_MS);
		if (k >= RULES_HISTORY_DAYS_MAX)
			continue;
		daily[k] += load;
		if (k > k0)
			k0 = k;
	}
	if (c->last != NULL)
		l->last = rules_session_load(c->last, s);
	if (l->prev_week > 0)
		l->week_ratio = l->week / l->prev_week;
	if (k0 < 0)
		return;
	l->history_days = k0 + 1;
	/* Seed both averages with the mean day of the first week (ours), so
	 * a short history does not start from zero. */
	for (k = k0; k >= 0 && nseed < 7; k--, nseed++)
		seed += daily[k];
	seed /= nseed;
	la = 2.0 / (s->acute_days + 1);
	lc = 2.0 / (s->chronic_days + 1);
	l->acute = l->chronic = seed;
	for (k = k0; k >= 0; k--) {
		l->acute = la * daily[k] + (1 - la) * l->acute;
		l->chronic = lc * daily[k] + (1 - lc) * l->chronic;
	}
	if (l->history_days >= s->acwr_min_days && l->chronic > 0)
		l->acwr = l->acute / l->chronic;
}

/* ---- input ---- */

int
rules_settings_check(const struct rules_settings *s, const char **why)
{
	int b;

	*why = NULL;
	if (s->baseline_days < 1 || s->baseline_min_reports < 1)
		*why = "baseline window and count must be >= 1";
	else if (!(s->flare_level_rise > 0) || !(s->flare_score_rise > 0))
		*why = "flare rises must be > 0";
	else if (!(s->flare_factor > 0 && s->flare_factor < 1) ||
	    !(s->return_frac > 0 && s->return_frac <= 1) ||
	    !(s->return_speed_frac > 0 && s->return_speed_frac <= 1) ||
	    !(s->flare_speed_cut > 0 && s->flare_speed_cut < 1) ||
	    !(s->plan_use_frac >= 0 && s->plan_use_frac <= 1) ||
	    !(s->hilly_frac > 0 && s->hilly_frac <= 1) ||
	    !(s->flat_frac > 0 && s->flat_frac <= 1))
		*why = "a fraction is out of range";
	else if (s->flare_rest_days < 0 || s->rest_days < 0 ||
	    s->flare_rest_days > PLAN_REST_DAYS_MAX ||
	    s->rest_days > PLAN_REST_DAYS_MAX ||
	    s->rest_min_days < 1 || s->rest_max_days < s->rest_min_days ||
	    s->rest_max_days > PLAN_REST_DAYS_MAX)
		*why = "rest days out of range";
	else if (s->stall_weeks < 1 || s->stall_weeks > RULES_STALL_WEEKS_MAX)
		*why = "stall_weeks must be 1..12";
	else if (s->return_days < 0 || s->progress_days < 0 ||
	    s->cadence_hold_days < 0)
		*why = "a day count is negative";
	else if (!(s->progress_pct > 0 && s->progress_pct <= 1) ||
	    !(s->weekly_caution > 0) ||
	    !(s->weekly_warn >= s->weekly_caution) ||
	    !(s->acwr_high > 0) || !(s->acwr_danger >= s->acwr_high))
		*why = "a progression limit is out of range";
	else if (s->acute_days < 1 || s->chronic_days <= s->acute_days ||
	    s->acwr_min_days < 0)
		*why = "EWMA days: 1 <= acute < chronic";
	else if (s->min_distance_m > PLAN_DIST_MAX_M ||
	    s->min_duration_s > PLAN_DUR_MAX_S ||
	    s->start_distance_m < 1 || s->start_distance_m > PLAN_DIST_MAX_M ||
	    s->start_duration_s < 1 || s->start_duration_s > PLAN_DUR_MAX_S)
		*why = "a distance or duration is out of range";
	else if (!(s->start_speed_cap_mps > 0) ||
	    !(s->speed_cap_max_mps >= s->start_speed_cap_mps) ||
	    !(s->speed_cap_max_mps <= PLAN_SPD_MAX_MPS) ||
	    !(s->speed_step_mps >= 0) || !(s->speed_cap_margin >= 0) ||
	    !(s->fast_ratio >= 1))
		*why = "a speed setting is out of range";
	else if (!(s->start_grade_pct >= 0) ||
	    !(s->grade_cap_max_pct >= s->start_grade_pct) ||
	    !(s->grade_cap_max_pct <= PLAN_GRADE_MAX_PCT) ||
	    !(s->grade_step_pct >= 0) || !(s->flare_grade_pct >= 0) ||
	    !(s->return_grade_pct >= 0))
		*why = "a grade setting is out of range";
	else if (!(s->load_speed_ref_mps > 0) ||
	    !(s->load_speed_exp >= 1 && s->load_speed_exp <= 4))
		*why = "load speed weight out of range";
	else if (s->line_min_sessions < 2 || !(s->line_min_speed_sd > 0) ||
	    !(s->cad_slope_min >= 0) ||
	    !(s->cad_slope_max >= s->cad_slope_min) ||
	    !(s->cad_slope >= s->cad_slope_min &&
	    s->cad_slope <= s->cad_slope_max) ||
	    !(s->overstride_pct > 0 && s->overstride_pct < 1) ||
	    !(s->height_step_ratio > 0) || !(s->height_ref_mps > 0))
		*why = "an overstride setting is out of range";
	else if (!(s->cadence_step_pct > 0) ||
	    !(s->cadence_max_pct >= s->cadence_step_pct) ||
	    !(s->cadence_max_pct <= 0.5) ||
	    s->cadence_tol_spm > PLAN_CAD_TOL_MAX_SPM ||
	    !(s->cadence_sudden_pct > 0))
		*why = "a cadence setting is out of range";
	for (b = 0; *why == NULL && b < FUSE_BANDS; b++) {
		if (!(s->band_grade[b] >= -0.45 && s->band_grade[b] <= 0.45))
			*why = "band_grade must be within -0.45..0.45";
	}
	return *why == NULL ? 0 : -1;
}

static int
rules_fin(double x)
{
	return isfinite(x) && x >= 0;
}

static int
rules_session_ok(const struct session_summary *ss)
{
	int b;

	if (ss->start_ms < STRIDE_T_MIN_MS || ss->start_ms > STRIDE_T_MAX_MS ||
	    ss->end_ms < ss->start_ms || !rules_fin(ss->moving_s) ||
	    !rules_fin(ss->distance_m) || !rules_fin(ss->avg_speed_mps) ||
	    ss->avg_speed_mps > STRIDE_SPD_MAX_MPS ||
	    !rules_fin(ss->max_speed_mps) || !rules_fin(ss->avg_cadence_spm) ||
	    ss->avg_cadence_spm > STRIDE_CAD_MAX_SPM ||
	    !rules_fin(ss->avg_step_m) || !rules_fin(ss->ungraded_s))
		return 0;
	for (b = 0; b < FUSE_BANDS; b++) {
		if (!rules_fin(ss->band_s[b]) || !rules_fin(ss->band_m[b]))
			return 0;
	}
	return 1;
}

static int
rules_symptom_ok(const struct rules_symptom *y)
{
	return y->t_ms >= STRIDE_T_MIN_MS && y->t_ms <= STRIDE_T_MAX_MS &&
	    (y->when == STRIDE_WHEN_DURING ||
	    y->when == STRIDE_WHEN_NEXT_DAY) &&
	    y->level > STRIDE_LEVEL_NONE && y->level < STRIDE_LEVEL_COUNT &&
	    y->score >= -1 && y->score <= STRIDE_SCORE_MAX;
}

static int
rules_profile_ok(const struct rules_profile *pr)
{
	return (pr->height_m == 0 || (pr->height_m >= 0.5 &&
	    pr->height_m <= 2.5)) &&
	    (pr->usual_cadence_spm == 0 ||
	    (pr->usual_cadence_spm >= PLAN_CAD_MIN_SPM &&
	    pr->usual_cadence_spm <= PLAN_CAD_MAX_SPM)) &&
	    pr->usual_level >= STRIDE_LEVEL_NONE &&
	    pr->usual_level < STRIDE_LEVEL_COUNT &&
	    pr->usual_score >= -1 && pr->usual_score <= STRIDE_SCORE_MAX;
}

/* Check the input and fill what does not depend on the plan. */
static int
rules_prepare(const struct rules_input *in, const struct rules_settings *s,
    int64_t now, struct rules_ctx *c)
{
	double		a[RULES_SESSIONS_MAX], b[RULES_SESSIONS_MAX];
	double		d[RULES_SESSIONS_MAX];
	const char	*why;
	size_t		i, n = 0, na = 0;

	memset(c, 0, sizeof(*c));
	if (rules_settings_check(s, &why) == -1)
		return -1;
	if (now < STRIDE_T_MIN_MS || now > STRIDE_T_MAX_MS ||
	    (in->nsessions > 0 && in->sessions == NULL) ||
	    (in->nsymptoms > 0 && in->symptoms == NULL) ||
	    in->nsymptoms > RULES_SYMPTOMS_MAX ||
	    !rules_profile_ok(&in->profile))
		return -1;
	if (in->current != NULL && in->current->version != 0 &&
	    plan_check(in->current, &why) == -1)
		return -1;
	for (i = 0; i < in->nsessions; i++) {
		if (!rules_session_ok(&in->sessions[i]))
			return -1;
		if (i > 0 && in->sessions[i].start_ms <
		    in->sessions[i - 1].start_ms)
			return -1;
		if (in->sessions[i].start_ms <= now)
			n = i + 1;	/* the prefix up to now */
	}
	for (i = 0; i < in->nsymptoms; i++) {
		if (!rules_symptom_ok(&in->symptoms[i]))
			return -1;
	}
	c->s = s;
	c->prof = &in->profile;
	c->now = now;
	c->ss = in->sessions + (n > RULES_SESSIONS_MAX ?
	    n - RULES_SESSIONS_MAX : 0);
	c->n = n > RULES_SESSIONS_MAX ? RULES_SESSIONS_MAX : n;
	c->last = c->n > 0 ? &c->ss[c->n - 1] : NULL;
	c->sy = in->symptoms;
	c->nsy = in->nsymptoms;
	for (i = 0; i < c->n; i++) {
		const struct session_summary *ss = &c->ss[i];

		if (now - ss->start_ms >= s->baseline_days * DAY_MS ||
		    ss->moving_s <= 0)
			continue;
		a[na] = ss->avg_speed_mps;
		b[na] = ss->distance_m;
		d[na++] = ss->moving_s;
	}
	c->usual_speed = rules_median(a, na);
	c->usual_dist = rules_median(b, na);
	c->usual_dur = rules_median(d, na);
	rules_compute_loads(c);
	return 0;
}

/* ---- symptoms ---- */

/*
 * The baseline from next-day reports in [ws - baseline_days, ws), then the
 * verdict on every report at or after ws: words first, then the optional
 * score, both against the runner's own usual. During a run only "much
 * more aware" and "painful" count: a slight niggle is fine.
 */
static void
rules_judge(struct rules_ctx *c, int64_t ws)
{
	const struct rules_settings	*s = c->s;
	double				 ord[RULES_SYMPTOMS_MAX];
	double				 sc[RULES_SYMPTOMS_MAX];
	const struct rules_symptom	*worst = NULL;
	size_t				 i, nord = 0, nsc = 0;
	int				 wsev = 0;

	for (i = 0; i < c->nsy; i++) {
		const struct rules_symptom *y = &c->sy[i];

		if (y->when != STRIDE_WHEN_NEXT_DAY || y->t_ms >= ws ||
		    y->t_ms < ws - s->baseline_days * DAY_MS)
			continue;
		ord[nord++] = y->level;
		if (y->score >= 0)
			sc[nsc++] = y->score;
	}
	if (nord >= (size_t)s->baseline_min_reports)
		c->base_ord = rules_median(ord, nord);
	else
		c->base_ord = c->prof->usual_level != STRIDE_LEVEL_NONE ?
		    c->prof->usual_level : STRIDE_LEVEL_USUAL;
	if (nsc >= (size_t)s->baseline_min_reports)
		c->base_score = rules_median(sc, nsc);
	else
		c->base_score = c->prof->usual_score;

	for (i = 0; i < c->nsy; i++) {
		const struct rules_symptom *y = &c->sy[i];
		double	rise = y->level - c->base_ord, srise = 0;
		int	sev, has_score = y->score >= 0 && c->base_score >= 0;

		if (y->t_ms < ws || y->t_ms > c->now)
			continue;
		if (has_score)
			srise = y->score - c->base_score;
		if (y->level >= STRIDE_LEVEL_PAINFUL)
			sev = 5;
		else if (y->level >= STRIDE_LEVEL_MUCH_AWARE)
			sev = 4;
		else if (y->when == STRIDE_WHEN_DURING)
			continue;
		else if (rise >= s->flare_level_rise ||
		    (has_score && srise >= s->flare_score_rise))
			sev = 4;
		else if (rise > 0 || (has_score && srise > 0))
			sev = 2;
		else
			sev = 1;
		/* Worst first; ties to the earlier report, then to the one
		 * made during a run, so input order never matters. */
		if (worst == NULL || sev > wsev || (sev == wsev &&
		    (y->t_ms < worst->t_ms || (y->t_ms == worst->t_ms &&
		    y->when < worst->when)))) {
			worst = y;
			wsev = sev;
		}
	}
	if (worst == NULL) {
		c->v = V_NONE;
		return;
	}
	if (wsev == 5) {
		c->v = V_FLARE;
		c->v_code = worst->when == STRIDE_WHEN_DURING ?
		    PLAN_R_DURING_RUN_PAIN : PLAN_R_SYMPTOM_PAIN;
	} else if (wsev == 4) {
		c->v = V_FLARE;
		c->v_code = PLAN_R_SYMPTOM_FLARE;
	} else if (wsev == 2) {
		c->v = V_RISE;
		c->v_code = PLAN_R_SYMPTOM_RISE;
	} else
		c->v = V_OK;
}

/* A next-day report that would count as a flare against the baseline. */
static int
rules_is_flare(const struct rules_ctx *c, const struct rules_symptom *y)
{
	return y->level >= STRIDE_LEVEL_MUCH_AWARE ||
	    y->level - c->base_ord >= c->s->flare_level_rise ||
	    (y->score >= 0 && c->base_score >= 0 &&
	    y->score - c->base_score >= c->s->flare_score_rise);
}

/*
 * Stalled recovery (ours, a setting): in each of the last stall_weeks
 * weeks the runner ran and reported next-day symptoms, none a flare
 * (training within limits); symptoms were present (first week's median
 * word at "usual" or worse, score above 0 if scored); the last week's
 * median is no better than the first week's, in words and in score; and
 * the load did not grow by more than a progression step (no capacity
 * gained either).
 */
static int
rules_stalled(const struct rules_ctx *c)
{
	const struct rules_settings	*s = c->s;
	double				 ord[RULES_SYMPTOMS_MAX];
	double				 sc[RULES_SYMPTOMS_MAX];
	double				 mord[RULES_STALL_WEEKS_MAX];
	double				 msc[RULES_STALL_WEEKS_MAX];
	double				 load[RULES_STALL_WEEKS_MAX];
	int				 w, W = s->stall_weeks;
	size_t				 i;

	for (w = 0; w < W; w++) {
		int64_t	lo = c->now - (int64_t)(W - w) * WEEK_MS;
		int64_t	hi = lo + WEEK_MS;
		size_t	nord = 0, nsc = 0, nses = 0;

		load[w] = 0;
		for (i = 0; i < c->n; i++) {
			if (c->ss[i].start_ms > lo && c->ss[i].start_ms <= hi) {
				nses++;
				load[w] += rules_session_load(&c->ss[i], s);
			}
		}
		for (i = 0; i < c->nsy; i++) {
			const struct rules_symptom *y = &c->sy[i];

			if (y->when != STRIDE_WHEN_NEXT_DAY || y->t_ms <= lo ||
			    y->t_ms > hi)
				continue;
			if (rules_is_flare(c, y))
				return 0;
			ord[nord++] = y->level;
			if (y->score >= 0)
				sc[nsc++] = y->score;
		}
		if (nses == 0 || nord == 0)
			return 0;	/* no data: cannot call it stalled */
		mord[w] = rules_median(ord, nord);
		msc[w] = nsc > 0 ? rules_median(sc, nsc) : -1;
	}
	if (mord[0] < STRIDE_LEVEL_USUAL || mord[W - 1] < mord[0])
		return 0;
	if (msc[0] >= 0 && msc[W - 1] >= 0 &&
	    (msc[0] == 0 || msc[W - 1] < msc[0]))
		return 0;
	if (load[W - 1] > load[0] * (1 + s->progress_pct))
		return 0;
	return 1;
}

/* ---- the prescription ---- */

static uint32_t
rules_stop_base(void)
{
	return PLAN_STOP_PAIN | PLAN_STOP_DISTANCE | PLAN_STOP_DURATION;
}

/* The first plan: what the runner has been running lately, or defaults. */
static void
rules_initial(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings *s = c->s;

	memset(p, 0, sizeof(*p));
	p->phase = PLAN_PHASE_NORMAL;
	p->phase_since_ms = c->now;
	p->load_since_ms = c->now;
	if (c->usual_dist > 0 && c->usual_dur > 0) {
		p->max_distance_m = rules_clamp_u32(c->usual_dist,
		    s->min_distance_m, PLAN_DIST_MAX_M);
		p->max_duration_s = rules_clamp_u32(c->usual_dur,
		    s->min_duration_s, PLAN_DUR_MAX_S);
	} else {
		p->max_distance_m = s->start_distance_m;
		p->max_duration_s = s->start_duration_s;
	}
	if (c->usual_speed > 0)
		p->speed_cap_mps = fmin(s->speed_cap_max_mps,
		    rules_round(c->usual_speed * (1 + s->speed_cap_margin),
		    PLAN_SPD_SCALE));
	else
		p->speed_cap_mps = s->start_speed_cap_mps;
	p->max_grade_pct = rules_round(s->start_grade_pct, PLAN_GRADE_SCALE);
	p->rest_days = (uint32_t)s->rest_days;
	p->stop = rules_stop_base();
}

static int
rules_fast(const struct rules_ctx *c, const struct plan *p)
{
	const struct session_summary *l = c->last;

	return l->avg_speed_mps > 0 && ((c->usual_speed > 0 &&
	    l->avg_speed_mps >= c->s->fast_ratio * c->usual_speed) ||
	    l->avg_speed_mps > p->speed_cap_mps);
}

static int
rules_hilly(const struct rules_ctx *c)
{
	const struct session_summary *l = c->last;

	return l->distance_m > 0 && rules_uphill_m(l, RULES_HILL_BAND) >=
	    c->s->hilly_frac * l->distance_m;
}

/* A flare: much easier, relative to the last session, and the element
 * that preceded it capped. Never raises anything. */
static void
rules_easier(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings	*s = c->s;
	const struct session_summary	*l = c->last;
	uint32_t			 refd = p->max_distance_m;
	uint32_t			 reft = p->max_duration_s;
	char				 pace[32];
	double				 cap;

	/* Relative to what was run, not to the plan: judging the same run
	 * again then cuts to the same value, never twice. */
	if (l != NULL) {
		refd = rules_clamp_u32(l->distance_m, 0, PLAN_DIST_MAX_M);
		reft = rules_clamp_u32(l->moving_s, 0, PLAN_DUR_MAX_S);
	}
	p->max_distance_m = rules_min_u32(p->max_distance_m, rules_max_u32(
	    s->min_distance_m, (uint32_t)lround(refd * s->flare_factor)));
	p->max_duration_s = rules_min_u32(p->max_duration_s, rules_max_u32(
	    s->min_duration_s, (uint32_t)lround(reft * s->flare_factor)));
	switch (c->v_code) {
	case PLAN_R_DURING_RUN_PAIN:
		rules_reason(p, c->v_code, "You reported pain during your "
		    "last run. Pain means too far: stop when it hurts. The "
		    "next run is much easier.");
		break;
	case PLAN_R_SYMPTOM_PAIN:
		rules_reason(p, c->v_code, "You reported pain after your "
		    "last run. Pain means it went too far, so the next run is "
		    "much easier.");
		break;
	default:
		rules_reason(p, PLAN_R_SYMPTOM_FLARE, "After your last run "
		    "the tendon was clearly worse than your usual. The next "
		    "run is much easier, to let it settle.");
		break;
	}
	if (l == NULL)
		return;
	if (rules_fast(c, p)) {
		cap = rules_round(l->avg_speed_mps * (1 - s->flare_speed_cut),
		    PLAN_SPD_SCALE);
		p->speed_cap_mps = fmin(p->speed_cap_mps, cap);
		rules_pace(pace, sizeof(pace), p->speed_cap_mps);
		rules_reason(p, PLAN_R_SPEED_CAPPED, "Your last run was fast "
		    "for you. Speed works the hamstrings harder: keep slower "
		    "than %s for now.", pace);
	}
	if (rules_hilly(c)) {
		char g[16];

		p->max_grade_pct = fmin(p->max_grade_pct,
		    rules_round(s->flare_grade_pct, PLAN_GRADE_SCALE));
		rules_num1(g, sizeof(g), p->max_grade_pct);
		rules_reason(p, PLAN_R_HILLS_CAPPED, "Your last run had a lot "
		    "of uphill. Hills bend the hip more and press on the "
		    "tendon: keep under %s%% for now.", g);
	}
}

/* The graded-return prescription: short, flat, easy. Never raises. */
static void
rules_return_base(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings	*s = c->s;
	double				 refd = p->max_distance_m;
	double				 reft = p->max_duration_s;
	double				 spd;

	if (c->usual_dist > 0)
		refd = fmin(refd, c->usual_dist);
	if (c->usual_dur > 0)
		reft = fmin(reft, c->usual_dur);
	p->max_distance_m = rules_min_u32(p->max_distance_m, rules_max_u32(
	    s->min_distance_m, (uint32_t)lround(refd * s->return_frac)));
	p->max_duration_s = rules_min_u32(p->max_duration_s, rules_max_u32(
	    s->min_duration_s, (uint32_t)lround(reft * s->return_frac)));
	spd = (c->usual_speed > 0 ? c->usual_speed : p->speed_cap_mps) *
	    s->return_speed_frac;
	p->speed_cap_mps = fmin(p->speed_cap_mps, rules_round(spd,
	    PLAN_SPD_SCALE));
	p->max_grade_pct = fmin(p->max_grade_pct,
	    rules_round(s->return_grade_pct, PLAN_GRADE_SCALE));
}

static void
rules_rest_start(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings *s = c->s;

	p->phase = PLAN_PHASE_REST;
	p->phase_since_ms = c->now;
	p->rest_days = (uint32_t)s->rest_min_days;
	p->rest_until_ms = c->now + s->rest_min_days * DAY_MS;
	rules_return_base(c, p);
	rules_reason(p, PLAN_R_STALLED, "Your next-day reports have not "
	    "improved for %d weeks. Rest from running and ease off rehab "
	    "for %d days, then return short, flat and easy.", s->stall_weeks,
	    s->rest_min_days);
}

/* Resting: keep resting; extend once to rest_max_days if the tendon is
 * still flaring. */
static void
rules_rest_phase(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings	*s = c->s;
	int64_t				 until_max;

	until_max = p->phase_since_ms + s->rest_max_days * DAY_MS;
	if (c->v == V_FLARE && p->rest_until_ms < until_max) {
		p->rest_until_ms = until_max;
		p->rest_days = (uint32_t)s->rest_max_days;
	}
	if (p->rest_until_ms >= until_max)
		rules_reason(p, PLAN_R_REST_EXTENDED, "The tendon is still "
		    "irritated, so the rest is %d days in all. Then return "
		    "short, flat and easy. If it stays irritated, see a "
		    "physio.", s->rest_max_days);
	else
		rules_reason(p, PLAN_R_STALLED, "Your next-day reports have "
		    "not improved for %d weeks. Rest from running and ease off "
		    "rehab for %d days, then return short, flat and easy.",
		    s->stall_weeks, s->rest_min_days);
}

/* Symptoms settled: progress if nothing holds it back. */
static void
rules_progress(const struct rules_ctx *c, struct plan *p,
    const struct plan *cur)
{
	const struct rules_settings	*s = c->s;
	const struct rules_loads	*l = &c->loads;
	const struct session_summary	*last = c->last;
	double				 pct = s->progress_pct * 100;

	if (last == NULL || cur->load_since_ms >= last->start_ms) {
		/* Nothing new run under the current limits. If they went
		 * up for this very session, that stands. */
		if (last != NULL && cur->nreasons > 0 &&
		    cur->reasons[0].code == PLAN_R_PROGRESS) {
			p->reasons[p->nreasons++] = cur->reasons[0];
			return;
		}
		rules_reason(p, PLAN_R_SYMPTOM_SETTLED, "Your last report is "
		    "at or below your usual. The limits stay as they are "
		    "until your next run.");
		return;
	}
	if (c->now - cur->load_since_ms < s->progress_days * DAY_MS)
		rules_reason(p, PLAN_R_PROGRESS_WAIT, "The tendon is settled. "
		    "The limits changed less than %d days ago, and go up at "
		    "most once in that time.", s->progress_days);
	else if (l->week_ratio > 1 + s->weekly_warn)
		rules_reason(p, PLAN_R_WEEKLY_JUMP, "Your load this week is "
		    "%.0f%% above last week's. Over %.0f%% is a jump a "
		    "healing tendon may not take: the plan holds.",
		    (l->week_ratio - 1) * 100, s->weekly_warn * 100);
	else if (l->week_ratio > 1 + s->weekly_caution)
		rules_reason(p, PLAN_R_WEEKLY_CAUTION, "Your load this week is "
		    "%.0f%% above last week's, more than %.0f%%: the plan "
		    "holds rather than add more.", (l->week_ratio - 1) * 100,
		    s->weekly_caution * 100);
	else if (l->acwr > s->acwr_danger)
		rules_reason(p, PLAN_R_ACWR_DANGER, "Your last week's load is "
		    "%.1f times your 4-week average, a big jump: the plan "
		    "holds. Take it easy.", l->acwr);
	else if (l->acwr > s->acwr_high)
		rules_reason(p, PLAN_R_ACWR_HIGH, "Your last week's load is "
		    "%.1f times your 4-week average: the plan holds until it "
		    "evens out.", l->acwr);
	else if (last->distance_m < s->plan_use_frac * cur->max_distance_m)
		rules_reason(p, PLAN_R_PLAN_NOT_REACHED, "The tendon is "
		    "settled, but your last run was well short of the planned "
		    "distance: the limits go up once you run close to them.");
	else {
		p->max_distance_m = rules_clamp_u32(cur->max_distance_m *
		    (1 + s->progress_pct), 0, PLAN_DIST_MAX_M);
		p->max_duration_s = rules_clamp_u32(cur->max_duration_s *
		    (1 + s->progress_pct), 0, PLAN_DUR_MAX_S);
		if (p->phase != PLAN_PHASE_NORMAL) {
			rules_reason(p, PLAN_R_PROGRESS, "The tendon settled "
			    "after your last run: distance and time go up "
			    "%.0f%%. Speed and hills stay capped for now.",
			    pct);
			return;
		}
		p->speed_cap_mps = fmax(cur->speed_cap_mps,
		    fmin(s->speed_cap_max_mps, rules_round(cur->speed_cap_mps +
		    s->speed_step_mps, PLAN_SPD_SCALE)));
		p->max_grade_pct = fmax(cur->max_grade_pct,
		    fmin(s->grade_cap_max_pct, rules_round(cur->max_grade_pct +
		    s->grade_step_pct, PLAN_GRADE_SCALE)));
		rules_reason(p, PLAN_R_PROGRESS, "The tendon settled after "
		    "your last run: distance and time go up %.0f%%, the speed "
		    "and hill caps a little.", pct);
	}
}

/* Warnings that stand whatever the decision (never in rest). */
static void
rules_warnings(const struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings	*s = c->s;
	const struct rules_loads	*l = &c->loads;
	enum plan_reason		 first = p->reasons[0].code;

	if (l->week_ratio > 1 + s->weekly_warn && first != PLAN_R_WEEKLY_JUMP)
		rules_reason(p, PLAN_R_WEEKLY_JUMP, "Your load this week is "
		    "%.0f%% above last week's. Over %.0f%% is a jump a "
		    "healing tendon may not take.", (l->week_ratio - 1) * 100,
		    s->weekly_warn * 100);
	if (l->acwr > s->acwr_danger && first != PLAN_R_ACWR_DANGER)
		rules_reason(p, PLAN_R_ACWR_DANGER, "Your last week's load is "
		    "%.1f times your 4-week average, a big jump. Take it "
		    "easy.", l->acwr);
}

/* ---- overstride and cadence ---- */

/* Flat enough to judge cadence: uphill raises cadence, so it is never
 * flagged. Time with no grade known counts as flat. */
static int
rules_flat(const struct rules_ctx *c, const struct session_summary *ss)
{
	return ss->moving_s > 0 && ss->avg_cadence_spm > 0 &&
	    ss->avg_speed_mps > 0 &&
	    ss->band_s[RULES_FLAT_BAND] + ss->ungraded_s >=
	    c->s->flat_frac * ss->moving_s;
}

/*
 * The runner's own flat-ground cadence-speed line, from flat sessions
 * before the last one (and before any cadence target, which changes the
 * gait on purpose). Least squares; the slope is clamped to the published
 * range and taken from the settings when speeds vary too little.
 */
static void
rules_fit_line(struct rules_ctx *c, const struct plan *p)
{
	const struct rules_settings	*s = c->s;
	double				 sv = 0, sc = 0, svv = 0, svc = 0;
	double				 mv, mc, var;
	size_t				 i, k = 0;

	for (i = 0; i + 1 < c->n; i++) {
		const struct session_summary *ss = &c->ss[i];

		if (!rules_flat(c, ss))
			continue;
		if (p->cadence_target_spm != 0 &&
		    ss->start_ms >= p->cadence_since_ms)
			continue;
		sv += ss->avg_speed_mps;
		sc += ss->avg_cadence_spm;
		k++;
	}
	if (k < (size_t)s->line_min_sessions)
		return;
	mv = sv / k;
	mc = sc / k;
	for (i = 0; i + 1 < c->n; i++) {
		const struct session_summary *ss = &c->ss[i];

		if (!rules_flat(c, ss) || (p->cadence_target_spm != 0 &&
		    ss->start_ms >= p->cadence_since_ms))
			continue;
		svv += (ss->avg_speed_mps - mv) * (ss->avg_speed_mps - mv);
		svc += (ss->avg_speed_mps - mv) * (ss->avg_cadence_spm - mc);
	}
	var = svv / k;
	c->has_line = 1;
	c->line_cad = mc;
	c->line_spd = mv;
	c->line_slope = s->cad_slope;
	if (sqrt(var) >= s->line_min_speed_sd)
		c->line_slope = fmin(s->cad_slope_max, fmax(s->cad_slope_min,
		    svc / svv));
}

/* The cadence expected at speed v: the own line, else from height (ours:
 * step length height_step_ratio x height at height_ref_mps, the published
 * slope around it), else 0 (unknown). */
static double
rules_expected_cad(const struct rules_ctx *c, double v)
{
	const struct rules_settings *s = c->s;

	if (c->has_line)
		return c->line_cad + c->line_slope * (v - c->line_spd);
	if (c->prof->height_m > 0)
		return 60.0 * s->height_ref_mps / (s->height_step_ratio *
		    c->prof->height_m) + s->cad_slope * (v - s->height_ref_mps);
	return 0;
}

/* Overstride on the last run: a target +5% over the runner's own cadence
 * (their line, else their usual, else this run's). */
static void
rules_overstride(const struct rules_ctx *c, struct plan *p, double exp)
{
	const struct rules_settings	*s = c->s;
	const struct session_summary	*l = c->last;
	double				 base;
	uint32_t			 maxt, next;

	if (c->has_line)
		base = c->line_cad;
	else if (c->prof->usual_cadence_spm > 0)
		base = c->prof->usual_cadence_spm;
	else
		base = l->avg_cadence_spm;
	if (lround(base) < PLAN_CAD_MIN_SPM)
		return;
	maxt = (uint32_t)floor(lround(base) * (1 + s->cadence_max_pct) + 1e-9);
	next = rules_min_u32(maxt, (uint32_t)lround(lround(base) *
	    (1 + s->cadence_step_pct)));
	if (next > PLAN_CAD_MAX_SPM)
		return;
	p->cadence_base_spm = (uint32_t)lround(base);
	p->cadence_target_spm = next;
	p->cadence_tol_spm = s->cadence_tol_spm;
	p->cadence_since_ms = c->now;
	rules_reason(p, PLAN_R_OVERSTRIDE, "On the flat your step rate "
	    "(%.0f/min) was well under what you would run at that speed "
	    "(%.0f). Aim for %u/min, a few minutes at a time at first.",
	    l->avg_cadence_spm, exp, p->cadence_target_spm);
}

static void
rules_cadence(struct rules_ctx *c, struct plan *p)
{
	const struct rules_settings	*s = c->s;
	const struct session_summary	*l = c->last;
	int				 calm = c->v == V_OK || c->v == V_NONE;
	int				 flat;
	double				 exp = 0;
	uint32_t			 maxt, next;

	rules_fit_line(c, p);
	flat = l != NULL && rules_flat(c, l);
	if (flat)
		exp = rules_expected_cad(c, l->avg_speed_mps);
	if (p->cadence_target_spm == 0) {
		if (calm && flat && exp > 0 &&
		    l->avg_cadence_spm < exp * (1 - s->overstride_pct))
			rules_overstride(c, p, exp);
	} else {
		maxt = (uint32_t)floor(p->cadence_base_spm *
		    (1 + s->cadence_max_pct) + 1e-9);
		next = rules_min_u32(maxt, p->cadence_target_spm + (uint32_t)
		    lround(p->cadence_base_spm * s->cadence_step_pct));
		if (calm && next > p->cadence_target_spm && flat &&
		    c->now - p->cadence_since_ms >=
		    s->cadence_hold_days * DAY_MS &&
		    l->avg_cadence_spm + p->cadence_tol_spm >=
		    p->cadence_target_spm &&
		    c->base_ord >= STRIDE_LEVEL_USUAL) {
			rules_reason(p, PLAN_R_CADENCE_STEP, "You have held "
			    "%u steps/min for %d days and the tendon is no "
			    "better: the target moves to %u/min, the last "
			    "step.", p->cadence_target_spm,
			    s->cadence_hold_days, next);
			p->cadence_target_spm = next;
			p->cadence_since_ms = c->now;
		} else
			rules_reason(p, PLAN_R_CADENCE_KEEP, "Keep your step "
			    "rate near %u/min (your own %u plus up to %.0f%%); "
			    "change it only in small steps.",
			    p->cadence_target_spm, p->cadence_base_spm,
			    s->cadence_max_pct * 100);
	}
	if (flat && c->has_line && l->avg_cadence_spm > fmax(exp,
	    p->cadence_target_spm) * (1 + s->cadence_sudden_pct))
		rules_reason(p, PLAN_R_CADENCE_SUDDEN, "Your step rate jumped "
		    "to %.0f/min, well above your own and the plan's. Change "
		    "it gradually: a sudden change loads tissue not used to "
		    "it.", l->avg_cadence_spm);
}

/* ---- text ---- */

static void
rules_text(struct plan *p)
{
	char	pace[32], grade[16], cad[48] = "", rest[48] = "";
	double	km = p->max_distance_m / 1000.0;
	long	min = lround(p->max_duration_s / 60.0);
	int	n;

	rules_pace(pace, sizeof(pace), p->speed_cap_mps);
	rules_num1(grade, sizeof(grade), p->max_grade_pct);
	if (p->cadence_target_spm != 0)
		snprintf(cad, sizeof(cad), ", about %u steps/min",
		    p->cadence_target_spm);
	if (p->phase == PLAN_PHASE_REST) {
		n = snprintf(p->text, sizeof(p->text), "Rest: no running for "
		    "%u days, and ease off rehab too. Then up to %.1f km or "
		    "%ld min, slower than %s, hills under %s%%. Stop if it "
		    "hurts.", p->rest_days, km, min, pace, grade);
		assert(n > 0 && (size_t)n < sizeof(p->text));
		(void)n;
		return;
	}
	if (p->rest_days > 0)
		snprintf(rest, sizeof(rest), " Rest %u day%s after a run.",
		    p->rest_days, p->rest_days == 1 ? "" : "s");
	n = snprintf(p->text, sizeof(p->text), "Next run: up to %.1f km or "
	    "%ld min, slower than %s, hills under %s%%%s.%s Stop if it hurts.",
	    km, min, pace, grade, cad, rest);
	/* Every field is bounded by plan_check's ranges: at most ~150. */
	assert(n > 0 && (size_t)n < sizeof(p->text));
	(void)n;
}

/* ---- the plan ---- */

enum rules_direction
rules_direction_of(enum plan_reason r)
{
	switch (r) {
	case PLAN_R_SYMPTOM_FLARE:
	case PLAN_R_SYMPTOM_PAIN:
	case PLAN_R_DURING_RUN_PAIN:
		return RULES_EASIER;
	case PLAN_R_STALLED:
	case PLAN_R_REST_EXTENDED:
		return RULES_REST;
	case PLAN_R_GRADED_RETURN:
		return RULES_RETURN;
	case PLAN_R_PROGRESS:
		return RULES_PROGRESS;
	default:
		return RULES_HOLD;
	}
}

const char *
rules_direction_name(enum rules_direction d)
{
	static const char *const names[] = {
		"hold", "progress", "easier", "rest", "return"
	};

	if ((int)d < 0 || (size_t)d >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[d];
}

/* rules_loads' week_overstride: each flat run of the week judged as
 * rules_cadence judges the last one, against the line of the runs before
 * the newest (the plan's own view of the runner's cadence). */
static double
rules_week_overstride(struct rules_ctx *c, const struct plan *cur)
{
	static const struct plan	 none;
	double				 exp;
	size_t				 i, judged = 0, over = 0;

	rules_fit_line(c, cur != NULL ? cur : &none);
	for (i = 0; i < c->n; i++) {
		const struct session_summary *ss = &c->ss[i];

		if (ss->start_ms <= c->now - 7 * DAY_MS || !rules_flat(c, ss))
			continue;
		if ((exp = rules_expected_cad(c, ss->avg_speed_mps)) <= 0)
			continue;
		judged++;
		if (ss->avg_cadence_spm < exp * (1 - c->s->overstride_pct))
			over++;
	}
	return judged > 0 ? (double)over / (double)judged : NAN;
}

int
rules_loads(const struct rules_input *in, const struct rules_settings *s,
    int64_t now_ms, struct rules_loads *out)
{
	struct rules_ctx c;

	memset(out, 0, sizeof(*out));
	if (rules_prepare(in, s, now_ms, &c) == -1)
		return -1;
	*out = c.loads;
	out->week_overstride = rules_week_overstride(&c, in->current);
	return 0;
}

/* The earliest report that can still be about training the plan has not
 * answered yet: the last session's start, and never before a rest or a
 * return began (those reports were judged when the rest was decided). */
static int64_t
rules_window(const struct rules_ctx *c, const struct plan *p,
    const struct plan *cur, int first)
{
	int64_t ws;

	if (c->last != NULL)
		ws = c->last->start_ms;
	else if (!first)
		ws = cur->issued_ms;
	else
		ws = c->now - 2 * DAY_MS;
	if (p->phase != PLAN_PHASE_NORMAL && p->phase_since_ms > ws)
		ws = p->phase_since_ms;
	return ws;
}

int
rules_plan(const struct rules_input *in, const struct rules_settings *s,
    int64_t now_ms, struct plan *out)
{
	struct rules_ctx	 c;
	struct plan		 init, p;
	const struct plan	*cur;
	const char		*why;
	int			 first, transitioned = 0, completed = 0;

	assert(in != NULL && s != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	if (rules_prepare(in, s, now_ms, &c) == -1)
		return -1;
	first = in->current == NULL || in->current->version == 0;
	if (first) {
		rules_initial(&c, &init);
		cur = &init;
	} else
		cur = in->current;
	if (cur->version == UINT32_MAX)
		return -1;
	p = *cur;
	p.nreasons = 0;
	p.text[0] = '\0';

	/* The phase clock. */
	if (p.phase == PLAN_PHASE_REST && now_ms >= p.rest_until_ms) {
		p.phase = PLAN_PHASE_RETURN;
		p.phase_since_ms = p.rest_until_ms;
		transitioned = 1;
	} else if (p.phase == PLAN_PHASE_RETURN && now_ms >=
	    p.phase_since_ms + s->return_days * DAY_MS) {
		p.phase = PLAN_PHASE_NORMAL;
		p.phase_since_ms += s->return_days * DAY_MS;
		completed = 1;
	}
	rules_judge(&c, rules_window(&c, &p, cur, first));

	if (p.phase == PLAN_PHASE_REST)
		rules_rest_phase(&c, &p);
	else if (c.v == V_FLARE)
		rules_easier(&c, &p);
	else if (!transitioned && rules_stalled(&c))
		rules_rest_start(&c, &p);
	else if (first)
		rules_reason(&p, PLAN_R_START, "Your first plan starts from "
		    "what you have run lately, and changes as you report how "
		    "the tendon feels.");
	else if (transitioned || (p.phase == PLAN_PHASE_RETURN &&
	    (c.last == NULL || c.last->start_ms < p.phase_since_ms)))
		rules_reason(&p, PLAN_R_GRADED_RETURN, "The rest is over. "
		    "Start back with short, flat, easy runs; speed and hills "
		    "stay capped for %d days.", s->return_days);
	else if (c.v == V_RISE)
		rules_reason(&p, PLAN_R_SYMPTOM_RISE, "The tendon was a little "
		    "more noticeable than usual after your last run: the plan "
		    "holds until it settles.");
	else if (c.v == V_NONE)
		rules_reason(&p, PLAN_R_NO_REPORT, "Tell us how the tendon "
		    "feels the morning after each run: the plan moves on only "
		    "once you do.");
	else
		rules_progress(&c, &p, cur);
	if (completed && p.phase == PLAN_PHASE_NORMAL)
		rules_reason(&p, PLAN_R_RETURN_COMPLETE, "The graded return "
		    "is complete: the speed and hill caps can now go up slowly "
		    "while the tendon stays calm.");

	if (p.phase != PLAN_PHASE_REST) {
		rules_warnings(&c, &p);
		rules_cadence(&c, &p);
		p.rest_days = (uint32_t)(c.v == V_FLARE ? s->flare_rest_days :
		    s->rest_days);
		p.rest_until_ms = c.last != NULL ? c.last->end_ms +
		    p.rest_days * DAY_MS : 0;
		if (p.rest_until_ms > STRIDE_T_MAX_MS)
			p.rest_until_ms = STRIDE_T_MAX_MS;
	}
	p.stop = rules_stop_base();
	if (p.phase != PLAN_PHASE_NORMAL || c.v == V_FLARE)
		p.stop |= PLAN_STOP_MUCH_AWARE;
	if (p.max_distance_m != cur->max_distance_m ||
	    p.max_duration_s != cur->max_duration_s ||
	    llround(p.speed_cap_mps * PLAN_SPD_SCALE) !=
	    llround(cur->speed_cap_mps * PLAN_SPD_SCALE) ||
	    llround(p.max_grade_pct * PLAN_GRADE_SCALE) !=
	    llround(cur->max_grade_pct * PLAN_GRADE_SCALE))
		p.load_since_ms = now_ms;
	rules_text(&p);

	if (!first && !plan_differs(&p, cur)) {
		*out = *cur;
		return 0;
	}
	p.version = first ? 1 : cur->version + 1;
	p.issued_ms = now_ms;
	if (plan_check(&p, &why) == -1)
		return -1;	/* a bug: the rules made an unsendable plan */
	*out = p;
	return 1;
}
