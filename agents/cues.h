/*
 * cues.h - live cues: the watch applies its plan during a run, alone.
 *
 * Pure: samples and symptom reports in, cue events out; no I/O, no clock
 * (times come from the samples), no heap. The agent prints or logs each
 * event (cue_format) and reports the per-session counts to the hub.
 *
 * Cues, each at its boundary and not before:
 *  - CUE_CADENCE_LOW: moving with cadence below target - tolerance for a
 *    sustained stretch (cadence_sustain_ms);
 *  - CUE_SPEED_HIGH: speed above the cap for speed_sustain_ms;
 *  - CUE_GRADE_HIGH: uphill grade above the cap for grade_sustain_ms;
 *    a condition that persists cues again every repeat_ms; a sample that
 *    lacks the field, or a gap longer than max_gap_ms, breaks the stretch;
 *  - CUE_DISTANCE / CUE_DURATION: max distance / time reached, once;
 *    a stop cue when the plan's stop conditions say so;
 *  - CUE_PAIN_STOP: a during-run report of pain (or of "much more aware"
 *    when the plan says so): always a stop cue;
 *  - CUE_REST_DAY: the run started before the plan's rest_until, once.
 * With a plan the speed and grade caps always apply (a 0% grade cap means
 * no climbing); a 0 distance or duration limit means none.
 * Distance is the session's own: increments of the device's cumulative
 * distance, a reset of the counter skipped. Time is elapsed time since the
 * first sample (pauses count: the conservative reading).
 * Not thread-safe: one struct cues per session, one thread.
 */
#ifndef AGENT_CUES_H
#define AGENT_CUES_H

#include <stddef.h>
#include <stdint.h>
#include "stride/plan.h"
#include "stride/protocol.h"

enum cue_kind {
	CUE_NONE = 0,
	CUE_CADENCE_LOW,
	CUE_SPEED_HIGH,
	CUE_GRADE_HIGH,
	CUE_DISTANCE,
	CUE_DURATION,
	CUE_PAIN_STOP,
	CUE_REST_DAY,
	CUE_COUNT
};
#define CUES_EVENTS_MAX	(CUE_COUNT - 1)	/* events one call can return */

struct cue_params {
	int64_t	cadence_sustain_ms;	/* 30000 (ours) */
	int64_t	speed_sustain_ms;	/* 10000 (ours) */
	int64_t	grade_sustain_ms;	/* 15000: GPS grade is noisy (ours) */
	int64_t	repeat_ms;		/* 60000: a persisting cue again */
	int64_t	max_gap_ms;		/* 10000: as fuse's max_hold_ms */
	double	moving_mps;		/* 0.5: as fuse's moving_mps */
};
#define CUE_PARAMS_DEFAULT { 30000, 10000, 15000, 60000, 10000, 0.5 }

struct cue_event {
	enum cue_kind	kind;
	int64_t		t_ms;	/* sample or report time */
	double		value;	/* what was measured (level for pain) */
	double		limit;	/* the plan's limit */
	int		stop;	/* 1: the plan says end the run */
};

/* A condition held over time. */
struct cue_stretch {
	int	active;
	int64_t	since_ms;	/* first sample of the stretch */
	int64_t	fired_ms;	/* last cue in this stretch; 0: none */
};

struct cues {
	struct cue_params	p;
	/* the plan's limits, copied at cues_start */
	int			have_plan;
	uint32_t		max_distance_m;
	uint32_t		max_duration_s;
	double			speed_cap_mps;
	double			max_grade_pct;
	uint32_t		cad_target_spm;
	uint32_t		cad_tol_spm;
	int64_t			rest_until_ms;
	uint32_t		stop;
	/* the session so far */
	int			started;
	int64_t			t0_ms, last_t_ms;
	int			have_dist;
	double			last_dist_m, dist_m;
	struct cue_stretch	cad, spd, grade;
	int			distance_done, duration_done;
	uint32_t		count[CUE_COUNT];	/* per session */
};

/* Start a session under plan (NULL or version 0: no plan, no cues but
 * pain). Counts are zeroed. params NULL: CUE_PARAMS_DEFAULT. */
void	cues_start(struct cues *, const struct plan *plan,
	    const struct cue_params *params);

/* One sample, in time order (older or equal times are ignored). Writes up
 * to cap events (cap >= CUES_EVENTS_MAX) and returns how many. */
size_t	cues_sample(struct cues *, const struct stride_sample *s,
	    struct cue_event *out, size_t cap);

/* A during-run symptom report at t_ms. Returns 0 or 1 events. */
size_t	cues_symptom(struct cues *, int64_t t_ms, enum stride_level level,
	    struct cue_event *out, size_t cap);

/* Stable names ("cadence_low", ...), NULL out of range. */
const char	*cue_name(enum cue_kind);

/* A line for the runner, e.g. "step rate 158/min, aim for 172: shorter,
 * quicker steps". Returns snprintf's value. */
int	cue_format(const struct cue_event *, char *buf, size_t cap);

#endif
