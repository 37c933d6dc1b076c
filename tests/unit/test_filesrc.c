/*
 * test_filesrc.c - the agent's replay of recorded runs (agents/filesrc.c):
 * the fields of each role, time rebased with the recording's spacing kept
 * (sparse stays sparse, a pause stays a gap), records without the role's
 * fields skipped, a file whose clock was never set, and the refusals (no
 * fields, a span over a day, a start outside the protocol's years, a
 * file the readers refuse). Then the real files of $STRIDE_ACTIVITIES, if
 * set: every one replays in both roles, one sample per usable record.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "filesrc.h"
#include "stride/activity.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */
#define START	1800000000000LL		/* 2027-01-15T08:00:00Z */

/* A TCX (hand-made): three points 1 s apart, a heart-rate-only point, a
 * pause of 40 s (no progress), then two points 5 s apart. */
static const char tcx[] =
    "<?xml version=\"1.0\"?>\n"
    "<TrainingCenterDatabase xmlns=\"http://www.garmin.com/xmlschemas/"
    "TrainingCenterDatabase/v2\"><Activities><Activity Sport=\"Running\">"
    "<Lap><Track>\n"
    "<Trackpoint><Time>2024-05-01T07:00:00Z</Time><HeartRateBpm><Value>90"
    "</Value></HeartRateBpm></Trackpoint>\n"
    "<Trackpoint><Time>2024-05-01T07:00:01Z</Time><AltitudeMeters>100"
    "</AltitudeMeters><DistanceMeters>0</DistanceMeters><Cadence>85"
    "</Cadence></Trackpoint>\n"
    "<Trackpoint><Time>2024-05-01T07:00:02Z</Time><AltitudeMeters>100.5"
    "</AltitudeMeters><DistanceMeters>3</DistanceMeters><Cadence>86"
    "</Cadence></Trackpoint>\n"
    "<Trackpoint><Time>2024-05-01T07:00:03Z</Time><AltitudeMeters>101"
    "</AltitudeMeters><DistanceMeters>6</DistanceMeters><Cadence>86"
    "</Cadence></Trackpoint>\n"
    "<Trackpoint><Time>2024-05-01T07:00:43Z</Time><AltitudeMeters>101"
    "</AltitudeMeters><DistanceMeters>6.5</DistanceMeters><Cadence>0"
    "</Cadence></Trackpoint>\n"
    "<Trackpoint><Time>2024-05-01T07:00:48Z</Time><AltitudeMeters>102"
    "</AltitudeMeters><DistanceMeters>21.5</DistanceMeters><Cadence>84"
    "</Cadence></Trackpoint>\n"
    "</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n";

static struct activity *
read_tcx(void)
{
	struct activity_err	 e;
	struct activity		*a = activity_read(tcx, sizeof(tcx) - 1,
				    ACTIVITY_FMT_UNKNOWN, &e);

	if (a == NULL)
		fprintf(stderr, "tcx: %s\n", e.why);
	return a;
}

static void
test_roles(void)
{
	static const enum stride_role roles[] = { STRIDE_ROLE_FOOTPOD,
	    STRIDE_ROLE_WATCH };
	/* Offsets of the samples from the first one: rebased from the
	 * first record with the role's fields (the second record). */
	static const int64_t off[] = { 0, 1000, 2000, 42000, 47000 };
	struct stride_sample	 s;
	struct filesrc		*fs;
	char			 err[256];
	size_t			 i, k;

	CHECK(filesrc_want(STRIDE_ROLE_FOOTPOD) == (STRIDE_HAS_CAD |
	    STRIDE_HAS_SPD | STRIDE_HAS_DIST));
	CHECK(filesrc_want(STRIDE_ROLE_WATCH) & STRIDE_HAS_GRADE);
	CHECK(filesrc_want(STRIDE_ROLE_UNKNOWN) == 0);
	for (k = 0; k < 2; k++) {
		fs = filesrc_new(read_tcx(), roles[k], START, err,
		    sizeof(err));
		CHECK(fs != NULL);
		if (fs == NULL) {
			fprintf(stderr, "%s\n", err);
			continue;
		}
		CHECK(filesrc_count(fs) == 5);
		CHECK(filesrc_span_ms(fs) == 47000);
		CHECK(filesrc_activity(fs)->sum.pauses == 1);
		for (i = 0; filesrc_next(fs, &s) == 1; i++) {
			if (i >= 5)
				break;
			CHECK(s.t_ms == START + off[i]);
			CHECK(s.has & STRIDE_HAS_DIST);
			CHECK(s.has & STRIDE_HAS_CAD);
			if (roles[k] == STRIDE_ROLE_FOOTPOD)
				CHECK(!(s.has & (STRIDE_HAS_ALT |
				    STRIDE_HAS_GRADE)));
			else
				CHECK(s.has & STRIDE_HAS_ALT);
		}
		CHECK(i == 5);
		CHECK(filesrc_next(fs, &s) == 0);	/* stays at the end */
		filesrc_close(fs);
	}
	/* filesrc_sample: the second record, cadence doubled. */
	{
		struct activity *a = read_tcx();

		CHECK(a != NULL);
		if (a != NULL) {
			CHECK(filesrc_sample(a, 0, STRIDE_ROLE_WATCH, START,
			    &s) == -1);		/* heart rate only */
			CHECK(filesrc_sample(a, 2, STRIDE_ROLE_FOOTPOD, START,
			    &s) == 0 && s.t_ms == START + 2000);
			CHECK_NEAR(s.cad_spm, 172, 1e-3);
			CHECK_NEAR(s.dist_m, 3, 1e-9);
			CHECK(filesrc_sample(a, a->n, STRIDE_ROLE_WATCH, START,
			    &s) == -1);
			activity_free(a);
		}
	}
}

/* n records from t0, every step_ms, with the fields in has. */
static struct activity *
mk(int64_t t0, size_t n, int64_t step_ms, uint16_t has)
{
	struct activity		*a = activity_new();
	struct activity_rec	 r;
	struct activity_err	 e;
	size_t			 i;

	for (i = 0; a != NULL && i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.t_ms = t0 + (int64_t)i * step_ms;
		r.dist_m = 3.0 * (double)i;
		r.spd_mps = 3.0f;
		r.cad_spm = 170;
		r.hr_bpm = 120;
		r.has = has;
		if (activity_push(a, &r, &e) == -1) {
			activity_free(a);
			return NULL;
		}
	}
	if (a != NULL)
		activity_finish(a);
	return a;
}

static void
test_refusals(void)
{
	struct filesrc		*fs;
	struct stride_sample	 s;
	struct activity		*a;
	char			 err[256];

	/* The FR70's kind of file: 1990 times, replayed at START. */
	a = mk(646000000000LL, 10, 5000, ACTIVITY_HAS_SPD | ACTIVITY_HAS_CAD);
	a->flags |= ACTIVITY_F_RELATIVE_TIME;
	fs = filesrc_new(a, STRIDE_ROLE_FOOTPOD, START, err, sizeof(err));
	CHECK(fs != NULL && filesrc_next(fs, &s) == 1 && s.t_ms == START);
	CHECK(fs != NULL && filesrc_next(fs, &s) == 1 &&
	    s.t_ms == START + 5000);		/* sparse stays sparse */
	filesrc_close(fs);

	/* Heart rate only: nothing to replay. */
	fs = filesrc_new(mk(T0, 10, 1000, ACTIVITY_HAS_HR),
	    STRIDE_ROLE_WATCH, START, err, sizeof(err));
	CHECK(fs == NULL && strstr(err, "no watch fields") != NULL);
	/* More than a day. */
	fs = filesrc_new(mk(T0, 3, 13 * 3600 * 1000LL, ACTIVITY_HAS_SPD),
	    STRIDE_ROLE_WATCH, START, err, sizeof(err));
	CHECK(fs == NULL && strstr(err, "longer than a day") != NULL);
	/* Exactly a day is one. */
	fs = filesrc_new(mk(T0, 3, 12 * 3600 * 1000LL, ACTIVITY_HAS_SPD),
	    STRIDE_ROLE_WATCH, START, err, sizeof(err));
	CHECK(fs != NULL);
	filesrc_close(fs);
	/* A start that pushes the end past 2099, or before 2000. */
	fs = filesrc_new(mk(T0, 10, 1000, ACTIVITY_HAS_SPD),
	    STRIDE_ROLE_WATCH, STRIDE_T_MAX_MS - 5000, err, sizeof(err));
	CHECK(fs == NULL && strstr(err, "outside") != NULL);
	fs = filesrc_new(mk(T0, 10, 1000, ACTIVITY_HAS_SPD),
	    STRIDE_ROLE_WATCH, STRIDE_T_MIN_MS - 1, err, sizeof(err));
	CHECK(fs == NULL);
	/* No role, no activity. */
	fs = filesrc_new(mk(T0, 10, 1000, ACTIVITY_HAS_SPD),
	    STRIDE_ROLE_UNKNOWN, START, err, sizeof(err));
	CHECK(fs == NULL);
	CHECK(filesrc_new(NULL, STRIDE_ROLE_WATCH, START, err,
	    sizeof(err)) == NULL);
	/* A file the readers refuse: the reason, after the path. */
	fs = filesrc_open("/nonexistent/run.fit", STRIDE_ROLE_WATCH, START,
	    err, sizeof(err));
	CHECK(fs == NULL && strncmp(err, "/nonexistent/run.fit: ", 22) == 0);
	filesrc_close(NULL);
}

static void
test_real(const char *dir)
{
	struct dirent		*de;
	struct stride_sample	 s, prev;
	struct filesrc		*fs;
	DIR			*d;
	char			 path[1024], err[512];
	int			 files = 0, k;

	if ((d = opendir(dir)) == NULL) {
		printf("test_filesrc: %s: cannot read, real files skipped\n",
		    dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || (strcmp(de->d_name + len - 4, ".fit") != 0 &&
		    strcmp(de->d_name + len - 4, ".tcx") != 0 &&
		    strcmp(de->d_name + len - 4, ".gpx") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		for (k = STRIDE_ROLE_FOOTPOD; k <= STRIDE_ROLE_WATCH; k++) {
			uint64_t	n = 0;
			int		ordered = 1, in_role = 1;

			memset(&prev, 0, sizeof(prev));

			fs = filesrc_open(path, (enum stride_role)k, START, err,
			    sizeof(err));
			if (fs == NULL) {
				fprintf(stderr, "%s\n", err);
				CHECK(0);
				continue;
			}
			while (filesrc_next(fs, &s) == 1) {
				if (n > 0 && s.t_ms <= prev.t_ms)
					ordered = 0;
				if (s.has & ~filesrc_want((enum stride_role)k))
					in_role = 0;
				if (n == 0 && s.t_ms != START)
					ordered = 0;
				prev = s;
				n++;
			}
			CHECK(ordered && in_role);
			CHECK(n == filesrc_count(fs) && n > 0);
			CHECK(prev.t_ms - START == filesrc_span_ms(fs));
			filesrc_close(fs);
		}
		files++;
	}
	closedir(d);
	printf("test_filesrc: %d real files replayed in both roles\n", files);
	CHECK(files > 0);
}

int
main(void)
{
	const char *act = getenv("STRIDE_ACTIVITIES");

	test_roles();
	test_refusals();
	if (act == NULL || act[0] == '\0')
		printf("test_filesrc: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else
		test_real(act);
	return check_done("test_filesrc");
}
