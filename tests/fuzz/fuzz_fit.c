/*
 * fuzz_fit.c - libFuzzer target for the FIT reader (hub/lib/fit.c) and
 * what activity_finish() derives from whatever it decodes.
 *
 * Each input is decoded twice: as it is (almost every mutation then dies
 * at the CRC check, which is the point of a CRC, but says little about the
 * message decoder), and with its header and file CRCs recomputed, so that
 * corrupted definitions, sizes, base types, compressed timestamps and
 * developer fields reach the decoder. A refusal must come with a reason;
 * a success must leave records in strictly increasing time, at most
 * ACTIVITY_REC_MAX of them, and after activity_finish() derived flags
 * within `has`, grades within the protocol's range, pauses never on the
 * first record, and finite totals. Any violation aborts.
 *
 * Build: cmake -DSTRIDE_FUZZ=ON with CC=clang (see tests/CMakeLists.txt);
 * run e.g. build-fuzz/tests/fuzz_fit -max_len=65536 -max_total_time=60
 * corpus/ (seed the corpus with small FIT files, e.g. the fenix 5 one).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stride/activity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_fit: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

static uint16_t
fuzz_crc16(const uint8_t *p, size_t n)
{
	uint16_t	c = 0;
	size_t		i;
	int		k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xa001) :
			    (uint16_t)(c >> 1);
	}
	return c;
}

/* Make the first FIT file's header and file CRCs right, if it has room. */
static void
fuzz_fix_crcs(uint8_t *b, size_t len)
{
	size_t		hsize;
	uint32_t	dsize;
	uint16_t	c;

	if (len < 12)
		return;
	hsize = b[0];
	if (hsize >= 14 && len >= 14) {
		c = fuzz_crc16(b, 12);
		b[12] = c & 0xff;
		b[13] = c >> 8;
	}
	dsize = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
	    (uint32_t)b[7] << 24;
	if (hsize > len || dsize > len - hsize || len - hsize - dsize < 2)
		return;
	c = fuzz_crc16(b, hsize + dsize);
	b[hsize + dsize] = c & 0xff;
	b[hsize + dsize + 1] = c >> 8;
}

static void
fuzz_check(struct activity *a)
{
	size_t i;

	FUZZ_ASSERT(a->n <= ACTIVITY_REC_MAX && a->n <= a->cap);
	for (i = 1; i < a->n; i++)
		FUZZ_ASSERT(a->rec[i].t_ms > a->rec[i - 1].t_ms);
	activity_finish(a);
	for (i = 0; i < a->n; i++) {
		const struct activity_rec *r = &a->rec[i];

		FUZZ_ASSERT((r->derived & ~r->has) == 0);
		FUZZ_ASSERT(fabsf(r->grade_pct) <= STRIDE_GRADE_MAX_PCT);
		FUZZ_ASSERT(i > 0 || r->pause == 0);
		FUZZ_ASSERT(isfinite(r->dist_m) && isfinite(r->spd_mps) &&
		    isfinite(r->alt_m) && isfinite(r->cad_spm) &&
		    r->cad_spm >= 0 && r->spd_mps >= 0);
		FUZZ_ASSERT(!(r->has & ACTIVITY_HAS_POS) ||
		    (fabs(r->lat_deg) <= 90 && fabs(r->lon_deg) <= 180));
	}
	FUZZ_ASSERT(isfinite(a->sum.moving_s) && a->sum.moving_s >= 0 &&
	    a->sum.moving_s <= a->sum.elapsed_s + 1e-6);
	FUZZ_ASSERT(isfinite(a->sum.dist_m) && isfinite(a->sum.avg_cad_spm) &&
	    isfinite(a->sum.step_cad_spm) && isfinite(a->sum.ascent_m));
}

static void
fuzz_one(const uint8_t *data, size_t size)
{
	struct activity_err	 err;
	struct activity		*a = activity_new();

	FUZZ_ASSERT(a != NULL);
	memset(&err, 0, sizeof(err));
	if (fit_decode(data, size, a, &err) != 0)
		FUZZ_ASSERT(err.why != NULL && err.why[0] != '\0');
	else
		fuzz_check(a);
	activity_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	fuzz_one(data, size);
	if (size == 0 || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	fuzz_fix_crcs(copy, size);
	fuzz_one(copy, size);
	free(copy);
	return 0;
}
