/*
 * test_codec.c - protocol v1 JSON: round trips of every kind, golden
 * encodings and decodings, a table of hostile inputs each refused for its
 * own reason, and a round trip of a real foot pod run.
 *
 * The real run is read from $STRIDE_ACTIVITIES (set by ctest); without it
 * that part is skipped with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stride/codec.h"
#include "check.h"

#define T0 1700000000000LL	/* 2023-11-14, an ordinary device time */

/* ---- helpers ---- */

/* Decode s (NUL-terminated) as kind; prints the reason if it fails. */
static int
dec(enum stride_kind kind, const char *s, struct stride_msg *m)
{
	const char	*why = NULL;
	int		 rc;

	rc = codec_decode(kind, s, strlen(s), m, &why);
	if (rc != 0)
		fprintf(stderr, "decode refused (%s): %s\n", why, s);
	return rc;
}

/*
 * Decode buf[0..len) from a heap block of exactly len bytes, so that any
 * read past the end (the caller's buffer has no NUL) trips ASan.
 */
static int
dec_exact(enum stride_kind kind, const void *buf, size_t len,
    struct stride_msg *m, const char **why)
{
	unsigned char	*p;
	int		 rc;

	if ((p = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(p, buf, len);
	rc = codec_decode(kind, p, len, m, why);
	free(p);
	return rc;
}

static int
near(double a, double b, double tol)
{
	return a - b <= tol && b - a <= tol;
}

/* a and b carry the same message, fractional fields within tol. */
static int
msg_same(const struct stride_msg *a, const struct stride_msg *b, double tol)
{
	uint32_t i;

	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case STRIDE_KIND_TELEMETRY:
		if (a->epoch != b->epoch || a->seq != b->seq ||
		    a->u.tel.role != b->u.tel.role || a->u.tel.n != b->u.tel.n)
			return 0;
		for (i = 0; i < a->u.tel.n; i++) {
			const struct stride_sample *x = &a->u.tel.s[i];
			const struct stride_sample *y = &b->u.tel.s[i];

			if (x->t_ms != y->t_ms || x->has != y->has)
				return 0;
			if (!near(x->cad_spm, y->cad_spm, tol) ||
			    !near(x->spd_mps, y->spd_mps, tol) ||
			    !near(x->grade_pct, y->grade_pct, tol) ||
			    !near(x->alt_m, y->alt_m, tol) ||
			    !near(x->dist_m, y->dist_m, tol))
				return 0;
		}
		return 1;
	case STRIDE_KIND_EVENT:
		return a->epoch == b->epoch && a->seq == b->seq &&
		    a->u.ev.t_ms == b->u.ev.t_ms && a->u.ev.type == b->u.ev.type;
	case STRIDE_KIND_SYMPTOM:
		return a->epoch == b->epoch && a->seq == b->seq &&
		    a->u.sym.t_ms == b->u.sym.t_ms &&
		    a->u.sym.when == b->u.sym.when &&
		    a->u.sym.level == b->u.sym.level &&
		    a->u.sym.score == b->u.sym.score;
	case STRIDE_KIND_STATUS:
		return a->epoch == b->epoch &&
		    a->u.status.online == b->u.status.online &&
		    a->u.status.role == b->u.status.role &&
		    a->u.status.battery == b->u.status.battery &&
		    strcmp(a->u.status.fw, b->u.status.fw) == 0;
	case STRIDE_KIND_ACK:
		return a->u.ack.epoch == b->u.ack.epoch &&
		    a->u.ack.seq == b->u.ack.seq;
	default:
		return 0;
	}
}

/* Encode m, check the JSON is want (if not NULL), decode it back and
 * check the result carries the same message. */
static void
round_trip(const struct stride_msg *m, const char *want)
{
	char			 buf[STRIDE_PAYLOAD_MAX + 1];
	struct stride_msg	 back;
	int			 n;

	n = codec_encode(m, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	if (n <= 0)
		return;
	if (want != NULL) {
		if (strcmp(buf, want) != 0)
			fprintf(stderr, "encoded %s\n   want %s\n", buf, want);
		CHECK(strcmp(buf, want) == 0);
	}
	CHECK(dec(m->kind, buf, &back) == 0);
	CHECK(msg_same(m, &back, 0));
}

static void
msg_telemetry(struct stride_msg *m, enum stride_role role, uint32_t n)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->kind = STRIDE_KIND_TELEMETRY;
	m->epoch = 3;
	m->seq = 41;
	m->u.tel.role = role;
	m->u.tel.n = n;
	for (i = 0; i < n; i++) {
		struct stride_sample *s = &m->u.tel.s[i];

		/* Values on the wire grid, so they come back exactly. */
		s->t_ms = T0 + 1000 * (int64_t)i;
		s->spd_mps = 3.25f;
		s->dist_m = 100.5 + 3.25 * i;
		s->has = STRIDE_HAS_SPD | STRIDE_HAS_DIST;
		if (role == STRIDE_ROLE_FOOTPOD) {
			s->cad_spm = 170.5f;
			s->has |= STRIDE_HAS_CAD;
		} else {
			s->alt_m = -12.5f;
			s->grade_pct = -2.5f;
			s->has |= STRIDE_HAS_ALT | STRIDE_HAS_GRADE;
		}
	}
}

/* ---- round trips and golden encodings ---- */

static char buf_for_refusal[STRIDE_PAYLOAD_MAX];

static void
test_round_trips(void)
{
	struct stride_msg m;

	msg_telemetry(&m, STRIDE_ROLE_FOOTPOD, 2);
	round_trip(&m, "{\"v\":1,\"epoch\":3,\"seq\":41,\"role\":\"footpod\","
	    "\"samples\":[{\"t\":1700000000000,\"cad\":170.5,\"spd\":3.25,"
	    "\"dist\":100.5},{\"t\":1700000001000,\"cad\":170.5,\"spd\":3.25,"
	    "\"dist\":103.75}]}");
	msg_telemetry(&m, STRIDE_ROLE_WATCH, 1);
	round_trip(&m, "{\"v\":1,\"epoch\":3,\"seq\":41,\"role\":\"watch\","
	    "\"samples\":[{\"t\":1700000000000,\"spd\":3.25,\"grade\":-2.5,"
	    "\"alt\":-12.5,\"dist\":100.5}]}");
	msg_telemetry(&m, STRIDE_ROLE_WATCH, STRIDE_SAMPLES_MAX);
	round_trip(&m, NULL);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_EVENT;
	m.epoch = 1;
	m.seq = 1;
	m.u.ev.t_ms = T0 + 5;
	m.u.ev.type = STRIDE_EVENT_START;
	round_trip(&m, "{\"v\":1,\"epoch\":1,\"seq\":1,\"t\":1700000000005,"
	    "\"type\":\"start\"}");
	m.u.ev.type = STRIDE_EVENT_LAP;
	round_trip(&m, NULL);
	m.u.ev.type = STRIDE_EVENT_STOP;
	m.epoch = UINT32_MAX;
	m.seq = UINT32_MAX;
	round_trip(&m, "{\"v\":1,\"epoch\":4294967295,\"seq\":4294967295,"
	    "\"t\":1700000000005,\"type\":\"stop\"}");
	/* A stop with the run's cue counts. */
	m.u.ev.has_cues = 1;
	m.u.ev.cues[STRIDE_CUE_CADENCE_LOW] = 3;
	m.u.ev.cues[STRIDE_CUE_PAIN_STOP] = 1;
	m.u.ev.cues[STRIDE_CUE_REST_DAY] = STRIDE_CUE_COUNT_MAX;
	round_trip(&m, "{\"v\":1,\"epoch\":4294967295,\"seq\":4294967295,"
	    "\"t\":1700000000005,\"type\":\"stop\",\"cues\":{"
	    "\"cadence_low\":3,\"speed_high\":0,\"grade_high\":0,"
	    "\"distance\":0,\"duration\":0,\"pain_stop\":1,"
	    "\"rest_day\":10000}}");
	m.u.ev.cues[STRIDE_CUE_REST_DAY] = STRIDE_CUE_COUNT_MAX + 1;
	CHECK(codec_encode(&m, buf_for_refusal, sizeof(buf_for_refusal)) == -1);
	m.u.ev.cues[STRIDE_CUE_REST_DAY] = 0;
	m.u.ev.type = STRIDE_EVENT_START;
	CHECK(codec_encode(&m, buf_for_refusal, sizeof(buf_for_refusal)) == -1);
	{
		/* A cue this hub does not know (a newer watch) is ignored. */
		static const char j[] = "{\"v\":1,\"epoch\":2,\"seq\":7,"
		    "\"t\":1700000000005,\"type\":\"stop\",\"cues\":"
		    "{\"pain_stop\":2,\"new_cue\":5}}";
		struct stride_msg	d;
		const char		*why;

		CHECK(codec_decode(STRIDE_KIND_EVENT, j, sizeof(j) - 1, &d,
		    &why) == 0);
		CHECK(d.u.ev.has_cues == 1 && d.u.ev.cues[STRIDE_CUE_PAIN_STOP] == 2);
		CHECK(d.u.ev.cues[STRIDE_CUE_CADENCE_LOW] == 0);
	}

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_SYMPTOM;
	m.epoch = 9;
	m.seq = 300;
	m.u.sym.t_ms = STRIDE_T_MAX_MS;
	m.u.sym.when = STRIDE_WHEN_NEXT_DAY;
	m.u.sym.level = STRIDE_LEVEL_MUCH_AWARE;
	m.u.sym.score = 4;
	round_trip(&m, "{\"v\":1,\"epoch\":9,\"seq\":300,\"t\":4102444800000,"
	    "\"when\":\"next_day\",\"level\":\"much_aware\",\"score\":4}");
	m.u.sym.score = -1;	/* not given: no key at all */
	m.u.sym.when = STRIDE_WHEN_DURING;
	m.u.sym.level = STRIDE_LEVEL_BETTER;
	m.u.sym.t_ms = STRIDE_T_MIN_MS;
	round_trip(&m, "{\"v\":1,\"epoch\":9,\"seq\":300,\"t\":946684800000,"
	    "\"when\":\"during\",\"level\":\"better\"}");
	m.u.sym.score = 0;
	m.u.sym.level = STRIDE_LEVEL_PAINFUL;
	round_trip(&m, NULL);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_STATUS;
	m.epoch = 12;
	m.u.status.online = 1;
	m.u.status.role = STRIDE_ROLE_FOOTPOD;
	m.u.status.battery = 87;
	strcpy(m.u.status.fw, "0.1.0");
	round_trip(&m, "{\"v\":1,\"state\":\"online\",\"epoch\":12,"
	    "\"role\":\"footpod\",\"battery\":87,\"fw\":\"0.1.0\"}");
	/* The will: set at connect, so it says as little as possible. */
	memset(&m.u.status, 0, sizeof(m.u.status));
	m.u.status.battery = -1;
	round_trip(&m, "{\"v\":1,\"state\":\"offline\",\"epoch\":12}");
	m.u.status.battery = 0;
	strcpy(m.u.status.fw, "abcdefghijklmnopqrstuvwxyz 12345");	/* 32 */
	round_trip(&m, NULL);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_ACK;
	m.u.ack.epoch = 3;
	m.u.ack.seq = 41;
	round_trip(&m, "{\"v\":1,\"epoch\":3,\"seq\":41}");
}

/* Fractional fields go out rounded to their wire resolution. */
static void
test_rounding(void)
{
	struct stride_msg	 m, back;
	char			 buf[512];
	struct stride_sample	*s;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_TELEMETRY;
	m.epoch = 1;
	m.seq = 1;
	m.u.tel.role = STRIDE_ROLE_WATCH;
	m.u.tel.n = 1;
	s = &m.u.tel.s[0];
	s->t_ms = T0;
	s->cad_spm = 172.36f;
	s->spd_mps = 3.14159f;
	s->grade_pct = -2.349f;
	s->alt_m = 123.456f;
	s->dist_m = 1234.5678;
	s->has = STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_GRADE |
	    STRIDE_HAS_ALT | STRIDE_HAS_DIST;
	CHECK(codec_encode(&m, buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":\"watch\","
	    "\"samples\":[{\"t\":1700000000000,\"cad\":172.4,\"spd\":3.14,"
	    "\"grade\":-2.3,\"alt\":123.5,\"dist\":1234.57}]}") == 0);
	CHECK(dec(STRIDE_KIND_TELEMETRY, buf, &back) == 0);
	CHECK(msg_same(&m, &back, 0.05 + 1e-4));
	CHECK(!msg_same(&m, &back, 0.001));	/* it did round */

	/* The limits themselves go through. */
	s->cad_spm = (float)STRIDE_CAD_MAX_SPM;
	s->spd_mps = (float)STRIDE_SPD_MAX_MPS;
	s->grade_pct = (float)-STRIDE_GRADE_MAX_PCT;
	s->alt_m = (float)STRIDE_ALT_MIN_M;
	s->dist_m = STRIDE_DIST_MAX_M;
	round_trip(&m, "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":\"watch\","
	    "\"samples\":[{\"t\":1700000000000,\"cad\":300,\"spd\":12,"
	    "\"grade\":-45,\"alt\":-500,\"dist\":1000000}]}");
	s->cad_spm = 0;
	s->spd_mps = 0;
	s->grade_pct = (float)STRIDE_GRADE_MAX_PCT;
	s->alt_m = (float)STRIDE_ALT_MAX_M;
	s->dist_m = 0;
	round_trip(&m, NULL);
}

/* Out-of-range structs are refused by the encoder, and so is a buffer
 * one byte short. */
static void
test_encode_refuses(void)
{
	struct stride_msg	m;
	char			buf[STRIDE_PAYLOAD_MAX + 1];
	int			n;

	msg_telemetry(&m, STRIDE_ROLE_FOOTPOD, 2);
	n = codec_encode(&m, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(codec_encode(&m, buf, (size_t)n + 1) == n);
	CHECK(codec_encode(&m, buf, (size_t)n) == -1);
	CHECK(codec_encode(&m, buf, 1) == -1);

#define REFUSE(mut) do {						\
	msg_telemetry(&m, STRIDE_ROLE_FOOTPOD, 2);			\
	mut;								\
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);		\
} while (0)
	REFUSE(m.epoch = 0);
	REFUSE(m.seq = 0);
	REFUSE(m.u.tel.n = 0);
	REFUSE(m.u.tel.n = STRIDE_SAMPLES_MAX + 1);
	REFUSE(m.u.tel.role = STRIDE_ROLE_UNKNOWN);
	REFUSE(m.u.tel.role = STRIDE_ROLE_COUNT);
	REFUSE(m.u.tel.s[1].t_ms = m.u.tel.s[0].t_ms);
	REFUSE(m.u.tel.s[1].t_ms = m.u.tel.s[0].t_ms - 1);
	REFUSE(m.u.tel.s[0].t_ms = STRIDE_T_MIN_MS - 1);
	REFUSE(m.u.tel.s[1].t_ms = STRIDE_T_MAX_MS + 1);
	REFUSE(m.u.tel.s[0].has = 0);
	REFUSE(m.u.tel.s[0].has |= 0x20);
	REFUSE(m.u.tel.s[0].cad_spm = 300.1f);
	REFUSE(m.u.tel.s[0].cad_spm = -0.1f);
	REFUSE(m.u.tel.s[0].cad_spm = NAN);
	REFUSE(m.u.tel.s[0].spd_mps = 12.01f);
	REFUSE(m.u.tel.s[0].spd_mps = INFINITY);
	REFUSE(m.u.tel.s[0].dist_m = -0.5);
	REFUSE(m.u.tel.s[0].dist_m = STRIDE_DIST_MAX_M + 1);
	REFUSE((m.u.tel.s[0].has |= STRIDE_HAS_GRADE,
	    m.u.tel.s[0].grade_pct = 45.5f));
	REFUSE((m.u.tel.s[0].has |= STRIDE_HAS_ALT,
	    m.u.tel.s[0].alt_m = -500.5f));
	REFUSE(m.kind = STRIDE_KIND_NONE);
	REFUSE(m.kind = STRIDE_KIND_PLAN);
	REFUSE(m.kind = STRIDE_KIND_COUNT);
	/* A field not flagged in has is not looked at. */
	msg_telemetry(&m, STRIDE_ROLE_FOOTPOD, 2);
	m.u.tel.s[0].alt_m = NAN;
	CHECK(codec_encode(&m, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "alt") == NULL);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_EVENT;
	m.epoch = m.seq = 1;
	m.u.ev.t_ms = T0;
	m.u.ev.type = STRIDE_EVENT_NONE;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.ev.type = STRIDE_EVENT_COUNT;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.ev.type = STRIDE_EVENT_LAP;
	m.u.ev.t_ms = 0;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_SYMPTOM;
	m.epoch = m.seq = 1;
	m.u.sym.t_ms = T0;
	m.u.sym.when = STRIDE_WHEN_DURING;
	m.u.sym.level = STRIDE_LEVEL_USUAL;
	m.u.sym.score = 11;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.sym.score = -2;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.sym.score = -1;
	m.u.sym.level = STRIDE_LEVEL_NONE;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.sym.level = STRIDE_LEVEL_USUAL;
	m.u.sym.when = STRIDE_WHEN_NONE;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_STATUS;
	m.epoch = 1;
	m.u.status.online = 1;
	m.u.status.battery = 101;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.status.battery = -1;
	m.u.status.online = 2;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.status.online = 1;
	m.u.status.role = STRIDE_ROLE_COUNT;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.status.role = STRIDE_ROLE_WATCH;
	strcpy(m.u.status.fw, "1.0\n");
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	memset(m.u.status.fw, 'x', sizeof(m.u.status.fw));	/* no NUL */
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
	m.u.status.fw[0] = '\0';
	m.epoch = 0;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_ACK;
	m.u.ack.epoch = 1;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);	/* seq 0 */
	m.u.ack.seq = 1;
	m.u.ack.epoch = 0;
	CHECK(codec_encode(&m, buf, sizeof(buf)) == -1);
#undef REFUSE
}

/* ---- golden decodings of hand-written JSON ---- */

static void
test_golden_decode(void)
{
	struct stride_msg		 m;
	const struct stride_sample	*s;

	/* Whitespace anywhere, keys in any order, unknown keys (with
	 * nested values) ignored. */
	CHECK(dec(STRIDE_KIND_TELEMETRY,
	    "\r\n{ \"samples\" : [\n"
	    "   {\"dist\": 1523.45, \"t\": 1700000000000, \"cad\": 172.4,"
	    " \"spd\": 3.21, \"hr\": 151},\n"
	    "   {\"t\": 1700000001000, \"cad\": 173, \"spd\": 3.25,"
	    " \"dist\": 1526.7}\n"
	    " ],\n"
	    " \"role\": \"footpod\", \"seq\": 42, \"epoch\": 7, \"v\": 1,\n"
	    " \"future\": {\"x\": [1, 2], \"y\": null}, \"note\": \"caf\xc3\xa9\"\n"
	    "}\n\t ", &m) == 0);
	CHECK(m.kind == STRIDE_KIND_TELEMETRY && m.epoch == 7 && m.seq == 42);
	CHECK(m.u.tel.role == STRIDE_ROLE_FOOTPOD && m.u.tel.n == 2);
	s = &m.u.tel.s[0];
	CHECK(s->t_ms == T0);
	CHECK(s->has == (STRIDE_HAS_CAD | STRIDE_HAS_SPD | STRIDE_HAS_DIST));
	CHECK_NEAR(s->cad_spm, 172.4, 1e-4);
	CHECK_NEAR(s->spd_mps, 3.21, 1e-6);
	CHECK_NEAR(s->dist_m, 1523.45, 1e-9);
	CHECK(s->alt_m == 0 && s->grade_pct == 0);
	s = &m.u.tel.s[1];
	CHECK(s->t_ms == T0 + 1000);
	CHECK_NEAR(s->cad_spm, 173, 0);
	CHECK_NEAR(s->dist_m, 1526.7, 1e-9);

	/* A watch: altitude below sea level, downhill grade, no cadence;
	 * a sample may carry a single field. */
	CHECK(dec(STRIDE_KIND_TELEMETRY,
	    "{\"v\":1,\"epoch\":4294967295,\"seq\":1,\"role\":\"watch\","
	    "\"samples\":[{\"t\":946684800000,\"spd\":0,\"dist\":0,"
	    "\"alt\":-3.5,\"grade\":-12.3},{\"t\":946684800001,\"alt\":9000}]}",
	    &m) == 0);
	CHECK(m.epoch == UINT32_MAX && m.seq == 1);
	CHECK(m.u.tel.role == STRIDE_ROLE_WATCH && m.u.tel.n == 2);
	CHECK(m.u.tel.s[0].has == (STRIDE_HAS_SPD | STRIDE_HAS_DIST |
	    STRIDE_HAS_ALT | STRIDE_HAS_GRADE));
	CHECK_NEAR(m.u.tel.s[0].alt_m, -3.5, 0);
	CHECK_NEAR(m.u.tel.s[0].grade_pct, -12.3, 1e-5);
	CHECK(m.u.tel.s[1].has == STRIDE_HAS_ALT);
	CHECK_NEAR(m.u.tel.s[1].alt_m, 9000, 0);

	CHECK(dec(STRIDE_KIND_EVENT, "{\"type\":\"lap\",\"t\":1700000123456,"
	    "\"seq\":8,\"epoch\":2,\"v\":1}", &m) == 0);
	CHECK(m.kind == STRIDE_KIND_EVENT && m.epoch == 2 && m.seq == 8);
	CHECK(m.u.ev.t_ms == 1700000123456LL && m.u.ev.type == STRIDE_EVENT_LAP);

	CHECK(dec(STRIDE_KIND_SYMPTOM, "{\"v\":1,\"epoch\":2,\"seq\":9,"
	    "\"t\":1700086400000,\"when\":\"next_day\",\"level\":\"aware\"}",
	    &m) == 0);
	CHECK(m.u.sym.when == STRIDE_WHEN_NEXT_DAY &&
	    m.u.sym.level == STRIDE_LEVEL_AWARE && m.u.sym.score == -1);
	CHECK(m.u.sym.t_ms == 1700086400000LL);
	CHECK(dec(STRIDE_KIND_SYMPTOM, "{\"v\":1,\"epoch\":2,\"seq\":9,"
	    "\"t\":1700086400000,\"when\":\"during\",\"level\":\"usual\","
	    "\"score\":10}", &m) == 0);
	CHECK(m.u.sym.when == STRIDE_WHEN_DURING &&
	    m.u.sym.level == STRIDE_LEVEL_USUAL && m.u.sym.score == 10);

	CHECK(dec(STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\","
	    "\"epoch\":5,\"role\":\"watch\",\"battery\":0,\"fw\":\"2.3.1-rc1\"}",
	    &m) == 0);
	CHECK(m.u.status.online == 1 && m.epoch == 5 && m.seq == 0);
	CHECK(m.u.status.role == STRIDE_ROLE_WATCH && m.u.status.battery == 0);
	CHECK(strcmp(m.u.status.fw, "2.3.1-rc1") == 0);
	/* A status has no seq; one sent anyway is ignored. */
	CHECK(dec(STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"offline\","
	    "\"epoch\":5,\"seq\":77}", &m) == 0);
	CHECK(m.u.status.online == 0 && m.seq == 0);
	CHECK(m.u.status.role == STRIDE_ROLE_UNKNOWN &&
	    m.u.status.battery == -1 && m.u.status.fw[0] == '\0');

	/* Devices decode acks; both the header pair and u.ack are set. */
	CHECK(dec(STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":7,\"seq\":40}", &m) == 0);
	CHECK(m.kind == STRIDE_KIND_ACK && m.u.ack.epoch == 7 &&
	    m.u.ack.seq == 40 && m.epoch == 7 && m.seq == 40);

	/* Integral values written with a fraction or exponent are integers. */
	CHECK(dec(STRIDE_KIND_ACK, "{\"v\":1.0,\"epoch\":7e0,\"seq\":4.0e1}",
	    &m) == 0 && m.u.ack.seq == 40);
	/* 16 unknown keys is the most an object may carry. */
	CHECK(dec(STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":7,\"seq\":4,"
	    "\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,"
	    "\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1}",
	    &m) == 0);
	/* Keys of other kinds are ignored like unknown keys. */
	CHECK(dec(STRIDE_KIND_EVENT, "{\"v\":1,\"epoch\":1,\"seq\":2,"
	    "\"t\":1700000000000,\"type\":\"stop\",\"role\":7,"
	    "\"samples\":[[1]],\"level\":\"whatever\"}", &m) == 0);
	CHECK(m.u.ev.type == STRIDE_EVENT_STOP);
}

/* ---- hostile inputs ---- */

struct hostile {
	enum stride_kind	 kind;
	const char		*json;
	size_t			 len;	/* 0: strlen(json) */
	const char		*why;
};

#define TEL(samples) "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":\"footpod\"," \
	"\"samples\":" samples "}"
#define S1 "{\"t\":1700000000000,\"cad\":170}"
#define EV(rest) "{\"v\":1,\"epoch\":1,\"seq\":1,\"t\":1700000000000," rest "}"
#define SYM(rest) "{\"v\":1,\"epoch\":1,\"seq\":1,\"t\":1700000000000," \
	"\"when\":\"during\"," rest "}"
#define ST(rest) "{\"v\":1,\"state\":\"online\",\"epoch\":1" rest "}"
#define S17 "[" S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," \
	S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," S1 "," S1 "]"

static const struct hostile hostile[] = {
	/* framing */
	{ STRIDE_KIND_TELEMETRY, "", 0, "empty payload" },
	{ STRIDE_KIND_TELEMETRY, "   ", 0, "malformed JSON" },
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":"
	    "\"footpod\",\"samples\":[" S1, 0, "truncated JSON" },
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"se", 0,
	    "truncated JSON" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1", 0,
	    "truncated JSON" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1}x", 0,
	    "trailing garbage" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1}{}", 0,
	    "trailing garbage" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1} 1", 0,
	    "trailing garbage" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1}}", 0,
	    "unbalanced brackets" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,}", 0,
	    "malformed JSON" },
	{ STRIDE_KIND_ACK, "{'v':1,'epoch':1,'seq':1}", 0, "malformed JSON" },
	{ STRIDE_KIND_ACK, "{\"v\":1 \"epoch\":1,\"seq\":1}", 0,
	    "malformed JSON" },
	{ STRIDE_KIND_ACK, "[1]", 0, "not an object" },
	{ STRIDE_KIND_ACK, "\"x\"", 0, "not an object" },
	{ STRIDE_KIND_ACK, "42", 0, "not an object" },
	{ STRIDE_KIND_ACK, "null", 0, "not an object" },
	/* nesting: the object, the samples array and a sample is all */
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":[170]}]"),
	    0, "nesting too deep" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,\"x\":[[{}]]}", 0,
	    "nesting too deep" },
	{ STRIDE_KIND_ACK, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0,
	    "nesting too deep" },
	/* duplicate keys, at every level */
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,\"seq\":2}", 0,
	    "duplicate key" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"v\":1,\"epoch\":1,\"seq\":1}", 0,
	    "duplicate key" },
	{ STRIDE_KIND_TELEMETRY,
	    TEL("[{\"t\":1700000000000,\"cad\":170,\"cad\":90}]"), 0,
	    "duplicate key" },
	{ STRIDE_KIND_TELEMETRY,
	    TEL("[{\"t\":1700000000000,\"t\":1700000000001,\"cad\":1}]"), 0,
	    "duplicate key" },
	{ STRIDE_KIND_TELEMETRY,
	    TEL("[{\"t\":1700000000000,\"cad\":1,\"hr\":1,\"hr\":2}]"), 0,
	    "duplicate key" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,\"x\":1,\"x\":1}",
	    0, "duplicate key" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"x\":{\"a\":1,\"a\":2}}", 0, "duplicate key" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"x\":[{\"a\":1,\"a\":2}]}", 0, "duplicate key" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\","
	    "\"samples\":[{\"t\":1,\"t\":2}]"), 0, "duplicate key" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,"
	    "\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,"
	    "\"q\":1}", 0, "too many unknown keys" },
	/* key case: the lower-case key is simply missing */
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"Seq\":1}", 0,
	    "seq missing" },
	{ STRIDE_KIND_ACK, "{\"V\":1,\"epoch\":1,\"seq\":1}", 0, "v missing" },
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"role\":\"footpod\",\"Samples\":[" S1 "]}", 0,
	    "samples missing" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"T\":1700000000000,\"cad\":170}]"),
	    0, "samples: t missing" },
	/* version */
	{ STRIDE_KIND_ACK, "{\"v\":2,\"epoch\":1,\"seq\":1}", 0,
	    "unsupported protocol version" },
	{ STRIDE_KIND_ACK, "{\"v\":0,\"epoch\":1,\"seq\":1}", 0,
	    "unsupported protocol version" },
	{ STRIDE_KIND_ACK, "{\"v\":\"1\",\"epoch\":1,\"seq\":1}", 0,
	    "v not a number" },
	{ STRIDE_KIND_ACK, "{\"v\":true,\"epoch\":1,\"seq\":1}", 0,
	    "v not a number" },
	/* epoch and seq */
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1.5}", 0,
	    "seq not an integer" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":0}", 0,
	    "seq out of range" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":-1}", 0,
	    "seq out of range" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":\"1\"}", 0,
	    "seq not a number" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":null}", 0,
	    "seq not a number" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":4294967296,\"seq\":1}", 0,
	    "epoch out of range" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":0,\"seq\":1}", 0,
	    "epoch out of range" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1e999,\"seq\":1}", 0,
	    "epoch out of range" },
	{ STRIDE_KIND_ACK, "{\"v\":1,\"seq\":1}", 0, "epoch missing" },
	{ STRIDE_KIND_EVENT, "{\"v\":1,\"epoch\":1,\"t\":1700000000000,"
	    "\"type\":\"start\"}", 0, "seq missing" },
	/* samples */
	{ STRIDE_KIND_TELEMETRY, TEL("[]"), 0, "samples empty" },
	{ STRIDE_KIND_TELEMETRY, TEL(S17), 0, "too many samples" },
	{ STRIDE_KIND_TELEMETRY, TEL("{}"), 0, "samples not an array" },
	{ STRIDE_KIND_TELEMETRY, TEL("null"), 0, "samples not an array" },
	{ STRIDE_KIND_TELEMETRY, TEL("[1]"), 0, "sample not an object" },
	{ STRIDE_KIND_TELEMETRY, TEL("[" S1 "," S1 "]"), 0,
	    "samples: t not increasing" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000001,\"cad\":1},"
	    "{\"t\":1700000000000,\"cad\":1}]"), 0,
	    "samples: t not increasing" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000}]"), 0,
	    "sample has only t" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"hr\":150}]"), 0,
	    "sample has only t" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"cad\":170}]"), 0,
	    "samples: t missing" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":946684799999,\"cad\":170}]"), 0,
	    "samples: t out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":4102444800001,\"cad\":170}]"),
	    0, "samples: t out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000.5,\"cad\":170}]"),
	    0, "samples: t not an integer" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":\"1700000000000\",\"cad\":1}]"),
	    0, "samples: t not a number" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":301}]"),
	    0, "samples: cad out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":-1}]"),
	    0, "samples: cad out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"spd\":12.01}]"),
	    0, "samples: spd out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"grade\":45.1}]"),
	    0, "samples: grade out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"grade\":-46}]"),
	    0, "samples: grade out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"alt\":-500.1}]"),
	    0, "samples: alt out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"alt\":9001}]"),
	    0, "samples: alt out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"dist\":-0.01}]"),
	    0, "samples: dist out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,"
	    "\"dist\":1000000.01}]"), 0, "samples: dist out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":1e999}]"),
	    0, "samples: cad out of range" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"spd\":-1e999}]"),
	    0, "samples: spd out of range" },
	/* NaN-like values */
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":\"NaN\"}]"),
	    0, "samples: cad not a number" },
	{ STRIDE_KIND_TELEMETRY,
	    TEL("[{\"t\":1700000000000,\"spd\":\"Infinity\"}]"), 0,
	    "samples: spd not a number" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":NaN}]"),
	    0, "malformed JSON" },
	{ STRIDE_KIND_TELEMETRY,
	    TEL("[{\"t\":1700000000000,\"cad\":-Infinity}]"), 0,
	    "malformed JSON" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":null}]"),
	    0, "samples: cad not a number" },
	{ STRIDE_KIND_TELEMETRY, TEL("[{\"t\":1700000000000,\"cad\":0x10}]"),
	    0, "malformed JSON" },
	/* role and the other words */
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"samples\":[" S1 "]}", 0, "role missing" },
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":"
	    "\"Footpod\",\"samples\":[" S1 "]}", 0, "unknown role" },
	{ STRIDE_KIND_TELEMETRY, "{\"v\":1,\"epoch\":1,\"seq\":1,\"role\":1,"
	    "\"samples\":[" S1 "]}", 0, "role not a string" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"pause\""), 0, "unknown type" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"start\",\"cues\":{}"), 0,
	    "cues only on a stop" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\",\"cues\":[]"), 0,
	    "cues not an object" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\",\"cues\":{\"pain_stop\":1.5}"),
	    0, "cues: count not an integer" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\",\"cues\":{\"pain_stop\":10001}"),
	    0, "cues: count out of range" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\",\"cues\":{\"pain_stop\":1,"
	    "\"pain_stop\":2}"), 0, "duplicate key" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\",\"cues\":{\"pain_stop\":-1}"),
	    0, "cues: count out of range" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"START\""), 0, "unknown type" },
	{ STRIDE_KIND_EVENT, EV("\"type\":[\"start\"]"), 0,
	    "type not a string" },
	{ STRIDE_KIND_EVENT, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"type\":\"start\"}", 0, "t missing" },
	{ STRIDE_KIND_EVENT, "{\"v\":1,\"epoch\":1,\"seq\":1,\"t\":0,"
	    "\"type\":\"start\"}", 0, "t out of range" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"bad\""), 0, "unknown level" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"much aware\""), 0,
	    "unknown level" },
	{ STRIDE_KIND_SYMPTOM, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"t\":1700000000000,\"when\":\"tonight\",\"level\":\"usual\"}",
	    0, "unknown when" },
	{ STRIDE_KIND_SYMPTOM, "{\"v\":1,\"epoch\":1,\"seq\":1,"
	    "\"t\":1700000000000,\"level\":\"usual\"}", 0, "when missing" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"usual\",\"score\":11"), 0,
	    "score out of range" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"usual\",\"score\":-1"), 0,
	    "score out of range" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"usual\",\"score\":5.5"), 0,
	    "score not an integer" },
	{ STRIDE_KIND_SYMPTOM, SYM("\"level\":\"usual\",\"score\":\"5\""), 0,
	    "score not a number" },
	{ STRIDE_KIND_STATUS, "{\"v\":1,\"epoch\":1}", 0, "state missing" },
	{ STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"asleep\",\"epoch\":1}", 0,
	    "unknown state" },
	{ STRIDE_KIND_STATUS, "{\"v\":1,\"state\":\"online\"}", 0,
	    "epoch missing" },
	{ STRIDE_KIND_STATUS, ST(",\"battery\":101"), 0,
	    "battery out of range" },
	{ STRIDE_KIND_STATUS, ST(",\"battery\":50.5"), 0,
	    "battery not an integer" },
	{ STRIDE_KIND_STATUS, ST(",\"role\":\"phone\""), 0, "unknown role" },
	{ STRIDE_KIND_STATUS, ST(",\"fw\":\"\""), 0,
	    "fw not 1..32 printable chars" },
	{ STRIDE_KIND_STATUS, ST(",\"fw\":\"abcdefghijklmnopqrstuvwxyz 123456\""),
	    0, "fw not 1..32 printable chars" },
	{ STRIDE_KIND_STATUS, ST(",\"fw\":\"1.0\\n\""), 0,
	    "fw not 1..32 printable chars" },
	{ STRIDE_KIND_STATUS, ST(",\"fw\":\"caf\xc3\xa9\""), 0,
	    "fw not 1..32 printable chars" },
	{ STRIDE_KIND_STATUS, ST(",\"fw\":1"), 0, "fw not a string" },
	/* bytes that are not JSON text */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"st\xff" "art\""), 0,
	    "invalid UTF-8" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\xc0\xaf\""), 0,
	    "invalid UTF-8" },		/* overlong '/' */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\xed\xa0\x80\""), 0,
	    "invalid UTF-8" },		/* a UTF-16 surrogate */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\xf4\x90\x80\x80\""), 0,
	    "invalid UTF-8" },		/* above U+10FFFF */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\xe2\x82\""), 0,
	    "invalid UTF-8" },		/* cut short */
	{ STRIDE_KIND_EVENT, EV("\"x\xe2\x82\":1,\"type\":\"stop\""), 0,
	    "invalid UTF-8" },		/* in a key */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\"\x80"), 0,
	    "invalid byte outside string" },
	{ STRIDE_KIND_EVENT, "\xef\xbb\xbf" EV("\"type\":\"stop\""), 0,
	    "invalid byte outside string" },	/* a BOM */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"stop\"\x0c"), 0,
	    "invalid byte outside string" },	/* form feed */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"st\x01op\""), 0,
	    "control character in string" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"st\top\""), 0,
	    "control character in string" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"start\\u0000x\""), 0,
	    "NUL escape in string" },
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\\u0073tart\",\"x\":\"\\uD800\""),
	    0, "malformed JSON" },		/* lone surrogate escape */
	{ STRIDE_KIND_EVENT, EV("\"type\":\"\\x73tart\""), 0,
	    "malformed JSON" },
	/* kinds without a v1 JSON codec */
	{ STRIDE_KIND_PLAN, "{\"v\":1}", 0, "kind has no v1 codec" },
	{ STRIDE_KIND_NONE, "{\"v\":1}", 0, "kind has no v1 codec" },
	{ STRIDE_KIND_COUNT, "{\"v\":1}", 0, "kind has no v1 codec" },
	/* a telemetry body is not an event, and the other way round */
	{ STRIDE_KIND_EVENT, TEL("[" S1 "]"), 0, "t missing" },
	{ STRIDE_KIND_TELEMETRY, EV("\"type\":\"stop\""), 0, "role missing" },
};

/* Raw NUL bytes: the table above cannot hold them in a C string. */
#define NUL_AFTER	"{\"v\":1,\"epoch\":1,\"seq\":1}\0"
#define NUL_BEFORE	"\0{\"v\":1,\"epoch\":1,\"seq\":1}"
#define NUL_INSIDE	EV("\"type\":\"st\0op\"")
static const struct hostile hostile_nul[] = {
	{ STRIDE_KIND_ACK, NUL_AFTER, sizeof(NUL_AFTER) - 1,
	    "invalid byte outside string" },
	{ STRIDE_KIND_ACK, NUL_BEFORE, sizeof(NUL_BEFORE) - 1,
	    "invalid byte outside string" },
	{ STRIDE_KIND_EVENT, NUL_INSIDE, sizeof(NUL_INSIDE) - 1,
	    "control character in string" },
};

static void
run_hostile(const struct hostile *h, size_t n)
{
	struct stride_msg	 m;
	const char		*why;
	size_t			 i, len;
	int			 rc;

	for (i = 0; i < n; i++) {
		len = h[i].len ? h[i].len : strlen(h[i].json);
		why = NULL;
		memset(&m, 0xa5, sizeof(m));
		rc = dec_exact(h[i].kind, h[i].json, len, &m, &why);
		if (rc != -1 || why == NULL || strcmp(why, h[i].why) != 0)
			fprintf(stderr, "hostile #%zu: rc %d why \"%s\", want "
			    "\"%s\": %.*s\n", i, rc, why ? why : "(null)",
			    h[i].why, (int)len, h[i].json);
		CHECK(rc == -1);
		CHECK(why != NULL && strcmp(why, h[i].why) == 0);
		/* Nothing half-decoded is left for a careless caller. */
		CHECK(m.kind == STRIDE_KIND_NONE && m.epoch == 0);
	}
}

static void
test_hostile(void)
{
	run_hostile(hostile, sizeof(hostile) / sizeof(hostile[0]));
	run_hostile(hostile_nul, sizeof(hostile_nul) / sizeof(hostile_nul[0]));
}

/* Limits on size: exactly STRIDE_PAYLOAD_MAX bytes decodes, one more does
 * not, whatever it holds. The buffer never has a NUL after it. */
static void
test_size_limits(void)
{
	static const char	 ack[] = "{\"v\":1,\"epoch\":1,\"seq\":1}";
	char			 big[STRIDE_PAYLOAD_MAX + 1];
	struct stride_msg	 m;
	const char		*why = NULL;

	memset(big, ' ', sizeof(big));
	memcpy(big, ack, strlen(ack));
	CHECK(dec_exact(STRIDE_KIND_ACK, big, STRIDE_PAYLOAD_MAX, &m, &why) ==
	    0 && m.u.ack.seq == 1);
	CHECK(dec_exact(STRIDE_KIND_ACK, big, STRIDE_PAYLOAD_MAX + 1, &m,
	    &why) == -1 && strcmp(why, "payload too large") == 0);
	CHECK(codec_decode(STRIDE_KIND_ACK, big, (size_t)-1, &m, &why) == -1 &&
	    strcmp(why, "payload too large") == 0);
	CHECK(codec_decode(STRIDE_KIND_ACK, NULL, 0, &m, &why) == -1 &&
	    strcmp(why, "empty payload") == 0);
	/* The JSON ends exactly at len, with no NUL and no slack. */
	CHECK(dec_exact(STRIDE_KIND_ACK, ack, strlen(ack), &m, &why) == 0);
	/* A valid message followed, within len, by more bytes is refused;
	 * the same bytes cut at the message are fine. */
	CHECK(dec_exact(STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1}{\"v\"",
	    strlen(ack) + 2, &m, &why) == -1);
	CHECK(dec_exact(STRIDE_KIND_ACK, "{\"v\":1,\"epoch\":1,\"seq\":1}{\"v\"",
	    strlen(ack), &m, &why) == 0);
}

/* The largest legal telemetry message fits the payload limit. */
static void
test_largest(void)
{
	struct stride_msg	 m;
	char			 buf[STRIDE_PAYLOAD_MAX + 1];
	uint32_t		 i;
	int			 n;

	memset(&m, 0, sizeof(m));
	m.kind = STRIDE_KIND_TELEMETRY;
	m.epoch = m.seq = UINT32_MAX;
	m.u.tel.role = STRIDE_ROLE_FOOTPOD;
	m.u.tel.n = STRIDE_SAMPLES_MAX;
	for (i = 0; i < STRIDE_SAMPLES_MAX; i++) {
		struct stride_sample *s = &m.u.tel.s[i];

		s->t_ms = STRIDE_T_MAX_MS - STRIDE_SAMPLES_MAX + i + 1;
		s->cad_spm = 299.9f;
		s->spd_mps = 11.99f;
		s->grade_pct = -44.9f;
		s->alt_m = -499.9f;
		s->dist_m = 999999.99;
		s->has = 0x1f;
	}
	n = codec_encode(&m, buf, sizeof(buf));
	CHECK(n > 0 && n < STRIDE_PAYLOAD_MAX / 2);
	round_trip(&m, NULL);
}

/* ---- a real run ---- */

/*
 * Encode m into buf and decode it into *back; 0 if every sample came back
 * within half its wire resolution. Adds the JSON's length to *bytes.
 */
static int
round_trip_len(const struct stride_msg *m, char *buf, size_t cap,
    struct stride_msg *back, size_t *bytes)
{
	uint32_t	i;
	int		n;

	if ((n = codec_encode(m, buf, cap)) <= 0 || n > STRIDE_PAYLOAD_MAX)
		return -1;
	*bytes += (size_t)n;
	if (dec(m->kind, buf, back) != 0 || back->u.tel.n != m->u.tel.n ||
	    back->seq != m->seq)
		return -1;
	for (i = 0; i < m->u.tel.n; i++) {
		const struct stride_sample *x = &m->u.tel.s[i];
		const struct stride_sample *y = &back->u.tel.s[i];

		if (x->t_ms != y->t_ms || x->has != y->has ||
		    !near(x->cad_spm, y->cad_spm, 0.05 + 1e-4) ||
		    !near(x->spd_mps, y->spd_mps, 0.005 + 1e-6) ||
		    !near(x->dist_m, y->dist_m, 0.005 + 1e-9))
			return -1;
	}
	return 0;
}

/*
 * The foot pod run's reference CSV (FIT timestamp s, HR, speed m/s,
 * distance m, cadence strides/min) as telemetry: every sample must survive
 * encoding to within the wire resolution, and every message the limits.
 */
static void
test_real_run(void)
{
	const char		*dir = getenv("STRIDE_ACTIVITIES");
	char			 path[1024], line[256], buf[STRIDE_PAYLOAD_MAX + 1];
	struct stride_msg	 m, back;
	FILE			*f;
	long			 first = -1, ts, hr;
	double			 spd, dist;
	char			 cad[16];
	uint32_t		 seq = 0, samples = 0;
	size_t			 bytes = 0;

	if (dir == NULL) {
		printf("test_codec: STRIDE_ACTIVITIES not set, real run "
		    "skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/expected/"
	    "garmin-fr70_sdm4-footpod_run_10.2km.records.csv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("test_codec: %s absent, real run skipped\n", path);
		return;
	}
	memset(&m, 0, sizeof(m));
	(void)fgets(line, sizeof(line), f);	/* header */
	for (;;) {
		int eof = fgets(line, sizeof(line), f) == NULL;
		struct stride_sample *s;

		if (!eof && sscanf(line, "%ld,%ld,%lf,%lf,%15s", &ts, &hr,
		    &spd, &dist, cad) != 5)
			continue;
		if ((eof && m.u.tel.n > 0) ||
		    m.u.tel.n == STRIDE_SAMPLES_MAX) {
			m.kind = STRIDE_KIND_TELEMETRY;
			m.epoch = 1;
			m.seq = ++seq;
			m.u.tel.role = STRIDE_ROLE_FOOTPOD;
			CHECK(round_trip_len(&m, buf, sizeof(buf), &back,
			    &bytes) == 0);
			samples += m.u.tel.n;
			memset(&m, 0, sizeof(m));
		}
		if (eof)
			break;
		if (first < 0)
			first = ts;
		/* The pod's clock was never set (1990): move the run to a
		 * legal time, keeping its spacing. */
		s = &m.u.tel.s[m.u.tel.n++];
		s->t_ms = T0 + (int64_t)(ts - first) * 1000;
		s->spd_mps = (float)spd;
		s->dist_m = dist;
		s->has = STRIDE_HAS_SPD | STRIDE_HAS_DIST;
		if (strcmp(cad, "null") != 0) {
			s->cad_spm = (float)(2 * atof(cad));	/* steps */
			s->has |= STRIDE_HAS_CAD;
		}
	}
	fclose(f);
	CHECK(samples > 700);
	printf("test_codec: real run: %u samples in %u messages, %zu bytes "
	    "of JSON\n", samples, seq, bytes);
}

int
main(void)
{
	test_round_trips();
	test_rounding();
	test_encode_refuses();
	test_golden_decode();
	test_hostile();
	test_size_limits();
	test_largest();
	test_real_run();
	return check_done("test_codec");
}
