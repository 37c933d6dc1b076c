/*
 * test_config.c - defaults, the file format, every kind of bad line, checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "stride/log.h"

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

int
main(void)
{
	struct hub_config	 c;
	const char		*why;
	char			 path[] = "/tmp/stride-config-XXXXXX";
	int			 fd;

	log_init("test_config", 0);
	config_defaults(&c);
	CHECK(strcmp(c.host, "127.0.0.1") == 0 && c.port == 1883);
	CHECK(strcmp(c.prefix, "stridehub") == 0);
	CHECK(c.idle_ms == 300000 && c.grace_ms == 10000);
	CHECK(config_check(&c) == 0);

	CHECK(config_set(&c, "port", "18830", &why) == 0 && c.port == 18830);
	CHECK(config_set(&c, "port", "0", &why) == -1);
	CHECK(config_set(&c, "port", "65536", &why) == -1);
	CHECK(config_set(&c, "port", "12x", &why) == -1);
	CHECK(config_set(&c, "nope", "1", &why) == -1 &&
	    strcmp(why, "unknown key") == 0);
	CHECK(config_set(&c, "verbose", "maybe", &why) == -1);
	CHECK(config_set(&c, "verbose", "yes", &why) == 0 && c.verbose == 1);
	CHECK(config_set(&c, "queue_bytes", "1048576", &why) == 0 &&
	    c.queue_bytes == 1048576);
	CHECK(config_set(&c, "client_id",
	    "0123456789012345678901234567890123456789012345678901234567890123456789",
	    &why) == -1);

	fd = mkstemp(path);
	CHECK(fd != -1);
	close(fd);
	config_defaults(&c);
	CHECK(write_file(path, "# a comment\n\n  host = broker.local  \n"
	    "port=1884\nprefix = club/stride\nidle_timeout_ms = 60000\n") == 0);
	CHECK(config_load(&c, path) == 0);
	CHECK(strcmp(c.host, "broker.local") == 0 && c.port == 1884);
	CHECK(strcmp(c.prefix, "club/stride") == 0 && c.idle_ms == 60000);
	CHECK(config_check(&c) == 0);

	/* Each bad line is reported; the good ones still apply. */
	config_defaults(&c);
	CHECK(write_file(path, "port = 1885\nno equals sign\nfoo = 1\n") == 0);
	CHECK(config_load(&c, path) == -1);
	CHECK(c.port == 1885);

	/* Prefixes that would break the topic tree are refused. */
	config_defaults(&c);
	CHECK(config_set(&c, "prefix", "club/#", &why) == 0);
	CHECK(config_check(&c) == -1);
	CHECK(config_set(&c, "prefix", "$SYS", &why) == 0);
	CHECK(config_check(&c) == -1);
	config_defaults(&c);
	CHECK(config_set(&c, "shared_group", "a/b", &why) == 0);
	CHECK(config_check(&c) == -1);

	/* Issue 4: the key passphrase file, the heartbeat, the plan TTL. */
	config_defaults(&c);
	CHECK(c.key_passphrase_file[0] == '\0');
	CHECK(c.heartbeat_ms == 60000 && c.plan_ttl_h == 168);
	CHECK(config_set(&c, "key_passphrase_file", "/etc/stride/pass",
	    &why) == 0 && strcmp(c.key_passphrase_file,
	    "/etc/stride/pass") == 0);
	{
		static const struct {
			const char	*key, *value;
			int		 ok;
		} t[] = {
			{ "heartbeat_ms", "999", 0 },
			{ "heartbeat_ms", "1000", 1 },
			{ "heartbeat_ms", "300000", 1 },
			{ "heartbeat_ms", "300001", 0 },
			{ "heartbeat_ms", "1e3", 0 },
			{ "plan_ttl_h", "0", 0 },
			{ "plan_ttl_h", "1", 1 },
			{ "plan_ttl_h", "8760", 1 },
			{ "plan_ttl_h", "8761", 0 },
			{ "plan_ttl_h", "-1", 0 },
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			config_defaults(&c);
			CHECK((config_set(&c, t[i].key, t[i].value, &why) ==
			    0) == t[i].ok);
			CHECK(config_check(&c) == 0);
		}
	}
	config_defaults(&c);
	CHECK(write_file(path, "heartbeat_ms = 5000\nplan_ttl_h = 24\n"
	    "key_passphrase_file = /run/pass\n") == 0);
	CHECK(config_load(&c, path) == 0);
	CHECK(c.heartbeat_ms == 5000 && c.plan_ttl_h == 24);
	CHECK(strcmp(c.key_passphrase_file, "/run/pass") == 0);
	/* A struct filled without config_set is checked all the same. */
	config_defaults(&c);
	c.heartbeat_ms = 0;
	CHECK(config_check(&c) == -1);
	config_defaults(&c);
	c.plan_ttl_h = 8761;
	CHECK(config_check(&c) == -1);
	config_defaults(&c);
	c.plan_ttl_h = 0;
	CHECK(config_check(&c) == -1);

	CHECK(config_load(&c, "/nonexistent/stridehub.conf") == -1);
	unlink(path);
	return check_done("test_config");
}
