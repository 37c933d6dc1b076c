/*
 * fuzz_xml.c - libFuzzer target for the TCX and GPX reader (hub/lib/xml.c,
 * on expat), format detection, and what activity_finish() derives.
 *
 * Each input is read as TCX, as GPX, as "whichever the root says", and
 * through activity_read() with detection. A refusal must come with a
 * reason (and a line when expat or we give one); a success must leave
 * records in strictly increasing time and, after activity_finish(),
 * derived flags within `has`, grades within the protocol's range and
 * finite totals. Detection must agree with a successful read. Any
 * violation aborts.
 *
 * Build: cmake -DSTRIDE_FUZZ=ON with CC=clang (see tests/CMakeLists.txt);
 * run e.g. build-fuzz/tests/fuzz_xml -max_len=16384 -max_total_time=60
 * corpus/ (seed it with small TCX and GPX documents, such as the ones in
 * tests/unit/test_tcx.c and test_gpx.c).
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
		fprintf(stderr, "fuzz_xml: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

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
		    isfinite(r->alt_m) && isfinite(r->cad_spm));
	}
	FUZZ_ASSERT(isfinite(a->sum.moving_s) && a->sum.moving_s >= 0 &&
	    a->sum.moving_s <= a->sum.elapsed_s + 1e-6);
	FUZZ_ASSERT(isfinite(a->sum.dist_m) && isfinite(a->sum.avg_cad_spm) &&
	    isfinite(a->sum.ascent_m));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum activity_format fmts[] = {
		ACTIVITY_FMT_TCX, ACTIVITY_FMT_GPX, ACTIVITY_FMT_UNKNOWN
	};
	struct activity_err	 err;
	struct activity		*a;
	size_t			 i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if ((a = activity_new()) == NULL)
			return 0;
		memset(&err, 0, sizeof(err));
		if (xml_decode(data, size, fmts[i], a, &err) != 0)
			FUZZ_ASSERT(err.why != NULL && err.why[0] != '\0');
		else {
			FUZZ_ASSERT(a->fmt == ACTIVITY_FMT_TCX ||
			    a->fmt == ACTIVITY_FMT_GPX);
			FUZZ_ASSERT(fmts[i] == ACTIVITY_FMT_UNKNOWN ||
			    a->fmt == fmts[i]);
			fuzz_check(a);
		}
		activity_free(a);
	}
	memset(&err, 0, sizeof(err));
	if ((a = activity_read(data, size, ACTIVITY_FMT_UNKNOWN, &err)) ==
	    NULL)
		FUZZ_ASSERT(err.why != NULL && err.why[0] != '\0');
	else {
		FUZZ_ASSERT(a->n > 0);
		FUZZ_ASSERT(activity_detect(data, size) == a->fmt);
		fuzz_check(a);
		activity_free(a);
	}
	return 0;
}
