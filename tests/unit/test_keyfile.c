/*
 * test_keyfile.c - keyfile.c: key files land on disk with mode 0600 and
 * nothing else (no temp file left, no existing key clobbered), a failed
 * write leaves the old file or none, files others can access are refused,
 * keys round-trip with and without a passphrase, a wrong or missing
 * passphrase is refused, every corrupted, truncated or extended file is
 * refused, and public key text parses only in its exact form.
 *
 * Files go to a fresh directory under $TMPDIR (or /tmp), removed at the end.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"

static char dir[256];

static const char *
path_of(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* The number of entries in dir whose name contains ".tmp-". */
static int
temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp-") != NULL)
			n++;
	closedir(d);
	return n;
}

static int
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
spill(const char *path, const uint8_t *buf, size_t n, int mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, n, f) != n) {
		fprintf(stderr, "spill %s failed\n", path);
		exit(1);
	}
	fclose(f);
	chmod(path, (mode_t)mode);
}

static int
contains(const void *hay, size_t n, const void *needle, size_t m)
{
	const uint8_t *h = hay;
	size_t i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(h + i, needle, m) == 0)
			return 1;
	return 0;
}

/* ---- atomic write and private read ---- */

static void
test_write_atomic(void)
{
	const char *p = path_of("state");
	uint8_t buf[64];
	const char *why;
	mode_t old;

	/* Mode 0600 whatever the umask. */
	old = umask(0);
	CHECK(keyfile_write_atomic(p, "first", 5, 0, &why) == 0);
	umask(old);
	CHECK(mode_of(p) == 0600);
	CHECK(slurp(p, buf, sizeof(buf)) == 5 && memcmp(buf, "first", 5) == 0);
	CHECK(temp_files() == 0);

	/* Without KEYFILE_REPLACE an existing file is left alone. */
	errno = 0;
	why = NULL;
	CHECK(keyfile_write_atomic(p, "second", 6, 0, &why) == -1);
	CHECK(errno == EEXIST && why != NULL);
	CHECK(slurp(p, buf, sizeof(buf)) == 5 && memcmp(buf, "first", 5) == 0);
	CHECK(temp_files() == 0);

	/* With it, replaced whole, still 0600 even if it was not. */
	chmod(p, 0644);
	CHECK(keyfile_write_atomic(p, "second", 6, KEYFILE_REPLACE, &why) == 0);
	CHECK(slurp(p, buf, sizeof(buf)) == 6 &&
	    memcmp(buf, "second", 6) == 0);
	CHECK(mode_of(p) == 0600);
	CHECK(temp_files() == 0);

	/* A directory that does not exist: nothing created anywhere. */
	CHECK(keyfile_write_atomic(path_of("nodir/x"), "x", 1, 0, &why) == -1);
	CHECK(mode_of(path_of("nodir/x")) == -1);
	CHECK(temp_files() == 0);
	unlink(p);
}

/*
 * A write that fails half way (the file size limit stops it after 64
 * bytes, as a full disk would): the old file is intact, a new path is
 * never created, and no temp file is left behind.
 */
static void
test_write_fails_midway(void)
{
	const char *p = path_of("victim"), *q = path_of("fresh");
	static uint8_t big[8192], buf[64];
	struct rlimit rl, small;
	void (*prev)(int);
	const char *why;

	CHECK(keyfile_write_atomic(p, "old contents", 12, 0, &why) == 0);
	memset(big, 'N', sizeof(big));
	if (getrlimit(RLIMIT_FSIZE, &rl) != 0) {
		check_failed++;
		return;
	}
	small = rl;
	small.rlim_cur = 64;
	prev = signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	why = NULL;
	CHECK(keyfile_write_atomic(p, big, sizeof(big), KEYFILE_REPLACE,
	    &why) == -1);
	CHECK(why != NULL && strcmp(why, "cannot write temp file") == 0);
	CHECK(keyfile_write_atomic(q, big, sizeof(big), 0, &why) == -1);
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	signal(SIGXFSZ, prev);

	CHECK(slurp(p, buf, sizeof(buf)) == 12 &&
	    memcmp(buf, "old contents", 12) == 0);
	CHECK(mode_of(q) == -1);
	CHECK(temp_files() == 0);
	unlink(p);
}

static void
test_read_private(void)
{
	static const struct {
		int mode;
		int ok;
	} rows[] = {
		{ 0600, 1 }, { 0400, 1 }, { 0200, 1 },
		{ 0644, 0 }, { 0640, 0 }, { 0604, 0 }, { 0620, 0 },
		{ 0602, 0 }, { 0610, 0 }, { 0601, 0 }, { 0666, 0 },
	};
	const char *p = path_of("priv");
	uint8_t buf[KEYFILE_MAX + 1];
	size_t i, n;
	const char *why;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		spill(p, (const uint8_t *)"secret", 6, 0600);
		chmod(p, (mode_t)rows[i].mode);
		n = 99;
		why = NULL;
		if (rows[i].mode == 0200) {
			/* Owner may not read: refused by the OS, not by us
			 * (unless running as root, who can read anyway). */
			if (geteuid() == 0)
				CHECK(keyfile_read_private(buf, sizeof(buf),
				    &n, p, &why) == 0);
			else
				CHECK(keyfile_read_private(buf, sizeof(buf),
				    &n, p, &why) == -1);
			continue;
		}
		if (rows[i].ok) {
			CHECK(keyfile_read_private(buf, sizeof(buf), &n, p,
			    &why) == 0);
			CHECK(n == 6 && memcmp(buf, "secret", 6) == 0);
		} else {
			CHECK(keyfile_read_private(buf, sizeof(buf), &n, p,
			    &why) == -1);
			CHECK(n == 0 && why != NULL &&
			    strcmp(why, "readable by group or others") == 0);
		}
	}
	/* Not a regular file, missing, too large. */
	CHECK(keyfile_read_private(buf, sizeof(buf), &n, dir, &why) == -1);
	CHECK(strcmp(why, "not a regular file") == 0);
	CHECK(keyfile_read_private(buf, sizeof(buf), &n, path_of("none"),
	    &why) == -1);
	CHECK(errno == ENOENT);
	memset(buf, 'x', sizeof(buf));
	spill(p, buf, KEYFILE_MAX + 1, 0600);
	CHECK(keyfile_read_private(buf, KEYFILE_MAX, &n, p, &why) == -1);
	CHECK(strcmp(why, "file too large") == 0);
	CHECK(keyfile_read_private(buf, KEYFILE_MAX + 1, &n, p, &why) == 0);
	CHECK(n == KEYFILE_MAX + 1);
	unlink(p);
}

/* ---- key files ---- */

static void
test_hub_key_plain(void)
{
	const char *p = path_of("hub.key");
	struct crypto_hub_identity id, back, other;
	uint8_t file[KEYFILE_MAX], x[KEYFILE_MAX + 1];
	uint8_t spk[32], kpk[32];
	size_t n, i;
	const char *why;
	int refused;

	CHECK(crypto_hub_generate(&id) == 0);
	CHECK(keyfile_save_hub(p, &id, NULL, CRYPTO_KDF_MODERATE, 0, &why) ==
	    0);
	CHECK(mode_of(p) == 0600);
	memset(&back, 0, sizeof(back));
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_OK);
	CHECK(memcmp(&back, &id, sizeof(id)) == 0);
	CHECK(keyfile_public_hub(spk, kpk, p, &why) == 0);
	CHECK(memcmp(spk, id.sign_pk, 32) == 0 && memcmp(kpk, id.kx_pk, 32) ==
	    0);
	/* A passphrase given for an unprotected file is ignored. */
	CHECK(keyfile_load_hub(&back, p, "whatever", &why) == KEYFILE_OK);

	/* Never clobbered without KEYFILE_REPLACE. */
	CHECK(crypto_hub_generate(&other) == 0);
	CHECK(keyfile_save_hub(p, &other, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == -1);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_OK);
	CHECK(memcmp(&back, &id, sizeof(id)) == 0);

	/* Refused once others can read it, accepted again at 0600. */
	chmod(p, 0644);
	memset(&back, 0x5A, sizeof(back));
	why = NULL;
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_ERR);
	CHECK(why != NULL && strcmp(why, "readable by group or others") == 0);
	CHECK(back.sign_pk[0] == 0x5A && back.kx_sk[31] == 0x5A);
	chmod(p, 0640);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_ERR);
	CHECK(keyfile_public_hub(spk, kpk, p, &why) == -1);
	chmod(p, 0600);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_OK);

	/* Loaded as the other kind of key: refused. */
	{
		struct crypto_device_key dk;

		CHECK(keyfile_load_device(&dk, p, NULL, &why) == KEYFILE_ERR);
		CHECK(strcmp(why, "key file holds the other kind of key") == 0);
	}

	/*
	 * Every byte corrupted in turn: refused, whatever part it is in
	 * (header, public keys, secrets). One exception by design: X25519
	 * clamps its scalar, ignoring the low 3 bits of its first byte, so
	 * flipping bit 0 of the stored X25519 secret (at 12 + 64 + 32) gives
	 * the same key; it must load as exactly the same public keys.
	 */
	n = slurp(p, file, sizeof(file));
	CHECK(n == 12 + 64 + 64);
	refused = 0;
	for (i = 0; i < n; i++) {
		memcpy(x, file, n);
		x[i] ^= 0x01;
		spill(p, x, n, 0600);
		why = NULL;
		if (keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_ERR &&
		    why != NULL)
			refused++;
		else {
			CHECK(i == 12 + 64 + 32);
			CHECK(memcmp(back.sign_pk, id.sign_pk, 32) == 0 &&
			    memcmp(back.kx_pk, id.kx_pk, 32) == 0 &&
			    memcmp(back.sign_sk, id.sign_sk, 64) == 0);
		}
	}
	CHECK(refused == (int)n - 1);
	/* Truncated at every length and extended. */
	refused = 0;
	for (i = 0; i < n; i++) {
		spill(p, file, i, 0600);
		if (keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_ERR)
			refused++;
	}
	CHECK(refused == (int)n);
	memcpy(x, file, n);
	x[n] = 0;
	spill(p, x, n + 1, 0600);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_ERR);
	CHECK(strcmp(why, "key file has the wrong size") == 0);
	spill(p, file, n, 0600);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_OK);

	/* Replace works and leaves 0600. */
	CHECK(keyfile_save_hub(p, &other, NULL, CRYPTO_KDF_MODERATE,
	    KEYFILE_REPLACE, &why) == 0);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) == KEYFILE_OK);
	CHECK(memcmp(&back, &other, sizeof(other)) == 0);
	CHECK(mode_of(p) == 0600);
	CHECK(temp_files() == 0);
	unlink(p);
	crypto_wipe(&id, sizeof(id));
	crypto_wipe(&back, sizeof(back));
	crypto_wipe(&other, sizeof(other));
}

static void
test_passphrase(void)
{
	const char *p = path_of("hub-pass.key"), *q = path_of("dev-pass.key");
	struct crypto_hub_identity id, back;
	struct crypto_device_key dk, dback;
	uint8_t file[KEYFILE_MAX], x[KEYFILE_MAX];
	uint8_t seed[32], sk[32], spk[32], kpk[32];
	static const size_t flips[] = { 12, 80, 95, 99, 100, 107, 120, 140 };
	size_t n, i;
	const char *why;

	CHECK(crypto_hub_generate(&id) == 0);
	/* The default strength, once. */
	CHECK(keyfile_save_hub(p, &id, "correct horse battery staple",
	    CRYPTO_KDF_MODERATE, 0, &why) == 0);
	CHECK(mode_of(p) == 0600);
	CHECK(keyfile_load_hub(&back, p, "correct horse battery staple",
	    &why) == KEYFILE_OK);
	CHECK(memcmp(&back, &id, sizeof(id)) == 0);
	/* The secrets are not in the file; the public keys are, and can be
	 * read without the passphrase. */
	n = slurp(p, file, sizeof(file));
	CHECK(n == 12 + 64 + 64 + CRYPTO_PASSBOX_OVERHEAD);
	crypto_hub_export_secrets(seed, sk, &id);
	CHECK(!contains(file, n, seed, 8) && !contains(file, n, sk, 8));
	CHECK(keyfile_public_hub(spk, kpk, p, &why) == 0);
	CHECK(memcmp(spk, id.sign_pk, 32) == 0);
	/* Wrong passphrase, and none. */
	memset(&back, 0x5A, sizeof(back));
	why = NULL;
	CHECK(keyfile_load_hub(&back, p, "correct horse battery stapLe",
	    &why) == KEYFILE_ERR);
	CHECK(why != NULL && strcmp(why, "wrong passphrase or corrupt box") ==
	    0);
	CHECK(back.sign_sk[0] == 0x5A);
	CHECK(keyfile_load_hub(&back, p, NULL, &why) ==
	    KEYFILE_NEED_PASSPHRASE);
	CHECK(keyfile_load_hub(&back, p, "", &why) == KEYFILE_ERR);
	/* Permissions are checked before the passphrase. */
	chmod(p, 0644);
	CHECK(keyfile_load_hub(&back, p, "correct horse battery staple",
	    &why) == KEYFILE_ERR);
	CHECK(strcmp(why, "readable by group or others") == 0);
	chmod(p, 0600);
	/* Empty passphrase refused at save. */
	CHECK(keyfile_save_hub(path_of("empty.key"), &id, "",
	    CRYPTO_KDF_INTERACTIVE, 0, &why) == -1);
	CHECK(mode_of(path_of("empty.key")) == -1);

	/* Device key, interactive strength (small devices). */
	CHECK(crypto_device_generate(&dk) == 0);
	CHECK(keyfile_save_device(q, &dk, "pin 2468", CRYPTO_KDF_INTERACTIVE,
	    0, &why) == 0);
	CHECK(keyfile_load_device(&dback, q, "pin 2468", &why) == KEYFILE_OK);
	CHECK(memcmp(&dback, &dk, sizeof(dk)) == 0);
	CHECK(keyfile_load_device(&dback, q, "pin 2469", &why) == KEYFILE_ERR);
	CHECK(keyfile_public_device(kpk, q, &why) == 0);
	CHECK(memcmp(kpk, dk.kx_pk, 32) == 0);
	/* Corrupted in each part (public key, salt, limits, nonce, box). */
	n = slurp(q, file, sizeof(file));
	CHECK(n == 12 + 32 + 32 + CRYPTO_PASSBOX_OVERHEAD);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		if (flips[i] >= n)
			continue;
		memcpy(x, file, n);
		x[flips[i]] ^= 0x04;
		spill(q, x, n, 0600);
		why = NULL;
		CHECK(keyfile_load_device(&dback, q, "pin 2468", &why) ==
		    KEYFILE_ERR);
		CHECK(why != NULL);
	}
	spill(q, file, n - 1, 0600);
	CHECK(keyfile_load_device(&dback, q, "pin 2468", &why) == KEYFILE_ERR);
	unlink(p);
	unlink(q);
	crypto_wipe(&id, sizeof(id));
	crypto_wipe(&back, sizeof(back));
	crypto_wipe(&dk, sizeof(dk));
	crypto_wipe(&dback, sizeof(dback));
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(sk, sizeof(sk));
}

static void
test_device_key_plain(void)
{
	const char *p = path_of("dev.key");
	struct crypto_device_key dk, back;
	struct crypto_hub_identity h;
	const char *why;

	CHECK(crypto_device_generate(&dk) == 0);
	CHECK(keyfile_save_device(p, &dk, NULL, CRYPTO_KDF_MODERATE, 0,
	    &why) == 0);
	CHECK(mode_of(p) == 0600);
	CHECK(keyfile_load_device(&back, p, NULL, &why) == KEYFILE_OK);
	CHECK(memcmp(&back, &dk, sizeof(dk)) == 0);
	CHECK(keyfile_load_hub(&h, p, NULL, &why) == KEYFILE_ERR);
	chmod(p, 0604);
	CHECK(keyfile_load_device(&back, p, NULL, &why) == KEYFILE_ERR);
	/* Not a key file at all. */
	spill(p, (const uint8_t *)"{\"v\":1}", 7, 0600);
	CHECK(keyfile_load_device(&back, p, NULL, &why) == KEYFILE_ERR);
	CHECK(strcmp(why, "not a key file") == 0);
	unlink(p);
	crypto_wipe(&dk, sizeof(dk));
	crypto_wipe(&back, sizeof(back));
}

/* ---- public key text ---- */

static void
test_pk_text(void)
{
	struct crypto_hub_identity h;
	struct crypto_device_key d;
	char dt[KEYFILE_DEV_PK_TEXT_MAX], ht[KEYFILE_HUB_PK_TEXT_MAX];
	char bad[256];
	uint8_t pk[32], spk[32], kpk[32];
	const char *why;
	size_t i;
	static const char *const b64 =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *at;

	CHECK(crypto_hub_generate(&h) == 0);
	CHECK(crypto_device_generate(&d) == 0);
	CHECK(keyfile_dev_pk_format(dt, sizeof(dt), d.kx_pk) == 0);
	CHECK(strncmp(dt, KEYFILE_DEV_PK_PREFIX, 15) == 0);
	CHECK(strlen(dt) == KEYFILE_DEV_PK_TEXT_MAX - 1);
	CHECK(keyfile_dev_pk_format(dt, sizeof(dt) - 1, d.kx_pk) == -1);
	CHECK(keyfile_dev_pk_format(dt, sizeof(dt), d.kx_pk) == 0);
	CHECK(keyfile_dev_pk_parse(pk, dt, &why) == 0);
	CHECK(memcmp(pk, d.kx_pk, 32) == 0);
	CHECK(keyfile_hub_pk_format(ht, sizeof(ht), h.sign_pk, h.kx_pk) == 0);
	CHECK(strlen(ht) == KEYFILE_HUB_PK_TEXT_MAX - 1);
	CHECK(keyfile_hub_pk_parse(spk, kpk, ht, &why) == 0);
	CHECK(memcmp(spk, h.sign_pk, 32) == 0 && memcmp(kpk, h.kx_pk, 32) ==
	    0);

	/* The wrong kind. */
	why = NULL;
	CHECK(keyfile_dev_pk_parse(pk, ht, &why) == -1);
	CHECK(why != NULL && strcmp(why, "wrong kind of public key") == 0);
	CHECK(keyfile_hub_pk_parse(spk, kpk, dt, &why) == -1);
	CHECK(strcmp(why, "wrong kind of public key") == 0);
	CHECK(keyfile_dev_pk_parse(pk, dt + 15, &why) == -1);
	CHECK(strcmp(why, "not a StrideHub public key") == 0);
	CHECK(keyfile_dev_pk_parse(pk, "", &why) == -1);
	CHECK(keyfile_dev_pk_parse(pk, "STRIDE-DEV-PK1:", &why) == -1);
	/* Truncated, extended, whitespace, padding, other alphabet. */
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(dt) - 1, dt);
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	snprintf(bad, sizeof(bad), "%sA", dt);
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	snprintf(bad, sizeof(bad), "%s\n", dt);
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	snprintf(bad, sizeof(bad), " %s", dt);
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	snprintf(bad, sizeof(bad), "%s=", dt);
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	for (i = 15; i < strlen(dt); i++) {
		snprintf(bad, sizeof(bad), "%s", dt);
		if (bad[i] == '-' || bad[i] == '_') {
			bad[i] = bad[i] == '-' ? '+' : '/';
			CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
		}
	}
	snprintf(bad, sizeof(bad), "%s", dt);
	bad[20] = '*';
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	/* The last character carries 4 bits of key and 2 that must be zero:
	 * a non-canonical spelling of the same key is refused. */
	snprintf(bad, sizeof(bad), "%s", dt);
	at = strchr(b64, bad[strlen(bad) - 1]);
	CHECK(at != NULL && (at - b64) % 4 == 0);
	bad[strlen(bad) - 1] = b64[(at - b64) | 1];
	CHECK(keyfile_dev_pk_parse(pk, bad, &why) == -1);
	crypto_wipe(&h, sizeof(h));
	crypto_wipe(&d, sizeof(d));
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	log_init("test_keyfile", 0);
	snprintf(dir, sizeof(dir), "%s/test_keyfile.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_write_atomic();
	test_write_fails_midway();
	test_read_private();
	test_hub_key_plain();
	test_passphrase();
	test_device_key_plain();
	test_pk_text();
	CHECK(temp_files() == 0);
	unlink(path_of("priv"));
	if (rmdir(dir) != 0)
		fprintf(stderr, "test_keyfile: %s not empty\n", dir);
	return check_done("test_keyfile");
}
