/*
 * test_topic.c - building and parsing <prefix>/v1/<runner>/<device>/<kind>.
 *
 * Parsing is table-driven: each row is a topic as a broker could deliver it
 * and the expected outcome (ids and kind, or the reason it is refused).
 */
#include <string.h>

#include "stride/topic.h"
#include "check.h"

static void
test_prefix_valid(void)
{
	static const struct {
		const char	*p;
		int		 ok;
	} cases[] = {
		{ "stridehub", 1 },
		{ "club/stridehub", 1 },
		{ "home/anna-and-bo/run", 1 },
		{ "Stride Hub", 1 },	/* MQTT allows it; ids are stricter */
		{ "a", 1 },
		{ "", 0 },
		{ "/stridehub", 0 },
		{ "stridehub/", 0 },
		{ "$SYS", 0 },
		{ "$share/x", 0 },
		{ "club//stridehub", 0 },
		{ "club/+/x", 0 },
		{ "club/#", 0 },
		{ "a+", 0 },
		{ "tab\there", 0 },
		{ "/", 0 },
	};
	char	long_ok[STRIDE_PREFIX_MAX + 1], too_long[STRIDE_PREFIX_MAX + 2];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = topic_prefix_valid(cases[i].p);

		if (got != cases[i].ok)
			fprintf(stderr, "prefix \"%s\": got %d\n", cases[i].p,
			    got);
		CHECK(got == cases[i].ok);
	}
	CHECK(topic_prefix_valid(NULL) == 0);
	memset(long_ok, 'p', STRIDE_PREFIX_MAX);
	long_ok[STRIDE_PREFIX_MAX] = '\0';
	CHECK(topic_prefix_valid(long_ok) == 1);
	memset(too_long, 'p', STRIDE_PREFIX_MAX + 1);
	too_long[STRIDE_PREFIX_MAX + 1] = '\0';
	CHECK(topic_prefix_valid(too_long) == 0);
}

struct parse_case {
	const char		*prefix;
	const char		*topic;
	const char		*runner;	/* NULL: refused */
	const char		*device;
	enum stride_kind	 kind;
	const char		*why;		/* expected reason if refused */
};

static const struct parse_case parse_cases[] = {
	{ "stridehub", "stridehub/v1/anna/pod1/telemetry", "anna", "pod1",
	    STRIDE_KIND_TELEMETRY, NULL },
	{ "stridehub", "stridehub/v1/anna/fr945/event", "anna", "fr945",
	    STRIDE_KIND_EVENT, NULL },
	{ "stridehub", "stridehub/v1/bo-2/w_1/symptom", "bo-2", "w_1",
	    STRIDE_KIND_SYMPTOM, NULL },
	{ "stridehub", "stridehub/v1/a/b/status", "a", "b",
	    STRIDE_KIND_STATUS, NULL },
	{ "stridehub", "stridehub/v1/a/b/ack", "a", "b", STRIDE_KIND_ACK,
	    NULL },
	{ "stridehub", "stridehub/v1/a/b/plan", "a", "b", STRIDE_KIND_PLAN,
	    NULL },
	{ "club/sh", "club/sh/v1/anna/pod1/telemetry", "anna", "pod1",
	    STRIDE_KIND_TELEMETRY, NULL },
	{ "stridehub", "stridehub/v1/abcdefghijklmnopqrstuvwxyz012345/"
	    "abcdefghijklmnopqrstuvwxyz012345/telemetry",
	    "abcdefghijklmnopqrstuvwxyz012345",
	    "abcdefghijklmnopqrstuvwxyz012345", STRIDE_KIND_TELEMETRY, NULL },

	/* prefix */
	{ "stridehub", "other/v1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong prefix" },
	{ "stridehub", "stridehubx/v1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong prefix" },
	{ "stridehub", "Stridehub/v1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong prefix" },
	{ "club/sh", "club/v1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong prefix" },
	{ "stridehub", "stridehub", NULL, NULL, 0, "wrong prefix" },
	{ "stridehub", "", NULL, NULL, 0, "wrong prefix" },
	{ "stridehub", "/stridehub/v1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong prefix" },
	{ "", "/v1/anna/pod1/telemetry", NULL, NULL, 0, "wrong prefix" },
	/* version level */
	{ "stridehub", "stridehub/v2/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong protocol version level" },
	{ "stridehub", "stridehub/V1/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong protocol version level" },
	{ "stridehub", "stridehub/v10/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong protocol version level" },
	{ "stridehub", "stridehub//anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong protocol version level" },
	{ "stridehub", "stridehub/anna/pod1/telemetry", NULL, NULL, 0,
	    "wrong protocol version level" },
	/* the hub's own subtree */
	{ "stridehub", "stridehub/v1/_hub/status", NULL, NULL, 0,
	    "hub topic" },
	{ "stridehub", "stridehub/v1/_hub/x/status", NULL, NULL, 0,
	    "hub topic" },
	/* runner id */
	{ "stridehub", "stridehub/v1/Anna/pod1/telemetry", NULL, NULL, 0,
	    "bad runner id" },
	{ "stridehub", "stridehub/v1/_anna/pod1/telemetry", NULL, NULL, 0,
	    "bad runner id" },
	{ "stridehub", "stridehub/v1/+/pod1/telemetry", NULL, NULL, 0,
	    "bad runner id" },
	{ "stridehub", "stridehub/v1/#/pod1/telemetry", NULL, NULL, 0,
	    "bad runner id" },
	{ "stridehub", "stridehub/v1//pod1/telemetry", NULL, NULL, 0,
	    "bad runner id" },
	{ "stridehub", "stridehub/v1/abcdefghijklmnopqrstuvwxyz0123456/"
	    "pod1/telemetry", NULL, NULL, 0, "bad runner id" },
	/* device id */
	{ "stridehub", "stridehub/v1/anna/POD1/telemetry", NULL, NULL, 0,
	    "bad device id" },
	{ "stridehub", "stridehub/v1/anna/-pod/telemetry", NULL, NULL, 0,
	    "bad device id" },
	{ "stridehub", "stridehub/v1/anna/+/telemetry", NULL, NULL, 0,
	    "bad device id" },
	{ "stridehub", "stridehub/v1/anna/p#/telemetry", NULL, NULL, 0,
	    "bad device id" },
	{ "stridehub", "stridehub/v1/anna//telemetry", NULL, NULL, 0,
	    "bad device id" },
	{ "stridehub", "stridehub/v1/anna/pod.1/telemetry", NULL, NULL, 0,
	    "bad device id" },
	/* levels */
	{ "stridehub", "stridehub/v1/anna/pod1/telemetry/x", NULL, NULL, 0,
	    "too many levels" },
	{ "stridehub", "stridehub/v1/anna/pod1/telemetry/", NULL, NULL, 0,
	    "too many levels" },
	{ "stridehub", "stridehub/v1/anna/pod1", NULL, NULL, 0,
	    "too few levels" },
	{ "stridehub", "stridehub/v1/anna", NULL, NULL, 0, "too few levels" },
	{ "stridehub", "stridehub/v1", NULL, NULL, 0, "too few levels" },
	/* kind */
	{ "stridehub", "stridehub/v1/anna/pod1/Telemetry", NULL, NULL, 0,
	    "unknown kind" },
	{ "stridehub", "stridehub/v1/anna/pod1/telemetr", NULL, NULL, 0,
	    "unknown kind" },
	{ "stridehub", "stridehub/v1/anna/pod1/", NULL, NULL, 0,
	    "unknown kind" },
	{ "stridehub", "stridehub/v1/anna/pod1/samples", NULL, NULL, 0,
	    "unknown kind" },
};

static void
test_parse(void)
{
	struct stride_topic	 t;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int rc;

		why = NULL;
		rc = topic_parse(c->prefix, c->topic, strlen(c->topic), &t,
		    &why);
		if (c->runner != NULL) {
			if (rc != 0)
				fprintf(stderr, "\"%s\": refused: %s\n",
				    c->topic, why);
			CHECK(rc == 0);
			CHECK(strcmp(t.runner, c->runner) == 0);
			CHECK(strcmp(t.device, c->device) == 0);
			CHECK(t.kind == c->kind);
		} else {
			if (rc != -1 || why == NULL ||
			    strcmp(why, c->why) != 0)
				fprintf(stderr, "\"%s\": rc %d why \"%s\", "
				    "want \"%s\"\n", c->topic, rc,
				    why ? why : "(null)", c->why);
			CHECK(rc == -1);
			CHECK(why != NULL && strcmp(why, c->why) == 0);
		}
	}
}

/* The parser reads only len bytes: a topic inside a larger buffer, with no
 * NUL after it, parses as the first len bytes. */
static void
test_parse_len(void)
{
	static const char	 buf[] = "stridehub/v1/anna/pod1/ackXXXX";
	struct stride_topic	 t;
	const char		*why;
	char			 big[STRIDE_TOPIC_MAX + 20];

	CHECK(topic_parse("stridehub", buf, strlen("stridehub/v1/anna/pod1/ack"),
	    &t, &why) == 0 && t.kind == STRIDE_KIND_ACK);
	CHECK(topic_parse("stridehub", buf, sizeof(buf) - 1, &t, &why) == -1);
	/* A NUL inside the length is a bad byte, not an end. */
	CHECK(topic_parse("stridehub", "stridehub/v1/anna/pod1/ack\0",
	    strlen("stridehub/v1/anna/pod1/ack") + 1, &t, &why) == -1);
	CHECK(topic_parse("stridehub", "stridehub/v1/an\0a/pod1/ack",
	    sizeof("stridehub/v1/an\0a/pod1/ack") - 1, &t, &why) == -1 &&
	    strcmp(why, "bad runner id") == 0);
	/* Too long to be ours, whatever it says. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "stridehub/v1/", 13);
	CHECK(topic_parse("stridehub", big, sizeof(big), &t, &why) == -1 &&
	    strcmp(why, "topic too long") == 0);
	/* A refused topic leaves nothing behind. */
	CHECK(t.runner[0] == '\0' && t.kind == STRIDE_KIND_NONE);
}

static void
test_build(void)
{
	char			 buf[STRIDE_TOPIC_MAX + 1];
	struct stride_topic	 t;
	const char		*why;
	int			 n, k;

	/* Every kind builds and parses back to the same triple. */
	for (k = STRIDE_KIND_TELEMETRY; k < STRIDE_KIND_COUNT; k++) {
		n = topic_build(buf, sizeof(buf), "club/sh", "anna", "pod-1",
		    k);
		CHECK(n > 0 && (size_t)n == strlen(buf));
		CHECK(topic_parse("club/sh", buf, (size_t)n, &t, &why) == 0);
		CHECK(strcmp(t.runner, "anna") == 0 &&
		    strcmp(t.device, "pod-1") == 0 && (int)t.kind == k);
	}
	n = topic_build(buf, sizeof(buf), "stridehub", "anna", "pod1",
	    STRIDE_KIND_TELEMETRY);
	CHECK(n == (int)strlen("stridehub/v1/anna/pod1/telemetry") &&
	    strcmp(buf, "stridehub/v1/anna/pod1/telemetry") == 0);

	/* Refused: whatever the parser would refuse. */
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "Anna", "pod1",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "_hub", "pod1",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "anna", "+",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "anna", "",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "anna", NULL,
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stride/", "anna", "pod1",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "anna", "pod1",
	    STRIDE_KIND_NONE) == -1);
	CHECK(topic_build(buf, sizeof(buf), "stridehub", "anna", "pod1",
	    STRIDE_KIND_COUNT) == -1);

	/* Capacity: exactly enough (with the NUL) works, one less fails. */
	n = (int)strlen("stridehub/v1/anna/pod1/ack");
	CHECK(topic_build(buf, (size_t)n + 1, "stridehub", "anna", "pod1",
	    STRIDE_KIND_ACK) == n);
	CHECK(topic_build(buf, (size_t)n, "stridehub", "anna", "pod1",
	    STRIDE_KIND_ACK) == -1);
	CHECK(topic_build(buf, 0, "stridehub", "anna", "pod1",
	    STRIDE_KIND_ACK) == -1);
}

static void
test_build_hub(void)
{
	char			 buf[STRIDE_TOPIC_MAX + 1];
	struct stride_topic	 t;
	const char		*why;
	int			 n;

	n = topic_build_hub_status(buf, sizeof(buf), "stridehub");
	CHECK(n > 0 && strcmp(buf, "stridehub/v1/_hub/status") == 0);
	/* Devices' topics never collide with it. */
	CHECK(topic_parse("stridehub", buf, (size_t)n, &t, &why) == -1);
	CHECK(topic_build_hub_status(buf, sizeof(buf), "a/#") == -1);
	CHECK(topic_build_hub_status(buf, 10, "stridehub") == -1);

	n = topic_build_filter(buf, sizeof(buf), "club/sh",
	    STRIDE_KIND_TELEMETRY);
	CHECK(n > 0 && strcmp(buf, "club/sh/v1/+/+/telemetry") == 0);
	n = topic_build_filter(buf, sizeof(buf), "stridehub",
	    STRIDE_KIND_STATUS);
	CHECK(n > 0 && strcmp(buf, "stridehub/v1/+/+/status") == 0);
	CHECK(topic_build_filter(buf, sizeof(buf), "stridehub",
	    STRIDE_KIND_NONE) == -1);
	CHECK(topic_build_filter(buf, sizeof(buf), "", STRIDE_KIND_ACK) == -1);
}

/* The longest legal topic fits STRIDE_TOPIC_MAX with room to spare. */
static void
test_longest(void)
{
	char	prefix[STRIDE_PREFIX_MAX + 1], id[STRIDE_ID_MAX + 1];
	char	buf[STRIDE_TOPIC_MAX + 1];
	int	n;

	memset(prefix, 'p', STRIDE_PREFIX_MAX);
	prefix[STRIDE_PREFIX_MAX] = '\0';
	memset(id, 'i', STRIDE_ID_MAX);
	id[STRIDE_ID_MAX] = '\0';
	n = topic_build(buf, sizeof(buf), prefix, id, id,
	    STRIDE_KIND_TELEMETRY);
	CHECK(n > 0 && n <= STRIDE_TOPIC_MAX);
}

int
main(void)
{
	test_prefix_valid();
	test_parse();
	test_parse_len();
	test_build();
	test_build_hub();
	test_longest();
	return check_done("test_topic");
}
