/*
 * link.c - see link.h.
 *
 * Shared with Paho's threads (under `mu`): struct link_shared, nothing
 * else. Everything Paho reads outside the lock (topics, the birth payload,
 * the epoch) is written once in link_open, before the client exists.
 *
 * Sending: `sent_seq` is the highest seq published on the current
 * connection; link_pump publishes the outbox past it, in order. A new
 * connect (conn_gen moved on) sets it back to 0, so the whole outbox goes
 * again, oldest first. Paho's own session retry may send some of those a
 * second time; the hub's dedupe drops repeats, which is cheaper than
 * working out here what the broker already had.
 *
 * Window (docs/protocol.md, section 7): the hub gives up on a missing seq
 * once 64 newer ones have arrived, so with a window set nothing past
 * acked + window is published: it waits in the outbox until the ack moves.
 * If the ack stands still for LINK_STALL_MS while any message waits for
 * it (held back or already sent: a hub that resubscribed after a broker
 * restart never saw what was sent in between), the window is published again from the oldest (a message may have been lost
 * between broker and hub without our connection noticing); again after
 * twice as long, and so on up to LINK_STALL_MAX_MS, so a hub that is away
 * for an hour does not find its broker queue full of repeats.
 *
 * Paho's automatic reconnect only starts after a first success (1.3.12
 * does not retry a first connect that fails: seen with strace), so the
 * owner retries that one from link_poll, the delay doubling 1 s .. 30 s.
 *
 * Sealing (docs/protocol.md section 17): link_send encodes a message and
 * seals it once; the outbox keeps the sealed bytes, so every re-send is the
 * same envelope. The birth and offline status are sealed in link_open
 * (epoch, seq 0); the will is that sealed offline status. The tx key is the
 * owner's alone; the rx key is shared (Paho's threads open acks and relays
 * with it), so it lives in struct link_shared and is copied out under the
 * lock, and so do the sealed birth bytes (link_set_session replaces both).
 *
 * Memory: the plans waiting for link_poll (4 x 3.3 KiB), key chain (1.7 KiB) and the encoding
 * and sealing buffers (4 KiB each), and the two arrays of reports heard
 * (shared, and the owner's copy: ~5 KiB each) are the only big fields; the
 * outbox holds what is unacknowledged. Nothing is allocated per message but
 * its outbox entry.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

#include "link.h"
#include "outbox.h"
#include "stride/codec.h"
#include "stride/log.h"
#include "stride/topic.h"

#define LINK_KEEPALIVE_S	30
#define LINK_RETRY_MIN_MS	1000
#define LINK_RETRY_MAX_MS	30000
#define LINK_PLANS_MAX		4	/* plans heard between two polls */
#define LINK_STALL_MS		5000	/* no ack progress: send the window again, */
#define LINK_STALL_MAX_MS	600000	/* doubling up to 10 min while it lasts */
#define LINK_STATUS_MAX		256	/* a status JSON */
#define LINK_STATUS_SEALED	(LINK_STATUS_MAX + STRIDE_SEAL_OVERHEAD)
#define LINK_KEYS_MAX		(CRYPTO_ROT_BYTES * CRYPTO_ROT_CHAIN_MAX)
#define LINK_ANOTHER_DEVICE	"another device"	/* a relay's sender */

/* A symptom report of one of our runner's devices. */
struct link_heard {
	char			device[STRIDE_ID_MAX + 1];
	struct stride_msg	m;
};

/* What Paho's threads record for the owner. Keep it this small. */
struct link_shared {
	int		connected;
	int		connect_failed;	/* the last connect attempt failed */
	int		ever_connected;
	uint64_t	conn_gen;	/* successful connects so far */
	uint64_t	events;		/* anything happened: wakes link_wait */
	int		ack_new;
	uint32_t	ack_seq;	/* the latest ack of our epoch */
	size_t		nplans;		/* plans heard, not yet polled */
	size_t		plan_len[LINK_PLANS_MAX];
	uint8_t		plan[LINK_PLANS_MAX][CRYPTO_PLAN_SEALED_MAX];
	int		beat_new;
	uint8_t		beat[CRYPTO_BEAT_BYTES];
	int		keys_new;
	size_t		keys_len;
	uint8_t		keys[LINK_KEYS_MAX];
	size_t		nsym;		/* reports heard, not yet polled */
	struct link_heard sym[LINK_SYMPTOMS_MAX];
	int		disconnected;	/* link_close's disconnect finished */
	uint8_t		rx[CRYPTO_KEY_BYTES];	/* secret: opens acks, relays */
	size_t		birth_len;
	uint8_t		birth[LINK_STATUS_SEALED];	/* sealed */
	struct log_rate	rate_bad_ack;
	struct log_rate	rate_bad_relay;
	struct log_rate	rate_bad_input;	/* sizes, unknown topics */
	struct log_rate	rate_connect;
};

struct link {
	MQTTAsync		 client;
	MQTTAsync_connectOptions opts;
	MQTTAsync_willOptions	 will;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;	/* signalled on every shared.events++ */
	struct link_shared	 sh;

	/* Written in link_open only; read by Paho's threads without mu. */
	uint32_t		 epoch;
	enum stride_role	 role;
	int			 status;	/* birth status and will */
	int			 quiet;
	char			 uri[LINK_HOST_MAX + 16];
	char			 client_id[2 * STRIDE_ID_MAX + 2];
	char			 topic[STRIDE_KIND_COUNT][STRIDE_TOPIC_MAX];
	char			 hub_beat[STRIDE_TOPIC_MAX];
	char			 hub_keys[STRIDE_TOPIC_MAX];
	size_t			 offline_len;
	uint8_t			 offline[LINK_STATUS_SEALED];	/* sealed;
					   the will points here */
	link_plan_cb		 on_plan;
	void			*plan_arg;
	link_blob_cb		 on_beat;
	link_blob_cb		 on_keys;
	void			*hub_arg;
	link_symptom_cb		 on_symptom;
	void			*symptom_arg;
	char			 runner[STRIDE_ID_MAX + 1];
	char			 device[STRIDE_ID_MAX + 1];

	/* The owner's alone. */
	struct outbox		*ob;
	uint32_t		 last_seq;	/* 0: nothing sent this epoch */
	uint64_t		 seen_gen;	/* conn_gen sent_seq belongs to */
	uint64_t		 seen_events;
	uint32_t		 sent_seq;	/* published on this connection */
	uint32_t		 acked_seq;	/* the hub's ack, our epoch */
	size_t			 window;	/* 0: no limit */
	int64_t			 progress_ms;	/* the ack last moved, monotonic */
	int64_t			 stall_ms;	/* current re-send delay */
	int64_t			 retry_at_ms;	/* first-connect retry, monotonic */
	int64_t			 retry_ms;
	uint8_t			 tx[CRYPTO_KEY_BYTES];	/* secret: seals */
	struct log_rate		 rate_publish;
	char			 buf[STRIDE_PAYLOAD_MAX + 1];	/* encoding */
	uint8_t			 sealed[STRIDE_SEALED_MAX];	/* sealing;
					   also the polled plan/key chain */
	struct link_heard	 sym[LINK_SYMPTOMS_MAX];	/* polled */
};

static void	link_on_published(void *, MQTTAsync_successData *);

/* Record that something happened; caller holds mu. */
static void
link_event(struct link *l)
{
	l->sh.events++;
	pthread_cond_broadcast(&l->cv);
}

static int
link_publish_raw(struct link *l, const char *topic, const void *payload,
    size_t len, int retained)
{
	MQTTAsync_message	  msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int			  rc;

	msg.payload = (void *)payload;
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = retained;
	ro.onSuccess = link_on_published;
	ro.context = l;
	rc = MQTTAsync_sendMessage(l->client, topic, &msg, &ro);
	return rc == MQTTASYNC_SUCCESS ? 0 : rc;
}

/* Paho's thread: the broker took a publish. Only wakes the owner, which
 * asks Paho itself what is still pending (link_delivered). */
static void
link_on_published(void *ctx, MQTTAsync_successData *resp)
{
	struct link *l = ctx;

	(void)resp;
	pthread_mutex_lock(&l->mu);
	link_event(l);
	pthread_mutex_unlock(&l->mu);
}

/* Paho's thread, after every successful connect. */
static void
link_on_connected(void *ctx, char *cause)
{
	struct link	*l = ctx;
	char		*topics[5];
	int		 qos[5] = { 1, 1, 1, 1, 0 }, rc;
	uint8_t		 birth[LINK_STATUS_SEALED];
	size_t		 birth_len;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	(void)cause;
	if (!l->quiet)
		log_info("link: connected to %s as %s", l->uri, l->client_id);
	/* Subscribe again each time: a broker restarted without
	 * persistence has forgotten our session. */
	/* The key chain first: the broker sends retained copies in this
	 * order, and a plan or heartbeat may be signed by a key the chain
	 * introduces. */
	topics[0] = l->hub_keys;
	topics[1] = l->hub_beat;
	topics[2] = l->topic[STRIDE_KIND_PLAN];
	topics[3] = l->topic[STRIDE_KIND_ACK];
	topics[4] = l->topic[STRIDE_KIND_RELAY];	/* QoS 0: see link.h */
	if ((rc = MQTTAsync_subscribeMany(l->client, l->on_symptom != NULL ?
	    5 : 4, topics, qos, &ro)) !=
	    MQTTASYNC_SUCCESS)
		log_warnx("link: subscribe: %s", MQTTAsync_strerror(rc));
	if (l->status) {
		/* Copied out: link_set_session may seal it again meanwhile. */
		pthread_mutex_lock(&l->mu);
		birth_len = l->sh.birth_len;
		memcpy(birth, l->sh.birth, birth_len);
		pthread_mutex_unlock(&l->mu);
		if ((rc = link_publish_raw(l, l->topic[STRIDE_KIND_STATUS],
		    birth, birth_len, 1)) != 0)
			log_warnx("link: birth status: %s",
			    MQTTAsync_strerror(rc));
	}

	pthread_mutex_lock(&l->mu);
	l->sh.connected = 1;
	l->sh.connect_failed = 0;
	l->sh.ever_connected = 1;
	l->sh.conn_gen++;
	link_event(l);
	pthread_mutex_unlock(&l->mu);
}

static void
link_on_lost(void *ctx, char *cause)
{
	struct link *l = ctx;

	log_warnx("link: connection to %s lost%s%s; reconnecting", l->uri,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	pthread_mutex_lock(&l->mu);
	l->sh.connected = 0;
	link_event(l);
	pthread_mutex_unlock(&l->mu);
}

static void
link_on_connect_failed(void *ctx, MQTTAsync_failureData *fd)
{
	struct link *l = ctx;

	pthread_mutex_lock(&l->mu);
	/* Paho retries by itself once it has been connected. */
	if (!l->sh.ever_connected)
		l->sh.connect_failed = 1;
	link_event(l);
	log_rate_warnx(&l->sh.rate_connect, "link: connect to %s failed: %s; "
	    "retrying", l->uri, fd != NULL && fd->message != NULL ?
	    fd->message : MQTTAsync_strerror(fd != NULL ? fd->code :
	    MQTTASYNC_FAILURE));
	pthread_mutex_unlock(&l->mu);
}

static void
link_on_disconnected(void *ctx, MQTTAsync_successData *resp)
{
	struct link *l = ctx;

	(void)resp;
	pthread_mutex_lock(&l->mu);
	l->sh.disconnected = 1;
	l->sh.connected = 0;
	link_event(l);
	pthread_mutex_unlock(&l->mu);
}

static void
link_on_disconnect_failed(void *ctx, MQTTAsync_failureData *fd)
{
	(void)fd;
	link_on_disconnected(ctx, NULL);
}

/*
 * Paho's thread: open an envelope of kind on our own topic (an ack or a
 * relay) with our rx key and decode its JSON as dkind; the JSON's epoch
 * and seq must be the envelope's. 0, or -1 with *why.
 */
static int
link_open_msg(struct link *l, const void *payload, size_t len,
    enum stride_kind kind, enum stride_kind dkind, struct stride_msg *m,
    const char **why)
{
	uint8_t		rx[CRYPTO_KEY_BYTES];
	char		json[STRIDE_PAYLOAD_MAX];
	size_t		jlen = 0;
	uint32_t	epoch = 0, seq = 0;
	int		rc;

	pthread_mutex_lock(&l->mu);
	memcpy(rx, l->sh.rx, sizeof(rx));
	pthread_mutex_unlock(&l->mu);
	rc = crypto_msg_open(json, sizeof(json), &jlen, &epoch, &seq, payload,
	    len, kind, l->runner, l->device, rx, why);
	crypto_wipe(rx, sizeof(rx));
	if (rc == -1)
		return -1;
	if (codec_decode(dkind, json, jlen, m, why) == -1)
		return -1;
	if (m->epoch != epoch || m->seq != seq) {
		*why = "JSON epoch/seq differ from the envelope's";
		return -1;
	}
	return 0;
}

/* Paho's thread: an ack. Only our own epoch's acks are kept. */
static void
link_take_ack(struct link *l, const void *payload, size_t len)
{
	struct stride_msg m;
	const char	*why = "refused";

	if (link_open_msg(l, payload, len, STRIDE_KIND_ACK, STRIDE_KIND_ACK,
	    &m, &why) == -1) {
		pthread_mutex_lock(&l->mu);
		log_rate_warnx(&l->sh.rate_bad_ack, "link: ack on %s dropped: "
		    "%s", l->topic[STRIDE_KIND_ACK], why);
		pthread_mutex_unlock(&l->mu);
		return;
	}
	/* Older epochs are our past boots, retained at the broker: done
	 * with. A later epoch is not ours to trust (clock set back?). */
	if (m.u.ack.epoch != l->epoch) {
		if (m.u.ack.epoch > l->epoch) {
			pthread_mutex_lock(&l->mu);
			log_rate_warnx(&l->sh.rate_bad_ack, "link: ack for "
			    "epoch %u, after ours (%u): ignored",
			    (unsigned)m.u.ack.epoch, (unsigned)l->epoch);
			pthread_mutex_unlock(&l->mu);
		}
		return;
	}
	pthread_mutex_lock(&l->mu);
	l->sh.ack_seq = m.u.ack.seq;
	l->sh.ack_new = 1;
	link_event(l);
	pthread_mutex_unlock(&l->mu);
}

/* Paho's thread: a report of another of our runner's devices, relayed and
 * sealed to us by the hub. */
static void
link_take_relay(struct link *l, const void *payload, size_t len)
{
	struct stride_msg	 m;
	const char		*why = "refused";

	if (link_open_msg(l, payload, len, STRIDE_KIND_RELAY,
	    STRIDE_KIND_SYMPTOM, &m, &why) == -1) {
		pthread_mutex_lock(&l->mu);
		log_rate_warnx(&l->sh.rate_bad_relay, "link: relayed report "
		    "dropped: %s", why);
		pthread_mutex_unlock(&l->mu);
		return;
	}
	pthread_mutex_lock(&l->mu);
	if (l->sh.nsym < LINK_SYMPTOMS_MAX) {
		snprintf(l->sh.sym[l->sh.nsym].device,
		    sizeof(l->sh.sym[l->sh.nsym].device), "%s",
		    LINK_ANOTHER_DEVICE);
		l->sh.sym[l->sh.nsym++].m = m;
		link_event(l);
	} else
		log_rate_warnx(&l->sh.rate_bad_relay, "link: over %d symptom "
		    "reports at once: dropped", LINK_SYMPTOMS_MAX);
	pthread_mutex_unlock(&l->mu);
}

/* Paho's thread: keep the latest of a raw payload for link_poll, bounded
 * by its topic's sizes (checked by the caller). Caller holds mu. */
static void
link_keep(struct link *l, int *flag, void *dst, size_t *dst_len,
    const void *payload, size_t len)
{
	memcpy(dst, payload, len);
	if (dst_len != NULL)
		*dst_len = len;
	*flag = 1;
	link_event(l);
}

/*
 * With l->mu held: queue a plan for link_poll. Every plan is judged, not
 * only the newest of a burst: on a reconnect the broker hands over the
 * queued older copies and then the retained newest back to back, and a
 * rollback attempt overwritten unseen would go unlogged. Never blocks
 * Paho's thread; when LINK_PLANS_MAX wait already, the oldest goes (the
 * newer ones are what matters) and is counted.
 */
static void
link_keep_plan(struct link *l, const void *payload, size_t len)
{
	struct link_shared *sh = &l->sh;

	if (sh->nplans == LINK_PLANS_MAX) {
		memmove(sh->plan[0], sh->plan[1], (LINK_PLANS_MAX - 1) *
		    sizeof(sh->plan[0]));
		memmove(&sh->plan_len[0], &sh->plan_len[1],
		    (LINK_PLANS_MAX - 1) * sizeof(sh->plan_len[0]));
		sh->nplans--;
		log_rate_warnx(&sh->rate_bad_input, "link: plans came faster "
		    "than they were read: the oldest waiting one dropped");
	}
	memcpy(sh->plan[sh->nplans], payload, len);
	sh->plan_len[sh->nplans++] = len;
	link_event(l);
}

/* The oldest plan waiting, into l->sealed; 0 if none. Owner's thread. */
static size_t
link_take_plan(struct link *l)
{
	struct link_shared	*sh = &l->sh;
	size_t			 len = 0;

	pthread_mutex_lock(&l->mu);
	if (sh->nplans > 0) {
		len = sh->plan_len[0];
		memcpy(l->sealed, sh->plan[0], len);
		memmove(sh->plan[0], sh->plan[1], (sh->nplans - 1) *
		    sizeof(sh->plan[0]));
		memmove(&sh->plan_len[0], &sh->plan_len[1],
		    (sh->nplans - 1) * sizeof(sh->plan_len[0]));
		sh->nplans--;
	}
	pthread_mutex_unlock(&l->mu);
	return len;
}

/* 1 if topic[0..tlen) is want. */
static int
link_is(const char *topic, size_t tlen, const char *want)
{
	return tlen == strlen(want) && memcmp(topic, want, tlen) == 0;
}

static int
link_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct link	*l = ctx;
	size_t		 tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	size_t		 plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	const char	*what = NULL;

	if (plen == 0) {
		/* An empty retained message clears a topic at the broker
		 * (a revoked device's ack or plan): nothing for us to do. */
	} else if (link_is(topic, tlen, l->topic[STRIDE_KIND_ACK])) {
		if (plen > STRIDE_SEALED_MAX)
			what = "ack";
		else
			link_take_ack(l, msg->payload, plen);
	} else if (l->on_symptom != NULL &&
	    link_is(topic, tlen, l->topic[STRIDE_KIND_RELAY])) {
		if (plen > STRIDE_SEALED_MAX)
			what = "relay";
		else
			link_take_relay(l, msg->payload, plen);
	} else if (link_is(topic, tlen, l->topic[STRIDE_KIND_PLAN])) {
		if (plen < CRYPTO_PLAN_SEALED_MIN ||
		    plen > CRYPTO_PLAN_SEALED_MAX)
			what = "plan";
		else {
			pthread_mutex_lock(&l->mu);
			link_keep_plan(l, msg->payload, plen);
			pthread_mutex_unlock(&l->mu);
		}
	} else if (link_is(topic, tlen, l->hub_beat)) {
		if (plen != CRYPTO_BEAT_BYTES)
			what = "heartbeat";
		else {
			pthread_mutex_lock(&l->mu);
			link_keep(l, &l->sh.beat_new, l->sh.beat, NULL,
			    msg->payload, plen);
			pthread_mutex_unlock(&l->mu);
		}
	} else if (link_is(topic, tlen, l->hub_keys)) {
		if (plen % CRYPTO_ROT_BYTES != 0 || plen > LINK_KEYS_MAX)
			what = "key chain";
		else {
			pthread_mutex_lock(&l->mu);
			link_keep(l, &l->sh.keys_new, l->sh.keys,
			    &l->sh.keys_len, msg->payload, plen);
			pthread_mutex_unlock(&l->mu);
		}
	}
	/* Anything else (a subscription an older version left in our
	 * persistent session) is not for us: ignored. */
	if (what != NULL) {
		pthread_mutex_lock(&l->mu);
		log_rate_warnx(&l->sh.rate_bad_input, "link: dropped a "
		    "%zu-byte %s: wrong size", plen, what);
		pthread_mutex_unlock(&l->mu);
	}
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

static int
link_status_json(struct link *l, int online, char *buf, size_t cap)
{
	struct stride_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_STATUS;
	m.epoch = l->epoch;
	m.u.status.online = online;
	m.u.status.role = STRIDE_ROLE_UNKNOWN;
	m.u.status.battery = -1;
	if (online) {
		m.u.status.role = l->role;
		snprintf(m.u.status.fw, sizeof(m.u.status.fw), "%s",
		    STRIDE_VERSION);
	}
	return codec_encode(&m, buf, cap);
}

/* The birth (online) or offline status, encoded and sealed with tx. */
static int
link_status_seal(struct link *l, int online, const uint8_t *tx,
    uint8_t *out, size_t cap, size_t *out_len)
{
	char	json[LINK_STATUS_MAX];
	int	n;

	if ((n = link_status_json(l, online, json, sizeof(json))) < 0)
		return -1;
	return crypto_msg_seal(out, cap, out_len, json, (size_t)n,
	    STRIDE_KIND_STATUS, l->epoch, 0, l->runner, l->device, tx);
}

struct link *
link_open(const struct link_config *c, char *err, size_t errlen)
{
	MQTTAsync_createOptions	 co = MQTTAsync_createOptions_initializer;
	MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
	MQTTAsync_willOptions	 will = MQTTAsync_willOptions_initializer;
	pthread_condattr_t	 ca;
	struct link		*l;
	int			 k, rc, locks = 0;

	assert(c->epoch >= 1);
	assert(c->session != NULL);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->epoch = c->epoch;
	l->role = c->role;
	l->status = c->status;
	l->quiet = c->quiet;
	l->on_plan = c->on_plan;
	l->plan_arg = c->plan_arg;
	l->on_beat = c->on_beat;
	l->on_keys = c->on_keys;
	l->hub_arg = c->hub_arg;
	memcpy(l->tx, c->session->tx, sizeof(l->tx));
	memcpy(l->sh.rx, c->session->rx, sizeof(l->sh.rx));
	l->on_symptom = c->on_symptom;
	l->symptom_arg = c->symptom_arg;
	l->retry_ms = LINK_RETRY_MIN_MS;
	l->window = c->window;
	l->progress_ms = clock_mono_ms();
	l->stall_ms = LINK_STALL_MS;
	l->retry_at_ms = clock_mono_ms() + LINK_RETRY_MIN_MS;
	if (strlen(c->host) > LINK_HOST_MAX || c->port < 1 ||
	    c->port > 65535) {
		snprintf(err, errlen, "bad broker address");
		goto fail;
	}
	snprintf(l->uri, sizeof(l->uri), "tcp://%s:%d", c->host, c->port);
	snprintf(l->client_id, sizeof(l->client_id), "%s-%s", c->runner,
	    c->device);
	snprintf(l->runner, sizeof(l->runner), "%s", c->runner);
	snprintf(l->device, sizeof(l->device), "%s", c->device);
	if (topic_build_hub(l->hub_beat, sizeof(l->hub_beat), c->prefix,
	    TOPIC_HUB_HEARTBEAT) < 0 || topic_build_hub(l->hub_keys,
	    sizeof(l->hub_keys), c->prefix, TOPIC_HUB_KEYS) < 0) {
		snprintf(err, errlen, "bad prefix");
		goto fail;
	}
	for (k = STRIDE_KIND_TELEMETRY; k < STRIDE_KIND_COUNT; k++) {
		if (topic_build(l->topic[k], sizeof(l->topic[k]), c->prefix,
		    c->runner, c->device, (enum stride_kind)k) < 0) {
			snprintf(err, errlen, "bad prefix, runner or device");
			goto fail;
		}
	}
	if (l->status && (link_status_seal(l, 1, l->tx, l->sh.birth,
	    sizeof(l->sh.birth), &l->sh.birth_len) == -1 ||
	    link_status_seal(l, 0, l->tx, l->offline, sizeof(l->offline),
	    &l->offline_len) == -1)) {
		snprintf(err, errlen, "cannot seal the status messages");
		goto fail;
	}
	if ((l->ob = outbox_new(c->outbox_cap)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = pthread_mutex_init(&l->mu, NULL)) != 0) {
		snprintf(err, errlen, "mutex: %s", strerror(rc));
		goto fail;
	}
	locks++;
	/* Deadlines are CLOCK_MONOTONIC, immune to the wall clock. */
	if ((rc = pthread_condattr_init(&ca)) == 0) {
		if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) == 0)
			rc = pthread_cond_init(&l->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (rc != 0) {
		snprintf(err, errlen, "condition variable: %s", strerror(rc));
		goto fail;
	}
	locks++;

	/* Paho never buffers for us while disconnected: the outbox does. */
	co.sendWhileDisconnected = 0;
	if ((rc = MQTTAsync_createWithOptions(&l->client, l->uri, l->client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co)) != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "%s: %s", l->uri, MQTTAsync_strerror(rc));
		goto fail;
	}
	MQTTAsync_setCallbacks(l->client, l, link_on_lost, link_on_message,
	    NULL);
	MQTTAsync_setConnected(l->client, l, link_on_connected);

	if (l->status) {
		l->will = will;
		l->will.topicName = l->topic[STRIDE_KIND_STATUS];
		/* Binary: message NULL, so Paho takes payload and len. */
		l->will.message = NULL;
		l->will.payload.data = l->offline;
		l->will.payload.len = (int)l->offline_len;
		l->will.retained = 1;
		l->will.qos = 1;
		opts.will = &l->will;
	}
	opts.keepAliveInterval = LINK_KEEPALIVE_S;
	opts.cleansession = 0;
	opts.automaticReconnect = 1;
	opts.minRetryInterval = 1;
	opts.maxRetryInterval = LINK_RETRY_MAX_MS / 1000;
	opts.connectTimeout = 10;
	opts.MQTTVersion = MQTTVERSION_3_1_1;	/* no fallback to 3.1 */
	opts.onFailure = link_on_connect_failed;
	opts.context = l;
	l->opts = opts;
	if ((rc = MQTTAsync_connect(l->client, &l->opts)) !=
	    MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "connect %s: %s", l->uri,
		    MQTTAsync_strerror(rc));
		goto fail;
	}
	return l;
fail:
	if (l->client != NULL)
		MQTTAsync_destroy(&l->client);
	if (locks > 1)
		pthread_cond_destroy(&l->cv);
	if (locks > 0)
		pthread_mutex_destroy(&l->mu);
	outbox_free(l->ob);
	crypto_wipe(l, sizeof(*l));
	free(l);
	return NULL;
}

void
link_close(struct link *l, int timeout_ms)
{
	MQTTAsync_disconnectOptions dopt =
	    MQTTAsync_disconnectOptions_initializer;
	int64_t	deadline;
	int	rc, done;

	if (l == NULL)
		return;
	deadline = clock_mono_ms() + timeout_ms;
	if (MQTTAsync_isConnected(l->client)) {
		if (l->status && (rc = link_publish_raw(l,
		    l->topic[STRIDE_KIND_STATUS], l->offline,
		    l->offline_len, 1)) != 0)
			log_warnx("link: offline status: %s",
			    MQTTAsync_strerror(rc));
		dopt.timeout = timeout_ms;
		dopt.onSuccess = link_on_disconnected;
		dopt.onFailure = link_on_disconnect_failed;
		dopt.context = l;
		/* Paho finishes in-flight publishes (the offline status
		 * among them) before it disconnects, up to the timeout. */
		if (MQTTAsync_disconnect(l->client, &dopt) ==
		    MQTTASYNC_SUCCESS) {
			for (;;) {
				pthread_mutex_lock(&l->mu);
				done = l->sh.disconnected;
				pthread_mutex_unlock(&l->mu);
				if (done || !link_wait(l, deadline))
					break;
			}
		}
	}
	MQTTAsync_destroy(&l->client);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	outbox_free(l->ob);
	crypto_wipe(l, sizeof(*l));	/* the session keys */
	free(l);
}

void
link_set_session(struct link *l, const struct crypto_session *s)
{
	uint8_t	birth[LINK_STATUS_SEALED];
	size_t	birth_len = 0;
	int	ok = 1;

	memcpy(l->tx, s->tx, sizeof(l->tx));
	if (l->status && (link_status_seal(l, 1, l->tx, birth, sizeof(birth),
	    &birth_len) == -1 || link_status_seal(l, 0, l->tx, l->offline,
	    sizeof(l->offline), &l->offline_len) == -1))
		ok = 0;	/* cannot happen: they sealed in link_open */
	pthread_mutex_lock(&l->mu);
	memcpy(l->sh.rx, s->rx, sizeof(l->sh.rx));
	if (l->status && ok) {
		memcpy(l->sh.birth, birth, birth_len);
		l->sh.birth_len = birth_len;
	}
	pthread_mutex_unlock(&l->mu);
}

/* Publish, in order, what has not gone out on this connection yet, as far
 * as the window allows. Stops at the first failure: a disconnect is the
 * usual one, and the next connect starts over anyway. */
static void
link_pump(struct link *l)
{
	const struct outbox_msg *m;
	size_t	i, n = outbox_count(l->ob);
	int	rc;

	for (i = 0; i < n; i++) {
		m = outbox_at(l->ob, i);
		if (m->seq <= l->sent_seq)
			continue;
		if (l->window > 0 && m->seq > l->acked_seq + l->window)
			return;
		if ((rc = link_publish_raw(l, l->topic[m->kind], m->payload,
		    m->len, 0)) != 0) {
			if (rc != MQTTASYNC_DISCONNECTED)
				log_rate_warnx(&l->rate_publish, "link: "
				    "publish %s %u/%u: %s",
				    stride_kind_name(m->kind),
				    (unsigned)m->epoch, (unsigned)m->seq,
				    MQTTAsync_strerror(rc));
			return;
		}
		l->sent_seq = m->seq;
	}
}

/* Connected or not; on a new connect, or a stalled ack, start the outbox
 * over from the oldest; then pump. */
static void
link_sync(struct link *l, int64_t now)
{
	uint64_t gen;
	int	 connected;

	pthread_mutex_lock(&l->mu);
	connected = l->sh.connected;
	gen = l->sh.conn_gen;
	pthread_mutex_unlock(&l->mu);
	if (!connected)
		return;
	if (gen != l->seen_gen) {
		l->seen_gen = gen;
		l->sent_seq = 0;
		l->progress_ms = now;
		if (outbox_count(l->ob) > 0 && !l->quiet)
			log_info("link: publishing again %zu message%s awaiting "
			    "the hub's ack", outbox_count(l->ob),
			    outbox_count(l->ob) == 1 ? "" : "s");
	} else if (l->window > 0 && outbox_count(l->ob) > 0 &&
	    now - l->progress_ms >= l->stall_ms) {
		log_warnx("link: no ack for %lld s with %zu message%s waiting: "
		    "publishing the window again",
		    (long long)(now - l->progress_ms) / 1000,
		    outbox_count(l->ob), outbox_count(l->ob) == 1 ? "" : "s");
		l->sent_seq = 0;
		l->progress_ms = now;
		if (l->stall_ms < LINK_STALL_MAX_MS)
			l->stall_ms *= 2;
	}
	link_pump(l);
}

void
link_poll(struct link *l)
{
	uint32_t ack_seq;
	uint8_t	 beat[CRYPTO_BEAT_BYTES];
	size_t	 plan_len, keys_len = 0, freed, nsym, i;
	int64_t	 now = clock_mono_ms();
	int	 retry = 0, ack_new, beat_new, keys_new, rc;

	pthread_mutex_lock(&l->mu);
	ack_new = l->sh.ack_new;
	ack_seq = l->sh.ack_seq;
	l->sh.ack_new = 0;
	/* Copied out so that the callbacks run without the lock. The
	 * sealing buffer is free between link_send calls. */
	if ((beat_new = l->sh.beat_new)) {
		memcpy(beat, l->sh.beat, sizeof(beat));
		l->sh.beat_new = 0;
	}
	if ((keys_new = l->sh.keys_new)) {
		keys_len = l->sh.keys_len;
		memcpy(l->buf, l->sh.keys, keys_len);
		l->sh.keys_new = 0;
	}
	/* Reports: copied out too (into the owner's own array). */
	nsym = l->sh.nsym;
	for (i = 0; i < nsym; i++)
		l->sym[i] = l->sh.sym[i];
	l->sh.nsym = 0;
	if (l->sh.connect_failed && now >= l->retry_at_ms) {
		l->sh.connect_failed = 0;
		retry = 1;
	}
	pthread_mutex_unlock(&l->mu);

	if (ack_new) {
		/* An ack past what we sent cannot be about our messages
		 * (another process with our epoch?): keep them. */
		if (ack_seq > l->last_seq)
			log_warnx("link: ack %u/%u is past our last message "
			    "%u: ignored", (unsigned)l->epoch,
			    (unsigned)ack_seq, (unsigned)l->last_seq);
		else if (ack_seq > l->acked_seq) {
			l->acked_seq = ack_seq;
			l->progress_ms = now;
			l->stall_ms = LINK_STALL_MS;
			freed = outbox_ack(l->ob, l->epoch, ack_seq);
			log_debug("link: hub acknowledged up to %u/%u (%zu "
			    "freed, %zu left)", (unsigned)l->epoch,
			    (unsigned)ack_seq, freed, outbox_count(l->ob));
		}
	}
	/* Keys first: a plan or heartbeat under a new key may have come
	 * in the same wake-up. */
	if (keys_new && l->on_keys != NULL)
		l->on_keys(l->hub_arg, l->buf, keys_len);
	if (beat_new && l->on_beat != NULL)
		l->on_beat(l->hub_arg, beat, sizeof(beat));
	/* Oldest first, each taken under the lock by itself: the sealing
	 * buffer is free between link_send calls. */
	while ((plan_len = link_take_plan(l)) > 0) {
		if (l->on_plan != NULL)
			l->on_plan(l->plan_arg, l->sealed, plan_len);
	}
	for (i = 0; i < nsym && l->on_symptom != NULL; i++)
		l->on_symptom(l->symptom_arg, l->sym[i].device, &l->sym[i].m);
	if (retry) {
		l->retry_at_ms = now + l->retry_ms;
		if (l->retry_ms < LINK_RETRY_MAX_MS)
			l->retry_ms *= 2;
		log_debug("link: connecting to %s again", l->uri);
		if ((rc = MQTTAsync_connect(l->client, &l->opts)) !=
		    MQTTASYNC_SUCCESS)
			log_warnx("link: connect %s: %s", l->uri,
			    MQTTAsync_strerror(rc));
	}
	link_sync(l, now);
}

int
link_send(struct link *l, struct stride_msg *m)
{
	uint64_t dropped;
	size_t	 slen = 0;
	int	 len, rc;

	assert(m->kind == STRIDE_KIND_TELEMETRY ||
	    m->kind == STRIDE_KIND_EVENT || m->kind == STRIDE_KIND_SYMPTOM);
	if (l->last_seq == UINT32_MAX) {
		log_warnx("link: no seq left in epoch %u", (unsigned)l->epoch);
		return -1;
	}
	m->epoch = l->epoch;
	m->seq = l->last_seq + 1;
	if ((len = codec_encode(m, l->buf, sizeof(l->buf))) < 0) {
		log_warnx("link: cannot encode %s %u/%u",
		    stride_kind_name(m->kind), (unsigned)m->epoch,
		    (unsigned)m->seq);
		return -1;
	}
	/* Sealed once: every re-send is these bytes (protocol.md 17). */
	if (crypto_msg_seal(l->sealed, sizeof(l->sealed), &slen, l->buf,
	    (size_t)len, m->kind, m->epoch, m->seq, l->runner, l->device,
	    l->tx) == -1) {
		log_warnx("link: cannot seal %s %u/%u",
		    stride_kind_name(m->kind), (unsigned)m->epoch,
		    (unsigned)m->seq);
		return -1;
	}
	dropped = outbox_dropped(l->ob);
	if ((rc = outbox_push(l->ob, m->epoch, m->seq, m->kind, l->sealed,
	    slen)) == -1) {
		log_warnx("link: out of memory for %s %u/%u",
		    stride_kind_name(m->kind), (unsigned)m->epoch,
		    (unsigned)m->seq);
		return -1;
	}
	/* Numbered even if the full outbox refused it (rc 1): the hub
	 * will count the gap as a lost message, which it is. */
	l->last_seq = m->seq;
	if (outbox_dropped(l->ob) != dropped)
		log_rate_warnx(&l->rate_publish, "link: outbox full (%zu "
		    "unacknowledged): %llu message(s) dropped so far",
		    outbox_count(l->ob),
		    (unsigned long long)outbox_dropped(l->ob));
	link_sync(l, clock_mono_ms());
	return 0;
}

int
link_wait(struct link *l, int64_t deadline_ms)
{
	struct timespec	ts;
	int		woke;

	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	pthread_mutex_lock(&l->mu);
	/* 0 is a wake-up (maybe spurious: look again); anything else is
	 * the deadline (or an error: never spin on it). */
	while (l->sh.events == l->seen_events &&
	    pthread_cond_timedwait(&l->cv, &l->mu, &ts) == 0)
		;
	woke = l->sh.events != l->seen_events;
	l->seen_events = l->sh.events;
	pthread_mutex_unlock(&l->mu);
	return woke;
}

int
link_connected(struct link *l)
{
	int	c;

	pthread_mutex_lock(&l->mu);
	c = l->sh.connected;
	pthread_mutex_unlock(&l->mu);
	return c;
}

size_t
link_unacked(const struct link *l)
{
	return outbox_count(l->ob);
}

int
link_delivered(struct link *l)
{
	MQTTAsync_token	*tokens = NULL;
	uint64_t	 gen;
	int		 connected, pending = 0;

	pthread_mutex_lock(&l->mu);
	connected = l->sh.connected;
	gen = l->sh.conn_gen;
	pthread_mutex_unlock(&l->mu);
	if (!connected || gen != l->seen_gen || l->sent_seq != l->last_seq)
		return 0;
	if (MQTTAsync_getPendingTokens(l->client, &tokens) !=
	    MQTTASYNC_SUCCESS)
		return 0;
	if (tokens != NULL) {
		while (tokens[pending] != -1)
			pending++;
		MQTTAsync_free(tokens);
	}
	return pending == 0;
}

int
link_held_back(const struct link *l)
{
	return l->window > 0 && l->last_seq > l->acked_seq + l->window;
}

uint64_t
link_dropped(const struct link *l)
{
	return outbox_dropped(l->ob);
}
