/*
 * config.h - the hub's settings: one struct, defaults in one place
 * (config_defaults), read from a file of `key = value` lines and then
 * overridden by command-line flags. `stridehub -n` checks and exits.
 */
#ifndef HUB_CONFIG_H
#define HUB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "stride/protocol.h"

#define CONFIG_PATH_MAX	512
#define CONFIG_HOST_MAX	255

#define CONFIG_HEARTBEAT_MS_MIN	1000
#define CONFIG_HEARTBEAT_MS_MAX	300000	/* devices warn after 10 min without one */
#define CONFIG_PLAN_TTL_H_MIN	1
#define CONFIG_PLAN_TTL_H_MAX	8760	/* a year */

struct hub_config {
	char	host[CONFIG_HOST_MAX + 1];	/* broker address: 127.0.0.1 */
	int	port;				/* 1883 */
	char	prefix[STRIDE_PREFIX_MAX + 1];	/* topic prefix: stridehub */
	char	client_id[65];			/* MQTT client id: stridehub-hub */
	char	shared_group[33];		/* "" or $share group for several hubs */
	char	username[65];			/* "" for none */
	char	password_file[CONFIG_PATH_MAX];	/* "" for none; first line */
	char	db_path[CONFIG_PATH_MAX];	/* SQLite file: stridehub.db */
	char	key_dir[CONFIG_PATH_MAX];	/* "": the db's directory + "/keys"
						   (config_key_dir) */
	/* Issue 4: the hub identity's passphrase, the first line of a file
	 * only its owner may read ("" for an unprotected hub.key); the
	 * signed heartbeat's period; how long a sealed plan is valid. */
	char	key_passphrase_file[CONFIG_PATH_MAX];	/* "" */
	int64_t	heartbeat_ms;			/* 60000 (1000..3600000) */
	int	plan_ttl_h;			/* 168 = 7 days (1..8760) */
	int64_t	idle_ms;			/* session idle timeout: 300000 */
	int64_t	grace_ms;			/* late data after stop: 10000 */
	int64_t	ack_interval_ms;		/* at most one ack per device per: 1000 */
	size_t	queue_bytes;			/* Paho -> worker bound: 32 MiB */
	int	verbose;
	/* Home Assistant (docs/homeassistant.md): discovery, states, the
	 * report input. On by default: pointed at a broker where HA listens,
	 * runners appear in HA with nothing typed. */
	int	ha;				/* yes */
	char	ha_discovery_prefix[STRIDE_PREFIX_MAX + 1]; /* homeassistant */
	int64_t	ha_live_interval_ms;		/* live values per runner: 5000 */
	/* Benchmarks only: exit once idle this long after the first message. */
	int64_t	exit_idle_ms;			/* 0: never */
};

void	config_defaults(struct hub_config *);

/* Read path into c (keys not in the file keep their values). Returns 0, or
 * -1 after logging "path:line: reason". */
int	config_load(struct hub_config *c, const char *path);

/* Set one key from text, as the file and the flags do. Returns 0, or -1 with
 * *why set to a static reason. */
int	config_set(struct hub_config *c, const char *key, const char *value,
	    const char **why);

/*
 * The directory of the hub's key files: key_dir if set (non-empty), else
 * the directory of db_path + "/keys" ("keys" for a db path without a
 * '/'). Derived when asked, so `-f other.db` moves the default with it.
 * Returns 0, or -1 if it does not fit in len (buf is then "").
 */
int	config_key_dir(char *buf, size_t len, const char *db_path,
	    const char *key_dir);

/* Check the whole config for consistency. Returns 0 or -1 after logging. */
int	config_check(const struct hub_config *c);

/* The Home Assistant parameters of c (strings borrowed from c). */
struct ha_params;
void	config_ha_params(const struct hub_config *c, struct ha_params *p);

#endif
