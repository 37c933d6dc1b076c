/*
 * ha.h - Home Assistant: MQTT discovery, entity states and the report
 * input, as pure functions (issue 5). docs/homeassistant.md is the user's
 * view; this header is the contract with the hub that publishes.
 *
 * Pure: no MQTT, no SQLite, no clock, no globals. Structs and an explicit
 * now_ms in; (topic, payload, qos, retained) messages out, either one at a
 * time in a struct ha_msg or, for the many discovery configs, through a
 * callback with the same shape as hub_publish_fn. Thread-safe: the only
 * state is what the caller passes (struct ha_throttle, struct ha_hold).
 *
 * Topics (P = the StrideHub prefix, D = the discovery prefix, R = a runner,
 * V = one of R's devices):
 *
 *   D/<component>/stridehub_R/<key>/config   discovery, retained
 *   P/ha/R/live        live values, QoS 0, NOT retained, throttled
 *   P/ha/R/session     last session summary, retained, on change
 *   P/ha/R/week        weekly distance, load, acute:chronic, retained
 *   P/ha/R/plan        the current plan and its reasons, retained
 *   P/ha/R/report      the next-day report's status, retained
 *   P/ha/R/device/V    V's connection and battery, retained
 *   P/ha/R/report/set  command from HA's select (a word), never retained
 *   P/ha/R/score/set   command from HA's number (0..10), never retained
 *
 * Why P/ha/R and not P/v1/R/...: P/v1/R/# is the runner's own subtree,
 * which the broker ACL gives to the runner's devices, and its levels are
 * the device protocol's (a fourth level is a device id). HA's states are
 * the hub's to write, so they live in a subtree only the hub may write,
 * with two command topics HA may write (docs/homeassistant.md has the ACL).
 *
 * Availability: every entity is available while the hub is: HA reads the
 * hub's own retained status, <P>/v1/_hub/status, whose payloads are JSON
 * ({"v":1,"state":"online"} / {"v":1,"state":"offline"}, also the will),
 * through value_template "{{ value_json.state }}". So nothing changes in
 * the hub's status for HA.
 *
 * unique_id: stridehub_R_<key>. Runner-level keys are lower case and none
 * is a "_"-suffix of another, so two runners never share a unique_id (R1_a
 * == R2_b would need b to end in "_" + a). A device's keys are
 * "D_V_online" and "D_V_battery": ids never contain upper case, so the
 * first "_D_" ends the runner id, and stridehub_R_D_V_online names one
 * (runner, device) pair however the ids are chosen.
 */
#ifndef HUB_HA_H
#define HUB_HA_H

#include <stddef.h>
#include <stdint.h>
#include "fuse.h"
#include "rules.h"
#include "stride/plan.h"
#include "stride/protocol.h"

#define HA_DISCOVERY_PREFIX_DEFAULT	"homeassistant"
#define HA_LIVE_INTERVAL_MS_DEFAULT	5000	/* live values at most once
						   per runner per this */
#define HA_LIVE_INTERVAL_MS_MIN		1000
#define HA_LIVE_INTERVAL_MS_MAX		600000
#define HA_HOLD_MS_DEFAULT	(30LL * 60 * 1000) /* a word and a score
						   this close make one report */
#define HA_TOPIC_MAX		STRIDE_TOPIC_MAX	/* bytes, any topic */
#define HA_PAYLOAD_MAX		4096	/* bytes of any payload we build */
#define HA_COMMAND_MAX		16	/* bytes of a command payload */
#define HA_STATE_TEXT_MAX	255	/* HA's limit for a text state */

/* What the hub was configured with. Strings are borrowed. */
struct ha_params {
	const char	*prefix;	   /* StrideHub's: "stridehub" */
	const char	*discovery_prefix; /* HA's: "homeassistant" */
	const char	*sw_version;	   /* NULL: STRIDE_VERSION */
	int64_t		 live_interval_ms; /* HA_LIVE_INTERVAL_MS_DEFAULT */
};

/* 0 if p is usable (both prefixes valid per topic_prefix_valid, interval
 * in range, version printable and short), else -1 with *why static. */
int	ha_params_check(const struct ha_params *p, const char **why);

/* One of a runner's devices, as the store knows it. */
struct ha_device {
	const char	*id;		/* a valid device id */
	enum stride_role role;		/* UNKNOWN: not known */
	int		 online;	/* from its last status */
	int		 battery;	/* 0..100, -1 unknown: no entity */
	const char	*fw;		/* NULL or "": not known */
};

/* Same shape as hub_publish_fn, so the hub passes its own publish. A
 * non-zero return stops the walk. */
typedef int (*ha_emit_fn)(void *arg, const char *topic, const void *payload,
	    size_t len, int qos, int retained);

/*
 * Every discovery config of runner R (the fixed entities, then each
 * device's connection and, when its battery is known, battery), retained,
 * QoS 1. Publish on connecting to the broker, on HA's birth message, when
 * a runner or device is new, and when a device's battery first becomes
 * known. Returns the number of messages emitted, or -1 (invalid params or
 * ids, or emit failed; what was emitted before stays emitted).
 */
int	ha_discovery(const struct ha_params *p, const char *runner,
	    const struct ha_device *dev, size_t ndev, ha_emit_fn emit,
	    void *arg);

/*
 * Remove runner R from HA: an empty retained payload on every config topic
 * ha_discovery could have used for R and these devices (battery included,
 * known or not), then on every retained state topic of R. Same returns.
 */
int	ha_remove(const struct ha_params *p, const char *runner,
	    const struct ha_device *dev, size_t ndev, ha_emit_fn emit,
	    void *arg);

/* ---- states ---- */

/* Which state topic a message is for; the throttle keeps one slot each. */
enum ha_stream {
	HA_S_LIVE = 0,	/* not retained, time-throttled */
	HA_S_SESSION,	/* retained, on change */
	HA_S_WEEK,
	HA_S_PLAN,
	HA_S_REPORT,
	HA_S_DEVICE,	/* retained, always sent: as rare as status messages */
	HA_S_COUNT
};

/* One message to publish. About 4.3 KB: fine on the stack. */
struct ha_msg {
	enum ha_stream	stream;
	int		qos;
	int		retained;
	char		topic[HA_TOPIC_MAX + 1];
	char		payload[HA_PAYLOAD_MAX + 1];
	size_t		len;	/* of payload, without the NUL */
};

/* Live values of a running session. NaN (or out of the protocol's range)
 * for anything not known: HA shows it as unknown. */
struct ha_live {
	double	cad_spm;	/* latest cadence */
	double	spd_mps;	/* latest speed; pace is derived from it */
	double	grade_pct;
	double	dist_m;		/* session distance so far */
	double	dur_s;		/* session duration so far */
};

/* live NULL: the idle message (every value null), to send once when the
 * runner's session ends so HA stops showing the last values. */
int	ha_state_live(const struct ha_params *p, const char *runner,
	    const struct ha_live *live, struct ha_msg *m);

/* The last closed session (NULL: none yet) and its tendon load
 * (rules_session_load; NaN: unknown). */
int	ha_state_session(const struct ha_params *p, const char *runner,
	    const struct session_summary *ss, double load, struct ha_msg *m);

/* The week. Fill with ha_week_fill, then set overstride if known. */
struct ha_week {
	uint32_t	runs;		/* sessions started in (now - 7 d, now] */
	double		distance_m;	/* their distance */
	double		moving_s;	/* their moving time */
	double		load;		/* rules_loads.week */
	double		prev_load;	/* rules_loads.prev_week */
	double		week_ratio;	/* rules_loads.week_ratio (0: none) */
	double		uphill_m;	/* rules_loads.week_uphill_m */
	double		acute;		/* rules_loads.acute */
	double		chronic;	/* rules_loads.chronic */
	double		acwr;		/* rules_loads.acwr (0: too little
					   history, shown as unknown) */
	double		overstride;	/* share 0..1 of the week's flat runs
					   judged overstriding; NaN unknown */
};
/* From the sessions (sorted or not; the ones dated in (now - 7 d, now]
 * count) and the rules' load picture at now. overstride is set to NaN. */
void	ha_week_fill(const struct session_summary *ss, size_t n,
	    const struct rules_loads *l, int64_t now_ms, struct ha_week *out);
int	ha_state_week(const struct ha_params *p, const char *runner,
	    const struct ha_week *w, struct ha_msg *m);

/* The runner's current plan (NULL or version 0: none yet). */
int	ha_state_plan(const struct ha_params *p, const char *runner,
	    const struct plan *pl, struct ha_msg *m);

/* What the next-day report entities show. */
enum ha_report_status {
	HA_REPORT_NO_RUN = 0,	/* "no_run": no closed session yet */
	HA_REPORT_DUE,		/* "due": a run since the last report */
	HA_REPORT_DONE,		/* "reported": reported since the last run */
};
struct ha_report_view {
	int64_t		  last_run_end_ms; /* latest closed session's end_ms;
					      0: none */
	int64_t		  report_ms;	/* latest NEXT_DAY report; 0: none */
	enum stride_level level;	/* its word */
	int		  score;	/* its score, -1: none */
	int		  pending_score; /* a score from HA waiting for its
					    word (struct ha_hold), -1: none */
};
enum ha_report_status ha_report_status_of(const struct ha_report_view *v);
int	ha_state_report(const struct ha_params *p, const char *runner,
	    const struct ha_report_view *v, struct ha_msg *m);

/* A device's connection, battery, role and firmware. */
int	ha_state_device(const struct ha_params *p, const char *runner,
	    const struct ha_device *d, struct ha_msg *m);

/*
 * All ha_state_* functions: fill *m (topic, payload, qos, retained,
 * stream) and return 0, or -1 with m->len = 0 if p or an id is invalid or
 * the payload would not fit (it always fits for valid inputs).
 */

/* ---- not flooding the broker ---- */

/* Per runner; zero-initialise. */
struct ha_throttle {
	int64_t		live_ms;		/* last live publish */
	uint8_t		live_sent;
	uint8_t		sent[HA_S_COUNT];	/* hash[s] is valid */
	uint64_t	hash[HA_S_COUNT];	/* FNV-1a of the last payload */
};

/*
 * 1 if m should be published now, recording it as published; 0 if not.
 * Live: at most once per p->live_interval_ms (the first always; a clock
 * that went backwards counts as due). Session, week, plan, report: only
 * when the payload differs from the last one published on that stream.
 * Device: always (each runner has several; they change only with status
 * messages).
 */
int	ha_should_publish(struct ha_throttle *t, const struct ha_params *p,
	    int64_t now_ms, const struct ha_msg *m);

/* Forget what was sent (after HA's birth message, so every state goes out
 * again behind the re-sent discovery). */
void	ha_throttle_reset(struct ha_throttle *t);

/* ---- input from HA ---- */

enum ha_cmd {
	HA_CMD_NONE = 0,
	HA_CMD_REPORT,	/* P/ha/R/report/set: a level word */
	HA_CMD_SCORE	/* P/ha/R/score/set: 0..10 */
};

struct ha_command {
	enum ha_cmd	  kind;
	char		  runner[STRIDE_ID_MAX + 1];
	enum stride_level level;	/* HA_CMD_REPORT */
	int		  score;	/* HA_CMD_SCORE: 0..10; else -1 */
};

/*
 * Parse hostile topic[0..tlen) and payload[0..plen) (neither need be
 * NUL-terminated; never read past the lengths). Any broker user who may
 * write the command topics can send anything, so: the topic must be
 * exactly P/ha/<valid runner id>/report/set or .../score/set; the payload
 * 1..HA_COMMAND_MAX bytes, no NUL; a report is one of the five words,
 * exactly (case-sensitive); a score is 0..10 in plain decimal ("7", also
 * "7.0" as HA may print a float), no sign, space, exponent or leading
 * zero; a retained command is refused (it would replay at every hub
 * start). Returns 0 and fills *out, or -1 with *why static; *out is
 * zeroed (score -1) first either way.
 */
int	ha_parse_command(const struct ha_params *p, const char *topic,
	    size_t tlen, const void *payload, size_t plen, int retained,
	    struct ha_command *out, const char **why);

/* The hub's two subscriptions for commands: P/ha/+/report/set and
 * P/ha/+/score/set. Length written, or -1. */
int	ha_command_filter(const struct ha_params *p, enum ha_cmd kind,
	    char *buf, size_t cap);

/* HA's birth and will topic, D/status. Length written, or -1. */
int	ha_birth_topic(const struct ha_params *p, char *buf, size_t cap);
/* 1 if (topic, payload) is HA's birth: D/status with exactly "online". */
int	ha_is_birth(const struct ha_params *p, const char *topic, size_t tlen,
	    const void *payload, size_t plen);

/*
 * Turning commands into next-day symptom reports. HA sends the word and
 * the score as two messages, in either order. Per runner, zero-initialise
 * (then score_ms == 0 means no score waiting):
 *  - a word makes a report at once, with the score if one arrived within
 *    hold_ms before it (else score -1);
 *  - a score within hold_ms after a word makes a second report with that
 *    word and the score (the rules take the worst report of the day, so
 *    the pair counts as the scored one);
 *  - a score with no recent word waits (ha_report_view.pending_score) for
 *    the next word, for hold_ms.
 * Returns 1 with *level and *score to store as a NEXT_DAY report at now_ms,
 * 0 if nothing is to be stored yet, -1 if c is not a valid command.
 */
struct ha_hold {
	enum stride_level level;	/* last word, NONE: none */
	int64_t		  level_ms;
	int		  score;	/* waiting score */
	int64_t		  score_ms;	/* 0: none waiting */
};
int	ha_hold_apply(struct ha_hold *h, const struct ha_command *c,
	    int64_t now_ms, int64_t hold_ms, enum stride_level *level,
	    int *score);
/* The score waiting for its word at now_ms, or -1. */
int	ha_hold_pending(const struct ha_hold *h, int64_t now_ms,
	    int64_t hold_ms);

/* "M:SS /km" for a speed (NULL-free; "" when the speed is under 0.5 m/s,
 * not finite, or the pace would pass 59:59). For the pace entity and the
 * plan's pace cap. Returns the length. */
int	ha_pace(double spd_mps, char *buf, size_t cap);

#endif
