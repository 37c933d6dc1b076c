/*
 * protocol.h - the StrideHub wire protocol, version 1: the contract between
 * the hub and every device, and nothing else.
 *
 * docs/protocol.md explains it in prose; this header is the normative list of
 * names, units, ranges and limits. Anything a device sends outside these
 * ranges is rejected whole (one log line, the message dropped).
 *
 * Topics:   <prefix>/v1/<runner>/<device>/<kind>
 *           <prefix>/v1/_hub/status            (the hub's own birth and will)
 *           <prefix>/v1/_hub/heartbeat         (signed, retained; issue 4)
 *           <prefix>/v1/_hub/keys              (rotation chain, retained)
 * Ids:      1..32 of [a-z0-9_-], first one [a-z0-9]; so "_hub" never names
 *           a runner, and a broker ACL can confine a member to
 *           <prefix>/v1/<runner>/#.
 */
#ifndef STRIDE_PROTOCOL_H
#define STRIDE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define STRIDE_PROTO_VERSION	1
#define STRIDE_PREFIX_DEFAULT	"stridehub"

#define STRIDE_ID_MAX		32	/* chars in a runner or device id */
#define STRIDE_PREFIX_MAX	64	/* chars in the topic prefix */
#define STRIDE_TOPIC_MAX	192	/* bytes in any topic we build or accept */
#define STRIDE_PAYLOAD_MAX	4096	/* bytes in any device message */
#define STRIDE_SAMPLES_MAX	16	/* samples in one telemetry message */
#define STRIDE_JSON_DEPTH_MAX	3	/* object > samples array > sample */

/* Sample ranges, inclusive. Units are in the names. */
#define STRIDE_T_MIN_MS		946684800000LL	/* 2000-01-01T00:00:00Z */
#define STRIDE_T_MAX_MS		4102444800000LL	/* 2100-01-01T00:00:00Z */
#define STRIDE_CAD_MAX_SPM	300.0	/* steps per minute, both legs */
#define STRIDE_SPD_MAX_MPS	12.0	/* faster than any human sprint */
#define STRIDE_GRADE_MAX_PCT	45.0	/* |grade|, rise over run in percent */
#define STRIDE_ALT_MIN_M	(-500.0)
#define STRIDE_ALT_MAX_M	9000.0
#define STRIDE_DIST_MAX_M	1000000.0	/* cumulative since device start */
#define STRIDE_SCORE_MAX	10	/* optional 0..10 symptom score */
#define STRIDE_BATTERY_MAX	100	/* percent */

/* Message kinds: the last topic level. */
enum stride_kind {
	STRIDE_KIND_NONE = 0,
	STRIDE_KIND_TELEMETRY,	/* device -> hub, QoS 1 */
	STRIDE_KIND_EVENT,	/* device -> hub, QoS 1: start, stop, lap */
	STRIDE_KIND_SYMPTOM,	/* device -> hub, QoS 1 */
	STRIDE_KIND_STATUS,	/* device -> hub, QoS 1, retained: birth/will */
	STRIDE_KIND_ACK,	/* hub -> device, QoS 1, retained */
	STRIDE_KIND_PLAN,	/* hub -> device, QoS 1, retained (issue 3) */
	STRIDE_KIND_RELAY,	/* hub -> device, QoS 0: a sibling device's
				   during-run symptom report (issue 4) */
	STRIDE_KIND_COUNT
};

enum stride_role {
	STRIDE_ROLE_UNKNOWN = 0,
	STRIDE_ROLE_FOOTPOD,	/* cadence, speed, distance */
	STRIDE_ROLE_WATCH,	/* speed, distance, altitude, grade; cadence optional */
	STRIDE_ROLE_COUNT
};

enum stride_event {
	STRIDE_EVENT_NONE = 0,
	STRIDE_EVENT_START,
	STRIDE_EVENT_STOP,
	STRIDE_EVENT_LAP,
	STRIDE_EVENT_COUNT
};

/* The live cues a watch gives during a run (agents/cues.c), counted per
 * session and reported with the stop event so the hub can record them. */
enum stride_cue {
	STRIDE_CUE_NONE = 0,
	STRIDE_CUE_CADENCE_LOW,	/* "cadence_low" */
	STRIDE_CUE_SPEED_HIGH,	/* "speed_high" */
	STRIDE_CUE_GRADE_HIGH,	/* "grade_high" */
	STRIDE_CUE_DISTANCE,	/* "distance": the plan's distance reached */
	STRIDE_CUE_DURATION,	/* "duration": the plan's time reached */
	STRIDE_CUE_PAIN_STOP,	/* "pain_stop" */
	STRIDE_CUE_REST_DAY,	/* "rest_day": ran on a planned rest day */
	STRIDE_CUE_COUNT
};
#define STRIDE_CUE_COUNT_MAX	10000	/* per cue and session */

/* When a symptom report was made. */
enum stride_when {
	STRIDE_WHEN_NONE = 0,
	STRIDE_WHEN_DURING,	/* during a run */
	STRIDE_WHEN_NEXT_DAY,	/* the morning after */
	STRIDE_WHEN_COUNT
};

/* The runner's words, from best to worst. */
enum stride_level {
	STRIDE_LEVEL_NONE = 0,
	STRIDE_LEVEL_BETTER,		/* "better" */
	STRIDE_LEVEL_USUAL,		/* "usual": as usual */
	STRIDE_LEVEL_AWARE,		/* "aware": a bit more aware */
	STRIDE_LEVEL_MUCH_AWARE,	/* "much_aware": much more aware */
	STRIDE_LEVEL_PAINFUL,		/* "painful" */
	STRIDE_LEVEL_COUNT
};

/* Which optional fields a sample carries. */
enum {
	STRIDE_HAS_CAD = 1 << 0,
	STRIDE_HAS_SPD = 1 << 1,
	STRIDE_HAS_GRADE = 1 << 2,
	STRIDE_HAS_ALT = 1 << 3,
	STRIDE_HAS_DIST = 1 << 4
};

/* One measurement instant from one device. Fields not flagged in `has`
 * are zero and meaningless. */
struct stride_sample {
	int64_t	t_ms;		/* Unix time, milliseconds, UTC */
	double	dist_m;		/* cumulative distance since device start */
	float	cad_spm;	/* steps per minute (both legs) */
	float	spd_mps;	/* metres per second */
	float	grade_pct;	/* percent, uphill positive */
	float	alt_m;		/* metres above sea level */
	uint8_t	has;		/* STRIDE_HAS_* */
};

/* A decoded device message. Fixed size, no heap: decoding hostile bytes
 * never allocates on our side beyond cJSON's own tree. */
struct stride_msg {
	enum stride_kind kind;
	uint32_t	epoch;		/* boot epoch, >= 1 */
	uint32_t	seq;		/* >= 1, per device, one counter for all kinds */
	union {
		struct {
			enum stride_role role;
			uint32_t	n;
			struct stride_sample s[STRIDE_SAMPLES_MAX];
		} tel;
		struct {
			int64_t		t_ms;
			enum stride_event type;
			int		has_cues;	/* stop only */
			uint16_t	cues[STRIDE_CUE_COUNT];	/* [0] unused */
		} ev;
		struct {
			int64_t		t_ms;
			enum stride_when when;
			enum stride_level level;
			int		score;	/* 0..10, or -1 when not given */
		} sym;
		struct {
			int		online;
			enum stride_role role;	/* birth only */
			int		battery;	/* 0..100, or -1 */
			char		fw[STRIDE_ID_MAX + 1];
		} status;
		struct {
			uint32_t	epoch;	/* highest durably stored pair */
			uint32_t	seq;
		} ack;
	} u;
};

/* Names used on the wire; NULL or STRIDE_*_NONE for out-of-range input. */
const char	*stride_kind_name(enum stride_kind);
enum stride_kind stride_kind_parse(const char *, size_t);
const char	*stride_role_name(enum stride_role);
enum stride_role stride_role_parse(const char *);
const char	*stride_event_name(enum stride_event);
enum stride_event stride_event_parse(const char *);
const char	*stride_when_name(enum stride_when);
enum stride_when stride_when_parse(const char *);
const char	*stride_level_name(enum stride_level);
enum stride_level stride_level_parse(const char *);
const char	*stride_cue_name(enum stride_cue);
enum stride_cue	 stride_cue_parse(const char *);

/* 1 if s[0..len) is a valid runner or device id, else 0. */
int	stride_id_valid(const char *s, size_t len);

#endif
