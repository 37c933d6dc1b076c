/*
 * codec.c - protocol v1 messages to and from JSON (see stride/codec.h and
 * docs/protocol.md).
 *
 * The only file of libstride that includes cJSON. Nothing past the codec
 * sees JSON: the hub and the agents deal in struct stride_msg.
 *
 * Decoding treats every byte as hostile. In order:
 *  1. size: 1..STRIDE_PAYLOAD_MAX bytes.
 *  2. a pre-scan (one pass, no allocation) that refuses nesting deeper than
 *     STRIDE_JSON_DEPTH_MAX before cJSON ever recurses, control bytes,
 *     invalid UTF-8, "\u0000" (which would cut a C string short, so that
 *     "start\u0000x" would read as "start"), and truncated input.
 *  3. cJSON parses a NUL-terminated copy on our stack. cJSON 1.7.x may read
 *     one byte past buffer_length (DaveGamble/cJSON#804), so we never hand
 *     it the caller's buffer, which has no NUL. Only whitespace may follow
 *     the value.
 *  4. one walk over each object's members: known keys go to slots, a second
 *     copy of any key is refused, unknown keys are ignored but checked for
 *     duplicates too (at most CODEC_UNKNOWN_MAX of them per object, so this
 *     stays cheap on hostile input).
 *  5. types, integrality and the ranges of protocol.h, field by field; the
 *     first problem found is returned as a short static string.
 * Cost per message: the copy, the pre-scan, cJSON's parse and a walk over
 * its tree; no heap but cJSON's own.
 *
 * Encoding validates the same ranges (a message we could not decode is
 * never sent) and rounds fractional fields to their wire resolution in
 * double before cJSON prints them, so the JSON stays short.
 *
 * Never: log (the caller decides, with the reason we return), keep state,
 * or use case-insensitive lookups.
 * Threading: no state of our own. cJSON writes a global error position on
 * every parse (we never read it), so concurrent decoding from several threads
 * races on that word only.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonscan.h"
#include "stride/codec.h"

#define CODEC_UNKNOWN_MAX	16	/* unknown keys allowed per object */
#define CODEC_FW_MAX		32	/* chars in a firmware version */
#define CODEC_PRINT_MAX		(STRIDE_PAYLOAD_MAX + 64) /* cJSON's slack */

/*
 * Top-level keys of every kind, found in one walk. A key that belongs to
 * another kind is ignored like an unknown key (after the same duplicate
 * check).
 */
enum codec_key {
	K_V, K_EPOCH, K_SEQ, K_ROLE, K_SAMPLES, K_T, K_TYPE, K_WHEN, K_LEVEL,
	K_SCORE, K_STATE, K_BATTERY, K_FW, K_CUES, K_COUNT
};
static const char *const codec_keys[K_COUNT] = {
	"v", "epoch", "seq", "role", "samples", "t", "type", "when", "level",
	"score", "state", "battery", "fw", "cues"
};
#define KB(k)	(1u << (k))

static const unsigned codec_kind_keys[STRIDE_KIND_COUNT] = {
	[STRIDE_KIND_TELEMETRY] = KB(K_V) | KB(K_EPOCH) | KB(K_SEQ) |
	    KB(K_ROLE) | KB(K_SAMPLES),
	[STRIDE_KIND_EVENT] = KB(K_V) | KB(K_EPOCH) | KB(K_SEQ) | KB(K_T) |
	    KB(K_TYPE) | KB(K_CUES),
	[STRIDE_KIND_SYMPTOM] = KB(K_V) | KB(K_EPOCH) | KB(K_SEQ) | KB(K_T) |
	    KB(K_WHEN) | KB(K_LEVEL) | KB(K_SCORE),
	[STRIDE_KIND_STATUS] = KB(K_V) | KB(K_STATE) | KB(K_EPOCH) |
	    KB(K_ROLE) | KB(K_BATTERY) | KB(K_FW),
	[STRIDE_KIND_ACK] = KB(K_V) | KB(K_EPOCH) | KB(K_SEQ),
};

/* Keys of one telemetry sample. */
enum codec_skey { S_T, S_CAD, S_SPD, S_GRADE, S_ALT, S_DIST, S_COUNT };
static const char *const codec_skeys[S_COUNT] = {
	"t", "cad", "spd", "grade", "alt", "dist"
};

/* A numeric field: its range and the reasons it can be refused. */
struct codec_num {
	double		 min, max;
	int		 integral;
	const char	*missing, *type, *frac, *range;
};
#define CODEC_NUM(label, lo, hi, integ) { (lo), (hi), (integ),		\
	label " missing", label " not a number", label " not an integer",	\
	label " out of range" }

static const struct codec_num codec_v = {
	STRIDE_PROTO_VERSION, STRIDE_PROTO_VERSION, 1,
	"v missing", "v not a number", "v not an integer",
	"unsupported protocol version"
};
static const struct codec_num codec_epoch =
    CODEC_NUM("epoch", 1, UINT32_MAX, 1);
static const struct codec_num codec_seq = CODEC_NUM("seq", 1, UINT32_MAX, 1);
static const struct codec_num codec_t =
    CODEC_NUM("t", STRIDE_T_MIN_MS, STRIDE_T_MAX_MS, 1);
static const struct codec_num codec_score =
    CODEC_NUM("score", 0, STRIDE_SCORE_MAX, 1);
static const struct codec_num codec_battery =
    CODEC_NUM("battery", 0, STRIDE_BATTERY_MAX, 1);
static const struct codec_num codec_st =
    CODEC_NUM("samples: t", STRIDE_T_MIN_MS, STRIDE_T_MAX_MS, 1);
static const struct codec_num codec_cad =
    CODEC_NUM("samples: cad", 0, STRIDE_CAD_MAX_SPM, 0);
static const struct codec_num codec_spd =
    CODEC_NUM("samples: spd", 0, STRIDE_SPD_MAX_MPS, 0);
static const struct codec_num codec_grade =
    CODEC_NUM("samples: grade", -STRIDE_GRADE_MAX_PCT, STRIDE_GRADE_MAX_PCT, 0);
static const struct codec_num codec_alt =
    CODEC_NUM("samples: alt", STRIDE_ALT_MIN_M, STRIDE_ALT_MAX_M, 0);
static const struct codec_num codec_dist =
    CODEC_NUM("samples: dist", 0, STRIDE_DIST_MAX_M, 0);

/* A string field: the reasons it can be refused. */
struct codec_str {
	const char	*missing, *type, *unknown;
};
#define CODEC_STR(label) { label " missing", label " not a string",	\
	"unknown " label }
static const struct codec_str codec_role = CODEC_STR("role");
static const struct codec_str codec_type = CODEC_STR("type");
static const struct codec_str codec_when = CODEC_STR("when");
static const struct codec_str codec_level = CODEC_STR("level");
static const struct codec_str codec_state = CODEC_STR("state");
static const struct codec_str codec_fw = {
	"fw missing", "fw not a string", "fw not 1..32 printable chars"
};

/* Wire resolution of the fractional fields: values are rounded to
 * 1/CODEC_*_SCALE before printing. */
#define CODEC_CAD_SCALE		10.0	/* 0.1 spm */
#define CODEC_SPD_SCALE		100.0	/* 0.01 m/s */
#define CODEC_GRADE_SCALE	10.0	/* 0.1 % */
#define CODEC_ALT_SCALE		10.0	/* 0.1 m */
#define CODEC_DIST_SCALE	100.0	/* 0.01 m */

/* ---- pre-scan: jsonscan.c ---- */

static int
codec_prescan(const unsigned char *p, size_t len, const char **why)
{
	return json_prescan(p, len, STRIDE_JSON_DEPTH_MAX, JSONSCAN_UTF8, why);
}

/* ---- the walk ---- */

static int	codec_nested(const cJSON *, const char **);

/*
 * Walk obj's members once. Members named in names[0..n) go to found[]; a
 * second one of those is a duplicate. Any other member is ignored after
 * checking it against the other unknown ones and checking inside it.
 */
static int
codec_members(const cJSON *obj, const char *const *names, int n,
    const cJSON **found, const char **why)
{
	const cJSON	*unknown[CODEC_UNKNOWN_MAX];
	const cJSON	*c;
	int		 nunknown = 0, i;

	for (c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL) {
			*why = "malformed JSON";
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (strcmp(c->string, names[i]) == 0)
				break;
		}
		if (i < n) {
			if (found[i] != NULL) {
				*why = "duplicate key";
				return -1;
			}
			found[i] = c;
			continue;
		}
		for (i = 0; i < nunknown; i++) {
			if (strcmp(c->string, unknown[i]->string) == 0) {
				*why = "duplicate key";
				return -1;
			}
		}
		if (nunknown == CODEC_UNKNOWN_MAX) {
			*why = "too many unknown keys";
			return -1;
		}
		unknown[nunknown++] = c;
		if (codec_nested(c, why) == -1)
			return -1;
	}
	return 0;
}

/* Refuse duplicate keys anywhere inside v, a value we otherwise ignore.
 * Recursion is bounded by the pre-scan's depth limit. */
static int
codec_nested(const cJSON *v, const char **why)
{
	const cJSON *c;

	if (cJSON_IsObject(v))
		return codec_members(v, NULL, 0, NULL, why);
	if (cJSON_IsArray(v)) {
		for (c = v->child; c != NULL; c = c->next) {
			if (codec_nested(c, why) == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- fields ---- */

/* d against f's range and integrality. */
static int
codec_check(const struct codec_num *f, double d, const char **why)
{
	if (!isfinite(d)) {
		*why = f->range;
		return -1;
	}
	if (f->integral && d != floor(d)) {
		*why = f->frac;
		return -1;
	}
	if (!(d >= f->min && d <= f->max)) {
		*why = f->range;
		return -1;
	}
	return 0;
}

/* The number in it, checked against f. Absent is an error. */
static int
codec_num(const cJSON *it, const struct codec_num *f, double *out,
    const char **why)
{
	double d;

	if (it == NULL) {
		*why = f->missing;
		return -1;
	}
	if (!cJSON_IsNumber(it)) {
		*why = f->type;
		return -1;
	}
	d = it->valuedouble;
	if (codec_check(f, d, why) == -1)
		return -1;
	*out = d;
	return 0;
}

/* Same for an optional field: 1 if present and good, 0 if absent. */
static int
codec_opt(const cJSON *it, const struct codec_num *f, double *out,
    const char **why)
{
	if (it == NULL)
		return 0;
	return codec_num(it, f, out, why) == -1 ? -1 : 1;
}

/* The string in it. Absent is an error. */
static int
codec_str(const cJSON *it, const struct codec_str *f, const char **out,
    const char **why)
{
	if (it == NULL) {
		*why = f->missing;
		return -1;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL) {
		*why = f->type;
		return -1;
	}
	*out = it->valuestring;
	return 0;
}

/* epoch and seq, both required, into m. */
static int
codec_dec_epoch_seq(const cJSON *const *f, struct stride_msg *m,
    const char **why)
{
	double d;

	if (codec_num(f[K_EPOCH], &codec_epoch, &d, why) == -1)
		return -1;
	m->epoch = (uint32_t)d;
	if (codec_num(f[K_SEQ], &codec_seq, &d, why) == -1)
		return -1;
	m->seq = (uint32_t)d;
	return 0;
}

static int
codec_dec_role(const cJSON *it, enum stride_role *out, const char **why)
{
	const char *s;

	if (codec_str(it, &codec_role, &s, why) == -1)
		return -1;
	if ((*out = stride_role_parse(s)) == STRIDE_ROLE_UNKNOWN) {
		*why = codec_role.unknown;
		return -1;
	}
	return 0;
}

static int
codec_dec_sample(const cJSON *obj, struct stride_sample *s, const char **why)
{
	const cJSON	*f[S_COUNT] = { NULL };
	double		 d;
	int		 r;

	if (!cJSON_IsObject(obj)) {
		*why = "sample not an object";
		return -1;
	}
	if (codec_members(obj, codec_skeys, S_COUNT, f, why) == -1)
		return -1;
	if (codec_num(f[S_T], &codec_st, &d, why) == -1)
		return -1;
	s->t_ms = (int64_t)d;
	/* Ranges are checked in double; each limit is exact in float and the
	 * conversion is monotonic, so the float is in range too. */
	if ((r = codec_opt(f[S_CAD], &codec_cad, &d, why)) == -1)
		return -1;
	if (r) {
		s->cad_spm = (float)d;
		s->has |= STRIDE_HAS_CAD;
	}
	if ((r = codec_opt(f[S_SPD], &codec_spd, &d, why)) == -1)
		return -1;
	if (r) {
		s->spd_mps = (float)d;
		s->has |= STRIDE_HAS_SPD;
	}
	if ((r = codec_opt(f[S_GRADE], &codec_grade, &d, why)) == -1)
		return -1;
	if (r) {
		s->grade_pct = (float)d;
		s->has |= STRIDE_HAS_GRADE;
	}
	if ((r = codec_opt(f[S_ALT], &codec_alt, &d, why)) == -1)
		return -1;
	if (r) {
		s->alt_m = (float)d;
		s->has |= STRIDE_HAS_ALT;
	}
	if ((r = codec_opt(f[S_DIST], &codec_dist, &d, why)) == -1)
		return -1;
	if (r) {
		s->dist_m = d;
		s->has |= STRIDE_HAS_DIST;
	}
	if (s->has == 0) {
		*why = "sample has only t";
		return -1;
	}
	return 0;
}

static int
codec_dec_telemetry(const cJSON *const *f, struct stride_msg *m,
    const char **why)
{
	const cJSON	*c;
	uint32_t	 n = 0;

	if (codec_dec_epoch_seq(f, m, why) == -1 ||
	    codec_dec_role(f[K_ROLE], &m->u.tel.role, why) == -1)
		return -1;
	if (f[K_SAMPLES] == NULL) {
		*why = "samples missing";
		return -1;
	}
	if (!cJSON_IsArray(f[K_SAMPLES])) {
		*why = "samples not an array";
		return -1;
	}
	/* Count first (at most 17 steps), so an oversized array costs no
	 * sample decoding. */
	for (c = f[K_SAMPLES]->child; c != NULL; c = c->next) {
		if (++n > STRIDE_SAMPLES_MAX) {
			*why = "too many samples";
			return -1;
		}
	}
	if (n == 0) {
		*why = "samples empty";
		return -1;
	}
	n = 0;
	for (c = f[K_SAMPLES]->child; c != NULL; c = c->next) {
		if (codec_dec_sample(c, &m->u.tel.s[n], why) == -1)
			return -1;
		if (n > 0 && m->u.tel.s[n].t_ms <= m->u.tel.s[n - 1].t_ms) {
			*why = "samples: t not increasing";
			return -1;
		}
		n++;
	}
	m->u.tel.n = n;
	return 0;
}

static const struct codec_num codec_cue =
    CODEC_NUM("cues: count", 0, STRIDE_CUE_COUNT_MAX, 1);

/* A stop's optional cue counts: known names only count; unknown names are
 * ignored like unknown keys (a newer watch may know more cues). */
static int
codec_dec_cues(const cJSON *obj, struct stride_msg *m, const char **why)
{
	const cJSON	*found[STRIDE_CUE_COUNT - 1] = { NULL };
	const char	*names[STRIDE_CUE_COUNT - 1];
	double		 d;
	int		 i;

	if (!cJSON_IsObject(obj)) {
		*why = "cues not an object";
		return -1;
	}
	for (i = 1; i < STRIDE_CUE_COUNT; i++)
		names[i - 1] = stride_cue_name((enum stride_cue)i);
	if (codec_members(obj, names, STRIDE_CUE_COUNT - 1, found, why) == -1)
		return -1;
	for (i = 1; i < STRIDE_CUE_COUNT; i++) {
		if (found[i - 1] == NULL)
			continue;
		if (codec_num(found[i - 1], &codec_cue, &d, why) == -1)
			return -1;
		m->u.ev.cues[i] = (uint16_t)d;
	}
	m->u.ev.has_cues = 1;
	return 0;
}

static int
codec_dec_event(const cJSON *const *f, struct stride_msg *m, const char **why)
{
	const char	*s;
	double		 d;

	if (codec_dec_epoch_seq(f, m, why) == -1 ||
	    codec_num(f[K_T], &codec_t, &d, why) == -1)
		return -1;
	m->u.ev.t_ms = (int64_t)d;
	if (codec_str(f[K_TYPE], &codec_type, &s, why) == -1)
		return -1;
	if ((m->u.ev.type = stride_event_parse(s)) == STRIDE_EVENT_NONE) {
		*why = codec_type.unknown;
		return -1;
	}
	if (f[K_CUES] != NULL) {
		if (m->u.ev.type != STRIDE_EVENT_STOP) {
			*why = "cues only on a stop";
			return -1;
		}
		if (codec_dec_cues(f[K_CUES], m, why) == -1)
			return -1;
	}
	return 0;
}

static int
codec_dec_symptom(const cJSON *const *f, struct stride_msg *m,
    const char **why)
{
	const char	*s;
	double		 d;
	int		 r;

	if (codec_dec_epoch_seq(f, m, why) == -1 ||
	    codec_num(f[K_T], &codec_t, &d, why) == -1)
		return -1;
	m->u.sym.t_ms = (int64_t)d;
	if (codec_str(f[K_WHEN], &codec_when, &s, why) == -1)
		return -1;
	if ((m->u.sym.when = stride_when_parse(s)) == STRIDE_WHEN_NONE) {
		*why = codec_when.unknown;
		return -1;
	}
	if (codec_str(f[K_LEVEL], &codec_level, &s, why) == -1)
		return -1;
	if ((m->u.sym.level = stride_level_parse(s)) == STRIDE_LEVEL_NONE) {
		*why = codec_level.unknown;
		return -1;
	}
	if ((r = codec_opt(f[K_SCORE], &codec_score, &d, why)) == -1)
		return -1;
	m->u.sym.score = r ? (int)d : -1;
	return 0;
}

/* 1 if s is 1..CODEC_FW_MAX printable ASCII characters. */
static int
codec_fw_valid(const char *s, size_t cap)
{
	size_t i;

	for (i = 0; i < cap && s[i] != '\0'; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || i == CODEC_FW_MAX)
			return 0;
	}
	return i > 0 && i < cap && i <= CODEC_FW_MAX;
}

static int
codec_dec_status(const cJSON *const *f, struct stride_msg *m,
    const char **why)
{
	const char	*s;
	double		 d;
	int		 r;

	if (codec_str(f[K_STATE], &codec_state, &s, why) == -1)
		return -1;
	if (strcmp(s, "online") == 0)
		m->u.status.online = 1;
	else if (strcmp(s, "offline") == 0)
		m->u.status.online = 0;
	else {
		*why = codec_state.unknown;
		return -1;
	}
	if (codec_num(f[K_EPOCH], &codec_epoch, &d, why) == -1)
		return -1;
	m->epoch = (uint32_t)d;
	if (f[K_ROLE] != NULL &&
	    codec_dec_role(f[K_ROLE], &m->u.status.role, why) == -1)
		return -1;
	if ((r = codec_opt(f[K_BATTERY], &codec_battery, &d, why)) == -1)
		return -1;
	m->u.status.battery = r ? (int)d : -1;
	if (f[K_FW] != NULL) {
		if (codec_str(f[K_FW], &codec_fw, &s, why) == -1)
			return -1;
		if (!codec_fw_valid(s, CODEC_FW_MAX + 1)) {
			*why = codec_fw.unknown;
			return -1;
		}
		memcpy(m->u.status.fw, s, strlen(s) + 1);
	}
	return 0;
}

static int
codec_dec_ack(const cJSON *const *f, struct stride_msg *m, const char **why)
{
	if (codec_dec_epoch_seq(f, m, why) == -1)
		return -1;
	m->u.ack.epoch = m->epoch;
	m->u.ack.seq = m->seq;
	return 0;
}

/* ---- the telemetry fast path ---- */

/*
 * Telemetry is nearly all the hub decodes (the drain target is ~100k
 * messages/s), and cJSON's tree (an allocation per node and per key, strtod
 * for every number) costs more than the rest of the hub's work on a message.
 * This path reads the common shape directly: the five known keys, samples
 * with the six known keys, numbers and plain strings. It runs after the
 * pre-scan, so depth, UTF-8 and string termination are already checked.
 *
 * It never refuses anything: on any surprise (an escape, an unknown or
 * repeated key, a value out of range, a number cJSON may read differently)
 * it returns -1 and the full decoder above decides, with its reason. So it
 * accepts a subset of what the full decoder accepts, with the same result:
 * tests/fuzz/fuzz_codec.c checks both ways on every input.
 */
struct codec_cur {
	const unsigned char	*p;
	const unsigned char	*end;
};

static void
codec_ws(struct codec_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
codec_eat(struct codec_cur *c, unsigned char ch)
{
	codec_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 0;
	}
	return -1;
}

/* A string with no escapes: its bytes in [*s, *s + *n). */
static int
codec_fast_str(struct codec_cur *c, const unsigned char **s, size_t *n)
{
	const unsigned char *q;

	if (codec_eat(c, '"') == -1)
		return -1;
	for (q = c->p; q < c->end && *q != '"'; q++) {
		if (*q == '\\')
			return -1;
	}
	if (q == c->end)
		return -1;
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q + 1;
	return 0;
}

/* Exact powers of ten: m / 10^k is correctly rounded, as strtod is, when
 * m < 2^53 and k <= 22 (both exact doubles, one IEEE division). */
static const double codec_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* A JSON number, strictly by the grammar. */
static int
codec_fast_num(struct codec_cur *c, double *out)
{
	const unsigned char	*start;
	uint64_t		 m = 0;
	int			 digits = 0, frac = 0, neg = 0;
	char			 tmp[64];

	codec_ws(c);
	start = c->p;
	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	if (c->p == c->end || *c->p < '0' || *c->p > '9')
		return -1;
	if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' &&
	    c->p[1] <= '9')
		return -1;		/* leading zero: not JSON */
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
		m = m * 10 + (uint64_t)(*c->p - '0');
		if (++digits > 15)
			return -1;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p == c->end || *c->p < '0' || *c->p > '9')
			return -1;
		for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
			m = m * 10 + (uint64_t)(*c->p - '0');
			frac++;
			if (++digits > 15)
				return -1;
		}
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		/* Rare on the wire: let strtod read the whole token. */
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p == c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if ((size_t)(c->p - start) >= sizeof(tmp))
			return -1;
		memcpy(tmp, start, (size_t)(c->p - start));
		tmp[c->p - start] = '\0';
		*out = strtod(tmp, NULL);
		return 0;
	}
	/* 15 digits < 2^53, and frac <= 15 <= 22. */
	*out = (double)m / codec_pow10[frac];
	if (neg)
		*out = -*out;
	return 0;
}

static int
codec_fast_sample(struct codec_cur *c, struct stride_sample *s)
{
	static const struct codec_num *const nums[S_COUNT] = {
		&codec_st, &codec_cad, &codec_spd, &codec_grade, &codec_alt,
		&codec_dist
	};
	static const uint8_t has[S_COUNT] = {
		0, STRIDE_HAS_CAD, STRIDE_HAS_SPD, STRIDE_HAS_GRADE,
		STRIDE_HAS_ALT, STRIDE_HAS_DIST
	};
	const unsigned char	*k;
	const char		*why;
	unsigned		 seen = 0;
	size_t			 n;
	double			 d;
	int			 i;

	if (codec_eat(c, '{') == -1)
		return -1;
	if (codec_eat(c, '}') == 0)
		return -1;
	do {
		if (codec_fast_str(c, &k, &n) == -1 || codec_eat(c, ':') == -1 ||
		    codec_fast_num(c, &d) == -1)
			return -1;
		for (i = 0; i < S_COUNT; i++) {
			if (strlen(codec_skeys[i]) == n &&
			    memcmp(codec_skeys[i], k, n) == 0)
				break;
		}
		if (i == S_COUNT || (seen & 1u << i) ||
		    codec_check(nums[i], d, &why) == -1)
			return -1;
		seen |= 1u << i;
		switch (i) {
		case S_T:
			s->t_ms = (int64_t)d;
			break;
		case S_CAD:
			s->cad_spm = (float)d;
			break;
		case S_SPD:
			s->spd_mps = (float)d;
			break;
		case S_GRADE:
			s->grade_pct = (float)d;
			break;
		case S_ALT:
			s->alt_m = (float)d;
			break;
		default:
			s->dist_m = d;
			break;
		}
		s->has |= has[i];
	} while (codec_eat(c, ',') == 0);
	if (codec_eat(c, '}') == -1 || (seen & 1u << S_T) == 0 || s->has == 0)
		return -1;
	return 0;
}

static int
codec_fast_samples(struct codec_cur *c, struct stride_msg *m)
{
	uint32_t n = 0;

	if (codec_eat(c, '[') == -1 || codec_eat(c, ']') == 0)
		return -1;
	do {
		if (n == STRIDE_SAMPLES_MAX ||
		    codec_fast_sample(c, &m->u.tel.s[n]) == -1)
			return -1;
		if (n > 0 && m->u.tel.s[n].t_ms <= m->u.tel.s[n - 1].t_ms)
			return -1;
		n++;
	} while (codec_eat(c, ',') == 0);
	if (codec_eat(c, ']') == -1)
		return -1;
	m->u.tel.n = n;
	return 0;
}

/* 0 and *m filled, or -1: let the full decoder decide. */
static int
codec_fast_telemetry(const unsigned char *p, size_t len, struct stride_msg *m)
{
	struct codec_cur	 c = { p, p + len };
	const unsigned char	*k, *v;
	const char		*why;
	unsigned		 seen = 0;
	size_t			 n, vn;
	double			 d;
	int			 i;

	if (codec_eat(&c, '{') == -1)
		return -1;
	do {
		if (codec_fast_str(&c, &k, &n) == -1 || codec_eat(&c, ':') == -1)
			return -1;
		for (i = 0; i < K_COUNT; i++) {
			if (strlen(codec_keys[i]) == n &&
			    memcmp(codec_keys[i], k, n) == 0)
				break;
		}
		if (i == K_COUNT || (seen & KB(i)) ||
		    (codec_kind_keys[STRIDE_KIND_TELEMETRY] & KB(i)) == 0)
			return -1;
		seen |= KB(i);
		switch (i) {
		case K_V:
			if (codec_fast_num(&c, &d) == -1 ||
			    codec_check(&codec_v, d, &why) == -1)
				return -1;
			break;
		case K_EPOCH:
			if (codec_fast_num(&c, &d) == -1 ||
			    codec_check(&codec_epoch, d, &why) == -1)
				return -1;
			m->epoch = (uint32_t)d;
			break;
		case K_SEQ:
			if (codec_fast_num(&c, &d) == -1 ||
			    codec_check(&codec_seq, d, &why) == -1)
				return -1;
			m->seq = (uint32_t)d;
			break;
		case K_ROLE:
			if (codec_fast_str(&c, &v, &vn) == -1)
				return -1;
			if (vn == 7 && memcmp(v, "footpod", 7) == 0)
				m->u.tel.role = STRIDE_ROLE_FOOTPOD;
			else if (vn == 5 && memcmp(v, "watch", 5) == 0)
				m->u.tel.role = STRIDE_ROLE_WATCH;
			else
				return -1;
			break;
		default:
			if (codec_fast_samples(&c, m) == -1)
				return -1;
			break;
		}
	} while (codec_eat(&c, ',') == 0);
	if (codec_eat(&c, '}') == -1 ||
	    seen != codec_kind_keys[STRIDE_KIND_TELEMETRY])
		return -1;
	codec_ws(&c);
	if (c.p != c.end)
		return -1;
	m->kind = STRIDE_KIND_TELEMETRY;
	return 0;
}

int
codec_decode_full(enum stride_kind kind, const void *buf, size_t len,
    struct stride_msg *out, const char **why)
{
	char		 text[STRIDE_PAYLOAD_MAX + 1];
	const cJSON	*f[K_COUNT] = { NULL };
	const char	*end = NULL;
	cJSON		*root = NULL;
	double		 d;
	int		 k, rc = -1;

	assert(out != NULL && why != NULL);
	memset(out, 0, sizeof(*out));
	*why = "internal error";
	if ((int)kind <= STRIDE_KIND_NONE || (int)kind >= STRIDE_KIND_COUNT ||
	    codec_kind_keys[kind] == 0) {
		*why = "kind has no v1 codec";
		return -1;
	}
	if (buf == NULL || len == 0) {
		*why = "empty payload";
		return -1;
	}
	if (len > STRIDE_PAYLOAD_MAX) {
		*why = "payload too large";
		return -1;
	}
	if (codec_prescan(buf, len, why) == -1)
		return -1;
	memcpy(text, buf, len);
	text[len] = '\0';
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		*why = "malformed JSON";
		goto fail;
	}
	if (end == NULL || end < text || end > text + len) {
		*why = "malformed JSON";
		goto fail;
	}
	for (; end < text + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' &&
		    *end != '\r') {
			*why = "trailing garbage";
			goto fail;
		}
	}
	if (!cJSON_IsObject(root)) {
		*why = "not an object";
		goto fail;
	}
	if (codec_members(root, codec_keys, K_COUNT, f, why) == -1)
		goto fail;
	/* Keys of other kinds are unknown here: only check inside them. */
	for (k = 0; k < K_COUNT; k++) {
		if (f[k] != NULL && (codec_kind_keys[kind] & KB(k)) == 0 &&
		    codec_nested(f[k], why) == -1)
			goto fail;
	}
	if (codec_num(f[K_V], &codec_v, &d, why) == -1)
		goto fail;

	out->kind = kind;
	switch (kind) {
	case STRIDE_KIND_TELEMETRY:
		rc = codec_dec_telemetry(f, out, why);
		break;
	case STRIDE_KIND_EVENT:
		rc = codec_dec_event(f, out, why);
		break;
	case STRIDE_KIND_SYMPTOM:
		rc = codec_dec_symptom(f, out, why);
		break;
	case STRIDE_KIND_STATUS:
		rc = codec_dec_status(f, out, why);
		break;
	case STRIDE_KIND_ACK:
		rc = codec_dec_ack(f, out, why);
		break;
	default:
		*why = "kind has no v1 codec";
		break;
	}
fail:
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
codec_decode(enum stride_kind kind, const void *buf, size_t len,
    struct stride_msg *out, const char **why)
{
	const char *scan_why;

	if (kind == STRIDE_KIND_TELEMETRY && buf != NULL && len > 0 &&
	    len <= STRIDE_PAYLOAD_MAX && why != NULL && out != NULL &&
	    codec_prescan(buf, len, &scan_why) == 0) {
		memset(out, 0, sizeof(*out));
		if (codec_fast_telemetry(buf, len, out) == 0)
			return 0;
	}
	return codec_decode_full(kind, buf, len, out, why);
}

/* ---- encoding ---- */

static int
codec_in(double x, double lo, double hi)
{
	return x >= lo && x <= hi;	/* false for NaN */
}

/* x to the nearest 1/scale, in double, so cJSON prints few digits. */
static double
codec_round(double x, double scale)
{
	return round(x * scale) / scale;
}

/* Add number v under the literal key k (cJSON keeps the pointer). */
static int
codec_put(cJSON *o, const char *k, double v)
{
	cJSON *it = cJSON_CreateNumber(v);

	if (it == NULL)
		return -1;
	if (!cJSON_AddItemToObjectCS(o, k, it)) {
		cJSON_Delete(it);
		return -1;
	}
	return 0;
}

static int
codec_put_str(cJSON *o, const char *k, const char *s)
{
	cJSON *it;

	if (s == NULL || (it = cJSON_CreateString(s)) == NULL)
		return -1;
	if (!cJSON_AddItemToObjectCS(o, k, it)) {
		cJSON_Delete(it);
		return -1;
	}
	return 0;
}

static int
codec_put_epoch_seq(cJSON *o, uint32_t epoch, uint32_t seq)
{
	if (epoch < 1 || seq < 1)
		return -1;
	if (codec_put(o, "epoch", epoch) == -1 || codec_put(o, "seq", seq) == -1)
		return -1;
	return 0;
}

static int
codec_t_valid(int64_t t_ms)
{
	return t_ms >= STRIDE_T_MIN_MS && t_ms <= STRIDE_T_MAX_MS;
}

static int
codec_enc_sample(cJSON *arr, const struct stride_sample *s)
{
	cJSON	*o;
	uint8_t	 known = STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_GRADE |
		    STRIDE_HAS_ALT | STRIDE_HAS_DIST;

	if (!codec_t_valid(s->t_ms) || s->has == 0 || (s->has & ~known) != 0)
		return -1;
	if ((o = cJSON_CreateObject()) == NULL)
		return -1;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -1;
	}
	/* From here o belongs to arr. */
	if (codec_put(o, "t", (double)s->t_ms) == -1)
		return -1;
	if (s->has & STRIDE_HAS_CAD) {
		if (!codec_in(s->cad_spm, 0, STRIDE_CAD_MAX_SPM) ||
		    codec_put(o, "cad",
		    codec_round(s->cad_spm, CODEC_CAD_SCALE)) == -1)
			return -1;
	}
	if (s->has & STRIDE_HAS_SPD) {
		if (!codec_in(s->spd_mps, 0, STRIDE_SPD_MAX_MPS) ||
		    codec_put(o, "spd",
		    codec_round(s->spd_mps, CODEC_SPD_SCALE)) == -1)
			return -1;
	}
	if (s->has & STRIDE_HAS_GRADE) {
		if (!codec_in(s->grade_pct, -STRIDE_GRADE_MAX_PCT,
		    STRIDE_GRADE_MAX_PCT) ||
		    codec_put(o, "grade",
		    codec_round(s->grade_pct, CODEC_GRADE_SCALE)) == -1)
			return -1;
	}
	if (s->has & STRIDE_HAS_ALT) {
		if (!codec_in(s->alt_m, STRIDE_ALT_MIN_M, STRIDE_ALT_MAX_M) ||
		    codec_put(o, "alt",
		    codec_round(s->alt_m, CODEC_ALT_SCALE)) == -1)
			return -1;
	}
	if (s->has & STRIDE_HAS_DIST) {
		if (!codec_in(s->dist_m, 0, STRIDE_DIST_MAX_M) ||
		    codec_put(o, "dist",
		    codec_round(s->dist_m, CODEC_DIST_SCALE)) == -1)
			return -1;
	}
	return 0;
}

static int
codec_enc_telemetry(cJSON *o, const struct stride_msg *m)
{
	cJSON		*arr;
	uint32_t	 i;

	if (m->u.tel.n < 1 || m->u.tel.n > STRIDE_SAMPLES_MAX)
		return -1;
	if (codec_put_epoch_seq(o, m->epoch, m->seq) == -1 ||
	    codec_put_str(o, "role", stride_role_name(m->u.tel.role)) == -1)
		return -1;
	if ((arr = cJSON_CreateArray()) == NULL)
		return -1;
	if (!cJSON_AddItemToObjectCS(o, "samples", arr)) {
		cJSON_Delete(arr);
		return -1;
	}
	for (i = 0; i < m->u.tel.n; i++) {
		if (i > 0 && m->u.tel.s[i].t_ms <= m->u.tel.s[i - 1].t_ms)
			return -1;
		if (codec_enc_sample(arr, &m->u.tel.s[i]) == -1)
			return -1;
	}
	return 0;
}

static int
codec_enc_event(cJSON *o, const struct stride_msg *m)
{
	if (!codec_t_valid(m->u.ev.t_ms))
		return -1;
	cJSON	*cues;
	int	 i;

	if (codec_put_epoch_seq(o, m->epoch, m->seq) == -1 ||
	    codec_put(o, "t", (double)m->u.ev.t_ms) == -1 ||
	    codec_put_str(o, "type", stride_event_name(m->u.ev.type)) == -1)
		return -1;
	if (!m->u.ev.has_cues)
		return 0;
	if (m->u.ev.type != STRIDE_EVENT_STOP)
		return -1;
	if ((cues = cJSON_CreateObject()) == NULL)
		return -1;
	if (!cJSON_AddItemToObject(o, "cues", cues)) {
		cJSON_Delete(cues);
		return -1;
	}
	/* cues now belongs to o */
	for (i = 1; i < STRIDE_CUE_COUNT; i++) {
		if (m->u.ev.cues[i] > STRIDE_CUE_COUNT_MAX ||
		    codec_put(cues, stride_cue_name((enum stride_cue)i),
		    m->u.ev.cues[i]) == -1)
			return -1;
	}
	return 0;
}

static int
codec_enc_symptom(cJSON *o, const struct stride_msg *m)
{
	if (!codec_t_valid(m->u.sym.t_ms) ||
	    m->u.sym.score < -1 || m->u.sym.score > STRIDE_SCORE_MAX)
		return -1;
	if (codec_put_epoch_seq(o, m->epoch, m->seq) == -1 ||
	    codec_put(o, "t", (double)m->u.sym.t_ms) == -1 ||
	    codec_put_str(o, "when", stride_when_name(m->u.sym.when)) == -1 ||
	    codec_put_str(o, "level", stride_level_name(m->u.sym.level)) == -1)
		return -1;
	if (m->u.sym.score >= 0 && codec_put(o, "score", m->u.sym.score) == -1)
		return -1;
	return 0;
}

static int
codec_enc_status(cJSON *o, const struct stride_msg *m)
{
	if ((m->u.status.online != 0 && m->u.status.online != 1) ||
	    m->epoch < 1 ||
	    m->u.status.battery < -1 ||
	    m->u.status.battery > STRIDE_BATTERY_MAX)
		return -1;
	if (codec_put_str(o, "state",
	    m->u.status.online ? "online" : "offline") == -1 ||
	    codec_put(o, "epoch", m->epoch) == -1)
		return -1;
	if (m->u.status.role != STRIDE_ROLE_UNKNOWN && codec_put_str(o, "role",
	    stride_role_name(m->u.status.role)) == -1)
		return -1;
	if (m->u.status.battery >= 0 &&
	    codec_put(o, "battery", m->u.status.battery) == -1)
		return -1;
	if (m->u.status.fw[0] != '\0') {
		if (!codec_fw_valid(m->u.status.fw, sizeof(m->u.status.fw)) ||
		    codec_put_str(o, "fw", m->u.status.fw) == -1)
			return -1;
	}
	return 0;
}

int
codec_encode(const struct stride_msg *m, char *buf, size_t cap)
{
	char	 text[CODEC_PRINT_MAX];
	cJSON	*root;
	size_t	 n;
	int	 rc = -1;

	assert(m != NULL && buf != NULL);
	if ((root = cJSON_CreateObject()) == NULL)
		return -1;
	if (codec_put(root, "v", STRIDE_PROTO_VERSION) == -1)
		goto fail;
	switch (m->kind) {
	case STRIDE_KIND_TELEMETRY:
		rc = codec_enc_telemetry(root, m);
		break;
	case STRIDE_KIND_EVENT:
		rc = codec_enc_event(root, m);
		break;
	case STRIDE_KIND_SYMPTOM:
		rc = codec_enc_symptom(root, m);
		break;
	case STRIDE_KIND_STATUS:
		rc = codec_enc_status(root, m);
		break;
	case STRIDE_KIND_ACK:
		rc = codec_put_epoch_seq(root, m->u.ack.epoch, m->u.ack.seq);
		break;
	default:
		break;
	}
	if (rc == -1)
		goto fail;
	rc = -1;
	/* Printed on our stack first: cJSON may want a few bytes more than it
	 * writes, and we must not fail on a caller's buffer that fits. */
	if (!cJSON_PrintPreallocated(root, text, (int)sizeof(text), 0))
		goto fail;
	n = strlen(text);
	if (n > STRIDE_PAYLOAD_MAX || n >= cap)
		goto fail;
	memcpy(buf, text, n + 1);
	rc = (int)n;
fail:
	cJSON_Delete(root);
	return rc;
}
