/*
 * rules.h - the coaching rules: a runner's history in, the next session's
 * plan out, with every decision's reason.
 *
 * Pure: no I/O, no clock, no globals. The caller (the hub, on session end
 * and on every symptom report) fills plain arrays from the store, passes
 * `now` and the current plan, and gets a new plan back; it stores and
 * publishes the plan only when rules_plan says it changed. The same inputs
 * always give the same plan, byte for byte. docs/rules.md is the physio's
 * view of every rule, its source and its numbers.
 *
 * Invariant: when the latest reports show a flare, no load element of the
 * plan (distance, duration, speed cap, grade cap, cadence target) goes up.
 * Thread-safe: no state.
 */
#ifndef HUB_RULES_H
#define HUB_RULES_H

#include <stddef.h>
#include <stdint.h>
#include "fuse.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define RULES_DAY_MS		86400000LL
#define RULES_SESSIONS_MAX	512 /* newest sessions used; older ignored */
#define RULES_SYMPTOMS_MAX	1024	/* reports at most (more: -1) */
#define RULES_HISTORY_DAYS_MAX	365	/* days of load history used */
#define RULES_HISTORY_DAYS	56	/* pass at least this much history */

/* One symptom report, as stored. */
struct rules_symptom {
	int64_t		t_ms;	/* when it was made (device or CLI time) */
	enum stride_when when;	/* DURING a run or NEXT_DAY */
	enum stride_level level;
	int		score;	/* 0..10, or -1 when not given */
};

/* What we know of the runner beyond their data. Unknown: 0 / NONE / -1. */
struct rules_profile {
	double		  height_m;		/* overstride fallback */
	double		  usual_cadence_spm;	/* base of a target */
	enum stride_level usual_level;		/* baseline until 3 reports;
						   NONE: "usual" */
	int		  usual_score;		/* baseline score until 3
						   scored reports; -1: none */
};

/*
 * The history. Pass at least RULES_HISTORY_DAYS of it. Sessions are closed
 * sessions' summaries sorted by start_ms, oldest first; symptom reports in
 * any order, at most RULES_SYMPTOMS_MAX of them (56 days of reports is far
 * less). Anything dated after `now` is ignored. current is the plan the
 * devices have (NULL or version 0: none yet).
 */
struct rules_input {
	const struct session_summary	*sessions;
	size_t				 nsessions;
	const struct rules_symptom	*symptoms;
	size_t				 nsymptoms;
	const struct plan		*current;
	struct rules_profile		 profile;
};

/*
 * Every number the rules use. "RULES.md" means the research number given
 * there; "ours" means a choice of ours, documented in docs/rules.md.
 */
struct rules_settings {
	/* Symptom response: the runner's own baseline */
	int	 baseline_days;		/* window: 28 (ours) */
	int	 baseline_min_reports;	/* else the profile: 3 (ours) */
	double	 flare_level_rise;	/* words over baseline: 2 (ours) */
	double	 flare_score_rise;	/* points over usual: 2 (ours) */
	/* A flare: much easier, the preceding element capped */
	double	 flare_factor;		/* x last run: 0.5 (ours) */
	int	 flare_rest_days;	/* 2 (ours) */
	double	 fast_ratio;		/* avg >= 1.05 x usual (ours) */
	double	 flare_speed_cut;	/* cap: -10% of that run (ours) */
	double	 hilly_frac;		/* >= 10% of distance over 4% (ours) */
	double	 flare_grade_pct;	/* hill cap after it: 2 (ours) */
	/* Stalled recovery, relative rest, graded return */
	int	 stall_weeks;		/* 3 (RULES.md suggestion, ours) */
	int	 rest_min_days;		/* 7 (article: 1-2 weeks) */
	int	 rest_max_days;		/* extended: 14 (article) */
	double	 return_frac;		/* x usual distance, time: 0.5 (ours) */
	double	 return_speed_frac;	/* x usual speed: 0.9 (ours) */
	double	 return_grade_pct;	/* 2 (ours) */
	int	 return_days;		/* caps held after rest: 14 (ours) */
	/* Load and progression */
	int	 rest_days;		/* between runs: 1 (ours) */
	uint32_t min_distance_m;	/* never cut below: 1000 (ours) */
	uint32_t min_duration_s;	/* never cut below: 600 (ours) */
	double	 progress_pct;		/* 0.10 (RULES.md: caution > 10%) */
	int	 progress_days;		/* one step per: 7 (ours) */
	double	 plan_use_frac;		/* last run >= 0.8 x max (ours) */
	double	 weekly_caution;	/* 0.10 (RULES.md: Buist) */
	double	 weekly_warn;		/* 0.30 (RULES.md: Nielsen) */
	int	 acute_days;		/* EWMA N: 7 (RULES.md: Williams) */
	int	 chronic_days;		/* EWMA N: 28 (RULES.md: Williams) */
	int	 acwr_min_days;		/* history first: 28 (ours) */
	double	 acwr_high;		/* 1.3 (RULES.md: Gabbett) */
	double	 acwr_danger;		/* 1.5 (RULES.md: Gabbett) */
	double	 speed_step_mps;	/* 0.1 (ours) */
	double	 speed_cap_max_mps;	/* 5.0 (ours) */
	double	 grade_step_pct;	/* 1 (ours) */
	double	 grade_cap_max_pct;	/* 8 (ours) */
	/* First plan */
	uint32_t start_distance_m;	/* no history: 3000 (ours) */
	uint32_t start_duration_s;	/* no history: 1500 (ours) */
	double	 start_speed_cap_mps;	/* no history: 3.0 (ours) */
	double	 start_grade_pct;	/* 4 (ours) */
	double	 speed_cap_margin;	/* over usual speed: 0.10 (ours) */
	/* Tendon load figure: Minetti's ratio at band_grade (RULES.md),
	 * downhill as flat, x (v / ref)^exp (ours) */
	double	 load_speed_ref_mps;	/* 3.0 (ours) */
	double	 load_speed_exp;	/* 2 (ours) */
	double	 band_grade[FUSE_BANDS]; /* rise/run per band (ours) */
	/* Overstride and cadence */
	double	 flat_frac;		/* time in -2..2% or ungraded: 0.8 */
	int	 line_min_sessions;	/* flat runs for a line: 5 (ours) */
	double	 line_min_speed_sd;	/* m/s to fit a slope: 0.2 (ours) */
	double	 cad_slope;		/* spm per m/s: 9 (RULES.md 6-12) */
	double	 cad_slope_min;		/* 6 (RULES.md) */
	double	 cad_slope_max;		/* 12 (RULES.md) */
	double	 overstride_pct;	/* under the line: 0.05 (RULES.md) */
	double	 height_step_ratio;	/* step / height: 0.62 (ours) */
	double	 height_ref_mps;	/* at: 3.0 (ours) */
	double	 cadence_step_pct;	/* 0.05 (RULES.md: Heiderscheit) */
	double	 cadence_max_pct;	/* 0.10 in all (RULES.md) */
	int	 cadence_hold_days;	/* 14 (RULES.md: 1-2 weeks) */
	uint32_t cadence_tol_spm;	/* 3 (ours) */
	double	 cadence_sudden_pct;	/* over line and target: 0.07 (ours) */
};

#define RULES_SETTINGS_DEFAULT {					\
	.baseline_days = 28, .baseline_min_reports = 3,			\
	.flare_level_rise = 2, .flare_score_rise = 2,			\
	.flare_factor = 0.5, .flare_rest_days = 2, .fast_ratio = 1.05,	\
	.flare_speed_cut = 0.10, .hilly_frac = 0.10,			\
	.flare_grade_pct = 2.0,						\
	.stall_weeks = 3, .rest_min_days = 7, .rest_max_days = 14,	\
	.return_frac = 0.5, .return_speed_frac = 0.9,			\
	.return_grade_pct = 2.0, .return_days = 14,			\
	.rest_days = 1, .min_distance_m = 1000, .min_duration_s = 600,	\
	.progress_pct = 0.10, .progress_days = 7, .plan_use_frac = 0.8,	\
	.weekly_caution = 0.10, .weekly_warn = 0.30,			\
	.acute_days = 7, .chronic_days = 28, .acwr_min_days = 28,	\
	.acwr_high = 1.3, .acwr_danger = 1.5,				\
	.speed_step_mps = 0.1, .speed_cap_max_mps = 5.0,		\
	.grade_step_pct = 1.0, .grade_cap_max_pct = 8.0,		\
	.start_distance_m = 3000, .start_duration_s = 1500,		\
	.start_speed_cap_mps = 3.0, .start_grade_pct = 4.0,		\
	.speed_cap_margin = 0.10,					\
	.load_speed_ref_mps = 3.0, .load_speed_exp = 2.0,		\
	.band_grade = { 0.0, 0.0, 0.03, 0.06, 0.10 },			\
	.flat_frac = 0.8, .line_min_sessions = 5,			\
	.line_min_speed_sd = 0.2, .cad_slope = 9.0,			\
	.cad_slope_min = 6.0, .cad_slope_max = 12.0,			\
	.overstride_pct = 0.05, .height_step_ratio = 0.62,		\
	.height_ref_mps = 3.0, .cadence_step_pct = 0.05,		\
	.cadence_max_pct = 0.10, .cadence_hold_days = 14,		\
	.cadence_tol_spm = 3, .cadence_sudden_pct = 0.07		\
}

/* 0 if s is usable, else -1 with *why set to a static reason. For the
 * config check; rules_plan calls it too. */
int	rules_settings_check(const struct rules_settings *s, const char **why);

/*
 * The next plan. Returns 1 and fills *out with a new plan (version one above
 * the current one, issued at now_ms) when it differs in substance from
 * in->current (plan_differs) or there was none; 0 and *out = *in->current
 * when nothing changed (do not store or re-send); -1 if the input or the
 * settings are invalid (unsorted sessions, values out of range, a current
 * plan that fails plan_check), *out then zeroed.
 */
int	rules_plan(const struct rules_input *in, const struct rules_settings *s,
	    int64_t now_ms, struct plan *out);

/* Which way a plan's first reason moved it. */
enum rules_direction {
	RULES_HOLD = 0,		/* limits kept */
	RULES_PROGRESS,		/* limits raised */
	RULES_EASIER,		/* the next run much easier */
	RULES_REST,		/* relative rest */
	RULES_RETURN		/* graded return after rest */
};
enum rules_direction rules_direction_of(enum plan_reason first);
const char	*rules_direction_name(enum rules_direction);

/* The load picture at now, for the plan and for display. */
struct rules_loads {
	double	last;		/* the latest session's load */
	double	week;		/* sessions started in (now - 7 d, now] */
	double	prev_week;	/* (now - 14 d, now - 7 d] */
	double	week_ratio;	/* week / prev_week; 0 if prev_week is 0 */
	double	week_uphill_m;	/* distance above +2% in the week */
	double	week_uphill_s;	/* time above +2% in the week */
	double	acute;		/* EWMA, N = acute_days, per day */
	double	chronic;	/* EWMA, N = chronic_days, per day */
	double	acwr;		/* acute / chronic; 0 until acwr_min_days */
	int	history_days;	/* days since the oldest session used */
	/* Of the week's flat runs (rules_flat), the share whose cadence was
	 * overstride_pct or more under the runner's expected cadence (the
	 * test the plan applies to the last run). NaN if the week had no
	 * flat run or no expected cadence is known yet. Display only. */
	double	week_overstride;
};
/* Fill *out from the sessions of in; same validity rules as rules_plan. */
int	rules_loads(const struct rules_input *in,
	    const struct rules_settings *s, int64_t now_ms,
	    struct rules_loads *out);

/*
 * The tendon-load figure of one session, in "flat km at the reference
 * speed": each grade band's distance weighted by Minetti's cost ratio
 * C(i)/C(0) at the band's representative grade, times
 * (avg speed / load_speed_ref_mps)^load_speed_exp. docs/rules.md says why.
 */
double	rules_session_load(const struct session_summary *,
	    const struct rules_settings *);

/* Minetti et al. 2002: energy cost of running at grade i (rise/run,
 * clamped to -0.45..0.45), J/kg/m. */
double	rules_minetti_cost(double i);

#endif
