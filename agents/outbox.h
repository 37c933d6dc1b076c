/*
 * outbox.h - the agent's messages published but not yet acknowledged by the
 * hub, oldest first.
 *
 * Pure: no I/O, no clock, no locks (one thread owns it: the agent's main
 * loop). Messages go in as encoded payloads numbered (epoch, seq); the
 * hub's ack (E, S) frees every message up to (E, S); after a reconnect the
 * link re-publishes what is left, oldest first, with the original numbers.
 *
 * Bounded: at most `cap` messages. When full, the oldest telemetry message
 * is dropped (and counted): losing a second of samples costs less than
 * losing a start, stop or a symptom report, so events and symptoms are kept
 * preferentially. Only if no telemetry is left to drop does an event or
 * symptom go (the incoming telemetry first, then the oldest message).
 *
 * Memory: one allocation per message (never per sample), sized to its
 * payload, freed when acknowledged or dropped.
 *
 * Invariant: messages are kept in strictly increasing (epoch, seq) order;
 * outbox_push asserts that the caller numbers them so.
 */
#ifndef AGENT_OUTBOX_H
#define AGENT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include "stride/protocol.h"

#define OUTBOX_CAP_DEFAULT	600	/* 50 min of telemetry at 5 samples/msg */

struct outbox;

/* One stored message; valid until the next call that changes the outbox. */
struct outbox_msg {
	uint32_t	epoch;
	uint32_t	seq;
	enum stride_kind kind;		/* telemetry, event or symptom */
	size_t		len;		/* payload bytes, no NUL counted */
	char		payload[];	/* NUL-terminated for convenience */
};

/* A new empty outbox holding at most cap (>= 1) messages; NULL if out of
 * memory. The caller owns it: outbox_free() it. */
struct outbox	*outbox_new(size_t cap);
void		 outbox_free(struct outbox *);	/* NULL is a no-op */

/*
 * Copy payload[0..len) in as message (epoch, seq) of the given kind.
 * (epoch, seq) must be greater than every message pushed before.
 * Returns 0 if stored (an older message may have been dropped to make room),
 * 1 if the outbox was full and this message itself was the one dropped,
 * -1 if out of memory (nothing changed). Drops are counted.
 */
int		 outbox_push(struct outbox *, uint32_t epoch, uint32_t seq,
		    enum stride_kind kind, const void *payload, size_t len);

/* Free every message at or below (epoch, seq). Returns how many. */
size_t		 outbox_ack(struct outbox *, uint32_t epoch, uint32_t seq);

size_t		 outbox_count(const struct outbox *);

/* The i-th oldest message (0 <= i < outbox_count()), for re-sending. */
const struct outbox_msg *outbox_at(const struct outbox *, size_t i);

/* Messages dropped because the outbox was full, since outbox_new(). */
uint64_t	 outbox_dropped(const struct outbox *);

#endif
