/*
 * link.h - the agent's MQTT link to the hub: the only agent file that
 * includes Paho.
 *
 * It numbers the device's messages (epoch, seq), seals each one once
 * (crypto_msg_seal with the device's session tx key, docs/protocol.md
 * section 4) and keeps the sealed bytes in the outbox until the hub's ack
 * covers it, and re-publishes what is left, oldest first and byte for
 * byte, after every (re)connect. With a window, it publishes at most
 * `window` messages past the hub's ack (docs/protocol.md, section 7); the
 * rest wait in the outbox.
 * Connects with a persistent session (clean session off, client id
 * "<runner>-<device>", keepalive 30 s), reconnects by itself, keeps
 * retrying a first connect that failed, and (in run mode) publishes a
 * sealed retained birth status on every connect, with a sealed retained
 * "offline" will (both sealed at link_open, status seq 0).
 * It subscribes to the device's ack and plan topics, to the hub's
 * heartbeat and keys topics and, when asked (on_symptom), at QoS 0 to its
 * own relay topic, where the hub forwards the during-run reports of the
 * runner's other devices (QoS 0: the broker keeps none for us while we
 * are away, so we hear reports made while we are connected, not old ones).
 *
 * Every payload is hostile and bounded by its topic's size before it is
 * copied. Acks and relays are opened here (rx key, own ids, kind ACK or
 * RELAY, then the JSON's epoch/seq must equal the envelope's); anything
 * else is dropped with a rate-limited log line. Plans, heartbeats and key
 * chains are handed over raw: the agent checks them (ident.c).
 *
 * Threads: every link_* function is for the one thread that owns the link
 * (the agent's main loop). Paho's callbacks run on Paho's threads and only
 * record facts under a mutex: connected or not, a connect count, the
 * latest ack of our epoch, the latest plan, heartbeat and key chain, the
 * runner's reports heard. link_poll() acts on them on the owner's thread,
 * so the outbox is never shared.
 */
#ifndef AGENT_LINK_H
#define AGENT_LINK_H

#include <stddef.h>
#include <stdint.h>
#include "stride/crypto.h"
#include "stride/protocol.h"

#define LINK_HOST_MAX	253
#define LINK_WINDOW	64	/* the hub's dedupe window: protocol.md 7 */

struct link;

/* Called on the owner's thread (from link_poll) with the raw, unchecked
 * bytes of a message on one of our topics, valid only during the call:
 * a sealed plan (CRYPTO_PLAN_SEALED_MIN..CRYPTO_PLAN_SEALED_MAX bytes), a
 * heartbeat (CRYPTO_BEAT_BYTES) or a key chain (a whole number of
 * CRYPTO_ROT_BYTES, at most CRYPTO_ROT_CHAIN_MAX). Other sizes never
 * reach it. */
typedef void (*link_blob_cb)(void *arg, const void *payload, size_t len);
typedef link_blob_cb link_plan_cb;

/* Called on the owner's thread (from link_poll) with a symptom report the
 * hub relayed from another device of our runner, opened and checked (kind
 * STRIDE_KIND_SYMPTOM, u.sym filled); valid only during the call. The
 * relay does not say which device: `device` is "another device". */
typedef void (*link_symptom_cb)(void *arg, const char *device,
	    const struct stride_msg *m);
#define LINK_SYMPTOMS_MAX	8	/* heard between two polls; more dropped */

struct link_config {
	const char	*host;		/* broker host name or address */
	int		 port;
	const char	*prefix;	/* topic prefix, valid */
	const char	*runner;	/* valid ids */
	const char	*device;
	enum stride_role role;
	uint32_t	 epoch;		/* this boot's epoch, >= 1 */
	size_t		 outbox_cap;	/* messages kept for re-sending */
	size_t		 window;	/* LINK_WINDOW, or 0: no hub to pace by */
	int		 status;	/* 1: birth status and will (run) */
	int		 quiet;		/* 1: no info lines */
	const struct crypto_session *session;	/* ours with the hub; copied */
	link_plan_cb	 on_plan;	/* may be NULL */
	void		*plan_arg;
	link_blob_cb	 on_beat;	/* _hub/heartbeat; may be NULL */
	link_blob_cb	 on_keys;	/* _hub/keys; may be NULL */
	void		*hub_arg;	/* for both */
	link_symptom_cb	 on_symptom;	/* NULL: not subscribed */
	void		*symptom_arg;
};

/* Create the client and start connecting; does not wait for the broker.
 * NULL on failure, the reason in err. Strings in c are copied. The caller
 * owns the result: link_close() it. */
struct link	*link_open(const struct link_config *c, char *err,
		    size_t errlen);

/*
 * Disconnect and free. In run mode an "offline" status is published first.
 * Waits up to timeout_ms for Paho to finish what is in flight. NULL is a
 * no-op.
 */
void		 link_close(struct link *, int timeout_ms);

/*
 * New session keys (the hub's X25519 key changed in a rotation): from now
 * on messages are sealed and acks opened with these, and the birth and
 * offline status are sealed again. Messages already in the outbox keep
 * their old sealing, and so does the will registered with the broker
 * (until the next start): the hub refuses those, as it must.
 */
void		 link_set_session(struct link *, const struct crypto_session *);

/*
 * Number m with this boot's epoch and the next seq (m->epoch, m->seq are
 * set), encode and seal it, keep the sealed bytes in the outbox and
 * publish them (QoS 1) when
 * connected; while disconnected it waits in the outbox for the next
 * connect. m->kind is telemetry, event or symptom. Returns 0, or -1 if m
 * does not encode or memory ran out (the seq is not used then).
 */
int		 link_send(struct link *, struct stride_msg *m);

/* Act on what Paho's threads recorded: free what the hub acknowledged,
 * re-publish after a reconnect, retry a failed first connect, hand a new
 * plan, heartbeat or key chain to its callback and the reports heard to
 * on_symptom. Cheap; call it
 * whenever the loop wakes. */
void		 link_poll(struct link *);

/* Sleep until a Paho callback records something or CLOCK_MONOTONIC
 * reaches deadline_ms. Returns 1 if woken by a callback, 0 at the
 * deadline. Call link_poll() after. */
int		 link_wait(struct link *, int64_t deadline_ms);

int		 link_connected(struct link *);

/* Messages sent and not yet acknowledged by the hub. */
size_t		 link_unacked(const struct link *);

/* 1 if connected, everything in the outbox was published on this
 * connection and the broker has acknowledged all of it (QoS 1 PUBACK):
 * the hub may not have it yet, but the broker does. */
int		 link_delivered(struct link *);

/* 1 if messages wait in the outbox for the window to open. */
int		 link_held_back(const struct link *);

/* Messages the full outbox had to drop, since link_open(). */
uint64_t	 link_dropped(const struct link *);

#endif
