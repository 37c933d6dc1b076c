/*
 * test_chunk.c - chunk_pack / chunk_unpack: round trips at the stored
 * resolution, the protocol's boundary values, what packing refuses, and
 * every way a blob read back from disk can be malformed.
 *
 * The layout offsets used to forge blobs are the ones chunk.h documents;
 * the test writes them with its own little-endian helpers so a layout
 * change in chunk.c without a header change is caught.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "chunk.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */
#define ALL	(STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_GRADE | \
		    STRIDE_HAS_ALT | STRIDE_HAS_DIST)

/* Record field offsets, from chunk.h. */
#define R_DT	0
#define R_HAS	4
#define R_CAD	5
#define R_SPD	7
#define R_GRADE	9
#define R_ALT	11
#define R_DIST	15

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *
rec(uint8_t *blob, int i)
{
	return blob + CHUNK_HEADER + i * CHUNK_RECORD;
}

static struct stride_sample
mk(int64_t t, uint8_t has, double cad, double spd, double grade, double alt,
    double dist)
{
	struct stride_sample s;

	memset(&s, 0, sizeof(s));
	s.t_ms = t;
	s.has = has;
	s.cad_spm = (float)cad;
	s.spd_mps = (float)spd;
	s.grade_pct = (float)grade;
	s.alt_m = (float)alt;
	s.dist_m = dist;
	return s;
}

/* Every present field of a and b agrees to the stored resolution. */
static int
same(const struct stride_sample *a, const struct stride_sample *b)
{
	uint8_t	h = a->has;

	return a->t_ms == b->t_ms && a->has == b->has &&
	    (!(h & STRIDE_HAS_CAD) ||
	    fabs(a->cad_spm - b->cad_spm) <= 0.05 + 1e-4) &&
	    (!(h & STRIDE_HAS_SPD) ||
	    fabs(a->spd_mps - b->spd_mps) <= 0.005 + 1e-5) &&
	    (!(h & STRIDE_HAS_GRADE) ||
	    fabs(a->grade_pct - b->grade_pct) <= 0.05 + 1e-4) &&
	    (!(h & STRIDE_HAS_ALT) ||
	    fabs(a->alt_m - b->alt_m) <= 0.05 + 1e-3) &&
	    (!(h & STRIDE_HAS_DIST) ||
	    fabs(a->dist_m - b->dist_m) <= 0.005 + 1e-6);
}

/* Each unpacked sample is inside the protocol and absent fields are 0. */
static int
in_range(const struct stride_sample *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		const struct stride_sample *x = &s[i];

		if (x->t_ms < STRIDE_T_MIN_MS || x->t_ms > STRIDE_T_MAX_MS)
			return 0;
		if (i > 0 && x->t_ms < s[i - 1].t_ms)
			return 0;
		if ((x->has & ~ALL) != 0 || (x->has & ALL) == 0)
			return 0;
		if (x->cad_spm < 0 || x->cad_spm > STRIDE_CAD_MAX_SPM ||
		    x->spd_mps < 0 || x->spd_mps > STRIDE_SPD_MAX_MPS ||
		    fabs(x->grade_pct) > STRIDE_GRADE_MAX_PCT ||
		    x->alt_m < STRIDE_ALT_MIN_M || x->alt_m > STRIDE_ALT_MAX_M ||
		    x->dist_m < 0 || x->dist_m > STRIDE_DIST_MAX_M)
			return 0;
		if ((!(x->has & STRIDE_HAS_CAD) && x->cad_spm != 0) ||
		    (!(x->has & STRIDE_HAS_SPD) && x->spd_mps != 0) ||
		    (!(x->has & STRIDE_HAS_GRADE) && x->grade_pct != 0) ||
		    (!(x->has & STRIDE_HAS_ALT) && x->alt_m != 0) ||
		    (!(x->has & STRIDE_HAS_DIST) && x->dist_m != 0))
			return 0;
	}
	return 1;
}

/* Pack, unpack, compare; then repack the result: same bytes. */
static void
roundtrip(const struct stride_sample *s, size_t n)
{
	uint8_t			blob[CHUNK_MAX], again[CHUNK_MAX];
	struct stride_sample	out[STRIDE_SAMPLES_MAX];
	int			len, len2, k;
	size_t			i;

	len = chunk_pack(s, n, blob, sizeof(blob));
	CHECK(len == (int)(CHUNK_HEADER + n * CHUNK_RECORD));
	if (len < 0)
		return;
	CHECK(blob[0] == CHUNK_VERSION);
	CHECK(blob[1] == n);
	k = chunk_unpack(blob, (size_t)len, out, STRIDE_SAMPLES_MAX);
	CHECK(k == (int)n);
	if (k != (int)n)
		return;
	for (i = 0; i < n; i++) {
		CHECK(same(&s[i], &out[i]));
		/* What was absent comes back zero, whatever was passed. */
		if (!(s[i].has & STRIDE_HAS_CAD))
			CHECK(out[i].cad_spm == 0);
		if (!(s[i].has & STRIDE_HAS_DIST))
			CHECK(out[i].dist_m == 0);
	}
	CHECK(in_range(out, n));
	len2 = chunk_pack(out, n, again, sizeof(again));
	CHECK(len2 == len && memcmp(blob, again, (size_t)len) == 0);
}

static void
test_roundtrip(void)
{
	struct stride_sample	s[STRIDE_SAMPLES_MAX];
	size_t			i;

	/* A foot pod message and a watch message. */
	s[0] = mk(T0, STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST,
	    172.3, 3.27, 0, 0, 1234.56);
	s[1] = mk(T0 + 1000, STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST,
	    173.1, 3.31, 0, 0, 1237.87);
	roundtrip(s, 2);
	s[0] = mk(T0, STRIDE_HAS_SPD | STRIDE_HAS_DIST | STRIDE_HAS_ALT |
	    STRIDE_HAS_GRADE, 0, 2.9, -3.4, 312.7, 50.0);
	roundtrip(s, 1);

	/* Boundaries of every range, and every single flag alone. */
	s[0] = mk(STRIDE_T_MIN_MS, ALL, 0, 0, -STRIDE_GRADE_MAX_PCT,
	    STRIDE_ALT_MIN_M, 0);
	s[1] = mk(STRIDE_T_MIN_MS + 1, ALL, STRIDE_CAD_MAX_SPM,
	    STRIDE_SPD_MAX_MPS, STRIDE_GRADE_MAX_PCT, STRIDE_ALT_MAX_M,
	    STRIDE_DIST_MAX_M);
	s[2] = mk(STRIDE_T_MIN_MS + UINT32_MAX, STRIDE_HAS_CAD, 90, 0, 0, 0, 0);
	roundtrip(s, 3);
	s[0] = mk(STRIDE_T_MAX_MS, STRIDE_HAS_SPD, 0, 1, 0, 0, 0);
	roundtrip(s, 1);
	for (i = 0; i < 5; i++) {
		s[i] = mk(T0 + (int64_t)i, (uint8_t)(1 << i), 100, 5, -10,
		    -100, 10);
		/* Garbage in absent fields must not leak into the blob. */
		if (!(s[i].has & STRIDE_HAS_CAD))
			s[i].cad_spm = 1e9f;
		if (!(s[i].has & STRIDE_HAS_DIST))
			s[i].dist_m = NAN;
	}
	roundtrip(s, 5);

	/* A full message; equal times are sorted too. */
	for (i = 0; i < STRIDE_SAMPLES_MAX; i++)
		s[i] = mk(T0 + (int64_t)(i / 2) * 250, ALL, 150 + i * 0.7,
		    2.0 + i * 0.13, -20 + i * 2.9, -400 + i * 511.1,
		    i * 1000.37);
	roundtrip(s, STRIDE_SAMPLES_MAX);
}

static void
test_rounding(void)
{
	struct stride_sample	s, out;
	uint8_t			blob[CHUNK_MAX];
	int			len;

	/* Values between steps land on the nearest step. */
	s = mk(T0, ALL, 172.34, 3.456, -2.36, 101.26, 1234.567);
	len = chunk_pack(&s, 1, blob, sizeof(blob));
	CHECK(len > 0);
	CHECK(chunk_unpack(blob, (size_t)len, &out, 1) == 1);
	CHECK_NEAR(out.cad_spm, 172.3, 1e-4);
	CHECK_NEAR(out.spd_mps, 3.46, 1e-5);
	CHECK_NEAR(out.grade_pct, -2.4, 1e-4);
	CHECK_NEAR(out.alt_m, 101.3, 1e-3);
	CHECK_NEAR(out.dist_m, 1234.57, 1e-9);
	/* Raw stored integers, read with the test's own decoder. */
	CHECK((blob[CHUNK_HEADER + R_CAD] | blob[CHUNK_HEADER + R_CAD + 1] << 8)
	    == 1723);
	CHECK((blob[CHUNK_HEADER + R_SPD] | blob[CHUNK_HEADER + R_SPD + 1] << 8)
	    == 346);
}

static void
test_pack_refuses(void)
{
	struct stride_sample	s[STRIDE_SAMPLES_MAX + 1], b;
	uint8_t			blob[CHUNK_MAX + CHUNK_RECORD];
	size_t			i;
	struct {
		uint8_t	has;
		double	v;
	} bad[] = {
		{ STRIDE_HAS_CAD, -0.1 },
		{ STRIDE_HAS_CAD, STRIDE_CAD_MAX_SPM + 0.1 },
		{ STRIDE_HAS_CAD, NAN },
		{ STRIDE_HAS_SPD, -0.01 },
		{ STRIDE_HAS_SPD, STRIDE_SPD_MAX_MPS + 0.01 },
		{ STRIDE_HAS_SPD, INFINITY },
		{ STRIDE_HAS_GRADE, -STRIDE_GRADE_MAX_PCT - 0.1 },
		{ STRIDE_HAS_GRADE, STRIDE_GRADE_MAX_PCT + 0.1 },
		{ STRIDE_HAS_GRADE, NAN },
		{ STRIDE_HAS_ALT, STRIDE_ALT_MIN_M - 0.1 },
		{ STRIDE_HAS_ALT, STRIDE_ALT_MAX_M + 0.1 },
		{ STRIDE_HAS_ALT, -INFINITY },
		{ STRIDE_HAS_DIST, -0.01 },
		{ STRIDE_HAS_DIST, STRIDE_DIST_MAX_M + 0.01 },
		{ STRIDE_HAS_DIST, NAN },
	};

	for (i = 0; i < STRIDE_SAMPLES_MAX + 1; i++)
		s[i] = mk(T0 + (int64_t)i * 1000, ALL, 170, 3, 1, 100, 10.0 * i);
	CHECK(chunk_pack(s, 0, blob, sizeof(blob)) == -1);
	CHECK(chunk_pack(s, STRIDE_SAMPLES_MAX + 1, blob, sizeof(blob)) == -1);
	CHECK(chunk_pack(NULL, 1, blob, sizeof(blob)) == -1);
	CHECK(chunk_pack(s, 1, NULL, sizeof(blob)) == -1);
	/* Room: exactly enough works, one byte less does not. */
	CHECK(chunk_pack(s, 3, blob, CHUNK_HEADER + 3 * CHUNK_RECORD) ==
	    CHUNK_HEADER + 3 * CHUNK_RECORD);
	CHECK(chunk_pack(s, 3, blob, CHUNK_HEADER + 3 * CHUNK_RECORD - 1) ==
	    -1);

	/* Each out-of-range field, in the last sample of three. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = s[2];
		b.has = bad[i].has;
		switch (bad[i].has) {
		case STRIDE_HAS_CAD: b.cad_spm = (float)bad[i].v; break;
		case STRIDE_HAS_SPD: b.spd_mps = (float)bad[i].v; break;
		case STRIDE_HAS_GRADE: b.grade_pct = (float)bad[i].v; break;
		case STRIDE_HAS_ALT: b.alt_m = (float)bad[i].v; break;
		default: b.dist_m = bad[i].v; break;
		}
		s[STRIDE_SAMPLES_MAX] = s[2];
		s[2] = b;
		CHECK(chunk_pack(s, 3, blob, sizeof(blob)) == -1);
		s[2] = s[STRIDE_SAMPLES_MAX];
	}
	CHECK(chunk_pack(s, 3, blob, sizeof(blob)) > 0);	/* restored */

	/* Flags: none, or one we do not know. */
	b = s[1];
	s[1].has = 0;
	CHECK(chunk_pack(s, 3, blob, sizeof(blob)) == -1);
	s[1].has = ALL | 0x20;
	CHECK(chunk_pack(s, 3, blob, sizeof(blob)) == -1);
	s[1] = b;

	/* Times: unsorted, outside the protocol, too far from t0. */
	s[1].t_ms = s[0].t_ms - 1;
	CHECK(chunk_pack(s, 3, blob, sizeof(blob)) == -1);
	s[1] = b;
	s[0].t_ms = STRIDE_T_MIN_MS - 1;
	CHECK(chunk_pack(s, 1, blob, sizeof(blob)) == -1);
	s[0].t_ms = INT64_MIN;
	CHECK(chunk_pack(s, 2, blob, sizeof(blob)) == -1);
	s[0].t_ms = STRIDE_T_MAX_MS + 1;
	CHECK(chunk_pack(s, 1, blob, sizeof(blob)) == -1);
	s[0].t_ms = STRIDE_T_MAX_MS;
	s[1].t_ms = INT64_MAX;
	CHECK(chunk_pack(s, 2, blob, sizeof(blob)) == -1);
	s[0].t_ms = T0;
	s[1].t_ms = T0 + UINT32_MAX + 1LL;
	CHECK(chunk_pack(s, 2, blob, sizeof(blob)) == -1);
	s[1].t_ms = T0 + UINT32_MAX;
	CHECK(chunk_pack(s, 2, blob, sizeof(blob)) > 0);
}

/* A valid 3-sample blob to break. */
static int
good_blob(uint8_t *blob)
{
	struct stride_sample s[3];

	s[0] = mk(T0, ALL, 170, 3, 1, 100, 10);
	s[1] = mk(T0 + 1000, STRIDE_HAS_CAD | STRIDE_HAS_SPD, 171, 3.1, 0, 0,
	    0);
	s[2] = mk(T0 + 2000, ALL, 172, 3.2, -1, 101, 16.2);
	return chunk_pack(s, 3, blob, CHUNK_MAX);
}

static void
test_unpack_malformed(void)
{
	uint8_t			blob[CHUNK_MAX + 1], b[CHUNK_MAX + 1];
	struct stride_sample	out[STRIDE_SAMPLES_MAX];
	int			len;
	size_t			i;
	struct {
		const char	*what;
		int		 rec;	/* record, or -1 for the header */
		int		 off;
		int		 width;	/* 1, 2, 4 or 8 bytes */
		int64_t		 v;
	} cases[] = {
		{ "version 0", -1, 0, 1, 0 },
		{ "version 2", -1, 0, 1, 2 },
		{ "count 0", -1, 1, 1, 0 },
		{ "count 2 for 3 records", -1, 1, 1, 2 },
		{ "count 4 for 3 records", -1, 1, 1, 4 },
		{ "count 17", -1, 1, 1, STRIDE_SAMPLES_MAX + 1 },
		{ "count 255", -1, 1, 1, 255 },
		{ "t0 before 2000", -1, 2, 8, STRIDE_T_MIN_MS - 1 },
		{ "t0 after 2100", -1, 2, 8, STRIDE_T_MAX_MS + 1 },
		{ "t0 negative", -1, 2, 8, -1 },
		{ "first offset not 0", 0, R_DT, 4, 1 },
		{ "time goes back", 2, R_DT, 4, 999 },
		{ "huge offset, then back", 1, R_DT, 4, UINT32_MAX },
		{ "no flags", 1, R_HAS, 1, 0 },
		{ "unknown flag", 1, R_HAS, 1, ALL | 0x40 },
		{ "absent grade not 0", 1, R_GRADE, 2, 5 },
		{ "absent alt not 0", 1, R_ALT, 4, 1 },
		{ "absent dist not 0", 1, R_DIST, 4, 1 },
		{ "cad over", 0, R_CAD, 2, 3001 },
		{ "spd over", 0, R_SPD, 2, 1201 },
		{ "grade over", 0, R_GRADE, 2, 451 },
		{ "grade under", 0, R_GRADE, 2, (uint16_t)-451 },
		{ "alt under", 0, R_ALT, 4, (uint32_t)-5001 },
		{ "alt over", 0, R_ALT, 4, 90001 },
		{ "dist over", 0, R_DIST, 4, 100000001 },
	};

	len = good_blob(blob);
	CHECK(len == CHUNK_HEADER + 3 * CHUNK_RECORD);
	CHECK(chunk_unpack(blob, (size_t)len, out, STRIDE_SAMPLES_MAX) == 3);

	/* Every truncation, one byte extra, no blob, no room. */
	for (i = 0; i < (size_t)len; i++)
		CHECK(chunk_unpack(blob, i, out, STRIDE_SAMPLES_MAX) == -1);
	blob[len] = 0;
	CHECK(chunk_unpack(blob, (size_t)len + 1, out, STRIDE_SAMPLES_MAX) ==
	    -1);
	CHECK(chunk_unpack(NULL, (size_t)len, out, STRIDE_SAMPLES_MAX) == -1);
	CHECK(chunk_unpack(blob, (size_t)len, NULL, STRIDE_SAMPLES_MAX) == -1);
	CHECK(chunk_unpack(blob, (size_t)len, out, 2) == -1);
	CHECK(chunk_unpack(blob, (size_t)len, out, 3) == 3);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *p;
		int k;

		memcpy(b, blob, (size_t)len);
		p = cases[i].rec < 0 ? b + cases[i].off :
		    rec(b, cases[i].rec) + cases[i].off;
		switch (cases[i].width) {
		case 1: *p = (uint8_t)cases[i].v; break;
		case 2: put16(p, (uint16_t)cases[i].v); break;
		case 4: put32(p, (uint32_t)cases[i].v); break;
		default: put64(p, (uint64_t)cases[i].v); break;
		}
		k = chunk_unpack(b, (size_t)len, out, STRIDE_SAMPLES_MAX);
		if (k != -1)
			fprintf(stderr, "malformed blob accepted: %s\n",
			    cases[i].what);
		CHECK(k == -1);
	}

	/* A time past 2100 from a t0 just before it. */
	memcpy(b, blob, (size_t)len);
	put64(b + 2, (uint64_t)(STRIDE_T_MAX_MS - 1000));
	CHECK(chunk_unpack(b, (size_t)len, out, STRIDE_SAMPLES_MAX) == -1);
	put64(b + 2, (uint64_t)(STRIDE_T_MAX_MS - 2000));
	CHECK(chunk_unpack(b, (size_t)len, out, STRIDE_SAMPLES_MAX) == 3);
	CHECK(out[2].t_ms == STRIDE_T_MAX_MS);

	/* The edges themselves are fine: equal times, largest values. */
	memcpy(b, blob, (size_t)len);
	put32(rec(b, 1) + R_DT, 0);
	put16(rec(b, 0) + R_CAD, 3000);
	put16(rec(b, 0) + R_SPD, 1200);
	put16(rec(b, 0) + R_GRADE, (uint16_t)-450);
	put32(rec(b, 0) + R_ALT, (uint32_t)-5000);
	put32(rec(b, 0) + R_DIST, 100000000);
	CHECK(chunk_unpack(b, (size_t)len, out, STRIDE_SAMPLES_MAX) == 3);
	CHECK(out[1].t_ms == T0);
	CHECK_NEAR(out[0].cad_spm, STRIDE_CAD_MAX_SPM, 1e-4);
	CHECK_NEAR(out[0].spd_mps, STRIDE_SPD_MAX_MPS, 1e-5);
	CHECK_NEAR(out[0].grade_pct, -STRIDE_GRADE_MAX_PCT, 1e-4);
	CHECK_NEAR(out[0].alt_m, STRIDE_ALT_MIN_M, 1e-3);
	CHECK_NEAR(out[0].dist_m, STRIDE_DIST_MAX_M, 1e-6);
}

/*
 * Every single-byte corruption of a valid blob, with a few values each:
 * unpack either refuses it or returns samples that are all in range.
 */
static void
test_unpack_mutations(void)
{
	static const uint8_t	vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };
	uint8_t			blob[CHUNK_MAX], b[CHUNK_MAX];
	struct stride_sample	out[STRIDE_SAMPLES_MAX];
	int			len, k, refused = 0, bad = 0;
	size_t			i, j;

	len = good_blob(blob);
	for (i = 0; i < (size_t)len; i++) {
		for (j = 0; j < sizeof(vals); j++) {
			memcpy(b, blob, (size_t)len);
			b[i] = vals[j];
			k = chunk_unpack(b, (size_t)len, out,
			    STRIDE_SAMPLES_MAX);
			if (k == -1)
				refused++;
			else if (k != 3 || !in_range(out, 3))
				bad++;
		}
	}
	CHECK(bad == 0);
	/* Most corruptions must be caught, not just tolerated. */
	CHECK(refused > len * (int)sizeof(vals) / 3);
}

int
main(void)
{
	test_roundtrip();
	test_rounding();
	test_pack_refuses();
	test_unpack_malformed();
	test_unpack_mutations();
	return check_done("test_chunk");
}
