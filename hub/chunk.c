/*
 * chunk.c - see chunk.h: the samples of one telemetry message, packed.
 *
 * Pure: no I/O, no allocation, no globals, no clock.
 *
 * Every field is kept at the resolution the wire encodes it with (cad 0.1
 * spm, spd 0.01 m/s, grade 0.1 %, alt 0.1 m, dist 0.01 m), so packing a
 * decoded message loses nothing the device sent. Packing refuses what the
 * protocol refuses (out-of-range or non-finite values, unsorted times) rather
 * than clamp it: a clamped value would be a silent lie in the store.
 *
 * A blob read back is as hostile as a network message: a corrupt or crafted
 * database must cost one skipped chunk, never a bad sample. chunk_unpack
 * checks the version, the count, the exact length, that the first offset is
 * zero and times never go back, the presence flags (known bits only, at least
 * one field) and that every present field is in the protocol's range and
 * every absent one is zero. It either returns a count of fully checked
 * samples or -1; on -1, out may hold partial garbage and must not be used.
 *
 * Layout (little-endian):
 *   0  u8   version (CHUNK_VERSION)
 *   1  u8   count, 1..STRIDE_SAMPLES_MAX
 *   2  i64  t0, the first sample's time, Unix ms
 *   10 count records of CHUNK_RECORD bytes:
 *      0  u32  t - t0, ms (0 for the first record)
 *      4  u8   has (STRIDE_HAS_*)
 *      5  u16  cadence, 0.1 spm
 *      7  u16  speed, cm/s
 *      9  i16  grade, 0.1 %
 *      11 i32  altitude, dm
 *      15 u32  distance, cm
 */
#include <math.h>
#include <string.h>

#include "chunk.h"

#define CHUNK_HAS_ALL	(STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_GRADE | \
			    STRIDE_HAS_ALT | STRIDE_HAS_DIST)

/* Stored units per protocol unit, and the stored ranges they imply. */
#define CHUNK_CAD_SCALE		10.0	/* 0.1 spm */
#define CHUNK_SPD_SCALE		100.0	/* cm/s */
#define CHUNK_GRADE_SCALE	10.0	/* 0.1 % */
#define CHUNK_ALT_SCALE		10.0	/* dm */
#define CHUNK_DIST_SCALE	100.0	/* cm */

#define CHUNK_CAD_MAX	((int64_t)(STRIDE_CAD_MAX_SPM * CHUNK_CAD_SCALE + 0.5))
#define CHUNK_SPD_MAX	((int64_t)(STRIDE_SPD_MAX_MPS * CHUNK_SPD_SCALE + 0.5))
#define CHUNK_GRADE_MAX	((int64_t)(STRIDE_GRADE_MAX_PCT * CHUNK_GRADE_SCALE + 0.5))
#define CHUNK_ALT_MIN	(-(int64_t)(-STRIDE_ALT_MIN_M * CHUNK_ALT_SCALE + 0.5))
#define CHUNK_ALT_MAX	((int64_t)(STRIDE_ALT_MAX_M * CHUNK_ALT_SCALE + 0.5))
#define CHUNK_DIST_MAX	((int64_t)(STRIDE_DIST_MAX_M * CHUNK_DIST_SCALE + 0.5))

static void
chunk_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
chunk_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
chunk_put64(uint8_t *p, uint64_t v)
{
	chunk_put32(p, (uint32_t)v);
	chunk_put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t
chunk_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
chunk_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
chunk_get64(const uint8_t *p)
{
	return (uint64_t)chunk_get32(p) | (uint64_t)chunk_get32(p + 4) << 32;
}

/*
 * v (protocol units) in [lo, hi], rounded to 1/scale. The range is checked
 * before the multiplication so a NaN or a huge value never reaches lround.
 */
static int
chunk_scale(double v, double lo, double hi, double scale, int64_t *out)
{
	if (!isfinite(v) || v < lo || v > hi)
		return -1;
	*out = (int64_t)lround(v * scale);
	return 0;
}

static int
chunk_pack_one(const struct stride_sample *s, int64_t t0, uint8_t *r)
{
	int64_t	cad = 0, spd = 0, grade = 0, alt = 0, dist = 0;

	if ((s->has & ~CHUNK_HAS_ALL) != 0 || (s->has & CHUNK_HAS_ALL) == 0)
		return -1;
	if ((s->has & STRIDE_HAS_CAD) && chunk_scale(s->cad_spm, 0,
	    STRIDE_CAD_MAX_SPM, CHUNK_CAD_SCALE, &cad) == -1)
		return -1;
	if ((s->has & STRIDE_HAS_SPD) && chunk_scale(s->spd_mps, 0,
	    STRIDE_SPD_MAX_MPS, CHUNK_SPD_SCALE, &spd) == -1)
		return -1;
	if ((s->has & STRIDE_HAS_GRADE) && chunk_scale(s->grade_pct,
	    -STRIDE_GRADE_MAX_PCT, STRIDE_GRADE_MAX_PCT, CHUNK_GRADE_SCALE,
	    &grade) == -1)
		return -1;
	if ((s->has & STRIDE_HAS_ALT) && chunk_scale(s->alt_m,
	    STRIDE_ALT_MIN_M, STRIDE_ALT_MAX_M, CHUNK_ALT_SCALE, &alt) == -1)
		return -1;
	if ((s->has & STRIDE_HAS_DIST) && chunk_scale(s->dist_m, 0,
	    STRIDE_DIST_MAX_M, CHUNK_DIST_SCALE, &dist) == -1)
		return -1;

	chunk_put32(r, (uint32_t)(s->t_ms - t0));
	r[4] = s->has;
	chunk_put16(r + 5, (uint16_t)cad);
	chunk_put16(r + 7, (uint16_t)spd);
	chunk_put16(r + 9, (uint16_t)(int16_t)grade);
	chunk_put32(r + 11, (uint32_t)(int32_t)alt);
	chunk_put32(r + 15, (uint32_t)dist);
	return 0;
}

int
chunk_pack(const struct stride_sample *s, size_t n, uint8_t *out, size_t cap)
{
	int64_t	t0;
	size_t	i, len;

	if (s == NULL || out == NULL || n < 1 || n > STRIDE_SAMPLES_MAX)
		return -1;
	len = CHUNK_HEADER + n * CHUNK_RECORD;
	if (cap < len)
		return -1;
	t0 = s[0].t_ms;
	if (t0 < STRIDE_T_MIN_MS || t0 > STRIDE_T_MAX_MS)
		return -1;
	for (i = 0; i < n; i++) {
		/* Sorted (so >= t0 and the subtraction cannot overflow),
		 * inside the protocol's time range, and within 2^32 ms of
		 * t0: the protocol's range alone is wider. */
		if (i > 0 && s[i].t_ms < s[i - 1].t_ms)
			return -1;
		if (s[i].t_ms > STRIDE_T_MAX_MS || s[i].t_ms - t0 > UINT32_MAX)
			return -1;
		if (chunk_pack_one(&s[i], t0,
		    out + CHUNK_HEADER + i * CHUNK_RECORD) == -1)
			return -1;
	}
	out[0] = CHUNK_VERSION;
	out[1] = (uint8_t)n;
	chunk_put64(out + 2, (uint64_t)t0);
	return (int)len;
}

static int
chunk_unpack_one(const uint8_t *r, int64_t t, struct stride_sample *s)
{
	uint8_t		has = r[4];
	uint16_t	cad = chunk_get16(r + 5), spd = chunk_get16(r + 7);
	int16_t		grade = (int16_t)chunk_get16(r + 9);
	int32_t		alt = (int32_t)chunk_get32(r + 11);
	uint32_t	dist = chunk_get32(r + 15);

	if ((has & ~CHUNK_HAS_ALL) != 0 || (has & CHUNK_HAS_ALL) == 0)
		return -1;
	/* An absent field is stored as zero; anything else is corruption. */
	if (!(has & STRIDE_HAS_CAD) ? cad != 0 : cad > CHUNK_CAD_MAX)
		return -1;
	if (!(has & STRIDE_HAS_SPD) ? spd != 0 : spd > CHUNK_SPD_MAX)
		return -1;
	if (!(has & STRIDE_HAS_GRADE) ? grade != 0 :
	    grade < -CHUNK_GRADE_MAX || grade > CHUNK_GRADE_MAX)
		return -1;
	if (!(has & STRIDE_HAS_ALT) ? alt != 0 :
	    alt < CHUNK_ALT_MIN || alt > CHUNK_ALT_MAX)
		return -1;
	if (!(has & STRIDE_HAS_DIST) ? dist != 0 : dist > CHUNK_DIST_MAX)
		return -1;

	memset(s, 0, sizeof(*s));
	s->t_ms = t;
	s->has = has;
	s->cad_spm = (float)(cad / CHUNK_CAD_SCALE);
	s->spd_mps = (float)(spd / CHUNK_SPD_SCALE);
	s->grade_pct = (float)(grade / CHUNK_GRADE_SCALE);
	s->alt_m = (float)(alt / CHUNK_ALT_SCALE);
	s->dist_m = dist / CHUNK_DIST_SCALE;
	return 0;
}

int
chunk_unpack(const uint8_t *blob, size_t len, struct stride_sample *out,
    size_t cap)
{
	const uint8_t	*r;
	int64_t		 t0, t, prev;
	size_t		 n, i;

	if (blob == NULL || out == NULL || len < CHUNK_HEADER)
		return -1;
	if (blob[0] != CHUNK_VERSION)
		return -1;
	n = blob[1];
	if (n < 1 || n > STRIDE_SAMPLES_MAX || n > cap)
		return -1;
	if (len != CHUNK_HEADER + n * CHUNK_RECORD)
		return -1;
	t0 = (int64_t)chunk_get64(blob + 2);
	if (t0 < STRIDE_T_MIN_MS || t0 > STRIDE_T_MAX_MS)
		return -1;
	prev = t0;
	for (i = 0; i < n; i++) {
		r = blob + CHUNK_HEADER + i * CHUNK_RECORD;
		/* t0 <= T_MAX and the offset < 2^32: no overflow. */
		t = t0 + (int64_t)chunk_get32(r);
		if ((i == 0 && t != t0) || t < prev || t > STRIDE_T_MAX_MS)
			return -1;
		if (chunk_unpack_one(r, t, &out[i]) == -1)
			return -1;
		prev = t;
	}
	return (int)n;
}
