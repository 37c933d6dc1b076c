/*
 * queue.c - see queue.h. A singly linked list with a tail pointer under one
 * mutex, and two condition variables: one for the worker waiting for work,
 * one for pushers waiting for room.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"

struct queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 has_work;
	pthread_cond_t	 has_room;
	struct inmsg	*head;
	struct inmsg	*tail;
	size_t		 count;
	size_t		 bytes;
	size_t		 max_bytes;
	int		 closed;
	int		 unbounded;
};

struct queue *
queue_new(size_t max_bytes)
{
	struct queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->has_work, NULL);
	pthread_cond_init(&q->has_room, NULL);
	q->max_bytes = max_bytes;
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	inmsg_free_list(q->head);
	pthread_cond_destroy(&q->has_room);
	pthread_cond_destroy(&q->has_work);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

int
queue_push(struct queue *q, const char *topic, size_t topic_len,
    const void *payload, size_t payload_len)
{
	struct inmsg	*m;
	size_t		 size = sizeof(*m) + topic_len + 1 + payload_len;

	if ((m = malloc(size)) == NULL)
		return -1;
	m->next = NULL;
	m->topic_len = topic_len;
	m->payload_len = payload_len;
	memcpy(m->data, topic, topic_len);
	m->data[topic_len] = '\0';
	m->payload = m->data + topic_len + 1;
	if (payload_len > 0)
		memcpy(m->payload, payload, payload_len);

	pthread_mutex_lock(&q->mu);
	/* Always admit one message into an empty queue, however large. */
	while (!q->closed && !q->unbounded && q->count > 0 &&
	    q->bytes + size > q->max_bytes)
		pthread_cond_wait(&q->has_room, &q->mu);
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		free(m);
		return -1;
	}
	if (q->tail != NULL)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
	q->bytes += size;
	pthread_cond_signal(&q->has_work);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

struct inmsg *
queue_pop_all(struct queue *q, int64_t wait_ms, size_t *count)
{
	struct inmsg	*list;
	struct timespec	 until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->closed && wait_ms > 0) {
		if (pthread_cond_timedwait(&q->has_work, &q->mu, &until) ==
		    ETIMEDOUT)
			break;
	}
	list = q->head;
	*count = q->count;
	q->head = q->tail = NULL;
	q->count = 0;
	q->bytes = 0;
	pthread_cond_broadcast(&q->has_room);
	pthread_mutex_unlock(&q->mu);
	return list;
}

void
queue_unbound(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->unbounded = 1;
	pthread_cond_broadcast(&q->has_room);
	pthread_mutex_unlock(&q->mu);
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->has_work);
	pthread_cond_broadcast(&q->has_room);
	pthread_mutex_unlock(&q->mu);
}

size_t
queue_bytes(struct queue *q)
{
	size_t bytes;

	pthread_mutex_lock(&q->mu);
	bytes = q->bytes;
	pthread_mutex_unlock(&q->mu);
	return bytes;
}

void
inmsg_free_list(struct inmsg *m)
{
	struct inmsg *next;

	for (; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
}
