/*
 * csvsrc.h - replay a recorded run from a simple CSV file.
 *
 * The format (docs/agent.md has the whole story):
 *
 *   t_s,cad_spm,spd_mps,grade_pct,alt_m,dist_m
 *   0,170,3.10,,,0
 *   1,171,3.12,,,3.1
 *
 * One header line, exactly as above (a UTF-8 byte order mark before it is
 * tolerated), then one sample per line: t_s is seconds since the start of
 * the run (decimals allowed, strictly increasing at millisecond
 * resolution, 0..CSVSRC_T_MAX_S); the other cells are optional (empty =
 * absent) but at least one must be given. Values must lie within the
 * ranges of protocol.h. Lines end in LF or CRLF; empty lines are skipped.
 *
 * The file is hostile input: every line is bounded (CSVSRC_LINE_MAX),
 * counted, checked cell by cell, and the first problem stops the replay
 * with "<path>:<line>: <reason>". Reading never allocates per line.
 */
#ifndef AGENT_CSVSRC_H
#define AGENT_CSVSRC_H

#include <stddef.h>
#include <stdint.h>
#include "stride/protocol.h"

#define CSVSRC_HEADER	"t_s,cad_spm,spd_mps,grade_pct,alt_m,dist_m"
#define CSVSRC_FIELDS	6
#define CSVSRC_LINE_MAX	256		/* bytes, without the line end */
#define CSVSRC_T_MAX_S	86400.0		/* a day: longer is not a run */

/*
 * Pure: parse one data line line[0..len) (no line end). prev_t_ms is the
 * previous sample's offset, or -1 for the first. On success returns 0 and
 * fills *out with t_ms as milliseconds since the start of the run; else -1
 * with *why set to a static reason.
 */
int	csvsrc_parse_line(const char *line, size_t len, int64_t prev_t_ms,
	    struct stride_sample *out, const char **why);

struct csvsrc;

/* Open path and check its header. Samples will be timed from start_ms
 * (Unix ms). NULL on failure, the reason in err. The caller owns the
 * result: csvsrc_close() it. */
struct csvsrc	*csvsrc_open(const char *path, int64_t start_ms, char *err,
		    size_t errlen);
void		 csvsrc_close(struct csvsrc *);	/* NULL is a no-op */

/* The next sample, with t_ms = start_ms + offset. Returns 1, 0 at the end
 * of the file, or -1 with "<path>:<line>: <reason>" in err. After -1 the
 * source stays failed. */
int		 csvsrc_next(struct csvsrc *, struct stride_sample *out,
		    char *err, size_t errlen);

/* The number of the line read last (1 is the header). */
size_t		 csvsrc_lineno(const struct csvsrc *);

#endif
