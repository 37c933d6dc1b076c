/*
 * sealtool.c - the sealed envelopes of docs/protocol.md (sections 17-21)
 * from the shell, for the integration tests and benchmarks: seal what a
 * device would send with the key and trust files an agent wrote, open what
 * the hub sends a device, and damage bytes on purpose. Built as
 * $BUILD_DIR/tests/sealtool.
 *
 * Device side (DIR is an agent's --state-dir: DIR/DEVICE.key is the device
 * key, DIR/DEVICE.trust its trust in the hub, as `stride-agent keygen` and
 * `enrol` wrote them):
 *
 *   sealtool seal DIR DEVICE RUNNER KIND EPOCH SEQ [AD_DEVICE]
 *	JSON on stdin (1..4096 bytes, a trailing newline is dropped) -> the
 *	sealed envelope on stdout, as DEVICE of RUNNER would publish it on
 *	RUNNER/DEVICE/KIND. KIND: telemetry|event|symptom|status (status: SEQ
 *	0). The header's epoch and seq are EPOCH and SEQ, whatever the JSON
 *	says (so a test can make them differ). AD_DEVICE: bind another device
 *	id than DEVICE into the envelope (a forgery aimed at that device's
 *	topic, sealed with DEVICE's key).
 *   sealtool open-ack DIR DEVICE RUNNER
 *	a sealed ack on stdin -> "EPOCH SEQ" (the authenticated header; the
 *	JSON's epoch and seq are checked against it).
 *   sealtool open-relay DIR DEVICE RUNNER
 *	a sealed relay on stdin -> "EPOCH SEQ", then the symptom JSON.
 *   sealtool open-plan DIR DEVICE RUNNER [--now MS] [--accept]
 *	a sealed plan on stdin -> five lines:
 *	    verdict new|same|expired
 *	    version V
 *	    issued_ms MS
 *	    expires_ms MS
 *	    <the plan JSON, byte for byte>
 *	judged against DIR/DEVICE.trust at now (default: the clock). With
 *	--accept, a NEW plan's version is written to DIR/DEVICE.trust (as a
 *	device does once it stored the plan). A refused plan: exit 1 and
 *	"sealtool: REASON" on stderr (the reasons of docs/protocol.md section 25).
 *   sealtool open-beat DIR DEVICE
 *	a heartbeat on stdin -> "new|old HUB_MS SEQ".
 *   sealtool apply-keys DIR DEVICE [--save]
 *	a rotation chain on stdin -> "applied N"; --save writes the trust.
 *
 * Hub side (KEYDIR holds hub.key, as `stridehub key init` wrote it; a
 * KEYDIR of a hub the device does not trust makes forgeries):
 *
 *   sealtool hub-open KEYDIR DIR DEVICE RUNNER KIND
 *	a device's envelope on stdin -> "EPOCH SEQ", then the JSON: what the
 *	hub would read, with the device's public key from DIR/DEVICE.key.
 *   sealtool hub-seal-plan KEYDIR DIR DEVICE RUNNER VERSION TTL_MS
 *	    [ISSUED_MS]
 *	plan JSON on stdin -> a sealed plan for DEVICE (signed with KEYDIR's
 *	key), issued at ISSUED_MS (default now), expiring TTL_MS later.
 *
 * Bytes (stdin -> stdout, at most 64 KiB):
 *
 *   sealtool header            print "kind K flags F epoch E seq S len L"
 *                              of an envelope (not authenticated)
 *   sealtool flip N            XOR byte N with 0x01 (N < 0: from the end)
 *   sealtool truncate N        keep the first N bytes (N < 0: drop -N)
 *   sealtool extend N [BYTE]   append N bytes of BYTE (default 0)
 *
 * The spelling tests/integration/lib.sh uses (note: RUNNER before DEVICE,
 * input from the command line, not stdin):
 *
 *   sealtool seal --state-dir DIR RUNNER DEVICE KIND JSON
 *	as `seal` above, the header's epoch and seq taken from the JSON's
 *	"epoch" and "seq" (status: seq 0).
 *   sealtool open-plan --state-dir DIR RUNNER DEVICE FILE
 *	only the plan JSON on stdout (an expired plan too, with "sealtool:
 *	verdict expired" on stderr); exit 1 with the reason if refused.
 *   sealtool open-ack --state-dir DIR RUNNER DEVICE FILE
 *   sealtool open-relay --state-dir DIR RUNNER DEVICE FILE
 *	only the JSON of the ack / relay (its epoch and seq checked against
 *	the envelope's).
 *
 * A passphrase-protected key: set SEALTOOL_PASSPHRASE. Exit status: 0,
 * 1 refused or failed (reason on stderr), 2 usage.
 *
 * Never: used by the hub or the agents, nor shipped; it prints no secret.
 * Uses libsodium only through stride/crypto.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/protocol.h"

#define SEALTOOL_IN_MAX	65536	/* bytes read from stdin */
#define SEALTOOL_PATH	1024

static unsigned char	sealtool_in[SEALTOOL_IN_MAX + 1];
static size_t		sealtool_in_len;
static int		sealtool_preloaded;	/* input from argv, not stdin */
static int		sealtool_lib;		/* lib.sh's spelling: JSON only */

static void
sealtool_usage(void)
{
	fprintf(stderr,
	    "usage: sealtool seal DIR DEVICE RUNNER KIND EPOCH SEQ [AD_DEVICE]\n"
	    "       sealtool open-ack|open-relay DIR DEVICE RUNNER\n"
	    "       sealtool open-plan DIR DEVICE RUNNER [--now MS] [--accept]\n"
	    "       sealtool open-beat DIR DEVICE\n"
	    "       sealtool apply-keys DIR DEVICE [--save]\n"
	    "       sealtool hub-open KEYDIR DIR DEVICE RUNNER KIND\n"
	    "       sealtool hub-seal-plan KEYDIR DIR DEVICE RUNNER VERSION "
	    "TTL_MS [ISSUED_MS]\n"
	    "       sealtool header | flip N | truncate N | extend N [BYTE]\n");
	exit(2);
}

static void
sealtool_die(const char *what, const char *why)
{
	fprintf(stderr, "sealtool: %s%s%s\n", what, why != NULL ? ": " : "",
	    why != NULL ? why : "");
	exit(1);
}

/* All of stdin, refused above SEALTOOL_IN_MAX. */
static void
sealtool_read_stdin(void)
{
	size_t n;

	if (sealtool_preloaded)
		return;
	while ((n = fread(sealtool_in + sealtool_in_len, 1,
	    sizeof(sealtool_in) - sealtool_in_len, stdin)) > 0) {
		sealtool_in_len += n;
		if (sealtool_in_len > SEALTOOL_IN_MAX)
			sealtool_die("input", "over 64 KiB");
	}
	if (ferror(stdin))
		sealtool_die("stdin", strerror(errno));
}

static void
sealtool_write(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
		sealtool_die("stdout", strerror(errno));
}

static long long
sealtool_num(const char *s, long long lo, long long hi)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno == ERANGE || v < lo ||
	    v > hi) {
		fprintf(stderr, "sealtool: %s: want an integer in %lld..%lld\n",
		    s, lo, hi);
		exit(2);
	}
	return v;
}

static int64_t
sealtool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sealtool_path(char *buf, const char *dir, const char *name, const char *ext)
{
	if (snprintf(buf, SEALTOOL_PATH, "%s/%s%s", dir, name, ext) >=
	    SEALTOOL_PATH)
		sealtool_die(dir, "path too long");
}

static void
sealtool_load_device(struct crypto_device_key *dev, const char *dir,
    const char *device)
{
	char		 path[SEALTOOL_PATH];
	const char	*why = NULL;

	sealtool_path(path, dir, device, ".key");
	if (keyfile_load_device(dev, path, getenv("SEALTOOL_PASSPHRASE"),
	    &why) != KEYFILE_OK)
		sealtool_die(path, why != NULL ? why :
		    "protected: set SEALTOOL_PASSPHRASE");
}

static void
sealtool_load_trust(struct crypto_trust *t, const char *dir,
    const char *device)
{
	char		 path[SEALTOOL_PATH];
	uint8_t		 buf[CRYPTO_TRUST_BYTES + 1];
	size_t		 len = 0;
	const char	*why = NULL;

	sealtool_path(path, dir, device, ".trust");
	if (keyfile_read_private(buf, sizeof(buf), &len, path, &why) == -1 ||
	    crypto_trust_load(t, buf, len, &why) == -1)
		sealtool_die(path, why);
}

static void
sealtool_save_trust(const struct crypto_trust *t, const char *dir,
    const char *device)
{
	char		 path[SEALTOOL_PATH];
	uint8_t		 buf[CRYPTO_TRUST_BYTES];
	const char	*why = NULL;

	sealtool_path(path, dir, device, ".trust");
	crypto_trust_save(buf, t);
	if (keyfile_write_atomic(path, buf, sizeof(buf), KEYFILE_REPLACE,
	    &why) == -1)
		sealtool_die(path, why);
}

static void
sealtool_load_hub(struct crypto_hub_identity *hub, const char *keydir)
{
	char		 path[SEALTOOL_PATH];
	const char	*why = NULL;

	sealtool_path(path, keydir, "hub", ".key");
	if (keyfile_load_hub(hub, path, getenv("SEALTOOL_PASSPHRASE"),
	    &why) != KEYFILE_OK)
		sealtool_die(path, why != NULL ? why :
		    "protected: set SEALTOOL_PASSPHRASE");
}

/* The device's session with the hub it trusts. */
static void
sealtool_session(struct crypto_session *s, struct crypto_trust *t,
    const char *dir, const char *device)
{
	struct crypto_device_key dev;

	sealtool_load_device(&dev, dir, device);
	sealtool_load_trust(t, dir, device);
	if (crypto_session_device(s, &dev, t->hub_kx_pk) == -1)
		sealtool_die("session", "unusable hub key");
	crypto_wipe(&dev, sizeof(dev));
}

static void
sealtool_id(const char *id)
{
	if (!stride_id_valid(id, strlen(id))) {
		fprintf(stderr, "sealtool: %s: not a protocol id\n", id);
		exit(2);
	}
}

static enum stride_kind
sealtool_kind(const char *name)
{
	enum stride_kind k = stride_kind_parse(name, strlen(name));

	if (k == STRIDE_KIND_NONE) {
		fprintf(stderr, "sealtool: %s: not a kind\n", name);
		exit(2);
	}
	return k;
}

/* Parse "v":1-style JSON counters the cheap way: enough for a check. */
static int
sealtool_json_u32(const char *json, size_t len, const char *key,
    unsigned long *out)
{
	char	 pat[32], buf[STRIDE_PAYLOAD_MAX + 1];
	char	*p;

	if (len > STRIDE_PAYLOAD_MAX)
		return -1;
	memcpy(buf, json, len);
	buf[len] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(buf, pat)) == NULL)
		return -1;
	*out = strtoul(p + strlen(pat), NULL, 10);
	return 0;
}

static int
sealtool_seal(int argc, char *argv[])
{
	struct crypto_session	 s;
	struct crypto_trust	 t;
	enum stride_kind	 kind;
	uint8_t			 out[STRIDE_SEALED_MAX];
	size_t			 out_len = 0, n;
	uint32_t		 epoch, seq;
	const char		*ad_device;

	if (argc != 8 && argc != 9)
		sealtool_usage();
	sealtool_id(argv[3]);
	sealtool_id(argv[4]);
	kind = sealtool_kind(argv[5]);
	epoch = (uint32_t)sealtool_num(argv[6], 0, UINT32_MAX);
	seq = (uint32_t)sealtool_num(argv[7], 0, UINT32_MAX);
	ad_device = argc == 9 ? argv[8] : argv[3];
	sealtool_id(ad_device);
	sealtool_read_stdin();
	n = sealtool_in_len;
	if (n > 0 && sealtool_in[n - 1] == '\n')
		n--;
	if (n == 0 || n > STRIDE_PAYLOAD_MAX)
		sealtool_die("seal", "the JSON must be 1..4096 bytes");
	sealtool_session(&s, &t, argv[2], argv[3]);
	if (crypto_msg_seal(out, sizeof(out), &out_len, sealtool_in, n, kind,
	    epoch, seq, argv[4], ad_device, s.tx) == -1)
		sealtool_die("seal", "refused (kind, epoch or seq out of "
		    "range for a device message)");
	crypto_wipe(&s, sizeof(s));
	sealtool_write(out, out_len);
	return 0;
}

/* Open what the hub sealed for a device (ack, relay). */
static int
sealtool_open_dev(int argc, char *argv[], enum stride_kind kind)
{
	struct crypto_session	 s;
	struct crypto_trust	 t;
	char			 msg[STRIDE_PAYLOAD_MAX];
	size_t			 len = 0;
	uint32_t		 epoch = 0, seq = 0;
	unsigned long		 je, js;
	const char		*why = NULL;

	if (argc != 5)
		sealtool_usage();
	sealtool_id(argv[3]);
	sealtool_id(argv[4]);
	sealtool_read_stdin();
	sealtool_session(&s, &t, argv[2], argv[3]);
	if (crypto_msg_open(msg, sizeof(msg), &len, &epoch, &seq, sealtool_in,
	    sealtool_in_len, kind, argv[4], argv[3], s.rx, &why) == -1)
		sealtool_die(stride_kind_name(kind), why);
	crypto_wipe(&s, sizeof(s));
	if (sealtool_json_u32(msg, len, "epoch", &je) == -1 ||
	    sealtool_json_u32(msg, len, "seq", &js) == -1 ||
	    je != epoch || js != seq)
		sealtool_die(stride_kind_name(kind),
		    "JSON epoch/seq differ from the envelope's");
	if (!sealtool_lib)
		printf("%lu %lu\n", (unsigned long)epoch, (unsigned long)seq);
	if (kind != STRIDE_KIND_ACK || sealtool_lib) {
		sealtool_write(msg, len);
		printf("\n");
	}
	return 0;
}

static int
sealtool_open_plan(int argc, char *argv[])
{
	static char			 plan[PLAN_JSON_MAX];
	struct crypto_device_key	 dev;
	struct crypto_trust		 t;
	struct crypto_plan_info		 info;
	enum crypto_plan_verdict	 v;
	size_t				 len = 0;
	int64_t				 now = sealtool_now_ms();
	int				 i, accept = 0;
	const char			*why = NULL, *name;

	if (argc < 5)
		sealtool_usage();
	for (i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--accept") == 0)
			accept = 1;
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = sealtool_num(argv[++i], 0, INT64_MAX);
		else
			sealtool_usage();
	}
	sealtool_id(argv[3]);
	sealtool_id(argv[4]);
	sealtool_read_stdin();
	sealtool_load_device(&dev, argv[2], argv[3]);
	sealtool_load_trust(&t, argv[2], argv[3]);
	v = crypto_plan_open(plan, sizeof(plan), &len, &info, sealtool_in,
	    sealtool_in_len, argv[4], argv[3], now, &t, &dev, &why);
	crypto_wipe(&dev, sizeof(dev));
	switch (v) {
	case CRYPTO_PLAN_NEW:
		name = "new";
		break;
	case CRYPTO_PLAN_SAME:
		name = "same";
		break;
	case CRYPTO_PLAN_EXPIRED:
		name = "expired";
		break;
	default:
		sealtool_die("plan", why);
		return 1;
	}
	if (accept && v == CRYPTO_PLAN_NEW) {
		crypto_trust_plan_accepted(&t, &info);
		sealtool_save_trust(&t, argv[2], argv[3]);
	}
	if (sealtool_lib && v == CRYPTO_PLAN_EXPIRED)
		fprintf(stderr, "sealtool: verdict expired\n");
	if (!sealtool_lib)
		printf("verdict %s\nversion %llu\nissued_ms %lld\n"
		    "expires_ms %lld\n", name, (unsigned long long)info.version,
	    (long long)info.issued_ms, (long long)info.expires_ms);
	sealtool_write(plan, len);
	printf("\n");
	return 0;
}

static int
sealtool_open_beat(int argc, char *argv[])
{
	struct crypto_trust	 t;
	struct crypto_beat	 b;
	const char		*why = NULL;
	int			 rc;

	if (argc != 4)
		sealtool_usage();
	sealtool_id(argv[3]);
	sealtool_read_stdin();
	sealtool_load_trust(&t, argv[2], argv[3]);
	if ((rc = crypto_beat_open(&b, sealtool_in, sealtool_in_len, &t,
	    &why)) == -1)
		sealtool_die("heartbeat", why);
	printf("%s %lld %llu\n", rc == 0 ? "new" : "old", (long long)b.hub_ms,
	    (unsigned long long)b.seq);
	return 0;
}

static int
sealtool_apply_keys(int argc, char *argv[])
{
	struct crypto_trust	 t;
	unsigned		 applied = 0;
	const char		*why = NULL;

	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "--save") == 0))
		sealtool_usage();
	sealtool_id(argv[3]);
	sealtool_read_stdin();
	sealtool_load_trust(&t, argv[2], argv[3]);
	if (crypto_trust_apply_chain(&t, sealtool_in, sealtool_in_len,
	    &applied, &why) == -1)
		sealtool_die("rotation chain", why);
	if (argc == 5 && applied > 0)
		sealtool_save_trust(&t, argv[2], argv[3]);
	printf("applied %u\n", applied);
	return 0;
}

static int
sealtool_hub_open(int argc, char *argv[])
{
	struct crypto_hub_identity	 hub;
	struct crypto_session		 s;
	enum stride_kind		 kind;
	uint8_t				 pk[CRYPTO_KX_PK_BYTES];
	char				 path[SEALTOOL_PATH];
	char				 msg[STRIDE_PAYLOAD_MAX];
	size_t				 len = 0;
	uint32_t			 epoch = 0, seq = 0;
	const char			*why = NULL;

	if (argc != 7)
		sealtool_usage();
	sealtool_id(argv[4]);
	sealtool_id(argv[5]);
	kind = sealtool_kind(argv[6]);
	sealtool_read_stdin();
	sealtool_load_hub(&hub, argv[2]);
	sealtool_path(path, argv[3], argv[4], ".key");
	if (keyfile_public_device(pk, path, &why) == -1)
		sealtool_die(path, why);
	if (crypto_session_hub(&s, &hub, pk) == -1)
		sealtool_die("session", "unusable device key");
	crypto_wipe(&hub, sizeof(hub));
	if (crypto_msg_open(msg, sizeof(msg), &len, &epoch, &seq, sealtool_in,
	    sealtool_in_len, kind, argv[5], argv[4], s.rx, &why) == -1)
		sealtool_die(stride_kind_name(kind), why);
	crypto_wipe(&s, sizeof(s));
	printf("%lu %lu\n", (unsigned long)epoch, (unsigned long)seq);
	sealtool_write(msg, len);
	printf("\n");
	return 0;
}

static int
sealtool_hub_seal_plan(int argc, char *argv[])
{
	static uint8_t			 out[CRYPTO_PLAN_SEALED_MAX];
	struct crypto_hub_identity	 hub;
	struct crypto_plan_to		 to;
	uint8_t				 pk[CRYPTO_KX_PK_BYTES];
	char				 path[SEALTOOL_PATH];
	size_t				 n, out_len = 0;
	const char			*why = NULL;

	if (argc != 8 && argc != 9)
		sealtool_usage();
	sealtool_id(argv[4]);
	sealtool_id(argv[5]);
	memset(&to, 0, sizeof(to));
	to.runner = argv[5];
	to.device = argv[4];
	to.device_kx_pk = pk;
	to.version = (uint64_t)sealtool_num(argv[6], 1, INT64_MAX);
	to.issued_ms = argc == 9 ? sealtool_num(argv[8], 0, INT64_MAX / 2) :
	    sealtool_now_ms();
	to.expires_ms = to.issued_ms + sealtool_num(argv[7], 1, INT64_MAX / 2);
	sealtool_read_stdin();
	n = sealtool_in_len;
	if (n > 0 && sealtool_in[n - 1] == '\n')
		n--;
	if (n == 0 || n > PLAN_JSON_MAX)
		sealtool_die("plan", "the JSON must be 1..3072 bytes");
	sealtool_path(path, argv[3], argv[4], ".key");
	if (keyfile_public_device(pk, path, &why) == -1)
		sealtool_die(path, why);
	sealtool_load_hub(&hub, argv[2]);
	if (crypto_plan_seal(out, sizeof(out), &out_len, sealtool_in, n, &to,
	    &hub) == -1)
		sealtool_die("plan", "could not seal");
	crypto_wipe(&hub, sizeof(hub));
	sealtool_write(out, out_len);
	return 0;
}

static int
sealtool_header(void)
{
	const uint8_t *s = sealtool_in;

	sealtool_read_stdin();
	if (sealtool_in_len < STRIDE_SEAL_HDR_BYTES)
		sealtool_die("header", "shorter than a header");
	printf("kind %u flags %u epoch %lu seq %lu len %zu\n", s[2], s[3],
	    (unsigned long)s[4] << 24 | (unsigned long)s[5] << 16 |
	    (unsigned long)s[6] << 8 | s[7],
	    (unsigned long)s[8] << 24 | (unsigned long)s[9] << 16 |
	    (unsigned long)s[10] << 8 | s[11], sealtool_in_len);
	return 0;
}

static int
sealtool_bytes(int argc, char *argv[])
{
	long long	n;
	int		byte = 0;

	if (argc < 3 || argc > 4 || (argc == 4 &&
	    strcmp(argv[1], "extend") != 0))
		sealtool_usage();
	n = sealtool_num(argv[2], -SEALTOOL_IN_MAX, SEALTOOL_IN_MAX);
	if (argc == 4)
		byte = (int)sealtool_num(argv[3], 0, 255);
	sealtool_read_stdin();
	if (strcmp(argv[1], "flip") == 0) {
		if (n < 0)
			n += (long long)sealtool_in_len;
		if (n < 0 || (size_t)n >= sealtool_in_len)
			sealtool_die("flip", "offset outside the input");
		sealtool_in[n] ^= 0x01;
	} else if (strcmp(argv[1], "truncate") == 0) {
		if (n < 0)
			n += (long long)sealtool_in_len;
		if (n < 0 || (size_t)n > sealtool_in_len)
			sealtool_die("truncate", "length outside the input");
		sealtool_in_len = (size_t)n;
	} else {
		if (n < 0 || sealtool_in_len + (size_t)n > SEALTOOL_IN_MAX)
			sealtool_die("extend", "result over 64 KiB");
		memset(sealtool_in + sealtool_in_len, byte, (size_t)n);
		sealtool_in_len += (size_t)n;
	}
	sealtool_write(sealtool_in, sealtool_in_len);
	return 0;
}

/* The input of lib.sh's spelling: a string, or a file's bytes. */
static void
sealtool_preload(const char *text, const char *file)
{
	FILE	*fp;
	size_t	 n;

	if (text != NULL) {
		if ((n = strlen(text)) > SEALTOOL_IN_MAX)
			sealtool_die("input", "over 64 KiB");
		memcpy(sealtool_in, text, n);
	} else {
		if ((fp = fopen(file, "rb")) == NULL)
			sealtool_die(file, strerror(errno));
		n = fread(sealtool_in, 1, sizeof(sealtool_in), fp);
		if (ferror(fp) || n > SEALTOOL_IN_MAX)
			sealtool_die(file, "unreadable or over 64 KiB");
		fclose(fp);
	}
	sealtool_in_len = n;
	sealtool_preloaded = 1;
}

/*
 * lib.sh's spelling, `CMD --state-dir DIR RUNNER DEVICE ...`, turned into
 * the positional one `CMD DIR DEVICE RUNNER ...` with the input preloaded.
 */
static int
sealtool_lib_form(int argc, char *argv[])
{
	static char	 es[2][16];
	char		*av[9];
	unsigned long	 epoch, seq = 0;

	sealtool_lib = 1;
	av[0] = argv[0];
	av[1] = argv[1];
	av[2] = argv[3];	/* DIR */
	av[3] = argv[5];	/* DEVICE */
	av[4] = argv[4];	/* RUNNER */
	if (strcmp(argv[1], "seal") == 0) {
		if (argc != 8)
			sealtool_usage();
		sealtool_preload(argv[7], NULL);
		if (sealtool_json_u32(argv[7], strlen(argv[7]), "epoch",
		    &epoch) == -1 || (sealtool_kind(argv[6]) !=
		    STRIDE_KIND_STATUS && sealtool_json_u32(argv[7],
		    strlen(argv[7]), "seq", &seq) == -1))
			sealtool_die("seal", "no \"epoch\" or \"seq\" in the "
			    "JSON: use the positional form");
		snprintf(es[0], sizeof(es[0]), "%lu", epoch);
		snprintf(es[1], sizeof(es[1]), "%lu", seq);
		av[5] = argv[6];
		av[6] = es[0];
		av[7] = es[1];
		av[8] = NULL;
		return sealtool_seal(8, av);
	}
	if (argc != 6 && argc != 7)
		sealtool_usage();
	if (argc == 7)
		sealtool_preload(NULL, argv[6]);
	av[5] = NULL;
	if (strcmp(argv[1], "open-plan") == 0)
		return sealtool_open_plan(5, av);
	if (strcmp(argv[1], "open-ack") == 0)
		return sealtool_open_dev(5, av, STRIDE_KIND_ACK);
	if (strcmp(argv[1], "open-relay") == 0)
		return sealtool_open_dev(5, av, STRIDE_KIND_RELAY);
	sealtool_usage();
	return 2;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		sealtool_usage();
	if (crypto_init() == -1)
		sealtool_die("libsodium", "initialisation failed");
	if (argc >= 6 && strcmp(argv[2], "--state-dir") == 0)
		return sealtool_lib_form(argc, argv);
	if (strcmp(argv[1], "seal") == 0)
		return sealtool_seal(argc, argv);
	if (strcmp(argv[1], "open-ack") == 0)
		return sealtool_open_dev(argc, argv, STRIDE_KIND_ACK);
	if (strcmp(argv[1], "open-relay") == 0)
		return sealtool_open_dev(argc, argv, STRIDE_KIND_RELAY);
	if (strcmp(argv[1], "open-plan") == 0)
		return sealtool_open_plan(argc, argv);
	if (strcmp(argv[1], "open-beat") == 0)
		return sealtool_open_beat(argc, argv);
	if (strcmp(argv[1], "apply-keys") == 0)
		return sealtool_apply_keys(argc, argv);
	if (strcmp(argv[1], "hub-open") == 0)
		return sealtool_hub_open(argc, argv);
	if (strcmp(argv[1], "hub-seal-plan") == 0)
		return sealtool_hub_seal_plan(argc, argv);
	if (strcmp(argv[1], "header") == 0 && argc == 2)
		return sealtool_header();
	if (strcmp(argv[1], "flip") == 0 || strcmp(argv[1], "truncate") == 0 ||
	    strcmp(argv[1], "extend") == 0)
		return sealtool_bytes(argc, argv);
	sealtool_usage();
	return 2;
}
