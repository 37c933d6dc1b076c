/*
 * queue.h - the hand-off from Paho's thread to the hub's worker.
 *
 * Paho calls our message callback on its own thread; the callback copies the
 * topic and payload into one allocation and pushes it here, so Paho never
 * waits on disk. The worker takes the whole list at once (one lock per
 * batch, not per message). The queue is bounded in bytes: when full, push
 * blocks, Paho stops reading the socket, and the backlog stays on the broker
 * where QoS 1 keeps it safe. Nothing is ever dropped here.
 *
 * Thread-safe: any number of pushers, one popper.
 */
#ifndef HUB_QUEUE_H
#define HUB_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct inmsg {
	struct inmsg	*next;
	size_t		 topic_len;
	size_t		 payload_len;
	char		*payload;	/* points into data, after the topic */
	char		 data[];	/* topic, NUL, payload */
};

struct queue;

/* NULL on failure. The caller owns the queue: queue_free() it. */
struct queue	*queue_new(size_t max_bytes);
/* Frees the queue and any messages still in it. NULL is a no-op. */
void		 queue_free(struct queue *);

/* Copy topic and payload in; blocks while the queue is full. Returns 0, or
 * -1 if the queue is closed or memory ran out (the message is not taken). */
int	queue_push(struct queue *, const char *topic, size_t topic_len,
	    const void *payload, size_t payload_len);

/* Take every queued message, oldest first, waiting up to wait_ms for the
 * first. Returns the list (NULL if none); *count gets its length. The caller
 * owns the list: inmsg_free_list() it. */
struct inmsg	*queue_pop_all(struct queue *, int64_t wait_ms, size_t *count);

/* Stop bounding: pushes no longer wait for room (for shutdown, while the
 * producer is being stopped). */
void	queue_unbound(struct queue *);

/* Wake any waiter; pushes fail from now on. Pops still drain what is left. */
void	queue_close(struct queue *);
size_t	queue_bytes(struct queue *);

void	inmsg_free_list(struct inmsg *);

#endif
