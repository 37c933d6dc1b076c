/*
 * mqtt.c - see mqtt.h.
 *
 * Home Assistant (ha.h): with `ha` on, three more subscriptions (the two
 * command topics and HA's birth topic). Their messages go to the worker
 * like any other; the only HA check made here is the one that needs what
 * the queue does not carry, the retained flag: a retained command would
 * replay at every hub start, so it is dropped (and acked) at the edge.
 * Telemetry pays one test of msg->retained for it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "config.h"
#include "ha.h"
#include "mqtt.h"
#include "queue.h"
#include "stride/crypto.h"
#include "stride/log.h"
#include "stride/protocol.h"
#include "stride/topic.h"

#define MQTT_KINDS	4	/* telemetry, event, symptom, status */
#define MQTT_FILTERS	(MQTT_KINDS + 3) /* + HA's 2 commands and birth */
#define MQTT_BUFFERED	100000	/* publishes Paho holds while disconnected */

struct mqtt {
	MQTTAsync		 client;
	struct queue		*q;
	char			 uri[CONFIG_HOST_MAX + 16];
	int			 port;
	int			 fd;		/* Paho's socket, -1 unknown */
	int			 nagle;		/* 1: Nagle on (the default) */
	int64_t			 win_start_ms;	/* load window */
	unsigned		 win_count;
	char			 hub_topic[STRIDE_TOPIC_MAX];
	char			 filters[MQTT_FILTERS][STRIDE_TOPIC_MAX + 48];
	int			 nfilters;
	char			 ha_cmd[STRIDE_PREFIX_MAX + 8]; /* "P/ha/"; ""
						   with ha off */
	size_t			 ha_cmd_len;
	char			 username[65];
	char			 password[256];
	MQTTAsync_willOptions	 will;

	pthread_mutex_t		 mu;	/* guards stats and rate limiters */
	struct mqtt_stats	 stats;
	struct log_rate		 rate_oversized;
	struct log_rate		 rate_publish;
	struct log_rate		 rate_retained;
};

static const char online_json[] = "{\"v\":1,\"state\":\"online\"}";
static const char offline_json[] = "{\"v\":1,\"state\":\"offline\"}";

static void
mqtt_subscribe(struct mqtt *m)
{
	MQTTAsync_responseOptions	 ro = MQTTAsync_responseOptions_initializer;
	char				*topics[MQTT_FILTERS];
	int				 qos[MQTT_FILTERS], i, rc;

	for (i = 0; i < m->nfilters; i++) {
		topics[i] = m->filters[i];
		qos[i] = 1;
	}
	if ((rc = MQTTAsync_subscribeMany(m->client, m->nfilters, topics, qos,
	    &ro)) != MQTTASYNC_SUCCESS)
		log_warnx("mqtt: subscribe failed: %s", MQTTAsync_strerror(rc));
}

/*
 * Nagle's algorithm on the broker connection, switched with the load.
 *
 * Paho leaves it on. Under a backlog that is what we want: the PUBACKs Paho
 * writes after each message coalesce into few segments, and the broker, the
 * usual bottleneck, reads fewer packets (with it off, tests/bench/drain.sh
 * drained a third slower). When traffic is light it costs latency: a small
 * write (an ack, a plan) waits for the broker's delayed TCP ACK, 40 ms on
 * Linux (tests/bench/plan_latency.sh: 67 ms median with it, 22 ms without).
 * So each MQTT_WINDOW_MS we look at how many messages arrived: a busy window
 * turns Nagle on, a quiet one off. Paho does not expose its socket, so we
 * find it: the process's TCP socket connected to the broker's port.
 */
#define MQTT_WINDOW_MS	50	/* length of a load window */
#define MQTT_BUSY	64	/* messages in a window that mean a backlog */

static int
mqtt_find_socket(int port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, type, peer_port;
	long			 max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 4096)
		max = 4096;
	for (fd = 3; fd < max; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM)
			continue;
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
			continue;
		if (ss.ss_family == AF_INET)
			peer_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			peer_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		else
			continue;
		if (peer_port == port)
			return fd;
	}
	return -1;
}

/* Called with m->mu held, once per message. */
static void
mqtt_pace(struct mqtt *m)
{
	int64_t	now = clock_mono_ms();
	int	busy, off;

	m->win_count++;
	if (now - m->win_start_ms < MQTT_WINDOW_MS)
		return;
	busy = m->win_count >= MQTT_BUSY;
	m->win_start_ms = now;
	m->win_count = 0;
	if (m->fd < 0 || busy == m->nagle)
		return;
	off = !busy;
	if (setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off)) == 0)
		m->nagle = busy;
}

/* Paho's thread, on every successful connect and automatic reconnect. */
static void
mqtt_on_connected(void *ctx, char *cause)
{
	struct mqtt *m = ctx;

	(void)cause;
	pthread_mutex_lock(&m->mu);
	/* A new connection starts quiet: no Nagle until a backlog shows. */
	if ((m->fd = mqtt_find_socket(m->port)) >= 0) {
		int one = 1;

		if (setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == 0)
			m->nagle = 0;
	}
	m->win_start_ms = clock_mono_ms();
	m->win_count = 0;
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_lock(&m->mu);
	m->stats.connects++;
	pthread_mutex_unlock(&m->mu);
	log_info("mqtt: connected to %s", m->uri);
	mqtt_subscribe(m);
	(void)mqtt_publish(m, m->hub_topic, online_json,
	    sizeof(online_json) - 1, 1, 1);
	/* Tell the worker, in order with the messages (mqtt.h): it then
	 * publishes a heartbeat and the key chain, and re-announces every
	 * runner to Home Assistant. */
	(void)queue_push(m->q, "", 0, "", 0);
}

static void
mqtt_on_lost(void *ctx, char *cause)
{
	struct mqtt *m = ctx;

	log_warnx("mqtt: connection to %s lost (%s); reconnecting", m->uri,
	    cause != NULL ? cause : "no reason given");
}

static void
mqtt_on_connect_failed(void *ctx, MQTTAsync_failureData *fd)
{
	struct mqtt *m = ctx;

	log_warnx("mqtt: connect to %s failed (%d); retrying", m->uri,
	    fd != NULL ? fd->code : 0);
}

/*
 * Paho's thread, once per message. Copy and hand off; never touch disk.
 * Returning 1 tells Paho we took the message (it then acks QoS 1).
 */
static int
mqtt_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct mqtt	*m = ctx;
	size_t		 tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	size_t		 plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;

	if (msg->retained && m->ha_cmd_len > 0 && tlen > m->ha_cmd_len &&
	    memcmp(topic, m->ha_cmd, m->ha_cmd_len) == 0) {
		/* Only the command filters match P/ha/...: see the top. */
		pthread_mutex_lock(&m->mu);
		m->stats.ha_retained++;
		log_rate_warnx(&m->rate_retained,
		    "mqtt: dropped a Home Assistant command on %.*s: retained "
		    "command", (int)(tlen > 120 ? 120 : tlen), topic);
		pthread_mutex_unlock(&m->mu);
	} else if (plen > STRIDE_SEALED_MAX) {
		/* The largest sealed message; the worker checks the rest. */
		pthread_mutex_lock(&m->mu);
		m->stats.oversized++;
		log_rate_warnx(&m->rate_oversized,
		    "mqtt: dropped a %zu-byte message on %.*s: over %d bytes",
		    plen, (int)(tlen > 120 ? 120 : tlen), topic,
		    STRIDE_SEALED_MAX);
		pthread_mutex_unlock(&m->mu);
	} else if (queue_push(m->q, topic, tlen, msg->payload, plen) == 0) {
		pthread_mutex_lock(&m->mu);
		m->stats.received++;
		mqtt_pace(m);
		pthread_mutex_unlock(&m->mu);
	} else {
		/*
		 * Closed for shutdown, or out of memory: do not ack, so the
		 * broker keeps the message for the next session.
		 */
		return 0;
	}
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

static int
mqtt_read_password(struct mqtt *m, const char *path)
{
	FILE	*f;
	char	*nl;

	if (path[0] == '\0')
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		log_warn("mqtt: password file %s", path);
		return -1;
	}
	if (fgets(m->password, sizeof(m->password), f) == NULL)
		m->password[0] = '\0';
	fclose(f);
	if ((nl = strchr(m->password, '\n')) != NULL)
		*nl = '\0';
	return 0;
}

struct mqtt *
mqtt_open(const struct hub_config *c, struct queue *q)
{
	MQTTAsync_createOptions	 co = MQTTAsync_createOptions_initializer;
	MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
	MQTTAsync_willOptions	 will = MQTTAsync_willOptions_initializer;
	struct mqtt		*m;
	enum stride_kind	 kinds[MQTT_KINDS] = { STRIDE_KIND_TELEMETRY,
	    STRIDE_KIND_EVENT, STRIDE_KIND_SYMPTOM, STRIDE_KIND_STATUS };
	struct ha_params	 hp;
	char			 filter[STRIDE_TOPIC_MAX];
	int			 i, rc;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	pthread_mutex_init(&m->mu, NULL);
	m->q = q;
	snprintf(m->uri, sizeof(m->uri), "tcp://%s:%d", c->host, c->port);
	m->port = c->port;
	m->fd = -1;
	m->nagle = 1;
	if (topic_build_hub_status(m->hub_topic, sizeof(m->hub_topic),
	    c->prefix) < 0)
		goto fail;
	for (i = 0; i < MQTT_KINDS + (c->ha ? 2 : 0); i++) {
		if (i < MQTT_KINDS) {
			if (topic_build_filter(filter, sizeof(filter),
			    c->prefix, kinds[i]) < 0)
				goto fail;
		} else {
			config_ha_params(c, &hp);
			if (ha_command_filter(&hp, i == MQTT_KINDS ?
			    HA_CMD_REPORT : HA_CMD_SCORE, filter,
			    sizeof(filter)) < 0)
				goto fail;
		}
		/* Several hubs split the runners through a shared group
		 * (commands too: each is one report, stored once). */
		if (c->shared_group[0] != '\0')
			snprintf(m->filters[i], sizeof(m->filters[i]),
			    "$share/%s/%s", c->shared_group, filter);
		else
			snprintf(m->filters[i], sizeof(m->filters[i]), "%s",
			    filter);
	}
	m->nfilters = i;
	if (c->ha) {
		/* HA's birth goes to every hub: each announces its runners. */
		config_ha_params(c, &hp);
		if (ha_birth_topic(&hp, m->filters[m->nfilters],
		    sizeof(m->filters[0])) < 0)
			goto fail;
		m->nfilters++;
		snprintf(m->ha_cmd, sizeof(m->ha_cmd), "%s/ha/", c->prefix);
		m->ha_cmd_len = strlen(m->ha_cmd);
	}
	if (mqtt_read_password(m, c->password_file) == -1)
		goto fail;
	snprintf(m->username, sizeof(m->username), "%s", c->username);

	co.sendWhileDisconnected = 1;
	co.allowDisconnectedSendAtAnyTime = 1;
	co.maxBufferedMessages = MQTT_BUFFERED;
	co.deleteOldestMessages = 1;
	if ((rc = MQTTAsync_createWithOptions(&m->client, m->uri, c->client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co)) != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: create %s: %s", m->uri, MQTTAsync_strerror(rc));
		goto fail;
	}
	MQTTAsync_setCallbacks(m->client, m, mqtt_on_lost, mqtt_on_message,
	    NULL);
	MQTTAsync_setConnected(m->client, m, mqtt_on_connected);

	m->will = will;
	m->will.topicName = m->hub_topic;
	m->will.message = offline_json;
	m->will.retained = 1;
	m->will.qos = 1;

	opts.keepAliveInterval = 30;
	opts.cleansession = 0;		/* the broker queues for us while down */
	opts.automaticReconnect = 1;
	opts.minRetryInterval = 1;
	opts.maxRetryInterval = 5;
	opts.maxInflight = 1000;
	opts.will = &m->will;
	opts.onFailure = mqtt_on_connect_failed;
	opts.context = m;
	if (m->username[0] != '\0') {
		opts.username = m->username;
		opts.password = m->password;
	}
	if ((rc = MQTTAsync_connect(m->client, &opts)) != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: connect %s: %s", m->uri,
		    MQTTAsync_strerror(rc));
		MQTTAsync_destroy(&m->client);
		goto fail;
	}
	return m;
fail:
	pthread_mutex_destroy(&m->mu);
	memset(m->password, 0, sizeof(m->password));
	free(m);
	return NULL;
}

int
mqtt_publish(struct mqtt *m, const char *topic, const void *payload,
    size_t len, int qos, int retained)
{
	MQTTAsync_message		 msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions	 ro = MQTTAsync_responseOptions_initializer;
	int				 rc;

	msg.payload = (void *)payload;
	msg.payloadlen = (int)len;
	msg.qos = qos;
	msg.retained = retained;
	if ((rc = MQTTAsync_sendMessage(m->client, topic, &msg, &ro)) !=
	    MQTTASYNC_SUCCESS) {
		pthread_mutex_lock(&m->mu);
		m->stats.publish_failed++;
		log_rate_warnx(&m->rate_publish, "mqtt: publish to %s: %s",
		    topic, MQTTAsync_strerror(rc));
		pthread_mutex_unlock(&m->mu);
		return -1;
	}
	return 0;
}

int
mqtt_connected(struct mqtt *m)
{
	return MQTTAsync_isConnected(m->client);
}

void
mqtt_stats(struct mqtt *m, struct mqtt_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->stats;
	pthread_mutex_unlock(&m->mu);
}

void
mqtt_close(struct mqtt *m, int timeout_ms)
{
	MQTTAsync_disconnectOptions do_ = MQTTAsync_disconnectOptions_initializer;
	struct timespec tick = { 0, 10 * 1000000L };
	int i;

	if (m == NULL)
		return;
	if (MQTTAsync_isConnected(m->client)) {
		(void)mqtt_publish(m, m->hub_topic, offline_json,
		    sizeof(offline_json) - 1, 1, 1);
		do_.timeout = timeout_ms;
		MQTTAsync_disconnect(m->client, &do_);
		/* disconnect is asynchronous: wait for it, bounded. */
		for (i = 0; i < timeout_ms / 10 &&
		    MQTTAsync_isConnected(m->client); i++)
			nanosleep(&tick, NULL);
	}
	MQTTAsync_destroy(&m->client);
	pthread_mutex_destroy(&m->mu);
	memset(m->password, 0, sizeof(m->password));
	free(m);
}
