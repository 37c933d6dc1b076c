/*
 * test_dedupe.c - duplicate, stale and lost detection on (epoch, seq).
 */
#include <string.h>

#include "check.h"
#include "dedupe.h"

static void
test_in_order(void)
{
	struct dedupe	d;
	uint32_t	lost, s;

	memset(&d, 0, sizeof(d));
	for (s = 1; s <= 200; s++) {
		CHECK(dedupe_check(&d, 7, s, &lost) == DEDUPE_NEW);
		CHECK(lost == 0);
	}
	CHECK(d.acked == 200 && d.top == 200 && d.epoch == 7);
	/* Every one of them again is a duplicate, and changes nothing. */
	for (s = 1; s <= 200; s++)
		CHECK(dedupe_check(&d, 7, s, &lost) == DEDUPE_DUPLICATE);
	CHECK(d.acked == 200 && d.top == 200);
}

static void
test_out_of_order_and_ack(void)
{
	struct dedupe	d;
	uint32_t	lost;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, 1, 1, &lost) == DEDUPE_NEW);
	CHECK(dedupe_check(&d, 1, 3, &lost) == DEDUPE_NEW);
	CHECK(d.acked == 1);			/* 2 still expected */
	CHECK(lost == 0);
	CHECK(dedupe_check(&d, 1, 3, &lost) == DEDUPE_DUPLICATE);
	CHECK(dedupe_check(&d, 1, 2, &lost) == DEDUPE_NEW);
	CHECK(d.acked == 3);
	CHECK(dedupe_check(&d, 1, 2, &lost) == DEDUPE_DUPLICATE);
}

static void
test_gap_is_lost_when_it_leaves_the_window(void)
{
	struct dedupe	d;
	uint32_t	lost;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, 1, 1, &lost) == DEDUPE_NEW);
	/* 2 never comes; 3..65 keep it inside the window. */
	CHECK(dedupe_check(&d, 1, 65, &lost) == DEDUPE_NEW);
	CHECK(lost == 0 && d.acked == 1);
	/* 66: seq 2 is now 64 below the top, out of the window. */
	CHECK(dedupe_check(&d, 1, 66, &lost) == DEDUPE_NEW);
	CHECK(lost == 1);
	CHECK(d.acked == 2);
	/* A late 2 is no longer accepted. */
	CHECK(dedupe_check(&d, 1, 2, &lost) == DEDUPE_DUPLICATE);
}

/* Seen seqs above a gap are not counted lost when the gap leaves the window. */
static void
test_seen_not_counted_lost(void)
{
	struct dedupe	d;
	uint32_t	lost, s;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, 1, 1, &lost) == DEDUPE_NEW);
	for (s = 3; s <= 10; s++)
		CHECK(dedupe_check(&d, 1, s, &lost) == DEDUPE_NEW);
	CHECK(d.acked == 1);
	CHECK(dedupe_check(&d, 1, 200, &lost) == DEDUPE_NEW);
	/* Lost: 2 and 11..135 (136 is the window's floor + 1). */
	CHECK(lost == 1 + (200 - DEDUPE_WINDOW - 10));
	CHECK(d.acked == 200 - DEDUPE_WINDOW);
}

static void
test_big_jump(void)
{
	struct dedupe	d;
	uint32_t	lost;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, 1, 1, &lost) == DEDUPE_NEW);
	CHECK(dedupe_check(&d, 1, 1001, &lost) == DEDUPE_NEW);
	/* 2..937 left the window unseen; 938..1000 may still come. */
	CHECK(lost == 936);
	CHECK(d.acked == 937);
	CHECK(dedupe_check(&d, 1, 1000, &lost) == DEDUPE_NEW);
	CHECK(dedupe_check(&d, 1, 1000, &lost) == DEDUPE_DUPLICATE);
	CHECK(dedupe_check(&d, 1, 937, &lost) == DEDUPE_DUPLICATE);
	/* A hostile jump to the top of the range costs no more than 64 steps. */
	CHECK(dedupe_check(&d, 1, UINT32_MAX, &lost) == DEDUPE_NEW);
	CHECK(d.acked == UINT32_MAX - DEDUPE_WINDOW);
}

static void
test_epochs(void)
{
	struct dedupe	d, before;
	uint32_t	lost;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, 5, 1, &lost) == DEDUPE_NEW);
	CHECK(dedupe_check(&d, 5, 2, &lost) == DEDUPE_NEW);
	/* A reboot: seq starts again at 1 under a higher epoch. */
	CHECK(dedupe_check(&d, 6, 1, &lost) == DEDUPE_NEW);
	CHECK(d.epoch == 6 && d.acked == 1);
	/* The old epoch is over: a replay of it is stale and leaves no trace. */
	before = d;
	CHECK(dedupe_check(&d, 5, 3, &lost) == DEDUPE_STALE);
	CHECK(memcmp(&before, &d, sizeof(d)) == 0);
	/* A new epoch that starts above 1 waits for 1.. or the window. */
	CHECK(dedupe_check(&d, 9, 4, &lost) == DEDUPE_NEW);
	CHECK(d.acked == 0);
	CHECK(dedupe_check(&d, 9, 1, &lost) == DEDUPE_NEW);
	CHECK(d.acked == 1);
}

static void
test_extremes(void)
{
	struct dedupe	d;
	uint32_t	lost;

	memset(&d, 0, sizeof(d));
	CHECK(dedupe_check(&d, UINT32_MAX, UINT32_MAX, &lost) == DEDUPE_NEW);
	CHECK(dedupe_check(&d, UINT32_MAX, UINT32_MAX, NULL) ==
	    DEDUPE_DUPLICATE);
	CHECK(dedupe_check(&d, UINT32_MAX, 1, NULL) == DEDUPE_DUPLICATE);
}

int
main(void)
{
	test_in_order();
	test_out_of_order_and_ack();
	test_gap_is_lost_when_it_leaves_the_window();
	test_seen_not_counted_lost();
	test_big_jump();
	test_epochs();
	test_extremes();
	return check_done("test_dedupe");
}
