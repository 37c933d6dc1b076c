/*
 * filesrc.c - see filesrc.h: a recorded run replayed as one device.
 *
 * Owns the activity it was given and a cursor into its records. Never
 * reads the clock (the caller passes start_ms) and never logs: reasons go
 * back in err. The only I/O is activity_load() in filesrc_open().
 *
 * Invariant: every sample filesrc_next() hands out has a time within the
 * protocol's range and strictly after the previous one (records are
 * strictly increasing, and filesrc_new() checked the whole span).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filesrc.h"

struct filesrc {
	struct activity	*a;
	enum stride_role role;
	int64_t		 start_ms;
	size_t		 next;		/* first record not handed out */
	uint64_t	 count;		/* records that give a sample */
	int64_t		 span_ms;	/* first to last such record */
};

unsigned
filesrc_want(enum stride_role role)
{
	switch (role) {
	case STRIDE_ROLE_FOOTPOD:
		return FILESRC_WANT_FOOTPOD;
	case STRIDE_ROLE_WATCH:
		return FILESRC_WANT_WATCH;
	default:
		return 0;
	}
}

int
filesrc_sample(const struct activity *a, size_t i, enum stride_role role,
    int64_t start_ms, struct stride_sample *out)
{
	if (i >= a->n)
		return -1;
	return activity_sample(&a->rec[i], start_ms + (a->rec[i].t_ms -
	    a->rec[0].t_ms), filesrc_want(role), out);
}

struct filesrc *
filesrc_new(struct activity *a, enum stride_role role, int64_t start_ms,
    char *err, size_t errlen)
{
	struct filesrc		*fs;
	struct stride_sample	 s;
	int64_t			 first = -1, last = -1;
	size_t			 i;
	uint64_t		 count = 0;

	if (a == NULL) {
		snprintf(err, errlen, "no activity");
		return NULL;
	}
	if (filesrc_want(role) == 0) {
		snprintf(err, errlen, "no role to replay as");
		goto fail;
	}
	for (i = 0; i < a->n; i++) {
		if (filesrc_sample(a, i, role, 0, &s) == -1)
			continue;
		if (first < 0)
			first = s.t_ms;
		last = s.t_ms;
		count++;
	}
	if (count == 0) {
		snprintf(err, errlen, "no %s fields in this %s file (%zu "
		    "records)", stride_role_name(role),
		    activity_format_name(a->fmt), a->n);
		goto fail;
	}
	/* Offsets from rec[0]: first >= 0 and last - first is the span. */
	if (last - first > FILESRC_SPAN_MAX_MS) {
		snprintf(err, errlen, "the recording spans %.1f h: longer "
		    "than a day is not one run", (double)(last - first) /
		    3600e3);
		goto fail;
	}
	if (start_ms < STRIDE_T_MIN_MS ||
	    start_ms + (last - first) > STRIDE_T_MAX_MS) {
		snprintf(err, errlen, "start time %lld puts the samples "
		    "outside the protocol's years (2000..2099)",
		    (long long)start_ms);
		goto fail;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	fs->a = a;
	fs->role = role;
	/* The first sample, not the first record, is at start_ms. */
	fs->start_ms = start_ms - first;
	fs->count = count;
	fs->span_ms = last - first;
	return fs;
fail:
	activity_free(a);
	return NULL;
}

struct filesrc *
filesrc_open(const char *path, enum stride_role role, int64_t start_ms,
    char *err, size_t errlen)
{
	struct activity_err	 ae;
	struct activity		*a;
	struct filesrc		*fs;
	char			 why[256];

	if ((a = activity_load(path, &ae)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, activity_strerror(&ae,
		    why, sizeof(why)));
		return NULL;
	}
	if ((fs = filesrc_new(a, role, start_ms, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	return fs;
}

void
filesrc_close(struct filesrc *fs)
{
	if (fs == NULL)
		return;
	activity_free(fs->a);
	free(fs);
}

int
filesrc_next(struct filesrc *fs, struct stride_sample *out)
{
	while (fs->next < fs->a->n) {
		if (filesrc_sample(fs->a, fs->next++, fs->role, fs->start_ms,
		    out) == 0)
			return 1;
	}
	return 0;
}

uint64_t
filesrc_count(const struct filesrc *fs)
{
	return fs->count;
}

int64_t
filesrc_span_ms(const struct filesrc *fs)
{
	return fs->span_ms;
}

const struct activity *
filesrc_activity(const struct filesrc *fs)
{
	return fs->a;
}
