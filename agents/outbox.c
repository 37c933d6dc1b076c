/*
 * outbox.c - see outbox.h. A ring of message pointers, oldest at `head`.
 *
 * Acks free a prefix of the ring (messages are in (epoch, seq) order), so
 * the common path is O(freed). Dropping the oldest telemetry when full may
 * take one message out of the middle: the later ones shift down by one,
 * O(cap) pointer moves, and only when the hub has been away for a long time.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"

struct outbox {
	struct outbox_msg **ring;	/* cap slots */
	size_t		cap;
	size_t		head;		/* index of the oldest */
	size_t		count;
	uint64_t	dropped;
};

/* (a1, a2) <= (b1, b2), lexicographically. */
static int
outbox_le(uint32_t a1, uint32_t a2, uint32_t b1, uint32_t b2)
{
	return a1 < b1 || (a1 == b1 && a2 <= b2);
}

static struct outbox_msg **
outbox_slot(const struct outbox *ob, size_t i)
{
	return &ob->ring[(ob->head + i) % ob->cap];
}

struct outbox *
outbox_new(size_t cap)
{
	struct outbox	*ob;

	assert(cap >= 1);
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return NULL;
	if ((ob->ring = calloc(cap, sizeof(*ob->ring))) == NULL) {
		free(ob);
		return NULL;
	}
	ob->cap = cap;
	return ob;
}

void
outbox_free(struct outbox *ob)
{
	size_t	i;

	if (ob == NULL)
		return;
	for (i = 0; i < ob->count; i++)
		free(*outbox_slot(ob, i));
	free(ob->ring);
	free(ob);
}

/* Remove the i-th oldest message, keeping the order of the others. */
static void
outbox_remove(struct outbox *ob, size_t i)
{
	assert(i < ob->count);
	free(*outbox_slot(ob, i));
	for (; i + 1 < ob->count; i++)
		*outbox_slot(ob, i) = *outbox_slot(ob, i + 1);
	*outbox_slot(ob, ob->count - 1) = NULL;
	ob->count--;
}

/*
 * Make room for one message of kind `kind`. Returns 0 if there is room now,
 * 1 if the incoming message is the one to drop.
 */
static int
outbox_make_room(struct outbox *ob, enum stride_kind kind)
{
	size_t	i;

	if (ob->count < ob->cap)
		return 0;
	ob->dropped++;
	for (i = 0; i < ob->count; i++) {
		if ((*outbox_slot(ob, i))->kind == STRIDE_KIND_TELEMETRY) {
			outbox_remove(ob, i);
			return 0;
		}
	}
	/* Nothing but events and symptoms: they outrank new telemetry. */
	if (kind == STRIDE_KIND_TELEMETRY)
		return 1;
	outbox_remove(ob, 0);
	return 0;
}

int
outbox_push(struct outbox *ob, uint32_t epoch, uint32_t seq,
    enum stride_kind kind, const void *payload, size_t len)
{
	struct outbox_msg *m, *last;

	assert(payload != NULL || len == 0);
	if (ob->count > 0) {
		last = *outbox_slot(ob, ob->count - 1);
		assert(!outbox_le(epoch, seq, last->epoch, last->seq));
		(void)last;
	}
	/* Allocate first so that running out of memory changes nothing. */
	if ((m = malloc(sizeof(*m) + len + 1)) == NULL)
		return -1;
	m->epoch = epoch;
	m->seq = seq;
	m->kind = kind;
	m->len = len;
	if (len > 0)
		memcpy(m->payload, payload, len);
	m->payload[len] = '\0';

	if (outbox_make_room(ob, kind) == 1) {
		free(m);
		return 1;
	}
	*outbox_slot(ob, ob->count) = m;
	ob->count++;
	return 0;
}

size_t
outbox_ack(struct outbox *ob, uint32_t epoch, uint32_t seq)
{
	struct outbox_msg **slot;
	size_t		freed = 0;

	while (ob->count > 0) {
		slot = outbox_slot(ob, 0);
		if (!outbox_le((*slot)->epoch, (*slot)->seq, epoch, seq))
			break;
		free(*slot);
		*slot = NULL;
		ob->head = (ob->head + 1) % ob->cap;
		ob->count--;
		freed++;
	}
	return freed;
}

size_t
outbox_count(const struct outbox *ob)
{
	return ob->count;
}

const struct outbox_msg *
outbox_at(const struct outbox *ob, size_t i)
{
	assert(i < ob->count);
	return *outbox_slot(ob, i);
}

uint64_t
outbox_dropped(const struct outbox *ob)
{
	return ob->dropped;
}
