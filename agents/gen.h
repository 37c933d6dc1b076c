/*
 * gen.h - a synthetic run, one sample per second, as a foot pod or a watch
 * would report it.
 *
 * Pure: no I/O, no clock, no heap, no globals; deterministic for a seed.
 * The generator first simulates the run itself (the "truth": a course with
 * smooth hills laid out along the distance, a runner whose speed eases on
 * climbs and whose cadence rises with speed and uphill), then measures it
 * as the role's sensor would:
 *   - foot pod: cadence, speed and distance, the speed with a calibration
 *     error (GEN_FOOTPOD_CAL) and a little noise; no grade, no altitude.
 *   - watch: GPS speed and distance (noisier), barometric altitude, grade,
 *     and a noisy wrist cadence.
 * The truth draws from its own PRNG stream, each role's sensor from
 * another, so a foot pod and a watch given the same parameters (seed,
 * start) describe the same run and the hub can fuse them.
 *
 * Every value stays inside the ranges of protocol.h, for any valid
 * parameters. Distance is the integral of the role's own speed: sample i
 * holds dist = sum of spd over samples 0..i-1 (a sample's speed stands for
 * the second after it), so sample 0 has dist 0.
 */
#ifndef AGENT_GEN_H
#define AGENT_GEN_H

#include <stdint.h>
#include "stride/protocol.h"

#define GEN_DURATION_MAX_S	43200	/* 12 h: keeps dist far below the cap */
#define GEN_PACE_MIN_S_PER_KM	150.0	/* 2:30 /km */
#define GEN_PACE_MAX_S_PER_KM	900.0	/* 15:00 /km, a brisk walk */
#define GEN_CAD_MIN_SPM		120.0
#define GEN_CAD_MAX_SPM		220.0
#define GEN_HILLS_MAX		32
#define GEN_FOOTPOD_CAL		1.02	/* an uncalibrated pod reads 2% fast */

struct gen_params {
	int64_t		start_ms;	/* device time of sample 0, Unix ms */
	uint32_t	duration_s;	/* samples, one per second: 1.. */
	double		pace_s_per_km;	/* settled pace on the flat */
	double		cadence_spm;	/* cadence at that pace on the flat */
	uint32_t	hills;		/* up-and-down sections: 0..GEN_HILLS_MAX */
	uint64_t	seed;
	enum stride_role role;
};

/* Defaults for everything but start_ms and role. */
#define GEN_PARAMS_DEFAULT { 0, 1800, 330.0, 170.0, 2, 1, STRIDE_ROLE_UNKNOWN }

struct gen_hill {
	double		start_m;	/* course distance where the climb starts */
	double		half_m;		/* length of the climb, and of the descent */
	double		peak_pct;	/* steepest grade, at mid-climb */
};

/* The generator's state. Plain data: copy it to fork a run. */
struct gen {
	struct gen_params p;
	struct gen_hill	hill[GEN_HILLS_MAX];
	double		alt0_m;		/* altitude at the start */
	double		drift_period_s;	/* slow swing of the runner's pace */
	double		drift_phase;
	uint64_t	truth_rng;	/* the run itself */
	uint64_t	sensor_rng;	/* this role's measurement noise */
	uint32_t	i;		/* next sample */
	double		course_m;	/* true distance covered */
	double		dist_m;		/* the role's measured distance */
	double		spd_noise;	/* AR(1) states, so noise is smooth */
	double		cad_noise;
	double		gps_noise;
	double		alt_noise;
};

/*
 * Check p and lay out the run in *g. Returns 0, or -1 with *why set to a
 * static reason (out-of-range parameter, or a run that would leave the
 * protocol's time range).
 */
int	gen_init(struct gen *g, const struct gen_params *p, const char **why);

/* Write the next sample to *out. Returns 1, or 0 once duration_s samples
 * have been produced. */
int	gen_next(struct gen *g, struct stride_sample *out);

/* The course's grade (percent) and altitude (m) at course distance d_m:
 * the truth both roles measure; exposed for the tests. */
double	gen_grade_at(const struct gen *g, double d_m);
double	gen_alt_at(const struct gen *g, double d_m);

#endif
