/*
 * hub.h - the hub's worker: messages in, sessions and acks out.
 *
 * Runs on one thread (the worker) and owns the in-memory index of runners
 * and devices. Each batch of messages taken from the queue is handled inside
 * one store transaction: check the topic, find the device and its active
 * key (devices are enrolled with `stridehub device add`, never created on
 * first sight), open the sealed envelope (docs/protocol.md sections 17-18),
 * decode, check the JSON's epoch/seq against the sealed header,
 * deduplicate on (epoch, seq), route to the runner's session, store. Only
 * after the commit are acks (sealed) and relays published, so an ack never
 * promises what a crash could still lose. Sessions are finalized (fused and
 * summarised) when session.c says they are due.
 *
 * All state is keyed by runner and mirrored in the store (dedupe windows,
 * open sessions), so a restarted hub, or another hub taking over a runner,
 * carries on where this one stopped.
 *
 * Publishing goes through a function the caller supplies (mqtt_publish in
 * the daemon, a recorder in tests), so the core needs no broker.
 */
#ifndef HUB_HUB_H
#define HUB_HUB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct hub;
struct hub_config;
struct hubkey;
struct inmsg;
struct queue;
struct store;

typedef int (*hub_publish_fn)(void *arg, const char *topic,
	    const void *payload, size_t len, int qos, int retained);

struct hub_stats {
	uint64_t	messages;	/* taken from the queue */
	uint64_t	stored;		/* accepted and committed */
	uint64_t	samples;
	uint64_t	duplicates;	/* QoS 1 redelivery or re-sends */
	uint64_t	stale;		/* older epoch */
	uint64_t	lost;		/* seqs given up as never coming */
	uint64_t	bad_topic;
	uint64_t	unauth_device;	/* no active key (unknown/revoked) */
	uint64_t	bad_envelope;	/* not a valid sealed envelope, or
					   authentication failed */
	uint64_t	bad_payload;	/* opened, but not valid JSON */
	uint64_t	mismatch;	/* JSON epoch/seq != sealed header */
	uint64_t	store_errors;
	uint64_t	sessions_opened;
	uint64_t	sessions_closed;
	uint64_t	acks_published;
	uint64_t	relays_published;	/* one per recipient */
	uint64_t	revoked;	/* keys seen revoked while running */
};

/* Load the runners, devices and open sessions from st. The hub borrows cfg
 * and st; they must outlive it. NULL on failure. */
struct hub	*hub_new(const struct hub_config *cfg, struct store *st,
		    hub_publish_fn publish, void *publish_arg);
void		 hub_free(struct hub *);	/* NULL is a no-op */

/*
 * Give the hub its identity (hubkey.h; borrowed, must outlive the hub):
 * the session keys of every device with an active key are derived now,
 * the planner seals plans with it (planner_set_identity, TTL plan_ttl_h),
 * and hub_tick drives hubkey_tick (heartbeat, rotations). Until this is
 * called every device message is refused as from an unknown device.
 * Returns 0, or -1 if the store could not be read.
 */
int		 hub_set_keys(struct hub *, struct hubkey *hk);

/* Change (or, with NULL, stop) publishing; e.g. once the edge is closed. */
void		 hub_set_publish(struct hub *, hub_publish_fn publish,
		    void *publish_arg);

/* Handle one batch (the list stays the caller's). Returns 0, or -1 if the
 * store failed and the batch was rolled back. */
int	hub_process(struct hub *, const struct inmsg *list, int64_t now_ms);

/* Timed work: finalize due sessions, publish acks held back by the ack
 * interval. Call every ~100 ms. */
int	hub_tick(struct hub *, int64_t now_ms);

/* Finalize every session now (used by tests and by `stridehub` on demand). */
int	hub_finalize_all(struct hub *, int64_t now_ms);

void	hub_get_stats(const struct hub *, struct hub_stats *out);

/* The worker loop: pop, process, tick, until *stop is set (or, for
 * benchmarks, the config's exit_idle_ms passes with no message). Returns 0.
 * It does not drain: stop the producer (mqtt_close) first, then call
 * hub_drain so nothing already acknowledged to the broker is lost. */
int	hub_run(struct hub *, struct queue *, volatile sig_atomic_t *stop);
/* Handle everything still queued, then log the totals and the drain rate. */
void	hub_drain(struct hub *, struct queue *);

#endif
