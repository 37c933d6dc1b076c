/*
 * test_outbox.c - the agent's unacknowledged-message buffer: acks free
 * exactly up to (epoch, seq), what is left comes back oldest first with
 * its bytes intact, and a full outbox drops the oldest telemetry before
 * any event or symptom.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "outbox.h"

/* A payload that names its message, so a mix-up shows. */
static int
push(struct outbox *ob, uint32_t epoch, uint32_t seq, enum stride_kind kind)
{
	char	buf[64];
	int	n;

	n = snprintf(buf, sizeof(buf), "{\"epoch\":%u,\"seq\":%u,\"k\":%d}",
	    (unsigned)epoch, (unsigned)seq, (int)kind);
	return outbox_push(ob, epoch, seq, kind, buf, (size_t)n);
}

static int
payload_is(const struct outbox_msg *m)
{
	char	buf[64];
	int	n;

	n = snprintf(buf, sizeof(buf), "{\"epoch\":%u,\"seq\":%u,\"k\":%d}",
	    (unsigned)m->epoch, (unsigned)m->seq, (int)m->kind);
	return m->len == (size_t)n && memcmp(m->payload, buf, m->len) == 0 &&
	    m->payload[m->len] == '\0';
}

/* The seqs left, oldest first, as "3,4,5". */
static const char *
seqs(const struct outbox *ob)
{
	static char	buf[1024];
	size_t		i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < outbox_count(ob) && off < sizeof(buf) - 16; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u",
		    i ? "," : "", (unsigned)outbox_at(ob, i)->seq);
	return buf;
}

static void
test_ack_frees_up_to(void)
{
	static const struct {
		uint32_t	epoch, seq;	/* the ack */
		size_t		freed;
		const char	*left;
	} t[] = {
		{ 6, 99, 0, "1,2,3,4,5,6" },	/* an older epoch: nothing */
		{ 7, 0, 0, "1,2,3,4,5,6" },
		{ 7, 2, 2, "3,4,5,6" },
		{ 7, 2, 0, "3,4,5,6" },		/* again: idempotent */
		{ 7, 1, 0, "3,4,5,6" },		/* going back frees nothing */
		{ 7, 5, 3, "6" },
		{ 7, 6, 1, "" },
		{ 7, 6, 0, "" },		/* empty stays empty */
	};
	struct outbox	*ob = outbox_new(10);
	uint32_t	 s;
	size_t		 i;

	CHECK(ob != NULL);
	for (s = 1; s <= 6; s++)
		CHECK(push(ob, 7, s, STRIDE_KIND_TELEMETRY) == 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(outbox_ack(ob, t[i].epoch, t[i].seq) == t[i].freed);
		CHECK(strcmp(seqs(ob), t[i].left) == 0);
	}
	outbox_free(ob);
}

static void
test_ack_across_epochs(void)
{
	struct outbox	*ob = outbox_new(10);

	/* A later epoch's ack covers every message of earlier epochs,
	 * whatever their seq. */
	CHECK(push(ob, 3, 40, STRIDE_KIND_EVENT) == 0);
	CHECK(push(ob, 3, 41, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(push(ob, 4, 1, STRIDE_KIND_EVENT) == 0);
	CHECK(push(ob, 4, 2, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(outbox_ack(ob, 3, 40) == 1);
	CHECK(outbox_ack(ob, 4, 1) == 2);
	CHECK(outbox_count(ob) == 1);
	CHECK(outbox_at(ob, 0)->epoch == 4 && outbox_at(ob, 0)->seq == 2);
	outbox_free(ob);
}

static void
test_resend_order_and_bytes(void)
{
	struct outbox	*ob = outbox_new(4);
	uint32_t	 s;
	size_t		 i;
	int		 ok = 1;

	/* Wrap the ring a few times: order and bytes must survive. */
	for (s = 1; s <= 50; s++) {
		CHECK(push(ob, 2, s, s % 3 ? STRIDE_KIND_TELEMETRY :
		    STRIDE_KIND_SYMPTOM) == 0);
		if (s % 2 == 0)
			(void)outbox_ack(ob, 2, s - 1);
		for (i = 0; i < outbox_count(ob); i++) {
			ok &= payload_is(outbox_at(ob, i));
			if (i > 0)
				ok &= outbox_at(ob, i)->seq >
				    outbox_at(ob, i - 1)->seq;
		}
	}
	CHECK(ok);
	CHECK(strcmp(seqs(ob), "50") == 0);
	CHECK(outbox_dropped(ob) == 0);
	outbox_free(ob);
}

static void
test_overflow_drops_oldest_telemetry(void)
{
	struct outbox	*ob = outbox_new(4);

	CHECK(push(ob, 1, 1, STRIDE_KIND_EVENT) == 0);
	CHECK(push(ob, 1, 2, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(push(ob, 1, 3, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(push(ob, 1, 4, STRIDE_KIND_SYMPTOM) == 0);
	CHECK(outbox_dropped(ob) == 0);

	/* Full: the oldest telemetry (2) goes, the start event stays. */
	CHECK(push(ob, 1, 5, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(strcmp(seqs(ob), "1,3,4,5") == 0);
	CHECK(outbox_dropped(ob) == 1);

	/* An event also makes room at telemetry's expense. */
	CHECK(push(ob, 1, 6, STRIDE_KIND_EVENT) == 0);
	CHECK(strcmp(seqs(ob), "1,4,5,6") == 0);
	CHECK(push(ob, 1, 7, STRIDE_KIND_EVENT) == 0);
	CHECK(strcmp(seqs(ob), "1,4,6,7") == 0);
	CHECK(outbox_dropped(ob) == 3);

	/* No telemetry left: new telemetry is the one refused... */
	CHECK(push(ob, 1, 8, STRIDE_KIND_TELEMETRY) == 1);
	CHECK(strcmp(seqs(ob), "1,4,6,7") == 0);
	CHECK(outbox_dropped(ob) == 4);

	/* ...and an event pushes out the oldest event. */
	CHECK(push(ob, 1, 9, STRIDE_KIND_SYMPTOM) == 0);
	CHECK(strcmp(seqs(ob), "4,6,7,9") == 0);
	CHECK(outbox_dropped(ob) == 5);

	/* Order and bytes intact after the shifting. */
	CHECK(payload_is(outbox_at(ob, 0)) && payload_is(outbox_at(ob, 3)));
	CHECK(outbox_ack(ob, 1, 7) == 3);
	CHECK(strcmp(seqs(ob), "9") == 0);
	outbox_free(ob);
}

static void
test_overflow_wrapped(void)
{
	struct outbox	*ob = outbox_new(5);
	uint32_t	 s;

	/* Drop from the middle of a ring whose head has moved. */
	for (s = 1; s <= 3; s++)
		CHECK(push(ob, 1, s, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(outbox_ack(ob, 1, 3) == 3);
	CHECK(push(ob, 1, 4, STRIDE_KIND_EVENT) == 0);
	for (s = 5; s <= 8; s++)
		CHECK(push(ob, 1, s, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(strcmp(seqs(ob), "4,5,6,7,8") == 0);
	CHECK(push(ob, 1, 9, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(push(ob, 1, 10, STRIDE_KIND_TELEMETRY) == 0);
	CHECK(strcmp(seqs(ob), "4,7,8,9,10") == 0);
	CHECK(outbox_dropped(ob) == 2);
	outbox_free(ob);
}

static void
test_large_and_empty_payloads(void)
{
	static char	big[STRIDE_PAYLOAD_MAX];
	struct outbox	*ob = outbox_new(2);

	memset(big, 'x', sizeof(big));
	CHECK(outbox_push(ob, 1, 1, STRIDE_KIND_TELEMETRY, big,
	    sizeof(big)) == 0);
	CHECK(outbox_push(ob, 1, 2, STRIDE_KIND_EVENT, "", 0) == 0);
	CHECK(outbox_at(ob, 0)->len == sizeof(big));
	CHECK(memcmp(outbox_at(ob, 0)->payload, big, sizeof(big)) == 0);
	CHECK(outbox_at(ob, 1)->len == 0);
	outbox_free(ob);
	outbox_free(NULL);
}

int
main(void)
{
	test_ack_frees_up_to();
	test_ack_across_epochs();
	test_resend_order_and_bytes();
	test_overflow_drops_oldest_telemetry();
	test_overflow_wrapped();
	test_large_and_empty_payloads();
	return check_done("test_outbox");
}
