/*
 * filesrc.h - replay a recorded run (a FIT, TCX or GPX file) as the live
 * samples of one device: `stride-agent run --file PATH`.
 *
 * The file is read whole, once, by libstride's activity readers
 * (include/stride/activity.h), before anything is sent: a file they refuse
 * stops the replay with their reason and nothing goes out. Then each
 * record becomes one sample, in the role's fields only:
 *   - foot pod: cadence, speed, distance (FILESRC_WANT_FOOTPOD);
 *   - watch: speed, distance, altitude, grade, and cadence when the file
 *     has it (FILESRC_WANT_WATCH).
 * A record with none of them (a heart-rate-only record) gives no sample.
 *
 * Time: sample time = start_ms + (record time - first record time), so the
 * recording's own spacing is kept: a sparse ("smart") recording stays
 * sparse, and a pause in the file (the device's timer stood still: no
 * records) is a gap in the replay. Nothing is sent for a pause: the hub's
 * fuser counts a gap over its max hold (10 s) as standing still, and a gap
 * over its idle timeout ends the session, as it would live. The file's own
 * dates do not matter (the FR70, whose clock was never set, reads 1990).
 *
 * Speeds, grades and distances are the file's, or derived by
 * activity_finish() where the file lacks them (docs/activity-files.md).
 * Values outside protocol.h's ranges are left out, field by field.
 *
 * Memory: the file's records (about 80 bytes each) for the whole replay;
 * the file's bytes only while it is read. No allocation per sample.
 */
#ifndef AGENT_FILESRC_H
#define AGENT_FILESRC_H

#include <stddef.h>
#include <stdint.h>
#include "stride/activity.h"
#include "stride/protocol.h"

#define FILESRC_WANT_FOOTPOD	(STRIDE_HAS_CAD | STRIDE_HAS_SPD | \
				 STRIDE_HAS_DIST)
#define FILESRC_WANT_WATCH	(STRIDE_HAS_SPD | STRIDE_HAS_DIST | \
				 STRIDE_HAS_ALT | STRIDE_HAS_GRADE | \
				 STRIDE_HAS_CAD)
#define FILESRC_SPAN_MAX_MS	(86400LL * 1000)  /* a day, as --csv */

/* The STRIDE_HAS_* fields a role replays (0 for an unknown role). */
unsigned	filesrc_want(enum stride_role role);

/*
 * Pure: record i of a as role's sample, timed from start_ms. Returns 0, or
 * -1 if the record has none of the role's fields (send nothing).
 */
int	filesrc_sample(const struct activity *a, size_t i,
	    enum stride_role role, int64_t start_ms,
	    struct stride_sample *out);

struct filesrc;

/*
 * Take activity a (from activity_read or activity_load; owned by the
 * source from here on, also on failure) for a replay in role from
 * start_ms. NULL with the reason in err if there is nothing to replay:
 * no record with the role's fields, a span over FILESRC_SPAN_MAX_MS, or
 * times that would leave the protocol's range.
 */
struct filesrc	*filesrc_new(struct activity *a, enum stride_role role,
		    int64_t start_ms, char *err, size_t errlen);

/* filesrc_new() of the file at path, read with activity_load(). The
 * reason, prefixed with path, in err. */
struct filesrc	*filesrc_open(const char *path, enum stride_role role,
		    int64_t start_ms, char *err, size_t errlen);
void		 filesrc_close(struct filesrc *);	/* NULL is a no-op */

/* The next sample: 1, or 0 at the end of the recording. */
int		 filesrc_next(struct filesrc *, struct stride_sample *out);

/* How many samples the replay gives in all, and the recording's span
 * (first to last sample) in ms. */
uint64_t	 filesrc_count(const struct filesrc *);
int64_t		 filesrc_span_ms(const struct filesrc *);
/* The activity replayed (read-only): format, sport, summary. */
const struct activity *filesrc_activity(const struct filesrc *);

#endif
