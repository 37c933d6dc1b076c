/*
 * test_plan_codec.c - plan_codec.c: the plan's canonical JSON round-trips
 * byte for byte, hostile JSON is refused with a reason (size, truncation,
 * escapes, case, duplicates, nesting, types, ranges), unknown keys and stop
 * names are ignored, decoding never reads past its length, and
 * plan_differs sees every field but version and issue time.
 *
 * Hostile inputs are mutations of a real encoding, so each one differs from
 * a valid plan in exactly the way its row says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define T0	1700000000000LL

static void
sample_plan(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 7;
	p->issued_ms = T0 + 123456;
	p->phase = PLAN_PHASE_RETURN;
	p->phase_since_ms = T0 - 86400000;
	p->max_distance_m = 4500;
	p->max_duration_s = 1800;
	p->speed_cap_mps = 3.25;
	p->max_grade_pct = 2.5;
	p->cadence_target_spm = 172;
	p->cadence_tol_spm = 3;
	p->cadence_base_spm = 164;
	p->cadence_since_ms = T0 - 2 * 86400000LL;
	p->rest_days = 2;
	p->rest_until_ms = T0 + 3 * 86400000LL;
	p->load_since_ms = T0 + 5;
	p->stop = PLAN_STOP_PAIN | PLAN_STOP_DISTANCE | PLAN_STOP_MUCH_AWARE;
	strcpy(p->text, "Next run: up to 4.5 km or 30 min. Stop if it hurts.");
	p->nreasons = 2;
	p->reasons[0].code = PLAN_R_SYMPTOM_FLARE;
	strcpy(p->reasons[0].text, "Clearly worse than usual.");
	p->reasons[1].code = PLAN_R_HILLS_CAPPED;
	strcpy(p->reasons[1].text, "Hills capped at 2.5%.");
}

/* dst = src with the first `from` replaced by `to`; aborts if absent so a
 * row can never silently test the unmutated plan. */
static void
mutate(char *dst, size_t cap, const char *src, const char *from,
    const char *to)
{
	const char *at = strstr(src, from);

	if (at == NULL || strlen(src) - strlen(from) + strlen(to) >= cap) {
		fprintf(stderr, "mutate: '%s' not found\n", from);
		abort();
	}
	snprintf(dst, cap, "%.*s%s%s", (int)(at - src), src, to,
	    at + strlen(from));
}

static int
decode_str(const char *s, struct plan *p, const char **why)
{
	return plan_decode(s, strlen(s), p, why);
}

static void
test_round_trip(void)
{
	struct plan	p, q;
	char		a[PLAN_JSON_MAX + 1], b[PLAN_JSON_MAX + 1];
	const char	*why = NULL;
	int		n, m;

	sample_plan(&p);
	n = plan_encode(&p, a, sizeof(a));
	CHECK(n > 0 && (size_t)n == strlen(a));
	CHECK(decode_str(a, &q, &why) == 0);
	CHECK(!plan_differs(&p, &q));
	CHECK(q.version == p.version && q.issued_ms == p.issued_ms);
	CHECK(q.stop == p.stop && q.nreasons == 2);
	CHECK(q.reasons[1].code == PLAN_R_HILLS_CAPPED);
	m = plan_encode(&q, b, sizeof(b));
	CHECK(m == n && memcmp(a, b, (size_t)n) == 0);
	/* Keys in their fixed order, numbers at wire resolution. */
	CHECK(strncmp(a, "{\"v\":1,\"ver\":7,\"at\":1700000123456,", 34) == 0);
	CHECK(strstr(a, "\"spd\":3.25,\"grade\":2.5,") != NULL);
	CHECK(strstr(a, "\"stop\":[\"pain\",\"much_aware\",\"distance\"]")
	    != NULL);

	/* Fractions finer than the wire are rounded, and the same plan. */
	p.speed_cap_mps = 3.2500004;
	p.max_grade_pct = 2.5000001;
	CHECK(!plan_differs(&p, &q));
	CHECK(plan_encode(&p, b, sizeof(b)) == n && memcmp(a, b, n) == 0);

	/* The buffer must hold it and its NUL. */
	CHECK(plan_encode(&p, b, (size_t)n) == -1);
	CHECK(plan_encode(&p, b, (size_t)n + 1) == n);

	/* Decoding reads exactly len bytes of a buffer without a NUL (ASan
	 * catches a read past it). */
	{
		char *exact = malloc((size_t)n);

		memcpy(exact, a, (size_t)n);
		CHECK(plan_decode(exact, (size_t)n, &q, &why) == 0);
		CHECK(plan_decode(exact, (size_t)n - 1, &q, &why) == -1);
		free(exact);
	}
}

/* The largest plan fits PLAN_JSON_MAX. */
static void
test_max_size(void)
{
	struct plan	p, q;
	char		buf[PLAN_JSON_MAX + 1];
	const char	*why;
	int		i, n;

	sample_plan(&p);
	p.version = UINT32_MAX;
	p.issued_ms = p.phase_since_ms = p.cadence_since_ms = STRIDE_T_MAX_MS;
	p.rest_until_ms = p.load_since_ms = STRIDE_T_MAX_MS;
	p.max_distance_m = PLAN_DIST_MAX_M;
	p.max_duration_s = PLAN_DUR_MAX_S;
	p.speed_cap_mps = 11.99;
	p.max_grade_pct = 44.9;
	p.stop = PLAN_STOP_ALL;
	memset(p.text, 'x', PLAN_TEXT_MAX);
	p.text[PLAN_TEXT_MAX] = '\0';
	p.nreasons = PLAN_REASONS_MAX;
	for (i = 0; i < PLAN_REASONS_MAX; i++) {
		p.reasons[i].code = PLAN_R_PLAN_NOT_REACHED;
		memset(p.reasons[i].text, 'y', PLAN_REASON_TEXT_MAX);
		p.reasons[i].text[PLAN_REASON_TEXT_MAX] = '\0';
	}
	n = plan_encode(&p, buf, sizeof(buf));
	CHECK(n > 0 && n <= PLAN_JSON_MAX);
	CHECK(plan_decode(buf, (size_t)n, &q, &why) == 0);
	CHECK(!plan_differs(&p, &q) && q.version == UINT32_MAX);
}

/* Plans the encoder must refuse (it never sends what it cannot decode). */
static void
test_encode_refuses(void)
{
	struct plan	p;
	char		buf[PLAN_JSON_MAX + 1];
	int		i;

	for (i = 0; i < 14; i++) {
		sample_plan(&p);
		switch (i) {
		case 0: p.version = 0; break;
		case 1: p.issued_ms = 0; break;
		case 2: p.phase = PLAN_PHASE_NONE; break;
		case 3: p.max_distance_m = PLAN_DIST_MAX_M + 1; break;
		case 4: p.speed_cap_mps = -0.5; break;
		case 5: p.max_grade_pct = 0.0 / 0.0; break;
		case 6: p.cadence_target_spm = 50; break;
		case 7: p.rest_days = PLAN_REST_DAYS_MAX + 1; break;
		case 8: p.stop = 1u << 7; break;
		case 9: strcpy(p.text, "say \"hi\""); break;
		case 10: strcpy(p.text, "caf\xc3\xa9"); break;
		case 11: p.reasons[0].code = PLAN_R_UNKNOWN; break;
		case 12: p.nreasons = PLAN_REASONS_MAX + 1; break;
		case 13: p.rest_until_ms = -5; break;
		}
		CHECK(plan_encode(&p, buf, sizeof(buf)) == -1);
	}
}

struct hostile {
	const char	*from, *to;	/* mutation of the sample encoding */
	int		 ok;		/* 1: still decodes */
};

static void
test_hostile(void)
{
	static const struct hostile rows[] = {
		/* case-sensitive keys: "Ver" is not "ver" (ver missing) */
		{ "\"ver\":", "\"Ver\":", 0 },
		{ "\"phase\":\"return\"", "\"phase\":\"Return\"", 0 },
		/* duplicates, top level and inside a reason */
		{ "\"v\":1,", "\"v\":1,\"dist\":1,", 0 },
		{ "\"v\":1,", "\"v\":1,\"zz\":1,\"zz\":2,", 0 },
		{ "{\"code\":", "{\"text\":\"a\",\"code\":", 0 },
		/* unknown keys ignored, even nested; deeper nesting refused */
		{ "\"v\":1,", "\"v\":1,\"zz\":[1,{\"a\":2}],", 1 },
		{ "\"v\":1,", "\"v\":1,\"zz\":[[[1]]],", 0 },
		/* escapes and non-ASCII, in and out of strings */
		{ "Clearly", "\\u0043learly", 0 },
		{ "Clearly", "\\\"Clearly", 0 },
		{ "Clearly", "Cl\x01" "early", 0 },
		{ "Clearly", "Cl\xc3\xa9" "arly", 0 },
		{ "\"v\":1,", "\"v\":1,\x7f", 0 },
		/* types and integrality */
		{ "\"ver\":7", "\"ver\":7.5", 0 },
		{ "\"dist\":4500", "\"dist\":\"4500\"", 0 },
		{ "\"spd\":3.25", "\"spd\":1e999", 0 },
		{ "\"stop\":[", "\"stop\":[1,", 0 },
		{ "\"stop\":[\"pain\",", "\"stop\":\"pain\",\"x\":[", 0 },
		{ ",\"why\":[", ",\"why\":7,\"zz\":[", 0 },
		{ "\"text\":\"Next", "\"text\":7,\"q\":\"Next", 0 },
		/* ranges */
		{ "\"v\":1,", "\"v\":2,", 0 },
		{ "\"ver\":7", "\"ver\":0", 0 },
		{ "\"ver\":7", "\"ver\":4294967296", 0 },
		{ "\"at\":1700000123456", "\"at\":0", 0 },
		{ "\"at\":1700000123456", "\"at\":4102444800001", 0 },
		{ "\"phase_since\":", "\"phase_since\":-1,\"x\":", 0 },
		{ "\"rest_until\":", "\"rest_until\":12,\"x\":", 0 },
		{ "\"dist\":4500", "\"dist\":100001", 0 },
		{ "\"dist\":4500", "\"dist\":100000", 1 },
		{ "\"dur\":1800", "\"dur\":86401", 0 },
		{ "\"spd\":3.25", "\"spd\":12.01", 0 },
		{ "\"spd\":3.25", "\"spd\":-0.01", 0 },
		{ "\"grade\":2.5", "\"grade\":45.1", 0 },
		{ "\"cad\":172", "\"cad\":99", 0 },
		{ "\"cad\":172", "\"cad\":0", 1 },
		{ "\"cad\":172", "\"cad\":301", 0 },
		{ "\"cad_tol\":3", "\"cad_tol\":31", 0 },
		{ "\"cad_base\":164", "\"cad_base\":60", 0 },
		{ "\"rest\":2", "\"rest\":29", 0 },
		/* names */
		{ "\"pain\"", "\"pain\",\"lightning\"", 1 },
		{ "\"SYMPTOM_FLARE\"", "\"FUTURE_CODE\"", 1 },
		{ "\"SYMPTOM_FLARE\"", "\"ABCDEFGHIJKLMNOPQRSTUVWXY\"", 0 },
		/* required keys */
		{ "\"load_since\":", "\"load_sinc\":", 0 },
		{ ",\"why\":[", ",\"whyy\":[", 0 },
		/* trailing bytes: whitespace only */
		{ ".\"}]}", ".\"}]} \n", 1 },
		{ ".\"}]}", ".\"}]}x", 0 },
		{ ".\"}]}", ".\"}]}{}", 0 },
		{ ".\"}]}", ".\"}]", 0 },
	};
	struct plan	p, q;
	char		enc[PLAN_JSON_MAX + 1], buf[2 * PLAN_JSON_MAX];
	const char	*why;
	size_t		i;
	int		rc;

	sample_plan(&p);
	CHECK(plan_encode(&p, enc, sizeof(enc)) > 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = NULL;
		mutate(buf, sizeof(buf), enc, rows[i].from, rows[i].to);
		rc = decode_str(buf, &q, &why);
		if ((rc == 0) != rows[i].ok)
			fprintf(stderr, "row %zu (%s -> %s): rc %d why %s\n",
			    i, rows[i].from, rows[i].to, rc,
			    why ? why : "-");
		CHECK((rc == 0) == rows[i].ok);
		CHECK(rc == 0 || (why != NULL && *why != '\0'));
		if (rc == -1)	/* a refused plan leaves nothing behind */
			CHECK(q.version == 0 && q.nreasons == 0);
	}
	/* The rows marked ok decode to what they say. */
	mutate(buf, sizeof(buf), enc, "\"SYMPTOM_FLARE\"", "\"FUTURE_CODE\"");
	CHECK(decode_str(buf, &q, &why) == 0);
	CHECK(q.reasons[0].code == PLAN_R_UNKNOWN);
	CHECK(strcmp(q.reasons[0].text, "Clearly worse than usual.") == 0);
	mutate(buf, sizeof(buf), enc, "\"pain\"", "\"pain\",\"lightning\"");
	CHECK(decode_str(buf, &q, &why) == 0 && q.stop == p.stop);

	/* Too many reasons; text and sentence one byte over. */
	{
		char	why9[1200] = "\"why\":[", t201[256], r161[256];
		int	k;

		for (k = 0; k < PLAN_REASONS_MAX + 1; k++)
			strcat(why9, "{\"code\":\"START\",\"text\":\"a\"},");
		strcat(why9, "{\"code\":\"START\",\"text\":\"a\"},");
		mutate(buf, sizeof(buf), enc, "\"why\":[", why9);
		CHECK(decode_str(buf, &q, &why) == -1);
		memset(t201, 'x', PLAN_TEXT_MAX + 1);
		snprintf(t201 + PLAN_TEXT_MAX + 1, 40, "\",\"q\":\"");
		mutate(buf, sizeof(buf), enc, "Next", t201);
		CHECK(decode_str(buf, &q, &why) == -1);
		memset(r161, 'y', PLAN_REASON_TEXT_MAX + 1);
		r161[PLAN_REASON_TEXT_MAX + 1] = '\0';
		mutate(buf, sizeof(buf), enc, "Clearly worse than usual.",
		    r161);
		CHECK(decode_str(buf, &q, &why) == -1);
		r161[PLAN_REASON_TEXT_MAX] = '\0';	/* exactly at the cap */
		mutate(buf, sizeof(buf), enc, "Clearly worse than usual.",
		    r161);
		CHECK(decode_str(buf, &q, &why) == 0);
	}
}

/* Every proper prefix of a valid plan is refused, and so is anything
 * over the size cap or empty. */
static void
test_truncation_and_size(void)
{
	struct plan	p, q;
	char		enc[PLAN_JSON_MAX + 1];
	char		*big;
	const char	*why;
	int		n, i, bad = 0;

	sample_plan(&p);
	n = plan_encode(&p, enc, sizeof(enc));
	for (i = 0; i < n; i++) {
		if (plan_decode(enc, (size_t)i, &q, &why) != -1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(plan_decode(enc, 0, &q, &why) == -1);
	/* Valid JSON padded with spaces to one byte over the cap. */
	big = malloc(PLAN_JSON_MAX + 1);
	memcpy(big, enc, (size_t)n);
	memset(big + n, ' ', PLAN_JSON_MAX + 1 - (size_t)n);
	CHECK(plan_decode(big, PLAN_JSON_MAX, &q, &why) == 0);
	CHECK(plan_decode(big, PLAN_JSON_MAX + 1, &q, &why) == -1);
	free(big);
	CHECK(decode_str("[]", &q, &why) == -1);
	CHECK(decode_str("7", &q, &why) == -1);
	CHECK(decode_str("{}", &q, &why) == -1);
}

static void
test_differs(void)
{
	struct plan	a, b;
	int		i;

	sample_plan(&a);
	b = a;
	b.version++;
	b.issued_ms += 1000;
	CHECK(!plan_differs(&a, &b));	/* a re-issue is not a change */
	for (i = 0; i < 19; i++) {
		b = a;
		switch (i) {
		case 0: b.phase = PLAN_PHASE_NORMAL; break;
		case 1: b.phase_since_ms++; break;
		case 2: b.max_distance_m++; break;
		case 3: b.max_duration_s--; break;
		case 4: b.speed_cap_mps += 0.01; break;
		case 5: b.max_grade_pct += 0.1; break;
		case 6: b.cadence_target_spm++; break;
		case 7: b.cadence_tol_spm++; break;
		case 8: b.cadence_base_spm++; break;
		case 9: b.cadence_since_ms++; break;
		case 10: b.rest_days++; break;
		case 11: b.rest_until_ms++; break;
		case 12: b.load_since_ms++; break;
		case 13: b.stop ^= PLAN_STOP_DURATION; break;
		case 14: b.text[0] = 'n'; break;
		case 15: b.nreasons = 1; break;
		case 16: b.reasons[1].code = PLAN_R_SPEED_CAPPED; break;
		case 17: b.reasons[0].text[0] = 'c'; break;
		case 18: b.speed_cap_mps += 0.004; break;	/* below 0.01 */
		}
		CHECK(plan_differs(&a, &b) == (i != 18));
	}
}

static void
test_names(void)
{
	int		i, j;
	uint32_t	bit;

	for (i = 1; i < PLAN_R_COUNT; i++) {
		const char *n = plan_reason_name((enum plan_reason)i);

		CHECK(n != NULL && strlen(n) <= PLAN_CODE_MAX);
		CHECK(plan_reason_parse(n) == (enum plan_reason)i);
		for (j = 1; j < i; j++)
			CHECK(strcmp(n, plan_reason_name(
			    (enum plan_reason)j)) != 0);
	}
	CHECK(plan_reason_name(PLAN_R_UNKNOWN) == NULL);
	CHECK(plan_reason_name(PLAN_R_COUNT) == NULL);
	CHECK(plan_reason_parse("symptom_flare") == PLAN_R_UNKNOWN);
	CHECK(plan_reason_parse(NULL) == PLAN_R_UNKNOWN);
	for (i = 1; i < PLAN_PHASE_COUNT; i++)
		CHECK(plan_phase_parse(plan_phase_name((enum plan_phase)i)) ==
		    (enum plan_phase)i);
	CHECK(plan_phase_parse("REST") == PLAN_PHASE_NONE);
	for (bit = 1; bit <= PLAN_STOP_ALL; bit <<= 1)
		CHECK(plan_stop_name(bit) != NULL);
	CHECK(plan_stop_name(PLAN_STOP_ALL + 1) == NULL);
	CHECK(plan_stop_name(3) == NULL);
	CHECK(plan_text_valid("ok, 5% / 4:30km", 200));
	CHECK(!plan_text_valid("abc", 2));
	CHECK(plan_text_valid("ab", 2));
	CHECK(!plan_text_valid("a\\b", 10));
	CHECK(!plan_text_valid("a\tb", 10));
}

int
main(void)
{
	test_round_trip();
	test_max_size();
	test_encode_refuses();
	test_hostile();
	test_truncation_and_size();
	test_differs();
	test_names();
	return check_done("test_plan_codec");
}
