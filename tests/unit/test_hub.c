/*
 * test_hub.c - the hub's worker on a real SQLite store in a temp dir, fed
 * message batches as the MQTT edge would hand them over; publishes are
 * recorded instead of sent. The broker path is covered by tests/integration.
 *
 * Every device is enrolled as `stridehub device add` does (a real X25519
 * key in the store) and every message is sealed with its real session key
 * for a real hub identity (hub.key in a temp key_dir, hubkey_open): the
 * happy path, then each way a stranger's or a replayed message must be
 * refused, checking the counter and that nothing was stored (the refused
 * pair is taken as new afterwards, so it did not move the dedupe window).
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

#define T0 1764000000000LL	/* device time of the first sample */
#define PFX "stridehub"

struct pubmsg {
	char	topic[STRIDE_TOPIC_MAX];
	uint8_t	payload[STRIDE_SEALED_MAX];
	size_t	len;
	int	qos, retained;
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

	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 256 : r->cap * 2;
		if ((nv = realloc(r->v, r->cap * sizeof(*nv))) == NULL)
			return -1;
		r->v = nv;
	}
	snprintf(r->v[r->n].topic, sizeof(r->v[r->n].topic), "%s", topic);
	if (len > sizeof(r->v[r->n].payload))
		len = sizeof(r->v[r->n].payload);
	memcpy(r->v[r->n].payload, payload, len);
	r->v[r->n].len = len;
	r->v[r->n].qos = qos;
	r->v[r->n].retained = retained;
	r->n++;
	return 0;
}

/* The last message published on topic from index from on, or NULL. */
static const struct pubmsg *
last_on(const struct recorder *r, size_t from, const char *topic)
{
	size_t i;

	for (i = r->n; i > from; i--)
		if (strcmp(r->v[i - 1].topic, topic) == 0)
			return &r->v[i - 1];
	return NULL;
}

static int
count_on(const struct recorder *r, size_t from, const char *part)
{
	size_t	i;
	int	n = 0;

	for (i = from; i < r->n; i++)
		if (strstr(r->v[i].topic, part) != NULL)
			n++;
	return n;
}

/* An enrolled device, as the agent holds it. */
struct dev {
	const char		*runner, *device;
	struct crypto_device_key key;
	struct crypto_session	 sess;	/* device side */
	int64_t			 id;	/* store row */
};

static struct crypto_hub_identity hub_id;

/* `stridehub device add` through st (any connection). */
static void
enrol(struct store *st, struct dev *d, const char *runner, const char *device)
{
	struct store_device	sd;
	uint8_t			fp[CRYPTO_FP_BYTES];
	int64_t			rid;

	memset(d, 0, sizeof(*d));
	d->runner = runner;
	d->device = device;
	CHECK(crypto_device_generate(&d->key) == 0);
	CHECK(crypto_session_device(&d->sess, &d->key, hub_id.kx_pk) == 0);
	CHECK(store_runner_get(st, runner, 1, &rid) == 0);
	CHECK(store_device_get(st, rid, runner, device, 1, &sd) == 0);
	d->id = sd.id;
	crypto_fp(fp, d->key.kx_pk);
	CHECK(store_device_key_put(st, sd.id, d->key.kx_pk, fp, T0) == 0);
}

static struct queue *q;

static void
push_raw(const char *topic, const void *payload, size_t len)
{
	CHECK(queue_push(q, topic, strlen(topic), payload, len) == 0);
}

static void
push(const char *topic, const char *payload)
{
	push_raw(topic, payload, strlen(payload));
}

static void
topic_of(char *buf, size_t cap, const char *runner, const char *device,
    enum stride_kind kind)
{
	CHECK(topic_build(buf, cap, PFX, runner, device, kind) > 0);
}

/* json sealed by d (header epoch/seq as given) into out. */
static size_t
seal(uint8_t *out, size_t cap, const struct dev *d, enum stride_kind kind,
    const char *json, uint32_t epoch, uint32_t seq)
{
	size_t len = 0;

	CHECK(crypto_msg_seal(out, cap, &len, json, strlen(json), kind, epoch,
	    seq, d->runner, d->device, d->sess.tx) == 0);
	return len;
}

/* json sealed by d and pushed on d's own topic of kind. */
static void
push_sealed(const struct dev *d, enum stride_kind kind, const char *json,
    uint32_t epoch, uint32_t seq)
{
	uint8_t	buf[STRIDE_SEALED_MAX];
	char	topic[STRIDE_TOPIC_MAX];
	size_t	len;

	len = seal(buf, sizeof(buf), d, kind, json, epoch, seq);
	topic_of(topic, sizeof(topic), d->runner, d->device, kind);
	push_raw(topic, buf, len);
}

/* A telemetry message of `n` 1 Hz samples starting at second `sec`. */
static void
tel_json(char *buf, size_t cap, enum stride_role role, uint32_t epoch,
    uint32_t seq, int sec, int n)
{
	struct stride_msg	m;
	int			i;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_TELEMETRY;
	m.epoch = epoch;
	m.seq = seq;
	m.u.tel.role = role;
	m.u.tel.n = (uint32_t)n;
	for (i = 0; i < n; i++) {
		struct stride_sample *s = &m.u.tel.s[i];

		s->t_ms = T0 + (int64_t)(sec + i) * 1000;
		s->spd_mps = role == STRIDE_ROLE_WATCH ? 3.0f : 3.1f;
		s->dist_m = s->spd_mps * (double)(sec + i);
		s->has = STRIDE_HAS_SPD | STRIDE_HAS_DIST;
		if (role == STRIDE_ROLE_FOOTPOD) {
			s->cad_spm = 170.0f;
			s->has |= STRIDE_HAS_CAD;
		} else {
			s->grade_pct = 0.5f;
			s->alt_m = 50.0f;
			s->has |= STRIDE_HAS_GRADE | STRIDE_HAS_ALT;
		}
	}
	CHECK(codec_encode(&m, buf, cap) > 0);
}

static void
push_tel(const struct dev *d, enum stride_role role, uint32_t epoch,
    uint32_t seq, int sec, int n)
{
	char buf[STRIDE_PAYLOAD_MAX];

	tel_json(buf, sizeof(buf), role, epoch, seq, sec, n);
	push_sealed(d, STRIDE_KIND_TELEMETRY, buf, epoch, seq);
}

static void
push_event(const struct dev *d, uint32_t seq, int sec, const char *type)
{
	char buf[256];

	snprintf(buf, sizeof(buf),
	    "{\"v\":1,\"epoch\":1,\"seq\":%u,\"t\":%lld,\"type\":\"%s\"}", seq,
	    (long long)(T0 + (int64_t)sec * 1000), type);
	push_sealed(d, STRIDE_KIND_EVENT, buf, 1, seq);
}

static int
process(struct hub *h, int64_t now_ms)
{
	struct inmsg	*list;
	size_t		 count;
	int		 rc;

	list = queue_pop_all(q, 0, &count);
	rc = hub_process(h, list, now_ms);
	inmsg_free_list(list);
	return rc;
}

struct found {
	int			 n;
	struct store_session	 last;
};

static int
collect_session(void *arg, const struct store_session *s)
{
	struct found *f = arg;

	f->n++;
	f->last = *s;
	return 0;
}

static int
collect_device(void *arg, const struct store_device *d)
{
	struct found *f = arg;

	(void)d;
	f->n++;
	return 0;
}

/* Open the ack last published for d with d's rx: 0 and its pair. */
static int
open_ack(const struct recorder *rec, size_t from, const struct dev *d,
    uint32_t *epoch, uint32_t *seq)
{
	const struct pubmsg	*pm;
	struct stride_msg	 m;
	const char		*why;
	char			 topic[STRIDE_TOPIC_MAX], json[STRIDE_PAYLOAD_MAX];
	size_t			 len;
	uint32_t		 he, hs;

	topic_of(topic, sizeof(topic), d->runner, d->device, STRIDE_KIND_ACK);
	if ((pm = last_on(rec, from, topic)) == NULL || !pm->retained ||
	    pm->qos != 1)
		return -1;
	if (crypto_msg_open(json, sizeof(json), &len, &he, &hs, pm->payload,
	    pm->len, STRIDE_KIND_ACK, d->runner, d->device, d->sess.rx,
	    &why) == -1 ||
	    codec_decode(STRIDE_KIND_ACK, json, len, &m, &why) == -1 ||
	    m.u.ack.epoch != he || m.u.ack.seq != hs)
		return -1;
	*epoch = he;
	*seq = hs;
	return 0;
}

/* A telemetry message of d at (epoch, seq) is taken as new now. */
static int
accepted_as_new(struct hub *h, const struct dev *d, enum stride_role role,
    uint32_t epoch, uint32_t seq, int sec, int64_t now)
{
	struct hub_stats	a, b;

	hub_get_stats(h, &a);
	push_tel(d, role, epoch, seq, sec, 1);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &b);
	return b.stored == a.stored + 1 && b.duplicates == a.duplicates;
}

int
main(void)
{
	struct hub_config	 c;
	struct recorder		 rec;
	struct hub_stats	 hs, hs0;
	struct store		*st, *cli;
	struct hubkey		*hk;
	struct hub		*h;
	struct found		 f;
	struct dev		 pod, watch, ben, cat, zed, pod2;
	const struct pubmsg	*pm;
	const char		*why;
	char			 dir[] = "/tmp/stride-test-hub-XXXXXX", err[256];
	char			 path[400], kdir[300], topic[STRIDE_TOPIC_MAX];
	char			 json[STRIDE_PAYLOAD_MAX];
	uint8_t			 env[STRIDE_SEALED_MAX + 8];
	uint8_t			 big[STRIDE_SEALED_MAX + 1];
	size_t			 len, mark;
	uint32_t		 ae, as;
	int64_t			 now = 1764000000000LL, id;
	int			 seq, sec;

	log_init("test_hub", 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	snprintf(kdir, sizeof(kdir), "%s/keys", dir);
	CHECK(mkdir(kdir, 0700) == 0);
	config_defaults(&c);
	c.ha = 0;	/* these checks count acks; HA is tests/integration/08 */
	c.idle_ms = 60000;
	c.grace_ms = 2000;
	c.ack_interval_ms = 0;
	memset(&rec, 0, sizeof(rec));
	q = queue_new(1 << 24);

	/* `stridehub key init`, then three devices enrolled. */
	CHECK(crypto_hub_generate(&hub_id) == 0);
	snprintf(path, sizeof(path), "%s/%s", kdir, HUBKEY_FILE);
	CHECK(keyfile_save_hub(path, &hub_id, NULL, CRYPTO_KDF_INTERACTIVE, 0,
	    &why) == 0);
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	st = store_open(path, 0, err, sizeof(err));
	CHECK(st != NULL);
	enrol(st, &pod, "ana", "pod");
	enrol(st, &watch, "ana", "watch");
	enrol(st, &ben, "ben", "watch");
	hk = hubkey_open(kdir, NULL, PFX, c.heartbeat_ms, st, err,
	    sizeof(err));
	CHECK(hk != NULL);
	h = hub_new(&c, st, record, &rec);
	CHECK(h != NULL);
	/* Without its identity the hub refuses every device. */
	push_tel(&pod, STRIDE_ROLE_FOOTPOD, 1, 900, 0, 1);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.unauth_device == 1 && hs.stored == 0);
	CHECK(hub_set_keys(h, hk) == 0);

	/* Ten minutes of one runner from a foot pod and a watch at once. */
	push_event(&pod, 1, 0, "start");
	push_event(&watch, 1, 0, "start");
	for (seq = 2, sec = 0; sec < 600; seq++, sec += 5) {
		push_tel(&pod, STRIDE_ROLE_FOOTPOD, 1, (uint32_t)seq, sec, 5);
		push_tel(&watch, STRIDE_ROLE_WATCH, 1, (uint32_t)seq, sec, 5);
	}
	/* A second runner alone. */
	push_tel(&ben, STRIDE_ROLE_WATCH, 3, 1, 0, 5);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.stored == 2 + 2 * 120 + 1);
	CHECK(hs.sessions_opened == 2);
	CHECK(hs.unauth_device == 1 && hs.bad_envelope == 0 &&
	    hs.mismatch == 0);
	/* Each ack is sealed for its device, names the last stored pair and
	 * is retained; no other device's key opens it. */
	CHECK(open_ack(&rec, 0, &pod, &ae, &as) == 0 && ae == 1 &&
	    as == 121);
	CHECK(open_ack(&rec, 0, &watch, &ae, &as) == 0 && ae == 1 &&
	    as == 121);
	CHECK(open_ack(&rec, 0, &ben, &ae, &as) == 0 && ae == 3 && as == 1);
	topic_of(topic, sizeof(topic), "ana", "pod", STRIDE_KIND_ACK);
	CHECK((pm = last_on(&rec, 0, topic)) != NULL);
	if (pm != NULL) {
		uint32_t e, s;

		CHECK(crypto_msg_open(json, sizeof(json), &len, &e, &s,
		    pm->payload, pm->len, STRIDE_KIND_ACK, "ana", "pod",
		    watch.sess.rx, &why) == -1);
		CHECK(pm->len >= STRIDE_SEALED_MIN &&
		    pm->payload[0] == STRIDE_SEAL_MAGIC &&
		    pm->payload[2] == STRIDE_KIND_ACK);
	}

	/* Redelivery of the whole batch changes nothing. */
	for (seq = 2, sec = 0; sec < 600; seq++, sec += 5)
		push_tel(&pod, STRIDE_ROLE_FOOTPOD, 1, (uint32_t)seq, sec, 5);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.duplicates == 120);
	CHECK(hs.stored == 2 + 2 * 120 + 1);

	/* Stop from both devices; the session closes after the grace. */
	push_event(&pod, 200, 600, "stop");
	push_event(&watch, 200, 601, "stop");
	CHECK(process(h, now) == 0);
	CHECK(hub_tick(h, now + 100) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, "ana", 0, collect_session, &f) == 0);
	CHECK(f.n == 1 && f.last.open == 1);
	CHECK(hub_tick(h, now + c.grace_ms + 1) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, "ana", 0, collect_session, &f) == 0);
	CHECK(f.n == 1);
	CHECK(f.last.open == 0);
	/* Fused: 600 s at the watch's 3.0 m/s, not the pod's and not both. */
	CHECK_NEAR(f.last.sum.distance_m, 1800.0, 1800.0 * 0.02);
	CHECK_NEAR(f.last.sum.avg_cadence_spm, 170.0, 1.0);
	CHECK_NEAR(f.last.sum.moving_s, 600.0, 10.0);
	CHECK(f.last.sum.devices == 2);

	/* Hostile topics and payloads: dropped, counted, nothing stored. */
	hub_get_stats(h, &hs0);
	push("stridehub/v1/ANA/pod/telemetry", "{}");
	push("stridehub/v1/ana/pod/bogus", "{}");
	push("other/v1/ana/pod/telemetry", "{}");
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_topic == hs0.bad_topic + 3);
	/* Sealed by the device but not valid JSON, or out of range. */
	push_sealed(&pod, STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1", 1,
	    300);
	push_sealed(&pod, STRIDE_KIND_TELEMETRY,
	    "{\"v\":1,\"epoch\":1,\"seq\":300,\"role\":\"footpod\","
	    "\"samples\":[{\"t\":1764000000000,\"cad\":900}]}", 1, 300);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_payload == hs0.bad_payload + 2);
	CHECK(hs.stored == hs0.stored);

	/* 1. Plain JSON on an enrolled device's topic: not an envelope. */
	hub_get_stats(h, &hs0);
	tel_json(json, sizeof(json), STRIDE_ROLE_FOOTPOD, 1, 300, 700, 1);
	topic_of(topic, sizeof(topic), "ana", "pod", STRIDE_KIND_TELEMETRY);
	push(topic, json);
	/* Larger than any envelope. */
	memset(big, 0x53, sizeof(big));
	push_raw(topic, big, sizeof(big));
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_envelope == hs0.bad_envelope + 2);
	CHECK(hs.stored == hs0.stored);

	/* 2. A tampered byte (in the ciphertext, the header, the nonce) and
	 * a truncated envelope: authentication fails. */
	hub_get_stats(h, &hs0);
	tel_json(json, sizeof(json), STRIDE_ROLE_FOOTPOD, 1, 300, 700, 1);
	len = seal(env, sizeof(env), &pod, STRIDE_KIND_TELEMETRY, json, 1, 300);
	{
		static const size_t at[] = { 40, 9, 20 };
		uint8_t t2[sizeof(env)];
		size_t i;

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			memcpy(t2, env, len);
			t2[at[i]] ^= 0x01;
			push_raw(topic, t2, len);
		}
		push_raw(topic, env, len - 1);
		/* A byte appended. */
		memcpy(t2, env, len);
		t2[len] = 0;
		push_raw(topic, t2, len + 1);
	}
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_envelope == hs0.bad_envelope + 5);
	CHECK(hs.stored == hs0.stored);

	/* 3. The right envelope on another kind's topic. */
	hub_get_stats(h, &hs0);
	snprintf(json, sizeof(json), "{\"v\":1,\"epoch\":1,\"seq\":300,"
	    "\"t\":%lld,\"type\":\"lap\"}", (long long)(T0 + 700000));
	len = seal(env, sizeof(env), &pod, STRIDE_KIND_EVENT, json, 1, 300);
	push_raw(topic, env, len);	/* the telemetry topic */
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_envelope == hs0.bad_envelope + 1);
	CHECK(hs.stored == hs0.stored);

	/* 4. Another runner's topic: ana's pod's envelope on ben's watch's
	 * topic, and one sealed with the pod's key naming ben's ids (an
	 * enrolled device trying to write into another runner's history). */
	hub_get_stats(h, &hs0);
	tel_json(json, sizeof(json), STRIDE_ROLE_WATCH, 3, 2, 700, 1);
	len = seal(env, sizeof(env), &pod, STRIDE_KIND_TELEMETRY, json, 3, 2);
	topic_of(topic, sizeof(topic), "ben", "watch", STRIDE_KIND_TELEMETRY);
	push_raw(topic, env, len);
	{
		struct dev forged = pod;

		forged.runner = "ben";
		forged.device = "watch";
		push_sealed(&forged, STRIDE_KIND_TELEMETRY, json, 3, 2);
	}
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_envelope == hs0.bad_envelope + 2);
	CHECK(hs.stored == hs0.stored);
	CHECK(accepted_as_new(h, &ben, STRIDE_ROLE_WATCH, 3, 2, 5, now));

	/* 5. JSON epoch/seq other than the sealed header's. */
	hub_get_stats(h, &hs0);
	tel_json(json, sizeof(json), STRIDE_ROLE_FOOTPOD, 1, 300, 700, 1);
	push_sealed(&pod, STRIDE_KIND_TELEMETRY, json, 1, 301);
	push_sealed(&pod, STRIDE_KIND_TELEMETRY, json, 2, 300);
	push_sealed(&pod, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":1}", 2, 0);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.mismatch == hs0.mismatch + 3);
	CHECK(hs.stored == hs0.stored);

	/* Nothing refused above moved the pod's window: 1.300 is new. */
	CHECK(accepted_as_new(h, &pod, STRIDE_ROLE_FOOTPOD, 1, 300, 700, now));

	/* 6. A replayed envelope: the same bytes again are a duplicate, and
	 * re-acked, never stored twice. */
	hub_get_stats(h, &hs0);
	tel_json(json, sizeof(json), STRIDE_ROLE_FOOTPOD, 1, 301, 701, 1);
	len = seal(env, sizeof(env), &pod, STRIDE_KIND_TELEMETRY, json, 1, 301);
	topic_of(topic, sizeof(topic), "ana", "pod", STRIDE_KIND_TELEMETRY);
	mark = rec.n;
	push_raw(topic, env, len);
	CHECK(process(h, now) == 0);
	CHECK(open_ack(&rec, mark, &pod, &ae, &as) == 0);
	push_raw(topic, env, len);
	push_raw(topic, env, len);
	mark = rec.n;
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.stored == hs0.stored + 1);
	CHECK(hs.duplicates == hs0.duplicates + 2);
	CHECK(hs.samples == hs0.samples + 1);
	CHECK(hub_tick(h, now) == 0);	/* re-acks wait for the tick */
	{
		uint32_t e2, s2;

		CHECK(open_ack(&rec, mark, &pod, &e2, &s2) == 0 &&
		    e2 == ae && s2 == as);
	}

	/* A sealed birth: accepted (status has seq 0 in the header). */
	hub_get_stats(h, &hs0);
	push_sealed(&pod, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":1,\"role\":\"footpod\",\"battery\":80}", 1, 0);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.stored == hs0.stored + 1);

	/* A status has no seq: a recorded one of an older epoch played back
	 * after a newer one is refused; the newer epoch's again is not. */
	hub_get_stats(h, &hs0);
	push_sealed(&pod, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"offline\","
	    "\"epoch\":3}", 3, 0);
	push_sealed(&pod, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":1,\"role\":\"footpod\",\"battery\":80}", 1, 0);
	push_sealed(&pod, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":3}", 3, 0);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.stored == hs0.stored + 2);
	CHECK(hs.stale == hs0.stale + 1);

	/* 7. An unknown device: refused, and nothing of it is created. */
	CHECK((cli = store_open(path, 0, err, sizeof(err))) != NULL);
	memset(&zed, 0, sizeof(zed));
	zed.runner = "zed";
	zed.device = "pod";
	CHECK(crypto_device_generate(&zed.key) == 0);
	CHECK(crypto_session_device(&zed.sess, &zed.key, hub_id.kx_pk) == 0);
	hub_get_stats(h, &hs0);
	push_tel(&zed, STRIDE_ROLE_FOOTPOD, 1, 1, 0, 1);
	push_tel(&zed, STRIDE_ROLE_FOOTPOD, 1, 2, 1, 1);
	push_sealed(&zed, STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":1}", 1, 0);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.unauth_device == hs0.unauth_device + 3);
	CHECK(hs.stored == hs0.stored);
	CHECK(store_runner_get(cli, "zed", 0, &id) == 1);

	/* A device enrolled (through another connection, as the CLI does)
	 * after the start is found on its first message. */
	enrol(cli, &cat, "cat", "pod");
	CHECK(accepted_as_new(h, &cat, STRIDE_ROLE_FOOTPOD, 1, 1, 0, now));
	/* zed, refused before, is enrolled too: accepted once the tick has
	 * seen the store move (the refusal was cached, not looked up per
	 * message). */
	{
		struct store_device	sd;
		uint8_t			fp[CRYPTO_FP_BYTES];
		int64_t			rid;

		CHECK(store_runner_get(cli, "zed", 1, &rid) == 0);
		CHECK(store_device_get(cli, rid, "zed", "pod", 1, &sd) == 0);
		crypto_fp(fp, zed.key.kx_pk);
		CHECK(store_device_key_put(cli, sd.id, zed.key.kx_pk, fp,
		    T0) == 0);
		zed.id = sd.id;
	}
	hub_get_stats(h, &hs0);
	push_tel(&zed, STRIDE_ROLE_FOOTPOD, 1, 3, 2, 1);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.unauth_device == hs0.unauth_device + 1);
	CHECK(hub_tick(h, now + 5000) == 0);
	CHECK(accepted_as_new(h, &zed, STRIDE_ROLE_FOOTPOD, 1, 3, 2, now));

	/* 8. Revoked through another connection (`stridehub device
	 * revoke`): refused from the next tick on; its retained ack and
	 * plan are emptied, once. */
	CHECK(store_device_key_revoke(cli, cat.id, now) == 0);
	mark = rec.n;
	CHECK(hub_tick(h, now + 7000) == 0);
	hub_get_stats(h, &hs0);
	CHECK(hs0.revoked == 1);
	topic_of(topic, sizeof(topic), "cat", "pod", STRIDE_KIND_ACK);
	CHECK((pm = last_on(&rec, mark, topic)) != NULL && pm->len == 0 &&
	    pm->retained);
	topic_of(topic, sizeof(topic), "cat", "pod", STRIDE_KIND_PLAN);
	CHECK((pm = last_on(&rec, mark, topic)) != NULL && pm->len == 0 &&
	    pm->retained);
	push_tel(&cat, STRIDE_ROLE_FOOTPOD, 1, 2, 1, 1);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.unauth_device == hs0.unauth_device + 1);
	CHECK(hs.stored == hs0.stored);
	mark = rec.n;
	CHECK(hub_tick(h, now + 9000) == 0);
	CHECK(count_on(&rec, mark, "/cat/") == 0);

	/* 9. A replaced key (`device add --replace`): the old one is refused
	 * from the next tick on, the new one accepted. */
	pod2 = zed;
	CHECK(crypto_device_generate(&pod2.key) == 0);
	CHECK(crypto_session_device(&pod2.sess, &pod2.key, hub_id.kx_pk) ==
	    0);
	{
		uint8_t fp[CRYPTO_FP_BYTES];

		crypto_fp(fp, pod2.key.kx_pk);
		CHECK(store_device_key_put(cli, zed.id, pod2.key.kx_pk, fp,
		    now) == 0);
	}
	CHECK(hub_tick(h, now + 11000) == 0);
	hub_get_stats(h, &hs0);
	push_tel(&zed, STRIDE_ROLE_FOOTPOD, 1, 4, 3, 1);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_envelope == hs0.bad_envelope + 1);
	CHECK(hs.stored == hs0.stored);
	CHECK(accepted_as_new(h, &pod2, STRIDE_ROLE_FOOTPOD, 1, 4, 3, now));

	/* Relay: a report during the run from the pod reaches the watch,
	 * sealed for it alone, not the pod; a next-day one goes nowhere. */
	mark = rec.n;
	snprintf(json, sizeof(json), "{\"v\":1,\"epoch\":1,\"seq\":302,"
	    "\"t\":%lld,\"when\":\"during\",\"level\":\"aware\",\"score\":4}",
	    (long long)(T0 + 650000));
	push_sealed(&pod, STRIDE_KIND_SYMPTOM, json, 1, 302);
	CHECK(process(h, now) == 0);
	topic_of(topic, sizeof(topic), "ana", "watch", STRIDE_KIND_RELAY);
	CHECK((pm = last_on(&rec, mark, topic)) != NULL);
	CHECK(count_on(&rec, mark, "/relay") == 1);
	if (pm != NULL) {
		struct stride_msg	m;
		uint32_t		e, s;

		CHECK(pm->qos == 0 && pm->retained == 0);
		CHECK(crypto_msg_open(json, sizeof(json), &len, &e, &s,
		    pm->payload, pm->len, STRIDE_KIND_RELAY, "ana", "watch",
		    watch.sess.rx, &why) == 0);
		CHECK(e == 1 && s == 302);
		CHECK(codec_decode(STRIDE_KIND_SYMPTOM, json, len, &m,
		    &why) == 0);
		CHECK(m.epoch == e && m.seq == s);
		CHECK(m.u.sym.when == STRIDE_WHEN_DURING &&
		    m.u.sym.level == STRIDE_LEVEL_AWARE && m.u.sym.score == 4);
		/* Not for the pod: its key does not open it. */
		CHECK(crypto_msg_open(json, sizeof(json), &len, &e, &s,
		    pm->payload, pm->len, STRIDE_KIND_RELAY, "ana", "watch",
		    pod.sess.rx, &why) == -1);
	}
	hub_get_stats(h, &hs);
	CHECK(hs.relays_published == 1);
	mark = rec.n;
	snprintf(json, sizeof(json), "{\"v\":1,\"epoch\":1,\"seq\":303,"
	    "\"t\":%lld,\"when\":\"next_day\",\"level\":\"usual\"}",
	    (long long)(T0 + 650000));
	push_sealed(&pod, STRIDE_KIND_SYMPTOM, json, 1, 303);
	/* A replayed during-run report is not relayed again. */
	snprintf(json, sizeof(json), "{\"v\":1,\"epoch\":1,\"seq\":302,"
	    "\"t\":%lld,\"when\":\"during\",\"level\":\"aware\",\"score\":4}",
	    (long long)(T0 + 650000));
	push_sealed(&pod, STRIDE_KIND_SYMPTOM, json, 1, 302);
	CHECK(process(h, now) == 0);
	CHECK(count_on(&rec, mark, "/relay") == 0);

	/* The edge reconnected: the heartbeat goes out. */
	mark = rec.n;
	CHECK(queue_push(q, "", 0, "", 0) == 0);
	CHECK(process(h, now) == 0);
	CHECK(topic_build_hub(topic, sizeof(topic), PFX,
	    TOPIC_HUB_HEARTBEAT) > 0);
	CHECK((pm = last_on(&rec, mark, topic)) != NULL &&
	    pm->len == CRYPTO_BEAT_BYTES && pm->retained);

	/* A restart keeps the dedupe windows, the open session and the
	 * keys (cat stays revoked). */
	hub_free(h);
	hubkey_free(hk);
	store_close(st);
	st = store_open(path, 0, err, sizeof(err));
	CHECK(st != NULL);
	hk = hubkey_open(kdir, NULL, PFX, c.heartbeat_ms, st, err,
	    sizeof(err));
	CHECK(hk != NULL);
	h = hub_new(&c, st, record, &rec);
	CHECK(h != NULL);
	CHECK(hub_set_keys(h, hk) == 0);
	push_tel(&ben, STRIDE_ROLE_WATCH, 3, 1, 0, 5);	/* dup */
	push_tel(&ben, STRIDE_ROLE_WATCH, 2, 9, 0, 5);	/* stale */
	push_tel(&ben, STRIDE_ROLE_WATCH, 3, 3, 10, 5);	/* new */
	push_tel(&cat, STRIDE_ROLE_FOOTPOD, 1, 3, 2, 1);	/* revoked */
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.duplicates == 1 && hs.stale == 1 && hs.stored == 1);
	CHECK(hs.unauth_device == 1);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, "ben", 1, collect_session, &f) == 0);
	CHECK(f.n == 1);	/* still the same open session */
	memset(&f, 0, sizeof(f));
	CHECK(store_devices_walk(st, NULL, collect_device, &f) == 0);
	CHECK(f.n == 5);	/* ana's two, ben's, cat's, zed's */

	CHECK(hub_finalize_all(h, now) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, NULL, 1, collect_session, &f) == 0);
	CHECK(f.n == 0);

	store_close(cli);
	hub_free(h);
	hubkey_free(hk);
	store_close(st);
	queue_free(q);
	free(rec.v);
	crypto_wipe(&hub_id, sizeof(hub_id));
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
	return check_done("test_hub");
}
