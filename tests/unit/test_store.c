/*
 * test_store.c - the SQLite store against a real file in a temp dir:
 * create and migrate, reopen, runners and devices, dedupe state, chunks
 * (duplicates, order, corruption), sessions, events and symptoms, walks,
 * read-only handles beside a writer, per-device sealed-plan versions (only
 * growing; which devices are due) and hub key rotations (checked rows,
 * oldest first).
 *
 * The test never includes sqlite3.h (store.c is its only includer): what
 * it needs to see of the file it reads from the file's bytes, whose format
 * is documented and stable (https://www.sqlite.org/fileformat.html).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chunk.h"
#include "dedupe.h"
#include "store.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */

static char	tmpdir[64];
static char	dbpath[128];

static void
rm_rf(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char	p[160];
	size_t	i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/other.db", tmpdir);
	unlink(p);
	rmdir(tmpdir);
}

static struct store *
open_rw(void)
{
	char		 err[256];
	struct store	*st = store_open(dbpath, 0, err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	return st;
}

static struct store *
open_ro(void)
{
	char		 err[256];
	struct store	*st = store_open(dbpath, 1, err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "store_open readonly: %s\n", err);
	return st;
}

/* The file header's user_version (offset 60, big-endian), or -1. */
static long
file_user_version(const char *path)
{
	unsigned char	h[100];
	int		fd;
	ssize_t		n;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h))
		return -1;
	return (long)h[60] << 24 | h[61] << 16 | h[62] << 8 | h[63];
}

static int
file_set_user_version(const char *path, uint32_t v)
{
	unsigned char	b[4] = { v >> 24, v >> 16, v >> 8, v };
	int		fd, ok;

	if ((fd = open(path, O_WRONLY)) == -1)
		return -1;
	ok = pwrite(fd, b, 4, 60) == 4;
	close(fd);
	return ok ? 0 : -1;
}

/* n samples of a device from t, 1 s apart; role decides the fields. */
static void
mk_samples(struct stride_sample *s, size_t n, int64_t t, enum stride_role r,
    double dist0)
{
	size_t	i;

	memset(s, 0, n * sizeof(*s));
	for (i = 0; i < n; i++) {
		s[i].t_ms = t + (int64_t)i * 1000;
		s[i].spd_mps = (float)(3.0 + 0.01 * (double)i);
		s[i].dist_m = dist0 + 3.0 * (double)i;
		if (r == STRIDE_ROLE_FOOTPOD) {
			s[i].cad_spm = (float)(170.0 + (double)i);
			s[i].has = STRIDE_HAS_CAD | STRIDE_HAS_SPD |
			    STRIDE_HAS_DIST;
		} else {
			s[i].alt_m = (float)(100.0 + (double)i);
			s[i].grade_pct = (float)(1.5);
			s[i].has = STRIDE_HAS_SPD | STRIDE_HAS_DIST |
			    STRIDE_HAS_ALT | STRIDE_HAS_GRADE;
		}
	}
}

/* What store_session_samples delivered. */
struct got {
	int		calls;
	int64_t		dev[4];
	enum stride_role role[4];
	size_t		n[4];
	int		sorted[4];
	int64_t		first[4], last[4];
	double		first_cad[4];
	int		stop_after;	/* return this from call #1 if set */
};

static int
got_cb(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct got	*g = arg;
	size_t		 i;
	int		 k = g->calls++;

	if (k >= 4)
		return -2;
	g->dev[k] = device_id;
	g->role[k] = role;
	g->n[k] = n;
	g->sorted[k] = 1;
	for (i = 1; i < n; i++)
		if (s[i].t_ms < s[i - 1].t_ms)
			g->sorted[k] = 0;
	g->first[k] = s[0].t_ms;
	g->last[k] = s[n - 1].t_ms;
	g->first_cad[k] = s[0].cad_spm;
	return g->stop_after;
}

/* Walk collectors. */
struct names {
	int	n;
	char	name[8][2 * STRIDE_ID_MAX + 2];
	int64_t	id[8];
	uint32_t devices[8], sessions[8];
	struct store_device dev[8];
	int	stop_at;	/* stop (return 5) after this many, if > 0 */
};

static int
runner_cb(void *arg, const struct store_runner *r)
{
	struct names *w = arg;

	if (w->n < 8) {
		snprintf(w->name[w->n], sizeof(w->name[0]), "%s", r->runner);
		w->id[w->n] = r->id;
		w->devices[w->n] = r->devices;
		w->sessions[w->n] = r->sessions;
	}
	w->n++;
	return w->stop_at > 0 && w->n >= w->stop_at ? 5 : 0;
}

static int
device_cb(void *arg, const struct store_device *d)
{
	struct names *w = arg;

	if (w->n < 8) {
		snprintf(w->name[w->n], sizeof(w->name[0]), "%s/%s",
		    d->runner, d->device);
		w->id[w->n] = d->id;
		w->dev[w->n] = *d;
	}
	w->n++;
	return w->stop_at > 0 && w->n >= w->stop_at ? 5 : 0;
}

static int
session_cb(void *arg, const struct store_session *s)
{
	struct names *w = arg;

	if (w->n < 8) {
		snprintf(w->name[w->n], sizeof(w->name[0]), "%s", s->runner);
		w->id[w->n] = s->id;
	}
	w->n++;
	return w->stop_at > 0 && w->n >= w->stop_at ? 5 : 0;
}

static void
test_open_fails_cleanly(void)
{
	char		 err[256], other[160];
	struct store	*st;
	int		 fd;

	/* Read-only on a missing file: no store, a reason, no file made. */
	err[0] = '\0';
	st = store_open(dbpath, 1, err, sizeof(err));
	CHECK(st == NULL);
	CHECK(err[0] != '\0');
	CHECK(access(dbpath, F_OK) == -1 && errno == ENOENT);
	CHECK(store_open(dbpath, 1, NULL, 0) == NULL);
	CHECK(store_open("", 0, err, sizeof(err)) == NULL);

	/* Not a database, and an empty file read-only (no schema). */
	snprintf(other, sizeof(other), "%s/other.db", tmpdir);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	CHECK(write(fd, "this is not a database, not at all......", 40) ==
	    40);
	close(fd);
	CHECK(store_open(other, 0, err, sizeof(err)) == NULL);
	CHECK(store_open(other, 1, err, sizeof(err)) == NULL);
	fd = open(other, O_WRONLY | O_TRUNC);
	close(fd);
	err[0] = '\0';
	CHECK(store_open(other, 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "schema") != NULL);
	unlink(other);
	store_close(NULL);	/* a no-op */
}

static void
test_create_and_reopen(void)
{
	struct store	*st;
	struct stat	 sb;
	int64_t		 a, a2, b;
	long		 v;

	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(stat(dbpath, &sb) == 0 && (sb.st_mode & 077) == 0);
	CHECK(store_runner_get(st, "alice", 0, &a) == 1);
	CHECK(store_runner_get(st, "alice", 1, &a) == 0);
	CHECK(store_runner_get(st, "alice", 1, &a2) == 0 && a2 == a);
	CHECK(store_runner_get(st, "alice", 0, &a2) == 0 && a2 == a);
	CHECK(store_runner_get(st, "bob", 1, &b) == 0 && b != a);
	CHECK(store_runner_get(st, "Alice", 1, &b) == -1);	/* not an id */
	CHECK(store_runner_get(st, "", 1, &b) == -1);
	CHECK(store_runner_get(st,
	    "abcdefghijabcdefghijabcdefghijabc", 1, &b) == -1);	/* 33 */
	store_close(st);

	v = file_user_version(dbpath);
	CHECK(v >= 1);

	/* Reopen: same data, same schema version, nothing re-run. */
	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(store_runner_get(st, "alice", 0, &a2) == 0 && a2 == a);
	store_close(st);
	CHECK(file_user_version(dbpath) == v);

	/* A file from a newer StrideHub is refused, not downgraded. */
	CHECK(file_set_user_version(dbpath, (uint32_t)v + 1) == 0);
	CHECK(open_rw() == NULL);
	CHECK(open_ro() == NULL);
	CHECK(file_set_user_version(dbpath, (uint32_t)v) == 0);
	st = open_ro();
	CHECK(st != NULL);
	store_close(st);
}

static void
test_devices(void)
{
	struct store		*st;
	struct store_device	 d, d2, e;
	struct names		 w;
	int64_t			 a, b;
	uint32_t		 s;

	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(store_runner_get(st, "alice", 0, &a) == 0);
	CHECK(store_runner_get(st, "bob", 0, &b) == 0);
	CHECK(store_device_get(st, a, "alice", "pod1", 0, &d) == 1);
	CHECK(store_device_get(st, a, "alice", "pod1", 1, &d) == 0);
	CHECK(d.id > 0 && d.runner_id == a);
	CHECK(strcmp(d.runner, "alice") == 0 && strcmp(d.device, "pod1") == 0);
	CHECK(d.role == STRIDE_ROLE_UNKNOWN && d.battery == -1 && !d.online);
	CHECK(d.dd.epoch == 0 && d.dd.top == 0 && d.dd.bits == 0);
	CHECK(store_device_get(st, a, "alice", "Pod1", 1, &e) == -1);

	/* Same device name, another runner: another device. */
	CHECK(store_device_get(st, b, "bob", "pod1", 1, &e) == 0);
	CHECK(e.id != d.id && e.runner_id == b);

	/* Dedupe state from real dedupe_check calls, with the top bit of
	 * the window set (the uint64 -> int64 -> uint64 path). */
	CHECK(dedupe_check(&d.dd, 7, 1, NULL) == DEDUPE_NEW);
	for (s = 3; s <= 64; s++)
		CHECK(dedupe_check(&d.dd, 7, s, NULL) == DEDUPE_NEW);
	CHECK(d.dd.bits >> 63 & 1);
	CHECK(d.dd.acked == 1);
	d.role = STRIDE_ROLE_FOOTPOD;
	d.online = 1;
	d.battery = 87;
	d.last_seen_ms = T0 + 12345;
	CHECK(store_begin(st) == 0);
	CHECK(store_device_save(st, &d) == 0);
	CHECK(store_commit(st) == 0);
	e = d;
	e.id = 999999;
	CHECK(store_device_save(st, &e) == -1);	/* no such device */
	store_close(st);

	/* Reloaded: every persisted field, and a duplicate is still one. */
	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(store_device_get(st, a, "alice", "pod1", 0, &d2) == 0);
	CHECK(d2.id == d.id && d2.role == STRIDE_ROLE_FOOTPOD);
	CHECK(d2.dd.epoch == d.dd.epoch && d2.dd.top == d.dd.top &&
	    d2.dd.bits == d.dd.bits && d2.dd.acked == d.dd.acked);
	CHECK(d2.online == 1 && d2.battery == 87 &&
	    d2.last_seen_ms == T0 + 12345);
	CHECK(dedupe_check(&d2.dd, 7, 40, NULL) == DEDUPE_DUPLICATE);
	CHECK(dedupe_check(&d2.dd, 7, 2, NULL) == DEDUPE_NEW);

	/* The start-up reload walks every device. */
	memset(&w, 0, sizeof(w));
	CHECK(store_devices_walk(st, NULL, device_cb, &w) == 0);
	CHECK(w.n == 2);
	CHECK(strcmp(w.name[0], "alice/pod1") == 0 &&
	    strcmp(w.name[1], "bob/pod1") == 0);
	CHECK(w.dev[0].dd.bits == d.dd.bits && w.dev[0].battery == 87);
	CHECK(w.dev[1].role == STRIDE_ROLE_UNKNOWN);
	store_close(st);
}

static void
put_chunks(struct store *st, int64_t sid, int64_t pod, int64_t watch,
    size_t *npod, size_t *nwatch)
{
	struct stride_sample	s[STRIDE_SAMPLES_MAX];
	uint32_t		seq;

	*npod = *nwatch = 0;
	/* Pod: epoch 3, 5 messages of 16, sent out of order. */
	for (seq = 5; seq >= 1; seq--) {
		mk_samples(s, 16, T0 + (int64_t)(seq - 1) * 16000,
		    STRIDE_ROLE_FOOTPOD, 48.0 * (seq - 1));
		CHECK(store_chunk_put(st, sid, pod, 3, seq, s, 16) == 0);
		*npod += 16;
	}
	/* The pod rebooted with a clock behind: epoch 4 samples fall in
	 * between the earlier ones (and overlap in time). */
	mk_samples(s, 4, T0 + 20500, STRIDE_ROLE_FOOTPOD, 0);
	CHECK(store_chunk_put(st, sid, pod, 4, 1, s, 4) == 0);
	*npod += 4;
	/* Watch: 3 messages of 10. */
	for (seq = 1; seq <= 3; seq++) {
		mk_samples(s, 10, T0 + 500 + (int64_t)(seq - 1) * 10000,
		    STRIDE_ROLE_WATCH, 30.0 * (seq - 1));
		CHECK(store_chunk_put(st, sid, watch, 9, seq, s, 10) == 0);
		*nwatch += 10;
	}
}

static void
test_chunks_and_sessions(void)
{
	struct store		*st;
	struct store_device	 pod, watch;
	struct store_session	 ss, got_s;
	struct session_summary	 sum;
	struct stride_sample	 s[STRIDE_SAMPLES_MAX];
	struct got		 g;
	int64_t			 a, sid, sid2, empty;
	size_t			 npod, nwatch;
	int			 i;

	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(store_runner_get(st, "alice", 0, &a) == 0);
	CHECK(store_device_get(st, a, "alice", "pod1", 0, &pod) == 0);
	CHECK(store_device_get(st, a, "alice", "watch1", 1, &watch) == 0);
	watch.role = STRIDE_ROLE_WATCH;
	CHECK(store_device_save(st, &watch) == 0);

	CHECK(store_begin(st) == 0);
	CHECK(store_session_new(st, a, T0, &sid) == 0 && sid > 0);
	put_chunks(st, sid, pod.id, watch.id, &npod, &nwatch);
	/* A redelivery with other content: the first one stays. */
	mk_samples(s, 16, T0, STRIDE_ROLE_FOOTPOD, 0);
	for (i = 0; i < 16; i++)
		s[i].cad_spm = 200;
	CHECK(store_chunk_put(st, sid, pod.id, 3, 1, s, 16) == 0);
	/* Refused: nothing to pack, or out of range; unknown session. */
	CHECK(store_chunk_put(st, sid, pod.id, 3, 6, s, 0) == -1);
	s[0].spd_mps = 99;
	CHECK(store_chunk_put(st, sid, pod.id, 3, 7, s, 1) == -1);
	s[0].spd_mps = 3;
	CHECK(store_chunk_put(st, sid + 100, pod.id, 3, 8, s, 1) == -1);
	CHECK(store_commit(st) == 0);

	/* A rolled back batch leaves nothing. */
	CHECK(store_begin(st) == 0);
	mk_samples(s, 2, T0 + 999000, STRIDE_ROLE_FOOTPOD, 0);
	CHECK(store_chunk_put(st, sid, pod.id, 5, 1, s, 2) == 0);
	CHECK(store_rollback(st) == 0);
	CHECK(store_rollback(st) == 0);		/* none open: harmless */

	memset(&g, 0, sizeof(g));
	CHECK(store_session_samples(st, sid, got_cb, &g) == 0);
	CHECK(g.calls == 2);
	CHECK(g.dev[0] == (pod.id < watch.id ? pod.id : watch.id));
	for (i = 0; i < 2 && i < g.calls; i++) {
		int is_pod = g.dev[i] == pod.id;

		CHECK(g.role[i] == (is_pod ? STRIDE_ROLE_FOOTPOD :
		    STRIDE_ROLE_WATCH));
		CHECK(g.n[i] == (is_pod ? npod : nwatch));
		CHECK(g.sorted[i]);
		CHECK(g.first[i] == (is_pod ? T0 : T0 + 500));
		if (is_pod) {
			CHECK(g.last[i] == T0 + 79000);
			CHECK_NEAR(g.first_cad[i], 170.0, 0.05);
		}
	}

	/* A callback's non-zero stops the walk and is returned. */
	memset(&g, 0, sizeof(g));
	g.stop_after = 42;
	CHECK(store_session_samples(st, sid, got_cb, &g) == 42);
	CHECK(g.calls == 1);

	/* A session without samples calls nothing. */
	CHECK(store_session_new(st, a, T0 + 86400000, &empty) == 0);
	memset(&g, 0, sizeof(g));
	CHECK(store_session_samples(st, empty, got_cb, &g) == 0);
	CHECK(g.calls == 0);

	/* Session progress, then the summary. */
	CHECK(store_session_get(st, sid, &got_s) == 0);
	CHECK(got_s.open == 1 && got_s.start_ms == T0 &&
	    got_s.last_t_ms == T0 && got_s.stop_ms == 0);
	CHECK(got_s.runner_id == a && strcmp(got_s.runner, "alice") == 0);
	ss = got_s;
	ss.start_ms = T0 - 5000;
	ss.last_t_ms = T0 + 79000;
	ss.stop_ms = T0 + 80000;
	CHECK(store_session_save(st, &ss) == 0);
	CHECK(store_session_get(st, sid, &got_s) == 0);
	CHECK(got_s.start_ms == T0 - 5000 && got_s.last_t_ms == T0 + 79000 &&
	    got_s.stop_ms == T0 + 80000 && got_s.open);
	ss.id = 987654;
	CHECK(store_session_save(st, &ss) == -1);

	memset(&sum, 0, sizeof(sum));
	sum.start_ms = T0;
	sum.end_ms = T0 + 80000;
	sum.moving_s = 79.5;
	sum.distance_m = 241.25;
	sum.avg_speed_mps = 3.03;
	sum.max_speed_mps = 3.15;
	sum.avg_cadence_spm = 177.5;
	sum.avg_step_m = 1.02;
	for (i = 0; i < FUSE_BANDS; i++) {
		sum.band_s[i] = 10.0 * i + 0.5;
		sum.band_m[i] = 30.0 * i + 0.25;
	}
	sum.ungraded_s = 3.5;
	sum.samples = (uint32_t)(npod + nwatch);
	sum.devices = 2;
	CHECK(store_session_close(st, sid, &sum) == 0);
	CHECK(store_session_close(st, 987654, &sum) == -1);
	CHECK(store_session_get(st, sid, &got_s) == 0);
	CHECK(!got_s.open);
	CHECK(got_s.start_ms == T0 - 5000);	/* kept: not the summary's */
	CHECK(got_s.sum.start_ms == sum.start_ms &&
	    got_s.sum.end_ms == sum.end_ms);
	CHECK(memcmp(&got_s.sum, &sum, sizeof(sum)) == 0);
	CHECK(store_session_get(st, 987654, &got_s) == 1);
	CHECK(got_s.id == 0);

	/* Events and symptoms; their references are enforced. */
	CHECK(store_event_put(st, sid, pod.id, T0, STRIDE_EVENT_START) == 0);
	CHECK(store_event_put(st, sid, pod.id, T0 + 80000, STRIDE_EVENT_STOP) ==
	    0);
	CHECK(store_event_put(st, sid, pod.id, T0, STRIDE_EVENT_NONE) == -1);
	CHECK(store_event_put(st, sid, pod.id, T0, STRIDE_EVENT_COUNT) == -1);
	CHECK(store_event_put(st, 987654, pod.id, T0, STRIDE_EVENT_LAP) == -1);

	/* Cue counts: none yet, then summed over devices; a device's second
	 * stop replaces its first counts rather than adding to them. */
	{
		uint16_t	c1[STRIDE_CUE_COUNT] = { 0 }, c2[STRIDE_CUE_COUNT] = { 0 };
		uint32_t	tot[STRIDE_CUE_COUNT];
		int		any = -1;

		CHECK(store_session_cues(st, sid, tot, &any) == 0 && any == 0);
		c1[STRIDE_CUE_CADENCE_LOW] = 2;
		c1[STRIDE_CUE_PAIN_STOP] = 1;
		c2[STRIDE_CUE_CADENCE_LOW] = 5;
		CHECK(store_cues_put(st, sid, pod.id, c1) == 0);
		CHECK(store_cues_put(st, sid, watch.id, c2) == 0);
		CHECK(store_session_cues(st, sid, tot, &any) == 0 && any == 1);
		CHECK(tot[STRIDE_CUE_CADENCE_LOW] == 7);
		CHECK(tot[STRIDE_CUE_PAIN_STOP] == 1);
		CHECK(tot[STRIDE_CUE_SPEED_HIGH] == 0);
		c1[STRIDE_CUE_CADENCE_LOW] = 3;
		CHECK(store_cues_put(st, sid, pod.id, c1) == 0);
		CHECK(store_session_cues(st, sid, tot, &any) == 0);
		CHECK(tot[STRIDE_CUE_CADENCE_LOW] == 8);
		/* References are enforced here too. */
		CHECK(store_cues_put(st, 987654, pod.id, c1) == -1);
	}
	CHECK(store_symptom_put(st, a, watch.id, sid, T0 + 60000,
	    STRIDE_WHEN_DURING, STRIDE_LEVEL_AWARE, 3) == 0);
	CHECK(store_symptom_put(st, a, watch.id, 0, T0 + 86400000,
	    STRIDE_WHEN_NEXT_DAY, STRIDE_LEVEL_USUAL, -1) == 0);
	CHECK(store_symptom_put(st, a, watch.id, 0, T0, STRIDE_WHEN_NONE,
	    STRIDE_LEVEL_USUAL, -1) == -1);
	CHECK(store_symptom_put(st, a, watch.id, 0, T0, STRIDE_WHEN_DURING,
	    STRIDE_LEVEL_COUNT, -1) == -1);
	CHECK(store_symptom_put(st, a, watch.id, 0, T0, STRIDE_WHEN_DURING,
	    STRIDE_LEVEL_USUAL, 11) == -1);
	CHECK(store_symptom_put(st, a, watch.id, 987654, T0,
	    STRIDE_WHEN_DURING, STRIDE_LEVEL_USUAL, 2) == -1);
	CHECK(store_symptom_put(st, 987654, watch.id, 0, T0,
	    STRIDE_WHEN_DURING, STRIDE_LEVEL_USUAL, 2) == -1);

	/* A second open session for bob, for the walks. */
	{
		int64_t b;
		CHECK(store_runner_get(st, "bob", 0, &b) == 0);
		CHECK(store_session_new(st, b, T0 + 3600000, &sid2) == 0);
	}
	store_close(st);
}

static void
test_walks(void)
{
	struct store	*st;
	struct names	 w;

	CHECK((st = open_ro()) != NULL);
	if (st == NULL)
		return;
	memset(&w, 0, sizeof(w));
	CHECK(store_runners_walk(st, runner_cb, &w) == 0);
	CHECK(w.n == 2);
	CHECK(strcmp(w.name[0], "alice") == 0 && w.devices[0] == 2 &&
	    w.sessions[0] == 2);
	CHECK(strcmp(w.name[1], "bob") == 0 && w.devices[1] == 1 &&
	    w.sessions[1] == 1);
	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	CHECK(store_runners_walk(st, runner_cb, &w) == 5 && w.n == 1);

	memset(&w, 0, sizeof(w));
	CHECK(store_devices_walk(st, "alice", device_cb, &w) == 0);
	CHECK(w.n == 2 && strcmp(w.name[0], "alice/pod1") == 0 &&
	    strcmp(w.name[1], "alice/watch1") == 0);
	memset(&w, 0, sizeof(w));
	CHECK(store_devices_walk(st, "nobody", device_cb, &w) == 0 && w.n == 0);
	CHECK(store_devices_walk(st, "No Body", device_cb, &w) == -1);
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CHECK(store_devices_walk(st, NULL, device_cb, &w) == 5 && w.n == 2);

	/* All sessions by start time; the open ones (the start-up reload). */
	memset(&w, 0, sizeof(w));
	CHECK(store_sessions_walk(st, NULL, 0, session_cb, &w) == 0);
	CHECK(w.n == 3);
	CHECK(strcmp(w.name[0], "alice") == 0 &&
	    strcmp(w.name[1], "bob") == 0 && strcmp(w.name[2], "alice") == 0);
	memset(&w, 0, sizeof(w));
	CHECK(store_sessions_walk(st, NULL, 1, session_cb, &w) == 0);
	CHECK(w.n == 2);
	memset(&w, 0, sizeof(w));
	CHECK(store_sessions_walk(st, "alice", 0, session_cb, &w) == 0);
	CHECK(w.n == 2);
	memset(&w, 0, sizeof(w));
	CHECK(store_sessions_walk(st, "alice", 1, session_cb, &w) == 0);
	CHECK(w.n == 1 && strcmp(w.name[0], "alice") == 0);
	memset(&w, 0, sizeof(w));
	CHECK(store_sessions_walk(st, "bob", 1, session_cb, &w) == 0);
	CHECK(w.n == 1);
	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	CHECK(store_sessions_walk(st, NULL, 0, session_cb, &w) == 5);

	/* The reader cannot write. */
	{
		int64_t id;
		CHECK(store_runner_get(st, "carol", 1, &id) == -1);
		CHECK(store_runner_get(st, "carol", 0, &id) == 1);
	}
	store_close(st);
}

/* WAL: a reader sees the last commit while the writer is mid-batch. */
static void
test_reader_beside_writer(void)
{
	struct store		*w, *r;
	struct stride_sample	 s[STRIDE_SAMPLES_MAX];
	struct store_device	 pod;
	struct store_session	 ss;
	struct names		 n;
	struct got		 g;
	int64_t			 a, sid;

	CHECK((w = open_rw()) != NULL);
	CHECK((r = open_ro()) != NULL);
	if (w == NULL || r == NULL)
		goto done;
	CHECK(store_runner_get(w, "alice", 0, &a) == 0);
	CHECK(store_device_get(w, a, "alice", "pod1", 0, &pod) == 0);
	CHECK(store_begin(w) == 0);
	CHECK(store_session_new(w, a, T0 + 7200000, &sid) == 0);
	mk_samples(s, 8, T0 + 7200000, STRIDE_ROLE_FOOTPOD, 0);
	CHECK(store_chunk_put(w, sid, pod.id, 10, 1, s, 8) == 0);
	CHECK(store_runner_get(w, "dave", 1, &a) == 0);

	/* Mid-batch: the reader answers at once with the old state. */
	CHECK(store_session_get(r, sid, &ss) == 1);
	memset(&g, 0, sizeof(g));
	CHECK(store_session_samples(r, sid, got_cb, &g) == 0 && g.calls == 0);
	memset(&n, 0, sizeof(n));
	CHECK(store_runners_walk(r, runner_cb, &n) == 0 && n.n == 2);

	CHECK(store_commit(w) == 0);
	CHECK(store_session_get(r, sid, &ss) == 0 && ss.open);
	memset(&g, 0, sizeof(g));
	CHECK(store_session_samples(r, sid, got_cb, &g) == 0);
	CHECK(g.calls == 1 && g.n[0] == 8);
	memset(&n, 0, sizeof(n));
	CHECK(store_runners_walk(r, runner_cb, &n) == 0 && n.n == 3);
done:
	store_close(r);
	store_close(w);
}

/* Find needle in the file; its offset or -1. */
static long
file_find(const char *path, const uint8_t *needle, size_t len)
{
	static uint8_t	buf[1 << 20];
	ssize_t		n;
	long		i;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (i = 0; n > 0 && i + (long)len <= n; i++)
		if (memcmp(buf + i, needle, len) == 0)
			return i;
	return -1;
}

/*
 * A chunk corrupted on disk is skipped with a log line; the session's
 * other chunks still come back. The blob is found in the closed file by
 * its bytes (chunk_pack of the same samples) and its version byte broken.
 */
static void
test_corrupt_chunk(void)
{
	struct store		*st;
	struct store_device	 pod;
	struct stride_sample	 s[STRIDE_SAMPLES_MAX];
	struct got		 g;
	uint8_t			 blob[CHUNK_MAX], bad = 0x7e;
	int64_t			 a, sid;
	long			 off;
	int			 len, fd;

	CHECK((st = open_rw()) != NULL);
	if (st == NULL)
		return;
	CHECK(store_runner_get(st, "erin", 1, &a) == 0);
	CHECK(store_device_get(st, a, "erin", "pod7", 1, &pod) == 0);
	CHECK(store_session_new(st, a, T0 + 9000000, &sid) == 0);
	mk_samples(s, 12, T0 + 9000000, STRIDE_ROLE_FOOTPOD, 0);
	CHECK(store_chunk_put(st, sid, pod.id, 1, 1, s, 12) == 0);
	mk_samples(s, 12, T0 + 9012000, STRIDE_ROLE_FOOTPOD, 36);
	s[0].alt_m = 1234.5f;	/* an unusual, findable pattern */
	s[0].has |= STRIDE_HAS_ALT;
	len = chunk_pack(s, 12, blob, sizeof(blob));
	CHECK(len > 0);
	CHECK(store_chunk_put(st, sid, pod.id, 1, 2, s, 12) == 0);
	store_close(st);	/* checkpoints the WAL into the file */

	off = file_find(dbpath, blob, (size_t)len);
	CHECK(off > 0);
	if (off <= 0)
		return;
	fd = open(dbpath, O_WRONLY);
	CHECK(fd != -1 && pwrite(fd, &bad, 1, off) == 1);
	close(fd);

	CHECK((st = open_ro()) != NULL);
	if (st == NULL)
		return;
	memset(&g, 0, sizeof(g));
	CHECK(store_session_samples(st, sid, got_cb, &g) == 0);
	CHECK(g.calls == 1 && g.n[0] == 12 && g.last[0] == T0 + 9011000);
	store_close(st);
}

/* A rotation row as `key rotate` makes it (signatures are not the
 * store's business: random bytes stand in for them). */
static void
make_rot(struct store_rotation *r, int n, int64_t t)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->issued_ms = t;
	memset(r->old_key_id, n, sizeof(r->old_key_id));
	memset(r->sign_pk, n + 1, sizeof(r->sign_pk));
	memset(r->kx_pk, 0x77, sizeof(r->kx_pk));
	memcpy(r->ann, "STRDROT1", 8);
	memcpy(r->ann + 8, r->old_key_id, 8);
	memcpy(r->ann + 16, r->sign_pk, 32);
	memcpy(r->ann + 48, r->kx_pk, 32);
	for (i = 0; i < 8; i++)
		r->ann[80 + i] = (uint8_t)((uint64_t)t >> (56 - 8 * i));
	for (i = 88; i < STORE_ROT_BYTES; i++)
		r->ann[i] = (uint8_t)(i * 7 + n);
}

struct rots {
	int64_t	id[8];
	int	n;
	struct store_rotation last;
};

static int
rots_cb(void *arg, const struct store_rotation *r)
{
	struct rots *x = arg;

	if (x->n < 8)
		x->id[x->n++] = r->id;
	x->last = *r;
	return 0;
}

struct due {
	int		n;
	int64_t		dev[8];
	uint64_t	ver[8];
};

static int
due_cb(void *arg, const struct store_plan_due *d)
{
	struct due *x = arg;

	if (x->n < 8) {
		x->dev[x->n] = d->last.device_id;
		x->ver[x->n++] = d->last.version;
	}
	return 0;
}

static void
test_sealed_plans(void)
{
	struct store		*st = open_rw(), *ro;
	struct store_device	 a, b, c, z;
	struct store_device_plan dp;
	struct store_rotation	 r[4], got;
	struct store_plan	 p;
	struct rots		 x;
	struct due		 d;
	uint8_t			 pk[STORE_KEY_BYTES];
	int64_t			 rid, zid, id, last;
	uint64_t		 v;
	int			 i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_begin(st) == 0);
	CHECK(store_runner_get(st, "sealy", 1, &rid) == 0);
	CHECK(store_device_get(st, rid, "sealy", "a", 1, &a) == 0);
	CHECK(store_device_get(st, rid, "sealy", "b", 1, &b) == 0);
	CHECK(store_device_get(st, rid, "sealy", "c", 1, &c) == 0);
	CHECK(store_runner_get(st, "noplan", 1, &zid) == 0);
	CHECK(store_device_get(st, zid, "noplan", "z", 1, &z) == 0);
	/* a, b and z have keys; c has none. */
	for (i = 0; i < 3; i++) {
		memset(pk, 0xa0 + i, sizeof(pk));
		CHECK(store_device_key_put(st, i == 0 ? a.id : i == 1 ? b.id :
		    z.id, pk, pk, T0) == 0);
	}
	memset(&p, 0, sizeof(p));
	p.runner_id = rid;
	p.version = 1;
	p.issued_ms = T0;
	snprintf(p.reasons, sizeof(p.reasons), "START");
	p.len = (size_t)snprintf(p.json, sizeof(p.json), "{\"v\":1}");
	CHECK(store_plan_put(st, &p) == 0);

	/* Versions: 1 for the first seal, then each one more; the times and
	 * the plan it sealed are kept. Nonsense times are refused. */
	CHECK(store_device_plan_get(st, a.id, &dp) == 1);
	for (i = 1; i <= 3; i++) {
		CHECK(store_device_plan_next(st, a.id, 1, T0 + i, T0 + 100 + i,
		    &v) == 0 && v == (uint64_t)i);
	}
	CHECK(store_device_plan_next(st, a.id, 1, T0, T0, &v) == -1);
	CHECK(store_device_plan_next(st, a.id, 0, T0, T0 + 1, &v) == -1);
	CHECK(store_device_plan_get(st, a.id, &dp) == 0);
	CHECK(dp.device_id == a.id && dp.version == 3 &&
	    dp.plan_version == 1 && dp.issued_ms == T0 + 3 &&
	    dp.expires_ms == T0 + 103);
	CHECK(store_device_plan_next(st, b.id, 1, T0, T0 + 1000, &v) == 0 &&
	    v == 1);
	CHECK(store_commit(st) == 0);

	/* A rolled back raise is not kept (the caller commits before it
	 * publishes). */
	CHECK(store_begin(st) == 0);
	CHECK(store_device_plan_next(st, a.id, 1, T0, T0 + 1, &v) == 0 &&
	    v == 4);
	CHECK(store_rollback(st) == 0);
	CHECK(store_device_plan_get(st, a.id, &dp) == 0 && dp.version == 3);

	/* Due: active key, a plan, and a seal expiring before the time (or
	 * none yet). c (no key) and z (no plan) never are. */
	memset(&d, 0, sizeof(d));
	CHECK(store_device_plans_due_walk(st, T0 + 103, due_cb, &d) == 0);
	CHECK(d.n == 0);
	memset(&d, 0, sizeof(d));
	CHECK(store_device_plans_due_walk(st, T0 + 104, due_cb, &d) == 0);
	CHECK(d.n == 1 && d.dev[0] == a.id && d.ver[0] == 3);
	memset(&d, 0, sizeof(d));
	CHECK(store_device_plans_due_walk(st, INT64_MAX, due_cb, &d) == 0);
	CHECK(d.n == 2 && d.dev[0] == a.id && d.dev[1] == b.id);
	CHECK(store_device_key_revoke(st, b.id, T0) == 0);
	memset(&d, 0, sizeof(d));
	CHECK(store_device_plans_due_walk(st, INT64_MAX, due_cb, &d) == 0);
	CHECK(d.n == 1 && d.dev[0] == a.id);
	/* A device enrolled after the plan was made: due, never sealed. */
	memset(pk, 0xc0, sizeof(pk));
	CHECK(store_device_key_put(st, c.id, pk, pk, T0) == 0);
	memset(&d, 0, sizeof(d));
	CHECK(store_device_plans_due_walk(st, T0, due_cb, &d) == 0);
	CHECK(d.n == 1 && d.dev[0] == c.id && d.ver[0] == 0);

	/* Rotations: none, then three, read back oldest first, the newest
	 * `limit` of them. */
	CHECK(store_rotation_last_id(st, &last) == 0 && last == 0);
	CHECK(store_rotation_last(st, &got) == 1);
	for (i = 0; i < 3; i++) {
		make_rot(&r[i], i + 1, T0 + i * 1000);
		CHECK(store_rotation_put(st, &r[i], &id) == 0);
		r[i].id = id;
	}
	CHECK(r[0].id < r[1].id && r[1].id < r[2].id);
	CHECK(store_rotation_last_id(st, &last) == 0 && last == r[2].id);
	CHECK(store_rotation_last(st, &got) == 0);
	CHECK(memcmp(&got, &r[2], sizeof(got)) == 0);
	memset(&x, 0, sizeof(x));
	CHECK(store_rotations_walk(st, 2, rots_cb, &x) == 0);
	CHECK(x.n == 2 && x.id[0] == r[1].id && x.id[1] == r[2].id);
	memset(&x, 0, sizeof(x));
	CHECK(store_rotations_walk(st, 0, rots_cb, &x) == 0);
	CHECK(x.n == 3 && x.id[0] == r[0].id);
	/* Refused: fields that disagree with the announcement, a context
	 * that is not one, a key rotated to before. */
	make_rot(&r[3], 9, T0 + 9000);
	r[3].kx_pk[0] ^= 1;
	CHECK(store_rotation_put(st, &r[3], NULL) == -1);
	make_rot(&r[3], 9, T0 + 9000);
	r[3].ann[0] = 'X';
	CHECK(store_rotation_put(st, &r[3], NULL) == -1);
	make_rot(&r[3], 9, T0 + 9000);
	r[3].issued_ms++;
	CHECK(store_rotation_put(st, &r[3], NULL) == -1);
	make_rot(&r[3], 2, T0 + 9000);		/* r[1]'s new key again */
	CHECK(store_rotation_put(st, &r[3], NULL) == -1);
	CHECK(store_rotation_last_id(st, &last) == 0 && last == r[2].id);

	/* A reader (the hub beside the CLI) sees the same. */
	CHECK((ro = open_ro()) != NULL);
	if (ro != NULL) {
		CHECK(store_rotation_last(ro, &got) == 0 && got.id == r[2].id);
		CHECK(store_device_plan_get(ro, a.id, &dp) == 0 &&
		    dp.version == 3);
		store_close(ro);
	}
	store_close(st);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmpdir);

	test_open_fails_cleanly();
	test_create_and_reopen();
	test_devices();
	test_chunks_and_sessions();
	test_walks();
	test_reader_beside_writer();
	test_corrupt_chunk();
	test_sealed_plans();

	rm_rf();
	return check_done("test_store");
}
