/*
 * dedupe.h - per-device duplicate and gap detection on (epoch, seq).
 *
 * Pure: no I/O. A device numbers every message with a boot epoch and a
 * sequence number; the pair only grows. QoS 1 redelivers, and a device
 * re-sends what the hub has not acknowledged, so the same pair can arrive
 * more than once and slightly out of order. We keep the highest pair seen and
 * a 64-bit window below it. A seq that falls out of the window unseen is
 * declared lost (a gap). `acked` is the highest seq of the current epoch
 * below which nothing is still expected: what the hub acknowledges once the
 * batch holding it is committed.
 */
#ifndef HUB_DEDUPE_H
#define HUB_DEDUPE_H

#include <stdint.h>

#define DEDUPE_WINDOW 64	/* seqs remembered below the highest */

struct dedupe {
	uint32_t	epoch;	/* current epoch; 0 before the first message */
	uint32_t	top;	/* highest seq seen in epoch */
	uint64_t	bits;	/* bit i set: seq top - i seen */
	uint32_t	acked;	/* all of 1..acked seen or given up as lost */
};

enum dedupe_verdict {
	DEDUPE_NEW = 0,		/* first time: accept and mark */
	DEDUPE_DUPLICATE,	/* seen before in this epoch */
	DEDUPE_STALE		/* older epoch, or too far below the window */
};

/*
 * Classify (epoch, seq) and, when new, mark it seen. *lost (may be NULL) is
 * set to the number of seqs this call gave up on as lost. d is changed only
 * for DEDUPE_NEW, so a rejected message leaves no trace.
 */
enum dedupe_verdict dedupe_check(struct dedupe *d, uint32_t epoch,
	    uint32_t seq, uint32_t *lost);

#endif
