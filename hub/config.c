/*
 * config.c - see config.h. One table maps each key to its field, type and
 * range, so the file, the flags and the docs name the same settings.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ha.h"
#include "stride/log.h"
#include "stride/topic.h"

enum config_type { CT_STR, CT_INT, CT_MS, CT_BYTES, CT_BOOL };

struct config_key {
	const char	*name;
	enum config_type type;
	size_t		 off;
	size_t		 size;		/* CT_STR: buffer size */
	long long	 min, max;	/* numeric range, inclusive */
};

#define S(f)	offsetof(struct hub_config, f), sizeof(((struct hub_config *)0)->f)
#define N(f)	offsetof(struct hub_config, f), 0
static const struct config_key config_keys[] = {
	{ "host",		CT_STR,	  S(host),		0, 0 },
	{ "port",		CT_INT,	  N(port),		1, 65535 },
	{ "prefix",		CT_STR,	  S(prefix),		0, 0 },
	{ "client_id",		CT_STR,	  S(client_id),		0, 0 },
	{ "shared_group",	CT_STR,	  S(shared_group),	0, 0 },
	{ "username",		CT_STR,	  S(username),		0, 0 },
	{ "password_file",	CT_STR,	  S(password_file),	0, 0 },
	{ "db",			CT_STR,	  S(db_path),		0, 0 },
	{ "key_dir",		CT_STR,	  S(key_dir),		0, 0 },
	{ "key_passphrase_file", CT_STR,  S(key_passphrase_file), 0, 0 },
	{ "heartbeat_ms",	CT_MS,	  N(heartbeat_ms),
	    CONFIG_HEARTBEAT_MS_MIN, CONFIG_HEARTBEAT_MS_MAX },
	{ "plan_ttl_h",		CT_INT,	  N(plan_ttl_h),
	    CONFIG_PLAN_TTL_H_MIN, CONFIG_PLAN_TTL_H_MAX },
	{ "idle_timeout_ms",	CT_MS,	  N(idle_ms),		1000, 86400000 },
	{ "stop_grace_ms",	CT_MS,	  N(grace_ms),		0, 600000 },
	{ "ack_interval_ms",	CT_MS,	  N(ack_interval_ms),	0, 60000 },
	{ "queue_bytes",	CT_BYTES, N(queue_bytes),	65536, 1LL << 32 },
	{ "verbose",		CT_BOOL,  N(verbose),		0, 1 },
	{ "exit_idle_ms",	CT_MS,	  N(exit_idle_ms),	0, 86400000 },
	{ "ha",			CT_BOOL,  N(ha),		0, 1 },
	{ "ha_discovery_prefix", CT_STR,  S(ha_discovery_prefix), 0, 0 },
	{ "ha_live_interval_ms", CT_MS,	  N(ha_live_interval_ms),
	    HA_LIVE_INTERVAL_MS_MIN, HA_LIVE_INTERVAL_MS_MAX },
};
#undef S
#undef N

void
config_defaults(struct hub_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->host, sizeof(c->host), "127.0.0.1");
	c->port = 1883;
	snprintf(c->prefix, sizeof(c->prefix), "%s", STRIDE_PREFIX_DEFAULT);
	snprintf(c->client_id, sizeof(c->client_id), "stridehub-hub");
	snprintf(c->db_path, sizeof(c->db_path), "stridehub.db");
	c->idle_ms = 300000;
	c->grace_ms = 10000;
	c->ack_interval_ms = 1000;
	c->heartbeat_ms = 60000;
	c->plan_ttl_h = 168;
	c->queue_bytes = 32u << 20;
	c->ha = 1;
	snprintf(c->ha_discovery_prefix, sizeof(c->ha_discovery_prefix), "%s",
	    HA_DISCOVERY_PREFIX_DEFAULT);
	c->ha_live_interval_ms = HA_LIVE_INTERVAL_MS_DEFAULT;
}

void
config_ha_params(const struct hub_config *c, struct ha_params *p)
{
	memset(p, 0, sizeof(*p));
	p->prefix = c->prefix;
	p->discovery_prefix = c->ha_discovery_prefix;
	p->sw_version = NULL;
	p->live_interval_ms = c->ha_live_interval_ms;
}

int
config_set(struct hub_config *c, const char *key, const char *value,
    const char **why)
{
	const struct config_key	*k = NULL;
	char			*end, *field;
	long long		 v;
	size_t			 i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(config_keys[i].name, key) == 0)
			k = &config_keys[i];
	if (k == NULL) {
		*why = "unknown key";
		return -1;
	}
	field = (char *)c + k->off;
	if (k->type == CT_STR) {
		if (strlen(value) >= k->size) {
			*why = "value too long";
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	if (k->type == CT_BOOL) {
		if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0 ||
		    strcmp(value, "true") == 0)
			v = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0 ||
		    strcmp(value, "false") == 0)
			v = 0;
		else {
			*why = "expected yes or no";
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		*why = "expected a whole number";
		return -1;
	}
	if (v < k->min || v > k->max) {
		*why = "out of range";
		return -1;
	}
	switch (k->type) {
	case CT_INT:
		*(int *)field = (int)v;
		break;
	case CT_MS:
		*(int64_t *)field = v;
		break;
	case CT_BYTES:
		*(size_t *)field = (size_t)v;
		break;
	default:
		break;
	}
	return 0;
}

int
config_key_dir(char *buf, size_t len, const char *db_path,
    const char *key_dir)
{
	const char	*slash;
	int		 n;

	if (key_dir != NULL && *key_dir != '\0')
		n = snprintf(buf, len, "%s", key_dir);
	else if (db_path == NULL || (slash = strrchr(db_path, '/')) == NULL)
		n = snprintf(buf, len, "keys");
	else if (slash == db_path)	/* "/x.db": the root directory */
		n = snprintf(buf, len, "/keys");
	else
		n = snprintf(buf, len, "%.*s/keys", (int)(slash - db_path),
		    db_path);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

static char *
config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
config_load(struct hub_config *c, const char *path)
{
	FILE		*f;
	char		 line[1024], *key, *value, *eq;
	const char	*why;
	int		 lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_warnx("%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		key = config_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			log_warnx("%s:%d: expected key = value", path, lineno);
			rc = -1;
			continue;
		}
		*eq = '\0';
		key = config_trim(key);
		value = config_trim(eq + 1);
		if (config_set(c, key, value, &why) == -1) {
			log_warnx("%s:%d: %s: %s", path, lineno, key, why);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

int
config_check(const struct hub_config *c)
{
	size_t i;

	if (c->host[0] == '\0') {
		log_warnx("config: host is empty");
		return -1;
	}
	if (!topic_prefix_valid(c->prefix)) {
		log_warnx("config: prefix \"%s\" is not a valid topic prefix",
		    c->prefix);
		return -1;
	}
	if (c->client_id[0] == '\0') {
		log_warnx("config: client_id is empty");
		return -1;
	}
	for (i = 0; c->shared_group[i] != '\0'; i++) {
		if (strchr("/+#", c->shared_group[i]) != NULL) {
			log_warnx("config: shared_group may not contain / + #");
			return -1;
		}
	}
	if (c->db_path[0] == '\0') {
		log_warnx("config: db is empty");
		return -1;
	}
	/* The ranges again: the struct may have been filled without
	 * config_set (tests, embedding). */
	if (c->heartbeat_ms < CONFIG_HEARTBEAT_MS_MIN ||
	    c->heartbeat_ms > CONFIG_HEARTBEAT_MS_MAX) {
		log_warnx("config: heartbeat_ms must be %d..%d",
		    CONFIG_HEARTBEAT_MS_MIN, CONFIG_HEARTBEAT_MS_MAX);
		return -1;
	}
	if (c->plan_ttl_h < CONFIG_PLAN_TTL_H_MIN ||
	    c->plan_ttl_h > CONFIG_PLAN_TTL_H_MAX) {
		log_warnx("config: plan_ttl_h must be %d..%d",
		    CONFIG_PLAN_TTL_H_MIN, CONFIG_PLAN_TTL_H_MAX);
		return -1;
	}
	if (c->ha) {
		struct ha_params	 hp;
		const char		*why;

		config_ha_params(c, &hp);
		if (ha_params_check(&hp, &why) == -1) {
			log_warnx("config: Home Assistant: %s", why);
			return -1;
		}
	}
	return 0;
}
