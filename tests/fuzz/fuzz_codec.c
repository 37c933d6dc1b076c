/*
 * fuzz_codec.c - libFuzzer target for the protocol v1 JSON codec.
 *
 * Every input is offered to codec_decode() as every kind (the kind comes
 * from the topic, so a hostile device can pair any bytes with any kind).
 * Whatever decodes must survive the trip back:
 *   decode(in) = m1, encode(m1) = j1, decode(j1) = m2, encode(m2) = j2
 * with m2 equal to m1 up to the wire resolution of each fractional field,
 * and j2 == j1 byte for byte (encoding is a fixed point after one rounding).
 * A refusal must come with a reason. Any violation aborts.
 *
 * Build: cmake -DSTRIDE_FUZZ=ON with CC=clang; run e.g.
 *   build-fuzz/tests/fuzz_codec -max_len=4200 -max_total_time=60 corpus/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stride/codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_codec: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

/* |a - b| within half a wire step, plus float noise. */
static int
fuzz_near(double a, double b, double step)
{
	double tol = step / 2 + 1e-6 * (a < 0 ? -a : a) + 1e-9;

	return a - b <= tol && b - a <= tol;
}

static void
fuzz_same(const struct stride_msg *a, const struct stride_msg *b)
{
	uint32_t i;

	FUZZ_ASSERT(a->kind == b->kind);
	FUZZ_ASSERT(a->epoch == b->epoch && a->seq == b->seq);
	switch (a->kind) {
	case STRIDE_KIND_TELEMETRY:
		FUZZ_ASSERT(a->u.tel.role == b->u.tel.role);
		FUZZ_ASSERT(a->u.tel.n == b->u.tel.n);
		for (i = 0; i < a->u.tel.n; i++) {
			const struct stride_sample *x = &a->u.tel.s[i];
			const struct stride_sample *y = &b->u.tel.s[i];

			FUZZ_ASSERT(x->t_ms == y->t_ms && x->has == y->has);
			FUZZ_ASSERT(fuzz_near(x->cad_spm, y->cad_spm, 0.1));
			FUZZ_ASSERT(fuzz_near(x->spd_mps, y->spd_mps, 0.01));
			FUZZ_ASSERT(fuzz_near(x->grade_pct, y->grade_pct, 0.1));
			FUZZ_ASSERT(fuzz_near(x->alt_m, y->alt_m, 0.1));
			FUZZ_ASSERT(fuzz_near(x->dist_m, y->dist_m, 0.01));
		}
		break;
	case STRIDE_KIND_EVENT:
		FUZZ_ASSERT(a->u.ev.t_ms == b->u.ev.t_ms &&
		    a->u.ev.type == b->u.ev.type);
		break;
	case STRIDE_KIND_SYMPTOM:
		FUZZ_ASSERT(a->u.sym.t_ms == b->u.sym.t_ms &&
		    a->u.sym.when == b->u.sym.when &&
		    a->u.sym.level == b->u.sym.level &&
		    a->u.sym.score == b->u.sym.score);
		break;
	case STRIDE_KIND_STATUS:
		FUZZ_ASSERT(a->u.status.online == b->u.status.online &&
		    a->u.status.role == b->u.status.role &&
		    a->u.status.battery == b->u.status.battery &&
		    strcmp(a->u.status.fw, b->u.status.fw) == 0);
		break;
	case STRIDE_KIND_ACK:
		FUZZ_ASSERT(a->u.ack.epoch == b->u.ack.epoch &&
		    a->u.ack.seq == b->u.ack.seq);
		break;
	default:
		FUZZ_ASSERT(0 && "decoded a kind without a codec");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 j1[STRIDE_PAYLOAD_MAX + 1];
	static char		 j2[STRIDE_PAYLOAD_MAX + 1];
	struct stride_msg	 m1, m2;
	const char		*why;
	int			 k, n1, n2;

	for (k = STRIDE_KIND_NONE; k <= STRIDE_KIND_COUNT; k++) {
		const char *why_full = NULL;
		int rc, rc_full;

		why = NULL;
		rc = codec_decode(k, data, size, &m1, &why);
		/* The fast path and the reference decoder agree exactly. */
		rc_full = codec_decode_full(k, data, size, &m2, &why_full);
		FUZZ_ASSERT(rc == rc_full);
		FUZZ_ASSERT(memcmp(&m1, &m2, sizeof(m1)) == 0);
		if (rc != 0) {
			FUZZ_ASSERT(why != NULL && why[0] != '\0');
			FUZZ_ASSERT(why == why_full);
			continue;
		}
		FUZZ_ASSERT((int)m1.kind == k);
		n1 = codec_encode(&m1, j1, sizeof(j1));
		FUZZ_ASSERT(n1 > 0 && (size_t)n1 == strlen(j1));
		FUZZ_ASSERT(codec_decode(k, j1, (size_t)n1, &m2, &why) == 0);
		fuzz_same(&m1, &m2);
		n2 = codec_encode(&m2, j2, sizeof(j2));
		FUZZ_ASSERT(n2 == n1 && memcmp(j1, j2, (size_t)n1) == 0);
	}
	return 0;
}
