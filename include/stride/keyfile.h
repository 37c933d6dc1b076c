/*
 * keyfile.h - secret key files and public key text, for the hub and the
 * agents.
 *
 * A key file holds the secrets of one hub identity or one device key,
 * written atomically (temp file in the same directory, fsync, rename or
 * link, fsync of the directory) with mode 0600, so a crash leaves the old
 * file or the new one, never a mix. At load a file that group or others
 * have any permission on is refused (the path and mode are logged, never
 * a byte of the key), and so is anything malformed. A passphrase, when
 * given, protects the secrets with Argon2id + secretbox (crypto.h's
 * passphrase box); the public keys stay readable without it.
 *
 * Layout (all sizes in bytes, docs/protocol.md section 23 has the details):
 *   0  8  "STRDKEY1"
 *   8  1  type: 1 hub identity, 2 device key
 *   9  1  protection: 0 none, 1 passphrase
 *   10 2  zero
 *   12 P  public keys: hub: Ed25519 pk, X25519 pk (64); device: X25519 pk
 *   12+P  secrets: hub: Ed25519 seed, X25519 sk (64); device: X25519 sk
 *         (32); in clear, or as a passphrase box of them
 * The public keys are recomputed from the secrets at load and must match,
 * which also catches a file whose public part was edited, and almost any
 * damage to the secrets (X25519 ignores 5 bits of its scalar by design, so
 * damage to exactly those loads as the same key).
 *
 * Public key text, for people and the CLI (`stridehub device add <runner>
 * <device-pk>` takes the first; the device is given the second):
 *   stride-dev-pk1:<base64url, no padding, of the X25519 pk>
 *   stride-hub-pk1:<base64url, no padding, of Ed25519 pk || X25519 pk>
 *
 * Never: log key material, keep state. Logs (log.h) only a refused file's
 * path and mode. Thread-safe.
 */
#ifndef STRIDE_KEYFILE_H
#define STRIDE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "stride/crypto.h"

#define KEYFILE_REPLACE		0x1	/* flag: replace an existing file */
#define KEYFILE_MODE		0600	/* every file we write */
#define KEYFILE_MAX		512	/* bytes: the largest key file read */

#define KEYFILE_DEV_PK_PREFIX	"stride-dev-pk1:"
#define KEYFILE_HUB_PK_PREFIX	"stride-hub-pk1:"
#define KEYFILE_DEV_PK_TEXT_MAX	(15 + 43 + 1)	/* with the NUL */
#define KEYFILE_HUB_PK_TEXT_MAX	(15 + 86 + 1)

enum keyfile_status {
	KEYFILE_OK = 0,
	KEYFILE_ERR = -1,		/* refused or failed: *why says why */
	KEYFILE_NEED_PASSPHRASE = -2	/* protected and no passphrase given */
};

/*
 * Write buf[0..len) to path atomically, mode 0600. Without KEYFILE_REPLACE
 * an existing path is never touched (-1, errno EEXIST, even in a race).
 * On any failure the temp file is removed and path is as it was.
 * Returns 0, or -1 with errno and *why set. Also for the device's trust
 * state and last good plan.
 */
int	keyfile_write_atomic(const char *path, const void *buf, size_t len,
	    int flags, const char **why);

/*
 * Read a private file (a regular file no one but its owner may access) of
 * at most cap bytes into buf. A file with any group/other permission bit
 * is refused, and its path and mode logged. Returns 0 and *len, or -1 with
 * *why set (errno set for system errors). Wipe buf when done if it holds
 * secrets.
 */
int	keyfile_read_private(void *buf, size_t cap, size_t *len,
	    const char *path, const char **why);

/*
 * A passphrase: the first line of the private file path (the rule of
 * keyfile_read_private), without its line end, NUL-terminated in
 * pass[0..cap). 0, or -1 with *why ("the first line is empty or not text",
 * or keyfile_read_private's reason) and pass wiped. Wipe pass when done.
 */
int	keyfile_read_passphrase(char *pass, size_t cap, const char *path,
	    const char **why);

/* fsync the directory holding path, so a rename or unlink in it is
 * durable. 0, or -1 with errno. */
int	keyfile_sync_dir(const char *path);

/*
 * Save a key. pass NULL: secrets in clear (still mode 0600); otherwise
 * 1.. bytes of passphrase, stretched with `strength`. flags:
 * KEYFILE_REPLACE or 0. Returns 0, or -1 with *why (and errno).
 */
int	keyfile_save_hub(const char *path, const struct crypto_hub_identity *id,
	    const char *pass, enum crypto_kdf_strength strength, int flags,
	    const char **why);
int	keyfile_save_device(const char *path,
	    const struct crypto_device_key *key, const char *pass,
	    enum crypto_kdf_strength strength, int flags, const char **why);

/*
 * Load a key: KEYFILE_OK, KEYFILE_NEED_PASSPHRASE (protected, pass NULL),
 * or KEYFILE_ERR with *why. A passphrase given for an unprotected file is
 * ignored. *out is written only on success.
 */
int	keyfile_load_hub(struct crypto_hub_identity *out, const char *path,
	    const char *pass, const char **why);
int	keyfile_load_device(struct crypto_device_key *out, const char *path,
	    const char *pass, const char **why);

/* The public keys of a key file, without its passphrase. */
int	keyfile_public_hub(uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
	    uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *path,
	    const char **why);
int	keyfile_public_device(uint8_t kx_pk[CRYPTO_KX_PK_BYTES],
	    const char *path, const char **why);

/*
 * Public key text. Format: 0, or -1 if cap is too small. Parse: 0, or -1
 * with *why for anything but exactly prefix + canonical base64 of the
 * right length (no whitespace, no padding: trim input first).
 */
int	keyfile_dev_pk_format(char *buf, size_t cap,
	    const uint8_t kx_pk[CRYPTO_KX_PK_BYTES]);
int	keyfile_dev_pk_parse(uint8_t kx_pk[CRYPTO_KX_PK_BYTES],
	    const char *text, const char **why);
int	keyfile_hub_pk_format(char *buf, size_t cap,
	    const uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
	    const uint8_t kx_pk[CRYPTO_KX_PK_BYTES]);
int	keyfile_hub_pk_parse(uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES],
	    uint8_t kx_pk[CRYPTO_KX_PK_BYTES], const char *text,
	    const char **why);

#endif
