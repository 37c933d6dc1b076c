/*
 * fuzz_envelope.c - libFuzzer target for the hostile side of the security
 * layer (include/stride/crypto.h): what a stranger on the broker can hand
 * the hub or a device. Keys are fixed (made from constant secrets once),
 * so the only input is the bytes.
 *
 * The first byte chooses what the rest is:
 *   0  a sealed device message: crypto_msg_open as every kind
 *   1  a sealed plan: crypto_plan_open by the fixed device
 *   2  what the hub broadcasts: a rotation chain
 *      (crypto_trust_apply_chain), one announcement (crypto_trust_apply_rot)
 *      and a heartbeat (crypto_beat_open), against the fixed trust
 *   3  a trust state: crypto_trust_load
 *   4  a plan's JSON: sealed by the fixed hub, then opened (new, same,
 *      expired, older), then with one byte flipped
 *   5  a message's JSON: sealed, opened, then moved and flipped
 * Invariants: random bytes never open or verify (no key could be forged
 * in a fuzzing run unless a check is missing); every refusal has a reason;
 * a refusal leaves its outputs and the trust untouched; what we seal opens
 * to the same bytes, and any one-byte change of it is refused. Any
 * violation aborts.
 *
 * Build: cmake -DSTRIDE_FUZZ=ON with CC=clang; run e.g.
 *   build-fuzz/tests/fuzz_envelope -max_len=4200 -max_total_time=60 corpus/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stride/crypto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_envelope: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

#define FUZZ_RUNNER	"anna"
#define FUZZ_DEVICE	"pod"

static struct crypto_hub_identity	fz_hub;
static struct crypto_device_key		fz_dev;
static struct crypto_session		fz_dsess;	/* the device's */
static struct crypto_trust		fz_trust;
static int				fz_ready;

static void
fuzz_setup(void)
{
	uint8_t seed[32], sk[32];

	if (fz_ready)
		return;
	memset(seed, 0x11, sizeof(seed));
	memset(sk, 0x22, sizeof(sk));
	FUZZ_ASSERT(crypto_hub_from_secrets(&fz_hub, seed, sk) == 0);
	memset(sk, 0x33, sizeof(sk));
	FUZZ_ASSERT(crypto_device_from_secret(&fz_dev, sk) == 0);
	FUZZ_ASSERT(crypto_session_device(&fz_dsess, &fz_dev,
	    fz_hub.kx_pk) == 0);
	crypto_trust_init(&fz_trust, fz_hub.sign_pk, fz_hub.kx_pk);
	fz_ready = 1;
}

/* Hostile bytes as a device message, every kind, both directions' keys. */
static void
fuzz_msg(const uint8_t *d, size_t n)
{
	static uint8_t	out[STRIDE_PAYLOAD_MAX];
	const char	*why;
	size_t		 len;
	uint32_t	 e, s;
	int		 k;

	for (k = STRIDE_KIND_NONE; k <= STRIDE_KIND_COUNT; k++) {
		why = NULL;
		len = 99;
		FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, d,
		    n, k, FUZZ_RUNNER, FUZZ_DEVICE, fz_dsess.tx, &why) == -1);
		FUZZ_ASSERT(why != NULL && why[0] != '\0' && len == 0);
		why = NULL;
		FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, d,
		    n, k, FUZZ_RUNNER, FUZZ_DEVICE, fz_dsess.rx, &why) == -1);
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
	}
}

static void
fuzz_plan(const uint8_t *d, size_t n)
{
	static char		 plan[PLAN_JSON_MAX];
	struct crypto_plan_info	 info;
	const char		*why = NULL;

	memset(&info, 0xa5, sizeof(info));
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &(size_t){ 0 },
	    &info, d, n, FUZZ_RUNNER, FUZZ_DEVICE, 1000, &fz_trust, &fz_dev,
	    &why) == CRYPTO_PLAN_BAD);
	FUZZ_ASSERT(why != NULL && why[0] != '\0');
	FUZZ_ASSERT(((uint8_t *)&info)[0] == 0xa5);
}

static void
fuzz_broadcast(const uint8_t *d, size_t n)
{
	struct crypto_trust	 t = fz_trust;
	struct crypto_beat	 b;
	unsigned		 applied = 77;
	const char		*why = NULL;
	int			 rc;

	rc = crypto_trust_apply_chain(&t, d, n, &applied, &why);
	/* Nothing signed by our hub's key: nothing may apply. */
	FUZZ_ASSERT(rc == -1 || applied == 0);
	FUZZ_ASSERT(rc == 0 || (why != NULL && why[0] != '\0'));
	FUZZ_ASSERT(memcmp(&t, &fz_trust, sizeof(t)) == 0);
	why = NULL;
	FUZZ_ASSERT(crypto_trust_apply_rot(&t, d, n, &why) == -1 ||
	    memcmp(&t, &fz_trust, sizeof(t)) == 0);
	FUZZ_ASSERT(memcmp(&t, &fz_trust, sizeof(t)) == 0);
	why = NULL;
	FUZZ_ASSERT(crypto_beat_open(&b, d, n, &fz_trust, &why) == -1);
	FUZZ_ASSERT(why != NULL && why[0] != '\0');
}

static void
fuzz_trust(const uint8_t *d, size_t n)
{
	struct crypto_trust	 t, u;
	uint8_t			 again[CRYPTO_TRUST_BYTES];
	const char		*why = NULL;

	memset(&t, 0x5a, sizeof(t));
	u = t;
	if (crypto_trust_load(&t, d, n, &why) == -1) {
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
		FUZZ_ASSERT(memcmp(&t, &u, sizeof(t)) == 0);
		return;
	}
	/* Only a checksummed state loads: it must save to the same bytes. */
	crypto_trust_save(again, &t);
	FUZZ_ASSERT(n == sizeof(again) && memcmp(again, d, n) == 0);
}

/* What the hub seals opens to the same bytes, and nothing else does. */
static void
fuzz_plan_trip(const uint8_t *d, size_t n)
{
	static uint8_t		 sealed[CRYPTO_PLAN_SEALED_MAX];
	static char		 plan[PLAN_JSON_MAX];
	struct crypto_plan_to	 to = { FUZZ_RUNNER, FUZZ_DEVICE, NULL, 5,
				    1000, 2000 };
	struct crypto_plan_info	 info;
	struct crypto_trust	 t = fz_trust;
	size_t			 slen = 0, len = 0, at;
	const char		*why = NULL;

	if (n == 0 || n > PLAN_JSON_MAX)
		return;
	to.device_kx_pk = fz_dev.kx_pk;
	FUZZ_ASSERT(crypto_plan_seal(sealed, sizeof(sealed), &slen, d, n, &to,
	    &fz_hub) == 0);
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, FUZZ_DEVICE, 1500, &t, &fz_dev, &why) ==
	    CRYPTO_PLAN_NEW);
	FUZZ_ASSERT(len == n && memcmp(plan, d, n) == 0);
	FUZZ_ASSERT(info.version == 5 && info.issued_ms == 1000 &&
	    info.expires_ms == 2000);
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, FUZZ_DEVICE, 2000, &t, &fz_dev, &why) ==
	    CRYPTO_PLAN_EXPIRED);
	crypto_trust_plan_accepted(&t, &info);
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, FUZZ_DEVICE, 1500, &t, &fz_dev, &why) ==
	    CRYPTO_PLAN_SAME);
	t.plan_version = 6;
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, FUZZ_DEVICE, 1500, &t, &fz_dev, &why) ==
	    CRYPTO_PLAN_BAD);
	/* Another device's ids: the AEAD binds them. */
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, "watch", 1500, &fz_trust, &fz_dev, &why) ==
	    CRYPTO_PLAN_BAD);
	/* One byte anywhere, chosen by the input. */
	at = (d[0] * 31u + d[n - 1] * 7u + n) % slen;
	sealed[at] ^= (uint8_t)(1u << (d[n / 2] & 7));
	why = NULL;
	FUZZ_ASSERT(crypto_plan_open(plan, sizeof(plan), &len, &info, sealed,
	    slen, FUZZ_RUNNER, FUZZ_DEVICE, 1500, &fz_trust, &fz_dev, &why) ==
	    CRYPTO_PLAN_BAD);
	FUZZ_ASSERT(why != NULL);
}

static void
fuzz_msg_trip(const uint8_t *d, size_t n)
{
	static uint8_t	sealed[STRIDE_SEALED_MAX];
	static uint8_t	out[STRIDE_PAYLOAD_MAX];
	size_t		slen = 0, len = 0, at;
	uint32_t	e = 0, s = 0;
	const char	*why = NULL;

	if (n == 0 || n > STRIDE_PAYLOAD_MAX)
		return;
	FUZZ_ASSERT(crypto_msg_seal(sealed, sizeof(sealed), &slen, d, n,
	    STRIDE_KIND_SYMPTOM, 7, 9, FUZZ_RUNNER, FUZZ_DEVICE,
	    fz_dsess.tx) == 0);
	FUZZ_ASSERT(slen == n + STRIDE_SEAL_OVERHEAD);
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_SYMPTOM, FUZZ_RUNNER, FUZZ_DEVICE, fz_dsess.tx,
	    &why) == 0);
	FUZZ_ASSERT(len == n && memcmp(out, d, n) == 0 && e == 7 && s == 9);
	/* Moved to another kind, device or runner; the other direction. */
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_TELEMETRY, FUZZ_RUNNER, FUZZ_DEVICE,
	    fz_dsess.tx, &why) == -1);
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_SYMPTOM, FUZZ_RUNNER, "watch", fz_dsess.tx,
	    &why) == -1);
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_SYMPTOM, "mallory", FUZZ_DEVICE, fz_dsess.tx,
	    &why) == -1);
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_SYMPTOM, FUZZ_RUNNER, FUZZ_DEVICE, fz_dsess.rx,
	    &why) == -1);
	at = (d[0] * 131u + d[n - 1] * 17u + n) % slen;
	sealed[at] ^= (uint8_t)(1u << (d[n / 2] & 7));
	why = NULL;
	FUZZ_ASSERT(crypto_msg_open(out, sizeof(out), &len, &e, &s, sealed,
	    slen, STRIDE_KIND_SYMPTOM, FUZZ_RUNNER, FUZZ_DEVICE, fz_dsess.tx,
	    &why) == -1);
	FUZZ_ASSERT(why != NULL && len == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_setup();
	switch (data[0] % 6) {
	case 0:
		fuzz_msg(data + 1, size - 1);
		break;
	case 1:
		fuzz_plan(data + 1, size - 1);
		break;
	case 2:
		fuzz_broadcast(data + 1, size - 1);
		break;
	case 3:
		fuzz_trust(data + 1, size - 1);
		break;
	case 4:
		fuzz_plan_trip(data + 1, size - 1);
		break;
	default:
		fuzz_msg_trip(data + 1, size - 1);
		break;
	}
	return 0;
}
