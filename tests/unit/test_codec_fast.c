/*
 * test_codec_fast.c - the telemetry fast path against the reference
 * decoder: for thousands of generated messages, valid and mutated, both
 * must return the same code, the same reason and the same struct. (How
 * much faster the fast path is, tests/bench/bench_worker measures.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stride/codec.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Numbers as devices might write them, some not JSON, some out of range. */
static const char *const numbers[] = {
	"172.4", "0", "-0", "3.02", "1e2", "1.5E-1", "01", "1.", ".5", "+1",
	"100000000000000000", "12.3456789012345678", "-2.5", "299.99", "300.1",
	"1764000000000", "1764000000000.5", "45", "-45.05", "9000", "1e400",
	"0.0000001", "123456789012345", "1234567890123456"
};
static const char *const skeys[] = {
	"t", "cad", "spd", "grade", "alt", "dist", "T", "extra", "\\u0074"
};

static int
gen(char *buf, size_t cap)
{
	int	len, i, n = 1 + (int)rnd(4), k, nk;
	long long t = 1764000000000LL + rnd(1000);

	len = snprintf(buf, cap, "{%s\"v\":%s,\"epoch\":%u,\"seq\":%u,"
	    "\"role\":\"%s\",\"samples\":[", rnd(8) == 0 ? " \"x\":1," : "",
	    rnd(10) == 0 ? "2" : "1", 1 + rnd(5), 1 + rnd(1000),
	    rnd(10) == 0 ? "wat\\u0063h" : rnd(2) ? "watch" : "footpod");
	for (i = 0; i < n; i++) {
		len += snprintf(buf + len, cap - (size_t)len, "%s{\"t\":%lld",
		    i ? "," : "", t + (rnd(12) == 0 ? -5 : i * 1000));
		nk = (int)rnd(4);
		for (k = 0; k < nk; k++)
			len += snprintf(buf + len, cap - (size_t)len,
			    ",%s\"%s\" : %s", rnd(6) == 0 ? "\n" : "",
			    rnd(6) ? skeys[1 + (k + i) % 5] : skeys[1 + rnd(8)],
			    rnd(4) ? "3.5" : numbers[rnd(sizeof(numbers) /
			    sizeof(numbers[0]))]);
		len += snprintf(buf + len, cap - (size_t)len, "}");
	}
	len += snprintf(buf + len, cap - (size_t)len, "]}%s",
	    rnd(10) == 0 ? " x" : rnd(5) == 0 ? "\r\n" : "");
	return len;
}

int
main(void)
{
	char			 buf[STRIDE_PAYLOAD_MAX + 64];
	struct stride_msg	 a, b;
	const char		*wa, *wb;
	int			 i, len, ra, rb, agree = 1, accepted = 0;
	int			 mutated;

	for (i = 0; i < 20000; i++) {
		len = gen(buf, sizeof(buf));
		mutated = (int)rnd(3) == 0;
		if (mutated && len > 2) {
			/* Flip, cut or duplicate a byte somewhere. */
			int at = (int)rnd((uint32_t)len);

			switch (rnd(3)) {
			case 0:
				buf[at] = (char)(buf[at] ^ (1 << rnd(7)));
				break;
			case 1:
				len = at;
				break;
			default:
				memmove(buf + at + 1, buf + at,
				    (size_t)(len - at));
				len++;
				break;
			}
		}
		wa = wb = NULL;
		ra = codec_decode(STRIDE_KIND_TELEMETRY, buf, (size_t)len, &a,
		    &wa);
		rb = codec_decode_full(STRIDE_KIND_TELEMETRY, buf, (size_t)len,
		    &b, &wb);
		if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0 ||
		    (ra != 0 && wa != wb)) {
			if (agree)
				fprintf(stderr, "disagree on %.*s: %d %s / %d "
				    "%s\n", len, buf, ra, ra ? wa : "", rb,
				    rb ? wb : "");
			agree = 0;
		}
		accepted += ra == 0;
	}
	CHECK(agree);
	/* The generator's mix must exercise both acceptance and refusal. */
	printf("%d of 20000 generated messages accepted\n", accepted);
	CHECK(accepted > 1000 && accepted < 19000);

	/* A plain message decodes the same through both. */
	len = snprintf(buf, sizeof(buf), "{\"v\":1,\"epoch\":3,\"seq\":9,"
	    "\"role\":\"footpod\",\"samples\":[{\"t\":1764000000000,"
	    "\"cad\":172.4,\"spd\":3.02,\"dist\":120.55},{\"t\":1764000001000,"
	    "\"cad\":172.8,\"spd\":3.05,\"dist\":123.6}]}");
	ra = codec_decode(STRIDE_KIND_TELEMETRY, buf, (size_t)len, &a, &wa);
	rb = codec_decode_full(STRIDE_KIND_TELEMETRY, buf, (size_t)len, &b, &wb);
	CHECK(ra == 0 && rb == 0 && memcmp(&a, &b, sizeof(a)) == 0);
	CHECK(a.u.tel.n == 2 && a.u.tel.s[1].dist_m == 123.6);
	CHECK(a.u.tel.s[0].t_ms == 1764000000000LL && a.epoch == 3);
	return check_done("test_codec_fast");
}
