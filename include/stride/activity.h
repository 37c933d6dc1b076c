/*
 * activity.h - recorded runs read from FIT, TCX and GPX files, shared by
 * the agents (replay) and the hub (history import).
 *
 * docs/activity-files.md describes the formats, units, quirks and the
 * smoothing. In short:
 *  - activity_load() / activity_read() turn a file into a struct activity:
 *    a list of records (time, distance, speed, altitude, cadence in
 *    steps/min, heart rate, position, gradient), the totals the file
 *    states about itself (FIT session, TCX laps), and a summary computed
 *    from the records (distance, elapsed and moving time, average
 *    cadence, ascent).
 *  - Every file is hostile input: its size is capped (ACTIVITY_FILE_MAX),
 *    so is the record count (ACTIVITY_REC_MAX); every length is checked
 *    before it is used; a truncated or corrupted file is refused with a
 *    static reason and, where it helps, the byte offset or XML line.
 *  - Records come out in strictly increasing time. Fields a record lacks
 *    are flagged off in `has` and zero; fields we computed rather than
 *    read (distance from GPS positions, speed from distance, gradient)
 *    are also flagged in `derived`.
 *  - Cadence is always steps per minute, both legs: every format stores
 *    running cadence per leg (strides/min) and the readers double it.
 *
 * Threading: no globals; separate activities may be read concurrently.
 * Nothing here logs: callers get the reason and decide.
 */
#ifndef STRIDE_ACTIVITY_H
#define STRIDE_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "stride/protocol.h"

#define ACTIVITY_FILE_MAX	(64u << 20)	/* bytes in any activity file */
#define ACTIVITY_REC_MAX	500000		/* records: 5.8 days at 1 Hz */

/*
 * Smoothing and pause detection (docs/activity-files.md, "Derived
 * values", says why these numbers).
 */
#define ACTIVITY_GRADE_WINDOW_M	50.0	/* grade: altitude change over a
					   centred distance window this wide */
#define ACTIVITY_GRADE_MIN_M	20.0	/* ...of which at least this much
					   must be covered, else no grade */
#define ACTIVITY_SPEED_HALF_S	5.0	/* derived speed: distance over
					   a centred +-5 s window */
#define ACTIVITY_PAUSE_FACTOR	2.0	/* a gap between records longer
					   than this many times the file's
					   median gap... */
#define ACTIVITY_PAUSE_MPS	0.5	/* ...over which distance grew
					   slower than this (or is not
					   known) is a pause */
#define ACTIVITY_ASCENT_HYST_M	3.0	/* ascent/descent hysteresis */

enum activity_format {
	ACTIVITY_FMT_UNKNOWN = 0,
	ACTIVITY_FMT_FIT,
	ACTIVITY_FMT_TCX,
	ACTIVITY_FMT_GPX,
	ACTIVITY_FMT_COUNT
};

enum activity_sport {
	ACTIVITY_SPORT_UNKNOWN = 0,	/* the file does not say */
	ACTIVITY_SPORT_RUNNING,
	ACTIVITY_SPORT_WALKING,
	ACTIVITY_SPORT_HIKING,
	ACTIVITY_SPORT_OTHER,		/* cycling, swimming, ... */
	ACTIVITY_SPORT_COUNT
};

/* Fields of a record (struct activity_rec `has` and `derived`). */
enum {
	ACTIVITY_HAS_DIST = 1 << 0,
	ACTIVITY_HAS_SPD = 1 << 1,
	ACTIVITY_HAS_ALT = 1 << 2,
	ACTIVITY_HAS_CAD = 1 << 3,
	ACTIVITY_HAS_HR = 1 << 4,
	ACTIVITY_HAS_POS = 1 << 5,
	ACTIVITY_HAS_GRADE = 1 << 6
};

/* One instant of the recording. Fields not flagged in `has` are zero. */
struct activity_rec {
	int64_t		t_ms;		/* Unix time, ms, UTC (but see
					   ACTIVITY_F_RELATIVE_TIME) */
	double		dist_m;		/* cumulative since the file's start */
	double		lat_deg;	/* WGS84, north positive */
	double		lon_deg;	/* WGS84, east positive */
	float		spd_mps;	/* metres per second */
	float		alt_m;		/* metres above sea level */
	float		cad_spm;	/* steps per minute, both legs */
	float		grade_pct;	/* derived, uphill positive, clamped
					   to +-STRIDE_GRADE_MAX_PCT */
	uint16_t	has;		/* ACTIVITY_HAS_* */
	uint16_t	derived;	/* the subset of `has` we computed */
	uint8_t		hr_bpm;		/* heart rate, beats per minute */
	uint8_t		pause;		/* 1: the time since the previous
					   record was a pause */
};

/* Which totals the file states (struct activity_totals `has`). */
enum {
	ACTIVITY_TOT_ELAPSED = 1 << 0,
	ACTIVITY_TOT_TIMER = 1 << 1,
	ACTIVITY_TOT_DIST = 1 << 2,
	ACTIVITY_TOT_CAD = 1 << 3,
	ACTIVITY_TOT_ASCENT = 1 << 4,
	ACTIVITY_TOT_DESCENT = 1 << 5
};

/*
 * Totals as the file states them, summed over its sessions (FIT) or laps
 * (TCX). GPX states none. Not checked against the records: they are the
 * device's own figures, kept for comparison and import.
 */
struct activity_totals {
	unsigned	has;		/* ACTIVITY_TOT_* */
	double		elapsed_s;	/* FIT session total_elapsed_time */
	double		timer_s;	/* FIT total_timer_time; TCX laps'
					   TotalTimeSeconds */
	double		dist_m;		/* FIT total_distance; TCX laps'
					   DistanceMeters */
	double		avg_cad_spm;	/* FIT avg_cadence (+ fractional),
					   TCX laps' AvgRunCadence or
					   Cadence; steps/min */
	double		ascent_m;	/* FIT total_ascent */
	double		descent_m;	/* FIT total_descent */
};

/* Computed from the records by activity_finish(). */
struct activity_summary {
	int64_t		start_ms;	/* first record */
	int64_t		end_ms;		/* last record */
	double		elapsed_s;	/* last minus first record */
	double		moving_s;	/* elapsed minus pauses */
	double		dist_m;		/* last minus first distance */
	double		avg_cad_spm;	/* time-weighted over moving time,
					   standing (zero cadence) included:
					   how Garmin, COROS, Stryd and
					   Suunto average; 0: no cadence */
	double		step_cad_spm;	/* the same over moving time with a
					   non-zero cadence only: how Polar
					   and the FR70 average, and a
					   runner's usual cadence */
	double		ascent_m;	/* with ACTIVITY_ASCENT_HYST_M */
	double		descent_m;
	uint32_t	pauses;		/* records with pause set */
};

/* struct activity `flags` */
enum {
	/* FIT timestamps below 0x10000000 count from the device's power-up,
	 * not from 1989-12-31 (a watch whose clock was never set): t_ms is
	 * then only meaningful relative to the first record. */
	ACTIVITY_F_RELATIVE_TIME = 1 << 0
};

struct activity {
	enum activity_format	 fmt;
	enum activity_sport	 sport;
	unsigned		 flags;		/* ACTIVITY_F_* */
	struct activity_rec	*rec;		/* n records, t_ms strictly
						   increasing */
	size_t			 n;
	size_t			 cap;		/* private: rec's allocation */
	size_t			 dropped;	/* records without a time, or
						   going back in time */
	struct activity_totals	 file;		/* stated by the file */
	struct activity_summary	 sum;		/* computed from rec */
};

/*
 * Why a file was refused: a static string, and where. Filled on every
 * failure; why is never NULL then.
 */
struct activity_err {
	const char	*why;
	int64_t		 off;		/* byte offset in the file, or -1 */
	uint64_t	 line;		/* XML line (1-based), or 0 */
	int		 errnum;	/* errno for I/O failures, else 0 */
};

/* "why (at byte N)" / "why (line N)" / "why: strerror" into buf. Returns
 * buf. */
const char	*activity_strerror(const struct activity_err *, char *buf,
		    size_t len);

const char	*activity_format_name(enum activity_format);	/* "fit" */
const char	*activity_sport_name(enum activity_sport);	/* "running" */

/*
 * The format of buf[0..len) judged by its content, not its name: a FIT
 * header, or the root element of an XML document (TrainingCenterDatabase
 * or gpx, any namespace prefix). Looks at most at the first 4 KiB.
 */
enum activity_format activity_detect(const void *buf, size_t len);

/*
 * Read buf[0..len) as fmt (ACTIVITY_FMT_UNKNOWN: detect it), then
 * activity_finish() it. Returns a new activity the caller frees with
 * activity_free(), or NULL with *err filled. buf need not be
 * NUL-terminated and is not kept.
 */
struct activity	*activity_read(const void *buf, size_t len,
		    enum activity_format fmt, struct activity_err *err);

/* activity_read() of the file at path (at most ACTIVITY_FILE_MAX bytes,
 * a regular file). */
struct activity	*activity_load(const char *path, struct activity_err *err);

/* An empty activity for the readers below (NULL if out of memory), and
 * its release. activity_free(NULL) is a no-op. */
struct activity	*activity_new(void);
void		 activity_free(struct activity *);

/*
 * Fill in what the records imply, in this order: distance from positions
 * when no record has a distance (haversine), speed from distance when no
 * record has a speed, gradient from altitude and distance, pause flags,
 * and a->sum. Idempotent: derived fields are recomputed from scratch.
 */
void		 activity_finish(struct activity *);

/*
 * Record r as a protocol sample at time t_ms (the caller picks the clock,
 * e.g. now for a replay): the fields in want (STRIDE_HAS_*) that r has
 * and that lie within protocol.h's ranges. Returns 0, or -1 if no field
 * is left (send nothing then).
 */
int		 activity_sample(const struct activity_rec *r, int64_t t_ms,
		    unsigned want, struct stride_sample *out);

/*
 * The readers behind activity_read(), for tests and fuzzers. Each appends
 * records to a (from activity_new()) and fills its fmt, totals, sport and
 * flags; neither calls activity_finish(). On failure they return -1 with
 * *err filled; a keeps what was read, and the caller still owns it.
 */
int	fit_decode(const void *buf, size_t len, struct activity *a,
	    struct activity_err *err);
int	xml_decode(const void *buf, size_t len, enum activity_format fmt,
	    struct activity *a, struct activity_err *err);

/*
 * For the readers: append *r, keeping time strictly increasing. A record
 * with the time of the last one is merged into it (its fields win); one
 * going back in time is dropped and counted. Returns 0, or -1 with *err
 * set when ACTIVITY_REC_MAX is reached or memory runs out.
 */
int	activity_push(struct activity *a, const struct activity_rec *r,
	    struct activity_err *err);

#endif
