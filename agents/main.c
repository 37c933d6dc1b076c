/*
 * main.c - stride-agent: a foot pod or watch that streams a run to the hub.
 *
 * Wiring only: turn the command line into a struct agent_config (every
 * value checked here, with its range in the message) and hand it to
 * agent_main(). Options may come before or after the command. Exit status:
 * 0 all acknowledged (keygen, enrol: file written), 1 failure, 2 usage
 * error. --state-dir is required by every command: the device's key, its
 * trust in the hub, its plan and its epoch live there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "stride/log.h"
#include "stride/protocol.h"
#include "stride/topic.h"

#define CMD_RUN		(1 << AGENT_CMD_RUN)
#define CMD_REPORT	(1 << AGENT_CMD_REPORT)
#define CMD_EVENT	(1 << AGENT_CMD_EVENT)
#define CMD_KEYGEN	(1 << AGENT_CMD_KEYGEN)
#define CMD_ENROL	(1 << AGENT_CMD_ENROL)
#define CMD_SEND	(CMD_RUN | CMD_REPORT | CMD_EVENT)
#define CMD_ALL		(CMD_SEND | CMD_KEYGEN | CMD_ENROL)

enum opt {
	OPT_RUNNER, OPT_DEVICE, OPT_ROLE, OPT_HOST, OPT_PORT, OPT_PREFIX,
	OPT_STATE_DIR, OPT_BATCH, OPT_SPEED, OPT_ACK_TIMEOUT, OPT_QUIET,
	OPT_VERBOSE, OPT_SYNTHETIC, OPT_CSV, OPT_DURATION, OPT_PACE,
	OPT_CADENCE, OPT_HILLS, OPT_SEED, OPT_START_MS, OPT_WHEN, OPT_LEVEL,
	OPT_SCORE, OPT_FILE, OPT_PASSFILE, OPT_REPLACE, OPT_COUNT
};

static const struct {
	const char	*name;
	int		 arg;		/* takes a value */
	int		 cmds;		/* commands it applies to */
} opts[OPT_COUNT] = {
	/* keygen and enrol need only --device: --runner and --role are
	 * checked if given (a script may pass the same set everywhere). */
	[OPT_RUNNER] = { "--runner", 1, CMD_ALL },
	[OPT_DEVICE] = { "--device", 1, CMD_ALL },
	[OPT_ROLE] = { "--role", 1, CMD_ALL },
	[OPT_HOST] = { "--host", 1, CMD_SEND },
	[OPT_PORT] = { "--port", 1, CMD_SEND },
	[OPT_PREFIX] = { "--prefix", 1, CMD_SEND },
	[OPT_STATE_DIR] = { "--state-dir", 1, CMD_ALL },
	[OPT_BATCH] = { "--batch", 1, CMD_RUN },
	[OPT_SPEED] = { "--speed", 1, CMD_RUN },
	[OPT_ACK_TIMEOUT] = { "--ack-timeout-s", 1, CMD_SEND },
	[OPT_QUIET] = { "--quiet", 0, CMD_ALL },
	[OPT_VERBOSE] = { "--verbose", 0, CMD_ALL },
	[OPT_SYNTHETIC] = { "--synthetic", 0, CMD_RUN },
	[OPT_CSV] = { "--csv", 1, CMD_RUN },
	[OPT_DURATION] = { "--duration-s", 1, CMD_RUN },
	[OPT_PACE] = { "--pace-s-per-km", 1, CMD_RUN },
	[OPT_CADENCE] = { "--cadence", 1, CMD_RUN },
	[OPT_HILLS] = { "--hills", 1, CMD_RUN },
	[OPT_SEED] = { "--seed", 1, CMD_RUN },
	[OPT_START_MS] = { "--start-ms", 1, CMD_RUN },
	[OPT_WHEN] = { "--when", 1, CMD_REPORT },
	[OPT_LEVEL] = { "--level", 1, CMD_REPORT },
	[OPT_SCORE] = { "--score", 1, CMD_REPORT },
	[OPT_FILE] = { "--file", 1, CMD_RUN },
	[OPT_PASSFILE] = { "--passphrase-file", 1, CMD_SEND | CMD_KEYGEN },
	[OPT_REPLACE] = { "--replace", 0, CMD_KEYGEN | CMD_ENROL },
};

static const char usage_text[] =
    "usage: stride-agent --state-dir DIR --device D keygen [--replace]\n"
    "           [--passphrase-file F]\n"
    "       stride-agent --state-dir DIR --device D enrol stride-hub-pk1:...\n"
    "           [--replace]\n"
    "       stride-agent --state-dir DIR --runner R --device D\n"
    "           --role footpod|watch [--passphrase-file F]\n"
    "           [--host 127.0.0.1] [--port 1883] [--prefix stridehub]\n"
    "           [--ack-timeout-s 10] [--quiet] [--verbose] command ...\n"
    "  run --synthetic [--duration-s 1800] [--pace-s-per-km 330]\n"
    "      [--cadence 170] [--hills 2] [--seed 1] [--start-ms T]\n"
    "      [--batch 5] [--speed 1]\n"
    "  run --csv FILE [--start-ms T] [--batch 5] [--speed 1]\n"
    "  run --file FIT|TCX|GPX [--start-ms T] [--batch 5] [--speed 1]\n"
    "  report --when during|next_day\n"
    "      --level better|usual|aware|much_aware|painful [--score 0-10]\n"
    "  event start|stop|lap\n";

static void __attribute__((noreturn)) LOG_PRINTF(1, 2)
usage(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "stride-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(2);
}

/* A whole decimal integer in [lo, hi], or usage error. */
static long long
parse_int(const char *opt, const char *s, long long lo, long long hi)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno == ERANGE || v < lo ||
	    v > hi)
		usage("%s %s: want an integer in %lld..%lld", opt, s, lo, hi);
	return v;
}

/* A finite number in [lo, hi], or usage error. */
static double
parse_double(const char *opt, const char *s, double lo, double hi)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || errno == ERANGE ||
	    !(v >= lo && v <= hi))
		usage("%s %s: want a number in %g..%g", opt, s, lo, hi);
	return v;
}

static const char *
parse_id(const char *opt, const char *s)
{
	if (!stride_id_valid(s, strlen(s)))
		usage("%s: want 1..32 of [a-z0-9_-], starting [a-z0-9]", opt);
	return s;
}

int
main(int argc, char *argv[])
{
	struct agent_config	 c = { 0 };
	struct gen_params	 gp = GEN_PARAMS_DEFAULT;
	const char		*val[OPT_COUNT] = { 0 }, *pos[3] = { 0 };
	int			 given[OPT_COUNT] = { 0 }, npos = 0, i, k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strncmp(argv[i], "--", 2) != 0) {
			if (npos == 3)
				usage("unexpected argument %s", argv[i]);
			pos[npos++] = argv[i];
			continue;
		}
		for (k = 0; k < OPT_COUNT; k++)
			if (strcmp(argv[i], opts[k].name) == 0)
				break;
		if (k == OPT_COUNT)
			usage("unknown option %s", argv[i]);
		if (given[k])
			usage("%s given twice", argv[i]);
		given[k] = 1;
		if (opts[k].arg) {
			if (i + 1 >= argc)
				usage("%s needs a value", argv[i]);
			val[k] = argv[++i];
		}
	}

	if (npos == 0)
		usage("missing command");
	if (strcmp(pos[0], "run") == 0)
		c.cmd = AGENT_CMD_RUN;
	else if (strcmp(pos[0], "report") == 0)
		c.cmd = AGENT_CMD_REPORT;
	else if (strcmp(pos[0], "event") == 0)
		c.cmd = AGENT_CMD_EVENT;
	else if (strcmp(pos[0], "keygen") == 0)
		c.cmd = AGENT_CMD_KEYGEN;
	else if (strcmp(pos[0], "enrol") == 0)
		c.cmd = AGENT_CMD_ENROL;
	else
		usage("unknown command %s", pos[0]);
	if (npos > (c.cmd == AGENT_CMD_EVENT || c.cmd == AGENT_CMD_ENROL ?
	    2 : 1))
		usage("unexpected argument %s", pos[npos - 1]);
	for (k = 0; k < OPT_COUNT; k++)
		if (given[k] && !(opts[k].cmds & (1 << c.cmd)))
			usage("%s does not apply to this command",
			    opts[k].name);

	/* Common. */
	if (!given[OPT_STATE_DIR] || val[OPT_STATE_DIR][0] == '\0')
		usage("--state-dir DIR is required: the device's key, trust, "
		    "plan and epoch live there");
	c.state_dir = val[OPT_STATE_DIR];
	if (!given[OPT_DEVICE])
		usage("--device is required");
	c.device = parse_id("--device", val[OPT_DEVICE]);
	if (given[OPT_RUNNER])
		c.runner = parse_id("--runner", val[OPT_RUNNER]);
	if (given[OPT_ROLE]) {
		c.role = stride_role_parse(val[OPT_ROLE]);
		if (c.role != STRIDE_ROLE_FOOTPOD &&
		    c.role != STRIDE_ROLE_WATCH)
			usage("--role: want footpod or watch, not %s",
			    val[OPT_ROLE]);
	}
	c.passphrase_file = val[OPT_PASSFILE];
	c.replace = given[OPT_REPLACE];
	c.quiet = given[OPT_QUIET];
	log_init("stride-agent", given[OPT_VERBOSE]);
	if (c.cmd == AGENT_CMD_KEYGEN)
		return agent_main(&c);
	if (c.cmd == AGENT_CMD_ENROL) {
		if (npos < 2)
			usage("enrol: want the hub's key, stride-hub-pk1:... "
			    "(from `stridehub device add`)");
		c.hub_key = pos[1];
		return agent_main(&c);
	}
	if (!given[OPT_RUNNER] || !given[OPT_ROLE])
		usage("--runner, --device and --role are required");
	c.host = given[OPT_HOST] ? val[OPT_HOST] : "127.0.0.1";
	if (c.host[0] == '\0' || strlen(c.host) > 253)
		usage("--host: want a host name or address");
	c.port = given[OPT_PORT] ? (int)parse_int("--port", val[OPT_PORT],
	    1, 65535) : 1883;
	c.prefix = given[OPT_PREFIX] ? val[OPT_PREFIX] : STRIDE_PREFIX_DEFAULT;
	if (!topic_prefix_valid(c.prefix))
		usage("--prefix %s: not a usable topic prefix", c.prefix);
	c.ack_timeout_s = given[OPT_ACK_TIMEOUT] ? (int)parse_int(
	    "--ack-timeout-s", val[OPT_ACK_TIMEOUT], 0, 3600) :
	    AGENT_ACK_TIMEOUT_S;

	switch (c.cmd) {
	case AGENT_CMD_RUN:
		c.batch = given[OPT_BATCH] ? (unsigned)parse_int("--batch",
		    val[OPT_BATCH], 1, STRIDE_SAMPLES_MAX) :
		    AGENT_BATCH_DEFAULT;
		c.speed = given[OPT_SPEED] ? parse_double("--speed",
		    val[OPT_SPEED], 0.01, 1e6) : 1.0;
		if (given[OPT_START_MS])
			c.start_ms = parse_int("--start-ms", val[OPT_START_MS],
			    STRIDE_T_MIN_MS, STRIDE_T_MAX_MS);
		if (given[OPT_SYNTHETIC] + given[OPT_CSV] +
		    given[OPT_FILE] != 1)
			usage("run: give one of --synthetic, --csv FILE and "
			    "--file FILE");
		if (given[OPT_CSV] || given[OPT_FILE]) {
			for (k = OPT_DURATION; k <= OPT_SEED; k++)
				if (given[k])
					usage("%s is for --synthetic",
					    opts[k].name);
			if (given[OPT_FILE]) {
				c.src = AGENT_SRC_FILE;
				c.file_path = val[OPT_FILE];
			} else {
				c.src = AGENT_SRC_CSV;
				c.csv_path = val[OPT_CSV];
			}
			break;
		}
		c.src = AGENT_SRC_SYNTHETIC;
		if (given[OPT_DURATION])
			gp.duration_s = (uint32_t)parse_int("--duration-s",
			    val[OPT_DURATION], 1, GEN_DURATION_MAX_S);
		if (given[OPT_PACE])
			gp.pace_s_per_km = parse_double("--pace-s-per-km",
			    val[OPT_PACE], GEN_PACE_MIN_S_PER_KM,
			    GEN_PACE_MAX_S_PER_KM);
		if (given[OPT_CADENCE])
			gp.cadence_spm = parse_double("--cadence",
			    val[OPT_CADENCE], GEN_CAD_MIN_SPM, GEN_CAD_MAX_SPM);
		if (given[OPT_HILLS])
			gp.hills = (uint32_t)parse_int("--hills",
			    val[OPT_HILLS], 0, GEN_HILLS_MAX);
		if (given[OPT_SEED])
			gp.seed = (uint64_t)parse_int("--seed", val[OPT_SEED],
			    0, INT64_MAX);
		gp.start_ms = c.start_ms;
		c.gen = gp;
		break;
	case AGENT_CMD_REPORT:
		if (!given[OPT_WHEN] || !given[OPT_LEVEL])
			usage("report: --when and --level are required");
		if ((c.when = stride_when_parse(val[OPT_WHEN])) ==
		    STRIDE_WHEN_NONE)
			usage("--when: want during or next_day, not %s",
			    val[OPT_WHEN]);
		if ((c.level = stride_level_parse(val[OPT_LEVEL])) ==
		    STRIDE_LEVEL_NONE)
			usage("--level: want better, usual, aware, much_aware "
			    "or painful, not %s", val[OPT_LEVEL]);
		c.score = given[OPT_SCORE] ? (int)parse_int("--score",
		    val[OPT_SCORE], 0, STRIDE_SCORE_MAX) : -1;
		break;
	case AGENT_CMD_KEYGEN:
	case AGENT_CMD_ENROL:
		break;		/* returned above */
	case AGENT_CMD_EVENT:
		if (npos < 2)
			usage("event: want start, stop or lap");
		if ((c.event = stride_event_parse(pos[1])) == STRIDE_EVENT_NONE)
			usage("event: want start, stop or lap, not %s", pos[1]);
		break;
	}
	return agent_main(&c);
}
