/*
 * csvsrc.c - see csvsrc.h. A thin reader (stdio, one fixed line buffer)
 * around a pure line parser.
 *
 * Numbers: a cell may hold only [0-9+-.eE] before strtod sees it, so
 * "nan", "inf", hex floats and leading blanks are refused up front, and
 * strtod must then consume the whole cell. Nothing depends on the locale
 * beyond the decimal point, which the agent never changes from "C".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvsrc.h"

struct csvsrc {
	FILE		*fp;
	char		*path;		/* for messages */
	int64_t		start_ms;
	int64_t		prev_t_ms;	/* offset of the last sample, or -1 */
	size_t		lineno;
	int		failed;
	char		line[CSVSRC_LINE_MAX + 1];
};

struct csvsrc_col {
	const char	*name;
	uint8_t		has;		/* STRIDE_HAS_*, 0 for t_s */
	double		min, max;
};

static const struct csvsrc_col csvsrc_cols[CSVSRC_FIELDS] = {
	{ "t_s", 0, 0, CSVSRC_T_MAX_S },
	{ "cad_spm", STRIDE_HAS_CAD, 0, STRIDE_CAD_MAX_SPM },
	{ "spd_mps", STRIDE_HAS_SPD, 0, STRIDE_SPD_MAX_MPS },
	{ "grade_pct", STRIDE_HAS_GRADE, -STRIDE_GRADE_MAX_PCT,
	    STRIDE_GRADE_MAX_PCT },
	{ "alt_m", STRIDE_HAS_ALT, STRIDE_ALT_MIN_M, STRIDE_ALT_MAX_M },
	{ "dist_m", STRIDE_HAS_DIST, 0, STRIDE_DIST_MAX_M },
};

/* Parse cell[0..len) as a finite number. 0 or -1. */
static int
csvsrc_number(const char *cell, size_t len, double *out)
{
	char	buf[64], *end;
	size_t	i;

	if (len >= sizeof(buf))
		return -1;
	for (i = 0; i < len; i++)
		if (strchr("0123456789+-.eE", cell[i]) == NULL ||
		    cell[i] == '\0')
			return -1;
	memcpy(buf, cell, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (end != buf + len || errno == ERANGE || !isfinite(*out))
		return -1;
	return 0;
}

int
csvsrc_parse_line(const char *line, size_t len, int64_t prev_t_ms,
    struct stride_sample *out, const char **why)
{
	/* Reasons name the column, so there is one static string each. */
	static const char *bad_number[CSVSRC_FIELDS] = {
		"t_s is not a number", "cad_spm is not a number",
		"spd_mps is not a number", "grade_pct is not a number",
		"alt_m is not a number", "dist_m is not a number" };
	static const char *out_of_range[CSVSRC_FIELDS] = {
		"t_s out of range (0..86400)", "cad_spm out of range (0..300)",
		"spd_mps out of range (0..12)",
		"grade_pct out of range (-45..45)",
		"alt_m out of range (-500..9000)",
		"dist_m out of range (0..1000000)" };
	const char	*cell, *comma;
	size_t		 f, n, clen;
	double		 v;

	*out = (struct stride_sample){ 0 };
	for (n = 1, f = 0; f < len; f++)
		if (line[f] == ',')
			n++;
	if (n != CSVSRC_FIELDS) {
		*why = n < CSVSRC_FIELDS ? "too few fields (want 6)" :
		    "too many fields (want 6)";
		return -1;
	}
	cell = line;
	for (f = 0; f < CSVSRC_FIELDS; f++) {
		comma = memchr(cell, ',', len - (size_t)(cell - line));
		clen = comma != NULL ? (size_t)(comma - cell) :
		    len - (size_t)(cell - line);
		if (clen == 0 && f == 0) {
			*why = "t_s is missing";
			return -1;
		}
		if (clen > 0) {
			if (csvsrc_number(cell, clen, &v) == -1) {
				*why = bad_number[f];
				return -1;
			}
			if (v < csvsrc_cols[f].min || v > csvsrc_cols[f].max) {
				*why = out_of_range[f];
				return -1;
			}
			switch (csvsrc_cols[f].has) {
			case 0:
				out->t_ms = llround(v * 1000.0);
				break;
			case STRIDE_HAS_CAD:
				out->cad_spm = (float)v;
				break;
			case STRIDE_HAS_SPD:
				out->spd_mps = (float)v;
				break;
			case STRIDE_HAS_GRADE:
				out->grade_pct = (float)v;
				break;
			case STRIDE_HAS_ALT:
				out->alt_m = (float)v;
				break;
			case STRIDE_HAS_DIST:
				out->dist_m = v;
				break;
			}
			out->has |= csvsrc_cols[f].has;
		}
		cell += clen + 1;
	}
	if (out->has == 0) {
		*why = "no measurement (every cell but t_s is empty)";
		return -1;
	}
	if (out->t_ms <= prev_t_ms) {
		*why = "t_s not increasing";
		return -1;
	}
	return 0;
}

/*
 * Read one line into src->line. Returns its length, -2 at end of file,
 * or -1 with *why set.
 */
static long
csvsrc_read_line(struct csvsrc *src, const char **why)
{
	size_t	n = 0;
	int	c;

	while ((c = getc(src->fp)) != EOF && c != '\n') {
		if (c == '\0') {
			src->lineno++;
			*why = "NUL byte in line";
			return -1;
		}
		if (n == CSVSRC_LINE_MAX) {
			src->lineno++;
			*why = "line too long (max 256 bytes)";
			return -1;
		}
		src->line[n++] = (char)c;
	}
	if (ferror(src->fp)) {
		*why = strerror(errno);
		return -1;
	}
	if (c == EOF && n == 0)
		return -2;
	src->lineno++;
	if (n > 0 && src->line[n - 1] == '\r')
		n--;
	src->line[n] = '\0';
	return (long)n;
}

struct csvsrc *
csvsrc_open(const char *path, int64_t start_ms, char *err, size_t errlen)
{
	struct csvsrc	*src;
	const char	*why = NULL, *hdr;
	long		 n;

	if (start_ms < STRIDE_T_MIN_MS ||
	    start_ms > STRIDE_T_MAX_MS - (int64_t)(CSVSRC_T_MAX_S * 1000)) {
		snprintf(err, errlen, "%s: start time out of range", path);
		return NULL;
	}
	if ((src = calloc(1, sizeof(*src))) == NULL ||
	    (src->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	src->start_ms = start_ms;
	src->prev_t_ms = -1;
	if ((src->fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((n = csvsrc_read_line(src, &why)) == -2)
		why = "empty file: want the header " CSVSRC_HEADER;
	else if (n >= 0) {
		hdr = src->line;
		if (strncmp(hdr, "\xef\xbb\xbf", 3) == 0)
			hdr += 3;
		if (strcmp(hdr, CSVSRC_HEADER) != 0)
			why = "bad header: want " CSVSRC_HEADER;
	}
	if (why != NULL) {
		snprintf(err, errlen, "%s:%zu: %s", path,
		    src->lineno > 0 ? src->lineno : 1, why);
		goto fail;
	}
	return src;
fail:
	csvsrc_close(src);
	return NULL;
}

void
csvsrc_close(struct csvsrc *src)
{
	if (src == NULL)
		return;
	if (src->fp != NULL)
		fclose(src->fp);
	free(src->path);
	free(src);
}

int
csvsrc_next(struct csvsrc *src, struct stride_sample *out, char *err,
    size_t errlen)
{
	const char	*why;
	long		 n;

	if (src->failed) {
		snprintf(err, errlen, "%s:%zu: replay stopped earlier",
		    src->path, src->lineno);
		return -1;
	}
	do {
		if ((n = csvsrc_read_line(src, &why)) == -2)
			return 0;
	} while (n == 0);		/* empty line */
	if (n < 0 || csvsrc_parse_line(src->line, (size_t)n, src->prev_t_ms,
	    out, &why) == -1) {
		src->failed = 1;
		snprintf(err, errlen, "%s:%zu: %s", src->path, src->lineno,
		    why);
		return -1;
	}
	src->prev_t_ms = out->t_ms;
	out->t_ms += src->start_ms;
	return 1;
}

size_t
csvsrc_lineno(const struct csvsrc *src)
{
	return src->lineno;
}
