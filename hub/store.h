/*
 * store.h - the hub's SQLite store: runners (and their profiles), devices,
 * sessions, samples, events, symptom reports, plans, device public keys,
 * the versions of the plans sealed for each device and the hub key
 * rotations.
 *
 * The only includer of sqlite3.h. WAL mode, schema versioned by
 * PRAGMA user_version with forward-only migrations. Writes are batched by the
 * caller between store_begin() and store_commit(); every statement is
 * prepared once at open. One long-lived writer (the hub's worker thread)
 * per file; the admin commands open their own handle, read-only except for
 * the few that write (`report`, `profile`, `device add`, `device revoke`,
 * `runner delete` (a request, done by the hub), and `import`, one short
 * transaction per file), which SQLite's write lock
 * serialises with the hub's batches.
 *
 * Samples are kept compactly: one row per telemetry message, its samples
 * packed by chunk.c, keyed by (session, device, epoch, seq) so a session is
 * one range scan and a duplicate can never be stored twice.
 *
 * Errors: 0 on success, -1 on failure with the reason logged (log_warnx,
 * naming the operation and SQLite's message). Not thread-safe: one struct
 * store per thread.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "stride/plan.h"
#include "stride/protocol.h"
#include "dedupe.h"
#include "fuse.h"

struct store;

struct store_device {
	int64_t		id;
	int64_t		runner_id;
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];
	enum stride_role role;
	struct dedupe	dd;		/* persisted with every batch */
	int		online;		/* from the last status message */
	int		battery;	/* 0..100, -1 unknown */
	int64_t		last_seen_ms;	/* hub clock */
};

struct store_session {
	int64_t		id;
	int64_t		runner_id;
	char		runner[STRIDE_ID_MAX + 1];
	int		open;		/* 1 until finalized */
	int64_t		start_ms;	/* device time */
	int64_t		last_t_ms;
	int64_t		stop_ms;	/* 0 if no stop event */
	struct session_summary sum;	/* valid when !open */
	int		imported;	/* 1: made by `stridehub import` from
					   a file, not by the hub */
};

struct store_runner {
	int64_t		id;
	char		runner[STRIDE_ID_MAX + 1];
	int64_t		created_ms;
	uint32_t	devices;
	uint32_t	sessions;
};

/*
 * What we know of a runner beyond their data: the rules' profile. Set with
 * `stridehub profile`. Unknown: 0, STRIDE_LEVEL_NONE, -1.
 */
#define STORE_HEIGHT_MIN_CM	50
#define STORE_HEIGHT_MAX_CM	250
struct store_profile {
	int		  height_cm;	/* 0 or STORE_HEIGHT_MIN..MAX_CM */
	int		  cadence_spm;	/* usual; 0 or PLAN_CAD_MIN..MAX_SPM */
	enum stride_level usual_level;	/* usual next-day word; NONE */
	int		  usual_score;	/* usual 0..10 score; -1 */
};

/* One symptom report, read back. */
struct store_symptom {
	int64_t		  id;		/* grows with every report stored */
	int64_t		  runner_id;
	int64_t		  device_id;	/* 0: typed at the CLI */
	int64_t		  session_id;	/* 0: none */
	int64_t		  t_ms;		/* device (or CLI) time */
	enum stride_when  when;
	enum stride_level level;
	int		  score;	/* -1: not given */
};

/*
 * One version of a runner's plan: the canonical JSON devices get
 * (plan_encode's bytes) and what the rules had seen when they made it, so
 * the hub can tell whether anything new has arrived since.
 */
#define STORE_REASONS_MAX	(PLAN_REASONS_MAX * (PLAN_CODE_MAX + 1))
struct store_plan {
	int64_t		runner_id;
	uint32_t	version;	/* >= 1 */
	int64_t		issued_ms;
	char		reasons[STORE_REASONS_MAX + 1]; /* codes, ","
					   separated, the decision first */
	char		json[PLAN_JSON_MAX + 1];
	size_t		len;		/* of json, 1..PLAN_JSON_MAX */
	int64_t		seen_sessions;	/* closed sessions of the runner */
	int64_t		seen_symptom;	/* newest report id of the runner */
};

/* Open (creating and migrating) the store at path. readonly: for the admin
 * commands; fails if the file does not exist. NULL on failure, reason in
 * err. The caller owns the result: store_close() it. */
struct store	*store_open(const char *path, int readonly, char *err,
		    size_t errlen);
void		 store_close(struct store *);	/* NULL is a no-op */

int	store_begin(struct store *);
int	store_commit(struct store *);
int	store_rollback(struct store *);

/* SQLite's data_version: it changes when another connection (the CLI)
 * commits, not for our own commits. A cheap poll for "someone else wrote":
 * the hub re-reads device keys when it moves. 0 with *v, or -1. */
int	store_data_version(struct store *, int64_t *v);

/* The runner's id, creating the runner if create is set and it is new.
 * Returns 0 (found or made), 1 (absent and !create), -1 on error. */
int	store_runner_get(struct store *, const char *runner, int create,
	    int64_t *id);

/* The device, creating it (role UNKNOWN, empty dedupe) if create is set.
 * Same returns as store_runner_get. */
int	store_device_get(struct store *, int64_t runner_id, const char *runner,
	    const char *device, int create, struct store_device *out);
/* Save role, dedupe, online, battery, last_seen of d (by d->id). */
int	store_device_save(struct store *, const struct store_device *d);

/* Append one telemetry message's samples to session_id. A (session,
 * device, epoch, seq) stored before is silently kept as it was. */
int	store_chunk_put(struct store *, int64_t session_id, int64_t device_id,
	    uint32_t epoch, uint32_t seq, const struct stride_sample *s,
	    size_t n);

/* Call cb once per stored device of session_id with all its samples, sorted
 * by time. The samples array is valid only during the call. A cb returning
 * non-zero stops the walk and that value is returned. */
typedef int (*store_samples_cb)(void *arg, int64_t device_id,
	    enum stride_role role, const struct stride_sample *s, size_t n);
int	store_session_samples(struct store *, int64_t session_id,
	    store_samples_cb cb, void *arg);

int	store_session_new(struct store *, int64_t runner_id, int64_t start_ms,
	    int64_t *id);
/* Save the progress of an open session: start, last_t, stop. */
int	store_session_save(struct store *, const struct store_session *s);
/* Finalize: store the summary and mark the session closed. */
int	store_session_close(struct store *, int64_t id,
	    const struct session_summary *sum);
int	store_session_get(struct store *, int64_t id, struct store_session *out);

int	store_event_put(struct store *, int64_t session_id, int64_t device_id,
	    int64_t t_ms, enum stride_event type);
/* A device's live-cue counts for a session (from its stop event), indexed
 * by enum stride_cue; stored again, they replace the earlier ones. */
int	store_cues_put(struct store *, int64_t session_id, int64_t device_id,
	    const uint16_t counts[STRIDE_CUE_COUNT]);
/* The session's cue counts summed over its devices; *any is 0 if no device
 * reported any. */
int	store_session_cues(struct store *, int64_t session_id,
	    uint32_t totals[STRIDE_CUE_COUNT], int *any);
/* A symptom report. device_id <= 0: typed at the CLI (no device);
 * session_id <= 0: none. */
int	store_symptom_put(struct store *, int64_t runner_id, int64_t device_id,
	    int64_t session_id, int64_t t_ms, enum stride_when when,
	    enum stride_level level, int score);

/*
 * History for the rules, oldest first: the newest `limit` reports of the
 * runner made at or after from_ms (by t_ms), and the newest `limit` closed
 * sessions whose summary starts at or after from_ms (by summary start).
 * Bad rows are logged and skipped. A cb returning non-zero stops the walk
 * and that value is returned.
 */
int	store_symptoms_walk(struct store *, int64_t runner_id, int64_t from_ms,
	    size_t limit, int (*cb)(void *, const struct store_symptom *),
	    void *arg);
int	store_summaries_walk(struct store *, int64_t runner_id,
	    int64_t from_ms, size_t limit,
	    int (*cb)(void *, const struct store_session *), void *arg);

/* The runner's profile: 0 (filled; unknown fields as in struct
 * store_profile; an out-of-range stored value reads as unknown, logged),
 * 1 no such runner, -1 error. */
int	store_profile_get(struct store *, int64_t runner_id,
	    struct store_profile *out);
/* Replace the profile; every field must be unknown or in range. */
int	store_profile_set(struct store *, int64_t runner_id,
	    const struct store_profile *p);

/* Plans. store_plan_put adds a version (a version stored before fails). */
int	store_plan_put(struct store *, const struct store_plan *p);
/* The newest version: 0 filled, 1 none yet, -1 error or bad row. */
int	store_plan_latest(struct store *, int64_t runner_id,
	    struct store_plan *out);
/* Record what a recompute that changed nothing had seen. */
int	store_plan_seen(struct store *, int64_t runner_id, uint32_t version,
	    int64_t seen_sessions, int64_t seen_symptom);
/* Every version of the runner's plan, oldest first. */
int	store_plans_walk(struct store *, int64_t runner_id,
	    int (*cb)(void *, const struct store_plan *), void *arg);

/* What a plan is compared with: the runner's closed sessions (a count:
 * it only grows) and newest report id (0: none). */
int	store_runner_marks(struct store *, int64_t runner_id,
	    int64_t *closed_sessions, int64_t *last_symptom);
/* The newest report id of all runners (0: none). Cheap: one index seek. */
int	store_symptom_last_id(struct store *, int64_t *id);
/* Runners with a report whose id is above after_id. */
int	store_symptom_runners_walk(struct store *, int64_t after_id,
	    int (*cb)(void *, int64_t runner_id, const char *runner),
	    void *arg);
/* Runners whose newest plan has not seen all their closed sessions and
 * reports (or who have none but have either). Scans every runner. */
int	store_plans_stale_walk(struct store *,
	    int (*cb)(void *, int64_t runner_id, const char *runner),
	    void *arg);

/*
 * History import (hub/import.c; store.c design note 8).
 *
 * store_sessions_near: the runner's sessions (open or closed, live or
 * imported) whose start_ms lies in [from_ms, to_ms], by start; a cb
 * returning non-zero stops the walk and that value is returned.
 * store_session_imported: mark a session as made from a file.
 * store_import_put: the record of one import run, written when it ends;
 * *id (if not NULL) gets its id, which only grows.
 * store_import_last_id: the newest such id of all runners (0: none); one
 * index seek, for the hub's tick.
 * store_import_runners_walk: runners with an import run above after_id.
 */
struct store_import {
	int64_t		runner_id;
	int64_t		t_ms;		/* when it ran */
	uint32_t	files;		/* activity files tried */
	uint32_t	added;		/* sessions made */
	uint32_t	skipped;	/* already there (same run) */
	uint32_t	refused;	/* unreadable, or not a run */
};
int	store_sessions_near(struct store *, int64_t runner_id, int64_t from_ms,
	    int64_t to_ms, int (*cb)(void *, const struct store_session *),
	    void *arg);
int	store_session_imported(struct store *, int64_t id);
int	store_import_put(struct store *, const struct store_import *im,
	    int64_t *id);
int	store_import_last_id(struct store *, int64_t *id);
int	store_import_runners_walk(struct store *, int64_t after_id,
	    int (*cb)(void *, int64_t runner_id, const char *runner),
	    void *arg);

/*
 * Device keys (issue 4; store.c design note 9): the public X25519 key a
 * device was enrolled with and its fingerprint (BLAKE2b-256 of the key,
 * crypto_fp, computed by the caller). A device has at most one active key;
 * a key is enrolled at most once in the whole store (the fingerprint is
 * unique), so a revoked key cannot be enrolled again.
 *
 * store_device_key_active: the device's active key: 0 filled, 1 none, -1
 * error or bad row.
 * store_device_key_by_fp: the row of the key with that fingerprint, active
 * or revoked, of any device: 0 filled, 1 none, -1.
 * store_device_key_put: revoke the device's active key (if any) at now_ms
 * and make pk its active key. The caller decides whether replacing is
 * allowed; a fingerprint stored before fails (-1, logged).
 * store_device_key_revoke: mark the device's active key revoked at now_ms:
 * 0 done, 1 it had none, -1 error.
 * store_device_keys_walk: every device (of runner, or all if NULL) with its
 * newest key (state NONE if it never had one), by runner and device name.
 */
#define STORE_KEY_BYTES		32
enum store_key_state {
	STORE_KEY_NONE = 0,	/* the device was never enrolled */
	STORE_KEY_ACTIVE,
	STORE_KEY_REVOKED
};
struct store_device_key {
	int64_t		id;		/* the key's row; 0 for NONE */
	int64_t		device_id;
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];
	enum store_key_state state;
	uint8_t		pk[STORE_KEY_BYTES];	/* X25519 public key */
	uint8_t		fp[STORE_KEY_BYTES];	/* BLAKE2b-256(pk) */
	int64_t		added_ms;	/* hub (CLI) clock */
	int64_t		revoked_ms;	/* 0: not revoked */
};
int	store_device_key_active(struct store *, int64_t device_id,
	    struct store_device_key *out);
int	store_device_key_by_fp(struct store *,
	    const uint8_t fp[STORE_KEY_BYTES], struct store_device_key *out);
int	store_device_key_put(struct store *, int64_t device_id,
	    const uint8_t pk[STORE_KEY_BYTES], const uint8_t fp[STORE_KEY_BYTES],
	    int64_t now_ms);
int	store_device_key_revoke(struct store *, int64_t device_id,
	    int64_t now_ms);
int	store_device_keys_walk(struct store *, const char *runner,
	    int (*cb)(void *, const struct store_device_key *), void *arg);

/*
 * Deleting a runner (issue 5; store.c design note 10). `stridehub runner
 * delete` records a request (store_deletion_put); the hub, which owns the
 * runner's memory and what the broker keeps, polls the newest request id
 * (store_deletion_last_id, one index seek), reads the pending requests
 * (store_deletions_pending, oldest first, at most cap; a row with a bad
 * name comes back with runner ""), and for each, in one transaction of its
 * own: store_runner_delete, then store_deletion_done.
 *
 * store_runner_counts: what the runner has (for the CLI to show).
 * store_runner_delete: every row of the runner, in the caller's
 * transaction: chunks, events, session cues and reports of its sessions
 * and devices, its plans, import runs, device keys, sessions, devices and
 * the runner (and its devices' sealed-plan versions). 0 deleted, 1 there
 * was no such runner (nothing deleted), -1
 * error (roll back). Its name is free again afterwards: data arriving
 * under it makes a new runner.
 */
struct store_runner_counts {
	int64_t		devices;
	int64_t		sessions;
	int64_t		reports;
	int64_t		plans;
	int64_t		imports;
};
struct store_deletion {
	int64_t		id;		/* grows with every request */
	int64_t		runner_id;	/* the runner as it was asked for */
	char		runner[STRIDE_ID_MAX + 1];	/* "": bad row */
	int64_t		requested_ms;	/* CLI clock */
};
int	store_runner_counts(struct store *, int64_t runner_id,
	    struct store_runner_counts *out);
int	store_runner_delete(struct store *, int64_t runner_id);
int	store_deletion_put(struct store *, int64_t runner_id,
	    const char *runner, int64_t now_ms, int64_t *id);
int	store_deletion_last_id(struct store *, int64_t *id);
int	store_deletions_pending(struct store *, struct store_deletion *out,
	    size_t cap, size_t *n);
int	store_deletion_done(struct store *, int64_t id, int64_t now_ms);

/*
 * Sealed plans (issue 4; store.c design note 11). Each device has its own
 * plan version (u64, >= 1, only grows), raised for every plan sealed for
 * it, and the issue and expiry times of that seal.
 *
 * store_device_plan_next: raise the device's version (1 for its first),
 * record which runner plan version it seals and its issued/expires times,
 * and return the new version in *version. In the caller's transaction,
 * which must COMMIT before the sealed plan is published. 0 or -1.
 * store_device_plan_get: 0 filled, 1 none yet, -1 error or bad row.
 * store_device_plans_due_walk: every device with an active key whose
 * runner has a plan and whose last seal expires before before_ms (or that
 * never got one: version 0 in the row), by runner id then device id. A cb
 * returning non-zero stops the walk and that value is returned. Scans the
 * active keys: call it now and then, not every tick.
 */
struct store_device_plan {
	int64_t		device_id;
	uint64_t	version;	/* >= 1; 0: never sealed (due walk) */
	uint32_t	plan_version;	/* the runner plan it sealed */
	int64_t		issued_ms;
	int64_t		expires_ms;	/* > issued_ms */
};
struct store_plan_due {
	int64_t		runner_id;
	char		runner[STRIDE_ID_MAX + 1];
	char		device[STRIDE_ID_MAX + 1];
	struct store_device_plan last;	/* version 0: none yet */
};
int	store_device_plan_next(struct store *, int64_t device_id,
	    uint32_t plan_version, int64_t issued_ms, int64_t expires_ms,
	    uint64_t *version);
int	store_device_plan_get(struct store *, int64_t device_id,
	    struct store_device_plan *out);
int	store_device_plans_due_walk(struct store *, int64_t before_ms,
	    int (*cb)(void *, const struct store_plan_due *), void *arg);

/*
 * Hub key rotations (issue 4; docs/protocol.md section 21). `stridehub key
 * rotate` inserts one row per rotation: the 216-byte announcement
 * (crypto_rot_sign) and, for queries, its fields. Rows are checked when
 * read: sizes, the STRDROT1 context, and the columns equal to the
 * announcement's bytes (signatures are the devices' to verify).
 *
 * store_rotation_put: in the caller's transaction; *id (if not NULL) gets
 * the row's id, which only grows. A new signing key stored before fails.
 * store_rotation_last_id: the newest id (0: none); one index seek.
 * store_rotation_last: the newest row: 0 filled, 1 none, -1 error or bad.
 * store_rotations_walk: the newest `limit` rows (0: all), oldest first; a
 * bad row fails the walk (-1: a chain with a hole is no chain).
 */
#define STORE_KEY_ID_BYTES	8
#define STORE_ROT_BYTES		216
struct store_rotation {
	int64_t		id;
	int64_t		issued_ms;
	uint8_t		old_key_id[STORE_KEY_ID_BYTES];
	uint8_t		sign_pk[STORE_KEY_BYTES];	/* the new key */
	uint8_t		kx_pk[STORE_KEY_BYTES];
	uint8_t		ann[STORE_ROT_BYTES];		/* as published */
};
int	store_rotation_put(struct store *, const struct store_rotation *r,
	    int64_t *id);
int	store_rotation_last_id(struct store *, int64_t *id);
int	store_rotation_last(struct store *, struct store_rotation *out);
int	store_rotations_walk(struct store *, size_t limit,
	    int (*cb)(void *, const struct store_rotation *), void *arg);

/* Walks for the admin commands and for loading state at start-up. A cb
 * returning non-zero stops the walk and that value is returned.
 * runner == NULL means all runners. */
int	store_runners_walk(struct store *,
	    int (*cb)(void *, const struct store_runner *), void *arg);
int	store_devices_walk(struct store *, const char *runner,
	    int (*cb)(void *, const struct store_device *), void *arg);
int	store_sessions_walk(struct store *, const char *runner, int open_only,
	    int (*cb)(void *, const struct store_session *), void *arg);

#endif
