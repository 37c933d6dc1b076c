/*
 * crypto.h - keys, sealed device messages, sealed plans, the signed hub
 * heartbeat, hub key rotation and a device's trust state: the StrideHub
 * security layer (issue 4). docs/protocol.md, sections 13 to 25, has every
 * byte layout and the order of the checks; docs/security.md the threat model;
 * tests/vectors/envelope-v1.txt pins the layouts with test vectors.
 *
 * Built only from libsodium's high-level constructions, nothing invented:
 *   signing            Ed25519 (crypto_sign_detached)
 *   key agreement      X25519 + BLAKE2b (crypto_kx), one rx/tx key pair
 *                      per hub-device pair, device = client, hub = server
 *   message/plan AEAD  XChaCha20-Poly1305-IETF, 24-byte random nonces
 *   hashes             BLAKE2b (crypto_generichash)
 *   passphrases        Argon2id13 (crypto_pwhash) + XSalsa20-Poly1305
 *                      (crypto_secretbox)
 * hub/lib/crypto.c is the only file of the project that includes sodium.h;
 * everything else reaches libsodium through this header (crypto_wipe for
 * sodium_memzero, crypto_random for randombytes_buf, ...).
 *
 * Names: our prefix is crypto_, but libsodium owns crypto_<primitive>_*, so
 * every name here uses a second word libsodium does not (msg, plan, beat,
 * rot, trust, hub, device, session, fp, passbox, ...). Constants are
 * upper-case CRYPTO_* / STRIDE_SEAL_*, which libsodium never uses.
 *
 * Conventions (libsodium's): outputs first, then inputs with their lengths,
 * then keys; 0 on success and -1 on failure unless an enum says otherwise;
 * hostile input is refused with *why set to a static reason (never NULL
 * on failure when why is non-NULL); a NULL pointer where one is required
 * or a too small output buffer for our own data is a programmer error
 * (assert), a too small buffer for hostile data is a refusal.
 *
 * Threading: every function is thread-safe; none keeps state except the
 * one-time libsodium initialisation (pthread_once), which every entry point
 * runs itself, so crypto_init() is only needed to learn early that it
 * failed. Nothing here logs, reads a clock, or touches a file: callers
 * pass `now` and persist what they must (keyfile.h).
 *
 * Secrets: structs holding secret keys are plain data; wipe them with
 * crypto_wipe() when done. Functions here wipe every intermediate secret
 * (session keys, signing buffers) before returning.
 */
#ifndef STRIDE_CRYPTO_H
#define STRIDE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "stride/plan.h"
#include "stride/protocol.h"

/* ---- sizes of the primitives (equal to libsodium's; crypto.c checks) ---- */

#define CRYPTO_SIGN_PK_BYTES	32	/* Ed25519 public key */
#define CRYPTO_SIGN_SK_BYTES	64	/* Ed25519 secret key: seed || pk */
#define CRYPTO_SIGN_SEED_BYTES	32	/* what a key file stores */
#define CRYPTO_SIG_BYTES	64	/* Ed25519 signature */
#define CRYPTO_KX_PK_BYTES	32	/* X25519 public key */
#define CRYPTO_KX_SK_BYTES	32	/* X25519 secret scalar */
#define CRYPTO_KEY_BYTES	32	/* a session (AEAD) key */
#define CRYPTO_NONCE_BYTES	24	/* XChaCha20-Poly1305 nonce */
#define CRYPTO_TAG_BYTES	16	/* Poly1305 tag */
#define CRYPTO_FP_BYTES		32	/* fingerprint: BLAKE2b-256(pk) */
#define CRYPTO_KEY_ID_BYTES	8	/* key id: first 8 bytes of the fp */
#define CRYPTO_FP_TEXT_MAX	20	/* "ABCD-EFGH-IJKL-MNOP" and a NUL */

/* ---- the sealed envelope: every device message, ack, plan and relay ----
 *
 *   off len
 *   0   1   magic 0x53 ('S')
 *   1   1   protocol version (STRIDE_PROTO_VERSION)
 *   2   1   kind (enum stride_kind: 1 telemetry .. 6 plan, 7 relay)
 *   3   1   flags, 0
 *   4   4   epoch, u32 big-endian (0 for a plan)
 *   8   4   seq, u32 big-endian (0 for status and plan)
 *   12  24  nonce, random
 *   36  n+16 XChaCha20-Poly1305-IETF ciphertext and tag
 *
 * Associated data = bytes 0..12 || u8 len(runner) || runner
 *                   || u8 len(device) || device
 * so a message moved to another topic, kind, device, runner, or replayed
 * under another epoch or seq fails to open.
 */
#define STRIDE_SEAL_MAGIC	0x53
#define STRIDE_SEAL_HDR_BYTES	12
#define STRIDE_SEAL_NONCE_OFF	12
#define STRIDE_SEAL_CT_OFF	(STRIDE_SEAL_NONCE_OFF + CRYPTO_NONCE_BYTES)
#define STRIDE_SEAL_OVERHEAD	(STRIDE_SEAL_CT_OFF + CRYPTO_TAG_BYTES)	/* 52 */
#define STRIDE_SEALED_MIN	(STRIDE_SEAL_OVERHEAD + 1)
/* The largest sealed device message: what the hub accepts off the wire. */
#define STRIDE_SEALED_MAX	(STRIDE_PAYLOAD_MAX + \
				    STRIDE_SEAL_OVERHEAD)	/* 4148 */

/* ---- the signed plan (inside a sealed envelope of kind plan) ----
 *
 *   0   8   "STRDPLN1"
 *   8   1   runner id length r, 1..32
 *   9   32  runner id, zero-padded
 *   41  1   device id length d, 1..32
 *   42  32  device id, zero-padded
 *   74  32  fingerprint of the device's X25519 public key
 *   106 8   hub key id (of the signing key)
 *   114 8   plan version, u64 BE, >= 1, grows per device
 *   122 8   issued at, Unix ms, u64 BE
 *   130 8   expires at, Unix ms, u64 BE, > issued at
 *   138 2   plan length n, u16 BE, 1..PLAN_JSON_MAX
 *   140 n   the plan's canonical JSON bytes (plan_encode)
 *   140+n 64 Ed25519 signature over bytes 0 .. 140+n
 */
#define CRYPTO_PLAN_HDR_BYTES	140
#define CRYPTO_PLAN_SIGNED_MIN	(CRYPTO_PLAN_HDR_BYTES + 1 + CRYPTO_SIG_BYTES)
#define CRYPTO_PLAN_SIGNED_MAX	(CRYPTO_PLAN_HDR_BYTES + PLAN_JSON_MAX + \
				    CRYPTO_SIG_BYTES)		/* 3276 */
#define CRYPTO_PLAN_SEALED_MIN	(CRYPTO_PLAN_SIGNED_MIN + STRIDE_SEAL_OVERHEAD)
#define CRYPTO_PLAN_SEALED_MAX	(CRYPTO_PLAN_SIGNED_MAX + \
				    STRIDE_SEAL_OVERHEAD)	/* 3328 */

/* ---- the signed hub heartbeat (clear, broadcast) ----
 *   0 8 "STRDHBT1" | 8 8 hub key id | 16 8 hub time ms u64 BE |
 *   24 8 heartbeat seq u64 BE | 32 64 signature over 0..32
 */
#define CRYPTO_BEAT_BYTES	96

/* ---- the hub key rotation announcement (clear, broadcast) ----
 *   0 8 "STRDROT1" | 8 8 old key id | 16 32 new signing pk |
 *   48 32 hub X25519 pk from now on | 80 8 issued at ms u64 BE |
 *   88 64 signature by the OLD key over 0..88 |
 *   152 64 signature by the NEW key over 0..88
 */
#define CRYPTO_ROT_BYTES	216
#define CRYPTO_ROT_CHAIN_MAX	8	/* announcements in one chain */

/* ---- keys ---- */

/*
 * The hub's identity: a signing key (plans, heartbeats, rotations) and a
 * separate X25519 key (crypto_kx with every device). key_id names the
 * signing key: the first 8 bytes of BLAKE2b-256(sign_pk).
 */
struct crypto_hub_identity {
	uint8_t	sign_pk[CRYPTO_SIGN_PK_BYTES];
	uint8_t	sign_sk[CRYPTO_SIGN_SK_BYTES];	/* secret */
	uint8_t	kx_pk[CRYPTO_KX_PK_BYTES];
	uint8_t	kx_sk[CRYPTO_KX_SK_BYTES];	/* secret */
	uint8_t	key_id[CRYPTO_KEY_ID_BYTES];
};

/* A device's X25519 key pair (crypto_kx), made on or for the device. */
struct crypto_device_key {
	uint8_t	kx_pk[CRYPTO_KX_PK_BYTES];
	uint8_t	kx_sk[CRYPTO_KX_SK_BYTES];	/* secret */
};

/*
 * One side's session keys with the other side: rx opens what the other
 * side sealed with its tx. Device tx == hub rx (device -> hub messages);
 * hub tx == device rx (acks and plans). Secret.
 */
struct crypto_session {
	uint8_t	rx[CRYPTO_KEY_BYTES];
	uint8_t	tx[CRYPTO_KEY_BYTES];
};

/* Initialise libsodium once (every entry point does it too). 0 or -1. */
int	crypto_init(void);

/* sodium_memzero: wipe n bytes at p, never optimised away. */
void	crypto_wipe(void *p, size_t n);

/* n unpredictable bytes (randombytes_buf). */
void	crypto_random(void *p, size_t n);

/* Fresh random identity / device key. 0, or -1 if libsodium failed. */
int	crypto_hub_generate(struct crypto_hub_identity *out);
int	crypto_device_generate(struct crypto_device_key *out);

/*
 * Rebuild a key from its stored secrets (keyfile.h stores exactly these):
 * the Ed25519 seed and the X25519 secret scalar. Public keys and key id are
 * recomputed, so a file cannot pair a secret with a foreign public key.
 */
int	crypto_hub_from_secrets(struct crypto_hub_identity *out,
	    const uint8_t sign_seed[CRYPTO_SIGN_SEED_BYTES],
	    const uint8_t kx_sk[CRYPTO_KX_SK_BYTES]);
void	crypto_hub_export_secrets(uint8_t sign_seed[CRYPTO_SIGN_SEED_BYTES],
	    uint8_t kx_sk[CRYPTO_KX_SK_BYTES],
	    const struct crypto_hub_identity *id);
int	crypto_device_from_secret(struct crypto_device_key *out,
	    const uint8_t kx_sk[CRYPTO_KX_SK_BYTES]);

/*
 * A new signing key for a rotation; the X25519 key is kept (so no device
 * session key changes). next may not alias cur.
 */
int	crypto_hub_new_signing_key(struct crypto_hub_identity *next,
	    const struct crypto_hub_identity *cur);

/* fp = BLAKE2b-256(pk) (unkeyed); the key id is its first 8 bytes. */
void	crypto_fp(uint8_t fp[CRYPTO_FP_BYTES], const uint8_t pk[32]);
void	crypto_key_id(uint8_t id[CRYPTO_KEY_ID_BYTES], const uint8_t pk[32]);

/*
 * The short fingerprint people compare: the first 10 bytes of fp in
 * RFC 4648 base32 (A-Z, 2-7), 4 groups of 4 joined by '-', 80 bits:
 * "ABCD-EFGH-IJKL-MNOP". buf holds CRYPTO_FP_TEXT_MAX bytes.
 */
void	crypto_fp_text(char buf[CRYPTO_FP_TEXT_MAX], const uint8_t pk[32]);

/* Fixed-size hex / base64 (URL-safe alphabet, no padding) for keys.
 * Encoders: 0, or -1 if cap is too small. b64 decode: 0 only if text is
 * exactly the canonical encoding of exactly outlen bytes. */
int	crypto_hex(char *buf, size_t cap, const void *bin, size_t len);
int	crypto_b64_encode(char *buf, size_t cap, const void *bin, size_t len);
int	crypto_b64_decode(void *out, size_t outlen, const char *text,
	    size_t textlen);

/*
 * Session keys (crypto_kx): the device is the client, the hub the server.
 * -1 if the peer's public key is unusable (a low-order point).
 */
int	crypto_session_device(struct crypto_session *out,
	    const struct crypto_device_key *dev,
	    const uint8_t hub_kx_pk[CRYPTO_KX_PK_BYTES]);
int	crypto_session_hub(struct crypto_session *out,
	    const struct crypto_hub_identity *hub,
	    const uint8_t dev_kx_pk[CRYPTO_KX_PK_BYTES]);

/* ---- sealed device messages (and the hub's acks and relays) ---- */

/*
 * Seal msg[0..msg_len) (the v1 JSON, 1..STRIDE_PAYLOAD_MAX bytes) into
 * sealed (cap >= msg_len + STRIDE_SEAL_OVERHEAD) with the sender's tx key.
 * kind is telemetry, event, symptom or status (device -> hub), ack
 * (hub -> device, seq = the acked seq) or relay (hub -> device, epoch/seq =
 * the reporting device's); epoch >= 1; seq >= 1, except 0 for status.
 * runner/device are the ids of the topic it goes on (for what the hub
 * sends: the recipient's). A fresh random nonce every call. Returns 0 and
 * sets *sealed_len, or -1 for arguments that could never be sealed (the
 * caller's bug; nothing is written).
 */
int	crypto_msg_seal(uint8_t *sealed, size_t cap, size_t *sealed_len,
	    const void *msg, size_t msg_len, enum stride_kind kind,
	    uint32_t epoch, uint32_t seq, const char *runner,
	    const char *device, const uint8_t tx[CRYPTO_KEY_BYTES]);

/*
 * Open hostile sealed[0..sealed_len) that arrived on the topic of
 * (runner, device, kind) with the receiver's rx key for that device.
 * Checks, in order: size (STRIDE_SEALED_MIN..STRIDE_SEALED_MAX), magic,
 * version, flags, kind == topic kind, epoch/seq ranges, then the AEAD over
 * header, ids and ciphertext. Returns 0 with msg[0..*msg_len) the JSON,
 * and *epoch and *seq from the (now authenticated) header; or -1 with *why
 * set and *msg_len = 0. The caller must then check that the JSON's epoch
 * and seq equal *epoch and *seq. msg needs room for STRIDE_PAYLOAD_MAX
 * bytes (or sealed_len - STRIDE_SEAL_OVERHEAD); nothing is written to it
 * on failure.
 */
int	crypto_msg_open(void *msg, size_t cap, size_t *msg_len,
	    uint32_t *epoch, uint32_t *seq, const void *sealed,
	    size_t sealed_len, enum stride_kind kind, const char *runner,
	    const char *device, const uint8_t rx[CRYPTO_KEY_BYTES],
	    const char **why);

/* ---- a device's trust in its hub ---- */

#define CRYPTO_RETIRED_MAX	8	/* retired hub key ids remembered */

/*
 * What a device believes about its hub, updated only by the pure functions
 * below and persisted by the caller (crypto_trust_save, then keyfile.h's
 * atomic write) before it acts on the change.
 */
struct crypto_trust {
	uint8_t		hub_sign_pk[CRYPTO_SIGN_PK_BYTES]; /* current key */
	uint8_t		hub_key_id[CRYPTO_KEY_ID_BYTES];	/* of it */
	uint8_t		hub_kx_pk[CRYPTO_KX_PK_BYTES];
	uint32_t	nretired;	/* 0..CRYPTO_RETIRED_MAX */
	/* retired key ids, oldest first */
	uint8_t		retired[CRYPTO_RETIRED_MAX][CRYPTO_KEY_ID_BYTES];
	uint64_t	plan_version;	/* last accepted plan; 0: none */
	uint64_t	beat_seq;	/* last heartbeat accepted; 0: none */
	int64_t		beat_hub_ms;	/* its hub time */
};

/* Serialised form: 8 magic "STRDTRS1" | 32 sign pk | 32 kx pk |
 * 1 nretired | 64 retired ids (unused zero) | 8 plan version | 8 beat seq |
 * 8 beat hub ms | 16 BLAKE2b-128 of all before (against corruption). */
#define CRYPTO_TRUST_BYTES	177

/* Trust a hub (enrolment: the keys come from `stridehub device add`). */
void	crypto_trust_init(struct crypto_trust *t,
	    const uint8_t hub_sign_pk[CRYPTO_SIGN_PK_BYTES],
	    const uint8_t hub_kx_pk[CRYPTO_KX_PK_BYTES]);
void	crypto_trust_save(uint8_t out[CRYPTO_TRUST_BYTES],
	    const struct crypto_trust *t);
/* 0, or -1 with *why (size, magic, checksum, ranges); *t untouched then. */
int	crypto_trust_load(struct crypto_trust *t, const void *buf,
	    size_t len, const char **why);

/* ---- sealed plans: sign, then encrypt to one device ---- */

/* What the hub signs a plan together with. */
struct crypto_plan_to {
	const char	*runner;
	const char	*device;
	const uint8_t	*device_kx_pk;	/* CRYPTO_KX_PK_BYTES */
	uint64_t	 version;	/* >= 1, only grows per device */
	int64_t		 issued_ms;	/* Unix ms, >= 0 */
	int64_t		 expires_ms;	/* > issued_ms */
};

/* What an opened plan was signed with. */
struct crypto_plan_info {
	uint8_t		hub_key_id[CRYPTO_KEY_ID_BYTES];
	uint64_t	version;
	int64_t		issued_ms;
	int64_t		expires_ms;
};

/*
 * Sign plan[0..plan_len) (canonical JSON, 1..PLAN_JSON_MAX bytes) for one
 * recipient with the hub's signing key: the signed-plan layout above into
 * out (cap >= CRYPTO_PLAN_HDR_BYTES + plan_len + CRYPTO_SIG_BYTES).
 */
int	crypto_plan_sign(uint8_t *out, size_t cap, size_t *out_len,
	    const void *plan, size_t plan_len, const struct crypto_plan_to *to,
	    const struct crypto_hub_identity *hub);

/*
 * Encrypt a signed plan to one device: a sealed envelope of kind plan
 * (epoch = seq = 0) under the hub's tx session key for that device, AD
 * binding the device's ids. cap >= signed_len + STRIDE_SEAL_OVERHEAD.
 */
int	crypto_plan_wrap(uint8_t *sealed, size_t cap, size_t *sealed_len,
	    const void *signed_plan, size_t signed_len, const char *runner,
	    const char *device, const uint8_t hub_tx[CRYPTO_KEY_BYTES]);

/* crypto_plan_sign then crypto_plan_wrap, the session derived from hub and
 * to->device_kx_pk. cap >= CRYPTO_PLAN_SEALED_MAX always suffices. */
int	crypto_plan_seal(uint8_t *sealed, size_t cap, size_t *sealed_len,
	    const void *plan, size_t plan_len, const struct crypto_plan_to *to,
	    const struct crypto_hub_identity *hub);

enum crypto_plan_verdict {
	CRYPTO_PLAN_BAD = -1,	/* refused: *why says why; nothing out */
	CRYPTO_PLAN_NEW = 0,	/* authentic, for us, newer, in date: apply,
				   persist, then crypto_trust_plan_accepted */
	CRYPTO_PLAN_SAME,	/* authentic, the version already accepted
				   (a re-delivery, or our own stored copy) */
	CRYPTO_PLAN_EXPIRED	/* authentic, for us, not older, but
				   now >= expiry: keep the last good plan
				   and warn the runner */
};

/*
 * Device side: open hostile sealed[0..sealed_len) from our own plan topic.
 * In order: envelope (size, magic, version, kind, flags, zero counters),
 * AEAD under our rx key (derived from dev and t->hub_kx_pk), signed-plan
 * framing, hub key id (unknown / retired), the Ed25519 signature over the
 * exact bytes, then (only now reading the signed fields) recipient runner,
 * device and our key's fingerprint, version >= 1, expiry > issue, version
 * against t->plan_version (older: refused), expiry against now_ms.
 * The JSON is never looked at; run plan_decode on plan[0..*plan_len) after.
 * plan needs PLAN_JSON_MAX bytes (cap). On NEW, SAME and EXPIRED the plan
 * and *info are filled; on BAD neither is and *why is set. Pure: t is not
 * changed.
 */
enum crypto_plan_verdict crypto_plan_open(void *plan, size_t cap,
	    size_t *plan_len, struct crypto_plan_info *info,
	    const void *sealed, size_t sealed_len, const char *runner,
	    const char *device, int64_t now_ms, const struct crypto_trust *t,
	    const struct crypto_device_key *dev, const char **why);

/* After the plan of a NEW verdict is safely stored: remember its version
 * (never lowers it). */
void	crypto_trust_plan_accepted(struct crypto_trust *t,
	    const struct crypto_plan_info *info);

/* ---- the signed hub heartbeat ---- */

struct crypto_beat {
	uint8_t		hub_key_id[CRYPTO_KEY_ID_BYTES];
	int64_t		hub_ms;		/* hub's clock when signed */
	uint64_t	seq;		/* only grows, >= 1 */
};

/* Hub: sign a heartbeat (hub_ms >= 0, seq >= 1) into out. */
int	crypto_beat_sign(uint8_t out[CRYPTO_BEAT_BYTES], int64_t hub_ms,
	    uint64_t seq, const struct crypto_hub_identity *hub);

/*
 * Device: check a hostile heartbeat against t. Returns 0 (authentic and
 * newer than the last one accepted: call crypto_trust_beat_accepted), 1
 * (authentic but not newer: a retained re-delivery or a replay; ignore),
 * or -1 with *why. Pure.
 */
int	crypto_beat_open(struct crypto_beat *out, const void *buf, size_t len,
	    const struct crypto_trust *t, const char **why);
void	crypto_trust_beat_accepted(struct crypto_trust *t,
	    const struct crypto_beat *b);

/* How old (ms) the hub's latest accepted heartbeat is at now_ms, by the
 * hub's signed clock (0 if it is ahead of ours); -1 if none yet. A device
 * warns "hub not responding" above a threshold of its choosing. */
int64_t	crypto_trust_beat_age_ms(const struct crypto_trust *t, int64_t now_ms);

/* ---- hub key rotation ---- */

/*
 * Hub: announce that `next` replaces `cur` (signed by both, old first).
 * cur and next must have different signing keys.
 */
int	crypto_rot_sign(uint8_t out[CRYPTO_ROT_BYTES], int64_t issued_ms,
	    const struct crypto_hub_identity *cur,
	    const struct crypto_hub_identity *next);

/*
 * Device: apply one hostile announcement to t. It must name t's current
 * key as the old key and carry valid signatures by that key and by the new
 * one; the new key must not be a retired one. Then the old key is retired
 * and the new key (and X25519 key) become current. Returns 0 (applied),
 * 1 (already applied: its new key is current or retired; t unchanged), or
 * -1 with *why (t unchanged).
 */
int	crypto_trust_apply_rot(struct crypto_trust *t, const void *buf,
	    size_t len, const char **why);

/*
 * Device: catch up over a chain: 1..CRYPTO_ROT_CHAIN_MAX announcements
 * back to back, oldest first (the hub keeps it retained). Applies every
 * one that chains from the key current at that point, skips those that do
 * not concern us (already applied, or from before we were enrolled).
 * An announcement that names our current key but fails its checks is an
 * attack: -1 with *why and t unchanged. Otherwise 0 and *applied = how many
 * took effect (0 if we were up to date).
 */
int	crypto_trust_apply_chain(struct crypto_trust *t, const void *buf,
	    size_t len, unsigned *applied, const char **why);

/* ---- passphrase boxes (for key files) ----
 *
 *   0 16 salt | 16 8 opslimit u64 BE | 24 8 memlimit u64 BE |
 *   32 24 nonce | 56 n+16 crypto_secretbox(secret) under
 *   Argon2id13(passphrase, salt, opslimit, memlimit) -> 32-byte key
 */
#define CRYPTO_PASSBOX_OVERHEAD	72

enum crypto_kdf_strength {
	CRYPTO_KDF_MODERATE = 0,	/* 3 passes, 256 MiB: the default */
	CRYPTO_KDF_INTERACTIVE		/* 2 passes, 64 MiB: small devices */
};

/* Box secret[0..len) under a passphrase (1.. bytes). cap >= len +
 * CRYPTO_PASSBOX_OVERHEAD. -1 if Argon2id could not run (memory). */
int	crypto_passbox_seal(uint8_t *out, size_t cap, size_t *out_len,
	    const void *secret, size_t len, const char *pass, size_t passlen,
	    enum crypto_kdf_strength strength);

/*
 * Open a hostile box. Limits outside interactive..sensitive are refused
 * before any work (a file cannot make us allocate gigabytes). -1 with *why
 * ("wrong passphrase or corrupt box", ...) on failure; secret untouched.
 */
int	crypto_passbox_open(void *secret, size_t cap, size_t *len,
	    const uint8_t *box, size_t boxlen, const char *pass,
	    size_t passlen, const char **why);

#ifdef CRYPTO_TEST_VECTORS
/*
 * The test-vector path: the same code as crypto_msg_seal / crypto_plan_wrap
 * with the nonce given instead of drawn. Production code never defines
 * CRYPTO_TEST_VECTORS; a repeated nonce under one key destroys the AEAD's
 * guarantees.
 */
int	crypto_msg_seal_with_nonce(uint8_t *sealed, size_t cap,
	    size_t *sealed_len, const void *msg, size_t msg_len,
	    enum stride_kind kind, uint32_t epoch, uint32_t seq,
	    const char *runner, const char *device,
	    const uint8_t nonce[CRYPTO_NONCE_BYTES],
	    const uint8_t tx[CRYPTO_KEY_BYTES]);
int	crypto_plan_wrap_with_nonce(uint8_t *sealed, size_t cap,
	    size_t *sealed_len, const void *signed_plan, size_t signed_len,
	    const char *runner, const char *device,
	    const uint8_t nonce[CRYPTO_NONCE_BYTES],
	    const uint8_t hub_tx[CRYPTO_KEY_BYTES]);
/* The associated data the envelope of sealed[0..STRIDE_SEAL_HDR_BYTES)
 * is bound with, for printing. Returns its length (0: cap < 78 or an id
 * is invalid). */
size_t	crypto_seal_ad(uint8_t *ad, size_t cap, const uint8_t *hdr,
	    const char *runner, const char *device);
#endif

#endif
