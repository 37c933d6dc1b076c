/*
 * test_hub.c - the hub's worker on a real SQLite store in a temp dir, fed
 * message batches as the MQTT edge would hand them over; publishes are
 * recorded instead of sent. The broker path is covered by tests/integration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "hub.h"
#include "queue.h"
#include "store.h"
#include "stride/codec.h"
#include "stride/log.h"
#include "stride/topic.h"

#define T0 1764000000000LL	/* device time of the first sample */

struct recorder {
	int	count;
	char	topic[STRIDE_TOPIC_MAX];
	char	payload[256];
	int	retained;
};

static int
record(void *arg, const char *topic, const void *payload, size_t len, int qos,
    int retained)
{
	struct recorder *r = arg;

	(void)qos;
	r->count++;
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	snprintf(r->payload, sizeof(r->payload), "%.*s", (int)len,
	    (const char *)payload);
	r->retained = retained;
	return 0;
}

static struct queue *q;

static void
push(const char *topic, const char *payload)
{
	CHECK(queue_push(q, topic, strlen(topic), payload,
	    strlen(payload)) == 0);
}

/* A telemetry message of `n` 1 Hz samples starting at second `sec`. */
static void
push_tel(const char *runner, const char *device, enum stride_role role,
    uint32_t epoch, uint32_t seq, int sec, int n)
{
	struct stride_msg	m;
	char			topic[STRIDE_TOPIC_MAX], buf[STRIDE_PAYLOAD_MAX];
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
	CHECK(codec_encode(&m, buf, sizeof(buf)) > 0);
	CHECK(topic_build(topic, sizeof(topic), "stridehub", runner, device,
	    STRIDE_KIND_TELEMETRY) > 0);
	push(topic, buf);
}

static void
push_event(const char *runner, const char *device, uint32_t seq, int sec,
    const char *type)
{
	char topic[STRIDE_TOPIC_MAX], buf[256];

	snprintf(topic, sizeof(topic), "stridehub/v1/%s/%s/event", runner,
	    device);
	snprintf(buf, sizeof(buf),
	    "{\"v\":1,\"epoch\":1,\"seq\":%u,\"t\":%lld,\"type\":\"%s\"}", seq,
	    (long long)(T0 + (int64_t)sec * 1000), type);
	push(topic, buf);
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

int
main(void)
{
	struct hub_config	 c;
	struct recorder		 rec;
	struct hub_stats	 hs;
	struct store		*st;
	struct hub		*h;
	struct found		 f;
	char			 dir[] = "/tmp/stride-test-hub-XXXXXX", err[256];
	char			 path[300], big[STRIDE_PAYLOAD_MAX + 10];
	int64_t			 now = 1764000000000LL;
	int			 seq, sec;

	log_init("test_hub", 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	config_defaults(&c);
	c.ha = 0;	/* these checks count acks; HA is tests/integration/08 */
	c.idle_ms = 60000;
	c.grace_ms = 2000;
	c.ack_interval_ms = 0;
	memset(&rec, 0, sizeof(rec));
	q = queue_new(1 << 24);
	st = store_open(path, 0, err, sizeof(err));
	CHECK(st != NULL);
	h = hub_new(&c, st, record, &rec);
	CHECK(h != NULL);

	/* Ten minutes of one runner from a foot pod and a watch at once. */
	push_event("ana", "pod", 1, 0, "start");
	push_event("ana", "watch", 1, 0, "start");
	for (seq = 2, sec = 0; sec < 600; seq++, sec += 5) {
		push_tel("ana", "pod", STRIDE_ROLE_FOOTPOD, 1, (uint32_t)seq,
		    sec, 5);
		push_tel("ana", "watch", STRIDE_ROLE_WATCH, 1, (uint32_t)seq,
		    sec, 5);
	}
	/* A second runner alone. */
	push_tel("ben", "watch", STRIDE_ROLE_WATCH, 3, 1, 0, 5);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.stored == 2 + 2 * 120 + 1);
	CHECK(hs.sessions_opened == 2);
	/* The ack names the last stored pair and is retained. */
	CHECK(rec.count >= 3);
	CHECK(strcmp(rec.topic, "stridehub/v1/ben/watch/ack") == 0 ||
	    strstr(rec.topic, "/ack") != NULL);
	CHECK(rec.retained == 1);

	/* Redelivery of the whole batch changes nothing. */
	for (seq = 2, sec = 0; sec < 600; seq++, sec += 5)
		push_tel("ana", "pod", STRIDE_ROLE_FOOTPOD, 1, (uint32_t)seq,
		    sec, 5);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.duplicates == 120);
	CHECK(hs.stored == 2 + 2 * 120 + 1);

	/* Hostile input: dropped, counted, nothing else changes. */
	push("stridehub/v1/ANA/pod/telemetry", "{}");
	push("stridehub/v1/ana/pod/bogus", "{}");
	push("other/v1/ana/pod/telemetry", "{}");
	push("stridehub/v1/ana/pod/telemetry", "{\"v\":1,\"epoch\":1");
	push("stridehub/v1/ana/pod/telemetry",
	    "{\"v\":1,\"epoch\":1,\"seq\":500,\"role\":\"footpod\","
	    "\"samples\":[{\"t\":1764000000000,\"cad\":900}]}");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	push("stridehub/v1/ana/pod/telemetry", big);
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.bad_topic == 3);
	CHECK(hs.bad_payload == 3);
	CHECK(hs.stored == 2 + 2 * 120 + 1);

	/* Stop from both devices; the session closes after the grace. */
	push_event("ana", "pod", 200, 600, "stop");
	push_event("ana", "watch", 200, 601, "stop");
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

	/* A restart keeps the dedupe windows and the open session. */
	hub_free(h);
	store_close(st);
	st = store_open(path, 0, err, sizeof(err));
	CHECK(st != NULL);
	h = hub_new(&c, st, record, &rec);
	CHECK(h != NULL);
	push_tel("ben", "watch", STRIDE_ROLE_WATCH, 3, 1, 0, 5);	/* dup */
	push_tel("ben", "watch", STRIDE_ROLE_WATCH, 2, 9, 0, 5);	/* stale */
	push_tel("ben", "watch", STRIDE_ROLE_WATCH, 3, 2, 5, 5);	/* new */
	CHECK(process(h, now) == 0);
	hub_get_stats(h, &hs);
	CHECK(hs.duplicates == 1 && hs.stale == 1 && hs.stored == 1);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, "ben", 1, collect_session, &f) == 0);
	CHECK(f.n == 1);	/* still the same open session */
	memset(&f, 0, sizeof(f));
	CHECK(store_devices_walk(st, NULL, collect_device, &f) == 0);
	CHECK(f.n == 3);

	CHECK(hub_finalize_all(h, now) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(store_sessions_walk(st, NULL, 1, collect_session, &f) == 0);
	CHECK(f.n == 0);

	hub_free(h);
	store_close(st);
	queue_free(q);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
	return check_done("test_hub");
}
