/*
 * fuse.c - see fuse.h: fuse a runner's devices into one session summary.
 *
 * Pure: no I/O, no clock, no globals but the const tables below. Allocates
 * one array of bins per call and frees it before returning. Thread-safe.
 *
 * How it works, in three passes:
 *  1. Walk every device's spans (struct fuse_iter) to find the timeline:
 *     earliest sample to latest span end, cut at FUSE_MAX_SPAN_MS.
 *  2. Walk them again and spread each span's values over the 1 s bins it
 *     overlaps, weighted by the milliseconds of overlap. Per bin and per
 *     field only the best-ranked source is kept (fuse_rank); sources of equal
 *     rank are averaged. Each bin also keeps the most milliseconds of speed
 *     any single device gave it: the bin's weight. Taking the maximum and not
 *     the sum is what keeps two devices from doubling distance.
 *  3. Sum the moving bins into the summary.
 *
 * Design notes:
 *  - The span rule: a sample stands for [t_i, t_i+1) when the next sample
 *    follows within max_hold_ms. Before a longer gap (a pause) or at the end,
 *    it stands for the device's latest sampling interval within max_hold_ms
 *    (max_hold_ms itself while it has none). Holding a full max_hold_ms
 *    there, as a literal reading would, adds up to 9 s of phantom running to
 *    a 1 Hz recording at every pause and at the end; the latest interval is
 *    what the device itself says a sample is worth. Sparse recordings (one
 *    sample per 5 s) are covered because their interval is within
 *    max_hold_ms; sparser ones (every 12 s with a 10 s hold) count 10 s of
 *    every 12.
 *  - Bin weight: a bin inside a run weighs 1 s; edge bins (start, end,
 *    around pauses, clock offsets between devices) weigh the covered part, so
 *    moving_s is exact for a single device and within a second or two per
 *    edge for several. Every moving sum uses the same weight, so
 *    sum(band_s) + ungraded_s == moving_s exactly.
 *  - Speed from distance: a sample with dist but no usable spd takes the
 *    forward difference to the next sample (the span it stands for), else
 *    the backward difference from the previous one, both only within
 *    max_hold_ms and only when distance grows; a result above
 *    STRIDE_SPD_MAX_MPS (a GPS jump) is dropped.
 *  - Cadence of 0 in a moving bin is a sensor dropout, not a gait: such bins
 *    count neither for avg cadence nor for step length.
 *  - max speed: the largest centred 5-bin median of fused speed (over the
 *    bins in the window that have speed). A lone spike of one or two bins
 *    never wins; a sustained effort of three bins or more does. A spiky
 *    sample of a sparse (5 s) recording spans 5 bins and is not smoothed:
 *    smoothing samples rather than bins would need per-device state we do
 *    not otherwise keep.
 *  - Hostile input: sample times outside the protocol's range are skipped
 *    whole; field values that are not finite or outside the protocol's range
 *    are ignored; roles outside the enum count as unknown; max_hold_ms is
 *    clamped to 1..FUSE_MAX_SPAN_MS. The timeline starts at the earliest
 *    sample, so a device whose clock jumps years ahead only loses what falls
 *    past 24 h; nothing there is counted (not even in `samples`).
 *  - Altitude is not summarised (the summary has no field for it); grade is
 *    taken as the devices report it.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuse.h"

const double fuse_band_edges_pct[FUSE_BANDS - 1] = { -2.0, 2.0, 4.0, 8.0 };

#define FUSE_BIN_MS	1000

enum { FUSE_CAD, FUSE_SPD, FUSE_GRADE, FUSE_NFIELDS };

/* The rank of each role as the source of each field: lower wins. */
static const int fuse_rank[FUSE_NFIELDS][STRIDE_ROLE_COUNT] = {
	/*		  unknown	footpod	watch */
	[FUSE_CAD] =	{ 2,		0,	1 },
	[FUSE_SPD] =	{ 2,		1,	0 },
	[FUSE_GRADE] =	{ 1,		1,	0 },
};

/* One field in one bin: the time-weighted mean of its best sources. */
struct fuse_acc {
	double	wsum;		/* value * ms */
	double	ms;		/* ms behind wsum; 0: no value yet */
	int	rank;		/* rank of wsum's sources, when ms > 0 */
};

struct fuse_bin {
	struct fuse_acc	f[FUSE_NFIELDS];
	size_t		spd_dev;	/* device index + 1 counting spd_dev_ms */
	int32_t		spd_dev_ms;	/* that device's speed ms in this bin */
	int32_t		spd_cov_ms;	/* most speed ms of any device: weight */
};

/* What one sample stands for: [a_ms, b_ms) and its usable values. */
struct fuse_span {
	int64_t		a_ms, b_ms;
	double		v[FUSE_NFIELDS];
	unsigned	has;		/* bit f: v[f] is usable */
};

/* A walk over one device's accepted samples, one span at a time. */
struct fuse_iter {
	const struct fuse_input		*in;
	size_t				 next;	/* first index not looked at */
	const struct stride_sample	*prev, *cur;
	int64_t				 period_ms; /* latest gap within hold */
	int64_t				 hold_ms;
};

int
fuse_band(double grade_pct)
{
	int i;

	if (isnan(grade_pct))
		return 1;
	for (i = 0; i < FUSE_BANDS - 1; i++)
		if (grade_pct < fuse_band_edges_pct[i])
			return i;
	return FUSE_BANDS - 1;
}

static int
fuse_t_ok(int64_t t_ms)
{
	return t_ms >= STRIDE_T_MIN_MS && t_ms <= STRIDE_T_MAX_MS;
}

static int
fuse_dist(const struct stride_sample *s, double *d)
{
	if ((s->has & STRIDE_HAS_DIST) == 0 || !isfinite(s->dist_m) ||
	    s->dist_m < 0 || s->dist_m > STRIDE_DIST_MAX_M)
		return 0;
	*d = s->dist_m;
	return 1;
}

/* Field f of s if present, finite and in the protocol's range. */
static int
fuse_value(const struct stride_sample *s, int f, double *v)
{
	double x;

	switch (f) {
	case FUSE_CAD:
		if ((s->has & STRIDE_HAS_CAD) == 0)
			return 0;
		x = s->cad_spm;
		if (!isfinite(x) || x < 0 || x > STRIDE_CAD_MAX_SPM)
			return 0;
		break;
	case FUSE_SPD:
		if ((s->has & STRIDE_HAS_SPD) == 0)
			return 0;
		x = s->spd_mps;
		if (!isfinite(x) || x < 0 || x > STRIDE_SPD_MAX_MPS)
			return 0;
		break;
	case FUSE_GRADE:
		if ((s->has & STRIDE_HAS_GRADE) == 0)
			return 0;
		x = s->grade_pct;
		if (!isfinite(x) || fabs(x) > STRIDE_GRADE_MAX_PCT)
			return 0;
		break;
	default:
		assert(!"fuse_value: bad field");
		return 0;
	}
	*v = x;
	return 1;
}

/* Speed from the distance of `to` minus that of `from`, if sensible. */
static int
fuse_dist_speed(const struct stride_sample *from,
    const struct stride_sample *to, int64_t hold_ms, double *v)
{
	double d0, d1, x;
	int64_t dt = to->t_ms - from->t_ms;

	if (dt <= 0 || dt > hold_ms || !fuse_dist(from, &d0) ||
	    !fuse_dist(to, &d1) || d1 < d0)
		return 0;
	x = (d1 - d0) * 1000.0 / (double)dt;
	if (x > STRIDE_SPD_MAX_MPS)
		return 0;		/* a jump, not running */
	*v = x;
	return 1;
}

/* The next sample from it->next with a valid t after after_ms, or NULL. */
static const struct stride_sample *
fuse_accept(struct fuse_iter *it, int64_t after_ms)
{
	const struct stride_sample *s;

	while (it->next < it->in->n) {
		s = &it->in->s[it->next++];
		if (fuse_t_ok(s->t_ms) && s->t_ms > after_ms)
			return s;
	}
	return NULL;
}

static void
fuse_iter_init(struct fuse_iter *it, const struct fuse_input *in,
    int64_t hold_ms)
{
	memset(it, 0, sizeof(*it));
	it->in = in;
	it->hold_ms = hold_ms;
	it->period_ms = hold_ms;	/* no interval seen yet */
	if (in->s != NULL)
		it->cur = fuse_accept(it, INT64_MIN);
}

/* The span of the next accepted sample: 1, or 0 at the end. */
static int
fuse_iter_next(struct fuse_iter *it, struct fuse_span *sp)
{
	const struct stride_sample *cur = it->cur, *nxt;
	int f;

	if (cur == NULL)
		return 0;
	nxt = fuse_accept(it, cur->t_ms);
	sp->a_ms = cur->t_ms;
	if (nxt != NULL && nxt->t_ms - cur->t_ms <= it->hold_ms) {
		sp->b_ms = nxt->t_ms;
		it->period_ms = nxt->t_ms - cur->t_ms;
	} else
		sp->b_ms = cur->t_ms + it->period_ms;	/* pause or end */

	sp->has = 0;
	for (f = 0; f < FUSE_NFIELDS; f++)
		if (fuse_value(cur, f, &sp->v[f]))
			sp->has |= 1u << f;
	if ((sp->has & 1u << FUSE_SPD) == 0 &&
	    ((nxt != NULL &&
	    fuse_dist_speed(cur, nxt, it->hold_ms, &sp->v[FUSE_SPD])) ||
	    (it->prev != NULL &&
	    fuse_dist_speed(it->prev, cur, it->hold_ms, &sp->v[FUSE_SPD]))))
		sp->has |= 1u << FUSE_SPD;

	it->prev = cur;
	it->cur = nxt;
	return 1;
}

static int
fuse_role_index(enum stride_role role)
{
	if ((int)role <= 0 || (int)role >= STRIDE_ROLE_COUNT)
		return STRIDE_ROLE_UNKNOWN;
	return (int)role;
}

/* Spread span sp of device d (index) over the bins of [start, end). */
static void
fuse_add(struct fuse_bin *bins, size_t nbins, int64_t start_ms,
    int64_t end_ms, size_t d, int role, const struct fuse_span *sp)
{
	int64_t a = sp->a_ms, b = sp->b_ms < end_ms ? sp->b_ms : end_ms;
	size_t k;
	int f;

	for (k = (size_t)((a - start_ms) / FUSE_BIN_MS); k < nbins; k++) {
		int64_t bs = start_ms + (int64_t)k * FUSE_BIN_MS;
		int64_t be = bs + FUSE_BIN_MS;
		int64_t ov;
		struct fuse_bin *bin = &bins[k];

		if (bs >= b)
			break;
		ov = (b < be ? b : be) - (a > bs ? a : bs);
		if (ov <= 0)
			continue;
		for (f = 0; f < FUSE_NFIELDS; f++) {
			struct fuse_acc *acc = &bin->f[f];
			int r = fuse_rank[f][role];

			if ((sp->has & 1u << f) == 0)
				continue;
			if (acc->ms <= 0 || r < acc->rank) {
				acc->wsum = sp->v[f] * (double)ov;
				acc->ms = (double)ov;
				acc->rank = r;
			} else if (r == acc->rank) {
				acc->wsum += sp->v[f] * (double)ov;
				acc->ms += (double)ov;
			}
		}
		if (sp->has & 1u << FUSE_SPD) {
			/* A device's spans never overlap, so its ms in one
			 * bin add up to at most FUSE_BIN_MS. */
			if (bin->spd_dev != d + 1) {
				bin->spd_dev = d + 1;
				bin->spd_dev_ms = 0;
			}
			bin->spd_dev_ms += (int32_t)ov;
			if (bin->spd_dev_ms > bin->spd_cov_ms)
				bin->spd_cov_ms = bin->spd_dev_ms;
		}
	}
}

static double
fuse_mean(const struct fuse_acc *acc)
{
	return acc->wsum / acc->ms;
}

/* The median fused speed of the bins with speed among k-2..k+2. */
static double
fuse_median5(const struct fuse_bin *bins, size_t nbins, size_t k)
{
	double w[5], x;
	size_t lo = k >= 2 ? k - 2 : 0, hi = k + 2 < nbins ? k + 2 : nbins - 1;
	size_t i, j, n = 0;

	for (i = lo; i <= hi; i++) {
		if (bins[i].f[FUSE_SPD].ms <= 0)
			continue;
		x = fuse_mean(&bins[i].f[FUSE_SPD]);
		for (j = n++; j > 0 && w[j - 1] > x; j--)
			w[j] = w[j - 1];
		w[j] = x;
	}
	assert(n > 0);
	return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

static void
fuse_summarise(const struct fuse_bin *bins, size_t nbins, double moving_mps,
    struct session_summary *out)
{
	double cad_w = 0, cad_s = 0, steps = 0, step_m = 0;
	size_t k;

	for (k = 0; k < nbins; k++) {
		const struct fuse_bin *bin = &bins[k];
		double v, w, d, m;

		if (bin->f[FUSE_SPD].ms <= 0)
			continue;
		m = fuse_median5(bins, nbins, k);
		if (m > out->max_speed_mps)
			out->max_speed_mps = m;
		v = fuse_mean(&bin->f[FUSE_SPD]);
		if (v < moving_mps)
			continue;
		w = (double)bin->spd_cov_ms / FUSE_BIN_MS;
		d = v * w;
		out->moving_s += w;
		out->distance_m += d;
		if (bin->f[FUSE_CAD].ms > 0) {
			double c = fuse_mean(&bin->f[FUSE_CAD]);

			if (c > 0) {
				cad_w += c * w;
				cad_s += w;
				steps += c / 60.0 * w;
				step_m += d;
			}
		}
		if (bin->f[FUSE_GRADE].ms > 0) {
			int band = fuse_band(fuse_mean(&bin->f[FUSE_GRADE]));

			out->band_s[band] += w;
			out->band_m[band] += d;
		} else
			out->ungraded_s += w;
	}
	if (out->moving_s > 0)
		out->avg_speed_mps = out->distance_m / out->moving_s;
	if (cad_s > 0)
		out->avg_cadence_spm = cad_w / cad_s;
	if (steps > 0)
		out->avg_step_m = step_m / steps;
}

int
fuse_session(const struct fuse_input *dev, size_t ndev,
    const struct fuse_params *p, struct session_summary *out)
{
	static const struct fuse_params defaults = FUSE_PARAMS_DEFAULT;
	struct fuse_bin *bins = NULL;
	struct fuse_iter it;
	struct fuse_span sp;
	int64_t start_ms = INT64_MAX, end_ms = INT64_MIN, hold_ms;
	size_t d, nbins;

	assert(out != NULL);
	memset(out, 0, sizeof(*out));
	if (p == NULL)
		p = &defaults;
	hold_ms = p->max_hold_ms;
	if (hold_ms < 1)
		hold_ms = 1;
	if (hold_ms > FUSE_MAX_SPAN_MS)
		hold_ms = FUSE_MAX_SPAN_MS;
	if (dev == NULL || ndev == 0)
		return -1;

	/* 1: the timeline. */
	for (d = 0; d < ndev; d++) {
		fuse_iter_init(&it, &dev[d], hold_ms);
		while (fuse_iter_next(&it, &sp)) {
			if (sp.a_ms < start_ms)
				start_ms = sp.a_ms;
			if (sp.b_ms > end_ms)
				end_ms = sp.b_ms;
		}
	}
	if (start_ms == INT64_MAX)
		return -1;
	if (end_ms - start_ms > FUSE_MAX_SPAN_MS)
		end_ms = start_ms + FUSE_MAX_SPAN_MS;
	nbins = (size_t)((end_ms - start_ms + FUSE_BIN_MS - 1) / FUSE_BIN_MS);
	if ((bins = calloc(nbins, sizeof(*bins))) == NULL)
		return -1;

	/* 2: spread the spans over the bins. */
	for (d = 0; d < ndev; d++) {
		int role = fuse_role_index(dev[d].role);
		uint32_t used = 0;

		fuse_iter_init(&it, &dev[d], hold_ms);
		while (fuse_iter_next(&it, &sp) && sp.a_ms < end_ms) {
			fuse_add(bins, nbins, start_ms, end_ms, d, role, &sp);
			if (used < UINT32_MAX)
				used++;
		}
		if (used > 0) {
			out->devices++;
			out->samples = used > UINT32_MAX - out->samples ?
			    UINT32_MAX : out->samples + used;
		}
	}

	/* 3: the summary. */
	out->start_ms = start_ms;
	out->end_ms = end_ms;
	fuse_summarise(bins, nbins, isfinite(p->moving_mps) ? p->moving_mps :
	    defaults.moving_mps, out);
	free(bins);
	return 0;
}
