/*
 * activity.c - recorded runs: format detection, loading, the record list,
 * and what we derive from it (see stride/activity.h and
 * docs/activity-files.md).
 *
 * The readers (fit.c, xml.c) only decode and activity_push() records;
 * everything computed from records lives here, in activity_finish(), so
 * that the three formats of one run are treated alike:
 *  1. distance from GPS positions (haversine) when no record has one;
 *  2. pauses: a gap between records longer than ACTIVITY_PAUSE_FACTOR
 *     times the file's usual record interval (the median gap) over which
 *     the distance grew slower than ACTIVITY_PAUSE_MPS, or is not known.
 *     Devices stop recording while their timer stands (auto or manual
 *     pause), so such gaps are where it stood; gaps with progress are
 *     sparse ("smart") recording and count as moving;
 *  3. speed from distance when no record has one: distance over a centred
 *     +-ACTIVITY_SPEED_HALF_S window that does not cross a pause;
 *  4. grade: the altitude change between the points ACTIVITY_GRADE_WINDOW_M
 *     / 2 behind and ahead in distance (linearly interpolated), over the
 *     distance between them; none if less than ACTIVITY_GRADE_MIN_M is
 *     covered; clamped to the protocol's +-STRIDE_GRADE_MAX_PCT;
 *  5. the summary: elapsed and moving time, distance, two time-weighted
 *     average cadences over moving time (with and without the time spent
 *     at zero cadence), ascent and descent.
 * Invariants: rec[] is in strictly increasing t_ms; a->n <=
 * ACTIVITY_REC_MAX; every derived field is flagged in both has and
 * derived, and activity_finish() clears them before deriving again.
 * Cost: O(n) time, one index array of n entries for the grade.
 * Never: log; trust a record's values to be sane (they may be hostile:
 * every loop is bounded by n, and divisions are guarded).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stride/activity.h"

#define ACTIVITY_DETECT_MAX	4096	/* bytes looked at by detection */
#define ACTIVITY_CAP_MIN	1024	/* first allocation, records */
#define ACTIVITY_EARTH_M	6371008.8	/* mean Earth radius (IUGG) */
#define ACTIVITY_PI		3.14159265358979323846
#define ACTIVITY_INTERVAL_BINS	60	/* s: histogram of record gaps */
#define ACTIVITY_SPEED_SCAN	16	/* records skipped looking for a
					   window end with a distance */

static const char *const activity_formats[ACTIVITY_FMT_COUNT] = {
	"unknown", "fit", "tcx", "gpx"
};
static const char *const activity_sports[ACTIVITY_SPORT_COUNT] = {
	"unknown", "running", "walking", "hiking", "other"
};

static void
activity_seterr(struct activity_err *err, const char *why, int64_t off,
    int errnum)
{
	err->why = why;
	err->off = off;
	err->line = 0;
	err->errnum = errnum;
}

const char *
activity_format_name(enum activity_format f)
{
	if ((int)f < 0 || f >= ACTIVITY_FMT_COUNT)
		return "unknown";
	return activity_formats[f];
}

const char *
activity_sport_name(enum activity_sport s)
{
	if ((int)s < 0 || s >= ACTIVITY_SPORT_COUNT)
		return "unknown";
	return activity_sports[s];
}

const char *
activity_strerror(const struct activity_err *err, char *buf, size_t len)
{
	const char *why = err->why != NULL ? err->why : "unknown error";

	if (len == 0)
		return buf;
	if (err->errnum != 0)
		snprintf(buf, len, "%s: %s", why, strerror(err->errnum));
	else if (err->line > 0)
		snprintf(buf, len, "%s (line %llu)", why,
		    (unsigned long long)err->line);
	else if (err->off >= 0)
		snprintf(buf, len, "%s (at byte %lld)", why,
		    (long long)err->off);
	else
		snprintf(buf, len, "%s", why);
	return buf;
}

struct activity *
activity_new(void)
{
	return calloc(1, sizeof(struct activity));
}

void
activity_free(struct activity *a)
{
	if (a == NULL)
		return;
	free(a->rec);
	free(a);
}

int
activity_push(struct activity *a, const struct activity_rec *r,
    struct activity_err *err)
{
	struct activity_rec	*last, *nrec;
	size_t			 ncap;

	if (a->n > 0) {
		last = &a->rec[a->n - 1];
		if (r->t_ms < last->t_ms) {
			a->dropped++;
			return 0;
		}
		if (r->t_ms == last->t_ms) {
			/* Same instant: the later record's fields win. */
			if (r->has & ACTIVITY_HAS_DIST)
				last->dist_m = r->dist_m;
			if (r->has & ACTIVITY_HAS_POS) {
				last->lat_deg = r->lat_deg;
				last->lon_deg = r->lon_deg;
			}
			if (r->has & ACTIVITY_HAS_SPD)
				last->spd_mps = r->spd_mps;
			if (r->has & ACTIVITY_HAS_ALT)
				last->alt_m = r->alt_m;
			if (r->has & ACTIVITY_HAS_CAD)
				last->cad_spm = r->cad_spm;
			if (r->has & ACTIVITY_HAS_HR)
				last->hr_bpm = r->hr_bpm;
			last->has |= r->has & ~ACTIVITY_HAS_GRADE;
			return 0;
		}
	}
	if (a->n >= ACTIVITY_REC_MAX) {
		activity_seterr(err, "too many records", -1, 0);
		return -1;
	}
	if (a->n == a->cap) {
		ncap = a->cap == 0 ? ACTIVITY_CAP_MIN : a->cap * 2;
		if (ncap > ACTIVITY_REC_MAX)
			ncap = ACTIVITY_REC_MAX;
		if ((nrec = realloc(a->rec, ncap * sizeof(*nrec))) == NULL) {
			activity_seterr(err, "out of memory", -1, 0);
			return -1;
		}
		a->rec = nrec;
		a->cap = ncap;
	}
	a->rec[a->n] = *r;
	a->rec[a->n].has &= ~ACTIVITY_HAS_GRADE;
	a->rec[a->n].grade_pct = 0;
	a->rec[a->n].derived = 0;
	a->rec[a->n].pause = 0;
	a->n++;
	return 0;
}

/* Skip an XML prolog item starting at p[i]; returns the index after it,
 * or n if it does not end within p[0..n). */
static size_t
activity_skip_to(const char *p, size_t i, size_t n, const char *end)
{
	size_t elen = strlen(end);

	for (; i + elen <= n; i++)
		if (memcmp(p + i, end, elen) == 0)
			return i + elen;
	return n;
}

enum activity_format
activity_detect(const void *buf, size_t len)
{
	const unsigned char	*u = buf;
	const char		*p = buf, *name, *colon;
	size_t			 n = len < ACTIVITY_DETECT_MAX ? len :
				    ACTIVITY_DETECT_MAX;
	size_t			 i = 0, j;

	if (n >= 12 && u[0] >= 12 && memcmp(u + 8, ".FIT", 4) == 0)
		return ACTIVITY_FMT_FIT;
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		i = 3;		/* UTF-8 byte order mark */
	while (i < n) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n') {
			i++;
			continue;
		}
		if (p[i] != '<' || i + 1 >= n)
			return ACTIVITY_FMT_UNKNOWN;
		if (p[i + 1] == '?') {
			i = activity_skip_to(p, i + 2, n, "?>");
			continue;
		}
		if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
			i = activity_skip_to(p, i + 4, n, "-->");
			continue;
		}
		if (p[i + 1] == '!') {	/* DOCTYPE: xml.c refuses it later */
			i = activity_skip_to(p, i + 2, n, ">");
			continue;
		}
		/* The root element's name, without a namespace prefix. */
		name = p + i + 1;
		for (j = i + 1; j < n && p[j] != ' ' && p[j] != '>' &&
		    p[j] != '/' && p[j] != '\t' && p[j] != '\r' &&
		    p[j] != '\n'; j++)
			;
		if (j == n)
			return ACTIVITY_FMT_UNKNOWN;
		colon = memchr(name, ':', (size_t)(p + j - name));
		if (colon != NULL)
			name = colon + 1;
		if ((size_t)(p + j - name) == 22 &&
		    memcmp(name, "TrainingCenterDatabase", 22) == 0)
			return ACTIVITY_FMT_TCX;
		if ((size_t)(p + j - name) == 3 && memcmp(name, "gpx", 3) == 0)
			return ACTIVITY_FMT_GPX;
		return ACTIVITY_FMT_UNKNOWN;
	}
	return ACTIVITY_FMT_UNKNOWN;
}

struct activity *
activity_read(const void *buf, size_t len, enum activity_format fmt,
    struct activity_err *err)
{
	struct activity	*a;
	int		 rc;

	if (len > ACTIVITY_FILE_MAX) {
		activity_seterr(err, "file too large", ACTIVITY_FILE_MAX, 0);
		return NULL;
	}
	if (fmt == ACTIVITY_FMT_UNKNOWN &&
	    (fmt = activity_detect(buf, len)) == ACTIVITY_FMT_UNKNOWN) {
		activity_seterr(err, "not a FIT, TCX or GPX file", 0, 0);
		return NULL;
	}
	if ((int)fmt < 0 || fmt >= ACTIVITY_FMT_COUNT) {
		activity_seterr(err, "unknown format", -1, 0);
		return NULL;
	}
	if ((a = activity_new()) == NULL) {
		activity_seterr(err, "out of memory", -1, 0);
		return NULL;
	}
	if (fmt == ACTIVITY_FMT_FIT)
		rc = fit_decode(buf, len, a, err);
	else
		rc = xml_decode(buf, len, fmt, a, err);
	if (rc != 0)
		goto fail;
	if (a->n == 0) {
		activity_seterr(err, "no records with a time", -1, 0);
		goto fail;
	}
	activity_finish(a);
	return a;
 fail:
	activity_free(a);
	return NULL;
}

struct activity *
activity_load(const char *path, struct activity_err *err)
{
	struct activity	*a = NULL;
	struct stat	 st;
	unsigned char	*buf = NULL;
	size_t		 len, got = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		activity_seterr(err, "cannot open file", -1, errno);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		activity_seterr(err, "cannot stat file", -1, errno);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		activity_seterr(err, "not a regular file", -1, 0);
		goto done;
	}
	if (st.st_size > (off_t)ACTIVITY_FILE_MAX) {
		activity_seterr(err, "file too large", ACTIVITY_FILE_MAX, 0);
		goto done;
	}
	if (st.st_size == 0) {
		activity_seterr(err, "empty file", 0, 0);
		goto done;
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len)) == NULL) {
		activity_seterr(err, "out of memory", -1, 0);
		goto done;
	}
	while (got < len) {
		if ((r = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			activity_seterr(err, "cannot read file", -1, errno);
			goto done;
		}
		if (r == 0) {
			activity_seterr(err, "file shrank while read",
			    (int64_t)got, 0);
			goto done;
		}
		got += (size_t)r;
	}
	a = activity_read(buf, len, ACTIVITY_FMT_UNKNOWN, err);
 done:
	free(buf);
	close(fd);
	return a;
}

/* Great-circle distance in metres (haversine, spherical Earth). */
static double
activity_haversine(double lat1, double lon1, double lat2, double lon2)
{
	const double	rad = ACTIVITY_PI / 180.0;
	double		dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double		h;

	h = sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (h > 1)
		h = 1;
	return 2 * ACTIVITY_EARTH_M * asin(sqrt(h));
}

static void
activity_clear_derived(struct activity *a)
{
	struct activity_rec	*r;
	size_t			 i;

	for (i = 0; i < a->n; i++) {
		r = &a->rec[i];
		if (r->derived & ACTIVITY_HAS_DIST)
			r->dist_m = 0;
		if (r->derived & ACTIVITY_HAS_SPD)
			r->spd_mps = 0;
		r->grade_pct = 0;
		r->has &= ~(r->derived | ACTIVITY_HAS_GRADE);
		r->derived = 0;
		r->pause = 0;
	}
}

static unsigned
activity_fields(const struct activity *a)
{
	unsigned	has = 0;
	size_t		i;

	for (i = 0; i < a->n; i++)
		has |= a->rec[i].has;
	return has;
}

/* 1. Cumulative distance along the GPS track, for files without one. */
static void
activity_derive_dist(struct activity *a)
{
	struct activity_rec	*r, *prev = NULL;
	double			 cum = 0;
	size_t			 i;

	for (i = 0; i < a->n; i++) {
		r = &a->rec[i];
		if (r->has & ACTIVITY_HAS_POS) {
			if (prev != NULL)
				cum += activity_haversine(prev->lat_deg,
				    prev->lon_deg, r->lat_deg, r->lon_deg);
			prev = r;
		}
		if (prev == NULL)
			continue;	/* nothing before the first fix */
		r->dist_m = cum;
		r->has |= ACTIVITY_HAS_DIST;
		r->derived |= ACTIVITY_HAS_DIST;
	}
}

/*
 * The file's usual time between records, in whole seconds (at least 1):
 * the median of the gaps, from a histogram (gaps of a minute or more all
 * count as 60 s; they are pauses, not the recording rate).
 */
static double
activity_interval_s(const struct activity *a)
{
	size_t	hist[ACTIVITY_INTERVAL_BINS + 1], i, b, seen = 0;
	int64_t	dt;

	if (a->n < 2)
		return 1;
	memset(hist, 0, sizeof(hist));
	for (i = 1; i < a->n; i++) {
		dt = (a->rec[i].t_ms - a->rec[i - 1].t_ms + 500) / 1000;
		hist[dt > ACTIVITY_INTERVAL_BINS ? ACTIVITY_INTERVAL_BINS :
		    (size_t)dt]++;
	}
	for (b = 0; b <= ACTIVITY_INTERVAL_BINS; b++) {
		seen += hist[b];
		if (seen * 2 >= a->n - 1)
			break;
	}
	return b < 1 ? 1 : (double)b;
}

/* 2. Pause flags: gaps well beyond the recording interval without
 * progress. */
static void
activity_mark_pauses(struct activity *a)
{
	struct activity_rec	*r, *p;
	double			 dt, gap;
	size_t			 i;

	gap = ACTIVITY_PAUSE_FACTOR * activity_interval_s(a);
	for (i = 1; i < a->n; i++) {
		r = &a->rec[i];
		p = &a->rec[i - 1];
		dt = (double)(r->t_ms - p->t_ms) / 1000.0;
		if (dt <= gap)
			continue;
		if ((r->has & p->has & ACTIVITY_HAS_DIST) &&
		    (r->dist_m - p->dist_m) / dt >= ACTIVITY_PAUSE_MPS)
			continue;	/* moved on: a sparse recording */
		r->pause = 1;
	}
}

/* 3. Speed from distance over a centred window within one segment. */
static void
activity_derive_speed(struct activity *a)
{
	struct activity_rec	*r = a->rec;
	const int64_t		 half = (int64_t)(ACTIVITY_SPEED_HALF_S * 1000);
	size_t			 i, lo = 0, hi = 0, seg = 0, x, y, k;

	for (i = 0; i < a->n; i++) {
		if (r[i].pause)
			seg = i;	/* a window never reaches back past it */
		if (lo < seg)
			lo = seg;
		while (lo < i && r[lo].t_ms < r[i].t_ms - half)
			lo++;
		if (hi < i)
			hi = i;
		while (hi + 1 < a->n && !r[hi + 1].pause &&
		    r[hi + 1].t_ms <= r[i].t_ms + half)
			hi++;
		if (!(r[i].has & ACTIVITY_HAS_DIST))
			continue;
		/* The window's ends, among records with a distance. */
		for (x = lo, k = 0; x < i && !(r[x].has & ACTIVITY_HAS_DIST) &&
		    k < ACTIVITY_SPEED_SCAN; x++, k++)
			;
		for (y = hi, k = 0; y > i && !(r[y].has & ACTIVITY_HAS_DIST) &&
		    k < ACTIVITY_SPEED_SCAN; y--, k++)
			;
		if (!(r[x].has & r[y].has & ACTIVITY_HAS_DIST) ||
		    r[y].t_ms <= r[x].t_ms)
			continue;
		r[i].spd_mps = (float)((r[y].dist_m - r[x].dist_m) /
		    ((double)(r[y].t_ms - r[x].t_ms) / 1000.0));
		if (!(r[i].spd_mps >= 0))
			r[i].spd_mps = 0;	/* distance going back */
		r[i].has |= ACTIVITY_HAS_SPD;
		r[i].derived |= ACTIVITY_HAS_SPD;
	}
}

/* Altitude at distance d between usable records idx[k] and idx[k + 1]
 * (or at idx[k] alone when k is the last). */
static double
activity_alt_at(const struct activity_rec *r, const size_t *idx, size_t m,
    size_t k, double d)
{
	const struct activity_rec *p = &r[idx[k]], *q;
	double span;

	if (k + 1 >= m)
		return p->alt_m;
	q = &r[idx[k + 1]];
	span = q->dist_m - p->dist_m;
	if (!(span > 0) || d <= p->dist_m)
		return p->alt_m;
	if (d >= q->dist_m)
		return q->alt_m;
	return p->alt_m + (q->alt_m - p->alt_m) * (d - p->dist_m) / span;
}

/* 4. Grade over a centred distance window. */
static void
activity_derive_grade(struct activity *a)
{
	struct activity_rec	*r = a->rec;
	const double		 half = ACTIVITY_GRADE_WINDOW_M / 2;
	size_t			*idx, m = 0, i, k, lo = 0, hi = 0;
	double			 d, dlo, dhi, g;

	if ((idx = malloc(a->n * sizeof(*idx))) == NULL)
		return;		/* no grade rather than no activity */
	for (i = 0; i < a->n; i++)
		if ((r[i].has & (ACTIVITY_HAS_ALT | ACTIVITY_HAS_DIST)) ==
		    (ACTIVITY_HAS_ALT | ACTIVITY_HAS_DIST))
			idx[m++] = i;
	for (k = 0; k < m; k++) {
		d = r[idx[k]].dist_m;
		/* lo: the last usable record at or before d - half (or the
		 * first); hi: the last one at or before d + half. Distance
		 * only grows in sane files; in others the pointers merely
		 * stop early. */
		while (lo + 1 < m && r[idx[lo + 1]].dist_m <= d - half)
			lo++;
		if (hi < lo)
			hi = lo;
		while (hi + 1 < m && r[idx[hi + 1]].dist_m <= d + half)
			hi++;
		dlo = fmax(d - half, r[idx[lo]].dist_m);
		dhi = fmin(d + half, r[idx[hi]].dist_m);
		if (hi + 1 < m)
			dhi = d + half;	/* interpolated up to d + half */
		if (!(dhi - dlo >= ACTIVITY_GRADE_MIN_M))
			continue;
		g = (activity_alt_at(r, idx, m, hi, dhi) -
		    activity_alt_at(r, idx, m, lo, dlo)) / (dhi - dlo) * 100.0;
		if (!isfinite(g))
			continue;
		if (g > STRIDE_GRADE_MAX_PCT)
			g = STRIDE_GRADE_MAX_PCT;
		if (g < -STRIDE_GRADE_MAX_PCT)
			g = -STRIDE_GRADE_MAX_PCT;
		r[idx[k]].grade_pct = (float)g;
		r[idx[k]].has |= ACTIVITY_HAS_GRADE;
		r[idx[k]].derived |= ACTIVITY_HAS_GRADE;
	}
	free(idx);
}

/* 5. The summary. */
static void
activity_summarise(struct activity *a)
{
	struct activity_summary	*s = &a->sum;
	struct activity_rec	*r = a->rec;
	double			 dt, cad_t = 0, cad_sum = 0, step_t = 0;
	double			 ref = 0;
	int			 have_ref = 0;
	size_t			 i;

	memset(s, 0, sizeof(*s));
	if (a->n == 0)
		return;
	s->start_ms = r[0].t_ms;
	s->end_ms = r[a->n - 1].t_ms;
	s->elapsed_s = (double)(s->end_ms - s->start_ms) / 1000.0;
	for (i = 0; i < a->n; i++) {
		if (r[i].has & ACTIVITY_HAS_DIST)
			s->dist_m = r[i].dist_m;
		if (r[i].has & ACTIVITY_HAS_ALT) {
			if (!have_ref) {
				ref = r[i].alt_m;
				have_ref = 1;
			} else if (r[i].alt_m >= ref + ACTIVITY_ASCENT_HYST_M) {
				s->ascent_m += r[i].alt_m - ref;
				ref = r[i].alt_m;
			} else if (r[i].alt_m <= ref - ACTIVITY_ASCENT_HYST_M) {
				s->descent_m += ref - r[i].alt_m;
				ref = r[i].alt_m;
			}
		}
		if (i == 0)
			continue;
		if (r[i].pause) {
			s->pauses++;
			continue;
		}
		dt = (double)(r[i].t_ms - r[i - 1].t_ms) / 1000.0;
		s->moving_s += dt;
		/* A record's cadence stands for the interval it ends. */
		if (r[i].has & ACTIVITY_HAS_CAD) {
			cad_sum += r[i].cad_spm * dt;
			cad_t += dt;
			if (r[i].cad_spm > 0)
				step_t += dt;
		}
	}
	if (cad_t > 0)
		s->avg_cad_spm = cad_sum / cad_t;
	if (step_t > 0)
		s->step_cad_spm = cad_sum / step_t;
}

void
activity_finish(struct activity *a)
{
	unsigned has;

	activity_clear_derived(a);
	has = activity_fields(a);
	if (!(has & ACTIVITY_HAS_DIST) && (has & ACTIVITY_HAS_POS))
		activity_derive_dist(a);
	activity_mark_pauses(a);
	if (!(has & ACTIVITY_HAS_SPD))
		activity_derive_speed(a);
	activity_derive_grade(a);
	activity_summarise(a);
}

int
activity_sample(const struct activity_rec *r, int64_t t_ms, unsigned want,
    struct stride_sample *out)
{
	memset(out, 0, sizeof(*out));
	out->t_ms = t_ms;
	if ((want & STRIDE_HAS_CAD) && (r->has & ACTIVITY_HAS_CAD) &&
	    r->cad_spm >= 0 && r->cad_spm <= STRIDE_CAD_MAX_SPM) {
		out->cad_spm = r->cad_spm;
		out->has |= STRIDE_HAS_CAD;
	}
	if ((want & STRIDE_HAS_SPD) && (r->has & ACTIVITY_HAS_SPD) &&
	    r->spd_mps >= 0 && r->spd_mps <= STRIDE_SPD_MAX_MPS) {
		out->spd_mps = r->spd_mps;
		out->has |= STRIDE_HAS_SPD;
	}
	if ((want & STRIDE_HAS_GRADE) && (r->has & ACTIVITY_HAS_GRADE) &&
	    fabsf(r->grade_pct) <= STRIDE_GRADE_MAX_PCT) {
		out->grade_pct = r->grade_pct;
		out->has |= STRIDE_HAS_GRADE;
	}
	if ((want & STRIDE_HAS_ALT) && (r->has & ACTIVITY_HAS_ALT) &&
	    r->alt_m >= STRIDE_ALT_MIN_M && r->alt_m <= STRIDE_ALT_MAX_M) {
		out->alt_m = r->alt_m;
		out->has |= STRIDE_HAS_ALT;
	}
	if ((want & STRIDE_HAS_DIST) && (r->has & ACTIVITY_HAS_DIST) &&
	    r->dist_m >= 0 && r->dist_m <= STRIDE_DIST_MAX_M) {
		out->dist_m = r->dist_m;
		out->has |= STRIDE_HAS_DIST;
	}
	return out->has != 0 ? 0 : -1;
}
