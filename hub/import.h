/*
 * import.h - a runner's history from recorded runs (FIT, TCX, GPX files):
 * `stridehub import <runner> <file-or-folder>...`.
 *
 * Each file becomes one closed session of the runner, or nothing:
 *  - The records are stored as the samples of one virtual device,
 *    IMPORT_DEVICE ("import", role watch: it carries every field a file
 *    has), and the summary is made by the hub's own fuser, from the
 *    samples read back from the store, exactly as the hub finalizes a
 *    live session. Imported and live sessions are therefore measured the
 *    same way: moving time is time at 0.5 m/s or more, distance the
 *    integral of speed over it.
 *  - Speed is taken from the recorded distance (activity_finish's +-5 s
 *    window, never across a pause) whenever the file has distance, not
 *    from the file's speed field: the device's distance is its best
 *    figure, and the integral of its instantaneous speed drifts from it
 *    (-1.1 % on the FR945 run, +9.5 % on the Suunto mountain hike).
 *  - Idempotent (import_same_run): a file is the same run as a session of
 *    the runner, live or imported, open or closed, when their time spans
 *    overlap by more than half of the shorter one; such a file is skipped.
 *    So the same run imported twice, or in two formats, or imported after
 *    it was streamed live, stays one session.
 *  - Refused, with a static reason: files the readers refuse, files whose
 *    clock was never set (no date to file the run under), sports other
 *    than running, walking and hiking, recordings longer than a day or
 *    without any movement.
 *
 * The CLI opens the store read-write while the hub may be writing too:
 * each file is one short IMMEDIATE transaction (the check for the same
 * run and the insert together, so two imports cannot both add a run), and
 * the file is parsed before it. import_end() then writes, in one more,
 * the runner's usual cadence (if unset) and the import run's record,
 * which the hub's tick polls to recompute and publish the runner's plan
 * (plan.h, store.c design note 8).
 *
 * Not thread-safe: the caller's store handle, one thread.
 */
#ifndef HUB_IMPORT_H
#define HUB_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "fuse.h"
#include "store.h"
#include "stride/activity.h"
#include "stride/protocol.h"

#define IMPORT_DEVICE		"import"
#define IMPORT_ROLE		STRIDE_ROLE_WATCH
#define IMPORT_EPOCH		1	/* chunk key (session, device, 1, k) */
#define IMPORT_SAMPLES_MAX	200000	/* the store's per-device bound */
#define IMPORT_FILES_MAX	100000	/* files in one import */
#define IMPORT_DEPTH_MAX	32	/* folder nesting followed */
#define IMPORT_FLAT_MIN_S	600.0	/* a run that feeds the usual cadence:
					   at least 10 min moving... */
#define IMPORT_FLAT_FRAC	0.8	/* ...this much of it flat (-2..2 %)
					   or ungraded: rules' flat_frac */

enum import_status {
	IMPORT_ADDED,		/* a new closed session */
	IMPORT_SAME_RUN,	/* skipped: the runner has this run */
	IMPORT_REFUSED,		/* not importable; why says why */
	IMPORT_FAILED		/* the store failed (logged) */
};

struct import_result {
	enum import_status	 status;
	int64_t			 session_id;	/* ADDED: the new one;
						   SAME_RUN: the one it is */
	int64_t			 start_ms;	/* the file's first sample */
	int			 same_imported;	/* SAME_RUN: that session
						   came from a file too */
	struct session_summary	 sum;		/* ADDED: as stored */
	const char		*why;		/* REFUSED: static */
};

/*
 * Pure: do [a0, a1] and [b0, b1] (ms, a0 <= a1, b0 <= b1) overlap by more
 * than half of the shorter span? A span of zero length is the same run as
 * a span that contains it.
 */
int	import_same_run(int64_t a0, int64_t a1, int64_t b0, int64_t b1);

/* Pure: 0 if a can be imported, else -1 with a static reason in *why. */
int	import_check(const struct activity *a, const char **why);

/*
 * Pure: ready a for import (see the top comment): when any record has a
 * distance, every speed is derived from distance. Idempotent.
 */
void	import_prepare(struct activity *a);

/*
 * Pure: a's records as samples (every field, at the file's own times),
 * at most cap of them. Returns the count.
 */
size_t	import_samples(const struct activity *a, struct stride_sample *out,
	    size_t cap);

/*
 * Pure: the usual cadence (steps/min, rounded) the sessions show: the
 * median of avg_cadence_spm over the flat runs among them (at least
 * IMPORT_FLAT_MIN_S moving, IMPORT_FLAT_FRAC of it flat or ungraded, a
 * cadence in PLAN_CAD_MIN_SPM..PLAN_CAD_MAX_SPM). 0 if there is none; the
 * number of runs used in *nruns (may be NULL).
 */
int	import_usual_cadence(const struct session_summary *runs, size_t n,
	    size_t *nruns);

/*
 * Store activity a (prepared here; a is modified) as a closed session of
 * runner_id, unless it is refused or the runner has the same run. Its own
 * transaction: call it outside any. Fills *out; returns 0, or -1 when the
 * store failed (IMPORT_FAILED, logged, nothing kept).
 */
int	import_activity(struct store *st, int64_t runner_id, const char *runner,
	    struct activity *a, struct import_result *out);

/*
 * End an import run, in one transaction: set the runner's usual cadence
 * from the flat runs among added[0..nadded) if the profile has none
 * (*cadence_spm gets the value set, else 0), and store *im, the run's
 * record, which tells the hub. 0 or -1 (logged).
 */
int	import_end(struct store *st, const struct store_import *im,
	    const struct session_summary *added, size_t nadded,
	    int *cadence_spm);

/*
 * The files an import reads, in order: each path given that is a file,
 * as it is; each folder, walked in name order (depth IMPORT_DEPTH_MAX,
 * symbolic links inside it not followed), keeping the regular files whose
 * content is FIT, TCX or GPX (activity_detect on the first 4 KiB) and
 * counting the others in `ignored`.
 */
struct import_list {
	char	**path;		/* owned */
	size_t	  n, cap;
	size_t	  ignored;	/* files in folders that are not activities */
};

/* Add path (a file or a folder) to l. 0, or -1 with "path: reason" in err
 * (not found, unreadable folder, too many files, out of memory). */
int	import_list_add(struct import_list *l, const char *path, char *err,
	    size_t errlen);
void	import_list_free(struct import_list *l);	/* empties l */

#endif
