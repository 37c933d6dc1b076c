/*
 * plan.h - the hub's plans: the glue between the store, the rules and
 * publishing.
 *
 * When a session closes or a symptom report arrives, the worker marks the
 * runner (plan_mark, no I/O) and, once its batch is committed, calls
 * plan_run: in a transaction of its own, each marked runner's history is
 * read from the store, rules_plan() makes the next plan, and a plan that
 * changed is stored; after the commit it is sealed for each device of the
 * runner with an active key (signed, encrypted to that device, with the
 * device's own version, docs/protocol.md section 19) and published,
 * retained, QoS 1, on <prefix>/v1/<runner>/<device>/plan. A plan that does
 * not change is neither stored nor re-sent, except that a sealed plan is
 * issued again before it expires, and re-sealed after a key rotation.
 *
 * Reports the hub did not receive itself (typed at `stridehub report`,
 * which writes the store directly) are found by polling: each tick, one
 * index seek for the newest report id; when it moved, the runners with
 * newer reports are recomputed. Sessions imported from files (`stridehub
 * import`, which also writes the store directly) are found the same way,
 * by the newest import-run id (store.h). The first poll after start-up also
 * recomputes every runner whose plan has not seen all of their closed
 * sessions and reports (anything missed while the hub was down). Each
 * stored plan records what it had seen, so a recompute with nothing new
 * costs two small queries and changes nothing.
 *
 * A device's birth status marks it for a re-send of its runner's current
 * plan (plan_mark with a device): the broker may have lost the retained
 * copy (restarted without persistence) or never sent it.
 *
 * Never on the telemetry path: plan_run with nothing marked and no poll
 * returns at once. Not thread-safe: the worker's thread only.
 */
#ifndef HUB_PLAN_H
#define HUB_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "rules.h"
#include "stride/plan.h"

struct planner;
struct store;

/* Same shape as hub_publish_fn, so the hub passes its own. */
typedef int (*plan_publish_fn)(void *arg, const char *topic,
	    const void *payload, size_t len, int qos, int retained);

struct plan_stats {
	uint64_t	computed;	/* rules run */
	uint64_t	changed;	/* new versions stored */
	uint64_t	published;	/* plan messages handed to publish */
	uint64_t	resent;		/* of those, re-sends on a birth */
	uint64_t	failed;		/* rules or store errors */
	uint64_t	reissued;	/* sealed again: half the TTL gone */
	uint64_t	nokey;		/* devices skipped: no active key */
};

/* How long a sealed plan is good for, unless planner_set_identity says
 * (config plan_ttl_h). */
#define PLAN_TTL_DEFAULT_MS	(168LL * 3600 * 1000)

/*
 * A planner for topics under prefix (copied). s: the rules' settings
 * (copied; NULL: RULES_SETTINGS_DEFAULT). NULL if s is invalid or memory
 * ran out. The caller owns the result: planner_free() it.
 */
struct planner	*planner_new(const char *prefix,
		    const struct rules_settings *s);
void		 planner_free(struct planner *);	/* NULL is a no-op */

/*
 * Seal plans (issue 4): every plan is signed with *id and encrypted to the
 * one device it goes to (crypto_plan_seal), with the device's own version
 * (stored before publishing, only grows) and an expiry ttl_ms after it is
 * issued; a plan is issued again (same JSON, new version and expiry) once
 * less than half its TTL is left, found on the poll (at most once a
 * minute). id is borrowed and must outlive the planner (hubkey_identity).
 * Without an identity nothing is published (plans are still stored).
 * Only devices with an active key get plans. ttl_ms < 60000: the default.
 */
struct crypto_hub_identity;
void	planner_set_identity(struct planner *,
	    const struct crypto_hub_identity *id, int64_t ttl_ms);

/* The hub key rotated: re-seal every device's current plan under the new
 * key with a higher version, on the next plan_run. */
void	plan_reseal_all(struct planner *);

/*
 * Mark runner (runner_id in the store, name runner) for plan_run: device
 * NULL recomputes the runner's plan; a device name re-sends the runner's
 * current plan to that device only. Marks are deduplicated. Returns 0, or
 * -1 if memory ran out (logged; the mark is lost, the next one retries).
 */
int	plan_mark(struct planner *, int64_t runner_id, const char *runner,
	    const char *device);

/*
 * Do what was marked, and with poll set look for reports the hub did not
 * receive itself (see above). Runs its own transaction: call it outside
 * any. publish NULL: plans are stored but not sent (a re-send on the
 * device's next birth delivers them). Returns 0, or -1 if the store
 * failed (the recomputes stay marked for the next call).
 */
int	plan_run(struct planner *, struct store *, int64_t now_ms, int poll,
	    plan_publish_fn publish, void *publish_arg);

/*
 * One runner, inside the caller's transaction: read the history
 * (RULES_HISTORY_DAYS + the baseline window back from now_ms), the profile
 * and the current plan; unless the current plan has already seen every
 * closed session and report, run the rules and store a plan that changed.
 * Returns 1 with the new plan in *out, 0 if nothing changed, -1 on error
 * (logged).
 */
int	plan_recompute(struct planner *, struct store *, int64_t runner_id,
	    const char *runner, int64_t now_ms, struct plan *out);

void	plan_get_stats(const struct planner *, struct plan_stats *out);

#endif
