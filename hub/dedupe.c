/*
 * dedupe.c - see dedupe.h.
 *
 * Invariant: for the current epoch, every seq in (top - 64, top] is
 * represented by a bit; everything at or below acked is either seen or given
 * up as lost; top - 64 <= acked <= top. Every call does at most 64 steps,
 * whatever jump a hostile device claims.
 */
#include <stddef.h>

#include "dedupe.h"

/* Is seq (within the window) marked seen? */
static int
dedupe_seen(const struct dedupe *d, uint32_t seq)
{
	return (d->bits >> (d->top - seq) & 1) != 0;
}

/*
 * seq is above top: slide the window up to it. Seqs that leave the window
 * while still unseen are lost; acked moves to the new window's floor.
 */
static uint32_t
dedupe_slide(struct dedupe *d, uint32_t seq)
{
	uint32_t floor_new, lost = 0, s, hi;

	floor_new = seq > DEDUPE_WINDOW ? seq - DEDUPE_WINDOW : 0;
	if (floor_new > d->acked) {
		/* Only (acked, top] can have been seen; acked >= top - 64. */
		hi = floor_new < d->top ? floor_new : d->top;
		lost = floor_new - d->acked;
		for (s = d->acked + 1; s <= hi && s > d->acked; s++)
			if (dedupe_seen(d, s))
				lost--;
		d->acked = floor_new;
	}
	d->bits = seq - d->top >= DEDUPE_WINDOW ? 0 : d->bits << (seq - d->top);
	d->top = seq;
	return lost;
}

/* Move acked up over the seen run just above it. */
static void
dedupe_advance(struct dedupe *d)
{
	while (d->acked < d->top && dedupe_seen(d, d->acked + 1))
		d->acked++;
}

enum dedupe_verdict
dedupe_check(struct dedupe *d, uint32_t epoch, uint32_t seq, uint32_t *lost)
{
	uint32_t gone = 0;

	if (lost != NULL)
		*lost = 0;
	if (epoch < d->epoch)
		return DEDUPE_STALE;
	if (epoch > d->epoch) {
		/* A new boot: whatever the old epoch still owed is over. */
		d->epoch = epoch;
		d->top = 0;
		d->bits = 0;
		d->acked = 0;
	}
	if (seq > d->top)
		gone = dedupe_slide(d, seq);
	else if (seq <= d->acked || dedupe_seen(d, seq))
		return DEDUPE_DUPLICATE;
	d->bits |= (uint64_t)1 << (d->top - seq);
	dedupe_advance(d);
	if (lost != NULL)
		*lost = gone;
	return DEDUPE_NEW;
}
