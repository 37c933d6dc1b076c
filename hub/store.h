/*
 * store.h - the hub's SQLite store: runners, devices, sessions, samples,
 * events and symptom reports.
 *
 * The only includer of sqlite3.h. WAL mode, schema versioned by
 * PRAGMA user_version with forward-only migrations. Writes are batched by the
 * caller between store_begin() and store_commit(); every statement is
 * prepared once at open. One writer (the hub's worker thread) per file;
 * the admin commands open their own read-only handle.
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
};

struct store_runner {
	int64_t		id;
	char		runner[STRIDE_ID_MAX + 1];
	int64_t		created_ms;
	uint32_t	devices;
	uint32_t	sessions;
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
int	store_symptom_put(struct store *, int64_t runner_id, int64_t device_id,
	    int64_t session_id, int64_t t_ms, enum stride_when when,
	    enum stride_level level, int score);

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
