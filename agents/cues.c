/*
 * cues.c - live cues from the plan during a run (see cues.h).
 *
 * Pure: no I/O, no clock, no heap, no globals but constant tables. The
 * watch agent feeds it the samples it records and the runner's during-run
 * reports; it decides, the agent prints and counts what it returns.
 *
 * Stretches: a condition (cadence low, speed high, grade high) starts a
 * stretch at the first sample that shows it; the cue fires at the first
 * sample at least sustain_ms later, then again every repeat_ms while the
 * condition holds. A sample that does not show it, lacks the field, or comes
 * after a gap longer than max_gap_ms ends the stretch, so noise and dropouts
 * never add up to a cue.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cues.h"

static const char *const cue_names[CUE_COUNT] = {
	NULL, "cadence_low", "speed_high", "grade_high", "distance",
	"duration", "pain_stop", "rest_day"
};

const char *
cue_name(enum cue_kind k)
{
	if ((int)k <= 0 || k >= CUE_COUNT)
		return NULL;
	return cue_names[k];
}

void
cues_start(struct cues *c, const struct plan *plan,
    const struct cue_params *params)
{
	static const struct cue_params defaults = CUE_PARAMS_DEFAULT;

	memset(c, 0, sizeof(*c));
	c->p = params != NULL ? *params : defaults;
	c->stop = PLAN_STOP_PAIN;	/* pain stops a run, plan or not */
	if (plan == NULL || plan->version == 0)
		return;
	c->have_plan = 1;
	c->max_distance_m = plan->max_distance_m;
	c->max_duration_s = plan->max_duration_s;
	c->speed_cap_mps = plan->speed_cap_mps;
	c->max_grade_pct = plan->max_grade_pct;
	c->cad_target_spm = plan->cadence_target_spm;
	c->cad_tol_spm = plan->cadence_tol_spm;
	c->rest_until_ms = plan->rest_until_ms;
	c->stop |= plan->stop;
}

/* Emit one event into out[*n] and count it. */
static void
cues_emit(struct cues *c, struct cue_event *out, size_t cap, size_t *n,
    enum cue_kind k, int64_t t, double value, double limit, int stop)
{
	assert(*n < cap);
	if (*n >= cap)
		return;
	out[*n].kind = k;
	out[*n].t_ms = t;
	out[*n].value = value;
	out[*n].limit = limit;
	out[*n].stop = stop;
	(*n)++;
	c->count[k]++;
}

/* Advance a stretch; 1 if it cues at t. */
static int
cues_stretch(struct cue_stretch *st, int cond, int64_t t, int64_t sustain,
    int64_t repeat)
{
	if (!cond) {
		st->active = 0;
		return 0;
	}
	if (!st->active) {
		st->active = 1;
		st->since_ms = t;
		st->fired_ms = 0;
	}
	if (t - st->since_ms < sustain)
		return 0;
	if (st->fired_ms != 0 && t - st->fired_ms < repeat)
		return 0;
	st->fired_ms = t;
	return 1;
}

/* The session's distance: add each step of the device's cumulative count;
 * a drop is a counter reset (skipped), a step faster than any runner a
 * glitch (skipped). */
static void
cues_distance(struct cues *c, const struct stride_sample *s, int64_t dt_ms)
{
	double d;

	if (!(s->has & STRIDE_HAS_DIST) || !isfinite(s->dist_m))
		return;
	if (c->have_dist) {
		d = s->dist_m - c->last_dist_m;
		if (d > 0 && d <= STRIDE_SPD_MAX_MPS * (double)dt_ms / 1000.0)
			c->dist_m += d;
	}
	c->have_dist = 1;
	c->last_dist_m = s->dist_m;
}

size_t
cues_sample(struct cues *c, const struct stride_sample *s,
    struct cue_event *out, size_t cap)
{
	const struct cue_params	*p = &c->p;
	size_t			 n = 0;
	int64_t			 dt = 0;
	int			 moving, cond;

	assert(cap >= CUES_EVENTS_MAX);
	if (!c->started) {
		c->started = 1;
		c->t0_ms = s->t_ms;
		if (c->rest_until_ms != 0 && s->t_ms < c->rest_until_ms)
			cues_emit(c, out, cap, &n, CUE_REST_DAY, s->t_ms,
			    (double)s->t_ms, (double)c->rest_until_ms, 0);
	} else {
		if (s->t_ms <= c->last_t_ms)
			return 0;	/* late or repeated: already seen */
		dt = s->t_ms - c->last_t_ms;
		if (dt > p->max_gap_ms) {	/* a gap: no stretch spans it */
			c->cad.active = c->spd.active = c->grade.active = 0;
			dt = p->max_gap_ms;
		}
	}
	c->last_t_ms = s->t_ms;
	cues_distance(c, s, dt);

	moving = (s->has & STRIDE_HAS_SPD) ? s->spd_mps >= p->moving_mps :
	    ((s->has & STRIDE_HAS_CAD) && s->cad_spm > 0);
	cond = c->cad_target_spm != 0 && (s->has & STRIDE_HAS_CAD) && moving &&
	    s->cad_spm > 0 && (double)s->cad_spm + c->cad_tol_spm <
	    (double)c->cad_target_spm;
	if (cues_stretch(&c->cad, cond, s->t_ms, p->cadence_sustain_ms,
	    p->repeat_ms))
		cues_emit(c, out, cap, &n, CUE_CADENCE_LOW, s->t_ms, s->cad_spm,
		    c->cad_target_spm, 0);
	cond = c->have_plan && (s->has & STRIDE_HAS_SPD) &&
	    s->spd_mps > c->speed_cap_mps;
	if (cues_stretch(&c->spd, cond, s->t_ms, p->speed_sustain_ms,
	    p->repeat_ms))
		cues_emit(c, out, cap, &n, CUE_SPEED_HIGH, s->t_ms, s->spd_mps,
		    c->speed_cap_mps, 0);
	cond = c->have_plan && (s->has & STRIDE_HAS_GRADE) &&
	    s->grade_pct > c->max_grade_pct;
	if (cues_stretch(&c->grade, cond, s->t_ms, p->grade_sustain_ms,
	    p->repeat_ms))
		cues_emit(c, out, cap, &n, CUE_GRADE_HIGH, s->t_ms,
		    s->grade_pct, c->max_grade_pct, 0);

	if (!c->distance_done && c->max_distance_m > 0 &&
	    c->dist_m >= c->max_distance_m) {
		c->distance_done = 1;
		cues_emit(c, out, cap, &n, CUE_DISTANCE, s->t_ms, c->dist_m,
		    c->max_distance_m, (c->stop & PLAN_STOP_DISTANCE) != 0);
	}
	if (!c->duration_done && c->max_duration_s > 0 &&
	    s->t_ms - c->t0_ms >= (int64_t)c->max_duration_s * 1000) {
		c->duration_done = 1;
		cues_emit(c, out, cap, &n, CUE_DURATION, s->t_ms,
		    (double)(s->t_ms - c->t0_ms) / 1000.0, c->max_duration_s,
		    (c->stop & PLAN_STOP_DURATION) != 0);
	}
	return n;
}

size_t
cues_symptom(struct cues *c, int64_t t_ms, enum stride_level level,
    struct cue_event *out, size_t cap)
{
	size_t n = 0;

	if ((level == STRIDE_LEVEL_PAINFUL && (c->stop & PLAN_STOP_PAIN)) ||
	    (level == STRIDE_LEVEL_MUCH_AWARE &&
	    (c->stop & PLAN_STOP_MUCH_AWARE)))
		cues_emit(c, out, cap, &n, CUE_PAIN_STOP, t_ms, level,
		    STRIDE_LEVEL_AWARE, 1);
	return n;
}

int
cue_format(const struct cue_event *e, char *buf, size_t cap)
{
	const char *stop = e->stop ? " Stop here." : "";

	switch (e->kind) {
	case CUE_CADENCE_LOW:
		return snprintf(buf, cap, "Step rate %.0f/min, aim for %.0f: "
		    "shorter, quicker steps.", e->value, e->limit);
	case CUE_SPEED_HIGH:
		return snprintf(buf, cap, "Speed %.1f m/s is over your cap of "
		    "%.1f: ease off.", e->value, e->limit);
	case CUE_GRADE_HIGH:
		return snprintf(buf, cap, "Grade %.0f%% is over your cap of "
		    "%.0f%%: walk it or turn back.", e->value, e->limit);
	case CUE_DISTANCE:
		return snprintf(buf, cap, "Planned distance reached (%.1f km)."
		    "%s", e->limit / 1000.0, stop);
	case CUE_DURATION:
		return snprintf(buf, cap, "Planned time reached (%.0f min).%s",
		    e->limit / 60.0, stop);
	case CUE_PAIN_STOP:
		return snprintf(buf, cap, "The tendon says stop: stop "
		    "running now and walk home.");
	case CUE_REST_DAY:
		return snprintf(buf, cap, "Your plan says rest today: keep it "
		    "short and easy, or stop.");
	default:
		return snprintf(buf, cap, "?");
	}
}
