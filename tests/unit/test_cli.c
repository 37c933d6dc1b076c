/*
 * test_cli.c - the admin commands against a real store in a temp dir:
 * their output lines (the formats cli.h promises), their exit statuses, and
 * usage errors. stdout and stderr are redirected to files around each
 * cli_main call.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "store.h"

#define T0	1714546800000LL		/* 2024-05-01T07:00:00Z */
#define T0_ISO	"2024-05-01T07:00:00Z"

static char	tmpdir[64];
static char	dbpath[128], outpath[128], errpath[128];
static char	*out, *err;		/* the last command's output */

/* Read a whole file into a new NUL-terminated string. */
static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL;
	long	 n;

	if (f == NULL)
		return strdup("");
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL)
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return buf != NULL ? buf : strdup("");
}

/* Run cli_main on the words given, capturing stdout and stderr. */
static int
run(const char *db, int argc, ...)
{
	char	*argv[8];
	va_list	 ap;
	int	 i, fo, fe, so, se, rc;

	va_start(ap, argc);
	for (i = 0; i < argc && i < 8; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	free(out);
	free(err);

	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fo = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fo, STDOUT_FILENO);
	dup2(fe, STDERR_FILENO);
	close(fo);
	close(fe);
	rc = cli_main(db, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	out = slurp(outpath);
	err = slurp(errpath);
	return rc;
}

/* The n-th line (0-based) of s, copied into buf; NULL past the end. */
static const char *
line(const char *s, int n, char *buf, size_t len)
{
	const char	*e;

	while (n-- > 0) {
		if ((s = strchr(s, '\n')) == NULL)
			return NULL;
		s++;
	}
	if (*s == '\0')
		return NULL;
	e = strchr(s, '\n');
	if (e == NULL)
		e = s + strlen(s);
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	return buf;
}

static int
nlines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The value after "key " on the line starting with key, or NULL. */
static const char *
value(const char *s, const char *key, char *buf, size_t len)
{
	char	l[256];
	int	i;

	for (i = 0; line(s, i, l, sizeof(l)) != NULL; i++) {
		size_t k = strlen(key);
		const char *v;

		if (strncmp(l, key, k) != 0 || l[k] != ' ')
			continue;
		for (v = l + k; *v == ' '; v++)
			;
		snprintf(buf, len, "%s", v);
		return buf;
	}
	return NULL;
}

/* Count non-overlapping occurrences of needle. */
static int
count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* A small strict JSON checker: 0 if s is exactly one JSON value. */
static const char *json_value(const char *);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (*p == '\0' || (unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && *++p == '\0')
			return NULL;
	}
	return p + 1;
}

static const char *
json_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

static const char *
json_list(const char *p, char close, int keys)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			if ((p = json_string(json_ws(p))) == NULL)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if ((p = json_value(p)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p)
{
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_list(p, '}', 1);
	case '[':
		return json_list(p, ']', 0);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return json_number(p);
	}
}

static int
json_valid(const char *s)
{
	const char *p = json_value(s);

	return p != NULL && *json_ws(p) == '\0';
}

static void
json_checker_selftest(void)
{
	CHECK(json_valid("{\"a\":[1,2.5,-3e2,{\"b\":null}],\"c\":true}\n"));
	CHECK(!json_valid("{\"a\":1,}"));
	CHECK(!json_valid("{\"a\":01}"));
	CHECK(!json_valid("[1,2"));
	CHECK(!json_valid("{\"a\":nan}"));
	CHECK(!json_valid("{} {}"));
}

/* The fixture: alice (pod + watch, one closed and one open session), bob
 * (a device, one open session), carol (nothing). */
static struct session_summary	fx_sum;
static int64_t			fx_closed, fx_open_alice, fx_open_bob;
static size_t			fx_npod, fx_nwatch;

static int
build(void)
{
	struct store		*st;
	struct store_device	 pod, watch, bobpod;
	struct stride_sample	 s[STRIDE_SAMPLES_MAX];
	char			 e[256];
	int64_t			 a, b, c;
	uint32_t		 seq;
	int			 i;

	if ((st = store_open(dbpath, 0, e, sizeof(e))) == NULL) {
		fprintf(stderr, "store_open: %s\n", e);
		return -1;
	}
	CHECK(store_runner_get(st, "alice", 1, &a) == 0);
	CHECK(store_runner_get(st, "bob", 1, &b) == 0);
	CHECK(store_runner_get(st, "carol", 1, &c) == 0);
	CHECK(store_device_get(st, a, "alice", "pod1", 1, &pod) == 0);
	CHECK(store_device_get(st, a, "alice", "watch1", 1, &watch) == 0);
	CHECK(store_device_get(st, b, "bob", "pod2", 1, &bobpod) == 0);
	pod.role = STRIDE_ROLE_FOOTPOD;
	pod.battery = 64;
	pod.online = 1;
	pod.last_seen_ms = T0 + 90000;
	pod.dd.epoch = 3;
	pod.dd.top = 5;
	pod.dd.acked = 5;
	watch.role = STRIDE_ROLE_WATCH;
	CHECK(store_begin(st) == 0);
	CHECK(store_device_save(st, &pod) == 0);
	CHECK(store_device_save(st, &watch) == 0);

	CHECK(store_session_new(st, a, T0, &fx_closed) == 0);
	for (seq = 1; seq <= 5; seq++) {	/* pod: 5 x 16 at 1 Hz */
		for (i = 0; i < 16; i++) {
			int k = (int)(seq - 1) * 16 + i;

			memset(&s[i], 0, sizeof(s[i]));
			s[i].t_ms = T0 + (int64_t)k * 1000;
			s[i].cad_spm = 170.0f + (float)(k % 5);
			s[i].spd_mps = 3.0f;
			s[i].dist_m = 3.0 * k;
			s[i].has = STRIDE_HAS_CAD | STRIDE_HAS_SPD |
			    STRIDE_HAS_DIST;
		}
		CHECK(store_chunk_put(st, fx_closed, pod.id, 3, seq, s, 16) ==
		    0);
	}
	fx_npod = 80;
	for (seq = 1; seq <= 2; seq++) {	/* watch: 2 x 10 at 0.25 Hz */
		for (i = 0; i < 10; i++) {
			int k = (int)(seq - 1) * 10 + i;

			memset(&s[i], 0, sizeof(s[i]));
			s[i].t_ms = T0 + 500 + (int64_t)k * 4000;
			s[i].spd_mps = 3.05f;
			s[i].dist_m = 12.2 * k;
			s[i].alt_m = 100.0f + (float)k;
			s[i].grade_pct = 2.5f;
			s[i].has = STRIDE_HAS_SPD | STRIDE_HAS_DIST |
			    STRIDE_HAS_ALT | STRIDE_HAS_GRADE;
		}
		CHECK(store_chunk_put(st, fx_closed, watch.id, 1, seq, s, 10) ==
		    0);
	}
	fx_nwatch = 20;

	memset(&fx_sum, 0, sizeof(fx_sum));
	fx_sum.start_ms = T0;
	fx_sum.end_ms = T0 + 80000;
	fx_sum.moving_s = 79.0;
	fx_sum.distance_m = 240.0;
	fx_sum.avg_speed_mps = 240.0 / 79.0;	/* 329.2 s/km: 5:29 */
	fx_sum.max_speed_mps = 3.05;
	fx_sum.avg_cadence_spm = 172.0;
	fx_sum.avg_step_m = 1.06;
	fx_sum.band_s[2] = 40.0;
	fx_sum.band_m[2] = 120.0;
	fx_sum.band_s[3] = 39.0;
	fx_sum.band_m[3] = 120.0;
	fx_sum.samples = (uint32_t)(fx_npod + fx_nwatch);
	fx_sum.devices = 2;
	CHECK(store_session_close(st, fx_closed, &fx_sum) == 0);

	CHECK(store_session_new(st, a, T0 + 86400000, &fx_open_alice) == 0);
	CHECK(store_session_new(st, b, T0 + 3600000, &fx_open_bob) == 0);
	memset(&s[0], 0, sizeof(s[0]));
	s[0].t_ms = T0 + 3600000;
	s[0].cad_spm = 160;
	s[0].has = STRIDE_HAS_CAD;
	CHECK(store_chunk_put(st, fx_open_bob, bobpod.id, 1, 1, s, 1) == 0);
	CHECK(store_commit(st) == 0);
	store_close(st);
	return 0;
}

static void
test_usage_errors(void)
{
	CHECK(run(dbpath, 0) == 2);
	CHECK(strstr(err, "commands:") != NULL);
	CHECK(run(dbpath, 1, "frobnicate") == 2);
	CHECK(strstr(err, "frobnicate") != NULL && *out == '\0');
	CHECK(run(dbpath, 2, "runners", "extra") == 2);
	CHECK(strstr(err, "usage: stridehub runners") != NULL);
	CHECK(run(dbpath, 1, "session") == 2);
	CHECK(run(dbpath, 3, "session", "1", "2") == 2);
	CHECK(run(dbpath, 2, "session", "abc") == 2);
	CHECK(run(dbpath, 2, "session", "-1") == 2);
	CHECK(run(dbpath, 2, "session", "0") == 2);
	CHECK(run(dbpath, 2, "session", "12x") == 2);
	CHECK(run(dbpath, 2, "devices", "Not_An_Id") == 2);
	CHECK(run(dbpath, 3, "export", "1", "--xml") == 2);
	CHECK(run(dbpath, 3, "export", "--csv", "--json") == 2);
	CHECK(run(dbpath, 2, "export", "--csv") == 2);
	CHECK(run(dbpath, 1, "runner") == 2);	/* no prefix matching */

	/* help: the same list, on stdout, success. */
	CHECK(run(NULL, 1, "help") == 0);
	CHECK(strstr(out, "commands:") != NULL);
	CHECK(strstr(out, "export <id> --csv|--json") != NULL);
}

static void
test_missing_store(void)
{
	char	missing[160];

	snprintf(missing, sizeof(missing), "%s/missing.db", tmpdir);
	CHECK(run(missing, 1, "runners") == 1);
	CHECK(*err != '\0' && *out == '\0');
	CHECK(access(missing, F_OK) == -1);
	CHECK(run(NULL, 1, "runners") == 2);
}

static void
test_runners_devices(void)
{
	char	l[256], name[64], created[64];
	unsigned devices, sessions;

	CHECK(run(dbpath, 1, "runners") == 0);
	CHECK(nlines(out) == 4);
	CHECK(line(out, 0, l, sizeof(l)) != NULL && strncmp(l, "RUNNER", 6) == 0);
	CHECK(line(out, 1, l, sizeof(l)) != NULL &&
	    sscanf(l, "%63s %u %u %63s", name, &devices, &sessions,
	    created) == 4);
	CHECK(strcmp(name, "alice") == 0 && devices == 2 && sessions == 2);
	CHECK(strlen(created) == strlen(T0_ISO) &&
	    created[strlen(created) - 1] == 'Z');
	CHECK(line(out, 2, l, sizeof(l)) != NULL &&
	    sscanf(l, "%63s %u %u", name, &devices, &sessions) == 3);
	CHECK(strcmp(name, "bob") == 0 && devices == 1 && sessions == 1);
	CHECK(line(out, 3, l, sizeof(l)) != NULL &&
	    sscanf(l, "%63s %u %u", name, &devices, &sessions) == 3);
	CHECK(strcmp(name, "carol") == 0 && devices == 0 && sessions == 0);

	CHECK(run(dbpath, 1, "devices") == 0);
	CHECK(nlines(out) == 4);
	CHECK(run(dbpath, 2, "devices", "alice") == 0);
	CHECK(nlines(out) == 3);
	{
		char r[64], d[64], role[64], state[64], bat[64], seen[64],
		    ack[64];

		CHECK(line(out, 1, l, sizeof(l)) != NULL &&
		    sscanf(l, "%63s %63s %63s %63s %63s %63s %63s", r, d, role,
		    state, bat, seen, ack) == 7);
		CHECK(strcmp(d, "pod1") == 0 && strcmp(role, "footpod") == 0 &&
		    strcmp(state, "online") == 0 && strcmp(bat, "64%") == 0 &&
		    strcmp(seen, "2024-05-01T07:01:30Z") == 0 &&
		    strcmp(ack, "3/5") == 0);
		CHECK(line(out, 2, l, sizeof(l)) != NULL &&
		    sscanf(l, "%63s %63s %63s %63s %63s %63s %63s", r, d, role,
		    state, bat, seen, ack) == 7);
		CHECK(strcmp(d, "watch1") == 0 && strcmp(role, "watch") == 0 &&
		    strcmp(state, "offline") == 0 && strcmp(bat, "-") == 0 &&
		    strcmp(seen, "-") == 0 && strcmp(ack, "-") == 0);
	}
	CHECK(run(dbpath, 2, "devices", "carol") == 0);
	CHECK(nlines(out) == 1);
	CHECK(run(dbpath, 2, "devices", "nobody") == 1);
	CHECK(strstr(err, "nobody") != NULL);
}

static void
test_sessions(void)
{
	char		l[256], runner[64], state[64], start[64], dur[64],
			km[64], pace[64];
	long long	id;
	int		i, found = 0;

	CHECK(run(dbpath, 1, "sessions") == 0);
	CHECK(nlines(out) == 4);
	for (i = 1; line(out, i, l, sizeof(l)) != NULL; i++) {
		CHECK(sscanf(l, "%lld %63s %63s %63s %63s %63s %63s", &id,
		    runner, state, start, dur, km, pace) == 7);
		if (id != fx_closed)
			continue;
		found = 1;
		CHECK(strcmp(runner, "alice") == 0);
		CHECK(strcmp(state, "closed") == 0);
		CHECK(strcmp(start, T0_ISO) == 0);
		CHECK(strcmp(dur, "0:01:20") == 0);
		CHECK(strcmp(km, "0.24") == 0);
		CHECK(strcmp(pace, "5:29") == 0);
	}
	CHECK(found);
	/* Oldest first: the closed one, bob's, alice's next-day one. */
	CHECK(line(out, 1, l, sizeof(l)) != NULL && atoll(l) == fx_closed);
	CHECK(line(out, 2, l, sizeof(l)) != NULL && atoll(l) == fx_open_bob);
	CHECK(line(out, 3, l, sizeof(l)) != NULL && atoll(l) == fx_open_alice);

	CHECK(run(dbpath, 2, "sessions", "bob") == 0);
	CHECK(nlines(out) == 2);
	CHECK(line(out, 1, l, sizeof(l)) != NULL &&
	    sscanf(l, "%lld %63s %63s %63s %63s %63s %63s", &id, runner, state,
	    start, dur, km, pace) == 7);
	CHECK(id == fx_open_bob && strcmp(state, "open") == 0 &&
	    strcmp(km, "-") == 0 && strcmp(pace, "-") == 0);
	CHECK(run(dbpath, 2, "sessions", "carol") == 0 && nlines(out) == 1);
	CHECK(run(dbpath, 2, "sessions", "nobody") == 1);
}

static void
test_session(void)
{
	char	id[32], v[128], l[256], dev[64], role[64];
	int	i, rows = 0;
	size_t	n;

	snprintf(id, sizeof(id), "%lld", (long long)fx_closed);
	CHECK(run(dbpath, 2, "session", id) == 0);
	CHECK(value(out, "session", v, sizeof(v)) && strcmp(v, id) == 0);
	CHECK(value(out, "runner", v, sizeof(v)) && strcmp(v, "alice") == 0);
	CHECK(value(out, "state", v, sizeof(v)) && strcmp(v, "closed") == 0);
	CHECK(value(out, "start", v, sizeof(v)) && strcmp(v, T0_ISO) == 0);
	CHECK(value(out, "end", v, sizeof(v)) &&
	    strcmp(v, "2024-05-01T07:01:20Z") == 0);
	CHECK(value(out, "duration", v, sizeof(v)) &&
	    strcmp(v, "0:01:20") == 0);
	CHECK(value(out, "moving", v, sizeof(v)) && strcmp(v, "0:01:19") == 0);
	CHECK(value(out, "distance", v, sizeof(v)) &&
	    strcmp(v, "0.24 km") == 0);
	CHECK(value(out, "pace", v, sizeof(v)) &&
	    strcmp(v, "5:29 min/km") == 0);
	CHECK(value(out, "avg_speed", v, sizeof(v)) &&
	    strcmp(v, "3.04 m/s") == 0);
	CHECK(value(out, "max_speed", v, sizeof(v)) &&
	    strcmp(v, "3.05 m/s") == 0);
	CHECK(value(out, "avg_cadence", v, sizeof(v)) &&
	    strcmp(v, "172.0 spm") == 0);
	CHECK(value(out, "avg_step", v, sizeof(v)) &&
	    strcmp(v, "1.06 m") == 0);
	CHECK(value(out, "devices", v, sizeof(v)) && strcmp(v, "2") == 0);
	CHECK(value(out, "samples", v, sizeof(v)) && strcmp(v, "100") == 0);
	/* Gradient bands: a row per band, the time and km we stored. */
	CHECK(value(out, "GRADE", v, sizeof(v)) != NULL);
	CHECK(value(out, "2..4%", v, sizeof(v)) &&
	    strcmp(v, "0:00:40  0.12") == 0);
	CHECK(value(out, "4..8%", v, sizeof(v)) &&
	    strcmp(v, "0:00:39  0.12") == 0);
	CHECK(value(out, "<-2%", v, sizeof(v)) &&
	    strcmp(v, "0:00:00  0.00") == 0);
	CHECK(value(out, ">8%", v, sizeof(v)) != NULL);
	/* Devices, with the samples actually stored. */
	for (i = 0; line(out, i, l, sizeof(l)) != NULL; i++) {
		if (sscanf(l, "%63s %63s %zu", dev, role, &n) != 3)
			continue;
		if (strcmp(dev, "pod1") == 0) {
			CHECK(strcmp(role, "footpod") == 0 && n == fx_npod);
			rows++;
		} else if (strcmp(dev, "watch1") == 0) {
			CHECK(strcmp(role, "watch") == 0 && n == fx_nwatch);
			rows++;
		}
	}
	CHECK(rows == 2);

	snprintf(id, sizeof(id), "%lld", (long long)fx_open_bob);
	CHECK(run(dbpath, 2, "session", id) == 0);
	CHECK(value(out, "state", v, sizeof(v)) && strcmp(v, "open") == 0);
	CHECK(value(out, "summary", v, sizeof(v)) &&
	    strcmp(v, "pending") == 0);
	CHECK(value(out, "distance", v, sizeof(v)) == NULL);
	CHECK(value(out, "pod2", v, sizeof(v)) != NULL);

	CHECK(run(dbpath, 2, "session", "999999") == 1);
	CHECK(*out == '\0' && strstr(err, "999999") != NULL);
}

static void
test_export(void)
{
	char		id[32], l[256], prev_dev[64] = "";
	long long	prev_t = 0;
	int		i, commas, pods = 0, watches = 0, sorted = 1;

	snprintf(id, sizeof(id), "%lld", (long long)fx_closed);
	CHECK(run(dbpath, 3, "export", id, "--csv") == 0);
	CHECK(line(out, 0, l, sizeof(l)) != NULL && strcmp(l,
	    "device,role,t_ms,time,cad_spm,spd_mps,grade_pct,alt_m,dist_m") ==
	    0);
	CHECK(nlines(out) == (int)(1 + fx_npod + fx_nwatch));
	for (i = 1; line(out, i, l, sizeof(l)) != NULL; i++) {
		char dev[64], role[64];
		long long t;
		const char *c;

		for (commas = 0, c = l; *c != '\0'; c++)
			commas += *c == ',';
		CHECK(commas == 8);
		CHECK(sscanf(l, "%63[^,],%63[^,],%lld,", dev, role, &t) == 3);
		if (strcmp(dev, prev_dev) == 0 && t < prev_t)
			sorted = 0;
		snprintf(prev_dev, sizeof(prev_dev), "%s", dev);
		prev_t = t;
		if (strcmp(dev, "pod1") == 0) {
			pods++;
			CHECK(strcmp(role, "footpod") == 0);
			/* cad and spd set, grade and alt empty. */
			CHECK(strstr(l, ",,,") != NULL);
		} else if (strcmp(dev, "watch1") == 0) {
			watches++;
			CHECK(strstr(l, ",,") != NULL &&
			    strstr(l, ",,,") == NULL);
		}
	}
	CHECK(sorted);
	CHECK(pods == (int)fx_npod && watches == (int)fx_nwatch);
	CHECK(strstr(out, "pod1,footpod,1714546800000,"
	    "2024-05-01T07:00:00.000Z,170.0,3.00,,,0.00\n") != NULL);
	CHECK(strstr(out, "watch1,watch,1714546800500,"
	    "2024-05-01T07:00:00.500Z,,3.05,2.5,100.0,0.00\n") != NULL);

	/* Flag first works too; JSON is one valid object. */
	CHECK(run(dbpath, 3, "export", "--json", id) == 0);
	CHECK(json_valid(out));
	CHECK(nlines(out) == 1);
	CHECK(count(out, "{\"t\":") == (int)(fx_npod + fx_nwatch));
	CHECK(strstr(out, "\"runner\":\"alice\"") != NULL);
	CHECK(strstr(out, "\"open\":false") != NULL);
	CHECK(strstr(out, "\"distance_m\":240.00") != NULL);
	CHECK(count(out, "\"min_pct\"") == 5);
	CHECK(strstr(out, "\"device\":\"pod1\",\"role\":\"footpod\"") != NULL);
	CHECK(strstr(out, "{\"t\":1714546800000,\"cad\":170.0,\"spd\":3.00,"
	    "\"dist\":0.00}") != NULL);

	snprintf(id, sizeof(id), "%lld", (long long)fx_open_bob);
	CHECK(run(dbpath, 3, "export", id, "--json") == 0);
	CHECK(json_valid(out));
	CHECK(strstr(out, "\"summary\":null") != NULL);
	CHECK(count(out, "{\"t\":") == 1);

	/* No samples: a valid empty export. */
	snprintf(id, sizeof(id), "%lld", (long long)fx_open_alice);
	CHECK(run(dbpath, 3, "export", id, "--json") == 0);
	CHECK(json_valid(out) && strstr(out, "\"devices\":[]") != NULL);
	CHECK(run(dbpath, 3, "export", id, "--csv") == 0);
	CHECK(nlines(out) == 1);

	CHECK(run(dbpath, 3, "export", "999999", "--csv") == 1);
	CHECK(*out == '\0');
}

int
main(void)
{
	int	ok;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cli.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmpdir);
	snprintf(outpath, sizeof(outpath), "%s/out", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);

	json_checker_selftest();
	ok = build() == 0;
	CHECK(ok);
	if (ok) {
		test_usage_errors();
		test_missing_store();
		test_runners_devices();
		test_sessions();
		test_session();
		test_export();
	}

	free(out);
	free(err);
	unlink(outpath);
	unlink(errpath);
	unlink(dbpath);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
	rmdir(tmpdir);
	return check_done("test_cli");
}
