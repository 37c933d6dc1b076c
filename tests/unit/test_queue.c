/*
 * test_queue.c - the Paho-to-worker hand-off: order, bounds, back-pressure,
 * close. Uses real threads, as the hub does.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "queue.h"

#define PRODUCED 20000

static void *
producer(void *arg)
{
	struct queue	*q = arg;
	char		 payload[64];
	int		 i, n;

	for (i = 0; i < PRODUCED; i++) {
		n = snprintf(payload, sizeof(payload), "%d", i);
		if (queue_push(q, "t/x", 3, payload, (size_t)n) == -1)
			break;
	}
	return NULL;
}

static void
test_order_and_backpressure(void)
{
	struct queue	*q;
	struct inmsg	*list, *m;
	pthread_t	 th;
	size_t		 count, total = 0;
	int		 expect = 0, in_order = 1, max_seen = 0;

	/* Room for a few dozen messages: the producer must block often. */
	q = queue_new(4096);
	CHECK(q != NULL);
	pthread_create(&th, NULL, producer, q);
	while (total < PRODUCED) {
		list = queue_pop_all(q, 1000, &count);
		if (list == NULL)
			break;
		if ((int)count > max_seen)
			max_seen = (int)count;
		for (m = list; m != NULL; m = m->next) {
			char buf[32];

			memcpy(buf, m->payload, m->payload_len);
			buf[m->payload_len] = '\0';
			if (atoi(buf) != expect || strcmp(m->data, "t/x") != 0)
				in_order = 0;
			expect++;
		}
		total += count;
		inmsg_free_list(list);
	}
	pthread_join(th, NULL);
	CHECK(total == PRODUCED);
	CHECK(in_order);
	/* The byte bound held: no batch bigger than 4096 bytes allows. */
	CHECK(max_seen > 0 && max_seen < 4096 / (int)sizeof(struct inmsg));
	queue_free(q);
}

static void
test_close(void)
{
	struct queue	*q = queue_new(1 << 20);
	struct inmsg	*list;
	size_t		 count;

	CHECK(queue_push(q, "a", 1, "1", 1) == 0);
	queue_close(q);
	CHECK(queue_push(q, "a", 1, "2", 1) == -1);
	/* What was queued before the close is still drained. */
	list = queue_pop_all(q, 0, &count);
	CHECK(list != NULL && count == 1);
	inmsg_free_list(list);
	list = queue_pop_all(q, 100, &count);
	CHECK(list == NULL && count == 0);
	queue_free(q);
}

static void *
push_three(void *arg)
{
	struct queue *q = arg;
	int i;

	for (i = 0; i < 3; i++)
		queue_push(q, "t", 1, "0123456789", 10);
	return NULL;
}

/* A pusher blocked on a full queue is released by queue_unbound, and its
 * message is kept, not dropped. */
static void
test_unbound_releases_blocked_pusher(void)
{
	struct queue	*q = queue_new(1);
	struct inmsg	*list;
	pthread_t	 th;
	size_t		 count;

	pthread_create(&th, NULL, push_three, q);
	queue_unbound(q);
	pthread_join(th, NULL);
	list = queue_pop_all(q, 0, &count);
	CHECK(count == 3);
	inmsg_free_list(list);
	queue_free(q);
}

static void
test_oversized_single_message_admitted(void)
{
	struct queue	*q = queue_new(65536);
	static char	 big[100000];
	struct inmsg	*list;
	size_t		 count;

	CHECK(queue_push(q, "b", 1, big, sizeof(big)) == 0);
	list = queue_pop_all(q, 0, &count);
	CHECK(count == 1 && list->payload_len == sizeof(big));
	inmsg_free_list(list);
	queue_free(q);
	queue_free(NULL);
}

int
main(void)
{
	test_order_and_backpressure();
	test_close();
	test_oversized_single_message_admitted();
	test_unbound_releases_blocked_pusher();
	return check_done("test_queue");
}
