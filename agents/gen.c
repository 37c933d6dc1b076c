/*
 * gen.c - see gen.h.
 *
 * Model, per second i (numbers chosen to look like a real easy run; they
 * are not physiology):
 *   speed   = v0 * warm-up ramp * slow drift (+-3 %) * grade factor
 *             * (1 + smooth noise), where the grade factor slows 2.5 % per
 *             percent uphill and speeds up 1.2 % per percent downhill
 *             (capped at 10 %);
 *   cadence = c0 + 7 spm per m/s above v0 + 0.6 spm per percent uphill
 *             + smooth noise (natural cadence rises 6-12 spm per m/s and
 *             on climbs: see docs/agent.md);
 *   course  = hills laid out along the distance, each a sine-shaped climb
 *             and an equal descent, so altitude comes back where it began.
 * The PRNG is splitmix64: tiny, fast, and good enough for noise.
 */
#include <assert.h>
#include <math.h>
#include <stddef.h>

#include "gen.h"

#define GEN_PI			3.14159265358979323846
#define GEN_RAMP_S		20	/* warm-up: from 75 % of v0 to v0 */
#define GEN_SPD_MIN_MPS		0.3
#define GEN_SPD_CAP_MPS		11.5	/* below STRIDE_SPD_MAX_MPS, noise too */
#define GEN_CAD_FLOOR_SPM	60.0
#define GEN_CAD_CEIL_SPM	250.0

static uint64_t
gen_rng(uint64_t *s)
{
	uint64_t z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
gen_uniform(uint64_t *s)
{
	return (double)(gen_rng(s) >> 11) * 0x1.0p-53;
}

/* Roughly normal, mean 0, sd 1, bounded to +-3.47: bounded noise keeps
 * every output provably inside the protocol's ranges. */
static double
gen_gauss(uint64_t *s)
{
	double	sum = 0;
	int	k;

	for (k = 0; k < 4; k++)
		sum += gen_uniform(s);
	return (sum - 2.0) * 1.7320508075688772;
}

static double
gen_clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

int
gen_init(struct gen *g, const struct gen_params *p, const char **why)
{
	double		v0, est_m, lo_m, slot_m, half_m;
	uint32_t	k;
	uint64_t	mix;

	if (p->duration_s < 1 || p->duration_s > GEN_DURATION_MAX_S) {
		*why = "duration out of range (1..43200 s)";
		return -1;
	}
	if (!(p->pace_s_per_km >= GEN_PACE_MIN_S_PER_KM &&
	    p->pace_s_per_km <= GEN_PACE_MAX_S_PER_KM)) {
		*why = "pace out of range (150..900 s/km)";
		return -1;
	}
	if (!(p->cadence_spm >= GEN_CAD_MIN_SPM &&
	    p->cadence_spm <= GEN_CAD_MAX_SPM)) {
		*why = "cadence out of range (120..220 spm)";
		return -1;
	}
	if (p->hills > GEN_HILLS_MAX) {
		*why = "too many hills (at most 32)";
		return -1;
	}
	if (p->role != STRIDE_ROLE_FOOTPOD && p->role != STRIDE_ROLE_WATCH) {
		*why = "role must be footpod or watch";
		return -1;
	}
	if (p->start_ms < STRIDE_T_MIN_MS || p->start_ms >
	    STRIDE_T_MAX_MS - (int64_t)p->duration_s * 1000) {
		*why = "start time out of range (years 2000..2100)";
		return -1;
	}

	*g = (struct gen){ .p = *p };
	g->truth_rng = p->seed;
	/* A stream per role, unrelated to the truth's and to each other. */
	mix = p->seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(p->role + 1));
	g->sensor_rng = gen_rng(&mix);

	g->alt0_m = 20.0 + 380.0 * gen_uniform(&g->truth_rng);
	g->drift_period_s = 600.0 + 600.0 * gen_uniform(&g->truth_rng);
	g->drift_phase = 2.0 * GEN_PI * gen_uniform(&g->truth_rng);

	/* Hills go in equal slots of the course between 8 % and 85 % of the
	 * distance expected on the flat, so a slower day still reaches the
	 * first ones; each takes at most 80 % of its slot. */
	v0 = 1000.0 / p->pace_s_per_km;
	est_m = v0 * p->duration_s;
	lo_m = 0.08 * est_m;
	slot_m = p->hills > 0 ? (0.85 - 0.08) * est_m / p->hills : 0;
	for (k = 0; k < p->hills; k++) {
		half_m = 100.0 + 300.0 * gen_uniform(&g->truth_rng);
		if (half_m > 0.4 * slot_m)
			half_m = 0.4 * slot_m;
		g->hill[k].half_m = half_m;
		g->hill[k].start_m = lo_m + k * slot_m +
		    gen_uniform(&g->truth_rng) * (slot_m - 2.0 * half_m);
		g->hill[k].peak_pct = 3.0 + 7.0 * gen_uniform(&g->truth_rng);
	}
	return 0;
}

double
gen_grade_at(const struct gen *g, double d_m)
{
	const struct gen_hill *h;
	double		x;
	uint32_t	k;

	for (k = 0; k < g->p.hills; k++) {
		h = &g->hill[k];
		x = d_m - h->start_m;
		if (h->half_m <= 0 || x < 0 || x >= 2.0 * h->half_m)
			continue;
		if (x < h->half_m)
			return h->peak_pct * sin(GEN_PI * x / h->half_m);
		return -h->peak_pct * sin(GEN_PI * (x - h->half_m) / h->half_m);
	}
	return 0;
}

double
gen_alt_at(const struct gen *g, double d_m)
{
	const struct gen_hill *h;
	double		alt = g->alt0_m, x, rise;
	uint32_t	k;

	/* The integral of gen_grade_at: each climb rises by
	 * peak * 2 * half / pi and its descent gives it all back. */
	for (k = 0; k < g->p.hills; k++) {
		h = &g->hill[k];
		x = d_m - h->start_m;
		if (h->half_m <= 0 || x <= 0 || x >= 2.0 * h->half_m)
			continue;
		rise = h->peak_pct / 100.0 * h->half_m / GEN_PI;
		if (x < h->half_m)
			alt += rise * (1.0 - cos(GEN_PI * x / h->half_m));
		else
			alt += 2.0 * rise - rise *
			    (1.0 - cos(GEN_PI * (x - h->half_m) / h->half_m));
	}
	return alt;
}

int
gen_next(struct gen *g, struct stride_sample *out)
{
	double	v0, v, cad, grade, ramp, drift, gf, spd;

	if (g->i >= g->p.duration_s)
		return 0;

	/* The truth: every draw here happens for every role alike. */
	v0 = 1000.0 / g->p.pace_s_per_km;
	grade = gen_grade_at(g, g->course_m);
	ramp = g->i < GEN_RAMP_S ? 0.75 + 0.25 * g->i / GEN_RAMP_S : 1.0;
	drift = 0.03 * sin(2.0 * GEN_PI * g->i / g->drift_period_s +
	    g->drift_phase);
	gf = grade >= 0 ? 1.0 - 0.025 * grade :
	    1.0 + 0.012 * gen_clamp(-grade, 0, 10);
	g->spd_noise = 0.9 * g->spd_noise + 0.01 * gen_gauss(&g->truth_rng);
	v = gen_clamp(v0 * ramp * (1.0 + drift) * gf * (1.0 + g->spd_noise),
	    GEN_SPD_MIN_MPS, GEN_SPD_CAP_MPS);
	g->cad_noise = 0.8 * g->cad_noise + 0.6 * gen_gauss(&g->truth_rng);
	cad = gen_clamp(g->p.cadence_spm + 7.0 * (v - v0) +
	    0.6 * (grade > 0 ? grade : 0) + g->cad_noise,
	    GEN_CAD_FLOOR_SPM, GEN_CAD_CEIL_SPM);

	/* The measurement. */
	*out = (struct stride_sample){
		.t_ms = g->p.start_ms + (int64_t)g->i * 1000,
		.dist_m = g->dist_m,
		.has = STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST
	};
	if (g->p.role == STRIDE_ROLE_FOOTPOD) {
		spd = v * GEN_FOOTPOD_CAL *
		    (1.0 + 0.005 * gen_gauss(&g->sensor_rng));
		out->cad_spm = (float)round(cad);
	} else {
		assert(g->p.role == STRIDE_ROLE_WATCH);
		g->gps_noise = 0.85 * g->gps_noise +
		    0.05 * gen_gauss(&g->sensor_rng);
		spd = v + g->gps_noise;
		g->alt_noise = 0.9 * g->alt_noise +
		    0.15 * gen_gauss(&g->sensor_rng);
		out->alt_m = (float)(gen_alt_at(g, g->course_m) +
		    g->alt_noise);
		out->grade_pct = (float)gen_clamp(grade +
		    0.3 * gen_gauss(&g->sensor_rng),
		    -STRIDE_GRADE_MAX_PCT, STRIDE_GRADE_MAX_PCT);
		out->cad_spm = (float)round(gen_clamp(cad +
		    2.0 * gen_gauss(&g->sensor_rng),
		    GEN_CAD_FLOOR_SPM, GEN_CAD_CEIL_SPM));
		out->has |= STRIDE_HAS_ALT | STRIDE_HAS_GRADE;
	}
	spd = gen_clamp(spd, 0, STRIDE_SPD_MAX_MPS);
	out->spd_mps = (float)spd;

	g->dist_m += spd;
	g->course_m += v;
	g->i++;
	return 1;
}
