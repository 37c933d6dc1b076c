/*
 * hub.c - see hub.h.
 *
 * Invariants:
 * - A device's dedupe window in memory is ahead of the store's only within
 *   an uncommitted batch; every touched device is saved in the same
 *   transaction as its samples.
 * - An ack names only what a committed transaction holds.
 * - A runner's sessions in memory mirror the open rows of the sessions table.
 * Never blocks on the network: publishing hands bytes to Paho's buffer.
 *
 * Deleting a runner (`stridehub runner delete`, issue 5): the CLI records a
 * request in the store; the tick polls the newest request id (one index
 * seek, like plan.c's polls) and, for each pending request, empties the
 * retained topics the broker keeps for the runner's devices (plan, ack,
 * status) and, with HA on, the runner's HA configs and states; only then
 * deletes the runner's rows in one transaction and forgets the runner and
 * its devices here. A failed publish or store call leaves the request
 * pending for the next tick; with no publisher (shutting down) it waits
 * for the next start. The runner's device keys go with its rows, so
 * nothing it sends later is accepted; only a new enrolment (`stridehub
 * device add`) brings the name back, as a new runner.
 *
 * Device keys (issue 4, docs/protocol.md sections 17-18): a device is accepted
 * only while it has an ACTIVE key in the store. At start (hub_set_keys)
 * every active key is read and the device's session keys derived once
 * (crypto_session_hub, an X25519: ~50 us), so the hot path is one table
 * lookup and one AEAD open (~1 us), no allocation, no SQLite. A device
 * enrolled after the start is found on its first message by a store
 * lookup; a name looked up and refused goes into a negative cache
 * (h->unknown, bounded) so a flood of unknown topics costs SQLite once
 * per name, not per message. The tick looks at store_data_version at most
 * once a second: when another connection (the CLI) wrote, every key is
 * read again (a revoked or replaced key stops opening anything at once)
 * and the negative cache is emptied. A device whose key was revoked has
 * its retained ack and plan topics emptied (logged once).
 *
 * Relays: a symptom with when=during, once its batch commits, is sealed
 * (kind relay, the sender's epoch/seq in the header) to each other keyed
 * device of the runner, QoS 0, not retained: a best-effort heads-up.
 *
 * Home Assistant is hubha.c's (its design notes say when HA hears what);
 * this file marks the work (hubha_due) where it learns of it and calls in
 * at the points hub_priv.h lists. hub_priv.h holds the structs both share.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuse.h"
#include "ha.h"
#include "hub.h"
#include "hub_priv.h"
#include "hubkey.h"
#include "plan.h"
#include "queue.h"
#include "session.h"
#include "store.h"
#include "table.h"
#include "stride/codec.h"
#include "stride/log.h"
#include "stride/topic.h"

#define HUB_WAIT_MS		50	/* longest idle wait for messages */
#define HUB_TICK_MS		100	/* timed work at least this often */
#define HUB_STATS_MS		60000	/* a stats line this often, if busy */
#define HUB_DEVICES_PER_SESSION	16	/* more is hostile, not a runner */
#define HUB_COMMIT_MS		20	/* longest a batch stays open */
#define HUB_LINGER_MS		2	/* ...waiting this long for more */
#define HUB_BATCH_MAX		8192	/* messages in one batch at most */
#define HUB_DELETIONS_MAX	8	/* deletion requests done per tick */
#define HUB_DEVICES_MAX		1024	/* of a runner being deleted */
#define HUB_KEYS_POLL_MS	1000	/* store_data_version at most this often */
#define HUB_UNKNOWN_MAX		4096	/* names in the negative cache */

/* Drop reasons of our own (hub_rate keys on the pointer). */
static const char hub_why_unknown[] = "unknown or revoked device";
static const char hub_why_mismatch[] = "sealed header does not match message";
static const char hub_why_lookup[] = "device key lookup failed";

static int	hub_finalize(struct hub *, struct runner *, int64_t id);
static int	hub_reload(struct hub *);
static int	hub_batch_end(struct hub *, int64_t now_ms);
static int	hub_keys_load(struct hub *);

struct log_rate *
hub_rate(struct hub *h, const char *why)
{
	size_t i;

	for (i = 0; i < HUB_RATE_CAUSES - 1; i++) {
		if (h->rates[i].why == why)
			return &h->rates[i].rate;
		if (h->rates[i].why == NULL) {
			h->rates[i].why = why;
			return &h->rates[i].rate;
		}
	}
	return &h->rates[HUB_RATE_CAUSES - 1].rate;	/* shared overflow */
}


/* Runners and devices. */

struct runner *
hub_runner(struct hub *h, const char *name, int64_t id)
{
	struct runner *r;

	if ((r = table_get(h->runners, name)) != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->id = id;
	if (table_put(h->runners, r->name, r) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

static void
hub_device_key(char *buf, size_t cap, const char *runner, const char *device)
{
	size_t r = strlen(runner), d = strlen(device);

	/* On every message: two copies, not a printf (it showed in the
	 * profile). Ids are valid, so "runner/device" always fits. */
	assert(r + 1 + d < cap);
	(void)cap;	/* with NDEBUG */
	memcpy(buf, runner, r);
	buf[r] = '/';
	memcpy(buf + r + 1, device, d + 1);
}

static struct device *
hub_device_add(struct hub *h, const struct store_device *sd, struct runner *r)
{
	struct device	*d;
	char		 key[2 * STRIDE_ID_MAX + 2];

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->sd = *sd;
	d->r = r;
	/* ack_epoch/ack_seq 0: the first ack after a start is always sent. */
	hub_device_key(key, sizeof(key), sd->runner, sd->device);
	if (table_put(h->devices, key, d) == -1) {
		free(d);
		return NULL;
	}
	/* Linked only once the table holds it: a failed put leaves no
	 * freed device on the runner's list. */
	d->next_in_runner = r->devs;
	r->devs = d;
	return d;
}

/* Device keys (top of file). */

/* Forget d's session keys: nothing it sends opens any more. */
static void
hub_unkey(struct device *d)
{
	crypto_wipe(&d->sess, sizeof(d->sess));
	d->keyed = 0;
	d->key_row = 0;
	d->ack_pending = 0;
}

/* Derive d's session keys from its active key k. 0, or -1 (logged) if
 * the key cannot be used (a low-order point: the CLI should not have
 * taken it). */
static int
hub_key_device(struct hub *h, struct device *d,
    const struct store_device_key *k)
{
	if (crypto_session_hub(&d->sess, hubkey_identity(h->keys), k->pk) ==
	    -1) {
		hub_unkey(d);
		log_warnx("device %s/%s: its enrolled key is unusable; "
		    "refused", d->sd.runner, d->sd.device);
		return -1;
	}
	if (d->keyed && d->key_row != k->id) {
		log_info("device %s/%s: key replaced; the old one is refused "
		    "from now on", d->sd.runner, d->sd.device);
		/* The retained ack and plan are sealed for the old key,
		 * which its holder can still open: seal both anew (the plan
		 * as a birth's re-send would). */
		d->ack_epoch = d->ack_seq = 0;
		d->ack_pending = 1;
		(void)plan_mark(h->planner, d->r->id, d->r->name,
		    d->sd.device);
	}
	d->keyed = 1;
	d->key_row = k->id;
	d->key_gen = h->key_gen;
	d->clear_pending = 0;
	return 0;
}

/* The store's row of (runner, device), without creating it: 0, 1 none,
 * -1 error. */
static int
hub_store_device(struct hub *h, const char *runner, const char *device,
    struct store_device *sd)
{
	int64_t	rid;
	int	rc;

	if ((rc = store_runner_get(h->st, runner, 0, &rid)) != 0)
		return rc;
	return store_device_get(h->st, rid, runner, device, 0, sd);
}

/* A device of the store (enrolled since the start) into memory, with its
 * runner. NULL if out of memory. */
static struct device *
hub_device_insert(struct hub *h, const struct store_device *sd)
{
	struct runner	*r;
	struct device	*d;

	if ((r = hub_runner(h, sd->runner, sd->runner_id)) == NULL ||
	    (d = hub_device_add(h, sd, r)) == NULL)
		return NULL;
	/* A new runner or device: HA gets its entities (and states). */
	d->ha_state = 1;
	hubha_due(h, r, HUB_HA_ANNOUNCE);
	return d;
}

/*
 * The device topic t names, if it may speak: keyed in memory (the hot
 * path: one lookup), or enrolled since the last key load (a store
 * lookup, at most once per name until data_version moves). NULL: refuse.
 * The batch is open: what the store says is as of its start.
 */
static struct device *
hub_admit(struct hub *h, const struct stride_topic *t)
{
	struct store_device_key	 k;
	struct store_device	 sd;
	struct device		*d;
	char			 key[2 * STRIDE_ID_MAX + 2];
	int			 rc;

	hub_device_key(key, sizeof(key), t->runner, t->device);
	if ((d = table_get(h->devices, key)) != NULL && d->keyed)
		return d;
	if (h->keys == NULL || table_get(h->unknown, key) != NULL ||
	    table_count(h->unknown) >= HUB_UNKNOWN_MAX)
		return NULL;	/* a flood: the tick's key load finds them */
	if (d != NULL)
		sd = d->sd;
	if ((rc = d != NULL ? 0 : hub_store_device(h, t->runner, t->device,
	    &sd)) == 0 && (rc = store_device_key_active(h->st, sd.id,
	    &k)) == 0) {
		if (d == NULL && (d = hub_device_insert(h, &sd)) == NULL)
			return NULL;	/* out of memory: not cached */
		if (hub_key_device(h, d, &k) == 0) {
			log_info("device %s/%s: enrolled; accepted",
			    t->runner, t->device);
			return d;
		}
	}
	if (rc == -1)
		log_rate_warnx(hub_rate(h, hub_why_lookup), "%s/%s: %s",
		    t->runner, t->device, hub_why_lookup);
	(void)table_put(h->unknown, key, h);	/* a mark; no memory: asked
						   again next time */
	return NULL;
}

struct hub_keys_ctx {
	struct hub	*h;
	int		 first;		/* the load at start */
	int		 force;		/* derive every session again */
	size_t		 keyed;
};

static int
hub_keys_one(void *arg, const struct store_device_key *k)
{
	struct hub_keys_ctx	*c = arg;
	struct hub		*h = c->h;
	struct store_device	 sd;
	struct device		*d;
	char			 key[2 * STRIDE_ID_MAX + 2];
	int			 rc;

	hub_device_key(key, sizeof(key), k->runner, k->device);
	d = table_get(h->devices, key);
	if (k->state != STORE_KEY_ACTIVE) {
		if (d == NULL)
			return 0;
		if (d->keyed && k->state == STORE_KEY_REVOKED) {
			h->stats.revoked++;
			log_info("device %s/%s: key revoked: refused from now "
			    "on; its ack and plan topics are cleared",
			    k->runner, k->device);
		}
		/* Revoked while the hub was down: clear them too. */
		if (k->state == STORE_KEY_REVOKED && (d->keyed || c->first))
			d->clear_pending = 1;
		if (d->keyed)
			hub_unkey(d);
		return 0;
	}
	if (d == NULL) {
		if ((rc = hub_store_device(h, k->runner, k->device, &sd)) != 0)
			return rc == 1 ? 0 : -1;	/* 1: deleted since */
		if ((d = hub_device_insert(h, &sd)) == NULL)
			return -1;
	}
	d->key_gen = h->key_gen;
	if (!d->keyed || d->key_row != k->id || c->force)
		(void)hub_key_device(h, d, k);
	if (d->keyed)
		c->keyed++;
	return 0;
}

/* After a key load: a device keyed before that has no key row at all any
 * more (deleted) is refused too. */
static void
hub_keys_sweep(void *arg, void *value)
{
	struct hub	*h = arg;
	struct device	*d = value;

	if (d->keyed && d->key_gen != h->key_gen) {
		log_info("device %s/%s: no key any more: refused",
		    d->sd.runner, d->sd.device);
		hub_unkey(d);
	}
}

/*
 * Read every device's key from the store: derive the sessions of new and
 * replaced keys (all of them if the hub's X25519 key changed), refuse
 * revoked ones, forget the negative cache. Outside any transaction (or
 * the store's snapshot would hide the CLI's writes). 0, or -1 (the old
 * state stays; the next poll tries again).
 */
static int
hub_keys_load(struct hub *h)
{
	const struct crypto_hub_identity	*id;
	struct hub_keys_ctx			 c;
	struct table				*t;
	int64_t					 v;

	if (h->keys == NULL)
		return 0;
	if (store_data_version(h->st, &v) == -1)
		return -1;
	id = hubkey_identity(h->keys);
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.first = h->key_gen == 0;
	c.force = memcmp(h->kx_pk, id->kx_pk, sizeof(h->kx_pk)) != 0;
	h->key_gen++;
	if (store_device_keys_walk(h->st, NULL, hub_keys_one, &c) != 0)
		return -1;
	memcpy(h->kx_pk, id->kx_pk, sizeof(h->kx_pk));
	table_walk(h->devices, hub_keys_sweep, h);
	if ((t = table_new()) != NULL) {
		table_free(h->unknown);
		h->unknown = t;
	}
	h->data_version = v;
	log_debug("device keys loaded: %zu devices accepted", c.keyed);
	if (c.first)
		log_info("%zu devices with an active key", c.keyed);
	return 0;
}

/* The tick's look for the CLI's writes: one PRAGMA, at most once every
 * HUB_KEYS_POLL_MS. */
static void
hub_keys_poll(struct hub *h, int64_t now_ms)
{
	int64_t v;

	if (h->keys == NULL || (now_ms >= h->keys_polled_ms &&
	    now_ms - h->keys_polled_ms < HUB_KEYS_POLL_MS))
		return;
	h->keys_polled_ms = now_ms;
	if (store_data_version(h->st, &v) == -1 || v == h->data_version)
		return;
	if (hub_keys_load(h) == -1)
		log_warnx("could not read the device keys; trying again");
}

static void
hub_mark_device(struct hub *h, struct device *d)
{
	if (!d->dirty) {
		d->dirty = 1;
		d->next_dirty = h->dirty_devices;
		h->dirty_devices = d;
	}
}

static void
hub_mark_runner(struct hub *h, struct runner *r)
{
	if (!r->dirty) {
		r->dirty = 1;
		r->next_dirty = h->dirty_runners;
		h->dirty_runners = r;
	}
}

/* Sessions. */

/* The session device time t_ms belongs to, beginning one if needed. */
static struct sess *
hub_session_for(struct hub *h, struct runner *r, int64_t t_ms, int64_t now_ms)
{
	int64_t id, displaced;

	switch (session_route(&r->rs, t_ms, &h->sp)) {
	case SESSION_ROUTE_OPEN:
		return &r->rs.open;
	case SESSION_ROUTE_CLOSING:
		return &r->rs.closing;
	case SESSION_ROUTE_NEW:
		break;
	}
	/* Make room first: a due or displaced session is finalized now. */
	while (r->rs.closing.id != 0 && r->rs.open.id != 0) {
		if (hub_finalize(h, r, r->rs.closing.id) == -1)
			return NULL;
	}
	if (store_session_new(h->st, r->id, t_ms, &id) == -1)
		return NULL;
	while ((displaced = session_begin(&r->rs, id, t_ms, now_ms)) != 0) {
		if (hub_finalize(h, r, displaced) == -1)
			return NULL;
	}
	h->stats.sessions_opened++;
	hub_mark_runner(h, r);
	log_debug("runner %s: session %lld begins", r->name, (long long)id);
	/* Not always OPEN: an older run uploaded late goes to CLOSING. */
	return session_find(&r->rs, id);
}

struct hub_collect {
	struct fuse_input	 in[HUB_DEVICES_PER_SESSION];
	size_t			 n;
};

static int
hub_collect_cb(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct hub_collect	*c = arg;
	struct stride_sample	*copy;

	(void)device_id;
	if (c->n == HUB_DEVICES_PER_SESSION || n == 0)
		return 0;	/* the first devices are enough to fuse */
	if ((copy = malloc(n * sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, s, n * sizeof(*copy));
	c->in[c->n].role = role;
	c->in[c->n].s = copy;
	c->in[c->n].n = n;
	c->n++;
	return 0;
}

/* Fuse and summarise session id, store the summary, forget the session. */
static int
hub_finalize(struct hub *h, struct runner *r, int64_t id)
{
	struct hub_collect	 c;
	struct session_summary	 sum;
	struct sess		*s;
	size_t			 i;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	memset(&sum, 0, sizeof(sum));
	if ((s = session_find(&r->rs, id)) == NULL)
		return -1;
	if (store_session_samples(h->st, id, hub_collect_cb, &c) != 0)
		goto done;
	if (fuse_session(c.in, c.n, &h->fp, &sum) == -1) {
		/* A session of events only: keep its span, no figures. */
		memset(&sum, 0, sizeof(sum));
		sum.start_ms = s->start_ms;
		sum.end_ms = s->stop_ms != 0 ? s->stop_ms : s->last_t_ms;
	}
	if (store_session_close(h->st, id, &sum) == -1)
		goto done;
	session_forget(&r->rs, id);
	h->stats.sessions_closed++;
	if (r->live.sess_id == id)
		memset(&r->live, 0, sizeof(r->live));
	hubha_due(h, r, HUB_HA_IDLE | HUB_HA_SESSION | HUB_HA_WEEK |
	    HUB_HA_REPORT);
	(void)plan_mark(h->planner, r->id, r->name, NULL);
	log_info("runner %s: session %lld: %.0f m in %.0f s moving, "
	    "cadence %.0f spm, step %.2f m, %u samples from %u devices",
	    r->name, (long long)id, sum.distance_m, sum.moving_s,
	    sum.avg_cadence_spm, sum.avg_step_m, sum.samples, sum.devices);
	rc = 0;
done:
	for (i = 0; i < c.n; i++)
		free((void *)c.in[i].s);
	return rc;
}

static int
hub_save_sessions(struct hub *h)
{
	struct store_session	 ss;
	struct runner		*r, *next;
	struct sess		*slots[2];
	int			 i, rc = 0;

	for (r = h->dirty_runners; r != NULL; r = next) {
		next = r->next_dirty;
		r->dirty = 0;
		r->next_dirty = NULL;
		slots[0] = &r->rs.open;
		slots[1] = &r->rs.closing;
		for (i = 0; i < 2; i++) {
			if (slots[i]->id == 0)
				continue;
			memset(&ss, 0, sizeof(ss));
			ss.id = slots[i]->id;
			ss.runner_id = r->id;
			ss.open = 1;
			ss.start_ms = slots[i]->start_ms;
			ss.last_t_ms = slots[i]->last_t_ms;
			ss.stop_ms = slots[i]->stop_ms;
			if (store_session_save(h->st, &ss) == -1)
				rc = -1;
		}
	}
	h->dirty_runners = NULL;
	return rc;
}


/* Relays (top of file). */

/* Keep a symptom of d to relay once the batch commits (its JSON again,
 * as codec_encode writes it: the sender's extra keys are not passed on). */
static void
hub_relay_queue(struct hub *h, const struct device *d,
    const struct stride_msg *m)
{
	struct hub_relay	*rl;
	int			 len;

	if (h->nrelays == HUB_RELAYS_MAX) {
		log_rate_warnx(&h->rate_relay, "runner %s: too many reports "
		    "in one batch; not all relayed", d->sd.runner);
		return;
	}
	rl = &h->relays[h->nrelays];
	if ((len = codec_encode(m, rl->json, sizeof(rl->json))) <= 0)
		return;
	rl->len = (size_t)len;
	memcpy(rl->runner, d->sd.runner, sizeof(rl->runner));
	memcpy(rl->device, d->sd.device, sizeof(rl->device));
	rl->epoch = m->epoch;
	rl->seq = m->seq;
	h->nrelays++;
}

/* After the commit: each kept symptom, sealed to every other keyed device
 * of its runner, QoS 0, not retained. */
static void
hub_relay_flush(struct hub *h)
{
	const struct hub_relay	*rl;
	struct runner		*r;
	struct device		*d;
	uint8_t			 sealed[HUB_RELAY_JSON_MAX +
				    STRIDE_SEAL_OVERHEAD];
	char			 topic[STRIDE_TOPIC_MAX];
	size_t			 i, slen;

	for (i = 0; i < h->nrelays && h->publish != NULL; i++) {
		rl = &h->relays[i];
		if ((r = table_get(h->runners, rl->runner)) == NULL)
			continue;
		for (d = r->devs; d != NULL; d = d->next_in_runner) {
			if (!d->keyed || strcmp(d->sd.device, rl->device) == 0)
				continue;
			if (crypto_msg_seal(sealed, sizeof(sealed), &slen,
			    rl->json, rl->len, STRIDE_KIND_RELAY, rl->epoch,
			    rl->seq, d->sd.runner, d->sd.device,
			    d->sess.tx) == -1 ||
			    topic_build(topic, sizeof(topic), h->cfg->prefix,
			    d->sd.runner, d->sd.device, STRIDE_KIND_RELAY) < 0)
				continue;
			if (h->publish(h->publish_arg, topic, sealed, slen, 0,
			    0) == 0)
				h->stats.relays_published++;
		}
	}
	h->nrelays = 0;
}


/* Message handlers: the message is decoded and new; the batch is open. */

static int
hub_on_telemetry(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	const struct stride_sample	*s = m->u.tel.s;
	size_t				 n = m->u.tel.n;
	struct sess			*sess;

	if (m->u.tel.role != STRIDE_ROLE_UNKNOWN && d->sd.role != m->u.tel.role)
		d->sd.role = m->u.tel.role;
	if ((sess = hub_session_for(h, d->r, s[0].t_ms, now_ms)) == NULL)
		return -1;
	if (store_chunk_put(h->st, sess->id, d->sd.id, m->epoch, m->seq, s,
	    n) == -1)
		return -1;
	session_touch(sess, s[0].t_ms, s[n - 1].t_ms, now_ms);
	hub_mark_runner(h, d->r);
	h->stats.samples += n;
	if (h->ha.on && sess == &d->r->rs.open)
		hubha_live(h, d->r, sess, d->sd.role, s, n, now_ms);
	return 0;
}

static int
hub_on_event(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	struct runner	*r = d->r;
	struct sess	*sess;
	int64_t		 t = m->u.ev.t_ms, displaced;

	if (m->u.ev.type == STRIDE_EVENT_STOP &&
	    session_route(&r->rs, t, &h->sp) == SESSION_ROUTE_NEW) {
		/* A stop for a session we never saw: nothing to end. */
		log_debug("runner %s: stop with no session", r->name);
		return 0;
	}
	if ((sess = hub_session_for(h, r, t, now_ms)) == NULL)
		return -1;
	if (store_event_put(h->st, sess->id, d->sd.id, t, m->u.ev.type) == -1)
		return -1;
	if (m->u.ev.type == STRIDE_EVENT_STOP) {
		if (m->u.ev.has_cues && store_cues_put(h->st, sess->id,
		    d->sd.id, m->u.ev.cues) == -1)
			return -1;
		displaced = session_stop(&r->rs, sess, t, now_ms, &h->sp);
		if (displaced != 0 && hub_finalize(h, r, displaced) == -1)
			return -1;
	} else
		session_touch(sess, t, t, now_ms);
	hub_mark_runner(h, r);
	return 0;
}

static int
hub_on_symptom(struct hub *h, struct device *d, const struct stride_msg *m)
{
	int64_t session_id = d->r->rs.open.id;

	if (store_symptom_put(h->st, d->r->id, d->sd.id, session_id,
	    m->u.sym.t_ms, m->u.sym.when, m->u.sym.level, m->u.sym.score) == -1)
		return -1;
	(void)plan_mark(h->planner, d->r->id, d->r->name, NULL);
	hubha_due(h, d->r, HUB_HA_REPORT);
	if (m->u.sym.when == STRIDE_WHEN_DURING)
		hub_relay_queue(h, d, m);
	return 0;
}

static void
hub_on_status(struct hub *h, struct device *d, const struct stride_msg *m,
    int64_t now_ms)
{
	/* Coming online: re-send its plan, in case the broker lost it. */
	if (m->u.status.online && !d->sd.online)
		(void)plan_mark(h->planner, d->r->id, d->r->name, d->sd.device);
	d->sd.online = m->u.status.online;
	if (m->u.status.role != STRIDE_ROLE_UNKNOWN)
		d->sd.role = m->u.status.role;
	/* A battery level first known: HA gets the battery entity. */
	if (m->u.status.battery >= 0 && d->sd.battery < 0)
		hubha_due(h, d->r, HUB_HA_ANNOUNCE);
	if (m->u.status.battery >= 0)
		d->sd.battery = m->u.status.battery;
	if (m->u.status.fw[0] != '\0')
		snprintf(d->fw, sizeof(d->fw), "%s", m->u.status.fw);
	d->sd.last_seen_ms = now_ms;
	d->ha_state = 1;
	hubha_due(h, d->r, HUB_HA_DEVICES);
}


/*
 * A status has no seq, so dedupe cannot judge it: an authentic birth or
 * will recorded from the broker could be played back later to flip the
 * device online and offline (and re-send its plan each time). One from an
 * epoch older than the newest status or data seen is refused. Within the
 * current epoch a birth may follow the will (a reconnect after a dropped
 * connection), so replays there cannot be told from real ones: the device
 * moves on to a new epoch at its next start. Records what it accepts.
 */
static int
hub_status_replayed(struct device *d, const struct stride_msg *m)
{
	if (m->epoch < d->status_epoch || m->epoch < d->sd.dd.epoch)
		return 1;
	d->status_epoch = m->epoch;
	return 0;
}

/* One message: every check, then the handler. Returns -1 only when the
 * store failed (the batch must be rolled back). */
static int
hub_handle(struct hub *h, const struct inmsg *im, int64_t now_ms)
{
	struct stride_topic	 t;
	struct stride_msg	 m;
	struct device		*d;
	const char		*why;
	uint8_t			 plain[STRIDE_PAYLOAD_MAX];
	size_t			 plain_len;
	uint32_t		 lost, epoch, seq;
	int			 rc = 0;

	if (im->topic_len == 0) {
		/* The edge (re)connected (mqtt.h): HA may have missed
		 * anything while we were away, and devices wait for a fresh
		 * heartbeat (and the rotation chain). */
		h->ha.announce = h->ha.on;
		if (h->keys != NULL && h->publish != NULL)
			hubkey_announce(h->keys, now_ms, h->publish,
			    h->publish_arg);
		return 0;
	}
	h->stats.messages++;
	if (h->ha.on && (im->topic_len <= h->ha.v1_len ||
	    memcmp(im->data, h->ha.v1, h->ha.v1_len) != 0) &&
	    hubha_input(h, im, now_ms, &rc))
		return rc;
	if (topic_parse(h->cfg->prefix, im->data, im->topic_len, &t,
	    &why) == -1) {
		h->stats.bad_topic++;
		log_rate_warnx(hub_rate(h, why), "dropped message on %.*s: %s",
		    (int)(im->topic_len > 120 ? 120 : im->topic_len), im->data,
		    why);
		return 0;
	}
	if (t.kind == STRIDE_KIND_STATUS && im->payload_len == 0) {
		/* A retained status being cleared (as a deleted runner's
		 * are): no device speaks. */
		log_debug("cleared status of %s/%s", t.runner, t.device);
		return 0;
	}
	/* docs/protocol.md section 18, the hub's checks: nothing looks at a
	 * byte of the payload before the AEAD has opened it. */
	if ((d = hub_admit(h, &t)) == NULL) {
		h->stats.unauth_device++;
		log_rate_warnx(hub_rate(h, hub_why_unknown),
		    "dropped %s from %s/%s: %s", stride_kind_name(t.kind),
		    t.runner, t.device, hub_why_unknown);
		return 0;
	}
	if (crypto_msg_open(plain, sizeof(plain), &plain_len, &epoch, &seq,
	    im->payload, im->payload_len, t.kind, t.runner, t.device,
	    d->sess.rx, &why) == -1) {
		h->stats.bad_envelope++;
		log_rate_warnx(hub_rate(h, why),
		    "dropped %s from %s/%s: %s (%zu bytes)",
		    stride_kind_name(t.kind), t.runner, t.device, why,
		    im->payload_len);
		return 0;
	}
	if (codec_decode(t.kind, plain, plain_len, &m, &why) == -1) {
		h->stats.bad_payload++;
		log_rate_warnx(hub_rate(h, why),
		    "dropped %s from %s/%s: %s (%zu bytes)",
		    stride_kind_name(t.kind), t.runner, t.device, why,
		    plain_len);
		return 0;
	}
	/* A status has no seq: the sealed one is 0 (crypto_msg_open). */
	if (m.epoch != epoch || (t.kind != STRIDE_KIND_STATUS &&
	    m.seq != seq)) {
		h->stats.mismatch++;
		log_rate_warnx(hub_rate(h, hub_why_mismatch),
		    "dropped %s from %s/%s: %s (sealed %u.%u, says %u.%u)",
		    stride_kind_name(t.kind), t.runner, t.device,
		    hub_why_mismatch, epoch, seq, m.epoch, m.seq);
		return 0;
	}
	if (t.kind == STRIDE_KIND_STATUS && hub_status_replayed(d, &m)) {
		h->stats.stale++;
		log_rate_warnx(&h->rate_stale, "dropped status from %s/%s: "
		    "an old one again (epoch %u)", t.runner, t.device,
		    m.epoch);
		return 0;
	}
	d->sd.last_seen_ms = now_ms;
	if (t.kind == STRIDE_KIND_STATUS) {
		hub_on_status(h, d, &m, now_ms);
		hub_mark_device(h, d);
		h->stats.stored++;
		return 0;
	}
	switch (dedupe_check(&d->sd.dd, m.epoch, m.seq, &lost)) {
	case DEDUPE_NEW:
		break;
	case DEDUPE_DUPLICATE:
		/* The device re-sends what it thinks unacked: ack it again. */
		d->ack_seq = 0;
		d->ack_pending = 1;
		h->stats.duplicates++;
		log_debug("duplicate %s/%s %u.%u", t.runner, t.device,
		    m.epoch, m.seq);
		return 0;
	case DEDUPE_STALE:
		h->stats.stale++;
		log_rate_warnx(&h->rate_stale,
		    "dropped %s from %s/%s: epoch %u is older than %u",
		    stride_kind_name(t.kind), t.runner, t.device, m.epoch,
		    d->sd.dd.epoch);
		return 0;
	}
	if (lost > 0) {
		h->stats.lost += lost;
		log_info("%s/%s: %u messages never arrived before %u.%u",
		    t.runner, t.device, lost, m.epoch, m.seq);
	}
	hub_mark_device(h, d);
	switch (t.kind) {
	case STRIDE_KIND_TELEMETRY:
		rc = hub_on_telemetry(h, d, &m, now_ms);
		break;
	case STRIDE_KIND_EVENT:
		rc = hub_on_event(h, d, &m, now_ms);
		break;
	case STRIDE_KIND_SYMPTOM:
		rc = hub_on_symptom(h, d, &m);
		break;
	default:
		break;
	}
	if (rc == 0)
		h->stats.stored++;
	return rc;
}

/* Acks. */

static void
hub_publish_ack(struct hub *h, struct device *d, int64_t now_ms)
{
	struct stride_msg	m;
	char			topic[STRIDE_TOPIC_MAX], buf[128];
	uint8_t			sealed[sizeof(buf) + STRIDE_SEAL_OVERHEAD];
	size_t			slen;
	int			len;

	d->ack_pending = 0;
	if (!d->keyed || d->sd.dd.acked == 0 ||
	    (d->ack_epoch == d->sd.dd.epoch && d->ack_seq == d->sd.dd.acked))
		return;
	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_ACK;
	m.u.ack.epoch = d->sd.dd.epoch;
	m.u.ack.seq = d->sd.dd.acked;
	/* Sealed for the device alone, the acked pair in the header too
	 * (docs/protocol.md sections 17-18). */
	if ((len = codec_encode(&m, buf, sizeof(buf))) <= 0 ||
	    crypto_msg_seal(sealed, sizeof(sealed), &slen, buf, (size_t)len,
	    STRIDE_KIND_ACK, m.u.ack.epoch, m.u.ack.seq, d->sd.runner,
	    d->sd.device, d->sess.tx) == -1 ||
	    topic_build(topic, sizeof(topic), h->cfg->prefix, d->sd.runner,
	    d->sd.device, STRIDE_KIND_ACK) < 0)
		return;
	if (h->publish == NULL ||
	    h->publish(h->publish_arg, topic, sealed, slen, 1, 1) == -1) {
		d->ack_pending = 1;	/* the next tick retries */
		return;
	}
	d->ack_epoch = m.u.ack.epoch;
	d->ack_seq = m.u.ack.seq;
	d->ack_at_ms = now_ms;
	h->stats.acks_published++;
}

/* A revoked device's retained ack and plan, emptied: what it was told
 * under its old key is not left for whoever holds that key. Retried by
 * the tick until published. */
static void
hub_clear_revoked(struct hub *h, struct device *d)
{
	static const enum stride_kind kinds[] = { STRIDE_KIND_ACK,
	    STRIDE_KIND_PLAN };
	char	topic[STRIDE_TOPIC_MAX];
	size_t	k;

	if (h->publish == NULL)
		return;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (topic_build(topic, sizeof(topic), h->cfg->prefix,
		    d->sd.runner, d->sd.device, kinds[k]) < 0)
			continue;	/* ids from the store: cannot be */
		if (h->publish(h->publish_arg, topic, "", 0, 1, 1) == -1)
			return;
	}
	d->clear_pending = 0;
}

struct hub_tick_ctx {
	struct hub	*h;
	int64_t		 now_ms;
	int		 rc;
};

static void
hub_tick_ack(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct device		*d = value;

	if (d->ack_pending &&
	    c->now_ms - d->ack_at_ms >= c->h->cfg->ack_interval_ms)
		hub_publish_ack(c->h, d, c->now_ms);
	if (d->clear_pending)
		hub_clear_revoked(c->h, d);
}

static void
hub_tick_sessions(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct runner		*r = value;
	int64_t			 id;

	if (r->rs.open.id == 0 && r->rs.closing.id == 0)
		return;
	while (c->rc == 0 && (id = session_due(&r->rs, c->now_ms,
	    &c->h->sp)) != 0) {
		if (hub_finalize(c->h, r, id) == -1)
			c->rc = -1;
	}
}


/* Deleting runners (top of file). */

/* Runner r's entries leave the tables. The table has no delete: both are
 * rebuilt without them (deletions are rare; one pass over the index). */
struct hub_rebuild {
	struct table	*t;
	struct runner	*gone;
	int		 devices;	/* values are struct device */
	int		 rc;
};

static void
hub_rebuild_one(void *arg, void *value)
{
	struct hub_rebuild	*b = arg;
	struct runner		*r;
	struct device		*d;
	char			 key[2 * STRIDE_ID_MAX + 2];

	if (b->devices) {
		d = value;
		if (d->r == b->gone)
			return;
		hub_device_key(key, sizeof(key), d->sd.runner, d->sd.device);
	} else {
		r = value;
		if (r == b->gone)
			return;
		snprintf(key, sizeof(key), "%s", r->name);
	}
	if (table_put(b->t, key, value) == -1)
		b->rc = -1;
}

static int
hub_forget_runner(struct hub *h, struct runner *r)
{
	struct hub_rebuild	 br = { NULL, r, 0, 0 }, bd = { NULL, r, 1, 0 };
	struct runner		**rp;
	struct device		**dp, *d, *next;

	if (r == NULL)
		return 0;
	if ((br.t = table_new()) == NULL || (bd.t = table_new()) == NULL) {
		table_free(br.t);
		return -1;
	}
	table_walk(h->runners, hub_rebuild_one, &br);
	table_walk(h->devices, hub_rebuild_one, &bd);
	if (br.rc == -1 || bd.rc == -1) {
		table_free(br.t);
		table_free(bd.t);
		return -1;
	}
	table_free(h->runners);
	table_free(h->devices);
	h->runners = br.t;
	h->devices = bd.t;
	hubha_forget(h, r);
	/* Nothing is dirty between batches; unlink all the same. */
	for (rp = &h->dirty_runners; *rp != NULL; rp = &(*rp)->next_dirty) {
		if (*rp == r) {
			*rp = r->next_dirty;
			break;
		}
	}
	for (dp = &h->dirty_devices; *dp != NULL; ) {
		if ((*dp)->r == r)
			*dp = (*dp)->next_dirty;
		else
			dp = &(*dp)->next_dirty;
	}
	for (d = r->devs; d != NULL; d = next) {
		next = d->next_in_runner;
		crypto_wipe(d, sizeof(*d));
		free(d);
	}
	free(r);
	return 0;
}

struct hub_devs {
	struct store_device	*v;
	size_t			 n, cap;
};

static int
hub_devs_add(void *arg, const struct store_device *sd)
{
	struct hub_devs		*v = arg;
	struct store_device	*nv;
	size_t			 cap;

	if (v->n == v->cap) {
		if (v->cap >= HUB_DEVICES_MAX)
			return 0;	/* hostile; the rows go all the same */
		cap = v->cap == 0 ? 8 : v->cap * 2;
		if ((nv = realloc(v->v, cap * sizeof(*nv))) == NULL)
			return -1;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *sd;
	return 0;
}

/* Empty the retained topics the broker keeps for each device: its plan,
 * ack and status (the hub ignores an empty status). 0, or -1. */
static int
hub_clear_topics(struct hub *h, const struct hub_devs *v)
{
	static const enum stride_kind kinds[] = { STRIDE_KIND_PLAN,
	    STRIDE_KIND_ACK, STRIDE_KIND_STATUS };
	char	topic[STRIDE_TOPIC_MAX];
	size_t	i, k;

	for (i = 0; i < v->n; i++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (topic_build(topic, sizeof(topic), h->cfg->prefix,
			    v->v[i].runner, v->v[i].device, kinds[k]) < 0)
				continue;	/* ids from the store: cannot be */
			if (h->publish(h->publish_arg, topic, "", 0, 1, 1) ==
			    -1)
				return -1;
		}
	}
	return 0;
}

/* One request: 0 done (or nothing to do), -1 to try again later. */
static int
hub_delete_one(struct hub *h, const struct store_deletion *q, int64_t now_ms)
{
	struct hub_devs	 v = { NULL, 0, 0 };
	int64_t		 rid = 0;
	int		 rc = -1, found = 0;

	if (q->runner[0] != '\0') {
		switch (store_runner_get(h->st, q->runner, 0, &rid)) {
		case 0:
			/* Another id: the runner asked for is gone and a
			 * new one took the name; it stays. */
			found = rid == q->runner_id;
			break;
		case 1:
			break;
		default:
			return -1;
		}
	}
	if (found) {
		if (store_devices_walk(h->st, q->runner, hub_devs_add, &v) != 0)
			goto done;
		if (hub_clear_topics(h, &v) == -1 ||
		    hubha_remove(h, q->runner, v.v, v.n) == -1) {
			log_rate_warnx(&h->rate_delete, "runner %s: could not "
			    "clear their topics; deleting later", q->runner);
			goto done;
		}
	}
	if (store_begin(h->st) == -1)
		goto done;
	if ((found && store_runner_delete(h->st, rid) == -1) ||
	    store_deletion_done(h->st, q->id, now_ms) == -1 ||
	    store_commit(h->st) == -1) {
		store_rollback(h->st);
		log_rate_warnx(&h->rate_delete, "runner %s: store failed; "
		    "deleting later", q->runner);
		goto done;
	}
	if (found) {
		if (hub_forget_runner(h, table_get(h->runners, q->runner)) ==
		    -1) {
			/* Out of memory: build the index again from the
			 * store, which no longer has the runner. */
			if (hub_reload(h) == -1)
				log_warnx("could not reload state after "
				    "deleting runner %s", q->runner);
		}
		log_info("runner %s deleted (request %lld): %zu devices, "
		    "their data and retained topics%s", q->runner,
		    (long long)q->id, v.n, h->ha.on ? ", Home Assistant "
		    "entities" : "");
	} else
		log_info("deletion request %lld: no runner %s (id %lld) "
		    "left to delete", (long long)q->id, q->runner,
		    (long long)q->runner_id);
	rc = 0;
done:
	free(v.v);
	return rc;
}

/* The tick's deletion poll: one index seek when nothing is new. */
static void
hub_deletions(struct hub *h, int64_t now_ms)
{
	struct store_deletion	q[HUB_DELETIONS_MAX];
	int64_t			last;
	size_t			n, i;

	if (h->publish == NULL)
		return;		/* the broker side waits for the next start */
	if (store_deletion_last_id(h->st, &last) == -1 || last <= h->del_seen)
		return;
	if (store_deletions_pending(h->st, q, HUB_DELETIONS_MAX, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (hub_delete_one(h, &q[i], now_ms) == -1)
			return;		/* the rest wait, in order */
	}
	/* All pending done (a full page may hide more: look again). */
	if (n < HUB_DELETIONS_MAX)
		h->del_seen = last;
}

/*
 * Plans after every commit; in the tick (poll) also reports typed at the
 * CLI, the hourly refresh and the HA work, within its budget.
 */
static void
hub_after_commit(struct hub *h, int64_t now_ms, int poll)
{
	(void)plan_run(h->planner, h->st, now_ms, poll,
	    h->publish != NULL ? hubha_plan_publish : NULL, h);
	if (poll) {
		hub_deletions(h, now_ms);
		hubha_poll(h, now_ms);
	}
}

/* Public. */

static int
hub_load_device(void *arg, const struct store_device *sd)
{
	struct hub	*h = arg;
	struct runner	*r;

	if ((r = hub_runner(h, sd->runner, sd->runner_id)) == NULL ||
	    hub_device_add(h, sd, r) == NULL)
		return -1;
	return 0;
}

struct hub_load_ctx {
	struct hub	*h;
	int64_t		 now_ms;
};

static int
hub_load_session(void *arg, const struct store_session *ss)
{
	struct hub_load_ctx	*c = arg;
	struct runner		*r;
	struct sess		*slot;

	if ((r = hub_runner(c->h, ss->runner, ss->runner_id)) == NULL)
		return -1;
	/* A stopped session, or a second open one, waits in CLOSING. */
	slot = ss->stop_ms == 0 && r->rs.open.id == 0 ? &r->rs.open :
	    &r->rs.closing;
	if (slot->id != 0) {
		log_warnx("runner %s: session %lld left open; ignored",
		    r->name, (long long)ss->id);
		return 0;
	}
	slot->id = ss->id;
	slot->start_ms = ss->start_ms;
	slot->last_t_ms = ss->last_t_ms;
	slot->stop_ms = ss->stop_ms;
	slot->last_rx_ms = c->now_ms;
	if (slot == &r->rs.closing)
		slot->close_at_ms = c->now_ms + c->h->sp.grace_ms;
	return 0;
}

static void
hub_free_value(void *arg, void *value)
{
	(void)arg;
	free(value);
}

static void
hub_free_device(void *arg, void *value)
{
	(void)arg;
	crypto_wipe(value, sizeof(struct device));	/* session keys */
	free(value);
}

static void
hub_forget_all(struct hub *h)
{
	h->ha.queue = h->ha.tail = NULL;	/* its runners are freed below */
	if (h->devices != NULL) {
		table_walk(h->devices, hub_free_device, NULL);
		table_free(h->devices);
		h->devices = NULL;
	}
	if (h->runners != NULL) {
		table_walk(h->runners, hub_free_value, NULL);
		table_free(h->runners);
		h->runners = NULL;
	}
}

/* (Re)build the in-memory index from the store: at start, and after a
 * failed batch left memory ahead of the store. */
static int
hub_reload(struct hub *h)
{
	struct hub_load_ctx lc;

	hub_forget_all(h);
	if ((h->runners = table_new()) == NULL ||
	    (h->devices = table_new()) == NULL)
		return -1;
	if (store_devices_walk(h->st, NULL, hub_load_device, h) != 0)
		return -1;
	lc.h = h;
	lc.now_ms = clock_now_ms();
	if (store_sessions_walk(h->st, NULL, 1, hub_load_session, &lc) != 0)
		return -1;
	log_info("loaded %zu runners, %zu devices", table_count(h->runners),
	    table_count(h->devices));
	/* After a failed batch: the new devices need their keys again. */
	return hub_keys_load(h);
}


struct hub *
hub_new(const struct hub_config *cfg, struct store *st, hub_publish_fn publish,
    void *publish_arg)
{
	struct hub		*h;
	struct fuse_params	 fp = FUSE_PARAMS_DEFAULT;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	h->st = st;
	h->publish = publish;
	h->publish_arg = publish_arg;
	h->sp.idle_ms = cfg->idle_ms;
	h->sp.grace_ms = cfg->grace_ms;
	h->fp = fp;
	if ((h->unknown = table_new()) == NULL) {
		hub_free(h);
		return NULL;
	}
	if ((h->planner = planner_new(cfg->prefix, NULL)) == NULL) {
		hub_free(h);
		return NULL;
	}
	if (hubha_init(h) == -1) {
		hub_free(h);
		return NULL;
	}
	if (hub_reload(h) == -1) {
		hub_free(h);
		return NULL;
	}
	return h;
}

int
hub_set_keys(struct hub *h, struct hubkey *hk)
{
	h->keys = hk;
	planner_set_identity(h->planner, hubkey_identity(hk),
	    (int64_t)h->cfg->plan_ttl_h * 3600000);
	return hub_keys_load(h);
}

void
hub_set_publish(struct hub *h, hub_publish_fn publish, void *publish_arg)
{
	h->publish = publish;
	h->publish_arg = publish_arg;
}

void
hub_free(struct hub *h)
{
	if (h == NULL)
		return;
	if (h->batch.open)
		(void)hub_batch_end(h, clock_now_ms());
	hub_forget_all(h);
	table_free(h->unknown);	/* its values are marks, not owned */
	planner_free(h->planner);
	hubha_fini(h);
	free(h);
}

/*
 * A batch is one store transaction. hub_run keeps it open across several
 * takes from the queue, up to HUB_COMMIT_MS or HUB_BATCH_MAX messages:
 * fewer, larger commits write each B-tree page once instead of many times.
 */
static int
hub_batch_begin(struct hub *h)
{
	if (store_begin(h->st) == -1)
		return -1;
	h->batch.open = 1;
	h->batch.rc = 0;
	h->batch.count = 0;
	h->batch.start_ms = clock_mono_ms();
	return 0;
}

static void
hub_batch_take(struct hub *h, const struct inmsg *list, int64_t now_ms)
{
	const struct inmsg *im;

	for (im = list; im != NULL && h->batch.rc == 0; im = im->next) {
		h->batch.rc = hub_handle(h, im, now_ms);
		h->batch.count++;
	}
}

static int
hub_batch_end(struct hub *h, int64_t now_ms)
{
	struct device	*d, *next;
	int		 rc = h->batch.rc;

	if (rc == 0)
		rc = hub_save_sessions(h);
	for (d = h->dirty_devices; d != NULL && rc == 0; d = d->next_dirty)
		rc = store_device_save(h->st, &d->sd);
	if (rc == 0)
		rc = store_commit(h->st);
	h->batch.open = 0;
	if (rc == -1) {
		/*
		 * The broker already has our PUBACKs for this batch: say so
		 * loudly. Devices still hold every unacked message and will
		 * re-send it, which is why acks wait for the commit; the
		 * memory state is put back to what the store holds, so those
		 * re-sends are not taken for duplicates.
		 */
		h->stats.store_errors++;
		log_rate_warnx(&h->rate_store,
		    "store failed; batch rolled back, devices will re-send");
		store_rollback(h->st);
		h->dirty_devices = NULL;
		h->dirty_runners = NULL;
		h->nrelays = 0;		/* not accepted: nothing to relay */
		if (hub_reload(h) == -1)
			log_warnx("could not reload state after a store failure");
		return -1;
	}
	for (d = h->dirty_devices; d != NULL; d = next) {
		next = d->next_dirty;
		d->dirty = 0;
		d->next_dirty = NULL;
		if (now_ms - d->ack_at_ms >= h->cfg->ack_interval_ms)
			hub_publish_ack(h, d, now_ms);
		else
			d->ack_pending = 1;
	}
	h->dirty_devices = NULL;
	hub_relay_flush(h);
	/* Sessions closed or reports stored: their plans, once committed. */
	hub_after_commit(h, now_ms, 0);
	return 0;
}

int
hub_process(struct hub *h, const struct inmsg *list, int64_t now_ms)
{
	if (hub_batch_begin(h) == -1)
		return -1;
	hub_batch_take(h, list, now_ms);
	return hub_batch_end(h, now_ms);
}

int
hub_tick(struct hub *h, int64_t now_ms)
{
	struct hub_tick_ctx c = { h, now_ms, 0 };

	/* Outside any transaction: the CLI's enrolments, revocations and
	 * rotations are seen only between them. */
	hub_keys_poll(h, now_ms);
	if (h->keys != NULL && h->publish != NULL &&
	    hubkey_tick(h->keys, h->st, now_ms, h->publish,
	    h->publish_arg) == 1) {
		/* A new signing key: plans again under it; a new X25519 key
		 * (not what `key rotate` makes) would change every session. */
		plan_reseal_all(h->planner);
		if (memcmp(h->kx_pk, hubkey_identity(h->keys)->kx_pk,
		    sizeof(h->kx_pk)) != 0 && hub_keys_load(h) == -1)
			log_warnx("could not read the device keys; trying "
			    "again");
	}
	if (store_begin(h->st) == -1)
		return -1;
	table_walk(h->runners, hub_tick_sessions, &c);
	if (c.rc == 0)
		c.rc = hub_save_sessions(h);
	if (c.rc == 0)
		c.rc = store_commit(h->st);
	if (c.rc == -1)
		store_rollback(h->st);
	table_walk(h->devices, hub_tick_ack, &c);
	/* Plans of sessions closed here, and reports typed at the CLI. */
	hub_after_commit(h, now_ms, 1);
	return c.rc;
}

static void
hub_finalize_one(void *arg, void *value)
{
	struct hub_tick_ctx	*c = arg;
	struct runner		*r = value;

	while (c->rc == 0 && r->rs.closing.id != 0)
		c->rc = hub_finalize(c->h, r, r->rs.closing.id);
	while (c->rc == 0 && r->rs.open.id != 0)
		c->rc = hub_finalize(c->h, r, r->rs.open.id);
}

int
hub_finalize_all(struct hub *h, int64_t now_ms)
{
	struct hub_tick_ctx c = { h, now_ms, 0 };

	if (store_begin(h->st) == -1)
		return -1;
	table_walk(h->runners, hub_finalize_one, &c);
	if (c.rc == 0)
		c.rc = store_commit(h->st);
	if (c.rc == -1)
		store_rollback(h->st);
	hub_after_commit(h, now_ms, 0);
	hubha_flush(h, now_ms, -1);
	return c.rc;
}

void
hub_get_stats(const struct hub *h, struct hub_stats *out)
{
	*out = h->stats;
}

static void
hub_log_stats(const struct hub *h)
{
	const struct hub_stats *s = &h->stats;

	log_info("stats: %llu messages, %llu stored, %llu samples, "
	    "%llu duplicates, %llu stale, %llu lost, %llu bad topic, "
	    "%llu unknown device, %llu bad envelope, %llu bad payload, "
	    "%llu mismatch, %llu store errors, sessions %llu opened "
	    "%llu closed, %llu acks, %llu relays",
	    (unsigned long long)s->messages, (unsigned long long)s->stored,
	    (unsigned long long)s->samples, (unsigned long long)s->duplicates,
	    (unsigned long long)s->stale, (unsigned long long)s->lost,
	    (unsigned long long)s->bad_topic,
	    (unsigned long long)s->unauth_device,
	    (unsigned long long)s->bad_envelope,
	    (unsigned long long)s->bad_payload,
	    (unsigned long long)s->mismatch,
	    (unsigned long long)s->store_errors,
	    (unsigned long long)s->sessions_opened,
	    (unsigned long long)s->sessions_closed,
	    (unsigned long long)s->acks_published,
	    (unsigned long long)s->relays_published);
}

static int
hub_step(struct hub *h, struct queue *q, int64_t wait_ms, int64_t *last_tick,
    struct hub_drain_clock *dc)
{
	struct inmsg	*list;
	size_t		 count;
	int64_t		 now, age;

	if (h->batch.open) {
		/*
		 * Under load the next take is already waiting; when it is
		 * not, commit soon rather than hold a lone message (and the
		 * plan it may cause) for the whole batch window.
		 */
		age = clock_mono_ms() - h->batch.start_ms;
		wait_ms = age >= HUB_COMMIT_MS ? 0 : HUB_COMMIT_MS - age;
		if (wait_ms > HUB_LINGER_MS)
			wait_ms = HUB_LINGER_MS;
	}
	list = queue_pop_all(q, wait_ms, &count);
	now = clock_now_ms();
	if (list != NULL) {
		/* Count device messages only, not the edge's notes. */
		uint64_t	before = h->stats.messages;
		int64_t		taken_ms = clock_mono_ms();

		if (h->batch.open || hub_batch_begin(h) == 0)
			hub_batch_take(h, list, now);
		inmsg_free_list(list);
		if (h->stats.messages > before && dc->first_ms == 0)
			dc->first_ms = taken_ms;
		dc->count += h->stats.messages - before;
	}
	if (h->batch.open && (list == NULL || h->batch.count >= HUB_BATCH_MAX ||
	    clock_mono_ms() - h->batch.start_ms >= HUB_COMMIT_MS)) {
		(void)hub_batch_end(h, now);
		dc->done_ms = clock_mono_ms();
	}
	if (!h->batch.open && now - *last_tick >= HUB_TICK_MS) {
		(void)hub_tick(h, now);
		*last_tick = now;
	}
	return list != NULL || h->batch.open;
}

int
hub_run(struct hub *h, struct queue *q, volatile sig_atomic_t *stop)
{
	struct hub_drain_clock	*dc = &h->drain;
	int64_t			 last_tick = 0, last_stats = clock_mono_ms();

	while (!*stop) {
		(void)hub_step(h, q, HUB_WAIT_MS, &last_tick, dc);
		if (clock_mono_ms() - last_stats >= HUB_STATS_MS &&
		    h->stats.messages > 0) {
			hub_log_stats(h);
			last_stats = clock_mono_ms();
		}
		if (h->cfg->exit_idle_ms > 0 && dc->first_ms != 0 &&
		    !h->batch.open &&
		    clock_mono_ms() - dc->done_ms >= h->cfg->exit_idle_ms)
			break;
	}
	return 0;
}

void
hub_drain(struct hub *h, struct queue *q)
{
	struct hub_drain_clock	*dc = &h->drain;
	int64_t			 last_tick = 0;

	while (hub_step(h, q, 0, &last_tick, dc))
		;
	hub_log_stats(h);
	if (dc->first_ms != 0 && dc->done_ms > dc->first_ms)
		log_info("drained %llu messages in %lld ms (%.0f msg/s)",
		    (unsigned long long)dc->count,
		    (long long)(dc->done_ms - dc->first_ms),
		    (double)dc->count * 1000.0 /
		    (double)(dc->done_ms - dc->first_ms));
}
