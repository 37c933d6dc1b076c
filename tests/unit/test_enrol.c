/*
 * test_enrol.c - the key and enrolment commands (`key init`, `key show`,
 * `key rotate`, `device add` (one, or --from a file), `device revoke`,
 * `device keys`) against a real store in a
 * temp dir and real libsodium: the files they write and their modes, what
 * they print (compared with keys recomputed here, not with fixed text),
 * what they refuse and with which exit status, and what the store holds
 * afterwards. stdout and stderr are redirected to files around each call.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "hubkey.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"

static char	tmpdir[64];
static char	dbpath[128], keydir[128], hubkey[160];
static char	outpath[128], errpath[128];
static char	*out, *err;		/* the last command's output */

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL;
	long	 n;
	size_t	 got = 0;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL)
		buf[got = fread(buf, 1, (size_t)n, f)] = '\0';
	if (f != NULL)
		fclose(f);
	if (lenp != NULL)
		*lenp = got;
	return buf != NULL ? buf : strdup("");
}

/* cli_run with o on the words given, capturing stdout and stderr. */
static int
runo(const struct cli_opts *o, int argc, ...)
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
	rc = cli_run(o, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	out = slurp(outpath, NULL);
	err = slurp(errpath, NULL);
	return rc;
}

/* The default settings: the key dir derived from the db path. */
static const struct cli_opts dflt = { dbpath, NULL, NULL };
#define run(...)	runo(&dflt, __VA_ARGS__)

/* The value after "key " on the line starting with key, or NULL. */
static const char *
value(const char *s, const char *key, char *buf, size_t len)
{
	size_t	k = strlen(key);

	for (;;) {
		const char *e = strchr(s, '\n');
		size_t	    n = e != NULL ? (size_t)(e - s) : strlen(s);

		if (n > k && strncmp(s, key, k) == 0 && s[k] == ' ') {
			snprintf(buf, len, "%.*s", (int)(n - k - 1), s + k + 1);
			return buf;
		}
		if (e == NULL)
			return NULL;
		s = e + 1;
	}
}

/* 1 if the output has value v for key. */
static int
has(const char *s, const char *key, const char *v)
{
	char	buf[256];

	return value(s, key, buf, sizeof(buf)) != NULL && strcmp(buf, v) == 0;
}

/* The table row of runner/device in out (columns split on spaces). */
static int
row(const char *s, const char *runner, const char *device, char *fp,
    char *state)
{
	char	r[64], d[64], f[64], st[64];

	while (s != NULL && *s != '\0') {
		if (sscanf(s, "%63s %63s %63s %63s", r, d, f, st) == 4 &&
		    strcmp(r, runner) == 0 && strcmp(d, device) == 0) {
			strcpy(fp, f);
			strcpy(state, st);
			return 1;
		}
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	}
	return 0;
}

static int
file_mode(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

static void
dev_key(struct crypto_device_key *k, char text[KEYFILE_DEV_PK_TEXT_MAX],
    char fp[CRYPTO_FP_TEXT_MAX])
{
	CHECK(crypto_device_generate(k) == 0);
	CHECK(keyfile_dev_pk_format(text, KEYFILE_DEV_PK_TEXT_MAX,
	    k->kx_pk) == 0);
	crypto_fp_text(fp, k->kx_pk);
}

/* The active key of runner/device in the store: 0 and *k, 1 none. */
static int
active_key(const char *runner, const char *device,
    struct store_device_key *k)
{
	char			 e[256];
	struct store		*st = store_open(dbpath, 1, e, sizeof(e));
	struct store_device	 d;
	int64_t			 rid;
	int			 rc = -1;

	if (st == NULL)
		return -1;
	if (store_runner_get(st, runner, 0, &rid) == 0 &&
	    store_device_get(st, rid, runner, device, 0, &d) == 0)
		rc = store_device_key_active(st, d.id, k);
	store_close(st);
	return rc;
}

static char	hub_text[KEYFILE_HUB_PK_TEXT_MAX];

static void
test_key_init(void)
{
	uint8_t				 spk[32], kpk[32];
	struct crypto_hub_identity	 id;
	char				 b[256], fp[CRYPTO_FP_TEXT_MAX];
	char				 seed64[64], sk64[64];
	uint8_t				 seed[32], sk[32];
	const char			*why = NULL;
	char				*before, *after;
	size_t				 nb, na;

	/* Nothing yet: show says so. */
	CHECK(run(2, "key", "show") == 1);
	CHECK(strstr(err, "key init") != NULL);

	CHECK(run(2, "key", "init") == 0);
	CHECK(has(out, "file", hubkey));
	CHECK(has(out, "passphrase", "no"));
	CHECK(file_mode(hubkey) == 0600);
	CHECK(file_mode(keydir) == 0700);

	/* What it printed is the key in the file, recomputed here. */
	CHECK(value(out, "hub_key", hub_text, sizeof(hub_text)) != NULL);
	CHECK(keyfile_hub_pk_parse(spk, kpk, hub_text, &why) == 0);
	CHECK(keyfile_load_hub(&id, hubkey, NULL, &why) == KEYFILE_OK);
	CHECK(memcmp(id.sign_pk, spk, 32) == 0);
	CHECK(memcmp(id.kx_pk, kpk, 32) == 0);
	crypto_fp_text(fp, id.sign_pk);
	CHECK(has(out, "hub_sign_fp", fp));
	crypto_fp_text(fp, id.kx_pk);
	CHECK(has(out, "hub_kx_fp", fp));

	/* A second init refuses and leaves the file byte for byte. */
	before = slurp(hubkey, &nb);
	CHECK(run(2, "key", "init") == 1);
	CHECK(strstr(err, "exists") != NULL);
	after = slurp(hubkey, &na);
	CHECK(nb > 0 && nb == na && memcmp(before, after, nb) == 0);
	free(before);
	free(after);

	/* show: the same public text, never the secrets. */
	CHECK(run(2, "key", "show") == 0);
	CHECK(has(out, "hub_key", hub_text));
	crypto_hub_export_secrets(seed, sk, &id);
	CHECK(crypto_b64_encode(seed64, sizeof(seed64), seed, 32) == 0);
	CHECK(crypto_b64_encode(sk64, sizeof(sk64), sk, 32) == 0);
	CHECK(crypto_hex(b, sizeof(b), seed, 32) == 0);
	CHECK(strstr(out, seed64) == NULL && strstr(out, sk64) == NULL &&
	    strstr(out, b) == NULL);
	crypto_wipe(&id, sizeof(id));
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(sk, sizeof(sk));

	/* Unknown argument: usage. */
	CHECK(run(3, "key", "init", "--force") == 2);
}

static void
test_passphrase(void)
{
	struct cli_opts			 o = { dbpath, NULL, NULL };
	struct crypto_hub_identity	 id;
	char				 dir[160], pf[160], key[200], b[128];
	const char			*why = NULL;
	FILE				*f;

	snprintf(dir, sizeof(dir), "%s/pkeys", tmpdir);
	snprintf(key, sizeof(key), "%s/hub.key", dir);
	snprintf(pf, sizeof(pf), "%s/pass", tmpdir);
	o.key_dir = dir;
	CHECK((f = fopen(pf, "w")) != NULL);
	if (f == NULL)
		return;
	fputs("correct horse\nsecond line ignored\n", f);
	fclose(f);

	/* A passphrase file others can read is refused, nothing made. */
	CHECK(chmod(pf, 0644) == 0);
	CHECK(runo(&o, 4, "key", "init", "--passphrase-file", pf) == 1);
	CHECK(access(key, F_OK) == -1);

	CHECK(chmod(pf, 0600) == 0);
	CHECK(runo(&o, 4, "key", "init", "--passphrase-file", pf) == 0);
	CHECK(has(out, "passphrase", "yes"));
	CHECK(file_mode(key) == 0600);
	CHECK(keyfile_load_hub(&id, key, NULL, &why) ==
	    KEYFILE_NEED_PASSPHRASE);
	CHECK(keyfile_load_hub(&id, key, "correct horse", &why) ==
	    KEYFILE_OK);
	/* show needs no passphrase. */
	CHECK(value(out, "hub_key", b, sizeof(b)) != NULL);
	CHECK(runo(&o, 2, "key", "show") == 0);
	CHECK(has(out, "hub_key", b));
	crypto_wipe(&id, sizeof(id));
}

static void
test_bad_input(void)
{
	static const char *const bad[] = {
		"",
		"stride-dev-pk1:",
		/* 43 chars but the wrong prefix, then a hub key. */
		"stride-dev-pk2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"stride-hub-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* one character short, one too many */
		"stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* not base64url ('+', '='), and non-canonical last char */
		"stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
		" stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct store_device_key	k;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(run(5, "device", "add", "r1", "pod1", bad[i]) == 2);
		CHECK(strstr(err, "device key:") != NULL);
		CHECK(strstr(err, "usage:") != NULL);
	}
	/* Refused before the store: no runner was created. */
	CHECK(active_key("r1", "pod1", &k) == -1);
	CHECK(run(2, "device", "keys") == 0);
	CHECK(strstr(out, "r1") == NULL);

	/* Bad ids: usage errors too. */
	CHECK(run(5, "device", "add", "R1", "pod1",
	    "stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == 2);
	CHECK(run(5, "device", "add", "r1", "pod/1",
	    "stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == 2);
	CHECK(run(4, "device", "add", "r1", "pod1") == 2);
	CHECK(run(6, "device", "add", "r1", "pod1",
	    "stride-dev-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "--force") == 2);
}

static void
test_enrol(void)
{
	struct crypto_device_key k1, k2, k3, k4;
	struct store_device_key	 sk;
	char			 t1[KEYFILE_DEV_PK_TEXT_MAX], f1[CRYPTO_FP_TEXT_MAX];
	char			 t2[KEYFILE_DEV_PK_TEXT_MAX], f2[CRYPTO_FP_TEXT_MAX];
	char			 t3[KEYFILE_DEV_PK_TEXT_MAX], f3[CRYPTO_FP_TEXT_MAX];
	char			 t4[KEYFILE_DEV_PK_TEXT_MAX], f4[CRYPTO_FP_TEXT_MAX];
	char			 fp[64], state[64], e[256];
	uint8_t			 full[CRYPTO_FP_BYTES];
	struct cli_opts		 club = { dbpath, NULL, "club" };
	struct store		*st;
	struct store_device	 d;
	int64_t			 rid;

	dev_key(&k1, t1, f1);
	dev_key(&k2, t2, f2);
	dev_key(&k3, t3, f3);
	dev_key(&k4, t4, f4);

	/* Add: stored, and everything the device needs printed. */
	CHECK(run(5, "device", "add", "r1", "pod1", t1) == 0);
	CHECK(has(out, "status", "added"));
	CHECK(has(out, "runner", "r1") && has(out, "device", "pod1"));
	CHECK(has(out, "prefix", "stridehub"));
	CHECK(has(out, "topic", "stridehub/v1/r1/pod1"));
	CHECK(has(out, "device_key", t1));
	CHECK(has(out, "device_fp", f1));
	CHECK(has(out, "hub_key", hub_text));
	CHECK(strstr(out, "hub_sign_fp ") != NULL &&
	    strstr(out, "hub_kx_fp ") != NULL);
	CHECK(active_key("r1", "pod1", &sk) == 0);
	crypto_fp(full, k1.kx_pk);
	CHECK(memcmp(sk.pk, k1.kx_pk, 32) == 0 && memcmp(sk.fp, full, 32) == 0);
	CHECK(sk.state == STORE_KEY_ACTIVE && sk.revoked_ms == 0);

	/* The same key again: nothing changes. */
	CHECK(run(5, "device", "add", "r1", "pod1", t1) == 0);
	CHECK(has(out, "status", "unchanged"));

	/* A different key for an active device: refused, then --replace. */
	CHECK(run(5, "device", "add", "r1", "pod1", t2) == 1);
	CHECK(strstr(err, "--replace") != NULL && strstr(err, f1) != NULL);
	CHECK(active_key("r1", "pod1", &sk) == 0 &&
	    memcmp(sk.pk, k1.kx_pk, 32) == 0);
	CHECK(run(6, "device", "add", "r1", "pod1", t2, "--replace") == 0);
	CHECK(has(out, "status", "replaced") && has(out, "device_fp", f2));
	CHECK(active_key("r1", "pod1", &sk) == 0 &&
	    memcmp(sk.pk, k2.kx_pk, 32) == 0);

	/* The replaced (revoked) key never comes back, on any device. */
	CHECK(run(6, "device", "add", "r1", "pod1", t1, "--replace") == 1);
	CHECK(run(5, "device", "add", "r1", "watch", t1) == 1);
	CHECK(strstr(err, "enrolled") != NULL);
	/* Nor is an active key shared with a second device. */
	CHECK(run(5, "device", "add", "r1", "watch", t2) == 1);

	/* Revoke: printed, gone from the active keys; twice: refused. */
	CHECK(run(4, "device", "revoke", "r1", "pod1") == 0);
	CHECK(has(out, "device_fp", f2));
	CHECK(strstr(out, "revoked ") != NULL);
	CHECK(active_key("r1", "pod1", &sk) == 1);
	CHECK(run(4, "device", "revoke", "r1", "pod1") == 1);
	CHECK(run(4, "device", "revoke", "r1", "nodev") == 1);
	CHECK(run(4, "device", "revoke", "nobody", "pod1") == 1);

	CHECK(run(2, "device", "keys") == 0);
	CHECK(row(out, "r1", "pod1", fp, state) && strcmp(fp, f2) == 0 &&
	    strcmp(state, "revoked") == 0);

	/* After a revoke a new key goes in without --replace. */
	CHECK(run(5, "device", "add", "r1", "pod1", t3) == 0);
	CHECK(has(out, "status", "added") && has(out, "device_fp", f3));

	/* A second device, another runner (with the club prefix), and a
	 * device the hub knows but that was never enrolled. */
	CHECK(run(5, "device", "add", "r1", "watch", t4) == 0);
	CHECK(runo(&club, 5, "device", "add", "r2", "pod1", t1) == 1);
	dev_key(&k1, t1, f1);
	CHECK(runo(&club, 5, "device", "add", "r2", "pod1", t1) == 0);
	CHECK(has(out, "topic", "club/v1/r2/pod1") &&
	    has(out, "prefix", "club"));
	CHECK((st = store_open(dbpath, 0, e, sizeof(e))) != NULL);
	if (st != NULL) {
		CHECK(store_runner_get(st, "r3", 1, &rid) == 0);
		CHECK(store_device_get(st, rid, "r3", "old", 1, &d) == 0);
		store_close(st);
	}

	CHECK(run(2, "device", "keys") == 0);
	CHECK(strncmp(out, "RUNNER", 6) == 0);
	CHECK(row(out, "r1", "pod1", fp, state) && strcmp(fp, f3) == 0 &&
	    strcmp(state, "active") == 0);
	CHECK(row(out, "r1", "watch", fp, state) && strcmp(fp, f4) == 0 &&
	    strcmp(state, "active") == 0);
	CHECK(row(out, "r2", "pod1", fp, state) && strcmp(fp, f1) == 0 &&
	    strcmp(state, "active") == 0);
	CHECK(row(out, "r3", "old", fp, state) && strcmp(fp, "-") == 0 &&
	    strcmp(state, "none") == 0);
	CHECK(run(4, "device", "revoke", "r1", "watch") == 0);
	CHECK(run(3, "device", "keys", "r1") == 0);
	CHECK(row(out, "r1", "watch", fp, state) &&
	    strcmp(state, "revoked") == 0);
	CHECK(!row(out, "r2", "pod1", fp, state));
	CHECK(run(3, "device", "keys", "nobody") == 1);

	crypto_wipe(&k1, sizeof(k1));
	crypto_wipe(&k2, sizeof(k2));
	crypto_wipe(&k3, sizeof(k3));
	crypto_wipe(&k4, sizeof(k4));
}

static void
test_no_hub_key(void)
{
	struct cli_opts		 o = { dbpath, NULL, NULL };
	struct crypto_device_key k;
	struct store_device_key	 sk;
	char			 dir[160], t[KEYFILE_DEV_PK_TEXT_MAX];
	char			 f[CRYPTO_FP_TEXT_MAX];

	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	o.key_dir = dir;
	dev_key(&k, t, f);
	CHECK(runo(&o, 5, "device", "add", "r9", "pod1", t) == 1);
	CHECK(strstr(err, "key init") != NULL);
	CHECK(active_key("r9", "pod1", &sk) == -1);
	crypto_wipe(&k, sizeof(k));
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
test_from_file(void)
{
	struct crypto_device_key k[4];
	struct store_device_key	 sk;
	char			 t[4][KEYFILE_DEV_PK_TEXT_MAX];
	char			 f[4][CRYPTO_FP_TEXT_MAX];
	char			 path[160], text[1024], want[200];
	int			 i;

	for (i = 0; i < 4; i++)
		dev_key(&k[i], t[i], f[i]);
	snprintf(path, sizeof(path), "%s/devices.txt", tmpdir);

	/* Comments, blank lines, tabs; three devices, two runners. */
	snprintf(text, sizeof(text), "# runner device key\n\n"
	    "r5 pod %s\n  r5\twatch  %s\r\n   # indented comment\n"
	    "r6 pod %s\n", t[0], t[1], t[2]);
	write_file(path, text);
	CHECK(run(4, "device", "add", "--from", path) == 0);
	CHECK(has(out, "devices", "3") && has(out, "added", "3") &&
	    has(out, "unchanged", "0") && has(out, "file", path));
	CHECK(has(out, "hub_key", hub_text));
	CHECK(active_key("r5", "pod", &sk) == 0 &&
	    memcmp(sk.pk, k[0].kx_pk, 32) == 0);
	CHECK(active_key("r5", "watch", &sk) == 0 &&
	    memcmp(sk.pk, k[1].kx_pk, 32) == 0);
	CHECK(active_key("r6", "pod", &sk) == 0 &&
	    memcmp(sk.pk, k[2].kx_pk, 32) == 0);
	/* Again: nothing changes. */
	CHECK(run(4, "device", "add", "--from", path) == 0);
	CHECK(has(out, "devices", "3") && has(out, "unchanged", "3") &&
	    has(out, "added", "0"));

	/* A bad line refuses the whole file, with its number: nothing of
	 * the good lines before it is enrolled. */
	{
		/* a bad key, a bad runner id, too few and too many fields */
		static const char *const pre[] = { "r7 pod ", "R7 pod ",
		    "r7 pod", "r7 pod " };
		static const char *const key[] = { "stride-dev-pk1:AAAA", NULL,
		    "", NULL };
		static const char *const post[] = { "\n", "\n", "\n",
		    " extra\n" };

		for (i = 0; i < 4; i++) {
			char line[200];

			snprintf(line, sizeof(line), "%s%s%s", pre[i],
			    key[i] != NULL ? key[i] : t[3], post[i]);
			snprintf(text, sizeof(text), "r7 watch %s\n# c\n%s",
			    t[3], line);
			write_file(path, text);
			CHECK(run(4, "device", "add", "--from", path) == 1);
			snprintf(want, sizeof(want), "%s:3: ", path);
			CHECK(strstr(err, want) != NULL);
			CHECK(active_key("r7", "watch", &sk) == -1);
		}
	}
	/* The same key on two lines: the second is refused (line 2). */
	snprintf(text, sizeof(text), "r7 a %s\nr7 b %s\n", t[3], t[3]);
	write_file(path, text);
	CHECK(run(4, "device", "add", "--from", path) == 1);
	snprintf(want, sizeof(want), "%s:2: ", path);
	CHECK(strstr(err, want) != NULL && strstr(err, "enrolled") != NULL);
	CHECK(active_key("r7", "a", &sk) == -1);
	/* Another key for an enrolled device: only with --replace. */
	snprintf(text, sizeof(text), "r5 pod %s\n", t[3]);
	write_file(path, text);
	CHECK(run(4, "device", "add", "--from", path) == 1);
	CHECK(strstr(err, "--replace") != NULL);
	CHECK(run(5, "device", "add", "--from", path, "--replace") == 0);
	CHECK(has(out, "replaced", "1"));
	CHECK(active_key("r5", "pod", &sk) == 0 &&
	    memcmp(sk.pk, k[3].kx_pk, 32) == 0);
	/* No such file; --from without a file; a file and positionals. */
	snprintf(text, sizeof(text), "%s/none.txt", tmpdir);
	CHECK(run(4, "device", "add", "--from", text) == 1);
	CHECK(run(3, "device", "add", "--from") == 2);
	CHECK(run(6, "device", "add", "--from", path, "r1", "x") == 2);
	for (i = 0; i < 4; i++)
		crypto_wipe(&k[i], sizeof(k[i]));
}

/* After a rotation, device add prints the new hub key. */
static void
test_from_file_after_rotate(void)
{
	struct crypto_device_key k;
	char			 t[KEYFILE_DEV_PK_TEXT_MAX];
	char			 f[CRYPTO_FP_TEXT_MAX];

	dev_key(&k, t, f);
	CHECK(run(5, "device", "add", "r8", "pod", t) == 0);
	CHECK(has(out, "hub_key", hub_text));
	crypto_wipe(&k, sizeof(k));
}

/* The announcement of the store's newest rotation, checked as a device
 * would: old trust + announcement = the new key. */
static void
check_rotation_store(const uint8_t old_spk[32], const uint8_t old_kpk[32],
    const uint8_t new_spk[32])
{
	struct store		*st;
	struct store_rotation	 r;
	struct crypto_trust	 t;
	const char		*why = NULL;
	char			 e[256];

	CHECK((st = store_open(dbpath, 1, e, sizeof(e))) != NULL);
	if (st == NULL)
		return;
	CHECK(store_rotation_last(st, &r) == 0);
	CHECK(memcmp(r.sign_pk, new_spk, 32) == 0);
	crypto_trust_init(&t, old_spk, old_kpk);
	CHECK(crypto_trust_apply_rot(&t, r.ann, sizeof(r.ann), &why) == 0);
	CHECK(memcmp(t.hub_sign_pk, new_spk, 32) == 0);
	store_close(st);
}

static void
test_rotate(void)
{
	uint8_t		 spk0[32], kpk0[32], spk1[32], kpk1[32];
	char		 fp[CRYPTO_FP_TEXT_MAX], next[200], show[256];
	const char	*why = NULL;

	CHECK(keyfile_public_hub(spk0, kpk0, hubkey, &why) == 0);
	CHECK(run(2, "key", "rotate") == 0);
	CHECK(has(out, "file", hubkey) && has(out, "passphrase", "no"));
	crypto_fp_text(fp, spk0);
	CHECK(has(out, "old_sign_fp", fp));
	CHECK(keyfile_public_hub(spk1, kpk1, hubkey, &why) == 0);
	CHECK(memcmp(spk1, spk0, 32) != 0 && memcmp(kpk1, kpk0, 32) == 0);
	crypto_fp_text(fp, spk1);
	CHECK(has(out, "new_sign_fp", fp) && has(out, "hub_sign_fp", fp));
	CHECK(file_mode(hubkey) == 0600);
	snprintf(next, sizeof(next), "%s/%s", keydir, HUBKEY_FILE_NEXT);
	CHECK(access(next, F_OK) == -1);
	/* What it printed is what key show now prints. */
	CHECK(value(out, "hub_key", show, sizeof(show)) != NULL);
	CHECK(run(2, "key", "show") == 0);
	CHECK(has(out, "hub_key", show));
	check_rotation_store(spk0, kpk0, spk1);
	/* device add now hands out the new key. */
	CHECK(strlen(show) < sizeof(hub_text));
	memcpy(hub_text, show, sizeof(hub_text) - 1);
	hub_text[sizeof(hub_text) - 1] = '\0';

	/* A left-over hub.key.next not in the store: refused, kept. */
	write_file(next, "x");
	CHECK(run(2, "key", "rotate") == 1);
	CHECK(strstr(err, HUBKEY_FILE_NEXT) != NULL);
	CHECK(access(next, F_OK) == 0);
	unlink(next);
	CHECK(run(3, "key", "rotate", "--force") == 2);
}

/* A protected key rotates only with its passphrase, into a protected key
 * (its own store: one store follows one hub's keys). */
static void
test_rotate_passphrase(void)
{
	char			 db[160], dir[160], key[200], pf[160], e[256];
	struct cli_opts		 o;
	struct crypto_hub_identity id;
	struct store		*st;
	const char		*why = NULL;

	snprintf(db, sizeof(db), "%s/p.db", tmpdir);
	snprintf(dir, sizeof(dir), "%s/pkeys", tmpdir);
	snprintf(key, sizeof(key), "%s/hub.key", dir);
	snprintf(pf, sizeof(pf), "%s/pass", tmpdir);
	CHECK((st = store_open(db, 0, e, sizeof(e))) != NULL);
	store_close(st);
	o.db_path = db;
	o.key_dir = dir;
	o.prefix = NULL;
	CHECK(runo(&o, 2, "key", "rotate") == 1);
	CHECK(strstr(err, "passphrase") != NULL);
	CHECK(runo(&o, 4, "key", "rotate", "--passphrase-file", pf) == 0);
	CHECK(has(out, "passphrase", "yes"));
	CHECK(keyfile_load_hub(&id, key, NULL, &why) ==
	    KEYFILE_NEED_PASSPHRASE);
	CHECK(keyfile_load_hub(&id, key, "correct horse", &why) == KEYFILE_OK);
	crypto_wipe(&id, sizeof(id));
}

static void
test_key_dir(void)
{
	char	b[64];

	CHECK(config_key_dir(b, sizeof(b), "/var/lib/sh/hub.db", NULL) == 0 &&
	    strcmp(b, "/var/lib/sh/keys") == 0);
	CHECK(config_key_dir(b, sizeof(b), "stridehub.db", "") == 0 &&
	    strcmp(b, "keys") == 0);
	CHECK(config_key_dir(b, sizeof(b), "/hub.db", NULL) == 0 &&
	    strcmp(b, "/keys") == 0);
	CHECK(config_key_dir(b, sizeof(b), "a/b.db", "/etc/sh") == 0 &&
	    strcmp(b, "/etc/sh") == 0);
	CHECK(config_key_dir(b, 6, "abcdef/x.db", NULL) == -1 && b[0] == '\0');
}

int
main(void)
{
	struct store	*st;
	char		 e[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_enrol.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", tmpdir);
	snprintf(keydir, sizeof(keydir), "%s/keys", tmpdir);
	snprintf(hubkey, sizeof(hubkey), "%s/hub.key", keydir);
	snprintf(outpath, sizeof(outpath), "%s/out", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);
	if ((st = store_open(dbpath, 0, e, sizeof(e))) == NULL) {
		fprintf(stderr, "store_open: %s\n", e);
		return 1;
	}
	store_close(st);

	test_key_dir();
	test_key_init();
	test_passphrase();
	test_bad_input();
	test_enrol();
	test_no_hub_key();
	test_from_file();
	test_rotate();
	test_from_file_after_rotate();
	test_rotate_passphrase();

	free(out);
	free(err);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return check_done("test_enrol");
}
