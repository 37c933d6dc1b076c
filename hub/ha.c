/*
 * ha.c - Home Assistant discovery, states and commands (see ha.h).
 *
 * Pure: no MQTT, no SQLite, no clock, no heap, no globals but constant
 * tables; thread-safe. Everything it builds is JSON written with a small
 * bounded writer (struct jw) rather than cJSON: the payloads are ours and
 * flat, the only text that is not ours (a device's firmware string, the
 * plan's sentences, the prefixes) goes through one escaper, and so cJSON
 * keeps its two includers (codec.c, plan_codec.c). The writer never
 * writes past its buffer; an overflow marks it failed and the message is
 * refused whole, never truncated.
 *
 * Never: publish, log, read a clock, or accept a command it has not
 * checked byte by byte (ha_parse_command is the only parser of bytes from
 * the broker here; see its contract in ha.h).
 *
 * Invariants:
 *  - every topic named in a discovery payload is one ha_state_* publishes
 *    to (state_topic, json_attributes_topic) or ha_parse_command accepts
 *    (command_topic); every value_template reads a key that the state
 *    payload on that topic always carries (null when unknown, which HA's
 *    template renders as "None", its word for unknown);
 *  - the payload of every numeric entity's key is a JSON number or null,
 *    and every text state is at most HA_STATE_TEXT_MAX characters;
 *  - retained: discovery and every state but live; live is QoS 0.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ha.h"
#include "stride/topic.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0"
#endif

#define HA_SW_VERSION_MAX	32
#define HA_JW_DEPTH		6	/* nesting the writer tracks */
#define HA_DAY_MS		86400000LL
#define HA_PACE_MIN_MPS		0.5	/* slower is standing, not a pace */
#define HA_EXPIRE_MIN_S		60	/* live values expire after */
#define HA_UID_PREFIX		"stridehub_"
#define HA_MANUFACTURER		"StrideHub"
#define HA_MODEL		"Runner"
#define HA_HUB_ONLINE		"online"	/* mqtt.c's status "state" */
#define HA_HUB_OFFLINE		"offline"

/* ---- a bounded JSON writer ---- */

struct jw {
	char	*b;
	size_t	 cap, len;
	int	 err;
	int	 depth;
	int	 first[HA_JW_DEPTH];	/* nothing written at this depth yet */
	int	 after_key;		/* the next value follows a key */
};

static void
jw_init(struct jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->b = buf;
	w->cap = cap;
	w->first[0] = 1;
	if (cap > 0)
		buf[0] = '\0';
	else
		w->err = 1;
}

static void
jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {
		w->err = 1;
		return;
	}
	memcpy(w->b + w->len, s, n);
	w->len += n;
	w->b[w->len] = '\0';
}

static void
jw_rawz(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* Before any value: a comma between array elements or object members. */
static void
jw_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		jw_raw(w, ",", 1);
	w->first[w->depth] = 0;
}

/*
 * A JSON string. Escaped: '"', '\\', control characters and DEL. Bytes
 * over 0x7f become '?': nothing we write is meant to carry them (prefixes
 * are printable ASCII by ha_params_check, plan texts by plan_check, ids by
 * their grammar), and a device's firmware string must not make our JSON
 * invalid UTF-8.
 */
static void
jw_escaped(struct jw *w, const char *s)
{
	char		 u[8];
	unsigned char	 c;

	jw_raw(w, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			u[0] = '\\';
			u[1] = (char)c;
			jw_raw(w, u, 2);
		} else if (c < 0x20 || c == 0x7f) {
			(void)snprintf(u, sizeof(u), "\\u%04x", c);
			jw_raw(w, u, 6);
		} else if (c > 0x7f)
			jw_raw(w, "?", 1);
		else
			jw_raw(w, (const char *)&c, 1);
	}
	jw_raw(w, "\"", 1);
}

static void
jw_open(struct jw *w, char c)
{
	jw_value(w);
	jw_raw(w, &c, 1);
	if (w->depth + 1 >= HA_JW_DEPTH) {
		w->err = 1;
		return;
	}
	w->first[++w->depth] = 1;
}

static void
jw_close(struct jw *w, char c)
{
	assert(w->depth > 0);
	jw_raw(w, &c, 1);
	w->depth--;
}

static void
jw_key(struct jw *w, const char *k)
{
	jw_value(w);
	jw_escaped(w, k);
	jw_raw(w, ":", 1);
	w->after_key = 1;
}

static void
jw_str(struct jw *w, const char *s)
{
	jw_value(w);
	jw_escaped(w, s);
}

static void
jw_null(struct jw *w)
{
	jw_value(w);
	jw_raw(w, "null", 4);
}

static void
jw_int(struct jw *w, long long v)
{
	char	n[24];
	int	k;

	jw_value(w);
	k = snprintf(n, sizeof(n), "%lld", v);
	jw_raw(w, n, (size_t)k);
}

/* A number rounded to dec decimals, or null if not finite. Never "-0". */
static void
jw_num(struct jw *w, double v, int dec)
{
	char	n[48];
	double	sc, r;
	int	k;

	if (!isfinite(v) || fabs(v) > 1e12) {
		jw_null(w);
		return;
	}
	sc = pow(10.0, dec);
	r = round(v * sc) / sc;
	if (r == 0)
		r = 0;	/* -0.0 */
	jw_value(w);
	k = snprintf(n, sizeof(n), "%.*f", dec, r);
	jw_raw(w, n, (size_t)k);
}

static void
jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	if (s == NULL || *s == '\0')
		jw_null(w);
	else
		jw_str(w, s);
}

static void
jw_knum(struct jw *w, const char *k, double v, int dec)
{
	jw_key(w, k);
	jw_num(w, v, dec);
}

static void
jw_kint(struct jw *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_int(w, v);
}

/* A number in [lo, hi], else null. */
static void
jw_krange(struct jw *w, const char *k, double v, double lo, double hi,
    int dec)
{
	jw_key(w, k);
	if (isfinite(v) && v >= lo && v <= hi)
		jw_num(w, v, dec);
	else
		jw_null(w);
}

/* Unix ms as ISO 8601 UTC ("2023-11-14T22:13:20Z"), or null if 0 or out
 * of the protocol's range. */
static void
jw_ktime(struct jw *w, const char *k, int64_t ms)
{
	char		t[32];
	struct tm	tm;
	time_t		s;

	jw_key(w, k);
	if (ms < STRIDE_T_MIN_MS || ms > STRIDE_T_MAX_MS) {
		jw_null(w);
		return;
	}
	s = (time_t)(ms / 1000);
	if (gmtime_r(&s, &tm) == NULL ||
	    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		jw_null(w);
		return;
	}
	jw_str(w, t);
}

/* Close the message: 0, or -1 (and an empty message) if anything did not
 * fit or the writer was left unbalanced. */
static int
jw_done(struct jw *w, struct ha_msg *m)
{
	if (w->err || w->depth != 0) {
		m->len = 0;
		m->payload[0] = '\0';
		return -1;
	}
	m->len = w->len;
	return 0;
}

/* ---- names, params, topics ---- */

static const char *const ha_streams[HA_S_COUNT] = {
	"live", "session", "week", "plan", "report", "device"
};

static const char *const ha_status_names[] = {
	"no_run", "due", "reported"
};

/* 1 if s is 1..max bytes of printable ASCII (space included: it is
 * legal in a topic level). */
static int
ha_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return i > 0;
}

int
ha_params_check(const struct ha_params *p, const char **why)
{
	const char *w = NULL;

	if (p == NULL || p->prefix == NULL || !topic_prefix_valid(p->prefix) ||
	    !ha_printable(p->prefix, STRIDE_PREFIX_MAX))
		w = "prefix not a printable ASCII topic prefix";
	else if (p->discovery_prefix == NULL ||
	    !topic_prefix_valid(p->discovery_prefix) ||
	    !ha_printable(p->discovery_prefix, STRIDE_PREFIX_MAX))
		w = "discovery prefix not a printable ASCII topic prefix";
	else if (p->live_interval_ms < HA_LIVE_INTERVAL_MS_MIN ||
	    p->live_interval_ms > HA_LIVE_INTERVAL_MS_MAX)
		w = "live interval out of range";
	else if (p->sw_version != NULL &&
	    !ha_printable(p->sw_version, HA_SW_VERSION_MAX))
		w = "sw_version not 1..32 printable characters";
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -1;
}

static const char *
ha_sw(const struct ha_params *p)
{
	return p->sw_version != NULL ? p->sw_version : STRIDE_VERSION;
}

static int
ha_id_ok(const char *id)
{
	return id != NULL && stride_id_valid(id, strlen(id));
}

/* snprintf into buf, -1 if it did not fit. */
static int
ha_fmt_ok(int n, size_t cap)
{
	return n >= 0 && (size_t)n < cap ? n : -1;
}

/* P/ha/R/<stream>, or P/ha/R/device/V. */
static int
ha_state_topic(const struct ha_params *p, const char *runner,
    enum ha_stream s, const char *dev, char *buf, size_t cap)
{
	if (s == HA_S_DEVICE)
		return ha_fmt_ok(snprintf(buf, cap, "%s/ha/%s/device/%s",
		    p->prefix, runner, dev), cap);
	return ha_fmt_ok(snprintf(buf, cap, "%s/ha/%s/%s", p->prefix, runner,
	    ha_streams[s]), cap);
}

static int
ha_cmd_topic(const struct ha_params *p, const char *runner, enum ha_cmd k,
    char *buf, size_t cap)
{
	return ha_fmt_ok(snprintf(buf, cap, "%s/ha/%s/%s/set", p->prefix,
	    runner, k == HA_CMD_REPORT ? "report" : "score"), cap);
}

int
ha_command_filter(const struct ha_params *p, enum ha_cmd kind, char *buf,
    size_t cap)
{
	if (ha_params_check(p, NULL) != 0 ||
	    (kind != HA_CMD_REPORT && kind != HA_CMD_SCORE))
		return -1;
	return ha_cmd_topic(p, "+", kind, buf, cap);
}

int
ha_birth_topic(const struct ha_params *p, char *buf, size_t cap)
{
	if (ha_params_check(p, NULL) != 0)
		return -1;
	return ha_fmt_ok(snprintf(buf, cap, "%s/status", p->discovery_prefix),
	    cap);
}

int
ha_is_birth(const struct ha_params *p, const char *topic, size_t tlen,
    const void *payload, size_t plen)
{
	char	t[HA_TOPIC_MAX + 1];
	int	n;

	n = ha_birth_topic(p, t, sizeof(t));
	return n > 0 && topic != NULL && payload != NULL &&
	    tlen == (size_t)n && memcmp(topic, t, tlen) == 0 &&
	    plen == 6 && memcmp(payload, "online", 6) == 0;
}

int
ha_pace(double spd_mps, char *buf, size_t cap)
{
	long	s;
	int	n;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (!isfinite(spd_mps) || spd_mps < HA_PACE_MIN_MPS)
		return 0;
	s = lround(1000.0 / spd_mps);	/* seconds per km, rounded once */
	if (s > 59 * 60 + 59)
		return 0;
	n = snprintf(buf, cap, "%ld:%02ld /km", s / 60, s % 60);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return 0;
	}
	return n;
}

/* ---- discovery ---- */

enum ha_kind {
	HA_K_SENSOR,	/* numeric or text sensor */
	HA_K_ENUM,	/* sensor, device_class enum, options */
	HA_K_BINARY,	/* binary_sensor, payload ON/OFF */
	HA_K_SELECT,	/* the report word */
	HA_K_NUMBER	/* the score */
};

struct ha_ent {
	const char	*key;	/* object_id; unique_id is stridehub_R_<key> */
	enum ha_kind	 kind;
	const char	*name;	/* HA prefixes the device name */
	enum ha_stream	 stream;
	const char	*field;	/* key in the stream's payload */
	const char	*unit;
	const char	*dclass;
	const char	*sclass;
	int		 precision;	/* suggested_display_precision; -1 */
	const char	*icon;
	int		 attrs;	/* whole payload as the entity's attributes */
};

/*
 * The runner's entities. Units and classes follow HA's sensor rules
 * (tests/unit/test_ha.c has them as tables): speed m/s with device_class
 * speed; distance km and duration s/min with theirs; the rest have no
 * device_class HA defines, so any unit, state_class measurement where the
 * value is a number that varies. Pace is text ("5:21 /km"): a unit would
 * make HA expect a number. No key is a "_"-suffix of another (ha.h).
 */
static const struct ha_ent ha_ents[] = {
	{ "live_cadence", HA_K_SENSOR, "Cadence", HA_S_LIVE, "cadence",
	    "spm", NULL, "measurement", 0, "mdi:shoe-print", 0 },
	{ "live_speed", HA_K_SENSOR, "Speed", HA_S_LIVE, "speed",
	    "m/s", "speed", "measurement", 2, NULL, 0 },
	{ "live_pace", HA_K_SENSOR, "Pace", HA_S_LIVE, "pace",
	    NULL, NULL, NULL, -1, "mdi:timer-outline", 0 },
	{ "live_grade", HA_K_SENSOR, "Gradient", HA_S_LIVE, "grade",
	    "%", NULL, "measurement", 1, "mdi:slope-uphill", 0 },
	{ "live_distance", HA_K_SENSOR, "Session distance", HA_S_LIVE,
	    "distance_km", "km", "distance", "measurement", 2, NULL, 0 },
	{ "live_duration", HA_K_SENSOR, "Session duration", HA_S_LIVE,
	    "duration_s", "s", "duration", "measurement", 0, NULL, 0 },
	{ "last_run", HA_K_SENSOR, "Last run", HA_S_SESSION, "distance_km",
	    "km", "distance", "measurement", 2, "mdi:run", 1 },
	{ "week_distance", HA_K_SENSOR, "Distance this week", HA_S_WEEK,
	    "distance_km", "km", "distance", "measurement", 1, NULL, 0 },
	{ "week_load", HA_K_SENSOR, "Tendon load this week", HA_S_WEEK,
	    "load", "flat km", NULL, "measurement", 1, "mdi:weight", 1 },
	{ "week_acwr", HA_K_SENSOR, "Acute:chronic ratio", HA_S_WEEK,
	    "acwr", NULL, NULL, "measurement", 2, "mdi:scale-balance", 0 },
	{ "week_overstride", HA_K_SENSOR, "Overstride share", HA_S_WEEK,
	    "overstride_pct", "%", NULL, "measurement", 0,
	    "mdi:shoe-print", 0 },
	{ "plan", HA_K_SENSOR, "Plan", HA_S_PLAN, "text",
	    NULL, NULL, NULL, -1, "mdi:clipboard-text", 1 },
	{ "plan_distance", HA_K_SENSOR, "Plan max distance", HA_S_PLAN,
	    "max_distance_km", "km", "distance", "measurement", 1, NULL, 0 },
	{ "plan_duration", HA_K_SENSOR, "Plan max duration", HA_S_PLAN,
	    "max_duration_min", "min", "duration", "measurement", 0, NULL, 0 },
	{ "plan_speed", HA_K_SENSOR, "Plan speed cap", HA_S_PLAN,
	    "speed_cap_mps", "m/s", "speed", "measurement", 2, NULL, 0 },
	{ "plan_grade", HA_K_SENSOR, "Plan max gradient", HA_S_PLAN,
	    "max_grade_pct", "%", NULL, "measurement", 1,
	    "mdi:slope-uphill", 0 },
	{ "plan_cadence", HA_K_SENSOR, "Plan cadence target", HA_S_PLAN,
	    "cadence_target_spm", "spm", NULL, "measurement", 0,
	    "mdi:shoe-print", 0 },
	{ "plan_reason", HA_K_SENSOR, "Plan reason", HA_S_PLAN, "reason",
	    NULL, NULL, NULL, -1, "mdi:comment-question-outline", 0 },
	{ "report_status", HA_K_ENUM, "Next-day report status", HA_S_REPORT,
	    "status", NULL, "enum", NULL, -1, "mdi:clipboard-pulse", 1 },
	{ "report", HA_K_SELECT, "Next-day report", HA_S_REPORT, "level",
	    NULL, NULL, NULL, -1, "mdi:clipboard-pulse-outline", 0 },
	{ "score", HA_K_NUMBER, "Symptom score", HA_S_REPORT, "score",
	    NULL, NULL, NULL, -1, "mdi:numeric", 0 },
};
#define HA_NENTS	(sizeof(ha_ents) / sizeof(ha_ents[0]))

/* A device's two entities; key and name get the device id. */
static const struct ha_ent ha_dev_online = {
	"online", HA_K_BINARY, "connected", HA_S_DEVICE, "online",
	NULL, "connectivity", NULL, -1, NULL, 1
};
static const struct ha_ent ha_dev_battery = {
	"battery", HA_K_SENSOR, "battery", HA_S_DEVICE, "battery",
	"%", "battery", "measurement", 0, NULL, 0
};

static const char *
ha_component(enum ha_kind k)
{
	switch (k) {
	case HA_K_BINARY:
		return "binary_sensor";
	case HA_K_SELECT:
		return "select";
	case HA_K_NUMBER:
		return "number";
	default:
		return "sensor";
	}
}

/* The object_id (and unique_id suffix) and name of e, for a device's
 * entities with the device id in both. */
static int
ha_ent_names(const struct ha_ent *e, const char *dev, char *key,
    size_t kcap, char *name, size_t ncap)
{
	if (dev == NULL) {
		return ha_fmt_ok(snprintf(key, kcap, "%s", e->key), kcap) < 0 ||
		    ha_fmt_ok(snprintf(name, ncap, "%s", e->name), ncap) < 0 ?
		    -1 : 0;
	}
	return ha_fmt_ok(snprintf(key, kcap, "D_%s_%s", dev, e->key),
	    kcap) < 0 || ha_fmt_ok(snprintf(name, ncap, "%s %s", dev,
	    e->name), ncap) < 0 ? -1 : 0;
}

static int
ha_config_topic(const struct ha_params *p, const struct ha_ent *e,
    const char *runner, const char *key, char *buf, size_t cap)
{
	return ha_fmt_ok(snprintf(buf, cap,
	    "%s/%s/" HA_UID_PREFIX "%s/%s/config", p->discovery_prefix,
	    ha_component(e->kind), runner, key), cap);
}

/* One entity's discovery config into m. */
static int
ha_config(const struct ha_params *p, const char *runner,
    const struct ha_ent *e, const char *dev, struct ha_msg *m)
{
	struct jw	 w;
	char		 key[64], name[64], uid[96], t[HA_TOPIC_MAX + 1];
	char		 tmpl[64], hub[HA_TOPIC_MAX + 1], ident[64];
	size_t		 i;
	long long	 expire;

	memset(m, 0, sizeof(*m));
	m->stream = e->stream;
	m->qos = 1;
	m->retained = 1;
	if (ha_ent_names(e, dev, key, sizeof(key), name, sizeof(name)) != 0 ||
	    ha_fmt_ok(snprintf(uid, sizeof(uid), HA_UID_PREFIX "%s_%s",
	    runner, key), sizeof(uid)) < 0 ||
	    ha_fmt_ok(snprintf(ident, sizeof(ident), HA_UID_PREFIX "%s",
	    runner), sizeof(ident)) < 0 ||
	    ha_fmt_ok(snprintf(tmpl, sizeof(tmpl), "{{ value_json.%s }}",
	    e->field), sizeof(tmpl)) < 0 ||
	    topic_build_hub_status(hub, sizeof(hub), p->prefix) < 0 ||
	    ha_config_topic(p, e, runner, key, m->topic,
	    sizeof(m->topic)) < 0 ||
	    ha_state_topic(p, runner, e->stream, dev, t, sizeof(t)) < 0)
		return -1;

	jw_init(&w, m->payload, sizeof(m->payload));
	jw_open(&w, '{');
	jw_kstr(&w, "name", name);
	jw_kstr(&w, "unique_id", uid);
	jw_kstr(&w, "state_topic", t);
	jw_kstr(&w, "value_template", tmpl);
	if (e->attrs)
		jw_kstr(&w, "json_attributes_topic", t);
	if (e->kind == HA_K_SELECT || e->kind == HA_K_NUMBER) {
		if (ha_cmd_topic(p, runner, e->kind == HA_K_SELECT ?
		    HA_CMD_REPORT : HA_CMD_SCORE, t, sizeof(t)) < 0)
			return -1;
		jw_kstr(&w, "command_topic", t);
		/* A retained command would replay at every hub start;
		 * the hub refuses them anyway. */
		jw_key(&w, "retain");
		jw_value(&w);
		jw_rawz(&w, "false");
	}
	if (e->unit != NULL)
		jw_kstr(&w, "unit_of_measurement", e->unit);
	if (e->dclass != NULL)
		jw_kstr(&w, "device_class", e->dclass);
	if (e->sclass != NULL)
		jw_kstr(&w, "state_class", e->sclass);
	if (e->precision >= 0)
		jw_kint(&w, "suggested_display_precision", e->precision);
	if (e->icon != NULL)
		jw_kstr(&w, "icon", e->icon);
	switch (e->kind) {
	case HA_K_ENUM:
		jw_key(&w, "options");
		jw_open(&w, '[');
		for (i = 0; i < sizeof(ha_status_names) /
		    sizeof(ha_status_names[0]); i++)
			jw_str(&w, ha_status_names[i]);
		jw_close(&w, ']');
		break;
	case HA_K_SELECT:
		jw_key(&w, "options");
		jw_open(&w, '[');
		for (i = STRIDE_LEVEL_BETTER; i < STRIDE_LEVEL_COUNT; i++)
			jw_str(&w, stride_level_name((enum stride_level)i));
		jw_close(&w, ']');
		break;
	case HA_K_NUMBER:
		jw_kint(&w, "min", 0);
		jw_kint(&w, "max", STRIDE_SCORE_MAX);
		jw_kint(&w, "step", 1);
		jw_kstr(&w, "mode", "box");
		break;
	case HA_K_BINARY:
		jw_kstr(&w, "payload_on", "ON");
		jw_kstr(&w, "payload_off", "OFF");
		break;
	case HA_K_SENSOR:
		break;
	}
	if (e->stream == HA_S_DEVICE)
		jw_kstr(&w, "entity_category", "diagnostic");
	if (e->stream == HA_S_LIVE) {
		/* Live values are not retained and stop with the run: let
		 * them go unknown if the hub stops sending them. */
		expire = p->live_interval_ms * 4 / 1000;
		if (expire < HA_EXPIRE_MIN_S)
			expire = HA_EXPIRE_MIN_S;
		jw_kint(&w, "expire_after", expire);
	}
	jw_kint(&w, "qos", 1);

	jw_key(&w, "availability");
	jw_open(&w, '[');
	jw_open(&w, '{');
	jw_kstr(&w, "topic", hub);
	jw_kstr(&w, "value_template", "{{ value_json.state }}");
	jw_kstr(&w, "payload_available", HA_HUB_ONLINE);
	jw_kstr(&w, "payload_not_available", HA_HUB_OFFLINE);
	jw_close(&w, '}');
	jw_close(&w, ']');

	jw_key(&w, "device");
	jw_open(&w, '{');
	jw_key(&w, "identifiers");
	jw_open(&w, '[');
	jw_str(&w, ident);
	jw_close(&w, ']');
	if (ha_fmt_ok(snprintf(name, sizeof(name), "StrideHub %s", runner),
	    sizeof(name)) < 0)
		return -1;
	jw_kstr(&w, "name", name);
	jw_kstr(&w, "model", HA_MODEL);
	jw_kstr(&w, "manufacturer", HA_MANUFACTURER);
	jw_kstr(&w, "sw_version", ha_sw(p));
	jw_close(&w, '}');

	jw_key(&w, "origin");
	jw_open(&w, '{');
	jw_kstr(&w, "name", HA_MANUFACTURER);
	jw_kstr(&w, "sw_version", ha_sw(p));
	jw_close(&w, '}');
	jw_close(&w, '}');
	return jw_done(&w, m);
}

/* Emit e's config (or, clear set, an empty retained payload on its
 * topic). */
static int
ha_emit_config(const struct ha_params *p, const char *runner,
    const struct ha_ent *e, const char *dev, int clear, ha_emit_fn emit,
    void *arg)
{
	struct ha_msg	m;
	char		key[64], name[64];

	if (clear) {
		memset(&m, 0, sizeof(m));
		if (ha_ent_names(e, dev, key, sizeof(key), name,
		    sizeof(name)) != 0 || ha_config_topic(p, e, runner, key,
		    m.topic, sizeof(m.topic)) < 0)
			return -1;
		return emit(arg, m.topic, "", 0, 1, 1) == 0 ? 0 : -1;
	}
	if (ha_config(p, runner, e, dev, &m) != 0)
		return -1;
	return emit(arg, m.topic, m.payload, m.len, m.qos, m.retained) == 0 ?
	    0 : -1;
}

static int
ha_walk(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, int clear, ha_emit_fn emit,
    void *arg)
{
	size_t	i;
	int	n = 0;

	if (ha_params_check(p, NULL) != 0 || !ha_id_ok(runner) ||
	    emit == NULL || (ndev > 0 && dev == NULL))
		return -1;
	for (i = 0; i < ndev; i++) {
		if (!ha_id_ok(dev[i].id))
			return -1;
	}
	for (i = 0; i < HA_NENTS; i++, n++) {
		if (ha_emit_config(p, runner, &ha_ents[i], NULL, clear, emit,
		    arg) != 0)
			return -1;
	}
	for (i = 0; i < ndev; i++) {
		if (ha_emit_config(p, runner, &ha_dev_online, dev[i].id, clear,
		    emit, arg) != 0)
			return -1;
		n++;
		if (!clear && (dev[i].battery < 0 ||
		    dev[i].battery > STRIDE_BATTERY_MAX))
			continue;
		if (ha_emit_config(p, runner, &ha_dev_battery, dev[i].id,
		    clear, emit, arg) != 0)
			return -1;
		n++;
	}
	return n;
}

int
ha_discovery(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, ha_emit_fn emit, void *arg)
{
	return ha_walk(p, runner, dev, ndev, 0, emit, arg);
}

int
ha_remove(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, ha_emit_fn emit, void *arg)
{
	char	t[HA_TOPIC_MAX + 1];
	size_t	i;
	int	n, s;

	if ((n = ha_walk(p, runner, dev, ndev, 1, emit, arg)) < 0)
		return -1;
	/* Then the retained states, so nothing of R stays on the broker. */
	for (s = HA_S_SESSION; s < HA_S_DEVICE; s++, n++) {
		if (ha_state_topic(p, runner, (enum ha_stream)s, NULL, t,
		    sizeof(t)) < 0 || emit(arg, t, "", 0, 1, 1) != 0)
			return -1;
	}
	for (i = 0; i < ndev; i++, n++) {
		if (ha_state_topic(p, runner, HA_S_DEVICE, dev[i].id, t,
		    sizeof(t)) < 0 || emit(arg, t, "", 0, 1, 1) != 0)
			return -1;
	}
	return n;
}

/* ---- states ---- */

/* Start a state message: topic, qos, retain; the writer opened on '{'. */
static int
ha_state_begin(const struct ha_params *p, const char *runner,
    enum ha_stream s, const char *dev, struct ha_msg *m, struct jw *w)
{
	memset(m, 0, sizeof(*m));
	m->stream = s;
	m->qos = s == HA_S_LIVE ? 0 : 1;
	m->retained = s != HA_S_LIVE;
	if (ha_params_check(p, NULL) != 0 || !ha_id_ok(runner) ||
	    (s == HA_S_DEVICE && !ha_id_ok(dev)) ||
	    ha_state_topic(p, runner, s, dev, m->topic, sizeof(m->topic)) < 0)
		return -1;
	jw_init(w, m->payload, sizeof(m->payload));
	jw_open(w, '{');
	return 0;
}

static int
ha_state_end(struct jw *w, struct ha_msg *m)
{
	jw_close(w, '}');
	return jw_done(w, m);
}

int
ha_state_live(const struct ha_params *p, const char *runner,
    const struct ha_live *l, struct ha_msg *m)
{
	struct jw	w;
	char		pace[24];
	double		nan = NAN;

	if (ha_state_begin(p, runner, HA_S_LIVE, NULL, m, &w) != 0)
		return -1;
	jw_krange(&w, "cadence", l != NULL ? l->cad_spm : nan, 0,
	    STRIDE_CAD_MAX_SPM, 1);
	jw_krange(&w, "speed", l != NULL ? l->spd_mps : nan, 0,
	    STRIDE_SPD_MAX_MPS, 2);
	pace[0] = '\0';
	if (l != NULL && l->spd_mps <= STRIDE_SPD_MAX_MPS)
		(void)ha_pace(l->spd_mps, pace, sizeof(pace));
	jw_kstr(&w, "pace", pace);
	jw_krange(&w, "grade", l != NULL ? l->grade_pct : nan,
	    -STRIDE_GRADE_MAX_PCT, STRIDE_GRADE_MAX_PCT, 1);
	jw_krange(&w, "distance_km", l != NULL ? l->dist_m / 1000 : nan, 0,
	    STRIDE_DIST_MAX_M / 1000, 2);
	jw_krange(&w, "duration_s", l != NULL ? l->dur_s : nan, 0,
	    FUSE_MAX_SPAN_MS / 1000, 0);
	return ha_state_end(&w, m);
}

/* x if positive, else NaN (0 means "not measured" in a summary). */
static double
ha_pos(double x)
{
	return isfinite(x) && x > 0 ? x : NAN;
}

int
ha_state_session(const struct ha_params *p, const char *runner,
    const struct session_summary *ss, double load, struct ha_msg *m)
{
	struct jw	w;
	char		pace[24];
	int		b;

	if (ha_state_begin(p, runner, HA_S_SESSION, NULL, m, &w) != 0)
		return -1;
	if (ss == NULL) {
		static const char *const keys[] = { "distance_km", "start",
		    "end", "moving_s", "avg_speed_mps", "avg_pace",
		    "max_speed_mps", "avg_cadence_spm", "avg_step_m", "load" };
		for (b = 0; b < (int)(sizeof(keys) / sizeof(keys[0])); b++) {
			jw_key(&w, keys[b]);
			jw_null(&w);
		}
		return ha_state_end(&w, m);
	}
	jw_krange(&w, "distance_km", ss->distance_m / 1000, 0,
	    STRIDE_DIST_MAX_M / 1000, 2);
	jw_ktime(&w, "start", ss->start_ms);
	jw_ktime(&w, "end", ss->end_ms);
	jw_krange(&w, "moving_s", ss->moving_s, 0, FUSE_MAX_SPAN_MS / 1000, 0);
	jw_krange(&w, "avg_speed_mps", ha_pos(ss->avg_speed_mps), 0,
	    STRIDE_SPD_MAX_MPS, 2);
	(void)ha_pace(ss->avg_speed_mps, pace, sizeof(pace));
	jw_kstr(&w, "avg_pace", pace);
	jw_krange(&w, "max_speed_mps", ha_pos(ss->max_speed_mps), 0,
	    STRIDE_SPD_MAX_MPS, 2);
	jw_krange(&w, "avg_cadence_spm", ha_pos(ss->avg_cadence_spm), 0,
	    STRIDE_CAD_MAX_SPM, 1);
	jw_krange(&w, "avg_step_m", ha_pos(ss->avg_step_m), 0, 10, 2);
	jw_krange(&w, "load", load, 0, 1e6, 2);
	jw_kstr(&w, "grade_bands", "<-2%, -2..2%, 2..4%, 4..8%, >8%");
	jw_key(&w, "band_s");
	jw_open(&w, '[');
	for (b = 0; b < FUSE_BANDS; b++)
		jw_num(&w, ss->band_s[b], 0);
	jw_close(&w, ']');
	jw_key(&w, "band_m");
	jw_open(&w, '[');
	for (b = 0; b < FUSE_BANDS; b++)
		jw_num(&w, ss->band_m[b], 0);
	jw_close(&w, ']');
	jw_knum(&w, "ungraded_s", ss->ungraded_s, 0);
	jw_kint(&w, "samples", ss->samples);
	jw_kint(&w, "devices", ss->devices);
	return ha_state_end(&w, m);
}

void
ha_week_fill(const struct session_summary *ss, size_t n,
    const struct rules_loads *l, int64_t now_ms, struct ha_week *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; ss != NULL && i < n; i++) {
		if (ss[i].start_ms <= now_ms - 7 * HA_DAY_MS ||
		    ss[i].start_ms > now_ms)
			continue;
		out->runs++;
		if (isfinite(ss[i].distance_m) && ss[i].distance_m > 0)
			out->distance_m += ss[i].distance_m;
		if (isfinite(ss[i].moving_s) && ss[i].moving_s > 0)
			out->moving_s += ss[i].moving_s;
	}
	if (l != NULL) {
		out->load = l->week;
		out->prev_load = l->prev_week;
		out->week_ratio = l->week_ratio;
		out->uphill_m = l->week_uphill_m;
		out->acute = l->acute;
		out->chronic = l->chronic;
		out->acwr = l->acwr;
	} else {
		out->load = out->prev_load = out->week_ratio = NAN;
		out->uphill_m = out->acute = out->chronic = out->acwr = NAN;
	}
	out->overstride = NAN;
}

int
ha_state_week(const struct ha_params *p, const char *runner,
    const struct ha_week *wk, struct ha_msg *m)
{
	struct jw w;

	if (ha_state_begin(p, runner, HA_S_WEEK, NULL, m, &w) != 0 ||
	    wk == NULL)
		return -1;
	jw_kint(&w, "runs", wk->runs);
	jw_krange(&w, "distance_km", wk->distance_m / 1000, 0, 1e5, 2);
	jw_krange(&w, "moving_min", wk->moving_s / 60, 0, 1e5, 0);
	jw_krange(&w, "load", wk->load, 0, 1e6, 2);
	jw_krange(&w, "prev_load", wk->prev_load, 0, 1e6, 2);
	/* 0: no previous week to compare with. */
	jw_krange(&w, "week_ratio", ha_pos(wk->week_ratio), 0, 1e6, 2);
	jw_krange(&w, "uphill_m", wk->uphill_m, 0, 1e7, 0);
	jw_krange(&w, "acute", wk->acute, 0, 1e6, 3);
	jw_krange(&w, "chronic", wk->chronic, 0, 1e6, 3);
	/* 0: too little history for a ratio. */
	jw_krange(&w, "acwr", ha_pos(wk->acwr), 0, 1e3, 2);
	jw_krange(&w, "overstride_pct", wk->overstride * 100, 0, 100, 0);
	return ha_state_end(&w, m);
}

int
ha_state_plan(const struct ha_params *p, const char *runner,
    const struct plan *pl, struct ha_msg *m)
{
	struct jw	 w;
	char		 pace[24];
	const char	*code, *bad;
	uint32_t	 i;
	int		 has = pl != NULL && pl->version > 0 &&
			    plan_check(pl, &bad) == 0;

	if (ha_state_begin(p, runner, HA_S_PLAN, NULL, m, &w) != 0)
		return -1;
	if (!has) {
		static const char *const keys[] = { "version", "issued",
		    "phase", "text", "reason", "reason_code",
		    "max_distance_km", "max_duration_min", "speed_cap_mps",
		    "pace_cap", "max_grade_pct", "cadence_target_spm",
		    "cadence_tolerance_spm", "rest_until" };
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			jw_key(&w, keys[i]);
			jw_null(&w);
		}
		jw_key(&w, "stop");
		jw_open(&w, '[');
		jw_close(&w, ']');
		jw_key(&w, "reasons");
		jw_open(&w, '[');
		jw_close(&w, ']');
		return ha_state_end(&w, m);
	}
	jw_kint(&w, "version", pl->version);
	jw_ktime(&w, "issued", pl->issued_ms);
	jw_kstr(&w, "phase", plan_phase_name(pl->phase));
	jw_kstr(&w, "text", pl->text);
	jw_kstr(&w, "reason", pl->nreasons > 0 ? pl->reasons[0].text : NULL);
	code = pl->nreasons > 0 ? plan_reason_name(pl->reasons[0].code) : NULL;
	jw_kstr(&w, "reason_code", code);
	jw_knum(&w, "max_distance_km", pl->max_distance_m / 1000.0, 2);
	jw_knum(&w, "max_duration_min", pl->max_duration_s / 60.0, 0);
	jw_knum(&w, "speed_cap_mps", pl->speed_cap_mps, 2);
	(void)ha_pace(pl->speed_cap_mps, pace, sizeof(pace));
	jw_kstr(&w, "pace_cap", pace);
	jw_knum(&w, "max_grade_pct", pl->max_grade_pct, 1);
	jw_key(&w, "cadence_target_spm");
	if (pl->cadence_target_spm != 0)
		jw_int(&w, pl->cadence_target_spm);
	else
		jw_null(&w);
	jw_key(&w, "cadence_tolerance_spm");
	if (pl->cadence_target_spm != 0)
		jw_int(&w, pl->cadence_tol_spm);
	else
		jw_null(&w);
	jw_ktime(&w, "rest_until", pl->rest_until_ms);
	jw_key(&w, "stop");
	jw_open(&w, '[');
	for (i = 0; i < 32; i++) {
		if ((pl->stop & (1u << i)) != 0 &&
		    plan_stop_name(1u << i) != NULL)
			jw_str(&w, plan_stop_name(1u << i));
	}
	jw_close(&w, ']');
	jw_key(&w, "reasons");
	jw_open(&w, '[');
	for (i = 0; i < pl->nreasons && i < PLAN_REASONS_MAX; i++) {
		jw_open(&w, '{');
		code = plan_reason_name(pl->reasons[i].code);
		jw_kstr(&w, "code", code != NULL ? code : "UNKNOWN");
		jw_kstr(&w, "text", pl->reasons[i].text);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	return ha_state_end(&w, m);
}

enum ha_report_status
ha_report_status_of(const struct ha_report_view *v)
{
	if (v == NULL || v->last_run_end_ms <= 0)
		return HA_REPORT_NO_RUN;
	if (v->report_ms > 0 && v->report_ms >= v->last_run_end_ms)
		return HA_REPORT_DONE;
	return HA_REPORT_DUE;
}

int
ha_state_report(const struct ha_params *p, const char *runner,
    const struct ha_report_view *v, struct ha_msg *m)
{
	struct jw		w;
	enum ha_report_status	st;
	int			score = -1;

	if (ha_state_begin(p, runner, HA_S_REPORT, NULL, m, &w) != 0 ||
	    v == NULL)
		return -1;
	st = ha_report_status_of(v);
	jw_kstr(&w, "status", ha_status_names[st]);
	/* The word shows only once given for the last run, so the select
	 * is blank (unknown) while a report is due. */
	jw_kstr(&w, "level", st == HA_REPORT_DONE ?
	    stride_level_name(v->level) : NULL);
	if (v->pending_score >= 0 && v->pending_score <= STRIDE_SCORE_MAX)
		score = v->pending_score;
	else if (st == HA_REPORT_DONE && v->score >= 0 &&
	    v->score <= STRIDE_SCORE_MAX)
		score = v->score;
	jw_key(&w, "score");
	if (score >= 0)
		jw_int(&w, score);
	else
		jw_null(&w);
	jw_ktime(&w, "reported_at", v->report_ms);
	jw_ktime(&w, "last_run_at", v->last_run_end_ms);
	return ha_state_end(&w, m);
}

int
ha_state_device(const struct ha_params *p, const char *runner,
    const struct ha_device *d, struct ha_msg *m)
{
	struct jw w;

	if (d == NULL ||
	    ha_state_begin(p, runner, HA_S_DEVICE, d->id, m, &w) != 0)
		return -1;
	jw_kstr(&w, "online", d->online ? "ON" : "OFF");
	jw_key(&w, "battery");
	if (d->battery >= 0 && d->battery <= STRIDE_BATTERY_MAX)
		jw_int(&w, d->battery);
	else
		jw_null(&w);
	jw_kstr(&w, "role", stride_role_name(d->role));
	jw_kstr(&w, "fw", d->fw);
	return ha_state_end(&w, m);
}

/* ---- throttle ---- */

static uint64_t
ha_fnv1a(const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
ha_should_publish(struct ha_throttle *t, const struct ha_params *p,
    int64_t now_ms, const struct ha_msg *m)
{
	uint64_t h;

	if (t == NULL || p == NULL || m == NULL || (int)m->stream < 0 ||
	    m->stream >= HA_S_COUNT)
		return 0;
	switch (m->stream) {
	case HA_S_LIVE:
		if (t->live_sent && now_ms >= t->live_ms &&
		    now_ms - t->live_ms < p->live_interval_ms)
			return 0;
		t->live_ms = now_ms;
		t->live_sent = 1;
		return 1;
	case HA_S_DEVICE:
		return 1;
	default:
		h = ha_fnv1a(m->payload, m->len);
		if (t->sent[m->stream] && t->hash[m->stream] == h)
			return 0;
		t->hash[m->stream] = h;
		t->sent[m->stream] = 1;
		return 1;
	}
}

void
ha_throttle_reset(struct ha_throttle *t)
{
	if (t != NULL)
		memset(t, 0, sizeof(*t));
}

/* ---- commands ---- */

/* rest[0..n) == lit exactly. */
static int
ha_is(const char *rest, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(rest, lit, n) == 0;
}

/* "0".."10", optionally ".0", ".00", ...: HA's number may print a float. */
static int
ha_parse_score(const char *s, size_t n)
{
	size_t	i, digits = 0;
	int	v = 0;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (++digits > 2)
			return -1;
	}
	if (digits == 0 || (digits == 2 && s[0] == '0'))
		return -1;
	if (i < n) {
		if (s[i] != '.' || i + 1 == n)
			return -1;
		for (i++; i < n; i++) {
			if (s[i] != '0')
				return -1;
		}
	}
	return v <= STRIDE_SCORE_MAX ? v : -1;
}

int
ha_parse_command(const struct ha_params *p, const char *topic, size_t tlen,
    const void *payload, size_t plen, int retained, struct ha_command *out,
    const char **why)
{
	const char	*w = NULL, *r, *slash, *rest, *pl = payload;
	char		 word[HA_COMMAND_MAX + 1];
	size_t		 pre, rlen, restlen;

	assert(out != NULL);
	memset(out, 0, sizeof(*out));
	out->score = -1;
	if (p == NULL || p->prefix == NULL) {
		w = "no prefix";
		goto fail;
	}
	if (topic == NULL || tlen == 0) {
		w = "empty topic";
		goto fail;
	}
	if (tlen > HA_TOPIC_MAX) {
		w = "topic too long";
		goto fail;
	}
	if (memchr(topic, '\0', tlen) != NULL) {
		w = "NUL in topic";
		goto fail;
	}
	pre = strlen(p->prefix);
	if (tlen <= pre + 4 || memcmp(topic, p->prefix, pre) != 0 ||
	    memcmp(topic + pre, "/ha/", 4) != 0) {
		w = "not a Home Assistant command topic";
		goto fail;
	}
	r = topic + pre + 4;
	slash = memchr(r, '/', tlen - (size_t)(r - topic));
	if (slash == NULL) {
		w = "too few levels";
		goto fail;
	}
	rlen = (size_t)(slash - r);
	if (rlen == 0 || rlen > STRIDE_ID_MAX || !stride_id_valid(r, rlen)) {
		w = "bad runner id";
		goto fail;
	}
	rest = slash + 1;
	restlen = tlen - (size_t)(rest - topic);
	if (ha_is(rest, restlen, "report/set"))
		out->kind = HA_CMD_REPORT;
	else if (ha_is(rest, restlen, "score/set"))
		out->kind = HA_CMD_SCORE;
	else {
		w = "unknown command topic";
		goto fail;
	}
	if (retained) {
		w = "retained command";
		goto fail;
	}
	if (payload == NULL || plen == 0) {
		w = "empty payload";
		goto fail;
	}
	if (plen > HA_COMMAND_MAX) {
		w = "payload too large";
		goto fail;
	}
	if (memchr(pl, '\0', plen) != NULL) {
		w = "NUL in payload";
		goto fail;
	}
	if (out->kind == HA_CMD_REPORT) {
		memcpy(word, pl, plen);
		word[plen] = '\0';
		out->level = stride_level_parse(word);
		if (out->level == STRIDE_LEVEL_NONE) {
			w = "unknown level";
			goto fail;
		}
	} else if ((out->score = ha_parse_score(pl, plen)) < 0) {
		w = "score not an integer 0..10";
		goto fail;
	}
	memcpy(out->runner, r, rlen);
	out->runner[rlen] = '\0';
	if (why != NULL)
		*why = NULL;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	out->score = -1;
	if (why != NULL)
		*why = w;
	return -1;
}

/* ---- from commands to reports ---- */

static int
ha_within(int64_t since, int64_t now, int64_t hold)
{
	return since > 0 && now >= since && now - since <= hold;
}

int
ha_hold_pending(const struct ha_hold *h, int64_t now_ms, int64_t hold_ms)
{
	if (h == NULL || !ha_within(h->score_ms, now_ms, hold_ms))
		return -1;
	return h->score;
}

int
ha_hold_apply(struct ha_hold *h, const struct ha_command *c, int64_t now_ms,
    int64_t hold_ms, enum stride_level *level, int *score)
{
	if (h == NULL || c == NULL || level == NULL || score == NULL ||
	    now_ms <= 0)
		return -1;
	*level = STRIDE_LEVEL_NONE;
	*score = -1;
	switch (c->kind) {
	case HA_CMD_REPORT:
		if (c->level <= STRIDE_LEVEL_NONE ||
		    c->level >= STRIDE_LEVEL_COUNT)
			return -1;
		*level = c->level;
		*score = ha_hold_pending(h, now_ms, hold_ms);
		h->level = c->level;
		h->level_ms = now_ms;
		h->score = -1;
		h->score_ms = 0;
		return 1;
	case HA_CMD_SCORE:
		if (c->score < 0 || c->score > STRIDE_SCORE_MAX)
			return -1;
		if (h->level != STRIDE_LEVEL_NONE &&
		    ha_within(h->level_ms, now_ms, hold_ms)) {
			*level = h->level;
			*score = c->score;
			return 1;
		}
		h->score = c->score;
		h->score_ms = now_ms;
		return 0;
	default:
		return -1;
	}
}
