/*
 * ident.c - see ident.h.
 *
 * Files are read with keyfile_read_private (a file group or others may
 * read is refused, its size bounded before a byte is read) and written
 * with keyfile_write_atomic, so a crash leaves the old file or the new.
 * Secrets (the device key, session keys, a passphrase) live in struct
 * ident or on the stack and are wiped with crypto_wipe when done.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ident.h"
#include "stride/log.h"

/* The device key file's Argon2id strength: a device is small. */
#define IDENT_KDF	CRYPTO_KDF_INTERACTIVE

int
ident_path(char *buf, size_t cap, const char *dir, const char *device,
    const char *ext)
{
	int	n = snprintf(buf, cap, "%s/%s%s", dir, device, ext);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
ident_passphrase(const char *path, char *pass, size_t cap, char *err,
    size_t errlen)
{
	const char *why = "cannot read";

	if (keyfile_read_passphrase(pass, cap, path, &why) == -1) {
		snprintf(err, errlen, "passphrase file %s: %s", path, why);
		return -1;
	}
	return 0;
}

/* The state directory, made private if it does not exist yet. */
static int
ident_mkdir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
ident_keygen(const char *dir, const char *device, const char *pass,
    int replace, char pk_text[KEYFILE_DEV_PK_TEXT_MAX],
    char fp[CRYPTO_FP_TEXT_MAX], char *err, size_t errlen)
{
	struct crypto_device_key key;
	char		 path[PATH_MAX], plan[PATH_MAX];
	const char	*why = NULL;
	int		 rc = IDENT_ERR;

	if (ident_path(path, sizeof(path), dir, device, ".key") == -1 ||
	    ident_path(plan, sizeof(plan), dir, device, ".plan") == -1) {
		snprintf(err, errlen, "%s: path too long", dir);
		return IDENT_ERR;
	}
	if (ident_mkdir(dir, err, errlen) == -1)
		return IDENT_ERR;
	/* Before the (maybe slow, with a passphrase) work; the save
	 * refuses it again, race-free. */
	if (!replace && access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists: refusing to replace the "
		    "device key (--replace makes a new one; the hub must then "
		    "be told with `stridehub device add ... --replace`)", path);
		return IDENT_ERR;
	}
	if (crypto_device_generate(&key) == -1) {
		snprintf(err, errlen, "cannot make a key (libsodium)");
		return IDENT_ERR;
	}
	errno = 0;
	if (keyfile_save_device(path, &key, pass, IDENT_KDF,
	    replace ? KEYFILE_REPLACE : 0, &why) == -1) {
		snprintf(err, errlen, "%s: %s%s%s", path, why != NULL ? why :
		    "cannot write", errno != 0 ? ": " : "",
		    errno != 0 ? strerror(errno) : "");
		goto done;
	}
	/* A plan sealed to the old key can never open again. */
	if (replace && unlink(plan) == -1 && errno != ENOENT)
		log_warn("%s", plan);
	if (keyfile_dev_pk_format(pk_text, KEYFILE_DEV_PK_TEXT_MAX,
	    key.kx_pk) == -1) {
		snprintf(err, errlen, "cannot format the public key");
		goto done;
	}
	crypto_fp_text(fp, key.kx_pk);
	rc = IDENT_OK;
done:
	crypto_wipe(&key, sizeof(key));
	return rc;
}

int
ident_enrol(const char *dir, const char *device, const char *hub_text,
    int replace, char sign_fp[CRYPTO_FP_TEXT_MAX],
    char kx_fp[CRYPTO_FP_TEXT_MAX], char *err, size_t errlen)
{
	struct crypto_trust	 t;
	uint8_t			 sign_pk[CRYPTO_SIGN_PK_BYTES];
	uint8_t			 kx_pk[CRYPTO_KX_PK_BYTES];
	uint8_t			 buf[CRYPTO_TRUST_BYTES];
	char			 path[PATH_MAX];
	const char		*why = NULL;

	if (ident_path(path, sizeof(path), dir, device, ".trust") == -1) {
		snprintf(err, errlen, "%s: path too long", dir);
		return IDENT_ERR;
	}
	if (keyfile_hub_pk_parse(sign_pk, kx_pk, hub_text, &why) == -1) {
		snprintf(err, errlen, "not a hub key (want %s... as printed "
		    "by `stridehub device add`): %s", KEYFILE_HUB_PK_PREFIX,
		    why != NULL ? why : "malformed");
		return IDENT_ERR;
	}
	if (ident_mkdir(dir, err, errlen) == -1)
		return IDENT_ERR;
	crypto_trust_init(&t, sign_pk, kx_pk);
	crypto_trust_save(buf, &t);
	errno = 0;
	if (keyfile_write_atomic(path, buf, sizeof(buf), replace ?
	    KEYFILE_REPLACE : 0, &why) == -1) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s exists: already enrolled "
			    "(--replace trusts this hub key instead)", path);
		else
			snprintf(err, errlen, "%s: %s: %s", path, why != NULL ?
			    why : "cannot write", strerror(errno));
		return IDENT_ERR;
	}
	crypto_fp_text(sign_fp, sign_pk);
	crypto_fp_text(kx_fp, kx_pk);
	return IDENT_OK;
}

void
ident_wipe(struct ident *id)
{
	crypto_wipe(id, sizeof(*id));
}

int
ident_load(struct ident *id, const char *dir, const char *runner,
    const char *device, const char *pass, char *err, size_t errlen)
{
	char		 kpath[PATH_MAX], tpath[PATH_MAX];
	uint8_t		 buf[CRYPTO_TRUST_BYTES + 1];
	const char	*why = NULL;
	size_t		 len;
	int		 rc = IDENT_ERR, r;

	memset(id, 0, sizeof(*id));
	if (ident_path(kpath, sizeof(kpath), dir, device, ".key") == -1 ||
	    ident_path(tpath, sizeof(tpath), dir, device, ".trust") == -1 ||
	    strlen(dir) >= sizeof(id->dir)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return IDENT_ERR;
	}
	snprintf(id->dir, sizeof(id->dir), "%s", dir);
	snprintf(id->runner, sizeof(id->runner), "%s", runner);
	snprintf(id->device, sizeof(id->device), "%s", device);
	if (access(kpath, F_OK) == -1 && errno == ENOENT)
		return IDENT_NO_KEY;
	if (access(tpath, F_OK) == -1 && errno == ENOENT)
		return IDENT_NOT_ENROLLED;
	r = keyfile_load_device(&id->key, kpath, pass, &why);
	if (r == KEYFILE_NEED_PASSPHRASE) {
		rc = IDENT_NEED_PASS;
		snprintf(err, errlen, "%s is protected by a passphrase: give "
		    "--passphrase-file F", kpath);
		goto fail;
	}
	if (r != KEYFILE_OK) {
		snprintf(err, errlen, "%s: %s", kpath, why != NULL ? why :
		    "cannot load");
		goto fail;
	}
	if (keyfile_read_private(buf, sizeof(buf), &len, tpath, &why) == -1) {
		snprintf(err, errlen, "%s: %s", tpath, why != NULL ? why :
		    "cannot read");
		goto fail;
	}
	if (crypto_trust_load(&id->trust, buf, len, &why) == -1) {
		snprintf(err, errlen, "%s: %s (enrol again with --replace)",
		    tpath, why);
		goto fail;
	}
	if (crypto_session_device(&id->sess, &id->key,
	    id->trust.hub_kx_pk) == -1) {
		snprintf(err, errlen, "%s: the hub's X25519 key is unusable "
		    "(enrol again with --replace)", tpath);
		goto fail;
	}
	return IDENT_OK;
fail:
	ident_wipe(id);
	return rc;
}

/* Write t (id->trust, or a copy about to become it). */
static int
ident_trust_write(struct ident *id, const struct crypto_trust *t)
{
	uint8_t		 buf[CRYPTO_TRUST_BYTES];
	char		 path[PATH_MAX];
	const char	*why = NULL;

	if (ident_path(path, sizeof(path), id->dir, id->device,
	    ".trust") == -1) {
		log_warnx("ident: trust file name too long");
		return -1;
	}
	crypto_trust_save(buf, t);
	if (keyfile_write_atomic(path, buf, sizeof(buf), KEYFILE_REPLACE,
	    &why) == -1) {
		log_warn("ident: saving %s: %s", path, why != NULL ? why :
		    "failed");
		return -1;
	}
	return 0;
}

int
ident_trust_save(struct ident *id)
{
	if (ident_trust_write(id, &id->trust) == -1)
		return -1;
	id->beat_dirty = 0;
	return 0;
}

/* A plan JSON that passed its signature is still hostile text. */
static int
ident_plan_decode(const void *json, size_t len, struct plan *out,
    const char **why)
{
	struct plan	 p;
	const char	*w = NULL;

	if (plan_decode(json, len, &p, &w) == -1) {
		*why = w != NULL ? w : "plan JSON refused";
		return -1;
	}
	*out = p;
	return 0;
}

/* After the plan of a NEW verdict is stored: raise the version, save. */
static void
ident_plan_accept(struct ident *id, const struct crypto_plan_info *info)
{
	crypto_trust_plan_accepted(&id->trust, info);
	/* If this fails the next start opens the stored plan as NEW and
	 * tries again: the memory state may run ahead of the disk. */
	if (ident_trust_save(id) == -1)
		log_warnx("ident: plan version %llu kept in memory only",
		    (unsigned long long)info->version);
}

enum crypto_plan_verdict
ident_plan_take(struct ident *id, const void *sealed, size_t len,
    int64_t now_ms, struct plan *out, struct crypto_plan_info *info,
    const char **why)
{
	enum crypto_plan_verdict v;
	struct crypto_plan_info	 inf;
	struct plan		 p;
	char			 json[PLAN_JSON_MAX];
	char			 path[PATH_MAX];
	const char		*w = NULL;
	size_t			 jlen = 0;

	v = crypto_plan_open(json, sizeof(json), &jlen, &inf, sealed, len,
	    id->runner, id->device, now_ms, &id->trust, &id->key, &w);
	if (v == CRYPTO_PLAN_BAD) {
		*why = w != NULL ? w : "refused";
		return v;
	}
	if (ident_plan_decode(json, jlen, &p, why) == -1)
		return CRYPTO_PLAN_BAD;
	if (ident_path(path, sizeof(path), id->dir, id->device, ".plan") ==
	    -1) {
		*why = "plan file name too long";
		return CRYPTO_PLAN_BAD;
	}
	/* The same version with no stored copy (`keygen --replace` removed
	 * it, the trust kept the version): store this one, or the next start
	 * without a broker would have no plan. */
	if (v == CRYPTO_PLAN_SAME && access(path, F_OK) == -1 &&
	    errno == ENOENT && keyfile_write_atomic(path, sealed, len, 0,
	    &w) == -1)
		log_warn("ident: storing the plan in %s: %s", path,
		    w != NULL ? w : "failed");
	if (v == CRYPTO_PLAN_NEW) {
		if (keyfile_write_atomic(path, sealed, len, KEYFILE_REPLACE,
		    &w) == -1) {
			log_warn("ident: storing the plan in %s: %s", path,
			    w != NULL ? w : "failed");
			*why = "the plan could not be stored";
			return CRYPTO_PLAN_BAD;
		}
		ident_plan_accept(id, &inf);
	}
	*out = p;
	*info = inf;
	return v;
}

int
ident_plan_restore(struct ident *id, int64_t now_ms, struct plan *out,
    struct crypto_plan_info *info, enum crypto_plan_verdict *verdict,
    const char **why)
{
	enum crypto_plan_verdict v;
	struct crypto_plan_info	 inf;
	struct plan		 p;
	uint8_t			 sealed[CRYPTO_PLAN_SEALED_MAX];
	char			 json[PLAN_JSON_MAX];
	char			 path[PATH_MAX];
	const char		*w = NULL;
	size_t			 len = 0, jlen = 0;

	*verdict = CRYPTO_PLAN_BAD;
	if (ident_path(path, sizeof(path), id->dir, id->device,
	    ".plan") == -1) {
		*why = "plan file name too long";
		return 1;
	}
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (keyfile_read_private(sealed, sizeof(sealed), &len, path,
	    &w) == -1) {
		*why = w != NULL ? w : "cannot read";
		return 1;
	}
	v = crypto_plan_open(json, sizeof(json), &jlen, &inf, sealed, len,
	    id->runner, id->device, now_ms, &id->trust, &id->key, &w);
	if (v == CRYPTO_PLAN_BAD) {
		*why = w != NULL ? w : "refused";
		return 1;
	}
	if (ident_plan_decode(json, jlen, &p, why) == -1)
		return 1;
	/* The plan is on disk already: a NEW here only lacks its version. */
	if (v == CRYPTO_PLAN_NEW)
		ident_plan_accept(id, &inf);
	*out = p;
	*info = inf;
	*verdict = v;
	return 1;
}

int
ident_beat(struct ident *id, const void *buf, size_t len, const char **why)
{
	struct crypto_beat	 b;
	const char		*w = NULL;
	int			 r;

	r = crypto_beat_open(&b, buf, len, &id->trust, &w);
	if (r == -1) {
		*why = w != NULL ? w : "refused";
		return -1;
	}
	if (r == 0) {
		crypto_trust_beat_accepted(&id->trust, &b);
		id->beat_dirty = 1;
	}
	return r;
}

int
ident_keys(struct ident *id, const void *buf, size_t len,
    unsigned *applied, int *kx_changed, const char **why)
{
	struct crypto_trust	 t = id->trust;
	struct crypto_session	 s;
	const char		*w = NULL;
	int			 changed;

	*applied = 0;
	*kx_changed = 0;
	if (crypto_trust_apply_chain(&t, buf, len, applied, &w) == -1) {
		*why = w != NULL ? w : "refused";
		return -1;
	}
	if (*applied == 0)
		return 0;
	changed = memcmp(t.hub_kx_pk, id->trust.hub_kx_pk,
	    sizeof(t.hub_kx_pk)) != 0;
	/* Derive before saving: a key we cannot use is never adopted. */
	if (changed && crypto_session_device(&s, &id->key, t.hub_kx_pk) ==
	    -1) {
		*applied = 0;
		*why = "the new hub X25519 key is unusable";
		return -1;
	}
	if (ident_trust_write(id, &t) == -1) {
		if (changed)
			crypto_wipe(&s, sizeof(s));
		*applied = 0;
		*why = "the trust state could not be saved";
		return -1;
	}
	id->trust = t;
	id->beat_dirty = 0;
	if (changed) {
		id->sess = s;
		crypto_wipe(&s, sizeof(s));
		*kx_changed = 1;
	}
	return 0;
}
