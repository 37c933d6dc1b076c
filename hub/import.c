/*
 * import.c - see import.h: recorded runs into a runner's closed sessions.
 *
 * Owns the rule that makes an import idempotent (import_same_run), the
 * mapping from a file's records to stored samples, the usual-cadence
 * baseline, and the file list of an import. Never includes SQLite (every
 * read and write goes through store.c), never parses a file itself (the
 * activity readers in libstride do), never prints (the CLI does; store
 * errors are logged by store.c, a refusal is a static reason).
 *
 * Design notes:
 * 1. The summary of an imported session is made the way hub.c's finalize
 *    makes a live one: samples read back from the store (so quantised by
 *    chunk.c exactly as live samples are), fused with FUSE_PARAMS_DEFAULT.
 *    That read-back and the inserts share one transaction with the
 *    same-run check, so a file is either wholly stored and closed, or not
 *    at all, and two imports of one run cannot both get through.
 * 2. Idempotence by time, not by file: the same run can arrive as FIT,
 *    TCX and GPX (the GPX lacks the fix-less points, so its first sample
 *    is later), or may have been streamed live by the runner's devices
 *    with other clocks. Overlap of more than half the shorter span says
 *    "one run" for all of these; a run and the cool-down walk recorded
 *    after it as a second activity overlap little and stay two sessions.
 *    What this does not catch: a device's live backlog of a run arriving
 *    after the run was imported makes a second session (the hub makes
 *    live sessions and does not check imports).
 * 3. A file with more records than the store keeps for one device of one
 *    session (IMPORT_SAMPLES_MAX) is refused whole, never cut short.
 * 4. Pauses need nothing special: the device recorded nothing while its
 *    timer stood, so the stored samples have a gap there, which the fuser
 *    counts as standing (a gap over its 10 s hold), as for a live device.
 *
 * Not thread-safe: one store handle, one thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "stride/log.h"
#include "stride/plan.h"

#define IMPORT_NEAR_MS	(2 * FUSE_MAX_SPAN_MS)	/* a session starting this
						   long before a file can
						   still overlap it */
#define IMPORT_SNIFF	4096	/* bytes activity_detect looks at */

int
import_same_run(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t	lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	int64_t	shorter = a1 - a0 < b1 - b0 ? a1 - a0 : b1 - b0;

	if (hi < lo)
		return 0;		/* apart */
	if (shorter <= 0)
		return 1;		/* a point inside the other span */
	return (hi - lo) * 2 > shorter;
}

int
import_check(const struct activity *a, const char **why)
{
	if (a->n < 2) {
		*why = "fewer than two records: not a run";
		return -1;
	}
	if (a->flags & ACTIVITY_F_RELATIVE_TIME) {
		*why = "the device's clock was never set: the run has no date";
		return -1;
	}
	if (a->sport == ACTIVITY_SPORT_OTHER) {
		*why = "not a run: the file's sport is not running, walking "
		    "or hiking";
		return -1;
	}
	if (a->rec[0].t_ms < STRIDE_T_MIN_MS ||
	    a->rec[a->n - 1].t_ms > STRIDE_T_MAX_MS) {
		*why = "dated before 2000 or after 2099";
		return -1;
	}
	if (a->rec[a->n - 1].t_ms - a->rec[0].t_ms > FUSE_MAX_SPAN_MS) {
		*why = "longer than a day: not one run";
		return -1;
	}
	if (a->n > IMPORT_SAMPLES_MAX) {
		*why = "more records than the store keeps for one session";
		return -1;
	}
	return 0;
}

void
import_prepare(struct activity *a)
{
	size_t	i;
	int	dist = 0;

	for (i = 0; i < a->n && !dist; i++)
		dist = (a->rec[i].has & ACTIVITY_HAS_DIST) != 0;
	if (!dist)
		return;		/* the file's speed is all there is */
	for (i = 0; i < a->n; i++) {
		a->rec[i].has &= (uint16_t)~ACTIVITY_HAS_SPD;
		a->rec[i].derived &= (uint16_t)~ACTIVITY_HAS_SPD;
		a->rec[i].spd_mps = 0;
	}
	activity_finish(a);	/* no record has a speed: derived from
				   distance over +-5 s, never over a pause */
}

size_t
import_samples(const struct activity *a, struct stride_sample *out,
    size_t cap)
{
	const unsigned	all = STRIDE_HAS_CAD | STRIDE_HAS_SPD |
			    STRIDE_HAS_GRADE | STRIDE_HAS_ALT | STRIDE_HAS_DIST;
	size_t		i, n = 0;

	for (i = 0; i < a->n && n < cap; i++) {
		if (activity_sample(&a->rec[i], a->rec[i].t_ms, all,
		    &out[n]) == 0)
			n++;
	}
	return n;
}

static int
import_cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

int
import_usual_cadence(const struct session_summary *runs, size_t n,
    size_t *nruns)
{
	double	*cad, mid;
	size_t	 i, k = 0;
	int	 spm = 0;

	if (nruns != NULL)
		*nruns = 0;
	if (n == 0 || (cad = calloc(n, sizeof(*cad))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		const struct session_summary *m = &runs[i];

		if (!isfinite(m->moving_s) || m->moving_s < IMPORT_FLAT_MIN_S ||
		    !isfinite(m->avg_cadence_spm) ||
		    m->avg_cadence_spm < PLAN_CAD_MIN_SPM ||
		    m->avg_cadence_spm > PLAN_CAD_MAX_SPM ||
		    !(m->band_s[1] + m->ungraded_s >= IMPORT_FLAT_FRAC *
		    m->moving_s))
			continue;
		cad[k++] = m->avg_cadence_spm;
	}
	if (k > 0) {
		qsort(cad, k, sizeof(*cad), import_cmp_double);
		mid = k % 2 ? cad[k / 2] : (cad[k / 2 - 1] + cad[k / 2]) / 2;
		spm = (int)lround(mid);
	}
	free(cad);
	if (nruns != NULL)
		*nruns = k;
	return spm;
}

/* ---- the store glue ---- */

struct import_near {
	int64_t			 t0, t1;	/* the file's span */
	struct import_result	*out;
};

/* A session of the runner near the file: is it the same run? */
static int
import_near_cb(void *arg, const struct store_session *s)
{
	struct import_near	*nr = arg;
	int64_t			 s0, s1;

	if (!s->open && s->sum.end_ms > 0) {
		s0 = s->sum.start_ms;
		s1 = s->sum.end_ms;
	} else {
		s0 = s->start_ms;
		s1 = s->last_t_ms > s->stop_ms ? s->last_t_ms : s->stop_ms;
	}
	if (s1 < s0 || !import_same_run(nr->t0, nr->t1, s0, s1))
		return 0;
	nr->out->status = IMPORT_SAME_RUN;
	nr->out->session_id = s->id;
	nr->out->same_imported = s->imported;
	return 1;
}

struct import_collect {
	struct stride_sample	*s;	/* one device's, copied */
	size_t			 n;
	enum stride_role	 role;
	int			 devices;
};

static int
import_collect_cb(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct import_collect *c = arg;

	(void)device_id;
	if (n == 0)
		return 0;
	if (c->devices++ > 0)
		return -1;	/* a new session has one device: cannot be */
	if ((c->s = malloc(n * sizeof(*c->s))) == NULL)
		return -1;
	memcpy(c->s, s, n * sizeof(*c->s));
	c->n = n;
	c->role = role;
	return 0;
}

/* The stored samples of session id, fused as hub.c finalizes (design note
 * 1). 0, 1 nothing to fuse, -1 error. */
static int
import_fuse_stored(struct store *st, int64_t id, struct session_summary *sum)
{
	struct import_collect	c;
	struct fuse_input	in;
	int			rc;

	memset(&c, 0, sizeof(c));
	if (store_session_samples(st, id, import_collect_cb, &c) != 0) {
		/* store.c logged its own failures; these are ours. */
		if (c.devices > 1 || (c.devices == 1 && c.s == NULL))
			log_warnx("import: session %lld: %s", (long long)id,
			    c.devices > 1 ? "more than one device" :
			    "out of memory");
		free(c.s);
		return -1;
	}
	in.role = c.role;
	in.s = c.s;
	in.n = c.n;
	rc = c.n == 0 || fuse_session(&in, 1, NULL, sum) == -1 ? 1 : 0;
	free(c.s);
	return rc;
}

/* Inside the transaction: the session, its samples, events, summary. */
static int
import_store(struct store *st, int64_t runner_id, const char *runner,
    const struct stride_sample *s, size_t n, struct import_result *out)
{
	struct store_device	 d;
	struct store_session	 ss;
	size_t			 i, k;
	uint32_t		 seq = 0;
	int			 rc;

	if (store_device_get(st, runner_id, runner, IMPORT_DEVICE, 1,
	    &d) != 0)
		return -1;
	if (d.role == STRIDE_ROLE_UNKNOWN) {
		d.role = IMPORT_ROLE;
		if (store_device_save(st, &d) == -1)
			return -1;
	}
	if (store_session_new(st, runner_id, s[0].t_ms, &out->session_id) == -1)
		return -1;
	for (i = 0; i < n; i += k) {
		k = n - i < STRIDE_SAMPLES_MAX ? n - i : STRIDE_SAMPLES_MAX;
		if (store_chunk_put(st, out->session_id, d.id, IMPORT_EPOCH,
		    ++seq, &s[i], k) == -1)
			return -1;
	}
	if (store_event_put(st, out->session_id, d.id, s[0].t_ms,
	    STRIDE_EVENT_START) == -1 ||
	    store_event_put(st, out->session_id, d.id, s[n - 1].t_ms,
	    STRIDE_EVENT_STOP) == -1)
		return -1;
	memset(&ss, 0, sizeof(ss));
	ss.id = out->session_id;
	ss.runner_id = runner_id;
	ss.start_ms = s[0].t_ms;
	ss.last_t_ms = ss.stop_ms = s[n - 1].t_ms;
	if (store_session_save(st, &ss) == -1)
		return -1;
	if ((rc = import_fuse_stored(st, out->session_id, &out->sum)) != 0)
		return rc;
	if (!(out->sum.moving_s > 0))
		return 1;
	if (store_session_close(st, out->session_id, &out->sum) == -1 ||
	    store_session_imported(st, out->session_id) == -1)
		return -1;
	return 0;
}

int
import_activity(struct store *st, int64_t runner_id, const char *runner,
    struct activity *a, struct import_result *out)
{
	struct stride_sample	*s = NULL;
	struct import_near	 nr;
	size_t			 n;
	int			 rc;

	memset(out, 0, sizeof(*out));
	out->status = IMPORT_REFUSED;
	if (import_check(a, &out->why) == -1)
		return 0;
	import_prepare(a);
	if ((s = calloc(a->n, sizeof(*s))) == NULL) {
		log_warnx("import: out of memory for %zu records", a->n);
		out->status = IMPORT_FAILED;
		return -1;
	}
	if ((n = import_samples(a, s, a->n)) == 0) {
		out->why = "no speed, distance or cadence in any record";
		free(s);
		return 0;
	}
	out->start_ms = s[0].t_ms;

	if (store_begin(st) == -1)
		goto failed;
	nr.t0 = s[0].t_ms;
	nr.t1 = s[n - 1].t_ms;
	nr.out = out;
	rc = store_sessions_near(st, runner_id, nr.t0 - IMPORT_NEAR_MS, nr.t1,
	    import_near_cb, &nr);
	if (rc == 0)
		rc = import_store(st, runner_id, runner, s, n, out);
	else if (rc == 1)
		rc = 2;		/* the same run: nothing to write */
	switch (rc) {
	case 0:
		if (store_commit(st) == -1)
			goto failed;
		out->status = IMPORT_ADDED;
		break;
	case 1:
		store_rollback(st);
		out->status = IMPORT_REFUSED;
		out->session_id = 0;
		memset(&out->sum, 0, sizeof(out->sum));
		out->why = "no movement: never 0.5 m/s or faster";
		break;
	case 2:
		if (store_commit(st) == -1)	/* read only: cannot fail */
			goto failed;
		break;
	default:
		goto failed;
	}
	free(s);
	return 0;
failed:
	store_rollback(st);
	free(s);
	out->status = IMPORT_FAILED;
	out->session_id = 0;
	return -1;
}

int
import_end(struct store *st, const struct store_import *im,
    const struct session_summary *added, size_t nadded, int *cadence_spm)
{
	struct store_profile	p;
	int			spm;

	*cadence_spm = 0;
	spm = import_usual_cadence(added, nadded, NULL);
	if (store_begin(st) == -1)
		return -1;
	if (spm > 0) {
		/* Read inside the transaction: `profile` may have set it. */
		if (store_profile_get(st, im->runner_id, &p) != 0)
			goto fail;
		if (p.cadence_spm == 0) {
			p.cadence_spm = spm;
			if (store_profile_set(st, im->runner_id, &p) == -1)
				goto fail;
			*cadence_spm = spm;
		}
	}
	if (store_import_put(st, im, NULL) == -1 || store_commit(st) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	*cadence_spm = 0;
	return -1;
}

/* ---- the file list ---- */

static int
import_list_push(struct import_list *l, const char *path, char *err,
    size_t errlen)
{
	char	**p;
	size_t	  cap;

	if (l->n >= IMPORT_FILES_MAX) {
		snprintf(err, errlen, "%s: more than %d files", path,
		    IMPORT_FILES_MAX);
		return -1;
	}
	if (l->n == l->cap) {
		cap = l->cap == 0 ? 64 : l->cap * 2;
		if ((p = realloc(l->path, cap * sizeof(*p))) == NULL)
			goto nomem;
		l->path = p;
		l->cap = cap;
	}
	if ((l->path[l->n] = strdup(path)) == NULL)
		goto nomem;
	l->n++;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

/* Does the file at path start like FIT, TCX or GPX? */
static int
import_sniff(const char *path)
{
	unsigned char	buf[IMPORT_SNIFF];
	ssize_t		n;
	size_t		got = 0;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	while (got < sizeof(buf) && (n = read(fd, buf + got,
	    sizeof(buf) - got)) > 0)
		got += (size_t)n;
	close(fd);
	return activity_detect(buf, got) != ACTIVITY_FMT_UNKNOWN;
}

static int
import_walk(struct import_list *l, const char *dir, int depth, char *err,
    size_t errlen)
{
	struct dirent	**ents = NULL;
	struct stat	  sb;
	char		 *path = NULL;
	size_t		  len;
	int		  i, n, rc = 0;

	if (depth > IMPORT_DEPTH_MAX) {
		snprintf(err, errlen, "%s: folders nested deeper than %d",
		    dir, IMPORT_DEPTH_MAX);
		return -1;
	}
	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = ents[i]->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		len = strlen(dir) + 1 + strlen(name) + 1;
		free(path);
		if ((path = malloc(len)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", dir);
			rc = -1;
			break;
		}
		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] ==
		    '/' ? "" : "/", name);
		/* lstat: a link inside a folder is not followed (loops). */
		if (lstat(path, &sb) == -1)
			continue;	/* gone since scandir */
		if (S_ISDIR(sb.st_mode))
			rc = import_walk(l, path, depth + 1, err, errlen);
		else if (S_ISREG(sb.st_mode) && import_sniff(path))
			rc = import_list_push(l, path, err, errlen);
		else
			l->ignored++;
	}
	free(path);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int
import_list_add(struct import_list *l, const char *path, char *err,
    size_t errlen)
{
	struct stat sb;

	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return import_walk(l, path, 0, err, errlen);
	/* Named on the command line: always tried, and refused with the
	 * reader's reason if it is not an activity. */
	return import_list_push(l, path, err, errlen);
}

void
import_list_free(struct import_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->path[i]);
	free(l->path);
	memset(l, 0, sizeof(*l));
}
