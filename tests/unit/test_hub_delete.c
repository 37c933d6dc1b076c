/*
 * test_hub_delete.c - the hub's side of deleting a runner (issue 5), on a
 * real store in a temp dir with publishes recorded (the broker path is
 * tests/integration/09): a request written through a second handle, as
 * `stridehub runner delete --yes` does, is done at the next tick while the
 * runner has an open session and HA work queued; every retained topic of
 * the runner is emptied and nothing else; the rows are gone, the other
 * runner is untouched; the runner's device keys go with it, so nothing
 * its devices send is accepted any more (status or data) until a device
 * is enrolled again, which makes a new runner; a request for a runner
 * already gone publishes nothing. Devices are enrolled with real keys and
 * every message is sealed (docs/protocol.md section 17), as test_hub.c does.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "hub.h"
#include "hubkey.h"
#include "queue.h"
#include "store.h"
#include "stride/codec.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"
#include "stride/topic.h"

#define T0	1764000000000LL

struct pubmsg {
	char	topic[200];
	size_t	len;
	int	retained;
};

struct recorder {
	struct pubmsg	*v;
	size_t		 n, cap;
};

static int
record(void *arg, const char *topic, const void *payload, size_t len, int qos,
    int retained)
{
	struct recorder	*r = arg;
	struct pubmsg	*nv;

	(void)qos;
	(void)payload;
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 256 : r->cap * 2;
		if ((nv = realloc(r->v, r->cap * sizeof(*nv))) == NULL)
			return -1;
		r->v = nv;
	}
	snprintf(r->v[r->n].topic, sizeof(r->v[r->n].topic), "%s", topic);
	r->v[r->n].len = len;
	r->v[r->n].retained = retained;
	r->n++;
	return 0;
}

/* Messages recorded from index `from` on whose topic contains `part`,
 * empty (want_empty) or not. */
static int
count(const struct recorder *r, size_t from, const char *part, int want_empty)
{
	size_t	i;
	int	n = 0;

	for (i = from; i < r->n; i++) {
		if (strstr(r->v[i].topic, part) == NULL)
			continue;
		if ((r->v[i].len == 0) == (want_empty != 0))
			n++;
	}
	return n;
}

/* An empty retained message on exactly this topic, from `from` on. */
static int
cleared(const struct recorder *r, size_t from, const char *topic)
{
	size_t i;

	for (i = from; i < r->n; i++) {
		if (strcmp(r->v[i].topic, topic) == 0 && r->v[i].len == 0 &&
		    r->v[i].retained)
			return 1;
	}
	return 0;
}

static struct queue *q;
static struct crypto_hub_identity hub_id;

/* The enrolled devices: their keys, as the agents hold them. */
#define NDEV 4
static struct dev {
	const char		*runner, *device;
	struct crypto_device_key key;
	struct crypto_session	 sess;
} devs[NDEV] = {
	{ .runner = "ana", .device = "pod" },
	{ .runner = "ana", .device = "watch" },
	{ .runner = "ben", .device = "pod" },
	{ .runner = NULL }
};

static struct dev *
dev_of(const char *runner, const char *device)
{
	int i;

	for (i = 0; i < NDEV && devs[i].runner != NULL; i++)
		if (strcmp(devs[i].runner, runner) == 0 &&
		    strcmp(devs[i].device, device) == 0)
			return &devs[i];
	return NULL;
}

/* `stridehub device add runner device <a new key>` through st. */
static void
enrol(struct store *st, struct dev *d)
{
	struct store_device	sd;
	uint8_t			fp[CRYPTO_FP_BYTES];
	int64_t			rid;

	CHECK(crypto_device_generate(&d->key) == 0);
	CHECK(crypto_session_device(&d->sess, &d->key, hub_id.kx_pk) == 0);
	CHECK(store_runner_get(st, d->runner, 1, &rid) == 0);
	CHECK(store_device_get(st, rid, d->runner, d->device, 1, &sd) == 0);
	crypto_fp(fp, d->key.kx_pk);
	CHECK(store_device_key_put(st, sd.id, d->key.kx_pk, fp, T0) == 0);
}

/* json sealed by (runner, device) on its topic of kind. */
static void
push(const char *runner, const char *device, enum stride_kind kind,
    const char *json, uint32_t epoch, uint32_t seq)
{
	struct dev	*d = dev_of(runner, device);
	uint8_t		 buf[STRIDE_SEALED_MAX];
	char		 topic[STRIDE_TOPIC_MAX];
	size_t		 len = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	CHECK(crypto_msg_seal(buf, sizeof(buf), &len, json, strlen(json),
	    kind, epoch, seq, runner, device, d->sess.tx) == 0);
	CHECK(topic_build(topic, sizeof(topic), "stridehub", runner, device,
	    kind) > 0);
	CHECK(queue_push(q, topic, strlen(topic), buf, len) == 0);
}

static void
push_tel(const char *runner, const char *device, uint32_t seq, int sec)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"v\":1,\"epoch\":1,\"seq\":%u,"
	    "\"role\":\"footpod\",\"samples\":[{\"t\":%lld,\"cad\":170,"
	    "\"spd\":3.1,\"dist\":%d}]}", seq,
	    (long long)(T0 + (int64_t)sec * 1000), sec * 3);
	push(runner, device, STRIDE_KIND_TELEMETRY, buf, 1, seq);
}

static void
push_status(const char *runner, const char *device)
{
	push(runner, device, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":"
	    "\"online\",\"epoch\":1,\"battery\":80}", 1, 0);
}

static int
process(struct hub *h, int64_t now_ms)
{
	struct inmsg	*list;
	size_t		 n;
	int		 rc;

	list = queue_pop_all(q, 0, &n);
	rc = hub_process(h, list, now_ms);
	inmsg_free_list(list);
	return rc;
}

static int
count_runner(void *arg, const struct store_runner *r)
{
	int *n = arg;

	(void)r;
	(*n)++;
	return 0;
}

int
main(void)
{
	struct store_runner_counts	 nb0, nb1, na;
	struct hub_config		 c;
	struct recorder			 rec;
	struct hub_stats		 hs0, hs;
	struct store			*st, *cli;
	struct hubkey			*hk;
	struct hub			*h;
	const char			*why;
	char				 dir[] = "/tmp/stride-test-hdel-XXXXXX";
	char				 path[300], kdir[300], err[256];
	int64_t				 now = T0 + 60000, ana, ben, ana2, req;
	size_t				 mark;
	int				 i, n;

	log_init("test_hub_delete", 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	config_defaults(&c);
	c.ha = 1;
	c.idle_ms = 600000;
	c.ack_interval_ms = 0;
	memset(&rec, 0, sizeof(rec));
	q = queue_new(1 << 20);
	CHECK((st = store_open(path, 0, err, sizeof(err))) != NULL);
	/* `stridehub key init` and three `device add`. */
	snprintf(kdir, sizeof(kdir), "%s/keys", dir);
	CHECK(mkdir(kdir, 0700) == 0);
	CHECK(crypto_hub_generate(&hub_id) == 0);
	snprintf(err, sizeof(err), "%.200s/%s", kdir, HUBKEY_FILE);
	CHECK(keyfile_save_hub(err, &hub_id, NULL, CRYPTO_KDF_INTERACTIVE, 0,
	    &why) == 0);
	for (i = 0; i < 3; i++)
		enrol(st, &devs[i]);
	CHECK((hk = hubkey_open(kdir, NULL, "stridehub", c.heartbeat_ms, st,
	    err, sizeof(err))) != NULL);
	CHECK((h = hub_new(&c, st, record, &rec)) != NULL);
	CHECK(hub_set_keys(h, hk) == 0);

	/* Ana (two devices) and ben run; HA hears of both. */
	for (i = 1; i <= 5; i++) {
		push_tel("ana", "pod", (uint32_t)i, i);
		push_tel("ana", "watch", (uint32_t)i, i);
		push_tel("ben", "pod", (uint32_t)i, i);
	}
	push_status("ana", "pod");
	push_status("ben", "pod");
	CHECK(process(h, now) == 0);
	for (i = 0; i < 20; i++)
		CHECK(hub_tick(h, now + i) == 0);
	CHECK(count(&rec, 0, "/stridehub_ana/", 0) >= 20);
	CHECK(count(&rec, 0, "/stridehub_ben/", 0) >= 20);
	CHECK(count(&rec, 0, "stridehub/v1/ana/pod/ack", 0) >= 1);

	/* The request, through another handle, as the CLI writes it. */
	CHECK((cli = store_open(path, 0, err, sizeof(err))) != NULL);
	CHECK(store_runner_get(cli, "ana", 0, &ana) == 0);
	CHECK(store_runner_get(cli, "ben", 0, &ben) == 0);
	CHECK(store_runner_counts(cli, ben, &nb0) == 0);
	CHECK(store_deletion_put(cli, ana, "ana", now, &req) == 0);

	/* Ana still runs: her session stays open and HA work is queued
	 * when the tick deletes her (no use of freed memory: ASan). */
	push_tel("ana", "pod", 6, 6);
	push_status("ana", "watch");	/* HA work for ana, queued */
	push_tel("ben", "pod", 6, 6);
	CHECK(process(h, now + 100) == 0);
	mark = rec.n;
	CHECK(hub_tick(h, now + 200) == 0);

	/* Every retained topic of ana is emptied... */
	CHECK(cleared(&rec, mark, "stridehub/v1/ana/pod/plan"));
	CHECK(cleared(&rec, mark, "stridehub/v1/ana/pod/ack"));
	CHECK(cleared(&rec, mark, "stridehub/v1/ana/pod/status"));
	CHECK(cleared(&rec, mark, "stridehub/v1/ana/watch/plan"));
	CHECK(cleared(&rec, mark, "stridehub/v1/ana/watch/ack"));
	CHECK(cleared(&rec, mark,
	    "homeassistant/sensor/stridehub_ana/live_cadence/config"));
	CHECK(cleared(&rec, mark, "stridehub/ha/ana/plan"));
	CHECK(count(&rec, mark, "/stridehub_ana/", 1) >= 20);
	/* ...none is filled again, and nothing of ben is emptied. */
	for (i = 1; i < 20; i++)
		CHECK(hub_tick(h, now + 200 + i) == 0);
	CHECK(count(&rec, mark, "/stridehub_ana/", 0) == 0);
	CHECK(count(&rec, mark, "/ana/", 0) == 0);
	CHECK(count(&rec, mark, "ben", 1) == 0);

	/* The rows: ana's gone, ben's as they were; the request done. */
	CHECK(store_runner_get(cli, "ana", 0, &ana2) == 1);
	CHECK(store_runner_counts(cli, ana, &na) == 0);
	CHECK(na.devices == 0 && na.sessions == 0 && na.plans == 0);
	CHECK(store_runner_counts(cli, ben, &nb1) == 0);
	CHECK(nb1.devices == nb0.devices && nb1.sessions == nb0.sessions &&
	    nb1.plans == nb0.plans && nb1.reports == nb0.reports);
	{
		struct store_deletion	qd[2];
		size_t			nq;

		CHECK(store_deletions_pending(cli, qd, 2, &nq) == 0 &&
		    nq == 0);
	}

	/* Her devices' keys went with her: neither a status nor data
	 * brings ana back... */
	hub_get_stats(h, &hs0);
	push_status("ana", "pod");
	push_tel("ana", "pod", 7, 7);
	CHECK(process(h, now + 300) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.unauth_device == hs0.unauth_device + 2);
	CHECK(hs.stored == hs0.stored);
	CHECK(store_runner_get(cli, "ana", 0, &ana2) == 1);
	/* ...a new enrolment does, as a new runner, from the next tick. */
	enrol(cli, dev_of("ana", "pod"));
	CHECK(hub_tick(h, now + 1400) == 0);
	push_tel("ana", "pod", 7, 7);
	CHECK(process(h, now + 1400) == 0);
	hub_get_stats(h, &hs0);
	CHECK(hs0.stored == hs.stored + 1);
	CHECK(store_runner_get(cli, "ana", 0, &ana2) == 0);
	CHECK(store_runner_counts(cli, ana2, &na) == 0);
	CHECK(na.devices == 1 && na.sessions == 1);
	n = 0;
	CHECK(store_runners_walk(cli, count_runner, &n) == 0 && n == 2);

	/* A second request for the old ana (gone): done, nothing sent, the
	 * new ana stays. */
	CHECK(store_deletion_put(cli, ana, "ana", now, &req) == 0);
	mark = rec.n;
	CHECK(hub_tick(h, now + 2500) == 0);
	CHECK(count(&rec, mark, "ana", 1) == 0);
	CHECK(store_runner_get(cli, "ana", 0, &ana2) == 0);

	store_close(cli);
	hub_free(h);
	hubkey_free(hk);
	store_close(st);
	queue_free(q);
	free(rec.v);
	{
		char p[320];

		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
	}
	unlink(path);
	snprintf(err, sizeof(err), "%.200s/%s", kdir, HUBKEY_FILE);
	unlink(err);
	rmdir(kdir);
	rmdir(dir);
	return check_done("test_hub_delete");
}
