/*
 * bench_flood.c - publish a backlog of valid, sealed telemetry for the
 * drain and memory benchmarks: N messages, round-robin over D enrolled
 * devices (two per runner, a foot pod and a watch), QoS 1, as fast as the
 * broker takes them. Each message is sealed with its device's session key
 * (docs/protocol.md section 17) just before it is published, as an agent
 * does; sealing is a few microseconds, small beside the broker's work.
 *
 *   bench_flood keys DIR DEVICES stride-hub-pk1:...
 *	make DEVICES device keys: DIR/bench-keys.bin (0600: the hub's X25519
 *	key, then each device's secret) and DIR/devices.txt, one line
 *	"<runner> <device> <stride-dev-pk1:...>" each, for
 *	`stridehub device add --from DIR/devices.txt`.
 *   bench_flood HOST PORT MESSAGES DEVICES DIR [SAMPLES_PER_MESSAGE]
 *	flood with the first DEVICES keys of DIR/bench-keys.bin.
 *
 * Runner r<i/2>, device pod<i> (even i) or watch<i> (odd i); epoch 1.
 * A benchmark tool: the key file holds secrets in clear, in a temp dir.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

#include "stride/codec.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/protocol.h"
#include "stride/topic.h"

#define INFLIGHT	2000
#define KEYS_FILE	"bench-keys.bin"
#define DEVICES_FILE	"devices.txt"

static pthread_mutex_t	mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	cv = PTHREAD_COND_INITIALIZER;
static long		inflight, done, failed;
static int		connected;

static void
on_sent(void *ctx, MQTTAsync_successData *d)
{
	(void)ctx;
	(void)d;
	pthread_mutex_lock(&mu);
	inflight--;
	done++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void
on_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	(void)d;
	pthread_mutex_lock(&mu);
	inflight--;
	failed++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void
on_connect(void *ctx, MQTTAsync_successData *d)
{
	(void)ctx;
	(void)d;
	pthread_mutex_lock(&mu);
	connected = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void
on_connect_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	(void)d;
	fprintf(stderr, "bench_flood: connect failed\n");
	exit(1);
}

static void
dev_names(long dev, char *runner, size_t rcap, char *device, size_t dcap)
{
	snprintf(runner, rcap, "r%ld", dev / 2);
	snprintf(device, dcap, "%s%ld", dev % 2 ? "watch" : "pod", dev);
}

/* bench_flood keys DIR DEVICES HUB_KEY */
static int
make_keys(const char *dir, long ndev, const char *hub_text)
{
	struct crypto_device_key	 k;
	uint8_t				 sign_pk[CRYPTO_SIGN_PK_BYTES];
	uint8_t				 kx_pk[CRYPTO_KX_PK_BYTES];
	uint8_t				*buf;
	char				 path[1024], pk[KEYFILE_DEV_PK_TEXT_MAX];
	char				 runner[32], device[32];
	const char			*why = NULL;
	size_t				 len;
	FILE				*fp;
	long				 i;

	if (keyfile_hub_pk_parse(sign_pk, kx_pk, hub_text, &why) == -1) {
		fprintf(stderr, "bench_flood: hub key: %s\n", why);
		return 1;
	}
	len = CRYPTO_KX_PK_BYTES + (size_t)ndev * CRYPTO_KX_SK_BYTES;
	if ((buf = malloc(len)) == NULL)
		return 1;
	memcpy(buf, kx_pk, CRYPTO_KX_PK_BYTES);
	snprintf(path, sizeof(path), "%s/%s", dir, DEVICES_FILE);
	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_flood: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < ndev; i++) {
		if (crypto_device_generate(&k) == -1)
			return 1;
		memcpy(buf + CRYPTO_KX_PK_BYTES + (size_t)i * CRYPTO_KX_SK_BYTES,
		    k.kx_sk, CRYPTO_KX_SK_BYTES);
		keyfile_dev_pk_format(pk, sizeof(pk), k.kx_pk);
		dev_names(i, runner, sizeof(runner), device, sizeof(device));
		fprintf(fp, "%s %s %s\n", runner, device, pk);
	}
	crypto_wipe(&k, sizeof(k));
	if (fclose(fp) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir, KEYS_FILE);
	if (keyfile_write_atomic(path, buf, len, KEYFILE_REPLACE, &why) == -1) {
		fprintf(stderr, "bench_flood: %s: %s\n", path, why);
		return 1;
	}
	crypto_wipe(buf, len);
	free(buf);
	printf("keys: %ld devices in %s/%s\n", ndev, dir, DEVICES_FILE);
	return 0;
}

/* Each device's tx key with the hub, from DIR/bench-keys.bin. */
static uint8_t *
load_tx(const char *dir, long ndev)
{
	struct crypto_device_key	 k;
	struct crypto_session		 s;
	uint8_t				*buf, *tx;
	char				 path[1024];
	const char			*why = NULL;
	size_t				 len = 0, want;
	long				 i;

	want = CRYPTO_KX_PK_BYTES + (size_t)ndev * CRYPTO_KX_SK_BYTES;
	snprintf(path, sizeof(path), "%s/%s", dir, KEYS_FILE);
	if ((buf = malloc(want + 1)) == NULL ||
	    (tx = malloc((size_t)ndev * CRYPTO_KEY_BYTES)) == NULL)
		return NULL;
	if (keyfile_read_private(buf, want + 1, &len, path, &why) == -1 ||
	    len < want) {
		fprintf(stderr, "bench_flood: %s: %s\n", path,
		    why != NULL ? why : "fewer keys than devices");
		return NULL;
	}
	for (i = 0; i < ndev; i++) {
		if (crypto_device_from_secret(&k, buf + CRYPTO_KX_PK_BYTES +
		    (size_t)i * CRYPTO_KX_SK_BYTES) == -1 ||
		    crypto_session_device(&s, &k, buf) == -1) {
			fprintf(stderr, "bench_flood: unusable key %ld\n", i);
			return NULL;
		}
		memcpy(tx + (size_t)i * CRYPTO_KEY_BYTES, s.tx,
		    CRYPTO_KEY_BYTES);
	}
	crypto_wipe(&k, sizeof(k));
	crypto_wipe(&s, sizeof(s));
	crypto_wipe(buf, len);
	free(buf);
	return tx;
}

int
main(int argc, char *argv[])
{
	MQTTAsync			 c;
	MQTTAsync_connectOptions	 co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_createOptions		 cro = MQTTAsync_createOptions_initializer;
	struct stride_msg		 m;
	char				 uri[300], topic[STRIDE_TOPIC_MAX];
	char				 runner[32], device[32], buf[STRIDE_PAYLOAD_MAX];
	uint8_t				 sealed[STRIDE_SEALED_MAX], *tx;
	size_t				 sealed_len;
	long				 n, ndev, i, nsamp = 5;
	uint32_t			*seq;
	int64_t				 t0;
	int				 len, k;
	struct timespec			 a, b;

	if (argc == 5 && strcmp(argv[1], "keys") == 0 && atol(argv[3]) >= 1)
		return make_keys(argv[2], atol(argv[3]), argv[4]);
	if (argc < 6) {
		fprintf(stderr, "usage: bench_flood keys dir devices "
		    "stride-hub-pk1:...\n"
		    "       bench_flood host port messages devices dir "
		    "[samples]\n");
		return 2;
	}
	n = atol(argv[3]);
	ndev = atol(argv[4]);
	if (argc > 6)
		nsamp = atol(argv[6]);
	if (n < 1 || ndev < 1 || nsamp < 1 || nsamp > STRIDE_SAMPLES_MAX)
		return 2;
	if ((seq = calloc((size_t)ndev, sizeof(*seq))) == NULL)
		return 1;
	if ((tx = load_tx(argv[5], ndev)) == NULL)
		return 1;
	snprintf(uri, sizeof(uri), "tcp://%s:%s", argv[1], argv[2]);
	cro.maxBufferedMessages = INFLIGHT * 2;
	if (MQTTAsync_createWithOptions(&c, uri, "bench-flood",
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &cro) != MQTTASYNC_SUCCESS)
		return 1;
	co.cleansession = 1;
	co.maxInflight = INFLIGHT;
	co.onSuccess = on_connect;
	co.onFailure = on_connect_fail;
	if (MQTTAsync_connect(c, &co) != MQTTASYNC_SUCCESS)
		return 1;
	pthread_mutex_lock(&mu);
	while (!connected)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	t0 = (int64_t)time(NULL) * 1000 - 3600 * 1000;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		MQTTAsync_message		msg = MQTTAsync_message_initializer;
		MQTTAsync_responseOptions	ro = MQTTAsync_responseOptions_initializer;
		long				dev = i % ndev;
		uint32_t			s = ++seq[dev];

		memset(&m, 0, sizeof(m));
		m.kind = STRIDE_KIND_TELEMETRY;
		m.epoch = 1;
		m.seq = s;
		m.u.tel.role = dev % 2 ? STRIDE_ROLE_WATCH : STRIDE_ROLE_FOOTPOD;
		m.u.tel.n = (uint32_t)nsamp;
		for (k = 0; k < nsamp; k++) {
			struct stride_sample *sp = &m.u.tel.s[k];
			int64_t sec = (int64_t)(s - 1) * nsamp + k;

			sp->t_ms = t0 + sec * 1000;
			sp->spd_mps = 3.0f;
			sp->dist_m = 3.0 * (double)sec;
			sp->has = STRIDE_HAS_SPD | STRIDE_HAS_DIST;
			if (m.u.tel.role == STRIDE_ROLE_FOOTPOD) {
				sp->cad_spm = 172.0f;
				sp->has |= STRIDE_HAS_CAD;
			} else {
				sp->grade_pct = 1.5f;
				sp->alt_m = 100.0f;
				sp->has |= STRIDE_HAS_GRADE | STRIDE_HAS_ALT;
			}
		}
		dev_names(dev, runner, sizeof(runner), device, sizeof(device));
		if ((len = codec_encode(&m, buf, sizeof(buf))) < 0 ||
		    topic_build(topic, sizeof(topic), STRIDE_PREFIX_DEFAULT,
		    runner, device, STRIDE_KIND_TELEMETRY) < 0 ||
		    crypto_msg_seal(sealed, sizeof(sealed), &sealed_len, buf,
		    (size_t)len, STRIDE_KIND_TELEMETRY, m.epoch, m.seq, runner,
		    device, tx + (size_t)dev * CRYPTO_KEY_BYTES) == -1) {
			fprintf(stderr, "bench_flood: encode failed\n");
			return 1;
		}
		/* Paho copies the payload in sendMessage. */
		msg.payload = sealed;
		msg.payloadlen = (int)sealed_len;
		msg.qos = 1;
		ro.onSuccess = on_sent;
		ro.onFailure = on_fail;
		pthread_mutex_lock(&mu);
		while (inflight >= INFLIGHT)
			pthread_cond_wait(&cv, &mu);
		inflight++;
		pthread_mutex_unlock(&mu);
		if (MQTTAsync_sendMessage(c, topic, &msg, &ro) !=
		    MQTTASYNC_SUCCESS) {
			pthread_mutex_lock(&mu);
			inflight--;
			failed++;
			pthread_mutex_unlock(&mu);
		}
	}
	pthread_mutex_lock(&mu);
	while (inflight > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("flood: %ld messages published (%ld failed) in %.2f s\n", done,
	    failed, (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	MQTTAsync_disconnect(c, NULL);
	MQTTAsync_destroy(&c);
	crypto_wipe(tx, (size_t)ndev * CRYPTO_KEY_BYTES);
	free(tx);
	free(seq);
	return failed == 0 ? 0 : 1;
}
