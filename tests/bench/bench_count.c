/*
 * bench_count.c - the drain benchmark's yardstick: a Paho MQTTAsync client
 * that only counts. It connects like the hub (persistent session, QoS 1, the
 * same subscription, the message copied out of Paho's callback and freed)
 * and does nothing else, so the ratio to it is the cost of the hub's work.
 *
 *   bench_count HOST PORT CLIENT_ID prime      subscribe, then leave
 *   bench_count HOST PORT CLIENT_ID IDLE_MS    count until IDLE_MS of quiet
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

static pthread_mutex_t	mu = PTHREAD_MUTEX_INITIALIZER;
static long		count;
static double		first_s, last_s;
static int		subscribed;

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *msg)
{
	static char	copy[8192];
	double		now = mono_s();

	(void)ctx;
	(void)tlen;
	/* The same copy the hub's edge makes, so only the hub's work differs. */
	if (msg->payloadlen > 0 && (size_t)msg->payloadlen < sizeof(copy))
		memcpy(copy, msg->payload, (size_t)msg->payloadlen);
	pthread_mutex_lock(&mu);
	if (count++ == 0)
		first_s = now;
	last_s = now;
	pthread_mutex_unlock(&mu);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

static void
on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	(void)ctx;
	(void)d;
	pthread_mutex_lock(&mu);
	subscribed = 1;
	pthread_mutex_unlock(&mu);
}

static void
on_connected(void *ctx, char *cause)
{
	MQTTAsync			c = ctx;
	MQTTAsync_responseOptions	ro = MQTTAsync_responseOptions_initializer;

	(void)cause;
	ro.onSuccess = on_subscribed;
	MQTTAsync_subscribe(c, "stridehub/v1/+/+/telemetry", 1, &ro);
}

int
main(int argc, char *argv[])
{
	MQTTAsync			c;
	MQTTAsync_connectOptions	co = MQTTAsync_connectOptions_initializer;
	char				uri[300];
	long				idle_ms, n;
	int				prime, done = 0;
	struct timespec			tick = { 0, 10 * 1000000L };

	if (argc != 5) {
		fprintf(stderr, "usage: bench_count host port client-id "
		    "prime|idle-ms\n");
		return 2;
	}
	prime = strcmp(argv[4], "prime") == 0;
	idle_ms = prime ? 0 : atol(argv[4]);
	snprintf(uri, sizeof(uri), "tcp://%s:%s", argv[1], argv[2]);
	if (MQTTAsync_create(&c, uri, argv[3], MQTTCLIENT_PERSISTENCE_NONE,
	    NULL) != MQTTASYNC_SUCCESS)
		return 1;
	MQTTAsync_setCallbacks(c, NULL, NULL, on_message, NULL);
	MQTTAsync_setConnected(c, c, on_connected);
	co.cleansession = 0;
	co.keepAliveInterval = 30;
	if (MQTTAsync_connect(c, &co) != MQTTASYNC_SUCCESS)
		return 1;
	while (!done) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&mu);
		if (prime)
			done = subscribed;
		else
			done = count > 0 && mono_s() - last_s >= idle_ms / 1e3;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	n = count;
	pthread_mutex_unlock(&mu);
	if (!prime)
		printf("count: drained %ld messages in %.0f ms (%.0f msg/s)\n",
		    n, (last_s - first_s) * 1e3,
		    n / (last_s - first_s > 0 ? last_s - first_s : 1));
	MQTTAsync_disconnect(c, NULL);
	nanosleep(&tick, NULL);
	MQTTAsync_destroy(&c);
	return 0;
}
