/*
 * topic.c - build and parse <prefix>/v1/<runner>/<device>/<kind> topics.
 *
 * Pure: no I/O, no heap, no globals; thread-safe.
 * topic_parse() takes bytes from the broker: it never assumes a NUL, never
 * reads past len, and checks every level (prefix, version, both ids, kind)
 * before it fills anything the caller will use. The builders are for our own
 * publishes and refuse anything the parser would refuse, so what we send can
 * always be read back.
 * Invariant: a topic we build is at most STRIDE_TOPIC_MAX bytes.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "stride/topic.h"

#define TOPIC_VERSION	"v1"
#define TOPIC_HUB	"_hub"

int
topic_prefix_valid(const char *prefix)
{
	size_t	i, len;

	if (prefix == NULL)
		return 0;
	len = strlen(prefix);
	if (len == 0 || len > STRIDE_PREFIX_MAX)
		return 0;
	/* '$' topics belong to the broker ($SYS); a leading '/' makes an
	 * empty first level that many ACL setups get wrong. */
	if (prefix[0] == '$' || prefix[0] == '/' || prefix[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)prefix[i];

		if (c == '+' || c == '#' || c < 0x20 || c == 0x7f)
			return 0;
		if (c == '/' && prefix[i + 1] == '/')
			return 0;	/* empty level */
	}
	return 1;
}

/* The next level of p[0..len): its length up to '/' or the end. */
static size_t
topic_level(const char *p, size_t len)
{
	const char *slash = memchr(p, '/', len);

	return slash == NULL ? len : (size_t)(slash - p);
}

int
topic_parse(const char *prefix, const char *topic, size_t len,
    struct stride_topic *out, const char **why)
{
	const char	*p;
	size_t		 plen, rest, n;
	const char	*id[2];
	size_t		 idlen[2];
	int		 i;

	assert(out != NULL && why != NULL);
	memset(out, 0, sizeof(*out));
	if (prefix == NULL || topic == NULL) {
		*why = "no topic";
		return -1;
	}
	if (len > STRIDE_TOPIC_MAX) {
		*why = "topic too long";
		return -1;
	}
	plen = strlen(prefix);
	if (plen == 0 || len <= plen || memcmp(topic, prefix, plen) != 0 ||
	    topic[plen] != '/') {
		*why = "wrong prefix";
		return -1;
	}
	p = topic + plen + 1;
	rest = len - plen - 1;

	n = topic_level(p, rest);
	if (n != strlen(TOPIC_VERSION) || memcmp(p, TOPIC_VERSION, n) != 0) {
		*why = "wrong protocol version level";
		return -1;
	}
	if (n == rest) {
		*why = "too few levels";
		return -1;
	}
	p += n + 1;
	rest -= n + 1;

	/* runner, then device: each must be followed by another level. */
	for (i = 0; i < 2; i++) {
		n = topic_level(p, rest);
		if (i == 0 && n == strlen(TOPIC_HUB) &&
		    memcmp(p, TOPIC_HUB, n) == 0) {
			*why = "hub topic";
			return -1;
		}
		if (!stride_id_valid(p, n)) {
			*why = i == 0 ? "bad runner id" : "bad device id";
			return -1;
		}
		if (n == rest) {
			*why = "too few levels";
			return -1;
		}
		id[i] = p;
		idlen[i] = n;
		p += n + 1;
		rest -= n + 1;
	}

	n = topic_level(p, rest);
	if (n != rest) {
		*why = "too many levels";
		return -1;
	}
	out->kind = stride_kind_parse(p, n);
	if (out->kind == STRIDE_KIND_NONE) {
		*why = "unknown kind";
		return -1;
	}
	memcpy(out->runner, id[0], idlen[0]);
	out->runner[idlen[0]] = '\0';
	memcpy(out->device, id[1], idlen[1]);
	out->device[idlen[1]] = '\0';
	return 0;
}

/* snprintf's result as a topic length: -1 unless it fit in cap and in
 * STRIDE_TOPIC_MAX. */
static int
topic_fit(int n, size_t cap)
{
	if (n < 0 || (size_t)n >= cap || n > STRIDE_TOPIC_MAX)
		return -1;
	return n;
}

int
topic_build(char *buf, size_t cap, const char *prefix, const char *runner,
    const char *device, enum stride_kind kind)
{
	const char *kname = stride_kind_name(kind);

	assert(buf != NULL);
	if (!topic_prefix_valid(prefix) || kname == NULL ||
	    runner == NULL || !stride_id_valid(runner, strlen(runner)) ||
	    device == NULL || !stride_id_valid(device, strlen(device)))
		return -1;
	return topic_fit(snprintf(buf, cap, "%s/" TOPIC_VERSION "/%s/%s/%s",
	    prefix, runner, device, kname), cap);
}

int
topic_build_hub(char *buf, size_t cap, const char *prefix, const char *what)
{
	assert(buf != NULL && what != NULL);
	if (!topic_prefix_valid(prefix) || !stride_id_valid(what, strlen(what)))
		return -1;
	return topic_fit(snprintf(buf, cap,
	    "%s/" TOPIC_VERSION "/" TOPIC_HUB "/%s", prefix, what), cap);
}

int
topic_build_hub_status(char *buf, size_t cap, const char *prefix)
{
	return topic_build_hub(buf, cap, prefix, "status");
}

int
topic_build_filter(char *buf, size_t cap, const char *prefix,
    enum stride_kind kind)
{
	const char *kname = stride_kind_name(kind);

	assert(buf != NULL);
	if (!topic_prefix_valid(prefix) || kname == NULL)
		return -1;
	return topic_fit(snprintf(buf, cap, "%s/" TOPIC_VERSION "/+/+/%s",
	    prefix, kname), cap);
}
