/*
 * plan_codec.c - the plan's wire names, checks, canonical JSON form and
 * substance comparison (see stride/plan.h).
 *
 * One of the two files of libstride that include cJSON (codec.c is the
 * other). The hub encodes plans; devices decode them, so decoding treats
 * every byte as hostile. In order:
 *  1. size: 1..PLAN_JSON_MAX bytes.
 *  2. a pre-scan (one pass, no allocation): nesting at most
 *     PLAN_JSON_DEPTH_MAX before cJSON recurses, only printable ASCII and
 *     whitespace, and no backslash at all. Our encoder never writes an
 *     escape (plan_text_valid forbids '"' and '\\' in texts), so refusing
 *     them costs nothing and rules out "\u0000" cutting a string short,
 *     invalid UTF-8 and two spellings of one key.
 *  3. cJSON parses a NUL-terminated copy on our stack (cJSON 1.7.x may read
 *     a byte past buffer_length); only whitespace may follow the value.
 *  4. duplicate keys are refused in every object of the tree, then keys are
 *     looked up case-sensitively; unknown keys are ignored.
 *  5. types, integrality and ranges, field by field; the first problem is
 *     returned as a short static string.
 *
 * Encoding checks the plan first (plan_check: a plan we could not decode is
 * never sent), rounds fractional fields to wire resolution and prints keys
 * in one fixed order, so equal plans are equal bytes.
 *
 * Never: log, keep state, or use case-insensitive lookups.
 * Threading: no state of our own (cJSON's global error pointer aside).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonscan.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define PLAN_PRINT_SLACK	64	/* cJSON_PrintPreallocated's margin */
#define PLAN_STOP_ITEMS_MAX	16	/* names in "stop" */

static const char *const plan_phases[PLAN_PHASE_COUNT] = {
	NULL, "normal", "rest", "return"
};

static const char *const plan_reasons[PLAN_R_COUNT] = {
	NULL, "START", "SYMPTOM_FLARE", "SYMPTOM_PAIN", "DURING_RUN_PAIN",
	"SYMPTOM_RISE", "SYMPTOM_SETTLED", "NO_REPORT", "STALLED",
	"REST_EXTENDED", "GRADED_RETURN", "RETURN_COMPLETE", "PROGRESS",
	"PROGRESS_WAIT", "PLAN_NOT_REACHED", "WEEKLY_CAUTION", "WEEKLY_JUMP",
	"ACWR_HIGH", "ACWR_DANGER", "SPEED_CAPPED", "HILLS_CAPPED",
	"OVERSTRIDE", "CADENCE_STEP", "CADENCE_KEEP", "CADENCE_SUDDEN"
};

/* Indexed by bit number. */
static const char *const plan_stops[] = {
	"pain", "much_aware", "distance", "duration"
};
#define PLAN_STOP_BITS	(sizeof(plan_stops) / sizeof(plan_stops[0]))

/* ---- names ---- */

const char *
plan_phase_name(enum plan_phase ph)
{
	if ((int)ph <= 0 || ph >= PLAN_PHASE_COUNT)
		return NULL;
	return plan_phases[ph];
}

enum plan_phase
plan_phase_parse(const char *s)
{
	int i;

	for (i = 1; s != NULL && i < PLAN_PHASE_COUNT; i++) {
		if (strcmp(s, plan_phases[i]) == 0)
			return (enum plan_phase)i;
	}
	return PLAN_PHASE_NONE;
}

const char *
plan_reason_name(enum plan_reason r)
{
	if ((int)r <= 0 || r >= PLAN_R_COUNT)
		return NULL;
	return plan_reasons[r];
}

enum plan_reason
plan_reason_parse(const char *s)
{
	int i;

	for (i = 1; s != NULL && i < PLAN_R_COUNT; i++) {
		if (strcmp(s, plan_reasons[i]) == 0)
			return (enum plan_reason)i;
	}
	return PLAN_R_UNKNOWN;
}

const char *
plan_stop_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < PLAN_STOP_BITS; i++) {
		if (bit == (1u << i))
			return plan_stops[i];
	}
	return NULL;
}

/* The PLAN_STOP_* bit named s, or 0. */
static uint32_t
plan_stop_parse(const char *s)
{
	size_t i;

	for (i = 0; i < PLAN_STOP_BITS; i++) {
		if (strcmp(s, plan_stops[i]) == 0)
			return 1u << i;
	}
	return 0;
}

int
plan_text_valid(const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == max || c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* ---- checks ---- */

/* A time field: 0 (none) when zero_ok, else within the protocol's range. */
static int
plan_time_ok(int64_t t, int zero_ok)
{
	if (t == 0)
		return zero_ok;
	return t >= STRIDE_T_MIN_MS && t <= STRIDE_T_MAX_MS;
}

static int
plan_cad_ok(uint32_t spm)
{
	return spm == 0 || (spm >= PLAN_CAD_MIN_SPM && spm <= PLAN_CAD_MAX_SPM);
}

int
plan_check(const struct plan *p, const char **why)
{
	uint32_t i;

	if (p->version == 0)
		*why = "version must be >= 1";
	else if (!plan_time_ok(p->issued_ms, 0))
		*why = "issued time out of range";
	else if (plan_phase_name(p->phase) == NULL)
		*why = "unknown phase";
	else if (!plan_time_ok(p->phase_since_ms, 1) ||
	    !plan_time_ok(p->cadence_since_ms, 1) ||
	    !plan_time_ok(p->rest_until_ms, 1) ||
	    !plan_time_ok(p->load_since_ms, 1))
		*why = "time out of range";
	else if (p->max_distance_m > PLAN_DIST_MAX_M)
		*why = "distance out of range";
	else if (p->max_duration_s > PLAN_DUR_MAX_S)
		*why = "duration out of range";
	else if (!(p->speed_cap_mps >= 0 && p->speed_cap_mps <=
	    PLAN_SPD_MAX_MPS))
		*why = "speed cap out of range";
	else if (!(p->max_grade_pct >= 0 && p->max_grade_pct <=
	    PLAN_GRADE_MAX_PCT))
		*why = "grade cap out of range";
	else if (!plan_cad_ok(p->cadence_target_spm) ||
	    !plan_cad_ok(p->cadence_base_spm) ||
	    p->cadence_tol_spm > PLAN_CAD_TOL_MAX_SPM)
		*why = "cadence out of range";
	else if (p->rest_days > PLAN_REST_DAYS_MAX)
		*why = "rest days out of range";
	else if ((p->stop & ~(uint32_t)PLAN_STOP_ALL) != 0)
		*why = "unknown stop condition";
	else if (!plan_text_valid(p->text, PLAN_TEXT_MAX))
		*why = "text not printable ASCII of <= 200 bytes";
	else if (p->nreasons > PLAN_REASONS_MAX)
		*why = "too many reasons";
	else {
		for (i = 0; i < p->nreasons; i++) {
			if (plan_reason_name(p->reasons[i].code) == NULL) {
				*why = "unknown reason code";
				return -1;
			}
			if (!plan_text_valid(p->reasons[i].text,
			    PLAN_REASON_TEXT_MAX)) {
				*why = "reason text not printable ASCII";
				return -1;
			}
		}
		return 0;
	}
	return -1;
}

/* ---- encoding ---- */

static double
plan_round(double x, double scale)
{
	return round(x * scale) / scale;
}

/* Add a number member; 0 or -1 when out of memory. */
static int
plan_add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) == NULL ? -1 : 0;
}

static cJSON *
plan_to_json(const struct plan *p)
{
	cJSON		*o, *a, *r;
	uint32_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (plan_add_num(o, "v", PLAN_WIRE_VERSION) == -1 ||
	    plan_add_num(o, "ver", p->version) == -1 ||
	    plan_add_num(o, "at", (double)p->issued_ms) == -1 ||
	    cJSON_AddStringToObject(o, "phase",
	    plan_phase_name(p->phase)) == NULL ||
	    plan_add_num(o, "phase_since", (double)p->phase_since_ms) == -1 ||
	    plan_add_num(o, "dist", p->max_distance_m) == -1 ||
	    plan_add_num(o, "dur", p->max_duration_s) == -1 ||
	    plan_add_num(o, "spd", plan_round(p->speed_cap_mps,
	    PLAN_SPD_SCALE)) == -1 ||
	    plan_add_num(o, "grade", plan_round(p->max_grade_pct,
	    PLAN_GRADE_SCALE)) == -1 ||
	    plan_add_num(o, "cad", p->cadence_target_spm) == -1 ||
	    plan_add_num(o, "cad_tol", p->cadence_tol_spm) == -1 ||
	    plan_add_num(o, "cad_base", p->cadence_base_spm) == -1 ||
	    plan_add_num(o, "cad_since", (double)p->cadence_since_ms) == -1 ||
	    plan_add_num(o, "rest", p->rest_days) == -1 ||
	    plan_add_num(o, "rest_until", (double)p->rest_until_ms) == -1 ||
	    plan_add_num(o, "load_since", (double)p->load_since_ms) == -1)
		goto fail;
	if ((a = cJSON_AddArrayToObject(o, "stop")) == NULL)
		goto fail;
	for (i = 0; i < PLAN_STOP_BITS; i++) {
		if ((p->stop & (1u << i)) == 0)
			continue;
		if ((r = cJSON_CreateString(plan_stops[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(a, r);	/* now belongs to a */
	}
	if (cJSON_AddStringToObject(o, "text", p->text) == NULL ||
	    (a = cJSON_AddArrayToObject(o, "why")) == NULL)
		goto fail;
	for (i = 0; i < p->nreasons; i++) {
		if ((r = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(a, r);	/* now belongs to a */
		if (cJSON_AddStringToObject(r, "code",
		    plan_reason_name(p->reasons[i].code)) == NULL ||
		    cJSON_AddStringToObject(r, "text",
		    p->reasons[i].text) == NULL)
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int
plan_encode(const struct plan *p, char *buf, size_t cap)
{
	char		 out[PLAN_JSON_MAX + PLAN_PRINT_SLACK];
	cJSON		*o;
	const char	*why;
	size_t		 len;
	int		 ok;

	if (plan_check(p, &why) == -1)
		return -1;
	if ((o = plan_to_json(p)) == NULL)
		return -1;
	ok = cJSON_PrintPreallocated(o, out, (int)sizeof(out), 0);
	cJSON_Delete(o);
	if (!ok)
		return -1;
	len = strlen(out);
	if (len > PLAN_JSON_MAX || len + 1 > cap)
		return -1;
	memcpy(buf, out, len + 1);
	return (int)len;
}

/* ---- decoding ---- */

/* See the top of the file, step 2. */
static int
plan_prescan(const unsigned char *p, size_t len, const char **why)
{
	return json_prescan(p, len, PLAN_JSON_DEPTH_MAX, JSONSCAN_ASCII, why);
}

/* Refuse a key that appears twice in any object of the tree under v.
 * Quadratic per object, bounded by PLAN_JSON_MAX bytes (at most a few
 * hundred members); recursion bounded by the pre-scan's depth limit. */
static int
plan_unique(const cJSON *v, const char **why)
{
	const cJSON *c, *d;

	for (c = v->child; c != NULL; c = c->next) {
		if (cJSON_IsObject(v)) {
			if (c->string == NULL) {
				*why = "malformed JSON";
				return -1;
			}
			for (d = c->next; d != NULL; d = d->next) {
				if (d->string != NULL &&
				    strcmp(c->string, d->string) == 0) {
					*why = "duplicate key";
					return -1;
				}
			}
		}
		if (plan_unique(c, why) == -1)
			return -1;
	}
	return 0;
}

/* A number field: present, finite, in [lo, hi], integral if integ. */
struct plan_num {
	const char	*key;
	double		 lo, hi;
	int		 integ;
	const char	*bad;	/* the reason for any problem */
};

static int
plan_get_num(const cJSON *o, const struct plan_num *f, double *out,
    const char **why)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, f->key);
	double		 d;

	if (it == NULL || !cJSON_IsNumber(it)) {
		*why = f->bad;
		return -1;
	}
	d = it->valuedouble;
	if (!isfinite(d) || (f->integ && d != floor(d)) ||
	    !(d >= f->lo && d <= f->hi)) {
		*why = f->bad;
		return -1;
	}
	*out = d;
	return 0;
}

/* A time field: 0 when zero_ok, else within the protocol's range. */
static int
plan_get_time(const cJSON *o, const char *key, int zero_ok, int64_t *out,
    const char *bad, const char **why)
{
	struct plan_num	f = { key, 0, STRIDE_T_MAX_MS, 1, bad };
	double		d;

	if (plan_get_num(o, &f, &d, why) == -1)
		return -1;
	if (!plan_time_ok((int64_t)d, zero_ok)) {
		*why = f.bad;
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

/* A string field of at most max bytes (plan_text_valid). */
static int
plan_get_str(const cJSON *o, const char *key, size_t max, const char **out,
    const char *bad, const char **why)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (it == NULL || !cJSON_IsString(it) ||
	    !plan_text_valid(it->valuestring, max)) {
		*why = bad;
		return -1;
	}
	*out = it->valuestring;
	return 0;
}

static const struct plan_num plan_f_v = { "v", PLAN_WIRE_VERSION,
	PLAN_WIRE_VERSION, 1, "v missing or unsupported" };
static const struct plan_num plan_f_ver = { "ver", 1, UINT32_MAX, 1,
	"ver missing or out of range" };
static const struct plan_num plan_f_dist = { "dist", 0, PLAN_DIST_MAX_M, 1,
	"dist missing or out of range" };
static const struct plan_num plan_f_dur = { "dur", 0, PLAN_DUR_MAX_S, 1,
	"dur missing or out of range" };
static const struct plan_num plan_f_spd = { "spd", 0, PLAN_SPD_MAX_MPS, 0,
	"spd missing or out of range" };
static const struct plan_num plan_f_grade = { "grade", 0,
	PLAN_GRADE_MAX_PCT, 0, "grade missing or out of range" };
static const struct plan_num plan_f_cad = { "cad", 0, PLAN_CAD_MAX_SPM, 1,
	"cad missing or out of range" };
static const struct plan_num plan_f_cad_tol = { "cad_tol", 0,
	PLAN_CAD_TOL_MAX_SPM, 1, "cad_tol missing or out of range" };
static const struct plan_num plan_f_cad_base = { "cad_base", 0,
	PLAN_CAD_MAX_SPM, 1, "cad_base missing or out of range" };
static const struct plan_num plan_f_rest = { "rest", 0, PLAN_REST_DAYS_MAX,
	1, "rest missing or out of range" };

static int
plan_dec_stop(const cJSON *o, uint32_t *out, const char **why)
{
	const cJSON	*a = cJSON_GetObjectItemCaseSensitive(o, "stop"), *c;
	int		 n = 0;

	if (a == NULL || !cJSON_IsArray(a)) {
		*why = "stop missing or not an array";
		return -1;
	}
	*out = 0;
	for (c = a->child; c != NULL; c = c->next) {
		if (++n > PLAN_STOP_ITEMS_MAX || !cJSON_IsString(c) ||
		    c->valuestring == NULL) {
			*why = "stop: too many or not strings";
			return -1;
		}
		*out |= plan_stop_parse(c->valuestring); /* unknown: ignored */
	}
	return 0;
}

static int
plan_dec_why(const cJSON *o, struct plan *p, const char **why)
{
	const cJSON	*a = cJSON_GetObjectItemCaseSensitive(o, "why"), *c;
	const char	*s;

	if (a == NULL || !cJSON_IsArray(a)) {
		*why = "why missing or not an array";
		return -1;
	}
	for (c = a->child; c != NULL; c = c->next) {
		struct plan_reason_item *r = &p->reasons[p->nreasons];

		if (p->nreasons == PLAN_REASONS_MAX) {
			*why = "too many reasons";
			return -1;
		}
		if (!cJSON_IsObject(c)) {
			*why = "reason not an object";
			return -1;
		}
		if (plan_get_str(c, "code", PLAN_CODE_MAX, &s,
		    "reason code missing or invalid", why) == -1)
			return -1;
		r->code = plan_reason_parse(s);
		if (plan_get_str(c, "text", PLAN_REASON_TEXT_MAX, &s,
		    "reason text missing or invalid", why) == -1)
			return -1;
		memcpy(r->text, s, strlen(s) + 1);
		p->nreasons++;
	}
	return 0;
}

static int
plan_from_json(const cJSON *o, struct plan *p, const char **why)
{
	const char	*s;
	double		 d;

	if (!cJSON_IsObject(o)) {
		*why = "not a JSON object";
		return -1;
	}
	if (plan_get_num(o, &plan_f_v, &d, why) == -1 ||
	    plan_get_num(o, &plan_f_ver, &d, why) == -1)
		return -1;
	p->version = (uint32_t)d;
	if (plan_get_time(o, "at", 0, &p->issued_ms,
	    "at missing or out of range", why) == -1)
		return -1;
	if (plan_get_str(o, "phase", 16, &s, "phase missing or invalid",
	    why) == -1)
		return -1;
	if ((p->phase = plan_phase_parse(s)) == PLAN_PHASE_NONE) {
		*why = "unknown phase";
		return -1;
	}
	if (plan_get_time(o, "phase_since", 1, &p->phase_since_ms,
	    "phase_since missing or out of range", why) == -1)
		return -1;
	if (plan_get_num(o, &plan_f_dist, &d, why) == -1)
		return -1;
	p->max_distance_m = (uint32_t)d;
	if (plan_get_num(o, &plan_f_dur, &d, why) == -1)
		return -1;
	p->max_duration_s = (uint32_t)d;
	if (plan_get_num(o, &plan_f_spd, &p->speed_cap_mps, why) == -1 ||
	    plan_get_num(o, &plan_f_grade, &p->max_grade_pct, why) == -1)
		return -1;
	if (plan_get_num(o, &plan_f_cad, &d, why) == -1)
		return -1;
	p->cadence_target_spm = (uint32_t)d;
	if (plan_get_num(o, &plan_f_cad_tol, &d, why) == -1)
		return -1;
	p->cadence_tol_spm = (uint32_t)d;
	if (plan_get_num(o, &plan_f_cad_base, &d, why) == -1)
		return -1;
	p->cadence_base_spm = (uint32_t)d;
	if (!plan_cad_ok(p->cadence_target_spm) ||
	    !plan_cad_ok(p->cadence_base_spm)) {
		*why = "cadence out of range";
		return -1;
	}
	if (plan_get_time(o, "cad_since", 1, &p->cadence_since_ms,
	    "cad_since missing or out of range", why) == -1)
		return -1;
	if (plan_get_num(o, &plan_f_rest, &d, why) == -1)
		return -1;
	p->rest_days = (uint32_t)d;
	if (plan_get_time(o, "rest_until", 1, &p->rest_until_ms,
	    "rest_until missing or out of range", why) == -1 ||
	    plan_get_time(o, "load_since", 1, &p->load_since_ms,
	    "load_since missing or out of range", why) == -1 ||
	    plan_dec_stop(o, &p->stop, why) == -1)
		return -1;
	if (plan_get_str(o, "text", PLAN_TEXT_MAX, &s,
	    "text missing or invalid", why) == -1)
		return -1;
	memcpy(p->text, s, strlen(s) + 1);
	return plan_dec_why(o, p, why);
}

int
plan_decode(const void *buf, size_t len, struct plan *out, const char **why)
{
	char		 copy[PLAN_JSON_MAX + 1];
	const char	*end = NULL;
	cJSON		*root;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > PLAN_JSON_MAX) {
		*why = len == 0 ? "empty plan" : "plan too large";
		return -1;
	}
	if (plan_prescan(buf, len, why) == -1)
		return -1;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if ((root = cJSON_ParseWithLengthOpts(copy, len, &end, 0)) == NULL) {
		*why = "malformed JSON";
		return -1;
	}
	for (; end != NULL && *end != '\0'; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' &&
		    *end != '\r') {
			*why = "trailing bytes after JSON";
			goto done;
		}
	}
	if (plan_unique(root, why) == -1)
		goto done;
	rc = plan_from_json(root, out, why);
done:
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- comparison ---- */

static int
plan_same_at(double a, double b, double scale)
{
	return llround(a * scale) == llround(b * scale);
}

int
plan_differs(const struct plan *a, const struct plan *b)
{
	uint32_t i;

	if (a->phase != b->phase || a->phase_since_ms != b->phase_since_ms ||
	    a->max_distance_m != b->max_distance_m ||
	    a->max_duration_s != b->max_duration_s ||
	    !plan_same_at(a->speed_cap_mps, b->speed_cap_mps,
	    PLAN_SPD_SCALE) ||
	    !plan_same_at(a->max_grade_pct, b->max_grade_pct,
	    PLAN_GRADE_SCALE) ||
	    a->cadence_target_spm != b->cadence_target_spm ||
	    a->cadence_tol_spm != b->cadence_tol_spm ||
	    a->cadence_base_spm != b->cadence_base_spm ||
	    a->cadence_since_ms != b->cadence_since_ms ||
	    a->rest_days != b->rest_days ||
	    a->rest_until_ms != b->rest_until_ms ||
	    a->load_since_ms != b->load_since_ms || a->stop != b->stop ||
	    strcmp(a->text, b->text) != 0 || a->nreasons != b->nreasons)
		return 1;
	for (i = 0; i < a->nreasons && i < PLAN_REASONS_MAX; i++) {
		if (a->reasons[i].code != b->reasons[i].code ||
		    strcmp(a->reasons[i].text, b->reasons[i].text) != 0)
			return 1;
	}
	return 0;
}
