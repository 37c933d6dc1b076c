/*
 * test_ha.c - ha.c: Home Assistant discovery, states, commands, throttle.
 *
 * Every discovery payload is parsed (cJSON) and checked against Home
 * Assistant's rules for its component, written below as tables from HA's
 * own sources (homeassistant/components/sensor/const.py:
 * DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES; the MQTT platforms'
 * discovery schemas in components/mqtt/{sensor,binary_sensor,select,
 * number,schemas}.py; the discovery topic pattern of mqtt/discovery.py).
 * Then the payloads are cross-checked against what the module really
 * publishes: every state and attributes topic a config names is one a
 * ha_state_* call fills, every value_template (all of the simple form
 * "{{ value_json.KEY }}", which the test renders the way HA's Jinja does)
 * reads a key that payload carries, with a number where HA expects one;
 * every command topic is one ha_parse_command accepts, for every option
 * and value the entity offers.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "ha.h"
#include "stride/topic.h"

#define T0	1700000000000LL
#define MAXREC	256

/* The hub's status payloads, as hub/mqtt.c publishes them (birth and
 * will on <prefix>/v1/_hub/status). */
static const char hub_online[] = "{\"v\":1,\"state\":\"online\"}";
static const char hub_offline[] = "{\"v\":1,\"state\":\"offline\"}";

/* ---- a recorder for ha_emit_fn ---- */

struct rec {
	int	n;
	int	fail_at;	/* emit returns -1 at this index; -1 never */
	struct {
		char	topic[HA_TOPIC_MAX + 1];
		char	payload[HA_PAYLOAD_MAX + 1];
		size_t	len;
		int	qos, retained;
	} m[MAXREC];
};

static int
rec_emit(void *arg, const char *topic, const void *payload, size_t len,
    int qos, int retained)
{
	struct rec *r = arg;

	if (r->n == r->fail_at || r->n >= MAXREC || len > HA_PAYLOAD_MAX ||
	    strlen(topic) > HA_TOPIC_MAX)
		return -1;
	strcpy(r->m[r->n].topic, topic);
	memcpy(r->m[r->n].payload, payload, len);
	r->m[r->n].payload[len] = '\0';
	r->m[r->n].len = len;
	r->m[r->n].qos = qos;
	r->m[r->n].retained = retained;
	r->n++;
	return 0;
}

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->fail_at = -1;
}

static struct rec rec_a, rec_b, rec_c;	/* static: 1 MB each */

static void
params(struct ha_params *p)
{
	p->prefix = "stridehub";
	p->discovery_prefix = "homeassistant";
	p->sw_version = "0.1.0";
	p->live_interval_ms = HA_LIVE_INTERVAL_MS_DEFAULT;
}

/* ---- HA's rules, as tables ---- */

static const char *const state_classes[] = {
	"measurement", "total", "total_increasing", NULL
};

/* Sensor device classes we might use, with HA's units and state classes
 * for each (DEVICE_CLASS_UNITS / DEVICE_CLASS_STATE_CLASSES). A device
 * class not in this table fails the test: add it here from HA's table
 * before using it. */
static const struct {
	const char		*dclass;
	const char *const	 units[16];	/* NULL-terminated; {NULL}:
						   no unit allowed */
	const char *const	 sclasses[4];
	int			 numeric;
} sensor_classes[] = {
	{ "speed", { "m/s", "km/h", "mph", "ft/s", "in/s", "mm/s", "kn",
	    "Beaufort", "mm/d", "mm/h", "in/d", "in/h", NULL },
	    { "measurement", NULL }, 1 },
	{ "distance", { "mm", "cm", "m", "km", "in", "ft", "yd", "mi",
	    "nmi", NULL }, { "measurement", "total", "total_increasing",
	    NULL }, 1 },
	{ "duration", { "d", "h", "min", "s", "ms", NULL },
	    { "measurement", "total", "total_increasing", NULL }, 1 },
	{ "battery", { "%", NULL }, { "measurement", NULL }, 1 },
	{ "enum", { NULL }, { NULL }, 0 },
};
#define NSENSOR_CLASSES (sizeof(sensor_classes) / sizeof(sensor_classes[0]))

static const char *const binary_classes[] = {
	"battery", "battery_charging", "carbon_monoxide", "cold",
	"connectivity", "door", "garage_door", "gas", "heat", "light", "lock",
	"moisture", "motion", "moving", "occupancy", "opening", "plug",
	"power", "presence", "problem", "running", "safety", "smoke", "sound",
	"tamper", "update", "vibration", "window", NULL
};

/* Keys every MQTT entity may carry (MQTT_ENTITY_COMMON_SCHEMA and the
 * availability schemas). */
static const char *const common_keys[] = {
	"name", "unique_id", "object_id", "default_entity_id", "icon",
	"entity_category", "entity_picture", "enabled_by_default",
	"json_attributes_topic", "json_attributes_template", "device",
	"origin", "availability", "availability_mode", "availability_topic",
	"availability_template", "payload_available", "payload_not_available",
	"qos", "encoding", NULL
};

/* Per component: the keys HA requires and the other keys it knows. */
static const struct {
	const char		*component;
	const char *const	 required[4];
	const char *const	 allowed[24];
} components[] = {
	{ "sensor", { "state_topic", NULL },
	    { "value_template", "unit_of_measurement", "device_class",
	    "state_class", "suggested_display_precision", "expire_after",
	    "force_update", "options", "last_reset_value_template", NULL } },
	{ "binary_sensor", { "state_topic", NULL },
	    { "value_template", "device_class", "payload_on", "payload_off",
	    "expire_after", "force_update", "off_delay", NULL } },
	{ "select", { "command_topic", "options", NULL },
	    { "state_topic", "value_template", "command_template",
	    "optimistic", "retain", NULL } },
	{ "number", { "command_topic", NULL },
	    { "state_topic", "value_template", "command_template", "min",
	    "max", "step", "mode", "payload_reset", "unit_of_measurement",
	    "device_class", "optimistic", "retain", NULL } },
};
#define NCOMPONENTS (sizeof(components) / sizeof(components[0]))

/* Ours, on top of HA's: every entity is identified, grouped and tied to
 * the hub's availability. */
static const char *const policy_keys[] = {
	"name", "unique_id", "device", "availability", "origin", NULL
};

static int
in_list(const char *const *l, const char *s)
{
	for (; s != NULL && *l != NULL; l++) {
		if (strcmp(*l, s) == 0)
			return 1;
	}
	return 0;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* No object anywhere in the tree has a key twice (cJSON keeps both). */
static int
no_duplicate_keys(const cJSON *o)
{
	const cJSON *a, *b;

	for (a = o->child; a != NULL; a = a->next) {
		if (cJSON_IsObject(o)) {
			for (b = a->next; b != NULL; b = b->next) {
				if (strcmp(a->string, b->string) == 0)
					return 0;
			}
		}
		if ((cJSON_IsObject(a) || cJSON_IsArray(a)) &&
		    !no_duplicate_keys(a))
			return 0;
	}
	return 1;
}

/* [a-zA-Z0-9_-]+ (the discovery topic's node_id and object_id). */
static int
id_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	}
	return n > 0;
}

/*
 * D/<component>/<node_id>/<object_id>/config: component \w+ and one we
 * know, node_id and object_id [a-zA-Z0-9_-]+. Returns the component's row
 * or -1; node and obj get node_id and object_id (each buffer 64 bytes).
 */
static int
parse_config_topic(const char *disc, const char *t, char *node, char *obj)
{
	const char	*c, *s1, *s2, *s3;
	size_t		 i, dl = strlen(disc);

	if (strncmp(t, disc, dl) != 0 || t[dl] != '/')
		return -1;
	c = t + dl + 1;
	if ((s1 = strchr(c, '/')) == NULL || (s2 = strchr(s1 + 1, '/')) ==
	    NULL || (s3 = strchr(s2 + 1, '/')) == NULL ||
	    strcmp(s3, "/config") != 0)
		return -1;
	if (!id_chars(s1 + 1, (size_t)(s2 - s1 - 1)) ||
	    !id_chars(s2 + 1, (size_t)(s3 - s2 - 1)) ||
	    s2 - s1 > 64 || s3 - s2 > 64)
		return -1;
	memcpy(node, s1 + 1, (size_t)(s2 - s1 - 1));
	node[s2 - s1 - 1] = '\0';
	memcpy(obj, s2 + 1, (size_t)(s3 - s2 - 1));
	obj[s3 - s2 - 1] = '\0';
	for (i = 0; i < NCOMPONENTS; i++) {
		if (strlen(components[i].component) == (size_t)(s1 - c) &&
		    strncmp(c, components[i].component, (size_t)(s1 - c)) == 0)
			return (int)i;
	}
	return -1;
}

/* A topic HA may subscribe to: no wildcard (ours have none), no NUL,
 * 1..65535 bytes. */
static int
plain_topic(const char *t)
{
	return t != NULL && *t != '\0' && strchr(t, '+') == NULL &&
	    strchr(t, '#') == NULL && strlen(t) <= HA_TOPIC_MAX;
}

/* The key of "{{ value_json.KEY }}", or NULL if the template is not of
 * that form (then the test cannot render it and fails). */
static const char *
template_key(const char *tmpl, char *buf, size_t cap)
{
	static const char pre[] = "{{ value_json.", post[] = " }}";
	size_t n;

	if (tmpl == NULL || strncmp(tmpl, pre, sizeof(pre) - 1) != 0)
		return NULL;
	tmpl += sizeof(pre) - 1;
	n = strlen(tmpl);
	if (n <= sizeof(post) - 1 || strcmp(tmpl + n - 3, post) != 0)
		return NULL;
	n -= 3;
	if (n >= cap || !id_chars(tmpl, n))
		return NULL;
	memcpy(buf, tmpl, n);
	buf[n] = '\0';
	return buf;
}

/*
 * Render "{{ value_json.KEY }}" on payload the way HA does: a missing
 * key or non-JSON payload is an error (returns -1), null renders "None",
 * a number its value, a string itself.
 */
static int
render(const char *tmpl, const char *payload, char *out, size_t cap)
{
	char	 k[64];
	cJSON	*o, *v;
	int	 rc = -1;

	if (template_key(tmpl, k, sizeof(k)) == NULL ||
	    (o = cJSON_Parse(payload)) == NULL)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNull(v)) {
		snprintf(out, cap, "None");
		rc = 0;
	} else if (cJSON_IsNumber(v)) {
		snprintf(out, cap, "%.17g", v->valuedouble);
		rc = 0;
	} else if (cJSON_IsString(v)) {
		snprintf(out, cap, "%s", v->valuestring);
		rc = 0;
	}
	cJSON_Delete(o);
	return rc;
}

static int
is_number(const char *s)
{
	char	*end;
	double	 d;

	d = strtod(s, &end);
	return *s != '\0' && *end == '\0' && isfinite(d);
}

/* ---- the states the module publishes, for cross-checks ---- */

struct pub {
	int	n;
	struct ha_msg m[24];
};

static const struct ha_msg *
pub_find(const struct pub *pb, const char *topic)
{
	int i;

	for (i = 0; i < pb->n; i++) {
		if (strcmp(pb->m[i].topic, topic) == 0)
			return &pb->m[i];
	}
	return NULL;
}

static void
sample_summary(struct session_summary *ss, int64_t start)
{
	memset(ss, 0, sizeof(*ss));
	ss->start_ms = start;
	ss->end_ms = start + 1900000;
	ss->moving_s = 1850;
	ss->distance_m = 5432.1;
	ss->avg_speed_mps = ss->distance_m / ss->moving_s;
	ss->max_speed_mps = 3.9;
	ss->avg_cadence_spm = 168.4;
	ss->avg_step_m = 1.05;
	ss->band_s[1] = 1500;
	ss->band_s[2] = 250;
	ss->ungraded_s = 100;
	ss->band_m[1] = 4400;
	ss->band_m[2] = 700;
	ss->samples = 3700;
	ss->devices = 2;
}

static void
sample_plan(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 4;
	p->issued_ms = T0;
	p->phase = PLAN_PHASE_NORMAL;
	p->phase_since_ms = T0 - 86400000;
	p->max_distance_m = 4500;
	p->max_duration_s = 1800;
	p->speed_cap_mps = 3.2;
	p->max_grade_pct = 4;
	p->cadence_target_spm = 172;
	p->cadence_tol_spm = 3;
	p->cadence_base_spm = 164;
	p->cadence_since_ms = T0 - 3 * 86400000LL;
	p->rest_days = 1;
	p->rest_until_ms = T0 + 86400000;
	p->load_since_ms = T0;
	p->stop = PLAN_STOP_PAIN | PLAN_STOP_DISTANCE;
	strcpy(p->text, "Next run: up to 4.5 km or 30 min, flat, easy.");
	p->nreasons = 2;
	p->reasons[0].code = PLAN_R_PROGRESS;
	strcpy(p->reasons[0].text, "Settled for a week: a little more.");
	p->reasons[1].code = PLAN_R_OVERSTRIDE;
	strcpy(p->reasons[1].text, "Shorter steps on the flat.");
}

/*
 * Every state message of runner (full: with data; else the "nothing
 * known" forms), appended to pb.
 */
static void
publish_all(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, int full, struct pub *pb)
{
	struct ha_live		live = { 171.6, 3.05, -1.5, 2345.6, 812 };
	struct session_summary	ss;
	struct rules_loads	l;
	struct ha_week		wk;
	struct plan		pl;
	struct ha_report_view	rv = { T0, T0 + 36000000, STRIDE_LEVEL_AWARE,
				    4, -1 };
	size_t			i;

	sample_summary(&ss, T0 - 86400000);
	sample_plan(&pl);
	memset(&l, 0, sizeof(l));
	l.week = 8.5;
	l.prev_week = 7.9;
	l.week_ratio = 8.5 / 7.9;
	l.week_uphill_m = 900;
	l.acute = 1.2;
	l.chronic = 1.1;
	l.acwr = 1.09;
	ha_week_fill(&ss, 1, &l, T0, &wk);
	wk.overstride = 0.25;
	if (!full)
		rv.last_run_end_ms = rv.report_ms = 0;
	CHECK(ha_state_live(p, runner, full ? &live : NULL,
	    &pb->m[pb->n++]) == 0);
	CHECK(ha_state_session(p, runner, full ? &ss : NULL, 6.1,
	    &pb->m[pb->n++]) == 0);
	CHECK(ha_state_week(p, runner, &wk, &pb->m[pb->n++]) == 0);
	CHECK(ha_state_plan(p, runner, full ? &pl : NULL,
	    &pb->m[pb->n++]) == 0);
	CHECK(ha_state_report(p, runner, &rv, &pb->m[pb->n++]) == 0);
	for (i = 0; i < ndev; i++)
		CHECK(ha_state_device(p, runner, &dev[i],
		    &pb->m[pb->n++]) == 0);
}

/* ---- checking one discovery config ---- */

static void
check_sensor_classes(const cJSON *o, const char *uid)
{
	const char	*dc = jstr(o, "device_class");
	const char	*unit = jstr(o, "unit_of_measurement");
	const char	*sc = jstr(o, "state_class");
	const cJSON	*opts = cJSON_GetObjectItemCaseSensitive(o, "options");
	size_t		 i;
	int		 found = 0;

	if (sc != NULL && !in_list(state_classes, sc)) {
		fprintf(stderr, "%s: state_class %s\n", uid, sc);
		CHECK(0);
	}
	if (opts != NULL) {
		/* HA: options only on enum sensors, never empty, never with
		 * a unit or a state class. */
		CHECK(dc != NULL && strcmp(dc, "enum") == 0);
		CHECK(cJSON_IsArray(opts) && cJSON_GetArraySize(opts) > 0);
		CHECK(unit == NULL && sc == NULL);
	}
	if (cJSON_GetObjectItemCaseSensitive(o,
	    "last_reset_value_template") != NULL)
		CHECK(sc != NULL && strcmp(sc, "total") == 0);
	if (dc == NULL)
		return;	/* any unit; state_class checked above */
	for (i = 0; i < NSENSOR_CLASSES; i++) {
		if (strcmp(sensor_classes[i].dclass, dc) != 0)
			continue;
		found = 1;
		if (unit == NULL)
			CHECK(sensor_classes[i].units[0] == NULL ||
			    !sensor_classes[i].numeric);
		else if (!in_list(sensor_classes[i].units, unit)) {
			fprintf(stderr, "%s: unit %s not valid for %s\n", uid,
			    unit, dc);
			CHECK(0);
		}
		if (sc != NULL && !in_list(sensor_classes[i].sclasses, sc)) {
			fprintf(stderr, "%s: state_class %s not valid for "
			    "%s\n", uid, sc, dc);
			CHECK(0);
		}
		if (strcmp(dc, "enum") == 0)
			CHECK(opts != NULL);
	}
	if (!found) {
		fprintf(stderr, "%s: device_class %s not in the table\n", uid,
		    dc);
		CHECK(0);
	}
}

/* Does HA expect a number in this sensor's state? (a unit, a state class
 * or a numeric device class) */
static int
sensor_numeric(const cJSON *o)
{
	const char	*dc = jstr(o, "device_class");
	size_t		 i;

	if (jstr(o, "unit_of_measurement") != NULL ||
	    jstr(o, "state_class") != NULL)
		return 1;
	for (i = 0; dc != NULL && i < NSENSOR_CLASSES; i++) {
		if (strcmp(sensor_classes[i].dclass, dc) == 0)
			return sensor_classes[i].numeric;
	}
	return 0;
}

static void
check_availability(const struct ha_params *p, const cJSON *o)
{
	const cJSON	*av = cJSON_GetObjectItemCaseSensitive(o,
			    "availability"), *a;
	char		 hub[HA_TOPIC_MAX + 1], r[64];

	CHECK(topic_build_hub_status(hub, sizeof(hub), p->prefix) > 0);
	CHECK(cJSON_IsArray(av) && cJSON_GetArraySize(av) == 1);
	/* "availability" and "availability_topic" are exclusive. */
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "availability_topic") ==
	    NULL);
	cJSON_ArrayForEach(a, av) {
		CHECK(cJSON_IsObject(a));
		CHECK(plain_topic(jstr(a, "topic")));
		CHECK(jstr(a, "topic") != NULL &&
		    strcmp(jstr(a, "topic"), hub) == 0);
		/* What HA computes from the hub's real payloads. */
		CHECK(render(jstr(a, "value_template"), hub_online, r,
		    sizeof(r)) == 0 && jstr(a, "payload_available") != NULL &&
		    strcmp(r, jstr(a, "payload_available")) == 0);
		CHECK(render(jstr(a, "value_template"), hub_offline, r,
		    sizeof(r)) == 0 &&
		    jstr(a, "payload_not_available") != NULL &&
		    strcmp(r, jstr(a, "payload_not_available")) == 0);
	}
}

static void
check_device(const cJSON *o, const char *runner, const char *node)
{
	const cJSON	*d = cJSON_GetObjectItemCaseSensitive(o, "device");
	const cJSON	*ids = cJSON_GetObjectItemCaseSensitive(d,
			    "identifiers"), *origin;
	char		 want[64];

	snprintf(want, sizeof(want), "stridehub_%s", runner);
	CHECK(cJSON_IsObject(d));
	CHECK(cJSON_IsArray(ids) && cJSON_GetArraySize(ids) == 1 &&
	    cJSON_IsString(cJSON_GetArrayItem(ids, 0)) &&
	    strcmp(cJSON_GetArrayItem(ids, 0)->valuestring, want) == 0);
	CHECK(strcmp(node, want) == 0);
	CHECK(jstr(d, "name") != NULL && strstr(jstr(d, "name"), runner));
	CHECK(jstr(d, "model") != NULL);
	CHECK(jstr(d, "manufacturer") != NULL &&
	    strcmp(jstr(d, "manufacturer"), "StrideHub") == 0);
	CHECK(jstr(d, "sw_version") != NULL &&
	    strcmp(jstr(d, "sw_version"), "0.1.0") == 0);
	origin = cJSON_GetObjectItemCaseSensitive(o, "origin");
	CHECK(cJSON_IsObject(origin) && jstr(origin, "name") != NULL);
}

/*
 * One config: HA's rules for its component, then the cross-checks with
 * the states in pb and with ha_parse_command.
 */
static void
check_config(const struct ha_params *p, const char *runner,
    const char *topic, const char *payload, const struct pub *pb)
{
	char		 node[64], obj[64], r[300], uid_want[160];
	const char	*comp, *uid, *st, *at, *ct;
	cJSON		*o;
	const cJSON	*k;
	const struct ha_msg *sm;
	int		 row, i;

	row = parse_config_topic(p->discovery_prefix, topic, node, obj);
	CHECK(row >= 0);
	if (row < 0) {
		fprintf(stderr, "bad discovery topic %s\n", topic);
		return;
	}
	comp = components[row].component;
	o = cJSON_Parse(payload);
	CHECK(cJSON_IsObject(o));
	if (!cJSON_IsObject(o))
		return;
	CHECK(no_duplicate_keys(o));
	uid = jstr(o, "unique_id");

	/* Keys: required by HA, required by us, and known to HA. */
	for (i = 0; components[row].required[i] != NULL; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(o,
		    components[row].required[i]) != NULL);
	for (i = 0; policy_keys[i] != NULL; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(o, policy_keys[i]) !=
		    NULL);
	cJSON_ArrayForEach(k, o) {
		if (!in_list(common_keys, k->string) &&
		    !in_list(components[row].required, k->string) &&
		    !in_list(components[row].allowed, k->string)) {
			fprintf(stderr, "%s: key %s unknown to HA's %s\n",
			    uid ? uid : topic, k->string, comp);
			CHECK(0);
		}
	}
	/* unique_id: stridehub_<runner>_<object_id>. */
	snprintf(uid_want, sizeof(uid_want), "stridehub_%s_%s", runner, obj);
	CHECK(uid != NULL && strcmp(uid, uid_want) == 0);
	CHECK(jstr(o, "name") != NULL && strlen(jstr(o, "name")) > 0);
	check_availability(p, o);
	check_device(o, runner, node);
	if ((k = cJSON_GetObjectItemCaseSensitive(o, "qos")) != NULL)
		CHECK(cJSON_IsNumber(k) && k->valueint >= 0 &&
		    k->valueint <= 2);
	if ((k = cJSON_GetObjectItemCaseSensitive(o, "expire_after")) != NULL)
		CHECK(cJSON_IsNumber(k) && k->valuedouble >= 1);
	if ((k = cJSON_GetObjectItemCaseSensitive(o, "entity_category")) !=
	    NULL)
		CHECK(cJSON_IsString(k) &&
		    (strcmp(k->valuestring, "diagnostic") == 0 ||
		    strcmp(k->valuestring, "config") == 0));
	if ((k = cJSON_GetObjectItemCaseSensitive(o,
	    "suggested_display_precision")) != NULL)
		CHECK(cJSON_IsNumber(k) && k->valueint >= 0);

	/* Component rules. */
	if (strcmp(comp, "sensor") == 0)
		check_sensor_classes(o, uid);
	if (strcmp(comp, "binary_sensor") == 0) {
		CHECK(jstr(o, "device_class") == NULL ||
		    in_list(binary_classes, jstr(o, "device_class")));
		CHECK(jstr(o, "unit_of_measurement") == NULL);
	}
	if (strcmp(comp, "select") == 0) {
		const cJSON *opts = cJSON_GetObjectItemCaseSensitive(o,
		    "options"), *a, *b;

		CHECK(cJSON_IsArray(opts) && cJSON_GetArraySize(opts) > 0);
		cJSON_ArrayForEach(a, opts) {
			CHECK(cJSON_IsString(a));
			for (b = a->next; b != NULL; b = b->next)
				CHECK(strcmp(a->valuestring,
				    b->valuestring) != 0);
		}
	}
	if (strcmp(comp, "number") == 0) {
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(o, "min");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(o, "max");
		const cJSON *stp = cJSON_GetObjectItemCaseSensitive(o, "step");

		CHECK(cJSON_IsNumber(mn) && cJSON_IsNumber(mx) &&
		    mn->valuedouble < mx->valuedouble);
		CHECK(cJSON_IsNumber(stp) && stp->valuedouble >= 1e-3);
		CHECK(jstr(o, "mode") != NULL &&
		    (strcmp(jstr(o, "mode"), "auto") == 0 ||
		    strcmp(jstr(o, "mode"), "box") == 0 ||
		    strcmp(jstr(o, "mode"), "slider") == 0));
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(o, "retain")) != NULL)
		CHECK(cJSON_IsFalse(k));

	/* Cross-check: the state topic is published, with the key. */
	st = jstr(o, "state_topic");
	CHECK(plain_topic(st));
	sm = st != NULL ? pub_find(pb, st) : NULL;
	if (sm == NULL)
		fprintf(stderr, "%s: state_topic %s never published\n", uid,
		    st ? st : "(none)");
	CHECK(sm != NULL);
	if (sm != NULL) {
		int rc = render(jstr(o, "value_template"), sm->payload, r,
		    sizeof(r));

		CHECK(rc == 0);
		if (rc != 0)
			fprintf(stderr, "%s: template %s on %s\n", uid,
			    jstr(o, "value_template"), sm->payload);
		/* HA's state rules for what we render. */
		if (rc == 0 && strcmp(comp, "sensor") == 0) {
			if (sensor_numeric(o))
				CHECK(strcmp(r, "None") == 0 || is_number(r));
			else
				CHECK(strlen(r) <= HA_STATE_TEXT_MAX);
			if (jstr(o, "device_class") != NULL &&
			    strcmp(jstr(o, "device_class"), "battery") == 0 &&
			    strcmp(r, "None") != 0)
				CHECK(atof(r) >= 0 && atof(r) <= 100);
			if (cJSON_GetObjectItemCaseSensitive(o, "options")) {
				const cJSON *a;
				int ok = 0;

				cJSON_ArrayForEach(a, cJSON_GetObjectItem(o,
				    "options"))
					ok |= strcmp(a->valuestring, r) == 0;
				CHECK(ok || strcmp(r, "None") == 0);
			}
		}
		if (rc == 0 && strcmp(comp, "binary_sensor") == 0)
			CHECK(strcmp(r, jstr(o, "payload_on")) == 0 ||
			    strcmp(r, jstr(o, "payload_off")) == 0);
		if (rc == 0 && strcmp(comp, "select") == 0) {
			const cJSON *a;
			int ok = strcmp(r, "None") == 0;

			cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "options"))
				ok |= strcmp(a->valuestring, r) == 0;
			CHECK(ok);
		}
		if (rc == 0 && strcmp(comp, "number") == 0) {
			double mn = cJSON_GetObjectItem(o, "min")->valuedouble;
			double mx = cJSON_GetObjectItem(o, "max")->valuedouble;

			CHECK(strcmp(r, "None") == 0 || (is_number(r) &&
			    atof(r) >= mn && atof(r) <= mx));
		}
	}
	at = jstr(o, "json_attributes_topic");
	if (at != NULL) {
		const struct ha_msg *am = pub_find(pb, at);
		cJSON *ao = am != NULL ? cJSON_Parse(am->payload) : NULL;

		CHECK(cJSON_IsObject(ao));
		cJSON_Delete(ao);
	}

	/* Cross-check: the command topic is one the hub parses, for every
	 * value the entity offers, and nothing past them. */
	ct = jstr(o, "command_topic");
	if (ct != NULL) {
		struct ha_command c;
		const char *why;

		CHECK(plain_topic(ct));
		if (strcmp(comp, "select") == 0) {
			const cJSON *a;

			cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "options")) {
				CHECK(ha_parse_command(p, ct, strlen(ct),
				    a->valuestring, strlen(a->valuestring), 0,
				    &c, &why) == 0);
				CHECK(c.kind == HA_CMD_REPORT &&
				    strcmp(c.runner, runner) == 0 &&
				    strcmp(stride_level_name(c.level),
				    a->valuestring) == 0);
			}
		} else if (strcmp(comp, "number") == 0) {
			double v, mn = cJSON_GetObjectItem(o, "min")->valuedouble;
			double mx = cJSON_GetObjectItem(o, "max")->valuedouble;
			double stp = cJSON_GetObjectItem(o, "step")->valuedouble;
			char b[16];

			for (v = mn; v <= mx; v += stp) {
				/* HA prints an integral value as an int. */
				snprintf(b, sizeof(b), "%d", (int)v);
				CHECK(ha_parse_command(p, ct, strlen(ct), b,
				    strlen(b), 0, &c, &why) == 0);
				CHECK(c.kind == HA_CMD_SCORE &&
				    c.score == (int)v &&
				    strcmp(c.runner, runner) == 0);
			}
			snprintf(b, sizeof(b), "%d", (int)mx + 1);
			CHECK(ha_parse_command(p, ct, strlen(ct), b,
			    strlen(b), 0, &c, &why) == -1);
		} else
			CHECK(0);	/* no other component commands */
	}
	cJSON_Delete(o);
}

/* ---- tests ---- */

static void
test_params(void)
{
	struct ha_params	p;
	const char		*why;

	params(&p);
	CHECK(ha_params_check(&p, &why) == 0 && why == NULL);
	p.prefix = "club/stridehub";
	CHECK(ha_params_check(&p, &why) == 0);
	p.prefix = "a/+";
	CHECK(ha_params_check(&p, &why) == -1 && why != NULL);
	p.prefix = "caf\xc3\xa9";
	CHECK(ha_params_check(&p, &why) == -1);
	params(&p);
	p.discovery_prefix = "";
	CHECK(ha_params_check(&p, &why) == -1);
	p.discovery_prefix = "$SYS";
	CHECK(ha_params_check(&p, &why) == -1);
	params(&p);
	p.live_interval_ms = HA_LIVE_INTERVAL_MS_MIN - 1;
	CHECK(ha_params_check(&p, &why) == -1);
	p.live_interval_ms = HA_LIVE_INTERVAL_MS_MAX + 1;
	CHECK(ha_params_check(&p, &why) == -1);
	p.live_interval_ms = HA_LIVE_INTERVAL_MS_MAX;
	CHECK(ha_params_check(&p, &why) == 0);
	p.sw_version = "";
	CHECK(ha_params_check(&p, &why) == -1);
	p.sw_version = NULL;
	CHECK(ha_params_check(&p, &why) == 0);
	CHECK(ha_params_check(NULL, &why) == -1);
}

static const struct ha_device anna_devs[] = {
	{ "pod1", STRIDE_ROLE_FOOTPOD, 1, 80, "0.1.0" },
	{ "fr945", STRIDE_ROLE_WATCH, 0, -1, NULL },
};

static struct pub pub_full, pub_empty;

/* Every config of one runner, against the rules and both state forms. */
static void
check_runner(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, struct rec *r)
{
	int i, n, nbat = 0;

	for (i = 0; i < (int)ndev; i++)
		nbat += dev[i].battery >= 0;
	rec_init(r);
	n = ha_discovery(p, runner, dev, ndev, rec_emit, r);
	CHECK(n == r->n && n > 0);
	memset(&pub_full, 0, sizeof(pub_full));
	memset(&pub_empty, 0, sizeof(pub_empty));
	publish_all(p, runner, dev, ndev, 1, &pub_full);
	publish_all(p, runner, dev, ndev, 0, &pub_empty);
	for (i = 0; i < r->n; i++) {
		CHECK(r->m[i].retained == 1 && r->m[i].qos == 1);
		CHECK(r->m[i].len == strlen(r->m[i].payload));
		check_config(p, runner, r->m[i].topic, r->m[i].payload,
		    &pub_full);
		check_config(p, runner, r->m[i].topic, r->m[i].payload,
		    &pub_empty);
	}
	/* Topics distinct. */
	for (i = 0; i < r->n; i++) {
		int j;

		for (j = i + 1; j < r->n; j++)
			CHECK(strcmp(r->m[i].topic, r->m[j].topic) != 0);
	}
	/* One connectivity entity per device, one battery per known one. */
	{
		int conn = 0, bat = 0;

		for (i = 0; i < r->n; i++) {
			conn += strstr(r->m[i].payload,
			    "\"device_class\":\"connectivity\"") != NULL;
			bat += strstr(r->m[i].payload,
			    "\"device_class\":\"battery\"") != NULL;
		}
		CHECK(conn == (int)ndev && bat == nbat);
	}
}

static void
test_discovery_rules(void)
{
	struct ha_params	p;
	char			t[HA_TOPIC_MAX + 1];
	int			i, seen_live = 0, seen_select = 0;

	params(&p);
	check_runner(&p, "anna", anna_devs, 2, &rec_a);
	/* The entities the issue asks for are there, by device class, unit
	 * and component. */
	for (i = 0; i < rec_a.n; i++) {
		const char *pl = rec_a.m[i].payload;

		if (strstr(pl, "\"unit_of_measurement\":\"spm\"") &&
		    strstr(pl, "/live\""))
			seen_live |= 1;
		if (strstr(pl, "\"device_class\":\"speed\"") &&
		    strstr(pl, "/live\""))
			seen_live |= 2;
		if (strstr(pl, "\"value_template\":\"{{ value_json.pace }}\"")
		    && !strstr(pl, "unit_of_measurement") &&
		    !strstr(pl, "device_class"))
			seen_live |= 4;
		if (strstr(pl, "\"device_class\":\"duration\"") &&
		    strstr(pl, "\"unit_of_measurement\":\"s\""))
			seen_live |= 8;
		if (strstr(rec_a.m[i].topic, "/select/") &&
		    strstr(pl, "much_aware"))
			seen_select |= 1;
		if (strstr(rec_a.m[i].topic, "/number/") &&
		    strstr(pl, "\"mode\":\"box\""))
			seen_select |= 2;
	}
	CHECK(seen_live == 15);
	CHECK(seen_select == 3);
	/* Another prefix and discovery prefix, several levels each. */
	p.prefix = "club/stridehub";
	p.discovery_prefix = "ha/discovery";
	p.live_interval_ms = 30000;
	check_runner(&p, "bo-2", anna_devs, 1, &rec_b);
	CHECK(strncmp(rec_b.m[0].topic, "ha/discovery/", 13) == 0);
	CHECK(strstr(rec_b.m[0].payload,
	    "\"state_topic\":\"club/stridehub/ha/bo-2/live\""));
	/* Live values expire after 4 intervals (here 120 s), at least 60. */
	CHECK(strstr(rec_b.m[0].payload, "\"expire_after\":120"));
	params(&p);
	CHECK(strstr(rec_a.m[0].payload, "\"expire_after\":60"));
	/* Longest ids at the longest prefixes still fit. */
	p.prefix = "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp";
	p.discovery_prefix = p.prefix;
	{
		static const struct ha_device longdev[] = {
		    { "dddddddddddddddddddddddddddddddd", STRIDE_ROLE_WATCH,
		    1, 100, "abcdefghijklmnopqrstuvwxyz012345" } };

		check_runner(&p, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", longdev,
		    1, &rec_c);
	}
	/* Bad input: nothing emitted. */
	params(&p);
	rec_init(&rec_c);
	CHECK(ha_discovery(&p, "Anna", anna_devs, 2, rec_emit, &rec_c) == -1);
	CHECK(ha_discovery(&p, "", anna_devs, 2, rec_emit, &rec_c) == -1);
	CHECK(ha_discovery(&p, NULL, anna_devs, 2, rec_emit, &rec_c) == -1);
	{
		static const struct ha_device bad[] = {
		    { "Pod", STRIDE_ROLE_FOOTPOD, 1, 50, NULL } };

		CHECK(ha_discovery(&p, "anna", bad, 1, rec_emit,
		    &rec_c) == -1);
	}
	CHECK(rec_c.n == 0);
	/* An emit failure stops the walk. */
	rec_init(&rec_c);
	rec_c.fail_at = 3;
	CHECK(ha_discovery(&p, "anna", anna_devs, 2, rec_emit, &rec_c) == -1);
	CHECK(rec_c.n == 3);
	/* Subscriptions and HA's birth. */
	CHECK(ha_command_filter(&p, HA_CMD_REPORT, t, sizeof(t)) > 0 &&
	    strcmp(t, "stridehub/ha/+/report/set") == 0);
	CHECK(ha_command_filter(&p, HA_CMD_SCORE, t, sizeof(t)) > 0 &&
	    strcmp(t, "stridehub/ha/+/score/set") == 0);
	CHECK(ha_command_filter(&p, HA_CMD_NONE, t, sizeof(t)) == -1);
	CHECK(ha_command_filter(&p, HA_CMD_SCORE, t, 10) == -1);
	CHECK(ha_birth_topic(&p, t, sizeof(t)) > 0 &&
	    strcmp(t, "homeassistant/status") == 0);
	CHECK(ha_is_birth(&p, t, strlen(t), "online", 6) == 1);
	CHECK(ha_is_birth(&p, t, strlen(t), "offline", 7) == 0);
	CHECK(ha_is_birth(&p, t, strlen(t), "online ", 7) == 0);
	CHECK(ha_is_birth(&p, t, strlen(t), "Online", 6) == 0);
	CHECK(ha_is_birth(&p, t, strlen(t) - 1, "online", 6) == 0);
	CHECK(ha_is_birth(&p, "homeassistant/statusx", 21, "online",
	    6) == 0);
}

/* Unique ids and topics across runners, including ids made to collide. */
static int
collect_uids(const struct ha_params *p, const char *runner,
    const struct ha_device *dev, size_t ndev, char (*uids)[128], int n)
{
	struct rec	*r = &rec_c;
	int		 i;

	rec_init(r);
	if (ha_discovery(p, runner, dev, ndev, rec_emit, r) < 0)
		return n;
	for (i = 0; i < r->n && n < 1024; i++) {
		cJSON *o = cJSON_Parse(r->m[i].payload);

		snprintf(uids[n++], 128, "%s", jstr(o, "unique_id") ?
		    jstr(o, "unique_id") : "");
		cJSON_Delete(o);
	}
	return n;
}

static char uid_buf[1024][128];

static int
all_distinct(char (*u)[128], int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (strcmp(u[i], u[j]) == 0) {
				fprintf(stderr, "duplicate unique_id %s\n",
				    u[i]);
				return 0;
			}
		}
	}
	return 1;
}

static void
test_unique_ids(void)
{
	struct ha_params	p;
	static const struct ha_device d1[] = {
		{ "b_dev_c", STRIDE_ROLE_WATCH, 1, 10, NULL },
		{ "x", STRIDE_ROLE_FOOTPOD, 1, 20, NULL },
		{ "x_online", STRIDE_ROLE_FOOTPOD, 1, 20, NULL } };
	static const struct ha_device d2[] = {
		{ "c", STRIDE_ROLE_WATCH, 1, 10, NULL } };
	static const struct ha_device d3[] = {
		{ "dev_c", STRIDE_ROLE_WATCH, 1, 10, NULL } };
	char	keys[64][128];
	int	n, nk, i;
	size_t	j;

	params(&p);
	/* Two ordinary runners with the same device names. */
	n = collect_uids(&p, "anna", anna_devs, 2, uid_buf, 0);
	CHECK(n > 20);
	n = collect_uids(&p, "bo", anna_devs, 2, uid_buf, n);
	CHECK(all_distinct(uid_buf, n));
	/* Runner and device ids chosen so that naive "R_dev_V" joins
	 * collide: (a, b_dev_c), (a_dev_b, c), (a_D, dev_c). */
	n = collect_uids(&p, "a", d1, 3, uid_buf, 0);
	nk = n;
	n = collect_uids(&p, "a_dev_b", d2, 1, uid_buf, n);
	n = collect_uids(&p, "a_d", d3, 1, uid_buf, n);
	n = collect_uids(&p, "a_b", d2, 1, uid_buf, n);
	CHECK(all_distinct(uid_buf, n));
	/* For every runner-level key with a '_', a runner named "a_" + the
	 * part before it must not reproduce runner a's ids. */
	for (i = 0; i < nk && i < 64; i++)
		snprintf(keys[i], 128, "%s", uid_buf[i] + strlen("stridehub_a_"));
	n = nk;
	for (i = 0; i < nk && i < 64; i++) {
		for (j = 1; j < strlen(keys[i]); j++) {
			char rn[64];

			if (keys[i][j] != '_' || j + 2 > 32)
				continue;
			snprintf(rn, sizeof(rn), "a_%.*s", (int)j, keys[i]);
			if (!stride_id_valid(rn, strlen(rn)))
				continue;
			n = collect_uids(&p, rn, d2, 1, uid_buf, nk);
			CHECK(all_distinct(uid_buf, n));
		}
	}
}

static void
test_remove(void)
{
	struct ha_params	p;
	int			i, j, n;

	params(&p);
	rec_init(&rec_a);
	CHECK(ha_discovery(&p, "anna", anna_devs, 2, rec_emit, &rec_a) > 0);
	rec_init(&rec_b);
	n = ha_remove(&p, "anna", anna_devs, 2, rec_emit, &rec_b);
	CHECK(n == rec_b.n);
	for (i = 0; i < rec_b.n; i++)
		CHECK(rec_b.m[i].len == 0 && rec_b.m[i].retained == 1);
	/* Every config topic discovery used is cleared... */
	for (i = 0; i < rec_a.n; i++) {
		int found = 0;

		for (j = 0; j < rec_b.n; j++)
			found |= strcmp(rec_a.m[i].topic, rec_b.m[j].topic) == 0;
		CHECK(found);
	}
	/* ...and the battery config of the device whose battery is not
	 * known (it may have been known before). */
	{
		int found = 0;

		for (j = 0; j < rec_b.n; j++)
			found |= strcmp(rec_b.m[j].topic, "homeassistant/sensor/"
			    "stridehub_anna/D_fr945_battery/config") == 0;
		CHECK(found);
	}
	/* Every retained state topic is cleared too; live is not retained. */
	memset(&pub_full, 0, sizeof(pub_full));
	publish_all(&p, "anna", anna_devs, 2, 1, &pub_full);
	for (i = 0; i < pub_full.n; i++) {
		int found = 0;

		for (j = 0; j < rec_b.n; j++)
			found |= strcmp(pub_full.m[i].topic,
			    rec_b.m[j].topic) == 0;
		CHECK(found == pub_full.m[i].retained);
	}
	/* Nothing of another runner. */
	for (j = 0; j < rec_b.n; j++)
		CHECK(strstr(rec_b.m[j].topic, "anna") != NULL);
	CHECK(ha_remove(&p, "_hub", NULL, 0, rec_emit, &rec_b) == -1);
}

static void
test_states(void)
{
	struct ha_params	 p;
	struct ha_msg		 m;
	struct ha_live		 l = { 171.64, 3.0, 2.26, 1234.0, 300.4 };
	struct ha_device	 d = { "pod1", STRIDE_ROLE_FOOTPOD, 1, 80,
				    "v\"1\\x\x01\xc3\xa9" };
	struct plan		 pl;
	cJSON			*o, *a;
	uint32_t		 i;

	params(&p);
	CHECK(ha_state_live(&p, "anna", &l, &m) == 0);
	CHECK(m.stream == HA_S_LIVE && m.retained == 0 && m.qos == 0);
	CHECK(strcmp(m.topic, "stridehub/ha/anna/live") == 0);
	o = cJSON_Parse(m.payload);
	CHECK(o != NULL && m.len == strlen(m.payload));
	CHECK_NEAR(cJSON_GetObjectItem(o, "cadence")->valuedouble, 171.6, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "speed")->valuedouble, 3.0, 1e-9);
	CHECK(strcmp(jstr(o, "pace"), "5:33 /km") == 0);
	CHECK_NEAR(cJSON_GetObjectItem(o, "grade")->valuedouble, 2.3, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "distance_km")->valuedouble, 1.23,
	    1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "duration_s")->valuedouble, 300,
	    1e-9);
	cJSON_Delete(o);
	/* Unknown and out-of-range values are null, never a wrong number. */
	l.cad_spm = NAN;
	l.spd_mps = 13;
	l.grade_pct = -45.5;
	l.dist_m = -1;
	l.dur_s = INFINITY;
	CHECK(ha_state_live(&p, "anna", &l, &m) == 0);
	CHECK(strcmp(m.payload, "{\"cadence\":null,\"speed\":null,"
	    "\"pace\":null,\"grade\":null,\"distance_km\":null,"
	    "\"duration_s\":null}") == 0);
	/* The idle message is the same all-null shape. */
	{
		struct ha_msg idle;

		CHECK(ha_state_live(&p, "anna", NULL, &idle) == 0);
		CHECK(strcmp(idle.payload, m.payload) == 0);
	}
	/* -0.04 rounds to 0.0, never "-0.0". */
	l.grade_pct = -0.04;
	CHECK(ha_state_live(&p, "anna", &l, &m) == 0);
	CHECK(strstr(m.payload, "\"grade\":0.0,") != NULL);

	/* Device: escaped firmware, valid JSON, non-ASCII replaced. */
	CHECK(ha_state_device(&p, "anna", &d, &m) == 0);
	CHECK(m.retained == 1 && strcmp(m.topic,
	    "stridehub/ha/anna/device/pod1") == 0);
	o = cJSON_Parse(m.payload);
	CHECK(o != NULL && strcmp(jstr(o, "fw"), "v\"1\\x\x01??") == 0);
	CHECK(strcmp(jstr(o, "online"), "ON") == 0 &&
	    cJSON_GetObjectItem(o, "battery")->valueint == 80 &&
	    strcmp(jstr(o, "role"), "footpod") == 0);
	cJSON_Delete(o);
	d.online = 0;
	d.battery = 101;
	d.role = STRIDE_ROLE_UNKNOWN;
	d.fw = NULL;
	CHECK(ha_state_device(&p, "anna", &d, &m) == 0);
	CHECK(strcmp(m.payload, "{\"online\":\"OFF\",\"battery\":null,"
	    "\"role\":null,\"fw\":null}") == 0);
	d.id = "Pod";
	CHECK(ha_state_device(&p, "anna", &d, &m) == -1 && m.len == 0);

	/* The largest plan fits, parses, and keeps every reason. */
	sample_plan(&pl);
	memset(pl.text, 'x', PLAN_TEXT_MAX);
	pl.text[PLAN_TEXT_MAX] = '\0';
	pl.nreasons = PLAN_REASONS_MAX;
	for (i = 0; i < PLAN_REASONS_MAX; i++) {
		pl.reasons[i].code = PLAN_R_CADENCE_SUDDEN;
		memset(pl.reasons[i].text, 'y', PLAN_REASON_TEXT_MAX);
		pl.reasons[i].text[PLAN_REASON_TEXT_MAX] = '\0';
	}
	pl.stop = PLAN_STOP_ALL;
	CHECK(ha_state_plan(&p, "anna", &pl, &m) == 0);
	o = cJSON_Parse(m.payload);
	CHECK(o != NULL);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "reasons")) ==
	    PLAN_REASONS_MAX);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "stop")) == 4);
	CHECK(strlen(jstr(o, "text")) == PLAN_TEXT_MAX);
	CHECK(strlen(jstr(o, "reason")) <= HA_STATE_TEXT_MAX);
	cJSON_Delete(o);
	/* The sample plan, field by field. */
	sample_plan(&pl);
	CHECK(ha_state_plan(&p, "anna", &pl, &m) == 0);
	o = cJSON_Parse(m.payload);
	CHECK_NEAR(cJSON_GetObjectItem(o, "max_distance_km")->valuedouble,
	    4.5, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "max_duration_min")->valuedouble,
	    30, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "speed_cap_mps")->valuedouble, 3.2,
	    1e-9);
	CHECK(strcmp(jstr(o, "pace_cap"), "5:13 /km") == 0);
	CHECK(cJSON_GetObjectItem(o, "cadence_target_spm")->valueint == 172);
	CHECK(strcmp(jstr(o, "reason_code"), "PROGRESS") == 0);
	CHECK(strcmp(jstr(o, "reason"), pl.reasons[0].text) == 0);
	CHECK(strcmp(jstr(o, "phase"), "normal") == 0);
	CHECK(strcmp(jstr(o, "rest_until"), "2023-11-15T22:13:20Z") == 0);
	a = cJSON_GetObjectItem(o, "stop");
	CHECK(cJSON_GetArraySize(a) == 2 &&
	    strcmp(cJSON_GetArrayItem(a, 0)->valuestring, "pain") == 0 &&
	    strcmp(cJSON_GetArrayItem(a, 1)->valuestring, "distance") == 0);
	cJSON_Delete(o);
	/* No target: null, not 0 (HA would plot a target of 0 spm). */
	pl.cadence_target_spm = 0;
	pl.cadence_base_spm = 0;
	pl.cadence_since_ms = 0;
	CHECK(ha_state_plan(&p, "anna", &pl, &m) == 0);
	CHECK(strstr(m.payload, "\"cadence_target_spm\":null"));
	/* A plan that fails plan_check is shown as none, not half-shown. */
	pl.max_distance_m = PLAN_DIST_MAX_M + 1;
	CHECK(ha_state_plan(&p, "anna", &pl, &m) == 0);
	CHECK(strstr(m.payload, "\"version\":null"));

	/* Session summary. */
	{
		struct session_summary ss;

		sample_summary(&ss, T0);
		CHECK(ha_state_session(&p, "anna", &ss, NAN, &m) == 0);
		o = cJSON_Parse(m.payload);
		CHECK(o != NULL && m.retained == 1);
		CHECK_NEAR(cJSON_GetObjectItem(o, "distance_km")->valuedouble,
		    5.43, 1e-9);
		CHECK(strcmp(jstr(o, "start"), "2023-11-14T22:13:20Z") == 0);
		CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "load")));
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "band_s")) ==
		    FUSE_BANDS);
		CHECK(cJSON_GetObjectItem(o, "devices")->valueint == 2);
		cJSON_Delete(o);
		/* No cadence measured: null, not 0. */
		ss.avg_cadence_spm = 0;
		ss.avg_step_m = 0;
		CHECK(ha_state_session(&p, "anna", &ss, 1.5, &m) == 0);
		CHECK(strstr(m.payload, "\"avg_cadence_spm\":null"));
		CHECK(strstr(m.payload, "\"avg_step_m\":null"));
	}
}

static void
test_week(void)
{
	struct ha_params	p;
	struct session_summary	ss[4];
	struct rules_loads	l;
	struct ha_week		w;
	struct ha_msg		m;
	cJSON			*o;

	params(&p);
	sample_summary(&ss[0], T0 - 7 * 86400000LL);	/* edge: out */
	sample_summary(&ss[1], T0 - 7 * 86400000LL + 1); /* in */
	sample_summary(&ss[2], T0);			/* in */
	sample_summary(&ss[3], T0 + 1);			/* future: out */
	memset(&l, 0, sizeof(l));
	l.week = 12.346;
	ha_week_fill(ss, 4, &l, T0, &w);
	CHECK(w.runs == 2);
	CHECK_NEAR(w.distance_m, 2 * 5432.1, 1e-6);
	CHECK_NEAR(w.moving_s, 2 * 1850, 1e-6);
	CHECK(isnan(w.overstride));
	CHECK(ha_state_week(&p, "anna", &w, &m) == 0);
	o = cJSON_Parse(m.payload);
	CHECK(o != NULL);
	CHECK_NEAR(cJSON_GetObjectItem(o, "distance_km")->valuedouble, 10.86,
	    1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(o, "load")->valuedouble, 12.35, 1e-9);
	/* acwr 0 (too little history) and no previous week: unknown. */
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "acwr")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "week_ratio")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "overstride_pct")));
	cJSON_Delete(o);
	w.acwr = 1.234;
	w.overstride = 0.333;
	CHECK(ha_state_week(&p, "anna", &w, &m) == 0);
	CHECK(strstr(m.payload, "\"acwr\":1.23,"));
	CHECK(strstr(m.payload, "\"overstride_pct\":33}"));
	w.overstride = 1.5;	/* not a share: unknown */
	CHECK(ha_state_week(&p, "anna", &w, &m) == 0);
	CHECK(strstr(m.payload, "\"overstride_pct\":null}"));
	ha_week_fill(NULL, 0, NULL, T0, &w);
	CHECK(w.runs == 0 && isnan(w.acwr));
	CHECK(ha_state_week(&p, "anna", &w, &m) == 0);
	CHECK(ha_state_week(&p, "anna", NULL, &m) == -1);
}

static void
test_report_state(void)
{
	static const struct {
		int64_t			run, rep;
		enum stride_level	level;
		int			score, pending;
		enum ha_report_status	st;
		const char		*json_level;
		int			json_score;	/* -1: null */
	} rows[] = {
		{ 0, 0, STRIDE_LEVEL_NONE, -1, -1, HA_REPORT_NO_RUN, NULL, -1 },
		{ 0, T0, STRIDE_LEVEL_USUAL, 3, -1, HA_REPORT_NO_RUN, NULL, -1 },
		{ T0, 0, STRIDE_LEVEL_NONE, -1, -1, HA_REPORT_DUE, NULL, -1 },
		{ T0, T0 - 1, STRIDE_LEVEL_USUAL, 3, -1, HA_REPORT_DUE, NULL,
		    -1 },
		{ T0, T0, STRIDE_LEVEL_AWARE, 4, -1, HA_REPORT_DONE, "aware",
		    4 },
		{ T0, T0 + 5, STRIDE_LEVEL_PAINFUL, -1, -1, HA_REPORT_DONE,
		    "painful", -1 },
		{ T0, T0 - 1, STRIDE_LEVEL_USUAL, 3, 6, HA_REPORT_DUE, NULL,
		    6 },
		{ T0, T0 + 5, STRIDE_LEVEL_USUAL, 3, 6, HA_REPORT_DONE,
		    "usual", 6 },
	};
	struct ha_params	p;
	struct ha_msg		m;
	size_t			i;

	params(&p);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ha_report_view v = { rows[i].run, rows[i].rep,
		    rows[i].level, rows[i].score, rows[i].pending };
		cJSON *o, *lv, *sc;

		CHECK(ha_report_status_of(&v) == rows[i].st);
		CHECK(ha_state_report(&p, "anna", &v, &m) == 0);
		o = cJSON_Parse(m.payload);
		lv = cJSON_GetObjectItem(o, "level");
		sc = cJSON_GetObjectItem(o, "score");
		if (rows[i].json_level == NULL)
			CHECK(cJSON_IsNull(lv));
		else
			CHECK(cJSON_IsString(lv) && strcmp(lv->valuestring,
			    rows[i].json_level) == 0);
		if (rows[i].json_score < 0)
			CHECK(cJSON_IsNull(sc));
		else
			CHECK(cJSON_IsNumber(sc) &&
			    sc->valueint == rows[i].json_score);
		CHECK(strcmp(jstr(o, "status"), rows[i].st == HA_REPORT_DONE ?
		    "reported" : rows[i].st == HA_REPORT_DUE ? "due" :
		    "no_run") == 0);
		cJSON_Delete(o);
	}
}

static void
test_commands(void)
{
	static const struct {
		const char	*topic;
		const char	*payload;
		size_t		 plen;	/* 0: strlen */
		int		 retained;
		int		 ok;
		enum ha_cmd	 kind;
		const char	*runner;
		int		 value;	/* level or score */
		const char	*why;	/* substring of the reason */
	} rows[] = {
		/* good */
		{ "stridehub/ha/anna/report/set", "usual", 0, 0, 1,
		    HA_CMD_REPORT, "anna", STRIDE_LEVEL_USUAL, NULL },
		{ "stridehub/ha/anna/report/set", "much_aware", 0, 0, 1,
		    HA_CMD_REPORT, "anna", STRIDE_LEVEL_MUCH_AWARE, NULL },
		{ "stridehub/ha/bo-2/report/set", "painful", 0, 0, 1,
		    HA_CMD_REPORT, "bo-2", STRIDE_LEVEL_PAINFUL, NULL },
		{ "stridehub/ha/9lives/report/set", "better", 0, 0, 1,
		    HA_CMD_REPORT, "9lives", STRIDE_LEVEL_BETTER, NULL },
		{ "stridehub/ha/anna/score/set", "0", 0, 0, 1, HA_CMD_SCORE,
		    "anna", 0, NULL },
		{ "stridehub/ha/anna/score/set", "10", 0, 0, 1, HA_CMD_SCORE,
		    "anna", 10, NULL },
		{ "stridehub/ha/anna/score/set", "7.0", 0, 0, 1, HA_CMD_SCORE,
		    "anna", 7, NULL },
		{ "stridehub/ha/anna/score/set", "10.000", 0, 0, 1,
		    HA_CMD_SCORE, "anna", 10, NULL },
		{ "stridehub/ha/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr/score/set",
		    "3", 0, 0, 1, HA_CMD_SCORE,
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", 3, NULL },
		/* topics */
		{ "stridehubx/ha/anna/report/set", "usual", 0, 0, 0, 0, NULL,
		    0, "not a Home Assistant" },
		{ "stridehu/ha/anna/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "not a Home Assistant" },
		{ "stridehub/HA/anna/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "not a Home Assistant" },
		{ "stridehub/v1/anna/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "not a Home Assistant" },
		{ "stridehub/ha/", "usual", 0, 0, 0, 0, NULL, 0,
		    "not a Home Assistant" },
		{ "stridehub/ha/anna", "usual", 0, 0, 0, 0, NULL, 0,
		    "too few levels" },
		{ "stridehub/ha/Anna/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "bad runner id" },
		{ "stridehub/ha/_hub/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "bad runner id" },
		{ "stridehub/ha//report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "bad runner id" },
		{ "stridehub/ha/+/report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "bad runner id" },
		{ "stridehub/ha/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr/score/set",
		    "3", 0, 0, 0, 0, NULL, 0, "bad runner id" },
		{ "stridehub/ha/anna/report", "usual", 0, 0, 0, 0, NULL, 0,
		    "unknown command topic" },
		{ "stridehub/ha/anna/report/set/x", "usual", 0, 0, 0, 0, NULL,
		    0, "unknown command topic" },
		{ "stridehub/ha/anna/Report/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "unknown command topic" },
		{ "stridehub/ha/anna/live/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "unknown command topic" },
		{ "stridehub/ha/anna/report/set/", "usual", 0, 0, 0, 0, NULL, 0,
		    "unknown command topic" },
		/* payloads */
		{ "stridehub/ha/anna/report/set", "usual", 0, 1, 0, 0, NULL, 0,
		    "retained" },
		{ "stridehub/ha/anna/report/set", "", 0, 0, 0, 0, NULL, 0,
		    "empty payload" },
		{ "stridehub/ha/anna/report/set", "Usual", 0, 0, 0, 0, NULL, 0,
		    "unknown level" },
		{ "stridehub/ha/anna/report/set", " usual", 0, 0, 0, 0, NULL,
		    0, "unknown level" },
		{ "stridehub/ha/anna/report/set", "usual\n", 0, 0, 0, 0, NULL,
		    0, "unknown level" },
		{ "stridehub/ha/anna/report/set", "usual\0x", 7, 0, 0, 0, NULL,
		    0, "NUL in payload" },
		{ "stridehub/ha/anna/report/set", "much aware", 0, 0, 0, 0,
		    NULL, 0, "unknown level" },
		{ "stridehub/ha/anna/report/set", "3", 0, 0, 0, 0, NULL, 0,
		    "unknown level" },
		{ "stridehub/ha/anna/report/set", "\"usual\"", 0, 0, 0, 0,
		    NULL, 0, "unknown level" },
		{ "stridehub/ha/anna/report/set", "much_awaremuch_aware", 0, 0,
		    0, 0, NULL, 0, "payload too large" },
		{ "stridehub/ha/anna/score/set", "11", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "-1", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "+1", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "01", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "100", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "1e1", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "7.5", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "7.", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", ".5", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", " 5", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "5 ", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "0x5", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "10.01", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "usual", 0, 0, 0, 0, NULL, 0,
		    "score" },
		{ "stridehub/ha/anna/score/set", "5", 0, 1, 0, 0, NULL, 0,
		    "retained" },
	};
	struct ha_params	p;
	struct ha_command	c;
	const char		*why;
	char			*t, *pl, longt[HA_TOPIC_MAX + 8];
	size_t			i, tl, plen;
	int			rc;

	params(&p);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* Exact-size heap copies: ASan sees any read past a length. */
		tl = strlen(rows[i].topic);
		plen = rows[i].plen ? rows[i].plen : strlen(rows[i].payload);
		t = malloc(tl ? tl : 1);
		pl = malloc(plen ? plen : 1);
		memcpy(t, rows[i].topic, tl);
		memcpy(pl, rows[i].payload, plen);
		why = "unset";
		rc = ha_parse_command(&p, t, tl, pl, plen, rows[i].retained,
		    &c, &why);
		CHECK(rc == (rows[i].ok ? 0 : -1));
		if (rows[i].ok) {
			CHECK(why == NULL && c.kind == rows[i].kind &&
			    strcmp(c.runner, rows[i].runner) == 0);
			if (c.kind == HA_CMD_REPORT)
				CHECK((int)c.level == rows[i].value &&
				    c.score == -1);
			else
				CHECK(c.score == rows[i].value &&
				    c.level == STRIDE_LEVEL_NONE);
		} else {
			CHECK(why != NULL && strstr(why, rows[i].why) != NULL);
			CHECK(c.kind == HA_CMD_NONE && c.runner[0] == '\0' &&
			    c.score == -1);
		}
		if (rc != (rows[i].ok ? 0 : -1) || (!rows[i].ok &&
		    (why == NULL || strstr(why, rows[i].why) == NULL)))
			fprintf(stderr, "row %zu: %s %s: %s\n", i,
			    rows[i].topic, rows[i].payload, why ? why : "ok");
		free(t);
		free(pl);
	}
	/* A NUL inside the topic; a topic over the limit; no topic. */
	CHECK(ha_parse_command(&p, "stridehub/ha/anna\0/report/set", 29,
	    "usual", 5, 0, &c, &why) == -1 && strstr(why, "NUL"));
	memset(longt, 'a', sizeof(longt));
	CHECK(ha_parse_command(&p, longt, HA_TOPIC_MAX + 1, "usual", 5, 0,
	    &c, &why) == -1 && strstr(why, "too long"));
	CHECK(ha_parse_command(&p, NULL, 0, "usual", 5, 0, &c, &why) == -1);
	CHECK(ha_parse_command(&p, "x", 1, NULL, 0, 0, &c, &why) == -1);
	/* A multi-level prefix. */
	p.prefix = "club/stridehub";
	CHECK(ha_parse_command(&p, "club/stridehub/ha/anna/score/set", 32,
	    "4", 1, 0, &c, &why) == 0 && c.score == 4);
	CHECK(ha_parse_command(&p, "stridehub/ha/anna/score/set", 27, "4", 1,
	    0, &c, &why) == -1);
}

static void
test_hold(void)
{
	struct ha_hold		h;
	struct ha_command	word = { HA_CMD_REPORT, "anna",
				    STRIDE_LEVEL_AWARE, -1 };
	struct ha_command	score = { HA_CMD_SCORE, "anna",
				    STRIDE_LEVEL_NONE, 4 };
	enum stride_level	lv;
	int			sc;
	const int64_t		H = HA_HOLD_MS_DEFAULT;

	/* Word alone: a report at once, no score. */
	memset(&h, 0, sizeof(h));
	CHECK(ha_hold_apply(&h, &word, T0, H, &lv, &sc) == 1);
	CHECK(lv == STRIDE_LEVEL_AWARE && sc == -1);
	/* Then a score within the hold: a second report, same word. */
	CHECK(ha_hold_apply(&h, &score, T0 + H, H, &lv, &sc) == 1);
	CHECK(lv == STRIDE_LEVEL_AWARE && sc == 4);
	/* A score after the hold: waits, nothing stored. */
	CHECK(ha_hold_apply(&h, &score, T0 + H + 1, H, &lv, &sc) == 0);
	CHECK(lv == STRIDE_LEVEL_NONE && sc == -1);
	CHECK(ha_hold_pending(&h, T0 + H + 1, H) == 4);
	CHECK(ha_hold_pending(&h, T0 + 2 * H + 1, H) == 4);
	CHECK(ha_hold_pending(&h, T0 + 2 * H + 2, H) == -1);
	/* Score first, then the word within the hold: one report with both,
	 * and the score is used up. */
	memset(&h, 0, sizeof(h));
	CHECK(ha_hold_apply(&h, &score, T0, H, &lv, &sc) == 0);
	CHECK(ha_hold_apply(&h, &word, T0 + H, H, &lv, &sc) == 1);
	CHECK(lv == STRIDE_LEVEL_AWARE && sc == 4);
	CHECK(ha_hold_pending(&h, T0 + H, H) == -1);
	/* Score, then the word too late: the word alone. */
	memset(&h, 0, sizeof(h));
	CHECK(ha_hold_apply(&h, &score, T0, H, &lv, &sc) == 0);
	CHECK(ha_hold_apply(&h, &word, T0 + H + 1, H, &lv, &sc) == 1);
	CHECK(lv == STRIDE_LEVEL_AWARE && sc == -1);
	/* A clock that went back does not pair. */
	memset(&h, 0, sizeof(h));
	CHECK(ha_hold_apply(&h, &word, T0, H, &lv, &sc) == 1);
	CHECK(ha_hold_apply(&h, &score, T0 - 1, H, &lv, &sc) == 0);
	/* Invalid commands. */
	word.level = STRIDE_LEVEL_COUNT;
	CHECK(ha_hold_apply(&h, &word, T0, H, &lv, &sc) == -1);
	score.score = 11;
	CHECK(ha_hold_apply(&h, &score, T0, H, &lv, &sc) == -1);
	score.kind = HA_CMD_NONE;
	CHECK(ha_hold_apply(&h, &score, T0, H, &lv, &sc) == -1);
}

static void
test_throttle(void)
{
	struct ha_params	p;
	struct ha_throttle	t;
	struct ha_msg		live, plan1, plan2, dev;
	struct ha_live		l = { 170, 3, 0, 100, 30 };
	struct plan		pl;
	struct ha_device	d = { "pod1", STRIDE_ROLE_FOOTPOD, 1, 80, NULL };
	const int64_t		I = HA_LIVE_INTERVAL_MS_DEFAULT;

	params(&p);
	memset(&t, 0, sizeof(t));
	CHECK(ha_state_live(&p, "anna", &l, &live) == 0);
	/* Live: the first at once, then at most once per interval. */
	CHECK(ha_should_publish(&t, &p, T0, &live) == 1);
	CHECK(ha_should_publish(&t, &p, T0 + 1, &live) == 0);
	CHECK(ha_should_publish(&t, &p, T0 + I - 1, &live) == 0);
	CHECK(ha_should_publish(&t, &p, T0 + I, &live) == 1);
	CHECK(ha_should_publish(&t, &p, T0 + 2 * I - 1, &live) == 0);
	CHECK(ha_should_publish(&t, &p, T0 + 3 * I, &live) == 1);
	/* A clock stepped back does not silence live values. */
	CHECK(ha_should_publish(&t, &p, T0, &live) == 1);
	CHECK(ha_should_publish(&t, &p, T0 + 1, &live) == 0);
	/* The interval is the setting's. */
	p.live_interval_ms = 1000;
	CHECK(ha_should_publish(&t, &p, T0 + 1000, &live) == 1);
	params(&p);

	/* Summaries: on change only, per stream. */
	sample_plan(&pl);
	CHECK(ha_state_plan(&p, "anna", &pl, &plan1) == 0);
	pl.max_distance_m = 5000;
	CHECK(ha_state_plan(&p, "anna", &pl, &plan2) == 0);
	CHECK(ha_should_publish(&t, &p, T0, &plan1) == 1);
	CHECK(ha_should_publish(&t, &p, T0 + 1, &plan1) == 0);
	CHECK(ha_should_publish(&t, &p, T0 + 86400000, &plan1) == 0);
	CHECK(ha_should_publish(&t, &p, T0, &plan2) == 1);
	CHECK(ha_should_publish(&t, &p, T0, &plan2) == 0);
	CHECK(ha_should_publish(&t, &p, T0, &plan1) == 1);	/* back */
	/* Same bytes on another stream are another slot. */
	plan2.stream = HA_S_WEEK;
	CHECK(ha_should_publish(&t, &p, T0, &plan2) == 1);
	CHECK(ha_should_publish(&t, &p, T0, &plan2) == 0);
	/* Devices: always. */
	CHECK(ha_state_device(&p, "anna", &d, &dev) == 0);
	CHECK(ha_should_publish(&t, &p, T0, &dev) == 1);
	CHECK(ha_should_publish(&t, &p, T0, &dev) == 1);
	/* After HA's birth everything goes again. */
	ha_throttle_reset(&t);
	CHECK(ha_should_publish(&t, &p, T0, &plan1) == 1);
	CHECK(ha_should_publish(&t, &p, T0 + 1, &live) == 1);
	/* Garbage stream: never. */
	plan1.stream = HA_S_COUNT;
	CHECK(ha_should_publish(&t, &p, T0, &plan1) == 0);
}

static void
test_pace(void)
{
	static const struct {
		double		 v;
		const char	*want;
	} rows[] = {
		{ 3.0, "5:33 /km" },		/* 333.3 s */
		{ 1000.0 / 360, "6:00 /km" },
		{ 1000.0 / 359.6, "6:00 /km" },	/* rounds up over the minute */
		{ 1000.0 / 359.4, "5:59 /km" },
		{ 5.0, "3:20 /km" },
		{ 12.0, "1:23 /km" },
		{ 0.5, "33:20 /km" },
		{ 0.49, "" },
		{ 0, "" },
		{ -3, "" },
		{ NAN, "" },
		{ INFINITY, "" },
	};
	char	b[24];
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = ha_pace(rows[i].v, b, sizeof(b));

		CHECK(strcmp(b, rows[i].want) == 0 && n == (int)strlen(b));
	}
	CHECK(ha_pace(3.0, b, 5) == 0 && b[0] == '\0');
}

int
main(void)
{
	test_params();
	test_discovery_rules();
	test_unique_ids();
	test_remove();
	test_states();
	test_week();
	test_report_state();
	test_commands();
	test_hold();
	test_throttle();
	test_pace();
	return check_done("test_ha");
}
