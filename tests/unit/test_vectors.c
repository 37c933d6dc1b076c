/*
 * test_vectors.c - regenerate tests/vectors/envelope-v1.txt from fixed
 * secrets and fixed nonces, and compare it byte for byte with the file.
 *
 * The file is what a third party checks an implementation against
 * (docs/protocol.md; tests/vectors/check_vectors.py recomputes it with an
 * independent library). Every value is made through the production code:
 * keys through crypto_hub_from_secrets / crypto_device_from_secret, the
 * envelopes through the *_with_nonce functions that crypto_msg_seal and
 * crypto_plan_wrap call with a random nonce. Then every vector is opened
 * with the production open/verify functions, so the file can never hold
 * something a device would refuse.
 *
 * The file: argv[1], else $STRIDE_VECTORS, else
 * vectors/envelope-v1.txt beside $STRIDE_FIXTURES (ctest sets that to
 * tests/fixtures).
 * With STRIDE_VECTORS_WRITE=1 in the environment the file is (re)written
 * instead: only when the format changes on purpose, with docs/protocol.md.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CRYPTO_TEST_VECTORS	/* the fixed-nonce entry points */
#include "check.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define RUNNER		"anna"
#define DEVICE		"pod1"
#define TEL_EPOCH	7
#define TEL_SEQ		42
#define PLAN_VERSION	5
#define PLAN_ISSUED	1700000000000LL
#define PLAN_EXPIRES	1700604800000LL		/* + 7 days */
#define BEAT_MS		1700000060000LL
#define BEAT_SEQ	1
#define ROT_ISSUED	1700100000000LL

static const char tel_json[] = "{\"v\":1,\"epoch\":7,\"seq\":42,"
    "\"role\":\"footpod\",\"samples\":[{\"t\":1700000000000,\"cad\":172.4,"
    "\"spd\":3.21,\"dist\":1523.45}]}";
static const char ack_json[] = "{\"v\":1,\"epoch\":7,\"seq\":42}";
static const char plan_json[] = "{\"v\":1,\"ver\":5,\"at\":1700000000000,"
    "\"phase\":\"normal\",\"phase_since\":1699913600000,\"dist\":4500,"
    "\"dur\":1800,\"spd\":3.2,\"grade\":4,\"cad\":0,\"cad_tol\":0,"
    "\"cad_base\":0,\"cad_since\":0,\"rest\":1,\"rest_until\":0,"
    "\"load_since\":1700000000000,\"stop\":[\"pain\",\"distance\","
    "\"duration\"],\"text\":\"Next run: up to 4.5 km or 30 min, slower "
    "than 5:13/km, hills under 4%.\",\"why\":[{\"code\":\"PROGRESS\","
    "\"text\":\"A week without a flare: a small step up.\"}]}";

/* The text being built. */
static char	out[64 * 1024];
static size_t	outlen;

static void	emit(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

static void
emit(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out) - outlen) {
		fprintf(stderr, "test_vectors: output buffer too small\n");
		exit(1);
	}
	outlen += (size_t)n;
}

static void
emit_hex(const char *name, const void *bin, size_t len)
{
	static char hex[2 * 8192 + 1];

	if (crypto_hex(hex, sizeof(hex), bin, len) != 0) {
		fprintf(stderr, "test_vectors: %s too long\n", name);
		exit(1);
	}
	emit("%s = %s\n", name, hex);
}

/* seed[i] = base + i: fixed, obviously not secret. */
static void
pattern(uint8_t *p, size_t n, uint8_t base)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(base + i);
}

static const char *
vectors_path(int argc, char **argv)
{
	static char buf[1024];
	const char *e;

	if (argc > 1)
		return argv[1];
	if ((e = getenv("STRIDE_VECTORS")) != NULL && *e != '\0')
		return e;
	if ((e = getenv("STRIDE_FIXTURES")) != NULL && *e != '\0') {
		/* tests/fixtures -> tests/vectors, textually: the fixtures
		 * directory need not exist. */
		const char *slash = strrchr(e, '/');
		int dirlen = slash != NULL ? (int)(slash - e) : 1;

		snprintf(buf, sizeof(buf), "%.*s/vectors/envelope-v1.txt",
		    dirlen, slash != NULL ? e : ".");
		return buf;
	}
	return NULL;
}

static void
build(void)
{
	struct crypto_hub_identity hub, next;
	struct crypto_device_key dev;
	struct crypto_session d, h;
	struct crypto_trust t;
	struct crypto_plan_to to;
	struct crypto_plan_info info;
	struct crypto_beat beat;
	struct plan decoded;
	uint8_t sign_seed[32], kx_sk[32], dev_sk[32], next_seed[32];
	uint8_t nonce[CRYPTO_NONCE_BYTES], ad[128], fp[CRYPTO_FP_BYTES];
	static uint8_t sealed[STRIDE_SEALED_MAX], sp[CRYPTO_PLAN_SIGNED_MAX];
	uint8_t b[CRYPTO_BEAT_BYTES], rot[CRYPTO_ROT_BYTES];
	char text[KEYFILE_HUB_PK_TEXT_MAX], fpt[CRYPTO_FP_TEXT_MAX];
	char plain[STRIDE_PAYLOAD_MAX];
	size_t n, spl, adl, m;
	uint32_t e, s;
	unsigned applied;
	const char *why = NULL;

	pattern(sign_seed, 32, 0x00);
	pattern(kx_sk, 32, 0x20);
	pattern(dev_sk, 32, 0x40);
	pattern(next_seed, 32, 0x60);
	CHECK(crypto_hub_from_secrets(&hub, sign_seed, kx_sk) == 0);
	CHECK(crypto_device_from_secret(&dev, dev_sk) == 0);
	CHECK(crypto_hub_from_secrets(&next, next_seed, kx_sk) == 0);
	CHECK(crypto_session_device(&d, &dev, hub.kx_pk) == 0);
	CHECK(crypto_session_hub(&h, &hub, dev.kx_pk) == 0);
	CHECK(memcmp(d.tx, h.rx, 32) == 0 && memcmp(d.rx, h.tx, 32) == 0);

	emit("# StrideHub protocol v1: test vectors for docs/protocol.md.\n"
	    "# Made by tests/unit/test_vectors.c from the fixed secrets and\n"
	    "# nonces below (never do that outside test vectors); checked\n"
	    "# independently by tests/vectors/check_vectors.py.\n"
	    "# Byte strings are lowercase hex; *_text values are text.\n"
	    "# Integers are decimal. Ids: runner \"" RUNNER "\", device \""
	    DEVICE "\".\n");

	emit("\n# -- hub identity: Ed25519 from its seed, X25519 from its "
	    "secret scalar\n");
	emit_hex("hub_sign_seed", sign_seed, 32);
	emit_hex("hub_sign_pk", hub.sign_pk, 32);
	crypto_fp(fp, hub.sign_pk);
	emit_hex("hub_sign_fp", fp, 32);
	emit_hex("hub_key_id", hub.key_id, 8);
	crypto_fp_text(fpt, hub.sign_pk);
	emit("hub_sign_fp_text = %s\n", fpt);
	emit_hex("hub_kx_sk", kx_sk, 32);
	emit_hex("hub_kx_pk", hub.kx_pk, 32);
	CHECK(keyfile_hub_pk_format(text, sizeof(text), hub.sign_pk,
	    hub.kx_pk) == 0);
	emit("hub_pk_text = %s\n", text);

	emit("\n# -- device key (X25519) of " RUNNER "/" DEVICE "\n");
	emit_hex("device_kx_sk", dev_sk, 32);
	emit_hex("device_kx_pk", dev.kx_pk, 32);
	crypto_fp(fp, dev.kx_pk);
	emit_hex("device_fp", fp, 32);
	crypto_fp_text(fpt, dev.kx_pk);
	emit("device_fp_text = %s\n", fpt);
	CHECK(keyfile_dev_pk_format(text, sizeof(text), dev.kx_pk) == 0);
	emit("device_pk_text = %s\n", text);

	emit("\n# -- session keys (crypto_kx; device = client, hub = "
	    "server)\n");
	emit_hex("device_rx", d.rx, 32);
	emit_hex("device_tx", d.tx, 32);
	emit_hex("hub_rx", h.rx, 32);
	emit_hex("hub_tx", h.tx, 32);

	emit("\n# -- sealed telemetry, device -> hub, key device_tx\n");
	emit("tel_json_text = %s\n", tel_json);
	emit("tel_kind = %d\ntel_epoch = %d\ntel_seq = %d\n",
	    STRIDE_KIND_TELEMETRY, TEL_EPOCH, TEL_SEQ);
	pattern(nonce, sizeof(nonce), 0x80);
	CHECK(crypto_msg_seal_with_nonce(sealed, sizeof(sealed), &n, tel_json,
	    strlen(tel_json), STRIDE_KIND_TELEMETRY, TEL_EPOCH, TEL_SEQ,
	    RUNNER, DEVICE, nonce, d.tx) == 0);
	emit_hex("tel_header", sealed, STRIDE_SEAL_HDR_BYTES);
	adl = crypto_seal_ad(ad, sizeof(ad), sealed, RUNNER, DEVICE);
	emit_hex("tel_ad", ad, adl);
	emit_hex("tel_nonce", nonce, sizeof(nonce));
	emit_hex("tel_sealed", sealed, n);
	CHECK(crypto_msg_open(plain, sizeof(plain), &m, &e, &s, sealed, n,
	    STRIDE_KIND_TELEMETRY, RUNNER, DEVICE, h.rx, &why) == 0);
	CHECK(m == strlen(tel_json) && memcmp(plain, tel_json, m) == 0 &&
	    e == TEL_EPOCH && s == TEL_SEQ);

	emit("\n# -- sealed ack, hub -> device, key hub_tx\n");
	emit("ack_json_text = %s\n", ack_json);
	emit("ack_kind = %d\nack_epoch = %d\nack_seq = %d\n", STRIDE_KIND_ACK,
	    TEL_EPOCH, TEL_SEQ);
	pattern(nonce, sizeof(nonce), 0x98);
	CHECK(crypto_msg_seal_with_nonce(sealed, sizeof(sealed), &n, ack_json,
	    strlen(ack_json), STRIDE_KIND_ACK, TEL_EPOCH, TEL_SEQ, RUNNER,
	    DEVICE, nonce, h.tx) == 0);
	emit_hex("ack_header", sealed, STRIDE_SEAL_HDR_BYTES);
	adl = crypto_seal_ad(ad, sizeof(ad), sealed, RUNNER, DEVICE);
	emit_hex("ack_ad", ad, adl);
	emit_hex("ack_nonce", nonce, sizeof(nonce));
	emit_hex("ack_sealed", sealed, n);
	CHECK(crypto_msg_open(plain, sizeof(plain), &m, &e, &s, sealed, n,
	    STRIDE_KIND_ACK, RUNNER, DEVICE, d.rx, &why) == 0);

	emit("\n# -- sealed plan, hub -> device: signed by hub_sign, then "
	    "encrypted with hub_tx\n");
	CHECK(plan_decode(plan_json, strlen(plan_json), &decoded, &why) == 0);
	emit("plan_json_text = %s\n", plan_json);
	emit("plan_version = %d\nplan_issued_ms = %lld\n"
	    "plan_expires_ms = %lld\n", PLAN_VERSION, (long long)PLAN_ISSUED,
	    (long long)PLAN_EXPIRES);
	to.runner = RUNNER;
	to.device = DEVICE;
	to.device_kx_pk = dev.kx_pk;
	to.version = PLAN_VERSION;
	to.issued_ms = PLAN_ISSUED;
	to.expires_ms = PLAN_EXPIRES;
	CHECK(crypto_plan_sign(sp, sizeof(sp), &spl, plan_json,
	    strlen(plan_json), &to, &hub) == 0);
	emit_hex("plan_signed_body", sp, spl - CRYPTO_SIG_BYTES);
	emit_hex("plan_signature", sp + spl - CRYPTO_SIG_BYTES,
	    CRYPTO_SIG_BYTES);
	pattern(nonce, sizeof(nonce), 0xB0);
	CHECK(crypto_plan_wrap_with_nonce(sealed, sizeof(sealed), &n, sp, spl,
	    RUNNER, DEVICE, nonce, h.tx) == 0);
	emit_hex("plan_header", sealed, STRIDE_SEAL_HDR_BYTES);
	adl = crypto_seal_ad(ad, sizeof(ad), sealed, RUNNER, DEVICE);
	emit_hex("plan_ad", ad, adl);
	emit_hex("plan_nonce", nonce, sizeof(nonce));
	emit_hex("plan_sealed", sealed, n);
	crypto_trust_init(&t, hub.sign_pk, hub.kx_pk);
	CHECK(crypto_plan_open(plain, sizeof(plain), &m, &info, sealed, n,
	    RUNNER, DEVICE, PLAN_ISSUED, &t, &dev, &why) == CRYPTO_PLAN_NEW);
	CHECK(m == strlen(plan_json) && memcmp(plain, plan_json, m) == 0);

	emit("\n# -- hub heartbeat (clear, signed by hub_sign)\n");
	emit("beat_hub_ms = %lld\nbeat_seq = %d\n", (long long)BEAT_MS,
	    BEAT_SEQ);
	CHECK(crypto_beat_sign(b, BEAT_MS, BEAT_SEQ, &hub) == 0);
	emit_hex("beat", b, sizeof(b));
	CHECK(crypto_beat_open(&beat, b, sizeof(b), &t, &why) == 0);

	emit("\n# -- key rotation: hub_sign -> next_sign (X25519 key kept), "
	    "signed by both\n");
	emit_hex("next_sign_seed", next_seed, 32);
	emit_hex("next_sign_pk", next.sign_pk, 32);
	emit_hex("next_key_id", next.key_id, 8);
	emit("rot_issued_ms = %lld\n", (long long)ROT_ISSUED);
	CHECK(crypto_rot_sign(rot, ROT_ISSUED, &hub, &next) == 0);
	emit_hex("rot", rot, sizeof(rot));
	CHECK(crypto_trust_apply_chain(&t, rot, sizeof(rot), &applied,
	    &why) == 0 && applied == 1);
	CHECK(memcmp(t.hub_sign_pk, next.sign_pk, 32) == 0);

	crypto_wipe(&hub, sizeof(hub));
	crypto_wipe(&next, sizeof(next));
	crypto_wipe(&dev, sizeof(dev));
	crypto_wipe(&d, sizeof(d));
	crypto_wipe(&h, sizeof(h));
}

int
main(int argc, char **argv)
{
	static char file[64 * 1024];
	const char *path = vectors_path(argc, argv);
	const char *w = getenv("STRIDE_VECTORS_WRITE");
	FILE *f;
	size_t n, i, line;

	build();
	if (path == NULL) {
		fprintf(stderr, "test_vectors: no vector file: pass its path, "
		    "or set STRIDE_VECTORS or STRIDE_FIXTURES\n");
		return 1;
	}
	if (w != NULL && strcmp(w, "1") == 0) {
		f = fopen(path, "wb");
		CHECK(f != NULL && fwrite(out, 1, outlen, f) == outlen);
		if (f != NULL)
			CHECK(fclose(f) == 0);
		printf("test_vectors: wrote %s\n", path);
		return check_done("test_vectors");
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	CHECK(n == outlen);
	/* Name the first line that differs. */
	for (i = 0, line = 1; i < n && i < outlen; i++) {
		if (file[i] != out[i]) {
			fprintf(stderr, "test_vectors: %s differs at line "
			    "%zu\n", path, line);
			check_failed++;
			break;
		}
		if (file[i] == '\n')
			line++;
	}
	if (i == n && n == outlen)
		check_passed++;
	return check_done("test_vectors");
}
