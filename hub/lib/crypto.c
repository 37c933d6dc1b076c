/*
 * crypto.c - the StrideHub security layer (see stride/crypto.h), and the
 * only file of the project that includes sodium.h.
 *
 * Owns: every byte layout of docs/protocol.md, sections 13 to 25 (sealed
 * envelope, signed plan, heartbeat, rotation announcement, trust state,
 * passphrase box) and every call into libsodium. Never: logs, reads a
 * clock, touches a file, parses JSON, keeps state beyond libsodium's
 * one-time init, or invents a construction (only crypto_sign, crypto_kx,
 * crypto_aead_xchacha20poly1305_ietf, crypto_generichash, crypto_pwhash
 * and crypto_secretbox are used).
 *
 * Design notes:
 *  1. Every hostile buffer is checked for size first, then for its fixed
 *     bytes, then authenticated; no field of it is trusted (or even read,
 *     beyond the key id that selects the key) before authentication.
 *  2. A signed plan is verified over the exact bytes received before any
 *     of its fields is looked at; the JSON is never looked at here.
 *  3. Checks never change caller state: crypto_plan_open and
 *     crypto_beat_open take a const trust, and the caller commits with
 *     crypto_trust_*_accepted once it has persisted what it needs, so a
 *     power cut can never leave "accepted but not stored".
 *  4. Rotation works on a copy of the trust state and copies it back only
 *     when everything checked out.
 *  5. Intermediate secrets (session keys, the Argon2id output, decrypted
 *     key material) live on the stack and are wiped on every path out.
 *
 * Threading: no state but `crypto_once`; everything is re-entrant.
 */
#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Only to check the test-vector entry points against their definitions. */
#define CRYPTO_TEST_VECTORS
#include "stride/crypto.h"
#include "stride/plan.h"
#include "stride/protocol.h"

/* Our sizes are the contract; they must be libsodium's. */
_Static_assert(CRYPTO_SIGN_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk");
_Static_assert(CRYPTO_SIGN_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk");
_Static_assert(CRYPTO_SIGN_SEED_BYTES == crypto_sign_SEEDBYTES, "seed");
_Static_assert(CRYPTO_SIG_BYTES == crypto_sign_BYTES, "sig");
_Static_assert(CRYPTO_KX_PK_BYTES == crypto_kx_PUBLICKEYBYTES, "kx pk");
_Static_assert(CRYPTO_KX_SK_BYTES == crypto_kx_SECRETKEYBYTES, "kx sk");
_Static_assert(CRYPTO_KEY_BYTES == crypto_kx_SESSIONKEYBYTES, "kx key");
_Static_assert(CRYPTO_KEY_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "aead key");
_Static_assert(CRYPTO_NONCE_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "aead nonce");
_Static_assert(CRYPTO_TAG_BYTES ==
    crypto_aead_xchacha20poly1305_ietf_ABYTES, "aead tag");
_Static_assert(CRYPTO_KX_SK_BYTES == crypto_scalarmult_SCALARBYTES, "x25519");
_Static_assert(CRYPTO_FP_BYTES >= crypto_generichash_BYTES_MIN &&
    CRYPTO_FP_BYTES <= crypto_generichash_BYTES_MAX, "fp");
_Static_assert(CRYPTO_KEY_BYTES == crypto_secretbox_KEYBYTES, "box key");
_Static_assert(CRYPTO_PASSBOX_OVERHEAD == crypto_pwhash_SALTBYTES + 8 + 8 +
    crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES, "passbox");
_Static_assert(CRYPTO_PLAN_SEALED_MAX <= STRIDE_SEALED_MAX, "plan fits");
_Static_assert(PLAN_JSON_MAX <= UINT16_MAX, "plan length is a u16");

/* Domain separation: every signed object starts with its own context, so a
 * signature over one kind can never be taken for another. */
#define CRYPTO_CTX_PLAN		"STRDPLN1"
#define CRYPTO_CTX_BEAT		"STRDHBT1"
#define CRYPTO_CTX_ROT		"STRDROT1"
#define CRYPTO_CTX_TRUST	"STRDTRS1"
#define CRYPTO_CTX_BYTES	8	/* the literal's NUL is not in it */

/* Signed plan offsets (crypto.h). */
#define PLAN_OFF_RLEN		8
#define PLAN_OFF_RUNNER		9
#define PLAN_OFF_DLEN		41
#define PLAN_OFF_DEVICE		42
#define PLAN_OFF_FP		74
#define PLAN_OFF_KEYID		106
#define PLAN_OFF_VERSION	114
#define PLAN_OFF_ISSUED		122
#define PLAN_OFF_EXPIRES	130
#define PLAN_OFF_LEN		138

/* Heartbeat and rotation offsets. */
#define BEAT_OFF_KEYID		8
#define BEAT_OFF_MS		16
#define BEAT_OFF_SEQ		24
#define BEAT_BODY		32
#define ROT_OFF_OLDID		8
#define ROT_OFF_NEWPK		16
#define ROT_OFF_KXPK		48
#define ROT_OFF_ISSUED		80
#define ROT_BODY		88
#define ROT_OFF_SIG_OLD		88
#define ROT_OFF_SIG_NEW		152

/* Trust state offsets. */
#define TRUST_OFF_SIGNPK	8
#define TRUST_OFF_KXPK		40
#define TRUST_OFF_NRET		72
#define TRUST_OFF_RETIRED	73
#define TRUST_OFF_PLANVER	137
#define TRUST_OFF_BEATSEQ	145
#define TRUST_OFF_BEATMS	153
#define TRUST_OFF_CHECK		161
#define TRUST_CHECK_BYTES	16

/* Passbox offsets. */
#define PB_OFF_OPS		16
#define PB_OFF_MEM		24
#define PB_OFF_NONCE		32
#define PB_OFF_CT		56

/* Associated data: header, then two length-prefixed ids. */
#define CRYPTO_AD_MAX	(STRIDE_SEAL_HDR_BYTES + 2 * (1 + STRIDE_ID_MAX))

static pthread_once_t	crypto_once = PTHREAD_ONCE_INIT;
static int		crypto_ready;

static void
crypto_init_once(void)
{
	crypto_ready = sodium_init() >= 0;
}

int
crypto_init(void)
{
	pthread_once(&crypto_once, crypto_init_once);
	return crypto_ready ? 0 : -1;
}

/* Every entry point: libsodium cannot work uninitialised, and a failed
 * sodium_init means no usable randomness, which nothing can survive. */
static void
crypto_need(void)
{
	if (crypto_init() != 0)
		abort();
}

void
crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

void
crypto_random(void *p, size_t n)
{
	crypto_need();
	randombytes_buf(p, n);
}

/* ---- big-endian helpers ---- */

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* 1 if s is a NUL-terminated valid id. */
static int
crypto_id_ok(const char *s)
{
	return s != NULL && stride_id_valid(s, strnlen(s, STRIDE_ID_MAX + 1));
}

/* ---- keys ---- */

void
crypto_fp(uint8_t fp[CRYPTO_FP_BYTES], const uint8_t pk[32])
{
	crypto_need();
	crypto_generichash(fp, CRYPTO_FP_BYTES, pk, 32, NULL, 0);
}

void
crypto_key_id(uint8_t id[CRYPTO_KEY_ID_BYTES], const uint8_t pk[32])
{
	uint8_t fp[CRYPTO_FP_BYTES];

	crypto_fp(fp, pk);
	memcpy(id, fp, CRYPTO_KEY_ID_BYTES);
}

void
crypto_fp_text(char buf[CRYPTO_FP_TEXT_MAX], const uint8_t pk[32])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t	fp[CRYPTO_FP_BYTES];
	size_t	i, o = 0;

	crypto_fp(fp, pk);
	/* 16 chars of 5 bits = the first 80 bits (10 bytes) of fp. */
	for (i = 0; i < 16; i++) {
		size_t bit = i * 5, byte = bit / 8;
		unsigned v = (unsigned)fp[byte] << 8 | fp[byte + 1];

		if (i > 0 && i % 4 == 0)
			buf[o++] = '-';
		buf[o++] = b32[(v >> (11 - bit % 8)) & 31];
	}
	buf[o] = '\0';
	assert(o + 1 == CRYPTO_FP_TEXT_MAX);
}

int
crypto_hex(char *buf, size_t cap, const void *bin, size_t len)
{
	if (len > (SIZE_MAX - 1) / 2 || cap < len * 2 + 1)
		return -1;
	sodium_bin2hex(buf, cap, bin, len);
	return 0;
}

int
crypto_b64_encode(char *buf, size_t cap, const void *bin, size_t len)
{
	int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

	crypto_need();
	if (cap < sodium_base64_encoded_len(len, v))
		return -1;
	sodium_bin2base64(buf, cap, bin, len, v);
	return 0;
}

int
crypto_b64_decode(void *out, size_t outlen, const char *text, size_t textlen)
{
	int	 v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t	 got = 0;
	const char *end = NULL;

	crypto_need();
	/* Exactly the canonical length: no padding, no whitespace, no junk. */
	if (textlen != sodium_base64_encoded_len(outlen, v) - 1)
		return -1;
	if (sodium_base642bin(out, outlen, text, textlen, NULL, &got, &end,
	    v) != 0 || got != outlen || end != text + textlen)
		return -1;
	return 0;
}

int
crypto_hub_from_secrets(struct crypto_hub_identity *out,
    const uint8_t sign_seed[CRYPTO_SIGN_SEED_BYTES],
    const uint8_t kx_sk[CRYPTO_KX_SK_BYTES])
{
	struct crypto_hub_identity id;

	crypto_need();
	memset(&id, 0, sizeof(id));
	if (crypto_sign_seed_keypair(id.sign_pk, id.sign_sk, sign_seed) != 0)
		goto fail;
	memcpy(id.kx_sk, kx_sk, CRYPTO_KX_SK_BYTES);
	/* What crypto_kx_keypair does after drawing its secret. */
	if (crypto_scalarmult_base(id.kx_pk, id.kx_sk) != 0)
		goto fail;
	crypto_key_id(id.key_id, id.sign_pk);
	memcpy(out, &id, sizeof(id));
	crypto_wipe(&id, sizeof(id));
	return 0;
fail:
	crypto_wipe(&id, sizeof(id));
	return -1;
}

void
crypto_hub_export_secrets(uint8_t sign_seed[CRYPTO_SIGN_SEED_BYTES],
    uint8_t kx_sk[CRYPTO_KX_SK_BYTES], const struct crypto_hub_identity *id)
{
	crypto_need();
	crypto_sign_ed25519_sk_to_seed(sign_seed, id->sign_sk);
	memcpy(kx_sk, id->kx_sk, CRYPTO_KX_SK_BYTES);
}

int
crypto_hub_generate(struct crypto_hub_identity *out)
{
	uint8_t	seed[CRYPTO_SIGN_SEED_BYTES], sk[CRYPTO_KX_SK_BYTES];
	int	rc;

	crypto_random(seed, sizeof(seed));
	crypto_random(sk, sizeof(sk));
	rc = crypto_hub_from_secrets(out, seed, sk);
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(sk, sizeof(sk));
	return rc;
}

int
crypto_hub_new_signing_key(struct crypto_hub_identity *next,
    const struct crypto_hub_identity *cur)
{
	uint8_t	seed[CRYPTO_SIGN_SEED_BYTES];
	int	rc;

	assert(next != cur);
	crypto_random(seed, sizeof(seed));
	rc = crypto_hub_from_secrets(next, seed, cur->kx_sk);
	crypto_wipe(seed, sizeof(seed));
	return rc;
}

int
crypto_device_from_secret(struct crypto_device_key *out,
    const uint8_t kx_sk[CRYPTO_KX_SK_BYTES])
{
	struct crypto_device_key k;

	crypto_need();
	memcpy(k.kx_sk, kx_sk, CRYPTO_KX_SK_BYTES);
	if (crypto_scalarmult_base(k.kx_pk, k.kx_sk) != 0) {
		crypto_wipe(&k, sizeof(k));
		return -1;
	}
	memcpy(out, &k, sizeof(k));
	crypto_wipe(&k, sizeof(k));
	return 0;
}

int
crypto_device_generate(struct crypto_device_key *out)
{
	uint8_t	sk[CRYPTO_KX_SK_BYTES];
	int	rc;

	crypto_random(sk, sizeof(sk));
	rc = crypto_device_from_secret(out, sk);
	crypto_wipe(sk, sizeof(sk));
	return rc;
}

int
crypto_session_device(struct crypto_session *out,
    const struct crypto_device_key *dev,
    const uint8_t hub_kx_pk[CRYPTO_KX_PK_BYTES])
{
	crypto_need();
	if (crypto_kx_client_session_keys(out->rx, out->tx, dev->kx_pk,
	    dev->kx_sk, hub_kx_pk) != 0) {
		crypto_wipe(out, sizeof(*out));
		return -1;
	}
	return 0;
}

int
crypto_session_hub(struct crypto_session *out,
    const struct crypto_hub_identity *hub,
    const uint8_t dev_kx_pk[CRYPTO_KX_PK_BYTES])
{
	crypto_need();
	if (crypto_kx_server_session_keys(out->rx, out->tx, hub->kx_pk,
	    hub->kx_sk, dev_kx_pk) != 0) {
		crypto_wipe(out, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---- the sealed envelope ---- */

/* AD = hdr[0..12) || u8 len || runner || u8 len || device. Ids valid. */
static size_t
crypto_ad(uint8_t *ad, const uint8_t *hdr, const char *runner,
    const char *device)
{
	size_t rl = strlen(runner), dl = strlen(device), n = 0;

	memcpy(ad, hdr, STRIDE_SEAL_HDR_BYTES);
	n = STRIDE_SEAL_HDR_BYTES;
	ad[n++] = (uint8_t)rl;
	memcpy(ad + n, runner, rl);
	n += rl;
	ad[n++] = (uint8_t)dl;
	memcpy(ad + n, device, dl);
	n += dl;
	assert(n <= CRYPTO_AD_MAX);
	return n;
}

size_t
crypto_seal_ad(uint8_t *ad, size_t cap, const uint8_t *hdr,
    const char *runner, const char *device)
{
	if (cap < CRYPTO_AD_MAX || !crypto_id_ok(runner) ||
	    !crypto_id_ok(device))
		return 0;
	return crypto_ad(ad, hdr, runner, device);
}

static void
crypto_hdr(uint8_t *hdr, enum stride_kind kind, uint32_t epoch, uint32_t seq)
{
	hdr[0] = STRIDE_SEAL_MAGIC;
	hdr[1] = STRIDE_PROTO_VERSION;
	hdr[2] = (uint8_t)kind;
	hdr[3] = 0;
	put_be32(hdr + 4, epoch);
	put_be32(hdr + 8, seq);
}

/* Encrypt in[0..len) into sealed under hdr, ids and key with nonce. */
static int
crypto_seal_raw(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *in, size_t len, const uint8_t *hdr, const char *runner,
    const char *device, const uint8_t nonce[CRYPTO_NONCE_BYTES],
    const uint8_t key[CRYPTO_KEY_BYTES])
{
	uint8_t			ad[CRYPTO_AD_MAX];
	size_t			adlen;
	unsigned long long	clen = 0;

	crypto_need();
	if (cap < len + STRIDE_SEAL_OVERHEAD || !crypto_id_ok(runner) ||
	    !crypto_id_ok(device))
		return -1;
	adlen = crypto_ad(ad, hdr, runner, device);
	memcpy(sealed, hdr, STRIDE_SEAL_HDR_BYTES);
	memcpy(sealed + STRIDE_SEAL_NONCE_OFF, nonce, CRYPTO_NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
	    sealed + STRIDE_SEAL_CT_OFF, &clen, in, len, ad, adlen, NULL,
	    nonce, key) != 0)
		return -1;
	*sealed_len = STRIDE_SEAL_CT_OFF + (size_t)clen;
	return 0;
}

/*
 * Check a hostile envelope's fixed header: kind must be the expected one,
 * the counters in range for it. Returns NULL if fine, else the reason.
 */
static const char *
crypto_hdr_check(const uint8_t *s, enum stride_kind kind)
{
	uint32_t epoch = get_be32(s + 4), seq = get_be32(s + 8);

	if (s[0] != STRIDE_SEAL_MAGIC)
		return "not a sealed envelope";
	if (s[1] != STRIDE_PROTO_VERSION)
		return "unsupported envelope version";
	if (s[3] != 0)
		return "envelope flags set";
	if (s[2] != (uint8_t)kind)
		return "envelope kind does not match topic";
	if (kind == STRIDE_KIND_PLAN)
		return epoch != 0 || seq != 0 ? "plan envelope counters set" :
		    NULL;
	if (epoch == 0)
		return "envelope epoch out of range";
	if (kind == STRIDE_KIND_STATUS)
		return seq != 0 ? "status envelope has a seq" : NULL;
	return seq == 0 ? "envelope seq out of range" : NULL;
}

/* Decrypt a hostile envelope whose header passed crypto_hdr_check. */
static int
crypto_open_raw(uint8_t *out, size_t *out_len, const uint8_t *s,
    size_t slen, const char *runner, const char *device,
    const uint8_t key[CRYPTO_KEY_BYTES])
{
	uint8_t			ad[CRYPTO_AD_MAX];
	size_t			adlen;
	unsigned long long	mlen = 0;

	adlen = crypto_ad(ad, s, runner, device);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    s + STRIDE_SEAL_CT_OFF, slen - STRIDE_SEAL_CT_OFF, ad, adlen,
	    s + STRIDE_SEAL_NONCE_OFF, key) != 0)
		return -1;
	*out_len = (size_t)mlen;
	return 0;
}

static int
crypto_msg_kind_ok(enum stride_kind kind)
{
	return kind == STRIDE_KIND_TELEMETRY || kind == STRIDE_KIND_EVENT ||
	    kind == STRIDE_KIND_SYMPTOM || kind == STRIDE_KIND_STATUS ||
	    kind == STRIDE_KIND_ACK || kind == STRIDE_KIND_RELAY;
}

int
crypto_msg_seal_with_nonce(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *msg, size_t msg_len, enum stride_kind kind, uint32_t epoch,
    uint32_t seq, const char *runner, const char *device,
    const uint8_t nonce[CRYPTO_NONCE_BYTES],
    const uint8_t tx[CRYPTO_KEY_BYTES])
{
	uint8_t hdr[STRIDE_SEAL_HDR_BYTES];

	if (!crypto_msg_kind_ok(kind) || msg_len == 0 ||
	    msg_len > STRIDE_PAYLOAD_MAX)
		return -1;
	crypto_hdr(hdr, kind, epoch, seq);
	/* Never seal what the receiver would refuse. */
	if (crypto_hdr_check(hdr, kind) != NULL)
		return -1;
	return crypto_seal_raw(sealed, cap, sealed_len, msg, msg_len, hdr,
	    runner, device, nonce, tx);
}

int
crypto_msg_seal(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *msg, size_t msg_len, enum stride_kind kind, uint32_t epoch,
    uint32_t seq, const char *runner, const char *device,
    const uint8_t tx[CRYPTO_KEY_BYTES])
{
	uint8_t nonce[CRYPTO_NONCE_BYTES];

	/* 192 random bits: collisions are negligible for any message count
	 * a device will ever send under one key. */
	crypto_random(nonce, sizeof(nonce));
	return crypto_msg_seal_with_nonce(sealed, cap, sealed_len, msg,
	    msg_len, kind, epoch, seq, runner, device, nonce, tx);
}

int
crypto_msg_open(void *msg, size_t cap, size_t *msg_len, uint32_t *epoch,
    uint32_t *seq, const void *sealed, size_t sealed_len,
    enum stride_kind kind, const char *runner, const char *device,
    const uint8_t rx[CRYPTO_KEY_BYTES], const char **why)
{
	const uint8_t	*s = sealed;
	const char	*reason;
	uint8_t		 plain[STRIDE_PAYLOAD_MAX];
	size_t		 n = 0;

	crypto_need();
	*msg_len = 0;
	if (sealed_len < STRIDE_SEALED_MIN) {
		reason = "envelope too short";
		goto fail;
	}
	if (sealed_len > STRIDE_SEALED_MAX) {
		reason = "envelope too large";
		goto fail;
	}
	if (!crypto_msg_kind_ok(kind)) {
		reason = "kind is never sealed as a message";
		goto fail;
	}
	if ((reason = crypto_hdr_check(s, kind)) != NULL)
		goto fail;
	if (!crypto_id_ok(runner) || !crypto_id_ok(device)) {
		reason = "bad id";
		goto fail;
	}
	if (sealed_len - STRIDE_SEAL_OVERHEAD > cap) {
		reason = "message does not fit";
		goto fail;
	}
	/* Into our own buffer, so a forgery never touches the caller's. */
	if (crypto_open_raw(plain, &n, s, sealed_len, runner, device,
	    rx) != 0) {
		reason = "authentication failed";
		goto fail;
	}
	memcpy(msg, plain, n);
	crypto_wipe(plain, n);
	*msg_len = n;
	*epoch = get_be32(s + 4);
	*seq = get_be32(s + 8);
	return 0;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

/* ---- trust state ---- */

static int
crypto_trust_is_retired(const struct crypto_trust *t, const uint8_t *id)
{
	uint32_t i;

	for (i = 0; i < t->nretired && i < CRYPTO_RETIRED_MAX; i++)
		if (memcmp(t->retired[i], id, CRYPTO_KEY_ID_BYTES) == 0)
			return 1;
	return 0;
}

/* NULL if key id names t's current key, else why it is not usable. */
static const char *
crypto_trust_key_check(const struct crypto_trust *t, const uint8_t *id)
{
	if (memcmp(id, t->hub_key_id, CRYPTO_KEY_ID_BYTES) == 0)
		return NULL;
	return crypto_trust_is_retired(t, id) ? "hub key retired" :
	    "unknown hub key";
}

void
crypto_trust_init(struct crypto_trust *t,
    const uint8_t hub_sign_pk[CRYPTO_SIGN_PK_BYTES],
    const uint8_t hub_kx_pk[CRYPTO_KX_PK_BYTES])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->hub_sign_pk, hub_sign_pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(t->hub_kx_pk, hub_kx_pk, CRYPTO_KX_PK_BYTES);
	crypto_key_id(t->hub_key_id, t->hub_sign_pk);
}

void
crypto_trust_save(uint8_t out[CRYPTO_TRUST_BYTES],
    const struct crypto_trust *t)
{
	crypto_need();
	assert(t->nretired <= CRYPTO_RETIRED_MAX);
	memset(out, 0, CRYPTO_TRUST_BYTES);
	memcpy(out, CRYPTO_CTX_TRUST, CRYPTO_CTX_BYTES);
	memcpy(out + TRUST_OFF_SIGNPK, t->hub_sign_pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(out + TRUST_OFF_KXPK, t->hub_kx_pk, CRYPTO_KX_PK_BYTES);
	out[TRUST_OFF_NRET] = (uint8_t)t->nretired;
	memcpy(out + TRUST_OFF_RETIRED, t->retired,
	    (size_t)t->nretired * CRYPTO_KEY_ID_BYTES);
	put_be64(out + TRUST_OFF_PLANVER, t->plan_version);
	put_be64(out + TRUST_OFF_BEATSEQ, t->beat_seq);
	put_be64(out + TRUST_OFF_BEATMS, (uint64_t)t->beat_hub_ms);
	crypto_generichash(out + TRUST_OFF_CHECK, TRUST_CHECK_BYTES, out,
	    TRUST_OFF_CHECK, NULL, 0);
}

int
crypto_trust_load(struct crypto_trust *t, const void *buf, size_t len,
    const char **why)
{
	const uint8_t		*b = buf;
	uint8_t			 check[TRUST_CHECK_BYTES];
	struct crypto_trust	 n;
	const char		*reason;
	size_t			 i;

	crypto_need();
	if (len != CRYPTO_TRUST_BYTES) {
		reason = "trust state has the wrong size";
		goto fail;
	}
	if (memcmp(b, CRYPTO_CTX_TRUST, CRYPTO_CTX_BYTES) != 0) {
		reason = "not a trust state";
		goto fail;
	}
	crypto_generichash(check, sizeof(check), b, TRUST_OFF_CHECK, NULL, 0);
	if (sodium_memcmp(check, b + TRUST_OFF_CHECK, sizeof(check)) != 0) {
		reason = "trust state corrupt";
		goto fail;
	}
	memset(&n, 0, sizeof(n));
	crypto_trust_init(&n, b + TRUST_OFF_SIGNPK, b + TRUST_OFF_KXPK);
	n.nretired = b[TRUST_OFF_NRET];
	if (n.nretired > CRYPTO_RETIRED_MAX) {
		reason = "trust state: too many retired keys";
		goto fail;
	}
	memcpy(n.retired, b + TRUST_OFF_RETIRED,
	    (size_t)n.nretired * CRYPTO_KEY_ID_BYTES);
	for (i = (size_t)n.nretired * CRYPTO_KEY_ID_BYTES;
	    i < CRYPTO_RETIRED_MAX * CRYPTO_KEY_ID_BYTES; i++)
		if (b[TRUST_OFF_RETIRED + i] != 0) {
			reason = "trust state: unused slot not zero";
			goto fail;
		}
	n.plan_version = get_be64(b + TRUST_OFF_PLANVER);
	n.beat_seq = get_be64(b + TRUST_OFF_BEATSEQ);
	n.beat_hub_ms = (int64_t)get_be64(b + TRUST_OFF_BEATMS);
	if (n.beat_hub_ms < 0) {
		reason = "trust state: heartbeat time out of range";
		goto fail;
	}
	*t = n;
	return 0;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

/* ---- sealed plans ---- */

int
crypto_plan_sign(uint8_t *out, size_t cap, size_t *out_len, const void *plan,
    size_t plan_len, const struct crypto_plan_to *to,
    const struct crypto_hub_identity *hub)
{
	size_t	body = CRYPTO_PLAN_HDR_BYTES + plan_len, rl, dl;

	crypto_need();
	if (plan_len == 0 || plan_len > PLAN_JSON_MAX ||
	    cap < body + CRYPTO_SIG_BYTES || !crypto_id_ok(to->runner) ||
	    !crypto_id_ok(to->device) || to->version == 0 ||
	    to->issued_ms < 0 || to->expires_ms <= to->issued_ms)
		return -1;
	rl = strlen(to->runner);
	dl = strlen(to->device);
	memset(out, 0, CRYPTO_PLAN_HDR_BYTES);
	memcpy(out, CRYPTO_CTX_PLAN, CRYPTO_CTX_BYTES);
	out[PLAN_OFF_RLEN] = (uint8_t)rl;
	memcpy(out + PLAN_OFF_RUNNER, to->runner, rl);
	out[PLAN_OFF_DLEN] = (uint8_t)dl;
	memcpy(out + PLAN_OFF_DEVICE, to->device, dl);
	crypto_fp(out + PLAN_OFF_FP, to->device_kx_pk);
	crypto_key_id(out + PLAN_OFF_KEYID, hub->sign_pk);
	put_be64(out + PLAN_OFF_VERSION, to->version);
	put_be64(out + PLAN_OFF_ISSUED, (uint64_t)to->issued_ms);
	put_be64(out + PLAN_OFF_EXPIRES, (uint64_t)to->expires_ms);
	out[PLAN_OFF_LEN] = (uint8_t)(plan_len >> 8);
	out[PLAN_OFF_LEN + 1] = (uint8_t)plan_len;
	memcpy(out + CRYPTO_PLAN_HDR_BYTES, plan, plan_len);
	if (crypto_sign_detached(out + body, NULL, out, body,
	    hub->sign_sk) != 0)
		return -1;
	*out_len = body + CRYPTO_SIG_BYTES;
	return 0;
}

int
crypto_plan_wrap_with_nonce(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *signed_plan, size_t signed_len, const char *runner,
    const char *device, const uint8_t nonce[CRYPTO_NONCE_BYTES],
    const uint8_t hub_tx[CRYPTO_KEY_BYTES])
{
	uint8_t hdr[STRIDE_SEAL_HDR_BYTES];

	/* Any length, so tests can wrap malformed signed plans the way a
	 * holder of the session key could; the size limit still holds. */
	if (signed_len == 0 || signed_len > CRYPTO_PLAN_SIGNED_MAX)
		return -1;
	crypto_hdr(hdr, STRIDE_KIND_PLAN, 0, 0);
	return crypto_seal_raw(sealed, cap, sealed_len, signed_plan,
	    signed_len, hdr, runner, device, nonce, hub_tx);
}

int
crypto_plan_wrap(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *signed_plan, size_t signed_len, const char *runner,
    const char *device, const uint8_t hub_tx[CRYPTO_KEY_BYTES])
{
	uint8_t nonce[CRYPTO_NONCE_BYTES];

	crypto_random(nonce, sizeof(nonce));
	return crypto_plan_wrap_with_nonce(sealed, cap, sealed_len,
	    signed_plan, signed_len, runner, device, nonce, hub_tx);
}

int
crypto_plan_seal(uint8_t *sealed, size_t cap, size_t *sealed_len,
    const void *plan, size_t plan_len, const struct crypto_plan_to *to,
    const struct crypto_hub_identity *hub)
{
	uint8_t			sp[CRYPTO_PLAN_SIGNED_MAX];
	size_t			splen = 0;
	struct crypto_session	s;
	int			rc = -1;

	if (crypto_session_hub(&s, hub, to->device_kx_pk) != 0)
		return -1;
	if (crypto_plan_sign(sp, sizeof(sp), &splen, plan, plan_len, to,
	    hub) == 0)
		rc = crypto_plan_wrap(sealed, cap, sealed_len, sp, splen,
		    to->runner, to->device, s.tx);
	crypto_wipe(&s, sizeof(s));
	crypto_wipe(sp, sizeof(sp));
	return rc;
}

/* A signed id field: length byte, then 32 bytes zero-padded. 1 if it holds
 * exactly id. */
static int
crypto_plan_id_is(const uint8_t *lenp, const uint8_t *field, const char *id)
{
	size_t n = strlen(id), i;

	if (*lenp != n || memcmp(field, id, n) != 0)
		return 0;
	for (i = n; i < STRIDE_ID_MAX; i++)
		if (field[i] != 0)
			return 0;
	return 1;
}

enum crypto_plan_verdict
crypto_plan_open(void *plan, size_t cap, size_t *plan_len,
    struct crypto_plan_info *info, const void *sealed, size_t sealed_len,
    const char *runner, const char *device, int64_t now_ms,
    const struct crypto_trust *t, const struct crypto_device_key *dev,
    const char **why)
{
	const uint8_t		*s = sealed;
	uint8_t			 sp[CRYPTO_PLAN_SIGNED_MAX];
	uint8_t			 fp[CRYPTO_FP_BYTES];
	struct crypto_session	 sess;
	struct crypto_plan_info	 in;
	const char		*reason;
	size_t			 splen = 0, n;
	enum crypto_plan_verdict v;

	crypto_need();
	memset(&sess, 0, sizeof(sess));
	*plan_len = 0;
	/* 1. The envelope. */
	if (sealed_len < CRYPTO_PLAN_SEALED_MIN) {
		reason = "envelope too short";
		goto fail;
	}
	if (sealed_len > CRYPTO_PLAN_SEALED_MAX) {
		reason = "envelope too large";
		goto fail;
	}
	if ((reason = crypto_hdr_check(s, STRIDE_KIND_PLAN)) != NULL)
		goto fail;
	if (!crypto_id_ok(runner) || !crypto_id_ok(device)) {
		reason = "bad id";
		goto fail;
	}
	/* 2. Decrypt: only the hub (or we) hold this direction's key. */
	if (crypto_session_device(&sess, dev, t->hub_kx_pk) != 0) {
		reason = "unusable hub key";
		goto fail;
	}
	if (crypto_open_raw(sp, &splen, s, sealed_len, runner, device,
	    sess.rx) != 0) {
		reason = "authentication failed";
		goto fail;
	}
	/* 3. Framing of the signed plan: fixed bytes and lengths only. (The
	 * envelope minimum already implies this one; kept so the offsets
	 * below never depend on a check made elsewhere.) */
	if (splen < CRYPTO_PLAN_SIGNED_MIN) {
		reason = "signed plan too short";
		goto fail;
	}
	if (memcmp(sp, CRYPTO_CTX_PLAN, CRYPTO_CTX_BYTES) != 0) {
		reason = "not a signed plan";
		goto fail;
	}
	n = (size_t)sp[PLAN_OFF_LEN] << 8 | sp[PLAN_OFF_LEN + 1];
	if (n == 0 || n > PLAN_JSON_MAX ||
	    splen != CRYPTO_PLAN_HDR_BYTES + n + CRYPTO_SIG_BYTES) {
		reason = "signed plan length mismatch";
		goto fail;
	}
	/* 4. The key it claims, then 5. the signature over the exact bytes. */
	if ((reason = crypto_trust_key_check(t, sp + PLAN_OFF_KEYID)) != NULL)
		goto fail;
	if (crypto_sign_verify_detached(sp + CRYPTO_PLAN_HDR_BYTES + n, sp,
	    CRYPTO_PLAN_HDR_BYTES + n, t->hub_sign_pk) != 0) {
		reason = "bad signature";
		goto fail;
	}
	/* 6. Authentic: now its fields. Is it for us? */
	if (!crypto_plan_id_is(sp + PLAN_OFF_RLEN, sp + PLAN_OFF_RUNNER,
	    runner)) {
		reason = "plan for another runner";
		goto fail;
	}
	if (!crypto_plan_id_is(sp + PLAN_OFF_DLEN, sp + PLAN_OFF_DEVICE,
	    device)) {
		reason = "plan for another device";
		goto fail;
	}
	crypto_fp(fp, dev->kx_pk);
	if (memcmp(fp, sp + PLAN_OFF_FP, CRYPTO_FP_BYTES) != 0) {
		reason = "plan for another device key";
		goto fail;
	}
	memcpy(in.hub_key_id, sp + PLAN_OFF_KEYID, CRYPTO_KEY_ID_BYTES);
	in.version = get_be64(sp + PLAN_OFF_VERSION);
	in.issued_ms = (int64_t)get_be64(sp + PLAN_OFF_ISSUED);
	in.expires_ms = (int64_t)get_be64(sp + PLAN_OFF_EXPIRES);
	if (in.version == 0) {
		reason = "plan version zero";
		goto fail;
	}
	if (in.issued_ms < 0 || in.expires_ms <= in.issued_ms) {
		reason = "plan expires before it is issued";
		goto fail;
	}
	/* 7. Rollback, then freshness. */
	if (in.version < t->plan_version) {
		reason = "plan older than the one accepted";
		goto fail;
	}
	if (cap < n) {
		reason = "plan does not fit";
		goto fail;
	}
	if (now_ms >= in.expires_ms)
		v = CRYPTO_PLAN_EXPIRED;
	else if (in.version == t->plan_version)
		v = CRYPTO_PLAN_SAME;
	else
		v = CRYPTO_PLAN_NEW;
	memcpy(plan, sp + CRYPTO_PLAN_HDR_BYTES, n);
	*plan_len = n;
	*info = in;
	crypto_wipe(&sess, sizeof(sess));
	crypto_wipe(sp, sizeof(sp));
	return v;
fail:
	crypto_wipe(&sess, sizeof(sess));
	crypto_wipe(sp, sizeof(sp));
	if (why != NULL)
		*why = reason;
	return CRYPTO_PLAN_BAD;
}

void
crypto_trust_plan_accepted(struct crypto_trust *t,
    const struct crypto_plan_info *info)
{
	if (info->version > t->plan_version)
		t->plan_version = info->version;
}

/* ---- the heartbeat ---- */

int
crypto_beat_sign(uint8_t out[CRYPTO_BEAT_BYTES], int64_t hub_ms, uint64_t seq,
    const struct crypto_hub_identity *hub)
{
	crypto_need();
	if (hub_ms < 0 || seq == 0)
		return -1;
	memcpy(out, CRYPTO_CTX_BEAT, CRYPTO_CTX_BYTES);
	crypto_key_id(out + BEAT_OFF_KEYID, hub->sign_pk);
	put_be64(out + BEAT_OFF_MS, (uint64_t)hub_ms);
	put_be64(out + BEAT_OFF_SEQ, seq);
	return crypto_sign_detached(out + BEAT_BODY, NULL, out, BEAT_BODY,
	    hub->sign_sk) == 0 ? 0 : -1;
}

int
crypto_beat_open(struct crypto_beat *out, const void *buf, size_t len,
    const struct crypto_trust *t, const char **why)
{
	const uint8_t	*b = buf;
	const char	*reason;
	struct crypto_beat beat;

	crypto_need();
	if (len != CRYPTO_BEAT_BYTES) {
		reason = "heartbeat has the wrong size";
		goto fail;
	}
	if (memcmp(b, CRYPTO_CTX_BEAT, CRYPTO_CTX_BYTES) != 0) {
		reason = "not a heartbeat";
		goto fail;
	}
	if ((reason = crypto_trust_key_check(t, b + BEAT_OFF_KEYID)) != NULL)
		goto fail;
	if (crypto_sign_verify_detached(b + BEAT_BODY, b, BEAT_BODY,
	    t->hub_sign_pk) != 0) {
		reason = "bad signature";
		goto fail;
	}
	memcpy(beat.hub_key_id, b + BEAT_OFF_KEYID, CRYPTO_KEY_ID_BYTES);
	beat.hub_ms = (int64_t)get_be64(b + BEAT_OFF_MS);
	beat.seq = get_be64(b + BEAT_OFF_SEQ);
	if (beat.hub_ms < 0 || beat.seq == 0) {
		reason = "heartbeat out of range";
		goto fail;
	}
	*out = beat;
	return beat.seq > t->beat_seq ? 0 : 1;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

void
crypto_trust_beat_accepted(struct crypto_trust *t, const struct crypto_beat *b)
{
	if (b->seq > t->beat_seq) {
		t->beat_seq = b->seq;
		t->beat_hub_ms = b->hub_ms;
	}
}

int64_t
crypto_trust_beat_age_ms(const struct crypto_trust *t, int64_t now_ms)
{
	if (t->beat_seq == 0)
		return -1;
	return now_ms > t->beat_hub_ms ? now_ms - t->beat_hub_ms : 0;
}

/* ---- rotation ---- */

int
crypto_rot_sign(uint8_t out[CRYPTO_ROT_BYTES], int64_t issued_ms,
    const struct crypto_hub_identity *cur,
    const struct crypto_hub_identity *next)
{
	crypto_need();
	if (issued_ms < 0 || memcmp(cur->sign_pk, next->sign_pk,
	    CRYPTO_SIGN_PK_BYTES) == 0)
		return -1;
	memcpy(out, CRYPTO_CTX_ROT, CRYPTO_CTX_BYTES);
	crypto_key_id(out + ROT_OFF_OLDID, cur->sign_pk);
	memcpy(out + ROT_OFF_NEWPK, next->sign_pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(out + ROT_OFF_KXPK, next->kx_pk, CRYPTO_KX_PK_BYTES);
	put_be64(out + ROT_OFF_ISSUED, (uint64_t)issued_ms);
	if (crypto_sign_detached(out + ROT_OFF_SIG_OLD, NULL, out, ROT_BODY,
	    cur->sign_sk) != 0 || crypto_sign_detached(out + ROT_OFF_SIG_NEW,
	    NULL, out, ROT_BODY, next->sign_sk) != 0)
		return -1;
	return 0;
}

/*
 * Check one announcement against t. Returns 0 (valid, chains from t's
 * current key), 1 (already applied), 2 (does not name t's current key and
 * is not applied: nothing to do with us), or -1 with *reason.
 */
static int
crypto_rot_check(const struct crypto_trust *t, const uint8_t *a,
    const char **reason)
{
	uint8_t newid[CRYPTO_KEY_ID_BYTES];

	if (memcmp(a, CRYPTO_CTX_ROT, CRYPTO_CTX_BYTES) != 0) {
		*reason = "not a key rotation";
		return -1;
	}
	crypto_key_id(newid, a + ROT_OFF_NEWPK);
	if (memcmp(newid, t->hub_key_id, CRYPTO_KEY_ID_BYTES) == 0 ||
	    crypto_trust_is_retired(t, newid))
		return 1;
	if (memcmp(a + ROT_OFF_OLDID, t->hub_key_id,
	    CRYPTO_KEY_ID_BYTES) != 0) {
		*reason = "rotation does not chain from the current hub key";
		return 2;
	}
	if (crypto_sign_verify_detached(a + ROT_OFF_SIG_OLD, a, ROT_BODY,
	    t->hub_sign_pk) != 0) {
		*reason = "rotation: bad signature by the old key";
		return -1;
	}
	if (crypto_sign_verify_detached(a + ROT_OFF_SIG_NEW, a, ROT_BODY,
	    a + ROT_OFF_NEWPK) != 0) {
		*reason = "rotation: bad signature by the new key";
		return -1;
	}
	return 0;
}

/* Make the announcement's key current; the old one retired. */
static void
crypto_rot_commit(struct crypto_trust *t, const uint8_t *a)
{
	if (t->nretired == CRYPTO_RETIRED_MAX) {
		/* Forget the oldest: it is then "unknown", still refused. */
		memmove(t->retired[0], t->retired[1],
		    (CRYPTO_RETIRED_MAX - 1) * CRYPTO_KEY_ID_BYTES);
		t->nretired--;
	}
	memcpy(t->retired[t->nretired++], t->hub_key_id, CRYPTO_KEY_ID_BYTES);
	memcpy(t->hub_sign_pk, a + ROT_OFF_NEWPK, CRYPTO_SIGN_PK_BYTES);
	memcpy(t->hub_kx_pk, a + ROT_OFF_KXPK, CRYPTO_KX_PK_BYTES);
	crypto_key_id(t->hub_key_id, t->hub_sign_pk);
}

int
crypto_trust_apply_rot(struct crypto_trust *t, const void *buf, size_t len,
    const char **why)
{
	const char	*reason = NULL;
	int		 rc;

	crypto_need();
	if (len != CRYPTO_ROT_BYTES) {
		reason = "rotation has the wrong size";
		goto fail;
	}
	rc = crypto_rot_check(t, buf, &reason);
	if (rc == 0) {
		crypto_rot_commit(t, buf);
		return 0;
	}
	if (rc == 1)
		return 1;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

int
crypto_trust_apply_chain(struct crypto_trust *t, const void *buf, size_t len,
    unsigned *applied, const char **why)
{
	const uint8_t		*b = buf;
	struct crypto_trust	 n = *t;
	const char		*reason = NULL;
	size_t			 count, i;
	unsigned		 done = 0, pass;
	int			 progress, rc;

	crypto_need();
	*applied = 0;
	if (len == 0 || len % CRYPTO_ROT_BYTES != 0 ||
	    len / CRYPTO_ROT_BYTES > CRYPTO_ROT_CHAIN_MAX) {
		reason = "rotation chain has the wrong size";
		goto fail;
	}
	count = len / CRYPTO_ROT_BYTES;
	/* Oldest first means one pass; a chain out of order still converges
	 * within count passes, and each pass applies at least one or stops. */
	for (pass = 0; pass < count; pass++) {
		progress = 0;
		for (i = 0; i < count; i++) {
			rc = crypto_rot_check(&n, b + i * CRYPTO_ROT_BYTES,
			    &reason);
			if (rc == -1)
				goto fail;
			if (rc == 0) {
				crypto_rot_commit(&n, b + i * CRYPTO_ROT_BYTES);
				done++;
				progress = 1;
			}
		}
		if (!progress)
			break;
	}
	*t = n;
	*applied = done;
	return 0;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

/* ---- passphrase boxes ---- */

static void
crypto_kdf_limits(enum crypto_kdf_strength s, uint64_t *ops, uint64_t *mem)
{
	if (s == CRYPTO_KDF_INTERACTIVE) {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else {
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
	}
}

static int
crypto_passbox_key(uint8_t key[CRYPTO_KEY_BYTES], const char *pass,
    size_t passlen, const uint8_t *salt, uint64_t ops, uint64_t mem)
{
	return crypto_pwhash(key, CRYPTO_KEY_BYTES, pass, passlen, salt,
	    (unsigned long long)ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13);
}

int
crypto_passbox_seal(uint8_t *out, size_t cap, size_t *out_len,
    const void *secret, size_t len, const char *pass, size_t passlen,
    enum crypto_kdf_strength strength)
{
	uint8_t		key[CRYPTO_KEY_BYTES];
	uint64_t	ops, mem;
	int		rc = -1;

	crypto_need();
	if (passlen == 0 || len == 0 || cap < len + CRYPTO_PASSBOX_OVERHEAD)
		return -1;
	crypto_kdf_limits(strength, &ops, &mem);
	randombytes_buf(out, crypto_pwhash_SALTBYTES);
	put_be64(out + PB_OFF_OPS, ops);
	put_be64(out + PB_OFF_MEM, mem);
	randombytes_buf(out + PB_OFF_NONCE, crypto_secretbox_NONCEBYTES);
	if (crypto_passbox_key(key, pass, passlen, out, ops, mem) != 0)
		goto done;
	if (crypto_secretbox_easy(out + PB_OFF_CT, secret, len,
	    out + PB_OFF_NONCE, key) != 0)
		goto done;
	*out_len = len + CRYPTO_PASSBOX_OVERHEAD;
	rc = 0;
done:
	crypto_wipe(key, sizeof(key));
	return rc;
}

int
crypto_passbox_open(void *secret, size_t cap, size_t *len, const uint8_t *box,
    size_t boxlen, const char *pass, size_t passlen, const char **why)
{
	uint8_t		key[CRYPTO_KEY_BYTES];
	uint8_t		plain[256];
	uint64_t	ops, mem;
	size_t		n;
	const char	*reason;

	crypto_need();
	if (boxlen <= CRYPTO_PASSBOX_OVERHEAD ||
	    boxlen - CRYPTO_PASSBOX_OVERHEAD > sizeof(plain)) {
		reason = "passphrase box has the wrong size";
		goto fail;
	}
	n = boxlen - CRYPTO_PASSBOX_OVERHEAD;
	if (n > cap) {
		reason = "passphrase box does not fit";
		goto fail;
	}
	ops = get_be64(box + PB_OFF_OPS);
	mem = get_be64(box + PB_OFF_MEM);
	/* Bounded before any work: a hostile file must not make us spend
	 * minutes or gigabytes, nor get a key from a trivial KDF. */
	if (ops < crypto_pwhash_OPSLIMIT_INTERACTIVE ||
	    ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_INTERACTIVE ||
	    mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
		reason = "passphrase box: KDF limits out of range";
		goto fail;
	}
	if (passlen == 0) {
		reason = "empty passphrase";
		goto fail;
	}
	if (crypto_passbox_key(key, pass, passlen, box, ops, mem) != 0) {
		reason = "passphrase box: out of memory for the KDF";
		goto fail;
	}
	if (crypto_secretbox_open_easy(plain, box + PB_OFF_CT,
	    boxlen - PB_OFF_CT, box + PB_OFF_NONCE, key) != 0) {
		crypto_wipe(key, sizeof(key));
		reason = "wrong passphrase or corrupt box";
		goto fail;
	}
	crypto_wipe(key, sizeof(key));
	memcpy(secret, plain, n);
	crypto_wipe(plain, sizeof(plain));
	*len = n;
	return 0;
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}
