/*
 * topic.h - building and parsing StrideHub topics.
 *
 *   <prefix>/v1/<runner>/<device>/<kind>
 *
 * Parsing is for bytes from the broker: it checks every level and never
 * trusts the length of anything. Building is for our own publishes.
 */
#ifndef STRIDE_TOPIC_H
#define STRIDE_TOPIC_H

#include <stddef.h>
#include "stride/protocol.h"

struct stride_topic {
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];
	enum stride_kind kind;
};

/* 1 if prefix is usable: 1..STRIDE_PREFIX_MAX bytes, no '+', '#', NUL,
 * no leading '$' or '/', no trailing '/', no empty level. */
int	topic_prefix_valid(const char *prefix);

/*
 * Parse topic[0..len) under prefix. Returns 0 and fills *out, or -1 with
 * *why set to a static reason ("wrong prefix", "bad runner id", ...).
 */
int	topic_parse(const char *prefix, const char *topic, size_t len,
	    struct stride_topic *out, const char **why);

/* Write the topic for (runner, device, kind) into buf. Returns its length,
 * or -1 if it does not fit or an id is invalid. */
int	topic_build(char *buf, size_t cap, const char *prefix,
	    const char *runner, const char *device, enum stride_kind kind);

/* The hub's own status topic: <prefix>/v1/_hub/status. */
int	topic_build_hub_status(char *buf, size_t cap, const char *prefix);

/* The hub's broadcast topics (issue 4): <prefix>/v1/_hub/<what>, what one
 * of TOPIC_HUB_HEARTBEAT, TOPIC_HUB_KEYS (or "status"). */
#define TOPIC_HUB_HEARTBEAT	"heartbeat"
#define TOPIC_HUB_KEYS		"keys"
int	topic_build_hub(char *buf, size_t cap, const char *prefix,
	    const char *what);

/* The hub's subscription filter for one kind: <prefix>/v1/+/+/<kind>. */
int	topic_build_filter(char *buf, size_t cap, const char *prefix,
	    enum stride_kind kind);

#endif
