/*
 * bench_worker.c - the hub's worker alone, no broker: decode, dedupe,
 * sessions and store for N pre-encoded telemetry messages handed over in
 * queue-sized batches, on a real SQLite file. Prints messages per second of
 * one core, the figure the drain benchmark's ratio depends on.
 *
 *   bench_worker DIR [MESSAGES] [DEVICES] [SAMPLES_PER_MESSAGE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "hub.h"
#include "queue.h"
#include "store.h"
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
	char			 path[512], err[256], topic[STRIDE_TOPIC_MAX];
	char			 buf[STRIDE_PAYLOAD_MAX], runner[32], device[32];
	long			 n = 200000, ndev = 1000, nsamp = 5, i, done = 0;
	uint32_t		*seq;
	size_t			 count;
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
	snprintf(path, sizeof(path), "%s/worker.db", argv[1]);
	config_defaults(&c);
	if ((st = store_open(path, 0, err, sizeof(err))) == NULL ||
	    (q = queue_new((size_t)1 << 30)) == NULL ||
	    (h = hub_new(&c, st, NULL, NULL)) == NULL ||
	    (seq = calloc((size_t)ndev, sizeof(*seq))) == NULL)
		return 1;
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
		queue_push(q, topic, strlen(topic), buf, (size_t)len);
	}
	b = now_s();
	printf("worker: prepared %ld messages in %.2f s\n", n, b - a);
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
	store_close(st);
	queue_free(q);
	free(seq);
	return 0;
}
