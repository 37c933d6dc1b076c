/*
 * fit.c - the FIT reader: Garmin's Flexible and Interoperable Data
 * Transfer format, decoded from its published description (FIT SDK,
 * "FIT Protocol" and the global profile), without the SDK.
 *
 * What it reads: record messages (20) into struct activity_rec, session
 * messages (18) into the file's totals, the sport from the first session
 * (or a sport message, 12). Everything else is skipped by its declared
 * size, developer fields included: their sizes are in the definition
 * message, so skipping them needs no developer data definitions (206, 207).
 *
 * Layout, and what is checked before it is used:
 *  1. File header, 12 or more bytes: header size, protocol version (major
 *     1 or 2), profile version, data size (LE32), ".FIT", then on 14-byte
 *     headers a CRC over the first 12 bytes, checked when non-zero.
 *  2. Data: header size .. header size + data size, a stream of messages,
 *     each a one-byte header then a definition or a data message. The data
 *     must fit in the file, and the two CRC bytes after it must match the
 *     CRC of everything before them (checked before any message is read,
 *     so a flipped bit is caught here, with a clear reason).
 *  3. Definition messages give a local type (0..15) a global message
 *     number, a byte order (architecture 0 little, 1 big endian) and a
 *     list of (field number, size, base type), plus developer fields
 *     (number, size, developer index) when the header says so.
 *  4. Data messages: a normal header names the local type; a compressed
 *     timestamp header (bit 7) names local type 0..3 and a 5-bit offset
 *     from the last timestamp seen in any message.
 *  5. More FIT files may follow (chained files); each is checked the same
 *     way, at most FIT_CHAIN_MAX of them. Other trailing bytes are refused.
 * Every value is read by its declared base type and size; a field whose
 * size is not its base type's size, or which holds its type's invalid
 * value (0xFF.., 0x7F.., or 0 for the z types), is absent.
 *
 * Never: trust a length before checking it against what is left, read
 * past len, allocate per message (records go to activity_push()), log.
 * Threading: no globals but constant tables.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stride/activity.h"

#define FIT_HDR_MIN	12		/* bytes: header without its CRC */
#define FIT_HDR_CRC	14		/* bytes: header with its CRC */
#define FIT_EPOCH_S	631065600LL	/* 1989-12-31T00:00:00Z, Unix s */
#define FIT_RELATIVE	0x10000000u	/* timestamps below: s since power-up */
#define FIT_LOCALS	16		/* local message types */
#define FIT_CHAIN_MAX	64		/* chained FIT files in one buffer */
#define FIT_PROTO_MAJOR	2		/* newest protocol major we know */
#define FIT_DIST_MAX	1e9		/* m: a million km; beyond: absent */
#define FIT_SPD_MAX	1e3		/* m/s */
#define FIT_ALT_MAX	1e5		/* m */
#define FIT_TOTAL_MAX	4294967295.0	/* any session field: a uint32 */

/* Global message numbers and field numbers of the profile we use. */
#define FIT_MSG_SPORT		12
#define FIT_MSG_SESSION		18
#define FIT_MSG_RECORD		20
#define FIT_FLD_TIMESTAMP	253	/* uint32, s since FIT_EPOCH_S */

#define REC_LAT			0	/* sint32, semicircles */
#define REC_LON			1	/* sint32, semicircles */
#define REC_ALT			2	/* uint16, 1/5 m, offset 500 m */
#define REC_HR			3	/* uint8, bpm */
#define REC_CAD			4	/* uint8, strides/min ("rpm") */
#define REC_DIST		5	/* uint32, 1/100 m */
#define REC_SPD			6	/* uint16, 1/1000 m/s */
#define REC_CSD			8	/* byte[3], compressed_speed_distance */
#define REC_FRAC_CAD		53	/* uint8, 1/128 strides/min */
#define REC_ENH_SPD		73	/* uint32, 1/1000 m/s */
#define REC_ENH_ALT		78	/* uint32, 1/5 m, offset 500 m */

#define SES_SPORT		5	/* enum */
#define SES_ELAPSED		7	/* uint32, ms */
#define SES_TIMER		8	/* uint32, ms */
#define SES_DIST		9	/* uint32, 1/100 m */
#define SES_AVG_CAD		18	/* uint8, strides/min */
#define SES_ASCENT		22	/* uint16, m */
#define SES_DESCENT		23	/* uint16, m */
#define SES_AVG_FRAC_CAD	92	/* uint8, 1/128 strides/min */

#define SPORT_SPORT		0	/* sport message: enum */

/* Base types, indexed by the low 5 bits of the base type byte. */
enum fit_kind { FK_NONE, FK_UINT, FK_SINT, FK_UINTZ, FK_FLOAT };
struct fit_base {
	uint8_t		size;
	uint8_t		kind;		/* enum fit_kind */
	uint64_t	invalid;
};
#define FIT_BASES	17
static const struct fit_base fit_bases[FIT_BASES] = {
	{ 1, FK_UINT, 0xff },			/* 0x00 enum */
	{ 1, FK_SINT, 0x7f },			/* 0x01 sint8 */
	{ 1, FK_UINT, 0xff },			/* 0x02 uint8 */
	{ 2, FK_SINT, 0x7fff },			/* 0x83 sint16 */
	{ 2, FK_UINT, 0xffff },			/* 0x84 uint16 */
	{ 4, FK_SINT, 0x7fffffff },		/* 0x85 sint32 */
	{ 4, FK_UINT, 0xffffffff },		/* 0x86 uint32 */
	{ 1, FK_NONE, 0 },			/* 0x07 string */
	{ 4, FK_FLOAT, 0xffffffff },		/* 0x88 float32 */
	{ 8, FK_FLOAT, UINT64_MAX },		/* 0x89 float64 */
	{ 1, FK_UINTZ, 0 },			/* 0x0a uint8z */
	{ 2, FK_UINTZ, 0 },			/* 0x8b uint16z */
	{ 4, FK_UINTZ, 0 },			/* 0x8c uint32z */
	{ 1, FK_NONE, 0xff },			/* 0x0d byte */
	{ 8, FK_SINT, 0x7fffffffffffffffULL },	/* 0x8e sint64 */
	{ 8, FK_UINT, UINT64_MAX },		/* 0x8f uint64 */
	{ 8, FK_UINTZ, 0 },			/* 0x90 uint64z */
};

struct fit_field {
	uint8_t		num;
	uint8_t		size;		/* bytes */
	uint8_t		base;		/* base type byte */
};

struct fit_def {
	int		defined;
	int		be;		/* architecture 1: big endian */
	uint16_t	global;		/* global message number */
	uint8_t		nfields;
	uint32_t	len;		/* bytes of a data message after its
					   header, developer fields included */
	struct fit_field f[255];
};

struct fit {
	const uint8_t		*p;
	size_t			 len;
	struct activity		*a;
	struct activity_err	*err;
	struct fit_def		 def[FIT_LOCALS];
	int			 have_ts;	/* a timestamp was seen */
	uint32_t		 ts;		/* the last one */
	int			 csd_have;	/* compressed distance seen */
	uint32_t		 csd_last;	/* its last 12-bit value */
	uint64_t		 csd_acc;	/* accumulated, 1/16 m */
	double			 cad_sum;	/* session cadences x weight */
	double			 cad_weight;
	int			 sessions;
};

static uint16_t
fit_crc(uint16_t crc, const uint8_t *p, size_t n)
{
	/* The FIT SDK's nibble-wise CRC-16 (polynomial 0x8005, reflected). */
	static const uint16_t t[16] = {
		0x0000, 0xcc01, 0xd801, 0x1400, 0xf001, 0x3c00, 0x2800, 0xe401,
		0xa001, 0x6c00, 0x7800, 0xb401, 0x5000, 0x9c01, 0x8801, 0x4400
	};
	uint16_t	tmp;
	size_t		i;

	for (i = 0; i < n; i++) {
		tmp = t[crc & 0xf];
		crc = (crc >> 4) & 0x0fff;
		crc = crc ^ tmp ^ t[p[i] & 0xf];
		tmp = t[crc & 0xf];
		crc = (crc >> 4) & 0x0fff;
		crc = crc ^ tmp ^ t[(p[i] >> 4) & 0xf];
	}
	return crc;
}

static uint32_t
fit_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
fit_fail(struct fit *ft, const char *why, size_t off)
{
	ft->err->why = why;
	ft->err->off = (int64_t)off;
	ft->err->line = 0;
	ft->err->errnum = 0;
	return -1;
}

/*
 * The value of field f at p as a double, unscaled. Returns 0, or -1 if
 * the field is absent: invalid value, a size other than its base type's
 * (arrays are not used by any field we read), a string or byte type, or
 * an unknown base type.
 */
static int
fit_value(const uint8_t *p, const struct fit_field *f, int be, double *out)
{
	const struct fit_base	*b;
	uint64_t		 u = 0;
	unsigned		 i, n;

	if ((f->base & 0x1f) >= FIT_BASES)
		return -1;
	b = &fit_bases[f->base & 0x1f];
	if (b->kind == FK_NONE || f->size != b->size)
		return -1;
	n = b->size;
	for (i = 0; i < n; i++)
		u |= (uint64_t)p[i] << (be ? 8 * (n - 1 - i) : 8 * i);
	if (u == b->invalid)
		return -1;
	switch (b->kind) {
	case FK_UINT:
	case FK_UINTZ:
		*out = (double)u;
		return 0;
	case FK_SINT:
		if (n < 8 && (u >> (8 * n - 1)) & 1)
			u |= ~0ULL << (8 * n);	/* sign-extend */
		{
			int64_t s;

			memcpy(&s, &u, sizeof(s));
			*out = (double)s;
		}
		return 0;
	case FK_FLOAT:
		if (n == 4) {
			uint32_t	u32 = (uint32_t)u;
			float		fl;

			memcpy(&fl, &u32, sizeof(fl));
			*out = fl;
		} else
			memcpy(out, &u, sizeof(*out));
		return isfinite(*out) ? 0 : -1;
	}
	return -1;
}

/*
 * v in [lo, hi]? Values are read by whatever base type the file declares
 * (a hostile file may declare a float64 heart rate), so every one is
 * checked before it is converted to a narrower type.
 */
static int
fit_in(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

static int64_t
fit_time_ms(struct fit *ft, uint32_t ts)
{
	if (ts < FIT_RELATIVE)
		ft->a->flags |= ACTIVITY_F_RELATIVE_TIME;
	return ((int64_t)ts + FIT_EPOCH_S) * 1000;
}

static enum activity_sport
fit_sport(double v)
{
	if (!fit_in(v, 0, 255))
		return ACTIVITY_SPORT_UNKNOWN;
	switch ((int)v) {
	case 0:
		return ACTIVITY_SPORT_UNKNOWN;	/* generic */
	case 1:
		return ACTIVITY_SPORT_RUNNING;
	case 11:
		return ACTIVITY_SPORT_WALKING;
	case 17:
		return ACTIVITY_SPORT_HIKING;
	default:
		return ACTIVITY_SPORT_OTHER;
	}
}

/*
 * compressed_speed_distance (FR70 with a foot pod, older ANT+ devices):
 * three bytes, little endian whatever the architecture (it is a byte
 * array): bits 0-11 speed in 1/100 m/s, bits 12-23 distance in 1/16 m, a
 * rolling counter that we accumulate as the SDK does (the first value
 * counts from zero).
 */
static void
fit_csd(struct fit *ft, const uint8_t *p, struct activity_rec *r)
{
	uint32_t v, d;

	if (p[0] == 0xff && p[1] == 0xff && p[2] == 0xff)
		return;
	v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	if ((v & 0xfff) != 0xfff) {
		r->spd_mps = (float)((v & 0xfff) / 100.0);
		r->has |= ACTIVITY_HAS_SPD;
	}
	d = (v >> 12) & 0xfff;
	ft->csd_acc += (d - (ft->csd_have ? ft->csd_last : 0)) & 0xfff;
	ft->csd_last = d;
	ft->csd_have = 1;
	r->dist_m = ft->csd_acc / 16.0;
	r->has |= ACTIVITY_HAS_DIST;
}

static int
fit_record(struct fit *ft, const struct fit_def *d, const uint8_t *m,
    int have_t, uint32_t t, size_t off)
{
	struct activity_rec	 r;
	const uint8_t		*p = m;
	double			 v, lat = 0, lon = 0, cad = 0, frac = 0;
	double			 alt = 0, ealt = 0, spd = 0, espd = 0;
	int			 hlat = 0, hlon = 0, hcad = 0, hfrac = 0;
	int			 halt = 0, healt = 0, hspd = 0, hespd = 0;
	unsigned		 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < d->nfields; p += d->f[i].size, i++) {
		const struct fit_field *f = &d->f[i];

		if (f->num == REC_CSD && f->size == 3) {
			fit_csd(ft, p, &r);
			continue;
		}
		if (fit_value(p, f, d->be, &v) != 0)
			continue;
		switch (f->num) {
		case FIT_FLD_TIMESTAMP:
			if (fit_in(v, 0, UINT32_MAX)) {
				have_t = 1;
				t = (uint32_t)v;
			}
			break;
		case REC_LAT:
			lat = v, hlat = 1;
			break;
		case REC_LON:
			lon = v, hlon = 1;
			break;
		case REC_ALT:
			if (fit_in(v, 0, (FIT_ALT_MAX + 500) * 5))
				alt = v, halt = 1;
			break;
		case REC_ENH_ALT:
			if (fit_in(v, 0, (FIT_ALT_MAX + 500) * 5))
				ealt = v, healt = 1;
			break;
		case REC_HR:
			if (fit_in(v, 0, 255)) {
				r.hr_bpm = (uint8_t)v;
				r.has |= ACTIVITY_HAS_HR;
			}
			break;
		case REC_CAD:
			if (fit_in(v, 0, 255))
				cad = v, hcad = 1;
			break;
		case REC_FRAC_CAD:
			if (fit_in(v, 0, 255))
				frac = v, hfrac = 1;
			break;
		case REC_DIST:
			if (fit_in(v, 0, FIT_DIST_MAX * 100)) {
				r.dist_m = v / 100.0;
				r.has |= ACTIVITY_HAS_DIST;
			}
			break;
		case REC_SPD:
			if (fit_in(v, 0, FIT_SPD_MAX * 1000))
				spd = v, hspd = 1;
			break;
		case REC_ENH_SPD:
			if (fit_in(v, 0, FIT_SPD_MAX * 1000))
				espd = v, hespd = 1;
			break;
		}
	}
	if (!have_t) {
		ft->a->dropped++;	/* nowhere to put it in time */
		return 0;
	}
	r.t_ms = fit_time_ms(ft, t);
	if (hlat && hlon) {
		r.lat_deg = lat * (180.0 / 2147483648.0);
		r.lon_deg = lon * (180.0 / 2147483648.0);
		if (fabs(r.lat_deg) <= 90 && fabs(r.lon_deg) <= 180)
			r.has |= ACTIVITY_HAS_POS;
		else
			r.lat_deg = r.lon_deg = 0;
	}
	if (healt || halt) {
		r.alt_m = (float)((healt ? ealt : alt) / 5.0 - 500.0);
		r.has |= ACTIVITY_HAS_ALT;
	}
	if (hespd || hspd) {
		r.spd_mps = (float)((hespd ? espd : spd) / 1000.0);
		r.has |= ACTIVITY_HAS_SPD;
	}
	if (hcad) {
		/* Running cadence is per leg; fractional_cadence adds 1/128s. */
		r.cad_spm = (float)(2.0 * (cad + (hfrac ? frac / 128.0 : 0)));
		r.has |= ACTIVITY_HAS_CAD;
	}
	if (activity_push(ft->a, &r, ft->err) != 0) {
		ft->err->off = (int64_t)off;
		return -1;
	}
	return 0;
}

static void
fit_session(struct fit *ft, const struct fit_def *d, const uint8_t *m)
{
	struct activity_totals	*tot = &ft->a->file;
	const uint8_t		*p = m;
	double			 v, timer = -1, cad = -1, frac = 0;
	unsigned		 i;

	for (i = 0; i < d->nfields; p += d->f[i].size, i++) {
		if (fit_value(p, &d->f[i], d->be, &v) != 0 ||
		    !fit_in(v, 0, FIT_TOTAL_MAX))
			continue;
		switch (d->f[i].num) {
		case SES_SPORT:
			if (ft->sessions == 0)
				ft->a->sport = fit_sport(v);
			break;
		case SES_ELAPSED:
			tot->elapsed_s += v / 1000.0;
			tot->has |= ACTIVITY_TOT_ELAPSED;
			break;
		case SES_TIMER:
			timer = v / 1000.0;
			tot->timer_s += timer;
			tot->has |= ACTIVITY_TOT_TIMER;
			break;
		case SES_DIST:
			tot->dist_m += v / 100.0;
			tot->has |= ACTIVITY_TOT_DIST;
			break;
		case SES_AVG_CAD:
			cad = v;
			break;
		case SES_AVG_FRAC_CAD:
			frac = v / 128.0;
			break;
		case SES_ASCENT:
			tot->ascent_m += v;
			tot->has |= ACTIVITY_TOT_ASCENT;
			break;
		case SES_DESCENT:
			tot->descent_m += v;
			tot->has |= ACTIVITY_TOT_DESCENT;
			break;
		}
	}
	if (cad >= 0) {
		/* Several sessions (multisport): weight by timer time. */
		double w = timer > 0 ? timer : 1;

		ft->cad_sum += 2.0 * (cad + frac) * w;
		ft->cad_weight += w;
		tot->avg_cad_spm = ft->cad_sum / ft->cad_weight;
		tot->has |= ACTIVITY_TOT_CAD;
	}
	ft->sessions++;
}

/* A definition message at p[0..left) (after its header byte). */
static int
fit_define(struct fit *ft, uint8_t hdr, const uint8_t *p, size_t left,
    size_t off, size_t *used)
{
	struct fit_def	*d = &ft->def[hdr & 0x0f];
	size_t		 n, nd, need, i;
	uint32_t	 len = 0;

	if (left < 5)
		return fit_fail(ft, "truncated definition message", off);
	if (p[1] > 1)
		return fit_fail(ft, "bad architecture in definition", off);
	n = p[4];
	need = 5 + 3 * n;
	if (left < need)
		return fit_fail(ft, "truncated definition message", off);
	d->defined = 0;		/* until it is whole */
	d->be = p[1];
	d->global = d->be ? (uint16_t)(p[2] << 8 | p[3]) :
	    (uint16_t)(p[3] << 8 | p[2]);
	d->nfields = (uint8_t)n;
	for (i = 0; i < n; i++) {
		d->f[i].num = p[5 + 3 * i];
		d->f[i].size = p[5 + 3 * i + 1];
		d->f[i].base = p[5 + 3 * i + 2];
		len += d->f[i].size;
	}
	if (hdr & 0x20) {	/* developer fields: sizes only */
		if (left < need + 1)
			return fit_fail(ft, "truncated definition message",
			    off);
		nd = p[need];
		if (left < need + 1 + 3 * nd)
			return fit_fail(ft, "truncated definition message",
			    off);
		for (i = 0; i < nd; i++)
			len += p[need + 1 + 3 * i + 1];
		need += 1 + 3 * nd;
	}
	d->len = len;
	d->defined = 1;
	*used = need;
	return 0;
}

/* The messages of one FIT file: p[start..end). */
static int
fit_messages(struct fit *ft, size_t start, size_t end)
{
	const struct fit_def	*d;
	size_t			 pos = start, off, used, i;
	uint32_t		 t = 0;
	uint8_t			 hdr;
	int			 have_t;
	double			 v;

	while (pos < end) {
		off = pos;
		hdr = ft->p[pos++];
		if (!(hdr & 0x80) && (hdr & 0x40)) {
			if (fit_define(ft, hdr, ft->p + pos, end - pos, off,
			    &used) != 0)
				return -1;
			pos += used;
			continue;
		}
		have_t = 0;
		if (hdr & 0x80) {
			/* Compressed timestamp: 5 bits of offset from the
			 * last full timestamp, rolling over every 32 s. */
			uint32_t o = hdr & 0x1f;

			d = &ft->def[(hdr >> 5) & 0x03];
			if (ft->have_ts) {
				t = (ft->ts & ~0x1fu) + o;
				if (o < (ft->ts & 0x1f))
					t += 0x20;
				ft->ts = t;
				have_t = 1;
			}
		} else
			d = &ft->def[hdr & 0x0f];
		if (!d->defined)
			return fit_fail(ft, "data message of an undefined "
			    "local type", off);
		if (end - pos < d->len)
			return fit_fail(ft, "truncated data message", off);
		/* Any message's timestamp anchors later compressed ones. */
		{
			const uint8_t *p = ft->p + pos;

			for (i = 0; i < d->nfields; p += d->f[i].size, i++)
				if (d->f[i].num == FIT_FLD_TIMESTAMP &&
				    fit_value(p, &d->f[i], d->be, &v) == 0 &&
				    fit_in(v, 0, UINT32_MAX)) {
					ft->ts = (uint32_t)v;
					ft->have_ts = 1;
				}
		}
		switch (d->global) {
		case FIT_MSG_RECORD:
			if (fit_record(ft, d, ft->p + pos, have_t, t, off) != 0)
				return -1;
			break;
		case FIT_MSG_SESSION:
			fit_session(ft, d, ft->p + pos);
			break;
		case FIT_MSG_SPORT:
			if (ft->sessions == 0 &&
			    ft->a->sport == ACTIVITY_SPORT_UNKNOWN) {
				const uint8_t *p = ft->p + pos;

				for (i = 0; i < d->nfields;
				    p += d->f[i].size, i++)
					if (d->f[i].num == SPORT_SPORT &&
					    fit_value(p, &d->f[i], d->be,
					    &v) == 0)
						ft->a->sport = fit_sport(v);
			}
			break;
		}
		pos += d->len;
	}
	return 0;
}

/* One FIT file at p[start..len); its end (after the CRC) in *next. */
static int
fit_file(struct fit *ft, size_t start, size_t *next)
{
	const uint8_t	*h = ft->p + start;
	size_t		 left = ft->len - start, hsize, dsize;
	uint16_t	 crc;

	if (left < FIT_HDR_MIN)
		return fit_fail(ft, "truncated file header", start);
	hsize = h[0];
	if (hsize < FIT_HDR_MIN || memcmp(h + 8, ".FIT", 4) != 0)
		return fit_fail(ft, "not a FIT file header", start);
	if ((h[1] >> 4) > FIT_PROTO_MAJOR)
		return fit_fail(ft, "unsupported FIT protocol version", start);
	if (left < hsize)
		return fit_fail(ft, "truncated file header", start);
	if (hsize >= FIT_HDR_CRC) {
		crc = (uint16_t)(h[12] | h[13] << 8);
		if (crc != 0 && crc != fit_crc(0, h, 12))
			return fit_fail(ft, "header CRC mismatch", start);
	}
	dsize = fit_le32(h + 4);
	if (left - hsize < 2 || dsize > left - hsize - 2)
		return fit_fail(ft, "truncated: shorter than its header says",
		    ft->len);
	crc = (uint16_t)(h[hsize + dsize] | h[hsize + dsize + 1] << 8);
	if (crc != fit_crc(0, h, hsize + dsize))
		return fit_fail(ft, "file CRC mismatch", start + hsize + dsize);
	/* Local definitions and the timestamp do not carry across files. */
	memset(ft->def, 0, sizeof(ft->def));
	ft->have_ts = 0;
	if (fit_messages(ft, start + hsize, start + hsize + dsize) != 0)
		return -1;
	*next = start + hsize + dsize + 2;
	return 0;
}

int
fit_decode(const void *buf, size_t len, struct activity *a,
    struct activity_err *err)
{
	struct fit	*ft;
	size_t		 pos = 0, next;
	int		 files, rc = -1;

	a->fmt = ACTIVITY_FMT_FIT;
	/* The decoder state holds 16 definitions of up to 255 fields (12 KiB):
	 * keep it off the stack of whoever calls us. */
	if ((ft = calloc(1, sizeof(*ft))) == NULL) {
		err->why = "out of memory";
		err->off = -1;
		err->line = 0;
		err->errnum = 0;
		return -1;
	}
	ft->p = buf;
	ft->len = len;
	ft->a = a;
	ft->err = err;
	if (len > ACTIVITY_FILE_MAX) {
		fit_fail(ft, "file too large", ACTIVITY_FILE_MAX);
		goto fail;
	}
	for (files = 0; pos < len; files++) {
		if (files == FIT_CHAIN_MAX) {
			fit_fail(ft, "too many chained FIT files", pos);
			goto fail;
		}
		if (files > 0 && (len - pos < FIT_HDR_MIN ||
		    memcmp(ft->p + pos + 8, ".FIT", 4) != 0)) {
			fit_fail(ft, "trailing bytes after the FIT file", pos);
			goto fail;
		}
		if (fit_file(ft, pos, &next) != 0)
			goto fail;
		pos = next;
	}
	if (files == 0) {
		fit_fail(ft, "empty file", 0);
		goto fail;
	}
	rc = 0;
 fail:
	free(ft);
	return rc;
}
