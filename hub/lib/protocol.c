/*
 * protocol.c - the wire names of protocol v1 (see stride/protocol.h) and the
 * id rule.
 *
 * Pure: no I/O, no heap, no globals but constant tables; thread-safe.
 * Every name here is what travels on the wire, so changing one is a
 * protocol change: docs/protocol.md and the test vectors change with it.
 * Lookups are exact and case-sensitive: "Start" is not "start", so one
 * message never has two spellings (and a hostile one cannot pick its own).
 */
#include <string.h>

#include "stride/protocol.h"

/* Indexed by the enums; slot 0 (NONE/UNKNOWN) has no wire name. */
static const char *const protocol_kinds[STRIDE_KIND_COUNT] = {
	NULL, "telemetry", "event", "symptom", "status", "ack", "plan",
	"relay"
};
static const char *const protocol_roles[STRIDE_ROLE_COUNT] = {
	NULL, "footpod", "watch"
};
static const char *const protocol_events[STRIDE_EVENT_COUNT] = {
	NULL, "start", "stop", "lap"
};
static const char *const protocol_whens[STRIDE_WHEN_COUNT] = {
	NULL, "during", "next_day"
};
static const char *const protocol_levels[STRIDE_LEVEL_COUNT] = {
	NULL, "better", "usual", "aware", "much_aware", "painful"
};
static const char *const protocol_cues[STRIDE_CUE_COUNT] = {
	NULL, "cadence_low", "speed_high", "grade_high", "distance",
	"duration", "pain_stop", "rest_day"
};

/* The name at index i of a table of n, or NULL. */
static const char *
protocol_name(const char *const *tab, int n, int i)
{
	if (i <= 0 || i >= n)
		return NULL;
	return tab[i];
}

/* The index of the exact name s[0..len) in tab, or 0. */
static int
protocol_lookup(const char *const *tab, int n, const char *s, size_t len)
{
	int	i;

	if (s == NULL)
		return 0;
	for (i = 1; i < n; i++) {
		if (strlen(tab[i]) == len && memcmp(tab[i], s, len) == 0)
			return i;
	}
	return 0;
}

/* Same for a NUL-terminated s. */
static int
protocol_lookup_str(const char *const *tab, int n, const char *s)
{
	int	i;

	if (s == NULL)
		return 0;
	for (i = 1; i < n; i++) {
		if (strcmp(tab[i], s) == 0)
			return i;
	}
	return 0;
}

const char *
stride_kind_name(enum stride_kind k)
{
	return protocol_name(protocol_kinds, STRIDE_KIND_COUNT, (int)k);
}

enum stride_kind
stride_kind_parse(const char *s, size_t len)
{
	return (enum stride_kind)protocol_lookup(protocol_kinds,
	    STRIDE_KIND_COUNT, s, len);
}

const char *
stride_role_name(enum stride_role r)
{
	return protocol_name(protocol_roles, STRIDE_ROLE_COUNT, (int)r);
}

enum stride_role
stride_role_parse(const char *s)
{
	return (enum stride_role)protocol_lookup_str(protocol_roles,
	    STRIDE_ROLE_COUNT, s);
}

const char *
stride_event_name(enum stride_event e)
{
	return protocol_name(protocol_events, STRIDE_EVENT_COUNT, (int)e);
}

enum stride_event
stride_event_parse(const char *s)
{
	return (enum stride_event)protocol_lookup_str(protocol_events,
	    STRIDE_EVENT_COUNT, s);
}

const char *
stride_when_name(enum stride_when w)
{
	return protocol_name(protocol_whens, STRIDE_WHEN_COUNT, (int)w);
}

enum stride_when
stride_when_parse(const char *s)
{
	return (enum stride_when)protocol_lookup_str(protocol_whens,
	    STRIDE_WHEN_COUNT, s);
}

const char *
stride_level_name(enum stride_level l)
{
	return protocol_name(protocol_levels, STRIDE_LEVEL_COUNT, (int)l);
}

enum stride_level
stride_level_parse(const char *s)
{
	return (enum stride_level)protocol_lookup_str(protocol_levels,
	    STRIDE_LEVEL_COUNT, s);
}

const char *
stride_cue_name(enum stride_cue c)
{
	return protocol_name(protocol_cues, STRIDE_CUE_COUNT, (int)c);
}

enum stride_cue
stride_cue_parse(const char *s)
{
	return (enum stride_cue)protocol_lookup_str(protocol_cues,
	    STRIDE_CUE_COUNT, s);
}

/*
 * Ids become topic levels, database keys and log fields, so they are kept
 * to a set that needs no escaping anywhere: [a-z0-9_-]. The first character
 * may not be '_' or '-', which leaves "_hub" (and any later "_name") free
 * for the hub's own topics and keeps ids from looking like options.
 */
int
stride_id_valid(const char *s, size_t len)
{
	size_t	i;

	if (s == NULL || len == 0 || len > STRIDE_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '_' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}
