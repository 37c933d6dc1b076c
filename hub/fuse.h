/*
 * fuse.h - one runner's session from all their devices' samples.
 *
 * Pure: samples in, a summary out; no I/O, no clock. A foot pod and a watch
 * see the same run: the pod knows steps, the watch knows where and how steep.
 * We lay every device's samples on one timeline of 1 s bins and take each
 * field from the device best placed to measure it (cadence: foot pod first;
 * speed: watch first; grade and altitude: watch), so distance is integrated
 * once from the fused speed and never counted twice.
 *
 * The rules, in full (fuse.c's top comment says why):
 *  - A device's sample at t_i stands for [t_i, t_i+1) when the next sample
 *    comes within max_hold_ms. A sample followed by a longer gap (a pause),
 *    or by nothing, stands for the device's latest sampling interval within
 *    max_hold_ms (max_hold_ms while it has none).
 *  - Within one device a sample whose t is not after the previous accepted
 *    one is skipped (disorder, duplicates); so are samples with t outside the
 *    protocol's range and field values outside it (that field only).
 *  - A sample with dist but no spd gets its speed from distance deltas to its
 *    neighbour within max_hold_ms.
 *  - Timeline: from the earliest sample to the latest span end, at most
 *    FUSE_MAX_SPAN_MS; anything after that is not counted at all.
 *  - A bin weighs the time the best-covered device has speed in it (1 s
 *    inside a run, less at its edges); it moves when fused speed >=
 *    moving_mps. No speed, no movement: cadence alone never invents speed.
 *  - max_speed_mps is the largest 5-bin running median of fused speed, so
 *    a one-sample GPS spike does not become the session's maximum.
 */
#ifndef HUB_FUSE_H
#define HUB_FUSE_H

#include <stddef.h>
#include <stdint.h>
#include "stride/protocol.h"

/* Gradient bands, percent: < -2, -2..2, 2..4, 4..8, > 8. Each band holds its
 * lower edge: -2 is band 1, 2 band 2, 4 band 3, 8 band 4. */
#define FUSE_BANDS 5
extern const double fuse_band_edges_pct[FUSE_BANDS - 1]; /* -2, 2, 4, 8 */

/* The longest timeline fused: 24 h of 1 s bins (about 7 MB at most). A
 * session claiming more is cut here, so a device with a wild clock cannot
 * make the hub allocate without bound. */
#define FUSE_MAX_SPAN_MS	(24LL * 3600 * 1000)

struct fuse_params {
	int64_t	max_hold_ms;	/* a sample stands for at most this long: 10000;
				 * clamped to 1..FUSE_MAX_SPAN_MS */
	double	moving_mps;	/* a bin counts as moving at or above: 0.5 */
};
#define FUSE_PARAMS_DEFAULT { 10000, 0.5 }

/* One device's samples, sorted by t_ms (the fuser tolerates disorder and
 * duplicates by skipping them, never by failing). */
struct fuse_input {
	enum stride_role		role;
	const struct stride_sample	*s;
	size_t				n;
};

struct session_summary {
	int64_t		start_ms;	/* first sample */
	int64_t		end_ms;		/* last sample's span end (capped) */
	double		moving_s;	/* seconds in moving bins */
	double		distance_m;	/* integral of fused speed over moving bins */
	double		avg_speed_mps;	/* distance / moving time */
	double		max_speed_mps;	/* largest 5-bin median of fused speed */
	double		avg_cadence_spm; /* over moving bins that have cadence */
	double		avg_step_m;	/* distance / steps over bins with cadence */
	double		band_s[FUSE_BANDS];	/* moving time per grade band */
	double		band_m[FUSE_BANDS];	/* distance per grade band */
	double		ungraded_s;	/* moving time with no grade known */
	uint32_t	samples;	/* samples used, all devices */
	uint32_t	devices;	/* devices that contributed */
};
/* Invariant: sum(band_s) + ungraded_s == moving_s, sum(band_m) <= distance_m. */

/*
 * Fuse ndev devices' samples into *out. p may be NULL for the defaults.
 * Returns 0, or -1 if there is nothing to fuse (no usable sample at all) or
 * memory ran out; *out is zeroed first. Reads dev only during the call.
 */
int	fuse_session(const struct fuse_input *dev, size_t ndev,
	    const struct fuse_params *p, struct session_summary *out);

/* The band index 0..FUSE_BANDS-1 of a grade in percent (NaN: band 1). */
int	fuse_band(double grade_pct);

#endif
