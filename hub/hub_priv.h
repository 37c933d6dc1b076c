/*
 * hub_priv.h - what hub.c (the worker) and hubha.c (its Home Assistant
 * glue) share: struct hub, struct runner, struct device, and the few
 * functions each calls in the other.
 *
 * Private to those two files: nothing else may include it. hub.h stays
 * the public API; tests, main.c and the CLI see only that. A field added
 * here is visible to both files. The HA parts (h->ha, the runner's and
 * the device's HA fields) are hubha.c's; hub.c only reads h->ha.on and
 * h->ha.v1, sets h->ha.announce when the edge reconnects, empties the
 * queue when it frees the runners, resets a runner's live estimate when
 * its session closes, and marks work through hubha_due.
 *
 * Names: hub_* are hub.c's, hubha_* are hubha.c's.
 *
 * Threading: everything here belongs to the worker thread (hub.h); no
 * locks, no function here may be called from another thread.
 */
#ifndef HUB_HUB_PRIV_H
#define HUB_HUB_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "fuse.h"
#include "ha.h"
#include "hub.h"
#include "rules.h"
#include "session.h"
#include "store.h"
#include "stride/crypto.h"
#include "stride/log.h"
#include "stride/protocol.h"

struct hubkey;
struct inmsg;
struct planner;
struct table;

/* What HA work a runner has waiting for hubha_flush (hubha.c, design
 * note 2). */
enum {
	HUB_HA_ANNOUNCE	= 1 << 0,	/* discovery, then every state */
	HUB_HA_IDLE	= 1 << 1,	/* the all-null live message */
	HUB_HA_SESSION	= 1 << 2,
	HUB_HA_WEEK	= 1 << 3,
	HUB_HA_PLAN	= 1 << 4,
	HUB_HA_REPORT	= 1 << 5,
	HUB_HA_DEVICES	= 1 << 6	/* devices with ha_state set */
};

/* The newest live values one kind of device sent in the open session
 * (device time 0: none yet). Distance: the device's cumulative figure,
 * less the first one of the session. Freshness is judged on the hub's
 * clock (rx_ms): devices' clocks and backlogs differ. */
struct hub_live_src {
	double	cad, spd, grade, dist0, dist;
	int64_t	cad_t, spd_t, grade_t, dist_t;
	int64_t	rx_ms;		/* hub clock: its latest message */
};

struct hub_live {
	int64_t			sess_id;	/* the estimate is of */
	int64_t			last_t_ms;	/* newest sample, any role */
	struct hub_live_src	src[STRIDE_ROLE_COUNT];
};

struct runner {
	int64_t			 id;
	char			 name[STRIDE_ID_MAX + 1];
	struct runner_sessions	 rs;
	int			 dirty;		/* sessions to save this batch */
	struct runner		*next_dirty;
	struct device		*devs;		/* its devices */
	/* Home Assistant */
	struct ha_throttle	 hat;
	struct ha_hold		 hold;
	struct hub_live		 live;
	unsigned		 ha_due;	/* HUB_HA_* */
	struct runner		*ha_next;	/* in hub.ha_queue if ha_due */
};

struct device {
	struct store_device	 sd;
	struct runner		*r;
	int			 dirty;		/* to save this batch */
	struct device		*next_dirty;
	int			 ack_pending;	/* committed, not yet acked */
	uint32_t		 ack_epoch;	/* last published */
	uint32_t		 ack_seq;
	int64_t			 ack_at_ms;
	struct device		*next_in_runner;
	char			 fw[STRIDE_ID_MAX + 1];	/* from its birth */
	int			 ha_state;	/* its HA state to send */
	/* The newest status epoch accepted (memory only; the data's is
	 * in sd.dd): an older epoch's status is a replay. */
	uint32_t		 status_epoch;
	/* Admission (issue 4; hub.c, "Device keys"): accepted only while
	 * keyed; sess derived once from the active key, wiped when it
	 * goes. Secret. */
	int			 keyed;
	int64_t			 key_row;	/* store row of the active key:
						   a --replace changes it */
	struct crypto_session	 sess;		/* hub side: rx opens the
						   device's, tx seals ours */
	unsigned		 key_gen;	/* last key load that saw it */
	int			 clear_pending;	/* revoked: empty its retained
						   ack and plan topics */
};

/* A symptom reported during a run, to relay to the runner's other
 * devices once its batch commits (hub.c, "Relays"). */
#define HUB_RELAY_JSON_MAX	256	/* a symptom encodes to ~130 bytes */
#define HUB_RELAYS_MAX		64	/* per batch; more wait for nothing */
struct hub_relay {
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];	/* the sender */
	uint32_t	epoch, seq;			/* the sender's */
	size_t		len;
	char		json[HUB_RELAY_JSON_MAX];
};

/*
 * One log limiter per reason a stranger can trigger, so a flood of one kind
 * of bad message cannot hide another kind. Reasons are the static strings
 * topic_parse and codec_decode return, so the pointer is the key.
 */
#define HUB_RATE_CAUSES	48
struct hub_rate {
	const char	*why;
	struct log_rate	 rate;
};

/* Drain-rate bookkeeping for the benchmark line, across run and drain. */
struct hub_drain_clock {
	int64_t		first_ms;	/* monotonic: first message taken */
	int64_t		done_ms;	/* monotonic: last batch committed */
	uint64_t	count;
};

struct hub {
	const struct hub_config	*cfg;
	struct store		*st;
	hub_publish_fn		 publish;
	void			*publish_arg;
	struct session_params	 sp;
	struct fuse_params	 fp;
	struct table		*runners;	/* name -> struct runner */
	struct table		*devices;	/* "runner/device" -> struct device */
	struct table		*unknown;	/* "runner/device" looked up
						   in the store and refused,
						   until data_version moves */
	struct runner		*dirty_runners;
	struct device		*dirty_devices;
	size_t			 pending_acks;
	struct hub_stats	 stats;
	struct hub_rate		 rates[HUB_RATE_CAUSES];	/* by reason */
	struct log_rate		 rate_stale;
	struct log_rate		 rate_store;
	struct log_rate		 rate_limit;
	struct hub_drain_clock	 drain;
	struct planner		*planner;	/* plan.c: after commits */
	/* Keys (issue 4). */
	struct hubkey		*keys;		/* borrowed; NULL: none yet,
						   every device refused */
	uint8_t			 kx_pk[CRYPTO_KX_PK_BYTES]; /* sessions were
						   derived with */
	unsigned		 key_gen;	/* key loads so far */
	int64_t			 data_version;	/* store's, at the last load */
	int64_t			 keys_polled_ms;
	struct hub_relay	 relays[HUB_RELAYS_MAX];	/* this batch */
	size_t			 nrelays;
	struct log_rate		 rate_relay;
	int64_t			 del_seen;	/* newest deletion request
						   handled (store.h) */
	struct log_rate		 rate_delete;
	struct {
		int		 on;		/* cfg->ha */
		struct ha_params p;
		struct rules_settings rs;	/* for the load figures */
		char		 v1[STRIDE_PREFIX_MAX + 8]; /* "P/v1/" */
		size_t		 v1_len;
		char		 cmd[STRIDE_PREFIX_MAX + 8]; /* "P/ha/" */
		size_t		 cmd_len;
		char		 birth[HA_TOPIC_MAX + 1];
		size_t		 birth_len;
		struct runner	*queue;		/* runners with ha_due, oldest
						   first */
		struct runner	*tail;
		int		 announce;	/* every runner, next flush */
		int64_t		 birth_ms;	/* last birth answered */
		int64_t		 hourly_ms;
		int64_t		 sym_seen;	/* newest report id seen */
		struct session_summary *ss;	/* RULES_SESSIONS_MAX */
		size_t		 nss;
		struct log_rate	 rate;		/* publish failures */
	}			 ha;
	struct {
		int	open;		/* a transaction is open */
		int	rc;		/* -1 once a store call failed */
		size_t	count;		/* messages taken */
		int64_t	start_ms;	/* monotonic */
	}			 batch;
};

/* hub.c, for hubha.c. */

/* The log limiter for reason why (a static string: the pointer is the
 * key). */
struct log_rate	*hub_rate(struct hub *, const char *why);
/* The runner called name (store id id), created in memory if new; NULL if
 * out of memory. The store row must already exist. */
struct runner	*hub_runner(struct hub *, const char *name, int64_t id);

/* hubha.c, for hub.c. Every one is a no-op (or 0) with HA off, except
 * hubha_init, hubha_fini and hubha_plan_publish. */

/* From h->cfg: the topic prefixes (P/v1/ with HA off too) and, with HA
 * on, its params and buffers. 0, or -1 (logged) if HA is misconfigured. */
int	hubha_init(struct hub *);
/* Frees what hubha_init allocated; safe after a failed or no init. */
void	hubha_fini(struct hub *);
/* Queue HA work (HUB_HA_*) for r, done by hubha_flush. */
void	hubha_due(struct hub *, struct runner *r, unsigned what);
/* Telemetry of r's open session sess was stored (hubha.c, design
 * note 3). */
void	hubha_live(struct hub *, struct runner *r, const struct sess *sess,
	    enum stride_role role, const struct stride_sample *s, size_t n,
	    int64_t now_ms);
/* For a message outside P/v1/: 1 if it was HA's (birth or command), with
 * *rc -1 if the store failed; 0 if not HA's. The batch is open. */
int	hubha_input(struct hub *, const struct inmsg *im, int64_t now_ms,
	    int *rc);
/* The tick's HA work, after plan_run and outside any transaction: reports
 * typed at the CLI, the hourly refresh, then hubha_flush within
 * HUB_HA_BUDGET_MS. */
void	hubha_poll(struct hub *, int64_t now_ms);
/* Do the queued HA work for up to budget_ms (at least one runner; < 0:
 * all). */
void	hubha_flush(struct hub *, int64_t now_ms, int64_t budget_ms);
/* Runner r is being deleted: take it out of the HA queue (r may be
 * NULL: nothing to do). */
void	hubha_forget(struct hub *, struct runner *r);
/* Remove runner (name) and its devices (from the store) from HA: empty
 * retained configs and states (ha_remove). 0, or -1 if a publish failed
 * (the caller retries); 0 with HA off. */
int	hubha_remove(struct hub *, const char *runner,
	    const struct store_device *dev, size_t ndev);
/* The publish hub.c hands plan_run: forwards to h->publish and marks the
 * runner's plan for HA (hubha.c, design note 4). arg is the struct hub. */
int	hubha_plan_publish(void *arg, const char *topic, const void *payload,
	    size_t len, int qos, int retained);

#endif
