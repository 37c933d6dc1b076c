/*
 * plan.h - the training plan as devices see it: part of the hub-device
 * contract, like protocol.h.
 *
 * The hub's rules (hub/rules.c) compute a plan for a runner's next session;
 * the hub publishes it, retained, on <prefix>/v1/<runner>/<device>/plan; the
 * watch applies it during a run with no hub (agents/cues.c). docs/rules.md
 * explains every field and every reason code.
 *
 * The JSON form (plan_encode/plan_decode) is canonical: fixed key order,
 * fixed number resolution, printable ASCII only, no escapes, so the same
 * plan is always the same bytes (issue 4 seals exactly these bytes):
 *
 *   {"v":1,"ver":3,"at":ms,"phase":"normal","phase_since":ms,
 *    "dist":4500,"dur":1800,"spd":3.2,"grade":4,"cad":172,"cad_tol":3,
 *    "cad_base":164,"cad_since":ms,"rest":1,"rest_until":ms,
 *    "load_since":ms,"stop":["pain","distance","duration"],
 *    "text":"...","why":[{"code":"SYMPTOM_FLARE","text":"..."}]}
 *
 * Every key is required; unknown keys are ignored; unknown stop names are
 * ignored (a newer hub may add one; an older watch cannot enforce it but
 * still keeps the limits it knows); an unknown reason code decodes as
 * PLAN_R_UNKNOWN with its sentence kept. Times are Unix ms (0 = none).
 */
#ifndef STRIDE_PLAN_H
#define STRIDE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_WIRE_VERSION	1	/* "v" */
#define PLAN_TEXT_MAX		200	/* bytes of the runner's text, no NUL */
#define PLAN_REASON_TEXT_MAX	160	/* bytes of one reason's sentence */
#define PLAN_REASONS_MAX	8	/* reasons in one plan */
#define PLAN_CODE_MAX		24	/* chars of a reason code on the wire */
#define PLAN_JSON_MAX		3072	/* bytes of an encoded plan (fits a
					   sealed 4096-byte payload) */
#define PLAN_JSON_DEPTH_MAX	3	/* object > "why" array > reason */

/* Ranges a decoded plan must be in, inclusive. */
#define PLAN_DIST_MAX_M		100000	/* 100 km */
#define PLAN_DUR_MAX_S		86400	/* a day */
#define PLAN_SPD_MAX_MPS	12.0	/* = STRIDE_SPD_MAX_MPS */
#define PLAN_GRADE_MAX_PCT	45.0	/* = STRIDE_GRADE_MAX_PCT */
#define PLAN_CAD_MIN_SPM	100	/* a cadence target, when set */
#define PLAN_CAD_MAX_SPM	300
#define PLAN_CAD_TOL_MAX_SPM	30
#define PLAN_REST_DAYS_MAX	28

/* Wire resolution of the fractional fields. */
#define PLAN_SPD_SCALE		100.0	/* 0.01 m/s */
#define PLAN_GRADE_SCALE	10.0	/* 0.1 % */

/* Where the runner is in their recovery (docs/rules.md, "Phases"). */
enum plan_phase {
	PLAN_PHASE_NONE = 0,	/* not on the wire: "no plan yet" */
	PLAN_PHASE_NORMAL,	/* "normal": run within the limits, progress */
	PLAN_PHASE_REST,	/* "rest": relative rest until rest_until */
	PLAN_PHASE_RETURN,	/* "return": graded return, short flat easy */
	PLAN_PHASE_COUNT
};

/* Stop conditions: what ends a run (the watch cues "stop"). */
enum {
	PLAN_STOP_PAIN = 1 << 0,	/* "pain": a during-run pain report */
	PLAN_STOP_MUCH_AWARE = 1 << 1,	/* "much_aware": much more aware
					   during the run */
	PLAN_STOP_DISTANCE = 1 << 2,	/* "distance": max distance reached */
	PLAN_STOP_DURATION = 1 << 3,	/* "duration": max duration reached */
	PLAN_STOP_ALL = (1 << 4) - 1
};

/*
 * Why the plan is what it is: stable codes, spelled on the wire as below.
 * The first reason of a plan is the decision (see rules.h for the
 * direction each one means); the others are caps and warnings. Append
 * only: a code's name never changes.
 */
enum plan_reason {
	PLAN_R_UNKNOWN = 0,	/* a code this build does not know */
	PLAN_R_START,		/* "START" */
	PLAN_R_SYMPTOM_FLARE,	/* "SYMPTOM_FLARE" */
	PLAN_R_SYMPTOM_PAIN,	/* "SYMPTOM_PAIN" */
	PLAN_R_DURING_RUN_PAIN,	/* "DURING_RUN_PAIN" */
	PLAN_R_SYMPTOM_RISE,	/* "SYMPTOM_RISE" */
	PLAN_R_SYMPTOM_SETTLED,	/* "SYMPTOM_SETTLED" */
	PLAN_R_NO_REPORT,	/* "NO_REPORT" */
	PLAN_R_STALLED,		/* "STALLED" */
	PLAN_R_REST_EXTENDED,	/* "REST_EXTENDED" */
	PLAN_R_GRADED_RETURN,	/* "GRADED_RETURN" */
	PLAN_R_RETURN_COMPLETE,	/* "RETURN_COMPLETE" */
	PLAN_R_PROGRESS,	/* "PROGRESS" */
	PLAN_R_PROGRESS_WAIT,	/* "PROGRESS_WAIT" */
	PLAN_R_PLAN_NOT_REACHED, /* "PLAN_NOT_REACHED" */
	PLAN_R_WEEKLY_CAUTION,	/* "WEEKLY_CAUTION" */
	PLAN_R_WEEKLY_JUMP,	/* "WEEKLY_JUMP" */
	PLAN_R_ACWR_HIGH,	/* "ACWR_HIGH" */
	PLAN_R_ACWR_DANGER,	/* "ACWR_DANGER" */
	PLAN_R_SPEED_CAPPED,	/* "SPEED_CAPPED" */
	PLAN_R_HILLS_CAPPED,	/* "HILLS_CAPPED" */
	PLAN_R_OVERSTRIDE,	/* "OVERSTRIDE" */
	PLAN_R_CADENCE_STEP,	/* "CADENCE_STEP" */
	PLAN_R_CADENCE_KEEP,	/* "CADENCE_KEEP" */
	PLAN_R_CADENCE_SUDDEN,	/* "CADENCE_SUDDEN" */
	PLAN_R_COUNT
};

struct plan_reason_item {
	enum plan_reason code;
	char		text[PLAN_REASON_TEXT_MAX + 1];	/* for the runner */
};

/*
 * The next session's prescription and the state the rules carry from one
 * plan to the next. Distances in metres, durations in seconds.
 */
struct plan {
	uint32_t	version;	/* 0: none yet; +1 per change */
	int64_t		issued_ms;	/* hub time the plan was made */
	enum plan_phase	phase;
	int64_t		phase_since_ms;	/* when the phase began */
	uint32_t	max_distance_m;	/* next session, 0..PLAN_DIST_MAX_M */
	uint32_t	max_duration_s;	/* next session, 0..PLAN_DUR_MAX_S */
	double		speed_cap_mps;	/* 0.01 resolution */
	double		max_grade_pct;	/* uphill cap, 0.1 resolution */
	uint32_t	cadence_target_spm; /* 0: no target */
	uint32_t	cadence_tol_spm;    /* cue below target - tol */
	uint32_t	cadence_base_spm;   /* the runner's own cadence the
					       target builds on; 0: none */
	int64_t		cadence_since_ms;   /* target last changed; 0: never */
	uint32_t	rest_days;	/* rest days before the next session */
	int64_t		rest_until_ms;	/* no run before this; 0: none */
	int64_t		load_since_ms;	/* load limits last changed */
	uint32_t	stop;		/* PLAN_STOP_* */
	char		text[PLAN_TEXT_MAX + 1];	/* printable ASCII */
	uint32_t	nreasons;
	struct plan_reason_item reasons[PLAN_REASONS_MAX];
};

/* Wire names; NULL / *_NONE / PLAN_R_UNKNOWN for anything else. */
const char	*plan_phase_name(enum plan_phase);
enum plan_phase	 plan_phase_parse(const char *);
const char	*plan_reason_name(enum plan_reason);
enum plan_reason plan_reason_parse(const char *);
const char	*plan_stop_name(uint32_t bit);	/* one PLAN_STOP_* bit */

/* 1 if s is 0..max bytes of printable ASCII other than '"' and '\\'
 * (so the JSON form needs no escapes), else 0. */
int	plan_text_valid(const char *s, size_t max);

/* 0 if p is a plan that can go on the wire (version >= 1, every field in
 * range, texts valid), else -1 with *why set to a static reason. */
int	plan_check(const struct plan *p, const char **why);

/*
 * Encode p as compact canonical JSON into buf with a terminating NUL.
 * Returns the length without the NUL (<= PLAN_JSON_MAX), or -1 if p fails
 * plan_check or buf is too small. The same plan always gives the same bytes.
 */
int	plan_encode(const struct plan *p, char *buf, size_t cap);

/*
 * Decode hostile buf[0..len) (need not be NUL-terminated; never read past
 * len). Returns 0 and fills *out, or -1 with *why set to a static reason;
 * *out is zeroed first either way.
 */
int	plan_decode(const void *buf, size_t len, struct plan *out,
	    const char **why);

/*
 * 1 if a and b differ in substance, 0 if not: every field but version and
 * issued_ms, fractional fields compared at wire resolution. A plan that
 * does not differ from the one the devices have is not re-sent.
 */
int	plan_differs(const struct plan *a, const struct plan *b);

#endif
