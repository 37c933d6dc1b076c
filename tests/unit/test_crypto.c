/*
 * test_crypto.c - crypto.c: keys and sessions agree between hub and
 * device; sealed messages open only with the right key, kind, ids, epoch
 * and seq, and every malformed, truncated, extended, oversized, bit-flipped
 * or forged envelope is refused with a reason and without touching the
 * output; sealed plans are refused when forged, flipped, older, for
 * another device (even re-encrypted to us), under an unknown or retired
 * key, and flagged when expired or already accepted; heartbeats; every key
 * rotation case; the trust state survives a save/load and refuses
 * corruption.
 *
 * Real keys throughout (no fixed secrets but in test_vectors.c); forgeries
 * are made the way an attacker could: with their own keys, or with a
 * session key but not the hub's signing key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stride/crypto.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define NOW	1700000000000LL
#define DAY	86400000LL

static struct crypto_hub_identity	hub;
static struct crypto_device_key		dev_a, dev_b, dev_c;
static struct crypto_session		hub_a, hub_b, hub_c, a_hub;

/* A plausible plan, through the real canonical encoder. */
static size_t
sample_plan(char *buf, size_t cap, uint32_t ver)
{
	struct plan p;
	int n;

	memset(&p, 0, sizeof(p));
	p.version = ver;
	p.issued_ms = NOW;
	p.phase = PLAN_PHASE_NORMAL;
	p.phase_since_ms = NOW - DAY;
	p.max_distance_m = 4500;
	p.max_duration_s = 1800;
	p.speed_cap_mps = 3.2;
	p.max_grade_pct = 4;
	p.rest_days = 1;
	p.load_since_ms = NOW;
	p.stop = PLAN_STOP_PAIN | PLAN_STOP_DISTANCE;
	strcpy(p.text, "Next run: up to 4.5 km or 30 min.");
	p.nreasons = 1;
	p.reasons[0].code = PLAN_R_PROGRESS;
	strcpy(p.reasons[0].text, "Settled for a week.");
	n = plan_encode(&p, buf, cap);
	if (n <= 0) {
		fprintf(stderr, "sample_plan: plan_encode failed\n");
		abort();
	}
	return (size_t)n;
}

static void
setup(void)
{
	if (crypto_init() != 0 || crypto_hub_generate(&hub) != 0 ||
	    crypto_device_generate(&dev_a) != 0 ||
	    crypto_device_generate(&dev_b) != 0 ||
	    crypto_device_generate(&dev_c) != 0 ||
	    crypto_session_hub(&hub_a, &hub, dev_a.kx_pk) != 0 ||
	    crypto_session_hub(&hub_b, &hub, dev_b.kx_pk) != 0 ||
	    crypto_session_hub(&hub_c, &hub, dev_c.kx_pk) != 0 ||
	    crypto_session_device(&a_hub, &dev_a, hub.kx_pk) != 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
}

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* 1 if needle[0..m) occurs in hay[0..n). */
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

static int
all_byte(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

/* ---- keys and sessions ---- */

static void
test_keys(void)
{
	struct crypto_hub_identity h2, back, next;
	struct crypto_device_key d2;
	uint8_t fp[CRYPTO_FP_BYTES], id[CRYPTO_KEY_ID_BYTES];
	uint8_t seed[CRYPTO_SIGN_SEED_BYTES], sk[CRYPTO_KX_SK_BYTES];
	char txt[CRYPTO_FP_TEXT_MAX], txt2[CRYPTO_FP_TEXT_MAX];
	size_t i;
	int ok;

	CHECK(crypto_hub_generate(&h2) == 0);
	CHECK(memcmp(h2.sign_pk, hub.sign_pk, 32) != 0);
	CHECK(memcmp(h2.kx_pk, hub.kx_pk, 32) != 0);
	/* Signing and X25519 keys are separate keys. */
	CHECK(memcmp(hub.sign_pk, hub.kx_pk, 32) != 0);
	CHECK(memcmp(dev_a.kx_pk, dev_b.kx_pk, 32) != 0);

	/* Key id = first 8 bytes of the fingerprint of the signing key. */
	crypto_fp(fp, hub.sign_pk);
	crypto_key_id(id, hub.sign_pk);
	CHECK(memcmp(id, fp, CRYPTO_KEY_ID_BYTES) == 0);
	CHECK(memcmp(hub.key_id, id, CRYPTO_KEY_ID_BYTES) == 0);
	crypto_fp(fp + 0, h2.sign_pk);
	CHECK(memcmp(h2.key_id, fp, CRYPTO_KEY_ID_BYTES) == 0);
	CHECK(memcmp(h2.key_id, hub.key_id, CRYPTO_KEY_ID_BYTES) != 0);

	/* Short fingerprint: 4 groups of 4 base32 characters. */
	crypto_fp_text(txt, hub.sign_pk);
	CHECK(strlen(txt) == CRYPTO_FP_TEXT_MAX - 1);
	ok = 1;
	for (i = 0; i < strlen(txt); i++) {
		if (i % 5 == 4)
			ok &= txt[i] == '-';
		else
			ok &= (txt[i] >= 'A' && txt[i] <= 'Z') ||
			    (txt[i] >= '2' && txt[i] <= '7');
	}
	CHECK(ok);
	crypto_fp_text(txt2, h2.sign_pk);
	CHECK(strcmp(txt, txt2) != 0);
	crypto_fp_text(txt2, hub.sign_pk);
	CHECK(strcmp(txt, txt2) == 0);

	/* Stored secrets rebuild the same identity, public keys included. */
	crypto_hub_export_secrets(seed, sk, &hub);
	CHECK(crypto_hub_from_secrets(&back, seed, sk) == 0);
	CHECK(memcmp(&back, &hub, sizeof(hub)) == 0);
	CHECK(crypto_device_from_secret(&d2, dev_a.kx_sk) == 0);
	CHECK(memcmp(&d2, &dev_a, sizeof(d2)) == 0);

	/* A new signing key keeps the X25519 key. */
	CHECK(crypto_hub_new_signing_key(&next, &hub) == 0);
	CHECK(memcmp(next.sign_pk, hub.sign_pk, 32) != 0);
	CHECK(memcmp(next.kx_pk, hub.kx_pk, 32) == 0);
	CHECK(memcmp(next.kx_sk, hub.kx_sk, 32) == 0);

	crypto_wipe(&back, sizeof(back));
	CHECK(all_zero(&back, sizeof(back)));
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(sk, sizeof(sk));
}

static void
test_sessions(void)
{
	struct crypto_session s, d;
	uint8_t zero[32] = { 0 };

	/* Device tx is hub rx and the other way round. */
	CHECK(memcmp(a_hub.tx, hub_a.rx, 32) == 0);
	CHECK(memcmp(a_hub.rx, hub_a.tx, 32) == 0);
	CHECK(memcmp(a_hub.rx, a_hub.tx, 32) != 0);
	/* Each device its own keys. */
	CHECK(memcmp(hub_a.rx, hub_b.rx, 32) != 0);
	CHECK(memcmp(hub_a.tx, hub_b.tx, 32) != 0);
	CHECK(crypto_session_device(&d, &dev_b, hub.kx_pk) == 0);
	CHECK(memcmp(d.tx, hub_b.rx, 32) == 0);
	/* A low-order public key is refused on both sides. */
	CHECK(crypto_session_hub(&s, &hub, zero) == -1);
	CHECK(crypto_session_device(&s, &dev_a, zero) == -1);
}

/* ---- sealed device messages ---- */

static const char tel_json[] = "{\"v\":1,\"epoch\":7,\"seq\":42,"
    "\"role\":\"footpod\",\"samples\":[{\"t\":1700000000000,\"cad\":172.4,"
    "\"spd\":3.21,\"dist\":1523.45}]}";

static size_t
seal_tel(uint8_t *out, const uint8_t *tx)
{
	size_t n = 0;

	if (crypto_msg_seal(out, STRIDE_SEALED_MAX, &n, tel_json,
	    strlen(tel_json), STRIDE_KIND_TELEMETRY, 7, 42, "anna", "pod1",
	    tx) != 0) {
		fprintf(stderr, "seal_tel failed\n");
		abort();
	}
	return n;
}

static void
test_msg_roundtrip(void)
{
	static const struct {
		enum stride_kind kind;
		uint32_t epoch, seq;
		const char *json;
		int from_hub;
	} rows[] = {
		{ STRIDE_KIND_TELEMETRY, 7, 42, tel_json, 0 },
		{ STRIDE_KIND_EVENT, 7, 1, "{\"v\":1,\"epoch\":7,\"seq\":1,"
		    "\"t\":1700000000000,\"type\":\"start\"}", 0 },
		{ STRIDE_KIND_SYMPTOM, 8, 3, "{\"v\":1,\"epoch\":8,\"seq\":3,"
		    "\"t\":1700086400000,\"when\":\"next_day\","
		    "\"level\":\"aware\"}", 0 },
		{ STRIDE_KIND_STATUS, 7, 0, "{\"v\":1,\"state\":\"online\","
		    "\"epoch\":7}", 0 },
		{ STRIDE_KIND_ACK, 7, 42,
		    "{\"v\":1,\"epoch\":7,\"seq\":42}", 1 },
		{ STRIDE_KIND_TELEMETRY, UINT32_MAX, UINT32_MAX, "x", 0 },
	};
	uint8_t sealed[STRIDE_SEALED_MAX], sealed2[STRIDE_SEALED_MAX];
	char big[STRIDE_PAYLOAD_MAX];
	char out[STRIDE_PAYLOAD_MAX];
	size_t i, n, n2, m;
	uint32_t e, s;
	const char *why;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const uint8_t *tx = rows[i].from_hub ? hub_a.tx : a_hub.tx;
		const uint8_t *rx = rows[i].from_hub ? a_hub.rx : hub_a.rx;
		size_t len = strlen(rows[i].json);

		n = 0;
		CHECK(crypto_msg_seal(sealed, sizeof(sealed), &n, rows[i].json,
		    len, rows[i].kind, rows[i].epoch, rows[i].seq, "anna",
		    "pod1", tx) == 0);
		CHECK(n == len + STRIDE_SEAL_OVERHEAD);
		CHECK(sealed[0] == STRIDE_SEAL_MAGIC && sealed[1] == 1 &&
		    sealed[2] == rows[i].kind && sealed[3] == 0);
		/* The JSON is not readable in the envelope. */
		CHECK(len < 8 || !contains(sealed, n, rows[i].json, 8));
		e = s = 0;
		why = NULL;
		CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, sealed, n,
		    rows[i].kind, "anna", "pod1", rx, &why) == 0);
		CHECK(why == NULL);
		CHECK(m == len && memcmp(out, rows[i].json, len) == 0);
		CHECK(e == rows[i].epoch && s == rows[i].seq);
		/* The sender's own rx key is the other direction's. */
		CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, sealed, n,
		    rows[i].kind, "anna", "pod1", rows[i].from_hub ?
		    hub_a.rx : a_hub.rx, &why) == -1);
	}

	/* A fresh nonce each time: the same message seals differently. */
	n = seal_tel(sealed, a_hub.tx);
	n2 = seal_tel(sealed2, a_hub.tx);
	CHECK(n == n2 && memcmp(sealed, sealed2, n) != 0);
	CHECK(memcmp(sealed + STRIDE_SEAL_NONCE_OFF,
	    sealed2 + STRIDE_SEAL_NONCE_OFF, CRYPTO_NONCE_BYTES) != 0);

	/* The largest payload fits STRIDE_SEALED_MAX exactly. */
	memset(big, 'x', sizeof(big));
	CHECK(crypto_msg_seal(sealed, sizeof(sealed), &n, big, sizeof(big),
	    STRIDE_KIND_TELEMETRY, 1, 1, "anna", "pod1", a_hub.tx) == 0);
	CHECK(n == STRIDE_SEALED_MAX);
	CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, sealed, n,
	    STRIDE_KIND_TELEMETRY, "anna", "pod1", hub_a.rx, &why) == 0);
	CHECK(m == sizeof(big) && memcmp(out, big, m) == 0);
	/* Longest ids. */
	CHECK(crypto_msg_seal(sealed, sizeof(sealed), &n, "x", 1,
	    STRIDE_KIND_EVENT, 1, 1, "abcdefghijklmnopqrstuvwxyz012345",
	    "0123456789abcdefghijklmnopqrstuv", a_hub.tx) == 0);
	CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, sealed, n,
	    STRIDE_KIND_EVENT, "abcdefghijklmnopqrstuvwxyz012345",
	    "0123456789abcdefghijklmnopqrstuv", hub_a.rx, &why) == 0);
}

#define MAXS	STRIDE_SEALED_MAX

static void
test_msg_seal_refuses(void)
{
	static const struct {
		enum stride_kind kind;
		uint32_t epoch, seq;
		size_t len;
		const char *runner, *device;
		size_t cap;
	} rows[] = {
		{ STRIDE_KIND_PLAN, 1, 1, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_NONE, 1, 1, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_COUNT, 1, 1, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_TELEMETRY, 0, 1, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 0, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_STATUS, 1, 1, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_STATUS, 0, 0, 10, "anna", "pod1", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 1, 0, "anna", "pod1", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 1, STRIDE_PAYLOAD_MAX + 1, "anna",
		    "pod1", MAXS + 1 },
		{ STRIDE_KIND_TELEMETRY, 1, 1, 10, "Anna", "pod1", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 1, 10, "anna", "", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 1, 10, "anna",
		    "0123456789abcdefghijklmnopqrstuvw", MAXS },
		{ STRIDE_KIND_TELEMETRY, 1, 1, 10, "anna", "pod1",
		    10 + STRIDE_SEAL_OVERHEAD - 1 },
	};
	static uint8_t sealed[MAXS + 2], msg[STRIDE_PAYLOAD_MAX + 1];
	size_t i, n;

	memset(msg, 'x', sizeof(msg));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(sealed, 0xAA, sizeof(sealed));
		n = 12345;
		CHECK(crypto_msg_seal(sealed, rows[i].cap, &n, msg, rows[i].len,
		    rows[i].kind, rows[i].epoch, rows[i].seq, rows[i].runner,
		    rows[i].device, a_hub.tx) == -1);
		CHECK(n == 12345);
	}
}

/* Open as the hub would for anna/pod1 telemetry; expect a refusal with
 * `reason` (NULL: any reason) and an untouched output buffer. */
static void
expect_msg_refused(const uint8_t *sealed, size_t n, enum stride_kind kind,
    const char *runner, const char *device, const uint8_t *rx,
    const char *reason, int line)
{
	static uint8_t out[STRIDE_PAYLOAD_MAX];
	size_t m = 99;
	uint32_t e = 5, s = 5;
	const char *why = NULL;
	int rc;

	memset(out, 0xAA, sizeof(out));
	rc = crypto_msg_open(out, sizeof(out), &m, &e, &s, sealed, n, kind,
	    runner, device, rx, &why);
	if (rc != -1 || why == NULL || m != 0 || e != 5 || s != 5 ||
	    !all_byte(out, sizeof(out), 0xAA) ||
	    (reason != NULL && strcmp(why, reason) != 0)) {
		check_failed++;
		fprintf(stderr, "line %d: expected refusal '%s', got rc %d "
		    "'%s'\n", line, reason ? reason : "(any)", rc,
		    why ? why : "(none)");
	} else
		check_passed++;
}
#define REFUSED(b, n, k, r, d, key, why) \
	expect_msg_refused(b, n, k, r, d, key, why, __LINE__)
#define TEL	STRIDE_KIND_TELEMETRY

static void
test_msg_hostile(void)
{
	static uint8_t good[STRIDE_SEALED_MAX], b[STRIDE_SEALED_MAX + 64];
	struct crypto_device_key evil;
	struct crypto_session evil_s;
	size_t n, i, len;
	unsigned bit;
	uint32_t v;
	char out[16];
	size_t m;
	uint32_t e, s;
	const char *why;

	n = seal_tel(good, a_hub.tx);

	/* Truncated at every length. */
	for (len = 0; len < n; len++)
		REFUSED(good, len, TEL, "anna", "pod1", hub_a.rx,
		    len < STRIDE_SEALED_MIN ? "envelope too short" :
		    "authentication failed");
	/* Extended by 1..64 bytes. */
	for (len = 1; len <= 64; len++) {
		memcpy(b, good, n);
		crypto_random(b + n, len);
		REFUSED(b, n + len, TEL, "anna", "pod1", hub_a.rx,
		    "authentication failed");
	}
	/* Oversized, even with a good header. */
	memset(b, 0, sizeof(b));
	memcpy(b, good, STRIDE_SEAL_HDR_BYTES);
	REFUSED(b, STRIDE_SEALED_MAX + 1, TEL, "anna", "pod1", hub_a.rx,
	    "envelope too large");

	/* Header fields, one at a time. */
	memcpy(b, good, n);
	b[0] = '{';
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, "not a sealed envelope");
	memcpy(b, good, n);
	b[1] = 2;
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx,
	    "unsupported envelope version");
	memcpy(b, good, n);
	b[3] = 0x80;
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, "envelope flags set");
	/* Moved to another kind's topic. */
	REFUSED(good, n, STRIDE_KIND_EVENT, "anna", "pod1", hub_a.rx,
	    "envelope kind does not match topic");
	/* ... with the kind byte rewritten to match: the AD catches it. */
	memcpy(b, good, n);
	b[2] = STRIDE_KIND_EVENT;
	REFUSED(b, n, STRIDE_KIND_EVENT, "anna", "pod1", hub_a.rx,
	    "authentication failed");
	REFUSED(good, n, STRIDE_KIND_PLAN, "anna", "pod1", hub_a.rx,
	    "kind is never sealed as a message");
	/* Epoch and seq changed (a replay under another number). */
	memcpy(b, good, n);
	b[7] ^= 1;
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, "authentication failed");
	memcpy(b, good, n);
	b[11] ^= 1;
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, "authentication failed");
	memcpy(b, good, n);
	v = 43;
	b[8] = 0; b[9] = 0; b[10] = 0; b[11] = (uint8_t)v;
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, "authentication failed");
	memcpy(b, good, n);
	memset(b + 4, 0, 4);
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx,
	    "envelope epoch out of range");
	memcpy(b, good, n);
	memset(b + 8, 0, 4);
	REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx,
	    "envelope seq out of range");
	memcpy(b, good, n);
	b[2] = STRIDE_KIND_STATUS;
	REFUSED(b, n, STRIDE_KIND_STATUS, "anna", "pod1", hub_a.rx,
	    "status envelope has a seq");

	/* Republished under another runner's or device's topic: even with
	 * that device's own key, the ids in the AD do not match. */
	REFUSED(good, n, TEL, "bo", "pod1", hub_a.rx, "authentication failed");
	REFUSED(good, n, TEL, "anna", "watch", hub_a.rx,
	    "authentication failed");
	REFUSED(good, n, TEL, "anna", "watch", hub_b.rx,
	    "authentication failed");
	REFUSED(good, n, TEL, "bo", "pod1", hub_c.rx, "authentication failed");
	REFUSED(good, n, TEL, "Anna", "pod1", hub_a.rx, "bad id");

	/* Forged: a stranger with their own key, and another club member's
	 * paired device sealing for anna's topic. */
	CHECK(crypto_device_generate(&evil) == 0);
	CHECK(crypto_session_device(&evil_s, &evil, hub.kx_pk) == 0);
	len = seal_tel(b, evil_s.tx);
	REFUSED(b, len, TEL, "anna", "pod1", hub_a.rx, "authentication failed");
	CHECK(crypto_session_device(&evil_s, &dev_c, hub.kx_pk) == 0);
	len = seal_tel(b, evil_s.tx);
	REFUSED(b, len, TEL, "anna", "pod1", hub_a.rx, "authentication failed");
	/* A hub-to-device ack key cannot forge device messages. */
	len = seal_tel(b, hub_a.tx);
	REFUSED(b, len, TEL, "anna", "pod1", hub_a.rx, "authentication failed");

	/* Every bit of the envelope flipped in turn. */
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(b, good, n);
			b[i] ^= (uint8_t)(1u << bit);
			REFUSED(b, n, TEL, "anna", "pod1", hub_a.rx, NULL);
		}

	/* Garbage, with and without a plausible header. */
	for (i = 0; i < 2000; i++) {
		uint16_t r;

		crypto_random(&r, sizeof(r));
		len = r % (STRIDE_SEALED_MAX + 40);
		crypto_random(b, len);
		if (i % 2 == 0 && len >= STRIDE_SEAL_HDR_BYTES)
			memcpy(b, good, STRIDE_SEAL_HDR_BYTES);
		REFUSED(b, len, TEL, "anna", "pod1", hub_a.rx, NULL);
	}

	/* A good envelope into too small a buffer is refused, not cut. */
	why = NULL;
	CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, good, n, TEL,
	    "anna", "pod1", hub_a.rx, &why) == -1);
	CHECK(why != NULL && strcmp(why, "message does not fit") == 0);
	/* why may be NULL. */
	CHECK(crypto_msg_open(out, sizeof(out), &m, &e, &s, good, 3, TEL,
	    "anna", "pod1", hub_a.rx, NULL) == -1);
}

/* ---- sealed plans ---- */

static const struct crypto_plan_to *
to_a(uint64_t version, int64_t issued, int64_t expires)
{
	static struct crypto_plan_to to;

	to.runner = "anna";
	to.device = "pod1";
	to.device_kx_pk = dev_a.kx_pk;
	to.version = version;
	to.issued_ms = issued;
	to.expires_ms = expires;
	return &to;
}

static size_t
seal_plan_a(uint8_t *out, const struct crypto_hub_identity *h,
    uint64_t version)
{
	char json[PLAN_JSON_MAX + 1];
	size_t jl = sample_plan(json, sizeof(json), (uint32_t)version), n = 0;

	if (crypto_plan_seal(out, CRYPTO_PLAN_SEALED_MAX, &n, json, jl,
	    to_a(version, NOW, NOW + 7 * DAY), h) != 0) {
		fprintf(stderr, "seal_plan_a failed\n");
		abort();
	}
	return n;
}

/* Sign for `to` with h, then wrap with session key tx for anna/pod1:
 * what a holder of anna/pod1's session key (but not necessarily the
 * hub's signing key) can produce. */
static size_t
forge_plan(uint8_t *out, const struct crypto_plan_to *to,
    const struct crypto_hub_identity *h, const uint8_t *tx)
{
	uint8_t sp[CRYPTO_PLAN_SIGNED_MAX];
	char json[PLAN_JSON_MAX + 1];
	size_t jl = sample_plan(json, sizeof(json), 1), spl = 0, n = 0;

	if (crypto_plan_sign(sp, sizeof(sp), &spl, json, jl, to, h) != 0 ||
	    crypto_plan_wrap(out, CRYPTO_PLAN_SEALED_MAX, &n, sp, spl, "anna",
	    "pod1", tx) != 0) {
		fprintf(stderr, "forge_plan failed\n");
		abort();
	}
	return n;
}

static enum crypto_plan_verdict
open_a(const uint8_t *sealed, size_t n, const struct crypto_trust *t,
    int64_t now, struct crypto_plan_info *info, char *plan, size_t *pl,
    const char **why)
{
	return crypto_plan_open(plan, PLAN_JSON_MAX, pl, info, sealed, n,
	    "anna", "pod1", now, t, &dev_a, why);
}

/* Expect BAD with `reason` (NULL: any), nothing written. */
static void
expect_plan_refused(const uint8_t *sealed, size_t n,
    const struct crypto_trust *t, const char *reason, int line)
{
	static char plan[PLAN_JSON_MAX];
	struct crypto_plan_info info;
	size_t pl = 77;
	const char *why = NULL;
	enum crypto_plan_verdict v;

	memset(plan, 0xAA, sizeof(plan));
	memset(&info, 0xAA, sizeof(info));
	v = open_a(sealed, n, t, NOW + DAY, &info, plan, &pl, &why);
	if (v != CRYPTO_PLAN_BAD || why == NULL || pl != 0 ||
	    !all_byte(plan, sizeof(plan), 0xAA) ||
	    !all_byte(&info, sizeof(info), 0xAA) ||
	    (reason != NULL && strcmp(why, reason) != 0)) {
		check_failed++;
		fprintf(stderr, "line %d: expected plan refusal '%s', got %d "
		    "'%s'\n", line, reason ? reason : "(any)", (int)v,
		    why ? why : "(none)");
	} else
		check_passed++;
}
#define PLAN_REFUSED(b, n, t, why) \
	expect_plan_refused(b, n, t, why, __LINE__)

static void
test_plan_versions(void)
{
	static uint8_t s5[CRYPTO_PLAN_SEALED_MAX], s4[CRYPTO_PLAN_SEALED_MAX];
	static uint8_t s6[CRYPTO_PLAN_SEALED_MAX], sx[CRYPTO_PLAN_SEALED_MAX];
	char json[PLAN_JSON_MAX + 1], plan[PLAN_JSON_MAX];
	uint8_t saved[CRYPTO_TRUST_BYTES];
	struct crypto_trust t, t2;
	struct crypto_plan_info info;
	size_t n5, n4, n6, nx, jl, pl;
	const char *why;

	crypto_trust_init(&t, hub.sign_pk, hub.kx_pk);
	n5 = seal_plan_a(s5, &hub, 5);
	n4 = seal_plan_a(s4, &hub, 4);
	n6 = seal_plan_a(s6, &hub, 6);
	jl = sample_plan(json, sizeof(json), 5);
	CHECK(n5 == jl + CRYPTO_PLAN_HDR_BYTES + CRYPTO_SIG_BYTES +
	    STRIDE_SEAL_OVERHEAD);
	CHECK(!contains(s5, n5, "Next run", 8));

	/* A new plan: the exact JSON back, and what it was signed with. */
	why = NULL;
	CHECK(open_a(s5, n5, &t, NOW + DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_NEW);
	CHECK(why == NULL);
	CHECK(pl == jl && memcmp(plan, json, jl) == 0);
	CHECK(info.version == 5 && info.issued_ms == NOW &&
	    info.expires_ms == NOW + 7 * DAY);
	CHECK(memcmp(info.hub_key_id, hub.key_id, CRYPTO_KEY_ID_BYTES) == 0);
	/* Checking does not change the trust state; accepting does. */
	CHECK(t.plan_version == 0);
	crypto_trust_plan_accepted(&t, &info);
	CHECK(t.plan_version == 5);

	/* The same version again: not an error, a distinct verdict, the plan
	 * still there (a device re-checks its stored copy at boot this way). */
	pl = 0;
	CHECK(open_a(s5, n5, &t, NOW + DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_SAME);
	CHECK(pl == jl && info.version == 5);
	/* An older one (a replay of the retained copy from before). */
	PLAN_REFUSED(s4, n4, &t, "plan older than the one accepted");
	/* Newer. */
	CHECK(open_a(s6, n6, &t, NOW + DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_NEW);
	crypto_trust_plan_accepted(&t, &info);
	CHECK(t.plan_version == 6);
	/* Accepting an older info never lowers the version. */
	info.version = 2;
	crypto_trust_plan_accepted(&t, &info);
	CHECK(t.plan_version == 6);

	/* Across a restart: the saved state keeps refusing the old ones. */
	crypto_trust_save(saved, &t);
	CHECK(crypto_trust_load(&t2, saved, sizeof(saved), &why) == 0);
	CHECK(t2.plan_version == 6);
	CHECK(open_a(s6, n6, &t2, NOW + DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_SAME);
	PLAN_REFUSED(s5, n5, &t2, "plan older than the one accepted");
	PLAN_REFUSED(s4, n4, &t2, "plan older than the one accepted");

	/* Expired: flagged, with the plan and its info available. Checked at
	 * the expiry instant and after. */
	CHECK(open_a(s6, n6, &t2, NOW + 7 * DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_EXPIRED);
	CHECK(pl == jl && info.version == 6 &&
	    info.expires_ms == NOW + 7 * DAY);
	CHECK(open_a(s6, n6, &t2, NOW + 7 * DAY - 1, &info, plan, &pl,
	    &why) == CRYPTO_PLAN_SAME);
	nx = seal_plan_a(sx, &hub, 9);
	CHECK(open_a(sx, nx, &t2, NOW + 30 * DAY, &info, plan, &pl, &why) ==
	    CRYPTO_PLAN_EXPIRED);
	CHECK(info.version == 9 && pl == jl);
	/* An expired plan is never "older": rollback still wins. */
	PLAN_REFUSED(s4, n4, &t2, "plan older than the one accepted");

	/* The hub refuses to sign what a device would refuse. */
	CHECK(crypto_plan_seal(sx, sizeof(sx), &nx, json, jl,
	    to_a(0, NOW, NOW + DAY), &hub) == -1);
	CHECK(crypto_plan_seal(sx, sizeof(sx), &nx, json, jl,
	    to_a(1, NOW, NOW), &hub) == -1);
	CHECK(crypto_plan_seal(sx, sizeof(sx), &nx, json, jl,
	    to_a(1, -1, NOW), &hub) == -1);
	CHECK(crypto_plan_seal(sx, sizeof(sx), &nx, json, 0,
	    to_a(1, NOW, NOW + DAY), &hub) == -1);
	CHECK(crypto_plan_seal(sx, sizeof(sx), &nx, json, PLAN_JSON_MAX + 1,
	    to_a(1, NOW, NOW + DAY), &hub) == -1);
	CHECK(crypto_plan_seal(sx, 100, &nx, json, jl,
	    to_a(1, NOW, NOW + DAY), &hub) == -1);
}

static void
test_plan_hostile(void)
{
	static uint8_t good[CRYPTO_PLAN_SEALED_MAX];
	static uint8_t b[CRYPTO_PLAN_SEALED_MAX + 64];
	static uint8_t sp[CRYPTO_PLAN_SIGNED_MAX + 8];
	static uint8_t sp2[CRYPTO_PLAN_SIGNED_MAX + 8];
	char json[PLAN_JSON_MAX + 1];
	struct crypto_hub_identity evil, fake;
	struct crypto_device_key a_old;
	struct crypto_session s;
	struct crypto_plan_to to;
	struct crypto_trust t;
	size_t n, i, len, spl, jl, body;
	const char *expect;

	crypto_trust_init(&t, hub.sign_pk, hub.kx_pk);
	t.plan_version = 3;
	n = seal_plan_a(good, &hub, 5);

	/* The outer envelope: truncated, extended, oversized, garbage. */
	for (len = 0; len < n; len++)
		PLAN_REFUSED(good, len, &t, len < CRYPTO_PLAN_SEALED_MIN ?
		    "envelope too short" : "authentication failed");
	for (len = 1; len <= 64; len++) {
		memcpy(b, good, n);
		crypto_random(b + n, len);
		PLAN_REFUSED(b, n + len, &t, n + len > CRYPTO_PLAN_SEALED_MAX ?
		    "envelope too large" : "authentication failed");
	}
	memset(b, 0, sizeof(b));
	memcpy(b, good, STRIDE_SEAL_HDR_BYTES);
	PLAN_REFUSED(b, CRYPTO_PLAN_SEALED_MAX + 1, &t, "envelope too large");
	for (i = 0; i < 500; i++) {
		uint16_t r;

		crypto_random(&r, sizeof(r));
		len = r % (CRYPTO_PLAN_SEALED_MAX + 40);
		crypto_random(b, len);
		if (i % 2 == 0 && len >= STRIDE_SEAL_HDR_BYTES)
			memcpy(b, good, STRIDE_SEAL_HDR_BYTES);
		PLAN_REFUSED(b, len, &t, NULL);
	}
	/* Header bytes. */
	memcpy(b, good, n);
	b[2] = STRIDE_KIND_TELEMETRY;
	PLAN_REFUSED(b, n, &t, "envelope kind does not match topic");
	memcpy(b, good, n);
	b[8] = 1;
	PLAN_REFUSED(b, n, &t, "plan envelope counters set");

	/* Every byte of the sealed plan flipped in turn. */
	for (i = 0; i < n; i++) {
		memcpy(b, good, n);
		b[i] ^= 0xFF;
		PLAN_REFUSED(b, n, &t, NULL);
	}

	/*
	 * Every byte of the signed plan flipped, then encrypted properly to
	 * us: what someone holding our session key (a thief of the device
	 * key) could send. The signature, or the framing before it, must
	 * catch every one.
	 */
	jl = sample_plan(json, sizeof(json), 5);
	CHECK(crypto_plan_sign(sp, sizeof(sp), &spl, json, jl,
	    to_a(5, NOW, NOW + 7 * DAY), &hub) == 0);
	body = CRYPTO_PLAN_HDR_BYTES + jl;
	CHECK(spl == body + CRYPTO_SIG_BYTES);
	/* Unmodified, it opens. */
	CHECK(crypto_plan_wrap(b, sizeof(b), &len, sp, spl, "anna", "pod1",
	    hub_a.tx) == 0);
	{
		char plan[PLAN_JSON_MAX];
		struct crypto_plan_info info;
		size_t pl;
		const char *why;

		CHECK(open_a(b, len, &t, NOW, &info, plan, &pl, &why) ==
		    CRYPTO_PLAN_NEW);
	}
	for (i = 0; i < spl; i++) {
		memcpy(sp2, sp, spl);
		sp2[i] ^= 0xFF;
		if (i < 8)
			expect = "not a signed plan";
		else if (i == 138 || i == 139)
			expect = "signed plan length mismatch";
		else if (i >= 106 && i < 114)
			expect = "unknown hub key";
		else
			expect = "bad signature";
		CHECK(crypto_plan_wrap(b, sizeof(b), &len, sp2, spl, "anna",
		    "pod1", hub_a.tx) == 0);
		PLAN_REFUSED(b, len, &t, expect);
	}
	/* Truncated and extended signed plans, encrypted properly. */
	for (len = 1; len < spl; len += (len < 300 ? 1 : 97)) {
		size_t sl;

		CHECK(crypto_plan_wrap(b, sizeof(b), &sl, sp, len, "anna",
		    "pod1", hub_a.tx) == 0);
		/* The envelope's minimum is the signed plan's plus the
		 * overhead, so a short one never gets as far as decrypting. */
		PLAN_REFUSED(b, sl, &t, len < CRYPTO_PLAN_SIGNED_MIN ?
		    "envelope too short" : "signed plan length mismatch");
	}
	memcpy(sp2, sp, spl);
	sp2[spl] = 0;
	CHECK(crypto_plan_wrap(b, sizeof(b), &len, sp2, spl + 1, "anna",
	    "pod1", hub_a.tx) == 0);
	PLAN_REFUSED(b, len, &t, "signed plan length mismatch");

	/* Forged signature: the hub's key id and public key, a stranger's
	 * secret key. */
	CHECK(crypto_hub_generate(&evil) == 0);
	fake = hub;
	memcpy(fake.sign_sk, evil.sign_sk, CRYPTO_SIGN_SK_BYTES);
	len = forge_plan(b, to_a(9, NOW, NOW + DAY), &fake, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "bad signature");
	/* A key the device never heard of (signed by it, properly). */
	len = forge_plan(b, to_a(9, NOW, NOW + DAY), &evil, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "unknown hub key");
	/* A stranger's complete plan for anna/pod1: not our hub, so not our
	 * session key either. */
	CHECK(crypto_session_hub(&s, &evil, dev_a.kx_pk) == 0);
	len = forge_plan(b, to_a(9, NOW, NOW + DAY), &evil, s.tx);
	PLAN_REFUSED(b, len, &t, "authentication failed");

	/* Another device's genuine plan, re-encrypted to this device. */
	to = *to_a(9, NOW, NOW + DAY);
	to.device = "watch";
	to.device_kx_pk = dev_b.kx_pk;
	len = forge_plan(b, &to, &hub, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "plan for another device");
	/* Same device id, another runner. */
	to = *to_a(9, NOW, NOW + DAY);
	to.runner = "bo";
	to.device_kx_pk = dev_c.kx_pk;
	len = forge_plan(b, &to, &hub, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "plan for another runner");
	/* Right ids, but for the key the device had before re-pairing. */
	CHECK(crypto_device_generate(&a_old) == 0);
	to = *to_a(9, NOW, NOW + DAY);
	to.device_kx_pk = a_old.kx_pk;
	len = forge_plan(b, &to, &hub, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "plan for another device key");
	/* A longer id sharing our id as prefix. */
	to = *to_a(9, NOW, NOW + DAY);
	to.device = "pod10";
	len = forge_plan(b, &to, &hub, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "plan for another device");
	/* Another device's plan, sealed to it, republished on our topic. */
	to = *to_a(9, NOW, NOW + DAY);
	to.device = "watch";
	to.device_kx_pk = dev_b.kx_pk;
	CHECK(crypto_plan_seal(b, sizeof(b), &len, json, jl, &to, &hub) == 0);
	PLAN_REFUSED(b, len, &t, "authentication failed");

	/* A device message envelope is not a plan. */
	len = seal_tel(b, hub_a.tx);
	PLAN_REFUSED(b, len, &t, "envelope too short");
	{
		static char big[PLAN_JSON_MAX];

		memset(big, 'x', sizeof(big));
		CHECK(crypto_msg_seal(b, sizeof(b), &len, big, sizeof(big),
		    STRIDE_KIND_ACK, 1, 1, "anna", "pod1", hub_a.tx) == 0);
		PLAN_REFUSED(b, len, &t, "envelope kind does not match topic");
	}
	crypto_wipe(&evil, sizeof(evil));
	crypto_wipe(&fake, sizeof(fake));
}

/* ---- trust state ---- */

static void
test_trust_state(void)
{
	uint8_t buf[CRYPTO_TRUST_BYTES], b[CRYPTO_TRUST_BYTES + 1];
	struct crypto_trust t, back, keep;
	size_t i;
	const char *why;

	crypto_trust_init(&t, hub.sign_pk, hub.kx_pk);
	CHECK(memcmp(t.hub_key_id, hub.key_id, CRYPTO_KEY_ID_BYTES) == 0);
	CHECK(t.plan_version == 0 && t.beat_seq == 0 && t.nretired == 0);
	t.plan_version = 0x0102030405060708ULL;
	t.beat_seq = 77;
	t.beat_hub_ms = NOW;
	t.nretired = 2;
	memset(t.retired[0], 0x11, 8);
	memset(t.retired[1], 0x22, 8);
	crypto_trust_save(buf, &t);
	memset(&back, 0, sizeof(back));
	CHECK(crypto_trust_load(&back, buf, sizeof(buf), &why) == 0);
	CHECK(memcmp(&back, &t, sizeof(t)) == 0);

	/* Every byte flipped: refused, and the output untouched. */
	memset(&keep, 0x5A, sizeof(keep));
	for (i = 0; i < sizeof(buf); i++) {
		memcpy(b, buf, sizeof(buf));
		b[i] ^= 0x01;
		back = keep;
		why = NULL;
		CHECK(crypto_trust_load(&back, b, sizeof(buf), &why) == -1);
		CHECK(why != NULL);
		CHECK(memcmp(&back, &keep, sizeof(keep)) == 0);
	}
	CHECK(crypto_trust_load(&back, buf, sizeof(buf) - 1, &why) == -1);
	memcpy(b, buf, sizeof(buf));
	b[sizeof(buf)] = 0;
	CHECK(crypto_trust_load(&back, b, sizeof(buf) + 1, &why) == -1);
	CHECK(crypto_trust_load(&back, b, 0, &why) == -1);
}

/* ---- heartbeat ---- */

static void
test_beat(void)
{
	uint8_t b1[CRYPTO_BEAT_BYTES], b2[CRYPTO_BEAT_BYTES];
	uint8_t x[CRYPTO_BEAT_BYTES + 1];
	struct crypto_hub_identity evil, fake;
	struct crypto_trust t;
	struct crypto_beat beat, keep;
	const char *why;
	size_t i;

	crypto_trust_init(&t, hub.sign_pk, hub.kx_pk);
	CHECK(crypto_trust_beat_age_ms(&t, NOW) == -1);
	CHECK(crypto_beat_sign(b1, NOW, 1, &hub) == 0);
	CHECK(crypto_beat_sign(b2, NOW + 60000, 2, &hub) == 0);
	CHECK(crypto_beat_sign(x, NOW, 0, &hub) == -1);
	CHECK(crypto_beat_sign(x, -1, 1, &hub) == -1);

	CHECK(crypto_beat_open(&beat, b1, sizeof(b1), &t, &why) == 0);
	CHECK(beat.seq == 1 && beat.hub_ms == NOW &&
	    memcmp(beat.hub_key_id, hub.key_id, 8) == 0);
	CHECK(t.beat_seq == 0);		/* pure */
	crypto_trust_beat_accepted(&t, &beat);
	CHECK(t.beat_seq == 1 && t.beat_hub_ms == NOW);
	CHECK(crypto_trust_beat_age_ms(&t, NOW + 5000) == 5000);
	/* The retained copy again, or a replay: not newer. */
	CHECK(crypto_beat_open(&beat, b1, sizeof(b1), &t, &why) == 1);
	CHECK(crypto_beat_open(&beat, b2, sizeof(b2), &t, &why) == 0);
	crypto_trust_beat_accepted(&t, &beat);
	CHECK(t.beat_seq == 2);
	CHECK(crypto_beat_open(&beat, b1, sizeof(b1), &t, &why) == 1);
	/* Accepting an older one changes nothing. */
	beat.seq = 1;
	beat.hub_ms = NOW;
	crypto_trust_beat_accepted(&t, &beat);
	CHECK(t.beat_seq == 2 && t.beat_hub_ms == NOW + 60000);
	/* A frozen hub: the age grows; a hub clock ahead of ours reads 0. */
	CHECK(crypto_trust_beat_age_ms(&t, NOW + 3600000) == 3600000 - 60000);
	CHECK(crypto_trust_beat_age_ms(&t, NOW) == 0);

	/* Forged, unknown key, every byte flipped, wrong sizes. */
	CHECK(crypto_hub_generate(&evil) == 0);
	fake = hub;
	memcpy(fake.sign_sk, evil.sign_sk, CRYPTO_SIGN_SK_BYTES);
	CHECK(crypto_beat_sign(x, NOW + 120000, 3, &fake) == 0);
	why = NULL;
	CHECK(crypto_beat_open(&beat, x, CRYPTO_BEAT_BYTES, &t, &why) == -1);
	CHECK(why != NULL && strcmp(why, "bad signature") == 0);
	CHECK(crypto_beat_sign(x, NOW + 120000, 3, &evil) == 0);
	CHECK(crypto_beat_open(&beat, x, CRYPTO_BEAT_BYTES, &t, &why) == -1);
	CHECK(why != NULL && strcmp(why, "unknown hub key") == 0);
	memset(&keep, 0x33, sizeof(keep));
	for (i = 0; i < CRYPTO_BEAT_BYTES; i++) {
		memcpy(x, b2, sizeof(b2));
		x[i] ^= 0xFF;
		beat = keep;
		why = NULL;
		CHECK(crypto_beat_open(&beat, x, CRYPTO_BEAT_BYTES, &t, &why) ==
		    -1);
		CHECK(why != NULL && memcmp(&beat, &keep, sizeof(beat)) == 0);
	}
	memcpy(x, b2, sizeof(b2));
	CHECK(crypto_beat_open(&beat, x, CRYPTO_BEAT_BYTES - 1, &t, &why) ==
	    -1);
	CHECK(crypto_beat_open(&beat, x, CRYPTO_BEAT_BYTES + 1, &t, &why) ==
	    -1);
	CHECK(strcmp(why, "heartbeat has the wrong size") == 0);
	/* A plan is not a heartbeat, whatever its size. */
	{
		uint8_t sp[CRYPTO_PLAN_SIGNED_MAX];
		char json[PLAN_JSON_MAX + 1];
		size_t spl, jl = sample_plan(json, sizeof(json), 1);

		CHECK(crypto_plan_sign(sp, sizeof(sp), &spl, json, jl,
		    to_a(1, NOW, NOW + DAY), &hub) == 0);
		CHECK(crypto_beat_open(&beat, sp, CRYPTO_BEAT_BYTES, &t,
		    &why) == -1);
		CHECK(strcmp(why, "not a heartbeat") == 0);
	}
	crypto_wipe(&evil, sizeof(evil));
	crypto_wipe(&fake, sizeof(fake));
}

/* ---- rotation ---- */

/* Expect a plan sealed by h for anna/pod1 to get verdict v under t. */
static void
expect_plan_under(const struct crypto_trust *t,
    const struct crypto_hub_identity *h, const char *reason, int line)
{
	uint8_t b[CRYPTO_PLAN_SEALED_MAX];
	char plan[PLAN_JSON_MAX];
	struct crypto_plan_info info;
	size_t n = seal_plan_a(b, h, t->plan_version + 1), pl;
	const char *why = NULL;
	enum crypto_plan_verdict v;

	v = open_a(b, n, t, NOW + DAY, &info, plan, &pl, &why);
	if ((reason == NULL && v != CRYPTO_PLAN_NEW) ||
	    (reason != NULL && (v != CRYPTO_PLAN_BAD || why == NULL ||
	    strcmp(why, reason) != 0))) {
		check_failed++;
		fprintf(stderr, "line %d: plan under key: expected '%s', got "
		    "%d '%s'\n", line, reason ? reason : "NEW", (int)v,
		    why ? why : "");
	} else
		check_passed++;
}
#define PLAN_UNDER(t, h, why) expect_plan_under(t, h, why, __LINE__)

static void
test_rotation(void)
{
	struct crypto_hub_identity k1, k2, k3, evil, fake;
	uint8_t r12[CRYPTO_ROT_BYTES], r23[CRYPTO_ROT_BYTES];
	uint8_t x[CRYPTO_ROT_BYTES];
	uint8_t chain[CRYPTO_ROT_BYTES * (CRYPTO_ROT_CHAIN_MAX + 1)];
	uint8_t beat[CRYPTO_BEAT_BYTES], saved[CRYPTO_TRUST_BYTES];
	struct crypto_trust t, t0, keep;
	struct crypto_beat bt;
	const char *why;
	unsigned applied;
	size_t i;

	k1 = hub;
	CHECK(crypto_hub_new_signing_key(&k2, &k1) == 0);
	/* The second rotation changes the X25519 key as well. */
	CHECK(crypto_hub_generate(&k3) == 0);
	CHECK(crypto_rot_sign(r12, NOW, &k1, &k2) == 0);
	CHECK(crypto_rot_sign(r23, NOW + DAY, &k2, &k3) == 0);
	CHECK(crypto_rot_sign(x, NOW, &k1, &k1) == -1);
	crypto_trust_init(&t0, k1.sign_pk, k1.kx_pk);
	t0.plan_version = 3;

	/* Signed by both: accepted; the old key is retired at once. */
	t = t0;
	why = NULL;
	CHECK(crypto_trust_apply_rot(&t, r12, sizeof(r12), &why) == 0);
	CHECK(why == NULL);
	CHECK(memcmp(t.hub_sign_pk, k2.sign_pk, 32) == 0);
	CHECK(memcmp(t.hub_key_id, k2.key_id, 8) == 0);
	CHECK(memcmp(t.hub_kx_pk, k1.kx_pk, 32) == 0);
	CHECK(t.nretired == 1 && memcmp(t.retired[0], k1.key_id, 8) == 0);
	CHECK(t.plan_version == 3);
	PLAN_UNDER(&t, &k2, NULL);
	PLAN_UNDER(&t, &k1, "hub key retired");
	CHECK(crypto_beat_sign(beat, NOW, 1, &k1) == 0);
	CHECK(crypto_beat_open(&bt, beat, sizeof(beat), &t, &why) == -1);
	CHECK(strcmp(why, "hub key retired") == 0);
	/* Applying it again: already done, nothing changes. */
	keep = t;
	CHECK(crypto_trust_apply_rot(&t, r12, sizeof(r12), &why) == 1);
	CHECK(memcmp(&t, &keep, sizeof(t)) == 0);
	/* The retired list survives a save and load. */
	crypto_trust_save(saved, &t);
	CHECK(crypto_trust_load(&keep, saved, sizeof(saved), &why) == 0);
	CHECK(memcmp(&t, &keep, sizeof(t)) == 0);
	PLAN_UNDER(&keep, &k1, "hub key retired");

	/* Signed by the old key only (the new slot signed by someone else):
	 * refused. */
	CHECK(crypto_hub_generate(&evil) == 0);
	fake = k2;
	memcpy(fake.sign_sk, evil.sign_sk, CRYPTO_SIGN_SK_BYTES);
	CHECK(crypto_rot_sign(x, NOW, &k1, &fake) == 0);
	t = t0;
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == -1);
	CHECK(strcmp(why, "rotation: bad signature by the new key") == 0);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0);
	/* Signed by the new key only (an attacker's key, claiming to
	 * replace ours): refused. */
	fake = k1;
	memcpy(fake.sign_sk, evil.sign_sk, CRYPTO_SIGN_SK_BYTES);
	CHECK(crypto_rot_sign(x, NOW, &fake, &evil) == 0);
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == -1);
	CHECK(strcmp(why, "rotation: bad signature by the old key") == 0);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0);
	/* Both signatures from the same (old) key: refused. */
	memcpy(x, r12, sizeof(x));
	memcpy(x + 152, r12 + 88, 64);
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == -1);
	CHECK(strcmp(why, "rotation: bad signature by the new key") == 0);
	/* Signatures in swapped slots: refused. */
	memcpy(x, r12, sizeof(x));
	memcpy(x + 88, r12 + 152, 64);
	memcpy(x + 152, r12 + 88, 64);
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == -1);
	/* Both from a stranger's pair of keys: does not chain. */
	CHECK(crypto_rot_sign(x, NOW, &evil, &k3) == 0);
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == -1);
	CHECK(strcmp(why, "rotation does not chain from the current hub key")
	    == 0);
	/* Every byte flipped: never applied, state unchanged. */
	for (i = 0; i < CRYPTO_ROT_BYTES; i++) {
		memcpy(x, r12, sizeof(x));
		x[i] ^= 0xFF;
		t = t0;
		CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) != 0);
		CHECK(memcmp(&t, &t0, sizeof(t)) == 0);
	}
	CHECK(crypto_trust_apply_rot(&t, r12, sizeof(r12) - 1, &why) == -1);
	CHECK(crypto_trust_apply_rot(&t, r12, sizeof(r12) + 1, &why) == -1);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0);
	/* Skipping a rotation: the second one alone does not chain. */
	CHECK(crypto_trust_apply_rot(&t, r23, sizeof(r23), &why) == -1);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0);

	/* A device that slept through two rotations catches up. */
	memcpy(chain, r12, CRYPTO_ROT_BYTES);
	memcpy(chain + CRYPTO_ROT_BYTES, r23, CRYPTO_ROT_BYTES);
	t = t0;
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == 0);
	CHECK(applied == 2);
	CHECK(memcmp(t.hub_sign_pk, k3.sign_pk, 32) == 0);
	CHECK(memcmp(t.hub_kx_pk, k3.kx_pk, 32) == 0);
	CHECK(t.nretired == 2 && memcmp(t.retired[0], k1.key_id, 8) == 0 &&
	    memcmp(t.retired[1], k2.key_id, 8) == 0);
	/* Plans now open under the new X25519 key and signing key; the old
	 * hub's are sealed under the old X25519 key and fail before their
	 * signature is looked at. */
	PLAN_UNDER(&t, &k3, NULL);
	PLAN_UNDER(&t, &k2, "authentication failed");
	PLAN_UNDER(&t, &k1, "authentication failed");
	/* Signed by a retired key, sealed with the current X25519 key (k3
	 * keeps its X25519 key in k3b): refused for the key. */
	{
		struct crypto_hub_identity k3b = k2;

		memcpy(k3b.kx_pk, k3.kx_pk, 32);
		memcpy(k3b.kx_sk, k3.kx_sk, 32);
		PLAN_UNDER(&t, &k3b, "hub key retired");
		crypto_wipe(&k3b, sizeof(k3b));
	}
	/* Again: nothing to do. */
	keep = t;
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == 0);
	CHECK(applied == 0 && memcmp(&t, &keep, sizeof(t)) == 0);
	/* Out of order: still converges. */
	memcpy(chain, r23, CRYPTO_ROT_BYTES);
	memcpy(chain + CRYPTO_ROT_BYTES, r12, CRYPTO_ROT_BYTES);
	t = t0;
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == 0);
	CHECK(applied == 2 && memcmp(t.hub_sign_pk, k3.sign_pk, 32) == 0);
	/* A device enrolled after the rotations: nothing applies. */
	crypto_trust_init(&t, k3.sign_pk, k3.kx_pk);
	keep = t;
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == 0);
	CHECK(applied == 0 && memcmp(&t, &keep, sizeof(t)) == 0);
	/* A device enrolled at k2 applies only the second. */
	crypto_trust_init(&t, k2.sign_pk, k2.kx_pk);
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == 0);
	CHECK(applied == 1 && memcmp(t.hub_sign_pk, k3.sign_pk, 32) == 0);

	/* A chain with a forgery that names a key we would trust by then:
	 * the whole chain is refused, the state untouched. */
	{
		struct crypto_hub_identity fake_new = evil;

		memcpy(fake_new.sign_sk, k1.sign_sk, CRYPTO_SIGN_SK_BYTES);
		CHECK(crypto_rot_sign(x, NOW, &k2, &fake_new) == 0);
		crypto_wipe(&fake_new, sizeof(fake_new));
	}
	memcpy(chain, r12, CRYPTO_ROT_BYTES);
	memcpy(chain + CRYPTO_ROT_BYTES, x, CRYPTO_ROT_BYTES);
	t = t0;
	why = NULL;
	CHECK(crypto_trust_apply_chain(&t, chain, 2 * CRYPTO_ROT_BYTES,
	    &applied, &why) == -1);
	CHECK(why != NULL && applied == 0 && memcmp(&t, &t0, sizeof(t)) == 0);
	/* Wrong chain sizes. */
	CHECK(crypto_trust_apply_chain(&t, chain, 0, &applied, &why) == -1);
	CHECK(crypto_trust_apply_chain(&t, chain, CRYPTO_ROT_BYTES + 1,
	    &applied, &why) == -1);
	CHECK(crypto_trust_apply_chain(&t, chain,
	    (CRYPTO_ROT_CHAIN_MAX + 1) * CRYPTO_ROT_BYTES, &applied,
	    &why) == -1);
	CHECK(memcmp(&t, &t0, sizeof(t)) == 0);

	/* Rotating back to a retired key never makes it current. */
	t = t0;
	CHECK(crypto_trust_apply_rot(&t, r12, sizeof(r12), &why) == 0);
	CHECK(crypto_rot_sign(x, NOW, &k2, &k1) == 0);
	keep = t;
	CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) == 1);
	CHECK(memcmp(&t, &keep, sizeof(t)) == 0);
	PLAN_UNDER(&t, &k1, "hub key retired");

	/* Many rotations: the oldest retired ids are forgotten, and a plan
	 * under one of them is still refused, as unknown. */
	{
		struct crypto_hub_identity cur = k1, nxt;
		int r;

		t = t0;
		for (r = 0; r < CRYPTO_RETIRED_MAX + 2; r++) {
			CHECK(crypto_hub_new_signing_key(&nxt, &cur) == 0);
			CHECK(crypto_rot_sign(x, NOW + r, &cur, &nxt) == 0);
			CHECK(crypto_trust_apply_rot(&t, x, sizeof(x), &why) ==
			    0);
			cur = nxt;
		}
		CHECK(t.nretired == CRYPTO_RETIRED_MAX);
		PLAN_UNDER(&t, &cur, NULL);
		PLAN_UNDER(&t, &k1, "unknown hub key");
		crypto_trust_save(saved, &t);
		CHECK(crypto_trust_load(&keep, saved, sizeof(saved), &why) ==
		    0);
		CHECK(memcmp(&keep, &t, sizeof(t)) == 0);
		crypto_wipe(&cur, sizeof(cur));
		crypto_wipe(&nxt, sizeof(nxt));
	}
	crypto_wipe(&k2, sizeof(k2));
	crypto_wipe(&k3, sizeof(k3));
	crypto_wipe(&evil, sizeof(evil));
	crypto_wipe(&fake, sizeof(fake));
}

/* ---- passphrase box ---- */

static void
test_passbox(void)
{
	uint8_t box[64 + CRYPTO_PASSBOX_OVERHEAD], x[sizeof(box)];
	uint8_t secret[64], out[64];
	size_t n, m;
	const char *why;

	crypto_random(secret, sizeof(secret));
	CHECK(crypto_passbox_seal(box, sizeof(box), &n, secret, sizeof(secret),
	    "pass", 4, CRYPTO_KDF_INTERACTIVE) == 0);
	CHECK(n == sizeof(box));
	CHECK(!contains(box, n, secret, 8));
	memset(out, 0, sizeof(out));
	CHECK(crypto_passbox_open(out, sizeof(out), &m, box, n, "pass", 4,
	    &why) == 0);
	CHECK(m == sizeof(secret) && memcmp(out, secret, m) == 0);
	memset(out, 0x77, sizeof(out));
	why = NULL;
	CHECK(crypto_passbox_open(out, sizeof(out), &m, box, n, "pasS", 4,
	    &why) == -1);
	CHECK(why != NULL && strcmp(why, "wrong passphrase or corrupt box") ==
	    0);
	CHECK(all_byte(out, sizeof(out), 0x77));
	/* Hostile limits are refused before any work. */
	memcpy(x, box, n);
	x[24] = 0x7F;		/* memlimit: petabytes */
	CHECK(crypto_passbox_open(out, sizeof(out), &m, x, n, "pass", 4,
	    &why) == -1);
	CHECK(strcmp(why, "passphrase box: KDF limits out of range") == 0);
	memcpy(x, box, n);
	x[23] = 1;		/* opslimit 1 */
	CHECK(crypto_passbox_open(out, sizeof(out), &m, x, n, "pass", 4,
	    &why) == -1);
	CHECK(strcmp(why, "passphrase box: KDF limits out of range") == 0);
	CHECK(crypto_passbox_open(out, 10, &m, box, n, "pass", 4, &why) == -1);
	CHECK(crypto_passbox_open(out, sizeof(out), &m, box,
	    CRYPTO_PASSBOX_OVERHEAD, "pass", 4, &why) == -1);
	CHECK(crypto_passbox_seal(box, sizeof(box), &n, secret, sizeof(secret),
	    "", 0, CRYPTO_KDF_INTERACTIVE) == -1);
	crypto_wipe(secret, sizeof(secret));
}

/* ---- text helpers ---- */

static void
test_text(void)
{
	uint8_t bin[32], back[32];
	char b64[64], hex[65];
	size_t i;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 1);
	CHECK(crypto_b64_encode(b64, sizeof(b64), bin, sizeof(bin)) == 0);
	CHECK(strlen(b64) == 43);
	CHECK(strchr(b64, '+') == NULL && strchr(b64, '/') == NULL &&
	    strchr(b64, '=') == NULL);
	CHECK(crypto_b64_decode(back, sizeof(back), b64, strlen(b64)) == 0);
	CHECK(memcmp(back, bin, sizeof(bin)) == 0);
	CHECK(crypto_b64_decode(back, sizeof(back), b64, 42) == -1);
	CHECK(crypto_b64_decode(back, 31, b64, 43) == -1);
	CHECK(crypto_b64_encode(b64, 43, bin, sizeof(bin)) == -1);
	CHECK(crypto_hex(hex, sizeof(hex), bin, sizeof(bin)) == 0);
	CHECK(strlen(hex) == 64 && strncmp(hex, "01080f16", 8) == 0);
	CHECK(crypto_hex(hex, 64, bin, sizeof(bin)) == -1);
}

int
main(void)
{
	setup();
	test_keys();
	test_sessions();
	test_msg_roundtrip();
	test_msg_seal_refuses();
	test_msg_hostile();
	test_plan_versions();
	test_plan_hostile();
	test_trust_state();
	test_beat();
	test_rotation();
	test_passbox();
	test_text();
	crypto_wipe(&hub, sizeof(hub));
	crypto_wipe(&dev_a, sizeof(dev_a));
	crypto_wipe(&dev_b, sizeof(dev_b));
	crypto_wipe(&dev_c, sizeof(dev_c));
	return check_done("test_crypto");
}
