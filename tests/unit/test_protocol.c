/*
 * test_protocol.c - the wire names and the id rule of protocol v1.
 *
 * The names are the contract with devices: they are pinned here letter by
 * letter, so renaming one fails a test instead of silently breaking every
 * device in the field.
 */
#include <string.h>

#include "stride/protocol.h"
#include "check.h"

typedef const char *(*name_fn)(int);
typedef int (*parse_fn)(const char *);

/* Adapters so one table can drive every enum. */
static const char *role_name(int i) { return stride_role_name(i); }
static int role_parse(const char *s) { return stride_role_parse(s); }
static const char *event_name(int i) { return stride_event_name(i); }
static int event_parse(const char *s) { return stride_event_parse(s); }
static const char *when_name(int i) { return stride_when_name(i); }
static int when_parse(const char *s) { return stride_when_parse(s); }
static const char *level_name(int i) { return stride_level_name(i); }
static int level_parse(const char *s) { return stride_level_parse(s); }
static const char *kind_name(int i) { return stride_kind_name(i); }
static int
kind_parse(const char *s)
{
	return s == NULL ? stride_kind_parse(NULL, 0) :
	    stride_kind_parse(s, strlen(s));
}

static const struct {
	const char	*what;
	name_fn		 name;
	parse_fn	 parse;
	int		 count;
	const char	*wire[9];	/* index 1.. */
} enums[] = {
	{ "kind", kind_name, kind_parse, STRIDE_KIND_COUNT,
	    { NULL, "telemetry", "event", "symptom", "status", "ack",
	    "plan", "relay" } },
	{ "role", role_name, role_parse, STRIDE_ROLE_COUNT,
	    { NULL, "footpod", "watch" } },
	{ "event", event_name, event_parse, STRIDE_EVENT_COUNT,
	    { NULL, "start", "stop", "lap" } },
	{ "when", when_name, when_parse, STRIDE_WHEN_COUNT,
	    { NULL, "during", "next_day" } },
	{ "level", level_name, level_parse, STRIDE_LEVEL_COUNT,
	    { NULL, "better", "usual", "aware", "much_aware", "painful" } },
};

static void
test_names(void)
{
	size_t	e;
	int	i, j;

	for (e = 0; e < sizeof(enums) / sizeof(enums[0]); e++) {
		/* No name for NONE or anything outside the enum. */
		CHECK(enums[e].name(0) == NULL);
		CHECK(enums[e].name(-1) == NULL);
		CHECK(enums[e].name(enums[e].count) == NULL);
		CHECK(enums[e].name(1000) == NULL);
		for (i = 1; i < enums[e].count; i++) {
			const char *n = enums[e].name(i);

			CHECK(n != NULL && strcmp(n, enums[e].wire[i]) == 0);
			CHECK(enums[e].parse(enums[e].wire[i]) == i);
			for (j = 1; j < i; j++)
				CHECK(strcmp(enums[e].name(j), n) != 0);
		}
		/* The slot past the last name is empty in the table above:
		 * an enum that grows without a pinned name fails here. */
		CHECK(enums[e].count < 9 && enums[e].wire[enums[e].count] ==
		    NULL);
		CHECK(enums[e].parse(NULL) == 0);
		CHECK(enums[e].parse("") == 0);
	}
}

static void
test_parse_exact(void)
{
	static const char *const bad[] = {
		"Start", "START", "start ", " start", "star", "startx",
		"Footpod", "foot_pod", "foot-pod", "WATCH", "next-day",
		"nextday", "much aware", "Much_Aware", "Telemetry", "ACK",
		"start\n", "usual\t",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(stride_event_parse(bad[i]) == STRIDE_EVENT_NONE);
		CHECK(stride_role_parse(bad[i]) == STRIDE_ROLE_UNKNOWN);
		CHECK(stride_when_parse(bad[i]) == STRIDE_WHEN_NONE);
		CHECK(stride_level_parse(bad[i]) == STRIDE_LEVEL_NONE);
		CHECK(stride_kind_parse(bad[i], strlen(bad[i])) ==
		    STRIDE_KIND_NONE);
	}
}

/* stride_kind_parse reads exactly len bytes: no NUL needed, none honoured. */
static void
test_kind_parse_len(void)
{
	CHECK(stride_kind_parse("telemetry/x", 9) == STRIDE_KIND_TELEMETRY);
	CHECK(stride_kind_parse("ackk", 3) == STRIDE_KIND_ACK);
	CHECK(stride_kind_parse("ackk", 4) == STRIDE_KIND_NONE);
	CHECK(stride_kind_parse("telemetry", 8) == STRIDE_KIND_NONE);
	CHECK(stride_kind_parse("ack\0", 4) == STRIDE_KIND_NONE);
	CHECK(stride_kind_parse("plan", 0) == STRIDE_KIND_NONE);
	CHECK(stride_kind_parse(NULL, 4) == STRIDE_KIND_NONE);
}

static void
test_id_valid(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "a", 1 },
		{ "0", 1 },
		{ "anna", 1 },
		{ "pod-1", 1 },
		{ "fr945_watch", 1 },
		{ "9lives", 1 },
		{ "a-", 1 },
		{ "a_", 1 },
		{ "abcdefghijklmnopqrstuvwxyz012345", 1 },	/* 32 */
		{ "abcdefghijklmnopqrstuvwxyz0123456", 0 },	/* 33 */
		{ "", 0 },
		{ "_hub", 0 },
		{ "_a", 0 },
		{ "-a", 0 },
		{ "Anna", 0 },
		{ "annA", 0 },
		{ "a+b", 0 },
		{ "+", 0 },
		{ "#", 0 },
		{ "a#", 0 },
		{ "a/b", 0 },
		{ "a b", 0 },
		{ "a.b", 0 },
		{ "a:b", 0 },
		{ "$sys", 0 },
		{ "caf\xc3\xa9", 0 },
		{ "a\tb", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = stride_id_valid(cases[i].s, strlen(cases[i].s));

		if (got != cases[i].ok)
			fprintf(stderr, "id \"%s\": got %d\n", cases[i].s, got);
		CHECK(got == cases[i].ok);
	}
	/* Only len bytes count: an embedded NUL is a bad byte, and what
	 * follows len is not looked at. */
	CHECK(stride_id_valid("ab\0c", 4) == 0);
	CHECK(stride_id_valid("ab/cd", 2) == 1);
	CHECK(stride_id_valid("ab", 0) == 0);
	CHECK(stride_id_valid(NULL, 3) == 0);
}

int
main(void)
{
	test_names();
	test_parse_exact();
	test_kind_parse_len();
	test_id_valid();
	return check_done("test_protocol");
}
