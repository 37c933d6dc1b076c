/*
 * bench_flood.c - publish a backlog of valid telemetry for the drain
 * benchmark: N messages, round-robin over D devices (two per runner, a foot
 * pod and a watch), QoS 1, as fast as the broker takes them.
 *
 *   bench_flood HOST PORT MESSAGES DEVICES [SAMPLES_PER_MESSAGE]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

#include "stride/codec.h"
#include "stride/protocol.h"
#include "stride/topic.h"

#define INFLIGHT 2000

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

int
main(int argc, char *argv[])
{
	MQTTAsync			 c;
	MQTTAsync_connectOptions	 co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_createOptions		 cro = MQTTAsync_createOptions_initializer;
	struct stride_msg		 m;
	char				 uri[300], topic[STRIDE_TOPIC_MAX];
	char				 runner[32], device[32], buf[STRIDE_PAYLOAD_MAX];
	long				 n, ndev, i, nsamp = 5;
	uint32_t			*seq;
	int64_t				 t0;
	int				 len, k;
	struct timespec			 a, b;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_flood host port messages devices "
		    "[samples]\n");
		return 2;
	}
	n = atol(argv[3]);
	ndev = atol(argv[4]);
	if (argc > 5)
		nsamp = atol(argv[5]);
	if (n < 1 || ndev < 1 || nsamp < 1 || nsamp > STRIDE_SAMPLES_MAX)
		return 2;
	if ((seq = calloc((size_t)ndev, sizeof(*seq))) == NULL)
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
		snprintf(runner, sizeof(runner), "r%ld", dev / 2);
		snprintf(device, sizeof(device), "%s%ld",
		    dev % 2 ? "watch" : "pod", dev);
		if ((len = codec_encode(&m, buf, sizeof(buf))) < 0 ||
		    topic_build(topic, sizeof(topic), STRIDE_PREFIX_DEFAULT,
		    runner, device, STRIDE_KIND_TELEMETRY) < 0) {
			fprintf(stderr, "bench_flood: encode failed\n");
			return 1;
		}
		msg.payload = buf;
		msg.payloadlen = len;
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
	free(seq);
	return failed == 0 ? 0 : 1;
}
