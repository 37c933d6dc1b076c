/*
 * main.c - stridehub: the daemon, or an admin command.
 *
 * Only wiring: read the config, then either run a command (cli.c) or start
 * the store, the hub's identity (hubkey.c: no key, no hub), the queue, the
 * worker (hub.c) and the MQTT edge (mqtt.c), and on SIGINT/SIGTERM stop
 * them in the order that loses nothing: stop taking messages from the
 * broker, drain the queue, commit, close the store.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "hub.h"
#include "hubkey.h"
#include "mqtt.h"
#include "queue.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"

#define MAIN_PASS_MAX	1024	/* bytes of a passphrase file read */

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: stridehub [-dn] [-c file] [-f db] [-H host] [-p port] "
	    "[-P prefix]\n"
	    "                 [-o key=value]... [command [args...]]\n"
	    "With no command, run the hub. Commands: runners, devices, "
	    "sessions,\n"
	    "session, export (stridehub help lists them). docs/ and README.md "
	    "describe the\nsettings.\n");
	exit(2);
}

static int
publish(void *arg, const char *topic, const void *payload, size_t len,
    int qos, int retained)
{
	return mqtt_publish(arg, topic, payload, len, qos, retained);
}

/* The hub's identity from key_dir, or exit with the reason. */
static struct hubkey *
open_keys(const struct hub_config *c, struct store *st)
{
	struct hubkey	*hk;
	char		 dir[CONFIG_PATH_MAX], err[CONFIG_PATH_MAX + 256];
	char		 pass[MAIN_PASS_MAX];
	const char	*why = "cannot read";
	int		 have_pass = c->key_passphrase_file[0] != '\0';

	if (config_key_dir(dir, sizeof(dir), c->db_path, c->key_dir) == -1)
		fatalx("key_dir: path too long");
	if (have_pass && keyfile_read_passphrase(pass, sizeof(pass),
	    c->key_passphrase_file, &why) == -1)
		fatalx("key_passphrase_file %s: %s", c->key_passphrase_file,
		    why);
	hk = hubkey_open(dir, have_pass ? pass : NULL, c->prefix,
	    c->heartbeat_ms, st, err, sizeof(err));
	crypto_wipe(pass, sizeof(pass));
	if (hk == NULL)
		fatalx("%s", err);
	return hk;
}

static int
run_daemon(const struct hub_config *c)
{
	struct sigaction	 sa;
	struct store		*st;
	struct queue		*q;
	struct hub		*h;
	struct hubkey		*hk;
	struct mqtt		*m;
	char			 err[256];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((st = store_open(c->db_path, 0, err, sizeof(err))) == NULL)
		fatalx("store %s: %s", c->db_path, err);
	/* Before the broker: a hub without its key must not connect. */
	hk = open_keys(c, st);
	if ((q = queue_new(c->queue_bytes)) == NULL)
		fatalx("out of memory");
	/* Messages may arrive before hub_new returns: they wait in q. */
	if ((m = mqtt_open(c, q)) == NULL)
		fatalx("mqtt: could not start the client");
	if ((h = hub_new(c, st, publish, m)) == NULL ||
	    hub_set_keys(h, hk) == -1)
		fatalx("could not load state from %s", c->db_path);
	log_info("stridehub %s: broker %s:%d, prefix %s, store %s",
	    STRIDE_VERSION, c->host, c->port, c->prefix, c->db_path);
	if (c->ha)
		log_info("Home Assistant: discovery under %s/, live values "
		    "every %lld ms (ha = no turns it off)",
		    c->ha_discovery_prefix, (long long)c->ha_live_interval_ms);

	hub_run(h, q, &quit);
	log_info("stopping: draining what the broker already handed over");
	/*
	 * Paho's thread may be waiting for room in a full queue, and the
	 * disconnect waits for that thread: lift the bound first, so every
	 * message Paho has taken (and acknowledged) lands in the queue, then
	 * disconnect, then close. Closing before disconnecting would make Paho
	 * hold messages back mid-disconnect, and the broker then loses track
	 * of the session's backlog.
	 */
	queue_unbound(q);
	mqtt_close(m, 2000);
	queue_close(q);
	/* Acks for the rest go out after the restart: devices re-send. */
	hub_set_publish(h, NULL, NULL);
	hub_drain(h, q);
	hub_free(h);
	hubkey_free(hk);	/* after the hub, which borrows it */
	queue_free(q);
	store_close(st);
	log_info("stopped");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct hub_config	 c;
	const char		*why, *conf = NULL;
	char			*eq;
	int			 ch, check = 0, verbose = 0;

	log_init("stridehub", 0);
	config_defaults(&c);
	/* The file first, then flags on top of it, whatever their order. */
	for (ch = 1; ch < argc - 1; ch++)
		if (strcmp(argv[ch], "-c") == 0)
			conf = argv[ch + 1];
	if (conf != NULL && config_load(&c, conf) == -1)
		return 1;

	while ((ch = getopt(argc, argv, "+c:df:H:np:P:o:")) != -1) {
		why = NULL;
		switch (ch) {
		case 'c':
			break;
		case 'd':
			verbose = 1;
			break;
		case 'f':
			(void)config_set(&c, "db", optarg, &why);
			break;
		case 'H':
			(void)config_set(&c, "host", optarg, &why);
			break;
		case 'n':
			check = 1;
			break;
		case 'p':
			(void)config_set(&c, "port", optarg, &why);
			break;
		case 'P':
			(void)config_set(&c, "prefix", optarg, &why);
			break;
		case 'o':
			if ((eq = strchr(optarg, '=')) == NULL)
				usage();
			*eq = '\0';
			if (config_set(&c, optarg, eq + 1, &why) == -1)
				fatalx("-o %s: %s", optarg, why);
			break;
		default:
			usage();
		}
		if (why != NULL)
			fatalx("-%c %s: %s", ch, optarg, why);
	}
	argc -= optind;
	argv += optind;
	if (verbose)
		c.verbose = 1;
	log_init("stridehub", c.verbose);
	if (config_check(&c) == -1)
		return 1;
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (argc > 0)
		return cli_run(&(struct cli_opts){ c.db_path, c.key_dir, c.prefix },
		    argc, argv);
	return run_daemon(&c);
}
