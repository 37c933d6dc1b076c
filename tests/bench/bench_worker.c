/*
 * bench_worker.c - the hub's worker alone, no broker: open the sealed
 * envelope, decode, dedupe, sessions and store for N pre-sealed telemetry
 * messages handed over in queue-sized batches, on a real SQLite file, from
 * DEVICES devices enrolled in that store (keys made here, the hub's
 * identity in DIR/keys). Prints messages per second of one core, the
 * figure the drain benchmark's ratio depends on, and what opening the
 * envelopes alone costs.
 *
 *   bench_worker DIR [MESSAGES] [DEVICES] [SAMPLES_PER_MESSAGE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "hub.h"
#include "hubkey.h"
#include "queue.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/keyfile.h"
#include "stride/log.h"
#include "stride/topic.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct hub_config	 c;
	struct store		*st;
	struct queue		*q;
	struct hub		*h;
	struct inmsg		*list;
	struct hubkey		*hk;
	struct crypto_hub_identity hub;
	struct crypto_device_key dk;
	struct crypto_session	 sess;
	struct store_device	 sd;
	char			 path[512], err[256], topic[STRIDE_TOPIC_MAX];
	char			 buf[STRIDE_PAYLOAD_MAX], runner[32], device[32];
	char			 keydir[512];
	uint8_t			 sealed[STRIDE_SEALED_MAX], fp[CRYPTO_FP_BYTES];
	uint8_t			*tx, *rx, plain[STRIDE_PAYLOAD_MAX];
	long			 n = 200000, ndev = 1000, nsamp = 5, i, done = 0;
	uint32_t		*seq, e, sq;
	size_t			 count, sealed_len = 0, plain_len;
	int64_t			 rid;
	const char		*why = NULL;
	int64_t			 t0 = 1764000000000LL;
	double			 a, b;
	int			 k, len;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_worker dir [messages] [devices] "
		    "[samples]\n");
		return 2;
	}
	if (argc > 2)
		n = atol(argv[2]);
	if (argc > 3)
		ndev = atol(argv[3]);
	if (argc > 4)
		nsamp = atol(argv[4]);
	log_init("bench_worker", 0);
	config_defaults(&c);
	if (strlen(argv[1]) > 400)
		return 2;
	snprintf(keydir, sizeof(keydir), "%s/keys", argv[1]);
	if (mkdir(keydir, 0700) == -1 && errno != EEXIST)
		return 1;
	snprintf(path, sizeof(path), "%s/keys/hub.key", argv[1]);
	if (crypto_hub_generate(&hub) == -1 || keyfile_save_hub(path, &hub,
	    NULL, CRYPTO_KDF_MODERATE, KEYFILE_REPLACE, &why) == -1) {
		fprintf(stderr, "bench_worker: %s: %s\n", path, why);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/worker.db", argv[1]);
	if ((st = store_open(path, 0, err, sizeof(err))) == NULL ||
	    (q = queue_new((size_t)1 << 30)) == NULL ||
	    (seq = calloc((size_t)ndev, sizeof(*seq))) == NULL ||
	    (tx = malloc((size_t)ndev * CRYPTO_KEY_BYTES)) == NULL ||
	    (rx = malloc((size_t)ndev * CRYPTO_KEY_BYTES)) == NULL)
		return 1;
	/* Enrol every device, as `stridehub device add` does. */
	a = now_s();
	if (store_begin(st) == -1)
		return 1;
	for (i = 0; i < ndev; i++) {
		struct crypto_session hs;

		snprintf(runner, sizeof(runner), "r%ld", i / 2);
		snprintf(device, sizeof(device), "d%ld", i);
		if (store_runner_get(st, runner, 1, &rid) == -1 ||
		    store_device_get(st, rid, runner, device, 1, &sd) == -1 ||
		    crypto_device_generate(&dk) == -1)
			return 1;
		crypto_fp(fp, dk.kx_pk);
		if (store_device_key_put(st, sd.id, dk.kx_pk, fp, t0) == -1 ||
		    crypto_session_device(&sess, &dk, hub.kx_pk) == -1 ||
		    crypto_session_hub(&hs, &hub, dk.kx_pk) == -1)
			return 1;
		memcpy(tx + (size_t)i * CRYPTO_KEY_BYTES, sess.tx,
		    CRYPTO_KEY_BYTES);
		memcpy(rx + (size_t)i * CRYPTO_KEY_BYTES, hs.rx,
		    CRYPTO_KEY_BYTES);
	}
	if (store_commit(st) == -1)
		return 1;
	crypto_wipe(&hub, sizeof(hub));
	crypto_wipe(&dk, sizeof(dk));
	if ((h = hub_new(&c, st, NULL, NULL)) == NULL ||
	    (hk = hubkey_open(keydir, NULL, c.prefix, c.heartbeat_ms, st, err,
	    sizeof(err))) == NULL || hub_set_keys(h, hk) == -1) {
		fprintf(stderr, "bench_worker: %s\n", err);
		return 1;
	}
	b = now_s();
	printf("worker: enrolled %ld devices in %.2f s\n", ndev, b - a);
	a = now_s();
	for (i = 0; i < n; i++) {
		long dev = i % ndev;

		/* Written as a device would, without the codec, so the
		 * profile of this program is the worker's alone. */
		len = snprintf(buf, sizeof(buf),
		    "{\"v\":1,\"epoch\":1,\"seq\":%u,\"role\":\"%s\",\"samples\":[",
		    ++seq[dev], dev % 2 ? "watch" : "footpod");
		for (k = 0; k < nsamp; k++) {
			int64_t sec = (int64_t)(seq[dev] - 1) * nsamp + k;

			len += snprintf(buf + len, sizeof(buf) - (size_t)len,
			    "%s{\"t\":%lld,\"cad\":172.4,\"spd\":3.02,"
			    "\"dist\":%.2f}", k ? "," : "",
			    (long long)(t0 + sec * 1000), 3.02 * (double)sec);
		}
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "]}");
		snprintf(runner, sizeof(runner), "r%ld", dev / 2);
		snprintf(device, sizeof(device), "d%ld", dev);
		topic_build(topic, sizeof(topic), STRIDE_PREFIX_DEFAULT, runner,
		    device, STRIDE_KIND_TELEMETRY);
		if (crypto_msg_seal(sealed, sizeof(sealed), &sealed_len, buf,
		    (size_t)len, STRIDE_KIND_TELEMETRY, 1, seq[dev], runner,
		    device, tx + (size_t)dev * CRYPTO_KEY_BYTES) == -1)
			return 1;
		queue_push(q, topic, strlen(topic), sealed, sealed_len);
	}
	b = now_s();
	printf("worker: prepared %ld messages in %.2f s\n", n, b - a);
	/* The envelope's share: opening the last one, n times. */
	a = now_s();
	for (i = 0; i < n; i++)
		if (crypto_msg_open(plain, sizeof(plain), &plain_len, &e, &sq,
		    sealed, sealed_len, STRIDE_KIND_TELEMETRY, runner, device,
		    rx + (size_t)((n - 1) % ndev) * CRYPTO_KEY_BYTES,
		    &why) == -1) {
			fprintf(stderr, "bench_worker: open: %s\n", why);
			return 1;
		}
	b = now_s();
	printf("worker: crypto_msg_open alone: %.2f us a message (%zu bytes)\n",
	    (b - a) * 1e6 / (double)n, sealed_len);
	a = now_s();
	while (done < n) {
		/* Batches the size the queue hands over during a drain. */
		list = queue_pop_all(q, 0, &count);
		if (list == NULL)
			break;
		hub_process(h, list, t0);
		inmsg_free_list(list);
		done += (long)count;
	}
	b = now_s();
	printf("worker: %ld messages in %.3f s: %.0f msg/s on one core\n",
	    done, b - a, (double)done / (b - a));
	hub_free(h);
	hubkey_free(hk);
	store_close(st);
	queue_free(q);
	crypto_wipe(tx, (size_t)ndev * CRYPTO_KEY_BYTES);
	crypto_wipe(rx, (size_t)ndev * CRYPTO_KEY_BYTES);
	free(tx);
	free(rx);
	free(seq);
	return 0;
}
