/*
 * test_fit.c - the FIT reader: hand-made files written here byte by byte
 * (both byte orders, compressed timestamps, developer fields, invalid
 * values, sessions, chained files, every way to be truncated or corrupt),
 * then the real files of $STRIDE_ACTIVITIES: the two reference CSVs record
 * by record, every prefix of the small fenix 5 file and sampled prefixes of
 * the others, and bit-flipped copies, refused or decoded without harm.
 *
 * The writer below and its CRC are independent of fit.c, so the reader is
 * checked against the format, not against itself. Without
 * STRIDE_ACTIVITIES the real-file part is skipped with a message.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/activity.h"
#include "check.h"

#define FIT_EPOCH	631065600LL	/* 1989-12-31T00:00:00Z, Unix s */
#define TS0		1000000000u	/* 2021-09-09, an absolute FIT time */

/* Base type bytes. */
#define BT_ENUM		0x00
#define BT_SINT8	0x01
#define BT_UINT8	0x02
#define BT_UINT16	0x84
#define BT_SINT32	0x85
#define BT_UINT32	0x86
#define BT_STRING	0x07
#define BT_BYTE		0x0d
#define BT_UINT32Z	0x8c

/* ---- a FIT writer ---- */

struct fw {
	uint8_t	b[16384];
	size_t	len;
	size_t	start;		/* this file's first byte (chained files) */
	size_t	hsize;
};

/* CRC-16/ARC bit by bit: an implementation independent of fit.c's. */
static uint16_t
crc16(const uint8_t *p, size_t n)
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

static void
fw_u8(struct fw *w, unsigned v)
{
	if (w->len < sizeof(w->b))
		w->b[w->len++] = (uint8_t)v;
}

static void
fw_uint(struct fw *w, uint64_t v, int size, int be)
{
	int i;

	for (i = 0; i < size; i++)
		fw_u8(w, (unsigned)(v >> (8 * (be ? size - 1 - i : i))) & 0xff);
}

static void
fw_begin(struct fw *w, size_t hsize)
{
	w->start = w->len;
	w->hsize = hsize;
	fw_u8(w, (unsigned)hsize);
	fw_u8(w, 0x20);			/* protocol 2.0 */
	fw_uint(w, 2132, 2, 0);		/* profile 21.32 */
	fw_uint(w, 0, 4, 0);		/* data size, set by fw_end */
	fw_u8(w, '.');
	fw_u8(w, 'F');
	fw_u8(w, 'I');
	fw_u8(w, 'T');
	while (w->len - w->start < hsize)
		fw_u8(w, 0);		/* header CRC, set by fw_end */
}

/* Close the file: data size, header CRC (if hcrc and 14 bytes), CRC. */
static size_t
fw_end(struct fw *w, int hcrc)
{
	uint8_t		*h = w->b + w->start;
	uint32_t	 dsize = (uint32_t)(w->len - w->start - w->hsize);
	uint16_t	 c;

	h[4] = dsize & 0xff;
	h[5] = (dsize >> 8) & 0xff;
	h[6] = (dsize >> 16) & 0xff;
	h[7] = (dsize >> 24) & 0xff;
	if (w->hsize >= 14 && hcrc) {
		c = crc16(h, 12);
		h[12] = c & 0xff;
		h[13] = c >> 8;
	}
	c = crc16(h, w->len - w->start);
	fw_uint(w, c, 2, 0);
	return w->len;
}

struct fdef {
	uint8_t	num, size, base;
};

static void
fw_def(struct fw *w, unsigned local, int be, unsigned global,
    const struct fdef *f, size_t n, const struct fdef *dev, size_t ndev)
{
	size_t i;

	fw_u8(w, 0x40 | (ndev > 0 ? 0x20 : 0) | local);
	fw_u8(w, 0);			/* reserved */
	fw_u8(w, be ? 1 : 0);
	fw_uint(w, global, 2, be);
	fw_u8(w, (unsigned)n);
	for (i = 0; i < n; i++) {
		fw_u8(w, f[i].num);
		fw_u8(w, f[i].size);
		fw_u8(w, f[i].base);
	}
	if (ndev > 0) {
		fw_u8(w, (unsigned)ndev);
		for (i = 0; i < ndev; i++) {
			fw_u8(w, dev[i].num);
			fw_u8(w, dev[i].size);
			fw_u8(w, dev[i].base);	/* developer data index */
		}
	}
}

/* The record fields the tests write, in this order. */
static const struct fdef rec_fields[] = {
	{ 253, 4, BT_UINT32 },	/* timestamp */
	{ 0, 4, BT_SINT32 },	/* position_lat */
	{ 1, 4, BT_SINT32 },	/* position_long */
	{ 2, 2, BT_UINT16 },	/* altitude */
	{ 3, 1, BT_UINT8 },	/* heart_rate */
	{ 4, 1, BT_UINT8 },	/* cadence */
	{ 5, 4, BT_UINT32 },	/* distance */
	{ 6, 2, BT_UINT16 },	/* speed */
	{ 53, 1, BT_UINT8 },	/* fractional_cadence */
};
#define REC_NFIELDS	(sizeof(rec_fields) / sizeof(rec_fields[0]))

struct rawrec {
	uint32_t	ts;
	int32_t		lat, lon;
	uint16_t	alt;
	uint8_t		hr, cad;
	uint32_t	dist;
	uint16_t	spd;
	uint8_t		frac;
};

static void
fw_rec(struct fw *w, unsigned local, int be, const struct rawrec *r)
{
	fw_u8(w, local);
	fw_uint(w, r->ts, 4, be);
	fw_uint(w, (uint32_t)r->lat, 4, be);
	fw_uint(w, (uint32_t)r->lon, 4, be);
	fw_uint(w, r->alt, 2, be);
	fw_u8(w, r->hr);
	fw_u8(w, r->cad);
	fw_uint(w, r->dist, 4, be);
	fw_uint(w, r->spd, 2, be);
	fw_u8(w, r->frac);
}

/* A plausible record i of a run: 1 s apart, 3 m/s, climbing. */
static struct rawrec
mkrec(unsigned i)
{
	struct rawrec r;

	r.ts = TS0 + i;
	r.lat = 480000000 + (int32_t)i * 1000;
	r.lon = -70000000 - (int32_t)i * 500;
	r.alt = (uint16_t)((100 + 500 + i * 0.2) * 5);	/* 100 m + 0.2 m/s */
	r.hr = (uint8_t)(120 + i % 30);
	r.cad = (uint8_t)(85 + i % 3);
	r.dist = 300 * i;			/* 3 m per s, in cm */
	r.spd = 3000;
	r.frac = (uint8_t)(i * 16 % 128);
	return r;
}

/* A small valid file: n records in byte order be. */
static size_t
mkfile(struct fw *w, unsigned n, int be)
{
	unsigned	i;
	struct rawrec	r;

	memset(w, 0, sizeof(*w));
	fw_begin(w, 14);
	fw_def(w, 0, be, 20, rec_fields, REC_NFIELDS, NULL, 0);
	for (i = 0; i < n; i++) {
		r = mkrec(i);
		fw_rec(w, 0, be, &r);
	}
	return fw_end(w, 1);
}

/* Decode b[0..len) from a heap block of exactly len bytes, so that a read
 * past the end trips ASan. Returns the activity or NULL with *err. */
static struct activity *
decode(const uint8_t *b, size_t len, struct activity_err *err)
{
	struct activity	*a = activity_new();
	uint8_t		*copy = malloc(len > 0 ? len : 1);

	if (a == NULL || copy == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(copy, b, len);
	memset(err, 0, sizeof(*err));
	if (fit_decode(copy, len, a, err) != 0) {
		free(copy);
		activity_free(a);
		return NULL;
	}
	free(copy);
	return a;
}

/* Recompute the trailing file CRC of a one-file buffer after an edit. */
static void
refix(uint8_t *b, size_t len)
{
	uint16_t c = crc16(b, len - 2);

	b[len - 2] = c & 0xff;
	b[len - 1] = c >> 8;
}

/* 1 if decoding refuses b[0..len) with a reason. */
static int
refused(const uint8_t *b, size_t len, const char *want)
{
	struct activity_err	 err;
	struct activity		*a = decode(b, len, &err);

	if (a != NULL) {
		activity_free(a);
		return 0;
	}
	if (err.why == NULL || err.why[0] == '\0')
		return 0;
	if (want != NULL && strstr(err.why, want) == NULL) {
		fprintf(stderr, "refused for \"%s\", wanted \"%s\"\n",
		    err.why, want);
		return 0;
	}
	return 1;
}

/* ---- hand-made files ---- */

static void
test_records(int be)
{
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	struct rawrec		 r;
	unsigned		 i;
	size_t			 len = mkfile(&w, 20, be);

	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->fmt == ACTIVITY_FMT_FIT);
	CHECK(a->n == 20);
	CHECK(a->dropped == 0);
	CHECK(a->flags == 0);
	for (i = 0; i < a->n; i++) {
		const struct activity_rec *x = &a->rec[i];

		r = mkrec(i);
		CHECK(x->t_ms == ((int64_t)r.ts + FIT_EPOCH) * 1000);
		CHECK(x->has == (ACTIVITY_HAS_DIST | ACTIVITY_HAS_SPD |
		    ACTIVITY_HAS_ALT | ACTIVITY_HAS_CAD | ACTIVITY_HAS_HR |
		    ACTIVITY_HAS_POS));
		CHECK_NEAR(x->dist_m, r.dist / 100.0, 1e-9);
		CHECK_NEAR(x->spd_mps, 3.0, 1e-6);
		CHECK_NEAR(x->alt_m, r.alt / 5.0 - 500, 1e-4);
		CHECK(x->hr_bpm == r.hr);
		/* steps/min = 2 x (strides + fractional / 128) */
		CHECK_NEAR(x->cad_spm, 2.0 * (r.cad + r.frac / 128.0), 1e-4);
		CHECK_NEAR(x->lat_deg, r.lat * (180.0 / 2147483648.0), 1e-9);
		CHECK_NEAR(x->lon_deg, r.lon * (180.0 / 2147483648.0), 1e-9);
	}
	activity_free(a);
}

/* Compressed timestamp headers: 5 bits of offset from the last full
 * timestamp, rolling over every 32 s. */
static void
test_compressed_timestamps(void)
{
	static const struct fdef ts_only[] = { { 253, 4, BT_UINT32 } };
	static const struct fdef hr_only[] = { { 3, 1, BT_UINT8 } };
	static const uint8_t offs[] = { 29, 31, 2, 3, 30, 1 };
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	uint32_t		 base = TS0 - (TS0 % 32) + 28;	/* low bits 28 */
	uint32_t		 want[6] = {
		base + 1, base + 3, base + 6, base + 7, base + 34, base + 37
	};
	size_t			 len, i;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 0, 20, ts_only, 1, NULL, 0);
	fw_def(&w, 1, 0, 20, hr_only, 1, NULL, 0);
	fw_u8(&w, 0);			/* a full timestamp anchors them */
	fw_uint(&w, base, 4, 0);
	for (i = 0; i < 6; i++) {
		fw_u8(&w, 0x80 | (1 << 5) | offs[i]);	/* local type 1 */
		fw_u8(&w, (unsigned)(100 + i));
	}
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->n == 7);
	for (i = 0; i < 6 && i + 1 < a->n; i++) {
		CHECK(a->rec[i + 1].t_ms == ((int64_t)want[i] + FIT_EPOCH) *
		    1000);
		CHECK(a->rec[i + 1].hr_bpm == 100 + i);
	}
	activity_free(a);

	/* Before any full timestamp a compressed one has no anchor: the
	 * record has no time and is dropped, not placed at 1989. */
	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 1, 0, 20, hr_only, 1, NULL, 0);
	fw_u8(&w, 0x80 | (1 << 5) | 5);
	fw_u8(&w, 99);
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->n == 0 && a->dropped == 1);
		activity_free(a);
	}
}

/* enhanced_speed and enhanced_altitude win over the 16-bit fields;
 * invalid values are absent; fields of the wrong size are ignored. */
static void
test_fields(void)
{
	static const struct fdef f[] = {
		{ 253, 4, BT_UINT32 },
		{ 6, 2, BT_UINT16 },	/* speed 1.000 */
		{ 73, 4, BT_UINT32 },	/* enhanced_speed 3.456 */
		{ 2, 2, BT_UINT16 },	/* altitude 10 m */
		{ 78, 4, BT_UINT32 },	/* enhanced_altitude 7000 m */
		{ 3, 1, BT_UINT8 },	/* heart_rate: invalid 0xff */
		{ 5, 4, BT_UINT32 },	/* distance: invalid */
		{ 0, 4, BT_SINT32 },	/* lat: invalid 0x7fffffff */
		{ 1, 4, BT_SINT32 },
		{ 4, 2, BT_UINT8 },	/* cadence as uint8[2]: ignored */
		{ 200, 3, BT_STRING },	/* unknown field: skipped */
	};
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	size_t			 len;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 12);		/* a 12-byte header, no CRC there */
	fw_def(&w, 3, 0, 20, f, sizeof(f) / sizeof(f[0]), NULL, 0);
	fw_u8(&w, 3);
	fw_uint(&w, TS0, 4, 0);
	fw_uint(&w, 1000, 2, 0);
	fw_uint(&w, 3456, 4, 0);
	fw_uint(&w, (10 + 500) * 5, 2, 0);
	fw_uint(&w, (7000 + 500) * 5, 4, 0);
	fw_u8(&w, 0xff);
	fw_uint(&w, 0xffffffff, 4, 0);
	fw_uint(&w, 0x7fffffff, 4, 0);
	fw_uint(&w, 12345, 4, 0);
	fw_uint(&w, 90, 2, 0);
	fw_u8(&w, 'a');
	fw_u8(&w, 'b');
	fw_u8(&w, 0);
	len = fw_end(&w, 0);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->n == 1);
	CHECK(a->rec[0].has == (ACTIVITY_HAS_SPD | ACTIVITY_HAS_ALT));
	CHECK_NEAR(a->rec[0].spd_mps, 3.456, 1e-6);
	CHECK_NEAR(a->rec[0].alt_m, 7000, 1e-3);
	activity_free(a);
}

/*
 * Fields declared with a base type other than the profile's are read by
 * the declared type, and kept only within sane ranges: a float64 heart
 * rate of 1e300, a negative cadence, a sint64 timestamp beyond 32 bits.
 */
static void
test_odd_types(void)
{
	static const struct fdef f[] = {
		{ 253, 8, 0x8e },	/* timestamp as sint64 */
		{ 3, 8, 0x89 },		/* heart_rate as float64 */
		{ 4, 1, BT_SINT8 },	/* cadence as sint8 */
		{ 6, 4, 0x88 },		/* speed as float32 */
		{ 78, 8, 0x89 },	/* enhanced_altitude as float64 */
		{ 5, 4, BT_UINT32Z },	/* distance as uint32z: 0 invalid */
	};
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	double			 big = 1e300, alt = (1650 + 500) * 5.0;
	float			 spd = 3250.0f;
	uint64_t		 u;
	uint32_t		 u32;
	size_t			 len;
	int			 i;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 0, 20, f, sizeof(f) / sizeof(f[0]), NULL, 0);
	for (i = 0; i < 2; i++) {
		fw_u8(&w, 0);
		fw_uint(&w, i == 0 ? TS0 : 1ULL << 40, 8, 0);
		memcpy(&u, &big, 8);
		fw_uint(&w, u, 8, 0);
		fw_u8(&w, 0xfb);		/* -5 */
		memcpy(&u32, &spd, 4);
		fw_uint(&w, u32, 4, 0);
		memcpy(&u, i == 0 ? &alt : &big, 8);
		fw_uint(&w, u, 8, 0);
		fw_uint(&w, 0, 4, 0);
	}
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->n == 1 && a->dropped == 1);	/* 2^40 s: no time */
	CHECK(a->rec[0].t_ms == ((int64_t)TS0 + FIT_EPOCH) * 1000);
	CHECK(a->rec[0].has == (ACTIVITY_HAS_SPD | ACTIVITY_HAS_ALT));
	CHECK_NEAR(a->rec[0].spd_mps, 3.25, 1e-6);
	CHECK_NEAR(a->rec[0].alt_m, 1650, 1e-3);
	activity_free(a);
}

/* Developer fields are skipped by their declared size; the record data
 * around them still lines up. */
static void
test_developer_fields(void)
{
	static const struct fdef f[] = {
		{ 253, 4, BT_UINT32 }, { 3, 1, BT_UINT8 }
	};
	static const struct fdef dev[] = {
		{ 0, 4, 0 },		/* e.g. Stryd power, float32 */
		{ 1, 7, 0 },		/* a string */
		{ 2, 2, 1 }		/* another developer */
	};
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	size_t			 len, i;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 2, 1, 20, f, 2, dev, 3);	/* big endian, too */
	for (i = 0; i < 3; i++) {
		fw_u8(&w, 2);
		fw_uint(&w, TS0 + i, 4, 1);
		fw_u8(&w, (unsigned)(140 + i));
		fw_uint(&w, 0xdeadbeef, 4, 1);
		fw_uint(&w, 0x40404040404040ULL, 7, 1);	/* '@' x 7 */
		fw_uint(&w, 0x4242, 2, 1);
	}
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->n == 3);
	for (i = 0; i < a->n; i++) {
		CHECK(a->rec[i].hr_bpm == 140 + i);
		CHECK(a->rec[i].t_ms == ((int64_t)TS0 + (int64_t)i +
		    FIT_EPOCH) * 1000);
	}
	activity_free(a);
}

static void
test_session(void)
{
	static const struct fdef f[] = {
		{ 253, 4, BT_UINT32 }, { 5, 1, BT_ENUM }, { 7, 4, BT_UINT32 },
		{ 8, 4, BT_UINT32 }, { 9, 4, BT_UINT32 }, { 18, 1, BT_UINT8 },
		{ 92, 1, BT_UINT8 }, { 22, 2, BT_UINT16 },
		{ 23, 2, BT_UINT16 }
	};
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	size_t			 len;
	int			 be;

	for (be = 0; be <= 1; be++) {
		memset(&w, 0, sizeof(w));
		fw_begin(&w, 14);
		fw_def(&w, 0, be, 20, rec_fields, REC_NFIELDS, NULL, 0);
		{
			struct rawrec r = mkrec(0);

			fw_rec(&w, 0, be, &r);
		}
		fw_def(&w, 0, be, 18, f, sizeof(f) / sizeof(f[0]), NULL, 0);
		fw_u8(&w, 0);
		fw_uint(&w, TS0 + 4000, 4, be);
		fw_u8(&w, 1);				/* running */
		fw_uint(&w, 3883300, 4, be);		/* ms */
		fw_uint(&w, 3772800, 4, be);
		fw_uint(&w, 1024870, 4, be);		/* cm */
		fw_u8(&w, 88);				/* strides/min */
		fw_u8(&w, 64);				/* + 0.5 */
		fw_uint(&w, 347, 2, be);
		fw_uint(&w, 371, 2, be);
		len = fw_end(&w, 1);
		a = decode(w.b, len, &err);
		CHECK(a != NULL);
		if (a == NULL)
			continue;
		CHECK(a->sport == ACTIVITY_SPORT_RUNNING);
		CHECK(a->file.has == (ACTIVITY_TOT_ELAPSED |
		    ACTIVITY_TOT_TIMER | ACTIVITY_TOT_DIST | ACTIVITY_TOT_CAD |
		    ACTIVITY_TOT_ASCENT | ACTIVITY_TOT_DESCENT));
		CHECK_NEAR(a->file.elapsed_s, 3883.3, 1e-9);
		CHECK_NEAR(a->file.timer_s, 3772.8, 1e-9);
		CHECK_NEAR(a->file.dist_m, 10248.7, 1e-9);
		CHECK_NEAR(a->file.avg_cad_spm, 177, 1e-9);
		CHECK_NEAR(a->file.ascent_m, 347, 0);
		CHECK_NEAR(a->file.descent_m, 371, 0);
		activity_free(a);
	}
}

/*
 * compressed_speed_distance (FR70 + foot pod): 12 bits of speed (1/100
 * m/s) and a 12-bit rolling distance (1/16 m) that must be accumulated
 * across its wrap at 256 m.
 */
static void
test_compressed_speed_distance(void)
{
	static const struct fdef f[] = {
		{ 253, 4, BT_UINT32 }, { 8, 3, BT_BYTE }
	};
	/* distance steps in 1/16 m: the counter wraps twice */
	static const uint32_t step[] = { 0, 1000, 2000, 2000, 100, 4000 };
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	uint32_t		 cnt = 0, spd, v;
	double			 acc = 0;
	size_t			 len, i;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 1, 20, f, 2, NULL, 0);	/* byte arrays ignore BE */
	for (i = 0; i < 6; i++) {
		cnt = (cnt + step[i]) & 0xfff;
		spd = (uint32_t)(250 + i);
		v = spd | cnt << 12;
		fw_u8(&w, 0);
		fw_uint(&w, TS0 + 5 * i, 4, 1);
		fw_u8(&w, v & 0xff);
		fw_u8(&w, (v >> 8) & 0xff);
		fw_u8(&w, (v >> 16) & 0xff);
	}
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->n == 6);
	for (i = 0; i < a->n; i++) {
		acc += step[i] / 16.0;
		CHECK((a->rec[i].has & (ACTIVITY_HAS_SPD | ACTIVITY_HAS_DIST))
		    == (ACTIVITY_HAS_SPD | ACTIVITY_HAS_DIST));
		CHECK_NEAR(a->rec[i].spd_mps, (250 + i) / 100.0, 1e-6);
		CHECK_NEAR(a->rec[i].dist_m, acc, 1e-9);
	}
	activity_free(a);
}

/* Two chained FIT files read as one run; garbage after them is not. */
static void
test_chained(void)
{
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	struct rawrec		 r;
	size_t			 len, i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		fw_begin(&w, 14);
		fw_def(&w, 5, (int)i, 20, rec_fields, REC_NFIELDS, NULL, 0);
		r = mkrec((unsigned)i * 10);
		fw_rec(&w, 5, (int)i, &r);
		fw_end(&w, 1);
	}
	len = w.len;
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->n == 2);
		CHECK(a->n == 2 && a->rec[1].t_ms - a->rec[0].t_ms == 10000);
		activity_free(a);
	}
	w.b[len] = 0;
	CHECK(refused(w.b, len + 1, "trailing bytes"));
	memcpy(w.b + len, "\x0e\x20\x00\x00\x00\x00\x00\x00.FIT", 12);
	CHECK(refused(w.b, len + 12, "truncated"));
}

/* Time: FIT timestamps below 0x10000000 count from the device's power-up
 * (the FR70 whose clock was never set); records going back are dropped,
 * records at the same second merged. */
static void
test_time(void)
{
	static const struct fdef f[] = {
		{ 253, 4, BT_UINT32 }, { 3, 1, BT_UINT8 }, { 6, 2, BT_UINT16 }
	};
	static const struct { uint32_t ts; uint8_t hr; uint16_t spd; } in[] = {
		{ 17217869, 90, 0xffff }, { 17217870, 91, 0xffff },
		{ 17217870, 0xff, 2500 },	/* same second: merged */
		{ 17217860, 92, 0xffff },	/* back in time: dropped */
		{ 17217875, 93, 0xffff }
	};
	struct fw		 w;
	struct activity_err	 err;
	struct activity		*a;
	size_t			 len, i;

	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 0, 20, f, 3, NULL, 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		fw_u8(&w, 0);
		fw_uint(&w, in[i].ts, 4, 0);
		fw_u8(&w, in[i].hr);
		fw_uint(&w, in[i].spd, 2, 0);
	}
	len = fw_end(&w, 1);
	a = decode(w.b, len, &err);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK(a->flags & ACTIVITY_F_RELATIVE_TIME);
	CHECK(a->n == 3);
	CHECK(a->dropped == 1);
	CHECK(a->n == 3 && a->rec[1].hr_bpm == 91 &&
	    (a->rec[1].has & ACTIVITY_HAS_SPD) &&
	    fabsf(a->rec[1].spd_mps - 2.5f) < 1e-6f);
	CHECK(a->n == 3 && a->rec[2].hr_bpm == 93);
	CHECK(a->rec[0].t_ms == (17217869 + FIT_EPOCH) * 1000);
	activity_free(a);
}

/* Every structural fault is refused, with its own reason. */
static void
test_refusals(void)
{
	struct fw	w;
	uint8_t		b[sizeof(w.b)];
	size_t		len, i;

	len = mkfile(&w, 5, 0);
	memcpy(b, w.b, len);

	CHECK(refused(b, 0, "empty"));
	b[8] = 'X';
	CHECK(refused(b, len, "not a FIT file"));
	memcpy(b, w.b, len);
	b[0] = 11;
	CHECK(refused(b, len, "not a FIT file"));
	memcpy(b, w.b, len);
	b[1] = 0x30;			/* protocol 3.0 */
	CHECK(refused(b, len, "protocol version"));
	memcpy(b, w.b, len);
	b[12] ^= 1;
	CHECK(refused(b, len, "header CRC"));
	memcpy(b, w.b, len);
	b[12] = b[13] = 0;		/* zero: not computed, fine */
	refix(b, len);
	CHECK(!refused(b, len, NULL));
	memcpy(b, w.b, len);
	b[len - 1] ^= 0x80;
	CHECK(refused(b, len, "file CRC"));
	memcpy(b, w.b, len);
	b[4] += 1;			/* data size one more than there is */
	b[12] = b[13] = 0;
	CHECK(refused(b, len, "truncated"));

	/* A data message for a local type never defined. */
	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_u8(&w, 7);
	fw_uint(&w, 0, 4, 0);
	len = fw_end(&w, 1);
	CHECK(refused(w.b, len, "undefined local type"));

	/* A definition with architecture 2. */
	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 0, 20, rec_fields, REC_NFIELDS, NULL, 0);
	w.b[14 + 2] = 2;
	len = fw_end(&w, 1);
	CHECK(refused(w.b, len, "architecture"));

	/* Messages cut short inside the data (CRC kept valid). */
	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_def(&w, 0, 0, 20, rec_fields, REC_NFIELDS, NULL, 0);
	fw_u8(&w, 0);
	fw_uint(&w, TS0, 4, 0);		/* 4 of 23 bytes */
	len = fw_end(&w, 1);
	CHECK(refused(w.b, len, "truncated data message"));
	memset(&w, 0, sizeof(w));
	fw_begin(&w, 14);
	fw_u8(&w, 0x40);
	fw_u8(&w, 0);
	fw_u8(&w, 0);
	fw_uint(&w, 20, 2, 0);
	fw_u8(&w, 3);			/* three fields, none follow */
	len = fw_end(&w, 1);
	CHECK(refused(w.b, len, "truncated definition"));

	/* Every prefix of a valid file is refused, with a reason. */
	len = mkfile(&w, 8, 1);
	for (i = 0; i < len; i++)
		CHECK(refused(w.b, i, NULL));
	CHECK(!refused(w.b, len, NULL));
}

/* ---- real files ---- */

static const char *actdir;

static uint8_t *
slurp(const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*f;
	uint8_t	*b;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", actdir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static struct activity *
load(const char *name)
{
	char			 path[1024], e[256];
	struct activity_err	 err;
	struct activity		*a;

	snprintf(path, sizeof(path), "%s/%s", actdir, name);
	if ((a = activity_load(path, &err)) == NULL)
		fprintf(stderr, "%s: %s\n", name,
		    activity_strerror(&err, e, sizeof(e)));
	return a;
}

/* The record at FIT time ts (s), or NULL. */
static const struct activity_rec *
at(const struct activity *a, int64_t ts)
{
	int64_t	t = (ts + FIT_EPOCH) * 1000;
	size_t	lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->rec[mid].t_ms < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->n && a->rec[lo].t_ms == t ? &a->rec[lo] : NULL;
}

/* expected/garmin-fr70...csv: FIT s, HR, speed, distance from
 * compressed_speed_distance, cadence in strides/min ("null": none). */
static void
test_csv_fr70(void)
{
	char			 path[1024], line[256], cad[16];
	struct activity		*a;
	FILE			*f;
	long			 ts, hr;
	double			 spd, dist;
	int			 rows = 0, matched = 0;

	snprintf(path, sizeof(path), "%s/expected/"
	    "garmin-fr70_sdm4-footpod_run_10.2km.records.csv", actdir);
	if ((f = fopen(path, "r")) == NULL ||
	    (a = load("garmin-fr70_sdm4-footpod_run_10.2km.fit")) == NULL) {
		printf("test_fit: FR70 reference absent, skipped\n");
		if (f != NULL)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		const struct activity_rec *r;

		if (sscanf(line, "%ld,%ld,%lf,%lf,%15s", &ts, &hr, &spd,
		    &dist, cad) != 5)
			continue;
		rows++;
		if ((r = at(a, ts)) == NULL)
			continue;
		matched++;
		CHECK(r->hr_bpm == hr);
		CHECK_NEAR(r->spd_mps, spd, 1e-6);
		CHECK_NEAR(r->dist_m, dist, 1e-9);
		if (strcmp(cad, "null") == 0)
			CHECK(!(r->has & ACTIVITY_HAS_CAD));
		else
			CHECK_NEAR(r->cad_spm, 2 * atof(cad), 1e-9);
	}
	fclose(f);
	CHECK(rows == 754);
	CHECK(matched == rows);
	CHECK(a->flags & ACTIVITY_F_RELATIVE_TIME);	/* 1990 */
	activity_free(a);
}

/* expected/garmin-fenix5...csv: a PDT date, HR, cadence (strides/min
 * without the fractional part), speed, distance, lat/long semicircles,
 * altitude, temperature. */
static void
test_csv_fenix5(void)
{
	static const char *const mon[12] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	char			 path[1024], line[256], m[4];
	struct activity		*a;
	FILE			*f;
	int			 day, hh, mm, ss, year, mo, rows = 0, matched = 0;
	long			 hr, cad, lat, lon;
	double			 spd, dist, alt;
	int64_t			 days, ts;

	snprintf(path, sizeof(path), "%s/expected/"
	    "garmin-fenix5_run_57s.records.csv", actdir);
	if ((f = fopen(path, "r")) == NULL ||
	    (a = load("garmin-fenix5_run_57s.fit")) == NULL) {
		printf("test_fit: fenix 5 reference absent, skipped\n");
		if (f != NULL)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		const struct activity_rec *r;

		if (sscanf(line, "%*3s %3s %d %d:%d:%d PDT %d,%ld,%ld,%lf,%lf,"
		    "%ld,%ld,%lf", m, &day, &hh, &mm, &ss, &year, &hr, &cad,
		    &spd, &dist, &lat, &lon, &alt) != 13)
			continue;
		rows++;
		for (mo = 0; mo < 12 && strcmp(m, mon[mo]) != 0; mo++)
			;
		CHECK(year == 2017 && mo == 5);		/* June 2017 */
		/* days from 1970-01-01 to 2017-06-01 = 17318 */
		days = 17318 + day - 1;
		ts = days * 86400 + (hh + 7) * 3600 + mm * 60 + ss -
		    FIT_EPOCH;			/* PDT is UTC-7 */
		if ((r = at(a, ts)) == NULL)
			continue;
		matched++;
		CHECK(r->hr_bpm == hr);
		CHECK((long)floor(r->cad_spm / 2 + 1e-6) == cad);
		CHECK_NEAR(r->spd_mps, spd, 1e-6);
		CHECK_NEAR(r->dist_m, dist, 1e-9);
		CHECK_NEAR(r->lat_deg, lat * (180.0 / 2147483648.0), 1e-9);
		CHECK_NEAR(r->lon_deg, lon * (180.0 / 2147483648.0), 1e-9);
		CHECK_NEAR(r->alt_m, alt, 1e-4);
	}
	fclose(f);
	CHECK(rows == 21);
	CHECK(matched == rows);
	CHECK(a->n == 21);
	activity_free(a);
}

static const char *const fit_files[] = {
	"garmin-fenix2_run_9.0km.fit",
	"stryd_run_6.8km.fit",
	"garmin-fr70_sdm4-footpod_run_10.2km.fit",
	"garmin-fenix5_run_57s.fit",
	"garmin-fr920xt_stryd_run_16.8km.fit",
	"garmin-fr945_stryd_hilly-run_14.0km.fit",
	"garmin-fr945_stryd_treadmill_10.6km.fit",
	"suunto9baro_mountain-trail_8.2km.fit",
	"coros-apex-pro_run_10.7km.fit",
	"coros-apex-pro_hilly-run_21.5km.fit",
};
#define NFIT (sizeof(fit_files) / sizeof(fit_files[0]))

/* Recompute the header and file CRCs of a one-file buffer, so that a
 * corrupted copy reaches the message decoder instead of the CRC check. */
static void
fix_crcs(uint8_t *b, size_t len)
{
	size_t		hsize = b[0];
	uint32_t	dsize;
	uint16_t	c;

	if (len < 14 || hsize < 14 || hsize > len)
		return;
	c = crc16(b, 12);
	b[12] = c & 0xff;
	b[13] = c >> 8;
	dsize = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
	    (uint32_t)b[7] << 24;
	if (dsize > len - hsize || len - hsize - dsize < 2)
		return;
	c = crc16(b, hsize + dsize);
	b[hsize + dsize] = c & 0xff;
	b[hsize + dsize + 1] = c >> 8;
}

/*
 * Hostile copies of every real file: prefixes (all of them for the small
 * fenix 5 file, 64 spread over the others) must be refused with a reason;
 * a flipped bit must be caught by the CRC; and with the CRCs fixed up the
 * same flips must decode or be refused without harm (ASan and UBSan
 * watch), leaving only sane, ordered records.
 */
static void
test_hostile_copies(void)
{
	struct activity_err	 err;
	struct activity		*a;
	uint8_t			*b, *m;
	size_t			 len, i, k, p, refusals = 0, decoded = 0;
	unsigned		 seed = 12345;

	for (i = 0; i < NFIT; i++) {
		if ((b = slurp(fit_files[i], &len)) == NULL) {
			printf("test_fit: %s absent, skipped\n", fit_files[i]);
			continue;
		}
		a = decode(b, len, &err);
		CHECK(a != NULL);
		activity_free(a);
		if (len < 8192) {
			for (p = 0; p < len; p++)
				CHECK(refused(b, p, NULL));
		} else {
			for (k = 0; k < 64; k++) {
				seed = seed * 1103515245 + 12345;
				p = k == 0 ? len - 1 : (seed >> 8) % len;
				CHECK(refused(b, p, NULL));
			}
		}
		if ((m = malloc(len)) == NULL)
			exit(1);
		for (k = 0; k < 32; k++) {
			memcpy(m, b, len);
			seed = seed * 1103515245 + 12345;
			p = (seed >> 8) % len;
			m[p] ^= (uint8_t)(1u << (seed % 8));
			CHECK(refused(m, len, NULL));	/* CRC-16 sees it */
			fix_crcs(m, len);
			a = decode(m, len, &err);
			if (a == NULL) {
				CHECK(err.why != NULL);
				refusals++;
				continue;
			}
			decoded++;
			activity_finish(a);
			for (p = 1; p < a->n; p++)
				CHECK(a->rec[p].t_ms > a->rec[p - 1].t_ms);
			CHECK(a->n <= ACTIVITY_REC_MAX);
			activity_free(a);
		}
		free(m);
		free(b);
	}
	printf("test_fit: bit flips past the CRC: %zu decoded, %zu refused\n",
	    decoded, refusals);
}

int
main(void)
{
	test_records(0);
	test_records(1);
	test_compressed_timestamps();
	test_fields();
	test_odd_types();
	test_developer_fields();
	test_session();
	test_compressed_speed_distance();
	test_chained();
	test_time();
	test_refusals();

	if ((actdir = getenv("STRIDE_ACTIVITIES")) == NULL)
		printf("test_fit: STRIDE_ACTIVITIES not set, real files "
		    "skipped\n");
	else if (access(actdir, R_OK | X_OK) != 0)
		printf("test_fit: %s absent, real files skipped\n", actdir);
	else {
		test_csv_fr70();
		test_csv_fenix5();
		test_hostile_copies();
	}
	return check_done("test_fit");
}
