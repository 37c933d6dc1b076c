/*
 * mqtt.h - the hub's MQTT edge: the only hub file that includes Paho.
 *
 * Connects with a persistent session (clean session off, fixed client id) so
 * the broker keeps QoS 1 messages while the hub is down; reconnects by
 * itself; (re)subscribes on every connect, since a restarted broker without
 * persistence forgets subscriptions. Every message Paho hands us is copied
 * into the queue and acknowledged to the broker; from then on the worker
 * owns it. Oversized payloads are dropped here with a log line.
 *
 * On every (re)connect it pushes a note into the queue: a message with
 * an empty topic, which no broker can send (MQTT topics are at least one
 * byte), telling the worker to publish the signed heartbeat and the key
 * chain (hubkey_announce) and, with HA on, to re-announce every runner.
 * With Home Assistant on (config `ha`), it also subscribes to HA's two
 * command topics and HA's birth topic (ha.h) and drops retained commands
 * here (the queue does not carry the retained flag). Payloads over
 * STRIDE_SEALED_MAX (the largest sealed device message) are dropped here.
 *
 * Threads: Paho's callbacks run on Paho's threads and touch only the queue
 * and the counters behind mqtt_stats(). mqtt_publish may be called from the
 * worker thread.
 */
#ifndef HUB_MQTT_H
#define HUB_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct hub_config;
struct queue;
struct mqtt;

struct mqtt_stats {
	uint64_t	received;	/* handed to the queue */
	uint64_t	oversized;	/* dropped at the edge */
	uint64_t	connects;	/* successful (re)connects */
	uint64_t	publish_failed;
	uint64_t	ha_retained;	/* retained HA commands dropped */
};

/* Create the client and start connecting; does not wait for the broker.
 * NULL on failure. The caller owns the result: mqtt_close() it. */
struct mqtt	*mqtt_open(const struct hub_config *, struct queue *);

/* Publish the hub's offline status, disconnect (waiting up to timeout_ms for
 * in-flight publishes), free. NULL is a no-op. */
void		 mqtt_close(struct mqtt *, int timeout_ms);

/* Queue a publish (Paho buffers it while disconnected). Returns 0 or -1. */
int		 mqtt_publish(struct mqtt *, const char *topic,
		    const void *payload, size_t len, int qos, int retained);

int		 mqtt_connected(struct mqtt *);
void		 mqtt_stats(struct mqtt *, struct mqtt_stats *out);

#endif
