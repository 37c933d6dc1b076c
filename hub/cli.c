/*
 * cli.c - see cli.h: the admin commands of `stridehub <command>`.
 *
 * Reads through store.c only (no SQL here) and prints. A command is a row
 * of cli_cmds: cli_main matches its words, checks the argument count,
 * opens the store as the row asks (read-only unless CLI_WRITE, not at all
 * for CLI_NOSTORE), runs it and closes the store. Adding a command is
 * adding a function and a row; nothing else changes.
 *
 * The output formats are a contract (cli.h): tests and the quickstart
 * parse them. Everything printed comes from the store, which hands out
 * only valid ids ([a-z0-9_-]), so no value contains a space, a comma or a
 * quote; JSON strings are escaped anyway.
 *
 * Never leaves a failed write to stdout unnoticed: stdout is flushed and
 * checked before the exit status is decided. Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"
#include "stride/plan.h"
#include "stride/protocol.h"
#include "cli.h"
#include "config.h"
#include "fuse.h"
#include "hubkey.h"
#include "import.h"
#include "rules.h"
#include "store.h"

#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2

#define CLI_BUF		80	/* room for any time, duration or pace we print */
#define CLI_PATH_MAX	(CONFIG_PATH_MAX + 16)	/* a key dir and a file name */
#define CLI_PASS_MAX	1024	/* bytes of a passphrase file read */
#define CLI_HUB_KEY_FILE HUBKEY_FILE	/* in the key directory */
#define CLI_ENROL_FILE_MAX (64 * 1024 * 1024)	/* bytes of a --from file */
#define CLI_ENROL_LINE_MAX 256	/* bytes of one of its lines */

enum {
	CLI_NOSTORE = 1 << 0,	/* runs without opening the store */
	CLI_WRITE = 1 << 1,	/* opens the store read-write */
	CLI_CREATE = 1 << 2	/* and may create it: enrolment comes
				   before the hub's first start */
};

struct cli_cmd;

/* What a command gets. */
struct cli {
	const struct cli_cmd	*cmd;
	struct store		*st;	/* NULL for CLI_NOSTORE */
	FILE			*out;
	const char		*prefix;	/* topic prefix */
	char			 key_dir[CONFIG_PATH_MAX];
};

struct cli_cmd {
	const char	*name;		/* one or more words */
	int		 min, max;	/* argument counts after the name */
	const char	*usage;		/* the arguments, for usage lines */
	const char	*help;
	int		 flags;		/* CLI_* */
	int		(*fn)(struct cli *, int, char **);
};

static int	cli_help(struct cli *, int, char **);
static int	cli_runners(struct cli *, int, char **);
static int	cli_devices(struct cli *, int, char **);
static int	cli_sessions(struct cli *, int, char **);
static int	cli_session(struct cli *, int, char **);
static int	cli_export(struct cli *, int, char **);
static int	cli_report(struct cli *, int, char **);
static int	cli_plan(struct cli *, int, char **);
static int	cli_plans(struct cli *, int, char **);
static int	cli_profile(struct cli *, int, char **);
static int	cli_import(struct cli *, int, char **);
static int	cli_key_init(struct cli *, int, char **);
static int	cli_key_show(struct cli *, int, char **);
static int	cli_key_rotate(struct cli *, int, char **);
static int	cli_device_add(struct cli *, int, char **);
static int	cli_device_revoke(struct cli *, int, char **);
static int	cli_device_keys(struct cli *, int, char **);
static int	cli_runner_delete(struct cli *, int, char **);

static const struct cli_cmd cli_cmds[] = {
	{ "runners", 0, 0, "", "list the runners",
	    0, cli_runners },
	{ "devices", 0, 1, "[runner]", "list devices and their last state",
	    0, cli_devices },
	{ "sessions", 0, 1, "[runner]", "list sessions, oldest first",
	    0, cli_sessions },
	{ "session", 1, 1, "<id>", "one session's summary",
	    0, cli_session },
	{ "export", 2, 2, "<id> --csv|--json", "one session's samples",
	    0, cli_export },
	{ "report", 2, 5, "<runner> <level> [--score N] [--during]",
	    "a symptom report: better|usual|aware|much_aware|painful",
	    CLI_WRITE, cli_report },
	{ "plan", 1, 2, "<runner> [--json]", "the current plan and why",
	    0, cli_plan },
	{ "plans", 1, 1, "<runner>", "every version of the plan",
	    0, cli_plans },
	{ "profile", 1, 9, "<runner> [--height-cm N] [--cadence N] "
	    "[--usual LEVEL] [--usual-score N]", "show or set the profile",
	    CLI_WRITE, cli_profile },
	{ "import", 2, INT_MAX, "<runner> <file-or-folder>...",
	    "recorded runs (FIT, TCX, GPX) into sessions",
	    CLI_WRITE, cli_import },
	{ "key init", 0, 2, "[--passphrase-file F]",
	    "make the hub's identity (keys) in the key directory",
	    CLI_NOSTORE, cli_key_init },
	{ "key show", 0, 0, "", "the hub's public key and fingerprints",
	    CLI_NOSTORE, cli_key_show },
	{ "key rotate", 0, 2, "[--passphrase-file F]",
	    "replace the hub's signing key (devices follow)",
	    CLI_WRITE, cli_key_rotate },
	{ "device add", 2, 4, "<runner> <device> <stride-dev-pk1:...> "
	    "[--replace] | --from FILE [--replace]",
	    "enrol a device's public key (or a file of them)",
	    CLI_WRITE | CLI_CREATE, cli_device_add },
	{ "device revoke", 2, 2, "<runner> <device>",
	    "revoke a device's key", CLI_WRITE, cli_device_revoke },
	{ "device keys", 0, 1, "[runner]",
	    "devices with their key fingerprint and state",
	    0, cli_device_keys },
	{ "runner delete", 1, 2, "<runner> [--yes]",
	    "delete a runner and all their data (the hub does it)",
	    CLI_WRITE, cli_runner_delete },
	{ "help", 0, 0, "", "this list",
	    CLI_NOSTORE, cli_help },
};
#define CLI_NCMDS	(sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* One device of the session's runner, to name the ids chunks carry. */
struct cli_dev {
	int64_t		id;
	char		name[STRIDE_ID_MAX + 1];
};

struct cli_devs {
	struct cli_dev	*d;
	size_t		 n, cap;
};

static void
cli_usage_of(FILE *fp, const struct cli_cmd *c)
{
	fprintf(fp, "usage: stridehub %s%s%s\n", c->name,
	    c->usage[0] != '\0' ? " " : "", c->usage);
}

void
cli_usage(FILE *fp)
{
	char	line[128];
	size_t	i;

	fprintf(fp, "commands:\n");
	for (i = 0; i < CLI_NCMDS; i++) {
		snprintf(line, sizeof(line), "%s%s%s", cli_cmds[i].name,
		    cli_cmds[i].usage[0] != '\0' ? " " : "", cli_cmds[i].usage);
		if (strlen(line) > 32)	/* a long one: help on its own line */
			fprintf(fp, "  %s\n  %-32s %s\n", line, "",
			    cli_cmds[i].help);
		else
			fprintf(fp, "  %-32s %s\n", line, cli_cmds[i].help);
	}
}

/* A usage error in a command's arguments: say what, show its usage. */
static int
cli_bad(const struct cli *c, const char *what, const char *arg)
{
	fprintf(stderr, "stridehub: %s: %s\n", what, arg);
	cli_usage_of(stderr, c->cmd);
	return CLI_USAGE;
}

/* The number of argv words c's name takes, or 0 if it does not match. */
static int
cli_match(const struct cli_cmd *c, int argc, char **argv)
{
	const char	*p = c->name, *sp;
	size_t		 len;
	int		 k = 0;

	for (;;) {
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (k >= argc || strlen(argv[k]) != len ||
		    strncmp(argv[k], p, len) != 0)
			return 0;
		k++;
		if (sp == NULL)
			return k;
		p = sp + 1;
	}
}

/* "2024-05-01T07:00:00Z" (with ".250" before the Z if millis), or "-". */
static const char *
cli_time(char *buf, size_t len, int64_t ms, int millis)
{
	struct tm	tm;
	time_t		t;

	/* Years 1970..9999: what a timestamp here can sensibly be. */
	if (ms <= 0 || ms > 253402300799999LL) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (millis)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	return buf;
}

/* Seconds as h:mm:ss, or "-". */
static const char *
cli_dur(char *buf, size_t len, double s)
{
	long	t;

	if (!isfinite(s) || s < 0 || s > 1e9) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = lround(s);
	snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

/* Minutes and seconds per km at mps, or "-" when standing still. */
static const char *
cli_pace(char *buf, size_t len, double mps)
{
	long	t;

	if (!isfinite(mps) || mps < 0.1) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = lround(1000.0 / mps);
	snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
	return buf;
}

static const char *
cli_role(enum stride_role r)
{
	const char *s = stride_role_name(r);

	return s != NULL ? s : "unknown";
}

/* A positive decimal session id, nothing else. */
static int
cli_parse_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* An optional runner argument: valid, and known to the store. */
static int
cli_runner_arg(struct cli *c, int argc, char **argv, const char **runner)
{
	int64_t	id;
	int	rc;

	*runner = NULL;
	if (argc == 0)
		return CLI_OK;
	if (!stride_id_valid(argv[0], strlen(argv[0])))
		return cli_bad(c, "not a runner id", argv[0]);
	if ((rc = store_runner_get(c->st, argv[0], 0, &id)) == -1)
		return CLI_FAIL;
	if (rc == 1) {
		log_warnx("runner %s: no such runner", argv[0]);
		return CLI_FAIL;
	}
	*runner = argv[0];
	return CLI_OK;
}

static int
cli_help(struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(c->out, "usage: stridehub [options] <command> [args]\n");
	cli_usage(c->out);
	return CLI_OK;
}

static int
cli_runner_row(void *arg, const struct store_runner *r)
{
	struct cli	*c = arg;
	char		 t[CLI_BUF];

	fprintf(c->out, "%-16s %7" PRIu32 " %8" PRIu32 "  %s\n", r->runner,
	    r->devices, r->sessions, cli_time(t, sizeof(t), r->created_ms, 0));
	return 0;
}

static int
cli_runners(struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(c->out, "%-16s %7s %8s  %s\n", "RUNNER", "DEVICES",
	    "SESSIONS", "CREATED");
	return store_runners_walk(c->st, cli_runner_row, c) == 0 ? CLI_OK :
	    CLI_FAIL;
}

static int
cli_device_row(void *arg, const struct store_device *d)
{
	struct cli	*c = arg;
	char		 t[CLI_BUF], bat[16], ack[24];

	if (d->battery >= 0)
		snprintf(bat, sizeof(bat), "%d%%", d->battery);
	else
		snprintf(bat, sizeof(bat), "-");
	if (d->dd.epoch > 0)
		snprintf(ack, sizeof(ack), "%" PRIu32 "/%" PRIu32, d->dd.epoch,
		    d->dd.acked);
	else
		snprintf(ack, sizeof(ack), "-");
	fprintf(c->out, "%-16s %-16s %-8s %-7s %7s  %-20s  %s\n", d->runner,
	    d->device, cli_role(d->role), d->online ? "online" : "offline",
	    bat, cli_time(t, sizeof(t), d->last_seen_ms, 0), ack);
	return 0;
}

static int
cli_devices(struct cli *c, int argc, char **argv)
{
	const char	*runner;
	int		 rc;

	if ((rc = cli_runner_arg(c, argc, argv, &runner)) != CLI_OK)
		return rc;
	fprintf(c->out, "%-16s %-16s %-8s %-7s %7s  %-20s  %s\n", "RUNNER",
	    "DEVICE", "ROLE", "STATE", "BATTERY", "LAST_SEEN", "ACKED");
	return store_devices_walk(c->st, runner, cli_device_row, c) == 0 ?
	    CLI_OK : CLI_FAIL;
}

/* What a session spans: its samples once summarised, else so far. */
static void
cli_span(const struct store_session *s, int64_t *start, int64_t *end)
{
	if (!s->open && s->sum.end_ms > 0) {
		*start = s->sum.start_ms;
		*end = s->sum.end_ms;
	} else {
		*start = s->start_ms;
		*end = s->last_t_ms > s->stop_ms ? s->last_t_ms : s->stop_ms;
	}
}

static int
cli_session_row(void *arg, const struct store_session *s)
{
	struct cli	*c = arg;
	char		 t[CLI_BUF], dur[CLI_BUF], km[CLI_BUF], pace[CLI_BUF];
	int64_t		 start, end;

	cli_span(s, &start, &end);
	cli_dur(dur, sizeof(dur), (double)(end - start) / 1000.0);
	if (s->open) {
		snprintf(km, sizeof(km), "-");
		snprintf(pace, sizeof(pace), "-");
	} else {
		snprintf(km, sizeof(km), "%.2f", s->sum.distance_m / 1000.0);
		cli_pace(pace, sizeof(pace), s->sum.avg_speed_mps);
	}
	fprintf(c->out, "%-6" PRId64 " %-16s %-6s  %-20s  %8s  %11s  %s\n",
	    s->id, s->runner, s->open ? "open" : "closed",
	    cli_time(t, sizeof(t), start, 0), dur, km, pace);
	return 0;
}

static int
cli_sessions(struct cli *c, int argc, char **argv)
{
	const char	*runner;
	int		 rc;

	if ((rc = cli_runner_arg(c, argc, argv, &runner)) != CLI_OK)
		return rc;
	fprintf(c->out, "%-6s %-16s %-6s  %-20s  %8s  %11s  %s\n", "ID",
	    "RUNNER", "STATE", "START", "DURATION", "DISTANCE_KM", "PACE");
	return store_sessions_walk(c->st, runner, 0, cli_session_row, c) == 0 ?
	    CLI_OK : CLI_FAIL;
}

static int
cli_dev_add(void *arg, const struct store_device *d)
{
	struct cli_devs	*v = arg;
	struct cli_dev	*p;
	size_t		 cap;

	if (v->n == v->cap) {
		cap = v->cap == 0 ? 8 : v->cap * 2;
		if ((p = realloc(v->d, cap * sizeof(*p))) == NULL) {
			log_warnx("out of memory");
			return -1;
		}
		v->d = p;
		v->cap = cap;
	}
	v->d[v->n].id = d->id;
	snprintf(v->d[v->n].name, sizeof(v->d[v->n].name), "%s", d->device);
	v->n++;
	return 0;
}

static const char *
cli_dev_name(const struct cli_devs *v, int64_t id)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		if (v->d[i].id == id)
			return v->d[i].name;
	return "unknown";	/* not the runner's: only a damaged file */
}

/* The session named by arg, loaded; with its runner's devices if v. */
static int
cli_load(struct cli *c, const char *arg, struct store_session *s,
    struct cli_devs *v)
{
	int64_t	id;
	int	rc;

	if (cli_parse_id(arg, &id) == -1)
		return cli_bad(c, "not a session id", arg);
	if ((rc = store_session_get(c->st, id, s)) == -1)
		return CLI_FAIL;
	if (rc != 0) {
		log_warnx("session %s: no such session", arg);
		return CLI_FAIL;
	}
	if (v != NULL &&
	    store_devices_walk(c->st, s->runner, cli_dev_add, v) != 0)
		return CLI_FAIL;
	return CLI_OK;
}

/* "<-2%", "-2..2%", ..., ">8%" */
static void
cli_band_label(char *buf, size_t len, int i)
{
	if (i == 0)
		snprintf(buf, len, "<%g%%", fuse_band_edges_pct[0]);
	else if (i == FUSE_BANDS - 1)
		snprintf(buf, len, ">%g%%", fuse_band_edges_pct[i - 1]);
	else
		snprintf(buf, len, "%g..%g%%", fuse_band_edges_pct[i - 1],
		    fuse_band_edges_pct[i]);
}

struct cli_show {
	struct cli		*c;
	const struct cli_devs	*v;
	int			 header;
};

static int
cli_show_device(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct cli_show	*w = arg;
	char		 t0[CLI_BUF], t1[CLI_BUF];

	if (!w->header) {
		fprintf(w->c->out, "\n%-16s %-8s %8s  %-20s  %s\n", "DEVICE",
		    "ROLE", "SAMPLES", "FIRST", "LAST");
		w->header = 1;
	}
	fprintf(w->c->out, "%-16s %-8s %8zu  %-20s  %s\n",
	    cli_dev_name(w->v, device_id), cli_role(role), n,
	    cli_time(t0, sizeof(t0), s[0].t_ms, 0),
	    cli_time(t1, sizeof(t1), s[n - 1].t_ms, 0));
	return 0;
}

static void
cli_show_summary(FILE *o, const struct session_summary *m)
{
	char	b[CLI_BUF], b2[CLI_BUF];
	int	i;

	fprintf(o, "%-12s %s\n", "end", cli_time(b, sizeof(b), m->end_ms, 0));
	fprintf(o, "%-12s %s\n", "duration", cli_dur(b, sizeof(b),
	    (double)(m->end_ms - m->start_ms) / 1000.0));
	fprintf(o, "%-12s %s\n", "moving", cli_dur(b, sizeof(b), m->moving_s));
	fprintf(o, "%-12s %.2f km\n", "distance", m->distance_m / 1000.0);
	fprintf(o, "%-12s %s min/km\n", "pace", cli_pace(b, sizeof(b),
	    m->avg_speed_mps));
	fprintf(o, "%-12s %.2f m/s\n", "avg_speed", m->avg_speed_mps);
	fprintf(o, "%-12s %.2f m/s\n", "max_speed", m->max_speed_mps);
	if (m->avg_cadence_spm > 0)
		fprintf(o, "%-12s %.1f spm\n", "avg_cadence",
		    m->avg_cadence_spm);
	else
		fprintf(o, "%-12s -\n", "avg_cadence");
	if (m->avg_step_m > 0)
		fprintf(o, "%-12s %.2f m\n", "avg_step", m->avg_step_m);
	else
		fprintf(o, "%-12s -\n", "avg_step");
	fprintf(o, "%-12s %s\n", "ungraded", cli_dur(b, sizeof(b),
	    m->ungraded_s));
	fprintf(o, "%-12s %" PRIu32 "\n", "devices", m->devices);
	fprintf(o, "%-12s %" PRIu32 "\n", "samples", m->samples);

	fprintf(o, "\n%-10s %8s  %s\n", "GRADE", "TIME", "DISTANCE_KM");
	for (i = 0; i < FUSE_BANDS; i++) {
		cli_band_label(b2, sizeof(b2), i);
		fprintf(o, "%-10s %8s  %.2f\n", b2, cli_dur(b, sizeof(b),
		    m->band_s[i]), m->band_m[i] / 1000.0);
	}
}

/* "cues  cadence_low=2 pain_stop=1 ...": the live cues the watch gave,
 * when a device reported them with its stop. */
static int
cli_show_cues(struct cli *c, int64_t id)
{
	uint32_t	n[STRIDE_CUE_COUNT];
	int		any, k;

	if (store_session_cues(c->st, id, n, &any) == -1)
		return CLI_FAIL;
	if (!any)
		return CLI_OK;
	fprintf(c->out, "%-12s", "cues");
	for (k = STRIDE_CUE_NONE + 1; k < STRIDE_CUE_COUNT; k++)
		fprintf(c->out, " %s=%" PRIu32,
		    stride_cue_name((enum stride_cue)k), n[k]);
	fputc('\n', c->out);
	return CLI_OK;
}

static int
cli_session(struct cli *c, int argc, char **argv)
{
	struct store_session	 s;
	struct cli_devs		 v = { NULL, 0, 0 };
	struct cli_show		 w = { c, &v, 0 };
	FILE			*o = c->out;
	char			 b[CLI_BUF];
	int			 rc;

	(void)argc;
	if ((rc = cli_load(c, argv[0], &s, &v)) != CLI_OK)
		goto done;
	fprintf(o, "%-12s %" PRId64 "\n", "session", s.id);
	fprintf(o, "%-12s %s\n", "runner", s.runner);
	fprintf(o, "%-12s %s\n", "state", s.open ? "open" : "closed");
	fprintf(o, "%-12s %s\n", "source", s.imported ? "import" : "live");
	fprintf(o, "%-12s %s\n", "start", cli_time(b, sizeof(b),
	    !s.open && s.sum.end_ms > 0 ? s.sum.start_ms : s.start_ms, 0));
	if (s.open) {
		fprintf(o, "%-12s %s\n", "last", cli_time(b, sizeof(b),
		    s.last_t_ms, 0));
		fprintf(o, "%-12s %s\n", "stop", cli_time(b, sizeof(b),
		    s.stop_ms, 0));
		fprintf(o, "%-12s %s\n", "summary", "pending");
	} else
		cli_show_summary(o, &s.sum);
	if ((rc = cli_show_cues(c, s.id)) != CLI_OK)
		goto done;
	rc = store_session_samples(c->st, s.id, cli_show_device, &w) == 0 ?
	    CLI_OK : CLI_FAIL;
done:
	free(v.d);
	return rc;
}

/* A JSON string; ids need no escaping, but nothing here relies on it. */
static void
cli_json_str(FILE *o, const char *s)
{
	const unsigned char *p;

	fputc('"', o);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(o, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(o, "\\u%04x", *p);
		else
			fputc(*p, o);
	}
	fputc('"', o);
}

/* A JSON number with dec decimals; null if not finite. */
static void
cli_json_real(FILE *o, const char *key, double v, int dec)
{
	if (isfinite(v))
		fprintf(o, ",\"%s\":%.*f", key, dec, v);
	else
		fprintf(o, ",\"%s\":null", key);
}

static void
cli_json_summary(FILE *o, const struct session_summary *m)
{
	int	i;

	fprintf(o, "{\"start_ms\":%" PRId64 ",\"end_ms\":%" PRId64,
	    m->start_ms, m->end_ms);
	cli_json_real(o, "moving_s", m->moving_s, 1);
	cli_json_real(o, "distance_m", m->distance_m, 2);
	cli_json_real(o, "avg_speed_mps", m->avg_speed_mps, 3);
	cli_json_real(o, "max_speed_mps", m->max_speed_mps, 3);
	cli_json_real(o, "avg_cadence_spm", m->avg_cadence_spm, 1);
	cli_json_real(o, "avg_step_m", m->avg_step_m, 3);
	fprintf(o, ",\"bands\":[");
	for (i = 0; i < FUSE_BANDS; i++) {
		fprintf(o, "%s{", i > 0 ? "," : "");
		if (i == 0)
			fprintf(o, "\"min_pct\":null");
		else
			fprintf(o, "\"min_pct\":%g", fuse_band_edges_pct[i - 1]);
		if (i == FUSE_BANDS - 1)
			fprintf(o, ",\"max_pct\":null");
		else
			fprintf(o, ",\"max_pct\":%g", fuse_band_edges_pct[i]);
		cli_json_real(o, "time_s", m->band_s[i], 1);
		cli_json_real(o, "distance_m", m->band_m[i], 2);
		fputc('}', o);
	}
	fputc(']', o);
	cli_json_real(o, "ungraded_s", m->ungraded_s, 1);
	fprintf(o, ",\"samples\":%" PRIu32 ",\"devices\":%" PRIu32 "}",
	    m->samples, m->devices);
}

struct cli_exp {
	struct cli		*c;
	const struct cli_devs	*v;
	int			 json;
	int			 first;	/* no device printed yet (JSON) */
};

static int
cli_export_csv(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct cli_exp	*e = arg;
	FILE		*o = e->c->out;
	const char	*name = cli_dev_name(e->v, device_id);
	char		 t[CLI_BUF];
	size_t		 i;

	for (i = 0; i < n; i++) {
		fprintf(o, "%s,%s,%" PRId64 ",%s,", name, cli_role(role),
		    s[i].t_ms, cli_time(t, sizeof(t), s[i].t_ms, 1));
		if (s[i].has & STRIDE_HAS_CAD)
			fprintf(o, "%.1f", s[i].cad_spm);
		fputc(',', o);
		if (s[i].has & STRIDE_HAS_SPD)
			fprintf(o, "%.2f", s[i].spd_mps);
		fputc(',', o);
		if (s[i].has & STRIDE_HAS_GRADE)
			fprintf(o, "%.1f", s[i].grade_pct);
		fputc(',', o);
		if (s[i].has & STRIDE_HAS_ALT)
			fprintf(o, "%.1f", s[i].alt_m);
		fputc(',', o);
		if (s[i].has & STRIDE_HAS_DIST)
			fprintf(o, "%.2f", s[i].dist_m);
		fputc('\n', o);
	}
	return 0;
}

static int
cli_export_json(void *arg, int64_t device_id, enum stride_role role,
    const struct stride_sample *s, size_t n)
{
	struct cli_exp	*e = arg;
	FILE		*o = e->c->out;
	const char	*rn = stride_role_name(role);
	size_t		 i;

	fprintf(o, "%s{\"id\":%" PRId64 ",\"device\":", e->first ? "" : ",",
	    device_id);
	e->first = 0;
	cli_json_str(o, cli_dev_name(e->v, device_id));
	fprintf(o, ",\"role\":");
	if (rn != NULL)
		cli_json_str(o, rn);
	else
		fprintf(o, "null");
	fprintf(o, ",\"samples\":[");
	for (i = 0; i < n; i++) {
		/* Wire keys and resolutions (see the protocol). */
		fprintf(o, "%s{\"t\":%" PRId64, i > 0 ? "," : "", s[i].t_ms);
		if (s[i].has & STRIDE_HAS_CAD)
			fprintf(o, ",\"cad\":%.1f", s[i].cad_spm);
		if (s[i].has & STRIDE_HAS_SPD)
			fprintf(o, ",\"spd\":%.2f", s[i].spd_mps);
		if (s[i].has & STRIDE_HAS_GRADE)
			fprintf(o, ",\"grade\":%.1f", s[i].grade_pct);
		if (s[i].has & STRIDE_HAS_ALT)
			fprintf(o, ",\"alt\":%.1f", s[i].alt_m);
		if (s[i].has & STRIDE_HAS_DIST)
			fprintf(o, ",\"dist\":%.2f", s[i].dist_m);
		fputc('}', o);
	}
	fprintf(o, "]}");
	return 0;
}

static int
cli_export(struct cli *c, int argc, char **argv)
{
	struct store_session	 s;
	struct cli_devs		 v = { NULL, 0, 0 };
	struct cli_exp		 e = { c, &v, -1, 1 };
	FILE			*o = c->out;
	const char		*idarg = NULL;
	int			 i, rc;

	/* The id and one format flag, in either order. */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--csv") == 0 ||
		    strcmp(argv[i], "--json") == 0) {
			if (e.json != -1)
				return cli_bad(c, "one format only", argv[i]);
			e.json = argv[i][2] == 'j';
		} else if (idarg == NULL && argv[i][0] != '-')
			idarg = argv[i];
		else
			return cli_bad(c, "unexpected argument", argv[i]);
	}
	if (idarg == NULL || e.json == -1)
		return cli_bad(c, "need a session id and --csv or --json",
		    idarg != NULL ? idarg : argv[0]);
	if ((rc = cli_load(c, idarg, &s, &v)) != CLI_OK)
		goto done;

	if (!e.json) {
		fprintf(o, "device,role,t_ms,time,cad_spm,spd_mps,grade_pct,"
		    "alt_m,dist_m\n");
		rc = store_session_samples(c->st, s.id, cli_export_csv, &e) ==
		    0 ? CLI_OK : CLI_FAIL;
		goto done;
	}
	fprintf(o, "{\"id\":%" PRId64 ",\"runner\":", s.id);
	cli_json_str(o, s.runner);
	fprintf(o, ",\"open\":%s,\"start_ms\":%" PRId64 ",\"last_t_ms\":%"
	    PRId64, s.open ? "true" : "false", s.start_ms, s.last_t_ms);
	if (s.stop_ms != 0)
		fprintf(o, ",\"stop_ms\":%" PRId64, s.stop_ms);
	else
		fprintf(o, ",\"stop_ms\":null");
	fprintf(o, ",\"summary\":");
	if (s.open)
		fprintf(o, "null");
	else
		cli_json_summary(o, &s.sum);
	fprintf(o, ",\"devices\":[");
	rc = store_session_samples(c->st, s.id, cli_export_json, &e) == 0 ?
	    CLI_OK : CLI_FAIL;
	fprintf(o, "]}\n");
done:
	free(v.d);
	return rc;
}

/* ---- symptom reports, plans and profiles ---- */

/* A required runner argument: valid and known; its store id in *id. */
static int
cli_runner_id(struct cli *c, const char *arg, int64_t *id)
{
	int	rc;

	if (!stride_id_valid(arg, strlen(arg)))
		return cli_bad(c, "not a runner id", arg);
	if ((rc = store_runner_get(c->st, arg, 0, id)) == -1)
		return CLI_FAIL;
	if (rc == 1) {
		log_warnx("runner %s: no such runner", arg);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* A whole decimal number in [lo, hi] for option opt. */
static int
cli_int_arg(struct cli *c, const char *opt, const char *s, long lo, long hi,
    int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		char what[64];

		snprintf(what, sizeof(what), "%s wants %ld..%ld", opt, lo, hi);
		return cli_bad(c, what, s);
	}
	*out = (int)v;
	return CLI_OK;
}

/*
 * report <runner> <level> [--score N] [--during]: store a report typed by
 * the runner, next-day unless --during. The hub is not told: it polls the
 * store for reports it did not receive and sends the new plan within its
 * next tick (plan.h).
 */
static int
cli_report(struct cli *c, int argc, char **argv)
{
	enum stride_level	 level;
	enum stride_when	 when = STRIDE_WHEN_NEXT_DAY;
	int64_t			 rid;
	int			 i, rc, score = -1;

	if ((level = stride_level_parse(argv[1])) == STRIDE_LEVEL_NONE)
		return cli_bad(c, "not a level (better, usual, aware, "
		    "much_aware, painful)", argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--during") == 0 &&
		    when == STRIDE_WHEN_NEXT_DAY)
			when = STRIDE_WHEN_DURING;
		else if (strcmp(argv[i], "--score") == 0 && score == -1 &&
		    i + 1 < argc) {
			if ((rc = cli_int_arg(c, "--score", argv[++i], 0,
			    STRIDE_SCORE_MAX, &score)) != CLI_OK)
				return rc;
		} else
			return cli_bad(c, "unexpected argument", argv[i]);
	}
	if ((rc = cli_runner_id(c, argv[0], &rid)) != CLI_OK)
		return rc;
	if (store_symptom_put(c->st, rid, 0, 0, clock_now_ms(), when, level,
	    score) == -1)
		return CLI_FAIL;
	fprintf(c->out, "%-12s %s %s %s", "report", argv[0],
	    stride_when_name(when), stride_level_name(level));
	if (score >= 0)
		fprintf(c->out, " score %d\n", score);
	else
		fprintf(c->out, "\n");
	return CLI_OK;
}

static const char *
cli_direction(const struct plan *p)
{
	return rules_direction_name(rules_direction_of(p->nreasons > 0 ?
	    p->reasons[0].code : PLAN_R_UNKNOWN));
}

/* "pain,distance,duration", or "-". */
static void
cli_stops(char *buf, size_t len, uint32_t stop)
{
	const char	*name;
	size_t		 n = 0;
	uint32_t	 bit;

	buf[0] = '\0';
	for (bit = 1; bit <= PLAN_STOP_ALL && bit != 0; bit <<= 1) {
		if (!(stop & bit) || (name = plan_stop_name(bit)) == NULL)
			continue;
		snprintf(buf + n, len - n, "%s%s", n > 0 ? "," : "", name);
		n = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, len, "-");
}

/* The runner's newest plan, decoded as a device would: 0, or CLI_FAIL
 * with the reason logged (none yet, unreadable). */
static int
cli_load_plan(struct cli *c, const char *runner, struct store_plan *sp,
    struct plan *p)
{
	const char	*why;
	int64_t		 rid;
	int		 rc;

	if ((rc = cli_runner_id(c, runner, &rid)) != CLI_OK)
		return rc;
	if ((rc = store_plan_latest(c->st, rid, sp)) == -1)
		return CLI_FAIL;
	if (rc == 1) {
		log_warnx("runner %s: no plan yet (one is made when a session "
		    "closes or a report arrives)", runner);
		return CLI_FAIL;
	}
	if (plan_decode(sp->json, sp->len, p, &why) == -1) {
		log_warnx("runner %s: plan %u: unreadable: %s", runner,
		    (unsigned)sp->version, why);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* plan <runner> [--json]: the newest plan, readable, with every reason. */
static int
cli_plan(struct cli *c, int argc, char **argv)
{
	struct store_plan	 sp;
	struct plan		 p;
	FILE			*o = c->out;
	char			 b[CLI_BUF];
	uint32_t		 i;
	int			 rc, json = 0;

	if (argc == 2) {
		if (strcmp(argv[1], "--json") != 0)
			return cli_bad(c, "unexpected argument", argv[1]);
		json = 1;
	}
	if ((rc = cli_load_plan(c, argv[0], &sp, &p)) != CLI_OK)
		return rc;
	if (json) {
		/* The canonical bytes devices got, as they got them. */
		fprintf(o, "%s\n", sp.json);
		return CLI_OK;
	}
	fprintf(o, "%-12s %s\n", "runner", argv[0]);
	fprintf(o, "%-12s %" PRIu32 "\n", "plan", p.version);
	fprintf(o, "%-12s %s\n", "issued", cli_time(b, sizeof(b), p.issued_ms,
	    0));
	fprintf(o, "%-12s %s\n", "direction", cli_direction(&p));
	fprintf(o, "%-12s %s since %s\n", "phase", plan_phase_name(p.phase),
	    cli_time(b, sizeof(b), p.phase_since_ms, 0));
	fprintf(o, "%-12s %.2f km\n", "distance", p.max_distance_m / 1000.0);
	fprintf(o, "%-12s %s\n", "duration", cli_dur(b, sizeof(b),
	    (double)p.max_duration_s));
	fprintf(o, "%-12s %.2f m/s\n", "speed_cap", p.speed_cap_mps);
	fprintf(o, "%-12s %s min/km\n", "pace_limit", cli_pace(b, sizeof(b),
	    p.speed_cap_mps));
	fprintf(o, "%-12s %.1f %%\n", "grade_cap", p.max_grade_pct);
	if (p.cadence_target_spm > 0)
		fprintf(o, "%-12s %" PRIu32 " spm, tolerance %" PRIu32
		    ", from %" PRIu32 "\n", "cadence", p.cadence_target_spm,
		    p.cadence_tol_spm, p.cadence_base_spm);
	else
		fprintf(o, "%-12s -\n", "cadence");
	fprintf(o, "%-12s %" PRIu32 "\n", "rest_days", p.rest_days);
	fprintf(o, "%-12s %s\n", "rest_until", cli_time(b, sizeof(b),
	    p.rest_until_ms, 0));
	cli_stops(b, sizeof(b), p.stop);
	fprintf(o, "%-12s %s\n", "stop", b);
	fprintf(o, "%-12s %s\n", "text", p.text);
	for (i = 0; i < p.nreasons; i++)
		fprintf(o, "%-12s %s %s\n", "reason",
		    plan_reason_name(p.reasons[i].code) != NULL ?
		    plan_reason_name(p.reasons[i].code) : "UNKNOWN",
		    p.reasons[i].text);
	return CLI_OK;
}

static int
cli_plan_row(void *arg, const struct store_plan *sp)
{
	struct cli	*c = arg;
	struct plan	 p;
	const char	*why;
	char		 t[CLI_BUF], dur[CLI_BUF], cad[16];

	if (plan_decode(sp->json, sp->len, &p, &why) == -1) {
		fprintf(c->out, "%-7" PRIu32 " %-20s  unreadable: %s\n",
		    sp->version, cli_time(t, sizeof(t), sp->issued_ms, 0), why);
		return 0;
	}
	if (p.cadence_target_spm > 0)
		snprintf(cad, sizeof(cad), "%" PRIu32, p.cadence_target_spm);
	else
		snprintf(cad, sizeof(cad), "-");
	fprintf(c->out, "%-7" PRIu32 " %-20s  %-9s %11.2f %8s %9.2f %9.1f "
	    "%7s  %s\n", sp->version, cli_time(t, sizeof(t), p.issued_ms, 0),
	    cli_direction(&p), p.max_distance_m / 1000.0,
	    cli_dur(dur, sizeof(dur), (double)p.max_duration_s),
	    p.speed_cap_mps, p.max_grade_pct, cad,
	    sp->reasons[0] != '\0' ? sp->reasons : "-");
	return 0;
}

/* plans <runner>: every version, oldest first. */
static int
cli_plans(struct cli *c, int argc, char **argv)
{
	int64_t	rid;
	int	rc;

	(void)argc;
	if ((rc = cli_runner_id(c, argv[0], &rid)) != CLI_OK)
		return rc;
	fprintf(c->out, "%-7s %-20s  %-9s %11s %8s %9s %9s %7s  %s\n",
	    "VERSION", "ISSUED", "DIRECTION", "DISTANCE_KM", "DURATION",
	    "SPEED_MPS", "GRADE_PCT", "CADENCE", "REASONS");
	return store_plans_walk(c->st, rid, cli_plan_row, c) == 0 ? CLI_OK :
	    CLI_FAIL;
}

/*
 * profile <runner> [--height-cm N] [--cadence N] [--usual LEVEL]
 * [--usual-score N]: set what is given (0 or "none" forgets it), then
 * show the profile. It counts from the next plan the hub makes.
 */
static int
cli_profile(struct cli *c, int argc, char **argv)
{
	struct store_profile	 p;
	FILE			*o = c->out;
	int64_t			 rid;
	int			 i, rc, v, set = 0;

	if ((rc = cli_runner_id(c, argv[0], &rid)) != CLI_OK)
		return rc;
	if (store_profile_get(c->st, rid, &p) != 0)
		return CLI_FAIL;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			return cli_bad(c, "needs a value", opt);
		if (strcmp(opt, "--height-cm") == 0) {
			if (strcmp(argv[i + 1], "0") == 0)
				p.height_cm = 0;
			else if ((rc = cli_int_arg(c, opt, argv[i + 1],
			    STORE_HEIGHT_MIN_CM, STORE_HEIGHT_MAX_CM,
			    &p.height_cm)) != CLI_OK)
				return rc;
		} else if (strcmp(opt, "--cadence") == 0) {
			if (strcmp(argv[i + 1], "0") == 0)
				p.cadence_spm = 0;
			else if ((rc = cli_int_arg(c, opt, argv[i + 1],
			    PLAN_CAD_MIN_SPM, PLAN_CAD_MAX_SPM,
			    &p.cadence_spm)) != CLI_OK)
				return rc;
		} else if (strcmp(opt, "--usual") == 0) {
			if (strcmp(argv[i + 1], "none") == 0)
				p.usual_level = STRIDE_LEVEL_NONE;
			else if ((p.usual_level = stride_level_parse(
			    argv[i + 1])) == STRIDE_LEVEL_NONE)
				return cli_bad(c, "not a level (better, usual, "
				    "aware, much_aware, painful, none)",
				    argv[i + 1]);
		} else if (strcmp(opt, "--usual-score") == 0) {
			if (strcmp(argv[i + 1], "none") == 0)
				p.usual_score = -1;
			else if ((rc = cli_int_arg(c, opt, argv[i + 1], 0,
			    STRIDE_SCORE_MAX, &v)) != CLI_OK)
				return rc;
			else
				p.usual_score = v;
		} else
			return cli_bad(c, "unexpected argument", opt);
		i++;
		set = 1;
	}
	if (set && store_profile_set(c->st, rid, &p) == -1)
		return CLI_FAIL;
	fprintf(o, "%-12s %s\n", "runner", argv[0]);
	if (p.height_cm > 0)
		fprintf(o, "%-12s %d cm\n", "height", p.height_cm);
	else
		fprintf(o, "%-12s -\n", "height");
	if (p.cadence_spm > 0)
		fprintf(o, "%-12s %d spm\n", "cadence", p.cadence_spm);
	else
		fprintf(o, "%-12s -\n", "cadence");
	fprintf(o, "%-12s %s\n", "usual", p.usual_level != STRIDE_LEVEL_NONE ?
	    stride_level_name(p.usual_level) : "-");
	if (p.usual_score >= 0)
		fprintf(o, "%-12s %d\n", "usual_score", p.usual_score);
	else
		fprintf(o, "%-12s -\n", "usual_score");
	return CLI_OK;
}

/* ---- history import ---- */

/* "[k/n] path: " before each file's outcome. */
static void
cli_import_head(FILE *o, size_t k, size_t n, const char *path)
{
	fprintf(o, "[%zu/%zu] %s: ", k, n, path);
}

/*
 * import <runner> <file-or-folder>...: every FIT, TCX and GPX file into a
 * closed session of the runner (created if new), one line per file, then
 * the totals. The hub, running or at its next start, makes the plan
 * (hub/import.h). Exit 1 if any file was refused; the others still count.
 */
static int
cli_import(struct cli *c, int argc, char **argv)
{
	struct import_list	 l;
	struct import_result	 r;
	struct store_import	 im;
	struct session_summary	*added = NULL;
	struct activity_err	 ae;
	struct activity		*a;
	FILE			*o = c->out;
	char			 err[512], b[CLI_BUF], d[CLI_BUF];
	int64_t			 rid;
	size_t			 i, nruns = 0;
	int			 k, rc = CLI_FAIL, cad = 0;

	memset(&l, 0, sizeof(l));
	memset(&im, 0, sizeof(im));
	if (!stride_id_valid(argv[0], strlen(argv[0])))
		return cli_bad(c, "not a runner id", argv[0]);
	for (k = 1; k < argc; k++) {
		if (import_list_add(&l, argv[k], err, sizeof(err)) == -1) {
			log_warnx("import: %s", err);
			goto done;
		}
	}
	if (l.n == 0) {
		log_warnx("import: no FIT, TCX or GPX file found (%zu other "
		    "file%s)", l.ignored, l.ignored == 1 ? "" : "s");
		goto done;
	}
	if (store_runner_get(c->st, argv[0], 1, &rid) != 0 ||
	    (added = calloc(l.n, sizeof(*added))) == NULL)
		goto done;
	im.runner_id = rid;
	for (i = 0; i < l.n; i++) {
		cli_import_head(o, i + 1, l.n, l.path[i]);
		im.files++;
		if ((a = activity_load(l.path[i], &ae)) == NULL) {
			fprintf(o, "refused: %s\n", activity_strerror(&ae, err,
			    sizeof(err)));
			im.refused++;
			fflush(o);
			continue;
		}
		(void)import_activity(c->st, rid, argv[0], a, &r);
		activity_free(a);
		switch (r.status) {
		case IMPORT_ADDED:
			added[im.added++] = r.sum;
			fprintf(o, "%.2f km, %s, ", r.sum.distance_m / 1000.0,
			    cli_dur(d, sizeof(d), r.sum.moving_s));
			if (r.sum.avg_cadence_spm > 0)
				fprintf(o, "%.0f spm, ", r.sum.avg_cadence_spm);
			else
				fprintf(o, "- spm, ");
			fprintf(o, "%s: session %" PRId64 "\n", cli_time(b,
			    sizeof(b), r.sum.start_ms, 0), r.session_id);
			break;
		case IMPORT_SAME_RUN:
			im.skipped++;
			fprintf(o, "%s: the same run as session %" PRId64
			    " (%s): skipped\n", cli_time(b, sizeof(b),
			    r.start_ms, 0), r.session_id, r.same_imported ?
			    "imported" : "live");
			break;
		case IMPORT_REFUSED:
			im.refused++;
			fprintf(o, "refused: %s\n", r.why);
			break;
		case IMPORT_FAILED:
		default:
			/* The store's reason is logged; the rest would fail
			 * the same way. */
			fprintf(o, "store error: import stopped\n");
			goto done;
		}
		fflush(o);
	}
	im.t_ms = clock_now_ms();
	if (import_end(c->st, &im, added, im.added, &cad) == -1)
		goto done;
	fprintf(o, "import %s: %" PRIu32 " file%s, %" PRIu32 " added, %"
	    PRIu32 " skipped (same run), %" PRIu32 " refused", argv[0],
	    im.files, im.files == 1 ? "" : "s", im.added, im.skipped,
	    im.refused);
	if (l.ignored > 0)
		fprintf(o, "; %zu other file%s ignored", l.ignored,
		    l.ignored == 1 ? "" : "s");
	fprintf(o, "\n");
	if (cad > 0) {
		(void)import_usual_cadence(added, im.added, &nruns);
		fprintf(o, "profile %s: usual cadence %d spm (median of %zu "
		    "flat run%s)\n", argv[0], cad, nruns, nruns == 1 ? "" :
		    "s");
	}
	if (im.added > 0)
		fprintf(o, "plan %s: the hub makes the new plan within a "
		    "second, or when it next starts\n", argv[0]);
	rc = im.refused > 0 ? CLI_FAIL : CLI_OK;
done:
	free(added);
	import_list_free(&l);
	return rc;
}

/* ---- keys and enrolment (issue 4; docs/security.md "Keys in practice") */

/* <key dir>/hub.key, or -1 (said on stderr) if it does not fit. */
static int
cli_hub_key_path(const struct cli *c, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s/%s", c->key_dir, CLI_HUB_KEY_FILE);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "stridehub: key directory path too long\n");
		return -1;
	}
	return 0;
}

/* The hub's public lines: its key text and both short fingerprints. */
static void
cli_hub_public(FILE *o, const uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
    const uint8_t kx_pk[CRYPTO_KX_PK_BYTES])
{
	char	text[KEYFILE_HUB_PK_TEXT_MAX], fp[CRYPTO_FP_TEXT_MAX];

	if (keyfile_hub_pk_format(text, sizeof(text), sign_pk, kx_pk) == 0)
		fprintf(o, "hub_key %s\n", text);
	crypto_fp_text(fp, sign_pk);
	fprintf(o, "hub_sign_fp %s\n", fp);
	crypto_fp_text(fp, kx_pk);
	fprintf(o, "hub_kx_fp %s\n", fp);
}

/* The hub's public keys from its key file (no passphrase needed). */
static int
cli_hub_public_load(const struct cli *c, uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
    uint8_t kx_pk[CRYPTO_KX_PK_BYTES], char *path, size_t pathlen)
{
	const char	*why = NULL;

	if (cli_hub_key_path(c, path, pathlen) == -1)
		return CLI_FAIL;
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		fprintf(stderr, "stridehub: no hub key in %s: run `stridehub "
		    "key init` first\n", c->key_dir);
		return CLI_FAIL;
	}
	if (keyfile_public_hub(sign_pk, kx_pk, path, &why) == -1) {
		fprintf(stderr, "stridehub: %s: %s\n", path,
		    why != NULL ? why : "cannot read");
		return CLI_FAIL;
	}
	return CLI_OK;
}

/*
 * A passphrase from the first line of a private file (the same check as a
 * key file: no group or other permission). 0, or -1 said on stderr.
 */
static int
cli_passphrase(const char *path, char *pass, size_t cap)
{
	const char *why = "cannot read";

	if (keyfile_read_passphrase(pass, cap, path, &why) == -1) {
		fprintf(stderr, "stridehub: passphrase file %s: %s\n", path,
		    why);
		return -1;
	}
	return 0;
}

static int
cli_key_init(struct cli *c, int argc, char **argv)
{
	struct crypto_hub_identity	 id;
	const char			*passfile = NULL, *why = NULL;
	char				 path[CLI_PATH_MAX];
	char				 pass[CLI_PASS_MAX];
	int				 i, rc = CLI_FAIL, have_pass = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc && passfile == NULL)
			passfile = argv[++i];
		else
			return cli_bad(c, "unexpected argument", argv[i]);
	}
	if (cli_hub_key_path(c, path, sizeof(path)) == -1)
		return CLI_FAIL;
	/* Before any work; keyfile_save_hub refuses it again, race-free. */
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "stridehub: %s exists: the hub already has "
		    "an identity; refusing to replace it\n", path);
		return CLI_FAIL;
	}
	if (passfile != NULL) {
		if (cli_passphrase(passfile, pass, sizeof(pass)) == -1)
			goto done;
		have_pass = 1;
	}
	/* The directory is private too; one that exists is left as is. */
	if (mkdir(c->key_dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "stridehub: %s: %s\n", c->key_dir,
		    strerror(errno));
		goto done;
	}
	if (crypto_hub_generate(&id) == -1) {
		fprintf(stderr, "stridehub: cannot make keys (libsodium)\n");
		goto done;
	}
	if (keyfile_save_hub(path, &id, have_pass ? pass : NULL,
	    CRYPTO_KDF_MODERATE, 0, &why) == -1) {
		if (errno == EEXIST)
			fprintf(stderr, "stridehub: %s exists: refusing to "
			    "replace it\n", path);
		else
			fprintf(stderr, "stridehub: %s: %s\n", path,
			    why != NULL ? why : strerror(errno));
		goto done;
	}
	fprintf(c->out, "file %s\n", path);
	fprintf(c->out, "passphrase %s\n", have_pass ? "yes" : "no");
	cli_hub_public(c->out, id.sign_pk, id.kx_pk);
	rc = CLI_OK;
done:
	crypto_wipe(&id, sizeof(id));
	crypto_wipe(pass, sizeof(pass));
	return rc;
}

static int
cli_key_show(struct cli *c, int argc, char **argv)
{
	uint8_t	sign_pk[CRYPTO_SIGN_PK_BYTES], kx_pk[CRYPTO_KX_PK_BYTES];
	char	path[CLI_PATH_MAX];
	int	rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_hub_public_load(c, sign_pk, kx_pk, path,
	    sizeof(path))) != CLI_OK)
		return rc;
	fprintf(c->out, "file %s\n", path);
	cli_hub_public(c->out, sign_pk, kx_pk);
	return CLI_OK;
}

/*
 * key rotate [--passphrase-file F]: a new signing key announced by the
 * old and the new (docs/protocol.md section 21), in three steps
 * (hub/hubkey.h): write hub.key.next, record the announcement in the
 * store, rename it over hub.key. The running hub follows within a second
 * (publishes the chain, re-seals every plan); a hub that was stopped
 * finishes an interrupted rotation when it starts. The new key file is
 * protected iff the current one is, with the same passphrase.
 */
static int
cli_key_rotate(struct cli *c, int argc, char **argv)
{
	struct crypto_hub_identity	 cur, nx;
	struct store_rotation		 rot, last;
	uint8_t				 spk[CRYPTO_SIGN_PK_BYTES];
	uint8_t				 kpk[CRYPTO_KX_PK_BYTES];
	const char			*passfile = NULL, *why = NULL;
	char				 path[CLI_PATH_MAX];
	char				 next[CLI_PATH_MAX + 8];
	char				 pass[CLI_PASS_MAX], err[512];
	char				 fp[CRYPTO_FP_TEXT_MAX];
	int64_t				 id = 0;
	int				 i, rc = CLI_FAIL, protect = 0, made = 0;
	int				 k;

	memset(&cur, 0, sizeof(cur));
	memset(&nx, 0, sizeof(nx));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc && passfile == NULL)
			passfile = argv[++i];
		else
			return cli_bad(c, "unexpected argument", argv[i]);
	}
	if (cli_hub_key_path(c, path, sizeof(path)) == -1)
		return CLI_FAIL;
	k = snprintf(next, sizeof(next), "%s/%s", c->key_dir,
	    HUBKEY_FILE_NEXT);
	if (k < 0 || (size_t)k >= sizeof(next))
		return CLI_FAIL;
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		fprintf(stderr, "stridehub: no hub key in %s: run `stridehub "
		    "key init` first\n", c->key_dir);
		return CLI_FAIL;
	}
	/* A rotation recorded but not renamed: finish it. One not recorded
	 * may be another `key rotate` running now: never removed here. */
	if (hubkey_recover(c->key_dir, c->st, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "stridehub: %s\n", err);
		return CLI_FAIL;
	}
	if (access(next, F_OK) == 0) {
		fprintf(stderr, "stridehub: %s exists: another `key rotate` "
		    "is running, or one stopped before it was recorded (the "
		    "hub removes it when it starts; or remove it yourself)\n",
		    next);
		return CLI_FAIL;
	}
	if (passfile != NULL && cli_passphrase(passfile, pass,
	    sizeof(pass)) == -1)
		goto done;
	switch (keyfile_load_hub(&cur, path, NULL, &why)) {
	case KEYFILE_OK:
		break;
	case KEYFILE_NEED_PASSPHRASE:
		if (passfile == NULL) {
			fprintf(stderr, "stridehub: %s is protected by a "
			    "passphrase: give --passphrase-file\n", path);
			goto done;
		}
		protect = 1;
		if (keyfile_load_hub(&cur, path, pass, &why) == KEYFILE_OK)
			break;
		/* FALLTHROUGH */
	default:
		fprintf(stderr, "stridehub: %s: %s\n", path,
		    why != NULL ? why : "cannot load");
		goto done;
	}
	/* The store's newest rotation must have made this key. */
	switch (store_rotation_last(c->st, &last)) {
	case 0:
		if (memcmp(last.sign_pk, cur.sign_pk, sizeof(spk)) != 0) {
			crypto_fp_text(fp, last.sign_pk);
			fprintf(stderr, "stridehub: %s is not the hub's current "
			    "key: the store's newest rotation made %s\n", path,
			    fp);
			goto done;
		}
		break;
	case 1:
		break;
	default:
		goto done;
	}
	memset(&rot, 0, sizeof(rot));
	rot.issued_ms = clock_now_ms();
	if (crypto_hub_new_signing_key(&nx, &cur) == -1 ||
	    crypto_rot_sign(rot.ann, rot.issued_ms, &cur, &nx) == -1) {
		fprintf(stderr, "stridehub: cannot make keys (libsodium)\n");
		goto done;
	}
	memcpy(rot.old_key_id, cur.key_id, sizeof(rot.old_key_id));
	memcpy(rot.sign_pk, nx.sign_pk, sizeof(rot.sign_pk));
	memcpy(rot.kx_pk, nx.kx_pk, sizeof(rot.kx_pk));

	/* 1: the new key, beside the old one. */
	if (keyfile_save_hub(next, &nx, protect ? pass : NULL,
	    CRYPTO_KDF_MODERATE, 0, &why) == -1) {
		fprintf(stderr, "stridehub: %s: %s\n", next,
		    why != NULL ? why : strerror(errno));
		goto done;
	}
	made = 1;
	/* 2: the announcement: from here on the new key is the hub's. */
	if (store_begin(c->st) == -1)
		goto done;
	if (store_rotation_put(c->st, &rot, &id) == -1 ||
	    store_commit(c->st) == -1) {
		store_rollback(c->st);
		goto done;
	}
	made = 0;
	/* 3: in place. If the hub got there first, so much the better. */
	if (rename(next, path) == -1) {
		if (errno != ENOENT || keyfile_public_hub(spk, kpk, path,
		    &why) == -1 || memcmp(spk, nx.sign_pk, sizeof(spk)) != 0) {
			fprintf(stderr, "stridehub: rotation %lld is recorded, "
			    "but rename %s: %s; the hub finishes it when it "
			    "starts\n", (long long)id, next, strerror(errno));
			goto done;
		}
	}
	(void)keyfile_sync_dir(path);
	fprintf(c->out, "file %s\n", path);
	fprintf(c->out, "rotation %lld\n", (long long)id);
	fprintf(c->out, "passphrase %s\n", protect ? "yes" : "no");
	crypto_fp_text(fp, cur.sign_pk);
	fprintf(c->out, "old_sign_fp %s\n", fp);
	crypto_fp_text(fp, nx.sign_pk);
	fprintf(c->out, "new_sign_fp %s\n", fp);
	cli_hub_public(c->out, nx.sign_pk, nx.kx_pk);
	rc = CLI_OK;
done:
	if (made)
		(void)unlink(next);	/* never recorded: never the key */
	crypto_wipe(&cur, sizeof(cur));
	crypto_wipe(&nx, sizeof(nx));
	crypto_wipe(pass, sizeof(pass));
	return rc;
}

/* A runner or device id argument: CLI_OK or a usage error. */
static int
cli_id_arg(const struct cli *c, const char *what, const char *s)
{
	if (!stride_id_valid(s, strnlen(s, STRIDE_ID_MAX + 1)))
		return cli_bad(c, what, s);
	return CLI_OK;
}

/*
 * Enrol pk for runner/device inside the open transaction, as `device add`
 * says (cli.h). where prefixes what is said on stderr ("" or "FILE:N: ").
 * 0 with *status, or -1 (said; the caller rolls back).
 */
static int
cli_enrol_one(struct cli *c, const char *where, const char *runner,
    const char *device, const uint8_t pk[CRYPTO_KX_PK_BYTES], int replace,
    const char **status)
{
	struct store_device	 d;
	struct store_device_key	 cur, other;
	uint8_t			 fp[CRYPTO_FP_BYTES];
	char			 fpt[CRYPTO_FP_TEXT_MAX];
	int64_t			 runner_id;
	int			 has;

	crypto_fp(fp, pk);
	if (store_runner_get(c->st, runner, 1, &runner_id) != 0 ||
	    store_device_get(c->st, runner_id, runner, device, 1, &d) != 0)
		return -1;
	if ((has = store_device_key_active(c->st, d.id, &cur)) == -1)
		return -1;
	if (has == 0 && memcmp(cur.fp, fp, sizeof(fp)) == 0) {
		*status = "unchanged";	/* the same key again: nothing to do */
		return 0;
	}
	switch (store_device_key_by_fp(c->st, fp, &other)) {
	case 0:
		fprintf(stderr, "stridehub: %sthis key was enrolled for %s/%s "
		    "before (%s): a key is enrolled once; make a new one on "
		    "the device\n", where, other.runner, other.device,
		    other.state == STORE_KEY_REVOKED ? "revoked" : "active");
		return -1;
	case 1:
		break;
	default:
		return -1;
	}
	if (has == 0 && !replace) {
		crypto_fp_text(fpt, cur.pk);
		fprintf(stderr, "stridehub: %s%s/%s already has an active key "
		    "(%s): `device revoke` it first, or add the new one with "
		    "--replace\n", where, runner, device, fpt);
		return -1;
	}
	if (store_device_key_put(c->st, d.id, pk, fp, clock_now_ms()) == -1)
		return -1;
	*status = has == 0 ? "replaced" : "added";
	return 0;
}

/* Counts of a `device add --from` file. */
struct cli_enrol_counts {
	size_t	devices, added, replaced, unchanged;
};

/*
 * One line of a --from file: blank, a comment, or "<runner> <device>
 * <stride-dev-pk1:...>" separated by spaces or tabs. 0 (done or nothing
 * to do), or -1 (said on stderr with where).
 */
static int
cli_enrol_line(struct cli *c, const char *where, char *line, int replace,
    struct cli_enrol_counts *n)
{
	uint8_t		 pk[CRYPTO_KX_PK_BYTES];
	char		*f[4], *p = line, *save = NULL;
	const char	*why = NULL, *status;
	int		 k = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	for (p = strtok_r(p, " \t", &save); p != NULL && k < 4;
	    p = strtok_r(NULL, " \t", &save))
		f[k++] = p;
	if (k != 3) {
		fprintf(stderr, "stridehub: %sexpected <runner> <device> "
		    "<stride-dev-pk1:...>\n", where);
		return -1;
	}
	if (!stride_id_valid(f[0], strnlen(f[0], STRIDE_ID_MAX + 1)) ||
	    !stride_id_valid(f[1], strnlen(f[1], STRIDE_ID_MAX + 1))) {
		fprintf(stderr, "stridehub: %sinvalid %s id\n", where,
		    !stride_id_valid(f[0], strnlen(f[0], STRIDE_ID_MAX + 1)) ?
		    "runner" : "device");
		return -1;
	}
	if (keyfile_dev_pk_parse(pk, f[2], &why) == -1) {
		fprintf(stderr, "stridehub: %sdevice key: %s\n", where,
		    why != NULL ? why : "invalid");
		return -1;
	}
	if (cli_enrol_one(c, where, f[0], f[1], pk, replace, &status) == -1)
		return -1;
	n->devices++;
	if (strcmp(status, "added") == 0)
		n->added++;
	else if (strcmp(status, "replaced") == 0)
		n->replaced++;
	else
		n->unchanged++;
	return 0;
}

/* device add --from FILE [--replace]: every line in one transaction; the
 * first bad line refuses the whole file (cli.h). */
static int
cli_device_add_file(struct cli *c, const char *file, int replace)
{
	struct cli_enrol_counts	 n;
	struct stat		 sb;
	uint8_t			 sign_pk[CRYPTO_SIGN_PK_BYTES];
	uint8_t			 kx_pk[CRYPTO_KX_PK_BYTES];
	char			 path[CLI_PATH_MAX], where[CLI_PATH_MAX + 32];
	char			*line = NULL;
	size_t			 cap = 0, lineno = 0;
	ssize_t			 len;
	FILE			*f;
	int			 rc;

	if ((rc = cli_hub_public_load(c, sign_pk, kx_pk, path,
	    sizeof(path))) != CLI_OK)
		return rc;
	if ((f = fopen(file, "r")) == NULL) {
		fprintf(stderr, "stridehub: %s: %s\n", file, strerror(errno));
		return CLI_FAIL;
	}
	if (fstat(fileno(f), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > CLI_ENROL_FILE_MAX) {
		fprintf(stderr, "stridehub: %s: not a regular file of at most "
		    "%d bytes\n", file, CLI_ENROL_FILE_MAX);
		fclose(f);
		return CLI_FAIL;
	}
	memset(&n, 0, sizeof(n));
	rc = CLI_FAIL;
	if (store_begin(c->st) == -1)
		goto out;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%zu: ", file, lineno);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > CLI_ENROL_LINE_MAX ||
		    memchr(line, '\0', (size_t)len) != NULL) {
			fprintf(stderr, "stridehub: %sline too long or not "
			    "text\n", where);
			goto fail;
		}
		if (cli_enrol_line(c, where, line, replace, &n) == -1)
			goto fail;
	}
	if (ferror(f)) {
		fprintf(stderr, "stridehub: %s: read error\n", file);
		goto fail;
	}
	if (store_commit(c->st) == -1)
		goto fail;
	fprintf(c->out, "file %s\n", file);
	fprintf(c->out, "devices %zu\n", n.devices);
	fprintf(c->out, "added %zu\n", n.added);
	fprintf(c->out, "replaced %zu\n", n.replaced);
	fprintf(c->out, "unchanged %zu\n", n.unchanged);
	fprintf(c->out, "prefix %s\n", c->prefix);
	cli_hub_public(c->out, sign_pk, kx_pk);
	rc = CLI_OK;
	goto out;
fail:
	store_rollback(c->st);
	fprintf(stderr, "stridehub: %s: nothing enrolled\n", file);
out:
	free(line);
	fclose(f);
	return rc;
}

static int
cli_device_add(struct cli *c, int argc, char **argv)
{
	uint8_t			 pk[CRYPTO_KX_PK_BYTES];
	uint8_t			 sign_pk[CRYPTO_SIGN_PK_BYTES];
	uint8_t			 kx_pk[CRYPTO_KX_PK_BYTES];
	const char		*pos[3], *why = NULL, *status, *from = NULL;
	char			 path[CLI_PATH_MAX], fpt[CRYPTO_FP_TEXT_MAX];
	char			 text[KEYFILE_DEV_PK_TEXT_MAX];
	int			 i, np = 0, replace = 0, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--replace") == 0 && !replace)
			replace = 1;
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc &&
		    from == NULL && np == 0)
			from = argv[++i];
		else if (np < 3 && argv[i][0] != '-' && from == NULL)
			pos[np++] = argv[i];
		else
			return cli_bad(c, "unexpected argument", argv[i]);
	}
	if (from != NULL)
		return cli_device_add_file(c, from, replace);
	if (np != 3)
		return cli_bad(c, "missing argument", "<runner> <device> "
		    "<stride-dev-pk1:...>");
	if ((rc = cli_id_arg(c, "invalid runner id", pos[0])) != CLI_OK ||
	    (rc = cli_id_arg(c, "invalid device id", pos[1])) != CLI_OK)
		return rc;
	if (keyfile_dev_pk_parse(pk, pos[2], &why) == -1) {
		fprintf(stderr, "stridehub: device key: %s (expected %s "
		    "followed by 43 base64url characters, as the device "
		    "shows it)\n", why != NULL ? why : "invalid",
		    KEYFILE_DEV_PK_PREFIX);
		cli_usage_of(stderr, c->cmd);
		return CLI_USAGE;
	}
	if ((rc = cli_hub_public_load(c, sign_pk, kx_pk, path,
	    sizeof(path))) != CLI_OK)
		return rc;

	if (store_begin(c->st) == -1)
		return CLI_FAIL;
	if (cli_enrol_one(c, "", pos[0], pos[1], pk, replace, &status) ==
	    -1 || store_commit(c->st) == -1) {
		store_rollback(c->st);
		return CLI_FAIL;
	}
	(void)keyfile_dev_pk_format(text, sizeof(text), pk);
	crypto_fp_text(fpt, pk);
	fprintf(c->out, "status %s\n", status);
	fprintf(c->out, "runner %s\n", pos[0]);
	fprintf(c->out, "device %s\n", pos[1]);
	fprintf(c->out, "prefix %s\n", c->prefix);
	fprintf(c->out, "topic %s/v1/%s/%s\n", c->prefix, pos[0], pos[1]);
	fprintf(c->out, "device_key %s\n", text);
	fprintf(c->out, "device_fp %s\n", fpt);
	cli_hub_public(c->out, sign_pk, kx_pk);
	return CLI_OK;
}

static int
cli_device_revoke(struct cli *c, int argc, char **argv)
{
	struct store_device	 d;
	struct store_device_key	 cur;
	char			 fpt[CRYPTO_FP_TEXT_MAX], t[CLI_BUF];
	int64_t			 runner_id, now;
	int			 rc;

	(void)argc;
	if ((rc = cli_id_arg(c, "invalid runner id", argv[0])) != CLI_OK ||
	    (rc = cli_id_arg(c, "invalid device id", argv[1])) != CLI_OK)
		return rc;
	if (store_begin(c->st) == -1)
		return CLI_FAIL;
	switch (store_runner_get(c->st, argv[0], 0, &runner_id)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "stridehub: no runner %s\n", argv[0]);
		goto fail;
	default:
		goto fail;
	}
	switch (store_device_get(c->st, runner_id, argv[0], argv[1], 0, &d)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "stridehub: no device %s/%s\n", argv[0],
		    argv[1]);
		goto fail;
	default:
		goto fail;
	}
	switch (store_device_key_active(c->st, d.id, &cur)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "stridehub: %s/%s has no active key\n",
		    argv[0], argv[1]);
		goto fail;
	default:
		goto fail;
	}
	now = clock_now_ms();
	if (store_device_key_revoke(c->st, d.id, now) != 0 ||
	    store_commit(c->st) == -1)
		goto fail;
	crypto_fp_text(fpt, cur.pk);
	fprintf(c->out, "runner %s\n", argv[0]);
	fprintf(c->out, "device %s\n", argv[1]);
	fprintf(c->out, "device_fp %s\n", fpt);
	fprintf(c->out, "added %s\n", cli_time(t, sizeof(t), cur.added_ms, 0));
	fprintf(c->out, "revoked %s\n", cli_time(t, sizeof(t), now, 0));
	return CLI_OK;
fail:
	store_rollback(c->st);
	return CLI_FAIL;
}

static int
cli_key_row(void *arg, const struct store_device_key *k)
{
	struct cli	*c = arg;
	char		 fpt[CRYPTO_FP_TEXT_MAX], a[CLI_BUF], r[CLI_BUF];
	const char	*state = "none";

	if (k->state == STORE_KEY_NONE) {
		snprintf(fpt, sizeof(fpt), "-");
		snprintf(a, sizeof(a), "-");
		snprintf(r, sizeof(r), "-");
	} else {
		crypto_fp_text(fpt, k->pk);
		cli_time(a, sizeof(a), k->added_ms, 0);
		cli_time(r, sizeof(r), k->revoked_ms, 0);
		state = k->state == STORE_KEY_ACTIVE ? "active" : "revoked";
	}
	fprintf(c->out, "%-16s %-16s %-19s  %-7s  %-20s  %s\n", k->runner,
	    k->device, fpt, state, a, r);
	return 0;
}

static int
cli_device_keys(struct cli *c, int argc, char **argv)
{
	const char	*runner;
	int		 rc;

	if ((rc = cli_runner_arg(c, argc, argv, &runner)) != CLI_OK)
		return rc;
	fprintf(c->out, "%-16s %-16s %-19s  %-7s  %-20s  %s\n", "RUNNER",
	    "DEVICE", "FINGERPRINT", "STATE", "ADDED", "REVOKED");
	return store_device_keys_walk(c->st, runner, cli_key_row, c) == 0 ?
	    CLI_OK : CLI_FAIL;
}

/*
 * runner delete <runner> [--yes]: what the runner has, then, with --yes, a
 * deletion request for the hub (store.h). The hub deletes: it owns the
 * runner's memory, their retained topics and their Home Assistant device,
 * none of which this process can reach. Without --yes nothing changes and
 * the exit status is 1, so a script that forgot it cannot carry on as if
 * the runner were gone.
 */
static int
cli_runner_delete(struct cli *c, int argc, char **argv)
{
	struct store_runner_counts	 n;
	int64_t				 rid, req;
	int				 rc, yes = 0;

	if ((rc = cli_id_arg(c, "invalid runner id", argv[0])) != CLI_OK)
		return rc;
	if (argc == 2) {
		if (strcmp(argv[1], "--yes") != 0)
			return cli_bad(c, "unknown option", argv[1]);
		yes = 1;
	}
	if (store_begin(c->st) == -1)
		return CLI_FAIL;
	switch (store_runner_get(c->st, argv[0], 0, &rid)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "stridehub: no runner %s\n", argv[0]);
		goto fail;
	default:
		goto fail;
	}
	if (store_runner_counts(c->st, rid, &n) == -1)
		goto fail;
	if (yes && store_deletion_put(c->st, rid, argv[0], clock_now_ms(),
	    &req) == -1)
		goto fail;
	if (store_commit(c->st) == -1)
		goto fail;
	fprintf(c->out, "runner %s\n", argv[0]);
	fprintf(c->out, "devices %" PRId64 "\n", n.devices);
	fprintf(c->out, "sessions %" PRId64 "\n", n.sessions);
	fprintf(c->out, "reports %" PRId64 "\n", n.reports);
	fprintf(c->out, "plans %" PRId64 "\n", n.plans);
	fprintf(c->out, "imports %" PRId64 "\n", n.imports);
	if (!yes) {
		fprintf(c->out, "status not-deleted\n");
		fprintf(stderr, "stridehub: runner %s: nothing deleted; run "
		    "again with --yes to delete all of the above\n", argv[0]);
		return CLI_FAIL;
	}
	fprintf(c->out, "status requested\n");
	fprintf(c->out, "request %" PRId64 "\n", req);
	fprintf(c->out, "the hub deletes it at its next tick (at its next "
	    "start if it is not running), with its Home Assistant device "
	    "and retained topics\n");
	return CLI_OK;
fail:
	store_rollback(c->st);
	return CLI_FAIL;
}

int
cli_main(const char *db_path, int argc, char **argv)
{
	struct cli_opts	o;

	memset(&o, 0, sizeof(o));
	o.db_path = db_path;
	return cli_run(&o, argc, argv);
}

int
cli_run(const struct cli_opts *o, int argc, char **argv)
{
	const char		*db_path = o->db_path;
	const struct cli_cmd	*cmd = NULL;
	struct cli		 c;
	char			 err[256];
	size_t			 i;
	int			 words = 0, rc;

	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		fprintf(stderr, "usage: stridehub [options] <command> "
		    "[args]\n");
		cli_usage(stderr);
		return CLI_USAGE;
	}
	/* The longest name that matches: "device add" before "device". */
	for (i = 0; i < CLI_NCMDS; i++) {
		int k = cli_match(&cli_cmds[i], argc, argv);

		if (k > words) {
			words = k;
			cmd = &cli_cmds[i];
		}
	}
	if (cmd == NULL) {
		fprintf(stderr, "stridehub: unknown command: %s\n", argv[0]);
		cli_usage(stderr);
		return CLI_USAGE;
	}
	argc -= words;
	argv += words;
	if (argc < cmd->min || argc > cmd->max) {
		fprintf(stderr, "stridehub: %s: wrong number of arguments\n",
		    cmd->name);
		cli_usage_of(stderr, cmd);
		return CLI_USAGE;
	}

	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	c.out = stdout;
	c.prefix = o->prefix != NULL && *o->prefix != '\0' ? o->prefix :
	    STRIDE_PREFIX_DEFAULT;
	if (config_key_dir(c.key_dir, sizeof(c.key_dir), db_path,
	    o->key_dir) == -1) {
		fprintf(stderr, "stridehub: key directory path too long\n");
		return CLI_USAGE;
	}
	if (!(cmd->flags & CLI_NOSTORE)) {
		if (db_path == NULL || *db_path == '\0') {
			fprintf(stderr, "stridehub: no store file set\n");
			return CLI_USAGE;
		}
		/* A read-write open would create a missing file: a typo in
		 * -f must not make an empty store, except for the command
		 * that comes first in a new installation (said aloud). */
		if ((cmd->flags & CLI_WRITE) && access(db_path, F_OK) == -1) {
			if (errno != ENOENT || !(cmd->flags & CLI_CREATE)) {
				log_warn("store: %s", db_path);
				return CLI_FAIL;
			}
			log_info("store: creating %s", db_path);
		}
		c.st = store_open(db_path, (cmd->flags & CLI_WRITE) == 0, err,
		    sizeof(err));
		if (c.st == NULL) {
			log_warnx("store: %s", err);
			return CLI_FAIL;
		}
	}
	rc = cmd->fn(&c, argc, argv);
	store_close(c.st);
	if (fflush(c.out) == EOF || ferror(c.out)) {
		log_warn("%s: writing the output", cmd->name);
		return CLI_FAIL;
	}
	return rc;
}
