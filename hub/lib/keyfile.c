/*
 * keyfile.c - secret key files and public key text (see stride/keyfile.h).
 *
 * Owns the key file layout and the atomic-write and private-read rules for
 * every file that holds secrets or trust. All cryptography is crypto.h's
 * (this file never includes sodium.h); every buffer that held a secret is
 * wiped with crypto_wipe before it goes out of scope.
 *
 * Never: logs key material or file contents (only a refused file's path
 * and mode), follows a half-written file (writes go to a temp file first),
 * or overwrites an existing key without KEYFILE_REPLACE.
 * Threading: no state; concurrent writers of one path each produce a
 * complete file and the last rename wins.
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"

#define KEYFILE_MAGIC		"STRDKEY1"
#define KEYFILE_MAGIC_BYTES	8
#define KEYFILE_HDR_BYTES	12
#define KEYFILE_TYPE_HUB	1
#define KEYFILE_TYPE_DEVICE	2
#define KEYFILE_PROT_NONE	0
#define KEYFILE_PROT_PASS	1

/* Public and secret part sizes per type. */
#define KEYFILE_HUB_PUB		(CRYPTO_SIGN_PK_BYTES + CRYPTO_KX_PK_BYTES)
#define KEYFILE_HUB_SEC		(CRYPTO_SIGN_SEED_BYTES + CRYPTO_KX_SK_BYTES)
#define KEYFILE_DEV_PUB		CRYPTO_KX_PK_BYTES
#define KEYFILE_DEV_SEC		CRYPTO_KX_SK_BYTES

/* Every entry point accepts why == NULL. */
static void
keyfile_why(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
}

_Static_assert(KEYFILE_HDR_BYTES + KEYFILE_HUB_PUB + KEYFILE_HUB_SEC +
    CRYPTO_PASSBOX_OVERHEAD <= KEYFILE_MAX, "key files fit KEYFILE_MAX");

/* ---- atomic write, private read ---- */

/* Write all of buf, retrying short writes and EINTR. */
static int
keyfile_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
keyfile_sync_dir(const char *path)
{
	char	 dir[PATH_MAX];
	char	*slash;
	int	 fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
keyfile_write_atomic(const char *path, const void *buf, size_t len,
    int flags, const char **why)
{
	char		 tmp[PATH_MAX];
	const char	*reason = NULL;
	int		 fd = -1, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		reason = "path too long";
		goto fail;
	}
	/* mkstemp creates the file 0600 and exclusively; fchmod says so
	 * explicitly in case a libc ever differs. */
	if ((fd = mkstemp(tmp)) < 0) {
		tmp[0] = '\0';
		reason = "cannot create temp file";
		goto fail;
	}
	if (fchmod(fd, KEYFILE_MODE) != 0) {
		reason = "cannot set mode 0600";
		goto fail;
	}
	if (keyfile_write_all(fd, buf, len) != 0) {
		reason = "cannot write temp file";
		goto fail;
	}
	if (fsync(fd) != 0) {
		reason = "cannot sync temp file";
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		reason = "cannot close temp file";
		goto fail;
	}
	fd = -1;
	if (flags & KEYFILE_REPLACE) {
		if (rename(tmp, path) != 0) {
			reason = "cannot rename temp file";
			goto fail;
		}
	} else {
		/* link(2) fails if path exists, atomically: no check-then-act
		 * race can make us clobber a key made meanwhile. */
		if (link(tmp, path) != 0) {
			reason = errno == EEXIST ? "file exists" :
			    "cannot link temp file";
			goto fail;
		}
		(void)unlink(tmp);
	}
	if (keyfile_sync_dir(path) != 0) {
		/* The file is complete and in place; only its durability
		 * across a power cut is in doubt. Say so. */
		keyfile_why(why, "cannot sync directory");
		return -1;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	errno = saved;
	keyfile_why(why, reason);
	return -1;
}

int
keyfile_read_private(void *buf, size_t cap, size_t *len, const char *path,
    const char **why)
{
	struct stat	 st;
	const char	*reason;
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, saved;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		reason = "cannot open";
		goto fail;
	}
	/* fstat on the open file: what we check is what we read. */
	if (fstat(fd, &st) != 0) {
		reason = "cannot stat";
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		reason = "not a regular file";
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s: mode %04o lets group or others access it; "
		    "refused (chmod 600 it, or make a new key)", path,
		    (unsigned)(st.st_mode & 07777));
		errno = EACCES;
		reason = "readable by group or others";
		goto fail;
	}
	if ((uintmax_t)st.st_size > cap) {
		errno = EFBIG;
		reason = "file too large";
		goto fail;
	}
	/* Read up to cap + 1 so a file that grew since fstat is caught. */
	for (;;) {
		unsigned char extra;

		if (got < cap)
			n = read(fd, p + got, cap - got);
		else
			n = read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			reason = "cannot read";
			goto fail;
		}
		if (n == 0)
			break;
		if (got == cap) {
			errno = EFBIG;
			reason = "file too large";
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	crypto_wipe(buf, got);
	errno = saved;
	keyfile_why(why, reason);
	return -1;
}

int
keyfile_read_passphrase(char *pass, size_t cap, const char *path,
    const char **why)
{
	size_t	len = 0, n;

	assert(pass != NULL && cap >= 2 && path != NULL);
	if (keyfile_read_private(pass, cap - 1, &len, path, why) == -1) {
		crypto_wipe(pass, cap);
		return -1;
	}
	pass[len] = '\0';
	for (n = 0; n < len && pass[n] != '\n' && pass[n] != '\r'; n++)
		;
	if (n == 0 || memchr(pass, '\0', n) != NULL) {
		crypto_wipe(pass, cap);
		keyfile_why(why, "the first line is empty or not text");
		return -1;
	}
	crypto_wipe(pass + n, cap - n);
	return 0;
}

/* ---- key files ---- */

/* Build and write a key file: header, pub, then sec in clear or boxed. */
static int
keyfile_save(const char *path, int type, const uint8_t *pub, size_t publen,
    const uint8_t *sec, size_t seclen, const char *pass,
    enum crypto_kdf_strength strength, int flags, const char **why)
{
	uint8_t	file[KEYFILE_MAX];
	size_t	n = KEYFILE_HDR_BYTES + publen, boxlen = 0;
	int	rc = -1;

	memset(file, 0, KEYFILE_HDR_BYTES);
	memcpy(file, KEYFILE_MAGIC, KEYFILE_MAGIC_BYTES);
	file[8] = (uint8_t)type;
	file[9] = pass != NULL ? KEYFILE_PROT_PASS : KEYFILE_PROT_NONE;
	memcpy(file + KEYFILE_HDR_BYTES, pub, publen);
	if (pass == NULL) {
		memcpy(file + n, sec, seclen);
		n += seclen;
	} else {
		if (*pass == '\0') {
			keyfile_why(why, "empty passphrase");
			goto done;
		}
		if (crypto_passbox_seal(file + n, sizeof(file) - n, &boxlen,
		    sec, seclen, pass, strlen(pass), strength) != 0) {
			keyfile_why(why,
			    "passphrase protection failed (memory?)");
			goto done;
		}
		n += boxlen;
	}
	rc = keyfile_write_atomic(path, file, n, flags, why);
done:
	crypto_wipe(file, sizeof(file));
	return rc;
}

/*
 * Read and check a key file of `type`: header, exact size, and the
 * secrets (opened with pass if protected). pub and sec receive their
 * parts. Returns a keyfile_status. want_sec 0: only the public part.
 */
static int
keyfile_load(uint8_t *pub, size_t publen, uint8_t *sec, size_t seclen,
    int want_sec, int type, const char *path, const char *pass,
    const char **why)
{
	uint8_t	file[KEYFILE_MAX];
	size_t	len = 0, got = 0, rest;
	int	rc = KEYFILE_ERR;

	if (keyfile_read_private(file, sizeof(file), &len, path, why) != 0)
		return KEYFILE_ERR;
	if (len < KEYFILE_HDR_BYTES + publen ||
	    memcmp(file, KEYFILE_MAGIC, KEYFILE_MAGIC_BYTES) != 0) {
		keyfile_why(why, "not a key file");
		goto done;
	}
	if (file[8] != type) {
		keyfile_why(why, file[8] == KEYFILE_TYPE_HUB ||
		    file[8] == KEYFILE_TYPE_DEVICE ?
		    "key file holds the other kind of key" :
		    "unknown key file type");
		goto done;
	}
	if (file[10] != 0 || file[11] != 0 || file[9] > KEYFILE_PROT_PASS) {
		keyfile_why(why, "unsupported key file format");
		goto done;
	}
	rest = len - KEYFILE_HDR_BYTES - publen;
	if (rest != (file[9] == KEYFILE_PROT_NONE ? seclen :
	    seclen + CRYPTO_PASSBOX_OVERHEAD)) {
		keyfile_why(why, "key file has the wrong size");
		goto done;
	}
	memcpy(pub, file + KEYFILE_HDR_BYTES, publen);
	if (!want_sec) {
		rc = KEYFILE_OK;
		goto done;
	}
	if (file[9] == KEYFILE_PROT_NONE)
		memcpy(sec, file + KEYFILE_HDR_BYTES + publen, seclen);
	else if (pass == NULL) {
		keyfile_why(why, "key file is protected by a passphrase");
		rc = KEYFILE_NEED_PASSPHRASE;
		goto done;
	} else if (crypto_passbox_open(sec, seclen, &got,
	    file + KEYFILE_HDR_BYTES + publen, rest, pass, strlen(pass),
	    why) != 0)
		goto done;
	else if (got != seclen) {
		keyfile_why(why, "key file has the wrong size");
		crypto_wipe(sec, seclen);
		goto done;
	}
	rc = KEYFILE_OK;
done:
	crypto_wipe(file, sizeof(file));
	return rc;
}

int
keyfile_save_hub(const char *path, const struct crypto_hub_identity *id,
    const char *pass, enum crypto_kdf_strength strength, int flags,
    const char **why)
{
	uint8_t	pub[KEYFILE_HUB_PUB], sec[KEYFILE_HUB_SEC];
	int	rc;
	memcpy(pub, id->sign_pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(pub + CRYPTO_SIGN_PK_BYTES, id->kx_pk, CRYPTO_KX_PK_BYTES);
	crypto_hub_export_secrets(sec, sec + CRYPTO_SIGN_SEED_BYTES, id);
	rc = keyfile_save(path, KEYFILE_TYPE_HUB, pub, sizeof(pub), sec,
	    sizeof(sec), pass, strength, flags, why);
	crypto_wipe(sec, sizeof(sec));
	return rc;
}

int
keyfile_save_device(const char *path, const struct crypto_device_key *key,
    const char *pass, enum crypto_kdf_strength strength, int flags,
    const char **why)
{
	return keyfile_save(path, KEYFILE_TYPE_DEVICE, key->kx_pk,
	    KEYFILE_DEV_PUB, key->kx_sk, KEYFILE_DEV_SEC, pass, strength,
	    flags, why);
}

int
keyfile_load_hub(struct crypto_hub_identity *out, const char *path,
    const char *pass, const char **why)
{
	struct crypto_hub_identity id;
	uint8_t	pub[KEYFILE_HUB_PUB], sec[KEYFILE_HUB_SEC];
	int	rc;
	rc = keyfile_load(pub, sizeof(pub), sec, sizeof(sec), 1,
	    KEYFILE_TYPE_HUB, path, pass, why);
	if (rc != KEYFILE_OK)
		goto done;
	rc = KEYFILE_ERR;
	if (crypto_hub_from_secrets(&id, sec,
	    sec + CRYPTO_SIGN_SEED_BYTES) != 0) {
		keyfile_why(why, "unusable key");
		goto done;
	}
	if (memcmp(id.sign_pk, pub, CRYPTO_SIGN_PK_BYTES) != 0 ||
	    memcmp(id.kx_pk, pub + CRYPTO_SIGN_PK_BYTES,
	    CRYPTO_KX_PK_BYTES) != 0) {
		keyfile_why(why,
		    "key file corrupt: public and secret keys differ");
		goto done;
	}
	*out = id;
	rc = KEYFILE_OK;
done:
	crypto_wipe(&id, sizeof(id));
	crypto_wipe(sec, sizeof(sec));
	return rc;
}

int
keyfile_load_device(struct crypto_device_key *out, const char *path,
    const char *pass, const char **why)
{
	struct crypto_device_key k;
	uint8_t	pub[KEYFILE_DEV_PUB], sec[KEYFILE_DEV_SEC];
	int	rc;
	rc = keyfile_load(pub, sizeof(pub), sec, sizeof(sec), 1,
	    KEYFILE_TYPE_DEVICE, path, pass, why);
	if (rc != KEYFILE_OK)
		goto done;
	rc = KEYFILE_ERR;
	if (crypto_device_from_secret(&k, sec) != 0) {
		keyfile_why(why, "unusable key");
		goto done;
	}
	if (memcmp(k.kx_pk, pub, CRYPTO_KX_PK_BYTES) != 0) {
		keyfile_why(why,
		    "key file corrupt: public and secret keys differ");
		goto done;
	}
	*out = k;
	rc = KEYFILE_OK;
done:
	crypto_wipe(&k, sizeof(k));
	crypto_wipe(sec, sizeof(sec));
	return rc;
}

int
keyfile_public_hub(uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
    uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *path, const char **why)
{
	uint8_t pub[KEYFILE_HUB_PUB];
	if (keyfile_load(pub, sizeof(pub), NULL, KEYFILE_HUB_SEC, 0,
	    KEYFILE_TYPE_HUB, path, NULL, why) != KEYFILE_OK)
		return -1;
	memcpy(sign_pk, pub, CRYPTO_SIGN_PK_BYTES);
	memcpy(kx_pk, pub + CRYPTO_SIGN_PK_BYTES, CRYPTO_KX_PK_BYTES);
	return 0;
}

int
keyfile_public_device(uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *path,
    const char **why)
{
	return keyfile_load(kx_pk, KEYFILE_DEV_PUB, NULL, KEYFILE_DEV_SEC, 0,
	    KEYFILE_TYPE_DEVICE, path, NULL, why) == KEYFILE_OK ? 0 : -1;
}

/* ---- public key text ---- */

static int
keyfile_pk_format(char *buf, size_t cap, const char *prefix,
    const uint8_t *bin, size_t len)
{
	size_t pl = strlen(prefix);

	if (cap < pl)
		return -1;
	memcpy(buf, prefix, pl);
	return crypto_b64_encode(buf + pl, cap - pl, bin, len);
}

static int
keyfile_pk_parse(uint8_t *bin, size_t len, const char *prefix,
    const char *text, const char **why)
{
	size_t pl = strlen(prefix);

	if (strncmp(text, prefix, pl) != 0) {
		keyfile_why(why, strncmp(text, "stride-", 7) == 0 ?
		    "wrong kind of public key" :
		    "not a StrideHub public key");
		return -1;
	}
	text += pl;
	if (crypto_b64_decode(bin, len, text, strnlen(text, 256)) != 0) {
		keyfile_why(why, "public key: bad base64 or wrong length");
		return -1;
	}
	return 0;
}

int
keyfile_dev_pk_format(char *buf, size_t cap,
    const uint8_t kx_pk[CRYPTO_KX_PK_BYTES])
{
	return keyfile_pk_format(buf, cap, KEYFILE_DEV_PK_PREFIX, kx_pk,
	    CRYPTO_KX_PK_BYTES);
}

int
keyfile_dev_pk_parse(uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *text,
    const char **why)
{
	return keyfile_pk_parse(kx_pk, CRYPTO_KX_PK_BYTES,
	    KEYFILE_DEV_PK_PREFIX, text, why);
}

int
keyfile_hub_pk_format(char *buf, size_t cap,
    const uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
    const uint8_t kx_pk[CRYPTO_KX_PK_BYTES])
{
	uint8_t both[CRYPTO_SIGN_PK_BYTES + CRYPTO_KX_PK_BYTES];

	memcpy(both, sign_pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(both + CRYPTO_SIGN_PK_BYTES, kx_pk, CRYPTO_KX_PK_BYTES);
	return keyfile_pk_format(buf, cap, KEYFILE_HUB_PK_PREFIX, both,
	    sizeof(both));
}

int
keyfile_hub_pk_parse(uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
    uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *text, const char **why)
{
	uint8_t both[CRYPTO_SIGN_PK_BYTES + CRYPTO_KX_PK_BYTES];
	if (keyfile_pk_parse(both, sizeof(both), KEYFILE_HUB_PK_PREFIX, text,
	    why) != 0)
		return -1;
	memcpy(sign_pk, both, CRYPTO_SIGN_PK_BYTES);
	memcpy(kx_pk, both + CRYPTO_SIGN_PK_BYTES, CRYPTO_KX_PK_BYTES);
	return 0;
}
