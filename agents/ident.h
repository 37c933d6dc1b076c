/*
 * ident.h - the device's identity and its trust in the hub, kept in the
 * state directory (docs/protocol.md, sections 19.3, 22 and 23):
 *
 *   DIR/<device>.key	its X25519 key (keyfile.h, 0600, maybe a passphrase)
 *   DIR/<device>.trust	what it believes about the hub (struct
 *			crypto_trust, 177 bytes, 0600)
 *   DIR/<device>.plan	the last accepted sealed plan, as received (0600)
 *
 * Owns: making the key (keygen), trusting a hub (enrol), loading both for
 * a run, and every decision on what the hub sends that is not a message
 * ack: a sealed plan (open, decode, store, then raise the version: that
 * order), a heartbeat, a rotation chain. Every file is written with
 * keyfile_write_atomic (temp file, fsync, rename, fsync of the directory).
 *
 * Never: logs a key or a plan's bytes; acts on a plan, heartbeat or chain
 * that crypto.h did not accept; lowers the trust state's counters (crypto.h
 * never does); writes the trust before the plan it names.
 *
 * Not thread-safe: one ident per agent process, used by its main thread
 * only (link.c's callbacks reach it through link_poll).
 */
#ifndef AGENT_IDENT_H
#define AGENT_IDENT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define IDENT_PASS_MAX	1024	/* bytes of a passphrase file read */

struct ident {
	char			 dir[PATH_MAX];
	char			 runner[STRIDE_ID_MAX + 1];
	char			 device[STRIDE_ID_MAX + 1];
	struct crypto_device_key key;		/* secret */
	struct crypto_trust	 trust;		/* as on disk, but for beat */
	struct crypto_session	 sess;		/* secret: from key + trust */
	int			 beat_dirty;	/* a heartbeat not saved yet */
};

enum ident_status {
	IDENT_OK = 0,
	IDENT_ERR = -1,		/* the reason is in err */
	IDENT_NO_KEY = -2,	/* DIR/<device>.key does not exist */
	IDENT_NOT_ENROLLED = -3,/* DIR/<device>.trust does not exist */
	IDENT_NEED_PASS = -4	/* the key is protected: no passphrase */
};

/* "<dir>/<device><ext>" into buf. 0, or -1 if it does not fit. */
int	ident_path(char *buf, size_t cap, const char *dir, const char *device,
	    const char *ext);

/*
 * The passphrase on the first line of the private file path (no group or
 * other permission, as a key file) into pass (cap >= 2), NUL-terminated,
 * the rest of the buffer wiped. 0, or -1 with the reason in err.
 */
int	ident_passphrase(const char *path, char *pass, size_t cap, char *err,
	    size_t errlen);

/*
 * keygen: a fresh device key in DIR/<device>.key (mode 0600; dir is made
 * 0700 if missing), protected by pass if not NULL. Without replace an
 * existing key is never touched. With replace, the old key's stored plan
 * (which can no longer be opened) is removed too. Fills the public key
 * text and its short fingerprint. IDENT_OK or IDENT_ERR (err).
 */
int	ident_keygen(const char *dir, const char *device, const char *pass,
	    int replace, char pk_text[KEYFILE_DEV_PK_TEXT_MAX],
	    char fp[CRYPTO_FP_TEXT_MAX], char *err, size_t errlen);

/*
 * enrol: trust the hub named by hub_text ("stride-hub-pk1:..."): a new
 * DIR/<device>.trust (crypto_trust_init). Without replace an existing one
 * is never touched. Fills both short fingerprints for the owner to
 * compare with `stridehub device add`'s. IDENT_OK or IDENT_ERR (err).
 */
int	ident_enrol(const char *dir, const char *device, const char *hub_text,
	    int replace, char sign_fp[CRYPTO_FP_TEXT_MAX],
	    char kx_fp[CRYPTO_FP_TEXT_MAX], char *err, size_t errlen);

/*
 * For run/report/event: load the key (with pass, or NULL) and the trust,
 * and derive the session keys. The key is looked for first. Returns
 * IDENT_OK, IDENT_NO_KEY, IDENT_NOT_ENROLLED, IDENT_NEED_PASS or IDENT_ERR
 * (err). id is wiped on failure. Wipe it with ident_wipe when done.
 */
int	ident_load(struct ident *id, const char *dir, const char *runner,
	    const char *device, const char *pass, char *err, size_t errlen);
void	ident_wipe(struct ident *id);

/* Write id->trust to DIR/<device>.trust, atomically. 0, or -1 logged. */
int	ident_trust_save(struct ident *id);

/*
 * A sealed plan from our plan topic (hostile, len bytes). The verdict of
 * crypto_plan_open, acted on:
 *   NEW: the JSON decoded (plan_decode) into *out, the sealed bytes stored
 *        in DIR/<device>.plan, then the version raised and the trust saved
 *        (protocol.md 19.3, step 11). A JSON that does not decode, or a plan
 *        that cannot be stored, is BAD (nothing changed).
 *   SAME, EXPIRED: authentic; *out decoded when the JSON does, else BAD.
 *        Nothing stored.
 *   BAD: *why says why; *out and the state untouched.
 * *info is filled unless BAD.
 */
enum crypto_plan_verdict ident_plan_take(struct ident *id, const void *sealed,
	    size_t len, int64_t now_ms, struct plan *out,
	    struct crypto_plan_info *info, const char **why);

/*
 * At start: open DIR/<device>.plan again. Returns 0 if there is none;
 * otherwise 1 with *verdict set: SAME (the usual), NEW (a power cut struck
 * between storing the plan and the trust: the version is raised and the
 * trust saved now), EXPIRED (still the last good plan: *out filled, warn
 * the runner), or BAD with *why (the file is ignored, not removed).
 */
int	ident_plan_restore(struct ident *id, int64_t now_ms, struct plan *out,
	    struct crypto_plan_info *info, enum crypto_plan_verdict *verdict,
	    const char **why);

/*
 * A heartbeat from <prefix>/v1/_hub/heartbeat. 0: new, remembered (saved
 * lazily: id->beat_dirty); 1: not newer (ignored); -1 with *why.
 */
int	ident_beat(struct ident *id, const void *buf, size_t len,
	    const char **why);

/*
 * A rotation chain from <prefix>/v1/_hub/keys. Applied to a copy of the
 * trust; if anything took effect the copy is saved first, then adopted, and
 * the session keys derived again if the hub's X25519 key changed
 * (*kx_changed = 1). Returns 0 with *applied (0: up to date), or -1 with
 * *why (a refused chain, or one that could not be saved: state unchanged).
 */
int	ident_keys(struct ident *id, const void *buf, size_t len,
	    unsigned *applied, int *kx_changed, const char **why);

#endif
